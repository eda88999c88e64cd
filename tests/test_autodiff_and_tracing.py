"""Gradients (each autograd against finite differences and against each other) and tracing.

Every case of ``CASES`` runs through torch autograd, ``jax.vjp`` and
``tf.GradientTape``; the gradients must equal central finite differences of
the float64 NumPy computation, which makes them equal to each other. Every
case also runs under ``jax.jit``, ``tf.function(jit_compile=True)`` and
``torch.compile(fullgraph=True)`` and must equal the eager result.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import available_frameworks

RNG = np.random.default_rng(7)
LOGITS = RNG.normal(size=(4, 6)) * 2
HARD = (RNG.random((4, 6)) < 0.4).astype(np.int64)
HARD[0] = 0
SOFT = RNG.random((4, 6))
INDEX = np.array([[1, 4, -1], [0, 0, 5], [-1, -1, -1], [2, 3, 1]])
WHERE = RNG.random((4, 6)) < 0.8
GP_LOGITS = RNG.normal(size=(2, 2, 4, 4))
GP_PAIRS = np.array(
    [[[[0, 1], [2, 2]], [[-1, -1], [-1, -1]]], [[[1, 3], [-1, -1]], [[0, 0], [3, 3]]]]
)
GP_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
CLASS = np.array([1, -100, 5, 0])
CLASS_W = RNG.random(6) + 0.5
PROBS = RNG.dirichlet(np.ones(6), 4)
UNIT = RNG.uniform(0.05, 0.95, (4, 6))
THREE = np.zeros((4, 6), np.int64)
THREE[[0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], [0, 2, 5, 1, 2, 3, 0, 1, 4, 3, 4, 5]] = 1
WHERE_CLASS = WHERE | (np.arange(6) == np.array([1, 0, 5, 0])[:, None])  # labels stay kept
OUTPUT = {  # an output layer of 30 classes over 6 features, with 5 sampled classes (2 and 9 hit)
    "weights": RNG.normal(size=(30, 6)),
    "biases": RNG.normal(size=30),
    "sampled": np.array([2, 9, 17, 4, 25]),
    "true_count": RNG.uniform(0.05, 0.9, (4, 2)),
    "sampled_count": RNG.uniform(0.05, 0.9, 5),
}
TRUE_CLASSES = np.array([[2, 11], [9, 9], [0, 29], [4, 2]])


def _sampled(loss):
    """``loss`` with the hidden states first, as the cases call it."""

    def call(inputs, labels, *, weights, biases, sampled, true_count, sampled_count, **options):
        values = (sampled, true_count, sampled_count)
        return loss(weights, biases, labels, inputs, sampled_values=values, **options)

    return call


CASES = {
    "dense": (mlcloss.multilabel_categorical_crossentropy, LOGITS, [HARD], {}, {}),
    "dense-where-threshold": (
        mlcloss.multilabel_categorical_crossentropy,
        LOGITS,
        [HARD],
        {"where": WHERE},
        {"threshold": 0.3},
    ),
    "soft": (mlcloss.multilabel_categorical_crossentropy, LOGITS, [SOFT], {}, {}),
    "sparse": (
        mlcloss.sparse_multilabel_categorical_crossentropy,
        LOGITS,
        [INDEX],
        {},
        {"ignore_index": -1},
    ),
    "global-pointer": (
        mlcloss.global_pointer_crossentropy,
        GP_LOGITS,
        [GP_PAIRS],
        {"mask": GP_MASK},
        {"sparse": True},
    ),
    "probabilities": (mlcloss.multilabel_probabilities, LOGITS, [], {}, {"threshold": 0.1}),
    "softmax-ce-index": (
        mlcloss.softmax_cross_entropy,
        LOGITS,
        [CLASS],
        {"class_weights": CLASS_W, "where": WHERE_CLASS},
        {"ignore_index": -100, "label_smoothing": 0.1},
    ),
    "softmax-ce-probabilities": (
        mlcloss.softmax_cross_entropy,
        LOGITS,
        [PROBS],
        {"where": WHERE},
        {"label_smoothing": 0.2},
    ),
    "nll": (mlcloss.nll_loss, LOGITS, [CLASS], {"class_weights": CLASS_W}, {"ignore_index": -100}),
    "softmax-focal": (
        mlcloss.softmax_focal_loss,
        LOGITS,
        [PROBS],
        {},
        {"gamma": 0.5, "alpha": 0.3},
    ),
    "kl": (mlcloss.kl_divergence, LOGITS, [PROBS], {}, {}),
    "sigmoid-ce": (
        mlcloss.sigmoid_cross_entropy,
        LOGITS,
        [SOFT],
        {"pos_weight": CLASS_W, "where": WHERE},
        {"label_smoothing": 0.1},
    ),
    "binary-ce": (mlcloss.binary_cross_entropy, UNIT, [SOFT], {}, {}),
    "sigmoid-focal": (mlcloss.sigmoid_focal_loss, LOGITS, [SOFT], {}, {"gamma": 0.5}),
    "asymmetric": (mlcloss.asymmetric_loss, LOGITS, [HARD], {}, {"gamma_pos": 1.0}),
    "squared-error": (mlcloss.squared_error, LOGITS, [SOFT], {"where": WHERE}, {}),
    "hinge": (mlcloss.hinge_loss, LOGITS, [HARD > 0], {}, {"margin": 0.5}),
    "combinatorial-fixed": (
        mlcloss.combinatorial_softmax_crossentropy,
        LOGITS,
        [THREE],
        {},
        {"k": 3},
    ),
    "combinatorial-variable": (
        mlcloss.combinatorial_softmax_crossentropy,
        LOGITS,
        [HARD],
        {"threshold": RNG.normal(size=4)},
        {"k": 5, "variable": True},
    ),
    "unified-pairwise": (
        mlcloss.unified_pairwise_loss,
        LOGITS,
        [HARD],
        {"where": WHERE},
        {"scale": 1.5, "margin": 0.2},
    ),
    "pairwise-hinge": (mlcloss.pairwise_hinge_loss, LOGITS[:, :1], [LOGITS[:, 1:]], {}, {}),
    "sampled-softmax": (
        _sampled(mlcloss.sampled_softmax_loss),
        LOGITS,
        [TRUE_CLASSES],
        OUTPUT,
        {"num_sampled": 5, "num_classes": 30, "num_true": 2, "reduction": "none"},
    ),
    "nce": (
        _sampled(mlcloss.nce_loss),
        LOGITS,
        [TRUE_CLASSES],
        OUTPUT,
        {"num_sampled": 5, "num_classes": 30, "num_true": 2, "remove_accidental_hits": True},
    ),
}


def _call(framework, name):
    fn, logits, args, arrays, options = CASES[name]
    arrays = {k: framework.array(v) for k, v in arrays.items()}
    args = [framework.array(a) for a in args]

    def loss(x, *args):
        return fn(x, *args, **arrays, **options)

    return loss, framework.array(logits), args


def _finite_differences(name, eps=1e-6):
    fn, logits, args, arrays, options = CASES[name]
    grad = np.zeros_like(logits)
    for i in np.ndindex(*logits.shape):
        step = np.zeros_like(logits)
        step[i] = eps
        up = np.sum(fn(logits + step, *args, **arrays, **options))
        down = np.sum(fn(logits - step, *args, **arrays, **options))
        grad[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(xp_autograd, name):
    loss, logits, args = _call(xp_autograd, name)
    value, grad = xp_autograd.value_and_grad(loss, logits, *args)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, _finite_differences(name), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_agree_across_frameworks(name):
    """torch, JAX and TF autograd give the same float64 gradient (to 1e-10)."""
    frameworks = [f for f in available_frameworks() if f.has_autograd]
    if len(frameworks) < 2:
        pytest.skip("needs two autograd frameworks installed (the conformance session has three)")
    grads = {}
    for framework in frameworks:
        framework.setup()
        loss, logits, args = _call(framework, name)
        grads[framework.name] = framework.value_and_grad(loss, logits, *args)[1]
    reference = grads[frameworks[0].name]
    for other, grad in grads.items():
        np.testing.assert_allclose(grad, reference, rtol=1e-10, atol=1e-14, err_msg=other)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_traced_equals_eager(xp_traced, name):
    loss, logits, args = _call(xp_traced, name)
    eager = xp_traced.to_numpy(loss(logits, *args))
    traced = xp_traced.to_numpy(xp_traced.trace(loss)(logits, *args))
    np.testing.assert_allclose(traced, eager, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(set(CASES) - {"global-pointer"}))
def test_tensorflow_graph_with_unknown_batch_dimension(name):
    """Keras traces losses with a None batch dimension: shapes known only at run time."""
    tf = pytest.importorskip("tensorflow")
    from mlcloss.testing import FRAMEWORKS

    FRAMEWORKS["tensorflow"].setup()
    fn, logits, args, arrays, options = CASES[name]
    spec = [tf.TensorSpec([None, *a.shape[1:]], tf.as_dtype(a.dtype)) for a in (logits, *args)]
    tf_arrays = {k: tf.constant(v) for k, v in arrays.items()}
    traced = tf.function(lambda *a: fn(*a, **tf_arrays, **options), input_signature=spec)
    got = traced(*[tf.constant(a) for a in (logits, *args)])
    np.testing.assert_allclose(got.numpy(), fn(logits, *args, **arrays, **options), rtol=1e-12)
