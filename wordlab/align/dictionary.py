"""Bilingual (or cross-corpus) dictionaries: seed pairs for alignment, gold pairs for BLI.

The file format is MUSE's: one ``source target`` pair per line, separated by a tab or
spaces; a polysemous source word takes several lines. Empty lines are skipped;
anything else that is not exactly two fields is an
:class:`~wordlab.errors.InputFormatError` naming the file and line (``path:line:``),
as is a byte invalid in the file's encoding. A UTF-8 byte-order mark is skipped.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from ..corpus.sources import text_lines
from ..errors import InputFormatError, WordlabError


class Dictionary:
    """An ordered set of (source, target) word pairs.

    Parameters
    ----------
    pairs : iterable of (str, str)
        Duplicates are dropped; the first occurrence keeps its place.
    name : str, optional
        Where the pairs came from (a path, "identical strings"), for reports.

    Examples
    --------
    >>> d = Dictionary([("gato", "cat"), ("gato", "kitten"), ("perro", "dog")])
    >>> len(d), d.sources, d.translations["gato"]
    (3, ['gato', 'perro'], ['cat', 'kitten'])
    """

    def __init__(self, pairs: Iterable[tuple[str, str]], name: str | None = None):
        seen: dict[tuple[str, str], None] = {}
        for src, tgt in pairs:
            seen.setdefault((str(src), str(tgt)), None)
        self.pairs: list[tuple[str, str]] = list(seen)
        self.name = name

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def read(cls, path: str | os.PathLike, lowercase: bool = False, encoding: str = "utf-8") -> "Dictionary":
        """Read a MUSE-format dictionary file (``src<TAB or spaces>tgt`` per line)."""
        path = Path(path)
        if not path.is_file():
            raise WordlabError(f"dictionary file not found: {path}")
        pairs = []
        number = 0
        # Only \n ends a line (a stray \r is whitespace between the two words).
        for number, line in text_lines(path, encoding, universal=False, where=lambda n: f"{path}:{n}"):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2:
                shown = line.strip()
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                raise InputFormatError(f"{path}:{number}: expected 'source target' separated by a tab or spaces, "
                                       f"found {len(fields)} field{'s' if len(fields) != 1 else ''}: {shown!r}")
            src, tgt = fields
            pairs.append((src.lower(), tgt.lower()) if lowercase else (src, tgt))
        if not pairs:
            raise InputFormatError(f"{path}: no word pairs found in its {number} line{'' if number == 1 else 's'}")
        return cls(pairs, name=str(path))

    @classmethod
    def identical(cls, source_words: Sequence[str], target_words: Iterable[str],
                  max_pairs: int | None = None) -> "Dictionary":
        """Pairs of identical strings present in both vocabularies, in source order.

        A seed for related languages and for shared named entities and numbers
        (Artetxe et al. 2017; Smith et al. 2017). ``max_pairs`` keeps the most frequent.
        """
        targets = set(target_words)
        pairs = [(w, w) for w in source_words if w in targets]
        if max_pairs is not None:
            pairs = pairs[:max_pairs]
        return cls(pairs, name="identical strings")

    @classmethod
    def coerce(cls, value: "Dictionary | str | os.PathLike | Iterable[tuple[str, str]]") -> "Dictionary":
        """A Dictionary from a Dictionary, a path, or pairs."""
        if isinstance(value, Dictionary):
            return value
        if isinstance(value, (str, os.PathLike)):
            return cls.read(value)
        return cls(value)

    # -- views ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.pairs)

    def __repr__(self) -> str:
        where = f" from {self.name}" if self.name else ""
        return f"<Dictionary: {len(self.pairs):,} pairs, {len(self.sources):,} source words{where}>"

    @property
    def sources(self) -> list[str]:
        """Distinct source words, in order of first appearance."""
        return list(dict.fromkeys(s for s, _ in self.pairs))

    @property
    def translations(self) -> dict[str, list[str]]:
        """source word -> its target words, in file order."""
        out: dict[str, list[str]] = {}
        for s, t in self.pairs:
            out.setdefault(s, []).append(t)
        return out

    def inverse(self) -> "Dictionary":
        """The target -> source dictionary."""
        return Dictionary(((t, s) for s, t in self.pairs), name=f"{self.name} (inverted)" if self.name else None)

    def restrict(self, source_index: Mapping[str, int] | Iterable[str],
                 target_index: Mapping[str, int] | Iterable[str]) -> "Dictionary":
        """The pairs whose two words are both in the given vocabularies."""
        src = source_index if isinstance(source_index, Mapping) else set(source_index)
        tgt = target_index if isinstance(target_index, Mapping) else set(target_index)
        return Dictionary(((s, t) for s, t in self.pairs if s in src and t in tgt), name=self.name)

    def ids(self, source_index: Mapping[str, int], target_index: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """Row ids (int64 arrays) of the pairs present in both vocabularies."""
        rows = [(source_index[s], target_index[t]) for s, t in self.pairs if s in source_index and t in target_index]
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        a = np.asarray(rows, dtype=np.int64)
        return a[:, 0].copy(), a[:, 1].copy()

    def write(self, path: str | os.PathLike) -> None:
        """Write as a MUSE-format file (tab-separated)."""
        from ..atomic import atomic_file
        with atomic_file(Path(path), "w", encoding="utf-8") as fh:
            for s, t in self.pairs:
                fh.write(f"{s}\t{t}\n")
