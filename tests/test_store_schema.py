"""One store writer: every producer writes the same ``meta.json`` schema (version 2),
stores of version 1 still open, and optional components go through the registry."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import wordlab
from wordlab import Embeddings
from wordlab.errors import StoreError, WordlabError
from wordlab.store import layout
from wordlab.store.writer import StoreBuilder, provenance, store_directory

_CORPUS = [["the", "king", "rules", "the", "land"], ["the", "queen", "rules", "the", "sea"],
           ["a", "man", "and", "a", "woman", "walk"], ["the", "dad", "and", "the", "mom", "talk"]] * 30


def _small(n: int = 6, dim: int = 4, seed: int = 0) -> Embeddings:
    rng = np.random.default_rng(seed)
    return Embeddings([f"w{i}" for i in range(n)], rng.normal(size=(n, dim)).astype(np.float32),
                      np.arange(n, 0, -1))


def _meta(path) -> dict:
    return json.loads((path / "meta.json").read_text(encoding="utf-8"))


# -- every producer, one schema ---------------------------------------------------------------
def _trained(method):
    def make(tmp_path):
        from wordlab.trainers import make_trainer
        params = dict(dim=8, epochs=2, min_count=1, workers=1, seed=1, progress=False)
        return make_trainer(method, **params).fit(_CORPUS, tmp_path / method).path, "trained"
    return make


def _imported(tmp_path):
    path = _small().save(tmp_path / "v.txt", format="word2vec")
    return wordlab.load(path).path, "imported"


def _mapped(tmp_path):
    from wordlab.align import Dictionary, Procrustes
    from wordlab.align.synthetic import rotated_pair
    src, tgt, _ = rotated_pair(n_words=200, dim=8)
    source = Embeddings.open(src.save(tmp_path / "src"))
    aligner = Procrustes(normalize="none").fit(source, tgt, Dictionary([(f"s{i}", f"t{i}") for i in range(0, 200, 2)]))
    return aligner.transform(out=tmp_path / "mapped").path, "mapped"


def _debiased(tmp_path):
    from wordlab.debias import hard_debias
    words = ["he", "she", "man", "woman", "king", "queen", "dad", "mom", "boy", "girl", "nurse", "engineer"]
    rng = np.random.default_rng(0)
    store = Embeddings(words, rng.normal(size=(len(words), 6)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = hard_debias(store.save(tmp_path / "in"), tmp_path / "out", equalize=[("dad", "mom")],
                          gender_specific=["king", "queen"], definitional=[("he", "she"), ("man", "woman")])
    return out.path, "debiased"


def _saved(tmp_path):
    return _small().save(tmp_path / "saved"), "saved"


PRODUCERS = {"sgns": _trained("sgns"), "glove": _trained("glove"), "word2vec-text": _imported,
             "procrustes": _mapped, "hard-debias": _debiased, "Embeddings.save": _saved}


@pytest.mark.parametrize("producer", list(PRODUCERS))
def test_every_producer_writes_the_same_schema(producer, tmp_path):
    path, kind = PRODUCERS[producer](tmp_path)
    meta = _meta(path)
    missing = [k for k in layout.REQUIRED_KEYS if k not in meta]
    assert not missing, f"{producer} lacks {missing}"
    assert list(meta)[:len(layout.REQUIRED_KEYS)] == list(layout.REQUIRED_KEYS)
    assert meta["format"] == "wordlab-store" and meta["format_version"] == 2
    assert meta["wordlab_version"] == wordlab.__version__
    assert isinstance(meta["params"], dict)
    vectors = np.load(path / "vectors.npy", mmap_mode="r")
    assert (meta["n_words"], meta["dim"]) == vectors.shape
    assert meta["provenance"]["kind"] == kind
    # components listed are exactly the registered ones whose files are there
    files = {p.name for p in path.iterdir()}
    assert meta["components"] == layout.components_in(files)
    for name in meta["components"]:
        assert set(layout.COMPONENTS[name].files) <= files
    emb = wordlab.load(path)
    assert emb.components == tuple(meta["components"])


def test_provenance_says_where_the_vectors_come_from(tmp_path):
    path, _ = _trained("sgns")(tmp_path)
    trained = _meta(path)["provenance"]
    assert trained["corpus"] == _meta(path)["corpus"] and trained["corpus"]
    imported_path, _ = _imported(tmp_path)
    imported = _meta(imported_path)["provenance"]
    assert imported["source_file"] == str((tmp_path / "v.txt").resolve()) and imported["source_format"] == "text"
    assert imported["digest"].startswith("blake2b-256:")
    mapped = _meta(_mapped(tmp_path)[0])["provenance"]
    assert mapped["source_store"] == str(tmp_path / "src") and mapped["mapping"]["method"] == "procrustes"
    assert mapped["source_provenance"]["kind"] == "saved"
    debiased = _meta(_debiased(tmp_path)[0])["provenance"]
    assert debiased["source_store"] == str(tmp_path / "in")
    assert debiased["lists"]["equalize"]["given"] == "inline" and debiased["lists"]["equalize"]["entries"] == 1
    assert debiased["lists"]["gender_specific"]["entries"] == 2


def test_trained_components_are_listed_and_open(tmp_path):
    glove = wordlab.load(_trained("glove")(tmp_path)[0])     # output "sum": W, W~ and biases kept
    assert set(glove.components) == {"context_vectors", "word_vectors", "biases"}
    biases = glove.component("biases")
    assert set(biases) == {"bias", "context_bias"} and biases["bias"].shape == (len(glove),)
    assert glove.context_vectors.shape == (len(glove), 8)
    sgns = wordlab.load(_trained("sgns")(tmp_path)[0])
    assert sgns.components == ("context_vectors",)
    assert sgns.component("biases") is None
    with pytest.raises(StoreError, match="unknown store component 'nope'"):
        sgns.component("nope")


# -- version 1 and earlier ----------------------------------------------------------------------
def _write_v1(path, with_format: bool = True):
    """A store as wordlab wrote it before format version 2 (no provenance, no components)."""
    path.mkdir()
    np.save(path / "vectors.npy", np.arange(12, dtype=np.float32).reshape(3, 4))
    np.save(path / "context_vectors.npy", np.ones((3, 4), dtype=np.float32))
    (path / "vocab.tsv").write_text("a\t3\nb\t2\nc\t1\n", encoding="utf-8")
    meta = {"method": "sgns", "dim": 4, "params": {"dim": 4}}
    if with_format:
        meta.update({"format": "wordlab-store", "format_version": 1, "n_words": 3, "wordlab_version": "0.0.9"})
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("with_format", [True, False], ids=["v1", "unversioned"])
def test_a_version_1_store_still_opens(tmp_path, with_format):
    _write_v1(tmp_path / "old", with_format)
    emb = wordlab.load(tmp_path / "old")
    assert emb.words == ["a", "b", "c"] and emb.meta["method"] == "sgns"
    assert emb.components == ("context_vectors",)          # found by its file
    np.testing.assert_array_equal(emb.context_vectors, np.ones((3, 4)))
    assert emb.most_similar("a", topn=1)[0][0] in ("b", "c")
    # saved again, it is a version-2 store that keeps the components
    new = emb.save(tmp_path / "new")
    meta = _meta(new)
    assert meta["format_version"] == 2 and meta["components"] == ["context_vectors"]
    assert meta["provenance"] == {"kind": "saved", "source_store": str(tmp_path / "old"), "source_provenance": None}


def test_a_store_of_a_newer_format_is_refused(tmp_path):
    path = _small().save(tmp_path / "s")
    meta = _meta(path)
    meta["format_version"] = 4          # 3 is a compressed store's (tests/test_compress.py)
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(StoreError, match=r"format version 4 .* upgrade wordlab"):
        wordlab.load(path)


# -- components ---------------------------------------------------------------------------------
def test_an_unknown_file_or_component_is_left_alone(tmp_path):
    path = _small().save(tmp_path / "s")
    (path / "subword.npy").write_bytes(b"not even an array")
    (path / "notes.txt").write_text("mine", encoding="utf-8")
    meta = _meta(path)
    meta["components"] = ["codebook-of-the-future"]
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    emb = wordlab.load(path)
    assert emb.components == () and emb.most_similar("w0", topn=2)
    assert (path / "subword.npy").read_bytes() == b"not even an array"
    assert (path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_listed_component_whose_file_is_missing_is_one_clear_error(tmp_path):
    emb = _small()
    emb._context = np.ones((6, 4), np.float32)
    path = emb.save(tmp_path / "s")
    assert _meta(path)["components"] == ["context_vectors"]
    (path / "context_vectors.npy").unlink()
    with pytest.raises(StoreError, match=r"incomplete store: meta.json lists context_vectors.npy") as info:
        wordlab.load(path)
    assert isinstance(info.value, WordlabError) and str(path) in str(info.value)


def test_a_component_of_the_wrong_shape_is_a_store_error(tmp_path):
    path = _small().save(tmp_path / "s")
    np.save(path / "context_vectors.npy", np.ones((2, 4), np.float32))
    meta = _meta(path)
    meta["components"] = ["context_vectors"]
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(StoreError, match=r"context_vectors.npy: shape \(2, 4\).*one row per word \(6\)"):
        wordlab.load(path).context_vectors


def test_the_writer_refuses_half_a_component(tmp_path):
    with pytest.raises(StoreError, match=r"component 'biases' is incomplete: context_bias.npy missing"):
        with store_directory(tmp_path / "s") as builder:
            builder.save_vectors(np.ones((2, 3), np.float32))
            builder.write_vocab(["a", "b"])
            np.save(builder.directory / "bias.npy", np.zeros(2, np.float32))
            builder.finish({}, provenance("saved"))
    assert not (tmp_path / "s").exists()


def test_a_new_component_needs_only_a_registration(tmp_path, monkeypatch):
    """A later kind of store (here: a codebook for unseen words) is one registration:
    written by the writer, listed in meta.json, opened by every reader, kept on save."""
    codebook = layout.Component("codebook", ("codebook.npy", "codes.npy"), per_word=False,
                                open=lambda arrays: (arrays["codebook.npy"], arrays["codes.npy"]))
    monkeypatch.setitem(layout.COMPONENTS, "codebook", codebook)
    emb = Embeddings(["a", "b"], np.eye(2, 3), components={"codebook": {"codebook": np.eye(4), "codes": np.arange(3)}})
    path = emb.save(tmp_path / "s")
    assert _meta(path)["components"] == ["codebook"]
    opened = wordlab.load(path)
    book, codes = opened.component("codebook")
    np.testing.assert_array_equal(book, np.eye(4))
    np.testing.assert_array_equal(codes, np.arange(3))
    again = wordlab.load(opened.save(tmp_path / "again"))
    assert again.components == ("codebook",)


def test_register_component_refuses_a_file_already_claimed():
    with pytest.raises(ValueError, match="bias.npy already belong"):
        layout.register_component(layout.Component("other", ("bias.npy",)))
    with pytest.raises(ValueError, match="vectors.npy already belong"):
        layout.register_component(layout.Component("other", ("vectors.npy",)))


def test_the_builder_writes_meta_last_from_what_it_holds(tmp_path):
    """A store assembled in a staging directory (as a trainer does): meta.json says the
    shape the files have, whatever the producer's meta claims."""
    staging = tmp_path / "staging"
    staging.mkdir()
    builder = StoreBuilder(staging, where=tmp_path / "out")
    builder.save_vectors(np.ones((3, 5), np.float32))
    builder.write_vocab(["x", "y", "z"], np.array([3, 2, 1]))
    meta = builder.finish({"method": "test", "dim": 99, "n_words": 1, "format_version": 1, "history": [1]},
                          provenance("trained", corpus={"files": []}))
    assert (meta["dim"], meta["n_words"], meta["format_version"], meta["history"]) == (5, 3, 2, [1])
    assert _meta(staging) == meta
    with pytest.raises(WordlabError, match="provenance"):
        builder.finish({}, {"kind": "guessed"})
