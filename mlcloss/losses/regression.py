r"""Regression losses."""

from __future__ import annotations

from .._lib.elementwise import elementwise_rows, finish, prepare, saved_slope
from ..backends import Inputs

__all__ = ["squared_error"]

_PREDICTIONS_TARGETS_WHERE = Inputs("predictions", "targets", optional=("where",))


def squared_error(predictions, targets, /, *, where=None, reduction="mean"):
    r"""Squared error :math:`(\hat y - y)^2`, elementwise.

    ``"mean"`` is ``torch.nn.functional.mse_loss`` (and Keras's
    ``MeanSquaredError`` for rows of equal length). ``targets`` must have
    the shape of ``predictions``: torch broadcasts ``[N]`` against
    ``[N, 1]`` into ``[N, N]`` with only a warning; here it is an error.

    Parameters
    ----------
    predictions : array
    targets : array, the shape of ``predictions``
    where : bool array broadcastable to ``predictions``, optional
    reduction : {"mean", "sum", "none"}

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.squared_error(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0]))
    np.float64(1.6666666666666667)
    """
    backend, (predictions, targets, where) = _PREDICTIONS_TARGETS_WHERE(predictions, targets, where)
    xp = backend.xp
    y, valid = prepare(
        xp, predictions, targets, where, reduction, name="predictions", label_name="targets"
    )
    return finish(xp, backend, _ROWS, predictions, y, valid=valid, bad=None, reduction=reduction)


def _values(xp, backend, x, y):
    """(ŷ − y)², and its slope ∂L/∂ŷ = 2 (ŷ − y)."""
    difference = x - y
    return difference * difference, (2 * difference,)


_ROWS = elementwise_rows(_values, saved_slope)
