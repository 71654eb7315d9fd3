"""Partitions of a corpus's input files, for encoding on several machines.

A partition is a whole file, or a byte range of a large uncompressed text file in an
ASCII-compatible encoding, cut where the streaming reader could cut too: right after a
newline when there is one within ``search`` bytes of the nominal cut, else right after
the first whitespace byte that follows a non-whitespace byte (an ASCII byte is never
inside a multi-byte UTF-8 character, and a token never spans whitespace). A large
compressed file is first decompressed, by one task, into a plain copy beside the
output (:func:`worth_inflating`), which is then cut the same way.

Reading a partition (:func:`read_partition`) gives its tokens, flat, and where its
sentences end (:class:`~wordlab.corpus.readers._EventAssembler`); the long-sentence
split of ``max_sentence_length`` needs the count from the sentence's start, which may
lie in an earlier partition, so :func:`sentence_bounds` applies it once all
partitions are known. The result is the single-machine reader's, token for token and
sentence for sentence.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Iterator

import numpy as np

from .readers import _EventAssembler, read_text
from .sources import compression_of
from .sources import is_mediawiki
from .wiki import read_mediawiki

_WHITESPACE = b" \t\n\r\x0b\x0c"
DEFAULT_PARTITION_BYTES = 64 << 20
_SEARCH = 1 << 20
#: bytes the reader decodes at a time (a module setting, so that tests can make it tiny)
READ_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Partition:
    """Bytes ``start:stop`` of ``path`` (``stop`` None: the whole file, read by the
    single-machine reader); ``line_has_text``: paragraph mode's state at ``start``;
    ``origin``: the compressed input file that ``path`` is the decompressed copy of."""
    index: int
    path: str
    start: int = 0
    stop: int | None = None
    line_has_text: bool = False
    origin: str | None = None

    @property
    def whole(self) -> bool:
        return self.stop is None


def _ascii_compatible(encoding: str) -> bool:
    name = codecs.lookup(encoding).name
    return name in ("utf-8", "ascii", "latin-1", "iso8859-1", "cp1252") or name.startswith(("iso8859", "cp125"))


def find_cut(fh, nominal: int, size: int, search: int = _SEARCH) -> tuple[int, bool] | None:
    """(cut, line_has_text) at or after ``nominal`` in the open file ``fh``, or None
    when the rest of the file has no place to cut."""
    fh.seek(nominal)
    window = fh.read(min(search, size - nominal))
    nl = window.find(b"\n")
    if nl >= 0:
        return nominal + nl + 1, False
    prev = b""
    if nominal > 0:
        fh.seek(nominal - 1)
        prev = fh.read(1)
    pos, block = nominal, window
    while True:
        for i in range(len(block)):
            byte = block[i:i + 1]
            before = block[i - 1:i] if i else prev
            if byte in _WHITESPACE and before and before not in _WHITESPACE:
                return pos + i + 1, True
        if pos + len(block) >= size or not block:
            return None
        prev = block[-1:]
        pos += len(block)
        fh.seek(pos)
        block = fh.read(min(search, size - pos))


def worth_inflating(path: Path, encoding: str, partition_bytes: int) -> bool:
    """True for a compressed text file of at least one partition's size (compressed):
    decompressed once into a plain copy, it can be cut into byte ranges (a compressed
    stream can only be read from its start)."""
    path = Path(path)
    return (compression_of(path) is not None and _ascii_compatible(encoding) and not is_mediawiki(path)
            and path.stat().st_size >= partition_bytes)


def plan_partitions(files: list[Path], encoding: str, partition_bytes: int = DEFAULT_PARTITION_BYTES,
                    inflated: dict[str, str] | None = None) -> list[Partition]:
    """The partitions of ``files`` in corpus order (see module docstring); a file in
    ``inflated`` (its path -> a plain, decompressed copy) is cut as its copy."""
    out: list[Partition] = []
    splittable = _ascii_compatible(encoding)
    inflated = inflated or {}
    for path in files:
        origin = str(path) if str(path) in inflated else None
        path = Path(inflated.get(str(path), path))
        size = path.stat().st_size
        if not splittable or compression_of(path) or size <= partition_bytes or is_mediawiki(path):
            out.append(Partition(len(out), str(path), origin=origin))
            continue
        start, state = 0, False
        with open(path, "rb") as fh:
            while start < size:
                cut = find_cut(fh, start + partition_bytes, size) if start + partition_bytes < size else None
                stop, next_state = cut if cut is not None else (size, False)
                out.append(Partition(len(out), str(path), start, stop, state, origin))
                start, state = stop, next_state
    return out


def read_partition(corpus, partition: Partition) -> Iterator[tuple[list[str], list[int]]]:
    """(tokens, sentence ends as token counts from the partition's start) in batches;
    ``corpus``: the :class:`~wordlab.corpus.Corpus` whose tokenizer and settings apply."""
    path = Path(partition.path)
    if partition.whole:         # the single-machine reader; its sentences are complete
        batches = (read_mediawiki(path, corpus.tokenizer, corpus.max_sentence_length) if is_mediawiki(path) else
                   read_text(path, corpus.tokenizer, corpus.max_sentence_length, corpus.errors, corpus.encoding,
                             chunk_bytes=READ_CHUNK_BYTES, paragraphs=corpus.paragraphs))
        n = 0
        for batch in batches:
            lengths = np.fromiter(map(len, batch), dtype=np.int64, count=len(batch))
            yield list(chain.from_iterable(batch)), (n + np.cumsum(lengths)).tolist()
            n += int(lengths.sum())
        return
    events = _EventAssembler()
    reader = read_text(path, corpus.tokenizer, corpus.max_sentence_length, corpus.errors, corpus.encoding,
                       chunk_bytes=READ_CHUNK_BYTES, paragraphs=corpus.paragraphs, byte_range=(partition.start, partition.stop),
                       line_has_text=partition.line_has_text, sentences=events)
    for batch in reader:
        ends, events.ends = events.ends, []
        yield (batch[0] if batch else []), ends
    if events.ends:
        yield [], events.ends


def sentence_bounds(n_tokens: list[int], ends: list[np.ndarray], max_sentence_length: int) -> np.ndarray:
    """The raw sentence offsets (int64, from 0 to the total) of partitions with
    ``n_tokens`` tokens and sentence ``ends`` (local token counts): every end, the
    partitions' ends joined, empty sentences dropped, and sentences longer than
    ``max_sentence_length`` cut into pieces of that length from their start."""
    base = np.concatenate(([0], np.cumsum(np.asarray(n_tokens, dtype=np.int64))))
    total = int(base[-1])
    cuts = [np.zeros(1, np.int64)] + [np.asarray(e, dtype=np.int64) + base[k] for k, e in enumerate(ends)]
    cuts.append(np.array([total], np.int64))
    bounds = np.unique(np.concatenate(cuts))
    lengths = np.diff(bounds)
    m = int(max_sentence_length)
    pieces = np.maximum(1, -(-lengths // m))
    starts = np.repeat(bounds[:-1], pieces)
    within = np.arange(starts.shape[0]) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    return np.append(starts + within * m, total).astype(np.int64) if total else np.zeros(1, np.int64)
