"""Finding a query word in a vocabulary the way the corpus was written into it.

The tokenizer normalises text to NFC and lowercases it, and keeps an apostrophe inside a
word in whichever of its forms the text used (``'``, ``’``, Navajo's ``ʼ`` U+02BC). A query
that is found as typed is used as typed; otherwise the forms the tokenizer could have
made of it are tried in order: NFC, NFC lowercased, and each of those with its
apostrophes written in the other forms. So ``Dinilbá``, the NFD form of ``dinilbá`` and
``k'ehjígo`` typed for ``kʼehjígo`` are found, and a cased store still answers its own
casing first. A word not found gets "did you mean" suggestions: the closest words by
:mod:`difflib` among the most frequent :data:`SUGGEST_AMONG`.
"""
from __future__ import annotations

import difflib
import unicodedata
from typing import Iterator, Mapping, Sequence

APOSTROPHES = "'\u2019\u02bc"
#: Suggestions are looked for among this many most frequent words (a pass over a few
#: hundred thousand words costs about a second).
SUGGEST_AMONG = 100_000


def forms(word: str) -> Iterator[str]:
    """The forms of a query word to try, in order (see the module docstring)."""
    seen = {word}
    nfc = unicodedata.normalize("NFC", word)
    for base in (nfc, nfc.lower()):
        for form in (base, *_apostrophe_forms(base)):
            if form not in seen:
                seen.add(form)
                yield form


def _apostrophe_forms(word: str) -> list[str]:
    if not any(a in word for a in APOSTROPHES):
        return []
    out = []
    for target in APOSTROPHES:
        out.append("".join(target if ch in APOSTROPHES else ch for ch in word))
    return out


def find(index: Mapping[str, int], word: str) -> int | None:
    """The row of ``word`` or of the first of its forms in ``index``; None when none is."""
    row = index.get(word)
    if row is not None:
        return row
    for form in forms(word):
        row = index.get(form)
        if row is not None:
            return row
    return None


def suggestions(words: Sequence[str], word: str, n: int = 3) -> list[str]:
    """Up to ``n`` words of the vocabulary close to ``word`` (case and accents aside)."""
    target = unicodedata.normalize("NFC", word).lower()
    near = [w for w in words[:SUGGEST_AMONG] if abs(len(w) - len(target)) <= 2]
    return difflib.get_close_matches(target, near, n=n, cutoff=0.75)
