"""Numba kernels of row-range counting (see :mod:`wordlab.cooccur.rows`).

A row-range task counts the rows ``first:last`` of the matrix over the *whole* encoded
corpus, reading the token ids where they lie (memory-mapped ``tokens.npy`` or its shards) instead of
a segment's stream. It gathers the corpus positions of its rows' occurrences, then
walks each occurrence's window inside its sentence, skipping subsampled tokens, so the
contexts and the order in which they are added are those of
:func:`wordlab.cooccur._kernels.count_rows`. To give the very matrix the segment-map
path writes (whose partial matrices are rounded to float32 and summed in segment
order), a row's weights are accumulated per segment of that plan (``acc``), rounded to
float32 and added to the row's total (``total``) when the occurrences leave the
segment: the same additions, in the same order, as count -> merge.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._kernels import _emit_row, _uniform


@njit(nogil=True, cache=True)
def count_occurrences(tokens, base, first, last, keep, seed, counts):
    """counts[t - first] += 1 for every kept token t in [first, last) of ``tokens``
    (int32; corpus positions ``base``...); ``keep`` float64 as in ``build_stream``."""
    for i in range(tokens.shape[0]):
        t = tokens[i]
        if first <= t < last:
            if keep.shape[0] > 0 and _uniform(seed, base + i) >= keep[t]:
                continue
            counts[t - first] += 1


@njit(nogil=True, cache=True)
def fill_occurrences(tokens, base, first, last, keep, seed, fill, positions):
    """Append the corpus positions of the kept tokens in [first, last) to their rows'
    lists: ``fill`` int64 (last - first,) is each row's next free slot in ``positions``
    (int64); call chunk after chunk in corpus order, so each list is ascending."""
    for i in range(tokens.shape[0]):
        t = tokens[i]
        if first <= t < last:
            p = base + i
            if keep.shape[0] > 0 and _uniform(seed, p) >= keep[t]:
                continue
            positions[fill[t - first]] = p
            fill[t - first] += 1


@njit(nogil=True, cache=True)
def count_rows_direct(shards, bases, crossing, crossing_starts, crossing_at, offsets, segment_ends, starts,
                      positions, slots, region, weights, left, right, keep, seed, n_words, out_indices, out_data,
                      row_nnz, acc, touched, total, total_touched):
    """Count the block rows ``slots`` (one thread's share; row k of the block is the k-th
    row of ``starts``) into ``out_*[region[k]:]`` in ascending column order.

    ``shards`` (a typed list of int32 arrays: the whole corpus, shard by shard, starting
    at the corpus positions ``bases`` int64 (n_shards + 1)), ``crossing`` int32 (the
    sentences that span two shards, copied once, one after another; sentence starting at
    ``crossing_starts[c]`` (int64, ascending) is at ``crossing[crossing_at[c]:]``),
    ``offsets`` int64 (its sentences),
    ``segment_ends`` int64 (the token position where each segment of the plan ends),
    ``starts`` int64 (n_block_rows + 1) into ``positions`` int64 (corpus positions,
    ascending per row), ``weights`` float64 as in ``count_rows``, ``keep``/``seed`` the
    subsampling of ``build_stream``. ``acc``/``total`` (float64, n_words, zeros) and
    ``touched``/``total_touched`` (int32, n_words) are this thread's scratch rows.
    """
    subsample = keep.shape[0] > 0
    single = segment_ends.shape[0] <= 2      # one segment (and the sentinel): its sums are the row
    for k in slots:
        n_acc = 0
        n_total = 0
        segment = 0
        lo = np.int64(0)
        hi = np.int64(0)
        tokens = crossing                  # the sentence's tokens are tokens[j - at]
        at = np.int64(0)
        h = 0                              # the shard of the sentence (positions ascend: so does h)
        held = -1                          # the shard ``tokens`` is (-1: the crossing sentences)
        for q in range(starts[k], starts[k + 1]):
            p = positions[q]
            if not single and p >= segment_ends[segment]:
                n_total = _flush(acc, touched, n_acc, total, total_touched, n_total)
                n_acc = 0
                while p >= segment_ends[segment]:
                    segment += 1
            if not (lo <= p < hi):           # another sentence than the previous occurrence's
                s = np.searchsorted(offsets, p, side="right") - 1
                lo = offsets[s]
                hi = offsets[s + 1]
                while bases[h + 1] <= lo:
                    h += 1
                if hi <= bases[h + 1]:
                    if held != h:          # fetched from the list only when the shard changes
                        tokens = shards[h]
                        held = h
                    at = bases[h]
                else:                      # the sentence goes on in the next shard: its copy
                    tokens = crossing
                    held = -1
                    at = lo - crossing_at[np.searchsorted(crossing_starts, lo)]
            # (the additions are written out: a helper returning the count ran 5x slower)
            if not subsample:              # the window is the next tokens of the sentence
                for d in range(1, min(left, p - lo) + 1):
                    c = tokens[p - d - at]
                    if acc[c] == 0.0:
                        touched[n_acc] = c
                        n_acc += 1
                    acc[c] += weights[d]
                for d in range(1, min(right, hi - 1 - p) + 1):
                    c = tokens[p + d - at]
                    if acc[c] == 0.0:
                        touched[n_acc] = c
                        n_acc += 1
                    acc[c] += weights[d]
                continue
            d = 0                          # the next kept tokens
            j = p - 1
            while d < left and j >= lo:
                c = tokens[j - at]
                if _uniform(seed, j) < keep[c]:
                    d += 1
                    if acc[c] == 0.0:
                        touched[n_acc] = c
                        n_acc += 1
                    acc[c] += weights[d]
                j -= 1
            d = 0
            j = p + 1
            while d < right and j < hi:
                c = tokens[j - at]
                if _uniform(seed, j) < keep[c]:
                    d += 1
                    if acc[c] == 0.0:
                        touched[n_acc] = c
                        n_acc += 1
                    acc[c] += weights[d]
                j += 1
        if single:
            row_nnz[k] = _emit_row(acc, touched, n_acc, n_words, out_indices, out_data, region[k])
        else:
            n_total = _flush(acc, touched, n_acc, total, total_touched, n_total)
            row_nnz[k] = _emit_row(total, total_touched, n_total, n_words, out_indices, out_data, region[k])


@njit(nogil=True, cache=True, inline="always")
def _flush(acc, touched, n_acc, total, total_touched, n_total):
    """Add one segment's sums, rounded to float32 as its partial matrix stores them, to
    the row's total; clear them."""
    for i in range(n_acc):
        c = touched[i]
        v = np.float64(np.float32(acc[c]))
        acc[c] = 0.0
        if total[c] == 0.0:
            total_touched[n_total] = c
            n_total += 1
        total[c] += v
    return n_total
