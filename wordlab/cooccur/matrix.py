"""The co-occurrence matrix on disk: CSR arrays, memory-mapped.

A directory holds::

    indptr.npy    int64,   (n_words + 1,)   row i is indices[indptr[i]:indptr[i + 1]]
    indices.npy   int32,   (nnz,)           context word ids, ascending within a row
    data.npy      float32, (nnz,)           weighted counts
    vocab.tsv                                the encoded corpus's vocabulary (ids = rows)
    meta.json                                counting settings, corpus fingerprint, nnz

Row i, column j holds the (weighted) number of times word j occurred in the context
window of word i. With a symmetric window the matrix is symmetric.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..atomic import Snapshot
from ..corpus import Vocabulary
from ..errors import StoreError, UnknownWordError

FORMAT = "wordlab-cooccurrence"
FORMAT_VERSION = 1


class CooccurrenceMatrix:
    """A memory-mapped sparse word-context matrix (see module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The directory that :func:`~wordlab.cooccur.count_cooccurrences` wrote; opened
        read-only, memory-mapped.

    Attributes
    ----------
    indptr, indices, data : np.memmap
        The CSR arrays.
    vocab : Vocabulary
        Row and column words (row i is ``vocab.words[i]``).
    meta : dict
        ``window``, ``weighting``, ``direction``, ``dynamic_window``, ``subsample``,
        ``nnz``, ``total_weight``, ``corpus`` (fingerprint), ``count_seconds``, ...
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        meta_path = self.path / "meta.json"
        if not meta_path.is_file():
            raise StoreError(f"{self.path} is not a co-occurrence matrix (no meta.json)")
        try:
            snap = Snapshot(self.path, ["meta.json", "indptr.npy", "indices.npy", "data.npy"])
            self.meta = json.loads(snap.read_text("meta.json"))
            if not isinstance(self.meta, dict) or self.meta.get("format") != FORMAT:
                raise ValueError(f"format {self.meta.get('format') if isinstance(self.meta, dict) else None!r}")
            self.indptr = np.load(snap.path("indptr.npy"), mmap_mode="r")
            self.indices = np.load(snap.path("indices.npy"), mmap_mode="r")
            self.data = np.load(snap.path("data.npy"), mmap_mode="r")
            snap.close()
            self._vocab = Vocabulary.load(self.path / "vocab.tsv")
            self._verify()
        except (OSError, ValueError, EOFError, KeyError, TypeError) as e:
            raise StoreError(f"{self.path} is not a complete co-occurrence matrix ({e})") from None

    def _verify(self) -> None:
        """Refuse a damaged matrix: the trainers index weight rows by these columns."""
        ip, ix, d = self.indptr, self.indices, self.data
        if ip.ndim != 1 or ix.ndim != 1 or d.ndim != 1 or ip.shape[0] < 1 or ix.shape != d.shape:
            raise ValueError("the CSR arrays have inconsistent shapes")
        if ip.dtype != np.int64 or ix.dtype != np.int32 or d.dtype != np.float32:
            raise ValueError("the CSR arrays have unexpected dtypes")
        n = ip.shape[0] - 1
        if n != len(self._vocab) or int(ip[0]) != 0 or int(ip[-1]) != ix.shape[0]:
            raise ValueError("indptr does not match the vocabulary and the entries")
        step = 1 << 22
        for a in range(0, ip.shape[0], step):
            if (np.diff(np.asarray(ip[max(a - 1, 0):a + step])) < 0).any():
                raise ValueError("indptr is not increasing")
        for a in range(0, ix.shape[0], step):
            block = np.asarray(ix[a:a + step])
            if block.size and (int(block.min()) < 0 or int(block.max()) >= n):
                raise ValueError("a column index is outside the vocabulary")
            if not np.isfinite(np.asarray(d[a:a + step])).all():
                raise ValueError("a weight is not finite")

    @property
    def vocab(self) -> Vocabulary:
        return self._vocab

    @property
    def n_words(self) -> int:
        return int(self.indptr.shape[0]) - 1

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_words, self.n_words)

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    def to_scipy(self):
        """A ``scipy.sparse.csr_matrix`` over the same (memory-mapped) arrays."""
        from scipy.sparse import csr_matrix
        return csr_matrix((self.data, self.indices, self.indptr), shape=self.shape, copy=False)

    def row_sums(self) -> np.ndarray:
        """Total weight of each row, float64 (n_words,)."""
        from ._kernels import row_sums
        sums = np.empty(self.n_words, dtype=np.float64)
        row_sums(np.asarray(self.indptr), np.asarray(self.data), sums)
        return sums

    def row(self, word: str, topn: int | None = None):
        """The contexts of ``word`` as a pandas Series (context word -> weight), heaviest first."""
        import pandas as pd
        i = self.vocab.index.get(word)
        if i is None:
            raise UnknownWordError(f"word {word!r} is not in the vocabulary of {self.path}")
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        cols = np.asarray(self.indices[a:b])
        vals = np.asarray(self.data[a:b])
        order = np.argsort(-vals, kind="stable")[:topn]
        words = self.vocab.words
        return pd.Series(vals[order], index=[words[c] for c in cols[order]], name=word)

    def __getitem__(self, pair: tuple[str, str]) -> float:
        """``matrix["ice", "cold"]``: the weight of one pair (0.0 if never seen)."""
        w, c = pair
        index = self.vocab.index
        for x in (w, c):
            if x not in index:
                raise UnknownWordError(f"word {x!r} is not in the vocabulary of {self.path}")
        i, j = index[w], index[c]
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        k = a + int(np.searchsorted(self.indices[a:b], j))
        return float(self.data[k]) if k < b and self.indices[k] == j else 0.0

    def __repr__(self) -> str:
        m = self.meta
        return (f"<CooccurrenceMatrix {self.n_words:,} x {self.n_words:,}, {self.nnz:,} non-zeros; "
                f"window {m.get('window')} ({m.get('direction')}, {m.get('weighting')}) at {self.path}>")


def ppmi(matrix: CooccurrenceMatrix, context_smoothing: float = 0.75) -> np.ndarray:
    """Positive PMI of every stored entry (float32, aligned with ``matrix.data``).

    PMI(i, j) = log( P(i, j) / (P(i) P_a(j)) ), with P_a(j) = c_j^a / sum_k c_k^a the
    smoothed context distribution (a = ``context_smoothing``; Levy, Goldberg and Dagan
    2015), c_j the column sums and P(i) from the row sums; negative values become 0.
    """
    from . import _kernels as K
    log_rows, log_cols, log_total = ppmi_logs(matrix, context_smoothing)
    out = np.empty(matrix.nnz, dtype=np.float32)
    K.ppmi_values(np.asarray(matrix.indptr), np.asarray(matrix.indices), np.asarray(matrix.data),
                  log_rows, log_cols, log_total, out)
    return out


def ppmi_logs(matrix: CooccurrenceMatrix, context_smoothing: float = 0.75) -> tuple[np.ndarray, np.ndarray, float]:
    """(log row sums, log smoothed column sums, log of their total): what
    :func:`~wordlab.cooccur._kernels.ppmi_values` needs to give any row's PPMI."""
    rows = matrix.row_sums()
    cols = column_sums(matrix)
    smoothed = np.where(cols > 0, cols, 1.0) ** context_smoothing
    with np.errstate(divide="ignore"):
        return (np.log(np.where(rows > 0, rows, 1.0)), np.log(smoothed),
                float(np.log(smoothed[cols > 0].sum())))


def column_sums(matrix: CooccurrenceMatrix) -> np.ndarray:
    """Total weight of each column, float64 (n_words,), summed in entry order."""
    from ._kernels import column_sums as kernel
    out = np.zeros(matrix.n_words, dtype=np.float64)
    kernel(np.asarray(matrix.indices), np.asarray(matrix.data), out)
    return out