"""The approximate nearest-neighbour index (wordlab.store.ann): recall, exact scores,
the cache and its invalidation, when it is used, and its CLI."""
from __future__ import annotations

import numpy as np
import pytest

import wordlab
from wordlab import Embeddings
from wordlab.cli.main import cli
from wordlab.store import ann

pytest.importorskip("usearch", reason="usearch (wordlab[ann]) is not installed")


def clustered_store(tmp_path, n=20_000, dim=32, seed=0, name="s"):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n // 25, dim))
    x = (centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, dim))).astype(np.float32)
    return wordlab.load(Embeddings([f"w{i}" for i in range(n)], x).save(tmp_path / name, overwrite=True))


@pytest.fixture()
def store(tmp_path):
    return clustered_store(tmp_path)


def test_recall_and_exact_scores(store):
    store.build_index(progress=False)
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in rng.choice(len(store), 200, replace=False)]
    approx = store.neighbors(words, topn=10, exact=False)
    exact = store.neighbors(words, topn=10, exact=True)
    hits = sum(len(set(approx[approx["query"] == w]["word"]) & set(exact[exact["query"] == w]["word"]))
               for w in words)
    assert hits / (10 * len(words)) >= 0.95
    # a returned similarity is the exact cosine of that word
    for w, s in store.most_similar("w7", topn=5, exact=False):
        assert s == pytest.approx(store.similarity("w7", w), abs=1e-5)
    assert "w7" not in [w for w, _ in store.most_similar("w7", topn=50, exact=False)]


def test_restrict_vocab_and_vectors_with_the_index(store):
    store.build_index(progress=False)
    top = store.most_similar("w3", topn=10, restrict_vocab=5000, exact=False)
    assert all(store.index_of(w) < 5000 for w, _ in top) and len(top) == 10
    v = store["w11"] + store["w12"]
    got = store.similar_by_vector(v, topn=3, exact=False)
    want = store.similar_by_vector(v, topn=3, exact=True)
    assert [w for w, _ in got] == [w for w, _ in want]


def test_exact_below_the_threshold_and_the_index_above(store, monkeypatch, capsys):
    calls = []
    real = ann.build_index
    monkeypatch.setattr(ann, "build_index", lambda s, **kw: calls.append(1) or real(s, progress=False, **kw))
    store.most_similar("w1")
    assert not calls                                 # 20,000 rows: exact, no index
    monkeypatch.setattr(ann, "EXACT_BELOW", 10_000)
    # Above the threshold the default never starts a build: exact, with a line saying how to get one.
    fresh = wordlab.load(store.path)
    exact = fresh.most_similar("w1", exact=True)
    assert fresh.most_similar("w1") == exact and not calls
    err = capsys.readouterr().err
    assert "searched exactly" in err and f"wordlab index {store.path}" in err
    fresh.most_similar("w2")
    assert capsys.readouterr().err == ""              # said once per store object
    # Asked for (exact=False), it is built once and reused, by this object and by the next opened.
    fresh.most_similar("w2", exact=False)
    fresh.most_similar("w3", exact=False)
    assert calls == [1]
    again = wordlab.load(store.path)
    capsys.readouterr()
    got = again.most_similar("w1")
    assert calls == [1] and "its approximate index" in capsys.readouterr().err
    assert [w for w, _ in got][:5] == [w for w, _ in exact][:5]
    with pytest.raises(wordlab.errors.ParameterError, match="exact"):
        fresh.most_similar("w1", exact="yes")


def test_without_usearch_the_default_stays_exact_on_a_large_store(store, monkeypatch):
    import builtins
    real_import = builtins.__import__
    store.build_index(progress=False)                # cached, but unusable without usearch

    def no_usearch(name, *args, **kwargs):
        if name.startswith("usearch"):
            raise ImportError("no usearch")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_usearch)
    monkeypatch.setattr(ann, "EXACT_BELOW", 10_000)
    fresh = wordlab.load(store.path)
    assert fresh.most_similar("w1") == fresh.most_similar("w1", exact=True)


def test_the_index_is_cached_and_invalidated_with_the_vectors(tmp_path):
    store = clustered_store(tmp_path)
    first = store.build_index(progress=False)
    again = wordlab.load(store.path).build_index(progress=False)
    assert again.path == first.path and again.meta["build_seconds"] == first.meta["build_seconds"]   # reused
    changed = clustered_store(tmp_path, seed=5)                       # new vectors at the same path
    rebuilt = changed.build_index(progress=False)
    assert rebuilt.path != first.path
    exact = changed.most_similar("w9", topn=5, exact=True)
    assert [w for w, _ in changed.most_similar("w9", topn=5, exact=False)][:3] == [w for w, _ in exact][:3]
    from wordlab.cache import entries
    stale = {e.path: e.stale for e in entries(["ann"])}
    assert stale[first.path] and not stale[rebuilt.path]
    other = wordlab.load(changed.path).build_index(M=8, progress=False)        # other settings replace it
    assert other.path == rebuilt.path and other.meta["settings"]["M"] == 8


def test_a_compressed_store_has_an_index_too(store, tmp_path):
    packed = store.compress(tmp_path / "pq", "pq", subspaces=8, progress=False)
    packed.build_index(progress=False)
    got = packed.most_similar("w5", topn=5, exact=False)
    want = packed.most_similar("w5", topn=5, exact=True)
    assert len(set(w for w, _ in got) & set(w for w, _ in want)) >= 4
    for w, s in got:
        assert s == pytest.approx(packed.similarity("w5", w), abs=1e-5)


def test_without_usearch_it_says_what_to_install(store, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_usearch(name, *args, **kwargs):
        if name.startswith("usearch"):
            raise ImportError("no usearch")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_usearch)
    with pytest.raises(wordlab.errors.WordlabError, match=r"pip install 'wordlab\[ann\]'"):
        store.most_similar("w1", exact=False)
    assert store.most_similar("w1", exact=True)                  # exact search needs nothing


def test_the_cli_builds_and_uses_the_index(store, runner):
    r = runner.invoke(cli, ["index", str(store.path), "--M", "16", "--no-progress"])
    assert r.exit_code == 0 and "index of 20,000 words" in r.output, r.output
    r = runner.invoke(cli, ["neighbors", str(store.path), "w1", "--approximate", "--topn", "3"])
    assert r.exit_code == 0 and r.output.count("\n") == 4
    r = runner.invoke(cli, ["index", str(store.path), "--M", "2"])
    assert r.exit_code == 2 and "--M" in r.output
    r = runner.invoke(cli, ["cache", "list", "--kind", "ann"])
    assert str(store.path) in r.output


def test_approximate_csls_retrieval_agrees_with_the_exact_one(tmp_path):
    """On a rotation with noise (the synthetic alignment benchmark in small), CSLS through
    the indexes finds what the exact blocked CSLS finds, and so does BLI."""
    from wordlab.align import evaluate_bli
    from wordlab.align.dictionary import Dictionary
    from wordlab.align.retrieval import approximate_retrieve, knn_mean_similarity, retrieve
    rng = np.random.default_rng(0)
    n, d = 8000, 48
    S = rng.standard_normal((n, d)).astype(np.float32)
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    T = S + (0.6 / np.sqrt(d)) * rng.standard_normal((n, d)).astype(np.float32)
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    q = S[:500]
    r_t, r_s = knn_mean_similarity(q, T, 10), knn_mean_similarity(T, S, 10)
    exact, _ = retrieve(q, T, 1, "csls", r_t, r_s)
    approx, scores = approximate_retrieve(q, T, S, 1, "csls", workers=1, progress=False)   # one thread: repeatable
    assert (approx[:, 0] == exact[:, 0]).mean() >= 0.98
    # r_T and r_S come from the indexes' candidates: close to exact for nearly every query
    # (a target whose true neighbours the 8-bit index ranks outside its candidates gets a
    # lower r_S; one of 500 was 0.05 off in a run with two threads)
    off = np.abs(scores[:, 0] - (2 * (q * T[approx[:, 0]]).sum(1) - r_t - r_s[approx[:, 0]]))
    assert np.mean(off <= 0.02) >= 0.99 and off.max() <= 0.1, (np.mean(off <= 0.02), off.max())
    nn, _ = approximate_retrieve(q, T, S, 3, "nn", progress=False)
    assert (nn[:, 0] == retrieve(q, T, 1, "nn")[0][:, 0]).mean() >= 0.98
    src = wordlab.load(Embeddings([f"w{i}" for i in range(n)], S).save(tmp_path / "src"))
    tgt = wordlab.load(Embeddings([f"w{i}" for i in range(n)], T).save(tmp_path / "tgt"))
    gold = Dictionary([(f"w{i}", f"w{i}") for i in range(0, n, 16)])
    a = evaluate_bli(src, tgt, gold, approximate=True).precision[1]
    b = evaluate_bli(src, tgt, gold).precision[1]
    assert abs(a - b) <= 0.02 and b > 0.5
    assert evaluate_bli(src, tgt, gold, approximate=True, restrict_target=4000).coverage == pytest.approx(0.5)
