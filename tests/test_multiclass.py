"""The multiclass margins against their peers' own functions: torch, optax and Keras.

Values and gradients in float64 (to 1e-10) and float32, every reduction and
option; scores drawn so that no two in a row tie (a tie is a kink of the max,
where peers pick either side).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(41)
SCORES = RNG.normal(size=(7, 5)) * 1.5
LABELS = RNG.integers(0, 5, size=7)
WEIGHTS = RNG.uniform(0.5, 2.0, size=5)
MULTI = (RNG.random((7, 5)) < 0.4).astype(np.float64)
SOFT = RNG.random((7, 5))
DTYPES = ["float64", "float32"]
REDUCTIONS = ["mean", "sum", "none"]


def _torch_pair(ours, theirs, scores, labels, dtype):
    torch = pytest.importorskip("torch")
    x = torch.tensor(scores, dtype=dtype, requires_grad=True)
    y = torch.as_tensor(labels if labels.dtype.kind == "i" else labels.astype(scores.dtype))
    if y.is_floating_point():
        y = y.to(dtype)
    got, want = ours(x, y), theirs(x, y)
    rtol = 1e-10 if dtype == torch.float64 else 2e-6
    # a hinge's violation m − s_y + s_j cancels terms of size ~1: in float32 the two orders of
    # its additions (torch's, and mlcloss's difference first) differ by a rounding of those
    atol = 1e-12 if dtype == torch.float64 else 2 * np.finfo(np.float32).eps * np.abs(scores).max()
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=atol)
    (g_ours,) = torch.autograd.grad(got.sum(), x)
    (g_theirs,) = torch.autograd.grad(want.sum(), x)
    np.testing.assert_allclose(g_ours.numpy(), g_theirs.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multi_margin_loss_is_torch(p, margin, weighted, reduction, dtype):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    weight = torch.tensor(WEIGHTS, dtype=dt) if weighted else None
    _torch_pair(
        lambda x, y: mlcloss.multi_margin_loss(
            x, y, p=p, margin=margin, class_weights=weight, reduction=reduction
        ),
        lambda x, y: torch.nn.functional.multi_margin_loss(
            x, y, p=p, margin=margin, weight=weight, reduction=reduction
        ),
        SCORES,
        LABELS,
        dt,
    )


@pytest.mark.parametrize("labels", [MULTI, SOFT], ids=["0/1", "soft"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_soft_margin_loss_is_torch(labels, weighted, reduction, dtype):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    weight = torch.tensor(WEIGHTS, dtype=dt) if weighted else None
    _torch_pair(
        lambda x, y: mlcloss.multilabel_soft_margin_loss(
            x, y, class_weights=weight, reduction=reduction
        ),
        lambda x, y: torch.nn.functional.multilabel_soft_margin_loss(
            x, y, weight=weight, reduction=reduction
        ),
        SCORES * 8,  # well into both tails
        labels,
        dt,
    )


@pytest.mark.parametrize(
    "name, optax_name, options",
    [
        ("multiclass_hinge_loss", "multiclass_hinge_loss", {}),
        ("multiclass_perceptron_loss", "multiclass_perceptron_loss", {}),
        ("multiclass_sparsemax_loss", "multiclass_sparsemax_loss", {}),
    ],
)
def test_the_optax_multiclass_losses(name, optax_name, options):
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    x, y = jax.numpy.asarray(SCORES), jax.numpy.asarray(LABELS)
    ours = getattr(mlcloss, name)
    theirs = getattr(optax.losses, optax_name)
    np.testing.assert_allclose(ours(x, y, reduction="none"), theirs(x, y), rtol=1e-10)
    g_ours = jax.grad(lambda z: ours(z, y, reduction="sum"))(x)
    g_theirs = jax.grad(lambda z: theirs(z, y).sum())(x)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-14)


def test_multiclass_hinge_takes_a_traced_margin():
    jax = pytest.importorskip("jax")
    x, y = jax.numpy.asarray(SCORES), jax.numpy.asarray(LABELS)
    loss = jax.jit(lambda m: mlcloss.multiclass_hinge_loss(x, y, margin=m, reduction="none"))
    np.testing.assert_allclose(
        loss(0.3), mlcloss.multiclass_hinge_loss(SCORES, LABELS, margin=0.3, reduction="none")
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_hinge_is_keras(dtype):
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the Keras peer runs on its TensorFlow backend here")
    one_hot = np.eye(5)[LABELS]
    x, t = tf.Variable(SCORES.astype(dtype)), tf.constant(one_hot.astype(dtype))
    with tf.GradientTape(persistent=True) as tape:
        ours = mlcloss.categorical_hinge_loss(x, t, reduction="none")
        theirs = keras.losses.categorical_hinge(t, x)
        total_ours, total_theirs = tf.reduce_sum(ours), tf.reduce_sum(theirs)
    rtol = 1e-10 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol)
    np.testing.assert_allclose(
        tape.gradient(total_ours, x).numpy(), tape.gradient(total_theirs, x).numpy(), rtol=rtol
    )


def test_categorical_hinge_counts_the_true_class_in_the_max_as_keras():
    """All wrong scores negative: the best 'wrong' score is the true class's 0 · s_y."""
    scores, one_hot = np.array([[0.4, -2.0, -3.0]]), np.array([[1.0, 0.0, 0.0]])
    got = mlcloss.categorical_hinge_loss(scores, one_hot, reduction="none")
    np.testing.assert_allclose(got, [0.6])  # max(0, 1 + 0 − 0.4), not 1 − 2 − 0.4 < 0
    assert mlcloss.multiclass_hinge_loss(scores, np.array([0]), reduction="none")[0] == 0.0


def test_multiclass_perceptron_is_hinge_with_no_margin():
    np.testing.assert_allclose(
        mlcloss.multiclass_perceptron_loss(SCORES, LABELS, reduction="none"),
        mlcloss.multiclass_hinge_loss(SCORES, LABELS, margin=0.0, reduction="none"),
    )


@pytest.mark.parametrize(
    "loss",
    [mlcloss.multiclass_hinge_loss, mlcloss.multi_margin_loss, mlcloss.multiclass_perceptron_loss],
)
def test_a_label_out_of_range_is_refused(loss):
    with pytest.raises(ValueError, match=r"labels.*class ids in \[0, 5\)"):
        loss(SCORES, np.where(np.arange(7) == 2, 5, LABELS))


def test_multi_margin_refuses_a_power_torch_lacks():
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        mlcloss.multi_margin_loss(SCORES, LABELS, p=3)


def test_multilabel_soft_margin_where_drops_classes_from_each_row():
    where = RNG.random((7, 5)) < 0.7
    where[3] = False  # a row with no class: 0, and out of the mean
    rows = mlcloss.multilabel_soft_margin_loss(SCORES, SOFT, where=where, reduction="none")
    assert rows[3] == 0.0
    kept = [
        mlcloss.multilabel_soft_margin_loss(
            SCORES[i][where[i]], SOFT[i][where[i]], reduction="none"
        )
        for i in range(7)
        if where[i].any()
    ]
    np.testing.assert_allclose(np.delete(rows, 3), kept, rtol=1e-12)
    np.testing.assert_allclose(
        mlcloss.multilabel_soft_margin_loss(SCORES, SOFT, where=where), np.mean(kept), rtol=1e-12
    )


def test_sparsemax_loss_is_zero_once_the_true_class_leads_by_one_and_exact_far_out():
    scores = np.array([[3.0, 2.0, -5.0], [1e8, 1e8 - 0.5, 0.0]])
    got = mlcloss.multiclass_sparsemax_loss(scores, np.array([0, 1]), reduction="none")
    # row 2: p = (0.75, 0.25, 0) after the shift by the max: 0.25 · 0.5 + ½ (1 − 0.625)
    np.testing.assert_allclose(got, [0.0, 0.75 * 0.5 + 0.5 * (1 - 0.625)], rtol=1e-12)
    _, grad = mlcloss.value_and_grad(mlcloss.multiclass_sparsemax_loss)(scores, np.array([0, 1]))
    np.testing.assert_allclose(grad, [[0, 0, 0], [0.375, -0.375, 0]], atol=1e-12)  # (p − e_y)/2


LISTS = np.array(
    [
        [3, 0, -1, 1, 2],
        [4, 4, 1, -1, 0],
        [-1, 0, 0, 0, 0],
        [0, 1, 2, 3, 4],
        [2, -1, -1, -1, -1],
        [1, 3, 0, 2, -1],
        [0, -1, 3, 3, 3],
    ]
)  # fmt: skip  (a repeated class, an empty list, a full one, entries after the first -1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_margin_loss_is_torch(reduction, dtype):
    torch = pytest.importorskip("torch")
    _torch_pair(
        lambda x, y: mlcloss.multilabel_margin_loss(x, y, reduction=reduction),
        lambda x, y: torch.nn.functional.multilabel_margin_loss(x, y, reduction=reduction),
        SCORES,
        LISTS,
        getattr(torch, dtype),
    )


def test_multilabel_margin_refuses_a_class_out_of_range_before_the_end():
    lists = LISTS.copy()
    lists[0, 0] = 5
    with pytest.raises(ValueError, match=r"labels.*ended by -1"):
        mlcloss.multilabel_margin_loss(SCORES, lists)
    lists[0] = [1, -1, 7, 7, 7]  # after the end: ignored, as torch
    assert np.isfinite(mlcloss.multilabel_margin_loss(SCORES, lists))
