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

from .._lib.arguments import check_number, is_array, poison_options
from .._lib.elementwise import elementwise_rows, finish, prepare, saved_slope
from .._lib.registry import declare
from ..backends import Inputs

__all__ = ["absolute_error", "huber_loss", "squared_error"]

_PREDICTIONS_TARGETS_WHERE = Inputs("predictions", "targets", optional=("where",))


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
def squared_error(predictions, targets, /, *, where=None, reduction="mean"):
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
    backend, (predictions, targets, where) = _PREDICTIONS_TARGETS_WHERE(predictions, targets, where)
    xp = backend.xp
    y, valid = prepare(
        xp, predictions, targets, where, reduction, name="predictions", label_name="targets"
    )
    return finish(
        xp, backend, _ROWS, predictions, {"y": y}, valid=valid, bad=None, reduction=reduction
    )


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
def absolute_error(predictions, targets, /, *, where=None, reduction="mean"):
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
    backend, (predictions, targets, where) = _PREDICTIONS_TARGETS_WHERE(predictions, targets, where)
    xp = backend.xp
    y, valid = prepare(
        xp, predictions, targets, where, reduction, name="predictions", label_name="targets"
    )
    return finish(
        xp,
        backend,
        _ABSOLUTE_ROWS,
        predictions,
        {"y": y},
        valid=valid,
        bad=None,
        reduction=reduction,
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
def huber_loss(predictions, targets, /, *, delta=1.0, where=None, reduction="mean"):
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
    backend, (predictions, targets, where, delta) = _HUBER(predictions, targets, where, delta)
    xp = backend.xp
    y, valid = prepare(
        xp, predictions, targets, where, reduction, name="predictions", label_name="targets"
    )
    delta = check_number(delta, name="delta", low=0.0, backend=backend, like=y, dtype=y.dtype)
    if not is_array(delta) and delta == 0.0:
        raise ValueError("mlcloss: delta must be > 0, received 0.0")
    bad = poison_options(xp, backend, None, delta)
    return finish(
        xp,
        backend,
        _HUBER_ROWS,
        predictions,
        {"y": y},
        options={"delta": delta},
        valid=valid,
        bad=bad,
        reduction=reduction,
    )


_HUBER = Inputs("predictions", "targets", optional=("where", "delta"))


def _huber_values(xp, backend, x, y, *, delta):
    """½ d² inside δ, δ (|d| − ½ δ) outside, and the slope clip(d, −δ, δ)."""
    difference = x - y
    size = xp.abs(difference)
    inside = size <= delta
    loss = xp.where(inside, 0.5 * difference * difference, delta * (size - 0.5 * delta))
    return loss, (xp.where(inside, difference, delta * xp.sign(difference)),)


_HUBER_ROWS = elementwise_rows(_huber_values, saved_slope)
