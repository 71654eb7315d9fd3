"""Vocabulary: words, their counts, and a deterministic order.

Order is by count descending, ties broken by first occurrence in the corpus (the
order word2vec.c and gensim produce for the same input). Index 0 is the most
frequent word. Saved as TSV: ``word<TAB>count`` per line.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

import numpy as np

if TYPE_CHECKING:  # pandas is imported on use: training never needs it
    import pandas as pd

from ..atomic import atomic_file
from ..errors import InputFormatError, UnknownWordError


class Vocabulary:
    """An ordered vocabulary with counts.

    Parameters
    ----------
    words : sequence of str
        Words in index order (unique).
    counts : array-like of int, shape (n_words,), optional
        Corpus frequency of each word; zeros when unknown.
    total_tokens : int, optional
        Tokens of the corpus the counts came from, including tokens of words that were
        pruned away (so ``coverage()`` can say what min_count cost). Defaults to the sum
        of ``counts``.
    """

    def __init__(self, words: Iterable[str], counts: Iterable[int] | None = None,
                 total_tokens: int | None = None):
        self.words: list[str] = list(words)
        n = len(self.words)
        self.counts = (np.zeros(n, dtype=np.int64) if counts is None
                       else np.asarray(counts, dtype=np.int64).reshape(-1))
        if self.counts.shape[0] != n:
            raise ValueError(f"{n} words but {self.counts.shape[0]} counts")
        self._index: dict[str, int] | None = None
        self.total_tokens = int(self.counts.sum()) if total_tokens is None else int(total_tokens)

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_counts(cls, counts: Mapping[str, int], min_count: int = 1, max_size: int | None = None,
                    total_tokens: int | None = None) -> "Vocabulary":
        """Build from a word -> count mapping whose iteration order is first occurrence."""
        words = list(counts.keys())
        values = np.fromiter(counts.values(), dtype=np.int64, count=len(words))
        full = cls(words, values, total_tokens)
        return full.sorted().pruned(min_count, max_size)

    @classmethod
    def from_tokens(cls, sentences: Iterable[Iterable[str]], min_count: int = 1,
                    max_size: int | None = None) -> "Vocabulary":
        """Count the words of an iterable of token lists."""
        counts: dict[str, int] = {}
        get = counts.get
        for sentence in sentences:
            for w in sentence:
                counts[w] = get(w, 0) + 1
        return cls.from_counts(counts, min_count, max_size)

    def sorted(self) -> "Vocabulary":
        """A copy ordered by count descending; ties keep their current (first-occurrence) order."""
        order = np.argsort(-self.counts, kind="stable")
        return Vocabulary([self.words[i] for i in order], self.counts[order], self.total_tokens)

    def pruned(self, min_count: int = 1, max_size: int | None = None) -> "Vocabulary":
        """Keep words with count >= ``min_count``, then at most the ``max_size`` first.

        Assumes the vocabulary is sorted by count (as built vocabularies are).
        """
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, not {min_count}")
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be positive, not {max_size}")
        keep = int(np.count_nonzero(self.counts >= min_count))
        if max_size is not None:
            keep = min(keep, max_size)
        if keep == len(self.words):
            return self
        return Vocabulary(self.words[:keep], self.counts[:keep], self.total_tokens)

    # -- lookups --------------------------------------------------------------------
    @property
    def index(self) -> dict[str, int]:
        """word -> id mapping (built on first use)."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
            if len(self._index) != len(self.words):
                dup = next(w for i, w in enumerate(self.words) if self._index[w] != i)
                raise ValueError(f"duplicate word {dup!r} in vocabulary")
        return self._index

    def index_of(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word) from None

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __len__(self) -> int:
        return len(self.words)

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __getitem__(self, i: int) -> str:
        return self.words[i]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Vocabulary) and self.words == other.words
                and np.array_equal(self.counts, other.counts))

    def __repr__(self) -> str:
        head = ", ".join(self.words[:5]) + (", ..." if len(self) > 5 else "")
        return f"<Vocabulary {len(self):,} words [{head}], {self.total_tokens:,} corpus tokens>"

    # -- statistics -----------------------------------------------------------------
    def coverage(self, min_counts: Iterable[int] = (1, 2, 3, 5, 10, 20, 50, 100)) -> pd.DataFrame:
        """Types kept and share of corpus tokens covered at each ``min_count``.

        Columns: ``min_count``, ``types``, ``tokens``, ``token_coverage`` (tokens kept
        / ``total_tokens``), ``type_share`` (types kept / types here).
        """
        rows = []
        total = max(self.total_tokens, 1)
        for m in min_counts:
            mask = self.counts >= m
            kept = int(self.counts[mask].sum())
            rows.append({"min_count": int(m), "types": int(mask.sum()), "tokens": kept,
                         "token_coverage": kept / total, "type_share": float(mask.mean()) if len(self) else 0.0})
        import pandas as pd

        return pd.DataFrame(rows)

    # -- persistence ----------------------------------------------------------------
    def save(self, path: str | os.PathLike, overwrite: bool = False, *, private: bool = False) -> None:
        """Write ``word<TAB>count`` lines atomically (an existing file only with
        ``overwrite``; ``private``: a path inside a directory wordlab is writing)."""
        for w in self.words:
            if not w or "\t" in w or "\n" in w or "\r" in w:
                raise InputFormatError(f"word {w!r} cannot be written to a TSV vocabulary "
                                       "(empty, or contains a tab or newline)")
        with atomic_file(path, "w", encoding="utf-8", newline="\n", overwrite=overwrite, private=private) as fh:
            fh.write("".join(f"{w}\t{c}\n" for w, c in zip(self.words, self.counts.tolist())))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        """Read a ``word<TAB>count`` (or bare ``word``) TSV file.

        UTF-8, a byte-order mark skipped. A malformed line (empty word, a count that is
        not a non-negative 64-bit integer, invalid UTF-8) or a repeated word is an
        :class:`InputFormatError` naming the file and line.
        """
        from ..errors import WordlabError
        from .sources import text_lines
        max_count = 2 ** 63 - 1   # int64
        path = Path(path)
        if not path.is_file():
            raise WordlabError(f"vocabulary file {path} not found")
        words: list[str] = []
        counts: list[int] = []
        index: dict[str, int] = {}   # becomes the vocabulary's index: duplicates refused here
        for line_no, line in text_lines(path):
            if not line:
                continue
            word, tab, count = line.partition("\t")
            if not word:
                raise InputFormatError(f"{path}, line {line_no}: empty word")
            row = len(words)
            if index.setdefault(word, row) != row:
                raise InputFormatError(f"{path}, line {line_no}: duplicate word {word!r} (also row "
                                       f"{index[word] + 1})")
            try:
                value = int(count) if tab else 0
            except ValueError:
                raise InputFormatError(f"{path}, line {line_no}: count {count[:40]!r} is not an integer") from None
            if value < 0 or value > max_count:
                raise InputFormatError(f"{path}, line {line_no}: count {count[:40]!r} is out of range")
            counts.append(value)
            words.append(word)
        vocab = cls(words, counts)
        vocab._index = index
        return vocab
