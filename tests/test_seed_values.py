"""The values printed in the seeds (``../shared/seeds/``), reproduced on every backend.

Seed 002 prints torch results to 4 decimals (compared to ±5e-5); seed 004
prints TensorFlow float32 results to 8 digits (compared in float32); seed
003 prints label smoothing and a CTR entropy.
"""

from __future__ import annotations

import numpy as np

import mlcloss
from mlcloss.testing import assert_close

PRINTED = 5e-5  # half a unit in the 4th decimal


def test_seed_002_torch_cross_entropy_notes(framework):
    a = framework.array
    logits = a(np.array([[0.3, 0.4, 0.3], [0.7, 0.1, 0.2]]))
    target = a(np.array([0, 2]))
    assert_close(
        mlcloss.softmax_cross_entropy(logits, target, reduction="none"),
        [1.1331, 1.2679],
        framework=framework,
        atol=PRINTED,
    )
    raw = np.array([[0.3, 0.4, 0.3], [0.7, 0.1, 0.2]])
    logp = raw - np.log(np.exp(raw).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(
        logp, [[-1.1331, -1.0331, -1.1331], [-0.7679, -1.3679, -1.2679]], atol=PRINTED
    )
    assert_close(
        mlcloss.nll_loss(a(logp), target, reduction="none"),
        [1.1331, 1.2679],
        framework=framework,
        atol=PRINTED,
    )

    binary_logits = a(np.array([[0.8, 0.2], [0.1, 0.9], [0.6, 0.4]]))
    binary_target = a(np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]))
    table = [[0.4511, 0.7781], [0.7244, 0.5212], [0.7375, 0.7130]]
    assert_close(
        mlcloss.sigmoid_cross_entropy(binary_logits, binary_target, reduction="none"),
        table,
        framework=framework,
        atol=PRINTED,
    )
    probs = 1 / (1 + np.exp(-np.array([[0.8, 0.2], [0.1, 0.9], [0.6, 0.4]])))
    np.testing.assert_allclose(
        probs, [[0.6900, 0.5498], [0.5250, 0.7109], [0.6457, 0.5987]], atol=PRINTED
    )
    assert_close(
        mlcloss.binary_cross_entropy(a(probs), binary_target, reduction="none"),
        table,
        framework=framework,
        atol=PRINTED,
    )

    logits = a(np.array([[0.1, 0.2, 0.7], [0.4, 0.5, 0.1]]))
    target = a(np.array([2, 1]))
    one_hot = a(np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    assert_close(
        mlcloss.softmax_cross_entropy(logits, target), 0.8569, framework=framework, atol=PRINTED
    )
    assert_close(
        mlcloss.softmax_cross_entropy(logits, target, reduction="none"),
        [0.7679, 0.9459],
        framework=framework,
        atol=PRINTED,
    )
    assert_close(
        mlcloss.sigmoid_cross_entropy(logits, one_hot), 0.6795, framework=framework, atol=PRINTED
    )
    assert_close(
        mlcloss.sigmoid_cross_entropy(logits, one_hot, reduction="none"),
        [[0.7444, 0.7981, 0.4032], [0.9130, 0.4741, 0.7444]],
        framework=framework,
        atol=PRINTED,
    )
    binary = a(np.array([[0.6, 0.4], [0.3, 0.7]]))
    assert_close(
        mlcloss.softmax_cross_entropy(binary, a(np.array([0, 1]))),
        0.5556,
        framework=framework,
        atol=PRINTED,
    )
    assert_close(
        mlcloss.sigmoid_cross_entropy(a(np.array([0.6, 0.3])), a(np.array([0.0, 1.0]))),
        0.7959,
        framework=framework,
        atol=PRINTED,
    )


def test_seed_003_label_smoothing_and_ctr_entropy(framework):
    a = framework.array
    labels = a(
        np.array([[[0, 0, 1], [0, 1, 0], [1, 0, 0]], [[1, 0, 0], [1, 0, 0], [0, 1, 0]]], np.float32)
    )
    smoothed = mlcloss.smooth_labels(labels, 0.1)
    want = np.where(framework.to_numpy(labels) == 1, 0.93333334, 0.03333334).astype(np.float32)
    assert_close(
        smoothed, want, framework=framework, dtype="float32", atol=5e-9
    )  # printed to 8 places
    # a constant prediction of the base rate 0.05 costs 0.198 nats
    ctr = mlcloss.binary_cross_entropy(a(np.array([0.05])), a(np.array([0.05])))
    assert_close(ctr, 0.19851524, framework=framework, rtol=1e-7)


def test_seed_004_tensorflow_tables(framework):
    a = framework.array
    logits = a(np.array([[0.7, 1.2, 0.3], [0.4, 0.2, 0.9], [0.6, 0.3, 0.4]], np.float32))
    labels = a(np.eye(3, dtype=np.float32)[[1, 2, 0]])
    smooth = mlcloss.smooth_labels(labels, 0.1)
    sigmoid_table = [
        [1.0798527, 0.34328249, 0.84435523],
        [0.89968193, 0.7914722, 0.40115389],
        [0.47748795, 0.84435523, 0.89968193],
    ]
    assert_close(
        mlcloss.sigmoid_cross_entropy(logits, smooth, reduction="none"),
        sigmoid_table,
        framework=framework,
        dtype="float32",
        rtol=3e-7,
    )
    assert_close(
        mlcloss.softmax_cross_entropy(logits, labels, reduction="none"),
        [0.69967604, 0.74342006, 0.93983102],
        framework=framework,
        dtype="float32",
        rtol=3e-7,
    )
