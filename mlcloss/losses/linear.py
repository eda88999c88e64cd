r"""Softmax cross-entropy of a linear layer's output, without the ``[N, V]`` logits.

For a language model's output layer the logits :math:`Z = H W^\top + b`
(``[N, V]`` with V up to 10⁵–10⁶) are the largest tensor of the step, and
their gradient another one. The loss needs only each row's
:math:`\operatorname{logsumexp}_v Z_{nv}` and its label's logit, so the
vocabulary is visited in chunks of ``chunk_size`` columns: the forward keeps
a running max and rescaled sum per row (the online logsumexp of Milakov &
Gimelshein, as in FlashAttention), the backward recomputes each chunk's
logits and turns them into that chunk's share of the gradients at once.
Memory is the inputs, their gradients and one ``[N, chunk_size]`` block.

References
----------
Wijmans et al., "Cut Your Losses in Large-Vocabulary Language Models"
(cut cross-entropy), arXiv:2411.09009. Hsu et al., "Liger Kernel", arXiv:2410.10989.
Milakov & Gimelshein, "Online normalizer calculation for softmax", arXiv:1805.02867.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._compat import device
from .._lib.arguments import check_number
from .._lib.dtypes import cast, compute_dtype
from .._lib.gradients import Analytic, differentiable
from .._lib.indices import class_indices
from .._lib.reduce import check_reduction, divisor, leading_weights, reduce
from .._lib.registry import declare
from .._lib.validate import check_ignore_index, check_index_dtype, check_values, poison_rows
from ..backends import Inputs

__all__ = ["linear_cross_entropy"]

_HIDDEN_WEIGHT_LABELS_BIAS = Inputs("hidden", "weight", "labels", optional=("bias",))


@declare(
    kind="class-set",
    labels="index",
    modules=False,
    keras=False,
    bench=False,  # three inputs: timed with its memory by benchmarks/targets.py
    peers={
        "torch": "torch.nn.functional.linear_cross_entropy",
        "Liger": "LigerFusedLinearCrossEntropyLoss",
        "cut-cross-entropy": "cut_cross_entropy.linear_cross_entropy",
    },
    cases=lambda ex: {
        "linear-ce": ex.case(
            ex.LOGITS,
            ex.OUTPUT["weights"],
            ex.LINEAR_LABELS,
            chunk_size=7,
            ignore_index=-100,
            expected=ex.oracles.softmax_ce(
                ex.LOGITS @ ex.OUTPUT["weights"].T, ex.LINEAR_LABELS, ignore_index=-100
            ),
        ),
        "linear-ce-softcap-z-loss": ex.case(
            ex.LOGITS,
            ex.OUTPUT["weights"],
            ex.LINEAR_LABELS,
            chunk_size=8,
            ignore_index=-100,
            z_loss=1e-2,
            logit_softcap=3.0,
            expected=ex.oracles.softmax_ce(
                3.0 * ex.np.tanh(ex.LOGITS @ ex.OUTPUT["weights"].T / 3.0),
                ex.LINEAR_LABELS,
                ignore_index=-100,
                z_loss=1e-2,
            ),
        ),
    },
)
def linear_cross_entropy(
    hidden,
    weight,
    labels,
    /,
    *,
    bias=None,
    chunk_size=4096,
    ignore_index=None,
    z_loss=0.0,
    logit_softcap=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Softmax cross-entropy of ``hidden @ weight.T + bias``, computed in vocabulary chunks.

    .. math::

        L_n = \log \sum_v e^{z_{nv}} - z_{n y_n},
        \qquad z_{nv} = h_n \cdot w_v + b_v

    exactly :func:`softmax_cross_entropy` of the full logits (torch's
    ``F.linear_cross_entropy`` / ``cross_entropy(F.linear(h, W, b), y)``),
    with ``"mean"`` dividing by the number of rows not ignored. The logits
    never exist at once: each chunk of ``chunk_size`` classes is a matmul
    into an ``[N, chunk_size]`` block, folded into a running
    (max, rescaled sum) per row, and recomputed in the backward pass, which
    the adapters install as the closed-form gradient
    :math:`∂L/∂z = \operatorname{softmax}(z) - e_y`, contracted chunk by
    chunk into :math:`∂L/∂H`, :math:`∂L/∂W` and :math:`∂L/∂b`.

    Two options of large-vocabulary training ride along, chunk by chunk:
    ``logit_softcap`` :math:`c` replaces each logit by
    :math:`c \tanh(z / c)` before the softmax (Gemma 2's soft-capping; the
    gradient gains the factor :math:`1 - \tanh^2(z/c)`), and ``z_loss``
    :math:`ζ` adds PaLM's :math:`ζ (\log Z)^2` to each row kept, with
    :math:`\log Z` the row's logsumexp (its gradient scales the softmax by
    :math:`1 + 2ζ \log Z`), as :func:`softmax_cross_entropy`'s ``z_loss``.

    Parameters
    ----------
    hidden : array ``[..., D]``
        The layer's inputs :math:`h` (16-bit inputs are computed in float32).
    weight : array ``[V, D]``
        One row per class, as ``torch.nn.Linear.weight``.
    labels : integer array, ``hidden.shape[:-1]``
        Class indices :math:`y`.
    bias : array ``[V]``, optional
        The per-class offset :math:`b` added to every row's logits, as
        ``torch.nn.Linear.bias``; None (the default) for no bias.
    chunk_size : int ≥ 1
        Classes per block: memory ``N × chunk_size`` floats, fewer but larger
        matmuls as it grows.
    ignore_index : int, optional
        Labels equal to it contribute 0 and leave the mean's denominator.
    z_loss : float >= 0
        :math:`ζ`, the weight of the z-loss (default 0, none; PaLM uses 1e-4).
    logit_softcap : float > 0, optional
        :math:`c`, the soft cap of the logits (Gemma 2 uses 30); None (the
        default) for none.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns ``hidden.shape[:-1]``.
        ``"sum"`` adds the rows and ``"mean"`` divides that sum by the
        number of rows not ignored.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``hidden.shape[:-1]``
        (0 for an ignored row); for ``"mean"`` and ``"sum"`` a 0-d array.
        float32 for 16-bit or float32 ``hidden``, float64 for float64.

    References
    ----------
    Wijmans et al., "Cut Your Losses in Large-Vocabulary Language Models",
    arXiv:2411.09009, 2024. Milakov & Gimelshein, "Online normalizer
    calculation for softmax", arXiv:1805.02867, 2018. Gemma Team, "Gemma 2:
    Improving Open Language Models at a Practical Size", arXiv:2408.00118,
    2024 (soft-capping). Chowdhery et al., "PaLM", arXiv:2204.02311 (the
    z-loss).

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> rng = np.random.default_rng(0)
    >>> h, w, y = rng.normal(size=(3, 4)), rng.normal(size=(10, 4)), np.array([1, 7, 2])
    >>> chunked = mlcloss.linear_cross_entropy(h, w, y, chunk_size=3)
    >>> bool(np.isclose(chunked, mlcloss.softmax_cross_entropy(h @ w.T, y)))
    True

    With a bias, per row, and with an ignored row (padding):

    >>> b = np.linspace(-1.0, 1.0, 10)
    >>> mlcloss.linear_cross_entropy(h, w, y, bias=b, chunk_size=4, reduction="none").round(4)
    array([3.3931, 0.8793, 4.276 ])
    >>> mlcloss.softmax_cross_entropy(h @ w.T + b, y, reduction="none").round(4)
    array([3.3931, 0.8793, 4.276 ])
    >>> mlcloss.linear_cross_entropy(h, w, np.array([1, -100, 2]), ignore_index=-100,
    ...                              reduction="none").round(4)
    array([2.1884, 0.    , 4.2764])
    """
    backend, (hidden, weight, labels, bias) = _HIDDEN_WEIGHT_LABELS_BIAS(
        hidden, weight, labels, bias
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, hidden, "hidden")
    compute_dtype(xp, weight, "weight")
    check_index_dtype(xp, labels)
    check_ignore_index(ignore_index)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"mlcloss: chunk_size must be an int >= 1, received {chunk_size!r}")
    z_loss = check_number(z_loss, name="z_loss", low=0.0)
    softcap = check_number(
        logit_softcap, name="logit_softcap", low=0.0, low_open=True, allow_none=True
    )
    if weight.ndim != 2 or hidden.ndim < 1 or weight.shape[1] != hidden.shape[-1]:
        raise ValueError(
            f"mlcloss: weight must have shape [V, D] with D = hidden.shape[-1] = "
            f"{hidden.shape[-1] if hidden.ndim else None}, received {tuple(weight.shape)}"
        )
    if tuple(labels.shape) != tuple(hidden.shape[:-1]):
        raise ValueError(
            f"mlcloss: labels must have shape hidden.shape[:-1] = {tuple(hidden.shape[:-1])}, "
            f"received {tuple(labels.shape)}"
        )
    classes = weight.shape[0]
    if bias is not None and tuple(bias.shape) != (classes,):
        raise ValueError(
            f"mlcloss: bias must have shape [V] = ({classes},), received {tuple(bias.shape)}"
        )
    rows_shape = tuple(labels.shape)
    flat_hidden = xp.reshape(hidden, (-1, hidden.shape[-1]))
    flat_labels = xp.reshape(labels, (-1,))
    index, keep, outside, expected = class_indices(xp, backend, flat_labels, classes, ignore_index)
    bad = check_values(xp, backend, outside, name="labels", expected=expected)
    count = xp.sum(xp.astype(keep, dtype))
    op = _ChunkedLinearCrossEntropy(
        xp, backend, chunk_size, reduction, bias is not None, z_loss, softcap
    )
    primals = (flat_hidden, weight) if bias is None else (flat_hidden, weight, bias)
    weight = None
    if sample_weight is not None:
        weight = leading_weights(xp, sample_weight, rows_shape, like=hidden, dtype=dtype)
        weight = xp.reshape(xp.broadcast_to(weight, rows_shape), (-1,))
    loss = differentiable(xp, backend, op, (*primals, index, keep, count, bad, weight))
    if reduction == "none" and tuple(loss.shape) != tuple(rows_shape):
        return xp.reshape(loss, rows_shape)
    return loss


@dataclass(frozen=True)
class _ChunkedLinearCrossEntropy(Analytic):
    """Inputs ``(hidden [N, D], weight [V, D], [bias [V]], index [N], keep [N], count, bad)``;
    ``z_loss`` ζ and ``softcap`` c (None: none) are numbers."""

    xp: Any
    backend: Any
    chunk_size: int
    reduction: str
    has_bias: bool
    z_loss: float = 0.0
    softcap: float | None = None

    @property
    def n_primals(self):
        return 3 if self.has_bias else 2

    def _split(self, inputs):
        hidden, weight, *rest = inputs
        bias = rest.pop(0) if self.has_bias else None
        index, keep, count, bad, rows_weight = rest
        return hidden, weight, bias, index, keep, count, bad, rows_weight

    def _blocks(self, hidden, weight):
        """``(start, stop, weight block)`` per chunk of classes, in the compute dtype."""
        xp = self.xp
        dtype = compute_dtype(xp, hidden, "hidden")
        for start in range(0, weight.shape[0], self.chunk_size):
            stop = min(start + self.chunk_size, weight.shape[0])
            yield start, stop, cast(xp, weight[start:stop, ...], dtype)

    def _logits(self, h, w, bias, start, stop):
        """The ``[N, stop - start]`` block of logits (soft-capped, with a cap)."""
        xp = self.xp
        z = xp.matmul(h, xp.matrix_transpose(w))
        if bias is not None:
            z = z + cast(xp, bias[start:stop], z.dtype)
        return z if self.softcap is None else self.softcap * xp.tanh(z / self.softcap)

    def _label_column(self, index, start, stop):
        """``(local index [N, 1], inside [N])``: the label's column in this chunk, if it is there."""
        xp = self.xp
        local = index - start
        inside = (local >= 0) & (local < stop - start)
        return xp.where(inside, local, 0)[:, None], inside

    def forward(self, *inputs):
        xp, backend = self.xp, self.backend
        hidden, weight, bias, index, keep, count, bad, rows_weight = self._split(inputs)
        h = cast(xp, hidden, compute_dtype(xp, hidden, "hidden"))
        peak = total = picked = None
        for start, stop, w in self._blocks(hidden, weight):
            z = self._logits(h, w, bias, start, stop)
            local, inside = self._label_column(index, start, stop)
            label_logit = xp.where(inside, backend.take_along_last_axis(z, local)[:, 0], 0.0)
            block_max = xp.max(z, axis=-1)
            if peak is None:  # the first chunk starts the running (max, sum)
                peak, picked, total = block_max, label_logit, 0.0
            else:
                new_peak = xp.maximum(peak, block_max)
                total = total * xp.exp(peak - new_peak)
                peak, picked = new_peak, picked + label_logit
            z = backend.exp_shifted(z, peak[:, None])  # in place where the library allows
            total = total + xp.sum(z, axis=-1)
            del z  # before the next block's matmul
        log_total = xp.log(total)
        # log Σ e^{z - m} − (z_y − m): the shifted difference keeps a tiny loss exact
        loss = log_total - (picked - peak)
        if self.z_loss:
            lse = peak + log_total
            loss = loss + self.z_loss * lse * lse
        loss = poison_rows(xp, xp.where(keep, loss, 0.0), bad)
        if rows_weight is not None:
            loss = loss * rows_weight
        out = reduce(xp, loss, self.reduction, count=count)
        return out, (peak + log_total,)

    def _row_factor(self, g, keep, count, bad, rows_weight, like):
        """∂out/∂L_n per row: the upstream gradient through the reduction and the row's weight,
        0 on rows left out."""
        xp = self.xp
        g = cast(xp, g, like.dtype)
        if self.reduction == "mean":
            g = g / divisor(xp, like, count)
        if rows_weight is not None:
            g = g * rows_weight
        factor = xp.where(keep, g, xp.zeros_like(like))
        if bad is not None:
            factor = xp.where(bad, xp.zeros_like(factor), factor)
        return factor

    def _logit_gradients(self, inputs, saved, factor):
        """``(start, stop, h, w, ∂out/∂z block)`` per chunk: (softmax − one-hot) times the row factor."""
        xp, backend = self.xp, self.backend
        hidden, weight, bias, index, keep, count, bad, _ = self._split(inputs)
        (lse,) = saved
        h = cast(xp, hidden, lse.dtype)
        # the z-loss ζ (log Z)² adds 2ζ log Z · softmax: the softmax's row factor grows
        scale = factor * (1 + 2 * self.z_loss * lse) if self.z_loss else factor
        for start, stop, w in self._blocks(hidden, weight):
            local, inside = self._label_column(index, start, stop)
            dz = self._logits(h, w, bias, start, stop)
            slope = None if self.softcap is None else 1 - (dz / self.softcap) ** 2  # 1 − tanh²
            dz = backend.exp_shifted(dz, lse[:, None], scale[:, None])  # in place if allowed
            dz = backend.scatter_add_last(dz, local, -xp.where(inside, factor, 0.0)[:, None])
            if slope is not None:
                dz = dz * slope
            yield start, stop, h, w, dz
            del dz  # before the next block's matmul

    def vjp(self, inputs, saved, g):
        xp, backend = self.xp, self.backend
        hidden, weight, bias, index, keep, count, bad, rows_weight = self._split(inputs)
        (lse,) = saved
        factor = self._row_factor(g, keep, count, bad, rows_weight, lse)
        d_hidden = None
        d_weight = xp.zeros(weight.shape, dtype=lse.dtype, device=device(lse))
        d_bias = None if bias is None else xp.zeros(bias.shape, dtype=lse.dtype, device=device(lse))
        for start, _stop, h, w, dz in self._logit_gradients(inputs, saved, factor):
            block = xp.matmul(dz, w)
            d_hidden = block if d_hidden is None else d_hidden + block
            d_weight = backend.put_rows(d_weight, start, xp.matmul(xp.matrix_transpose(dz), h))
            if bias is not None:
                d_bias = backend.put_rows(d_bias, start, xp.sum(dz, axis=0))
            del dz
        grads = (cast(xp, d_hidden, hidden.dtype), cast(xp, d_weight, weight.dtype))
        return grads if bias is None else (*grads, cast(xp, d_bias, bias.dtype))

    def jvp(self, inputs, saved, tangents):
        xp = self.xp
        hidden, weight, bias, index, keep, count, bad, rows_weight = self._split(inputs)
        (lse,) = saved
        d_hidden, d_weight, *d_bias = tangents
        d_bias = d_bias[0] if d_bias else None
        factor = self._row_factor(xp.ones_like(lse), keep, count, bad, rows_weight, lse)
        rows = xp.zeros_like(lse)
        for start, stop, h, w, dz in self._logit_gradients(inputs, saved, factor):
            tangent = xp.zeros_like(dz)
            if d_hidden is not None:
                tangent = tangent + xp.matmul(cast(xp, d_hidden, h.dtype), xp.matrix_transpose(w))
            if d_weight is not None:
                dw = cast(xp, d_weight[start:stop, ...], h.dtype)
                tangent = tangent + xp.matmul(h, xp.matrix_transpose(dw))
            if d_bias is not None:
                tangent = tangent + cast(xp, d_bias[start:stop], h.dtype)
            rows = rows + xp.sum(dz * tangent, axis=-1)
        return rows if self.reduction == "none" else xp.sum(rows)
