"""The similarity queries of :class:`~wordlab.store.embeddings.Embeddings` (a mixin), and
what they accept: ``most_similar``, ``similar_by_vector``, ``similar_by_word``,
``neighbors``, ``analogy``, ``similarity``, and the approximate index they may use."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from ..errors import ArgumentTypeError, ParameterError, UnknownWordError, WordlabError, WordlabWarning
from .lookup import find
from .quantize import block_product
from .search import Neighbors, blocked_topk, cosine_topk

if TYPE_CHECKING:  # pandas is imported on use
    import pandas as pd

_ANALOGY_METHODS = ("3cosadd", "3cosmul")


def query_items(items, name: str) -> list:
    """``positive``/``negative`` of most_similar as a list of words or vectors."""
    if items is None:
        return []
    if isinstance(items, (str, np.ndarray)):
        return [items]
    if not isinstance(items, Iterable):
        raise ArgumentTypeError(f"{name} must be a word, a vector or a list of them, not {type(items).__name__}")
    out = list(items)
    for item in out:
        if not isinstance(item, (str, np.ndarray, list, tuple)):
            raise ArgumentTypeError(f"{name} must hold words or vectors, not {type(item).__name__} ({item!r})")
    return out


def query_vector(vector, dim: int) -> np.ndarray:
    """A query vector as float32 (dim,): of the store's dimension, finite."""
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    if v.shape[0] != dim:
        raise ParameterError(f"vector has dimension {v.shape[0]}, the store has {dim}")
    if not np.isfinite(v).all():
        raise ParameterError("the query vector holds NaN or infinity")
    return v


def check_topn(topn) -> int:
    if isinstance(topn, bool) or not isinstance(topn, (int, np.integer)) or topn < 1:
        raise ParameterError(f"topn must be a positive integer, not {topn!r}")
    return int(topn)


class SimilarityQueries:
    """Mixed into :class:`~wordlab.store.embeddings.Embeddings`: every query by cosine."""

    def _query_row(self, word: str) -> int:
        """The row of a query word, refusing one whose vector is not finite."""
        i = self.index_of(word)
        if self.nonfinite_rows.size and i in set(self.nonfinite_rows.tolist()):
            raise WordlabError(f"the vector of {word!r} in {self._where_short()} holds NaN or infinity; "
                               "it has no neighbours")
        return i

    def _query(self, word: str) -> tuple[int | None, np.ndarray]:
        """(row or None, unit vector) of a query word: its row, or its composed vector in a
        subword store (which excludes nothing from the answers)."""
        if self.subwords is None or find(self.index, word) is not None:
            i = self._query_row(word)
            return i, np.asarray(self.unit_vectors[i], dtype=np.float32)
        v = self._vectors_of([word])[0]
        norm = float(np.linalg.norm(v))
        if not np.isfinite(v).all() or norm == 0.0:
            raise WordlabError(f"the composed vector of {word!r} in {self._where_short()} is zero or not finite; "
                               "it has no neighbours")
        return None, v / np.float32(norm)

    def _excluded(self, rows: Sequence[int]) -> list[int]:
        return list(rows) + self.nonfinite_rows.tolist()

    # -- similarity queries ------------------------------------------------------------
    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        return float(np.dot(self._query(word1)[1], self._query(word2)[1]))

    def _limit(self, restrict_vocab: int | None) -> int:
        if restrict_vocab is None:
            return len(self)
        if isinstance(restrict_vocab, bool) or not isinstance(restrict_vocab, (int, np.integer)) or restrict_vocab < 1:
            raise ParameterError(f"restrict_vocab must be a positive integer or None, not {restrict_vocab!r}")
        return min(int(restrict_vocab), len(self))

    def most_similar(self, positive: str | Sequence[str] | np.ndarray | None = None,
                     negative: str | Sequence[str] | None = None, topn: int = 10,
                     restrict_vocab: int | None = None, exact: bool | None = None) -> Neighbors:
        """The ``topn`` words closest by cosine to the mean of the unit vectors of
        ``positive`` minus those of ``negative`` (gensim's semantics; the query words
        are excluded). Exact search, blocked over the memory map; ``exact``: None uses
        a built approximate index on stores of 500,000 words or more, False builds one
        if needed (:mod:`wordlab.store.ann`).

        Returns a list of ``(word, similarity)``, best first.
        """
        positive, negative = query_items(positive, "positive"), query_items(negative, "negative")
        if not positive and not negative:
            raise ParameterError("most_similar needs at least one positive or negative word")
        parts, exclude = [], []
        for sign, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                if isinstance(item, str):
                    i, u = self._query(item)
                    exclude += [] if i is None else [i]
                    parts.append(sign * u)
                else:
                    v = self._query_vector(item)
                    parts.append(sign * v / (np.linalg.norm(v) or 1.0))
        query = np.mean(parts, axis=0)
        ids, scores = self._topk(query, self._topn(topn), self._limit(restrict_vocab), [self._excluded(exclude)],
                                 exact)
        return self._pairs(ids[0], scores[0])

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10,
                          restrict_vocab: int | None = None, exact: bool | None = None) -> Neighbors:
        """The ``topn`` words closest by cosine to ``vector`` (nothing excluded)."""
        v = self._query_vector(vector)
        ids, scores = self._topk(v, self._topn(topn), self._limit(restrict_vocab), [self._excluded([])], exact)
        return self._pairs(ids[0], scores[0])

    def similar_by_word(self, word: str, topn: int = 10, restrict_vocab: int | None = None,
                        exact: bool | None = None) -> Neighbors:
        return self.most_similar(word, topn=topn, restrict_vocab=restrict_vocab, exact=exact)

    def neighbors(self, words: Sequence[str], topn: int = 10, restrict_vocab: int | None = None,
                  exact: bool | None = None) -> pd.DataFrame:
        """Nearest neighbours of many words at once (one matrix product per row block).

        Returns a DataFrame with columns ``query``, ``rank`` (1-based), ``word``,
        ``similarity``. Words that are not in the vocabulary are left out with one
        :class:`~wordlab.errors.WordlabWarning` naming them (with suggestions); when none
        is known, the first one's :class:`~wordlab.errors.UnknownWordError` is raised.
        """
        words = [words] if isinstance(words, str) else list(words)
        known, unknown = [], []
        for w in words:
            try:
                known.append((w, self._query(w)))
            except UnknownWordError as e:
                unknown.append(e)
        if unknown and not known:
            raise unknown[0]
        if unknown:
            warnings.warn("; ".join(str(e) for e in unknown), WordlabWarning, stacklevel=2)
        words, queries = [w for w, _ in known], [q for _, q in known]
        bad = self.nonfinite_rows.tolist()
        ids, scores = self._topk(np.stack([u for _, u in queries]), self._topn(topn), self._limit(restrict_vocab),
                                 [([] if r is None else [r]) + bad for r, _ in queries], exact)
        vocab = self.words
        records = [(q, rank + 1, vocab[i], float(s))
                   for q, row_ids, row_scores in zip(words, ids.tolist(), scores.tolist())
                   for rank, (i, s) in enumerate(zip(row_ids, row_scores)) if i >= 0]
        import pandas as pd

        return pd.DataFrame(records, columns=["query", "rank", "word", "similarity"])

    def analogy(self, a: str, b: str, c: str, method: str = "3cosadd", topn: int = 1,
                restrict_vocab: int | None = None, epsilon: float = 1e-3) -> Neighbors:
        """Answer "``a`` is to ``b`` as ``c`` is to ?" (the question words excluded).

        ``3cosadd``: argmax cos(d, b - a + c) over unit vectors (Mikolov et al. 2013).
        ``3cosmul``: argmax cos'(d,b) cos'(d,c) / (cos'(d,a) + epsilon) with cosines
        shifted to [0, 1] as cos' = (cos + 1) / 2 (Levy and Goldberg 2014; they use
        epsilon = 0.001, gensim's ``most_similar_cosmul`` uses 1e-6).
        """
        method = method.lower()
        if method not in _ANALOGY_METHODS:
            raise ParameterError(f"method must be one of {_ANALOGY_METHODS}, not {method!r}")
        unit = self.unit_vectors
        (ia, ua), (ib, ub), (ic, uc) = (self._query(w) for w in (a, b, c))
        asked = [i for i in (ia, ib, ic) if i is not None]
        topn = self._topn(topn)
        limit = self._limit(restrict_vocab)
        if method == "3cosadd":
            ids, scores = cosine_topk(unit, ub - ua + uc, topn, limit, [self._excluded(asked)])
        else:
            abc = np.stack([ua, ub, uc])

            def cosmul(start: int, stop: int) -> np.ndarray:
                s = (block_product(unit, abc, start, stop) + 1.0) / 2.0
                return (s[1] * s[2] / (s[0] + epsilon))[None, :]

            ids, scores = blocked_topk(limit, cosmul, topn, [self._excluded(asked)])
        return self._pairs(ids[0], scores[0])

    def _pairs(self, ids: np.ndarray, scores: np.ndarray) -> Neighbors:
        vocab = self.words
        return Neighbors((vocab[i], float(s)) for i, s in zip(ids.tolist(), scores.tolist()) if i >= 0)

    def _query_vector(self, vector) -> np.ndarray:
        return query_vector(vector, self.dim)

    _topn = staticmethod(check_topn)

    def _topk(self, queries, topn: int, limit: int, exclude, exact: bool | None):
        """Exact top-k search, or the approximate index's (:mod:`wordlab.store.ann`)."""
        from .ann import approximate_topk, use_index
        index = use_index(self, exact, limit)
        if index is None:
            return cosine_topk(self.unit_vectors, queries, topn, limit, exclude)
        return approximate_topk(self, index, queries, topn, limit, exclude)

    def build_index(self, **settings):
        """Build (or open from the cache) the approximate index of this store: ``M``,
        ``ef_construction``, ``ef_search``, ``workers``, ``progress``; see :mod:`wordlab.store.ann`."""
        from .ann import build_index
        self._ann = build_index(self, **settings)
        return self._ann
