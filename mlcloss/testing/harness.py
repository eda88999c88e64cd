"""``check_loss``: the cross-backend conformance checks, for a loss of your own.

Write the loss once against the array API (``xp = mlcloss.array_namespace(x)``)
and its definition once in NumPy float64; :func:`check_loss` runs the first on
every installed framework and compares it with the second, the way mlcloss's
own conformance suite checks its losses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .assertions import assert_close
from .frameworks import Framework, available_frameworks

#: relative tolerance of float32 results against the float64 definition
FLOAT32_RTOL = 2e-5


def finite_differences(f: Callable, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f`` at ``x`` (float64), one entry at a time."""
    x = np.asarray(x, np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def check_loss(
    fn: Callable,
    oracle: Callable,
    cases: Iterable,
    *,
    frameworks: Iterable[Framework] | None = None,
    rtol: float = 1e-9,
    gradient_rtol: float = 1e-6,
    traced: bool = True,
) -> list[str]:
    """Check ``fn`` against ``oracle`` on every framework; return what was checked.

    Parameters
    ----------
    fn : callable
        ``fn(prediction, *arrays, **options)``: the loss under test, written
        against the array API; it returns an array of the prediction's namespace.
    oracle : callable
        ``oracle(prediction, *arrays, **options)``: the definition, on NumPy
        float64 inputs, returning NumPy values of the same shape.
    cases : iterable of ``(prediction, arrays, options)``
        NumPy inputs: the prediction, a tuple of the other arrays (labels,
        weights, converted to each framework), and a dict of Python options.
    frameworks : iterable of :class:`~mlcloss.testing.Framework`, optional
        Default: every installed framework that ``MLCLOSS_BACKENDS`` selects.
    rtol : float
        Tolerance of float64 values against the oracle (float32:
        :data:`FLOAT32_RTOL`).
    gradient_rtol : float
        Tolerance of the gradient of the summed loss, on frameworks with
        autograd, against central finite differences of the oracle, relative
        to the largest entry.
    traced : bool
        Also run ``fn`` under each framework's tracing compiler (``jax.jit``,
        ``tf.function(jit_compile=True)``, ``torch.compile``) and require the
        eager values.

    For every framework and case it checks the result's namespace, device,
    shape and dtype (float64 in, float64 out; float32 in, float32 out), the
    values, the gradient and the traced values. Every failure is collected;
    one ``AssertionError`` lists them all.
    """
    frameworks = list(available_frameworks() if frameworks is None else frameworks)
    checked, failures = [], []
    for number, (prediction, arrays, options) in enumerate(cases):
        prediction = np.asarray(prediction, np.float64)
        want = np.asarray(oracle(prediction, *arrays, **options), np.float64)
        expected_grad = finite_differences(
            lambda z, a=arrays, o=options: float(np.sum(oracle(z, *a, **o))), prediction
        )
        for framework in frameworks:
            framework.setup()
            for step, check in _checks(framework, fn, prediction, arrays, options, traced):
                label = f"case {number}, {framework.name}, {step}"
                try:
                    check(want, expected_grad, rtol, gradient_rtol)
                    checked.append(label)
                except Exception as error:  # collect every failure, then report them together
                    failures.append(f"{label}: {type(error).__name__}: {error}")
    if failures:
        raise AssertionError(f"{len(failures)} check(s) failed:\n" + "\n".join(failures))
    return checked


def _checks(framework, fn, prediction, arrays, options, traced):
    """``(name, check(want, expected_grad, rtol, gradient_rtol))`` pairs for one framework."""

    def call(dtype):
        x = framework.array(prediction, dtype)
        return x, fn(x, *[framework.array(a) for a in arrays], **options)

    def values(dtype):
        def check(want, expected_grad, rtol, gradient_rtol):
            x, out = call(dtype)
            rtol = rtol if dtype == "float64" else max(rtol, FLOAT32_RTOL)
            assert_close(out, want, framework=framework, dtype=dtype, like=x, rtol=rtol)

        return check

    def gradient(want, expected_grad, rtol, gradient_rtol):
        labels = [framework.array(a) for a in arrays]
        x = framework.array(prediction)
        _, grad = framework.value_and_grad(lambda z: fn(z, *labels, **options), x)
        scale = max(float(np.max(np.abs(expected_grad))), 1e-300)
        error = float(np.max(np.abs(grad - expected_grad), initial=0.0)) / scale
        assert error <= gradient_rtol, f"gradient off by {error:.1e} (relative to its largest)"

    def compiled(want, expected_grad, rtol, gradient_rtol):
        labels = [framework.array(a) for a in arrays]
        x = framework.array(prediction)
        out = framework.trace(lambda z, *t: fn(z, *t, **options))(x, *labels)
        assert_close(out, want, framework=framework, dtype="float64", rtol=rtol)

    checks = [("float64 values", values("float64")), ("float32 values", values("float32"))]
    if framework.has_autograd:
        checks.append(("gradient", gradient))
    if traced and framework.compiler is not None:
        checks.append((f"traced by {framework.compiler}", compiled))
    return checks
