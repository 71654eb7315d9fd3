"""Numba kernels of GloVe (Pennington, Socher and Manning 2014), after glove.c.

For a co-occurrence record (i, j, x) the model predicts log x as w_i . w~_j + b_i + b~_j;
the loss is 0.5 f(x) (w_i . w~_j + b_i + b~_j - log x)^2 with
f(x) = min(1, (x / x_max)^power). Parameters move by AdaGrad: each coordinate's step
is eta * gradient / sqrt(sum of its squared past gradients, starting at 1).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

# Reassociation lets LLVM vectorise the dot product; no "nnan"/"ninf", so the
# finiteness guard below keeps its meaning; no "arcp"/"afn", with which LLVM computes
# 1 / sqrt by rsqrtss, an estimate whose bits differ between CPUs (and the vectors with
# them), for no measured speed.
_FAST = {"reassoc", "contract"}


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _adagrad_step(x, sum_sq, grad):
    """x -= grad / sqrt(sum_sq); sum_sq += grad^2 (the step uses the old sum, as glove.c).

    ``x``, ``sum_sq``, ``grad`` float32 (dim,).
    """
    for d in range(x.shape[0]):
        x[d] -= grad[d] / math.sqrt(sum_sq[d])
        sum_sq[d] += grad[d] * grad[d]


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy")
def glove_updates(rows, cols, counts, P, Q, locks, update_context, x_max, power, eta, grad_clip):
    """One AdaGrad step per record, in order; return (loss sum float64, records used, records
    skipped).

    rows, cols : int32 (n,)    word and context ids
    counts     : float32 (n,)  co-occurrence weights (> 0)
    P, Q       : float32 (n_words, 2 * dim + 2), word and context parameters, one row per
                 word packed as [vector (dim) | AdaGrad sums of squares (dim) | bias |
                 bias sum of squares], so that a record touches two rows of memory, not eight
    locks      : float32 (n_words,)  0 freezes a word's vector and bias, 1 trains it
    update_context : bool   False keeps Q fixed (train word vectors only)
    x_max, power, eta, grad_clip : float32 scalars

    The dot product, residual and weight are float32; the loss sum is float64.

    A record whose residual is not finite is skipped and counted (glove.c prints "Caught
    NaN" and carries on). Gradients are clipped to +-grad_clip per coordinate before the
    AdaGrad scaling, as in glove.c; since the sums of squares start at 1 and only grow,
    every step is then finite, so glove.c's second guard (on the summed step) has
    nothing left to catch.
    """
    dim = (P.shape[1] - 2) // 2
    b = 2 * dim              # column of the bias; b + 1: its sum of squares
    loss = 0.0
    used = 0
    skipped = 0
    lo = -grad_clip
    grad_w = np.empty(dim, dtype=np.float32)
    grad_c = np.empty(dim, dtype=np.float32)
    for k in range(rows.shape[0]):
        p = P[rows[k]]
        q = Q[cols[k]]
        x = counts[k]
        w = p[:dim]
        c = q[:dim]
        dot = np.float32(0.0)
        for d in range(dim):
            dot += w[d] * c[d]
        # log and pow in float64, then rounded to float32: glibc's logf and powf are not
        # correctly rounded and differ between CPUs, and the vectors would too.
        diff = dot + p[b] + q[b] - np.float32(math.log(np.float64(x)))
        weight = (np.float32(1.0) if x > x_max
                  else np.float32((np.float64(x) / np.float64(x_max)) ** np.float64(power)))
        fdiff = weight * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            skipped += 1
            continue
        loss += 0.5 * fdiff * diff
        used += 1
        step = eta * fdiff
        lock = locks[rows[k]]
        # Gradients first (from the old W and C), then one AdaGrad step per matrix: short
        # loops over few arrays, which LLVM vectorises (with runtime alias checks).
        for d in range(dim):
            grad_w[d] = min(max(step * c[d], lo), grad_clip) * lock
        if update_context:
            for d in range(dim):
                grad_c[d] = min(max(step * w[d], lo), grad_clip)
            _adagrad_step(c, q[dim:b], grad_c)
            q[b] -= step / math.sqrt(q[b + 1])
            q[b + 1] += step * step
        _adagrad_step(w, p[dim:b], grad_w)
        p[b] -= lock * step / math.sqrt(p[b + 1])
        p[b + 1] += lock * step * step
    return loss, used, skipped


@njit(nogil=True, cache=True)
def gather_records(order, indptr, indices, data, rows, cols, counts):
    """Records ``order`` (int64 positions in the CSR arrays) as (row, column, count) triples.

    ``indptr`` int64, ``indices`` int32, ``data`` float32: the matrix; fills ``rows``,
    ``cols`` int32 and ``counts`` float32, each ``order``'s length.
    """
    n_rows = indptr.shape[0] - 1
    for k in range(order.shape[0]):
        p = order[k]
        lo = 0
        hi = n_rows
        while hi - lo > 1:              # the row r with indptr[r] <= p < indptr[r + 1]
            mid = (lo + hi) >> 1
            if indptr[mid] <= p:
                lo = mid
            else:
                hi = mid
        rows[k] = lo
        cols[k] = indices[p]
        counts[k] = data[p]
