"""The capability table: every public loss once, with what the wrappers and the tests need to know.

The framework classes (:mod:`mlcloss.torch`, :mod:`mlcloss.keras`) are
generated from it and the test suite enumerates it, so a new loss cannot
miss a wrapper or a test. Keep it in the order of the README's tables.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from .losses import binary, combinatorial, margin, multilabel, pairwise, regression, softmax


@dataclass(frozen=True)
class LossSpec:
    """One public loss.

    ``function(prediction, labels, /, **options)`` is the loss. ``arrays``
    names the options that may hold per-class arrays (a torch module keeps
    them as buffers). ``labels`` says what the second argument holds:
    ``"dense"`` (the shape of the prediction), ``"index"`` (class indices
    with the class axis dropped, ``[..., K]`` index lists for the sparse
    multi-label losses) or ``"dense-or-index"`` (softmax CE and its kin:
    decided by the shape). ``keras``: whether a Keras ``Loss`` fits, which
    needs ``call(y_true, y_pred)``.
    """

    function: object
    class_name: str
    kind: str = "class-set"
    arrays: tuple[str, ...] = ()
    labels: str = "dense"
    keras: bool = True

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def options(self) -> list[inspect.Parameter]:
        """The function's keyword-only parameters (everything but prediction and labels)."""
        parameters = inspect.signature(self.function).parameters.values()
        return [p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]

    def subclass(self, base: type, *, module: str, form: str) -> type:
        """A subclass of ``base`` named ``class_name`` that computes ``function``.

        Its docstring is the function's summary line, then ``form``: how the
        wrapper takes the options.
        """
        summary = inspect.getdoc(self.function).splitlines()[0]
        namespace = {
            "function": staticmethod(self.function),
            "spec": self,
            "__module__": module,
            "__doc__": f"{summary}\n\n{form}",
        }
        return type(self.class_name, (base,), namespace)

    def check_options(self, options, *, where: str, exclude=(), complete=True) -> None:
        """Raise ``TypeError`` for an option the function does not take, or a required one missing.

        ``where`` names the call in the message; ``exclude`` lists options the
        wrapper owns itself; ``complete=False`` skips the required check (a
        call that adds to options given earlier).
        """
        accepted = [p.name for p in self.options if p.name not in exclude]
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise TypeError(
                f"mlcloss: {self.name} takes no option {', '.join(map(repr, unknown))} "
                f"in {where}; expected some of {', '.join(accepted)}"
            )
        missing = [
            p.name
            for p in self.options
            if p.default is inspect.Parameter.empty and p.name not in options
        ]
        if complete and missing:
            raise TypeError(f"mlcloss: {self.name} needs the option(s) {', '.join(missing)}")


LOSSES = (
    LossSpec(multilabel.multilabel_categorical_crossentropy, "MultilabelCategoricalCrossentropy"),
    LossSpec(
        multilabel.sparse_multilabel_categorical_crossentropy,
        "SparseMultilabelCategoricalCrossentropy",
        labels="index",
    ),
    LossSpec(multilabel.global_pointer_crossentropy, "GlobalPointerCrossentropy"),
    LossSpec(
        softmax.softmax_cross_entropy,
        "SoftmaxCrossEntropy",
        arrays=("class_weights",),
        labels="dense-or-index",
    ),
    LossSpec(softmax.nll_loss, "NLLLoss", arrays=("class_weights",), labels="dense-or-index"),
    LossSpec(
        softmax.softmax_focal_loss,
        "SoftmaxFocalLoss",
        arrays=("alpha",),
        labels="dense-or-index",
    ),
    LossSpec(softmax.kl_divergence, "KLDivergence"),
    LossSpec(
        binary.sigmoid_cross_entropy,
        "SigmoidCrossEntropy",
        kind="elementwise",
        arrays=("pos_weight",),
    ),
    LossSpec(binary.binary_cross_entropy, "BinaryCrossEntropy", kind="elementwise"),
    LossSpec(binary.sigmoid_focal_loss, "SigmoidFocalLoss", kind="elementwise"),
    LossSpec(binary.asymmetric_loss, "AsymmetricLoss", kind="elementwise"),
    LossSpec(regression.squared_error, "SquaredError", kind="elementwise"),
    LossSpec(margin.hinge_loss, "HingeLoss", kind="elementwise"),
    LossSpec(margin.pairwise_hinge_loss, "PairwiseHingeLoss", kind="pairwise", keras=False),
    LossSpec(combinatorial.combinatorial_softmax_crossentropy, "CombinatorialSoftmaxCrossentropy"),
    LossSpec(pairwise.unified_pairwise_loss, "UnifiedPairwiseLoss"),
    LossSpec(pairwise.circle_loss, "CircleLoss"),
)
"""The losses of the form ``loss(prediction, labels, /, **options)``.

The sampled losses (TensorFlow's ``(weights, biases, labels, inputs)``) and
the helpers (probabilities, predictions, label smoothing, the sampler) are
not in it: they are not a prediction scored against labels.
"""
