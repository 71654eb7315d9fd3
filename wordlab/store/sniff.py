"""Which format a vector file is in: told by its content, the name a hint.

fastText's magic number, a word2vec ``N DIM`` header followed by binary or by text rows,
and header-less GloVe rows are recognised whatever the file is called (``x.word2vec-bin``,
a ``.bin`` holding text); the name decides what the first bytes cannot (a text file
without a header named ``.vec`` is refused by the word2vec reader, which requires one).
"""
from __future__ import annotations

import re
from pathlib import Path

from ..corpus.sources import open_binary
from ..errors import WordlabError
from .formats import _read_head

#: Bytes read from the start of a file to tell its format.
SNIFF_BYTES = 1 << 16
_HEADER = re.compile(rb"[ \t]*(\d+)[ \t]+(\d+)[ \t]*\r?\n")


def sniff_format(path: Path) -> str | None:
    """The format a regular file's first bytes show (decompressed), or None when they
    cannot tell: fastText's magic number is ``fasttext-bin``; a ``N D`` header followed by
    a row that is not text (its D numbers do not parse) is ``word2vec-bin``, one that is
    ``word2vec`` text; anything else is left to the name and the text readers."""
    from .fasttext_bin import is_fasttext_bin
    if is_fasttext_bin(path):
        return "fasttext-bin"
    try:
        stream, _ = open_binary(path)
        with stream:
            head = _read_head(stream, SNIFF_BYTES)
    except (OSError, EOFError, ValueError, WordlabError):
        return None
    m = _HEADER.match(head)
    if not m:
        return "glove" if _text_rows(head) else None
    dim = int(m.group(2))
    line = head[m.end():].split(b"\n", 1)[0]
    parts = line.split()
    try:
        if len(parts) == dim + 1 and all(_is_number(x) for x in parts[1:]):
            return "word2vec"
    except UnicodeDecodeError:
        pass
    row = head[m.end():m.end() + 4 * dim + 256]    # a word, a space, then raw float32 bytes
    if b" " in row and _binary(row):
        return "word2vec-bin"
    return None


def _binary(data: bytes) -> bool:
    """Bytes that are no text: invalid UTF-8, or control characters other than tab and newlines."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start < len(data) - 4            # not merely a character cut at the end
    return any(ord(c) < 32 and c not in "\t\n\r" for c in text)


def _text_rows(head: bytes, rows: int = 3) -> bool:
    """The first complete lines are ``word x1 ... xD`` rows of one width (GloVe's layout)."""
    lines = head.split(b"\n")[:-1][:rows]
    widths = {len(line.split()) for line in lines}
    try:
        return (len(lines) > 0 and len(widths) == 1 and widths.pop() >= 2
                and all(_is_number(x) for line in lines for x in line.split()[1:]))
    except UnicodeDecodeError:
        return False


def _is_number(token: bytes) -> bool:
    try:
        float(token.decode("ascii"))
        return True
    except ValueError:
        return False


def guess_format(path: Path) -> str:
    """The format of ``path``: a directory is a store; a regular file's content decides
    when its first bytes tell (:func:`sniff_format`), else its name: ``.bin`` binary,
    ``.vec``/``.w2v`` word2vec text, ``.txt`` word2vec text or GloVe (decided by the
    first line)."""
    if path.is_dir():
        return "store"
    by_name = _format_by_name(path)
    sniffed = sniff_format(path) if path.is_file() else None
    if sniffed in ("fasttext-bin", "word2vec-bin"):
        return sniffed          # binary content, whatever the name
    if sniffed is not None and by_name == "word2vec-bin":
        return sniffed          # a ".bin" that holds text
    return by_name              # text named as text: the name says whether a header is required


def _format_by_name(path: Path) -> str:
    name = path.name.lower()
    for ext in (".gz", ".bz2", ".xz"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    if name.endswith(".bin"):
        return "word2vec-bin"
    if name.endswith((".vec", ".w2v")):
        return "word2vec"
    return "text"  # decided by sniffing the header
