"""Hyper-parameter checks: scalars in range, counts, per-class and broadcastable weight arrays."""

from __future__ import annotations

import math
import numbers
import struct

from .._compat import compat, device, is_tensorflow_array
from .dtypes import cast
from .shapes import broadcast_like
from .validate import check_broadcastable, value_checks_enabled


def check_number(
    value,
    *,
    name: str,
    low=None,
    high=None,
    low_open: bool = False,
    allow_none: bool = False,
    backend=None,
    like=None,
    dtype=None,
):
    """``value`` checked to lie in [``low``, ``high``]: a float, or a 0-d array; raises naming ``name``.

    ``low_open`` excludes ``low`` itself (a width that must be positive).

    A Python number (or a NumPy scalar) comes back as a float, checked:
    out of range or NaN raises ``ValueError``. With ``backend`` (the
    inputs' adapter), ``like`` (an input array) and ``dtype`` (the compute
    dtype) given, ``value`` may also be a 0-d real array of the inputs'
    library, a tracer included (``jax.jit``, ``tf.function``,
    ``torch.compile``): it comes back as an array of ``dtype`` on the device
    of ``like``, so it can be learned or traced, and the caller must treat
    it as unknown (take the branch valid for every value). Its range is
    checked where the value is concrete (host memory, outside tracing: see
    ``backend.is_concrete``) and value checks are on
    (:func:`~mlcloss._lib.validate.set_value_checks`): out of range raises
    ``ValueError`` as for a number. Otherwise (traced, or on an
    accelerator, where looking would sync) nothing can raise: an
    out-of-range or NaN value is replaced by NaN, and the loss made NaN
    throughout by :func:`poison_options`, never a plausible finite number.
    With value checks off, arrays are taken as they are.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool):
        raise TypeError(f"mlcloss: {name} must be a real number, received {value!r}")
    if isinstance(value, numbers.Real):  # Python numbers and NumPy scalars: concrete
        return _checked_float(float(value), name, low, high, low_open)
    if backend is None or not hasattr(value, "shape") or not hasattr(value, "dtype"):
        raise TypeError(f"mlcloss: {name} must be a real number, received {value!r}")
    xp = backend.xp
    if tuple(value.shape) != ():
        raise ValueError(
            f"mlcloss: {name} must be a scalar, a real number or a 0-d array, "
            f"received shape {tuple(value.shape)}"
        )
    if not xp.isdtype(value.dtype, ("integral", "real floating")):
        raise TypeError(
            f"mlcloss: {name} must be a real number or a 0-d real array, "
            f"received dtype {value.dtype}"
        )
    checked = value_checks_enabled() and backend.is_concrete(value)
    if checked:  # host data: look at it (no sync) before the cast can round it
        _checked_float(float(backend.stop_gradient(value)), name, low, high, low_open)
    value = cast(xp, on_device_of(value, like), dtype)
    if checked or not value_checks_enabled() or (low is None and high is None):
        return value  # unbounded: only NaN is wrong, and NaN poisons itself
    within = _within(xp, value, low, high, low_open)
    return xp.where(within, value, xp.full_like(value, float("nan")))


def is_array(value) -> bool:
    """Whether a hyper-parameter checked by :func:`check_number` is an array, not a float.

    Its value is then unknown to Python (possibly traced): a loss must not
    branch on it, but take the branch valid for every value.
    """
    return value is not None and not isinstance(value, float)


def is_scalar(value) -> bool:
    """Whether an option is one number: a Python or NumPy real, or a 0-d array."""
    if isinstance(value, numbers.Real):
        return True
    shape = getattr(value, "shape", None)
    return shape is not None and not isinstance(value, (list, tuple)) and tuple(shape) == ()


def poison_options(xp, backend, bad, *values):
    """``bad`` (entries or rows to poison, or None) widened to every entry when one of the
    hyper-parameters ``values`` is an array that :func:`check_number` could not check and
    made NaN (it was out of range); a 0-d flag, which broadcasts over the loss.

    Concrete arrays were checked (they raised if wrong) and floats are constants:
    neither adds anything.
    """
    if not value_checks_enabled():
        return bad
    for value in values:
        if is_array(value) and not backend.is_concrete(value):
            flag = value != value  # NaN
            bad = flag if bad is None else bad | flag
    return bad


def _checked_float(value: float, name, low, high, low_open=False) -> float:
    if (
        math.isnan(value)
        or (low is not None and (value <= low if low_open else value < low))
        or (high is not None and value > high)
    ):
        opening = "(" if low_open else "["
        bounds = (
            f"{opening}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        )
        raise ValueError(f"mlcloss: {name} must lie in {bounds}, received {value!r}")
    return value


def _within(xp, value, low, high, low_open=False):
    """Whether the 0-d array ``value`` lies in [``low``, ``high``] (NaN does not; ``low_open``:
    nor ``low``).

    Exact in float32 too: a bound that float32 rounds outwards (``clip``'s
    largest float below 1 rounds to 1) is compared strictly instead.
    """
    single = value.dtype != xp.float64
    ok = value == value
    if low is not None:
        strict = low_open or (single and _single(low) < low)
        ok = ok & ((value > low) if strict else (value >= low))
    if high is not None:
        ok = ok & ((value < high) if single and _single(high) > high else (value <= high))
    return ok


def _single(bound: float) -> float:
    """``bound`` rounded to float32."""
    return struct.unpack("f", struct.pack("f", bound))[0]


def on_device_of(value, like):
    """``value`` on the device of ``like`` (TensorFlow places its operations itself)."""
    if like is None or is_tensorflow_array(value):
        return value
    where = device(like)
    if where is None or device(value) == where:  # None: traced, or sharded over devices
        return value
    return compat().to_device(value, where)


def check_flag(value, *, name: str) -> bool:
    """``value`` checked to be a bool (a Python or NumPy one): a static switch, never traced."""
    if type(value).__name__ not in ("bool", "bool_"):
        raise TypeError(f"mlcloss: {name} must be True or False, received {value!r}")
    return bool(value)


def check_positive_int(value, *, name: str) -> int:
    """``value`` checked to be an int ≥ 1 (a count: k, num_sampled, num_classes)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"mlcloss: {name} must be a positive int, received {value!r}")
    if value < 1:
        raise ValueError(f"mlcloss: {name} must be a positive int, received {value!r}")
    return value


def weight_array(xp, value, *, name: str, like, dtype, per_class_axis: int | None = None):
    """A weight hyper-parameter as a ``dtype`` array on the device of ``like``.

    ``value`` is an array of the inputs' library or a Python list/tuple.
    With ``per_class_axis`` it must have shape ``[C]`` (C = ``like``'s size
    along that axis) and is returned as is; otherwise it must broadcast to
    ``like`` and is returned broadcast.
    """
    if isinstance(value, (list, tuple)):
        value = xp.asarray(value, dtype=dtype, device=device(like))
    else:
        value = on_device_of(value, like)
    if not xp.isdtype(value.dtype, ("integral", "real floating")):
        raise TypeError(f"mlcloss: {name} must be a real array, received dtype {value.dtype}")
    value = cast(xp, value, dtype)
    if per_class_axis is not None:
        classes = like.shape[per_class_axis]
        if value.ndim != 1 or value.shape[0] != classes:
            raise ValueError(
                f"mlcloss: {name} must have shape [C] = ({classes},), one entry per class, "
                f"received {tuple(value.shape)}"
            )
        return value
    check_broadcastable(value, like.shape, name=name, target="logits")
    return broadcast_like(xp, value, like)
