"""Exceptions raised for user mistakes, bad input and a hostile environment.

Everything a user or the machine can cause (a missing file, a malformed line, an
unknown word, an absurd parameter, a full disk, a second writer) raises a subclass of
:class:`WordlabError`, so the CLI can print one clear line instead of a traceback.
Any other exception escaping wordlab is a bug of ours, and the CLI says so.

Several classes also derive from the built-in type that code written for gensim or
numpy would catch: ``UnknownWordError`` is a ``KeyError``, ``InputFormatError`` and
``ParameterError`` are ``ValueError``, ``DiskFullError`` is an ``OSError``.
"""
from __future__ import annotations

import errno


class WordlabError(Exception):
    """Base class of wordlab's user-facing errors."""


class ParameterError(WordlabError, ValueError):
    """A parameter is of the wrong type or outside its range (checked before work starts)."""


class ArgumentTypeError(WordlabError, TypeError):
    """An argument of the wrong kind (a string where a list of sentences is expected)."""


class DataError(WordlabError, ValueError):
    """The data cannot give the result asked for (too few words, a degenerate direction)."""


class InputFormatError(WordlabError, ValueError):
    """A file is malformed: the message names the file and the line or byte offset."""


class CorpusDecodeError(InputFormatError):
    """A corpus file is not valid UTF-8 (or the chosen encoding)."""


class StoreError(WordlabError):
    """A store directory is missing, incomplete or inconsistent."""


class OutputExistsError(WordlabError, FileExistsError):
    """The output path exists and was not named for replacement (or cannot be replaced)."""


class LockedError(WordlabError):
    """Another process is writing the same output or cache entry."""


class DiskFullError(WordlabError, OSError):
    """There is no room for an output: the message names the path and the bytes needed."""

    def __init__(self, path, needed: int | None = None, reason: str = "no space left on device"):
        self.path = str(path)
        self.needed = needed
        self.reason = reason
        need = f" ({format_bytes(needed)} needed)" if needed else ""
        OSError.__init__(self, errno.ENOSPC, f"{path}: {reason}{need}")

    def __str__(self) -> str:
        return self.args[1]


class CheckpointError(WordlabError):
    """A training checkpoint is missing, damaged or from another run."""


class TrainingDivergedError(WordlabError):
    """Training produced non-finite weights or loss; the last good checkpoint is kept."""


class WordlabWarning(UserWarning):
    """Something is suspicious but not wrong enough to stop (a possibly truncated file, a
    result from too little data)."""


class UnknownWordError(WordlabError, KeyError):
    """A word is not in the vocabulary."""

    def __init__(self, word: str, where: str = "the vocabulary", suggestions=()):
        super().__init__(word)
        self.word = word
        self.where = where
        self.suggestions = list(suggestions)

    def __str__(self) -> str:  # KeyError would print the repr of the args
        hint = f"; did you mean {', '.join(map(repr, self.suggestions))}?" if self.suggestions else ""
        return f"word {self.word!r} is not in {self.where}{hint}"


def format_bytes(n: int | float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover


def is_disk_full(exc: BaseException) -> bool:
    """True for the OSErrors a full disk or a file-size limit raises (numpy's short writes,
    ``"N requested and M written"``, carry no errno but mean the same)."""
    if not isinstance(exc, OSError):
        return False
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    return exc.errno is None and " requested and " in str(exc) and str(exc).endswith(" written")
