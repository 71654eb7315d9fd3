"""gensim interoperability: ``Embeddings`` from and to gensim's ``KeyedVectors``
(gensim is imported only here, on use)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .embeddings import Embeddings


def from_gensim(cls: type["Embeddings"], model) -> "Embeddings":
    """``cls`` from gensim ``KeyedVectors`` (or any model with a ``.wv``); counts are kept when set."""
    kv = getattr(model, "wv", model)
    counts = None
    if "count" in getattr(kv, "expandos", {}):
        counts = np.asarray(kv.expandos["count"], dtype=np.int64)
    return cls(list(kv.index_to_key), np.asarray(kv.vectors), counts, {"method": "gensim"})


def to_gensim(emb: "Embeddings"):
    """A gensim ``KeyedVectors`` with the same words, order, vectors and counts as ``emb``."""
    from gensim.models import KeyedVectors
    kv = KeyedVectors(vector_size=emb.dim, count=0, dtype=np.float32)
    kv.add_vectors(emb.words, np.asarray(emb.vectors))
    if emb.counts is not None:
        kv.allocate_vecattrs(attrs=["count"], types=[np.int64])
        kv.expandos["count"][:] = emb.counts
    return kv
