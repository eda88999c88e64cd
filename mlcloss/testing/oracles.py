"""Float64 NumPy oracles written from the definitions, independent of the library code.

They favour the obvious formula over speed: explicit class sets, the
unfactored pairwise sum, loops over spans.
"""

from __future__ import annotations

import math

import numpy as np


def zlpr_pairwise(logits, labels, *, threshold=0.0, where=None):
    r"""Hard-label ZLPR per row by the unfactored pairwise sum.

    .. math::
        L = \log\Bigl(1 + \sum_{i \in neg, j \in pos} e^{s_i - s_j}
            + \sum_{i \in neg} e^{s_i - θ} + \sum_{j \in pos} e^{θ - s_j}\Bigr)

    ``logits``/``labels``/``where``: ``[..., C]`` (class axis last).
    """
    s = np.asarray(logits, dtype=np.float64)
    t = np.asarray(labels) != 0
    w = np.ones_like(t) if where is None else np.broadcast_to(np.asarray(where), s.shape)
    theta = np.broadcast_to(np.asarray(threshold, dtype=np.float64), s.shape)
    out = np.empty(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        pos = t[row] & w[row]
        neg = ~t[row] & w[row]
        z = s[row] - theta[row]
        terms = [
            *np.exp(z[neg][:, None] - z[pos][None, :]).ravel(),
            *np.exp(z[neg]),
            *np.exp(-z[pos]),
        ]
        out[row] = math.log1p(math.fsum(terms))
    return out


def zlpr_soft(logits, labels, *, threshold=0.0):
    r"""Soft-label ZLPR per row, straight from the definition (moderate logits only).

    .. math::
        L = \log\Bigl(e^{θ} + \sum_i (1 - t_i) e^{s_i}\Bigr)
          + \log\Bigl(e^{-θ} + \sum_i t_i e^{-s_i}\Bigr)
    """
    s = np.asarray(logits, dtype=np.float64)
    t = np.asarray(labels, dtype=np.float64)
    theta = float(threshold)
    neg = np.log(np.exp(theta) + np.sum((1 - t) * np.exp(s), axis=-1))
    pos = np.log(np.exp(-theta) + np.sum(t * np.exp(-s), axis=-1))
    return neg + pos


def multi_hot(indices, num_classes, *, ignore_index=None):
    """Dense 0/1 labels ``[..., C]`` from index labels ``[..., K]`` (padding skipped)."""
    indices = np.asarray(indices)
    out = np.zeros((*indices.shape[:-1], num_classes), dtype=np.int64)
    for row in np.ndindex(*indices.shape[:-1]):
        for c in indices[row]:
            if ignore_index is not None and c == ignore_index:
                continue
            out[row + (int(c),)] = 1
    return out


def global_pointer(logits, labels, *, mask=None, sparse=False):
    """GlobalPointer ZLPR per (batch, head): spans i <= j over real tokens only."""
    s = np.asarray(logits, dtype=np.float64)
    batch, heads, length, _ = s.shape
    tokens = np.ones((batch, length), bool) if mask is None else np.asarray(mask) != 0
    out = np.empty((batch, heads))
    for b in range(batch):
        for h in range(heads):
            if sparse:
                positive = {
                    (int(i), int(j)) for i, j in np.asarray(labels)[b, h] if i >= 0 and j >= 0
                }
            else:
                positive = {tuple(p) for p in np.argwhere(np.asarray(labels)[b, h] != 0)}
            pos, neg = [], []
            for i in range(length):
                for j in range(i, length):
                    if tokens[b, i] and tokens[b, j]:
                        (pos if (i, j) in positive else neg).append(s[b, h, i, j])
            pos, neg = np.array(pos), np.array(neg)
            terms = [
                *np.exp(neg[:, None] - pos[None, :]).ravel(),
                *np.exp(neg),
                *np.exp(-pos),
            ]
            out[b, h] = math.log1p(math.fsum(terms))
    return out
