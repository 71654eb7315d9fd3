"""The vector-file readers and writers at realistic size, and with tiny read buffers.

Test files elsewhere are a few kilobytes, smaller than one read buffer
(``formats._READ_BYTES``, 4 MB), so a refill path can be broken without any test
noticing (a leftover ``del base`` once crashed every word2vec binary above 4 MB). Here
files of tens of MB are generated with numpy, written by wordlab's writers and by
gensim's, read back (also gzipped) and compared bit for bit; and medium files are read
with buffers of 1, 3 and 7 bytes (and text blocks of 1, 3 and 7 lines, corpus chunks
of 1, 3 and 7 bytes), which must give exactly the normal result.
"""
from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from wordlab.corpus import Tokenizer
from wordlab.corpus.readers import read_text
from wordlab.store import formats
from wordlab.store.formats import (read_binary_vectors, read_text_vectors, write_binary_vectors,
                                   write_text_vectors)

UNICODE_WORDS = ["ශ්‍රී", "ලිංගිකත්වය", "kʼehjígo", "Diné", "café", "日本語", "don't"]


def matrix(n: int, dim: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` words (some non-ASCII) and float32 values over many magnitudes."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n - len(UNICODE_WORDS))] + UNICODE_WORDS
    v = rng.standard_normal((n, dim)).astype(np.float32)
    v[::7] *= np.float32(1e-20)
    v[3::11] *= np.float32(1e20)
    return words, v


def bits(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def write(path: Path, words, v, fmt: str, compresslevel: int | None = None) -> Path:
    opener = (lambda p: gzip.open(p, "wb", compresslevel=compresslevel)) if compresslevel else (lambda p: open(p, "wb"))
    with opener(path) as fh:
        if fmt == "bin":
            write_binary_vectors(fh, words, v)
        else:
            write_text_vectors(fh, words, v, header=(fmt == "word2vec"))
    return path


def read(path: Path, out: Path, fmt: str) -> tuple[list[str], np.ndarray]:
    if fmt == "bin":
        words = read_binary_vectors(path, out)
    else:
        words = read_text_vectors(path, out, "glove" if fmt == "glove" else "text")
    return words, np.load(out, mmap_mode="r")


def assert_same(got, words, v) -> None:
    got_words, got_v = got
    assert got_words == words
    assert got_v.shape == v.shape and got_v.dtype == np.float32
    np.testing.assert_array_equal(bits(got_v), bits(v))


# -- realistic size -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big():
    return matrix(60_000, 100)


def test_binary_larger_than_one_read_buffer(tmp_path):
    words, v = matrix(25_000, 100, seed=1)          # 10 MB: two refills of the 4 MB buffer
    path = write(tmp_path / "v.bin", words, v, "bin")
    assert path.stat().st_size > 2 * formats._READ_BYTES
    assert_same(read(path, tmp_path / "v.npy", "bin"), words, v)


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_binary_of_24_mb_round_trip(tmp_path, big, gzipped):
    words, v = big
    path = write(tmp_path / ("v.bin.gz" if gzipped else "v.bin"), words, v, "bin", 1 if gzipped else None)
    if not gzipped:
        assert path.stat().st_size > 24_000_000
    assert_same(read(path, tmp_path / "v.npy", "bin"), words, v)


def test_binary_reading_memory_is_bounded(tmp_path):
    words, v = matrix(10_000, 1000, seed=3)        # 40 MB in rows of 4 KB
    path = write(tmp_path / "v.bin", words, v, "bin")
    tracemalloc.start()
    try:
        read_binary_vectors(path, tmp_path / "v.npy")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24_000_000, peak                  # a few blocks, not the matrix
    assert_same((words, np.load(tmp_path / "v.npy", mmap_mode="r")), words, v)


def test_text_reading_memory_is_bounded(tmp_path):
    # long rows: a block of 8,192 of them would be 100 MB; blocks are cut at 4 MB too
    row = b" ".join([b"0.123456789"] * 1000)
    path = tmp_path / "v.txt"
    path.write_bytes(b"3000 1000\n" + b"".join(b"w%d %s\n" % (i, row) for i in range(3000)))
    assert path.stat().st_size > 36_000_000
    tracemalloc.start()
    try:
        words = read_text_vectors(path, tmp_path / "v.npy")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000, peak
    assert words == [f"w{i}" for i in range(3000)]
    assert (np.load(tmp_path / "v.npy", mmap_mode="r") == np.float32(0.123456789)).all()


@pytest.mark.slow
@pytest.mark.parametrize("fmt, name, gzipped", [("word2vec", "v.txt", False), ("glove", "g.txt", False),
                                                ("word2vec", "wiki.vec", False), ("word2vec", "v.txt.gz", True)])
def test_text_of_tens_of_mb_round_trip(tmp_path, big, fmt, name, gzipped):
    words, v = big
    words, v = words[:40_000], v[:40_000]
    path = write(tmp_path / name, words, v, fmt, 1 if gzipped else None)
    if not gzipped:
        assert path.stat().st_size > 40_000_000
    assert_same(read(path, tmp_path / "v.npy", fmt), words, v)


def test_wordlab_reads_gensims_large_files(tmp_path, big):
    from gensim.models import KeyedVectors
    words, v = big
    kv = KeyedVectors(vector_size=v.shape[1])
    kv.add_vectors(words, v)
    kv.save_word2vec_format(str(tmp_path / "g.bin"), binary=True)          # no newline after each row
    assert_same(read(tmp_path / "g.bin", tmp_path / "b.npy", "bin"), words, v)
    small = KeyedVectors(vector_size=v.shape[1])                            # gensim's text writer is slow
    small.add_vectors(words[:5000], v[:5000])
    small.save_word2vec_format(str(tmp_path / "g.txt"), binary=False)
    assert_same(read(tmp_path / "g.txt", tmp_path / "t.npy", "word2vec"), words[:5000], v[:5000])


def test_gensim_reads_wordlabs_large_binary(tmp_path, big):
    from gensim.models import KeyedVectors
    words, v = big
    path = write(tmp_path / "v.bin", words, v, "bin")
    kv = KeyedVectors.load_word2vec_format(str(path), binary=True)
    assert kv.index_to_key == words
    np.testing.assert_array_equal(bits(kv.vectors), bits(v))


# -- tiny buffers: every refill path --------------------------------------------------------
@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    """A few kilobytes of each format, written once."""
    base = tmp_path_factory.mktemp("medium")
    words, v = matrix(150, 7, seed=2)
    files = {"bin": write(base / "v.bin", words, v, "bin"),
             "word2vec": write(base / "v.txt", words, v, "word2vec"),
             "glove": write(base / "g.txt", words, v, "glove"),
             "bin.gz": write(base / "v.bin.gz", words, v, "bin", 6),
             "word2vec.gz": write(base / "v.txt.gz", words, v, "word2vec", 6)}
    gensim_style = base / "gensim.bin"   # rows without the C tool's newline
    with open(gensim_style, "wb") as fh:
        fh.write(f"{len(words)} {v.shape[1]}\n".encode())
        fh.write(b"".join(w.encode() + b" " + r.astype("<f4").tobytes() for w, r in zip(words, v)))
    files["gensim.bin"] = gensim_style
    return words, v, files


@pytest.mark.parametrize("read_bytes", [1, 3, 7])
@pytest.mark.parametrize("kind", ["bin", "word2vec", "glove", "bin.gz", "word2vec.gz", "gensim.bin"])
def test_tiny_read_buffer_gives_the_same_result(tmp_path, monkeypatch, medium, kind, read_bytes):
    words, v, files = medium
    fmt = kind.split(".")[0] if kind != "gensim.bin" else "bin"
    normal = read(files[kind], tmp_path / "normal.npy", fmt)
    assert_same(normal, words, v)
    monkeypatch.setattr(formats, "_READ_BYTES", read_bytes)
    assert_same(read(files[kind], tmp_path / "tiny.npy", fmt), words, v)


@pytest.mark.parametrize("block_lines", [1, 3, 7])
@pytest.mark.parametrize("kind", ["word2vec", "glove", "bin"])
def test_tiny_blocks_give_the_same_result(tmp_path, monkeypatch, medium, kind, block_lines):
    words, v, files = medium
    monkeypatch.setattr(formats, "_BLOCK_LINES", block_lines)
    assert_same(read(files[kind], tmp_path / "v.npy", kind), words, v)
    # and the writers' blocks: the same bytes as written with the default
    out = write(tmp_path / "again", words, v, kind)
    assert out.read_bytes() == files[kind].read_bytes()


def test_tiny_buffer_errors_name_the_same_place(tmp_path, monkeypatch, medium):
    words, v, files = medium
    for kind in ("bin", "word2vec"):
        data = files[kind].read_bytes()
        cut = tmp_path / f"cut-{kind}"
        cut.write_bytes(data[: len(data) * 2 // 3])
        messages = []
        for read_bytes in (formats._READ_BYTES, 1, 3, 7):
            monkeypatch.setattr(formats, "_READ_BYTES", read_bytes)
            with pytest.raises(formats.InputFormatError) as info:
                read(cut, tmp_path / "v.npy", kind)
            messages.append(str(info.value))
        assert len(set(messages)) == 1, messages


CORPUS = ("The quick brown fox.\nතහනම් කර තිබේ.සෞඛ්\u200dය\n\nDiné bizaad kʼehjígo, don't 3.5!\n"
          "ÉCOLE straße naïve café\n") * 40


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_corpus_reader_with_tiny_chunks(tmp_path, suffix, chunk):
    data = ("\ufeff" + CORPUS).encode()
    path = tmp_path / f"c.txt{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)

    def sentences(**kwargs):
        return [s for batch in read_text(path, Tokenizer(), **kwargs) for s in batch]

    expected = sentences()
    assert expected[0] == ["the", "quick", "brown", "fox"]     # no token from the byte-order mark
    assert sentences(chunk_bytes=chunk) == expected

