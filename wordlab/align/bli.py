"""Bilingual lexicon induction (BLI): precision@k of translations retrieved across aligned spaces.

A source word counts as correct at k when any of its gold translations is among its
k retrieved target words (nearest neighbour or CSLS). Two policies for dictionary
entries the embeddings cannot answer (source word without a vector, or no gold
translation in the target vocabulary):

- ``drop``: left out of the denominator (MUSE, VecMap); coverage says how many remain;
- ``wrong``: counted as failures (the fastText alignment script).

Source words outside the source vocabulary can be given vectors (``source_extra``;
:meth:`Procrustes.evaluate` composes them from a subword store's n-grams with
``compose=True``): they are then queried like the others, and the result reports the
coverage with them and without them (``vocabulary_coverage``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import WordlabError
from ..store import Embeddings
from ..store.search import unit_rows
from .dictionary import Dictionary
from .retrieval import approximate_retrieve, knn_mean_similarity, retrieve

OOV_POLICIES = ("drop", "wrong")


@dataclass
class BLIResult:
    """Precision@k of one direction.

    Attributes
    ----------
    precision : dict of int to float
        Precision@k for each k, in [0, 1].
    coverage : float
        Share of the dictionary's source words that could be evaluated.
    n_sources : int
        Distinct source words in the dictionary.
    n_evaluated : int
        Those with a vector and at least one gold translation in the target vocabulary.
    method : {"nn", "csls"}
        The retrieval.
    oov : {"drop", "wrong"}
        The policy for source words without a vector: left out, or counted as wrong.
    dictionary : str or None
        The gold dictionary's name or path.
    n_composed : int
        Evaluated source words outside the source vocabulary, queried with a given
        (composed) vector.
    words : DataFrame
        One row per evaluated source word: its gold translations, the retrieved words,
        and the rank of the first correct one (0 when not found).
    """

    precision: dict[int, float]
    coverage: float
    n_sources: int
    n_evaluated: int
    method: str
    oov: str
    dictionary: str | None = None
    words: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    n_composed: int = 0

    @property
    def vocabulary_coverage(self) -> float:
        """Share of the source words evaluated with a vector of the source vocabulary."""
        return (self.n_evaluated - self.n_composed) / self.n_sources if self.n_sources else 0.0

    def to_dict(self) -> dict:
        return {"method": self.method, "oov": self.oov, **{f"P@{k}": v for k, v in self.precision.items()},
                "coverage": self.coverage, "vocabulary_coverage": self.vocabulary_coverage,
                "n_sources": self.n_sources, "n_evaluated": self.n_evaluated, "n_composed": self.n_composed}

    def __str__(self) -> str:
        ps = "  ".join(f"P@{k} {100 * v:.1f}%" for k, v in self.precision.items())
        composed = f", {self.n_composed:,} composed" if self.n_composed else ""
        return (f"BLI ({self.method}, oov={self.oov}): {ps}  coverage {100 * self.coverage:.1f}% "
                f"({self.n_evaluated:,} of {self.n_sources:,} source words{composed})")

    def __repr__(self) -> str:        # not the dataclass's: it would print the per-word table
        return f"<BLIResult {self}; per word: .words>"

    def _repr_html_(self) -> str:
        return f"<p>{self}</p>" + pd.DataFrame([self.to_dict()]).to_html(index=False)


def _space_rows(emb: Embeddings, ids: np.ndarray) -> np.ndarray:
    return unit_rows(np.asarray(emb.vectors[ids], dtype=np.float32))


def _retrieve_words(source: Embeddings, target: Embeddings, query_ids: np.ndarray, k: int, method: str,
                    csls_k: int, n_target: int, workers: int | None = None,
                    extra: np.ndarray | None = None, approximate: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of the first ``n_target`` target rows for the given source rows
    (then for the rows of ``extra``, vectors in the source space).

    For CSLS, r_T is taken for the queries and r_S for the targets against every
    source row (MUSE's definition). ``approximate``: from indexes
    (:func:`~wordlab.align.retrieval.approximate_retrieve`), a store's own (cached) when
    the whole store is searched."""
    q = _space_rows(source, query_ids)
    if extra is not None and len(extra):
        q = np.concatenate([q, unit_rows(np.asarray(extra, dtype=np.float32))])
    if approximate:
        whole = n_target == len(target)
        keys = target.unit_vectors if whole else target.unit_vectors[:n_target]
        key_index = target.build_index(workers=workers) if whole and target.path is not None else None
        source_index = (source.build_index(workers=workers) if method == "csls" and source.path is not None
                        else None)
        return approximate_retrieve(q, keys, source.unit_vectors, k, method, csls_k, key_index=key_index,
                                    source_index=source_index, workers=workers)
    keys = target.unit_vectors[:n_target]
    if method != "csls":
        return retrieve(q, keys, k, "nn", workers=workers)
    r_t = knn_mean_similarity(q, keys, csls_k, workers=workers)
    r_s = knn_mean_similarity(keys, source.unit_vectors, csls_k, workers=workers)
    return retrieve(q, keys, k, "csls", r_t, r_s, workers=workers)


def evaluate_bli(source: Embeddings, target: Embeddings, dictionary, *, method: str = "csls",
                 ks: Sequence[int] = (1, 5, 10), oov: str = "drop", csls_k: int = 10,
                 restrict_target: int | None = None, workers: int | None = None,
                 source_extra: Mapping[str, np.ndarray] | None = None, approximate: bool = False) -> BLIResult:
    """Precision@k of translating the dictionary's source words from ``source`` into ``target``.

    Parameters
    ----------
    source, target : Embeddings in one space (e.g. :meth:`Procrustes.transform` and
        :meth:`Procrustes.transform_target`). Cosines are taken on unit rows.
    dictionary : Dictionary or MUSE file path (the gold pairs; the test split).
    method : "csls" (k = ``csls_k``) or "nn".
    ks : the k of precision@k.
    oov : "drop" or "wrong", see the module docstring.
    restrict_target : search only the N most frequent target words (default: all).
    workers : threads of the nearest-neighbour search (default: all CPUs).
    source_extra : word -> vector in the source space, for source words outside its
        vocabulary (composed from n-grams, say); see the module docstring.
    approximate : retrieve through approximate indexes (usearch; for millions of words,
        :func:`~wordlab.align.retrieval.approximate_retrieve`) instead of exactly.
    """
    if oov not in OOV_POLICIES:
        raise WordlabError(f"oov must be one of {OOV_POLICIES}, not {oov!r}")
    if method not in ("csls", "nn"):
        raise WordlabError(f"method must be 'csls' or 'nn', not {method!r}")
    if source.dim != target.dim:
        raise WordlabError(f"source and target dimensions differ ({source.dim} vs {target.dim}): "
                           "align them first")
    ks = sorted(set(int(k) for k in ks))
    gold = Dictionary.coerce(dictionary)
    n_target = len(target) if restrict_target is None else min(restrict_target, len(target))
    t_index = {w: i for w, i in target.index.items() if i < n_target}
    s_index = source.index
    extra = source_extra or {}
    queries, answers, composed, composed_answers = [], [], [], []
    for word, translations in gold.translations.items():
        ok = [t_index[t] for t in translations if t in t_index]
        if ok and word in s_index:
            queries.append(word)
            answers.append(ok)
        elif ok and word in extra:
            composed.append(word)
            composed_answers.append(ok)
    n_composed = len(composed)
    ids_in = np.array([s_index[w] for w in queries], dtype=np.int64)
    queries, answers = queries + composed, answers + composed_answers
    n_sources = len(gold.sources)
    kmax = max(ks)
    if queries:
        ids, _ = _retrieve_words(source, target, ids_in, kmax, method, csls_k, n_target, workers,
                                 np.stack([extra[w] for w in composed]) if composed else None, approximate)
        first = np.zeros(len(queries), dtype=np.int64)
        for i, ok in enumerate(answers):
            hit = np.flatnonzero(np.isin(ids[i], ok))
            first[i] = hit[0] + 1 if hit.size else 0
    else:
        ids = np.zeros((0, kmax), dtype=np.int64)
        first = np.zeros(0, dtype=np.int64)
    denom = len(queries) if oov == "drop" else n_sources
    precision = {k: (float(np.sum((first > 0) & (first <= k))) / denom if denom else 0.0) for k in ks}
    words = target.words
    table = pd.DataFrame({"source": queries, "gold": [[words[j] for j in ok] for ok in answers],
                          "retrieved": [[words[j] for j in row if j >= 0] for row in ids], "first_correct": first})
    return BLIResult(precision, len(queries) / n_sources if n_sources else 0.0, n_sources, len(queries), method, oov,
                     gold.name, table, n_composed)


def translate(source: Embeddings, target: Embeddings, words: Sequence[str], topn: int = 5, method: str = "csls",
              csls_k: int = 10, restrict_target: int | None = None, workers: int | None = None) -> pd.DataFrame:
    """The ``topn`` target words of each source word: DataFrame (source, rank, target, score);
    ``workers`` threads search (default: all CPUs)."""
    missing = [w for w in words if w not in source]
    if missing:
        raise WordlabError(f"not in the source vocabulary: {', '.join(map(repr, missing[:5]))}"
                           + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    n_target = len(target) if restrict_target is None else min(restrict_target, len(target))
    ids, scores = _retrieve_words(source, target, np.array([source.index[w] for w in words], dtype=np.int64), topn,
                                  method, csls_k, n_target, workers)
    tw = target.words
    rows = [(w, r + 1, tw[ids[i, r]], float(scores[i, r])) for i, w in enumerate(words) for r in range(ids.shape[1])]
    return pd.DataFrame(rows, columns=["source", "rank", "target", "score"])
