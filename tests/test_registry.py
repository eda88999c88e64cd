"""The registry: every public loss is declared once, and its declaration reaches everything.

A loss without a declaration, a case, an oracle value, a peer, a wrapper, a
benchmark row or a docs entry fails here. The value test runs every
declared case in every reduction against its float64 oracle on every
selected framework.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import re
from pathlib import Path

import numpy as np
import pytest
from cases import CASES, EXPECTED, SPEC  # tests/ is on sys.path

import mlcloss
from mlcloss.capabilities import LOSSES, MODULES, REGISTRY
from mlcloss.testing import assert_close

ROOT = Path(__file__).resolve().parents[1]
HELPERS = {  # public functions that are not losses (no reduction): not declared
    "array_namespace",
    "crf_decode",
    "analytic_gradients",
    "set_analytic_gradients",
    "value_and_grad",
    "set_value_checks",
    "value_checks",
    "smooth_labels",
    "multilabel_probabilities",
    "multilabel_predict",
    "log_uniform_candidate_sampler",
}


def test_every_public_loss_is_declared():
    public = set(mlcloss.__all__) - HELPERS
    assert public == set(REGISTRY), "declare each loss beside its function with @declare"
    for name in public:
        assert "reduction" in inspect.signature(getattr(mlcloss, name)).parameters, name
        assert REGISTRY[name].function is getattr(mlcloss, name)


@pytest.mark.parametrize("spec", LOSSES, ids=lambda s: s.name)
def test_the_declaration_is_complete(spec):
    mine = [name for name, s in SPEC.items() if s is spec]
    assert mine, f"{spec.name} declares no case"
    assert all(EXPECTED[name][0] is not None for name in mine), "every case needs its oracle"
    assert spec.peers, f"{spec.name} names no peer (the migration table needs one)"
    docs = " ".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    assert f"`{spec.name}`" in docs or f"mlcloss.{spec.name}(" in docs, (
        f"{spec.name} has no entry in a docs page"
    )


@pytest.mark.parametrize("spec", MODULES, ids=lambda s: s.name)
def test_the_framework_classes_exist(spec):
    if importlib.util.find_spec("torch"):
        import mlcloss.torch

        assert getattr(mlcloss.torch, spec.class_name).function is spec.function
    if spec.keras and importlib.util.find_spec("keras") and importlib.util.find_spec("tensorflow"):
        import mlcloss.keras

        assert getattr(mlcloss.keras, spec.class_name).function is spec.function


def test_the_benchmark_suite_has_every_loss():
    import sys

    sys.path.insert(0, str(ROOT))
    from benchmarks import suite

    opted_out = {s.name for s in LOSSES if s.bench is False or s.kind == "sampled"}
    assert set(suite.BENCHED) == {s.name for s in LOSSES} - opted_out
    for name in suite.BENCHED:  # the declared inputs build at the smallest shape
        prediction, labels, options = suite._inputs(name, 18, 16, np.random.default_rng(0))
        assert prediction.dtype == np.float32 and isinstance(options, dict)
        loss = getattr(mlcloss, name)(prediction, *labels, **options)  # and the loss takes them
        assert np.isfinite(loss), name


def test_the_closed_forms_are_declared_truthfully():
    """``closed_form`` is True exactly where NumPy's value_and_grad finds one."""
    for name, (fn, prediction, args, arrays, options, *_) in CASES.items():
        if name not in SPEC:
            continue

        def loss(x, fn=fn, args=args, arrays=arrays, options=options):
            return fn(x, *args, **arrays, **options)

        try:
            mlcloss.value_and_grad(loss)(prediction)
            found = True
        except NotImplementedError:
            found = False
        assert found == SPEC[name].closed_form, name


def _reductions(name):
    fn = CASES[name][0]
    if "reduction" in CASES[name][4] or "reduction" not in inspect.signature(fn).parameters:
        if SPEC[name].kind == "sampled":
            return ["none", "sum", "mean"]
        return ["mean"]
    return ["none", "sum", "mean"]


VALUE_CASES = [(n, r) for n in sorted(SPEC) for r in _reductions(n)]


@pytest.mark.parametrize("name, reduction", VALUE_CASES)
def test_declared_case_matches_its_oracle(framework, name, reduction):
    fn, prediction, args, arrays, options, *_ = CASES[name]
    per_row, count = EXPECTED[name]
    got = fn(
        framework.array(prediction),
        *[framework.array(a) for a in args],
        **{k: framework.array(v) for k, v in arrays.items()},
        **options,
        reduction=reduction,
    )
    total = math.fsum(np.ravel(per_row))
    count = per_row.size if count is None else count
    want = {"none": per_row, "sum": total, "mean": total / count if count else 0.0}[reduction]
    assert_close(got, want, framework=framework, dtype="float64", rtol=1e-10, atol=1e-13)


def test_class_names_are_the_camel_case_of_the_functions():
    for spec in LOSSES:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", spec.class_name), spec.class_name
        assert spec.class_name.lower() == spec.name.replace("_", ""), spec.class_name
