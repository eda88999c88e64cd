"""Bad input: a clear error naming the argument, what was received and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss

S = np.zeros((2, 4))
Y = np.zeros((2, 4), np.int64)
IDX = np.zeros((2, 2), np.int64)
GP = np.zeros((1, 2, 3, 3))

mcce = mlcloss.multilabel_categorical_crossentropy
sparse = mlcloss.sparse_multilabel_categorical_crossentropy
gp = mlcloss.global_pointer_crossentropy
ce = mlcloss.softmax_cross_entropy
bce = mlcloss.sigmoid_cross_entropy
Y1 = np.array([0, 3])
P = np.full((2, 4), 0.25)

STATIC = [
    # (call, error type, fragments the message must contain)
    (
        lambda a: mcce(a(S), a(Y), reduction="avg"),
        ValueError,
        ["reduction", "'mean', 'sum' or 'none'", "'avg'"],
    ),
    (lambda a: mcce(a(S), a(np.zeros((2, 5)))), ValueError, ["labels", "(2, 4)", "(2, 5)"]),
    (lambda a: mcce(a(Y), a(Y)), TypeError, ["logits", "floating", "int"]),
    (lambda a: mcce(a(S), a(Y), axis=2), ValueError, ["axis=2", "[-2, 1]"]),
    (
        lambda a: mcce(a(S), a(Y), where=a(np.ones((3, 4), bool))),
        ValueError,
        ["where", "(2, 4)", "(3, 4)"],
    ),
    (lambda a: mcce(a(S), a(Y), where=a(np.ones((2, 4)))), TypeError, ["where", "bool"]),
    (lambda a: mcce(a(S), a(Y), threshold=a(np.zeros(3))), ValueError, ["threshold", "(3,)"]),
    (lambda a: sparse(a(S), a(np.zeros((2, 2)))), TypeError, ["labels", "integer", "float"]),
    (
        lambda a: sparse(a(S), a(np.zeros((3, 2), np.int64))),
        ValueError,
        ["labels", "(2, 4)", "(3, 2)"],
    ),
    (lambda a: sparse(a(S), a(IDX), ignore_index=0.5), TypeError, ["ignore_index", "0.5"]),
    (lambda a: gp(a(S), a(Y)), ValueError, ["logits", "4 dimensions", "(2, 4)"]),
    (lambda a: gp(a(np.zeros((1, 2, 3, 4))), a(Y)), ValueError, ["logits", "(1, 2, 3, 4)"]),
    (lambda a: gp(a(GP), a(np.zeros((1, 2, 3, 2)))), ValueError, ["labels", "(1, 2, 3, 3)"]),
    (
        lambda a: gp(a(GP), a(np.zeros((1, 2, 2), np.int64)), sparse=True),
        ValueError,
        ["[batch, heads, K, 2]", "(1, 2, 2)"],
    ),
    (
        lambda a: gp(
            a(GP), a(np.zeros((1, 2, 2, 2), np.int64)), sparse=True, mask=a(np.ones((1, 4), bool))
        ),
        ValueError,
        ["mask", "(1, 3)", "(1, 4)"],
    ),
    # the catalogue
    (lambda a: ce(a(S), a(Y1), reduction="batchmean"), ValueError, ["reduction", "'batchmean'"]),
    (lambda a: ce(a(S), a(np.array([0, 1, 2]))), ValueError, ["integer labels", "(2,)", "(3,)"]),
    (lambda a: ce(a(S), a(np.zeros((2, 3)))), ValueError, ["labels", "(2, 4)", "(2, 3)"]),
    (lambda a: ce(a(S), a(np.ones((2, 4), bool))), TypeError, ["labels", "integer", "bool"]),
    (lambda a: ce(a(S), a(P), ignore_index=-100), ValueError, ["ignore_index", "integer"]),
    (lambda a: ce(a(S), a(Y1), label_smoothing=1.5), ValueError, ["label_smoothing", "1.5"]),
    (lambda a: ce(a(S), a(Y1), label_smoothing="0.1"), TypeError, ["label_smoothing", "'0.1'"]),
    (
        lambda a: ce(a(S), a(Y1), class_weights=a(np.ones(3))),
        ValueError,
        ["class_weights", "(4,)", "(3,)"],
    ),
    (lambda a: ce(a(S), a(Y1), class_weights=[1.0] * 5), ValueError, ["class_weights", "(5,)"]),
    (lambda a: ce(a(S), a(Y1), ignore_index=1.0), TypeError, ["ignore_index", "1.0"]),
    (lambda a: mlcloss.nll_loss(a(Y), a(Y1)), TypeError, ["log_probs", "floating"]),
    (lambda a: bce(a(S), a(np.zeros((2, 3)))), ValueError, ["labels", "(2, 4)", "(2, 3)"]),
    (lambda a: bce(a(S), a(P), pos_weight=a(np.ones(3))), ValueError, ["pos_weight", "(3,)"]),
    (lambda a: bce(a(S), a(P), where=a(np.ones(4))), TypeError, ["where", "bool"]),
    (lambda a: mlcloss.sigmoid_focal_loss(a(S), a(P), gamma=-1), ValueError, ["gamma", "-1"]),
    (lambda a: mlcloss.sigmoid_focal_loss(a(S), a(P), alpha=2.0), ValueError, ["alpha", "2.0"]),
    (lambda a: mlcloss.asymmetric_loss(a(S), a(P), clip=1.0), ValueError, ["clip", "1.0"]),
    (
        lambda a: mlcloss.softmax_focal_loss(a(S), a(Y1), alpha=a(np.ones(2))),
        ValueError,
        ["alpha", "(4,)", "(2,)"],
    ),
    (lambda a: mlcloss.kl_divergence(a(S), a(Y)), TypeError, ["target_probs", "int"]),
    (lambda a: mlcloss.squared_error(a(S), a(np.zeros(4))), ValueError, ["targets", "(2, 4)"]),
    (
        lambda a: mlcloss.pairwise_hinge_loss(a(S), a(np.zeros((3, 1)))),
        ValueError,
        ["positive_scores", "(2, 4)", "(3, 1)"],
    ),
    (lambda a: mlcloss.hinge_loss(a(S), a(Y), margin=None), TypeError, ["margin", "None"]),
    (lambda a: mlcloss.smooth_labels(a(Y), -0.1), ValueError, ["epsilon", "-0.1"]),
]


@pytest.mark.parametrize("case", range(len(STATIC)))
def test_static_errors(framework, case):
    call, error, fragments = STATIC[case]
    with pytest.raises(error) as info:
        call(framework.array)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"


VALUES = [
    (
        lambda a: mcce(a(S), a(np.array([[0, 2, 0, 0], [0, 0, 0, 0]]))),
        ["labels", "[0, 1]", "1 row"],
    ),
    (
        lambda a: mcce(a(S), a(np.array([[0.0, 1.5, 0, 0], [-0.1, 0, 0, 0]]))),
        ["labels", "[0, 1]", "2 row"],
    ),
    (lambda a: mcce(a(S), a(np.array([[0.0, np.nan, 0, 0], [0, 0, 0, 0]]))), ["labels", "[0, 1]"]),
    (lambda a: sparse(a(S), a(np.array([[0, 4], [1, 2]]))), ["labels", "[0, 4)"]),
    (lambda a: sparse(a(S), a(np.array([[0, -1], [1, 2]]))), ["labels", "[0, 4)"]),
    (lambda a: sparse(a(S), a(np.array([[0, -2], [1, -1]])), ignore_index=-1), ["ignore_index=-1"]),
    (lambda a: gp(a(GP), a(np.array([[[[0, 3]], [[-1, -1]]]])), sparse=True), ["labels", "[0, 3)"]),
    (lambda a: ce(a(S), a(np.array([0, 4]))), ["labels", "[0, 4)", "1 row"]),
    (lambda a: ce(a(S), a(np.array([-100, -1])), ignore_index=-100), ["ignore_index=-100"]),
    (
        lambda a: ce(a(S), a(Y1), where=a(np.array([[True] * 4, [True, True, True, False]]))),
        ["labels", "`where` keeps"],
    ),
    (lambda a: ce(a(S), a(np.array([[0.5, 0.5, 0, 0], [1.5, 0, 0, 0]]))), ["labels", "[0, 1]"]),
    (lambda a: mlcloss.nll_loss(a(S), a(np.array([0, 7]))), ["labels", "[0, 4)"]),
    (lambda a: mlcloss.softmax_focal_loss(a(S), a(np.array([0, -1]))), ["labels", "[0, 4)"]),
    (lambda a: mlcloss.kl_divergence(a(S), a(-P)), ["target_probs", "[0, 1]", "2 row"]),
    (lambda a: bce(a(S), a(P * 5)), ["labels", "[0, 1]", "8 entry"]),
    (lambda a: mlcloss.binary_cross_entropy(a(P + 1), a(P)), ["probs", "probabilities in [0, 1]"]),
    (lambda a: mlcloss.hinge_loss(a(S), a(Y)), ["labels", "-1 or +1"]),
]


@pytest.mark.parametrize("case", range(len(VALUES)))
def test_value_errors_on_concrete_inputs(framework, case):
    call, fragments = VALUES[case]
    with pytest.raises(ValueError) as info:
        call(framework.array)
    for fragment in fragments:
        assert fragment in str(info.value)
    with mlcloss.value_checks(False):
        call(framework.array)  # checks off: no error


def test_bad_rows_are_nan_under_tracing(traced_framework):
    xp = traced_framework
    logits = xp.array(np.zeros((3, 4)))
    index = xp.array(np.array([[0, 1], [0, 9], [2, -1]]))
    traced = xp.trace(lambda s, t: sparse(s, t, ignore_index=-1, reduction="none"))
    got = xp.to_numpy(traced(logits, index))
    assert np.isnan(got[1]) and np.all(np.isfinite(got[[0, 2]]))
    soft = xp.array(np.array([[0.0, 0.5, 1.0, 0.0], [0.0, 1.2, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]))
    traced = xp.trace(lambda s, t: mcce(s, t))
    assert np.isnan(xp.to_numpy(traced(logits, soft)))
    traced = xp.trace(lambda s, t: ce(s, t, reduction="none"))
    got = xp.to_numpy(traced(logits, xp.array(np.array([0, 4, 3]))))
    assert np.isnan(got[1]) and np.all(np.isfinite(got[[0, 2]]))
    traced = xp.trace(lambda s, t: bce(s, t, reduction="none"))
    got = xp.to_numpy(traced(logits, soft))
    assert np.isnan(got[1, 1]) and np.sum(np.isnan(got)) == 1


def test_value_checks_ignore_entries_left_out_by_where(framework):
    """Padding labels (e.g. -1) under where=False are not errors."""
    labels = framework.array(np.array([[1.0, -1.0], [0.0, 1.0]]))
    where = framework.array(np.array([[True, False], [True, True]]))
    got = bce(framework.array(np.zeros((2, 2))), labels, where=where)
    assert np.isfinite(framework.to_numpy(got))


def test_mixed_libraries_are_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="one array library.*numpy.*torch"):
        mcce(torch.zeros(2, 4, dtype=torch.float64), Y)
