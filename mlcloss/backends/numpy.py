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

    def scatter_add_last(self, x, indices, values):
        rows = np.indices(indices.shape, sparse=True)[:-1]
        np.add.at(x, (*rows, indices), np.broadcast_to(values, indices.shape))
        return x

    def scale_owned(self, x, factor):
        # a 0-d operation gives a NumPy scalar, which cannot be written into
        if (
            not isinstance(x, np.ndarray)
            or np.broadcast_shapes(x.shape, np.shape(factor)) != x.shape
        ):
            return x * factor
        return np.multiply(x, factor, out=x)

    def subtract_owned(self, x, other):
        if (
            not isinstance(x, np.ndarray)
            or np.broadcast_shapes(x.shape, np.shape(other)) != x.shape
        ):
            return x - other
        return np.subtract(x, other, out=x)

    def exp_shifted(self, z, shift, scale=None):
        np.exp(np.subtract(z, shift, out=z), out=z)
        return z if scale is None else np.multiply(z, scale, out=z)

    def put_rows(self, x, start, values):
        x[start : start + values.shape[0], ...] = values
        return x

    def is_concrete(self, x) -> bool:
        return True
