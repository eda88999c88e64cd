"""The one reducer: every loss ends here."""

from __future__ import annotations

import math

from .._compat import device
from .arguments import on_device_of
from .dtypes import cast

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction) -> None:
    """Raise ``ValueError`` unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"mlcloss: reduction must be 'mean', 'sum' or 'none', received {reduction!r}"
        )


def reduce(xp, loss, reduction: str, *, count=None, sample_weight=None):
    """Reduce ``loss``, weighted by ``sample_weight``, by ``reduction``.

    ``sample_weight`` (None: no weights) multiplies ``loss`` first, its axes
    aligned with the leading axes of ``loss`` (:func:`leading_weights`); the
    mean keeps its denominator (Keras's ``sample_weight``, torch's ``weight``).
    ``"none"`` returns the weighted ``loss``; ``"sum"`` adds every entry;
    ``"mean"`` divides that sum by ``count``: by default the number of
    entries, or an array the loss supplies (the number of elements a
    ``where`` keeps, torch's summed weights of the non-ignored targets).
    Entries left out must already be 0 in ``loss``. A mean over nothing is 0
    with a zero gradient, never NaN: a zero count divides as 1 (the sum over
    nothing is already 0).
    """
    check_reduction(reduction)
    if sample_weight is not None:
        loss = loss * leading_weights(xp, sample_weight, loss.shape, like=loss, dtype=loss.dtype)
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    return total / divisor(xp, loss, count)


def leading_weights(xp, sample_weight, shape, *, like, dtype):
    """``sample_weight`` as a ``dtype`` array on the device of ``like``, shaped to multiply a loss
    of ``shape``: its axes are that shape's leading axes (Keras's rule), so ``[N]`` weighs each of
    N examples of an ``[N, C]`` loss, and ``[1, C]`` each of its classes.

    ``sample_weight``: an array of the inputs' library, a Python number or list. Raises naming
    ``sample_weight`` for a dtype that is not real or bool, or a shape that does not fit.
    """
    if isinstance(sample_weight, (int, float, list, tuple)) and not isinstance(sample_weight, bool):
        sample_weight = xp.asarray(sample_weight, dtype=dtype, device=device(like))
    else:
        sample_weight = on_device_of(sample_weight, like)
    if not xp.isdtype(sample_weight.dtype, ("bool", "integral", "real floating")):
        raise TypeError(
            f"mlcloss: sample_weight must be a real or bool array, received dtype "
            f"{sample_weight.dtype}"
        )
    given, shape = tuple(sample_weight.shape), tuple(shape)
    fits = len(given) <= len(shape) and all(
        d in (1, t) or d is None or t is None for d, t in zip(given, shape)
    )
    if not fits:
        raise ValueError(
            f"mlcloss: sample_weight must fit the unreduced loss of shape {shape} on its leading "
            f"axes (one weight per example {shape[:1]}, per entry {shape}, 1 where one weight "
            f"repeats), received shape {given}"
        )
    sample_weight = cast(xp, sample_weight, dtype)
    if len(given) < len(shape):
        sample_weight = xp.reshape(sample_weight, given + (1,) * (len(shape) - len(given)))
    return sample_weight


def divisor(xp, loss, count=None):
    """The mean's denominator for ``loss``: ``count`` (0 divides as 1) or its number of entries."""
    if count is None:
        n = _size(loss)
        if n is not None:
            return max(n, 1)
        return xp.sum(xp.ones_like(loss))  # unknown static size (lazy or symbolic arrays)
    return xp.where(count == 0, xp.ones_like(count), count)


def count_where(xp, where, dtype):
    """The number of True entries of ``where`` as a ``dtype`` scalar (the mean's count)."""
    return xp.sum(xp.astype(where, dtype))


def _size(x):
    shape = x.shape
    if any(d is None or d != d for d in shape):  # None (symbolic) or NaN (Dask)
        return None
    return math.prod(shape)
