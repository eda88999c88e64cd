"""Packaging promises: no framework on import, relative imports only (vendoring)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("torch", "jax", "tensorflow", "keras", "cupy", "dask")


def _run(code: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_pulls_in_no_framework():
    code = (
        "import sys, mlcloss; "
        f"print(','.join(m for m in {FRAMEWORKS!r} if m in sys.modules) or 'none')"
    )
    assert _run(code, ROOT) == "none"


def test_import_needs_no_array_api_compat():
    """Installed without its dependency (or vendored bare), import still works."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'array_api_compat':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np, mlcloss\n"
        "try:\n"
        "    mlcloss.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1]))\n"
        "except ModuleNotFoundError as error:\n"
        "    print('pip install array-api-compat' in str(error))\n"
    )
    assert _run(code, ROOT) == "True"


def test_numpy_call_pulls_in_no_framework():
    code = (
        "import sys, numpy as np, mlcloss; "
        "mlcloss.sparse_multilabel_categorical_crossentropy(np.zeros((2, 5)), np.zeros((2, 1), int)); "
        f"print(','.join(m for m in {FRAMEWORKS!r} if m in sys.modules) or 'none')"
    )
    assert _run(code, ROOT) == "none"


def test_vendored_copy_under_another_name(tmp_path):
    """Copy mlcloss/ into another package under another name and use it there."""
    target = tmp_path / "myproject" / "_vendor" / "losses"
    shutil.copytree(ROOT / "mlcloss", target, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "myproject" / "__init__.py").write_text("")
    (tmp_path / "myproject" / "_vendor" / "__init__.py").write_text("")
    leaks = [
        str(path.relative_to(target))
        for path in target.rglob("*.py")
        if "import mlcloss" in path.read_text() or "from mlcloss" in path.read_text()
    ]
    assert not leaks, f"absolute self-imports break vendoring: {leaks}"
    code = (
        "import sys, numpy as np\n"
        "from myproject._vendor import losses\n"
        "s = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7], [0.7, 0.6, 0.1, 0.3]])\n"
        "t = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]])\n"
        "a = losses.multilabel_categorical_crossentropy(s, t)\n"
        "b = losses.sparse_multilabel_categorical_crossentropy(s, np.array([[0, 2], [2, 3], [0, -1]]), ignore_index=-1)\n"
        "assert 'mlcloss' not in sys.modules\n"
        "print(repr(float(a)), repr(float(b)))\n"
    )
    a, b = map(float, _run(code, tmp_path).split())
    s = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7], [0.7, 0.6, 0.1, 0.3]])
    t = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]], bool)
    want = np.mean(
        [np.log1p(np.exp(r[~m]).sum()) + np.log1p(np.exp(-r[m]).sum()) for r, m in zip(s, t)]
    )
    np.testing.assert_allclose([a, b], want, rtol=1e-12)
