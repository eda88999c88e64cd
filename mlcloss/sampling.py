r"""Candidate sampling for huge label spaces: the log-uniform (Zipfian) sampler.

Sampled softmax and NCE replace the softmax over millions of classes by one
over the true classes and a few sampled ones, correcting each logit by the
log of its expected count. The standard has no random numbers: each backend
adapter supplies uniform draws (a NumPy ``Generator``, a torch
``Generator``, a JAX key, TensorFlow's stateless ops), reproducible for an
integer ``seed``, on the device of ``true_classes``.
"""

from __future__ import annotations

import math

from ._compat import device
from ._lib.arguments import check_positive_int
from ._lib.validate import check_class_ids, check_index_dtype, check_ndim
from .backends import Inputs

__all__ = ["log_uniform_candidate_sampler"]

_TRUE_CLASSES = Inputs("true_classes")


def log_uniform_candidate_sampler(true_classes, *, num_sampled, range_max, unique=True, seed=None):
    r"""Sample classes from the log-uniform distribution, with TensorFlow's expected counts.

    .. math::

        P(c) = \frac{\log(c + 2) - \log(c + 1)}{\log(\mathrm{range\_max} + 1)},
        \qquad c \in [0, \mathrm{range\_max})

    which favours small class ids: sort the vocabulary by decreasing
    frequency first. A draw is :math:`\lfloor e^{u \log(\mathrm{range\_max}+1)} \rfloor - 1`
    for :math:`u` uniform in [0, 1). With ``unique=True`` draws are repeated
    until ``num_sampled`` distinct classes are found (in the order found),
    and the expected count of a class with probability :math:`p` after
    :math:`n` draws is :math:`1 - (1 - p)^n = -\operatorname{expm1}(n
    \operatorname{log1p}(-p))`; without uniqueness (or when no draw was
    repeated) it is :math:`p \cdot \mathrm{num\_sampled}`, exactly as
    ``tf.random.log_uniform_candidate_sampler`` reports them (float32).

    The log-uniform (Zipfian) distribution approximates the word frequencies
    of natural language, so with a vocabulary sorted by frequency the sampled
    negatives are the frequent, informative ones. The expected counts
    :math:`Q` are what :func:`~mlcloss.sampled_softmax_loss` and
    :func:`~mlcloss.nce_loss` subtract, as :math:`\log Q`, from the logits.

    Parameters
    ----------
    true_classes : integer array ``[batch, num_true]``
        The target classes; only their expected counts are computed.
        Their device is where the draws are made.
    num_sampled : int
        The number of classes to draw for the whole batch (distinct ones
        when ``unique=True``).
    range_max : int
        The number of classes.
        Classes are the integers in ``[0, range_max)``.
    unique : bool
        True (the default): draw without replacement, repeating draws until
        ``num_sampled`` distinct classes are found. False: ``num_sampled``
        independent draws, which may repeat.
    seed : int, optional
        Reproducible draws for a given seed on a given backend.

    Returns
    -------
    sampled_candidates : int64 array ``[num_sampled]``
        The sampled classes, in the order drawn.
    true_expected_count : float32 array ``[batch, num_true]``
        :math:`Q` of each true class: how often it is expected among the
        draws.
    sampled_expected_count : float32 array ``[num_sampled]``
        :math:`Q` of each sampled class.

    Notes
    -----
    The unique draws are made in blocks, the first occurrences found with a
    stable sort, so the sampler has fixed shapes and traces under
    ``jax.jit`` (with a static ``seed``). A block has ``4 * num_sampled +
    1024`` draws, enough unless ``num_sampled`` is close to ``range_max``;
    eagerly a block too short to hold ``num_sampled`` distinct classes is
    doubled until it does, while under tracing (or on an accelerator, where
    the check would wait for the device) the expected counts are then NaN.
    A traced sampler draws what the eager one draws.

    References
    ----------
    TensorFlow, "Candidate Sampling Algorithms Reference", and
    ``tf.random.log_uniform_candidate_sampler``. Jean et al., "On Using Very
    Large Target Vocabulary for Neural Machine Translation", ACL 2015.

    Examples
    --------
    Without uniqueness a class's expected count is :math:`P(c)` times
    ``num_sampled``, whatever was drawn: :math:`4 \log 2 / \log 11` for
    class 0 and :math:`4 \log(7/6) / \log 11` for class 5.

    >>> import numpy as np, mlcloss
    >>> true_classes = np.array([[0], [5]])
    >>> sampled, true_count, sampled_count = mlcloss.log_uniform_candidate_sampler(
    ...     true_classes, num_sampled=4, range_max=10, unique=False, seed=0)
    >>> true_count.round(4)
    array([[1.1563],
           [0.2571]], dtype=float32)

    With ``unique=True`` (the default) the four classes are distinct:

    >>> sampled, true_count, sampled_count = mlcloss.log_uniform_candidate_sampler(
    ...     true_classes, num_sampled=4, range_max=10, seed=0)
    >>> sampled.shape, len(set(sampled.tolist())), bool(((sampled >= 0) & (sampled < 10)).all())
    ((4,), 4, True)
    """
    backend, (true_classes,) = _TRUE_CLASSES(true_classes)
    xp = backend.xp
    check_index_dtype(xp, true_classes, name="true_classes")
    check_ndim(true_classes, 2, name="true_classes", layout="[batch, num_true]")
    num_sampled = check_positive_int(num_sampled, name="num_sampled")
    range_max = check_positive_int(range_max, name="range_max")
    if unique and num_sampled > range_max:
        raise ValueError(
            f"mlcloss: unique sampling needs num_sampled <= range_max, received "
            f"num_sampled={num_sampled}, range_max={range_max}"
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"mlcloss: seed must be an int or None, received {seed!r}")
    bad = check_class_ids(xp, backend, true_classes, range_max, name="true_classes")
    where = device(true_classes)
    log_range = math.log1p(range_max)

    if not unique:
        sampled = _draw(xp, backend, num_sampled, seed, where, log_range, range_max)
        num_tries = None
    else:
        budget = 4 * num_sampled + 1024
        while True:
            draws = _draw(xp, backend, budget, seed, where, log_range, range_max)
            sampled, num_tries, enough = _first_unique(xp, draws, num_sampled)
            if not backend.is_concrete(enough) or bool(enough):
                break
            budget *= 2  # eagerly: draw a longer block

    true_count = expected_count(
        xp, _probability(xp, true_classes, log_range), num_tries, num_sampled
    )
    sampled_count = expected_count(xp, _probability(xp, sampled, log_range), num_tries, num_sampled)
    if num_tries is not None:
        nan = xp.asarray(float("nan"), dtype=xp.float32, device=where)
        true_count = xp.where(enough, true_count, nan)
        sampled_count = xp.where(enough, sampled_count, nan)
    if bad is not None:
        true_count = xp.where(
            bad, xp.asarray(float("nan"), dtype=xp.float32, device=where), true_count
        )
    return sampled, true_count, sampled_count


def expected_count(xp, probability, num_tries, num_sampled):
    r"""TensorFlow's expected count of a class drawn with ``probability`` (float32 arithmetic).

    ``num_tries`` draws were needed for ``num_sampled`` distinct classes
    (``None``: sampling with replacement, ``num_tries = num_sampled``):
    :math:`p \cdot \mathrm{num\_sampled}` when the two are equal, else
    :math:`-\operatorname{expm1}(\mathrm{num\_tries} \cdot \operatorname{log1p}(-p))`.
    """
    p = xp.astype(probability, xp.float32)
    linear = p * float(num_sampled)
    if num_tries is None:
        return linear
    tries = xp.astype(num_tries, xp.float32)
    unique = -xp.expm1(tries * xp.log1p(-p))
    return xp.where(num_tries == num_sampled, linear, unique)


def _probability(xp, classes, log_range):
    """P(c) in float64, rounded to float32 as TensorFlow's sampler returns it."""
    c = xp.astype(classes, xp.float64)
    return xp.astype(xp.log((c + 2.0) / (c + 1.0)) / log_range, xp.float32)


def _draw(xp, backend, count, seed, where, log_range, range_max):
    """``count`` log-uniform class ids (int64): floor(exp(u log(range_max + 1))) − 1."""
    u = backend.uniform((count,), seed=seed, device=where)
    values = xp.astype(xp.floor(xp.exp(u * log_range)), xp.int64) - 1
    return xp.clip(values, min=0, max=range_max - 1)


def _first_unique(xp, draws, num_sampled):
    """The first ``num_sampled`` distinct draws in order, the draws that took, and whether enough.

    First occurrences come from a stable sort: in sorted order a value starts
    a run; mapping the run starts back through the inverse permutation marks
    each value's first draw. ``num_tries`` is the position of the
    ``num_sampled``-th first occurrence, plus one.
    """
    count = draws.shape[0]
    order = xp.argsort(draws, stable=True)
    ordered = xp.take(draws, order)
    starts = xp.concat(
        [xp.ones((1,), dtype=xp.bool, device=device(draws)), ordered[1:] != ordered[:-1]]
    )
    first = xp.take(starts, xp.argsort(order, stable=True))
    seen = xp.cumulative_sum(xp.astype(first, xp.int64))
    enough = seen[-1] >= num_sampled
    num_tries = xp.sum(xp.astype(seen < num_sampled, xp.int64)) + 1
    positions = xp.arange(count, dtype=xp.int64, device=device(draws))
    keys = xp.where(first & (seen <= num_sampled), positions, positions + count)
    picked = xp.argsort(keys, stable=True)[:num_sampled]
    return xp.take(draws, picked), num_tries, enough
