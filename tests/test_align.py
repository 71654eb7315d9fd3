"""Alignment: Procrustes, CSLS, BLI, dictionaries, CADE and shift measures."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from wordlab import Embeddings, WordlabError, load
from wordlab.errors import ParameterError
from wordlab.align import (Dictionary, Normalizer, Procrustes, evaluate_bli, knn_mean_similarity,
                           mutual_nearest_neighbors, orthogonal_procrustes, parse_steps, retrieve)
from wordlab.align.cade import Compass, align_to_reference
from wordlab.align.shift import jumpers, shift_table, stables, temporal_analogies
from wordlab.align.synthetic import rotated_pair, topic_corpus
from wordlab.cli.main import cli


def _pairs(indices):
    return Dictionary([(f"s{i}", f"t{i}") for i in indices])


# -- Procrustes on synthetic rotations -------------------------------------------------------
@pytest.mark.parametrize("normalize", ["none", "unit,center,unit"])
def test_rotation_is_recovered_exactly(normalize):
    src, tgt, Q = rotated_pair()
    aligner = Procrustes(normalize=normalize).fit(src, tgt, _pairs(range(0, 2000, 4)))
    assert np.abs(aligner.W_ - Q).max() < 1e-4
    for method in ("nn", "csls"):
        result = aligner.evaluate(_pairs(range(1, 2000, 4)), method=method)
        assert result.precision == {1: 1.0, 5: 1.0, 10: 1.0}
        assert result.coverage == 1.0 and result.n_evaluated == 500


def test_rotation_with_noise_is_recovered_closely():
    src, tgt, Q = rotated_pair(noise=0.3, seed=1)
    aligner = Procrustes(normalize="none").fit(src, tgt, _pairs(range(0, 2000, 4)))
    assert np.abs(aligner.W_ - Q).max() < 0.05
    assert aligner.evaluate(_pairs(range(1, 2000, 4))).precision[1] > 0.95


def test_orthogonal_procrustes_is_orthogonal_and_optimal():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(50, 8)), rng.normal(size=(50, 8))
    W = orthogonal_procrustes(X, Y)
    assert np.allclose(W @ W.T, np.eye(8), atol=1e-10)
    best = np.linalg.norm(X @ W - Y)
    for _ in range(20):                      # no random rotation does better
        R, _ = np.linalg.qr(rng.normal(size=(8, 8)))
        assert np.linalg.norm(X @ R - Y) >= best - 1e-9


def test_refinement_improves_a_weak_seed():
    src, tgt, _ = rotated_pair(n_words=1500, dim=30, noise=0.45, seed=2)
    seed = _pairs(range(0, 20))                      # 20 pairs for 30 dimensions: a poor map
    test = _pairs(range(500, 1500, 2))
    plain = Procrustes(normalize="unit,center,unit").fit(src, tgt, seed)
    refined = Procrustes(normalize="unit,center,unit", refine=3, refine_vocab=1500).fit(src, tgt, seed)
    p_plain, p_refined = plain.evaluate(test).precision[1], refined.evaluate(test).precision[1]
    assert p_plain < 0.6 and p_refined > 0.95
    history = refined.history_
    assert list(history["iteration"]) == [0, 1, 2, 3]
    assert history["selected"].sum() == 1
    assert history.loc[history["selected"], "mean_cosine"].item() == history["mean_cosine"].max()


def test_validation_selection_uses_the_validation_dictionary():
    src, tgt, _ = rotated_pair(n_words=1000, dim=20, noise=0.4, seed=5)
    valid = _pairs(range(600, 800))
    aligner = Procrustes(refine=2, refine_vocab=1000).fit(src, tgt, _pairs(range(0, 25)), validation=valid)
    h = aligner.history_
    assert "validation_p1" in h
    assert h.loc[h["selected"], "validation_p1"].item() == h["validation_p1"].max()


def test_transform_writes_a_store_in_blocks(tmp_path):
    src, tgt, _ = rotated_pair(n_words=300, dim=10)
    aligner = Procrustes().fit(src, tgt, _pairs(range(0, 300, 2)))
    in_memory = aligner.transform()
    mapped = aligner._write(src, tmp_path / "mapped", aligner.map_vectors, "source", block_rows=7)
    assert np.array_equal(np.asarray(mapped.vectors), np.asarray(in_memory.vectors))
    assert mapped.words == src.words and np.array_equal(mapped.counts, src.counts)
    assert np.array_equal(np.load(tmp_path / "mapped" / "mapping.npy"), aligner.W_)
    assert mapped.meta["alignment"]["normalize"] == ["unit", "center", "unit"]
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())     # no temporary left behind


def test_too_few_seed_pairs_is_a_clear_error():
    src, tgt, _ = rotated_pair(n_words=50, dim=5)
    with pytest.raises(WordlabError, match="only 1 of the 2 pairs"):
        Procrustes().fit(src, tgt, Dictionary([("s1", "t1"), ("s1", "nowhere")]))


def test_identical_strings_seed():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10)).astype(np.float32)
    Q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    words = [f"w{i}" for i in range(200)]
    aligner = Procrustes(normalize="none").fit(Embeddings(words, X), Embeddings(words, (X @ Q).astype(np.float32)),
                                               "identical")
    assert aligner.seed_pairs_ == 200 and np.abs(aligner.W_ - Q).max() < 1e-4


# -- normalisation -----------------------------------------------------------------------------
def test_normalisation_steps_in_order():
    rng = np.random.default_rng(0)
    M = (rng.normal(size=(500, 6)) + 3.0).astype(np.float32)
    n = Normalizer("unit,center,unit").fit(M)
    out = n.transform(M)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    centred = Normalizer("unit,center").fit(M).transform(M)
    assert np.abs(centred.mean(axis=0)).max() < 1e-6
    # fitted in blocks = fitted at once
    assert np.allclose(Normalizer("center").fit(M, block_rows=13).means_[0], M.mean(axis=0, dtype=np.float64))
    assert parse_steps("none") == () and parse_steps(None) == ()
    with pytest.raises(WordlabError, match="unknown normalisation step 'length'"):
        parse_steps("unit,length")


# -- retrieval ---------------------------------------------------------------------------------
def _unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_csls_matches_brute_force():
    rng = np.random.default_rng(4)
    S = _unit(rng.normal(size=(120, 12)).astype(np.float32))
    T = _unit(rng.normal(size=(150, 12)).astype(np.float32))
    k = 10
    cos = S.astype(np.float64) @ T.T.astype(np.float64)
    r_t = np.sort(cos, axis=1)[:, -k:].mean(axis=1)          # each source row's k nearest targets
    r_s = np.sort(cos, axis=0)[-k:, :].mean(axis=0)          # each target row's k nearest sources
    csls = 2 * cos - r_t[:, None] - r_s[None, :]
    got_rt = knn_mean_similarity(S, T, k, query_block=17, key_block=23)
    got_rs = knn_mean_similarity(T, S, k, query_block=17, key_block=23)
    assert np.allclose(got_rt, r_t, atol=1e-5) and np.allclose(got_rs, r_s, atol=1e-5)
    ids, scores = retrieve(S, T, 5, "csls", got_rt, got_rs, query_block=17, key_block=23)
    assert np.array_equal(ids, np.argsort(-csls, axis=1)[:, :5])
    assert np.allclose(scores, np.take_along_axis(csls, ids, axis=1), atol=1e-5)
    nn_ids, _ = retrieve(S, T, 3, "nn", key_block=40)
    assert np.array_equal(nn_ids, np.argsort(-cos, axis=1)[:, :3])


def test_mutual_nearest_neighbors_brute_force():
    rng = np.random.default_rng(6)
    S = _unit(rng.normal(size=(60, 8)).astype(np.float32))
    T = _unit(rng.normal(size=(70, 8)).astype(np.float32))
    cos = S @ T.T
    fwd, bwd = cos.argmax(axis=1), cos.argmax(axis=0)
    expected = [(i, fwd[i]) for i in range(60) if bwd[fwd[i]] == i]
    got = mutual_nearest_neighbors(S, T, method="nn")
    assert [tuple(p) for p in got] == expected


# -- BLI metric ---------------------------------------------------------------------------------
def test_bli_metric_on_a_hand_made_case():
    # target words on the unit circle; each source word sits at a known angle
    angles = np.deg2rad([0, 10, 20, 90, 180])
    tgt = Embeddings(["a", "b", "c", "d", "e"], np.c_[np.cos(angles), np.sin(angles)].astype(np.float32))
    src = Embeddings(["x", "y", "z"], np.array([[1, 0], [np.cos(0.15), np.sin(0.15)], [0, 1]], dtype=np.float32))
    # nearest by cosine: x -> a, b, c ; y (8.6 deg) -> b, a, c ; z (90 deg) -> d, c, b
    gold = Dictionary([("x", "a"), ("y", "c"), ("y", "e"), ("z", "b"), ("q", "a"), ("x", "zz")])
    r = evaluate_bli(src, tgt, gold, method="nn", ks=(1, 3), oov="drop")
    assert r.n_sources == 4 and r.n_evaluated == 3 and r.coverage == 0.75
    assert r.precision == {1: pytest.approx(1 / 3), 3: pytest.approx(1.0)}
    assert list(r.words["first_correct"]) == [1, 3, 3]
    wrong = evaluate_bli(src, tgt, gold, method="nn", ks=(1, 3), oov="wrong")
    assert wrong.precision == {1: pytest.approx(1 / 4), 3: pytest.approx(3 / 4)}


# -- dictionaries --------------------------------------------------------------------------------
def test_dictionary_file_parsing(tmp_path):
    p = tmp_path / "d.txt"
    p.write_text("gato\tcat\ngato kitten\n\nperro   dog\ngato\tcat\n", encoding="utf-8")
    d = Dictionary.read(p)
    assert d.pairs == [("gato", "cat"), ("gato", "kitten"), ("perro", "dog")]
    assert d.translations == {"gato": ["cat", "kitten"], "perro": ["dog"]}
    assert d.inverse().pairs[0] == ("cat", "gato")


def test_dictionary_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("a b\nc d e\n", encoding="utf-8")
    with pytest.raises(WordlabError, match=r"bad\.txt:2: expected 'source target'.*3 fields"):
        Dictionary.read(bad)
    one = tmp_path / "one.txt"
    one.write_text("a b\n\nlonely\n", encoding="utf-8")
    with pytest.raises(WordlabError, match=r"one\.txt:3: .*1 field"):
        Dictionary.read(one)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"a b\n\xff\xfe c\n")
    with pytest.raises(WordlabError, match=r"bin\.txt:2: not valid utf-8"):
        Dictionary.read(binary)
    with pytest.raises(WordlabError, match="dictionary file not found"):
        Dictionary.read(tmp_path / "missing.txt")


# -- CADE and shift --------------------------------------------------------------------------------
PLANTED = ("t0w3", "t5w7")
FAST_CADE = dict(dim=20, window=4, negative=5, compass_epochs=4, slice_epochs=4, min_count=5, workers=1, seed=3,
                 progress=False)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cade")
    one = topic_corpus(tmp / "one.txt.gz", seed=1)
    two = topic_corpus(tmp / "two.txt.gz", seed=2, swap=PLANTED)
    compass = Compass({"one": one, "two": two}, **FAST_CADE).fit(tmp / "out")
    return tmp, compass


def test_cade_output_matrix_stays_frozen(planted):
    _, compass = planted
    ctx = compass.compass_.context_vectors
    index = compass.compass_.index
    for emb in compass.slices_.values():
        rows = np.array([index[w] for w in emb.words])
        assert np.array_equal(np.asarray(emb.context_vectors), np.asarray(ctx)[rows])   # bit-identical
        assert emb.meta["options"]["freeze_context"] is True
        assert not np.array_equal(np.asarray(emb.vectors), np.asarray(compass.compass_.vectors)[rows])


def test_cade_ranks_planted_words_as_top_jumpers(planted):
    _, compass = planted
    table = shift_table(compass["one"], compass["two"], min_count=5, knn_k=9)   # a topic: 9 mates
    for measure in ("cosine", "lncs", "knn"):
        assert set(jumpers(table, measure, 2).index) == set(PLANTED), measure
        assert not set(stables(table, measure, 20).index) & set(PLANTED)


def test_posthoc_procrustes_also_finds_planted_words(planted):
    tmp, compass = planted
    from wordlab.trainers import Word2Vec
    stores = {}
    for name in ("one", "two"):
        stores[name] = Word2Vec(method="cbow", dim=20, window=4, negative=5, epochs=4, workers=1, seed=3,
                                progress=False).fit(str(tmp / f"{name}.txt.gz"), tmp / f"ind-{name}")
    aligned = align_to_reference(stores, "one")
    table = shift_table(aligned["one"], aligned["two"], min_count=5, measures=("cosine",))
    assert set(jumpers(table, "cosine", 2).index) == set(PLANTED)


def test_cade_resumes_and_loads(planted):
    tmp, compass = planted
    before = (tmp / "out" / "slices" / "two" / "vectors.npy").stat().st_mtime_ns
    again = Compass({"one": str(tmp / "one.txt.gz"), "two": str(tmp / "two.txt.gz")}, **FAST_CADE).fit(tmp / "out")
    assert (tmp / "out" / "slices" / "two" / "vectors.npy").stat().st_mtime_ns == before   # reused, not retrained
    loaded = Compass.load(tmp / "out")
    assert set(loaded.slices_) == {"one", "two"} and loaded["two"].words == again["two"].words
    with pytest.raises(WordlabError, match="other parameters"):
        Compass({"one": str(tmp / "one.txt.gz")}, **dict(FAST_CADE, dim=10)).fit(tmp / "out")


def test_temporal_analogies_find_the_swapped_partner(planted):
    _, compass = planted
    # in slice two, t5w7 took the place t0w3 had in slice one
    r = temporal_analogies(compass["one"], compass["two"], [("t0w3", "t5w7"), ("t1w1", "t1w1"), ("x", "y")])
    assert r["n"] == 2 and r["coverage"] == pytest.approx(2 / 3)
    assert r["MP@10"] == 1.0 and 0 < r["MRR"] <= 1


def test_shift_measures_brute_force():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    A = rng.normal(size=(30, 5)).astype(np.float32)
    B = A.copy()
    B[4] = rng.normal(size=5)
    a, b = Embeddings(words, A, counts=np.full(30, 9)), Embeddings(words, B, counts=np.full(30, 9))
    t = shift_table(a, b, min_count=1, lncs_k=4, knn_k=6)
    Au, Bu = _unit(A), _unit(B)
    assert np.allclose(t["cosine"], 1 - np.sum(Au * Bu, axis=1), atol=1e-6)
    ca, cb = Au @ Au.T, Bu @ Bu.T
    np.fill_diagonal(ca, -9)
    np.fill_diagonal(cb, -9)
    for i in (0, 4, 17):
        na, nb = set(np.argsort(-ca[i])[:6]), set(np.argsort(-cb[i])[:6])
        assert t["knn"].iloc[i] == pytest.approx(1 - len(na & nb) / 6)
        union = sorted(set(np.argsort(-ca[i])[:4]) | set(np.argsort(-cb[i])[:4]))
        sa, sb = Au[union] @ Au[i], Bu[union] @ Bu[i]
        assert t["lncs"].iloc[i] == pytest.approx(1 - sa @ sb / np.linalg.norm(sa) / np.linalg.norm(sb), abs=1e-6)
    assert jumpers(t, "cosine", 1).index[0] == "w4"


# -- plots and CLI ---------------------------------------------------------------------------------
def test_trajectory_plot(planted):
    _, compass = planted
    from wordlab.align.plots import trajectory
    fig = trajectory(compass.slices_, "t0w3", topn=3)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "t0w3 (one)" in texts and "t0w3 (two)" in texts
    with pytest.raises(WordlabError, match="in none of the slices"):
        trajectory(compass.slices_, "nope")


def test_cli_procrustes_and_bli(tmp_path):
    src, tgt, _ = rotated_pair(n_words=400, dim=10)
    src.save(tmp_path / "src")
    tgt.save(tmp_path / "tgt")
    _pairs(range(0, 400, 2)).write(tmp_path / "train.txt")
    _pairs(range(1, 400, 2)).write(tmp_path / "test.txt")
    runner = CliRunner()
    r = runner.invoke(cli, ["align", "procrustes", str(tmp_path / "src"), str(tmp_path / "tgt"), "-d",
                            str(tmp_path / "train.txt"), "-o", str(tmp_path / "mapped"), "--target-out",
                            str(tmp_path / "tnorm"), "--test", str(tmp_path / "test.txt")])
    assert r.exit_code == 0, r.output
    assert "P@1 100.0" in r.output and (tmp_path / "mapped" / "mapping.npy").is_file()
    r = runner.invoke(cli, ["align", "bli", str(tmp_path / "mapped"), str(tmp_path / "tnorm"), "-d",
                            str(tmp_path / "test.txt"), "--method", "csls"])
    assert r.exit_code == 0 and "BLI (csls, oov=drop): P@1 100.0" in r.output
    bad = tmp_path / "bad.txt"
    bad.write_text("s1 t1\ns2\n", encoding="utf-8")
    r = runner.invoke(cli, ["align", "procrustes", str(tmp_path / "src"), str(tmp_path / "tgt"), "-d", str(bad),
                            "-o", str(tmp_path / "m2")])
    assert r.exit_code == 1 and "bad.txt:2:" in r.output
    r = runner.invoke(cli, ["align", "procrustes", str(tmp_path / "src"), str(tmp_path / "tgt"),
                            "-o", str(tmp_path / "m3")])
    assert r.exit_code == 2 and "exactly one of --dictionary" in r.output


def test_cli_cade_and_shift(planted, tmp_path):
    tmp, _ = planted
    runner = CliRunner()
    r = runner.invoke(cli, ["align", "cade", "--slice", f"one={tmp / 'one.txt.gz'}", "--slice",
                            f"two={tmp / 'two.txt.gz'}", "-o", str(tmp_path / "cade"), "--dim", "20", "--window",
                            "4", "--negative", "5", "--compass-epochs", "4", "--slice-epochs", "4", "--workers", "1",
                            "--seed", "3", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert load(tmp_path / "cade" / "slices" / "two").dim == 20
    r = runner.invoke(cli, ["align", "shift", str(tmp_path / "cade" / "slices" / "one"),
                            str(tmp_path / "cade" / "slices" / "two"), "--top", "2", "--min-count", "5",
                            "--knn-k", "9", "--plot", "t0w3", "--plot-out", str(tmp_path / "t.png")])
    assert r.exit_code == 0, r.output
    jumper_block = r.output.split("jumpers:")[1].split("stables:")[0]
    assert PLANTED[0] in jumper_block and PLANTED[1] in jumper_block
    assert (tmp_path / "t.png").stat().st_size > 1000
    r = runner.invoke(cli, ["align", "cade", "--slice", "nopath", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "NAME=PATH" in r.output


def test_workers_caps_the_search_threads_and_leaves_the_result_alone(monkeypatch):
    import numba

    from wordlab import _threads
    from wordlab.align import retrieval
    rng = np.random.default_rng(4)
    S = rng.normal(size=(300, 16)).astype(np.float32)
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    T = rng.normal(size=(400, 16)).astype(np.float32)
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    seen = []
    push = retrieval.push_block

    def spy(*args):
        seen.append(numba.get_num_threads())
        return push(*args)
    monkeypatch.setattr(retrieval, "push_block", spy)
    one = retrieval.retrieve(S, T, 5, "nn", workers=1, key_block=64)
    assert set(seen) == {1}
    seen.clear()
    every = retrieval.retrieve(S, T, 5, "nn", key_block=64)
    assert set(seen) == {numba.config.NUMBA_NUM_THREADS}
    np.testing.assert_array_equal(one[0], every[0])
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS     # restored after the block
    with _threads.numba_threads(10 ** 6) as n:
        assert n == numba.config.NUMBA_NUM_THREADS


@pytest.mark.parametrize("bad", [{"workers": 0}, {"refine": -1}, {"csls_k": 0}, {"selection": "best"},
                                 {"refine_vocab": 1.5}])
def test_procrustes_refuses_bad_parameters_naming_them(bad):
    src, tgt, _ = rotated_pair(n_words=200, dim=8, seed=0)
    with pytest.raises(ParameterError, match=next(iter(bad))):
        Procrustes(**bad).fit(src, tgt, _pairs(range(0, 200, 4)))


def test_shift_refuses_the_cosine_of_slices_that_share_no_alignment(tmp_path):
    """Two independently trained spaces: the cosine measure would list function words as
    top movers (issue 24); it is refused with the reason, LNCS and k-NN still run, and
    the same spaces under a rotation back onto each other are accepted."""
    from click.testing import CliRunner

    from wordlab.align.shift import ALIGNED_COSINE, shift_table, slice_alignment
    from wordlab.cli.main import cli
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    counts = np.arange(400, 0, -1) * 10
    a = Embeddings(words, rng.standard_normal((400, 16)).astype(np.float32), counts)
    b = Embeddings(words, rng.standard_normal((400, 16)).astype(np.float32), counts)
    assert abs(slice_alignment(a, b)) < ALIGNED_COSINE
    with pytest.raises(WordlabError, match=r"share no alignment.*median cosine.*lncs or knn"):
        shift_table(a, b)
    assert "lncs" in shift_table(a, b, measures=("lncs", "knn"), knn_k=20).columns
    near = Embeddings(words, np.asarray(a.vectors) + 0.3 * rng.standard_normal((400, 16)).astype(np.float32), counts)
    assert slice_alignment(a, near) > ALIGNED_COSINE and "cosine" in shift_table(a, near, knn_k=20).columns
    pa, pb = a.save(tmp_path / "a"), b.save(tmp_path / "b")
    r = CliRunner().invoke(cli, ["align", "shift", str(pa), str(pb)])
    assert r.exit_code == 1 and "share no alignment" in r.output
    r = CliRunner().invoke(cli, ["align", "shift", str(pa), str(pb), "--measure", "lncs"])
    assert r.exit_code == 0, r.output


def test_refinement_shows_progress_when_asked(capsys):
    """Issue 24: `align procrustes --refine 3` ran 25 s with no output."""
    src, tgt, _ = rotated_pair(600, 16, noise=0.05, seed=3)
    Procrustes(refine=2, refine_vocab=500, progress=True).fit(src, tgt, _pairs(range(0, 600, 4)))
    err = capsys.readouterr().err
    assert "Procrustes and refinement" in err and "3.00/3.00" in err and "mean cosine=" in err
    Procrustes(refine=2, refine_vocab=500, progress=False).fit(src, tgt, _pairs(range(0, 600, 4)))
    assert capsys.readouterr().err == ""


def test_temporal_analogies_never_rank_the_gold_word_below_itself():
    """Identical slices: every word is its own nearest, rank 1, however many pairs are
    scored together (a matrix product can round the gold word's score a unit above the
    one it is compared with)."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(3000)]
    store = Embeddings(words, rng.normal(size=(3000, 50)).astype(np.float32))
    r = temporal_analogies(store, store, [(w, w) for w in words[:600]])
    assert r["n"] == 600 and r["MP@1"] == 1.0 and r["MRR"] == 1.0
