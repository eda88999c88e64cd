"""The pure array-API fallback for every primitive an adapter may supply."""

from __future__ import annotations

from .._compat import compat, device


class Backend:
    """Primitives written against the array API standard alone.

    Framework adapters subclass this and override what their framework does
    natively; anything they do not override falls back to these definitions.
    """

    name = "array-api"

    def __init__(self, xp):
        self.xp = xp

    def stop_gradient(self, x):
        """``x`` with its gradient cut. Libraries without autograd need nothing."""
        return x

    def logsumexp(self, x, axis: int):
        """log Σ exp(x) along ``axis``, shifted by the (gradient-stopped) max.

        Callers guarantee each reduced row has a finite max.
        """
        xp = self.xp
        shift = self.stop_gradient(xp.max(x, axis=axis, keepdims=True))
        total = xp.sum(xp.exp(x - shift), axis=axis)
        return xp.log(total) + xp.squeeze(shift, axis=axis)

    def log_softmax(self, x, axis: int):
        """x − log Σ exp(x) along ``axis``, computed from the shifted z = x − max(x).

        Returning z − log Σ e^z (not x − logsumexp(x)) keeps equal logits of
        1e8 at exactly −log C instead of losing them to rounding.
        """
        xp = self.xp
        z = x - self.stop_gradient(xp.max(x, axis=axis, keepdims=True))
        return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))

    def softmax(self, x, axis: int):
        """e^x / Σ e^x along ``axis``, from the shifted log-softmax."""
        return self.xp.exp(self.log_softmax(x, axis))

    def softplus(self, x):
        """log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}): exact in both tails."""
        xp = self.xp
        return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))

    def log_sigmoid(self, x):
        """log σ(x) = −softplus(−x): both terms of the stable form are ≤ 0, no cancellation."""
        return -self.softplus(-x)

    def sigmoid(self, x):
        """σ(x) = exp(-softplus(-x)): no overflow for either sign."""
        return self.xp.exp(-self.softplus(-x))

    def multi_hot(self, indices, valid, num_classes: int):
        """Boolean ``[..., num_classes]``: True at ``indices[..., k]`` where ``valid[..., k]``.

        Indices of invalid entries may hold anything. The fallback compares
        every index with every class (``[..., K, C]`` booleans).
        """
        xp = self.xp
        classes = xp.arange(num_classes, dtype=indices.dtype, device=device(indices))
        hits = (indices[..., None] == classes) & valid[..., None]
        return xp.any(hits, axis=-2)

    def take_along_last_axis(self, x, indices):
        """``x[..., indices[..., k]]`` for each k: ``[..., K]``, with every index in range.

        The standard's ``take_along_axis`` (2024.12) where the library has it;
        otherwise (Dask) every index is compared with every class
        (``[..., K, C]``), which also differentiates.
        """
        xp = self.xp
        if hasattr(xp, "take_along_axis"):
            return xp.take_along_axis(x, indices, axis=-1)
        classes = xp.arange(x.shape[-1], dtype=indices.dtype, device=device(indices))
        hits = indices[..., None] == classes
        if x.dtype == xp.bool:
            return xp.any(hits & x[..., None, :], axis=-1)
        return xp.sum(xp.where(hits, x[..., None, :], xp.zeros_like(x[..., None, :])), axis=-1)

    def scatter_add_last(self, x, indices, values):
        """``x`` with ``values[..., k]`` added at ``x[..., indices[..., k]]`` (repeats add up).

        ``values`` broadcasts to ``indices``; every index is in range. The
        result may reuse ``x``'s memory: pass an array the caller owns. The
        fallback compares every index with every class (``[..., K, C]``).
        """
        xp = self.xp
        classes = xp.arange(x.shape[-1], dtype=indices.dtype, device=device(indices))
        if indices.shape[-1] == 1:  # one index a row: a [..., C] comparison, no K axis
            return x + xp.where(indices == classes, values, xp.zeros_like(x))
        hits = indices[..., None] == classes
        spread = xp.where(hits, values[..., None], xp.zeros_like(x[..., None, :]))
        return x + xp.sum(spread, axis=-2)

    def scale_owned(self, x, factor):
        """``x * factor`` for a temporary ``x`` the caller owns, which may be overwritten.

        Where the library allows it (nothing records ``x`` for autograd) the
        product is written in place: no allocation, no second buffer, which
        on a CPU costs more than the arithmetic.
        """
        return x * factor

    def subtract_owned(self, x, other):
        """``x - other`` for a temporary ``x`` the caller owns (see :meth:`scale_owned`)."""
        return x - other

    def exp_shifted(self, z, shift, scale=None):
        """``exp(z - shift) * scale`` (``scale`` None: 1), which may overwrite ``z``.

        For blocks the caller owns and drops (chunked losses): where the
        library allows it the block is updated in place, so one buffer of its
        size is alive instead of two.
        """
        e = self.xp.exp(z - shift)
        return e if scale is None else e * scale

    def put_rows(self, x, start: int, values):
        """``x`` with ``x[start:start + len(values)]`` replaced by ``values`` (along axis 0).

        May write ``x`` in place: pass an array the caller owns. The fallback
        concatenates (a copy of ``x``).
        """
        xp = self.xp
        stop = start + values.shape[0]
        return xp.concat([x[:start, ...], values, x[stop:, ...]], axis=0)

    def scan(self, step, carry, xs):
        """Run ``carry, y = step(carry, x)`` along axis 0 of the arrays ``xs`` (a tuple).

        ``carry`` is a tuple of arrays whose shapes and dtypes ``step`` keeps;
        ``x`` is the tuple of ``xs``' slices at one step. Returns the last
        carry and the ``y`` of every step stacked along a new axis 0 (None
        when ``step`` returns None for ``y``). Differentiable wherever the
        library has autograd. The fallback is a Python loop over the static
        length, which eager libraries run as written and ``torch.compile``
        unrolls.
        """
        ys = []
        for t in range(xs[0].shape[0]):
            carry, y = step(carry, tuple(x[t, ...] for x in xs))
            ys.append(y)
        if not ys or ys[0] is None:
            return carry, None
        return carry, self.xp.stack(ys, axis=0)

    def custom_gradient(self, op, inputs):
        """``op.forward(*inputs)[0]``, differentiable by ``op.vjp`` / ``op.jvp`` in its first
        ``op.n_primals`` inputs (see :class:`mlcloss._lib.gradients.Analytic`).

        Libraries without autograd evaluate the value and nothing else.
        """
        return op.forward(*inputs)[0]

    def uniform(self, shape, *, seed, device):
        """Uniform float64 numbers in [0, 1) of ``shape`` on ``device``, reproducible for an int ``seed``.

        The fallback draws on the host with a NumPy ``Generator`` and copies
        the numbers to the library (``seed=None``: fresh entropy).
        """
        import numpy as np

        values = np.random.default_rng(seed).random(shape)
        return self.xp.asarray(values, dtype=self.xp.float64, device=device)

    def as_index(self, indices):
        """``indices`` in a dtype the library's gather and scatter accept."""
        return indices

    def extrema(self, x):
        """``(min, max)`` of a non-empty ``x`` as 0-d arrays (NaN if it holds one)."""
        xp = self.xp
        return xp.min(x), xp.max(x)

    def is_concrete(self, x) -> bool:
        """Whether ``x`` holds data in host memory that can be inspected without a sync."""
        return compat().is_numpy_array(x) or compat().is_array_api_strict_namespace(self.xp)
