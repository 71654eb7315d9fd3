"""Co-occurrence counting: exact counts against a brute-force count, segments and merge,
caching, the on-disk format, PPMI."""
import numpy as np
import pytest

import wordlab
from _helpers import zipf_sentences
from wordlab.cooccur import CooccurrenceMatrix, count_cooccurrences
from wordlab.cooccur.matrix import column_sums, ppmi
from wordlab.errors import UnknownWordError, WordlabError
from wordlab.npyio import NpyAppender, read_range


def _brute_force(sentences, index, window, harmonic=True, direction="both", dynamic=False):
    n = len(index)
    M = np.zeros((n, n))
    for sentence in sentences:
        ids = [index[w] for w in sentence if w in index]
        for p, i in enumerate(ids):
            for q, j in enumerate(ids):
                d = q - p
                if d == 0 or abs(d) > window:
                    continue
                if (direction == "left" and d > 0) or (direction == "right" and d < 0):
                    continue
                weight = (1.0 / abs(d) if harmonic else 1.0) * ((window - abs(d) + 1) / window if dynamic else 1.0)
                M[i, j] += weight
    return M


@pytest.fixture(scope="module")
def sentences():
    return zipf_sentences()


@pytest.fixture(scope="module")
def encoded(sentences):
    return wordlab.Corpus(sentences).encode(min_count=2, progress=False)


@pytest.mark.parametrize("window,weighting,direction,dynamic", [
    (3, "harmonic", "both", False), (5, "none", "left", True), (2, "harmonic", "right", False),
    (1, "none", "both", False), (7, "harmonic", "both", True)])
def test_counts_equal_brute_force(encoded, sentences, window, weighting, direction, dynamic):
    m = count_cooccurrences(encoded, window=window, weighting=weighting, direction=direction,
                            dynamic_window=dynamic, cache=False, progress=False)
    expected = _brute_force(sentences, encoded.vocab.index, window, weighting == "harmonic", direction, dynamic)
    got = m.to_scipy().toarray()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert m.nnz == np.count_nonzero(expected)
    # columns ascend within every row
    for i in range(m.n_words):
        row = np.asarray(m.indices[m.indptr[i]:m.indptr[i + 1]])
        assert np.all(np.diff(row) > 0)


def test_symmetric_window_gives_symmetric_matrix_and_left_is_right_transposed(encoded):
    both = count_cooccurrences(encoded, window=4, cache=False, progress=False).to_scipy().toarray()
    left = count_cooccurrences(encoded, window=4, direction="left", cache=False, progress=False).to_scipy().toarray()
    right = count_cooccurrences(encoded, window=4, direction="right", cache=False, progress=False).to_scipy().toarray()
    np.testing.assert_allclose(both, both.T, rtol=1e-6)
    np.testing.assert_allclose(left, right.T, rtol=1e-6)
    np.testing.assert_allclose(left + right, both, rtol=1e-5)


def test_windows_do_not_cross_sentences():
    enc = wordlab.Corpus([["a", "b"], ["c", "d"], ["a", "b"], ["c", "d"]]).encode(min_count=1, progress=False)
    m = count_cooccurrences(enc, window=5, cache=False, progress=False)
    assert m["b", "c"] == 0.0 and m["a", "d"] == 0.0
    assert m["a", "b"] == pytest.approx(2.0)
    assert m["c", "d"] == pytest.approx(2.0)


def test_segments_and_merge_equal_one_pass(encoded, tmp_path):
    one = count_cooccurrences(encoded, window=5, cache=False, progress=False)
    many = count_cooccurrences(encoded, window=5, memory_limit=1 << 16, out=tmp_path / "m", progress=False)
    assert many.meta["segments"] > 1 and one.meta["segments"] == 1
    np.testing.assert_array_equal(np.asarray(many.indptr), np.asarray(one.indptr))
    np.testing.assert_array_equal(np.asarray(many.indices), np.asarray(one.indices))
    np.testing.assert_allclose(np.asarray(many.data), np.asarray(one.data), rtol=1e-6)


def test_thread_count_does_not_change_the_matrix(encoded):
    a = count_cooccurrences(encoded, window=6, workers=1, cache=False, progress=False)
    b = count_cooccurrences(encoded, window=6, workers=2, cache=False, progress=False)
    np.testing.assert_array_equal(np.asarray(a.indices), np.asarray(b.indices))
    np.testing.assert_array_equal(np.asarray(a.data), np.asarray(b.data))


def test_subsampling_keeps_sqrt_t_over_f_of_a_frequent_word():
    rng = np.random.default_rng(3)
    # "the" is 50% of tokens; the other words are rare.
    sentences = [["the" if rng.random() < 0.5 else f"x{rng.integers(2000)}" for _ in range(50)] for _ in range(2000)]
    enc = wordlab.Corpus(sentences).encode(min_count=1, progress=False)
    t = 1e-3
    plain = count_cooccurrences(enc, window=1, direction="right", weighting="none", cache=False, progress=False)
    sub = count_cooccurrences(enc, window=1, direction="right", weighting="none", subsample=t, seed=5,
                              cache=False, progress=False)
    again = count_cooccurrences(enc, window=1, direction="right", weighting="none", subsample=t, seed=5,
                                cache=False, progress=False)
    np.testing.assert_array_equal(np.asarray(sub.data), np.asarray(again.data))   # same seed, same draw
    freq = enc.vocab.counts[enc.vocab.index["the"]] / enc.n_tokens
    keep = np.sqrt(t / freq)
    # The (the, the) pairs of adjacent kept tokens: a strong signal of how many "the" survived.
    rows_plain, rows_sub = plain.row_sums(), sub.row_sums()
    the = enc.vocab.index["the"]
    ratio = rows_sub[the] / rows_plain[the]
    assert ratio == pytest.approx(keep, rel=0.15)
    assert sub.meta["subsample"] == t


def test_cache_is_reused_and_keyed_by_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "text.txt"
    path.write_text("a b c d a b c d e f a b\n" * 20, encoding="utf-8")
    enc = wordlab.Corpus(path).encode(min_count=1, progress=False)
    first = count_cooccurrences(enc, window=2, progress=False)
    second = count_cooccurrences(enc, window=2, progress=False)
    other = count_cooccurrences(enc, window=3, progress=False)
    assert first.path == second.path
    assert other.path != first.path
    assert second.meta["count_seconds"] == first.meta["count_seconds"]   # read back, not recounted


def test_matrix_api(encoded):
    m = count_cooccurrences(encoded, window=3, cache=False, progress=False)
    dense = m.to_scipy().toarray()
    assert m.shape == (len(encoded.vocab), len(encoded.vocab))
    np.testing.assert_allclose(m.row_sums(), dense.sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(column_sums(m), dense.sum(axis=0), rtol=1e-5)
    w = encoded.vocab.words[0]
    row = m.row(w, topn=5)
    assert list(row.values) == sorted(row.values, reverse=True)
    assert row.iloc[0] == pytest.approx(dense[0].max(), rel=1e-6)
    c = row.index[0]
    assert m[w, c] == pytest.approx(row.iloc[0])
    with pytest.raises(UnknownWordError):
        m["no-such-word", w]
    reopened = CooccurrenceMatrix(m.path)
    assert reopened.nnz == m.nnz and "CooccurrenceMatrix" in repr(reopened)


def test_ppmi_matches_the_formula(encoded):
    m = count_cooccurrences(encoded, window=3, cache=False, progress=False)
    X = m.to_scipy().toarray()
    rows, cols = X.sum(axis=1), X.sum(axis=0)
    smoothed = cols ** 0.75
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(X * smoothed.sum() / np.outer(rows, smoothed))
    expected = np.maximum(pmi, 0)[X > 0]
    got = ppmi(m, 0.75)
    # entries in CSR order are the row-major order of the non-zeros
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    ({"window": 0}, "window"), ({"weighting": "gaussian"}, "weighting"), ({"direction": "up"}, "direction"),
    ({"subsample": -1.0}, "subsample"), ({"memory_limit": 10}, "memory_limit"), ({"workers": 0}, "workers")])
def test_bad_parameters_are_clear_errors(encoded, kwargs, match):
    with pytest.raises(WordlabError, match=match):
        count_cooccurrences(encoded, cache=False, progress=False, **kwargs)


def test_not_a_matrix_directory(tmp_path):
    with pytest.raises(wordlab.errors.StoreError, match="not a co-occurrence matrix"):
        CooccurrenceMatrix(tmp_path)


def test_npy_appender_round_trip(tmp_path):
    path = tmp_path / "x.npy"
    blocks = [np.arange(5, dtype=np.float32), np.zeros(0, np.float32), np.linspace(0, 1, 7, dtype=np.float32)]
    with NpyAppender(path, np.float32, max_length=10 ** 12) as out:
        for b in blocks:
            out.append(b)
    expected = np.concatenate(blocks)
    np.testing.assert_array_equal(np.load(path), expected)
    np.testing.assert_array_equal(np.load(path, mmap_mode="r"), expected)
    np.testing.assert_array_equal(read_range(path, 3, 9), expected[3:9])
