"""The softmax family against its peers where the shared cases do not reach: several class axes."""

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
