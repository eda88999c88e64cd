"""The closed-form gradients the adapters install equal autograd through the plain formula.

``mlcloss.analytic_gradients(False)`` differentiates the value formula with
the framework's own autograd; every case of ``CASES`` must give the same
gradient both ways (first order on every autograd framework, second order
and label gradients where the framework offers them), and NumPy's
``mlcloss.value_and_grad`` must give it without any autograd.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from cases import CASES, LOGITS, SOFT  # tests/ is on sys.path

import mlcloss
from mlcloss.testing import FRAMEWORKS

ANALYTIC = {  # the losses with a closed form (the rest go through autograd either way)
    mlcloss.global_pointer_crossentropy,
    mlcloss.kl_divergence,
    mlcloss.multilabel_categorical_crossentropy,
    mlcloss.nll_loss,
    mlcloss.sigmoid_cross_entropy,
    mlcloss.softmax_cross_entropy,
    mlcloss.sparse_multilabel_categorical_crossentropy,
}
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


REDUCED = [  # every case in every reduction its function has
    (name, reduction)
    for name in sorted(CASES)
    for reduction in ("mean", "sum", "none")
    if reduction == "mean" or "reduction" in inspect.signature(CASES[name][0]).parameters
]


@pytest.mark.parametrize("name, reduction", REDUCED)
def test_analytic_gradient_equals_autograd(xp_autograd, name, reduction):
    loss, logits = _loss(xp_autograd, name, reduction)
    value, grad = xp_autograd.value_and_grad(loss, logits)
    with mlcloss.analytic_gradients(False):
        plain_value, plain_grad = xp_autograd.value_and_grad(loss, logits)
    np.testing.assert_array_equal(value, plain_value)
    np.testing.assert_allclose(grad, plain_grad, rtol=1e-12, atol=1e-15)


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
    with pytest.raises(NotImplementedError, match="circle_loss"):
        mlcloss.value_and_grad(mlcloss.circle_loss)(LOGITS, SOFT > 0.5)


def _hessian_vector_product(framework, loss, x, v):
    """d/dε of ∇ sum(loss)(x + ε v) at 0: reverse over reverse (torch, TF) or JAX's jvp of grad."""
    if framework.name == "torch":
        import torch

        x = x.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(x).sum(), x, create_graph=True)
        (hvp,) = torch.autograd.grad(grad, x, torch.asarray(v))
        return hvp.numpy()
    if framework.name == "jax":
        import jax

        grad = jax.grad(lambda y: loss(y).sum())
        return np.asarray(jax.jvp(grad, (x,), (jax.numpy.asarray(v),))[1])
    import tensorflow as tf

    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            total = tf.reduce_sum(loss(x))
        grad = tf.convert_to_tensor(inner.gradient(total, x))
        along = tf.reduce_sum(grad * tf.constant(v))
    return outer.gradient(along, x).numpy()


@pytest.mark.parametrize("name", [n for n in ANALYTIC_CASES if n != "nll"])  # NLL is linear
def test_second_order_equals_autograd(xp_autograd, name):
    """Hessian-vector products through the closed-form backward are exact."""
    loss, logits = _loss(xp_autograd, name)
    direction = np.random.default_rng(3).normal(size=CASES[name][1].shape)
    hvp = _hessian_vector_product(xp_autograd, loss, logits, direction)
    with mlcloss.analytic_gradients(False):
        expected = _hessian_vector_product(xp_autograd, loss, logits, direction)
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
