"""Keras 3 ``Loss`` classes for the losses, generated from :mod:`mlcloss.capabilities`.

Each class is the CamelCase of its function (``SoftmaxCrossEntropy`` for
:func:`mlcloss.softmax_cross_entropy`) and works in ``model.compile(loss=…)``
on every Keras backend (TensorFlow, JAX, PyTorch). The Keras way holds:

- ``call(y_true, y_pred)`` returns the per-example losses (the function with
  ``reduction="none"``); Keras then applies ``sample_weight``, masks and
  ``reduction`` (``"sum_over_batch_size"`` by default), as for its own losses.
- ``name`` and ``dtype`` are Keras's. Keras casts ``y_true`` to the loss's
  dtype; class indices are cast back to integers: always for the sparse
  multi-label loss and ``sparse=True`` GlobalPointer labels, and by shape for
  softmax cross-entropy, NLL and softmax focal (``[batch]`` or ``[batch, 1]``
  beside ``[batch, C]`` logits are indices, as for Keras's sparse losses).
- Array options (``class_weights``, ``pos_weight``, a per-class ``alpha``) are
  kept as lists, so ``get_config`` is plain JSON; every class is registered
  under the package name ``mlcloss``, so ``keras.losses.deserialize`` and
  saved models round-trip.

``hinge_loss`` takes labels ±1 (Keras's ``Hinge`` also maps 0/1, which mlcloss
refuses to guess).
"""

from __future__ import annotations

import keras

from .capabilities import LOSSES

__all__ = ["Loss"]


class Loss(keras.losses.Loss):
    """The base of every generated class: ``function`` with its options bound."""

    #: the loss function and its capability entry (set on each generated class)
    function = None
    spec = None

    def __init__(self, *, reduction="sum_over_batch_size", name=None, dtype=None, **options):
        super().__init__(name=name or self.spec.name, reduction=reduction, dtype=dtype)
        self.spec.check_options(options, where="__init__()", exclude=("reduction",))
        self._options = {
            key: value.tolist() if hasattr(value, "tolist") else value
            for key, value in options.items()
        }

    def call(self, y_true, y_pred):
        return self.function(
            y_pred, self._labels(y_true, y_pred), reduction="none", **self._options
        )

    def _labels(self, y_true, y_pred):
        kind = self.spec.labels
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


for _spec in LOSSES:
    if _spec.keras:
        globals()[_spec.class_name] = _loss_class(_spec)
        __all__.append(_spec.class_name)
del _spec
