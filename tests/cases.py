"""The shared cases of the gradient, tracing and framework-class tests: one per loss form.

A case is ``(function, prediction, [labels], {array options}, {options})``,
optionally followed by the function whose finite differences give the
expected gradient, when that is not the loss's own (circle loss).
"""

from __future__ import annotations

import numpy as np

import mlcloss
from mlcloss.testing import oracles

RNG = np.random.default_rng(7)
LOGITS = RNG.normal(size=(4, 6)) * 2
HARD = (RNG.random((4, 6)) < 0.4).astype(np.int64)
HARD[0] = 0
SOFT = RNG.random((4, 6))
INDEX = np.array([[1, 4, -1], [0, 0, 5], [-1, -1, -1], [2, 3, 1]])
WHERE = RNG.random((4, 6)) < 0.8
SIMILARITIES = np.tanh(RNG.normal(size=(4, 6)))
GP_LOGITS = RNG.normal(size=(2, 2, 4, 4))
GP_PAIRS = np.array(
    [[[[0, 1], [2, 2]], [[-1, -1], [-1, -1]]], [[[1, 3], [-1, -1]], [[0, 0], [3, 3]]]]
)
GP_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
CLASS = np.array([1, -100, 5, 0])
CLASS_W = RNG.random(6) + 0.5
PROBS = RNG.dirichlet(np.ones(6), 4)
UNIT = RNG.uniform(0.05, 0.95, (4, 6))
THREE = np.zeros((4, 6), np.int64)
THREE[[0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], [0, 2, 5, 1, 2, 3, 0, 1, 4, 3, 4, 5]] = 1
WHERE_CLASS = WHERE | (np.arange(6) == np.array([1, 0, 5, 0])[:, None])  # labels stay kept
OUTPUT = {  # an output layer of 30 classes over 6 features, with 5 sampled classes (2 and 9 hit)
    "weights": RNG.normal(size=(30, 6)),
    "biases": RNG.normal(size=30),
    "sampled": np.array([2, 9, 17, 4, 25]),
    "true_count": RNG.uniform(0.05, 0.9, (4, 2)),
    "sampled_count": RNG.uniform(0.05, 0.9, 5),
}
TRUE_CLASSES = np.array([[2, 11], [9, 9], [0, 29], [4, 2]])


def _sampled(loss):
    """``loss`` with the hidden states first, as the cases call it."""

    def call(inputs, labels, *, weights, biases, sampled, true_count, sampled_count, **options):
        values = (sampled, true_count, sampled_count)
        return loss(weights, biases, labels, inputs, sampled_values=values, **options)

    return call


CASES = {
    "dense": (mlcloss.multilabel_categorical_crossentropy, LOGITS, [HARD], {}, {}),
    "dense-where-threshold": (
        mlcloss.multilabel_categorical_crossentropy,
        LOGITS,
        [HARD],
        {"where": WHERE},
        {"threshold": 0.3},
    ),
    "soft": (mlcloss.multilabel_categorical_crossentropy, LOGITS, [SOFT], {}, {}),
    "sparse": (
        mlcloss.sparse_multilabel_categorical_crossentropy,
        LOGITS,
        [INDEX],
        {},
        {"ignore_index": -1},
    ),
    "global-pointer": (
        mlcloss.global_pointer_crossentropy,
        GP_LOGITS,
        [GP_PAIRS],
        {"mask": GP_MASK},
        {"sparse": True},
    ),
    "probabilities": (mlcloss.multilabel_probabilities, LOGITS, [], {}, {"threshold": 0.1}),
    "softmax-ce-index": (
        mlcloss.softmax_cross_entropy,
        LOGITS,
        [CLASS],
        {"class_weights": CLASS_W, "where": WHERE_CLASS},
        {"ignore_index": -100, "label_smoothing": 0.1},
    ),
    "softmax-ce-probabilities": (
        mlcloss.softmax_cross_entropy,
        LOGITS,
        [PROBS],
        {"where": WHERE},
        {"label_smoothing": 0.2},
    ),
    "nll": (mlcloss.nll_loss, LOGITS, [CLASS], {"class_weights": CLASS_W}, {"ignore_index": -100}),
    "softmax-focal": (
        mlcloss.softmax_focal_loss,
        LOGITS,
        [PROBS],
        {},
        {"gamma": 0.5, "alpha": 0.3},
    ),
    "kl": (mlcloss.kl_divergence, LOGITS, [PROBS], {}, {}),
    "sigmoid-ce": (
        mlcloss.sigmoid_cross_entropy,
        LOGITS,
        [SOFT],
        {"pos_weight": CLASS_W, "where": WHERE},
        {"label_smoothing": 0.1},
    ),
    "binary-ce": (mlcloss.binary_cross_entropy, UNIT, [SOFT], {}, {}),
    "sigmoid-focal": (mlcloss.sigmoid_focal_loss, LOGITS, [SOFT], {}, {"gamma": 0.5}),
    "asymmetric": (mlcloss.asymmetric_loss, LOGITS, [HARD], {}, {"gamma_pos": 1.0}),
    "squared-error": (mlcloss.squared_error, LOGITS, [SOFT], {"where": WHERE}, {}),
    "hinge": (mlcloss.hinge_loss, LOGITS, [HARD > 0], {}, {"margin": 0.5}),
    "combinatorial-fixed": (
        mlcloss.combinatorial_softmax_crossentropy,
        LOGITS,
        [THREE],
        {},
        {"k": 3},
    ),
    "combinatorial-variable": (
        mlcloss.combinatorial_softmax_crossentropy,
        LOGITS,
        [HARD],
        {"threshold": RNG.normal(size=4)},
        {"k": 5, "variable": True},
    ),
    "unified-pairwise": (
        mlcloss.unified_pairwise_loss,
        LOGITS,
        [HARD],
        {"where": WHERE},
        {"scale": 1.5, "margin": 0.2},
    ),
    "circle": (
        mlcloss.circle_loss,
        SIMILARITIES,
        [HARD],
        {"where": WHERE},
        {"scale": 16.0, "margin": 0.25},
        # the gradient holds the adaptive weights α constant at the evaluation point
        lambda s: oracles.circle(
            s, HARD, scale=16.0, margin=0.25, where=WHERE, weights_from=SIMILARITIES
        ).mean(),
    ),
    "pairwise-hinge": (mlcloss.pairwise_hinge_loss, LOGITS[:, :1], [LOGITS[:, 1:]], {}, {}),
    "sampled-softmax": (
        _sampled(mlcloss.sampled_softmax_loss),
        LOGITS,
        [TRUE_CLASSES],
        OUTPUT,
        {"num_sampled": 5, "num_classes": 30, "num_true": 2, "reduction": "none"},
    ),
    "nce": (
        _sampled(mlcloss.nce_loss),
        LOGITS,
        [TRUE_CLASSES],
        OUTPUT,
        {"num_sampled": 5, "num_classes": 30, "num_true": 2, "remove_accidental_hits": True},
    ),
}
