"""Shape helpers shared by the losses: the class axis, masks and broadcasting."""

from __future__ import annotations

from .validate import check_bool_mask, check_broadcastable


def class_axis_last(xp, x, axis: int):
    """``x`` with ``axis`` moved to the end (``None`` passes through)."""
    if x is None or axis == x.ndim - 1:
        return x
    return xp.moveaxis(x, axis, -1)


def broadcast_like(xp, x, like):
    """``x`` broadcast to the shape of ``like``, also when that shape is known only at run time."""
    if tuple(x.shape) == tuple(like.shape):
        return x
    if None not in like.shape:
        return xp.broadcast_to(x, like.shape)
    # symbolic dimensions (tf.function with a None batch): broadcast by an operation
    if xp.isdtype(x.dtype, "bool"):
        return x & xp.ones_like(like, dtype=xp.bool)
    return x + xp.zeros_like(like, dtype=x.dtype)


def where_mask(xp, where, like, *, target: str = "logits"):
    """The boolean ``where`` argument checked and broadcast to ``like`` (``None`` stays ``None``)."""
    if where is None:
        return None
    check_bool_mask(xp, where, name="where")
    check_broadcastable(where, like.shape, name="where", target=target)
    return broadcast_like(xp, where, like)
