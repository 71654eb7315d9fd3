"""Numba kernel of subword stores: a word's vector as the mean of its rows (see
:mod:`wordlab.store.subwords`); imported only when a subword store composes a vector."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def mean_rows(word_rows, ngrams, offsets, rows, out):
    """out[w] = mean of word_rows[w] and ngrams[rows[offsets[w]:offsets[w + 1]]] (float32
    arithmetic, summed in n-gram order, as fastText does); ``word_rows`` may have no rows,
    then the mean is over the n-grams alone (an unseen word)."""
    dim = out.shape[1]
    own = word_rows.shape[0] > 0
    for w in range(out.shape[0]):
        a, b = offsets[w], offsets[w + 1]
        for k in range(dim):
            out[w, k] = word_rows[w, k] if own else np.float32(0.0)
        for p in range(a, b):
            r = ngrams[rows[p]]
            for k in range(dim):
                out[w, k] += r[k]
        n = (b - a) + (1 if own else 0)
        if n > 1:
            inv = np.float32(1.0 / n)
            for k in range(dim):
                out[w, k] *= inv
