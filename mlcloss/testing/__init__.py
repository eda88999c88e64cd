"""The conformance harness: frameworks under test, float64 oracles, assert_close, check_loss.

Public so that a research repo can run the cross-backend checks on its own
copy of mlcloss (``python -m mlcloss report``) or on its own losses written
against the array API (:func:`check_loss`). The pytest plugin
:mod:`mlcloss.testing.plugin` provides the ``framework`` fixtures.
"""

from .assertions import assert_close
from .frameworks import FRAMEWORKS, Framework, OnDevice, accelerators, available_frameworks
from .harness import check_loss, finite_differences

__all__ = [
    "FRAMEWORKS",
    "Framework",
    "OnDevice",
    "accelerators",
    "assert_close",
    "available_frameworks",
    "check_loss",
    "finite_differences",
]
