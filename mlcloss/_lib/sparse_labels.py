r"""Multi-hot labels given as index lists, for the elementwise binary losses.

A row of :math:`C` yes/no problems with :math:`K \ll C` positives costs
:math:`K` integers instead of :math:`C` labels. Each binary loss is the same
elementwise formula :math:`\ell(x, t)` at every entry; with hard labels it
takes two values, :math:`\ell(x, t_-)` for the negatives and
:math:`\ell(x, t_+)` for the positives (:math:`t_\pm` = 1 and 0, or their
smoothed values). So the sparse loss is the dense formula at :math:`t_-`
over all the logits, corrected at the listed positives:

.. math::

    L_c = \ell(x_c, t_-) \text{ for } c \notin P, \qquad L_P = \ell(x_P, t_+),

where :math:`x_P` gathers the :math:`K` listed logits of each row, whose
entries are replaced by two scatter-adds (one of the difference would round
it in float32), and the
gradient is built the same way from the dense closed form. No label array of
the logits' shape is ever made, in the forward or the backward pass; the
loss keeps each dense loss's formula, options and numerics.
"""

from __future__ import annotations

from .._compat import device
from .dtypes import compute_dtype
from .elementwise import elementwise_rows, finish
from .gradients import Rows
from .indices import class_indices
from .reduce import check_reduction
from .shapes import where_mask
from .validate import check_ignore_index, check_index_dtype, check_values

_SIDES = ("negative_", "positive_")


def positive_lists(xp, backend, logits, labels, where, reduction, *, ignore_index):
    """``(index, keep, valid, bad)`` for the ``[..., K]`` positives ``labels`` of ``[..., C]``
    ``logits``: gather-safe indices, the entries that name a class once (padding and repeats
    dropped), ``where`` as a mask of the logits' shape (or None) and the rows to poison for an
    index out of range (``[..., 1]``, broadcasting over the classes)."""
    check_reduction(reduction)
    compute_dtype(xp, logits, "logits")
    check_index_dtype(xp, labels)
    check_ignore_index(ignore_index)
    if logits.ndim == 0 or labels.ndim != logits.ndim or labels.shape[:-1] != logits.shape[:-1]:
        raise ValueError(
            f"mlcloss: labels must be index lists [..., K] of the positives, with the shape of "
            f"logits {tuple(logits.shape)} but for the last axis, received {tuple(labels.shape)}"
        )
    index, keep, outside, expected = class_indices(
        xp, backend, labels, logits.shape[-1], ignore_index
    )
    bad = check_values(
        xp, backend, lambda: xp.any(outside, axis=-1, keepdims=True), name="labels",
        expected=expected,
    )  # fmt: skip
    keep = keep & ~repeated(xp, index, keep)
    return index, keep, where_mask(xp, where, logits, target="logits"), bad


def repeated(xp, index, keep):
    """True where ``index[..., k]`` equals a kept index at an earlier position k' < k."""
    k = index.shape[-1]
    positions = xp.arange(k, device=device(index))
    earlier = positions[:, None] > positions[None, :]
    same = (index[..., :, None] == index[..., None, :]) & keep[..., None, :]
    return xp.any(same & earlier, axis=-1)


def sparse_finish(
    xp,
    backend,
    rows,
    logits,
    index,
    keep,
    negative,
    positive,
    *,
    options,
    valid,
    bad,
    reduction,
    sample_weight,
):
    """The reduced loss of :func:`sparse_rows` ``rows`` with its closed-form gradient.

    ``negative`` / ``positive``: the dense rows' arrays for a negative and for a positive
    entry (0-d labels, per-class weights of shape ``[C]`` or 0-d); per-class arrays of the
    positives are gathered at ``index`` here; the rest is :func:`~mlcloss._lib.elementwise.finish`.
    """
    classes = logits.shape[-1]

    def at_positives(v):
        if v is None or v.ndim == 0 or v.shape[-1] != classes:
            return v
        if v.ndim == 1:  # one per class: gather [C] at the [..., K] indices
            return xp.reshape(xp.take(v, xp.reshape(index, (-1,))), index.shape)
        return backend.take_along_last_axis(v, index)

    arrays = {"index": index, "keep": keep}
    arrays |= {"negative_" + k: v for k, v in negative.items()}
    arrays |= {"positive_" + k: at_positives(v) for k, v in positive.items()}
    return finish(
        xp, backend, rows, logits, arrays, options=options, valid=valid, bad=bad,
        reduction=reduction, sample_weight=sample_weight,
    )  # fmt: skip


def _replace(xp, backend, x, index, keep, values):
    """``x`` with its entries at the kept ``index`` replaced by ``values``, exactly: the
    gathered entries are subtracted (leaving exact zeros), then ``values`` added. One scatter
    of the difference would round it: ``3.05 + (0.0486 − 3.05)`` keeps float32's absolute
    error of 3.05, a relative error of 1e-5 at the small positive loss."""
    cleared = backend.scatter_add_last(
        x, index, xp.where(keep, -backend.take_along_last_axis(x, index), 0.0)
    )
    return backend.scatter_add_last(cleared, index, xp.where(keep, values, 0.0))


def sparse_rows(dense: Rows) -> Rows:
    """:class:`~mlcloss._lib.gradients.Rows` of ``dense`` (an elementwise binary loss's rows,
    from :func:`~mlcloss._lib.elementwise.elementwise_rows`) with the positives as index lists.

    Its inputs are those of ``dense`` twice, prefixed ``negative_`` and ``positive_`` (the
    positives' gathered at the indices), the options shared, and ``index`` / ``keep`` from
    :func:`positive_lists`.
    """

    def split(named):
        sides = tuple({} for _ in _SIDES)
        shared = {}
        for key, v in named.items():
            side = next((i for i, p in enumerate(_SIDES) if key.startswith(p)), None)
            if side is None:
                shared[key] = v
            else:
                sides[side][key[len(_SIDES[side]) :]] = v
        return sides, shared

    def value(xp, backend, x, *, index, keep, **named):
        (negative, positive), shared = split(named)
        loss, saved_negative = dense.value(xp, backend, x, valid=None, **shared, **negative)
        at, saved_positive = dense.value(
            xp, backend, backend.take_along_last_axis(x, index), valid=None, **shared, **positive
        )
        return _replace(xp, backend, loss, index, keep, at), (*saved_negative, *saved_positive)

    def gradient(xp, backend, x, saved, g, *, index, keep, **named):
        (negative, positive), shared = split(named)
        half = len(saved) // 2  # the two calls save alike
        grad = dense.gradient(xp, backend, x, saved[:half], g, valid=None, **shared, **negative)
        g_at = (
            g
            if getattr(g, "ndim", 0) == 0 or g.shape[-1] == 1
            else backend.take_along_last_axis(g, index)
        )
        at = dense.gradient(
            xp, backend, backend.take_along_last_axis(x, index), saved[half:], g_at, valid=None, **shared,
            **positive,
        )  # fmt: skip
        return _replace(xp, backend, grad, index, keep, at)

    return elementwise_rows(value, gradient, autodiff=dense.autodiff)
