"""The catalogue against the peers themselves: torch, tf.nn, Keras 3 and optax, in float64.

Each case names a peer function and its framework; the peer's value and
its autograd gradient (float64) are computed once, and every backend's
mlcloss value (and gradient, where the backend has autograd) must equal
them to 1e-9. A peer that is not installed skips its cases; the
conformance session installs them all.
"""

from __future__ import annotations

import functools
import importlib.util
import os

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import FRAMEWORKS

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

RNG = np.random.default_rng(11)
N, C = 6, 5
S = RNG.normal(size=(N, C)) * 2
Y = RNG.integers(0, C, N)
Y_IGNORED = Y.copy()
Y_IGNORED[[0, 3]] = -100
W = RNG.random(C) + 0.5
P = RNG.dirichlet(np.ones(C), N)
T = (RNG.random((N, C)) < 0.4).astype(np.float64)
T_SOFT = RNG.random((N, C))
Q = RNG.uniform(0.05, 0.95, (N, C))
PM1 = 2 * T - 1
S3 = RNG.normal(size=(3, C, 4))
Y3 = RNG.integers(0, C, (3, 4))
REDUCTIONS = ("none", "sum", "mean")
# sample weights: per example (one exact zero, which still counts in the mean), per entry
W_ROWS = np.concatenate([[0.0], RNG.uniform(0.25, 2.0, N - 1)])
W_ENTRIES = RNG.uniform(0.0, 2.0, (N, C))
W_TOKENS = RNG.uniform(0.25, 2.0, (3, 4))
Y3_IGNORED = Y3.copy()
Y3_IGNORED[0, 1] = -1


def _torch_cases():
    import torch.nn.functional as F

    cases = {}
    for r in REDUCTIONS:
        cases[f"cross_entropy index weights ignore smoothing {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.softmax_cross_entropy(
                x,
                a(Y_IGNORED),
                class_weights=a(W),
                ignore_index=-100,
                label_smoothing=0.1,
                reduction=r,
            ),
            lambda x, a, r=r: F.cross_entropy(
                x, a(Y_IGNORED), weight=a(W), ignore_index=-100, label_smoothing=0.1, reduction=r
            ),
        )
        cases[f"cross_entropy as focal gamma=0, weights ignore smoothing {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.softmax_focal_loss(
                x,
                a(Y_IGNORED),
                gamma=0.0,
                class_weights=a(W),
                ignore_index=-100,
                label_smoothing=0.1,
                reduction=r,
            ),
            lambda x, a, r=r: F.cross_entropy(
                x, a(Y_IGNORED), weight=a(W), ignore_index=-100, label_smoothing=0.1, reduction=r
            ),
        )
        cases[f"cross_entropy index weights {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.softmax_cross_entropy(
                x, a(Y), class_weights=a(W), reduction=r
            ),
            lambda x, a, r=r: F.cross_entropy(x, a(Y), weight=a(W), reduction=r),
        )
        cases[f"cross_entropy probabilities weights smoothing {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.softmax_cross_entropy(
                x, a(P), class_weights=a(W), label_smoothing=0.2, reduction=r
            ),
            lambda x, a, r=r: F.cross_entropy(
                x, a(P), weight=a(W), label_smoothing=0.2, reduction=r
            ),
        )
        cases[f"cross_entropy [N, C, L] class axis 1 {r}"] = (
            S3,
            lambda x, a, r=r: mlcloss.softmax_cross_entropy(
                x, a(Y3), axis=1, label_smoothing=0.05, reduction=r
            ),
            lambda x, a, r=r: F.cross_entropy(x, a(Y3), label_smoothing=0.05, reduction=r),
        )
        cases[f"nll_loss weights ignore {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.nll_loss(
                x, a(Y_IGNORED), class_weights=a(W), ignore_index=-100, reduction=r
            ),
            lambda x, a, r=r: F.nll_loss(
                x, a(Y_IGNORED), weight=a(W), ignore_index=-100, reduction=r
            ),
        )
        cases[f"binary_cross_entropy_with_logits pos_weight {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.sigmoid_cross_entropy(
                x, a(T_SOFT), pos_weight=a(W), reduction=r
            ),
            lambda x, a, r=r: F.binary_cross_entropy_with_logits(
                x, a(T_SOFT), pos_weight=a(W), reduction=r
            ),
        )
        cases[f"binary_cross_entropy {r}"] = (
            Q,
            lambda x, a, r=r: mlcloss.binary_cross_entropy(x, a(T_SOFT), reduction=r),
            lambda x, a, r=r: F.binary_cross_entropy(x, a(T_SOFT), reduction=r),
        )
        cases[f"binary_cross_entropy_with_logits weight [N, C] {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.sigmoid_cross_entropy(
                x, a(T_SOFT), sample_weight=a(W_ENTRIES), reduction=r
            ),
            lambda x, a, r=r: F.binary_cross_entropy_with_logits(
                x, a(T_SOFT), weight=a(W_ENTRIES), reduction=r
            ),
        )
        cases[f"binary_cross_entropy_with_logits weight [N, 1] pos_weight {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.sigmoid_cross_entropy(
                x, a(T), pos_weight=a(W), sample_weight=a(W_ROWS), reduction=r
            ),
            lambda x, a, r=r: F.binary_cross_entropy_with_logits(
                x, a(T), weight=a(W_ROWS[:, None]), pos_weight=a(W), reduction=r
            ),
        )
        cases[f"binary_cross_entropy weight [N, C] {r}"] = (
            Q,
            lambda x, a, r=r: mlcloss.binary_cross_entropy(
                x, a(T_SOFT), sample_weight=a(W_ENTRIES), reduction=r
            ),
            lambda x, a, r=r: F.binary_cross_entropy(
                x, a(T_SOFT), weight=a(W_ENTRIES), reduction=r
            ),
        )
        # torch's huber_loss divides its weighted sum by the count, as mlcloss does
        cases[f"huber_loss weight [N, C] {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.huber_loss(
                x, a(Q), delta=0.5, sample_weight=a(W_ENTRIES), reduction=r
            ),
            lambda x, a, r=r: F.huber_loss(x, a(Q), delta=0.5, weight=a(W_ENTRIES), reduction=r),
        )
        cases[f"mse_loss {r}"] = (
            S,
            lambda x, a, r=r: mlcloss.squared_error(x, a(T_SOFT), reduction=r),
            lambda x, a, r=r: F.mse_loss(x, a(T_SOFT), reduction=r),
        )
    # torch's mse_loss and l1_loss divide their weighted mean by Σ w (mlcloss, Keras and
    # torch's other losses by the count): the documented recipe gives torch's number
    for name, ours in (("mse_loss", mlcloss.squared_error), ("l1_loss", mlcloss.absolute_error)):
        cases[f"{name} weight [N, C] mean, as the sum over Σ w"] = (
            S,
            lambda x, a, ours=ours: (
                ours(x, a(Q), sample_weight=a(W_ENTRIES), reduction="sum") / float(W_ENTRIES.sum())
            ),
            lambda x, a, name=name: getattr(F, name)(x, a(Q), weight=a(W_ENTRIES)),
        )
    cases["kl_div batchmean"] = (
        S,
        lambda x, a: mlcloss.kl_divergence(x, a(P)),
        lambda x, a: F.kl_div(F.log_softmax(x, dim=1), a(P), reduction="batchmean"),
    )
    return cases


def _tensorflow_cases():
    import tensorflow as tf

    return {
        "sigmoid_cross_entropy_with_logits": (
            S,
            lambda x, a: mlcloss.sigmoid_cross_entropy(x, a(T_SOFT), reduction="none"),
            lambda x, a: tf.nn.sigmoid_cross_entropy_with_logits(labels=a(T_SOFT), logits=x),
        ),
        "softmax_cross_entropy_with_logits": (
            S,
            lambda x, a: mlcloss.softmax_cross_entropy(x, a(P), reduction="none"),
            lambda x, a: tf.nn.softmax_cross_entropy_with_logits(labels=a(P), logits=x),
        ),
        "sparse_softmax_cross_entropy_with_logits": (
            S,
            lambda x, a: mlcloss.softmax_cross_entropy(x, a(Y), reduction="none"),
            lambda x, a: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=a(Y), logits=x),
        ),
    }


def _keras_cases():
    import keras

    return {
        "BinaryCrossentropy(from_logits, label_smoothing)": (
            S,
            lambda x, a: mlcloss.sigmoid_cross_entropy(x, a(T), label_smoothing=0.1),
            lambda x, a: keras.losses.BinaryCrossentropy(
                from_logits=True, label_smoothing=0.1, dtype="float64"
            )(a(T), x),
        ),
        "CategoricalFocalCrossentropy(from_logits)": (
            S,
            lambda x, a: mlcloss.softmax_focal_loss(x, a(np.eye(C)[Y]), alpha=0.25, gamma=2.0),
            lambda x, a: keras.losses.CategoricalFocalCrossentropy(
                from_logits=True, alpha=0.25, gamma=2.0, dtype="float64"
            )(a(np.eye(C)[Y]), x),
        ),
        "CategoricalFocalCrossentropy(from_logits) soft labels, per-class alpha": (
            S,
            lambda x, a: mlcloss.softmax_focal_loss(x, a(P), alpha=list(W / 2), gamma=1.5),
            lambda x, a: keras.losses.CategoricalFocalCrossentropy(
                from_logits=True, alpha=list(W / 2), gamma=1.5, dtype="float64"
            )(a(P), x),
        ),
        "CategoricalFocalCrossentropy(from_logits, label_smoothing) integer labels": (
            S,
            lambda x, a: mlcloss.softmax_focal_loss(
                x, a(Y), alpha=0.25, gamma=2.0, label_smoothing=0.1
            ),
            lambda x, a: keras.losses.CategoricalFocalCrossentropy(
                from_logits=True, alpha=0.25, gamma=2.0, label_smoothing=0.1, dtype="float64"
            )(a(np.eye(C)[Y]), x),
        ),
        "Hinge": (
            S,
            lambda x, a: mlcloss.hinge_loss(x, a(PM1)),
            lambda x, a: keras.losses.Hinge(dtype="float64")(a(PM1), x),
        ),
        # sample_weight: Keras reduces each example over its last axis, weighs it, and
        # divides the sum by the examples (the unmasked ones): mlcloss's [N] weights on the
        # unreduced [N, C] loss, whose mean divides by N·C, give the same number
        **{
            f"{name} sample_weight [N]": (
                prediction,
                lambda x, a, ours=ours, labels=labels: ours(x, a(labels), sample_weight=a(W_ROWS)),
                lambda x, a, theirs=theirs, labels=labels: theirs(dtype="float64")(
                    a(labels), x, sample_weight=a(W_ROWS)
                ),
            )
            for name, prediction, ours, theirs, labels in [
                (
                    "BinaryCrossentropy(from_logits)",
                    S,
                    mlcloss.sigmoid_cross_entropy,
                    functools.partial(keras.losses.BinaryCrossentropy, from_logits=True),
                    T_SOFT,
                ),
                (
                    "CategoricalCrossentropy(from_logits)",
                    S,
                    mlcloss.softmax_cross_entropy,
                    functools.partial(keras.losses.CategoricalCrossentropy, from_logits=True),
                    P,
                ),
                ("MeanSquaredError", S, mlcloss.squared_error, keras.losses.MeanSquaredError, Q),
                ("Huber", S, mlcloss.huber_loss, keras.losses.Huber, Q),
                ("Hinge", S, mlcloss.hinge_loss, keras.losses.Hinge, PM1),
                (
                    "CategoricalHinge",
                    S,
                    mlcloss.categorical_hinge_loss,
                    keras.losses.CategoricalHinge,
                    np.eye(C)[Y],
                ),
            ]
        },
        "KLDivergence sample_weight [N]": (
            S,
            lambda x, a: mlcloss.kl_divergence(x, a(P), sample_weight=a(W_ROWS)),
            lambda x, a: keras.losses.KLDivergence(dtype="float64")(
                a(P), keras.ops.softmax(x, axis=-1), sample_weight=a(W_ROWS)
            ),
        ),
        "SparseCategoricalCrossentropy(from_logits, ignore_class) sample_weight [N, L]": (
            np.moveaxis(S3, 1, -1),
            lambda x, a: mlcloss.softmax_cross_entropy(
                x, a(Y3_IGNORED), ignore_index=-1, sample_weight=a(W_TOKENS)
            ),
            lambda x, a: keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, ignore_class=-1, dtype="float64"
            )(a(Y3_IGNORED), x, sample_weight=a(W_TOKENS)),
        ),
    }


def _optax_cases():
    import optax

    return {
        "sigmoid_focal_loss": (
            S,
            lambda x, a: mlcloss.sigmoid_focal_loss(
                x, a(T_SOFT), alpha=0.3, gamma=1.5, reduction="none"
            ),
            lambda x, a: optax.sigmoid_focal_loss(x, a(T_SOFT), alpha=0.3, gamma=1.5),
        ),
        "sigmoid_focal_loss alpha None": (
            S,
            lambda x, a: mlcloss.sigmoid_focal_loss(x, a(T), alpha=None, reduction="none"),
            lambda x, a: optax.sigmoid_focal_loss(x, a(T), alpha=None, gamma=2.0),
        ),
        "softmax_cross_entropy_with_integer_labels": (
            S,
            lambda x, a: mlcloss.softmax_cross_entropy(x, a(Y), reduction="none"),
            lambda x, a: optax.softmax_cross_entropy_with_integer_labels(x, a(Y)),
        ),
        "softmax_cross_entropy": (
            S,
            lambda x, a: mlcloss.softmax_cross_entropy(x, a(P), reduction="none"),
            lambda x, a: optax.softmax_cross_entropy(x, a(P)),
        ),
    }


def _keras_framework():
    import keras

    return keras.backend.backend()


PEERS = {
    # peer: (module that must be installed, framework of the peer's arrays, case builder)
    "torch": ("torch", lambda: "torch", _torch_cases),
    "tf.nn": ("tensorflow", lambda: "tensorflow", _tensorflow_cases),
    "keras": ("keras", _keras_framework, _keras_cases),
    "optax": ("optax", lambda: "jax", _optax_cases),
}
CASE_NAMES = {
    "torch": [
        f"{base} {r}"
        for base in (
            "cross_entropy index weights ignore smoothing",
            "cross_entropy as focal gamma=0, weights ignore smoothing",
            "cross_entropy index weights",
            "cross_entropy probabilities weights smoothing",
            "cross_entropy [N, C, L] class axis 1",
            "nll_loss weights ignore",
            "binary_cross_entropy_with_logits pos_weight",
            "binary_cross_entropy",
            "binary_cross_entropy_with_logits weight [N, C]",
            "binary_cross_entropy_with_logits weight [N, 1] pos_weight",
            "binary_cross_entropy weight [N, C]",
            "huber_loss weight [N, C]",
            "mse_loss",
        )
        for r in REDUCTIONS
    ]
    + [
        "mse_loss weight [N, C] mean, as the sum over Σ w",
        "l1_loss weight [N, C] mean, as the sum over Σ w",
        "kl_div batchmean",
    ],
    "tf.nn": [
        "sigmoid_cross_entropy_with_logits",
        "softmax_cross_entropy_with_logits",
        "sparse_softmax_cross_entropy_with_logits",
    ],
    "keras": [
        "BinaryCrossentropy(from_logits, label_smoothing)",
        "CategoricalFocalCrossentropy(from_logits)",
        "CategoricalFocalCrossentropy(from_logits) soft labels, per-class alpha",
        "CategoricalFocalCrossentropy(from_logits, label_smoothing) integer labels",
        "Hinge",
        *(
            f"{name} sample_weight [N]"
            for name in (
                "BinaryCrossentropy(from_logits)",
                "CategoricalCrossentropy(from_logits)",
                "MeanSquaredError",
                "Huber",
                "Hinge",
                "CategoricalHinge",
                "KLDivergence",
            )
        ),
        "SparseCategoricalCrossentropy(from_logits, ignore_class) sample_weight [N, L]",
    ],
    "optax": [
        "sigmoid_focal_loss",
        "sigmoid_focal_loss alpha None",
        "softmax_cross_entropy_with_integer_labels",
        "softmax_cross_entropy",
    ],
}
PARAMS = [(peer, name) for peer, names in CASE_NAMES.items() for name in names]


def _case(peer, name):
    module, framework_name, build = PEERS[peer]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"peer {module} is not installed (the conformance session installs it)")
    return build()[name], FRAMEWORKS[framework_name()]


@functools.cache
def _peer_value_and_grad(peer, name):
    (logits, _, peer_fn), framework = _case(peer, name)
    framework.setup()
    return framework.value_and_grad(lambda x: peer_fn(x, framework.array), framework.array(logits))


def test_every_case_is_listed():
    """CASE_NAMES (used for collection, without importing peers) matches the builders."""
    for peer, (module, _, build) in PEERS.items():
        if importlib.util.find_spec(module) is not None:
            assert sorted(build()) == sorted(CASE_NAMES[peer]), peer


@pytest.mark.parametrize("peer,name", PARAMS, ids=[f"{p}: {n}" for p, n in PARAMS])
def test_matches_peer(framework, peer, name):
    (logits, ours, _), _ = _case(peer, name)
    want_value, want_grad = _peer_value_and_grad(peer, name)
    x = framework.array(logits)
    if framework.has_autograd:
        value, grad = framework.value_and_grad(lambda z: ours(z, framework.array), x)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-12, err_msg="gradient")
    else:
        value = framework.to_numpy(ours(x, framework.array))
    np.testing.assert_allclose(value, want_value, rtol=1e-9, atol=1e-12, err_msg="value")
