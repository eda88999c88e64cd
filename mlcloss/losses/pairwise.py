r"""Pairwise losses over class sets: the unified form of Circle Loss, and Circle Loss.

Both compare every positive score with every negative score of a row
without building the pair matrix: the sum over pairs factors,

.. math::

    \log\Bigl(1 + \sum_{i \in neg} \sum_{j \in pos} e^{a_i + b_j}\Bigr)
    = \operatorname{softplus}\bigl(\operatorname{LSE}_{neg}(a) + \operatorname{LSE}_{pos}(b)\bigr),

so a row costs O(C), not O(|neg| · |pos|). An empty set makes its
logsumexp −∞ and the row's loss 0 with a zero gradient.

References
----------
Sun et al., "Circle Loss: A Unified Perspective of Pair Similarity
Optimization", CVPR 2020, arXiv:2002.10857 (eq. 1 is the unified form).
"""

from __future__ import annotations

from functools import partial

from .._lib.arguments import check_number
from .._lib.gradients import EAGER, Rows, per_row, reduced
from .._lib.label_sets import hard_label_sets
from .._lib.reduce import check_reduction
from .._lib.stable import masked_logsumexp, masked_softmax
from ..backends import Inputs

__all__ = ["circle_loss", "unified_pairwise_loss"]

_LOGITS_LABELS_WHERE = Inputs("logits", "labels", optional=("where",))
_SIMILARITIES_LABELS_WHERE = Inputs("similarities", "labels", optional=("where",))


def unified_pairwise_loss(
    logits, labels, /, *, scale=1.0, margin=0.0, axis=-1, where=None, reduction="mean"
):
    r"""The unified pairwise loss: every positive above every negative by a margin.

    .. math::

        L = \log\Bigl(1 + \sum_{i \in neg} \sum_{j \in pos} e^{γ (s_i - s_j + m)}\Bigr)
          = \operatorname{softplus}\bigl(\operatorname{LSE}_{i \in neg} γ(s_i + m)
            + \operatorname{LSE}_{j \in pos} (-γ s_j)\bigr)

    With one positive, γ = 1 and m = 0 this is softmax cross-entropy; it is
    the ZLPR loss without the threshold class (so it has no decision
    threshold: use it for ranking, or when k is known at prediction time).

    Parameters
    ----------
    logits : array ``[..., C, ...]``
    labels : multi-hot array, the shape of ``logits`` (bool or 0/1)
    scale : float
        γ, the inverse temperature.
    margin : float
        m, the margin every positive must keep over every negative.
    axis : int
        The class axis.
    where : bool array broadcastable to ``logits``, optional
        False leaves the class out of the row.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns one loss per row; a row with no positive or no
        negative has loss 0.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    >>> labels = np.array([[1, 0, 0], [0, 0, 0]])
    >>> mlcloss.unified_pairwise_loss(logits, labels, reduction="none").round(4)
    array([0.2413, 0.    ])
    """
    backend, (logits, labels, where) = _LOGITS_LABELS_WHERE(logits, labels, where)
    xp = backend.xp
    check_reduction(reduction)
    scale = check_number(scale, name="scale", low=0.0)
    margin = check_number(margin, name="margin")
    _, positive, negative, bad = hard_label_sets(xp, backend, logits, labels, where, axis)
    scores = partial(_unified_scores, scale=scale, margin=margin)
    return _reduced(xp, backend, scores, logits, negative, positive, axis, reduction, bad)


def _unified_scores(xp, backend, x, *, scale, margin):
    """γ(s + m) over the negatives, −γ s over the positives, and their slopes in s."""
    return scale * (x + margin), -scale * x, scale, -scale


def circle_loss(
    similarities, labels, /, *, scale=80.0, margin=0.4, axis=-1, where=None, reduction="mean"
):
    r"""Circle loss on similarity scores (e.g. cosine similarities in [−1, 1]).

    Each similarity is re-weighted by how far it is from its optimum
    (:math:`O_p = 1 + m` for positives, :math:`O_n = -m` for negatives):

    .. math::

        α_p = [1 + m - s_p]_+, \quad α_n = [s_n + m]_+, \quad
        Δ_p = 1 - m, \quad Δ_n = m

        L = \operatorname{softplus}\Bigl(
            \operatorname{LSE}_{n} γ α_n (s_n - Δ_n)
          + \operatorname{LSE}_{p} \bigl(-γ α_p (s_p - Δ_p)\bigr)\Bigr)

    with the weights α held constant for the gradient (a stop-gradient
    through the backend adapter), as in the paper.

    Fed ``emb @ emb.T`` of L2-normalised embeddings with same-class entries as
    positives and the diagonal removed (``where=~eye``), each row is the loss
    of one anchor exactly as pytorch-metric-learning's ``CircleLoss(m, gamma)``
    computes it; PML then averages the anchors with a nonzero loss, here
    ``"mean"`` averages every row (``"none"`` gives the anchors). Keras 3's
    ``Circle`` loss takes integer labels and embeddings and builds the matrix
    itself, from cosine *distances* :math:`1 - s` clamped at 0; its per-anchor
    values are those here for :math:`s \le 1`, but it lets the gradient flow
    through the weights α (not the paper's gradient).

    Parameters
    ----------
    similarities : array ``[..., C, ...]``
        Similarity scores :math:`s`.
    labels : multi-hot array, the shape of ``similarities`` (bool or 0/1)
        Which entries are positive pairs.
    scale : float
        γ (80 in the paper for face recognition, 256 for re-identification).
    margin : float
        m, the relaxation (0.25 to 0.4 in the paper).
    axis : int
    where : bool array broadcastable to ``similarities``, optional
        False drops an entry (for example the diagonal of a similarity matrix).
    reduction : {"mean", "sum", "none"}
    """
    backend, (similarities, labels, where) = _SIMILARITIES_LABELS_WHERE(similarities, labels, where)
    xp = backend.xp
    check_reduction(reduction)
    scale = check_number(scale, name="scale", low=0.0)
    margin = check_number(margin, name="margin")
    _, positive, negative, bad = hard_label_sets(
        xp, backend, similarities, labels, where, axis, name="similarities"
    )
    scores = partial(_circle_scores, scale=scale, margin=margin)
    return _reduced(
        xp, backend, scores, similarities, negative, positive, axis, reduction, bad, autodiff=EAGER
    )


def _circle_scores(xp, backend, s, *, scale, margin):
    """γ α_n (s − Δ_n) over the negatives, −γ α_p (s − Δ_p) over the positives, and their
    slopes in s, with the weights α held constant."""
    weight_pos = backend.stop_gradient(xp.where(1 + margin - s > 0, 1 + margin - s, 0.0))
    weight_neg = backend.stop_gradient(xp.where(s + margin > 0, s + margin, 0.0))
    return (
        scale * weight_neg * (s - margin),
        -scale * weight_pos * (s - (1 - margin)),
        scale * weight_neg,
        -scale * weight_pos,
    )


def _reduced(
    xp, backend, scores, logits, negative, positive, axis, reduction, bad, autodiff=frozenset()
):
    """The reduced pairwise loss of ``scores(x) -> (a, b, a', b')`` with its closed-form gradient."""
    rows = Rows(
        partial(_pairwise_values, scores=scores),
        partial(_pairwise_gradient, scores=scores),
        autodiff=autodiff,
    )
    return reduced(
        xp, backend, rows, logits, negative, positive, axis=axis, reduction=reduction, bad=bad
    )


def _pairwise_values(xp, backend, x, negative, positive, *, scores):
    """softplus(LSE_neg a + LSE_pos b): log(1 + Σ_neg Σ_pos e^{a_i + b_j}), 0 for an empty set."""
    a, b, _, _ = scores(xp, backend, x)
    lse_neg = masked_logsumexp(xp, backend, a, where=negative)
    lse_pos = masked_logsumexp(xp, backend, b, where=positive)
    return backend.softplus(lse_neg + lse_pos), (lse_neg + lse_pos,)


def _pairwise_gradient(xp, backend, x, saved, g, negative, positive, *, scores):
    r"""∂L/∂s_i = σ(LSE_neg + LSE_pos) (softmax_neg(a)_i a'_i + softmax_pos(b)_i b'_i).

    A row with an empty set has σ(−∞) = 0 and so no gradient.
    """
    (total,) = saved
    a, b, slope_a, slope_b = scores(xp, backend, x)
    factor = backend.sigmoid(total)[..., None] * per_row(g)
    neg = masked_softmax(xp, backend, a, where=negative) * slope_a
    pos = masked_softmax(xp, backend, b, where=positive) * slope_b
    return factor * (neg + pos)
