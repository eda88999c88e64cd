"""pytest plugin: the framework fixtures, one test id per framework.

Add ``pytest_plugins = ["mlcloss.testing.plugin"]`` to a ``conftest.py``. Each
fixture yields a :class:`~mlcloss.testing.Framework` (not a namespace: its
``.xp`` is the namespace):

- ``framework``: every selected, installed framework;
- ``autograd_framework``: those with autograd (torch, jax, tensorflow);
- ``traced_framework``: those with a tracing compiler (the same three).

``MLCLOSS_BACKENDS=numpy,torch`` selects frameworks; frameworks that are not
installed are not collected (the nox session that installs them runs them).
"""

from __future__ import annotations

import pytest

from .frameworks import available_frameworks

_FILTERS = {
    "framework": lambda f: True,
    "autograd_framework": lambda f: f.has_autograd,
    "traced_framework": lambda f: f.compiler is not None,
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


framework = pytest.fixture(_framework, name="framework")
autograd_framework = pytest.fixture(_framework, name="autograd_framework")
traced_framework = pytest.fixture(_framework, name="traced_framework")
