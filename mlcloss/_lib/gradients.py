r"""Closed-form gradients: a loss's rows paired with their derivative, installed by the adapters.

Autograd through a chain of ``where`` / ``logsumexp`` / ``softplus`` records
every intermediate and replays each one backwards; eager PyTorch and
TensorFlow pay for every step. Each loss with a closed form instead gives a
:class:`Rows` — its per-row (or per-element) values and the derivative of each
row with respect to its own row of logits — and :func:`reduced` turns it into
the reduced loss. The adapter installs the pair as one differentiable
operation (``torch.autograd.Function``, ``jax.custom_jvp``,
``tf.custom_gradient``); libraries without autograd just evaluate it, and
:func:`value_and_grad` returns both for NumPy users.

Because row :math:`r` of the loss depends only on row :math:`r` of the
logits, the Jacobian is block diagonal: with :math:`G = ∂L_r/∂x_r` the
backward pass is :math:`\bar x = G \cdot \bar L` and the forward-mode
tangent :math:`\dot L_r = \sum_c G_{rc} \dot x_{rc}`; the reduction
(mean, sum, the poisoned rows) is linear on top of that.

Derivatives with respect to the other arrays (soft labels, a threshold
array) come from autodiff of the same value formula where the framework
can provide them (torch, JAX); TensorFlow stops them. Second-order
derivatives work: the gradient formula is written in differentiable array
operations and is recomputed from the logits when a graph of it is asked
for. :func:`analytic_gradients` turns the whole mechanism off (plain
autograd through the value formula).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..backends import array_namespace
from .arguments import is_array
from .dtypes import cast, compute_dtype
from .reduce import check_reduction, divisor, leading_weights, reduce
from .shapes import broadcast_like, class_axis_last
from .switch import Switch
from .validate import poison_rows

_ANALYTIC = Switch()

JAX = frozenset({"jax"})  # values of Rows.autodiff, from the measurements in docs/performance.md
EAGER = frozenset({"torch", "tensorflow"})
AUTOGRAD = JAX | EAGER  # a loss whose other inputs need gradients on every framework


def set_analytic_gradients(enabled: bool) -> bool:
    """Use the closed-form gradients (True, the default) or plain autograd; return the previous setting."""
    return _ANALYTIC.set(enabled)


def analytic_gradients(enabled: bool):
    """Context manager form of :func:`set_analytic_gradients`."""
    return _ANALYTIC.scoped(enabled)


@dataclass(frozen=True)
class Rows:
    r"""A loss's rows and their closed-form gradient.

    ``value(xp, backend, x, **named) -> (L, saved)``: ``x`` is the logits in
    the compute dtype with the class axis last, ``named`` the loss's other
    inputs by name (the ``arrays`` and ``options`` given to :func:`reduced`); ``L`` has ``x.shape[:-1]``
    (one loss per row) or, with ``elementwise``, ``x.shape``; ``saved`` is a
    tuple of arrays (small per-row statistics) for the gradient.

    ``gradient(xp, backend, x, saved, g, **named) -> G``, of ``x.shape``:
    row ``r`` of ``G`` is :math:`g_r\, ∂L_r / ∂x_r` (elementwise:
    :math:`g_i\, ∂L_i/∂x_i`), with ``g`` the upstream gradient of the rows:
    an array of their shape, a 0-d array or the float 1.0, so a rule can fold
    it into its per-row coefficients.

    ``autodiff``: the backends (by adapter name) whose own autodiff of
    ``value`` is measured at least as fast as the closed form, which they then
    keep (the closed form still serves :func:`value_and_grad`): JAX for the
    softmax family, whose log-softmax XLA differentiates and fuses as well,
    eager torch and TensorFlow where the gradient takes as many kernels as
    autograd's backward replays.
    """

    value: Callable
    gradient: Callable
    elementwise: bool = False
    autodiff: frozenset = frozenset()


def per_row(g):
    """The upstream gradient ``g`` of the rows, shaped to multiply ``[..., C]`` arrays."""
    return g[..., None] if getattr(g, "ndim", 0) else g


class Analytic:
    """The protocol an adapter installs (:meth:`Backend.custom_gradient`).

    ``forward(*inputs) -> (out, saved)``; ``vjp(inputs, saved, g)`` returns
    the gradients of the first ``n_primals`` inputs given the upstream
    ``g``; ``jvp(inputs, saved, tangents)`` the tangent of ``out`` given
    those inputs' tangents (None for zero). ``saved`` is a tuple of arrays.
    """

    n_primals = 1
    autodiff = frozenset()

    def value_of(self, inputs, positions):
        """The value as a function of the inputs at ``positions``, the others held fixed.

        Adapters differentiate it with their own autodiff for inputs that are
        not primal (soft labels, a threshold array).
        """

        def value(*chosen):
            full = list(inputs)
            for i, a in zip(positions, chosen):
                full[i] = a
            return self.forward(*full)[0]

        return value


@dataclass(frozen=True)
class Reduced(Analytic):
    """``reduce(weight · poison(rows(logits)))``, its inputs ``(logits, *arrays, count, bad,
    weight)`` flat (as the adapters' differentiable operations take them) and named again by
    :meth:`fields`; ``weight`` (or None) multiplies the rows (:func:`reduced`'s
    ``sample_weight``), a constant factor of each row's gradient.

    ``names``: the names of ``arrays`` (the rows' arrays, then the array-valued
    options); ``fixed``: the options bound as constants.
    """

    rows: Rows
    axis: int
    reduction: str
    xp: Any
    backend: Any
    names: tuple
    fixed: dict

    @property
    def autodiff(self):
        return self.rows.autodiff

    def fields(self, inputs):
        """``(logits, x, named, count, bad, weight)``: the flat inputs by name, ``x`` the logits
        in the compute dtype with the class axis last."""
        logits, *arrays, count, bad, weight = inputs
        xp = self.xp
        x = class_axis_last(xp, cast(xp, logits, compute_dtype(xp, logits, "logits")), self.axis)
        return logits, x, dict(zip(self.names, arrays), **self.fixed), count, bad, weight

    def forward(self, *inputs):
        _, x, named, count, bad, weight = self.fields(inputs)
        loss, saved = self.rows.value(self.xp, self.backend, x, **named)
        loss = poison_rows(self.xp, loss, bad)
        if weight is not None:
            loss = loss * weight
        return reduce(self.xp, loss, self.reduction, count=count), saved

    def vjp(self, inputs, saved, g):
        xp = self.xp
        logits, x, named, count, bad, weight = self.fields(inputs)
        g = cast(xp, g, x.dtype)
        if self.reduction == "mean":
            g = g / self._divisor(x, count)
        if weight is not None:  # the rows' own shape, as the gradient rules take it
            g = broadcast_like(xp, g * weight, self._rows_like(x))
        if bad is not None:  # poisoned rows pass no gradient, as autograd of the NaN would
            g = xp.where(bad, xp.zeros_like(g), g)
        grad = self.rows.gradient(xp, self.backend, x, saved, g, **named)
        if self.axis != logits.ndim - 1:
            grad = xp.moveaxis(grad, -1, self.axis)
        return (cast(xp, grad, logits.dtype),)

    def jvp(self, inputs, saved, tangents):
        xp = self.xp
        _, x, named, count, bad, weight = self.fields(inputs)
        grad = self.rows.gradient(xp, self.backend, x, saved, 1.0, **named)
        dx = class_axis_last(xp, cast(xp, tangents[0], x.dtype), self.axis)
        rows = grad * dx if self.rows.elementwise else xp.sum(grad * dx, axis=-1)
        if bad is not None:
            rows = xp.where(bad, xp.zeros_like(rows), rows)
        if weight is not None:
            rows = rows * weight
        return reduce(xp, rows, self.reduction, count=count)

    def _rows_like(self, x):
        """An array of the rows' shape (``x`` itself for an elementwise loss)."""
        return x if self.rows.elementwise else x[..., 0]

    def _divisor(self, x, count):
        return divisor(self.xp, self._rows_like(x), count)


def reduced(
    xp,
    backend,
    rows: Rows,
    logits,
    arrays=None,
    *,
    options=None,
    axis=-1,
    reduction="mean",
    count=None,
    bad=None,
    sample_weight=None,
):
    """The reduced loss of ``rows`` on ``logits`` (any layout and dtype), with its analytic gradient.

    ``axis`` is the class axis of ``logits`` (elementwise losses: -1).
    ``arrays`` (a dict) names the rows' other inputs (labels, masks, weights:
    arrays or None, in the row layout); ``options`` names the
    hyper-parameters: floats (and None) are bound as constants, arrays (0-d,
    perhaps traced: see :func:`~mlcloss._lib.arguments.check_number`) join
    the inputs of the differentiable operation, so that autodiff reaches them
    (a learned margin) and no custom rule closes over a tracer. ``rows``
    receives both by name. ``count`` is the mean's denominator (default: the
    number of rows), ``bad`` the rows to poison with NaN and ``sample_weight`` the
    weights of the rows (see :func:`~mlcloss._lib.reduce.leading_weights`).
    """
    check_reduction(reduction)
    named, fixed = dict(arrays or {}), {}
    for key, v in (options or {}).items():
        (named if is_array(v) else fixed)[key] = v
    # a 0-d prediction (an elementwise loss on one element) has no axis: -1 leaves it in place
    at = axis % logits.ndim if logits.ndim else -1
    weight = None
    if sample_weight is not None:
        shape = tuple(logits.shape)
        if not rows.elementwise and logits.ndim:
            shape = shape[:at] + shape[at + 1 :]
        dtype = compute_dtype(xp, logits, "logits")
        weight = leading_weights(xp, sample_weight, shape, like=logits, dtype=dtype)
    op = Reduced(rows, at, reduction, xp, backend, tuple(named), fixed)
    return differentiable(xp, backend, op, (logits, *named.values(), count, bad, weight))


def differentiable(xp, backend, op: Analytic, inputs):
    """``op``'s value on ``inputs``, with its closed-form derivatives installed by ``backend``."""
    recorder = _RECORDING["calls"]
    if recorder is not None:
        out, saved = op.forward(*inputs)
        grads = op.vjp(inputs, saved, xp.ones_like(out))
        recorder.extend((x, grad, out) for x, grad in zip(inputs[: op.n_primals], grads))
        return out
    if not _ANALYTIC.on or backend.name in op.autodiff:
        return op.forward(*inputs)[0]
    return backend.custom_gradient(op, inputs)


_RECORDING = {"calls": None}  # value_and_grad's list of (logits, gradient) while it runs


def value_and_grad(loss: Callable) -> Callable:
    """``loss`` returning ``(value, gradient)``: the gradient of its (summed) value w.r.t. the first argument.

    For libraries without autograd (NumPy, CuPy, array-api-strict): the
    closed-form gradient the adapters install elsewhere, computed directly.
    ``reduction="none"`` gives the gradient of the sum of the rows. Works for
    the losses with a closed-form gradient in their prediction (every loss
    but the combinatorial k-softmax, the pairwise hinge and the sampled
    losses, whose prediction is not their logits); any other raises
    ``NotImplementedError``.

    >>> import numpy as np, mlcloss
    >>> value, grad = mlcloss.value_and_grad(mlcloss.softmax_cross_entropy)(
    ...     np.array([[0.0, 0.0]]), np.array([1]))
    >>> grad
    array([[ 0.5, -0.5]])
    """

    def run(prediction, *args, **options):
        recorded = []
        outer, _RECORDING["calls"] = _RECORDING["calls"], recorded
        try:
            value = loss(prediction, *args, **options)
        finally:
            _RECORDING["calls"] = outer
        for logits, grad, out in recorded:
            if logits is prediction:
                return value, grad
            if out is value and _reshaped(logits, prediction):
                # the loss only reshaped its prediction (GlobalPointer, linear CE over [..., D])
                return value, array_namespace(prediction).reshape(grad, prediction.shape)
        name = getattr(getattr(loss, "func", loss), "__name__", repr(loss))  # partial: its function
        raise NotImplementedError(
            f"mlcloss: value_and_grad has no closed-form gradient for {name}; "
            "use a framework with autograd (torch, JAX, TensorFlow) for it"
        )

    return run


def _reshaped(logits, prediction) -> bool:
    """Whether ``logits`` holds the entries of ``prediction`` in order (NaN matching NaN).

    Compared by value, not by size alone: the sampled losses build logits of
    their own, which may happen to have as many entries as their inputs.
    """
    if math.prod(logits.shape) != math.prod(prediction.shape):
        return False
    xp = array_namespace(prediction)
    a, b = xp.reshape(logits, (-1,)), xp.reshape(prediction, (-1,))
    return bool(xp.all((a == b) | ((a != a) & (b != b))))
