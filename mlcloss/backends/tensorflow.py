"""TensorFlow adapter: the primitives the array API lacks, natively over tf ops.

Its namespace (``adapter.xp``) is :mod:`mlcloss.backends.tensorflow_namespace`.
Importing this module does not import TensorFlow; building the adapter does.
"""

from __future__ import annotations

import contextlib

from ._generic import Backend


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

    def scan(self, step, carry, xs):
        """Eagerly a Python loop; in a graph (``tf.function``, XLA) one ``tf.while_loop``.

        The first step runs before the loop, so the per-step outputs' dtype
        and shape are known for the ``TensorArray`` that stacks them.
        """
        tf = self._tf
        if tf.executing_eagerly():
            return super().scan(step, carry, xs)
        n = xs[0].shape[0]  # static where known: XLA needs the bound to differentiate the loop
        n = tf.shape(xs[0])[0] if n is None else n
        carry, y0 = step(tuple(carry), tuple(x[0] for x in xs))
        at = lambda t: tuple(tf.gather(x, t) for x in xs)  # noqa: E731
        if y0 is None:

            def body(t, carry):
                return t + 1, tuple(step(carry, at(t))[0])

            start = (tf.constant(1), tuple(carry))
            return tf.while_loop(lambda t, _: t < n, body, start, maximum_iterations=n - 1)[1], None

        def body_with_outputs(t, carry, ys):
            carry, y = step(carry, at(t))
            return t + 1, tuple(carry), ys.write(t, y)

        ys = tf.TensorArray(y0.dtype, size=n, element_shape=y0.shape).write(0, y0)
        start = (tf.constant(1), tuple(carry), ys)
        loop = tf.while_loop(
            lambda t, *_: t < n, body_with_outputs, start, maximum_iterations=n - 1
        )
        _, carry, ys = loop
        return carry, ys.stack()

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
