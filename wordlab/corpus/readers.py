"""Streaming readers: plain (or compressed) text files, in bounded memory.

A line is a sentence; with ``paragraphs=True`` a blank (or whitespace-only) line ends
one instead and single newlines are spaces, for hard-wrapped text such as PDF
extractions (the UN General Debates wrap at about 55 characters). Lines of any length
stream through: the file is decoded in
chunks and cut at whitespace, so a text8-style corpus that is ONE 100 MB line with
no newline never becomes one string. A sentence longer than ``max_sentence_length``
tokens is emitted as consecutive pieces of that length (never truncated).

Readers yield *batches*: lists of sentences (token lists), a few thousand tokens to
a chunk's worth at a time, which is what the encoder wants; :class:`Corpus`
flattens them for users who iterate sentence by sentence.
"""
from __future__ import annotations

import codecs
import io
import os
from pathlib import Path
from typing import Callable, Iterator

from ..errors import CorpusDecodeError
from .sources import open_binary
from .tokenizer import Tokenizer, _SENTENCE_END

Batch = list[list[str]]
ProgressCallback = Callable[[int], None]

#: Default upper bound on a sentence's length in tokens; longer ones are split.
MAX_SENTENCE_LENGTH = 10_000
_CHUNK_BYTES = 1 << 20


def _last_whitespace(text: str) -> int:
    """Index of the last whitespace character of ``text``, or -1."""
    i = len(text) - 1
    while i >= 0 and not text[i].isspace():
        i -= 1
    return i


class _SentenceAssembler:
    """Collects tokens of the current (possibly unfinished) sentence across chunks."""

    def __init__(self, max_len: int):
        self.max_len = max_len
        self.current: list[str] = []
        self.out: Batch = []

    def extend(self, tokens: list[str]) -> None:
        cur = self.current
        cur.extend(tokens)
        if len(cur) >= self.max_len:
            m = self.max_len
            full = len(cur) // m * m
            self.out.extend(cur[i:i + m] for i in range(0, full, m))
            self.current = cur[full:]

    def end_sentence(self) -> None:
        if self.current:
            self.out.append(self.current)
            self.current = []

    def take(self) -> Batch:
        out, self.out = self.out, []
        return out


class _EventAssembler:
    """For a byte range of a file (:func:`wordlab.corpus.partitions.read_partition`):
    the tokens, flat, and the token counts at which sentences end; no splitting of long
    sentences, which needs the count from the sentence's start in an earlier range. An
    end before the range's first token is recorded at 0: it closes the sentence that an
    earlier range left open."""

    def __init__(self):
        self.tokens: list[str] = []
        self.ends: list[int] = []
        self.n = 0              # tokens of this range so far
        self.current = 0        # of which in the open sentence

    def extend(self, tokens: list[str]) -> None:
        self.tokens.extend(tokens)
        self.n += len(tokens)
        self.current += len(tokens)

    def end_sentence(self) -> None:
        if (self.current or self.n == 0) and not (self.ends and self.ends[-1] == self.n):
            self.ends.append(self.n)
        self.current = 0

    def take(self) -> Batch:
        out, self.tokens = self.tokens, []
        return [out] if out else []


def read_text(path: Path, tokenizer: Tokenizer, max_sentence_length: int = MAX_SENTENCE_LENGTH,
              errors: str = "strict", encoding: str = "utf-8", chunk_bytes: int = _CHUNK_BYTES,
              progress: ProgressCallback | None = None, paragraphs: bool = False, *,
              byte_range: tuple[int, int] | None = None, line_has_text: bool = False,
              sentences=None) -> Iterator[Batch]:
    """Yield batches of tokenised sentences from one text file (see module docstring).

    Invalid bytes raise :class:`CorpusDecodeError` naming the file, the byte offset
    (in the decompressed stream) and the line, unless ``errors="replace"`` (or
    ``"ignore"``) was chosen. A byte-order mark at the start of the file is skipped;
    damaged compressed data is an :class:`~wordlab.errors.InputFormatError` naming the
    file and offset (see :func:`~wordlab.corpus.sources.open_binary`).

    ``byte_range=(start, stop)`` reads only those bytes of an uncompressed file, cut
    where :func:`wordlab.corpus.partitions.plan_partitions` cuts (after whitespace);
    ``line_has_text`` is the paragraph-mode state at ``start``, and ``sentences`` an
    :class:`_EventAssembler` that receives the tokens (the last sentence is ended only
    at the end of the file).
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    sentences = sentences if sentences is not None else _SentenceAssembler(max_sentence_length)
    start, stop = byte_range if byte_range is not None else (0, None)
    carry = ""
    byte_pos = start   # decompressed bytes handed to the decoder so far
    line_no = 1        # line number at the start of the not-yet-decoded input (from ``start``)
    if byte_range is None:
        stream, counter = open_binary(path)
    else:                   # an uncompressed file's bytes start:stop
        fh = open(path, "rb")
        fh.seek(start)
        stream, counter, progress = _Limited(fh, stop - start), None, None
    reported = 0
    at_start = start == 0   # no character decoded yet: a byte-order mark is dropped, not read as text
    with stream:
        while True:
            raw = stream.read(chunk_bytes)
            final = not raw
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(raw, final=final)
            except UnicodeDecodeError as e:
                offset = byte_pos - len(pending) + e.start
                line = line_no + e.object[:e.start].count(b"\n") + (_lines_before(path, start) if start else 0)
                raise CorpusDecodeError(
                    f"{path}: invalid {encoding} at byte offset {offset} (line {line}): "
                    f"{e.reason}; pass errors='replace' to substitute U+FFFD") from None
            byte_pos += len(raw)
            if at_start and text:
                at_start = False
                if text[0] == "\ufeff":
                    text = text[1:]
            line_no += text.count("\n")
            text = carry + text
            if final:
                carry = ""
            else:
                cut = _last_whitespace(text)
                if cut < 0 and len(text) < 16 * chunk_bytes:
                    carry = text  # no whitespace yet: wait for more
                    continue
                cut = cut if cut >= 0 else len(text) - 1  # a 16 MB "word": cut anyway
                text, carry = text[:cut + 1], text[cut + 1:]
            segments = text.split("\n")
            for i, segment in enumerate(segments):
                if i:       # a newline ended the previous line
                    if not paragraphs or not line_has_text:
                        sentences.end_sentence()
                    line_has_text = False
                if paragraphs and not line_has_text and segment and not segment.isspace():
                    line_has_text = True
                if tokenizer.sentence_split:
                    parts = _SENTENCE_END.split(segment)
                    for j, part in enumerate(parts):
                        if j:
                            sentences.end_sentence()
                        sentences.extend(tokenizer(part))
                else:
                    sentences.extend(tokenizer(segment))
            if final and (stop is None or stop >= _size(path)):
                sentences.end_sentence()
            if progress is not None:
                progress(counter.bytes_read - reported)
                reported = counter.bytes_read
            batch = sentences.take()
            if batch:
                yield batch
            if final:
                return


class _Limited(io.RawIOBase):
    """At most ``n`` bytes of ``inner`` (a byte range's reader)."""

    def __init__(self, inner, n: int):
        self.inner, self.left = inner, n

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.inner.read(size) if size else b""
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.inner.close()
        super().close()


def _size(path: Path) -> int:
    return os.stat(path).st_size


def _lines_before(path: Path, offset: int) -> int:
    """Newlines in the first ``offset`` bytes of ``path`` (an error message's line number)."""
    n = 0
    with open(path, "rb") as fh:
        while offset > 0:
            block = fh.read(min(offset, 1 << 22))
            if not block:
                break
            n += block.count(b"\n")
            offset -= len(block)
    return n
