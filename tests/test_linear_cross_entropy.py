"""linear_cross_entropy: the chunked loss equals the two-step one and torch's own, with gradients."""

from __future__ import annotations

import numpy as np
import pytest

import mlcloss
from mlcloss.testing import FRAMEWORKS

RNG = np.random.default_rng(11)
HIDDEN = RNG.normal(size=(2, 5, 6))
WEIGHT = RNG.normal(size=(23, 6))
BIAS = RNG.normal(size=23)
LABELS = RNG.integers(0, 23, (2, 5))
LABELS[0, 1] = -100


def _two_step(hidden, weight, labels, bias, **options):
    """The float64 oracle: the full logits, then a log-softmax, written from the definition."""
    logits = hidden @ weight.T + (0 if bias is None else bias)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    keep = labels != options.get("ignore_index", object())
    picked = np.take_along_axis(log_p, np.where(keep, labels, 0)[..., None], axis=-1)[..., 0]
    rows = np.where(keep, -picked, 0.0)
    reduction = options.get("reduction", "mean")
    if reduction == "none":
        return rows
    return rows.sum() / (keep.sum() if reduction == "mean" else 1)


@pytest.mark.parametrize("chunk_size", [1, 4, 23, 4096])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("bias", [None, BIAS], ids=["no-bias", "bias"])
def test_equals_the_two_step_computation(framework, chunk_size, reduction, bias):
    options = {"ignore_index": -100, "reduction": reduction}
    loss = mlcloss.linear_cross_entropy(
        framework.array(HIDDEN),
        framework.array(WEIGHT),
        framework.array(LABELS),
        bias=None if bias is None else framework.array(bias),
        chunk_size=chunk_size,
        **options,
    )
    expected = _two_step(HIDDEN, WEIGHT, LABELS, bias, **options)
    np.testing.assert_allclose(framework.to_numpy(loss), expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradients_equal_autograd_of_the_two_step_computation(autograd_framework, reduction):
    """d/d hidden, d/d weight and d/d bias (each through the framework's autograd)."""
    arrays = [autograd_framework.array(a) for a in (HIDDEN, WEIGHT, BIAS)]
    labels = autograd_framework.array(LABELS)
    for i in range(3):

        def chunked(x, i=i):
            inputs = list(arrays)
            inputs[i] = x
            h, w, b = inputs
            return mlcloss.linear_cross_entropy(
                h, w, labels, bias=b, chunk_size=7, ignore_index=-100, reduction=reduction
            )

        def two_step(x, i=i):
            inputs = list(arrays)
            inputs[i] = x
            h, w, b = inputs
            xp = mlcloss.array_namespace(h)
            logits = xp.matmul(h, xp.matrix_transpose(w)) + b
            return mlcloss.softmax_cross_entropy(
                logits, labels, ignore_index=-100, reduction=reduction
            )

        value, grad = autograd_framework.value_and_grad(chunked, arrays[i])
        expected_value, expected = autograd_framework.value_and_grad(two_step, arrays[i])
        np.testing.assert_allclose(value, expected_value, rtol=1e-12)
        np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-13)


def test_equals_torch_linear_cross_entropy_with_gradients():
    torch = FRAMEWORKS["torch"]
    if not torch.available():
        pytest.skip("torch not installed")
    import torch
    import torch.nn.functional as F

    def run(loss):
        flat = HIDDEN.reshape(-1, HIDDEN.shape[-1])  # torch's takes [N, D]
        h, w, b = (torch.tensor(a, requires_grad=True) for a in (flat, WEIGHT, BIAS))
        value = loss(h, w, b, torch.tensor(LABELS.reshape(-1)))
        value.backward()
        return value.item(), h.grad.numpy(), w.grad.numpy(), b.grad.numpy()

    ours = run(
        lambda h, w, b, y: mlcloss.linear_cross_entropy(
            h, w, y, bias=b, chunk_size=5, ignore_index=-100
        )
    )
    theirs = run(lambda h, w, b, y: F.linear_cross_entropy(h, w, y, linear_bias=b))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_numpy_value_and_grad():
    value, grad = mlcloss.value_and_grad(mlcloss.linear_cross_entropy)(
        HIDDEN, WEIGHT, LABELS, ignore_index=-100, chunk_size=3
    )
    eps, expected = 1e-6, np.zeros_like(HIDDEN)
    for i in np.ndindex(*HIDDEN.shape):
        step = np.zeros_like(HIDDEN)
        step[i] = eps
        up = _two_step(HIDDEN + step, WEIGHT, LABELS, None, ignore_index=-100)
        down = _two_step(HIDDEN - step, WEIGHT, LABELS, None, ignore_index=-100)
        expected[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(value, _two_step(HIDDEN, WEIGHT, LABELS, None, ignore_index=-100))
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)


def test_jax_forward_mode_and_jit():
    jax_framework = FRAMEWORKS["jax"]
    if not jax_framework.available():
        pytest.skip("jax not installed")
    jax_framework.setup()
    import jax
    import jax.numpy as jnp

    labels = jnp.asarray(np.where(LABELS < 0, 0, LABELS))

    def loss(h, w):
        return mlcloss.linear_cross_entropy(h, w, labels, chunk_size=6)

    h, w = jnp.asarray(HIDDEN), jnp.asarray(WEIGHT)
    reverse = jax.grad(loss, argnums=(0, 1))(h, w)
    forward = jax.jacfwd(loss, argnums=(0, 1))(h, w)
    compiled = jax.jit(jax.grad(loss, argnums=(0, 1)))(h, w)
    for a, b, c in zip(reverse, forward, compiled):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(np.asarray(c), np.asarray(a), rtol=1e-12, atol=1e-15)


def test_float16_inputs_compute_in_float32(framework):
    if "float16" not in framework.float_dtypes:
        pytest.skip(f"{framework.name} has no float16")
    h, w = framework.array(HIDDEN, "float16"), framework.array(WEIGHT, "float16")
    loss = mlcloss.linear_cross_entropy(
        h, w, framework.array(LABELS), ignore_index=-100, chunk_size=4
    )
    rounded = _two_step(
        HIDDEN.astype(np.float16).astype(np.float64),
        WEIGHT.astype(np.float16).astype(np.float64),
        LABELS,
        None,
        ignore_index=-100,
    )
    assert "float32" in str(loss.dtype)
    np.testing.assert_allclose(framework.to_numpy(loss), rounded, rtol=2e-6)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"chunk_size": 0}, "chunk_size must be an int >= 1, received 0"),
        (
            {"weight": WEIGHT[:, :4]},
            r"weight must have shape \[V, D\] with D = hidden.shape\[-1\] = 6",
        ),
        ({"labels": LABELS[:, :3]}, r"labels must have shape hidden.shape\[:-1\] = \(2, 5\)"),
        ({"bias": BIAS[:5]}, r"bias must have shape \[V\] = \(23,\), received \(5,\)"),
        (
            {"ignore_index": None},
            r"labels has invalid values in 1 row\(s\); expected class indices in \[0, 23\)",
        ),
    ],
)
def test_bad_arguments_are_named(options, match):
    args = {"hidden": HIDDEN, "weight": WEIGHT, "labels": LABELS, "ignore_index": -100, **options}
    with pytest.raises(ValueError, match=match):
        mlcloss.linear_cross_entropy(
            args.pop("hidden"), args.pop("weight"), args.pop("labels"), **args
        )


@pytest.mark.parametrize("z_loss, softcap", [(1e-2, None), (0.0, 2.5), (3e-3, 4.0)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_z_loss_and_soft_capping_are_torch_composed(z_loss, softcap, reduction):
    """cross_entropy(c tanh((h Wᵀ + b)/c), y) + ζ logsumexp² per row kept: values and the
    gradients in the hidden states, the weight and the bias."""
    torch = pytest.importorskip("torch")
    h = torch.tensor(HIDDEN, requires_grad=True)
    w = torch.tensor(WEIGHT, requires_grad=True)
    b = torch.tensor(BIAS, requires_grad=True)
    y = torch.tensor(LABELS)
    ours = mlcloss.linear_cross_entropy(
        h, w, y, bias=b, chunk_size=5, ignore_index=-100, z_loss=z_loss,
        logit_softcap=softcap, reduction=reduction,
    )  # fmt: skip
    logits = h @ w.T + b
    if softcap is not None:
        logits = softcap * torch.tanh(logits / softcap)
    kept = (y != -100).double()
    rows = (
        torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), y, ignore_index=-100, reduction="none"
        )
        + z_loss * kept * torch.logsumexp(logits, -1) ** 2
    )
    theirs = {"none": rows, "sum": rows.sum(), "mean": rows.sum() / kept.sum()}[reduction]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    for a, c in zip(
        torch.autograd.grad(ours.sum(), (h, w, b)), torch.autograd.grad(theirs.sum(), (h, w, b))
    ):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("option, value", [("z_loss", -1.0), ("logit_softcap", 0.0)])
def test_z_loss_and_softcap_refuse_bad_values(option, value):
    with pytest.raises(ValueError, match=option):
        mlcloss.linear_cross_entropy(HIDDEN, WEIGHT, np.abs(LABELS), **{option: value})
