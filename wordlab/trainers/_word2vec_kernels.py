"""Numba kernels of word2vec with negative sampling (skip-gram and CBOW).

Each call trains on sentences ``first..last-1`` of the token ids it is given (the stream
trainers pass one sub-chunk of the encoded corpus, with offsets local to it), in order,
Hogwild-style: several threads call it at once on disjoint sentence ranges and
share ``syn0`` (input vectors) and ``syn1`` (output/context vectors), both float32
(n_words, dim), without locks.

The update rules are word2vec.c's (Mikolov et al. 2013):

    for each positive or negative target t with label y in {1, 0}:
        g      = (y - sigmoid(syn0[c] . syn1[t])) * alpha
        neu1e += g * syn1[t]
        syn1[t] += g * syn0[c]              (skipped when the output matrix is frozen)
    syn0[c] += lock[c] * neu1e              (lock 0 freezes a row)

Skip-gram, as in word2vec.c and gensim, uses each context word's input vector to
predict the centre word. CBOW predicts the centre from the mean (or sum) of the
context vectors and adds the same ``neu1e`` to every context word.

The sigmoid comes from word2vec.c's table over [-6, 6]; beyond it the sigmoid
saturates to 0 or 1 and the update is still applied (word2vec.c). gensim instead
skips such a pair; we follow word2vec.c because a saturated negative sample still
carries the full gradient -alpha, which is what the true sigmoid gives in the limit.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._sampling import draw_noise, lcg_next, uniform_below

MAX_EXP = 6.0
EXP_TABLE_SIZE = 1000
_TWO32 = np.uint64(1 << 32)


def sigmoid_tables() -> tuple[np.ndarray, np.ndarray]:
    """word2vec.c's sigmoid table, and -log(sigmoid) on the same grid (for the loss):
    both float32 (EXP_TABLE_SIZE,), computed in float64."""
    x = (np.arange(EXP_TABLE_SIZE, dtype=np.float64) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    return sig.astype(np.float32), (-np.log(sig)).astype(np.float32)


@njit(nogil=True, cache=True, inline="always")
def _sigmoid_and_loss(f, label, sig_table, nlog_table):
    """sigmoid(f) with word2vec.c's saturation, and -log P(label | f)."""
    scale = EXP_TABLE_SIZE / MAX_EXP / 2.0
    if f >= MAX_EXP:
        sig = np.float32(1.0)
    elif f <= -MAX_EXP:
        sig = np.float32(0.0)
    else:
        sig = sig_table[int((f + MAX_EXP) * scale)]
    z = f if label > 0 else -f          # loss is -log sigmoid(z)
    if z >= MAX_EXP:
        loss = 0.0
    elif z <= -MAX_EXP:
        loss = -z
    else:
        loss = nlog_table[int((z + MAX_EXP) * scale)]
    return sig, loss


@njit(nogil=True, cache=True, inline="always")
def _subsample(tokens, start, stop, keep, state, buf):
    """Copy the kept tokens of tokens[start:stop] (int32) into ``buf`` (int32); returns
    (n_kept, state).

    ``keep`` uint64 (n_words,): :func:`~wordlab.trainers._sampling.keep_thresholds`; a
    token is kept when bits 16..47 of the next uint64 state are below its threshold (no
    draw for a threshold of 2**32).
    """
    n = 0
    for p in range(start, stop):
        w = tokens[p]
        threshold = keep[w]
        if threshold < _TWO32:
            state = lcg_next(state)
            if ((state >> np.uint64(16)) & np.uint64(0xFFFFFFFF)) >= threshold:
                continue
        buf[n] = w
        n += 1
    return n, state


@njit(nogil=True, cache=True, inline="always")
def _sentence_buffer(offsets, first, last):
    """A buffer (int32) for the kept tokens of the longest of sentences ``first..last-1``,
    and their number of tokens (at least 1: the learning rate's schedule divides by it)."""
    longest = 0
    for s in range(first, last):
        longest = max(longest, offsets[s + 1] - offsets[s])
    return np.empty(longest, dtype=np.int32), max(offsets[last] - offsets[first], 1)


@njit(nogil=True, cache=True, inline="always")
def _sentence_alpha(offsets, first, s, total_words, alpha_start, alpha_end):
    """The learning rate of sentence ``s``: linear in the tokens before it (float32)."""
    done = offsets[s] - offsets[first]
    return np.float32(alpha_start + (alpha_end - alpha_start) * (done / total_words))


@njit(nogil=True, cache=True, inline="always")
def _window(state, i, n, window):
    """Position i's reduced window ``lo..hi-1`` in a sentence of n: a radius uniform in
    1..window (word2vec.c's ``b``); returns (lo, hi, state)."""
    state = lcg_next(state)
    radius = window - uniform_below(state, window)
    return max(0, i - radius), min(n, i + radius + 1), state


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _negative_sampling_update(h, target_word, syn1, neu1e, alpha, negative, accept, alias, state,
                              train_context, sig_table, nlog_table):
    """One positive and ``negative`` noise targets against hidden vector h; updates
    syn1 (unless frozen) and accumulates the input gradient in neu1e.

    ``h``, ``neu1e`` float32 (dim,); ``syn1`` float32 (n_words, dim); ``alpha`` float32;
    ``accept`` float32 and ``alias`` int32 (n_words,); ``state`` uint64. Dot products and
    updates are float32; returns (loss, state), the loss summed in float64. A noise draw
    equal to the target is skipped.
    """
    dim = h.shape[0]
    loss = 0.0
    for d in range(negative + 1):
        if d == 0:
            t = target_word
            label = np.float32(1.0)
        else:
            t, state = draw_noise(state, accept, alias)
            if t == target_word:
                continue
            label = np.float32(0.0)
        out = syn1[t]
        f = np.float32(0.0)
        for k in range(dim):
            f += h[k] * out[k]
        sig, l = _sigmoid_and_loss(f, label, sig_table, nlog_table)
        loss += l
        g = (label - sig) * alpha
        for k in range(dim):
            neu1e[k] += g * out[k]
        if train_context:
            for k in range(dim):
                out[k] += g * h[k]
    return loss, state


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _scored_update(h, neu1e, syn1, targets, nt, alpha, train_context, sig_table, nlog_table, scores):
    """word2vec.c's update of h against ``targets[:nt]`` (the first the positive one, the
    rest noise), all scored before any is updated; accumulates the input gradient in
    ``neu1e`` (float32 (dim,)) and returns the loss (float64)."""
    dim = h.shape[0]
    for q in range(nt):
        out = syn1[targets[q]]
        f = np.float32(0.0)
        for k in range(dim):
            f += h[k] * out[k]
        scores[q] = f
    loss = 0.0
    for q in range(nt):
        label = np.float32(1.0) if q == 0 else np.float32(0.0)
        sig, l = _sigmoid_and_loss(scores[q], label, sig_table, nlog_table)
        loss += l
        g = (label - sig) * alpha
        out = syn1[targets[q]]
        for k in range(dim):
            neu1e[k] += g * out[k]
        if train_context:
            for k in range(dim):
                out[k] += g * h[k]
    return loss


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _scored_negative_sampling(h, target_word, syn1, neu1e, alpha, negative, accept, alias, state, train_context,
                              sig_table, nlog_table, targets, scores):
    """:func:`~wordlab.trainers._word2vec_kernels._negative_sampling_update` with the
    scores of all 1 + ``negative`` targets computed before any update: the dot products
    are independent, so the CPU overlaps them instead of waiting for each in turn. The
    same draws and the same update, except that a row drawn twice for one example is
    scored both times before its first update (word2vec.c updates it in between).
    Measured on the fastText skip-gram kernel: 25-30 % more words/s.
    ``targets`` int64 and ``scores`` float32 (negative + 1,) are scratch."""
    nt = 1
    targets[0] = target_word
    for d in range(negative):
        t, state = draw_noise(state, accept, alias)
        if t != target_word:
            targets[nt] = t
            nt += 1
    return _scored_update(h, neu1e, syn1, targets, nt, alpha, train_context, sig_table, nlog_table, scores), state


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _negative_sampling(scored, h, target_word, syn1, neu1e, alpha, negative, accept, alias, state, train_context,
                       sig_table, nlog_table, targets, scores):
    """:func:`_scored_negative_sampling` when ``scored``, else word2vec.c's update."""
    if scored:
        return _scored_negative_sampling(h, target_word, syn1, neu1e, alpha, negative, accept, alias, state,
                                         train_context, sig_table, nlog_table, targets, scores)
    return _negative_sampling_update(h, target_word, syn1, neu1e, alpha, negative, accept, alias, state,
                                     train_context, sig_table, nlog_table)


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _context_mean(neu1, syn0, buf, lo, hi, i, cbow_mean):
    """CBOW's hidden layer: neu1 = the sum (or, with ``cbow_mean``, the mean) of the rows
    of ``buf[lo:hi]`` other than position i; returns their number."""
    dim = neu1.shape[0]
    for k in range(dim):
        neu1[k] = 0.0
    count = 0
    for j in range(lo, hi):
        if j != i:
            v = syn0[buf[j]]
            for k in range(dim):
                neu1[k] += v[k]
            count += 1
    if cbow_mean and count > 0:
        inv = np.float32(1.0 / count)
        for k in range(dim):
            neu1[k] *= inv
    return count


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _add_to_context(syn0, buf, lo, hi, i, lock, neu1e):
    """CBOW's input update: each context row of ``buf[lo:hi]`` but position i moves by
    lock * neu1e (word2vec.c adds the gradient undivided)."""
    for j in range(lo, hi):
        if j != i:
            c = buf[j]
            m = lock[c]
            if m != 0.0:
                v = syn0[c]
                for k in range(v.shape[0]):
                    v[k] += m * neu1e[k]


@njit(nogil=True, cache=True, fastmath=True)
def train_sentences(tokens, offsets, first, last, syn0, syn1, lock, keep, accept, alias,
                    window, negative, cbow, cbow_mean, alpha_start, alpha_end, state,
                    train_context, sig_table, nlog_table):
    """Train on sentences ``first..last-1``; alpha moves linearly from ``alpha_start``
    to ``alpha_end`` over their tokens.

    tokens     int32 ids; offsets int64 sentence bounds into ``tokens``
    syn0, syn1 float32 (n_words, dim) input and output vectors
    lock       float32 (n_words,)  0 freezes a word's input vector
    keep       uint64 (n_words,) subsampling thresholds (see :func:`_subsample`)
    accept, alias  float32, int32 (n_words,): the noise alias table
    alpha_start, alpha_end  float32; state uint64
    sig_table, nlog_table   float32 (EXP_TABLE_SIZE,), from :func:`sigmoid_tables`

    Returns ``(loss, n_examples, state)``: the summed negative log-likelihood (float64),
    the number of (centre, context) pairs (skip-gram) or centre words (CBOW), and the
    advanced random state (uint64).
    """
    dim = syn0.shape[1]
    neu1 = np.empty(dim, dtype=np.float32)
    neu1e = np.empty(dim, dtype=np.float32)
    buf, total_words = _sentence_buffer(offsets, first, last)
    loss = 0.0
    examples = 0
    for s in range(first, last):
        alpha = _sentence_alpha(offsets, first, s, total_words, alpha_start, alpha_end)
        n, state = _subsample(tokens, offsets[s], offsets[s + 1], keep, state, buf)
        for i in range(n):
            lo, hi, state = _window(state, i, n, window)
            centre = buf[i]
            if cbow:
                if _context_mean(neu1, syn0, buf, lo, hi, i, cbow_mean) == 0:
                    continue
                for k in range(dim):
                    neu1e[k] = 0.0
                l, state = _negative_sampling_update(neu1, centre, syn1, neu1e, alpha, negative, accept,
                                                     alias, state, train_context, sig_table, nlog_table)
                loss += l
                examples += 1
                _add_to_context(syn0, buf, lo, hi, i, lock, neu1e)
            else:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    c = buf[j]
                    for k in range(dim):
                        neu1e[k] = 0.0
                    h = syn0[c]
                    l, state = _negative_sampling_update(h, centre, syn1, neu1e, alpha, negative, accept,
                                                         alias, state, train_context, sig_table, nlog_table)
                    loss += l
                    examples += 1
                    m = lock[c]
                    if m != 0.0:
                        for k in range(dim):
                            h[k] += m * neu1e[k]
    return loss, examples, state
