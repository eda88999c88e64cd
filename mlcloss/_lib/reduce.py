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


def reduce(xp, loss, reduction: str, *, where=None):
    """Reduce ``loss`` by ``reduction``, leaving out entries where ``where`` is False.

    ``"none"`` returns ``loss`` unchanged (entries outside ``where`` set to 0);
    ``"sum"`` adds the kept entries; ``"mean"`` divides that sum by the number
    of kept entries. A mean over nothing is 0 with a zero gradient, never NaN:
    the count is clamped to at least 1 (the sum over nothing is already 0).
    """
    check_reduction(reduction)
    if where is not None:
        where = xp.broadcast_to(where, loss.shape)
        # double where: masked entries may hold inf/NaN, keep them out of the gradient
        loss = xp.where(where, loss, xp.zeros_like(loss))
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    if where is not None:
        count = xp.sum(xp.astype(where, loss.dtype))
        return total / xp.maximum(count, xp.ones_like(count))
    n = _size(loss)
    if n is None:  # unknown static size (lazy or symbolic arrays)
        count = xp.sum(xp.ones_like(loss))
        return total / xp.maximum(count, xp.ones_like(count))
    return total / max(n, 1)


def _size(x):
    shape = x.shape
    if any(d is None for d in shape):
        return None
    return math.prod(shape)
