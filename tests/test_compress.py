"""Compressed stores (float16, int8, product quantisation): codes, search, readers, faults."""
from __future__ import annotations

import json

import numpy as np
import pytest

import wordlab
from wordlab import Embeddings
from wordlab.cli.main import cli
from wordlab.errors import ParameterError, StoreError
from wordlab.store.compress import default_subspaces
from wordlab.store.quantize import QuantizedMatrix


def planted(n: int = 3000, dim: int = 32, M: int = 8, K: int = 16, noise: float = 0.0, seed: int = 0):
    """Rows whose every sub-vector is one of K planted points of its subspace (plus noise):
    product quantisation with K centroids can recover them."""
    rng = np.random.default_rng(seed)
    dsub = dim // M
    points = rng.normal(size=(M, K, dsub)).astype(np.float32) * 3
    choice = rng.integers(0, K, size=(n, M))
    x = points[np.arange(M)[None, :], choice].reshape(n, dim)
    return (x + noise * rng.normal(size=x.shape)).astype(np.float32), points, choice


def store_of(tmp_path, x, name="base", words=None):
    words = words or [f"w{i}" for i in range(x.shape[0])]
    return wordlab.load(Embeddings(words, x, counts=np.arange(len(words), 0, -1)).save(tmp_path / name))


@pytest.fixture()
def clustered(tmp_path):
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(40, 48))
    x = (centres[rng.integers(0, 40, 4000)] + 0.5 * rng.normal(size=(4000, 48))).astype(np.float32)
    return store_of(tmp_path, x)


def test_pq_recovers_a_planted_codebook(tmp_path):
    x, points, choice = planted(noise=0.0)
    base = store_of(tmp_path, x)
    packed = base.compress(tmp_path / "pq", "pq", subspaces=8, bits=4, progress=False)
    assert packed.compression["error"]["relative_squared_error"] < 1e-10
    np.testing.assert_array_equal(np.asarray(packed.vectors), x)
    # with noise, every decoded sub-vector is within the noise of its planted point
    noisy, _, _ = planted(noise=0.01, seed=0)
    packed = store_of(tmp_path, noisy, "noisy").compress(tmp_path / "pq-noisy", "pq", subspaces=8, bits=4,
                                                         progress=False)
    assert np.abs(np.asarray(packed.vectors) - x).max() < 0.01 * 6
    assert packed.compression["error"]["mean_cosine"] > 0.9999


def test_pq_codes_are_the_nearest_centroids(clustered, tmp_path):
    packed = clustered.compress(tmp_path / "pq", "pq", subspaces=12, bits=6, progress=False)
    book = np.asarray(packed.vectors.params["quantizer"])
    codes = np.asarray(packed.vectors.codes)
    x = np.asarray(clustered.vectors)[:500].reshape(500, 12, 4)
    d = ((x[:, :, None, :] - book[None]) ** 2).sum(-1)                 # (rows, M, K)
    best = d.min(axis=2)
    chosen = np.take_along_axis(d, codes[:500, :, None].astype(np.intp), axis=2)[..., 0]
    np.testing.assert_allclose(chosen, best, rtol=1e-5, atol=1e-6)       # ties may pick either


@pytest.mark.parametrize("rotate", [False, True])
def test_asymmetric_distances_equal_decoded_dot_products(clustered, tmp_path, rotate):
    for norm in (False, True):
        packed = clustered.compress(tmp_path / f"pq{norm}", "pq", subspaces=16, norm=norm, rotate=rotate,
                                    progress=False)
        q = np.random.default_rng(2).normal(size=(5, 48)).astype(np.float32)
        matrix = packed.vectors
        decoded = np.asarray(matrix)
        if norm:   # ADC scores the directions; the norms are applied apart
            decoded = np.asarray(matrix.method._directions(matrix.codes, matrix.params, slice(None)))
        np.testing.assert_allclose(matrix.block_dot(q, 100, 900), q @ decoded[100:900].T, rtol=1e-4, atol=1e-4)
        unit = decoded / np.linalg.norm(decoded, axis=1, keepdims=True)
        np.testing.assert_allclose(packed.unit_vectors.block_dot(q, 0, 4000), q @ unit.T, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(packed.unit_vectors[[3, 7]], unit[[3, 7]], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method,kw", [("float16", {}), ("int8", {}), ("int8", {"scale": "dim"}),
                                       ("pq", {"subspaces": 12}), ("pq", {"subspaces": 24, "norm": True}),
                                       ("pq", {"subspaces": 12, "rotate": True})])
def test_search_is_exact_over_the_decoded_vectors(clustered, tmp_path, method, kw):
    """most_similar, neighbors, analogies and similarity of a compressed store are those of
    its decoded vectors: the codes are searched without decoding, but not approximately."""
    packed = clustered.compress(tmp_path / "c", method, progress=False, **kw)
    decoded = Embeddings(packed.words, np.asarray(packed.vectors))
    for word in ("w0", "w17", "w3999"):
        got, want = packed.most_similar(word, topn=8), decoded.most_similar(word, topn=8)
        assert [w for w, _ in got] == [w for w, _ in want]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=2e-5)
    assert packed.analogy("w1", "w2", "w3", topn=3)[0][0] == decoded.analogy("w1", "w2", "w3", topn=3)[0][0]
    assert packed.analogy("w1", "w2", "w3", method="3cosmul")[0][0] == decoded.analogy("w1", "w2", "w3",
                                                                                       method="3cosmul")[0][0]
    assert packed.similarity("w5", "w6") == pytest.approx(decoded.similarity("w5", "w6"), abs=1e-5)
    table = packed.neighbors(["w4", "w9"], topn=4, restrict_vocab=1000)
    assert list(table["word"]) == list(decoded.neighbors(["w4", "w9"], topn=4, restrict_vocab=1000)["word"])


def test_optimised_pq_learns_a_rotation_that_lowers_the_error(tmp_path):
    """Rows whose variance is concentrated in a few correlated directions (a random
    rotation of axis-aligned scales): plain PQ cuts every direction across subspaces,
    OPQ's rotation balances them, and its codes lose several times less."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4000, 32)) * np.geomspace(3, 0.05, 32)
    mix, _ = np.linalg.qr(rng.normal(size=(32, 32)))
    base = store_of(tmp_path, (z @ mix.T).astype(np.float32))
    plain = base.compress(tmp_path / "pq", "pq", subspaces=8, bits=6, progress=False)
    opq = base.compress(tmp_path / "opq", "pq", subspaces=8, bits=6, rotate=True, progress=False)
    e_plain, e_opq = (s.compression["error"]["relative_squared_error"] for s in (plain, opq))
    assert e_opq < e_plain / 3, (e_plain, e_opq)
    rot = np.asarray(opq.vectors.params["rotation"], dtype=np.float64)
    np.testing.assert_allclose(rot.T @ rot, np.eye(32), atol=1e-5)        # a rotation: norms and dots kept
    assert opq.compression["rotate"] is True and "rotation" in opq.components
    # decoding is the centroids' concatenation rotated back
    book, codes = np.asarray(opq.vectors.params["quantizer"]), np.asarray(opq.vectors.codes[:50])
    y = book[np.arange(8)[None, :], codes.astype(np.intp)].reshape(50, 32)
    np.testing.assert_allclose(np.asarray(opq.vectors[:50]), y @ rot.T, rtol=1e-5, atol=1e-5)
    again = base.compress(tmp_path / "opq2", "pq", subspaces=8, bits=6, rotate=True, progress=False)
    np.testing.assert_array_equal(np.asarray(again.vectors.codes), np.asarray(opq.vectors.codes))


def test_scalar_methods_bound_their_error(clustered, tmp_path):
    x = np.asarray(clustered.vectors)
    half = clustered.compress(tmp_path / "f16", "float16", progress=False)
    np.testing.assert_array_equal(np.asarray(half.vectors), x.astype(np.float16).astype(np.float32))
    for scale in ("row", "dim"):
        packed = clustered.compress(tmp_path / f"i8{scale}", "int8", scale=scale, progress=False)
        s = np.asarray(packed.vectors.params["quantizer"])
        bound = (s[:, None] if scale == "row" else s[None, :]) / 2 * 1.0001 + 1e-7
        assert (np.abs(np.asarray(packed.vectors) - x) <= bound).all()
        assert packed.vectors.codes.dtype == np.int8


def test_a_compressed_store_is_a_store(clustered, tmp_path):
    clustered.compress(tmp_path / "pq", "pq", subspaces=12, progress=False)
    meta = json.loads((tmp_path / "pq" / "meta.json").read_text())
    assert meta["format_version"] == 3 and meta["dim"] == 48 and meta["n_words"] == 4000
    assert meta["compression"]["method"] == "pq" and meta["compression"]["subspaces"] == 12
    assert meta["provenance"]["kind"] == "compressed"
    assert set(meta["components"]) == {"quantizer"}
    reopened = wordlab.load(tmp_path / "pq")
    assert isinstance(reopened.vectors, QuantizedMatrix)
    assert isinstance(reopened.vectors.codes, np.memmap)              # memory-mapped, not read
    assert reopened.vectors.codes.shape == (4000, 12)
    assert reopened.words == clustered.words and (reopened.counts == clustered.counts).all()
    codes = (tmp_path / "pq" / "vectors.npy").stat().st_size
    assert codes < 4000 * 12 + 200                                  # one byte per subspace
    assert (tmp_path / "pq" / "quantizer.npy").stat().st_size < 12 * 256 * 4 * 4 + 200
    # row access decodes; a float32 copy again by saving
    np.testing.assert_array_equal(reopened["w5"], np.asarray(reopened.vectors)[5])
    back = reopened.save(tmp_path / "back")
    back = wordlab.load(back)
    assert back.compression is None and back.vectors.dtype == np.float32
    assert json.loads((tmp_path / "back" / "meta.json").read_text())["format_version"] == 2
    np.testing.assert_array_equal(np.asarray(back.vectors), np.asarray(reopened.vectors))
    # the CLI converts back too
    from click.testing import CliRunner
    r = CliRunner().invoke(cli, ["convert", str(tmp_path / "pq"), str(tmp_path / "f32.txt"), "--to", "word2vec"])
    assert r.exit_code == 0, r.output
    again = wordlab.load(tmp_path / "f32.txt")
    np.testing.assert_allclose(np.asarray(again.vectors), np.asarray(reopened.vectors), atol=1e-5)


def test_compression_is_repeatable(clustered, tmp_path):
    a = clustered.compress(tmp_path / "a", "pq", subspaces=12, seed=3, progress=False)
    b = clustered.compress(tmp_path / "b", "pq", subspaces=12, seed=3, progress=False)
    np.testing.assert_array_equal(np.asarray(a.vectors.codes), np.asarray(b.vectors.codes))
    np.testing.assert_array_equal(np.asarray(a.vectors.params["quantizer"]), np.asarray(b.vectors.params["quantizer"]))


def test_settings_that_cannot_apply_are_one_line_errors(clustered, tmp_path, runner):
    with pytest.raises(ParameterError, match="does not divide 48"):
        clustered.compress(tmp_path / "x", "pq", subspaces=7)
    for bits in (0, 9):
        with pytest.raises(ParameterError, match="bits"):
            clustered.compress(tmp_path / "x", "pq", bits=bits)
    small = store_of(tmp_path, np.random.default_rng(0).normal(size=(100, 8)).astype(np.float32), "small")
    with pytest.raises(ParameterError, match="too few for 2\\^8 = 256 centroids"):
        small.compress(tmp_path / "x", "pq", subspaces=2)
    with pytest.raises(ParameterError, match="method"):
        clustered.compress(tmp_path / "x", "zip")
    assert not (tmp_path / "x").exists()
    for args, fragment in ((["--subspaces", "7"], "7 does not divide 48"), (["--bits", "9"], "--bits"),
                           (["--method", "zip"], "--method")):
        r = runner.invoke(cli, ["compress", str(tmp_path / "base"), "-o", str(tmp_path / "x"), *args])
        assert r.exit_code in (1, 2), r.output
        assert fragment in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["compress", str(tmp_path / "small"), "-o", str(tmp_path / "x"), "--subspaces", "2"])
    assert r.exit_code == 1 and r.output.startswith("Error:") and len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_nonfinite_rows_and_float16_overflow_are_refused(tmp_path):
    x = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    x[7, 2] = np.nan
    bad = Embeddings([f"w{i}" for i in range(300)], x)
    with pytest.raises(wordlab.errors.WordlabError, match="'w7'"):
        bad.compress(tmp_path / "x", "int8")
    x[7, 2] = 1e6
    with pytest.raises(ParameterError, match="row 7.*float16"):
        Embeddings([f"w{i}" for i in range(300)], x).compress(tmp_path / "x", "float16")
    assert not (tmp_path / "x").exists()


def test_the_cli_writes_and_describes_a_compressed_store(clustered, tmp_path, runner):
    r = runner.invoke(cli, ["compress", str(tmp_path / "base"), "-o", str(tmp_path / "c"), "--subspaces", "12",
                            "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "pq (12 subspaces of 4, 8 bits)" in r.output
    r = runner.invoke(cli, ["info", str(tmp_path / "c")])
    assert "compression:" in r.output and "smaller than float32" in r.output
    r = runner.invoke(cli, ["compress", str(tmp_path / "base"), "-o", str(tmp_path / "c")])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(cli, ["neighbors", str(tmp_path / "c"), "w3", "--topn", "2"])
    assert r.exit_code == 0 and r.output.count("\n") == 3
    r = runner.invoke(cli, ["compress", str(tmp_path / "base"), "-o", str(tmp_path / "r"), "--subspaces", "12",
                            "--rotate", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "pq (12 subspaces of 4, 8 bits, rotated (optimised PQ))" in r.output
    assert (tmp_path / "r" / "rotation.npy").is_file()


@pytest.mark.parametrize("damage,fragment", [
    (lambda d: np.save(d / "quantizer.npy", np.zeros((3, 3), np.float32)), "PQ centroids must be"),
    (lambda d: np.save(d / "vectors.npy", np.zeros((4000, 12), np.int8)), "must be a 2-D uint8"),
    (lambda d: (d / "quantizer.npy").unlink(), "quantizer.npy"),
    (lambda d: _edit_meta(d, lambda m: m["compression"].update(method="opq")), "upgrade wordlab"),
    (lambda d: _edit_meta(d, lambda m: m["compression"].pop("dim")), "dim"),
    (lambda d: _edit_meta(d, lambda m: m.update(format_version=4)), "format version 4"),
])
def test_damaged_compressed_stores_are_refused(clustered, tmp_path, damage, fragment):
    clustered.compress(tmp_path / "c", "pq", subspaces=12, progress=False)
    damage(tmp_path / "c")
    with pytest.raises(StoreError, match=fragment):
        wordlab.load(tmp_path / "c").most_similar("w1")


def test_a_damaged_rotation_is_refused(clustered, tmp_path):
    clustered.compress(tmp_path / "c", "pq", subspaces=12, rotate=True, progress=False)
    np.save(tmp_path / "c" / "rotation.npy", np.eye(47, dtype=np.float32))
    with pytest.raises(StoreError, match="rotation.npy: the rotation must be float32 \\(48, 48\\)"):
        wordlab.load(tmp_path / "c")
    (tmp_path / "c" / "rotation.npy").unlink()
    with pytest.raises(StoreError, match="rotation.npy"):
        wordlab.load(tmp_path / "c")


def test_codes_beyond_the_codebook_are_refused(clustered, tmp_path):
    clustered.compress(tmp_path / "c", "pq", subspaces=12, bits=4, progress=False)
    codes = np.load(tmp_path / "c" / "vectors.npy")
    codes[10, 3] = 200
    np.save(tmp_path / "c" / "vectors.npy", codes)
    with pytest.raises(StoreError, match="code 200 outside the 16 centroids"):
        wordlab.load(tmp_path / "c")


def _edit_meta(directory, change):
    meta = json.loads((directory / "meta.json").read_text())
    change(meta)
    (directory / "meta.json").write_text(json.dumps(meta))


def test_default_subspaces_are_about_four_dimensions():
    assert default_subspaces(100) == 25 and default_subspaces(300) == 75 and default_subspaces(48) == 12
    assert default_subspaces(7) == 1 or 7 % default_subspaces(7) == 0


# -- every reader of the lab reads a compressed store -------------------------------------------
@pytest.fixture()
def planted_pair(tmp_path):
    """A planted-bias store (tests/test_debias.py), compressed, and its decoded float32 twin."""
    from test_debias import planted_store
    store, g, _ = planted_store(n_neutral=600)
    base = wordlab.load(store.save(tmp_path / "planted"))
    packed = base.compress(tmp_path / "packed", "pq", subspaces=12, bits=8, progress=False)
    decoded = wordlab.load(Embeddings(packed.words, np.asarray(packed.vectors), packed.counts,
                                      meta=dict(base.meta)).save(tmp_path / "decoded"))
    return packed, decoded, g


def test_evaluators_read_a_compressed_store(planted_pair):
    from wordlab.evals import evaluate
    from wordlab.evals.datasets import AnalogyDataset, PairDataset
    packed, decoded, _ = planted_pair
    w = packed.words
    pairs = PairDataset("planted", [(w[i], w[i + 1], float(i % 7)) for i in range(0, 120, 2)])
    analogies = AnalogyDataset("planted-analogies", [("s", [(w[i], w[i + 1], w[i + 2], (w[i + 3],))
                                                            for i in range(0, 200, 4)])])
    a = evaluate(packed, [pairs, analogies], names=["x"])
    b = evaluate(decoded, [pairs, analogies], names=["x"])
    for col in ("spearman", "accuracy_all", "coverage"):
        if col in a:
            np.testing.assert_allclose(a[col].astype(float), b[col].astype(float), atol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(packed.encode([[w[1], w[2]], [w[5]]]), decoded.encode([[w[1], w[2]], [w[5]]]))


def test_bias_measures_and_debiasing_read_a_compressed_store(planted_pair, tmp_path):
    from test_debias import EQUALIZE, PROFESSIONS, SPECIFIC
    from wordlab.debias import bias_direction, direct_bias, hard_debias, weat
    packed, decoded, _ = planted_pair
    dp, dd = bias_direction(packed), bias_direction(decoded)
    np.testing.assert_allclose(abs(dp.vector @ dd.vector), 1.0, atol=1e-6)
    assert direct_bias(packed, dp, PROFESSIONS).value == pytest.approx(direct_bias(decoded, dd, PROFESSIONS).value,
                                                                      abs=1e-6)
    X, Y, A, B = packed.words[100:108], packed.words[108:116], packed.words[116:124], packed.words[124:132]
    assert weat(packed, X, Y, A, B).effect_size == pytest.approx(weat(decoded, X, Y, A, B).effect_size, abs=1e-6)
    with pytest.warns(Warning):
        out_p = hard_debias(packed, tmp_path / "dp", equalize=EQUALIZE, gender_specific=SPECIFIC)
    with pytest.warns(Warning):
        out_d = hard_debias(decoded, tmp_path / "dd", equalize=EQUALIZE, gender_specific=SPECIFIC)
    assert out_p.compression is None and out_p.vectors.dtype == np.float32     # a float32 store
    np.testing.assert_allclose(np.asarray(out_p.vectors), np.asarray(out_d.vectors), atol=1e-5)


def test_alignment_and_bli_read_a_compressed_store(planted_pair, tmp_path):
    from wordlab.align import Procrustes, evaluate_bli
    from wordlab.align.dictionary import Dictionary
    packed, decoded, _ = planted_pair
    rng = np.random.default_rng(5)
    rotation, _ = np.linalg.qr(rng.normal(size=(packed.dim, packed.dim)))
    target = Embeddings(packed.words, np.asarray(packed.vectors) @ rotation.astype(np.float32))
    seed = Dictionary.identical(packed.words[:300], target.words)
    p = Procrustes(normalize="none").fit(packed, target, seed)
    np.testing.assert_allclose(p.W_, rotation, atol=1e-4)
    mapped = p.transform(out=tmp_path / "mapped")
    np.testing.assert_allclose(np.asarray(mapped.vectors), np.asarray(target.vectors), atol=1e-4)
    test = Dictionary([(w, w) for w in packed.words[300:500]])
    assert evaluate_bli(packed, packed, test, method="csls").precision[1] == pytest.approx(
        evaluate_bli(decoded, decoded, test, method="csls").precision[1])


def test_a_subword_store_compresses_its_ngrams_too(tmp_path):
    from wordlab.trainers import FastText
    corpus = [[f"{stem}{end}" for stem in ("walk", "talk", "jump", "play", "look") for end in ("", "s", "ed", "ing")]
              for _ in range(40)]
    store = FastText(dim=8, epochs=1, workers=1, bucket=3000, min_count=1, seed=1,
                     progress=False).fit(corpus, tmp_path / "ft")
    packed = store.compress(tmp_path / "ft16", "float16", progress=False)
    meta = json.loads((tmp_path / "ft16" / "meta.json").read_text())
    assert meta["compression"]["components"]["ngram_vectors"]["method"] == "float16"
    assert np.load(tmp_path / "ft16" / "ngram_vectors.npy", mmap_mode="r").dtype == np.float16
    unseen = ["walking", "jumps", "talker"]
    np.testing.assert_allclose(packed[unseen], store[unseen], atol=2e-3)
    pq = store.compress(tmp_path / "ftpq", "pq", subspaces=4, bits=4, progress=False)
    assert set(json.loads((tmp_path / "ftpq" / "meta.json").read_text())["components"]) >= {
        "quantizer", "ngram_quantizer", "ngram_vectors"}
    cos = [float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(pq[unseen], store[unseen])]
    assert min(cos) > 0.8
    back = wordlab.load(pq.save(tmp_path / "back"))                        # float32 again, n-grams included
    assert back.compression is None and back.subwords.ngrams.dtype == np.float32
    np.testing.assert_allclose(back[unseen], pq[unseen], atol=1e-6)


@pytest.mark.slow
def test_a_store_of_tens_of_mb_compresses_and_searches(tmp_path):
    """100,000 x 128 float32 (51 MB): every method writes a complete store, opens mapped,
    finds the same neighbours as its decoded vectors, and converts back."""
    rng = np.random.default_rng(0)
    n, dim = 100_000, 128
    centres = rng.normal(size=(500, dim)).astype(np.float32)
    x = centres[rng.integers(0, 500, n)] + 0.4 * rng.normal(size=(n, dim)).astype(np.float32)
    base = store_of(tmp_path, x.astype(np.float32))
    assert (tmp_path / "base" / "vectors.npy").stat().st_size > 50e6
    for method, kw in (("pq", {"norm": True}), ("int8", {}), ("float16", {}),
                       ("pq", {"subspaces": 16, "head_subspaces": 32, "head_rows": 70_000})):   # a head past one block
        packed = base.compress(tmp_path / f"{method}{len(kw)}", method, progress=False, **kw)
        assert packed.compression["error"]["mean_cosine"] > 0.9
        q = np.asarray(packed.unit_vectors[[17, 99_999]])
        scores = packed.vectors.unit.block_dot(q, 0, n)
        scores[0, 17] = -np.inf
        best = np.sort(scores[0])[::-1][:4]
        top = packed.neighbors(["w17", "w99999"], topn=4)
        got = top[top["query"] == "w17"]
        # the same four best scores; rows with equal codes tie, and a tie may come in either order
        np.testing.assert_allclose(got["similarity"], best, atol=1e-6)
        np.testing.assert_allclose(scores[0, [int(w[1:]) for w in got["word"]]], best, atol=1e-6)
        back = wordlab.load(packed.save(tmp_path / f"{method}{len(kw)}-back"))
        np.testing.assert_array_equal(np.asarray(back.vectors[50_000:50_010]), packed.vectors[50_000:50_010])
