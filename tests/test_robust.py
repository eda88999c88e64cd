"""Poly-1 and generalized cross-entropy against optax and Keras.

Values and gradients in float64 (to 1e-10); generalized CE exact where
Keras's ``1 − p^q`` cancels.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(61)
LOGITS = RNG.normal(size=(7, 5)) * 2
LABELS = RNG.integers(0, 5, size=7)
PROBS = RNG.dirichlet(np.ones(5), 7)


@pytest.mark.parametrize("epsilon", [2.0, 0.0, -1.0, 5.5])
@pytest.mark.parametrize("labels", [PROBS, np.eye(5)[LABELS]], ids=["soft", "one-hot"])
def test_poly1_is_optax_poly_loss_cross_entropy(epsilon, labels):
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    x, t = jax.numpy.asarray(LOGITS), jax.numpy.asarray(labels)

    def ours(z):
        return mlcloss.poly1_cross_entropy(z, t, epsilon=epsilon, reduction="none")

    def theirs(z):
        return optax.losses.poly_loss_cross_entropy(z, t, epsilon=epsilon)

    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-10)
    g_ours = jax.grad(lambda z: ours(z).sum())(x)
    g_theirs = jax.grad(lambda z: theirs(z).sum())(x)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-14)
    traced = jax.jit(lambda z, e: mlcloss.poly1_cross_entropy(z, t, epsilon=e, reduction="none"))
    np.testing.assert_allclose(traced(x, epsilon), theirs(x), rtol=1e-10)


def test_poly1_where_is_optax_where():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    where = RNG.random(LOGITS.shape) < 0.7
    where[np.arange(7), LABELS] = True
    t = np.eye(5)[LABELS]
    got = mlcloss.poly1_cross_entropy(LOGITS, t, where=where, reduction="none")
    want = optax.losses.poly_loss_cross_entropy(
        jax.numpy.asarray(LOGITS), jax.numpy.asarray(t), where=jax.numpy.asarray(where)
    )
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_poly1_with_epsilon_0_is_softmax_cross_entropy():
    np.testing.assert_allclose(
        mlcloss.poly1_cross_entropy(LOGITS, PROBS, epsilon=0.0, reduction="none"),
        mlcloss.softmax_cross_entropy(LOGITS, PROBS, reduction="none"),
        rtol=1e-12,
    )


@pytest.mark.parametrize("q", [0.1, 0.5, 0.7, 1.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_generalized_ce_is_keras_on_the_softmax(q, dtype):
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the Keras peer runs on its TensorFlow backend here")
    x, y = tf.Variable(LOGITS.astype(dtype)), tf.constant(LABELS)
    with tf.GradientTape(persistent=True) as tape:
        ours = mlcloss.generalized_cross_entropy(x, y, q=q, reduction="none")
        theirs = keras.losses.categorical_generalized_cross_entropy(y, tf.nn.softmax(x), q=q)
        total_ours, total_theirs = tf.reduce_sum(ours), tf.reduce_sum(theirs)
    rtol, atol = (1e-10, 1e-14) if dtype == "float64" else (2e-5, 1e-6)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(
        tape.gradient(total_ours, x).numpy(),
        tape.gradient(total_theirs, x).numpy(),
        rtol=rtol,
        atol=atol,
    )


def test_generalized_ce_is_exact_where_one_minus_p_to_the_q_cancels():
    """p_y = 1 − 1e-12 (float64): (1 − p^q)/q ≈ 1e-12, which 1 − p^q gets to ~1e-4 at best."""
    logits = np.array([[0.0, -np.log(1e12) - np.log(2), -np.log(1e12) - np.log(2)]])
    got = float(mlcloss.generalized_cross_entropy(logits, np.array([0]), q=0.5))
    log_p = -np.log1p(1e-12)
    np.testing.assert_allclose(got, -np.expm1(0.5 * log_p) / 0.5, rtol=1e-12)
    assert got > 0


@pytest.mark.parametrize("q", [0.0, -0.5, 1.5])
def test_generalized_ce_refuses_q_outside_0_1(q):
    with pytest.raises(ValueError, match="q must"):
        mlcloss.generalized_cross_entropy(LOGITS, LABELS, q=q)


def test_generalized_ce_at_small_q_approaches_cross_entropy():
    np.testing.assert_allclose(
        mlcloss.generalized_cross_entropy(LOGITS, LABELS, q=1e-8, reduction="none"),
        mlcloss.softmax_cross_entropy(LOGITS, LABELS, reduction="none"),
        rtol=1e-6,
    )


def test_poly1_polynomial_term_is_exact_for_a_confident_row():
    """1 − p_t = 1e-12 (float64): the term is the other classes' mass, not 1 minus a rounded p."""
    logits = np.array([[0.0, -np.log(1e12) - np.log(2), -np.log(1e12) - np.log(2)]])
    one_hot = np.array([[1.0, 0.0, 0.0]])
    with_term = float(mlcloss.poly1_cross_entropy(logits, one_hot, epsilon=1.0))
    without = float(mlcloss.poly1_cross_entropy(logits, one_hot, epsilon=0.0))
    np.testing.assert_allclose(with_term - without, 1e-12 / (1 + 1e-12), rtol=1e-9)
