"""Exact nearest-neighbour search over (memory-mapped) matrices, in row blocks.

Scores are computed one block of rows at a time (one matrix product per block for a
whole batch of queries), the best ``k`` of each block are kept, and the survivors
are merged. Peak extra memory is ``block_rows x n_queries`` floats, whatever the
vocabulary size.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

#: Rows per block: 64k rows x 300 dims is 75 MB of float32, large enough for BLAS.
BLOCK_ROWS = 65_536


def blocked_topk(n_rows: int, block_scores: Callable[[int, int], np.ndarray], k: int,
                 exclude: Sequence[Sequence[int]] | None = None,
                 block_rows: int = BLOCK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` rows per query, by scores produced a block at a time.

    Parameters
    ----------
    n_rows : int
        Rows to search (the first ``n_rows``; ``restrict_vocab`` is applied here).
    block_scores : callable ``(start, stop) -> array (stop - start, n_queries)``
        Scores of rows ``start:stop`` against every query (higher is better).
    k : int
        Results per query (fewer when fewer rows remain after exclusion).
    exclude : list of id lists, one per query, optional
        Rows never returned for that query (e.g. the query words themselves).

    Returns
    -------
    ids : int64 array (n_queries, k'), scores : float32 array (n_queries, k'),
    best first; ``k' = min(k, n_rows - max excluded)``; rows past a query's available
    results hold id -1 and score -inf.
    """
    cand_ids: list[np.ndarray] = []
    cand_scores: list[np.ndarray] = []
    n_queries = None
    for start in range(0, n_rows, block_rows):
        stop = min(start + block_rows, n_rows)
        scores = np.array(block_scores(start, stop), dtype=np.float32, copy=True)
        if scores.ndim == 1:
            scores = scores[:, None]
        n_queries = scores.shape[1]
        if exclude is not None:
            for q, ids in enumerate(exclude):
                for i in ids:
                    if start <= i < stop:
                        scores[i - start, q] = -np.inf
        kk = min(k, stop - start)
        if kk < stop - start:
            part = np.argpartition(-scores, kk - 1, axis=0)[:kk]
        else:
            part = np.broadcast_to(np.arange(stop - start)[:, None], scores.shape)
        cand_ids.append((part + start).T)
        cand_scores.append(np.take_along_axis(scores, part, axis=0).T)
    if n_queries is None:
        return np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    ids = np.concatenate(cand_ids, axis=1)
    scores = np.concatenate(cand_scores, axis=1)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    ids = np.take_along_axis(ids, order, axis=1).astype(np.int64)
    scores = np.take_along_axis(scores, order, axis=1)
    ids[~np.isfinite(scores)] = -1
    return ids, scores


def _topk_single(n_rows: int, block_scores: Callable[[int, int], np.ndarray], k: int,
                 exclude: Sequence[int], block_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """blocked_topk for one query: 1-D scores, no copies beyond the block's own."""
    cand_ids: list[np.ndarray] = []
    cand_scores: list[np.ndarray] = []
    for start in range(0, n_rows, block_rows):
        stop = min(start + block_rows, n_rows)
        scores = np.asarray(block_scores(start, stop), dtype=np.float32).reshape(-1)
        if not scores.flags.writeable:
            scores = scores.copy()
        for i in exclude:
            if start <= i < stop:
                scores[i - start] = -np.inf
        kk = min(k, stop - start)
        part = np.argpartition(scores, stop - start - kk)[stop - start - kk:] if kk < stop - start \
            else np.arange(stop - start)
        cand_ids.append(part + start)
        cand_scores.append(scores[part])
    if not cand_ids:
        return np.zeros((1, 0), dtype=np.int64), np.zeros((1, 0), dtype=np.float32)
    ids = np.concatenate(cand_ids)
    scores = np.concatenate(cand_scores)
    order = np.argsort(-scores, kind="stable")[:k]
    ids, scores = ids[order].astype(np.int64), scores[order]
    ids[~np.isfinite(scores)] = -1
    return ids[None, :], scores[None, :]


def cosine_topk(unit: np.ndarray, queries: np.ndarray, k: int, n_rows: int | None = None,
                exclude: Sequence[Sequence[int]] | None = None,
                block_rows: int = BLOCK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` cosine neighbours of each query among the unit rows of ``unit``.

    ``queries`` (n_queries, dim) are normalised here; ``unit`` must hold unit rows.
    """
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    q = np.divide(q, norms, out=np.zeros_like(q), where=norms > 0)
    qt = np.ascontiguousarray(q.T)
    n = unit.shape[0] if n_rows is None else min(n_rows, unit.shape[0])
    if q.shape[0] == 1:
        q0 = q[0]
        return _topk_single(n, lambda a, b: unit[a:b] @ q0, k, exclude[0] if exclude else (), block_rows)
    return blocked_topk(n, lambda a, b: unit[a:b] @ qt, k, exclude, block_rows)


def unit_rows(matrix: np.ndarray, out: np.ndarray | None = None,
              block_rows: int = BLOCK_ROWS) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), block by block into ``out``."""
    if out is None:
        out = np.empty(matrix.shape, dtype=np.float32)
    for a in range(0, matrix.shape[0], block_rows):
        block = np.asarray(matrix[a:a + block_rows], dtype=np.float32)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        np.divide(block, norms, out=out[a:a + block_rows], where=norms > 0)
        out[a:a + block_rows][(norms == 0)[:, 0]] = 0.0
    return out


def nonfinite_rows(matrix: np.ndarray, block_rows: int = BLOCK_ROWS) -> np.ndarray:
    """Indices of rows holding NaN or infinity."""
    bad = []
    for a in range(0, matrix.shape[0], block_rows):
        ok = np.isfinite(matrix[a:a + block_rows]).all(axis=1)
        bad.extend((np.flatnonzero(~ok) + a).tolist())
    return np.asarray(bad, dtype=np.int64)
