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


def reduce(xp, loss, reduction: str):
    """Reduce ``loss`` by ``reduction``.

    ``"none"`` returns ``loss`` unchanged; ``"sum"`` adds every entry;
    ``"mean"`` divides that sum by the number of entries. A mean over nothing
    is 0 with a zero gradient, never NaN: the count is clamped to at least 1
    (the sum over nothing is already 0).
    """
    check_reduction(reduction)
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    n = _size(loss)
    if n is None:  # unknown static size (lazy or symbolic arrays)
        count = xp.sum(xp.ones_like(loss))
        return total / xp.maximum(count, xp.ones_like(count))
    return total / max(n, 1)


def _size(x):
    shape = x.shape
    if any(d is None or d != d for d in shape):  # None (symbolic) or NaN (Dask)
        return None
    return math.prod(shape)
