"""The examples in the docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mlcloss.losses

MODULES = [m.name for m in pkgutil.iter_modules(mlcloss.losses.__path__, "mlcloss.losses.")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0
