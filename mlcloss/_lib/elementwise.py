"""The frame every elementwise loss shares: checked inputs in, ``where``-aware reduction out.

For elementwise losses (sigmoid CE, BCE, focal, ASL, squared error, hinge)
``where=False`` removes an element from both the sum and the mean's count;
the removed elements are also replaced by 0 before the formula sees them, so
a NaN or infinite prediction there cannot reach the value or the gradient.
"""

from __future__ import annotations

from .dtypes import cast, compute_dtype
from .reduce import check_reduction, count_where, reduce
from .shapes import where_mask
from .validate import (
    check_label_dtype,
    check_same_shape,
    check_values,
    poison_rows,
    values_within,
)


def prepare(xp, prediction, labels, where, reduction, *, name: str, label_name: str = "labels"):
    """``(prediction, labels, valid)`` in the compute dtype of ``prediction``.

    ``labels`` must have the shape of ``prediction`` and a bool, integer or
    floating dtype; ``valid`` is ``where`` broadcast to that shape (or None);
    ``prediction`` is 0 where ``valid`` is False.
    """
    labels, valid = prepare_labels(
        xp, prediction, labels, where, reduction, name=name, label_name=label_name
    )
    x = cast(xp, prediction, labels.dtype)
    if valid is not None:
        x = xp.where(valid, x, 0.0)
    return x, labels, valid


def prepare_labels(xp, prediction, labels, where, reduction, *, name: str, label_name="labels"):
    """``(labels, valid)``: the checks of :func:`prepare`, leaving ``prediction`` alone."""
    check_reduction(reduction)
    dtype = compute_dtype(xp, prediction, name)
    check_label_dtype(xp, labels, name=label_name)
    check_same_shape(prediction, labels, names=(name, label_name))
    valid = where_mask(xp, where, prediction, target=name)
    return cast(xp, labels, dtype), valid


def check_unit_interval(xp, backend, values, valid, *, name: str, expected="values in [0, 1]"):
    """Flag entries outside [0, 1] (or NaN) that ``valid`` keeps (padding may hold anything).

    See :func:`~mlcloss._lib.validate.check_values`.
    """

    if valid is None and values_within(backend, values, 0, 1):
        return None

    def bad():
        outside = ~((values >= 0) & (values <= 1))
        return outside if valid is None else outside & valid

    return check_values(xp, backend, bad, name=name, expected=expected, unit="entry")


def finish(xp, loss, valid, bad, reduction):
    """Drop the ``where=False`` entries, poison the bad ones, reduce."""
    count = None
    if valid is not None:
        loss = xp.where(valid, loss, 0.0)
        count = count_where(xp, valid, loss.dtype)
    return reduce(xp, poison_rows(xp, loss, bad), reduction, count=count)
