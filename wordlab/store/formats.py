"""Reading the common text and binary embedding formats (the writers are in
:mod:`wordlab.store.export`, a store's own files in :mod:`wordlab.store.reader`).

Readers stream rows into a ``.npy`` file block by block (never the whole matrix in
RAM, never an allocation sized by a header):

- word2vec text (``N DIM`` header, then ``word v1 ... vDIM`` per line; fastText
  ``.vec`` is the same format), with or without the C tool's trailing space;
- word2vec binary (``N DIM`` header, then ``word<space>`` and DIM little-endian
  float32 per row; the C tool ends each row with a newline, gensim does not: both
  are read);
- GloVe text (no header; the dimension is taken from the first line).

What a reader accepts and refuses:

- A UTF-8 byte-order mark before the first line is skipped.
- Every disagreement between a declared header and the rows is an
  :class:`~wordlab.errors.InputFormatError` naming the file and the line (text) or the
  row and byte offset (binary): more or fewer rows than declared, a row with the wrong
  number of values, a value that is not a number, a word that is empty or holds a tab
  or line break (a store's ``vocab.tsv`` cannot hold it), invalid UTF-8 (unless
  ``unicode_errors="replace"``). A dimension of 0 or above :data:`MAX_DIM` is refused.
  A header's row count is only compared with the rows found (nothing is allocated
  from it), so a lying header costs one pass over the file, not memory.
- Suspicious but loadable input gets a :class:`~wordlab.errors.WordlabWarning` naming
  the file and line: a text file whose last line has no newline (it may have been cut
  inside its last number), and values that are NaN or infinite, whether written so
  (``nan``, ``inf``) or beyond float32's range (``1e39`` becomes infinity). Such
  values are kept as read: ``Embeddings`` excludes non-finite rows from searches.
- Damaged or truncated ``.gz``/``.bz2``/``.xz`` data is an InputFormatError naming the
  file and the decompressed byte offset (see :func:`wordlab.corpus.sources.open_binary`).

"""
from __future__ import annotations

import codecs
import warnings
from itertools import chain
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

import numpy as np

from ..corpus.sources import UTF8_BOM, open_binary
from ..errors import InputFormatError, ParameterError, WordlabWarning
from ..npyio import NpyAppender
from .export import write_binary_vectors, write_text_vectors  # noqa: F401 - their old home
from .reader import map_vectors_npy, read_store_meta, read_vocab_tsv  # noqa: F401 - their old home

FORMATS = ("store", "word2vec", "word2vec-bin", "glove", "fasttext-bin")
_BLOCK_LINES = 8192
_READ_BYTES = 1 << 22

#: Largest dimension a header (or a GloVe first line) may declare.
MAX_DIM = 1_000_000
#: A text line longer than this is not a vector row (a binary file read as text?).
_MAX_LINE_BYTES = 1 << 26
#: A binary file's word must end (with a space) within this many bytes.
_MAX_WORD_BYTES = 1 << 16
#: Digits of a header count: more is absurd (and int() refuses 4,300 digits).
_MAX_COUNT_DIGITS = 18


def _check_unicode_errors(unicode_errors: str) -> None:
    try:
        codecs.lookup_error(unicode_errors)
    except LookupError:
        raise ParameterError(f"unicode_errors must be an error handler such as 'strict' or 'replace', "
                             f"not {unicode_errors!r}") from None


def _read_head(stream: BinaryIO, n: int = len(UTF8_BOM)) -> bytes:
    """The first ``n`` bytes (fewer at the end), a byte-order mark dropped."""
    head = b""
    while len(head) < n:
        block = stream.read(max(_READ_BYTES, n - len(head)))
        if not block:
            break
        head += block
    return head[len(UTF8_BOM):] if head.startswith(UTF8_BOM) else head


def _header_fields(line: bytes) -> tuple[bytes, bytes] | None:
    """The two fields of an ``N DIM`` header line, or None when it is not one."""
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return parts[0], parts[1]
    return None


def _header_numbers(fields: tuple[bytes, bytes], where: str) -> tuple[int, int]:
    """``(n_rows, dim)`` of a header, refusing absurd numbers (``where``: file and line)."""
    if any(len(f.lstrip(b"0")) > _MAX_COUNT_DIGITS for f in fields):
        raise InputFormatError(f"{where}: header {b' '.join(fields)[:60].decode()!r} declares an absurd size")
    n_rows, dim = int(fields[0]), int(fields[1])
    _check_dim(dim, where)
    return n_rows, dim


def _check_dim(dim: int, where: str) -> None:
    if dim < 1:
        raise InputFormatError(f"{where}: dimension {dim}: a vector needs at least one value")
    if dim > MAX_DIM:
        raise InputFormatError(f"{where}: dimension {dim:,} is above the {MAX_DIM:,} wordlab accepts")


def _decode_words(raw: list[bytes], unicode_errors: str, where) -> list[str]:
    """Words as text; an error (``where(i)`` names the place of word ``i``) when one is
    not valid UTF-8, is empty, or holds a character a store's ``vocab.tsv`` cannot hold
    (tab, line break). Checked a block at a time: a loop per word would cost more."""
    if not raw:
        return []
    try:
        words = [w.decode("utf-8", errors=unicode_errors) for w in raw]
    except UnicodeDecodeError:
        for i, w in enumerate(raw):
            try:
                w.decode("utf-8", errors=unicode_errors)
            except UnicodeDecodeError as e:
                raise InputFormatError(f"{where(i)}: word is not valid UTF-8 ({e.reason}); "
                                       "pass unicode_errors='replace'") from None
        raise   # pragma: no cover - the block failed, so one word does
    if "" in words:
        raise InputFormatError(f"{where(words.index(''))}: empty word")
    joined = "\n".join(words)
    if "\t" in joined or "\r" in joined or joined.count("\n") != len(words) - 1:
        i = next(i for i, w in enumerate(words) if "\t" in w or "\n" in w or "\r" in w)
        raise InputFormatError(f"{where(i)}: word {words[i][:50]!r} holds a tab or line break")
    return words


class _NonFinite:
    """Counts NaN and infinite values; one warning per file, naming the first place."""

    def __init__(self):
        self.count = 0
        self.first: str | None = None

    def check(self, block: np.ndarray, where_row) -> None:
        """``block``: rows just read; ``where_row(i)`` names the place of its row ``i``."""
        bad = ~np.isfinite(block)
        if bad.any():
            if self.first is None:
                self.first = where_row(int(np.flatnonzero(bad.any(axis=1))[0]))
            self.count += int(bad.sum())

    def warn(self) -> None:
        if self.count:
            warnings.warn(f"{self.first}: {self.count:,} value(s) in the file are NaN or infinite (written so, "
                          f"or beyond float32's range of ±3.4e38); they are kept as read", WordlabWarning,
                          stacklevel=4)


# -- text files ----------------------------------------------------------------------------
class _Lines:
    """Numbered ``\\n``-terminated lines of a binary stream, read in large blocks.

    A byte-order mark at the start is dropped; a line longer than ``_MAX_LINE_BYTES``
    is an error. After iteration, ``unterminated`` tells whether the last line (not
    blank) had no newline.
    """

    def __init__(self, stream: BinaryIO, path: Path):
        self.stream = stream
        self.path = path
        self.line_no = 0
        self.unterminated = False

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        pending: list[bytes] = []   # pieces of the unfinished line
        size = 0
        block = _read_head(self.stream)
        while block:
            if b"\n" not in block:       # joined only when a newline comes: linear in the line
                pending.append(block)
                size += len(block)
                if size > _MAX_LINE_BYTES:
                    raise InputFormatError(f"{self.path}, line {self.line_no + 1}: longer than "
                                           f"{_MAX_LINE_BYTES >> 20} MiB; not a text vector file?")
            else:
                pending.append(block)
                lines = b"".join(pending).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    self.line_no += 1
                    yield self.line_no, line
                pending, size = [rest], len(rest)
            block = self.stream.read(_READ_BYTES)
        rest = b"".join(pending)
        if rest:
            self.line_no += 1
            self.unterminated = bool(rest.strip())
            yield self.line_no, rest


class _TextRows:
    """Parses ``word v1 ... vDIM`` lines a block at a time and appends them to ``out``."""

    def __init__(self, path: Path, dim: int, declared: int | None, unicode_errors: str, out: NpyAppender):
        self.path, self.dim, self.declared = path, dim, declared
        self.unicode_errors = unicode_errors
        self.out = out
        self.words: list[str] = []
        self.nonfinite = _NonFinite()
        self._words: list[bytes] = []
        self._values: list[bytes] = []
        self._lines: list[int] = []   # real line number of each row (blank lines are skipped)

    def feed(self, lines: Iterable[tuple[int, bytes]]) -> None:
        """Parse every ``(line number, line)``; blank lines are skipped. A block ends
        after ``_BLOCK_LINES`` rows or ``_READ_BYTES`` bytes (long rows: bounded memory)."""
        words, values, numbers = self._words, self._values, self._lines
        size = 0
        for line_no, line in lines:
            line = line.rstrip(b"\r\n ")
            if not line.strip():
                continue
            word, _, rest = line.partition(b" ")
            words.append(word)
            values.append(rest)
            numbers.append(line_no)
            size += len(line)
            if len(words) >= _BLOCK_LINES or size >= _READ_BYTES:
                self.flush()
                size = 0
        self.flush()

    def _where(self, j: int) -> str:
        return f"{self.path}, line {self._lines[j]}"

    def flush(self) -> None:
        if not self._words:
            return
        n, dim = len(self._words), self.dim
        done = len(self.words)
        if self.declared is not None and done + n > self.declared:
            raise InputFormatError(f"{self._where(self.declared - done)}: more vectors than the "
                                   f"{self.declared} declared")
        # Rows with an unusual separator count get an exact check (a long and a short
        # row must not cancel out in the block total).
        for j, v in enumerate(self._values):
            if v.count(b" ") != dim - 1:
                found = len(v.split())
                if found != dim:
                    raise InputFormatError(f"{self._where(j)}: expected {dim} values after the word, found {found}")
        block = _parse_floats(b" ".join(self._values))
        if block is None or block.size != n * dim:
            raise self._bad_values()
        block = block.reshape(n, dim)
        self.nonfinite.check(block, self._where)
        words = _decode_words(self._words, self.unicode_errors, self._where)
        self.out.append(block)
        self.words.extend(words)
        self._words.clear()
        self._values.clear()
        self._lines.clear()

    def _bad_values(self) -> InputFormatError:
        for j, v in enumerate(self._values):
            values = _parse_floats(v)
            if values is None or values.size != self.dim:
                return InputFormatError(f"{self._where(j)}: a value is not a number: {v[:60]!r}")
        return InputFormatError(f"{self.path}, lines {self._lines[0]}-{self._lines[-1]}: unreadable values")


def _parse_floats(text: bytes) -> np.ndarray | None:
    """Whitespace-separated numbers as float32, or None when one is not a number."""
    try:
        return np.fromstring(text, dtype=np.float32, sep=" ")
    except ValueError:
        return None


def read_text_vectors(path: Path, out_npy: Path, fmt: str = "text",
                      unicode_errors: str = "strict") -> list[str]:
    """Stream a word2vec-text, fastText-.vec or GloVe file into ``out_npy``.

    ``fmt`` is ``"word2vec"`` (a header is required), ``"glove"`` (no header) or
    ``"text"`` (header if the first line is two integers). Returns the words; the
    vectors are in ``out_npy`` (float32, C order). See the module docstring for what
    is refused (:class:`InputFormatError`) and what warns (:class:`WordlabWarning`).
    """
    path = Path(path)
    _check_unicode_errors(unicode_errors)
    stream, _ = open_binary(path)
    with stream:
        lines = _Lines(stream, path)
        rows = iter(lines)
        _, first = next(rows, (1, b""))
        fields = _header_fields(first)
        if fmt == "word2vec" and fields is None:
            raise InputFormatError(f"{path}, line 1: expected a word2vec header 'N DIM', found {first[:60]!r}")
        if fields is not None and fmt != "glove":
            n_rows, dim = _header_numbers(fields, f"{path}, line 1")
            data: Iterable[tuple[int, bytes]] = rows
        else:
            dim = len(first.rstrip().split(b" ")) - 1
            if dim < 1:
                raise InputFormatError(f"{path}, line 1: expected 'word v1 v2 ...', found {first[:60]!r}")
            _check_dim(dim, f"{path}, line 1")
            n_rows = None
            data = chain([(1, first)], rows)
        limit = 2 ** 62 if n_rows is None else max(min(n_rows, 2 ** 62), 1)
        with NpyAppender(out_npy, np.float32, max_length=limit, row_shape=(dim,)) as out:
            parser = _TextRows(path, dim, n_rows, unicode_errors, out)
            parser.feed(data)
    found = len(parser.words)
    if n_rows is not None and found != n_rows:
        raise InputFormatError(f"{path}: the header declares {n_rows} vectors but the file "
                               f"ends after {found} (line {lines.line_no})")
    if lines.unterminated:
        warnings.warn(f"{path}, line {lines.line_no}: the file does not end with a newline; it may be "
                      "truncated (the last number cut short)", WordlabWarning, stacklevel=3)
    parser.nonfinite.warn()
    return parser.words


# -- binary files ----------------------------------------------------------------------------
class _Buffer:
    """A window on a binary stream: ``data[pos:]`` is read but not consumed, and
    ``offset`` is the stream offset of ``data[pos]``."""

    def __init__(self, stream: BinaryIO, head: bytes):
        self.stream = stream
        self.data = bytearray(head)
        self.pos = 0
        self.offset = 0

    def more(self) -> bool:
        """Read one more block (first dropping what was consumed); False at the end."""
        block = self.stream.read(_READ_BYTES)
        if not block:
            return False
        if self.pos:
            del self.data[:self.pos]
            self.pos = 0
        self.data += block
        return True

    def find(self, byte: bytes, limit: int) -> int:
        """Index (from ``pos``) of the next ``byte`` within ``limit`` bytes, reading as
        needed; -1 when the stream ends first, -2 when ``limit`` bytes hold none."""
        searched = 0
        while True:
            i = self.data.find(byte, self.pos + searched, self.pos + limit)
            if i >= 0:
                return i - self.pos
            searched = len(self.data) - self.pos
            if searched >= limit:
                return -2
            if not self.more():
                return -1

    def ensure(self, n: int) -> bool:
        """At least ``n`` unconsumed bytes are buffered (False: the stream ends first)."""
        while len(self.data) - self.pos < n:
            if not self.more():
                return False
        return True

    def skip(self, n: int) -> None:
        self.pos += n
        self.offset += n

    def rest_is_blank(self) -> bool:
        """Whether only whitespace is left in the stream (read to its end, block by block)."""
        if self.data[self.pos:].strip():
            return False
        while True:
            block = self.stream.read(_READ_BYTES)
            if not block:
                return True
            if block.strip():
                return False


def read_binary_vectors(path: Path, out_npy: Path, unicode_errors: str = "strict") -> list[str]:
    """Stream a word2vec binary file into ``out_npy``; returns the words.

    See the module docstring for what is refused (:class:`InputFormatError`, naming the
    row and byte offset) and what warns (:class:`WordlabWarning`).
    """
    path = Path(path)
    _check_unicode_errors(unicode_errors)
    stream, _ = open_binary(path)
    with stream:
        buf = _Buffer(stream, _read_head(stream))
        end = buf.find(b"\n", 1024)
        if end < 0:
            raise InputFormatError(f"{path}: no 'N DIM' header line at byte offset 0")
        line = bytes(buf.data[:end])
        fields = _header_fields(line)
        if fields is None:
            raise InputFormatError(f"{path}, line 1: expected a word2vec header 'N DIM', found {line[:60]!r}")
        n_rows, dim = _header_numbers(fields, f"{path}, line 1")
        buf.skip(end + 1)
        with NpyAppender(out_npy, np.float32, max_length=max(n_rows, 1), row_shape=(dim,)) as out:
            words, nonfinite = _binary_rows(buf, path, n_rows, dim, unicode_errors, out)
        if not buf.rest_is_blank():
            raise InputFormatError(f"{path}: data after the {n_rows} vectors the header declares "
                                   f"(byte offset {buf.offset})")
    nonfinite.warn()
    return words


def _binary_rows(buf: _Buffer, path: Path, n_rows: int, dim: int, unicode_errors: str,
                 out: NpyAppender) -> tuple[list[str], _NonFinite]:
    """Read ``n_rows`` rows of ``word<space>`` and ``dim`` float32, appending blocks to ``out``."""
    row_bytes = 4 * dim
    block = np.empty((max(1, min(_BLOCK_LINES, _READ_BYTES // row_bytes)), dim), dtype=np.float32)
    raw_words: list[bytes] = []
    starts: list[int] = []   # byte offset of each row of the block
    words: list[str] = []
    nonfinite = _NonFinite()

    def emit() -> None:
        first = len(words)

        def where(i: int) -> str:
            return f"{path}: row {first + i + 1} (byte offset {starts[i]})"

        words.extend(_decode_words(raw_words, unicode_errors, where))
        k = len(raw_words)
        nonfinite.check(block[:k], where)
        out.append(block[:k])
        raw_words.clear()
        starts.clear()

    for row in range(n_rows):
        space = buf.find(b" ", _MAX_WORD_BYTES)
        if space == -2:
            raise InputFormatError(f"{path}: row {row + 1} of {n_rows} declared (byte offset {buf.offset}): no "
                                   f"space ends the word within {_MAX_WORD_BYTES} bytes; not a word2vec binary file?")
        if space < 0 or not buf.ensure(space + 1 + row_bytes):
            what = ("inside the vector of word " + repr(bytes(buf.data[buf.pos:buf.pos + space]).lstrip(b"\r\n")[:50]
                                                        .decode("utf-8", "replace"))) if space >= 0 \
                else "before the next word"
            raise InputFormatError(f"{path}: truncated: file ends {what} (row {row + 1} of "
                                   f"{n_rows} declared, byte offset {buf.offset})")
        start = buf.pos
        block[len(raw_words)] = np.frombuffer(buf.data, dtype="<f4", count=dim, offset=start + space + 1)
        raw_words.append(bytes(buf.data[start:start + space]).lstrip(b"\r\n"))
        starts.append(buf.offset)
        buf.skip(space + 1 + row_bytes)
        if len(raw_words) == block.shape[0]:
            emit()
    if raw_words:
        emit()
    return words, nonfinite
