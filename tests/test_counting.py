"""Counting as plan -> map -> reduce on an executor: the result does not depend on the
segments, the executor, the order or the process the map tasks run in."""
import hashlib
import json
import pickle
from concurrent.futures import ProcessPoolExecutor
import multiprocessing

import numpy as np
import pytest

import wordlab
from _helpers import zipf_sentences
from wordlab.cooccur import count_cooccurrences
from wordlab.cooccur.count import corpus_fingerprint, plan
from wordlab.cooccur.executors import EXECUTORS, Executor, SerialExecutor, ThreadExecutor, get_executor
from wordlab.cooccur.segments import Segment, Task
from wordlab.errors import ParameterError


def _sentences(n=1500):
    return zipf_sentences(n=n, vocab=200, exponent=1.3)


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    return wordlab.Corpus(_sentences()).encode(min_count=1, out=tmp_path_factory.mktemp("c") / "enc", progress=False)


def _arrays(m):
    return [np.asarray(m.indptr), np.asarray(m.indices), np.asarray(m.data)]


def _assert_same(a, b):
    for x, y in zip(_arrays(a), _arrays(b)):
        np.testing.assert_array_equal(x, y)


class Reordering(Executor):
    """A test double: records the tasks, pickles the function and each task (as a
    process or a cluster would), runs them last first and returns them in task order."""
    name = "reordering"

    def __init__(self):
        super().__init__(workers=2)
        self.tasks = []

    def map(self, fn, tasks):
        tasks = list(tasks)
        self.tasks += tasks
        fn = pickle.loads(pickle.dumps(fn))
        results = {k: fn(pickle.loads(pickle.dumps(t))) for k, t in reversed(list(enumerate(tasks)))}
        return iter([results[k] for k in range(len(tasks))])


class Processes(Executor):
    """Map tasks in a pool of fresh (spawned) processes."""
    name = "processes"

    def __init__(self):
        super().__init__(workers=1)

    @property
    def concurrent_tasks(self):
        return 2

    def map(self, fn, tasks):
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield from pool.map(fn, list(tasks))


@pytest.mark.parametrize("weighting", ["none", "harmonic"])
def test_one_segment_equals_many_and_serial_equals_threads(encoded, tmp_path, weighting):
    one = count_cooccurrences(encoded, window=4, weighting=weighting, out=tmp_path / "one", progress=False)
    many = count_cooccurrences(encoded, window=4, weighting=weighting, memory_limit=1 << 16, workers=2,
                               out=tmp_path / "many", progress=False)
    serial = count_cooccurrences(encoded, window=4, weighting=weighting, memory_limit=1 << 16, executor="serial",
                                 out=tmp_path / "serial", progress=False)
    assert one.meta["segments"] == 1 and many.meta["segments"] > 2
    assert serial.meta["executor"] == "serial" and many.meta["executor"] == "thread"
    _assert_same(many, serial)
    np.testing.assert_array_equal(np.asarray(one.indptr), np.asarray(many.indptr))
    np.testing.assert_array_equal(np.asarray(one.indices), np.asarray(many.indices))
    if weighting == "none":      # integer counts: exact whatever the order of the sums
        np.testing.assert_array_equal(np.asarray(one.data), np.asarray(many.data))
    else:
        np.testing.assert_allclose(np.asarray(one.data), np.asarray(many.data), rtol=1e-6)


def test_a_custom_executor_gives_the_identical_matrix(encoded, tmp_path):
    reference = count_cooccurrences(encoded, window=3, subsample=1e-3, memory_limit=1 << 16, out=tmp_path / "r",
                                    progress=False)
    double = Reordering()
    got = count_cooccurrences(encoded, window=3, subsample=1e-3, memory_limit=1 << 16, executor=double,
                              out=tmp_path / "x", progress=False)
    _assert_same(got, reference)
    assert len(double.tasks) == reference.meta["segments"] > 1
    assert all(isinstance(t, Task) and isinstance(t.segment, Segment) for t in double.tasks)
    json.dumps([t.settings for t in double.tasks])           # plain data
    assert [t.segment.index for t in double.tasks] == list(range(len(double.tasks)))
    assert got.meta["executor"] == "reordering"


def test_map_tasks_in_other_processes_give_the_identical_matrix(encoded, tmp_path):
    reference = count_cooccurrences(encoded, window=3, memory_limit=1 << 17, out=tmp_path / "r", progress=False)
    got = count_cooccurrences(encoded, window=3, memory_limit=1 << 18, executor=Processes(), out=tmp_path / "p",
                              progress=False)
    # memory_limit is shared by the two concurrent tasks: the same segments as half of it
    assert got.meta["segments"] == reference.meta["segments"] > 1
    _assert_same(got, reference)


def test_the_plan_cuts_at_sentence_boundaries(encoded):
    segments = plan(encoded, {}, 1 << 16).segments
    offsets = np.asarray(encoded.offsets)
    assert segments[0].first_sentence == 0 and segments[-1].last_sentence == offsets.shape[0] - 1
    for a, b in zip(segments, segments[1:]):
        assert a.last_sentence == b.first_sentence and a.last_token == b.first_token
    for s in segments:
        assert (s.first_token, s.last_token) == (offsets[s.first_sentence], offsets[s.last_sentence])


def test_the_cache_key_is_the_one_of_before(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "cache"))
    text = tmp_path / "text.txt"
    text.write_text("\n".join(" ".join(s) for s in _sentences(n=50)), encoding="utf-8")
    encoded = wordlab.Corpus(text).encode(min_count=1, progress=False)
    m = count_cooccurrences(encoded, window=3, progress=False)
    settings = {"window": 3, "weighting": "harmonic", "direction": "both", "dynamic_window": False,
                "subsample": 0.0, "seed": None}
    old_key = hashlib.sha256(json.dumps([corpus_fingerprint(encoded), settings], sort_keys=True).encode()).hexdigest()[:20]
    assert m.path.name == old_key and m.path.parent.name == "cooccur"


def test_executor_registry_and_bad_executors(encoded):
    assert EXECUTORS["thread"] is ThreadExecutor and EXECUTORS["serial"] is SerialExecutor
    assert list(EXECUTORS) == ["thread", "serial", "dask"]
    assert isinstance(get_executor(None, 3), ThreadExecutor) and get_executor(None, 3).task_threads == 3
    assert get_executor("serial", 3).task_threads == 1
    double = Reordering()
    assert get_executor(double) is double
    for bad, match in (("nope", "executor must be one of 'thread', 'serial', 'dask', not 'nope'"),
                       (object(), "executor must be a name")):
        with pytest.raises(ParameterError, match=match) as e:
            count_cooccurrences(encoded, cache=False, progress=False, executor=bad)
        assert "\n" not in str(e.value)


# -- Bit-cipher's context sums ----------------------------------------------------------------------
def _bitcipher_sums(encoded, tmp_path, name, **kwargs):
    from wordlab.trainers.bitcipher import context_sums
    settings = {"bits": 9, "window": 3, "mode": "concat"} | {k: kwargs.pop(k) for k in ("mode",) if k in kwargs}
    dim = settings["bits"] * (2 * settings["window"] if settings["mode"] == "concat" else 1)
    out = np.zeros((len(encoded.vocab), dim), dtype=np.float32)
    n = context_sums(encoded, out, tmp_path / name, progress=False, **settings, **kwargs)
    assert not (tmp_path / name).exists()          # the partial sums are gone
    return out, n


def test_bitcipher_sums_do_not_depend_on_segments_or_executor(encoded, tmp_path):
    one, n_one = _bitcipher_sums(encoded, tmp_path, "one")
    many, n_many = _bitcipher_sums(encoded, tmp_path, "many", memory_limit=1 << 16, workers=2)
    serial, _ = _bitcipher_sums(encoded, tmp_path, "serial", memory_limit=1 << 16, executor="serial")
    double = Reordering()
    reordered, _ = _bitcipher_sums(encoded, tmp_path, "reordered", memory_limit=1 << 16, executor=double)
    assert n_one == 1 and n_many > 2 and len(double.tasks) == n_many
    assert one.any()
    for other in (many, serial, reordered):
        np.testing.assert_array_equal(other, one)
    summed, _ = _bitcipher_sums(encoded, tmp_path, "sum", mode="sum", memory_limit=1 << 16)
    np.testing.assert_allclose(summed, one.reshape(one.shape[0], -1, 9).sum(axis=1, dtype=np.float64), rtol=1e-6)


def test_bitcipher_with_a_tiny_memory_limit_gives_the_same_vectors(encoded, tmp_path):
    from wordlab.trainers import BitCipher
    BitCipher(bits=9, window=2, progress=False).fit(encoded, tmp_path / "a")
    BitCipher(bits=9, window=2, memory_limit=1 << 16, progress=False).fit(encoded, tmp_path / "b")
    segments = [json.loads((tmp_path / x / "meta.json").read_text())["history"][0]["segments"] for x in "ab"]
    assert segments[0] == 1 and segments[1] > 2
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "vectors.npy"), np.load(tmp_path / "b" / "vectors.npy"))
    with pytest.raises(ParameterError, match="memory_limit") as e:
        BitCipher(bits=9, memory_limit=1000, progress=False).fit(encoded, tmp_path / "c")
    assert "\n" not in str(e.value)


def test_bitcipher_memory_is_bounded_by_memory_limit(tmp_path):
    """The pass allocates about memory_limit, not 8+ bytes per corpus token (the whole-corpus
    stream and occurrence index of before); numpy reports its buffers to tracemalloc."""
    import tracemalloc
    rng = np.random.default_rng(1)
    n_sent, length = 20_000, 20
    words = np.array([f"w{i}" for i in range(400)])
    ids = np.minimum(rng.zipf(1.3, size=(n_sent, length)), 400) - 1
    text = tmp_path / "big.txt"
    text.write_text("\n".join(" ".join(words[row]) for row in ids), encoding="utf-8")
    encoded = wordlab.Corpus(text).encode(min_count=1, out=tmp_path / "enc", progress=False)
    assert encoded.n_tokens == n_sent * length
    limit = 1 << 19
    reference, _ = _bitcipher_sums(encoded, tmp_path, "ref")
    _bitcipher_sums(encoded, tmp_path, "warm", memory_limit=limit, executor="serial")
    tracemalloc.start()
    try:
        got, n = _bitcipher_sums(encoded, tmp_path, "bounded", memory_limit=limit, executor="serial")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out_bytes = got.nbytes
    assert n > 5
    assert peak - out_bytes < 1.5 * limit < 4 * encoded.n_tokens, (peak, out_bytes)
    np.testing.assert_array_equal(got, reference)


def test_bitcipher_reduce_holds_one_block_and_a_small_chunk(tmp_path, monkeypatch):
    """The reduce adds the parts into one float64 block of rows; reading a part's rows for a
    whole block at once (with the temporaries of a fancy-indexed +=) took four times that,
    a regression the 64-bit concatenated benchmark showed (598 -> 1,052 MiB)."""
    import tracemalloc
    from wordlab.trainers import bitcipher
    from wordlab.npyio import NpyAppender
    monkeypatch.setattr(bitcipher, "_REDUCE_CHUNK_BYTES", 1 << 20)
    rng = np.random.default_rng(3)
    n_words, dim, parts = 12_000, 160, []
    expected = np.zeros((n_words, dim), dtype=np.float64)
    for k in range(3):
        words = np.sort(rng.choice(n_words, size=n_words * 3 // 4, replace=False)).astype(np.int32)
        sums = rng.integers(0, 50, size=(words.shape[0], dim)).astype(np.float64)
        expected[words] += sums
        part = tmp_path / f"{k:05d}"
        part.mkdir()
        with NpyAppender(part / "sums.npy", np.float64, row_shape=(dim,)) as f:
            f.append(sums)
        with NpyAppender(part / "words.npy", np.int32) as f:
            f.append(words)
        parts.append(part)
    out = np.zeros((n_words, dim), dtype=np.float32)
    block_bytes = n_words * dim * 8                 # one block holds every word here
    tracemalloc.start()
    try:
        bitcipher.sum_parts(parts, out, block_rows=n_words)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(out, expected.astype(np.float32))
    assert peak < block_bytes + 4 * (1 << 20), (peak, block_bytes)
    # blocks smaller than the vocabulary give the same sums
    again = np.zeros_like(out)
    bitcipher.sum_parts(parts, again, block_rows=777)
    np.testing.assert_array_equal(again, out)
