r"""Cosine losses, one per vector: how far two vectors point apart.

:func:`cosine_distance` is optax's ``1 − cos`` (and Keras's ``CosineSimilarity``
less 1); :func:`cosine_embedding_loss` is torch's, pulling similar pairs to
cosine 1 and pushing dissimilar ones below a margin. Both keep a zero vector
finite in value and gradient: its squared norm is floored (optax's default,
no floor, gives NaN there).
"""

from __future__ import annotations

from .._lib.arguments import check_number, poison_options
from .._lib.dtypes import cast, compute_dtype
from .._lib.elementwise import signed_labels
from .._lib.label_sets import dense_rows
from .._lib.reduce import check_reduction, count_where, reduce
from .._lib.registry import declare
from .._lib.validate import (
    check_label_dtype,
    poison_rows,
)
from ..backends import Inputs

__all__ = ["cosine_distance", "cosine_embedding_loss"]

_PREDICTIONS_TARGETS_WHERE_EPS = Inputs("predictions", "targets", optional=("where", "eps"))
_X1_X2_LABELS_MARGIN = Inputs("x1", "x2", "labels", optional=("margin",))


def _vectors(xp, a, b, where, axis, *, names):
    """``(a, b, valid, axis)``: both vectors in the compute dtype of ``a`` (``b`` real floating
    too), ``where`` as a mask, the vector axis ``axis`` moved last (see ``dense_rows``)."""
    compute_dtype(xp, b, names[1])
    return dense_rows(xp, a, b, where, axis, names=names)


@declare(
    kind="class-set",
    closed_form=False,
    peers={
        "optax": "optax.losses.cosine_distance (epsilon=eps)",
        "keras": "keras.losses.CosineSimilarity (its value − 1)",
    },
    cases=lambda ex: {
        "cosine-distance": ex.case(
            ex.LOGITS,
            ex.SOFT - 0.5,
            expected=ex.oracles.cosine_distance(ex.LOGITS, ex.SOFT - 0.5),
        ),
        "cosine-distance-where": ex.case(
            ex.LOGITS,
            ex.SOFT - 0.5,
            where=ex.WHERE,
            expected=ex.oracles.cosine_distance(ex.LOGITS, ex.SOFT - 0.5, where=ex.WHERE),
        ),
    },
    bench=lambda b: (b.logits, b.targets, {}),
    timed_against={"jax": lambda m, x, t: m.optax.losses.cosine_distance(x, t, epsilon=1e-12)},
)
def cosine_distance(
    predictions, targets, /, *, eps=1e-12, axis=-1, where=None, sample_weight=None, reduction="mean"
):
    r"""Cosine distance :math:`1 - \cos(a, b)` between the vectors along ``axis``.

    With predictions :math:`a` (``predictions``) and targets :math:`b`
    (``targets``), vectors along ``axis``, and the floor :math:`ε` = ``eps``
    on their squared norms,

    .. math::

        L = 1 - \frac{a}{\sqrt{\max(\lVert a\rVert^2, ε)}} \cdot
                \frac{b}{\sqrt{\max(\lVert b\rVert^2, ε)}} \;\in [0, 2],

    0 for vectors pointing the same way, 2 for opposite ones.
    ``optax.losses.cosine_distance(predictions, targets, epsilon=eps)``,
    number for number; Keras 3's ``CosineSimilarity`` (which normalises
    with the same floor, 1e-12) is this value less 1. The floor keeps a zero
    vector finite in value (distance 1) and gradient, where optax's default
    ``epsilon=0`` gives NaN.

    Parameters
    ----------
    predictions : array ``[..., D, ...]``
        The vectors :math:`a` along ``axis``, real floating (16-bit inputs
        are computed in float32).
    targets : array, the shape of ``predictions``
        The vectors :math:`b`, real floating, cast to the compute dtype.
    eps : float >= 0 or 0-d array
        :math:`ε`, the floor of each squared norm (default 1e-12, Keras's);
        a 0-d array may be traced.
    axis : int
        The vector axis (default -1, the last).
    where : bool array broadcastable to ``predictions``, optional
        False leaves an entry out of both vectors (their dot product and
        norms); a pair with no entry kept costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one distance per pair of vectors, ``"sum"`` adds
        them and ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one distance per pair, ``predictions.shape``
        without ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 predictions, float64 for float64 predictions.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> b = np.array([[0.0, 1.0], [-1.0, -1.0], [1.0, 2.0]])
    >>> mlcloss.cosine_distance(a, b, reduction="none")
    array([1., 2., 1.])
    """
    backend, (predictions, targets, where, eps) = _PREDICTIONS_TARGETS_WHERE_EPS(
        predictions, targets, where, eps
    )
    xp = backend.xp
    check_reduction(reduction)
    a, b, valid, axis = _vectors(
        xp, predictions, targets, where, axis, names=("predictions", "targets")
    )
    eps = check_number(eps, name="eps", low=0.0, backend=backend, like=predictions, dtype=a.dtype)
    count = None
    if valid is not None:
        a, b = xp.where(valid, a, 0.0), xp.where(valid, b, 0.0)
        count = count_where(xp, xp.any(valid, axis=-1), a.dtype)
    cosine = xp.sum(a * b, axis=-1) / (_floored_norm(xp, a, eps) * _floored_norm(xp, b, eps))
    loss = 1 - cosine
    if valid is not None:
        loss = xp.where(xp.any(valid, axis=-1), loss, 0.0)
    return reduce(
        xp,
        poison_rows(xp, loss, poison_options(xp, backend, None, eps)),
        reduction,
        count=count,
        sample_weight=sample_weight,
    )


def _floored_norm(xp, v, eps):
    """:math:`\\sqrt{\\max(\\lVert v\\rVert^2, ε)}` along the last axis; the floor (a ``where``)
    passes no gradient, so a zero vector's gradient is finite."""
    squared = xp.sum(v * v, axis=-1)
    return xp.sqrt(xp.where(squared > eps, squared, eps))


@declare(
    kind="class-set",
    closed_form=False,
    keras=False,
    peers={"torch": "torch.nn.functional.cosine_embedding_loss"},
    cases=lambda ex: {
        "cosine-embedding": ex.case(
            ex.LOGITS,
            ex.SOFT - 0.5,
            ex.oracles.signs(4) > 0,
            margin=0.2,
            expected=ex.oracles.cosine_embedding(
                ex.LOGITS, ex.SOFT - 0.5, ex.oracles.signs(4) > 0, margin=0.2
            ),
        )
    },
    bench=lambda b: (b.logits, b.targets, b.signs, {}),
    timed_against={"torch": lambda m, a, b, y: m.F.cosine_embedding_loss(a, b, y)},
)
def cosine_embedding_loss(
    x1, x2, labels, /, *, margin=0.0, axis=-1, sample_weight=None, reduction="mean"
):
    r"""Cosine embedding loss: similar pairs to cosine 1, dissimilar ones below ``margin``.

    With the vectors :math:`a` (``x1``) and :math:`b` (``x2``) along
    ``axis``, their cosine :math:`c = a \cdot b / \sqrt{(\lVert a\rVert^2 +
    ε)(\lVert b\rVert^2 + ε)}` (:math:`ε = 10^{-12}`, torch's, which keeps a
    zero vector finite) and labels :math:`y = \pm 1` (``labels``, one per
    pair),

    .. math::

        L = \begin{cases} 1 - c & y = +1 \\ \max(0,\ c - m) & y = -1, \end{cases}

    ``torch.nn.functional.cosine_embedding_loss``, number for number.
    Gradients reach both vectors.

    Parameters
    ----------
    x1 : array ``[..., D, ...]``
        The first vectors :math:`a` along ``axis``, real floating (16-bit
        inputs are computed in float32).
    x2 : array, the shape of ``x1``
        The second vectors :math:`b`, real floating.
    labels : array, the shape of ``x1`` without ``axis``: bool, or numeric ±1
        True / +1 for a similar pair, False / −1 for a dissimilar one.
    margin : float or 0-d array
        :math:`m`, the cosine under which a dissimilar pair costs nothing
        (default 0, torch's); a 0-d array may be traced.
    axis : int
        The vector axis (default -1, the last).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per pair, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per pair, ``x1.shape`` without
        ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 ``x1``, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    >>> b = np.array([[1.0, 1.0], [1.0, 0.0], [-1.0, 0.0]])
    >>> mlcloss.cosine_embedding_loss(a, b, np.array([1, -1, -1]), reduction="none").round(4)
    array([0.2929, 0.7071, 0.    ])
    """
    backend, (x1, x2, labels, margin) = _X1_X2_LABELS_MARGIN(x1, x2, labels, margin)
    xp = backend.xp
    check_reduction(reduction)
    a, b, _, axis = _vectors(xp, x1, x2, None, axis, names=("x1", "x2"))
    check_label_dtype(xp, labels)
    if tuple(labels.shape) != tuple(a.shape[:-1]):
        raise ValueError(
            f"mlcloss: labels must have the shape of x1 without axis {axis}, "
            f"{tuple(a.shape[:-1])}, received {tuple(labels.shape)}"
        )
    margin = check_number(margin, name="margin", backend=backend, like=x1, dtype=a.dtype)
    y, bad = signed_labels(xp, backend, labels, cast(xp, labels, a.dtype), None, unit="row")
    tiny = 1e-12  # torch's EPSILON, added to each squared norm
    squares = (xp.sum(a * a, axis=-1) + tiny) * (xp.sum(b * b, axis=-1) + tiny)
    cosine = xp.sum(a * b, axis=-1) / xp.sqrt(squares)
    dissimilar = cosine - margin
    loss = xp.where(y > 0, 1 - cosine, xp.where(dissimilar > 0, dissimilar, 0.0))
    return reduce(
        xp,
        poison_rows(xp, loss, poison_options(xp, backend, bad, margin)),
        reduction,
        sample_weight=sample_weight,
    )
