r"""The multi-label "softmax + cross-entropy" family (ZLPR).

Per-class sigmoid cross-entropy treats C classes as C independent binary
problems; with many classes and few positives the negatives dominate and a
model can score well by predicting "no" everywhere. ZLPR (zero-bounded
log-sum-exp & pairwise rank-based loss) instead asks every positive score to
exceed every negative score, with the threshold θ as a learned boundary:

.. math::

    L = \log\Bigl(e^{θ} + \sum_{i \in Ω_{neg}} e^{s_i}\Bigr)
      + \log\Bigl(e^{-θ} + \sum_{j \in Ω_{pos}} e^{-s_j}\Bigr)

For a single positive class this is exactly softmax cross-entropy over the
classes plus a threshold class, hence the name "multi-label softmax + CE".

Everything here is written once against the array API; the adapters of
:mod:`mlcloss.backends` supply the native logsumexp / softplus / scatter.

References
----------
Su et al., "ZLPR: A Novel Loss for Multi-label Classification",
arXiv:2208.02955; kexue.fm archives 7359 (dense), 8888 (sparse), 9064 (soft).
Su et al., "Global Pointer: Novel Efficient Span-based Approach for Named
Entity Recognition", arXiv:2208.03054.
"""

from __future__ import annotations

import numbers

from .._compat import device
from .._lib.arguments import check_number, is_array, poison_options
from .._lib.dtypes import cast, compute_dtype
from .._lib.gradients import Rows, per_row, reduced
from .._lib.indices import class_indices
from .._lib.label_sets import keep_mass_smoothed
from .._lib.reduce import check_reduction
from .._lib.registry import declare
from .._lib.shapes import broadcast_like, class_axis_last, where_mask
from .._lib.sparse_labels import repeated
from .._lib.stable import log1p_scaled, masked_max
from .._lib.validate import (
    check_broadcastable,
    check_ignore_index,
    check_index_dtype,
    check_label_dtype,
    check_ndim,
    check_same_shape,
    check_values,
    normalize_axis,
)
from ..backends import Inputs

_NEG_INF = float("-inf")

__all__ = [
    "global_pointer_crossentropy",
    "multilabel_categorical_crossentropy",
    "multilabel_predict",
    "multilabel_probabilities",
    "sparse_multilabel_categorical_crossentropy",
]

_LOGITS_LABELS_WHERE_THRESHOLD = Inputs("logits", "labels", optional=("where", "threshold"))
_LOGITS_LABELS_MASK = Inputs("logits", "labels", optional=("mask",))
_LOGITS_THRESHOLD = Inputs("logits", optional=("threshold",))


@declare(
    kind="class-set",
    peers={"bert4keras": "multilabel_categorical_crossentropy(y_true, y_pred)"},
    cases=lambda ex: {
        "dense": ex.case(ex.LOGITS, ex.HARD, expected=ex.oracles.zlpr_pairwise(ex.LOGITS, ex.HARD)),
        "dense-where-threshold": ex.case(
            ex.LOGITS,
            ex.HARD,
            where=ex.WHERE,
            threshold=0.3,
            expected=ex.oracles.zlpr_pairwise(ex.LOGITS, ex.HARD, threshold=0.3, where=ex.WHERE),
        ),
        "soft": ex.case(ex.LOGITS, ex.SOFT, expected=ex.oracles.zlpr_soft(ex.LOGITS, ex.SOFT)),
    },
    timed_against={"torch": lambda m, x, t: m.seeds_dense(t, x)},
)
def multilabel_categorical_crossentropy(
    logits,
    labels,
    /,
    *,
    threshold=0.0,
    label_smoothing=0.0,
    axis=-1,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Multi-label categorical cross-entropy (ZLPR), hard or soft labels.

    With labels :math:`t_i \in [0, 1]` over the classes of ``axis``, logits
    :math:`s_i` and threshold :math:`θ`:

    .. math::

        L = \log\Bigl(e^{θ} + \sum_i (1 - t_i)\, e^{s_i}\Bigr)
          + \log\Bigl(e^{-θ} + \sum_i t_i\, e^{-s_i}\Bigr)

    With hard labels (bool or integer 0/1) this is
    :math:`\log(1 + \sum_{neg} e^{s_i - θ}) + \log(1 + \sum_{pos} e^{θ - s_j})`:
    every positive is pushed above θ and every negative below it, jointly, so
    the loss does not drown in negatives the way per-class sigmoid
    cross-entropy does. With soft labels (floating dtype) it is the ZLPR
    soft-label form, minimised at :math:`t_i = σ(2(s_i - θ))`; see
    :func:`multilabel_probabilities`. A term whose weight is exactly 0
    contributes nothing whatever its logit: a class masked with a logit of
    ``-inf`` and label 0 leaves the loss and the gradient finite.

    Parameters
    ----------
    logits : array, shape ``[..., C, ...]``
        Real scores :math:`s`, no activation applied (no sigmoid: the loss
        compares the raw scores with each other and with θ); real floating,
        16-bit logits are computed in float32.
    labels : array, same shape as ``logits``
        Bool / integer 0-1 (hard) or floating in [0, 1] (soft).
        The dtype decides which form is used.
    threshold : float or array broadcastable to ``logits``
        θ, the score separating predicted positives from negatives.
        Default 0, so that the prediction rule is simply ``logits > 0``
        (:func:`multilabel_predict`); an array, e.g. one per class, may be
        learned.
    label_smoothing : float in [0, 1] or 0-d array
        :math:`ε`: multi-label smoothing that keeps each row's mass
        (:func:`smooth_labels` with ``keep_mass=True``): the labels become
        :math:`(1 - ε)\, t + ε\, m / C` with :math:`m = \sum_i t_i` over the
        :math:`C` classes ``where`` keeps, and the soft-label form is taken.
        Its optimum :math:`σ(2 s_i) = 1 - ε + ε k / C` for the :math:`k`
        positives and :math:`ε k / C` for the negatives keeps the logits
        finite (default 0, no smoothing).
    axis : int
        The class axis (default -1, the last).
    where : bool array broadcastable to ``logits``, optional
        False marks classes that do not exist for that row: left out of both
        sums.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns one loss per row (``logits.shape`` without
        ``axis``); ``"mean"`` averages those rows and ``"sum"`` adds them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array.
        float32 for 16-bit or float32 logits, float64 for float64 logits.

    Notes
    -----
    Each log is :math:`\log(1 + e^{m} S)` = ``softplus(m + log S)`` with
    :math:`m` the max of its own set and :math:`S` the sum of the shifted
    exponentials (:func:`mlcloss._lib.stable.log1p_scaled`), so the value
    keeps full relative precision when it is tiny and never overflows. Soft
    weights multiply the exponentials, so a weight of 0 removes a term
    whatever its logit. The gradient is the closed form
    :math:`(1 - t_i) e^{s_i - L_{neg}} - t_i e^{-s_i - L_{pos}}` (see
    :mod:`mlcloss._lib.gradients`).

    References
    ----------
    Su, 将“softmax+交叉熵”推广到多标签分类问题, kexue.fm/archives/7359, 2020
    (the loss). Su, 多标签“Softmax+交叉熵”的软标签版本,
    kexue.fm/archives/9064, 2022 (soft labels). Su et al., "ZLPR: A Novel
    Loss for Multi-label Classification", arXiv:2208.02955, 2022. Su et
    al., "Global Pointer: Novel Efficient Span-based Approach for Named
    Entity Recognition", arXiv:2208.03054, §3 (class imbalance loss).

    Examples
    --------
    A worked example with two positives per row:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7]])
    >>> labels = np.array([[1, 0, 1, 0], [0, 0, 1, 1]])
    >>> mlcloss.multilabel_categorical_crossentropy(logits, labels, reduction="none").round(4)
    array([1.8582, 2.0163])
    >>> mlcloss.multilabel_categorical_crossentropy(logits, labels).round(4)
    np.float64(1.9373)

    Floating labels select the soft-label form; 0/1 soft labels give the
    hard loss back:

    >>> soft = np.array([[0.9, 0.1, 0.8, 0.2], [0.0, 0.0, 1.0, 1.0]])
    >>> mlcloss.multilabel_categorical_crossentropy(logits, soft, reduction="none").round(4)
    array([2.0009, 2.0163])
    """
    backend, (logits, labels, where, threshold) = _LOGITS_LABELS_WHERE_THRESHOLD(
        logits, labels, where, threshold
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, logits, "logits")
    check_label_dtype(xp, labels)
    check_same_shape(logits, labels, names=("logits", "labels"))
    axis = normalize_axis(axis, logits.ndim)

    threshold, offset = _threshold(xp, threshold, logits, dtype, axis)
    valid = class_axis_last(xp, where_mask(xp, where, logits), axis)
    labels = class_axis_last(xp, labels, axis)
    if xp.isdtype(labels.dtype, "bool"):
        bad = None
        positive = labels
    else:
        bad = check_values(
            xp,
            backend,
            lambda: xp.any(~((labels >= 0) & (labels <= 1)), axis=-1),
            name="labels",
            expected="values in [0, 1]",
        )
        positive = labels > 0
    if valid is not None:
        positive = positive & valid
    epsilon = check_number(
        label_smoothing, name="label_smoothing", low=0.0, high=1.0, backend=backend,
        like=logits, dtype=dtype,
    )  # fmt: skip
    bad = poison_options(xp, backend, bad, epsilon)
    rows, arrays = _HARD_ROWS, {"positive": positive, "valid": valid, "threshold": threshold}
    if is_array(epsilon) or epsilon > 0:  # each row keeps its mass: soft labels
        t = keep_mass_smoothed(xp, cast(xp, labels, dtype), epsilon, valid=valid)  # 0 off valid
        arrays = {"t": t, **arrays, "positive": t > 0}
        rows = _SOFT_ROWS
    elif xp.isdtype(labels.dtype, "real floating"):
        rows, arrays = _SOFT_ROWS, {"t": cast(xp, labels, dtype), **arrays}
    return reduced(
        xp,
        backend,
        rows,
        logits,
        arrays,
        options={"offset": offset},
        axis=axis,
        reduction=reduction,
        bad=bad,
        sample_weight=sample_weight,
    )


def _hard_values(xp, backend, x, positive, valid, threshold, *, offset):
    r"""Hard-label ZLPR rows, with one exp per class.

    :math:`z = ∓(s - θ)` (minus on the positives) is shifted by the max of
    its own set, so the largest term of each sum is exactly 1 (no overflow,
    no underflow of a whole set), and each sum gives
    :math:`\log(1 + e^{m} S)` through softplus.
    """
    s = _scores(xp, x, threshold, offset)
    z = xp.where(positive, -s, s)
    if valid is not None:
        z = xp.where(valid, z, _NEG_INF)
    m_pos = masked_max(xp, z, positive)
    m_neg = masked_max(xp, z, ~positive)
    e = xp.exp(z - xp.where(positive, m_pos, m_neg))
    e_pos = xp.where(positive, e, 0.0)
    loss, slopes = _two_sets(xp, backend, m_neg, e - e_pos, m_pos, e_pos)
    return loss, (e, *slopes)


def _hard_gradient(xp, backend, x, saved, g, positive, valid, threshold, *, offset):
    """∂L/∂s_i = ±e^{z_i − L_set}: the saved exponentials times a per-row factor."""
    e, *slopes = saved
    neg, pos = _set_factors(xp, slopes, g)
    return e * xp.where(positive, -pos, neg)


def _soft_values(xp, backend, x, t, positive, valid, threshold, *, offset):
    r"""Soft-label ZLPR rows: :math:`\log(1 + \sum (1 - t) e^{s}) + \log(1 + \sum t e^{-s})`.

    The weights multiply the exponentials, each sum shifted by the max of
    its own scores, so a weight of 0 removes a term whatever its logit.
    """
    s = _scores(xp, x, threshold, offset)
    negative = t < 1
    if valid is not None:
        negative = negative & valid
    m_neg = masked_max(xp, s, negative)
    m_pos = masked_max(xp, -s, positive)
    w_neg = xp.where(negative, (1 - t) * xp.exp(s - m_neg), 0.0)
    w_pos = xp.where(positive, t * xp.exp(-s - m_pos), 0.0)
    loss, slopes = _two_sets(xp, backend, m_neg, w_neg, m_pos, w_pos)
    return loss, (w_neg, w_pos, *slopes)


def _soft_gradient(xp, backend, x, saved, g, t, positive, valid, threshold, *, offset):
    """∂L/∂s = (1 − t) e^{s − L_neg} − t e^{−s − L_pos}."""
    w_neg, w_pos, *slopes = saved
    neg, pos = _set_factors(xp, slopes, g)
    return w_neg * neg - w_pos * pos


_HARD_ROWS = Rows(_hard_values, _hard_gradient)
_SOFT_ROWS = Rows(_soft_values, _soft_gradient)


@declare(
    kind="class-set",
    labels="index",
    peers={"bert4keras": "sparse_multilabel_categorical_crossentropy(y_true, y_pred)"},
    cases=lambda ex: {
        "sparse": ex.case(
            ex.LOGITS,
            ex.INDEX,
            ignore_index=-1,
            expected=ex.oracles.zlpr_pairwise(
                ex.LOGITS, ex.oracles.multi_hot(ex.INDEX, 6, ignore_index=-1)
            ),
        )
    },
    bench=lambda b: (b.logits, b.top_k(8), {}),
    timed_against={"torch": lambda m, x, t: m.seeds_sparse(x, t)},
)
def sparse_multilabel_categorical_crossentropy(
    logits,
    labels,
    /,
    *,
    threshold=0.0,
    ignore_index=None,
    axis=-1,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Multi-label categorical cross-entropy with labels given as class indices.

    The same loss as :func:`multilabel_categorical_crossentropy` on the
    multi-hot labels, for label spaces too large to hold dense labels
    (GlobalPointer spans, extreme classification):

    .. math::

        L = \log\Bigl(1 + \sum_{i \notin P} e^{s_i - θ}\Bigr)
          + \log\Bigl(1 + \sum_{j \in P} e^{θ - s_j}\Bigr)

    with :math:`P` the set of indices in ``labels`` for that row, :math:`s`
    the logits and θ the threshold. A row's labels cost K integers instead
    of C booleans, and the positive term gathers only the K positive
    logits. As in the dense form, each of the two sums is shifted by the
    max of its own set before the exponentials and the log is taken as a
    softplus, so nothing overflows and a tiny loss keeps its precision.

    Parameters
    ----------
    logits : array, shape ``[..., C]`` (class axis ``axis``)
        Real scores :math:`s`, no activation applied; real floating (16-bit
        logits are computed in float32).
    labels : integer array, shape ``[..., K]`` (positive axis ``axis``)
        Indices of the positive classes, any order. A repeated index counts
        once. Entries equal to ``ignore_index`` are padding.
        Rows with fewer than K positives are padded up to K with
        ``ignore_index``; the other dimensions are those of ``logits``.
    threshold : float or array broadcastable to ``logits``
        θ, the score separating predicted positives from negatives
        (default 0), as in :func:`multilabel_categorical_crossentropy`.
    ignore_index : int, optional
        The padding value. If it is itself a class index (bert4keras's
        ``mask_zero=True`` is ``ignore_index=0`` with class 0 reserved), that
        class is reserved: left out of the loss in every row.
    axis : int
        The class axis of ``logits``, and the positive axis of ``labels``
        (default -1, the last).
    where : bool array broadcastable to ``logits``, optional
        False marks classes that do not exist for that row.
        They are left out of both sums, even when listed in ``labels``.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns one loss per row (``logits.shape`` without
        ``axis``); ``"mean"`` averages those rows and ``"sum"`` adds them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.

    Notes
    -----
    The widely copied form computes the negative term as
    ``log(1 - exp(logsumexp(pos) - logsumexp(all)))`` clipped at 1e-16: once
    the positives hold almost all the probability mass (positives at +20,
    negatives at −20) that difference cancels catastrophically and the loss
    comes out as 3.88, −3.03 or −16.84 instead of 4.1e-9. Here the positives
    are masked out of the logits by a scatter (the adapter's ``multi_hot``)
    and the negative term is summed directly, so sparse and dense agree to
    rounding in every regime.

    References
    ----------
    Su, 多标签“Softmax+交叉熵”的稀疏版本, kexue.fm/archives/8888, 2022
    (the sparse form, for GPLinker). Su, 将“softmax+交叉熵”推广到多标签分类问题,
    kexue.fm/archives/7359, 2020 (the dense loss).

    Examples
    --------
    The dense example of :func:`multilabel_categorical_crossentropy`, with
    each row's positives listed by index; padding with ``ignore_index`` and
    repeating an index change nothing:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7]])
    >>> mlcloss.sparse_multilabel_categorical_crossentropy(
    ...     logits, np.array([[0, 2], [2, 3]]), reduction="none").round(4)
    array([1.8582, 2.0163])
    >>> mlcloss.sparse_multilabel_categorical_crossentropy(
    ...     logits, np.array([[0, 2, -1], [3, 2, 2]]), ignore_index=-1, reduction="none").round(4)
    array([1.8582, 2.0163])
    """
    backend, (logits, labels, where, threshold) = _LOGITS_LABELS_WHERE_THRESHOLD(
        logits, labels, where, threshold
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, logits, "logits")
    check_index_dtype(xp, labels)
    axis = normalize_axis(axis, logits.ndim)
    if labels.ndim != logits.ndim or any(
        a != b for i, (a, b) in enumerate(zip(labels.shape, logits.shape)) if i != axis
    ):
        raise ValueError(
            f"mlcloss: labels must have the shape of logits {tuple(logits.shape)} except "
            f"along axis {axis} (the K positive indices), received {tuple(labels.shape)}"
        )
    check_ignore_index(ignore_index)

    threshold, offset = _threshold(xp, threshold, logits, dtype, axis)
    valid = class_axis_last(xp, where_mask(xp, where, logits), axis)
    labels = class_axis_last(xp, labels, axis)
    num_classes = logits.shape[axis]
    index, keep, outside, expected = class_indices(xp, backend, labels, num_classes, ignore_index)
    bad = check_values(xp, backend, xp.any(outside, axis=-1), name="labels", expected=expected)
    negative = ~backend.multi_hot(index, keep, num_classes)
    if ignore_index is not None and 0 <= ignore_index < num_classes:
        classes = xp.arange(num_classes, device=device(labels))
        negative = negative & (classes != ignore_index)
    if valid is not None:
        negative = negative & valid
        keep = keep & backend.take_along_last_axis(valid, index)
    keep = keep & ~repeated(xp, index, keep)
    arrays = {"index": index, "keep": keep, "negative": negative, "threshold": threshold}
    return reduced(
        xp,
        backend,
        _SPARSE_ROWS,
        logits,
        arrays,
        options={"offset": offset},
        axis=axis,
        reduction=reduction,
        bad=bad,
        sample_weight=sample_weight,
    )


def _sparse_values(xp, backend, x, index, keep, negative, threshold, *, offset):
    """ZLPR rows over a dense negative mask and K gathered positives, each sum shifted by its max."""
    s = _scores(xp, x, threshold, offset)
    m_neg = masked_max(xp, s, negative)
    e_neg = xp.exp(xp.where(negative, s, _NEG_INF) - m_neg)
    pos = -backend.take_along_last_axis(s, index)
    m_pos = masked_max(xp, pos, keep)
    e_pos = xp.where(keep, xp.exp(pos - m_pos), 0.0)
    loss, slopes = _two_sets(xp, backend, m_neg, e_neg, m_pos, e_pos)
    return loss, (e_neg, e_pos, *slopes)


def _sparse_gradient(xp, backend, x, saved, g, index, keep, negative, threshold, *, offset):
    """∂L/∂s = e^{s − L_neg} on the negatives, minus e^{−s_j − L_pos} scattered to the positives."""
    e_neg, e_pos, *slopes = saved
    neg, pos = _set_factors(xp, slopes, g)
    return backend.scatter_add_last(e_neg * neg, index, -e_pos * pos)


_SPARSE_ROWS = Rows(_sparse_values, _sparse_gradient)


@declare(
    kind="class-set",
    peers={"bert4keras": "global_pointer_crossentropy(y_true, y_pred)"},
    cases=lambda ex: {
        "global-pointer": ex.case(
            ex.GP_LOGITS,
            ex.GP_PAIRS,
            mask=ex.GP_MASK,
            sparse=True,
            expected=ex.oracles.global_pointer(
                ex.GP_LOGITS, ex.GP_PAIRS, mask=ex.GP_MASK, sparse=True
            ),
        ),
        "global-pointer-dense": ex.case(
            ex.GP_LOGITS,
            ex.GP_DENSE,
            mask=ex.GP_MASK,
            expected=ex.oracles.global_pointer(ex.GP_LOGITS, ex.GP_DENSE, mask=ex.GP_MASK),
        ),
    },
    bench=lambda b: (b.spans(b.logits), b.spans(b.multi_hot), {}),
    timed_against={"torch": lambda m, x, t: m.seeds_dense(t.flatten(2).float(), x.flatten(2))},
)
def global_pointer_crossentropy(
    logits, labels, /, *, mask=None, sparse=False, sample_weight=None, reduction="mean"
):
    r"""ZLPR loss for GlobalPointer span classification (nested / flat NER).

    GlobalPointer scores every span (start ``i``, end ``j``) of a sequence
    for each of H entity types; the loss is
    :func:`multilabel_categorical_crossentropy` over the :math:`L^2` spans of
    each (example, type) row, with the spans that cannot exist left out:
    those with :math:`j < i` (the lower triangle) and those touching padding
    tokens. For row :math:`(b, h)` with entity spans :math:`P_{bh}`:

    .. math::

        L_{bh} = \log\Bigl(1 + \sum_{(i, j) \notin P_{bh}} e^{s_{b,h,i,j}}\Bigr)
               + \log\Bigl(1 + \sum_{(i, j) \in P_{bh}} e^{-s_{b,h,i,j}}\Bigr),

    both sums over the valid spans :math:`i \le j` of real tokens only. A
    sentence of L tokens has about :math:`L^2 / 2` candidate spans and a
    handful of entities, the imbalance ZLPR is made for; a span is predicted
    an entity of type h where :math:`s_{b,h,i,j} > 0`.

    Parameters
    ----------
    logits : array, shape ``[B, H, L, L]``
        Span scores :math:`s_{b,h,i,j}`.
        Batch B, entity types H, sequence length L; real floating.
    labels : array
        Dense: ``[B, H, L, L]`` multi-hot (bool / 0-1 integers / soft).
        Sparse (``sparse=True``): integer ``[B, H, K, 2]`` (start, end)
        pairs, padded with −1.
    mask : array ``[B, L]``, optional
        True (or nonzero) for real tokens, False for padding.
        A span touching a padding token is left out of the loss.
    sparse : bool
        Labels as span index pairs (uses
        :func:`sparse_multilabel_categorical_crossentropy`).
        Default False: dense multi-hot labels.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns ``[B, H]``; ``"mean"`` averages over all B·H rows,
        as bert4keras's dense ``global_pointer_crossentropy`` (its NER
        example) does; the sparse GPLinker variant sums over the types and
        averages over the batch, i.e. H times this mean.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per (example, type), shape
        ``[B, H]``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.

    References
    ----------
    Su et al., "Global Pointer: Novel Efficient Span-based Approach for
    Named Entity Recognition", arXiv:2208.03054, 2022. Su,
    将“softmax+交叉熵”推广到多标签分类问题, kexue.fm/archives/7359, 2020 (the
    loss); Su, 多标签“Softmax+交叉熵”的稀疏版本, kexue.fm/archives/8888, 2022
    (the sparse labels).

    Examples
    --------
    Two sequences of 3 tokens, the second with one padding token; the
    dense and the sparse labels name the same spans, (0, 1) in the first
    sequence and (1, 1) and (0, 0) in the second:

    >>> import numpy as np, mlcloss
    >>> logits = np.random.default_rng(0).normal(size=(2, 1, 3, 3))
    >>> labels = np.zeros((2, 1, 3, 3), dtype=bool)
    >>> labels[0, 0, 0, 1] = labels[1, 0, 1, 1] = labels[1, 0, 0, 0] = True
    >>> spans = np.array([[[[0, 1], [-1, -1]]], [[[1, 1], [0, 0]]]])
    >>> mask = np.array([[True, True, True], [True, True, False]])
    >>> mlcloss.global_pointer_crossentropy(logits, labels, mask=mask, reduction="none").round(4)
    array([[2.6404],
           [2.1853]])
    >>> mlcloss.global_pointer_crossentropy(logits, spans, mask=mask, sparse=True,
    ...                                     reduction="none").round(4)
    array([[2.6404],
           [2.1853]])
    """
    backend, (logits, labels, mask) = _LOGITS_LABELS_MASK(logits, labels, mask)
    xp = backend.xp
    check_ndim(logits, 4, name="logits", layout="[batch, heads, length, length]")
    batch, heads, length, length2 = logits.shape
    if length != length2:
        raise ValueError(
            f"mlcloss: logits must be [batch, heads, length, length] with equal last two "
            f"dimensions, received shape {tuple(logits.shape)}"
        )
    spans = length * length
    positions = xp.arange(length, device=device(logits))
    upper = positions[:, None] <= positions[None, :]  # end >= start
    if mask is None:
        valid = xp.reshape(upper, (1, 1, spans))
    else:
        check_ndim(mask, 2, name="mask", layout="[batch, length]")
        if any(m != d and None not in (m, d) for m, d in zip(mask.shape, (batch, length))):
            raise ValueError(
                f"mlcloss: mask must have shape [batch, length] = {(batch, length)}, "
                f"received {tuple(mask.shape)}"
            )
        tokens = mask if xp.isdtype(mask.dtype, "bool") else mask != 0
        valid = tokens[:, :, None] & tokens[:, None, :] & upper
        valid = xp.reshape(valid, (batch, 1, spans))
    flat_logits = xp.reshape(logits, (batch, heads, spans))

    if not sparse:
        check_same_shape(logits, labels, names=("logits", "labels"))
        return multilabel_categorical_crossentropy(
            flat_logits,
            xp.reshape(labels, (batch, heads, spans)),
            where=valid,
            reduction=reduction,
            sample_weight=sample_weight,
        )

    check_index_dtype(xp, labels)
    if labels.ndim != 4 or tuple(labels.shape[:2]) != (batch, heads) or labels.shape[3] != 2:
        raise ValueError(
            f"mlcloss: sparse labels must have shape [batch, heads, K, 2] = "
            f"[{batch}, {heads}, K, 2], received {tuple(labels.shape)}"
        )
    start, end = labels[..., 0], labels[..., 1]
    padding = (start < 0) | (end < 0)
    outside = ~padding & ((start >= length) | (end >= length))
    check_values(  # raises on concrete data; otherwise the sparse loss poisons the row
        xp,
        backend,
        xp.any(outside, axis=-1),
        name="labels",
        expected=f"(start, end) pairs in [0, {length}) or -1 padding",
    )
    # padding -> -1 (ignored); spans outside the sequence -> an out-of-range index
    index = xp.where(padding, -1, xp.where(outside, spans, start * length + end))
    return sparse_multilabel_categorical_crossentropy(
        flat_logits,
        index,
        ignore_index=-1,
        where=valid,
        reduction=reduction,
        sample_weight=sample_weight,
    )


def multilabel_probabilities(logits, /, *, threshold=0.0):
    r"""Per-class probabilities implied by the ZLPR loss: :math:`σ(2(s - θ))`.

    The soft-label ZLPR loss is minimised at :math:`t_i = σ(2(s_i - θ))`, so
    this is the calibrated probability of each class; it crosses 0.5 exactly
    at the decision threshold of :func:`multilabel_predict`.

    ZLPR logits are not sigmoid logits: applying a plain :math:`σ(s)` to
    them gives probabilities that are too flat by a factor of 2 in the
    log-odds. Use this function to read a model trained with
    :func:`multilabel_categorical_crossentropy` as probabilities (for
    ranking, metrics or as soft labels for distillation).

    Parameters
    ----------
    logits : array
        The scores :math:`s` of a ZLPR-trained model, classes on the last
        axis; real floating (16-bit logits are computed in float32).
    threshold : float or array broadcastable to ``logits``
        θ, the threshold the model was trained with (default 0); an array
        gives one per class or per element.

    Returns
    -------
    array
        :math:`σ(2(s - θ))` in [0, 1], the shape of ``logits``; float32 for
        16-bit or float32 logits, float64 for float64 logits.

    References
    ----------
    Su, 多标签“Softmax+交叉熵”的软标签版本, kexue.fm/archives/9064, 2022.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7]])
    >>> mlcloss.multilabel_probabilities(logits).round(4)
    array([[0.8581, 0.5498, 0.832 , 0.6457],
           [0.6457, 0.5987, 0.7311, 0.8022]])
    >>> mlcloss.multilabel_probabilities(logits, threshold=0.5).round(4)
    array([[0.69  , 0.31  , 0.6457, 0.4013],
           [0.4013, 0.3543, 0.5   , 0.5987]])
    """
    backend, (logits, threshold) = _LOGITS_THRESHOLD(logits, threshold)
    xp = backend.xp
    dtype = compute_dtype(xp, logits, "logits")
    threshold, offset = _threshold(xp, threshold, logits, dtype, logits.ndim - 1)
    scores = _scores(xp, cast(xp, logits, dtype), threshold, offset)
    return backend.sigmoid(2 * scores)


def multilabel_predict(logits, /, *, threshold=0.0):
    """The predicted label set, ``logits > threshold`` (boolean, same shape).

    The ZLPR loss pushes every positive score above the threshold θ and
    every negative below it, so the decision rule needs no top-k and no
    tuned cut-off: class i is predicted where :math:`s_i > θ`, i.e. where
    :func:`multilabel_probabilities` exceeds 0.5. A row may predict no
    class at all, or every class.

    Parameters
    ----------
    logits : array
        The scores :math:`s` of a ZLPR-trained model (or of GlobalPointer's
        spans), any shape; real floating.
    threshold : float or array broadcastable to ``logits``
        θ, the threshold the model was trained with (default 0).

    Returns
    -------
    array
        A bool array, the broadcast shape of ``logits`` and ``threshold``
        (the shape of ``logits``): True for the predicted classes.

    References
    ----------
    Su, 将“softmax+交叉熵”推广到多标签分类问题, kexue.fm/archives/7359, 2020.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.9, -0.1, 0.8, -0.3], [-0.3, -0.2, 0.5, 0.7]])
    >>> mlcloss.multilabel_predict(logits)
    array([[ True, False,  True, False],
           [False, False,  True,  True]])
    >>> mlcloss.multilabel_predict(logits, threshold=0.6)
    array([[ True, False,  True, False],
           [False, False, False,  True]])
    """
    backend, (logits, threshold) = _LOGITS_THRESHOLD(logits, threshold)
    xp = backend.xp
    compute_dtype(xp, logits, "logits")
    return logits > threshold


def _scores(xp, x, threshold, offset):
    """s − θ: ``x`` less the threshold array (class axis last) and the float ``offset``."""
    if threshold is not None:
        x = x - threshold
    return x if offset == 0.0 else x - offset


def _threshold(xp, threshold, logits, dtype, axis):
    """θ as ``(array, 0.0)``, compute dtype, broadcast to ``logits``, class axis last; or
    ``(None, θ)`` for a Python number."""
    if isinstance(threshold, numbers.Real) and not isinstance(threshold, bool):  # NumPy's too
        return None, float(threshold)
    check_broadcastable(threshold, logits.shape, name="threshold", target="logits")
    array = broadcast_like(xp, cast(xp, threshold, dtype), logits)
    return class_axis_last(xp, array, axis), 0.0


def _two_sets(xp, backend, m_neg, e_neg, m_pos, e_pos):
    """``(L, slopes)``: ZLPR's two logs from each set's shift ``m`` and shifted exponentials
    ``e`` (0 off the set), and each set's per-row factor ``e^m / (1 + e^m Σ e)``, which
    the gradient reuses."""
    l_neg, slope_neg = log1p_scaled(xp, backend, m_neg, xp.sum(e_neg, axis=-1))
    l_pos, slope_pos = log1p_scaled(xp, backend, m_pos, xp.sum(e_pos, axis=-1))
    return l_neg + l_pos, (slope_neg, slope_pos)


def _set_factors(xp, slopes, g):
    """The negative and the positive set's factor times the upstream ``g``, per row:
    ∂L/∂z_i = e_i × factor."""
    g = per_row(g)
    slope_neg, slope_pos = slopes
    return slope_neg[..., None] * g, slope_pos[..., None] * g
