r"""Sequence losses: a recursion over the time steps, run by the adapters' ``scan``.

:func:`ctc_loss` sums over every alignment of a label sequence to the frames
of a transcription model (torch's ``F.ctc_loss``); :func:`crf_loss` is the
negated log-likelihood of a tag sequence under a linear-chain conditional
random field (pytorch-crf's ``CRF``), and :func:`crf_decode` its most likely
tag sequence (Viterbi). Each is one forward recursion in log space, written
once; ``backend.scan`` runs it as ``jax.lax.scan``, a ``tf.while_loop`` in a
TensorFlow graph, and a Python loop in eager torch and NumPy (which
``torch.compile`` unrolls), so all three run eagerly, under autograd and
inside every compiler.
"""

from __future__ import annotations

from .._compat import device
from .._lib.arguments import check_flag
from .._lib.dtypes import cast, compute_dtype
from .._lib.reduce import check_reduction, reduce
from .._lib.registry import declare
from .._lib.validate import check_bool_mask, check_index_dtype, check_values, poison_rows
from ..backends import Inputs

__all__ = ["crf_decode", "crf_loss", "ctc_loss"]

_CTC = Inputs("log_probs", "labels", optional=("input_lengths", "label_lengths"))
_CRF = Inputs(
    "emissions", "tags", "transitions", optional=("start_transitions", "end_transitions", "mask")
)
_DECODE = Inputs(
    "emissions", "transitions", optional=("start_transitions", "end_transitions", "mask")
)

_UNREACHABLE = -1e30
"""The log-probability of a state no path reaches: finite, so a ``logsumexp`` of three
unreachable states is this number again (and its gradient 0 to every real path), where
``-inf`` would give ``-inf - (-inf) = NaN``; ``exp`` of it against any reachable state is 0."""


def _ctc_case(ex, *, time_major, blank, zero_infinity):
    """A CTC example: 6 frames, 3 sequences, 4 classes; 2 labels a sequence (one repeat)."""
    rng = ex.np.random.default_rng(17)
    logits = rng.normal(size=(6, 3, 4)) * 1.5
    log_probs = logits - ex.np.log(ex.np.exp(logits).sum(-1, keepdims=True))
    others = [c for c in range(4) if c != blank]
    labels = ex.np.array(
        [[others[0], others[1], -1], [others[2], others[2], -1], [others[1], others[0], 7]]
    )
    input_lengths = ex.np.array([6, 2 if zero_infinity else 5, 4])  # 2 frames: impossible
    label_lengths = ex.np.array([2, 2, 2])
    expected = ex.oracles.ctc(
        log_probs, labels, input_lengths, label_lengths, blank=blank, zero_infinity=zero_infinity
    )
    if not time_major:
        log_probs = ex.np.swapaxes(log_probs, 0, 1)
    return ex.case(
        log_probs,
        labels,
        input_lengths,
        label_lengths,
        blank=blank,
        zero_infinity=zero_infinity,
        time_major=time_major,
        expected=expected,
        count=6,  # torch's mean: each loss over its label length (2), averaged over 3
    )


@declare(
    kind="sequence",
    labels="index",
    closed_form=False,
    keras=False,
    peers={
        "torch": "torch.nn.functional.ctc_loss",
        "tensorflow": "tf.nn.ctc_loss (logits; reduction='none')",
        "optax": "optax.losses.ctc_loss (batch-major logits, paddings for lengths)",
    },
    cases=lambda ex: {
        "ctc": _ctc_case(ex, time_major=True, blank=0, zero_infinity=False),
        "ctc-batch-major": _ctc_case(ex, time_major=False, blank=3, zero_infinity=True),
    },
    bench=lambda b: _ctc_bench(b),
    timed_against={
        "torch": lambda m, lp, y, tl, yl: m.F.ctc_loss(lp, y, tl, yl),
        "jax": lambda m, lp, y, tl, yl: _optax_ctc(m, lp, y, tl, yl),
    },
)
def ctc_loss(
    log_probs,
    labels,
    input_lengths,
    label_lengths,
    /,
    *,
    blank=0,
    zero_infinity=False,
    time_major=True,
    sample_weight=None,
    reduction="mean",
):
    r"""Connectionist temporal classification: −log of the probability of every alignment.

    For a sequence of :math:`T` frames (``input_lengths``) with per-frame
    log-probabilities :math:`\log y_t(k)` (``log_probs``) and labels
    :math:`l_1 … l_S` (``labels``, ``label_lengths``), an alignment is a
    path :math:`π` of :math:`T` classes that becomes :math:`l` once repeats
    are merged and the blank (``blank``) removed,

    .. math::

        L = -\log \sum_{π \in \mathcal{B}^{-1}(l)} \prod_{t=1}^{T} y_t(π_t).

    The sum is the forward recursion of Graves et al. (2006) over the
    extended label :math:`l' = (∅, l_1, ∅, …, l_S, ∅)` of :math:`2S + 1`
    states, in log space: :math:`α_t(s) = \log y_t(l'_s) +
    \operatorname{logsumexp}(α_{t-1}(s), α_{t-1}(s-1), α_{t-1}(s-2))`,
    the last term only where :math:`l'_s` is a label that differs from
    :math:`l'_{s-2}`, and :math:`L = -\operatorname{logsumexp}(α_T(2S),
    α_T(2S - 1))`. Unreachable states hold a finite −1e30 (not −inf, whose
    differences are NaN), each ``logsumexp`` is shifted by its max, and the
    recursion runs in the adapters' ``scan``. The likelihood of
    log-probabilities is at most 1, so the loss is clamped at 0: float32
    rounding can otherwise give −8e-8 for a certain alignment (optax#1771).

    ``torch.nn.functional.ctc_loss`` number for number, "mean" included
    (each loss divided by its label length, then averaged). Gradients are
    those of this definition; torch's native kernel returns, for
    ``log_probs``, that gradient plus :math:`y_t(k)`, which a
    ``log_softmax`` before the loss maps to the same gradient of the logits
    (the tests compare there). ``tf.nn.ctc_loss(labels, logits,
    label_length, logit_length, blank_index=blank)`` and
    ``optax.ctc_loss`` take logits: pass ``log_softmax(logits)`` here
    (optax: ``time_major=False``, lengths from its paddings, ``reduction="none"``).

    Parameters
    ----------
    log_probs : array ``[T, N, C]`` (``time_major=False``: ``[N, T, C]``), or ``[T, C]``
        Log-probabilities of the ``C`` classes (blank included) at each of
        ``T`` frames, e.g. a ``log_softmax``; real floating (16-bit inputs
        are computed in float32).
    labels : int array ``[N, S]`` (or ``[S]``)
        The label sequences, padded; entries past ``label_lengths`` are
        ignored. Each label lies in [0, C) and is not ``blank``.
    input_lengths : int array ``[N]`` (or 0-d), or a sequence of ints
        The frames of each sequence, in [1, T].
    label_lengths : int array ``[N]`` (or 0-d), or a sequence of ints
        The labels of each sequence, in [0, S].
    blank : int
        The blank class (default 0, torch's).
    zero_infinity : bool
        An impossible alignment (too few frames for the labels) costs
        :math:`+∞` by default; True makes it 0, as torch's option.
        Either way its gradient is 0.
    time_major : bool
        Whether the frames are the first axis of ``log_probs`` (default True,
        torch's and tf.nn's layout).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per sequence, ``"sum"`` adds them and
        ``"mean"`` averages each over its label length (at least 1).

    Returns
    -------
    array
        For ``reduction="none"`` one loss per sequence ``[N]`` (0-d for an
        unbatched input); for ``"mean"`` and ``"sum"`` a 0-d array. float32
        for 16-bit or float32 ``log_probs``, float64 for float64.

    References
    ----------
    A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist temporal
    classification", ICML 2006.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> log_probs = np.log(np.full((2, 1, 2), 0.5))  # 2 frames, 1 sequence, classes {blank, a}
    >>> float(mlcloss.ctc_loss(log_probs, np.array([[1]]), [2], [1], reduction="sum"))  # -log(3/4)
    0.2876820724517809
    """
    backend, (log_probs, labels, input_lengths, label_lengths) = _CTC(
        log_probs, labels, input_lengths, label_lengths
    )
    xp = backend.xp
    check_reduction(reduction)
    dtype = compute_dtype(xp, log_probs, "log_probs")
    zero_infinity = check_flag(zero_infinity, name="zero_infinity")
    time_major = check_flag(time_major, name="time_major")
    unbatched = log_probs.ndim == 2
    if log_probs.ndim not in (2, 3):
        raise ValueError(
            "mlcloss: log_probs must have 3 dimensions [T, N, C] (or [N, T, C] with "
            f"time_major=False), or 2 [T, C], received shape {tuple(log_probs.shape)}"
        )
    check_index_dtype(xp, labels)
    if unbatched:
        log_probs, labels = log_probs[:, None, :], labels[None, ...]
    elif not time_major:
        log_probs = xp.moveaxis(log_probs, 0, 1)
    num_classes = log_probs.shape[-1]
    blank = _check_blank(blank, num_classes)
    if labels.ndim != 2:
        raise ValueError(
            "mlcloss: labels must have 2 dimensions [N, S] (1 [S] for 2-d log_probs), "
            f"received shape {tuple(labels.shape)}"
        )
    input_lengths = _lengths(xp, input_lengths, labels, name="input_lengths", unbatched=unbatched)
    label_lengths = _lengths(xp, label_lengths, labels, name="label_lengths", unbatched=unbatched)
    lp = cast(xp, log_probs, dtype)
    frames, size = lp.shape[0], labels.shape[1]
    positions = xp.arange(size, dtype=label_lengths.dtype, device=device(labels))
    in_label = positions < label_lengths[:, None]  # [N, S]
    bad = check_values(
        xp,
        backend,
        lambda: (
            xp.any(in_label & ((labels < 0) | (labels >= num_classes) | (labels == blank)), axis=1)
            | (input_lengths < 1)
            | (input_lengths > frames)
            | (label_lengths < 0)
            | (label_lengths > size)
        ),
        name="labels, input_lengths or label_lengths",
        expected=f"labels in [0, {num_classes}) other than blank={blank} within label_lengths, "
        f"input_lengths in [1, {frames}] and label_lengths in [0, {size}]",
    )
    loss = _ctc_nll(xp, backend, lp, labels, in_label, input_lengths, label_lengths, blank)
    impossible = loss > -_UNREACHABLE / 2
    # the clamp at 0 only ever moves rounding: log-probabilities have a likelihood of at most 1
    loss = xp.where(
        impossible, 0.0 if zero_infinity else float("inf"), xp.maximum(loss, xp.zeros_like(loss))
    )
    loss = poison_rows(xp, loss, bad)
    if unbatched:
        loss = loss[0]
    if reduction == "mean":
        per_label = cast(xp, xp.maximum(label_lengths, xp.ones_like(label_lengths)), dtype)
        loss = loss / (per_label[0] if unbatched else per_label)
        return reduce(xp, loss, "mean", sample_weight=sample_weight)
    return reduce(xp, loss, reduction, sample_weight=sample_weight)


def _ctc_nll(xp, backend, lp, labels, in_label, input_lengths, label_lengths, blank):
    """−log p(labels | lp) per sequence ``[N]`` by the forward recursion (about 1e30 if none).

    ``lp``: ``[T, N, C]`` in the compute dtype; ``labels`` ``[N, S]`` with
    ``in_label`` marking the entries within ``label_lengths``.
    """
    frames = lp.shape[0]
    labels = xp.where(in_label, labels, xp.full_like(labels, blank))  # padding reads the blank
    blanks = xp.full_like(labels, blank)
    # the extended label (∅, l1, ∅, l2, …, lS, ∅): [N, 2S + 1]
    pairs = xp.reshape(xp.stack([blanks, labels], axis=-1), (-1, 2 * labels.shape[1]))
    extended = backend.as_index(xp.concat([pairs, blanks[:, :1]], axis=1))
    states = extended.shape[1]
    before = xp.concat([blanks[:, :1], blanks[:, :1], extended], axis=1)[:, :states]
    # s-2 -> s is allowed into a label unlike the one before it: 0 there, "unreachable" elsewhere
    free = xp.zeros_like(extended, dtype=lp.dtype)
    jump_penalty = xp.where((extended != blank) & (extended != before), free, _UNREACHABLE)
    # the extended labels at every frame: [T, N, 2S + 1] (by a sum, as N may be unknown)
    index = extended[None, ...] + xp.zeros_like(lp[..., :1], dtype=extended.dtype)
    emitted = backend.take_along_last_axis(lp, index)  # [T, N, 2S + 1]
    emitted = xp.maximum(emitted, xp.full_like(emitted, _UNREACHABLE))  # -inf stays finite
    steps = xp.arange(frames, dtype=input_lengths.dtype, device=device(input_lengths))
    active = steps[:, None] < input_lengths[None, :]  # [T, N]
    first = xp.arange(states, device=device(extended)) < 2
    alpha = xp.where(first, emitted[0, ...], _UNREACHABLE)
    unreachable = xp.full_like(alpha[:, :2], _UNREACHABLE)

    def step(carry, frame):
        (alpha,), (emitted_t, active_t) = carry, frame
        shifted = xp.concat([unreachable, alpha[:, :-1]], axis=1)  # alpha(s - 2), alpha(s - 1)
        advance, jump = shifted[:, 1:], shifted[:, :-1] + jump_penalty
        # the three predecessors' logsumexp in one native call, shifted by their max
        total = backend.logsumexp(xp.stack([alpha, advance, jump]), axis=0) + emitted_t
        return (xp.where(active_t[:, None], total, alpha),), None

    if frames > 1:
        (alpha,), _ = backend.scan(step, (alpha,), (emitted[1:, ...], active[1:, ...]))
    last = 2 * label_lengths
    ends = backend.as_index(xp.stack([last, xp.maximum(last - 1, xp.zeros_like(last))], axis=1))
    final = backend.take_along_last_axis(alpha, ends)
    end_label = xp.where(label_lengths > 0, final[:, 1], _UNREACHABLE)
    return -backend.logsumexp(xp.stack([final[:, 0], end_label]), axis=0)


def _check_blank(blank, num_classes):
    if isinstance(blank, bool) or not isinstance(blank, int):
        raise TypeError(f"mlcloss: blank must be an int, received {blank!r}")
    if not 0 <= blank < num_classes:
        raise ValueError(
            f"mlcloss: blank={blank} is not a class of log_probs; expected an int in "
            f"[0, {num_classes})"
        )
    return blank


def _lengths(xp, lengths, labels, *, name, unbatched):
    """``lengths`` as an integer array ``[N]`` on the device of ``labels`` ``[N, S]``."""
    if isinstance(lengths, (int, list, tuple)) and not isinstance(lengths, bool):
        lengths = xp.asarray(lengths, dtype=xp.int64, device=device(labels))
    if not hasattr(lengths, "dtype") or not xp.isdtype(lengths.dtype, "integral"):
        received = getattr(lengths, "dtype", type(lengths).__name__)
        raise TypeError(
            f"mlcloss: {name} must be an integer array or a sequence of ints, received {received}"
        )
    shape = tuple(lengths.shape)
    expected = ((), (1,)) if unbatched else (tuple(labels.shape[:1]),)
    if shape not in expected:
        raise ValueError(
            f"mlcloss: {name} must have shape {expected[0]} (one length a sequence), "
            f"received {shape}"
        )
    return xp.reshape(lengths, (1,)) if unbatched else lengths


def _ctc_bench(b):
    """CTC inputs from the suite's (rows, classes): ``rows / 4`` frames (at least 8) of 16
    sequences over ``min(classes, 64)`` classes, labels a quarter as many as the frames (each
    sequence's lengths between half and all of them)."""
    import numpy as np

    frames, classes, batch = max(b.rows // 4, 8), min(b.classes, 64), 16
    logits = b.rng.normal(size=(frames, batch, classes))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    size = frames // 4
    labels = b.rng.integers(1, classes, (batch, size))
    input_lengths = b.rng.integers(frames // 2, frames + 1, batch)
    label_lengths = b.rng.integers(size // 2, size + 1, batch)
    return log_probs.astype(np.float32), labels, input_lengths, label_lengths, {}


def _crf_case(ex):
    """A CRF example: 3 sequences of 4 steps over 3 tags, two of them padded, with start and
    end scores (the paths without them are tested against pytorch-crf in test_sequence.py)."""
    rng = ex.np.random.default_rng(23)
    emissions = rng.normal(size=(3, 4, 3)) * 1.5
    tags = ex.np.array([[0, 2, 1, 1], [2, 2, 0, 1], [1, 0, 2, 0]])
    transitions = rng.normal(size=(3, 3))
    options = {
        "start_transitions": rng.normal(size=3),
        "end_transitions": rng.normal(size=3),
        "mask": ex.np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0]], bool),
    }
    expected = ex.oracles.crf(emissions, tags, transitions, **options)
    return ex.case(emissions, tags, transitions, **options, expected=expected)


@declare(
    kind="sequence",
    labels="index",
    closed_form=False,
    keras=False,
    peers={"torch": "torchcrf.CRF (pytorch-crf; its forward negated, reduction='mean')"},
    cases=lambda ex: {
        "crf-masked": _crf_case(ex),
    },
    bench=lambda b: _crf_bench(b),
    timed_against={"torch": lambda m, e, y, a: _pytorch_crf(m, e, y, a)},
)
def crf_loss(
    emissions,
    tags,
    transitions,
    /,
    *,
    start_transitions=None,
    end_transitions=None,
    mask=None,
    time_major=False,
    sample_weight=None,
    reduction="mean",
):
    r"""Linear-chain CRF: the negated log-likelihood of the gold tag sequence.

    A path :math:`y_1 … y_T` of tags scores its emissions :math:`E_t(y_t)`
    (``emissions``), the transitions :math:`A(y_{t-1}, y_t)`
    (``transitions``) between consecutive tags, and the start and end
    transitions :math:`a(y_1)`, :math:`b(y_T)` (``start_transitions``,
    ``end_transitions``; 0 when None):

    .. math::

        s(y) = a(y_1) + \sum_{t=1}^{T} E_t(y_t) + \sum_{t=2}^{T} A(y_{t-1}, y_t) + b(y_T),
        \qquad L = \log \sum_{y'} e^{s(y')} - s(y_{\mathrm{gold}}).

    The partition function is the forward recursion :math:`α_t(j) =
    E_t(j) + \operatorname{logsumexp}_i(α_{t-1}(i) + A(i, j))`, run in the
    adapters' ``scan``; a step the mask leaves out keeps :math:`α`. Each
    step's emissions are first shifted by their largest (gradient
    stopped), which cancels exactly between the two terms, so emissions of
    1e8 in float32 lose nothing to the difference of two sums of 1e8s.

    pytorch-crf's ``CRF(num_tags, batch_first=True)``: its forward, with
    its parameters ``transitions``, ``start_transitions`` and
    ``end_transitions``, is :math:`-L` summed (its default), so
    ``reduction="sum"`` is ``-crf(emissions, tags, mask)``; its
    ``"token_mean"`` is ``"sum"`` over the number of kept steps. Gradients
    reach the emissions and all three transition arrays. The best path is
    :func:`crf_decode`.

    Parameters
    ----------
    emissions : array ``[N, T, K]`` (``time_major=True``: ``[T, N, K]``)
        The tag scores of each step (a token classifier's logits), real
        floating (16-bit inputs are computed in float32).
    tags : int array ``[N, T]`` (the layout of ``emissions``)
        The gold tags, in [0, K); entries the mask leaves out are ignored.
    transitions : array ``[K, K]``
        :math:`A(i, j)`, the score of tag ``j`` following tag ``i``.
    start_transitions : array ``[K]``, optional
        :math:`a`, the score of each tag as the first (None: 0).
    end_transitions : array ``[K]``, optional
        :math:`b`, the score of each tag as the last kept one (None: 0).
    mask : bool array ``[N, T]``, optional
        The steps of each sequence: a prefix, its first step kept (None:
        every step).
    time_major : bool
        Whether steps are the first axis (default False: ``[batch, steps,
        tags]``, a token classifier's output and pytorch-crf's
        ``batch_first=True``).
    reduction : {"mean", "sum", "none"}
        ``"none"`` keeps one loss per sequence, ``"sum"`` adds them and
        ``"mean"`` averages them over the sequences.

    Returns
    -------
    array
        For ``reduction="none"`` one loss per sequence ``[N]``; for
        ``"mean"`` and ``"sum"`` a 0-d array. float32 for 16-bit or float32
        ``emissions``, float64 for float64.

    References
    ----------
    J. Lafferty, A. McCallum, F. Pereira, "Conditional random fields:
    probabilistic models for segmenting and labeling sequence data", ICML 2001;
    G. Lample et al., "Neural architectures for named entity recognition", NAACL 2016.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> emissions = np.zeros((1, 2, 2))  # one sequence of 2 steps, 2 tags, all scores 0
    >>> float(mlcloss.crf_loss(emissions, np.array([[0, 1]]), np.zeros((2, 2))))  # log 4
    1.3862943611198906
    """
    backend, (emissions, tags, transitions, start, end, mask) = _CRF(
        emissions, tags, transitions, start_transitions, end_transitions, mask
    )
    xp = backend.xp
    check_reduction(reduction)
    e, transitions, start, end, mask = _crf_inputs(
        xp, backend, emissions, transitions, start, end, mask, time_major=time_major
    )
    check_index_dtype(xp, tags, name="tags")
    if check_flag(time_major, name="time_major"):
        tags = xp.moveaxis(tags, 0, 1) if tags.ndim == 2 else tags
    if tuple(tags.shape) != tuple(e.shape[:2]):
        raise ValueError(
            f"mlcloss: tags must have the shape of emissions without the tag axis, "
            f"{tuple(e.shape[:2])} (steps in the layout of emissions), received {tuple(tags.shape)}"
        )
    num_tags = e.shape[-1]
    kept = xp.ones_like(tags, dtype=xp.bool) if mask is None else mask
    bad = check_values(
        xp,
        backend,
        lambda: xp.any(kept & ((tags < 0) | (tags >= num_tags)), axis=1) | ~kept[:, 0],
        name="tags or mask",
        expected=f"tags in [0, {num_tags}) at the kept steps, and every sequence's first step kept",
    )
    # each step's emissions shifted by their max: the same constant enters the gold score
    # and the partition function at every kept step, so it cancels exactly
    e = e - backend.stop_gradient(xp.max(e, axis=-1, keepdims=True))
    safe = xp.where(kept, tags, xp.zeros_like(tags))
    kept_float = cast(xp, kept, e.dtype)
    gold = _gold_score(xp, e, safe, kept_float, transitions, start, end)
    log_z = _log_partition(xp, backend, e, kept, transitions, start, end)
    loss = poison_rows(xp, log_z - gold, bad)
    return reduce(xp, loss, reduction, sample_weight=sample_weight)


def _crf_inputs(xp, backend, emissions, transitions, start, end, mask, *, time_major):
    """The CRF arrays batch-major in the compute dtype: ``(e [N, T, K], transitions, start,
    end, mask [N, T] or None)``; start and end are None or ``[K]``."""
    dtype = compute_dtype(xp, emissions, "emissions")
    if emissions.ndim != 3:
        raise ValueError(
            "mlcloss: emissions must have 3 dimensions [N, T, K] (or [T, N, K] with "
            f"time_major=True), received shape {tuple(emissions.shape)}"
        )
    if check_flag(time_major, name="time_major"):
        emissions = xp.moveaxis(emissions, 0, 1)
        mask = None if mask is None else xp.moveaxis(mask, 0, 1)
    k = emissions.shape[-1]
    if not _fits(transitions.shape, (k, k)):
        raise ValueError(
            f"mlcloss: transitions must have shape ({k}, {k}) for {k} tags, "
            f"received {tuple(transitions.shape)}"
        )
    compute_dtype(xp, transitions, "transitions")
    boundary = []
    for name, value in (("start_transitions", start), ("end_transitions", end)):
        if value is not None:
            if not hasattr(value, "shape") or not _fits(value.shape, (k,)):
                raise ValueError(
                    f"mlcloss: {name} must be an array of shape ({k},) for {k} tags, "
                    f"received {getattr(value, 'shape', type(value).__name__)}"
                )
            compute_dtype(xp, value, name)
            value = cast(xp, value, dtype)
        boundary.append(value)
    if mask is not None:
        check_bool_mask(xp, mask, name="mask")
        if not _fits(mask.shape, emissions.shape[:2]):
            raise ValueError(
                f"mlcloss: mask must have the shape of emissions without the tag axis, "
                f"{tuple(emissions.shape[:2])}, received {tuple(mask.shape)}"
            )
    return cast(xp, emissions, dtype), cast(xp, transitions, dtype), *boundary, mask


def _fits(shape, expected) -> bool:
    """Whether ``shape`` is ``expected``, a dimension unknown to a graph (None) matching any."""
    shape = tuple(shape)
    pairs = zip(shape, tuple(expected))
    return len(shape) == len(expected) and all(d is None or e is None or d == e for d, e in pairs)


def _gold_score(xp, e, tags, kept, transitions, start, end):
    """s(tags) per sequence ``[N]``: emissions and transitions at the kept steps, the start
    score of the first tag and the end score of the last kept one. The tags enter as one-hot
    rows (``[N, T, K]``), so every term is a sum of products, with no reshape of an axis a
    graph may not know."""
    k = e.shape[-1]
    one_hot = cast(
        xp, tags[..., None] == xp.arange(k, dtype=tags.dtype, device=device(tags)), e.dtype
    )
    score = xp.sum(xp.sum(e * one_hot, axis=-1) * kept, axis=1)
    moved = xp.sum(xp.matmul(one_hot[:, :-1, :], transitions) * one_hot[:, 1:, :], axis=-1)
    score = score + xp.sum(moved * kept[:, 1:], axis=1)
    if start is not None:
        score = score + xp.sum(one_hot[:, 0, :] * start, axis=-1)
    if end is not None:
        after = xp.concat([kept[:, 1:], xp.zeros_like(kept[:, :1])], axis=1)
        last = kept * (1 - after)  # 1 at the last kept step of each (prefix) mask
        score = score + xp.sum(xp.sum(one_hot * last[..., None], axis=1) * end, axis=-1)
    return score


def _log_partition(xp, backend, e, kept, transitions, start, end):
    """log Σ_paths e^{s(path)} per sequence ``[N]``, by the forward recursion over the steps."""
    alpha = e[:, 0, :] if start is None else e[:, 0, :] + start
    steps = xp.moveaxis(e, 1, 0)[1:, ...], xp.moveaxis(kept, 1, 0)[1:, ...]

    def step(carry, frame):
        (alpha,), (e_t, kept_t) = carry, frame
        total = backend.logsumexp(alpha[:, :, None] + transitions, axis=1) + e_t
        return (xp.where(kept_t[:, None], total, alpha),), None

    if e.shape[1] > 1:
        (alpha,), _ = backend.scan(step, (alpha,), steps)
    return backend.logsumexp(alpha if end is None else alpha + end, axis=-1)


def crf_decode(
    emissions,
    transitions,
    /,
    *,
    start_transitions=None,
    end_transitions=None,
    mask=None,
    time_major=False,
):
    r"""The highest-scoring tag path of a linear-chain CRF (Viterbi): ``[N, T]`` tags.

    With the path score :math:`s(y)` of :func:`crf_loss`, returns
    :math:`\arg\max_y s(y)` for each sequence, by the max-product
    recursion :math:`δ_t(j) = E_t(j) + \max_i(δ_{t-1}(i) + A(i, j))` with
    back-pointers, run forward and then backward in the adapters' ``scan``
    (so it traces under ``jax.jit``, ``tf.function`` and ``torch.compile``).
    pytorch-crf's ``CRF.decode``, which returns lists of each sequence's
    kept length; here the steps the mask leaves out hold -1.

    Parameters
    ----------
    emissions : array ``[N, T, K]`` (``time_major=True``: ``[T, N, K]``)
        The tag scores of each step, real floating.
    transitions : array ``[K, K]``
        :math:`A(i, j)`, the score of tag ``j`` following tag ``i``.
    start_transitions : array ``[K]``, optional
        The score of each tag as the first (None: 0).
    end_transitions : array ``[K]``, optional
        The score of each tag as the last kept one (None: 0).
    mask : bool array ``[N, T]``, optional
        The steps of each sequence, a prefix (None: every step).
    time_major : bool
        Whether steps are the first axis (default False).

    Returns
    -------
    int64 array ``[N, T]`` (the layout of ``emissions``)
        The best tags; -1 at the steps the mask leaves out.

    Examples
    --------
    >>> import numpy as np, mlcloss
    >>> emissions = np.array([[[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])
    >>> stay = np.array([[1.0, -3.0], [-3.0, 1.0]])  # changing tags costs 3, staying earns 1
    >>> mlcloss.crf_decode(emissions, stay)
    array([[1, 1, 1]])
    """
    backend, (emissions, transitions, start, end, mask) = _DECODE(
        emissions, transitions, start_transitions, end_transitions, mask
    )
    xp = backend.xp
    e, transitions, start, end, mask = _crf_inputs(
        xp, backend, emissions, transitions, start, end, mask, time_major=time_major
    )
    e = backend.stop_gradient(e)
    k = e.shape[-1]
    kept = xp.ones(e.shape[:2], dtype=xp.bool, device=device(e)) if mask is None else mask
    delta = e[:, 0, :] if start is None else e[:, 0, :] + start
    stay = backend.as_index(xp.arange(k, device=device(e)))  # a left-out step points to itself

    def forward(carry, frame):
        (delta,), (e_t, kept_t) = carry, frame
        candidates = delta[:, :, None] + transitions  # [N, from, to]
        pointer = xp.where(kept_t[:, None], backend.as_index(xp.argmax(candidates, axis=1)), stay)
        total = xp.max(candidates, axis=1) + e_t
        return (xp.where(kept_t[:, None], total, delta),), pointer

    steps = xp.moveaxis(e, 1, 0)[1:, ...], xp.moveaxis(kept, 1, 0)[1:, ...]
    pointers = None
    if e.shape[1] > 1:
        (delta,), pointers = backend.scan(forward, (delta,), steps)  # [T - 1, N, K]
    last = backend.as_index(xp.argmax(delta if end is None else delta + end, axis=-1))
    path = [last[:, None]]
    if pointers is not None:

        def backward(carry, frame):
            (tag,), (pointer,) = carry, frame
            previous = backend.take_along_last_axis(pointer, tag[:, None])[:, 0]
            return (previous,), previous

        _, earlier = backend.scan(backward, (last,), (xp.flip(pointers, axis=0),))
        path = [xp.moveaxis(xp.flip(earlier, axis=0), 0, 1), *path]  # [N, T - 1], then [N, 1]
    tags = xp.concat(path, axis=1)
    tags = xp.where(kept, xp.astype(tags, xp.int64), xp.full_like(xp.astype(tags, xp.int64), -1))
    return xp.moveaxis(tags, 0, 1) if check_flag(time_major, name="time_major") else tags


def _optax_ctc(m, log_probs, labels, input_lengths, label_lengths):
    """optax's CTC on the benchmark's time-major log-probabilities (its log_softmax leaves
    them unchanged), lengths as its paddings: the peer :func:`ctc_loss` is timed against."""
    jnp = m.jax.numpy
    frames, size = log_probs.shape[0], labels.shape[1]
    logit_paddings = jnp.arange(frames)[None, :] >= input_lengths[:, None]
    label_paddings = jnp.arange(size)[None, :] >= label_lengths[:, None]
    logits = jnp.swapaxes(log_probs, 0, 1)
    paddings = (logit_paddings.astype(logits.dtype), label_paddings.astype(logits.dtype))
    return m.optax.ctc_loss(logits, paddings[0], labels, paddings[1])


def _crf_bench(b):
    """CRF inputs from the suite's (rows, classes): ``rows / 8`` sequences (at least 2) of 32
    steps over ``min(classes, 16)`` tags (no mask: the suite passes arrays positionally)."""
    import numpy as np

    batch, steps, k = max(b.rows // 8, 2), 32, min(b.classes, 16)
    emissions = b.rng.normal(size=(batch, steps, k)).astype(np.float32)
    tags = b.rng.integers(0, k, (batch, steps))
    transitions = b.rng.normal(size=(k, k)).astype(np.float32)
    return emissions, tags, transitions, {}


_PEER_CRF = {}  # the number of tags -> a pytorch-crf module, built once for the benchmarks


def _pytorch_crf(m, emissions, tags, transitions):
    """pytorch-crf's mean negated log-likelihood with ``transitions`` and no start or end
    scores: the peer :func:`crf_loss` is timed against."""
    k = emissions.shape[-1]
    if k not in _PEER_CRF:
        _PEER_CRF[k] = m.torchcrf.CRF(k, batch_first=True)
        for parameter in (_PEER_CRF[k].start_transitions, _PEER_CRF[k].end_transitions):
            parameter.data.zero_()
    crf = _PEER_CRF[k]
    crf.transitions.data = transitions
    mask = tags >= 0  # every step, as bool: its own default (uint8) fails under torch.compile
    return -crf(emissions, tags, mask=mask, reduction="mean")
