"""The multi-label family against float64 oracles, on every framework."""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import assert_close, oracles

RNG = np.random.default_rng(20260)


def _hard(shape, p=0.3, rng=RNG):
    return (rng.random(shape) < p).astype(np.int64)


def _indices(labels, k, pad):
    """Index labels [..., k] from multi-hot labels, padded with ``pad`` (shuffled order)."""
    out = np.full((*labels.shape[:-1], k), pad, dtype=np.int64)
    for row in np.ndindex(*labels.shape[:-1]):
        idx = np.flatnonzero(labels[row])
        RNG.shuffle(idx)
        out[row][: len(idx)] = idx
    return out


# ---------------------------------------------------------------- dense


@pytest.mark.parametrize("label_dtype", ["bool", "int64", "float64"])
def test_dense_matches_pairwise_oracle(framework, label_dtype):
    logits = RNG.normal(size=(6, 9)) * 3
    labels = _hard((6, 9))
    labels[0] = 0  # no positive
    labels[1] = 1  # no negative
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels, label_dtype), reduction="none"
    )
    assert_close(
        got, oracles.zlpr_pairwise(logits, labels), framework=framework, dtype="float64", rtol=1e-12
    )


def test_seed_value(framework):
    # printed by seed 001 (torch, float32): 1.9803704023361206
    logits = [[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7], [0.7, 0.6, 0.1, 0.3]]
    labels = [[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]]
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits, "float32"), framework.array(labels)
    )
    assert_close(got, 1.9803704023361206, framework=framework, dtype="float32", rtol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_axis_threshold_where(framework, axis):
    logits = RNG.normal(size=(4, 5, 7)) * 2
    labels = _hard((4, 5, 7))
    where = RNG.random((5, 7)) < 0.8
    threshold = RNG.normal(size=(1, 7))
    moved = [
        np.moveaxis(a, -1, axis) for a in (logits, labels, np.broadcast_to(where, logits.shape))
    ]
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(moved[0]),
        framework.array(moved[1]),
        threshold=framework.array(np.moveaxis(np.broadcast_to(threshold, logits.shape), -1, axis)),
        where=framework.array(moved[2]),
        axis=axis,
        reduction="none",
    )
    want = oracles.zlpr_pairwise(logits, labels, threshold=threshold, where=where)
    assert_close(got, want, framework=framework, dtype="float64", rtol=1e-12)


def test_scalar_threshold(framework):
    logits = RNG.normal(size=(5, 6))
    labels = _hard((5, 6))
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels), threshold=0.7, reduction="none"
    )
    assert_close(
        got, oracles.zlpr_pairwise(logits, labels, threshold=0.7), framework=framework, rtol=1e-12
    )


def test_soft_labels(framework):
    logits = RNG.normal(size=(5, 8)) * 2
    labels = RNG.random((5, 8))
    labels[0, :3] = [0.0, 1.0, 0.5]
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels), threshold=0.3, reduction="none"
    )
    want = oracles.zlpr_soft(logits, labels, threshold=0.3)
    assert_close(got, want, framework=framework, dtype="float64", rtol=1e-12)


def test_soft_labels_optimum_is_multilabel_probabilities(framework):
    # d/ds of the soft loss vanishes at t = sigmoid(2 (s - θ)) for a single class
    logits = RNG.normal(size=(5, 1))
    probs = mlcloss.multilabel_probabilities(framework.array(logits), threshold=0.2)
    want = 1 / (1 + np.exp(-2 * (logits - 0.2)))
    assert_close(probs, want, framework=framework, rtol=1e-12)
    if framework.has_autograd:
        _, grad = framework.value_and_grad(
            lambda s, t: mlcloss.multilabel_categorical_crossentropy(s, t, threshold=0.2),
            framework.array(logits),
            probs,
        )
        np.testing.assert_allclose(grad, 0, atol=1e-12)
    predicted = mlcloss.multilabel_predict(framework.array(logits), threshold=0.2)
    np.testing.assert_array_equal(framework.to_numpy(predicted), logits > 0.2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reductions(framework, reduction):
    logits = RNG.normal(size=(3, 4, 5))
    labels = _hard((3, 4, 5))
    per_row = oracles.zlpr_pairwise(logits, labels)
    want = {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[reduction]
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels), reduction=reduction
    )
    assert_close(got, want, framework=framework, dtype="float64", rtol=1e-12)


def test_mean_over_nothing_is_zero_with_zero_gradient(framework):
    logits = np.zeros((0, 5))
    labels = np.zeros((0, 5), dtype=np.int64)
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels)
    )
    assert_close(got, 0.0, framework=framework, dtype="float64")
    got = mlcloss.sparse_multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(np.zeros((0, 2), np.int64))
    )
    assert_close(got, 0.0, framework=framework, dtype="float64")
    if framework.has_autograd:
        value, grad = framework.value_and_grad(
            lambda s, t: mlcloss.multilabel_categorical_crossentropy(s, t),
            framework.array(logits),
            framework.array(labels),
        )
        assert value == 0 and grad.shape == (0, 5)


@pytest.mark.parametrize("masked", [float("-inf"), -1e12])
def test_masked_logits_are_finite(framework, masked):
    logits = RNG.normal(size=(4, 6))
    labels = _hard((4, 6))
    labels[:, :2] = 0
    logits[:, :2] = masked
    logits[3, labels[3] == 0] = masked  # a row whose negatives are all masked
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels), reduction="none"
    )
    want = oracles.zlpr_pairwise(logits[:, 2:], labels[:, 2:]) if masked == -np.inf else None
    if want is not None:
        want[3] = oracles.zlpr_pairwise(logits[3:, labels[3] != 0], labels[3:, labels[3] != 0])[0]
        assert_close(got, want, framework=framework, rtol=1e-12)
    assert np.all(np.isfinite(framework.to_numpy(got)))
    if framework.has_autograd:
        for dtype in ("float32", "float64"):
            value, grad = framework.value_and_grad(
                lambda s, t: mlcloss.multilabel_categorical_crossentropy(s, t, reduction="none"),
                framework.array(logits, dtype),
                framework.array(labels),
            )
            assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
            assert np.all(grad[:, :2] == 0)


def test_soft_label_zero_weight_ignores_infinite_logit(framework):
    logits = np.array([[np.inf, -np.inf, 0.5, -0.5]])
    labels = np.array([[1.0, 0.0, 0.3, 0.6]])
    got = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels), reduction="none"
    )
    want = oracles.zlpr_soft(logits[:, 2:], labels[:, 2:])
    assert_close(got, want, framework=framework, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_an_infinite_logit_on_the_wrong_side_costs_infinity(framework):
    """A positive at −∞ or a negative at +∞ is infinitely wrong: +inf, not a finite number."""
    logits = np.array([[-np.inf, 1.0, 0.0], [2.0, -1.0, np.inf], [2.0, -1.0, -np.inf]])
    hard = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 1]])
    soft = np.array([[0.9, 0.1, 0.1], [0.9, 0.1, 0.1], [0.9, 0.1, 0.1]])
    index = np.array([[0, -1], [0, -1], [0, 2]])
    for got in (
        mlcloss.multilabel_categorical_crossentropy(
            framework.array(logits), framework.array(hard), reduction="none"
        ),
        mlcloss.multilabel_categorical_crossentropy(
            framework.array(logits), framework.array(soft), reduction="none"
        ),
        mlcloss.sparse_multilabel_categorical_crossentropy(
            framework.array(logits), framework.array(index), ignore_index=-1, reduction="none"
        ),
    ):
        assert np.all(framework.to_numpy(got) == np.inf), framework.to_numpy(got)


def test_half_precision_computes_in_float32(framework):
    """float16 / bfloat16 in, float32 out, within 1e-5 of float64 on the same values."""
    labels = _hard((8, 12))
    index = _indices(labels, 12, -1)
    half = [d for d in framework.float_dtypes if d in ("float16", "bfloat16")]
    for dtype in half or ["float32"]:  # array-api-strict has no 16-bit floats
        x = framework.array((RNG.normal(size=(8, 12)) * 4).astype(np.float32), dtype)
        exact = oracles.zlpr_pairwise(framework.to_numpy(x), labels)
        got = mlcloss.multilabel_categorical_crossentropy(
            x, framework.array(labels), reduction="none"
        )
        assert_close(got, exact, framework=framework, dtype="float32", rtol=1e-5, like=x)
        got = mlcloss.sparse_multilabel_categorical_crossentropy(
            x, framework.array(index), ignore_index=-1, reduction="none"
        )
        assert_close(got, exact, framework=framework, dtype="float32", rtol=1e-5, like=x)
    if "float16" in half:  # the top of float16's range
        x = framework.array(np.array([[6e4, -6e4, 1e4]]), "float16")
        got = mlcloss.multilabel_categorical_crossentropy(x, framework.array(np.array([[1, 0, 0]])))
        assert_close(
            got,
            np.log1p(np.exp(-6e4 - 1e4) + np.exp(1e4 - 6e4)) + 1e4,
            framework=framework,
            rtol=1e-5,
        )


# ---------------------------------------------------------------- sparse


@pytest.mark.parametrize("num_classes", [1, 2, 10, 1000])
@pytest.mark.parametrize("regime", ["random", "confident20", "confident80", "wrong80"])
def test_sparse_equals_dense_float32(framework, num_classes, regime):
    rows = 6
    labels = _hard((rows, num_classes), p=min(0.5, 4 / num_classes))
    labels[0] = 0
    if num_classes <= 8:
        labels[1] = 1
    if regime == "random":
        logits = RNG.normal(size=(rows, num_classes)) * 3
    else:
        size = {"confident20": 20.0, "confident80": 80.0, "wrong80": -80.0}[regime]
        logits = np.where(labels == 1, size, -size) + RNG.normal(size=(rows, num_classes)) * 0.1
    logits = logits.astype(np.float32)
    k = max(1, int(labels.sum(-1).max()) + 1)
    index = _indices(labels, k, -1)
    dense = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels), reduction="none"
    )
    sparse = mlcloss.sparse_multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(index), ignore_index=-1, reduction="none"
    )
    exact = oracles.zlpr_pairwise(logits, labels)
    assert_close(dense, exact, framework=framework, dtype="float32", rtol=1e-5)
    assert_close(sparse, framework.to_numpy(dense), framework=framework, dtype="float32", rtol=1e-5)


def test_sparse_confident_regime_value(framework):
    # the widely copied subtraction form returns 3.88, -3.03 or -16.84 here
    logits = np.array([[20.0, -20.0, -20.0, 20.0, -20.0]], dtype=np.float32)
    got = mlcloss.sparse_multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(np.array([[0, 3]])), reduction="none"
    )
    want = np.log1p(3 * np.exp(-20.0)) + np.log1p(2 * np.exp(-20.0))
    assert_close(got, [want], framework=framework, dtype="float32", rtol=1e-6)


def test_sparse_repeated_indices_count_once_and_ignore_index(framework):
    logits = RNG.normal(size=(3, 4, 7))
    index = np.array([[[1, 1, 3, 0], [2, 0, 0, 0], [0, 0, 0, 0], [5, 6, 5, 6]]] * 3)
    index[1, 0] = [3, 1, 3, 1]
    got = mlcloss.sparse_multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(index), ignore_index=0, reduction="none"
    )
    # ignore_index=0 reserves class 0: it leaves the loss in every row
    dense = oracles.multi_hot(index, 7, ignore_index=0)
    where = np.arange(7) != 0
    assert_close(
        got, oracles.zlpr_pairwise(logits, dense, where=where), framework=framework, rtol=1e-12
    )
    # without ignore_index, repeated indices (0 included) still count once
    got = mlcloss.sparse_multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(index), reduction="none"
    )
    want = oracles.zlpr_pairwise(logits, oracles.multi_hot(index, 7))
    assert_close(got, want, framework=framework, rtol=1e-12)


@pytest.mark.parametrize("axis", [0, 1])
def test_sparse_axis_where_threshold(framework, axis):
    logits = RNG.normal(size=(5, 9))
    labels = _hard((5, 9))
    where = RNG.random((5, 9)) < 0.8
    index = _indices(labels, 9, -1)
    got = mlcloss.sparse_multilabel_categorical_crossentropy(
        framework.array(np.moveaxis(logits, -1, axis)),
        framework.array(np.moveaxis(index, -1, axis)),
        ignore_index=-1,
        where=framework.array(np.moveaxis(where, -1, axis)),
        threshold=0.25,
        axis=axis,
        reduction="none",
    )
    want = oracles.zlpr_pairwise(logits, labels, where=where, threshold=0.25)
    assert_close(got, want, framework=framework, rtol=1e-12)


# ---------------------------------------------------------------- GlobalPointer


def _spans(batch, heads, length, lengths, k):
    dense = np.zeros((batch, heads, length, length), np.int64)
    pairs = np.full((batch, heads, k, 2), -1, np.int64)
    for b in range(batch):
        for h in range(heads):
            n = RNG.integers(0, k + 1)
            for m in range(n):
                i = RNG.integers(0, lengths[b])
                j = RNG.integers(i, lengths[b])
                dense[b, h, i, j] = 1
                pairs[b, h, m] = (i, j)
    return dense, pairs


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_global_pointer_dense_sparse_oracle(framework, reduction):
    batch, heads, length = 3, 2, 6
    lengths = [6, 4, 1]
    mask = np.arange(length)[None, :] < np.array(lengths)[:, None]
    logits = RNG.normal(size=(batch, heads, length, length)) * 2
    dense, pairs = _spans(batch, heads, length, lengths, 3)
    want = oracles.global_pointer(logits, dense, mask=mask)
    np.testing.assert_allclose(oracles.global_pointer(logits, pairs, mask=mask, sparse=True), want)
    want = want if reduction == "none" else want.mean()
    for labels, sparse in ((dense, False), (pairs, True)):
        got = mlcloss.global_pointer_crossentropy(
            framework.array(logits),
            framework.array(labels),
            mask=framework.array(mask),
            sparse=sparse,
            reduction=reduction,
        )
        assert_close(got, want, framework=framework, dtype="float64", rtol=1e-12)


def test_global_pointer_without_mask_and_int_mask(framework):
    logits = RNG.normal(size=(2, 3, 5, 5))
    dense, pairs = _spans(2, 3, 5, [5, 5], 2)
    got = mlcloss.global_pointer_crossentropy(
        framework.array(logits), framework.array(pairs), sparse=True, reduction="none"
    )
    assert_close(got, oracles.global_pointer(logits, dense), framework=framework, rtol=1e-12)
    ones = np.ones((2, 5), np.int64)
    got = mlcloss.global_pointer_crossentropy(
        framework.array(logits),
        framework.array(dense),
        mask=framework.array(ones),
        reduction="none",
    )
    assert_close(got, oracles.global_pointer(logits, dense), framework=framework, rtol=1e-12)


# ---------------------------------------------------------------- cross-backend identity


def test_identical_to_numpy_backend(framework):
    logits = RNG.normal(size=(7, 30)) * 5
    labels = _hard((7, 30))
    index = _indices(labels, 30, -1)
    soft = RNG.random((7, 30))
    cases = [
        (mlcloss.multilabel_categorical_crossentropy, logits, labels, {}),
        (mlcloss.multilabel_categorical_crossentropy, logits, soft, {"threshold": 0.5}),
        (mlcloss.sparse_multilabel_categorical_crossentropy, logits, index, {"ignore_index": -1}),
    ]
    for fn, s, t, kw in cases:
        reference = fn(s, t, reduction="none", **kw)
        got = fn(framework.array(s), framework.array(t), reduction="none", **kw)
        assert_close(got, reference, framework=framework, dtype="float64", rtol=1e-10)
