"""The array-API namespace of TensorFlow tensors: the part of the standard mlcloss uses, over tf ops.

array-api-compat does not cover TensorFlow. This namespace holds exactly the
functions, dtypes and constants that mlcloss's losses, sampler and adapters
call (plus the dtypes ``float16`` and ``bfloat16``); anything else raises
``AttributeError``. TensorFlow never promotes
dtypes implicitly: the binary functions, ``where``, ``concat`` and ``stack``
promote by the standard's table (a Python scalar takes the array's dtype).
``tf.Variable`` inputs are accepted wherever a tensor is. Importing this
module does not import TensorFlow: :func:`namespace` builds the namespace
when the first tensor arrives.
"""

from __future__ import annotations

import contextlib
import types

_SCALARS = (bool, int, float)
_NAMESPACE = []


def namespace():
    """The array-API namespace for TensorFlow tensors (built once)."""
    if not _NAMESPACE:
        _NAMESPACE.append(_TensorFlowNamespace())
    return _NAMESPACE[0]


class _TensorFlowNamespace:
    """The array-API functions mlcloss uses, over TensorFlow ops."""

    __name__ = "mlcloss.backends.tensorflow_namespace"
    is_mlcloss_tensorflow = True  # how mlcloss.backends recognises it
    inf = float("inf")

    def __init__(self):
        import tensorflow as tf

        self._tf = tf
        self.bool, self.int32, self.int64 = tf.bool, tf.int32, tf.int64
        self.float16, self.bfloat16 = tf.float16, tf.bfloat16
        self.float32, self.float64 = tf.float32, tf.float64
        self.abs, self.exp, self.expm1 = tf.math.abs, tf.math.exp, tf.math.expm1
        self.log, self.log1p, self.floor = tf.math.log, tf.math.log1p, tf.math.floor
        self.sign, self.sqrt, self.tanh = tf.math.sign, tf.math.sqrt, tf.math.tanh
        self.sinh, self.cos, self.sin = tf.math.sinh, tf.math.cos, tf.math.sin
        self.isfinite = tf.math.is_finite
        self.maximum = self._promoting(tf.math.maximum)
        self.logaddexp = self._promoting(tf.experimental.numpy.logaddexp)
        self.matmul = self._promoting(tf.linalg.matmul)

    def __getattr__(self, name):
        raise AttributeError(
            f"mlcloss's TensorFlow namespace has no {name!r}: it holds only the "
            "array-API functions mlcloss uses; call tf directly"
        )

    # -- dtypes ------------------------------------------------------------
    def isdtype(self, dtype, kind) -> bool:
        """``kind``: "bool", "integral", "real floating", or a tuple of these."""
        if isinstance(kind, tuple):
            return any(self.isdtype(dtype, k) for k in kind)
        dtype = self._tf.as_dtype(dtype)
        if kind == "bool":
            return dtype == self._tf.bool
        if kind == "integral":
            return dtype.is_integer
        if kind == "real floating":
            return dtype.is_floating
        raise ValueError(f"isdtype: unknown kind {kind!r}")

    def finfo(self, dtype):
        """Float limits as Python floats (bits, eps, max, min, smallest_normal, dtype)."""
        import ml_dtypes  # a TensorFlow dependency; its finfo knows bfloat16

        dtype = self._tf.as_dtype(dtype)
        info = ml_dtypes.finfo(dtype.as_numpy_dtype)
        return types.SimpleNamespace(
            bits=int(info.bits),
            eps=float(info.eps),
            max=float(info.max),
            min=float(info.min),
            smallest_normal=float(info.smallest_normal),
            dtype=dtype,
        )

    def astype(self, x, dtype, /):
        return self._tf.cast(x, dtype)

    # -- creation ----------------------------------------------------------
    def asarray(self, obj, /, *, dtype=None, device=None):
        """A tensor of ``obj``; a Python float alone becomes float32 (the default float)."""
        tf = self._tf
        with self._on(device):
            if isinstance(obj, (tf.Tensor, tf.Variable)):
                obj = tf.convert_to_tensor(obj)
                return obj if dtype is None or obj.dtype == dtype else tf.cast(obj, dtype)
            if dtype is None and isinstance(obj, float):
                dtype = tf.float32
            return tf.convert_to_tensor(obj, dtype=dtype)

    def arange(self, start, /, stop=None, step=1, *, dtype=None, device=None):
        """``tf.range``; int64 unless ``dtype`` says otherwise."""
        if stop is None:
            start, stop = 0, start
        with self._on(device):
            return self._tf.range(start, stop, step, dtype=dtype or self._tf.int64)

    def zeros(self, shape, *, dtype=None, device=None):
        with self._on(device):
            return self._tf.zeros(shape, dtype=dtype or self._tf.float32)

    def ones(self, shape, *, dtype=None, device=None):
        with self._on(device):
            return self._tf.ones(shape, dtype=dtype or self._tf.float32)

    def zeros_like(self, x, /, *, dtype=None):
        return self._tf.zeros_like(x, dtype=dtype)

    def ones_like(self, x, /, *, dtype=None):
        return self._tf.ones_like(x, dtype=dtype)

    def full_like(self, x, /, fill_value):
        tf = self._tf
        return tf.fill(tf.shape(x), tf.constant(fill_value, dtype=x.dtype))

    # -- manipulation ------------------------------------------------------
    def reshape(self, x, /, shape):
        return self._tf.reshape(x, shape)

    def broadcast_to(self, x, /, shape):
        shape = tuple(shape)
        if tuple(x.shape) == shape:
            return x
        return self._tf.broadcast_to(x, shape)

    def moveaxis(self, x, source: int, destination: int, /):
        ndim = x.shape.rank  # a tf.Variable has no .ndim
        order = [i for i in range(ndim) if i != source % ndim]
        order.insert(destination % ndim, source % ndim)
        return self._tf.transpose(x, order)

    def matrix_transpose(self, x, /):
        return self._tf.linalg.matrix_transpose(x)

    def squeeze(self, x, /, axis):
        return self._tf.squeeze(x, axis=axis)

    def expand_dims(self, x, /, *, axis=0):
        return self._tf.expand_dims(x, axis)

    def concat(self, arrays, /, *, axis=0):
        return self._tf.concat(self._promote(*arrays), axis=axis)

    def stack(self, arrays, /, *, axis=0):
        return self._tf.stack(self._promote(*arrays), axis=axis)

    def take(self, x, indices, /, *, axis=None):
        """``tf.gather``; ``axis=None`` (a 1-d ``x``) is axis 0."""
        return self._tf.gather(x, indices, axis=axis)

    def take_along_axis(self, x, indices, /, *, axis=-1):
        tf = self._tf
        last = x.shape.rank - 1
        axis = axis % (last + 1)
        if axis != last:
            x, indices = self.moveaxis(x, axis, -1), self.moveaxis(indices, axis, -1)
        out = tf.gather(x, indices, axis=last, batch_dims=last)
        return out if axis == last else self.moveaxis(out, -1, axis)

    def argmax(self, x, /, *, axis=None, keepdims=False):
        """``tf.math.argmax`` (int64, the first of equal maxima); ``axis=None`` flattens ``x``."""
        tf = self._tf
        if axis is None:
            x, axis = tf.reshape(x, [-1]), 0
        out = tf.math.argmax(x, axis=axis)
        return tf.expand_dims(out, axis) if keepdims else out

    def flip(self, x, /, *, axis=None):
        """``tf.reverse`` along ``axis`` (an int; None: every axis)."""
        axes = list(range(x.shape.rank)) if axis is None else [axis]
        return self._tf.reverse(x, axes)

    def argsort(self, x, /, *, axis=-1, stable=True):
        return self._tf.argsort(x, axis=axis, stable=stable)

    def sort(self, x, /, *, axis=-1, descending=False, stable=True):
        return self._tf.sort(x, axis=axis, direction="DESCENDING" if descending else "ASCENDING")

    def cumulative_sum(self, x, /, *, axis=None):
        """``tf.cumsum``; ``axis=None`` (a 1-d ``x``) is the last axis."""
        return self._tf.cumsum(x, axis=-1 if axis is None else axis)

    def clip(self, x, /, min=None, max=None):
        """``min`` and ``max`` are Python scalars, cast to ``x``'s dtype."""
        tf = self._tf
        if min is not None:
            x = tf.maximum(x, tf.constant(min, dtype=x.dtype))
        if max is not None:
            x = tf.minimum(x, tf.constant(max, dtype=x.dtype))
        return x

    def where(self, condition, x1, x2, /):
        return self._tf.where(condition, *self._promote(x1, x2))

    # -- reductions --------------------------------------------------------
    def sum(self, x, /, *, axis=None, keepdims=False):
        """``tf.reduce_sum``; booleans are counted in int64."""
        if x.dtype == self._tf.bool:
            x = self._tf.cast(x, self._tf.int64)
        return self._tf.reduce_sum(x, axis=axis, keepdims=keepdims)

    def max(self, x, /, *, axis=None, keepdims=False):
        return self._tf.reduce_max(x, axis=axis, keepdims=keepdims)

    def min(self, x, /, *, axis=None, keepdims=False):
        return self._tf.reduce_min(x, axis=axis, keepdims=keepdims)

    def any(self, x, /, *, axis=None, keepdims=False):
        return self._tf.reduce_any(self._as_bool(x), axis=axis, keepdims=keepdims)

    def all(self, x, /, *, axis=None, keepdims=False):
        return self._tf.reduce_all(self._as_bool(x), axis=axis, keepdims=keepdims)

    # -- helpers -----------------------------------------------------------
    def _as_bool(self, x):
        return x if x.dtype == self._tf.bool else self._tf.not_equal(x, 0)

    def _result_type(self, *arrays):
        """The standard's promotion of the arrays' dtypes; bfloat16 joins float32 and float64 only."""
        import numpy as np

        tf = self._tf
        dtypes = [tf.as_dtype(a.dtype) for a in arrays]
        if all(d == dtypes[0] for d in dtypes):
            return dtypes[0]
        if any(d == tf.bfloat16 for d in dtypes):
            others = [d for d in dtypes if d != tf.bfloat16]
            if all(d.is_floating and d.size >= 4 for d in others):
                return max(others, key=lambda d: d.size)
            raise TypeError(f"mlcloss: no promotion between {', '.join(map(str, dtypes))}")
        return tf.as_dtype(np.result_type(*(d.as_numpy_dtype for d in dtypes)))

    def _promote(self, *args):
        """The arrays cast to their common dtype; Python scalars take that dtype."""
        tf = self._tf
        arrays = [a for a in args if not isinstance(a, _SCALARS)]
        if not arrays:
            return [tf.constant(a) for a in args]
        dtype = self._result_type(*arrays)
        return [
            tf.constant(a, dtype=dtype)
            if isinstance(a, _SCALARS)
            else (a if a.dtype == dtype else tf.cast(a, dtype))
            for a in args
        ]

    def _promoting(self, fn):
        def wrapped(x1, x2, /):
            return fn(*self._promote(x1, x2))

        wrapped.__name__ = getattr(fn, "__name__", "binary")
        return wrapped

    def _on(self, device):
        return self._tf.device(device) if device else contextlib.nullcontext()
