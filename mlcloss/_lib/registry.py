"""The registry: every public loss declared once, beside its function, with ``@declare``.

A declaration carries what the rest of the package needs to know about a
loss: its kind, what its labels hold, which options may be arrays, whether it
has a closed-form gradient, its example cases (with the float64 oracle's
values), its peers and how to benchmark it. From it come the
:mod:`mlcloss.torch` modules, the :mod:`mlcloss.keras` losses, the report's
rows, the docs' support matrix and migration table, the test
parametrisation and the benchmark suite, so a loss added with a declaration
cannot miss any of them.

Cases, benchmark inputs and peers are written as functions, evaluated only
when a test, the report or a benchmark asks: importing mlcloss still needs
nothing but the standard library.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

KINDS = ("class-set", "elementwise", "pairwise", "sampled", "sequence", "embedding")
"""class-set: one loss per row over a class axis; elementwise: one per entry;
pairwise: scores compared by broadcasting; sampled: an output layer scored on
sampled classes (TensorFlow's ``(weights, biases, labels, inputs)``);
sequence: one loss per sequence, a recursion over its time steps (CTC, the
CRF); embedding: one loss per example, scored against the other examples of
the batch (metric learning)."""

LABELS = ("dense", "index", "dense-or-index", "signed")
"""What the second argument holds: the prediction's shape, class indices
(``[..., K]`` index lists for the sparse multi-label losses), or either,
decided by dtype (softmax cross-entropy and its kin); ``signed``: the
prediction's shape, ±1 or bool (the hinge and its kin; their Keras classes map
labels that are all 0/1 to ±1, as Keras's ``Hinge`` does)."""


@dataclass(frozen=True)
class LossSpec:
    """One public loss: ``function(prediction, labels, /, **options)`` and what is known of it.

    ``arrays``: the options that may hold per-class arrays (a torch module
    keeps them as buffers, a Keras loss as lists). ``closed_form``: the
    gradient in the prediction is the closed form of
    :mod:`mlcloss._lib.gradients` (and :func:`mlcloss.value_and_grad` serves
    NumPy). ``modules``: whether :mod:`mlcloss.torch` and :mod:`mlcloss.keras`
    get a class (``keras``: whether ``call(y_true, y_pred)`` fits).
    ``peers``: framework → the peer function or class with the same numbers
    (the docs' migration table). ``cases(ex)`` returns ``{name: Case}`` (see
    :mod:`mlcloss.testing.examples`); ``bench(b)`` the benchmark inputs
    ``(prediction, labels, options)`` from the suite's inputs ``b`` (None:
    logits and float 0/1 labels; False: not in the suite); ``timed_against``
    backend → ``f(m, prediction, labels)``, the peer timed beside it, given
    ``m`` whose attributes import the peer's modules (``m.F``, ``m.optax``).
    """

    function: Callable
    kind: str
    labels: str = "dense"
    arrays: tuple[str, ...] = ()
    closed_form: bool = True
    modules: bool = True
    keras: bool = True
    peers: Mapping[str, str] = field(default_factory=dict)
    cases: Callable | None = None
    bench: Callable | bool | None = None
    timed_against: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"mlcloss: kind must be one of {KINDS}, received {self.kind!r}")
        if self.labels not in LABELS:
            raise ValueError(f"mlcloss: labels must be one of {LABELS}, received {self.labels!r}")
        unknown = set(self.arrays) - {p.name for p in self.options}
        if unknown:
            raise ValueError(f"mlcloss: {self.name} has no option(s) {sorted(unknown)}")

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def class_name(self) -> str:
        """The CamelCase class name: ``nll_loss`` → ``NLLLoss``, ``kl_divergence`` → ``KLDivergence``."""
        words = self.name.split("_")
        return "".join(w.upper() if w in _ACRONYMS else w.capitalize() for w in words)

    @property
    def options(self) -> list[inspect.Parameter]:
        """The function's keyword-only parameters (everything but prediction and labels)."""
        parameters = inspect.signature(self.function).parameters.values()
        return [p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]

    @property
    def hyper_parameters(self) -> list[inspect.Parameter]:
        """The options a module or Keras class binds: all but ``sample_weight``, which is per call
        (``forward(input, target, sample_weight=w)``; Keras's own ``sample_weight``)."""
        return [p for p in self.options if p.name != "sample_weight"]

    def subclass(self, base: type, *, module: str, form: str) -> type:
        """A subclass of ``base`` named :attr:`class_name` that computes ``function``.

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


_ACRONYMS = {"nll", "kl", "nce", "ctc", "crf", "ndcg"}

REGISTRY: dict[str, LossSpec] = {}
"""Every declared loss by name, in declaration order."""


SAMPLE_WEIGHT = """\
sample_weight : array, optional
    Weights of the unreduced loss (Keras's ``sample_weight``, torch's
    ``weight``), its axes aligned with the loss's leading axes: shape ``[N]``
    weighs each of N examples, the unreduced loss's shape each entry, and an
    axis of size 1 repeats a weight along it. They scale; they do not
    renormalise: ``"mean"`` divides the weighted sum by the same count as
    without weights (stated under ``reduction``), as Keras and torch do.
"""
"""The entry :func:`declare` adds to every loss's docstring, before ``reduction``."""


def declare(*, kind: str, **facts) -> Callable:
    """Register the decorated loss with its facts (see :class:`LossSpec`); return it, its
    docstring given the shared ``sample_weight`` entry (:data:`SAMPLE_WEIGHT`).

    Every loss takes ``sample_weight=None`` and ``reduction``, and hands the
    weights to the one reducer (:func:`~mlcloss._lib.reduce.reduce` or
    :func:`~mlcloss._lib.gradients.reduced`).
    """

    def register(function):
        parameters = inspect.signature(function).parameters
        if "sample_weight" not in parameters or "reduction" not in parameters:
            raise TypeError(
                f"mlcloss: {function.__name__} must take the keywords sample_weight=None and "
                "reduction, as every loss does"
            )
        function.__doc__ = _with_sample_weight(function.__doc__)
        spec = LossSpec(function, kind=kind, **facts)
        if spec.name in REGISTRY:
            raise ValueError(f"mlcloss: {spec.name} is declared twice")
        REGISTRY[spec.name] = spec
        return function

    return register


def _with_sample_weight(doc: str) -> str:
    """``doc`` with :data:`SAMPLE_WEIGHT` inserted before its ``reduction :`` entry."""
    lines = doc.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("reduction : "):
            indent = line[: len(line) - len(line.lstrip())]
            entry = "".join(
                indent + row if row.strip() else row for row in SAMPLE_WEIGHT.splitlines(True)
            )
            return "".join(lines[:i]) + entry + "".join(lines[i:])
    raise ValueError("mlcloss: a loss's docstring must document reduction (``reduction : ...``)")
