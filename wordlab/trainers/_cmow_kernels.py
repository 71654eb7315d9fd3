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

Backward pass through the product P = A_q X_{w_q} S_{q+1} of the context words
w_0 ... w_{n-1} (A_q = X_{w_0} ... X_{w_{q-1}}, the prefix before q; S_{q+1} the suffix
after it; A_0 = S_n = I): dL/dX_{w_q} = A_q^T G S_{q+1}^T with G = dL/dP. The forward
pass keeps the prefixes A_q; the backward pass needs S_{q+1} only through
C_q = G S_{q+1}^T, which it builds from the right, C_{n-1} = G, C_{q-1} = C_q X_{w_q}^T,
before any X moves. So an example costs 3 (n - 1) k x k products, O(n k^3), not
O(n^2 k^3) (products with A_0 = I are skipped).

Where the time goes (k = 20, window 5, K = 20, Adam): the 3 (n - 1) = 27 products and
Adam's updates of the 21 output rows and the n matrices, each row with its state three
times its width; these rows are scattered over memory, and an example reads and writes
about 150 kB of them. See the comments on the helpers for what made each fast.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._sampling import draw_noise, lcg_next, uniform_below

_FAST = {"reassoc", "contract"}
_TWO32 = np.uint64(1 << 32)


# The k x k products go to BLAS (np.dot in nopython mode calls sgemm; for k = 20 OpenBLAS's
# small-matrix kernel is about four times faster than a loop Numba compiles without knowing
# k), always with its ``out`` argument: np.dot without it allocates its result, which cost
# almost as much again as the product (about 0.65 against 0.37 us). The trainer's threads
# each call a single-threaded sgemm: OpenBLAS does not split products this small.
_B1, _B2, _EPS = np.float32(0.9), np.float32(0.999), np.float32(1e-8)
_C1, _C2 = np.float32(1 - _B1), np.float32(1 - _B2)


# The loops below run over whole arrays from index 0, on views, never over a range that
# starts at a run-time offset: Numba wraps negative indices, and an index whose sign LLVM
# cannot tell defeats vectorisation (it gathered, or ran the scalar loop). So does a loop
# that writes more than about three arrays (too many run-time overlap checks): hence the
# output row's update in two passes.
@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _adam_step(param, st, grad, scale, lr):
    """One lazy Adam step on a row (Kingma and Ba 2015) for the gradient ``scale * grad``.

    ``param``, ``grad`` float32 (n,); ``st`` float32 (2n + 1,) is the row's state
    [m (n) | v (n) | t], the step count t stored as a float32; bias correction uses the
    row's own step count t, so rows that are rarely touched are corrected as Adam intends.
    """
    n = param.shape[0]
    _adam_update(param, st[:n], st[n:2 * n], grad, scale, _adam_rate(st, n, lr))


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _adam_rate(st, n, lr):
    """Count the row's step (st[2n]) and return its bias-corrected rate, float32."""
    t = st[2 * n] + np.float32(1.0)
    st[2 * n] = t
    return np.float32(lr * math.sqrt(1.0 - _B2 ** t) / (1.0 - _B1 ** t))


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _adam_update(param, m, v, grad, scale, lr_t):
    """Adam's update of param (moments m, v, all float32 (n,)) for ``scale * grad``.

    In float32 throughout, so that the loop vectorises in single precision: in float64
    (and, inlined, scalar) the square root and the division made Adam half of an
    example's time.
    """
    for j in range(param.shape[0]):
        gj = scale * grad[j]
        mj = _B1 * m[j] + _C1 * gj
        vj = _B2 * v[j] + _C2 * gj * gj
        m[j] = mj
        v[j] = vj
        param[j] -= lr_t * mj / (np.float32(math.sqrt(vj)) + _EPS)


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _output_step(o, st, h, grad, g_lo, g_hi, d, lr):
    """Adam's step on the output row o (width D, state st) of a scored word, whose score's
    dL/dz is g_lo for the CBOW part [0, d) and g_hi for the CMOW part [d, D): dL/do = g h;
    dL/dh = g o is added to grad first, with o as it was before the step."""
    D = o.shape[0]
    lr_t = _adam_rate(st, D, lr)
    _output_part(o[:d], st[:d], st[D:D + d], h[:d], grad[:d], g_lo, lr_t)
    _output_part(o[d:], st[d:D], st[D + d:2 * D], h[d:], grad[d:], g_hi, lr_t)


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def _output_part(o, m, v, h, grad, g, lr_t):
    for j in range(o.shape[0]):
        grad[j] += g * o[j]
    _adam_update(o, m, v, h, g, lr_t)


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


# llvm.prefetch's name carries its pointer type: "p0i8" (i8*) before LLVM 15, "p0" since.
_PREFETCH = "llvm.prefetch.p0" if llvm_version_info[0] >= 15 else "llvm.prefetch.p0i8"


@intrinsic
def _prefetch(typingctx, arr, index):
    """Hint the CPU to fetch the cache line of arr[index] (1-d; a read, to be kept in
    all cache levels)."""
    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _PREFETCH)
        builder.call(fn, [builder.bitcast(ptr, cgutils.voidptr_t), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return types.void(arr, index), codegen


@njit(nogil=True, cache=True, inline="always")
def _prefetch_row(row):
    """Start loading a float32 row into the caches (a 64-byte line holds 16 floats)."""
    for j in range(0, row.shape[0], 16):
        _prefetch(row, j)


@njit(nogil=True, cache=True, inline="always")
def _copy(a, out):
    """out[:, :] = a for k x k arrays (a loop: Numba's slice assignment allocates a
    temporary copy whenever the two might overlap)."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = a[i, j]


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy", inline="always")
def encode_product(X, ids, k, out, tmp):
    """out (k x k) = X_{ids[0]} @ X_{ids[1]} @ ...; the identity for no ids.

    ``X`` float32 (n_words, k*k), row-major matrices; ``out``, ``tmp`` float32 (k, k).
    """
    for i in range(k):
        for j in range(k):
            out[i, j] = 1.0 if i == j else 0.0
    for q in range(ids.shape[0]):
        np.dot(out, X[ids[q]].reshape((k, k)), tmp)
        _copy(tmp, out)


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
    X3 = X.reshape((X.shape[0], k, k))                      # X3[w] = X_w, a k x k view
    pre = np.empty((n_max + 1, k, k), dtype=np.float32)     # pre[q] = A_q (q >= 1)
    C = np.empty((n_max, k, k), dtype=np.float32)           # C[q] = G S_{q+1}^T
    gX = np.empty((k, k), dtype=np.float32)
    h = np.empty(D, dtype=np.float32)
    grad = np.empty(D, dtype=np.float32)    # dL/dh
    gout = np.empty(D, dtype=np.float32)    # dL/do for the current output word
    h_cmow = h[d:]
    acc = np.empty(d, dtype=np.float64)     # the CBOW sum
    own_cmow = residual and use_cbow and has_cmow
    ctx = np.empty(n_max, dtype=np.int32)
    noise = np.empty(negative, dtype=np.int64)
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
            # The noise words are drawn up front (the same draws, in the same order), so
            # that their rows of O and Adam's state, scattered over memory, start loading
            # while the encoder runs (about 5 % faster with a 14k-word vocabulary).
            for r in range(negative):
                noise[r], state = draw_noise(state, accept, alias)
            if update_output:
                for r in range(negative + 1):
                    word = target if r == 0 else noise[r - 1]
                    _prefetch_row(O[word])
                    if adam:
                        _prefetch_row(AO[word])
            if adam:
                for q in range(n):
                    if has_cmow:
                        _prefetch_row(AX[ctx[q]])
                    if use_cbow:
                        _prefetch_row(AE[ctx[q]])
            # -- forward
            for j in range(d):
                acc[j] = 0.0
            if use_cbow:
                for q in range(n):              # row by row: contiguous, vectorised
                    e = E[ctx[q]]
                    for j in range(d):
                        acc[j] += e[j]
            for j in range(d):
                h[j] = acc[j]
            if has_cmow:                    # A_1 = X_{w_0}; A_{q+1} = A_q X_{w_q}
                _copy(X3[ctx[0]], pre[1])
                for q in range(1, n):
                    np.dot(pre[q], X3[ctx[q]], pre[q + 1])
                _copy(pre[n], h_cmow.reshape((k, k)))
            for j in range(D):
                grad[j] = 0.0
            # -- output layer: the target, then K noise words
            for r in range(negative + 1):
                if r == 0:
                    word = target
                    label = 1.0
                    weight = np.float32(1.0)
                else:
                    word = noise[r - 1]
                    if word == target:
                        continue
                    label = 0.0
                    weight = inv_neg
                o = O[word]
                z_cbow = 0.0
                for j in range(d):
                    z_cbow += o[j] * h[j]
                z_cmow = 0.0
                o_cmow = o[d:]
                for j in range(kk):
                    z_cmow += o_cmow[j] * h_cmow[j]
                z = z_cbow + z_cmow
                if label > 0:
                    loss -= _log_sigmoid(z)
                else:
                    loss -= weight * _log_sigmoid(-z)
                g = np.float32(weight * (_sigmoid(z) - label))      # dL/dz
                g_cmow = np.float32(weight * (_sigmoid(z_cmow) - label)) if own_cmow else g
                if update_output and adam:
                    _output_step(o, AO[word], h, grad, g, g_cmow, d, alpha)
                    continue
                for j in range(d):
                    grad[j] += g * o[j]
                    gout[j] = g * h[j]
                for j in range(d, D):
                    grad[j] += g_cmow * o[j]
                    gout[j] = g_cmow * h[j]
                if update_output:
                    for j in range(D):
                        o[j] -= alpha * gout[j]
            examples += 1
            # -- backward into the encoder: dL/dX_{w_q} = A_q^T C_q with C_q = G S_{q+1}^T,
            # all C_q computed before any X moves (C_{n-1} = G, C_{q-1} = C_q X_{w_q}^T)
            if has_cmow:
                _copy(grad[d:].reshape((k, k)), C[n - 1])
                for q in range(n - 1, 0, -1):
                    np.dot(C[q], X3[ctx[q]].T, C[q - 1])
            for q in range(n):
                w = ctx[q]
                lock = locks[w] * alpha
                if lock == 0.0:
                    continue
                if has_cmow:
                    gXq = C[q]                  # A_0 = I
                    if q > 0:
                        np.dot(pre[q].T, C[q], gX)
                        gXq = gX
                if adam:
                    if use_cbow:
                        _adam_step(E[w], AE[w], grad[:d], np.float32(1.0), alpha)
                    if has_cmow:
                        _adam_step(X[w], AX[w], gXq.reshape(-1), np.float32(1.0), alpha)
                    continue
                if use_cbow:
                    for j in range(d):
                        E[w, j] -= lock * grad[j]
                if has_cmow:
                    for i in range(k):
                        for j in range(k):
                            X3[w, i, j] -= lock * gXq[i, j]
    return loss, examples, state
