"""``mlcloss report``: every loss on every installed framework, as a table or JSON, and its exit code."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlcloss import softmax_cross_entropy
from mlcloss.__main__ import main
from mlcloss.testing import FRAMEWORKS, OnDevice, available_frameworks, report
from mlcloss.testing.oracles import softmax_ce

LOGITS = np.random.default_rng(0).normal(size=(3, 5))
CLASSES = np.array([0, 4, 2])


def _case(want):
    return {
        "softmax_cross_entropy": (
            lambda s, a: softmax_cross_entropy(s, a(CLASSES), reduction="none"),
            LOGITS,
            want,
        )
    }


def test_every_installed_framework_agrees_and_the_others_are_marked(capsys):
    assert main(["report", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["all_agree"]
    assert result["columns"][: len(FRAMEWORKS)] == list(FRAMEWORKS)
    installed = {f.name for f in FRAMEWORKS.values() if f.available()}
    for loss, cells in result["rows"].items():
        for column in FRAMEWORKS:
            cell = cells[column]
            assert (cell is None) == (column not in installed), (loss, column)
            if cell is not None:
                assert cell["ok"] and cell["value_error"] <= result["value_rtol"], (loss, column)
    # NumPy has no autograd: its gradients come from the closed forms, where a loss has one
    numpy = {loss: cells["numpy"] for loss, cells in result["rows"].items()}
    assert "gradient_error" in numpy["multilabel_categorical_crossentropy (dense)"]
    assert "gradient_error" not in numpy["nce_loss (nce)"]


def test_a_disagreement_is_shown_and_fails(monkeypatch, capsys):
    right = softmax_ce(LOGITS, CLASSES)[0]
    monkeypatch.setattr(report, "_cases", lambda: _case(right * (1 + 1e-6)))
    assert main(["report"]) == 1
    out = capsys.readouterr().out
    assert "✗ 1e-06" in out and "DISAGREEMENT" in out
    monkeypatch.setattr(report, "_cases", lambda: _case(right))
    assert main(["report"]) == 0


def test_an_exception_becomes_a_cell(monkeypatch):
    def broken(s, a):
        raise RuntimeError("no such kernel")

    monkeypatch.setattr(report, "_cases", lambda: {"broken": (broken, LOGITS, LOGITS)})
    cell = report.report()["rows"]["broken"]["numpy"]
    assert cell == {"ok": False, "error": "RuntimeError: no such kernel"}


@pytest.mark.parametrize(
    "name", [f.name for f in available_frameworks() if f.name in ("torch", "jax")]
)
def test_on_device_places_arrays_and_reports_like_its_framework(name):
    framework = FRAMEWORKS[name]
    framework.setup()
    if name == "torch":
        device = "cpu"
    else:
        import jax

        device = jax.devices("cpu")[0]
    placed = OnDevice(framework, device)
    x = placed.array(LOGITS)
    assert str(getattr(x, "device", None) or next(iter(x.devices()))).startswith("cpu")
    fn, logits, want = _case(softmax_ce(LOGITS, CLASSES)[0])["softmax_cross_entropy"]
    fd = report._finite_differences(fn, logits)
    assert report._cell(placed, fn, logits, want, fd) == report._cell(
        framework, fn, logits, want, fd
    )
