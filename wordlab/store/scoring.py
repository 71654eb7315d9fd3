"""Scores of compressed rows against queries, without decoding the rows: the kernels of
:mod:`wordlab.store._adc_kernels`, with the work of a call split over threads.

A query against a store of 100k rows is a millisecond's work or less, so a part is
handed to a thread that is already started (:func:`wordlab._threads.run_split`), and
only when it holds enough work (:data:`ADC_LOOKUPS_PER_THREAD`) to pay for the handing
over. Every part runs the same serial kernel over its rows, so the scores do not depend
on the number of threads.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

#: Table lookups (or multiply-adds) a thread must have before a call is split: about
#: what a started thread takes to be handed a part and hand it back.
ADC_LOOKUPS_PER_THREAD = 1 << 18


def adc(codes: np.ndarray, tables: np.ndarray, start: int, stop: int) -> np.ndarray:
    """float32 (n_queries, stop - start): the ADC scores of rows ``start:stop`` of PQ
    ``codes`` (n, >= M) uint8 by ``tables`` (n_queries, M, K)."""
    from ._adc_kernels import adc_scores
    return split_rows(lambda a, b, out: adc_scores(codes, tables, a, b, out), tables.shape[0], start, stop,
                      tables.shape[0] * tables.shape[1])


def adc_head(codes: np.ndarray, head_codes: np.ndarray, head_tables: Callable[[], np.ndarray],
             tables: Callable[[], np.ndarray], start: int, stop: int) -> np.ndarray:
    """:func:`adc` for a store with a head of H = ``len(head_codes)`` rows: rows below H
    scored by ``head_tables()`` (n_queries, M_h, K) from their ``codes`` and ``head_codes``,
    the others by ``tables()`` (n_queries, M, K), in one pass; a table is made only when
    the range reaches its rows. Threads are cut where the lookups, not the rows, are even."""
    from ._adc_kernels import adc_scores_head
    H = head_codes.shape[0]
    head = head_tables() if start < H else None
    tail = tables() if stop > H else None
    n_q = (head if head is not None else tail).shape[0]
    empty = np.zeros((n_q, 0, 1), dtype=np.float32)
    head = empty if head is None else head
    tail = empty if tail is None else tail
    split = min(max(H, start), stop)
    per_head, per_row = head.shape[1], tail.shape[1]
    lookups = ((split - start) * per_head + (stop - split) * per_row) * n_q
    return split_rows(lambda a, b, out: adc_scores_head(codes, head_codes, head, tail, a, b, out),
                      n_q, start, stop, lookups / max(1, (stop - start) * n_q),
                      cut=lambda x: _row_at_lookups(x, start, split, stop, per_head, per_row))


def table_products(codes: np.ndarray, table: np.ndarray, queries: np.ndarray, start: int, stop: int) -> np.ndarray:
    """float32 (n_queries, stop - start): the queries' dot products with rows ``start:stop``
    of codes decoded by ``table`` (:func:`~wordlab.store._adc_kernels.table_dot`)."""
    from ._adc_kernels import table_dot
    q = np.ascontiguousarray(queries, dtype=np.float32)
    return split_rows(lambda a, b, out: table_dot(codes, table, q, a, b, out), q.shape[0], start, stop,
                      q.shape[0] * q.shape[1])


def _row_at_lookups(x: float, start: int, split: int, stop: int, per_head: int, per_row: int) -> int:
    """The row of ``start:stop`` before which a share ``x`` (0-1) of the lookups lies,
    head rows (``start:split``) costing ``per_head`` each and the others ``per_row``."""
    total = (split - start) * per_head + (stop - split) * per_row
    want = x * total
    head_cost = (split - start) * per_head
    if want <= head_cost:
        return start + int(round(want / max(per_head, 1)))
    return min(stop, split + int(round((want - head_cost) / max(per_row, 1))))


def split_rows(kernel: Callable, n_queries: int, start: int, stop: int, cost_per_row: float,
               cut: Callable[[float], int] | None = None) -> np.ndarray:
    """Run ``kernel(a, b, out[:, a - start:b - start])`` over rows ``start:stop`` in as many
    threads as the work is worth (the kernels are ``nogil``); returns ``out``, float32
    (n_queries, stop - start). ``cut(x)``: the row before which a share x of the work lies
    (default: rows cost alike)."""
    from .._threads import default_workers, run_split
    out = np.empty((n_queries, stop - start), dtype=np.float32)
    threads = int(min(default_workers(), max(1, int((stop - start) * cost_per_row) // ADC_LOOKUPS_PER_THREAD)))
    cuts = (np.linspace(start, stop, threads + 1).astype(np.int64) if cut is None
            else np.array([start] + [cut(t / threads) for t in range(1, threads)] + [stop], dtype=np.int64))

    def part(t: int) -> None:
        a, b = int(cuts[t]), int(cuts[t + 1])
        kernel(a, b, out[:, a - start:b - start])
    run_split(part, threads)
    return out
