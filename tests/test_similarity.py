"""The cosine losses against their peers' own functions: optax, Keras and torch.

Values and gradients in float64 (to 1e-10) and float32; zero vectors finite in
value and gradient, beside optax's NaN.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(53)
A = RNG.normal(size=(6, 4))
B = RNG.normal(size=(6, 4))
SIGNS = np.where(RNG.random(6) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize("eps", [1e-12, 0.5])
def test_cosine_distance_is_optax(eps):
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    a, b = jax.numpy.asarray(A), jax.numpy.asarray(B)
    ours = lambda x, y: mlcloss.cosine_distance(x, y, eps=eps, reduction="none")  # noqa: E731
    theirs = lambda x, y: optax.losses.cosine_distance(x, y, epsilon=eps)  # noqa: E731
    np.testing.assert_allclose(ours(a, b), theirs(a, b), rtol=1e-10)
    for argnum in (0, 1):  # gradients reach both vectors
        g_ours = jax.grad(lambda x, y: ours(x, y).sum(), argnums=argnum)(a, b)
        g_theirs = jax.grad(lambda x, y: theirs(x, y).sum(), argnums=argnum)(a, b)
        np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-14)


def test_cosine_distance_where_is_optax_where():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    where = RNG.random(A.shape) < 0.7
    where[:, 0] = True
    got = mlcloss.cosine_distance(A, B, where=where, reduction="none")
    want = optax.losses.cosine_distance(
        jax.numpy.asarray(A), jax.numpy.asarray(B), epsilon=1e-12, where=jax.numpy.asarray(where)
    )
    np.testing.assert_allclose(got, want, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cosine_distance_less_one_is_keras_cosine_similarity(dtype):
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the Keras peer runs on its TensorFlow backend here")
    a, b = tf.Variable(A.astype(dtype)), tf.constant(B.astype(dtype))
    with tf.GradientTape(persistent=True) as tape:
        ours = mlcloss.cosine_distance(a, b, reduction="none") - 1
        theirs = keras.losses.cosine_similarity(b, a)
        total_ours, total_theirs = tf.reduce_sum(ours), tf.reduce_sum(theirs)
    rtol, atol = (1e-10, 1e-14) if dtype == "float64" else (1e-5, 1e-6)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(
        tape.gradient(total_ours, a).numpy(),
        tape.gradient(total_theirs, a).numpy(),
        rtol=rtol,
        atol=atol,
    )


def test_a_zero_vector_is_finite_where_optax_is_nan():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    a = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    b = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    b = jax.numpy.asarray(b)
    value, grad = jax.value_and_grad(lambda x: mlcloss.cosine_distance(x, b, reduction="sum"))(
        jax.numpy.asarray(a)
    )
    np.testing.assert_allclose(value, 2.0)  # each pair with a zero vector has cosine 0
    assert np.isfinite(np.asarray(grad)).all()
    theirs = optax.losses.cosine_distance(jax.numpy.asarray(a), jax.numpy.asarray(b))
    assert np.isnan(np.asarray(theirs)).all()  # the peer's default, beside ours


@pytest.mark.parametrize("margin", [0.0, 0.3, -0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cosine_embedding_loss_is_torch(margin, reduction, dtype):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    a = torch.tensor(A, dtype=dt, requires_grad=True)
    b = torch.tensor(B, dtype=dt, requires_grad=True)
    y = torch.tensor(SIGNS, dtype=dt)
    ours = mlcloss.cosine_embedding_loss(a, b, y, margin=margin, reduction=reduction)
    theirs = torch.nn.functional.cosine_embedding_loss(a, b, y, margin=margin, reduction=reduction)
    rtol = 1e-10 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-7)
    for g_ours, g_theirs in zip(
        torch.autograd.grad(ours.sum(), (a, b)), torch.autograd.grad(theirs.sum(), (a, b))
    ):
        np.testing.assert_allclose(g_ours.numpy(), g_theirs.numpy(), rtol=rtol, atol=1e-7)


def test_cosine_embedding_labels_are_one_per_pair():
    with pytest.raises(ValueError, match=r"labels must have the shape of x1 without axis.*\(6,\)"):
        mlcloss.cosine_embedding_loss(A, B, np.ones((6, 4)))
    with pytest.raises(ValueError, match=r"labels.*-1 or \+1"):
        mlcloss.cosine_embedding_loss(A, B, np.zeros(6))
