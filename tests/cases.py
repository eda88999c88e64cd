"""The shared cases of the test suite, read from the registry: every declared loss's examples.

``CASES[name]`` is ``(function, prediction, [labels], {array options},
{options})``, followed by the NumPy function whose finite differences give
the expected gradient of the mean when that is not the loss's own (circle loss);
``EXPECTED[name]`` is the oracle's ``(unreduced loss, mean denominator)``
and ``SPEC[name]`` the loss's declaration. The cases themselves are written
once, in each loss's ``@declare(cases=...)``; the helpers that are not
losses add theirs here.
"""

from __future__ import annotations

import mlcloss
from mlcloss.capabilities import LOSSES
from mlcloss.testing import examples
from mlcloss.testing.examples import LOGITS, SOFT  # noqa: F401  (tests import them from here)


def _mean_of(case):
    """The case's ``gradient_of`` reduced as the loss's default ``"mean"`` reduces."""
    count = case.expected.size if case.count is None else case.count
    return lambda s: case.gradient_of(s).sum() / count


CASES, EXPECTED, SPEC = {}, {}, {}
for _spec in LOSSES:
    for _name, _case in examples.cases(_spec).items():
        CASES[_name] = (
            _case.call or _spec.function,
            _case.prediction,
            list(_case.labels),
            _case.arrays,
            _case.options,
            *([_mean_of(_case)] if _case.gradient_of else []),
        )
        EXPECTED[_name] = (_case.expected, _case.count)
        SPEC[_name] = _spec
CASES["probabilities"] = (mlcloss.multilabel_probabilities, LOGITS, [], {}, {"threshold": 0.1})

#: the first declared case of each loss (and the helpers' cases): for the checks whose subject
#: is the loss, not its options (sharding on a mesh)
FIRST = [name for name in CASES if name not in SPEC]
FIRST += list({SPEC[name].name: name for name in reversed(list(SPEC))}.values())[::-1]

#: the cases whose predictions keep their range when a test scales or shifts them: probabilities
#: (BCE, and the output of ``multilabel_probabilities``), cosine similarities (Circle), Poisson
#: log-rates (e^x of a large x is no float's), CTC log-probabilities (at most 0, as the loss
#: assumes), embeddings the in-batch losses normalise (1e8 added collapses their directions)
#: and ArcFace's cosines
BOUNDED = {
    "binary-ce",
    "circle",
    "probabilities",
    "poisson-log",
    "ctc",
    "ctc-batch-major",
    "contrastive-uneven",
    "ntxent-uneven",
    "supcon-uneven",
    "margin-softmax-arc",
    "margin-softmax-cos",
}
