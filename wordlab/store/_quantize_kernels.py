"""Numba kernels of compressed stores: k-means codebooks, product-quantisation codes
and asymmetric distance computation (see :mod:`wordlab.store.quantize`).

Product quantisation (Jégou, Douze and Schmid 2011, "Product quantization for nearest
neighbor search") cuts a dim-wide vector into M sub-vectors of ``dsub = dim / M`` and
replaces each by the nearest of K = 2^bits centroids learnt for its subspace, so a row
is M one-byte codes. A query q is never compared with decoded rows: its dot product
with every centroid is tabulated once (the lookup table, M x K), and a row's score is
the sum of M table entries, one per code (asymmetric distance computation, ADC).
Optimised PQ (Ge et al. 2014) rotates the rows first; the rotation is learnt in
:mod:`wordlab.store.compress` with these kernels and numpy's SVD.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(nogil=True, cache=True)
def _nearest(x, centroids, c_sqnorm):
    """The centroid (row of ``centroids`` (K, dsub)) nearest to ``x`` (dsub,):
    argmin over c of ||c||^2 - 2 x.c, which orders as ||x - c||^2 does."""
    best, best_d = 0, np.inf
    for c in range(centroids.shape[0]):
        d = c_sqnorm[c]
        for j in range(x.shape[0]):
            d -= 2.0 * x[j] * centroids[c, j]
        if d < best_d:
            best, best_d = c, d
    return best


@njit(nogil=True, cache=True)
def _lloyd(points, centroids, iterations):
    """k-means (Lloyd) on ``points`` (n, dsub) float32 from the initial ``centroids``
    (K, dsub), updated in place; returns the iterations run. An empty cluster takes half
    of the largest one: its centroid is that cluster's, moved a little apart on both
    sides (as faiss splits clusters), so no centroid is wasted."""
    n, dsub = points.shape
    K = centroids.shape[0]
    assign = np.full(n, -1, dtype=np.int64)
    sums = np.zeros((K, dsub), dtype=np.float64)
    counts = np.zeros(K, dtype=np.int64)
    c_sqnorm = np.empty(K, dtype=np.float32)
    it = 0
    for it in range(1, iterations + 1):
        for c in range(K):
            s = 0.0
            for j in range(dsub):
                s += centroids[c, j] * centroids[c, j]
            c_sqnorm[c] = s
        changed = 0
        sums[:, :] = 0.0
        counts[:] = 0
        for i in range(n):
            c = _nearest(points[i], centroids, c_sqnorm)
            if c != assign[i]:
                changed += 1
                assign[i] = c
            counts[c] += 1
            for j in range(dsub):
                sums[c, j] += points[i, j]
        for c in range(K):
            if counts[c] > 0:
                for j in range(dsub):
                    centroids[c, j] = sums[c, j] / counts[c]
        for c in range(K):
            if counts[c] == 0:
                big = np.argmax(counts)
                if counts[big] < 2:
                    break
                for j in range(dsub):
                    v = centroids[big, j]
                    step = 1e-4 * (abs(v) + 1e-6)
                    centroids[c, j] = v + step if j % 2 == 0 else v - step
                    centroids[big, j] = v - step if j % 2 == 0 else v + step
                half = counts[big] // 2
                counts[c] = half
                counts[big] -= half
                changed += 1
        if changed == 0:
            break
    return it


_LCG_A = np.uint64(6364136223846793005)
_LCG_C = np.uint64(1442695040888963407)


@njit(nogil=True, cache=True)
def _uniform(state):
    """(next state, a uniform draw in [0, 1)) of a 64-bit LCG (the top 53 bits)."""
    state = state * _LCG_A + _LCG_C
    return state, (state >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(nogil=True, cache=True)
def _seed_centroids(points, centroids, state):
    """k-means++ seeding (Arthur and Vassilvitskii 2007): the first centroid a uniform
    draw, each next one a point drawn with probability proportional to its squared
    distance to the nearest centroid so far (uniformly when all are at distance 0)."""
    n, dsub = points.shape
    K = centroids.shape[0]
    d2 = np.empty(n, dtype=np.float64)
    state, u = _uniform(state)
    pick = min(int(u * n), n - 1)
    for c in range(K):
        if c > 0:
            total = d2.sum()
            state, u = _uniform(state)
            if total > 0.0:
                target, acc, pick = u * total, 0.0, n - 1
                for i in range(n):
                    acc += d2[i]
                    if acc > target:
                        pick = i
                        break
            else:
                pick = min(int(u * n), n - 1)
        for j in range(dsub):
            centroids[c, j] = points[pick, j]
        for i in range(n):
            d = 0.0
            for j in range(dsub):
                t = points[i, j] - centroids[c, j]
                d += t * t
            if c == 0 or d < d2[i]:
                d2[i] = d


@njit(nogil=True, cache=True, parallel=True)
def train_codebooks(sample, codebooks, iterations, seeds):
    """Learn every subspace's centroids: ``sample`` (n, M * dsub) float32 rows (n >= K),
    into ``codebooks`` (M, K, dsub) float32, seeded by k-means++ with ``seeds[m]``
    (uint64) and refined by Lloyd's iterations; the subspaces run in parallel. Returns the
    iterations each one ran (int64 (M,))."""
    M, K, dsub = codebooks.shape
    ran = np.zeros(M, dtype=np.int64)
    for m in prange(M):
        points = np.ascontiguousarray(sample[:, m * dsub:(m + 1) * dsub])
        _seed_centroids(points, codebooks[m], seeds[m])
        ran[m] = _lloyd(points, codebooks[m], iterations)
    return ran


@njit(nogil=True, cache=True, parallel=True)
def refine_codebooks(sample, codebooks, iterations):
    """Lloyd's iterations on every subspace's centroids ``codebooks`` (M, K, dsub), from
    where they are (no seeding): the warm start of OPQ's alternation."""
    M, K, dsub = codebooks.shape
    for m in prange(M):
        _lloyd(np.ascontiguousarray(sample[:, m * dsub:(m + 1) * dsub]), codebooks[m], iterations)


@njit(nogil=True, cache=True, parallel=True)
def encode_rows(rows, codebooks, codes):
    """``codes`` (n, M) uint8 = the nearest centroid of each row's sub-vectors
    (``rows`` (n, M * dsub) float32), rows in parallel."""
    M, K, dsub = codebooks.shape
    c_sqnorm = np.empty((M, K), dtype=np.float32)
    for m in range(M):
        for c in range(K):
            s = 0.0
            for j in range(dsub):
                s += codebooks[m, c, j] * codebooks[m, c, j]
            c_sqnorm[m, c] = s
    for i in prange(rows.shape[0]):
        for m in range(M):
            codes[i, m] = _nearest(rows[i, m * dsub:(m + 1) * dsub], codebooks[m], c_sqnorm[m])


@njit(nogil=True, cache=True, inline="always")
def _lookups(t, row, first, count):
    """sum over m < ``count`` of ``t[first + m, row[m]]``, in four running sums, so that
    consecutive lookups do not wait on each other's additions (a fixed order: the
    scores are repeatable)."""
    s0 = np.float32(0.0)
    s1 = np.float32(0.0)
    s2 = np.float32(0.0)
    s3 = np.float32(0.0)
    four = count - count % 4
    for m in range(0, four, 4):
        s0 += t[first + m, row[m]]
        s1 += t[first + m + 1, row[m + 1]]
        s2 += t[first + m + 2, row[m + 2]]
        s3 += t[first + m + 3, row[m + 3]]
    for m in range(four, count):
        s0 += t[first + m, row[m]]
    return (s0 + s1) + (s2 + s3)


@njit(nogil=True, cache=True)
def adc_scores(codes, tables, start, stop, out):
    """Asymmetric distance computation: ``out[q, i - start]`` = sum over subspaces m of
    ``tables[q, m, codes[i, m]]`` for rows ``start:stop`` of ``codes`` (n, M) uint8;
    ``tables`` (n_queries, M, K) float32, a query's dot products with every centroid.
    Serial and ``nogil``: the caller splits large ranges over threads (a parallel kernel
    costs most of a second to load, more than a query)."""
    n_q, M, _ = tables.shape
    for q in range(n_q):
        t = tables[q]
        for r in range(stop - start):
            out[q, r] = _lookups(t, codes[start + r], 0, M)


@njit(nogil=True, cache=True)
def adc_scores_head(codes, head_codes, head_tables, tables, start, stop, out):
    """:func:`adc_scores` for a store with a head: rows below H = ``len(head_codes)``
    are scored by ``head_tables`` (n_queries, M_h, K), their first M codes from
    ``codes`` and the other M_h - M from ``head_codes``; the rows from H on by
    ``tables`` (n_queries, M, K). A table a range does not reach may be empty."""
    H = head_codes.shape[0]
    M = codes.shape[1] if head_tables.shape[1] == 0 else head_tables.shape[1] - head_codes.shape[1]
    split = min(max(H, start), stop)
    for q in range(out.shape[0]):
        for r in range(split - start):
            i = start + r
            th = head_tables[q]
            out[q, r] = _lookups(th, codes[i], 0, M) + _lookups(th, head_codes[i], M, head_codes.shape[1])
        for r in range(split - start, stop - start):
            out[q, r] = _lookups(tables[q], codes[start + r], 0, tables.shape[1])


@njit(nogil=True, cache=True)
def table_dot(codes, table, queries, start, stop, out):
    """``out[q, i - start]`` = sum over j of ``x[i, j] * queries[q, j]`` for rows
    ``start:stop``, without decoding the block first (numpy's float16 conversion costs
    ten times the product): x = ``table[codes]`` (a float16 store's 65,536 values by
    their bits, codes viewed as uint16) or, with an empty table, the codes themselves
    (int8, converted in vector registers). Serial and ``nogil``, like :func:`adc_scores`."""
    n_q, dim = queries.shape
    row = np.empty(dim, dtype=np.float32)
    direct = table.shape[0] == 0
    for r in range(stop - start):
        c = codes[start + r]
        if direct:
            for j in range(dim):
                row[j] = np.float32(c[j])
        else:
            for j in range(dim):
                row[j] = table[c[j]]
        for q in range(n_q):
            s = np.float32(0.0)
            for j in range(dim):
                s += row[j] * queries[q, j]
            out[q, r] = s
