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


@pytest.mark.parametrize("delta", [0.0, -1.0, np.asarray(0.0), np.asarray(-1.0)])
def test_huber_refuses_a_delta_that_is_not_positive(delta):
    with pytest.raises(ValueError, match="delta must"):
        mlcloss.huber_loss(PREDICTIONS, TARGETS, delta=delta)


def test_huber_with_a_traced_zero_delta_is_nan():
    jax = pytest.importorskip("jax")
    x, y = jax.numpy.asarray(PREDICTIONS), jax.numpy.asarray(TARGETS)
    loss = jax.jit(lambda d: mlcloss.huber_loss(x, y, delta=d))
    assert np.isnan(loss(0.0)) and np.isfinite(loss(0.5))


def test_huber_between_squared_and_absolute_error():
    """Within δ of the target it is half the squared error; far away, δ (|d| − δ/2)."""
    small = mlcloss.huber_loss(PREDICTIONS, PREDICTIONS + 0.01, delta=1.0, reduction="none")
    half_squared = mlcloss.squared_error(PREDICTIONS, PREDICTIONS + 0.01, reduction="none") / 2
    np.testing.assert_allclose(small, half_squared, rtol=1e-9)
    far = mlcloss.huber_loss(PREDICTIONS, PREDICTIONS + 100.0, delta=0.5, reduction="none")
    np.testing.assert_allclose(far, 0.5 * (100.0 - 0.25), rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.4, 1.0, 3.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_smooth_l1_loss_is_torch_smooth_l1_loss(beta, dtype, reduction):
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda x, y: mlcloss.smooth_l1_loss(x, y, beta=beta, reduction=reduction),
        lambda x, y: torch.nn.functional.smooth_l1_loss(x, y, beta=beta, reduction=reduction),
        getattr(torch, dtype),
    )


def test_smooth_l1_refuses_a_negative_beta():
    with pytest.raises(ValueError, match="beta"):
        mlcloss.smooth_l1_loss(PREDICTIONS, TARGETS, beta=-0.5)


def test_smooth_l1_is_huber_over_beta():
    for beta in (0.3, 2.0):
        got = mlcloss.smooth_l1_loss(PREDICTIONS, TARGETS, beta=beta, reduction="none")
        huber = mlcloss.huber_loss(PREDICTIONS, TARGETS, delta=beta, reduction="none")
        np.testing.assert_allclose(got, huber / beta, rtol=1e-12)


def test_log_cosh_loss_is_optax_log_cosh():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    x, y = jax.numpy.asarray(PREDICTIONS), jax.numpy.asarray(TARGETS)
    np.testing.assert_allclose(
        mlcloss.log_cosh_loss(x, y, reduction="none"), optax.log_cosh(x, y), rtol=1e-10
    )
    g_ours = jax.grad(lambda z: mlcloss.log_cosh_loss(z, y, reduction="sum"))(x)
    g_theirs = jax.grad(lambda z: optax.log_cosh(z, y).sum())(x)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-14)


# Keras's functional losses keep float64 inputs in float64: each row's mean over the last axis
KERAS_FUNCTIONS = [
    ("log_cosh_loss", "log_cosh", PREDICTIONS, TARGETS),
    ("absolute_percentage_error", "mean_absolute_percentage_error", PREDICTIONS, TARGETS),
    ("squared_log_error", "mean_squared_logarithmic_error", np.abs(PREDICTIONS), np.abs(TARGETS)),
    ("absolute_error", "mean_absolute_error", PREDICTIONS, TARGETS),
    ("huber_loss", "huber", PREDICTIONS, TARGETS),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, keras_name, predictions, targets", KERAS_FUNCTIONS)
def test_the_per_row_means_are_keras_functions(name, keras_name, predictions, targets, dtype):
    """Values and gradients against Keras's own functions on TensorFlow tensors."""
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the Keras peer runs on its TensorFlow backend here")
    x = tf.Variable(predictions.astype(dtype))
    y = tf.constant(targets.astype(dtype))
    with tf.GradientTape(persistent=True) as tape:
        ours = tf.reduce_mean(getattr(mlcloss, name)(x, y, reduction="none"), axis=-1)
        theirs = getattr(keras.losses, keras_name)(y, x)
        total_ours, total_theirs = tf.reduce_sum(ours), tf.reduce_sum(theirs)
    rtol = 1e-10 if dtype == "float64" else 1e-5
    theirs = theirs.numpy()
    if name == "log_cosh_loss" and dtype == "float64":
        # Keras subtracts log 2 rounded to float32 (1.9e-9 too much) even from float64 inputs
        theirs = theirs + (float(np.float32(np.log(2.0))) - np.log(2.0))
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(
        tape.gradient(total_ours, x).numpy(),
        tape.gradient(total_theirs, x).numpy(),
        rtol=rtol,
        atol=1e-12,
    )


def test_log_cosh_keeps_its_relative_precision_near_the_target(framework):
    """~d²/2 near 0, with every digit: |d| + log1p(e^{−2|d|}) − log 2 would cancel there
    (2e-8 relative at d = 1e-4), and optax's form loses 1e-11 on ordinary residuals."""
    d = np.array([1e-8, -1e-4, 3e-3, 0.3, -0.9, 0.999, 1.0, -2.5])
    # the Taylor series where it converges to float64 in four terms, log(cosh) elsewhere
    series = d**2 / 2 - d**4 / 12 + d**6 / 45 - 17 * d**8 / 2520
    want = np.where(np.abs(d) < 1e-2, series, np.log(np.cosh(d)))
    got = mlcloss.log_cosh_loss(framework.array(d), framework.array(np.zeros(8)), reduction="none")
    np.testing.assert_allclose(framework.to_numpy(got), want, rtol=4e-15)


def test_log_cosh_is_exact_where_cosh_and_keras_overflow():
    """|d| − log 2 far out: Keras's d + softplus(−2d) is inf at d = −1e308, cosh at 711."""
    d = np.array([-1e308, -800.0, 711.0, 1e308])
    got = mlcloss.log_cosh_loss(d, np.zeros(4), reduction="none")
    np.testing.assert_allclose(got, np.abs(d) - np.log(2.0), rtol=1e-15)
    _, grad = mlcloss.value_and_grad(  # "none": the gradient of the rows' sum
        lambda z: mlcloss.log_cosh_loss(z, np.zeros(4), reduction="none")
    )(d)
    np.testing.assert_allclose(grad, np.sign(d), rtol=1e-15)
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    if keras.backend.backend() == "tensorflow":
        theirs = keras.losses.log_cosh(np.zeros((4, 1)), d[:, None]).numpy()
        assert np.isinf(theirs[0])  # the peer's number, beside ours


def test_squared_log_error_floors_below_epsilon():
    """Predictions below ε count as ε: the value of ε, and no gradient."""
    x = np.array([-3.0, 0.0, 0.5])
    value, grad = mlcloss.value_and_grad(
        lambda z: mlcloss.squared_log_error(z, np.full(3, 2.0), reduction="sum")
    )(x)
    floor = (np.log1p(1e-7) - np.log1p(2.0)) ** 2
    np.testing.assert_allclose(value, 2 * floor + (np.log1p(0.5) - np.log1p(2.0)) ** 2, rtol=1e-12)
    assert grad[0] == 0 and grad[1] == 0 and grad[2] < 0
