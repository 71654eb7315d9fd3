"""Tests of the embedding store: the ``Embeddings`` API, exact search (against a
brute-force numpy answer and against gensim), store save/open, atomic writes and
non-finite rows."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wordlab
import wordlab.atomic
import wordlab.store.embeddings as emb_mod
from wordlab import Embeddings, WordlabError
from wordlab.errors import StoreError, UnknownWordError
from wordlab.paths import cache_root
from wordlab.store.search import cosine_topk, top_k, unit_rows


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "cache"))


# -- helpers ------------------------------------------------------------------------------
N_WORDS, DIM = 5000, 32


@pytest.fixture(scope="module")
def big():
    """Random vectors (fixed seed), a few of them zero-free, with words w0..w4999."""
    rng = np.random.default_rng(1234)
    vectors = rng.standard_normal((N_WORDS, DIM)).astype(np.float32)
    words = [f"w{i}" for i in range(N_WORDS)]
    counts = np.arange(N_WORDS, 0, -1) * 3
    return Embeddings(words, vectors, counts)


@pytest.fixture(scope="module")
def big_kv(big):
    """The same vectors in a gensim KeyedVectors built with gensim's own API."""
    from gensim.models import KeyedVectors
    kv = KeyedVectors(vector_size=DIM)
    kv.add_vectors(list(big.words), np.array(big.vectors))
    return kv


def _unit64(vectors):
    v = np.asarray(vectors, dtype=np.float64)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, n, out=np.zeros_like(v), where=n > 0)


def brute_most_similar(vectors, positive, negative=(), topn=10, restrict_vocab=None, words=None):
    """gensim's definition in float64: cosine to the mean of +-unit vectors, query rows excluded."""
    unit = _unit64(vectors)
    index = {w: i for i, w in enumerate(words)}
    rows = [index[w] for w in positive] + [index[w] for w in negative]
    query = np.mean([unit[index[w]] for w in positive] + [-unit[index[w]] for w in negative], axis=0)
    query /= np.linalg.norm(query)
    n = len(words) if restrict_vocab is None else min(restrict_vocab, len(words))
    sims = unit[:n] @ query
    for r in rows:
        if r < n:
            sims[r] = -np.inf
    order = np.argsort(-sims, kind="stable")[:topn]
    order = [i for i in order if np.isfinite(sims[i])]
    return [(words[i], float(sims[i])) for i in order]


def assert_same_neighbors(got, expected, atol=1e-5):
    """Same words in the same order and similarities within ``atol``.

    Two neighbours whose similarities differ by less than ``atol`` may be swapped
    (float32 vs float64 rounding cannot order them reliably); nothing else may differ.
    """
    assert len(got) == len(expected), (got, expected)
    got_w = [w for w, _ in got]
    exp_w = [w for w, _ in expected]
    got_s = np.array([s for _, s in got])
    exp_s = np.array([s for _, s in expected])
    np.testing.assert_allclose(got_s, exp_s, rtol=0, atol=atol)
    exp_sim_of = dict(expected)
    for i, (gw, ew) in enumerate(zip(got_w, exp_w)):
        if gw != ew:
            assert gw in exp_sim_of and abs(exp_sim_of[gw] - exp_s[i]) < atol, (i, got, expected)


def _bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def _partials(parent: Path):
    return [p.name for p in parent.iterdir() if p.name.endswith(".partial")]


# -- 1. the Embeddings API ----------------------------------------------------------------
def small():
    vectors = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [0, 3, 4]], dtype=np.float32)
    return Embeddings(["king", "queen", "zero", "apple"], vectors, counts=[10, 7, 5, 1])


def test_basic_lookups():
    e = small()
    assert len(e) == 4
    assert e.words == ["king", "queen", "zero", "apple"]
    assert list(e) == e.words
    assert e.dim == 3
    assert "queen" in e and "prince" not in e
    assert e.index_of("apple") == 3
    np.testing.assert_array_equal(e["apple"], [0, 3, 4])
    assert e["apple"].dtype == np.float32
    np.testing.assert_array_equal(e[["apple", "king"]], [[0, 3, 4], [1, 0, 0]])
    assert e.vectors.shape == (4, 3) and e.vectors.dtype == np.float32
    np.testing.assert_array_equal(e.counts, [10, 7, 5, 1])
    # __getitem__ returns a copy: writing it does not change the store
    v = e["king"]
    v[:] = 9
    np.testing.assert_array_equal(e["king"], [1, 0, 0])


def test_unit_vectors_and_similarity():
    e = small()
    u = e.unit_vectors
    norms = np.linalg.norm(u, axis=1)
    np.testing.assert_allclose(norms[[0, 1, 3]], 1.0, atol=1e-6)
    np.testing.assert_array_equal(u[2], 0.0)  # zero row stays zero, no NaN
    np.testing.assert_allclose(u[3], [0, 0.6, 0.8], atol=1e-7)
    np.testing.assert_allclose(e.get_vector("queen", norm=True), [2 ** -0.5, 2 ** -0.5, 0], atol=1e-7)
    np.testing.assert_array_equal(e.get_vector("queen"), [1, 1, 0])
    assert e.similarity("king", "queen") == pytest.approx(2 ** -0.5, abs=1e-6)
    assert e.similarity("king", "apple") == pytest.approx(0.0, abs=1e-7)
    assert e.similarity("queen", "apple") == pytest.approx(0.6 / 2 ** 0.5, abs=1e-6)
    assert e.similarity("zero", "king") == 0.0
    assert e.similarity("apple", "queen") == pytest.approx(e.similarity("queen", "apple"), abs=1e-7)


def test_docstring_example():
    e = Embeddings(["king", "queen", "apple"], np.eye(3, 4))
    assert e.similarity("king", "queen") == 0.0
    assert e.similarity("king", "king") == pytest.approx(1.0)


@pytest.mark.parametrize("call", [
    lambda e: e["prince"],
    lambda e: e.index_of("prince"),
    lambda e: e.get_vector("prince"),
    lambda e: e.similarity("king", "prince"),
    lambda e: e.most_similar("prince"),
    lambda e: e.most_similar(positive=["king"], negative=["prince"]),
    lambda e: e.neighbors(["prince"]),          # with a known word beside it: a warning (tests/test_lookup.py)
    lambda e: e.analogy("king", "prince", "queen"),
    lambda e: e[["king", "prince"]],
])
def test_unknown_word(call):
    e = small()
    with pytest.raises(KeyError) as info:
        call(e)
    assert isinstance(info.value, UnknownWordError)
    assert isinstance(info.value, WordlabError)
    assert info.value.word == "prince"
    assert "'prince'" in str(info.value)


def test_unknown_word_in_opened_store_names_the_store(tmp_path):
    path = small().save(tmp_path / "s")
    e = wordlab.load(path)
    with pytest.raises(UnknownWordError, match=r"'prince'.*s$"):
        e["prince"]


@pytest.mark.parametrize("words, vectors, counts, match", [
    (["a", "b", "a"], np.zeros((3, 2)), None, "duplicate word 'a'"),
    (["a", "b"], np.zeros((3, 2)), None, "2 words but 3 vectors"),
    (["a", "b", "c"], np.zeros((2, 2)), None, "3 words but 2 vectors"),
    (["a", "b"], np.zeros(2), None, "2-D"),
    (["a", "b"], np.zeros((2, 2, 2)), None, "2-D"),
    (["a", "b"], np.zeros((2, 2)), [1, 2, 3], "3 counts"),
])
def test_constructor_rejects(words, vectors, counts, match):
    with pytest.raises(ValueError, match=match):
        Embeddings(words, vectors, counts)


def test_most_similar_needs_input_and_checks_dim():
    e = small()
    with pytest.raises(ValueError):
        e.most_similar()
    with pytest.raises(ValueError, match="dimension 2"):
        e.similar_by_vector(np.ones(2))


# -- 2. search: brute force and gensim parity -----------------------------------------------
@pytest.mark.parametrize("positive, negative, topn, restrict", [
    (["w0"], [], 10, None),
    (["w17"], [], 25, None),
    (["w3", "w4000"], [], 10, None),
    (["w5", "w9"], ["w2"], 10, None),
    ([], ["w11"], 5, None),
    (["w2"], [], 10, 300),
    (["w2", "w4999"], ["w7"], 10, 1000),  # w4999 lies outside restrict_vocab
    (["w0"], [], 3, 1),                    # only the query word itself is allowed: nothing left
    (["w1"], [], 3, 1),                    # the query lies outside: the single allowed row
])
def test_most_similar_brute_force(big, positive, negative, topn, restrict):
    got = big.most_similar(positive=positive, negative=negative, topn=topn, restrict_vocab=restrict)
    exp = brute_most_similar(big.vectors, positive, negative, topn, restrict, big.words)
    assert_same_neighbors(got, exp)
    assert all(w not in positive + negative for w, _ in got)
    if restrict:
        assert all(big.index_of(w) < restrict for w, _ in got)
    assert len(got) == min(topn, (restrict or N_WORDS) - sum(
        big.index_of(w) < (restrict or N_WORDS) for w in positive + negative))


def test_most_similar_accepts_single_strings_and_vectors(big):
    assert big.most_similar("w8", topn=5) == big.most_similar(positive=["w8"], topn=5)
    assert big.similar_by_word("w8", topn=5) == big.most_similar(positive=["w8"], topn=5)
    # a vector query excludes nothing: the word itself comes first with similarity 1
    got = big.most_similar(positive=[big["w8"] * 7.0], topn=3)
    assert got[0][0] == "w8" and got[0][1] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("positive, negative, topn, restrict", [
    (["w0"], [], 10, None),
    (["w42"], [], 50, None),
    (["w3", "w4000"], [], 10, None),
    (["w5", "w9"], ["w2"], 10, None),
    (["w5"], ["w2", "w6"], 7, None),
    (["w2"], [], 10, 300),
    (["w2", "w4999"], ["w7"], 10, 1000),
])
def test_most_similar_matches_gensim(big, big_kv, positive, negative, topn, restrict):
    got = big.most_similar(positive=positive, negative=negative, topn=topn, restrict_vocab=restrict)
    exp = big_kv.most_similar(positive=positive, negative=negative, topn=topn, restrict_vocab=restrict)
    assert [w for w, _ in got] == [w for w, _ in exp]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in exp], atol=1e-5, rtol=0)


def test_similar_by_vector_brute_force(big):
    rng = np.random.default_rng(7)
    for _ in range(5):
        v = rng.standard_normal(DIM).astype(np.float32)
        got = big.similar_by_vector(v, topn=12)
        sims = _unit64(big.vectors) @ (v / np.linalg.norm(v))
        order = np.argsort(-sims)[:12]
        assert_same_neighbors(got, [(big.words[i], float(sims[i])) for i in order])
    got = big.similar_by_vector(v, topn=4, restrict_vocab=50)
    sims = _unit64(big.vectors[:50]) @ (v / np.linalg.norm(v))
    order = np.argsort(-sims)[:4]
    assert_same_neighbors(got, [(big.words[i], float(sims[i])) for i in order])
    # nothing is excluded: a word's own vector finds the word itself first
    assert big.similar_by_vector(big["w123"], topn=1)[0][0] == "w123"


def test_neighbors_frame_equals_most_similar(big):
    queries = ["w0", "w10", "w4999", "w250"]
    for restrict in (None, 2000):
        table = big.neighbors(queries, topn=6, restrict_vocab=restrict)
        assert list(table.columns) == ["query", "rank", "word", "similarity"]
        assert len(table) == 6 * len(queries)
        for q in queries:
            part = table[table["query"] == q]
            assert part["rank"].tolist() == [1, 2, 3, 4, 5, 6]
            exp = big.most_similar(q, topn=6, restrict_vocab=restrict)
            assert part["word"].tolist() == [w for w, _ in exp]
            np.testing.assert_allclose(part["similarity"].to_numpy(), [s for _, s in exp], atol=1e-6)
    single = big.neighbors("w10", topn=3)
    assert single["word"].tolist() == [w for w, _ in big.most_similar("w10", topn=3)]


def _brute_topk(unit, queries, k, n_rows, exclude):
    q = np.atleast_2d(np.asarray(queries, dtype=np.float64))
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    sims = np.asarray(unit[:n_rows], dtype=np.float64) @ q.T
    out = []
    for j in range(q.shape[0]):
        s = sims[:, j].copy()
        for i in exclude[j]:
            if i < n_rows:
                s[i] = -np.inf
        order = [i for i in np.argsort(-s, kind="stable") if np.isfinite(s[i])][:k]
        out.append((order, s[order]))
    return out


@pytest.mark.parametrize("k, n_rows", [(3, None), (10, None), (25, None), (10, 30), (60, None), (60, 20)])
def test_cosine_topk_small_blocks(k, n_rows):
    rng = np.random.default_rng(99)
    unit = unit_rows(rng.standard_normal((50, 5)).astype(np.float32))
    queries = rng.standard_normal((4, 5)).astype(np.float32)
    queries[2] *= 1000.0  # queries are normalised inside
    exclude = [[0, 6, 7, 13, 49], [], [21, 22, 23, 24, 25, 26, 27, 28], [48]]
    ids, scores = cosine_topk(unit, queries, k, n_rows, exclude, block_rows=7)
    n = 50 if n_rows is None else n_rows
    assert ids.dtype == np.int64
    for j, (order, exp_scores) in enumerate(_brute_topk(unit, queries, k, n, exclude)):
        valid = ids[j][ids[j] >= 0]
        assert valid.tolist() == list(order)
        np.testing.assert_allclose(scores[j][: len(valid)], exp_scores, atol=1e-5)
        # anything past the available results is padding: id -1, score -inf
        pad = ids[j][len(valid):]
        assert (pad == -1).all()
        assert np.isneginf(scores[j][len(valid):]).all()
        assert not set(valid.tolist()) & set(exclude[j])
        assert (valid < n).all()


def test_cosine_topk_block_size_does_not_change_answer():
    rng = np.random.default_rng(5)
    unit = unit_rows(rng.standard_normal((200, 8)).astype(np.float32))
    q = rng.standard_normal((3, 8)).astype(np.float32)
    ex = [[1, 2], [150], []]
    ref = cosine_topk(unit, q, 17, None, ex)
    for block in (1, 7, 16, 199, 200, 1000):
        ids, scores = cosine_topk(unit, q, 17, None, ex, block_rows=block)
        np.testing.assert_array_equal(ids, ref[0])
        np.testing.assert_allclose(scores, ref[1], atol=1e-6)


def _stable_topk(s: np.ndarray, k: int) -> np.ndarray:
    """Reference: the k best positions of s by a stable sort, NaN never chosen."""
    valid = np.flatnonzero(~np.isnan(s))
    return valid[np.lexsort((valid, -s[valid]))][:k]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1.0, -1.0, 0.5, np.nan, -np.inf, np.inf, 2.5, -3.0]), min_size=1, max_size=300),
       st.integers(0, 80))
def test_top_k_is_a_stable_sort_without_nan(values, k):
    s = np.asarray(values, dtype=np.float32)
    ids, best = top_k(s, k)
    want = _stable_topk(s, k)
    kk = min(k, s.shape[0])
    assert ids.shape == best.shape == (kk,)
    assert ids[:want.shape[0]].tolist() == want.tolist()
    np.testing.assert_array_equal(best[:want.shape[0]], s[want])
    assert (ids[want.shape[0]:] == -1).all() and np.isneginf(best[want.shape[0]:]).all()


def test_top_k_at_size_with_ties_at_the_threshold():
    """200,000 scores, a third of them tied at one value near the top: the sampled
    threshold lands on the tie, and every tied position below the cut is still seen."""
    rng = np.random.default_rng(3)
    s = rng.standard_normal(200_000).astype(np.float32)
    s[rng.random(s.shape[0]) < 0.33] = 1.5
    s[rng.integers(0, s.shape[0], 50)] = np.nan
    for k in (1, 10, 100, 5000, 70_000):
        ids, best = top_k(s, k)
        assert ids.tolist() == _stable_topk(s, k).tolist()


@pytest.mark.parametrize("n_queries", [1, 3])
@pytest.mark.parametrize("block", [5, 64, 1 << 20])
def test_equal_rows_are_returned_lowest_row_first(n_queries, block):
    """Rows with equal scores (duplicated vectors) come back in row order, one query or
    many, whatever the block: results do not depend on how the scan was cut."""
    rng = np.random.default_rng(8)
    # one-hot rows: a score is one query coordinate, exact in any summation order, so
    # repeated rows tie exactly (BLAS may round the same row differently by its position)
    unit = np.eye(6, dtype=np.float32)[rng.integers(0, 6, 300)]
    q = rng.standard_normal((n_queries, 6)).astype(np.float32)
    ids, scores = cosine_topk(unit, q, 40, None, [[]] * n_queries, block_rows=block)
    for j in range(n_queries):
        s = unit @ (q[j] / np.linalg.norm(q[j]))
        assert ids[j].tolist() == _stable_topk(s, 40).tolist()


@pytest.fixture(scope="module")
def analogy_words(big):
    return [("w0", "w1", "w2"), ("w10", "w400", "w3000"), ("w7", "w7", "w8"), ("w4999", "w3", "w1000")]


def test_analogy_3cosadd_matches_gensim(big, big_kv, analogy_words):
    for a, b, c in analogy_words:
        got = big.analogy(a, b, c)
        exp = big_kv.most_similar(positive=[b, c], negative=[a], topn=1)
        assert len(got) == 1
        assert got[0][0] == exp[0][0]
        assert got[0][1] == pytest.approx(exp[0][1], abs=1e-5)
        got5 = big.analogy(a, b, c, topn=5, method="3CosAdd")
        exp5 = big_kv.most_similar(positive=[b, c], negative=[a], topn=5)
        assert [w for w, _ in got5] == [w for w, _ in exp5]
        # 3cosadd is most_similar with the same query
        assert [w for w, _ in got5] == [w for w, _ in big.most_similar([b, c], [a], topn=5)]


def brute_cosmul(vectors, words, a, b, c, topn, epsilon, restrict=None):
    unit = _unit64(vectors)
    idx = {w: i for i, w in enumerate(words)}
    ia, ib, ic = idx[a], idx[b], idx[c]
    n = len(words) if restrict is None else restrict
    cos = unit[:n] @ unit[[ia, ib, ic]].T
    s = (cos + 1.0) / 2.0
    score = s[:, 1] * s[:, 2] / (s[:, 0] + epsilon)
    for i in (ia, ib, ic):
        if i < n:
            score[i] = -np.inf
    order = np.argsort(-score, kind="stable")[:topn]
    return [(words[i], float(score[i])) for i in order]


@pytest.mark.parametrize("epsilon", [1e-3, 1e-6])
def test_analogy_3cosmul_brute_force(big, analogy_words, epsilon):
    for a, b, c in analogy_words:
        kw = {} if epsilon == 1e-3 else {"epsilon": epsilon}  # 1e-3 is the documented default
        got = big.analogy(a, b, c, method="3cosmul", topn=8, **kw)
        exp = brute_cosmul(big.vectors, big.words, a, b, c, 8, epsilon)
        assert_same_neighbors(got, exp, atol=1e-4 if epsilon == 1e-6 else 1e-5)
    got = big.analogy("w0", "w1", "w2", method="3cosmul", topn=5, restrict_vocab=100)
    assert_same_neighbors(got, brute_cosmul(big.vectors, big.words, "w0", "w1", "w2", 5, 1e-3, 100))


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")
def test_analogy_3cosmul_matches_gensim_cosmul(big, big_kv, analogy_words):
    # gensim: prod((1 + cos(d, pos)) / 2) / (prod((1 + cos(d, neg)) / 2) + 1e-6), query words excluded
    for a, b, c in analogy_words:
        got = big.analogy(a, b, c, method="3cosmul", topn=5, epsilon=1e-6)
        exp = big_kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        assert [w for w, _ in got] == [w for w, _ in exp]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in exp], rtol=1e-5, atol=1e-6)


def test_analogy_bad_method(big):
    with pytest.raises(ValueError, match="method"):
        big.analogy("w0", "w1", "w2", method="pairdirection")


def test_analogy_known_answer():
    # king - man + woman = queen, on hand-made vectors
    words = ["king", "man", "woman", "queen", "apple", "prince"]
    v = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 0, 0.3]],
                 dtype=np.float32)
    e = Embeddings(words, v)
    assert e.analogy("man", "king", "woman")[0][0] == "queen"
    assert e.analogy("man", "king", "woman", method="3cosmul")[0][0] == "queen"


# -- 3. store save / open --------------------------------------------------------------------
def test_store_round_trip(tmp_path, big):
    out = big.save(tmp_path / "store")
    assert out == tmp_path / "store"
    assert sorted(p.name for p in out.iterdir()) == ["meta.json", "vectors.npy", "vocab.tsv"]
    e = wordlab.load(out)
    assert isinstance(e, Embeddings)
    assert e._words is None  # the vocabulary is not read at open
    assert isinstance(e.vectors, np.memmap)
    assert not e.vectors.flags.writeable
    with pytest.raises(ValueError):
        e.vectors[0, 0] = 1.0
    assert len(e) == N_WORDS and e.dim == DIM
    assert e._words is None  # len and dim do not need it either
    np.testing.assert_array_equal(_bits(e.vectors), _bits(big.vectors))
    assert e.words == big.words
    np.testing.assert_array_equal(e.counts, big.counts)
    assert e.counts.dtype == np.int64
    for key in ("dim", "method", "wordlab_version", "created"):
        assert key in e.meta
    assert e.meta["dim"] == DIM
    assert e.meta["wordlab_version"] == wordlab.__version__
    assert e.meta["method"] == "external"
    assert e.path == out
    on_disk = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert on_disk["dim"] == DIM and on_disk["n_words"] == N_WORDS
    # Embeddings.open is the same thing
    assert Embeddings.open(out).words == big.words
    # searching the opened store gives what the in-memory one gives
    assert e.most_similar("w5", topn=5) == big.most_similar("w5", topn=5)


def test_store_round_trip_without_counts_and_with_meta(tmp_path):
    e = Embeddings(["a", "b"], [[1, 2], [3, 4]], meta={"method": "sgns", "params": {"window": 5}})
    e2 = wordlab.load(e.save(tmp_path / "s"))
    np.testing.assert_array_equal(e2.counts, [0, 0])
    assert e2.meta["method"] == "sgns"
    assert e2.meta["params"] == {"window": 5}


def test_store_round_trip_unicode(tmp_path):
    words = ["ශ්‍රී", "ලිංගිකත්වය", "kʼehjígo", "Diné", "naʼníle", "日本"]
    vectors = np.arange(len(words) * 3, dtype=np.float32).reshape(-1, 3)
    e = wordlab.load(Embeddings(words, vectors).save(tmp_path / "u"))
    assert e.words == words
    np.testing.assert_array_equal(e["kʼehjígo"], vectors[2])


@pytest.mark.parametrize("fmt, name", [("store", "empty"), ("word2vec", "empty.txt"),
                                       ("word2vec-bin", "empty.bin")])
def test_empty_embeddings_round_trip(tmp_path, fmt, name):
    e = Embeddings([], np.zeros((0, 3), dtype=np.float32))
    assert len(e) == 0 and e.dim == 3
    back = wordlab.load(e.save(tmp_path / name, format=fmt))
    assert len(back) == 0 and back.dim == 3
    assert back.words == []
    assert "a" not in back


def test_opened_store_does_not_read_vocab_until_needed(tmp_path):
    path = small().save(tmp_path / "s")
    (path / "vocab.tsv").write_text("garbage with no tab\n", encoding="utf-8")
    e = wordlab.load(path)  # open must succeed: the vocabulary is lazy
    assert len(e) == 4 and e.dim == 3
    np.testing.assert_array_equal(e.vectors[3], [0, 3, 4])
    with pytest.raises(StoreError):
        e.words


def _tree(path: Path) -> dict:
    """Every file under ``path`` with its bytes and mtime: to show a store was not touched."""
    return {str(p.relative_to(path)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_unit_vectors_go_to_the_cache_and_are_reused(tmp_path, monkeypatch):
    path = small().save(tmp_path / "s")
    before = _tree(path)
    e = wordlab.load(path)
    u = e.unit_vectors
    assert _tree(path) == before                      # reading a store never writes into it
    cached = list((cache_root() / "unit").glob("*.npy"))
    assert len(cached) == 1 and isinstance(u, np.memmap)
    np.testing.assert_allclose(u, unit_rows(np.array(e.vectors)), atol=0)
    np.testing.assert_array_equal(u[2], 0)
    assert not _partials(path) and not _partials(cache_root() / "unit")

    def boom(*a, **k):
        raise AssertionError("unit vectors recomputed instead of reused")

    import wordlab.store.unitcache as unit_mod
    monkeypatch.setattr(emb_mod, "unit_rows", boom)
    monkeypatch.setattr(unit_mod, "unit_rows", boom)
    e2 = wordlab.load(path)
    np.testing.assert_array_equal(e2.unit_vectors, u)
    assert e2.similarity("king", "queen") == pytest.approx(2 ** -0.5, abs=1e-6)
    assert len(list((cache_root() / "unit").glob("*.npy"))) == 1


def test_unit_vectors_of_read_only_store(tmp_path):
    path = small().save(tmp_path / "s")
    os.chmod(path, 0o555)
    try:
        u = wordlab.load(path).unit_vectors
        assert sorted(p.name for p in path.iterdir()) == ["meta.json", "vectors.npy", "vocab.tsv"]
        np.testing.assert_array_equal(wordlab.load(path).unit_vectors, u)
        assert len(list((cache_root() / "unit").glob("*.npy"))) == 1
    finally:
        os.chmod(path, 0o755)


def test_unit_vectors_follow_the_content_of_vectors_npy(tmp_path):
    """vectors.npy edited in place, its size and mtime put back: the unit vectors of the
    old content must not be served (they are keyed by content)."""
    path = small().save(tmp_path / "s")
    old = wordlab.load(path).unit_vectors.copy()
    npy = path / "vectors.npy"
    st = npy.stat()
    arr = np.load(npy, mmap_mode="r+")
    arr[0] = [0, 0, 9]       # king now points along the third axis
    arr.flush()
    del arr
    os.utime(npy, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert npy.stat().st_size == st.st_size and npy.stat().st_mtime_ns == st.st_mtime_ns
    new = wordlab.load(path).unit_vectors
    np.testing.assert_array_equal(new[0], [0, 0, 1])
    assert not np.array_equal(new[0], old[0])


def test_nonfinite_rows_never_become_neighbours(tmp_path):
    words = ["a", "b", "c", "bad", "worse"]
    v = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [np.nan, 1, 0], [np.inf, 0, 0]], dtype=np.float32)
    for emb in (Embeddings(words, v), wordlab.load(Embeddings(words, v).save(tmp_path / "s", allow_nonfinite=True))):
        with pytest.warns(wordlab.errors.WordlabWarning, match="2 vector.*NaN or infinity"):
            emb.unit_vectors
        assert emb.nonfinite_rows.tolist() == [3, 4]
        near = emb.most_similar("a", topn=10)
        assert [w for w, _ in near] == ["b", "c"]                # never 'bad' or 'worse'
        assert set(emb.neighbors(["a", "c"], topn=10)["word"]) == {"a", "b", "c"}
        assert [w for w, _ in emb.similar_by_vector(np.array([1, 0, 0]), topn=10)] == ["a", "b", "c"]
        with pytest.raises(WordlabError, match="'bad'.*NaN or infinity"):
            emb.most_similar("bad")
        with pytest.raises(WordlabError, match="NaN or infinity"):
            emb.similarity("a", "worse")
        with pytest.raises(WordlabError, match="NaN or infinity"):
            emb.similar_by_vector(np.array([np.nan, 0, 0]))


def test_save_over_existing_store_replaces_it_completely(tmp_path):
    path = small().save(tmp_path / "s")
    wordlab.load(path).unit_vectors  # creates unit_vectors.npy
    (path / "stray.txt").write_text("x")
    new = Embeddings(["x", "y"], [[5, 6], [7, 8]], counts=[2, 1])
    with pytest.raises(wordlab.errors.OutputExistsError, match="overwrite"):
        new.save(path)
    assert wordlab.load(path).words == ["king", "queen", "zero", "apple"]
    new.save(path, overwrite=True)
    assert sorted(p.name for p in path.iterdir()) == ["meta.json", "vectors.npy", "vocab.tsv"]
    e = wordlab.load(path)
    assert e.words == ["x", "y"]
    np.testing.assert_array_equal(e.vectors, [[5, 6], [7, 8]])
    np.testing.assert_allclose(np.linalg.norm(e.unit_vectors, axis=1), 1.0, atol=1e-6)
    assert not _partials(tmp_path)


def test_save_opened_store_onto_itself(tmp_path):
    path = small().save(tmp_path / "s")
    e = wordlab.load(path)
    e.save(path, overwrite=True)
    e2 = wordlab.load(path)
    assert e2.words == ["king", "queen", "zero", "apple"]
    np.testing.assert_array_equal(e2.vectors, small().vectors)
    assert not _partials(tmp_path)


def test_save_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        small().save(tmp_path / "x", format="hdf5")
    assert not (tmp_path / "x").exists()


# -- 4. atomic writes ------------------------------------------------------------------------
class Interrupt(KeyboardInterrupt):
    pass


def _interrupt_vocab_save(monkeypatch):
    """Interrupt a store save after vectors.npy is written, while writing vocab.tsv."""
    from wordlab.corpus.vocab import Vocabulary

    def interrupted(self, path, *a, **k):
        Path(path).write_text("half a vocab", encoding="utf-8")
        raise Interrupt()

    monkeypatch.setattr(Vocabulary, "save", interrupted)


def test_interrupted_store_save_leaves_nothing(tmp_path, monkeypatch):
    _interrupt_vocab_save(monkeypatch)
    with pytest.raises(Interrupt):
        small().save(tmp_path / "s")
    assert not (tmp_path / "s").exists()
    assert not _partials(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} <= {"cache"}


def test_interrupted_store_save_keeps_old_store(tmp_path, monkeypatch):
    path = small().save(tmp_path / "s")
    before = {p.name: p.read_bytes() for p in path.iterdir()}
    _interrupt_vocab_save(monkeypatch)
    with pytest.raises(Interrupt):
        Embeddings(["x"], [[1, 2, 3]]).save(path, overwrite=True)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before
    e = wordlab.load(path)
    assert e.words == ["king", "queen", "zero", "apple"]
    assert not _partials(tmp_path)


def test_failing_array_write_leaves_nothing(tmp_path, monkeypatch):
    """A disk that fills while vectors.npy is written: one DiskFullError naming the
    store, and no partial file or folder left (the write reserves its space first)."""
    import wordlab.store.writer as writer_mod
    real = writer_mod.save_npy

    def half_save(path, arr, *a, **k):
        real(path, arr[: len(arr) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_mod, "save_npy", half_save)
    with pytest.raises(wordlab.errors.DiskFullError, match=r"s: no space left on device"):
        small().save(tmp_path / "s")
    assert not (tmp_path / "s").exists()
    assert not _partials(tmp_path)
    monkeypatch.undo()

    def full(fd, offset, length):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(wordlab.errors.DiskFullError, match=r"vectors\.npy: no space left on device \(\d+ B needed\)"):
        small().save(tmp_path / "s")
    assert not (tmp_path / "s").exists() and not _partials(tmp_path)


@pytest.mark.parametrize("fmt, writer, name", [
    ("word2vec-bin", "write_binary_vectors", "e.bin"),
    ("word2vec", "write_text_vectors", "e.txt"),
    ("glove", "write_text_vectors", "e.glove.txt"),
])
def test_interrupted_file_save(tmp_path, monkeypatch, fmt, writer, name):
    real = getattr(emb_mod, writer)
    target = tmp_path / name
    # first with no existing file, then over an existing good one
    old = small()
    for existing in (False, True):
        if existing:
            old.save(target, format=fmt)
            before = target.read_bytes()

        def half(fh, words, vectors, *a, **k):
            real(fh, words[:1], vectors[:1], *a, **k)
            raise Interrupt()

        monkeypatch.setattr(emb_mod, writer, half)
        with pytest.raises(Interrupt):
            Embeddings(["p", "q", "r"], np.ones((3, 2))).save(target, format=fmt, overwrite=True)
        monkeypatch.setattr(emb_mod, writer, real)
        assert not _partials(tmp_path)
        if existing:
            assert target.read_bytes() == before
            assert wordlab.load(target, format=fmt).words == old.words
        else:
            assert not target.exists()


def test_interrupt_between_renames_keeps_old_store(tmp_path, monkeypatch):
    """Without renameat2's exchange, atomic_directory moves the old store aside, then
    renames the new one in. An interruption between the two renames must not lose the
    old store."""
    path = small().save(tmp_path / "s")
    monkeypatch.setattr(wordlab.atomic, "_rename2", lambda src, dst, flags: False)
    real_replace = os.replace
    calls = []

    def replace(src, dst, *a, **k):
        calls.append((Path(src), Path(dst)))
        # The old store is already aside: interrupt the new -> final rename (only that one;
        # the restore that follows is a real rename).
        if Path(dst) == path and sum(d == path for _, d in calls) == 1:
            raise Interrupt()
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(wordlab.atomic.os, "replace", replace)
    with pytest.raises(Interrupt):
        Embeddings(["x"], [[1, 2, 3]]).save(path, overwrite=True)
    monkeypatch.undo()
    assert any(src == path for src, _ in calls), "the old store was not moved aside first"
    assert wordlab.load(path).words == ["king", "queen", "zero", "apple"]
    assert not _partials(tmp_path)


def test_store_is_replaced_in_one_exchange(tmp_path, monkeypatch):
    """With renameat2's exchange the path is never absent: the old store is swapped out
    in one step; an interruption right after it leaves the new store in place (the old
    one, at the temporary name, is removed; a kill there is in tests/test_faults.py)."""
    path = small().save(tmp_path / "s")
    seen = []

    def at(name):
        if name == "atomic.exchanged":
            seen.append(wordlab.load(path).words)
            raise Interrupt()

    monkeypatch.setattr(wordlab.atomic, "fault_point", at)
    with pytest.raises(Interrupt):
        Embeddings(["x"], [[1, 2, 3]]).save(path, overwrite=True)
    monkeypatch.undo()
    if not seen:
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    assert seen == [["x"]] and wordlab.load(path).words == ["x"]
    assert not _partials(tmp_path)


# -- 5. NaN / infinity -----------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("fmt, name", [("store", "s"), ("word2vec", "s.txt"), ("word2vec-bin", "s.bin")])
def test_nonfinite_rows_refused(tmp_path, bad, fmt, name):
    v = np.ones((4, 3), dtype=np.float32)
    v[2, 1] = bad
    v[3, 0] = bad
    e = Embeddings(["a", "b", "broken", "worse"], v)
    with pytest.raises(WordlabError, match=r"2 row.*'broken'.*allow_nonfinite"):
        e.save(tmp_path / name, format=fmt)
    assert not (tmp_path / name).exists()
    assert not _partials(tmp_path)


@pytest.mark.parametrize("fmt, name", [("store", "s"), ("word2vec", "s.txt"), ("word2vec-bin", "s.bin")])
def test_nonfinite_rows_allowed(tmp_path, fmt, name):
    v = np.arange(12, dtype=np.float32).reshape(4, 3)
    v[1, 1] = np.nan
    v[2, 0] = np.inf
    v[3, 2] = -np.inf
    e = Embeddings(["a", "b", "c", "d"], v)
    path = e.save(tmp_path / name, format=fmt, allow_nonfinite=True)
    if fmt == "store":
        back = wordlab.load(path)
    else:  # a file's reader reports NaN and infinity where it first finds them
        with pytest.warns(wordlab.errors.WordlabWarning, match=r"(line 3|row 2 \(byte offset \d+\)): 3 value"):
            back = wordlab.load(path)
    assert back.words == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(np.asarray(back.vectors), v)  # NaN positions compare equal here


def test_replacing_npy_puts_the_new_array_in_place_or_leaves_the_old_one(tmp_path):
    from wordlab.npyio import replacing_npy
    target = tmp_path / "vectors.npy"
    np.save(target, np.zeros((3, 2), np.float32))
    with pytest.raises(RuntimeError):
        with replacing_npy(target, np.float32, (4, 2)) as out:
            out[:] = 1.0
            raise RuntimeError("killed halfway")
    assert np.load(target).shape == (3, 2) and sorted(p.name for p in tmp_path.iterdir()) == ["vectors.npy"]
    with replacing_npy(target, np.float32, (4, 2)) as out:
        out[:] = 2.0
    assert np.array_equal(np.load(target), np.full((4, 2), 2.0, np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.npy"]
