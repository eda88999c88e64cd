"""The demo's data: a synthetic multi-label problem with strong label imbalance, or a user's ``.npz``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Features ``x`` ``[N, D]`` (float32) and multi-hot ``labels`` ``[N, C]`` (bool)."""

    x: np.ndarray
    labels: np.ndarray


def synthetic(
    *,
    seed: int = 0,
    train: int = 6000,
    test: int = 2000,
    classes: int = 200,
    features: int = 64,
    zipf: float = 1.2,
    noise: float = 0.9,
) -> tuple[Split, Split]:
    """Many classes, few positives per example, class frequencies falling as a power law.

    Class :math:`c` (0-based) is drawn with probability
    :math:`\\propto (c + 1)^{-\\text{zipf}}`: the commonest class is in about
    a third of the examples, the rarest in a handful. Each example has 1 to
    4 distinct labels, and its features are the mean of its classes' random
    prototypes plus Gaussian ``noise``, so a linear model can separate the
    classes but not perfectly.
    """
    rng = np.random.default_rng(seed)
    frequency = 1.0 / np.arange(1, classes + 1) ** zipf
    frequency /= frequency.sum()
    prototypes = rng.normal(size=(classes, features)).astype(np.float32)
    total = train + test
    labels = np.zeros((total, classes), bool)
    counts = rng.integers(1, 5, total)
    for row, k in enumerate(counts):
        labels[row, rng.choice(classes, size=k, replace=False, p=frequency)] = True
    centre = labels.astype(np.float32) @ prototypes / counts[:, None].astype(np.float32)
    x = centre + noise * rng.normal(size=(total, features)).astype(np.float32)
    return Split(x[:train], labels[:train]), Split(x[train:], labels[train:])


def from_npz(path) -> tuple[Split, Split]:
    """``x_train``, ``y_train``, ``x_test``, ``y_test`` from a ``.npz`` file (multi-hot ``y``)."""
    with np.load(path) as data:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(data.files)
        if missing:
            raise ValueError(
                f"mlcloss demo: {path} must hold x_train, y_train, x_test and y_test; "
                f"missing {sorted(missing)} (it has {sorted(data.files)})"
            )
        splits = []
        for part in ("train", "test"):
            x = np.asarray(data[f"x_{part}"], np.float32)
            y = np.asarray(data[f"y_{part}"])
            if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"mlcloss demo: x_{part} must be [N, D] and y_{part} [N, C] with the same N; "
                    f"received {x.shape} and {y.shape}"
                )
            if not np.all((y == 0) | (y == 1)):
                raise ValueError(f"mlcloss demo: y_{part} must be multi-hot (0/1 or bool)")
            splits.append(Split(x, y.astype(bool)))
    if splits[0].labels.shape[1] != splits[1].labels.shape[1]:
        raise ValueError("mlcloss demo: y_train and y_test must have the same number of classes")
    return splits[0], splits[1]


def f1_scores(predicted: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(micro F1, macro F1) of boolean predictions ``[N, C]``.

    Micro F1 pools every decision: :math:`2\\,TP / (2\\,TP + FP + FN)`. Macro F1
    averages the per-class F1 over the classes with at least one positive
    in ``labels`` (a class never seen there has no recall to measure).
    """
    tp = np.sum(predicted & labels, axis=0).astype(np.float64)
    fp = np.sum(predicted & ~labels, axis=0).astype(np.float64)
    fn = np.sum(~predicted & labels, axis=0).astype(np.float64)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1.0)
    present = labels.any(axis=0)
    per_class = 2 * tp / np.maximum(2 * tp + fp + fn, 1.0)
    macro = float(per_class[present].mean()) if present.any() else 0.0
    return float(micro), macro
