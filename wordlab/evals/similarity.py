"""Word similarity: correlation between human scores and cosine similarity.

Out-of-vocabulary pairs are handled by a named policy:

- ``skip`` (default; gensim and vecto): the pair is left out of the correlation;
- ``zero`` (gensim's ``dummy4unknown``): the pair is scored with cosine 0.0;
- ``mean`` (word-embeddings-benchmarks): a missing word is replaced by the mean vector
  of the (restricted) vocabulary;
- ``subword`` (fastText): a missing word is composed from its character n-grams in a
  subword store (:mod:`wordlab.store.subwords`); a pair whose missing word has no
  n-gram, and every pair with a missing word in a store without subwords, is skipped.

Coverage (pairs whose two words are both found / pairs in the file) is always
reported, and beside it the composed coverage (pairs scored with both words found or
composed; equal to the coverage under every other policy). With ``case_insensitive`` (default) words are matched upper-cased and the
most frequent casing wins, as in gensim's ``evaluate_word_pairs``, whose results
these equal on the same vectors (Spearman and Pearson to 1e-6, same OOV ratio).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..errors import ParameterError
from ..store import Embeddings
from .display import Shown, counted
from ._lookup import composed_units, key, vocabulary_lookup
from .datasets import PairDataset, load_dataset

OOV_POLICIES = ("skip", "zero", "mean", "subword")


@dataclass(repr=False)
class SimilarityResult(Shown):
    """Outcome of one similarity evaluation.

    Attributes
    ----------
    dataset : str
        The dataset's name.
    spearman, pearson : float
        Correlations of the model's cosines with the human scores (NaN when fewer than
        two pairs are scored).
    n_pairs : int
        Pairs in the dataset.
    n_found : int
        Pairs with both words in the (restricted) vocabulary.
    n_scored : int
        Pairs in the correlation (``n_found``, or ``n_pairs`` under ``oov="zero"`` or
        ``"mean"``).
    oov : {"skip", "zero", "mean", "subword"}
        What a pair with an unknown word counts as.
    n_composed : int
        Pairs scored with at least one word composed from n-grams (``oov="subword"``).
    gold, model : ndarray
        Human scores and cosine similarities of the scored pairs.
    pairs : list of (str, str, float)
        The scored pairs.
    """
    dataset: str
    spearman: float
    pearson: float
    n_pairs: int           # pairs in the dataset
    n_found: int           # pairs with both words in the (restricted) vocabulary
    n_scored: int          # pairs in the correlation (n_found, or n_pairs under zero/mean)
    oov: str
    gold: np.ndarray = field(repr=False)     # human scores of the scored pairs
    model: np.ndarray = field(repr=False)    # cosine similarities of the scored pairs
    pairs: list = field(repr=False, default_factory=list)
    n_composed: int = 0    # pairs scored with a word composed from n-grams

    @property
    def coverage(self) -> float:
        """Pairs with both words in the vocabulary / pairs in the dataset."""
        return self.n_found / self.n_pairs if self.n_pairs else 0.0

    @property
    def composed_coverage(self) -> float:
        """Pairs scored with both words found or composed / pairs in the dataset."""
        return (self.n_found + self.n_composed) / self.n_pairs if self.n_pairs else 0.0

    @property
    def oov_ratio(self) -> float:
        """Percentage of pairs with an unknown word, as gensim reports it."""
        return 100.0 * (self.n_pairs - self.n_found) / self.n_pairs if self.n_pairs else 0.0

    def _shown(self):
        fields = {"Spearman": f"{self.spearman:.4f}", "Pearson": f"{self.pearson:.4f}",
                  "scored": counted(self.n_scored, self.n_pairs, "pairs"), "oov": self.oov}
        if self.n_scored != self.n_found:
            fields["known"] = counted(self.n_found, self.n_pairs, "pairs")
        if self.n_composed:
            fields["composed"] = f"{self.n_composed:,} pairs"
        return "SimilarityResult", self.dataset, fields


def evaluate_word_pairs(store: Embeddings, dataset: str | PairDataset, oov: str = "skip",
                        case_insensitive: bool = True, restrict_vocab: int | None = None) -> SimilarityResult:
    """Spearman and Pearson correlation of cosine similarity with human scores.

    Parameters
    ----------
    store : Embeddings
    dataset : registry name, path, or PairDataset
    oov : {"skip", "zero", "mean", "subword"}, default "skip"
    case_insensitive : bool, default True
        Match words upper-cased (the most frequent casing wins); a word composed from
        n-grams is composed lower-cased, as the tokenizer writes it.
    restrict_vocab : int, optional
        Only the first (most frequent) ``restrict_vocab`` words count as known. gensim's
        default is 300,000; None uses the whole vocabulary.
    """
    if oov not in OOV_POLICIES:
        raise ParameterError(f"oov must be one of {OOV_POLICIES}, not {oov!r}")
    data = dataset if isinstance(dataset, PairDataset) else load_dataset(dataset)
    lookup = vocabulary_lookup(store, restrict_vocab, case_insensitive)
    unit = store.unit_vectors
    mean_unit = None
    if oov == "mean":
        limit = len(store) if restrict_vocab is None else min(restrict_vocab, len(store))
        mean = np.zeros(store.dim, dtype=np.float64)
        for a in range(0, limit, 65536):
            mean += np.asarray(store.vectors[a:min(a + 65536, limit)], dtype=np.float64).sum(axis=0)
        mean /= max(limit, 1)
        norm = np.linalg.norm(mean)
        mean_unit = (mean / norm if norm > 0 else mean).astype(np.float32)
    composed = (composed_units(store, (w for w1, w2, _ in data.pairs for w in (w1, w2)), lookup, case_insensitive)
                if oov == "subword" else {})
    gold, model, scored_pairs = [], [], []
    found = n_composed = 0
    for w1, w2, score in data.pairs:
        i, j = lookup.get(key(w1, case_insensitive)), lookup.get(key(w2, case_insensitive))
        if i is not None and j is not None:
            found += 1
            sim = float(np.dot(unit[i], unit[j]))
        elif oov == "subword":
            u = unit[i] if i is not None else composed.get(w1)
            v = unit[j] if j is not None else composed.get(w2)
            if u is None or v is None:
                continue
            n_composed += 1
            sim = float(np.dot(u, v))
        elif oov == "skip":
            continue
        elif oov == "zero":
            sim = 0.0
        else:
            u = unit[i] if i is not None else mean_unit
            v = unit[j] if j is not None else mean_unit
            sim = float(np.dot(u, v))
        gold.append(score)
        model.append(sim)
        scored_pairs.append((w1, w2))
    gold_a, model_a = np.asarray(gold, dtype=np.float64), np.asarray(model, dtype=np.float64)
    if len(gold_a) >= 2 and np.ptp(model_a) > 0 and np.ptp(gold_a) > 0:
        spearman = float(stats.spearmanr(gold_a, model_a)[0])
        pearson = float(stats.pearsonr(gold_a, model_a)[0])
    else:
        spearman = pearson = float("nan")
    return SimilarityResult(data.name, spearman, pearson, len(data.pairs), found, len(gold), oov,
                            gold_a, model_a, scored_pairs, n_composed)

