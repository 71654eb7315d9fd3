"""Exact nearest-neighbour search over (memory-mapped) matrices, in row blocks.

Scores are computed one block of rows at a time (one matrix product per block for a
whole batch of queries), the best ``k`` of each block are kept, and the survivors
are merged. Peak extra memory is ``block_rows x n_queries`` floats, whatever the
vocabulary size.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Rows per block: 64k rows x 300 dims is 75 MB of float32, large enough for BLAS.
BLOCK_ROWS = 65_536


class Neighbors(list):
    """A list of ``(word, similarity)`` pairs, as gensim returns, that shows as a table."""

    def to_frame(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame(list(self), columns=["word", "similarity"])

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()


#: :func:`top_k` finds its threshold among every SAMPLE_STEP-th score.
SAMPLE_STEP = 16


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of a float32 vector of ``scores``: positions int64 (k',) and scores,
    best first, a tie going to the lower position; ``k' = min(k, len(scores))``, and slots
    past the scores that are not NaN hold position -1 and score -inf.

    The k-th best of a strided sample (every :data:`SAMPLE_STEP`-th score) is a threshold
    that at least k scores reach, since the sample is among them; only the scores at or
    above it are sorted. So the scan is one comparison a score, where ``np.argpartition``
    moves every score (``evals/bench_compress.py`` times queries with it), and the order
    of ties is defined.
    """
    m = scores.shape[0]
    k = max(0, min(k, m))
    ids = np.full(k, -1, dtype=np.int64)
    best = np.full(k, -np.inf, dtype=np.float32)
    if k == 0:
        return ids, best
    step = max(1, min(SAMPLE_STEP, m // (4 * k)))
    sample = scores[::step]
    nan = np.isnan(sample)
    if nan.any():                    # numpy sorts NaN last, above every number
        sample = sample[~nan]
    threshold = (np.partition(sample, sample.shape[0] - k)[sample.shape[0] - k] if sample.shape[0] >= k
                 else -np.inf)
    candidates = np.flatnonzero(scores >= threshold)
    values = scores[candidates]
    order = np.lexsort((candidates, -values))[:k]
    ids[:order.shape[0]] = candidates[order]
    best[:order.shape[0]] = values[order]
    return ids, best


def blocked_topk(n_rows: int, block_scores: Callable[[int, int], np.ndarray], k: int,
                 exclude: Sequence[Sequence[int]] | None = None,
                 block_rows: int = BLOCK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` rows per query, by scores produced a block at a time.

    Parameters
    ----------
    n_rows : int
        Rows to search (the first ``n_rows``; ``restrict_vocab`` is applied here).
    block_scores : callable ``(start, stop) -> array (n_queries, stop - start)``
        Scores of rows ``start:stop`` against every query (higher is better); one row
        per query, so each query's scores are contiguous for the selection.
    k : int
        Results per query (fewer when fewer rows remain after exclusion).
    exclude : list of id lists, one per query, optional
        Rows never returned for that query (e.g. the query words themselves).

    Returns
    -------
    ids : int64 array (n_queries, k'), scores : float32 array (n_queries, k'),
    best first; ``k' = min(k, n_rows)``; slots past a query's available results hold
    id -1 and score -inf.
    """
    if exclude is not None:
        ex_query = np.repeat(np.arange(len(exclude)), [len(e) for e in exclude])
        ex_row = np.fromiter((i for e in exclude for i in e), dtype=np.int64, count=ex_query.shape[0])
    cand_ids: list[np.ndarray] = []
    cand_scores: list[np.ndarray] = []
    for start in range(0, n_rows, block_rows):
        stop = min(start + block_rows, n_rows)
        scores = np.asarray(block_scores(start, stop), dtype=np.float32)
        if scores.ndim == 1:
            scores = scores[None, :]
        if not scores.flags.writeable or not scores.flags.owndata:
            scores = scores.copy()  # exclusions write into it
        if exclude is not None and ex_row.shape[0]:
            hit = (ex_row >= start) & (ex_row < stop)
            scores[ex_query[hit], ex_row[hit] - start] = -np.inf
        kk = min(k, stop - start)
        ids = np.empty((scores.shape[0], kk), dtype=np.int64)
        best = np.empty((scores.shape[0], kk), dtype=np.float32)
        for q in range(scores.shape[0]):
            ids[q], best[q] = top_k(scores[q], kk)
        cand_ids.append(ids + start)
        cand_scores.append(best)
    if not cand_ids:
        return np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    ids = np.concatenate(cand_ids, axis=1)
    scores = np.concatenate(cand_scores, axis=1)
    # blocks in row order, each best first with ties by row: a stable sort keeps ties by row
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    ids = np.take_along_axis(ids, order, axis=1).astype(np.int64)
    scores = np.take_along_axis(scores, order, axis=1)
    ids[~np.isfinite(scores)] = -1
    return ids, scores


#: Rows per matrix-vector product when one query's scores go into one buffer. The
#: buffer is the only extra memory whatever the block, so blocks are large.
SINGLE_QUERY_BLOCK_ROWS = 1 << 20


def _cosine_topk_single(unit: np.ndarray, q: np.ndarray, k: int, n_rows: int, exclude: Sequence[int],
                        block_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """One query: scores of all ``n_rows`` rows in one float32 buffer (4 bytes a row,
    1/dim of the matrix), filled block by block, then one selection (:func:`top_k`)."""
    scores = np.empty(n_rows, dtype=np.float32)
    for a in range(0, n_rows, block_rows):
        b = min(a + block_rows, n_rows)
        np.matmul(unit[a:b], q, out=scores[a:b])
    for i in exclude:
        if 0 <= i < n_rows:
            scores[i] = -np.inf
    if min(k, n_rows) <= 0:
        return np.zeros((1, 0), dtype=np.int64), np.zeros((1, 0), dtype=np.float32)
    top, best = top_k(scores, k)
    top[~np.isfinite(best)] = -1
    return top[None, :], best[None, :]


def cosine_topk(unit: np.ndarray, queries: np.ndarray, k: int, n_rows: int | None = None,
                exclude: Sequence[Sequence[int]] | None = None,
                block_rows: int = BLOCK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` cosine neighbours of each query among the unit rows of ``unit``.

    ``queries`` (n_queries, dim) are normalised here; ``unit`` must hold unit rows (an
    array, or an array-like with ``block_dot(queries, start, stop)``, as the unit rows
    of a compressed store, :class:`~wordlab.store.quantize.UnitRows`).
    """
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    q = np.divide(q, norms, out=np.zeros_like(q), where=norms > 0)
    n = unit.shape[0] if n_rows is None else min(n_rows, unit.shape[0])
    dot = getattr(unit, "block_dot", None)
    if dot is not None:      # a compressed store's unit rows: scored from their codes, never decoded
        rows = min(block_rows, SINGLE_QUERY_BLOCK_ROWS) if q.shape[0] > 1 else SINGLE_QUERY_BLOCK_ROWS
        return blocked_topk(n, lambda a, b: dot(q, a, b), k, exclude, rows)
    if q.shape[0] == 1:
        return _cosine_topk_single(unit, q[0], k, n, exclude[0] if exclude else (),
                                   min(block_rows, SINGLE_QUERY_BLOCK_ROWS))
    return blocked_topk(n, lambda a, b: q @ unit[a:b].T, k, exclude, block_rows)


def unit_rows(matrix: np.ndarray, out: np.ndarray | None = None,
              block_rows: int = BLOCK_ROWS) -> np.ndarray:
    """Rows scaled to unit L2 norm, block by block into ``out``. Zero rows, and rows
    holding NaN or infinity, are zero (a cosine is not defined for them). Norms are
    taken in float64, so rows of huge finite values (1e30) do not overflow to zero."""
    if out is None:
        out = np.empty(matrix.shape, dtype=np.float32)
    for a in range(0, matrix.shape[0], block_rows):
        block = np.asarray(matrix[a:a + block_rows], dtype=np.float32)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            norms = np.linalg.norm(block, axis=1, keepdims=True)     # float32, as gensim
        dest = out[a:a + block_rows]
        good = np.isfinite(norms) & (norms > 0)
        # ``out`` may be ``matrix`` itself: rows that are not good still hold their input here
        np.divide(block, norms, out=dest, where=good)
        odd = np.flatnonzero(~good[:, 0])
        if odd.size:   # zero, non-finite, or overflowed/underflowed in float32: redo in float64
            rows = block[odd].astype(np.float64)
            with np.errstate(invalid="ignore", over="ignore"):
                n64 = np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None]
                fixed = np.where(np.isfinite(n64) & (n64 > 0), rows / np.where(n64 > 0, n64, 1.0), 0.0)
            dest[odd] = np.where(np.isfinite(fixed), fixed, 0.0)
    return out


def nonfinite_rows(matrix: np.ndarray, block_rows: int = BLOCK_ROWS) -> np.ndarray:
    """Indices of rows holding NaN or infinity."""
    bad = []
    for a in range(0, matrix.shape[0], block_rows):
        ok = np.isfinite(matrix[a:a + block_rows]).all(axis=1)
        bad.extend((np.flatnonzero(~ok) + a).tolist())
    return np.asarray(bad, dtype=np.int64)
