"""Extreme multi-label classification (SPEC §7): sparse-label twins, multi-label smoothing.

Each sparse twin must give its dense loss's numbers on the multi-hot labels, value and
gradient, in every reduction, on every framework. The dense losses are checked against their
float64 oracles and the peers elsewhere; here the subject is the index-list route.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(18)
ROWS, CLASSES, K = 12, 300, 8
LOGITS = RNG.normal(size=(ROWS, CLASSES)) * 3
COUNTS = np.array([0, 1, 8, 3, 5, 8, 2, 7, 4, 6, 1, 8])  # positives a row: none, one, K
POSITIVES = np.full((ROWS, K), -1)
for _row, _count in enumerate(COUNTS):
    POSITIVES[_row, :_count] = RNG.choice(CLASSES, _count, replace=False)
POSITIVES[3, 3] = POSITIVES[3, 0]  # a repeat counts once
MULTI_HOT = np.zeros((ROWS, CLASSES))
for _row, _classes in enumerate(POSITIVES):
    MULTI_HOT[_row, _classes[_classes >= 0]] = 1
WHERE = RNG.random((ROWS, CLASSES)) < 0.9
POS_WEIGHT = RNG.uniform(0.5, 3.0, CLASSES)

#: (sparse twin, dense loss, options)
TWINS = [
    ("sparse_sigmoid_cross_entropy", "sigmoid_cross_entropy", {}),
    ("sparse_sigmoid_cross_entropy", "sigmoid_cross_entropy", {"label_smoothing": 0.1}),
    ("sparse_sigmoid_cross_entropy", "sigmoid_cross_entropy", {"pos_weight": 2.5}),
    (
        "sparse_sigmoid_cross_entropy",
        "sigmoid_cross_entropy",
        {"label_smoothing": 0.2, "keep_mass": True},
    ),
    ("sparse_sigmoid_cross_entropy", "sigmoid_cross_entropy", {"pos_weight": "per-class"}),
    ("sparse_sigmoid_focal_loss", "sigmoid_focal_loss", {}),
    ("sparse_sigmoid_focal_loss", "sigmoid_focal_loss", {"alpha": None, "gamma": 0.5}),
    ("sparse_sigmoid_focal_loss", "sigmoid_focal_loss", {"gamma": 0.0, "alpha": 0.6}),
    ("sparse_asymmetric_loss", "asymmetric_loss", {}),
    ("sparse_asymmetric_loss", "asymmetric_loss", {"gamma_pos": 1.0, "clip": 0.0}),
]
IDS = [f"{s}-{'-'.join(f'{k}={v}' for k, v in o.items()) or 'defaults'}" for s, _, o in TWINS]


def _options(framework, options):
    if options.get("pos_weight") == "per-class":
        return {**options, "pos_weight": framework.array(POS_WEIGHT)}
    return options


@pytest.mark.parametrize("masked", [False, True], ids=["all", "where"])
@pytest.mark.parametrize(("sparse", "dense", "options"), TWINS, ids=IDS)
def test_sparse_twin_equals_the_dense_loss_on_multi_hot_labels(
    framework, sparse, dense, options, masked
):
    """Elementwise and mean (the count of kept entries), float64 to 1e-12 and float32 to 1e-6
    of the dense loss ("sum" is the mean's numerator: the reducer is shared)."""
    where = {"where": framework.array(WHERE)} if masked else {}
    options = _options(framework, options)
    for dtype, rtol in (("float64", 1e-12), ("float32", 1e-6)):
        x = framework.array(LOGITS, dtype)
        positives, multi_hot = framework.array(POSITIVES), framework.array(MULTI_HOT, dtype)
        for reduction in ("none", "mean"):
            got = getattr(mlcloss, sparse)(
                x, positives, ignore_index=-1, reduction=reduction, **where, **options
            )
            want = getattr(mlcloss, dense)(x, multi_hot, reduction=reduction, **where, **options)
            assert got.dtype == want.dtype
            np.testing.assert_allclose(
                framework.to_numpy(got), framework.to_numpy(want), rtol=rtol, atol=rtol * 1e-3
            )


@pytest.mark.parametrize("analytic", [True, False], ids=["closed-form", "autograd"])
@pytest.mark.parametrize(("sparse", "dense", "options"), TWINS, ids=IDS)
def test_sparse_twin_gradient_equals_the_dense_gradient(
    autograd_framework, sparse, dense, options, analytic
):
    framework = autograd_framework
    options = _options(framework, options)
    positives, multi_hot = framework.array(POSITIVES), framework.array(MULTI_HOT)
    with mlcloss.analytic_gradients(analytic):
        for reduction in ("mean", "none"):
            got = framework.value_and_grad(
                lambda x, r=reduction: getattr(mlcloss, sparse)(
                    x, positives, ignore_index=-1, reduction=r, **options
                ),
                framework.array(LOGITS),
            )
            want = framework.value_and_grad(
                lambda x, r=reduction: getattr(mlcloss, dense)(
                    x, multi_hot, reduction=r, **options
                ),
                framework.array(LOGITS),
            )
            np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("sparse", "dense", "options"), TWINS[::4], ids=IDS[::4])
def test_numpy_value_and_grad_of_the_sparse_twin(sparse, dense, options):
    """The closed form serves NumPy too: no autograd anywhere."""
    options = {**options, "pos_weight": POS_WEIGHT} if "pos_weight" in options else options
    got = mlcloss.value_and_grad(getattr(mlcloss, sparse))(
        LOGITS, POSITIVES, ignore_index=-1, **options
    )
    want = mlcloss.value_and_grad(getattr(mlcloss, dense))(LOGITS, MULTI_HOT, **options)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-15)


def test_masked_logits_among_the_negatives_stay_finite():
    """A logit of −inf with label 0 contributes nothing, as in the dense losses."""
    x = LOGITS.copy()
    x[0, :10] = -np.inf  # row 0 has no positives
    for name in ("sparse_sigmoid_cross_entropy", "sparse_sigmoid_focal_loss"):
        value, grad = mlcloss.value_and_grad(getattr(mlcloss, name))(x, POSITIVES, ignore_index=-1)
        assert np.isfinite(value) and np.isfinite(grad).all() and (grad[0, :10] == 0).all()


def test_index_out_of_range_raises_and_names_the_labels():
    bad = POSITIVES.copy()
    bad[2, 0] = CLASSES
    with pytest.raises(ValueError, match=r"labels.*\[0, 300\) or ignore_index=-1"):
        mlcloss.sparse_sigmoid_cross_entropy(LOGITS, bad, ignore_index=-1)
    jax = pytest.importorskip("jax")
    traced = jax.jit(
        lambda x, t: mlcloss.sparse_sigmoid_cross_entropy(x, t, ignore_index=-1, reduction="none")
    )
    out = np.asarray(traced(LOGITS.astype(np.float32), bad))  # under jit the row is poisoned
    assert np.isnan(out[2]).all() and np.isfinite(np.delete(out, 2, axis=0)).all()


def test_labels_of_the_wrong_shape_or_dtype_raise():
    with pytest.raises(ValueError, match=r"index lists \[\.\.\., K\].*\(12, 300\).*\(8,\)"):
        mlcloss.sparse_asymmetric_loss(LOGITS, POSITIVES[0])
    with pytest.raises(TypeError, match="labels must hold class indices with an integer dtype"):
        mlcloss.sparse_sigmoid_focal_loss(LOGITS, MULTI_HOT)


# -- multi-label smoothing that keeps the label mass ---------------------------------------

EPSILON = 0.2


def test_keep_mass_smoothing_keeps_each_rows_mass():
    smoothed = mlcloss.smooth_labels(MULTI_HOT, EPSILON, keep_mass=True)
    np.testing.assert_allclose(smoothed.sum(-1), MULTI_HOT.sum(-1), rtol=1e-12, atol=1e-12)
    k = MULTI_HOT.sum(-1, keepdims=True)  # the docs' values: 1 − ε + εk/C and εk/C
    want = np.where(MULTI_HOT > 0, 1 - EPSILON + EPSILON * k / CLASSES, EPSILON * k / CLASSES)
    np.testing.assert_allclose(smoothed, want, rtol=1e-12)
    plain = mlcloss.smooth_labels(MULTI_HOT, EPSILON)  # the plain rule: (1 − ε) k + ε
    np.testing.assert_allclose(plain.sum(-1), (1 - EPSILON) * k[:, 0] + EPSILON, rtol=1e-12)
    one_hot = np.eye(CLASSES)[RNG.integers(0, CLASSES, ROWS)]
    np.testing.assert_allclose(
        mlcloss.smooth_labels(one_hot, EPSILON, keep_mass=True),
        mlcloss.smooth_labels(one_hot, EPSILON),
        rtol=1e-12,
    )


def _optimum_gradient(framework, loss, x, labels, **options):
    return framework.value_and_grad(lambda z: loss(z, labels, **options), framework.array(x))[1]


def test_smoothed_sigmoid_ce_is_minimised_at_the_smoothed_targets(autograd_framework):
    """σ(x*) = the smoothed target: the gradient vanishes there, dense and sparse."""
    framework = autograd_framework
    target = mlcloss.smooth_labels(MULTI_HOT, EPSILON, keep_mass=True)
    optimum = np.log(target) - np.log1p(-target)
    for loss, labels, extra in (
        (mlcloss.sigmoid_cross_entropy, MULTI_HOT, {}),
        (mlcloss.sparse_sigmoid_cross_entropy, POSITIVES, {"ignore_index": -1}),
    ):
        grad = _optimum_gradient(
            framework, loss, optimum, framework.array(labels), label_smoothing=EPSILON,
            keep_mass=True, **extra,
        )  # fmt: skip
        np.testing.assert_allclose(grad, 0.0, atol=1e-15)


def test_smoothed_zlpr_is_minimised_where_sigma_2s_is_the_smoothed_target(autograd_framework):
    """ZLPR's soft-label optimum σ(2 s*) = t̃ (the docs), with t̃ keeping the row's mass."""
    framework = autograd_framework
    rows = MULTI_HOT.sum(-1) > 0  # a row without positives has no mass to spread
    labels, target = MULTI_HOT[rows], mlcloss.smooth_labels(MULTI_HOT[rows], 0.1, keep_mass=True)
    optimum = (np.log(target) - np.log1p(-target)) / 2
    grad = _optimum_gradient(
        framework, mlcloss.multilabel_categorical_crossentropy, optimum,
        framework.array(labels), label_smoothing=0.1,
    )  # fmt: skip
    np.testing.assert_allclose(grad, 0.0, atol=1e-15)
    moved = optimum + RNG.normal(size=optimum.shape) * 0.1  # and it is a minimum
    assert mlcloss.multilabel_categorical_crossentropy(
        moved, labels, label_smoothing=0.1
    ) > mlcloss.multilabel_categorical_crossentropy(optimum, labels, label_smoothing=0.1)


def test_zlpr_smoothing_is_the_soft_form_on_the_smoothed_labels(framework):
    where = framework.array(WHERE)
    x, labels = framework.array(LOGITS), framework.array(MULTI_HOT > 0)
    got = mlcloss.multilabel_categorical_crossentropy(
        x, labels, label_smoothing=EPSILON, where=where, reduction="none"
    )
    kept = WHERE.sum(-1, keepdims=True)
    mass = (MULTI_HOT * WHERE).sum(-1, keepdims=True)
    soft = ((1 - EPSILON) * MULTI_HOT + EPSILON * mass / kept) * WHERE
    want = mlcloss.multilabel_categorical_crossentropy(
        x, framework.array(soft), where=where, reduction="none"
    )
    np.testing.assert_allclose(framework.to_numpy(got), framework.to_numpy(want), rtol=1e-12)


# -- label smoothing in the sampled softmax (seed 003: 1:199 candidates) -------------------

SAMPLED_C, SAMPLED_D = 200, 8
SAMPLED = np.arange(5, 5 + 199) % SAMPLED_C  # 199 of the 200 classes: 0-3 are hits below
TRUE = np.array([[1], [2], [3], [4]])  # 4 is the one class not sampled: no hit
_S_RNG = np.random.default_rng(3)
S_WEIGHTS = _S_RNG.normal(size=(SAMPLED_C, SAMPLED_D))
S_BIASES = _S_RNG.normal(size=SAMPLED_C) * 0.1
S_INPUTS = _S_RNG.normal(size=(4, SAMPLED_D))
TRUE_COUNT = _S_RNG.uniform(0.2, 0.9, (4, 1))
SAMPLED_COUNT = _S_RNG.uniform(0.2, 0.9, 199)


def _smoothed_sampled_softmax_oracle(epsilon):
    """The definition in float64: logits o = h·w + β − log Q over the true class and the
    sampled ones, accidental hits removed; targets (1 − ε) on the true class plus ε / V on
    each of the V candidates kept."""
    out = []
    for h, (y,), q_true in zip(S_INPUTS, TRUE, TRUE_COUNT[:, 0]):
        true = h @ S_WEIGHTS[y] + S_BIASES[y] - np.log(q_true)
        kept = SAMPLED != y
        sampled = (S_WEIGHTS[SAMPLED] @ h + S_BIASES[SAMPLED] - np.log(SAMPLED_COUNT))[kept]
        logits = np.concatenate([[true], sampled])
        log_p = logits - np.logaddexp.reduce(logits)
        target = np.full(logits.size, epsilon / logits.size)
        target[0] += 1 - epsilon
        out.append(-(target * log_p).sum())
    return np.array(out)


def _sampled_call(a, dtype=None, **options):
    return mlcloss.sampled_softmax_loss(
        a(S_WEIGHTS, dtype), a(S_BIASES, dtype), a(TRUE), a(S_INPUTS, dtype),
        num_sampled=199, num_classes=SAMPLED_C, reduction="none",
        sampled_values=(a(SAMPLED), a(TRUE_COUNT, dtype), a(SAMPLED_COUNT, dtype)), **options,
    )  # fmt: skip


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 0.3])
def test_sampled_softmax_label_smoothing_is_its_definition(framework, epsilon):
    got = framework.to_numpy(_sampled_call(framework.array, label_smoothing=epsilon))
    np.testing.assert_allclose(got, _smoothed_sampled_softmax_oracle(epsilon), rtol=1e-12)


def test_16_bit_sampled_softmax_with_1_to_199_candidates_stays_finite():
    """The NaN-prone setting: 16-bit inputs, 199 candidates, accidental hits in most rows.

    tf.nn.sampled_softmax_loss masks a hit with −FLT_MAX, which is −inf in float16, and its
    label 0 times ∞ makes the row NaN. mlcloss computes 16-bit inputs in float32 and leaves
    hits out: finite with and without smoothing, the float32 numbers to 16-bit rounding.
    """
    torch = pytest.importorskip("torch")
    want = {e: _smoothed_sampled_softmax_oracle(e) for e in (0.0, 0.1)}
    for dtype in (torch.float16, torch.bfloat16):

        def a(v, dt=None, dtype=dtype):
            t = torch.asarray(v)
            return t.to(dtype) if dt and t.is_floating_point() else t

        for epsilon, expected in want.items():
            got = _sampled_call(a, True, label_smoothing=epsilon)
            assert got.dtype == torch.float32 and torch.isfinite(got).all()
            np.testing.assert_allclose(got.numpy(), expected, rtol=0.05)
    tf = pytest.importorskip("tensorflow")
    peer = tf.nn.sampled_softmax_loss(
        tf.constant(S_WEIGHTS, tf.float16), tf.constant(S_BIASES, tf.float16),
        tf.constant(TRUE, tf.int64), tf.constant(S_INPUTS, tf.float16), num_sampled=199,
        num_classes=SAMPLED_C, remove_accidental_hits=True,
        sampled_values=(tf.constant(SAMPLED, tf.int64), tf.constant(TRUE_COUNT, tf.float16),
                        tf.constant(SAMPLED_COUNT, tf.float16)),
    ).numpy()  # fmt: skip
    assert np.isnan(peer[:3]).all() and np.isfinite(peer[3])  # rows 0-2 have a hit


def test_smoothing_puts_the_sampled_softmax_optimum_at_a_finite_margin():
    """The true logit's gradient vanishes at log((1 − ε + ε/V) V / ε) above V − 1 equal
    candidates; without smoothing it is negative at every margin (the optimum is at ∞)."""
    torch = pytest.importorskip("torch")
    v, epsilon = 200, 0.1
    optimum = np.log((1 - epsilon + epsilon / v) * v / epsilon)
    for eps, margins in ((epsilon, [optimum]), (0.0, [5.0, 20.0, optimum])):
        for margin in margins:
            biases = torch.zeros(v, dtype=torch.float64)
            biases[0] = margin
            biases.requires_grad_()
            loss = mlcloss.sampled_softmax_loss(
                torch.zeros(v, 2, dtype=torch.float64), biases, torch.tensor([[0]]),
                torch.zeros(1, 2, dtype=torch.float64), num_sampled=v - 1, num_classes=v,
                subtract_log_q=False, label_smoothing=eps,
                sampled_values=(torch.arange(1, v), torch.ones(1, 1), torch.ones(v - 1)),
            )  # fmt: skip
            (grad,) = torch.autograd.grad(loss, biases)
            if eps:
                assert abs(grad[0].item()) < 1e-14
            else:
                assert grad[0].item() < 0


def test_sampled_softmax_label_smoothing_traced_by_jax_jit():
    """ε as a traced 0-d array: the Python-float call's value and gradient (as optax takes it)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(weights, epsilon):
        return mlcloss.sampled_softmax_loss(
            weights, jnp.asarray(S_BIASES), jnp.asarray(TRUE), jnp.asarray(S_INPUTS),
            num_sampled=199, num_classes=SAMPLED_C, label_smoothing=epsilon,
            sampled_values=tuple(map(jnp.asarray, (SAMPLED, TRUE_COUNT, SAMPLED_COUNT))),
        )  # fmt: skip

    weights = jnp.asarray(S_WEIGHTS)
    value, grads = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(weights, 0.1)
    np.testing.assert_allclose(value, _smoothed_sampled_softmax_oracle(0.1).mean(), rtol=1e-12)
    np.testing.assert_allclose(grads[0], jax.grad(loss)(weights, 0.1), rtol=1e-10, atol=1e-15)
    step = 1e-6  # d loss / d ε against a central difference of the oracle
    slope = (
        _smoothed_sampled_softmax_oracle(0.1 + step) - _smoothed_sampled_softmax_oracle(0.1 - step)
    ).mean() / (2 * step)
    np.testing.assert_allclose(grads[1], slope, rtol=1e-6)
