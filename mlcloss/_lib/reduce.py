"""The one reducer: every loss ends here."""

from __future__ import annotations

import math

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction) -> None:
    """Raise ``ValueError`` unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"mlcloss: reduction must be 'mean', 'sum' or 'none', received {reduction!r}"
        )


def reduce(xp, loss, reduction: str, *, count=None):
    """Reduce ``loss`` by ``reduction``.

    ``"none"`` returns ``loss`` unchanged; ``"sum"`` adds every entry;
    ``"mean"`` divides that sum by ``count``: by default the number of
    entries, or an array the loss supplies (the number of elements a
    ``where`` keeps, torch's summed weights of the non-ignored targets).
    Entries left out must already be 0 in ``loss``. A mean over nothing is 0
    with a zero gradient, never NaN: a zero count divides as 1 (the sum over
    nothing is already 0).
    """
    check_reduction(reduction)
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    return total / divisor(xp, loss, count)


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
