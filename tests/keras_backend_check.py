"""Run by tests/test_keras_losses.py once per Keras backend (KERAS_BACKEND is set by the caller).

Keras's conventions against Keras's own classes (elementwise losses reduce per
example, ``ignore_index`` is ``ignore_class``, hinge takes 0/1 labels), every
Keras loss class against its function, then ``compile`` + ``fit``, mixed
precision, and a saved model round trip. Fails with an assertion. With the
argument ``conventions`` only the first, eager and ``evaluate`` checks run
(``test_keras_conventions.py``, outside the ``slow`` marker).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from cases import CASES  # noqa: E402

import mlcloss  # noqa: E402
import mlcloss.keras  # noqa: E402
from mlcloss.capabilities import LOSSES  # noqa: E402

SPECS = {spec.function: spec for spec in LOSSES if spec.keras}


def check_every_class_against_its_function():
    checked = set()
    for name, (fn, prediction, args, arrays, options, *_) in CASES.items():
        spec = SPECS.get(fn)
        if spec is None or spec.name in checked:  # one case a loss: the class is per loss
            continue
        # Keras's call takes no per-call arrays (where, mask): the case runs without them
        hyper = {k: v for k, v in arrays.items() if k in spec.arrays}
        options = {k: v for k, v in options.items() if k != "reduction"}
        loss = getattr(mlcloss.keras, spec.class_name)(**hyper, **options)
        y_pred = keras.ops.convert_to_tensor(prediction.astype("float32"))
        # Keras casts labels to float: bool hinge labels arrive as 0/1, which HingeLoss maps to ±1
        got = float(keras.ops.convert_to_numpy(loss(args[0], y_pred)))
        # Keras reduces the per-example losses itself: "sum_over_batch_size" is their plain mean,
        # an elementwise loss's example being the mean of its last axis, and the examples whose
        # class label is ignore_index leaving the mean (Keras's ignore_class)
        rows = fn(prediction, args[0], **hyper, **options, reduction="none")
        if spec.kind == "elementwise":
            rows = np.mean(rows, axis=-1)
        labels = np.asarray(args[0])
        if options.get("ignore_index") is not None and labels.shape == rows.shape:
            rows = rows[labels != options["ignore_index"]]
        want = np.mean(rows) if rows.size else 0.0
        assert np.isclose(got, want, rtol=2e-5), (name, got, want)
        again = keras.losses.deserialize(keras.losses.serialize(loss))
        assert type(again) is type(loss) and again.get_config() == loss.get_config(), name
        checked.add(spec.name)
    assert checked == {spec.name for spec in SPECS.values()}, set(SPECS) - checked


def fit(loss, labels, outputs, *, policy="float32"):
    keras.mixed_precision.set_dtype_policy(policy)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 10)).astype("float32")
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(outputs)])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=loss)
    history = model.fit(x, labels, epochs=4, batch_size=16, verbose=0).history["loss"]
    assert np.all(np.isfinite(history)) and history[-1] < history[0], history
    predictions = keras.ops.convert_to_numpy(model(x)).astype("float64")
    evaluated = model.evaluate(x, labels, batch_size=64, verbose=0)
    keras.mixed_precision.set_dtype_policy("float32")
    return model, x, predictions, evaluated


def check_fit_and_save():
    rng = np.random.default_rng(1)
    classes = rng.integers(0, 5, 64)
    loss = mlcloss.keras.SoftmaxCrossEntropy(class_weights=[1.0, 2.0, 1.0, 1.0, 0.5])
    model, x, predictions, evaluated = fit(loss, classes, 5)
    per_example = mlcloss.softmax_cross_entropy(
        predictions, classes, class_weights=[1.0, 2.0, 1.0, 1.0, 0.5], reduction="none"
    )
    assert np.isclose(evaluated, per_example.mean(), rtol=1e-5), (evaluated, per_example.mean())

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
        assert type(loaded.loss) is mlcloss.keras.SoftmaxCrossEntropy
        assert loaded.loss.get_config() == loss.get_config()
        again = loaded.evaluate(x, classes, batch_size=64, verbose=0)
        assert np.isclose(again, evaluated, rtol=1e-6), (again, evaluated)

    multi_hot = (rng.random((64, 6)) < 0.3).astype("float32")
    zlpr = mlcloss.keras.MultilabelCategoricalCrossentropy()
    _, _, predictions, evaluated = fit(zlpr, multi_hot, 6, policy="mixed_float16")
    want = mlcloss.multilabel_categorical_crossentropy(predictions, multi_hot)
    assert np.isclose(evaluated, want, rtol=1e-3), (evaluated, want)  # float16 predictions


def _reductions():
    """Every reduction this Keras has ("mean_with_sample_weight" is Keras >= 3.7)."""
    names = ["sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight"]
    found = []
    for name in names:
        try:
            keras.losses.MeanSquaredError(reduction=name)
        except ValueError:
            continue
        found.append(name)
    return found


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


def _agree(ours, theirs, y_true, y_pred, *, label, examples=None, rtol=1e-5, atol=1e-6):
    """``ours`` equals the Keras loss ``theirs`` built alike, for every reduction, with and
    without a per-example ``sample_weight`` (of shape ``examples``, ``[batch]`` by default)."""
    examples = examples or np.shape(y_pred)[:1]
    weights = np.linspace(0.25, 2.0, int(np.prod(examples))).reshape(examples).astype("float32")
    for reduction in _reductions():
        mine = ours(reduction)
        peer = theirs(reduction)
        for sample_weight in (None, weights):
            got = _numpy(mine(y_true, y_pred, sample_weight=sample_weight))
            want = _numpy(peer(y_true, y_pred, sample_weight=sample_weight))
            where = (label, reduction, sample_weight is not None)
            assert got.shape == want.shape, (*where, got.shape, want.shape)
            assert np.allclose(got, want, rtol=rtol, atol=atol), (*where, got, want)


def check_elementwise_losses_reduce_per_example():
    """An elementwise class returns the per-example mean over the last axis, as Keras's own."""
    mk, kl = mlcloss.keras, keras.losses
    rng = np.random.default_rng(3)
    for batch, classes in ((8, 5), (5, 5), (6, 1)):  # 5 x 5: a [batch] weight is not per class
        logits = (rng.normal(size=(batch, classes)) * 2).astype("float32")
        probs = rng.uniform(0.05, 0.95, (batch, classes)).astype("float32")
        hard = (rng.random((batch, classes)) < 0.4).astype("float32")
        soft = rng.random((batch, classes)).astype("float32")
        signed = 2 * hard - 1
        pairs = {
            "squared-error": (mk.SquaredError, {}, kl.MeanSquaredError, {}, soft, logits),
            "sigmoid-ce": (
                mk.SigmoidCrossEntropy,
                {},
                kl.BinaryCrossentropy,
                {"from_logits": True},
                soft,
                logits,
            ),
            "sigmoid-ce-smoothed": (
                mk.SigmoidCrossEntropy,
                {"label_smoothing": 0.2},
                kl.BinaryCrossentropy,
                {"from_logits": True, "label_smoothing": 0.2},
                hard,
                logits,
            ),
            "binary-ce": (mk.BinaryCrossEntropy, {}, kl.BinaryCrossentropy, {}, soft, probs),
            "sigmoid-focal-balanced": (
                mk.SigmoidFocalLoss,
                {"alpha": 0.3, "gamma": 2.0},
                kl.BinaryFocalCrossentropy,
                {"apply_class_balancing": True, "alpha": 0.3, "gamma": 2.0, "from_logits": True},
                hard,
                logits,
            ),
            "sigmoid-focal": (
                mk.SigmoidFocalLoss,
                {"alpha": None, "gamma": 1.5},
                kl.BinaryFocalCrossentropy,
                {"gamma": 1.5, "from_logits": True},
                hard,
                logits,
            ),
            "hinge": (mk.HingeLoss, {}, kl.Hinge, {}, signed, logits),
            "squared-hinge": (mk.SquaredHingeLoss, {}, kl.SquaredHinge, {}, signed, logits),
            "squared-hinge 0/1": (mk.SquaredHingeLoss, {}, kl.SquaredHinge, {}, hard, logits),
        }
        for label, (ours, options, theirs, peer_options, y_true, y_pred) in pairs.items():
            _agree(
                lambda reduction, c=ours, o=options: c(reduction=reduction, **o),
                lambda reduction, c=theirs, o=peer_options: c(reduction=reduction, **o),
                y_true,
                y_pred,
                label=(label, batch, classes),
                rtol=1e-4 if "focal" in label else 1e-5,
            )
        # [batch] labels beside [batch, 1] predictions meet by rank, as in Keras
        _agree(
            lambda reduction: mk.SigmoidCrossEntropy(reduction=reduction),
            lambda reduction: kl.BinaryCrossentropy(from_logits=True, reduction=reduction),
            hard[:, 0],
            logits[:, :1],
            label=("sigmoid-ce [batch] labels", batch),
        )

    # every elementwise loss, present and future: "none" is the mean of its row of elements
    logits = rng.normal(size=(8, 5)).astype("float32")
    probs = (1 / (1 + np.exp(-logits))).astype("float32")
    hard = rng.random((8, 5)) < 0.4
    weights = np.linspace(0.5, 1.5, 8).astype("float32")
    elementwise = [spec for spec in SPECS.values() if spec.kind == "elementwise"]
    assert len(elementwise) >= 6, elementwise
    # the sparse twins take hard's positives as index lists padded by -1
    positives = np.full((8, 5), -1)
    for row, classes in enumerate(hard):
        found = np.flatnonzero(classes)
        positives[row, : found.size] = found
    for spec in elementwise:
        sparse = spec.labels == "index"
        loss = getattr(mlcloss.keras, spec.class_name)
        options = {"ignore_index": -1} if sparse else {}
        y_true = positives if sparse else hard.astype("float32")
        rows = spec.function(probs.astype("float64"), positives if sparse else hard,
                             reduction="none", **options)  # fmt: skip
        rows = np.mean(rows, axis=-1)
        got = _numpy(loss(reduction="none", **options)(y_true, probs))
        assert got.shape == (8,) and np.allclose(got, rows, rtol=1e-5), (spec.name, got, rows)
        got = _numpy(loss(reduction="sum", **options)(y_true, probs, sample_weight=weights))
        assert np.isclose(got, np.sum(weights * rows), rtol=1e-5), (spec.name, got)

    # where= keeps the per-example mean to the kept elements; a row with none kept leaves the mean
    where = rng.random((8, 5)) < 0.6
    where[2] = False
    where[3, 0] = True
    squared = np.where(where, (logits - hard) ** 2, 0.0)
    kept = where.sum(-1)
    rows = np.divide(squared.sum(-1), kept, out=np.zeros(8), where=kept > 0)
    cases = {
        "none": rows,
        "sum": np.sum(weights * rows),
        "sum_over_batch_size": np.sum(weights * rows) / (kept > 0).sum(),
    }
    for reduction, want in cases.items():
        loss = mlcloss.keras.SquaredError(where=where, reduction=reduction)
        got = _numpy(loss(hard.astype("float32"), logits, sample_weight=weights))
        if reduction == "none":
            got = got / weights
        assert np.allclose(got, want, rtol=1e-5), (reduction, got, want)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert again.get_config() == loss.get_config(), again.get_config()


def check_ignore_index_is_keras_ignore_class():
    """``ignore_index`` masks the ignored examples out of Keras's reduction, as ``ignore_class``."""
    rng = np.random.default_rng(4)
    logits = (rng.normal(size=(8, 5)) * 2).astype("float32")
    log_probs = np.asarray(_numpy(keras.ops.log_softmax(logits, axis=-1)), "float32")
    for ignore in (-1, 3):
        labels = rng.integers(0, 5, 8)
        labels[[1, 4, 5]] = ignore
        for y_true in (labels, labels[:, None], labels.astype("float32")):
            for cls, inputs in (
                (mlcloss.keras.SoftmaxCrossEntropy, logits),
                (mlcloss.keras.NLLLoss, log_probs),
            ):
                _agree(
                    lambda reduction, c=cls, i=ignore: c(ignore_index=i, reduction=reduction),
                    lambda reduction, i=ignore: keras.losses.SparseCategoricalCrossentropy(
                        from_logits=True, ignore_class=i, reduction=reduction
                    ),
                    y_true,
                    inputs,
                    label=(cls.__name__, ignore, np.shape(y_true)),
                )
    # per-position labels (segmentation), and a batch with every label ignored (0, as Keras)
    pixels = (rng.normal(size=(2, 3, 4, 5))).astype("float32")
    classes = rng.integers(-1, 5, (2, 3, 4))
    for y_true in (classes, np.full((2, 3, 4), -1)):
        _agree(
            lambda reduction: mlcloss.keras.SoftmaxCrossEntropy(
                ignore_index=-1, reduction=reduction
            ),
            lambda reduction: keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, ignore_class=-1, reduction=reduction
            ),
            y_true,
            pixels,
            label=("segmentation", int((y_true == -1).sum())),
            examples=(2, 3, 4),
        )
    # and inside compile + evaluate (traced: tf.function, jax.jit)
    x = rng.normal(size=(32, 10)).astype("float32")
    labels = rng.integers(-1, 5, 32)
    weights = rng.uniform(0.5, 2.0, 32).astype("float32")
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(5)])
    results = []
    for loss in (
        mlcloss.keras.SoftmaxCrossEntropy(ignore_index=-1),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
    ):
        model.compile(loss=loss)
        results.append(model.evaluate(x, labels, sample_weight=weights, batch_size=16, verbose=0))
    assert np.isclose(*results, rtol=1e-5), results


def check_hinge_takes_binary_labels():
    """``HingeLoss`` maps labels that are all 0/1 to ±1 as Keras's ``Hinge``; the function does not."""
    rng = np.random.default_rng(5)
    logits = (rng.normal(size=(8, 5)) * 2).astype("float32")
    hard = (rng.random((8, 5)) < 0.4).astype("float32")
    for y_true in (hard, 2 * hard - 1, hard > 0, np.zeros_like(hard), np.ones_like(hard)):
        _agree(
            lambda reduction: mlcloss.keras.HingeLoss(reduction=reduction),
            lambda reduction: keras.losses.Hinge(reduction=reduction),
            y_true,
            logits,
            label=("hinge", str(y_true.dtype), float(np.min(y_true))),
        )
    try:
        mlcloss.hinge_loss(logits, hard)
    except ValueError:
        pass
    else:
        raise AssertionError("mlcloss.hinge_loss took numeric 0/1 labels")
    # traced (tf.function, jax.jit): the 0/1 test is a tensor condition, not a Python branch
    x = rng.normal(size=(32, 10)).astype("float32")
    labels = (rng.random((32, 3)) < 0.5).astype("float32")
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3)])
    results = []
    for loss in (mlcloss.keras.HingeLoss(), keras.losses.Hinge()):
        model.compile(loss=loss)
        results.append(model.evaluate(x, labels, batch_size=16, verbose=0))
    assert np.isclose(*results, rtol=1e-5), results


def check_conventions_in_fit():
    """The three conventions through compile + fit (gradients, traced steps) and evaluate."""
    rng = np.random.default_rng(6)
    keep = np.array([True, False, True, True, False])  # a [C] where: per-example mean of 3
    multi_hot = (rng.random((64, 5)) < 0.4).astype("float32")
    loss = mlcloss.keras.SigmoidCrossEntropy(where=keep)
    _, _, predictions, evaluated = fit(loss, multi_hot, 5)
    elements = mlcloss.sigmoid_cross_entropy(predictions, multi_hot, where=keep, reduction="none")
    want = np.mean(elements.sum(-1) / keep.sum())
    assert np.isclose(evaluated, want, rtol=1e-5), (evaluated, want)

    classes = rng.integers(-1, 5, 64)
    _, _, predictions, evaluated = fit(
        mlcloss.keras.SoftmaxCrossEntropy(ignore_index=-1), classes, 5
    )
    rows = mlcloss.softmax_cross_entropy(predictions, classes, ignore_index=-1, reduction="none")
    want = rows[classes != -1].mean()
    assert np.isclose(evaluated, want, rtol=1e-5), (evaluated, want)

    binary = (rng.random((64, 3)) < 0.5).astype("float32")
    _, _, predictions, evaluated = fit(mlcloss.keras.HingeLoss(), binary, 3)
    want = mlcloss.hinge_loss(predictions, binary > 0)
    assert np.isclose(evaluated, want, rtol=1e-5), (evaluated, want)


CONVENTIONS = (
    check_elementwise_losses_reduce_per_example,
    check_ignore_index_is_keras_ignore_class,
    check_hinge_takes_binary_labels,
)


if __name__ == "__main__":
    for check in CONVENTIONS:  # `keras_backend_check.py conventions` runs these alone
        check()
    if sys.argv[1:] != ["conventions"]:
        check_every_class_against_its_function()
        check_conventions_in_fit()
        check_fit_and_save()
    print(f"ok {keras.backend.backend()}")
