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

    def is_concrete(self, x) -> bool:
        if isinstance(x, jax.core.Tracer):
            return False
        return all(d.platform == "cpu" for d in x.devices())
