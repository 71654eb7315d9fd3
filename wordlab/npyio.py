"""Writing ``.npy`` files (reserved before mapping, or of unknown final length), and
reading ranges without mapping.

:func:`create_npy` is how wordlab makes every memory-mapped output: it reserves the
file's blocks first (``posix_fallocate``), so a full disk is one
:class:`~wordlab.errors.DiskFullError` naming the path and the bytes needed, never a
SIGBUS when a page of the map cannot be written back.

wordlab streams large arrays (co-occurrence entries, shuffled training records) to
disk block by block. :class:`NpyAppender` writes a standard ``.npy`` file whose header
is sized for an upper bound and rewritten with the true length when the file is
closed, so the result opens with ``np.load(..., mmap_mode="r")`` like any other.
:func:`read_range` reads a slice with ``pread`` (no pages mapped into the process),
so a pass over a file larger than memory keeps a small resident set.
"""
from __future__ import annotations

import contextlib
import errno
import os
import struct
import zlib
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import DiskFullError, ParameterError, is_disk_full

_MAGIC = b"\x93NUMPY\x01\x00"


#: Largest array wordlab will create (bytes): anything larger is a mistake in a parameter
#: or a header, reported as such instead of an overflow deep in numpy.
MAX_ARRAY_BYTES = 1 << 50


def reserve(fd: int, nbytes: int, path: str | os.PathLike) -> None:
    """Allocate ``nbytes`` for the open file ``fd`` now, or raise :class:`DiskFullError`."""
    if nbytes <= 0:
        return
    try:
        os.posix_fallocate(fd, 0, nbytes)
    except AttributeError:  # pragma: no cover - no posix_fallocate (macOS): check free space
        st = os.fstatvfs(fd)
        if st.f_bavail * st.f_frsize < nbytes:
            raise DiskFullError(path, nbytes) from None
        os.ftruncate(fd, nbytes)
    except OSError as e:
        if is_disk_full(e):
            raise DiskFullError(path, nbytes, "file size limit exceeded" if e.errno == errno.EFBIG else
                                "no space left on device") from None
        if e.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # a filesystem without fallocate
            os.ftruncate(fd, nbytes)
            return
        raise


def array_bytes(shape: tuple[int, ...], dtype, what: str = "array") -> int:
    """Bytes of an array of ``shape``; a :class:`ParameterError` when absurd."""
    n = np.dtype(dtype).itemsize
    for s in shape:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ParameterError(f"{what}: invalid shape {shape}")
        n *= int(s)
    if n > MAX_ARRAY_BYTES:
        raise ParameterError(f"{what} of shape {tuple(int(s) for s in shape)} would need {n:,} bytes")
    return n


@contextlib.contextmanager
def replacing_npy(path: str | os.PathLike, dtype, shape: tuple[int, ...]) -> Iterator[np.memmap]:
    """A new ``.npy`` for ``path``, built at ``.NAME.partial`` beside it (:func:`create_npy`)
    and renamed onto ``path`` when the block ends; removed when it raises.

    The partial's name is fixed, so a rerun after a kill overwrites it rather than
    leaving debris (the trainers build their outputs this way inside their working
    directory, which is itself published in one step)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    out = create_npy(tmp, dtype, shape)
    try:
        yield out
        out.flush()
    except BaseException:
        del out
        tmp.unlink(missing_ok=True)
        raise
    del out
    os.replace(tmp, path)


def create_npy(path: str | os.PathLike, dtype, shape: tuple[int, ...]) -> np.memmap:
    """A new ``.npy`` file of ``shape``, its space reserved, opened as a writable memory map.

    The file is removed again when the space cannot be reserved.
    """
    path = Path(path)
    shape = tuple(int(s) for s in shape)
    data_bytes = array_bytes(shape, dtype, str(path))
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    try:
        with open(path, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            offset = fh.tell()
            fh.flush()
            reserve(fh.fileno(), offset + data_bytes, path)
    except BaseException:
        with _suppress_missing():
            path.unlink()
        raise
    if data_bytes == 0:
        return np.lib.format.open_memmap(path, mode="r+")
    return np.memmap(path, dtype=dtype, mode="r+", offset=offset, shape=shape, order="C")


def save_npy(path: str | os.PathLike, array, block_rows: int = 1 << 16) -> None:
    """``np.save`` with the space reserved first (:func:`create_npy`), copied in row blocks
    (a memory-mapped input is never read whole, nor an array-like that decodes its rows
    on access, such as a compressed store's matrix)."""
    if not isinstance(array, np.ndarray) and not (hasattr(array, "shape") and hasattr(array, "dtype")):
        array = np.asarray(array)
    out = create_npy(path, array.dtype, array.shape)
    if len(array.shape) == 0:
        out[...] = array
    else:
        for a in range(0, array.shape[0], block_rows):
            out[a:a + block_rows] = array[a:a + block_rows]
    out.flush()
    del out


class _suppress_missing:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, FileNotFoundError)


def _header(dtype: np.dtype, length: int, size: int | None = None, row_shape: tuple[int, ...] = ()) -> bytes:
    shape = "(%d,)" % length if not row_shape else "(%s)" % ", ".join(str(int(x)) for x in (length,) + row_shape)
    text = "{'descr': %r, 'fortran_order': False, 'shape': %s, }" % (np.dtype(dtype).str, shape)
    if size is None:
        size = -(-(len(_MAGIC) + 2 + len(text) + 1) // 64) * 64
    pad = size - len(_MAGIC) - 2 - len(text) - 1
    if pad < 0:  # pragma: no cover - the length only shrinks
        raise ValueError("npy header does not fit")
    return _MAGIC + struct.pack("<H", size - len(_MAGIC) - 2) + (text + " " * pad + "\n").encode("latin1")


class NpyAppender:
    """Append blocks of one dtype to a ``.npy`` file: 1-D, or rows of ``row_shape``.

    ``max_length`` bounds the final length (it sizes the header). Use as a context
    manager, or call :meth:`close`; the header then records the length written. The file
    grows by plain writes, so a full disk raises :class:`DiskFullError` at the block
    that does not fit (no memory map, no SIGBUS).
    """

    def __init__(self, path: str | os.PathLike, dtype, max_length: int = 2 ** 62,
                 row_shape: tuple[int, ...] = ()):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.row_shape = tuple(int(x) for x in row_shape)
        self.length = 0
        self._header_size = len(_header(self.dtype, max_length, row_shape=self.row_shape))
        self._fh = open(self.path, "wb")
        self._write(_header(self.dtype, 0, self._header_size, self.row_shape))

    def _write(self, data) -> None:
        try:
            self._fh.write(data)
        except OSError as e:
            if is_disk_full(e):
                raise DiskFullError(self.path, None, "file size limit exceeded" if e.errno == errno.EFBIG else
                                    "no space left on device") from None
            raise

    def append(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=self.dtype)
        if block.shape[1:] != self.row_shape:
            raise ValueError(f"block of shape {block.shape} for rows of shape {self.row_shape}")
        self._write(memoryview(block.reshape(-1)).cast("B"))
        self.length += block.shape[0]

    def close(self) -> None:
        if self._fh.closed:
            return
        try:
            self._fh.seek(0)
            self._write(_header(self.dtype, self.length, self._header_size, self.row_shape))
            self._fh.flush()
        finally:
            self._fh.close()

    def __enter__(self) -> "NpyAppender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def copy_with_checksum(src: str | os.PathLike, dst: str | os.PathLike, block: int = 1 << 23) -> tuple[int, int]:
    """Copy a file block by block; return (bytes, CRC-32 of the bytes). The copy is
    fsynced; a full disk is a :class:`DiskFullError` naming ``dst``."""
    crc, n = 0, 0
    buf = bytearray(block)
    view = memoryview(buf)
    with open(src, "rb", buffering=0) as fin, open(dst, "wb", buffering=0) as fout:
        while True:
            got = fin.readinto(buf)
            if not got:
                break
            crc = zlib.crc32(view[:got], crc)
            try:
                written = 0
                while written < got:
                    written += fout.write(view[written:got])
            except OSError as e:
                if is_disk_full(e):
                    raise DiskFullError(dst, os.fstat(fin.fileno()).st_size) from None
                raise
            n += got
        os.fsync(fout.fileno())
    return n, crc


def checksum(path: str | os.PathLike, block: int = 1 << 23) -> tuple[int, int]:
    """(bytes, CRC-32) of a file."""
    crc, n = 0, 0
    with open(path, "rb", buffering=0) as fh:
        while True:
            data = fh.read(block)
            if not data:
                return n, crc
            crc = zlib.crc32(data, crc)
            n += len(data)


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


def array_digest(arr, dtype=np.float32) -> str:
    """SHA-256 (16 hex digits) of ``arr``'s values as ``dtype``, C order, block by block."""
    import hashlib
    h = hashlib.sha256()
    flat = np.ascontiguousarray(arr, dtype=dtype).reshape(-1)
    for a in range(0, flat.shape[0], 1 << 22):
        h.update(flat[a:a + (1 << 22)].tobytes())
    return h.hexdigest()[:16]
