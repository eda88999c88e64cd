"""The benchmark suite: every loss on every installed backend, each beside its peer.

Run: ``mlcloss bench --suite [--backends torch,jax] [--losses softmax_cross_entropy]
[--shapes 4096x1000] [--modes eager-forward,eager-backward] [--pairs 15] [--json out.json]
[--against autograd]``.

For each (backend, loss, shape, mode) the suite times mlcloss and, where one
exists, the framework's own loss or the seeds' code on the same inputs,
alternately in this process (medians of ``--pairs`` pairs after warm-up).
Modes: ``eager``/``compiled`` (``torch.compile``, ``jax.jit``,
``tf.function(jit_compile=True)``) × ``forward``/``backward``
(forward+backward of the mean). Every row also carries the bandwidth floor:
the bytes of the floating inputs (logits, soft labels) read once divided by
this machine's measured copy bandwidth, the least time any implementation
can take, and ``ours / floor``; and the peak memory of one call where it can
be measured in process (:func:`peak_memory`).
NumPy has no autograd and no compiler: forward only, and its backward rows
time ``mlcloss.value_and_grad`` where a closed form exists. Shapes are
(rows, classes); the GlobalPointer shape is 144 (batch × heads) rows of
16384 = 128² spans.

``--against autograd`` times each loss that has a closed-form gradient against
itself with the closed forms off (``mlcloss.analytic_gradients(False)``: the
framework's autograd through the same formula) instead of against its peer:
the measure of whether a closed form earns its place.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mlcloss  # noqa: E402
from benchmarks.timing import interleaved  # noqa: E402
from mlcloss._lib.measure import peak_bytes  # noqa: E402
from mlcloss.capabilities import LOSSES, REGISTRY  # noqa: E402

SHAPES = {
    "256x1000": (256, 1000),
    "4096x1000": (4096, 1000),
    "64x50000": (64, 50000),
    "globalpointer-144x16384": (144, 16384),
}
MODES = ("eager-forward", "eager-backward", "compiled-forward", "compiled-backward")
BACKENDS = ("numpy", "torch", "jax", "tensorflow")


BENCHED = [spec.name for spec in LOSSES if spec.bench is not False and spec.kind != "sampled"]
"""The losses the suite times: every declared loss but those that opt out (``bench=False``)."""


class Inputs:
    """The benchmark inputs a declaration's ``bench(b)`` picks from, for (rows, classes), float32."""

    def __init__(self, rows, classes, rng):
        self.rows, self.classes, self.rng = rows, classes, rng
        self.logits = rng.normal(size=(rows, classes)).astype(np.float32)
        self.multi_hot = rng.random((rows, classes)) < min(0.1, 8 / classes * 4)
        self.multi_hot_float = self.multi_hot.astype(np.float32)
        self.index = rng.integers(0, classes, rows)

    @property
    def log_probs(self):
        shifted = self.logits - self.logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    @property
    def probs(self):
        return self.rng.dirichlet(np.ones(self.classes), self.rows).astype(np.float32)

    @property
    def probabilities(self):
        return 1 / (1 + np.exp(-self.logits))

    @property
    def similarities(self):
        return np.tanh(self.logits)

    @property
    def targets(self):
        return self.rng.normal(size=self.logits.shape).astype(np.float32)

    @property
    def signs(self):
        """±1 labels, one per row."""
        return np.where(self.rng.random(self.rows) < 0.5, -1.0, 1.0).astype(np.float32)

    @property
    def counts(self):
        return self.rng.poisson(2.0, self.logits.shape).astype(np.float32)

    def index_lists(self, classes):
        """torch's multilabel-margin labels over ``classes``: 3 classes a row, then −1."""
        out = -np.ones((self.rows, classes), np.int64)
        out[:, :3] = np.argsort(self.rng.random((self.rows, classes)), axis=1)[:, :3]
        return out

    def top_k(self, k):
        """``[rows, k]`` distinct class indices a row."""
        return np.argsort(self.rng.random((self.rows, self.classes)), axis=1)[:, :k]

    def exactly(self, k):
        """Bool labels with exactly ``k`` positives a row."""
        out = np.zeros((self.rows, self.classes), bool)
        out[np.arange(self.rows)[:, None], self.top_k(k)] = True
        return out

    def spans(self, x):
        """``[rows // 9, 9, L, L]``: GlobalPointer's layout of ``L² = classes`` spans."""
        length = int(round(self.classes**0.5))
        return x.reshape(self.rows // 9, 9, length, length)


def _inputs(name, rows, classes, rng):
    """``(prediction, labels, options)`` in NumPy for the loss ``name`` at (rows, classes):
    the declaration's ``bench`` (whose arrays after the prediction are the labels: one, or
    more for losses such as the Gaussian NLL's targets and variances), by default logits and
    float 0/1 labels. ``labels`` is always a tuple."""
    b = Inputs(rows, classes, rng)
    bench = REGISTRY[name].bench
    prediction, *labels, options = (b.logits, b.multi_hot_float, {}) if bench is None else bench(b)
    return prediction, tuple(labels), options


class _Peers:
    """The modules a declaration's ``timed_against`` reads (``m.F``, ``m.optax``...), imported
    when first read."""

    def __getattr__(self, name):
        if name == "F":
            import torch.nn.functional as F

            return F
        if name == "tf":
            import tensorflow as tf

            return tf
        if name in ("seeds_dense", "seeds_sparse"):
            from benchmarks.zlpr_dense_torch import seeds_dense
            from benchmarks.zlpr_sparse_torch import seeds_sparse

            return {"seeds_dense": seeds_dense, "seeds_sparse": seeds_sparse}[name]
        return importlib.import_module(name)


def _peer(backend, name):
    """The framework's own loss (its mean) for ``name`` as ``f(prediction, labels)``, or None."""
    peer = REGISTRY[name].timed_against.get(backend)
    if peer is None:
        return None
    modules = _Peers()

    def mean(x, *labels):
        out = peer(modules, x, *labels)
        return (
            out
            if out.ndim == 0
            else out.mean()
            if backend != "tensorflow"
            else modules.tf.reduce_mean(out)
        )

    return mean


class _Runner:
    """Turns a loss ``f(prediction, labels)`` into a timed callable for one backend and mode."""

    def __init__(self, backend):
        self.backend = backend

    def array(self, a):
        if self.backend == "numpy":
            return a
        if self.backend == "torch":
            import torch

            return torch.asarray(a)
        if self.backend == "jax":
            import jax.numpy as jnp

            return jnp.asarray(a)
        import tensorflow as tf

        return tf.constant(a)

    def callable(self, loss, x, labels, mode):
        """``labels``: the tuple of arrays after the prediction."""
        compiled, backward = mode.startswith("compiled"), mode.endswith("backward")
        backend = self.backend
        if backend == "numpy":
            if compiled:
                return None
            if backward:
                value_and_grad = mlcloss.value_and_grad(loss)
                return lambda: value_and_grad(x, *labels)
            return lambda: loss(x, *labels)
        if backend == "torch":
            import torch

            fn = torch.compile(loss) if compiled else loss
            if not backward:

                def forward():
                    with torch.no_grad():
                        fn(x, *labels)

                return forward
            leaf = x.detach().clone().requires_grad_(True)

            def step():
                leaf.grad = None
                fn(leaf, *labels).backward()

            return step
        if backend == "jax":
            import jax

            fn = jax.grad(loss) if backward else loss
            if not compiled:
                return lambda: jax.block_until_ready(fn(x, *labels))
            executable = jax.jit(fn).lower(x, *labels).compile()

            def run():
                jax.block_until_ready(executable(x, *labels))

            run.compiled = executable
            return run
        import tensorflow as tf

        def run(x, *labels):
            if not backward:
                return loss(x, *labels)
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = loss(x, *labels)
            return tape.gradient(value, x)

        fn = tf.function(run, jit_compile=True) if compiled else run
        return lambda: np.asarray(fn(x, *labels))


def peak_memory(backend, call, mode):
    """Bytes allocated at the peak of one ``call()`` beyond what was held before, or None.

    NumPy and torch: :func:`mlcloss._lib.measure.peak_bytes`; JAX, compiled:
    XLA's own account of the program (arguments, outputs and temporaries).
    Other cases have no cheap in-process measure.
    """
    if backend == "jax" and mode.startswith("compiled"):
        analysis = call.compiled.memory_analysis()
        return (
            analysis.argument_size_in_bytes
            + analysis.output_size_in_bytes
            + analysis.temp_size_in_bytes
        )
    return peak_bytes(backend, call)


def copy_bandwidth() -> float:
    """Bytes per second of a large NumPy copy on this machine (read + write counted once each)."""
    a = np.ones(2**25, np.float32)
    b = np.empty_like(a)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(b, a)
        times.append(time.perf_counter() - start)
    return 2 * a.nbytes / min(times)


def _autograd(loss):
    """``loss`` with the closed-form gradients off while it runs (and so while it is traced)."""

    def plain(*args):
        with mlcloss.analytic_gradients(False):
            return loss(*args)

    return plain


def run(backends, losses, shapes, modes, pairs, progress=sys.stderr, against="peer"):
    bandwidth = copy_bandwidth()
    results, rng = [], np.random.default_rng(0)
    cases = [(b, n, s, m) for b in backends for n in losses for s in shapes for m in modes]
    for count, (backend, name, shape, mode) in enumerate(cases, 1):
        rows, classes = SHAPES[shape]
        if name == "global_pointer_crossentropy" and not shape.startswith("globalpointer"):
            continue
        bar = "#" * (30 * count // len(cases))
        print(
            f"\r[{bar:<30}] {count}/{len(cases)} {backend} {name} {shape} {mode}"[:120].ljust(120),
            end="",
            file=progress,
            flush=True,
        )
        prediction, labels, options = _inputs(name, rows, classes, rng)
        runner = _Runner(backend)
        x, y = runner.array(prediction), tuple(runner.array(a) for a in labels)
        loss = partial(getattr(mlcloss, name), **options)
        ours = runner.callable(loss, x, y, mode)
        if ours is None:
            continue
        peer = _peer(backend, name) if against == "peer" else _autograd(loss)
        theirs = None if peer is None else runner.callable(peer, x, y, mode)
        row = {"backend": backend, "loss": name, "shape": shape, "mode": mode}
        try:
            if theirs is None:
                t_ours = interleaved(ours, ours, pairs=pairs)[0]
            else:
                t_ours, t_theirs = interleaved(ours, theirs, pairs=pairs)
                row.update(peer_ms=t_theirs * 1e3, ratio=t_ours / t_theirs)
        except NotImplementedError as error:  # NumPy backward without a closed form
            row["status"] = str(error).split(";")[0]
            results.append(row)
            continue
        floor = sum(a.nbytes for a in (prediction, *labels) if a.dtype.kind == "f") / bandwidth
        row.update(ours_ms=t_ours * 1e3, floor_ms=floor * 1e3, over_floor=t_ours / floor)
        peak = peak_memory(backend, ours, mode)
        if peak is not None:
            row.update(peak_mib=peak / 2**20, logits_mib=prediction.nbytes / 2**20)
        results.append(row)
    print(file=progress)
    return {"copy_bandwidth_gb_s": bandwidth / 1e9, "against": against, "rows": results}


def table(report) -> str:
    lines = [
        f"copy bandwidth {report['copy_bandwidth_gb_s']:.1f} GB/s",
        f"| backend | loss | shape | mode | mlcloss | {report.get('against', 'peer')} | ratio "
        "| floor | ours / floor "
        "| peak memory (logits) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["rows"]:
        if "status" in r:
            lines.append(
                f"| {r['backend']} | {r['loss']} | {r['shape']} | {r['mode']} | "
                f"{r['status']} | | | | | |"
            )
            continue
        peer = f"{r['peer_ms']:.2f} ms" if "peer_ms" in r else "—"
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else "—"
        memory = f"{r['peak_mib']:.1f} MiB ({r['logits_mib']:.1f})" if "peak_mib" in r else "—"
        lines.append(
            f"| {r['backend']} | {r['loss']} | {r['shape']} | {r['mode']} | {r['ours_ms']:.2f} ms "
            f"| {peer} | {ratio} | {r['floor_ms']:.3f} ms | {r['over_floor']:.0f} | {memory} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcloss bench --suite", description=__doc__.split("\n\n")[0]
    )
    installed = [b for b in BACKENDS if b == "numpy" or importlib.util.find_spec(b)]
    names = BENCHED
    parser.add_argument("--backends", default=",".join(installed))
    parser.add_argument("--losses", default=",".join(names))
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--against",
        choices=("peer", "autograd"),
        default="peer",
        help="time each loss against its peer (default) or against its own formula under "
        "autograd, for the losses with a closed-form gradient",
    )
    args = parser.parse_args(argv)
    chosen = {}
    for option, allowed in (
        ("backends", installed),
        ("losses", names),
        ("shapes", list(SHAPES)),
        ("modes", list(MODES)),
    ):
        values = getattr(args, option).split(",")
        unknown = [v for v in values if v not in allowed]
        if unknown:
            parser.error(
                f"--{option}: unknown or not installed {unknown}; expected some of {allowed}"
            )
        chosen[option] = values
    losses = chosen["losses"]
    if args.against == "autograd":
        losses = [n for n in losses if REGISTRY[n].closed_form]
    report = run(
        chosen["backends"],
        losses,
        chosen["shapes"],
        chosen["modes"],
        args.pairs,
        against=args.against,
    )
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
