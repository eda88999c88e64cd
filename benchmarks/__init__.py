"""Benchmarks: side-by-side ratios measured interleaved in one process."""
