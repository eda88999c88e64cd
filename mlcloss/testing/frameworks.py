"""The frameworks the conformance suite runs on, each behind one small interface.

A :class:`Framework` converts NumPy arrays in and out, takes gradients with
the framework's own autograd, and traces a function with its compiler
(``jax.jit``, ``tf.function(jit_compile=True)``, ``torch.compile(fullgraph=True)``).
Frameworks are imported only when asked for.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

#: Environment variable selecting the frameworks, comma-separated (default: all installed).
ENV_VAR = "MLCLOSS_BACKENDS"


class Framework:
    """One array library as the test suite sees it."""

    name = "?"
    module = "?"
    has_autograd = False
    compiler = None  # the name of its tracing compiler, if any
    float_dtypes = ("float16", "float32", "float64")

    def __init__(self):
        self._ready = False

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def setup(self) -> None:
        """Import and configure the framework (once)."""
        if not self._ready:
            self._setup()
            self._ready = True

    def _setup(self) -> None:
        pass

    @property
    def xp(self):
        """The array-API namespace mlcloss resolves for this framework's arrays."""
        from ..backends import array_namespace

        return array_namespace(self.array(np.zeros(1)))

    def dtype(self, name: str):
        raise NotImplementedError

    def array(self, values, dtype: str | None = None):
        """A framework array holding ``values`` (NumPy) as ``dtype`` (a name)."""
        raise NotImplementedError

    def to_numpy(self, x) -> np.ndarray:
        raise NotImplementedError

    def value_and_grad(self, fn, x, *args):
        """(fn(x, *args) as NumPy, d sum(fn(x, *args)) / dx as NumPy)."""
        raise NotImplementedError(f"{self.name} has no autograd")

    def eager_value_and_grad(self, fn, x, *args):
        """:meth:`value_and_grad` run op by op (where that one compiles, as JAX's does)."""
        return self.value_and_grad(fn, x, *args)

    def trace(self, fn):
        """``fn`` compiled by the framework's tracing compiler."""
        raise NotImplementedError(f"{self.name} has no tracing compiler")

    def traced_value_and_grad(self, fn, x, *args):
        """:meth:`value_and_grad` with the forward and backward pass compiled by :meth:`trace`."""
        raise NotImplementedError(f"{self.name} has no tracing compiler")

    def __repr__(self) -> str:
        return self.name


class NumPyFramework(Framework):
    name = module = "numpy"

    def dtype(self, name):
        return np.dtype(name)

    def array(self, values, dtype=None):
        return np.asarray(values, dtype=dtype)

    def to_numpy(self, x):
        return np.asarray(x)


class StrictFramework(Framework):
    name = module = "array_api_strict"
    float_dtypes = ("float32", "float64")

    def dtype(self, name):
        import array_api_strict as xs

        return getattr(xs, name)

    def array(self, values, dtype=None):
        import array_api_strict as xs

        values = np.asarray(values, dtype=dtype)
        return xs.asarray(values, dtype=getattr(xs, str(values.dtype)))

    def to_numpy(self, x):
        return np.from_dlpack(x)


class TorchFramework(Framework):
    name = module = "torch"
    has_autograd = True
    compiler = "torch.compile"
    float_dtypes = ("float16", "bfloat16", "float32", "float64")

    def dtype(self, name):
        import torch

        return getattr(torch, name)

    def array(self, values, dtype=None):
        import torch

        if dtype == "bfloat16":
            return torch.asarray(np.asarray(values, dtype=np.float32)).to(torch.bfloat16)
        return torch.asarray(np.array(values, dtype=dtype))

    def to_numpy(self, x):
        import torch

        x = x.detach().cpu()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()

    def value_and_grad(self, fn, x, *args):
        x = x.detach().clone().requires_grad_(True)
        value = fn(x, *args)
        value.sum().backward()
        return self.to_numpy(value), self.to_numpy(x.grad)

    def trace(self, fn):
        import torch

        # dynamo caches compiled frames per code object: closures built by one
        # test helper share it and would hit the recompile limit, so start clean
        torch._dynamo.reset()
        return torch.compile(fn, fullgraph=True, dynamic=False)

    def traced_value_and_grad(self, fn, x, *args):
        # AOTAutograd compiles the backward graph with the forward one
        return self.value_and_grad(self.trace(fn), x, *args)


class JaxFramework(Framework):
    name = module = "jax"
    has_autograd = True
    compiler = "jax.jit"
    float_dtypes = ("float16", "bfloat16", "float32", "float64")

    def _setup(self):
        import jax

        jax.config.update("jax_enable_x64", True)

    def dtype(self, name):
        import jax.numpy as jnp

        return getattr(jnp, name)

    def array(self, values, dtype=None):
        import jax.numpy as jnp

        if dtype == "bfloat16":
            return jnp.asarray(np.asarray(values, dtype=np.float32), dtype=jnp.bfloat16)
        return jnp.asarray(np.asarray(values, dtype=dtype))

    def to_numpy(self, x):
        return np.asarray(x.astype("float32") if x.dtype.name == "bfloat16" else x)

    @staticmethod
    def value_and_grad_fn(fn):
        """``(x, *args) -> (fn(x, *args), d sum(fn(x, *args)) / dx)`` in JAX arrays, jittable."""
        import jax
        import jax.numpy as jnp

        def value_and_grad(x, *args):
            value, vjp = jax.vjp(lambda y: fn(y, *args), x)
            return value, vjp(jnp.ones_like(value))[0]

        return value_and_grad

    def value_and_grad(self, fn, x, *args):
        """Under one ``jax.jit`` (``args`` closed over): eager JAX compiles each primitive on
        its first shape, 7.7 s for the GlobalPointer case against 0.8 s for one jit.
        :meth:`eager_value_and_grad` dispatches op by op."""
        import jax

        value, grad = jax.jit(lambda y: self.value_and_grad_fn(fn)(y, *args))(x)
        return self.to_numpy(value), self.to_numpy(grad)

    def eager_value_and_grad(self, fn, x, *args):
        """Op by op, with no device-to-host read allowed (no sync), on ``x``'s device."""
        import jax

        with jax.transfer_guard_device_to_host("disallow"):
            value, grad = self.value_and_grad_fn(fn)(x, *args)
        return self.to_numpy(_on(x, value)), self.to_numpy(_on(x, grad))

    def trace(self, fn):
        import jax

        return jax.jit(fn)

    def traced_value_and_grad(self, fn, x, *args):
        """Compiled; run once more with no transfer at all allowed (the first call moves the
        constants over), on ``x``'s device."""
        import jax

        traced = self.trace(self.value_and_grad_fn(fn))
        jax.block_until_ready(traced(x, *args))
        with jax.transfer_guard("disallow"):
            value, grad = traced(x, *args)
        return self.to_numpy(_on(x, value)), self.to_numpy(_on(x, grad))


def _on(x, result):
    """``result``, asserted to live on the devices of the JAX array ``x``."""
    assert result.devices() == x.devices(), f"result on {result.devices()}, input on {x.devices()}"
    return result


class TensorFlowFramework(Framework):
    name = module = "tensorflow"
    has_autograd = True
    compiler = "tf.function(jit_compile=True)"
    float_dtypes = ("float16", "bfloat16", "float32", "float64")

    def _setup(self):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow  # noqa: F401

    def dtype(self, name):
        import tensorflow as tf

        return getattr(tf, name)

    def array(self, values, dtype=None):
        import tensorflow as tf

        if dtype == "bfloat16":
            return tf.cast(tf.constant(np.asarray(values, dtype=np.float32)), tf.bfloat16)
        return tf.constant(np.asarray(values, dtype=dtype))

    def to_numpy(self, x):
        import tensorflow as tf

        return (tf.cast(x, tf.float32) if x.dtype == tf.bfloat16 else x).numpy()

    @staticmethod
    def _tape(fn):
        """``(x, *args) -> (value, gradient of its sum)`` by ``GradientTape``, traceable."""
        import tensorflow as tf

        def value_and_grad(x, *args):
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = fn(x, *args)
            # a gather's gradient arrives as IndexedSlices
            return value, tf.convert_to_tensor(tape.gradient(value, x))

        return value_and_grad

    def value_and_grad(self, fn, x, *args):
        value, grad = self._tape(fn)(x, *args)
        return self.to_numpy(value), self.to_numpy(grad)

    def trace(self, fn):
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)

    def traced_value_and_grad(self, fn, x, *args):
        value, grad = self.trace(self._tape(fn))(x, *args)
        return self.to_numpy(value), self.to_numpy(grad)


FRAMEWORKS = {
    f.name: f
    for f in (
        NumPyFramework(),
        StrictFramework(),
        TorchFramework(),
        JaxFramework(),
        TensorFlowFramework(),
    )
}


def available_frameworks() -> list[Framework]:
    """The selected frameworks (``MLCLOSS_BACKENDS``, default all) that are installed."""
    wanted = os.environ.get(ENV_VAR, "").strip()
    names = [n.strip() for n in wanted.split(",") if n.strip()] if wanted else list(FRAMEWORKS)
    unknown = sorted(set(names) - set(FRAMEWORKS))
    if unknown:
        raise ValueError(f"{ENV_VAR} names unknown frameworks {unknown}; known: {list(FRAMEWORKS)}")
    return [FRAMEWORKS[n] for n in names if FRAMEWORKS[n].available()]


class OnDevice(Framework):
    """``framework`` (torch or JAX) with every array it makes placed on ``device``.

    ``device``: a torch device string (``"cuda:0"``) or a ``jax.Device``.
    Values and gradients come back through the framework's own conversion,
    which copies them to the host.
    """

    def __init__(self, framework: Framework, device):
        super().__init__()
        self.base, self.device = framework, device
        label = device if isinstance(device, str) else f"{device.platform}:{device.id}"
        self.name = f"{framework.name} {label}"
        self.module, self.has_autograd = framework.module, framework.has_autograd
        self.compiler, self.float_dtypes = framework.compiler, framework.float_dtypes

    def _setup(self):
        self.base.setup()

    def dtype(self, name):
        return self.base.dtype(name)

    def array(self, values, dtype=None):
        x = self.base.array(values, dtype)
        if self.base.name == "torch":
            return x.to(self.device)
        import jax

        return jax.device_put(x, self.device)

    def to_numpy(self, x):
        return self.base.to_numpy(x)

    def value_and_grad(self, fn, x, *args):
        return self.base.value_and_grad(fn, x, *args)


def accelerators() -> list[OnDevice]:
    """Every CUDA device torch sees and every GPU or TPU JAX sees, for the selected frameworks."""
    found = []
    names = {f.name for f in available_frameworks()}
    if "torch" in names:
        import torch

        torch_ = FRAMEWORKS["torch"]
        found += [OnDevice(torch_, f"cuda:{i}") for i in range(torch.cuda.device_count())]
    if "jax" in names:
        FRAMEWORKS["jax"].setup()
        import jax

        found += [OnDevice(FRAMEWORKS["jax"], d) for d in jax.devices() if d.platform != "cpu"]
    return found
