"""Analogy sets for languages that have none: translated through a dictionary, or made
from a language's own affixes.

Most languages have no analogy set, and a low-resource study still wants one. Two ways
to make one, each with its limits stated:

- :func:`translate_analogies` carries an existing set (Google's, BATS) into another
  language through a bilingual dictionary, as the multilingual analogy sets of
  Ulčar et al. 2020 began: a question is kept when all four of its words translate,
  and every translation of the answer is accepted. Translation loses what the source
  language marks and the target does not (English plurals, verb tenses), so the
  semantic sections carry over better than the syntactic ones.
- :func:`affix_analogies` builds morphological questions, "stem+x is to stem+y as
  stem'+x is to stem'+y", from word counts and a list of affix alternations (such as
  Navajo's relative enclitic *-ígíí* or English's plural *-s*). It knows only the
  strings: a stem whose two forms are not one paradigm (English *new* / *news*) makes
  a wrong question, so keep the affixes few and productive and the stems frequent.
  Subword models see these affixes as n-grams, which is the point of testing them.
"""
from __future__ import annotations

from itertools import permutations
from typing import Mapping, Sequence

from ..errors import ParameterError
from .datasets import AnalogyDataset

Question = tuple[str, str, str, tuple[str, ...]]


def translate_analogies(dataset: AnalogyDataset, translations: Mapping[str, Sequence[str]], *,
                        name: str | None = None, lowercase: bool = True) -> AnalogyDataset:
    """``dataset``'s questions in another language.

    Parameters
    ----------
    dataset : AnalogyDataset
        The questions to translate (for example ``load_dataset("google-analogy")``).
    translations : mapping of str to sequence of str
        Each source word's translations, best first (``Dictionary.translations``).
    name : str, optional
        The new set's name (default: ``"<dataset> translated"``).
    lowercase : bool, default True
        Look the source words up lowercased (the MUSE dictionaries are lowercase).

    Returns
    -------
    AnalogyDataset
        The same sections; a question's three given words are their first translations,
        its answers every translation of every accepted answer. A question is left out
        when a word has no translation, when two of its given words translate to the same
        word, or when an answer's translations are all among the given words; a section
        left without questions is left out.
    """
    def lookup(word: str) -> list[str]:
        return list(translations.get(word.lower() if lowercase else word, ()))

    sections = []
    for section, questions in dataset.sections:
        kept: dict[Question, None] = {}
        for a, b, c, answers in questions:
            given = [lookup(w) for w in (a, b, c)]
            if not all(given):
                continue
            ta, tb, tc = (t[0] for t in given)
            if len({ta, tb, tc}) < 3:
                continue
            accepted = tuple(dict.fromkeys(t for answer in answers for t in lookup(answer)
                                           if t not in (ta, tb, tc)))
            if accepted:
                kept.setdefault((ta, tb, tc, accepted), None)
        if kept:
            sections.append((section, list(kept)))
    return AnalogyDataset(name or f"{dataset.name} translated", sections,
                          source=f"{dataset.source or dataset.name}, translated")


def affix_analogies(counts: Mapping[str, int], affixes: Mapping[str, tuple[str, str]], *,
                    position: str = "suffix", min_count: int = 3, min_stem: int = 3, stems_per_section: int = 20,
                    name: str = "affix analogies") -> AnalogyDataset:
    """Morphological analogy questions made from a language's word counts.

    Parameters
    ----------
    counts : mapping of str to int
        Word counts (of a corpus: ``collections.Counter``, or a store's words and counts).
    affixes : mapping of str to (str, str)
        Section name -> the affix of the first form and of the second (``""`` for the
        bare stem), for example ``{"relative -ígíí": ("", "ígíí")}``.
    position : {"suffix", "prefix"}, default "suffix"
        Where the affixes attach.
    min_count : int, default 3
        Both forms of a stem must occur at least this often.
    min_stem : int, default 3
        Characters a stem has at least (shorter "stems" are mostly coincidences).
    stems_per_section : int, default 20
        The stems kept per section, those whose rarer form is most frequent; a section of
        s stems has s (s - 1) questions, every ordered pair of stems.
    name : str, default "affix analogies"

    Returns
    -------
    AnalogyDataset
        One section per affix pair that has at least two stems.
    """
    if position not in ("suffix", "prefix"):
        raise ParameterError(f"position must be 'suffix' or 'prefix', not {position!r}")
    if min_count < 1 or min_stem < 1 or stems_per_section < 2:
        raise ParameterError("min_count and min_stem must be at least 1, stems_per_section at least 2")

    def form(stem: str, affix: str) -> str:
        return stem + affix if position == "suffix" else affix + stem

    frequent = {w: int(n) for w, n in counts.items() if n >= min_count}
    sections = []
    for section, (first, second) in affixes.items():
        if first == second:
            raise ParameterError(f"section {section!r}: the two affixes are the same ({first!r})")
        stems = {}
        for word, n in frequent.items():
            if position == "suffix" and word.endswith(first):
                stem = word[:len(word) - len(first)]
            elif position == "prefix" and word.startswith(first):
                stem = word[len(first):]
            else:
                continue
            other = frequent.get(form(stem, second))
            if other is not None and len(stem) >= min_stem:
                stems[stem] = min(n, other)
        chosen = sorted(stems, key=lambda s: (-stems[s], s))[:stems_per_section]
        if len(chosen) >= 2:
            sections.append((section, [(form(s, first), form(s, second), form(t, first), (form(t, second),))
                                       for s, t in permutations(chosen, 2)]))
    return AnalogyDataset(name, sections, source=f"{position} alternations of {len(frequent):,} words")
