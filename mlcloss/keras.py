"""Keras 3 ``Loss`` classes for the losses, generated from :mod:`mlcloss.capabilities`.

Each class is the CamelCase of its function (``SoftmaxCrossEntropy`` for
:func:`mlcloss.softmax_cross_entropy`) and works in ``model.compile(loss=…)``
on every Keras backend (TensorFlow, JAX, PyTorch). The Keras way holds:

- ``call(y_true, y_pred)`` returns one loss per example, and Keras then
  applies ``sample_weight``, masks and ``reduction``
  (``"sum_over_batch_size"`` by default), as for its own losses. The
  reduction rule: a class-set loss (softmax CE, ZLPR, …) is the function
  with ``reduction="none"``; an elementwise loss (sigmoid CE, BCE, focal,
  ASL, squared error, hinge) is the mean over the last axis of the
  function's elementwise values, as Keras's ``BinaryCrossentropy``,
  ``MeanSquaredError`` and ``Hinge`` do (a ``where`` given to ``__init__``
  keeps that mean to the kept elements; a row with none kept leaves the
  batch mean). A ``[batch]`` ``sample_weight`` therefore weighs examples,
  ``reduction="sum"`` sums examples, and ``[batch]`` labels beside
  ``[batch, 1]`` predictions are matched by rank as in Keras.
- ``ignore_index`` on class-index labels (softmax CE, NLL) is Keras's
  ``ignore_class``: ignored examples lose 0 and are masked, so the batch mean
  divides by the examples kept, with or without ``sample_weight``.
- ``name`` and ``dtype`` are Keras's. Keras casts ``y_true`` to the loss's
  dtype; class indices are cast back to integers: always for the sparse
  multi-label loss and ``sparse=True`` GlobalPointer labels, and by shape for
  softmax cross-entropy, NLL and softmax focal (``[batch]`` or ``[batch, 1]``
  beside ``[batch, C]`` logits are indices, as for Keras's sparse losses).
  The losses declared on ±1 labels (``HingeLoss``, ``SquaredHingeLoss``,
  ``PerceptronLoss``, ``SoftMarginLoss``, ``HingeEmbeddingLoss``) convert
  labels that are all 0 or 1 to ±1, as Keras's ``Hinge`` and ``SquaredHinge``
  do (other labels must be ±1, as for :func:`mlcloss.hinge_loss`).
- Array options (``class_weights``, ``pos_weight``, a per-class ``alpha``,
  ``where``) are kept as lists, so ``get_config`` is plain JSON; every class
  is registered under the package name ``mlcloss``, so
  ``keras.losses.deserialize`` and saved models round-trip.
"""

from __future__ import annotations

import keras

from .capabilities import MODULES

try:  # Keras >= 3.6: the mask of a tensor on every backend (JAX arrays take no attributes)
    from keras.src.backend import set_keras_mask as _set_keras_mask
except ImportError:  # pragma: no cover - older Keras 3 reads the attribute

    def _set_keras_mask(x, mask):
        x._keras_mask = mask


__all__ = ["Loss"]


class Loss(keras.losses.Loss):
    """The base of every generated class: ``function`` with its options bound."""

    #: the loss function and its capability entry (set on each generated class)
    function = None
    spec = None

    def __init__(self, *, reduction="sum_over_batch_size", name=None, dtype=None, **options):
        super().__init__(name=name or self.spec.name, reduction=reduction, dtype=dtype)
        self.spec.check_options(options, where="__init__()", exclude=("reduction", "sample_weight"))
        self._options = {
            key: value.tolist() if hasattr(value, "tolist") else value
            for key, value in options.items()
        }

    def call(self, y_true, y_pred):
        options = dict(self._options)
        where = options.get("where")
        if where is not None:
            where = options["where"] = keras.ops.convert_to_tensor(where, dtype="bool")
        if self.spec.kind == "elementwise":
            y_true, y_pred = _same_rank(y_true, y_pred)
        labels = self._labels(y_true, y_pred)
        losses = self.function(y_pred, labels, reduction="none", **options)
        mask = None
        if self.spec.kind == "elementwise":  # Keras's per-example mean over the last axis
            losses, mask = _mean_over_last_axis(losses, where)
        ignore_index = options.get("ignore_index")
        if (
            ignore_index is not None
            and _is_integer(labels)
            and len(labels.shape) == len(losses.shape)
        ):
            # Keras's ignore_class: the ignored examples leave the reduction's count
            mask = keras.ops.not_equal(labels, ignore_index)
            losses = keras.ops.where(mask, losses, keras.ops.zeros_like(losses))
        if mask is not None:
            _set_keras_mask(losses, mask)
        return losses

    def _labels(self, y_true, y_pred):
        kind = self.spec.labels
        if kind == "signed":
            return _hinge_labels(y_true)
        if kind == "index" or self._options.get("sparse"):
            return keras.ops.cast(y_true, "int32")
        if kind == "dense-or-index":
            if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1 != y_pred.shape[-1]:
                y_true = keras.ops.squeeze(y_true, axis=-1)
            if len(y_true.shape) == len(y_pred.shape) - 1:
                return keras.ops.cast(y_true, "int32")
        return y_true

    def get_config(self):
        return {**super().get_config(), **self._options}


def _same_rank(y_true, y_pred):
    """Keras's ``squeeze_or_expand_to_same_rank``: ranks one apart meet on a trailing 1."""
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if pred_rank == true_rank + 1 and y_pred.shape[-1] == 1:
        if true_rank == 1:
            y_true = keras.ops.expand_dims(y_true, axis=-1)
        else:
            y_pred = keras.ops.squeeze(y_pred, axis=-1)
    elif true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        if pred_rank == 1:
            y_pred = keras.ops.expand_dims(y_pred, axis=-1)
        else:
            y_true = keras.ops.squeeze(y_true, axis=-1)
    return y_true, y_pred


def _mean_over_last_axis(losses, where):
    """The per-example mean of elementwise ``losses`` and its mask (None without ``where``).

    With ``where``, the mean counts the kept elements only (the function gives the
    others 0), and a row with none kept is masked out of Keras's reduction.
    """
    if where is None:
        return keras.ops.mean(losses, axis=-1), None
    kept = keras.ops.cast(keras.ops.broadcast_to(where, keras.ops.shape(losses)), losses.dtype)
    count = keras.ops.sum(kept, axis=-1)
    mean = keras.ops.divide_no_nan(keras.ops.sum(losses, axis=-1), count)
    return mean, keras.ops.greater(count, 0)


def _is_integer(x):
    return "int" in keras.backend.standardize_dtype(x.dtype)


def _hinge_labels(y_true):
    """Keras's ``convert_binary_labels_to_hinge``: labels that are all 0 or 1 become ±1.

    A tensor condition (no Python branch on values), so it traces on every backend.
    """
    zero_or_one = keras.ops.logical_or(keras.ops.equal(y_true, 0), keras.ops.equal(y_true, 1))
    binary = keras.ops.all(zero_or_one)
    return keras.ops.where(binary, 2.0 * y_true - 1.0, y_true)


def _loss_class(spec):
    cls = spec.subclass(
        Loss,
        module=__name__,
        form=(
            f"The Keras form of :func:`mlcloss.{spec.name}`: its options go to "
            f"``__init__`` with Keras's ``reduction``, ``name`` and ``dtype``."
        ),
    )
    return keras.saving.register_keras_serializable(package="mlcloss", name=spec.class_name)(cls)


for _spec in MODULES:
    if _spec.keras:
        globals()[_spec.class_name] = _loss_class(_spec)
        __all__.append(_spec.class_name)
del _spec
