"""TensorFlow adapter: a small array-API namespace over tf ops, and native primitives.

array-api-compat does not cover TensorFlow, so this module carries the
subset of the standard that mlcloss's core uses, written over ``tf`` ops.
TensorFlow never promotes dtypes implicitly; the namespace promotes
explicitly, following the standard's promotion table (Python scalars take the
array's dtype). Importing this module does not import TensorFlow: the
namespace is built when the first TensorFlow tensor arrives.
"""

from __future__ import annotations

import contextlib

from ._generic import Backend

_SCALARS = (bool, int, float)
_NAMESPACE = []


def namespace():
    """The array-API namespace for TensorFlow tensors (built once)."""
    if not _NAMESPACE:
        _NAMESPACE.append(_TensorFlowNamespace())
    return _NAMESPACE[0]


class TensorFlowBackend(Backend):
    name = "tensorflow"

    def __init__(self, xp):
        super().__init__(xp)
        import tensorflow as tf

        self._tf = tf

    def stop_gradient(self, x):
        return self._tf.stop_gradient(x)

    def logsumexp(self, x, axis: int):
        return self._tf.reduce_logsumexp(x, axis=axis)

    def log_softmax(self, x, axis: int):
        return self._tf.nn.log_softmax(x, axis=axis)

    def softmax(self, x, axis: int):
        return self._tf.nn.softmax(x, axis=axis)

    def softplus(self, x):
        return self._tf.math.softplus(x)

    def log_sigmoid(self, x):
        return self._tf.math.log_sigmoid(x)

    def sigmoid(self, x):
        return self._tf.math.sigmoid(x)

    def uniform(self, shape, *, seed, device):
        tf = self._tf
        with tf.device(device) if device else contextlib.nullcontext():
            if seed is None:
                return tf.random.uniform(shape, dtype=tf.float64)
            # Philox by name: "auto_select" draws other numbers under XLA
            return tf.random.stateless_uniform(
                shape, seed=[seed, 0], dtype=tf.float64, alg="philox"
            )

    def scatter_add_last(self, x, indices, values):
        tf = self._tf
        shape = tf.shape(x)
        flat = tf.reshape(x, tf.stack([-1, shape[-1]]))
        k = tf.shape(indices)[-1]
        rows = tf.repeat(tf.range(tf.shape(flat, out_type=tf.int64)[0]), k)
        columns = tf.reshape(tf.cast(indices, tf.int64), [-1])
        updates = tf.reshape(tf.broadcast_to(values, tf.shape(indices)), [-1])
        out = tf.tensor_scatter_nd_add(flat, tf.stack([rows, columns], axis=1), updates)
        return tf.reshape(out, shape)

    def custom_gradient(self, op, inputs):
        """The loss as a ``tf.custom_gradient`` of the primal inputs; the others get no gradient.

        The gradient function reuses the forward's statistics unless a tape
        is recording it (a second derivative): the eager forward of a custom
        gradient is not recorded, so then the statistics are recomputed from
        the inputs where the enclosing tape sees them.
        """
        n = op.n_primals
        rest = tuple(inputs[n:])

        @self._tf.custom_gradient
        def loss(*primals):
            out, saved = op.forward(*primals, *rest)

            def gradient(g):
                stats = op.forward(*primals, *rest)[1] if _recording() else saved
                return list(op.vjp((*primals, *rest), stats, g))

            return out, gradient

        return loss(*inputs[:n])

    def is_concrete(self, x) -> bool:
        tf = self._tf
        return tf.executing_eagerly() and hasattr(x, "numpy") and "GPU" not in x.device


def _recording() -> bool:
    """Whether a tape may record the current operations (TF's internal query; True if absent)."""
    try:
        from tensorflow.python.eager import record
    except ImportError:  # pragma: no cover - a TF without the module: always recompute
        return True
    return record.could_possibly_record()


class _Finfo:
    def __init__(self, np_finfo, dtype):
        self.bits = np_finfo.bits
        self.eps = float(np_finfo.eps)
        self.max = float(np_finfo.max)
        self.min = float(np_finfo.min)
        self.smallest_normal = float(np_finfo.smallest_normal)
        self.dtype = dtype


class _TensorFlowNamespace:
    """The array-API functions mlcloss uses, over TensorFlow ops."""

    __name__ = "mlcloss.backends.tensorflow"
    is_mlcloss_tensorflow = True  # how mlcloss.backends recognises it
    __array_api_version__ = "2024.12"

    def __init__(self):
        import tensorflow as tf

        self._tf = tf
        self.bool = tf.bool
        self.int8, self.int16, self.int32, self.int64 = tf.int8, tf.int16, tf.int32, tf.int64
        self.uint8 = tf.uint8
        self.float16, self.bfloat16 = tf.float16, tf.bfloat16
        self.float32, self.float64 = tf.float32, tf.float64
        self.e, self.pi = 2.718281828459045, 3.141592653589793
        self.inf, self.nan = float("inf"), float("nan")
        self.newaxis = None
        unary = {
            "abs": tf.math.abs,
            "exp": tf.math.exp,
            "expm1": tf.math.expm1,
            "log": tf.math.log,
            "log1p": tf.math.log1p,
            "floor": tf.math.floor,
            "sqrt": tf.math.sqrt,
            "tanh": tf.math.tanh,
            "negative": tf.math.negative,
            "sign": tf.math.sign,
            "isnan": tf.math.is_nan,
            "isinf": tf.math.is_inf,
            "isfinite": tf.math.is_finite,
            "logical_not": tf.math.logical_not,
        }
        for name, fn in unary.items():
            setattr(self, name, fn)
        binary = {
            "add": tf.math.add,
            "subtract": tf.math.subtract,
            "multiply": tf.math.multiply,
            "divide": tf.math.truediv,
            "maximum": tf.math.maximum,
            "minimum": tf.math.minimum,
            "pow": tf.math.pow,
            "equal": tf.math.equal,
            "not_equal": tf.math.not_equal,
            "less": tf.math.less,
            "less_equal": tf.math.less_equal,
            "greater": tf.math.greater,
            "greater_equal": tf.math.greater_equal,
            "logaddexp": tf.experimental.numpy.logaddexp,
            "logical_and": tf.math.logical_and,
            "logical_or": tf.math.logical_or,
            "matmul": tf.linalg.matmul,
        }
        for name, fn in binary.items():
            setattr(self, name, self._promoting(fn))

    # -- dtypes ------------------------------------------------------------
    def isdtype(self, dtype, kind) -> bool:
        if isinstance(kind, tuple):
            return any(self.isdtype(dtype, k) for k in kind)
        if not isinstance(kind, str):
            return dtype == kind
        dtype = self._tf.as_dtype(dtype)
        checks = {
            "bool": dtype == self._tf.bool,
            "signed integer": dtype.is_integer and not dtype.is_unsigned,
            "unsigned integer": dtype.is_integer and dtype.is_unsigned,
            "integral": dtype.is_integer,
            "real floating": dtype.is_floating,
            "complex floating": dtype.is_complex,
            "numeric": dtype.is_integer or dtype.is_floating or dtype.is_complex,
        }
        if kind not in checks:
            raise ValueError(f"isdtype: unknown kind {kind!r}")
        return checks[kind]

    def finfo(self, dtype):
        import numpy as np

        dtype = self._tf.as_dtype(dtype)
        np_dtype = np.float32 if dtype == self._tf.bfloat16 else dtype.as_numpy_dtype
        info = _Finfo(np.finfo(np_dtype), dtype)
        if dtype == self._tf.bfloat16:
            info.bits, info.eps = 16, 2.0**-7
            info.max, info.min, info.smallest_normal = 3.3895314e38, -3.3895314e38, 2.0**-126
        return info

    def result_type(self, *args):
        import numpy as np

        tf = self._tf
        dtypes = [a.dtype for a in args if not isinstance(a, _SCALARS)]
        dtypes = [tf.as_dtype(d) for d in dtypes]
        if not dtypes:
            raise TypeError("result_type needs at least one array or dtype")
        if all(d == dtypes[0] for d in dtypes):
            return dtypes[0]
        if any(d == tf.bfloat16 for d in dtypes):
            others = [d for d in dtypes if d != tf.bfloat16]
            if all(d.is_floating and d.size >= 4 for d in others):
                return max(others, key=lambda d: d.size)
            raise TypeError(f"mlcloss: no promotion between {', '.join(map(str, dtypes))}")
        promoted = np.result_type(*(d.as_numpy_dtype for d in dtypes))
        return tf.as_dtype(promoted)

    def astype(self, x, dtype, /, *, copy=True, device=None):
        return self._tf.cast(x, dtype)

    # -- creation ----------------------------------------------------------
    def asarray(self, obj, /, *, dtype=None, device=None, copy=None):
        tf = self._tf
        with self._on(device):
            if isinstance(obj, (tf.Tensor, tf.Variable)):
                return obj if dtype is None or obj.dtype == dtype else tf.cast(obj, dtype)
            if dtype is None and isinstance(obj, float):
                dtype = tf.float32
            return tf.convert_to_tensor(obj, dtype=dtype)

    def arange(self, start, /, stop=None, step=1, *, dtype=None, device=None):
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

    def full(self, shape, fill_value, *, dtype=None, device=None):
        with self._on(device):
            return self._tf.fill(shape, self._tf.constant(fill_value, dtype=dtype))

    def zeros_like(self, x, /, *, dtype=None, device=None):
        return self._tf.zeros_like(x, dtype=dtype)

    def ones_like(self, x, /, *, dtype=None, device=None):
        return self._tf.ones_like(x, dtype=dtype)

    def full_like(self, x, /, fill_value, *, dtype=None, device=None):
        tf = self._tf
        return tf.fill(tf.shape(x), tf.constant(fill_value, dtype=dtype or x.dtype))

    # -- manipulation ------------------------------------------------------
    def reshape(self, x, /, shape, *, copy=None):
        return self._tf.reshape(x, shape)

    def broadcast_to(self, x, /, shape):
        shape = tuple(shape)
        if tuple(x.shape) == shape:
            return x
        return self._tf.broadcast_to(x, shape)

    def moveaxis(self, x, source, destination, /):
        order = [i for i in range(x.ndim) if i != source % x.ndim]
        order.insert(destination % x.ndim, source % x.ndim)
        return self._tf.transpose(x, order)

    def matrix_transpose(self, x, /):
        return self._tf.linalg.matrix_transpose(x)

    def squeeze(self, x, /, axis):
        return self._tf.squeeze(x, axis=axis)

    def expand_dims(self, x, /, *, axis=0):
        return self._tf.expand_dims(x, axis)

    def concat(self, arrays, /, *, axis=0):
        arrays = self._promote(*arrays)
        return self._tf.concat(arrays, axis=axis)

    def stack(self, arrays, /, *, axis=0):
        arrays = self._promote(*arrays)
        return self._tf.stack(arrays, axis=axis)

    def take_along_axis(self, x, indices, /, *, axis=-1):
        tf = self._tf
        axis = axis % x.ndim
        last = x.ndim - 1
        if axis != last:
            x, indices = self.moveaxis(x, axis, -1), self.moveaxis(indices, axis, -1)
        out = tf.gather(x, indices, axis=last, batch_dims=last)
        return out if axis == last else self.moveaxis(out, -1, axis)

    def argsort(self, x, /, *, axis=-1, descending=False, stable=True):
        direction = "DESCENDING" if descending else "ASCENDING"
        return self._tf.argsort(x, axis=axis, direction=direction, stable=stable)

    def cumulative_sum(self, x, /, *, axis=None, dtype=None, include_initial=False):
        if dtype is not None:
            x = self._tf.cast(x, dtype)
        return self._tf.cumsum(x, axis=-1 if axis is None else axis)

    def take(self, x, indices, /, *, axis=None):
        return self._tf.gather(x, indices, axis=axis)

    def clip(self, x, /, min=None, max=None):
        tf = self._tf
        if min is not None:
            x = tf.maximum(x, tf.constant(min, dtype=x.dtype))
        if max is not None:
            x = tf.minimum(x, tf.constant(max, dtype=x.dtype))
        return x

    def where(self, condition, x1, x2, /):
        x1, x2 = self._promote(x1, x2)
        return self._tf.where(condition, x1, x2)

    # -- reductions --------------------------------------------------------
    def sum(self, x, /, *, axis=None, dtype=None, keepdims=False):
        if dtype is None and x.dtype == self._tf.bool:
            dtype = self._tf.int64
        if dtype is not None:
            x = self._tf.cast(x, dtype)
        return self._tf.reduce_sum(x, axis=axis, keepdims=keepdims)

    def mean(self, x, /, *, axis=None, keepdims=False):
        return self._tf.reduce_mean(x, axis=axis, keepdims=keepdims)

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

    def _promote(self, *args):
        """Cast arrays to their common dtype; Python scalars take that dtype."""
        tf = self._tf
        arrays = [a for a in args if not isinstance(a, _SCALARS)]
        if not arrays:
            return [tf.constant(a) for a in args]
        dtype = self.result_type(*arrays)
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
