"""gensim's ``KeyedVectors`` vocabulary on :class:`~wordlab.store.embeddings.Embeddings`.

The methods gensim users reach for, with gensim 4's semantics (``tests/test_keyedvectors.py``
checks each against gensim on the same vectors): ``key_to_index``, ``index_to_key``,
``vector_size``, ``get_index``, ``get_mean_vector``, ``distance``, ``distances``,
``cosine_similarities``, ``n_similarity``, ``closer_than``, ``rank``,
``rank_by_centrality``, ``doesnt_match``, ``most_similar_cosmul`` and
``save_word2vec_format``. They read a store the way its own queries do (row blocks,
compressed stores without decoding), and an unknown word is an
:class:`~wordlab.errors.UnknownWordError`, a ``KeyError`` as in gensim.

Where wordlab differs on purpose: ``save_word2vec_format`` refuses an existing file
unless ``overwrite=True`` (gensim replaces it); ``doesnt_match`` warns through
:class:`~wordlab.errors.WordlabWarning` about the words it leaves out (gensim logs);
``most_similar_cosmul`` searches only the first ``restrict_vocab`` words (gensim 4.4
accepts the argument and searches every word).
"""
from __future__ import annotations

import os
import warnings
from typing import Iterable, Sequence

import numpy as np

from ..errors import ParameterError, WordlabWarning
from .quantize import block_product
from .search import BLOCK_ROWS, blocked_topk


class KeyedVectorsAPI:
    """Mixed into :class:`~wordlab.store.embeddings.Embeddings` (see the module docstring)."""

    @property
    def key_to_index(self) -> dict[str, int]:
        """gensim's name for :attr:`index`: word -> row."""
        return self.index

    @property
    def index_to_key(self) -> list[str]:
        """gensim's name for :attr:`words`: the words in row order."""
        return self.words

    @property
    def vector_size(self) -> int:
        """gensim's name for :attr:`dim`."""
        return self.dim

    def get_index(self, key: str, default: int | None = None) -> int:
        """The row of ``key``; ``default`` when given and the key is unknown, else a KeyError."""
        if key in self.index:
            return self.index[key]
        if default is not None:
            return default
        return self.index_of(key)

    def get_mean_vector(self, keys: Sequence, weights=None, pre_normalize: bool = True,
                        post_normalize: bool = False, ignore_missing: bool = True) -> np.ndarray:
        """The weighted mean of the vectors of ``keys`` (words, rows or vectors), unit
        vectors when ``pre_normalize``; divided by the sum of |weight| of the keys used."""
        if len(keys) == 0:
            raise ParameterError("cannot compute a mean of no keys")
        weights = np.ones(len(keys), dtype=np.float32) if weights is None else np.asarray(weights, np.float32)
        if weights.shape != (len(keys),):
            raise ParameterError(f"{len(keys)} keys but {weights.size} weights")
        mean = np.zeros(self.dim, dtype=np.float32)
        total = 0.0
        for key, w in zip(keys, weights):
            if isinstance(key, np.ndarray):
                vec = key
            elif isinstance(key, (int, np.integer)) and not isinstance(key, bool):
                vec = self.unit_vectors[int(key)] if pre_normalize else self.vectors[int(key)]
            elif key in self.index:
                vec = self.get_vector(key, norm=pre_normalize)
            elif ignore_missing:
                continue
            else:
                self.index_of(key)                                   # raises UnknownWordError
            mean += w * np.asarray(vec, dtype=np.float32)
            total += abs(float(w))
        if total > 0:
            mean /= np.float32(total)
        if post_normalize:
            norm = np.linalg.norm(mean)
            mean = mean / norm if norm > 0 else mean
        return mean.astype(np.float32)

    @staticmethod
    def cosine_similarities(vector_1: np.ndarray, vectors_all: np.ndarray) -> np.ndarray:
        """Cosine of ``vector_1`` with each row of ``vectors_all`` (gensim's static method)."""
        vectors_all = np.asarray(vectors_all)
        return (vectors_all @ vector_1) / (np.linalg.norm(vector_1) * np.linalg.norm(vectors_all, axis=1))

    def distance(self, w1: str, w2: str) -> float:
        """Cosine distance, 1 - similarity."""
        return 1.0 - self.similarity(w1, w2)

    def distances(self, word_or_vector, other_words: Iterable[str] = ()) -> np.ndarray:
        """Cosine distances (float32) from a word or vector to ``other_words``, or to every
        word in row order when none are given."""
        q = (self.get_vector(word_or_vector, norm=True) if isinstance(word_or_vector, str)
             else self._query_vector(word_or_vector))
        q = (q / (np.linalg.norm(q) or 1.0)).astype(np.float32)[None, :]
        other = list(other_words)
        if other:
            rows = np.array([self.index_of(w) for w in other], dtype=np.int64)
            return 1.0 - np.asarray(self.unit_vectors[rows], dtype=np.float32) @ q[0]
        out = np.empty(len(self), dtype=np.float32)
        unit = self.unit_vectors
        for a in range(0, len(self), BLOCK_ROWS):
            b = min(a + BLOCK_ROWS, len(self))
            out[a:b] = 1.0 - block_product(unit, q, a, b)[0]
        return out

    def n_similarity(self, ws1: Sequence[str], ws2: Sequence[str]) -> float:
        """Cosine between the means of the (raw) vectors of two lists of words."""
        if not (len(ws1) and len(ws2)):
            raise ParameterError("n_similarity needs two non-empty lists of words")
        a, b = (np.asarray(self[list(ws)], dtype=np.float64).mean(axis=0) for ws in (ws1, ws2))
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    def closer_than(self, key1: str, key2: str) -> list[str]:
        """The words closer to ``key1`` than ``key2`` is (``key1`` itself left out)."""
        d = self.distances(key1)
        i, j = self.index_of(key1), self.index_of(key2)
        words = self.words
        return [words[r] for r in np.flatnonzero(d < d[j]) if r != i]

    def rank(self, key1: str, key2: str) -> int:
        """1 + the number of words closer to ``key1`` than ``key2`` is."""
        return len(self.closer_than(key1, key2)) + 1

    def rank_by_centrality(self, words: Sequence[str], use_norm: bool = True) -> list[tuple[float, str]]:
        """(similarity to the centroid, word), most central first; unknown words are left
        out with a warning."""
        used = [w for w in words if w in self.index]
        if len(used) != len(words):
            warnings.warn(f"not in the vocabulary, left out: {', '.join(sorted(set(words) - set(used)))}",
                          WordlabWarning, stacklevel=2)
        if not used:
            raise ParameterError("none of the words is in the vocabulary")
        vectors = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(np.float32)
        mean = self.get_mean_vector(vectors, post_normalize=True)
        return sorted(zip((float(x) for x in vectors @ mean), used), reverse=True)

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word least like the others: the farthest from their centroid."""
        return self.rank_by_centrality(words)[-1][1]

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None):
        """3CosMul (Levy and Goldberg 2014, equation 4, cosines shifted to [0, 1]) with
        gensim's epsilon of 1e-6: the product over ``positive`` of (1 + cos) / 2 divided by
        that over ``negative`` plus epsilon. ``topn`` None or 0: the scores of every word."""
        from .queries import query_items
        pos, neg = query_items(positive, "positive"), query_items(negative, "negative")
        if not pos:
            raise ParameterError("most_similar_cosmul needs at least one positive word")
        asked = [self.index_of(w) for w in pos + neg if isinstance(w, str)]

        def unit_of(item):
            v = self._query(item)[1] if isinstance(item, str) else self._query_vector(item)
            return v / (np.linalg.norm(v) or 1.0)
        terms = np.array([unit_of(x) for x in pos + neg], dtype=np.float32)
        n_pos = len(pos)
        limit = self._limit(restrict_vocab)
        unit = self.unit_vectors

        def scores(a: int, b: int) -> np.ndarray:
            s = (1.0 + block_product(unit, terms, a, b)) / 2.0
            return (np.prod(s[:n_pos], axis=0) / (np.prod(s[n_pos:], axis=0) + 1e-6))[None, :]
        if not topn:
            return np.concatenate([scores(a, min(a + BLOCK_ROWS, limit))[0] for a in range(0, limit, BLOCK_ROWS)])
        ids, best = blocked_topk(limit, scores, self._topn(topn), [self._excluded(asked)])
        return self._pairs(ids[0], best[0])

    def save_word2vec_format(self, fname: str | os.PathLike, binary: bool = False, overwrite: bool = False):
        """gensim's writer: word2vec text (``binary=False``) or binary. An existing file is
        replaced only with ``overwrite=True``."""
        return self.save(fname, format="word2vec-bin" if binary else "word2vec", overwrite=overwrite)
