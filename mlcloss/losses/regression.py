r"""Regression losses: squared, absolute and Huber error, elementwise.

Each compares predictions :math:`\hat y` with targets :math:`y` of the same
shape through the difference :math:`d = \hat y - y`; the value pass saves
the slope :math:`∂L/∂\hat y`, which is the whole closed-form gradient.

References
----------
Huber, "Robust Estimation of a Location Parameter", Annals of Mathematical
Statistics 35(1), 1964.
"""

from __future__ import annotations

import math

from .._lib.arguments import check_number, is_array, poison_options
from .._lib.elementwise import elementwise_rows, finish, prepare, saved_slope
from .._lib.registry import declare
from ..backends import Inputs

__all__ = [
    "absolute_error",
    "absolute_percentage_error",
    "huber_loss",
    "log_cosh_loss",
    "smooth_l1_loss",
    "squared_error",
    "squared_log_error",
]

_INPUTS = Inputs("predictions", "targets", optional=("where",))


def _regression(
    rows,
    predictions,
    targets,
    where,
    reduction,
    *,
    sample_weight,
    inputs=_INPUTS,
    option=None,
    bounds=None,
):
    """The reduced elementwise ``rows`` of a regression loss. ``option``: ``(name, value)`` of
    its one hyper-parameter (read by ``inputs``), checked by ``check_number`` with ``bounds``."""
    given = () if option is None else (option[1],)
    backend, (predictions, targets, where, *values) = inputs(predictions, targets, where, *given)
    xp = backend.xp
    y, valid = prepare(
        xp, predictions, targets, where, reduction, name="predictions", label_name="targets"
    )
    options, bad = {}, None
    if option is not None:
        name = option[0]
        value = check_number(values[0], name=name, backend=backend, like=y, dtype=y.dtype, **bounds)
        options, bad = {name: value}, poison_options(xp, backend, None, value)
    return finish(
        xp,
        backend,
        rows,
        predictions,
        {"y": y},
        options=options,
        valid=valid,
        bad=bad,
        reduction=reduction,
        sample_weight=sample_weight,
    )


@declare(
    kind="elementwise",
    peers={
        "torch": "torch.nn.functional.mse_loss",
        "keras": "keras.losses.MeanSquaredError",
        "optax": "optax.squared_error (2 * optax.l2_loss)",
    },
    cases=lambda ex: {
        "squared-error": ex.case(
            ex.LOGITS,
            ex.SOFT,
            where=ex.WHERE,
            expected=ex.kept((ex.LOGITS - ex.SOFT) ** 2, ex.WHERE),
        )
    },
    bench=lambda b: (b.logits, b.targets, {}),
    timed_against={
        "torch": lambda m, x, t: m.F.mse_loss(x, t),
        "jax": lambda m, x, t: m.optax.squared_error(x, t),
        "tensorflow": lambda m, x, t: m.tf.square(x - t),
    },
)
def squared_error(predictions, targets, /, *, where=None, sample_weight=None, reduction="mean"):
    r"""Squared error :math:`(\hat y - y)^2`, elementwise.

    With predictions :math:`\hat y` (``predictions``) and targets :math:`y`
    (``targets``), each element's loss is

    .. math::

        L = (\hat y - y)^2, \qquad \frac{∂L}{∂\hat y} = 2 (\hat y - y).

    ``"mean"`` is ``torch.nn.functional.mse_loss`` (and Keras's
    ``MeanSquaredError`` for rows of equal length). ``targets`` must have
    the shape of ``predictions``: torch broadcasts ``[N]`` against
    ``[N, 1]`` into ``[N, N]`` with only a warning; here it is an error.

    Parameters
    ----------
    predictions : array
        The predictions :math:`\hat y`, any shape, real floating (16-bit
        inputs are computed in float32).
    targets : array, the shape of ``predictions``
        The targets :math:`y`: floating, integer or bool, cast to the
        predictions' compute dtype.
    where : bool array broadcastable to ``predictions``, optional
        False removes an element from the sum and from the mean's count (its
        prediction is never read, so a NaN there does no harm).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``predictions`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 predictions,
        float64 for float64 predictions.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> predictions, targets = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0])
    >>> mlcloss.squared_error(predictions, targets)
    np.float64(1.6666666666666667)
    >>> mlcloss.squared_error(predictions, targets, reduction="none")
    array([0., 1., 4.])
    >>> mlcloss.squared_error(predictions, targets, where=np.array([True, True, False]))
    np.float64(0.5)
    """
    return _regression(_ROWS, predictions, targets, where, reduction, sample_weight=sample_weight)


def _values(xp, backend, x, y):
    """(ŷ − y)², and its slope ∂L/∂ŷ = 2 (ŷ − y)."""
    difference = x - y
    return difference * difference, (2 * difference,)


_ROWS = elementwise_rows(_values, saved_slope)


@declare(
    kind="elementwise",
    peers={
        "torch": "torch.nn.functional.l1_loss",
        "keras": "keras.losses.MeanAbsoluteError",
    },
    cases=lambda ex: {
        "absolute-error": ex.case(
            ex.LOGITS,
            ex.SOFT,
            where=ex.WHERE,
            expected=ex.kept(ex.np.abs(ex.LOGITS - ex.SOFT), ex.WHERE),
        )
    },
    bench=lambda b: (b.logits, b.targets, {}),
    timed_against={"torch": lambda m, x, t: m.F.l1_loss(x, t)},
)
def absolute_error(predictions, targets, /, *, where=None, sample_weight=None, reduction="mean"):
    r"""Absolute error :math:`|\hat y - y|`, elementwise (the L1 loss).

    With predictions :math:`\hat y` (``predictions``) and targets :math:`y`
    (``targets``), each element's loss and slope are

    .. math::

        L = |\hat y - y|, \qquad \frac{∂L}{∂\hat y} = \operatorname{sign}(\hat y - y),

    with slope 0 where the two are equal (torch's subgradient). ``"mean"``
    is ``torch.nn.functional.l1_loss`` and, for rows of equal length,
    Keras's ``MeanAbsoluteError`` (whose class form, :mod:`mlcloss.keras`'s
    ``AbsoluteError``, averages each row first as Keras does).

    Parameters
    ----------
    predictions : array
        The predictions :math:`\hat y`, any shape, real floating (16-bit
        inputs are computed in float32).
    targets : array, the shape of ``predictions``
        The targets :math:`y`: floating, integer or bool, cast to the
        predictions' compute dtype.
    where : bool array broadcastable to ``predictions``, optional
        False removes an element from the sum and from the mean's count (its
        prediction is never read, so a NaN there does no harm).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``predictions`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 predictions,
        float64 for float64 predictions.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> predictions, targets = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0])
    >>> mlcloss.absolute_error(predictions, targets)
    np.float64(1.0)
    >>> mlcloss.absolute_error(predictions, targets, reduction="none")
    array([0., 1., 2.])
    """
    return _regression(
        _ABSOLUTE_ROWS, predictions, targets, where, reduction, sample_weight=sample_weight
    )


def _absolute_values(xp, backend, x, y):
    """|ŷ − y|, and its slope sign(ŷ − y) (0 at equality)."""
    difference = x - y
    return xp.abs(difference), (xp.sign(difference),)


_ABSOLUTE_ROWS = elementwise_rows(_absolute_values, saved_slope)


@declare(
    kind="elementwise",
    peers={
        "torch": "torch.nn.functional.huber_loss(delta=δ)",
        "keras": "keras.losses.Huber(delta=δ)",
        "optax": "optax.huber_loss(predictions, targets, delta=δ)",
    },
    cases=lambda ex: {
        "huber": ex.case(
            ex.LOGITS,
            ex.SOFT,
            where=ex.WHERE,
            delta=0.7,
            expected=ex.kept(ex.oracles.huber(ex.LOGITS, ex.SOFT, delta=0.7), ex.WHERE),
        )
    },
    bench=lambda b: (b.logits, b.targets, {}),
    timed_against={
        "torch": lambda m, x, t: m.F.huber_loss(x, t),
        "jax": lambda m, x, t: m.optax.huber_loss(x, t),
    },
)
def huber_loss(
    predictions, targets, /, *, delta=1.0, where=None, sample_weight=None, reduction="mean"
):
    r"""Huber loss: quadratic for small errors, linear beyond ``delta``, elementwise.

    With :math:`d = \hat y - y` (``predictions`` minus ``targets``) and
    :math:`δ` = ``delta``,

    .. math::

        L = \begin{cases} \tfrac12 d^2 & |d| \le δ \\
                           δ\,(|d| - \tfrac12 δ) & |d| > δ \end{cases},
        \qquad \frac{∂L}{∂\hat y} = \operatorname{clip}(d, -δ, δ),

    the squared error's pull near the target and the absolute error's
    robustness to outliers (Huber, 1964). ``"mean"`` is
    ``torch.nn.functional.huber_loss``; ``reduction="none"`` is optax's
    ``huber_loss``; Keras's ``Huber`` is the mean for rows of equal length
    (its class form averages each row first). :math:`δ \le 0` is refused:
    torch raises on it, and the formula would not be a loss.

    Parameters
    ----------
    predictions : array
        The predictions :math:`\hat y`, any shape, real floating (16-bit
        inputs are computed in float32).
    targets : array, the shape of ``predictions``
        The targets :math:`y`: floating, integer or bool, cast to the
        predictions' compute dtype.
    delta : float > 0 or 0-d array
        :math:`δ`, where the quadratic part meets the linear one (a 0-d
        array may be traced, under ``jax.jit`` for instance).
    where : bool array broadcastable to ``predictions``, optional
        False removes an element from the sum and from the mean's count (its
        prediction is never read, so a NaN there does no harm).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``predictions`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 predictions,
        float64 for float64 predictions.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> predictions, targets = np.array([1.0, 2.5, 4.0]), np.array([1.0, 3.0, 1.0])
    >>> mlcloss.huber_loss(predictions, targets, reduction="none")
    array([0.   , 0.125, 2.5  ])
    >>> mlcloss.huber_loss(predictions, targets, delta=2.0, reduction="none")
    array([0.   , 0.125, 4.   ])
    """
    return _regression(
        _HUBER_ROWS,
        predictions,
        targets,
        where,
        reduction,
        inputs=_HUBER,
        option=("delta", delta),
        bounds={"low": 0.0, "low_open": True},
        sample_weight=sample_weight,
    )


_HUBER = Inputs("predictions", "targets", optional=("where", "delta"))


def _huber_values(xp, backend, x, y, *, delta):
    """½ c² + δ (|d| − |c|) with c = clip(d, −δ, δ), and the slope c.

    Inside δ this is ½ d², outside ½ δ² + δ (|d| − δ) = δ (|d| − ½ δ): the two branches
    without an elementwise ``where`` (torch's CPU ``where`` costs eight multiplications).
    """
    difference = x - y
    clipped = xp.clip(difference, min=-delta, max=delta)
    loss = 0.5 * (clipped * clipped) + delta * (xp.abs(difference) - xp.abs(clipped))
    return loss, (clipped,)


_HUBER_ROWS = elementwise_rows(_huber_values, saved_slope)


@declare(
    kind="elementwise",
    peers={"torch": "torch.nn.functional.smooth_l1_loss(beta=β)"},
    cases=lambda ex: {
        "smooth-l1": ex.case(
            ex.LOGITS,
            ex.SOFT,
            where=ex.WHERE,
            beta=0.8,
            expected=ex.kept(
                ex.np.where(
                    abs(ex.LOGITS - ex.SOFT) < 0.8,
                    0.5 * (ex.LOGITS - ex.SOFT) ** 2 / 0.8,
                    abs(ex.LOGITS - ex.SOFT) - 0.4,
                ),
                ex.WHERE,
            ),
        )
    },
    bench=lambda b: (b.logits, b.targets, {}),
    timed_against={"torch": lambda m, x, t: m.F.smooth_l1_loss(x, t)},
)
def smooth_l1_loss(
    predictions, targets, /, *, beta=1.0, where=None, sample_weight=None, reduction="mean"
):
    r"""Smooth L1 loss: quadratic within ``beta`` of the target, the absolute error beyond.

    With :math:`d = \hat y - y` (``predictions`` minus ``targets``) and
    :math:`β` = ``beta``,

    .. math::

        L = \begin{cases} \tfrac12 d^2 / β & |d| < β \\
                           |d| - \tfrac12 β & |d| \ge β \end{cases},
        \qquad \frac{∂L}{∂\hat y} = \operatorname{clip}(d / β, -1, 1),

    ``torch.nn.functional.smooth_l1_loss`` (Girshick, Fast R-CNN, 2015). It
    is :func:`huber_loss` divided by :math:`β`; :math:`β = 0` is
    :func:`absolute_error`, as in torch.

    Parameters
    ----------
    predictions : array
        The predictions :math:`\hat y`, any shape, real floating (16-bit
        inputs are computed in float32).
    targets : array, the shape of ``predictions``
        The targets :math:`y`: floating, integer or bool, cast to the
        predictions' compute dtype.
    beta : float >= 0 or 0-d array
        :math:`β`, the width of the quadratic zone (a 0-d array may be
        traced, under ``jax.jit`` for instance); negative values are refused,
        as by torch.
    where : bool array broadcastable to ``predictions``, optional
        False removes an element from the sum and from the mean's count (its
        prediction is never read, so a NaN there does no harm).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``predictions`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 predictions,
        float64 for float64 predictions.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> predictions, targets = np.array([1.0, 2.5, 4.0]), np.array([1.0, 3.0, 1.0])
    >>> mlcloss.smooth_l1_loss(predictions, targets, reduction="none")
    array([0.   , 0.125, 2.5  ])
    >>> mlcloss.smooth_l1_loss(predictions, targets, beta=2.0, reduction="none")
    array([0.    , 0.0625, 2.    ])
    """
    return _regression(
        _SMOOTH_L1_ROWS,
        predictions,
        targets,
        where,
        reduction,
        inputs=_SMOOTH_L1,
        option=("beta", beta),
        bounds={"low": 0.0},
        sample_weight=sample_weight,
    )


_SMOOTH_L1 = Inputs("predictions", "targets", optional=("where", "beta"))


def _smooth_l1_values(xp, backend, x, y, *, beta):
    """½ c²/β + |d| − |c| with c = clip(d, −β, β), and the slope c/β (sign(d) for β = 0).

    Inside β this is ½ d²/β, outside ½ β + |d| − β = |d| − ½ β, and at β = 0 (c = 0) it is
    |d|: no elementwise ``where``. The divisor is 1 at β = 0, where c is 0.
    """
    difference = x - y
    size = xp.abs(difference)
    clipped = xp.clip(difference, min=-beta, max=beta)
    if is_array(beta):
        width = xp.where(beta > 0, beta, xp.ones_like(beta))
        # β = 0 (width 1, c = 0): the slope is sign(d); otherwise c/β
        slope = clipped / width + xp.sign(difference) * (1 - beta / width)
    elif beta > 0:
        width, slope = beta, clipped / beta
    else:
        width, slope = 1.0, xp.sign(difference)
    loss = 0.5 * (clipped * clipped) / width + (size - xp.abs(clipped))
    return loss, (slope,)


_SMOOTH_L1_ROWS = elementwise_rows(_smooth_l1_values, saved_slope)


@declare(
    kind="elementwise",
    peers={
        "keras": "keras.losses.LogCosh",
        "optax": "optax.log_cosh(predictions, targets)",
    },
    cases=lambda ex: {
        "log-cosh": ex.case(
            ex.LOGITS,
            ex.SOFT,
            where=ex.WHERE,
            expected=ex.kept(ex.np.log(ex.np.cosh(ex.LOGITS - ex.SOFT)), ex.WHERE),
        )
    },
    bench=lambda b: (b.logits, b.targets, {}),
    timed_against={"jax": lambda m, x, t: m.optax.log_cosh(x, t)},
)
def log_cosh_loss(predictions, targets, /, *, where=None, sample_weight=None, reduction="mean"):
    r"""Log-cosh loss :math:`\log\cosh(\hat y - y)`, elementwise, exact up to the float maximum.

    With :math:`d = \hat y - y` (``predictions`` minus ``targets``) it is
    computed as

    .. math::

        L = |d| + \operatorname{log1p}(e^{-2|d|}) - \log 2 \;(|d| ≥ 1), \qquad
        L = \operatorname{log1p}(2 \sinh^2(d/2)) \;(|d| < 1), \qquad
        \frac{∂L}{∂\hat y} = \tanh d,

    which never forms :math:`\cosh d` (it overflows beyond :math:`|d| ≈ 710`
    in float64, 89 in float32), and near the target never subtracts: the loss
    is about :math:`d^2/2` there, to full relative precision, and
    :math:`|d| - \log 2` far from it. The same numbers as
    ``optax.log_cosh`` and, for rows of equal length, Keras's ``LogCosh``;
    Keras's ``d + softplus(-2d)`` overflows for :math:`d` below
    :math:`-\tfrac12` of the float maximum, where this stays exact.

    Parameters
    ----------
    predictions : array
        The predictions :math:`\hat y`, any shape, real floating (16-bit
        inputs are computed in float32).
    targets : array, the shape of ``predictions``
        The targets :math:`y`: floating, integer or bool, cast to the
        predictions' compute dtype.
    where : bool array broadcastable to ``predictions``, optional
        False removes an element from the sum and from the mean's count (its
        prediction is never read, so a NaN there does no harm).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``predictions`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 predictions,
        float64 for float64 predictions.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> predictions, targets = np.array([0.0, 1.0, 30.0]), np.array([0.0, 0.0, 0.0])
    >>> mlcloss.log_cosh_loss(predictions, targets, reduction="none").round(4)
    array([ 0.    ,  0.4338, 29.3069])

    Far beyond where :math:`\cosh` overflows, the loss is :math:`|d| - \log 2`:

    >>> float(mlcloss.log_cosh_loss(np.array([-1e308]), np.array([0.0])))
    1e+308
    """
    return _regression(
        _LOG_COSH_ROWS, predictions, targets, where, reduction, sample_weight=sample_weight
    )


def _log_cosh_values(xp, backend, x, y):
    """log cosh d, and its slope tanh(d).

    For |d| ≥ 1, |d| + log1p(e²) − log 2 with e = exp(−|d|) ≤ 1 (so −2|d| is never formed,
    nor overflows). Nearer the target, where that sum of terms ~0.7 would cancel down to
    ~d²/2, log1p(2 sinh²(d/2)): cosh d − 1 without the subtraction. A double ``where`` keeps
    sinh from overflowing in the branch not taken.
    """
    difference = x - y
    size = xp.abs(difference)
    near = size < 1.0
    half = xp.where(near, difference, 0.0) / 2
    sinh_half = xp.sinh(half)
    decay = xp.exp(-size)
    far = size + xp.log1p(decay * decay) - math.log(2.0)
    loss = xp.where(near, xp.log1p(2 * sinh_half * sinh_half), far)
    return loss, (xp.tanh(difference),)


_LOG_COSH_ROWS = elementwise_rows(_log_cosh_values, saved_slope)

_EPSILON = 1e-7  # Keras's backend.epsilon(), the floor of both Keras losses below


@declare(
    kind="elementwise",
    peers={"keras": "keras.losses.MeanAbsolutePercentageError"},
    cases=lambda ex: {
        "absolute-percentage": ex.case(
            ex.LOGITS,
            ex.UNIT,
            where=ex.WHERE,
            expected=ex.kept(100 * abs(ex.LOGITS - ex.UNIT) / ex.UNIT, ex.WHERE),
        )
    },
    bench=lambda b: (b.logits, b.targets, {}),
)
def absolute_percentage_error(
    predictions, targets, /, *, where=None, sample_weight=None, reduction="mean"
):
    r"""Absolute percentage error :math:`100\,|\hat y - y| / \max(|y|, ε)`, elementwise.

    With predictions :math:`\hat y` (``predictions``), targets :math:`y`
    (``targets``) and :math:`ε = 10^{-7}` (Keras's ``backend.epsilon()``,
    which keeps a zero target finite),

    .. math::

        L = 100\, \frac{|\hat y - y|}{\max(|y|, ε)}, \qquad
        \frac{∂L}{∂\hat y} = \frac{100 \operatorname{sign}(\hat y - y)}{\max(|y|, ε)},

    Keras's ``MeanAbsolutePercentageError`` for rows of equal length.

    Parameters
    ----------
    predictions : array
        The predictions :math:`\hat y`, any shape, real floating (16-bit
        inputs are computed in float32).
    targets : array, the shape of ``predictions``
        The targets :math:`y`: floating, integer or bool, cast to the
        predictions' compute dtype.
    where : bool array broadcastable to ``predictions``, optional
        False removes an element from the sum and from the mean's count (its
        prediction is never read, so a NaN there does no harm).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, in percent, the
        shape of ``predictions`` (0 where ``where`` is False); for
        ``"mean"`` and ``"sum"`` a 0-d array. float32 for 16-bit or float32
        predictions, float64 for float64 predictions.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> predictions, targets = np.array([1.1, 1.5, 3.0]), np.array([1.0, 2.0, 3.0])
    >>> mlcloss.absolute_percentage_error(predictions, targets, reduction="none").round(4)
    array([10., 25.,  0.])
    """
    return _regression(
        _PERCENTAGE_ROWS, predictions, targets, where, reduction, sample_weight=sample_weight
    )


def _percentage_values(xp, backend, x, y):
    """100 |d| / max(|y|, ε), and its slope 100 sign(d) / max(|y|, ε)."""
    size = xp.abs(y)
    scale = 100.0 / xp.where(size > _EPSILON, size, _EPSILON)  # max(|y|, ε), traceable
    difference = x - y
    return xp.abs(difference) * scale, (xp.sign(difference) * scale,)


_PERCENTAGE_ROWS = elementwise_rows(_percentage_values, saved_slope)


@declare(
    kind="elementwise",
    peers={"keras": "keras.losses.MeanSquaredLogarithmicError"},
    cases=lambda ex: {
        "squared-log": ex.case(
            ex.UNIT * 3,
            ex.UNIT,
            where=ex.WHERE,
            expected=ex.kept((ex.np.log1p(ex.UNIT * 3) - ex.np.log1p(ex.UNIT)) ** 2, ex.WHERE),
        )
    },
    bench=lambda b: (b.probs, b.targets, {}),
)
def squared_log_error(predictions, targets, /, *, where=None, sample_weight=None, reduction="mean"):
    r"""Squared logarithmic error :math:`(\log(1 + \hat y) - \log(1 + y))^2`, elementwise.

    With predictions :math:`\hat y` (``predictions``) and targets :math:`y`
    (``targets``) each floored at :math:`ε = 10^{-7}` (Keras's
    ``backend.epsilon()``), :math:`a = \operatorname{log1p}(\max(\hat y, ε))`
    and :math:`b = \operatorname{log1p}(\max(y, ε))`,

    .. math::

        L = (a - b)^2, \qquad
        \frac{∂L}{∂\hat y} = \frac{2 (a - b)}{1 + \hat y} \text{ where } \hat y > ε
        \text{ (0 below the floor)},

    Keras's ``MeanSquaredLogarithmicError`` for rows of equal length: it
    scores relative error, so suits targets spanning orders of magnitude.
    ``log1p`` keeps small values exact where Keras's ``log(x + 1)`` rounds.

    Parameters
    ----------
    predictions : array
        The predictions :math:`\hat y`, any shape, real floating (16-bit
        inputs are computed in float32); values below :math:`ε` count as
        :math:`ε`.
    targets : array, the shape of ``predictions``
        The targets :math:`y`: floating, integer or bool, cast to the
        predictions' compute dtype; floored at :math:`ε` likewise.
    where : bool array broadcastable to ``predictions``, optional
        False removes an element from the sum and from the mean's count (its
        prediction is never read, so a NaN there does no harm).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``predictions`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 predictions,
        float64 for float64 predictions.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> predictions, targets = np.array([0.0, np.e - 1, 99.0]), np.array([0.0, 0.0, 9.0])
    >>> mlcloss.squared_log_error(predictions, targets, reduction="none").round(4)
    array([0.    , 1.    , 5.3019])
    """
    return _regression(
        _SQUARED_LOG_ROWS, predictions, targets, where, reduction, sample_weight=sample_weight
    )


def _squared_log_values(xp, backend, x, y):
    """(log1p(max(ŷ, ε)) − log1p(max(y, ε)))², and its slope (0 where ŷ is floored)."""
    above = x > _EPSILON
    floored = xp.where(above, x, _EPSILON)  # max(ŷ, ε), traceable
    difference = xp.log1p(floored) - xp.log1p(xp.where(y > _EPSILON, y, _EPSILON))
    slope = xp.where(above, 2 * difference / (1 + floored), 0.0)
    return difference * difference, (slope,)


_SQUARED_LOG_ROWS = elementwise_rows(_squared_log_values, saved_slope)
