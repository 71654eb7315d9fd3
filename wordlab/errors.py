"""Exceptions raised for user mistakes and bad input.

Everything a user can cause (a missing file, a malformed line, an unknown word)
raises a subclass of :class:`WordlabError`, so the CLI can print one clear line
instead of a traceback. ``UnknownWordError`` is also a ``KeyError`` and
``InputFormatError`` a ``ValueError``, so code written for gensim keeps working.
"""
from __future__ import annotations


class WordlabError(Exception):
    """Base class of wordlab's user-facing errors."""


class InputFormatError(WordlabError, ValueError):
    """A file is malformed: the message names the file and the line or byte offset."""


class CorpusDecodeError(InputFormatError):
    """A corpus file is not valid UTF-8 (or the chosen encoding)."""


class StoreError(WordlabError):
    """A store directory is missing, incomplete or inconsistent."""


class UnknownWordError(WordlabError, KeyError):
    """A word is not in the vocabulary."""

    def __init__(self, word: str, where: str = "the vocabulary"):
        super().__init__(word)
        self.word = word
        self.where = where

    def __str__(self) -> str:  # KeyError would print the repr of the args
        return f"word {self.word!r} is not in {self.where}"
