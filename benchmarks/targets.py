"""The performance targets of the project, each measured as a ratio in one process.

Run: ``mlcloss bench`` (from a source checkout) or ``python -m benchmarks.targets
[--pairs 15] [--json results.json]``. Each row times mlcloss and its reference
alternately (``benchmarks.timing.interleaved``; medians of ``--pairs`` pairs
after warm-up), float32, forward+backward unless the row says otherwise, with
the library defaults (value checks on). Rows whose framework is not installed
are listed as such. The ratio is mlcloss / reference; a row meets its target
when the ratio is at most the target. The memory row measures in fresh
interpreters (``benchmarks.memory``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mlcloss  # noqa: E402
from benchmarks.timing import interleaved  # noqa: E402


def _torch_rows():
    import torch
    import torch.nn.functional as F

    from benchmarks.timing import torch_step
    from benchmarks.zlpr_dense_torch import seeds_dense
    from benchmarks.zlpr_sparse_torch import seeds_sparse

    torch.manual_seed(0)
    x = torch.randn(4096, 1000, requires_grad=True)
    index = torch.randint(0, 1000, (4096,))
    binary = (torch.rand(4096, 1000) < 0.1).float()
    wide = torch.randn(64, 50000, requires_grad=True)
    positives = torch.stack([torch.randperm(50000)[:8] for _ in range(64)])
    small = torch.randn(8, 10, requires_grad=True)
    small_index = torch.randint(0, 10, (8,))

    def forward(fn):
        def run():
            with torch.no_grad():
                fn()

        return run

    yield (
        "torch eager softmax_cross_entropy vs F.cross_entropy, 4096x1000",
        torch_step(x, lambda: mlcloss.softmax_cross_entropy(x, index)),
        torch_step(x, lambda: F.cross_entropy(x, index)),
        1.25,
    )
    yield (
        "torch eager sigmoid_cross_entropy vs F.binary_cross_entropy_with_logits, 4096x1000",
        torch_step(x, lambda: mlcloss.sigmoid_cross_entropy(x, binary)),
        torch_step(x, lambda: F.binary_cross_entropy_with_logits(x, binary)),
        1.25,
    )
    yield (
        "torch eager dense ZLPR vs the seeds' code, 4096x1000",
        torch_step(x, lambda: mlcloss.multilabel_categorical_crossentropy(x, binary)),
        torch_step(x, lambda: seeds_dense(binary, x).mean()),
        0.5,
    )
    yield (
        "torch eager exact sparse ZLPR vs the seeds' sparse code, k=8, 64x50000",
        torch_step(
            wide, lambda: mlcloss.sparse_multilabel_categorical_crossentropy(wide, positives)
        ),
        torch_step(wide, lambda: seeds_sparse(wide, positives).mean()),
        1.2,
    )
    yield (
        "torch eager per-call overhead, softmax_cross_entropy vs F.cross_entropy, 8x10, forward",
        forward(lambda: mlcloss.softmax_cross_entropy(small, small_index)),
        forward(lambda: F.cross_entropy(small, small_index)),
        3.0,
    )
    yield from _linear_rows()


LINEAR = {"n": 4096, "d": 512, "v": 32768, "chunk": 4096}  # issue 6's linear_cross_entropy size


def _linear_rows():
    import torch
    import torch.nn.functional as F

    from benchmarks.memory import linear_cross_entropy_peak

    n, d, v, chunk = LINEAR["n"], LINEAR["d"], LINEAR["v"], LINEAR["chunk"]
    torch.manual_seed(0)
    hidden = (torch.randn(n, d) * 0.5).requires_grad_()
    weight = (torch.randn(v, d) * 0.05).requires_grad_()
    labels = torch.randint(0, v, (n,))

    def step(loss):
        def run():
            hidden.grad = weight.grad = None
            loss().backward()

        return run

    yield (
        f"torch eager linear_cross_entropy vs F.linear_cross_entropy, N={n} D={d} V={v}",
        step(lambda: mlcloss.linear_cross_entropy(hidden, weight, labels, chunk_size=chunk)),
        step(lambda: F.linear_cross_entropy(hidden, weight, labels)),
        1.5,
    )
    floats = 4  # float32 bytes
    budget = floats * (n * d + v * d + n * chunk)  # hidden + weight + one chunk
    ours = linear_cross_entropy_peak("mlcloss", n=n, d=d, v=v, chunk=chunk)
    grads = floats * (n * d + v * d)  # the returned gradients, which any implementation holds
    yield {
        "name": f"torch linear_cross_entropy peak memory / (hidden + weight + chunk), "
        f"N={n} D={d} V={v} chunk={chunk}",
        "ours_mib": ours / 2**20,
        "reference_mib": budget / 2**20,
        "ratio": ours / budget,
        "without_gradients_ratio": (ours - grads) / budget,
        "torch_two_step_mib": linear_cross_entropy_peak("torch", n=n, d=d, v=v, chunk=chunk)
        / 2**20,
        "target": 1.5,
    }


def _jax_rows():
    import jax
    import numpy as np
    import optax

    rng = np.random.default_rng(0)
    x = jax.numpy.asarray(rng.normal(size=(4096, 1000)), dtype=jax.numpy.float32)
    index = jax.numpy.asarray(rng.integers(0, 1000, 4096))
    ours = jax.jit(jax.grad(lambda z: mlcloss.softmax_cross_entropy(z, index)))
    theirs = jax.jit(
        jax.grad(lambda z: optax.softmax_cross_entropy_with_integer_labels(z, index).mean())
    )
    yield (
        "JAX jit softmax_cross_entropy grad vs optax, 4096x1000",
        lambda: ours(x).block_until_ready(),
        lambda: theirs(x).block_until_ready(),
        1.1,
    )


def _tensorflow_rows():
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(4096, 1000)), dtype=tf.float32)
    index = tf.constant(rng.integers(0, 1000, 4096))

    def step(loss):
        def run():
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = tf.reduce_mean(loss())
            tape.gradient(value, x).numpy()

        return run

    yield (
        "TF eager softmax_cross_entropy vs tf.nn.sparse_softmax_cross_entropy_with_logits, 4096x1000",
        step(lambda: mlcloss.softmax_cross_entropy(x, index, reduction="none")),
        step(lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(index, x)),
        1.25,
    )


ROWS = {  # framework module: the rows it times
    "torch": _torch_rows,
    "jax": _jax_rows,
    "tensorflow": _tensorflow_rows,
}


def measure(pairs: int, progress=sys.stderr):
    """Every target row as a dict: name, ours and reference in ms, ratio, target, met."""
    results = []
    for module, rows in ROWS.items():
        if importlib.util.find_spec(module) is None or (
            module == "jax" and importlib.util.find_spec("optax") is None
        ):
            results.append({"name": f"{module} rows", "status": f"{module} not installed"})
            continue
        for row in rows():
            if isinstance(row, dict):  # measured by the row itself (memory)
                print(f"[{len(results) + 1}] {row['name']}", file=progress, flush=True)
                results.append({**row, "met": row["ratio"] <= row["target"]})
                continue
            name, ours, reference, target = row
            print(f"[{len(results) + 1}] {name} ...", file=progress, flush=True)
            t_ours, t_ref = interleaved(ours, reference, pairs=pairs)
            ratio = t_ours / t_ref
            results.append(
                {
                    "name": name,
                    "ours_ms": t_ours * 1e3,
                    "reference_ms": t_ref * 1e3,
                    "ratio": ratio,
                    "target": target,
                    "met": ratio <= target,
                }
            )
    return results


def table(results) -> str:
    lines = [
        "| case | mlcloss | reference | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in results:
        if "ours_ms" in row:
            lines.append(
                f"| {row['name']} | {row['ours_ms']:.2f} ms | {row['reference_ms']:.2f} ms "
                f"| {row['ratio']:.2f} | ≤ {row['target']} | {'yes' if row['met'] else 'no'} |"
            )
        elif "ours_mib" in row:
            lines.append(
                f"| {row['name']} (two-step torch: {row['torch_two_step_mib']:.0f} MiB; "
                f"without the returned gradients: {row['without_gradients_ratio']:.2f}) "
                f"| {row['ours_mib']:.0f} MiB | {row['reference_mib']:.0f} MiB "
                f"| {row['ratio']:.2f} | ≤ {row['target']} | {'yes' if row['met'] else 'no'} |"
            )
        else:
            lines.append(f"| {row['name']} | | | {row['status']} | | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="mlcloss bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=15, help="interleaved pairs per row (15)")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    results = measure(args.pairs)
    print(f"{platform.machine()}, Python {platform.python_version()}; ratio = mlcloss / reference")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
