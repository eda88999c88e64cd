"""Hyper-parameter checks: scalars in range, counts, per-class and broadcastable weight arrays."""

from __future__ import annotations

import math

from .._compat import device
from .dtypes import cast
from .shapes import broadcast_like
from .validate import check_broadcastable


def check_number(value, *, name: str, low=None, high=None, allow_none: bool = False):
    """``value`` as a float, checked to lie in [``low``, ``high``]; raises naming ``name``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"mlcloss: {name} must be a real number, received {value!r}")
    value = float(value)
    if (
        math.isnan(value)
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        raise ValueError(f"mlcloss: {name} must lie in {bounds}, received {value!r}")
    return value


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
