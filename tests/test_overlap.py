"""The overlap losses against their peers' own functions: MONAI, optax and Keras.

Every mapping of the docstrings is checked, values and gradients, in float64 (to 1e-10) and
float32: MONAI's ``DiceLoss`` (``jaccard``, ``squared_pred``, ``weight``, ``batch``,
``include_background``, ``to_onehot_y``, ``ignore_index``), ``TverskyLoss`` (and its power for
the focal form), ``GeneralizedDiceLoss`` (``w_type``, absent classes); optax's ``dice_loss``
(``alpha``, ``beta``, ``smooth``, ``class_weights``, ``ignore_background``) and
``multiclass_generalized_dice_loss`` through its documented formula; Keras's ``dice`` and
``tversky`` (alpha and beta swapped). Then the empty-mask rule beside the peers that disagree.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(61)
B, C, H, W = 3, 4, 4, 4
LOGITS = RNG.normal(size=(B, C, H, W)) * 2  # MONAI's layout [B, C, H, W]
INDEX = RNG.integers(0, C, (B, 1, H, W))
INDEX[0, 0, 0, :] = 3  # class 3 present in image 0
ONE_HOT = (INDEX == np.arange(C)[None, :, None, None]).astype(np.float64)
MULTI_HOT = (RNG.random((B, C, H, W)) < 0.35).astype(np.float64)
SPATIAL = (2, 3)


def _power_of_two_masks():
    """[B, C, 4, 4] masks whose class masses, per image and over the batch, are 0 or powers of
    2 (1/T² exact in float32, the dtype MONAI computes its generalized-Dice weights in), absent
    classes included."""
    masses = [(8, 4, 2, 2), (8, 4, 0, 0), (0, 8, 0, 0)]
    masks = np.zeros((B, C, 16))
    for b, row in enumerate(masses):
        for c, mass in enumerate(row):
            masks[b, c, RNG.permutation(16)[:mass]] = 1.0
    return masks.reshape(B, C, H, W)


GDL_MASKS = _power_of_two_masks()


def _tolerance(dtype):
    return dict(rtol=1e-10, atol=1e-14) if dtype == "float64" else dict(rtol=2e-6, atol=2e-7)


def _torch_agree(ours, theirs, x, *, dtype="float64", shape=None, tol=None):
    """``ours(s)`` equals ``theirs(s)`` at ``x`` in value and gradient (torch, ``dtype``)."""
    torch = pytest.importorskip("torch")
    a = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    b = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    got, want = ours(a), theirs(b)
    (g_got,) = torch.autograd.grad(got.sum(), a)
    (g_want,) = torch.autograd.grad(want.sum(), b)
    tol = tol or _tolerance(dtype)
    want_values = want.detach().numpy().reshape(got.shape)
    np.testing.assert_allclose(got.detach().numpy(), want_values, **tol)
    np.testing.assert_allclose(g_got.numpy(), g_want.numpy(), **tol)


def _t(values, dtype="float64"):
    torch = pytest.importorskip("torch")
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return torch.tensor(values, dtype=getattr(torch, dtype))
    return torch.tensor(values)


# -- MONAI ------------------------------------------------------------------------------------

#: (MONAI DiceLoss options, mlcloss.dice_loss options) for [B, C, H, W] with class_axis=1
DICE_MAPPINGS = [
    ({"sigmoid": True}, {"activation": "sigmoid"}),
    ({"softmax": True}, {"activation": "softmax"}),
    ({"softmax": True, "include_background": False}, {"activation": "softmax", "include_background": False}),
    ({"softmax": True, "batch": True}, {"activation": "softmax", "axis": (0, 2, 3)}),
    ({"sigmoid": True, "squared_pred": True}, {"activation": "sigmoid", "squared_pred": True}),
    ({"sigmoid": True, "weight": [1.0, 2.0, 0.5, 3.0]}, {"activation": "sigmoid", "class_weights": [1.0, 2.0, 0.5, 3.0]}),
    ({"sigmoid": True, "smooth_nr": 0.3, "smooth_dr": 0.7}, {"activation": "sigmoid", "smooth_nr": 0.3, "smooth_dr": 0.7}),
    ({"other_act": None, "smooth_nr": 0.0, "smooth_dr": 1e-6}, {"smooth_nr": 0.0, "smooth_dr": 1e-6}),
]  # fmt: skip


def _prediction(options):
    """Logits for an activation, probabilities (a sigmoid of them) without one."""
    return LOGITS if options.get("activation") else 1 / (1 + np.exp(-LOGITS))


@pytest.mark.parametrize("labels", ["one-hot", "multi-hot"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("theirs, ours", DICE_MAPPINGS)
def test_dice_is_monai_dice(theirs, ours, dtype, reduction, labels):
    monai = pytest.importorskip("monai")
    ours = {"axis": SPATIAL, **ours}
    theirs = {k: v for k, v in theirs.items() if v is not None}
    y = _t(ONE_HOT if labels == "one-hot" else MULTI_HOT, dtype)
    _torch_agree(
        lambda s: mlcloss.dice_loss(s, y, class_axis=1, reduction=reduction, **ours),
        lambda s: monai.losses.DiceLoss(reduction=reduction, **theirs)(s, y),
        _prediction(ours),
        dtype=dtype,
    )


@pytest.mark.parametrize("theirs, ours", DICE_MAPPINGS)
def test_jaccard_is_monai_jaccard_with_half_its_smoothing(theirs, ours):
    monai = pytest.importorskip("monai")
    theirs = {k: v for k, v in theirs.items() if v is not None}
    ours = {"axis": SPATIAL, **ours}
    ours["smooth_nr"] = theirs.get("smooth_nr", 1e-5) / 2
    ours["smooth_dr"] = theirs.get("smooth_dr", 1e-5) / 2
    y = _t(MULTI_HOT)
    _torch_agree(
        lambda s: mlcloss.jaccard_loss(s, y, class_axis=1, reduction="none", **ours),
        lambda s: monai.losses.DiceLoss(jaccard=True, reduction="none", **theirs)(s, y),
        _prediction(ours),
    )


@pytest.mark.parametrize("squeezed", [False, True], ids=["B1HW", "BHW"])
def test_class_index_labels_are_monai_to_onehot_y(squeezed):
    monai = pytest.importorskip("monai")
    index = _t(INDEX)
    ours = index[:, 0] if squeezed else index
    _torch_agree(
        lambda s: mlcloss.dice_loss(
            s, ours, activation="softmax", class_axis=1, axis=SPATIAL, reduction="none"
        ),
        lambda s: monai.losses.DiceLoss(softmax=True, to_onehot_y=True, reduction="none")(s, index),
        LOGITS,
    )


def test_where_is_monai_ignore_index():
    """MONAI's ``ignore_index`` masks the pixels of that label after the activation: ``where``."""
    monai = pytest.importorskip("monai")
    index = _t(INDEX)
    keep = _t(INDEX != 2)
    _torch_agree(
        lambda s: mlcloss.dice_loss(
            s, index, activation="softmax", class_axis=1, axis=SPATIAL, where=keep
        ),
        lambda s: monai.losses.DiceLoss(softmax=True, to_onehot_y=True, ignore_index=2)(s, index),
        LOGITS,
    )


TVERSKY_MAPPINGS = [
    {"alpha": 0.3, "beta": 0.7, "sigmoid": True},
    {"alpha": 0.8, "beta": 0.1, "softmax": True, "include_background": False},
    {"alpha": 1.0, "beta": 1.0, "softmax": True, "batch": True, "smooth_nr": 0.1, "smooth_dr": 0.2},
]


def _tversky_options(theirs):
    ours = {k: v for k, v in theirs.items() if k not in ("sigmoid", "softmax", "batch")}
    ours["activation"] = "sigmoid" if theirs.get("sigmoid") else "softmax"
    ours["axis"] = (0, 2, 3) if theirs.get("batch") else SPATIAL
    return ours


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("theirs", TVERSKY_MAPPINGS)
def test_tversky_is_monai_tversky(theirs, dtype):
    monai = pytest.importorskip("monai")
    ours = _tversky_options(theirs)
    y = _t(MULTI_HOT, dtype)
    _torch_agree(
        lambda s: mlcloss.tversky_loss(s, y, class_axis=1, reduction="none", **ours),
        lambda s: monai.losses.TverskyLoss(reduction="none", **theirs)(s, y),
        LOGITS,
        dtype=dtype,
    )


@pytest.mark.parametrize("gamma", [0.75, 4 / 3, 2.0])
@pytest.mark.parametrize("theirs", TVERSKY_MAPPINGS)
def test_focal_tversky_is_the_power_of_monai_tversky(theirs, gamma):
    monai = pytest.importorskip("monai")
    ours = _tversky_options(theirs)
    y = _t(ONE_HOT)
    _torch_agree(
        lambda s: mlcloss.tversky_loss(s, y, class_axis=1, gamma=gamma, reduction="none", **ours),
        lambda s: monai.losses.TverskyLoss(reduction="none", **theirs)(s, y) ** gamma,
        LOGITS,
    )


GDL_MAPPINGS = [
    ({"softmax": True}, {"activation": "softmax"}),
    ({"softmax": True, "w_type": "simple"}, {"activation": "softmax", "weight_type": "simple"}),
    ({"softmax": True, "w_type": "uniform"}, {"activation": "softmax", "weight_type": "uniform"}),
    ({"sigmoid": True, "batch": True}, {"activation": "sigmoid", "axis": None}),
    ({"softmax": True, "include_background": False}, {"activation": "softmax", "include_background": False}),
    ({"softmax": True, "smooth_nr": 0.0, "smooth_dr": 1e-3}, {"activation": "softmax", "smooth_nr": 0.0, "smooth_dr": 1e-3}),
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("theirs, ours", GDL_MAPPINGS)
def test_generalized_dice_is_monai_generalized_dice(theirs, ours, dtype):
    """Absent classes (image 1: two, image 2: three) take the largest weight present."""
    monai = pytest.importorskip("monai")
    ours = {"axis": SPATIAL, **ours}
    y = _t(GDL_MASKS, dtype)
    _torch_agree(
        lambda s: mlcloss.generalized_dice_loss(s, y, class_axis=1, reduction="none", **ours),
        lambda s: monai.losses.GeneralizedDiceLoss(reduction="none", **theirs)(s, y),
        LOGITS,
        dtype=dtype,
    )


def test_generalized_dice_is_monai_to_its_float32_weights():
    """Masses that are no powers of two: MONAI rounds its weights 1/T² to float32."""
    monai = pytest.importorskip("monai")
    y = _t(ONE_HOT)
    ours = {"activation": "softmax", "class_axis": 1, "axis": SPATIAL}
    with pytest.raises(AssertionError):  # float32 weights: not float64's numbers
        _torch_agree(
            lambda s: mlcloss.generalized_dice_loss(s, y, **ours),
            lambda s: monai.losses.GeneralizedDiceLoss(softmax=True)(s, y),
            LOGITS,
        )
    _torch_agree(
        lambda s: mlcloss.generalized_dice_loss(s, y, **ours),
        lambda s: monai.losses.GeneralizedDiceLoss(softmax=True)(s, y),
        LOGITS,
        tol=dict(rtol=1e-6, atol=1e-9),
    )


def test_generalized_dice_without_any_class_present_departs_from_monai():
    """An image with no class present: MONAI's weights are all 0, its loss 0 for any
    prediction; every weight is 1 here, so false positives cost (and a perfect empty
    prediction still costs 0)."""
    monai = pytest.importorskip("monai")
    torch = pytest.importorskip("torch")
    empty = torch.zeros(1, C, H, W, dtype=torch.float64)
    p = torch.full((1, C, H, W), 0.3, dtype=torch.float64)
    theirs = monai.losses.GeneralizedDiceLoss()
    ours = mlcloss.generalized_dice_loss(p, empty, class_axis=1, axis=SPATIAL)
    assert float(theirs(p, empty)) == 0.0
    np.testing.assert_allclose(float(ours), 1 - 1e-5 / (0.3 * C * H * W + 1e-5), rtol=1e-12)
    perfect = mlcloss.generalized_dice_loss(empty, empty, class_axis=1, axis=SPATIAL)
    assert float(perfect) == 0.0 == float(theirs(empty, empty))


# -- optax ------------------------------------------------------------------------------------

NHWC = np.moveaxis(LOGITS, 1, -1)  # optax's layout [B, H, W, C]
NHWC_ONE_HOT = np.moveaxis(ONE_HOT, 1, -1)
OPTAX_WEIGHTS = np.array([1.0, 2.0, 0.5, 3.0])


@pytest.fixture
def jnp():
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    return jax.numpy


def _jax_agree(ours, theirs, x, *, rtol=1e-10, atol=1e-14):
    import jax

    np.testing.assert_allclose(ours(x), np.reshape(theirs(x), np.shape(ours(x))), rtol, atol)
    g_ours = jax.grad(lambda s: ours(s).sum())(x)
    g_theirs = jax.grad(lambda s: theirs(s).sum())(x)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=rtol, atol=atol)


OPTAX_MAPPINGS = [
    {},
    {"smooth": 0.3},
    {"alpha": 0.2, "beta": 0.9},
    {"class_weights": OPTAX_WEIGHTS},
    {"ignore_background": True, "class_weights": OPTAX_WEIGHTS, "alpha": 0.6, "beta": 0.3},
]


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("theirs", OPTAX_MAPPINGS, ids=lambda o: ",".join(o) or "defaults")
def test_tversky_and_dice_are_optax_dice_loss(jnp, theirs, reduction):
    import optax

    smooth = theirs.get("smooth", 1.0)
    weights = theirs.get("class_weights")
    background = not theirs.get("ignore_background", False)
    if weights is not None:  # optax weighs before it drops the background; here after
        weights = jnp.asarray(weights if background else weights[1:])
    common = {"activation": "softmax", "axis": (1, 2), "include_background": background}
    common["class_weights"] = weights
    options = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in theirs.items()}
    x, y = jnp.asarray(NHWC), jnp.asarray(NHWC_ONE_HOT)

    def peer(s):  # optax's "mean" is per example, over the classes
        return optax.losses.dice_loss(s, y, reduction="none", **options)

    alpha, beta = theirs.get("alpha", 0.5), theirs.get("beta", 0.5)
    tversky = {"alpha": alpha, "beta": beta, "smooth_nr": smooth, "smooth_dr": smooth}
    _jax_agree(lambda s: mlcloss.tversky_loss(s, y, **tversky, **common, reduction="none"), peer, x)
    if reduction == "mean":
        _jax_agree(
            lambda s: mlcloss.tversky_loss(s, y, **tversky, **common),
            lambda s: optax.losses.dice_loss(s, y, **options).mean(),
            x,
        )
    if alpha == beta == 0.5:  # the Dice loss with twice optax's smoothing
        dice = {"smooth_nr": 2 * smooth, "smooth_dr": 2 * smooth}
        _jax_agree(lambda s: mlcloss.dice_loss(s, y, **dice, **common, reduction="none"), peer, x)


def test_a_single_channel_is_optax_sigmoid(jnp):
    import optax

    x, y = jnp.asarray(NHWC[..., :1]), jnp.asarray(NHWC_ONE_HOT[..., :1])
    _jax_agree(
        lambda s: mlcloss.dice_loss(
            s, y, activation="sigmoid", axis=(1, 2), smooth_nr=2.0, smooth_dr=2.0
        ),
        lambda s: optax.losses.dice_loss(s, y).mean(),  # optax's "mean" is per example
        x,
    )


@pytest.mark.parametrize("ignore_background", [False, True])
def test_optax_generalized_dice_is_the_documented_formula(jnp, ignore_background):
    """optax's ``multiclass_generalized_dice_loss``: dice_loss with normalised 1/(F² + 1e-7)."""
    import optax

    x, y = jnp.asarray(NHWC), jnp.asarray(NHWC_ONE_HOT)
    frequencies = y.sum(axis=(0, 1, 2))
    u = 1 / (frequencies**2 + 1e-7)
    v = u / u.sum() * C
    v = v[1:] if ignore_background else v
    _jax_agree(
        lambda s: mlcloss.dice_loss(
            s,
            y,
            activation="softmax",
            axis=(1, 2),
            smooth_nr=2.0,
            smooth_dr=2.0,
            class_weights=v,
            include_background=not ignore_background,
        ),
        lambda s: optax.losses.multiclass_generalized_dice_loss(
            s, y, ignore_background=ignore_background
        ),
        x,
    )


# -- Keras ------------------------------------------------------------------------------------

PROBS = RNG.uniform(0.05, 0.95, (3, 5, 4))
MASKS = (RNG.random((3, 5, 4)) < 0.4).astype(np.float64)
KERAS = {"smooth_nr": 0.0, "smooth_dr": 1e-7}  # Keras's epsilon in the denominator alone


@pytest.fixture
def keras_tf():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the Keras peer runs on its TensorFlow backend here")
    return keras, tf


def _tf_agree(tf, ours, theirs, dtype):
    x, y = tf.Variable(PROBS.astype(dtype)), tf.constant(MASKS.astype(dtype))
    with tf.GradientTape(persistent=True) as tape:
        got, want = ours(x, y), theirs(y, x)
        total_got, total_want = tf.reduce_sum(got), tf.reduce_sum(want)
    tol = _tolerance(dtype)
    np.testing.assert_allclose(got.numpy(), want.numpy(), **tol)
    np.testing.assert_allclose(tape.gradient(total_got, x), tape.gradient(total_want, x), **tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("axis", [None, (1, 2), -1])
def test_dice_is_keras_dice(keras_tf, axis, dtype):
    keras, tf = keras_tf
    _tf_agree(
        tf,
        lambda x, y: mlcloss.dice_loss(x, y, axis=axis, **KERAS, reduction="none"),
        lambda y, x: keras.losses.dice(y, x, axis=axis),
        dtype,
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("axis", [None, (1, 2)])
def test_tversky_is_keras_tversky_with_alpha_and_beta_swapped(keras_tf, axis, dtype):
    keras, tf = keras_tf
    _tf_agree(
        tf,
        lambda x, y: mlcloss.tversky_loss(
            x, y, alpha=0.8, beta=0.3, axis=axis, **KERAS, reduction="none"
        ),
        lambda y, x: keras.losses.tversky(y, x, alpha=0.3, beta=0.8, axis=axis),
        dtype,
    )
    with pytest.raises(AssertionError):  # Keras's "fp" is a false negative
        _tf_agree(
            tf,
            lambda x, y: mlcloss.tversky_loss(x, y, alpha=0.3, beta=0.8, axis=axis, **KERAS),
            lambda y, x: keras.losses.tversky(y, x, alpha=0.3, beta=0.8, axis=axis),
            dtype,
        )


def test_jaccard_is_keras_tversky_one_one(keras_tf):
    keras, tf = keras_tf
    _tf_agree(
        tf,
        lambda x, y: mlcloss.jaccard_loss(x, y, axis=(1, 2), **KERAS, reduction="none"),
        lambda y, x: keras.losses.tversky(y, x, alpha=1.0, beta=1.0, axis=(1, 2)),
        "float64",
    )


def test_mlcloss_keras_dice_is_keras_dice(keras_tf):
    keras, _ = keras_tf
    import mlcloss.keras

    for axis in (None, (1, 2)):
        ours = mlcloss.keras.DiceLoss(axis=axis, **KERAS)(MASKS, PROBS.astype("float32"))
        theirs = keras.losses.Dice(axis=axis)(MASKS, PROBS.astype("float32"))
        np.testing.assert_allclose(float(ours), float(theirs), rtol=2e-6)


# -- the empty-mask rule ----------------------------------------------------------------------

EMPTY = np.zeros((2, 6))


@pytest.mark.parametrize(
    "loss",
    [mlcloss.dice_loss, mlcloss.jaccard_loss, mlcloss.tversky_loss],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize("smooth", [(1e-5, 1e-5), (0.0, 1e-7), (0.0, 0.0), (1.0, 2.0)])
def test_a_perfect_empty_prediction_costs_zero(loss, smooth):
    torch = pytest.importorskip("torch")
    nr, dr = smooth
    x = torch.zeros(2, 6, dtype=torch.float64, requires_grad=True)
    value = loss(x, torch.zeros(2, 6), smooth_nr=nr, smooth_dr=dr, reduction="none")
    assert value.tolist() == [0.0, 0.0]
    (grad,) = torch.autograd.grad(value.sum(), x)
    assert torch.isfinite(grad).all()
    gamma = {"gamma": 0.5} if loss is mlcloss.tversky_loss else {}
    logits = torch.full((2, 6), -float("inf"), dtype=torch.float64, requires_grad=True)
    value = loss(logits, torch.zeros(2, 6), activation="sigmoid", **gamma)
    (grad,) = torch.autograd.grad(value, logits)
    assert float(value.detach()) == 0.0 and torch.isfinite(grad).all()


def test_the_peers_on_an_empty_mask(keras_tf, jnp):
    """The values the peers give a perfect empty prediction, beside ours (0 throughout)."""
    monai = pytest.importorskip("monai")
    torch = pytest.importorskip("torch")
    import optax

    keras, _ = keras_tf
    zero = torch.zeros(1, 1, 6, dtype=torch.float64)
    assert float(monai.losses.DiceLoss()(zero, zero)) == 0.0  # smooth_nr = smooth_dr
    assert float(monai.losses.DiceLoss(smooth_nr=0.0)(zero, zero)) == 1.0
    assert np.isnan(float(monai.losses.DiceLoss(smooth_nr=0.0, smooth_dr=0.0)(zero, zero)))
    # optax takes logits (apply_softmax=False wants distributions over the classes): sigmoid(−∞)
    never = jnp.full((1, 6, 1), -jnp.inf)
    assert float(optax.losses.dice_loss(never, jnp.zeros((1, 6, 1)))[0]) == 0.0  # smooth=1
    assert float(keras.losses.dice(np.zeros((1, 6)), np.zeros((1, 6)))) == 1.0
    assert float(keras.losses.tversky(np.zeros((1, 6)), np.zeros((1, 6)))) == 1.0
    for options in ({}, {"smooth_nr": 0.0}, {"smooth_nr": 0.0, "smooth_dr": 0.0}, KERAS):
        assert float(mlcloss.dice_loss(zero[0], zero[0], **options)) == 0.0
        assert float(mlcloss.tversky_loss(zero[0], zero[0], **options)) == 0.0


def test_an_empty_target_beside_a_prediction_costs_about_one():
    p = np.full((1, 6), 0.2)
    np.testing.assert_allclose(mlcloss.dice_loss(p, EMPTY[:1]), 1 - 1e-5 / (1.2 + 1e-5))
    np.testing.assert_allclose(mlcloss.dice_loss(p, EMPTY[:1], **KERAS), 1.0)


# -- labels, where and checks -----------------------------------------------------------------


def test_class_indices_equal_their_one_hot_labels():
    index = np.array([[0, 2, 1, 2], [1, 1, 0, 2]])  # [B, N] beside [B, C=3, N] logits
    x = RNG.normal(size=(2, 3, 4))
    dense = (index[:, None, :] == np.arange(3)[None, :, None]).astype(np.int64)
    for loss in (mlcloss.dice_loss, mlcloss.jaccard_loss, mlcloss.tversky_loss):
        options = {"activation": "softmax", "class_axis": 1, "reduction": "none"}
        np.testing.assert_array_equal(loss(x, index, **options), loss(x, dense, **options))
    options = {"activation": "softmax", "class_axis": 1, "axis": 2, "reduction": "none"}
    got = mlcloss.generalized_dice_loss(x, index, **options)
    np.testing.assert_array_equal(got, mlcloss.generalized_dice_loss(x, dense, **options))


def test_an_overlap_with_nothing_kept_leaves_the_mean():
    p, t = 1 / (1 + np.exp(-LOGITS[0])), MULTI_HOT[0]  # [C, H, W]
    where = np.ones(p.shape, bool)
    where[1] = False  # class 1 leaves
    kept = [0, 2, 3]
    rows = mlcloss.dice_loss(p, t, axis=(1, 2), where=where, reduction="none")
    assert rows[1] == 0.0
    want = mlcloss.dice_loss(p[kept], t[kept], axis=(1, 2), reduction="none")
    np.testing.assert_allclose(rows[kept], want, rtol=1e-15)
    np.testing.assert_allclose(mlcloss.dice_loss(p, t, axis=(1, 2), where=where), want.mean())


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT, activation="relu"), ValueError, "activation"),
        (
            lambda: mlcloss.dice_loss(LOGITS[:, :1], ONE_HOT[:, :1], activation="softmax", class_axis=1),
            ValueError,
            "2 or more classes",
        ),
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT, axis=(3, -1)), ValueError, "axis names an axis twice"),
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT, axis=4), ValueError, "axis=4 is out of range"),
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT[:, :, :2]), ValueError, r"labels must have the shape"),
        (lambda: mlcloss.dice_loss(LOGITS, INDEX * 1.0, class_axis=1), TypeError, "integer dtype"),
        (lambda: mlcloss.dice_loss(LOGITS, INDEX + 1, class_axis=1), ValueError, r"class ids in \[0, 4\)"),
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT * 2), ValueError, "labels has invalid values"),
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT, smooth_dr=-1.0), ValueError, "smooth_dr"),
        (lambda: mlcloss.tversky_loss(LOGITS, ONE_HOT, gamma=0.0), ValueError, "gamma"),
        (lambda: mlcloss.tversky_loss(LOGITS, ONE_HOT, alpha=-0.1), ValueError, "alpha"),
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT, class_weights=[1.0, 2.0]), ValueError, "class_weights"),
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT, include_background=0), TypeError, "include_background"),
        (lambda: mlcloss.dice_loss(LOGITS, ONE_HOT, reduction="batchmean"), ValueError, "reduction"),
        (lambda: mlcloss.generalized_dice_loss(LOGITS, ONE_HOT, class_axis=1, axis=1), ValueError, "class_axis"),
        (lambda: mlcloss.generalized_dice_loss(LOGITS, ONE_HOT, weight_type="log"), ValueError, "weight_type"),
    ],
)  # fmt: skip
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
