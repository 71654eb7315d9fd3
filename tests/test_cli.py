"""Tests of the ``wordlab`` command line (click), run in-process with CliRunner."""
from __future__ import annotations

import re

import numpy as np
import pytest

import wordlab
from wordlab import Embeddings
from wordlab.cli.main import cli


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "cache"))


def run(runner, *args):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture()
def emb():
    rng = np.random.default_rng(42)
    words = [f"w{i}" for i in range(60)] + ["kʼehjígo", "ශ්‍රී"]
    vectors = rng.standard_normal((len(words), 10)).astype(np.float32)
    return Embeddings(words, vectors, counts=np.arange(len(words), 0, -1), meta={"method": "test"})


@pytest.fixture()
def store(tmp_path, emb):
    return emb.save(tmp_path / "store")


def assert_one_error_line(result, *fragments):
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error:"), result.output
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in lines[0], (f, lines[0])


def test_help_lists_commands(runner):
    result = run(runner, "--help")
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1]
    for name in ("convert", "corpus", "info", "neighbors", "train"):
        assert re.search(rf"^\s+{name}\b", commands, re.M), name
    sub = run(runner, "corpus", "--help")
    assert sub.exit_code == 0
    assert "stats" in sub.output and "encode" in sub.output


def test_version(runner):
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert wordlab.__version__ in result.output


def test_info(runner, store, emb):
    result = run(runner, "info", store)
    assert result.exit_code == 0, result.output
    fields = dict(re.findall(r"^([\w ]+):\s+(.*)$", result.output, re.M))
    assert fields["words"] == str(len(emb))
    assert fields["dim"] == "10"
    assert fields["method"] == "test"
    assert fields["wordlab_version"] == wordlab.__version__
    assert fields["first words"] == " ".join(emb.words[:10]) + " ..."


def test_info_on_word2vec_file(runner, tmp_path, emb):
    path = emb.save(tmp_path / "e.bin", format="word2vec-bin")
    result = run(runner, "info", path)
    assert result.exit_code == 0, result.output
    assert re.search(r"^words:\s+62$", result.output, re.M)
    assert re.search(r"^dim:\s+10$", result.output, re.M)
    assert re.search(rf"^source_file:\s+{re.escape(str(path.resolve()))}$", result.output, re.M)


def _parse_neighbors(output):
    blocks, current = {}, None
    for line in output.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            blocks[current] = []
        else:
            rank, sim, word = line.split()
            blocks[current].append((int(rank), float(sim), word))
    return blocks


def test_neighbors(runner, store, emb):
    result = run(runner, "neighbors", store, "w1", "--topn", "3")
    assert result.exit_code == 0, result.output
    blocks = _parse_neighbors(result.output)
    assert list(blocks) == ["w1"]
    expected = emb.most_similar("w1", topn=3)
    assert [r for r, _, _ in blocks["w1"]] == [1, 2, 3]
    assert [w for _, _, w in blocks["w1"]] == [w for w, _ in expected]
    np.testing.assert_allclose([s for _, s, _ in blocks["w1"]], [s for _, s in expected], atol=5e-5)


def test_neighbors_several_words_and_restrict(runner, store, emb):
    result = run(runner, "neighbors", store, "w5", "kʼehjígo", "--topn", "4", "--restrict-vocab", "20")
    assert result.exit_code == 0, result.output
    blocks = _parse_neighbors(result.output)
    assert list(blocks) == ["w5", "kʼehjígo"]
    for q in blocks:
        exp = emb.most_similar(q, topn=4, restrict_vocab=20)
        assert [w for _, _, w in blocks[q]] == [w for w, _ in exp]
        assert all(emb.index_of(w) < 20 for _, _, w in blocks[q])


def test_neighbors_unknown_word(runner, store):
    result = run(runner, "neighbors", store, "nosuchword")
    assert_one_error_line(result, "'nosuchword'")
    result = run(runner, "neighbors", store, "w1", "nosuchword")       # the others are still answered
    assert result.exit_code == 0 and "word 'nosuchword' is not in" in result.output and "  1  " in result.output


def test_neighbors_unknown_word_debug_raises(runner, store):
    with pytest.raises(KeyError):
        run(runner, "--debug", "neighbors", store, "nosuchword")


def test_convert_bin_to_word2vec_text(runner, tmp_path, emb):
    from gensim.models import KeyedVectors
    src = emb.save(tmp_path / "in.bin", format="word2vec-bin")
    out = tmp_path / "out.txt"
    result = run(runner, "convert", src, out, "--to", "word2vec")
    assert result.exit_code == 0, result.output
    assert "62 x 10" in result.output
    kv = KeyedVectors.load_word2vec_format(str(out), binary=False)
    assert kv.index_to_key == emb.words
    np.testing.assert_array_equal(kv.vectors, emb.vectors)


@pytest.mark.parametrize("to, name", [("store", "out"), ("word2vec-bin", "out.bin"), ("glove", "out.txt")])
def test_convert_other_formats(runner, tmp_path, emb, to, name):
    src = emb.save(tmp_path / "in.txt", format="word2vec")
    out = tmp_path / name
    result = run(runner, "convert", src, out, "--to", to)
    assert result.exit_code == 0, result.output
    back = wordlab.load(out)
    assert back.words == emb.words
    np.testing.assert_array_equal(back.vectors, emb.vectors)


def test_convert_bad_input_one_error_line(runner, tmp_path):
    src = tmp_path / "bad.txt"
    src.write_text("3 2\na 1 2\nb 1\nc 1 2\n", encoding="utf-8")
    result = run(runner, "convert", src, tmp_path / "out.txt", "--to", "word2vec")
    assert_one_error_line(result, "bad.txt", "line 3")
    assert not (tmp_path / "out.txt").exists()


def test_convert_invalid_utf8(runner, tmp_path):
    src = tmp_path / "bad.txt"
    src.write_bytes(b"1 2\ncaf\xe9 1 2\n")
    assert_one_error_line(run(runner, "convert", src, tmp_path / "o.txt", "--to", "word2vec"), "UTF-8")
    result = run(runner, "convert", src, tmp_path / "o.txt", "--to", "word2vec", "--unicode-errors", "replace")
    assert result.exit_code == 0, result.output
    assert wordlab.load(tmp_path / "o.txt").words == ["caf\ufffd"]


def test_corpus_stats(runner, tmp_path):
    text = tmp_path / "c.txt"
    # 6 + 3 + 4 tokens; the: 4, cat: 2, sat: 2, on, mat, dog, a, end: 1 -> 13 tokens, 8 types
    text.write_text("The cat sat on the mat.\nThe dog sat.\n\nA cat, the end\n", encoding="utf-8")
    result = run(runner, "corpus", "stats", text, "--min-counts", "1,2,5")
    assert result.exit_code == 0, result.output
    assert re.search(r"^files:\s+1$", result.output, re.M)
    assert re.search(r"^tokens:\s+13$", result.output, re.M), result.output
    assert re.search(r"^types:\s+8$", result.output, re.M), result.output
    rows = {int(m): (int(t), int(k)) for m, t, k in
            re.findall(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+%", result.output, re.M)}
    # min_count 2 keeps the, cat, sat: 3 types, 8 tokens; 5 keeps nothing
    assert rows == {1: (8, 13), 2: (3, 8), 5: (0, 0)}


def test_corpus_stats_unicode(runner, tmp_path):
    text = tmp_path / "nv.txt"
    text.write_text("Yáʼátʼééh kʼehjígo yáʼátʼééh\nශ්‍රී ලංකා\n", encoding="utf-8")
    result = run(runner, "corpus", "stats", text, "--min-counts", "1")
    assert result.exit_code == 0, result.output
    assert re.search(r"^tokens:\s+5$", result.output, re.M), result.output
    assert re.search(r"^types:\s+4$", result.output, re.M), result.output


def test_missing_files(runner, tmp_path):
    missing = tmp_path / "missing.txt"
    assert_one_error_line(run(runner, "corpus", "stats", missing), "missing.txt")
    assert_one_error_line(run(runner, "info", tmp_path / "nostore"), "nostore", "does not exist")
    assert_one_error_line(run(runner, "neighbors", tmp_path / "nostore", "w1"), "nostore")
    assert_one_error_line(run(runner, "convert", missing, tmp_path / "o.txt"), "missing.txt")


def test_broken_store_one_error_line(runner, store):
    (store / "vocab.tsv").unlink()
    assert_one_error_line(run(runner, "info", store), "vocab.tsv")


def test_usage_error_exit_code(runner, store):
    result = run(runner, "neighbors", store)  # WORDS is required
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_neighbors_repeated_query_word(runner, store, emb):
    # a word asked twice is answered once, with its topn neighbours listed once
    result = run(runner, "neighbors", store, "w1", "w1", "--topn", "2")
    assert result.exit_code == 0, result.output
    headings = [line for line in result.output.splitlines() if not line.startswith(" ")]
    rows = [line.split() for line in result.output.splitlines() if line.startswith(" ")]
    assert headings == ["w1:"]
    expected = [w for w, _ in emb.most_similar("w1", topn=2)]
    assert [r[0] for r in rows] == ["1", "2"]
    assert [r[2] for r in rows] == expected


def test_convert_non_numeric_value_one_error_line(runner, tmp_path):
    src = tmp_path / "nan.txt"
    src.write_text("2 2\na 1 x\nb 1 2\n", encoding="utf-8")
    result = run(runner, "convert", src, tmp_path / "out.txt", "--to", "word2vec")
    assert_one_error_line(result, "nan.txt", "line 2")


@pytest.mark.parametrize("method,options,dim", [
    ("glove", ["--dim", 8, "--window", 3, "--epochs", 2, "--x-max", 10, "--output", "concat"], 16),
    ("pu", ["--dim", 6, "--window", 3, "--epochs", 2, "--rho", 0.1, "--lam", 0.01], 6),
    ("bitcipher", ["--bits", 16, "--mode", "concat", "--window", 2], 64)])
def test_train_cooccurrence_methods_on_the_embedded_corpus(runner, tmp_path, method, options, dim):
    out = tmp_path / method
    result = run(runner, "train", "--method", method, *options, "-o", out, "--no-progress")
    assert result.exit_code == 0, result.output
    emb = wordlab.load(out)
    assert emb.meta["method"] == method and emb.dim == dim
    assert f"dim {dim}" in result.output


def test_train_refuses_options_of_other_methods(runner, tmp_path):
    result = runner.invoke(cli, ["train", "--method", "glove", "--negative", "3", "-o", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "--negative does not apply to --method glove" in result.output
    result = runner.invoke(cli, ["train", "--method", "bitcipher", "--bits", "4", "-o", str(tmp_path / "y")])
    assert result.exit_code != 0 and "bits >=" in result.output
    assert not (tmp_path / "y").exists()


def test_train_hybrid_from_the_command_line(runner, tmp_path):
    out = tmp_path / "hybrid"
    result = run(runner, "train", "--method", "hybrid", "--dim", 9, "--cbow-dim", 5, "--negative", 3, "-o", out,
                 "--epochs", 2, "--hybrid-objective", "joint", "--cmow-warmup-epochs", 1, "--no-progress")
    assert result.exit_code == 0, result.output
    emb = wordlab.load(out)
    assert emb.dim == 14 and emb.meta["encoder"] == {"type": "hybrid", "cbow_dim": 5, "cmow_k": 3}
    assert emb.meta["params"]["cmow_warmup_epochs"] == 1
    assert emb.meta["params"]["hybrid_objective"] == "joint"
    assert [h["phase"] for h in emb.meta["history"]] == ["cmow warm-up", "both halves"]
    result = runner.invoke(cli, ["train", "--method", "cmow", "--dim", "9", "--epochs", "2", "--cmow-warmup-epochs", "1",
                                 "-o", str(tmp_path / "warm")])
    assert result.exit_code == 2 and "--cmow-warmup-epochs does not apply to --method cmow" in result.output
    result = runner.invoke(cli, ["train", "--method", "hybrid", "--hybrid-objective", "both", "-o", str(tmp_path / "x")])
    assert result.exit_code != 0 and "residual" in result.output
    result = runner.invoke(cli, ["train", "--method", "cmow", "--hybrid-objective", "joint", "-o", str(tmp_path / "y")])
    assert result.exit_code != 0 and "does not apply to --method cmow" in result.output
    result = runner.invoke(cli, ["train", "--method", "cmow", "--dim", "10", "-o", str(tmp_path / "bad")])
    assert result.exit_code != 0 and "perfect square" in result.output


def test_small_things_a_new_user_meets(runner, tmp_path, emb):
    """Issue 24, item 11: errors about an imported file name that file, not its cache copy;
    a figure's folder is made; the training summary's sample words may be Sinhala."""
    from wordlab.cli.train import _is_word
    a = emb.save(tmp_path / "a.bin", format="word2vec-bin")
    b = emb.save(tmp_path / "b.txt", format="word2vec-bin")          # the same content, another name
    for path in (a, b):
        r = run(runner, "neighbors", path, "nosuchword")
        assert_one_error_line(r, f"the vocabulary of {path}")
    r = run(runner, "plot", "projection", tmp_path / "store-not-here", "w1", "-o", tmp_path / "new" / "p.png")
    assert r.exit_code == 1                                       # (no store: an error, no folder made)
    emb.save(tmp_path / "s")
    r = run(runner, "plot", "projection", tmp_path / "s", "w1", "w2", "w3", "-o", tmp_path / "new" / "sub" / "p.png")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "new" / "sub" / "p.png").stat().st_size > 0
    assert all(_is_word(w) for w in ("ලිංගිකත්වය", "dinilbá", "kʼehjígo", "don't"))
    assert not any(_is_word(w) for w in ("1990", "x-y", "3rd"))
