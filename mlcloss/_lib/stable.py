"""Numerically stable building blocks, written once over a backend's primitives.

Every function takes the namespace ``xp`` and its adapter ``backend`` (see
:mod:`mlcloss.backends`); the adapter supplies the native kernels, these
functions add the masking and the guards that make empty sets and ``-inf``
entries safe for both the value and the gradient.
"""

from __future__ import annotations

_NEG_INF = float("-inf")


def masked_logsumexp(xp, backend, x, *, where=None, axis: int = -1):
    """log Σ_{i: where_i} e^{x_i} along ``axis``.

    An empty set (no True in ``where``, or only ``-inf`` entries) gives
    ``-inf`` with a zero gradient, never NaN: such rows are fed to the native
    logsumexp as zeros (finite backward) and replaced afterwards — the
    "double where". NaN entries that are selected propagate.
    """
    if where is not None:
        x = xp.where(where, x, _NEG_INF)
    peak = xp.max(x, axis=axis, keepdims=True)
    nonempty = peak != _NEG_INF  # NaN != -inf: a NaN row stays visible
    lse = backend.logsumexp(xp.where(nonempty, x, 0.0), axis)
    return xp.where(xp.squeeze(nonempty, axis=axis), lse, _NEG_INF)


def masked_max(xp, z, where):
    """max of ``z`` over ``where`` along the last axis, keepdims; 0 for a row with no finite
    entry there (a shift that leaves an empty set's exponentials at 0)."""
    m = xp.max(xp.where(where, z, _NEG_INF), axis=-1, keepdims=True)
    return xp.where(m == _NEG_INF, 0.0, m)


def log1p_scaled(xp, backend, m, total):
    """``(log(1 + e^m · total), e^m / (1 + e^m · total))`` for a shift ``m`` (keepdims) and the
    sum ``total`` of the exponentials shifted by it: the value, and its derivative per unit of
    ``total`` (the factor each shifted exponential's gradient carries).

    With ``y = m + log total`` the value is softplus(y): exact in every regime (when the sum
    is tiny softplus returns it to full relative precision, log1p, when it is huge the
    logarithm itself). The derivative is σ(y) / total, never ``e^{m − value}``: at m = 1e8 in
    float32 the value rounds to m, and that exponential would be 1 for every term. An empty
    set (``total`` 0) gives exactly 0 and 0, with a zero gradient (double ``where`` around the
    log); a shift of +inf gives +inf.
    """
    present = total > 0
    safe_total = xp.where(present, total, 1.0)
    y = m[..., 0] + xp.log(safe_total)
    value = xp.where(present, backend.softplus(y), 0.0)
    slope = xp.where(present, backend.sigmoid(y) / safe_total, 0.0)
    # a shift of +inf: an infinite term (a positive's logit -inf, a negative's +inf), whose
    # shifted exponential inf - inf is NaN; the log is +inf, not the 0 of an empty set
    return xp.where(m[..., 0] == float("inf"), float("inf"), value), slope


def log_where(xp, x, where):
    """log(x) where ``where`` holds, 0 elsewhere (double where: no log 0 in the gradient)."""
    return xp.log(xp.where(where, x, 1.0))


def masked_log_softmax(xp, backend, x, *, where=None, axis: int = -1):
    """log softmax over the classes where ``where`` holds; ``-inf`` at the others.

    A row with no class left is computed on zeros (finite values and
    gradient, all ``-log C``): the caller must leave such rows out, which
    every loss here does.
    """
    return backend.log_softmax(_masked_logits(xp, x, where, axis), axis)


def masked_softmax(xp, backend, x, *, where=None, axis: int = -1):
    """softmax over the classes where ``where`` holds, 0 at the others (empty rows as above)."""
    return backend.softmax(_masked_logits(xp, x, where, axis), axis)


def _masked_logits(xp, x, where, axis):
    """``x`` with ``-inf`` off ``where``; a row with nothing left becomes zeros."""
    if where is None:
        return x
    nonempty = xp.any(where, axis=axis, keepdims=True)
    x = xp.where(where, x, _NEG_INF)
    return xp.where(nonempty, x, 0.0)


def log_softmax_and_complement(xp, backend, x, log_p):
    """(log p, log(1 − p), top) of p = softmax(x) along the last axis, both logs without
    cancellation; ``top`` marks each row's unique largest logit (if it has one).

    Every probability but the unique largest one is at most 1/2, which leaves
    ``log_p`` and log1p(−p) accurate. For the unique largest logit, with
    d = logsumexp(other logits) − its logit: log p = −softplus(d) and
    log(1 − p) = d − softplus(d); the plain log-softmax would return
    log(1 + e^d) from a sum rounded to 1 + e^d.
    """
    peak_value = xp.max(x, axis=-1, keepdims=True)
    peak = x == peak_value
    top = peak & (xp.sum(xp.astype(peak, xp.int32), axis=-1, keepdims=True) == 1)
    d = masked_logsumexp(xp, backend, x, where=~peak)[..., None] - peak_value
    spread = backend.softplus(d)
    log_p = xp.where(top, -spread, log_p)
    rest = xp.log1p(-xp.exp(xp.where(top, -1.0, log_p)))
    return log_p, xp.where(top, d - spread, rest), top
