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

from .._lib.arguments import check_number, poison_options
from .._lib.dtypes import compute_dtype
from .._lib.gradients import EAGER, Rows, per_row, reduced
from .._lib.label_sets import hard_label_sets
from .._lib.reduce import check_reduction
from .._lib.registry import declare
from .._lib.stable import masked_logsumexp, masked_max, masked_softmax
from ..backends import Inputs

__all__ = ["circle_loss", "unified_pairwise_loss"]

_LOGITS_LABELS_WHERE = Inputs("logits", "labels", optional=("where", "scale", "margin"))
_SIMILARITIES_LABELS_WHERE = Inputs("similarities", "labels", optional=("where", "scale", "margin"))


@declare(
    kind="class-set",
    peers={"kexue.fm": "Su, the unified pairwise loss (kexue.fm/archives/7359)"},
    cases=lambda ex: {
        "unified-pairwise": ex.case(
            ex.LOGITS,
            ex.HARD,
            where=ex.WHERE,
            scale=1.5,
            margin=0.2,
            expected=ex.oracles.unified_pairwise(
                ex.LOGITS, ex.HARD, scale=1.5, margin=0.2, where=ex.WHERE
            ),
        )
    },
    bench=lambda b: (b.logits, b.multi_hot, {}),
)
def unified_pairwise_loss(
    logits,
    labels,
    /,
    *,
    scale=1.0,
    margin=0.0,
    axis=-1,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""The unified pairwise loss: every positive above every negative by a margin.

    .. math::

        L = \log\Bigl(1 + \sum_{i \in neg} \sum_{j \in pos} e^{γ (s_i - s_j + m)}\Bigr)
          = \operatorname{softplus}\bigl(\operatorname{LSE}_{i \in neg} γ(s_i + m)
            + \operatorname{LSE}_{j \in pos} (-γ s_j)\bigr)

    With one positive, γ = 1 and m = 0 this is softmax cross-entropy; it is
    the ZLPR loss without the threshold class (so it has no decision
    threshold: use it for ranking, or when k is known at prediction time).

    Here :math:`s` are the logits along ``axis``, γ = ``scale`` and
    m = ``margin``. The double sum over all (negative, positive) pairs
    factors into one logsumexp per set, so a row costs O(C) rather than
    O(|neg| · |pos|), and each logsumexp is shifted by its own max, so
    large scales do not overflow. It is a smooth maximum of the pairwise
    violations :math:`γ(s_i - s_j + m)`: the worst-ranked pairs get most of
    the gradient.

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        Real scores :math:`s` (logits or similarities); real floating (16-bit
        logits are computed in float32).
    labels : multi-hot array, the shape of ``logits`` (bool or 0/1)
        True (or 1) for the positive classes of each row, any number of them.
    scale : float
        γ, the inverse temperature.
        Larger values sharpen the smooth maximum towards the single worst
        pair (default 1).
    margin : float
        m, the margin every positive must keep over every negative.
        Default 0.
    axis : int
        The class axis.
        Default -1, the last.
    where : bool array broadcastable to ``logits``, optional
        False leaves the class out of the row.
        It is then neither a positive nor a negative of that row.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns one loss per row; a row with no positive or no
        negative has loss 0. ``"sum"`` adds the rows and ``"mean"``
        averages every row.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.

    References
    ----------
    Sun et al., "Circle Loss: A Unified Perspective of Pair Similarity
    Optimization", CVPR 2020, arXiv:2002.10857, eq. 1. Su,
    将“softmax+交叉熵”推广到多标签分类问题, kexue.fm/archives/7359, 2020.

    Examples
    --------
    A row with one positive is softmax cross-entropy; a row with no
    positive costs 0:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    >>> labels = np.array([[1, 0, 0], [0, 0, 0]])
    >>> mlcloss.unified_pairwise_loss(logits, labels, reduction="none").round(4)
    array([0.2413, 0.    ])
    >>> mlcloss.softmax_cross_entropy(logits[:1], np.array([0])).round(4)
    np.float64(0.2413)
    """
    backend, (logits, labels, where, scale, margin) = _LOGITS_LABELS_WHERE(
        logits, labels, where, scale, margin
    )
    xp = backend.xp
    check_reduction(reduction)
    scalar = {"backend": backend, "like": logits, "dtype": compute_dtype(xp, logits, "logits")}
    scale = check_number(scale, name="scale", low=0.0, **scalar)
    margin = check_number(margin, name="margin", **scalar)
    _, positive, negative, bad = hard_label_sets(xp, backend, logits, labels, where, axis)
    bad = poison_options(xp, backend, bad, scale, margin)
    arrays = {"negative": negative, "positive": positive}
    options = {"scale": scale, "margin": margin}
    return reduced(
        xp,
        backend,
        _UNIFIED_ROWS,
        logits,
        arrays,
        options=options,
        axis=axis,
        reduction=reduction,
        bad=bad,
        sample_weight=sample_weight,
    )


def _unified_scores(xp, backend, x, *, scale, margin):
    """γ(s + m) over the negatives, −γ s over the positives, and their slopes in s."""
    return scale * (x + margin), -scale * x, scale, -scale


@declare(
    kind="class-set",
    peers={"pytorch-metric-learning": "pytorch_metric_learning.losses.CircleLoss"},
    cases=lambda ex: {
        "circle": ex.case(
            ex.SIMILARITIES,
            ex.HARD,
            where=ex.WHERE,
            scale=16.0,
            margin=0.25,
            expected=ex.oracles.circle(
                ex.SIMILARITIES, ex.HARD, scale=16.0, margin=0.25, where=ex.WHERE
            ),
            # the gradient holds the adaptive weights α constant at the evaluation point
            gradient_of=lambda s: ex.oracles.circle(
                s, ex.HARD, scale=16.0, margin=0.25, where=ex.WHERE, weights_from=ex.SIMILARITIES
            ),
        )
    },
    bench=lambda b: (b.similarities, b.multi_hot, {}),
)
def circle_loss(
    similarities,
    labels,
    /,
    *,
    scale=80.0,
    margin=0.4,
    axis=-1,
    where=None,
    sample_weight=None,
    reduction="mean",
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
        Meant for values in [−1, 1] (the optima 1 + m and −m assume it);
        real floating, 16-bit inputs are computed in float32.
    labels : multi-hot array, the shape of ``similarities`` (bool or 0/1)
        Which entries are positive pairs.
    scale : float
        γ (80 in the paper for face recognition, 256 for re-identification).
        It sets how sharply the worst pairs dominate (default 80).
    margin : float
        m, the relaxation (0.25 to 0.4 in the paper).
        Default 0.4.
    axis : int
        The axis of each anchor's candidates (default -1, the last).
    where : bool array broadcastable to ``similarities``, optional
        False drops an entry (for example the diagonal of a similarity matrix).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row (per anchor); ``"sum"`` adds them
        and ``"mean"`` averages every row. A row with no positive or no
        negative has loss 0.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``similarities.shape``
        without ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 inputs, float64 for float64 inputs.

    References
    ----------
    Sun, Cheng, Zhang, Zhang, Zheng, Wang & Wei, "Circle Loss: A Unified
    Perspective of Pair Similarity Optimization", CVPR 2020,
    arXiv:2002.10857.

    Examples
    --------
    Four unit embeddings of two classes; each row is one anchor against the
    other three:

    >>> import numpy as np, mlcloss
    >>> emb = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
    >>> classes = np.array([0, 0, 1, 1])
    >>> same = classes[:, None] == classes[None, :]
    >>> loss = mlcloss.circle_loss(emb @ emb.T, same, where=~np.eye(4, dtype=bool),
    ...                            reduction="none")
    >>> loss.round(4).tolist()
    [0.0001, 6.4017, 6.4017, 0.0001]

    The outer anchors have their positive at similarity 0.8 and their
    nearest negative at 0; the middle ones have a negative at 0.6, well
    inside the margin, and carry almost all the loss.
    """
    backend, (similarities, labels, where, scale, margin) = _SIMILARITIES_LABELS_WHERE(
        similarities, labels, where, scale, margin
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, similarities, "similarities")
    scalar = {"backend": backend, "like": similarities, "dtype": dtype}
    scale = check_number(scale, name="scale", low=0.0, **scalar)
    margin = check_number(margin, name="margin", **scalar)
    _, positive, negative, bad = hard_label_sets(
        xp, backend, similarities, labels, where, axis, name="similarities"
    )
    bad = poison_options(xp, backend, bad, scale, margin)
    arrays = {"negative": negative, "positive": positive}
    options = {"scale": scale, "margin": margin}
    return reduced(
        xp,
        backend,
        _CIRCLE_ROWS,
        similarities,
        arrays,
        options=options,
        axis=axis,
        reduction=reduction,
        bad=bad,
        sample_weight=sample_weight,
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


def _pairwise_values(xp, backend, x, negative, positive, *, scores, invariant, **options):
    """softplus(LSE_neg a + LSE_pos b): log(1 + Σ_neg Σ_pos e^{a_i + b_j}), 0 for an empty set.

    When a + b depends on differences of ``x`` alone (``invariant``), ``x`` is first shifted
    by its row's largest valid logit: the two logsumexps then stay small, and their sum keeps
    its digits where ±γ · 1e8 would cancel them in float32. The gradient needs no shift (it
    is made of softmaxes).
    """
    if invariant:
        x = x - backend.stop_gradient(masked_max(xp, x, negative | positive))
    a, b, _, _ = scores(xp, backend, x, **options)
    lse_neg = masked_logsumexp(xp, backend, a, where=negative)
    lse_pos = masked_logsumexp(xp, backend, b, where=positive)
    return backend.softplus(lse_neg + lse_pos), (lse_neg + lse_pos,)


def _pairwise_gradient(
    xp, backend, x, saved, g, negative, positive, *, scores, invariant, **options
):
    r"""∂L/∂s_i = σ(LSE_neg + LSE_pos) (softmax_neg(a)_i a'_i + softmax_pos(b)_i b'_i).

    A row with an empty set has σ(−∞) = 0 and so no gradient.
    """
    (total,) = saved
    a, b, slope_a, slope_b = scores(xp, backend, x, **options)
    factor = backend.sigmoid(total)[..., None] * per_row(g)
    neg = masked_softmax(xp, backend, a, where=negative) * slope_a
    pos = masked_softmax(xp, backend, b, where=positive) * slope_b
    return factor * (neg + pos)


def _pairwise_rows(scores, *, invariant, autodiff=frozenset()) -> Rows:
    return Rows(
        partial(_pairwise_values, scores=scores, invariant=invariant),
        partial(_pairwise_gradient, scores=scores, invariant=invariant),
        autodiff=autodiff,
    )


_UNIFIED_ROWS = _pairwise_rows(_unified_scores, invariant=True)
# the circle loss keeps eager autograd: its gradient takes as many kernels as the replay;
# its weights depend on the similarities themselves, so no shift leaves it unchanged
_CIRCLE_ROWS = _pairwise_rows(_circle_scores, invariant=False, autodiff=EAGER)
