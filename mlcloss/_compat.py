"""What mlcloss needs to know about array libraries before it imports any: the leaf module.

Recognising a TensorFlow tensor, importing array-api-compat (a vendored copy
first) and finding the device to create constants on. It imports nothing of
mlcloss and no framework, so every other module may import it.
"""

from __future__ import annotations

import importlib
import sys


def is_tensorflow_array(x) -> bool:
    """True for a ``tf.Tensor`` or ``tf.Variable``, without importing TensorFlow."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(x, (tf.Tensor, tf.Variable))


def is_tensorflow_variable(x) -> bool:
    """True for a ``tf.Variable`` (without importing TensorFlow)."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(x, tf.Variable)


def compat():
    """The array-api-compat module, imported on first use, with a clear error if it is missing.

    A copy vendored beside this package (``yourpackage/_vendor/array_api_compat``
    next to ``yourpackage/_vendor/losses``) is preferred to an installed one.
    """
    if _COMPAT:
        return _COMPAT[0]
    parent = __name__.rpartition(".")[0].rpartition(".")[0]  # the package holding mlcloss
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


def device(x):
    """The device to create arrays on next to ``x`` (for TensorFlow, its device string).

    A JAX array sharded over several devices reports its sharding, which only
    fits arrays of its own shape: constants made next to it (``arange`` of the
    classes) are then left uncommitted (``None``) and JAX places them.
    """
    if is_tensorflow_array(x):
        return x.device or None
    where = compat().device(x)
    if len(getattr(where, "device_set", ())) > 1:
        return None
    return where
