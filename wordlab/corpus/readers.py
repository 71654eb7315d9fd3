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


def read_text(path: Path, tokenizer: Tokenizer, max_sentence_length: int = MAX_SENTENCE_LENGTH,
              errors: str = "strict", encoding: str = "utf-8", chunk_bytes: int = _CHUNK_BYTES,
              progress: ProgressCallback | None = None, paragraphs: bool = False) -> Iterator[Batch]:
    """Yield batches of tokenised sentences from one text file (see module docstring).

    Invalid bytes raise :class:`CorpusDecodeError` naming the file, the byte offset
    (in the decompressed stream) and the line, unless ``errors="replace"`` (or
    ``"ignore"``) was chosen. A byte-order mark at the start of the file is skipped;
    damaged compressed data is an :class:`~wordlab.errors.InputFormatError` naming the
    file and offset (see :func:`~wordlab.corpus.sources.open_binary`).
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    sentences = _SentenceAssembler(max_sentence_length)
    carry = ""
    byte_pos = 0   # decompressed bytes handed to the decoder so far
    line_no = 1    # line number at the start of the not-yet-decoded input
    stream, counter = open_binary(path)
    reported = 0
    line_has_text = False   # paragraph mode: the current line (maybe begun in an earlier chunk) is not blank
    at_start = True         # no character decoded yet: a byte-order mark is dropped, not read as text
    with stream:
        while True:
            raw = stream.read(chunk_bytes)
            final = not raw
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(raw, final=final)
            except UnicodeDecodeError as e:
                offset = byte_pos - len(pending) + e.start
                line = line_no + e.object[:e.start].count(b"\n")
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
            if final:
                sentences.end_sentence()
            if progress is not None:
                progress(counter.bytes_read - reported)
                reported = counter.bytes_read
            batch = sentences.take()
            if batch:
                yield batch
            if final:
                return
