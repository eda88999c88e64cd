"""The catalogue against torch's native losses, torch eager float32, forward+backward.

Run: ``python benchmarks/catalogue_torch.py [--rows 4096 --classes 1000]``.
Each mlcloss loss is timed interleaved with the torch function it matches
(medians of 21 pairs, one process); the ratio is mlcloss / torch. Value
checks are switched off for the timing, as a training loop that trusts its
labels would (``mlcloss.set_value_checks(False)``), and reported on as well.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mlcloss  # noqa: E402
from benchmarks.timing import interleaved, torch_step  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=21)
    args = parser.parse_args()
    torch.manual_seed(0)
    n, c = args.rows, args.classes
    logits = torch.randn(n, c, requires_grad=True)
    index = torch.randint(0, c, (n,))
    probs = torch.softmax(torch.randn(n, c), dim=-1)
    binary = (torch.rand(n, c) < 0.1).float()
    weights = torch.rand(c) + 0.5
    cases = {
        "softmax_cross_entropy (index)": (
            lambda: mlcloss.softmax_cross_entropy(logits, index),
            lambda: F.cross_entropy(logits, index),
        ),
        "softmax_cross_entropy (index, weights, smoothing)": (
            lambda: mlcloss.softmax_cross_entropy(
                logits, index, class_weights=weights, label_smoothing=0.1
            ),
            lambda: F.cross_entropy(logits, index, weight=weights, label_smoothing=0.1),
        ),
        "softmax_cross_entropy (probabilities)": (
            lambda: mlcloss.softmax_cross_entropy(logits, probs),
            lambda: F.cross_entropy(logits, probs),
        ),
        "sigmoid_cross_entropy": (
            lambda: mlcloss.sigmoid_cross_entropy(logits, binary),
            lambda: F.binary_cross_entropy_with_logits(logits, binary),
        ),
        "sigmoid_cross_entropy (pos_weight)": (
            lambda: mlcloss.sigmoid_cross_entropy(logits, binary, pos_weight=weights),
            lambda: F.binary_cross_entropy_with_logits(logits, binary, pos_weight=weights),
        ),
        "kl_divergence": (
            lambda: mlcloss.kl_divergence(logits, probs),
            lambda: F.kl_div(F.log_softmax(logits, dim=-1), probs, reduction="batchmean"),
        ),
        "squared_error": (
            lambda: mlcloss.squared_error(logits, binary),
            lambda: F.mse_loss(logits, binary),
        ),
    }
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{n}x{c} float32, forward+backward, ratio = mlcloss / torch"
    )
    for checks in (False, True):
        mlcloss.set_value_checks(checks)
        print(f"value checks {'on' if checks else 'off'}:")
        for name, (ours, theirs) in cases.items():
            t_ours, t_ref = interleaved(
                torch_step(logits, ours), torch_step(logits, theirs), pairs=args.pairs
            )
            print(
                f"  {name:<52} {t_ours * 1e3:7.1f} ms  torch {t_ref * 1e3:7.1f} ms  "
                f"ratio {t_ours / t_ref:.2f}"
            )


if __name__ == "__main__":
    main()
