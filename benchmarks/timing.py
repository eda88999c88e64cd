"""Interleaved timing: candidate and reference alternate, the ratio of medians is reported."""

from __future__ import annotations

import statistics
import time


def interleaved(candidate, reference, *, pairs: int = 21, warmup: int = 3):
    """Median seconds of ``candidate()`` and ``reference()``, run alternately ``pairs`` times."""
    for _ in range(warmup):
        candidate()
        reference()
    ours, theirs = [], []
    for _ in range(pairs):
        start = time.perf_counter()
        candidate()
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference()
        theirs.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(theirs)


def torch_step(x, loss):
    """A callable running one forward+backward of ``loss()`` (summed) with respect to ``x``."""

    def run():
        x.grad = None
        loss().sum().backward()

    return run
