"""Namespace resolution, and the TensorFlow namespace checked function by function against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from mlcloss import array_namespace


def test_namespace_is_resolved_for_every_framework(framework):
    a = framework.array(np.ones((2, 3)))
    ns = array_namespace(a, None, 1.5, framework.array(np.zeros(3)))
    assert ns is framework.xp
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
    """Every function of the namespace, against NumPy, on tensors and on a ``tf.Variable``."""
    import tensorflow as tf

    tf_xp = tfns.xp
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5))
    idx = rng.integers(0, 5, size=(3, 4, 2))
    idx1 = rng.integers(0, 4, size=(3, 2, 5))
    t = tfns.array

    def same(got, want):
        assert isinstance(got, tf.Tensor), type(got)
        np.testing.assert_allclose(tfns.to_numpy(got), want, rtol=1e-12)

    for a in (t(x), tf.Variable(x)):  # a variable is read wherever a tensor is
        same(tf_xp.moveaxis(a, 0, -1), np.moveaxis(x, 0, -1))
        same(tf_xp.moveaxis(a, 2, 0), np.moveaxis(x, 2, 0))
        same(tf_xp.take_along_axis(a, t(idx), axis=-1), np.take_along_axis(x, idx, axis=-1))
        same(tf_xp.take_along_axis(a, t(idx1), axis=1), np.take_along_axis(x, idx1, axis=1))
        same(tf_xp.asarray(a), x)
        same(tf_xp.full_like(a, 2.0), np.full_like(x, 2.0))
    for name in ("abs", "exp", "expm1", "floor", "sign"):
        same(getattr(tf_xp, name)(t(x)), getattr(np, name)(x))
    for name in ("log", "log1p"):
        same(getattr(tf_xp, name)(t(np.abs(x))), getattr(np, name)(np.abs(x)))
    same(tf_xp.logaddexp(t(x), t(x[::-1])), np.logaddexp(x, x[::-1]))
    same(tf_xp.matmul(t(x), tf_xp.matrix_transpose(t(x))), x @ np.swapaxes(x, -1, -2))
    same(tf_xp.where(t(x > 0), t(x), -tf_xp.inf), np.where(x > 0, x, -np.inf))
    same(tf_xp.where(t(x > 0), 0.5, t(x)), np.where(x > 0, 0.5, x))
    same(tf_xp.clip(t(x), min=-0.5, max=0.5), np.clip(x, -0.5, 0.5))
    for name in ("sum", "max", "min"):
        same(
            getattr(tf_xp, name)(t(x), axis=1, keepdims=True),
            getattr(np, name)(x, 1, keepdims=True),
        )
        same(getattr(tf_xp, name)(t(x)), getattr(np, name)(x))
    same(tf_xp.sum(t(x > 0)), np.sum(x > 0))
    assert tf_xp.sum(t(x > 0)).dtype == tf.int64
    same(tf_xp.any(t(x > 2), axis=-1), np.any(x > 2, axis=-1))
    same(tf_xp.all(t(x), keepdims=True), np.all(x, keepdims=True))  # numbers: nonzero is True
    same(tf_xp.squeeze(t(x[:, :1]), axis=1), x[:, 0])
    same(tf_xp.expand_dims(t(x), axis=1), x[:, None])
    same(tf_xp.reshape(t(x), (-1, 5)), x.reshape(-1, 5))
    same(tf_xp.broadcast_to(t(x[:1]), (3, 4, 5)), np.broadcast_to(x[:1], (3, 4, 5)))
    same(tf_xp.concat([t(x), t(x[:1])], axis=0), np.concatenate([x, x[:1]]))
    same(tf_xp.stack([t(x), t(x)], axis=-1), np.stack([x, x], axis=-1))
    flat = rng.integers(0, 4, size=9)
    same(tf_xp.argsort(t(flat), stable=True), np.argsort(flat, stable=True))
    same(tf_xp.take(t(flat), t(np.array([3, 0, 3]))), flat[[3, 0, 3]])
    same(tf_xp.take(t(x), t(np.array([2, 0])), axis=-1), x[..., [2, 0]])
    same(tf_xp.cumulative_sum(t(flat)), np.cumsum(flat))
    same(tf_xp.arange(5), np.arange(5))
    assert tf_xp.arange(5).dtype == tf_xp.int64
    same(tf_xp.arange(3, -1, -1, dtype=tf_xp.float64), np.arange(3, -1, -1.0))
    same(tf_xp.zeros((2, 3)), np.zeros((2, 3)))
    same(tf_xp.ones((2,), dtype=tf_xp.bool), np.ones(2, bool))
    same(tf_xp.zeros_like(t(x), dtype=tf_xp.int32), np.zeros_like(x, np.int32))
    same(tf_xp.ones_like(t(x)), np.ones_like(x))
    assert tf_xp.asarray(0.5).dtype == tf_xp.float32  # the default float
    assert tf_xp.asarray([1, 2], dtype=tf_xp.float64).dtype == tf_xp.float64
    assert tf_xp.asarray(t(x), dtype=tf_xp.float32).dtype == tf_xp.float32

    # explicit promotion, which TensorFlow itself refuses
    mixed = tf_xp.maximum(t(x.astype(np.float32)), t(x))
    assert mixed.dtype == tf_xp.float64
    same(mixed, np.maximum(x.astype(np.float32), x))
    assert tf_xp.where(t(x > 0), 1, t(x.astype(np.float32))).dtype == tf_xp.float32
    assert tf_xp.concat([t(np.ones(2, np.int32)), t(np.ones(2))]).dtype == tf_xp.float64
    half = t(np.ones(2), dtype="bfloat16")
    assert tf_xp.maximum(half, t(np.ones(2, np.float32))).dtype == tf_xp.float32
    with pytest.raises(TypeError, match="no promotion"):
        tf_xp.maximum(half, t(np.ones(2, np.float16)))
    assert tf_xp.astype(t(x), tf_xp.float32).dtype == tf_xp.float32
    assert tf_xp.isdtype(tf_xp.bfloat16, "real floating")
    assert tf_xp.isdtype(tf_xp.int32, ("bool", "integral"))
    assert not tf_xp.isdtype(tf_xp.bool, ("integral", "real floating"))
    assert tf_xp.isdtype(tf_xp.bool, "bool")
    with pytest.raises(ValueError, match="unknown kind"):
        tf_xp.isdtype(tf_xp.int32, "numeric")
    for dtype, np_dtype in ((tf_xp.float16, np.float16), (tf_xp.float64, np.float64)):
        info = tf_xp.finfo(dtype)
        assert (info.max, info.eps, info.bits) == (
            np.finfo(np_dtype).max,
            np.finfo(np_dtype).eps,
            np.finfo(np_dtype).bits,
        )
        assert info.dtype == dtype
    assert tf_xp.finfo(tf_xp.bfloat16).max == float(tf.bfloat16.max)
    assert tf_xp.finfo(tf_xp.bfloat16).eps == 2.0**-7


def _names_used_on_namespaces():
    """Every ``xp.<name>`` (also ``self.xp.<name>``) in mlcloss's source."""
    import ast
    from pathlib import Path

    import mlcloss

    names = set()
    for path in Path(mlcloss.__file__).parent.rglob("*.py"):
        if path.name == "tensorflow_namespace.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                owner = node.value
                if (isinstance(owner, ast.Name) and owner.id == "xp") or (
                    isinstance(owner, ast.Attribute) and owner.attr == "xp"
                ):
                    names.add(node.attr)
    return names


def test_the_tensorflow_namespace_holds_what_mlcloss_uses(tfns):
    """Each name mlcloss calls on a namespace is there, and nothing else but the 16-bit dtypes."""
    tf_xp = tfns.xp
    used = _names_used_on_namespaces()
    public = {n for n in dir(tf_xp) if not n.startswith("_")} - {"is_mlcloss_tensorflow"}
    assert sorted(used - public - {"__name__"}) == []
    assert sorted(public - used) == ["bfloat16", "float16"]
    with pytest.raises(AttributeError, match="no 'mean'.*only the array-API functions"):
        tf_xp.mean  # noqa: B018
