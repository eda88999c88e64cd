"""Combinatorial k-softmax against the dense ZLPR loss, forward+backward, torch eager and JAX jit.

Run: ``python benchmarks/combinatorial.py``. Float32, K positives per row
(variable k, at most K), interleaved medians of 15 pairs in one process.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mlcloss  # noqa: E402
from benchmarks.timing import interleaved, torch_step  # noqa: E402

SIZES = ((256, 1000, 8), (64, 5000, 16))  # (rows, classes C, K)


def _inputs(rows, classes, k):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(rows, classes)).astype(np.float32)
    labels = np.zeros((rows, classes), bool)
    for row in range(rows):
        labels[row, rng.choice(classes, rng.integers(1, k + 1), replace=False)] = True
    return logits, labels


def bench_torch():
    import torch

    print(f"torch {torch.__version__} eager, {torch.get_num_threads()} threads")
    for size in SIZES:
        _report(*size, *_torch_pair(torch, *size))


def _torch_pair(torch, rows, classes, k):
    logits, labels = _inputs(rows, classes, k)
    x = torch.tensor(logits, requires_grad=True)
    y = torch.tensor(labels)
    combinatorial = torch_step(
        x, lambda: mlcloss.combinatorial_softmax_crossentropy(x, y, k=k, variable=True)
    )
    dense = torch_step(x, lambda: mlcloss.multilabel_categorical_crossentropy(x, y))
    return interleaved(combinatorial, dense, pairs=15)


def bench_jax():
    import jax

    print(f"jax {jax.__version__} jit")
    for size in SIZES:
        _report(*size, *_jax_pair(jax, *size))


def _jax_pair(jax, rows, classes, k):
    logits, labels = _inputs(rows, classes, k)
    x, y = jax.numpy.asarray(logits), jax.numpy.asarray(labels)

    def combinatorial_loss(s):
        return mlcloss.combinatorial_softmax_crossentropy(s, y, k=k, variable=True)

    def dense_loss(s):
        return mlcloss.multilabel_categorical_crossentropy(s, y)

    combinatorial = jax.jit(jax.grad(combinatorial_loss))
    dense = jax.jit(jax.grad(dense_loss))
    return interleaved(
        lambda: combinatorial(x).block_until_ready(),
        lambda: dense(x).block_until_ready(),
        pairs=15,
    )


def _report(rows, classes, k, t_comb, t_dense):
    print(
        f"  {rows}x{classes}, K={k}: combinatorial {t_comb * 1e3:8.1f} ms   "
        f"dense ZLPR {t_dense * 1e3:7.1f} ms   ratio {t_comb / t_dense:5.1f}"
    )


if __name__ == "__main__":
    bench_torch()
    bench_jax()
