"""``tf.Variable`` inputs, taken as tf.nn takes them: every loss reads them, and tapes see through.

For every case of ``CASES`` the prediction, the labels and the array options
are given as variables, eagerly and inside ``tf.function``; the value and
``tape.gradient`` with respect to each variable must equal those for the
same values given as (watched) tensors. The sampled losses, given the whole
vocabulary's output embedding as a variable, are compared with
``tf.nn.sampled_softmax_loss`` and ``tf.nn.nce_loss``; elementwise losses and
thresholds also take 0-d variables.
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from cases import CASES  # noqa: E402  (tests/ is on sys.path)

import mlcloss  # noqa: E402
from mlcloss.capabilities import LOSSES  # noqa: E402
from mlcloss.testing import FRAMEWORKS  # noqa: E402

TF = FRAMEWORKS["tensorflow"]
TF.setup()
# elementwise on dense labels (index lists of positives have no 0-d form)
ELEMENTWISE = {s.function for s in LOSSES if s.kind == "elementwise" and s.labels != "index"}


def _floating(x) -> bool:
    return x.dtype.is_floating


def _dense(g):
    """A gradient as NumPy (a gather's IndexedSlices made dense), or None."""
    return None if g is None else tf.convert_to_tensor(g).numpy()


def _value_and_grads(fn, sources, *, variables):
    """``fn(*sources)`` and the tape gradient w.r.t. each floating source, as NumPy.

    ``variables``: the sources are ``tf.Variable`` (a tape watches them when
    they are read); otherwise tensors, watched explicitly.
    """
    with tf.GradientTape(persistent=True) as tape:
        if not variables:
            tape.watch([s for s in sources if _floating(s)])
        value = fn(*sources)
    grads = [_dense(tape.gradient(value, s)) if _floating(s) else None for s in sources]
    return value.numpy(), grads


def _assert_same(got, want, rtol=1e-12):
    (value, grads), (expected_value, expected_grads) = got, want
    np.testing.assert_allclose(value, expected_value, rtol=rtol, atol=0)
    for i, (g, e) in enumerate(zip(grads, expected_grads)):
        assert (g is None) == (e is None), f"source {i}: gradient {g} where a tensor gets {e}"
        if e is not None:
            np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-15, err_msg=f"source {i}")


def _case(name, *, all_arrays):
    """``(fn(*sources), sources as NumPy)``: the prediction, then (``all_arrays``) the labels
    and array options; the rest stay fixed tensors."""
    fn, prediction, labels, arrays, options, *_ = CASES[name]
    labels, keys = list(labels), list(arrays)
    if not all_arrays:
        fixed_labels = [TF.array(a) for a in labels]
        fixed_arrays = {k: TF.array(v) for k, v in arrays.items()}

        def call(x):
            return fn(x, *fixed_labels, **fixed_arrays, **options)

        return call, [np.asarray(prediction, np.float64)]

    def call(x, *rest):
        given = dict(zip(keys, rest[len(labels) :]))
        return fn(x, *rest[: len(labels)], **given, **options)

    return call, [np.asarray(prediction, np.float64), *labels, *(arrays[k] for k in keys)]


@pytest.mark.parametrize("all_arrays", [False, True], ids=["prediction", "every-array"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_variables_give_the_tensors_value_and_gradient(name, all_arrays):
    call, sources = _case(name, all_arrays=all_arrays)
    tensors = [TF.array(s) for s in sources]
    expected = _value_and_grads(call, tensors, variables=False)
    assert expected[1][0] is not None  # the prediction is differentiated
    got = _value_and_grads(call, [tf.Variable(t) for t in tensors], variables=True)
    _assert_same(got, expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_variables_inside_tf_function(name):
    """A training step's shape: variables captured by a ``tf.function``, the tape inside it."""
    call, sources = _case(name, all_arrays=True)
    tensors = [TF.array(s) for s in sources]
    expected = _value_and_grads(call, tensors, variables=False)
    variables = [tf.Variable(t) for t in tensors]

    @tf.function
    def step():
        with tf.GradientTape(persistent=True) as tape:
            value = call(*variables)
        grads = [tape.gradient(value, v) if _floating(v) else None for v in variables]
        return value, [None if g is None else tf.convert_to_tensor(g) for g in grads]

    for _ in range(2):  # traced, then the traced function reused
        value, grads = step()
        _assert_same((value.numpy(), [_dense(g) for g in grads]), expected)
    for v in variables:  # the function reads the variables' current values
        if _floating(v):
            v.assign(v * 0.5)
    halved = [s * 0.5 if _floating(t) else s for s, t in zip(sources, tensors)]
    value, grads = step()
    rehalved = _value_and_grads(call, [TF.array(s) for s in halved], variables=False)
    _assert_same((value.numpy(), [_dense(g) for g in grads]), rehalved)


def test_a_variable_passed_to_a_jit_compiled_function():
    """A variable as the argument of ``tf.function(jit_compile=True)`` (XLA), gradient inside."""
    call, sources = _case("sampled-softmax", all_arrays=True)
    variables = [tf.Variable(TF.array(s)) for s in sources]
    expected = _value_and_grads(call, [TF.array(s) for s in sources], variables=False)

    @tf.function(jit_compile=True)
    def step(*vs):
        with tf.GradientTape(persistent=True) as tape:
            value = call(*vs)
        grads = [tape.gradient(value, v) if _floating(v) else None for v in vs]
        return value, [None if g is None else tf.convert_to_tensor(g) for g in grads]

    value, grads = step(*variables)
    _assert_same((value.numpy(), [_dense(g) for g in grads]), expected)


# -- the sampled losses against tf.nn, with the vocabulary's embedding as a variable ---------

VOCABULARY, DIM, BATCH, SAMPLED = 40, 5, 6, 7


def _output_layer(num_true):
    """The whole vocabulary's embedding and biases, a batch and its sampled values (hits included)."""
    rng = np.random.default_rng(3 + num_true)
    weights, biases = rng.normal(size=(VOCABULARY, DIM)), rng.normal(size=VOCABULARY)
    inputs = rng.normal(size=(BATCH, DIM))
    labels = rng.integers(0, VOCABULARY, size=(BATCH, num_true))
    sampled = rng.choice(VOCABULARY, size=SAMPLED, replace=False)
    sampled[:2] = labels[0, 0], labels[1, -1]  # accidental hits
    counts = (rng.uniform(0.05, 0.9, (BATCH, num_true)), rng.uniform(0.05, 0.9, SAMPLED))
    return weights, biases, inputs, labels, sampled, counts


@pytest.mark.parametrize("num_true", [1, 2])
@pytest.mark.parametrize(
    "ours, theirs, remove",
    [
        (mlcloss.sampled_softmax_loss, tf.nn.sampled_softmax_loss, True),
        (mlcloss.nce_loss, tf.nn.nce_loss, False),
        (mlcloss.nce_loss, tf.nn.nce_loss, True),
    ],
    ids=["sampled-softmax", "nce", "nce-remove-hits"],
)
def test_sampled_losses_take_the_embedding_variable_as_tf_nn_does(ours, theirs, remove, num_true):
    weights, biases, inputs, labels, sampled, (true_count, sampled_count) = _output_layer(num_true)
    sampled_values = (
        tf.constant(sampled, tf.int64),
        tf.constant(true_count),
        tf.constant(sampled_count),
    )
    options = {
        "num_sampled": SAMPLED,
        "num_classes": VOCABULARY,
        "num_true": num_true,
        "sampled_values": sampled_values,
        "remove_accidental_hits": remove,
    }
    results = []
    for loss in (ours, theirs):
        w, b, h = tf.Variable(weights), tf.Variable(biases), tf.Variable(inputs)
        extra = {"reduction": "none"} if loss is ours else {}
        with tf.GradientTape() as tape:
            value = loss(
                weights=w, biases=b, labels=tf.constant(labels), inputs=h, **options, **extra
            )
        grads = tape.gradient(value, [w, b, h])
        assert all(g is not None for g in grads), loss
        results.append((value.numpy(), [_dense(g) for g in grads]))
    (value, grads), (expected, expected_grads) = results
    assert value.shape == (BATCH,)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    for name, g, e in zip(("weights", "biases", "inputs"), grads, expected_grads):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-14, err_msg=name)
    assert np.count_nonzero(np.any(grads[0] != 0, axis=1)) <= num_true * BATCH + SAMPLED


# -- 0-d variables ---------------------------------------------------------------------------


def _element(a):
    """The entry of ``a`` that broadcasts to position ``[0, ..., 0]``, as a 0-d array."""
    return np.asarray(a)[(0,) * np.ndim(a)]


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][0] in ELEMENTWISE))
def test_elementwise_losses_take_a_0d_variable(name):
    fn, prediction, labels, arrays, options, *_ = CASES[name]
    labels = [TF.array(_element(a)) for a in labels]
    arrays = {k: TF.array(_element(v)) for k, v in arrays.items()}
    x = _element(np.asarray(prediction, np.float64))

    def call(x):
        return fn(x, *labels, **arrays, **options)

    expected = _value_and_grads(call, [TF.array(x)], variables=False)
    got = _value_and_grads(call, [tf.Variable(x)], variables=True)
    assert got[0].shape == () and got[1][0].shape == ()
    _assert_same(got, expected)
    numpy_value = fn(
        x, *(l.numpy() for l in labels), **{k: v.numpy() for k, v in arrays.items()}, **options
    )
    np.testing.assert_allclose(got[0], numpy_value, rtol=1e-12)


@pytest.mark.parametrize(
    "name, option",
    [("dense", "threshold"), ("combinatorial-variable", "threshold"), ("sigmoid-ce", "pos_weight")],
)
def test_a_0d_variable_option_is_learned(name, option):
    """A learned scalar (θ, a positive weight) as a 0-d variable: its value as the float's,
    its tape gradient the watched tensor's and plain autodiff's."""
    fn, prediction, labels, arrays, options, *_ = CASES[name]
    arrays = {k: TF.array(v) for k, v in arrays.items() if k != option}
    labels = [TF.array(a) for a in labels]
    logits = TF.array(np.asarray(prediction, np.float64))

    def call(scalar):
        return fn(logits, *labels, **arrays, **options, **{option: scalar})

    scalar = 0.3 if option == "threshold" else 1.7
    float_value = call(scalar).numpy()
    got = _value_and_grads(call, [tf.Variable(scalar, dtype=tf.float64)], variables=True)
    expected = _value_and_grads(call, [tf.constant(scalar, tf.float64)], variables=False)
    _assert_same(got, expected)
    np.testing.assert_allclose(got[0], float_value, rtol=1e-12)
    assert got[1][0].shape == () and got[1][0] != 0
    with mlcloss.analytic_gradients(False):
        autodiff = _value_and_grads(call, [tf.Variable(scalar, dtype=tf.float64)], variables=True)
    _assert_same(got, autodiff, rtol=1e-10)
