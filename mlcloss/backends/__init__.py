"""Thin backend adapters, one module per framework, and the one lookup that finds them.

Each adapter carries its library's array-API namespace (``adapter.xp``) and
supplies the few primitives the standard lacks (logsumexp, log-softmax,
softplus, sigmoid, stop_gradient, a gather along the classes, a scatter to
build a multi-hot mask, and whether data is concrete enough to inspect),
natively where the framework has them.
:class:`~mlcloss.backends._generic.Backend` is the pure array-API fallback
used for array-api-strict, CuPy, Dask and any other library. No adapter ever
holds a loss formula.

A loss finds its adapter through :class:`Inputs`: one call per loss call,
answered from a dictionary keyed by the array type after the first call with
that type. Adapters are chosen by asking array-api-compat which library a
namespace belongs to (``is_torch_namespace``...), never by its module name, so
a copy of mlcloss and array-api-compat vendored into another package keeps
the native adapters.
"""

from __future__ import annotations

import numbers

from .._compat import compat, is_tensorflow_array, is_tensorflow_variable
from ._generic import Backend

_PASSIVE = frozenset({type(None), bool, int, float, complex, list, tuple})
"""Types the lookup passes over: absent options, Python hyper-parameters and sequences
(weights given as lists), which the loss converts itself."""

_BY_TYPE: dict[type, Backend] = {}  # array type -> its adapter (never a tf.Variable type)
_BY_NAMESPACE: dict[str, Backend] = {}  # by the namespace's module name


class Inputs:
    """The array arguments of one loss, by name: ``Inputs("logits", "labels", optional=(...))``.

    Calling it with the arrays in that order returns ``(adapter, arrays)``:
    the adapter of their library and the arrays ready for it (a
    ``tf.Variable`` read as a tensor, so a ``GradientTape`` watching the
    variable differentiates through the read). The ``required`` arguments
    must be arrays; ``optional`` ones may also be None, Python numbers or
    sequences. Arrays of two libraries raise ``TypeError`` naming both.
    """

    __slots__ = ("names", "required")

    def __init__(self, *required: str, optional: tuple[str, ...] = ()):
        self.names = required + tuple(optional)
        self.required = len(required)

    def __call__(self, *arrays):
        kind = type(arrays[0])
        adapter = _BY_TYPE.get(kind)
        if adapter is not None:
            required = self.required
            for i, a in enumerate(arrays):
                t = type(a)
                if t is not kind and (i < required or t not in _PASSIVE):
                    break
            else:
                return adapter, arrays
        return self._resolve(arrays)

    def _resolve(self, arrays):
        for name, a in zip(self.names[: self.required], arrays):
            if type(a) in _PASSIVE or not hasattr(a, "shape"):
                raise TypeError(
                    f"mlcloss: {name} must be an array (NumPy, PyTorch, JAX, TensorFlow or "
                    f"another array-API library), received {type(a).__name__}; convert it "
                    "first, e.g. with numpy.asarray or your framework's asarray"
                )
        # options that are NumPy scalars (np.float32(0.5)) are numbers, which the loss
        # converts, and options that are no array at all (a string) are the loss's to name
        present = [
            a
            for i, a in enumerate(arrays)
            if type(a) not in _PASSIVE
            and (i < self.required or (hasattr(a, "shape") and not isinstance(a, numbers.Number)))
        ]
        adapter = _adapter_of(present)
        if adapter.name == "tensorflow" and any(map(is_tensorflow_variable, present)):
            return adapter, tuple(_read(a) for a in arrays)
        kinds = {type(a) for a in present}
        if len(kinds) == 1:
            _BY_TYPE[kinds.pop()] = adapter
        return adapter, arrays


def _read(x):
    """A ``tf.Variable`` as the tensor of its value (recorded by any tape); others unchanged."""
    if is_tensorflow_variable(x):
        import tensorflow as tf

        return tf.convert_to_tensor(x)
    return x


def array_namespace(*arrays):
    """Return the array-API namespace shared by ``arrays``.

    ``None``, Python scalars and Python lists/tuples (hyper-parameters the
    loss converts itself) are ignored. Arrays of two different libraries (a
    torch tensor beside a NumPy array, say) raise ``TypeError`` naming both,
    as array-api-compat does: convert one of them first.

    >>> import numpy as np, mlcloss
    >>> mlcloss.array_namespace(np.zeros(3), None, 0.5).__name__
    'array_api_compat.numpy'
    """
    present = [a for a in arrays if type(a) not in _PASSIVE]
    if not present:
        raise TypeError(
            "mlcloss: expected at least one array argument, received "
            + (", ".join(type(a).__name__ for a in arrays) or "none")
        )
    kinds = {type(a) for a in present}
    if len(kinds) == 1 and next(iter(kinds)) in _BY_TYPE:  # traceable: no lookup by module
        return _BY_TYPE[next(iter(kinds))].xp
    adapter = _adapter_of(present)
    if len(kinds) == 1 and not is_tensorflow_variable(present[0]):
        _BY_TYPE[kinds.pop()] = adapter
    return adapter.xp


def _adapter_of(arrays) -> Backend:
    """The adapter for ``arrays`` (at least one), which must come from one library."""
    n_tf = sum(map(is_tensorflow_array, arrays))
    if n_tf:
        if n_tf != len(arrays):
            raise TypeError(_mixed_message(arrays))
        from .tensorflow_namespace import namespace

        return _adapter_for(namespace())
    try:
        xp = compat().array_namespace(*arrays)
    except TypeError as error:
        raise TypeError(_mixed_message(arrays)) from error
    return _adapter_for(xp)


def _adapter_for(xp) -> Backend:
    """The adapter of the namespace ``xp`` (one per namespace)."""
    adapter = _BY_NAMESPACE.get(xp.__name__)
    if adapter is None:
        adapter = _BY_NAMESPACE[xp.__name__] = _make(xp)
    return adapter


def _make(xp) -> Backend:
    if getattr(xp, "is_mlcloss_tensorflow", False):
        from .tensorflow import TensorFlowBackend

        return TensorFlowBackend(xp)
    c = compat()
    if c.is_numpy_namespace(xp):
        from .numpy import NumPyBackend

        return NumPyBackend(xp)
    if c.is_torch_namespace(xp):
        from .torch import TorchBackend

        return TorchBackend(xp)
    if c.is_jax_namespace(xp):
        from .jax import JaxBackend

        return JaxBackend(xp)
    return Backend(xp)


def _mixed_message(arrays) -> str:
    kinds = sorted({f"{type(a).__module__}.{type(a).__qualname__}" for a in arrays})
    return (
        "mlcloss: all array arguments must come from one array library, received "
        + ", ".join(kinds)
        + "; convert them to one library first (e.g. with that library's asarray)"
    )


try:  # found now, not on a loss's first call: under torch.compile, import_module cannot be traced
    compat()
except ModuleNotFoundError:  # TensorFlow alone needs no array-api-compat
    pass
