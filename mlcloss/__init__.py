"""mlcloss: loss functions written once against the Python array API standard.

Every loss accepts NumPy, PyTorch, JAX, TensorFlow, CuPy, Dask or
array-api-strict arrays and computes on them where they live, differentiably
under the framework's own autograd. Importing mlcloss imports no framework.
"""

from ._lib.gradients import analytic_gradients, set_analytic_gradients, value_and_grad
from ._lib.validate import set_value_checks, value_checks
from .backends import array_namespace
from .losses.binary import (
    asymmetric_loss,
    binary_cross_entropy,
    sigmoid_cross_entropy,
    sigmoid_focal_loss,
)
from .losses.combinatorial import combinatorial_softmax_crossentropy
from .losses.linear import linear_cross_entropy
from .losses.margin import hinge_loss, pairwise_hinge_loss
from .losses.multilabel import (
    global_pointer_crossentropy,
    multilabel_categorical_crossentropy,
    multilabel_predict,
    multilabel_probabilities,
    sparse_multilabel_categorical_crossentropy,
)
from .losses.pairwise import circle_loss, unified_pairwise_loss
from .losses.regression import absolute_error, huber_loss, squared_error
from .losses.sampled import nce_loss, sampled_softmax_loss
from .losses.softmax import (
    kl_divergence,
    nll_loss,
    smooth_labels,
    softmax_cross_entropy,
    softmax_focal_loss,
)
from .sampling import log_uniform_candidate_sampler

__version__ = "0.1.0"

__all__ = [
    "absolute_error",
    "analytic_gradients",
    "array_namespace",
    "asymmetric_loss",
    "binary_cross_entropy",
    "circle_loss",
    "combinatorial_softmax_crossentropy",
    "global_pointer_crossentropy",
    "hinge_loss",
    "huber_loss",
    "kl_divergence",
    "linear_cross_entropy",
    "log_uniform_candidate_sampler",
    "multilabel_categorical_crossentropy",
    "multilabel_predict",
    "multilabel_probabilities",
    "nce_loss",
    "nll_loss",
    "pairwise_hinge_loss",
    "sampled_softmax_loss",
    "set_analytic_gradients",
    "set_value_checks",
    "sigmoid_cross_entropy",
    "sigmoid_focal_loss",
    "smooth_labels",
    "softmax_cross_entropy",
    "softmax_focal_loss",
    "sparse_multilabel_categorical_crossentropy",
    "squared_error",
    "unified_pairwise_loss",
    "value_and_grad",
    "value_checks",
]
