"""The elementwise margin family against its peers' own functions: torch, optax and Keras.

Values and gradients in float64 (to 1e-10) and float32, every reduction; scores
kept off the kinks (where the one-sided derivatives differ and peers pick
either).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(31)
SCORES = RNG.normal(size=(6, 5)) * 1.5
OTHER = RNG.normal(size=(6, 5))
SIGNS = np.where(RNG.random((6, 5)) < 0.5, -1.0, 1.0)
DISTANCES = RNG.uniform(0.0, 2.0, size=(6, 5))


def _torch_pair(ours, theirs, arrays, dtype, grad_of=(0,)):
    """Values and gradients (in the arrays at ``grad_of``) of ``ours`` and ``theirs``."""
    torch = pytest.importorskip("torch")
    tensors = [
        torch.tensor(a, dtype=dtype, requires_grad=i in grad_of) for i, a in enumerate(arrays)
    ]
    got, want = ours(*tensors), theirs(*tensors)
    wrt = [tensors[i] for i in grad_of]
    rtol = 1e-10 if dtype == torch.float64 else 2e-6
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=1e-12)
    for a, b in zip(torch.autograd.grad(got.sum(), wrt), torch.autograd.grad(want.sum(), wrt)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=1e-12)


DTYPES = ["float64", "float32"]
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss_is_torch(dtype, reduction):
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda x, y: mlcloss.soft_margin_loss(x, y, reduction=reduction),
        lambda x, y: torch.nn.functional.soft_margin_loss(x, y, reduction=reduction),
        [SCORES * 10, SIGNS],  # far into both tails
        getattr(torch, dtype),
    )


@pytest.mark.parametrize("margin", [0.5, 1.0, 1.7])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss_is_torch(margin, dtype, reduction):
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda d, y: mlcloss.hinge_embedding_loss(d, y, margin=margin, reduction=reduction),
        lambda d, y: torch.nn.functional.hinge_embedding_loss(
            d, y, margin=margin, reduction=reduction
        ),
        [DISTANCES, SIGNS],
        getattr(torch, dtype),
    )


@pytest.mark.parametrize("margin", [0.0, 0.4, 2.0])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss_is_torch(margin, dtype, reduction):
    """Gradients to both scores."""
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda a, b, y: mlcloss.margin_ranking_loss(a, b, y, margin=margin, reduction=reduction),
        lambda a, b, y: torch.nn.functional.margin_ranking_loss(
            a, b, y, margin=margin, reduction=reduction
        ),
        [SCORES, OTHER, SIGNS],
        getattr(torch, dtype),
        grad_of=(0, 1),
    )


def test_margin_ranking_gradient_reaches_the_second_scores_on_tensorflow():
    tf = pytest.importorskip("tensorflow")
    a, b, y = tf.Variable(SCORES), tf.Variable(OTHER), tf.constant(SIGNS)
    with tf.GradientTape() as tape:
        loss = mlcloss.margin_ranking_loss(a, b, y, margin=0.4, reduction="sum")
    grad_a, grad_b = tape.gradient(loss, [a, b])
    active = 0.4 - SIGNS * (SCORES - OTHER) > 0
    np.testing.assert_allclose(grad_a.numpy(), np.where(active, -SIGNS, 0.0))
    np.testing.assert_allclose(grad_b.numpy(), np.where(active, SIGNS, 0.0))


def _optax_pair(ours, theirs, scores, labels):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x, y = jax.numpy.asarray(scores), jax.numpy.asarray(labels)
    np.testing.assert_allclose(ours(x, y), theirs(x, y), rtol=1e-10, atol=1e-14)
    g_ours = jax.grad(lambda z: ours(z, y).sum())(x)
    g_theirs = jax.grad(lambda z: theirs(z, y).sum())(x)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "name, optax_name, labels",
    [
        ("perceptron_loss", "perceptron_loss", SIGNS),
        ("hinge_loss", "hinge_loss", SIGNS),
        ("sparsemax_loss", "sparsemax_loss", (SIGNS > 0).astype(np.float64)),
    ],
)
def test_the_optax_losses(name, optax_name, labels):
    optax = pytest.importorskip("optax")
    _optax_pair(
        lambda x, y: getattr(mlcloss, name)(x, y, reduction="none"),
        getattr(optax.losses, optax_name),
        SCORES,
        labels,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_squared_hinge_per_row_mean_is_keras_squared_hinge(dtype):
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the Keras peer runs on its TensorFlow backend here")
    x, y = tf.Variable(SCORES.astype(dtype)), tf.constant(SIGNS.astype(dtype))
    with tf.GradientTape(persistent=True) as tape:
        ours = tf.reduce_mean(mlcloss.squared_hinge_loss(x, y, reduction="none"), axis=-1)
        theirs = keras.losses.squared_hinge(y, x)
        total_ours, total_theirs = tf.reduce_sum(ours), tf.reduce_sum(theirs)
    rtol = 1e-10 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol)
    np.testing.assert_allclose(
        tape.gradient(total_ours, x).numpy(), tape.gradient(total_theirs, x).numpy(), rtol=rtol
    )


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_the_keras_squared_hinge_class_takes_0_1_labels_as_keras_does(reduction):
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    import mlcloss.keras as mk

    binary = (SIGNS > 0).astype(np.float32)
    weights = RNG.uniform(0.5, 2.0, size=6).astype(np.float32)
    ours = mk.SquaredHingeLoss(reduction=reduction)(binary, SCORES.astype(np.float32), weights)
    theirs = keras.losses.SquaredHinge(reduction=reduction)(
        binary, SCORES.astype(np.float32), weights
    )
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)


@pytest.mark.parametrize(
    "loss",
    [
        mlcloss.squared_hinge_loss,
        mlcloss.perceptron_loss,
        mlcloss.soft_margin_loss,
        mlcloss.hinge_embedding_loss,
    ],
)
def test_numeric_labels_must_be_plus_or_minus_one(loss):
    with pytest.raises(ValueError, match=r"labels.*-1 or \+1"):
        loss(SCORES, (SIGNS > 0).astype(np.float64))


def test_sparsemax_labels_must_be_0_or_1():
    with pytest.raises(ValueError, match="labels.*0 or 1"):
        mlcloss.sparsemax_loss(SCORES, SIGNS)


def test_margin_ranking_names_mismatched_scores():
    with pytest.raises(ValueError, match=r"scores2"):
        mlcloss.margin_ranking_loss(SCORES, OTHER[:, :3], SIGNS)


def test_soft_margin_is_sigmoid_cross_entropy_on_signed_labels():
    ours = mlcloss.soft_margin_loss(SCORES, SIGNS, reduction="none")
    np.testing.assert_allclose(
        ours, mlcloss.sigmoid_cross_entropy(SCORES, SIGNS > 0, reduction="none"), rtol=1e-12
    )
