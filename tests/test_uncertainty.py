"""Bootstrap intervals of similarity correlations (wordlab.evals.uncertainty)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from wordlab.errors import DataError
from wordlab.evals import SimilarityResult, seed_spread, spearman_difference, spearman_interval


def _result(gold, model, dataset="toy", words=None):
    gold, model = np.asarray(gold, float), np.asarray(model, float)
    words = words or [(f"a{i}", f"b{i}") for i in range(len(gold))]
    return SimilarityResult(dataset, float(spearmanr(gold, model).statistic), float(np.corrcoef(gold, model)[0, 1]),
                            len(gold), len(gold), len(gold), "skip", gold, model,
                            [(a, b, g) for (a, b), g in zip(words, gold)])


def _sample(n, rho_noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    gold = rng.normal(size=n)
    return gold, gold + rho_noise * rng.normal(size=n)


def test_the_interval_holds_the_estimate_narrows_with_more_pairs_and_is_reproducible():
    small, large = _result(*_sample(60)), _result(*_sample(1000))
    a, b = spearman_interval(small), spearman_interval(large)
    assert a.low < a.estimate < a.high and b.low < b.estimate < b.high
    assert b.width < a.width / 2.5            # width ~ 1/sqrt(n): sqrt(1000/60) = 4.1
    assert spearman_interval(small, seed=0) == a and spearman_interval(small, seed=1) != a
    assert a.n == 60 and a.n_resamples == 2000 and "95% bootstrap interval, 60 pairs" in str(a)
    assert a.bounds == f"[{a.low:.3f}, {a.high:.3f}]" and a.bounds in str(a)


def test_a_90_percent_interval_covers_the_population_value_about_90_percent_of_the_time():
    rng = np.random.default_rng(7)
    population = rng.normal(size=200_000)
    noisy = population + rng.normal(size=population.size)
    rho = spearmanr(population, noisy).statistic
    hits = 0
    for k in range(120):
        idx = rng.integers(0, population.size, 150)
        hits += spearman_interval(_result(population[idx], noisy[idx]), confidence=0.9, n_resamples=500,
                                  seed=k).contains(rho)
    assert 0.80 <= hits / 120 <= 0.97           # binomial s.d. at 0.9 and n=120: 0.027


def test_the_paired_difference_cancels_what_two_results_share():
    gold, good = _sample(200, 0.5, seed=3)
    rng = np.random.default_rng(4)
    worse = good + 1.5 * rng.normal(size=200)
    d = spearman_difference(_result(gold, good), _result(gold, worse))
    assert d.low > 0 and d.estimate == pytest.approx(spearmanr(gold, good).statistic - spearmanr(gold, worse).statistic)
    same = spearman_difference(_result(gold, good), _result(gold, good))
    assert same.estimate == 0 and same.low == 0 and same.high == 0
    # only the pairs both scored count
    words = [(f"a{i}", f"b{i}") for i in range(200)]
    part = _result(gold[:120], worse[:120], words=words[:120])
    assert spearman_difference(_result(gold, good), part).n == 120


def test_errors_are_one_line():
    gold, model = _sample(10)
    with pytest.raises(DataError, match="too few"):
        spearman_interval(_result(gold[:2], model[:2]))
    with pytest.raises(DataError, match="different datasets"):
        spearman_difference(_result(gold, model), _result(gold, model, dataset="other"))
    with pytest.raises(DataError, match="confidence"):
        spearman_interval(_result(gold, model), confidence=95)
    assert seed_spread([0.30, 0.32, 0.34]) == pytest.approx((0.32, 0.02))
    assert np.isnan(seed_spread([0.3])[1])
