"""Losses no framework ships: combinatorial k-softmax, the unified pairwise loss, circle loss.

Each against an independent float64 oracle (brute-force enumeration of the
k-sets, the explicit double sum over pairs) on every backend, and circle loss
against pytorch-metric-learning's ``CircleLoss`` per anchor.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import assert_close, oracles

RNG = np.random.default_rng(5)
C = 10
S = RNG.normal(size=(5, C)) * 2


def _multi_hot(counts):
    labels = np.zeros((len(counts), C), np.int64)
    for row, count in enumerate(counts):
        labels[row, RNG.choice(C, count, replace=False)] = 1
    return labels


FIXED = _multi_hot([3, 3, 3, 3, 3])
VARIABLE = _multi_hot([0, 1, 4, 2, 3])
THETA = RNG.normal(size=5)
WHERE = RNG.random((5, C)) < 0.8
SIM = np.tanh(RNG.normal(size=(5, C)))


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_combinatorial_fixed_k_equals_enumeration(framework, reduction):
    want = oracles.combinatorial(S, FIXED, k=3)
    got = mlcloss.combinatorial_softmax_crossentropy(
        framework.array(S), framework.array(FIXED), k=3, reduction=reduction
    )
    assert_close(got, want if reduction == "none" else want.mean(), framework=framework, rtol=1e-10)


@pytest.mark.parametrize("threshold", [0.0, 0.7, "array"])
def test_combinatorial_variable_k_equals_enumeration(framework, threshold):
    theta = THETA if threshold == "array" else threshold
    want = oracles.combinatorial(S, VARIABLE, k=4, variable=True, threshold=theta)
    got = mlcloss.combinatorial_softmax_crossentropy(
        framework.array(S),
        framework.array(VARIABLE > 0),
        k=4,
        variable=True,
        threshold=framework.array(theta) if threshold == "array" else theta,
        reduction="none",
    )
    assert_close(got, want, framework=framework, rtol=1e-10)


def test_combinatorial_k1_is_softmax_cross_entropy(framework):
    one = _multi_hot([1] * 5)
    got = mlcloss.combinatorial_softmax_crossentropy(framework.array(S), framework.array(one), k=1)
    want = mlcloss.softmax_cross_entropy(S, np.argmax(one, axis=-1))
    assert_close(got, want, framework=framework, rtol=1e-12)


def test_combinatorial_large_float32_is_finite(framework):
    """C = 5000, K = 16, logits up to ±80 in float32: finite and ≥ 0."""
    rng = np.random.default_rng(0)
    logits = rng.uniform(-80, 80, (3, 5000)).astype(np.float32)
    labels = np.zeros((3, 5000), bool)
    for row, count in enumerate([1, 9, 16]):
        labels[row, rng.choice(5000, count, replace=False)] = True
    got = mlcloss.combinatorial_softmax_crossentropy(
        framework.array(logits), framework.array(labels), k=16, variable=True, reduction="none"
    )
    values = framework.to_numpy(got)
    assert got.dtype == framework.dtype("float32")
    assert np.all(np.isfinite(values)) and np.all(values >= 0), values
    want = oracles_lse_reference(logits.astype(np.float64), labels, 16)
    np.testing.assert_allclose(values, want, rtol=1e-5)


def oracles_lse_reference(logits, labels, k):
    """The variable-k loss via the sequential log-space recurrence Z_j += e^{s_c} Z_{j-1}."""
    out = []
    for s, t in zip(logits, labels):
        log_z = np.full(k + 1, -np.inf)
        log_z[0] = 0.0
        for value in s:
            log_z[1:] = np.logaddexp(log_z[1:], value + log_z[:-1])
        total = np.logaddexp.reduce(log_z)  # θ = 0
        out.append(total - s[t].sum())
    return np.array(out)


@pytest.mark.parametrize("options", [{}, {"scale": 2.0, "margin": 0.3}])
def test_unified_pairwise_equals_double_sum(framework, options):
    labels = VARIABLE.copy()
    labels[1] = 1  # no negative: loss 0
    want = oracles.unified_pairwise(S, labels, where=WHERE, **options)
    got = mlcloss.unified_pairwise_loss(
        framework.array(S),
        framework.array(labels),
        where=framework.array(WHERE),
        reduction="none",
        **options,
    )
    assert_close(got, want, framework=framework, rtol=1e-10, atol=1e-300)
    assert want[0] == 0 and want[1] == 0


def test_circle_loss_equals_double_sum(framework):
    want = oracles.circle(SIM, VARIABLE, scale=32.0, margin=0.25, where=WHERE)
    got = mlcloss.circle_loss(
        framework.array(SIM),
        framework.array(VARIABLE),
        scale=32.0,
        margin=0.25,
        where=framework.array(WHERE),
        reduction="none",
    )
    assert_close(got, want, framework=framework, rtol=1e-10, atol=1e-300)


def test_circle_loss_gradient_holds_the_weights_constant(autograd_framework):
    """The gradient is that of the loss with α frozen at the current scores (stop-gradient)."""
    xp = autograd_framework
    options = {"scale": 16.0, "margin": 0.25}
    _, grad = xp.value_and_grad(
        lambda s: mlcloss.circle_loss(s, xp.array(VARIABLE), reduction="none", **options),
        xp.array(SIM),
    )
    eps = 1e-6
    want = np.zeros_like(SIM)
    for i in np.ndindex(*SIM.shape):
        step = np.zeros_like(SIM)
        step[i] = eps
        up = oracles.circle(SIM + step, VARIABLE, weights_from=SIM, **options).sum()
        down = oracles.circle(SIM - step, VARIABLE, weights_from=SIM, **options).sum()
        want[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-6 * np.max(np.abs(want)))


def test_circle_loss_matches_pytorch_metric_learning_per_anchor(framework):
    if importlib.util.find_spec("pytorch_metric_learning") is None:
        pytest.skip("pytorch-metric-learning is not installed (the conformance session has it)")
    import torch
    from pytorch_metric_learning.losses import CircleLoss
    from pytorch_metric_learning.reducers import DoNothingReducer

    rng = np.random.default_rng(9)
    embeddings = rng.normal(size=(12, 6))
    classes = np.array([0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4])
    peer = CircleLoss(m=0.25, gamma=64, reducer=DoNothingReducer())
    per_anchor = peer(torch.tensor(embeddings), torch.tensor(classes))["loss"]["losses"]

    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    same = classes[:, None] == classes[None, :]
    got = mlcloss.circle_loss(
        framework.array(unit @ unit.T),
        framework.array(same),
        scale=64.0,
        margin=0.25,
        where=framework.array(~np.eye(12, dtype=bool)),
        reduction="none",
    )
    want = per_anchor.detach().numpy().reshape(-1)  # PML keeps a trailing axis of 1
    assert_close(got, want, framework=framework, rtol=1e-9, atol=1e-12)


def test_circle_loss_gradient_matches_pytorch_metric_learning():
    """Through emb -> emb @ emb.T, torch autograd of both gives the same embedding gradient."""
    if importlib.util.find_spec("pytorch_metric_learning") is None:
        pytest.skip("pytorch-metric-learning is not installed (the conformance session has it)")
    import torch
    from pytorch_metric_learning.losses import CircleLoss
    from pytorch_metric_learning.reducers import DoNothingReducer

    rng = np.random.default_rng(10)
    classes = torch.tensor([0, 0, 1, 1, 1, 2, 2, 2])
    theirs = torch.tensor(rng.normal(size=(8, 5)), requires_grad=True)
    ours = theirs.detach().clone().requires_grad_(True)
    peer = CircleLoss(m=0.4, gamma=80, reducer=DoNothingReducer())
    peer(theirs, classes)["loss"]["losses"].sum().backward()
    unit = torch.nn.functional.normalize(ours, dim=1)
    mlcloss.circle_loss(
        unit @ unit.T,
        classes[:, None] == classes[None, :],
        where=~torch.eye(8, dtype=torch.bool),
        reduction="sum",
    ).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_wrong_number_of_positives_is_a_value_error(framework):
    with pytest.raises(ValueError, match="exactly k=3 positives"):
        mlcloss.combinatorial_softmax_crossentropy(
            framework.array(S), framework.array(VARIABLE), k=3
        )
    with pytest.raises(ValueError, match="at most k=2 positives"):
        mlcloss.combinatorial_softmax_crossentropy(
            framework.array(S), framework.array(VARIABLE), k=2, variable=True
        )
    with pytest.raises(ValueError, match="0 or 1"):
        mlcloss.unified_pairwise_loss(framework.array(S), framework.array(VARIABLE * 2))
    with pytest.raises(ValueError, match="k must be a positive int"):
        mlcloss.combinatorial_softmax_crossentropy(framework.array(S), framework.array(FIXED), k=0)
    with pytest.raises(ValueError, match="k=11 exceeds"):
        mlcloss.combinatorial_softmax_crossentropy(framework.array(S), framework.array(FIXED), k=11)


def test_circle_loss_values_match_keras_circle(framework):
    """Keras 3's circle (from cosine distances, weights not held constant) has the same values."""
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed (the conformance session has it)")
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    rng = np.random.default_rng(12)
    embeddings = rng.normal(size=(10, 4))
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    classes = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3, 3])
    peer = keras.losses.circle(classes, unit, gamma=32.0, margin=0.25)
    got = mlcloss.circle_loss(
        framework.array(unit @ unit.T),
        framework.array(classes[:, None] == classes[None, :]),
        scale=32.0,
        margin=0.25,
        where=framework.array(~np.eye(10, dtype=bool)),
        reduction="none",
    )
    assert_close(got, np.asarray(peer, np.float64), framework=framework, rtol=1e-5)
