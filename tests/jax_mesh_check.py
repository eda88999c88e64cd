"""Run by tests/test_scale_out.py with eight host devices (XLA_FLAGS set by the caller).

Every case of ``CASES`` on a 4×2 ``Mesh`` of ("batch", "classes"), with its
inputs batch-sharded, class-sharded and both: the value (under ``jax.jit``,
and eagerly when both-sharded) must equal the unsharded float64 NumPy value, the gradient must
equal the unsharded gradient, and the jitted gradient must keep the
prediction's sharding. Prints one line per case and sharding, then "ok".
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

sys.path.insert(0, str(Path(__file__).parent))

from cases import CASES, FIRST, SPEC  # noqa: E402

import mlcloss  # noqa: E402
from mlcloss.testing import FRAMEWORKS  # noqa: E402

jax.config.update("jax_enable_x64", True)
MESH = Mesh(np.array(jax.devices()).reshape(4, 2), ("batch", "classes"))
LAYOUTS = {"batch": {"batch"}, "classes": {"classes"}, "both": {"batch", "classes"}}

# A GlobalPointer input whose batch (4) and entity types (2) fit the mesh: its
# "classes" are the entity types (axis 1), not the span positions.
RNG = np.random.default_rng(11)
GP_CASE = (
    mlcloss.global_pointer_crossentropy,
    RNG.normal(size=(4, 2, 5, 5)),
    [np.array([[[[0, 1], [2, 3]], [[4, 4], [-1, -1]]]] * 4)],
    {"mask": RNG.random((4, 5)) < 0.8},
    {"sparse": True},
)

# nll_loss's gradient is −1/N at each label, a constant independent of the
# log-probabilities: XLA has no operand to take the classes sharding from
# and returns it replicated (the value is right; out_shardings keeps the layout).
# multilabel_margin_loss compares every listed class (a gather by the index
# lists, themselves sharded along the classes) with every class: XLA gathers the
# class axis whole and the gradient comes back replicated along it.
GRADIENT_REPLICATED = {
    ("nll", "classes"),
    ("nll", "both"),
    ("multilabel-margin", "classes"),
    ("multilabel-margin", "both"),
}


# one case a loss (sharding follows the formula, not its options); not the sequence losses,
# whose recursion runs along a time axis that no layout here names (batch, classes)
SHARDED = [n for n in FIRST if n not in SPEC or SPEC[n].kind != "sequence"]


def sharding(array, layout, *, batch, classes, class_axis):
    """The NamedSharding of an input: its batch axis over "batch", its class axis over "classes"."""
    shape, parts = np.shape(array), [None] * np.ndim(array)
    if np.ndim(array) == 1:  # per-example (threshold) or per-class (class_weights)
        axes = {batch: 0} if shape[0] == batch else {classes: 0} if shape[0] == classes else {}
        axis_names = {batch: "batch", classes: "classes"}
        for size, axis in axes.items():
            if axis_names[size] in layout and size % MESH.shape[axis_names[size]] == 0:
                parts[axis] = axis_names[size]
    elif np.ndim(array) > 1:
        if "batch" in layout and shape[0] % MESH.shape["batch"] == 0:
            parts[0] = "batch"
        axis = class_axis if np.ndim(array) > class_axis else -1
        if "classes" in layout and shape[axis] % MESH.shape["classes"] == 0:
            parts[axis] = "classes"
    return NamedSharding(MESH, P(*parts))


def check(name, case):
    fn, prediction, args, arrays, options, *_ = case
    class_axis = 1 if name.startswith("global-pointer") else -1  # entity types
    batch, classes = prediction.shape[0], prediction.shape[class_axis]
    call = FRAMEWORKS["jax"].value_and_grad_fn(
        lambda z, args, arrays: fn(z, *args, **arrays, **options)
    )
    traced = jax.jit(call)
    want = fn(prediction, *args, **arrays, **options)
    unsharded = [jnp.asarray(a) for a in args], {k: jnp.asarray(v) for k, v in arrays.items()}
    _, want_grad = call(jnp.asarray(prediction), *unsharded)
    for layout_name, layout in LAYOUTS.items():

        def put(a, layout=layout):
            where = sharding(a, layout, batch=batch, classes=classes, class_axis=class_axis)
            return jax.device_put(jnp.asarray(a), where)

        x = put(prediction)
        args_, arrays_ = [put(a) for a in args], {k: put(v) for k, v in arrays.items()}
        jitted = traced(x, args_, arrays_)
        # eager dispatch compiles each op per layout (seconds a case): once, fully sharded
        results = (jitted, call(x, args_, arrays_)) if layout_name == "both" else (jitted,)
        for value, grad in results:
            np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-15, err_msg=name)
            np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-15, err_msg=name)
        kept = jitted[1].sharding.is_equivalent_to(x.sharding, x.ndim)
        assert kept == ((name, layout_name) not in GRADIENT_REPLICATED), (
            f"{name}, {layout_name}-sharded: input {x.sharding.spec}, "
            f"gradient {jitted[1].sharding.spec}"
        )
        print(
            f"{name:26} {layout_name:8} input {x.sharding.spec}  gradient {jitted[1].sharding.spec}"
        )


def main():
    assert len(jax.devices()) == 8, f"expected 8 host devices, found {jax.devices()}"
    cases = {name: CASES[name] for name in SHARDED}
    cases["global-pointer"] = GP_CASE
    failed = []
    for name in sorted(cases):
        try:
            check(name, cases[name])
        except AssertionError as error:  # every case is checked; the failures are listed last
            failed.append(f"{name}: {error}")
    assert not failed, "\n".join(failed)
    print("ok")


if __name__ == "__main__":
    main()
