"""Peak memory of a call, measured in process: shared by ``mlcloss demo`` and the benchmarks."""

from __future__ import annotations


def peak_bytes(library: str, call):
    """Bytes allocated at the peak of ``call()`` beyond what was held before, or None.

    NumPy: ``tracemalloc`` (NumPy reports its buffers to it); torch: the
    profiler's allocation events, summed in time order. Other libraries have
    no cheap in-process measure here.
    """
    if library == "numpy":
        import tracemalloc

        tracemalloc.start()
        try:
            call()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    if library == "torch":
        from torch.profiler import profile

        with profile(profile_memory=True) as prof:
            call()
        held = peak = 0  # each op's own allocations, then the frees, in time order
        for event in sorted(prof.events(), key=lambda e: e.time_range.start):
            held += event.self_cpu_memory_usage
            peak = max(peak, held)
        return peak
    return None
