"""Scalars: 0-d predictions for the elementwise losses, and hyper-parameters given as 0-d arrays.

Every float hyper-parameter of every loss is in ``HYPER`` (structured losses included:
smoothing, Tversky weights, margins, temperatures, scales); integers that choose a code
path (``blank``, ``k``, ``p``) stay Python numbers, as in the peers, and so do
``linear_cross_entropy``'s ``z_loss`` and ``logit_softcap``: constants of its chunked kernel.

Found by running optax's and torch's own loss tests against mlcloss: torch's
``F.mse_loss`` and optax take 0-d inputs, and optax takes hyper-parameters
traced by ``jax.jit``.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import mlcloss

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ("mean", "sum", "none")


# -- 1. 0-d predictions and labels ------------------------------------------------------


def _reduce(v, reduction):
    return v if reduction == "none" else v.sum() if reduction == "sum" else v.mean()


def _focal(x, y, reduction):  # torchvision.ops.sigmoid_focal_loss, alpha=0.25, gamma=2
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** 2.0 * (0.25 * y + 0.75 * (1 - y))
    return _reduce(loss, reduction)


def _asl(x, y, reduction):  # Ridnik et al.'s AsymmetricLoss, gamma_pos=0, gamma_neg=4, clip=0.05
    xs_pos = torch.sigmoid(x)
    xs_neg = (1 - xs_pos + 0.05).clamp(max=1)
    loss = y * torch.log(xs_pos.clamp(min=1e-8)) + (1 - y) * torch.log(xs_neg.clamp(min=1e-8))
    pt = xs_pos * y + xs_neg * (1 - y)
    loss = loss * torch.pow(1 - pt, 0.0 * y + 4.0 * (1 - y))
    return _reduce(-loss, reduction)


#: name, prediction, label, torch reference(x, y, reduction)
ZERO_D = [
    (
        "sigmoid_cross_entropy",
        0.3,
        1.0,
        lambda x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
    ),
    (
        "sigmoid_cross_entropy",
        -1.2,
        0.25,
        lambda x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
    ),
    ("binary_cross_entropy", 0.3, 1.0, lambda x, y, r: F.binary_cross_entropy(x, y, reduction=r)),
    ("sigmoid_focal_loss", 0.3, 1.0, _focal),
    ("sigmoid_focal_loss", 0.8, 0.0, _focal),
    ("asymmetric_loss", 0.7, 0.0, _asl),
    ("asymmetric_loss", -0.4, 1.0, _asl),
    ("squared_error", 0.3, 1.0, lambda x, y, r: F.mse_loss(x, y, reduction=r)),
    ("hinge_loss", 0.3, -1.0, lambda x, y, r: _reduce(torch.clamp(1 - y * x, min=0), r)),
    ("hinge_loss", 1.5, 1.0, lambda x, y, r: _reduce(torch.clamp(1 - y * x, min=0), r)),
    (
        "pairwise_hinge_loss",
        0.3,
        1.0,
        lambda x, y, r: F.margin_ranking_loss(x, y, torch.ones_like(x), margin=1.0, reduction=r),
    ),
]
ZERO_D_IDS = [f"{name}-{x}-{y}" for name, x, y, _ in ZERO_D]
ELEMENTWISE = [c for c in ZERO_D if c[0] != "pairwise_hinge_loss"]
ELEMENTWISE_IDS = [i for i, c in zip(ZERO_D_IDS, ZERO_D) if c[0] != "pairwise_hinge_loss"]


def _torch_reference(reference, x, y, reduction):
    """(value, d value / dx) of the torch reference on 0-d float64 tensors."""
    x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    value = reference(x, torch.tensor(y, dtype=torch.float64), reduction)
    value.backward()
    return value.item(), x.grad.item()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "x", "y", "reference"), ZERO_D, ids=ZERO_D_IDS)
def test_zero_d_value(framework, name, x, y, reference, reduction):
    out = getattr(mlcloss, name)(
        framework.array(np.array(x)), framework.array(np.array(y)), reduction=reduction
    )
    assert tuple(out.shape) == ()
    want, _ = _torch_reference(reference, x, y, reduction)
    np.testing.assert_allclose(framework.to_numpy(out), want, rtol=1e-12)


@pytest.mark.parametrize("analytic", [True, False], ids=["closed-form", "autograd"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "x", "y", "reference"), ZERO_D, ids=ZERO_D_IDS)
def test_zero_d_gradient(autograd_framework, name, x, y, reference, reduction, analytic):
    framework = autograd_framework
    labels = framework.array(np.array(y))
    fn = getattr(mlcloss, name)
    with mlcloss.analytic_gradients(analytic):
        value, grad = framework.value_and_grad(
            lambda p: fn(p, labels, reduction=reduction), framework.array(np.array(x))
        )
    want, want_grad = _torch_reference(reference, x, y, reduction)
    assert grad.shape == ()
    np.testing.assert_allclose(value, want, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "x", "y", "reference"), ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_zero_d_numpy_value_and_grad(name, x, y, reference, reduction):
    value, grad = mlcloss.value_and_grad(getattr(mlcloss, name))(
        np.array(x), np.array(y), reduction=reduction
    )
    want, want_grad = _torch_reference(reference, x, y, reduction)
    assert np.shape(grad) == ()
    np.testing.assert_allclose(value, want, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "x", "y", "reference"), ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_zero_d_where(framework, name, x, y, reference, reduction):
    fn = getattr(mlcloss, name)
    prediction, labels = framework.array(np.array(x)), framework.array(np.array(y))
    kept = fn(prediction, labels, where=framework.array(np.array(True)), reduction=reduction)
    np.testing.assert_allclose(
        framework.to_numpy(kept), _torch_reference(reference, x, y, reduction)[0], rtol=1e-12
    )
    dropped = framework.array(np.array(False))
    out = fn(prediction, labels, where=dropped, reduction=reduction)
    assert tuple(out.shape) == ()
    assert framework.to_numpy(out) == 0.0
    if framework.has_autograd:
        for analytic in (True, False):
            with mlcloss.analytic_gradients(analytic):
                value, grad = framework.value_and_grad(
                    lambda p: fn(p, labels, where=dropped, reduction=reduction), prediction
                )
            assert value == 0.0 and grad == 0.0


@pytest.mark.parametrize("name", ["squared_error", "asymmetric_loss", "hinge_loss"])
def test_zero_d_traced(traced_framework, name):
    reference = next(c[3] for c in ZERO_D if c[0] == name)
    fn = getattr(mlcloss, name)
    framework = traced_framework
    labels = framework.array(np.array(-1.0 if name == "hinge_loss" else 0.0))
    value, grad = framework.traced_value_and_grad(
        lambda p, t: fn(p, t), framework.array(np.array(0.3)), labels
    )
    want, want_grad = _torch_reference(
        reference, 0.3, -1.0 if name == "hinge_loss" else 0.0, "mean"
    )
    np.testing.assert_allclose(value, want, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10)


def test_zero_d_numpy_scalars():
    """NumPy scalars (what 0-d NumPy operations return) are 0-d predictions too."""
    out = mlcloss.squared_error(np.float64(0.3), np.float64(1.0), reduction="none")
    np.testing.assert_allclose(out, 0.49)


# -- 2. hyper-parameters as 0-d arrays and tracers --------------------------------------

_RNG = np.random.default_rng(7)
LOGITS = _RNG.normal(size=(3, 4)) * 2
SOFT = _RNG.uniform(size=(3, 4))
HARD = (_RNG.uniform(size=(3, 4)) < 0.4).astype(np.float64)
HARD[0, 0], HARD[1, 1], HARD[0, 1], HARD[1, 2] = 1, 1, 0, 0  # each row has both kinds
SIGNS = np.where(HARD > 0, 1.0, -1.0)
INDEX = np.array([0, 3, 1])
TWO_HOT = np.zeros((3, 4))
TWO_HOT[[0, 0, 1, 2], [0, 2, 1, 3]] = 1  # variable k: 2, 1, 1 positives (K = 2)
POSITIVE, NEGATIVE = LOGITS[:, :1], LOGITS[:, 1:]
COSINES = np.tanh(LOGITS)  # cosines to 4 class centres, for the margin softmax
GROUPS = np.array([0, 1, 0])  # the class of each of the 3 embeddings (rows of LOGITS)
ROW_SIGNS = np.array([1.0, -1.0, 1.0])  # similar / dissimilar pairs of rows
SPARSE = np.array([[0, 2], [1, -1], [3, -1]])  # TWO_HOT's positives, padded by -1


def _labels(kind):
    """The label array(s) after the prediction: a tuple where the loss takes several."""
    return {
        "soft": SOFT,
        "hard": HARD,
        "signs": SIGNS,
        "index": INDEX,
        "two-hot": TWO_HOT,
        "negative": NEGATIVE,
        "groups": GROUPS,
        "triplet": (SOFT, HARD),  # positives and negatives of the anchors LOGITS
        "row-pairs": (SOFT, ROW_SIGNS),  # second embeddings and the pairs' signs
        "ranked-pairs": (SOFT, SIGNS),  # second scores and which of the two ranks higher
        "variance": (SOFT, SOFT + 0.1),  # targets and variances
        "sparse": SPARSE,
        "one-hot": np.eye(4)[INDEX],
    }[kind]


def _label_arrays(kind, asarray):
    labels = _labels(kind)
    return tuple(map(asarray, labels)) if isinstance(labels, tuple) else (asarray(labels),)


#: (loss, labels, fixed options, the options given as arrays, differentiable in them)
HYPER = [
    ("sigmoid_cross_entropy", "soft", {}, {"label_smoothing": 0.1}, True),
    ("sigmoid_cross_entropy", "soft", {}, {"label_smoothing": 0.0}, False),
    ("sigmoid_cross_entropy", "soft", {}, {"pos_weight": 1.5}, True),
    ("sigmoid_cross_entropy", "hard", {}, {"pos_weight": 0.7, "label_smoothing": 0.2}, True),
    ("sigmoid_focal_loss", "soft", {}, {"alpha": 0.25}, True),
    ("sigmoid_focal_loss", "hard", {}, {"alpha": -1.0}, False),
    ("sigmoid_focal_loss", "soft", {}, {"gamma": 2.0}, True),
    ("sigmoid_focal_loss", "soft", {}, {"gamma": 0.0}, True),
    ("sigmoid_focal_loss", "hard", {}, {"gamma": 0.5, "alpha": 0.6}, True),
    ("asymmetric_loss", "hard", {}, {"gamma_pos": 1.0}, True),
    ("asymmetric_loss", "soft", {}, {"gamma_pos": 0.0}, True),
    ("asymmetric_loss", "hard", {}, {"gamma_neg": 4.0}, True),
    ("asymmetric_loss", "soft", {}, {"gamma_neg": 0.0}, True),
    ("asymmetric_loss", "soft", {}, {"clip": 0.05}, True),
    ("asymmetric_loss", "soft", {}, {"clip": 0.0}, False),
    ("asymmetric_loss", "hard", {"clip": 0.0}, {"gamma_neg": 2.0}, True),
    ("asymmetric_loss", "soft", {}, {"gamma_pos": 0.5, "gamma_neg": 0.0, "clip": 0.1}, True),
    ("asymmetric_loss", "soft", {}, {"gamma_pos": 0.0, "gamma_neg": 3.0, "clip": 0.0}, False),
    ("hinge_loss", "signs", {}, {"margin": 1.0}, True),
    ("hinge_loss", "signs", {}, {"margin": 0.25}, True),
    ("pairwise_hinge_loss", "negative", {}, {"margin": 0.5}, True),
    ("softmax_cross_entropy", "index", {}, {"label_smoothing": 0.1}, True),
    ("softmax_cross_entropy", "index", {}, {"label_smoothing": 0.0}, False),
    ("softmax_cross_entropy", "soft", {}, {"label_smoothing": 0.2}, True),
    ("softmax_focal_loss", "index", {}, {"gamma": 2.0}, True),
    ("softmax_focal_loss", "index", {}, {"gamma": 0.0}, True),
    ("softmax_focal_loss", "soft", {}, {"gamma": 1.5, "alpha": 0.3}, True),
    ("softmax_focal_loss", "index", {"ignore_index": 3}, {"label_smoothing": 0.1}, True),
    ("unified_pairwise_loss", "hard", {}, {"scale": 2.0}, True),
    ("unified_pairwise_loss", "hard", {}, {"scale": 1.5, "margin": 0.3}, True),
    # circle loss holds its weights α = [1 + m − s]_+, [s + m]_+ constant (the paper's
    # gradient), so its gradient in the margin leaves their share out: not a finite difference
    ("circle_loss", "hard", {}, {"scale": 8.0, "margin": 0.25}, False),
    ("circle_loss", "hard", {"margin": 0.25}, {"scale": 8.0}, True),
    (
        "combinatorial_softmax_crossentropy",
        "two-hot",
        {"k": 2, "variable": True},
        {"threshold": 0.5},
        True,
    ),
    ("multilabel_categorical_crossentropy", "hard", {}, {"threshold": 0.3}, True),
    ("multilabel_categorical_crossentropy", "hard", {}, {"label_smoothing": 0.1}, True),
    ("sigmoid_cross_entropy", "hard", {"keep_mass": True}, {"label_smoothing": 0.2}, True),
    ("dice_loss", "hard", {"activation": "sigmoid"}, {"smooth_nr": 1e-5, "smooth_dr": 1e-5}, True),
    ("dice_loss", "soft", {"activation": "sigmoid"}, {"smooth_nr": 0.0, "smooth_dr": 0.5}, True),
    ("jaccard_loss", "hard", {"activation": "sigmoid"}, {"smooth_nr": 0.1, "smooth_dr": 0.2}, True),
    ("tversky_loss", "hard", {"activation": "sigmoid"}, {"alpha": 0.3, "beta": 0.7}, True),
    (
        "tversky_loss",
        "soft",
        {"activation": "sigmoid"},
        {"alpha": 0.5, "beta": 0.5, "gamma": 0.75},
        True,
    ),
    (
        "generalized_dice_loss",
        "hard",
        {"activation": "softmax"},
        {"smooth_nr": 1e-5, "smooth_dr": 1e-3},
        True,
    ),
    ("triplet_margin_loss", "triplet", {}, {"margin": 1.0}, True),
    ("triplet_margin_loss", "triplet", {"eps_at": "sum"}, {"margin": 0.5, "eps": 1e-6}, True),
    ("contrastive_loss", "groups", {}, {"pos_margin": 0.5, "neg_margin": 6.0}, True),
    ("ntxent_loss", "groups", {}, {"temperature": 0.07}, True),
    ("supervised_contrastive_loss", "groups", {}, {"temperature": 0.1}, True),
    ("info_nce_loss", "soft", {}, {"temperature": 0.07}, True),
    ("info_nce_loss", "soft", {"symmetric": True}, {"temperature": 0.5}, True),
    ("margin_softmax_cross_entropy", "index", {}, {"scale": 8.0, "margin": 0.5}, True),
    ("margin_softmax_cross_entropy", "index", {"kind": "cos"}, {"scale": 8.0, "margin": 0.2}, True),
    ("approx_ndcg_loss", "soft", {}, {"temperature": 0.5}, True),
    ("softmax_cross_entropy", "index", {}, {"z_loss": 1e-3}, True),
    ("poly1_cross_entropy", "one-hot", {}, {"epsilon": 2.0}, True),
    ("generalized_cross_entropy", "index", {}, {"q": 0.5}, True),
    ("js_divergence", "soft", {}, {"beta": 0.3}, True),
    (
        "sparse_multilabel_categorical_crossentropy",
        "sparse",
        {"ignore_index": -1},
        {"threshold": 0.3},
        True,
    ),
    ("multi_margin_loss", "index", {}, {"margin": 1.0}, True),
    ("multiclass_hinge_loss", "index", {}, {"margin": 0.5}, True),
    ("squared_hinge_loss", "signs", {}, {"margin": 1.0}, True),
    ("hinge_embedding_loss", "signs", {}, {"margin": 1.5}, True),
    ("margin_ranking_loss", "ranked-pairs", {}, {"margin": 0.3}, True),
    ("cosine_embedding_loss", "row-pairs", {}, {"margin": 0.2}, True),
    (
        "sparse_sigmoid_cross_entropy",
        "sparse",
        {"ignore_index": -1},
        {"label_smoothing": 0.1, "pos_weight": 1.5},
        True,
    ),
    (
        "sparse_sigmoid_focal_loss",
        "sparse",
        {"ignore_index": -1},
        {"alpha": 0.3, "gamma": 2.0},
        True,
    ),
    (
        "sparse_asymmetric_loss",
        "sparse",
        {"ignore_index": -1},
        {"gamma_pos": 1.0, "gamma_neg": 3.0, "clip": 0.05},
        True,
    ),
    ("cosine_distance", "soft", {}, {"eps": 1.5}, True),  # floors the norms of SOFT's rows
    ("huber_loss", "soft", {}, {"delta": 1.0}, True),
    ("smooth_l1_loss", "soft", {}, {"beta": 0.5}, True),
    # torch floors the variance at eps under no_grad: no gradient reaches eps
    ("gaussian_nll_loss", "variance", {}, {"eps": 0.3}, False),
    ("poisson_nll_loss", "soft", {"log_input": False}, {"eps": 0.5}, True),
    ("tversky_loss", "soft", {"activation": "sigmoid"}, {"smooth_nr": 0.1, "smooth_dr": 0.2}, True),
]
HYPER_IDS = [f"{c[0]}-{'-'.join(f'{k}={v}' for k, v in c[3].items())}-{c[1]}" for c in HYPER]


#: float options that stay Python numbers (see the module docstring), and those traced in a
#: test of their own because the loss's call is not ``(prediction, labels)``
NUMBERS_ONLY = {("triplet_margin_loss", "p"), ("linear_cross_entropy", "z_loss")}
TRACED_ELSEWHERE = {  # tests/test_extreme.py::test_sampled_softmax_label_smoothing_traced_by_jax_jit
    ("sampled_softmax_loss", "label_smoothing")
}


def test_every_float_option_of_every_loss_is_traced_here():
    """A loss added to the registry with a float option must bring a ``HYPER`` case for it."""
    from mlcloss.capabilities import LOSSES

    covered = {(case[0], option) for case in HYPER for option in case[3]}
    floats = {
        (spec.name, option)
        for spec in LOSSES
        for option, parameter in inspect.signature(getattr(mlcloss, spec.name)).parameters.items()
        if isinstance(parameter.default, float)
    }
    assert floats - covered - NUMBERS_ONLY - TRACED_ELSEWHERE == set()
    assert NUMBERS_ONLY | TRACED_ELSEWHERE <= floats


def _prediction(name):
    return {
        "pairwise_hinge_loss": POSITIVE,
        "margin_softmax_cross_entropy": COSINES,
        "poisson_nll_loss": np.exp(LOGITS),  # rates, for log_input=False
    }.get(name, LOGITS)


def _call(name, labels_kind, fixed, asarray, wrap):
    """``f(x, *values) -> loss`` with the options ``wrap``ped; the labels made by ``asarray``."""
    fn = getattr(mlcloss, name)
    labels = _label_arrays(labels_kind, asarray)

    def f(x, *values, reduction="mean"):
        options = dict(zip(wrap, values))
        return fn(x, *labels, reduction=reduction, **fixed, **options)

    return f


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _jnp_labels(jax, values):
    import jax.numpy as jnp

    return jnp.asarray(values) if values.dtype.kind == "f" else jnp.asarray(values, dtype=jnp.int32)


@pytest.mark.parametrize(("name", "labels", "fixed", "given", "smooth"), HYPER, ids=HYPER_IDS)
def test_jit_traced_hyper_parameters(jax, name, labels, fixed, given, smooth):
    """Every option traced by ``jax.jit``: value and logits gradient of the Python-float call."""
    import jax.numpy as jnp

    f = _call(name, labels, fixed, lambda v: _jnp_labels(jax, v), tuple(given))
    x = jnp.asarray(_prediction(name))
    values = tuple(given.values())

    def mean_none_grad(x, *v):  # one program, compiled once
        return f(x, *v), f(x, *v, reduction="none"), jax.grad(f)(x, *v)

    got = jax.jit(mean_none_grad)(x, *values)
    for reduction, value in zip(("mean", "none"), got):
        want = f(x, *values, reduction=reduction)
        np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-15)
    want_grad = jax.grad(lambda x: f(x, *values))(x)
    np.testing.assert_allclose(got[2], want_grad, rtol=1e-10, atol=1e-14)
    with mlcloss.analytic_gradients(False):
        plain = jax.jit(jax.grad(f))(x, *values)
    np.testing.assert_allclose(plain, want_grad, rtol=1e-10, atol=1e-14)


def _finite_difference(f, x, values, i, eps=1e-6):
    if values[i] == 0:  # the edge of the range (γ, ε ≥ 0): a one-sided second-order difference
        steps = [list(values) for _ in range(3)]
        for k, step in enumerate(steps):
            step[i] += k * eps
        f0, f1, f2 = (float(f(x, *step)) for step in steps)
        return (-3 * f0 + 4 * f1 - f2) / (2 * eps)
    up, down = list(values), list(values)
    up[i] += eps
    down[i] -= eps
    return (float(f(x, *up)) - float(f(x, *down))) / (2 * eps)


@pytest.mark.parametrize(
    ("name", "labels", "fixed", "given", "smooth"),
    [c for c in HYPER if c[4]],
    ids=[i for i, c in zip(HYPER_IDS, HYPER) if c[4]],
)
def test_jax_gradient_in_hyper_parameters(jax, name, labels, fixed, given, smooth):
    """The options are inputs of the closed-form operation: differentiable, jitted or not."""
    import jax.numpy as jnp

    f = _call(name, labels, fixed, lambda v: _jnp_labels(jax, v), tuple(given))
    x = jnp.asarray(_prediction(name))
    values = tuple(jnp.asarray(v) for v in given.values())
    grads = jax.jit(jax.grad(f, argnums=tuple(range(1, len(values) + 1))))(x, *values)
    for i, grad in enumerate(grads):
        want = _finite_difference(f, x, [float(v) for v in values], i)
        np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8)


def _torch_labels(values):
    return torch.asarray(values) if values.dtype.kind == "f" else torch.asarray(values).long()


TORCH_CASES = [c for c in HYPER if c[4] and c[0] != "combinatorial_softmax_crossentropy"]


@pytest.mark.parametrize("analytic", [True, False], ids=["closed-form", "autograd"])
@pytest.mark.parametrize(
    ("name", "labels", "fixed", "given", "smooth"),
    TORCH_CASES,
    ids=[i for i, c in zip(HYPER_IDS, HYPER) if c in TORCH_CASES],
)
def test_torch_zero_d_hyper_parameters(name, labels, fixed, given, smooth, analytic):
    """0-d torch tensors: the float call's value and logits gradient, and gradients in them."""
    f = _call(name, labels, fixed, _torch_labels, tuple(given))
    floats = tuple(given.values())
    with mlcloss.analytic_gradients(analytic):
        x = torch.asarray(_prediction(name)).requires_grad_()
        want = f(x, *floats)
        (want_grad,) = torch.autograd.grad(want, x)
        x = torch.asarray(_prediction(name)).requires_grad_()
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in floats]
        got = f(x, *tensors)
        got_grad, *option_grads = torch.autograd.grad(got, [x, *tensors])
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(got_grad, want_grad, rtol=1e-10, atol=1e-14)
    plain_x = torch.asarray(_prediction(name))
    for i, grad in enumerate(option_grads):
        want_option = _finite_difference(f, plain_x, list(floats), i)
        np.testing.assert_allclose(grad.item(), want_option, rtol=1e-6, atol=1e-8)


def test_torch_float32_inputs_take_float64_options_in_float32():
    x = torch.asarray(LOGITS, dtype=torch.float32)
    t = torch.asarray(SOFT, dtype=torch.float32)
    out = mlcloss.sigmoid_focal_loss(x, t, gamma=torch.tensor(2.0, dtype=torch.float64))
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, mlcloss.sigmoid_focal_loss(x, t, gamma=2.0))
    integer = mlcloss.hinge_loss(x, torch.asarray(SIGNS), margin=torch.tensor(1))
    torch.testing.assert_close(integer, mlcloss.hinge_loss(x, torch.asarray(SIGNS), margin=1.0))


def test_torch_compile_traced_hyper_parameter():
    x = torch.asarray(LOGITS).requires_grad_()
    t = torch.asarray(SOFT)
    torch._dynamo.reset()
    compiled = torch.compile(
        lambda x, t, g, c: mlcloss.asymmetric_loss(x, t, gamma_neg=g, clip=c), fullgraph=True
    )
    got = compiled(
        x, t, torch.tensor(3.0, dtype=torch.float64), torch.tensor(0.1, dtype=torch.float64)
    )
    (got_grad,) = torch.autograd.grad(got, x)
    want = mlcloss.asymmetric_loss(x, t, gamma_neg=3.0, clip=0.1)
    (want_grad,) = torch.autograd.grad(want, x)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(got_grad, want_grad, rtol=1e-10, atol=1e-14)


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


TF_CASES = [
    ("sigmoid_focal_loss", "soft", {}, {"gamma": 2.0, "alpha": 0.4}),
    ("asymmetric_loss", "soft", {}, {"gamma_neg": 0.0, "clip": 0.05}),
    ("softmax_cross_entropy", "index", {}, {"label_smoothing": 0.1}),
    ("hinge_loss", "signs", {}, {"margin": 0.5}),
    ("tversky_loss", "hard", {"activation": "sigmoid"}, {"alpha": 0.3, "beta": 0.7, "gamma": 0.8}),
    ("ntxent_loss", "groups", {}, {"temperature": 0.1}),
    ("margin_softmax_cross_entropy", "index", {}, {"scale": 8.0, "margin": 0.5}),
    ("approx_ndcg_loss", "soft", {}, {"temperature": 0.5}),
]


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "tf.function"])
@pytest.mark.parametrize(
    ("name", "labels", "fixed", "given"), TF_CASES, ids=[c[0] for c in TF_CASES]
)
def test_tensorflow_zero_d_hyper_parameters(tf, name, labels, fixed, given, traced):
    def tf_labels(values):
        return tf.constant(values) if values.dtype.kind == "f" else tf.constant(values, tf.int32)

    f = _call(name, labels, fixed, tf_labels, tuple(given))

    def value_and_grad(x, *values):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = f(x, *values)
        return value, tape.gradient(value, x)

    x = tf.constant(_prediction(name))
    want, want_grad = value_and_grad(x, *given.values())
    run = tf.function(value_and_grad, jit_compile=True) if traced else value_and_grad
    got, got_grad = run(x, *(tf.constant(v, tf.float64) for v in given.values()))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got_grad.numpy(), want_grad.numpy(), rtol=1e-10, atol=1e-14)


def test_smooth_labels_traced_epsilon(jax):
    import jax.numpy as jnp

    labels = jnp.asarray(HARD)
    got = jax.jit(lambda y, e: mlcloss.smooth_labels(y, e))(labels, 0.1)
    np.testing.assert_allclose(got, mlcloss.smooth_labels(labels, 0.1), rtol=1e-15)
    got = mlcloss.smooth_labels(torch.asarray(HARD), torch.tensor(0.1, dtype=torch.float64))
    np.testing.assert_allclose(got.numpy(), mlcloss.smooth_labels(HARD, 0.1), rtol=1e-15)


# -- validation: concrete values raise, traced ones poison ------------------------------

OUT_OF_RANGE = [
    ("sigmoid_focal_loss", "soft", {"gamma": -1.0}),
    ("sigmoid_focal_loss", "soft", {"alpha": 1.5}),
    ("sigmoid_cross_entropy", "soft", {"label_smoothing": 1.5}),
    ("sigmoid_cross_entropy", "soft", {"pos_weight": math.nan}),
    ("asymmetric_loss", "soft", {"clip": 1.0}),
    ("asymmetric_loss", "soft", {"clip": -0.1}),
    ("asymmetric_loss", "soft", {"gamma_neg": -2.0}),
    ("hinge_loss", "signs", {"margin": math.nan}),
    ("pairwise_hinge_loss", "negative", {"margin": math.nan}),
    ("softmax_cross_entropy", "index", {"label_smoothing": -0.1}),
    ("softmax_focal_loss", "index", {"gamma": -0.5}),
    ("unified_pairwise_loss", "hard", {"scale": -1.0}),
    ("circle_loss", "hard", {"margin": math.nan}),
    ("dice_loss", "hard", {"smooth_dr": -1e-5}),
    ("tversky_loss", "hard", {"alpha": -0.5}),
    ("tversky_loss", "hard", {"gamma": 0.0}),
    ("triplet_margin_loss", "triplet", {"margin": math.nan}),
    ("contrastive_loss", "groups", {"neg_margin": math.nan}),
    ("ntxent_loss", "groups", {"temperature": 0.0}),
    ("info_nce_loss", "soft", {"temperature": -1.0}),
    ("margin_softmax_cross_entropy", "index", {"scale": -1.0}),
    ("approx_ndcg_loss", "soft", {"temperature": 0.0}),
]
OUT_IDS = [f"{c[0]}-{c[2]}" for c in OUT_OF_RANGE]


def _concrete_scalars():
    import jax.numpy as jnp
    import tensorflow as tf

    return {
        "numpy": (np.asarray, np.asarray),
        "torch": (torch.asarray, _torch_labels),
        "jax": (
            jnp.asarray,
            lambda v: jnp.asarray(v) if v.dtype.kind == "f" else jnp.asarray(v, jnp.int32),
        ),
        "tensorflow": (
            lambda v: tf.constant(v, tf.float64),
            lambda v: tf.constant(v) if v.dtype.kind == "f" else tf.constant(v, tf.int32),
        ),
    }


@pytest.mark.parametrize("library", ["numpy", "torch", "jax", "tensorflow"])
@pytest.mark.parametrize(("name", "labels", "given"), OUT_OF_RANGE, ids=OUT_IDS)
def test_concrete_out_of_range_raises(jax, tf, library, name, labels, given):
    scalar, array = _concrete_scalars()[library]
    ((option, value),) = given.items()
    fn = getattr(mlcloss, name)
    x, y = array(_prediction(name)), _label_arrays(labels, array)
    with pytest.raises(ValueError, match=option):
        fn(x, *y, **{option: value})  # the float
    with pytest.raises(ValueError, match=option):
        fn(x, *y, **{option: scalar(np.float64(value))})  # the 0-d array
    with mlcloss.value_checks(False), np.errstate(all="ignore"):  # taken as given, no error
        fn(x, *y, **{option: scalar(np.float64(value))})


@pytest.mark.parametrize(("name", "labels", "given"), OUT_OF_RANGE, ids=OUT_IDS)
def test_traced_out_of_range_is_nan(jax, name, labels, given):
    """Under jax.jit nothing can raise: the whole loss is NaN, never a plausible number."""
    import jax.numpy as jnp

    ((option, value),) = given.items()
    f = _call(name, labels, {}, lambda v: _jnp_labels(jax, v), (option,))
    x = jnp.asarray(_prediction(name))
    for reduction in ("mean", "none"):
        out = jax.jit(lambda x, v, r=reduction: f(x, v, reduction=r))(x, value)
        assert np.isnan(np.asarray(out)).all()


def test_traced_clip_of_one_is_nan_in_float32(jax):
    """1.0 is out of [0, 1): float32 rounds the bound up to 1, the check must not."""
    import jax.numpy as jnp

    x, t = jnp.asarray(LOGITS, jnp.float32), jnp.asarray(SOFT, jnp.float32)
    run = jax.jit(lambda x, c: mlcloss.asymmetric_loss(x, t, clip=c))
    assert np.isnan(run(x, jnp.float32(1.0)))
    assert np.isfinite(run(x, jnp.float32(0.999)))


def test_options_must_be_real_scalars():
    x, t = torch.asarray(LOGITS), torch.asarray(SOFT)
    with pytest.raises(ValueError, match="gamma must be a scalar"):
        mlcloss.sigmoid_focal_loss(x, t, gamma=torch.ones(2))
    with pytest.raises(TypeError, match="gamma"):
        mlcloss.sigmoid_focal_loss(x, t, gamma=torch.tensor(True))
    with pytest.raises(TypeError, match="gamma"):
        mlcloss.sigmoid_focal_loss(x, t, gamma=True)
    with pytest.raises(TypeError, match="one array library"):
        mlcloss.sigmoid_focal_loss(x, t, gamma=np.asarray(2.0))  # a 0-d array of another library


def test_numpy_scalars_are_numbers():
    """np.float32(2.0) is a number beside any library's arrays, as a Python float is."""
    x, t = torch.asarray(LOGITS), torch.asarray(SOFT)
    want = mlcloss.sigmoid_focal_loss(x, t, gamma=2.0, alpha=0.5)
    for kind in (np.float32, np.float64):
        got = mlcloss.sigmoid_focal_loss(x, t, gamma=kind(2.0), alpha=kind(0.5))
        torch.testing.assert_close(got, want)
    got = mlcloss.multilabel_categorical_crossentropy(x, t > 0.5, threshold=np.float32(0.5))
    torch.testing.assert_close(
        got, mlcloss.multilabel_categorical_crossentropy(x, t > 0.5, threshold=0.5)
    )
