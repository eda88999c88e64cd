"""The catalogue's numerical rules, on every backend, eager and traced.

- equal logits of 1e8 (float32) or 4096 (float16) give log C, not 0;
- softplus stays finite and exact at 88.8, 100 and 1e4;
- rows with every class masked give loss 0 and gradient 0;
- soft-label cross-entropy with a ``-inf`` logit where the label is 0 stays
  finite (no 0 · ∞), for every loss that takes logits;
- focal and ASL gradients stay finite for gamma < 1 at extreme logits;
- 16-bit inputs are computed, and returned, in float32;
- every declared case with 1e8 added to its prediction gives, in float32, the
  float64 loss and gradient of the same rounded inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import BOUNDED, CASES  # tests/ is on sys.path

import mlcloss

INF = np.inf
EXTREME = np.array([[88.8, 100.0, 1e4, -88.8, -100.0, -1e4]])
HARD = np.array([[0.0, 1.0, 0.0, 1.0, 0.0, 1.0]])
MASKED_ROW = np.array([[True, True, False], [False, False, False]])
SOFT = np.array([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]])
WITH_NEG_INF = np.array([[-INF, 1.0, 2.0], [0.5, -1.0, -INF]])


def _softplus(x):
    return np.logaddexp(0.0, x)


# name: (loss(x, a), logits, dtype, expected value or None, entries whose gradient must be 0)
RULES = {
    "softmax_ce equal logits 1e8": (
        lambda x, a: mlcloss.softmax_cross_entropy(x, a(np.array([2, 0])), reduction="none"),
        np.full((2, 4), 1e8),
        "float32",
        np.full(2, math.log(4)),
        None,
    ),
    "softmax_ce probabilities equal logits 1e8": (
        lambda x, a: mlcloss.softmax_cross_entropy(x, a(np.eye(4)[[2, 0]]), reduction="none"),
        np.full((2, 4), 1e8),
        "float32",
        np.full(2, math.log(4)),
        None,
    ),
    "softmax_ce equal logits 4096 float16": (
        lambda x, a: mlcloss.softmax_cross_entropy(x, a(np.array([1, 3])), reduction="none"),
        np.full((2, 4), 4096.0),
        "float16",
        np.full(2, math.log(4)),
        None,
    ),
    "sigmoid_ce softplus at 88.8 / 100 / 1e4": (
        lambda x, a: mlcloss.sigmoid_cross_entropy(x, a(HARD), reduction="none"),
        EXTREME,
        "float32",
        np.where(HARD > 0, _softplus(-EXTREME), _softplus(EXTREME)),
        None,
    ),
    "sigmoid_ce softplus at 1e4 float16": (
        lambda x, a: mlcloss.sigmoid_cross_entropy(x, a(1 - HARD), reduction="none"),
        EXTREME,
        "float16",
        np.where(HARD > 0, _softplus(EXTREME), _softplus(-EXTREME)),
        None,
    ),
    "softmax_ce row with every class masked (index labels)": (
        lambda x, a: mlcloss.softmax_cross_entropy(
            x, a(np.array([1, 0])), where=a(MASKED_ROW), reduction="none"
        ),
        np.array([[0.3, -1.2, 2.0], [1.0, 2.0, 3.0]]),
        "float32",
        np.array([np.logaddexp(0.3, -1.2) + 1.2, 0.0]),
        np.array([[False, False, True], [True, True, True]]),
    ),
    "softmax_ce row with every class masked (mean)": (
        lambda x, a: mlcloss.softmax_cross_entropy(x, a(SOFT), where=a(MASKED_ROW)),
        np.array([[0.3, -1.2, 2.0], [1.0, 2.0, 3.0]]),
        "float32",
        np.array(0.3 * (np.logaddexp(0.3, -1.2) + 1.2)),
        np.array([[False, False, True], [True, True, True]]),
    ),
    "sigmoid_ce every element masked": (
        lambda x, a: mlcloss.sigmoid_cross_entropy(x, a(SOFT), where=a(np.zeros((2, 3), bool))),
        np.array([[0.3, -1.2, INF], [1.0, np.nan, 3.0]]),
        "float32",
        np.array(0.0),
        np.ones((2, 3), bool),
    ),
    "softmax_ce soft labels with -inf logits": (
        lambda x, a: mlcloss.softmax_cross_entropy(x, a(SOFT), reduction="none"),
        WITH_NEG_INF,
        "float32",
        np.array(
            [
                -(0.3 * (1 - np.logaddexp(1, 2)) + 0.7 * (2 - np.logaddexp(1, 2))),
                -(0.5 * (0.5 - np.logaddexp(0.5, -1)) + 0.5 * (-1 - np.logaddexp(0.5, -1))),
            ]
        ),
        np.isinf(WITH_NEG_INF),
    ),
    "kl_divergence with -inf logits": (
        lambda x, a: mlcloss.kl_divergence(x, a(SOFT), reduction="none"),
        WITH_NEG_INF,
        "float32",
        None,
        np.isinf(WITH_NEG_INF),
    ),
    "softmax_focal with -inf logits": (
        lambda x, a: mlcloss.softmax_focal_loss(x, a(SOFT), gamma=0.5, reduction="none"),
        WITH_NEG_INF,
        "float32",
        None,
        np.isinf(WITH_NEG_INF),
    ),
    "sigmoid_ce with ±inf logits": (
        lambda x, a: mlcloss.sigmoid_cross_entropy(
            x, a(np.array([[0.0, 1.0, 0.0]])), pos_weight=1.5, reduction="none"
        ),
        np.array([[-INF, INF, -INF]]),
        "float32",
        np.zeros((1, 3)),
        np.ones((1, 3), bool),
    ),
    "sigmoid_focal with ±inf logits": (
        lambda x, a: mlcloss.sigmoid_focal_loss(
            x, a(np.array([[0.0, 1.0, 0.0]])), gamma=0.5, reduction="none"
        ),
        np.array([[-INF, INF, -INF]]),
        "float32",
        np.zeros((1, 3)),
        np.ones((1, 3), bool),
    ),
    "asymmetric with ±inf logits": (
        lambda x, a: mlcloss.asymmetric_loss(
            x, a(np.array([[0.0, 1.0, 0.0]])), gamma_pos=0.5, reduction="none"
        ),
        np.array([[-INF, INF, -INF]]),
        "float32",
        np.zeros((1, 3)),
        np.ones((1, 3), bool),
    ),
    "sigmoid_focal gamma 0.5 at extreme logits": (
        lambda x, a: mlcloss.sigmoid_focal_loss(x, a(HARD), gamma=0.5, reduction="none"),
        EXTREME,
        "float32",
        None,
        None,
    ),
    "sigmoid_focal gamma 0.5 at extreme logits, soft labels": (
        lambda x, a: mlcloss.sigmoid_focal_loss(
            x, a(np.array([[0.2, 0.9, 0.5, 0.0, 1.0, 0.7]])), gamma=0.5, reduction="none"
        ),
        EXTREME,
        "float32",
        None,
        None,
    ),
    "softmax_focal gamma 0.5 at extreme logits": (
        lambda x, a: mlcloss.softmax_focal_loss(
            x, a(np.array([0, 1, 2])), gamma=0.5, reduction="none"
        ),
        np.array([[100.0, 0.0, -100.0], [1e4, -1e4, 0.0], [-88.8, 88.8, 0.0]]),
        "float32",
        None,
        None,
    ),
    "asymmetric gamma 0.5 at extreme logits": (
        lambda x, a: mlcloss.asymmetric_loss(
            x, a(HARD), gamma_pos=0.5, gamma_neg=0.5, reduction="none"
        ),
        EXTREME,
        "float32",
        None,
        None,
    ),
    "asymmetric gamma 0.5, no clip, at extreme logits": (
        lambda x, a: mlcloss.asymmetric_loss(
            x, a(HARD), gamma_pos=0.5, gamma_neg=0.5, clip=0.0, reduction="none"
        ),
        EXTREME,
        "float32",
        None,
        None,
    ),
}


def _check_value(framework, value, name):
    _, logits, dtype, want, _ = RULES[name]
    assert value.dtype == framework.dtype("float32"), f"{name}: dtype {value.dtype}"
    got = framework.to_numpy(value)
    assert np.all(np.isfinite(got)), f"{name}: {got}"
    if want is not None:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-30, err_msg=name)


def _inputs(framework, name):
    fn, logits, dtype, _, _ = RULES[name]
    if dtype not in framework.float_dtypes:  # array-api-strict has no float16: check that,
        with pytest.raises(AttributeError):  # then hold the rule to float32 inputs
            framework.dtype(dtype)
        dtype = "float32"
    return fn, framework.array(logits, dtype=dtype)


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_eager(framework, name):
    fn, x = _inputs(framework, name)
    _check_value(framework, fn(x, framework.array), name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_traced(traced_framework, name):
    fn, x = _inputs(traced_framework, name)
    _check_value(
        traced_framework, traced_framework.trace(lambda z: fn(z, traced_framework.array))(x), name
    )


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_gradient(autograd_framework, name):
    fn, x = _inputs(autograd_framework, name)
    _, grad = autograd_framework.value_and_grad(lambda z: fn(z, autograd_framework.array), x)
    assert np.all(np.isfinite(grad)), f"{name}: gradient {grad}"
    zero = RULES[name][4]
    if zero is not None:
        assert np.all(grad[zero] == 0), f"{name}: gradient {grad}"


# A 1e8 offset on every prediction of every declared case (float32, whose spacing there is 8):
# the loss must equal the float64 computation on the same rounded values, so nothing computes
# a difference of two large numbers (``s - logsumexp(s)``, ``e^x`` before a log). Exempt: the
# bounded predictions (probabilities, similarities, log-rates), and hidden states, whose
# logits come out of a float32 matmul of 1e8-sized values.
OFFSET = 1e8
OFFSET_CASES = sorted(
    name
    for name, case in CASES.items()
    if name not in BOUNDED and case[0] is not mlcloss.linear_cross_entropy
)


@pytest.mark.parametrize("name", OFFSET_CASES)
def test_offset_of_1e8_gives_the_float64_loss_and_gradient(autograd_framework, name):
    fn, prediction, args, arrays, options, *_ = CASES[name]
    f = autograd_framework

    def posed(dtype):
        def pose(values):
            values = np.asarray(values)
            return f.array(values, dtype=dtype if values.dtype.kind == "f" else None)

        def loss(x, *labels):
            return fn(x, *labels, **{k: pose(v) for k, v in arrays.items()}, **options)

        rounded = f.to_numpy(f.array(prediction + OFFSET, dtype="float32")).astype(np.float64)
        return loss, pose(rounded), [pose(a) for a in args]

    value, grad = f.value_and_grad(*_flatten(posed("float32")))
    want, want_grad = f.value_and_grad(*_flatten(posed("float64")))
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad)), (value, grad)
    # float32 rounding of the loss's terms, which are as large as the spread of a row's logits
    spread = np.ptp(prediction) + 1.0
    atol = 16 * np.finfo(np.float32).eps * spread
    np.testing.assert_allclose(value, want, rtol=2e-5, atol=atol)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-3, atol=1e-3 * np.abs(want_grad).max())


def _flatten(posed):
    loss, x, labels = posed
    return loss, x, *labels
