r"""Margin losses: the hinge on ±1 labels and the pairwise ranking hinge."""

from __future__ import annotations

from .._lib.arguments import check_number, poison_options
from .._lib.dtypes import cast, compute_dtype
from .._lib.elementwise import elementwise_rows, finish, prepare, saved_slope
from .._lib.reduce import check_reduction, reduce
from .._lib.registry import declare
from .._lib.validate import check_values, poison_rows
from ..backends import Inputs

__all__ = ["hinge_loss", "pairwise_hinge_loss"]

_SCORES_LABELS_WHERE_MARGIN = Inputs("scores", "labels", optional=("where", "margin"))
_POSITIVE_SCORES_NEGATIVE_SCORES_MARGIN = Inputs(
    "positive_scores", "negative_scores", optional=("margin",)
)


@declare(
    kind="elementwise",
    peers={"keras": "keras.losses.Hinge"},
    cases=lambda ex: {
        "hinge": ex.case(
            ex.LOGITS,
            ex.HARD > 0,
            margin=0.5,
            expected=ex.oracles.hinge(ex.LOGITS, ex.HARD > 0, margin=0.5),
        )
    },
    bench=lambda b: (b.logits, b.multi_hot, {}),
)
def hinge_loss(scores, labels, /, *, margin=1.0, where=None, reduction="mean"):
    r"""Hinge loss :math:`\max(0, m - y\, s)` with labels :math:`y = \pm 1`, elementwise.

    With scores :math:`s` (``scores``), labels :math:`y` (``labels``) and
    margin :math:`m` (``margin``), each element's loss is

    .. math::

        L = \max(0,\, m - y\, s), \qquad
        \frac{∂L}{∂s} = -y \ \text{where}\ y s < m, \ 0 \ \text{elsewhere}:

    zero once the score is on the right side of 0 by at least the margin,
    growing linearly otherwise (the support-vector machine's loss).
    Boolean labels map True → +1 and False → −1; numeric labels must be
    −1 or +1 (0/1 labels are rejected rather than guessed: pass them as
    bool). ``"mean"`` over all elements equals Keras 3's ``Hinge`` for rows
    of equal length.

    Parameters
    ----------
    scores : array
        Real scores :math:`s` (a classifier's raw outputs, no activation),
        any shape; 16-bit scores are computed in float32.
    labels : array, the shape of ``scores``: bool, or numeric ±1
        The classes :math:`y`: True / +1 for the positive class, False / −1
        for the negative one.
    margin : float
        :math:`m`, how far beyond 0 a score must be to cost nothing (default 1).
    where : bool array broadcastable to ``scores``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``scores`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 scores,
        float64 for float64 scores.

    References
    ----------
    Cortes & Vapnik, "Support-Vector Networks", Machine Learning 20, 1995.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.hinge_loss(np.array([2.0, 0.5, -0.3]), np.array([True, True, False]),
    ...                    reduction="none")
    array([0. , 0.5, 0.7])
    >>> mlcloss.hinge_loss(np.array([2.0, 0.5, -0.3]), np.array([1, 1, -1]), reduction="sum")
    np.float64(1.2)
    """
    backend, (scores, labels, where, margin) = _SCORES_LABELS_WHERE_MARGIN(
        scores, labels, where, margin
    )
    xp = backend.xp
    is_bool = xp.isdtype(labels.dtype, "bool")
    y, valid = prepare(xp, scores, labels, where, reduction, name="scores")
    margin = check_number(margin, name="margin", backend=backend, like=scores, dtype=y.dtype)
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
    bad = poison_options(xp, backend, bad, margin)
    return finish(
        xp,
        backend,
        _HINGE_ROWS,
        scores,
        {"y": y},
        options={"margin": margin},
        valid=valid,
        bad=bad,
        reduction=reduction,
    )


def _hinge_values(xp, backend, s, y, *, margin):
    """max(0, m − y s), and its slope ∂L/∂s: −y where the margin is violated, 0 elsewhere."""
    violation = margin - y * s
    active = violation > 0
    return xp.where(active, violation, 0.0), (xp.where(active, -y, 0.0),)


_HINGE_ROWS = elementwise_rows(_hinge_values, saved_slope)


@declare(
    kind="pairwise",
    closed_form=False,
    keras=False,
    peers={"torch": "torch.nn.functional.margin_ranking_loss(s⁺, s⁻, ones) (one pair per call)"},
    cases=lambda ex: {
        "pairwise-hinge": ex.case(
            ex.LOGITS[:, :1],
            ex.LOGITS[:, 1:],
            expected=ex.np.maximum(0.0, 1.0 + ex.LOGITS[:, 1:] - ex.LOGITS[:, :1]),
        )
    },
    bench=lambda b: (b.logits[:, :1], b.logits[:, 1:], {}),
)
def pairwise_hinge_loss(positive_scores, negative_scores, /, *, margin=1.0, reduction="mean"):
    r"""Pairwise ranking hinge :math:`\max(0, m + s^- - s^+)`, broadcasting the two scores.

    Each positive score should beat its negative by the margin :math:`m`.
    With :math:`s^+` (``positive_scores``) and :math:`s^-`
    (``negative_scores``) broadcast against each other, each pair's loss is

    .. math::

        L = \max(0,\, m + s^- - s^+),

    zero once the positive leads by at least :math:`m`, and its gradient is
    :math:`-1` on :math:`s^+` and :math:`+1` on :math:`s^-` where the margin
    is violated. ``positive_scores`` ``[N, 1]`` against ``negative_scores``
    ``[N, K]`` compares every positive with K negatives; ``"none"`` returns
    the broadcast shape and ``"mean"`` averages over every pair. It is
    ``torch.nn.functional.margin_ranking_loss(s_pos, s_neg, target,
    margin=m)`` with every target +1.

    Parameters
    ----------
    positive_scores : array
        The scores :math:`s^+` that should rank higher (for example a query's
        score of its relevant item, ``[N, 1]``); real floating.
    negative_scores : array, broadcastable with ``positive_scores``
        The scores :math:`s^-` that should rank lower (for example ``[N, K]``,
        K sampled negatives per row); real floating.
    margin : float
        :math:`m`, the lead a positive needs over a negative to cost nothing
        (default 1).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per pair, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` the loss of each pair, the broadcast shape
        of the two scores; for ``"mean"`` and ``"sum"`` a 0-d array. float64
        if either score is float64, float32 otherwise.

    References
    ----------
    Herbrich, Graepel & Obermayer, "Large Margin Rank Boundaries for Ordinal
    Regression", 2000; Joachims, "Optimizing Search Engines using
    Clickthrough Data" (Ranking SVM), KDD 2002.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.pairwise_hinge_loss(np.array([[2.0], [0.0]]), np.array([[0.5, 1.5], [-2.0, 0.5]]),
    ...                             reduction="none")
    array([[0. , 0.5],
           [0. , 1.5]])
    >>> mlcloss.pairwise_hinge_loss(np.array([[2.0], [0.0]]), np.array([[0.5, 1.5], [-2.0, 0.5]]))
    np.float64(0.5)
    """
    backend, (positive_scores, negative_scores, margin) = _POSITIVE_SCORES_NEGATIVE_SCORES_MARGIN(
        positive_scores, negative_scores, margin
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, positive_scores, "positive_scores")
    other = compute_dtype(xp, negative_scores, "negative_scores")
    if other == xp.float64:
        dtype = other
    margin = check_number(margin, name="margin", backend=backend, like=positive_scores, dtype=dtype)
    _check_broadcast(positive_scores.shape, negative_scores.shape)
    violation = margin + cast(xp, negative_scores, dtype) - cast(xp, positive_scores, dtype)
    loss = poison_rows(
        xp, xp.where(violation > 0, violation, 0.0), poison_options(xp, backend, None, margin)
    )
    return reduce(xp, loss, reduction)


def _check_broadcast(a, b):
    """``ValueError`` naming both shapes unless ``a`` and ``b`` broadcast together."""
    for i in range(1, min(len(a), len(b)) + 1):
        da, db = a[-i], b[-i]
        if da != db and 1 not in (da, db) and None not in (da, db):
            raise ValueError(
                "mlcloss: positive_scores and negative_scores must broadcast together, "
                f"received shapes {tuple(a)} and {tuple(b)}"
            )
