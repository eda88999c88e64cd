r"""Multiclass margins, one loss per row: the scores of the true class against the others.

Crammer–Singer's hinge (optax's ``multiclass_hinge_loss``) and the multiclass
perceptron penalise the best wrong class; Weston–Watkins's hinge (torch's
``multi_margin_loss``) every wrong class; Keras's categorical hinge the best
wrong score against the true one on one-hot labels; torch's
``multilabel_soft_margin_loss`` is the per-row mean of sigmoid cross-entropy.
The hinges' gradients come from autodiff of the value (a max and a sum:
nothing for a closed form to save); the sparsemax loss, a Fenchel–Young loss,
has the closed form :math:`\operatorname{sparsemax}(s) - e_y`.
"""

from __future__ import annotations

import math

from .._compat import device
from .._lib.arguments import check_number, poison_options, weight_array
from .._lib.dtypes import cast, compute_dtype
from .._lib.elementwise import check_unit_interval
from .._lib.gradients import Rows, per_row, reduced
from .._lib.label_sets import dense_rows, index_rows
from .._lib.reduce import check_reduction, count_where, reduce
from .._lib.registry import declare
from .._lib.shapes import class_axis_last
from .._lib.validate import (
    check_index_dtype,
    check_values,
    normalize_axis,
    poison_rows,
)
from ..backends import Inputs

__all__ = [
    "categorical_hinge_loss",
    "multi_margin_loss",
    "multiclass_hinge_loss",
    "multiclass_perceptron_loss",
    "multiclass_sparsemax_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
]

_SCORES_LABELS = Inputs("scores", "labels")
_SCORES_LABELS_MARGIN = Inputs("scores", "labels", optional=("margin",))
_SCORES_LABELS_WEIGHTS_MARGIN = Inputs("scores", "labels", optional=("class_weights", "margin"))
_LOGITS_LABELS_WEIGHTS_WHERE = Inputs("logits", "labels", optional=("class_weights", "where"))


def _true_score(xp, x, hot):
    """:math:`s_y`, each row's score of its class (a ``where``, so an infinite score of
    another class is never multiplied by 0)."""
    return xp.sum(xp.where(hot, x, 0.0), axis=-1)


@declare(
    kind="class-set",
    labels="index",
    closed_form=False,
    peers={"optax": "optax.losses.multiclass_hinge_loss"},
    timed_against={"jax": lambda m, x, t: m.optax.losses.multiclass_hinge_loss(x, t)},
    cases=lambda ex: {
        "multiclass-hinge": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            expected=ex.oracles.multiclass_hinge(ex.LOGITS, ex.CLASS_ALL),
        ),
        "multiclass-hinge-margin": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            margin=0.4,
            expected=ex.oracles.multiclass_hinge(ex.LOGITS, ex.CLASS_ALL, margin=0.4),
        ),
    },
    bench=lambda b: (b.logits, b.index, {}),
)
def multiclass_hinge_loss(
    scores, labels, /, *, margin=1.0, axis=-1, sample_weight=None, reduction="mean"
):
    r"""Crammer–Singer multiclass hinge: the best wrong class must trail the true one by ``margin``.

    With scores :math:`s` (``scores``) over the classes of ``axis``, the
    true class :math:`y` (``labels``) and margin :math:`m`, each row's loss
    is

    .. math::

        L = \max_j \bigl(s_j + m\,[j \ne y]\bigr) - s_y
          = \max\bigl(0,\ m + \max_{j \ne y} s_j - s_y\bigr),

    whose gradient is :math:`+1` on the best wrong class and :math:`-1` on
    the true one while the margin is violated, 0 otherwise. The same numbers
    as ``optax.losses.multiclass_hinge_loss`` (its margin is 1);
    :func:`multiclass_perceptron_loss` is ``margin=0``, and
    :func:`multi_margin_loss` penalises every wrong class instead of the best.

    Parameters
    ----------
    scores : array ``[..., C, ...]``
        Real scores :math:`s`, one per class along ``axis``; 16-bit scores
        are computed in float32.
    labels : integer array, the shape of ``scores`` without ``axis``
        The true class :math:`y` of each row, in ``[0, C)``.
    margin : float or 0-d array
        :math:`m`, the lead the true class needs (default 1); a 0-d array may
        be traced.
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``scores.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 scores, float64 for float64 scores.

    References
    ----------
    Crammer & Singer, "On the Algorithmic Implementation of Multiclass
    Kernel-based Vector Machines", JMLR 2, 2001.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5]])
    >>> mlcloss.multiclass_hinge_loss(scores, np.array([0, 2]), reduction="none")
    array([0.5, 3.5])
    """
    backend, (scores, labels, margin) = _SCORES_LABELS_MARGIN(scores, labels, margin)
    return _crammer_singer(
        backend, scores, labels, margin, axis, reduction, sample_weight=sample_weight
    )


def _crammer_singer(backend, scores, labels, margin, axis, reduction, *, sample_weight):
    """max(0, max_{j≠y} s_j − s_y + m) per row, reduced: the difference taken before the
    margin is added, so a common offset of the scores (1e8 in float32) cannot round the
    margin away; one pass over the scores (a ``where`` and a ``max``), the rest per row."""
    xp = backend.xp
    check_reduction(reduction)
    x, t, bad = index_rows(xp, backend, scores, labels, axis)
    hot = t > 0
    margin = check_number(margin, name="margin", backend=backend, like=scores, dtype=x.dtype)
    rival = xp.max(xp.where(hot, -math.inf, x), axis=-1)  # the best other class (-inf if none)
    violation = (rival - _true_score(xp, x, hot)) + margin
    loss = xp.where(violation > 0, violation, 0.0)
    return reduce(
        xp,
        poison_rows(xp, loss, poison_options(xp, backend, bad, margin)),
        reduction,
        sample_weight=sample_weight,
    )


@declare(
    kind="class-set",
    labels="index",
    closed_form=False,
    peers={"optax": "optax.losses.multiclass_perceptron_loss"},
    timed_against={"jax": lambda m, x, t: m.optax.losses.multiclass_perceptron_loss(x, t)},
    cases=lambda ex: {
        "multiclass-perceptron": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            expected=ex.oracles.multiclass_hinge(ex.LOGITS, ex.CLASS_ALL, margin=0.0),
        )
    },
    bench=lambda b: (b.logits, b.index, {}),
)
def multiclass_perceptron_loss(scores, labels, /, *, axis=-1, sample_weight=None, reduction="mean"):
    r"""Multiclass perceptron loss :math:`\max_j s_j - s_y`: how far the true class trails the best.

    With scores :math:`s` (``scores``) over the classes of ``axis`` and the
    true class :math:`y` (``labels``), each row's loss is

    .. math::

        L = \max_j s_j - s_y \;\ge 0,

    zero exactly when the true class scores highest; its gradient is
    :math:`+1` on the best class and :math:`-1` on the true one (Collins's
    structured perceptron update). The same numbers as
    ``optax.losses.multiclass_perceptron_loss``; :func:`multiclass_hinge_loss`
    with ``margin=0``.

    Parameters
    ----------
    scores : array ``[..., C, ...]``
        Real scores :math:`s`, one per class along ``axis``; 16-bit scores
        are computed in float32.
    labels : integer array, the shape of ``scores`` without ``axis``
        The true class :math:`y` of each row, in ``[0, C)``.
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``scores.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 scores, float64 for float64 scores.

    References
    ----------
    Collins, "Discriminative Training Methods for Hidden Markov Models:
    Theory and Experiments with Perceptron Algorithms", EMNLP 2002.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5]])
    >>> mlcloss.multiclass_perceptron_loss(scores, np.array([0, 2]), reduction="none")
    array([0. , 2.5])
    """
    backend, (scores, labels) = _SCORES_LABELS(scores, labels)
    return _crammer_singer(
        backend, scores, labels, 0.0, axis, reduction, sample_weight=sample_weight
    )


@declare(
    kind="class-set",
    labels="index",
    arrays=("class_weights",),
    closed_form=False,
    peers={"torch": "torch.nn.functional.multi_margin_loss"},
    cases=lambda ex: {
        "multi-margin": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            expected=ex.oracles.multi_margin(ex.LOGITS, ex.CLASS_ALL),
        ),
        "multi-margin-squared-weighted": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            p=2,
            margin=1.5,
            class_weights=ex.CLASS_W,
            expected=ex.oracles.multi_margin(
                ex.LOGITS, ex.CLASS_ALL, p=2, margin=1.5, class_weights=ex.CLASS_W
            ),
        ),
    },
    bench=lambda b: (b.logits, b.index, {}),
    timed_against={"torch": lambda m, x, t: m.F.multi_margin_loss(x, t)},
)
def multi_margin_loss(
    scores,
    labels,
    /,
    *,
    p=1,
    margin=1.0,
    class_weights=None,
    axis=-1,
    sample_weight=None,
    reduction="mean",
):
    r"""Weston–Watkins multiclass hinge: every wrong class must trail the true one by ``margin``.

    With scores :math:`s` (``scores``) over the :math:`C` classes of
    ``axis``, the true class :math:`y` (``labels``), margin :math:`m`,
    power :math:`p` and class weights :math:`w` (``class_weights``, 1
    without), each row's loss is

    .. math::

        L = \frac{w_y}{C} \sum_{j \ne y} \max\bigl(0,\ m - s_y + s_j\bigr)^p,

    ``torch.nn.functional.multi_margin_loss``, number for number (its
    ``"mean"`` averages the rows, whatever the weights). Unlike
    :func:`multiclass_hinge_loss`, every wrong class within the margin
    costs, not only the best one.

    Parameters
    ----------
    scores : array ``[..., C, ...]``
        Real scores :math:`s`, one per class along ``axis``; 16-bit scores
        are computed in float32.
    labels : integer array, the shape of ``scores`` without ``axis``
        The true class :math:`y` of each row, in ``[0, C)``.
    p : {1, 2}
        The power of each hinge: 1 (torch's default) or 2 (squared).
    margin : float or 0-d array
        :math:`m` (default 1); a 0-d array may be traced.
    class_weights : array ``[C]`` or list, optional
        :math:`w`, a weight per class, applied by each row's true class.
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``scores.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 scores, float64 for float64 scores.

    References
    ----------
    Weston & Watkins, "Support Vector Machines for Multi-Class Pattern
    Recognition", ESANN 1999.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5]])
    >>> mlcloss.multi_margin_loss(scores, np.array([0, 2]), reduction="none").round(4)
    array([0.1667, 1.3333])
    """
    backend, (scores, labels, class_weights, margin) = _SCORES_LABELS_WEIGHTS_MARGIN(
        scores, labels, class_weights, margin
    )
    xp = backend.xp
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"mlcloss: p must be 1 or 2, received {p!r}")
    check_reduction(reduction)
    x, t, bad = index_rows(xp, backend, scores, labels, axis)
    hot = t > 0
    margin = check_number(margin, name="margin", backend=backend, like=scores, dtype=x.dtype)
    violation = (x - _true_score(xp, x, hot)[..., None]) + margin  # the difference first
    hinge = xp.where(hot | (violation <= 0), 0.0, violation)
    loss = xp.sum(hinge if p == 1 else hinge * hinge, axis=-1) / x.shape[-1]
    if class_weights is not None:
        weights = weight_array(
            xp, class_weights, name="class_weights", like=x, dtype=x.dtype, per_class_axis=-1
        )
        loss = loss * xp.sum(xp.where(hot, weights, 0.0), axis=-1)
    return reduce(
        xp,
        poison_rows(xp, loss, poison_options(xp, backend, bad, margin)),
        reduction,
        sample_weight=sample_weight,
    )


@declare(
    kind="class-set",
    closed_form=False,
    peers={"keras": "keras.losses.CategoricalHinge"},
    timed_against={"tensorflow": lambda m, x, t: m.keras.losses.categorical_hinge(t, x)},
    cases=lambda ex: {
        "categorical-hinge": ex.case(
            ex.LOGITS,
            ex.oracles.one_hot(ex.CLASS_ALL, 6),
            expected=ex.oracles.categorical_hinge(ex.LOGITS, ex.oracles.one_hot(ex.CLASS_ALL, 6)),
        )
    },
    bench=lambda b: (b.logits, b.exactly(1), {}),
)
def categorical_hinge_loss(scores, labels, /, *, axis=-1, sample_weight=None, reduction="mean"):
    r"""Keras's categorical hinge: the best score off the labels against the score on them.

    With scores :math:`s` (``scores``) and labels :math:`t` (``labels``,
    one-hot or soft) over the classes of ``axis``, each row's loss is

    .. math::

        L = \max\Bigl(0,\ 1 + \max_j (1 - t_j)\, s_j - \sum_j t_j\, s_j\Bigr),

    Keras 3's ``CategoricalHinge``, number for number. As in Keras, the
    true class enters the max as :math:`0 \cdot s_y = 0`, so the best wrong
    score counts as at least 0: a row whose wrong scores are all negative
    costs :math:`\max(0, 1 - s_y)`. For the textbook Crammer–Singer hinge
    on class indices use :func:`multiclass_hinge_loss`.

    Parameters
    ----------
    scores : array ``[..., C, ...]``
        Real scores :math:`s` along ``axis``; 16-bit scores are computed in
        float32.
    labels : array, the shape of ``scores``
        :math:`t`, one-hot (bool, integer or floating) or soft labels, cast
        to the compute dtype.
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``scores.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 scores, float64 for float64 scores.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[2.0, 1.5, -1.0], [-2.0, -3.0, 0.5]])
    >>> one_hot = np.array([[1, 0, 0], [0, 0, 1]])
    >>> mlcloss.categorical_hinge_loss(scores, one_hot, reduction="none")
    array([0.5, 0.5])
    """
    backend, (scores, labels) = _SCORES_LABELS(scores, labels)
    xp = backend.xp
    check_reduction(reduction)
    x, t, _, _ = dense_rows(xp, scores, labels, None, axis, names=("scores", "labels"))
    violation = (xp.max((1 - t) * x, axis=-1) - xp.sum(t * x, axis=-1)) + 1  # difference first
    return reduce(
        xp, xp.where(violation > 0, violation, 0.0), reduction, sample_weight=sample_weight
    )


@declare(
    kind="class-set",
    arrays=("class_weights",),
    closed_form=False,
    peers={"torch": "torch.nn.functional.multilabel_soft_margin_loss"},
    cases=lambda ex: {
        "multilabel-soft-margin": ex.case(
            ex.LOGITS,
            ex.HARD,
            class_weights=ex.CLASS_W,
            expected=ex.oracles.multilabel_soft_margin(ex.LOGITS, ex.HARD, ex.CLASS_W),
        ),
        "multilabel-soft-margin-where": ex.case(
            ex.LOGITS,
            ex.SOFT,
            where=ex.WHERE,
            expected=ex.oracles.multilabel_soft_margin(ex.LOGITS, ex.SOFT, where=ex.WHERE),
            count=int(ex.WHERE.any(axis=-1).sum()),
        ),
    },
    bench=lambda b: (b.logits, b.multi_hot_float, {}),
    timed_against={"torch": lambda m, x, t: m.F.multilabel_soft_margin_loss(x, t)},
)
def multilabel_soft_margin_loss(
    logits,
    labels,
    /,
    *,
    class_weights=None,
    axis=-1,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""torch's multi-label soft margin: sigmoid cross-entropy averaged over each row's classes.

    With logits :math:`x` (``logits``), labels :math:`t \in [0, 1]`
    (``labels``) and class weights :math:`w` (``class_weights``, 1 without)
    over the :math:`C` classes of ``axis``, each row's loss is

    .. math::

        L = \frac{1}{C} \sum_c w_c \bigl(t_c \operatorname{softplus}(-x_c)
            + (1 - t_c) \operatorname{softplus}(x_c)\bigr),

    ``torch.nn.functional.multilabel_soft_margin_loss``, number for number:
    :func:`sigmoid_cross_entropy` reduced per row (softplus computed stably,
    so a logit of ±1e4 is exact). With ``where``, :math:`C` counts the
    classes kept in the row; a row with none costs 0 and leaves the mean.

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        Real logits :math:`x` along ``axis``; 16-bit logits are computed in
        float32.
    labels : array, the shape of ``logits``
        :math:`t`, 0/1 (bool, integer or floating) or soft labels in [0, 1].
    class_weights : array ``[C]`` or list, optional
        :math:`w`, a weight per class.
    axis : int
        The class axis (default -1, the last).
    where : bool array broadcastable to ``logits``, optional
        False removes a class from its row's sum and from the row's :math:`C`.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them over the rows with a class.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``logits.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, -1.0, 0.0], [0.5, 0.5, -3.0]])
    >>> labels = np.array([[1, 0, 1], [0, 1, 0]])
    >>> mlcloss.multilabel_soft_margin_loss(logits, labels, reduction="none").round(4)
    array([0.3778, 0.4989])
    """
    backend, (logits, labels, class_weights, where) = _LOGITS_LABELS_WEIGHTS_WHERE(
        logits, labels, class_weights, where
    )
    xp = backend.xp
    check_reduction(reduction)
    x, t, valid, _ = dense_rows(xp, logits, labels, where, axis)
    dtype = x.dtype
    bad = check_unit_interval(xp, backend, t, valid, name="labels", expected="labels in [0, 1]")
    if bad is not None:
        bad = xp.any(bad, axis=-1)
    if valid is not None:
        x = xp.where(valid, x, 0.0)
    terms = t * backend.softplus(-x) + (1 - t) * backend.softplus(x)
    if class_weights is not None:
        terms = terms * weight_array(
            xp, class_weights, name="class_weights", like=x, dtype=dtype, per_class_axis=-1
        )
    if valid is None:
        return reduce(
            xp,
            poison_rows(xp, xp.sum(terms, axis=-1) / x.shape[-1], bad),
            reduction,
            sample_weight=sample_weight,
        )
    classes = xp.sum(xp.astype(valid, dtype), axis=-1)
    rows = xp.sum(xp.where(valid, terms, 0.0), axis=-1) / xp.where(classes > 0, classes, 1.0)
    count = count_where(xp, classes > 0, dtype)
    return reduce(
        xp, poison_rows(xp, rows, bad), reduction, count=count, sample_weight=sample_weight
    )


@declare(
    kind="class-set",
    labels="index",
    peers={"optax": "optax.losses.multiclass_sparsemax_loss"},
    timed_against={"jax": lambda m, x, t: m.optax.losses.multiclass_sparsemax_loss(x, t)},
    cases=lambda ex: {
        "multiclass-sparsemax": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            expected=ex.oracles.multiclass_sparsemax(ex.LOGITS, ex.CLASS_ALL),
        )
    },
    bench=lambda b: (b.logits, b.index, {}),
)
def multiclass_sparsemax_loss(scores, labels, /, *, axis=-1, sample_weight=None, reduction="mean"):
    r"""Sparsemax loss: the Fenchel–Young loss of sparsemax, whose gradient is :math:`\operatorname{sparsemax}(s) - e_y`.

    With scores :math:`s` (``scores``) over the classes of ``axis``, the
    true class :math:`y` (``labels``) and :math:`p =
    \operatorname{sparsemax}(s)`, the Euclidean projection of :math:`s` onto
    the probability simplex (:math:`p_c = \max(s_c - τ, 0)`, with τ making
    :math:`p` sum to 1), each row's loss is

    .. math::

        L = \sum_c p_c (s_c - s_y) + \tfrac12 \bigl(1 - \lVert p\rVert^2\bigr) \ge 0,
        \qquad \frac{∂L}{∂s} = p - e_y:

    softmax cross-entropy with sparsemax in place of softmax (Martins &
    Astudillo, 2016): 0 once the true class leads every other by at least
    1, where :math:`p = e_y` exactly. The same numbers as
    ``optax.losses.multiclass_sparsemax_loss``. The threshold is
    :math:`τ = \max_k (\sum_{j \le k} u_j - 1)/k` over the scores sorted
    in decreasing order :math:`u` (shifted by their maximum first, so a
    score of 1e8 loses nothing), and the closed-form gradient is installed
    on every framework.

    Parameters
    ----------
    scores : array ``[..., C, ...]``
        Real scores :math:`s` along ``axis``; 16-bit scores are computed in
        float32.
    labels : integer array, the shape of ``scores`` without ``axis``
        The true class :math:`y` of each row, in ``[0, C)``.
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``scores.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 scores, float64 for float64 scores.

    References
    ----------
    Martins & Astudillo, "From Softmax to Sparsemax: A Sparse Model of
    Attention and Multi-Label Classification", ICML 2016; Blondel, Martins &
    Niculae, "Learning with Fenchel-Young Losses", JMLR 21, 2020.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[2.0, 0.5, -1.0], [0.2, 0.0, 0.1]])
    >>> mlcloss.multiclass_sparsemax_loss(scores, np.array([0, 1]), reduction="none").round(4)
    array([0.    , 0.4433])
    """
    backend, (scores, labels) = _SCORES_LABELS(scores, labels)
    xp = backend.xp
    check_reduction(reduction)
    _, t, bad = index_rows(xp, backend, scores, labels, axis)
    return reduced(
        xp,
        backend,
        _SPARSEMAX_ROWS,
        scores,
        {"t": t},
        axis=axis,
        reduction=reduction,
        bad=bad,
        sample_weight=sample_weight,
    )


def _sparsemax(xp, x):
    """max(x − τ, 0), τ = max_k (Σ_{j≤k} u_j − 1)/k over u, x shifted by its max and sorted in
    decreasing order (the largest candidate is the threshold)."""
    z = x - xp.max(x, axis=-1, keepdims=True)
    u = xp.sort(z, axis=-1, descending=True)
    k = xp.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=device(x))
    tau = xp.max((xp.cumulative_sum(u, axis=-1) - 1) / k, axis=-1, keepdims=True)
    return xp.where(z > tau, z - tau, 0.0)


def _sparsemax_values(xp, backend, x, t):
    """Σ_c p_c (s_c − s_y) + ½ (1 − ‖p‖²), saving p for the gradient."""
    p = _sparsemax(xp, x)
    shifted = x - _true_score(xp, x, t > 0)[..., None]
    lead = xp.sum(xp.where(p > 0, p * shifted, 0.0), axis=-1)
    return lead + 0.5 * (1 - xp.sum(p * p, axis=-1)), (p,)


def _sparsemax_gradient(xp, backend, x, saved, g, t):
    """(p − e_y) g."""
    (p,) = saved
    return (p - t) * per_row(g)


_SPARSEMAX_ROWS = Rows(_sparsemax_values, _sparsemax_gradient)


@declare(
    kind="class-set",
    labels="index",
    closed_form=False,
    peers={"torch": "torch.nn.functional.multilabel_margin_loss"},
    cases=lambda ex: {
        "multilabel-margin": ex.case(
            ex.LOGITS,
            ex.oracles.index_lists(ex.INDEX, 6),
            expected=ex.oracles.multilabel_margin(ex.LOGITS, ex.oracles.index_lists(ex.INDEX, 6)),
        )
    },
    bench=lambda b: (b.logits[:, :64], b.index_lists(min(64, b.classes)), {}),  # O(C²) a row
    timed_against={"torch": lambda m, x, t: m.F.multilabel_margin_loss(x, t)},
)
def multilabel_margin_loss(scores, labels, /, *, axis=-1, sample_weight=None, reduction="mean"):
    r"""torch's multi-label margin loss: every listed class must beat every unlisted one by 1.

    With scores :math:`s` (``scores``) over the :math:`C` classes of
    ``axis`` and each row's target classes :math:`y_1, …, y_K` (``labels``:
    class indices, the list ended by the first −1), each row's loss is

    .. math::

        L = \frac{1}{C} \sum_{k} \sum_{i \notin \{y\}}
            \max\bigl(0,\ 1 - (s_{y_k} - s_i)\bigr),

    ``torch.nn.functional.multilabel_margin_loss``, number for number: a
    class listed twice counts twice, as in torch, and everything after the
    first −1 is ignored. For 0/1 labels the smooth alternatives are
    :func:`multilabel_categorical_crossentropy` and
    :func:`multilabel_soft_margin_loss`. It compares every listed class
    with every class, :math:`O(C^2)` per row in time as torch's, and here in
    memory too (a ``[..., C, C]`` block): meant for tens to hundreds of
    classes; for thousands use :func:`multilabel_categorical_crossentropy`.

    Parameters
    ----------
    scores : array ``[..., C, ...]``
        Real scores :math:`s` along ``axis``; 16-bit scores are computed in
        float32.
    labels : integer array, the shape of ``scores``
        Each row's target classes along ``axis``, in ``[0, C)``, then −1
        (and anything) after the last: ``[3, 0, -1, -1]`` lists classes 3
        and 0.
    axis : int
        The class axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per row, ``"sum"`` adds them and ``"mean"``
        averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per row, ``scores.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 scores, float64 for float64 scores.

    References
    ----------
    Weston, Bengio & Usunier, "Wsabie: Scaling Up to Large Vocabulary Image
    Annotation", IJCAI 2011 (the pairwise multi-label hinge).

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> scores = np.array([[0.1, 0.2, 0.4, 0.8]])
    >>> mlcloss.multilabel_margin_loss(scores, np.array([[3, 0, -1, 1]]), reduction="none")
    array([0.85])
    """
    backend, (scores, labels) = _SCORES_LABELS(scores, labels)
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, scores, "scores")
    axis = normalize_axis(axis, scores.ndim)
    check_index_dtype(xp, labels)
    if tuple(labels.shape) != tuple(scores.shape):
        raise ValueError(
            f"mlcloss: labels must have the shape of scores {tuple(scores.shape)} (class "
            f"indices ended by -1), received {tuple(labels.shape)}"
        )
    x = class_axis_last(xp, cast(xp, scores, dtype), axis)
    lists = class_axis_last(xp, labels, axis)
    classes = x.shape[-1]
    position = xp.arange(classes, dtype=lists.dtype, device=device(x))
    # each row's list ends at its first negative entry
    end = xp.min(xp.where(lists < 0, position, classes), axis=-1, keepdims=True)
    listed = position < end
    bad = check_values(
        xp, backend, lambda: xp.any(listed & (lists >= classes), axis=-1), name="labels",
        expected=f"class indices in [0, {classes}) ended by -1",
    )  # fmt: skip
    index = backend.as_index(xp.where(listed & (lists < classes), lists, 0))
    target = backend.multi_hot(index, listed, classes)
    listed_scores = backend.take_along_last_axis(x, index)  # s_{y_k}, [..., C]
    margins = (x[..., None, :] - listed_scores[..., :, None]) + 1  # [..., k, i], difference first
    counted = listed[..., :, None] & ~target[..., None, :]
    loss = xp.sum(xp.where(counted & (margins > 0), margins, 0.0), axis=(-2, -1)) / classes
    return reduce(xp, poison_rows(xp, loss, bad), reduction, sample_weight=sample_weight)
