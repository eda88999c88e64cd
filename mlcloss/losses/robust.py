r"""Cross-entropies reshaped: Poly-1's extra polynomial term and the noise-robust generalized CE.

Both are functions of the softmax :math:`p = \operatorname{softmax}(s)` of
the logits; each :math:`1 - p_c` they need is the sum of the other classes'
probabilities, never 1 minus a rounded :math:`p_c`, so a confident
prediction keeps full relative precision.
"""

from __future__ import annotations

from .._lib.arguments import check_number, poison_options
from .._lib.label_sets import dense_rows, index_rows
from .._lib.reduce import check_reduction, count_where, reduce
from .._lib.registry import declare
from .._lib.stable import masked_log_softmax, masked_softmax
from .._lib.validate import (
    check_values,
    poison_rows,
)
from ..backends import Inputs

__all__ = ["generalized_cross_entropy", "poly1_cross_entropy"]

_LOGITS_LABELS_WHERE_EPSILON = Inputs("logits", "labels", optional=("where", "epsilon"))
_LOGITS_LABELS_Q = Inputs("logits", "labels", optional=("q",))


@declare(
    kind="class-set",
    closed_form=False,
    peers={"optax": "optax.losses.poly_loss_cross_entropy"},
    cases=lambda ex: {
        "poly1": ex.case(
            ex.LOGITS, ex.PROBS, expected=ex.oracles.poly1(ex.LOGITS, ex.PROBS, epsilon=2.0)
        ),
        "poly1-where": ex.case(
            ex.LOGITS,
            ex.oracles.one_hot(ex.CLASS_ALL, 6),
            where=ex.WHERE_CLASS,
            epsilon=-0.5,
            expected=ex.oracles.poly1(
                ex.LOGITS, ex.oracles.one_hot(ex.CLASS_ALL, 6), epsilon=-0.5, where=ex.WHERE_CLASS
            ),
        ),
    },
    bench=lambda b: (b.logits, b.probs, {}),
    timed_against={"jax": lambda m, x, t: m.optax.losses.poly_loss_cross_entropy(x, t)},
)
def poly1_cross_entropy(
    logits, labels, /, *, epsilon=2.0, axis=-1, where=None, sample_weight=None, reduction="mean"
):
    r"""Poly-1 loss: softmax cross-entropy plus :math:`ε\,(1 - p_t)`.

    With :math:`p = \operatorname{softmax}(s)` of the logits :math:`s`
    (``logits``) over the classes of ``axis``, target probabilities
    :math:`t` (``labels``) and :math:`ε` = ``epsilon``, each row's loss is

    .. math::

        L = -\sum_c t_c \log p_c + ε \sum_c t_c (1 - p_c),

    the first two terms of cross-entropy's expansion in powers of
    :math:`1 - p_t`, the first one's weight moved by :math:`ε` (Leng et al.,
    2022): :math:`ε > 0` keeps pushing confident examples, :math:`ε < 0`
    relaxes them. The same numbers as ``optax.losses.poly_loss_cross_entropy``
    (``where`` as optax's: a class left out leaves the softmax too). The
    polynomial term is computed as :math:`\sum_j p_j (T - t_j)`,
    :math:`T = \sum_c t_c`, a sum of non-negative terms, so a confident
    row keeps full relative precision where :math:`1 - p_t` would cancel.

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        Unnormalised scores :math:`s` along ``axis``; real floating (16-bit
        logits are computed in float32).
    labels : floating array, the shape of ``logits``
        The target distribution :math:`t` of each row (one-hot or soft).
    epsilon : float or 0-d array
        :math:`ε`, the weight of the polynomial term (default 2, the paper's
        and optax's); any real, a 0-d array may be traced.
    axis : int
        The class axis (default -1, the last).
    where : bool array broadcastable to ``logits``, optional
        False removes a class from its row's softmax and sums; a row with no
        class left costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them over the rows with a class.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.

    References
    ----------
    Leng et al., "PolyLoss: A Polynomial Expansion Perspective of
    Classification Loss Functions", ICLR 2022, arXiv:2204.12511.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> one_hot = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> mlcloss.poly1_cross_entropy(logits, one_hot, reduction="none").round(4)
    array([0.4823, 2.4319])
    >>> mlcloss.poly1_cross_entropy(logits, one_hot, epsilon=0.0, reduction="none").round(4)
    array([0.1698, 1.0986])
    """
    backend, (logits, labels, where, epsilon) = _LOGITS_LABELS_WHERE_EPSILON(
        logits, labels, where, epsilon
    )
    xp = backend.xp
    check_reduction(reduction)
    if not xp.isdtype(labels.dtype, "real floating"):
        raise TypeError(
            f"mlcloss: labels must be floating target probabilities, received dtype {labels.dtype}"
        )
    x, t, valid, _ = dense_rows(xp, logits, labels, where, axis)
    dtype = x.dtype
    epsilon = check_number(epsilon, name="epsilon", backend=backend, like=logits, dtype=dtype)
    bad = check_values(
        xp, backend, lambda: xp.any(~((t >= 0) & (t <= 1)), axis=-1), name="labels",
        expected="probabilities in [0, 1]",
    )  # fmt: skip
    log_p = masked_log_softmax(xp, backend, x, where=valid)
    kept = t > 0 if valid is None else (t > 0) & valid
    # each term where t > 0 only: a left-out class's log p = −inf never meets its t = 0
    cross_entropy = -xp.sum(xp.where(kept, t * xp.where(kept, log_p, 0.0), 0.0), axis=-1)
    one_minus_pt = _mass_off_labels(xp, backend, x, t, valid)
    loss = cross_entropy + epsilon * one_minus_pt
    count = None if valid is None else count_where(xp, xp.any(valid, axis=-1), dtype)
    loss = poison_rows(xp, loss, poison_options(xp, backend, bad, epsilon))
    return reduce(xp, loss, reduction, count=count, sample_weight=sample_weight)


@declare(
    kind="class-set",
    labels="index",
    closed_form=False,
    peers={"keras": "keras.losses.CategoricalGeneralizedCrossEntropy on softmax(s)"},
    cases=lambda ex: {
        "generalized-ce": ex.case(
            ex.LOGITS, ex.CLASS_ALL, expected=ex.oracles.generalized_ce(ex.LOGITS, ex.CLASS_ALL)
        ),
        "generalized-ce-q": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            q=0.9,
            expected=ex.oracles.generalized_ce(ex.LOGITS, ex.CLASS_ALL, q=0.9),
        ),
    },
    bench=lambda b: (b.logits, b.index, {}),
)
def generalized_cross_entropy(
    logits, labels, /, *, q=0.5, axis=-1, sample_weight=None, reduction="mean"
):
    r"""Generalized cross-entropy :math:`(1 - p_y^q)/q`: between cross-entropy and MAE, robust to noise.

    With :math:`p = \operatorname{softmax}(s)` of the logits :math:`s`
    (``logits``) over the classes of ``axis``, the true class :math:`y`
    (``labels``) and :math:`q \in (0, 1]`, each row's loss is

    .. math::

        L = \frac{1 - p_y^{\,q}}{q} = -\frac{\operatorname{expm1}(q \log p_y)}{q},
        \qquad \frac{∂L}{∂s} = p_y^{\,q}\,(p - e_y),

    the negative Box–Cox transform of :math:`p_y` (Zhang & Sabuncu, 2018):
    cross-entropy as :math:`q \to 0`, the mean absolute error
    :math:`1 - p_y` at :math:`q = 1`. Its gradient is cross-entropy's
    damped by :math:`p_y^q`, so a mislabelled example the model disagrees
    with pulls less. Keras 3's ``CategoricalGeneralizedCrossEntropy`` on
    :math:`\operatorname{softmax}(s)`; computed with ``expm1`` from
    :math:`\log p_y`, which for :math:`p_y > ½` is
    :math:`\operatorname{log1p}(-\sum_{j \ne y} p_j)`, so it keeps full
    precision where :math:`p_y` is near 1 and Keras's :math:`1 - p^q`
    cancels.

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        Unnormalised scores :math:`s` along ``axis``; real floating (16-bit
        logits are computed in float32).
    labels : integer array, the shape of ``logits`` without ``axis``
        The true class :math:`y` of each row, in ``[0, C)``.
    q : float in (0, 1], or 0-d array
        :math:`q` (default 0.5, Keras's); a 0-d array may be traced.
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.

    References
    ----------
    Zhang & Sabuncu, "Generalized Cross Entropy Loss for Training Deep
    Neural Networks with Noisy Labels", NeurIPS 2018, arXiv:1805.07836.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> mlcloss.generalized_cross_entropy(logits, np.array([0, 1]), reduction="none").round(4)
    array([0.1628, 0.8453])
    >>> mlcloss.generalized_cross_entropy(logits, np.array([0, 1]), q=1.0, reduction="none").round(4)
    array([0.1562, 0.6667])
    """
    backend, (logits, labels, q) = _LOGITS_LABELS_Q(logits, labels, q)
    xp = backend.xp
    check_reduction(reduction)
    x, t, bad = index_rows(xp, backend, logits, labels, axis, name="logits")
    q = check_number(
        q, name="q", low=0.0, low_open=True, high=1.0, backend=backend, like=logits, dtype=x.dtype
    )
    log_p = masked_log_softmax(xp, backend, x)
    picked = xp.sum(xp.where(t > 0, log_p, 0.0), axis=-1)
    rest = _mass_off_labels(xp, backend, x, t, None)  # 1 − p_y, a sum of the others: exact
    # p_y > ½: log p_y = log1p(−(1 − p_y)), exact where the log-softmax rounds toward 0
    log_p_true = xp.where(rest < 0.5, xp.log1p(-xp.where(rest < 0.5, rest, 0.0)), picked)
    loss = -xp.expm1(q * log_p_true) / q
    return reduce(
        xp,
        poison_rows(xp, loss, poison_options(xp, backend, bad, q)),
        reduction,
        sample_weight=sample_weight,
    )


def _mass_off_labels(xp, backend, x, t, valid):
    r""":math:`\sum_c t_c (1 - p_c) = \sum_j p_j (T - t_j)`, :math:`T = \sum_c t_c`, over the
    classes ``valid`` keeps: a sum of non-negative terms (for labels in [0, 1]), so it keeps
    full precision where :math:`1 - p_c` computed from a :math:`p_c` near 1 would cancel."""
    p = masked_softmax(xp, backend, x, where=valid)
    kept_t = t if valid is None else xp.where(valid, t, 0.0)
    total = xp.sum(kept_t, axis=-1, keepdims=True)
    return xp.sum(p * (total - kept_t), axis=-1)
