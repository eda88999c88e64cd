"""The everyday catalogue against float64 oracles written from the definitions, on every backend.

Every case runs with each reduction: ``"none"`` against the oracle's
per-row (or per-element) losses, ``"sum"`` against their sum, ``"mean"``
against the sum over the oracle's denominator (torch's weighted count, the
rows with a class, the elements ``where`` keeps).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import assert_close, oracles

RNG = np.random.default_rng(3)
N, C = 7, 5
S = RNG.normal(size=(N, C)) * 2
Y = RNG.integers(0, C, N)
Y_IGNORED = Y.copy()
Y_IGNORED[[1, 4]] = -100
W = RNG.random(C) + 0.5
P = RNG.dirichlet(np.ones(C), N)
P_ZERO = P.copy()
P_ZERO[0, 2] = 0.0  # a class with no mass: 0 log 0
WHERE = RNG.random((N, C)) < 0.7
WHERE[3] = False  # a row with no class left
Y_WHERE = np.array([int(np.flatnonzero(row)[0]) if row.any() else 0 for row in WHERE])
T = (RNG.random((N, C)) < 0.4).astype(np.float64)
T_SOFT = RNG.random((N, C))
Q = RNG.uniform(0.02, 0.98, (N, C))
Q[0, :3] = [0.0, 1.0, 1e-60]  # the clamp at -100
PM1 = np.where(T > 0, 1.0, -1.0)
S3 = RNG.normal(size=(3, C, 4))  # torch layout [N, C, L], class axis 1
Y3 = RNG.integers(0, C, (3, 4))


def _rows(fn, s, *args):
    """Apply a last-axis oracle along axis 1 of a [N, C, L] array."""
    return fn(np.moveaxis(s, 1, -1), *args)


def _elementwise(loss, where=None):
    keep = np.ones(loss.shape, bool) if where is None else np.broadcast_to(where, loss.shape)
    return np.where(keep, loss, 0.0), keep.sum()


CASES = {
    # name: (function, logits, positional label arrays, array kwargs, options, (per_row, count))
    "softmax_ce index": (mlcloss.softmax_cross_entropy, S, [Y], {}, {}, oracles.softmax_ce(S, Y)),
    "softmax_ce index weights ignore smoothing": (
        mlcloss.softmax_cross_entropy,
        S,
        [Y_IGNORED],
        {"class_weights": W},
        {"ignore_index": -100, "label_smoothing": 0.15},
        oracles.softmax_ce(S, Y_IGNORED, class_weights=W, ignore_index=-100, label_smoothing=0.15),
    ),
    "softmax_ce index where smoothing": (
        mlcloss.softmax_cross_entropy,
        S,
        [Y_WHERE],
        {"where": WHERE, "class_weights": W},
        {"label_smoothing": 0.1},
        oracles.softmax_ce(S, Y_WHERE, class_weights=W, label_smoothing=0.1, where=WHERE),
    ),
    "softmax_ce probabilities weights smoothing": (
        mlcloss.softmax_cross_entropy,
        S,
        [P_ZERO],
        {"class_weights": W},
        {"label_smoothing": 0.2},
        oracles.softmax_ce(S, P_ZERO, class_weights=W, label_smoothing=0.2),
    ),
    "softmax_ce probabilities where": (
        mlcloss.softmax_cross_entropy,
        S,
        [P],
        {"where": WHERE},
        {},
        oracles.softmax_ce(S, P, where=WHERE),
    ),
    "softmax_ce axis=1": (
        mlcloss.softmax_cross_entropy,
        S3,
        [Y3],
        {"class_weights": W},
        {"axis": 1, "label_smoothing": 0.1},
        _rows(lambda s, y: oracles.softmax_ce(s, y, class_weights=W, label_smoothing=0.1), S3, Y3),
    ),
    "nll_loss weights ignore": (
        mlcloss.nll_loss,
        S - np.log(np.exp(S).sum(-1, keepdims=True)),
        [Y_IGNORED],
        {"class_weights": W},
        {"ignore_index": -100},
        oracles.nll(
            S - np.log(np.exp(S).sum(-1, keepdims=True)),
            Y_IGNORED,
            class_weights=W,
            ignore_index=-100,
        ),
    ),
    "softmax_focal index alpha per class": (
        mlcloss.softmax_focal_loss,
        S,
        [Y],
        {"alpha": W / 2},
        {"gamma": 1.5},
        (oracles.softmax_focal(S, Y, alpha=W / 2, gamma=1.5), N),
    ),
    "softmax_focal probabilities": (
        mlcloss.softmax_focal_loss,
        S,
        [P],
        {},
        {"alpha": 0.25, "gamma": 0.5},
        (oracles.softmax_focal(S, P, alpha=0.25, gamma=0.5), N),
    ),
    "kl_divergence": (mlcloss.kl_divergence, S, [P_ZERO], {}, {}, (oracles.kl(S, P_ZERO), N)),
    "sigmoid_ce pos_weight smoothing": (
        mlcloss.sigmoid_cross_entropy,
        S,
        [T_SOFT],
        {"pos_weight": W},
        {"label_smoothing": 0.1},
        _elementwise(oracles.sigmoid_ce(S, T_SOFT, pos_weight=W, label_smoothing=0.1)),
    ),
    "sigmoid_ce where": (
        mlcloss.sigmoid_cross_entropy,
        S,
        [T],
        {"where": WHERE},
        {"pos_weight": 2.0},
        _elementwise(oracles.sigmoid_ce(S, T, pos_weight=2.0), WHERE),
    ),
    "binary_ce": (
        mlcloss.binary_cross_entropy,
        Q,
        [T_SOFT],
        {},
        {},
        _elementwise(oracles.binary_ce(Q, T_SOFT)),
    ),
    "sigmoid_focal": (
        mlcloss.sigmoid_focal_loss,
        S,
        [T],
        {"where": WHERE},
        {"alpha": 0.3, "gamma": 2.0},
        _elementwise(oracles.sigmoid_focal(S, T, alpha=0.3, gamma=2.0), WHERE),
    ),
    "sigmoid_focal soft no alpha": (
        mlcloss.sigmoid_focal_loss,
        S,
        [T_SOFT],
        {},
        {"alpha": -1, "gamma": 0.7},
        _elementwise(oracles.sigmoid_focal(S, T_SOFT, alpha=-1, gamma=0.7)),
    ),
    "asymmetric": (
        mlcloss.asymmetric_loss,
        S,
        [T],
        {},
        {},
        _elementwise(oracles.asymmetric(S, T)),
    ),
    "asymmetric soft gamma_pos no clip": (
        mlcloss.asymmetric_loss,
        S,
        [T_SOFT],
        {"where": WHERE},
        {"gamma_pos": 1.0, "gamma_neg": 2.0, "clip": 0.0},
        _elementwise(oracles.asymmetric(S, T_SOFT, gamma_pos=1.0, gamma_neg=2.0, clip=0.0), WHERE),
    ),
    "squared_error": (
        mlcloss.squared_error,
        S,
        [T_SOFT],
        {"where": WHERE},
        {},
        _elementwise((S - T_SOFT) ** 2, WHERE),
    ),
    "hinge ±1": (
        mlcloss.hinge_loss,
        S,
        [PM1],
        {},
        {"margin": 0.5},
        _elementwise(oracles.hinge(S, PM1, margin=0.5)),
    ),
    "hinge bool": (mlcloss.hinge_loss, S, [T > 0], {}, {}, _elementwise(oracles.hinge(S, T > 0))),
    "pairwise_hinge": (
        mlcloss.pairwise_hinge_loss,
        S[:, :1],
        [S[:, 1:]],
        {},
        {"margin": 0.7},
        _elementwise(np.maximum(0, 0.7 + S[:, 1:] - S[:, :1])),
    ),
}


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_oracle(framework, name, reduction):
    fn, logits, args, arrays, options, (per_row, count) = CASES[name]
    got = fn(
        framework.array(logits),
        *[framework.array(a) for a in args],
        **{k: framework.array(v) for k, v in arrays.items()},
        **options,
        reduction=reduction,
    )
    total = math.fsum(np.ravel(per_row))
    want = {"none": per_row, "sum": total, "mean": total / count if count else 0.0}[reduction]
    assert_close(got, want, framework=framework, dtype="float64", rtol=1e-10, atol=1e-13)


def test_python_sequences_as_weights(framework):
    got = mlcloss.softmax_cross_entropy(
        framework.array(S), framework.array(Y), class_weights=list(W), reduction="none"
    )
    assert_close(got, oracles.softmax_ce(S, Y, class_weights=W)[0], framework=framework, rtol=1e-10)
    got = mlcloss.sigmoid_cross_entropy(framework.array(S), framework.array(T), pos_weight=tuple(W))
    assert_close(
        got, np.mean(oracles.sigmoid_ce(S, T, pos_weight=W)), framework=framework, rtol=1e-10
    )


def test_smooth_labels(framework):
    one_hot = np.eye(4)[[0, 3, 1]]
    for labels, dtype in ((one_hot, "float64"), (one_hot.astype(np.int64), "float32")):
        got = mlcloss.smooth_labels(framework.array(labels), 0.2)
        assert_close(got, 0.8 * one_hot + 0.05, framework=framework, dtype=dtype, rtol=1e-7)
    columns = np.eye(4)[:, [0, 3]]  # two one-hot vectors along axis 0
    got = mlcloss.smooth_labels(framework.array(columns), 0.2, axis=0)
    assert_close(got, 0.8 * columns + 0.2 / 4, framework=framework, rtol=1e-12)


def test_smoothed_labels_equal_label_smoothing(framework):
    """softmax_cross_entropy(label_smoothing=ε) on one-hot labels = CE on smooth_labels(ε)."""
    one_hot = framework.array(np.eye(C)[Y])
    smoothed = mlcloss.softmax_cross_entropy(
        framework.array(S), mlcloss.smooth_labels(one_hot, 0.3)
    )
    direct = mlcloss.softmax_cross_entropy(
        framework.array(S), framework.array(Y), label_smoothing=0.3
    )
    assert_close(smoothed, framework.to_numpy(direct), framework=framework, rtol=1e-12)


def test_sixteen_bit_inputs_compute_in_float32(framework):
    """float16 / bfloat16 predictions give float32 losses close to the float64 oracle."""
    for dtype in set(framework.float_dtypes) & {"float16", "bfloat16"}:
        x = framework.array(S, dtype=dtype)
        rounded = framework.to_numpy(x).astype(np.float64)
        cases = [
            (
                mlcloss.softmax_cross_entropy(x, framework.array(Y)),
                np.mean(oracles.softmax_ce(rounded, Y)[0]),
            ),
            (
                mlcloss.sigmoid_cross_entropy(x, framework.array(T)),
                np.mean(oracles.sigmoid_ce(rounded, T)),
            ),
            (
                mlcloss.sigmoid_focal_loss(x, framework.array(T)),
                np.mean(oracles.sigmoid_focal(rounded, T)),
            ),
            (
                mlcloss.asymmetric_loss(x, framework.array(T)),
                np.mean(oracles.asymmetric(rounded, T)),
            ),
            (mlcloss.kl_divergence(x, framework.array(P)), np.mean(oracles.kl(rounded, P))),
        ]
        for got, want in cases:
            assert_close(got, want, framework=framework, dtype="float32", rtol=2e-6)
