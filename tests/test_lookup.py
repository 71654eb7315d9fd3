"""Queries are found as the tokenizer would have written them, unknown words get
suggestions, and one unknown word in a batch does not stop the others."""
from __future__ import annotations

import unicodedata

import numpy as np
import pytest

import wordlab
from wordlab import Embeddings
from wordlab.cli.main import cli
from wordlab.errors import UnknownWordError, WordlabWarning

WORDS = ["dinilbá", "kʼehjígo", "don't", "hózhǫ́", "paris", "Paris", "ශ්\u200dරී", "naabeehó", "bitsʼą́ą́dę́ę́ʼ"]


@pytest.fixture()
def store(tmp_path):
    rng = np.random.default_rng(0)
    words = WORDS + [f"w{i}" for i in range(40)]
    return wordlab.load(Embeddings(words, rng.standard_normal((len(words), 6)).astype(np.float32)).save(tmp_path / "s"))


@pytest.mark.parametrize("typed,found", [
    ("Dinilbá", "dinilbá"),
    (unicodedata.normalize("NFD", "dinilbá"), "dinilbá"),
    ("k'ehjígo", "kʼehjígo"),                       # a plain ' typed for the modifier letter
    ("K\u2019EHJÍGO", "kʼehjígo"),
    ("don\u02bct", "don't"),
    (unicodedata.normalize("NFD", "Hózhǫ́"), "hózhǫ́"),
    ("Paris", "Paris"),                              # a cased store answers its own casing first
    ("PARIS", "paris"),
])
def test_queries_are_normalised_as_the_corpus_was(store, typed, found):
    assert store.index_of(typed) == store.index_of(found)
    np.testing.assert_array_equal(store[typed], store[found])
    assert store.most_similar(typed, topn=3) == store.most_similar(found, topn=3)
    assert store.similarity(typed, "w1") == store.similarity(found, "w1")
    assert typed not in store or typed == found     # membership stays the vocabulary as written


def test_unknown_words_get_suggestions(store):
    with pytest.raises(UnknownWordError, match=r"did you mean 'dinilbá'") as e:
        store.most_similar("dinilba")
    assert isinstance(e.value, KeyError) and e.value.suggestions[0] == "dinilbá"
    with pytest.raises(UnknownWordError) as e:
        store.index_of("zzzzzzzz")
    assert "did you mean" not in str(e.value)


def test_one_unknown_word_in_a_batch_does_not_stop_the_others(store, runner):
    with pytest.warns(WordlabWarning, match="'naabeeho'.*did you mean 'naabeehó'"):
        table = store.neighbors(["w1", "naabeeho", "w2"], topn=2)
    assert set(table["query"]) == {"w1", "w2"}
    with pytest.raises(UnknownWordError):
        store.neighbors(["nope", "nada"])
    r = runner.invoke(cli, ["neighbors", str(store.path), "w1", "naabeeho", "Dinilbá", "--topn", "2"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[lines.index("naabeeho:") + 1].strip().startswith("word 'naabeeho' is not in")
    assert "did you mean 'naabeehó'" in r.output and r.output.count("  1  ") == 2
    r = runner.invoke(cli, ["neighbors", str(store.path), "nope"])
    assert r.exit_code == 1 and r.output.startswith("Error:")
