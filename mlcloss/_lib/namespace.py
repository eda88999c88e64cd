"""Resolve the array-API namespace of a loss's inputs.

NumPy, PyTorch, JAX, CuPy, Dask and array-api-strict go through
array-api-compat; TensorFlow, which array-api-compat does not cover, gets the
small namespace of :mod:`mlcloss.backends.tensorflow`. No framework is
imported here: arrays are recognised by the module of their type, and
array-api-compat itself is imported when the first non-TensorFlow array
arrives: importing the package needs nothing but the standard library.
"""

from __future__ import annotations

import importlib

from ..backends import tensorflow as _tf

_SCALARS = (bool, int, float, complex)


def array_namespace(*arrays):
    """Return the array-API namespace shared by ``arrays``.

    ``None``, Python scalars and Python lists/tuples (hyper-parameters the
    loss converts itself) are ignored. Arrays of two different
    libraries (a torch tensor beside a NumPy array, say) raise ``TypeError``
    naming both, as array-api-compat does: convert one of them first.
    """
    arrays = [
        a
        for a in arrays
        if a is not None and type(a) not in _SCALARS and not isinstance(a, (list, tuple))
    ]
    if not arrays:
        raise TypeError("mlcloss: expected at least one array argument, received none")
    n_tf = sum(_tf.is_tensorflow_array(a) for a in arrays)
    if n_tf:
        if n_tf != len(arrays):
            raise TypeError(_mixed_message(arrays))
        if any(_tf.is_variable(a) for a in arrays):
            raise TypeError(
                "mlcloss: received a tf.Variable; pass tf.convert_to_tensor(variable) "
                "(a GradientTape still differentiates through the read)"
            )
        return _tf.namespace()
    kinds = {type(a) for a in arrays}
    if len(kinds) == 1:  # one array type: its namespace never changes, so remember it
        (kind,) = kinds
        known = _BY_TYPE.get(kind)
        if known is None:
            known = _BY_TYPE[kind] = _compat_namespace(arrays)
        return known
    return _compat_namespace(arrays)


_BY_TYPE = {}  # array type -> namespace: skips array-api-compat's lookup (and, under
# torch.compile, dynamo's warnings about its lru_cache) on every call after the first


def _compat_namespace(arrays):
    try:
        return compat().array_namespace(*arrays)
    except TypeError as error:
        raise TypeError(_mixed_message(arrays)) from error


def _mixed_message(arrays) -> str:
    kinds = sorted({f"{type(a).__module__}.{type(a).__qualname__}" for a in arrays})
    return (
        "mlcloss: all array arguments must come from one array library, received "
        + ", ".join(kinds)
        + "; convert them to one library first (e.g. with that library's asarray)"
    )


def device(x):
    """The device to create arrays on next to ``x`` (for TensorFlow, its device string).

    A JAX array sharded over several devices reports its sharding, which only
    fits arrays of its own shape: constants made next to it (``arange`` of the
    classes) are then left uncommitted (``None``) and JAX places them.
    """
    if _tf.is_tensorflow_array(x):
        return x.device or None
    where = compat().device(x)
    if len(getattr(where, "device_set", ())) > 1:
        return None
    return where


def compat():
    """The array-api-compat module, imported on first use, with a clear error if it is missing.

    A copy vendored beside this package (``yourpackage/_vendor/array_api_compat``
    next to ``yourpackage/_vendor/losses``) is preferred to an installed one.
    """
    if _COMPAT:
        return _COMPAT[0]
    parent = __name__.rsplit(".", 2)[0].rpartition(".")[0]  # the package holding this one
    names = ([f"{parent}.array_api_compat"] if parent else []) + ["array_api_compat"]
    for name in names:
        try:
            _COMPAT.append(importlib.import_module(name))
            return _COMPAT[0]
        except ModuleNotFoundError as error:
            if error.name not in (None, name, "array_api_compat"):
                raise  # a module it needs is missing: that is not "not installed"
    raise ModuleNotFoundError(
        "mlcloss: NumPy, PyTorch, JAX, CuPy, Dask and array-api-strict arrays need "
        "array-api-compat (pip install array-api-compat); only TensorFlow works without it"
    )


_COMPAT = []  # the module, once found
