"""Input checks.

Static problems (shapes, dtypes, options) raise ``ValueError``/``TypeError``
naming the argument, what was received and what was expected. Value problems
(a label index out of range, a soft label outside [0, 1]) depend on the data:
they raise ``ValueError`` when the data is concrete and in host memory, and
otherwise (under tracing, on accelerators, for lazy arrays) the affected rows
of the loss become NaN, so a bad label can never hide behind a plausible
finite number. :func:`set_value_checks` turns the value checks off globally.
"""

from __future__ import annotations

from .switch import Switch

_VALUE_CHECKS = Switch()


def set_value_checks(enabled: bool) -> bool:
    """Turn the data-dependent label checks on or off; return the previous setting.

    With checks off, no label value is inspected: out-of-range indices and
    soft labels outside [0, 1] are then the caller's responsibility.
    """
    return _VALUE_CHECKS.set(enabled)


def value_checks(enabled: bool):
    """Context manager form of :func:`set_value_checks`."""
    return _VALUE_CHECKS.scoped(enabled)


def value_checks_enabled() -> bool:
    return _VALUE_CHECKS.on


def check_values(xp, backend, bad_rows, *, name: str, expected: str, unit: str = "row"):
    """Check a boolean array ``bad_rows`` that marks rows with invalid values.

    ``bad_rows`` may be a function returning that array: it is then only
    computed when checks are on, so switching checks off saves its work.

    Returns ``None`` when there is nothing to poison (checks off, or the data
    was concrete and passed); raises ``ValueError`` naming ``name`` when the
    data is concrete and some row is bad; returns ``bad_rows`` otherwise, for
    :func:`poison_rows`. Elementwise losses pass one flag per element
    (``unit="entry"``).
    """
    if not value_checks_enabled():
        return None
    if callable(bad_rows):
        bad_rows = bad_rows()
    if backend.is_concrete(bad_rows):
        if bool(xp.any(bad_rows)):
            count = int(xp.sum(xp.astype(bad_rows, xp.int64)))
            raise ValueError(
                f"mlcloss: {name} has invalid values in {count} {unit}(s); expected {expected} "
                "(mlcloss.set_value_checks(False) turns this check off)"
            )
        return None
    return bad_rows


def values_within(backend, values, low, high) -> bool:
    """True when checks are on, ``values`` is concrete and every entry lies in [low, high].

    One min/max pass (NaN fails it) instead of per-entry flags, which the
    callers compute only when this fails, to count them for the error.
    """
    if not value_checks_enabled() or not backend.is_concrete(values) or 0 in tuple(values.shape):
        return False
    least, most = backend.extrema(values)
    if not backend.is_concrete(least):  # concrete inputs, but staged out (inside jax.jit)
        return False
    return float(least) >= low and float(most) <= high


def check_class_ids(xp, backend, ids, num_classes: int, *, name: str):
    """Flag the entries of ``ids`` outside [0, ``num_classes``) (see :func:`check_values`)."""
    return check_values(
        xp,
        backend,
        lambda: (ids < 0) | (ids >= num_classes),
        name=name,
        expected=f"class ids in [0, {num_classes})",
        unit="entry",
    )


def poison_rows(xp, loss, bad_rows):
    """Set ``loss`` to NaN where ``bad_rows`` is True (a no-op for ``None``; rows or entries)."""
    if bad_rows is None:
        return loss
    return xp.where(bad_rows, xp.full_like(loss, float("nan")), loss)


def normalize_axis(axis, ndim: int, *, name: str = "axis") -> int:
    """Return ``axis`` as a non-negative index into ``ndim`` dimensions."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"mlcloss: {name} must be an int, received {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"mlcloss: {name}={axis} is out of range for an array of {ndim} dimension(s); "
            f"expected an integer in [{-ndim}, {ndim - 1}]"
        )
    return axis % ndim


def check_ndim(x, ndim: int, *, name: str, layout: str) -> None:
    """Raise ``ValueError`` unless ``x`` has ``ndim`` dimensions (``layout`` names them)."""
    if x.ndim != ndim:
        raise ValueError(
            f"mlcloss: {name} must have {ndim} dimensions {layout}, received shape {tuple(x.shape)}"
        )


def check_same_shape(a, b, *, names: tuple[str, str]) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"mlcloss: {names[1]} must have the shape of {names[0]} {tuple(a.shape)}, "
            f"received {tuple(b.shape)}"
        )


def check_broadcastable(x, shape, *, name: str, target: str) -> None:
    """Raise ``ValueError`` unless ``x`` broadcasts to ``shape`` (without growing it)."""
    xs = tuple(x.shape)
    ok = len(xs) <= len(shape) and all(
        d in (1, t) or d is None or t is None for d, t in zip(reversed(xs), reversed(tuple(shape)))
    )
    if not ok:
        raise ValueError(
            f"mlcloss: {name} must be broadcastable to the shape of {target} "
            f"{tuple(shape)}, received shape {xs}"
        )


def check_label_dtype(xp, labels, *, name: str = "labels") -> None:
    """Labels may be bool, integer or real floating."""
    if not xp.isdtype(labels.dtype, ("bool", "integral", "real floating")):
        raise TypeError(
            f"mlcloss: {name} must have a bool, integer or real floating dtype, "
            f"received {labels.dtype}"
        )


def check_index_dtype(xp, labels, *, name: str = "labels") -> None:
    """Index labels must be integers."""
    if not xp.isdtype(labels.dtype, "integral"):
        raise TypeError(
            f"mlcloss: {name} must hold class indices with an integer dtype, "
            f"received {labels.dtype}"
        )


def check_ignore_index(ignore_index) -> None:
    """``ignore_index`` must be an int (a padding label value) or None."""
    if ignore_index is not None and (
        isinstance(ignore_index, bool) or not isinstance(ignore_index, int)
    ):
        raise TypeError(f"mlcloss: ignore_index must be an int or None, received {ignore_index!r}")


def check_bool_mask(xp, mask, *, name: str) -> None:
    """Masks must be bool (integers 0/1 are accepted for token masks by the callers)."""
    if not xp.isdtype(mask.dtype, "bool"):
        raise TypeError(f"mlcloss: {name} must have dtype bool, received {mask.dtype}")
