"""KL with log targets and the generalized Jensen–Shannon divergence against their peers.

KL: torch's ``kl_div(log_target=True)`` and optax's
``kl_divergence_with_log_targets`` (values and gradients, float64 to 1e-10),
and a zero target probability (``-inf``) finite where torch gives NaN. JSD:
scipy's Jensen–Shannon distance at β = ½, torch's KL at the ends, and the
definitions' limits and bounds.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(71)
LOGITS = RNG.normal(size=(6, 5)) * 2
TEACHER = RNG.normal(size=(6, 5)) * 2
TARGETS = RNG.dirichlet(np.ones(5), 6)


def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kl_with_log_targets_is_torch_kl_div(reduction, dtype):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    x = torch.tensor(LOGITS, dtype=dt, requires_grad=True)
    log_t = torch.tensor(np.log(TARGETS), dtype=dt, requires_grad=True)
    ours = mlcloss.kl_divergence(x, log_t, log_target=True, reduction=reduction)
    peer = {"mean": "batchmean", "sum": "sum", "none": "none"}[reduction]
    theirs = torch.nn.functional.kl_div(x.log_softmax(-1), log_t, log_target=True, reduction=peer)
    if reduction == "none":
        theirs = theirs.sum(-1)
    rtol = 1e-10 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol)
    for a, b in zip(
        torch.autograd.grad(ours.sum(), (x, log_t)), torch.autograd.grad(theirs.sum(), (x, log_t))
    ):  # gradients reach the log targets too
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=1e-7)


def test_kl_with_log_targets_is_optax():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    x, log_t = jax.numpy.asarray(LOGITS), jax.numpy.asarray(np.log(TARGETS))

    def ours(z):
        return mlcloss.kl_divergence(z, log_t, log_target=True, reduction="none")

    def theirs(z):
        return optax.losses.kl_divergence_with_log_targets(jax.nn.log_softmax(z), log_t)

    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-10)
    np.testing.assert_allclose(
        jax.grad(lambda z: ours(z).sum())(x), jax.grad(lambda z: theirs(z).sum())(x), rtol=1e-10
    )


def test_a_zero_target_given_as_log_is_finite_where_torch_is_nan():
    torch = pytest.importorskip("torch")
    targets = TARGETS.copy()
    targets[0] = [0.5, 0.5, 0.0, 0.0, 0.0]
    with np.errstate(divide="ignore"):
        log_t = torch.tensor(np.log(targets))
    x = torch.tensor(LOGITS, requires_grad=True)
    ours = mlcloss.kl_divergence(x, log_t, log_target=True)
    (grad,) = torch.autograd.grad(ours, x)
    np.testing.assert_allclose(ours.item(), mlcloss.kl_divergence(LOGITS, targets), rtol=1e-12)
    assert torch.isfinite(grad).all()
    theirs = torch.nn.functional.kl_div(x.log_softmax(-1), log_t, log_target=True, reduction="sum")
    assert torch.isnan(theirs)  # the peer's number, beside ours


def test_log_targets_must_be_log_probabilities():
    with pytest.raises(ValueError, match=r"target_probs.*probabilities in \[0, 1\]"):
        mlcloss.kl_divergence(LOGITS, TARGETS + 0.5, log_target=True)  # log t > 0


def test_js_at_one_half_is_scipy_jensen_shannon_squared():
    distance = pytest.importorskip("scipy.spatial.distance")
    q, p = np.exp(_log_softmax(LOGITS)), np.exp(_log_softmax(TEACHER))
    want = distance.jensenshannon(p, q, axis=-1) ** 2  # natural log, the distance's square
    np.testing.assert_allclose(
        mlcloss.js_divergence(LOGITS, TEACHER, reduction="none"), want, rtol=1e-10
    )


@pytest.mark.parametrize("beta, forward", [(0.0, True), (1.0, False)])
def test_js_at_the_ends_is_torch_kl(beta, forward):
    """β = 0: KL(P‖Q), torch's kl_div(log Q, log P); β = 1: KL(Q‖P)."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(LOGITS, requires_grad=True)
    u = torch.tensor(TEACHER, requires_grad=True)
    ours = mlcloss.js_divergence(x, u, beta=beta, reduction="sum")
    log_q, log_p = x.log_softmax(-1), u.log_softmax(-1)
    first, second = (log_q, log_p) if forward else (log_p, log_q)
    theirs = torch.nn.functional.kl_div(first, second, log_target=True, reduction="sum")
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    for a, b in zip(torch.autograd.grad(ours, (x, u)), torch.autograd.grad(theirs, (x, u))):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-14)


def test_js_is_bounded_by_log_2_and_symmetric_at_one_half():
    far = np.array([[0.0, -1e4], [-1e4, 0.0]])
    near_log2 = mlcloss.js_divergence(far, far[::-1], reduction="none")
    np.testing.assert_allclose(near_log2, np.log(2.0), rtol=1e-12)
    np.testing.assert_allclose(
        mlcloss.js_divergence(LOGITS, TEACHER, reduction="none"),
        mlcloss.js_divergence(TEACHER, LOGITS, reduction="none"),
        rtol=1e-12,
    )


def test_js_with_a_traced_beta():
    jax = pytest.importorskip("jax")
    x, u = jax.numpy.asarray(LOGITS), jax.numpy.asarray(TEACHER)
    loss = jax.jit(lambda b: mlcloss.js_divergence(x, u, beta=b, reduction="none"))
    np.testing.assert_allclose(
        loss(0.3), mlcloss.js_divergence(LOGITS, TEACHER, beta=0.3, reduction="none"), rtol=1e-6
    )


def test_js_refuses_beta_outside_0_1():
    with pytest.raises(ValueError, match="beta must"):
        mlcloss.js_divergence(LOGITS, TEACHER, beta=1.5)
