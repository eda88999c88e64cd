"""Scale-out on existing engines: a JAX device mesh, Dask arrays, torch DDP.

Run by the ``scale_out`` nox session (``pytest -m scale_out``). The mesh and
DDP checks need fresh processes (eight XLA host devices; two DDP workers)
and run as scripts; Dask runs here.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cases import CASES, FIRST, SPEC  # tests/ is on sys.path

pytestmark = pytest.mark.scale_out
HERE = Path(__file__).parent


def _run(script, **env):
    result = subprocess.run(
        [sys.executable, str(HERE / script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert result.stdout.rstrip().endswith("ok"), result.stdout[-3000:]
    return result.stdout


def test_jax_mesh_batch_class_and_both_sharded():
    """Every case on a 4×2 mesh: unsharded values and gradients, the gradient keeps the layout."""
    pytest.importorskip("jax")
    flags = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
    out = _run("jax_mesh_check.py", XLA_FLAGS=flags.strip())
    sharded = {n for n in FIRST if n not in SPEC or SPEC[n].kind != "sequence"}
    sharded.add("global-pointer")  # the check's own GlobalPointer case, fit to the mesh
    assert out.count("gradient") == 3 * len(sharded)  # one case a loss, three layouts


def test_torch_ddp_two_processes_equal_one():
    """gloo DDP over two processes gives the single process's gradients; the global-mean recipe."""
    pytest.importorskip("torch")
    _run("ddp_check.py")


def _dask_cases():
    """(case, reduction) pairs: each case as written, and per-example / summed where it reduces."""
    pairs = []
    for name, case in sorted(CASES.items()):
        fn, options = case[0], case[4]
        pairs.append((name, None))
        parameters = inspect.signature(fn).parameters
        reduces = "reduction" in parameters or any(
            p.kind is p.VAR_KEYWORD for p in parameters.values()
        )
        if reduces:
            pairs += [(name, r) for r in ("none", "sum") if options.get("reduction") != r]
    return pairs


@pytest.mark.parametrize("name, reduction", _dask_cases())
def test_dask_stays_lazy_and_equals_numpy(name, reduction):
    """The loss of chunked Dask inputs is a Dask array, built without computing anything."""
    if importlib.util.find_spec("dask") is None:
        pytest.skip("dask is not installed (the scale_out session installs it)")
    import dask
    import dask.array as da

    fn, prediction, args, arrays, options, *_ = CASES[name]
    if reduction is not None:
        options = {**options, "reduction": reduction}

    def chunked(a):  # two chunks along every axis, the classes included
        return da.from_array(np.asarray(a), chunks=tuple(max(1, n // 2) for n in np.shape(a)))

    def refuse(*args, **kwargs):
        raise AssertionError("the loss computed a Dask graph while building it")

    with dask.config.set(scheduler=refuse):
        lazy = fn(
            chunked(prediction),
            *[chunked(a) for a in args],
            **{k: chunked(v) for k, v in arrays.items()},
            **options,
        )
    assert isinstance(lazy, da.Array), type(lazy)
    want = fn(prediction, *args, **arrays, **options)
    assert lazy.shape == np.shape(want)
    np.testing.assert_allclose(lazy.compute(), want, rtol=1e-12, atol=1e-15)


def test_dask_bad_labels_give_nan_rows_not_a_compute():
    """Value checks never compute a Dask graph: an out-of-range label poisons its row."""
    if importlib.util.find_spec("dask") is None:
        pytest.skip("dask is not installed (the scale_out session installs it)")
    import dask.array as da

    import mlcloss

    logits = da.from_array(np.zeros((4, 3)), chunks=2)
    labels = da.from_array(np.array([0, 1, 7, 2]), chunks=2)
    loss = mlcloss.softmax_cross_entropy(logits, labels, reduction="none").compute()
    np.testing.assert_array_equal(np.isnan(loss), [False, False, True, False])
    with pytest.raises(ValueError, match="labels"):  # the same labels in NumPy raise
        mlcloss.softmax_cross_entropy(np.zeros((4, 3)), np.array([0, 1, 7, 2]))
