r"""Single-label losses over a softmax: cross-entropy, NLL, focal, KL, label smoothing.

Each loss reads the class axis through one log-softmax, computed by the
backend adapter from the shifted logits :math:`z = s - \max s` (equal logits
of 1e8 give exactly :math:`\log C`), so the catalogue matches
``torch.nn.functional.cross_entropy`` / ``tf.nn.softmax_cross_entropy_with_logits``
/ Keras / optax number for number and stays finite where they do not.

References
----------
Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016 (label smoothing).
Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.
"""

from __future__ import annotations

import math

from .._compat import device
from .._lib.arguments import (
    check_flag,
    check_number,
    is_array,
    is_scalar,
    poison_options,
    weight_array,
)
from .._lib.dtypes import cast, compute_dtype
from .._lib.gradients import EAGER, JAX, Rows, per_row, reduced
from .._lib.indices import check_index_labels, class_indices
from .._lib.label_sets import keep_mass_smoothed
from .._lib.reduce import check_reduction, count_where
from .._lib.registry import declare
from .._lib.shapes import broadcast_like, class_axis_last, where_mask
from .._lib.stable import (
    log_softmax_and_complement,
    log_where,
    masked_log_softmax,
    masked_logsumexp,
    masked_softmax,
)
from .._lib.validate import (
    check_label_dtype,
    check_same_shape,
    check_values,
    normalize_axis,
    values_within,
)
from ..backends import Inputs

__all__ = [
    "kl_divergence",
    "nll_loss",
    "smooth_labels",
    "softmax_cross_entropy",
    "softmax_focal_loss",
]

_LOGITS_LABELS_CLASS_WEIGHTS_WHERE = Inputs(
    "logits", "labels", optional=("class_weights", "where", "label_smoothing", "z_loss")
)
_LOG_PROBS_LABELS_CLASS_WEIGHTS = Inputs("log_probs", "labels", optional=("class_weights",))
_LOGITS_LABELS_ALPHA = Inputs(
    "logits", "labels", optional=("alpha", "gamma", "class_weights", "label_smoothing")
)
_LOGITS_TARGET_PROBS_WHERE = Inputs("logits", "target_probs", optional=("where",))
_LABELS = Inputs("labels", optional=("epsilon",))


@declare(
    kind="class-set",
    labels="dense-or-index",
    arrays=("class_weights",),
    peers={
        "torch": "torch.nn.functional.cross_entropy",
        "keras": "keras.losses.CategoricalCrossentropy, SparseCategoricalCrossentropy (from_logits=True)",
        "optax": "optax.softmax_cross_entropy, softmax_cross_entropy_with_integer_labels",
        "tf.nn": "tf.nn.softmax_cross_entropy_with_logits, sparse_softmax_cross_entropy_with_logits",
    },
    cases=lambda ex: {
        "softmax-ce-index": ex.case(
            ex.LOGITS,
            ex.CLASS,
            class_weights=ex.CLASS_W,
            where=ex.WHERE_CLASS,
            ignore_index=-100,
            label_smoothing=0.1,
            expected=ex.oracles.softmax_ce(
                ex.LOGITS,
                ex.CLASS,
                class_weights=ex.CLASS_W,
                ignore_index=-100,
                label_smoothing=0.1,
                where=ex.WHERE_CLASS,
            ),
        ),
        "softmax-ce-z-loss": ex.case(
            ex.LOGITS,
            ex.CLASS,
            class_weights=ex.CLASS_W,
            ignore_index=-100,
            z_loss=1e-2,
            expected=ex.oracles.softmax_ce(
                ex.LOGITS, ex.CLASS, class_weights=ex.CLASS_W, ignore_index=-100, z_loss=1e-2
            ),
        ),
        "softmax-ce-probabilities": ex.case(
            ex.LOGITS,
            ex.PROBS,
            where=ex.WHERE,
            label_smoothing=0.2,
            expected=ex.oracles.softmax_ce(
                ex.LOGITS, ex.PROBS, label_smoothing=0.2, where=ex.WHERE
            ),
        ),
    },
    bench=lambda b: (b.logits, b.index, {}),
    timed_against={
        "torch": lambda m, x, t: m.F.cross_entropy(x, t),
        "jax": lambda m, x, t: m.optax.softmax_cross_entropy_with_integer_labels(x, t),
        "tensorflow": lambda m, x, t: m.tf.nn.sparse_softmax_cross_entropy_with_logits(t, x),
    },
)
def softmax_cross_entropy(
    logits,
    labels,
    /,
    *,
    axis=-1,
    label_smoothing=0.0,
    class_weights=None,
    ignore_index=None,
    where=None,
    z_loss=0.0,
    sample_weight=None,
    reduction="mean",
):
    r"""Softmax cross-entropy with class-index or probability labels.

    With :math:`\log p = \operatorname{log\,softmax}(s)` over the classes of
    ``axis``, class weights :math:`w` (1 without ``class_weights``) and
    smoothing :math:`ε` (``label_smoothing``) over the :math:`V` classes a
    row has, each row's loss is

    - integer ``labels`` :math:`y` (class indices):
      :math:`L = (1 - ε)\, w_y (-\log p_y) + \frac{ε}{V} \sum_c w_c (-\log p_c)`;
      ``"mean"`` divides the summed rows by :math:`\sum w_y` over the rows
      that are not ignored (torch's weighted mean);
    - floating ``labels`` :math:`t` (probabilities, the shape of ``logits``):
      :math:`L = -\sum_c w_c\, \tilde t_c \log p_c` with
      :math:`\tilde t = (1 - ε) t + ε / V`; ``"mean"`` divides by the
      number of rows.

    With ``z_loss`` :math:`z > 0`, each row adds PaLM's auxiliary z-loss
    :math:`z\,(\log Z)^2`, :math:`\log Z = \log \sum_c e^{s_c}` over the
    classes the row has (weighted by :math:`w_y` with class weights, so the
    mean stays a weighted mean per row), which keeps the softmax normaliser
    near 1 and the logits from drifting in low-precision training; its
    gradient :math:`2 z \log Z \cdot p` joins the closed form.

    These are exactly ``torch.nn.functional.cross_entropy``'s definitions,
    including its weighted label smoothing; without weights and smoothing
    they are ``tf.nn.sparse_softmax_cross_entropy_with_logits`` and
    ``tf.nn.softmax_cross_entropy_with_logits``, and optax's
    ``softmax_cross_entropy_with_integer_labels``.

    The log-softmax is computed from the shifted logits
    :math:`z = s - \max_c s_c`, :math:`\log p_c = z_c - \log \sum_{c'} e^{z_{c'}}`,
    so the largest exponential is exactly 1: nothing overflows, and equal
    logits of 1e8 give exactly :math:`\log C`. The gradient is the familiar
    :math:`∂L/∂s = (\sum_c a_c)\, p - a` for the row's (weighted, smoothed)
    target :math:`a`, i.e. :math:`p - e_y` for a plain class index.

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        Unnormalised scores :math:`s`, no softmax applied; real floating
        (16-bit logits are computed in float32).
    labels : array
        Integer ``logits.shape`` without ``axis`` (class indices), or
        floating ``logits.shape`` (probabilities in [0, 1]). The dtype decides.
    axis : int or tuple of ints
        The class axis (torch puts it at 1, TensorFlow at -1). A tuple
        makes those axes together the classes (optax's ``axis=(1, 3)``):
        integer labels then index the classes row-major over them.
    label_smoothing : float in [0, 1]
        :math:`ε`, mixed in as a uniform distribution over the classes
        (default 0); 0.1 is the usual choice.
    class_weights : array ``[C]`` or sequence, optional
        :math:`w`, a weight per class, e.g. inverse class frequencies for an
        imbalanced task.
    ignore_index : int, optional
        Integer labels equal to it contribute 0 and leave the mean's
        denominator (torch uses -100 by default; here nothing is ignored
        unless asked).
    where : bool array broadcastable to ``logits``, optional
        False removes that class from the softmax of that row (vocabulary
        masking): it takes no probability, no smoothing mass (:math:`V`
        counts the classes that remain) and may not be a row's label. A row
        with no class left contributes 0 and leaves the mean.
    z_loss : float >= 0 or 0-d array
        :math:`z`, the weight of the z-loss :math:`z (\log Z)^2` (default 0,
        none; PaLM uses 1e-4); a 0-d array may be traced.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns one loss per row (``logits.shape`` without ``axis``).
        ``"sum"`` adds the rows and ``"mean"`` divides that sum by the
        rows' count as above (the summed :math:`w_y` of the rows kept).

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis`` (0 for an ignored row); for ``"mean"`` and ``"sum"`` a 0-d
        array. float32 for 16-bit or float32 logits, float64 for float64
        logits.

    Notes
    -----
    Departures from torch, deliberate: a mean over zero valid rows (every
    label ignored) is 0, where torch returns NaN; with probability labels,
    a class with label 0 and logit ``-inf`` contributes 0 (torch computes
    0 · ∞ = NaN). Mask vocabulary with ``where`` rather than ``-inf``
    logits when smoothing: smoothing mass on a ``-inf`` logit is infinite,
    as in torch.

    References
    ----------
    Szegedy et al., "Rethinking the Inception Architecture for Computer
    Vision", CVPR 2016, arXiv:1512.00567 (label smoothing). Müller,
    Kornblith & Hinton, "When Does Label Smoothing Help?", NeurIPS 2019,
    arXiv:1906.02629. Chowdhery et al., "PaLM: Scaling Language Modeling
    with Pathways", JMLR 24, 2023, arXiv:2204.02311 (the z-loss).

    Examples
    --------
    A worked example: 0.7679 and 0.9459, mean 0.8569.

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.1, 0.2, 0.7], [0.4, 0.5, 0.1]])
    >>> mlcloss.softmax_cross_entropy(logits, np.array([2, 1]), reduction="none").round(4)
    array([0.7679, 0.9459])
    >>> mlcloss.softmax_cross_entropy(logits, np.array([2, 1])).round(4)
    np.float64(0.8569)

    Probability labels, label smoothing (the same as smoothing the one-hot
    labels first), and a class masked out of each row's softmax:

    >>> probs = np.array([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    >>> mlcloss.softmax_cross_entropy(logits, probs, reduction="none").round(4)
    array([0.7679, 0.9959])
    >>> mlcloss.softmax_cross_entropy(logits, np.array([2, 1]), label_smoothing=0.1,
    ...                               reduction="none").round(4)
    array([0.8046, 0.9626])
    >>> mlcloss.softmax_cross_entropy(logits, np.array([2, 1]), where=np.array([False, True, True]),
    ...                               reduction="none").round(4)
    array([0.4741, 0.513 ])
    """
    backend, (logits, labels, class_weights, where, label_smoothing, z_loss) = (
        _LOGITS_LABELS_CLASS_WEIGHTS_WHERE(
            logits, labels, class_weights, where, label_smoothing, z_loss
        )
    )
    xp = backend.xp
    if isinstance(axis, tuple):  # several class axes (optax's axis=(1, 3)): one flat class axis
        logits, labels, where = _merge_class_axes(xp, logits, labels, where, axis)
        axis = -1
    check_reduction(reduction)
    dtype = compute_dtype(xp, logits, "logits")
    axis = normalize_axis(axis, logits.ndim)
    epsilon = check_number(
        label_smoothing,
        name="label_smoothing",
        low=0.0,
        high=1.0,
        backend=backend,
        like=logits,
        dtype=dtype,
    )
    smoothing = is_array(epsilon) or epsilon > 0  # an array may hold any ε: the general form
    z_loss = check_number(z_loss, name="z_loss", low=0.0, backend=backend, like=logits, dtype=dtype)
    weights = _class_weights(xp, class_weights, logits, dtype, axis)
    valid = class_axis_last(xp, where_mask(xp, where, logits), axis)
    if xp.isdtype(labels.dtype, "integral"):
        index, keep, label_weight, bad = _index_labels(
            xp,
            backend,
            labels,
            weights,
            ignore_index,
            valid,
            like=logits,
            axis=axis,
            all_kept=not smoothing,
        )
        bad = poison_options(xp, backend, bad, epsilon, z_loss)
        spread = None
        if smoothing:  # ε/V on the rows that count, V the classes each row has
            classes = logits.shape[axis] if valid is None else _count_classes(xp, valid, dtype)
            spread = xp.astype(keep, dtype) * (epsilon / classes)
        arrays = {
            "index": index,
            "keep": keep,
            "label_weight": label_weight,
            "weights": weights,
            "valid": valid,
            "spread": spread,
        }
        count = None if label_weight is None else xp.sum(label_weight)
        return reduced(
            xp,
            backend,
            _INDEX_ROWS,
            logits,
            arrays,
            options={"epsilon": epsilon, "z_loss": z_loss},
            axis=axis,
            reduction=reduction,
            count=count,
            bad=bad,
            sample_weight=sample_weight,
        )

    _check_probability_labels(xp, labels, logits, ignore_index)
    t = class_axis_last(xp, cast(xp, labels, dtype), axis)
    bad = poison_options(xp, backend, _check_distribution(xp, backend, t), epsilon, z_loss)
    if smoothing:
        classes = (
            logits.shape[axis] if valid is None else _count_classes(xp, valid, dtype)[..., None]
        )
        t = (1 - epsilon) * t + epsilon / classes
    count = None if valid is None else count_where(xp, xp.any(valid, axis=-1), dtype)
    return reduced(
        xp,
        backend,
        _PROBABILITY_ROWS,
        logits,
        {"t": t, "weights": weights, "valid": valid},
        options={"z_loss": z_loss},
        axis=axis,
        reduction=reduction,
        count=count,
        bad=bad,
        sample_weight=sample_weight,
    )


def _has_z_loss(z_loss) -> bool:
    """Whether the z-loss term is there: a positive number, or an array (any value)."""
    return is_array(z_loss) or z_loss > 0


def _z_loss_rows(xp, backend, x, valid, z_loss, weight):
    r""":math:`z\, w\, (\log Z)^2` per row, :math:`\log Z` the logsumexp over the classes kept
    (0 for a row with none), and the per-row factor :math:`2 z\, w \log Z` of its gradient
    :math:`2 z\, w \log Z \cdot p`; ``weight`` :math:`w` is the row's weight (None: 1)."""
    lse = masked_logsumexp(xp, backend, x, where=valid)
    lse = xp.where(lse > -math.inf, lse, 0.0)
    scaled = z_loss * lse if weight is None else z_loss * weight * lse
    return scaled * lse, 2 * scaled


def _index_rows(
    xp, backend, x, index, keep, label_weight, weights, valid, spread, *, epsilon, z_loss
):
    r"""Rows of the index-label cross-entropy: :math:`(1-ε) w_y (-\log p_y) + \frac{ε}{V}\sum_c w_c (-\log p_c)`,
    plus :math:`z\, w_y (\log Z)^2` with a z-loss."""
    log_p = masked_log_softmax(xp, backend, x, where=valid)
    loss = _picked(xp, backend, log_p, index, keep, label_weight)
    if spread is not None:
        loss = (1 - epsilon) * loss + spread * _weighted_sum(xp, -log_p, weights, valid)
    if _has_z_loss(z_loss):
        loss = loss + _z_loss_rows(xp, backend, x, valid, z_loss, label_weight)[0]
    return loss, ()


def _index_gradient(
    xp, backend, x, saved, g, index, keep, label_weight, weights, valid, spread, *, epsilon, z_loss
):
    r"""∂L/∂s = (Σ_c a_c) p − a with a = (1−ε) w_y e_y + (ε/V) w: one exp and a scatter (a
    z-loss adds :math:`2 z\, w_y \log Z` to the factor of :math:`p`)."""
    hit = (1 - epsilon) * (g if label_weight is None else label_weight * g)  # 0: rows left out
    grad = masked_softmax(xp, backend, x, where=valid)  # the fused kernel: cheaper than exp
    factor = hit
    if _has_z_loss(z_loss):
        factor = hit + _z_loss_rows(xp, backend, x, valid, z_loss, label_weight)[1] * g
    if spread is None:
        grad = backend.scale_owned(grad, per_row(factor))
    else:
        spread = spread * g
        w = _masked_weights(xp, x, weights, valid)
        mass = x.shape[-1] if w is None else xp.sum(w, axis=-1)
        grad = grad * (factor + spread * mass)[..., None] - spread[..., None] * (
            1.0 if w is None else w
        )
    return backend.scatter_add_last(grad, index, -per_row(hit))


_INDEX_ROWS = Rows(_index_rows, _index_gradient, autodiff=JAX)


def _masked_weights(xp, x, weights, valid):
    """The class weights on the classes each row has, ``x``'s shape (None: all 1)."""
    if weights is None and valid is None:
        return None
    w = xp.ones_like(x) if weights is None else broadcast_like(xp, weights, x)
    return w if valid is None else xp.where(valid, w, 0.0)


def _probability_rows(xp, backend, x, t, weights, valid, *, z_loss=0.0):
    r"""Rows of the probability-label cross-entropy: :math:`-\sum_c w_c t_c \log p_c`, plus
    :math:`z (\log Z)^2` with a z-loss."""
    log_p = masked_log_softmax(xp, backend, x, where=valid)
    loss = _cross_entropy(xp, t, log_p, weights, valid)
    if _has_z_loss(z_loss):
        loss = loss + _z_loss_rows(xp, backend, x, valid, z_loss, None)[0]
    return loss, ()


def _probability_gradient(xp, backend, x, saved, g, t, weights, valid, *, z_loss=0.0):
    r"""∂L/∂s = (Σ_c a_c) p − a with a = w t on the classes that exist (a z-loss adds
    :math:`2 z \log Z` to the factor of :math:`p`)."""
    a = t if weights is None else t * weights
    if valid is not None:
        a = xp.where(valid, a, 0.0)
    g_row = g[..., None] if getattr(g, "ndim", 0) else g
    a = a * g_row
    p = masked_softmax(xp, backend, x, where=valid)
    factor = xp.sum(a, axis=-1, keepdims=True)
    if _has_z_loss(z_loss):
        factor = factor + (_z_loss_rows(xp, backend, x, valid, z_loss, None)[1] * g)[..., None]
    return p * factor - a


_PROBABILITY_ROWS = Rows(_probability_rows, _probability_gradient, autodiff=JAX)


@declare(
    kind="class-set",
    labels="dense-or-index",
    arrays=("class_weights",),
    peers={"torch": "torch.nn.functional.nll_loss"},
    cases=lambda ex: {
        "nll": ex.case(
            ex.LOGITS,
            ex.CLASS,
            class_weights=ex.CLASS_W,
            ignore_index=-100,
            expected=ex.oracles.nll(
                ex.LOGITS, ex.CLASS, class_weights=ex.CLASS_W, ignore_index=-100
            ),
        )
    },
    bench=lambda b: (b.log_probs, b.index, {}),
    timed_against={"torch": lambda m, x, t: m.F.nll_loss(x, t)},
)
def nll_loss(
    log_probs,
    labels,
    /,
    *,
    axis=-1,
    class_weights=None,
    ignore_index=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Negative log-likelihood of class indices given log-probabilities.

    :math:`L = -w_y \log p_y` per row, with ``"mean"`` dividing by
    :math:`\sum w_y` over the rows not ignored: ``torch.nn.functional.nll_loss``
    with the class axis at ``axis`` (torch: 1). ``softmax_cross_entropy`` is
    this after a log-softmax, computed in one step.

    With :math:`\log p` = ``log_probs``, :math:`y` = ``labels`` and
    :math:`w` = ``class_weights`` (1 without), the loss picks one entry per
    row and its gradient is :math:`-w_y` at that entry, 0 elsewhere. The
    function does not check that the rows are normalised: any scores work,
    so it is also the "pick the label's entry" half of a cross-entropy.

    Parameters
    ----------
    log_probs : array ``[..., C, ...]``
        :math:`\log p`, e.g. a log-softmax output; real floating (16-bit
        inputs are computed in float32).
    labels : integer array, ``log_probs.shape`` without ``axis``
        Class indices :math:`y` in ``[0, C)`` (or ``ignore_index``).
    axis : int
        The class axis of ``log_probs`` (default -1, the last; torch's
        ``nll_loss`` uses 1).
    class_weights : array ``[C]`` or sequence, optional
        :math:`w`, a weight per class: a row's loss is scaled by its label's
        weight and ``"mean"`` divides by the summed weights, as in torch.
    ignore_index : int, optional
        Labels equal to it contribute 0 and leave the mean's denominator.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and
        ``"mean"`` divides that sum by :math:`\sum w_y` over the rows kept
        (their number without ``class_weights``).

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``log_probs.shape``
        without ``axis`` (0 for an ignored row); for ``"mean"`` and ``"sum"``
        a 0-d array. float32 for 16-bit or float32 inputs, float64 for
        float64 inputs.

    Notes
    -----
    A mean over zero valid rows is 0 (torch: NaN).

    Examples
    --------
    A worked example, ``NLLLoss`` on ``LogSoftmax`` outputs:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.3, 0.4, 0.3], [0.7, 0.1, 0.2]])
    >>> log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    >>> mlcloss.nll_loss(log_probs, np.array([0, 2]), reduction="none").round(4)
    array([1.1331, 1.2679])

    A class weight of 2 on class 0 doubles the first row's loss and its
    share of the mean's denominator, (2.2661 + 1.2679) / 3:

    >>> mlcloss.nll_loss(log_probs, np.array([0, 2]), class_weights=[2.0, 1.0, 1.0]).round(4)
    np.float64(1.178)
    >>> mlcloss.nll_loss(log_probs, np.array([0, -100]), ignore_index=-100).round(4)
    np.float64(1.1331)
    """
    backend, (log_probs, labels, class_weights) = _LOG_PROBS_LABELS_CLASS_WEIGHTS(
        log_probs, labels, class_weights
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, log_probs, "log_probs")
    axis = normalize_axis(axis, log_probs.ndim)
    weights = _class_weights(xp, class_weights, log_probs, dtype, axis)
    index, keep, label_weight, bad = _index_labels(
        xp, backend, labels, weights, ignore_index, None, like=log_probs, axis=axis, all_kept=True
    )
    return reduced(
        xp,
        backend,
        _NLL_ROWS,
        log_probs,
        {"index": index, "keep": keep, "label_weight": label_weight},
        axis=axis,
        reduction=reduction,
        count=None if label_weight is None else xp.sum(label_weight),
        bad=bad,
        sample_weight=sample_weight,
    )


def _nll_rows(xp, backend, log_p, index, keep, label_weight):
    return _picked(xp, backend, log_p, index, keep, label_weight), ()


def _picked(xp, backend, log_p, index, keep, label_weight):
    """−w_y log p_y on the rows kept, 0 elsewhere (``keep`` None: every row, weight 1)."""
    picked = -backend.take_along_last_axis(log_p, index)[..., 0]
    if keep is None:
        return picked
    return xp.where(keep, picked, 0.0) * label_weight


def _nll_gradient(xp, backend, log_p, saved, g, index, keep, label_weight):
    hit = per_row(g if label_weight is None else label_weight * g)
    return backend.scatter_add_last(xp.zeros_like(log_p), index, -hit)


_NLL_ROWS = Rows(_nll_rows, _nll_gradient, autodiff=JAX)


@declare(
    kind="class-set",
    labels="dense-or-index",
    arrays=("alpha", "class_weights"),
    peers={
        "keras": "keras.losses.CategoricalFocalCrossentropy(from_logits=True)",
        "torch": "no focal loss; F.cross_entropy's weight / ignore_index / label_smoothing",
    },
    cases=lambda ex: {
        "softmax-focal": ex.case(
            ex.LOGITS,
            ex.PROBS,
            gamma=0.5,
            alpha=0.3,
            expected=ex.oracles.softmax_focal(ex.LOGITS, ex.PROBS, alpha=0.3, gamma=0.5),
        ),
        "softmax-focal-index": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            alpha=ex.CLASS_W / 2,
            gamma=1.5,
            expected=ex.oracles.softmax_focal(
                ex.LOGITS, ex.CLASS_ALL, alpha=ex.CLASS_W / 2, gamma=1.5
            ),
        ),
        "softmax-focal-tokens": ex.case(
            ex.LOGITS,
            ex.CLASS,
            ignore_index=-100,
            class_weights=ex.CLASS_W,
            label_smoothing=0.1,
            expected=ex.oracles.softmax_focal(
                ex.LOGITS,
                ex.CLASS,
                ignore_index=-100,
                class_weights=ex.CLASS_W,
                label_smoothing=0.1,
            ),
            count=float(ex.CLASS_W[ex.CLASS[ex.CLASS != -100]].sum()),
        ),
    },
    bench=lambda b: (b.logits, b.index, {}),
)
def softmax_focal_loss(
    logits,
    labels,
    /,
    *,
    alpha=None,
    gamma=2.0,
    axis=-1,
    class_weights=None,
    ignore_index=None,
    label_smoothing=0.0,
    sample_weight=None,
    reduction="mean",
):
    r"""Focal loss over a softmax: cross-entropy down-weighted on easy classes.

    .. math::

        L = \sum_c α_c\, w_c\, \tilde t_c\, (1 - p_c)^{γ}\, (-\log p_c),
        \qquad p = \operatorname{softmax}(s),
        \quad \tilde t = (1 - ε)\, t + ε / C

    with :math:`t` the one-hot of integer ``labels`` or floating
    probability ``labels``, :math:`s` the logits, :math:`α` = ``alpha``
    and :math:`w` = ``class_weights`` (1 without), :math:`ε` =
    ``label_smoothing`` over the :math:`C` classes and :math:`γ` =
    ``gamma``. For token classification it takes the options of
    :func:`softmax_cross_entropy` with their torch semantics:
    ``ignore_index`` rows leave the sum and the mean, and with integer
    labels the mean divides by :math:`\sum w_y` over the rows kept
    (``F.cross_entropy``'s weighted mean; the count of rows kept without
    weights). The factor
    :math:`(1 - p_c)^γ` is near 0 where the model already gives the target
    class a high probability, so the rows it gets right with confidence
    weigh little and the hard rows dominate. This is Keras 3's
    ``CategoricalFocalCrossentropy(from_logits=True)`` (whose default is
    ``alpha=0.25``; here ``alpha=None`` means no weighting).

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        Unnormalised scores :math:`s`, no softmax applied; real floating
        (16-bit logits are computed in float32).
    labels : integer class indices (``logits.shape`` without ``axis``) or
        floating probabilities (``logits.shape``)
        The targets :math:`t`: an integer array is one-hot encoded, a
        floating one is used as the target distribution. The dtype decides.
    alpha : float, array ``[C]`` or sequence, optional
        :math:`α`: one factor for every class, or one per class (Keras's
        ``alpha``; it is not in the mean's denominator).
    gamma : float ≥ 0
        :math:`γ`, the focusing exponent; 0 gives (α-weighted) cross-entropy.
    axis : int
        The class axis (default -1, the last).
    class_weights : array ``[C]`` or sequence, optional
        :math:`w`, one weight per class, as torch's ``weight``: each class
        term is weighted by its class, and the mean of integer labels
        divides by the summed weights :math:`w_y` of the rows kept.
    ignore_index : int, optional
        Integer labels equal to it leave the sum and the mean's count
        (padding tokens, torch's -100).
    label_smoothing : float in [0, 1]
        :math:`ε`: the targets become :math:`(1 - ε)\, t + ε / C`, as in
        Keras's ``CategoricalFocalCrossentropy(label_smoothing=ε)`` and
        torch's ``cross_entropy``. The focal factor applies to each class's
        share.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row (0 on ignored rows), ``"sum"``
        adds them and ``"mean"`` divides that sum by the rows kept (with
        integer labels and ``class_weights``, by their summed :math:`w_y`).

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.

    Notes
    -----
    :math:`(1 - p_c)^γ` is :math:`\exp(γ \log(1 - p_c))`, with
    :math:`\log p_c` and :math:`\log(1 - p_c)` computed without
    cancellation: for the unique largest logit from
    :math:`d = \operatorname{logsumexp}_{j \ne c} s_j - s_c` as
    :math:`-\operatorname{softplus}(d)` and :math:`d - \operatorname{softplus}(d)`;
    for every other class (where :math:`p_c \le 1/2`) as the log-softmax and
    :math:`\log1p(-p_c)`. Confident predictions thus keep full relative
    precision. Keras clips
    :math:`p` to :math:`[10^{-7}, 1 - 10^{-7}]` instead, so the two differ
    for confident predictions; the gradient here stays finite for
    :math:`γ < 1` at any logit.

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object
    Detection", ICCV 2017, arXiv:1708.02002.

    Examples
    --------
    The first row is right with confidence and almost vanishes; the second,
    nearly uniform, keeps half its cross-entropy:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.2, 0.1, 0.0]])
    >>> mlcloss.softmax_cross_entropy(logits, np.array([0, 2]), reduction="none").round(4)
    array([0.2413, 1.2019])
    >>> mlcloss.softmax_focal_loss(logits, np.array([0, 2]), reduction="none").round(4)
    array([0.0111, 0.5879])
    >>> mlcloss.softmax_focal_loss(logits, np.array([0, 2]), gamma=0.0, reduction="none").round(4)
    array([0.2413, 1.2019])
    """
    backend, (logits, labels, alpha, gamma, class_weights, label_smoothing) = _LOGITS_LABELS_ALPHA(
        logits, labels, alpha, gamma, class_weights, label_smoothing
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, logits, "logits")
    axis = normalize_axis(axis, logits.ndim)
    scalar = {"backend": backend, "like": logits, "dtype": dtype}
    gamma = check_number(gamma, name="gamma", low=0.0, **scalar)
    epsilon = check_number(label_smoothing, name="label_smoothing", low=0.0, high=1.0, **scalar)
    options = (gamma, epsilon)
    if alpha is None or is_scalar(alpha):
        alpha = check_number(alpha, name="alpha", allow_none=True, **scalar)
        options += (alpha,)
        if alpha is not None and not is_array(alpha):
            alpha = xp.asarray(alpha, dtype=dtype, device=device(logits))
    else:
        alpha = _class_weights(xp, alpha, logits, dtype, axis, name="alpha")
    weights = _class_weights(xp, class_weights, logits, dtype, axis)
    classes = logits.shape[axis]
    count = None  # the rows, for probability labels
    if xp.isdtype(labels.dtype, "integral"):
        index, keep, label_weight, bad = _index_labels(
            xp, backend, labels, weights, ignore_index, None, like=logits, axis=axis,
            all_kept=False,
        )  # fmt: skip
        if ignore_index is not None or weights is not None:
            count = xp.sum(label_weight)  # torch's: Σ w_y over the rows kept
        kept = xp.astype(keep, dtype)[..., None]
        classes_ids = xp.arange(classes, dtype=index.dtype, device=device(logits))
        t = xp.astype(index == classes_ids, dtype) * kept
        spread = kept / classes
    else:
        _check_probability_labels(xp, labels, logits, ignore_index)
        t = class_axis_last(xp, cast(xp, labels, dtype), axis)
        bad = _check_distribution(xp, backend, t)
        spread = 1 / classes
    if is_array(epsilon) or epsilon > 0:  # an array may hold any ε: the general form
        t = (1 - epsilon) * t + epsilon * spread
    bad = poison_options(xp, backend, bad, *options)
    if weights is not None:  # α and w both weigh each class term
        alpha = weights if alpha is None else alpha * weights
    return reduced(
        xp,
        backend,
        _FOCAL_ROWS,
        logits,
        {"t": t, "alpha": alpha},
        options={"gamma": gamma},
        axis=axis,
        reduction=reduction,
        count=count,
        bad=bad,
        sample_weight=sample_weight,
    )


def _focal_rows(xp, backend, x, t, alpha, *, gamma):
    r"""Rows of the softmax focal loss: :math:`\sum_c α_c t_c (1 - p_c)^γ (-\log p_c)`."""
    log_p = backend.log_softmax(x, -1)
    if not is_array(gamma) and gamma == 0:  # the focused form holds for γ = 0 too
        return _cross_entropy(xp, t, log_p, alpha, None), (log_p,)
    log_p, log_q, top = log_softmax_and_complement(xp, backend, x, log_p)
    modulating = _focal_modulating(xp, log_q, gamma)
    return _cross_entropy(xp, t * modulating, log_p, alpha, None), (log_p, log_q, top)


def _focal_modulating(xp, log_q, gamma):
    """(1 − p)^γ from log(1 − p), 0 (with no gradient) where p = 1."""
    finite = log_q != float("-inf")
    return xp.where(finite, xp.exp(gamma * xp.where(finite, log_q, 0.0)), 0.0)


def _focal_gradient(xp, backend, x, saved, g, t, alpha, *, gamma):
    r"""∂L/∂s from the loss's slopes along :math:`\log p_c` and :math:`\log(1 - p_c)`.

    With :math:`a_c = α_c t_c` and :math:`M_c = (1 - p_c)^γ`, the slopes are
    :math:`A_c = -a_c M_c` and :math:`B_c = γ a_c (-\log p_c) M_c`. Every class
    but the unique largest has :math:`p_c ≤ 1/2` and
    :math:`\log(1 - p_c) = \operatorname{log1p}(-p_c)`, so its slope along
    :math:`\log p_c` is :math:`v_c = A_c - B_c\, p_c / (1 - p_c)` (a ratio ≤ 1), and
    the log-softmax gives :math:`v_k - p_k \sum_c v_c`. The largest class
    (:math:`p = σ(-d)`, :math:`1 - p = σ(d)` for its margin :math:`d`) adds
    :math:`A q - B p` at itself and :math:`p_k (B p / q - A)` at every other
    class :math:`k`, with :math:`p_k / q ≤ 1`: no ratio that overflows when
    :math:`p` rounds to 1.
    """
    log_p, *rest = saved
    a = t if alpha is None else t * alpha
    if not is_array(gamma) and gamma == 0:
        v = -a * per_row(g)
        return v - xp.exp(log_p) * xp.sum(v, axis=-1, keepdims=True)
    log_q, top = rest
    finite = log_q != float("-inf")
    modulating = _focal_modulating(xp, log_q, gamma) * per_row(g)
    slope_p = -a * modulating
    slope_q = gamma * a * xp.where(t > 0, -log_p, 0.0) * modulating
    safe_q = xp.where(finite, log_q, 0.0)
    ratio = xp.exp(log_p - xp.where(top, 0.0, safe_q))
    v = xp.where(top, 0.0, slope_p - slope_q * ratio)
    p = xp.exp(log_p)
    grad = v - p * xp.sum(v, axis=-1, keepdims=True)

    def at_top(values):
        return xp.sum(xp.where(top, values, 0.0), axis=-1, keepdims=True)

    top_p, top_q = at_top(slope_p), at_top(slope_q)
    p_top, log_q_top = at_top(p), at_top(safe_q)
    others = p_top * top_q * xp.exp(log_p - log_q_top) - top_p * p
    return grad + xp.where(top, top_p * xp.exp(log_q_top) - top_q * p_top, others)


_FOCAL_ROWS = Rows(_focal_rows, _focal_gradient, autodiff=EAGER)


@declare(
    kind="class-set",
    peers={
        "torch": "torch.nn.functional.kl_div(log_softmax(s), t, reduction='batchmean')",
        "keras": "keras.losses.KLDivergence on softmax(s)",
        "optax": "optax.kl_divergence(log_softmax(s), t); "
        "optax.kl_divergence_with_log_targets (log_target=True)",
    },
    cases=lambda ex: {
        "kl": ex.case(ex.LOGITS, ex.PROBS, expected=ex.oracles.kl(ex.LOGITS, ex.PROBS)),
        "kl-where": ex.case(
            ex.LOGITS,
            ex.PROBS,
            where=ex.WHERE,
            expected=ex.oracles.kl(ex.LOGITS, ex.PROBS, where=ex.WHERE),
            count=int(ex.WHERE.any(axis=-1).sum()),
        ),
        "kl-log-target": ex.case(
            ex.LOGITS,
            ex.np.log(ex.PROBS),
            log_target=True,
            expected=ex.oracles.kl(ex.LOGITS, ex.PROBS),
        ),
    },
    bench=lambda b: (b.logits, b.probs, {}),
    timed_against={
        "torch": lambda m, x, t: m.F.kl_div(x.log_softmax(-1), t, reduction="batchmean")
    },
)
def kl_divergence(
    logits,
    target_probs,
    /,
    *,
    log_target=False,
    axis=-1,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Kullback-Leibler divergence KL(t ‖ softmax(s)) per row.

    .. math::

        L = \sum_c t_c (\log t_c - \log p_c), \qquad 0 \log 0 = 0

    with :math:`p = \operatorname{softmax}(s)` over the classes of ``axis``
    (:math:`s` = ``logits``) and :math:`t` = ``target_probs``. It is the
    cross-entropy :math:`-\sum_c t_c \log p_c` less the entropy of
    :math:`t`, so it has the cross-entropy's gradient :math:`p - t` (for
    rows of :math:`t` summing to 1) but is 0 when :math:`p = t`: the loss of
    knowledge distillation, and of matching any target distribution.
    ``"mean"`` averages over rows (examples), which for 2-D inputs is
    torch's ``kl_div(log_softmax(s), t, reduction="batchmean")``; for more
    dimensions torch's ``batchmean`` divides by the first dimension only,
    here by the number of rows. :math:`\log p` is the log-softmax of the
    shifted logits (see :func:`softmax_cross_entropy`), and a class with
    :math:`t_c = 0` contributes exactly 0 whatever its logit.

    With ``log_target=True`` the second argument holds :math:`\log t`
    (``-inf`` for a zero probability), as torch's ``kl_div(...,
    log_target=True)`` and ``optax.kl_divergence_with_log_targets``: the
    term :math:`t_c \log t_c` then uses the given logarithm, so a teacher's
    tiny probabilities keep their precision.

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        Unnormalised scores :math:`s` of the model's distribution; real
        floating (16-bit logits are computed in float32).
    target_probs : floating array, the shape of ``logits``, in [0, 1]
        The target distribution :math:`t` along ``axis`` (for distillation,
        the teacher's softmax), or its logarithm, in [-inf, 0], with
        ``log_target``.
    log_target : bool
        Whether ``target_probs`` holds :math:`\log t` (for example the
        teacher's log-softmax) rather than :math:`t`.
    axis : int
        The class axis (default -1, the last).
    where : bool array broadcastable to ``logits``, optional
        False removes that class from the softmax and from the sum (as in
        :func:`softmax_cross_entropy`): the divergence is taken between the
        distributions over the classes each row keeps. A row with no class
        left costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one divergence per row, ``"sum"`` adds them and
        ``"mean"`` averages them over the rows with a class.

    Returns
    -------
    array
        For ``reduction="none"`` one divergence per row, ``logits.shape``
        without ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 logits, float64 for float64 logits.

    References
    ----------
    Kullback & Leibler, "On Information and Sufficiency", Annals of
    Mathematical Statistics, 1951. Hinton, Vinyals & Dean, "Distilling the
    Knowledge in a Neural Network", arXiv:1503.02531, 2015.

    Examples
    --------
    For a one-hot target the divergence is the cross-entropy; otherwise it
    is the cross-entropy less the target's entropy:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.1, 0.2, 0.7], [0.4, 0.5, 0.1]])
    >>> targets = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])
    >>> mlcloss.kl_divergence(logits, targets, reduction="none").round(4)
    array([0.0083, 0.9459])
    >>> mlcloss.softmax_cross_entropy(logits, targets, reduction="none").round(4)
    array([1.0379, 0.9459])
    >>> mlcloss.kl_divergence(logits, targets).round(4)
    np.float64(0.4771)
    """
    backend, (logits, target_probs, where) = _LOGITS_TARGET_PROBS_WHERE(logits, target_probs, where)
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, logits, "logits")
    axis = normalize_axis(axis, logits.ndim)
    log_target = check_flag(log_target, name="log_target")
    _check_probability_labels(xp, target_probs, logits, None, name="target_probs")
    t = class_axis_last(xp, cast(xp, target_probs, dtype), axis)
    log_t = None
    if log_target:
        log_t, t = t, xp.exp(t)
    valid = class_axis_last(xp, where_mask(xp, where, logits), axis)
    bad = _check_distribution(xp, backend, t, name="target_probs")
    count = None if valid is None else count_where(xp, xp.any(valid, axis=-1), dtype)
    return reduced(
        xp,
        backend,
        _KL_ROWS,
        logits,
        {"t": t, "valid": valid, "log_t": log_t},
        axis=axis,
        reduction=reduction,
        count=count,
        bad=bad,
        sample_weight=sample_weight,
    )


def _kl_rows(xp, backend, x, t, valid, log_t):
    r"""Rows of KL(t ‖ softmax(s)): :math:`\sum_c t_c \log t_c - \sum_c t_c \log p_c` over the
    classes ``valid`` keeps (:math:`\log t` given as ``log_t``, or taken here)."""
    present = t > 0 if valid is None else (t > 0) & valid
    log_t = log_where(xp, t, present) if log_t is None else xp.where(present, log_t, 0.0)
    neg_entropy = xp.sum(xp.where(present, t * log_t, 0.0), axis=-1)
    log_p = masked_log_softmax(xp, backend, x, where=valid)
    return neg_entropy + _cross_entropy(xp, t, log_p, None, valid), ()


def _kl_gradient(xp, backend, x, saved, g, t, valid, log_t):
    """∂L/∂s = (Σ_c t_c) p − t: the cross-entropy's (the entropy does not depend on s)."""
    return _probability_gradient(xp, backend, x, saved, g, t, None, valid)


_KL_ROWS = Rows(_kl_rows, _kl_gradient, autodiff=JAX)


def smooth_labels(labels, epsilon, /, *, axis=-1, keep_mass=False):
    r"""Label smoothing: :math:`(1 - ε)\, y + ε / V`, V the size of ``axis``.

    ``labels`` are one-hot or probability vectors along ``axis``; floating
    labels keep their dtype, bool and integer labels become float32.

    With :math:`y` = ``labels`` and :math:`ε` = ``epsilon``, each row is
    mixed with the uniform distribution over its :math:`V` classes: the
    target class keeps :math:`1 - ε + ε / V`, every other class gets
    :math:`ε / V`, and a row that summed to 1 still does. Training on the
    smoothed targets stops the logits from growing without bound to reach
    a probability of exactly 1, a regulariser that often improves
    calibration. :func:`softmax_cross_entropy` with ``label_smoothing=ε``
    gives the same loss without materialising the smoothed labels.

    With ``keep_mass=True`` (multi-label targets) the moved mass is the
    row's own, :math:`(1 - ε)\, y + ε\, m / V` with :math:`m = \sum y`
    along ``axis``: a multi-hot row with :math:`k` positives still sums to
    :math:`k` (each positive keeps :math:`1 - ε + ε k / V`, each negative
    gets :math:`ε k / V`), where the plain rule would give it
    :math:`(1 - ε) k + ε`. One-hot rows are smoothed alike by both.

    Parameters
    ----------
    labels : array
        One-hot (bool, integer 0/1) or probability (floating) labels
        :math:`y`, any shape, with the classes along ``axis``.
    epsilon : float in [0, 1]
        :math:`ε`, the probability mass moved to the uniform distribution
        (0 leaves the labels unchanged; 0.1 is the usual choice).
    axis : int
        The class axis, whose size is :math:`V` (default -1, the last).
    keep_mass : bool
        Spread :math:`ε` times the row's mass instead of :math:`ε` (default
        False), so that multi-label rows keep their number of positives.

    Returns
    -------
    array
        The smoothed labels, the shape of ``labels``: the labels' dtype for
        floating labels, float32 for bool and integer labels.

    References
    ----------
    Szegedy et al., "Rethinking the Inception Architecture for Computer
    Vision", CVPR 2016, arXiv:1512.00567, §7. Müller, Kornblith & Hinton,
    "When Does Label Smoothing Help?", NeurIPS 2019, arXiv:1906.02629.

    Examples
    --------
    A worked example, ε = 0.1 over three classes:

    >>> import numpy as np, mlcloss
    >>> mlcloss.smooth_labels(np.array([[0, 0, 1], [0, 1, 0]]), 0.1)
    array([[0.03333334, 0.03333334, 0.93333334],
           [0.03333334, 0.93333334, 0.03333334]], dtype=float32)

    Floating labels keep their dtype; here the classes run along axis 0:

    >>> mlcloss.smooth_labels(np.array([[0.0, 1.0], [1.0, 0.0]]), 0.2, axis=0)
    array([[0.1, 0.9],
           [0.9, 0.1]])

    A multi-hot row with two positives keeps its mass of 2 with ``keep_mass``:

    >>> mlcloss.smooth_labels(np.array([1.0, 0.0, 1.0, 0.0]), 0.2, keep_mass=True)
    array([0.9, 0.1, 0.9, 0.1])
    """
    backend, (labels,) = _LABELS(labels)
    xp = backend.xp
    check_label_dtype(xp, labels)
    axis = normalize_axis(axis, labels.ndim)
    dtype = labels.dtype if xp.isdtype(labels.dtype, "real floating") else xp.float32
    epsilon = check_number(
        epsilon, name="epsilon", low=0.0, high=1.0, backend=backend, like=labels, dtype=dtype
    )
    keep_mass = check_flag(keep_mass, name="keep_mass")
    y = cast(xp, labels, dtype)
    if keep_mass:
        return keep_mass_smoothed(xp, y, epsilon, axis=axis)
    return (1 - epsilon) * y + epsilon / labels.shape[axis]


# -- shared pieces ----------------------------------------------------------


def _merge_class_axes(xp, logits, labels, where, axes):
    """``logits``, ``labels`` and ``where`` with the class ``axes`` moved last and flattened.

    The classes are numbered row-major over ``axes`` in increasing order, so
    an integer label is the flat index of its class (``numpy.ravel_multi_index``
    over those dimensions), as in optax. Floating labels and ``where`` move
    with the logits; integer labels already lack the class axes.
    """
    if not axes:
        raise ValueError("mlcloss: axis must name at least one class axis, received ()")
    axes = sorted(normalize_axis(a, logits.ndim) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"mlcloss: axis must not repeat an axis, received {tuple(axes)}")
    where = where_mask(xp, where, logits)
    kept = [d for i, d in enumerate(logits.shape) if i not in axes]
    classes = math.prod(logits.shape[a] for a in axes)
    shape = (*(-1 if d is None else d for d in kept), classes)

    def merged(x):
        for moved, a in enumerate(axes):  # axis a now sits at a - moved
            x = xp.moveaxis(x, a - moved, -1)
        return xp.reshape(x, shape)

    if not xp.isdtype(labels.dtype, "integral"):
        check_same_shape(logits, labels, names=("logits", "labels"))
        labels = merged(labels)
    return merged(logits), labels, None if where is None else merged(where)


def _count_classes(xp, valid, dtype):
    """The number of classes each row keeps (``[...]``, at least 1)."""
    count = xp.sum(xp.astype(valid, dtype), axis=-1)
    return xp.where(count > 0, count, 1.0)


def _class_weights(xp, weights, like, dtype, axis, *, name="class_weights"):
    if weights is None:
        return None
    return weight_array(xp, weights, name=name, like=like, dtype=dtype, per_class_axis=axis)


def _weighted_sum(xp, values, weights, valid):
    """Σ_c w_c · values_c over the classes of each row (``values`` may be inf off ``valid``)."""
    if weights is not None:
        values = values * weights
    if valid is not None:
        values = xp.where(valid, values, 0.0)
    return xp.sum(values, axis=-1)


def _cross_entropy(xp, t, log_p, weights, valid):
    """−Σ_c w_c t_c log p_c, with 0 · log 0 = 0 (a double where: no 0 · ∞ in the gradient)."""
    present = t > 0
    if valid is not None:
        present = present & valid
    terms = -t * xp.where(present, log_p, 0.0)
    if weights is not None:
        terms = terms * weights
    return xp.sum(terms, axis=-1)


def _index_labels(xp, backend, labels, weights, ignore_index, valid, *, like, axis, all_kept):
    """Checked class-index ``labels`` as ``(index, keep, label_weight, bad)``.

    ``index`` is ``[..., 1]`` and in range everywhere (0 where not kept);
    ``keep`` marks the rows that count (not ignored, label in range, naming a
    class ``valid`` keeps); ``label_weight`` is :math:`w_y` (1 without
    weights) on those rows and 0 elsewhere, so its sum is torch's mean
    denominator; ``bad`` the rows to poison. With ``all_kept`` (the caller
    handles ``keep`` and ``label_weight`` of None), checked labels without
    weights, masks or padding come back as ``(index, None, None, None)``.
    """
    check_index_labels(labels, like, axis, ignore_index)
    num_classes = like.shape[axis]
    dtype = compute_dtype(xp, like, "logits")
    plain = ignore_index is None and valid is None and weights is None
    if all_kept and plain and values_within(backend, labels, 0, num_classes - 1):
        return backend.as_index(labels)[..., None], None, None, None  # every row counts, once
    index, keep, bad, expected = class_indices(xp, backend, labels, num_classes, ignore_index)
    index = index[..., None]
    if valid is not None:
        label_exists = backend.take_along_last_axis(valid, index)[..., 0]
        bad = bad | (keep & ~label_exists & xp.any(valid, axis=-1))
        keep = keep & label_exists
        expected += ", naming a class that `where` keeps"
    bad = check_values(xp, backend, bad, name="labels", expected=expected)
    if weights is None:
        return index, keep, xp.astype(keep, dtype), bad
    if None in keep.shape:  # symbolic batch (tf.function): broadcast by an operation
        table = weights * xp.ones_like(index, dtype=dtype)
    else:
        table = xp.broadcast_to(weights, (*keep.shape, num_classes))
    picked = backend.take_along_last_axis(table, index)
    return index, keep, xp.where(keep, picked[..., 0], 0.0), bad


def _check_probability_labels(xp, labels, like, ignore_index, *, name="labels"):
    if not xp.isdtype(labels.dtype, "real floating"):
        raise TypeError(
            f"mlcloss: {name} must be integer class indices or floating probabilities, "
            f"received dtype {labels.dtype}"
        )
    check_same_shape(like, labels, names=("logits", name))
    if ignore_index is not None:
        raise ValueError(
            f"mlcloss: ignore_index applies to integer class labels, received floating "
            f"{name} with ignore_index={ignore_index!r}"
        )


def _check_distribution(xp, backend, t, *, name="labels"):
    return check_values(
        xp,
        backend,
        lambda: xp.any(~((t >= 0) & (t <= 1)), axis=-1),
        name=name,
        expected="probabilities in [0, 1]",
    )
