"""The conformance harness: frameworks under test, float64 oracles, assert_close.

Public so that a research repo can run the cross-backend checks on its own
copy of mlcloss (or on its own losses written against the array API). The
pytest plugin :mod:`mlcloss.testing.plugin` provides the ``xp`` fixture.
"""

from .assertions import assert_close
from .frameworks import FRAMEWORKS, Framework, OnDevice, accelerators, available_frameworks

__all__ = [
    "FRAMEWORKS",
    "Framework",
    "OnDevice",
    "accelerators",
    "assert_close",
    "available_frameworks",
]
