"""Numba kernels that score compressed rows against queries without decoding them (see
:mod:`wordlab.store.scoring`).

Asymmetric distance computation (ADC; Jégou, Douze and Schmid 2011): a query's dot
product with every centroid of every subspace is tabulated once (``t``, M x K), and a
PQ row's score is the sum of its M table entries, ``sum_m t[m, code_m]``. The kernels
score two rows at a time, each in four running sums: eight independent chains of
loads and additions keep the CPU's load ports busy where one row's sums would wait on
each other. The order of the
additions is fixed, so a row's score does not depend on how rows are split over threads.

All kernels are serial and ``nogil``: the caller splits large ranges over threads (a
``parallel=True`` kernel takes longer to load from the cache than a query takes).
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True, inline="always")
def _two_rows(t, a, b):
    """(the score of row ``a``, of row ``b``): sum over m < len(t) of t[m, a[m]] (and of
    b), each in four running sums, the two rows' lookups interleaved. A lone row is
    scored as ``_two_rows(t, a, a)[0]``: the same additions in the same order."""
    count = t.shape[0]
    four = count - count % 4
    s0 = np.float32(0.0)
    s1 = np.float32(0.0)
    s2 = np.float32(0.0)
    s3 = np.float32(0.0)
    r0 = np.float32(0.0)
    r1 = np.float32(0.0)
    r2 = np.float32(0.0)
    r3 = np.float32(0.0)
    for m in range(0, four, 4):
        s0 += t[m, a[m]]
        r0 += t[m, b[m]]
        s1 += t[m + 1, a[m + 1]]
        r1 += t[m + 1, b[m + 1]]
        s2 += t[m + 2, a[m + 2]]
        r2 += t[m + 2, b[m + 2]]
        s3 += t[m + 3, a[m + 3]]
        r3 += t[m + 3, b[m + 3]]
    for m in range(four, count):
        s0 += t[m, a[m]]
        r0 += t[m, b[m]]
    return (s0 + s1) + (s2 + s3), (r0 + r1) + (r2 + r3)


@njit(nogil=True, cache=True)
def adc_scores(codes, tables, start, stop, out):
    """``out[q, i - start]`` = sum over m < M of ``tables[q, m, codes[i, m]]`` for rows
    ``start:stop`` of ``codes`` (n, >= M) uint8; ``tables`` (n_queries, M, K) float32,
    a query's dot products with every centroid."""
    n = stop - start
    for q in range(tables.shape[0]):
        t = tables[q]
        for r in range(0, n - 1, 2):
            out[q, r], out[q, r + 1] = _two_rows(t, codes[start + r], codes[start + r + 1])
        if n % 2:
            out[q, n - 1] = _two_rows(t, codes[stop - 1], codes[stop - 1])[0]


@njit(nogil=True, cache=True)
def adc_scores_head(codes, head_codes, head_tables, tables, start, stop, out):
    """:func:`adc_scores` for a store with a head: rows below H = ``len(head_codes)``
    are scored by ``head_tables`` (n_queries, M_h, K), their first M codes from
    ``codes`` and the other M_h - M from ``head_codes``; the rows from H on by
    ``tables`` (n_queries, M, K). A table a range does not reach may be empty."""
    H = head_codes.shape[0]
    M = head_tables.shape[1] - head_codes.shape[1]
    split = min(max(H, start), stop)
    for q in range(out.shape[0]):
        if split > start:
            first, rest = head_tables[q, :M], head_tables[q, M:]
            for i in range(start, split - 1, 2):
                x0, y0 = _two_rows(first, codes[i], codes[i + 1])
                x1, y1 = _two_rows(rest, head_codes[i], head_codes[i + 1])
                out[q, i - start], out[q, i + 1 - start] = x0 + x1, y0 + y1
            if (split - start) % 2:
                i = split - 1
                out[q, i - start] = (_two_rows(first, codes[i], codes[i])[0]
                                     + _two_rows(rest, head_codes[i], head_codes[i])[0])
        if stop > split:
            t = tables[q]
            for i in range(split, stop - 1, 2):
                out[q, i - start], out[q, i + 1 - start] = _two_rows(t, codes[i], codes[i + 1])
            if (stop - split) % 2:
                out[q, stop - 1 - start] = _two_rows(t, codes[stop - 1], codes[stop - 1])[0]


@njit(nogil=True, cache=True)
def table_dot(codes, table, queries, start, stop, out):
    """``out[q, i - start]`` = sum over j of ``x[i, j] * queries[q, j]`` for rows
    ``start:stop``, without decoding the block first (numpy's float16 conversion costs
    ten times the product): x = ``table[codes]`` (a float16 store's 65,536 values by
    their bits, codes viewed as uint16) or, with an empty table, the codes themselves
    (int8, converted in vector registers)."""
    n_q, dim = queries.shape
    row = np.empty(dim, dtype=np.float32)
    direct = table.shape[0] == 0
    for r in range(stop - start):
        c = codes[start + r]
        if direct:
            for j in range(dim):
                row[j] = np.float32(c[j])
        else:
            for j in range(dim):
                row[j] = table[c[j]]
        for q in range(n_q):
            s = np.float32(0.0)
            for j in range(dim):
                s += row[j] * queries[q, j]
            out[q, r] = s
