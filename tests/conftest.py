import importlib
import os
import pkgutil
import sys

_VENDORED = os.environ.get("MLCLOSS_VENDORED")
if _VENDORED:  # nox -s vendoring: every `mlcloss` import resolves to the vendored copy
    _package = importlib.import_module(_VENDORED)
    for _info in pkgutil.walk_packages(_package.__path__, _VENDORED + "."):
        try:
            importlib.import_module(_info.name)
        except ModuleNotFoundError:  # mlcloss.torch, mlcloss.keras without their framework
            pass
    for _name, _module in list(sys.modules.items()):
        if _name == _VENDORED or _name.startswith(_VENDORED + "."):
            sys.modules["mlcloss" + _name[len(_VENDORED) :]] = _module

pytest_plugins = ["mlcloss.testing.plugin"]
