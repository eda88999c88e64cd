"""A global on/off setting with a setter and a ``with`` form (value checks, analytic gradients)."""

from __future__ import annotations

import contextlib


class Switch:
    """One process-wide boolean, read on every call (plain attribute: traceable by dynamo)."""

    def __init__(self, on: bool = True):
        self.on = on

    def set(self, enabled: bool) -> bool:
        """Turn the switch to ``enabled``; return the previous setting."""
        previous, self.on = self.on, bool(enabled)
        return previous

    @contextlib.contextmanager
    def scoped(self, enabled: bool):
        """``enabled`` inside the ``with`` block, the previous setting after it."""
        previous = self.set(enabled)
        try:
            yield
        finally:
            self.set(previous)
