"""Tests of reading and writing embedding files: round trips of every format, parity
with gensim's reader and writer, and the errors malformed files raise."""
from __future__ import annotations

import gzip
import io
import json
import re
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

import wordlab
from wordlab import Embeddings
from wordlab.errors import InputFormatError, StoreError
from wordlab.store import formats


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "cache"))


UNICODE_WORDS = ["ශ්‍රී", "ලිංගිකත්වය", "kʼehjígo", "Diné", "naʼníle", "café", "日本語", "don't"]


def _bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def hard_vectors(n=300, dim=7, seed=0):
    """float32 values over many magnitudes, plus the awkward ones."""
    rng = np.random.default_rng(seed)
    v = (rng.standard_normal((n, dim)) * 10.0 ** rng.uniform(-30, 30, (n, dim))).astype(np.float32)
    specials = np.array([np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny,
                         np.float32(1e-45), -0.0, 0.0, np.float32(0.1), np.float32(1 / 3),
                         np.nextafter(np.float32(1), np.float32(2)), np.float32(16777217)],
                        dtype=np.float32)
    v.flat[: specials.size] = specials
    return v


def ascii_words(n):
    return [f"word{i}" for i in range(n)]


def write_c_binary(path, words, vectors, newline=True, header=None):
    """word2vec.c's binary layout (newline after each vector), or gensim's (none)."""
    n, dim = vectors.shape
    with open(path, "wb") as fh:
        fh.write((header if header is not None else f"{n} {dim}\n").encode())
        for w, v in zip(words, vectors):
            fh.write(w.encode("utf-8") + b" " + np.asarray(v, dtype="<f4").tobytes())
            if newline:
                fh.write(b"\n")
    return path


def write_lines(path, lines, encoding="utf-8"):
    Path(path).write_bytes("".join(line + "\n" for line in lines).encode(encoding))
    return Path(path)


# -- round trips of every format ---------------------------------------------------------
FORMATS = [
    ("store", "emb", None),
    ("word2vec", "emb.txt", None),
    ("word2vec", "emb.w2v", None),
    ("word2vec-bin", "emb.bin", None),
    ("glove", "emb.txt", None),           # header-less .txt is sniffed as GloVe
    ("glove", "emb.glove", "glove"),      # an unknown extension needs the format named
    ("word2vec", "emb.vec", None),        # fastText .vec is word2vec text
    ("word2vec", "emb.vec", "fasttext"),
]


@pytest.mark.parametrize("fmt, name, read_as", FORMATS)
def test_round_trip_bit_exact(tmp_path, fmt, name, read_as):
    words = ascii_words(300)
    v = hard_vectors(300, 7)
    path = Embeddings(words, v).save(tmp_path / name, format=fmt)
    back = wordlab.load(path, format=read_as)
    assert back.words == words
    assert back.vectors.dtype == np.float32
    np.testing.assert_array_equal(_bits(back.vectors), _bits(v))


@pytest.mark.parametrize("fmt, name, read_as", FORMATS)
def test_round_trip_unicode_words(tmp_path, fmt, name, read_as):
    v = np.random.default_rng(1).standard_normal((len(UNICODE_WORDS), 4)).astype(np.float32)
    path = Embeddings(UNICODE_WORDS, v).save(tmp_path / name, format=fmt)
    back = wordlab.load(path, format=read_as)
    assert back.words == UNICODE_WORDS
    np.testing.assert_array_equal(back["kʼehjígo"], v[2])
    np.testing.assert_array_equal(back["ශ්‍රී"], v[0])


def test_text_layouts(tmp_path):
    e = Embeddings(["a", "b"], [[1.5, -2], [0.25, 1e-3]])
    w2v = e.save(tmp_path / "e.txt", format="word2vec").read_text()
    assert w2v.splitlines()[0] == "2 2"
    assert w2v.splitlines()[1].split() == ["a", "1.5", "-2"]
    glove = e.save(tmp_path / "g.txt", format="glove").read_text()
    assert glove.splitlines()[0].split() == ["a", "1.5", "-2"]
    assert len(glove.splitlines()) == 2
    binary = e.save(tmp_path / "e.bin", format="word2vec-bin").read_bytes()
    assert binary == (b"2 2\n" + b"a " + struct.pack("<2f", 1.5, -2) + b"\n"
                      + b"b " + struct.pack("<2f", 0.25, 1e-3) + b"\n")


def test_words_that_cannot_be_written_as_text(tmp_path):
    e = Embeddings(["a b", "c"], np.ones((2, 2)))
    for fmt in ("word2vec", "glove", "word2vec-bin"):
        with pytest.raises(ValueError, match="'a b'"):
            e.save(tmp_path / f"x.{fmt}", format=fmt)
        assert not (tmp_path / f"x.{fmt}").exists()


def test_load_uses_cache_but_sees_changes(tmp_path):
    path = tmp_path / "e.txt"
    Embeddings(["a", "b"], [[1, 2], [3, 4]]).save(path, format="word2vec")
    first = wordlab.load(path)
    again = wordlab.load(path)
    assert again.path == first.path  # converted once, reopened from the cache
    Embeddings(["x", "y", "z"], [[1, 2], [3, 4], [5, 6]]).save(path, format="word2vec", overwrite=True)
    changed = wordlab.load(path)
    assert changed.words == ["x", "y", "z"]
    np.testing.assert_array_equal(changed["z"], [5, 6])
    assert wordlab.load(path, cache=False).words == ["x", "y", "z"]


def test_load_missing_path(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        wordlab.load(tmp_path / "nope.txt")


# -- gensim interoperability -------------------------------------------------------------
@pytest.fixture()
def kv_pair():
    from gensim.models import KeyedVectors
    words = ascii_words(200) + UNICODE_WORDS
    v = np.random.default_rng(3).standard_normal((len(words), 12)).astype(np.float32)
    kv = KeyedVectors(vector_size=12)
    kv.add_vectors(words, v)
    return words, v, kv


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_wordlab_files(tmp_path, binary):
    from gensim.models import KeyedVectors
    words = ascii_words(200) + UNICODE_WORDS
    v = hard_vectors(len(words), 12, seed=4)
    v = np.clip(v, -1e30, 1e30)  # gensim's text reader goes through float64 too; keep it simple
    path = Embeddings(words, v).save(tmp_path / ("e.bin" if binary else "e.txt"),
                                      format="word2vec-bin" if binary else "word2vec")
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == words
    np.testing.assert_array_equal(_bits(kv.vectors), _bits(v))


def test_gensim_reads_wordlab_glove(tmp_path):
    from gensim.models import KeyedVectors
    words = ascii_words(50) + UNICODE_WORDS
    v = np.random.default_rng(5).standard_normal((len(words), 6)).astype(np.float32)
    path = Embeddings(words, v).save(tmp_path / "g.txt", format="glove")
    kv = KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=True)
    assert kv.index_to_key == words
    np.testing.assert_array_equal(kv.vectors, v)


@pytest.mark.parametrize("binary", [False, True])
def test_wordlab_reads_gensim_files(tmp_path, kv_pair, binary):
    from gensim.models import KeyedVectors
    words, v, kv = kv_pair
    path = tmp_path / ("g.bin" if binary else "g.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    back = wordlab.load(path)
    assert back.words == words
    np.testing.assert_array_equal(_bits(back.vectors), _bits(v))
    # and identical to what gensim itself reads back
    kv2 = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    np.testing.assert_array_equal(_bits(back.vectors), _bits(kv2.vectors))


def test_wordlab_reads_gensim_headerless_text(tmp_path, kv_pair):
    words, v, kv = kv_pair
    path = tmp_path / "g.txt"
    kv.save_word2vec_format(str(path), binary=False, write_header=False)
    back = wordlab.load(path)
    assert back.words == words
    np.testing.assert_array_equal(back.vectors, v)


@pytest.mark.parametrize("newline", [True, False], ids=["word2vec.c", "gensim"])
def test_binary_with_and_without_row_newline(tmp_path, newline):
    words = ascii_words(40) + UNICODE_WORDS
    v = hard_vectors(len(words), 5, seed=8)
    # make sure some vector bytes look like separators (space, newline)
    v[0, 0] = struct.unpack("<f", b"\x20\x0a\x20\x0a")[0]
    path = write_c_binary(tmp_path / "c.bin", words, v, newline=newline)
    back = wordlab.load(path)
    assert back.words == words
    np.testing.assert_array_equal(_bits(back.vectors), _bits(v))


def test_binary_c_tool_trailing_whitespace_allowed(tmp_path):
    path = write_c_binary(tmp_path / "c.bin", ["a", "b"], np.eye(2, dtype=np.float32))
    with open(path, "ab") as fh:
        fh.write(b"\n\n")
    assert wordlab.load(path).words == ["a", "b"]


def test_c_tool_text_with_trailing_space(tmp_path):
    v = np.array([[0.5, -1.25, 3.0], [1e-7, 2.0, -0.0]], dtype=np.float32)
    lines = ["2 3"] + [w + " " + " ".join(repr(float(x)) for x in row) + " "
                       for w, row in zip(["</s>", "the"], v)]
    path = write_lines(tmp_path / "c.txt", lines)
    back = wordlab.load(path)
    assert back.words == ["</s>", "the"]
    np.testing.assert_array_equal(_bits(back.vectors), _bits(v))


def test_crlf_text(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"2 2\r\na 1 2\r\nb 3 4\r\n")
    back = wordlab.load(path)
    assert back.words == ["a", "b"]
    np.testing.assert_array_equal(back.vectors, [[1, 2], [3, 4]])


@pytest.mark.parametrize("name, fmt", [("e.txt.gz", "word2vec"), ("g.txt.gz", "glove"),
                                       ("e.vec.gz", "word2vec"), ("e.bin.gz", "word2vec-bin")])
def test_compressed_input(tmp_path, name, fmt):
    words = ascii_words(100) + UNICODE_WORDS
    v = hard_vectors(len(words), 6, seed=11)
    plain = Embeddings(words, v).save(tmp_path / "plain", format=fmt)
    path = tmp_path / name
    path.write_bytes(gzip.compress(plain.read_bytes()))
    back = wordlab.load(path)
    assert back.words == words
    np.testing.assert_array_equal(_bits(back.vectors), _bits(v))


def test_to_gensim_from_gensim_round_trip():
    words = ascii_words(30) + UNICODE_WORDS
    v = np.random.default_rng(2).standard_normal((len(words), 8)).astype(np.float32)
    counts = np.arange(len(words), 0, -1) * 10
    e = Embeddings(words, v, counts)
    kv = e.to_gensim()
    assert kv.index_to_key == words
    assert kv.vector_size == 8
    np.testing.assert_array_equal(kv.vectors, v)
    assert [kv.get_vecattr(w, "count") for w in words] == counts.tolist()
    # gensim search on the exported vectors agrees with wordlab's
    assert [w for w, _ in kv.most_similar("word3", topn=5)] == [w for w, _ in e.most_similar("word3", topn=5)]
    back = Embeddings.from_gensim(kv)
    assert back.words == words
    np.testing.assert_array_equal(back.vectors, v)
    np.testing.assert_array_equal(back.counts, counts)
    # without counts
    bare = Embeddings(words, v).to_gensim()
    assert Embeddings.from_gensim(bare).counts is None
    np.testing.assert_array_equal(Embeddings.from_gensim(bare).vectors, v)


def test_from_gensim_model_keeps_counts(tmp_path):
    from gensim.models import Word2Vec
    sentences = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["the", "end"]] * 5
    model = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, seed=1, epochs=1)
    e = Embeddings.from_gensim(model)
    assert e.words == model.wv.index_to_key
    np.testing.assert_array_equal(e.vectors, model.wv.vectors)
    assert e.counts.tolist() == [model.wv.get_vecattr(w, "count") for w in e.words]
    assert e.counts[e.index_of("the")] == 15
    back = wordlab.load(e.save(tmp_path / "s"))
    assert back.counts.tolist() == e.counts.tolist()


# -- bad files ---------------------------------------------------------------------------
def test_text_fewer_rows_than_declared(tmp_path):
    path = write_lines(tmp_path / "e.txt", ["5 2", "a 1 2", "b 3 4", "c 5 6"])
    with pytest.raises(InputFormatError, match=r"declares 5 vectors.*ends after 3.*line 4"):
        wordlab.load(path)


def test_text_more_rows_than_declared(tmp_path):
    path = write_lines(tmp_path / "e.txt", ["2 2", "a 1 2", "b 3 4", "c 5 6", "d 7 8"])
    with pytest.raises(InputFormatError, match=r"e\.txt, line 4: more vectors than the 2 declared"):
        wordlab.load(path)


def test_binary_fewer_rows_than_declared(tmp_path):
    path = write_c_binary(tmp_path / "e.bin", ["a", "b", "c"], np.ones((3, 4), np.float32), header="5 4\n")
    with pytest.raises(InputFormatError, match=r"truncated.*row 4 of 5"):
        wordlab.load(path)


def test_binary_more_rows_than_declared(tmp_path):
    path = write_c_binary(tmp_path / "e.bin", ["a", "b", "c"], np.ones((3, 4), np.float32), header="2 4\n")
    with pytest.raises(InputFormatError, match=r"data after the 2 vectors"):
        wordlab.load(path)


def test_binary_truncated_mid_vector(tmp_path):
    path = write_c_binary(tmp_path / "e.bin", ["alpha", "beta", "gamma"], np.ones((3, 4), np.float32))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 10])  # cut inside gamma's 16 bytes
    with pytest.raises(InputFormatError, match=r"truncated.*'gamma'.*row 3 of 3"):
        wordlab.load(path)


@pytest.mark.parametrize("lines, line_no, found", [
    (["3 3", "a 1 2 3", "b 1 2", "c 1 2 3"], 3, 2),
    (["3 3", "a 1 2 3", "b 1 2 3", "c 1 2 3 4"], 4, 4),
    (["a 1 2 3", "b 1 2 3", "c 1 2"], 3, 2),          # GloVe: no header
    (["a 1 2 3", "b", "c 1 2 3"], 2, 0),
])
def test_text_wrong_number_of_values(tmp_path, lines, line_no, found):
    path = write_lines(tmp_path / "e.txt", lines)
    with pytest.raises(InputFormatError, match=rf"line {line_no}: expected 3 values after the word, found {found}"):
        wordlab.load(path)


def test_wrong_number_of_values_line_number_after_blank_line(tmp_path):
    # blank lines are skipped, but they are still lines: the bad row is on line 5
    path = write_lines(tmp_path / "e.txt", ["3 3", "a 1 2 3", "", "b 1 2 3", "c 1 2"])
    with pytest.raises(InputFormatError, match=r"line 5: expected 3 values"):
        wordlab.load(path)


def test_rows_too_long_and_too_short_do_not_cancel_out(tmp_path):
    # 4 values then 2 values: 6 in total, as many as two correct rows of 3
    path = write_lines(tmp_path / "e.txt", ["2 3", "a 1 2 3 4", "b 5 6"])
    with pytest.raises(InputFormatError, match=r"line 2: expected 3 values after the word, found 4"):
        wordlab.load(path)


@pytest.mark.parametrize("bad", ["x", "1,5", "0x10", "1.5e"])
def test_text_non_numeric_value(tmp_path, bad):
    path = write_lines(tmp_path / "e.txt", ["3 3", "a 1 2 3", f"b 1 {bad} 3", "c 1 2 3"])
    with pytest.raises(InputFormatError, match=r"e\.txt, line 3"):
        wordlab.load(path)


def test_word2vec_format_requires_header(tmp_path):
    path = write_lines(tmp_path / "e.vec", ["a 1 2 3", "b 1 2 3"])
    with pytest.raises(InputFormatError, match=r"line 1: expected a word2vec header"):
        wordlab.load(path)
    with pytest.raises(InputFormatError, match="header"):
        wordlab.load(path, format="word2vec")
    assert wordlab.load(path, format="glove").words == ["a", "b"]


def test_binary_requires_header(tmp_path):
    path = tmp_path / "e.bin"
    path.write_bytes(b"a " + np.ones(3, "<f4").tobytes() + b"\n")
    with pytest.raises(InputFormatError, match="header"):
        wordlab.load(path)


@pytest.mark.parametrize("name", ["e.txt", "e.bin"])
def test_invalid_utf8_word(tmp_path, name):
    bad = b"caf\xe9"  # latin-1
    if name.endswith(".bin"):
        path = tmp_path / name
        path.write_bytes(b"2 2\n" + b"ok " + np.ones(2, "<f4").tobytes() + b"\n"
                         + bad + b" " + np.ones(2, "<f4").tobytes() + b"\n")
    else:
        path = tmp_path / name
        path.write_bytes(b"2 2\nok 1 1\n" + bad + b" 1 1\n")
    with pytest.raises(InputFormatError, match=r"UTF-8.*unicode_errors='replace'"):
        wordlab.load(path)
    e = wordlab.load(path, unicode_errors="replace")
    assert e.words == ["ok", "caf\ufffd"]
    np.testing.assert_array_equal(e["caf\ufffd"], [1, 1])


def test_text_invalid_utf8_error_names_line(tmp_path):
    path = tmp_path / "e.txt"
    path.write_bytes(b"3 2\nok 1 1\nfine 2 2\n\xff\xfe 1 1\n")
    with pytest.raises(InputFormatError, match=r"line 4"):
        wordlab.load(path)


def test_repeated_words_in_text_file(tmp_path):
    path = write_lines(tmp_path / "e.txt", ["4 2", "a 1 2", "b 3 4", "a 5 6", "c 7 8"])
    with pytest.warns(UserWarning, match=r"1 repeated word.*'a'"):
        e = wordlab.load(path)
    assert e.words == ["a", "b", "c"]
    np.testing.assert_array_equal(e.vectors, [[1, 2], [3, 4], [7, 8]])
    assert e.meta["duplicates_dropped"] == 1


def test_repeated_words_in_binary_file(tmp_path):
    v = np.arange(8, dtype=np.float32).reshape(4, 2)
    path = write_c_binary(tmp_path / "e.bin", ["a", "b", "b", "c"], v)
    with pytest.warns(UserWarning, match="'b'"):
        e = wordlab.load(path)
    assert e.words == ["a", "b", "c"]
    np.testing.assert_array_equal(e["b"], [2, 3])
    np.testing.assert_array_equal(e["c"], [6, 7])


def test_no_warning_without_repeats(tmp_path):
    path = write_lines(tmp_path / "e.txt", ["2 2", "a 1 2", "b 3 4"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wordlab.load(path).words == ["a", "b"]


# -- broken stores ----------------------------------------------------------------------
@pytest.fixture()
def store(tmp_path):
    return Embeddings(["a", "b", "c"], np.arange(6, dtype=np.float32).reshape(3, 2), [3, 2, 1]).save(
        tmp_path / "store")


@pytest.mark.parametrize("missing", ["vocab.tsv", "vectors.npy", "meta.json"])
def test_store_missing_file(store, missing):
    (store / missing).unlink()
    with pytest.raises(StoreError, match=missing):
        wordlab.load(store)
    with pytest.raises(StoreError, match=missing):
        Embeddings.open(store)


def test_open_not_a_directory(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(StoreError):
        Embeddings.open(f)


def test_store_dim_mismatch(store):
    meta = json.loads((store / "meta.json").read_text())
    meta["dim"] = 3
    (store / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="dim 3.*2"):
        wordlab.load(store)


def test_store_bad_meta_json(store):
    (store / "meta.json").write_text("{not json")
    with pytest.raises(StoreError, match="meta.json"):
        wordlab.load(store)


def test_store_wrong_dtype(store):
    np.save(store / "vectors.npy", np.zeros((3, 2), dtype=np.float64))
    with pytest.raises(StoreError, match="float32"):
        wordlab.load(store)


def test_store_vocab_shorter_than_vectors(store):
    (store / "vocab.tsv").write_text("a\t3\nb\t2\n", encoding="utf-8")
    e = wordlab.load(store)  # opening does not read the vocabulary
    assert len(e) == 3
    with pytest.raises(StoreError, match=r"2 lines for 3 vectors"):
        e.words
    with pytest.raises(StoreError):
        "a" in e


def test_store_vocab_bad_count(store):
    (store / "vocab.tsv").write_text("a\t3\nb\tmany\nc\t1\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"line 2.*'many'"):
        wordlab.load(store).words


def test_store_vocab_duplicate_word(store):
    (store / "vocab.tsv").write_text("a\t3\nb\t2\na\t1\n", encoding="utf-8")
    e = wordlab.load(store)
    assert e.words == ["a", "b", "a"]
    with pytest.raises(StoreError, match="duplicate word 'a'"):
        e.index_of("b")


# -- damaged, truncated and lying files ---------------------------------------------------
def _load_error(path, **kwargs) -> str:
    with pytest.raises(InputFormatError) as info:
        wordlab.load(path, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("name", ["e.txt", "e.vec", "g.txt", "e.txt.gz"])
def test_text_file_cut_inside_its_last_number_warns(tmp_path, name):
    # "0.123456789" cut to "0.1234" still parses: only the missing newline tells
    fmt = "glove" if name.startswith("g") else "word2vec"
    v = np.full((3, 2), 0.123456789, dtype=np.float32)
    data = Embeddings(["a", "b", "c"], v).save(tmp_path / "full", format=fmt).read_bytes()[:-6]
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    last = 3 if fmt == "glove" else 4
    with pytest.warns(wordlab.errors.WordlabWarning,
                      match=rf"{re.escape(name)}, line {last}: .*does not end with a newline.*truncated"):
        e = wordlab.load(path)
    assert e.words == ["a", "b", "c"]


def test_text_file_ending_in_blank_space_does_not_warn(tmp_path):
    path = tmp_path / "e.txt"
    path.write_bytes(b"2 2\na 1 2\nb 3 4\n  ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wordlab.load(path).words == ["a", "b"]


@pytest.mark.parametrize("name, fmt", [("e.txt", "word2vec"), ("e.vec", "word2vec"), ("g.txt", "glove"),
                                       ("e.bin", "word2vec-bin"), ("e.txt.gz", "word2vec")])
def test_byte_order_mark_is_skipped(tmp_path, name, fmt):
    words = ascii_words(20) + UNICODE_WORDS
    v = hard_vectors(len(words), 5, seed=12)
    data = b"\xef\xbb\xbf" + Embeddings(words, v).save(tmp_path / "plain", format=fmt).read_bytes()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    back = wordlab.load(path)
    assert back.words == words
    np.testing.assert_array_equal(_bits(back.vectors), _bits(v))


@pytest.mark.parametrize("header, fragment", [
    ("100000000000000000000 2", "absurd"),
    ("3 1000000000000", r"dimension 1,000,000,000,000 is above"),
    ("3 1000001", "is above the 1,000,000"),
    ("3 0", "dimension 0"),
])
@pytest.mark.parametrize("binary", [False, True])
def test_absurd_headers_are_refused_before_reading(tmp_path, header, fragment, binary):
    path = tmp_path / ("e.bin" if binary else "e.txt")
    rows = (b"a " + np.ones(2, "<f4").tobytes() + b"\n") if binary else b"a 1 2\n"
    path.write_bytes(header.encode() + b"\n" + rows * 3)
    msg = _load_error(path)
    assert re.search(rf"{re.escape(path.name)}, line 1: .*{fragment}", msg), msg


@pytest.mark.parametrize("binary", [False, True])
def test_a_lying_row_count_costs_no_memory(tmp_path, binary):
    # 10^17 rows of 1,000 dims would be 400 PB: the rows found decide, nothing is allocated
    path = tmp_path / ("e.bin" if binary else "e.txt")
    rows = (b"a " + np.ones(1000, "<f4").tobytes()) if binary else b"a " + b" ".join([b"1"] * 1000) + b"\n"
    path.write_bytes(b"100000000000000000 1000\n" + rows)
    msg = _load_error(path)
    assert path.name in msg and re.search(r"row 2 of 100000000000000000|declares 100000000000000000 vectors"
                                          r" but the file ends after 1", msg), msg


@pytest.mark.parametrize("value", ["1e39", "-1e39", "3.5e38"])
def test_values_beyond_float32_warn(tmp_path, value):
    path = write_lines(tmp_path / "e.txt", ["3 2", "a 1 2", f"b 3 {value}", "c 5 6"])
    with pytest.warns(wordlab.errors.WordlabWarning, match=r"e\.txt, line 3: 1 value.*NaN or infinite"):
        e = wordlab.load(path)
    assert np.isinf(e["b"][1])


def test_nan_and_infinity_literals_warn(tmp_path):
    path = write_lines(tmp_path / "g.txt", ["a 1 2", "b nan 4", "c inf -inf"])
    with pytest.warns(wordlab.errors.WordlabWarning, match=r"g\.txt, line 2: 3 value"):
        e = wordlab.load(path)
    assert np.isnan(e["b"][0]) and np.isinf(e["c"]).all()
    binary = Embeddings(["a", "b"], [[1, np.nan], [2, 3]]).save(tmp_path / "n.bin", format="word2vec-bin",
                                                                 allow_nonfinite=True)
    with pytest.warns(wordlab.errors.WordlabWarning, match=r"n\.bin: row 1 \(byte offset 4\): 1 value"):
        wordlab.load(binary)


@pytest.mark.parametrize("data, fragment", [
    (b"2 2\na 1 2\n 3 4\n", r"line 3: empty word"),
    (b"2 2\na 1 2\nb\tc 3 4\n", r"line 3: word 'b\\tc' holds a tab"),
])
def test_words_a_store_cannot_hold_are_refused(tmp_path, data, fragment):
    path = tmp_path / "e.txt"
    path.write_bytes(data)
    assert re.search(fragment, _load_error(path))


@pytest.mark.parametrize("word", [b"", b"a\tb", b"a\rb"])
def test_binary_words_a_store_cannot_hold_are_refused(tmp_path, word):
    path = tmp_path / "e.bin"
    path.write_bytes(b"2 2\nok " + np.ones(2, "<f4").tobytes() + b"\n" + word + b" " + np.ones(2, "<f4").tobytes())
    msg = _load_error(path)
    assert re.search(r"e\.bin: row 2 \(byte offset 15\): (empty word|word .* holds a tab or line break)", msg), msg


def test_binary_without_word_separator(tmp_path):
    path = tmp_path / "e.bin"
    path.write_bytes(b"1 2\n" + b"x" * 70_000)
    assert re.search(r"e\.bin: row 1 of 1 declared \(byte offset 4\): no space", _load_error(path))


COMPRESSORS = {".gz": gzip.compress, ".bz2": __import__("bz2").compress, ".xz": __import__("lzma").compress}


@pytest.mark.parametrize("suffix", list(COMPRESSORS))
@pytest.mark.parametrize("name, fmt", [("e.txt", "word2vec"), ("e.bin", "word2vec-bin")])
@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_damaged_compressed_vector_file_names_file_and_offset(tmp_path, suffix, name, fmt, damage):
    words = ascii_words(2000)
    data = Embeddings(words, hard_vectors(2000, 8, seed=13)).save(tmp_path / "plain", format=fmt).read_bytes()
    packed = COMPRESSORS[suffix](data)
    packed = packed[: len(packed) // 2] if damage == "truncated" else \
        packed[:len(packed) // 2] + bytes(64) + packed[len(packed) // 2 + 64:]
    path = tmp_path / (name + suffix)
    path.write_bytes(packed)
    msg = _load_error(path)
    assert path.name in msg and re.search(r"decompressed byte offset \d+", msg), msg
    if damage == "truncated":
        assert "truncated" in msg


def test_invalid_unicode_errors_handler_is_a_parameter_error(tmp_path):
    path = write_lines(tmp_path / "e.txt", ["1 2", "a 1 2"])
    with pytest.raises(wordlab.errors.ParameterError):
        formats.read_text_vectors(path, tmp_path / "v.npy", unicode_errors="bogus")


# -- more broken stores ---------------------------------------------------------------------
def _store_error(store, touch=lambda e: None) -> str:
    with pytest.raises(StoreError) as info:
        touch(wordlab.load(store))
    return str(info.value)


@pytest.mark.parametrize("content, fragment", [
    (b"[1, 2]", "expected a JSON object, found list"),
    (b'"store"', "expected a JSON object, found str"),
    (b"", "not valid JSON"),
    (b'{"dim": 2', "not valid JSON"),
    (b'{"dim": "\xff"}', "not valid UTF-8"),
    (b"[" * 100_000, "not valid JSON"),
])
def test_store_meta_json_must_be_an_object(store, content, fragment):
    (store / "meta.json").write_bytes(content)
    msg = _store_error(store)
    assert "meta.json" in msg and fragment in msg, msg


def test_store_meta_json_with_byte_order_mark(store):
    meta = (store / "meta.json").read_bytes()
    (store / "meta.json").write_bytes(b"\xef\xbb\xbf" + meta)
    assert wordlab.load(store).words == ["a", "b", "c"]


def _npy_bytes(array) -> bytes:
    fh = io.BytesIO()
    np.save(fh, array)
    return fh.getvalue()


@pytest.mark.parametrize("make, fragment", [
    (lambda good: b"", "an empty file"),
    (lambda good: good[:5], "not a valid .npy file"),
    (lambda good: good[:100], "not a valid .npy file"),
    (lambda good: good[:-4], "truncated"),
    (lambda good: good[:128], "truncated"),
    (lambda good: good.replace(b"(3, 2)", b"(9, 2)"), r"declares shape \(9, 2\).*truncated"),
    (lambda good: good.replace(b"(3, 2)", b"(3, 2, 1)"), "2-D float32"),
    (lambda good: good.replace(b"(3, 2)", b"(6,)  "), "2-D float32"),
    (lambda good: good.replace(b"'<f4'", b"'>f4'"), "2-D float32"),
    (lambda good: good.replace(b"'<f4'", b"'|O' "), "2-D float32"),
    (lambda good: good.replace(b"False", b"True "), "Fortran order"),
    (lambda good: good.replace(b"'shape'", b"'shapo'"), "not a valid .npy file"),
    (lambda good: good.replace(b"{", b"[", 1), "not a valid .npy file"),
    (lambda good: b"PK\x03\x04" + good[4:], "not a valid .npy file"),
    (lambda good: _npy_bytes(np.zeros(6, np.float32)), "2-D float32"),
    (lambda good: _npy_bytes(np.zeros((3, 0), np.float32)), "invalid shape"),
])
def test_store_vectors_npy_is_checked_against_its_size(store, make, fragment):
    npy = store / "vectors.npy"
    npy.write_bytes(make(npy.read_bytes()))
    msg = _store_error(store)
    assert "vectors.npy" in msg and re.search(fragment, msg), msg


def test_store_vectors_npy_with_bytes_after_the_array_warns(store):
    with open(store / "vectors.npy", "ab") as fh:
        fh.write(b"\0" * 8)
    with pytest.warns(wordlab.errors.WordlabWarning, match=r"vectors\.npy: 8 bytes after"):
        e = wordlab.load(store)
    np.testing.assert_array_equal(e.vectors, np.arange(6).reshape(3, 2))


@pytest.mark.parametrize("content, fragment", [
    (b"a\t3\nb\t2\n", r"2 lines for 3 vectors"),
    (b"a\t3\nb\t2\nc\t1\nd\t0\n", r"4 lines for 3 vectors"),
    (b"a\t3\n\nb\t2\n", r"line 2: expected 'word<TAB>count'"),
    (b"a\t3\t9\n3\nc\t1\n", r"line 1: expected 'word<TAB>count'"),     # would shift every word after
    (b"a\t3\nb\t2\n\t1\n", r"line 3: empty word"),
    (b"a\t3\nb\t99999999999999999999\nc\t1\n", r"line 2: count '99999999999999999999' is not a non-negative"),
    (b"a\t3\nb\t-2\nc\t1\n", r"line 2: count '-2'"),
    (b"a\t3\nb\t2.5\nc\t1\n", r"line 2: count '2.5'"),
    (b"a\t3\nb\xff\t2\nc\t1\n", r"line 2: not valid UTF-8 .*byte offset 5"),
])
def test_store_vocab_tsv_is_checked(store, content, fragment):
    (store / "vocab.tsv").write_bytes(content)
    msg = _store_error(store, lambda e: e.words)
    assert "vocab.tsv" in msg and re.search(fragment, msg), msg


@pytest.mark.parametrize("content", [b"\xef\xbb\xbfa\t3\nb\t2\nc\t1\n", b"a\t3\r\nb\t2\r\nc\t1\r\n",
                                     b"a\t3\nb\t2\nc\t1"])
def test_store_vocab_tsv_byte_order_mark_crlf_and_no_final_newline(store, content):
    (store / "vocab.tsv").write_bytes(content)
    e = wordlab.load(store)
    assert e.words == ["a", "b", "c"] and e.counts.tolist() == [3, 2, 1]


# -- the format told by the content, the name a hint (issue 24) ------------------------------------
def test_the_content_tells_the_format_whatever_the_name(tmp_path):
    rng = np.random.default_rng(0)
    emb = wordlab.Embeddings([f"w{i}" for i in range(50)], rng.standard_normal((50, 7)).astype(np.float32))
    cases = {"x.word2vec-bin": "word2vec-bin", "binary.txt": "word2vec-bin", "text.bin": "word2vec",
             "glove.bin": "glove", "plain.vectors": "word2vec"}
    for name, fmt in cases.items():
        path = emb.save(tmp_path / name, format=fmt)
        back = wordlab.load(path)
        assert back.words == emb.words, name
        np.testing.assert_allclose(np.asarray(back.vectors), np.asarray(emb.vectors), atol=1e-5, err_msg=name)


def test_a_fasttext_model_is_known_by_its_magic_number(tmp_path):
    from wordlab.store.sniff import guess_format
    from wordlab.trainers import FastText
    store = FastText(dim=6, epochs=1, workers=1, bucket=200, min_count=1, progress=False).fit(
        [["walk", "walks", "walked"], ["talk", "talks"]] * 10, tmp_path / "ft")
    path = store.save(tmp_path / "model.weights", format="fasttext-bin")
    assert guess_format(path) == "fasttext-bin"
    assert wordlab.load(path).words == store.words


def test_errors_name_the_format_the_file_was_read_as(tmp_path):
    path = write_lines(tmp_path / "e.vec", ["a 1 2 3", "b 1 2 3"])
    with pytest.raises(InputFormatError, match=r"read as word2vec text; format=\.\.\. / --from"):
        wordlab.load(path)
