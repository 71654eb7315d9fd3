"""Numba kernel of fastText-style training: word2vec's loop with subword inputs.

A word's input representation is the mean of its own row of ``syn0`` and the rows of
its character n-grams in ``ngrams`` (Bojanowski et al. 2017):

    h(w) = (syn0[w] + sum_{g in G(w)} ngrams[g]) / (1 + |G(w)|)

Training is that of :mod:`wordlab.trainers._word2vec_kernels` (the same subsampling,
reduced windows, noise draws and update: :func:`_subsample` and
:func:`_negative_sampling` are imported from there), with h(w) in place of
``syn0[w]``; the input gradient ``neu1e`` is added to the word's row (times its lock)
and to each of its n-gram rows, undivided, as fastText's ``Model::update`` does.

- skip-gram, in fastText's order (``FastText::skipgram``): the centre word's h predicts
  each context word of its window. fastText recomputes h for every pair and adds the
  pair's gradient to all of the centre's rows at once. Those rows then move by
  ``neu1e`` (the word's own row by ``lock * neu1e``), so their mean moves by
  ``neu1e * (G + lock) / (1 + G)`` for G distinct n-gram rows (a row listed k times,
  as "ana" in "banana", moves by k * neu1e and counts k times: it adds k^2, see
  :func:`ngram_weights`): the kernel composes h once per
  centre, moves it so after each pair, and adds the window's summed gradient to the
  rows once at its end. That is the same update in exact arithmetic (the float32
  sums round differently), and it reads and writes the 1 + G input rows once per
  window instead of once per pair.
- CBOW: h is the mean over the rows of every context word and all their n-grams
  (fastText's bag of subwords; the sum when ``cbow_mean`` is off).

The sentence and window loop repeats word2vec's on purpose: one loop serving both,
with the n-gram parts behind a run-time test, made SGNS 15-25 % slower (measured on a
4M-token prefix, 2 threads). With n-grams off, :class:`~wordlab.trainers.fasttext.FastText`
calls word2vec's kernel, so the result equals SGNS's or CBOW's bit for bit
(``tests/test_fasttext.py``); skip-gram with n-grams pairs the words the other way
round from word2vec.c's order (a context word's vector predicts the centre).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._word2vec_kernels import _negative_sampling, _sentence_alpha, _sentence_buffer, _subsample, _window


@njit(nogil=True, cache=True)
def ngram_weights(offsets, rows):
    """Per word, the sum over its distinct n-gram rows of (times listed)^2: how far the
    sum of its listed rows moves when each listed row gets one gradient (float32)."""
    n = offsets.shape[0] - 1
    out = np.zeros(n, dtype=np.float32)
    for w in range(n):
        a, b = offsets[w], offsets[w + 1]
        total = 0
        for p in range(a, b):
            for q in range(a, b):
                if rows[p] == rows[q]:
                    total += 1
        out[w] = total
    return out


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _add_rows(acc, w, syn0, ngrams, offsets, rows):
    """acc += syn0[w] + its n-gram rows; returns how many rows were added."""
    dim = acc.shape[0]
    v = syn0[w]
    for k in range(dim):
        acc[k] += v[k]
    for p in range(offsets[w], offsets[w + 1]):
        r = ngrams[rows[p]]
        for k in range(dim):
            acc[k] += r[k]
    return 1 + offsets[w + 1] - offsets[w]


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _apply(w, neu1e, lock, syn0, ngrams, offsets, rows):
    """syn0[w] += lock[w] * neu1e; every n-gram row of w += neu1e."""
    dim = neu1e.shape[0]
    m = lock[w]
    if m != 0.0:
        v = syn0[w]
        for k in range(dim):
            v[k] += m * neu1e[k]
    for p in range(offsets[w], offsets[w + 1]):
        r = ngrams[rows[p]]
        for k in range(dim):
            r[k] += neu1e[k]


@njit(nogil=True, cache=True, fastmath=True)
def train_sentences_subword(tokens, offsets, first, last, syn0, ngrams, sub_offsets, sub_rows, sub_weights, syn1,
                            lock, keep, accept, alias, window, negative, cbow, cbow_mean, alpha_start, alpha_end,
                            state, train_context, sig_table, nlog_table, scored):
    """Train on sentences ``first..last-1`` (arguments as
    :func:`~wordlab.trainers._word2vec_kernels.train_sentences`, plus):

    ngrams       float32 (bucket, dim) n-gram vectors
    sub_offsets  int64 (n_words + 1), sub_rows int32: word w's n-gram rows are
                 ``sub_rows[sub_offsets[w]:sub_offsets[w + 1]]``
    sub_weights  float32 (n_words,): :func:`ngram_weights` of that table
    scored       bool: each example's targets scored before any update
                 (:func:`~wordlab.trainers._word2vec_kernels._scored_negative_sampling`),
                 else word2vec.c's update target by target

    Returns ``(loss, n_examples, state)``.
    """
    dim = syn0.shape[1]
    neu1 = np.empty(dim, dtype=np.float32)
    neu1e = np.empty(dim, dtype=np.float32)
    total_e = np.empty(dim, dtype=np.float32)      # skip-gram: a window's summed input gradient
    targets = np.empty(negative + 1, dtype=np.int64)
    scores = np.empty(negative + 1, dtype=np.float32)
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
                for k in range(dim):
                    neu1[k] = 0.0
                count = 0
                for j in range(lo, hi):
                    if j != i:
                        count += _add_rows(neu1, buf[j], syn0, ngrams, sub_offsets, sub_rows)
                if count == 0:
                    continue
                if cbow_mean:
                    inv = np.float32(1.0 / count)
                    for k in range(dim):
                        neu1[k] *= inv
                for k in range(dim):
                    neu1e[k] = 0.0
                l, state = _negative_sampling(scored, neu1, centre, syn1, neu1e, alpha, negative, accept, alias,
                                              state, train_context, sig_table, nlog_table, targets, scores)
                loss += l
                examples += 1
                for j in range(lo, hi):
                    if j != i:
                        _apply(buf[j], neu1e, lock, syn0, ngrams, sub_offsets, sub_rows)
            else:
                if hi - lo < 2:
                    continue
                for k in range(dim):
                    neu1[k] = 0.0
                    total_e[k] = 0.0
                count = _add_rows(neu1, centre, syn0, ngrams, sub_offsets, sub_rows)
                inv = np.float32(1.0 / count)
                for k in range(dim):
                    neu1[k] *= inv
                # the rows move by neu1e (the word's own by lock * neu1e): their mean by this much
                step = np.float32((sub_weights[centre] + lock[centre]) / count)
                for j in range(lo, hi):
                    if j == i:
                        continue
                    for k in range(dim):
                        neu1e[k] = 0.0
                    l, state = _negative_sampling(scored, neu1, buf[j], syn1, neu1e, alpha, negative, accept,
                                                  alias, state, train_context, sig_table, nlog_table, targets,
                                                  scores)
                    loss += l
                    examples += 1
                    for k in range(dim):
                        total_e[k] += neu1e[k]
                        neu1[k] += step * neu1e[k]
                _apply(centre, total_e, lock, syn0, ngrams, sub_offsets, sub_rows)
    return loss, examples, state


@njit(nogil=True, cache=True, fastmath=True)
def train_cbow_batched(tokens, offsets, first, last, syn0, ngrams, sub_offsets, sub_rows, sub_weights, syn1,
                       lock, keep, accept, alias, window, negative, cbow_mean, alpha_start, alpha_end,
                       state, train_context, sig_table, nlog_table, scored):
    """CBOW with each position's rows read once and written once (``kernel="batched"``).

    Arguments and result as :func:`train_sentences_subword`, less ``cbow``. The exact
    kernel reads the 1 + G rows of every context word for every centre whose window
    holds it (about 2 * window times) and adds each centre's ``neu1e`` to all of them.
    This one keeps, for the 2 * window + 1 positions a window can reach, the sum of each
    position's rows (composed when the position enters the reach) and the gradient owed
    to them: a centre's input is built from those sums, its ``neu1e`` moves each context
    position's sum as the rows would move (by ``(lock + sub_weights[w]) * neu1e``) and
    is added to what the position owes, and the rows receive what they are owed once,
    when the position leaves the reach. Every row gets the same total gradient as under the
    exact kernel and each position sees its own updates at once; what a position does
    not see is, within one reach, another position's update to a row they share (the
    same word twice in a window, or a common n-gram): the staleness Hogwild threads
    already have between them.
    """
    dim = syn0.shape[1]
    reach = 2 * window + 1
    sums = np.zeros((reach, dim), dtype=np.float32)     # slot p % reach: position p's row sum
    owed = np.zeros((reach, dim), dtype=np.float32)     # ... and the gradient its rows are owed
    neu1 = np.empty(dim, dtype=np.float32)
    neu1e = np.empty(dim, dtype=np.float32)
    targets = np.empty(negative + 1, dtype=np.int64)
    scores = np.empty(negative + 1, dtype=np.float32)
    buf, total_words = _sentence_buffer(offsets, first, last)
    loss = 0.0
    examples = 0
    for s in range(first, last):
        alpha = _sentence_alpha(offsets, first, s, total_words, alpha_start, alpha_end)
        n, state = _subsample(tokens, offsets[s], offsets[s + 1], keep, state, buf)
        loaded = 0                       # positions 0..loaded-1 have entered the reach
        flushed = 0                      # positions 0..flushed-1 have left it
        for i in range(n):
            lo, hi, state = _window(state, i, n, window)
            while loaded < hi:
                slot = sums[loaded % reach]
                for k in range(dim):
                    slot[k] = 0.0
                    owed[loaded % reach, k] = 0.0
                _add_rows(slot, buf[loaded], syn0, ngrams, sub_offsets, sub_rows)
                loaded += 1
            for k in range(dim):
                neu1[k] = 0.0
            count = 0
            for j in range(lo, hi):
                if j != i:
                    v = sums[j % reach]
                    for k in range(dim):
                        neu1[k] += v[k]
                    count += 1 + sub_offsets[buf[j] + 1] - sub_offsets[buf[j]]
            if count > 0:
                if cbow_mean:
                    inv = np.float32(1.0 / count)
                    for k in range(dim):
                        neu1[k] *= inv
                for k in range(dim):
                    neu1e[k] = 0.0
                l, state = _negative_sampling(scored, neu1, buf[i], syn1, neu1e, alpha, negative, accept, alias,
                                              state, train_context, sig_table, nlog_table, targets, scores)
                loss += l
                examples += 1
                for j in range(lo, hi):
                    if j != i:
                        w = buf[j]
                        step = np.float32(lock[w] + sub_weights[w])
                        v = sums[j % reach]
                        o = owed[j % reach]
                        for k in range(dim):
                            v[k] += step * neu1e[k]
                            o[k] += neu1e[k]
            # position i - window is out of every later window's reach
            while flushed <= i - window:
                _apply(buf[flushed], owed[flushed % reach], lock, syn0, ngrams, sub_offsets, sub_rows)
                flushed += 1
        while flushed < loaded:
            _apply(buf[flushed], owed[flushed % reach], lock, syn0, ngrams, sub_offsets, sub_rows)
            flushed += 1
    return loss, examples, state
