"""Finding corpus files and opening them, compressed or not.

Inputs may be a file, several files, a directory (searched recursively, in sorted
order) or a glob pattern. ``.gz``, ``.bz2`` and ``.xz`` files are decompressed on
the fly; MediaWiki XML dumps are recognised by name (``.xml``, ``.xml.bz2``, ...) or
by their first bytes and read by :mod:`wordlab.corpus.wiki`.
"""
from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
from pathlib import Path
from typing import BinaryIO, Iterable

from ..errors import WordlabError

_COMPRESSED = {".gz": gzip.GzipFile, ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile, ".lzma": lzma.LZMAFile}
_SKIP_NAMES = {".DS_Store"}


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def resolve_inputs(spec: "str | os.PathLike | Iterable[str | os.PathLike]") -> list[Path]:
    """Expand files, directories and globs into a de-duplicated list of files.

    Files named explicitly keep the order given; a directory's files (recursive) and a
    glob's matches are sorted.

    Raises ``WordlabError`` naming the input when a path does not exist, a glob
    matches nothing, or a directory holds no files.
    """
    items = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    if not items:
        raise WordlabError("no corpus input given")
    files: list[Path] = []
    for item in items:
        text = os.fspath(item)
        path = Path(text).expanduser()
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.name not in _SKIP_NAMES and not p.name.startswith("."))
            if not found:
                raise WordlabError(f"corpus directory {text} contains no files")
            files.extend(found)
        elif _is_glob(text):
            found = sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True)
                           if Path(p).is_file())
            if not found:
                raise WordlabError(f"corpus pattern {text!r} matches no files")
            files.extend(found)
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
    """Open ``path`` for reading decompressed bytes; also return the on-disk byte counter."""
    counter = CountingReader(open(path, "rb", buffering=0))
    buffered = io.BufferedReader(counter, buffer_size=1 << 20)
    opener = _COMPRESSED.get(compression_of(path) or "")
    if opener is None:
        return buffered, counter
    inner = gzip.GzipFile(fileobj=buffered, mode="rb") if opener is gzip.GzipFile else opener(buffered)
    return _Decompressed(inner, buffered), counter


class _Decompressed(io.BufferedIOBase):
    """A decompressing stream that also closes the file beneath it."""

    def __init__(self, inner: BinaryIO, underlying: BinaryIO):
        self._inner = inner
        self._underlying = underlying

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    def read1(self, size: int = -1) -> bytes:
        return self._inner.read1(size)

    def readinto(self, buffer) -> int:
        return self._inner.readinto(buffer)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._underlying.close()
            super().close()


def is_mediawiki(path: Path) -> bool:
    """True for MediaWiki XML dumps: by name (``*.xml``, ``*.xml.bz2``...) or first bytes."""
    name = path.name.lower()
    stem = name[: -len(compression_of(path))] if compression_of(path) else name
    if stem.endswith(".xml"):
        return True
    try:
        stream, _ = open_binary(path)
        with stream:
            head = stream.read(512)
    except (OSError, EOFError, lzma.LZMAError):
        return False
    return b"<mediawiki" in head.lstrip()[:200]
