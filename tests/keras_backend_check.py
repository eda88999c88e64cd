"""Run by tests/test_keras_losses.py once per Keras backend (KERAS_BACKEND is set by the caller).

Every Keras loss class against its function, then ``compile`` + ``fit``,
mixed precision, and a saved model round trip. Fails with an assertion.
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
        if spec is None:
            continue
        # Keras's call takes no per-call arrays (where, mask): the case runs without them
        hyper = {k: v for k, v in arrays.items() if k in spec.arrays}
        options = {k: v for k, v in options.items() if k != "reduction"}
        loss = getattr(mlcloss.keras, spec.class_name)(**hyper, **options)
        y_pred = keras.ops.convert_to_tensor(prediction.astype("float32"))
        y_true = args[0]
        if y_true.dtype == bool:  # Keras casts labels to float: bool labels travel as ±1
            y_true = np.where(y_true, 1.0, -1.0)
        got = float(keras.ops.convert_to_numpy(loss(y_true, y_pred)))
        # Keras reduces the per-example losses itself: "sum_over_batch_size" is their plain mean
        want = np.mean(fn(prediction, args[0], **hyper, **options, reduction="none"))
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


if __name__ == "__main__":
    check_every_class_against_its_function()
    check_fit_and_save()
    print(f"ok {keras.backend.backend()}")
