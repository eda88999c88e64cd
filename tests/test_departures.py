"""The documented departures from the peers: mlcloss's number, and the peer's, side by side.

Each test asserts what mlcloss returns on every backend (against the exact
value) and, when the peer is installed, that the peer really returns the
other number, so the departure stays true and documented.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import assert_close, oracles


def _has(module):
    return importlib.util.find_spec(module) is not None


def test_mean_over_all_ignored_targets_is_zero(framework):
    logits = np.array([[1.0, 2.0, 3.0], [0.5, 0.1, -1.0]])
    labels = np.array([-100, -100])
    loss = lambda s: mlcloss.softmax_cross_entropy(s, framework.array(labels), ignore_index=-100)  # noqa: E731
    assert_close(loss(framework.array(logits)), 0.0, framework=framework)
    if framework.has_autograd:
        _, grad = framework.value_and_grad(loss, framework.array(logits))
        assert np.all(grad == 0)
    if _has("torch"):
        import torch
        import torch.nn.functional as F

        peer = F.cross_entropy(torch.tensor(logits), torch.tensor(labels), ignore_index=-100)
        assert torch.isnan(peer)


def test_sigmoid_cross_entropy_tails_are_exact(framework):
    """logit -10, label 0, pos_weight 1.5 in float32: exact 4.5398899e-05; torch/TF 4.5776e-05."""
    exact = math.log1p(math.exp(-10.0))
    got = mlcloss.sigmoid_cross_entropy(
        framework.array([-10.0], dtype="float32"),
        framework.array([0.0]),
        pos_weight=1.5,
        reduction="none",
    )
    assert_close(got, [exact], framework=framework, dtype="float32", rtol=1e-6)
    if _has("torch"):
        import torch
        import torch.nn.functional as F

        peer = F.binary_cross_entropy_with_logits(
            torch.tensor([-10.0]), torch.tensor([0.0]), pos_weight=torch.tensor([1.5])
        )
        assert abs(peer.item() / exact - 1) > 5e-3  # 4.5776e-05: cancellation
    if _has("tensorflow"):
        import tensorflow as tf

        peer = tf.nn.weighted_cross_entropy_with_logits(
            labels=tf.constant([0.0]), logits=tf.constant([-10.0]), pos_weight=1.5
        )
        assert abs(float(peer.numpy()[0]) / exact - 1) > 5e-3


def test_probability_labels_with_minus_inf_logits_stay_finite(framework):
    logits = np.array([[-np.inf, 1.0, 2.0]])
    probs = np.array([[0.0, 0.4, 0.6]])
    got = mlcloss.softmax_cross_entropy(
        framework.array(logits), framework.array(probs), reduction="none"
    )
    assert_close(
        got, oracles.softmax_ce(logits[:, 1:], probs[:, 1:])[0], framework=framework, rtol=1e-12
    )
    if _has("torch"):
        import torch
        import torch.nn.functional as F

        peer = F.cross_entropy(torch.tensor(logits), torch.tensor(probs), reduction="none")
        assert torch.isnan(peer).all()


def test_softmax_focal_is_exact_where_keras_clips(framework):
    logits = np.array([[20.0, 0.0, -3.0], [0.0, 18.0, 1.0]])
    one_hot = np.eye(3)[[0, 1]]
    want = oracles.softmax_focal(logits, one_hot, gamma=2.0)  # ~1e-26: p within 1e-8 of 1
    got = mlcloss.softmax_focal_loss(
        framework.array(logits), framework.array(one_hot), reduction="none"
    )
    assert_close(got, want, framework=framework, rtol=1e-9)
    if _has("keras"):
        import os

        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras

        peer = keras.losses.CategoricalFocalCrossentropy(
            from_logits=True, alpha=1.0, gamma=2.0, reduction=None, dtype="float64"
        )(one_hot, logits)
        # the clip at 1e-7 floors both rows at (1e-7)^2 * -log(1 - 1e-7) ≈ 1e-21
        np.testing.assert_allclose(np.asarray(peer), 1e-21, rtol=1e-6)
        assert np.all(np.asarray(peer) > 4 * want)


def test_asymmetric_loss_needs_no_probability_clamp(framework):
    """The reference clamps p at 1e-8 before the log; at logit -30 that caps -log p at 18.4."""
    got = mlcloss.asymmetric_loss(
        framework.array([-30.0]), framework.array([1.0]), gamma_pos=0.0, reduction="none"
    )
    assert_close(got, [30.0 + math.log1p(math.exp(-30.0))], framework=framework, rtol=1e-12)
    assert -math.log(max(1 / (1 + math.exp(30.0)), 1e-8)) == pytest.approx(18.42, abs=0.01)


def test_binary_cross_entropy_clamp_matches_torch(framework):
    """Values only: torch's own backward at a clamped probability is analytic, not the clamp's."""
    probs = np.array([0.0, 1.0, 1e-60, 1 - 1e-17, 1e-10, 0.5])
    labels = np.array([0.3, 0.6, 1.0, 0.2, 0.0, 1.0])
    got = mlcloss.binary_cross_entropy(
        framework.array(probs), framework.array(labels), reduction="none"
    )
    assert_close(got, oracles.binary_ce(probs, labels), framework=framework, rtol=1e-12)
    if _has("torch"):
        import torch
        import torch.nn.functional as F

        peer = F.binary_cross_entropy(torch.tensor(probs), torch.tensor(labels), reduction="none")
        np.testing.assert_allclose(framework.to_numpy(got), peer.numpy(), rtol=1e-12)
