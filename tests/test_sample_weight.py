"""``sample_weight`` on every loss: it scales the unreduced loss, and the mean keeps its count.

The rule, from Keras's ``sample_weight`` and torch's ``weight``: the weights'
axes are the unreduced loss's leading axes (``[N]`` weighs examples, the
loss's own shape weighs entries, an axis of size 1 repeats a weight), and
``"mean"`` divides the weighted sum by the count the loss divides by without
weights (its entries, the entries ``where`` keeps, torch's Σ class weights of
the targets not ignored...), never by Σ w. Each loss's first declared case is
checked against its float64 oracle times the weights, on every backend; the
gradients against autograd of the weighted unreduced loss; the peers' own
weighted losses where they have them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import CASES, EXPECTED, FIRST, SPEC

import mlcloss
from mlcloss.testing import assert_close

#: one case a loss: the subject is the reducer every loss shares, not the loss's options
WEIGHTED = [name for name in FIRST if name in SPEC]
RNG = np.random.default_rng(23)


def _weights(shape, reduction):
    """Positive weights for an unreduced loss of ``shape``: per example for ``"none"``, per
    entry for ``"mean"`` (one of each form a loss), with one exact zero."""
    shape = tuple(shape)
    form = shape[:1] if reduction == "none" else shape
    w = RNG.uniform(0.25, 2.0, form)
    if w.size > 1:
        w.flat[1] = 0.0
    return w


def _aligned(w, ndim):
    """``w`` with axes of size 1 appended: the leading-axes rule written out."""
    return np.reshape(w, w.shape + (1,) * (ndim - w.ndim))


def _call(framework, name, reduction, sample_weight, prediction=None):
    fn, x, args, arrays, options, *_ = CASES[name]
    options = dict(options)
    reduction = options.pop("reduction", reduction)
    return fn(
        framework.array(x) if prediction is None else prediction,
        *[framework.array(a) for a in args],
        **{k: framework.array(v) for k, v in arrays.items()},
        **options,
        sample_weight=sample_weight,
        reduction=reduction,
    )


def _expected(name, w, reduction):
    per_row, count = EXPECTED[name]
    weighted = per_row * _aligned(w, per_row.ndim)
    if reduction == "none":
        return weighted
    count = per_row.size if count is None else count
    return math.fsum(np.ravel(weighted)) / count if count else 0.0


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("name", WEIGHTED)
def test_sample_weight_scales_the_loss_and_keeps_the_mean_count(framework, name, reduction):
    fixed = CASES[name][4].get("reduction", reduction)
    w = _weights(EXPECTED[name][0].shape, fixed)
    got = _call(framework, name, fixed, framework.array(w))
    want = _expected(name, w, fixed)
    assert_close(got, want, framework=framework, dtype="float64", rtol=1e-10, atol=1e-13)


def test_every_loss_takes_sample_weight_and_has_a_weighted_case():
    from mlcloss.capabilities import LOSSES

    assert {SPEC[name].name for name in WEIGHTED} == {spec.name for spec in LOSSES}
    for spec in LOSSES:
        assert "sample_weight :" in spec.function.__doc__, spec.name


@pytest.mark.parametrize("name", WEIGHTED)
@pytest.mark.parametrize("framework_name", ["torch", "tensorflow"])
def test_weighted_gradient_is_the_weighted_rows_gradient(framework_name, name):
    """The gradient of the weighted mean (the closed-form operation's backward rule, or
    autodiff) equals autograd of Σ w · (the unweighted rows) / count, the weights constants.

    The rule is one code path for every framework; eager torch and TensorFlow run it as
    their backward pass. JAX differentiates the forward-mode rule, checked on one loss of
    each path below (op-by-op eager JAX on every loss would cost a minute of compiling).
    """
    from mlcloss.testing import FRAMEWORKS

    pytest.importorskip(framework_name)
    framework = FRAMEWORKS[framework_name]
    framework.setup()
    x = CASES[name][1]
    per_row, count = EXPECTED[name]
    reduction = CASES[name][4].get("reduction", "mean")
    w = _weights(per_row.shape, reduction)
    count = (per_row.size if count is None else count) if reduction == "mean" else 1
    aligned = framework.array(_aligned(w, per_row.ndim))

    def weighted(z):
        return _call(framework, name, reduction, framework.array(w), prediction=z)

    def by_rows(z):
        rows = _call(framework, name, "none", None, prediction=z)
        return rows * aligned / count

    _, grad = framework.eager_value_and_grad(weighted, framework.array(x))
    _, want = framework.eager_value_and_grad(by_rows, framework.array(x))
    np.testing.assert_allclose(grad, want, rtol=1e-9, atol=1e-12)


#: one case of each path the weights take: the closed-form operation of a class-set loss
#: and of an elementwise one, the sparse twins', linear CE's chunked operation, the plain
#: reducer under autodiff (Dice, CTC's scan) and a loss that hands them to another
#: (GlobalPointer to ZLPR)
PATHS = [
    "softmax-ce-index",
    "sigmoid-ce",
    "sparse-sigmoid-ce",
    "linear-ce",
    "dice",
    "ctc",
    "global-pointer",
]


def _option_gradient(framework, name, w, reduction):
    """The value and the gradient in ``sample_weight`` of the weighted loss, on ``framework``."""

    def loss(weights):
        return _call(framework, name, reduction, weights)

    if framework.name == "torch":
        import torch

        weights = torch.asarray(w).requires_grad_()
        value = loss(weights)
        (grad,) = torch.autograd.grad(value, weights)
        return framework.to_numpy(value.detach()), framework.to_numpy(grad)
    import jax

    value, grad = jax.jit(jax.value_and_grad(loss))(framework.array(w))
    return np.asarray(value), np.asarray(grad)


@pytest.mark.parametrize("name", PATHS)
@pytest.mark.parametrize("framework_name", ["torch", "jax"])
def test_sample_weight_is_differentiable_and_traced(framework_name, name):
    """Under ``jax.jit`` (weights traced) and torch autograd, the gradient in the weights is
    each row's contribution to the mean, (unweighted row) / count; a learned weighting
    (meta-learning, uncertainty weights) needs it. (TensorFlow's closed-form operations stop
    the gradients of their inputs other than the prediction, the weights among them.)"""
    from mlcloss.testing import FRAMEWORKS

    pytest.importorskip(framework_name)
    framework = FRAMEWORKS[framework_name]
    framework.setup()
    per_row, count = EXPECTED[name]
    w = _weights(per_row.shape, "mean")
    value, grad = _option_gradient(framework, name, w, "mean")
    count = per_row.size if count is None else count
    np.testing.assert_allclose(value, _expected(name, w, "mean"), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grad, per_row / count, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", PATHS)
def test_sample_weight_in_forward_mode(name):
    """``jax.jvp`` through the closed-form rules (their ``jvp``) with weights: the tangent
    of the weighted mean equals the weighted tangent of the rows."""
    jax = pytest.importorskip("jax")
    from mlcloss.testing import FRAMEWORKS

    framework = FRAMEWORKS["jax"]
    framework.setup()
    per_row, count = EXPECTED[name]
    count = per_row.size if count is None else count
    x = framework.array(CASES[name][1])
    tangent = framework.array(RNG.normal(size=CASES[name][1].shape))
    w = _weights(per_row.shape, "mean")
    weighted = jax.jvp(
        lambda z: _call(framework, name, "mean", framework.array(w), prediction=z),
        (x,),
        (tangent,),
    )[1]
    rows = jax.jvp(lambda z: _call(framework, name, "none", None, prediction=z), (x,), (tangent,))
    want = np.sum(np.asarray(rows[1]) * _aligned(w, per_row.ndim)) / count
    np.testing.assert_allclose(np.asarray(weighted), want, rtol=1e-10, atol=1e-13)


def test_sample_weight_as_a_tf_variable_under_tf_function():
    pytest.importorskip("tensorflow")
    import tensorflow as tf

    from mlcloss.testing import FRAMEWORKS

    framework = FRAMEWORKS["tensorflow"]
    framework.setup()
    per_row, _ = EXPECTED["sigmoid-ce"]
    w = _weights(per_row.shape, "none")
    weights = tf.Variable(w)

    @tf.function(jit_compile=True)
    def loss(z):
        return _call(framework, "sigmoid-ce", "mean", weights, prediction=z)

    x = framework.array(CASES["sigmoid-ce"][1])
    np.testing.assert_allclose(loss(x).numpy(), _expected("sigmoid-ce", w, "mean"), rtol=1e-12)
    weights.assign(np.ones_like(w))  # a variable's new value, in the same compiled function
    unweighted = _expected("sigmoid-ce", np.ones_like(w), "mean")
    np.testing.assert_allclose(loss(x).numpy(), unweighted, rtol=1e-12)


def test_numpy_value_and_grad_takes_the_weights():
    x, labels = RNG.normal(size=(4, 6)), np.array([1, 0, 5, 2])
    w = _weights((4,), "none")
    value, grad = mlcloss.value_and_grad(mlcloss.softmax_cross_entropy)(x, labels, sample_weight=w)
    log_p = x - np.log(np.exp(x).sum(-1, keepdims=True))
    rows = -log_p[np.arange(4), labels]
    want = (np.exp(log_p) - np.eye(6)[labels]) * w[:, None] / 4
    np.testing.assert_allclose(value, np.sum(rows * w) / 4, rtol=1e-12)
    np.testing.assert_allclose(grad, want, rtol=1e-12, atol=1e-15)


def test_torch_modules_take_sample_weight_per_call_only():
    torch = pytest.importorskip("torch")
    import mlcloss.torch

    x, y = torch.asarray(CASES["sigmoid-ce"][1]), torch.asarray(CASES["sigmoid-ce"][2][0])
    w = torch.asarray(_weights(x.shape, "none"))
    module = mlcloss.torch.SigmoidCrossEntropy(label_smoothing=0.1)
    want = mlcloss.sigmoid_cross_entropy(x, y, label_smoothing=0.1, sample_weight=w)
    assert torch.equal(module(x, y, sample_weight=w), want)
    with pytest.raises(TypeError, match="sample_weight"):
        mlcloss.torch.SigmoidCrossEntropy(sample_weight=w)
    assert "sample_weight" not in str(mlcloss.torch.SigmoidCrossEntropy.__signature__)


@pytest.mark.parametrize(
    "sample_weight, error, message",
    [
        (np.ones(3), ValueError, r"sample_weight must fit .* \(4, 5\).* received shape \(3,\)"),
        (np.ones((4, 5, 1)), ValueError, r"received shape \(4, 5, 1\)"),
        (np.ones((1, 3)), ValueError, r"per example \(4,\)"),
        (np.ones(4, dtype=complex), TypeError, "sample_weight must be a real or bool array"),
    ],
)
def test_a_sample_weight_that_does_not_fit_is_refused(sample_weight, error, message):
    x, labels = RNG.normal(size=(4, 5)), RNG.integers(0, 2, (4, 5))
    with pytest.raises(error, match=message):
        mlcloss.sigmoid_cross_entropy(x, labels, sample_weight=sample_weight)


def test_the_leading_axes_rule_per_example_per_class_and_scalar():
    """``[N]`` weighs examples (not classes, as NumPy's trailing rule would when N = C),
    ``[1, C]`` classes, a number every entry."""
    x, labels = RNG.normal(size=(5, 5)), RNG.integers(0, 2, (5, 5))
    rows = mlcloss.sigmoid_cross_entropy(x, labels, reduction="none")
    w = RNG.uniform(0.5, 2.0, 5)
    per_example = mlcloss.sigmoid_cross_entropy(x, labels, sample_weight=w, reduction="none")
    per_class = mlcloss.sigmoid_cross_entropy(x, labels, sample_weight=w[None], reduction="none")
    np.testing.assert_allclose(per_example, rows * w[:, None], rtol=1e-14)
    np.testing.assert_allclose(per_class, rows * w[None, :], rtol=1e-14)
    scaled = mlcloss.sigmoid_cross_entropy(x, labels, sample_weight=2.0)
    np.testing.assert_allclose(scaled, 2 * rows.mean(), rtol=1e-14)
    listed = mlcloss.sigmoid_cross_entropy(x, labels, sample_weight=list(w))
    np.testing.assert_allclose(listed, np.mean(rows * w[:, None]), rtol=1e-14)
