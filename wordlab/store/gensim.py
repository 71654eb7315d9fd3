"""gensim interoperability: ``Embeddings`` from and to gensim's ``KeyedVectors`` and, for
subword stores, ``FastTextKeyedVectors`` (gensim is imported only here, on use)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .embeddings import Embeddings


def from_gensim(cls: type["Embeddings"], model) -> "Embeddings":
    """``cls`` from gensim ``KeyedVectors`` (or any model with a ``.wv``); counts are kept
    when set. A ``FastText`` model or its ``FastTextKeyedVectors`` gives a subword store
    (its word rows, n-gram matrix and, for a model, its output matrix)."""
    kv = getattr(model, "wv", model)
    counts = None
    if "count" in getattr(kv, "expandos", {}):
        counts = np.asarray(kv.expandos["count"], dtype=np.int64)
    meta: dict = {"method": "gensim"}
    components: dict = {}
    ngrams = getattr(kv, "vectors_ngrams", None)
    if ngrams is not None and getattr(kv, "bucket", 0) and kv.max_n > 0:
        from ..corpus.subwords import SubwordSpec
        spec = SubwordSpec(int(kv.min_n), int(kv.max_n), int(kv.bucket))
        sg = getattr(model, "sg", 1)
        meta = {"method": "fasttext" if sg else "fasttext-cbow", "subwords": spec.to_meta(),
                "params": {"method": "sgns" if sg else "cbow", **spec.to_meta(),
                           **{k: getattr(model, a) for k, a in (("window", "window"), ("negative", "negative"),
                                                                ("sample", "sample"), ("epochs", "epochs"),
                                                                ("min_count", "min_count")) if hasattr(model, a)}}}
        components = {"word_vectors": np.asarray(kv.vectors_vocab, dtype=np.float32),
                      "ngram_vectors": np.asarray(ngrams, dtype=np.float32)}
        syn1 = getattr(model, "syn1neg", None)
        if syn1 is not None and np.shape(syn1) == np.shape(kv.vectors):
            components["context_vectors"] = np.asarray(syn1, dtype=np.float32)
    return cls(list(kv.index_to_key), np.asarray(kv.vectors), counts, meta, components=components)


def to_gensim(emb: "Embeddings"):
    """A gensim ``KeyedVectors`` with the same words, order, vectors and counts as ``emb``;
    a ``FastTextKeyedVectors`` (which composes unseen words as we do) for a subword store
    that keeps its word rows."""
    sub = emb.subwords
    if sub is not None and "word_vectors" in emb.components:
        from gensim.models.fasttext import FastTextKeyedVectors
        spec = sub.spec
        kv = FastTextKeyedVectors(vector_size=emb.dim, min_n=spec.min_n, max_n=spec.max_n, bucket=spec.bucket,
                                  count=0, dtype=np.float32)
        kv.add_vectors(emb.words, np.asarray(emb.vectors))
        kv.vectors_vocab = np.array(emb.component("word_vectors"), dtype=np.float32)
        kv.vectors_ngrams = np.array(sub.ngrams, dtype=np.float32)
        kv.recalc_char_ngram_buckets()
    else:
        from gensim.models import KeyedVectors
        kv = KeyedVectors(vector_size=emb.dim, count=0, dtype=np.float32)
        kv.add_vectors(emb.words, np.asarray(emb.vectors))
    if emb.counts is not None:
        kv.allocate_vecattrs(attrs=["count"], types=[np.int64])
        kv.expandos["count"][:] = emb.counts
    return kv
