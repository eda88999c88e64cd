"""Sparse ZLPR on torch eager (float32): speed and accuracy against the seeds' sparse code.

Run: ``python benchmarks/zlpr_sparse_torch.py [--rows 64 --classes 50000 --k 8]``.
The reference is the widely copied sparse form (seed 000, after bert4keras):
the negative term as ``all + log(clip(1 - exp(lse(pos) - all), 1e-16, 1))``.
Forward+backward, interleaved in one process, medians of 21 pairs; then both
are evaluated in the confident regime (positives at +20, negatives at -20)
against the float64 value.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mlcloss  # noqa: E402
from benchmarks.timing import interleaved, torch_step  # noqa: E402


def seeds_sparse(y_pred, y_true):
    """The subtraction form of seed 000 (no padding), reproduced as the reference."""
    zeros = torch.zeros_like(y_pred[..., :1])
    y_pred = torch.cat([y_pred, zeros], dim=-1)
    y_pos_2 = torch.gather(y_pred, -1, y_true)
    y_pos_1 = torch.cat([y_pos_2, zeros], dim=-1)
    pos_loss = torch.logsumexp(-y_pos_1, dim=-1)
    all_loss = torch.logsumexp(y_pred, dim=-1)
    aux_loss = torch.logsumexp(y_pos_2, dim=-1) - all_loss
    aux_loss = torch.clip(1 - torch.exp(aux_loss), 1e-16, 1)
    return pos_loss + all_loss + torch.log(aux_loss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--classes", type=int, default=50000)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--pairs", type=int, default=21)
    args = parser.parse_args()
    torch.manual_seed(0)
    logits = torch.randn(args.rows, args.classes, requires_grad=True)
    index = torch.stack([torch.randperm(args.classes)[: args.k] for _ in range(args.rows)])

    ours = torch_step(
        logits,
        lambda: mlcloss.sparse_multilabel_categorical_crossentropy(logits, index, reduction="none"),
    )
    reference = torch_step(logits, lambda: seeds_sparse(logits, index))
    t_ours, t_ref = interleaved(ours, reference, pairs=args.pairs)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{args.rows}x{args.classes} float32, k={args.k}, forward+backward"
    )
    print(
        f"  mlcloss: {t_ours * 1e3:7.1f} ms   seeds' code: {t_ref * 1e3:7.1f} ms   "
        f"ratio {t_ours / t_ref:.2f}"
    )

    # accuracy where the positives hold almost all the mass
    for classes in (2, 10, 1000):
        confident = torch.full((1, classes), -20.0)
        confident[0, 0] = 20.0
        positive = torch.tensor([[0]])
        exact = math.log1p((classes - 1) * math.exp(-20.0)) + math.log1p(math.exp(-20.0))
        got = mlcloss.sparse_multilabel_categorical_crossentropy(confident, positive).item()
        theirs = seeds_sparse(confident, positive).item()
        print(
            f"  C={classes:5d} logits ±20: exact {exact:.6e}   mlcloss {got:.6e}   "
            f"seeds' code {theirs:.6e}"
        )


if __name__ == "__main__":
    main()
