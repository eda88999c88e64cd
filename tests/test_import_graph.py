"""The import graph: a leaf (mlcloss._compat) at the bottom, no cycle, and every module importable
first in a fresh interpreter (a cycle hidden by import order there fails)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlcloss"
OPTIONAL = {  # need their framework
    "mlcloss.torch": "torch",
    "mlcloss.keras": "keras",
    "mlcloss.backends.torch": "torch",
    "mlcloss.backends.jax": "jax",
    "mlcloss.backends.tensorflow": "tensorflow",
    "mlcloss.backends.tensorflow_namespace": "tensorflow",
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def graph() -> dict[str, set[str]]:
    """Module → the mlcloss modules it imports at module level (relative imports resolved)."""
    edges = {}
    for name, path in _modules():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.parse(path.read_text()).body:  # module level only: lazy imports aside
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                found.add(target)
                for alias in node.names:  # `from . import losses` names a module
                    if f"{target}.{alias.name}" in dict(_modules()):
                        found.add(f"{target}.{alias.name}")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
                found |= {n for n in names if n.startswith("mlcloss")}
        edges[name] = found - {name}
    return edges


def test_the_leaf_imports_nothing_of_mlcloss():
    assert graph()["mlcloss._compat"] == set()


def test_backends_import_neither_lib_nor_losses():
    for name, targets in graph().items():
        if name.startswith("mlcloss.backends"):
            assert not {t for t in targets if t.startswith(("mlcloss._lib", "mlcloss.losses"))}


def test_there_is_no_import_cycle():
    edges = graph()
    state = {}

    def visit(node, path):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", "import cycle: " + " -> ".join([*path, node])
        state[node] = "open"
        for target in edges.get(node, ()):
            if target in edges:
                visit(target, [*path, node])
        state[node] = "done"

    for node in edges:
        visit(node, [])


@pytest.mark.parametrize("name", [name for name, _ in _modules()])
def test_each_module_imports_first_in_a_fresh_interpreter(name):
    if name in OPTIONAL and importlib.util.find_spec(OPTIONAL[name]) is None:
        pytest.skip(f"{name} needs {OPTIONAL[name]}")
    if name.startswith("mlcloss.demo") or name.startswith("mlcloss.testing"):
        pytest.importorskip("numpy")
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]


if __name__ == "__main__":  # python tests/test_import_graph.py: the graph, for the docs
    for module, targets in sorted(graph().items()):
        print(f"{module} -> {', '.join(sorted(targets)) or '(nothing of mlcloss)'}")
