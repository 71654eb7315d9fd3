"""Numba kernels of word2vec with noise words shared between examples (``kernel="batched"``).

word2vec.c (:func:`~wordlab.trainers._word2vec_kernels.train_sentences`) draws
``negative`` noise words for every example: every (context, centre) pair of skip-gram,
every centre of CBOW. An example's input rows are those of its neighbours too, so they
are in the cache; what an example costs is fetching its 1 + ``negative`` output rows
from random places in ``syn1``. These kernels keep word2vec.c's update, example after
example on the rows themselves, and draw the noise words less often, so that the rows
an example scores are mostly rows a recent example has just brought into the cache:

- skip-gram: the pairs of one window share their targets, the centre word and one draw
  of ``negative`` noise words (HogBatch's sharing; Ji et al. 2016, "Parallelizing
  Word2Vec in Shared and Distributed Memory", whose pWord2Vec code also batches the
  window's pairs into matrix products on local copies of the rows);
- CBOW: ``share`` centres, 2 * window + 1 positions apart, share one draw.

Each example's targets are scored before any of them is updated (the dot products are
independent, so the CPU overlaps them). What changes against word2vec.c is the noise:
each example still sees ``negative`` words from the noise distribution, but some of its
neighbours see the same ones, and an example scores noise rows another has just moved.
The matrix form of HogBatch (every pair of a window scored against the rows as they
were at its start, then scatter-added) was measured too: slower than this one, and 0.011
below the exact kernel on SimLex-999 over 3 seeds (``evals/README.md``).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._sampling import draw_noise
from ._word2vec_kernels import (_add_to_context, _context_mean, _scored_update, _sentence_alpha,
                                _sentence_buffer, _subsample, _window)

SGNS_NOISE_SHARE = 1     # skip-gram windows that share one set of noise words (see train_sgns_batched)
CBOW_NOISE_SHARE = 8     # CBOW centres that share one set of noise words (see train_cbow_batched)


@njit(nogil=True, cache=True, inline="always")
def _noise_set(noise, uses, r, share, negative, accept, alias, state):
    """Set r of the ring of noise sets (int64 (ring, negative)), drawn afresh when it has
    served ``share`` examples (``uses`` int64 (ring,) counts them); returns (r, state)."""
    if uses[r] == 0:
        for d in range(negative):
            noise[r, d], state = draw_noise(state, accept, alias)
    uses[r] = (uses[r] + 1) % share
    return r, state


@njit(nogil=True, cache=True, inline="always")
def _targets(targets, centre, noise, r, negative):
    """targets = [centre] + the words of noise set r other than it (word2vec.c drops a
    draw of the target); returns their number."""
    targets[0] = centre
    nt = 1
    for d in range(negative):
        if noise[r, d] != centre:
            targets[nt] = noise[r, d]
            nt += 1
    return nt


@njit(nogil=True, cache=True, fastmath=True)
def train_sgns_batched(tokens, offsets, first, last, syn0, syn1, lock, keep, accept, alias, window, negative,
                       share, alpha_start, alpha_end, state, train_context, sig_table, nlog_table):
    """Skip-gram on sentences ``first..last-1``, the pairs of a window sharing their targets.

    Arguments as :func:`~wordlab.trainers._word2vec_kernels.train_sentences`, less
    ``cbow`` and ``cbow_mean``. Per centre, ``negative`` noise words are drawn once (a draw
    of the centre is dropped, as word2vec.c does); then each context word of its window
    in turn is trained against the centre and those noise words exactly as word2vec.c
    trains a pair. Returns ``(loss, n_examples, state)``: the summed negative
    log-likelihood (float64), the number of (centre, context) pairs, and the advanced
    random state (uint64).
    """
    dim = syn0.shape[1]
    ring = 2 * window + 1
    noise = np.empty((ring, max(negative, 1)), dtype=np.int64)
    uses = np.zeros(ring, dtype=np.int64)
    targets = np.empty(negative + 1, dtype=np.int64)
    scores = np.empty(negative + 1, dtype=np.float32)
    neu1e = np.empty(dim, dtype=np.float32)
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
            r, state = _noise_set(noise, uses, i % ring, share, negative, accept, alias, state)
            nt = _targets(targets, centre, noise, r, negative)
            for j in range(lo, hi):
                if j == i:
                    continue
                c = buf[j]
                h = syn0[c]
                for k in range(dim):
                    neu1e[k] = 0.0
                loss += _scored_update(h, neu1e, syn1, targets, nt, alpha, train_context, sig_table, nlog_table,
                                       scores)
                examples += 1
                m = lock[c]
                if m != 0.0:
                    for k in range(dim):
                        h[k] += m * neu1e[k]
    return loss, examples, state


@njit(nogil=True, cache=True, fastmath=True)
def train_cbow_batched(tokens, offsets, first, last, syn0, syn1, lock, keep, accept, alias, window, negative,
                       cbow_mean, share, alpha_start, alpha_end, state, train_context, sig_table, nlog_table):
    """CBOW on sentences ``first..last-1``, ``share`` centres sharing one draw of noise words.

    Arguments and result as :func:`~wordlab.trainers._word2vec_kernels.train_sentences`,
    less ``cbow``, plus ``share``. The kernel keeps R = 2 * window + 1 sets of
    ``negative`` noise words; centre i of a sentence uses set i mod R, and a set is
    drawn afresh every ``share`` uses. So the centres that share a set are R positions
    apart and no window holds two of them, while the R sets' rows (R * negative rows,
    22 KB at dim 100) stay in the cache: a centre fetches 1 + ``negative`` / ``share``
    new output rows instead of 1 + ``negative``. Shared by consecutive centres instead,
    whose windows and so hidden layers nearly coincide, the same saving cost 1.3 to 2
    points of analogy accuracy in side runs (``evals/README.md``).
    """
    dim = syn0.shape[1]
    ring = 2 * window + 1
    noise = np.empty((ring, max(negative, 1)), dtype=np.int64)
    uses = np.zeros(ring, dtype=np.int64)
    targets = np.empty(negative + 1, dtype=np.int64)
    scores = np.empty(negative + 1, dtype=np.float32)
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
            r, state = _noise_set(noise, uses, i % ring, share, negative, accept, alias, state)
            if _context_mean(neu1, syn0, buf, lo, hi, i, cbow_mean) == 0:
                continue
            nt = _targets(targets, buf[i], noise, r, negative)
            for k in range(dim):
                neu1e[k] = 0.0
            loss += _scored_update(neu1, neu1e, syn1, targets, nt, alpha, train_context, sig_table, nlog_table,
                                   scores)
            examples += 1
            _add_to_context(syn0, buf, lo, hi, i, lock, neu1e)
    return loss, examples, state
