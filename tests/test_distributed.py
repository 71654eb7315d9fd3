"""Encoding, co-occurrence counting and PU-learning on a Dask cluster: the results equal
the single-machine ones bit for bit, on a real LocalCluster of worker processes and on
`dask scheduler` / `dask worker` processes; a worker killed mid-task changes nothing.

The planning and the partition reader are also checked in this process, with an
executor that runs the tasks here (fast, and for many random texts)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import wordlab
from _helpers import zipf_sentences
from wordlab.cooccur import count_cooccurrences
from wordlab.corpus.encode_distributed import write_encoded_distributed
from wordlab.corpus.partitions import find_cut, plan_partitions, sentence_bounds, worth_inflating
from wordlab.distributed import ClusterError, DaskExecutor, session
from wordlab.errors import ParameterError
from wordlab.trainers import PULearning

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'wordlab[dask]')")


class HereExecutor:
    """The executor protocol with the map run here: the distributed code paths, in one process."""
    name = "here"
    distributed = True
    task_threads = 1
    concurrent_tasks = 3

    def map(self, fn, tasks):
        return map(fn, list(tasks))

    def check_paths(self, read=(), write=()):
        pass


def _same_encoding(a, b):
    np.testing.assert_array_equal(np.asarray(a.tokens), np.asarray(b.tokens))
    np.testing.assert_array_equal(np.asarray(a.offsets), np.asarray(b.offsets))
    assert a.vocab.words == b.vocab.words
    np.testing.assert_array_equal(a.vocab.counts, b.vocab.counts)
    strip = ("encode_seconds", "distributed", "token_shards")
    assert {k: v for k, v in a.meta.items() if k not in strip} == {k: v for k, v in b.meta.items() if k not in strip}


def _same_matrix(a, b):
    for f in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(np.asarray(getattr(a, f)), np.asarray(getattr(b, f)))


def _write_text(path: Path, sentences, *, one_line=False, blank_every=0, punct_every=0) -> Path:
    lines = []
    for i, s in enumerate(sentences):
        line = " ".join(s)
        if punct_every and i % punct_every == 0:
            line += ". 3.5 Next!"
        lines.append(line)
        if blank_every and i % blank_every == 0:
            lines.append("   ")
    path.write_text((" " if one_line else "\n").join(lines) + ("" if one_line else "\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    d = tmp_path_factory.mktemp("texts")
    sents = zipf_sentences(n=6000, vocab=3000, exponent=1.2)
    return {"one_line": _write_text(d / "one.txt", sents, one_line=True),
            "lines": _write_text(d / "lines.txt", sents[:3000], blank_every=7, punct_every=5),
            "more": _write_text(d / "more.txt", sents[3000:])}


@pytest.fixture(scope="module")
def cluster():
    with session("local:2") as client:
        yield client


# -- planning and reading partitions (this process) -------------------------------------------------
def test_cuts_fall_after_a_newline_or_after_the_whitespace_that_ends_a_word(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes(b"aaa bbb\nccc  ddd eee")
    with open(p, "rb") as fh:
        assert find_cut(fh, 1, 20) == (8, False)                 # the newline within reach
        assert find_cut(fh, 9, 20, search=2) == (12, True)       # "ccc " then the cut; the second space is no word end
        assert find_cut(fh, 17, 20) is None                      # "eee" runs to the end
    parts = plan_partitions([p], "utf-8", 5)
    assert [(q.start, q.stop) for q in parts] == [(0, 8), (8, 17), (17, 20)]
    assert b"".join(p.read_bytes()[q.start:q.stop] for q in parts) == p.read_bytes()
    assert [q.whole for q in plan_partitions([p], "utf-16", 5)] == [True]     # not ASCII-compatible: whole


def test_sentence_bounds_join_partitions_and_cut_long_sentences():
    # partition 0: tokens 0-9, a sentence ends at 4, the rest stays open; partition 1: 6 tokens,
    # the open sentence ends after 2 of them, then one of 4 (cut into 3 + 1 at max 3)
    assert sentence_bounds([10, 6], [np.array([4]), np.array([2, 6])], 3).tolist() == [0, 3, 4, 7, 10, 12, 15, 16]
    assert sentence_bounds([0, 0], [np.array([], np.int64), np.array([0])], 5).tolist() == [0]


@pytest.mark.parametrize("kind,kw", [("one_line", {}), ("lines", {"paragraphs": True}),
                                     ("lines", {"sentence_split": True}), ("one_line", {"max_sentence_length": 97}),
                                     ("lines", {"errors": "replace"})])
def test_partitioned_encoding_equals_the_single_machine_one(texts, tmp_path, kind, kw):
    corpus = wordlab.Corpus([texts[kind], texts["more"]], **kw)
    one = corpus.encode(min_count=2, out=tmp_path / "one", progress=False)
    meta = {"source": corpus.fingerprint(), "settings": {"min_count": 2, "max_size": None, "vocab": None}}
    for size in (1 << 20, 8192):
        many = write_encoded_distributed(corpus, HereExecutor(), tmp_path / f"many-{size}", 2, None, None, meta,
                                         dict(overwrite=False, kinds=None), partition_bytes=size)
        assert many.meta["distributed"]["partitions"] > (1 if size > 1 << 19 else 20)
        _same_encoding(one, many)
        # the partitions' token files are the corpus's shards, in place: nothing else is left
        shards = [s["file"] for s in many.meta["token_shards"]]
        assert len(shards) > 1 and len(many.token_shards.names) == len(shards)
        assert sorted(p.name for p in many.path.iterdir()) == sorted(
            [p.name for p in one.path.iterdir() if p.name != "tokens.npy"] + shards)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", [1 << 20, 97])
def test_a_file_of_tens_of_mb_in_partitions_with_any_read_buffer(tmp_path, monkeypatch, chunk):
    """A 24 MB text8-style line plus a hard-wrapped file, cut into ~3 MB partitions and read
    with a 1 MiB or a 97-byte buffer: the encoding of one pass, and the matrix of one pass."""
    import wordlab.corpus.partitions as partitions
    rng = np.random.default_rng(5)
    words = np.array([f"w{i}" for i in range(40_000)])
    ids = np.minimum(rng.zipf(1.15, size=5_000_000), 40_000) - 1
    one_line = tmp_path / "one.txt"
    one_line.write_text(" ".join(words[ids]), encoding="utf-8")
    wrapped = tmp_path / "wrapped.txt"
    lines = [" ".join(words[ids[a:a + 9]]) + ("\n" if a % 7 else "\n\n") for a in range(0, 600_000, 9)]
    wrapped.write_text("".join(lines), encoding="utf-8")
    assert one_line.stat().st_size > 20_000_000
    corpus = wordlab.Corpus([one_line, wrapped], paragraphs=True)
    one = corpus.encode(min_count=2, out=tmp_path / "one", progress=False)
    monkeypatch.setattr(partitions, "READ_CHUNK_BYTES", chunk)
    meta = {"source": corpus.fingerprint(), "settings": {"min_count": 2, "max_size": None, "vocab": None}}
    many = write_encoded_distributed(corpus, HereExecutor(), tmp_path / "many", 2, None, None, meta,
                                     dict(overwrite=False, kinds=None), partition_bytes=3 << 20)
    assert many.meta["distributed"]["partitions"] >= 9
    _same_encoding(one, many)
    if chunk > 1000:          # the counting paths do not read text: once is enough
        import gzip           # the same 24 MB line compressed: decompressed by a task, then cut
        packed = tmp_path / "one.txt.gz"
        with open(one_line, "rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
            dst.write(src.read())
        gz_corpus = wordlab.Corpus([packed])
        gz_meta = {"source": gz_corpus.fingerprint(), "settings": meta["settings"]}
        gz_many = write_encoded_distributed(gz_corpus, HereExecutor(), tmp_path / "gz-many", 2, None, None, gz_meta,
                                            dict(overwrite=False, kinds=None), partition_bytes=3 << 20)
        assert gz_many.meta["distributed"]["decompressed_inputs"] == 1
        assert gz_many.meta["distributed"]["partitions"] >= 7
        _same_encoding(gz_corpus.encode(min_count=2, out=tmp_path / "gz-one", progress=False), gz_many)
        limit = 1 << 26       # several segments on one machine
        m_one = count_cooccurrences(one, window=5, memory_limit=limit, cache=False, progress=False)
        m_rows = count_cooccurrences(many, window=5, memory_limit=limit, cache=False, progress=False,
                                     executor=HereExecutor())       # from the shards, in place
        assert m_one.meta["segments"] > 1 and len(many.meta["token_shards"]) >= 9
        _same_matrix(m_one, m_rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab cé\n\n\t.3!  ")), min_size=0, max_size=300),
       size=st.integers(1, 40), paragraphs=st.booleans(), split=st.booleans())
def test_any_text_cut_anywhere_encodes_as_one_pass(tmp_path_factory, text, size, paragraphs, split):
    d = tmp_path_factory.mktemp("h")
    p = d / "t.txt"
    p.write_text(text, encoding="utf-8")
    corpus = wordlab.Corpus([p], paragraphs=paragraphs, sentence_split=split, max_sentence_length=3)
    one = corpus.encode(min_count=1, out=d / "one", progress=False)
    meta = {"source": corpus.fingerprint(), "settings": {"min_count": 1, "max_size": None, "vocab": None}}
    many = write_encoded_distributed(corpus, HereExecutor(), d / "many", 1, None, None, meta,
                                     dict(overwrite=False, kinds=None), partition_bytes=size)
    _same_encoding(one, many)


@pytest.mark.parametrize("kw", [dict(window=4), dict(window=3, subsample=1e-3), dict(window=5, direction="left",
                                dynamic_window=True), dict(window=2, weighting="none")])
def test_row_range_counting_equals_the_segment_map_bit_for_bit(tmp_path, kw):
    encoded = wordlab.Corpus(zipf_sentences(n=4000, vocab=800, exponent=1.2)).encode(min_count=2, progress=False)
    for limit in (1 << 30, 1 << 17):         # one segment, and many (partial sums rounded, then merged)
        one = count_cooccurrences(encoded, memory_limit=limit, cache=False, progress=False, **kw)
        rows = count_cooccurrences(encoded, memory_limit=limit, cache=False, progress=False, executor=HereExecutor(),
                                   **kw)
        assert rows.meta["row_tasks"] >= 9 and rows.meta["segments"] == one.meta["segments"]
        _same_matrix(one, rows)


def test_a_large_compressed_file_is_decompressed_once_then_cut(texts, tmp_path):
    """A compressed stream can only be read from its start: a large one is decompressed by
    one task into a plain copy beside the output, cut into byte ranges, and removed; the
    errors still name the compressed file, as on one machine."""
    import gzip
    from wordlab.errors import InputFormatError
    policy = dict(overwrite=False, kinds=None)
    big = tmp_path / "big.txt.gz"
    with gzip.open(big, "wb") as fh:
        fh.write(texts["one_line"].read_bytes() + b"\n" + texts["lines"].read_bytes())
    corpus = wordlab.Corpus([big, texts["more"]], paragraphs=True)
    one = corpus.encode(min_count=2, out=tmp_path / "one", progress=False)
    meta = {"source": corpus.fingerprint(), "settings": {"min_count": 2, "max_size": None, "vocab": None}}
    many = write_encoded_distributed(corpus, HereExecutor(), tmp_path / "many", 2, None, None, meta, policy,
                                     partition_bytes=8192)
    assert many.meta["distributed"]["decompressed_inputs"] == 1 and many.meta["distributed"]["partitions"] > 20
    _same_encoding(one, many)
    assert not (many.path / "inflated").exists() and not (many.path / "shards").exists()

    rng = np.random.default_rng(1)
    noise = lambda n: "\n".join(" ".join(f"{x:x}" for x in rng.integers(0, 1 << 30, 9)) for _ in range(n)).encode()  # noqa: E731
    bad = tmp_path / "bad.txt.gz"
    with gzip.open(bad, "wb") as fh:
        fh.write(noise(2000) + b"\nok \xff\xfe bad\n" + noise(2000))
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(big.read_bytes()[:big.stat().st_size // 2])
    for damaged, whole in ((bad, True), (cut, False)):
        assert worth_inflating(damaged, "utf-8", 4096)
        with pytest.raises(InputFormatError) as single:
            wordlab.Corpus([damaged]).encode(min_count=1, out=tmp_path / f"{damaged.name}-one", progress=False)
        with pytest.raises(InputFormatError) as spread:
            write_encoded_distributed(wordlab.Corpus([damaged]), HereExecutor(), tmp_path / f"{damaged.name}-many",
                                      1, None, None, {}, policy, partition_bytes=4096)
        assert str(spread.value).startswith(f"{damaged}: ") and "\n" not in str(spread.value)
        # the same message (for a truncated stream, its offsets depend on the reads' sizes)
        head = (lambda m: m) if whole else (lambda m: m.split(" (")[0])
        assert head(str(spread.value)) == head(str(single.value))
        assert not (tmp_path / f"{damaged.name}-many").exists()


def test_a_sharded_corpus_reads_counts_and_trains_as_one_tokens_file(texts, tmp_path):
    """Shards of ~1,500 tokens under sentences of 10,000: most sentences span several
    shards. Every reader (slices, read_tokens, both counting maps, a trainer) sees the
    one-file corpus."""
    corpus = wordlab.Corpus([texts["one_line"], texts["more"]])
    one = corpus.encode(min_count=2, out=tmp_path / "one", progress=False)
    meta = {"source": corpus.fingerprint(), "settings": {"min_count": 2, "max_size": None, "vocab": None}}
    many = write_encoded_distributed(corpus, HereExecutor(), tmp_path / "many", 2, None, None, meta,
                                     dict(overwrite=False, kinds=None), partition_bytes=8192)
    shards = many.token_shards
    tokens = np.asarray(one.tokens)
    starts, at, crossing = shards.crossing_sentences(np.asarray(many.offsets))
    offsets = np.asarray(one.offsets)
    ends = offsets[np.searchsorted(offsets, starts) + 1]
    assert len(shards.names) > 20 and len(starts) >= 5 and crossing.shape[0] == int((ends - starts).sum())
    for lo, hi, a in zip(starts.tolist(), ends.tolist(), at.tolist()):   # each sentence spanning shards, whole
        assert any(lo < b < hi for b in shards.bases.tolist())
        np.testing.assert_array_equal(crossing[a:a + hi - lo], tokens[lo:hi])
    rng = np.random.default_rng(0)
    for a, b in rng.integers(0, tokens.shape[0], size=(200, 2)):
        a, b = sorted((int(a), int(b)))
        np.testing.assert_array_equal(many.read_tokens(a, b), tokens[a:b])
        np.testing.assert_array_equal(many.tokens[a:b], tokens[a:b])
        assert many.tokens[a] == tokens[a] and many.tokens[-b - 1] == tokens[-b - 1]
    np.testing.assert_array_equal(many.tokens[5:900:7], tokens[5:900:7])
    np.testing.assert_array_equal(many.sentence(3), one.sentence(3))
    with pytest.raises(IndexError):
        many.read_tokens(0, tokens.shape[0] + 1)

    for kw in (dict(window=4), dict(window=3, subsample=1e-3), dict(window=5, direction="left")):
        for limit in (1 << 30, 1 << 18):
            ref = count_cooccurrences(one, memory_limit=limit, cache=False, progress=False, **kw)
            _same_matrix(ref, count_cooccurrences(many, memory_limit=limit, cache=False, progress=False, **kw))
            _same_matrix(ref, count_cooccurrences(many, memory_limit=limit, cache=False, progress=False,
                                                  executor=HereExecutor(), **kw))
    fit = dict(method="sgns", dim=16, epochs=1, window=3, workers=1, seed=3, progress=False)
    a = wordlab.train(one, out=tmp_path / "v1", **fit)
    b = wordlab.train(many, out=tmp_path / "v2", **fit)
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))


def test_more_shards_than_the_soft_limit_on_open_files(texts, tmp_path):
    """A corpus holds one descriptor per shard: opening one of ~600 shards under a soft
    limit of 256 raises the limit (toward the hard one) instead of failing."""
    import resource
    corpus = wordlab.Corpus([texts["lines"]])
    meta = {"source": corpus.fingerprint(), "settings": {"min_count": 1, "max_size": None, "vocab": None}}
    many = write_encoded_distributed(corpus, HereExecutor(), tmp_path / "many", 1, None, None, meta,
                                     dict(overwrite=False, kinds=None), partition_bytes=200)
    n = len(many.meta["token_shards"])
    tokens = np.asarray(many.tokens)
    del many
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 512:
        pytest.skip(f"the hard limit on open files ({hard}) is below what the test needs")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        again = wordlab.corpus.EncodedCorpus(tmp_path / "many")
        assert n > 500 and resource.getrlimit(resource.RLIMIT_NOFILE)[0] > n
        np.testing.assert_array_equal(again.read_tokens(0, again.n_tokens), tokens)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]), hard))


@pytest.mark.parametrize("damage", ["missing", "short", "outside", "sizes"])
def test_a_damaged_sharded_corpus_is_refused_in_one_line(texts, tmp_path, damage):
    import json
    corpus = wordlab.Corpus([texts["lines"]])
    meta = {"source": corpus.fingerprint(), "settings": {"min_count": 2, "max_size": None, "vocab": None}}
    many = write_encoded_distributed(corpus, HereExecutor(), tmp_path / "many", 2, None, None, meta,
                                     dict(overwrite=False, kinds=None), partition_bytes=8192)
    path, info = many.path, dict(many.meta)
    del many
    second = path / info["token_shards"][1]["file"]
    if damage == "missing":
        second.unlink()
    elif damage == "short":
        wordlab.npyio.save_npy(second, np.zeros(3, np.int32))
    else:
        info["token_shards"][1]["file"] = "../elsewhere.npy" if damage == "outside" else info["token_shards"][1]["file"]
        if damage == "sizes":
            info["token_shards"][1]["n_tokens"] += 1
        (path / "meta.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(wordlab.errors.StoreError, match="is not a complete encoded corpus") as e:
        wordlab.corpus.EncodedCorpus(path)
    assert "\n" not in str(e.value)


class _Stop(Exception):
    pass


@pytest.mark.parametrize("freeze", [False, True])
def test_pu_block_tasks_equal_one_machine_and_resume_from_a_checkpoint(texts, tmp_path, monkeypatch, freeze):
    """PU-learning's half-iterations as block tasks (here, in this process): the vectors of
    one machine bit for bit, the objective to rounding; interrupted after two iterations
    and resumed (from the checkpointed residuals), the same again."""
    import wordlab.distributed
    monkeypatch.setattr(wordlab.distributed, "DaskExecutor", lambda client: HereExecutor())
    encoded = wordlab.Corpus([texts["lines"]]).encode(min_count=2, out=tmp_path / "enc", progress=False)
    fit = dict(freeze_context=freeze, checkpoint_interval=0)
    params = dict(dim=8, epochs=4, window=3, progress=False)
    a = PULearning(**params).fit(encoded, tmp_path / "one", **fit)

    def stop(report):
        if report.epoch == 2:
            raise _Stop
    with pytest.raises(_Stop):
        PULearning(**params, client=object(), callbacks=[stop]).fit(encoded, tmp_path / "many", **fit)
    b = PULearning(**params, client=object()).fit(encoded, tmp_path / "many", resume=True, **fit)
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    for name in ("context_vectors", "bias.npy", "context_bias.npy"):
        np.testing.assert_array_equal(np.load(a.path / name if name.endswith(".npy") else a.path / f"{name}.npy"),
                                      np.load(b.path / name if name.endswith(".npy") else b.path / f"{name}.npy"))
    np.testing.assert_allclose([h["objective"] for h in b.meta["history"]],
                               [h["objective"] for h in a.meta["history"]], rtol=1e-12)
    assert b.meta["history"][-1]["distributed_seconds"]["tasks"] >= 0
    assert not (b.path / "dask").exists() and not list(tmp_path.glob("many*/**/R-*.npy"))


def _here(n: int):
    executor = HereExecutor()
    executor.concurrent_tasks = n
    return lambda client: executor


@pytest.mark.parametrize("method,kernel", [("sgns", "batched"), ("cbow", "exact")])
def test_parameter_averaging_with_one_task_is_the_single_machine_run(texts, tmp_path, monkeypatch, method, kernel):
    import wordlab.distributed
    encoded = wordlab.Corpus([texts["lines"]]).encode(min_count=2, out=tmp_path / "enc", progress=False)
    fit = dict(method=method, kernel=kernel, dim=16, epochs=2, window=3, workers=1, seed=4, progress=False)
    a = wordlab.train(encoded, out=tmp_path / "one", **fit)
    monkeypatch.setattr(wordlab.distributed, "DaskExecutor", _here(1))
    b = wordlab.train(encoded, out=tmp_path / "avg", averaging_rounds=3, client=object(), **fit)
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    assert a.meta["loss_history"] == pytest.approx(b.meta["loss_history"], rel=1e-12)
    assert b.meta["history"][0]["averaging"]["rounds"] == 3 and "averaging_rounds" in b.meta["params"]


def test_parameter_averaging_over_tasks_is_deterministic_and_resumes(texts, tmp_path, monkeypatch):
    import wordlab.distributed
    monkeypatch.setattr(wordlab.distributed, "DaskExecutor", _here(3))
    encoded = wordlab.Corpus([texts["lines"], texts["more"]]).encode(min_count=2, out=tmp_path / "enc",
                                                                     progress=False)
    fit = dict(method="sgns", dim=16, epochs=3, window=3, seed=4, progress=False, averaging_rounds=2,
               client=object())
    one = wordlab.train(encoded, out=tmp_path / "ref", **{**fit, "averaging_rounds": None, "client": None,
                                                          "workers": 1})
    a = wordlab.train(encoded, out=tmp_path / "a", **fit)
    assert a.meta["history"][0]["averaging"]["tasks"] == 3
    assert not np.array_equal(np.asarray(a.vectors), np.asarray(one.vectors))     # three copies averaged
    assert np.isfinite(np.asarray(a.vectors)).all()

    def stop(report):
        if report.epoch == 2:
            raise _Stop
    with pytest.raises(_Stop):
        wordlab.trainers.Word2Vec(callbacks=[stop], **fit).fit(encoded, tmp_path / "b", checkpoint_interval=0)
    b = wordlab.trainers.Word2Vec(**fit).fit(encoded, tmp_path / "b", resume=True)
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    assert not (b.path / "dask").exists()
    with pytest.raises(ParameterError, match="averaging_rounds trains on a Dask cluster: pass client="):
        wordlab.train(encoded, out=tmp_path / "c", **{**fit, "client": None})


# -- on a real LocalCluster ---------------------------------------------------------------------------
def test_encode_count_and_pu_on_a_local_cluster_equal_one_machine(cluster, texts, tmp_path):
    corpus = wordlab.Corpus([texts["lines"], texts["one_line"]])
    one = corpus.encode(min_count=2, out=tmp_path / "one", progress=False)
    many = corpus.encode(min_count=2, out=tmp_path / "many", progress=False, client=cluster)
    assert many.meta["distributed"]["partitions"] >= 2
    _same_encoding(one, many)
    cached = corpus.encode(min_count=3, progress=False, client=cluster)
    assert corpus.encode(min_count=3, progress=False).path == cached.path      # the same cache entry

    assert len(many.meta["token_shards"]) >= 2         # read in place below, by the workers too
    m_one = count_cooccurrences(one, window=4, out=tmp_path / "m1", progress=False)
    m_many = count_cooccurrences(many, window=4, out=tmp_path / "m2", progress=False, client=cluster)
    assert m_many.meta["executor"] == "dask" and m_many.meta["row_tasks"] >= 8
    _same_matrix(m_one, m_many)

    a = PULearning(dim=8, epochs=3, window=3, progress=False).fit(one, tmp_path / "pu1")
    b = PULearning(dim=8, epochs=3, window=3, progress=False, client=cluster).fit(many, tmp_path / "pu2")
    np.testing.assert_allclose([h["objective"] for h in b.meta["history"]],
                               [h["objective"] for h in a.meta["history"]], rtol=1e-12)   # summed by block
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    assert sorted(p.name for p in b.path.iterdir()) == sorted(p.name for p in a.path.iterdir())
    assert "client" not in b.meta["params"]


def test_parameter_averaging_on_a_local_cluster_equals_the_same_plan_here(cluster, texts, tmp_path, monkeypatch):
    import wordlab.distributed
    encoded = wordlab.Corpus([texts["lines"]]).encode(min_count=2, out=tmp_path / "enc", progress=False)
    fit = dict(method="sgns", dim=12, epochs=2, window=3, seed=2, progress=False, averaging_rounds=2)
    a = wordlab.train(encoded, out=tmp_path / "cluster", client=cluster, **fit)
    assert a.meta["history"][0]["averaging"]["tasks"] == 2
    monkeypatch.setattr(wordlab.distributed, "DaskExecutor", _here(2))
    b = wordlab.train(encoded, out=tmp_path / "here", client=object(), **fit)
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))


def test_a_worker_that_cannot_see_a_path_is_named(cluster, tmp_path):
    with pytest.raises(ClusterError, match=r"Dask worker tcp://127\.0\.0\.1:\d+ cannot see /no/such/dir/x") as e:
        DaskExecutor(cluster).check_paths(read=["/no/such/dir/x"])
    assert "\n" not in str(e.value) and "every worker sees" in str(e.value)


def test_client_errors_are_one_line(tmp_path, runner):
    from wordlab.cli.main import cli
    r = runner.invoke(cli, ["corpus", "encode", "--dask", "local:0"])
    assert r.exit_code == 1 and "--dask local:N needs a positive number of workers, not '0'" in r.output
    with pytest.raises(ParameterError, match="--dask must be"):
        with session("nonsense"):
            pass
    with pytest.raises(ParameterError, match="Python iterable"):
        wordlab.Corpus([["a", "b"]]).encode(min_count=1, client=object())
    with pytest.raises(ParameterError, match="does not run on a Dask cluster"):
        wordlab.trainers.registry.get("cmow").make(client=object())
    port = _free_port()
    t = time.time()
    r = runner.invoke(cli, ["corpus", "encode", "--dask", f"tcp://127.0.0.1:{port}"])
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in r.output and time.time() - t < 60


# -- a worker killed in the middle of a task ---------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("point", ["encode.partition_task", "cooccur.row_task", "pu.block_task", "w2v.slice_task"])
def test_a_worker_killed_mid_task_changes_nothing(texts, tmp_path, monkeypatch, point):
    import wordlab.distributed
    corpus = wordlab.Corpus([texts["lines"], texts["one_line"]])
    one = corpus.encode(min_count=2, out=tmp_path / "one", progress=False)
    averaging = dict(method="sgns", dim=12, epochs=2, window=3, seed=2, progress=False, averaging_rounds=2)

    def averaged_here():          # the plan of a two-worker cluster, run in this process
        with monkeypatch.context() as m:
            m.setattr(wordlab.distributed, "DaskExecutor", _here(2))
            return wordlab.train(one, out=tmp_path / "w2v1", client=object(), **averaging)
    reference = {"encode.partition_task": lambda: one, "w2v.slice_task": averaged_here,
                 "cooccur.row_task": lambda: count_cooccurrences(one, window=3, out=tmp_path / "m1", progress=False),
                 "pu.block_task": lambda: PULearning(dim=8, epochs=2, window=3, progress=False).fit(
                     one, tmp_path / "pu1")}[point]()
    marker = tmp_path / "fired"
    monkeypatch.setenv("WORDLAB_FAULT", point)            # the workers inherit these
    monkeypatch.setenv("WORDLAB_FAULT_ONCE", str(marker))
    with session("local:2") as client:
        pids = set(client.run(os.getpid).values())
        if point == "encode.partition_task":
            got = corpus.encode(min_count=2, out=tmp_path / "many", progress=False, client=client)
            _same_encoding(one, got)
        elif point == "cooccur.row_task":
            got = count_cooccurrences(one, window=3, out=tmp_path / "m2", progress=False, client=client)
            _same_matrix(reference, got)
        elif point == "pu.block_task":
            got = PULearning(dim=8, epochs=2, window=3, progress=False, client=client).fit(one, tmp_path / "pu2")
            np.testing.assert_array_equal(np.asarray(reference.vectors), np.asarray(got.vectors))
        else:
            got = wordlab.train(one, out=tmp_path / "w2v2", client=client, **averaging)
            np.testing.assert_array_equal(np.asarray(reference.vectors), np.asarray(got.vectors))
        assert marker.exists(), "the fault did not fire"
        assert set(client.run(os.getpid).values()) != pids     # a worker died and was replaced
    assert not [p for p in got.path.rglob("*") if ".tmp-" in p.name or p.name in ("shards", "rows", "dask")]


# -- `dask scheduler` and `dask worker` processes -----------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def scheduler_and_worker(tmp_path):
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    dask = [str(bin_dir / "dask")] if (bin_dir / "dask").exists() else [sys.executable, "-m", "dask"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen(dask + ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                      "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    address = f"tcp://127.0.0.1:{port}"
    procs.append(subprocess.Popen(dask + ["worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    try:
        deadline = time.time() + 90
        while True:
            try:
                with distributed.Client(address, timeout="5s") as c:
                    if len(c.scheduler_info()["workers"]) == 2:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail("the dask scheduler and workers did not start within 90 s")
            time.sleep(0.5)
        yield address
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


@pytest.mark.slow
def test_the_cli_on_separate_scheduler_and_worker_processes(scheduler_and_worker, texts, tmp_path, runner):
    from wordlab.cli.main import cli
    corpus = wordlab.Corpus([texts["lines"]])
    one = corpus.encode(min_count=2, out=tmp_path / "one", progress=False)
    reference = count_cooccurrences(one, window=3, out=tmp_path / "m1", progress=False)
    r = runner.invoke(cli, ["corpus", "cooccur", str(texts["lines"]), "--window", "3", "--min-count", "2",
                            "--out", str(tmp_path / "m2"), "--dask", scheduler_and_worker])
    assert r.exit_code == 0, r.output
    _same_matrix(reference, wordlab.cooccur.CooccurrenceMatrix(tmp_path / "m2"))
    r = runner.invoke(cli, ["train", str(texts["lines"]), "--method", "pu", "--dim", "8", "--epochs", "2",
                            "--window", "3", "--min-count", "2", "-o", str(tmp_path / "pu2"), "--no-progress",
                            "--dask", scheduler_and_worker])
    assert r.exit_code == 0, r.output
    local = PULearning(dim=8, epochs=2, window=3, min_count=2, progress=False).fit(one, tmp_path / "pu1")
    np.testing.assert_array_equal(np.asarray(local.vectors), np.asarray(wordlab.load(tmp_path / "pu2").vectors))
