"""The example inputs every declared loss draws its cases from, and the :class:`Case` record.

A loss's declaration (``@declare(cases=...)``, :mod:`mlcloss._lib.registry`)
is a function of this module, ``cases(ex) -> {name: Case}``: it picks inputs
from the arrays below and the float64 oracle's values from
:mod:`mlcloss.testing.oracles`. The tests, the report and the docs all read
those cases, so each loss's examples are written once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import oracles

__all__ = ["Case", "case", "cases", "kept", "np", "oracles", "sampled_case"]

RNG = np.random.default_rng(7)
LOGITS = RNG.normal(size=(4, 6)) * 2
HARD = (RNG.random((4, 6)) < 0.4).astype(np.int64)
HARD[0] = 0  # a row without positives
SOFT = RNG.random((4, 6))
INDEX = np.array([[1, 4, -1], [0, 0, 5], [-1, -1, -1], [2, 3, 1]])  # padded by -1, one repeat
WHERE = RNG.random((4, 6)) < 0.8
SIMILARITIES = np.tanh(RNG.normal(size=(4, 6)))
GP_LOGITS = RNG.normal(size=(2, 2, 4, 4))  # [batch, heads, length, length]
GP_PAIRS = np.array(
    [[[[0, 1], [2, 2]], [[-1, -1], [-1, -1]]], [[[1, 3], [-1, -1]], [[0, 0], [3, 3]]]]
)
GP_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
GP_DENSE = oracles.multi_hot(GP_PAIRS[..., 0] * 4 + GP_PAIRS[..., 1], 16, ignore_index=-5).reshape(
    GP_LOGITS.shape
)  # the same spans as a dense [batch, heads, length, length] 0/1 array
CLASS = np.array([1, -100, 5, 0])  # class indices, one ignored
CLASS_ALL = np.array([1, 3, 5, 0])  # class indices, none ignored
CLASS_W = RNG.random(6) + 0.5
PROBS = RNG.dirichlet(np.ones(6), 4)
UNIT = RNG.uniform(0.05, 0.95, (4, 6))
THREE = np.zeros((4, 6), np.int64)  # exactly three positives a row
THREE[[0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], [0, 2, 5, 1, 2, 3, 0, 1, 4, 3, 4, 5]] = 1
WHERE_CLASS = WHERE | (np.arange(6) == np.array([1, 0, 5, 0])[:, None])  # labels stay kept
THETA = RNG.normal(size=4)
OUTPUT = {  # an output layer of 30 classes over 6 features, with 5 sampled classes (2 and 9 hit)
    "weights": RNG.normal(size=(30, 6)),
    "biases": RNG.normal(size=30),
    "sampled": np.array([2, 9, 17, 4, 25]),
    "true_count": RNG.uniform(0.05, 0.9, (4, 2)),
    "sampled_count": RNG.uniform(0.05, 0.9, 5),
}
TRUE_CLASSES = np.array([[2, 11], [9, 9], [0, 29], [4, 2]])
LINEAR_LABELS = np.array([2, -100, 17, 4])  # classes of the output layer, one ignored
# Poisson counts (0, 1 and above), from a generator of their own so the arrays above stay put
COUNTS = np.random.default_rng(8).poisson(2.0, (4, 6)).astype(np.float64)


@dataclass(frozen=True)
class Case:
    """One example of a loss: ``call(prediction, *labels, **arrays, **options)``.

    ``arrays`` are the array options (converted to each framework with the
    labels), ``options`` the Python ones. ``expected`` is the oracle's
    unreduced loss (``reduction="none"``) and ``count`` the denominator of
    its mean (None: the number of entries). ``gradient_of`` is the NumPy
    function whose summed finite differences give the expected gradient in
    the prediction, where that is not the loss's own (circle loss holds its
    adaptive weights fixed). ``call`` replaces the loss function for losses
    whose prediction is not their first argument (the sampled losses).
    """

    prediction: np.ndarray
    labels: tuple = ()
    arrays: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    expected: np.ndarray | None = None
    count: float | None = None
    gradient_of: Callable | None = None
    call: Callable | None = None


def case(prediction, *labels, expected=None, count=None, gradient_of=None, call=None, **kwargs):
    """A :class:`Case`; keyword arguments holding NumPy arrays are array options, others Python."""
    arrays = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    options = {k: v for k, v in kwargs.items() if k not in arrays}
    if isinstance(expected, tuple):  # an oracle's (rows, count)
        expected, count = expected
    return Case(
        np.asarray(prediction),
        tuple(labels),
        arrays,
        options,
        None if expected is None else np.asarray(expected, np.float64),
        count,
        gradient_of,
        call,
    )


def kept(loss, where):
    """An elementwise oracle's loss with the entries ``where`` drops zeroed, and their count."""
    keep = np.broadcast_to(where, loss.shape)
    return np.where(keep, loss, 0.0), int(keep.sum())


def sampled_case(loss, oracle, **options):
    """A case of a sampled loss on the output layer :data:`OUTPUT` with its sampled classes.

    The prediction is the hidden states ``inputs`` and the labels the true
    classes; the loss is called as TensorFlow orders its arguments.
    """

    def call(inputs, labels, *, weights, biases, sampled, true_count, sampled_count, **kwargs):
        values = (sampled, true_count, sampled_count)
        return loss(weights, biases, labels, inputs, sampled_values=values, **kwargs)

    values = (OUTPUT["sampled"], OUTPUT["true_count"], OUTPUT["sampled_count"])
    expected = oracle(OUTPUT["weights"], OUTPUT["biases"], TRUE_CLASSES, LOGITS, values, **options)
    sizes = {"num_sampled": 5, "num_classes": 30, "num_true": 2}
    return case(LOGITS, TRUE_CLASSES, **OUTPUT, **sizes, **options, expected=expected, call=call)


def cases(spec) -> dict[str, Case]:
    """The declared cases of ``spec`` (a :class:`~mlcloss._lib.registry.LossSpec`)."""
    import sys

    return {} if spec.cases is None else spec.cases(sys.modules[__name__])
