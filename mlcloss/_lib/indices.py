"""Class-index labels: the one place that splits them into kept, ignored and out-of-range."""

from __future__ import annotations

from .._compat import device
from .validate import check_class_ids, check_ignore_index


def class_indices(xp, backend, labels, num_classes: int, ignore_index):
    """``(index, keep, outside, expected)`` for integer ``labels`` naming one of ``num_classes``.

    ``keep`` marks the entries that are neither ``ignore_index`` nor out of
    range; ``index`` is ``labels`` where kept and 0 elsewhere (so every
    gather and scatter stays in range), in the dtype the adapter's gathers
    take; ``outside`` marks the entries that are given but out of range (for
    :func:`~mlcloss._lib.validate.check_values`), and ``expected`` says what
    was expected, for its message.
    """
    in_range = (labels >= 0) & (labels < num_classes)
    expected = f"class indices in [0, {num_classes})"
    if ignore_index is None:
        keep, outside = in_range, ~in_range
    else:
        given = labels != ignore_index
        keep, outside = given & in_range, given & ~in_range
        expected += f" or ignore_index={ignore_index}"
    return backend.as_index(xp.where(keep, labels, 0)), keep, outside, expected


def check_index_labels(labels, like, axis: int, ignore_index) -> None:
    """``ValueError`` unless class-index ``labels`` have the shape of ``like`` without ``axis``
    (and ``TypeError`` for an ``ignore_index`` that is not an int or None)."""
    expected = tuple(d for i, d in enumerate(like.shape) if i != axis)
    if tuple(labels.shape) != expected:
        raise ValueError(
            f"mlcloss: integer labels (class indices) must have the shape of the predictions "
            f"without axis {axis}, {expected}, received {tuple(labels.shape)}"
        )
    check_ignore_index(ignore_index)


def one_hot(xp, backend, labels, x, *, axis: int, like, dtype):
    """``(one_hot, bad)``: the float one-hot ``[..., C]`` of class-index ``labels`` (``C`` the
    last axis of ``x``, the class axis ``axis`` of ``like`` moved last) and the rows to poison
    for an index out of range (whose one-hot row is all 0)."""
    check_index_labels(labels, like, axis, None)
    num_classes = x.shape[-1]
    bad = check_class_ids(xp, backend, labels, num_classes, name="labels")
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device(x))
    return xp.astype(labels[..., None] == classes, dtype), bad
