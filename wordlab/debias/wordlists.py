"""Word lists for bias measurement and debiasing: reading them, and finding them in a store.

Formats
-------
- JSON (a ``.json`` file, or any file whose first character is ``[``): a list of words
  (``["he", "she"]``); a list of pairs (``[["woman", "man"], ...]``, debiaswe's
  ``definitional_pairs.json`` and ``equalize_pairs.json``); or a list of
  ``[word, number, ...]`` records (debiaswe's ``professions.json``: word, definitional
  and stereotypical gender score), of which the word is kept.
- Text: one word per line (word lists) or two words per line separated by whitespace or
  a comma (pair lists); ``#`` comments and blank lines are ignored.

Files are UTF-8 (a byte-order mark is skipped). A malformed file is an
:class:`~wordlab.errors.InputFormatError` naming the file and the line (text) or item
(JSON). Repeated entries are kept once, in first-seen order.

Missing words
-------------
A word of a list that is not in the store is reported, not fatal:
:func:`find_words` and :func:`find_pairs` return a :class:`Coverage` holding what was
found and what was missing, and raise :class:`MissingWordsError` only when the missing
share exceeds ``max_missing`` (default 0.5).

References
----------
Bolukbasi, Chang, Zou, Saligrama and Kalai (2016). Man is to computer programmer as
woman is to homemaker? Debiasing word embeddings. NeurIPS. (the lists of debiaswe)
"""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from ..corpus.sources import UTF8_BOM
from ..errors import InputFormatError, WordlabError
from ..params import Real
from ..paths import shared_file

if TYPE_CHECKING:
    from ..store import Embeddings

#: The ten definitional pairs of Bolukbasi et al. (2016), as in debiaswe's
#: ``definitional_pairs.json``: the first word of each pair is the female one.
DEFINITIONAL_PAIRS: tuple[tuple[str, str], ...] = (
    ("woman", "man"), ("girl", "boy"), ("she", "he"), ("mother", "father"), ("daughter", "son"),
    ("gal", "guy"), ("female", "male"), ("her", "his"), ("herself", "himself"), ("Mary", "John"))

#: The files of debiaswe (Bolukbasi et al. 2016) in the shared data directory.
DEBIASWE_LISTS = ("definitional_pairs", "equalize_pairs", "gender_specific_full", "gender_specific_seed",
                  "professions")
DEBIASWE_DIR = Path("eval") / "debias" / "debiaswe"

#: Default refusal threshold: the share of a list's entries that may be missing.
MAX_MISSING = 0.5


class MissingWordsError(WordlabError):
    """Too many words of a list are missing from the store (above ``max_missing``)."""


class MissingWordsWarning(UserWarning):
    """Some words of a list are missing from the store (reported, not fatal)."""


@dataclass
class Coverage:
    """Which entries of a list were found in a store.

    Attributes
    ----------
    name : str
        The list's name (used in messages).
    found : list
        Entries found, as spelled in the store (words, or ``(a, b)`` pairs).
    missing : list
        Entries (as given) with a word that is not in the store.
    """
    name: str
    found: list = field(default_factory=list)
    missing: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.found) + len(self.missing)

    @property
    def missing_share(self) -> float:
        return len(self.missing) / self.total if self.total else 0.0

    def summary(self, show: int = 8) -> str:
        """One line: ``name: found F of T; missing M (first ...)``."""
        text = f"{self.name}: {len(self.found)} of {self.total} found"
        if self.missing:
            shown = ", ".join(_show(m) for m in self.missing[:show])
            more = f", ... ({len(self.missing) - show} more)" if len(self.missing) > show else ""
            text += f"; missing {len(self.missing)}: {shown}{more}"
        return text

    def check(self, max_missing: float | None = MAX_MISSING, warn: bool = True) -> "Coverage":
        """Raise :class:`MissingWordsError` when more than ``max_missing`` of the entries
        are missing (or none is found); otherwise warn about the missing ones (if any)."""
        if self.total == 0:
            raise MissingWordsError(f"{self.name}: the list is empty")
        if not self.found:
            raise MissingWordsError(f"{self.name}: none of the {self.total} entries is in the store "
                                    f"(first: {_show(self.missing[0])})")
        Real(0, 1, optional=True).check("max_missing", max_missing)
        if max_missing is not None and self.missing_share > max_missing:
            raise MissingWordsError(
                f"{self.summary()}; {100 * self.missing_share:.0f}% missing is above the limit of "
                f"{100 * max_missing:.0f}% (max_missing={max_missing}, CLI --max-missing)")
        if warn and self.missing:
            warnings.warn(self.summary(), MissingWordsWarning, stacklevel=3)
        return self

    def to_dict(self) -> dict:
        return {"name": self.name, "found": len(self.found), "total": self.total,
                "missing": [list(m) if isinstance(m, tuple) else m for m in self.missing]}


def _show(entry) -> str:
    return "/".join(entry) if isinstance(entry, tuple) else str(entry)


# -- reading ---------------------------------------------------------------------------------
def _is_json(path: Path, text: str) -> bool:
    return path.suffix.lower() == ".json" or text.lstrip().startswith("[")


def _read_text(path: Path) -> str:
    """The whole (small) file as text: UTF-8, a byte-order mark skipped."""
    if not path.is_file():
        raise WordlabError(f"word list file {path} not found")
    data = path.read_bytes()
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, bom + e.start) + 1
        raise InputFormatError(f"{path}, line {line}: not valid UTF-8 ({e.reason} at byte offset "
                               f"{bom + e.start})") from None


def _parse_json(path: Path, text: str):
    """JSON data, or an :class:`InputFormatError` naming the file and line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFormatError(f"{path}, line {e.lineno} column {e.colno}: invalid JSON ({e.msg})") from None
    except (ValueError, RecursionError) as e:   # a number of 5,000 digits; nesting too deep
        raise InputFormatError(f"{path}, line 1: unreadable JSON ({e})") from None


def _first_line(text: str) -> int:
    """Line of the first character that is not whitespace (where a JSON value starts)."""
    return text[:len(text) - len(text.lstrip())].count("\n") + 1


def _load_json(path: Path, text: str) -> list:
    data = _parse_json(path, text)
    if not isinstance(data, list):
        raise InputFormatError(f"{path}, line {_first_line(text)}: expected a JSON list, found {type(data).__name__}")
    return data


def _nothing_found(path: Path, what: str, text: str, is_json: bool) -> InputFormatError:
    if is_json:
        return InputFormatError(f"{path}, line {_first_line(text)}: no {what}: the JSON list is empty")
    n = len(text.splitlines())
    return InputFormatError(f"{path}: no {what} in its {n} line{'' if n == 1 else 's'} (blank or comments)")


def _check_word(word, path: Path, where: str) -> str:
    if not isinstance(word, str) or not word.strip() or word != word.strip() or any(c.isspace() for c in word):
        raise InputFormatError(f"{path}, {where}: {word!r} is not a word (a non-empty string without spaces)")
    return word


def _check_pair(a: str, b: str, path: Path, where: str) -> tuple[str, str]:
    if a == b:
        raise InputFormatError(f"{path}, {where}: the pair has the same word twice: {a!r}")
    return a, b


def _text_lines(text: str):
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if content:
            yield number, content


def _unique(items: Iterable) -> list:
    return list(dict.fromkeys(items))


def read_words(path: str | os.PathLike) -> list[str]:
    """Read a word list (see the module docstring for the formats).

    Parameters
    ----------
    path : path-like
        JSON list of words, JSON list of ``[word, number, ...]`` records (professions),
        or a text file with one word per line.

    Returns
    -------
    words : list of str
        In file order, each once.
    """
    path = Path(path)
    text = _read_text(path)
    words: list[str] = []
    is_json = _is_json(path, text)
    if is_json:
        for i, item in enumerate(_load_json(path, text), 1):
            where = f"item {i}"
            if isinstance(item, list):  # professions.json: [word, definitional, stereotypical]
                if not item or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in item[1:]):
                    raise InputFormatError(f"{path}, {where}: expected a word or [word, number, ...], found {item!r}")
                item = item[0]
            words.append(_check_word(item, path, where))
    else:
        for number, content in _text_lines(text):
            fields = content.split()
            if len(fields) != 1:
                raise InputFormatError(f"{path}, line {number}: expected one word per line, "
                                       f"found {len(fields)}: {content!r}")
            words.append(fields[0])
    if not words:
        raise _nothing_found(path, "words", text, is_json)
    return _unique(words)


def read_pairs(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Read a list of word pairs (see the module docstring for the formats).

    Parameters
    ----------
    path : path-like
        JSON list of two-word lists, or a text file with two words per line separated by
        whitespace or a comma.

    Returns
    -------
    pairs : list of (str, str)
        In file order, each once.
    """
    path = Path(path)
    text = _read_text(path)
    pairs: list[tuple[str, str]] = []
    is_json = _is_json(path, text)
    if is_json:
        for i, item in enumerate(_load_json(path, text), 1):
            where = f"item {i}"
            if not isinstance(item, list) or len(item) != 2:
                raise InputFormatError(f"{path}, {where}: expected a pair [word, word], found {item!r}")
            pairs.append(_check_pair(_check_word(item[0], path, where), _check_word(item[1], path, where),
                                     path, where))
    else:
        for number, content in _text_lines(text):
            fields = content.replace(",", " ").split()
            if len(fields) != 2:
                raise InputFormatError(f"{path}, line {number}: expected two words separated by whitespace "
                                       f"or a comma, found {len(fields)}: {content!r}")
            pairs.append(_check_pair(fields[0], fields[1], path, f"line {number}"))
    if not pairs:
        raise _nothing_found(path, "pairs", text, is_json)
    return _unique(pairs)


def debiaswe_path(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Path of one of debiaswe's lists in the shared data directory.

    ``name`` is one of :data:`DEBIASWE_LISTS` (``equalize_pairs``,
    ``gender_specific_full``, ``professions``, ...).
    """
    if name not in DEBIASWE_LISTS:
        raise WordlabError(f"unknown debiaswe list {name!r}; known: {', '.join(DEBIASWE_LISTS)}")
    return shared_file(f"{DEBIASWE_DIR}/{name}.json", f"debiaswe's {name} list", data_dir)


def load_debiaswe(name: str, data_dir: str | os.PathLike | None = None) -> list:
    """One of debiaswe's lists: pairs for ``*_pairs``, words otherwise."""
    path = debiaswe_path(name, data_dir)
    return read_pairs(path) if name.endswith("_pairs") else read_words(path)


def as_words(words: str | os.PathLike | Iterable[str]) -> list[str]:
    """A word list given as words, a file path, or a debiaswe list name."""
    if isinstance(words, (str, os.PathLike)):
        if isinstance(words, str) and words in DEBIASWE_LISTS:
            return load_debiaswe(words)
        return read_words(words)
    return _unique(words)


def as_pairs(pairs: str | os.PathLike | Iterable[Sequence[str]]) -> list[tuple[str, str]]:
    """A pair list given as pairs, a file path, or a debiaswe list name."""
    if isinstance(pairs, (str, os.PathLike)):
        if isinstance(pairs, str) and pairs in DEBIASWE_LISTS:
            return load_debiaswe(pairs)
        return read_pairs(pairs)
    out = []
    for p in pairs:
        if isinstance(p, str) or len(p) != 2:
            raise ValueError(f"expected pairs of two words, found {p!r}")
        out.append((str(p[0]), str(p[1])))
    return _unique(out)


# -- finding words in a store ------------------------------------------------------------------
def lookup(store: "Embeddings", word: str, fold_case: bool = True) -> str | None:
    """The store's spelling of ``word``: itself, else (``fold_case``) its lower-case form."""
    index = store.index
    if word in index:
        return word
    if fold_case and word.lower() in index:
        return word.lower()
    return None


def find_words(store: "Embeddings", words: Iterable[str], name: str = "word list", fold_case: bool = True,
               max_missing: float | None = MAX_MISSING, warn: bool = True) -> Coverage:
    """Find ``words`` in ``store``; :class:`Coverage` of them, checked against ``max_missing``.

    With ``fold_case`` (default) a word not in the store is looked up lower-cased (for
    stores trained on lower-cased text); two entries found as the same word count once.
    """
    cov = Coverage(name)
    for w in _unique(words):
        found = lookup(store, w, fold_case)
        if found is None:
            cov.missing.append(w)
        elif found not in cov.found:
            cov.found.append(found)
    return cov.check(max_missing, warn)


def find_pairs(store: "Embeddings", pairs: Iterable[Sequence[str]], name: str = "pair list",
               fold_case: bool = True, max_missing: float | None = MAX_MISSING, warn: bool = True) -> Coverage:
    """Find word pairs in ``store`` (a pair is missing when either word is)."""
    cov = Coverage(name)
    for a, b in _unique(tuple(p) for p in pairs):
        fa, fb = lookup(store, a, fold_case), lookup(store, b, fold_case)
        if fa is None or fb is None:
            cov.missing.append((a, b))
        elif fa != fb and (fa, fb) not in cov.found:
            cov.found.append((fa, fb))
    return cov.check(max_missing, warn)
