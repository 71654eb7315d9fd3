"""Numba kernels of co-occurrence counting (see :mod:`wordlab.cooccur.count`).

The counting works row by row. A segment of the corpus is laid out as one *stream*
(int32) of token ids in which sentences are separated by ``window`` copies of ``-1``, so
no window can reach across a sentence boundary and the kernels need no sentence table.
An *occurrence index* (``starts`` int64, ``positions`` int32) lists, for every word, the
stream positions where it occurs. A row of the matrix is then the sum, over the word's
occurrences, of the weighted context words around each; it is accumulated in a dense
float64 row (one per thread, ``n_words`` long: it stays in cache) and written out in
ascending column order, as int32 columns and float32 weights.
"""
from __future__ import annotations

import numpy as np
from numba import njit

SEPARATOR = -1


@njit(nogil=True, cache=True)
def build_stream(tokens, offsets, first, last, window, keep, seed, stream):
    """Lay sentences ``first:last`` out in ``stream``; return its used length.

    ``tokens`` int32 holds the ids of those sentences (``tokens[0]`` is corpus position
    ``offsets[first]``); ``offsets`` int64 are the corpus's sentence bounds; ``seed``
    uint64. ``stream`` int32 must hold ``window + sum(len(sentence) + window)`` ids. With
    ``keep`` float64 (n_words,) non-empty (subsampling), token ``t`` at corpus position
    ``p`` survives with probability ``keep[t]`` (a probability, not the uint64
    thresholds of :mod:`wordlab.trainers._sampling`), decided by a hash of ``(seed, p)``
    so that the choice does not depend on how the corpus is cut into segments.
    """
    n = 0
    for _ in range(window):
        stream[n] = SEPARATOR
        n += 1
    base = offsets[first]
    for s in range(first, last):
        for p in range(offsets[s], offsets[s + 1]):
            t = tokens[p - base]
            if keep.shape[0] > 0 and _uniform(seed, p) >= keep[t]:
                continue
            stream[n] = t
            n += 1
        for _ in range(window):
            stream[n] = SEPARATOR
            n += 1
    return n


@njit(nogil=True, cache=True, inline="always")
def _uniform(seed, position):
    """A uniform float64 in [0, 1) (53 bits) from (seed, position): splitmix64's finaliser."""
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(position) + np.uint64(1)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(nogil=True, cache=True)
def build_occurrence_index(stream, length, n_words, starts, positions):
    """Counting sort of stream positions by word id (ascending positions per word).

    ``stream`` int32 (``length`` used). Fills ``starts`` (n_words + 1, int64) and
    ``positions`` (one per token of the stream, int32: stream positions).
    """
    starts[:] = 0
    for p in range(length):
        t = stream[p]
        if t >= 0:
            starts[t + 1] += 1
    for w in range(n_words):
        starts[w + 1] += starts[w]
    fill = starts[:-1].copy()
    for p in range(length):
        t = stream[p]
        if t >= 0:
            positions[fill[t]] = p
            fill[t] += 1


@njit(nogil=True, cache=True)
def distance_weights(window, harmonic, dynamic):
    """Weight of a context word at distance d = 1..window: float64 (window + 1,), index d
    (index 0 unused).

    harmonic: 1/d (GloVe). dynamic: (window - d + 1) / window, the expected weight
    under word2vec's reduced window (Levy, Goldberg and Dagan 2015). Both multiply.
    """
    w = np.ones(window + 1, dtype=np.float64)
    for d in range(1, window + 1):
        if harmonic:
            w[d] /= d
        if dynamic:
            w[d] *= (window - d + 1) / window
    return w


@njit(nogil=True, cache=True)
def count_rows(stream, starts, positions, rows, region, slots, weights, left, right, n_words,
               out_indices, out_data, row_nnz, acc, touched):
    """Count the rows ``rows[slots]`` of a block (``slots``: one thread's share).

    ``stream`` int32, ``starts`` int64, ``positions`` int32: the stream and its occurrence
    index; ``rows``, ``region``, ``slots`` int64; ``weights`` float64 (window + 1,), see
    :func:`distance_weights`. Row ``rows[k]`` is written at ``out_*[region[k]:]``
    (``out_indices`` int32, ``out_data`` float32) in ascending column order;
    ``row_nnz[k]`` (int64) receives its length. ``left``/``right``: how far the window
    reaches on each side (0 turns a side off). ``acc`` (float64, n_words, zeros) and
    ``touched`` (int32, n_words) are this thread's scratch rows; the sums are float64
    until written (rounded to float32).
    """
    for k in slots:
        w = rows[k]
        n_touched = 0
        for q in range(starts[w], starts[w + 1]):
            p = positions[q]
            for d in range(1, left + 1):
                c = stream[p - d]
                if c < 0:
                    break
                if acc[c] == 0.0:
                    touched[n_touched] = c
                    n_touched += 1
                acc[c] += weights[d]
            for d in range(1, right + 1):
                c = stream[p + d]
                if c < 0:
                    break
                if acc[c] == 0.0:
                    touched[n_touched] = c
                    n_touched += 1
                acc[c] += weights[d]
        row_nnz[k] = _emit_row(acc, touched, n_touched, n_words, out_indices, out_data, region[k])


@njit(nogil=True, cache=True, inline="always")
def _emit_row(acc, touched, n_touched, n_words, out_indices, out_data, at):
    """Write the accumulated row (``acc`` float64) in column order from ``at`` (int32
    columns, weights rounded to float32), clear it; return its length."""
    if n_touched * 16 > n_words:
        # Dense row: a scan of the accumulator is cheaper than sorting.
        n = 0
        for c in range(n_words):
            if acc[c] != 0.0:
                out_indices[at + n] = c
                out_data[at + n] = acc[c]
                acc[c] = 0.0
                n += 1
        return n
    cols = np.sort(touched[:n_touched])
    for n in range(n_touched):
        c = cols[n]
        out_indices[at + n] = c
        out_data[at + n] = acc[c]
        acc[c] = 0.0
    return n_touched


@njit(nogil=True, cache=True)
def merge_rows(part_indptrs, part_indices, part_data, region, slots, n_words,
               out_indices, out_data, row_nnz, acc, touched):
    """Sum the block rows ``slots`` of several CSR parts.

    The parts' arrays are concatenated (``part_indices`` int32, ``part_data`` float32);
    ``part_indptrs`` int64 (n_parts, n_block_rows + 1) points into them, with rows
    numbered within the block. ``region``, ``slots``, ``row_nnz`` int64, the outputs and
    the scratch rows ``acc`` (float64, zeros) and ``touched`` (int32) as in
    :func:`count_rows`: summed in float64, written as float32.
    """
    n_parts = part_indptrs.shape[0]
    for r in slots:
        k = r
        n_touched = 0
        for part in range(n_parts):
            for q in range(part_indptrs[part, r], part_indptrs[part, r + 1]):
                c = part_indices[q]
                if acc[c] == 0.0:
                    touched[n_touched] = c
                    n_touched += 1
                acc[c] += part_data[q]
        row_nnz[k] = _emit_row(acc, touched, n_touched, n_words, out_indices, out_data, region[k])


@njit(nogil=True, cache=True)
def compact_rows(region, row_nnz, out_indices, out_data):
    """Move each row from its region down to follow the previous row; return the total.

    ``region``, ``row_nnz`` int64 (n_block_rows,); ``out_indices`` int32, ``out_data``
    float32, moved in place.
    """
    n = 0
    for k in range(region.shape[0]):
        a = region[k]
        for i in range(row_nnz[k]):
            out_indices[n + i] = out_indices[a + i]
            out_data[n + i] = out_data[a + i]
        n += row_nnz[k]
    return n


@njit(nogil=True, cache=True)
def transpose_positions(indptr, indices, n_cols, t_indptr, t_indices, t_positions):
    """CSR of the transpose of (``indptr`` int64, ``indices`` int32): fills ``t_indptr``
    int64 (n_cols + 1), ``t_indices`` int32 (nnz,) (row ids, ascending within a column)
    and ``t_positions`` (nnz,) (where each transposed entry sits in the original arrays;
    int32, or int64 for nnz >= 2**31)."""
    t_indptr[:] = 0
    nnz = indices.shape[0]
    for p in range(nnz):
        t_indptr[indices[p] + 1] += 1
    for c in range(n_cols):
        t_indptr[c + 1] += t_indptr[c]
    fill = t_indptr[:-1].copy()
    for r in range(indptr.shape[0] - 1):
        for p in range(indptr[r], indptr[r + 1]):
            c = indices[p]
            q = fill[c]
            t_indices[q] = r
            t_positions[q] = p
            fill[c] = q + 1


@njit(nogil=True, cache=True)
def ppmi_values(indptr, indices, data, log_rows, log_cols, log_total, out):
    """out[p] = max(0, log x_p + log_total - log_rows[row] - log_cols[col]).

    ``indptr`` int64, ``indices`` int32, ``data`` float32 (nnz,); ``log_rows``, ``log_cols``
    float64 (n_words,); computed in float64, stored in ``out`` float32 (nnz,).
    """
    for r in range(indptr.shape[0] - 1):
        for p in range(indptr[r], indptr[r + 1]):
            v = np.log(np.float64(data[p])) + log_total - log_rows[r] - log_cols[indices[p]]
            out[p] = v if v > 0.0 else 0.0


@njit(nogil=True, cache=True)
def row_sums(indptr, data, out):
    """out[r] = sum of row r's weights: ``data`` float32, summed in float64 into ``out``
    float64 (n_rows,)."""
    for r in range(indptr.shape[0] - 1):
        s = 0.0
        for p in range(indptr[r], indptr[r + 1]):
            s += data[p]
        out[r] = s


@njit(nogil=True, cache=True)
def column_sums(indices, data, out):
    """out[c] += every weight of column c, in entry order (as ``np.bincount`` with
    weights adds them): ``indices`` int32, ``data`` float32 (nnz,), ``out`` float64
    (n_cols,), zeros on entry. Reads the arrays where they lie (memory maps)."""
    for p in range(indices.shape[0]):
        out[indices[p]] += data[p]
