"""Numba kernels of Bit-cipher (Zhao and Williams 2023): context aggregation."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def aggregate_rows(stream, starts, positions, rows, slots, window, concat, bit_index, bit_value, bits, out):
    """Sum, for each word ``rows[k]`` (k in ``slots``), the cipher vectors of its contexts in
    one segment into ``out[k]``.

    stream, starts, positions : int32, int64, int32: a segment and its occurrence index
                                (wordlab.cooccur)
    rows : int32 word ids; slots : int64 indices into ``rows``
    bit_index : int32 (n_words, max_bits), the active bits of each word's cipher (-1 pads)
    bit_value : float32 (n_words,), the value of each active bit (1 / number of active bits)
    out : float64 (len(rows), bits) for summation, (len(rows), bits * 2 * window) for
          concatenation, where block ``window - d`` holds offset -d and block
          ``window + d - 1`` offset +d. Each row is summed in float64 over the word's
          occurrences in stream order, then written (overwritten).
    """
    dim = out.shape[1]
    acc = np.zeros(dim, dtype=np.float64)
    width = bit_index.shape[1]
    for k in slots:
        w = rows[k]
        for q in range(starts[w], starts[w + 1]):
            p = positions[q]
            for side in range(2):
                for d in range(1, window + 1):
                    c = stream[p - d] if side == 0 else stream[p + d]
                    if c < 0:
                        break
                    base = 0
                    if concat:
                        base = bits * (window - d if side == 0 else window + d - 1)
                    v = bit_value[c]
                    for j in range(width):
                        bit = bit_index[c, j]
                        if bit < 0:
                            break
                        acc[base + bit] += v
        for t in range(dim):
            out[k, t] = acc[t]
            acc[t] = 0.0
