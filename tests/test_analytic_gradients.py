"""The closed-form gradients the adapters install equal autograd through the plain formula.

``mlcloss.analytic_gradients(False)`` differentiates the value formula with
the framework's own autograd; every case of ``CASES`` must give the same
gradient both ways (first order on every autograd framework, second order
and label gradients where the framework offers them), and NumPy's
``mlcloss.value_and_grad`` must give it without any autograd.
"""

from __future__ import annotations

import inspect
from functools import partial

import numpy as np
import pytest
from cases import CASES, LOGITS, SOFT  # tests/ is on sys.path

import mlcloss
from mlcloss.capabilities import LOSSES
from mlcloss.testing import FRAMEWORKS

ANALYTIC = {spec.function for spec in LOSSES if spec.closed_form}  # the rest: autograd
ANALYTIC_CASES = sorted(name for name, case in CASES.items() if case[0] in ANALYTIC)


def _loss(framework, name, reduction=None):
    fn, logits, args, arrays, options, *_ = CASES[name]
    arrays = {k: framework.array(v) for k, v in arrays.items()}
    args = [framework.array(a) for a in args]
    if reduction not in (None, "mean"):
        options = {**options, "reduction": reduction}

    def loss(x):
        return fn(x, *args, **arrays, **options)

    return loss, framework.array(logits)


def test_the_analytic_cases_cover_every_closed_form():
    assert {CASES[name][0] for name in ANALYTIC_CASES} == ANALYTIC


# every case of a closed form, reduced by the mean and kept per row: ``value_and_grad`` takes
# the gradient of the sum of what the loss returns, so "none" also gives "sum"'s gradient
REDUCED = [
    (name, reduction)
    for name in ANALYTIC_CASES
    for reduction in ("mean", "none")
    if reduction == "mean" or "reduction" in inspect.signature(CASES[name][0]).parameters
]


@pytest.mark.parametrize("name, reduction", REDUCED)
def test_analytic_gradient_equals_autograd(autograd_framework, name, reduction):
    loss, logits = _loss(autograd_framework, name, reduction)
    value, grad = autograd_framework.value_and_grad(loss, logits)
    with mlcloss.analytic_gradients(False):
        plain_value, plain_grad = autograd_framework.value_and_grad(loss, logits)
    # the same value formula; jitted, XLA may fuse the custom rule's forward and the plain one
    # differently (1 ulp seen on log-cosh's mean with jax 0.10.2)
    np.testing.assert_allclose(value, plain_value, rtol=1e-15, atol=0)
    np.testing.assert_allclose(grad, plain_grad, rtol=1e-12, atol=1e-15)


_HARD = SOFT > 0.6
_EDGE_PROBS = np.where(_HARD, 1.0, 0.0)
_EDGE_PROBS[:, 0] = [0.0, 1e-50, 1.0 - 1e-17, 0.5]  # log q and log(1 − q) at and near the clamp
_WHERE = np.random.default_rng(5).random(LOGITS.shape) < 0.8
_BRANCHES = {  # the options the shared cases leave out, each a branch of a closed form
    "sigmoid-focal-hard-alpha": (
        mlcloss.sigmoid_focal_loss,
        LOGITS * 8,
        [_HARD],
        {"where": _WHERE, "alpha": 0.25},
    ),
    "sigmoid-focal-soft-extreme": (mlcloss.sigmoid_focal_loss, LOGITS * 30, [SOFT], {}),
    "sigmoid-focal-gamma-0": (mlcloss.sigmoid_focal_loss, LOGITS, [SOFT], {"gamma": 0.0}),
    "asymmetric-soft-clip": (
        mlcloss.asymmetric_loss,
        LOGITS * 4,
        [SOFT],
        {"gamma_pos": 0.5, "gamma_neg": 0.5, "clip": 0.2, "where": _WHERE},
    ),
    "asymmetric-no-clip": (
        mlcloss.asymmetric_loss,
        LOGITS * 4,
        [SOFT],
        {"gamma_pos": 2.0, "gamma_neg": 3.0, "clip": 0.0},
    ),
    "asymmetric-clip-only": (
        mlcloss.asymmetric_loss,
        LOGITS,
        [_HARD],
        {"gamma_neg": 0.0, "clip": 0.1},
    ),
    "binary-ce-edges": (mlcloss.binary_cross_entropy, _EDGE_PROBS, [SOFT], {"where": _WHERE}),
    "softmax-focal-index": (
        mlcloss.softmax_focal_loss,
        LOGITS * 20,
        [np.array([0, 3, 5, 1])],
        {"gamma": 2.0, "alpha": np.linspace(0.2, 1.0, 6)},
    ),
    "softmax-focal-gamma-0": (
        mlcloss.softmax_focal_loss,
        LOGITS,
        [np.array([2, 2, 0, 4])],
        {"gamma": 0.0, "alpha": 0.5},
    ),
    "hinge-numeric": (
        mlcloss.hinge_loss,
        np.where(_HARD, 1.0, -0.5),  # margins met exactly: no gradient there
        [np.where(_HARD, 1.0, -1.0)],
        {"where": _WHERE},
    ),
    "unified-pairwise-extreme": (
        mlcloss.unified_pairwise_loss,
        LOGITS * 30,
        [_HARD],
        {"scale": 2.0},
    ),
}


@pytest.mark.parametrize("name", sorted(_BRANCHES))
def test_closed_form_branches_equal_autograd(autograd_framework, name):
    fn, logits, args, options = _BRANCHES[name]
    args = [autograd_framework.array(a) for a in args]
    options = {
        k: autograd_framework.array(v) if isinstance(v, np.ndarray) else v
        for k, v in options.items()
    }

    def loss(x):
        return fn(x, *args, **options, reduction="none")

    x = autograd_framework.array(logits)
    value, grad = autograd_framework.value_and_grad(loss, x)
    with mlcloss.analytic_gradients(False):
        plain_value, plain_grad = autograd_framework.value_and_grad(loss, x)
    assert np.all(np.isfinite(grad))
    # the same value formula; jitted, XLA may fuse the custom rule's forward and the plain one
    # differently (1 ulp seen on log-cosh's mean with jax 0.10.2)
    np.testing.assert_allclose(value, plain_value, rtol=1e-15, atol=0)
    np.testing.assert_allclose(grad, plain_grad, rtol=1e-12, atol=1e-15)
    # the closed form itself, also where this framework keeps its own autodiff (Rows.autodiff)
    np_value, np_grad = mlcloss.value_and_grad(partial(fn, reduction="none"))(
        logits, *_BRANCHES[name][2], **_BRANCHES[name][3]
    )
    np.testing.assert_allclose(np_value, plain_value, rtol=1e-13)
    np.testing.assert_allclose(np_grad, plain_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("name", ANALYTIC_CASES)
def test_numpy_value_and_grad_equals_autograd(name, reduction):
    torch = _framework("torch")
    if not torch.available():
        pytest.skip("torch not installed")
    numpy_loss, logits = _loss(_framework("numpy"), name, reduction)
    value, grad = mlcloss.value_and_grad(lambda x: numpy_loss(x))(logits)
    torch_loss, torch_logits = _loss(torch, name, reduction)
    with mlcloss.analytic_gradients(False):
        expected_value, expected = torch.value_and_grad(torch_loss, torch_logits)
    np.testing.assert_allclose(value, expected_value, rtol=1e-13)
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-15)


def test_numpy_value_and_grad_names_a_loss_without_closed_form():
    with pytest.raises(NotImplementedError, match="combinatorial_softmax_crossentropy"):
        mlcloss.value_and_grad(partial(mlcloss.combinatorial_softmax_crossentropy, k=6))(
            LOGITS, np.ones(LOGITS.shape, bool)
        )


def _hessian_vector_product(framework, loss, x, v):
    """d/dε of ∇ sum(loss)(x + ε v) at 0: reverse over reverse (torch, TF) or JAX's jvp of grad."""
    if framework.name == "torch":
        import torch

        x = x.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(x).sum(), x, create_graph=True)
        if not grad.requires_grad:  # piecewise linear (NLL, the hinges): the gradient is constant
            return np.zeros_like(v)
        (hvp,) = torch.autograd.grad(grad, x, torch.asarray(v))
        return hvp.numpy()
    if framework.name == "jax":
        import jax

        grad = jax.grad(lambda y: loss(y).sum())
        hvp = jax.jit(lambda y: jax.jvp(grad, (y,), (jax.numpy.asarray(v),))[1])  # one compile
        return np.asarray(hvp(x))
    import tensorflow as tf

    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            total = tf.reduce_sum(loss(x))
        grad = tf.convert_to_tensor(inner.gradient(total, x))
        along = tf.reduce_sum(grad * tf.constant(v))
    hvp = outer.gradient(along, x)
    return np.zeros_like(v) if hvp is None else hvp.numpy()  # None: the gradient is constant


@pytest.mark.parametrize("name", ANALYTIC_CASES)
def test_second_order_equals_autograd(autograd_framework, name):
    """Hessian-vector products through the closed-form backward are exact."""
    loss, logits = _loss(autograd_framework, name)
    direction = np.random.default_rng(3).normal(size=CASES[name][1].shape)
    hvp = _hessian_vector_product(autograd_framework, loss, logits, direction)
    with mlcloss.analytic_gradients(False):
        expected = _hessian_vector_product(autograd_framework, loss, logits, direction)
    assert np.all(np.isfinite(hvp))
    np.testing.assert_allclose(hvp, expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    "fn",
    [
        mlcloss.softmax_cross_entropy,
        mlcloss.sigmoid_cross_entropy,
        mlcloss.multilabel_categorical_crossentropy,
    ],
)
def test_soft_label_gradients_equal_autograd(fn):
    """torch and JAX differentiate the labels too (through the value formula)."""
    labels = SOFT / SOFT.sum(axis=1, keepdims=True) if fn is mlcloss.softmax_cross_entropy else SOFT
    results = {}
    for name in ("torch", "jax"):
        framework = _framework(name)
        if not framework.available():
            continue
        framework.setup()
        for on in (True, False):
            with mlcloss.analytic_gradients(on):
                results[name, on] = _label_gradient(framework, fn, LOGITS, labels)
    if not results:
        pytest.skip("needs torch or JAX")
    for (name, _on), grad in results.items():
        np.testing.assert_allclose(grad, results[name, False], rtol=1e-12, atol=1e-15)


def _label_gradient(framework, fn, logits, labels):
    if framework.name == "torch":
        import torch

        x = torch.asarray(logits).requires_grad_(True)
        t = torch.asarray(labels).requires_grad_(True)
        fn(x, t).backward()
        return t.grad.numpy()
    import jax

    return np.asarray(
        jax.grad(lambda t: fn(jax.numpy.asarray(logits), t))(jax.numpy.asarray(labels))
    )


def test_torch_func_transforms_through_the_closed_form():
    """torch.func.hessian (forward over reverse) and vmap of grad work and equal autograd."""
    framework = _framework("torch")
    if not framework.available():
        pytest.skip("torch not installed")
    import torch

    x = torch.asarray(LOGITS)
    labels = torch.asarray(SOFT > 0.5)

    def loss(z):
        return mlcloss.multilabel_categorical_crossentropy(z, labels)

    hessian = torch.func.hessian(loss)(x)
    per_row = torch.func.vmap(
        torch.func.grad(lambda z, t: mlcloss.multilabel_categorical_crossentropy(z, t))
    )(x, labels)
    with mlcloss.analytic_gradients(False):
        expected_hessian = torch.func.hessian(loss)(x)
        expected_rows = torch.func.vmap(
            torch.func.grad(lambda z, t: mlcloss.multilabel_categorical_crossentropy(z, t))
        )(x, labels)
    np.testing.assert_allclose(hessian.numpy(), expected_hessian.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(per_row.numpy(), expected_rows.numpy(), rtol=1e-12, atol=1e-15)


def test_tensorflow_stops_label_gradients():
    """TF's custom_gradient differentiates the logits only: labels get None, not a wrong number."""
    framework = _framework("tensorflow")
    if not framework.available():
        pytest.skip("tensorflow not installed")
    import tensorflow as tf

    x, t = tf.constant(LOGITS), tf.constant(SOFT)
    with tf.GradientTape() as tape:
        tape.watch([x, t])
        loss = mlcloss.sigmoid_cross_entropy(x, t)
    grad_x, grad_t = tape.gradient(loss, [x, t])
    assert grad_t is None
    assert np.all(np.isfinite(grad_x.numpy()))


def _framework(name):
    framework = FRAMEWORKS[name]
    if framework.available():
        framework.setup()
    return framework


def test_numpy_value_and_grad_refuses_logits_built_from_the_prediction():
    """The sampled losses' logits [5, 2 + 6] have as many entries as their inputs [5, 8]:
    value_and_grad must not mistake them for a reshape of the prediction."""
    rng = np.random.default_rng(0)
    weights, biases = rng.normal(size=(20, 8)), rng.normal(size=20)
    labels, inputs = np.array([[3, 0], [7, 12], [19, 3], [5, 5], [0, 1]]), rng.normal(size=(5, 8))
    sampled = (np.array([3, 12, 8, 15, 0, 6]), np.full((5, 2), 0.3), np.full(6, 0.3))

    def loss(x):
        return mlcloss.sampled_softmax_loss(
            weights, biases, labels, x, num_sampled=6, num_classes=20, num_true=2,
            sampled_values=sampled, reduction="none",
        )  # fmt: skip

    with pytest.raises(NotImplementedError, match="no closed-form gradient"):
        mlcloss.value_and_grad(loss)(inputs)
