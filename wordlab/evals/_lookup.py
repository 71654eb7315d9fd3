"""Word lookup shared by the evaluators: restrict_vocab, case-insensitive matching, and
the vectors composed from n-grams for words outside the known ones (``oov="subword"``)."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..errors import ParameterError
from ..store import Embeddings

#: The out-of-vocabulary policies of the analogy and EvalRank evaluators (similarity
#: has more: :data:`wordlab.evals.similarity.OOV_POLICIES`).
COMPOSE_POLICIES = ("skip", "subword")


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


def check_compose_policy(oov: str) -> None:
    if oov not in COMPOSE_POLICIES:
        raise ParameterError(f"oov must be one of {COMPOSE_POLICIES}, not {oov!r}")


def composed_units(store: Embeddings, words: Iterable[str], lookup: dict, case_insensitive: bool) -> dict:
    """word -> unit vector (float32) composed from n-grams, for those of ``words`` that
    are not known (not keys of ``lookup``) and have one. Words are composed lower-cased
    when ``case_insensitive`` (as the tokenizer writes them); nothing is composed for a
    store without subwords, nor for a word with no n-gram or a zero vector."""
    if store.subwords is None:
        return {}
    missing = sorted({w for w in words if key(w, case_insensitive) not in lookup})
    if not missing:
        return {}
    asked = [w.lower() if case_insensitive else w for w in missing]
    vectors, ok = store.subwords.compose(asked)
    norms = np.linalg.norm(vectors, axis=1)
    return {w: (v / n).astype(np.float32) for w, v, n, good in zip(missing, vectors, norms, ok)
            if good and n > 0 and np.isfinite(v).all()}
