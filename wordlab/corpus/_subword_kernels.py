"""Numba kernels of fastText's character n-grams and hash (see :mod:`wordlab.corpus.subwords`).

Words arrive as one uint8 buffer of their UTF-8 bytes, each already wrapped in ``<``
and ``>``, with int64 offsets (n_words + 1). A character is a UTF-8 code point: an
n-gram starts only at a byte that does not continue a code point (``b & 0xC0 != 0x80``)
and takes whole code points, so no character is ever cut in half.
"""
from __future__ import annotations

import numpy as np
from numba import njit

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
_MASK32 = np.uint64(0xFFFFFFFF)


@njit(nogil=True, cache=True, inline="always")
def fnv1a(buf, start, stop):
    """fastText's hash of ``buf[start:stop]`` (uint8): 32-bit FNV-1a in which each byte
    is first sign-extended from int8, as fastText's ``Dictionary::hash`` does (a byte
    >= 0x80 is XORed in as 0xFFFFFF80 | byte). Returns the hash as uint64 (< 2**32)."""
    h = np.uint64(FNV_OFFSET)
    for p in range(start, stop):
        b = np.uint64(buf[p])
        if b >= np.uint64(0x80):
            b |= np.uint64(0xFFFFFF00)
        h = ((h ^ b) * np.uint64(FNV_PRIME)) & _MASK32
    return h


@njit(nogil=True, cache=True, inline="always")
def _is_continuation(byte) -> bool:
    return (byte & 0xC0) == 0x80


@njit(nogil=True, cache=True)
def ngram_spans(buf, start, stop, min_n, max_n, out):
    """The n-grams of the wrapped word ``buf[start:stop]`` as (begin, end) byte spans in
    fastText's order (by first character, then length), written into ``out`` (int64,
    (k, 2)) when it is large enough; returns their number.

    n runs from ``min_n`` to ``max_n`` characters; a lone ``<`` or ``>`` (n = 1 at either
    end) is not an n-gram. The whole wrapped word is one when it is short enough.
    """
    count = 0
    for i in range(start, stop):
        if _is_continuation(buf[i]):
            continue
        j = i
        n = 1
        while j < stop and n <= max_n:
            j += 1
            while j < stop and _is_continuation(buf[j]):
                j += 1
            if n >= min_n and not (n == 1 and (i == start or j == stop)):
                if count < out.shape[0]:
                    out[count, 0] = i
                    out[count, 1] = j
                count += 1
            n += 1
    return count


@njit(nogil=True, cache=True)
def ngram_table(buf, offsets, min_n, max_n, bucket):
    """Every word's n-gram rows: (row_offsets int64 (n_words + 1), rows int32), the rows
    of word w being ``rows[row_offsets[w]:row_offsets[w + 1]]`` = hash % bucket of its
    n-grams, repeats kept (fastText averages over them all)."""
    n_words = offsets.shape[0] - 1
    row_offsets = np.zeros(n_words + 1, dtype=np.int64)
    longest = 0
    for w in range(n_words):
        longest = max(longest, offsets[w + 1] - offsets[w])
    # A word of L bytes has at most L * min(max_n, L) n-grams.
    spans = np.empty((max(longest * min(max(max_n, 1), longest), 1), 2), dtype=np.int64)
    for w in range(n_words):
        row_offsets[w + 1] = row_offsets[w] + ngram_spans(buf, offsets[w], offsets[w + 1], min_n, max_n, spans)
    rows = np.empty(row_offsets[n_words], dtype=np.int32)
    modulus = np.uint64(bucket)
    for w in range(n_words):
        k = ngram_spans(buf, offsets[w], offsets[w + 1], min_n, max_n, spans)
        base = row_offsets[w]
        for q in range(k):
            rows[base + q] = np.int32(fnv1a(buf, spans[q, 0], spans[q, 1]) % modulus)
    return row_offsets, rows
