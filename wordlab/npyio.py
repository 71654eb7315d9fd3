"""Writing ``.npy`` files of unknown final length, and reading ranges without mapping.

wordlab streams large arrays (co-occurrence entries, shuffled training records) to
disk block by block. :class:`NpyAppender` writes a standard ``.npy`` file whose header
is sized for an upper bound and rewritten with the true length when the file is
closed, so the result opens with ``np.load(..., mmap_mode="r")`` like any other.
:func:`read_range` reads a slice with ``pread`` (no pages mapped into the process),
so a pass over a file larger than memory keeps a small resident set.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

_MAGIC = b"\x93NUMPY\x01\x00"


def _header(dtype: np.dtype, length: int, size: int | None = None) -> bytes:
    text = "{'descr': %r, 'fortran_order': False, 'shape': (%d,), }" % (np.dtype(dtype).str, length)
    if size is None:
        size = -(-(len(_MAGIC) + 2 + len(text) + 1) // 64) * 64
    pad = size - len(_MAGIC) - 2 - len(text) - 1
    if pad < 0:  # pragma: no cover - the length only shrinks
        raise ValueError("npy header does not fit")
    return _MAGIC + struct.pack("<H", size - len(_MAGIC) - 2) + (text + " " * pad + "\n").encode("latin1")


class NpyAppender:
    """Append 1-D blocks of one dtype to a ``.npy`` file.

    ``max_length`` bounds the final length (it sizes the header). Use as a context
    manager, or call :meth:`close`; the header then records the length written.
    """

    def __init__(self, path: str | os.PathLike, dtype, max_length: int = 2 ** 62):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.length = 0
        self._header_size = len(_header(self.dtype, max_length))
        self._fh = open(self.path, "wb")
        self._fh.write(_header(self.dtype, 0, self._header_size))

    def append(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=self.dtype)
        self._fh.write(memoryview(block).cast("B"))
        self.length += block.shape[0]

    def close(self) -> None:
        if self._fh.closed:
            return
        self._fh.seek(0)
        self._fh.write(_header(self.dtype, self.length, self._header_size))
        self._fh.close()

    def __enter__(self) -> "NpyAppender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def data_offset(path: str | os.PathLike) -> tuple[int, np.dtype, tuple[int, ...]]:
    """(byte offset of the data, dtype, shape) of a ``.npy`` file."""
    with open(path, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        shape, fortran, dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                 else np.lib.format.read_array_header_2_0)(fh)
        if fortran and len(shape) > 1:
            raise ValueError(f"{path}: Fortran-ordered arrays are not supported")
        return fh.tell(), dtype, shape


def read_range(path: str | os.PathLike, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
    """Elements ``start:stop`` of a 1-D ``.npy`` file, read (not mapped) into ``out``."""
    offset, dtype, _shape = data_offset(path)
    n = int(stop) - int(start)
    out = np.empty(n, dtype=dtype) if out is None else out[:n]
    if n:
        with open(path, "rb") as fh:
            fh.seek(offset + int(start) * dtype.itemsize)
            got = fh.readinto(memoryview(out).cast("B"))
        if got != n * dtype.itemsize:
            raise OSError(f"{path}: unexpected end of file")
    return out
