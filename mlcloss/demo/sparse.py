"""``mlcloss demo --sparse``: the demo's imbalanced problem at 50,000 classes, labels as index lists.

The same model and optimizer as the dense demo (:mod:`mlcloss.demo.train`) are trained four
times, from the same weights and batches: ZLPR and sigmoid BCE, each on dense multi-hot labels
(built per batch, as a framework's own losses need them) and on the positives' index lists
(:func:`~mlcloss.sparse_multilabel_categorical_crossentropy`,
:func:`~mlcloss.sparse_sigmoid_cross_entropy`). A dense form and its sparse twin compute the
same loss, so they learn the same model; what differs is the labels' memory and the time of an
epoch, which the table and the plot report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._lib.measure import peak_bytes
from .train import Settings, initial_parameters, trainer

PAD = -1


@dataclass(frozen=True)
class IndexSplit:
    """Features ``x`` ``[N, D]`` (float32) and the positives ``[N, K]`` (int64, padded by -1)."""

    x: np.ndarray
    positives: np.ndarray
    classes: int

    def multi_hot(self, rows) -> np.ndarray:
        """The dense ``[len(rows), C]`` bool labels of ``rows`` (what a dense loss needs)."""
        positives = self.positives[rows]
        dense = np.zeros((positives.shape[0], self.classes), bool)
        kept = positives != PAD
        dense[np.nonzero(kept)[0], positives[kept]] = True
        return dense


def synthetic_index(
    *, seed=0, train=6000, test=2000, classes=50_000, features=64, zipf=1.2, noise=0.9, k=4
) -> tuple[IndexSplit, IndexSplit]:
    """:func:`~mlcloss.demo.data.synthetic`'s problem with the labels as index lists: 1 to ``k``
    distinct classes an example, drawn with probability :math:`\\propto (c + 1)^{-\\text{zipf}}`,
    features the mean of their prototypes plus Gaussian ``noise``. No dense label array."""
    rng = np.random.default_rng(seed)
    frequency = 1.0 / np.arange(1, classes + 1) ** zipf
    total = train + test
    drawn = np.searchsorted(np.cumsum(frequency / frequency.sum()), rng.random((total, k)))
    drawn = np.minimum(drawn, classes - 1)
    counts = rng.integers(1, k + 1, total)
    drawn[np.arange(k)[None, :] >= counts[:, None]] = PAD
    for j in range(1, k):  # a repeated class counts once: pad the repeat
        repeat = (drawn[:, j : j + 1] == drawn[:, :j]).any(axis=1) & (drawn[:, j] != PAD)
        drawn[repeat, j] = PAD
    prototypes = rng.normal(size=(classes, features)).astype(np.float32)
    kept = drawn != PAD
    centre = (prototypes[np.where(kept, drawn, 0)] * kept[..., None]).sum(axis=1)
    centre /= kept.sum(axis=1, keepdims=True)
    x = (centre + noise * rng.normal(size=(total, features))).astype(np.float32)
    return (
        IndexSplit(x[:train], drawn[:train], classes),
        IndexSplit(x[train:], drawn[train:], classes),
    )


def _forms():
    from .. import (
        multilabel_categorical_crossentropy,
        sigmoid_cross_entropy,
        sparse_multilabel_categorical_crossentropy,
        sparse_sigmoid_cross_entropy,
    )

    def sparse(fn):
        return lambda logits, positives: fn(logits, positives, ignore_index=PAD)

    return {  # name: (loss, whether it takes index lists)
        "ZLPR dense": (multilabel_categorical_crossentropy, False),
        "ZLPR sparse": (sparse(sparse_multilabel_categorical_crossentropy), True),
        "BCE dense": (sigmoid_cross_entropy, False),
        "BCE sparse": (sparse(sparse_sigmoid_cross_entropy), True),
    }


def _loss_peak(framework, loss, logits, labels):
    """Bytes the loss's forward and backward hold at their peak on one batch's ``logits``
    (NumPy: the closed-form gradient; torch: autograd), the labels made inside; or None."""
    if framework == "numpy":
        from .._lib.gradients import value_and_grad

        return peak_bytes("numpy", lambda: value_and_grad(loss)(logits, labels()))
    if framework == "torch":
        import torch

        x = torch.asarray(logits).requires_grad_()
        return peak_bytes("torch", lambda: loss(x, torch.asarray(labels())).backward())
    return None


def f1_from_index_lists(predict, split: IndexSplit, chunk=256) -> tuple[float, float]:
    """Micro and macro F1 of ``predict(x) -> bool [n, C]`` against ``split``, in row chunks
    (a dense ``[N, C]`` prediction of the whole split is never held)."""
    tp = np.zeros(split.classes)
    fp = np.zeros(split.classes)
    fn = np.zeros(split.classes)
    for start in range(0, split.x.shape[0], chunk):
        rows = np.arange(start, min(start + chunk, split.x.shape[0]))
        predicted, labels = predict(split.x[rows]), split.multi_hot(rows)
        tp += (predicted & labels).sum(axis=0)
        fp += (predicted & ~labels).sum(axis=0)
        fn += (~predicted & labels).sum(axis=0)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    present = (tp + fn) > 0
    macro = float(np.mean(2 * tp[present] / (2 * tp + fp + fn)[present]))
    return float(micro), macro


def run_sparse(framework, train: IndexSplit, test: IndexSplit, settings: Settings, forms=None):
    """``{form: {"f1": [(micro, macro)] per epoch, "seconds": [...] per epoch,
    "peak_bytes": the loss's forward and backward peak on a batch (or None),
    "label_bytes": one batch's labels}}``."""
    forms = _forms() if forms is None else forms
    rng = np.random.default_rng(settings.seed)
    orders = [rng.permutation(train.x.shape[0]) for _ in range(settings.epochs)]
    return {
        name: _train(framework, loss, takes_indices, train, test, settings, orders)
        for name, (loss, takes_indices) in forms.items()
    }


def _train(framework, loss, takes_indices, train, test, settings, orders):
    params = initial_parameters(train.x.shape[1], train.classes, settings)
    step, logits = trainer(framework, loss, params, settings)
    batches = max(train.x.shape[0] // settings.batch, 1)

    def labels(rows):
        return train.positives[rows] if takes_indices else train.multi_hot(rows)

    def predict(x):
        return logits(x) > 0

    result = {"f1": [], "seconds": [], "peak_bytes": None}
    for epoch, order in enumerate(orders):
        start = time.perf_counter()
        for b in range(batches):
            rows = order[b * settings.batch : (b + 1) * settings.batch]
            if epoch == b == 0:  # the first batch, measured (the batches are alike)
                result["label_bytes"] = int(labels(rows).nbytes)
                result["peak_bytes"] = _loss_peak(
                    framework, loss, logits(train.x[rows]), lambda rows=rows: labels(rows)
                )
            step(train.x[rows], labels(rows))
        result["seconds"].append(time.perf_counter() - start)
        result["f1"].append(f1_from_index_lists(predict, test))
    return result


def sparse_table(results) -> str:
    """One row per form: seconds per epoch, the loss's peak memory, a batch's labels, last F1."""
    lines = [
        f"{'form':<12} {'s / epoch':>10} {'loss peak':>12} {'labels':>12} {'micro / macro F1':>18}"
    ]
    for name, r in results.items():
        peak = "—" if r["peak_bytes"] is None else f"{r['peak_bytes'] / 2**20:.1f} MiB"
        micro, macro = r["f1"][-1]
        lines.append(
            f"{name:<12} {np.median(r['seconds']):>10.2f} {peak:>12} "
            f"{r['label_bytes'] / 2**20:>8.3f} MiB {micro:>8.3f} / {macro:.3f}"
        )
    return "\n".join(lines)


def plot_sparse(results, path, title) -> bool:
    """Macro F1 per epoch, seconds per epoch and the loss's peak memory per form, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return False
    names = list(results)
    figure, axes = plt.subplots(1, 3, figsize=(14, 4))
    for name in names:
        f1 = results[name]["f1"]
        axes[0].plot(range(1, len(f1) + 1), [m for _, m in f1], marker="o", label=name)
    axes[0].set(xlabel="epoch", ylabel="macro F1 (logit > 0)", title="held-out macro F1")
    axes[0].legend()
    axes[1].bar(names, [np.median(results[n]["seconds"]) for n in names])
    axes[1].set(ylabel="seconds", title="one epoch")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    peaks = [results[n]["peak_bytes"] for n in names]
    if all(p is not None for p in peaks):
        axes[2].bar(names, [p / 2**20 for p in peaks])
        axes[2].set(ylabel="MiB", title="the loss's forward + backward, one batch")
    for axis in axes[1:]:
        axis.tick_params(axis="x", rotation=20)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True
