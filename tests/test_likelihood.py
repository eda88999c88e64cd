"""The likelihood family against its peers' own functions: torch, tf.nn and Keras.

Poisson: every ``(log_input, full)`` pair and ``eps`` against
``F.poisson_nll_loss``, ``tf.nn.log_poisson_loss`` and ``keras.losses.Poisson``.
Gaussian: torch's variance shapes, ``full`` and the floor that the gradient does
not see, against ``F.gaussian_nll_loss``. Values and gradients in float64 (to
1e-10) and float32; the departures: a negative rate or variance is refused.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(23)
LOG_RATES = RNG.normal(size=(6, 5))
RATES = np.exp(LOG_RATES)
RATES[0, 0] = 0.0  # a zero rate: eps keeps the logarithm finite
COUNTS = RNG.poisson(2.0, size=(6, 5)).astype(np.float64)
COUNTS[1, :3] = [0.0, 1.0, 7.0]  # both sides of Stirling's threshold y > 1
MEANS = RNG.normal(size=(6, 5))
TARGETS = RNG.normal(size=(6, 5))
VARIANCES = RNG.uniform(0.1, 2.0, size=(6, 5))
VARIANCES[2, 1] = 1e-9  # under the floor eps


def _torch_pair(ours, theirs, arrays, dtype, grad_of=(0,)):
    """Value and gradients (in the arrays indexed by ``grad_of``) of ``ours`` and ``theirs``."""
    torch = pytest.importorskip("torch")
    tensors = [
        torch.tensor(a, dtype=dtype, requires_grad=i in grad_of) for i, a in enumerate(arrays)
    ]
    got, want = ours(*tensors), theirs(*tensors)
    wrt = [tensors[i] for i in grad_of]
    g_ours = torch.autograd.grad(got.sum(), wrt)
    g_theirs = torch.autograd.grad(want.sum(), wrt)
    rtol = 1e-10 if dtype == torch.float64 else 2e-6
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=1e-12)
    for a, b in zip(g_ours, g_theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_poisson_is_torch_poisson_nll_loss(log_input, full, reduction, dtype):
    torch = pytest.importorskip("torch")
    options = {"log_input": log_input, "full": full, "reduction": reduction}
    _torch_pair(
        lambda x, y: mlcloss.poisson_nll_loss(x, y, **options),
        lambda x, y: torch.nn.functional.poisson_nll_loss(x, y, **options),
        [LOG_RATES if log_input else RATES, COUNTS],
        getattr(torch, dtype),
    )


@pytest.mark.parametrize("eps", [1e-8, 1e-3, 0.5])
def test_poisson_eps_is_torch_eps(eps):
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda x, y: mlcloss.poisson_nll_loss(x, y, log_input=False, eps=eps),
        lambda x, y: torch.nn.functional.poisson_nll_loss(x, y, log_input=False, eps=eps),
        [RATES, COUNTS],
        torch.float64,
    )


@pytest.mark.parametrize("full", [False, True])
def test_poisson_is_tf_log_poisson_loss(full):
    tf = pytest.importorskip("tensorflow")
    x, y = tf.Variable(LOG_RATES), tf.constant(COUNTS)
    with tf.GradientTape(persistent=True) as tape:
        ours = mlcloss.poisson_nll_loss(x, y, full=full, reduction="none")
        theirs = tf.nn.log_poisson_loss(y, x, compute_full_loss=full)
        total_ours, total_theirs = tf.reduce_sum(ours), tf.reduce_sum(theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        tape.gradient(total_ours, x).numpy(), tape.gradient(total_theirs, x).numpy(), rtol=1e-10
    )


def test_poisson_rates_are_keras_poisson():
    """Keras's ``Poisson`` is the rate form with eps = 1e-7, averaged per row."""
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    theirs = keras.losses.poisson(COUNTS, RATES)
    ours = mlcloss.poisson_nll_loss(RATES, COUNTS, log_input=False, eps=1e-7, reduction="none")
    np.testing.assert_allclose(ours.mean(axis=-1), np.asarray(theirs), rtol=1e-6)


def test_poisson_refuses_a_negative_rate_that_torch_turns_into_nan():
    torch = pytest.importorskip("torch")
    rates = RATES.copy()
    rates[3, 2] = -0.5
    theirs = torch.nn.functional.poisson_nll_loss(
        torch.tensor(rates), torch.tensor(COUNTS), log_input=False
    )
    assert torch.isnan(theirs)  # the peer's silent NaN, beside our error
    with pytest.raises(ValueError, match=r"predictions.*rates >= 0"):
        mlcloss.poisson_nll_loss(torch.tensor(rates), torch.tensor(COUNTS), log_input=False)
    where = np.ones_like(rates, dtype=bool)
    where[3, 2] = False  # a masked entry is never read
    assert np.isfinite(mlcloss.poisson_nll_loss(rates, COUNTS, log_input=False, where=where))


def test_poisson_with_a_negative_rate_is_nan_under_jit():
    jax = pytest.importorskip("jax")
    rates = RATES.copy()
    rates[3, 2] = -0.5
    counts = jax.numpy.asarray(COUNTS)
    loss = jax.jit(lambda x: mlcloss.poisson_nll_loss(x, counts, log_input=False, reduction="none"))
    got = np.asarray(loss(jax.numpy.asarray(rates)))
    assert np.isnan(got[3, 2]) and np.isfinite(np.delete(got.ravel(), 3 * 5 + 2)).all()


# torch's variance shapes: one per entry, shared along an axis, one per row, a float
VARIANCE_SHAPES = {
    "per-entry": VARIANCES,
    "shared-along-rows": VARIANCES[:1],
    "shared-along-classes": VARIANCES[:, :1],
    "per-row": VARIANCES[:, 0],
}


@pytest.mark.parametrize("shape", list(VARIANCE_SHAPES))
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gaussian_is_torch_gaussian_nll_loss(shape, full, reduction, dtype):
    """Values and the gradients in the means, the targets and the variances (the floor
    at eps invisible to the gradient, as torch's)."""
    torch = pytest.importorskip("torch")
    options = {"full": full, "reduction": reduction}
    _torch_pair(
        lambda x, y, v: mlcloss.gaussian_nll_loss(x, y, v, **options),
        lambda x, y, v: torch.nn.functional.gaussian_nll_loss(x, y, v, **options),
        [MEANS, TARGETS, VARIANCE_SHAPES[shape]],
        getattr(torch, dtype),
        grad_of=(0, 1, 2),
    )


@pytest.mark.parametrize("eps", [1e-6, 0.3])
def test_gaussian_with_a_float_variance_and_eps_is_torch(eps):
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda x, y: mlcloss.gaussian_nll_loss(x, y, 0.2, eps=eps),
        lambda x, y: torch.nn.functional.gaussian_nll_loss(x, y, 0.2, eps=eps),
        [MEANS, TARGETS],
        torch.float64,
    )


def test_gaussian_floor_passes_the_gradient_at_eps():
    """Below eps the variance's gradient is the one at eps, 1/(2ε) − d²/(2ε²), not 0."""
    jax = pytest.importorskip("jax")
    eps = 0.5
    small = jax.numpy.asarray(np.full(3, 0.01))
    means, targets = jax.numpy.asarray([0.0, 0.2, 1.0]), jax.numpy.zeros(3)
    grad = jax.grad(
        lambda v: mlcloss.gaussian_nll_loss(means, targets, v, eps=eps, reduction="sum")
    )
    d = np.asarray(means)
    np.testing.assert_allclose(grad(small), 1 / (2 * eps) - d**2 / (2 * eps**2), rtol=1e-12)


@pytest.mark.parametrize("variance", [-1.0, np.array([[0.5], [-0.1], [1.0]])])
def test_gaussian_refuses_a_negative_variance(variance):
    with pytest.raises(ValueError, match="variance"):
        mlcloss.gaussian_nll_loss(MEANS[:3], TARGETS[:3], variance)


def test_gaussian_names_a_variance_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"variance must have the shape.*\(6, 5\).*\(6, 4\)"):
        mlcloss.gaussian_nll_loss(MEANS, TARGETS, VARIANCES[:, :4])
