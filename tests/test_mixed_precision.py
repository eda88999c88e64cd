"""16-bit inputs across float16's whole range, for every case of the capability table.

Each case's prediction is scaled so its largest logit is 6e4 (float16's
largest finite value is 65504), cast to float16 or bfloat16, and must give a
float32 loss within float32 rounding of the float64 computation on the same
rounded values: nothing is exponentiated, squared or summed in 16 bits. The
gradient comes back in the input's dtype, finite, and within 16-bit rounding
of the float64 gradient. Predictions that are probabilities or cosine
similarities keep their values (scaling them would leave the domain).
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import BOUNDED, CASES  # tests/ is on sys.path

LARGEST_LOGIT = 6e4
# scale-free losses: at 6e4 their gradient (~1/|x|) lies below float16's normal range, so
# only their values are tried there
SCALE_FREE = {"cosine_distance", "cosine_embedding_loss", "approx_ndcg_loss"}
HALVES = ("float16", "bfloat16")


def _rounded(framework, name, dtype, *, scaled=True):
    """The case's inputs rounded to ``dtype``: (loss, prediction, labels, array options) in NumPy.

    Floating labels and array options are rounded too; the arrays stay float64
    NumPy holding the rounded values, so ``_as`` can pose them in any dtype.
    """
    fn, prediction, args, arrays, options, *_ = CASES[name]
    if scaled and name not in BOUNDED:
        prediction = prediction * (LARGEST_LOGIT / np.abs(prediction).max())

    def rounded(values):
        values = np.asarray(values)
        if values.dtype.kind != "f":
            return values
        return framework.to_numpy(framework.array(values, dtype=dtype)).astype(np.float64)

    def loss(x, *labels, **array_options):
        return fn(x, *labels, **array_options, **options)

    rounded_arrays = {k: rounded(v) for k, v in arrays.items()}
    return loss, rounded(prediction), [rounded(a) for a in args], rounded_arrays


def _as(framework, dtype, loss, prediction, labels, arrays):
    """(loss with its array options bound, prediction, labels) as ``framework`` arrays."""

    def pose(values):
        return framework.array(values, dtype=dtype if values.dtype.kind == "f" else None)

    posed = {k: pose(v) for k, v in arrays.items()}
    return lambda x, *y: loss(x, *y, **posed), pose(prediction), [pose(a) for a in labels]


@pytest.mark.parametrize("name", sorted(CASES))
def test_sixteen_bit_inputs_up_to_6e4_give_float32_losses(framework, name):
    halves = [d for d in HALVES if d in framework.float_dtypes]
    if not halves:  # array-api-strict has no 16-bit floats
        pytest.skip(f"{framework.name} has no float16 or bfloat16")
    for dtype in halves:
        loss, prediction, labels, arrays = _rounded(framework, name, dtype)
        half_loss, x, half_labels = _as(framework, dtype, loss, prediction, labels, arrays)
        got = half_loss(x, *half_labels)
        assert got.dtype == framework.dtype("float32"), f"{dtype}: loss dtype {got.dtype}"
        got = framework.to_numpy(got)
        assert np.all(np.isfinite(got)), f"{dtype}: {got}"
        want = loss(prediction, *labels, **arrays)  # NumPy, float64
        # float32 rounding of intermediates as large as the largest logit
        atol = 16 * np.finfo(np.float32).eps * np.abs(prediction).max()
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=atol, err_msg=dtype)


#: gradients come back in the input's dtype: a few units of its last place
GRADIENT_TOLERANCE = {"float16": 4 * 2.0**-10, "bfloat16": 4 * 2.0**-7}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sixteen_bit_gradients_up_to_6e4_are_finite_and_close(autograd_framework, name):
    for dtype in [d for d in HALVES if d in autograd_framework.float_dtypes]:
        case = _rounded(
            autograd_framework, name, dtype, scaled=CASES[name][0].__name__ not in SCALE_FREE
        )
        loss, x, labels = _as(autograd_framework, dtype, *case)
        _, grad = autograd_framework.value_and_grad(loss, x, *labels)
        assert np.all(np.isfinite(grad)), f"{dtype}: gradient {grad}"
        # the reference: the same framework's float64 gradient on the rounded values
        loss64, x64, labels64 = _as(autograd_framework, "float64", *case)
        _, grad64 = autograd_framework.value_and_grad(loss64, x64, *labels64)
        tolerance = GRADIENT_TOLERANCE[dtype]
        np.testing.assert_allclose(
            grad, grad64, rtol=tolerance, atol=tolerance * np.abs(grad64).max(), err_msg=dtype
        )
