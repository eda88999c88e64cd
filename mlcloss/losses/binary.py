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

from .._compat import device
from .._lib.arguments import (
    check_flag,
    check_number,
    is_array,
    is_scalar,
    poison_options,
    weight_array,
)
from .._lib.dtypes import cast
from .._lib.elementwise import (
    check_unit_interval,
    elementwise_rows,
    finish,
    prepare,
    saved_slope,
)
from .._lib.label_sets import keep_mass_smoothed
from .._lib.registry import declare
from ..backends import Inputs

__all__ = [
    "asymmetric_loss",
    "binary_cross_entropy",
    "sigmoid_cross_entropy",
    "sigmoid_focal_loss",
]

_LOGITS_LABELS_POS_WEIGHT_WHERE = Inputs(
    "logits", "labels", optional=("pos_weight", "where", "label_smoothing")
)
_PROBS_LABELS_WHERE = Inputs("probs", "labels", optional=("where",))
_LOGITS_LABELS_WHERE_ALPHA_GAMMA = Inputs("logits", "labels", optional=("where", "alpha", "gamma"))
_LOGITS_LABELS_WHERE_ASL = Inputs(
    "logits", "labels", optional=("where", "gamma_pos", "gamma_neg", "clip")
)


@declare(
    kind="elementwise",
    arrays=("pos_weight",),
    peers={
        "torch": "torch.nn.functional.binary_cross_entropy_with_logits",
        "keras": "keras.losses.BinaryCrossentropy(from_logits=True)",
        "optax": "optax.sigmoid_binary_cross_entropy",
        "tf.nn": "tf.nn.sigmoid_cross_entropy_with_logits",
    },
    cases=lambda ex: {
        "sigmoid-ce": ex.case(
            ex.LOGITS,
            ex.SOFT,
            pos_weight=ex.CLASS_W,
            where=ex.WHERE,
            label_smoothing=0.1,
            expected=ex.kept(
                ex.oracles.sigmoid_ce(
                    ex.LOGITS, ex.SOFT, pos_weight=ex.CLASS_W, label_smoothing=0.1
                ),
                ex.WHERE,
            ),
        )
    },
    timed_against={
        "torch": lambda m, x, t: m.F.binary_cross_entropy_with_logits(x, t),
        "jax": lambda m, x, t: m.optax.sigmoid_binary_cross_entropy(x, t),
        "tensorflow": lambda m, x, t: m.tf.nn.sigmoid_cross_entropy_with_logits(t, x),
    },
)
def sigmoid_cross_entropy(
    logits,
    labels,
    /,
    *,
    pos_weight=None,
    label_smoothing=0.0,
    keep_mass=False,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Sigmoid (binary) cross-entropy on logits, elementwise.

    .. math::

        L = p\, \tilde t \operatorname{softplus}(-x)
          + (1 - \tilde t) \operatorname{softplus}(x),
        \qquad \tilde t = t (1 - ε) + ε / 2

    with :math:`x` the logits (``logits``), :math:`t` the labels
    (``labels``), :math:`p` = ``pos_weight`` (1 by default) and :math:`ε` =
    ``label_smoothing`` (Keras's binary smoothing). It is
    :math:`-p \tilde t \log σ(x) - (1 - \tilde t) \log(1 - σ(x))`, written
    with :math:`-\log σ(x) = \operatorname{softplus}(-x)` and
    :math:`-\log(1 - σ(x)) = \operatorname{softplus}(x)`, so no probability
    is ever formed and the gradient is
    :math:`(p \tilde t + 1 - \tilde t)\, σ(x) - p \tilde t`
    (:math:`σ(x) - \tilde t` without ``pos_weight``). This is
    ``torch.nn.functional.binary_cross_entropy_with_logits`` (``pos_weight``
    included), ``tf.nn.sigmoid_cross_entropy_with_logits`` and Keras 3's
    ``BinaryCrossentropy(from_logits=True, label_smoothing=ε)``, with each
    tail computed on its own (see the module notes): the values are exact
    where theirs cancel.

    Parameters
    ----------
    logits : array
        Real scores :math:`x`, no sigmoid applied, any shape; each element is
        its own yes/no problem. 16-bit logits are computed in float32.
    labels : array, the shape of ``logits``
        Bool, integer 0/1 or floating in [0, 1]: :math:`t`, the probability
        that the element is positive.
    pos_weight : float, array broadcastable to ``logits`` or sequence, optional
        Weight of the positive term (torch: one per class, on the last axis).
        Above 1 it trades precision for recall, e.g. the ratio of negatives
        to positives of an imbalanced class.
    label_smoothing : float in [0, 1]
        :math:`ε`: the labels are pulled towards 1/2 as
        :math:`t (1 - ε) + ε / 2` (default 0, no smoothing).
    keep_mass : bool
        Smooth multi-label rows keeping their mass instead (default False):
        :math:`t (1 - ε) + ε\, m / C` with :math:`m = \sum_c t_c` over the
        :math:`C` entries of the last axis (those ``where`` keeps), so a row
        with :math:`k` positives still has mass :math:`k`, where Keras's
        rule gives :math:`(1 - ε) k + ε C / 2`; see
        :func:`~mlcloss.smooth_labels`.
    where : bool array broadcastable to ``logits``, optional
        False removes an element from the sum and from the mean's count (its
        logit is never read, so padding may hold anything).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``logits`` (0 where ``where`` is False); for ``"mean"`` and ``"sum"``
        a 0-d array. float32 for 16-bit or float32 logits, float64 for
        float64 logits.

    Examples
    --------
    A worked example with soft labels:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[0.8, 0.2], [0.1, 0.9], [0.6, 0.4]])
    >>> labels = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    >>> mlcloss.sigmoid_cross_entropy(logits, labels, reduction="none").round(4)
    array([[0.4511, 0.7781],
           [0.7244, 0.5212],
           [0.7375, 0.713 ]])

    ``pos_weight`` doubles the positive terms only; where the usual
    :math:`\max(x, 0) - x t + \log(1 + e^{-|x|})` cancels, each tail here
    stays exact:

    >>> x, t = np.array([2.0, -1.0, -4.0, 0.5]), np.array([1, 0, 0, 1])
    >>> mlcloss.sigmoid_cross_entropy(x, t, pos_weight=2.0, reduction="none").round(4)
    array([0.2539, 0.3133, 0.0181, 0.9482])
    >>> float(mlcloss.sigmoid_cross_entropy(np.array([-10.0]), np.array([0.0]), pos_weight=1.5))
    4.539889921686465e-05
    """
    backend, (logits, labels, pos_weight, where, label_smoothing) = _LOGITS_LABELS_POS_WEIGHT_WHERE(
        logits, labels, pos_weight, where, label_smoothing
    )
    xp = backend.xp
    t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    bad = check_unit_interval(xp, backend, t, valid, name="labels")
    arrays, options, bad = sigmoid_inputs(
        xp, backend, logits, t, bad, pos_weight=pos_weight, label_smoothing=label_smoothing,
        keep_mass=keep_mass, valid=valid,
    )  # fmt: skip
    return finish(
        xp,
        backend,
        SIGMOID_ROWS,
        logits,
        arrays,
        valid=valid,
        bad=bad,
        reduction=reduction,
        sample_weight=sample_weight,
    )


def sigmoid_inputs(
    xp, backend, logits, t, bad, *, pos_weight, label_smoothing, keep_mass=False, valid=None,
    share=None,
):  # fmt: skip
    """``(arrays, options, bad)`` of :data:`SIGMOID_ROWS` for labels ``t``: the smoothed labels
    and the positive weight, the options checked and ``bad`` widened by
    :func:`~mlcloss._lib.arguments.poison_options`. ``keep_mass`` smooths by each row's mass
    over its classes (those ``valid`` keeps), or by ``share`` (:math:`m / C`) where given."""
    scalar = {"backend": backend, "like": logits, "dtype": t.dtype}
    epsilon = check_number(label_smoothing, name="label_smoothing", low=0.0, high=1.0, **scalar)
    keep_mass = check_flag(keep_mass, name="keep_mass")
    bad = poison_options(xp, backend, bad, epsilon)
    if is_array(epsilon) or epsilon > 0:  # an array may hold any ε: the general form
        if not keep_mass:
            t = t * (1 - epsilon) + epsilon / 2
        elif share is None:
            t = keep_mass_smoothed(xp, t, epsilon, valid=valid)
        else:
            t = t * (1 - epsilon) + epsilon * share
    if pos_weight is not None:
        if is_scalar(pos_weight):
            pos_weight = check_number(pos_weight, name="pos_weight", **scalar)
            bad = poison_options(xp, backend, bad, pos_weight)
            if not is_array(pos_weight):
                pos_weight = xp.asarray(pos_weight, dtype=t.dtype, device=device(logits))
        else:
            pos_weight = weight_array(xp, pos_weight, name="pos_weight", like=logits, dtype=t.dtype)
    return {"t": t, "pos_weight": pos_weight}, {}, bad


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


SIGMOID_ROWS = elementwise_rows(_sigmoid_values, _sigmoid_gradient)


@declare(
    kind="elementwise",
    peers={
        "torch": "torch.nn.functional.binary_cross_entropy",
        "keras": "keras.losses.BinaryCrossentropy (probabilities; Keras clips them at 1e-7)",
    },
    cases=lambda ex: {
        "binary-ce": ex.case(ex.UNIT, ex.SOFT, expected=ex.oracles.binary_ce(ex.UNIT, ex.SOFT))
    },
    bench=lambda b: (b.probabilities, b.multi_hot_float, {}),
    timed_against={"torch": lambda m, x, t: m.F.binary_cross_entropy(x, t)},
)
def binary_cross_entropy(probs, labels, /, *, where=None, sample_weight=None, reduction="mean"):
    r"""Binary cross-entropy on probabilities, each log clamped at −100 like torch.

    .. math::

        L = -\bigl(t \max(\log q, -100) + (1 - t) \max(\operatorname{log1p}(-q), -100)\bigr)

    with :math:`q` the predicted probabilities (``probs``) and :math:`t` the
    labels (``labels``): the cross-entropy between the Bernoulli
    distributions :math:`t` and :math:`q`, elementwise.
    ``torch.nn.functional.binary_cross_entropy``: the clamp keeps
    :math:`q = 0` or :math:`1` finite (a confidently wrong element costs
    100, and the clamped log passes no gradient). The gradient is
    :math:`(1 - t)/(1 - q) - t/q`. Prefer :func:`sigmoid_cross_entropy`
    on logits when you have them: it is exact where probabilities have
    already rounded to 0 or 1.

    Parameters
    ----------
    probs : array, values in [0, 1]
        The predicted probabilities :math:`q` (for example a sigmoid's
        output), any shape, real floating; 16-bit inputs are computed in
        float32.
    labels : array, the shape of ``probs``, in [0, 1]
        The target probabilities :math:`t`: bool, integer 0/1 or floating.
    where : bool array broadcastable to ``probs``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``probs`` (0 where ``where`` is False); for ``"mean"`` and ``"sum"``
        a 0-d array. float32 for 16-bit or float32 probabilities, float64
        for float64 probabilities.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.binary_cross_entropy(np.array([0.0, 0.5, 1.0]), np.array([1.0, 1.0, 1.0]),
    ...                              reduction="none").round(4)
    array([100.    ,   0.6931,   0.    ])
    >>> mlcloss.binary_cross_entropy(np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.5]))
    np.float64(0.34735408159736963)
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
    return finish(
        xp,
        backend,
        _BCE_ROWS,
        probs,
        {"t": t},
        valid=valid,
        bad=bad,
        reduction=reduction,
        sample_weight=sample_weight,
    )


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


@declare(
    kind="elementwise",
    peers={
        "torchvision": "torchvision.ops.sigmoid_focal_loss",
        "optax": "optax.sigmoid_focal_loss",
        "keras": "keras.losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True)",
    },
    cases=lambda ex: {
        "sigmoid-focal": ex.case(
            ex.LOGITS,
            ex.SOFT,
            gamma=0.5,
            expected=ex.oracles.sigmoid_focal(ex.LOGITS, ex.SOFT, gamma=0.5),
        )
    },
    timed_against={"jax": lambda m, x, t: m.optax.sigmoid_focal_loss(x, t)},
)
def sigmoid_focal_loss(
    logits, labels, /, *, alpha=0.25, gamma=2.0, where=None, sample_weight=None, reduction="mean"
):
    r"""Sigmoid focal loss: cross-entropy down-weighted on easy elements.

    .. math::

        L = α_t\, (1 - p_t)^{γ}\, \mathrm{CE}(x, t),
        \quad p_t = t\, σ(x) + (1 - t)(1 - σ(x)),
        \quad α_t = α t + (1 - α)(1 - t)

    with :math:`x` the logits (``logits``), :math:`t` the labels
    (``labels``), :math:`α` = ``alpha``, :math:`γ` = ``gamma`` and
    :math:`\mathrm{CE}(x, t)` the sigmoid cross-entropy of
    :func:`sigmoid_cross_entropy`. :math:`p_t` is the probability the model
    gives the right answer, so the factor :math:`(1 - p_t)^γ` is near 0 on
    the easy, well-classified elements (the many background anchors of a
    detector) and near 1 on the hard ones, which then dominate the loss;
    :math:`γ = 0` and no :math:`α` give plain sigmoid cross-entropy.
    torchvision's and optax's ``sigmoid_focal_loss`` (``alpha < 0`` or
    ``None`` disables :math:`α_t`), with their reductions replaced by
    ``reduction``.

    Parameters
    ----------
    logits : array
        Real scores :math:`x`, no sigmoid applied, any shape; 16-bit logits
        are computed in float32.
    labels : array, the shape of ``logits``, in [0, 1]
        The targets :math:`t`: bool, integer 0/1 or floating (soft labels).
    alpha : float in [0, 1], negative or None
        :math:`α`, the weight of the positive term (:math:`1 - α` weighs the
        negative term); default 0.25 as in the paper. A negative value or
        None disables the weighting.
    gamma : float ≥ 0
        :math:`γ`, the focusing exponent (default 2); larger values
        down-weight easy elements more.
    where : bool array broadcastable to ``logits``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.
        torchvision's default is ``"none"``; the paper sums and divides by
        the number of positive anchors.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``logits`` (0 where ``where`` is False); for ``"mean"`` and ``"sum"``
        a 0-d array. float32 for 16-bit or float32 logits, float64 for
        float64 logits.

    Notes
    -----
    :math:`(1 - p_t)^γ` is evaluated as :math:`\exp(γ \log(1 - p_t))`, with
    :math:`\log(1 - p_t) = -\operatorname{softplus}(x)` for :math:`t = 1`
    (and its mirror for :math:`t = 0`), plus an exact correction for soft
    labels, so the gradient is finite even for :math:`γ < 1` at extreme
    logits, where :math:`(1 - p_t)` rounds to 0 and the power's derivative
    is infinite.

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object
    Detection", ICCV 2017, arXiv:1708.02002.

    Examples
    --------
    The confident right answer (logit 3, label 1) costs almost nothing, the
    uncertain one (logit 0) keeps most of its cross-entropy:

    >>> import numpy as np, mlcloss
    >>> x, t = np.array([3.0, 0.0, -1.0]), np.array([1, 1, 0])
    >>> mlcloss.sigmoid_cross_entropy(x, t, reduction="none").round(4).tolist()
    [0.0486, 0.6931, 0.3133]
    >>> mlcloss.sigmoid_focal_loss(x, t, alpha=None, reduction="none").round(4).tolist()
    [0.0001, 0.1733, 0.0227]
    >>> mlcloss.sigmoid_focal_loss(x, t, reduction="none").round(4).tolist()
    [0.0, 0.0433, 0.017]
    """
    backend, (logits, labels, where, alpha, gamma) = _LOGITS_LABELS_WHERE_ALPHA_GAMMA(
        logits, labels, where, alpha, gamma
    )
    xp = backend.xp
    t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    bad = check_unit_interval(xp, backend, t, valid, name="labels")
    arrays, options, bad = focal_inputs(xp, backend, logits, t, bad, alpha=alpha, gamma=gamma)
    return finish(
        xp,
        backend,
        FOCAL_ROWS,
        logits,
        arrays,
        options=options,
        valid=valid,
        bad=bad,
        reduction=reduction,
        sample_weight=sample_weight,
    )


def focal_inputs(xp, backend, logits, t, bad, *, alpha, gamma):
    """``(arrays, options, bad)`` of :data:`FOCAL_ROWS` for labels ``t``: the labels and their
    weight :math:`α_t`, γ, the options checked and ``bad`` widened."""
    scalar = {"backend": backend, "like": logits, "dtype": t.dtype}
    alpha = check_number(alpha, name="alpha", high=1.0, allow_none=True, **scalar)
    gamma = check_number(gamma, name="gamma", low=0.0, **scalar)
    bad = poison_options(xp, backend, bad, alpha, gamma)
    if is_array(alpha):  # alpha < 0 disables the weighting: decided per value
        weighted = alpha * t + (1 - alpha) * (1 - t)
        weight = xp.where(alpha < 0, xp.ones_like(weighted), weighted)
    else:
        weight = None if alpha is None or alpha < 0 else alpha * t + (1 - alpha) * (1 - t)
    return {"t": t, "weight": weight}, {"gamma": gamma}, bad


def _focal_values(xp, backend, x, t, weight, *, gamma):
    """α_t (1 − p_t)^γ CE; saves CE, the modulating factor and the log-slope of log(1 − p_t)."""
    x = _finite(xp, x)
    ce = _binary_cross_entropy(xp, backend, x, t, 1 - t)
    loss, saved = ce, ()
    if is_array(gamma) or gamma > 0:  # the focused form holds for γ = 0 too
        log_rest, log_slope = _log_one_minus_pt(xp, backend, x, t)
        modulating = xp.exp(gamma * log_rest)
        loss, saved = ce * modulating, (ce, modulating, log_slope)
    return (loss if weight is None else loss * weight), saved


def _focal_gradient(xp, backend, x, saved, g, t, weight, *, gamma):
    r"""∂L/∂x = α_t (1 − p_t)^γ (σ(x) − t + γ CE (1 − 2t) e^{λ}),
    with :math:`e^{λ} (1 - 2t) = ∂ \log(1 - p_t)/∂x` from :func:`_log_one_minus_pt`."""
    grad = backend.sigmoid(_finite(xp, x)) - t
    if is_array(gamma) or gamma > 0:
        ce, modulating, log_slope = saved
        grad = modulating * (grad + gamma * ce * (1 - 2 * t) * xp.exp(log_slope))
    if weight is not None:
        grad = grad * weight
    return grad * g


FOCAL_ROWS = elementwise_rows(_focal_values, _focal_gradient)


@declare(
    kind="elementwise",
    peers={"ASL": "AsymmetricLoss of Ridnik et al.'s reference code (sum; here a mean)"},
    cases=lambda ex: {
        "asymmetric": ex.case(
            ex.LOGITS,
            ex.HARD,
            gamma_pos=1.0,
            expected=ex.oracles.asymmetric(ex.LOGITS, ex.HARD, gamma_pos=1.0),
        )
    },
)
def asymmetric_loss(
    logits,
    labels,
    /,
    *,
    gamma_pos=0.0,
    gamma_neg=4.0,
    clip=0.05,
    where=None,
    sample_weight=None,
    reduction="mean",
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
    With :math:`γ_+ = γ_- = 0` and :math:`m = 0` it is
    :func:`sigmoid_cross_entropy`; with :math:`γ_+ = γ_-` and :math:`m = 0`
    it is :func:`sigmoid_focal_loss` with ``alpha=None`` (for 0/1 labels).

    Parameters
    ----------
    logits : array
        Real scores :math:`x`, no sigmoid applied, any shape (typically
        ``[batch, classes]``); 16-bit logits are computed in float32.
    labels : array, the shape of ``logits``, in [0, 1]
        The targets :math:`t`: bool, integer 0/1 (as in the paper) or
        floating (soft labels).
    gamma_pos : float ≥ 0
        :math:`γ_+`, the focusing exponent of the positive term (default 0:
        positives keep the full cross-entropy gradient).
    gamma_neg : float ≥ 0
        :math:`γ_-`, the focusing exponent of the negative term (default 4):
        the larger, the less the many easy negatives weigh.
    clip : float in [0, 1)
        :math:`m`, the probability margin of the negatives (0 disables it).
        A negative with :math:`p \le m` costs exactly 0 and passes no
        gradient: the very easy negatives are discarded outright (default
        0.05, the paper's value).
    where : bool array broadcastable to ``logits``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them (the
        authors' convention) and ``"mean"`` divides that sum by the number
        of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``logits`` (0 where ``where`` is False); for ``"mean"`` and ``"sum"``
        a 0-d array. float32 for 16-bit or float32 logits, float64 for
        float64 logits.

    Notes
    -----
    Every log is taken of a sigmoid in closed form:
    :math:`-\log p = \operatorname{softplus}(-x)`,
    :math:`(1 - p)^{γ_+} = e^{-γ_+ \operatorname{softplus}(x)}` and
    :math:`\log(1 - p_m) = \min(\operatorname{logaddexp}(-\operatorname{softplus}(x), \log m), 0)`.
    The reference implementation clamps :math:`p` at 1e-8 before the log;
    here no clamp is needed, so the two differ only for logits below
    about −18.

    References
    ----------
    Ridnik, Ben-Baruch, Zamir, Noy, Friedman, Protter & Zelnik-Manor,
    "Asymmetric Loss For Multi-Label Classification", ICCV 2021,
    arXiv:2009.14119.

    Examples
    --------
    Against plain sigmoid cross-entropy, the positives (labels 1) keep their
    loss, the easy negative at logit −1 is mostly forgiven and the one at −4
    (:math:`p < m`) is dropped:

    >>> import numpy as np, mlcloss
    >>> x, t = np.array([2.0, -1.0, -4.0, 0.5]), np.array([1, 0, 0, 1])
    >>> mlcloss.sigmoid_cross_entropy(x, t, reduction="none").round(4).tolist()
    [0.1269, 0.3133, 0.0181, 0.4741]
    >>> mlcloss.asymmetric_loss(x, t, reduction="none").round(4).tolist()
    [0.1269, 0.0006, 0.0, 0.4741]
    >>> round(float(mlcloss.asymmetric_loss(x, t, reduction="sum")), 4)
    0.6016
    """
    backend, (logits, labels, where, gamma_pos, gamma_neg, clip) = _LOGITS_LABELS_WHERE_ASL(
        logits, labels, where, gamma_pos, gamma_neg, clip
    )
    xp = backend.xp
    t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    bad = check_unit_interval(xp, backend, t, valid, name="labels")
    arrays, options, bad = asymmetric_inputs(
        xp, backend, logits, t, bad, gamma_pos=gamma_pos, gamma_neg=gamma_neg, clip=clip
    )
    return finish(
        xp,
        backend,
        ASL_ROWS,
        logits,
        arrays,
        options=options,
        valid=valid,
        bad=bad,
        reduction=reduction,
        sample_weight=sample_weight,
    )


def asymmetric_inputs(xp, backend, logits, t, bad, *, gamma_pos, gamma_neg, clip):
    """``(arrays, options, bad)`` of :data:`ASL_ROWS` for labels ``t``, the options checked."""
    scalar = {"backend": backend, "like": logits, "dtype": t.dtype}
    gamma_pos = check_number(gamma_pos, name="gamma_pos", low=0.0, **scalar)
    gamma_neg = check_number(gamma_neg, name="gamma_neg", low=0.0, **scalar)
    clip = check_number(clip, name="clip", low=0.0, high=math.nextafter(1.0, 0.0), **scalar)
    bad = poison_options(xp, backend, bad, gamma_pos, gamma_neg, clip)
    return {"t": t}, {"gamma_pos": gamma_pos, "gamma_neg": gamma_neg, "clip": clip}, bad


def _asl_values(xp, backend, x, t, **options):
    """The loss and, saved for the backward pass, its derivative: they share every term."""
    (positive, slope_pos), (negative, slope_neg) = _asl_terms(
        xp, backend, _finite(xp, x), **options
    )
    return t * positive + (1 - t) * negative, (t * slope_pos + (1 - t) * slope_neg,)


ASL_ROWS = elementwise_rows(_asl_values, saved_slope)


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
    if is_array(gamma_pos) or gamma_pos > 0:  # the focused form holds for γ = 0 too
        focus = xp.exp(-gamma_pos * neg_ce)
        positive, slope_pos = pos_ce * focus, focus * (slope_pos - gamma_pos * sig * pos_ce)
    if is_array(clip):  # m = 0 and m > 0 take different forms: both, chosen by value
        plain = _asl_unclipped(xp, pos_ce, neg_ce, sig, sig_neg, gamma_neg)
        on = clip > 0
        safe = xp.where(on, clip, xp.ones_like(clip))  # m = 1 keeps the unused form finite
        clipped = _asl_clipped(xp, x, neg_ce, sig, sig_neg, gamma_neg, safe)
        negative = tuple(xp.where(on, a, b) for a, b in zip(clipped, plain))
        return (positive, slope_pos), negative
    if clip == 0:
        return (positive, slope_pos), _asl_unclipped(xp, pos_ce, neg_ce, sig, sig_neg, gamma_neg)
    return (positive, slope_pos), _asl_clipped(xp, x, neg_ce, sig, sig_neg, gamma_neg, clip)


def _asl_unclipped(xp, pos_ce, neg_ce, sig, sig_neg, gamma_neg):
    """``(N, N')`` without the clip (see :func:`_asl_terms`)."""
    negative, slope_neg = neg_ce, sig
    if is_array(gamma_neg) or gamma_neg > 0:
        focus = xp.exp(-gamma_neg * pos_ce)
        negative, slope_neg = neg_ce * focus, focus * (sig + gamma_neg * sig_neg * neg_ce)
    return negative, slope_neg


def _asl_clipped(xp, x, neg_ce, sig, sig_neg, gamma_neg, clip):
    """``(N, N')`` with the clip :math:`m > 0` (see :func:`_asl_terms`)."""
    if is_array(clip):
        log_clip = xp.zeros_like(x) + xp.log(clip)
    else:
        log_clip = xp.full_like(x, math.log(clip))
    log_kept = xp.logaddexp(-neg_ce, log_clip)
    kept = log_kept < 0
    negative = -xp.where(kept, log_kept, 0.0)
    spread = sig * sig_neg
    slope_neg = xp.where(kept, spread * xp.exp(negative), 0.0)
    if is_array(gamma_neg) or gamma_neg > 0:
        shifted = sig - clip
        above = shifted > 0
        log_shifted = xp.log(xp.where(above, shifted, 1.0))
        focus = xp.where(above, xp.exp(gamma_neg * log_shifted), 0.0)
        focus_slope = gamma_neg * xp.exp((gamma_neg - 1) * log_shifted) * spread
        if is_array(gamma_neg):  # γ = 0: no focus slope (not 0 · (σ − m)^{−1}, which overflows)
            focus_slope = xp.where(gamma_neg > 0, focus_slope, 0.0)
        slope_neg = slope_neg * focus + negative * xp.where(above, focus_slope, 0.0)
        negative = negative * focus
    return negative, slope_neg


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
