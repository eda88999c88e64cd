r"""Margin losses: the hinge on ±1 labels and the pairwise ranking hinge."""

from __future__ import annotations

from functools import partial

from .._lib.arguments import check_number
from .._lib.dtypes import cast, compute_dtype
from .._lib.elementwise import elementwise_rows, finish, prepare, saved_slope
from .._lib.reduce import check_reduction, reduce
from .._lib.validate import check_values
from ..backends import Inputs

__all__ = ["hinge_loss", "pairwise_hinge_loss"]

_SCORES_LABELS_WHERE = Inputs("scores", "labels", optional=("where",))
_POSITIVE_SCORES_NEGATIVE_SCORES = Inputs("positive_scores", "negative_scores")


def hinge_loss(scores, labels, /, *, margin=1.0, where=None, reduction="mean"):
    r"""Hinge loss :math:`\max(0, m - y\, s)` with labels :math:`y = \pm 1`, elementwise.

    Boolean labels map True → +1 and False → −1; numeric labels must be
    −1 or +1 (0/1 labels are rejected rather than guessed: pass them as
    bool). ``"mean"`` over all elements equals Keras 3's ``Hinge`` for rows
    of equal length.

    Parameters
    ----------
    scores : array
    labels : array, the shape of ``scores``: bool, or numeric ±1
    margin : float
        :math:`m`.
    where : bool array broadcastable to ``scores``, optional
    reduction : {"mean", "sum", "none"}

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.hinge_loss(np.array([2.0, 0.5, -0.3]), np.array([True, True, False]),
    ...                    reduction="none")
    array([0. , 0.5, 0.7])
    """
    backend, (scores, labels, where) = _SCORES_LABELS_WHERE(scores, labels, where)
    xp = backend.xp
    is_bool = xp.isdtype(labels.dtype, "bool")
    y, valid = prepare(xp, scores, labels, where, reduction, name="scores")
    margin = check_number(margin, name="margin")
    bad = None
    if is_bool:
        y = 2 * y - 1
    else:

        def flagged():
            neither = (y != 1) & (y != -1)
            return neither if valid is None else neither & valid

        bad = check_values(
            xp,
            backend,
            flagged,
            name="labels",
            expected="-1 or +1 (or bool labels)",
            unit="entry",
        )
    rows = elementwise_rows(partial(_hinge_values, margin=margin), saved_slope)
    return finish(xp, backend, rows, scores, y, valid=valid, bad=bad, reduction=reduction)


def _hinge_values(xp, backend, s, y, *, margin):
    """max(0, m − y s), and its slope ∂L/∂s: −y where the margin is violated, 0 elsewhere."""
    violation = margin - y * s
    active = violation > 0
    return xp.where(active, violation, 0.0), (xp.where(active, -y, 0.0),)


def pairwise_hinge_loss(positive_scores, negative_scores, /, *, margin=1.0, reduction="mean"):
    r"""Pairwise ranking hinge :math:`\max(0, m + s^- - s^+)`, broadcasting the two scores.

    Each positive score should beat its negative by the margin :math:`m`.
    ``positive_scores`` ``[N, 1]`` against ``negative_scores`` ``[N, K]``
    compares every positive with K negatives; ``"none"`` returns the
    broadcast shape and ``"mean"`` averages over every pair.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.pairwise_hinge_loss(np.array([[2.0], [0.0]]), np.array([[0.5, 1.5], [-2.0, 0.5]]),
    ...                             reduction="none")
    array([[0. , 0.5],
           [0. , 1.5]])
    """
    backend, (positive_scores, negative_scores) = _POSITIVE_SCORES_NEGATIVE_SCORES(
        positive_scores, negative_scores
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, positive_scores, "positive_scores")
    other = compute_dtype(xp, negative_scores, "negative_scores")
    if other == xp.float64:
        dtype = other
    margin = check_number(margin, name="margin")
    _check_broadcast(positive_scores.shape, negative_scores.shape)
    violation = margin + cast(xp, negative_scores, dtype) - cast(xp, positive_scores, dtype)
    return reduce(xp, xp.where(violation > 0, violation, 0.0), reduction)


def _check_broadcast(a, b):
    """``ValueError`` naming both shapes unless ``a`` and ``b`` broadcast together."""
    for i in range(1, min(len(a), len(b)) + 1):
        da, db = a[-i], b[-i]
        if da != db and 1 not in (da, db) and None not in (da, db):
            raise ValueError(
                "mlcloss: positive_scores and negative_scores must broadcast together, "
                f"received shapes {tuple(a)} and {tuple(b)}"
            )
