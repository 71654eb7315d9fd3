"""Numba kernels of CMOW and the hybrid CBOW-CMOW (Mai, Galke and Scherp, ICLR 2019).

Every word w has a k x k matrix X_w (a row of ``X``, read row-major) and, in the hybrid,
a vector e_w. A window of 2c + 1 words loses one target word; the n remaining words,
in order, are encoded as

    h = [ sum_i e_{w_i} ; vec(X_{w_1} X_{w_2} ... X_{w_n}) ]

and the target is scored against K noise words through output vectors o (rows of
``O``) with the logistic loss, averaged over the negatives as in the paper:

    L = -log s(o_t . h) - (1/K) sum_neg log s(-o_n . h)

A hybrid's score splits into its halves' scores, o . h = z_cbow + z_cmow. With
``residual`` the CMOW half (its matrices and its part of o) learns from the loss of its
own score z_cmow, as CMOW alone would, and the CBOW half from the loss of the whole score,
where z_cmow is a given offset: the sum learns what the product leaves over.

Backward pass through the product P = A_{i-1} X_{w_i} S_{i+1} (A: prefix product of the
factors before i, S: suffix product of those after): dL/dX_{w_i} = A_{i-1}^T G S_{i+1}^T with
G = dL/dP. Prefixes and suffixes are computed once per example, so an example costs
O(n k^3), not O(n^2 k^3).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._sampling import draw_noise, lcg_next, uniform_below

_FAST = {"reassoc", "contract"}
_TWO32 = np.uint64(1 << 32)


# The k x k products go to BLAS (np.dot in nopython mode calls sgemm): for k = 20 that is
# about ten times faster than loops Numba compiles without knowing k.
@njit(nogil=True, cache=True, inline="always")
def _matmul(a, b, out):
    """out = a @ b for k x k float32 matrices."""
    out[:, :] = np.dot(a, b)


@njit(nogil=True, cache=True, inline="always")
def _matmul_tn(a, b, out):
    """out = a.T @ b."""
    out[:, :] = np.dot(a.T, b)


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _sub_matmul_nt(a, b, scale, x):
    """x -= scale * (a @ b.T)."""
    g = np.dot(a, b.T)
    k = x.shape[0]
    for i in range(k):
        for j in range(k):
            x[i, j] -= scale * g[i, j]


_B1, _B2, _EPS = np.float32(0.9), np.float32(0.999), np.float32(1e-8)


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _adam_step(param, st, grad, scale, lr):
    """One lazy Adam step on a row (Kingma and Ba 2015) for the gradient ``scale * grad``.

    ``param``, ``grad`` float32 (n,); ``st`` float32 (2n + 1,) is the row's state
    [m (n) | v (n) | t], the step count t stored as a float32; bias correction uses the
    row's own step count t, so rows that are rarely touched are corrected as Adam intends.
    """
    n = param.shape[0]
    t = st[2 * n] + np.float32(1.0)
    st[2 * n] = t
    lr_t = lr * math.sqrt(1.0 - _B2 ** t) / (1.0 - _B1 ** t)
    for j in range(n):
        gj = scale * grad[j]
        m = _B1 * st[j] + (1 - _B1) * gj
        v = _B2 * st[n + j] + (1 - _B2) * gj * gj
        st[j] = m
        st[n + j] = v
        param[j] -= lr_t * m / (math.sqrt(v) + _EPS)


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _log_sigmoid(z):
    """log(1 / (1 + exp(-z))), stable for large |z|."""
    if z >= 0:
        return -math.log1p(math.exp(-z))
    return z - math.log1p(math.exp(z))


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def encode_product(X, ids, k, out, tmp):
    """out (k x k) = X_{ids[0]} @ X_{ids[1]} @ ...; the identity for no ids.

    ``X`` float32 (n_words, k*k), row-major matrices; ``out``, ``tmp`` float32 (k, k).
    """
    for i in range(k):
        for j in range(k):
            out[i, j] = 1.0 if i == j else 0.0
    for q in range(ids.shape[0]):
        _matmul(out, X[ids[q]].reshape((k, k)), tmp)
        out[:, :] = tmp


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy")
def train_windows(tokens, offsets, first, last, X, E, O, locks, keep, accept, alias, k, window, negative,
                  centre_target, alpha_start, alpha_end, state, update_output, train_cbow, residual, AX, AE, AO):
    """Train on sentences ``first:last``; return (loss sum float64, examples, uint64 random
    state).

    tokens   int32 ids; offsets int64 sentence bounds into ``tokens``
    X        float32 (n_words, k*k) word matrices, or (0, 0) without a CMOW part
    E        float32 (n_words, d) CBOW vectors, or (0, 0) without a CBOW part
    O        float32 (n_words, d + k*k) output vectors (d = 0 without a CBOW part, k*k
             counted as 0 without a CMOW part)
    locks    float32 (n_words,)  0 freezes a word's input parameters
    keep     uint64 (n_words,) subsampling thresholds on a 32-bit draw (bits 16..47 of the
             state; keep when draw < keep[w])
    accept, alias  float32, int32 (n_words,): the noise alias table
    k        the matrices' side (the caller passes 1 without a CMOW part)
    alpha_start, alpha_end  float32; state uint64
    centre_target  remove the centre word (else a uniformly drawn word of the window)
    The learning rate goes linearly from alpha_start to alpha_end over these sentences.
    update_output  False freezes O
    train_cbow     False leaves the CBOW half out: its part of h is zero and E does not
                   move, so a hybrid trains as CMOW alone (its warm-up epochs)
    residual       the CMOW half learns from its own score, the CBOW half from the
                   whole (see above); False: both from the whole score (the paper)
    AX, AE, AO  Adam's state for X, E and O, float32 (n_words, 2 * width + 1), one row
                per word: [m | v | step count]; (0, 0) arrays mean plain SGD.

    h and the gradients are float32; the CBOW sum and the scores z_cbow, z_cmow are
    accumulated in float64, and so is the loss.
    """
    adam = AO.shape[0] > 0
    has_cmow = X.shape[0] > 0
    has_cbow = E.shape[0] > 0
    use_cbow = has_cbow and train_cbow
    d = E.shape[1] if has_cbow else 0
    kk = k * k if has_cmow else 0
    D = d + kk
    n_max = 2 * window
    pre = np.empty((n_max + 1, k, k), dtype=np.float32)     # pre[i] = X_1 ... X_i
    suf = np.empty((n_max + 2, k, k), dtype=np.float32)     # suf[i] = X_i ... X_n
    T = np.empty((k, k), dtype=np.float32)
    h = np.empty(D, dtype=np.float32)
    grad = np.empty(D, dtype=np.float32)    # dL/dh
    gout = np.empty(D, dtype=np.float32)    # dL/do for the current output word
    own_cmow = residual and use_cbow and has_cmow
    ctx = np.empty(n_max, dtype=np.int32)
    sent = np.empty(0, dtype=np.int32)
    base = offsets[first]
    total = offsets[last] - base
    loss = 0.0
    examples = 0
    inv_neg = np.float32(1.0 / negative)
    for s in range(first, last):
        a, b = offsets[s], offsets[s + 1]
        # subsampling, before windows are formed (as word2vec)
        if sent.shape[0] < b - a:
            sent = np.empty(b - a, dtype=np.int32)
        L = 0
        for p in range(a, b):
            w = tokens[p]
            if keep[w] < _TWO32:
                state = lcg_next(state)
                if ((state >> np.uint64(16)) & np.uint64(0xFFFFFFFF)) >= keep[w]:
                    continue
            sent[L] = w
            L += 1
        progress = (a - base) / max(total, 1)
        alpha = np.float32(alpha_start + (alpha_end - alpha_start) * progress)
        for p in range(L):
            lo = max(0, p - window)
            hi = min(L - 1, p + window)
            if hi - lo < 1:
                continue
            if centre_target:
                tpos = p
            else:
                state = lcg_next(state)
                tpos = lo + uniform_below(state, hi - lo + 1)
            target = sent[tpos]
            n = 0
            for q in range(lo, hi + 1):
                if q != tpos:
                    ctx[n] = sent[q]
                    n += 1
            # -- forward
            for j in range(d):
                acc = 0.0
                if use_cbow:
                    for q in range(n):
                        acc += E[ctx[q], j]
                h[j] = acc
            if has_cmow:
                for i in range(k):
                    for j in range(k):
                        pre[0, i, j] = 1.0 if i == j else 0.0
                        suf[n + 1, i, j] = pre[0, i, j]
                for q in range(n):
                    _matmul(pre[q], X[ctx[q]].reshape((k, k)), pre[q + 1])
                for q in range(n, 0, -1):
                    _matmul(X[ctx[q - 1]].reshape((k, k)), suf[q + 1], suf[q])
                P = pre[n]
                for i in range(k):
                    for j in range(k):
                        h[d + i * k + j] = P[i, j]
            for j in range(D):
                grad[j] = 0.0
            # -- output layer: the target, then K noise words
            for r in range(negative + 1):
                if r == 0:
                    word = target
                    label = 1.0
                    weight = np.float32(1.0)
                else:
                    word, state = draw_noise(state, accept, alias)
                    if word == target:
                        continue
                    label = 0.0
                    weight = inv_neg
                o = O[word]
                z_cbow = 0.0
                for j in range(d):
                    z_cbow += o[j] * h[j]
                z_cmow = 0.0
                for j in range(d, D):
                    z_cmow += o[j] * h[j]
                z = z_cbow + z_cmow
                if label > 0:
                    loss -= _log_sigmoid(z)
                else:
                    loss -= weight * _log_sigmoid(-z)
                g = np.float32(weight * (_sigmoid(z) - label))      # dL/dz
                g_cmow = np.float32(weight * (_sigmoid(z_cmow) - label)) if own_cmow else g
                for j in range(d):
                    grad[j] += g * o[j]
                    gout[j] = g * h[j]
                for j in range(d, D):
                    grad[j] += g_cmow * o[j]
                    gout[j] = g_cmow * h[j]
                if update_output:
                    if adam:
                        _adam_step(o, AO[word], gout, np.float32(1.0), alpha)
                    else:
                        for j in range(D):
                            o[j] -= alpha * gout[j]
            examples += 1
            # -- backward into the encoder
            for q in range(n):
                w = ctx[q]
                lock = locks[w] * alpha
                if lock == 0.0:
                    continue
                if adam:
                    if use_cbow:
                        _adam_step(E[w], AE[w], grad[:d], np.float32(1.0), alpha)
                    if has_cmow:
                        _matmul_tn(pre[q], grad[d:].reshape((k, k)), T)      # A_{q-1}^T G
                        gX = np.dot(T, suf[q + 2].T)                          # ... S_{q+1}^T
                        _adam_step(X[w], AX[w], gX.reshape(-1), np.float32(1.0), alpha)
                    continue
                if use_cbow:
                    for j in range(d):
                        E[w, j] -= lock * grad[j]
                if has_cmow:
                    G = grad[d:].reshape((k, k))
                    _matmul_tn(pre[q], G, T)                      # A_{q-1}^T G
                    _sub_matmul_nt(T, suf[q + 2], lock, X[w].reshape((k, k)))   # ... S_{q+1}^T
    return loss, examples, state
