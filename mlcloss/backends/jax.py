"""JAX adapter: native logsumexp, softplus, sigmoid, stop_gradient, scatter and scan."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._generic import Backend


class JaxBackend(Backend):
    name = "jax"

    def stop_gradient(self, x):
        return jax.lax.stop_gradient(x)

    def logsumexp(self, x, axis: int):
        return jax.nn.logsumexp(x, axis=axis)

    def log_softmax(self, x, axis: int):
        return jax.nn.log_softmax(x, axis=axis)

    def softmax(self, x, axis: int):
        return jax.nn.softmax(x, axis=axis)

    def softplus(self, x):
        return jax.nn.softplus(x)

    def log_sigmoid(self, x):
        return jax.nn.log_sigmoid(x)

    def sigmoid(self, x):
        return jax.nn.sigmoid(x)

    def uniform(self, shape, *, seed, device):
        if seed is None:  # JAX has no global generator: take fresh entropy from the host
            import numpy as np

            seed = int(np.random.default_rng().integers(2**31))
        dtype = jax.dtypes.canonicalize_dtype(jnp.float64)  # float32 unless x64 is enabled
        return jax.random.uniform(jax.random.key(seed), shape, dtype=dtype)

    def multi_hot(self, indices, valid, num_classes: int):
        # invalid entries are sent to a sink column that is dropped afterwards
        out = jnp.zeros((*indices.shape[:-1], num_classes + 1), dtype=bool)
        index = jnp.where(valid, indices, num_classes)
        out = jnp.put_along_axis(out, index, True, axis=-1, inplace=False)
        return out[..., :num_classes]

    def put_rows(self, x, start, values):
        return x.at[start : start + values.shape[0], ...].set(values)

    def is_concrete(self, x) -> bool:
        if isinstance(x, jax.core.Tracer):
            return False
        return all(d.platform == "cpu" for d in x.devices())

    def scan(self, step, carry, xs):
        """``jax.lax.scan`` where the loop is staged out (``jit``, ``vmap``); eagerly a Python
        loop, which dispatches each op as eager JAX does (``grad`` included), where an eager
        ``lax.scan`` would compile its step anew on every call."""
        if all(_concrete(x) for x in (*carry, *xs)):
            return super().scan(step, carry, xs)
        return jax.lax.scan(step, carry, xs)

    def custom_gradient(self, op, inputs):
        return _analytic(op)(*inputs)


def _concrete(x) -> bool:
    """Whether ``x`` holds data: an array, or a differentiation tracer (``grad``, ``vjp``)
    around one; not a tracer of ``jit`` or ``vmap``."""
    while isinstance(x, jax.core.Tracer) and hasattr(x, "primal"):
        x = x.primal
    return not isinstance(x, jax.core.Tracer)


def _analytic(op):
    """``op``'s loss as a ``jax.custom_jvp``: the tangent is the closed-form gradient's contraction.

    A JVP (not a VJP) rule keeps forward mode (``jacfwd``) working, and JAX
    transposes it for reverse mode; the rule is differentiable JAX, so
    second derivatives work. Tangents of the other inputs (soft labels, a
    threshold) that are not symbolically zero go through ``jax.jvp`` of the
    value formula.
    """
    from jax.custom_derivatives import SymbolicZero

    @jax.custom_jvp
    def loss(*inputs):
        return op.forward(*inputs)[0]

    def rule(inputs, tangents):
        tangents = [None if isinstance(d, SymbolicZero) else d for d in tangents]
        out, saved = op.forward(*inputs)
        d_out = jnp.zeros_like(out)
        if any(d is not None for d in tangents[: op.n_primals]):
            d_out = d_out + op.jvp(inputs, saved, tangents[: op.n_primals])
        others = [i for i in range(op.n_primals, len(inputs)) if tangents[i] is not None]
        if others:
            chosen = tuple(inputs[i] for i in others)
            value = op.value_of(inputs, others)
            d_out = d_out + jax.jvp(value, chosen, tuple(tangents[i] for i in others))[1]
        return out, d_out

    loss.defjvp(rule, symbolic_zeros=True)
    return loss
