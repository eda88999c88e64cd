"""Vendoring: mlcloss copied into another package, with or without array-api-compat beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mlcloss

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from vendor import vendor  # noqa: E402


def test_the_vendoring_session_tests_the_vendored_copy():
    name = os.environ.get("MLCLOSS_VENDORED")
    if not name:
        pytest.skip("runs in nox -s vendoring, where mlcloss is the vendored copy")
    from mlcloss._compat import compat

    assert mlcloss.__name__ == name
    assert compat().__name__ == name.rpartition(".")[0] + ".array_api_compat"


def test_a_vendored_array_api_compat_is_used_when_none_is_installed(tmp_path):
    if os.environ.get("MLCLOSS_VENDORED"):
        pytest.skip("array-api-compat is not installed here to copy (the session vendored it)")
    name = vendor(tmp_path, "myproject", compat=True)
    code = (
        "import sys\n"
        "class Block:\n"  # no installed array-api-compat: only the vendored one can serve
        "    def find_spec(self, fullname, path=None, target=None):\n"
        "        if fullname.split('.')[0] == 'array_api_compat':\n"
        "            raise ModuleNotFoundError(fullname)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib, numpy as np\n"
        f"losses = importlib.import_module({name!r})\n"
        "value = losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1]))\n"
        "from myproject._vendor.losses._compat import compat\n"
        "print(compat().__name__, repr(float(value)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    module, value = done.stdout.split()
    assert module == "myproject._vendor.array_api_compat"
    np.testing.assert_allclose(float(value), np.log(3), rtol=1e-15)


@pytest.mark.parametrize("library", ["numpy", "torch"])
def test_the_native_adapter_serves_each_framework(library):
    """Adapters are chosen by array-api-compat's ``is_*_namespace``, not by a module name, so a
    vendored copy (``myproject._vendor.array_api_compat.torch``) keeps the native kernels,
    the closed-form gradients and the CPU value checks."""
    from mlcloss.backends import Inputs

    module = pytest.importorskip(library)
    x = module.asarray(np.zeros((2, 3)))
    adapter, _ = Inputs("logits")(x)
    assert adapter.name == library
    with pytest.raises(ValueError, match="labels has invalid values"):  # checked on the CPU
        mlcloss.softmax_cross_entropy(x, module.asarray(np.array([0, 7])))
