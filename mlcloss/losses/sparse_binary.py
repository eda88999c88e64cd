r"""Sigmoid cross-entropy, sigmoid focal loss and ASL with the positives as index lists.

For extreme multi-label classification (tens of thousands of classes, a few
positives a row) the dense multi-hot labels cost as much memory as the
logits. Each loss here is its dense twin of :mod:`mlcloss.losses.binary`
on the multi-hot labels of ``labels``, computed from the ``[..., K]`` lists
of positives without ever building them (:mod:`mlcloss._lib.sparse_labels`):
the dense formula with label 0 over all the logits, corrected at the
:math:`K` gathered positives and scattered back. The value, the
closed-form gradient and every option are the dense loss's.

No framework takes index lists for sigmoid losses: there one builds the
multi-hot labels first (``F.one_hot(...).sum(-2)``, ``tf.reduce_max(tf.one_hot(...))``).
"""

from __future__ import annotations

from .._compat import device
from .._lib.arguments import check_flag
from .._lib.dtypes import compute_dtype
from .._lib.label_sets import mass_share
from .._lib.registry import declare
from .._lib.sparse_labels import positive_lists, sparse_finish, sparse_rows
from ..backends import Inputs
from .binary import (
    ASL_ROWS,
    FOCAL_ROWS,
    SIGMOID_ROWS,
    asymmetric_inputs,
    focal_inputs,
    sigmoid_inputs,
)

__all__ = ["sparse_asymmetric_loss", "sparse_sigmoid_cross_entropy", "sparse_sigmoid_focal_loss"]

_SPARSE_SIGMOID_ROWS = sparse_rows(SIGMOID_ROWS)
_SPARSE_FOCAL_ROWS = sparse_rows(FOCAL_ROWS)
_SPARSE_ASL_ROWS = sparse_rows(ASL_ROWS)

_SIGMOID = Inputs("logits", "labels", optional=("pos_weight", "where", "label_smoothing"))
_FOCAL = Inputs("logits", "labels", optional=("where", "alpha", "gamma"))
_ASL = Inputs("logits", "labels", optional=("where", "gamma_pos", "gamma_neg", "clip"))

_SHARED = {  # the docstring sections the three twins share, by placeholder
    "INPUTS": """logits : array, shape ``[..., C]``
        Real scores :math:`x`, no sigmoid applied; the classes on the last
        axis. 16-bit logits are computed in float32.
    labels : integer array, shape ``[..., K]``
        The indices of each row's positive classes, in any order, padded to
        ``K`` with ``ignore_index``; a repeated index counts once. The other
        dimensions are those of ``logits``. Every class not listed is a
        negative (label 0).
    ignore_index : int, optional
        The padding value (typically -1), left out.""",
    "WHERE": """where : bool array broadcastable to ``logits``, optional
        False removes an element from the sum and from the mean's count.""",
    "RETURNS": """Returns
    -------
    array
        For ``reduction="none"`` the elementwise losses, the shape of
        ``logits``; for ``"mean"`` and ``"sum"`` a 0-d array. float32 for
        16-bit or float32 logits, float64 for float64 logits.""",
}


def _sides(xp, logits):
    """0-d labels 0 and 1 in the logits' compute dtype, on their device."""
    dtype = compute_dtype(xp, logits, "logits")
    return tuple(xp.asarray(v, dtype=dtype, device=device(logits)) for v in (0.0, 1.0))


def _dense_case(ex, dense_oracle, **options):
    """The case of a sparse twin: the dense oracle on the multi-hot labels of ``ex.INDEX``."""
    multi_hot = ex.oracles.multi_hot(ex.INDEX, 6, ignore_index=-1)
    return ex.case(
        ex.LOGITS, ex.INDEX, ignore_index=-1, expected=dense_oracle(ex.LOGITS, multi_hot, **options),
        **options,
    )  # fmt: skip


def _multi_hot_peer(m, x, index, loss):
    """A torch user's way: the multi-hot labels built by a scatter, then the dense loss."""
    labels = m.torch.zeros_like(x).scatter_(-1, index, 1.0)
    return loss(x, labels)


@declare(
    kind="elementwise",
    labels="index",
    arrays=("pos_weight",),
    peers={
        "torch": "F.binary_cross_entropy_with_logits on the multi-hot labels (build them first)",
        "tf.nn": "tf.nn.sigmoid_cross_entropy_with_logits on the multi-hot labels",
    },
    cases=lambda ex: {
        "sparse-sigmoid-ce": _dense_case(
            ex, ex.oracles.sigmoid_ce, pos_weight=ex.CLASS_W, label_smoothing=0.1
        )
    },
    bench=lambda b: (b.logits, b.top_k(8), {}),
    timed_against={
        "torch": lambda m, x, t: _multi_hot_peer(m, x, t, m.F.binary_cross_entropy_with_logits)
    },
)
def sparse_sigmoid_cross_entropy(
    logits,
    labels,
    /,
    *,
    pos_weight=None,
    label_smoothing=0.0,
    keep_mass=False,
    ignore_index=None,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Sigmoid cross-entropy with the positives given as index lists.

    :func:`~mlcloss.sigmoid_cross_entropy` on the multi-hot labels
    :math:`t_c = [c \in P]` of the listed positives :math:`P` of each row:

    .. math::

        L_c = p\, \tilde t_c \operatorname{softplus}(-x_c)
            + (1 - \tilde t_c) \operatorname{softplus}(x_c),
        \qquad \tilde t_c = t_c (1 - ε) + ε / 2,

    computed as the negatives' loss over all the logits :math:`x`
    (``logits``), corrected at the :math:`K` gathered positives: no label
    array of the logits' shape is made, forward or backward. :math:`p` =
    ``pos_weight`` and :math:`ε` = ``label_smoothing`` as in the dense loss.

    Parameters
    ----------
    INPUTS
    pos_weight : float, 0-d array or array ``[C]``, optional
        Weight of the positive term (torch's ``pos_weight``: one per class).
    label_smoothing : float in [0, 1]
        :math:`ε`: positives become :math:`1 - ε/2`, negatives :math:`ε/2`.
    keep_mass : bool
        Smooth keeping each row's mass :math:`k` (its listed positives)
        instead: positives :math:`1 - ε + ε k / C`, negatives
        :math:`ε k / C` (default False), as the dense loss's ``keep_mass``.
    WHERE
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps the elementwise losses (the logits' shape), ``"sum"``
        adds them and ``"mean"`` divides that sum by the number of elements
        kept: the dense loss's numbers.

    RETURNS

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, -1.0, 0.5, -3.0], [0.0, 1.0, -2.0, 4.0]])
    >>> positives = np.array([[0, 2], [3, -1]])  # row 2 has one positive; -1 pads
    >>> round(float(mlcloss.sparse_sigmoid_cross_entropy(logits, positives, ignore_index=-1)), 6)
    0.389293
    >>> multi_hot = np.array([[1, 0, 1, 0], [0, 0, 0, 1]])
    >>> round(float(mlcloss.sigmoid_cross_entropy(logits, multi_hot)), 6)
    0.389293
    """
    backend, (logits, labels, pos_weight, where, label_smoothing) = _SIGMOID(
        logits, labels, pos_weight, where, label_smoothing
    )
    xp = backend.xp
    index, keep, valid, bad = positive_lists(
        xp, backend, logits, labels, where, reduction, ignore_index=ignore_index
    )
    share = None  # keep_mass: each row's mass k (its positives) over its C classes
    if check_flag(keep_mass, name="keep_mass"):
        listed = keep if valid is None else keep & backend.take_along_last_axis(valid, index)
        mass = xp.sum(
            xp.astype(listed, compute_dtype(xp, logits, "logits")), axis=-1, keepdims=True
        )
        share = mass_share(xp, mass, valid, logits.shape[-1])
    options = {
        "pos_weight": pos_weight, "label_smoothing": label_smoothing, "keep_mass": keep_mass,
        "share": share,
    }  # fmt: skip
    zero, one = _sides(xp, logits)
    negative, _, bad = sigmoid_inputs(xp, backend, logits, zero, bad, **options)
    positive, _, _ = sigmoid_inputs(xp, backend, logits, one, None, **options)
    return sparse_finish(
        xp, backend, _SPARSE_SIGMOID_ROWS, logits, index, keep, negative, positive,
        options={}, valid=valid, bad=bad, reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


@declare(
    kind="elementwise",
    labels="index",
    peers={"torchvision": "torchvision.ops.sigmoid_focal_loss on the multi-hot labels"},
    cases=lambda ex: {"sparse-sigmoid-focal": _dense_case(ex, ex.oracles.sigmoid_focal, gamma=0.5)},
    bench=lambda b: (b.logits, b.top_k(8), {}),
)
def sparse_sigmoid_focal_loss(
    logits,
    labels,
    /,
    *,
    alpha=0.25,
    gamma=2.0,
    ignore_index=None,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Sigmoid focal loss with the positives given as index lists.

    :func:`~mlcloss.sigmoid_focal_loss` on the multi-hot labels of the
    listed positives :math:`P`:

    .. math::

        L_c = α_t\, (1 - p_t)^{γ}\, \mathrm{CE}(x_c, t_c),
        \qquad t_c = [c \in P],

    computed as the negatives' loss over all the logits, corrected at the
    gathered positives, with the dense loss's stable
    :math:`\log(1 - p_t)` and closed-form gradient.

    Parameters
    ----------
    INPUTS
    alpha : float in [0, 1], 0-d array or None
        :math:`α`, the positives' weight (negatives :math:`1 - α`); None or
        a negative value disables the weighting (default 0.25).
    gamma : float >= 0 or 0-d array
        :math:`γ`, the focusing exponent (default 2).
    WHERE
    reduction : {"mean", "sum", "none"}
        As :func:`~mlcloss.sigmoid_focal_loss`: elementwise, summed, or
        their mean over the elements kept.

    RETURNS

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, -1.0, 0.5, -3.0], [0.0, 1.0, -2.0, 4.0]])
    >>> positives, multi_hot = np.array([[0, 2], [3, -1]]), np.array([[1, 0, 1, 0], [0, 0, 0, 1]])
    >>> round(float(mlcloss.sparse_sigmoid_focal_loss(logits, positives, ignore_index=-1)), 6)
    0.086518
    >>> round(float(mlcloss.sigmoid_focal_loss(logits, multi_hot)), 6)
    0.086518
    """
    backend, (logits, labels, where, alpha, gamma) = _FOCAL(logits, labels, where, alpha, gamma)
    xp = backend.xp
    index, keep, valid, bad = positive_lists(
        xp, backend, logits, labels, where, reduction, ignore_index=ignore_index
    )
    zero, one = _sides(xp, logits)
    negative, options, bad = focal_inputs(xp, backend, logits, zero, bad, alpha=alpha, gamma=gamma)
    positive, _, _ = focal_inputs(xp, backend, logits, one, None, alpha=alpha, gamma=gamma)
    return sparse_finish(
        xp, backend, _SPARSE_FOCAL_ROWS, logits, index, keep, negative, positive,
        options=options, valid=valid, bad=bad, reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


@declare(
    kind="elementwise",
    labels="index",
    peers={"ASL": "Ridnik et al.'s AsymmetricLoss on the multi-hot labels"},
    cases=lambda ex: {"sparse-asymmetric": _dense_case(ex, ex.oracles.asymmetric, gamma_pos=1.0)},
    bench=lambda b: (b.logits, b.top_k(8), {}),
)
def sparse_asymmetric_loss(
    logits,
    labels,
    /,
    *,
    gamma_pos=0.0,
    gamma_neg=4.0,
    clip=0.05,
    ignore_index=None,
    where=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Asymmetric loss (ASL) with the positives given as index lists.

    :func:`~mlcloss.asymmetric_loss` on the multi-hot labels of the listed
    positives :math:`P`:

    .. math::

        L_c = t_c\,(1 - p_c)^{γ_+} (-\log p_c)
            + (1 - t_c)\, p_{m,c}^{γ_-} (-\log(1 - p_{m,c})),
        \qquad t_c = [c \in P],\ p_{m,c} = \max(p_c - m, 0),

    computed as the negatives' term over all the logits, corrected at the
    gathered positives: at 50,000 classes and 8 positives, the labels take
    8 integers a row instead of 50,000.

    Parameters
    ----------
    INPUTS
    gamma_pos : float >= 0 or 0-d array
        :math:`γ_+`, the focusing exponent of the positives (default 0).
    gamma_neg : float >= 0 or 0-d array
        :math:`γ_-`, the focusing exponent of the negatives (default 4).
    clip : float in [0, 1) or 0-d array
        :math:`m`, the probability margin of the negatives (default 0.05).
    WHERE
    reduction : {"mean", "sum", "none"}
        As :func:`~mlcloss.asymmetric_loss`.

    RETURNS

    References
    ----------
    Ridnik et al., "Asymmetric Loss For Multi-Label Classification", ICCV
    2021, arXiv:2009.14119.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> logits = np.array([[2.0, -1.0, 0.5, -3.0], [0.0, 1.0, -2.0, 4.0]])
    >>> positives, multi_hot = np.array([[0, 2], [3, -1]]), np.array([[1, 0, 1, 0], [0, 0, 0, 1]])
    >>> round(float(mlcloss.sparse_asymmetric_loss(logits, positives, ignore_index=-1)), 6)
    0.111262
    >>> round(float(mlcloss.asymmetric_loss(logits, multi_hot)), 6)
    0.111262
    """
    backend, (logits, labels, where, gamma_pos, gamma_neg, clip) = _ASL(
        logits, labels, where, gamma_pos, gamma_neg, clip
    )
    xp = backend.xp
    index, keep, valid, bad = positive_lists(
        xp, backend, logits, labels, where, reduction, ignore_index=ignore_index
    )
    zero, one = _sides(xp, logits)
    options = {"gamma_pos": gamma_pos, "gamma_neg": gamma_neg, "clip": clip}
    negative, options, bad = asymmetric_inputs(xp, backend, logits, zero, bad, **options)
    positive = {"t": one}
    return sparse_finish(
        xp, backend, _SPARSE_ASL_ROWS, logits, index, keep, negative, positive,
        options=options, valid=valid, bad=bad, reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


for _loss in (sparse_sigmoid_cross_entropy, sparse_sigmoid_focal_loss, sparse_asymmetric_loss):
    for _placeholder, _text in _SHARED.items():
        _loss.__doc__ = _loss.__doc__.replace(f"    {_placeholder}\n", f"    {_text}\n")
