"""A one-line progress bar on a terminal's standard error, silent elsewhere (CI logs, pipes)."""

from __future__ import annotations

import sys
import time


class Progress:
    """``with Progress(total, "label") as bar: ... bar.step("what")``: redraws one line in place.

    Draws only when ``stream`` is a terminal, so logs and pipes stay clean;
    the line is cleared when the block ends.
    """

    def __init__(self, total: int, label: str, *, stream=None, width: int = 28):
        self.total, self.label, self.width = max(total, 1), label, width
        self.stream = sys.stderr if stream is None else stream
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = 0
        self.start = time.perf_counter()

    def __enter__(self):
        self._draw("")
        return self

    def step(self, what: str = "") -> None:
        self.done += 1
        self._draw(what)

    def _draw(self, what: str) -> None:
        if not self.enabled:
            return
        filled = self.width * self.done // self.total
        bar = "█" * filled + "·" * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        line = f"{self.label} {bar} {self.done}/{self.total} {elapsed:4.0f}s {what}"
        self.stream.write("\r" + line[:120].ljust(120))
        self.stream.flush()

    def __exit__(self, *exc):
        if self.enabled:
            self.stream.write("\r" + " " * 120 + "\r")
            self.stream.flush()
        return False
