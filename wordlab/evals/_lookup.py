"""Word lookup shared by the evaluators: restrict_vocab and case-insensitive matching."""
from __future__ import annotations

from ..store import Embeddings


def vocabulary_lookup(store: Embeddings, restrict_vocab: int | None, case_insensitive: bool) -> dict[str, int]:
    """word (upper-cased when ``case_insensitive``) -> row, over the first ``restrict_vocab``
    rows; with case folding the most frequent casing wins (the first row), as in gensim."""
    words = store.words if restrict_vocab is None else store.words[:restrict_vocab]
    if not case_insensitive:
        return {w: i for i, w in enumerate(words)}
    lookup: dict[str, int] = {}
    for i, w in enumerate(words):
        lookup.setdefault(w.upper(), i)
    return lookup


def key(word: str, case_insensitive: bool) -> str:
    return word.upper() if case_insensitive else word
