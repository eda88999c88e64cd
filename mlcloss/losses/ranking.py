r"""Learning-to-rank losses over lists of scored items: rax's, number for number.

Each list is the axis ``axis`` (default the last) of ``scores`` (one score per
item, higher ranks first) and of ``labels`` (graded relevance, any real
number: 0 irrelevant, larger more relevant). Four losses, each rax's function
of the same name (rax 0.4):

- :func:`pairwise_logistic_loss`: every pair ordered wrongly by its scores
  costs softplus of the score gap (RankNet);
- :func:`listwise_softmax_loss`: cross-entropy between the labels and the
  softmax of the scores (ListNet's top-one form);
- :func:`listmle_loss`: the negative log-likelihood of the label order under
  the Plackett–Luce model of the scores;
- :func:`approx_ndcg_loss`: minus NDCG, with each item's rank replaced by a
  sum of sigmoids of score gaps (ApproxNDCG).

Padded lists: ``where=False`` leaves an item out of everything (as rax's
``where=``); a list with no item kept costs 0 and leaves the mean. A score of
−∞ (a masked score) keeps value and gradient finite: the item is left out
where rax would give NaN or ∞ (see each loss). ``weights`` are rax's per-item
weights.

References
----------
Burges et al., "Learning to Rank using Gradient Descent", ICML 2005 (RankNet).
Cao et al., "Learning to Rank: From Pairwise Approach to Listwise Approach",
ICML 2007 (ListNet). Xia et al., "Listwise Approach to Learning to Rank:
Theory and Algorithm", ICML 2008 (ListMLE). Qin et al., "A General
Approximation Framework for Direct Optimization of Information Retrieval
Measures", Information Retrieval 2010 (ApproxNDCG). Jagerman et al., "Rax:
Composable Learning-to-Rank using JAX", KDD 2022.
"""

from __future__ import annotations

import math

from .._compat import device
from .._lib.arguments import check_flag, check_number, poison_options, weight_array
from .._lib.label_sets import dense_rows
from .._lib.reduce import check_reduction, count_where, reduce
from .._lib.registry import declare
from .._lib.shapes import class_axis_last
from .._lib.stable import masked_log_softmax, masked_max
from .._lib.validate import check_broadcastable, poison_rows
from ..backends import Inputs

__all__ = ["approx_ndcg_loss", "listmle_loss", "listwise_softmax_loss", "pairwise_logistic_loss"]

_NEG_INF = float("-inf")
_LN2 = math.log(2.0)
_SCORES_LABELS = Inputs("scores", "labels", optional=("where",))
_SCORES_LABELS_WEIGHTS = Inputs("scores", "labels", optional=("where", "weights"))
_SCORES_LABELS_WEIGHTS_T = Inputs("scores", "labels", optional=("where", "weights", "temperature"))


def _grades(ex):
    """Graded labels 0..3 for the example lists: ties in every row, row 0 without a relevant
    item."""
    grades = ex.np.floor(ex.SOFT * 4.0)
    grades[0] = 0.0
    return grades


def _padded(ex):
    """A ``where`` over the example lists with one list (row 2) left out entirely."""
    where = ex.WHERE.copy()
    where[2] = False
    return where


def _lists(xp, scores, labels, where, weights, axis):
    """``(x, t, valid, w)``: the lists with the item axis last, the scores in their compute
    dtype and the labels cast to it (both 0 where ``where`` leaves an item out), ``where`` as
    a mask (None without one), the item weights broadcast to the scores (None without)."""
    x, t, valid, axis = dense_rows(xp, scores, labels, where, axis, names=("scores", "labels"))
    if valid is not None:  # padding may hold anything, even NaN
        x, t = xp.where(valid, x, 0.0), xp.where(valid, t, 0.0)
    w = None
    if weights is not None:
        if hasattr(weights, "shape"):
            check_broadcastable(weights, scores.shape, name="weights", target="scores")
        w = weight_array(xp, weights, name="weights", like=scores, dtype=x.dtype)
        w = class_axis_last(xp, w, axis)
    return x, t, valid, w


def _list_count(xp, valid, dtype):
    """The mean's denominator of a per-list loss: the lists with an item kept (None: all)."""
    return None if valid is None else count_where(xp, xp.any(valid, axis=-1), dtype)


def _pairs(xp, a):
    """``(a_i, a_j)``: ``a`` ``[..., n]`` as ``[..., n, 1]`` and ``[..., 1, n]``."""
    return xp.expand_dims(a, axis=-1), xp.expand_dims(a, axis=-2)


@declare(
    kind="class-set",
    closed_form=False,
    arrays=("weights",),
    peers={"rax": "rax.pairwise_logistic_loss"},
    cases=lambda ex: {
        "pairwise-logistic-where": ex.case(
            ex.LOGITS,
            _grades(ex),
            where=_padded(ex),
            expected=ex.oracles.ranking_pairwise_logistic(
                ex.LOGITS, _grades(ex), where=_padded(ex)
            ),
        ),
    },
    bench=lambda b: (b.logits, b.rng.integers(0, 5, b.logits.shape).astype("float32"), {}),
    timed_against={"jax": lambda m, s, y: m.rax.pairwise_logistic_loss(s, y)},
)
def pairwise_logistic_loss(
    scores, labels, /, *, weights=None, axis=-1, where=None, sample_weight=None, reduction="mean"
):
    r"""Pairwise logistic (RankNet) loss: softplus of each wrongly ordered score gap.

    For each list of scores :math:`s` (``scores``) and labels :math:`y`
    (``labels``) along ``axis``, and item weights :math:`w` (``weights``,
    default 1),

    .. math::

        L = \sum_{i, j:\ y_i > y_j} w_i \log\bigl(1 + e^{-(s_i - s_j)}\bigr),

    each term the softplus of :math:`-(s_i - s_j)`, computed as
    :math:`\max(-d, 0) + \operatorname{log1p}(e^{-|d|})` (exact in both tails).
    ``rax.pairwise_logistic_loss``, number for number, with rax's reductions:
    ``"mean"`` divides the sum over the whole batch by the number of pairs
    with :math:`y_i > y_j` (rax's ``reduce_fn=jnp.mean`` averages over
    pairs, not lists), ``"sum"`` is rax's ``reduce_fn=jnp.sum``, and
    ``"none"`` keeps each list's sum over its pairs (rax's ``reduce_fn=None``
    keeps the ``[..., n²]`` pairs: summed over its last axis it is this).
    Equal labels make no pair; a batch without a pair costs 0. Builds the
    ``[..., n, n]`` pairs, as rax does.

    Parameters
    ----------
    scores : array ``[..., n, ...]``
        The item scores :math:`s` along ``axis``, real floating (16-bit
        inputs are computed in float32). A score of −∞ on the less relevant
        item of a pair makes that pair cost 0 (value and gradient finite,
        where rax gives NaN for two items at −∞).
    labels : array, the shape of ``scores``
        The relevance labels :math:`y` (bool, integer or floating; graded
        labels 0, 1, 2, ...), cast to the compute dtype.
    weights : array broadcastable to ``scores``, or a list, optional
        rax's per-item weights: a pair's loss is multiplied by the weight of
        its more relevant item :math:`i`; the mean still counts pairs.
    axis : int
        The list axis (default -1, the last).
    where : bool array broadcastable to ``scores``, optional
        False leaves an item out (a padded list): it makes no pair.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per list (its sum over pairs), ``"sum"``
        adds every pair and ``"mean"`` divides that by the number of pairs.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per list, ``scores.shape`` without
        ``axis``; for ``"mean"`` (over pairs) and ``"sum"`` a 0-d array.
        float32 for 16-bit or float32 scores, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
    >>> labels = np.array([[2.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    >>> mlcloss.pairwise_logistic_loss(scores, labels, reduction="none").round(4)
    array([0.7535, 3.4402])
    >>> float(mlcloss.pairwise_logistic_loss(scores, labels).round(4))  # over 5 pairs
    0.8387
    """
    backend, (scores, labels, where, weights) = _SCORES_LABELS_WEIGHTS(
        scores, labels, where, weights
    )
    xp = backend.xp
    check_reduction(reduction)
    x, t, valid, w = _lists(xp, scores, labels, where, weights, axis)
    t_i, t_j = _pairs(xp, t)
    pair = t_i > t_j
    if valid is not None:
        v_i, v_j = _pairs(xp, valid)
        pair = pair & v_i & v_j
    masked = x == _NEG_INF
    live = pair & ~xp.expand_dims(masked, axis=-2)  # a less relevant item at -inf costs nothing
    x_i = xp.expand_dims(x, axis=-1)
    x_j = xp.expand_dims(xp.where(masked, 0.0, x), axis=-2)  # no -inf - (-inf) behind the mask
    terms = xp.where(live, backend.softplus(x_j - x_i), 0.0)
    if w is not None:
        terms = terms * xp.expand_dims(w, axis=-1)
    loss = xp.sum(xp.sum(terms, axis=-1), axis=-1)
    return reduce(
        xp, loss, reduction, count=count_where(xp, pair, x.dtype), sample_weight=sample_weight
    )


@declare(
    kind="class-set",
    closed_form=False,
    arrays=("weights",),
    peers={
        "rax": "rax.softmax_loss (normalize_labels: label_fn=rax.utils.normalize_probabilities)"
    },
    cases=lambda ex: {
        "listwise-softmax-where": ex.case(
            ex.LOGITS,
            _grades(ex),
            where=_padded(ex),
            normalize_labels=True,
            expected=ex.oracles.ranking_softmax(
                ex.LOGITS, _grades(ex), where=_padded(ex), normalize_labels=True
            ),
        ),
    },
    bench=lambda b: (b.logits, b.rng.integers(0, 5, b.logits.shape).astype("float32"), {}),
    timed_against={"jax": lambda m, s, y: m.rax.softmax_loss(s, y)},
)
def listwise_softmax_loss(
    scores,
    labels,
    /,
    *,
    normalize_labels=False,
    weights=None,
    axis=-1,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Listwise softmax loss: cross-entropy of the labels against the softmax of the scores.

    For each list of scores :math:`s` (``scores``) and labels :math:`y`
    (``labels``) along ``axis``, with item weights :math:`w` (``weights``,
    default 1),

    .. math::

        L = -\sum_i p_i \log \frac{e^{s_i}}{\sum_j e^{s_j}}, \qquad
        p_i = w_i y_i \ \text{or, with } \texttt{normalize\_labels},\
        p_i = \frac{w_i y_i}{\sum_j w_j y_j},

    the sums over the items kept. ``rax.softmax_loss``, number for number:
    by default (as rax's) the labels are used as they are, not made into a
    distribution, so a list with two relevant items weighs twice one with a
    single one; ``normalize_labels=True`` is rax's
    ``label_fn=rax.utils.normalize_probabilities``, where a list whose
    labels sum to 0 gets the uniform distribution over its kept items. A
    list without a relevant item costs 0 (``normalize_labels=False``) and,
    as in rax, still counts in the mean. The log-softmax is shifted by each
    list's max score (no overflow); a term whose label is 0 contributes
    nothing whatever its score, so a masked score of −∞ keeps value and
    gradient finite (rax: NaN).

    Parameters
    ----------
    scores : array ``[..., n, ...]``
        The item scores :math:`s` along ``axis``, real floating (16-bit
        inputs are computed in float32).
    labels : array, the shape of ``scores``
        The relevance labels :math:`y` (bool, integer or floating), cast to
        the compute dtype.
    normalize_labels : bool
        Divide each list's (weighted) labels by their sum, as rax's
        ``label_fn=rax.utils.normalize_probabilities`` (default False, rax's
        default ``label_fn``, which keeps them).
    weights : array broadcastable to ``scores``, or a list, optional
        rax's per-item weights, multiplying the labels (before any
        normalisation).
    axis : int
        The list axis (default -1, the last).
    where : bool array broadcastable to ``scores``, optional
        False leaves an item out of the softmax and of the sum (a padded
        list); a list with no item kept costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per list, ``"sum"`` adds them and
        ``"mean"`` averages them over the lists with an item kept (rax's
        ``reduce_fn=jnp.mean``).

    Returns
    -------
    array
        For ``reduction="none"`` one loss per list, ``scores.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 scores, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]])
    >>> labels = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> mlcloss.listwise_softmax_loss(scores, labels, reduction="none").round(4)
    array([1.4076, 0.    ])
    >>> mlcloss.listwise_softmax_loss(
    ...     scores, labels, normalize_labels=True, reduction="none"
    ... ).round(4)
    array([1.4076, 1.1803])
    """
    backend, (scores, labels, where, weights) = _SCORES_LABELS_WEIGHTS(
        scores, labels, where, weights
    )
    xp = backend.xp
    check_reduction(reduction)
    normalize_labels = check_flag(normalize_labels, name="normalize_labels")
    x, t, valid, w = _lists(xp, scores, labels, where, weights, axis)
    if w is not None:
        t = t * w
    if normalize_labels:
        t = _normalized(xp, t, valid)
    log_p = masked_log_softmax(xp, backend, x, where=valid, axis=-1)
    present = t != 0
    if valid is not None:
        present = present & valid
    terms = xp.where(present, -t * xp.where(present, log_p, 0.0), 0.0)
    loss = xp.sum(terms, axis=-1)
    return reduce(
        xp, loss, reduction, count=_list_count(xp, valid, x.dtype), sample_weight=sample_weight
    )


def _normalized(xp, t, valid):
    """rax's ``normalize_probabilities``: ``t`` over its sum along the last axis (the items
    ``valid`` keeps), the uniform distribution over the kept items where that sum is 0."""
    total = xp.sum(t, axis=-1, keepdims=True)  # t is already 0 off valid
    if valid is None:
        kept = xp.full_like(total, float(t.shape[-1]))
    else:
        kept = xp.sum(xp.astype(valid, t.dtype), axis=-1, keepdims=True)
        kept = xp.where(kept == 0, float(t.shape[-1]), kept)
    nonzero = total != 0
    return xp.where(nonzero, t / xp.where(nonzero, total, 1.0), 1.0 / kept)


@declare(
    kind="class-set",
    closed_form=False,
    peers={"rax": "rax.listmle_loss (key=None)"},
    cases=lambda ex: {
        "listmle-where": ex.case(
            ex.LOGITS,
            _grades(ex),
            where=_padded(ex),
            expected=ex.oracles.ranking_listmle(ex.LOGITS, _grades(ex), where=_padded(ex)),
        ),
    },
    bench=lambda b: (b.logits, b.rng.integers(0, 5, b.logits.shape).astype("float32"), {}),
    timed_against={"jax": lambda m, s, y: m.rax.listmle_loss(s, y)},
)
def listmle_loss(scores, labels, /, *, axis=-1, where=None, sample_weight=None, reduction="mean"):
    r"""ListMLE loss: the negative Plackett–Luce log-likelihood of the order of the labels.

    For each list, sort its kept items by decreasing label (``labels``),
    equal labels keeping their order in the list, and let :math:`\pi_k` be
    the item in place :math:`k`. With the scores :math:`s` (``scores``)
    along ``axis``,

    .. math::

        L = \sum_{k} \Bigl(\log \sum_{l \ge k} e^{s_{\pi_l}} - s_{\pi_k}\Bigr),

    each place's term the cost of picking its item among those not yet
    placed. ``rax.listmle_loss`` without ``key``, number for number (ties in
    the labels are broken by position, as rax's stable sort does; rax's
    ``key`` breaks them at random with JAX's generator, which is left out:
    permute the items yourself for random tie-breaking). The suffix
    log-sum-exps are a prefix scan of pairwise log-add-exps over the
    sorted list (log2 n steps), each list shifted by its (gradient-stopped)
    max: exact whatever the spread of the scores, never the underflow of a
    cumulative sum of exponentials. An item whose score is −∞ is left out of
    the likelihood, as ``where=False`` would (rax gives NaN or ∞). A large
    finite negative score such as −1e12 stays in the list: placed ahead of
    an item of the same label (ties keep their positions) it costs about
    1e12, rax's number too, with a finite gradient; mask with −∞ or
    ``where``.

    Parameters
    ----------
    scores : array ``[..., n, ...]``
        The item scores :math:`s` along ``axis``, real floating (16-bit
        inputs are computed in float32).
    labels : array, the shape of ``scores``
        The relevance labels (bool, integer or floating): only their order
        matters.
    axis : int
        The list axis (default -1, the last).
    where : bool array broadcastable to ``scores``, optional
        False leaves an item out of the list (a padded list); a list with
        no item kept costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per list, ``"sum"`` adds them and
        ``"mean"`` averages them over the lists with an item kept (rax's
        ``reduce_fn=jnp.mean``).

    Returns
    -------
    array
        For ``reduction="none"`` one loss per list, ``scores.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 scores, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
    >>> labels = np.array([[2.0, 1.0, 0.0], [2.0, 1.0, 0.0]])
    >>> mlcloss.listmle_loss(scores, labels, reduction="none").round(4)
    array([0.7209, 3.7209])
    """
    backend, (scores, labels, where) = _SCORES_LABELS(scores, labels, where)
    xp = backend.xp
    check_reduction(reduction)
    x, t, valid, _ = _lists(xp, scores, labels, where, None, axis)
    live = x != _NEG_INF
    if valid is not None:
        live = live & valid
    # the label order, left-out items last (stable: equal labels keep their places)
    order = xp.argsort(xp.where(live, -t, float("inf")), axis=-1, stable=True)
    x = backend.take_along_last_axis(x, order)
    live = backend.take_along_last_axis(live, order)
    shift = backend.stop_gradient(masked_max(xp, x, live))
    z = xp.where(live, x - shift, _NEG_INF)
    lse = _suffix_logsumexp(xp, z)
    terms = xp.where(live, lse - xp.where(live, z, 0.0), 0.0)
    loss = xp.sum(terms, axis=-1)
    return reduce(
        xp, loss, reduction, count=_list_count(xp, valid, x.dtype), sample_weight=sample_weight
    )


def _suffix_logsumexp(xp, z):
    """log Σ_{l ≥ k} e^{z_l} for every k along the last axis: a Hillis–Steele scan of
    :func:`_logaddexp` (log2 n steps, each exact), ``-inf`` for a suffix of ``-inf`` only."""
    n = z.shape[-1]
    if n is None:
        raise ValueError("mlcloss: listmle_loss needs a static list size (the axis of scores)")
    step = 1
    while step < n:
        head = _logaddexp(xp, z[..., : n - step], z[..., step:])
        z = xp.concat([head, z[..., n - step :]], axis=-1)
        step *= 2
    return z


def _logaddexp(xp, a, b):
    """log(e^a + e^b) = hi + log1p(e^{lo − hi}), with ``-inf`` entries safe for the value and the
    gradient (no −∞ − (−∞)); the larger is picked by ``where`` so that equal entries share
    the gradient on every framework."""
    larger = a >= b
    hi, lo = xp.where(larger, a, b), xp.where(larger, b, a)
    empty = lo == _NEG_INF
    gap = xp.where(empty, 0.0, lo) - xp.where(empty, 0.0, hi)
    return xp.where(empty, hi, hi + xp.log1p(xp.exp(gap)))


@declare(
    kind="class-set",
    closed_form=False,
    arrays=("weights",),
    peers={
        "rax": "-rax.ndcg_metric with rax.approx_t12n's approximate ranks "
        "(rax.approx_t12n(rax.ndcg_metric, temperature))"
    },
    cases=lambda ex: {
        "approx-ndcg-where": ex.case(
            ex.LOGITS,
            _grades(ex),
            where=_padded(ex),
            temperature=0.5,
            expected=ex.oracles.ranking_approx_ndcg(
                ex.LOGITS, _grades(ex), where=_padded(ex), temperature=0.5
            ),
        ),
    },
    bench=lambda b: (b.logits, b.rng.integers(0, 5, b.logits.shape).astype("float32"), {}),
    timed_against={"jax": lambda m, s, y: _rax_approx_ndcg(m.rax, s, y)},
)
def approx_ndcg_loss(
    scores,
    labels,
    /,
    *,
    temperature=1.0,
    weights=None,
    axis=-1,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""ApproxNDCG loss: minus NDCG, with each rank a sum of sigmoids of score gaps.

    For each list of scores :math:`s` (``scores``) and labels :math:`y`
    (``labels``) along ``axis``, with temperature :math:`T`
    (``temperature``) and item weights :math:`w` (``weights``, default 1),
    the approximate rank of item :math:`i` and the loss are

    .. math::

        \hat r_i = 1 + \sum_{j \ne i} σ\Bigl(\frac{s_j - s_i}{T}\Bigr), \qquad
        L = -\frac{1}{\mathrm{IDCG}} \sum_i \frac{w_i (2^{y_i} - 1)}{\log_2(1 + \hat r_i)},

    IDCG the same sum with the exact ranks of the ideal order (items sorted
    by decreasing :math:`w_i (2^{y_i} - 1)`), taken as 1 when it is 0 (a
    list without a relevant item costs 0 and, as in rax, counts in the
    mean). The loss lies in [−1, 0] for labels ≥ 0. It is rax's
    ``rax.approx_t12n(rax.ndcg_metric, temperature)`` (the negated
    ``ndcg_metric`` with ``rax.utils.approx_ranks`` as its ranks),
    number for number. A smaller :math:`T` makes the ranks sharper and the
    gradient peakier. An item scored −∞ is unranked (rax's rule): it adds
    nothing to the DCG nor to the ranks of the others, and value and
    gradient stay finite (rax: NaN for two items at −∞). Builds the
    ``[..., n, n]`` score gaps, as rax does.

    Parameters
    ----------
    scores : array ``[..., n, ...]``
        The item scores :math:`s` along ``axis``, real floating (16-bit
        inputs are computed in float32).
    labels : array, the shape of ``scores``
        The graded relevance labels :math:`y` (bool, integer or floating),
        cast to the compute dtype; the gain is :math:`2^{y} - 1`.
    temperature : float > 0 or 0-d array
        :math:`T`, the width of the sigmoid step (default 1, rax's); a 0-d
        array may be traced.
    weights : array broadcastable to ``scores``, or a list, optional
        rax's per-item weights, multiplying each gain (in the DCG and in the
        ideal DCG, whose order they change).
    axis : int
        The list axis (default -1, the last).
    where : bool array broadcastable to ``scores``, optional
        False leaves an item out (a padded list): no gain, no part in the
        ranks; a list with no item kept costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per list, ``"sum"`` adds them and
        ``"mean"`` averages them over the lists with an item kept (rax's
        ``reduce_fn=jnp.mean``).

    Returns
    -------
    array
        For ``reduction="none"`` one loss (−NDCG) per list, ``scores.shape``
        without ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 scores, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[0.0, 1.0, 3.0, 2.0]])
    >>> labels = np.array([[0.0, 0.0, 1.0, 2.0]])
    >>> mlcloss.approx_ndcg_loss(scores, labels, reduction="none").round(4)
    array([-0.7179])
    """
    backend, (scores, labels, where, weights, temperature) = _SCORES_LABELS_WEIGHTS_T(
        scores, labels, where, weights, temperature
    )
    xp = backend.xp
    check_reduction(reduction)
    x, t, valid, w = _lists(xp, scores, labels, where, weights, axis)
    temperature = check_number(
        temperature,
        name="temperature",
        low=0.0,
        low_open=True,
        backend=backend,
        like=scores,
        dtype=x.dtype,
    )
    ranked = x != _NEG_INF  # rax: an item scored -inf is not retrieved
    if valid is not None:
        ranked = ranked & valid
    # no [..., n, n] mask: an unranked j sits at -inf, so σ((s_j - s_i)/T) = 0 exactly with a
    # zero gradient (its i side finite: no -inf - (-inf)), and the diagonal adds σ(0) = 1/2
    x_i = xp.expand_dims(xp.where(ranked, x, 0.0), axis=-1)
    x_j = xp.expand_dims(xp.where(ranked, x, _NEG_INF), axis=-2)
    ranks = 0.5 + xp.sum(backend.sigmoid((x_j - x_i) / temperature), axis=-1)
    gains = 2.0**t - 1.0
    if w is not None:
        gains = gains * w
    dcg = xp.sum(xp.where(ranked, gains * _LN2 / xp.log(ranks + 1.0), 0.0), axis=-1)
    ideal = _ideal_dcg(xp, gains, valid)
    loss = -dcg / xp.where(ideal == 0, 1.0, ideal)
    loss = poison_rows(xp, loss, poison_options(xp, backend, None, temperature))
    return reduce(
        xp, loss, reduction, count=_list_count(xp, valid, x.dtype), sample_weight=sample_weight
    )


def _ideal_dcg(xp, gains, valid):
    """Σ_k g_(k) / log2(1 + k) over the kept gains sorted in decreasing order (exact ranks)."""
    if valid is not None:
        gains = xp.where(valid, gains, _NEG_INF)
    best = xp.sort(gains, axis=-1, descending=True)
    places = xp.arange(2, gains.shape[-1] + 2, dtype=gains.dtype, device=device(gains))
    terms = best * _LN2 / xp.log(places)
    return xp.sum(xp.where(best != _NEG_INF, terms, 0.0), axis=-1)


def _rax_approx_ndcg(rax, scores, labels, temperature=1.0, **options):
    """rax's ApproxNDCG loss, ``rax.approx_t12n(rax.ndcg_metric, temperature)``, spelled out:
    rax 0.4's ``approx_t12n`` calls ``jax.util.wraps``, which JAX 0.6 removed."""
    import functools

    import jax

    def step(gap):
        return jax.nn.sigmoid(gap / temperature)

    return -rax.ndcg_metric(
        scores,
        labels,
        rank_fn=functools.partial(rax.utils.approx_ranks, step_fn=step),
        cutoff_fn=functools.partial(rax.utils.approx_cutoff, step_fn=step),
        **options,
    )
