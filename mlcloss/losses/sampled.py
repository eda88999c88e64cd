r"""Sampled losses for huge label spaces: sampled softmax and noise-contrastive estimation.

Both score each example's true classes and a shared set of sampled classes
instead of every class, with the output layer given as ``weights``
``[num_classes, dim]`` and ``biases`` ``[num_classes]``. For row :math:`b`
with input :math:`h_b`, true classes :math:`y_{b1..T}` (``num_true`` = T)
and sampled classes :math:`c_{1..S}` (``num_sampled`` = S) drawn with
expected counts :math:`Q`,

.. math::

    o_{bj} = h_b \cdot w_{y_{bj}} + β_{y_{bj}} - \log Q(y_{bj}), \qquad
    o'_{bi} = h_b \cdot w_{c_i} + β_{c_i} - \log Q(c_i),

and :math:`o'_{bi} = -\infty` where :math:`c_i` is one of the row's true
classes (an *accidental hit*; removing it is optional). Subtracting
:math:`\log Q` (``subtract_log_q``) makes the sampled objective an unbiased
stand-in for the full one. Each true class has target :math:`1/T`, each
sampled class 0, and the row's loss is the catalogue's loss over these
:math:`T + S` logits: :func:`~mlcloss.softmax_cross_entropy` for sampled
softmax, :func:`~mlcloss.sigmoid_cross_entropy` summed over the row for NCE.
This is ``tf.nn.sampled_softmax_loss`` / ``tf.nn.nce_loss`` number for number,
except that a hit is masked with −∞ where TensorFlow adds −FLT_MAX: the
masked logit then has exactly zero probability and zero gradient in every
dtype.

References
----------
Jean et al., "On Using Very Large Target Vocabulary for Neural Machine
Translation", ACL 2015. Gutmann & Hyvärinen, "Noise-contrastive estimation",
AISTATS 2010. TensorFlow, "Candidate Sampling Algorithms Reference".
"""

from __future__ import annotations

from .._lib.arguments import check_positive_int, is_array
from .._lib.dtypes import cast, compute_dtype
from .._lib.reduce import check_reduction, reduce
from .._lib.registry import declare
from .._lib.validate import check_class_ids, check_index_dtype, check_ndim, poison_rows
from ..backends import Inputs
from ..sampling import log_uniform_candidate_sampler
from .binary import sigmoid_cross_entropy
from .softmax import softmax_cross_entropy

__all__ = ["nce_loss", "sampled_softmax_loss"]

_SAMPLED = Inputs(
    "weights",
    "biases",
    "labels",
    "inputs",
    optional=("sampled_candidates", "true_expected_count", "sampled_expected_count"),
)


@declare(
    kind="sampled",
    closed_form=False,
    modules=False,
    keras=False,
    peers={"tf.nn": "tf.nn.sampled_softmax_loss (given the same sampled_values)"},
    cases=lambda ex: {
        "sampled-softmax": ex.sampled_case(
            sampled_softmax_loss, ex.oracles.sampled_softmax, remove_accidental_hits=True
        )
    },
)
def sampled_softmax_loss(
    weights,
    biases,
    labels,
    inputs,
    *,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=True,
    subtract_log_q=True,
    label_smoothing=0.0,
    seed=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Sampled softmax cross-entropy: a softmax over the true and the sampled classes only.

    .. math::

        L_b = -\frac{1}{T} \sum_{j=1}^{T}
              \log \operatorname{softmax}\bigl(o_{b1}, …, o_{bT}, o'_{b1}, …, o'_{bS}\bigr)_j

    with the corrected logits :math:`o, o'` of :mod:`mlcloss.losses.sampled`.
    Use it to train, and evaluate with the full softmax cross-entropy.

    For row :math:`b` with input :math:`h_b` (``inputs``), true classes
    :math:`y_{bj}` (``labels``) and sampled classes :math:`c_i`, the logits
    are :math:`o_{bj} = h_b \cdot w_{y_{bj}} + β_{y_{bj}} - \log Q(y_{bj})`
    and :math:`o'_{bi} = h_b \cdot w_{c_i} + β_{c_i} - \log Q(c_i)`, with
    :math:`w, β` the rows of ``weights`` and ``biases`` and :math:`Q` the
    expected counts of the sampler. Only :math:`T + S` of the
    ``num_classes`` logits are computed, so a row costs O((T + S) · dim)
    rather than O(num_classes · dim). Subtracting :math:`\log Q` corrects for
    the sampler favouring some classes, so that training on the sample
    approximates training on the full softmax; the softmax itself is the
    max-shifted log-softmax of :func:`~mlcloss.softmax_cross_entropy`.

    Parameters
    ----------
    weights : array ``[num_classes, dim]``
        The output embedding (one array; TensorFlow's list of shards is not taken).
    biases : array ``[num_classes]``
        The per-class bias :math:`β` of the output layer.
    labels : integer array ``[batch, num_true]`` (or ``[batch]`` when ``num_true=1``)
        The true classes :math:`y` of each example, in ``[0, num_classes)``.
    inputs : array ``[batch, dim]``
        The hidden states; the loss is computed in their dtype (float32 for
        16-bit inputs), and ``weights`` and ``biases`` are cast to it.
    num_sampled : int
        S, the number of sampled classes shared by the batch.
    num_classes : int
        The size of the full label space (the rows of ``weights``), from
        which the default sampler draws.
    num_true : int
        T, the true classes per example; each has target 1/T.
    sampled_values : tuple, optional
        ``(sampled_candidates [S], true_expected_count [batch, num_true],
        sampled_expected_count [S])``, e.g. from
        :func:`~mlcloss.log_uniform_candidate_sampler` or another sampler;
        no gradient flows into them. Default: the log-uniform sampler with
        ``unique=True`` and ``seed``.
    remove_accidental_hits : bool
        Mask a sampled class that is one of the row's true classes.
        Default True, as in TensorFlow: the class is then not counted as
        its own negative.
    subtract_log_q : bool
        Subtract the log expected counts from the logits.
        Default True; False gives the uncorrected (biased) objective.
    label_smoothing : float in [0, 1] or 0-d array
        :math:`ε`: the targets over the candidates become
        :math:`(1 - ε)/T` on the true classes plus :math:`ε / V` on each of
        the :math:`V` candidates kept (accidental hits removed get nothing),
        as ``tf.losses.softmax_cross_entropy(label_smoothing=ε)`` on the
        sampled logits (default 0). With hard targets the optimum puts the
        true logit infinitely far above the sampled ones; smoothing puts it
        at a finite margin, :math:`\log\bigl((1 - ε + ε/V) V / ε\bigr)` for
        :math:`T = 1`: the usual cure for sampled softmax with hundreds of
        candidates going NaN in 16-bit training (see the docs' extreme
        multi-label page for what does and does not go NaN).
    seed : int, optional
        The sampler's seed when ``sampled_values`` is not given.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns ``[batch]``, as TensorFlow does.
        ``"sum"`` adds the rows and ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per example, ``[batch]``; for
        ``"mean"`` and ``"sum"`` a 0-d array. float32 for 16-bit or float32
        inputs, float64 for float64 inputs.

    References
    ----------
    Jean, Cho, Memisevic & Bengio, "On Using Very Large Target Vocabulary
    for Neural Machine Translation", ACL 2015, arXiv:1412.2007. TensorFlow,
    "Candidate Sampling Algorithms Reference".

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> rng = np.random.default_rng(0)
    >>> weights, biases = rng.normal(size=(50, 4)), np.zeros(50)
    >>> inputs, labels = rng.normal(size=(3, 4)), np.array([[1], [7], [30]])
    >>> sampled = (np.array([0, 1, 2]), np.full((3, 1), 0.5), np.full(3, 0.5))
    >>> mlcloss.sampled_softmax_loss(
    ...     weights, biases, labels, inputs, num_sampled=3, num_classes=50,
    ...     sampled_values=sampled, reduction="none").round(4)
    array([3.6089, 1.4401, 5.6718])
    """
    xp, logits, targets, bad = _sampled_logits(
        weights,
        biases,
        labels,
        inputs,
        num_sampled=num_sampled,
        num_classes=num_classes,
        num_true=num_true,
        sampled_values=sampled_values,
        remove_accidental_hits=remove_accidental_hits,
        subtract_log_q=subtract_log_q,
        seed=seed,
        reduction=reduction,
    )
    smoothing = {}
    if is_array(label_smoothing) or label_smoothing != 0:  # ε over the candidates kept
        smoothing = {"label_smoothing": label_smoothing}
        if remove_accidental_hits:
            smoothing["where"] = logits != -xp.inf
    loss = softmax_cross_entropy(logits, targets, reduction="none", **smoothing)
    return reduce(xp, poison_rows(xp, loss, bad), reduction, sample_weight=sample_weight)


@declare(
    kind="sampled",
    closed_form=False,
    modules=False,
    keras=False,
    peers={"tf.nn": "tf.nn.nce_loss (given the same sampled_values)"},
    cases=lambda ex: {
        "nce": ex.sampled_case(nce_loss, ex.oracles.nce, remove_accidental_hits=True)
    },
)
def nce_loss(
    weights,
    biases,
    labels,
    inputs,
    *,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=False,
    seed=None,
    sample_weight=None,
    reduction="mean",
):
    r"""Noise-contrastive estimation: a logistic loss telling the true classes from the sampled.

    .. math::

        L_b = \sum_{j=1}^{T} \Bigl[\tfrac{1}{T} \operatorname{softplus}(-o_{bj})
              + \bigl(1 - \tfrac{1}{T}\bigr) \operatorname{softplus}(o_{bj})\Bigr]
              + \sum_{i=1}^{S} \operatorname{softplus}(o'_{bi})

    with the corrected logits :math:`o, o'` of :mod:`mlcloss.losses.sampled`
    (the log expected counts are always subtracted). Accidental hits are
    kept by default, as in TensorFlow; a removed hit contributes exactly 0.

    Each of the :math:`T + S` logits is its own binary problem, "data or
    noise": a true class should score high (:math:`\operatorname{softplus}(-o)`
    is :math:`-\log σ(o)`), a sampled one low
    (:math:`\operatorname{softplus}(o') = -\log(1 - σ(o'))`); it is
    :func:`~mlcloss.sigmoid_cross_entropy` with target :math:`1/T` on the
    true classes and 0 on the sampled ones, summed over the row, each tail
    computed on its own. The logit :math:`o = h \cdot w + β - \log Q` is the
    log-odds of data against noise when the model is normalised, which is
    why NCE needs no softmax over the label space.

    Parameters
    ----------
    weights : array ``[num_classes, dim]``
        The output embedding :math:`w`, one row per class (one array;
        TensorFlow's list of shards is not taken).
    biases : array ``[num_classes]``
        The per-class bias :math:`β` of the output layer.
    labels : integer array ``[batch, num_true]`` (or ``[batch]`` when ``num_true=1``)
        The true classes :math:`y` of each example, in ``[0, num_classes)``.
    inputs : array ``[batch, dim]``
        The hidden states :math:`h`; the loss is computed in their dtype
        (float32 for 16-bit inputs), and ``weights`` and ``biases`` are cast
        to it.
    num_sampled : int
        S, the number of noise classes sampled for the whole batch.
    num_classes : int
        The size of the full label space (the rows of ``weights``), from
        which the default sampler draws.
    num_true : int
        T, the true classes per example (default 1); each has target 1/T.
    sampled_values : tuple, optional
        ``(sampled_candidates [S], true_expected_count [batch, num_true],
        sampled_expected_count [S])`` from a sampler such as
        :func:`~mlcloss.log_uniform_candidate_sampler`; no gradient flows
        into them. Default: the log-uniform sampler with ``unique=True``
        and ``seed``.
    remove_accidental_hits : bool
        Mask a sampled class that is one of the row's true classes.
        Default False, as in TensorFlow's ``nce_loss``.
    seed : int, optional
        The sampler's seed when ``sampled_values`` is not given.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns ``[batch]``, as TensorFlow does.
        ``"sum"`` adds the rows and ``"mean"`` averages them.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per example, ``[batch]``; for
        ``"mean"`` and ``"sum"`` a 0-d array. float32 for 16-bit or float32
        inputs, float64 for float64 inputs.

    References
    ----------
    Gutmann & Hyvärinen, "Noise-contrastive estimation: A new estimation
    principle for unnormalized statistical models", AISTATS 2010. Mnih &
    Teh, "A fast and simple algorithm for training neural probabilistic
    language models", ICML 2012. TensorFlow, "Candidate Sampling Algorithms
    Reference".

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> rng = np.random.default_rng(0)
    >>> weights, biases = rng.normal(size=(50, 4)), np.zeros(50)
    >>> inputs, labels = rng.normal(size=(3, 4)), np.array([[1], [7], [30]])
    >>> sampled = (np.array([0, 1, 2]), np.full((3, 1), 0.5), np.full(3, 0.5))
    >>> mlcloss.nce_loss(
    ...     weights, biases, labels, inputs, num_sampled=3, num_classes=50,
    ...     sampled_values=sampled, reduction="none").round(4)
    array([5.0564, 3.0885, 7.3441])
    """
    xp, logits, targets, bad = _sampled_logits(
        weights,
        biases,
        labels,
        inputs,
        num_sampled=num_sampled,
        num_classes=num_classes,
        num_true=num_true,
        sampled_values=sampled_values,
        remove_accidental_hits=remove_accidental_hits,
        subtract_log_q=True,
        seed=seed,
        reduction=reduction,
    )
    loss = xp.sum(sigmoid_cross_entropy(logits, targets, reduction="none"), axis=-1)
    return reduce(xp, poison_rows(xp, loss, bad), reduction, sample_weight=sample_weight)


def _sampled_logits(
    weights,
    biases,
    labels,
    inputs,
    *,
    num_sampled,
    num_classes,
    num_true,
    sampled_values,
    remove_accidental_hits,
    subtract_log_q,
    seed,
    reduction,
):
    """``(xp, logits [batch, T + S], targets [batch, T + S], bad rows or None)``."""
    given = _unpack_sampled_values(sampled_values)
    backend, (weights, biases, labels, inputs, *given) = _SAMPLED(
        weights, biases, labels, inputs, *given
    )
    xp = backend.xp
    check_reduction(reduction)
    num_sampled = check_positive_int(num_sampled, name="num_sampled")
    num_classes = check_positive_int(num_classes, name="num_classes")
    num_true = check_positive_int(num_true, name="num_true")
    dtype = compute_dtype(xp, inputs, "inputs")
    compute_dtype(xp, weights, "weights")
    compute_dtype(xp, biases, "biases")
    check_ndim(inputs, 2, name="inputs", layout="[batch, dim]")
    dim = inputs.shape[1]
    _check_shape(weights, (num_classes, dim), name="weights", layout="[num_classes, dim]")
    _check_shape(biases, (num_classes,), name="biases", layout="[num_classes]")
    labels = _check_labels(xp, labels, inputs, num_true)
    bad_entries = check_class_ids(xp, backend, labels, num_classes, name="labels")
    bad = None
    if bad_entries is not None:
        labels = xp.where(bad_entries, 0, labels)
        bad = xp.any(bad_entries, axis=-1)

    if given:
        sampled, true_count, sampled_count = given
        _check_sampled_values(xp, given, labels, num_sampled)
        bad_sampled = check_class_ids(xp, backend, sampled, num_classes, name="sampled_candidates")
        if bad_sampled is not None:  # one bad candidate spoils every row
            sampled = xp.where(bad_sampled, 0, sampled)
            spoiled = xp.any(bad_sampled) | xp.zeros_like(labels[:, 0], dtype=xp.bool)
            bad = spoiled if bad is None else bad | spoiled
    else:
        sampled, true_count, sampled_count = log_uniform_candidate_sampler(
            labels, num_sampled=num_sampled, range_max=num_classes, unique=True, seed=seed
        )
    true_ids = backend.as_index(xp.reshape(labels, (-1,)))
    sampled_ids = backend.as_index(sampled)
    h = cast(xp, inputs, dtype)
    w, beta = cast(xp, weights, dtype), cast(xp, biases, dtype)

    true_w = xp.reshape(xp.take(w, true_ids, axis=0), (-1, num_true, dim))
    true_beta = xp.reshape(xp.take(beta, true_ids, axis=0), (-1, num_true))
    true_logits = xp.sum(xp.expand_dims(h, axis=1) * true_w, axis=-1) + true_beta
    sampled_w = xp.take(w, sampled_ids, axis=0)
    sampled_logits = xp.matmul(h, xp.matrix_transpose(sampled_w)) + xp.take(
        beta, sampled_ids, axis=0
    )
    if subtract_log_q:
        true_logits = true_logits - xp.log(_counts(xp, backend, true_count, dtype))
        sampled_logits = sampled_logits - xp.log(_counts(xp, backend, sampled_count, dtype))
    if remove_accidental_hits:
        hits = xp.any(xp.expand_dims(labels, axis=2) == xp.astype(sampled, labels.dtype), axis=1)
        sampled_logits = xp.where(hits, -xp.inf, sampled_logits)
    logits = xp.concat([true_logits, sampled_logits], axis=1)
    targets = xp.concat(
        [xp.full_like(true_logits, 1.0 / num_true), xp.zeros_like(sampled_logits)], axis=1
    )
    return xp, logits, targets, bad


def _counts(xp, backend, count, dtype):
    """Expected counts in the compute dtype, held constant for the gradient."""
    return backend.stop_gradient(cast(xp, count, dtype))


def _unpack_sampled_values(sampled_values):
    if sampled_values is None:
        return ()
    if not isinstance(sampled_values, (tuple, list)) or len(sampled_values) != 3:
        raise TypeError(
            "mlcloss: sampled_values must be a tuple (sampled_candidates, "
            "true_expected_count, sampled_expected_count), received "
            f"{type(sampled_values).__name__}"
        )
    return tuple(sampled_values)


def _check_shape(x, shape, *, name, layout):
    if tuple(x.shape) != shape:
        raise ValueError(
            f"mlcloss: {name} must have shape {layout} = {shape}, received {tuple(x.shape)}"
        )


def _check_labels(xp, labels, inputs, num_true):
    check_index_dtype(xp, labels, name="labels")
    if labels.ndim == 1 and num_true == 1:
        labels = xp.reshape(labels, (-1, 1))
    check_ndim(labels, 2, name="labels", layout="[batch, num_true]")
    rows, batch = labels.shape[0], inputs.shape[0]
    if labels.shape[1] != num_true or (rows is not None and batch is not None and rows != batch):
        raise ValueError(
            f"mlcloss: labels must have shape [batch, num_true] = ({batch}, {num_true}), "
            f"received {tuple(labels.shape)}"
        )
    return labels


def _check_sampled_values(xp, given, labels, num_sampled):
    sampled, true_count, sampled_count = given
    check_index_dtype(xp, sampled, name="sampled_candidates")
    expected = {
        "sampled_candidates": ((num_sampled,), sampled),
        "true_expected_count": (tuple(labels.shape), true_count),
        "sampled_expected_count": ((num_sampled,), sampled_count),
    }
    for name, (shape, value) in expected.items():
        if not _same_shape(tuple(value.shape), shape):
            raise ValueError(
                f"mlcloss: sampled_values' {name} must have shape {shape}, "
                f"received {tuple(value.shape)}"
            )


def _same_shape(got, expected):
    """Equal shapes, an unknown (None) dimension matching anything, as in a traced graph."""
    return len(got) == len(expected) and all(
        a is None or b is None or a == b for a, b in zip(got, expected)
    )
