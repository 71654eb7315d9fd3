"""Sentence encoders over a store's vectors: CBOW (sum), CMOW (matrix product), hybrid.

A store trained by :class:`wordlab.trainers.CMOW` says in ``meta["encoder"]`` how its
rows are laid out: ``cbow_dim`` columns of a CBOW vector, then ``cmow_k`` x ``cmow_k``
columns of a row-major matrix. Any other store is read as a CBOW store (all columns a
vector). A sentence is encoded as ``[sum of CBOW vectors ; product of CMOW matrices]``
(the order of the words matters to the second part only). Words outside the
vocabulary are skipped; an empty sentence gets the neutral element of each part:
zeros for CBOW, the identity for CMOW.
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np
from numba import njit

from ..errors import StoreError

_FAST = {"reassoc", "contract"}


def encoder_layout(meta: dict, dim: int) -> tuple[int, int]:
    """(cbow_dim, cmow_k) of a store's rows."""
    enc = meta.get("encoder") or {}
    cbow, k = int(enc.get("cbow_dim", dim)), int(enc.get("cmow_k", 0))
    if cbow + k * k != dim:
        raise StoreError(f"meta.json's encoder layout ({cbow} + {k}x{k}) does not match the vectors' width {dim}")
    return cbow, k


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy")
def encode_batch(vectors, ids, offsets, cbow_dim, k, out):
    """out[s] = encoding of ids[offsets[s]:offsets[s + 1]] (see module docstring)."""
    tmp = np.empty((k, k), dtype=np.float32)
    prod = np.empty((k, k), dtype=np.float32)
    for s in range(offsets.shape[0] - 1):
        a, b = offsets[s], offsets[s + 1]
        for j in range(cbow_dim):
            acc = 0.0
            for p in range(a, b):
                acc += vectors[ids[p], j]
            out[s, j] = acc
        if k > 0:
            for i in range(k):
                for j in range(k):
                    prod[i, j] = 1.0 if i == j else 0.0
            for p in range(a, b):
                m = vectors[ids[p], cbow_dim:].reshape((k, k))
                for i in range(k):
                    for j in range(k):
                        tmp[i, j] = 0.0
                    for l in range(k):
                        x = prod[i, l]
                        for j in range(k):
                            tmp[i, j] += x * m[l, j]
                prod[:, :] = tmp
            for i in range(k):
                for j in range(k):
                    out[s, cbow_dim + i * k + j] = prod[i, j]


def encode_sentences(vectors: np.ndarray, index: dict, meta: dict, sentences: Iterable[Sequence[str] | str],
                     batch_size: int = 4096, compose: Callable[[list[str]], np.ndarray] | None = None) -> np.ndarray:
    """Encode ``sentences`` (word lists, or strings split on whitespace): (n, dim) float32.

    ``compose`` (a subword store's, CBOW layout only) gives the vectors of the words
    outside the vocabulary, which then count in the sum instead of being skipped.
    """
    dim = vectors.shape[1]
    cbow_dim, k = encoder_layout(meta, dim)
    # a compressed store's matrix decodes only the rows a batch uses
    whole = isinstance(vectors, np.ndarray)
    if whole:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    blocks = []
    batch: list = []

    def flush() -> None:
        lengths = np.zeros(len(batch) + 1, dtype=np.int64)
        ids = []
        unseen: list[tuple[int, str]] = []
        for s, sentence in enumerate(batch):
            words = sentence.split() if isinstance(sentence, str) else sentence
            known = [index[w] for w in words if w in index]
            unseen += [(s, w) for w in words if w not in index]
            ids.extend(known)
            lengths[s + 1] = len(known)
        out = np.empty((len(batch), dim), dtype=np.float32)
        rows, ids = (vectors, np.asarray(ids, dtype=np.int64)) if whole else _used_rows(vectors, ids)
        encode_batch(rows, ids, np.cumsum(lengths), cbow_dim, k, out)
        if compose is not None and unseen and k == 0:
            np.add.at(out, [s for s, _ in unseen], compose([w for _, w in unseen]))
        blocks.append(out)
        batch.clear()

    for sentence in sentences:
        batch.append(sentence)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return np.concatenate(blocks) if blocks else np.empty((0, dim), dtype=np.float32)


def _used_rows(vectors, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``ids`` use, decoded (float32, contiguous), and the ids renumbered into them."""
    used, local = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
    rows = np.ascontiguousarray(vectors[used] if used.size else np.zeros((0, vectors.shape[1])), dtype=np.float32)
    return rows, local.reshape(-1).astype(np.int64)
