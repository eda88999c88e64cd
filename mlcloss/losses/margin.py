r"""Margin losses, elementwise: the hinge and its kin on ±1 labels, and the ranking hinges.

The hinge, its square, the perceptron and the soft margin score one real
number against a label of ±1; the hinge embedding scores a distance; the
sparsemax loss is the binary Fenchel–Young loss of sparsemax; the margin
ranking and pairwise hinges compare two scores.
"""

from __future__ import annotations

from .._lib.arguments import check_number, poison_options
from .._lib.dtypes import cast, compute_dtype
from .._lib.elementwise import elementwise_rows, finish, prepare, saved_slope, signed_labels
from .._lib.gradients import AUTOGRAD
from .._lib.reduce import check_reduction, reduce
from .._lib.registry import declare
from .._lib.validate import check_same_shape, check_values, poison_rows
from ..backends import Inputs

__all__ = [
    "hinge_embedding_loss",
    "hinge_loss",
    "margin_ranking_loss",
    "pairwise_hinge_loss",
    "perceptron_loss",
    "soft_margin_loss",
    "sparsemax_loss",
    "squared_hinge_loss",
]

_SCORES_LABELS_WHERE_MARGIN = Inputs("scores", "labels", optional=("where", "margin"))
_LOGITS_LABELS_WHERE = Inputs("logits", "labels", optional=("where",))
_SCORES_SCORES_LABELS_WHERE_MARGIN = Inputs(
    "scores1", "scores2", "labels", optional=("where", "margin")
)
_POSITIVE_SCORES_NEGATIVE_SCORES_MARGIN = Inputs(
    "positive_scores", "negative_scores", optional=("margin",)
)


@declare(
    kind="elementwise",
    labels="signed",
    peers={"keras": "keras.losses.Hinge"},
    cases=lambda ex: {
        "hinge": ex.case(
            ex.LOGITS,
            ex.HARD > 0,
            margin=0.5,
            expected=ex.oracles.hinge(ex.LOGITS, ex.HARD > 0, margin=0.5),
        )
    },
    bench=lambda b: (b.logits, b.multi_hot, {}),
)
def hinge_loss(scores, labels, /, *, margin=1.0, where=None, sample_weight=None, reduction="mean"):
    r"""Hinge loss :math:`\max(0, m - y\, s)` with labels :math:`y = \pm 1`, elementwise.

    With scores :math:`s` (``scores``), labels :math:`y` (``labels``) and
    margin :math:`m` (``margin``), each element's loss is

    .. math::

        L = \max(0,\, m - y\, s), \qquad
        \frac{∂L}{∂s} = -y \ \text{where}\ y s < m, \ 0 \ \text{elsewhere}:

    zero once the score is on the right side of 0 by at least the margin,
    growing linearly otherwise (the support-vector machine's loss).
    Boolean labels map True → +1 and False → −1; numeric labels must be
    −1 or +1 (0/1 labels are rejected rather than guessed: pass them as
    bool). ``"mean"`` over all elements equals Keras 3's ``Hinge`` for rows
    of equal length.

    Parameters
    ----------
    scores : array
        Real scores :math:`s` (a classifier's raw outputs, no activation),
        any shape; 16-bit scores are computed in float32.
    labels : array, the shape of ``scores``: bool, or numeric ±1
        The classes :math:`y`: True / +1 for the positive class, False / −1
        for the negative one.
    margin : float
        :math:`m`, how far beyond 0 a score must be to cost nothing (default 1).
    where : bool array broadcastable to ``scores``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``scores`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 scores,
        float64 for float64 scores.

    References
    ----------
    Cortes & Vapnik, "Support-Vector Networks", Machine Learning 20, 1995.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.hinge_loss(np.array([2.0, 0.5, -0.3]), np.array([True, True, False]),
    ...                    reduction="none")
    array([0. , 0.5, 0.7])
    >>> mlcloss.hinge_loss(np.array([2.0, 0.5, -0.3]), np.array([1, 1, -1]), reduction="sum")
    np.float64(1.2)
    """
    return _signed_margin_loss(
        _HINGE_ROWS, scores, labels, margin, where, reduction, sample_weight=sample_weight
    )


def _hinge_values(xp, backend, s, y, *, margin):
    """max(0, m − y s), and its slope ∂L/∂s: −y where the margin is violated, 0 elsewhere."""
    violation = margin - y * s
    active = violation > 0
    return xp.where(active, violation, 0.0), (xp.where(active, -y, 0.0),)


_HINGE_ROWS = elementwise_rows(_hinge_values, saved_slope)


@declare(
    kind="elementwise",
    labels="signed",
    peers={"keras": "keras.losses.SquaredHinge"},
    timed_against={"tensorflow": lambda m, x, t: m.keras.losses.squared_hinge(t, x)},
    cases=lambda ex: {
        "squared-hinge": ex.case(
            ex.LOGITS,
            ex.HARD > 0,
            where=ex.WHERE,
            expected=ex.kept(ex.oracles.hinge(ex.LOGITS, ex.HARD > 0) ** 2, ex.WHERE),
        )
    },
    bench=lambda b: (b.logits, b.multi_hot > 0, {}),
)
def squared_hinge_loss(
    scores, labels, /, *, margin=1.0, where=None, sample_weight=None, reduction="mean"
):
    r"""Squared hinge loss :math:`\max(0, m - y\, s)^2` with labels :math:`y = \pm 1`, elementwise.

    With scores :math:`s` (``scores``), labels :math:`y` (``labels``) and
    margin :math:`m` (``margin``),

    .. math::

        L = \max(0,\, m - y\, s)^2, \qquad
        \frac{∂L}{∂s} = -2\, y \max(0,\, m - y\, s):

    the hinge of :func:`hinge_loss` squared, so its gradient shrinks to 0
    as the score reaches the margin instead of jumping there (the L2-SVM's
    loss). Labels as :func:`hinge_loss`: bool, or numeric ±1. ``"mean"``
    over all elements equals Keras 3's ``SquaredHinge`` for rows of equal
    length (its class in :mod:`mlcloss.keras` also maps 0/1 labels to ±1,
    as Keras does).

    Parameters
    ----------
    scores : array
        Real scores :math:`s` (raw outputs, no activation), any shape;
        16-bit scores are computed in float32.
    labels : array, the shape of ``scores``: bool, or numeric ±1
        The classes :math:`y`: True / +1 positive, False / −1 negative.
    margin : float or 0-d array
        :math:`m` (default 1, Keras's); a 0-d array may be traced.
    where : bool array broadcastable to ``scores``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``scores`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 scores,
        float64 for float64 scores.

    References
    ----------
    Lee & Lin, "A Study on L2-Loss (Squared Hinge-Loss) Multiclass SVM",
    Neural Computation 25, 2013.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.squared_hinge_loss(np.array([2.0, 0.5, -0.3]), np.array([True, True, False]),
    ...                            reduction="none")
    array([0.  , 0.25, 0.49])
    """
    return _signed_margin_loss(
        _SQUARED_HINGE_ROWS, scores, labels, margin, where, reduction, sample_weight=sample_weight
    )


def _squared_hinge_values(xp, backend, s, y, *, margin):
    """max(0, m − y s)², and its slope −2 y max(0, m − y s)."""
    violation = margin - y * s
    hinge = xp.where(violation > 0, violation, 0.0)
    return hinge * hinge, (-2 * y * hinge,)


_SQUARED_HINGE_ROWS = elementwise_rows(_squared_hinge_values, saved_slope)


@declare(
    kind="elementwise",
    labels="signed",
    peers={"optax": "optax.losses.perceptron_loss"},
    timed_against={"jax": lambda m, x, t: m.optax.losses.perceptron_loss(x, 2.0 * t - 1)},
    cases=lambda ex: {
        "perceptron": ex.case(
            ex.LOGITS,
            ex.HARD > 0,
            expected=ex.oracles.hinge(ex.LOGITS, ex.HARD > 0, margin=0.0),
        )
    },
    bench=lambda b: (b.logits, b.multi_hot > 0, {}),
)
def perceptron_loss(scores, labels, /, *, where=None, sample_weight=None, reduction="mean"):
    r"""Perceptron loss :math:`\max(0, -y\, s)` with labels :math:`y = \pm 1`, elementwise.

    The hinge of :func:`hinge_loss` with margin 0: with scores :math:`s`
    (``scores``) and labels :math:`y` (``labels``),

    .. math::

        L = \max(0,\, -y\, s), \qquad
        \frac{∂L}{∂s} = -y \ \text{where}\ y s < 0, \ 0 \ \text{elsewhere}:

    a correctly signed score costs nothing however close to 0, so only
    mistakes move the weights (Rosenblatt's update). The same numbers as
    ``optax.losses.perceptron_loss``. Labels as :func:`hinge_loss`.

    Parameters
    ----------
    scores : array
        Real scores :math:`s`, any shape; 16-bit scores are computed in float32.
    labels : array, the shape of ``scores``: bool, or numeric ±1
        The classes :math:`y`: True / +1 positive, False / −1 negative.
    where : bool array broadcastable to ``scores``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``scores`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 scores,
        float64 for float64 scores.

    References
    ----------
    Rosenblatt, "The Perceptron: a Probabilistic Model for Information
    Storage and Organization in the Brain", Psychological Review 65, 1958.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.perceptron_loss(np.array([2.0, -0.5, -0.3]), np.array([1, 1, -1]),
    ...                         reduction="none")
    array([0. , 0.5, 0. ])
    """
    return _signed_margin_loss(
        _HINGE_ROWS, scores, labels, 0.0, where, reduction, sample_weight=sample_weight
    )


@declare(
    kind="elementwise",
    labels="signed",
    peers={"torch": "torch.nn.functional.soft_margin_loss"},
    cases=lambda ex: {
        "soft-margin": ex.case(
            ex.LOGITS,
            ex.HARD > 0,
            where=ex.WHERE,
            expected=ex.kept(ex.oracles.soft_margin(ex.LOGITS, ex.HARD > 0), ex.WHERE),
        )
    },
    bench=lambda b: (b.logits, b.multi_hot > 0, {}),
    timed_against={"torch": lambda m, x, t: m.F.soft_margin_loss(x, 2 * t.float() - 1)},
)
def soft_margin_loss(scores, labels, /, *, where=None, sample_weight=None, reduction="mean"):
    r"""Soft-margin (logistic) loss :math:`\log(1 + e^{-y s})` with labels :math:`y = \pm 1`.

    With scores :math:`s` (``scores``) and labels :math:`y` (``labels``),
    each element's loss is

    .. math::

        L = \operatorname{softplus}(-y\, s) = \log(1 + e^{-y s}), \qquad
        \frac{∂L}{∂s} = -y\, σ(-y\, s),

    the smooth hinge of logistic regression: :func:`sigmoid_cross_entropy`
    written for ±1 labels. ``torch.nn.functional.soft_margin_loss``, number
    for number; softplus is computed as :math:`\max(z, 0) +
    \log(1 + e^{-|z|})` (or the framework's own), so it is exact for any
    score where torch's is too. Labels as :func:`hinge_loss`.

    Parameters
    ----------
    scores : array
        Real scores :math:`s` (logits), any shape; 16-bit scores are
        computed in float32.
    labels : array, the shape of ``scores``: bool, or numeric ±1
        The classes :math:`y`: True / +1 positive, False / −1 negative.
    where : bool array broadcastable to ``scores``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``scores`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 scores,
        float64 for float64 scores.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.soft_margin_loss(np.array([2.0, 0.0, -0.3]), np.array([1, 1, -1]),
    ...                          reduction="none").round(4)
    array([0.1269, 0.6931, 0.5544])
    """
    return _signed_margin_loss(
        _SOFT_MARGIN_ROWS, scores, labels, _NO_MARGIN, where, reduction, sample_weight=sample_weight
    )


def _soft_margin_values(xp, backend, s, y):
    """softplus(−y s), and its slope −y σ(−y s)."""
    z = -y * s
    return backend.softplus(z), (-y * backend.sigmoid(z),)


_SOFT_MARGIN_ROWS = elementwise_rows(_soft_margin_values, saved_slope)


@declare(
    kind="elementwise",
    labels="signed",
    peers={"torch": "torch.nn.functional.hinge_embedding_loss"},
    cases=lambda ex: {
        "hinge-embedding": ex.case(
            ex.UNIT * 2,
            ex.HARD > 0,
            margin=1.2,
            where=ex.WHERE,
            expected=ex.kept(
                ex.oracles.hinge_embedding(ex.UNIT * 2, ex.HARD > 0, margin=1.2), ex.WHERE
            ),
        )
    },
    bench=lambda b: (b.logits, b.multi_hot > 0, {}),
    timed_against={"torch": lambda m, x, t: m.F.hinge_embedding_loss(x, 2 * t.float() - 1)},
)
def hinge_embedding_loss(
    distances, labels, /, *, margin=1.0, where=None, sample_weight=None, reduction="mean"
):
    r"""Hinge embedding loss: the distance of similar pairs, the hinge of dissimilar ones.

    With distances :math:`d` (``distances``, for example :math:`\lVert a -
    b\rVert` of two embeddings), labels :math:`y = \pm 1` (``labels``: +1
    for a similar pair, −1 for a dissimilar one) and margin :math:`m`,

    .. math::

        L = \begin{cases} d & y = +1 \\ \max(0,\, m - d) & y = -1 \end{cases}
        \qquad
        \frac{∂L}{∂d} = \begin{cases} 1 & y = +1 \\
        -1 \ \text{where}\ d < m,\ 0 \ \text{elsewhere} & y = -1: \end{cases}

    similar pairs are pulled together, dissimilar ones pushed at least
    :math:`m` apart (Hadsell, Chopra & LeCun's contrastive loss with the
    distance unsquared). ``torch.nn.functional.hinge_embedding_loss``,
    number for number. Labels as :func:`hinge_loss`.

    Parameters
    ----------
    distances : array
        The distances :math:`d` (or any score that should be small for
        similar pairs), any shape; 16-bit inputs are computed in float32.
    labels : array, the shape of ``distances``: bool, or numeric ±1
        True / +1 for a similar pair, False / −1 for a dissimilar one.
    margin : float or 0-d array
        :math:`m`, the distance beyond which a dissimilar pair costs
        nothing (default 1, torch's); a 0-d array may be traced.
    where : bool array broadcastable to ``distances``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``distances`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 distances,
        float64 for float64 distances.

    References
    ----------
    Hadsell, Chopra & LeCun, "Dimensionality Reduction by Learning an
    Invariant Mapping", CVPR 2006.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.hinge_embedding_loss(np.array([0.3, 0.4, 1.5]), np.array([1, -1, -1]),
    ...                              reduction="none")
    array([0.3, 0.6, 0. ])
    """
    return _signed_margin_loss(
        _HINGE_EMBEDDING_ROWS,
        distances,
        labels,
        margin,
        where,
        reduction,
        name="distances",
        sample_weight=sample_weight,
    )


def _hinge_embedding_values(xp, backend, d, y, *, margin):
    """d for y = +1, max(0, m − d) for y = −1; slope 1, or −1 inside the margin."""
    similar = y > 0
    violation = margin - d
    inside = violation > 0
    loss = xp.where(similar, d, xp.where(inside, violation, 0.0))
    return loss, (xp.where(similar, 1.0, -xp.astype(inside, d.dtype)),)


_HINGE_EMBEDDING_ROWS = elementwise_rows(_hinge_embedding_values, saved_slope)


@declare(
    kind="elementwise",
    peers={"optax": "optax.losses.sparsemax_loss"},
    timed_against={"jax": lambda m, x, t: m.optax.losses.sparsemax_loss(x, t)},
    cases=lambda ex: {
        "sparsemax": ex.case(
            ex.LOGITS,
            ex.HARD,
            where=ex.WHERE,
            expected=ex.kept(ex.oracles.sparsemax_binary(ex.LOGITS, ex.HARD), ex.WHERE),
        )
    },
    bench=lambda b: (b.logits, b.multi_hot, {}),
)
def sparsemax_loss(logits, labels, /, *, where=None, sample_weight=None, reduction="mean"):
    r"""Binary sparsemax loss: the Fenchel–Young loss of sparsemax on two classes, elementwise.

    With logits :math:`x` (``logits``), labels :math:`t \in \{0, 1\}`
    (``labels``) and :math:`z = (1 - 2t)\, x` (the logit signed against the
    label),

    .. math::

        L = \operatorname{sparse\_plus}(z) =
        \begin{cases} 0 & z \le -1 \\ (z + 1)^2 / 4 & -1 < z < 1 \\ z & z \ge 1
        \end{cases}, \qquad
        \frac{∂L}{∂x} = (1 - 2t)\, \operatorname{clip}\bigl(\tfrac{z + 1}{2}, 0, 1\bigr):

    the loss whose gradient is :math:`\operatorname{sparsemax}(x) - t` on
    the two classes :math:`(x, 0)`, so, unlike the sigmoid, a confident
    correct logit costs exactly 0. The same numbers as
    ``optax.losses.sparsemax_loss``.

    Parameters
    ----------
    logits : array
        Real logits :math:`x`, any shape; 16-bit logits are computed in float32.
    labels : array, the shape of ``logits``: bool, or numeric 0/1
        The classes :math:`t`.
    where : bool array broadcastable to ``logits``, optional
        False removes an element from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of elements kept.

    Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``logits`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 logits,
        float64 for float64 logits.

    References
    ----------
    Martins & Astudillo, "From Softmax to Sparsemax: A Sparse Model of
    Attention and Multi-Label Classification", ICML 2016; Blondel, Martins &
    Niculae, "Learning with Fenchel-Young Losses", JMLR 21, 2020.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.sparsemax_loss(np.array([2.0, 0.5, 0.5]), np.array([1, 1, 0]), reduction="none")
    array([0.    , 0.0625, 0.5625])
    """
    backend, (logits, labels, where) = _LOGITS_LABELS_WHERE(logits, labels, where)
    xp = backend.xp
    t, valid = prepare(xp, logits, labels, where, reduction, name="logits")
    bad = None
    if not xp.isdtype(labels.dtype, "bool"):

        def flagged():
            neither = (t != 0) & (t != 1)
            return neither if valid is None else neither & valid

        bad = check_values(
            xp, backend, flagged, name="labels", expected="0 or 1 (or bool labels)", unit="entry"
        )
    return finish(
        xp, backend, _SPARSEMAX_ROWS, logits, {"sign": 1 - 2 * t}, valid=valid, bad=bad,
        reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


def _sparsemax_values(xp, backend, x, sign):
    """sparse_plus(z), z = (1 − 2t) x, and its slope (1 − 2t) clip((z + 1)/2, 0, 1)."""
    z = sign * x
    middle = (z + 1) * (z + 1) / 4
    loss = xp.where(z <= -1, 0.0, xp.where(z >= 1, z, middle))
    return loss, (sign * xp.clip((z + 1) / 2, min=0.0, max=1.0),)


_SPARSEMAX_ROWS = elementwise_rows(_sparsemax_values, saved_slope)


@declare(
    kind="elementwise",
    keras=False,
    peers={"torch": "torch.nn.functional.margin_ranking_loss"},
    cases=lambda ex: {
        "margin-ranking": ex.case(
            ex.LOGITS,
            ex.SOFT * 4 - 2,
            ex.HARD > 0,
            margin=0.3,
            where=ex.WHERE,
            expected=ex.kept(
                ex.oracles.margin_ranking(ex.LOGITS, ex.SOFT * 4 - 2, ex.HARD > 0, margin=0.3),
                ex.WHERE,
            ),
        )
    },
    bench=lambda b: (b.logits, b.targets, b.multi_hot > 0, {}),
    timed_against={"torch": lambda m, x, x2, t: m.F.margin_ranking_loss(x, x2, 2 * t.float() - 1)},
)
def margin_ranking_loss(
    scores1, scores2, labels, /, *, margin=0.0, where=None, sample_weight=None, reduction="mean"
):
    r"""Margin ranking loss :math:`\max(0, m - y\,(s_1 - s_2))`: which of two scores should lead.

    With the two scores :math:`s_1` (``scores1``) and :math:`s_2`
    (``scores2``), labels :math:`y = \pm 1` (``labels``: +1 where
    :math:`s_1` should rank higher, −1 where :math:`s_2` should) and margin
    :math:`m`,

    .. math::

        L = \max(0,\, m - y\,(s_1 - s_2)), \qquad
        \frac{∂L}{∂s_1} = -\frac{∂L}{∂s_2} = -y \ \text{where}\ y (s_1 - s_2) < m:

    zero once the right score leads by at least the margin.
    ``torch.nn.functional.margin_ranking_loss``, number for number (its
    default margin 0 too); :func:`pairwise_hinge_loss` is the form with
    every label +1 and broadcasting. Autodiff reaches both scores on every
    framework. Labels as :func:`hinge_loss`.

    Parameters
    ----------
    scores1 : array
        The first scores :math:`s_1`, any shape; 16-bit inputs are computed
        in float32.
    scores2 : array, the shape of ``scores1``
        The second scores :math:`s_2`, real floating, cast to the compute
        dtype of ``scores1``.
    labels : array, the shape of ``scores1``: bool, or numeric ±1
        True / +1 where ``scores1`` should lead, False / −1 where
        ``scores2`` should.
    margin : float or 0-d array
        :math:`m`, the lead that costs nothing (default 0); a 0-d array may
        be traced.
    where : bool array broadcastable to ``scores1``, optional
        False removes a pair from the sum and from the mean's count.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per pair, ``"sum"`` adds them and
        ``"mean"`` divides that sum by the number of pairs kept.

    Returns
    -------
    array
        For ``reduction="none"`` the loss of each pair, the shape of
        ``scores1`` (0 where ``where`` is False); for ``"mean"`` and
        ``"sum"`` a 0-d array. float32 for 16-bit or float32 ``scores1``,
        float64 for float64.

    References
    ----------
    Herbrich, Graepel & Obermayer, "Large Margin Rank Boundaries for Ordinal
    Regression", 2000.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.margin_ranking_loss(np.array([2.0, 0.5, 0.2]), np.array([1.0, 1.0, 0.0]),
    ...                             np.array([1, 1, -1]), margin=0.5, reduction="none")
    array([0. , 1. , 0.7])
    """
    backend, (scores1, scores2, labels, where, margin) = _SCORES_SCORES_LABELS_WHERE_MARGIN(
        scores1, scores2, labels, where, margin
    )
    xp = backend.xp
    y, valid = prepare(xp, scores1, labels, where, reduction, name="scores1")
    check_same_shape(scores1, scores2, names=("scores1", "scores2"))
    other = cast(xp, scores2, compute_dtype(xp, scores2, "scores2"))
    other = cast(xp, other, y.dtype)
    margin = check_number(margin, name="margin", backend=backend, like=scores1, dtype=y.dtype)
    y, bad = signed_labels(xp, backend, labels, y, valid)
    bad = poison_options(xp, backend, bad, margin)
    if valid is not None:
        other = xp.where(valid, other, 0.0)  # a NaN second score in a dropped pair is never read
    return finish(
        xp, backend, _MARGIN_RANKING_ROWS, scores1, {"other": other, "y": y},
        options={"margin": margin}, valid=valid, bad=bad, reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


def _margin_ranking_values(xp, backend, s, other, y, *, margin):
    """max(0, m − y (s₁ − s₂)), and its slope in s₁: −y where the margin is violated."""
    violation = margin - y * (s - other)
    active = violation > 0
    return xp.where(active, violation, 0.0), (xp.where(active, -y, 0.0),)


# the second scores need autodiff's gradient on every framework
_MARGIN_RANKING_ROWS = elementwise_rows(_margin_ranking_values, saved_slope, autodiff=AUTOGRAD)


def _signed_margin_loss(
    rows, scores, labels, margin, where, reduction, *, sample_weight, name="scores"
):
    """The frame of the elementwise losses on ±1 labels: inputs found and checked, labels
    mapped to ±1, ``margin`` (a number or an array; :data:`_NO_MARGIN` for a loss without one)
    checked, the rows reduced."""
    has_margin = margin is not _NO_MARGIN
    backend, (scores, labels, where, margin) = _SCORES_LABELS_WHERE_MARGIN(
        scores, labels, where, margin if has_margin else None
    )
    xp = backend.xp
    y, valid = prepare(xp, scores, labels, where, reduction, name=name)
    options = {}
    if has_margin:
        margin = check_number(margin, name="margin", backend=backend, like=scores, dtype=y.dtype)
        options["margin"] = margin
    y, bad = signed_labels(xp, backend, labels, y, valid)
    if has_margin:
        bad = poison_options(xp, backend, bad, margin)
    return finish(
        xp, backend, rows, scores, {"y": y}, options=options, valid=valid, bad=bad,
        reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


_NO_MARGIN = object()  # soft_margin_loss takes no margin


@declare(
    kind="pairwise",
    closed_form=False,
    keras=False,
    peers={"torch": "torch.nn.functional.margin_ranking_loss(s⁺, s⁻, ones) (one pair per call)"},
    cases=lambda ex: {
        "pairwise-hinge": ex.case(
            ex.LOGITS[:, :1],
            ex.LOGITS[:, 1:],
            expected=ex.np.maximum(0.0, 1.0 + ex.LOGITS[:, 1:] - ex.LOGITS[:, :1]),
        )
    },
    bench=lambda b: (b.logits[:, :1], b.logits[:, 1:], {}),
)
def pairwise_hinge_loss(
    positive_scores, negative_scores, /, *, margin=1.0, sample_weight=None, reduction="mean"
):
    r"""Pairwise ranking hinge :math:`\max(0, m + s^- - s^+)`, broadcasting the two scores.

    Each positive score should beat its negative by the margin :math:`m`.
    With :math:`s^+` (``positive_scores``) and :math:`s^-`
    (``negative_scores``) broadcast against each other, each pair's loss is

    .. math::

        L = \max(0,\, m + s^- - s^+),

    zero once the positive leads by at least :math:`m`, and its gradient is
    :math:`-1` on :math:`s^+` and :math:`+1` on :math:`s^-` where the margin
    is violated. ``positive_scores`` ``[N, 1]`` against ``negative_scores``
    ``[N, K]`` compares every positive with K negatives; ``"none"`` returns
    the broadcast shape and ``"mean"`` averages over every pair. It is
    ``torch.nn.functional.margin_ranking_loss(s_pos, s_neg, target,
    margin=m)`` with every target +1.

    Parameters
    ----------
    positive_scores : array
        The scores :math:`s^+` that should rank higher (for example a query's
        score of its relevant item, ``[N, 1]``); real floating.
    negative_scores : array, broadcastable with ``positive_scores``
        The scores :math:`s^-` that should rank lower (for example ``[N, K]``,
        K sampled negatives per row); real floating.
    margin : float
        :math:`m`, the lead a positive needs over a negative to cost nothing
        (default 1).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per pair, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` the loss of each pair, the broadcast shape
        of the two scores; for ``"mean"`` and ``"sum"`` a 0-d array. float64
        if either score is float64, float32 otherwise.

    References
    ----------
    Herbrich, Graepel & Obermayer, "Large Margin Rank Boundaries for Ordinal
    Regression", 2000; Joachims, "Optimizing Search Engines using
    Clickthrough Data" (Ranking SVM), KDD 2002.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> mlcloss.pairwise_hinge_loss(np.array([[2.0], [0.0]]), np.array([[0.5, 1.5], [-2.0, 0.5]]),
    ...                             reduction="none")
    array([[0. , 0.5],
           [0. , 1.5]])
    >>> mlcloss.pairwise_hinge_loss(np.array([[2.0], [0.0]]), np.array([[0.5, 1.5], [-2.0, 0.5]]))
    np.float64(0.5)
    """
    backend, (positive_scores, negative_scores, margin) = _POSITIVE_SCORES_NEGATIVE_SCORES_MARGIN(
        positive_scores, negative_scores, margin
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, positive_scores, "positive_scores")
    other = compute_dtype(xp, negative_scores, "negative_scores")
    if other == xp.float64:
        dtype = other
    margin = check_number(margin, name="margin", backend=backend, like=positive_scores, dtype=dtype)
    _check_broadcast(positive_scores.shape, negative_scores.shape)
    violation = margin + cast(xp, negative_scores, dtype) - cast(xp, positive_scores, dtype)
    loss = poison_rows(
        xp, xp.where(violation > 0, violation, 0.0), poison_options(xp, backend, None, margin)
    )
    return reduce(xp, loss, reduction, sample_weight=sample_weight)


def _check_broadcast(a, b):
    """``ValueError`` naming both shapes unless ``a`` and ``b`` broadcast together."""
    for i in range(1, min(len(a), len(b)) + 1):
        da, db = a[-i], b[-i]
        if da != db and 1 not in (da, db) and None not in (da, db):
            raise ValueError(
                "mlcloss: positive_scores and negative_scores must broadcast together, "
                f"received shapes {tuple(a)} and {tuple(b)}"
            )
