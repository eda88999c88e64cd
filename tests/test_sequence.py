"""CTC and the linear-chain CRF against their peers' own functions, and Viterbi decoding.

CTC: torch's native ``F.ctc_loss`` (values in every reduction, gradients of the
logits through a ``log_softmax``), ``tf.nn.ctc_loss`` and optax's ``ctc_loss``,
and never below 0 in float32 where optax is. CRF: pytorch-crf's ``CRF``
(values, gradients of the emissions and of all three transition arrays),
``crf_decode`` against its Viterbi and against enumeration of every path,
eager and traced.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import oracles

RNG = np.random.default_rng(31)
T, N, C, S = 12, 5, 6, 4
LOGITS = RNG.normal(size=(T, N, C)) * 2
LABELS = RNG.integers(1, C, (N, S))
LABELS[1, 1] = LABELS[1, 0]  # a repeat: needs a blank between
INPUT_LENGTHS = np.array([12, 10, 7, 12, 9])
LABEL_LENGTHS = np.array([4, 3, 0, 1, 4])  # one empty transcript


def _log_softmax(x):
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def test_the_ctc_oracle_enumerates_paths():
    """The recursion equals the enumeration of every alignment (short sequences)."""
    logits = RNG.normal(size=(5, 3, 3))
    labels = np.array([[1, 2], [1, 1], [2, 0]])
    lengths, label_lengths = np.array([5, 5, 3]), np.array([2, 2, 1])
    lp = _log_softmax(logits)
    got = mlcloss.ctc_loss(lp, labels, lengths, label_lengths, reduction="none")
    want = oracles.ctc(lp, labels, lengths, label_lengths)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ctc_is_torch_native(reduction, dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    logits = torch.tensor(LOGITS, dtype=getattr(torch, dtype), requires_grad=True)
    args = (torch.tensor(LABELS), torch.tensor(INPUT_LENGTHS), torch.tensor(LABEL_LENGTHS))
    ours = mlcloss.ctc_loss(logits.log_softmax(-1), *args, reduction=reduction)
    theirs = F.ctc_loss(logits.log_softmax(-1), *args, reduction=reduction)
    rtol = 1e-10 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol)
    (g_ours,) = torch.autograd.grad(ours.sum(), logits)
    (g_theirs,) = torch.autograd.grad(theirs.sum(), logits)
    # in float32 torch's kernel is off the float64 gradient by 2.9e-6 here (ours by 5.4e-7):
    # the gradient is a difference of probabilities of size 1
    atol = 1e-12 if dtype == "float64" else 5e-6
    np.testing.assert_allclose(g_ours.numpy(), g_theirs.numpy(), rtol=rtol, atol=atol)


def test_ctc_log_probs_gradient_is_torchs_less_the_probabilities():
    """torch's kernel adds y_t(k) to the gradient of log_probs; ours is the definition's."""
    torch = pytest.importorskip("torch")
    lp = torch.tensor(_log_softmax(LOGITS), requires_grad=True)
    args = (torch.tensor(LABELS), torch.tensor(INPUT_LENGTHS), torch.tensor(LABEL_LENGTHS))
    (ours,) = torch.autograd.grad(mlcloss.ctc_loss(lp, *args, reduction="sum"), lp)
    (theirs,) = torch.autograd.grad(torch.nn.functional.ctc_loss(lp, *args, reduction="sum"), lp)
    frames = (np.arange(T)[:, None] < INPUT_LENGTHS)[..., None]  # torch's term on real frames
    want = theirs.numpy() - np.exp(lp.detach().numpy()) * frames
    np.testing.assert_allclose(ours.numpy(), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_an_impossible_alignment_is_torchs(zero_infinity):
    torch = pytest.importorskip("torch")
    logits = torch.tensor(LOGITS[:3, :2], requires_grad=True)
    labels = torch.tensor([[2, 2, 3], [1, 2, 0]])  # the first needs 4 frames, the second fits
    args = (labels, torch.tensor([3, 3]), torch.tensor([3, 2]))
    ours = mlcloss.ctc_loss(
        logits.log_softmax(-1), *args, zero_infinity=zero_infinity, reduction="none"
    )
    theirs = torch.nn.functional.ctc_loss(
        logits.log_softmax(-1), *args, zero_infinity=zero_infinity, reduction="none"
    )
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    assert np.isinf(ours[0].item()) != zero_infinity
    (g,) = torch.autograd.grad(ours[1] + (ours[0] if zero_infinity else 0), logits)
    assert np.isfinite(g.numpy()).all()  # the impossible sequence passes no gradient


def test_ctc_unbatched_and_batch_major_and_lists():
    torch = pytest.importorskip("torch")
    lp = torch.tensor(_log_softmax(LOGITS))
    args = (torch.tensor(LABELS), torch.tensor(INPUT_LENGTHS), torch.tensor(LABEL_LENGTHS))
    want = torch.nn.functional.ctc_loss(lp, *args, reduction="none").numpy()
    batch_major = mlcloss.ctc_loss(lp.transpose(0, 1), *args, time_major=False, reduction="none")
    np.testing.assert_allclose(batch_major.numpy(), want, rtol=1e-12)
    lists = mlcloss.ctc_loss(
        lp, args[0], INPUT_LENGTHS.tolist(), tuple(LABEL_LENGTHS), reduction="none"
    )
    np.testing.assert_allclose(lists.numpy(), want, rtol=1e-12)
    one = mlcloss.ctc_loss(lp[:, 0], args[0][0], INPUT_LENGTHS[0].item(), torch.tensor(4))
    theirs = torch.nn.functional.ctc_loss(lp[:, 0], args[0][0], (12,), (4,))
    np.testing.assert_allclose(one.numpy(), theirs.numpy(), rtol=1e-12)
    assert one.shape == ()


@pytest.mark.parametrize("blank", [0, 5])
def test_ctc_is_tf_nn_ctc_loss(blank):
    tf = pytest.importorskip("tensorflow")
    labels = np.where(LABELS == blank, (blank + 1) % C, LABELS)
    logits = tf.Variable(LOGITS.astype(np.float32))  # tf.nn.ctc_loss computes in float32
    with tf.GradientTape(persistent=True) as tape:
        ours = mlcloss.ctc_loss(
            tf.nn.log_softmax(logits),
            tf.constant(labels),
            tf.constant(INPUT_LENGTHS),
            tf.constant(LABEL_LENGTHS),
            blank=blank,
            reduction="none",
        )
        theirs = tf.nn.ctc_loss(
            tf.constant(labels, tf.int32),
            logits,
            tf.constant(LABEL_LENGTHS, tf.int32),
            tf.constant(INPUT_LENGTHS, tf.int32),
            logits_time_major=True,
            blank_index=blank,
        )
        total_ours, total_theirs = tf.reduce_sum(ours), tf.reduce_sum(theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-6)
    np.testing.assert_allclose(
        tape.gradient(total_ours, logits).numpy(),
        tape.gradient(total_theirs, logits).numpy(),
        rtol=2e-6,
        atol=2e-6,  # float32 differences of probabilities of size 1
    )


def _optax_args(jnp, logits):
    frames = np.arange(T)[None, :] >= INPUT_LENGTHS[:, None]
    labels = np.arange(S)[None, :] >= LABEL_LENGTHS[:, None]
    return (
        logits,
        jnp.asarray(frames, jnp.float64),
        jnp.asarray(LABELS),
        jnp.asarray(labels, jnp.float64),
    )


def test_ctc_is_optax_ctc_loss():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def ours(logits):
        lp = jax.nn.log_softmax(logits)
        return mlcloss.ctc_loss(
            lp,
            jnp.asarray(LABELS),
            jnp.asarray(INPUT_LENGTHS),
            jnp.asarray(LABEL_LENGTHS),
            time_major=False,
            reduction="none",
        )

    def theirs(logits):
        return optax.losses.ctc_loss(*_optax_args(jnp, logits))

    x = jnp.swapaxes(jnp.asarray(LOGITS), 0, 1)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-9)
    # jitted: an eager optax CTC compiles its scan on every call
    g_ours = jax.jit(jax.grad(lambda v: ours(v).sum()))(x)
    g_theirs = jax.jit(jax.grad(lambda v: theirs(v).sum()))(x)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-7, atol=1e-10)


def test_ctc_never_below_zero_in_float32_where_optax_is():
    """optax#1771: two frames of logits (0, 17), the label [1]: optax gives −8.3e-8."""
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jnp = jax.numpy
    logits = jnp.array([[[0.0, 17.0], [0.0, 17.0]]], dtype=jnp.float32)  # [batch, frames, classes]
    labels = jnp.array([[1]], dtype=jnp.int32)
    theirs = optax.ctc_loss(
        logits, jnp.zeros((1, 2), jnp.float32), labels, jnp.zeros((1, 1), jnp.float32)
    )
    ours = mlcloss.ctc_loss(
        jax.nn.log_softmax(logits),
        labels,
        jnp.array([2]),
        jnp.array([1]),
        time_major=False,
        reduction="none",
    )
    assert float(theirs[0]) < 0  # the peer's rounding, beside ours
    assert ours.dtype == jnp.float32 and float(ours[0]) >= 0
    assert float(ours[0]) < 1e-7  # the true loss is 1.7e-15


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"labels": np.array([[0, 1]])}, r"labels, input_lengths or label_lengths has invalid"),
        ({"input_lengths": np.array([13])}, r"input_lengths in \[1, 12\]"),
        ({"label_lengths": np.array([3])}, r"label_lengths in \[0, 2\]"),
    ],
)
def test_ctc_bad_values_raise(bad, match):
    args = {
        "labels": np.array([[1, 2]]),
        "input_lengths": np.array([12]),
        "label_lengths": np.array([2]),
    }
    args.update(bad)
    lp = _log_softmax(LOGITS[:, :1])
    with pytest.raises(ValueError, match=match):
        mlcloss.ctc_loss(lp, args["labels"], args["input_lengths"], args["label_lengths"])


def test_ctc_bad_values_are_nan_under_jit():
    jax = pytest.importorskip("jax")
    lp = jax.numpy.asarray(_log_softmax(LOGITS[:, :2]))
    labels = jax.numpy.asarray([[1, 2], [0, 1]])  # the second holds the blank
    loss = jax.jit(
        lambda x, y: mlcloss.ctc_loss(
            x, y, jax.numpy.asarray([12, 12]), jax.numpy.asarray([2, 2]), reduction="none"
        )
    )(lp, labels)
    assert np.isfinite(loss[0]) and np.isnan(loss[1])


def test_ctc_static_errors_name_the_argument():
    lp = _log_softmax(LOGITS)
    with pytest.raises(ValueError, match=r"log_probs must have 3 dimensions"):
        mlcloss.ctc_loss(lp[0, 0], LABELS, INPUT_LENGTHS, LABEL_LENGTHS)
    with pytest.raises(TypeError, match=r"labels must hold class indices"):
        mlcloss.ctc_loss(lp, LABELS.astype(float), INPUT_LENGTHS, LABEL_LENGTHS)
    with pytest.raises(ValueError, match=r"input_lengths must have shape \(5,\)"):
        mlcloss.ctc_loss(lp, LABELS, INPUT_LENGTHS[:3], LABEL_LENGTHS)
    with pytest.raises(ValueError, match=r"blank=6 is not a class"):
        mlcloss.ctc_loss(lp, LABELS, INPUT_LENGTHS, LABEL_LENGTHS, blank=6)


# -- the linear-chain CRF -----------------------------------------------------------------

K, STEPS = 4, 6
EMISSIONS = RNG.normal(size=(N, STEPS, K)) * 2
TAGS = RNG.integers(0, K, (N, STEPS))
MASK = np.arange(STEPS)[None, :] < np.array([6, 4, 1, 5, 6])[:, None]


def _pytorch_crf(torch, time_major=False):
    torchcrf = pytest.importorskip("torchcrf")
    crf = torchcrf.CRF(K, batch_first=not time_major).double()
    with torch.no_grad():
        for parameter in (crf.transitions, crf.start_transitions, crf.end_transitions):
            parameter.copy_(torch.tensor(RNG.normal(size=parameter.shape)))
    return crf


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("masked", [False, True])
def test_crf_is_pytorch_crf(reduction, masked):
    torch = pytest.importorskip("torch")
    crf = _pytorch_crf(torch)
    emissions = torch.tensor(EMISSIONS, requires_grad=True)
    tags, mask = torch.tensor(TAGS), (torch.tensor(MASK) if masked else None)
    ours = mlcloss.crf_loss(
        emissions,
        tags,
        crf.transitions,
        start_transitions=crf.start_transitions,
        end_transitions=crf.end_transitions,
        mask=mask,
        reduction=reduction,
    )
    theirs = -crf(emissions, tags, mask=mask, reduction=reduction)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    inputs = (emissions, crf.transitions, crf.start_transitions, crf.end_transitions)
    for g_ours, g_theirs in zip(
        torch.autograd.grad(ours.sum(), inputs), torch.autograd.grad(theirs.sum(), inputs)
    ):
        np.testing.assert_allclose(g_ours.numpy(), g_theirs.numpy(), rtol=1e-9, atol=1e-12)


def test_crf_time_major_and_float32_are_pytorch_crf():
    torch = pytest.importorskip("torch")
    crf = _pytorch_crf(torch, time_major=True).float()
    emissions = torch.tensor(EMISSIONS.transpose(1, 0, 2), dtype=torch.float32)
    tags, mask = torch.tensor(TAGS.T), torch.tensor(MASK.T)
    ours = mlcloss.crf_loss(
        emissions,
        tags,
        crf.transitions,
        start_transitions=crf.start_transitions,
        end_transitions=crf.end_transitions,
        mask=mask,
        time_major=True,
        reduction="none",
    )
    theirs = -crf(emissions, tags, mask=mask, reduction="none")
    assert ours.dtype == torch.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=2e-6)


def test_crf_is_the_enumeration_of_every_path():
    start, end = RNG.normal(size=K), RNG.normal(size=K)
    transitions = RNG.normal(size=(K, K))
    got = mlcloss.crf_loss(
        EMISSIONS[:, :5],
        TAGS[:, :5],
        transitions,
        start_transitions=start,
        end_transitions=end,
        mask=MASK[:, :5],
        reduction="none",
    )
    want = oracles.crf(
        EMISSIONS[:, :5],
        TAGS[:, :5],
        transitions,
        start_transitions=start,
        end_transitions=end,
        mask=MASK[:, :5],
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("masked", [False, True])
def test_crf_decode_is_pytorch_crf_viterbi(masked):
    torch = pytest.importorskip("torch")
    crf = _pytorch_crf(torch)
    mask = torch.tensor(MASK) if masked else None
    best = mlcloss.crf_decode(
        torch.tensor(EMISSIONS),
        crf.transitions.detach(),
        start_transitions=crf.start_transitions.detach(),
        end_transitions=crf.end_transitions.detach(),
        mask=mask,
    )
    theirs = crf.decode(torch.tensor(EMISSIONS), mask=mask)
    for row, path in zip(best.numpy(), theirs):
        assert row[: len(path)].tolist() == path and (row[len(path) :] == -1).all()


def test_crf_decode_is_the_best_enumerated_path_on_every_framework(framework):
    start, end = RNG.normal(size=K), RNG.normal(size=K)
    transitions = RNG.normal(size=(K, K))
    want = oracles.crf_best_path(
        EMISSIONS[:, :5],
        transitions,
        start_transitions=start,
        end_transitions=end,
        mask=MASK[:, :5],
    )
    got = mlcloss.crf_decode(
        *map(framework.array, (EMISSIONS[:, :5], transitions)),
        start_transitions=framework.array(start),
        end_transitions=framework.array(end),
        mask=framework.array(MASK[:, :5]),
    )
    np.testing.assert_array_equal(framework.to_numpy(got), want)


def test_crf_decode_traced(traced_framework):
    """Viterbi under jax.jit, tf.function(jit_compile=True) and torch.compile equals eager."""
    transitions = RNG.normal(size=(K, K))
    # three steps: torch.compile unrolls both scans, and its compile time grows with them
    arrays = (EMISSIONS[:, :3], transitions, MASK[:, :3])
    args = [traced_framework.array(a) for a in arrays]

    def decode(emissions, transitions, mask):
        return mlcloss.crf_decode(emissions, transitions, mask=mask)

    eager = traced_framework.to_numpy(decode(*args))
    traced = traced_framework.to_numpy(traced_framework.trace(decode)(*args))
    np.testing.assert_array_equal(traced, eager)


def test_crf_bad_values_and_shapes():
    transitions = np.zeros((K, K))
    with pytest.raises(ValueError, match=r"tags in \[0, 4\) at the kept steps"):
        mlcloss.crf_loss(EMISSIONS, TAGS + 1, transitions)
    mask = MASK.copy()
    mask[2, 0] = False
    with pytest.raises(ValueError, match=r"first step kept"):
        mlcloss.crf_loss(EMISSIONS, TAGS, transitions, mask=mask)
    with pytest.raises(ValueError, match=r"transitions must have shape \(4, 4\)"):
        mlcloss.crf_loss(EMISSIONS, TAGS, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"start_transitions must be an array of shape \(4,\)"):
        mlcloss.crf_loss(EMISSIONS, TAGS, transitions, start_transitions=np.zeros(3))
    with pytest.raises(ValueError, match=r"tags must have the shape of emissions"):
        mlcloss.crf_loss(EMISSIONS, TAGS[:, :3], transitions)
    with pytest.raises(TypeError, match=r"mask must have dtype bool"):
        mlcloss.crf_loss(EMISSIONS, TAGS, transitions, mask=MASK.astype(float))
