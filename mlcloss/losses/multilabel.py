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

from .._lib.dtypes import cast, compute_dtype
from .._lib.namespace import array_namespace, device
from .._lib.reduce import check_reduction, reduce
from .._lib.shapes import broadcast_like, class_axis_last, where_mask
from .._lib.stable import log1p_sum_exp, log_where
from .._lib.validate import (
    check_broadcastable,
    check_ignore_index,
    check_index_dtype,
    check_label_dtype,
    check_ndim,
    check_same_shape,
    check_values,
    normalize_axis,
    poison_rows,
)
from ..backends import backend_for

__all__ = [
    "global_pointer_crossentropy",
    "multilabel_categorical_crossentropy",
    "multilabel_predict",
    "multilabel_probabilities",
    "sparse_multilabel_categorical_crossentropy",
]


def multilabel_categorical_crossentropy(
    logits, labels, /, *, threshold=0.0, axis=-1, where=None, reduction="mean"
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
        Real scores :math:`s`, no activation applied.
    labels : array, same shape as ``logits``
        Bool / integer 0-1 (hard) or floating in [0, 1] (soft).
    threshold : float or array broadcastable to ``logits``
        θ, the score separating predicted positives from negatives.
    axis : int
        The class axis.
    where : bool array broadcastable to ``logits``, optional
        False marks classes that do not exist for that row: left out of both
        sums.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns one loss per row (``logits.shape`` without
        ``axis``); ``"mean"`` averages those rows.

    Returns
    -------
    array
        float32 for 16-bit or float32 logits, float64 for float64 logits.

    Notes
    -----
    Each log is computed as ``softplus(logsumexp(x))`` over the selected set
    (:func:`mlcloss._lib.stable.log1p_sum_exp`), shifted by the max, so the
    value keeps full relative precision when it is tiny and never overflows.
    Soft weights enter as ``x + log w`` (a double ``where`` keeps
    ``log 0`` out of the gradient).

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7]])
    >>> labels = np.array([[1, 0, 1, 0], [0, 0, 1, 1]])
    >>> mlcloss.multilabel_categorical_crossentropy(logits, labels, reduction="none").round(4)
    array([1.8582, 2.0163])
    """
    xp = array_namespace(logits, labels, where, threshold)
    backend = backend_for(xp)
    check_reduction(reduction)
    dtype = compute_dtype(xp, logits, "logits")
    check_label_dtype(xp, labels)
    check_same_shape(logits, labels, names=("logits", "labels"))
    axis = normalize_axis(axis, logits.ndim)

    scores = _scores(xp, logits, threshold, dtype, axis)
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

    if xp.isdtype(labels.dtype, "real floating"):
        # soft labels: weights t and 1 - t enter as + log t, + log(1 - t)
        t = cast(xp, labels, dtype)
        negative = t < 1
        neg_scores = scores + log_where(xp, 1 - t, negative)
        pos_scores = -scores + log_where(xp, t, positive)
    else:
        negative = ~positive
        neg_scores, pos_scores = scores, -scores

    if valid is not None:
        negative = negative & valid
        positive = positive & valid
    loss = log1p_sum_exp(xp, backend, neg_scores, where=negative) + log1p_sum_exp(
        xp, backend, pos_scores, where=positive
    )
    return reduce(xp, poison_rows(xp, loss, bad), reduction)


def sparse_multilabel_categorical_crossentropy(
    logits, labels, /, *, threshold=0.0, ignore_index=None, axis=-1, where=None, reduction="mean"
):
    r"""Multi-label categorical cross-entropy with labels given as class indices.

    The same loss as :func:`multilabel_categorical_crossentropy` on the
    multi-hot labels, for label spaces too large to hold dense labels
    (GlobalPointer spans, extreme classification):

    .. math::

        L = \log\Bigl(1 + \sum_{i \notin P} e^{s_i - θ}\Bigr)
          + \log\Bigl(1 + \sum_{j \in P} e^{θ - s_j}\Bigr)

    with :math:`P` the set of indices in ``labels`` for that row.

    Parameters
    ----------
    logits : array, shape ``[..., C]`` (class axis ``axis``)
    labels : integer array, shape ``[..., K]`` (positive axis ``axis``)
        Indices of the positive classes, any order. A repeated index counts
        once. Entries equal to ``ignore_index`` are padding.
    threshold : float or array broadcastable to ``logits``
    ignore_index : int, optional
        The padding value. If it is itself a class index (bert4keras's
        ``mask_zero=True`` is ``ignore_index=0`` with class 0 reserved), that
        class is reserved: left out of the loss in every row.
    axis : int
    where : bool array broadcastable to ``logits``, optional
        False marks classes that do not exist for that row.
    reduction : {"mean", "sum", "none"}

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
    """
    xp = array_namespace(logits, labels, where, threshold)
    backend = backend_for(xp)
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

    scores = _scores(xp, logits, threshold, dtype, axis)
    valid = class_axis_last(xp, where_mask(xp, where, logits), axis)
    labels = class_axis_last(xp, labels, axis)
    num_classes = scores.shape[-1]

    given = (
        labels != ignore_index if ignore_index is not None else xp.ones_like(labels, dtype=xp.bool)
    )
    in_range = (labels >= 0) & (labels < num_classes)
    expected = f"class indices in [0, {num_classes})"
    if ignore_index is not None:
        expected += f" or ignore_index={ignore_index}"
    bad = check_values(
        xp, backend, xp.any(given & ~in_range, axis=-1), name="labels", expected=expected
    )
    keep = given & in_range
    index = backend.as_index(xp.where(keep, labels, 0))

    negative = ~backend.multi_hot(index, keep, num_classes)
    if ignore_index is not None and 0 <= ignore_index < num_classes:
        classes = xp.arange(num_classes, device=device(scores))
        negative = negative & (classes != ignore_index)
    if valid is not None:
        negative = negative & valid
        keep = keep & backend.take_along_last_axis(valid, index)
    keep = keep & ~_repeated(xp, index, keep)

    pos_scores = -backend.take_along_last_axis(scores, index)
    loss = log1p_sum_exp(xp, backend, scores, where=negative) + log1p_sum_exp(
        xp, backend, pos_scores, where=keep
    )
    return reduce(xp, poison_rows(xp, loss, bad), reduction)


def global_pointer_crossentropy(logits, labels, /, *, mask=None, sparse=False, reduction="mean"):
    r"""ZLPR loss for GlobalPointer span classification (nested / flat NER).

    GlobalPointer scores every span (start ``i``, end ``j``) of a sequence
    for each of H entity types; the loss is
    :func:`multilabel_categorical_crossentropy` over the :math:`L^2` spans of
    each (example, type) row, with the spans that cannot exist left out:
    those with :math:`j < i` (the lower triangle) and those touching padding
    tokens.

    Parameters
    ----------
    logits : array, shape ``[B, H, L, L]``
        Span scores :math:`s_{b,h,i,j}`.
    labels : array
        Dense: ``[B, H, L, L]`` multi-hot (bool / 0-1 integers / soft).
        Sparse (``sparse=True``): integer ``[B, H, K, 2]`` (start, end)
        pairs, padded with −1.
    mask : array ``[B, L]``, optional
        True (or nonzero) for real tokens, False for padding.
    sparse : bool
        Labels as span index pairs (uses
        :func:`sparse_multilabel_categorical_crossentropy`).
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns ``[B, H]``; ``"mean"`` averages over all B·H rows.
        bert4keras's ``global_pointer_crossentropy`` sums over the types and
        averages over the batch, i.e. H times this mean.
    """
    xp = array_namespace(logits, labels, mask)
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
        if tuple(mask.shape) != (batch, length):
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
            flat_logits, xp.reshape(labels, (batch, heads, spans)), where=valid, reduction=reduction
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
    backend = backend_for(xp)
    bad = check_values(
        xp,
        backend,
        xp.any(outside, axis=-1),
        name="labels",
        expected=f"(start, end) pairs in [0, {length}) or -1 padding",
    )
    # padding -> -1 (ignored); spans outside the sequence -> an out-of-range index
    index = xp.where(padding, -1, xp.where(outside, spans, start * length + end))
    loss = sparse_multilabel_categorical_crossentropy(
        flat_logits, index, ignore_index=-1, where=valid, reduction="none"
    )
    return reduce(xp, poison_rows(xp, loss, bad), reduction)


def multilabel_probabilities(logits, /, *, threshold=0.0):
    r"""Per-class probabilities implied by the ZLPR loss: :math:`σ(2(s - θ))`.

    The soft-label ZLPR loss is minimised at :math:`t_i = σ(2(s_i - θ))`, so
    this is the calibrated probability of each class; it crosses 0.5 exactly
    at the decision threshold of :func:`multilabel_predict`.
    """
    xp = array_namespace(logits, threshold)
    dtype = compute_dtype(xp, logits, "logits")
    scores = _scores(xp, logits, threshold, dtype, logits.ndim - 1)
    return backend_for(xp).sigmoid(2 * scores)


def multilabel_predict(logits, /, *, threshold=0.0):
    """The predicted label set, ``logits > threshold`` (boolean, same shape)."""
    xp = array_namespace(logits, threshold)
    compute_dtype(xp, logits, "logits")
    return logits > threshold


def _scores(xp, logits, threshold, dtype, axis):
    """s − θ in the compute dtype, class axis last."""
    scores = class_axis_last(xp, cast(xp, logits, dtype), axis)
    threshold = _threshold(xp, threshold, logits, dtype)
    if isinstance(threshold, float):
        return scores if threshold == 0.0 else scores - threshold
    return scores - class_axis_last(xp, threshold, axis)


def _threshold(xp, threshold, logits, dtype):
    """θ as a compute-dtype array broadcast to ``logits`` (a Python float stays a float)."""
    if isinstance(threshold, (int, float)) and not isinstance(threshold, bool):
        return float(threshold)
    check_broadcastable(threshold, logits.shape, name="threshold", target="logits")
    return broadcast_like(xp, cast(xp, threshold, dtype), logits)


def _repeated(xp, index, keep):
    """True where ``index[..., k]`` equals a kept index at an earlier position k' < k."""
    k = index.shape[-1]
    positions = xp.arange(k, device=device(index))
    earlier = positions[:, None] > positions[None, :]
    same = (index[..., :, None] == index[..., None, :]) & keep[..., None, :]
    return xp.any(same & earlier, axis=-1)
