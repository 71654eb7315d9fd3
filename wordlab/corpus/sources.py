"""Finding corpus files and opening them, compressed or not.

Inputs may be a file, several files, a directory (searched recursively, in sorted
order) or a glob pattern. A path named explicitly may also be a stream: a FIFO,
``/dev/stdin`` or a shell's process substitution (``<(zcat x.gz)``); such a stream can
be read only once. ``.gz``, ``.bz2`` and ``.xz`` files are decompressed on the fly;
damaged or truncated compressed data is an :class:`~wordlab.errors.InputFormatError`
naming the file and the byte offset. MediaWiki XML dumps are recognised by name
(``.xml``, ``.xml.bz2``, ...) or, for regular files, by their first bytes, and read by
:mod:`wordlab.corpus.wiki`.

:func:`text_lines` reads the small line-based files of the lab (datasets, dictionaries,
word lists, vocabularies): a UTF-8 byte-order mark is skipped and invalid bytes are an
error naming the file, the line and the byte offset.
"""
from __future__ import annotations

import bz2
import codecs
import fnmatch
import glob
import gzip
import io
import lzma
import os
import stat
import zlib
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from ..errors import InputFormatError, WordlabError

#: The UTF-8 byte-order mark some editors put at the start of a text file.
UTF8_BOM = codecs.BOM_UTF8

_COMPRESSED = {".gz": gzip.GzipFile, ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile, ".lzma": lzma.LZMAFile}
_SKIP_NAMES = {".DS_Store"}


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


#: The files of a directory input that are read (a glob on the file name; ``include=``).
DIRECTORY_INCLUDE = "*"
#: Bytes read from the start of a directory's file to tell text from binary.
TEXT_SNIFF_BYTES = 4096


def is_text_file(path: Path) -> bool:
    """Whether a file's first bytes (decompressed) read as text: valid UTF-8 without
    control characters other than tab, newline, carriage return and form feed (an
    image, an archive or a database is not; a character cut at the end is allowed)."""
    try:
        stream, _ = open_binary(path)
        with stream:
            head = stream.read(TEXT_SNIFF_BYTES)
    except (OSError, EOFError, ValueError, WordlabError):
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:
            return False
        text = head[:e.start].decode("utf-8")
    return not any(ord(c) < 32 and c not in "\t\n\r\f" for c in text)


def resolve_inputs(spec: "str | os.PathLike | Iterable[str | os.PathLike]",
                   include: str = DIRECTORY_INCLUDE) -> list[Path]:
    """Expand files, directories and globs into a de-duplicated list of files.

    Files named explicitly keep the order given; a directory's files (recursive) and a
    glob's matches are sorted. A directory contributes the files whose names match
    ``include`` (a glob, default every file) and whose first bytes are text
    (:func:`is_text_file`): the others (an image, a PDF, a database) are skipped, and one
    :class:`~wordlab.errors.WordlabWarning` says which. A file named explicitly is always read.

    Raises ``WordlabError`` naming the input when a path does not exist, a glob
    matches nothing, or a directory holds no files.
    """
    items = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    if not items:
        raise WordlabError("no corpus input given")
    files: list[Path] = []
    for item in items:
        text = os.fspath(item)
        if not text.strip():            # Path("") is ".": it would read the current directory
            raise WordlabError("an empty corpus path: name a file, a directory or a glob")
        path = Path(text).expanduser()
        if path.is_file():
            files.append(path)
        elif path.exists() and not path.is_dir():   # a FIFO, /dev/stdin, <(process substitution)
            files.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.name not in _SKIP_NAMES and not p.name.startswith("."))
            if not found:
                raise WordlabError(f"corpus directory {text} contains no files")
            taken = [p for p in found if fnmatch.fnmatch(p.name, include) and is_text_file(p)]
            if not taken:
                raise WordlabError(f"corpus directory {text} contains no text files"
                                   + (f" matching {include!r}" if include != DIRECTORY_INCLUDE else ""))
            if len(taken) < len(found):
                skipped = [p for p in found if p not in set(taken)]
                import warnings
                from ..errors import WordlabWarning
                warnings.warn(f"corpus directory {text}: {len(skipped)} file(s) skipped as not text"
                              + (f" or not matching {include!r}" if include != DIRECTORY_INCLUDE else "")
                              + f": {', '.join(p.name for p in skipped[:5])}" + (" ..." if len(skipped) > 5 else ""),
                              WordlabWarning, stacklevel=3)
            files.extend(taken)
        elif _is_glob(text):
            found = sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True)
                           if Path(p).is_file())
            if not found:
                raise WordlabError(f"corpus pattern {text!r} matches no files")
            files.extend(found)
        elif any(c.isspace() for c in text.strip()):
            raise WordlabError(f"corpus file {text[:60]!r}{'...' if len(text) > 60 else ''} does not exist; a string "
                               "is read as a path, glob or directory: to train on text held in Python, pass lists "
                               "of tokens ([wordlab.tokenize(t) for t in texts])")
        else:
            raise WordlabError(f"corpus file {text} does not exist")
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


class CountingReader(io.RawIOBase):
    """A raw file wrapper that counts bytes read, for progress on compressed input."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.bytes_read += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def compression_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return suffix if suffix in _COMPRESSED else None


def open_binary(path: Path) -> tuple[BinaryIO, CountingReader]:
    """Open ``path`` for reading decompressed bytes; also return the on-disk byte counter.

    Reading a damaged or truncated compressed file raises :class:`InputFormatError`
    naming the file and the decompressed byte offset.
    """
    counter = CountingReader(open(path, "rb", buffering=0))
    buffered = io.BufferedReader(counter, buffer_size=1 << 20)
    kind = compression_of(path)
    opener = _COMPRESSED.get(kind or "")
    if opener is None:
        return buffered, counter
    inner = gzip.GzipFile(fileobj=buffered, mode="rb") if opener is gzip.GzipFile else opener(buffered)
    return _Decompressed(inner, buffered, path, kind, counter), counter


def _is_decompression_error(exc: BaseException) -> bool:
    """True for what gzip, bz2 and lzma raise on damaged or truncated data.

    bz2 and gzip report bad data as an ``OSError`` without an errno (``Invalid data
    stream``, ``BadGzipFile``); an OSError with an errno is a real I/O failure.
    """
    if isinstance(exc, (EOFError, zlib.error, lzma.LZMAError)):
        return True
    return isinstance(exc, OSError) and exc.errno is None and not isinstance(exc, io.UnsupportedOperation)


class _Decompressed(io.BufferedIOBase):
    """A decompressing stream that also closes the file beneath it, and turns the
    decompressors' errors into one :class:`InputFormatError` naming file and offset."""

    def __init__(self, inner: BinaryIO, underlying: BinaryIO, path: Path | None = None, kind: str | None = None,
                 counter: CountingReader | None = None):
        self._inner = inner
        self._underlying = underlying
        self._path = path
        self._kind = (kind or "").lstrip(".")
        self._counter = counter
        self.position = 0   # decompressed bytes returned so far

    def readable(self) -> bool:
        return True

    def _failed(self, exc: BaseException) -> InputFormatError:
        # The decompressors raise before returning any of the failing read's bytes, so
        # the offset is where that read began; the on-disk count includes read-ahead.
        read = f", {self._counter.bytes_read} compressed bytes read" if self._counter is not None else ""
        reason = "truncated" if isinstance(exc, EOFError) else "damaged"
        return InputFormatError(f"{self._path}: {self._kind} data {reason} ({exc}), in the read from "
                                f"decompressed byte offset {self.position}{read}")

    def _call(self, method: Callable, arg):
        try:
            out = method(arg)
        except (EOFError, zlib.error, lzma.LZMAError, OSError) as e:
            if not _is_decompression_error(e):
                raise   # a real I/O error
            raise self._failed(e) from None
        self.position += out if isinstance(out, int) else len(out)
        return out

    def read(self, size: int | None = -1) -> bytes:
        return self._call(self._inner.read, -1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self._call(self._inner.read1, size)

    def readinto(self, buffer) -> int:
        return self._call(self._inner.readinto, buffer)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._underlying.close()
            super().close()


def is_regular_file(path: Path) -> bool:
    """True for a regular file (not a FIFO, character device or directory)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def is_mediawiki(path: Path) -> bool:
    """True for MediaWiki XML dumps: by name (``*.xml``, ``*.xml.bz2``...) or first bytes.

    A stream (FIFO, ``/dev/stdin``) is judged by its name alone: its bytes can be read
    only once, and belong to the reader.
    """
    name = path.name.lower()
    stem = name[: -len(compression_of(path))] if compression_of(path) else name
    if stem.endswith(".xml"):
        return True
    if not is_regular_file(path):
        return False
    try:
        stream, _ = open_binary(path)
        with stream:
            head = stream.read(512)
    except (OSError, InputFormatError):   # unreadable or damaged: the reader reports it
        return False
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM):]
    return b"<mediawiki" in head.lstrip()[:200]


# -- small line-based text files --------------------------------------------------------------
def text_lines(path: str | os.PathLike, encoding: str = "utf-8", universal: bool = True,
               where: Callable[[int], str] | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line)`` of a text file, without the line ending.

    The encoding must be ASCII-compatible (UTF-8, Latin-1, ...): lines are cut at the
    byte ``\\n``. A UTF-8 byte-order mark at the start is skipped. ``universal``
    (default) treats a lone ``\\r`` as a line break too, as text-mode ``open`` does;
    otherwise only ``\\n`` ends a line (a ``\\r`` before it is still dropped). Bytes
    invalid in ``encoding`` raise :class:`InputFormatError` naming the file, the line
    and the byte offset (``where(n)`` gives the message's prefix for line ``n``; default
    ``"PATH, line N"``). The file is decoded a block of lines at a time, never whole.
    """
    path = Path(path)
    where = where or (lambda n: f"{path}, line {n}")
    utf8 = codecs.lookup(encoding).name.startswith("utf-8")
    number = 0
    offset = 0   # byte offset of the block in the file
    with open(path, "rb") as fh:
        for block in _line_blocks(fh):
            if offset == 0 and utf8 and block.startswith(UTF8_BOM):
                block, offset = block[len(UTF8_BOM):], len(UTF8_BOM)
            try:
                text = block.decode(encoding)
            except UnicodeDecodeError:
                _raise_decode_error(block, encoding, universal, number, offset, where)
            lines = text.split("\n")
            if block.endswith(b"\n"):
                lines.pop()
            if "\r" in text:
                lines = _without_cr(lines, universal)
            for number, line in enumerate(lines, number + 1):
                yield number, line
            offset += len(block)


def _without_cr(lines: list[str], universal: bool) -> list[str]:
    """Lines with a ``\\r`` before their ``\\n`` dropped, and (``universal``) cut at a lone ``\\r``."""
    out = []
    for line in lines:
        if line.endswith("\r"):
            line = line[:-1]
        if universal and "\r" in line:
            out.extend(line.split("\r"))
        else:
            out.append(line)
    return out


def _line_blocks(fh: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """Blocks of whole ``\\n``-terminated lines (the last may lack its newline)."""
    pending: list[bytes] = []
    while True:
        data = fh.read(size)
        if not data:
            break
        cut = data.rfind(b"\n") + 1
        if not cut:
            pending.append(data)
            continue
        pending.append(data[:cut])
        yield b"".join(pending)
        pending = [data[cut:]] if cut < len(data) else []
    tail = b"".join(pending)
    if tail:
        yield tail


def _raise_decode_error(block: bytes, encoding: str, universal: bool, number: int, offset: int,
                        where: Callable[[int], str]) -> None:
    """Find the line of ``block`` that does not decode (numbered as :func:`text_lines`
    numbers it) and raise the error naming it."""
    for raw in block.split(b"\n"):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError as e:
            body = raw[:-1] if raw.endswith(b"\r") else raw
            line = number + 1 + (body.count(b"\r", 0, e.start) if universal else 0)
            raise InputFormatError(f"{where(line)}: not valid {encoding} ({e.reason} at byte offset "
                                   f"{offset + e.start})") from None
        body = raw[:-1] if raw.endswith(b"\r") else raw
        number += 1 + (body.count(b"\r") if universal else 0)
        offset += len(raw) + 1
    raise AssertionError("the block failed to decode, so one of its lines does")  # pragma: no cover
