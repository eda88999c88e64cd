"""The log-uniform candidate sampler on every backend: distribution, uniqueness, TF's expected counts."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import mlcloss
from mlcloss.sampling import _first_unique, expected_count

TRUE = np.array([[10], [100], [180]])
SMALL = np.array([[1], [3], [5]])
CHI2_49_999 = 85.35  # the 99.9% quantile of chi-square with 49 degrees of freedom


def _probabilities(range_max):
    c = np.arange(range_max, dtype=np.float64)
    return np.log((c + 2) / (c + 1)) / math.log(range_max + 1)


def test_draws_follow_the_log_uniform_distribution(framework):
    """Chi-square of 20000 draws with replacement over 50 classes (fixed seed: deterministic)."""
    sampled, _, _ = mlcloss.log_uniform_candidate_sampler(
        framework.array(SMALL), num_sampled=20000, range_max=50, unique=False, seed=7
    )
    counts = np.bincount(framework.to_numpy(sampled), minlength=50)
    expected = 20000 * _probabilities(50)
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert chi2 < CHI2_49_999, chi2


def test_unique_sampling(framework):
    sampled, true_count, sampled_count = mlcloss.log_uniform_candidate_sampler(
        framework.array(SMALL), num_sampled=40, range_max=60, seed=1
    )
    values = framework.to_numpy(sampled)
    assert values.shape == (40,) and len(set(values.tolist())) == 40
    assert values.min() >= 0 and values.max() < 60
    assert sampled.dtype == framework.dtype("int64") and true_count.dtype == framework.dtype(
        "float32"
    )
    assert framework.to_numpy(true_count).shape == (3, 1)
    # the counts are one formula with one num_tries >= 40: recover it and check every entry
    p = _probabilities(60).astype(np.float32)
    counts = framework.to_numpy(sampled_count).astype(np.float64)
    rarest = int(np.argmin(counts))  # the most accurate place to read num_tries from
    n = int(round(np.log1p(-counts[rarest]) / np.log1p(-float(p[values[rarest]]))))
    assert n >= 40
    np.testing.assert_allclose(
        counts, -np.expm1(n * np.log1p(-p[values].astype(np.float64))), rtol=1e-5
    )


def test_same_seed_same_draws(framework):
    first = mlcloss.log_uniform_candidate_sampler(
        framework.array(TRUE), num_sampled=16, range_max=1000, seed=3
    )
    again = mlcloss.log_uniform_candidate_sampler(
        framework.array(TRUE), num_sampled=16, range_max=1000, seed=3
    )
    other = mlcloss.log_uniform_candidate_sampler(
        framework.array(TRUE), num_sampled=16, range_max=1000, seed=4
    )
    for a, b in zip(first, again):
        np.testing.assert_array_equal(framework.to_numpy(a), framework.to_numpy(b))
    assert not np.array_equal(framework.to_numpy(first[0]), framework.to_numpy(other[0]))


def test_first_unique_equals_the_rejection_loop():
    rng = np.random.default_rng(0)
    draws = rng.integers(0, 12, 64)
    picked, tries, enough = _first_unique(np, draws, 9)
    seen, order, n = set(), [], 0
    for value in draws:
        n += 1
        if value not in seen:
            seen.add(value)
            order.append(value)
            if len(order) == 9:
                break
    assert bool(enough) and int(tries) == n and picked.tolist() == order


def test_expected_counts_equal_tensorflow():
    """TF's own sampler: its expected counts are our formula at the num_tries its draw took."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("tensorflow is not installed")
    import tensorflow as tf

    cases = [(True, 600000, 10), (False, 600000, 10), (True, 200, 60)]  # the last repeats draws
    for unique, range_max, num_sampled in cases:
        sampled, true_tf, sampled_tf = tf.random.log_uniform_candidate_sampler(
            true_classes=tf.constant(TRUE, tf.int64),
            num_true=1,
            num_sampled=num_sampled,
            unique=unique,
            range_max=range_max,
            seed=5,
        )
        values = sampled.numpy()
        p = _probabilities(range_max)
        if unique:  # read num_tries off the rarest candidate (TF does not return it)
            rarest = int(np.argmin(p[values]))
            tries = np.log1p(-float(sampled_tf.numpy()[rarest])) / np.log1p(-p[values[rarest]])
            num_tries = np.asarray(int(round(tries)))
        else:
            num_tries = None
        if unique and range_max == 200:
            assert num_tries > num_sampled  # the -expm1(n log1p(-p)) branch is exercised
        ours_true = expected_count(np, p[TRUE], num_tries, num_sampled)
        ours_sampled = expected_count(np, p[values], num_tries, num_sampled)
        np.testing.assert_allclose(ours_true, true_tf.numpy(), rtol=2e-6)
        np.testing.assert_allclose(ours_sampled, sampled_tf.numpy(), rtol=2e-6)


def test_seed_003_expected_counts():
    """Seed 003 prints TF's counts for these candidates: they follow from num_tries alone."""
    candidates = np.array([14, 2888, 530, 3, 10829, 27948, 5, 28435, 6, 562445])
    printed_true = [0.06539904, 0.00740513, 0.00414114]
    printed_sampled = [4.8508108e-02, 2.6011933e-04, 1.4141394e-03, 1.6771801e-01, 6.9397982e-05]
    p = _probabilities(600000)
    tries = np.log1p(-6.9397982e-05) / np.log1p(-p[10829])  # the rarest printed candidate
    num_tries = np.asarray(int(round(tries)))
    np.testing.assert_allclose(
        expected_count(np, p[TRUE[:, 0]], num_tries, 10), printed_true, rtol=1e-6
    )
    np.testing.assert_allclose(
        expected_count(np, p[candidates[:5]], num_tries, 10), printed_sampled, rtol=1e-6
    )


@pytest.mark.slow
def test_traced_sampler_draws_what_the_eager_one_draws(traced_framework):
    def sample(t):
        return mlcloss.log_uniform_candidate_sampler(t, num_sampled=32, range_max=500, seed=2)

    true_classes = traced_framework.array(TRUE)
    if traced_framework.name == "torch":  # dynamo cannot hold a torch Generator: a clear error
        with pytest.raises(Exception, match="seeded sampler cannot run inside torch.compile"):
            traced_framework.trace(sample)(true_classes)
        unseeded = traced_framework.trace(
            lambda t: mlcloss.log_uniform_candidate_sampler(t, num_sampled=32, range_max=500)
        )
        assert len(set(traced_framework.to_numpy(unseeded(true_classes)[0]).tolist())) == 32
        return
    eager = [traced_framework.to_numpy(a) for a in sample(true_classes)]
    traced = [traced_framework.to_numpy(a) for a in traced_framework.trace(sample)(true_classes)]
    assert len(set(traced[0].tolist())) == 32
    np.testing.assert_array_equal(traced[0], eager[0])
    for got, want in zip(traced[1:], eager[1:]):  # XLA's float32 expm1 may differ by an ulp
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_bad_arguments(framework):
    with pytest.raises(ValueError, match="true_classes.*\\[0, 50\\)"):
        mlcloss.log_uniform_candidate_sampler(
            framework.array(np.array([[60]])), num_sampled=4, range_max=50
        )
    with pytest.raises(ValueError, match="num_sampled <= range_max"):
        mlcloss.log_uniform_candidate_sampler(framework.array(TRUE), num_sampled=400, range_max=200)
    with pytest.raises(ValueError, match="true_classes must have 2 dimensions"):
        mlcloss.log_uniform_candidate_sampler(
            framework.array(np.array([1, 2])), num_sampled=4, range_max=50
        )
