"""The conformance report: every loss on every installed framework against the float64 oracle.

``python -m mlcloss report`` prints one row per loss and one column per
framework (and per accelerator torch or JAX sees); a cell holds the largest
relative error of the values (float64 inputs) and of the gradient (by
autograd, or for NumPy and array-api-strict by the closed form of
:func:`mlcloss.value_and_grad` where the loss has one) against central
finite differences, or the error
raised; "—" marks a framework that is not installed. It exits non-zero when
any cell disagrees; ``--json`` prints the same results for machines. A
research repo runs it to check its vendored copy.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys

import numpy as np

from .._lib.gradients import value_and_grad
from .._lib.progress import Progress
from ..capabilities import LOSSES
from . import examples
from .frameworks import FRAMEWORKS, accelerators
from .harness import finite_differences

RTOL = 1e-9  # values against the float64 oracle
GRADIENT_RTOL = 1e-6  # gradients against central finite differences (step 1e-6)


def _cases():
    """``{row: (fn(s, a), prediction, expected[, gradient_of])}``: every declared case.

    ``fn`` takes the prediction as a framework array and ``a``, which converts
    a NumPy array to that framework; it returns the unreduced loss where the
    loss has ``reduction``.
    """
    rows = {}
    for spec in LOSSES:
        for name, case in examples.cases(spec).items():
            fn = case.call or spec.function
            options = dict(case.options)
            if "reduction" in inspect.signature(spec.function).parameters:
                options.setdefault("reduction", "none")

            def call(s, a, fn=fn, case=case, options=options):
                arrays = {k: a(v) for k, v in case.arrays.items()}
                return fn(s, *[a(v) for v in case.labels], **arrays, **options)

            extra = () if case.gradient_of is None else (lambda s, a, f=case.gradient_of: f(s),)
            rows[f"{spec.name} ({name})"] = (call, case.prediction, case.expected, *extra)
    return rows


def _relative_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape or not np.all(np.isfinite(got)):
        return np.inf
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300), initial=0.0))


def _finite_differences(fn, logits):
    return finite_differences(lambda z: float(np.sum(fn(z, np.asarray))), logits)


def _cell(framework, fn, logits, want, fd_grad) -> dict:
    """One loss on one framework: ``{"ok", "value_error", "gradient_error"}`` or ``{"ok", "error"}``."""
    try:
        x = framework.array(logits)
        value_error = _relative_error(framework.to_numpy(fn(x, framework.array)), want)
        cell = {"ok": value_error <= RTOL, "value_error": value_error}
        grad = None if fd_grad is None else _gradient(framework, fn, x)
        if grad is not None:
            scale = max(float(np.max(np.abs(fd_grad))), 1e-300)
            gradient_error = float(np.max(np.abs(grad - fd_grad))) / scale
            cell["gradient_error"] = gradient_error
            cell["ok"] = cell["ok"] and gradient_error <= GRADIENT_RTOL
        return cell
    except Exception as error:  # a report shows failures instead of stopping
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


def _gradient(framework, fn, x):
    """The gradient by the framework's autograd, else by mlcloss's closed form (None: neither)."""
    if framework.has_autograd:
        return framework.value_and_grad(lambda s: fn(s, framework.array), x)[1]
    try:
        _, grad = value_and_grad(lambda s: fn(s, framework.array))(x)
    except NotImplementedError:  # no closed form for this loss: values only
        return None
    return framework.to_numpy(grad)


def _text(cell) -> str:
    if cell is None:
        return "— not installed"
    if "error" in cell:
        return f"✗ {cell['error']}"[:22]
    text = f"{'✓' if cell['ok'] else '✗'} {cell['value_error']:.0e}"
    if "gradient_error" in cell:
        text += f" ∇{cell['gradient_error']:.0e}"
    return text


def _columns():
    """``(name, framework or None)``: every known framework, then the accelerators found."""
    columns = []
    for name, framework in FRAMEWORKS.items():
        if framework.available():
            framework.setup()
            columns.append((name, framework))
        else:
            columns.append((name, None))
    return columns + [(device.name, device) for device in accelerators()]


def report(progress=sys.stderr) -> dict:
    """Every loss on every framework: ``{"columns", "rows": {loss: {column: cell}}, "all_agree"}``.

    A cell is None for a framework that is not installed.
    """
    columns = _columns()
    cases = _cases()
    rows = {}
    with Progress(len(cases), "report", stream=progress) as bar:
        for name, (fn, logits, want, *fd_fn) in cases.items():
            try:
                fd_grad = _finite_differences(fd_fn[0] if fd_fn else fn, logits)
            except Exception:  # the loss fails on NumPy too: every cell shows its error
                fd_grad = None
            rows[name] = {
                column: None if framework is None else _cell(framework, fn, logits, want, fd_grad)
                for column, framework in columns
            }
            bar.step(name)
    agree = all(c is None or c["ok"] for cells in rows.values() for c in cells.values())
    return {
        "value_rtol": RTOL,
        "gradient_rtol": GRADIENT_RTOL,
        "columns": [name for name, _ in columns],
        "rows": rows,
        "all_agree": agree,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="mlcloss report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    result = report()
    if args.json:
        print(json.dumps(result, indent=1))
        return 0 if result["all_agree"] else 1
    width = max(len(name) for name in result["rows"])
    header = f"{'loss':<{width}}  " + "  ".join(f"{name:<22}" for name in result["columns"])
    print(
        "mlcloss conformance report: value rel. error vs float64 oracle, "
        "∇ gradient vs finite differences"
    )
    print(header)
    print("-" * len(header))
    for name, cells in result["rows"].items():
        texts = [_text(cells[column]) for column in result["columns"]]
        print(f"{name:<{width}}  " + "  ".join(f"{t:<22}" for t in texts))
    print("all agree" if result["all_agree"] else "DISAGREEMENT: see the ✗ cells above")
    return 0 if result["all_agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
