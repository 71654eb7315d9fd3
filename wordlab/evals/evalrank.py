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

With ``oov="subword"`` and a subword store (fastText), a pair word outside the
vocabulary is composed from its character n-grams: a composed w1 is the query, a
composed w2 is ranked against the background by its cosine to w1. The background is
that of "skip" (composed words and their partners are not added to it), so the pairs
of known words keep their ranks. ``n_composed`` counts such pairs; ``coverage`` counts only the pairs
of known words and ``composed_coverage`` all ranked pairs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..store import Embeddings
from .display import Shown, counted
from ._lookup import check_compose_policy, composed_units, key, vocabulary_lookup
from .datasets import PairDataset, load_dataset


@dataclass(repr=False)
class EvalRankResult(Shown):
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
    n_composed : int
        Ranked pairs with a word composed from n-grams (``oov="subword"``).
    """
    dataset: str
    threshold: float
    background: int          # size of the background vocabulary actually used
    n_positive: int          # positive pairs
    ranks: np.ndarray        # rank of each covered pair
    n_composed: int = 0      # ranked pairs with a composed word

    @property
    def coverage(self) -> float:
        """Pairs of known words ranked / positive pairs."""
        return (len(self.ranks) - self.n_composed) / self.n_positive if self.n_positive else 0.0

    @property
    def composed_coverage(self) -> float:
        """All ranked pairs (composed words included) / positive pairs."""
        return len(self.ranks) / self.n_positive if self.n_positive else 0.0

    @property
    def mr(self) -> float:
        return float(self.ranks.mean()) if len(self.ranks) else float("nan")

    @property
    def mrr(self) -> float:
        return float((1.0 / self.ranks).mean()) if len(self.ranks) else float("nan")

    def hits(self, k: int) -> float:
        return float((self.ranks <= k).mean()) if len(self.ranks) else float("nan")

    def _shown(self):
        fields = {"MR": f"{self.mr:.1f}", "MRR": f"{self.mrr:.4f}",
                  "hits@1/3/10": " / ".join(f"{self.hits(k):.3f}" for k in (1, 3, 10)),
                  "ranked": counted(len(self.ranks), self.n_positive, "positive pairs"),
                  "background": f"{self.background:,} words", "threshold": f"{self.threshold:g}"}
        return "EvalRankResult", self.dataset, fields


def evalrank(store: Embeddings, dataset: str | PairDataset, threshold: float | None = None,
             background: int = 20_000, case_insensitive: bool = True, oov: str = "skip") -> EvalRankResult:
    """Rank-based similarity evaluation (see module docstring). ``oov``: ``"skip"``
    (default) leaves out a pair with an unknown word, ``"subword"`` composes it."""
    check_compose_policy(oov)
    data = dataset if isinstance(dataset, PairDataset) else load_dataset(dataset)
    scores = np.array([s for _, _, s in data.pairs], dtype=np.float64)
    if threshold is None:
        threshold = float(np.quantile(scores, 0.75))
    positives = [(a, b) for a, b, s in data.pairs if s >= threshold and key(a, case_insensitive) != key(b, case_insensitive)]
    lookup = vocabulary_lookup(store, None, case_insensitive)
    composed = (composed_units(store, (w for pair in positives for w in pair), lookup, case_insensitive)
                if oov == "subword" else {})
    unit = store.unit_vectors

    def vector(word: str, row: int | None):
        return unit[row] if row is not None else composed.get(word)

    # (w1's row or -1, w1's vector, w2's vector, w2's row or -1) of each pair that can be ranked
    rows = []
    for a, b in positives:
        i, j = lookup.get(key(a, case_insensitive)), lookup.get(key(b, case_insensitive))
        u, v = vector(a, i), vector(b, j)
        if u is not None and v is not None:
            rows.append((-1 if i is None else i, u, v, -1 if j is None else j))
    top = min(int(background), len(store))
    # The pairs of known words add theirs; composing adds pairs, never background words,
    # so the pairs of known words rank as they do under "skip".
    known = [r for x in rows if x[0] >= 0 and x[3] >= 0 for r in (x[0], x[3])]
    pool = np.unique(np.concatenate([np.arange(top, dtype=np.int64), np.array(known, dtype=np.int64)]))
    if not rows:
        return EvalRankResult(data.name, threshold, int(pool.shape[0]), len(positives), np.zeros(0))
    n_composed = sum(1 for x in rows if x[0] < 0 or x[3] < 0)
    pool_vectors = np.asarray(unit[pool], dtype=np.float32)
    first = np.array([x[0] for x in rows], dtype=np.int64)
    query = np.array([x[1] for x in rows], dtype=np.float32)
    target = np.einsum("ij,ij->i", query, np.array([x[2] for x in rows], dtype=np.float32))
    ranks = np.empty(len(rows), dtype=np.float64)
    for a in range(0, len(rows), 512):
        sims = pool_vectors @ query[a:a + 512].T                 # (pool, batch)
        higher = (sims > target[a:a + 512]).sum(axis=0)
        # w1 is not a candidate for its own pair (a composed w1, or the known w1 of a pair
        # with a composed w2, may not be in the pool).
        batch_first = first[a:a + 512]
        self_pos = np.minimum(np.searchsorted(pool, batch_first), pool.shape[0] - 1)
        in_pool = pool[self_pos] == batch_first
        own = (sims[self_pos, np.arange(sims.shape[1])] > target[a:a + 512]) & in_pool
        ranks[a:a + 512] = 1 + higher - own
    return EvalRankResult(data.name, threshold, int(pool.shape[0]), len(positives), ranks, n_composed)
