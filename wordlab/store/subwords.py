"""Subword stores: vectors for any word, composed from character n-grams (fastText).

A store trained by :class:`wordlab.trainers.FastText` (or imported from a fastText
``.bin``) keeps, beside ``vectors.npy``, its n-gram matrix as the component
``ngram_vectors`` (``(bucket, dim)`` float32) and its settings in ``meta["subwords"]``
(:class:`~wordlab.corpus.subwords.SubwordSpec`).

- A word of the vocabulary has its row of ``vectors.npy``: the mean of its own trained
  vector and its n-gram vectors, as fastText's ``getWordVector`` and gensim's
  ``FastTextKeyedVectors.vectors`` give it.
- Any other string is composed as the mean of its n-gram vectors (fastText, gensim).
  A string with no n-gram (only possible when ``min_n`` exceeds its length + 2) has no
  vector.

**Membership.** ``word in store`` is True for the vocabulary only: coverage figures,
``len(store)`` and iteration keep meaning "trained words". ``store.has_vector(word)``
says whether a vector can be given (gensim's ``FastTextKeyedVectors`` answers ``in``
with True for every string; we keep the two questions apart).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import UnknownWordError
from .layout import Component, register_component

if TYPE_CHECKING:
    from ..corpus.subwords import SubwordSpec
    from .embeddings import Embeddings

NGRAMS = "ngram_vectors"
register_component(Component(NGRAMS, ("ngram_vectors.npy",), per_word=False, follows_vectors=True,
                             meta_keys=("subwords",),
                             description="fastText's n-gram matrix (bucket, dim), which composes vectors for "
                                         "words outside the vocabulary"))


class SubwordVectors:
    """A store's n-gram side: its :class:`SubwordSpec` and ``(bucket, dim)`` matrix."""

    def __init__(self, spec: SubwordSpec, ngrams: np.ndarray):
        self.spec = spec
        self.ngrams = ngrams

    @classmethod
    def of(cls, store: "Embeddings") -> "SubwordVectors | None":
        settings = store.meta.get("subwords")
        if not settings or NGRAMS not in store.components:
            return None
        from ..corpus.subwords import SubwordSpec    # numba: imported when a subword store is used
        spec = SubwordSpec.from_meta(settings, f"{store._where_short()}/meta.json")
        return cls(spec, store.component(NGRAMS))

    def compose(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of words outside the vocabulary: (float32 (k, dim), bool (k,) whether
        the word has any n-gram; a row of a word without one is zeros)."""
        from ._subword_kernels import mean_rows
        offsets, rows = self.spec.table(words)
        out = np.zeros((len(words), self.ngrams.shape[1]), dtype=np.float32)
        ngrams = self.ngrams
        if not isinstance(ngrams, np.ndarray):      # compressed: decode only the rows used
            used, local = np.unique(rows, return_inverse=True)
            ngrams = np.ascontiguousarray(ngrams[used] if used.size else np.zeros((0, out.shape[1])),
                                          dtype=np.float32)
            rows = local.reshape(-1).astype(rows.dtype)
        mean_rows(np.zeros((0, out.shape[1]), np.float32), ngrams, offsets, rows, out)
        return out, np.diff(offsets) > 0


def vectors_of(store: "Embeddings", words: list[str], rows_of=None) -> np.ndarray:
    """float32 (len(words), dim): the rows of the vocabulary's words (``rows_of(rows)``,
    default ``store.vectors[rows]``) and, in a subword store, the composed vectors of the
    others; ``UnknownWordError`` naming the first word that has neither."""
    from .lookup import find
    index, sub = store.index, store.subwords
    found = [find(index, w) for w in words]       # as typed, or as the tokenizer would write it
    unseen = [w for w, r in zip(words, found) if r is None]
    if unseen and sub is None:
        store.index_of(unseen[0])
    out = np.empty((len(words), store.dim), dtype=np.float32)
    known = [(k, r) for k, r in enumerate(found) if r is not None]
    if known:
        at, rows = zip(*known)
        out[list(at)] = store.vectors[list(rows)] if rows_of is None else rows_of(list(rows))
    if unseen:
        composed, ok = sub.compose(unseen)
        if not ok.all():
            raise UnknownWordError(unseen[int(np.argmin(ok))], store._where() + " (and it has no n-gram)")
        out[[k for k, r in enumerate(found) if r is None]] = composed
    return out
