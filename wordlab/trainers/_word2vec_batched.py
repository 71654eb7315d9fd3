"""Numba kernel of skip-gram with shared negatives per window (HogBatch; Ji et al. 2016,
"Parallelizing Word2Vec in Shared and Distributed Memory", the pWord2Vec code).

word2vec.c's skip-gram (:func:`~wordlab.trainers._word2vec_kernels.train_sentences`)
trains each (context, centre) pair of a window on its own: the context word's input
row against the centre's output row and ``negative`` noise rows drawn for that pair.
Here the pairs of one window share their targets: the centre word and one set of
``negative`` noise words drawn for the whole window. With C the window's context rows
(B x dim, B <= 2 * window) and T the target rows ((1 + negative) x dim), all read
into local copies at the start of the window:

    S  = C T^T                          scores, B x (1 + negative)
    G  = (Y - sigmoid(S)) * alpha       Y: 1 in the centre's column, 0 elsewhere
    dC = G T,  dT = G^T C               input and output gradients
    syn0[contexts] += lock * dC,  syn1[targets] += dT      (scatter-add)

The three products are loops over dim that the compiler vectorises (a BLAS call per
window of 100-dimensional rows costs more than it saves). What changes against
word2vec.c: (1) the noise words of a window are shared by its pairs, so a window
draws ``negative`` words instead of ``negative`` per pair, and the noise seen by one
pair is no longer independent of its neighbour's; (2) every pair of a window is
scored against the rows as they were at the window's start, not after the previous
pair's update (a mini-batch of B pairs, as Hogwild threads already see each other's
updates late). A word present twice in a window, or drawn twice, gets both gradients
(scatter-add), computed at the same point. The sigmoid, its saturation and the loss
are word2vec.c's (:func:`~wordlab.trainers._word2vec_kernels._sigmoid_and_loss`).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._sampling import draw_noise
from ._word2vec_kernels import _sentence_alpha, _sentence_buffer, _sigmoid_and_loss, _subsample, _window


@njit(nogil=True, cache=True, fastmath=True)
def train_sgns_batched(tokens, offsets, first, last, syn0, syn1, lock, keep, accept, alias, window, negative,
                       alpha_start, alpha_end, state, train_context, sig_table, nlog_table):
    """Skip-gram on sentences ``first..last-1`` with one target set per window.

    Arguments as :func:`~wordlab.trainers._word2vec_kernels.train_sentences`, less
    ``cbow`` and ``cbow_mean``. Returns ``(loss, n_examples, state)``: the summed
    negative log-likelihood over every (pair, target) (float64), the number of
    (centre, context) pairs, and the advanced random state (uint64).
    """
    dim = syn0.shape[1]
    width = 2 * window
    ctx = np.empty((width, dim), dtype=np.float32)          # C: the window's context rows
    d_ctx = np.empty((width, dim), dtype=np.float32)        # dC
    out = np.empty((negative + 1, dim), dtype=np.float32)   # T: the target rows
    d_out = np.empty((negative + 1, dim), dtype=np.float32)  # dT
    ids = np.empty(width, dtype=np.int64)
    targets = np.empty(negative + 1, dtype=np.int64)
    buf, total_words = _sentence_buffer(offsets, first, last)
    loss = 0.0
    examples = 0
    for s in range(first, last):
        alpha = _sentence_alpha(offsets, first, s, total_words, alpha_start, alpha_end)
        n, state = _subsample(tokens, offsets[s], offsets[s + 1], keep, state, buf)
        for i in range(n):
            lo, hi, state = _window(state, i, n, window)
            if hi - lo < 2:
                continue
            centre = buf[i]
            b = 0
            for j in range(lo, hi):
                if j != i:
                    ids[b] = buf[j]
                    b += 1
            nt = 1
            targets[0] = centre
            for d in range(negative):
                t, state = draw_noise(state, accept, alias)
                if t != centre:            # as word2vec.c: a draw of the centre is dropped
                    targets[nt] = t
                    nt += 1
            for q in range(nt):
                src = syn1[targets[q]]
                for k in range(dim):
                    out[q, k] = src[k]
                    d_out[q, k] = 0.0
            for p in range(b):
                src = syn0[ids[p]]
                for k in range(dim):
                    ctx[p, k] = src[k]
                    d_ctx[p, k] = 0.0
            for p in range(b):
                for q in range(nt):
                    f = np.float32(0.0)
                    for k in range(dim):
                        f += ctx[p, k] * out[q, k]
                    label = np.float32(1.0) if q == 0 else np.float32(0.0)
                    sig, l = _sigmoid_and_loss(f, label, sig_table, nlog_table)
                    loss += l
                    g = (label - sig) * alpha
                    for k in range(dim):
                        d_ctx[p, k] += g * out[q, k]
                        d_out[q, k] += g * ctx[p, k]
            examples += b
            for p in range(b):
                m = lock[ids[p]]
                if m != 0.0:
                    dst = syn0[ids[p]]
                    for k in range(dim):
                        dst[k] += m * d_ctx[p, k]
            if train_context:
                for q in range(nt):
                    dst = syn1[targets[q]]
                    for k in range(dim):
                        dst[k] += d_out[q, k]
    return loss, examples, state
