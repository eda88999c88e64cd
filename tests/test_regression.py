"""The regression family against its peers' own functions: torch, optax and Keras.

Values and gradients in float64 (to 1e-10) and float32, every reduction,
and the departures: Huber's ``delta <= 0`` is refused.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(11)
PREDICTIONS = RNG.normal(size=(6, 5)) * 2
TARGETS = RNG.normal(size=(6, 5))
TARGETS[0, 0] = PREDICTIONS[0, 0]  # an exact hit: the L1 slope is 0 there, as in torch
DELTAS = [0.3, 1.0, 2.5]


def _torch_pair(ours, theirs, dtype):
    torch = pytest.importorskip("torch")
    x = torch.tensor(PREDICTIONS, dtype=dtype, requires_grad=True)
    y = torch.tensor(TARGETS, dtype=dtype)
    got, want = ours(x, y), theirs(x, y)
    (g_ours,) = torch.autograd.grad(got, x)
    (g_theirs,) = torch.autograd.grad(want, x)
    rtol = 1e-10 if dtype == torch.float64 else 1e-6
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(g_ours.numpy(), g_theirs.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_absolute_error_is_torch_l1_loss(dtype, reduction):
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda x, y: mlcloss.absolute_error(x, y, reduction=reduction),
        lambda x, y: torch.nn.functional.l1_loss(x, y, reduction=reduction),
        getattr(torch, dtype),
    )


@pytest.mark.parametrize("delta", DELTAS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_huber_loss_is_torch_huber_loss(delta, dtype, reduction):
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda x, y: mlcloss.huber_loss(x, y, delta=delta, reduction=reduction),
        lambda x, y: torch.nn.functional.huber_loss(x, y, delta=delta, reduction=reduction),
        getattr(torch, dtype),
    )


@pytest.mark.parametrize("delta", DELTAS)
def test_huber_loss_is_optax_huber_loss(delta):
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    x, y = jax.numpy.asarray(PREDICTIONS), jax.numpy.asarray(TARGETS)
    got = mlcloss.huber_loss(x, y, delta=delta, reduction="none")
    np.testing.assert_allclose(got, optax.huber_loss(x, y, delta=delta), rtol=1e-10)
    g_ours = jax.grad(lambda z: mlcloss.huber_loss(z, y, delta=delta, reduction="sum"))(x)
    g_theirs = jax.grad(lambda z: optax.huber_loss(z, y, delta=delta).sum())(x)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-14)
    traced = jax.jit(lambda z, d: mlcloss.huber_loss(z, y, delta=d, reduction="none"))(x, delta)
    np.testing.assert_allclose(traced, optax.huber_loss(x, y, delta=delta), rtol=1e-10)


@pytest.mark.parametrize(
    "name, keras_name, options",
    [
        ("absolute_error", "MeanAbsoluteError", {}),
        ("huber_loss", "Huber", {"delta": 0.6}),
    ],
)
def test_the_functions_mean_is_keras_for_rows_of_equal_length(name, keras_name, options):
    """Keras averages each row, then the batch: for equal rows, the function's mean."""
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    peer = getattr(keras.losses, keras_name)(**options)
    want = float(peer(TARGETS, PREDICTIONS))
    got = float(getattr(mlcloss, name)(PREDICTIONS, TARGETS, **options))
    np.testing.assert_allclose(got, want, rtol=1e-6)  # Keras computes in float32


@pytest.mark.parametrize("delta", [0.0, -1.0])
def test_huber_refuses_a_delta_that_is_not_positive(delta):
    with pytest.raises(ValueError, match="delta must"):
        mlcloss.huber_loss(PREDICTIONS, TARGETS, delta=delta)


def test_huber_between_squared_and_absolute_error():
    """Within δ of the target it is half the squared error; far away, δ (|d| − δ/2)."""
    small = mlcloss.huber_loss(PREDICTIONS, PREDICTIONS + 0.01, delta=1.0, reduction="none")
    half_squared = mlcloss.squared_error(PREDICTIONS, PREDICTIONS + 0.01, reduction="none") / 2
    np.testing.assert_allclose(small, half_squared, rtol=1e-9)
    far = mlcloss.huber_loss(PREDICTIONS, PREDICTIONS + 100.0, delta=0.5, reduction="none")
    np.testing.assert_allclose(far, 0.5 * (100.0 - 0.25), rtol=1e-12)
