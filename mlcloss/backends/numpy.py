"""NumPy adapter: concrete host arrays, a scatter for the multi-hot mask."""

from __future__ import annotations

import numpy as np

from ._generic import Backend


class NumPyBackend(Backend):
    name = "numpy"

    def multi_hot(self, indices, valid, num_classes: int):
        # invalid entries are sent to a sink column that is dropped afterwards
        out = np.zeros((*indices.shape[:-1], num_classes + 1), dtype=bool)
        np.put_along_axis(out, np.where(valid, indices, num_classes), True, axis=-1)
        return out[..., :num_classes]

    def is_concrete(self, x) -> bool:
        return True
