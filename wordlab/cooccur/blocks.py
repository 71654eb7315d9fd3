"""What the two maps of a counting pass share (:mod:`wordlab.cooccur.count`'s segments and
:mod:`wordlab.cooccur.rows`' row ranges): a task's window settings, each thread's scratch
rows and its share of a block, and writing rows block by block to a CSR matrix on disk."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..corpus import Vocabulary
from ..npyio import NpyAppender, save_npy
from . import _kernels as K
from .segments import vocab_size


def window_settings(corpus: Path, s: dict) -> tuple[int, int, int, int, np.ndarray, np.ndarray, int]:
    """(n_words, window, left reach, right reach, distance weights, keep probabilities,
    seed) of a map task's counting settings ``s`` on the encoded corpus at ``corpus``."""
    window = int(s["window"])
    left = window if s["direction"] in ("both", "left") else 0
    right = window if s["direction"] in ("both", "right") else 0
    weights = K.distance_weights(window, s["weighting"] == "harmonic", bool(s["dynamic_window"]))
    counts = Vocabulary.load(corpus / "vocab.tsv").counts if s["subsample"] > 0 else np.empty(0)
    keep = _keep_probabilities(counts, float(s["subsample"]))
    return vocab_size(corpus), window, left, right, weights, keep, int(s["seed"] or 0)


def _keep_probabilities(counts: np.ndarray, subsample: float) -> np.ndarray:
    if subsample <= 0:
        return np.empty(0, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    freq = counts / max(counts.sum(), 1.0)
    return np.minimum(1.0, np.sqrt(subsample / np.maximum(freq, 1e-300)))


def scratch_rows(threads: int, n_words: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each thread's dense accumulator row (zeros) and its list of touched columns."""
    return [(np.zeros(n_words, np.float64), np.empty(n_words, np.int32)) for _ in range(threads)]


def thread_slots(t: int, n_rows: int, threads: int) -> np.ndarray:
    """Thread ``t``'s share of a block's rows (every ``threads``-th)."""
    return np.arange(t, n_rows, threads, dtype=np.int64)


def write_blockwise(bounds: np.ndarray, block_entries: int, process, target: Path, n_words: int) -> None:
    """Run ``process`` over row blocks whose bounds sum to at most ``block_entries``;
    stream the compacted rows to ``target`` as CSR."""
    out_idx = np.empty(block_entries, dtype=np.int32)
    out_val = np.empty(block_entries, dtype=np.float32)
    indptr = np.zeros(n_words + 1, dtype=np.int64)
    ends = np.cumsum(bounds)
    with NpyAppender(target / "indices.npy", np.int32) as idx_file, \
            NpyAppender(target / "data.npy", np.float32) as val_file:
        a = 0
        while a < n_words:
            base = ends[a - 1] if a else 0
            b = int(np.searchsorted(ends, base + block_entries, side="right"))
            b = min(max(b, a + 1), n_words)
            rows = np.arange(a, b, dtype=np.int64)
            region = np.concatenate(([0], np.cumsum(bounds[a:b - 1]))).astype(np.int64)
            row_nnz = np.zeros(b - a, dtype=np.int64)
            process(rows, region, int(bounds[a:b].sum()), out_idx, out_val, row_nnz)
            n = K.compact_rows(region, row_nnz, out_idx, out_val)
            idx_file.append(out_idx[:n])
            val_file.append(out_val[:n])
            indptr[a + 1:b + 1] = indptr[a] + np.cumsum(row_nnz)
            a = b
    save_npy(target / "indptr.npy", indptr)
