"""Product quantisation with a head: the most frequent rows coded finer by a quantiser of
their own (``head_subspaces``, ``head_rows``): codes, search, defaults, faults."""
from __future__ import annotations

import numpy as np
import pytest

import wordlab
from wordlab import Embeddings
from wordlab.cli.main import cli
from wordlab.errors import ParameterError, StoreError
from wordlab.store.compress import HEAD_TOKEN_SHARE, default_head_rows

DIM = 24


def store_of(tmp_path, x, name="base", counts="zipf"):
    words = [f"w{i}" for i in range(x.shape[0])]
    if isinstance(counts, str):
        counts = (100_000 / np.arange(1, len(words) + 1)).astype(np.int64) + 1
    return wordlab.load(Embeddings(words, x, counts=counts).save(tmp_path / name))


def planted_tiers(head: int = 1200, tail: int = 1800, Mh: int = 12, M: int = 4, K: int = 16, seed: int = 0):
    """Head rows made of K planted points in each of Mh subspaces, tail rows of K planted
    points in each of M: each side's own quantiser recovers its rows exactly, and neither
    could code the other side's (a tail codebook of M subspaces cannot hold the head's
    K^Mh combinations)."""
    rng = np.random.default_rng(seed)

    def rows(n, m):
        points = rng.normal(size=(m, K, DIM // m)).astype(np.float32) * 3
        return points[np.arange(m)[None, :], rng.integers(0, K, size=(n, m))].reshape(n, DIM)
    return np.vstack([rows(head, Mh), rows(tail, M)]).astype(np.float32)


@pytest.fixture()
def varied(tmp_path):
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(30, DIM))
    x = (centres[rng.integers(0, 30, 3000)] + 0.6 * rng.normal(size=(3000, DIM))).astype(np.float32)
    return store_of(tmp_path, x)


def test_each_side_of_the_head_recovers_its_planted_codebook(tmp_path):
    x = planted_tiers()
    base = store_of(tmp_path, x)
    packed = base.compress(tmp_path / "pq", "pq", subspaces=4, bits=4, head_subspaces=12, head_rows=1200,
                           progress=False)
    np.testing.assert_array_equal(np.asarray(packed.vectors), x)
    assert packed.compression["error"]["relative_squared_error"] < 1e-10
    assert packed.compression["head_rows"] == 1200 and packed.compression["head_subspaces"] == 12
    # the files: M codes a row, and the head's other Mh - M codes apart
    assert np.load(tmp_path / "pq" / "vectors.npy").shape == (3000, 4)
    assert np.load(tmp_path / "pq" / "head_codes.npy").shape == (1200, 8)
    assert np.load(tmp_path / "pq" / "head_quantizer.npy").shape == (12, 16, 2)
    # without a head the same budget a row cannot code the head's rows
    plain = base.compress(tmp_path / "plain", "pq", subspaces=4, bits=4, progress=False)
    assert np.abs(np.asarray(plain.vectors[:1200]) - x[:1200]).max() > 0.5


def test_a_head_row_decodes_from_its_two_code_arrays(varied, tmp_path):
    packed = varied.compress(tmp_path / "pq", "pq", subspaces=4, head_subspaces=12, head_rows=1000, rotate=True,
                             progress=False)
    p = packed.vectors.params
    codes = np.asarray(packed.vectors.codes)
    full = np.concatenate([codes[:1000], np.asarray(p["head_codes"])], axis=1).astype(np.intp)
    head = np.asarray(p["head_quantizer"])[np.arange(12)[None, :], full].reshape(1000, DIM)
    np.testing.assert_allclose(np.asarray(packed.vectors[:1000]), head @ np.asarray(p["head_rotation"]).T,
                               rtol=1e-5, atol=1e-5)
    tail = np.asarray(p["quantizer"])[np.arange(4)[None, :], codes[1000:].astype(np.intp)].reshape(2000, DIM)
    np.testing.assert_allclose(np.asarray(packed.vectors[1000:]), tail @ np.asarray(p["rotation"]).T,
                               rtol=1e-5, atol=1e-5)
    x = np.asarray(varied.vectors, dtype=np.float64)
    err = ((x - np.asarray(packed.vectors)) ** 2).sum(axis=1) / (x ** 2).sum(axis=1)
    assert err[:1000].mean() < err[1000:].mean() / 3, (err[:1000].mean(), err[1000:].mean())


@pytest.mark.parametrize("kw", [{}, {"rotate": True}, {"norm": True}, {"rotate": True, "norm": True}])
def test_asymmetric_distances_equal_decoded_dot_products_across_the_head(varied, tmp_path, kw):
    packed = varied.compress(tmp_path / "pq", "pq", subspaces=6, head_subspaces=12, head_rows=1000,
                             progress=False, **kw)
    m = packed.vectors
    directions = np.asarray(m.method._directions(m.codes, m.params, slice(None)))
    decoded = np.asarray(m)
    if not kw.get("norm"):
        np.testing.assert_allclose(directions, decoded, rtol=1e-6, atol=1e-6)
    q = np.random.default_rng(2).normal(size=(4, DIM)).astype(np.float32)
    for start, stop in ((0, 3000), (900, 1100), (0, 1000), (1000, 3000), (10, 20), (2000, 2500),
                        (901, 1100), (999, 1002), (3, 4), (1001, 2998)):     # odd ends: rows are scored in pairs
        np.testing.assert_allclose(m.block_dot(q, start, stop), q @ directions[start:stop].T, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(m.search_norms, np.linalg.norm(directions, axis=1), rtol=1e-5, atol=1e-6)
    # every way of asking for rows: a row, a negative row, a list across the head, a slice, a mask
    for key in (5, 999, 1000, -1, [999, 1000, 3, 2999], slice(995, 1005), np.arange(3000) % 997 == 0):
        np.testing.assert_allclose(m[key], decoded[key], rtol=1e-6, atol=1e-6)
    unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    np.testing.assert_allclose(packed.unit_vectors[[998, 1001]], unit[[998, 1001]], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("head", [False, True])
def test_scores_do_not_depend_on_the_threads(varied, tmp_path, monkeypatch, head):
    """A call split over threads (here into as many parts as rows allow) gives the same
    float32 scores, to the bit, as one thread: every part runs the same kernel, with the
    same order of additions."""
    from wordlab import _threads
    from wordlab.store import scoring
    kw = {"head_subspaces": 12, "head_rows": 1001} if head else {}
    for method, extra in (("pq", {"subspaces": 6, **kw}), ("float16", {}), ("int8", {})):
        if head and method != "pq":
            continue
        m = varied.compress(tmp_path / f"{method}{head}", method, progress=False, **extra).vectors
        q = np.random.default_rng(4).normal(size=(3, DIM)).astype(np.float32)
        monkeypatch.setattr(scoring, "ADC_LOOKUPS_PER_THREAD", 1 << 40)
        ranges = ((0, 3000), (999, 1004), (7, 2999))
        one = [m.block_dot(q, a, b) for a, b in ranges]
        monkeypatch.setattr(scoring, "ADC_LOOKUPS_PER_THREAD", 1)
        monkeypatch.setattr(_threads, "default_workers", lambda: 7)
        for (a, b), want in zip(ranges, one):
            np.testing.assert_array_equal(m.block_dot(q, a, b), want)
        monkeypatch.undo()


def test_search_is_exact_over_the_decoded_vectors(varied, tmp_path):
    packed = varied.compress(tmp_path / "pq", "pq", subspaces=6, head_subspaces=12, head_rows=1500, rotate=True,
                             progress=False)
    decoded = Embeddings(packed.words, np.asarray(packed.vectors))
    for word in ("w0", "w1499", "w1500", "w2999"):
        got, want = packed.most_similar(word, topn=8), decoded.most_similar(word, topn=8)
        assert [w for w, _ in got] == [w for w, _ in want]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=2e-5)
    assert packed.analogy("w1", "w2000", "w3", topn=3) [0][0] == decoded.analogy("w1", "w2000", "w3")[0][0]
    table = packed.neighbors(["w4", "w2009"], topn=4, restrict_vocab=2000)
    assert list(table["word"]) == list(decoded.neighbors(["w4", "w2009"], topn=4, restrict_vocab=2000)["word"])


def test_the_default_head_holds_the_share_of_counted_tokens(varied, tmp_path):
    counts = np.asarray(varied.counts, dtype=np.float64)
    H = default_head_rows(varied)
    assert counts[:H].sum() >= HEAD_TOKEN_SHARE * counts.sum() > counts[:H - 1].sum()
    packed = varied.compress(tmp_path / "pq", "pq", subspaces=6, head_subspaces=12, progress=False)
    assert packed.compression["head_rows"] == H
    a = varied.compress(tmp_path / "a", "pq", subspaces=6, head_subspaces=12, seed=4, progress=False)
    b = varied.compress(tmp_path / "b", "pq", subspaces=6, head_subspaces=12, seed=4, progress=False)
    for key in ("head_codes", "head_quantizer", "quantizer"):
        np.testing.assert_array_equal(np.asarray(a.vectors.params[key]), np.asarray(b.vectors.params[key]))
    np.testing.assert_array_equal(np.asarray(a.vectors.codes), np.asarray(b.vectors.codes))


def test_a_head_needs_rows_in_frequency_order_or_an_explicit_size(tmp_path):
    x = np.random.default_rng(0).normal(size=(1000, DIM)).astype(np.float32)
    shuffled = store_of(tmp_path, x, "shuffled", counts=np.random.default_rng(1).integers(1, 100, 1000))
    with pytest.raises(ParameterError, match="not most frequent first .*give head_rows"):
        shuffled.compress(tmp_path / "x", "pq", subspaces=6, head_subspaces=12)
    uncounted = wordlab.load(Embeddings([f"w{i}" for i in range(1000)], x).save(tmp_path / "uncounted"))
    with pytest.raises(ParameterError, match="no word counts .*give head_rows"):
        uncounted.compress(tmp_path / "x", "pq", subspaces=6, head_subspaces=12)
    packed = uncounted.compress(tmp_path / "x", "pq", subspaces=6, head_subspaces=12, head_rows=400, progress=False)
    assert packed.compression["head_rows"] == 400


def test_head_settings_that_cannot_apply_are_one_line_errors(varied, tmp_path, runner):
    for kw, fragment in (({"head_subspaces": 6}, "must exceed subspaces \\(6\\)"),
                         ({"head_subspaces": 7}, "7 does not divide 24"),
                         ({"head_subspaces": 12, "head_rows": 100}, "at least 2\\^bits = 256 rows"),
                         ({"head_subspaces": 12, "head_rows": 2900}, "at least 2\\^bits = 256 rows"),
                         ({"head_subspaces": 12, "head_rows": 0}, "head_rows")):
        with pytest.raises(ParameterError, match=fragment):
            varied.compress(tmp_path / "x", "pq", subspaces=6, **kw)
    with pytest.raises(ParameterError, match="head_subspaces applies to pq only"):
        varied.compress(tmp_path / "x", "int8", head_subspaces=12)
    assert not (tmp_path / "x").exists()
    r = runner.invoke(cli, ["compress", str(tmp_path / "base"), "-o", str(tmp_path / "x"), "--subspaces", "6",
                            "--head-subspaces", "4"])
    assert r.exit_code == 1 and r.output.startswith("Error:") and len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_the_cli_writes_and_describes_a_store_with_a_head(varied, tmp_path, runner):
    r = runner.invoke(cli, ["compress", str(tmp_path / "base"), "-o", str(tmp_path / "c"), "--subspaces", "6",
                            "--head-subspaces", "12", "--head-rows", "700", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "the first 700 rows in 12 subspaces" in r.output
    r = runner.invoke(cli, ["neighbors", str(tmp_path / "c"), "w3", "--topn", "2"])
    assert r.exit_code == 0 and r.output.count("\n") == 3


@pytest.mark.parametrize("damage,fragment", [
    (lambda d: (d / "head_codes.npy").unlink(), "head_codes.npy .*missing"),
    (lambda d: np.save(d / "head_codes.npy", np.zeros((999, 6), np.uint8)), "head_codes.npy: must be uint8"),
    (lambda d: np.save(d / "head_quantizer.npy", np.zeros((12, 256, 3), np.float32)), "head_quantizer.npy"),
    (lambda d: _edit_meta(d, lambda m: [m["compression"].pop(k) for k in ("head_rows", "head_subspaces")]),
     "head codes in a store whose meta.json has no head"),
    (lambda d: _edit_meta(d, lambda m: m["compression"].update(head_rows=5000)), "does not fit"),
])
def test_a_damaged_head_is_refused(varied, tmp_path, damage, fragment):
    varied.compress(tmp_path / "c", "pq", subspaces=6, head_subspaces=12, head_rows=1000, progress=False)
    damage(tmp_path / "c")
    with pytest.raises(StoreError, match=fragment):
        wordlab.load(tmp_path / "c").most_similar("w1")


def test_a_store_with_a_head_converts_back_to_float32(varied, tmp_path):
    packed = varied.compress(tmp_path / "c", "pq", subspaces=6, head_subspaces=12, head_rows=1000, progress=False)
    back = wordlab.load(packed.save(tmp_path / "back"))
    assert back.compression is None and not any(c.startswith("head_") for c in back.components)
    np.testing.assert_array_equal(np.asarray(back.vectors), np.asarray(packed.vectors))


def _edit_meta(directory, change):
    import json
    meta = json.loads((directory / "meta.json").read_text())
    change(meta)
    (directory / "meta.json").write_text(json.dumps(meta))


def test_a_subword_store_gives_its_words_a_head_and_its_ngrams_none(tmp_path):
    from wordlab.trainers import FastText
    stems = [f"{a}{b}{c}" for a in "bcdfgklmnprst" for b in "aeiou" for c in ("lk", "mp", "nd", "st")]
    rng = np.random.default_rng(0)
    corpus = [[stems[i] + end for i in rng.integers(0, len(stems), 12) for end in ("", "s", "ed")]
              for _ in range(300)]
    store = FastText(dim=8, epochs=1, workers=1, bucket=2000, min_count=1, seed=1,
                     progress=False).fit(corpus, tmp_path / "ft")
    packed = store.compress(tmp_path / "pq", "pq", subspaces=2, bits=8, head_subspaces=4, head_rows=300,
                            progress=False)
    c = packed.compression
    assert c["head_rows"] == 300 and "head_subspaces" not in c["components"]["ngram_vectors"]
    assert not (tmp_path / "pq" / "ngram_head_codes.npy").exists()
    unseen = ["balked", "kimps"]
    cos = [float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(packed[unseen], store[unseen])]
    assert min(cos) > 0.8


def test_head_codes_beyond_the_codebook_are_refused(varied, tmp_path):
    varied.compress(tmp_path / "c", "pq", subspaces=6, bits=4, head_subspaces=12, head_rows=1000, progress=False)
    codes = np.load(tmp_path / "c" / "head_codes.npy")
    codes[10, 3] = 200
    np.save(tmp_path / "c" / "head_codes.npy", codes)
    with pytest.raises(StoreError, match="head_codes.npy: code 200 outside the 16 centroids"):
        wordlab.load(tmp_path / "c")


def test_a_head_across_many_small_blocks_codes_as_in_one(tmp_path, monkeypatch):
    """Rows are coded a block at a time; with blocks of 128 rows the head (1,200 rows)
    ends inside a block and every block boundary crosses it: the codes are those of one
    block, and the planted rows are recovered."""
    import wordlab.store.compress as compress_module
    import wordlab.store.quantize as quantize_module
    x = planted_tiers()
    base = store_of(tmp_path, x)
    kw = dict(subspaces=4, bits=4, head_subspaces=12, head_rows=1200, progress=False)
    whole = base.compress(tmp_path / "whole", "pq", **kw)
    monkeypatch.setattr(compress_module, "DECODE_BLOCK", 128)
    monkeypatch.setattr(quantize_module, "DECODE_BLOCK", 128)
    small = base.compress(tmp_path / "small", "pq", **kw)
    for key in ("head_codes", "head_quantizer", "quantizer"):
        np.testing.assert_array_equal(np.asarray(small.vectors.params[key]), np.asarray(whole.vectors.params[key]))
    np.testing.assert_array_equal(np.asarray(small.vectors.codes), np.asarray(whole.vectors.codes))
    np.testing.assert_array_equal(np.asarray(small.vectors), x)
    np.testing.assert_allclose(small.vectors.search_norms, np.linalg.norm(x, axis=1), rtol=1e-5)
