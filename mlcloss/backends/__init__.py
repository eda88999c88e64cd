"""Thin backend adapters, one module per framework.

Each adapter recognises its framework's arrays without importing it and
supplies the few primitives the array API standard lacks (logsumexp,
log-softmax, softplus, sigmoid, stop_gradient, a gather along the classes,
a scatter to build a multi-hot mask, and whether data is concrete enough to
inspect), natively where the framework has them.
:class:`~mlcloss.backends._generic.Backend` is the pure array-API fallback
used for array-api-strict, CuPy, Dask and any other library. No adapter ever
holds a loss formula.
"""

from __future__ import annotations

from ._generic import Backend

_CACHE: dict[str, Backend] = {}


def backend_for(xp) -> Backend:
    """Return the adapter for the namespace ``xp`` (cached per namespace)."""
    key = xp.__name__
    backend = _CACHE.get(key)
    if backend is None:
        backend = _CACHE[key] = _make(key, xp)
    return backend


def _make(key: str, xp) -> Backend:
    if key == "array_api_compat.numpy":
        from .numpy import NumPyBackend

        return NumPyBackend(xp)
    if key == "array_api_compat.torch":
        from .torch import TorchBackend

        return TorchBackend(xp)
    if key == "jax.numpy":
        from .jax import JaxBackend

        return JaxBackend(xp)
    from . import tensorflow

    if key == tensorflow.NAME:
        from .tensorflow import TensorFlowBackend

        return TensorFlowBackend(xp)
    return Backend(xp)
