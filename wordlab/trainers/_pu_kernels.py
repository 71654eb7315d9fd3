"""Numba kernels of PU-learning matrix factorisation (Jiang, Yu, Hsieh and Chang 2018).

The model predicts p_ij = u_i . v_j over augmented factors: U = [W, b, 1] and
V = [H, 1, c] (n x (k + 2)), so the biases are two more coordinates. The objective is

    L = sum_{(i,j) observed} C_ij (A_ij - p_ij)^2 + rho * sum_{(i,j) unobserved} p_ij^2
        + lam * (|W|^2 + |H|^2 + |b|^2 + |c|^2)

and, since sum_unobserved p^2 = sum_all p^2 - sum_observed p^2 and
sum_all p^2 = trace(U^T U V^T V), it is evaluated and minimised without touching the
unobserved pairs. With V fixed, L separates over the rows of U; each coordinate u_it
has a closed-form minimiser (cyclic coordinate descent, CCD++ of Yu et al. 2012, one
pass per coordinate over the row's observed entries, which stay in cache):

    u_it = ( sum_obs [C (R + u_it v_jt) + rho (A - R - u_it v_jt)] v_jt - rho (g_t - u_it G_tt) )
           / ( sum_obs (C - rho) v_jt^2 + rho G_tt + lam )

with G = V^T V, g = G u_i and R = A - p the residuals on the observed entries, which
are updated as u_i changes. One side costs O(nnz k + n k^2).
"""
from __future__ import annotations

import numpy as np
from numba import njit

# Reassociation lets LLVM vectorise the sums over a row's entries (same order for any
# number of threads, so results stay independent of ``workers``).
_FAST = {"reassoc", "contract"}


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy")
def update_rows(slots, indptr, indices, A, C, R, U, Vt, G, features, locks, rho, lam):
    """Coordinate descent on the rows ``slots`` (int64) of U (float32, row-major,
    n_rows x (k + 2), updated in place).

    indptr, indices : int64, int32: CSR of the observed entries (rows of U, columns = rows of V)
    A, C, R         : float32 (nnz,) target, weight, residual A - p (R is updated)
    Vt              : float32 ((k + 2), n_cols) the fixed side, feature-major
    G               : float64 ((k + 2), (k + 2)) = V^T V
    features        : int64 coordinates to update (the others stay fixed)
    locks           : float32 (n_rows,) rows with 0 are left as they are
    rho, lam        : float (float64)

    g and the sums of each step are float64; U and R are stored float32.
    """
    dim = U.shape[1]
    g = np.empty(dim, dtype=np.float64)
    for i in slots:
        if locks[i] == 0.0:
            continue
        a, b = indptr[i], indptr[i + 1]
        for s in range(dim):
            acc = 0.0
            for t in range(dim):
                acc += G[s, t] * U[i, t]
            g[s] = acc
        for f in range(features.shape[0]):
            t = features[f]
            u = U[i, t]
            num = 0.0
            den = 0.0
            for p in range(a, b):
                v = Vt[t, indices[p]]
                r = R[p]
                num += (C[p] * (r + u * v) + rho * (A[p] - r - u * v)) * v
                den += (C[p] - rho) * v * v
            num -= rho * (g[t] - u * G[t, t])
            den += rho * G[t, t] + lam
            new = num / den
            delta = new - u
            if delta != 0.0:
                U[i, t] = new
                for p in range(a, b):
                    R[p] -= delta * Vt[t, indices[p]]
                for s in range(dim):
                    g[s] += G[s, t] * delta


def confidence(data: np.ndarray, x_max: float) -> np.ndarray:
    """C = min(1, (X / x_max)^0.75), float32, entry by entry (numpy: the same on any slice)."""
    return np.minimum(np.float32(1.0), (np.asarray(data) / np.float32(x_max)) ** np.float32(0.75)).astype(np.float32)


@njit(nogil=True, cache=True)
def observed_terms(indptr, A, C, R, rho):
    """sum over observed entries of C R^2 - rho p^2 (p = A - R), float64.

    ``A``, ``C``, ``R`` float32 (nnz,); ``indptr`` int64 gives nnz (``indptr[-1]``).
    """
    total = 0.0
    for p in range(indptr[-1]):
        pred = A[p] - R[p]
        total += C[p] * R[p] * R[p] - rho * pred * pred
    return total


@njit(nogil=True, cache=True)
def residuals(indptr, indices, A, U, V, R):
    """R = A - U V^T on the observed entries (U, V float32 row-major with matching width).

    ``indptr`` int64, ``indices`` int32; ``A`` float32 (nnz,); each prediction summed in
    float64, ``R`` float32 (nnz,).
    """
    dim = U.shape[1]
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            pred = 0.0
            for t in range(dim):
                pred += U[i, t] * V[j, t]
            R[p] = A[p] - pred


@njit(nogil=True, cache=True)
def gather(src, positions, out):
    """out[q] = src[positions[q]]; ``src``, ``out`` float32, ``positions`` int32 or int64."""
    for q in range(positions.shape[0]):
        out[q] = src[positions[q]]


@njit(nogil=True, cache=True)
def scatter(src, positions, out):
    """out[positions[q]] = src[q]; ``src``, ``out`` float32, ``positions`` int32 or int64."""
    for q in range(positions.shape[0]):
        out[positions[q]] = src[q]
