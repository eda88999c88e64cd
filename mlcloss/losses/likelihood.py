r"""Negative log-likelihoods of real and count targets: Poisson and Gaussian, elementwise.

Each scores targets :math:`y` under a distribution whose parameters are the
predictions: the Poisson rate (or its logarithm) for counts, the Gaussian
mean and variance for real values. Both are the torch functions of the same
name, number for number; Keras's ``Poisson`` and TensorFlow's
``log_poisson_loss`` are options of the Poisson one.

References
----------
Nix & Weigend, "Estimating the Mean and Variance of the Target Probability
Distribution", IEEE ICNN 1994 (the Gaussian NLL with a learned variance).
"""

from __future__ import annotations

import math
import numbers

from .._lib.arguments import check_flag, check_number, poison_options
from .._lib.dtypes import cast
from .._lib.elementwise import check_within, elementwise_rows, finish, prepare, saved_slope
from .._lib.gradients import AUTOGRAD
from .._lib.registry import declare
from ..backends import Inputs

__all__ = ["gaussian_nll_loss", "poisson_nll_loss"]

_POISSON = Inputs("predictions", "targets", optional=("where", "eps"))


@declare(
    kind="elementwise",
    peers={
        "torch": "torch.nn.functional.poisson_nll_loss",
        "keras": "keras.losses.Poisson (log_input=False, eps=1e-7)",
        "tensorflow": "tf.nn.log_poisson_loss (compute_full_loss=full)",
    },
    cases=lambda ex: {
        "poisson-log": ex.case(
            ex.LOGITS / 2,
            ex.COUNTS,
            where=ex.WHERE,
            full=True,
            expected=ex.kept(ex.oracles.poisson_nll(ex.LOGITS / 2, ex.COUNTS, full=True), ex.WHERE),
        ),
        "poisson-rate": ex.case(
            ex.UNIT * 3,
            ex.COUNTS,
            log_input=False,
            expected=ex.oracles.poisson_nll(ex.UNIT * 3, ex.COUNTS, log_input=False),
        ),
    },
    bench=lambda b: (b.logits, b.counts, {}),
    timed_against={
        "torch": lambda m, x, t: m.F.poisson_nll_loss(x, t),
        "tensorflow": lambda m, x, t: m.tf.nn.log_poisson_loss(t, x),
    },
)
def poisson_nll_loss(
    predictions,
    targets,
    /,
    *,
    log_input=True,
    full=False,
    eps=1e-8,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Poisson negative log-likelihood of count ``targets`` under the rate ``predictions``.

    With targets :math:`y` (``targets``) and the Poisson rate :math:`λ`, the
    negative log-likelihood :math:`λ - y \log λ + \log y!` is, up to the
    constant :math:`\log y!`,

    .. math::

        L = e^{x} - y\,x, \qquad \frac{∂L}{∂x} = e^{x} - y

    for ``log_input=True`` (``predictions`` are :math:`x = \log λ`, the
    stable choice), and for ``log_input=False`` (``predictions`` are
    :math:`λ \ge 0` itself, :math:`ε` = ``eps`` keeping :math:`\log 0` finite)

    .. math::

        L = λ - y \log(λ + ε), \qquad \frac{∂L}{∂λ} = 1 - \frac{y}{λ + ε}.

    ``full=True`` adds Stirling's approximation of :math:`\log y!`,
    :math:`y \log y - y + \tfrac12 \log(2π y)`, for targets above 1 (0 for
    :math:`y \le 1`, as torch and TensorFlow). The same numbers as
    ``torch.nn.functional.poisson_nll_loss``; ``tf.nn.log_poisson_loss`` is
    ``reduction="none"`` (its ``compute_full_loss`` is ``full``); Keras's
    ``Poisson`` is ``log_input=False, eps=1e-7`` for rows of equal length.
    A negative rate is a value error (torch returns NaN): it raises for
    concrete inputs and makes its entries NaN under tracing.

    Parameters
    ----------
    predictions : array
        :math:`\log λ` (``log_input=True``) or :math:`λ \ge 0`
        (``log_input=False``), any shape, real floating (16-bit inputs are
        computed in float32).
    targets : array, the shape of ``predictions``
        The observed counts :math:`y \ge 0` (floating, integer or bool), cast
        to the predictions' compute dtype.
    log_input : bool
        Whether ``predictions`` hold the log-rate (default) or the rate.
    full : bool
        Whether to add the Stirling term, which makes the loss the full
        negative log-likelihood (it does not depend on ``predictions``, so it
        changes no gradient).
    eps : float >= 0 or 0-d array
        :math:`ε`, added to the rate inside the logarithm for
        ``log_input=False`` (unused otherwise); a 0-d array may be traced.
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
    >>> log_rate, counts = np.log(np.array([1.0, 2.0, 4.0])), np.array([0.0, 2.0, 5.0])
    >>> mlcloss.poisson_nll_loss(log_rate, counts, reduction="none").round(4)
    array([ 1.    ,  0.6137, -2.9315])
    >>> mlcloss.poisson_nll_loss(np.exp(log_rate), counts, log_input=False, reduction="none").round(4)
    array([ 1.    ,  0.6137, -2.9315])
    >>> mlcloss.poisson_nll_loss(log_rate, counts, full=True, reduction="none").round(4)
    array([1.    , 1.2655, 1.8394])
    """
    backend, (predictions, targets, where, eps) = _POISSON(predictions, targets, where, eps)
    xp = backend.xp
    log_input = check_flag(log_input, name="log_input")
    full = check_flag(full, name="full")
    y, valid = prepare(
        xp, predictions, targets, where, reduction, name="predictions", label_name="targets"
    )
    eps = check_number(eps, name="eps", low=0.0, backend=backend, like=predictions, dtype=y.dtype)
    bad = None
    if not log_input:
        rate = cast(xp, predictions, y.dtype)
        expected = "rates >= 0 (log_input=False)"
        bad = check_within(
            xp, backend, rate, valid, low=0, high=math.inf, name="predictions", expected=expected
        )
    rows = _POISSON_ROWS[log_input, full]
    options = {} if log_input else {"eps": eps}
    return finish(
        xp, backend, rows, predictions, {"y": y}, options=options, valid=valid, bad=bad,
        reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


def _stirling(xp, y):
    """y log y − y + ½ log(2π y) for y > 1, else 0 (the log of y! to within 1/(12 y)); the
    logarithms see 1 where the term is 0, so they stay finite."""
    above = y > 1
    z = xp.where(above, y, 1.0)
    return xp.where(above, z * xp.log(z) - z + 0.5 * xp.log(2 * math.pi * z), 0.0)


def _poisson_rows(log_input: bool, full: bool):
    def values(xp, backend, x, y, **options):
        if log_input:
            rate = xp.exp(x)
            loss, slope = rate - y * x, rate - y
        else:
            shifted = x + options["eps"]
            loss, slope = x - y * xp.log(shifted), 1 - y / shifted
        return (loss + _stirling(xp, y) if full else loss), (slope,)

    return elementwise_rows(values, saved_slope)


_POISSON_ROWS = {
    (log, full): _poisson_rows(log, full) for log in (True, False) for full in (True, False)
}

_GAUSSIAN = Inputs("predictions", "targets", "variance", optional=("where",))
_MEANS = Inputs("predictions", "targets", optional=("where",))  # the variance a number


@declare(
    kind="elementwise",
    peers={"torch": "torch.nn.functional.gaussian_nll_loss"},
    cases=lambda ex: {
        "gaussian-nll": ex.case(
            ex.LOGITS,
            ex.SOFT,
            ex.UNIT,
            where=ex.WHERE,
            expected=ex.kept(ex.oracles.gaussian_nll(ex.LOGITS, ex.SOFT, ex.UNIT), ex.WHERE),
        ),
        "gaussian-nll-per-row": ex.case(
            ex.LOGITS,
            ex.SOFT,
            ex.UNIT[:, 0],
            full=True,
            expected=ex.oracles.gaussian_nll(ex.LOGITS, ex.SOFT, ex.UNIT[:, :1], full=True),
        ),
    },
    bench=lambda b: (b.logits, b.targets, b.probabilities, {}),
    timed_against={"torch": lambda m, x, t, v: m.F.gaussian_nll_loss(x, t, v)},
    keras=False,
)
def gaussian_nll_loss(
    predictions,
    targets,
    variance,
    /,
    *,
    full=False,
    eps=1e-6,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Gaussian negative log-likelihood of ``targets`` with mean ``predictions`` and ``variance``.

    With means :math:`μ` (``predictions``), targets :math:`y` (``targets``)
    and variances :math:`σ^2` (``variance``) floored at :math:`ε` = ``eps``,
    :math:`v = \max(σ^2, ε)`,

    .. math::

        L = \tfrac12 \Bigl(\log v + \frac{(μ - y)^2}{v}\Bigr)
            \;\bigl(+ \tfrac12 \log 2π \text{ with } ``full``\bigr), \qquad
        \frac{∂L}{∂μ} = \frac{μ - y}{v}, \quad
        \frac{∂L}{∂σ^2} = \frac{1}{2v} - \frac{(μ - y)^2}{2 v^2},

    ``torch.nn.functional.gaussian_nll_loss``, which learns a mean and its
    uncertainty together (Nix & Weigend, 1994). As in torch the floor is
    invisible to the gradient: below :math:`ε` the variance's gradient is
    the one at :math:`ε`, so a variance head pushed under the floor is
    still pulled back. Autodiff reaches ``variance`` (and ``targets``) on
    every framework. A negative variance is a value error, as in torch
    (raised for concrete inputs, NaN entries under tracing).

    ``variance`` broadcasts as torch's does: the shape of ``predictions``
    (one variance per entry); that shape with one axis of size 1 (shared
    along it); the shape without its last axis (one per row); or a float.

    Parameters
    ----------
    predictions : array
        The predicted means :math:`μ`, any shape, real floating (16-bit
        inputs are computed in float32).
    targets : array, the shape of ``predictions``
        The observed values :math:`y`, cast to the predictions' compute dtype.
    variance : array or float >= 0
        The predicted variances :math:`σ^2`, of a shape described above.
    full : bool
        Whether to add the constant :math:`\tfrac12 \log 2π`, which makes the
        loss the full negative log-density.
    eps : float > 0 or 0-d array
        :math:`ε`, the floor of the variance (default 1e-6). As in torch the
        floor is invisible to the gradient: none flows to ``eps``.
    where : bool array broadcastable to ``predictions``, optional
        False removes an element from the sum and from the mean's count.
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
    >>> means, targets = np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 0.0])
    >>> mlcloss.gaussian_nll_loss(means, targets, np.array([1.0, 1.0, 4.0]), reduction="none").round(4)
    array([0.    , 0.5   , 1.1931])
    >>> float(mlcloss.gaussian_nll_loss(means, targets, 1.0, reduction="sum"))
    2.5
    """
    shared = None  # one variance for every entry, given as a number
    if isinstance(variance, numbers.Real):
        shared = check_number(variance, name="variance", low=0.0)
        backend, (predictions, targets, where) = _MEANS(predictions, targets, where)
    else:
        backend, (predictions, targets, variance, where) = _GAUSSIAN(
            predictions, targets, variance, where
        )
    xp = backend.xp
    full = check_flag(full, name="full")
    y, valid = prepare(
        xp, predictions, targets, where, reduction, name="predictions", label_name="targets"
    )
    eps = check_number(
        eps, name="eps", low=0.0, low_open=True, backend=backend, like=predictions, dtype=y.dtype
    )
    bad = None
    if shared is None:
        variance = _variance_like(xp, cast(xp, variance, y.dtype), predictions)
        bad = _check_variance(xp, backend, variance, valid)
    else:
        variance = xp.full_like(y, shared)
    bad = poison_options(xp, backend, bad, eps)
    rows = _GAUSSIAN_FULL_ROWS if full else _GAUSSIAN_ROWS
    return finish(
        xp, backend, rows, predictions, {"y": y, "variance": variance}, options={"eps": eps},
        valid=valid, bad=bad, reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


def _variance_like(xp, variance, predictions):
    """``variance`` as it broadcasts against ``predictions`` by torch's rules (see the
    docstring), or ``ValueError`` naming both shapes."""
    shape, given = tuple(predictions.shape), tuple(variance.shape)
    if given == shape:
        return variance
    if given == shape[:-1]:
        return xp.expand_dims(variance, axis=-1)
    mismatched = [v for p, v in zip(shape, given) if p != v]
    if len(given) == len(shape) and mismatched == [1]:
        return variance
    raise ValueError(
        f"mlcloss: variance must have the shape of predictions {shape}, that shape with one "
        f"axis of size 1, or that shape without its last axis {shape[:-1]}, received {given}"
    )


def _check_variance(xp, backend, variance, valid):
    """Flag negative (or NaN) variances: in the entries ``valid`` keeps where the variance has
    the predictions' shape, anywhere otherwise (a shared variance serves kept entries too)."""
    keep = valid if valid is not None and tuple(valid.shape) == tuple(variance.shape) else None
    return check_within(
        xp, backend, variance, keep, low=0, high=math.inf, name="variance",
        expected="variances >= 0",
    )  # fmt: skip


def _gaussian_rows(full: bool):
    def values(xp, backend, x, y, *, variance, eps):
        # torch floors the variance under no_grad: the floor is invisible to the gradient
        v = variance + backend.stop_gradient(xp.where(variance > eps, variance, eps) - variance)
        difference = x - y
        loss = 0.5 * (xp.log(v) + difference * difference / v)
        return (loss + 0.5 * math.log(2 * math.pi) if full else loss), (difference / v,)

    return elementwise_rows(values, saved_slope, autodiff=AUTOGRAD)


_GAUSSIAN_ROWS, _GAUSSIAN_FULL_ROWS = _gaussian_rows(False), _gaussian_rows(True)
