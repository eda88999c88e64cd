"""Sampled softmax and NCE: TensorFlow's numbers and gradients on every backend, given the same samples."""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import oracles

RNG = np.random.default_rng(8888)
NUM_CLASSES, DIM, BATCH, NUM_SAMPLED = 40, 6, 5, 7
WEIGHTS = RNG.normal(size=(NUM_CLASSES, DIM)) / 2
BIASES = RNG.normal(size=NUM_CLASSES)
INPUTS = RNG.normal(size=(BATCH, DIM))
SAMPLED = np.array([0, 3, 8, 13, 21, 30, 39])


def _case(num_true):
    """Labels whose rows hit sampled classes (row 0 twice when num_true > 1), and counts."""
    labels = RNG.integers(0, NUM_CLASSES, size=(BATCH, num_true))
    labels[0, 0], labels[2, -1] = 3, 39
    if num_true > 1:
        labels[0, 1] = 8
    true_count = RNG.uniform(0.02, 0.9, (BATCH, num_true))
    sampled_count = RNG.uniform(0.02, 0.9, NUM_SAMPLED)
    return labels, (SAMPLED, true_count, sampled_count)


LOSSES = {
    "sampled_softmax": (mlcloss.sampled_softmax_loss, "sampled_softmax_loss"),
    "nce": (mlcloss.nce_loss, "nce_loss"),
}


def _ours(
    framework, name, labels, values, *, inputs=INPUTS, weights=WEIGHTS, dtype=None, **options
):
    loss, _ = LOSSES[name]

    def array(value, dtype=None):  # the differentiated argument arrives as a framework array
        return framework.array(value, dtype) if isinstance(value, np.ndarray) else value

    return loss(
        array(weights, dtype),
        array(BIASES, dtype),
        array(labels),
        array(inputs, dtype),
        num_sampled=NUM_SAMPLED,
        num_classes=NUM_CLASSES,
        num_true=labels.shape[1],
        sampled_values=tuple(framework.array(v) for v in values),
        reduction="none",
        **options,
    )


def _tensorflow(tf, name, labels, values, *, dtype, remove_accidental_hits):
    """TensorFlow's loss and its gradients with respect to (inputs, weights, biases)."""
    _, tf_name = LOSSES[name]
    inputs, weights, biases = (tf.constant(a, dtype) for a in (INPUTS, WEIGHTS, BIASES))
    sampled_values = (
        tf.constant(values[0], tf.int64),
        tf.constant(values[1], dtype),
        tf.constant(values[2], dtype),
    )
    with tf.GradientTape() as tape:
        tape.watch([inputs, weights, biases])
        loss = getattr(tf.nn, tf_name)(
            weights,
            biases,
            tf.constant(labels, tf.int64),
            inputs,
            NUM_SAMPLED,
            NUM_CLASSES,
            num_true=labels.shape[1],
            sampled_values=sampled_values,
            remove_accidental_hits=remove_accidental_hits,
        )
    grads = tape.gradient(loss, [inputs, weights, biases])
    return loss.numpy(), [np.asarray(tf.convert_to_tensor(g)) for g in grads]


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("num_true", [1, 3])
@pytest.mark.parametrize("remove_accidental_hits", [True, False])
def test_equals_tensorflow(framework, name, num_true, remove_accidental_hits):
    tf = pytest.importorskip("tensorflow")
    labels, values = _case(num_true)
    want, want_grads = _tensorflow(
        tf, name, labels, values, dtype=tf.float64, remove_accidental_hits=remove_accidental_hits
    )
    options = {"remove_accidental_hits": remove_accidental_hits}
    got = framework.to_numpy(_ours(framework, name, labels, values, **options))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    if not framework.has_autograd:
        return
    _, grad_inputs = framework.value_and_grad(
        lambda h: _ours(framework, name, labels, values, inputs=h, **options),
        framework.array(INPUTS),
    )
    _, grad_weights = framework.value_and_grad(
        lambda w: _ours(framework, name, labels, values, weights=w, **options),
        framework.array(WEIGHTS),
    )
    np.testing.assert_allclose(grad_inputs, want_grads[0], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(grad_weights, want_grads[1], rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_float32_equals_tensorflow(framework, name):
    tf = pytest.importorskip("tensorflow")
    labels, values = _case(2)
    values = (values[0], values[1].astype(np.float32), values[2].astype(np.float32))
    want, _ = _tensorflow(tf, name, labels, values, dtype=tf.float32, remove_accidental_hits=True)
    got = _ours(framework, name, labels, values, dtype="float32", remove_accidental_hits=True)
    assert got.dtype == framework.dtype("float32")
    np.testing.assert_allclose(framework.to_numpy(got), want, rtol=2e-6)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("num_true", [1, 2])
def test_equals_the_oracle(framework, name, num_true):
    """Independent of TensorFlow: the oracle builds every logit on its own, hits as −inf."""
    labels, values = _case(num_true)
    args = (WEIGHTS, BIASES, labels, INPUTS, values)
    for remove in (True, False):
        got = framework.to_numpy(
            _ours(framework, name, labels, values, remove_accidental_hits=remove)
        )
        want = (
            oracles.sampled_softmax(*args, remove_accidental_hits=remove)
            if name == "sampled_softmax"
            else oracles.nce(*args, remove_accidental_hits=remove)
        )
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_without_log_q(framework):
    labels, values = _case(2)
    got = _ours(framework, "sampled_softmax", labels, values, subtract_log_q=False)
    want = oracles.sampled_softmax(
        WEIGHTS, BIASES, labels, INPUTS, values, remove_accidental_hits=True, subtract_log_q=False
    )
    np.testing.assert_allclose(framework.to_numpy(got), want, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_a_hit_costs_nothing_in_16_bit_where_tensorflow_gives_nan(framework, name):
    """TF adds −FLT_MAX to a hit, which is −inf in float16, and then 0 · inf = NaN."""
    halves = [d for d in ("float16", "bfloat16") if d in framework.float_dtypes]
    if not halves:
        pytest.skip(f"{framework.name} has no 16-bit floats")
    labels, values = _case(1)
    f32 = _ours(framework, name, labels, values, dtype="float32", remove_accidental_hits=True)
    f32 = framework.to_numpy(f32)
    for half in halves:
        got = _ours(framework, name, labels, values, dtype=half, remove_accidental_hits=True)
        assert got.dtype == framework.dtype("float32")
        np.testing.assert_allclose(framework.to_numpy(got), f32, rtol=3e-2)  # 16-bit inputs
    tf = pytest.importorskip("tensorflow")
    tf_values = (tf.constant(SAMPLED, tf.int64), *(tf.constant(v, tf.float16) for v in values[1:]))
    peer = getattr(tf.nn, LOSSES[name][1])(
        tf.constant(WEIGHTS, tf.float16),
        tf.constant(BIASES, tf.float16),
        tf.constant(labels, tf.int64),
        tf.constant(INPUTS, tf.float16),
        NUM_SAMPLED,
        NUM_CLASSES,
        sampled_values=tf_values,
        remove_accidental_hits=True,
    ).numpy()
    assert np.isnan(peer[0]) and np.isnan(peer[2])  # the rows with a hit


def test_default_sampler_is_seeded(framework):
    labels = framework.array(np.array([3, 17, 0, 39, 8]))  # [batch] is taken for num_true=1
    args = (framework.array(WEIGHTS), framework.array(BIASES), labels, framework.array(INPUTS))
    options = {"num_sampled": 10, "num_classes": NUM_CLASSES, "reduction": "none"}
    first = framework.to_numpy(mlcloss.sampled_softmax_loss(*args, seed=4, **options))
    again = framework.to_numpy(mlcloss.sampled_softmax_loss(*args, seed=4, **options))
    other = framework.to_numpy(mlcloss.sampled_softmax_loss(*args, seed=5, **options))
    assert first.shape == (5,) and np.all(np.isfinite(first)) and np.all(first > 0)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # the same samples, drawn explicitly, give the same loss
    values = mlcloss.log_uniform_candidate_sampler(
        framework.array(np.array([[3], [17], [0], [39], [8]])),
        num_sampled=10,
        range_max=NUM_CLASSES,
        seed=4,
    )
    explicit = mlcloss.sampled_softmax_loss(*args, sampled_values=values, **options)
    np.testing.assert_array_equal(framework.to_numpy(explicit), first)


def test_sampled_values_get_no_gradient(autograd_framework):
    labels, values = _case(1)

    def loss(true_count):
        sampled_values = (
            autograd_framework.array(values[0]),
            true_count,
            autograd_framework.array(values[2]),
        )
        loss = mlcloss.nce_loss(
            autograd_framework.array(WEIGHTS),
            autograd_framework.array(BIASES),
            autograd_framework.array(labels),
            autograd_framework.array(INPUTS),
            num_sampled=NUM_SAMPLED,
            num_classes=NUM_CLASSES,
            sampled_values=sampled_values,
        )
        return loss + 0.0 * autograd_framework.xp.sum(true_count)  # a defined (zero) gradient

    _, grad = autograd_framework.value_and_grad(loss, autograd_framework.array(values[1]))
    np.testing.assert_array_equal(grad, 0.0)


def test_bad_arguments(framework):
    labels, values = _case(1)
    arrays = [framework.array(a) for a in (WEIGHTS, BIASES, labels, INPUTS)]
    sampled_values = tuple(framework.array(v) for v in values)
    options = {"num_sampled": NUM_SAMPLED, "num_classes": NUM_CLASSES}
    loss = mlcloss.sampled_softmax_loss
    with pytest.raises(ValueError, match=r"weights must have shape \[num_classes, dim\]"):
        loss(*arrays, num_sampled=NUM_SAMPLED, num_classes=50, sampled_values=sampled_values)
    with pytest.raises(ValueError, match=r"labels must have shape \[batch, num_true\]"):
        loss(*arrays, num_true=2, sampled_values=sampled_values, **options)
    with pytest.raises(ValueError, match="labels has invalid values"):
        bad = framework.array(np.full((BATCH, 1), NUM_CLASSES))
        loss(arrays[0], arrays[1], bad, arrays[3], sampled_values=sampled_values, **options)
    with pytest.raises(ValueError, match="sampled_candidates has invalid values"):
        bad_values = (framework.array(SAMPLED + 5), *sampled_values[1:])
        loss(*arrays, sampled_values=bad_values, **options)
    with pytest.raises(ValueError, match="sampled_expected_count must have shape"):
        loss(*arrays, sampled_values=(*sampled_values[:2], sampled_values[1]), **options)
    with pytest.raises(TypeError, match="sampled_values must be a tuple"):
        loss(*arrays, sampled_values=sampled_values[:2], **options)
    with pytest.raises(ValueError, match="num_sampled must be a positive int"):
        loss(*arrays, num_sampled=0, num_classes=NUM_CLASSES)
    with pytest.raises(TypeError, match="labels must hold class indices"):
        loss(arrays[0], arrays[1], framework.array(labels * 1.0), arrays[3], **options)
