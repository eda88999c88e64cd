"""Labels of the losses over class sets, made into rows: dense labels cast beside the
prediction, class indices as one-hot rows, hard labels as positive / negative sets."""

from __future__ import annotations

from .dtypes import cast, compute_dtype
from .indices import one_hot
from .shapes import class_axis_last, where_mask
from .validate import (
    check_index_dtype,
    check_label_dtype,
    check_same_shape,
    check_values,
    normalize_axis,
)


def dense_rows(xp, prediction, labels, where, axis, *, names=("logits", "labels")):
    """``(x, t, valid, axis)`` for ``labels`` of the prediction's shape (bool, integer or
    floating): the prediction in its compute dtype, the labels cast to it and ``where`` as a
    mask (None without one), the class axis ``axis`` (normalised, returned) moved last in all
    three. ``names`` name the prediction and the labels in the errors."""
    name, label_name = names
    dtype = compute_dtype(xp, prediction, name)
    check_label_dtype(xp, labels, name=label_name)
    check_same_shape(prediction, labels, names=names)
    axis = normalize_axis(axis, prediction.ndim)
    x = class_axis_last(xp, cast(xp, prediction, dtype), axis)
    t = class_axis_last(xp, cast(xp, labels, dtype), axis)
    valid = class_axis_last(xp, where_mask(xp, where, prediction, target=name), axis)
    return x, t, valid, axis


def index_rows(xp, backend, prediction, labels, axis, *, name="scores"):
    """``(x, t, bad)`` for class-index ``labels`` (integers, the prediction's shape without
    ``axis``): the prediction in its compute dtype with the class axis last, the float one-hot
    rows of the labels and the rows to poison for an index out of range."""
    dtype = compute_dtype(xp, prediction, name)
    axis = normalize_axis(axis, prediction.ndim)
    check_index_dtype(xp, labels)
    x = class_axis_last(xp, cast(xp, prediction, dtype), axis)
    t, bad = one_hot(xp, backend, labels, x, axis=axis, like=prediction, dtype=dtype)
    return x, t, bad


def hard_label_sets(xp, backend, logits, labels, where, axis, *, name="logits"):
    """``(x, positive, negative, bad)`` for multi-hot ``labels`` (bool, or numbers 0/1).

    ``x`` is ``logits`` in the compute dtype with the class axis last;
    ``positive`` / ``negative`` are boolean masks (``where=False`` classes in
    neither); ``bad`` marks rows whose labels are not 0/1 (see
    :func:`~mlcloss._lib.validate.check_values`).
    """
    dtype = compute_dtype(xp, logits, name)
    check_label_dtype(xp, labels)
    check_same_shape(logits, labels, names=(name, "labels"))
    axis = normalize_axis(axis, logits.ndim)
    valid = class_axis_last(xp, where_mask(xp, where, logits, target=name), axis)
    labels = class_axis_last(xp, labels, axis)
    x = class_axis_last(xp, cast(xp, logits, dtype), axis)
    bad = None
    if xp.isdtype(labels.dtype, "bool"):
        positive = labels
    else:
        bad = check_values(
            xp,
            backend,
            lambda: xp.any((labels != 0) & (labels != 1), axis=-1),
            name="labels",
            expected="0 or 1 (multi-hot labels)",
        )
        positive = labels == 1
    negative = ~positive
    if valid is not None:
        positive = positive & valid
        negative = negative & valid
    return x, positive, negative, bad


def keep_mass_smoothed(xp, y, epsilon, *, axis=-1, valid=None):
    r""":math:`(1 - ε)\, y + ε\, m / V`, :math:`m = \sum y` and :math:`V` the classes along
    ``axis`` (those ``valid`` keeps, where given: the others get nothing)."""
    kept = None if valid is None else xp.astype(valid, y.dtype)
    mass = xp.sum(y if kept is None else y * kept, axis=axis, keepdims=True)
    smoothed = (1 - epsilon) * y + epsilon * mass_share(xp, mass, valid, y.shape[axis], axis=axis)
    return smoothed if kept is None else smoothed * kept


def mass_share(xp, mass, valid, size: int, *, axis=-1):
    """:math:`m / V`: each row's ``mass`` over its classes, those ``valid`` keeps along ``axis``
    (all ``size`` without it); a row with no class keeps its mass (a zero count divides as 1)."""
    if valid is None:
        return mass / size
    classes = xp.sum(xp.astype(valid, mass.dtype), axis=axis, keepdims=True)
    return mass / xp.where(classes > 0, classes, xp.ones_like(classes))
