"""EvalRank (Wang et al. 2022, "Just Rank: Rethinking Evaluation with Word and
Sentence Similarities"): similarity judged as ranking.

Construction used here:

1. Positive pairs come from a similarity dataset: the pairs whose human score is at
   least ``threshold`` (default: the dataset's 75th percentile, i.e. its top quarter,
   so the rule is the same on 0-10 and 0-50 scales). Identical pairs (w, w) are dropped.
2. The background vocabulary is every word of the positive pairs plus the store's
   ``background`` most frequent words (default 20,000).
3. For each positive pair (w1, w2) with both words in the store, w2 is ranked among
   the background words (w1 itself excluded) by cosine to w1: rank = 1 + the number
   of background words strictly more similar to w1 than w2 is.

Reported: MR (mean rank), MRR, Hits@1/3/10, and coverage (pairs ranked / positive pairs).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..store import Embeddings
from ._lookup import key, vocabulary_lookup
from .datasets import PairDataset, load_dataset


@dataclass
class EvalRankResult:
    """The outcome of EvalRank (Wang et al. 2022) on one similarity dataset.

    Attributes
    ----------
    dataset : str
        The dataset's name.
    threshold : float
        Pairs scored at least this (on the dataset's scale) are the positives.
    background : int
        The size of the background vocabulary actually used.
    n_positive : int
        Positive pairs in the dataset.
    ranks : ndarray of int
        The rank of each covered positive pair's second word among the background.
    """
    dataset: str
    threshold: float
    background: int          # size of the background vocabulary actually used
    n_positive: int          # positive pairs
    ranks: np.ndarray        # rank of each covered pair

    @property
    def coverage(self) -> float:
        return len(self.ranks) / self.n_positive if self.n_positive else 0.0

    @property
    def mr(self) -> float:
        return float(self.ranks.mean()) if len(self.ranks) else float("nan")

    @property
    def mrr(self) -> float:
        return float((1.0 / self.ranks).mean()) if len(self.ranks) else float("nan")

    def hits(self, k: int) -> float:
        return float((self.ranks <= k).mean()) if len(self.ranks) else float("nan")


def evalrank(store: Embeddings, dataset: str | PairDataset, threshold: float | None = None,
             background: int = 20_000, case_insensitive: bool = True) -> EvalRankResult:
    """Rank-based similarity evaluation (see module docstring)."""
    data = dataset if isinstance(dataset, PairDataset) else load_dataset(dataset)
    scores = np.array([s for _, _, s in data.pairs], dtype=np.float64)
    if threshold is None:
        threshold = float(np.quantile(scores, 0.75))
    positives = [(a, b) for a, b, s in data.pairs if s >= threshold and key(a, case_insensitive) != key(b, case_insensitive)]
    lookup = vocabulary_lookup(store, None, case_insensitive)
    rows = [(lookup.get(key(a, case_insensitive)), lookup.get(key(b, case_insensitive))) for a, b in positives]
    rows = [(i, j) for i, j in rows if i is not None and j is not None]
    top = min(int(background), len(store))
    pool = np.unique(np.concatenate([np.arange(top, dtype=np.int64),
                                     np.array([r for pair in rows for r in pair], dtype=np.int64)]))
    if not rows:
        return EvalRankResult(data.name, threshold, int(pool.shape[0]), len(positives), np.zeros(0))
    unit = store.unit_vectors
    pool_vectors = np.asarray(unit[pool], dtype=np.float32)
    first = np.array([i for i, _ in rows])
    second = np.array([j for _, j in rows])
    query = np.asarray(unit[first], dtype=np.float32)
    target = np.einsum("ij,ij->i", query, np.asarray(unit[second], dtype=np.float32))
    ranks = np.empty(len(rows), dtype=np.float64)
    for a in range(0, len(rows), 512):
        sims = pool_vectors @ query[a:a + 512].T                 # (pool, batch)
        higher = (sims > target[a:a + 512]).sum(axis=0)
        # w1 is not a candidate for its own pair.
        self_pos = np.searchsorted(pool, first[a:a + 512])
        own = sims[self_pos, np.arange(sims.shape[1])] > target[a:a + 512]
        ranks[a:a + 512] = 1 + higher - own
    return EvalRankResult(data.name, threshold, int(pool.shape[0]), len(positives), ranks)
