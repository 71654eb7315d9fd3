"""How sure a score is: bootstrap intervals for similarity correlations, and the spread of
a score over training seeds.

A Spearman correlation over the 100-300 pairs a small vocabulary covers moves by several
points when the pairs are resampled, and a training run by a few more when its seed
changes; a difference between two methods means little until it is larger than both.

- :func:`spearman_interval`: the percentile bootstrap interval of one result's Spearman
  correlation, resampling its scored pairs (Efron and Tibshirani 1993, ch. 13).
- :func:`spearman_difference`: the paired bootstrap interval of the difference between
  two results on the pairs both scored (each resample takes the same pairs for both, so
  the variation the two share cancels).
- :func:`seed_spread`: mean and sample standard deviation of one score over seeds.

Resampling is vectorised (ranks of every resample at once) and seeded, so an interval is
reproducible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import DataError

if TYPE_CHECKING:
    from .similarity import SimilarityResult

#: Resamples drawn at a time (bounds the memory of the ranks: block x pairs float64).
_BLOCK = 500


@dataclass(frozen=True)
class Interval:
    """An estimate with its bootstrap interval.

    Attributes
    ----------
    estimate : float
        The statistic on the data as given.
    low, high : float
        The interval's ends (quantiles of the resampled statistic).
    confidence : float
        Its nominal coverage (0.95: the middle 95% of the resamples).
    n : int
        Pairs resampled.
    n_resamples : int
        Resamples with a defined statistic.
    """
    estimate: float
    low: float
    high: float
    confidence: float
    n: int                     # pairs resampled
    n_resamples: int

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def bounds(self) -> str:
        """The interval alone, ``"[low, high]"`` to 3 decimals (for tables)."""
        return f"[{self.low:.3f}, {self.high:.3f}]"

    def __str__(self) -> str:
        return (f"{self.estimate:.3f} {self.bounds} "
                f"({100 * self.confidence:g}% bootstrap interval, {self.n} pairs)")

    __repr__ = __str__


def _rank_rows(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata
    return rankdata(x, axis=1)                 # average ranks for ties, as Spearman's rho


def _correlate_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``a`` with the same row of ``b``."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=1) / denom


def _spearman_resamples(gold: np.ndarray, models: Sequence[np.ndarray], n_resamples: int,
                        rng: np.random.Generator) -> list[np.ndarray]:
    """Spearman's rho of every model's scores with ``gold`` on ``n_resamples`` resamples of
    the pairs (the same resamples for every model)."""
    n = gold.shape[0]
    out: list[list[np.ndarray]] = [[] for _ in models]
    for start in range(0, n_resamples, _BLOCK):
        idx = rng.integers(0, n, size=(min(_BLOCK, n_resamples - start), n))
        gold_ranks = _rank_rows(gold[idx])
        for k, model in enumerate(models):
            out[k].append(_correlate_rows(gold_ranks, _rank_rows(model[idx])))
    return [np.concatenate(parts) for parts in out]


def _interval(estimate: float, samples: np.ndarray, confidence: float, n: int) -> Interval:
    samples = samples[np.isfinite(samples)]      # a resample of tied scores has no correlation
    if samples.size == 0:
        raise DataError("no bootstrap resample has a defined correlation (are the scores constant?)")
    alpha = (1.0 - confidence) / 2
    low, high = np.quantile(samples, [alpha, 1.0 - alpha])
    return Interval(float(estimate), float(low), float(high), float(confidence), int(n), int(samples.size))


def _check(confidence: float, n_resamples: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise DataError(f"confidence must be between 0 and 1, not {confidence!r}")
    if n_resamples < 100:
        raise DataError(f"n_resamples must be at least 100, not {n_resamples!r}")


def spearman_interval(result: "SimilarityResult", confidence: float = 0.95, n_resamples: int = 2000,
                      seed: int = 0) -> Interval:
    """The percentile bootstrap interval of ``result.spearman`` over its scored pairs.

    Parameters
    ----------
    result : SimilarityResult
        From :func:`~wordlab.evals.evaluate_word_pairs`.
    confidence : float, default 0.95
    n_resamples : int, default 2000
    seed : int, default 0

    Raises :class:`~wordlab.errors.DataError` with fewer than 3 scored pairs.
    """
    _check(confidence, n_resamples)
    gold, model = np.asarray(result.gold, dtype=np.float64), np.asarray(result.model, dtype=np.float64)
    if gold.shape[0] < 3:
        raise DataError(f"{result.dataset}: {gold.shape[0]} scored pairs, too few for an interval")
    (samples,) = _spearman_resamples(gold, [model], n_resamples, np.random.default_rng(seed))
    return _interval(result.spearman, samples, confidence, gold.shape[0])


def spearman_difference(a: "SimilarityResult", b: "SimilarityResult", confidence: float = 0.95,
                        n_resamples: int = 2000, seed: int = 0) -> Interval:
    """The paired bootstrap interval of rho(a) - rho(b) on the pairs both results scored.

    The estimate is the difference on those common pairs (which may differ from
    ``a.spearman - b.spearman`` when the two covered different pairs). An interval that
    excludes 0 says the difference is larger than resampling the pairs explains.
    """
    _check(confidence, n_resamples)
    if a.dataset != b.dataset:
        raise DataError(f"the results are on different datasets ({a.dataset}, {b.dataset})")
    key = lambda p: (p[0], p[1])                                  # noqa: E731
    index_b = {key(p): i for i, p in enumerate(b.pairs)}
    common = [(i, index_b[key(p)]) for i, p in enumerate(a.pairs) if key(p) in index_b]
    if len(common) < 3:
        raise DataError(f"{a.dataset}: {len(common)} pairs scored by both, too few for an interval")
    ia, ib = (np.array(c) for c in zip(*common))
    gold = np.asarray(a.gold, dtype=np.float64)[ia]
    ma, mb = np.asarray(a.model, dtype=np.float64)[ia], np.asarray(b.model, dtype=np.float64)[ib]
    from scipy.stats import spearmanr
    estimate = float(spearmanr(gold, ma).statistic - spearmanr(gold, mb).statistic)
    ra, rb = _spearman_resamples(gold, [ma, mb], n_resamples, np.random.default_rng(seed))
    return _interval(estimate, ra - rb, confidence, len(common))


def seed_spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; NaN for one value) of a score over seeds."""
    x = np.asarray(list(values), dtype=np.float64)
    if x.size == 0:
        raise DataError("no values")
    return float(x.mean()), (float(x.std(ddof=1)) if x.size > 1 else math.nan)
