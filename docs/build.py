"""Generate the documentation's tables and plots into docs/generated/ (run before ``mkdocs build``).

- ``support.md``: the support matrix, from the registry of declared losses
  (:mod:`mlcloss.capabilities`) and the conformance report;
- ``peers.md``: the migration table, every declared loss beside the peers its
  declaration names;
- ``report.md``: the conformance report (:func:`mlcloss.testing.report.report`)
  on every installed framework;
- ``benchmarks.md`` and ``plots/benchmarks.png``: the performance targets from
  the JSON that ``mlcloss bench --json benchmarks/results/targets.json`` wrote;
- ``ner.md``: NER's two heads, the linear-chain CRF and GlobalPointer, trained on
  the same synthetic tagging task (``docs/ner.py``);
- ``plots/*.png``: loss and gradient against one logit for each loss family,
  the gradient by torch's autograd in float64 (through the closed forms where a loss has one).

``python docs/build.py`` from the repository root; nox's ``docs`` session runs
it, then ``mkdocs build --strict``.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import ner  # noqa: E402  (docs/, beside this script)
import numpy as np  # noqa: E402
import torch  # noqa: E402

import mlcloss  # noqa: E402
from mlcloss.capabilities import LOSSES  # noqa: E402
from mlcloss.testing import report as conformance  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "generated"
LOGIT = np.linspace(-6.0, 6.0, 241)


def _curve(loss, make, xs):
    """(values, gradients) of ``loss(*make(x))`` for each x in ``xs``, by torch's autograd in
    float64: the gradient summed over the entries ``make`` indexes (the logit it varies, or
    all the logits it sets to x)."""
    values, grads = [], []
    for x in xs:
        prediction, args, options, index = make(x)
        prediction = torch.tensor(prediction, dtype=torch.float64, requires_grad=True)
        value = loss(prediction, *(torch.as_tensor(a) for a in args), **options).sum()
        (grad,) = torch.autograd.grad(value, prediction)
        values.append(float(value.detach()))
        grads.append(float(grad[index].sum()))
    return np.array(values), np.array(grads)


def _figure(name, title, curves, xlabel, *, log=False, xs=LOGIT):
    """Loss (left) and gradient (right) against the logit, one line per (label, make, loss)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    if log:
        left.set_yscale("log")
        right.set_yscale("log")
    for label, loss, make in curves:
        value, grad = _curve(loss, make, xs)
        left.plot(xs, value, label=label)
        right.plot(xs, grad, label=label)
    for axis, what in ((left, "loss"), (right, "∂ loss / ∂ logit")):
        axis.set_xlabel(xlabel)
        axis.set_title(what)
        axis.axhline(0, color="0.6", linewidth=0.8)
        axis.grid(alpha=0.3)
    right.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    path = OUT / "plots" / f"{name}.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plots():
    (OUT / "plots").mkdir(parents=True, exist_ok=True)

    def element(label):
        return lambda x: (np.array([x]), (np.array([label]),), {"reduction": "sum"}, 0)

    _figure(
        "binary",
        "Elementwise losses on a positive (label 1)",
        [
            ("sigmoid CE", mlcloss.sigmoid_cross_entropy, element(1.0)),
            ("sigmoid focal, γ=2, α=0.25", mlcloss.sigmoid_focal_loss, element(1.0)),
            ("ASL (γ+=0)", mlcloss.asymmetric_loss, element(1.0)),
            ("hinge", mlcloss.hinge_loss, lambda x: (np.array([x]), (np.array([True]),), {}, 0)),
        ],
        "logit x",
    )

    def signed(x):
        return np.array([x]), (np.array([True]),), {"reduction": "sum"}, 0

    _figure(
        "margin",
        "Margin losses on a positive (label +1): where each stops costing",
        [
            ("hinge", mlcloss.hinge_loss, signed),
            ("squared hinge", mlcloss.squared_hinge_loss, signed),
            ("soft margin", mlcloss.soft_margin_loss, signed),
            ("perceptron", mlcloss.perceptron_loss, signed),
            ("sparsemax (label 1)", mlcloss.sparsemax_loss, signed),
        ],
        "score s",
    )
    _figure(
        "binary-negative",
        "Elementwise losses on a negative (label 0): ASL's γ−=4 and clip 0.05 silence easy ones",
        [
            ("sigmoid CE", mlcloss.sigmoid_cross_entropy, element(0.0)),
            ("sigmoid focal, γ=2, α=0.25", mlcloss.sigmoid_focal_loss, element(0.0)),
            ("ASL (γ−=4, clip 0.05)", mlcloss.asymmetric_loss, element(0.0)),
        ],
        "logit x",
    )

    def target_of_three(x):
        return np.array([[x, 0.0, 0.0]]), (np.array([0]),), {}, (0, 0)

    _figure(
        "softmax",
        "Softmax losses, 3 classes: logits (x, 0, 0), target class 0",
        [
            ("softmax CE", mlcloss.softmax_cross_entropy, target_of_three),
            (
                "softmax CE, smoothing 0.1",
                mlcloss.softmax_cross_entropy,
                lambda x: (*target_of_three(x)[:2], {"label_smoothing": 0.1}, (0, 0)),
            ),
            ("softmax focal, γ=2", mlcloss.softmax_focal_loss, target_of_three),
        ],  # fmt: skip
        "logit of the target class",
    )

    def with_options(make, **options):
        def made(x):
            prediction, args, _, index = make(x)
            return prediction, args, options, index

        return made

    one_hot_of_three = np.array([[1.0, 0.0, 0.0]])

    def one_hot_target(x):
        return target_of_three(x)[0], (one_hot_of_three,), {}, (0, 0)

    _figure(
        "robust",
        "Cross-entropy and its robust variants, 3 classes: logits (x, 0, 0), target class 0",
        [
            ("softmax CE", mlcloss.softmax_cross_entropy, target_of_three),
            ("poly-1, ε = 2 (one-hot)", mlcloss.poly1_cross_entropy, one_hot_target),
            ("generalized CE, q = 0.5", mlcloss.generalized_cross_entropy, target_of_three),
            (
                "generalized CE, q = 0.9",
                mlcloss.generalized_cross_entropy,
                with_options(target_of_three, q=0.9),
            ),
        ],  # fmt: skip
        "logit of the target class",
    )
    _figure(
        "multiclass",
        "Multiclass margins, 3 classes: scores (x, 0, 0), target class 0",
        [
            ("multiclass hinge (Crammer–Singer)", mlcloss.multiclass_hinge_loss, target_of_three),
            ("multi-margin (Weston–Watkins)", mlcloss.multi_margin_loss, target_of_three),
            ("multi-margin, p = 2", mlcloss.multi_margin_loss, with_options(target_of_three, p=2)),
            ("categorical hinge (one-hot)", mlcloss.categorical_hinge_loss, one_hot_target),
            ("multiclass perceptron", mlcloss.multiclass_perceptron_loss, target_of_three),
            ("multiclass sparsemax", mlcloss.multiclass_sparsemax_loss, target_of_three),
        ],  # fmt: skip
        "score of the target class",
    )

    def residual(x):
        return np.array([x]), (np.array([0.0]),), {"reduction": "sum"}, 0

    _figure(
        "regression",
        "Regression losses against the residual (target 0)",
        [
            ("squared error", mlcloss.squared_error, residual),
            ("absolute error", mlcloss.absolute_error, residual),
            ("Huber, δ = 1", mlcloss.huber_loss, residual),
            (
                "smooth L1, β = 2",
                mlcloss.smooth_l1_loss,
                with_options(residual, beta=2.0, reduction="sum"),
            ),
            ("log-cosh", mlcloss.log_cosh_loss, residual),
        ],  # fmt: skip
        "prediction − target",
    )

    def counted(count):
        return lambda x: (np.array([x]), (np.array([count]),), {"reduction": "sum"}, 0)

    def gaussian(variance):
        return lambda x: (
            np.array([x]),
            (np.array([0.0]), np.array([variance])),
            {"reduction": "sum"},
            0,
        )

    _figure(
        "likelihood",
        "Likelihood losses: Poisson on the log-rate x, Gaussian on the mean x (target 0)",
        [
            ("Poisson, count 0", mlcloss.poisson_nll_loss, counted(0.0)),
            ("Poisson, count 2", mlcloss.poisson_nll_loss, counted(2.0)),
            ("Poisson, count 5", mlcloss.poisson_nll_loss, counted(5.0)),
            ("Gaussian, σ² = 1", mlcloss.gaussian_nll_loss, gaussian(1.0)),
            ("Gaussian, σ² = 4", mlcloss.gaussian_nll_loss, gaussian(4.0)),
        ],
        "log-rate or mean x",
        xs=np.linspace(-3.0, 3.0, 121),
    )

    def against_unit(labels=None, **options):
        """The first vector (x, 1) against the second (1, 0): the angle shrinks as x grows."""

        def make(x):
            args = (np.array([[1.0, 0.0]]),) + (() if labels is None else (np.array([labels]),))
            return np.array([[x, 1.0]]), args, options, (0, 0)

        return make

    _figure(
        "cosine",
        "Cosine losses: the vector (x, 1) against (1, 0); the distance and the y = +1 embedding coincide",
        [
            ("cosine distance", mlcloss.cosine_distance, against_unit()),
            ("cosine embedding, y = +1", mlcloss.cosine_embedding_loss, against_unit(1.0)),
            ("cosine embedding, y = −1, m = 0", mlcloss.cosine_embedding_loss, against_unit(-1.0)),
        ],
        "first component x of the first vector",
    )
    others = np.array([1.0, -0.5, -1.5, 0.5, -2.0])  # two positives (0, 1), three negatives
    labels = np.array([[1, 1, 0, 0, 0]])

    def zlpr_row(position):
        def make(x):
            row = others.copy()
            row[position] = x
            return row[None], (labels,), {}, (0, position)

        return make

    def negatives(count, rows):
        """2 positives at logit 1 and ``count`` negatives all at logit x."""

        def make(x):
            logits = np.concatenate([[1.0, 1.0], np.full(count, x)])[None]
            labels = np.zeros((1, count + 2), bool)
            labels[0, :2] = True
            return logits, (labels,), rows, (0, slice(2, None))

        return make

    zlpr, bce = mlcloss.multilabel_categorical_crossentropy, mlcloss.sigmoid_cross_entropy
    _figure(
        "multilabel",
        "2 positives at logit 1, N negatives all at logit x: loss and gradient summed over them",
        [
            ("ZLPR, N = 10", zlpr, negatives(10, {})),
            ("ZLPR, N = 1000", zlpr, negatives(1000, {})),
            ("Σ sigmoid CE, N = 10", bce, negatives(10, {"reduction": "sum"})),
            ("Σ sigmoid CE, N = 1000", bce, negatives(1000, {"reduction": "sum"})),
        ],
        "logit x of every negative",
        log=True,
    )
    _figure(
        "pairwise",
        "Pairwise losses, same row: ZLPR against the unified pairwise loss (no threshold class)",
        [
            ("ZLPR, a positive", mlcloss.multilabel_categorical_crossentropy, zlpr_row(0)),
            ("unified pairwise, a positive", mlcloss.unified_pairwise_loss, zlpr_row(0)),
            (
                "unified pairwise, γ=4, m=0.25",
                mlcloss.unified_pairwise_loss,
                lambda x: (*zlpr_row(0)(x)[:2], {"scale": 4.0, "margin": 0.25}, (0, 0)),
            ),
        ],  # fmt: skip
        "logit of a positive",
    )
    _structured_plots()


def _structured_plots():
    """The overlap, ranking and margin-softmax families, each against one prediction."""

    def pixel(x):  # a mask of four pixels, two positive; x is the logit of a positive one
        return np.array([[x, 2.0, -2.0, -2.0]]), (np.array([[1.0, 1.0, 0.0, 0.0]]),), {}, (0, 0)

    def sigmoid(loss, **options):
        return lambda p, y, **o: loss(p, y, activation="sigmoid", **options, **o)

    _figure(
        "overlap",
        "Overlap losses of a 4-pixel mask (2 positive) against one positive pixel's logit",
        [
            ("Dice", sigmoid(mlcloss.dice_loss), pixel),
            ("Jaccard", sigmoid(mlcloss.jaccard_loss), pixel),
            ("Tversky, α=0.3, β=0.7", sigmoid(mlcloss.tversky_loss, alpha=0.3, beta=0.7), pixel),
            ("focal Tversky, γ=2", sigmoid(mlcloss.tversky_loss, gamma=2.0), pixel),
        ],
        "logit of a positive pixel",
    )

    def top(x):  # a list of four items graded 2, 1, 0, 0; x is the best item's score
        return np.array([[x, 0.5, 0.0, -0.5]]), (np.array([[2.0, 1.0, 0.0, 0.0]]),), {}, (0, 0)

    _figure(
        "ranking",
        "Ranking losses of a list graded (2, 1, 0, 0) against the best item's score",
        [
            ("pairwise logistic", mlcloss.pairwise_logistic_loss, top),
            ("listwise softmax", mlcloss.listwise_softmax_loss, top),
            ("ListMLE", mlcloss.listmle_loss, top),
            ("ApproxNDCG (−NDCG)", mlcloss.approx_ndcg_loss, top),
        ],
        "score of the most relevant item",
    )

    def target(x):  # three classes, the first the label; x is its cosine
        return np.array([[x, 0.2, -0.1]]), (np.array([0]),), {}, (0, 0)

    def margin(kind, m):
        return lambda c, y, **o: mlcloss.margin_softmax_cross_entropy(
            c, y, scale=16.0, margin=m, kind=kind, **o
        )

    _figure(
        "margin-softmax",
        "Margin softmax (scale 16) against the target class's cosine",
        [
            ("no margin", margin("cos", 0.0), target),
            ("CosFace, m=0.35", margin("cos", 0.35), target),
            ("ArcFace, m=0.5", margin("arc", 0.5), target),
        ],
        "cosine of the target class",
        xs=np.linspace(-0.99, 0.99, 199),
    )


def support(result) -> str:
    """The support matrix: a row per declared loss (its kind, labels, options, classes)."""
    columns = [c for c in result["columns"]]
    head = "| loss | kind | labels | options | " + " | ".join(columns)
    head += " | `mlcloss.torch` | `mlcloss.keras` | gradient |"
    lines = [head, "|" + " --- |" * (7 + len(columns))]
    labels = {
        "dense": "dense",
        "index": "class indices",
        "dense-or-index": "indices or probabilities",
        "signed": "±1 or bool",
    }
    for spec in LOSSES:
        rows = [cells for name, cells in result["rows"].items() if name.split(" ")[0] == spec.name]
        cells = []
        for column in columns:
            mine = [row[column] for row in rows]
            if not mine or all(c is None for c in mine):
                cells.append("— not installed" if mine else "")
            elif all(c is not None and c["ok"] for c in mine):
                cells.append("✓")
            else:
                cells.append("✗")
        options = ", ".join(f"`{p.name}`" for p in spec.hyper_parameters)
        module = f"`{spec.class_name}`" if spec.modules else "—"
        keras = f"`{spec.class_name}`" if spec.modules and spec.keras else "—"
        gradient = "closed form" if spec.closed_form else "autodiff"
        lines.append(
            f"| `{spec.name}` | {spec.kind} | {labels[spec.labels]} | {options} | "
            + " | ".join(cells)
            + f" | {module} | {keras} | {gradient} |"
        )
    return "\n".join(lines) + "\n"


def peers() -> str:
    """The migration table: a row per declared loss and peer (framework, call, mlcloss call)."""
    lines = ["| framework | their loss | mlcloss |", "| --- | --- | --- |"]
    rows = sorted(
        (framework, call, spec.name) for spec in LOSSES for framework, call in spec.peers.items()
    )
    for framework, call, name in rows:
        call = call.replace("|", "\\|")
        lines.append(f"| {framework} | `{call}` | `mlcloss.{name}` |")
    return "\n".join(lines) + "\n"


def weights() -> str:
    """Each loss's weighted mean: ``sample_weight`` scales its unreduced loss, and the mean
    divides by the count its docstring's ``reduction`` entry states (the same with weights)."""
    lines = ["| loss | unreduced loss and its mean (weighted: the same count) |", "| --- | --- |"]
    for spec in LOSSES:
        doc = inspect.getdoc(spec.function)
        entry = doc.split("\nreduction : ", 1)[1].split("\n", 1)[1]
        text = " ".join(line.strip() for line in entry.split("\n\n", 1)[0].splitlines())
        text = text.replace("|", "\\|")
        lines.append(f"| `{spec.name}` | {text} |")
    return "\n".join(lines) + "\n"


def report_table(result) -> str:
    columns = result["columns"]
    lines = ["| loss | " + " | ".join(columns) + " |", "|" + " --- |" * (1 + len(columns))]
    for name, cells in result["rows"].items():
        texts = [conformance._text(cells[c]).replace("|", "\\|") for c in columns]
        lines.append(f"| {name} | " + " | ".join(texts) + " |")
    verdict = "Every installed framework agrees." if result["all_agree"] else "DISAGREEMENT."
    return "\n".join(lines) + f"\n\n{verdict}\n"


def benchmarks() -> str:
    """The targets table (benchmarks/targets.py's own) and a ratio plot, from its JSON."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.targets import table

    rows = json.loads((ROOT / "benchmarks" / "results" / "targets.json").read_text())
    measured = [row for row in rows if "ratio" in row][::-1]
    figure, axis = plt.subplots(figsize=(10, 0.5 * len(measured) + 1.2))
    names = [row["name"].split(",")[0] for row in measured]
    ratios = [row["ratio"] for row in measured]
    colours = ["tab:green" if row["met"] else "tab:red" for row in measured]
    axis.barh(names, ratios, color=colours)
    axis.scatter([row["target"] for row in measured], names, marker="|", s=400, color="black",
                 label="target", zorder=3)  # fmt: skip
    axis.set_xlabel("mlcloss / reference (lower is better); green: target met")
    axis.legend(loc="lower right")
    axis.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(OUT / "plots" / "benchmarks.png", dpi=110)
    plt.close(figure)
    return table(rows) + "\n"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    plots()
    result = conformance.report()
    (OUT / "report.md").write_text(report_table(result))
    print(report_table(result))
    (OUT / "support.md").write_text(support(result))
    (OUT / "peers.md").write_text(peers())
    (OUT / "weights.md").write_text(weights())
    (OUT / "benchmarks.md").write_text(benchmarks())
    print(ner.write(OUT / "ner.md"))
    print(f"docs/build.py: wrote {sorted(p.name for p in OUT.rglob('*') if p.is_file())}")
    return 0 if result["all_agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
