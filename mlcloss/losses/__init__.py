"""The loss functions, each written once against the array API standard, one module a family.

Importing this package imports every family, in the order of the documentation's
tables; each declares its losses in :mod:`mlcloss._lib.registry` as it is imported.
"""

# isort: off
from . import multilabel, softmax, binary, sparse_binary, regression, likelihood, margin, multiclass  # noqa: F401
from . import robust, divergence  # noqa: F401
from . import similarity, combinatorial, pairwise, sampled, linear  # noqa: F401
from . import sequence, overlap, metric, ranking  # noqa: F401

# isort: on
