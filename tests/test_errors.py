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
]


@pytest.mark.parametrize("case", range(len(STATIC)))
def test_static_errors(xp, case):
    call, error, fragments = STATIC[case]
    with pytest.raises(error) as info:
        call(xp.array)
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
]


@pytest.mark.parametrize("case", range(len(VALUES)))
def test_value_errors_on_concrete_inputs(xp, case):
    call, fragments = VALUES[case]
    with pytest.raises(ValueError) as info:
        call(xp.array)
    for fragment in fragments:
        assert fragment in str(info.value)
    with mlcloss.value_checks(False):
        call(xp.array)  # checks off: no error


def test_bad_rows_are_nan_under_tracing(xp_traced):
    xp = xp_traced
    logits = xp.array(np.zeros((3, 4)))
    index = xp.array(np.array([[0, 1], [0, 9], [2, -1]]))
    traced = xp.trace(lambda s, t: sparse(s, t, ignore_index=-1, reduction="none"))
    got = xp.to_numpy(traced(logits, index))
    assert np.isnan(got[1]) and np.all(np.isfinite(got[[0, 2]]))
    soft = xp.array(np.array([[0.0, 0.5, 1.0, 0.0], [0.0, 1.2, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]))
    traced = xp.trace(lambda s, t: mcce(s, t))
    assert np.isnan(xp.to_numpy(traced(logits, soft)))


def test_mixed_libraries_are_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="one array library.*numpy.*torch"):
        mcce(torch.zeros(2, 4, dtype=torch.float64), Y)
