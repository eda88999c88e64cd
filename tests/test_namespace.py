"""Namespace resolution, and the TensorFlow namespace checked function by function against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from mlcloss import array_namespace


def test_namespace_is_resolved_for_every_framework(xp):
    a = xp.array(np.ones((2, 3)))
    ns = array_namespace(a, None, 1.5, xp.array(np.zeros(3)))
    assert ns is xp.xp
    assert ns.isdtype(a.dtype, "real floating")


def test_no_array_is_an_error():
    with pytest.raises(TypeError, match="at least one array"):
        array_namespace(None, 1.0)


@pytest.fixture
def tfns():
    pytest.importorskip("tensorflow")
    from mlcloss.testing import FRAMEWORKS

    FRAMEWORKS["tensorflow"].setup()
    return FRAMEWORKS["tensorflow"]


def test_tensorflow_mixed_with_numpy_is_refused(tfns):
    with pytest.raises(TypeError, match="one array library.*numpy.*tensorflow"):
        array_namespace(tfns.array(np.ones(2)), np.ones(2))


def test_a_tensorflow_variable_is_read_and_differentiated(tfns):
    """tf.nn takes variables: so does every loss, and a tape watching one gets its gradient."""
    import tensorflow as tf

    import mlcloss

    variable = tf.Variable(np.zeros((2, 3)))
    with tf.GradientTape() as tape:
        loss = mlcloss.softmax_cross_entropy(variable, tf.constant([0, 1]))
    np.testing.assert_allclose(tape.gradient(loss, variable).numpy()[0], [-1 / 3, 1 / 6, 1 / 6])


def test_a_python_list_names_the_argument():
    import mlcloss

    with pytest.raises(TypeError, match="logits must be an array.*received list"):
        mlcloss.softmax_cross_entropy([[0.0, 1.0]], np.array([0]))
    with pytest.raises(TypeError, match="labels must be an array.*received list"):
        mlcloss.sigmoid_cross_entropy(np.zeros((1, 2)), [[0.0, 1.0]])


def test_tensorflow_namespace_matches_numpy(tfns):
    tf_xp = tfns.xp
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5))
    idx = rng.integers(0, 5, size=(3, 4, 2))
    t = tfns.array

    def same(got, want):
        np.testing.assert_allclose(tfns.to_numpy(got), want, rtol=1e-12)

    same(tf_xp.moveaxis(t(x), 0, -1), np.moveaxis(x, 0, -1))
    same(tf_xp.moveaxis(t(x), 2, 0), np.moveaxis(x, 2, 0))
    same(tf_xp.take_along_axis(t(x), t(idx), axis=-1), np.take_along_axis(x, idx, axis=-1))
    idx1 = rng.integers(0, 4, size=(3, 2, 5))
    same(tf_xp.take_along_axis(t(x), t(idx1), axis=1), np.take_along_axis(x, idx1, axis=1))
    same(tf_xp.where(t(x > 0), t(x), -np.inf), np.where(x > 0, x, -np.inf))
    same(tf_xp.where(t(x > 0), 0.5, t(x)), np.where(x > 0, 0.5, x))
    same(tf_xp.max(t(x), axis=1, keepdims=True), x.max(axis=1, keepdims=True))
    same(tf_xp.sum(t(x > 0)), np.sum(x > 0))
    same(tf_xp.any(t(x > 2), axis=-1), np.any(x > 2, axis=-1))
    same(tf_xp.squeeze(t(x[:, :1]), axis=1), x[:, 0])
    same(tf_xp.broadcast_to(t(x[:1]), (3, 4, 5)), np.broadcast_to(x[:1], (3, 4, 5)))
    same(tf_xp.full_like(t(x), 2.0), np.full_like(x, 2.0))
    same(tf_xp.arange(5), np.arange(5))
    same(tf_xp.log1p(tf_xp.exp(t(x))), np.log1p(np.exp(x)))
    # explicit promotion, which TensorFlow itself refuses
    mixed = tf_xp.maximum(t(x.astype(np.float32)), t(x))
    assert mixed.dtype == tf_xp.float64
    same(mixed, np.maximum(x.astype(np.float32), x))
    assert tf_xp.astype(t(x), tf_xp.float32).dtype == tf_xp.float32
    assert tf_xp.isdtype(tf_xp.bfloat16, "real floating")
    assert tf_xp.isdtype(tf_xp.int32, ("bool", "integral"))
    assert not tf_xp.isdtype(tf_xp.bool, "numeric")
    assert tf_xp.finfo(tf_xp.float16).max == np.finfo(np.float16).max
