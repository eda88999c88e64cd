"""mlcloss: loss functions written once against the Python array API standard.

Every loss accepts NumPy, PyTorch, JAX, TensorFlow, CuPy, Dask or
array-api-strict arrays and computes on them where they live, differentiably
under the framework's own autograd. Importing mlcloss imports no framework.

Every declared loss (:mod:`mlcloss._lib.registry`) is exported here by name;
the helpers that are not losses are imported below.
"""

from . import losses  # imports every family: each declares its losses
from ._lib.gradients import analytic_gradients, set_analytic_gradients, value_and_grad
from ._lib.registry import REGISTRY as _REGISTRY
from ._lib.validate import set_value_checks, value_checks
from .backends import array_namespace
from .losses.multilabel import multilabel_predict, multilabel_probabilities
from .losses.sequence import crf_decode
from .losses.softmax import smooth_labels
from .sampling import log_uniform_candidate_sampler

__version__ = "0.1.0"

globals().update({name: spec.function for name, spec in _REGISTRY.items()})

__all__ = sorted(
    [
        *_REGISTRY,
        "analytic_gradients",
        "array_namespace",
        "crf_decode",
        "log_uniform_candidate_sampler",
        "multilabel_predict",
        "multilabel_probabilities",
        "set_analytic_gradients",
        "set_value_checks",
        "smooth_labels",
        "value_and_grad",
        "value_checks",
    ]
)
