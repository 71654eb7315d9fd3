"""Writing the common text and binary embedding formats (word2vec text and binary,
GloVe): what ``Embeddings.save(format=...)`` and ``wordlab convert --to`` write.
The readers are in :mod:`wordlab.store.formats`."""
from __future__ import annotations

from typing import BinaryIO

import numpy as np

from ..errors import DataError

_BLOCK_ROWS = 8192


def _check_words(words: list[str], fmt: str) -> None:
    for w in words:
        if not w or any(ch.isspace() for ch in w):
            raise DataError(f"word {w!r} cannot be written in {fmt} format "
                            "(empty, or contains whitespace)")


def write_text_vectors(fh: BinaryIO, words: list[str], vectors: np.ndarray, header: bool,
                       precision: int = 9) -> None:
    """Write ``word v1 ... vDIM`` lines (a ``N DIM`` header when ``header``).

    9 significant digits make every float32 round-trip exactly.
    """
    _check_words(words, "text")
    n, dim = vectors.shape
    if header:
        fh.write(f"{n} {dim}\n".encode())
    row_fmt = " ".join([f"%.{precision}g"] * dim)
    for a in range(0, n, _BLOCK_ROWS):
        block = np.asarray(vectors[a:a + _BLOCK_ROWS], dtype=np.float32).tolist()
        fh.write("".join(f"{w} {row_fmt % tuple(r)}\n"
                         for w, r in zip(words[a:a + _BLOCK_ROWS], block)).encode("utf-8"))


def write_binary_vectors(fh: BinaryIO, words: list[str], vectors: np.ndarray) -> None:
    """Write word2vec binary, with the C tool's newline after each row."""
    _check_words(words, "word2vec binary")
    n, dim = vectors.shape
    fh.write(f"{n} {dim}\n".encode())
    for a in range(0, n, _BLOCK_ROWS):
        block = np.ascontiguousarray(vectors[a:a + _BLOCK_ROWS], dtype="<f4")
        fh.write(b"".join(w.encode("utf-8") + b" " + r.tobytes() + b"\n"
                          for w, r in zip(words[a:a + _BLOCK_ROWS], block)))
