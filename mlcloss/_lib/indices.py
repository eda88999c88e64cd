"""Class-index labels: the one place that splits them into kept, ignored and out-of-range."""

from __future__ import annotations


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
