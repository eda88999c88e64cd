"""Dense hard labels as positive / negative class sets, for the losses over class sets."""

from __future__ import annotations

from .dtypes import cast, compute_dtype
from .shapes import class_axis_last, where_mask
from .validate import check_label_dtype, check_same_shape, check_values, normalize_axis


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
