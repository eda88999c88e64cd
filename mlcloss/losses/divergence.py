r"""The generalized Jensen–Shannon divergence between a model's softmax and a target's.

The bounded, symmetric (at :math:`β = ½`) cousin of :func:`mlcloss.kl_divergence`
for distillation, as Liger-Kernel defines it: its :math:`β` moves between
the forward and the reverse KL divergence.
"""

from __future__ import annotations

import math

from .._lib.arguments import check_number
from .._lib.dtypes import compute_dtype
from .._lib.label_sets import dense_rows
from .._lib.reduce import check_reduction, count_where, reduce
from .._lib.registry import declare
from .._lib.stable import masked_log_softmax
from ..backends import Inputs

__all__ = ["js_divergence"]

_LOGITS_TARGET_LOGITS_WHERE = Inputs("logits", "target_logits", optional=("where",))


@declare(
    kind="class-set",
    closed_form=False,
    peers={"liger": "liger_kernel.transformers.LigerJSD (log-softmaxes of both)"},
    cases=lambda ex: {
        "js": ex.case(
            ex.LOGITS, ex.LOGITS[::-1] / 2, expected=ex.oracles.js(ex.LOGITS, ex.LOGITS[::-1] / 2)
        ),
        "js-beta": ex.case(
            ex.LOGITS,
            ex.LOGITS[::-1] / 2,
            beta=0.2,
            where=ex.WHERE_CLASS,
            expected=ex.oracles.js(ex.LOGITS, ex.LOGITS[::-1] / 2, beta=0.2, where=ex.WHERE_CLASS),
        ),
        "js-forward-kl": ex.case(
            ex.LOGITS,
            ex.LOGITS[::-1] / 2,
            beta=0.0,
            expected=ex.oracles.js(ex.LOGITS, ex.LOGITS[::-1] / 2, beta=0.0),
        ),
    },
    bench=lambda b: (b.logits, b.targets, {}),
    keras=False,
)
def js_divergence(
    logits, target_logits, /, *, beta=0.5, axis=-1, where=None, sample_weight=None, reduction="mean"
):
    r"""Generalized Jensen–Shannon divergence JSD\ :sub:`β` between ``target_logits``' and ``logits``' softmaxes.

    With :math:`Q = \operatorname{softmax}(s)` the model's distribution
    (:math:`s` = ``logits``, the student), :math:`P =
    \operatorname{softmax}(u)` the target's (:math:`u` = ``target_logits``,
    the teacher) over the classes of ``axis``, and their mixture :math:`M =
    β P + (1 - β) Q`, each row's loss is

    .. math::

        L = β\, \mathrm{KL}(P \,\|\, M) + (1 - β)\, \mathrm{KL}(Q \,\|\, M)
        \quad (0 < β < 1), \qquad
        L = \mathrm{KL}(P \,\|\, Q) \ (β = 0), \quad
        L = \mathrm{KL}(Q \,\|\, P) \ (β = 1):

    at :math:`β = ½` the symmetric Jensen–Shannon divergence, at most
    :math:`\log 2`; at the ends the forward and reverse KL divergences, as
    Liger-Kernel's ``LigerJSD`` defines them (its ``log_q`` and ``log_p``
    are the two log-softmaxes). :math:`\log M` is
    :math:`\operatorname{logaddexp}(\log β + \log P, \log(1 - β) + \log Q)`
    from the two log-softmaxes, so no probability is rounded to 0 before
    its logarithm is taken; gradients reach both sets of logits (detach
    the teacher's for distillation).

    Parameters
    ----------
    logits : array ``[..., C, ...]``
        The model's unnormalised scores :math:`s`; real floating (16-bit
        logits are computed in float32).
    target_logits : array, the shape of ``logits``
        The target's unnormalised scores :math:`u` (a log-softmax is fine:
        the softmax is taken again), real floating.
    beta : float in [0, 1], or 0-d array
        :math:`β`, the weight of the target in the mixture (default ½); 0
        and 1 select the forward and reverse KL. A 0-d array may be traced
        (it then takes the mixture's formula, which at 0 and 1 is 0).
    axis : int
        The class axis (default -1, the last).
    where : bool array broadcastable to ``logits``, optional
        False removes a class from both softmaxes; a row with no class left
        costs 0 and leaves the mean.
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one divergence per row, ``"sum"`` adds them and
        ``"mean"`` averages them over the rows with a class (Liger's mean
        over tokens).

    Returns
    -------
    array
        For ``reduction="none"`` one divergence per row, ``logits.shape``
        without ``axis``; for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 logits, float64 for float64 logits.

    References
    ----------
    Lin, "Divergence Measures Based on the Shannon Entropy", IEEE
    Transactions on Information Theory 37, 1991; Agarwal et al., "On-Policy
    Distillation of Language Models: Learning from Self-Generated Mistakes"
    (generalized JSD), ICLR 2024.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> student, teacher = np.array([[0.0, 0.0]]), np.array([[0.0, -np.inf]])
    >>> round(float(mlcloss.js_divergence(student, teacher)), 4)
    0.2158
    >>> float(mlcloss.js_divergence(teacher, teacher))
    0.0
    """
    backend, (logits, target_logits, where) = _LOGITS_TARGET_LOGITS_WHERE(
        logits, target_logits, where
    )
    xp = backend.xp
    check_reduction(reduction)
    compute_dtype(xp, target_logits, "target_logits")  # real floating too
    s, u, valid, _ = dense_rows(
        xp, logits, target_logits, where, axis, names=("logits", "target_logits")
    )
    dtype = s.dtype
    beta = check_number(
        beta, name="beta", low=0.0, high=1.0, backend=backend, like=logits, dtype=dtype
    )
    log_q = masked_log_softmax(xp, backend, s, where=valid)
    log_p = masked_log_softmax(xp, backend, u, where=valid)
    if isinstance(beta, float) and beta == 0.0:  # the forward KL, KL(P ‖ Q)
        loss = _kl(xp, log_p, log_q)
    elif isinstance(beta, float) and beta == 1.0:  # the reverse KL, KL(Q ‖ P)
        loss = _kl(xp, log_q, log_p)
    else:
        log_m = _log_mixture(xp, log_p, log_q, beta)
        loss = beta * _kl(xp, log_p, log_m) + (1 - beta) * _kl(xp, log_q, log_m)
    count = None if valid is None else count_where(xp, xp.any(valid, axis=-1), dtype)
    return reduce(xp, loss, reduction, count=count, sample_weight=sample_weight)


def _kl(xp, log_a, log_b):
    r""":math:`\sum_c a_c (\log a_c - \log b_c)` over the classes with :math:`a_c > 0` (a
    double ``where``: a class absent from :math:`a` contributes 0, whatever :math:`b`)."""
    present = log_a > -math.inf
    a = xp.exp(xp.where(present, log_a, 0.0))
    difference = xp.where(present, log_a, 0.0) - xp.where(present, log_b, 0.0)
    return xp.sum(xp.where(present, a * difference, 0.0), axis=-1)


def _log_mixture(xp, log_p, log_q, beta):
    r""":math:`\log(β P + (1 - β) Q)` by ``logaddexp``; ``-inf`` where both are 0, by a double
    ``where`` (``logaddexp(-inf, -inf)`` has a NaN gradient)."""
    if isinstance(beta, float):
        log_beta, log_rest = math.log(beta), math.log1p(-beta)
    else:
        log_beta, log_rest = xp.log(beta), xp.log1p(-beta)
    either = (log_p > -math.inf) | (log_q > -math.inf)
    mixed = xp.logaddexp(
        xp.where(either, log_p, 0.0) + log_beta, xp.where(either, log_q, 0.0) + log_rest
    )
    return xp.where(either, mixed, -math.inf)
