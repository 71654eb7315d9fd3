"""Semantic shift between aligned slices (CADE slices, or slices rotated onto a reference).

Measures over the shared vocabulary (words counted at least ``min_count`` times in
both slices), each a distance (higher = moved more):

- ``cosine``: 1 - cos(a_w, b_w), the word's two vectors compared directly (Hamilton,
  Leskovec and Jurafsky 2016; needs aligned spaces);
- ``lncs``: local neighbourhood change (Hamilton, Leskovec and Jurafsky 2016, "Cultural
  shift or linguistic drift?"): with N the union of w's k nearest neighbours in each
  slice, the cosine distance between the vectors (cos(a_w, a_n))_n and
  (cos(b_w, b_n))_n; needs no alignment;
- ``knn``: 1 - |NN_k^a(w) & NN_k^b(w)| / k, the share of w's k nearest neighbours
  that differ (Gonen, Jawahar, Seddah and Goldberg 2020; k = 1000 in their study and in
  CADE's code); needs no alignment.

Neighbours are searched within the shared vocabulary, so both slices choose from the
same words. :func:`temporal_analogies` asks which word of slice B plays the role a
word played in slice A (its nearest neighbour across the aligned spaces) and scores
gold pairs with MRR and MP@k (Yao et al. 2018; Di Carlo et al. 2019).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .._deprecation import deprecated_alias
from ..errors import WordlabError
from ..store import Embeddings
from ..store.search import unit_rows
from .retrieval import retrieve

MEASURES = ("cosine", "lncs", "knn")
#: Two slices whose frequent shared words' vectors have a median cosine below this share
#: no alignment (independently trained spaces give about 0; CADE slices and Procrustes-
#: mapped ones give 0.3 and more), and ``cosine`` between them measures nothing.
ALIGNED_COSINE = 0.2
#: The most frequent shared words that median is taken over.
ALIGNMENT_SAMPLE = 2000


def alignment_cosine(A: np.ndarray, B: np.ndarray) -> float:
    """The median cosine between the two vectors of the first :data:`ALIGNMENT_SAMPLE`
    shared words (unit rows of the two slices, the same words in the same order)."""
    n = min(ALIGNMENT_SAMPLE, A.shape[0])
    return float(np.median(np.einsum("ij,ij->i", A[:n], B[:n]))) if n else 0.0


def slice_alignment(a: Embeddings, b: Embeddings, min_count: int = 5) -> float:
    """:func:`alignment_cosine` of two slices over their shared vocabulary (NaN when their
    dimensions differ)."""
    if a.dim != b.dim:
        return float("nan")
    vocab = shared_vocabulary(a, b, min_count)[:ALIGNMENT_SAMPLE]
    return alignment_cosine(_unit_rows(a, vocab), _unit_rows(b, vocab))


def _unaligned_error(a: Embeddings, b: Embeddings, median: float) -> WordlabError:
    kinds = [(e.meta.get("provenance") or {}).get("kind") for e in (a, b)]
    why = " (neither was mapped nor trained against a compass)" if "mapped" not in kinds else ""
    return WordlabError(f"{a._where_short()} and {b._where_short()} share no alignment{why}: the median cosine of a "
                        f"word's two vectors is {median:.3f} (aligned slices: above {ALIGNED_COSINE}), so the "
                        "cosine measure would rank noise. Align them first (wordlab align procrustes, or train "
                        "them as CADE slices), or use the lncs or knn measure, which compare neighbourhoods")


def shared_vocabulary(a: Embeddings, b: Embeddings, min_count: int = 1) -> list[str]:
    """Words of ``a`` (in its order) also in ``b``, each counted at least ``min_count`` times in both."""
    ca = a.counts if a.counts is not None else np.full(len(a), min_count)
    cb = b.counts if b.counts is not None else np.full(len(b), min_count)
    bi = b.index
    return [w for i, w in enumerate(a.words) if ca[i] >= min_count and w in bi and cb[bi[w]] >= min_count]


def _unit_rows(emb: Embeddings, words: Sequence[str]) -> np.ndarray:
    idx = emb.index
    ids = np.fromiter((idx[w] for w in words), dtype=np.int64, count=len(words))
    order = np.argsort(ids)
    rows = np.empty((len(words), emb.dim), dtype=np.float32)
    rows[order] = np.asarray(emb.vectors[ids[order]], dtype=np.float32)
    return unit_rows(rows, rows)


def _neighbours(unit: np.ndarray, k: int) -> np.ndarray:
    """Each row's k nearest other rows: int64 (n, k)."""
    ids, _ = retrieve(unit, unit, k + 1, "nn")
    out = np.empty((unit.shape[0], k), dtype=np.int64)
    for i in range(unit.shape[0]):              # drop the word itself wherever ties put it
        row = ids[i][ids[i] != i]
        out[i] = row[:k]
    return out


def _lncs(A: np.ndarray, B: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    out = np.empty(A.shape[0], dtype=np.float64)
    for i in range(A.shape[0]):
        union = np.union1d(na[i], nb[i])
        sa = A[union] @ A[i]
        sb = B[union] @ B[i]
        denom = np.linalg.norm(sa) * np.linalg.norm(sb)
        out[i] = 1.0 - float(sa @ sb) / denom if denom > 0 else 1.0
    return out


def _knn_distance(na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    k = na.shape[1]
    both = np.sort(np.hstack([na, nb]), axis=1)   # each side's ids are distinct: repeats are shared
    shared = (both[:, 1:] == both[:, :-1]).sum(axis=1)
    return 1.0 - shared / k


def shift_table(a: Embeddings, b: Embeddings, *, min_count: int = 5, measures: Sequence[str] = MEASURES,
                lncs_k: int = 25, knn_k: int = 1000, words: Sequence[str] | None = None,
                check_alignment: bool = True) -> pd.DataFrame:
    """Shift of every shared word from slice ``a`` to slice ``b``.

    Parameters
    ----------
    a, b : aligned stores (``cosine`` needs alignment; ``lncs`` and ``knn`` do not).
    min_count : words counted fewer times in either slice are left out.
    measures : any of "cosine", "lncs", "knn".
    lncs_k : neighbourhood size of LNCS (Hamilton et al.: 25).
    knn_k : neighbourhood size of the intersection measure (1000; capped at the shared
        vocabulary size minus one).
    words : report only these (neighbours are still searched in the whole shared vocabulary).
    check_alignment : refuse ``cosine`` between slices that share no alignment (see
        :data:`ALIGNED_COSINE`; the median is in ``table.attrs["alignment_cosine"]``).

    Returns
    -------
    DataFrame indexed by word: ``count_a``, ``count_b`` and one column per measure
    (a distance: higher = moved more), in ``a``'s order.
    """
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise WordlabError(f"unknown shift measure(s) {unknown}; choose from {MEASURES}")
    if a.dim != b.dim and "cosine" in measures:
        raise WordlabError(f"the slices' dimensions differ ({a.dim} and {b.dim}): they are not aligned")
    vocab = shared_vocabulary(a, b, min_count)
    if len(vocab) < 3:
        raise WordlabError(f"only {len(vocab)} words occur at least {min_count} times in both slices")
    A, B = _unit_rows(a, vocab), _unit_rows(b, vocab)
    median = alignment_cosine(A, B) if a.dim == b.dim else float("nan")
    if "cosine" in measures and check_alignment and not median >= ALIGNED_COSINE:
        raise _unaligned_error(a, b, median)
    ai, bi = a.index, b.index
    table = pd.DataFrame(index=pd.Index(vocab, name="word"))
    table.attrs["alignment_cosine"] = median
    table["count_a"] = [int(a.counts[ai[w]]) if a.counts is not None else 0 for w in vocab]
    table["count_b"] = [int(b.counts[bi[w]]) if b.counts is not None else 0 for w in vocab]
    if "cosine" in measures:
        table["cosine"] = 1.0 - np.einsum("ij,ij->i", A, B).astype(np.float64)
    if "lncs" in measures:
        k = min(lncs_k, len(vocab) - 1)
        table["lncs"] = _lncs(A, B, _neighbours(A, k), _neighbours(B, k))
    if "knn" in measures:
        k = min(knn_k, len(vocab) - 1)
        table["knn"] = _knn_distance(_neighbours(A, k), _neighbours(B, k))
    if words is not None:
        missing = [w for w in words if w not in table.index]
        if missing:
            raise WordlabError(f"not in the shared vocabulary (min_count={min_count}): "
                               f"{', '.join(map(repr, missing[:5]))}")
        table = table.loc[list(words)]
    return table


def jumpers(table: pd.DataFrame, measure: str = "cosine", n: int = 20) -> pd.DataFrame:
    """The ``n`` words that moved most by ``measure``, most first."""
    return table.sort_values(measure, ascending=False, kind="stable").head(n)


def stables(table: pd.DataFrame, measure: str = "cosine", n: int = 20) -> pd.DataFrame:
    """The ``n`` words that moved least by ``measure``, least first."""
    return table.sort_values(measure, ascending=True, kind="stable").head(n)


def cross_neighbors(a: Embeddings, b: Embeddings, word: str, topn: int = 10,
                    restrict_vocab: int | None = None) -> pd.DataFrame:
    """Temporal analogy: the words of slice ``b`` nearest to ``word``'s vector in slice ``a``
    ("which word in B plays the role w played in A?"). DataFrame (word, similarity)."""
    if word not in a:
        raise WordlabError(f"{word!r} is not in slice A's vocabulary")
    n = len(b) if restrict_vocab is None else min(restrict_vocab, len(b))
    q = np.asarray(a[word], dtype=np.float32)[None, :]
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    ids, scores = retrieve(q, b.unit_vectors[:n], topn, "nn")
    return pd.DataFrame({"word": [b.words[i] for i in ids[0]], "similarity": scores[0]})


def temporal_analogies(a: Embeddings, b: Embeddings, pairs, ks: Sequence[int] = (1, 3, 5, 10),
                       restrict_vocab: int | None = None) -> dict:
    """Score gold temporal analogies (``w_a`` in slice A corresponds to ``w_b`` in slice B).

    ``pairs``: a :class:`~wordlab.align.Dictionary`, a two-column file, or pairs.
    Returns ``{"MRR", "MP@k"..., "n", "coverage"}``; pairs with a word missing from its
    slice are left out (coverage says how many remain). Ranks are exact: one plus the
    number of B words scoring higher than the gold word.
    """
    from .dictionary import Dictionary
    gold = Dictionary.coerce(pairs)
    n_b = len(b) if restrict_vocab is None else min(restrict_vocab, len(b))
    b_index = {w: i for w, i in b.index.items() if i < n_b}
    usable = [(s, t) for s, t in gold if s in a and t in b_index]
    out = {"n": len(usable), "coverage": len(usable) / len(gold) if len(gold) else 0.0}
    if not usable:
        out.update({"MRR": 0.0, **{f"MP@{k}": 0.0 for k in ks}})
        return out
    Q = _unit_rows(a, [s for s, _ in usable])
    keys = b.unit_vectors
    gold_ids = np.array([b_index[t] for _, t in usable], dtype=np.int64)
    gold_scores = np.einsum("ij,ij->i", Q, np.asarray(keys[gold_ids], dtype=np.float32))
    higher = np.zeros(len(usable), dtype=np.int64)
    for s in range(0, n_b, 16_384):
        e = min(s + 16_384, n_b)
        scores = Q @ np.asarray(keys[s:e], dtype=np.float32).T
        # The gold word never outranks itself: a matrix product may round its score a
        # unit above the einsum's.
        inside = np.flatnonzero((gold_ids >= s) & (gold_ids < e))
        scores[inside, gold_ids[inside] - s] = -np.inf
        higher += (scores > gold_scores[:, None]).sum(axis=1)
    ranks = higher + 1
    out["MRR"] = float(np.mean(1.0 / ranks))
    for k in ks:
        out[f"MP@{k}"] = float(np.mean(ranks <= k))
    return out


cross_neighbours = deprecated_alias(cross_neighbors, "cross_neighbours")
