"""Tests of the word2vec trainers (wordlab.trainers): sampling tables, learning-rate
schedule, planted structure, determinism, resume, frozen weights, store contents,
bad input and the ``wordlab train`` command."""
from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from numba import njit

import wordlab
from wordlab import Corpus, Embeddings, WordlabError
from wordlab.trainers import EpochReport, Word2Vec, make_trainer, train
from wordlab.trainers._sampling import (alias_table, draw_noise, keep_probabilities, keep_thresholds,
                                     noise_distribution, thread_seeds)
from wordlab.trainers._word2vec_kernels import _subsample
from wordlab.trainers import stream
from wordlab.trainers.stream import chunk_cuts

TWO32 = float(1 << 32)
GROUP_A = [f"alpha{i:02d}" for i in range(20)]
GROUP_B = [f"beta{i:02d}" for i in range(20)]
FAST = dict(dim=16, epochs=5, window=5, sample=0, min_count=1, progress=False)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "cache"))
    # encodings of Python iterables go to tempfile.mkdtemp(): keep them inside tmp_path
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))


def planted_sentences(n_sentences: int = 2000, length: int = 10, seed: int = 0) -> list[list[str]]:
    """Sentences drawn from one of two disjoint groups of 20 words each."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_sentences):
        group = GROUP_A if rng.random() < 0.5 else GROUP_B
        out.append([group[i] for i in rng.integers(0, len(group), length)])
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The planted corpus, encoded once (min_count=1) to a directory of its own."""
    sentences = planted_sentences()
    encoded = Corpus(sentences).encode(min_count=1, out=tmp_path_factory.mktemp("planted") / "enc")
    return sentences, encoded


def group_of(word: str) -> str:
    return "A" if word.startswith("alpha") else "B"


def same_group_share(emb: Embeddings, topn: int = 5) -> float:
    table = emb.neighbors(emb.words, topn=topn)
    assert len(table) == topn * len(emb)
    return float(np.mean([group_of(q) == group_of(w) for q, w in zip(table["query"], table["word"])]))


def load_vectors(path: Path) -> np.ndarray:
    return np.array(np.load(path / "vectors.npy"))


# -- 1. subsampling ------------------------------------------------------------------------

def test_keep_probabilities_follow_the_formula():
    counts = np.array([100_000, 30_000, 5_000, 1_000, 200, 50, 7, 1], dtype=np.int64)
    total = counts.sum()
    for t in (1e-3, 1e-4, 1e-5):
        ratio = t / (counts / total)
        expected = np.minimum(1.0, np.sqrt(ratio) + ratio)
        got = keep_probabilities(counts, t)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1.0 / TWO32)
        thresholds = keep_thresholds(counts, t)
        assert thresholds.dtype == np.uint64
        np.testing.assert_array_equal(thresholds, np.round(expected * TWO32).astype(np.uint64))
        assert np.all(np.diff(got) >= 0)            # rarer words are kept more often
        assert got[-1] == 1.0                        # capped at 1
    assert got[0] < 0.05                             # t=1e-5 thins the most frequent word hard
    # sample=0 keeps every token
    assert np.all(keep_probabilities(counts, 0.0) == 1.0)
    assert np.all(keep_thresholds(counts, 0) == 1 << 32)


def test_subsample_kernel_keeps_the_expected_fraction():
    counts = np.array([200_000, 60_000, 20_000, 5_000, 500], dtype=np.int64)
    sample = 1e-3
    rng = np.random.default_rng(42)
    tokens = np.repeat(np.arange(counts.size, dtype=np.int32), counts)
    rng.shuffle(tokens)
    keep = keep_thresholds(counts, sample)
    p_keep = keep_probabilities(counts, sample)
    assert p_keep[0] < 0.2 and p_keep[-1] == 1.0
    buf = np.empty(tokens.size, dtype=np.int32)
    n_kept, state = _subsample(tokens, 0, tokens.size, keep, np.uint64(12345), buf)
    assert 0 < n_kept < tokens.size
    assert state != np.uint64(12345)
    kept = buf[:n_kept]
    # the kept tokens are the input in order with some removed (a subsequence)
    it = iter(tokens.tolist())
    assert all(any(x == y for y in it) for x in kept.tolist())
    kept_counts = np.bincount(kept, minlength=counts.size)
    for w in range(counts.size):
        mean = counts[w] * p_keep[w]
        sd = np.sqrt(counts[w] * p_keep[w] * (1 - p_keep[w]))
        if p_keep[w] == 1.0:
            assert kept_counts[w] == counts[w]
        else:
            assert abs(kept_counts[w] - mean) <= 5 * sd, (w, kept_counts[w], mean, sd)
    # sample=0: nothing dropped
    n_all, _ = _subsample(tokens, 10, 5000, keep_thresholds(counts, 0), np.uint64(1), buf)
    assert n_all == 4990
    np.testing.assert_array_equal(buf[:n_all], tokens[10:5000])


# -- 2. negative sampling ------------------------------------------------------------------

def alias_probabilities(accept: np.ndarray, alias: np.ndarray) -> np.ndarray:
    """The distribution an alias table samples from."""
    n = accept.shape[0]
    accept = accept.astype(np.float64)
    p = accept.copy()
    for j in range(n):
        if alias[j] != j:
            p[alias[j]] += 1.0 - accept[j]
    return p / n


@njit(cache=False)
def _draw_many(n_draws, seed, accept, alias):
    hist = np.zeros(accept.shape[0], dtype=np.int64)
    state = np.uint64(seed)
    for _ in range(n_draws):
        w, state = draw_noise(state, accept, alias)
        hist[w] += 1
    return hist


def test_alias_table_reproduces_the_noise_distribution_exactly():
    rng = np.random.default_rng(7)
    counts = np.concatenate([[50_000, 20_000, 9_000], rng.integers(1, 3_000, 60), [1, 1, 2]])
    target = counts.astype(np.float64) ** 0.75
    target /= target.sum()
    noise = noise_distribution(counts, 0.75)
    np.testing.assert_allclose(noise, target, rtol=1e-12)
    accept, alias = alias_table(noise)
    assert accept.shape == alias.shape == counts.shape
    assert np.all((accept >= 0) & (accept <= 1))
    assert np.all((alias >= 0) & (alias < counts.size))
    np.testing.assert_allclose(alias_probabilities(accept, alias), target, rtol=1e-5, atol=1e-9)
    # the exponent is configurable: 1 gives the unigram distribution, 0 the uniform one
    np.testing.assert_allclose(alias_probabilities(*alias_table(noise_distribution(counts, 1.0))),
                               counts / counts.sum(), rtol=1e-5, atol=1e-9)
    uniform = alias_probabilities(*alias_table(noise_distribution(counts, 0.0)))
    np.testing.assert_allclose(uniform, np.full(counts.size, 1 / counts.size), rtol=1e-6)
    with pytest.raises(ValueError):
        noise_distribution(np.zeros(3), 0.75)


@pytest.mark.parametrize("power", [0.75, 0.0])
def test_draw_noise_matches_the_distribution_empirically(power):
    counts = np.array([5_000, 2_000, 1_000, 600, 300, 100, 50, 20, 5, 1], dtype=np.int64)
    p = counts.astype(np.float64) ** power
    p /= p.sum()
    accept, alias = alias_table(noise_distribution(counts, power))
    n_draws = 1_000_000
    hist = _draw_many(n_draws, 987654321, accept, alias)
    assert hist.sum() == n_draws
    expected = n_draws * p
    chi2 = float(((hist - expected) ** 2 / expected).sum())
    df = counts.size - 1
    assert chi2 < df + 5 * np.sqrt(2 * df), (chi2, hist, expected)
    # and per word within 5 binomial standard deviations
    sd = np.sqrt(n_draws * p * (1 - p))
    assert np.all(np.abs(hist - expected) <= 5 * sd + 1)


def test_thread_seeds_depend_on_seed_epoch_and_thread():
    a = thread_seeds(1, 0, 4)
    assert a.dtype == np.uint64 and len(set(a.tolist())) == 4
    np.testing.assert_array_equal(a, thread_seeds(1, 0, 4))
    assert not np.array_equal(a, thread_seeds(1, 1, 4))
    assert not np.array_equal(a, thread_seeds(2, 0, 4))


def test_chunk_cuts_cover_the_corpus_in_whole_sentences():
    lengths = np.random.default_rng(3).integers(1, 30, 1000)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    cuts = chunk_cuts(offsets, 200)
    assert cuts[0] == 0 and cuts[-1] == 1000 and np.all(np.diff(cuts) > 0)
    sizes = offsets[cuts[1:]] - offsets[cuts[:-1]]
    assert np.all(sizes <= 200) and np.all(sizes[:-1] > 200 - 30)
    # a sentence longer than a chunk is a chunk of its own; no chunk for no sentences
    np.testing.assert_array_equal(chunk_cuts(np.array([0, 5, 900, 905]), 100), [0, 1, 2, 3])
    np.testing.assert_array_equal(chunk_cuts(np.array([0]), 100), [0])


def test_threads_take_the_chunks_in_turn_at_the_rate_of_their_position(tmp_path, monkeypatch):
    """Thread t trains chunks t, t + workers, ...: the threads move through the corpus side
    by side (gensim's order), each chunk once per epoch, at the learning rate of its place."""
    rng = np.random.default_rng(0)
    sentences = [[f"w{i}" for i in rng.integers(0, 50, 40)] for _ in range(300)]
    encoded = Corpus(sentences).encode(min_count=1, out=tmp_path / "enc")
    monkeypatch.setattr(stream, "_SUBCHUNK_TOKENS", 1000)
    cuts = chunk_cuts(np.asarray(encoded.offsets), 1000)
    calls = []

    def recording_kernel(self, tokens, local_offsets, n_sentences, alpha_start, alpha_end, state):
        calls.append((int(state), int(tokens[0]), n_sentences, alpha_start, alpha_end))
        return 0.0, 1, state     # the state unchanged: it names the thread

    monkeypatch.setattr(Word2Vec, "_kernel", recording_kernel)
    w = Word2Vec(dim=8, epochs=2, workers=3, min_count=1, progress=False)
    w.fit(encoded, tmp_path / "out")
    per_epoch = len(cuts) - 1
    assert per_epoch >= 9 and len(calls) == 2 * per_epoch
    offsets = np.asarray(encoded.offsets)
    total = offsets[-1]
    for epoch in range(2):
        # each chunk once, found by its size and its rate at its first token
        seen = sorted(calls[epoch * per_epoch:(epoch + 1) * per_epoch], key=lambda c: -c[3])
        seeds = thread_seeds(w.seed, epoch, 3)
        for c, (state, _, n_sentences, a0, a1) in enumerate(seen):
            assert state == seeds[c % 3]          # chunk c by thread c mod 3
            assert n_sentences == cuts[c + 1] - cuts[c]
            assert a0 == pytest.approx(w._alpha_at(epoch, offsets[cuts[c]] / total))
            assert a1 == pytest.approx(w._alpha_at(epoch, offsets[cuts[c + 1]] / total))


# -- 3. learning rate ------------------------------------------------------------------------

def test_learning_rate_decays_linearly_over_the_whole_run():
    w = Word2Vec(alpha=0.05, min_alpha=0.001, epochs=4)
    assert w._alpha_at(0, 0.0) == pytest.approx(0.05, abs=1e-12)
    assert w._alpha_at(3, 1.0) == pytest.approx(0.001, abs=1e-12)
    mean = (0.05 + 0.001) / 2
    assert w._alpha_at(2, 0.0) == pytest.approx(mean, abs=1e-12)
    assert w._alpha_at(1, 1.0) == pytest.approx(mean, abs=1e-12)
    assert w._alpha_at(1, 0.5) == pytest.approx(0.05 - 0.049 * 1.5 / 4, abs=1e-12)
    grid = [w._alpha_at(e, f) for e in range(4) for f in np.linspace(0, 1, 11)]
    assert all(a >= b for a, b in zip(grid, grid[1:]))
    # linear in global progress: second differences vanish
    xs = np.linspace(0, 1, 21)
    ys = np.array([w._alpha_at(0, x * 4) if x < 1 else w._alpha_at(3, 1.0) for x in xs])
    np.testing.assert_allclose(np.diff(ys, 2), 0, atol=1e-12)
    one = Word2Vec(alpha=0.025, min_alpha=0.0001, epochs=1)
    assert one._alpha_at(0, 0.5) == pytest.approx((0.025 + 0.0001) / 2)


# -- 4. / 11. planted structure ----------------------------------------------------------------

@pytest.mark.parametrize("method", ["sgns", "cbow"])
def test_planted_groups_are_recovered(planted, tmp_path, method):
    _, encoded = planted
    emb = train(encoded, method, tmp_path / "out", workers=1, **FAST)
    assert sorted(emb.words) == sorted(GROUP_A + GROUP_B)
    assert same_group_share(emb) >= 0.9
    # and on average a word is much closer to its own group than to the other
    u = np.asarray(emb.unit_vectors)
    sims = u @ u.T
    in_a = np.array([group_of(w) == "A" for w in emb.words])
    same = sims[np.equal.outer(in_a, in_a) & ~np.eye(len(in_a), dtype=bool)].mean()
    cross = sims[~np.equal.outer(in_a, in_a)].mean()
    assert same - cross > 0.3, (same, cross)


@pytest.mark.parametrize("method", ["sgns", "cbow"])
def test_hogwild_two_workers(planted, tmp_path, method):
    _, encoded = planted
    emb = train(encoded, method, tmp_path / "out", workers=2, **FAST)
    assert emb.meta["params"]["workers"] == 2
    vectors = np.asarray(emb.vectors)
    assert np.all(np.isfinite(vectors)) and np.all(np.isfinite(np.asarray(emb.context_vectors)))
    assert np.abs(vectors).max() > 0.05      # it has trained, not kept the +-0.5/dim start
    assert same_group_share(emb) >= 0.9
    losses = emb.meta["loss_history"]
    assert len(losses) == FAST["epochs"] and losses[-1] < losses[0]


# -- 5. reproducibility ----------------------------------------------------------------------

@pytest.mark.parametrize("method", ["sgns", "cbow"])
def test_single_worker_runs_are_bit_identical(planted, tmp_path, method):
    _, encoded = planted
    params = dict(FAST, epochs=2, sample=1e-2, workers=1)
    a = train(encoded, method, tmp_path / "a", seed=3, **params)
    b = train(encoded, method, tmp_path / "b", seed=3, **params)
    c = train(encoded, method, tmp_path / "c", seed=4, **params)
    assert np.array_equal(load_vectors(a.path), load_vectors(b.path))
    assert np.array_equal(np.asarray(a.context_vectors), np.asarray(b.context_vectors))
    assert a.meta["loss_history"] == b.meta["loss_history"]
    assert not np.array_equal(load_vectors(a.path), load_vectors(c.path))
    assert not np.array_equal(np.asarray(a.context_vectors), np.asarray(c.context_vectors))


# -- 6. resume -------------------------------------------------------------------------------

class Interrupt(Exception):
    pass


def test_resume_equals_an_uninterrupted_run(planted, tmp_path):
    _, encoded = planted
    params = dict(FAST, epochs=3, sample=1e-2, workers=1, seed=5)
    a = Word2Vec(method="sgns", **params).fit(encoded, tmp_path / "A")

    reports: list[EpochReport] = []

    def stop_after_first(report: EpochReport) -> None:
        reports.append(report)
        assert isinstance(report.embeddings(), Embeddings)
        if report.epoch == 1:
            raise Interrupt("stop")

    out = tmp_path / "B"
    with pytest.raises(Interrupt):
        Word2Vec(method="sgns", callbacks=[stop_after_first], **params).fit(encoded, out)
    assert len(reports) == 1
    r = reports[0]
    assert (r.epoch, r.epochs) == (1, 3)
    assert r.words == encoded.n_tokens and r.examples > 0 and np.isfinite(r.loss)
    assert r.loss == pytest.approx(r.loss_sum / r.examples)
    assert r.loss == a.meta["loss_history"][0]
    snapshot = r.embeddings()
    assert snapshot.words == encoded.vocab.words and snapshot.dim == params["dim"]

    assert not out.exists()
    work = tmp_path / ".B.training"
    assert work.is_dir()
    assert [p.name for p in (work / "checkpoints").iterdir()] == ["epoch-0001"]
    state = json.loads((work / "checkpoints" / "epoch-0001" / "state.json").read_text())
    assert state["epochs_done"] == 1 and len(state["history"]) == 1
    assert set(state["weights"]) == {"vectors", "context_vectors"}

    # resuming with other parameters is refused, and leaves the run intact
    with pytest.raises(WordlabError, match="differ"):
        Word2Vec(method="sgns", **dict(params, window=3)).fit(encoded, out, resume=True)
    with pytest.raises(WordlabError, match="differ"):
        Word2Vec(method="sgns", **dict(params, seed=6)).fit(encoded, out, resume=True)
    # starting again over an interrupted run without resume is refused
    with pytest.raises(WordlabError, match="resume"):
        Word2Vec(method="sgns", **params).fit(encoded, out)
    assert [p.name for p in (work / "checkpoints").iterdir()] == ["epoch-0001"]

    # a crash in the middle of epoch 2 leaves half-trained live weights: resume must
    # start from the checkpoint of epoch 1, not from them
    for name in ("vectors", "context_vectors"):
        live = np.load(work / f"{name}.npy", mmap_mode="r+")
        live[:] = 123.0
        live.flush()
        del live

    b = Word2Vec(method="sgns", **params).fit(encoded, out, resume=True)
    assert b.path == out and not work.exists()
    assert np.array_equal(load_vectors(a.path), load_vectors(out))
    assert np.array_equal(np.asarray(a.context_vectors), np.asarray(b.context_vectors))
    assert [h["epoch"] for h in b.meta["history"]] == [1, 2, 3]
    assert b.meta["loss_history"] == a.meta["loss_history"]


def test_interrupted_after_the_last_epoch_resumes_to_the_same_store(planted, tmp_path):
    _, encoded = planted
    params = dict(FAST, epochs=2, workers=1, seed=9)
    a = train(encoded, "cbow", tmp_path / "A", **params)

    def boom(report):
        if report.epoch == report.epochs:
            raise Interrupt

    with pytest.raises(Interrupt):
        Word2Vec(method="cbow", callbacks=[boom], **params).fit(encoded, tmp_path / "B")
    assert not (tmp_path / "B").exists()
    b = Word2Vec(method="cbow", **params).fit(encoded, tmp_path / "B", resume=True)
    assert np.array_equal(load_vectors(a.path), load_vectors(b.path))
    assert b.meta["loss_history"] == a.meta["loss_history"]


def test_resume_without_an_interrupted_run_starts_afresh(planted, tmp_path, capsys):
    _, encoded = planted
    params = dict(FAST, epochs=1, workers=1)
    a = train(encoded, "sgns", tmp_path / "A", **params)
    b = train(encoded, "sgns", tmp_path / "B", resume=True, **params)
    assert "nothing to resume" in capsys.readouterr().err
    assert np.array_equal(load_vectors(a.path), load_vectors(b.path))


def test_the_command_line_writes_where_the_api_does(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from wordlab.cli.main import cli
    text = tmp_path / "c.txt"
    text.write_text("\n".join(" ".join(s) for s in planted_sentences(300)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["train", str(text), "--epochs", "1", "--dim", "8", "--min-count", "1",
                                 "--workers", "1", "--no-progress"])
    assert r.exit_code == 0, r.output
    (made,) = (tmp_path / "cache" / "runs").iterdir()
    assert made.name.startswith("sgns-") and f"store:   {made}" in r.output
    assert not (tmp_path / "runs").exists()              # one default location, not the working directory


def test_default_output_goes_under_the_cache(planted, tmp_path):
    _, encoded = planted
    emb = train(encoded, "sgns", **dict(FAST, epochs=1, workers=1))
    assert emb.path.parent == tmp_path / "cache" / "runs"
    assert emb.path.name.startswith("sgns-")
    second = train(encoded, "sgns", **dict(FAST, epochs=1, workers=1))
    assert second.path != emb.path and second.path.parent == emb.path.parent


def test_overwrite_discards_an_interrupted_run(planted, tmp_path):
    _, encoded = planted
    params = dict(FAST, epochs=2, workers=1)

    def boom(report):
        raise Interrupt

    with pytest.raises(Interrupt):
        Word2Vec(callbacks=[boom], **params).fit(encoded, tmp_path / "o")
    assert (tmp_path / ".o.training").is_dir()
    emb = Word2Vec(**params).fit(encoded, tmp_path / "o", overwrite=True)
    assert len(emb.meta["history"]) == 2
    assert not (tmp_path / ".o.training").exists()


# -- 7. frozen weights and initial matrices ----------------------------------------------------

@pytest.mark.parametrize("method", ["sgns", "cbow"])
def test_frozen_context_matrix(planted, tmp_path, method):
    _, encoded = planted
    n, dim = len(encoded.vocab), FAST["dim"]
    rng = np.random.default_rng(11)
    init_context = rng.normal(size=(n, dim)).astype(np.float32)
    init_vectors = (rng.random((n, dim), dtype=np.float32) - 0.5) / dim
    emb = train(encoded, method, tmp_path / "out", workers=1, init_vectors=init_vectors,
                init_context=init_context, freeze_context=True, **dict(FAST, epochs=2))
    assert np.array_equal(np.asarray(emb.context_vectors), init_context)
    vectors = load_vectors(emb.path)
    assert np.all(np.any(vectors != init_vectors, axis=1))
    assert emb.meta["options"]["freeze_context"] is True
    # without freezing, the same start moves the context matrix
    free = train(encoded, method, tmp_path / "free", workers=1, init_vectors=init_vectors,
                 init_context=init_context, **dict(FAST, epochs=2))
    assert not np.array_equal(np.asarray(free.context_vectors), init_context)


@pytest.mark.parametrize("method", ["sgns", "cbow"])
def test_frozen_words_keep_their_vectors(planted, tmp_path, method):
    _, encoded = planted
    n, dim = len(encoded.vocab), FAST["dim"]
    init_vectors = (np.random.default_rng(12).random((n, dim), dtype=np.float32) - 0.5) / dim
    frozen = ["alpha00", "alpha07", "beta13", "not-a-word"]
    emb = train(encoded, method, tmp_path / "out", workers=1, init_vectors=init_vectors,
                frozen_words=frozen, **dict(FAST, epochs=2))
    vectors = load_vectors(emb.path)
    words = emb.words
    for i, w in enumerate(words):
        if w in frozen:
            assert np.array_equal(vectors[i], init_vectors[i]), w
        else:
            assert np.any(vectors[i] != init_vectors[i]), w
    assert emb.meta["options"]["frozen_words"] == sorted(set(frozen))


def test_init_vectors_from_a_store_are_matched_by_word(planted, tmp_path):
    _, encoded = planted
    dim = FAST["dim"]
    # alpha so small that no update changes a float32 vector: the output is the start
    still = dict(FAST, epochs=1, alpha=1e-30, min_alpha=0.0, workers=1)
    baseline = load_vectors(train(encoded, "sgns", tmp_path / "base", **still).path)
    source_words = ["beta03", "unseen-word", "alpha00", "alpha19"]
    source = Embeddings(source_words, np.arange(4 * dim, dtype=np.float32).reshape(4, dim) / 100)
    stored = source.save(tmp_path / "init-store")
    for init in (source, wordlab.load(stored)):
        out = tmp_path / f"run-{init.path is not None}"
        emb = train(encoded, "sgns", out, init_vectors=init, **still)
        vectors = load_vectors(emb.path)
        for i, w in enumerate(emb.words):
            if w in source:
                assert np.array_equal(vectors[i], source[w]), w
            else:
                assert np.array_equal(vectors[i], baseline[i]), w
    # a store of another dimension, or an array of the wrong shape, is refused
    with pytest.raises(WordlabError, match="dimension"):
        train(encoded, "sgns", tmp_path / "bad1", init_vectors=Embeddings(["alpha00"], np.ones((1, 3))),
              **still)
    with pytest.raises(WordlabError, match="shape"):
        train(encoded, "sgns", tmp_path / "bad2", init_context=np.ones((3, dim)), **still)


# -- 8. store contents ----------------------------------------------------------------------

def test_store_contents(planted, tmp_path):
    sentences, encoded = planted
    out = tmp_path / "store"
    emb = train(encoded, "cbow", out, workers=1, negative=4, **FAST)
    assert isinstance(emb, Embeddings) and emb.path == out
    for name in ("vectors.npy", "vocab.tsv", "context_vectors.npy", "meta.json"):
        assert (out / name).is_file(), name
    assert not (out / "state.json").exists() and not (out / "checkpoint").exists()
    assert not (tmp_path / ".store.training").exists()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())

    counts = Counter(w for s in sentences for w in s)
    lines = (out / "vocab.tsv").read_text(encoding="utf-8").splitlines()
    vocab = [(w, int(c)) for w, c in (line.split("\t") for line in lines)]
    assert dict(vocab) == dict(counts)
    assert [c for _, c in vocab] == sorted(counts.values(), reverse=True)
    assert emb.words == [w for w, _ in vocab]

    vectors = np.load(out / "vectors.npy")
    context = np.load(out / "context_vectors.npy")
    assert vectors.dtype == context.dtype == np.float32
    assert vectors.shape == context.shape == (len(counts), FAST["dim"])
    assert np.all(np.isfinite(vectors)) and np.all(np.isfinite(context))

    meta = json.loads((out / "meta.json").read_text())
    assert meta["method"] == "cbow" and meta["dim"] == FAST["dim"]
    params = meta["params"]
    assert params["dim"] == FAST["dim"] and params["window"] == 5 and params["negative"] == 4
    assert params["epochs"] == FAST["epochs"] and params["sample"] == 0 and params["min_count"] == 1
    assert params["method"] == "cbow" and "callbacks" not in params and "progress" not in params
    losses = meta["loss_history"]
    assert len(losses) == FAST["epochs"]
    assert all(isinstance(x, float) and np.isfinite(x) and x > 0 for x in losses)
    assert losses[-1] < losses[0]
    assert [h["loss"] for h in meta["history"]] == losses
    assert all(h["words"] == encoded.n_tokens and h["examples"] > 0 for h in meta["history"])
    assert meta["training_seconds"] >= 0
    assert meta["words_per_second"] is None or meta["words_per_second"] > 0
    assert meta["vocab_size"] == len(counts) and meta["n_tokens"] == sum(counts.values())
    # CBOW: one example per centre word that has a context (every word here)
    assert all(h["examples"] == encoded.n_tokens for h in meta["history"])


def test_sgns_examples_count_the_window_pairs(tmp_path):
    # with window=1 and no subsampling every token pairs with its immediate neighbours
    sentences = [["a", "b", "c", "d"], ["c", "a"], ["d"]]
    emb = train(sentences, "sgns", tmp_path / "o", dim=4, window=1, epochs=1, sample=0, min_count=1,
                workers=1, progress=False)
    assert emb.meta["history"][0]["examples"] == 2 * 3 + 2 * 1
    assert emb.meta["history"][0]["words"] == 7


# -- 9. bad input -----------------------------------------------------------------------------

def test_bad_input_raises_wordlab_errors(planted, tmp_path):
    _, encoded = planted
    with pytest.raises(WordlabError, match="empty"):
        train([], "sgns", tmp_path / "e1", **FAST)
    with pytest.raises(WordlabError, match="min_count=50"):
        train([["a", "b"], ["a"]], "sgns", tmp_path / "e2", **dict(FAST, min_count=50))
    with pytest.raises(WordlabError, match="dim"):
        train(encoded, "sgns", tmp_path / "e3", **dict(FAST, dim=0))
    with pytest.raises(WordlabError, match="window"):
        train(encoded, "sgns", tmp_path / "e4", **dict(FAST, window=0))
    with pytest.raises(WordlabError, match="epochs"):
        train(encoded, "sgns", tmp_path / "e5", **dict(FAST, epochs=0))
    with pytest.raises(WordlabError, match="method"):
        Word2Vec(method="glove", **FAST).fit(encoded, tmp_path / "e6")
    with pytest.raises(WordlabError, match="negative"):
        train(encoded, "sgns", tmp_path / "e7", **dict(FAST, negative=0))
    with pytest.raises(WordlabError, match="alpha"):
        train(encoded, "sgns", tmp_path / "e8", **dict(FAST, alpha=0.0))
    with pytest.raises(WordlabError, match="min_alpha"):
        train(encoded, "sgns", tmp_path / "e9", **dict(FAST, alpha=0.01, min_alpha=0.02))
    with pytest.raises(WordlabError, match="sample"):
        train(encoded, "sgns", tmp_path / "e10", **dict(FAST, sample=-1.0))
    with pytest.raises(WordlabError, match="workers"):
        train(encoded, "sgns", tmp_path / "e11", **dict(FAST, workers=0))
    with pytest.raises(ValueError, match="unknown method"):
        make_trainer("no-such-method")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("e")) == []
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_existing_output_is_refused_unless_overwrite(planted, tmp_path):
    _, encoded = planted
    params = dict(FAST, epochs=1, workers=1)
    out = tmp_path / "out"
    first = load_vectors(train(encoded, "sgns", out, seed=1, **params).path)
    (out / "marker.txt").write_text("old run")
    with pytest.raises(WordlabError, match="overwrite"):
        train(encoded, "sgns", out, seed=2, **params)
    assert (out / "marker.txt").exists()
    assert np.array_equal(load_vectors(out), first)
    # an existing directory that is not a store is refused too
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(WordlabError, match="already exists"):
        train(encoded, "sgns", other, **params)

    emb = train(encoded, "sgns", out, seed=2, overwrite=True, **params)
    assert emb.meta["params"]["seed"] == 2
    assert not (out / "marker.txt").exists()
    assert not np.array_equal(load_vectors(out), first)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in ("cache", "scratch")) == ["other", "out"]


# -- 10. the command line -------------------------------------------------------------------

def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error:")]


def test_cli_train_on_the_default_corpus(tmp_path):
    from wordlab.cli.main import cli
    runner = CliRunner()
    out = tmp_path / "run"
    args = ["train", "--epochs", "1", "--dim", "20", "--workers", "2", "-o", str(out), "--no-progress"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "words/s" in result.output
    assert result.output.count(" -> ") >= 1
    emb = wordlab.load(out)
    assert len(emb) > 5000 and emb.dim == 20
    assert emb.meta["method"] == "sgns" and len(emb.meta["loss_history"]) == 1
    assert np.all(np.isfinite(np.asarray(emb.vectors)))

    again = runner.invoke(cli, args)
    assert again.exit_code == 1
    errors = error_lines(again.output)
    assert len(errors) == 1 and "overwrite" in errors[0]
    assert "Traceback" not in again.output


def test_cli_train_bad_arguments(tmp_path):
    from wordlab.cli.main import cli
    runner = CliRunner()
    result = runner.invoke(cli, ["train", "--dim", "0", "-o", str(tmp_path / "x"), "--no-progress"])
    assert result.exit_code != 0
    errors = error_lines(result.output)
    assert len(errors) == 1 and "dim" in errors[0]
    assert not (tmp_path / "x").exists()

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"hello world\n" + bytes(np.random.default_rng(0).integers(128, 256, 300, dtype=np.uint8))
                    + b"\nmore text\n")
    result = runner.invoke(cli, ["train", str(bad), "--min-count", "1", "--epochs", "1", "--dim", "8",
                                 "-o", str(tmp_path / "y"), "--no-progress"])
    assert result.exit_code == 1
    errors = error_lines(result.output)
    assert len(errors) == 1 and "bad.txt" in errors[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "y").exists()


def test_cli_train_small_file(tmp_path):
    from wordlab.cli.main import cli
    corpus = tmp_path / "planted.txt"
    corpus.write_text("\n".join(" ".join(s) for s in planted_sentences(500)) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["train", str(corpus), "--method", "cbow", "--min-count", "1",
                                      "--epochs", "2", "--dim", "8", "--workers", "1", "--sample", "0",
                                      "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "words/s" in result.output
    emb = wordlab.load(out)
    assert sorted(emb.words) == sorted(GROUP_A + GROUP_B)
    assert emb.meta["method"] == "cbow" and len(emb.meta["loss_history"]) == 2


def test_cli_train_refuses_a_corpus_without_frequent_words(tmp_path):
    from wordlab.cli.main import cli
    corpus = tmp_path / "rare.txt"
    corpus.write_text("every word here occurs once only\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["train", str(corpus), "-o", str(tmp_path / "run"), "--no-progress"])
    assert result.exit_code == 1
    errors = error_lines(result.output)
    assert len(errors) == 1 and "min-count" in errors[0]
    assert not (tmp_path / "run").exists()
    resume = CliRunner().invoke(cli, ["train", str(corpus), "--resume", "--no-progress"])
    assert resume.exit_code == 2 and "--out" in resume.output


def test_the_checkpoint_schedule():
    from wordlab.trainers.run import CheckpointSchedule
    small = {"vectors": ((1000, 100), None)}
    big = {"vectors": ((1000, 100), None), "ngram_vectors": ((2_000_000, 100), None)}     # 800 MB
    s = CheckpointSchedule(None, small)
    assert s.every_epoch and s.initial(False) and all(s.due(0.01, last=False) for _ in range(3))
    s = CheckpointSchedule(None, big)                  # auto: train 10x as long as a write takes
    assert not s.every_epoch and not s.initial(False) and s.initial(True)
    s.wrote(3.0)
    assert [s.due(8.0, last=False) for _ in range(4)] == [False, False, False, True]
    s.wrote(3.0)
    assert not s.due(8.0, last=False) and s.due(1.0, last=True)
    s = CheckpointSchedule(0, big)                     # 0: every epoch, whatever the size
    assert s.every_epoch and s.due(0.0, last=False)
    s = CheckpointSchedule(60, small)                  # seconds: explicit, even for small weights
    assert not s.every_epoch and not s.due(59.0, last=False) and s.due(1.0, last=False)
    for bad in (-1, float("nan"), float("inf"), True, "5"):
        with pytest.raises(wordlab.errors.ParameterError, match="checkpoint_interval"):
            CheckpointSchedule.check(bad)
    assert CheckpointSchedule.check(None) is None and CheckpointSchedule.check(2.5) == 2.5
