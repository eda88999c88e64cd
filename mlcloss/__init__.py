"""mlcloss: loss functions written once against the Python array API standard.

Every loss accepts NumPy, PyTorch, JAX, TensorFlow, CuPy, Dask or
array-api-strict arrays and computes on them where they live, differentiably
under the framework's own autograd. Importing mlcloss imports no framework.
"""

from ._lib.validate import set_value_checks, value_checks
from .losses.multilabel import (
    global_pointer_crossentropy,
    multilabel_categorical_crossentropy,
    multilabel_predict,
    multilabel_probabilities,
    sparse_multilabel_categorical_crossentropy,
)

__version__ = "0.1.0"

__all__ = [
    "global_pointer_crossentropy",
    "multilabel_categorical_crossentropy",
    "multilabel_predict",
    "multilabel_probabilities",
    "set_value_checks",
    "sparse_multilabel_categorical_crossentropy",
    "value_checks",
]
