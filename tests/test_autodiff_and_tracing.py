"""Gradients (each autograd against finite differences and against each other) and tracing.

Every case of ``CASES`` runs through torch autograd, ``jax.vjp`` and
``tf.GradientTape``; the gradients must equal central finite differences of
the float64 NumPy computation, and each other to 1e-10. Every
case also runs, forward and backward, under ``jax.jit``, ``tf.function(jit_compile=True)`` and
``torch.compile(fullgraph=True)`` and must equal the eager result; under
``jax.vmap`` it equals a loop, and forward mode (``jax.jacfwd``) equals
reverse mode.
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import CASES  # tests/ is on sys.path

from mlcloss.testing import available_frameworks


def _call(framework, name):
    fn, logits, args, arrays, options, *_ = CASES[name]
    arrays = {k: framework.array(v) for k, v in arrays.items()}
    args = [framework.array(a) for a in args]

    def loss(x, *args):
        return fn(x, *args, **arrays, **options)

    return loss, framework.array(logits), args


def _finite_differences(name, eps=1e-6):
    fn, logits, args, arrays, options, *expected = CASES[name]

    def total(x):
        return np.sum(expected[0](x) if expected else fn(x, *args, **arrays, **options))

    grad = np.zeros_like(logits)
    for i in np.ndindex(*logits.shape):
        step = np.zeros_like(logits)
        step[i] = eps
        up, down = total(logits + step), total(logits - step)
        grad[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_finite_differences_and_each_other(name):
    """Each installed autograd (torch, ``jax.vjp``, ``tf.GradientTape``) gives the central
    finite differences of the float64 NumPy computation (to 1e-6), and all give the same
    float64 gradient (to 1e-10): one gradient a framework serves both checks."""
    frameworks = [f for f in available_frameworks() if f.has_autograd]
    if not frameworks:
        pytest.skip("no autograd framework installed (the conformance session has three)")
    want = _finite_differences(name)
    grads = {}
    for framework in frameworks:
        framework.setup()
        loss, logits, args = _call(framework, name)
        grad = framework.value_and_grad(loss, logits, *args)[1]
        assert np.all(np.isfinite(grad)), framework.name
        np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8, err_msg=framework.name)
        grads[framework.name] = grad
    reference = grads[frameworks[0].name]
    for other, grad in grads.items():
        np.testing.assert_allclose(grad, reference, rtol=1e-10, atol=1e-14, err_msg=other)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_traced_gradient_equals_eager(traced_framework, name):
    """The forward value and the backward pass compiled (one compile a case: the forward-only
    graph is the same code, and compiles cost seconds each): ``jax.jit`` of ``jax.vjp``, ``GradientTape`` inside
    ``tf.function(jit_compile=True)``, ``torch.compile(fullgraph=True)`` then ``backward``."""
    loss, logits, args = _call(traced_framework, name)
    value, grad = traced_framework.eager_value_and_grad(loss, logits, *args)
    traced_value, traced_grad = traced_framework.traced_value_and_grad(loss, logits, *args)
    np.testing.assert_allclose(traced_value, value, rtol=1e-12)
    assert np.all(np.isfinite(traced_grad))
    np.testing.assert_allclose(traced_grad, grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("scale", [1.0, 1e3])
@pytest.mark.parametrize("name", sorted(CASES))
def test_jax_forward_mode_equals_reverse_mode(name, scale):
    """``jax.jacfwd`` (JVPs) gives the ``jax.grad`` gradient, finite, also at logits of 1e3.

    Masked entries, ignored rows and rows without positives are in the cases:
    a forward-mode ``0 · ∞`` would show up here as NaN where reverse mode is finite.
    """
    jax = pytest.importorskip("jax")
    from mlcloss.testing import FRAMEWORKS

    framework = FRAMEWORKS["jax"]
    framework.setup()
    loss, logits, args = _call(framework, name)
    # probabilities, cosines and rates keep their range; e^1000 of a log-rate overflows
    if name not in {"binary-ce", "circle", "poisson-log", "poisson-rate"}:
        logits = logits * scale

    def total(x):
        return jax.numpy.sum(loss(x, *args))

    # one jit for both: eager JAX compiles every primitive apart (25 s for a combinatorial case)
    reverse, forward = jax.jit(lambda x: (jax.grad(total)(x), jax.jacfwd(total)(x)))(logits)
    assert np.all(np.isfinite(reverse)), reverse
    assert np.all(np.isfinite(forward)), forward
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CASES))
def test_jax_vmap_equals_a_loop(name):
    """``jax.vmap`` over a leading batch of predictions equals calling the loss on each.

    Under ``jax.jit``, and the per-example gradients ``vmap(grad)`` equal a loop of grads.
    """
    jax = pytest.importorskip("jax")
    from mlcloss.testing import FRAMEWORKS

    framework = FRAMEWORKS["jax"]
    framework.setup()
    loss, logits, args = _call(framework, name)
    batch = jax.numpy.stack([logits, 0.5 * logits, 0.9 * logits])  # stays in every domain

    def value_and_grad(x):
        value = loss(x, *args)
        return value, jax.grad(lambda y: jax.numpy.sum(loss(y, *args)))(x)

    # all jitted, the value and the gradient together: eager JAX compiles every primitive
    # apart (45 s for a combinatorial case), and each compile costs more than the run
    single = jax.jit(value_and_grad)
    loop = [np.stack(parts) for parts in zip(*(single(x) for x in batch))]
    batched = jax.jit(jax.vmap(value_and_grad))(batch)
    for got, want in zip(batched, loop):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


# GlobalPointer reshapes its spans by the (static) batch size; linear CE's weight [V, D]
# has no batch axis to leave unknown; CTC's time-major log-probabilities lead with the
# frames, whose number its recursion and its length checks read
UNBATCHED = {"global_pointer_crossentropy", "linear_cross_entropy", "ctc_loss"}


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][0].__name__ not in UNBATCHED))
def test_tensorflow_graph_with_unknown_batch_dimension(name):
    """Keras traces losses with a None batch dimension: shapes known only at run time."""
    tf = pytest.importorskip("tensorflow")
    from mlcloss.testing import FRAMEWORKS

    FRAMEWORKS["tensorflow"].setup()
    fn, logits, args, arrays, options, *_ = CASES[name]
    spec = [tf.TensorSpec([None, *a.shape[1:]], tf.as_dtype(a.dtype)) for a in (logits, *args)]
    tf_arrays = {k: tf.constant(v) for k, v in arrays.items()}
    traced = tf.function(lambda *a: fn(*a, **tf_arrays, **options), input_signature=spec)
    got = traced(*[tf.constant(a) for a in (logits, *args)])
    np.testing.assert_allclose(got.numpy(), fn(logits, *args, **arrays, **options), rtol=1e-12)
