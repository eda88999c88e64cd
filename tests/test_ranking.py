"""The ranking losses against rax's own functions (rax 0.4, under JAX).

Values and gradients in float64 (to 1e-10) and float32 (to ~2e-6), with and
without ``where`` (a padded list, and one with every item left out), with
ties in the labels and a list without a relevant item, in every reduction
(rax's ``reduce_fn`` ``jnp.mean``, ``jnp.sum`` and ``None``); rax's
``weights``, ``label_fn=normalize_probabilities`` and the ApproxNDCG
temperature; scores of −∞ finite in value and gradient where rax is NaN.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import mlcloss

RNG = np.random.default_rng(61)
SCORES = RNG.normal(size=(5, 7)) * 2
LABELS = RNG.integers(0, 4, (5, 7)).astype(np.float64)  # graded, with ties in every list
LABELS[1] = 0.0  # a list without a relevant item
LABELS[3, :4] = 2.0  # a run of equal labels
WHERE = RNG.random((5, 7)) < 0.7
WHERE[:, 0] = True
WHERE[4] = False  # a list with every item left out
WEIGHTS = RNG.uniform(0.2, 2.0, (5, 7))

LOSSES = ["pairwise_logistic_loss", "listwise_softmax_loss", "listmle_loss", "approx_ndcg_loss"]


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    pytest.importorskip("rax")
    jax.config.update("jax_enable_x64", True)
    return jax


def rax_loss(name, **options):
    """rax's function for ``name`` as ``f(scores, labels, **rax_options)``."""
    import jax
    import rax

    if name == "approx_ndcg_loss":  # rax.approx_t12n(rax.ndcg_metric, temperature), spelled out:
        # rax 0.4's approx_t12n calls jax.util.wraps, which JAX 0.6 removed
        temperature = options.pop("temperature", 1.0)

        def step(gap):
            return jax.nn.sigmoid(gap / temperature)

        return functools.partial(
            lambda s, y, **kw: -rax.ndcg_metric(s, y, **kw),
            rank_fn=functools.partial(rax.utils.approx_ranks, step_fn=step),
            cutoff_fn=functools.partial(rax.utils.approx_cutoff, step_fn=step),
            **options,
        )
    if name == "listwise_softmax_loss":
        if options.pop("normalize_labels", False):
            options["label_fn"] = rax.utils.normalize_probabilities
        return functools.partial(rax.softmax_loss, **options)
    return functools.partial(getattr(rax, name), **options)


REDUCE = {"mean": "jnp.mean", "sum": "jnp.sum", "none": None}


def theirs_reduced(name, f, s, y, reduction, **kw):
    """rax's loss under the ``reduce_fn`` matching ``reduction``; for ``"none"`` the pairwise
    loss's ``[..., n²]`` pairs summed per list."""
    import jax.numpy as jnp

    fn = {"mean": jnp.mean, "sum": jnp.sum, "none": None}[reduction]
    out = f(s, y, reduce_fn=fn, **kw)
    if reduction == "none" and name == "pairwise_logistic_loss":
        out = out.sum(-1)
    return out


def compare(jax, name, dtype, reduction, *, where=None, ours_options=None, rax_options=None):
    jnp = jax.numpy
    s = jnp.asarray(SCORES, dtype=dtype)
    y = jnp.asarray(LABELS, dtype=dtype)
    kw = {} if where is None else {"where": jnp.asarray(where)}
    ours_options = ours_options or {}
    theirs = rax_loss(name, **(rax_options or {}))

    def ours_fn(x):
        return getattr(mlcloss, name)(x, y, reduction=reduction, **kw, **ours_options)

    def theirs_fn(x):
        return theirs_reduced(name, theirs, x, y, reduction, **kw)

    got, want = ours_fn(s), theirs_fn(s)
    assert got.dtype == jnp.dtype(dtype)  # (rax's ApproxNDCG turns float32 into float64 under x64)
    rtol, atol = (1e-10, 1e-13) if dtype == "float64" else (2e-6, 2e-6)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)
    g_ours = jax.grad(lambda x: ours_fn(x).sum())(s)
    g_theirs = jax.grad(lambda x: theirs_fn(x).sum())(s)
    assert np.isfinite(np.asarray(g_ours)).all()
    np.testing.assert_allclose(np.asarray(g_ours), np.asarray(g_theirs), rtol=rtol, atol=atol)


@pytest.mark.parametrize("padded", [False, True], ids=["plain", "where"])
@pytest.mark.parametrize(
    "dtype, reduction",
    [("float64", "mean"), ("float64", "sum"), ("float64", "none"), ("float32", "mean")],
)
@pytest.mark.parametrize("name", LOSSES)
def test_the_loss_is_rax(jax, name, dtype, reduction, padded):
    compare(jax, name, dtype, reduction, where=WHERE if padded else None)


@pytest.mark.parametrize(
    "name", ["pairwise_logistic_loss", "listwise_softmax_loss", "approx_ndcg_loss"]
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_weights_are_rax_weights(jax, name, dtype):
    w = jax.numpy.asarray(WEIGHTS, dtype=dtype)
    for where in (None, WHERE):
        compare(
            jax,
            name,
            dtype,
            "mean",
            where=where,
            ours_options={"weights": w},
            rax_options={"weights": w},
        )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_normalized_labels_are_rax_normalize_probabilities(jax, dtype):
    for where in (None, WHERE):
        for reduction in ("mean", "none"):
            compare(
                jax,
                "listwise_softmax_loss",
                dtype,
                reduction,
                where=where,
                ours_options={"normalize_labels": True},
                rax_options={"normalize_labels": True},
            )


@pytest.mark.parametrize("temperature", [0.25, 3.0])
def test_approx_ndcg_temperature_is_rax_approx_t12n_temperature(jax, temperature):
    for where in (None, WHERE):
        compare(
            jax,
            "approx_ndcg_loss",
            "float64",
            "mean",
            where=where,
            ours_options={"temperature": temperature},
            rax_options={"temperature": temperature},
        )


def test_the_reductions_are_rax_reduce_fns():
    """pairwise: the mean is over pairs (rax's jnp.mean of its [..., n²] pair losses); the list
    losses: over the lists with an item kept, a list with none kept adding 0."""
    s, y = SCORES, LABELS
    pairs = (y[..., :, None] > y[..., None, :]) & WHERE[..., :, None] & WHERE[..., None, :]
    total = mlcloss.pairwise_logistic_loss(s, y, where=WHERE, reduction="sum")
    mean = mlcloss.pairwise_logistic_loss(s, y, where=WHERE)
    np.testing.assert_allclose(mean, total / pairs.sum(), rtol=1e-12)
    for name in LOSSES[1:]:
        rows = getattr(mlcloss, name)(s, y, where=WHERE, reduction="none")
        assert rows[4] == 0.0  # every item left out
        np.testing.assert_allclose(
            getattr(mlcloss, name)(s, y, where=WHERE), rows.sum() / 4, rtol=1e-12
        )


def test_a_list_without_a_relevant_item():
    """Costs 0 in the softmax loss (raw labels) and ApproxNDCG, and counts in their mean, as in
    rax; ListMLE still ranks its (tied) items; no pair in the pairwise loss."""
    s, y = SCORES[1:2], LABELS[1:2]
    assert mlcloss.pairwise_logistic_loss(s, y) == 0.0
    assert mlcloss.listwise_softmax_loss(s, y) == 0.0
    assert mlcloss.approx_ndcg_loss(s, y) == 0.0
    assert mlcloss.listmle_loss(s, y) > 0.0
    both = mlcloss.listwise_softmax_loss(SCORES[:2], LABELS[:2])
    np.testing.assert_allclose(both, mlcloss.listwise_softmax_loss(SCORES[:1], LABELS[:1]) / 2)


def test_listmle_breaks_ties_by_position():
    """Equal labels keep their order in the list (rax's stable sort without ``key``)."""
    s = np.array([[0.5, 2.0, -1.0]])
    y = np.array([[1.0, 1.0, 0.0]])
    # places: item 0, then item 1, then item 2
    lse = np.logaddexp.reduce
    want = (lse(s[0]) - s[0, 0]) + (lse(s[0, 1:]) - s[0, 1])
    np.testing.assert_allclose(mlcloss.listmle_loss(s, y), want, rtol=1e-12)
    swapped = mlcloss.listmle_loss(s[:, [1, 0, 2]], y)
    assert not np.isclose(swapped, want)


@pytest.mark.parametrize("name", LOSSES)
def test_far_apart_scores_are_exact_in_float32(name):
    """Scores 200 apart in float32: no underflow of a cumulative sum of exponentials."""
    s = np.array([[0.0, -200.0, -400.0, 50.0]], np.float32)
    y = np.array([[3.0, 2.0, 1.0, 0.0]], np.float32)
    got = getattr(mlcloss, name)(s, y)
    want = getattr(mlcloss, name)(s.astype(np.float64), y.astype(np.float64))
    assert np.isfinite(got)
    np.testing.assert_allclose(got, want, rtol=2e-6)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("masked", [-np.inf, -1e12])
def test_masked_scores_stay_finite(jax, name, masked):
    """Two items of label 0 scored −∞ (or −1e12) in a list: value and gradient finite (rax
    gives NaN at −∞); at −∞ the items cost what leaving them out with where costs."""
    jnp = jax.numpy
    s = SCORES.copy()
    y = LABELS.copy()
    y[0, [2, 5]] = 0.0
    s[0, [2, 5]] = masked
    fn = getattr(mlcloss, name)
    value, grad = jax.value_and_grad(lambda x: fn(x, jnp.asarray(y)))(jnp.asarray(s))
    assert np.isfinite(float(value)) and np.isfinite(np.asarray(grad)).all()
    if masked == -np.inf or name != "listmle_loss":  # ListMLE keeps -1e12 in the label order
        np.testing.assert_allclose(np.asarray(grad)[0, [2, 5]], 0.0, atol=1e-12)
    if masked == -np.inf:
        keep = np.ones(s.shape, bool)
        keep[0, [2, 5]] = False
        rows = fn(s, y, reduction="none")
        np.testing.assert_allclose(rows, fn(SCORES, y, where=keep, reduction="none"), rtol=1e-12)


def test_one_minus_inf_score_is_rax():
    """With a single −∞ score rax is finite: the same numbers (an unranked item, a free pair)."""
    jax = pytest.importorskip("jax")
    pytest.importorskip("rax")
    jax.config.update("jax_enable_x64", True)
    s = SCORES.copy()
    s[2, 3] = -np.inf
    y = LABELS.copy()
    y[2, 3] = 0.0
    for name in ("pairwise_logistic_loss", "approx_ndcg_loss"):
        theirs = rax_loss(name)(jax.numpy.asarray(s), jax.numpy.asarray(y))
        np.testing.assert_allclose(getattr(mlcloss, name)(s, y), theirs, rtol=1e-10)


@pytest.mark.parametrize("name", LOSSES)
def test_any_axis(name):
    fn = getattr(mlcloss, name)
    want = fn(SCORES, LABELS, where=WHERE, reduction="none")
    got = fn(SCORES.T, LABELS.T, where=WHERE.T, axis=0, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("name", LOSSES)
def test_torch_matches_numpy_with_gradient(name):
    torch = pytest.importorskip("torch")
    s = torch.tensor(SCORES, requires_grad=True)
    got = getattr(mlcloss, name)(s, torch.tensor(LABELS), where=torch.tensor(WHERE))
    got.backward()
    np.testing.assert_allclose(
        got.detach().numpy(), getattr(mlcloss, name)(SCORES, LABELS, where=WHERE), rtol=1e-12
    )
    assert torch.isfinite(s.grad).all()


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="labels must have the shape of scores"):
        mlcloss.listmle_loss(SCORES, LABELS[:, :3])
    with pytest.raises(ValueError, match=r"temperature must lie in \(0.0, inf\]"):
        mlcloss.approx_ndcg_loss(SCORES, LABELS, temperature=0.0)
    with pytest.raises(ValueError, match="weights must be broadcastable to the shape of scores"):
        mlcloss.pairwise_logistic_loss(SCORES, LABELS, weights=np.ones(3))
    with pytest.raises(TypeError, match="normalize_labels must be True or False"):
        mlcloss.listwise_softmax_loss(SCORES, LABELS, normalize_labels="yes")
