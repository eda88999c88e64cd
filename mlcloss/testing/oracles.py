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


# -- the everyday catalogue (class axis last, float64, one row at a time) ----


def _softmax(row, keep=None):
    """Probabilities of one row over the classes in ``keep`` (0 elsewhere)."""
    keep = np.ones(row.shape, bool) if keep is None else keep
    peak = np.max(row[keep])
    e = np.where(keep, np.exp(np.where(keep, row - peak, 0.0)), 0.0)
    return e / math.fsum(e)


def softmax_ce(
    logits,
    labels,
    *,
    class_weights=None,
    ignore_index=None,
    label_smoothing=0.0,
    where=None,
    z_loss=0.0,
):
    """Softmax cross-entropy per row and the mean's denominator, torch's definition.

    Integer ``labels`` ``[...]``: (1-ε) w_y (-log p_y) + ε/V Σ_c w_c (-log p_c),
    denominator Σ w_y over rows kept. Floating ``labels`` ``[..., C]``:
    -Σ_c w_c t̃_c log p_c with t̃ = (1-ε) t + ε/V, denominator the number of
    rows with a class. ``z_loss`` adds z (log Σ_kept e^s)² to each row, weighted
    as the row (w_y for integer labels). Returns ``(per_row, denominator)``.
    """
    s = np.asarray(logits, np.float64)
    labels = np.asarray(labels)
    classes = s.shape[-1]
    w = np.ones(classes) if class_weights is None else np.asarray(class_weights, np.float64)
    keep_all = np.ones(s.shape, bool) if where is None else np.broadcast_to(where, s.shape)
    eps = label_smoothing
    out = np.zeros(s.shape[:-1])
    denominator = 0.0
    for row in np.ndindex(*s.shape[:-1]):
        keep = keep_all[row]
        if not keep.any():
            continue
        p = _softmax(s[row], keep)
        nll = np.where(keep, -np.log(np.where(keep, p, 1.0)), 0.0)
        v = keep.sum()
        if np.issubdtype(labels.dtype, np.integer):
            y = labels[row]
            if y == ignore_index:
                continue
            out[row] = (1 - eps) * w[y] * nll[y] + eps / v * math.fsum(w * nll)
            out[row] += z_loss * w[y] * _logsumexp(s[row][keep]) ** 2
            denominator += w[y]
        else:
            t = np.where(keep, (1 - eps) * labels[row] + eps / v, 0.0)
            out[row] = math.fsum(np.where(t > 0, w * t * nll, 0.0))
            out[row] += z_loss * _logsumexp(s[row][keep]) ** 2
            denominator += 1
    return out, denominator


def _logsumexp(values):
    peak = values.max()
    return peak + math.log(math.fsum(np.exp(values - peak)))


def nll(log_probs, labels, *, class_weights=None, ignore_index=None):
    """-w_y log p_y per row and Σ w_y over rows not ignored."""
    lp = np.asarray(log_probs, np.float64)
    w = np.ones(lp.shape[-1]) if class_weights is None else np.asarray(class_weights, np.float64)
    out = np.zeros(lp.shape[:-1])
    denominator = 0.0
    for row in np.ndindex(*lp.shape[:-1]):
        y = labels[row]
        if y != ignore_index:
            out[row] = -w[y] * lp[row][y]
            denominator += w[y]
    return out, denominator


def sigmoid(x):
    x = np.asarray(x, np.float64)
    return np.where(
        x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x)))
    )


def sigmoid_ce(logits, labels, *, pos_weight=1.0, label_smoothing=0.0):
    """-(p t log σ(x) + (1 - t) log(1 - σ(x))), t smoothed to t(1-ε) + ε/2."""
    x = np.asarray(logits, np.float64)
    t = np.asarray(labels, np.float64) * (1 - label_smoothing) + label_smoothing / 2
    log_p = -np.logaddexp(0.0, -x)
    log_not_p = -np.logaddexp(0.0, x)
    return -(pos_weight * t * log_p + (1 - t) * log_not_p)


def binary_ce(probs, labels):
    """-(t max(log q, -100) + (1 - t) max(log1p(-q), -100))."""
    q = np.asarray(probs, np.float64)
    t = np.asarray(labels, np.float64)
    with np.errstate(divide="ignore"):
        return -(t * np.maximum(np.log(q), -100) + (1 - t) * np.maximum(np.log1p(-q), -100))


def sigmoid_focal(logits, labels, *, alpha=0.25, gamma=2.0):
    """α_t (1 - p_t)^γ CE, p_t = t p + (1 - t)(1 - p) (torchvision's definition)."""
    t = np.asarray(labels, np.float64)
    p = sigmoid(logits)
    p_t = t * p + (1 - t) * (1 - p)
    loss = sigmoid_ce(logits, t) * (1 - p_t) ** gamma
    if alpha is not None and alpha >= 0:
        loss = loss * (alpha * t + (1 - alpha) * (1 - t))
    return loss


def softmax_focal(
    logits, labels, *, alpha=None, gamma=2.0, class_weights=None, ignore_index=None,
    label_smoothing=0.0,
):  # fmt: skip
    """Σ_c α_c w_c t̃_c (1 - p_c)^γ (-log p_c) per row, t̃ = (1 - ε) t + ε/C (Keras's definition
    without its clip, torch's class weights); rows labelled ``ignore_index`` are 0."""
    s = np.asarray(logits, np.float64)
    labels = np.asarray(labels)
    classes = s.shape[-1]
    if np.issubdtype(labels.dtype, np.integer):
        kept = labels != ignore_index if ignore_index is not None else np.ones(labels.shape, bool)
        labels = np.eye(classes)[np.where(kept, labels, 0)] * kept[..., None]
        labels = (1 - label_smoothing) * labels + label_smoothing / classes * kept[..., None]
    else:
        labels = (1 - label_smoothing) * labels + label_smoothing / classes
    alpha = 1.0 if alpha is None else np.asarray(alpha, np.float64)
    if class_weights is not None:
        alpha = alpha * np.asarray(class_weights, np.float64)
    out = np.zeros(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        e = np.exp(s[row] - np.max(s[row]))
        # 1 - p_c and -log p_c from the sum of the *other* classes: no cancellation near p = 1
        others = np.array([math.fsum(np.delete(e, c)) for c in range(classes)])
        one_minus_p = others / math.fsum(e)
        nll = np.log1p(others / e)
        out[row] = math.fsum(
            np.broadcast_to(alpha, (classes,)) * labels[row] * one_minus_p**gamma * nll
        )
    return out


def asymmetric(logits, labels, *, gamma_pos=0.0, gamma_neg=4.0, clip=0.05):
    """ASL (Ridnik et al.) elementwise: t (1-p)^γ+ (-log p) + (1-t) p_m^γ- (-log(1-p_m))."""
    t = np.asarray(labels, np.float64)
    p = sigmoid(logits)
    p_m = np.maximum(p - clip, 0.0)
    positive = (1 - p) ** gamma_pos * -np.log(p)
    negative = p_m**gamma_neg * -np.log1p(-p_m)
    return t * positive + (1 - t) * negative


def kl(logits, target_probs, *, where=None):
    """Σ_c t_c (log t_c - log p_c) per row, 0 log 0 = 0; ``where=False`` classes leave the
    softmax and the sum (a row with no class left costs 0)."""
    s = np.asarray(logits, np.float64)
    t = np.asarray(target_probs, np.float64)
    keep = np.ones(s.shape, bool) if where is None else np.broadcast_to(where, s.shape)
    out = np.zeros(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        if not keep[row].any():
            continue
        p = np.zeros(s.shape[-1])
        p[keep[row]] = _softmax(s[row][keep[row]])
        present = (t[row] > 0) & keep[row]
        out[row] = math.fsum(t[row][present] * (np.log(t[row][present]) - np.log(p[present])))
    return out


def huber(predictions, targets, *, delta=1.0):
    """½ d² for |d| ≤ δ, δ (|d| − ½ δ) beyond, d = prediction − target, elementwise."""
    d = np.asarray(predictions, np.float64) - np.asarray(targets, np.float64)
    return np.where(np.abs(d) <= delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def poisson_nll(predictions, targets, *, log_input=True, full=False, eps=1e-8):
    """exp(x) − y x (log-rates) or λ − y log(λ + ε) (rates), plus log y! by Stirling for y > 1."""
    if log_input:
        loss = np.exp(predictions) - targets * predictions
    else:
        loss = predictions - targets * np.log(predictions + eps)
    if full:
        y = np.maximum(targets, 1.0)
        loss = loss + np.where(targets > 1, y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y), 0.0)
    return loss


def gaussian_nll(means, targets, variance, *, full=False, eps=1e-6):
    """½ (log v + (μ − y)² / v) with v = max(σ², ε), plus ½ log 2π with ``full``."""
    v = np.maximum(variance, eps)
    return 0.5 * (np.log(v) + (means - targets) ** 2 / v) + (
        0.5 * np.log(2 * np.pi) if full else 0.0
    )


def hinge(scores, labels, *, margin=1.0):
    """max(0, m - y s) with y = ±1 (bool True → +1)."""
    y = np.asarray(labels)
    y = np.where(y, 1.0, -1.0) if y.dtype == bool else y.astype(np.float64)
    return np.maximum(0.0, margin - y * np.asarray(scores, np.float64))


def _signed(labels):
    y = np.asarray(labels)
    return np.where(y, 1.0, -1.0) if y.dtype == bool else y.astype(np.float64)


def soft_margin(scores, labels):
    """log(1 + e^{−y s}) with y = ±1, by log1p of the exponential (finite for these inputs)."""
    return np.log1p(np.exp(-_signed(labels) * np.asarray(scores, np.float64)))


def hinge_embedding(distances, labels, *, margin=1.0):
    """d where y = +1, max(0, m − d) where y = −1."""
    d = np.asarray(distances, np.float64)
    return np.where(_signed(labels) > 0, d, np.maximum(0.0, margin - d))


def margin_ranking(scores1, scores2, labels, *, margin=0.0):
    """max(0, −y (s₁ − s₂) + m)."""
    difference = np.asarray(scores1, np.float64) - np.asarray(scores2, np.float64)
    return np.maximum(0.0, margin - _signed(labels) * difference)


def sparsemax_binary(logits, labels):
    """optax's sparsemax loss: sparse_plus(z), z = −x for label 1, x for 0; sparse_plus(z) is
    0 below −1, (z + 1)²/4 on (−1, 1), z above 1."""
    x = np.asarray(logits, np.float64)
    z = np.where(np.asarray(labels) != 0, -x, x)
    return np.where(z <= -1, 0.0, np.where(z >= 1, z, (z + 1) ** 2 / 4))


def one_hot(indices, num_classes):
    """Float one-hot rows of class ``indices``."""
    return (np.asarray(indices)[..., None] == np.arange(num_classes)).astype(np.float64)


def multiclass_hinge(scores, labels, *, margin=1.0):
    """Crammer–Singer per row: max(0, m + max_{j≠y} s_j − s_y), by a loop over rows."""
    s = np.asarray(scores, np.float64)
    out = np.empty(s.shape[:-1])
    for row, y in np.ndenumerate(np.asarray(labels)):
        others = np.delete(s[row], y)
        out[row] = max(0.0, margin + others.max() - s[row][y])
    return out


def multi_margin(scores, labels, *, p=1, margin=1.0, class_weights=None):
    """Weston–Watkins per row: w_y / C Σ_{j≠y} max(0, m − s_y + s_j)^p, by a loop."""
    s = np.asarray(scores, np.float64)
    out = np.empty(s.shape[:-1])
    for row, y in np.ndenumerate(np.asarray(labels)):
        terms = [
            max(0.0, margin - s[row][y] + s[row][j]) ** p for j in range(s.shape[-1]) if j != y
        ]
        weight = 1.0 if class_weights is None else class_weights[y]
        out[row] = weight * math.fsum(terms) / s.shape[-1]
    return out


def categorical_hinge(scores, labels):
    """Keras: max(0, 1 + max_j (1 − t_j) s_j − Σ_j t_j s_j)."""
    s, t = np.asarray(scores, np.float64), np.asarray(labels, np.float64)
    return np.maximum(0.0, 1 + ((1 - t) * s).max(axis=-1) - (t * s).sum(axis=-1))


def multilabel_soft_margin(logits, labels, class_weights=None, *, where=None):
    """The mean over each row's (kept) classes of w_c · sigmoid CE."""
    terms = sigmoid_ce(logits, labels) * (1.0 if class_weights is None else class_weights)
    keep = np.ones(terms.shape, bool) if where is None else np.broadcast_to(where, terms.shape)
    kept = keep.sum(axis=-1)
    return np.where(kept > 0, np.where(keep, terms, 0.0).sum(axis=-1) / np.maximum(kept, 1), 0.0)


def cosine_distance(predictions, targets, *, eps=1e-12, where=None):
    """1 − cos(a, b) per row, each squared norm floored at ``eps``, over the entries kept."""
    a, b = np.asarray(predictions, np.float64), np.asarray(targets, np.float64)
    keep = np.ones(a.shape, bool) if where is None else np.broadcast_to(where, a.shape)
    a, b = np.where(keep, a, 0.0), np.where(keep, b, 0.0)
    norms = np.sqrt(np.maximum((a * a).sum(-1), eps) * np.maximum((b * b).sum(-1), eps))
    return np.where(keep.any(-1), 1 - (a * b).sum(-1) / norms, 0.0)


def cosine_embedding(x1, x2, labels, *, margin=0.0):
    """torch's: 1 − c for y = 1, max(0, c − m) for y = −1, c with 1e-12 added to |a|², |b|²."""
    a, b = np.asarray(x1, np.float64), np.asarray(x2, np.float64)
    c = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    return np.where(_signed(labels) > 0, 1 - c, np.maximum(0.0, c - margin))


def signs(n):
    """±1 labels for ``n`` rows, alternating from +1."""
    return np.where(np.arange(n) % 2 == 0, 1.0, -1.0)


def _log_softmax(logits, where=None):
    x = np.asarray(logits, np.float64)
    if where is not None:
        x = np.where(np.broadcast_to(where, x.shape), x, -np.inf)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def poly1(logits, labels, *, epsilon=2.0, where=None):
    """−Σ t log p + ε Σ t (1 − p), p the softmax over the classes kept, the sums over them too
    (a label's mass on a class left out is not counted, as optax's)."""
    t = np.asarray(labels, np.float64)
    log_p = _log_softmax(logits, where)
    present = (t > 0) if where is None else (t > 0) & np.broadcast_to(where, t.shape)
    safe = np.where(present, log_p, 0.0)
    return -(t * safe).sum(-1) + epsilon * (np.where(present, t * (1 - np.exp(safe)), 0.0)).sum(-1)


def generalized_ce(logits, labels, *, q=0.5):
    """(1 − p_y^q) / q, p the softmax."""
    log_p = _log_softmax(logits)
    p_true = np.exp(np.take_along_axis(log_p, np.asarray(labels)[..., None], axis=-1)[..., 0])
    return (1 - p_true**q) / q


def js(logits, target_logits, *, beta=0.5, where=None):
    """Liger's generalized JSD per row: β KL(P‖M) + (1 − β) KL(Q‖M), M = βP + (1 − β)Q, P the
    target's softmax, Q the model's; KL(P‖Q) at β = 0 and KL(Q‖P) at β = 1."""
    q = np.exp(_log_softmax(logits, where))
    p = np.exp(_log_softmax(target_logits, where))

    def kl(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, a * (np.log(a) - np.log(b)), 0.0).sum(-1)

    if beta == 0.0:
        return kl(p, q)
    if beta == 1.0:
        return kl(q, p)
    m = beta * p + (1 - beta) * q
    return beta * kl(p, m) + (1 - beta) * kl(q, m)


def sparsemax(scores):
    """The Euclidean projection of each row onto the simplex, by the sorted-threshold rule."""
    s = np.asarray(scores, np.float64)
    u = -np.sort(-s, axis=-1)
    k = np.arange(1, s.shape[-1] + 1)
    cumulative = np.cumsum(u, axis=-1)
    support = (1 + k * u > cumulative).sum(axis=-1, keepdims=True)
    tau = (np.take_along_axis(cumulative, support - 1, axis=-1) - 1) / support
    return np.maximum(s - tau, 0.0)


def multiclass_sparsemax(scores, labels):
    """The sparsemax Fenchel–Young loss: s·p − s_y + ½ (1 − ‖p‖²), p = sparsemax(s)."""
    s = np.asarray(scores, np.float64)
    p = sparsemax(s)
    true = np.take_along_axis(s, np.asarray(labels)[..., None], axis=-1)[..., 0]
    return (p * s).sum(-1) - true + 0.5 * (1 - (p * p).sum(-1))


def index_lists(indices, num_classes):
    """torch's multilabel-margin labels: each row of ``indices`` (−1 padded) as class indices
    then −1, padded to ``num_classes`` entries."""
    out = -np.ones((len(indices), num_classes), np.int64)
    for row, listed in enumerate(np.asarray(indices)):
        kept = [int(i) for i in listed if i >= 0]
        out[row, : len(kept)] = kept
    return out


def multilabel_margin(scores, labels):
    """1/C Σ_{listed k} Σ_{i unlisted} max(0, 1 − (s_{y_k} − s_i)), by loops."""
    s = np.asarray(scores, np.float64)
    out = np.zeros(s.shape[:-1])
    classes = s.shape[-1]
    for row in np.ndindex(*s.shape[:-1]):
        listed = []
        for y in np.asarray(labels)[row]:
            if y < 0:
                break
            listed.append(int(y))
        others = [i for i in range(classes) if i not in listed]
        terms = [max(0.0, 1 - (s[row][y] - s[row][i])) for y in listed for i in others]
        out[row] = math.fsum(terms) / classes
    return out


# -- beyond the peers: pairwise and combinatorial losses ---------------------


def unified_pairwise(logits, labels, *, scale=1.0, margin=0.0, where=None):
    """log(1 + Σ_neg Σ_pos e^{γ(s_i − s_j + m)}) per row, by the explicit double sum."""
    s = np.asarray(logits, np.float64)
    t = np.asarray(labels) != 0
    keep = np.ones(s.shape, bool) if where is None else np.broadcast_to(where, s.shape)
    out = np.zeros(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        pos = s[row][t[row] & keep[row]]
        neg = s[row][~t[row] & keep[row]]
        pairs = [math.exp(scale * (n - p + margin)) for n in neg for p in pos]
        out[row] = math.log1p(math.fsum(pairs))
    return out


def circle(similarities, labels, *, scale=80.0, margin=0.4, where=None, weights_from=None):
    """Circle loss per row by the explicit double sum over (negative, positive) pairs.

    ``weights_from`` (default: ``similarities``) gives the scores the
    adaptive weights α are computed from; holding it fixed gives the
    function whose gradient is the paper's (α constant).
    """
    s = np.asarray(similarities, np.float64)
    w = s if weights_from is None else np.asarray(weights_from, np.float64)
    t = np.asarray(labels) != 0
    keep = np.ones(s.shape, bool) if where is None else np.broadcast_to(where, s.shape)
    alpha_p = np.maximum(1 + margin - w, 0.0)
    alpha_n = np.maximum(w + margin, 0.0)
    out = np.zeros(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        pos = t[row] & keep[row]
        neg = ~t[row] & keep[row]
        a = scale * alpha_n[row][neg] * (s[row][neg] - margin)
        b = -scale * alpha_p[row][pos] * (s[row][pos] - (1 - margin))
        if a.size and b.size:
            peak = np.max(a) + np.max(b)
            total = math.fsum(math.exp(x + y - peak) for x in a for y in b)
            out[row] = np.logaddexp(0.0, peak + math.log(total))
    return out


def combinatorial(logits, labels, *, k, variable=False, threshold=0.0):
    """log Z − (chosen scores) by enumerating every set of classes (itertools)."""
    import itertools

    s = np.asarray(logits, np.float64)
    t = np.asarray(labels) != 0
    theta = np.broadcast_to(np.asarray(threshold, np.float64), s.shape[:-1])
    classes = s.shape[-1]
    out = np.zeros(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        sizes = range(k + 1) if variable else [k]
        terms = [
            sum(s[row][list(c)]) + (k - j) * theta[row]
            for j in sizes
            for c in itertools.combinations(range(classes), j)
        ]
        peak = max(terms)
        log_z = peak + math.log(math.fsum(math.exp(x - peak) for x in terms))
        chosen = s[row][t[row]].sum() + (k - t[row].sum()) * theta[row]
        out[row] = log_z - chosen
    return out


def sampled_logits(
    weights, biases, labels, inputs, sampled_values, *, remove_accidental_hits, subtract_log_q=True
):
    """The ``[batch, T + S]`` logits of the sampled losses, entry by entry (−inf for a hit)."""
    w, b, h = (np.asarray(a, np.float64) for a in (weights, biases, inputs))
    labels = np.asarray(labels).reshape(h.shape[0], -1)
    sampled, true_count, sampled_count = (np.asarray(v) for v in sampled_values)
    rows = []
    for r in range(h.shape[0]):
        row = []
        for j, y in enumerate(labels[r]):
            q = math.log(true_count[r, j]) if subtract_log_q else 0.0
            row.append(math.fsum(h[r] * w[y]) + b[y] - q)
        for i, c in enumerate(sampled):
            q = math.log(sampled_count[i]) if subtract_log_q else 0.0
            hit = remove_accidental_hits and c in labels[r]
            row.append(-math.inf if hit else math.fsum(h[r] * w[c]) + b[c] - q)
        rows.append(row)
    return np.array(rows), labels.shape[1]


def sampled_softmax(*args, remove_accidental_hits=True, subtract_log_q=True):
    """−(1/T) Σ_true log softmax over the true and sampled logits, per row."""
    logits, num_true = sampled_logits(
        *args, remove_accidental_hits=remove_accidental_hits, subtract_log_q=subtract_log_q
    )
    out = []
    for row in logits:
        peak = np.max(row)
        log_z = peak + math.log(math.fsum(math.exp(x - peak) for x in row if x > -math.inf))
        out.append(math.fsum(log_z - x for x in row[:num_true]) / num_true)
    return np.array(out)


def nce(*args, remove_accidental_hits=False):
    """Σ_true sigmoid CE with label 1/T + Σ_sampled softplus(logit), per row."""
    logits, num_true = sampled_logits(*args, remove_accidental_hits=remove_accidental_hits)
    out = []
    for row in logits:
        t = 1.0 / num_true
        true = [t * np.logaddexp(0.0, -x) + (1 - t) * np.logaddexp(0.0, x) for x in row[:num_true]]
        noise = [np.logaddexp(0.0, x) for x in row[num_true:] if x > -math.inf]
        out.append(math.fsum(true + noise))
    return np.array(out)


# -- sequence losses (CTC, linear-chain CRF): brute-force enumeration -------------------------


def ctc(log_probs, labels, input_lengths, label_lengths, *, blank=0, zero_infinity=False):
    """CTC loss per sequence by enumerating every path of classes over the frames.

    ``log_probs``: ``[T, N, C]``. A path counts when merging its repeats and
    dropping blanks gives the labels; the loss is −log of the summed path
    probabilities (+inf, or 0 with ``zero_infinity``, when no path counts).
    """
    import itertools

    lp = np.asarray(log_probs, dtype=np.float64)
    out = np.empty(lp.shape[1])
    for n in range(lp.shape[1]):
        frames, target = int(input_lengths[n]), tuple(int(v) for v in labels[n][: label_lengths[n]])
        logs = []
        for path in itertools.product(range(lp.shape[2]), repeat=frames):
            merged = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
            if tuple(merged) == target:
                logs.append(sum(lp[t, n, c] for t, c in enumerate(path)))
        if logs:
            out[n] = -_logsumexp(np.array(logs))
        else:
            out[n] = 0.0 if zero_infinity else np.inf
    return out


def _crf_path_score(emissions, transitions, start, end, path):
    score = start[path[0]] + emissions[0, path[0]] + end[path[-1]]
    for t in range(1, len(path)):
        score += transitions[path[t - 1], path[t]] + emissions[t, path[t]]
    return score


def crf(emissions, tags, transitions, *, start_transitions=None, end_transitions=None, mask=None):
    """Linear-chain CRF negative log-likelihood per sequence by enumerating every tag path.

    ``emissions``: ``[N, T, K]``; ``mask`` ``[N, T]`` a prefix of kept steps.
    The score of a path adds its start transition, its emissions, the
    transitions between consecutive tags and its end transition; the loss
    is log Σ_paths e^score − score(tags).
    """
    import itertools

    e = np.asarray(emissions, dtype=np.float64)
    n_seq, steps, k = e.shape
    trans = np.asarray(transitions, dtype=np.float64)
    start = np.zeros(k) if start_transitions is None else np.asarray(start_transitions, np.float64)
    end = np.zeros(k) if end_transitions is None else np.asarray(end_transitions, np.float64)
    mask = np.ones((n_seq, steps), bool) if mask is None else np.asarray(mask, bool)
    out = np.empty(n_seq)
    for n in range(n_seq):
        length = int(mask[n].sum())
        scores = [
            _crf_path_score(e[n], trans, start, end, path)
            for path in itertools.product(range(k), repeat=length)
        ]
        gold = _crf_path_score(e[n], trans, start, end, [int(v) for v in tags[n][:length]])
        out[n] = _logsumexp(np.array(scores)) - gold
    return out


def crf_best_path(
    emissions, transitions, *, start_transitions=None, end_transitions=None, mask=None
):
    """The highest-scoring tag path of each sequence by enumeration, padded with -1: ``[N, T]``."""
    import itertools

    e = np.asarray(emissions, dtype=np.float64)
    n_seq, steps, k = e.shape
    trans = np.asarray(transitions, dtype=np.float64)
    start = np.zeros(k) if start_transitions is None else np.asarray(start_transitions, np.float64)
    end = np.zeros(k) if end_transitions is None else np.asarray(end_transitions, np.float64)
    mask = np.ones((n_seq, steps), bool) if mask is None else np.asarray(mask, bool)
    out = -np.ones((n_seq, steps), np.int64)
    for n in range(n_seq):
        length = int(mask[n].sum())
        paths = list(itertools.product(range(k), repeat=length))
        best = max(paths, key=lambda p: _crf_path_score(e[n], trans, start, end, p))
        out[n, :length] = best
    return out


# -- metric learning: triplet, in-batch contrastive losses, margin softmax --------


def _lp_distance(x, y, *, p=2.0, eps=1e-6, eps_at="difference"):
    """torch's ``pairwise_distance``: ‖x − y + ε‖_p (``eps_at="difference"``), or optax's
    (Σ|x − y|^p + ε)^{1/p} (``"sum"``); last axis."""
    diff = np.asarray(x, np.float64) - np.asarray(y, np.float64)
    if eps_at == "difference":
        diff = diff + eps
        if math.isinf(p):
            return np.abs(diff).max(-1)
        return (np.abs(diff) ** p).sum(-1) ** (1.0 / p)
    return ((np.abs(diff) ** p).sum(-1) + eps) ** (1.0 / p)


def triplet_margin(
    anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False, eps_at="difference"
):
    """max(0, m + d(a, p) − d(a, n)), d(a, n) replaced by min(d(a, n), d(p, n)) with ``swap``."""
    d_pos = _lp_distance(anchor, positive, p=p, eps=eps, eps_at=eps_at)
    d_neg = _lp_distance(anchor, negative, p=p, eps=eps, eps_at=eps_at)
    if swap:
        d_neg = np.minimum(d_neg, _lp_distance(positive, negative, p=p, eps=eps, eps_at=eps_at))
    return np.maximum(margin + d_pos - d_neg, 0.0)


def _unit_rows(embeddings):
    """Rows divided by max(‖row‖, 1e-12) (torch's ``F.normalize``)."""
    e = np.asarray(embeddings, np.float64)
    return e / np.maximum(np.sqrt((e * e).sum(-1, keepdims=True)), 1e-12)


def _pair_sets(labels):
    """(positive, negative) ``[N, N]`` pair masks: same label off the diagonal, other label."""
    y = np.asarray(labels)
    same = y[:, None] == y[None, :]
    return same & ~np.eye(len(y), dtype=bool), ~same


def contrastive(embeddings, labels, *, pos_margin=0.0, neg_margin=1.0):
    """pytorch-metric-learning's ``ContrastiveLoss()`` per anchor, scaled by N.

    Distances between unit rows by explicit differences; positive pairs cost
    max(0, d − m₊), negative ones max(0, m₋ − d); each kind is averaged over
    its pairs of nonzero cost (``AvgNonZeroReducer``) and the two averages
    added. Row i: N × (anchor i's terms of both averages), so the mean of
    the rows is the peer's loss.
    """
    u = _unit_rows(embeddings)
    n = len(u)
    pos, neg = _pair_sets(labels)
    d = np.array([[np.sqrt(((u[i] - u[j]) ** 2).sum()) for j in range(n)] for i in range(n)])
    pos_cost = np.where(pos, np.maximum(d - pos_margin, 0.0), 0.0)
    neg_cost = np.where(neg, np.maximum(neg_margin - d, 0.0), 0.0)
    rows = np.zeros(n)
    for cost in (pos_cost, neg_cost):
        nonzero = int((cost > 0).sum())
        if nonzero:
            rows += cost.sum(1) / nonzero
    return n * rows


def ntxent(embeddings, labels, *, temperature=0.07):
    """pytorch-metric-learning's ``NTXentLoss`` per anchor, scaled by N.

    Each positive pair (i, j) costs −log(e^{s_ij} / (e^{s_ij} + Σ_{k neg of i} e^{s_ik})), s the
    cosines over the temperature; the peer averages over all positive pairs (``MeanReducer``),
    0 without a positive or without a negative pair. Row i: N × Σ_j cost_ij / #pairs.
    """
    u = _unit_rows(embeddings)
    s = u @ u.T / temperature
    pos, neg = _pair_sets(labels)
    n = len(u)
    rows = np.zeros(n)
    if not pos.any() or not neg.any():
        return rows
    for i in range(n):
        for j in range(n):
            if pos[i, j]:
                rows[i] += -(s[i, j] - np.log(np.exp(s[i, j]) + np.exp(s[i][neg[i]]).sum()))
    return n * rows / pos.sum()


def supervised_contrastive(embeddings, labels, *, temperature=0.1):
    """pytorch-metric-learning's ``SupConLoss`` per anchor, scaled by N.

    Anchor i with positives P(i): −(1/|P(i)|) Σ_{j∈P(i)} (s_ij − log Σ_{k≠i} e^{s_ik}), s the
    cosines over the temperature; 0 without positives, and 0 everywhere when the batch has no
    positive or no negative pair. The peer averages over the anchors of nonzero loss
    (``AvgNonZeroReducer``); row i is N × loss_i / #nonzero.
    """
    u = _unit_rows(embeddings)
    s = u @ u.T / temperature
    pos, neg = _pair_sets(labels)
    n = len(u)
    losses = np.zeros(n)
    if not pos.any() or not neg.any():
        return losses
    for i in range(n):
        if pos[i].any():
            others = np.arange(n) != i
            log_z = np.log(np.exp(s[i][others]).sum())
            losses[i] = -np.mean(s[i][pos[i]] - log_z)
    nonzero = int((losses > 0).sum())
    return n * losses / max(nonzero, 1)


def info_nce(queries, keys, *, temperature=0.07, symmetric=False):
    """CLIP's in-batch softmax: query i's positive is key i among all keys (cosines over the
    temperature); ``symmetric`` averages it with key i's cross-entropy over the queries."""
    s = _unit_rows(queries) @ _unit_rows(keys).T / temperature
    rows = -np.diag(_log_softmax(s))
    if symmetric:
        rows = (rows - np.diag(_log_softmax(s.T))) / 2
    return rows


def margin_softmax(cosines, labels, *, scale=64.0, margin=None, kind="arc"):
    """ArcFace (cos(θ + m) at the label, θ = arccos of the clipped cosine; cos θ − m sin m once
    θ > π − m, as pytorch-metric-learning) or CosFace (cos − m at the label), then the
    cross-entropy of the scaled logits."""
    c = np.array(cosines, np.float64)
    out = np.empty(len(c))
    for i, y in enumerate(np.asarray(labels)):
        logits = c[i].copy()
        if kind == "arc":
            m = math.radians(28.6) if margin is None else margin
            theta = math.acos(min(max(c[i, y], -1.0), 1.0))
            if theta <= math.pi - m:
                logits[y] = math.cos(theta + m)
            else:
                logits[y] = math.cos(theta) - m * math.sin(m)
        else:
            logits[y] = c[i, y] - (0.35 if margin is None else margin)
        out[i] = -_log_softmax(scale * logits)[y]
    return out


# -- ranking losses (rax's pairwise logistic, softmax, ListMLE, ApproxNDCG) -----------------


def _ranking_lists(scores, labels, where, weights):
    """Float64 scores, labels, kept items and item weights of ``[..., n]`` lists."""
    s = np.asarray(scores, np.float64)
    y = np.asarray(labels, np.float64)
    keep = np.ones(s.shape, bool) if where is None else np.broadcast_to(where, s.shape)
    w = np.ones(s.shape) if weights is None else np.broadcast_to(weights, s.shape)
    return s, y, keep, np.asarray(w, np.float64)


def _lists_kept(keep):
    """The mean's denominator of a list loss: the lists with an item kept."""
    return int(keep.any(-1).sum())


def ranking_pairwise_logistic(scores, labels, *, where=None, weights=None):
    """Per list Σ over kept pairs with y_i > y_j of w_i · log(1 + e^{−(s_i − s_j)}), and the
    number of such pairs in the batch (rax's mean is over pairs)."""
    s, y, keep, w = _ranking_lists(scores, labels, where, weights)
    out = np.zeros(s.shape[:-1])
    pairs = 0
    for row in np.ndindex(*s.shape[:-1]):
        terms = []
        for i in range(s.shape[-1]):
            for j in range(s.shape[-1]):
                if keep[row][i] and keep[row][j] and y[row][i] > y[row][j]:
                    pairs += 1
                    d = s[row][i] - s[row][j]
                    softplus = math.log1p(math.exp(-abs(d))) + max(-d, 0.0)
                    terms.append(w[row][i] * softplus)
        out[row] = math.fsum(terms)
    return out, pairs


def ranking_softmax(scores, labels, *, where=None, weights=None, normalize_labels=False):
    """Per list −Σ_i y_i log softmax(s)_i over the kept items, y the labels times the weights
    (with ``normalize_labels`` divided by their sum, uniform over the kept items when it is 0)."""
    s, y, keep, w = _ranking_lists(scores, labels, where, weights)
    out = np.zeros(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        k = keep[row]
        if not k.any():
            continue
        t = (y[row] * w[row])[k]
        if normalize_labels:
            t = t / t.sum() if t.sum() != 0 else np.full(t.shape, 1.0 / k.sum())
        x = s[row][k]
        log_p = x - x.max() - math.log(math.fsum(np.exp(x - x.max())))
        out[row] = -math.fsum(t[i] * log_p[i] for i in range(t.size) if t[i] != 0)
    return out, _lists_kept(keep)


def ranking_listmle(scores, labels, *, where=None):
    """Per list −log of the Plackett–Luce probability of the label order: the kept items sorted
    by decreasing label, equal labels in their order in the list; each step picks the next item
    among those not yet placed."""
    s, y, keep, _ = _ranking_lists(scores, labels, where, None)
    out = np.zeros(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        order = sorted(np.flatnonzero(keep[row]), key=lambda i: (-y[row][i], i))
        x = s[row][order]
        terms = []
        for k in range(len(order)):
            rest = x[k:]
            terms.append(rest.max() + math.log(math.fsum(np.exp(rest - rest.max()))) - x[k])
        out[row] = math.fsum(terms)
    return out, _lists_kept(keep)


def _ranking_sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def ranking_approx_ndcg(scores, labels, *, where=None, weights=None, temperature=1.0):
    """Per list −DCG/IDCG with the approximate rank r_i = 1 + Σ_{j≠i kept} σ((s_j − s_i)/T),
    gain w_i (2^{y_i} − 1), discount 1/log2(1 + r); the ideal DCG from the exact ranks of the
    gains (IDCG 0 counts as 1)."""
    s, y, keep, w = _ranking_lists(scores, labels, where, weights)
    out = np.zeros(s.shape[:-1])
    for row in np.ndindex(*s.shape[:-1]):
        k = np.flatnonzero(keep[row])
        gains = {i: w[row][i] * (2.0 ** y[row][i] - 1.0) for i in k}
        dcg = []
        for i in k:
            rank = 1.0 + math.fsum(
                _ranking_sigmoid((s[row][j] - s[row][i]) / temperature) for j in k if j != i
            )
            dcg.append(gains[i] / math.log2(1.0 + rank))
        ideal = sorted(gains.values(), reverse=True)
        idcg = math.fsum(g / math.log2(2.0 + r) for r, g in enumerate(ideal))
        out[row] = -math.fsum(dcg) / (idcg if idcg != 0 else 1.0)
    return out, _lists_kept(keep)


# -- overlap losses (Dice, Jaccard, Tversky, generalized Dice): one overlap at a time ----------


def _overlap_inputs(predictions, labels, where, *, activation, class_axis, include_background):
    """``(p, t, keep)`` float64 / bool of the predictions' shape: the probabilities after the
    activation, the labels (class indices made one-hot along ``class_axis``), the kept entries;
    class 0 dropped for ``include_background=False``."""
    x = np.asarray(predictions, dtype=np.float64)
    if activation == "sigmoid":
        p = 1.0 / (1.0 + np.exp(-x))
    elif activation == "softmax":
        e = np.exp(x - x.max(axis=class_axis, keepdims=True))
        p = e / e.sum(axis=class_axis, keepdims=True)
    else:
        p = x
    t = np.asarray(labels)
    if t.shape != x.shape:  # class indices
        hot = t[..., None] == np.arange(x.shape[class_axis])
        t = np.moveaxis(hot, -1, class_axis)
    t = t.astype(np.float64)
    keep = np.ones(x.shape, bool) if where is None else np.broadcast_to(where, x.shape)
    if not include_background:
        rest = np.arange(1, x.shape[class_axis])
        p, t, keep = (np.take(a, rest, axis=class_axis) for a in (p, t, keep))
    return p, t, keep


def _overlap_sums(p, t, keep, axis, *, squared=False):
    """For each overlap (an index of the axes not in ``axis``; None: every axis summed), the
    sums over its kept entries of p·t, p, t, p(1 − t), (1 − p)t (p², t² for ``squared``) and
    whether it keeps any entry: arrays of the shape without ``axis``."""
    ndim = p.ndim
    axes = range(ndim) if axis is None else [a % ndim for a in np.atleast_1d(axis)]
    rest = [a for a in range(ndim) if a not in axes]
    order = rest + [a for a in range(ndim) if a in axes]
    shape = tuple(p.shape[a] for a in rest)
    pm, tm, km = (np.transpose(a, order).reshape(*shape, -1) for a in (p, t, keep))
    sums = {k: np.zeros(shape) for k in ("tp", "p", "t", "fp", "fn")}
    kept = np.zeros(shape, bool)
    for idx in np.ndindex(*shape):
        k = km[idx]
        pv, tv = pm[idx][k], tm[idx][k]
        sums["tp"][idx] = math.fsum(pv * tv)
        sums["p"][idx] = math.fsum(pv * pv if squared else pv)
        sums["t"][idx] = math.fsum(tv * tv if squared else tv)
        sums["fp"][idx] = math.fsum(pv * (1 - tv))
        sums["fn"][idx] = math.fsum((1 - pv) * tv)
        kept[idx] = k.any()
    return sums, kept


def _overlap_result(loss, kept, where, class_weights):
    if class_weights is not None:
        loss = loss * np.asarray(class_weights, dtype=np.float64)
    if where is None:
        return loss
    return np.where(kept, loss, 0.0), int(kept.sum())


def dice(
    predictions,
    labels,
    *,
    activation=None,
    axis=-1,
    class_axis=-1,
    include_background=True,
    smooth_nr=1e-5,
    smooth_dr=1e-5,
    squared=False,
    class_weights=None,
    where=None,
):
    """Per overlap 1 − (2 Σpt + s_n)/(Σp + Σt + s_d) (squares below for ``squared``); 0 where
    prediction and labels are both all 0."""
    p, t, keep = _overlap_inputs(
        predictions,
        labels,
        where,
        activation=activation,
        class_axis=class_axis,
        include_background=include_background,
    )
    s, kept = _overlap_sums(p, t, keep, axis, squared=squared)
    loss = np.zeros(kept.shape)
    for idx in np.ndindex(*kept.shape):
        if s["p"][idx] == 0 and s["t"][idx] == 0:
            continue
        score = (2 * s["tp"][idx] + smooth_nr) / (s["p"][idx] + s["t"][idx] + smooth_dr)
        loss[idx] = 1 - score
    return _overlap_result(loss, kept, where, class_weights)


def jaccard(
    predictions,
    labels,
    *,
    activation=None,
    axis=-1,
    class_axis=-1,
    include_background=True,
    smooth_nr=1e-5,
    smooth_dr=1e-5,
    squared=False,
    class_weights=None,
    where=None,
):
    """Per overlap 1 − (I + s_n)/(U + s_d), I = Σpt, U = Σp + Σt − I; 0 where prediction and
    labels are both all 0."""
    p, t, keep = _overlap_inputs(
        predictions,
        labels,
        where,
        activation=activation,
        class_axis=class_axis,
        include_background=include_background,
    )
    s, kept = _overlap_sums(p, t, keep, axis, squared=squared)
    loss = np.zeros(kept.shape)
    for idx in np.ndindex(*kept.shape):
        if s["p"][idx] == 0 and s["t"][idx] == 0:
            continue
        union = s["p"][idx] + s["t"][idx] - s["tp"][idx]
        loss[idx] = 1 - (s["tp"][idx] + smooth_nr) / (union + smooth_dr)
    return _overlap_result(loss, kept, where, class_weights)


def tversky(
    predictions,
    labels,
    *,
    alpha=0.5,
    beta=0.5,
    gamma=1.0,
    activation=None,
    axis=-1,
    class_axis=-1,
    include_background=True,
    smooth_nr=1e-5,
    smooth_dr=1e-5,
    class_weights=None,
    where=None,
):
    """Per overlap (1 − TI)^γ, TI = (TP + s_n)/(TP + α FP + β FN + s_d) with FP = Σp(1 − t),
    FN = Σ(1 − p)t; 0 where prediction and labels are both all 0 (and where TI ≥ 1)."""
    p, t, keep = _overlap_inputs(
        predictions,
        labels,
        where,
        activation=activation,
        class_axis=class_axis,
        include_background=include_background,
    )
    s, kept = _overlap_sums(p, t, keep, axis)
    loss = np.zeros(kept.shape)
    for idx in np.ndindex(*kept.shape):
        if s["p"][idx] == 0 and s["t"][idx] == 0:
            continue
        tp = s["tp"][idx]
        index = (tp + smooth_nr) / (tp + alpha * s["fp"][idx] + beta * s["fn"][idx] + smooth_dr)
        loss[idx] = max(1 - index, 0.0) ** gamma
    return _overlap_result(loss, kept, where, class_weights)


def generalized_dice(
    predictions,
    labels,
    *,
    weight_type="square",
    activation=None,
    axis=None,
    class_axis=-1,
    include_background=True,
    smooth_nr=1e-5,
    smooth_dr=1e-5,
    where=None,
):
    """Per group of classes 1 − (2 Σ_c w_c I_c + s_n)/(Σ_c w_c (P_c + T_c) + s_d) with
    w_c = 1/T_c² ("square"), 1/T_c ("simple") or 1; an absent class (T_c = 0) takes the group's
    largest weight, every weight 1 where no class is present; 0 where all is empty."""
    p, t, keep = _overlap_inputs(
        predictions,
        labels,
        where,
        activation=activation,
        class_axis=class_axis,
        include_background=include_background,
    )
    ndim = p.ndim
    c_axis = class_axis % ndim
    if axis is None:
        axis = [a for a in range(ndim) if a != c_axis]
    axes = [a % ndim for a in np.atleast_1d(axis)]
    s, kept = _overlap_sums(p, t, keep, axes)
    k = c_axis - sum(a < c_axis for a in axes)
    tp, ps, ts = (np.moveaxis(s[n], k, -1) for n in ("tp", "p", "t"))
    kept = np.moveaxis(kept, k, -1).any(axis=-1)
    loss = np.zeros(kept.shape)
    for idx in np.ndindex(*kept.shape):
        mass = ts[idx]
        if weight_type == "uniform":
            w = np.ones_like(mass)
        else:
            power = 2 if weight_type == "square" else 1
            w = np.array([1.0 / m**power if m > 0 else np.inf for m in mass])
            finite = np.isfinite(w)
            w[~finite] = w[finite].max() if finite.any() else 1.0
        if not (ps[idx].any() or mass.any()):
            continue
        numerator = 2 * math.fsum(w * tp[idx]) + smooth_nr
        denominator = math.fsum(w * (ps[idx] + mass)) + smooth_dr
        loss[idx] = 1 - numerator / denominator
    if where is None:
        return loss
    return np.where(kept, loss, 0.0), int(kept.sum())
