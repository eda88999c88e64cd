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
import json
import sys

import numpy as np

from .. import (
    asymmetric_loss,
    binary_cross_entropy,
    circle_loss,
    combinatorial_softmax_crossentropy,
    global_pointer_crossentropy,
    hinge_loss,
    kl_divergence,
    multilabel_categorical_crossentropy,
    nce_loss,
    nll_loss,
    pairwise_hinge_loss,
    sampled_softmax_loss,
    sigmoid_cross_entropy,
    sigmoid_focal_loss,
    softmax_cross_entropy,
    softmax_focal_loss,
    sparse_multilabel_categorical_crossentropy,
    squared_error,
    unified_pairwise_loss,
)
from .._lib.gradients import value_and_grad
from .._lib.progress import Progress
from . import oracles
from .frameworks import FRAMEWORKS, accelerators
from .harness import finite_differences

RTOL = 1e-9  # values against the float64 oracle
GRADIENT_RTOL = 1e-6  # gradients against central finite differences (step 1e-6)


def _cases():
    rng = np.random.default_rng(2208)
    logits = rng.normal(size=(5, 8)) * 3
    hard = (rng.random((5, 8)) < 0.3).astype(np.int64)
    soft = rng.random((5, 8))
    index = np.where(hard == 1, np.arange(8), -1)
    gp_logits = rng.normal(size=(2, 2, 4, 4))
    gp_pairs = np.array(
        [[[[0, 1], [2, 3]], [[1, 1], [-1, -1]]], [[[0, 0], [-1, -1]], [[2, 3], [0, 3]]]]
    )
    mask = np.array([[1, 1, 1, 1], [1, 1, 1, 0]], bool)
    gp_dense = np.zeros((2, 2, 4, 4), np.int64)
    for b, h, k in np.ndindex(2, 2, 2):
        i, j = gp_pairs[b, h, k]
        if i >= 0:
            gp_dense[b, h, i, j] = 1
    classes = rng.integers(0, 8, 5)
    classes[1] = -100
    weights = rng.random(8) + 0.5
    probs = rng.dirichlet(np.ones(8), 5)
    unit = rng.uniform(0.05, 0.95, (5, 8))
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    three = np.zeros((5, 8), np.int64)
    for row in range(5):
        three[row, rng.choice(8, 3, replace=False)] = 1
    theta = rng.normal(size=5)
    similarities = np.tanh(logits / 3)
    # an output layer of 20 classes over the 8 features; 6 sampled classes, some hit
    embedding, biases = rng.normal(size=(20, 8)) / 2, rng.normal(size=20)
    true_classes = np.array([[3, 0], [7, 12], [19, 3], [5, 5], [0, 1]])
    sampled = (
        np.array([3, 12, 8, 15, 0, 6]),
        rng.uniform(0.1, 0.9, (5, 2)),
        rng.uniform(0.1, 0.9, 6),
    )
    output = (embedding, biases, true_classes)

    def sampled_loss(loss, **options):
        def call(s, a):
            values = tuple(a(v) for v in sampled)
            arrays = [a(v) for v in output]
            return loss(*arrays, s, sampled_values=values, reduction="none", **options)

        return call

    sampled_options = {"num_sampled": 6, "num_classes": 20, "num_true": 2}
    ce_rows, ce_count = oracles.softmax_ce(
        logits, classes, class_weights=weights, ignore_index=-100, label_smoothing=0.1
    )
    return {
        "multilabel_categorical_crossentropy (hard)": (
            lambda s, a: multilabel_categorical_crossentropy(s, a(hard), reduction="none"),
            logits,
            oracles.zlpr_pairwise(logits, hard),
        ),
        "multilabel_categorical_crossentropy (soft)": (
            lambda s, a: multilabel_categorical_crossentropy(s, a(soft), reduction="none"),
            logits,
            oracles.zlpr_soft(logits, soft),
        ),
        "sparse_multilabel_categorical_crossentropy": (
            lambda s, a: sparse_multilabel_categorical_crossentropy(
                s, a(index), ignore_index=-1, reduction="none"
            ),
            logits,
            oracles.zlpr_pairwise(logits, hard),
        ),
        "global_pointer_crossentropy (dense)": (
            lambda s, a: global_pointer_crossentropy(
                s, a(gp_dense), mask=a(mask), reduction="none"
            ),
            gp_logits,
            oracles.global_pointer(gp_logits, gp_dense, mask=mask),
        ),
        "global_pointer_crossentropy (sparse)": (
            lambda s, a: global_pointer_crossentropy(
                s, a(gp_pairs), mask=a(mask), sparse=True, reduction="none"
            ),
            gp_logits,
            oracles.global_pointer(gp_logits, gp_pairs, mask=mask, sparse=True),
        ),
        "softmax_cross_entropy (index, weighted mean)": (
            lambda s, a: softmax_cross_entropy(
                s, a(classes), class_weights=a(weights), ignore_index=-100, label_smoothing=0.1
            ),
            logits,
            np.sum(ce_rows) / ce_count,
        ),
        "softmax_cross_entropy (probabilities)": (
            lambda s, a: softmax_cross_entropy(s, a(probs), label_smoothing=0.1, reduction="none"),
            logits,
            oracles.softmax_ce(logits, probs, label_smoothing=0.1)[0],
        ),
        "nll_loss": (
            lambda s, a: nll_loss(s, a(classes), ignore_index=-100, reduction="none"),
            log_probs,
            oracles.nll(log_probs, classes, ignore_index=-100)[0],
        ),
        "softmax_focal_loss": (
            lambda s, a: softmax_focal_loss(s, a(probs), gamma=1.5, reduction="none"),
            logits,
            oracles.softmax_focal(logits, probs, gamma=1.5),
        ),
        "kl_divergence": (
            lambda s, a: kl_divergence(s, a(probs), reduction="none"),
            logits,
            oracles.kl(logits, probs),
        ),
        "sigmoid_cross_entropy": (
            lambda s, a: sigmoid_cross_entropy(
                s, a(soft), pos_weight=a(weights), label_smoothing=0.1, reduction="none"
            ),
            logits,
            oracles.sigmoid_ce(logits, soft, pos_weight=weights, label_smoothing=0.1),
        ),
        "binary_cross_entropy": (
            lambda s, a: binary_cross_entropy(s, a(soft), reduction="none"),
            unit,
            oracles.binary_ce(unit, soft),
        ),
        "sigmoid_focal_loss": (
            lambda s, a: sigmoid_focal_loss(s, a(soft), reduction="none"),
            logits,
            oracles.sigmoid_focal(logits, soft),
        ),
        "asymmetric_loss": (
            lambda s, a: asymmetric_loss(s, a(hard), reduction="none"),
            logits,
            oracles.asymmetric(logits, hard),
        ),
        "squared_error": (
            lambda s, a: squared_error(s, a(soft), reduction="none"),
            logits,
            (logits - soft) ** 2,
        ),
        "hinge_loss": (
            lambda s, a: hinge_loss(s, a(hard == 1), reduction="none"),
            logits,
            oracles.hinge(logits, hard == 1),
        ),
        "combinatorial_softmax_crossentropy (k=3)": (
            lambda s, a: combinatorial_softmax_crossentropy(s, a(three), k=3, reduction="none"),
            logits,
            oracles.combinatorial(logits, three, k=3),
        ),
        "combinatorial_softmax_crossentropy (k≤4, θ)": (
            lambda s, a: combinatorial_softmax_crossentropy(
                s, a(hard), k=4, variable=True, threshold=a(theta), reduction="none"
            ),
            logits,
            oracles.combinatorial(logits, hard, k=4, variable=True, threshold=theta),
        ),
        "unified_pairwise_loss": (
            lambda s, a: unified_pairwise_loss(s, a(hard), scale=2.0, margin=0.1, reduction="none"),
            logits,
            oracles.unified_pairwise(logits, hard, scale=2.0, margin=0.1),
        ),
        "circle_loss (α held constant)": (
            lambda s, a: circle_loss(s, a(hard), scale=16.0, margin=0.25, reduction="none"),
            similarities,
            oracles.circle(similarities, hard, scale=16.0, margin=0.25),
            # the gradient is that of the loss with α frozen at the evaluation point
            lambda s, a: oracles.circle(
                s, hard, scale=16.0, margin=0.25, weights_from=similarities
            ),
        ),
        "sampled_softmax_loss (hits removed)": (
            sampled_loss(sampled_softmax_loss, **sampled_options),
            logits,
            oracles.sampled_softmax(*output, logits, sampled),
        ),
        "nce_loss": (
            sampled_loss(nce_loss, **sampled_options),
            logits,
            oracles.nce(*output, logits, sampled),
        ),
        "pairwise_hinge_loss": (
            lambda s, a: pairwise_hinge_loss(s[:, :1], s[:, 1:], reduction="none"),
            logits,
            np.maximum(0.0, 1.0 + logits[:, 1:] - logits[:, :1]),
        ),
    }


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
