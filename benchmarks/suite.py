"""The benchmark suite: every loss on every installed backend, each beside its peer.

Run: ``mlcloss bench --suite [--backends torch,jax] [--losses softmax_cross_entropy]
[--shapes 4096x1000] [--modes eager-forward,eager-backward] [--pairs 15] [--json out.json]``.

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
from mlcloss.capabilities import LOSSES  # noqa: E402

SHAPES = {
    "256x1000": (256, 1000),
    "4096x1000": (4096, 1000),
    "64x50000": (64, 50000),
    "globalpointer-144x16384": (144, 16384),
}
MODES = ("eager-forward", "eager-backward", "compiled-forward", "compiled-backward")
BACKENDS = ("numpy", "torch", "jax", "tensorflow")


def _inputs(name, rows, classes, rng):
    """``(prediction, labels, options)`` in NumPy for the loss ``name`` at (rows, classes)."""
    x = rng.normal(size=(rows, classes)).astype(np.float32)
    multi_hot = rng.random((rows, classes)) < min(0.1, 8 / classes * 4)
    index = rng.integers(0, classes, rows)
    if name in ("softmax_cross_entropy", "softmax_focal_loss"):
        return x, index, {}
    if name == "nll_loss":
        shifted = x - x.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)), index, {}
    if name == "kl_divergence":
        probs = rng.dirichlet(np.ones(classes), rows).astype(np.float32)
        return x, probs, {}
    if name == "binary_cross_entropy":
        return 1 / (1 + np.exp(-x)), multi_hot.astype(np.float32), {}
    if name == "sparse_multilabel_categorical_crossentropy":
        return x, np.argsort(rng.random((rows, classes)), axis=1)[:, :8], {}
    if name == "global_pointer_crossentropy":
        length = int(round(classes**0.5))
        spans = x.reshape(rows // 9, 9, length, length)
        return spans, multi_hot.reshape(spans.shape), {}
    if name == "combinatorial_softmax_crossentropy":
        exactly = np.zeros((rows, classes), bool)
        exactly[
            np.arange(rows)[:, None], np.argsort(rng.random((rows, classes)), axis=1)[:, :4]
        ] = 1
        return x, exactly, {"k": 4}
    if name == "pairwise_hinge_loss":
        return x[:, :1], x[:, 1:], {}
    if name == "circle_loss":
        return np.tanh(x), multi_hot, {}
    if name in ("hinge_loss", "unified_pairwise_loss"):
        return x, multi_hot, {}
    if name == "squared_error":
        return x, rng.normal(size=x.shape).astype(np.float32), {}
    return x, multi_hot.astype(np.float32), {}  # sigmoid CE, focal, ASL, dense ZLPR


def _peer(backend, name):
    """The framework's own loss (mean) for ``name`` as ``f(prediction, labels)``, or None."""
    if backend == "torch":
        import torch.nn.functional as F

        from benchmarks.zlpr_dense_torch import seeds_dense
        from benchmarks.zlpr_sparse_torch import seeds_sparse

        return {
            "softmax_cross_entropy": F.cross_entropy,
            "nll_loss": F.nll_loss,
            "kl_divergence": lambda x, t: F.kl_div(x.log_softmax(-1), t, reduction="batchmean"),
            "sigmoid_cross_entropy": F.binary_cross_entropy_with_logits,
            "binary_cross_entropy": F.binary_cross_entropy,
            "squared_error": F.mse_loss,
            "multilabel_categorical_crossentropy": lambda x, t: seeds_dense(t, x).mean(),
            "sparse_multilabel_categorical_crossentropy": lambda x, t: seeds_sparse(x, t).mean(),
            "global_pointer_crossentropy": lambda x, t: seeds_dense(
                t.flatten(2).float(), x.flatten(2)
            ).mean(),
        }.get(name)
    if backend == "jax":
        import optax

        return {
            "softmax_cross_entropy": lambda x, t: optax.softmax_cross_entropy_with_integer_labels(
                x, t
            ).mean(),
            "sigmoid_cross_entropy": lambda x, t: optax.sigmoid_binary_cross_entropy(x, t).mean(),
            "sigmoid_focal_loss": lambda x, t: optax.sigmoid_focal_loss(x, t).mean(),
            "squared_error": lambda x, t: (2 * optax.l2_loss(x, t)).mean(),
        }.get(name)
    if backend == "tensorflow":
        import tensorflow as tf

        return {
            "softmax_cross_entropy": lambda x, t: tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(t, x)
            ),
            "sigmoid_cross_entropy": lambda x, t: tf.reduce_mean(
                tf.nn.sigmoid_cross_entropy_with_logits(t, x)
            ),
            "squared_error": lambda x, t: tf.reduce_mean(tf.square(x - t)),
        }.get(name)
    return None


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
        compiled, backward = mode.startswith("compiled"), mode.endswith("backward")
        backend = self.backend
        if backend == "numpy":
            if compiled:
                return None
            if backward:
                value_and_grad = mlcloss.value_and_grad(loss)
                return lambda: value_and_grad(x, labels)
            return lambda: loss(x, labels)
        if backend == "torch":
            import torch

            fn = torch.compile(loss) if compiled else loss
            if not backward:

                def forward():
                    with torch.no_grad():
                        fn(x, labels)

                return forward
            leaf = x.detach().clone().requires_grad_(True)

            def step():
                leaf.grad = None
                fn(leaf, labels).backward()

            return step
        if backend == "jax":
            import jax

            fn = jax.grad(loss) if backward else loss
            if not compiled:
                return lambda: jax.block_until_ready(fn(x, labels))
            executable = jax.jit(fn).lower(x, labels).compile()

            def run():
                jax.block_until_ready(executable(x, labels))

            run.compiled = executable
            return run
        import tensorflow as tf

        def run(x, labels):
            if not backward:
                return loss(x, labels)
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = loss(x, labels)
            return tape.gradient(value, x)

        fn = tf.function(run, jit_compile=True) if compiled else run
        return lambda: np.asarray(fn(x, labels))


def peak_memory(backend, call, mode):
    """Bytes allocated at the peak of one ``call()`` beyond what was held before, or None.

    NumPy: ``tracemalloc`` (NumPy reports its buffers to it); torch: the
    profiler's allocation events, summed in time order; JAX, compiled: XLA's
    own account of the program (arguments, outputs and temporaries). Other
    cases have no cheap in-process measure.
    """
    if backend == "numpy":
        import tracemalloc

        tracemalloc.start()
        try:
            call()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    if backend == "torch":
        from torch.profiler import profile

        with profile(profile_memory=True) as prof:
            call()
        held = peak = 0  # each op's own allocations, then the frees, in time order
        for event in sorted(prof.events(), key=lambda e: e.time_range.start):
            held += event.self_cpu_memory_usage
            peak = max(peak, held)
        return peak
    if backend == "jax" and mode.startswith("compiled"):
        analysis = call.compiled.memory_analysis()
        return (
            analysis.argument_size_in_bytes
            + analysis.output_size_in_bytes
            + analysis.temp_size_in_bytes
        )
    return None


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


def run(backends, losses, shapes, modes, pairs, progress=sys.stderr):
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
        x, y = runner.array(prediction), runner.array(labels)
        ours = runner.callable(partial(getattr(mlcloss, name), **options), x, y, mode)
        if ours is None:
            continue
        peer = _peer(backend, name)
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
        floor = sum(a.nbytes for a in (prediction, labels) if a.dtype.kind == "f") / bandwidth
        row.update(ours_ms=t_ours * 1e3, floor_ms=floor * 1e3, over_floor=t_ours / floor)
        peak = peak_memory(backend, ours, mode)
        if peak is not None:
            row.update(peak_mib=peak / 2**20, logits_mib=prediction.nbytes / 2**20)
        results.append(row)
    print(file=progress)
    return {"copy_bandwidth_gb_s": bandwidth / 1e9, "rows": results}


def table(report) -> str:
    lines = [
        f"copy bandwidth {report['copy_bandwidth_gb_s']:.1f} GB/s",
        "| backend | loss | shape | mode | mlcloss | peer | ratio | floor | ours / floor "
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
    names = [spec.name for spec in LOSSES]
    parser.add_argument("--backends", default=",".join(installed))
    parser.add_argument("--losses", default=",".join(names))
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--json", type=Path)
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
    report = run(
        chosen["backends"], chosen["losses"], chosen["shapes"], chosen["modes"], args.pairs
    )
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
