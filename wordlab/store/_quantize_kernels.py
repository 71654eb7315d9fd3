"""Numba kernels that make compressed stores: k-means codebooks and product-quantisation
codes (see :mod:`wordlab.store.compress`; the kernels that score codes against queries
are in :mod:`wordlab.store._adc_kernels`).

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
