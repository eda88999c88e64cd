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

from .._lib.arguments import check_number, weight_array
from .._lib.elementwise import check_unit_interval, finish, prepare, prepare_labels
from .._lib.gradients import Rows, reduced
from .._lib.namespace import array_namespace, device
from .._lib.reduce import count_where
from ..backends import backend_for

__all__ = [
    "asymmetric_loss",
    "binary_cross_entropy",
    "sigmoid_cross_entropy",
    "sigmoid_focal_loss",
]


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
    xp = array_namespace(logits, labels, pos_weight, where)
    backend = backend_for(xp)
    t, valid = prepare_labels(xp, logits, labels, where, reduction, name="logits")
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
    count = None if valid is None else count_where(xp, valid, t.dtype)
    return reduced(
        xp,
        backend,
        _SIGMOID_ROWS,
        logits,
        t,
        pos_weight,
        valid,
        reduction=reduction,
        count=count,
        bad=bad,
    )


def _sigmoid_values(xp, backend, x, t, pos_weight, valid):
    """p t softplus(−x) + (1 − t) softplus(x), on the entries ``valid`` keeps."""
    x = _finite(xp, x if valid is None else xp.where(valid, x, 0.0))
    positive = t if pos_weight is None else t * pos_weight
    loss = _binary_cross_entropy(xp, backend, x, positive, 1 - t)
    return (loss if valid is None else xp.where(valid, loss, 0.0)), ()


def _sigmoid_gradient(xp, backend, x, saved, g, t, pos_weight, valid):
    """∂L/∂x = (p t + 1 − t) σ(x) − p t (σ(x) − t without ``pos_weight``)."""
    if pos_weight is None:
        grad = backend.subtract_owned(backend.sigmoid(x), t)
    else:
        positive = t * pos_weight
        grad = (positive + (1 - t)) * backend.sigmoid(x) - positive
    grad = backend.scale_owned(grad, g)
    return grad if valid is None else xp.where(valid, grad, 0.0)


_SIGMOID_ROWS = Rows(_sigmoid_values, _sigmoid_gradient, elementwise=True)


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
    xp = array_namespace(probs, labels, where)
    backend = backend_for(xp)
    q, t, valid = prepare(xp, probs, labels, where, reduction, name="probs")
    bad_q = check_unit_interval(
        xp, backend, q, valid, name="probs", expected="probabilities in [0, 1]"
    )
    bad_t = check_unit_interval(xp, backend, t, valid, name="labels")
    bad = bad_q if bad_t is None else bad_t if bad_q is None else bad_q | bad_t
    log_q = _clamp(xp, xp.log(xp.where(q > 0, q, 1.0)), q > 0)
    log_not_q = _clamp(xp, xp.log1p(-xp.where(q < 1, q, 0.0)), q < 1)
    loss = -t * log_q - (1 - t) * log_not_q
    return finish(xp, loss, valid, bad, reduction)


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
    xp = array_namespace(logits, labels, where)
    backend = backend_for(xp)
    x, t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    x = _finite(xp, x)
    bad = check_unit_interval(xp, backend, t, valid, name="labels")
    alpha = check_number(alpha, name="alpha", high=1.0, allow_none=True)
    gamma = check_number(gamma, name="gamma", low=0.0)
    loss = _binary_cross_entropy(xp, backend, x, t, 1 - t)
    if gamma > 0:
        loss = loss * xp.exp(gamma * _log_one_minus_pt(xp, backend, x, t))
    if alpha is not None and alpha >= 0:
        loss = loss * (alpha * t + (1 - alpha) * (1 - t))
    return finish(xp, loss, valid, bad, reduction)


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
    xp = array_namespace(logits, labels, where)
    backend = backend_for(xp)
    x, t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    x = _finite(xp, x)
    bad = check_unit_interval(xp, backend, t, valid, name="labels")
    gamma_pos = check_number(gamma_pos, name="gamma_pos", low=0.0)
    gamma_neg = check_number(gamma_neg, name="gamma_neg", low=0.0)
    clip = check_number(clip, name="clip", low=0.0, high=math.nextafter(1.0, 0.0))

    def positive(z):
        loss = backend.softplus(-z)
        if gamma_pos > 0:
            loss = loss * xp.exp(-gamma_pos * backend.softplus(z))
        return loss

    def negative(z):
        if clip == 0:
            loss = backend.softplus(z)
            if gamma_neg > 0:
                loss = loss * xp.exp(-gamma_neg * backend.softplus(-z))
            return loss
        log_kept = xp.logaddexp(-backend.softplus(z), xp.full_like(z, math.log(clip)))
        loss = -xp.where(log_kept < 0, log_kept, 0.0)
        if gamma_neg > 0:
            shifted = backend.sigmoid(z) - clip
            above = shifted > 0
            focus = xp.exp(gamma_neg * xp.log(xp.where(above, shifted, 1.0)))
            loss = loss * xp.where(above, focus, 0.0)
        return loss

    loss = t * positive(x) + (1 - t) * negative(x)
    return finish(xp, loss, valid, bad, reduction)


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


def _clamp(xp, log_value, finite):
    """max(log_value, −100), and −100 where ``finite`` is False (log 0, kept out of the gradient)."""
    return xp.where(finite & (log_value > -100.0), log_value, -100.0)


def _log_one_minus_pt(xp, backend, x, t):
    r"""log(1 − p_t) = log(τ σ(−u) + (1 − τ) σ(u)) without cancellation.

    Mirrored so that τ = max(t, 1 − t) ≥ 1/2 weighs σ(−u). With
    :math:`s = \log(1 - τ) - \log τ ≤ 0`, two exact forms:
    :math:`-\operatorname{softplus}(u) + \log τ + \operatorname{softplus}(u + s)`
    while :math:`u + s ≤ 0`, and
    :math:`-\operatorname{softplus}(-u) + \log(1 - τ) + \operatorname{softplus}(-u - s)`
    beyond, so no term grows with :math:`|u|` only to cancel (an absolute
    error of ε·|u| in float32 at logits of 6e4). Hard labels (τ = 1) keep the
    first form's leading term alone.
    """
    hard_side = t >= 0.5
    u = xp.where(hard_side, x, -x)
    tau = xp.where(hard_side, t, 1 - t)
    soft = tau < 1
    safe_tau = xp.where(soft, tau, 0.5)
    log_tau, log_rest = xp.log(safe_tau), xp.log1p(-safe_tau)
    z = xp.where(soft, u + (log_rest - log_tau), 0.0)
    below = -backend.softplus(u) + xp.where(soft, log_tau + backend.softplus(z), 0.0)
    above = -backend.softplus(-u) + log_rest + backend.softplus(-z)
    return xp.where(soft & (z > 0), above, below)
