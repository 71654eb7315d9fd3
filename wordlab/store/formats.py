"""Reading and writing the common text and binary embedding formats.

Readers stream rows straight into a memory-mapped ``.npy`` file (never the whole
matrix in RAM):

- word2vec text (``N DIM`` header, then ``word v1 ... vDIM`` per line; fastText
  ``.vec`` is the same format), with or without the C tool's trailing space;
- word2vec binary (``N DIM`` header, then ``word<space>`` and DIM little-endian
  float32 per row; the C tool ends each row with a newline, gensim does not: both
  are read);
- GloVe text (no header; the dimension is taken from the first line).

Every disagreement between a declared header and the rows is an error naming the
file and the line (text) or the row and byte offset (binary).
"""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Iterable

import numpy as np

from ..corpus.sources import open_binary
from ..errors import InputFormatError

FORMATS = ("store", "word2vec", "word2vec-bin", "glove")
_BLOCK_LINES = 8192
_READ_BYTES = 1 << 22


def guess_format(path: Path) -> str:
    """Format from the file name: ``.bin`` binary, ``.vec``/``.w2v`` word2vec text,
    ``.txt`` word2vec text or GloVe (decided by the first line), a directory a store."""
    if path.is_dir():
        return "store"
    name = path.name.lower()
    for ext in (".gz", ".bz2", ".xz"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    if name.endswith(".bin"):
        return "word2vec-bin"
    if name.endswith((".vec", ".w2v")):
        return "word2vec"
    return "text"  # decided by sniffing the header


def _parse_header(line: bytes, path: Path) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def _iter_lines(stream: BinaryIO) -> Iterable[bytes]:
    """Lines of a binary stream, ``\\n``-terminated, read in large blocks."""
    rest = b""
    while True:
        block = stream.read(_READ_BYTES)
        if not block:
            if rest:
                yield rest
            return
        block = rest + block
        lines = block.split(b"\n")
        rest = lines.pop()
        yield from lines


def count_lines(path: Path) -> int:
    """Non-empty lines of a (possibly compressed) file."""
    n = 0
    stream, _ = open_binary(path)
    with stream:
        for line in _iter_lines(stream):
            if line.strip():
                n += 1
    return n


def read_text_vectors(path: Path, out_npy: Path, fmt: str = "text",
                      unicode_errors: str = "strict") -> list[str]:
    """Stream a word2vec-text, fastText-.vec or GloVe file into ``out_npy``.

    ``fmt`` is ``"word2vec"`` (a header is required), ``"glove"`` (no header) or
    ``"text"`` (header if the first line is two integers). Returns the words; the
    vectors are in ``out_npy`` (float32, C order).
    """
    stream, _ = open_binary(path)
    with stream:
        lines = iter(_iter_lines(stream))
        first = next(lines, b"")
        header = _parse_header(first, path)
        if fmt == "word2vec" and header is None:
            raise InputFormatError(f"{path}, line 1: expected a word2vec header 'N DIM', "
                                   f"found {first[:60]!r}")
        if header is not None and fmt != "glove":
            n_rows, dim = header
            line_no = 1
        else:
            fields = first.rstrip().split(b" ")
            dim = len(fields) - 1
            if dim < 1:
                raise InputFormatError(f"{path}, line 1: expected 'word v1 v2 ...', found {first[:60]!r}")
            n_rows = None
            line_no = 0
            lines = _chain_first(first, lines)
        if n_rows is None:
            n_rows = count_lines(path)
        vectors = np.lib.format.open_memmap(out_npy, mode="w+", dtype=np.float32, shape=(n_rows, dim))
        words: list[str] = []
        block_words: list[bytes] = []
        block_values: list[bytes] = []
        block_lines: list[int] = []   # real line number of each row (blank lines are skipped)
        row = 0
        separators = dim - 1

        def flush() -> None:
            nonlocal row
            if not block_words:
                return
            if row + len(block_words) > n_rows:
                raise InputFormatError(f"{path}, line {block_lines[n_rows - row]}: more vectors than the "
                                       f"{n_rows} declared")
            # Rows with an unusual separator count get an exact check (a long and a short
            # row must not cancel out in the block total).
            for j, v in enumerate(block_values):
                if v.count(b" ") != separators:
                    found = len(v.split())
                    if found != dim:
                        raise InputFormatError(f"{path}, line {block_lines[j]}: expected {dim} values "
                                               f"after the word, found {found}")
            try:
                values = np.fromstring(b" ".join(block_values), dtype=np.float32, sep=" ")
            except ValueError:
                values = None
            if values is None or values.shape[0] != len(block_words) * dim:
                for j, v in enumerate(block_values):
                    try:
                        [float(x) for x in v.split()]
                    except ValueError:
                        raise InputFormatError(f"{path}, line {block_lines[j]}: a value is not a number: "
                                               f"{v[:60]!r}") from None
                raise InputFormatError(f"{path}, lines {block_lines[0]}-{block_lines[-1]}: unreadable values")
            vectors[row:row + len(block_words)] = values.reshape(-1, dim)
            for j, w in enumerate(block_words):
                try:
                    words.append(w.decode("utf-8", errors=unicode_errors))
                except UnicodeDecodeError as e:
                    raise InputFormatError(f"{path}, line {block_lines[j]}: word is not valid UTF-8 "
                                           f"({e.reason}); pass unicode_errors='replace'") from None
            row += len(block_words)
            block_words.clear()
            block_values.clear()
            block_lines.clear()

        for line in lines:
            line_no += 1
            line = line.rstrip(b"\r\n ")
            if not line.strip():
                continue
            word, _, values = line.partition(b" ")
            block_words.append(word)
            block_values.append(values)
            block_lines.append(line_no)
            if len(block_words) >= _BLOCK_LINES:
                flush()
        flush()
        if row != n_rows:
            raise InputFormatError(f"{path}: the header declares {n_rows} vectors but the file "
                                   f"ends after {row} (line {line_no})")
        vectors.flush()
        vectors = None      # unmap now (the flush closure still names it)
    return words


def _chain_first(first: bytes, rest: Iterable[bytes]) -> Iterable[bytes]:
    yield first
    yield from rest


def read_binary_vectors(path: Path, out_npy: Path, unicode_errors: str = "strict") -> list[str]:
    """Stream a word2vec binary file into ``out_npy``; returns the words."""
    stream, _ = open_binary(path)
    with stream:
        buf = bytearray()
        pos = 0

        def fill(need: int) -> bool:
            nonlocal buf, pos
            if pos:
                del buf[:pos]
                pos = 0
            while len(buf) < need:
                block = stream.read(max(_READ_BYTES, need - len(buf)))
                if not block:
                    return False
                buf += block
            return True

        fill(1024)
        end = buf.find(b"\n")
        if end < 0:
            raise InputFormatError(f"{path}: no 'N DIM' header line")
        header = _parse_header(bytes(buf[:end]), path)
        if header is None:
            raise InputFormatError(f"{path}, line 1: expected a word2vec header 'N DIM', found {bytes(buf[:60])!r}")
        n_rows, dim = header
        pos = end + 1
        consumed = pos  # decompressed bytes before buf[pos]
        row_bytes = dim * 4
        mapped = np.lib.format.open_memmap(out_npy, mode="w+", dtype=np.float32, shape=(n_rows, dim))
        vectors = np.asarray(mapped)  # plain ndarray view: row writes skip np.memmap's Python hooks
        words: list[str] = []
        for row in range(n_rows):
            space = buf.find(b" ", pos)
            while space < 0 or len(buf) < space + 1 + row_bytes:
                if not fill(len(buf) - pos + _READ_BYTES):
                    space = buf.find(b" ", pos)
                    if space >= 0 and len(buf) >= space + 1 + row_bytes:
                        break
                    where = consumed
                    what = ("inside the vector of word " + repr(bytes(buf[pos:space]).lstrip(b"\r\n")[:50].decode(
                        "utf-8", "replace"))) if space >= 0 else "before the next word"
                    raise InputFormatError(f"{path}: truncated: file ends {what} (row {row + 1} of "
                                           f"{n_rows} declared, byte offset {where})")
                space = buf.find(b" ", pos)
                del base
            raw_word = bytes(buf[pos:space]).lstrip(b"\r\n")
            try:
                words.append(raw_word.decode("utf-8", errors=unicode_errors))
            except UnicodeDecodeError as e:
                raise InputFormatError(f"{path}: word of row {row + 1} (byte offset {consumed}) is not "
                                       f"valid UTF-8 ({e.reason}); pass unicode_errors='replace'") from None
            vectors[row] = np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1)
            consumed += space + 1 + row_bytes - pos
            pos = space + 1 + row_bytes
        # Only whitespace may follow the declared rows.
        if pos:
            del buf[:pos]
        trailing = bytes(buf) + stream.read(4096)
        if trailing.strip():
            raise InputFormatError(f"{path}: data after the {n_rows} vectors the header declares "
                                   f"(byte offset {consumed})")
        mapped.flush()
        del vectors, mapped
    return words


def _check_words(words: list[str], fmt: str) -> None:
    for w in words:
        if not w or any(ch.isspace() for ch in w):
            raise ValueError(f"word {w!r} cannot be written in {fmt} format "
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
    for a in range(0, n, _BLOCK_LINES):
        block = np.asarray(vectors[a:a + _BLOCK_LINES], dtype=np.float32).tolist()
        fh.write("".join(f"{w} {row_fmt % tuple(r)}\n"
                         for w, r in zip(words[a:a + _BLOCK_LINES], block)).encode("utf-8"))


def write_binary_vectors(fh: BinaryIO, words: list[str], vectors: np.ndarray) -> None:
    """Write word2vec binary, with the C tool's newline after each row."""
    _check_words(words, "word2vec binary")
    n, dim = vectors.shape
    fh.write(f"{n} {dim}\n".encode())
    for a in range(0, n, _BLOCK_LINES):
        block = np.ascontiguousarray(vectors[a:a + _BLOCK_LINES], dtype="<f4")
        fh.write(b"".join(w.encode("utf-8") + b" " + r.tobytes() + b"\n"
                          for w, r in zip(words[a:a + _BLOCK_LINES], block)))
