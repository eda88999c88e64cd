"""Losses stay on the input's device: every case, on every device torch and JAX see.

The CPU runs always; CUDA (torch) and GPU (JAX) devices are added to the
parameters automatically when the framework sees one. On each device the
value and the gradient must live on the input's device and equal the NumPy
float64 result, and nothing may go back to the host:

- JAX: eager under ``jax.transfer_guard_device_to_host("disallow")`` (no
  device-to-host reads, so no syncs), jitted under ``jax.transfer_guard("disallow")``
  (no transfers at all). JAX's default device is not repeated here: the
  traced-against-eager test of ``test_autodiff_and_tracing.py`` runs every case
  there under these guards (:class:`mlcloss.testing.frameworks.JaxFramework`);
  this file adds JAX's other devices (its CPU when a GPU is the default);
- torch: on CUDA, forward and backward under ``torch.cuda.set_sync_debug_mode("error")``,
  which raises on any operation that waits for the device.

Label value checks inspect host-resident data only (``Backend.is_concrete``);
on an accelerator a bad label gives NaN instead of a sync.
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import CASES  # tests/ is on sys.path

from mlcloss.testing import FRAMEWORKS, available_frameworks


def _devices():
    """(framework name, device name) pairs: every installed framework's CPU and accelerators."""
    names = {f.name for f in available_frameworks()}
    devices = []
    if "torch" in names:
        import torch

        devices.append(("torch", "cpu"))
        devices += [("torch", f"cuda:{i}") for i in range(torch.cuda.device_count())]
    if "jax" in names:
        import jax

        devices += [("jax", f"{d.platform}:{d.id}") for d in jax.devices()[1:]]
        if jax.default_backend() != "cpu":
            devices += [("jax", f"cpu:{d.id}") for d in jax.devices("cpu")[:1]]
    return devices


DEVICES = _devices()


def _expected(name):
    fn, prediction, args, arrays, options, *_ = CASES[name]
    return fn(prediction, *args, **arrays, **options)


def _torch(device, name):
    import torch

    fn, prediction, args, arrays, options, *_ = CASES[name]
    device = torch.device(device)
    put = lambda a: torch.asarray(np.asarray(a), device=device)  # noqa: E731
    x = put(prediction).requires_grad_(True)
    args, arrays = [put(a) for a in args], {k: put(v) for k, v in arrays.items()}
    guard = (
        torch.cuda.set_sync_debug_mode if device.type == "cuda" else lambda mode: None
    )  # raise on any operation that synchronises with the device
    guard("error")
    try:
        value = fn(x, *args, **arrays, **options)
        value.sum().backward()
    finally:
        guard("default")
    assert value.device == device, f"value on {value.device}, input on {device}"
    assert x.grad.device == device, f"gradient on {x.grad.device}, input on {device}"
    return value.detach().cpu().numpy()


def _jax(device, name):
    import jax

    platform, index = device.split(":")
    device = next(d for d in jax.devices(platform) if d.id == int(index))
    fn, prediction, args, arrays, options, *_ = CASES[name]
    put = lambda a: jax.device_put(np.asarray(a), device)  # noqa: E731
    x, args, arrays = (
        put(prediction),
        [put(a) for a in args],
        {k: put(v) for k, v in arrays.items()},
    )

    value_and_grad = FRAMEWORKS["jax"].value_and_grad_fn(
        lambda z, args, arrays: fn(z, *args, **arrays, **options)
    )

    with jax.transfer_guard_device_to_host("disallow"):
        eager = value_and_grad(x, args, arrays)
    traced = jax.jit(value_and_grad)
    jax.block_until_ready(traced(x, args, arrays))  # compiles; constants go over here
    with jax.transfer_guard("disallow"):
        jitted = traced(x, args, arrays)
    for result in (*eager, *jitted):
        assert result.devices() == {device}, f"result on {result.devices()}, input on {device}"
    np.testing.assert_allclose(jitted[0], eager[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(jitted[1], eager[1], rtol=1e-12, atol=1e-15)
    return np.asarray(eager[0])


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("library, device", DEVICES, ids=["-".join(d) for d in DEVICES])
def test_value_and_gradient_stay_on_the_input_device(library, device, name):
    FRAMEWORKS[library].setup()
    value = {"torch": _torch, "jax": _jax}[library](device, name)
    np.testing.assert_allclose(value, _expected(name), rtol=1e-10, atol=1e-14)
