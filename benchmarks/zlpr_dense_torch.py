"""Dense ZLPR forward+backward on torch eager (float32) against the seeds' code.

Run: ``python benchmarks/zlpr_dense_torch.py [--rows 4096 --classes 1000]``.
The seeds' code (seed 000/001: sign flip, ±1e12 masks, two concatenations of
a zero column, two logsumexps) is the reference; both are timed interleaved
in one process, forward and backward, medians of 21 pairs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mlcloss  # noqa: E402
from benchmarks.timing import interleaved, torch_step  # noqa: E402


def seeds_dense(y_true, y_pred):
    """The widely copied dense form (seed 001), reproduced as the reference."""
    y_pred = (1 - 2 * y_true) * y_pred
    y_pred_neg = y_pred - y_true * 1e12
    y_pred_pos = y_pred - (1 - y_true) * 1e12
    zeros = torch.zeros_like(y_pred[..., :1])
    y_pred_neg = torch.cat([y_pred_neg, zeros], dim=-1)
    y_pred_pos = torch.cat([y_pred_pos, zeros], dim=-1)
    return (torch.logsumexp(y_pred_neg, dim=-1) + torch.logsumexp(y_pred_pos, dim=-1)).mean()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=21)
    args = parser.parse_args()
    torch.manual_seed(0)
    logits = torch.randn(args.rows, args.classes, requires_grad=True)
    labels = torch.rand(args.rows, args.classes) < 0.01
    float_labels = labels.float()

    reference = torch_step(logits, lambda: seeds_dense(float_labels, logits))
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{args.rows}x{args.classes} float32, forward+backward"
    )
    for name, labels_in in (("bool labels", labels), ("float 0/1 labels", float_labels)):
        ours = torch_step(
            logits,
            lambda labels_in=labels_in: mlcloss.multilabel_categorical_crossentropy(
                logits, labels_in
            ),
        )
        t_ours, t_ref = interleaved(ours, reference, pairs=args.pairs)
        print(
            f"  mlcloss ({name}): {t_ours * 1e3:7.1f} ms   seeds' code: {t_ref * 1e3:7.1f} ms   "
            f"ratio {t_ours / t_ref:.2f}"
        )


if __name__ == "__main__":
    main()
