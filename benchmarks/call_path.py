"""The per-call path on small inputs: Python calls per loss call, and time against the native call.

``python benchmarks/call_path.py``: softmax and sigmoid cross-entropy on 8×10
float32 torch tensors (one torch thread) against ``F.cross_entropy`` and
``F.binary_cross_entropy_with_logits``, forward and forward+backward;
calls counted by cProfile, times the minimum of timeit repeats.
"""

from __future__ import annotations

import cProfile
import pstats
import timeit

import torch
import torch.nn.functional as F

import mlcloss


def _best(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.randn(8, 10)
    leaf = x.clone().requires_grad_()
    y = torch.randint(0, 10, (8,))
    t = (torch.rand(8, 10) < 0.3).float()
    pairs = {
        "softmax_cross_entropy": (mlcloss.softmax_cross_entropy, F.cross_entropy, y),
        "sigmoid_cross_entropy": (
            mlcloss.sigmoid_cross_entropy,
            F.binary_cross_entropy_with_logits,
            t,
        ),
    }
    for name, (ours, theirs, labels) in pairs.items():
        for _ in range(200):
            ours(x, labels)
        profile = cProfile.Profile()
        profile.enable()
        ours(x, labels)
        profile.disable()
        calls = pstats.Stats(profile).total_calls

        def backward(fn, labels=labels):
            leaf.grad = None
            fn(leaf, labels).backward()

        forward = [_best(lambda f=f, t=labels: f(x, t), 2000) for f in (ours, theirs)]
        both = [_best(lambda f=f: backward(f), 1000) for f in (ours, theirs)]
        print(
            f"{name}: {calls} Python calls; forward {forward[0]:.1f} vs {forward[1]:.1f} µs "
            f"= {forward[0] / forward[1]:.2f}x; f+b {both[0]:.1f} vs {both[1]:.1f} µs "
            f"= {both[0] / both[1]:.2f}x"
        )


if __name__ == "__main__":
    main()
