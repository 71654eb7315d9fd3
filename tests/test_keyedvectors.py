"""gensim's KeyedVectors vocabulary on Embeddings: each method against gensim on the same vectors."""
from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

import wordlab
from wordlab import Embeddings
from wordlab.errors import UnknownWordError


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)]
    x = (rng.standard_normal((20, 16))[rng.integers(0, 20, 400)] + 0.7 * rng.standard_normal((400, 16)))
    emb = Embeddings(words, x.astype(np.float32))
    kv = KeyedVectors(16)
    kv.add_vectors(words, x.astype(np.float32))
    return emb, kv


@pytest.fixture(params=["memory", "store", "float16"])
def both(request, pair, tmp_path):
    emb, kv = pair
    if request.param == "store":
        emb = wordlab.load(emb.save(tmp_path / "s"))
    elif request.param == "float16":         # a compressed store: gensim gets its decoded vectors
        emb = wordlab.load(emb.save(tmp_path / "s")).compress(tmp_path / "c", "float16", progress=False)
        kv = KeyedVectors(16)
        kv.add_vectors(emb.words, np.asarray(emb.vectors))
    return emb, kv


def test_vocabulary_names(both):
    emb, kv = both
    assert emb.key_to_index == kv.key_to_index and emb.index_to_key == kv.index_to_key
    assert emb.vector_size == kv.vector_size and emb.get_index("w7") == kv.get_index("w7")
    assert emb.get_index("nope", default=-1) == kv.get_index("nope", default=-1) == -1
    with pytest.raises(KeyError):
        emb.get_index("nope")


def test_distances_and_similarities(both):
    emb, kv = both
    assert emb.distance("w1", "w2") == pytest.approx(kv.distance("w1", "w2"), abs=1e-6)
    np.testing.assert_allclose(emb.distances("w3"), kv.distances("w3"), atol=1e-5)
    np.testing.assert_allclose(emb.distances("w3", ["w4", "w9"]), kv.distances("w3", ["w4", "w9"]), atol=1e-6)
    v = np.asarray(emb["w5"]) * 3
    np.testing.assert_allclose(emb.distances(v, ["w1"]), kv.distances(v, ["w1"]), atol=1e-6)
    assert emb.n_similarity(["w1", "w2"], ["w3"]) == pytest.approx(kv.n_similarity(["w1", "w2"], ["w3"]), abs=1e-6)
    np.testing.assert_allclose(Embeddings.cosine_similarities(emb["w1"], emb[["w2", "w3"]]),
                               KeyedVectors.cosine_similarities(kv["w1"], kv[["w2", "w3"]]), atol=1e-6)


def test_rank_closer_than_and_doesnt_match(both):
    emb, kv = both
    assert emb.closer_than("w10", "w11") == kv.closer_than("w10", "w11")
    assert emb.rank("w10", "w11") == kv.rank("w10", "w11")
    group = ["w1", "w2", "w3", "w4", "w5", "w6"]
    assert emb.doesnt_match(group) == kv.doesnt_match(group)
    ours = emb.rank_by_centrality(group)
    theirs = kv.rank_by_centrality(group)
    assert [w for _, w in ours] == [w for _, w in theirs]
    np.testing.assert_allclose([d for d, _ in ours], [d for d, _ in theirs], atol=1e-5)
    with pytest.warns(wordlab.errors.WordlabWarning, match="nope"):
        assert emb.doesnt_match(group + ["nope"]) == kv.doesnt_match(group)


def test_mean_vector(both):
    emb, kv = both
    for kw in ({}, {"pre_normalize": False}, {"post_normalize": True}, {"weights": [1.0, -2.0, 0.5]}):
        np.testing.assert_allclose(emb.get_mean_vector(["w1", "w2", "w3"], **kw),
                                   kv.get_mean_vector(["w1", "w2", "w3"], **kw), atol=1e-6)
    np.testing.assert_allclose(emb.get_mean_vector(["w1", "zz"]), kv.get_mean_vector(["w1", "zz"]), atol=1e-6)
    with pytest.raises(KeyError):
        emb.get_mean_vector(["w1", "zz"], ignore_missing=False)


@pytest.mark.parametrize("pos,neg,restrict", [(["w1", "w2"], ["w3"], None), (["w4"], [], None),
                                              (["w1", "w2"], ["w3"], 150)])
def test_most_similar_cosmul(both, pos, neg, restrict):
    emb, kv = both
    ours = emb.most_similar_cosmul(pos, neg, topn=8, restrict_vocab=restrict)
    if restrict is not None:     # gensim 4.4 takes restrict_vocab but searches every word: give it the first ones
        first = KeyedVectors(kv.vector_size)
        first.add_vectors(kv.index_to_key[:restrict], kv.vectors[:restrict])
        kv = first
    theirs = kv.most_similar_cosmul(pos, neg, topn=8)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)
    if restrict is None:
        np.testing.assert_allclose(emb.most_similar_cosmul(pos, neg, topn=None),
                                   kv.most_similar_cosmul(pos, neg, topn=None), rtol=1e-5)


def test_save_word2vec_format_round_trips_and_refuses_to_replace(pair, tmp_path):
    emb, kv = pair
    for binary in (False, True):
        path = tmp_path / f"v{binary}.txt"
        emb.save_word2vec_format(path, binary=binary)
        back = KeyedVectors.load_word2vec_format(str(path), binary=binary)
        assert back.index_to_key == kv.index_to_key
        np.testing.assert_allclose(back.vectors, kv.vectors, atol=1e-5)
        with pytest.raises(FileExistsError):
            emb.save_word2vec_format(path, binary=binary)
        emb.save_word2vec_format(path, binary=binary, overwrite=True)


def test_unknown_words_are_keyerrors_naming_the_word(pair):
    emb, _ = pair
    for call in (lambda: emb.distance("w1", "zz"), lambda: emb.rank("zz", "w1"), lambda: emb.closer_than("w1", "zz"),
                 lambda: emb.most_similar_cosmul(["zz"])):
        with pytest.raises(UnknownWordError, match="zz"):
            call()
