"""Tests of the evaluation suite (``wordlab.evals``): word similarity, analogies
(3CosAdd, 3CosMul, MRR@k / hits@k), EvalRank, dataset parsing and the registry,
the tidy report, plots and the ``wordlab eval`` command.

Known answers come from three places: gensim's own evaluators run on the same
vectors (``evaluate_word_pairs``, ``evaluate_word_analogies``,
``most_similar_cosmul``), tiny stores whose cosines are written out by hand, and
the published sizes of the bundled datasets.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot; plots.py builds Figure objects directly

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from gensim.models import KeyedVectors  # noqa: E402
from gensim.test.utils import datapath  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy import stats  # noqa: E402

from wordlab import Embeddings  # noqa: E402
from wordlab.cli.main import cli  # noqa: E402
from wordlab.errors import InputFormatError, WordlabError, WordlabWarning  # noqa: E402
from wordlab.evals import (REGISTRY, AnalogyDataset, PairDataset, evalrank, evaluate,  # noqa: E402
                           evaluate_analogies, evaluate_word_pairs, list_datasets, load_dataset, read_bats,
                           read_google_analogies, read_pairs, to_csv, to_json, to_markdown)
from wordlab.evals import plots  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COLUMNS = ["store", "dataset", "task", "section", "metric", "value", "coverage", "coverage_composed", "n_scored",
           "n_items"]


@pytest.fixture(autouse=True)
def _agg_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


# -- shared stores --------------------------------------------------------------------------
def _unit(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _first_casing_rows(words):
    """upper-cased word -> first row (the most frequent casing)."""
    rows = {}
    for i, w in enumerate(words):
        rows.setdefault(w.upper(), i)
    return rows


@pytest.fixture(scope="module")
def euclid_kv():
    return KeyedVectors.load_word2vec_format(datapath("euclidean_vectors.bin"), binary=True)


@pytest.fixture(scope="module")
def euclid(euclid_kv):
    return Embeddings.from_gensim(euclid_kv)


@pytest.fixture(scope="module")
def ws353_words():
    return sorted({w for a, b, _ in read_pairs(datapath("wordsim353.tsv")).pairs for w in (a, b)})


@pytest.fixture(scope="module")
def mixed_case_store(ws353_words):
    """Random vectors for the ws353 words in several casings (each casing its own vector),
    every tenth word missing, some fillers, in shuffled (frequency) order."""
    rng = np.random.default_rng(7)
    words = []
    for i, w in enumerate(ws353_words):
        if i % 10 == 5:
            continue  # out of vocabulary
        forms = {w, w.lower()}
        if i % 3 == 0:
            forms |= {w.capitalize(), w.upper()}
        words += sorted(forms)
    words += ["Tiger", "tiger", "CAT", "cat"]
    words += [f"filler{i}" for i in range(150)]
    words = list(dict.fromkeys(words))
    words = [words[i] for i in rng.permutation(len(words))]
    # "Tiger" is the most frequent casing (the earliest row) of TIGER, "cat" that of CAT.
    for first in ("Tiger", "cat"):
        i = words.index(first)
        j = min(k for k, w in enumerate(words) if w.upper() == first.upper())
        words[i], words[j] = words[j], words[i]
    return Embeddings(words, rng.standard_normal((len(words), 16)))


def _google_subset(path: Path, per_section: int = 40) -> Path:
    """A Google-format file with ``per_section`` questions of each of the 14 sections."""
    data = read_google_analogies(datapath("questions-words.txt"))
    lines = []
    for name, questions in data.sections:
        lines.append(f": {name}")
        step = max(1, len(questions) // per_section)
        lines += [f"{a} {b} {c} {d}" for a, b, c, (d,) in questions[::step][:per_section]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _planted_store(question_file: Path, dim: int = 50, fillers: int = 300, seed: int = 0,
                   casings: bool = False) -> Embeddings:
    """As evals/bench_eval.py's build_store, small: per section an offset r, and for a
    question a b c d, b = a + r + noise and d = c + r + noise (when first seen).

    With ``casings``, a third of the question words get a second casing (capitalised or
    upper-cased), half of them near the original vector and half random."""
    rng = np.random.default_rng(seed)
    data = read_google_analogies(question_file)
    vectors: dict[str, np.ndarray] = {}

    def new():
        return rng.standard_normal(dim)

    for _section, questions in data.sections:
        r = new()
        for a, b, c, (d,) in questions:
            a, b, c, d = (w.lower() for w in (a, b, c, d))
            for x, y in ((a, b), (c, d)):
                if x not in vectors:
                    vectors[x] = new()
                if y not in vectors:
                    vectors[y] = vectors[x] + r + 0.6 * new()
    question_words = list(vectors)
    for i in range(fillers):
        vectors[f"filler{i}"] = new()
    if casings:
        for w in question_words[::3]:
            variant = w.capitalize() if rng.random() < 0.5 else w.upper()
            if variant != w:
                vectors[variant] = vectors[w] + 0.3 * new() if rng.random() < 0.5 else new()
    words = list(vectors)
    words = [words[i] for i in rng.permutation(len(words))]
    return Embeddings(words, np.stack([vectors[w] for w in words]))


@pytest.fixture(scope="module")
def google_subset(tmp_path_factory):
    return _google_subset(tmp_path_factory.mktemp("google") / "questions-subset.txt")


@pytest.fixture(scope="module")
def all_words_store():
    """Random vectors for every (lower-cased) word of ws353, simlex999 and the Google set."""
    words = set()
    for name in ("ws353", "simlex999"):
        words |= {w.lower() for a, b, _ in load_dataset(name).pairs for w in (a, b)}
    for _, questions in load_dataset("google-analogy").sections:
        words |= {w.lower() for a, b, c, d in questions for w in (a, b, c, d[0])}
    words = sorted(words)
    rng = np.random.default_rng(3)
    words = [words[i] for i in rng.permutation(len(words))]
    return Embeddings(words, rng.standard_normal((len(words), 16)))


def _gensim_sections(sections):
    return {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"]))
            for s in sections if s["section"] != "Total accuracy"}


def _wordlab_sections(result):
    return {s.section: (s.correct, s.n_covered) for s in result.sections}


# == 1. similarity: parity with gensim =======================================================
@pytest.mark.parametrize("which", ["euclidean", "mixed-case"])
@pytest.mark.parametrize("case_insensitive", [True, False])
@pytest.mark.parametrize("restrict_vocab", [300_000, 400])
@pytest.mark.parametrize("oov", ["skip", "zero"])
def test_similarity_matches_gensim(which, case_insensitive, restrict_vocab, oov, euclid, euclid_kv,
                                   mixed_case_store):
    emb, kv = (euclid, euclid_kv) if which == "euclidean" else (mixed_case_store, mixed_case_store.to_gensim())
    r = evaluate_word_pairs(emb, "ws353", oov=oov, case_insensitive=case_insensitive,
                            restrict_vocab=restrict_vocab)
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(datapath("wordsim353.tsv"),
                                                          restrict_vocab=restrict_vocab,
                                                          case_insensitive=case_insensitive,
                                                          dummy4unknown=(oov == "zero"))
    assert r.n_pairs == 353
    assert 0 < r.n_found < 353  # a real mixture of known and unknown pairs
    assert r.spearman == pytest.approx(spearman.statistic, abs=1e-6)
    assert r.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert r.oov_ratio == pytest.approx(oov_ratio, abs=1e-9)
    assert r.coverage == pytest.approx(r.n_found / 353)
    assert r.n_scored == (r.n_found if oov == "skip" else 353)


def test_similarity_most_frequent_casing_wins(mixed_case_store):
    emb = mixed_case_store
    words = emb.words
    first = _first_casing_rows(words)
    assert words[first["TIGER"]] == "Tiger" and words[first["CAT"]] == "cat"
    assert words.index("Tiger") < words.index("tiger") and words.index("cat") < words.index("CAT")
    assert not np.allclose(emb["Tiger"], emb["tiger"])
    data = PairDataset("t", [("tiger", "cat", 7.35), ("TIGER", "Cat", 1.0), ("love", "sex", 6.77)])
    insensitive = evaluate_word_pairs(emb, data, case_insensitive=True)
    # both casings of the first two pairs resolve to rows "Tiger" and "cat"
    assert insensitive.model[0] == pytest.approx(emb.similarity("Tiger", "cat"), abs=1e-6)
    assert insensitive.model[1] == pytest.approx(emb.similarity("Tiger", "cat"), abs=1e-6)
    sensitive = evaluate_word_pairs(emb, data, case_insensitive=False)
    assert sensitive.model[0] == pytest.approx(emb.similarity("tiger", "cat"), abs=1e-6)
    assert sensitive.n_found == 1 + ("love" in emb and "sex" in emb)  # "TIGER"/"Cat" are not rows


# == 2. OOV policies by hand ===================================================================
def test_oov_policies_by_hand(tmp_path):
    # a = (1, 0); b = (3, 4) -> unit (0.6, 0.8); c = (0, 2) -> unit (0, 1)
    emb = Embeddings(["a", "b", "c"], [[1.0, 0.0], [3.0, 4.0], [0.0, 2.0]])
    path = tmp_path / "pairs.txt"
    path.write_text("a\tb\t9\na\tc\t3\nb\tc\t5\na\tx\t7\nx\ty\t1\n", encoding="utf-8")
    cos_ab, cos_ac, cos_bc = 0.6, 0.0, 0.8
    # mean of the raw vectors (4/3, 2), normalised: (2, 3) / sqrt(13)
    cos_a_mean = 2 / np.sqrt(13)

    skip = evaluate_word_pairs(emb, path, oov="skip")
    assert np.allclose(skip.model, [cos_ab, cos_ac, cos_bc], atol=1e-6)
    assert skip.spearman == pytest.approx(stats.spearmanr([9, 3, 5], [0.6, 0.0, 0.8])[0])
    assert skip.spearman == pytest.approx(0.5)   # ranks (3,1,2) vs (2,1,3)
    assert skip.pearson == pytest.approx(stats.pearsonr([9, 3, 5], [0.6, 0.0, 0.8])[0], abs=1e-6)

    zero = evaluate_word_pairs(emb, path, oov="zero")
    assert np.allclose(zero.model, [cos_ab, cos_ac, cos_bc, 0.0, 0.0], atol=1e-6)
    assert zero.spearman == pytest.approx(stats.spearmanr([9, 3, 5, 7, 1], [0.6, 0.0, 0.8, 0.0, 0.0])[0])

    mean = evaluate_word_pairs(emb, path, oov="mean")
    expected_model = [cos_ab, cos_ac, cos_bc, cos_a_mean, 1.0]   # x, y both -> the mean vector
    assert np.allclose(mean.model, expected_model, atol=1e-6)
    assert mean.spearman == pytest.approx(stats.spearmanr([9, 3, 5, 7, 1], expected_model)[0])
    assert mean.spearman != pytest.approx(zero.spearman)

    for r, scored in ((skip, 3), (zero, 5), (mean, 5)):
        assert (r.n_pairs, r.n_found, r.n_scored) == (5, 3, scored)
        assert r.coverage == pytest.approx(3 / 5)
        assert r.oov_ratio == pytest.approx(40.0)

    # restrict_vocab=2: c is unknown too; the mean is over a and b only: (2, 2) -> (1, 1)/sqrt 2
    restricted = evaluate_word_pairs(emb, path, oov="mean", restrict_vocab=2)
    m = 1 / np.sqrt(2)
    assert np.allclose(restricted.model, [cos_ab, m, 0.6 * m + 0.8 * m, m, 1.0], atol=1e-6)
    assert restricted.coverage == pytest.approx(1 / 5)

    with pytest.raises(ValueError):
        evaluate_word_pairs(emb, path, oov="drop")


# == 3. dataset parsing and the registry ==========================================================
def test_read_pairs_formats(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("# a comment\n"
                    "Word 1\tWord 2\tScore\n"        # header tolerated
                    "\n"
                    "tiger\tcat\t7.35\n"
                    "   \n"
                    "# another comment\n"
                    "book paper 7.46\n"              # spaces
                    "sun\tsunlight\t6.0   QQQ\n"     # annotation after the score
                    "car   bus  5.5  QQQ\n",
                    encoding="utf-8")
    data = read_pairs(path)
    assert isinstance(data, PairDataset) and data.task == "similarity"
    assert data.name == "mine"
    assert data.pairs == [("tiger", "cat", 7.35), ("book", "paper", 7.46), ("sun", "sunlight", 6.0),
                          ("car", "bus", 5.5)]
    assert len(data) == 4
    assert load_dataset(path).pairs == data.pairs   # by path, format sniffed


@pytest.mark.parametrize("text, line, fragment", [
    ("a\tb\t1\n# c\nc\td\n", 3, "2 fields"),
    ("a b 1\n\nc d high\n", 3, "'high'"),
    ("w1\tw2\tscore\na\tb\t1\nc\td\tx\n", 3, "'x'"),      # header, then a bad score
])
def test_read_pairs_malformed(tmp_path, text, line, fragment):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFormatError) as info:
        read_pairs(path)
    message = str(info.value)
    assert str(path) in message
    assert re.search(rf"\bline {line}\b", message), message
    assert fragment in message
    assert isinstance(info.value, WordlabError) and isinstance(info.value, ValueError)


def test_read_google_analogies(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(": capital\nAthens Greece Baghdad Iraq\nParis France Rome Italy\n\n"
                    ": family\nboy girl brother sister\n", encoding="utf-8")
    data = read_google_analogies(path)
    assert data.task == "analogy" and len(data) == 3
    assert data.sections == [("capital", [("Athens", "Greece", "Baghdad", ("Iraq",)),
                                          ("Paris", "France", "Rome", ("Italy",))]),
                             ("family", [("boy", "girl", "brother", ("sister",))])]
    assert load_dataset(path).sections == data.sections

    bad = tmp_path / "bad.txt"
    bad.write_text(": capital\nAthens Greece Baghdad Iraq\n\n# note\nboy girl brother\n", encoding="utf-8")
    with pytest.raises(InputFormatError) as info:
        read_google_analogies(bad)
    assert str(bad) in str(info.value)
    assert re.search(r"\bline 5\b", str(info.value)), str(info.value)


def test_read_bats_directory(tmp_path):
    root = tmp_path / "bats"
    root.mkdir()
    (root / "a_plural.txt").write_text("cat\tcats\ndog\tdogs\ncow\tcows\n", encoding="utf-8")
    (root / "b_alternatives.txt").write_text("big\tlarge/huge\nsmall\tlittle/tiny/wee\n\nfast\tquick\n"
                                             "old\taged/elderly\n", encoding="utf-8")
    data = read_bats(root)
    assert [name for name, _ in data.sections] == ["a_plural", "b_alternatives"]
    assert [len(q) for _, q in data.sections] == [3 * 2, 4 * 3]
    assert len(data) == 18
    plural = data.sections[0][1]
    assert ("cat", "cats", "dog", ("dogs",)) in plural
    assert not any(a == c for a, _, c, _ in plural)
    alternatives = data.sections[1][1]
    # b is the first alternative of its pair; d keeps every alternative
    assert ("big", "large", "small", ("little", "tiny", "wee")) in alternatives
    assert ("old", "aged", "fast", ("quick",)) in alternatives
    assert load_dataset(root).sections == data.sections   # a directory means BATS
    (root / "README.md").write_text("# BATS 3.0\nThe Bigger Analogy Test Set: see the paper.\n")
    with pytest.warns(WordlabWarning, match="1 file.*not relation files.*README.md"):
        assert read_bats(root).sections == data.sections        # a README beside the relations is skipped


def test_bats_any_alternative_is_correct(tmp_path):
    (tmp_path / "rel.txt").write_text("x\ty\np\tq1/q2\n", encoding="utf-8")
    data = read_bats(tmp_path / "rel.txt")
    assert data.sections[0][1] == [("x", "y", "p", ("q1", "q2")), ("p", "q1", "x", ("y",))]
    e = np.eye(8)
    x, p, q1 = e[0], e[2], e[4]
    y = q1 - p + x                              # question 2's 3CosAdd target exactly
    q2 = _unit(y) - x + p                       # question 1's target exactly
    rng = np.random.default_rng(0)
    fillers = rng.standard_normal((6, 8))
    emb = Embeddings(["x", "y", "p", "q1", "q2"] + [f"f{i}" for i in range(6)],
                     np.vstack([x, y, p, q1, q2, fillers]))
    r = evaluate_analogies(emb, data, keep_answers=True)
    assert r.answers[0] == ("rel", "x", "y", "p", "q1", "q2")   # predicted the second alternative
    assert (r.total.correct, r.total.n_covered) == (2, 2)
    only_first = AnalogyDataset("rel", [("rel", [("x", "y", "p", ("q1",)), ("p", "q1", "x", ("y",))])])
    assert evaluate_analogies(emb, only_first).total.correct == 1


def test_registry_bundled_datasets():
    google = load_dataset("google-analogy")
    assert len(google) == 19544
    assert len(google.sections) == 14
    assert google.sections[0][0] == "capital-common-countries"
    assert load_dataset("ws353").task == "similarity" and len(load_dataset("ws353")) == 353
    assert len(load_dataset("simlex999")) == 999
    table = list_datasets()
    assert list(table["name"]) == list(REGISTRY)
    assert {"google-analogy", "ws353", "simlex999", "en-men", "si-ws353"} <= set(table["name"])
    assert set(table.columns) >= {"name", "task", "language", "description", "source"}


def test_registry_unknown_name():
    with pytest.raises(WordlabError) as info:
        load_dataset("no-such-dataset")
    message = str(info.value)
    assert "no-such-dataset" in message
    for name in REGISTRY:
        assert name in message


def test_registry_data_dir_missing_file(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WordlabError) as info:
        load_dataset("en-men", data_dir=empty)
    assert str(empty) in str(info.value)


@pytest.mark.data
def test_registry_shared_data(data_dir):
    men = load_dataset("en-men", data_dir=data_dir)
    assert len(men) == 3000
    assert men.pairs[0] == ("sun", "sunlight", 50.0)
    si = load_dataset("si-ws353", data_dir=data_dir)
    assert len(si) > 300
    sinhala = re.compile("^[\u0D80-\u0DFF\u200D]+$")
    words = [w for a, b, _ in si.pairs for w in (a, b)]
    assert all(sinhala.match(w) for w in words), [w for w in words if not sinhala.match(w)][:5]
    assert len(load_dataset("en-ws353-all", data_dir=data_dir)) == 353


# == 4. analogies: parity with gensim ==============================================================
@pytest.mark.parametrize("restrict_vocab", [30_000, 500])
def test_analogy_matches_gensim_euclidean(euclid, euclid_kv, restrict_vocab):
    r = evaluate_analogies(euclid, "google-analogy", restrict_vocab=restrict_vocab)
    score, sections = euclid_kv.evaluate_word_analogies(datapath("questions-words.txt"),
                                                        restrict_vocab=restrict_vocab)
    assert _wordlab_sections(r) == _gensim_sections(sections)
    assert r.total.n_covered > 0
    assert r.accuracy == pytest.approx(score)


@pytest.mark.parametrize("restrict_vocab", [30_000, 500])
def test_analogy_matches_gensim_planted(google_subset, restrict_vocab):
    emb = _planted_store(google_subset)
    assert len(emb) > restrict_vocab or restrict_vocab == 30_000
    r = evaluate_analogies(emb, read_google_analogies(google_subset), restrict_vocab=restrict_vocab)
    score, sections = emb.to_gensim().evaluate_word_analogies(str(google_subset), restrict_vocab=restrict_vocab)
    assert score > 0.3                      # the comparison is not between two zeros
    assert _wordlab_sections(r) == _gensim_sections(sections)
    assert r.accuracy == pytest.approx(score)
    covered = sum(c for _, c in _gensim_sections(sections).values())
    assert r.coverage == pytest.approx(covered / r.total.n_questions)


@pytest.mark.parametrize("case_insensitive", [True, False])
def test_analogy_matches_gensim_mixed_casing(google_subset, case_insensitive):
    """Several casings per word: with case folding gensim matches question words
    upper-cased, skips predictions whose upper() is a question word, and counts a
    prediction correct when its upper() equals the expected word."""
    emb = _planted_store(google_subset, casings=True, seed=1)
    assert any(w != w.lower() for w in emb.words)
    r = evaluate_analogies(emb, read_google_analogies(google_subset), restrict_vocab=30_000,
                           case_insensitive=case_insensitive)
    score, sections = emb.to_gensim().evaluate_word_analogies(str(google_subset), restrict_vocab=30_000,
                                                              case_insensitive=case_insensitive)
    assert score > 0.3
    assert _wordlab_sections(r) == _gensim_sections(sections)
    assert r.accuracy == pytest.approx(score)


def _casing_store(extra_word: str, extra_vector):
    """a, b, c, d, then ``extra_word`` (a rarer casing), then fillers; dim 6."""
    e = np.eye(6)
    a, b, c = e[0], e[1], e[2]
    d = 0.5 * (b - a + c) + 0.9 * e[3]        # the best true answer, cos about 0.54
    rng = np.random.default_rng(0)
    fillers = 0.3 * rng.standard_normal((5, 6)) + e[4]
    return Embeddings(["a", "b", "c", "d", extra_word] + [f"f{i}" for i in range(5)],
                      np.vstack([a, b, c, d, extra_vector, fillers]))


def test_analogy_excludes_other_casings_of_question_words():
    e = np.eye(6)
    emb = _casing_store("B", e[1] - e[0] + e[2])   # "B" sits exactly on the 3CosAdd target
    data = AnalogyDataset("q", [("s", [("a", "b", "c", ("d",))])])
    kv = emb.to_gensim()
    insensitive = evaluate_analogies(emb, data, case_insensitive=True, keep_answers=True)
    assert insensitive.answers[0][-1] == "d" and insensitive.total.correct == 1
    sensitive = evaluate_analogies(emb, data, case_insensitive=False, keep_answers=True)
    assert sensitive.answers[0][-1] == "B" and sensitive.total.correct == 0
    # gensim agrees on both
    for ci, expected in ((True, 1), (False, 0)):
        with open_question_file(data) as path:
            score, _ = kv.evaluate_word_analogies(path, case_insensitive=ci)
        assert score == expected


def test_analogy_prediction_in_rarer_casing_of_answer_is_correct():
    """gensim compares upper-cased words: predicting "D" (a rarer casing of the expected
    "d") is correct with case folding. Minimal reproduction of a parity bug."""
    e = np.eye(6)
    emb = _casing_store("D", e[1] - e[0] + e[2])   # "D" sits exactly on the 3CosAdd target
    data = AnalogyDataset("q", [("s", [("a", "b", "c", ("d",))])])
    with open_question_file(data) as path:
        gensim_score, _ = emb.to_gensim().evaluate_word_analogies(path, case_insensitive=True)
    assert gensim_score == 1.0
    r = evaluate_analogies(emb, data, case_insensitive=True, keep_answers=True)
    assert r.answers[0][-1] == "D"
    assert r.total.correct == 1


class open_question_file:
    """Write an AnalogyDataset in Google format to a temporary file (context manager)."""

    def __init__(self, data: AnalogyDataset):
        import tempfile
        self._dir = tempfile.TemporaryDirectory()
        self.path = Path(self._dir.name) / "q.txt"
        lines = []
        for name, questions in data.sections:
            lines.append(f": {name}")
            lines += [f"{a} {b} {c} {d[0]}" for a, b, c, d in questions]
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def __enter__(self):
        return str(self.path)

    def __exit__(self, *exc):
        self._dir.cleanup()


# == 5. 3CosMul ====================================================================================
def test_3cosmul_by_hand():
    words = ["a", "b", "c", "d1", "d2", "d3"]
    vectors = np.array([[-2, -1, -2], [3, -1, -2], [-3, -3, -2], [0, 1, 3], [2, -2, 1], [3, -2, 2]], float)
    emb = Embeddings(words, vectors)
    u = _unit(vectors)
    cos = u @ u.T
    shifted = (1 + cos) / 2
    eps = 1e-3
    cosmul = shifted[:, 1] * shifted[:, 2] / (shifted[:, 0] + eps)
    cosadd = u @ _unit(u[1] - u[0] + u[2])
    cosmul[:3] = cosadd[:3] = -np.inf
    mul_answer, add_answer = words[int(np.argmax(cosmul))], words[int(np.argmax(cosadd))]
    assert (add_answer, mul_answer) == ("d2", "d3")   # the two methods disagree here

    data = AnalogyDataset("q", [("s", [("a", "b", "c", (mul_answer,))])])
    mul = evaluate_analogies(emb, data, method="3cosmul", keep_answers=True)
    assert mul.answers[0][-1] == mul_answer and mul.accuracy == 1.0
    add = evaluate_analogies(emb, data, method="3cosadd", keep_answers=True)
    assert add.answers[0][-1] == add_answer and add.accuracy == 0.0
    assert evaluate_analogies(emb, data, method="3CosMul").method == "3cosmul"
    assert emb.analogy("a", "b", "c", method="3cosmul")[0][0] == mul_answer
    with pytest.raises(ValueError):
        evaluate_analogies(emb, data, method="pairdirection")


def test_3cosmul_matches_gensim_cosmul():
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(300)]
    emb = Embeddings(words, rng.standard_normal((300, 12)))
    kv = emb.to_gensim()
    questions = []
    for _ in range(25):
        a, b, c, d = (words[i] for i in rng.choice(300, 4, replace=False))
        questions.append((a, b, c, (d,)))
    data = AnalogyDataset("rand", [("s", questions)])
    r = evaluate_analogies(emb, data, method="3cosmul", epsilon=1e-6, restrict_vocab=None,
                           case_insensitive=False, keep_answers=True)
    assert len(r.answers) == 25
    for (_, a, b, c, _, predicted) in r.answers:
        assert predicted == kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=1)[0][0], (a, b, c)


# == 6. MRR@k and hits@k ===========================================================================
def test_mrr_and_hits_by_hand():
    e = np.eye(4)
    angles = np.radians([10, 20, 30, 40, 50])
    cands = np.stack([np.cos(angles), np.sin(angles), np.zeros(5), np.zeros(5)], axis=1)
    # target = e3 - e4 + e1: the candidates rank by angle from e1, w1 (10 deg) first
    emb = Embeddings(["x0", "x1", "c", "w1", "w2", "w3", "w4", "w5"], np.vstack([e[3], e[2], e[0], cands]))
    questions = [("x0", "x1", "c", ("w1",)),    # rank 1
                 ("x0", "x1", "c", ("w3",)),    # rank 3
                 ("x0", "x1", "c", ("w5",)),    # rank 5: beyond k=3
                 ("x0", "x1", "c", ("zzz",))]   # not covered
    data = AnalogyDataset("q", [("s", questions)])
    r = evaluate_analogies(emb, data, k=3)
    t = r.total
    assert (t.n_questions, t.n_covered, t.correct, t.hits_at_k) == (4, 3, 1, 2)
    assert t.mrr == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert t.hits == pytest.approx(2 / 3)
    assert t.accuracy == pytest.approx(1 / 3)
    assert t.accuracy_all == pytest.approx(1 / 4)
    assert r.coverage == pytest.approx(3 / 4)
    r10 = evaluate_analogies(emb, data, k=10)
    assert r10.total.mrr == pytest.approx((1 + 1 / 3 + 1 / 5) / 3)
    assert r10.total.hits == pytest.approx(1.0)
    frame = r.to_frame()
    assert list(frame["section"]) == ["s", "total"]
    assert frame.loc[1, "mrr@3"] == pytest.approx(4 / 9) and frame.loc[1, "hits@3"] == pytest.approx(2 / 3)
    # several accepted answers: the best-ranked one counts
    multi = AnalogyDataset("q", [("s", [("x0", "x1", "c", ("w4", "w2"))])])
    assert evaluate_analogies(emb, multi, k=3).total.mrr == pytest.approx(1 / 2)


# == 7. EvalRank ======================================================================================
def _circle_store():
    angles = {"the": 95, "of": 200, "cat": 0, "dog": 30, "tiger": 50, "bus": 120, "car": 170, "rare": 5}
    words = list(angles)   # "the", "of" are the two most frequent: the background with background=2
    rad = np.radians([angles[w] for w in words])
    return Embeddings(words, np.stack([np.cos(rad), np.sin(rad)], axis=1))


PAIRS = PairDataset("toy", [("cat", "dog", 9.0), ("car", "bus", 8.0), ("cat", "tiger", 6.0),
                            ("tiger", "car", 5.0), ("dog", "car", 2.0), ("cat", "unicorn", 7.0),
                            ("cat", "cat", 10.0)])


def test_evalrank_by_hand():
    emb = _circle_store()
    r = evalrank(emb, PAIRS, threshold=5.0, background=2)
    # positives: cat-dog, car-bus, cat-tiger, tiger-car, cat-unicorn (cat-cat dropped)
    assert r.n_positive == 5 and r.threshold == 5.0
    # pool: the, of + cat, dog, tiger, bus, car ("rare", at 5 degrees, is outside it)
    assert r.background == 7
    # cat->dog: 1 (cat itself excluded); car->bus: "of" closer -> 2; cat->tiger: dog closer -> 2;
    # tiger->car: dog, the, cat, bus closer -> 5
    assert list(r.ranks) == [1, 2, 2, 5]
    assert r.coverage == pytest.approx(4 / 5)
    assert r.mr == pytest.approx(2.5)
    assert r.mrr == pytest.approx((1 + 0.5 + 0.5 + 0.2) / 4)
    assert (r.hits(1), r.hits(3), r.hits(10)) == (pytest.approx(0.25), pytest.approx(0.75), pytest.approx(1.0))
    # with the whole vocabulary as background "rare" (5 degrees) enters the pool: it outranks
    # dog and tiger for cat, and car for tiger (45 degrees away from tiger against 120)
    everything = evalrank(emb, PAIRS, threshold=5.0, background=100)
    assert everything.background == 8
    assert list(everything.ranks) == [2, 2, 3, 6]


def test_evalrank_default_threshold():
    emb = _circle_store()
    r = evalrank(emb, PAIRS, background=2)
    # scores sorted 2, 5, 6, 7, 8, 9, 10: the 75th percentile is 8.5
    assert r.threshold == pytest.approx(8.5)
    assert r.threshold == pytest.approx(np.quantile([s for _, _, s in PAIRS.pairs], 0.75))
    assert r.n_positive == 1 and list(r.ranks) == [1]   # only cat-dog (cat-cat is dropped)


# == 8. report ============================================================================================
def _close(a, b):
    return (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b)


def test_evaluate_report(euclid, all_words_store):
    table = evaluate([euclid, all_words_store], ["ws353", "google-analogy"])
    assert list(table.columns) == COLUMNS
    assert list(table["store"].unique()) == ["store-1", "store-2"]
    assert set(table["dataset"]) == {"ws353", "google-analogy"}
    assert set(table["task"]) == {"similarity", "analogy"}
    assert {"spearman", "pearson", "accuracy", "mrr@10", "hits@10", "accuracy_all"} <= set(table["metric"])
    assert "total" in set(table["section"])
    google_sections = [name for name, _ in load_dataset("google-analogy").sections]
    for name, store in (("store-1", euclid), ("store-2", all_words_store)):
        rows = table[table["store"] == name]
        sim = evaluate_word_pairs(store, "ws353")
        got = rows[(rows["dataset"] == "ws353") & (rows["section"] == "total")].set_index("metric")
        assert got.loc["spearman", "value"] == pytest.approx(sim.spearman)
        assert got.loc["pearson", "value"] == pytest.approx(sim.pearson)
        assert got.loc["spearman", "coverage"] == pytest.approx(sim.coverage)
        ana = evaluate_analogies(store, "google-analogy", restrict_vocab=30_000, k=10)
        analogy_rows = rows[rows["dataset"] == "google-analogy"]
        assert list(dict.fromkeys(analogy_rows["section"])) == google_sections + ["total"]
        for s in ana.sections + [ana.total]:
            got = analogy_rows[analogy_rows["section"] == s.section].set_index("metric")
            assert _close(got.loc["accuracy", "value"], s.accuracy)
            assert _close(got.loc["mrr@10", "value"], s.mrr)
            assert _close(got.loc["hits@10", "value"], s.hits)
            assert _close(got.loc["accuracy_all", "value"], s.accuracy_all)
            assert got.loc["accuracy", "coverage"] == pytest.approx(s.coverage)
    total = table[(table["store"] == "store-2") & (table["dataset"] == "google-analogy")
                  & (table["section"] == "total")]
    assert total["coverage"].iloc[0] == pytest.approx(1.0)   # every Google word is in store 2


def test_report_writers(euclid):
    table = evaluate([euclid], ["ws353", "google-analogy"])
    assert table["value"].isna().any()   # sections with no covered question: NaN accuracy

    records = json.loads(to_json(table))
    assert isinstance(records, list) and len(records) == len(table)
    assert all(set(rec) == set(COLUMNS) for rec in records)
    for rec, (_, row) in zip(records, table.iterrows()):
        if pd.isna(row["value"]):
            assert rec["value"] is None
        else:
            assert rec["value"] == pytest.approx(row["value"])
    assert any(rec["value"] is None for rec in records)

    back = pd.read_csv(io.StringIO(to_csv(table)))
    assert list(back.columns) == COLUMNS
    pd.testing.assert_frame_equal(back, table.reset_index(drop=True), check_dtype=False)

    lines = to_markdown(table).splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |"
    assert re.fullmatch(r"\|(---:?\|){10}", lines[1])          # numbers aligned right
    assert len(lines) == len(table) + 2
    assert lines[2].startswith("| store-1 | ws353 | similarity | total | spearman |")


# == 9. plots ===============================================================================================
def _assert_png(path: Path):
    assert path.is_file() and path.stat().st_size > 0
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_plots_write_png(tmp_path, euclid, all_words_store):
    sim = evaluate_word_pairs(euclid, "ws353")
    fig = plots.similarity_scatter(sim)
    assert isinstance(fig, Figure)
    assert "Spearman" in fig.axes[0].get_title()
    fig.savefig(tmp_path / "scatter.png")
    _assert_png(tmp_path / "scatter.png")

    results = [evaluate_analogies(e, "google-analogy") for e in (euclid, all_words_store)]
    fig = plots.analogy_sections(results, labels=["euclid", "random"], title="sections")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "sections"
    assert len(ax.patches) == 2 * 15   # 14 sections + total, per store
    fig.savefig(tmp_path / "sections.png")
    _assert_png(tmp_path / "sections.png")


# == 10. the eval command ====================================================================================
@pytest.fixture()
def saved_store(tmp_path, all_words_store):
    return str(all_words_store.save(tmp_path / "store"))


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _assert_one_error_line(result, *fragments):
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error:"), result.output
    for f in fragments:
        assert f in lines[0], (f, lines[0])


def test_cli_eval_table(saved_store):
    result = _run("eval", saved_store)
    assert result.exit_code == 0, result.output
    for name in ("google-analogy", "ws353", "simlex999"):
        assert re.search(rf"^.*\b{re.escape(name)}\b", result.stdout, re.M), name
    assert "spearman" in result.stdout and "accuracy" in result.stdout and "coverage" in result.stdout


def test_cli_eval_json_and_csv(saved_store, all_words_store):
    result = _run("eval", saved_store, "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert records and all(set(rec) == set(COLUMNS) for rec in records)
    assert {rec["dataset"] for rec in records} == {"google-analogy", "ws353", "simlex999"}
    assert {rec["store"] for rec in records} == {saved_store}
    spearman = next(rec["value"] for rec in records if rec["dataset"] == "ws353" and rec["metric"] == "spearman")
    assert spearman == pytest.approx(evaluate_word_pairs(all_words_store, "ws353").spearman, abs=1e-6)

    result = _run("eval", saved_store, "--format", "csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == COLUMNS
    assert len(frame) == len(records)
    assert set(frame["section"]) >= {"total", "capital-common-countries"}


def test_cli_eval_custom_dataset_and_plot(tmp_path, saved_store, all_words_store):
    pairs = tmp_path / "mypairs.txt"
    pairs.write_text("tiger\tcat\t7.35\nbook\tpaper\t7.46\nking\tcabbage\t0.23\nsun\tmoon\t5.0\n",
                     encoding="utf-8")
    expected = evaluate_word_pairs(all_words_store, pairs)
    assert expected.n_found == 4
    result = _run("eval", saved_store, "-d", pairs, "--format", "json", "--plot", tmp_path / "scatter.png")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert {rec["dataset"] for rec in records} == {"mypairs"}
    got = {rec["metric"]: rec["value"] for rec in records}
    assert got["spearman"] == pytest.approx(expected.spearman, abs=1e-6)
    assert got["pearson"] == pytest.approx(expected.pearson, abs=1e-6)
    _assert_png(tmp_path / "scatter.png")

    result = _run("eval", saved_store, "-d", "ws353", "-d", "google-analogy", "--plot", tmp_path / "bars.png")
    assert result.exit_code == 0, result.output
    _assert_png(tmp_path / "bars.png")


def test_cli_eval_errors(tmp_path, saved_store):
    _assert_one_error_line(_run("eval", saved_store, "-d", "no-such-dataset"), "no-such-dataset")
    bad = tmp_path / "bad.txt"
    bad.write_text("tiger\tcat\t7.35\nbook\tpaper\n", encoding="utf-8")
    _assert_one_error_line(_run("eval", saved_store, "-d", bad), str(bad), "line 2")


def test_cli_list_datasets():
    result = _run("eval", "--list-datasets")
    assert result.exit_code == 0, result.output
    for name in REGISTRY:
        assert re.search(rf"^\s*{re.escape(name)}\s", result.output, re.M), name


# -- damaged dataset files -------------------------------------------------------------------
@pytest.mark.parametrize("reader, text", [
    (read_pairs, "tiger\tcat\t7.35\nbook\tpaper\t7.46\n"),
    (read_google_analogies, ": capital\nAthens Greece Baghdad Iraq\n"),
    (read_bats, "cat\tcats\ndog\tdogs\n"),
])
def test_dataset_byte_order_mark_and_crlf(tmp_path, reader, text):
    plain, bom, crlf = tmp_path / "plain.txt", tmp_path / "bom.txt", tmp_path / "crlf.txt"
    plain.write_bytes(text.encode())
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    expected = reader(plain)
    for other in (bom, crlf):
        got = reader(other)
        assert getattr(got, "pairs", None) == getattr(expected, "pairs", None)
        assert [q for _, q in getattr(got, "sections", [])] == [q for _, q in getattr(expected, "sections", [])]
    assert load_dataset(bom).task == expected.task   # format sniffed past the mark


def test_dataset_invalid_utf8_names_line_and_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"tiger\tcat\t7.35\ncaf\xe9\tcoffee\t5\n")
    with pytest.raises(InputFormatError, match=r"latin1\.txt, line 2: not valid utf-8 .*byte offset 18"):
        read_pairs(path)


@pytest.mark.parametrize("score", ["nan", "inf", "-inf"])
def test_dataset_score_must_be_finite(tmp_path, score):
    path = tmp_path / "ws.txt"
    path.write_text(f"tiger\tcat\t7.35\nbook\tpaper\t{score}\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"ws\.txt, line 2: score .* not a finite number"):
        read_pairs(path)


@pytest.mark.parametrize("reader, fragment", [(read_pairs, "no word pairs found in its 3 lines"),
                                              (read_google_analogies, "no analogy questions found in its 3 lines"),
                                              (read_bats, "no BATS relation pairs found in its 3 lines")])
def test_dataset_without_entries_says_how_many_lines(tmp_path, reader, fragment):
    path = tmp_path / "empty.txt"
    path.write_text("# only\n\n# comments\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=re.escape(fragment)):
        reader(path)


def test_dataset_missing_file_is_a_wordlab_error(tmp_path):
    with pytest.raises(WordlabError, match="missing.txt"):
        read_pairs(tmp_path / "missing.txt")
