"""The registry of every public loss, as the wrappers, the report, the docs and the tests read it.

Each loss is declared once, beside its function, with
:func:`mlcloss._lib.registry.declare`; importing the families fills
:data:`REGISTRY`. :data:`LOSSES` lists the declarations in the order of the
package's families; :data:`MODULES` those that get a :mod:`mlcloss.torch`
module and a :mod:`mlcloss.keras` loss (the sampled losses and
``linear_cross_entropy`` take other arguments than a prediction and labels).
"""

from __future__ import annotations

from . import losses  # noqa: F401  (the families register their losses on import)
from ._lib.registry import REGISTRY, LossSpec

__all__ = ["LOSSES", "MODULES", "REGISTRY", "LossSpec"]

LOSSES: tuple[LossSpec, ...] = tuple(REGISTRY.values())
MODULES: tuple[LossSpec, ...] = tuple(spec for spec in LOSSES if spec.modules)
