r"""Metric learning: embeddings pulled together or pushed apart by distance or by softmax.

:func:`triplet_margin_loss` is torch's (and optax's through ``eps_at``): one
loss per (anchor, positive, negative) triplet. :func:`contrastive_loss`,
:func:`ntxent_loss` and :func:`supervised_contrastive_loss` are
pytorch-metric-learning's ``ContrastiveLoss``, ``NTXentLoss`` and ``SupConLoss``
with their default distances and reducers: every pair of the batch is formed
from the labels, the self-pair left out. :func:`info_nce_loss` is CLIP's
in-batch softmax, and :func:`margin_softmax_cross_entropy` ArcFace / CosFace
over cosines to class centres.

The in-batch losses' ``reduction="none"`` returns, for each example, N times
its share of the batch loss (the terms of the pairs it anchors, divided by the
peer's count of pairs or anchors): their mean is the peer's number, so Keras's
``sum_over_batch_size`` reproduces it too, and where every anchor has one
positive (SimCLR's two views) each row is that anchor's own loss.

Every embedding is normalised with a floored norm (a zero vector is finite in
value and gradient); no square root is taken at 0 in a gradient path, and the
self-pairs leave each softmax through a mask, never through ``-inf``
arithmetic.
"""

from __future__ import annotations

import math

from .._compat import device
from .._lib.arguments import check_flag, check_number, is_array, poison_options
from .._lib.dtypes import cast, compute_dtype
from .._lib.label_sets import index_rows
from .._lib.reduce import check_reduction, count_where, divisor, reduce
from .._lib.registry import declare
from .._lib.shapes import broadcast_like, class_axis_last
from .._lib.stable import masked_logsumexp
from .._lib.validate import (
    check_broadcastable,
    check_label_dtype,
    check_ndim,
    check_same_shape,
    normalize_axis,
    poison_rows,
)
from ..backends import Inputs
from .similarity import _floored_norm

__all__ = [
    "contrastive_loss",
    "info_nce_loss",
    "margin_softmax_cross_entropy",
    "ntxent_loss",
    "supervised_contrastive_loss",
    "triplet_margin_loss",
]

_TRIPLET = Inputs("anchor", "positive", "negative", optional=("margin", "eps"))
_EMBEDDINGS_LABELS_TEMPERATURE = Inputs("embeddings", "labels", optional=("temperature",))
_EMBEDDINGS_LABELS_MARGINS = Inputs("embeddings", "labels", optional=("pos_margin", "neg_margin"))
_QUERIES_KEYS_TEMPERATURE = Inputs("queries", "keys", optional=("temperature",))
_COSINES_LABELS_SCALE_MARGIN = Inputs("cosines", "labels", optional=("scale", "margin"))

_NORM_FLOOR = 1e-24
"""The floor of each squared norm: 1e-12², so ``e / max(‖e‖, 1e-12)`` is torch's ``F.normalize``."""

_EPS_AT = ("difference", "sum")
_KINDS = ("arc", "cos")


# -- triplet ---------------------------------------------------------------------


def _safe_sqrt(xp, s):
    """√s, exactly 0 at s ≤ 0 with a zero gradient there (double where: no √0 to differentiate)."""
    positive = s > 0
    return xp.where(positive, xp.sqrt(xp.where(positive, s, 1.0)), 0.0)


def _safe_power(xp, s, q):
    """s^q for s ≥ 0, exactly 0 at s = 0 with a zero gradient there (q may be below 1)."""
    positive = s > 0
    return xp.where(positive, xp.where(positive, s, 1.0) ** q, 0.0)


def _lp_norm(xp, d, p, eps_sum):
    """(Σ|d|^p + eps_sum)^{1/p} along the last axis (max |d| for p = ∞, eps_sum 0)."""
    if math.isinf(p):
        return xp.max(xp.abs(d), axis=-1)
    if p == 1.0:
        total = xp.sum(xp.abs(d), axis=-1)
    elif p == 2.0:
        total = xp.sum(d * d, axis=-1)
    else:
        total = xp.sum(_safe_power(xp, xp.abs(d), p), axis=-1)
    if eps_sum is not None:
        total = total + eps_sum
    if p == 1.0:
        return total
    return _safe_sqrt(xp, total) if p == 2.0 else _safe_power(xp, total, 1.0 / p)


def _distance_gap(xp, u, v, minus, plus, p, eps_sum):
    """‖u‖ − ‖v‖ for two differences of embeddings (already shifted by ``eps``), ‖·‖ the
    distance of :func:`_lp_norm`; ``minus`` and ``plus`` are u − v and u + v computed from the
    embeddings themselves.

    For p = 2 the gap is (d₁² − d₂²) / (d₁ + d₂) with d₁² − d₂² = Σ (u − v)(u + v) (``eps_sum``
    cancels): neither two distances nor two differences of large embeddings are subtracted, so
    far-away embeddings (large norms) keep the gap's digits, which the plain difference of two
    distances loses.
    """
    d1, d2 = _lp_norm(xp, u, p, eps_sum), _lp_norm(xp, v, p, eps_sum)
    if p != 2.0:
        return d1 - d2
    numerator = xp.sum(minus * plus, axis=-1)
    total = d1 + d2
    present = total > 0
    return xp.where(present, numerator / xp.where(present, total, 1.0), 0.0)


@declare(
    kind="class-set",
    closed_form=False,
    keras=False,
    peers={
        "torch": "torch.nn.functional.triplet_margin_loss",
        "optax": "optax.losses.triplet_margin_loss (eps_at='sum', reduction='none', even p)",
    },
    cases=lambda ex: {
        "triplet": ex.case(
            ex.LOGITS,
            ex.SOFT - 0.5,
            ex.SIMILARITIES,
            expected=ex.oracles.triplet_margin(ex.LOGITS, ex.SOFT - 0.5, ex.SIMILARITIES),
        ),
        "triplet-swap-sum": ex.case(
            ex.LOGITS,
            ex.SOFT - 0.5,
            ex.SIMILARITIES,
            margin=2.5,
            swap=True,
            eps_at="sum",
            expected=ex.oracles.triplet_margin(
                ex.LOGITS, ex.SOFT - 0.5, ex.SIMILARITIES, margin=2.5, swap=True, eps_at="sum"
            ),
        ),
    },
    bench=lambda b: (b.logits, b.targets, b.targets, {}),
    timed_against={
        "torch": lambda m, a, p, n: m.F.triplet_margin_loss(a, p, n),
        "jax": lambda m, a, p, n: m.optax.losses.triplet_margin_loss(a, p, n),
    },
)
def triplet_margin_loss(
    anchor,
    positive,
    negative,
    /,
    *,
    margin=1.0,
    p=2.0,
    eps=1e-6,
    swap=False,
    eps_at="difference",
    axis=-1,
    sample_weight=None,
    reduction="mean",
):
    r"""Triplet margin loss: each anchor nearer its positive than its negative by ``margin``.

    With the anchor :math:`a` (``anchor``), positive :math:`x^+`
    (``positive``) and negative :math:`x^-` (``negative``), vectors along
    ``axis``, and the distance :math:`d(u, v) = \lVert u - v + ε\rVert_p`
    (:math:`ε` = ``eps`` added to every coordinate of the difference,
    :math:`p` = ``p``),

    .. math::

        L = \max\bigl(0,\ m + d(a, x^+) - d(a, x^-)\bigr),

    :math:`m` = ``margin``. With ``swap=True`` (Balntas et al. 2016) the
    negative distance is :math:`\min(d(a, x^-), d(x^+, x^-))`.
    ``torch.nn.functional.triplet_margin_loss``, number for number (its
    ``pairwise_distance`` adds ``eps`` to the difference). With
    ``eps_at="sum"`` the distance is optax's, :math:`(\sum_k |u_k -
    v_k|^p + ε)^{1/p}`: ``optax.losses.triplet_margin_loss(anchor,
    positive, negative, norm_degree=p, margin=margin, eps=eps)`` is this
    loss with ``reduction="none"`` (for an even ``p``: optax raises the
    signed difference to the power ``p``).

    For ``p=2`` the gap :math:`d(a, x^+) - d(a, x^-)` is computed as
    :math:`(d_+^2 - d_-^2) / (d_+ + d_-)` with :math:`d_+^2 - d_-^2 = \sum
    (u - v)(u + v)`, so embeddings of large norm keep the gap's digits. A
    distance of exactly 0 (``eps=0`` and equal vectors) has a zero gradient,
    never the NaN of :math:`\sqrt{0}`. Gradients reach all three inputs.

    Parameters
    ----------
    anchor : array ``[..., D, ...]``
        The anchors along ``axis``, real floating (16-bit inputs are computed
        in float32).
    positive : array broadcastable to ``anchor``
        The positives, real floating, cast to the compute dtype.
    negative : array broadcastable to ``anchor``
        The negatives, real floating, cast to the compute dtype (one negative
        for the whole batch broadcasts).
    margin : float >= 0 or 0-d array
        :math:`m` (default 1, torch's; torch refuses 0, which is allowed here).
    p : float > 0
        The norm degree (default 2); ``math.inf`` is the largest coordinate.
    eps : float >= 0 or 0-d array
        :math:`ε` (default 1e-6, torch's and optax's).
    swap : bool
        Use the smaller of the two negative distances (default False).
    eps_at : {"difference", "sum"}
        Where ``eps`` enters: each coordinate of the difference (torch, the
        default) or the sum of powers under the root (optax).
    axis : int
        The vector axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per triplet, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per triplet, ``anchor.shape``
        without ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 anchors, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> a = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> x_pos = np.array([[0.1, 0.1], [1.1, 1.1]])
    >>> x_neg = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> mlcloss.triplet_margin_loss(a, x_pos, x_neg, eps_at="sum", reduction="none").round(4)
    array([0.1414, 0.1414])
    """
    backend, (anchor, positive, negative, margin, eps) = _TRIPLET(
        anchor, positive, negative, margin, eps
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, anchor, "anchor")
    axis = normalize_axis(axis, anchor.ndim)
    vectors = []
    for name, x in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        compute_dtype(xp, x, name)
        check_broadcastable(x, anchor.shape, name=name, target="anchor")
        vectors.append(class_axis_last(xp, broadcast_like(xp, cast(xp, x, dtype), anchor), axis))
    a, x_pos, x_neg = vectors
    margin = check_number(margin, name="margin", low=0.0, backend=backend, like=anchor, dtype=dtype)
    eps = check_number(eps, name="eps", low=0.0, backend=backend, like=anchor, dtype=dtype)
    p = check_number(p, name="p", low=0.0, low_open=True)
    swap = check_flag(swap, name="swap")
    if eps_at not in _EPS_AT:
        raise ValueError(f"mlcloss: eps_at must be 'difference' or 'sum', received {eps_at!r}")
    if eps_at == "sum" and math.isinf(p):
        raise ValueError("mlcloss: eps_at='sum' needs a finite p, received p=inf")
    shift, eps_sum = (eps, None) if eps_at == "difference" else (0.0, eps)
    to_pos, to_neg = a - x_pos + shift, a - x_neg + shift
    gap = _distance_gap(xp, to_pos, to_neg, x_neg - x_pos, to_pos + to_neg, p, eps_sum)
    if swap:  # d(a, x+) − min(d(a, x−), d(x+, x−)) is the larger of the two gaps
        between = x_pos - x_neg + shift
        minus, plus = a - 2 * x_pos + x_neg, to_neg + shift
        gap = xp.maximum(gap, _distance_gap(xp, to_pos, between, minus, plus, p, eps_sum))
    hinge = margin + gap
    loss = xp.where(hinge > 0, hinge, 0.0)
    return reduce(
        xp,
        poison_rows(xp, loss, poison_options(xp, backend, None, margin, eps)),
        reduction,
        sample_weight=sample_weight,
    )


# -- in-batch losses: the pairs of a batch of embeddings ------------------------------


def _batch(xp, embeddings, labels):
    """``(e, same, eye)``: the ``[N, D]`` embeddings in their compute dtype, whether two labels
    are equal (``[N, N]``) and the diagonal; raises for a bad shape or dtype."""
    dtype = compute_dtype(xp, embeddings, "embeddings")
    check_ndim(embeddings, 2, name="embeddings", layout="[N, D]")
    check_label_dtype(xp, labels)
    n = embeddings.shape[0]
    if labels.ndim != 1 or (None not in (n, labels.shape[0]) and labels.shape[0] != n):
        raise ValueError(
            f"mlcloss: labels must have shape [N] = ({n},), one label per embedding, "
            f"received {tuple(labels.shape)}"
        )
    if n is None:  # a batch known only at run time (tf.function with a None dimension)
        n = xp.sum(xp.ones_like(labels, dtype=xp.int64))
    index = xp.arange(n, device=device(embeddings))
    same = labels[:, None] == labels[None, :]
    eye = index[:, None] == index[None, :]
    return cast(xp, embeddings, dtype), same, eye


def _unit(xp, e):
    """The rows of ``e`` over max(‖row‖, 1e-12) (torch's ``F.normalize``; a zero row stays 0)."""
    return e / _floored_norm(xp, e, _NORM_FLOOR)[:, None]


def _cosines(xp, u, v):
    """``u @ v.T``: the cosines of unit rows."""
    return xp.matmul(u, xp.matrix_transpose(v))


def _rows(xp, per_anchor, count=None):
    """N × ``per_anchor`` / ``count`` (None: 1; a zero count divides as 1): each anchor's share
    of the batch loss, scaled so that the mean of the rows is the batch loss."""
    n = per_anchor.shape[0]
    size = n if n is not None else xp.sum(xp.ones_like(per_anchor))
    if count is None:
        return per_anchor * size
    return per_anchor * (size / divisor(xp, per_anchor, count))


def _temperature(temperature, backend, like, dtype):
    return check_number(
        temperature,
        name="temperature",
        low=0.0,
        low_open=True,
        backend=backend,
        like=like,
        dtype=dtype,
    )


def _embedding_cases(ex, oracle, **options):
    """The case of an in-batch loss on the 4 example rows: groups of 3 and 1 (an anchor
    without positives; SimCLR's pairs are tested against the peers in tests/test_metric.py)."""
    uneven = ex.np.array([2, 2, 5, 2])
    return {
        "uneven": ex.case(
            ex.LOGITS, uneven, **options, expected=oracle(ex.LOGITS, uneven, **options)
        ),
    }


_PML_CACHE: dict = {}


def _pml(m, name, **options):
    """A cached pytorch-metric-learning loss object (the benchmark's peer)."""
    key = (name, tuple(sorted(options.items())))
    if key not in _PML_CACHE:
        _PML_CACHE[key] = getattr(getattr(m, "pytorch_metric_learning.losses"), name)(**options)
    return _PML_CACHE[key]


@declare(
    kind="embedding",
    labels="index",
    closed_form=False,
    peers={"pytorch-metric-learning": "pytorch_metric_learning.losses.ContrastiveLoss()"},
    cases=lambda ex: {
        f"contrastive-{name}": case
        for name, case in _embedding_cases(ex, ex.oracles.contrastive, neg_margin=1.2).items()
    },
    bench=lambda b: (b.logits, b.index % 32, {}),
    timed_against={"torch": lambda m, e, y: _pml(m, "ContrastiveLoss")(e, y)},
)
def contrastive_loss(
    embeddings, labels, /, *, pos_margin=0.0, neg_margin=1.0, sample_weight=None, reduction="mean"
):
    r"""Contrastive loss (Hadsell et al. 2006): same-label pairs near, other pairs apart.

    With the unit rows :math:`\hat e_i = e_i / \max(\lVert e_i\rVert, 10^{-12})`
    of ``embeddings`` and their distances :math:`d_{ij} = \lVert \hat e_i -
    \hat e_j\rVert`, each positive pair (:math:`i \ne j`, same label) costs
    :math:`\ell^+_{ij} = \max(0, d_{ij} - m_+)` and each negative pair
    (other label) :math:`\ell^-_{ij} = \max(0, m_- - d_{ij})`, :math:`m_\pm`
    = ``pos_margin`` / ``neg_margin``. The loss averages each kind over its
    pairs of nonzero cost (:math:`P_+`, :math:`Q_+` pairs) and adds the two:

    .. math::

        L = \frac{1}{P_+} \sum_{ij} \ell^+_{ij} + \frac{1}{Q_+} \sum_{ij} \ell^-_{ij},

    pytorch-metric-learning's ``ContrastiveLoss(pos_margin, neg_margin)``
    with its defaults (``LpDistance`` of normalised embeddings,
    ``AvgNonZeroReducer`` on each kind), number for number. A kind with no
    pair of nonzero cost adds 0.

    The distances come from the Gram matrix, :math:`d_{ij}^2 = \lVert \hat
    e_i\rVert^2 + \lVert \hat e_j\rVert^2 - 2 \hat e_i \cdot \hat e_j`
    clipped at 0, under a square root that is 0 with a zero gradient at 0
    (identical embeddings stay finite). A zero embedding normalises to 0 and
    lies at distance 1 from every unit row, as for the peer.

    Parameters
    ----------
    embeddings : array ``[N, D]``
        One embedding a row, real floating (16-bit inputs are computed in
        float32).
    labels : array ``[N]``
        The class of each embedding (integers; any equality-comparable
        dtype): equal labels make the positive pairs.
    pos_margin : float or 0-d array
        :math:`m_+`, the distance under which a positive pair costs nothing
        (default 0, the peer's).
    neg_margin : float or 0-d array
        :math:`m_-`, the distance beyond which a negative pair costs nothing
        (default 1, the peer's).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` is :math:`L`; ``"none"`` gives row i as N times anchor
        i's terms of :math:`L` (so their mean is :math:`L`); ``"sum"`` is
        N · L.

    Returns
    -------
    array
        For ``reduction="none"`` one value per example, ``[N]``; for
        ``"mean"`` and ``"sum"`` a 0-d array. float32 for 16-bit or float32
        embeddings, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> e = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.2], [-1.0, 0.0]])
    >>> round(float(mlcloss.contrastive_loss(e, np.array([0, 0, 1, 1]))), 6)
    2.505165
    """
    backend, (embeddings, labels, pos_margin, neg_margin) = _EMBEDDINGS_LABELS_MARGINS(
        embeddings, labels, pos_margin, neg_margin
    )
    xp = backend.xp
    check_reduction(reduction)
    e, same, eye = _batch(xp, embeddings, labels)
    like, dtype = embeddings, e.dtype
    pos_margin = check_number(
        pos_margin, name="pos_margin", backend=backend, like=like, dtype=dtype
    )
    neg_margin = check_number(
        neg_margin, name="neg_margin", backend=backend, like=like, dtype=dtype
    )
    u = _unit(xp, e)
    squares = xp.sum(u * u, axis=-1)
    d = _safe_sqrt(xp, squares[:, None] + squares[None, :] - 2 * _cosines(xp, u, u))
    pull, push = d - pos_margin, neg_margin - d
    pos_cost = xp.where(same & ~eye & (pull > 0), pull, 0.0)
    neg_cost = xp.where(~same & (push > 0), push, 0.0)
    per_anchor = xp.sum(pos_cost, axis=-1) / divisor(
        xp, pos_cost, count_where(xp, pos_cost > 0, dtype)
    ) + xp.sum(neg_cost, axis=-1) / divisor(xp, neg_cost, count_where(xp, neg_cost > 0, dtype))
    rows = _rows(xp, per_anchor)
    bad = poison_options(xp, backend, None, pos_margin, neg_margin)
    return reduce(xp, poison_rows(xp, rows, bad), reduction, sample_weight=sample_weight)


@declare(
    kind="embedding",
    labels="index",
    closed_form=False,
    peers={
        "pytorch-metric-learning": "pytorch_metric_learning.losses.NTXentLoss(temperature)",
        "optax": "optax.losses.ntxent",
    },
    cases=lambda ex: {
        f"ntxent-{name}": case
        for name, case in _embedding_cases(ex, ex.oracles.ntxent, temperature=0.5).items()
    },
    bench=lambda b: (b.logits, b.index % 32, {}),
    timed_against={
        "torch": lambda m, e, y: _pml(m, "NTXentLoss")(e, y),
        "jax": lambda m, e, y: m.optax.losses.ntxent(e, y),
    },
)
def ntxent_loss(embeddings, labels, /, *, temperature=0.07, sample_weight=None, reduction="mean"):
    r"""NT-Xent (SimCLR, Chen et al. 2020): each positive against the anchor's negatives.

    With the cosines :math:`s_{ij} = \hat e_i \cdot \hat e_j / τ` of the
    unit rows of ``embeddings`` (:math:`τ` = ``temperature``), each positive
    pair (:math:`i \ne j`, same label) costs

    .. math::

        \ell_{ij} = -\log \frac{e^{s_{ij}}}{e^{s_{ij}} + \sum_{k \in N(i)} e^{s_{ik}}}
                  = \operatorname{softplus}\Bigl(\operatorname{LSE}_{k \in N(i)} s_{ik}
                    - s_{ij}\Bigr),

    :math:`N(i)` the examples of another label (the other positives of
    :math:`i` are not in the denominator), and :math:`L` is the mean of
    :math:`\ell_{ij}` over all :math:`P` positive pairs: 0 for a batch
    without a positive or without a negative pair.
    pytorch-metric-learning's ``NTXentLoss(temperature)`` (``CosineSimilarity``,
    ``MeanReducer``) and ``optax.losses.ntxent(embeddings, labels,
    temperature)``, number for number; computed as the softplus of a masked
    logsumexp, exact where the peers' ``log(ratio + tiny)`` stops at
    :math:`-\log(\text{tiny})`. optax floors the squared norm at the
    dtype's epsilon, this loss (as pytorch-metric-learning) the norm at
    1e-12: they differ for rows of norm below 1e-4 (float32).

    Parameters
    ----------
    embeddings : array ``[N, D]``
        One embedding a row (two or more views of an example share a label),
        real floating (16-bit inputs are computed in float32).
    labels : array ``[N]``
        The label of each embedding: equal labels make the positive pairs.
    temperature : float > 0 or 0-d array
        :math:`τ` (default 0.07, the peers'); a 0-d array may be learned.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` is :math:`L`; ``"none"`` gives row i as
        :math:`N \sum_j \ell_{ij} / P` (anchor i's own loss when every
        anchor has one positive, SimCLR's pairs of views); ``"sum"`` is N · L.

    Returns
    -------
    array
        For ``reduction="none"`` one value per example, ``[N]``; for
        ``"mean"`` and ``"sum"`` a 0-d array. float32 for 16-bit or float32
        embeddings, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> e = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> mlcloss.ntxent_loss(e, np.array([0, 0, 1, 1]), temperature=0.5, reduction="none").round(4)
    array([0.2684, 0.3245, 0.2684, 0.3245])
    """
    backend, (embeddings, labels, temperature) = _EMBEDDINGS_LABELS_TEMPERATURE(
        embeddings, labels, temperature
    )
    xp = backend.xp
    check_reduction(reduction)
    e, same, eye = _batch(xp, embeddings, labels)
    temperature = _temperature(temperature, backend, embeddings, e.dtype)
    u = _unit(xp, e)
    s = _cosines(xp, u, u) / temperature
    positive, negative = same & ~eye, ~same
    has_negative = xp.any(negative, axis=-1)
    lse = masked_logsumexp(xp, backend, s, where=negative, axis=-1)
    lse = xp.where(has_negative, lse, 0.0)  # finite for anchors without negatives (left out)
    cost = backend.softplus(lse[:, None] - s)
    cost = xp.where(positive & has_negative[:, None], cost, 0.0)
    count = count_where(xp, positive, e.dtype)
    rows = _rows(xp, xp.sum(cost, axis=-1), count)
    return reduce(
        xp,
        poison_rows(xp, rows, poison_options(xp, backend, None, temperature)),
        reduction,
        sample_weight=sample_weight,
    )


@declare(
    kind="embedding",
    labels="index",
    closed_form=False,
    peers={"pytorch-metric-learning": "pytorch_metric_learning.losses.SupConLoss(temperature)"},
    cases=lambda ex: {
        f"supcon-{name}": case
        for name, case in _embedding_cases(
            ex, ex.oracles.supervised_contrastive, temperature=0.5
        ).items()
    },
    bench=lambda b: (b.logits, b.index % 32, {}),
    timed_against={"torch": lambda m, e, y: _pml(m, "SupConLoss")(e, y)},
)
def supervised_contrastive_loss(
    embeddings, labels, /, *, temperature=0.1, sample_weight=None, reduction="mean"
):
    r"""Supervised contrastive loss (SupCon, Khosla et al. 2020): all positives of each anchor.

    With the cosines :math:`s_{ij} = \hat e_i \cdot \hat e_j / τ` of the
    unit rows of ``embeddings`` (:math:`τ` = ``temperature``) and
    :math:`P(i)` the other examples of anchor :math:`i`'s label,

    .. math::

        \ell_i = -\frac{1}{|P(i)|} \sum_{j \in P(i)} \Bigl(s_{ij}
                 - \operatorname{LSE}_{k \ne i} s_{ik}\Bigr),

    0 for an anchor without positives (and for every anchor when the batch
    has no positive or no negative pair). :math:`L` averages :math:`\ell_i`
    over the :math:`A` anchors of nonzero loss: pytorch-metric-learning's
    ``SupConLoss(temperature)`` (``CosineSimilarity``, ``AvgNonZeroReducer``),
    number for number (the "L_out" form of the paper). The self-pair leaves
    the logsumexp through a mask.

    Parameters
    ----------
    embeddings : array ``[N, D]``
        One embedding a row, real floating (16-bit inputs are computed in
        float32).
    labels : array ``[N]``
        The label of each embedding: equal labels make the positive pairs.
    temperature : float > 0 or 0-d array
        :math:`τ` (default 0.1, the peer's); a 0-d array may be learned.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` is :math:`L`; ``"none"`` gives row i as
        :math:`N \ell_i / A` (anchor i's own loss when every anchor has a
        positive); ``"sum"`` is N · L.

    Returns
    -------
    array
        For ``reduction="none"`` one value per example, ``[N]``; for
        ``"mean"`` and ``"sum"`` a 0-d array. float32 for 16-bit or float32
        embeddings, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> e = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> loss = mlcloss.supervised_contrastive_loss
    >>> loss(e, np.array([0, 0, 1, 1]), temperature=0.5, reduction="none").round(4)
    array([0.2684, 0.3245, 0.2684, 0.3245])

    With one positive per anchor it is NT-Xent. Two anchors without a
    positive: the mean is over the other two, each row scaled by 4 / 2:

    >>> loss(e, np.array([0, 0, 1, 2]), temperature=0.5, reduction="none").round(4)
    array([0.5368, 0.6491, 0.    , 0.    ])
    """
    backend, (embeddings, labels, temperature) = _EMBEDDINGS_LABELS_TEMPERATURE(
        embeddings, labels, temperature
    )
    xp = backend.xp
    check_reduction(reduction)
    e, same, eye = _batch(xp, embeddings, labels)
    dtype = e.dtype
    temperature = _temperature(temperature, backend, embeddings, dtype)
    u = _unit(xp, e)
    s = _cosines(xp, u, u) / temperature
    positive = same & ~eye
    others = ~eye
    lse = masked_logsumexp(xp, backend, s, where=others, axis=-1)
    lse = xp.where(xp.any(others, axis=-1), lse, 0.0)  # a batch of one: left out below
    n_positive = xp.sum(xp.astype(positive, dtype), axis=-1)
    has_positive = n_positive > 0
    mean_positive = xp.sum(xp.where(positive, s, 0.0), axis=-1) / xp.where(
        has_positive, n_positive, 1.0
    )
    counted = has_positive & xp.any(positive) & xp.any(~same)
    loss = xp.where(counted, lse - mean_positive, 0.0)
    rows = _rows(xp, loss, count_where(xp, loss > 0, dtype))
    return reduce(
        xp,
        poison_rows(xp, rows, poison_options(xp, backend, None, temperature)),
        reduction,
        sample_weight=sample_weight,
    )


@declare(
    kind="embedding",
    closed_form=False,
    keras=False,
    peers={
        "torch": "CLIP: F.cross_entropy(q̂ @ k̂.T / temperature, arange(N)), both directions averaged",
        "optax": "optax.losses.softmax_cross_entropy_with_integer_labels on the same logits",
    },
    cases=lambda ex: {
        "info-nce-symmetric": ex.case(
            ex.LOGITS,
            ex.SOFT - 0.5,
            temperature=0.5,
            symmetric=True,
            expected=ex.oracles.info_nce(ex.LOGITS, ex.SOFT - 0.5, temperature=0.5, symmetric=True),
        ),
    },
    bench=lambda b: (b.logits, b.targets, {}),
    timed_against={
        "torch": lambda m, q, k: m.F.cross_entropy(
            m.F.normalize(q, dim=1) @ m.F.normalize(k, dim=1).T / 0.07,
            m.torch.arange(q.shape[0], device=q.device),
        ),
        "jax": lambda m, q, k: m.optax.losses.softmax_cross_entropy_with_integer_labels(
            _jax_unit(q) @ _jax_unit(k).T / 0.07, m.jax.numpy.arange(q.shape[0])
        ),
    },
)
def info_nce_loss(
    queries, keys, /, *, temperature=0.07, symmetric=False, sample_weight=None, reduction="mean"
):
    r"""InfoNCE over a batch (CLIP, van den Oord et al. 2018): query i's positive is key i.

    With the cosines :math:`s_{ij} = \hat q_i \cdot \hat k_j / τ` of the
    unit rows of ``queries`` and ``keys`` (each row over
    :math:`\max(\lVert\cdot\rVert, 10^{-12})`; :math:`τ` = ``temperature``),
    every other key of the batch is a negative:

    .. math::

        \ell_i = \operatorname{LSE}_j s_{ij} - s_{ii}
        \qquad\text{(symmetric: } \tfrac12\bigl(\operatorname{LSE}_j s_{ij}
        + \operatorname{LSE}_j s_{ji}\bigr) - s_{ii}\text{)},

    the cross-entropy of row i of the logits with label i, averaged over
    the rows. ``symmetric=True`` averages the query→key and key→query
    cross-entropies, as CLIP's training loss:
    ``(F.cross_entropy(S, arange(N)) + F.cross_entropy(S.T, arange(N))) / 2``
    with ``S = F.normalize(queries) @ F.normalize(keys).T / temperature``,
    number for number (CLIP's ``logit_scale`` is 1 / ``temperature``).
    Gradients reach queries, keys and a 0-d array ``temperature``.

    Parameters
    ----------
    queries : array ``[N, D]``
        One query embedding a row (images in CLIP), real floating (16-bit
        inputs are computed in float32).
    keys : array ``[N, D]``
        The matching keys (texts in CLIP), row i the positive of query i.
    temperature : float > 0 or 0-d array
        :math:`τ` (default 0.07, CLIP's initial value); a 0-d array may be
        learned.
    symmetric : bool
        Average both directions (default False: queries against keys only).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps :math:`\ell_i` per pair, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per query, ``[N]``; for ``"mean"``
        and ``"sum"`` a 0-d array. float32 for 16-bit or float32 queries,
        float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> k = np.array([[0.9, 0.1], [0.0, 1.0], [-1.0, 1.0]])
    >>> mlcloss.info_nce_loss(q, k, temperature=1.0, reduction="none").round(4)
    array([0.44  , 0.7687, 1.6509])
    """
    backend, (queries, keys, temperature) = _QUERIES_KEYS_TEMPERATURE(queries, keys, temperature)
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, queries, "queries")
    compute_dtype(xp, keys, "keys")
    check_ndim(queries, 2, name="queries", layout="[N, D]")
    check_same_shape(queries, keys, names=("queries", "keys"))
    symmetric = check_flag(symmetric, name="symmetric")
    temperature = _temperature(temperature, backend, queries, dtype)
    q, k = _unit(xp, cast(xp, queries, dtype)), _unit(xp, cast(xp, keys, dtype))
    s = _cosines(xp, q, k) / temperature
    matched = xp.sum(q * k, axis=-1) / temperature
    lse = backend.logsumexp(s, 1)
    if symmetric:
        lse = (lse + backend.logsumexp(s, 0)) / 2
    rows = lse - matched
    return reduce(
        xp,
        poison_rows(xp, rows, poison_options(xp, backend, None, temperature)),
        reduction,
        sample_weight=sample_weight,
    )


def _jax_unit(x):
    """The benchmark's JAX peer: rows over max(‖row‖, 1e-12)."""
    import jax.numpy as jnp

    return x / jnp.maximum(jnp.linalg.norm(x, axis=1, keepdims=True), 1e-12)


# -- margin softmax: ArcFace, CosFace -------------------------------------------------


def _pml_margin_peer(m, cosines, labels, kind):
    """pytorch-metric-learning's ``ArcFaceLoss`` / ``CosFaceLoss`` computation from the cosines
    on (its ``compute_loss`` without ``get_cosine``): the benchmark's peer."""
    name = "ArcFaceLoss" if kind == "arc" else "CosFaceLoss"
    peer = _pml(m, name, num_classes=cosines.shape[1], embedding_size=1)
    mask = peer.get_target_mask(cosines, labels)
    target = cosines[mask == 1]
    diff = (peer.modify_cosine_of_target_classes(target) - target).unsqueeze(1)
    return m.F.cross_entropy(peer.scale_logits(cosines + mask * diff), labels)


def _trig(xp, margin, f):
    """cos or sin (``f``: "cos" / "sin") of a margin that may be a float or a 0-d array."""
    if not is_array(margin):
        return math.cos(margin) if f == "cos" else math.sin(margin)
    return xp.cos(margin) if f == "cos" else xp.sin(margin)


@declare(
    kind="class-set",
    labels="index",
    closed_form=False,
    peers={
        "pytorch-metric-learning": (
            "pytorch_metric_learning.losses.ArcFaceLoss / CosFaceLoss, cosines = "
            "F.normalize(embeddings) @ F.normalize(W, dim=0); ArcFace margin in radians"
        )
    },
    cases=lambda ex: {
        "margin-softmax-arc": ex.case(
            ex.SIMILARITIES,
            ex.CLASS_ALL,
            scale=8.0,
            margin=0.5,
            expected=ex.oracles.margin_softmax(
                ex.SIMILARITIES, ex.CLASS_ALL, scale=8.0, margin=0.5
            ),
        ),
        "margin-softmax-cos": ex.case(
            ex.SIMILARITIES,
            ex.CLASS_ALL,
            scale=8.0,
            kind="cos",
            expected=ex.oracles.margin_softmax(
                ex.SIMILARITIES, ex.CLASS_ALL, scale=8.0, kind="cos"
            ),
        ),
    },
    bench=lambda b: (b.similarities, b.index, {}),
    timed_against={"torch": lambda m, c, y: _pml_margin_peer(m, c, y, "arc")},
)
def margin_softmax_cross_entropy(
    cosines,
    labels,
    /,
    *,
    scale=64.0,
    margin=None,
    kind="arc",
    axis=-1,
    sample_weight=None,
    reduction="mean",
):
    r"""Additive-margin softmax over cosines to class centres: ArcFace or CosFace.

    With the cosines :math:`c_j` (``cosines``: normalised embedding ·
    normalised class weight :math:`W_j`), the label :math:`y` (``labels``),
    the margin :math:`m` and the scale :math:`s`, the label's cosine is
    replaced by

    .. math::

        ψ(c_y) = \begin{cases}
            \cos(θ + m),\ θ = \arccos c_y & \text{ArcFace (kind="arc"), } θ \le π - m \\
            c_y - m \sin m & \text{ArcFace, } θ > π - m \text{ (keeps it decreasing)} \\
            c_y - m & \text{CosFace (kind="cos")}
        \end{cases}

    and :math:`L = \operatorname{LSE}_j(s\,c'_j) - s\,ψ(c_y)`, the
    cross-entropy of the scaled logits (:math:`c'` is :math:`c` with
    :math:`ψ(c_y)` at the label). pytorch-metric-learning's
    ``ArcFaceLoss(num_classes, embedding_size, margin=degrees(m), scale=s)``
    and ``CosFaceLoss(..., margin=m, scale=s)``, number for number, given
    ``cosines = F.normalize(embeddings) @ F.normalize(loss.W, dim=0)``; the
    peers average over the examples (``MeanReducer``), as ``"mean"`` does.

    ArcFace's :math:`\cos(θ + m)` is computed as :math:`c_y \cos m -
    \sqrt{1 - c_y^2}\, \sin m` on :math:`c_y` clipped to [−1, 1] (the peer's
    ``clamp``; θ ∈ [0, π] so the sine is the non-negative root): the same
    number, and where the peer's gradient through ``acos`` is infinite at
    :math:`c_y = \pm 1`, this one stays finite (the root has a zero gradient
    at 0).

    Parameters
    ----------
    cosines : array ``[..., C, ...]``
        The cosines along ``axis`` (one per class), real floating (16-bit
        inputs are computed in float32).
    labels : integer array, the shape of ``cosines`` without ``axis``
        The class of each example, in [0, C).
    scale : float > 0 or 0-d array
        :math:`s` (default 64, the peers').
    margin : float, 0-d array or None
        :math:`m`: radians for ArcFace (default None: 28.6° = 0.4992 rad,
        pytorch-metric-learning's, given there in degrees), a cosine offset
        for CosFace (default None: 0.35).
    kind : {"arc", "cos"}
        ArcFace (additive angular margin, default) or CosFace (additive
        cosine margin).
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per example, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per example, ``cosines.shape``
        without ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 cosines, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> c = np.array([[0.9, 0.1, -0.2], [0.3, 0.8, 1.0]])
    >>> y = np.array([0, 2])
    >>> mlcloss.margin_softmax_cross_entropy(c, y, scale=4.0, reduction="none").round(4)
    array([0.1736, 0.6049])
    >>> mlcloss.margin_softmax_cross_entropy(c, y, scale=4.0, kind="cos", reduction="none").round(4)
    array([0.1948, 1.1213])
    """
    backend, (cosines, labels, scale, margin) = _COSINES_LABELS_SCALE_MARGIN(
        cosines, labels, scale, margin
    )
    xp = backend.xp
    check_reduction(reduction)
    if kind not in _KINDS:
        raise ValueError(f"mlcloss: kind must be 'arc' or 'cos', received {kind!r}")
    c, t, bad = index_rows(xp, backend, cosines, labels, axis, name="cosines")
    dtype = c.dtype
    scale = check_number(
        scale, name="scale", low=0.0, low_open=True, backend=backend, like=cosines, dtype=dtype
    )
    if margin is None:
        margin = math.radians(28.6) if kind == "arc" else 0.35
    margin = check_number(margin, name="margin", backend=backend, like=cosines, dtype=dtype)
    target = xp.sum(t * c, axis=-1)
    if kind == "arc":
        clipped = xp.clip(target, min=-1.0, max=1.0)
        sine = _safe_sqrt(xp, 1 - clipped * clipped)
        cos_m, sin_m = _trig(xp, margin, "cos"), _trig(xp, margin, "sin")
        shifted = clipped * cos_m - sine * sin_m
        modified = xp.where(clipped >= -cos_m, shifted, clipped - margin * sin_m)
    else:
        modified = target - margin
    logits = scale * xp.where(t > 0, modified[..., None], c)
    loss = backend.logsumexp(logits, -1) - scale * modified
    bad = poison_options(xp, backend, bad, scale, margin)
    return reduce(xp, poison_rows(xp, loss, bad), reduction, sample_weight=sample_weight)
