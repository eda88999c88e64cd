"""``mlcloss.testing.check_loss``: a user's own array-API loss, checked on every framework."""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import available_frameworks, check_loss, finite_differences

RNG = np.random.default_rng(4)
CASES = [
    (RNG.normal(size=(4, 5)), (RNG.random((4, 5)) < 0.4,), {"margin": 1.0}),
    (RNG.normal(size=(3, 2)) * 3, (np.ones((3, 2), bool),), {"margin": 0.5}),
]


def squared_hinge(scores, labels, *, margin):
    """A loss "from a research repo", written against the array API: one row per example."""
    xp = mlcloss.array_namespace(scores, labels)
    signs = 2 * xp.astype(labels, scores.dtype) - 1
    violation = xp.clip(margin - signs * scores, min=0.0)
    return xp.sum(violation * violation, axis=-1)


def squared_hinge_oracle(scores, labels, *, margin):
    """Its definition, written out with loops in float64."""
    out = np.zeros(scores.shape[0])
    for r in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            y = 1.0 if labels[r, c] else -1.0
            out[r] += max(0.0, margin - y * scores[r, c]) ** 2
    return out


def test_a_correct_loss_passes_everywhere():
    checked = check_loss(squared_hinge, squared_hinge_oracle, CASES)
    assert any("float32 values" in c for c in checked)
    assert len({c.split(", ")[1] for c in checked}) >= 1  # at least one framework ran


def test_a_wrong_definition_is_reported_per_framework():
    def off(scores, labels, *, margin):
        return squared_hinge_oracle(scores, labels, margin=margin) * (1 + 1e-4)

    with pytest.raises(AssertionError) as failure:
        check_loss(squared_hinge, off, CASES[:1])
    for framework in available_frameworks():  # each one, by name, values and gradient
        assert f"case 0, {framework.name}, float64 values" in str(failure.value)
        if framework.has_autograd:
            assert f"case 0, {framework.name}, gradient: AssertionError" in str(failure.value)


def test_a_loss_that_changes_the_dtype_is_caught():
    def promotes(scores, labels, *, margin):
        xp = mlcloss.array_namespace(scores)
        return xp.astype(squared_hinge(scores, labels, margin=margin), xp.float64)

    with pytest.raises(AssertionError, match="float32 values: AssertionError: result dtype"):
        check_loss(promotes, squared_hinge_oracle, CASES[:1])


def test_finite_differences_of_a_quadratic():
    x = RNG.normal(size=(2, 3))
    np.testing.assert_allclose(
        finite_differences(lambda z: float(np.sum(z**2)), x), 2 * x, rtol=1e-8
    )
