"""JAX adapter: native logsumexp, softplus, sigmoid, stop_gradient and scatter."""

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

    def softplus(self, x):
        return jax.nn.softplus(x)

    def sigmoid(self, x):
        return jax.nn.sigmoid(x)

    def multi_hot(self, indices, valid, num_classes: int):
        # invalid entries are sent to a sink column that is dropped afterwards
        out = jnp.zeros((*indices.shape[:-1], num_classes + 1), dtype=bool)
        index = jnp.where(valid, indices, num_classes)
        out = jnp.put_along_axis(out, index, True, axis=-1, inplace=False)
        return out[..., :num_classes]

    def is_concrete(self, x) -> bool:
        if isinstance(x, jax.core.Tracer):
            return False
        return all(d.platform == "cpu" for d in x.devices())
