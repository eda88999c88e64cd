"""pytest plugin: the ``xp`` fixtures, one test id per framework.

Add ``pytest_plugins = ["mlcloss.testing.plugin"]`` to a ``conftest.py``.

- ``xp``: every selected, installed framework;
- ``xp_autograd``: those with autograd (torch, jax, tensorflow);
- ``xp_traced``: those with a tracing compiler (the same three).

``MLCLOSS_BACKENDS=numpy,torch`` selects frameworks; frameworks that are not
installed are not collected (the nox session that installs them runs them).
"""

from __future__ import annotations

import pytest

from .frameworks import available_frameworks

_FILTERS = {
    "xp": lambda f: True,
    "xp_autograd": lambda f: f.has_autograd,
    "xp_traced": lambda f: f.compiler is not None,
}


def pytest_generate_tests(metafunc):
    for name, keep in _FILTERS.items():
        if name in metafunc.fixturenames:
            frameworks = [f for f in available_frameworks() if keep(f)]
            metafunc.parametrize(name, frameworks, ids=[f.name for f in frameworks], indirect=True)


def _framework(request):
    framework = request.param
    framework.setup()
    return framework


xp = pytest.fixture(_framework, name="xp")
xp_autograd = pytest.fixture(_framework, name="xp_autograd")
xp_traced = pytest.fixture(_framework, name="xp_traced")
