"""The metric-learning losses against their peers' own code: torch, optax, pytorch-metric-learning.

Values and the gradients of every embedding input (anchor, positive and
negative; queries and keys; the embeddings and class weights behind the
cosines) in float64 to 1e-10 and in float32; the reductions as the peers
reduce; zero vectors, identical embeddings and cosines of ±1 finite in value
and gradient.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(61)
A, P, N = (RNG.normal(size=(7, 5)) for _ in range(3))
E = RNG.normal(size=(9, 6))
LABEL_SETS = {
    "pairs": np.array([0, 0, 1, 1, 2, 2, 3, 3, 4]),
    "uneven": np.array([3, 3, 3, 1, 1, 7, 2, 2, 2]),
    "distinct": np.arange(9),  # no positive pair
    "one-class": np.zeros(9, np.int64),  # no negative pair
}
TOL = {"float64": (1e-10, 1e-12), "float32": (2e-6, 2e-6)}


def _close(ours, theirs, dtype):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(
        np.asarray(ours.detach() if hasattr(ours, "detach") else ours),
        np.asarray(theirs.detach() if hasattr(theirs, "detach") else theirs),
        rtol=rtol,
        atol=atol,
    )


def _leaves(torch, dtype, *arrays):
    return [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrays]


def _grads(torch, value, inputs):
    return torch.autograd.grad(value.sum(), inputs)


# -- triplet ---------------------------------------------------------------------


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_triplet_is_torch(p, swap, reduction, dtype):
    torch = pytest.importorskip("torch")
    inputs = _leaves(torch, dtype, A, P, N)
    options = {"margin": 0.7, "p": p, "swap": swap, "reduction": reduction}
    ours = mlcloss.triplet_margin_loss(*inputs, **options)
    theirs = torch.nn.functional.triplet_margin_loss(*inputs, **options)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    _close(ours, theirs, dtype)
    for g_ours, g_theirs in zip(_grads(torch, ours, inputs), _grads(torch, theirs, inputs)):
        _close(g_ours, g_theirs, dtype)  # anchor, positive and negative


def test_triplet_eps_and_broadcast_negative_are_torch():
    torch = pytest.importorskip("torch")
    a, p, n = _leaves(torch, "float64", A, P, N[:1])
    for eps in (0.0, 0.3):
        ours = mlcloss.triplet_margin_loss(a, p, n, eps=eps, reduction="none")
        theirs = torch.nn.functional.triplet_margin_loss(a, p, n, eps=eps, reduction="none")
        _close(ours, theirs, "float64")
        for g_ours, g_theirs in zip(
            _grads(torch, ours, (a, p, n)), _grads(torch, theirs, (a, p, n))
        ):
            _close(g_ours, g_theirs, "float64")


@pytest.mark.parametrize("p", [2.0, 4.0])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_eps_at_sum_is_optax(p, swap):
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    a, x_pos, x_neg = (jnp.asarray(v) for v in (A, P, N))

    def ours(*v):
        return mlcloss.triplet_margin_loss(
            *v, p=p, margin=0.6, eps=1e-3, eps_at="sum", swap=swap, reduction="none"
        )

    def theirs(a, x_pos, x_neg):
        if not swap:
            return optax.losses.triplet_margin_loss(
                a, x_pos, x_neg, norm_degree=p, margin=0.6, eps=1e-3
            )

        # optax has no swap: its distances, the smaller negative one taken by hand
        def d(u, v):
            return (((u - v) ** p).sum(-1) + 1e-3) ** (1 / p)

        return jnp.maximum(0.6 + d(a, x_pos) - jnp.minimum(d(a, x_neg), d(x_pos, x_neg)), 0.0)

    np.testing.assert_allclose(ours(a, x_pos, x_neg), theirs(a, x_pos, x_neg), rtol=1e-10)
    for argnum in (0, 1, 2):
        g_ours = jax.grad(lambda *v: ours(*v).sum(), argnums=argnum)(a, x_pos, x_neg)
        g_theirs = jax.grad(lambda *v: theirs(*v).sum(), argnums=argnum)(a, x_pos, x_neg)
        np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-13)


def test_triplet_at_equal_vectors_is_finite_even_without_eps():
    torch = pytest.importorskip("torch")
    a = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    for p in (2.0, 1.0, 0.5, 3.0):
        loss = mlcloss.triplet_margin_loss(a, a, a, eps=0.0, p=p)
        (grad,) = torch.autograd.grad(loss, a)
        assert loss.item() == 1.0 and torch.isfinite(grad).all(), p


def test_triplet_keeps_the_gap_of_far_away_embeddings_in_float32():
    """Anchors of norm 1e4: the p=2 gap has its float64 digits, the plain difference has not."""
    torch = pytest.importorskip("torch")
    a = A + 1e4
    want = mlcloss.triplet_margin_loss(
        torch.tensor(a.astype(np.float32)).double(),
        torch.tensor(P),
        torch.tensor(N),
        reduction="none",
    )
    got = mlcloss.triplet_margin_loss(
        torch.tensor(a.astype(np.float32)),
        torch.tensor(P, dtype=torch.float32),
        torch.tensor(N, dtype=torch.float32),
        reduction="none",
    )
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-3, atol=1e-4)


def test_triplet_bad_options():
    with pytest.raises(ValueError, match=r"negative must be broadcastable.*\(7, 5\).*\(3, 5\)"):
        mlcloss.triplet_margin_loss(A, P, N[:3])
    with pytest.raises(ValueError, match=r"eps_at must be 'difference' or 'sum'.*'norm'"):
        mlcloss.triplet_margin_loss(A, P, N, eps_at="norm")
    with pytest.raises(ValueError, match=r"p must lie in \(0"):
        mlcloss.triplet_margin_loss(A, P, N, p=0)
    with pytest.raises(ValueError, match=r"margin must lie in \[0"):
        mlcloss.triplet_margin_loss(A, P, N, margin=-1.0)


# -- the in-batch losses against pytorch-metric-learning ------------------------------


def _pml_losses():
    pytest.importorskip("torch")
    return pytest.importorskip("pytorch_metric_learning.losses")


def _peer_and_ours(name, options):
    """pytorch-metric-learning's loss object with ``options``, and ours."""
    losses = _pml_losses()
    peer, ours = {
        "contrastive": (losses.ContrastiveLoss, mlcloss.contrastive_loss),
        "ntxent": (losses.NTXentLoss, mlcloss.ntxent_loss),
        "supcon": (losses.SupConLoss, mlcloss.supervised_contrastive_loss),
    }[name]
    return peer(**options), ours


IN_BATCH = [
    ("contrastive", {}),
    ("contrastive", {"pos_margin": 0.2, "neg_margin": 1.4}),
    ("ntxent", {}),
    ("ntxent", {"temperature": 0.5}),
    ("supcon", {}),
    ("supcon", {"temperature": 0.3}),
]


@pytest.mark.parametrize("labels", sorted(LABEL_SETS))
@pytest.mark.parametrize("name, options", IN_BATCH)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_in_batch_losses_are_pytorch_metric_learning(name, options, labels, dtype):
    torch = pytest.importorskip("torch")
    peer, ours = _peer_and_ours(name, options)
    (e,) = _leaves(torch, dtype, E)
    y = torch.as_tensor(LABEL_SETS[labels])
    got, want = ours(e, y, **options), peer(e, y)
    assert got.dtype == e.dtype
    _close(got, want, dtype)
    (g_ours,), (g_theirs,) = _grads(torch, got, (e,)), _grads(torch, want, (e,))
    _close(g_ours, g_theirs, dtype)
    rows = ours(e, y, **options, reduction="none")
    _close(rows.mean(), want, dtype)  # "none": N × each anchor's share of the peer's loss
    _close(ours(e, y, **options, reduction="sum"), len(E) * want, dtype)


@pytest.mark.parametrize("name", ["contrastive", "ntxent", "supcon"])
def test_in_batch_losses_are_finite_at_zero_and_identical_embeddings(name):
    torch = pytest.importorskip("torch")
    _, ours = _peer_and_ours(name, {})
    y = torch.tensor([0, 0, 1, 1, 2])
    for rows in (np.zeros((5, 3)), np.ones((5, 3)), np.array([[0.0, 0, 0], *np.ones((4, 3))])):
        e = torch.tensor(rows, requires_grad=True)
        loss = ours(e, y)
        (grad,) = torch.autograd.grad(loss, e)
        assert torch.isfinite(loss) and torch.isfinite(grad).all(), (rows, loss, grad)


def test_ntxent_is_optax():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    e = jax.numpy.asarray(E)
    for labels in ("pairs", "uneven"):
        y = jax.numpy.asarray(LABEL_SETS[labels])
        ours = lambda x, y=y: mlcloss.ntxent_loss(x, y, temperature=0.2)  # noqa: E731
        theirs = lambda x, y=y: optax.losses.ntxent(x, y, temperature=0.2)  # noqa: E731
        np.testing.assert_allclose(ours(e), theirs(e), rtol=1e-10)
        np.testing.assert_allclose(jax.grad(ours)(e), jax.grad(theirs)(e), rtol=1e-10, atol=1e-13)


def test_a_learned_temperature_gets_the_gradient_of_the_peer():
    torch = pytest.importorskip("torch")
    losses = _pml_losses()
    e, y = torch.tensor(E), torch.as_tensor(LABEL_SETS["uneven"])
    tau = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    for ours, peer in (
        (mlcloss.ntxent_loss, losses.NTXentLoss),
        (mlcloss.supervised_contrastive_loss, losses.SupConLoss),
    ):
        (g_ours,) = torch.autograd.grad(ours(e, y, temperature=tau), tau)
        (g_theirs,) = torch.autograd.grad(peer(temperature=tau)(e, y), tau)
        _close(g_ours, g_theirs, "float64")


def test_in_batch_bad_inputs():
    with pytest.raises(ValueError, match=r"labels must have shape \[N\] = \(9,\).*\(8,\)"):
        mlcloss.ntxent_loss(E, np.arange(8))
    with pytest.raises(ValueError, match=r"embeddings must have 2 dimensions \[N, D\]"):
        mlcloss.supervised_contrastive_loss(E[None], np.arange(9))
    with pytest.raises(ValueError, match=r"temperature must lie in \(0"):
        mlcloss.ntxent_loss(E, np.arange(9), temperature=0.0)
    with pytest.raises(TypeError, match="embeddings must have a real floating dtype"):
        mlcloss.contrastive_loss(np.ones((3, 2), np.int64), np.arange(3))


# -- InfoNCE: CLIP's in-batch softmax --------------------------------------------------


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_info_nce_is_clip(symmetric, reduction, dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    q, k = _leaves(torch, dtype, E, RNG.normal(size=E.shape))
    tau = torch.tensor(0.2, dtype=q.dtype, requires_grad=True)
    ours = mlcloss.info_nce_loss(q, k, temperature=tau, symmetric=symmetric, reduction=reduction)
    logits = F.normalize(q, dim=1) @ F.normalize(k, dim=1).T / tau
    target = torch.arange(len(E))
    theirs = F.cross_entropy(logits, target, reduction=reduction)
    if symmetric:
        theirs = (theirs + F.cross_entropy(logits.T, target, reduction=reduction)) / 2
    _close(ours, theirs, dtype)
    for g_ours, g_theirs in zip(
        _grads(torch, ours, (q, k, tau)), _grads(torch, theirs, (q, k, tau))
    ):
        _close(g_ours, g_theirs, dtype)  # queries, keys and the temperature


def test_info_nce_is_optax_cross_entropy_on_jax():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    q, k = jax.numpy.asarray(E), jax.numpy.asarray(E[::-1].copy())

    def theirs(q, k):
        unit = lambda x: x / jax.numpy.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
        logits = unit(q) @ unit(k).T / 0.1
        return optax.losses.softmax_cross_entropy_with_integer_labels(
            logits, jax.numpy.arange(len(E))
        ).mean()

    ours = lambda q, k: mlcloss.info_nce_loss(q, k, temperature=0.1)  # noqa: E731
    np.testing.assert_allclose(ours(q, k), theirs(q, k), rtol=1e-10)
    for argnum in (0, 1):
        np.testing.assert_allclose(
            jax.grad(ours, argnums=argnum)(q, k),
            jax.grad(theirs, argnums=argnum)(q, k),
            rtol=1e-10,
            atol=1e-13,
        )


def test_info_nce_is_finite_at_zero_and_identical_vectors():
    torch = pytest.importorskip("torch")
    q = torch.zeros(4, 3, dtype=torch.float64, requires_grad=True)
    k = torch.ones(4, 3, dtype=torch.float64, requires_grad=True)
    loss = mlcloss.info_nce_loss(q, k, symmetric=True)
    grads = torch.autograd.grad(loss, (q, k))
    assert math.isclose(loss.item(), math.log(4)) and all(torch.isfinite(g).all() for g in grads)


def test_info_nce_bad_inputs():
    with pytest.raises(ValueError, match=r"keys must have the shape of queries \(9, 6\).*\(9, 5\)"):
        mlcloss.info_nce_loss(E, E[:, :5])


# -- ArcFace and CosFace ----------------------------------------------------------------


def _margin_peer(kind, classes, options):
    losses = _pml_losses()
    cls = losses.ArcFaceLoss if kind == "arc" else losses.CosFaceLoss
    return cls(num_classes=classes, embedding_size=E.shape[1], **options)


MARGINS = [
    ("arc", {}, {}),
    ("arc", {"margin": 40.0, "scale": 8.0}, {"margin": math.radians(40.0), "scale": 8.0}),
    ("arc", {"margin": 100.0, "scale": 2.0}, {"margin": math.radians(100.0), "scale": 2.0}),
    ("cos", {}, {}),
    ("cos", {"margin": 0.1, "scale": 16.0}, {"margin": 0.1, "scale": 16.0}),
]


@pytest.mark.parametrize("kind, peer_options, options", MARGINS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_margin_softmax_is_pytorch_metric_learning(kind, peer_options, options, dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    classes = 5
    peer = _margin_peer(kind, classes, peer_options)
    e, w = _leaves(torch, dtype, E, RNG.normal(size=(E.shape[1], classes)))
    peer.W = torch.nn.Parameter(w.detach().clone())
    y = torch.as_tensor(RNG.integers(0, classes, len(E)))
    want = peer(e, y)
    cosines = F.normalize(e, dim=1) @ F.normalize(w, dim=0)
    got = mlcloss.margin_softmax_cross_entropy(cosines, y, kind=kind, **options)
    _close(got, want, dtype)
    g_ours = _grads(torch, got, (e, w))
    g_theirs = _grads(torch, want, (e, peer.W))
    scale = options.get("scale", 64.0)  # float32: the peer's logits are scale x its cosines
    for a, b in zip(g_ours, g_theirs):
        rtol, atol = TOL[dtype]
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol * scale, atol=atol * scale)
    rows = mlcloss.margin_softmax_cross_entropy(cosines, y, kind=kind, reduction="none", **options)
    _close(rows.mean(), want, dtype)


def test_arcface_at_cosines_of_one_is_finite_where_the_peer_is_not():
    torch = pytest.importorskip("torch")
    c = torch.tensor([[1.0, 0.2, -0.3], [-1.0, 0.5, 0.0], [0.3, 1.0, -1.0]], requires_grad=True)
    y = torch.tensor([0, 0, 2])
    loss = mlcloss.margin_softmax_cross_entropy(c, y, scale=4.0, margin=0.5)
    (grad,) = torch.autograd.grad(loss, c)
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    # the peer's way: arccos of the clamped cosine, whose gradient is infinite at ±1
    angles = torch.acos(torch.clamp(c[torch.arange(3), y], -1, 1))
    (peer_grad,) = torch.autograd.grad(torch.cos(angles + 0.5).sum(), c)
    assert not torch.isfinite(peer_grad).all()


def test_margin_softmax_bad_inputs():
    c = np.tanh(E[:, :4])
    with pytest.raises(ValueError, match=r"kind must be 'arc' or 'cos'.*'sphere'"):
        mlcloss.margin_softmax_cross_entropy(c, np.zeros(9, np.int64), kind="sphere")
    with pytest.raises(ValueError, match=r"labels.*\[0, 4\)"):
        mlcloss.margin_softmax_cross_entropy(c, np.full(9, 4))
    with pytest.raises(TypeError, match=r"labels must hold class indices"):
        mlcloss.margin_softmax_cross_entropy(c, np.zeros(9))


@pytest.mark.parametrize("kind", ["arc", "cos"])
def test_a_margin_array_is_the_float_margin_and_is_differentiable(kind):
    torch = pytest.importorskip("torch")
    c = torch.tensor(np.tanh(E[:, :4]))
    y = torch.as_tensor(np.arange(9) % 4)
    m = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    got = mlcloss.margin_softmax_cross_entropy(c, y, scale=8.0, margin=m, kind=kind)
    want = mlcloss.margin_softmax_cross_entropy(c, y, scale=8.0, margin=0.4, kind=kind)
    _close(got, want, "float64")
    (grad,) = torch.autograd.grad(got, m)
    step = 1e-6  # the margin's gradient against central differences
    numeric = (
        mlcloss.margin_softmax_cross_entropy(c, y, scale=8.0, margin=0.4 + step, kind=kind)
        - mlcloss.margin_softmax_cross_entropy(c, y, scale=8.0, margin=0.4 - step, kind=kind)
    ) / (2 * step)
    np.testing.assert_allclose(grad.item(), numeric.item(), rtol=1e-6)
