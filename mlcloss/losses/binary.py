r"""Elementwise binary losses: sigmoid cross-entropy, BCE on probabilities, focal, ASL.

Each class (or output) is its own yes/no problem with label :math:`t \in [0, 1]`.
With logits the two tails are computed separately,
:math:`-\log σ(x) = \operatorname{softplus}(-x)` and
:math:`-\log(1 - σ(x)) = \operatorname{softplus}(x)`, each exact, instead of
the usual :math:`\max(x, 0) - x t + \log(1 + e^{-|x|})`, which cancels in
float32 once a weight breaks the symmetry (logit −10, label 0,
``pos_weight=1.5``: exact 4.5398899e-05, torch and TensorFlow give
4.5776e-05).

``"none"`` returns the elementwise losses; ``where=False`` removes an
element from both the sum and the mean's count.

References
----------
Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.
Ridnik et al., "Asymmetric Loss For Multi-Label Classification", ICCV 2021,
arXiv:2009.14119.
"""

from __future__ import annotations

import math
from functools import partial

from .._compat import device
from .._lib.arguments import check_number, weight_array
from .._lib.dtypes import cast
from .._lib.elementwise import (
    check_unit_interval,
    elementwise_rows,
    finish,
    prepare,
    saved_slope,
)
from ..backends import Inputs

__all__ = [
    "asymmetric_loss",
    "binary_cross_entropy",
    "sigmoid_cross_entropy",
    "sigmoid_focal_loss",
]

_LOGITS_LABELS_POS_WEIGHT_WHERE = Inputs("logits", "labels", optional=("pos_weight", "where"))
_PROBS_LABELS_WHERE = Inputs("probs", "labels", optional=("where",))
_LOGITS_LABELS_WHERE = Inputs("logits", "labels", optional=("where",))


def sigmoid_cross_entropy(
    logits, labels, /, *, pos_weight=None, label_smoothing=0.0, where=None, reduction="mean"
):
    r"""Sigmoid (binary) cross-entropy on logits, elementwise.

    .. math::

        L = p\, \tilde t \operatorname{softplus}(-x)
          + (1 - \tilde t) \operatorname{softplus}(x),
        \qquad \tilde t = t (1 - ε) + ε / 2

    with :math:`p` = ``pos_weight`` (1 by default) and :math:`ε` =
    ``label_smoothing`` (Keras's binary smoothing). This is
    ``torch.nn.functional.binary_cross_entropy_with_logits`` (``pos_weight``
    included), ``tf.nn.sigmoid_cross_entropy_with_logits`` and Keras 3's
    ``BinaryCrossentropy(from_logits=True, label_smoothing=ε)``, with each
    tail computed on its own (see the module notes): the values are exact
    where theirs cancel.

    Parameters
    ----------
    logits : array
    labels : array, the shape of ``logits``
        Bool, integer 0/1 or floating in [0, 1].
    pos_weight : float, array broadcastable to ``logits`` or sequence, optional
        Weight of the positive term (torch: one per class, on the last axis).
    label_smoothing : float in [0, 1]
    where : bool array broadcastable to ``logits``, optional
    reduction : {"mean", "sum", "none"}

    Examples
    --------
    Seed 002's BCEWithLogitsLoss example:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.8, 0.2], [0.1, 0.9], [0.6, 0.4]])
    >>> labels = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    >>> mlcloss.sigmoid_cross_entropy(logits, labels, reduction="none").round(4)
    array([[0.4511, 0.7781],
           [0.7244, 0.5212],
           [0.7375, 0.713 ]])
    """
    backend, (logits, labels, pos_weight, where) = _LOGITS_LABELS_POS_WEIGHT_WHERE(
        logits, labels, pos_weight, where
    )
    xp = backend.xp
    t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    bad = check_unit_interval(xp, backend, t, valid, name="labels")
    epsilon = check_number(label_smoothing, name="label_smoothing", low=0.0, high=1.0)
    if epsilon > 0:
        t = t * (1 - epsilon) + epsilon / 2
    if pos_weight is not None:
        if isinstance(pos_weight, (int, float)):
            pos_weight = xp.asarray(
                check_number(pos_weight, name="pos_weight"), dtype=t.dtype, device=device(t)
            )
        else:
            pos_weight = weight_array(xp, pos_weight, name="pos_weight", like=t, dtype=t.dtype)
    return finish(
        xp, backend, _SIGMOID_ROWS, logits, t, pos_weight, valid=valid, bad=bad, reduction=reduction
    )


def _sigmoid_values(xp, backend, x, t, pos_weight):
    """p t softplus(−x) + (1 − t) softplus(x)."""
    positive = t if pos_weight is None else t * pos_weight
    return _binary_cross_entropy(xp, backend, _finite(xp, x), positive, 1 - t), ()


def _sigmoid_gradient(xp, backend, x, saved, g, t, pos_weight):
    """∂L/∂x = (p t + 1 − t) σ(x) − p t (σ(x) − t without ``pos_weight``)."""
    if pos_weight is None:
        grad = backend.subtract_owned(backend.sigmoid(x), t)
    else:
        positive = t * pos_weight
        grad = (positive + (1 - t)) * backend.sigmoid(x) - positive
    return backend.scale_owned(grad, g)


_SIGMOID_ROWS = elementwise_rows(_sigmoid_values, _sigmoid_gradient)


def binary_cross_entropy(probs, labels, /, *, where=None, reduction="mean"):
    r"""Binary cross-entropy on probabilities, each log clamped at −100 like torch.

    .. math::

        L = -\bigl(t \max(\log q, -100) + (1 - t) \max(\operatorname{log1p}(-q), -100)\bigr)

    ``torch.nn.functional.binary_cross_entropy``: the clamp keeps
    :math:`q = 0` or :math:`1` finite. Prefer :func:`sigmoid_cross_entropy`
    on logits when you have them: it is exact where probabilities have
    already rounded to 0 or 1.

    Parameters
    ----------
    probs : array, values in [0, 1]
    labels : array, the shape of ``probs``, in [0, 1]
    where : bool array broadcastable to ``probs``, optional
    reduction : {"mean", "sum", "none"}

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.binary_cross_entropy(np.array([0.0, 0.5, 1.0]), np.array([1.0, 1.0, 1.0]),
    ...                              reduction="none").round(4)
    array([100.    ,   0.6931,   0.    ])
    """
    backend, (probs, labels, where) = _PROBS_LABELS_WHERE(probs, labels, where)
    xp = backend.xp
    t, valid = prepare(xp, probs, labels, where, reduction, name="probs")
    q = cast(xp, probs, t.dtype)
    bad_q = check_unit_interval(
        xp, backend, q, valid, name="probs", expected="probabilities in [0, 1]"
    )
    bad_t = check_unit_interval(xp, backend, t, valid, name="labels")
    bad = bad_q if bad_t is None else bad_t if bad_q is None else bad_q | bad_t
    return finish(xp, backend, _BCE_ROWS, probs, t, valid=valid, bad=bad, reduction=reduction)


def _bce_logs(xp, q):
    """(log q, log(1 − q)) clamped at −100, and where each is above the clamp (0 < q < 1)."""
    log_q = xp.log(xp.where(q > 0, q, 1.0))
    log_rest = xp.log1p(-xp.where(q < 1, q, 0.0))
    kept_q = (q > 0) & (log_q > -100.0)
    kept_rest = (q < 1) & (log_rest > -100.0)
    return xp.where(kept_q, log_q, -100.0), xp.where(kept_rest, log_rest, -100.0), kept_q, kept_rest


def _bce_values(xp, backend, q, t):
    log_q, log_rest, kept_q, kept_rest = _bce_logs(xp, q)
    return -t * log_q - (1 - t) * log_rest, (kept_q, kept_rest)


def _bce_gradient(xp, backend, q, saved, g, t):
    """∂L/∂q = (1 − t)/(1 − q) − t/q, each term 0 where its log is clamped (divided by ∞)."""
    kept_q, kept_rest = saved
    head = t / xp.where(kept_q, q, float("inf"))
    tail = (1 - t) / xp.where(kept_rest, 1 - q, float("inf"))
    return backend.scale_owned(tail - head, g)


_BCE_ROWS = elementwise_rows(_bce_values, _bce_gradient)


def sigmoid_focal_loss(logits, labels, /, *, alpha=0.25, gamma=2.0, where=None, reduction="mean"):
    r"""Sigmoid focal loss: cross-entropy down-weighted on easy elements.

    .. math::

        L = α_t\, (1 - p_t)^{γ}\, \mathrm{CE}(x, t),
        \quad p_t = t\, σ(x) + (1 - t)(1 - σ(x)),
        \quad α_t = α t + (1 - α)(1 - t)

    torchvision's and optax's ``sigmoid_focal_loss`` (``alpha < 0`` or
    ``None`` disables :math:`α_t`), with their reductions replaced by
    ``reduction``.

    Parameters
    ----------
    logits : array
    labels : array, the shape of ``logits``, in [0, 1]
    alpha : float in [0, 1], negative or None
    gamma : float ≥ 0
    where : bool array broadcastable to ``logits``, optional
    reduction : {"mean", "sum", "none"}

    Notes
    -----
    :math:`(1 - p_t)^γ` is evaluated as :math:`\exp(γ \log(1 - p_t))`, with
    :math:`\log(1 - p_t) = -\operatorname{softplus}(x)` for :math:`t = 1`
    (and its mirror for :math:`t = 0`), plus an exact correction for soft
    labels, so the gradient is finite even for :math:`γ < 1` at extreme
    logits, where :math:`(1 - p_t)` rounds to 0 and the power's derivative
    is infinite.
    """
    backend, (logits, labels, where) = _LOGITS_LABELS_WHERE(logits, labels, where)
    xp = backend.xp
    t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    bad = check_unit_interval(xp, backend, t, valid, name="labels")
    alpha = check_number(alpha, name="alpha", high=1.0, allow_none=True)
    gamma = check_number(gamma, name="gamma", low=0.0)
    weight = None if alpha is None or alpha < 0 else alpha * t + (1 - alpha) * (1 - t)
    rows = elementwise_rows(
        partial(_focal_values, gamma=gamma), partial(_focal_gradient, gamma=gamma)
    )
    return finish(xp, backend, rows, logits, t, weight, valid=valid, bad=bad, reduction=reduction)


def _focal_values(xp, backend, x, t, weight, *, gamma):
    """α_t (1 − p_t)^γ CE; saves CE, the modulating factor and the log-slope of log(1 − p_t)."""
    x = _finite(xp, x)
    ce = _binary_cross_entropy(xp, backend, x, t, 1 - t)
    loss, saved = ce, ()
    if gamma > 0:
        log_rest, log_slope = _log_one_minus_pt(xp, backend, x, t)
        modulating = xp.exp(gamma * log_rest)
        loss, saved = ce * modulating, (ce, modulating, log_slope)
    return (loss if weight is None else loss * weight), saved


def _focal_gradient(xp, backend, x, saved, g, t, weight, *, gamma):
    r"""∂L/∂x = α_t (1 − p_t)^γ (σ(x) − t + γ CE (1 − 2t) e^{λ}),
    with :math:`e^{λ} (1 - 2t) = ∂ \log(1 - p_t)/∂x` from :func:`_log_one_minus_pt`."""
    grad = backend.sigmoid(_finite(xp, x)) - t
    if gamma > 0:
        ce, modulating, log_slope = saved
        grad = modulating * (grad + gamma * ce * (1 - 2 * t) * xp.exp(log_slope))
    if weight is not None:
        grad = grad * weight
    return grad * g


def asymmetric_loss(
    logits, labels, /, *, gamma_pos=0.0, gamma_neg=4.0, clip=0.05, where=None, reduction="mean"
):
    r"""Asymmetric loss (ASL) for multi-label classification, in log space.

    With :math:`p = σ(x)` and the shifted probability
    :math:`p_m = \max(p - m, 0)` (``clip`` = :math:`m`):

    .. math::

        L = t\,(1 - p)^{γ_+} (-\log p)
          + (1 - t)\, p_m^{γ_-} (-\log(1 - p_m))

    Easy negatives are down-weighted by :math:`γ_-` and those with
    :math:`p \le m` discarded outright; positives keep (by default) the
    plain cross-entropy. Equal to the authors' ``AsymmetricLoss`` for 0/1
    labels, which returns the *negated sum*: ``reduction="sum"`` reproduces
    it. For soft labels the two terms are mixed linearly in :math:`t`.

    Parameters
    ----------
    logits : array
    labels : array, the shape of ``logits``, in [0, 1]
    gamma_pos, gamma_neg : float ≥ 0
        :math:`γ_+`, :math:`γ_-`.
    clip : float in [0, 1)
        :math:`m`, the probability margin of the negatives (0 disables it).
    where : bool array broadcastable to ``logits``, optional
    reduction : {"mean", "sum", "none"}

    Notes
    -----
    Every log is taken of a sigmoid in closed form:
    :math:`-\log p = \operatorname{softplus}(-x)`,
    :math:`(1 - p)^{γ_+} = e^{-γ_+ \operatorname{softplus}(x)}` and
    :math:`\log(1 - p_m) = \min(\operatorname{logaddexp}(-\operatorname{softplus}(x), \log m), 0)`.
    The reference implementation clamps :math:`p` at 1e-8 before the log;
    here no clamp is needed, so the two differ only for logits below
    about −18.
    """
    backend, (logits, labels, where) = _LOGITS_LABELS_WHERE(logits, labels, where)
    xp = backend.xp
    t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    bad = check_unit_interval(xp, backend, t, valid, name="labels")
    gamma_pos = check_number(gamma_pos, name="gamma_pos", low=0.0)
    gamma_neg = check_number(gamma_neg, name="gamma_neg", low=0.0)
    clip = check_number(clip, name="clip", low=0.0, high=math.nextafter(1.0, 0.0))
    terms = partial(_asl_terms, gamma_pos=gamma_pos, gamma_neg=gamma_neg, clip=clip)
    rows = elementwise_rows(partial(_asl_values, terms=terms), saved_slope)
    return finish(xp, backend, rows, logits, t, valid=valid, bad=bad, reduction=reduction)


def _asl_values(xp, backend, x, t, *, terms):
    """The loss and, saved for the backward pass, its derivative: they share every term."""
    (positive, slope_pos), (negative, slope_neg) = terms(xp, backend, _finite(xp, x))
    return t * positive + (1 - t) * negative, (t * slope_pos + (1 - t) * slope_neg,)


def _asl_terms(xp, backend, x, *, gamma_pos, gamma_neg, clip):
    r"""``((P, P'), (N, N'))``: ASL's positive and negative terms and their derivatives in
    :math:`x`.

    With :math:`σ = σ(x)`, :math:`\bar σ = σ(-x)`,
    :math:`P = \operatorname{softplus}(-x)\, e^{-γ_+ \operatorname{softplus}(x)}`,
    :math:`P' = -e^{-γ_+ \operatorname{softplus}(x)} (\bar σ + γ_+ σ \operatorname{softplus}(-x))`;
    without the clip :math:`N` is the mirror image (:math:`x → -x`, :math:`γ_-`). With the
    clip, :math:`N = C F`: :math:`C = -\min(\ell, 0)` for
    :math:`\ell = \log(\bar σ + m)`, :math:`C' = σ \bar σ e^{-\ell}` where
    :math:`\ell < 0`, and :math:`F = (σ - m)^{γ_-}`,
    :math:`F' = γ_- (σ - m)^{γ_- - 1} σ \bar σ` where :math:`σ > m` (both 0 elsewhere).
    """
    pos_ce, neg_ce = backend.softplus(-x), backend.softplus(x)
    sig, sig_neg = backend.sigmoid(x), backend.sigmoid(-x)
    positive, slope_pos = pos_ce, -sig_neg
    if gamma_pos > 0:
        focus = xp.exp(-gamma_pos * neg_ce)
        positive, slope_pos = pos_ce * focus, focus * (slope_pos - gamma_pos * sig * pos_ce)
    if clip == 0:
        negative, slope_neg = neg_ce, sig
        if gamma_neg > 0:
            focus = xp.exp(-gamma_neg * pos_ce)
            negative, slope_neg = neg_ce * focus, focus * (sig + gamma_neg * sig_neg * neg_ce)
        return (positive, slope_pos), (negative, slope_neg)
    log_kept = xp.logaddexp(-neg_ce, xp.full_like(x, math.log(clip)))
    kept = log_kept < 0
    negative = -xp.where(kept, log_kept, 0.0)
    spread = sig * sig_neg
    slope_neg = xp.where(kept, spread * xp.exp(negative), 0.0)
    if gamma_neg > 0:
        shifted = sig - clip
        above = shifted > 0
        log_shifted = xp.log(xp.where(above, shifted, 1.0))
        focus = xp.where(above, xp.exp(gamma_neg * log_shifted), 0.0)
        focus_slope = gamma_neg * xp.exp((gamma_neg - 1) * log_shifted) * spread
        slope_neg = slope_neg * focus + negative * xp.where(above, focus_slope, 0.0)
        negative = negative * focus
    return (positive, slope_pos), (negative, slope_neg)


def _binary_cross_entropy(xp, backend, x, positive, negative):
    """positive · softplus(−x) + negative · softplus(x), each tail on its own.

    The two tails are fresh arrays, scaled and combined in place where the
    adapter allows (:meth:`~mlcloss.backends._generic.Backend.scale_owned`).
    """
    tail = backend.scale_owned(backend.softplus(x), negative)
    head = backend.scale_owned(backend.log_sigmoid(x), positive)
    return backend.subtract_owned(tail, head)


def _finite(xp, x):
    """``x`` with ±inf replaced by the largest finite values (a masked logit).

    softplus of the largest float is finite, so a zero label weight then
    gives exactly 0 (never 0 · ∞ = NaN), and the clip's gradient at an
    infinite logit is 0: a logit of −inf with label 0 contributes nothing
    to the loss or the gradient. With label 1 it costs the largest float.
    """
    big = xp.finfo(x.dtype).max
    return xp.clip(x, min=-big, max=big)


def _log_one_minus_pt(xp, backend, x, t):
    r"""``(log(1 − p_t), λ)``: log(τ σ(−u) + (1 − τ) σ(u)) without cancellation, and the
    log of its slope, :math:`∂ \log(1 - p_t)/∂x = (1 - 2t) e^{λ}`.

    Mirrored so that τ = max(t, 1 − t) ≥ 1/2 weighs σ(−u). With
    :math:`s = \log(1 - τ) - \log τ ≤ 0`, two exact forms:
    :math:`-\operatorname{softplus}(u) + \log τ + \operatorname{softplus}(u + s)`
    while :math:`u + s ≤ 0`, and
    :math:`-\operatorname{softplus}(-u) + \log(1 - τ) + \operatorname{softplus}(-u - s)`
    beyond, so no term grows with :math:`|u|` only to cancel (an absolute
    error of ε·|u| in float32 at logits of 6e4). Hard labels (τ = 1) keep the
    first form's leading term alone.

    The slope is :math:`σ(u) σ(-u) / (1 - p_t)`; in each form the softplus
    that grows with :math:`|u|` cancels symbolically, leaving
    :math:`λ = -\operatorname{softplus}(-u) - \log τ - \operatorname{softplus}(u + s)`
    (first form) and
    :math:`λ = -\operatorname{softplus}(u) - \log(1 - τ) - \operatorname{softplus}(-u - s)`
    (second form).
    """
    hard_side = t >= 0.5
    u = xp.where(hard_side, x, -x)
    tau = xp.where(hard_side, t, 1 - t)
    soft = tau < 1
    safe_tau = xp.where(soft, tau, 0.5)
    log_tau, log_rest = xp.log(safe_tau), xp.log1p(-safe_tau)
    z = xp.where(soft, u + (log_rest - log_tau), 0.0)
    lifted = xp.where(soft, log_tau + backend.softplus(z), 0.0)
    spread = log_rest + backend.softplus(-z)
    upper = soft & (z > 0)
    value = xp.where(upper, spread - backend.softplus(-u), lifted - backend.softplus(u))
    slope = xp.where(upper, -spread - backend.softplus(u), -lifted - backend.softplus(-u))
    return value, slope
