"""Analogy sets made for languages without one: translated through a dictionary, or
from a language's affixes."""
from __future__ import annotations

import collections

import numpy as np
import pytest

from wordlab import Embeddings
from wordlab.align.dictionary import Dictionary
from wordlab.errors import ParameterError
from wordlab.evals import AnalogyDataset, affix_analogies, evaluate_analogies, translate_analogies

SOURCE = AnalogyDataset("toy", [
    ("capitals", [("Athens", "Greece", "Paris", ("France",)),
                  ("Athens", "Greece", "Oslo", ("Norway",)),          # "norway" has no translation
                  ("Paris", "France", "Athens", ("Greece",))]),
    ("family", [("boy", "girl", "son", ("daughter",)),
                ("man", "woman", "male", ("female",))]),              # man and male translate alike
    ("plural", [("car", "cars", "dog", ("dogs",))]),                  # every answer is a given word
])
TRANSLATIONS = Dictionary([("athens", "atene"), ("greece", "grecia"), ("paris", "parigi"), ("france", "francia"),
                           ("boy", "ragazzo"), ("girl", "ragazza"), ("son", "figlio"), ("daughter", "figlia"),
                           ("daughter", "figliola"), ("man", "uomo"), ("woman", "donna"), ("male", "uomo"),
                           ("female", "femmina"), ("car", "auto"), ("cars", "auto"), ("dog", "cane"),
                           ("dogs", "cani"), ("oslo", "oslo")]).translations


def test_translation_keeps_the_questions_whose_words_all_translate():
    out = translate_analogies(SOURCE, TRANSLATIONS)
    assert out.name == "toy translated"
    assert out.sections == [
        ("capitals", [("atene", "grecia", "parigi", ("francia",)), ("parigi", "francia", "atene", ("grecia",))]),
        ("family", [("ragazzo", "ragazza", "figlio", ("figlia", "figliola"))]),
    ]
    # case: looked up lowercased by default, as given otherwise
    assert len(translate_analogies(SOURCE, TRANSLATIONS, lowercase=False)) == 1      # only the family question


def counts_of(text: str) -> collections.Counter:
    return collections.Counter(text.split())


def test_affix_questions_pair_every_two_stems_with_both_forms():
    counts = counts_of("walk walk walk walked walked walked talk talk talk talked talked talked "
                       "jump jump jump jumped jumped jumped jumped red red red redd "   # redd: too rare
                       "go go go goed goed goed")                                       # go: stem too short
    out = affix_analogies(counts, {"past -ed": ("", "ed")})
    (section, questions), = out.sections
    assert section == "past -ed"
    assert len(questions) == 3 * 2
    assert ("jump", "jumped", "walk", ("walked",)) in questions and ("walk", "walked", "jump", ("jumped",)) in questions
    assert {q[0] for q in questions} == {"jump", "talk", "walk"}
    # the most frequent stems first, and only as many as asked
    few = affix_analogies(counts, {"past -ed": ("", "ed")}, stems_per_section=2)
    assert {q[0] for q in few.sections[0][1]} == {"jump", "talk"}        # jumped is the most frequent; then talk


def test_prefix_alternations_and_empty_sections():
    counts = counts_of(" ".join(["shimá bimá shichei bichei shizhéʼé bizhéʼé"] * 3))
    out = affix_analogies(counts, {"my -> his": ("shi", "bi"), "absent": ("ni", "bi")}, position="prefix", min_stem=2)
    assert len(out.sections[0][1]) == 6 and len(affix_analogies(counts, {"m": ("shi", "bi")}, position="prefix")) == 2
    assert [s for s, _ in out.sections] == ["my -> his"]
    assert ("shimá", "bimá", "shichei", ("bichei",)) in out.sections[0][1]
    with pytest.raises(ParameterError, match="position"):
        affix_analogies(counts, {"x": ("a", "b")}, position="infix")
    with pytest.raises(ParameterError, match="same"):
        affix_analogies(counts, {"x": ("a", "a")})


def test_a_made_set_is_evaluated_like_any_other():
    """Planted vectors where each stem has a direction and the affix one more: 3CosAdd
    answers every question of the made set."""
    rng = np.random.default_rng(0)
    stems = ["walk", "talk", "jump", "climb"]
    base = {s: rng.normal(size=16) for s in stems}
    affix = rng.normal(size=16) * 0.3
    words = stems + [s + "ed" for s in stems]
    vectors = np.array([base[s] for s in stems] + [base[s] + affix for s in stems], dtype=np.float32)
    store = Embeddings(words, vectors)
    made = affix_analogies(dict.fromkeys(words, 5), {"past": ("", "ed")})
    result = evaluate_analogies(store, made, restrict_vocab=None)
    assert result.total.n_covered == 12 and result.total.accuracy == 1.0
