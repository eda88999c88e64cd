r"""Overlap losses: one minus a soft Dice, Tversky or Jaccard score of a prediction and a mask.

Each loss sums, over the axes ``axis``, the soft intersection
:math:`I = \sum p\,t` of the probabilities :math:`p` and the labels
:math:`t`, and their sizes :math:`P = \sum p`, :math:`T = \sum t`; one
overlap (one score) is left for every index of the axes not summed (an
image and a class, say). :func:`dice_loss` is :math:`1 - (2I + s_n)/(P + T +
s_d)`, :func:`jaccard_loss` :math:`1 - (I + s_n)/(P + T - I + s_d)`,
:func:`tversky_loss` weighs the false positives and false negatives apart
(and raises the loss to a focal power), :func:`generalized_dice_loss` adds
the overlaps of the classes with weights :math:`1/T_c^2` (Sudre et al.,
2017).

The same numbers as MONAI's ``DiceLoss``, ``GeneralizedDiceLoss`` and
``TverskyLoss``, optax's ``dice_loss`` and Keras's ``Dice`` and ``Tversky``
follow from the options (the mapping is in each docstring and the docs'
overlap page). The empty-mask rule: an overlap whose prediction and labels
are both all zero (a perfect empty prediction) costs 0, whatever the
smoothing, with a finite gradient.
"""

from __future__ import annotations

from .._compat import device
from .._lib.arguments import check_flag, check_number, is_array, poison_options, weight_array
from .._lib.dtypes import cast, compute_dtype
from .._lib.elementwise import check_unit_interval
from .._lib.reduce import check_reduction, count_where, reduce
from .._lib.registry import declare
from .._lib.shapes import broadcast_like, where_mask
from .._lib.validate import (
    check_broadcastable,
    check_class_ids,
    check_label_dtype,
    normalize_axis,
    poison_rows,
)
from ..backends import Inputs

__all__ = ["dice_loss", "generalized_dice_loss", "jaccard_loss", "tversky_loss"]

_ALPHA_BETA = {"alpha": 0.3, "beta": 0.7}  # the benchmark's Tversky weights

ACTIVATIONS = (None, "sigmoid", "softmax")
WEIGHT_TYPES = ("square", "simple", "uniform")

_SMOOTHED = Inputs(
    "predictions", "labels", optional=("where", "class_weights", "smooth_nr", "smooth_dr")
)
_TVERSKY = Inputs(
    "predictions",
    "labels",
    optional=("where", "class_weights", "smooth_nr", "smooth_dr", "alpha", "beta", "gamma"),
)
_GENERALIZED = Inputs("predictions", "labels", optional=("where", "smooth_nr", "smooth_dr"))


# -- the overlaps every loss shares ---------------------------------------------------------


def _summed_axes(axis, ndim: int, *, skip=None) -> tuple[int, ...]:
    """``axis`` (an int, a sequence of ints or None) as sorted non-negative axes; None: every
    axis but ``skip``."""
    if axis is None:
        return tuple(i for i in range(ndim) if i != skip)
    if isinstance(axis, (list, tuple)):
        axes = [normalize_axis(a, ndim) for a in axis]
    else:
        axes = [normalize_axis(axis, ndim)]
    if len(set(axes)) != len(axes):
        raise ValueError(f"mlcloss: axis names an axis twice, received {axis!r}")
    return tuple(sorted(axes))


def _is_index(labels, predictions, class_axis: int) -> bool:
    """Whether ``labels`` are class indices: of the predictions' shape without ``class_axis``,
    or with it of size 1 (MONAI's ``B1HW``); dense labels have the predictions' shape. Any
    other shape raises."""
    shape, label_shape = tuple(predictions.shape), tuple(labels.shape)
    if label_shape == shape:
        return False
    without = shape[:class_axis] + shape[class_axis + 1 :]
    if label_shape in (without, shape[:class_axis] + (1,) + shape[class_axis + 1 :]):
        return True
    raise ValueError(
        f"mlcloss: labels must have the shape of predictions {shape} (dense labels) or, "
        f"holding class indices, the shape without class_axis {class_axis}, {without}; "
        f"received {label_shape}"
    )


def _dense_labels(xp, backend, predictions, labels, valid, class_axis, dtype):
    """``(t, bad)``: the labels as ``dtype`` in the predictions' shape and the entries to
    poison (soft labels outside [0, 1], class indices out of range), or None."""
    check_label_dtype(xp, labels)
    if not _is_index(labels, predictions, class_axis):
        t = cast(xp, labels, dtype)
        if xp.isdtype(labels.dtype, "bool"):
            return t, None
        return t, check_unit_interval(xp, backend, t, valid, name="labels")
    if not xp.isdtype(labels.dtype, "integral"):
        raise TypeError(
            "mlcloss: labels of the predictions' shape without class_axis are class indices "
            f"and must have an integer dtype, received {labels.dtype}"
        )
    if labels.ndim == predictions.ndim:  # [B, 1, H, W] beside [B, C, H, W]
        labels = xp.squeeze(labels, axis=class_axis)
    num_classes = predictions.shape[class_axis]
    bad = check_class_ids(xp, backend, labels, num_classes, name="labels")
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device(predictions))
    hot = xp.moveaxis(labels[..., None] == classes, -1, class_axis)
    if bad is not None:
        bad = broadcast_like(xp, xp.expand_dims(bad, axis=class_axis), predictions)
    return xp.astype(hot, dtype), bad


def _probabilities(xp, backend, x, valid, activation, class_axis):
    """The probabilities of ``x`` under ``activation`` (entries ``valid`` drops set to 0)."""
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"mlcloss: activation must be None, 'sigmoid' or 'softmax', received {activation!r}"
        )
    if activation == "softmax":
        if x.shape[class_axis] == 1:
            raise ValueError(
                f"mlcloss: activation='softmax' needs 2 or more classes along class_axis "
                f"{class_axis}, received shape {tuple(x.shape)}; use activation='sigmoid'"
            )
        p = backend.softmax(x, class_axis)  # sees every class; where applies to its output
    elif activation == "sigmoid":
        if valid is not None:  # elementwise: a NaN or inf left out reaches no gradient
            x = xp.where(valid, x, 0.0)
        p = backend.sigmoid(x)
    else:
        p = x
    return p if valid is None else xp.where(valid, p, 0.0)


def _drop_first_class(xp, arrays, class_axis):
    """Each array (None passes) without index 0 along ``class_axis``."""
    out = []
    for a in arrays:
        if a is not None:
            a = xp.moveaxis(xp.moveaxis(a, class_axis, -1)[..., 1:], -1, class_axis)
        out.append(a)
    return out


def _sum(xp, x, axes):
    return xp.sum(x, axis=axes) if axes else x


def _any(xp, x, axes):
    return xp.any(x, axis=axes) if axes else x


def _overlaps(
    xp,
    backend,
    predictions,
    labels,
    where,
    *,
    activation,
    axis,
    class_axis,
    include_background,
    squared=False,
    keep_class=False,
):
    """``(I, P, T, kept, bad, class_position)`` of the overlaps: the sums over the axes ``axis``
    of :math:`p t`, :math:`p` and :math:`t` (:math:`p^2`, :math:`t^2` when ``squared``), the
    overlaps with an entry kept by ``where`` (None without one), the overlaps to poison (or
    None) and where the class axis lies among the axes left (``keep_class``: it must)."""
    dtype = compute_dtype(xp, predictions, "predictions")
    ndim = predictions.ndim
    if ndim == 0:
        raise ValueError("mlcloss: predictions must have at least one dimension, received a 0-d")
    include_background = check_flag(include_background, name="include_background")
    squared = check_flag(squared, name="squared_pred")
    class_axis = normalize_axis(class_axis, ndim, name="class_axis")
    axes = _summed_axes(axis, ndim, skip=class_axis if keep_class else None)
    if keep_class and class_axis in axes:
        raise ValueError(
            f"mlcloss: axis {axis!r} sums over class_axis {class_axis}; the generalized Dice "
            "keeps the classes apart: leave class_axis out of axis"
        )
    valid = where_mask(xp, where, predictions, target="predictions")
    t, bad = _dense_labels(xp, backend, predictions, labels, valid, class_axis, dtype)
    p = _probabilities(xp, backend, cast(xp, predictions, dtype), valid, activation, class_axis)
    if valid is not None:
        t = xp.where(valid, t, 0.0)
    if not include_background:
        if predictions.shape[class_axis] == 1:
            raise ValueError(
                f"mlcloss: include_background=False needs 2 or more classes along class_axis "
                f"{class_axis}, received shape {tuple(predictions.shape)}"
            )
        p, t, valid, bad = _drop_first_class(xp, (p, t, valid, bad), class_axis)
    intersection = _sum(xp, p * t, axes)
    size_p = _sum(xp, p * p if squared else p, axes)
    size_t = _sum(xp, t * t if squared else t, axes)
    kept = None if valid is None else _any(xp, valid, axes)
    bad = None if bad is None else _any(xp, bad, axes)
    position = class_axis - sum(a < class_axis for a in axes)
    return intersection, size_p, size_t, kept, bad, position


def _smoothing(backend, predictions, dtype, smooth_nr, smooth_dr):
    nr = check_number(
        smooth_nr, name="smooth_nr", low=0.0, backend=backend, like=predictions, dtype=dtype
    )
    dr = check_number(
        smooth_dr, name="smooth_dr", low=0.0, backend=backend, like=predictions, dtype=dtype
    )
    return nr, dr


def _ratio(xp, numerator, denominator, empty, nr, dr):
    """The score ``numerator / denominator``, 1 on the ``empty`` overlaps (the empty-mask rule).

    With equal floats ``nr == dr > 0`` the formula already gives exactly 1 there (MONAI's way)
    and its gradient is left as it is; otherwise the empty overlaps are set to 1 by a ``where``
    whose other branch divides by 1, so neither 0/0 nor its gradient appears.
    """
    if not (is_array(nr) or is_array(dr)) and nr == dr > 0:
        return numerator / denominator
    safe = xp.where(empty, xp.ones_like(denominator), denominator)
    return xp.where(empty, xp.ones_like(numerator), numerator / safe)


def _finish(xp, backend, loss, kept, bad, reduction, *, sample_weight, class_weights, options):
    """``loss`` weighted by ``class_weights``, poisoned where ``bad`` (or an option is), reduced;
    the overlaps with no entry kept cost 0 and leave the mean."""
    count = None
    if kept is not None:
        loss = xp.where(kept, loss, 0.0)
        count = count_where(xp, kept, loss.dtype)
    if class_weights is not None:
        if isinstance(class_weights, (list, tuple)):
            class_weights = xp.asarray(class_weights, dtype=loss.dtype, device=device(loss))
        check_broadcastable(
            class_weights, loss.shape, name="class_weights", target="the loss per overlap"
        )
        loss = loss * weight_array(
            xp, class_weights, name="class_weights", like=loss, dtype=loss.dtype
        )
    return reduce(
        xp,
        poison_rows(xp, loss, poison_options(xp, backend, bad, *options)),
        reduction,
        count=count,
        sample_weight=sample_weight,
    )


def _monai(name, *, classes_last=False, **options):
    """The benchmark's peer ``f(m, p, t)``: ``monai.losses.<name>(**options)``, built on the
    first call, on ``[rows, classes]`` posed as MONAI's ``[B, C, spatial]``: ``[rows, 1,
    classes]`` (a Dice per row), or ``[1, classes, rows]`` (``classes_last``: a Dice per class
    over the rows)."""
    built = []

    def peer(m, p, t):
        if not built:
            built.append(getattr(m.monai.losses, name)(**options))
        if classes_last:
            return built[0](p.T[None], t.T[None])
        return built[0](p[:, None, :], t[:, None, :])

    return peer


# -- the losses --------------------------------------------------------------------------


def _dice_cases(ex):
    # logits through an activation: probability predictions would leave their domain in the
    # tests that scale predictions to 6e4 or shift them by 1e8 (see the docs' overlap page)
    o = ex.oracles
    sigmoid = {"activation": "sigmoid"}
    soft_where = {"activation": "softmax", "axis": 0, "include_background": False}
    return {
        "dice": ex.case(
            ex.LOGITS, ex.HARD, **sigmoid, expected=o.dice(ex.LOGITS, ex.HARD, **sigmoid)
        ),
        "dice-softmax": ex.case(
            ex.LOGITS,
            ex.HARD,
            where=ex.WHERE,
            class_weights=ex.CLASS_W[1:],
            **soft_where,
            expected=o.dice(
                ex.LOGITS, ex.HARD, where=ex.WHERE, class_weights=ex.CLASS_W[1:], **soft_where
            ),
        ),
    }


@declare(
    kind="class-set",
    labels="dense-or-index",
    arrays=("class_weights",),
    closed_form=False,
    peers={
        "monai": "monai.losses.DiceLoss (class_axis=1, axis=(2, …); batch=True: axis=(0, 2, …))",
        "optax": "optax.losses.dice_loss (smooth_nr = smooth_dr = 2·smooth)",
        "keras": "keras.losses.Dice (axis=None, smooth_nr=0, smooth_dr=1e-7)",
    },
    cases=_dice_cases,
    bench=lambda b: (b.logits, b.multi_hot_float, {"activation": "sigmoid"}),
    timed_against={
        "torch": _monai("DiceLoss", sigmoid=True),
        "jax": lambda m, p, t: m.optax.losses.dice_loss(
            p[..., None], t[..., None], smooth=5e-6, axis=1
        ),
    },
)
def dice_loss(
    predictions,
    labels,
    /,
    *,
    activation=None,
    axis=-1,
    class_axis=-1,
    include_background=True,
    smooth_nr=1e-5,
    smooth_dr=1e-5,
    squared_pred=False,
    class_weights=None,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Soft Dice loss: one minus twice the intersection over the summed sizes, per overlap.

    With the probabilities :math:`p` (``predictions`` after ``activation``)
    and the labels :math:`t` (``labels``), summed over the axes ``axis`` into
    one overlap for every index of the other axes,

    .. math::

        L = 1 - \frac{2 \sum p\,t + s_n}{\sum p + \sum t + s_d}
        \quad\Bigl(\text{``squared_pred``: } \sum p^2 + \sum t^2
        \text{ below}\Bigr),

    :math:`s_n` = ``smooth_nr``, :math:`s_d` = ``smooth_dr``, then times
    ``class_weights``. An overlap whose prediction and labels are both all
    0 costs 0 (the empty-mask rule), for any smoothing; with
    :math:`s_n = s_d > 0` the formula gives that itself (an empty target
    beside a non-empty prediction costs about 1).

    Peers: ``monai.losses.DiceLoss`` on ``[B, C, H, W]`` is ``class_axis=1,
    axis=(2, 3)`` (``batch=True``: ``axis=(0, 2, 3)``) with its
    ``sigmoid=True`` / ``softmax=True`` as ``activation``, its
    ``include_background``, ``squared_pred``, ``smooth_nr``, ``smooth_dr``
    and ``weight`` (``class_weights``). ``optax.losses.dice_loss`` on
    ``[B, H, W, C]`` is ``activation="softmax"`` (``"sigmoid"`` for one
    class), ``axis=(1, 2)``, ``smooth_nr = smooth_dr = 2·smooth`` (its
    :math:`(I + s)/(I + (FP + FN)/2 + s)` doubled), ``include_background =
    not ignore_background``. ``keras.losses.Dice`` is ``axis=None`` (its
    default: one overlap of every entry), ``smooth_nr=0,
    smooth_dr=1e-7``, except on an empty overlap, where Keras gives 1.

    Parameters
    ----------
    predictions : array
        Probabilities (``activation=None``) or logits, real floating (16-bit
        inputs are computed in float32); taken as they are, not checked.
    labels : array
        The prediction's shape: 0/1, bool or soft labels in [0, 1]. Or
        integer class indices: the prediction's shape without
        ``class_axis`` (or with it of size 1), made one-hot along it.
    activation : {None, "sigmoid", "softmax"}
        What makes ``predictions`` probabilities: nothing (default), the
        sigmoid of each entry, or the softmax along ``class_axis``.
    axis : int, tuple of ints or None
        The axes summed into each overlap (default -1, the last: one
        overlap per row); None sums every axis into one overlap.
    class_axis : int
        The class axis (default -1): the softmax's, the one-hot axis of
        index labels and the axis ``include_background`` drops from.
    include_background : bool
        False leaves class 0 along ``class_axis`` out (after the softmax,
        which sees it).
    smooth_nr : float >= 0 or 0-d array
        :math:`s_n`, added to the numerator (default 1e-5, MONAI's).
    smooth_dr : float >= 0 or 0-d array
        :math:`s_d`, added to the denominator (default 1e-5, MONAI's).
    squared_pred : bool
        Sum squares in the denominator (MONAI's ``squared_pred``).
    class_weights : array or list, optional
        Weights broadcastable to the loss per overlap (``[C]`` for
        ``[..., C]`` overlaps), multiplying each; the mean still divides by
        the number of overlaps, as MONAI and optax do.
    where : bool array broadcastable to ``predictions``, optional
        False leaves an entry out of every sum, after the activation; an
        overlap with no entry kept costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per overlap, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per overlap, ``predictions.shape``
        without ``axis`` (and without class 0 for
        ``include_background=False``); for ``"mean"`` and ``"sum"`` a 0-d
        array. float32 for 16-bit or float32 predictions, float64 for
        float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> p = np.array([[0.9, 0.1, 0.8], [0.0, 0.0, 0.0]])
    >>> t = np.array([[1, 0, 1], [0, 0, 0]])
    >>> mlcloss.dice_loss(p, t, reduction="none").round(4)
    array([0.1053, 0.    ])
    """
    backend, (predictions, labels, where, class_weights, smooth_nr, smooth_dr) = _SMOOTHED(
        predictions, labels, where, class_weights, smooth_nr, smooth_dr
    )
    xp = backend.xp
    check_reduction(reduction)
    intersection, size_p, size_t, kept, bad, _ = _overlaps(
        xp,
        backend,
        predictions,
        labels,
        where,
        activation=activation,
        axis=axis,
        class_axis=class_axis,
        include_background=include_background,
        squared=squared_pred,
    )
    nr, dr = _smoothing(backend, predictions, intersection.dtype, smooth_nr, smooth_dr)
    empty = (size_p == 0) & (size_t == 0)
    score = _ratio(xp, 2 * intersection + nr, size_p + size_t + dr, empty, nr, dr)
    return _finish(
        xp,
        backend,
        1 - score,
        kept,
        bad,
        reduction,
        class_weights=class_weights,
        options=(nr, dr),
        sample_weight=sample_weight,
    )


def _jaccard_cases(ex):
    o = ex.oracles
    where = {"activation": "sigmoid", "axis": 0, "smooth_nr": 0.0, "smooth_dr": 0.0}
    return {
        "jaccard-where": ex.case(
            ex.LOGITS,
            ex.HARD,
            where=ex.WHERE,
            **where,
            expected=o.jaccard(ex.LOGITS, ex.HARD, where=ex.WHERE, **where),
        ),
    }


@declare(
    kind="class-set",
    labels="dense-or-index",
    arrays=("class_weights",),
    closed_form=False,
    peers={
        "monai": "monai.losses.DiceLoss(jaccard=True) (smooth_nr, smooth_dr halved)",
        "keras": "keras.losses.Tversky(alpha=1, beta=1) (axis=None, smooth_nr=0, smooth_dr=1e-7)",
    },
    cases=_jaccard_cases,
    bench=lambda b: (b.logits, b.multi_hot_float, {"activation": "sigmoid"}),
    timed_against={
        "torch": _monai("DiceLoss", sigmoid=True, jaccard=True, smooth_nr=2e-5, smooth_dr=2e-5),
    },
)
def jaccard_loss(
    predictions,
    labels,
    /,
    *,
    activation=None,
    axis=-1,
    class_axis=-1,
    include_background=True,
    smooth_nr=1e-5,
    smooth_dr=1e-5,
    squared_pred=False,
    class_weights=None,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Soft Jaccard (IoU) loss: one minus the intersection over the union, per overlap.

    With the probabilities :math:`p` (``predictions`` after ``activation``)
    and the labels :math:`t` (``labels``), summed over the axes ``axis``,
    the soft intersection :math:`I = \sum p\,t` and union :math:`U = \sum p
    + \sum t - I`,

    .. math::

        L = 1 - \frac{I + s_n}{U + s_d}
        \quad\Bigl(\text{``squared_pred``: } U = \sum p^2 + \sum t^2 - I\Bigr),

    :math:`s_n` = ``smooth_nr``, :math:`s_d` = ``smooth_dr``, then times
    ``class_weights``. It is :func:`tversky_loss` with ``alpha = beta = 1``.
    An overlap whose prediction and labels are both all 0 costs 0 (the
    empty-mask rule), for any smoothing.

    Peers: ``monai.losses.DiceLoss(jaccard=True, smooth_nr=a,
    smooth_dr=b)`` computes :math:`1 - (2I + a)/(2U + b)`: it is this loss
    with ``smooth_nr=a/2, smooth_dr=b/2`` (and MONAI's layout as for
    :func:`dice_loss`: ``class_axis=1, axis=(2, …)``).
    ``keras.losses.Tversky(alpha=1, beta=1)`` is ``axis=None,
    smooth_nr=0, smooth_dr=1e-7``, except on an empty overlap, where Keras
    gives 1.

    Parameters
    ----------
    predictions : array
        Probabilities (``activation=None``) or logits, real floating (16-bit
        inputs are computed in float32); taken as they are, not checked.
    labels : array
        The prediction's shape: 0/1, bool or soft labels in [0, 1]. Or
        integer class indices: the prediction's shape without
        ``class_axis`` (or with it of size 1), made one-hot along it.
    activation : {None, "sigmoid", "softmax"}
        What makes ``predictions`` probabilities: nothing (default), the
        sigmoid of each entry, or the softmax along ``class_axis``.
    axis : int, tuple of ints or None
        The axes summed into each overlap (default -1, the last: one
        overlap per row); None sums every axis into one overlap.
    class_axis : int
        The class axis (default -1): the softmax's, the one-hot axis of
        index labels and the axis ``include_background`` drops from.
    include_background : bool
        False leaves class 0 along ``class_axis`` out (after the softmax,
        which sees it).
    smooth_nr : float >= 0 or 0-d array
        :math:`s_n`, added to the numerator (default 1e-5).
    smooth_dr : float >= 0 or 0-d array
        :math:`s_d`, added to the denominator (default 1e-5).
    squared_pred : bool
        Sum squares in the union (MONAI's ``squared_pred``).
    class_weights : array or list, optional
        Weights broadcastable to the loss per overlap, multiplying each;
        the mean still divides by the number of overlaps.
    where : bool array broadcastable to ``predictions``, optional
        False leaves an entry out of every sum, after the activation; an
        overlap with no entry kept costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per overlap, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per overlap, ``predictions.shape``
        without ``axis`` (and without class 0 for
        ``include_background=False``); for ``"mean"`` and ``"sum"`` a 0-d
        array. float32 for 16-bit or float32 predictions, float64 for
        float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> p = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    >>> t = np.array([[1, 0, 1, 0], [0, 0, 0, 0]])
    >>> mlcloss.jaccard_loss(p, t, smooth_nr=0.0, smooth_dr=0.0, reduction="none").round(4)
    array([0.3333, 0.    ])
    """
    backend, (predictions, labels, where, class_weights, smooth_nr, smooth_dr) = _SMOOTHED(
        predictions, labels, where, class_weights, smooth_nr, smooth_dr
    )
    xp = backend.xp
    check_reduction(reduction)
    intersection, size_p, size_t, kept, bad, _ = _overlaps(
        xp,
        backend,
        predictions,
        labels,
        where,
        activation=activation,
        axis=axis,
        class_axis=class_axis,
        include_background=include_background,
        squared=squared_pred,
    )
    nr, dr = _smoothing(backend, predictions, intersection.dtype, smooth_nr, smooth_dr)
    empty = (size_p == 0) & (size_t == 0)
    union = size_p + size_t - intersection
    score = _ratio(xp, intersection + nr, union + dr, empty, nr, dr)
    return _finish(
        xp,
        backend,
        1 - score,
        kept,
        bad,
        reduction,
        class_weights=class_weights,
        options=(nr, dr),
        sample_weight=sample_weight,
    )


def _tversky_cases(ex):
    o = ex.oracles
    focal = {"activation": "sigmoid", "alpha": 0.3, "beta": 0.7, "gamma": 1.5}
    return {
        "tversky-focal": ex.case(
            ex.LOGITS, ex.SOFT, **focal, expected=o.tversky(ex.LOGITS, ex.SOFT, **focal)
        ),
    }


@declare(
    kind="class-set",
    labels="dense-or-index",
    arrays=("class_weights",),
    closed_form=False,
    peers={
        "monai": "monai.losses.TverskyLoss (class_axis=1, axis=(2, …))",
        "optax": "optax.losses.dice_loss(alpha=…, beta=…) (smooth_nr = smooth_dr = smooth)",
        "keras": "keras.losses.Tversky (alpha and beta swapped; smooth_nr=0, smooth_dr=1e-7)",
    },
    cases=_tversky_cases,
    bench=lambda b: (b.logits, b.multi_hot_float, {"activation": "sigmoid", **_ALPHA_BETA}),
    timed_against={
        "torch": _monai("TverskyLoss", sigmoid=True, **_ALPHA_BETA),
        "jax": lambda m, p, t: m.optax.losses.dice_loss(
            p[..., None],
            t[..., None],
            smooth=1e-5,
            **_ALPHA_BETA,
            axis=1,
        ),
    },
)
def tversky_loss(
    predictions,
    labels,
    /,
    *,
    alpha=0.5,
    beta=0.5,
    gamma=1.0,
    activation=None,
    axis=-1,
    class_axis=-1,
    include_background=True,
    smooth_nr=1e-5,
    smooth_dr=1e-5,
    class_weights=None,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Tversky loss: false positives weighed by ``alpha``, false negatives by ``beta``; focal by ``gamma``.

    With the probabilities :math:`p` (``predictions`` after ``activation``)
    and the labels :math:`t` (``labels``), summed over the axes ``axis``:
    the soft true positives :math:`I = \sum p\,t`, false positives
    :math:`FP = \sum p - I` and false negatives :math:`FN = \sum t - I`,
    the Tversky index (Salehi et al., 2017) and its focal loss (Abraham and
    Khan, 2019)

    .. math::

        TI = \frac{I + s_n}{I + α\,FP + β\,FN + s_d}, \qquad
        L = (1 - TI)^{γ},

    :math:`α` = ``alpha``, :math:`β` = ``beta``, :math:`γ` = ``gamma``,
    :math:`s_n` = ``smooth_nr``, :math:`s_d` = ``smooth_dr``, then times
    ``class_weights``. ``alpha = beta = 0.5`` is the Dice loss with twice
    the smoothing, ``alpha = beta = 1`` the Jaccard loss. An overlap whose
    prediction and labels are both all 0 costs 0 (the empty-mask rule);
    for ``gamma`` != 1 a score at or above 1 costs 0 (no power of a
    negative number).

    Peers: ``monai.losses.TverskyLoss`` with MONAI's layout (``class_axis=1,
    axis=(2, …)``; ``gamma`` 1). ``optax.losses.dice_loss(alpha=…, beta=…,
    smooth=s)`` is ``smooth_nr = smooth_dr = s`` (with optax's layout as
    for :func:`dice_loss`). ``keras.losses.Tversky(alpha=a, beta=b)``
    computes its "fp" as :math:`\sum (1 - p)\,t`, a false negative: it is
    ``alpha=b, beta=a, axis=None, smooth_nr=0, smooth_dr=1e-7``, except on
    an empty overlap, where Keras gives 1. The focal Tversky paper writes
    the exponent as :math:`1/γ`; here ``gamma`` is the exponent itself.

    Parameters
    ----------
    predictions : array
        Probabilities (``activation=None``) or logits, real floating (16-bit
        inputs are computed in float32); taken as they are, not checked.
    labels : array
        The prediction's shape: 0/1, bool or soft labels in [0, 1]. Or
        integer class indices: the prediction's shape without
        ``class_axis`` (or with it of size 1), made one-hot along it.
    alpha : float >= 0 or 0-d array
        :math:`α`, the weight of the false positives (default 0.5).
    beta : float >= 0 or 0-d array
        :math:`β`, the weight of the false negatives (default 0.5).
    gamma : float > 0 or 0-d array
        :math:`γ`, the focal exponent (default 1: the plain Tversky loss).
    activation : {None, "sigmoid", "softmax"}
        What makes ``predictions`` probabilities: nothing (default), the
        sigmoid of each entry, or the softmax along ``class_axis``.
    axis : int, tuple of ints or None
        The axes summed into each overlap (default -1, the last: one
        overlap per row); None sums every axis into one overlap.
    class_axis : int
        The class axis (default -1): the softmax's, the one-hot axis of
        index labels and the axis ``include_background`` drops from.
    include_background : bool
        False leaves class 0 along ``class_axis`` out (after the softmax,
        which sees it).
    smooth_nr : float >= 0 or 0-d array
        :math:`s_n`, added to the numerator (default 1e-5, MONAI's).
    smooth_dr : float >= 0 or 0-d array
        :math:`s_d`, added to the denominator (default 1e-5, MONAI's).
    class_weights : array or list, optional
        Weights broadcastable to the loss per overlap, multiplying each;
        the mean still divides by the number of overlaps, as optax does.
    where : bool array broadcastable to ``predictions``, optional
        False leaves an entry out of every sum, after the activation; an
        overlap with no entry kept costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per overlap, ``"sum"`` adds them and
        ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per overlap, ``predictions.shape``
        without ``axis`` (and without class 0 for
        ``include_background=False``); for ``"mean"`` and ``"sum"`` a 0-d
        array. float32 for 16-bit or float32 predictions, float64 for
        float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> p = np.array([[1.0, 1.0, 0.0, 0.0]])
    >>> t = np.array([[1, 0, 1, 1]])
    >>> options = dict(smooth_nr=0.0, smooth_dr=0.0, reduction="none")
    >>> mlcloss.tversky_loss(p, t, alpha=0.2, beta=0.8, **options).round(4)
    array([0.6429])
    >>> mlcloss.tversky_loss(p, t, alpha=0.8, beta=0.2, **options).round(4)
    array([0.5455])
    """
    (
        backend,
        (predictions, labels, where, class_weights, smooth_nr, smooth_dr, alpha, beta, gamma),
    ) = _TVERSKY(
        predictions, labels, where, class_weights, smooth_nr, smooth_dr, alpha, beta, gamma
    )
    xp = backend.xp
    check_reduction(reduction)
    intersection, size_p, size_t, kept, bad, _ = _overlaps(
        xp,
        backend,
        predictions,
        labels,
        where,
        activation=activation,
        axis=axis,
        class_axis=class_axis,
        include_background=include_background,
    )
    dtype = intersection.dtype
    nr, dr = _smoothing(backend, predictions, dtype, smooth_nr, smooth_dr)
    alpha = check_number(
        alpha, name="alpha", low=0.0, backend=backend, like=predictions, dtype=dtype
    )
    beta = check_number(beta, name="beta", low=0.0, backend=backend, like=predictions, dtype=dtype)
    gamma = check_number(
        gamma, name="gamma", low=0.0, low_open=True, backend=backend, like=predictions, dtype=dtype
    )
    empty = (size_p == 0) & (size_t == 0)
    false_positives = size_p - intersection
    false_negatives = size_t - intersection
    denominator = intersection + alpha * false_positives + beta * false_negatives + dr
    loss = 1 - _ratio(xp, intersection + nr, denominator, empty, nr, dr)
    if is_array(gamma) or gamma != 1.0:
        positive = loss > 0  # a power of the positive part only: 0^γ and (−x)^γ stay out
        loss = xp.where(positive, xp.where(positive, loss, xp.ones_like(loss)) ** gamma, 0.0)
    return _finish(
        xp,
        backend,
        loss,
        kept,
        bad,
        reduction,
        class_weights=class_weights,
        options=(nr, dr, alpha, beta, gamma),
        sample_weight=sample_weight,
    )


def _generalized_cases(ex):
    o = ex.oracles
    return {
        "generalized-dice": ex.case(
            ex.LOGITS,
            ex.CLASS_ALL,
            activation="softmax",
            expected=o.generalized_dice(ex.LOGITS, ex.CLASS_ALL, activation="softmax"),
        ),
    }


@declare(
    kind="class-set",
    labels="dense-or-index",
    closed_form=False,
    peers={
        "monai": "monai.losses.GeneralizedDiceLoss (class_axis=1, axis=(2, …); "
        "batch=True: axis=None)",
        "optax": "optax.losses.multiclass_generalized_dice_loss (a documented formula of "
        "mlcloss.dice_loss with class_weights)",
    },
    cases=_generalized_cases,
    bench=lambda b: (b.logits, b.multi_hot_float, {"activation": "sigmoid"}),
    timed_against={
        "torch": _monai("GeneralizedDiceLoss", sigmoid=True, classes_last=True),
    },
)
def generalized_dice_loss(
    predictions,
    labels,
    /,
    *,
    weight_type="square",
    activation=None,
    axis=None,
    class_axis=-1,
    include_background=True,
    smooth_nr=1e-5,
    smooth_dr=1e-5,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Generalized Dice loss: the classes' overlaps added with weights 1 / (label mass)².

    With the probabilities :math:`p` (``predictions`` after ``activation``)
    and the labels :math:`t` (``labels``), summed over the axes ``axis``
    into :math:`I_c = \sum p\,t`, :math:`P_c = \sum p`, :math:`T_c = \sum
    t` for each class :math:`c` along ``class_axis``, and the class weights
    :math:`w_c = 1/T_c^2` (``weight_type="square"``, Sudre et al., 2017),
    :math:`1/T_c` (``"simple"``) or 1 (``"uniform"``),

    .. math::

        L = 1 - \frac{2 \sum_c w_c I_c + s_n}{\sum_c w_c (P_c + T_c) + s_d},

    one loss per index of the axes neither summed nor the class axis
    (:math:`s_n` = ``smooth_nr``, :math:`s_d` = ``smooth_dr``). A class
    absent from the labels (:math:`T_c = 0`, an infinite weight) takes the
    largest weight of the classes present, as MONAI does; where no class
    is present every weight is 1 (MONAI's weights are then all 0 and its
    loss 0 for any prediction). Where prediction and labels are all 0 the
    loss is 0 (the empty-mask rule).

    Peers: ``monai.losses.GeneralizedDiceLoss`` on ``[B, C, H, W]`` is
    ``class_axis=1, axis=(2, 3)`` (``batch=True``: ``axis=None``, every
    axis but the classes), with its ``w_type`` as ``weight_type`` (MONAI
    computes the weights in float32). optax's
    ``multiclass_generalized_dice_loss`` is another loss, a weighted mean of
    per-class Dice losses: :func:`dice_loss` with ``activation="softmax",
    axis=(1, 2), smooth_nr=2, smooth_dr=2`` and ``class_weights`` :math:`v
    = C\,u/\sum u`, :math:`u_c = 1/(F_c^2 + 10^{-7})`, :math:`F_c` the
    labels summed over every axis but the classes (the docs' overlap page).

    Parameters
    ----------
    predictions : array
        Probabilities (``activation=None``) or logits, real floating (16-bit
        inputs are computed in float32); taken as they are, not checked.
    labels : array
        The prediction's shape: 0/1, bool or soft labels in [0, 1]. Or
        integer class indices: the prediction's shape without
        ``class_axis`` (or with it of size 1), made one-hot along it.
    weight_type : {"square", "simple", "uniform"}
        The class weights :math:`1/T_c^2` (default), :math:`1/T_c` or 1.
    activation : {None, "sigmoid", "softmax"}
        What makes ``predictions`` probabilities: nothing (default), the
        sigmoid of each entry, or the softmax along ``class_axis``.
    axis : int, tuple of ints or None
        The axes summed into each class's overlap, never ``class_axis``;
        None (default) sums every other axis: one loss for the batch.
    class_axis : int
        The class axis (default -1), whose overlaps are weighed and added.
    include_background : bool
        False leaves class 0 along ``class_axis`` out (after the softmax,
        which sees it).
    smooth_nr : float >= 0 or 0-d array
        :math:`s_n`, added to the numerator (default 1e-5, MONAI's).
    smooth_dr : float >= 0 or 0-d array
        :math:`s_d`, added to the denominator (default 1e-5, MONAI's).
    where : bool array broadcastable to ``predictions``, optional
        False leaves an entry out of every sum, after the activation; a
        loss with no entry kept costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per index of the axes left, ``"sum"``
        adds them and ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per index of the axes left,
        ``predictions.shape`` without ``axis`` and ``class_axis`` (0-d for
        ``axis=None``); for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 predictions, float64 for float64.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> t = np.array([0, 0, 0, 1])  # class indices: class 1 is rare
    >>> float(mlcloss.generalized_dice_loss(p, t).round(4))
    0.5882
    >>> float(mlcloss.generalized_dice_loss(p, t, weight_type="uniform").round(4))
    0.4
    """
    backend, (predictions, labels, where, smooth_nr, smooth_dr) = _GENERALIZED(
        predictions, labels, where, smooth_nr, smooth_dr
    )
    xp = backend.xp
    check_reduction(reduction)
    if weight_type not in WEIGHT_TYPES:
        raise ValueError(
            f"mlcloss: weight_type must be 'square', 'simple' or 'uniform', received {weight_type!r}"
        )
    intersection, size_p, size_t, kept, bad, k = _overlaps(
        xp,
        backend,
        predictions,
        labels,
        where,
        activation=activation,
        axis=axis,
        class_axis=class_axis,
        include_background=include_background,
        keep_class=True,
    )
    nr, dr = _smoothing(backend, predictions, intersection.dtype, smooth_nr, smooth_dr)
    weights = _class_weights(xp, size_t, weight_type, k)
    numerator = 2 * xp.sum(weights * intersection, axis=k) + nr
    denominator = xp.sum(weights * (size_p + size_t), axis=k) + dr
    empty = xp.all((size_p == 0) & (size_t == 0), axis=k)
    score = _ratio(xp, numerator, denominator, empty, nr, dr)
    kept = None if kept is None else xp.any(kept, axis=k)
    bad = None if bad is None else xp.any(bad, axis=k)
    return _finish(
        xp,
        backend,
        1 - score,
        kept,
        bad,
        reduction,
        class_weights=None,
        options=(nr, dr),
        sample_weight=sample_weight,
    )


def _class_weights(xp, size_t, weight_type, k):
    """MONAI's weights of the classes (axis ``k``) from their label masses ``size_t``: an
    infinite weight (an absent class) becomes the largest finite one of its group, and 1
    where the group has none."""
    if weight_type == "uniform":
        return xp.ones_like(size_t)
    present = size_t > 0
    safe = xp.where(present, size_t, xp.ones_like(size_t))
    raw = 1 / (safe * safe) if weight_type == "square" else 1 / safe
    finite = present & xp.isfinite(raw)
    finite_weights = xp.where(finite, raw, xp.zeros_like(raw))
    largest = xp.max(finite_weights, axis=k, keepdims=True)
    fallback = xp.where(xp.any(finite, axis=k, keepdims=True), largest, xp.ones_like(largest))
    return xp.where(finite, raw, fallback)
