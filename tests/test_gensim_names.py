"""What a gensim user types: gensim's parameter names, and strings given as a corpus."""
from __future__ import annotations

import pytest

import wordlab
from wordlab.errors import ParameterError, WordlabError, WordlabWarning
from wordlab.trainers import GloVe, Word2Vec, make_trainer


def test_gensim_names_are_read_as_wordlabs_with_a_warning():
    with pytest.warns(WordlabWarning, match="vector_size is gensim's name for dim"):
        w = Word2Vec(vector_size=32, epochs=2)
    assert w.dim == 32 and w.get_params()["dim"] == 32
    with pytest.warns(WordlabWarning, match="sg is gensim's switch"):
        assert Word2Vec(sg=0).method == "cbow"
    with pytest.warns(WordlabWarning, match="iter"):
        assert make_trainer("glove", iter=3).epochs == 3
    with pytest.warns(WordlabWarning):
        assert make_trainer("sgns", sg=1).method == "sgns"


@pytest.mark.parametrize("make,fragment", [
    (lambda: Word2Vec(vector_size=5, dim=5), "same parameter"),
    (lambda: Word2Vec(hs=1), "hierarchical softmax"),
    (lambda: make_trainer("cbow", sg=1), "sg=1 says sgns"),
    (lambda: GloVe(sg=1), "GloVe is neither"),
    (lambda: Word2Vec(sg=2), "sg=2"),
])
def test_what_cannot_be_translated_is_one_clear_error(make, fragment):
    with pytest.raises(ParameterError, match=fragment):
        make()


def test_wordlab_train_takes_gensim_names(tmp_path):
    sentences = [["a", "b", "c", "a"], ["b", "c", "d"]] * 20
    with pytest.warns(WordlabWarning):
        emb = wordlab.train(sentences, "sgns", tmp_path / "s", vector_size=8, min_count=1, epochs=1, workers=1,
                            progress=False)
    assert emb.dim == 8


def test_strings_as_a_corpus_are_paths_and_sentences_get_a_hint(tmp_path):
    with pytest.raises(WordlabError, match=r"a string is read as a path.*lists of tokens"):
        wordlab.Corpus(["the cat sat on the mat", "a dog ran"])
    for empty in ("", [""], "  "):
        with pytest.raises(WordlabError, match="empty corpus path"):
            wordlab.Corpus(empty)
    (tmp_path / "c.txt").write_text("the cat sat\n")
    assert wordlab.Corpus([str(tmp_path / "c.txt")]).build_vocab().words   # a path is still a path


def test_the_cli_refuses_an_empty_corpus_argument(runner, tmp_path):
    from wordlab.cli.main import cli
    r = runner.invoke(cli, ["train", "", "-o", str(tmp_path / "x"), "--epochs", "1"])
    assert r.exit_code == 1 and "empty corpus path" in r.output and not (tmp_path / "x").exists()
