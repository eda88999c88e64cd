"""Vendor mlcloss into a project: ``python tools/vendor.py DEST [--package myproject] [--compat]``.

Copies ``mlcloss/`` to ``DEST/<package>/_vendor/losses`` (creating the
package's ``__init__.py`` files where missing) and, with ``--compat``, the
installed array-api-compat beside it as ``_vendor/array_api_compat``, which
the vendored copy then prefers. Nothing is rewritten: every import inside
mlcloss and array-api-compat is relative. Prints the vendored module name.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def vendor(dest: Path, package: str = "myproject", compat: bool = False) -> str:
    vendor_dir = dest / package / "_vendor"
    vendor_dir.mkdir(parents=True, exist_ok=True)
    for folder in (dest / package, vendor_dir):
        (folder / "__init__.py").touch()
    target = vendor_dir / "losses"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "mlcloss", target, ignore=IGNORE)
    if compat:
        spec = importlib.util.find_spec("array_api_compat")
        if spec is None or spec.origin is None:
            raise SystemExit("vendor: --compat needs array-api-compat installed to copy it")
        source = Path(spec.origin).parent
        if (vendor_dir / "array_api_compat").exists():
            shutil.rmtree(vendor_dir / "array_api_compat")
        shutil.copytree(source, vendor_dir / "array_api_compat", ignore=IGNORE)
    return f"{package}._vendor.losses"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--package", default="myproject")
    parser.add_argument("--compat", action="store_true", help="vendor array-api-compat too")
    args = parser.parse_args(argv)
    print(vendor(args.dest, args.package, args.compat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
