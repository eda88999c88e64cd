r"""Combinatorial ("k-of-C") softmax cross-entropy (seed 000, 组合softmax).

A row with k positives is one choice among the :math:`\binom{C}{k}` sets of
k classes; the loss is the softmax cross-entropy of that choice:

.. math::

    L = \log Z_k(s) - \sum_{j \in pos} s_j, \qquad
    Z_k = \sum_{i_1 < \dots < i_k} e^{s_{i_1} + \dots + s_{i_k}}

:math:`Z_k` is the k-th elementary symmetric polynomial of :math:`e^{s}`,
the coefficient of :math:`x^k` in :math:`\prod_c (1 + e^{s_c} x)`. Newton's
identities compute it in linear space and overflow or cancel (NaN in float32
from C = 50, k = 20); here the product is taken in log space as a balanced
tree of polynomial products truncated at degree k: log₂ C levels, each one
logsumexp per degree, so it traces to a fixed graph on every backend.

Known weakness, explained in the seed: :math:`\log Z_k` is a smooth maximum
over k-sets, and a set containing *one* very large positive score already
dominates it, so the loss can reach 0 while the other positives are still
ranked low and optimisation stops. The ZLPR loss
(:func:`~mlcloss.multilabel_categorical_crossentropy`) compares every
positive with every negative and has no such shortcut; prefer it unless k
is truly fixed and the top-k set is what you predict.
"""

from __future__ import annotations

import numbers

from .._compat import device
from .._lib.arguments import check_number, check_positive_int
from .._lib.dtypes import cast
from .._lib.label_sets import hard_label_sets
from .._lib.reduce import check_reduction, reduce
from .._lib.registry import declare
from .._lib.shapes import broadcast_like
from .._lib.stable import masked_logsumexp, masked_max
from .._lib.validate import check_broadcastable, check_values, poison_rows
from ..backends import Inputs

__all__ = ["combinatorial_softmax_crossentropy"]

_LOGITS_LABELS_THRESHOLD = Inputs("logits", "labels", optional=("threshold",))

_NEG_INF = float("-inf")


@declare(
    kind="class-set",
    closed_form=False,
    peers={"kexue.fm": "Su, the combinatorial k-softmax (kexue.fm/archives/8373)"},
    cases=lambda ex: {
        "combinatorial-fixed": ex.case(
            ex.LOGITS,
            ex.THREE,
            k=3,
            expected=ex.oracles.combinatorial(ex.LOGITS, ex.THREE, k=3),
        ),
        "combinatorial-variable": ex.case(
            ex.LOGITS,
            ex.HARD,
            threshold=ex.THETA,
            k=5,
            variable=True,
            expected=ex.oracles.combinatorial(
                ex.LOGITS, ex.HARD, k=5, variable=True, threshold=ex.THETA
            ),
        ),
    },
    bench=lambda b: (b.logits, b.exactly(4), {"k": 4}),
)
def combinatorial_softmax_crossentropy(
    logits,
    labels,
    /,
    *,
    k,
    variable=False,
    threshold=0.0,
    axis=-1,
    sample_weight=None,
    reduction="mean",
):
    r"""Softmax cross-entropy over the sets of k classes (fixed or at most k positives).

    Fixed k (``variable=False``): every row has exactly k positives and

    .. math::

        L = \log Z_k(s) - \sum_{j \in pos} s_j .

    Variable k (``variable=True``): rows have :math:`k' \le K` (= ``k``)
    positives, and the :math:`K - k'` empty places are filled by a
    threshold class of logit θ that may be chosen repeatedly:

    .. math::

        L = \log \sum_{j=0}^{K} e^{(K - j)θ} Z_j(s)
            - \Bigl(\sum_{j \in pos} s_j + (K - k')\,θ\Bigr)

    At prediction time take the top K classes and drop those scoring below θ.

    Here :math:`s` are the logits along ``axis`` and
    :math:`Z_j(s) = \sum_{i_1 < \dots < i_j} e^{s_{i_1} + \dots + s_{i_j}}`
    sums over the :math:`\binom{C}{j}` sets of j classes: the row's k-set of
    positives is one "class" of a softmax over all k-sets, so k = 1 is
    plain softmax cross-entropy. :math:`\log Z_j` for every
    :math:`j \le k` comes from the coefficients of
    :math:`\prod_c (1 + e^{s_c} x)`, multiplied in log space (a logsumexp per
    coefficient) as a balanced tree truncated at degree k, instead of
    Newton's identities, which overflow or cancel in float32 already for
    C = 50, k = 20.

    A single very large positive score can make :math:`\log Z_k` match the
    positives' sum while the other positives still rank low, so training
    may stop early; :func:`multilabel_categorical_crossentropy` has no such
    shortcut and is the better default unless k is truly fixed.

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        Real scores :math:`s`, no activation applied; real floating (16-bit
        logits are computed in float32).
    labels : multi-hot array, the shape of ``logits`` (bool or 0/1)
        True (or 1) for the positive classes of each row: exactly k of them
        (fixed k), or at most K (variable k).
    k : int
        The number of positives (fixed), or their maximum K (variable).
    variable : bool
        False (the default): every row has exactly k positives. True: rows
        have at most K = k, and the threshold class fills the rest.
    threshold : float or array broadcastable to the rows (``logits.shape`` without ``axis``)
        θ, the threshold logit (``variable=True`` only); an array may be learned.
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.

    Notes
    -----
    Rows with the wrong number of positives (≠ k, or > K) are a value error
    for concrete inputs and NaN under tracing.

    References
    ----------
    Su, 将“softmax+交叉熵”推广到多标签分类问题, kexue.fm/archives/7359, 2020
    (the combinatorial softmax, its threshold class for variable k, and its
    weakness).

    Examples
    --------
    With k = 1 this is softmax cross-entropy:

    >>> import numpy as np, mlcloss
    >>> logits = np.array([[1.0, 2.0, 0.5]])
    >>> loss = mlcloss.combinatorial_softmax_crossentropy(logits, np.array([[0, 1, 0]]), k=1)
    >>> round(float(loss), 4), round(float(mlcloss.softmax_cross_entropy(logits, np.array([1]))), 4)
    (0.4644, 0.4644)

    Two positives per row, and at most two with the threshold class:

    >>> logits = np.array([[2.0, 1.0, -1.0, 0.5], [0.3, 0.2, 0.5, 0.7]])
    >>> labels = np.array([[1, 1, 0, 0], [0, 0, 1, 1]])
    >>> mlcloss.combinatorial_softmax_crossentropy(logits, labels, k=2, reduction="none").round(4)
    array([0.7154, 1.4663])
    >>> labels = np.array([[1, 0, 0, 0], [0, 0, 1, 1]])
    >>> mlcloss.combinatorial_softmax_crossentropy(logits, labels, k=2, variable=True,
    ...                                            reduction="none").round(4)
    array([1.9927, 1.8736])
    """
    backend, (logits, labels, threshold) = _LOGITS_LABELS_THRESHOLD(logits, labels, threshold)
    xp = backend.xp
    check_reduction(reduction)
    k = check_positive_int(k, name="k")
    x, positive, _, bad_labels = hard_label_sets(xp, backend, logits, labels, None, axis)
    num_classes = x.shape[-1]
    if k > num_classes:
        raise ValueError(
            f"mlcloss: k={k} exceeds the number of classes {num_classes} along axis {axis}"
        )
    # the loss is unchanged by a common shift of the logits (and θ): shifting by the row's max
    # keeps log Z_k and the positives' sum small, so their difference keeps its digits
    shift = backend.stop_gradient(masked_max(xp, x, xp.isfinite(x)))
    x = x - shift
    count = xp.sum(xp.astype(positive, x.dtype), axis=-1)
    chosen = xp.sum(xp.where(positive, x, 0.0), axis=-1)
    log_z = log_elementary_symmetric(xp, backend, x, k)

    if not variable:
        bad_count = check_values(
            xp,
            backend,
            lambda: count != k,
            name="labels",
            expected=f"exactly k={k} positives per row",
        )
        loss = log_z[..., k] - chosen
    else:
        theta = _threshold(xp, threshold, count) - shift[..., 0]
        bad_count = check_values(
            xp,
            backend,
            lambda: count > k,
            name="labels",
            expected=f"at most k={k} positives per row",
        )
        places = xp.arange(k, -1, -1, dtype=x.dtype, device=device(x))  # K - j for j = 0..K
        total = masked_logsumexp(xp, backend, log_z + places * theta[..., None])
        loss = total - (chosen + (k - count) * theta)
    loss = poison_rows(xp, poison_rows(xp, loss, bad_labels), bad_count)
    return reduce(xp, loss, reduction, sample_weight=sample_weight)


def log_elementary_symmetric(xp, backend, x, degree: int):
    r"""log Z_j(e^x) for j = 0..``degree`` along the last axis: ``[..., degree + 1]``.

    Each class is the polynomial :math:`1 + e^{x_c} t` (log coefficients
    ``[0, x_c]``); neighbouring polynomials are multiplied in log space until
    one is left, each product truncated at ``degree``, so a polynomial of
    level l holds :math:`\min(2^l, \mathrm{degree}) + 1` coefficients. A
    product's coefficient d is :math:`\operatorname{LSE}_i (a_i + b_{d-i})`:
    one ``take`` lays out :math:`b_{d-i}` as a ``[d, i]`` matrix (−∞ where
    d − i is out of range), so each level is a handful of operations of
    fixed shapes.
    """
    polys = xp.stack([xp.zeros_like(x), x], axis=-1)  # [..., C, 2]
    while polys.shape[-2] > 1:
        width = polys.shape[-1]
        if polys.shape[-2] % 2:  # pair the odd one out with the polynomial 1
            identity = xp.concat(
                [xp.zeros_like(polys[..., :1, :1]), xp.full_like(polys[..., :1, 1:], _NEG_INF)],
                axis=-1,
            )
            polys = xp.concat([polys, identity], axis=-2)
        product = min(2 * width - 1, degree + 1)
        # b_{d-i} at [d, i]; index `width` points at an appended -inf coefficient
        skew = [
            d - i if 0 <= d - i < width else width for d in range(product) for i in range(width)
        ]
        a, b = polys[..., 0::2, :], polys[..., 1::2, :]
        b = xp.concat([b, xp.full_like(b[..., :1], _NEG_INF)], axis=-1)
        shifted = xp.take(b, xp.asarray(skew, device=device(x)), axis=-1)
        shifted = xp.reshape(shifted, (*_dims(shifted.shape[:-1]), product, width))
        polys = masked_logsumexp(xp, backend, shifted + a[..., None, :])
    return polys[..., 0, :]


def _dims(shape):
    """A shape for reshape: one unknown (symbolic) dimension becomes -1."""
    return tuple(-1 if d is None else d for d in shape)


def _threshold(xp, threshold, rows):
    """θ as an array over the rows (``rows``: the per-row count, for shape and dtype)."""
    if isinstance(threshold, numbers.Real) and not isinstance(threshold, bool):  # NumPy's too
        return xp.full_like(rows, check_number(threshold, name="threshold"))
    check_broadcastable(threshold, rows.shape, name="threshold", target="the rows")
    return broadcast_like(xp, cast(xp, threshold, rows.dtype), rows)
