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


@njit(nogil=True, cache=True, fastmath=False)
def glove_updates(rows, cols, counts, W, C, bw, bc, gW, gC, gbw, gbc, locks, update_context,
                  x_max, power, eta, grad_clip):
    """One AdaGrad step per record, in order; return (loss sum, records used, records skipped).

    rows, cols : int32 (n,)     word and context ids
    counts     : float32 (n,)   co-occurrence weights (> 0)
    W, C       : float32 (n_words, dim)   word and context vectors
    bw, bc     : float32 (n_words,)       word and context biases
    gW, gC, gbw, gbc : float32, same shapes  AdaGrad's sums of squared gradients
    locks      : float32 (n_words,)  0 freezes a word's vector and bias, 1 trains it
    update_context : bool   False keeps C and bc fixed (train word vectors only)

    A record whose residual or update is not finite is skipped (glove.c prints
    "Caught NaN" and carries on; here the count is returned). Gradients are clipped
    to +-grad_clip per coordinate before the AdaGrad scaling, as in glove.c.
    """
    dim = W.shape[1]
    loss = 0.0
    used = 0
    skipped = 0
    upd_w = np.empty(dim, dtype=np.float32)
    upd_c = np.empty(dim, dtype=np.float32)
    for k in range(rows.shape[0]):
        i = rows[k]
        j = cols[k]
        x = counts[k]
        diff = 0.0
        for d in range(dim):
            diff += W[i, d] * C[j, d]
        diff += bw[i] + bc[j] - math.log(x)
        weight = 1.0 if x > x_max else (x / x_max) ** power
        fdiff = weight * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            skipped += 1
            continue
        loss += 0.5 * fdiff * diff
        used += 1
        step = eta * fdiff
        lock = locks[i]
        sum_w = 0.0
        sum_c = 0.0
        for d in range(dim):
            gw = min(max(step * C[j, d], -grad_clip), grad_clip)   # gradient for W[i, d]
            gc = min(max(step * W[i, d], -grad_clip), grad_clip)   # gradient for C[j, d]
            upd_w[d] = gw / math.sqrt(gW[i, d])
            upd_c[d] = gc / math.sqrt(gC[j, d])
            sum_w += upd_w[d]
            sum_c += upd_c[d]
            gW[i, d] += gw * gw * lock
            if update_context:
                gC[j, d] += gc * gc
        if math.isfinite(sum_w) and math.isfinite(sum_c):
            for d in range(dim):
                W[i, d] -= upd_w[d] * lock
                if update_context:
                    C[j, d] -= upd_c[d]
        db_w = step / math.sqrt(gbw[i])
        db_c = step / math.sqrt(gbc[j])
        if math.isfinite(db_w) and math.isfinite(db_c):
            bw[i] -= db_w * lock
            gbw[i] += step * step * lock
            if update_context:
                bc[j] -= db_c
                gbc[j] += step * step
    return loss, used, skipped


@njit(nogil=True, cache=True)
def gather_records(order, indptr, indices, data, rows, cols, counts):
    """Records ``order`` (positions in the CSR arrays) as (row, column, count) triples."""
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
