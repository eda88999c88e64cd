"""The softmax family against its peers where the shared cases do not reach: several class
axes, and the z-loss as torch composes it (cross-entropy plus z · logsumexp²)."""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(21)
LOGITS = RNG.normal(size=(2, 3, 4, 5))  # classes on axes 1 and 3: 15 of them
FLAT = RNG.integers(0, 15, (2, 4))
PROBS = RNG.dirichlet(np.ones(15), (2, 4)).reshape(2, 4, 3, 5).transpose(0, 2, 1, 3)


@pytest.fixture
def optax_x64():
    pytest.importorskip("optax")
    import jax

    jax.config.update("jax_enable_x64", True)
    import optax

    return optax


def test_a_tuple_of_class_axes_is_optax(optax_x64):
    import jax.numpy as jnp

    want = optax_x64.softmax_cross_entropy_with_integer_labels(
        jnp.asarray(LOGITS), jnp.asarray(FLAT), axis=(1, 3)
    )
    got = mlcloss.softmax_cross_entropy(LOGITS, FLAT, axis=(1, 3), reduction="none")
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12)
    want = optax_x64.softmax_cross_entropy(jnp.asarray(LOGITS), jnp.asarray(PROBS), axis=(1, 3))
    got = mlcloss.softmax_cross_entropy(LOGITS, PROBS, axis=(3, 1), reduction="none")
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12)


def test_a_tuple_of_class_axes_is_the_flattened_single_axis(optax_x64):
    import jax

    labels = jax.numpy.asarray(FLAT)
    flat = np.moveaxis(LOGITS, 1, -2).reshape(2, 4, 15)
    want = mlcloss.softmax_cross_entropy(flat, FLAT, label_smoothing=0.1)
    got = mlcloss.softmax_cross_entropy(LOGITS, FLAT, axis=(1, -1), label_smoothing=0.1)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    grad = jax.grad(
        lambda s: mlcloss.softmax_cross_entropy(s, labels, axis=(1, 3), label_smoothing=0.1)
    )(LOGITS)
    flat_grad = jax.grad(lambda s: mlcloss.softmax_cross_entropy(s, labels, label_smoothing=0.1))(
        flat
    )
    np.testing.assert_allclose(
        np.moveaxis(np.asarray(grad), 1, -2).reshape(2, 4, 15), flat_grad, rtol=1e-10
    )


@pytest.mark.parametrize("axis", [(), (1, 1)])
def test_a_bad_tuple_of_axes_is_refused(axis):
    with pytest.raises(ValueError, match="axis"):
        mlcloss.softmax_cross_entropy(LOGITS, FLAT, axis=axis)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_z_loss_is_cross_entropy_plus_z_logsumexp_squared(weighted, reduction, dtype):
    """PaLM's z-loss: F.cross_entropy + z (log Z)² per token, weighted as the token (w_y), the
    ignored ones left out; values and gradients."""
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    logits = torch.tensor(RNG.normal(size=(9, 6)) * 3, dtype=dt, requires_grad=True)
    labels = torch.tensor([0, 5, -100, 2, 2, 1, -100, 4, 3])
    weight = torch.tensor(RNG.uniform(0.5, 2.0, 6), dtype=dt) if weighted else None
    z = 3e-3
    ours = mlcloss.softmax_cross_entropy(
        logits, labels, class_weights=weight, ignore_index=-100, z_loss=z, reduction=reduction
    )
    kept = labels != -100
    w_y = torch.where(kept, (weight if weighted else torch.ones(6, dtype=dt))[labels.clamp(0)], 0)
    rows = (
        torch.nn.functional.cross_entropy(
            logits, labels, weight=weight, ignore_index=-100, reduction="none"
        )
        + z * w_y * torch.logsumexp(logits, -1) ** 2
    )
    theirs = {"none": rows, "sum": rows.sum(), "mean": rows.sum() / w_y.sum()}[reduction]
    rtol = 1e-10 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol)
    (g_ours,) = torch.autograd.grad(ours.sum(), logits)
    (g_theirs,) = torch.autograd.grad(theirs.sum(), logits)
    np.testing.assert_allclose(g_ours.numpy(), g_theirs.numpy(), rtol=rtol, atol=1e-7)


def test_z_loss_with_probability_labels_and_a_traced_weight():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    logits = jax.numpy.asarray(RNG.normal(size=(5, 4)) * 2)
    probs = jax.numpy.asarray(RNG.dirichlet(np.ones(4), 5))

    def loss(x, z):
        return mlcloss.softmax_cross_entropy(x, probs, z_loss=z, reduction="none")

    want = loss(logits, 0.0) + 0.1 * jax.nn.logsumexp(logits, axis=-1) ** 2
    np.testing.assert_allclose(jax.jit(loss)(logits, 0.1), want, rtol=1e-12)
    grad = jax.grad(lambda x: loss(x, 0.1).sum())(logits)
    with mlcloss.analytic_gradients(False):
        plain = jax.grad(lambda x: loss(x, 0.1).sum())(logits)
    np.testing.assert_allclose(grad, plain, rtol=1e-12)


def test_z_loss_refuses_a_negative_weight():
    with pytest.raises(ValueError, match="z_loss"):
        mlcloss.softmax_cross_entropy(LOGITS[0, :, 0], np.array([0, 1, 2]), z_loss=-1e-4)
