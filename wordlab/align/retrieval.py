"""Cross-space retrieval: nearest neighbour and CSLS, computed in blocks.

CSLS (cross-domain similarity local scaling; Conneau et al. 2018, "Word Translation
Without Parallel Data") corrects the hubness of nearest-neighbour retrieval:

    CSLS(Wx, y) = 2 cos(Wx, y) - r_T(Wx) - r_S(y)

where r_T(Wx) is the mean cosine of the mapped source vector Wx to its k nearest
target vectors and r_S(y) the mean cosine of target y to its k nearest mapped source
vectors (k = 10). Every matrix here holds unit rows, so cosines are dot products.
Scores are computed for a block of queries against a block of keys at a time, so the
extra memory is ``query_block x key_block`` floats whatever the vocabulary sizes
(200k x 200k works; it is BLAS time, not memory, that grows).
"""
from __future__ import annotations

import numpy as np

from .._deprecation import deprecated_alias
from .._threads import numba_threads
from ..errors import ParameterError
from ..store.quantize import block_product
from ._topk_kernels import push_block, sort_heaps

QUERY_BLOCK = 2048
KEY_BLOCK = 16_384


def heap_topk(n_keys: int, block_scores, k: int, n_queries: int,
              key_block: int = KEY_BLOCK, workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best keys per query from scores made a key block at a time.

    Same contract as :func:`wordlab.store.search.blocked_topk`, but selection runs in
    Numba heaps (the store module stays free of Numba so that opening a store is light).

    ``block_scores(start, stop)`` returns float32 (n_queries, stop - start). Returns
    ids int64 and scores float32, both (n_queries, k), best first; slots beyond the
    keys available hold id -1 and score -inf. ``workers`` caps the threads of the
    selection kernels (default: all CPUs; see :func:`wordlab._threads.numba_threads`).
    """
    vals = np.full((n_queries, k), -np.inf, dtype=np.float32)
    ids = np.full((n_queries, k), -1, dtype=np.int64)
    if k == 0:
        return ids, vals
    with numba_threads(workers):
        for start in range(0, n_keys, key_block):
            stop = min(start + key_block, n_keys)
            push_block(np.ascontiguousarray(block_scores(start, stop), dtype=np.float32), start, vals, ids)
        sort_heaps(vals, ids)
    return ids, vals


def knn_mean_similarity(queries: np.ndarray, keys: np.ndarray, k: int = 10,
                        query_block: int = QUERY_BLOCK, key_block: int = KEY_BLOCK,
                        workers: int | None = None) -> np.ndarray:
    """Mean cosine of each query row to its ``k`` nearest key rows: float32 (n_queries,).

    ``queries`` (n_q, d) and ``keys`` (n_k, d) hold unit rows (memory-mapped is fine).
    These are CSLS's penalties: ``r_T`` with queries = mapped source and keys =
    target, ``r_S`` with the roles swapped.
    """
    n_q = queries.shape[0]
    out = np.empty(n_q, dtype=np.float32)
    k = min(k, keys.shape[0])
    for a in range(0, n_q, query_block):
        q = np.asarray(queries[a:a + query_block], dtype=np.float32)
        _, scores = heap_topk(keys.shape[0], lambda s, e: block_product(keys, q, s, e), k,
                              q.shape[0], key_block, workers)
        out[a:a + q.shape[0]] = scores.mean(axis=1) if k else 0.0
    return out


def retrieve(queries: np.ndarray, keys: np.ndarray, k: int = 10, method: str = "csls",
             query_penalty: np.ndarray | None = None, key_penalty: np.ndarray | None = None,
             query_block: int = QUERY_BLOCK, key_block: int = KEY_BLOCK,
             workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best keys for each query: ids int64 (n_q, k) and scores float32 (n_q, k), best first.

    Parameters
    ----------
    queries, keys : unit rows in one space (e.g. mapped source words, target words).
    method : "nn" (cosine) or "csls".
    query_penalty, key_penalty : float32 (n_q,), (n_k,)
        CSLS's r_T of each query and r_S of each key (:func:`knn_mean_similarity`);
        required for ``"csls"``. The query's own penalty does not change its ranking but
        makes the returned scores true CSLS values.
    workers : int, optional
        Threads of the selection kernels (default: all CPUs).
    """
    if method not in ("nn", "csls"):
        raise ParameterError(f"method must be 'nn' or 'csls', not {method!r}")
    if method == "csls" and (query_penalty is None or key_penalty is None):
        raise ParameterError("CSLS needs query_penalty (r_T) and key_penalty (r_S); see knn_mean_similarity")
    n_q = queries.shape[0]
    k = min(k, keys.shape[0])
    ids = np.empty((n_q, k), dtype=np.int64)
    scores = np.empty((n_q, k), dtype=np.float32)
    for a in range(0, n_q, query_block):
        q = np.asarray(queries[a:a + query_block], dtype=np.float32)
        if method == "nn":
            def block(s, e):
                return block_product(keys, q, s, e)
        else:
            qp = np.asarray(query_penalty[a:a + q.shape[0]], dtype=np.float32)[:, None]

            def block(s, e):
                return 2.0 * block_product(keys, q, s, e) - qp - key_penalty[s:e][None, :]
        i, sc = heap_topk(keys.shape[0], block, k, q.shape[0], key_block, workers)
        ids[a:a + q.shape[0]] = i
        scores[a:a + q.shape[0]] = sc
    return ids, scores


def mutual_nearest_neighbors(source: np.ndarray, target: np.ndarray, method: str = "csls", k: int = 10,
                             query_block: int = QUERY_BLOCK, key_block: int = KEY_BLOCK,
                             workers: int | None = None) -> np.ndarray:
    """Pairs (i, j), int64 (n_pairs, 2), where target j is source i's best match and
    source i is target j's best match (by cosine or CSLS): the induced dictionary of
    self-learning (refinement)."""
    blocks = dict(query_block=query_block, key_block=key_block, workers=workers)
    if method == "csls":
        r_t = knn_mean_similarity(source, target, k, **blocks)
        r_s = knn_mean_similarity(target, source, k, **blocks)
        fwd, _ = retrieve(source, target, 1, "csls", r_t, r_s, **blocks)
        bwd, _ = retrieve(target, source, 1, "csls", r_s, r_t, **blocks)
    else:
        fwd, _ = retrieve(source, target, 1, "nn", **blocks)
        bwd, _ = retrieve(target, source, 1, "nn", **blocks)
    fwd, bwd = fwd[:, 0], bwd[:, 0]
    i = np.flatnonzero(bwd[fwd] == np.arange(source.shape[0]))
    return np.stack([i, fwd[i]], axis=1).astype(np.int64)


mutual_nearest_neighbours = deprecated_alias(mutual_nearest_neighbors, "mutual_nearest_neighbours")


def approximate_retrieve(queries: np.ndarray, keys, sources, k: int = 10, method: str = "csls",
                         csls_k: int = 10, *, key_index=None, source_index=None, candidates: int = 64,
                         workers: int | None = None, progress: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`retrieve` at millions of words, with approximate indexes
    (:mod:`wordlab.store.ann`; usearch): ids int64 (n_q, k) and scores float32, best first.

    Each query's ``candidates`` nearest keys come from an index of ``keys`` and are scored
    exactly. For CSLS, r_T of a query is the mean of its ``csls_k`` best candidates' cosines,
    and r_S is computed only for the keys that are someone's candidate, from an index of
    ``sources`` (the mapped source rows): a key outside every query's candidates cannot
    win, unless its r_S were far below the others'. ``key_index``/``source_index``: indexes
    already built (a store's ``build_index()``); otherwise built here, in memory.
    All matrices hold unit rows (arrays, memory maps or a store's ``unit_vectors``).
    """
    from ..store.ann import index_rows
    if method not in ("nn", "csls"):
        raise ParameterError(f"method must be 'nn' or 'csls', not {method!r}")
    q = np.ascontiguousarray(queries, dtype=np.float32)
    n_keys = keys.shape[0]
    k = min(k, n_keys)
    build = dict(workers=workers, progress=progress)
    key_index = key_index if key_index is not None else index_rows(keys, **build)
    cand, cos = _scored_candidates(q, keys, key_index, min(n_keys, max(candidates, k, csls_k)))
    if method == "nn":
        return _best(cand, cos, k)
    r_t = np.sort(cos, axis=1)[:, ::-1][:, :csls_k].mean(axis=1)
    targets = np.unique(cand[cand >= 0])
    source_index = source_index if source_index is not None else index_rows(sources, **build)
    r_s = np.zeros(n_keys, dtype=np.float32)
    for a in range(0, targets.size, QUERY_BLOCK):
        t = targets[a:a + QUERY_BLOCK]
        _, near = _scored_candidates(np.asarray(keys[t], dtype=np.float32), sources, source_index,
                                     min(sources.shape[0], 2 * csls_k + 16))
        r_s[t] = np.sort(near, axis=1)[:, ::-1][:, :csls_k].mean(axis=1)
    score = np.where(cand >= 0, 2 * cos - r_t[:, None] - r_s[np.maximum(cand, 0)], -np.inf)
    return _best(cand, score.astype(np.float32), k)


def _scored_candidates(q: np.ndarray, keys, index, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The index's ``m`` candidates of each query and their exact cosines (-inf where none)."""
    cand = index.candidates(q, m)
    cos = np.full(cand.shape, -np.inf, dtype=np.float32)
    for i in range(q.shape[0]):
        ok = cand[i] >= 0
        cos[i, ok] = np.asarray(keys[cand[i, ok]], dtype=np.float32) @ q[i]
    return cand, cos


def _best(cand: np.ndarray, score: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    ids = np.take_along_axis(cand, order, axis=1)
    best = np.take_along_axis(score, order, axis=1)
    ids[~np.isfinite(best)] = -1
    return ids.astype(np.int64), best.astype(np.float32)
