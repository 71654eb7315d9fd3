"""The default tokenizer: Unicode-aware, keeps combining marks inside words.

A word is a letter or digit followed by letters, digits and combining marks (Unicode
categories L*, N*, M*), plus the zero-width joiners U+200C/U+200D that Sinhala writes inside conjuncts
(``ශ්‍රී``). An apostrophe (``'``, ``’`` or the modifier letter ``ʼ`` U+02BC) between
two word characters stays inside the word (``don't``, Navajo ``kʼehjígo``); digit
groups joined by ``.`` or ``,`` stay one number (``3,794,101``). Everything else,
whitespace and punctuation, separates words.

A plain ``\\w+`` splits Sinhala ``ලිංගිකත්වය`` into five pieces, because vowel signs
(Mn/Mc) are not "word characters" to Python's ``re``; this tokenizer keeps it whole.

Text is normalised to NFC by default, so a precomposed ``í`` and ``i`` + U+0301 give
the same word, and lowercased by default.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import re
import string
import sys
import unicodedata
from typing import Callable

from ..errors import ArgumentTypeError, ParameterError

_APOSTROPHES = "'\u2019\u02bc"
_JOINERS = "\u200c\u200d"
# Characters whose only tokens are maximal alphanumeric runs: str.split() is exact.
_PLAIN_ASCII = (string.ascii_letters + string.digits + string.whitespace).encode("ascii")
# Sentence punctuation: full stop, ! ?, Devanagari danda, Sinhala kunddaliya.
# A run of them is a boundary unless it sits between two digits (3.5).
_SENTENCE_END = re.compile(r"(?<!\d)[.!?\u0964\u0965\u0df4]+|[.!?\u0964\u0965\u0df4]+(?!\d)")


@functools.lru_cache(maxsize=1)
def _combining_mark_class() -> str:
    """A regex character-class body listing every code point of category M*."""
    ranges: list[tuple[int, int]] = []
    start = None
    for cp in range(sys.maxunicode + 1):
        is_mark = unicodedata.category(chr(cp))[0] == "M"
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return "".join(f"\\U{a:08x}-\\U{b:08x}" if a != b else f"\\U{a:08x}" for a, b in ranges)


@functools.lru_cache(maxsize=1)
def _unicode_word_pattern() -> re.Pattern:
    w = f"(?:[^\\W_]|[{_combining_mark_class()}{_JOINERS}])"
    # A word starts with a letter or digit: a mark or joiner after a space or "." (seen in
    # Sinhala news) is dropped rather than becoming a token of its own.
    return re.compile(f"\\d+(?:[.,]\\d+)+|[^\\W_]{w}*(?:[{_APOSTROPHES}]{w}+)*")


# The same language restricted to ASCII input; several times faster than the Unicode one.
_ASCII_WORD_PATTERN = re.compile(r"\d+(?:[.,]\d+)+|[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*", re.ASCII)


class Tokenizer:
    """Splits text into words; the corpus reader calls it once per line or chunk.

    Parameters
    ----------
    lowercase : bool, default True
        Lowercase the text before splitting.
    normalize : {"NFC", "NFKC", "NFD", "NFKD"} or None, default "NFC"
        Unicode normalisation applied to non-ASCII text.
    pattern : str or compiled regex, optional
        Replace the default word pattern: tokens are ``pattern.findall(text)``.
    function : callable, optional
        Replace the whole splitting step: ``function(text) -> list[str]`` (after
        lowercasing and normalisation).
    sentence_split : bool, default False
        Also split a line into sentences at sentence punctuation (``. ! ?``, the
        danda and Sinhala kunddaliya), even when no space follows, as in Sinhala news
        where sentences are glued (``...තිබේ.සෞඛ්‍ය``). A full stop between two digits
        (``3.5``) is not a boundary; abbreviations (``e.g.``) are, a known limit.
    """

    def __init__(self, lowercase: bool = True, normalize: str | None = "NFC",
                 pattern: str | re.Pattern | None = None,
                 function: Callable[[str], list[str]] | None = None,
                 sentence_split: bool = False):
        if pattern is not None and function is not None:
            raise ParameterError("give either pattern or function, not both")
        if normalize not in (None, "NFC", "NFKC", "NFD", "NFKD"):
            raise ParameterError(f"normalize must be NFC, NFKC, NFD, NFKD or None, not {normalize!r}")
        self.lowercase = lowercase
        self.normalize = normalize
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.function = function
        self.sentence_split = sentence_split

    def _prepare(self, text: str) -> str:
        if self.normalize and not text.isascii():
            text = unicodedata.normalize(self.normalize, text)
        if self.lowercase:
            text = text.lower()
        return text

    def __call__(self, text: str) -> list[str]:
        """Tokens of ``text`` (any length; newlines are just whitespace here)."""
        text = self._prepare(text)
        if self.function is not None:
            return list(self.function(text))
        if self.pattern is not None:
            return self.pattern.findall(text)
        if text.isascii():
            if not text.encode("ascii").translate(None, _PLAIN_ASCII):
                return text.split()
            return _ASCII_WORD_PATTERN.findall(text)
        return _unicode_word_pattern().findall(text)

    def sentences(self, line: str) -> list[list[str]]:
        """Token lists of the sentences in one line (one, unless ``sentence_split``)."""
        if not self.sentence_split:
            return [self(line)]
        return [toks for part in _SENTENCE_END.split(line) if (toks := self(part))]

    def settings(self) -> dict | None:
        """A JSON-able description for cache keys; None when it cannot be described."""
        desc: dict = {"lowercase": self.lowercase, "normalize": self.normalize,
                      "sentence_split": self.sentence_split, "rules": 3}
        if self.pattern is not None:
            desc["pattern"] = [self.pattern.pattern, self.pattern.flags]
        if self.function is not None:
            try:
                src = inspect.getsource(self.function)
            except (OSError, TypeError):
                return None
            name = getattr(self.function, "__qualname__", repr(self.function))
            desc["function"] = [name, hashlib.sha1(src.encode()).hexdigest()]
        return desc

    def __repr__(self) -> str:
        parts = [f"lowercase={self.lowercase}", f"normalize={self.normalize!r}"]
        if self.pattern is not None:
            parts.append(f"pattern={self.pattern.pattern!r}")
        if self.function is not None:
            parts.append(f"function={getattr(self.function, '__name__', self.function)!r}")
        if self.sentence_split:
            parts.append("sentence_split=True")
        return f"Tokenizer({', '.join(parts)})"


_DEFAULT = Tokenizer()


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split ``text`` into words with wordlab's default rules (see the module docstring).

    >>> tokenize("ශ්‍රී ලංකා, kʼehjígo: don't 3,794,101!")
    ['ශ්\u200dරී', 'ලංකා', 'kʼehjígo', "don't", '3,794,101']
    """
    return (_DEFAULT if lowercase else Tokenizer(lowercase=False))(text)


def as_tokenizer(tokenizer: "Tokenizer | Callable[[str], list[str]] | str | None",
                 lowercase: bool = True, sentence_split: bool = False) -> Tokenizer:
    """Build a Tokenizer from what a user passed: None, a Tokenizer, a callable or a regex."""
    if isinstance(tokenizer, Tokenizer):
        return tokenizer
    if tokenizer is None:
        return Tokenizer(lowercase=lowercase, sentence_split=sentence_split)
    if isinstance(tokenizer, (str, re.Pattern)):
        return Tokenizer(lowercase=lowercase, pattern=tokenizer, sentence_split=sentence_split)
    if callable(tokenizer):
        return Tokenizer(lowercase=lowercase, function=tokenizer, sentence_split=sentence_split)
    raise ArgumentTypeError(f"tokenizer must be a Tokenizer, a callable or a regex, not {type(tokenizer).__name__}")

