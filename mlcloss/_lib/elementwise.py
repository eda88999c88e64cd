"""The frame every elementwise loss shares: checked inputs in, ``where``-aware reduction out.

For elementwise losses (sigmoid CE, BCE, focal, ASL, squared error, hinge)
``where=False`` removes an element from both the sum and the mean's count;
the removed elements are also replaced by 0 before the formula sees them, so
a NaN or infinite prediction there cannot reach the value or the gradient.
"""

from __future__ import annotations

from .dtypes import cast, compute_dtype
from .gradients import Rows, reduced
from .reduce import check_reduction, count_where
from .shapes import where_mask
from .validate import (
    check_label_dtype,
    check_same_shape,
    check_values,
    values_within,
)


def prepare(xp, prediction, labels, where, reduction, *, name: str, label_name="labels"):
    """``(labels, valid)``: ``labels`` checked and cast to the compute dtype of ``prediction``.

    ``labels`` must have the shape of ``prediction`` and a bool, integer or
    floating dtype; ``valid`` is ``where`` broadcast to that shape (or None).
    ``name`` / ``label_name`` are the arguments' names in the errors.
    """
    check_reduction(reduction)
    dtype = compute_dtype(xp, prediction, name)
    check_label_dtype(xp, labels, name=label_name)
    check_same_shape(prediction, labels, names=(name, label_name))
    valid = where_mask(xp, where, prediction, target=name)
    return cast(xp, labels, dtype), valid


def check_unit_interval(xp, backend, values, valid, *, name: str, expected="values in [0, 1]"):
    """Flag entries outside [0, 1] (or NaN) that ``valid`` keeps (see :func:`check_within`)."""
    return check_within(xp, backend, values, valid, low=0, high=1, name=name, expected=expected)


def check_within(xp, backend, values, valid, *, low, high, name: str, expected: str):
    """Flag entries outside [``low``, ``high``] (or NaN) that ``valid`` keeps (padding may
    hold anything; None keeps all). See :func:`~mlcloss._lib.validate.check_values`."""

    if valid is None and values_within(backend, values, low, high):
        return None

    def bad():
        outside = ~((values >= low) & (values <= high))
        return outside if valid is None else outside & valid

    return check_values(xp, backend, bad, name=name, expected=expected, unit="entry")


def signed_labels(xp, backend, labels, y, valid, *, unit="entry"):
    """``(y, bad)``: the labels ``y`` (``labels`` cast to the compute dtype) as ±1, and the
    entries (or rows, ``unit="row"``) flagged for holding neither: bool labels map True → +1,
    False → −1; numeric ones must be −1 or +1 (0/1 is refused rather than guessed). ``valid``
    keeps the entries checked (None: all)."""
    if xp.isdtype(labels.dtype, "bool"):
        return 2 * y - 1, None

    def flagged():
        neither = (y != 1) & (y != -1)
        return neither if valid is None else neither & valid

    expected = "-1 or +1 (or bool labels)"
    return y, check_values(xp, backend, flagged, name="labels", expected=expected, unit=unit)


def elementwise_rows(value, gradient, *, autodiff=frozenset()) -> Rows:
    """:class:`~mlcloss._lib.gradients.Rows` of an elementwise loss with a ``valid`` input.

    ``value(xp, backend, x, **named)`` and ``gradient(xp, backend, x, saved,
    g, **named)`` see the prediction with the entries ``valid`` drops replaced
    by 0 (so a NaN or infinite prediction there reaches neither the value nor
    the gradient); those entries are 0 in the loss and in the gradient.
    """

    def masked_value(xp, backend, x, *, valid, **named):
        if valid is None:
            return value(xp, backend, x, **named)
        loss, saved = value(xp, backend, xp.where(valid, x, 0.0), **named)
        return xp.where(valid, loss, 0.0), saved

    def masked_gradient(xp, backend, x, saved, g, *, valid, **named):
        if valid is None:
            return gradient(xp, backend, x, saved, g, **named)
        grad = gradient(xp, backend, xp.where(valid, x, 0.0), saved, g, **named)
        return xp.where(valid, grad, 0.0)

    return Rows(masked_value, masked_gradient, elementwise=True, autodiff=autodiff)


def saved_slope(xp, backend, x, saved, g, **named):
    """The gradient of a loss whose value saved its derivative ``∂L/∂x`` (when it shares the
    value's terms, computing it there is cheapest): that derivative times ``g``."""
    (slope,) = saved
    return slope * g


def finish(
    xp, backend, rows, prediction, arrays, *, options=None, valid, bad, reduction, sample_weight
):
    """The reduced loss of the elementwise ``rows`` (from :func:`elementwise_rows`) on
    ``prediction``, with its closed-form gradient: ``arrays``, ``options`` and
    ``sample_weight`` are as in :func:`~mlcloss._lib.gradients.reduced`; ``where=False``
    entries leave the sum and the mean's count, ``bad`` ones are poisoned."""
    count = None
    if valid is not None:
        count = count_where(xp, valid, compute_dtype(xp, prediction, "prediction"))
    return reduced(
        xp,
        backend,
        rows,
        prediction,
        {**arrays, "valid": valid},
        options=options,
        reduction=reduction,
        count=count,
        bad=bad,
        sample_weight=sample_weight,
    )
