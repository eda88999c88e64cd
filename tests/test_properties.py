"""Properties of the ZLPR family that hold for any input, checked with hypothesis on every framework."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlcloss

SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def problems(draw, max_rows=4, max_classes=12):
    rows = draw(st.integers(1, max_rows))
    classes = draw(st.integers(1, max_classes))
    finite = st.floats(-30, 30, allow_nan=False, width=64)
    logits = draw(hnp.arrays(np.float64, (rows, classes), elements=finite))
    labels = draw(hnp.arrays(np.int64, (rows, classes), elements=st.integers(0, 1)))
    return logits, labels


def _loss(framework, logits, labels, **kw):
    out = mlcloss.multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(labels), reduction="none", **kw
    )
    return framework.to_numpy(out)


@SETTINGS
@given(problem=problems(), shift=st.floats(-10, 10))
def test_shifting_logits_and_threshold_together_changes_nothing(framework, problem, shift):
    logits, labels = problem
    base = _loss(framework, logits, labels, threshold=0.5)
    np.testing.assert_allclose(
        _loss(framework, logits + shift, labels, threshold=0.5 + shift), base, rtol=1e-9, atol=1e-12
    )


@SETTINGS
@given(problem=problems(), data=st.data())
def test_permutation_equivariance(framework, problem, data):
    logits, labels = problem
    classes = data.draw(st.permutations(range(logits.shape[1])))
    rows = data.draw(st.permutations(range(logits.shape[0])))
    base = _loss(framework, logits, labels)
    permuted = _loss(framework, logits[rows][:, classes], labels[rows][:, classes])
    np.testing.assert_allclose(permuted, base[rows], rtol=1e-12, atol=1e-300)


@SETTINGS
@given(first=problems(max_classes=6), second=problems(max_classes=6))
def test_batch_concatenation(framework, first, second):
    classes = min(first[0].shape[1], second[0].shape[1])
    a = [x[:, :classes] for x in first]
    b = [x[:, :classes] for x in second]
    joined = _loss(framework, np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))
    np.testing.assert_allclose(
        joined, np.concatenate([_loss(framework, *a), _loss(framework, *b)]), rtol=1e-12
    )


@SETTINGS
@given(problem=problems())
def test_nonnegative_and_sparse_equals_dense(framework, problem):
    logits, labels = problem
    dense = _loss(framework, logits, labels)
    assert np.all(dense >= 0)
    index = np.where(labels == 1, np.arange(labels.shape[1]), -1)  # padded with -1 in place
    sparse = mlcloss.sparse_multilabel_categorical_crossentropy(
        framework.array(logits), framework.array(index), ignore_index=-1, reduction="none"
    )
    np.testing.assert_allclose(framework.to_numpy(sparse), dense, rtol=1e-12, atol=1e-300)
