"""Numba kernels: the k best scores of each row, kept in per-row min-heaps across blocks.

numpy's ``argpartition`` costs about 40 ns an element; a k-heap touches most elements
once (a compare with the heap's minimum) and runs rows in parallel, so retrieval over
large vocabularies is bound by the matrix products, not by selection.
"""
from __future__ import annotations

from numba import njit, prange


@njit(nogil=True, cache=True, inline="always")
def _sift_down(vals, ids, pos, k):
    while True:
        left = 2 * pos + 1
        if left >= k:
            return
        right = left + 1
        child = left if (right >= k or vals[left] <= vals[right]) else right
        if vals[child] < vals[pos]:
            vals[pos], vals[child] = vals[child], vals[pos]
            ids[pos], ids[child] = ids[child], ids[pos]
            pos = child
        else:
            return


@njit(nogil=True, cache=True, parallel=True)
def push_block(scores, offset, heap_vals, heap_ids):
    """Offer every score of ``scores`` float32 (n, m) to row i's min-heap, root at column 0:
    ``heap_vals`` float32 (n, k) and ``heap_ids`` int64 (n, k), updated in place (the caller
    starts them at -inf and -1). Column j is key ``offset + j``; a score enters only if
    strictly greater than the heap's minimum (a tie keeps the earlier key)."""
    n, m = scores.shape
    k = heap_vals.shape[1]
    for i in prange(n):
        hv = heap_vals[i]
        hi = heap_ids[i]
        for j in range(m):
            v = scores[i, j]
            if v > hv[0]:
                hv[0] = v
                hi[0] = offset + j
                _sift_down(hv, hi, 0, k)


@njit(nogil=True, cache=True, parallel=True)
def sort_heaps(heap_vals, heap_ids):
    """Turn each row's heap (``heap_vals`` float32 (n, k), ``heap_ids`` int64 (n, k)) into a
    best-first (descending) list, in place (heapsort)."""
    n, k = heap_vals.shape
    for i in prange(n):
        hv = heap_vals[i]
        hi = heap_ids[i]
        for end in range(k - 1, 0, -1):
            hv[0], hv[end] = hv[end], hv[0]
            hi[0], hi[end] = hi[end], hi[0]
            _sift_down(hv, hi, 0, end)
