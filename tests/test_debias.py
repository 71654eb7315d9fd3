"""Tests of wordlab.debias: word lists, the bias direction, hard debiasing, the bias
measures, WEAT and its permutation test, and Gonen and Goldberg's residual-bias tests.

The stores are synthetic, with a planted bias direction g: definitional pairs differ
mostly along g, "neutral" words carry a random component along g (and optionally along
a second direction h that correlates with their side, which debiasing cannot see).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import statistics
import warnings

import numpy as np
import pytest

from wordlab import Embeddings
from wordlab.debias import (DEFINITIONAL_PAIRS, BiasDirection, MissingWordsError, MissingWordsWarning,
                            WeakDirectionWarning, bias_direction, bias_report, cluster_accuracy, direct_bias,
                            equalize_pair, format_report, hard_debias, indirect_bias, most_biased,
                            permutation_p_value, professions_plot, read_pairs, read_words, residual_bias, weat)
from wordlab.debias.residual import excluded_words
from wordlab.debias.weat import WEAT_TESTS, load_weat_sets, weat_test
from wordlab.debias.wordlists import DEBIASWE_LISTS, load_debiaswe
from wordlab.errors import DataError, InputFormatError, ParameterError, WordlabError

DIM = 24
SPECIFIC = ["king", "queen", "actress", "actor"]
EQUALIZE = [("dad", "mom"), ("Grandpa", "Grandma"), ("king", "queen"), ("colt", "filly")]
PROFESSIONS = ["nurse", "engineer", "surgeon", "receptionist", "carpenter", "librarian", "actress"]


def nw(i: int) -> str:
    """Name of neutral word i, letters only (Gonen and Goldberg's candidates are alphabetic)."""
    return "w" + "".join("abcdefghij"[int(d)] for d in str(i))


def _unit(v):
    return v / np.linalg.norm(v)


def planted_store(seed: int = 0, n_neutral: int = 300, leak: float = 0.0, missing: int = 0):
    """A store with a planted direction g; returns (store, g, labels of the neutral words).

    ``leak``: neutral words also carry ``leak * side`` along a direction h orthogonal to g.
    ``missing``: leave out the last ``missing`` definitional pairs.
    """
    rng = np.random.default_rng(seed)
    g = _unit(rng.standard_normal(DIM))
    h = rng.standard_normal(DIM)
    h = _unit(h - (h @ g) * g)
    words, vectors = [], []

    def base():
        v = rng.standard_normal(DIM)
        return v - (v @ g) * g

    def add(word, vector):
        words.append(word)
        vectors.append(vector)

    for a, b in DEFINITIONAL_PAIRS[:len(DEFINITIONAL_PAIRS) - missing]:
        c = base()
        add(a.lower(), c + 2.0 * g + 0.1 * rng.standard_normal(DIM))   # lower-cased store: "mary", "john"
        add(b.lower(), c - 2.0 * g + 0.1 * rng.standard_normal(DIM))
    for a, b in [("mom", "dad"), ("grandma", "grandpa"), ("queen", "king"), ("actress", "actor")]:
        c = base()
        add(a, c + 1.5 * g + 0.3 * rng.standard_normal(DIM))
        add(b, c - 1.2 * g + 0.3 * rng.standard_normal(DIM))
    for p in PROFESSIONS:
        if p not in words:
            add(p, base() + rng.normal(0, 1.0) * g)
    labels = rng.integers(0, 2, n_neutral)
    for i, y in enumerate(labels):
        side = 1.0 if y else -1.0
        add(nw(i), base() + side * (1.5 + rng.random()) * g + side * leak * h)
    vectors = np.array(vectors, dtype=np.float32)
    counts = np.arange(len(words), 0, -1) * 10
    return Embeddings(words, vectors, counts=counts, meta={"method": "test"}), g, labels


def _digest(directory):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def _projections(store, g):
    x = np.asarray(store.vectors, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1)
    return (x @ g) / np.where(norms > 0, norms, 1.0)


# -- word lists --------------------------------------------------------------------------------
def test_read_pairs_text_and_json(tmp_path):
    text = tmp_path / "pairs.txt"
    text.write_text("# comment\nwoman man\n\ngirl,boy   # trailing comment\nwoman man\nshe\the\n", encoding="utf-8")
    assert read_pairs(text) == [("woman", "man"), ("girl", "boy"), ("she", "he")]
    js = tmp_path / "pairs.json"
    js.write_text(json.dumps([["woman", "man"], ["Mary", "John"]]), encoding="utf-8")
    assert read_pairs(js) == [("woman", "man"), ("Mary", "John")]


@pytest.mark.parametrize("name, content, fragment", [
    ("bad_pairs.txt", "woman man\ngirl boy\nshe he it\n", "line 3"),
    ("bad_pairs.txt", "woman man\nlonely\n", "line 2"),
    ("bad_pairs.txt", "woman woman\n", "same word twice"),
    ("bad_pairs.txt", "# only a comment\n", "no pairs"),
    ("bad_pairs.json", '[["woman", "man"],\n ["girl" "boy"]]', "line 2"),
    ("bad_pairs.json", '[["woman", "man"], ["girl"]]', "item 2"),
    ("bad_pairs.json", '[["woman", "man"], ["girl", 3]]', "item 2"),
    ("bad_pairs.json", '{"a": ["woman", "man"]}', "expected a JSON list"),
])
def test_read_pairs_errors_name_file_and_line(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFormatError) as info:
        read_pairs(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_read_words_formats_and_errors(tmp_path):
    prof = tmp_path / "professions.json"
    prof.write_text(json.dumps([["nurse", -0.5, 0.2], ["engineer", 0.0, 0.6], ["nurse", 0, 0]]), encoding="utf-8")
    assert read_words(prof) == ["nurse", "engineer"]
    plain = tmp_path / "words.txt"
    plain.write_text("he\n# x\nshe\n\nhe\n", encoding="utf-8")
    assert read_words(plain) == ["he", "she"]
    bad = tmp_path / "two.txt"
    bad.write_text("he\nhis own\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"two\.txt, line 2: expected one word"):
        read_words(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('["he", "she", 7]', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"bad\.json, item 3"):
        read_words(bad_json)
    bad_utf8 = tmp_path / "latin1.txt"
    bad_utf8.write_bytes(b"he\nsh\xe9\n")
    with pytest.raises(InputFormatError, match=r"latin1\.txt, line 2: not valid UTF-8"):
        read_words(bad_utf8)


@pytest.mark.data
def test_debiaswe_lists_load(data_dir):
    pairs = load_debiaswe("definitional_pairs", data_dir)
    assert pairs == list(DEFINITIONAL_PAIRS)
    assert len(load_debiaswe("equalize_pairs", data_dir)) == 52
    prof = load_debiaswe("professions", data_dir)
    assert len(prof) == 320 and prof[0] == "accountant"
    assert "he" in load_debiaswe("gender_specific_full", data_dir)
    assert set(DEBIASWE_LISTS) >= {"equalize_pairs", "gender_specific_full", "professions"}


# -- the direction -------------------------------------------------------------------------------
def test_pca_direction_recovers_planted_direction():
    store, g, _ = planted_store()
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeakDirectionWarning)
        d = bias_direction(store)
    assert d.method == "pca"
    assert d.vector @ g > 0.99             # and the first (female) words are on the + side
    assert d.explained_variance_ratio.shape == (10,)
    assert d.first_component_ratio > 0.5
    assert ("mary", "john") in d.pairs     # found lower-cased
    for method, pairs in (("sum", DEFINITIONAL_PAIRS), ("pair", [("she", "he")])):
        other = bias_direction(store, pairs, method=method)
        assert other.vector @ g > 0.95
        assert other.explained_variance_ratio is None


def test_pca_direction_equals_scikit_learn_pca():
    from sklearn.decomposition import PCA
    store, _, _ = planted_store(seed=3)
    d = bias_direction(store)
    rows = []
    for a, b in d.pairs:
        va, vb = (_unit(np.asarray(store[w], dtype=np.float64)) for w in (a, b))
        c = (va + vb) / 2
        rows += [va - c, vb - c]
    pca = PCA(n_components=10).fit(np.array(rows))
    np.testing.assert_allclose(d.explained_variance_ratio, pca.explained_variance_ratio_, rtol=1e-9, atol=1e-12)
    assert abs(pca.components_[0] @ d.vector) == pytest.approx(1.0, abs=1e-9)


def test_weak_direction_warns():
    rng = np.random.default_rng(5)
    words = [w for pair in DEFINITIONAL_PAIRS for w in pair]
    store = Embeddings(words, rng.standard_normal((len(words), DIM)))
    with pytest.warns(WeakDirectionWarning, match="below 0.5"):
        d = bias_direction(store)
    assert d.first_component_ratio < 0.5


def test_pair_method_needs_one_pair():
    store, _, _ = planted_store()
    with pytest.raises(ValueError, match="exactly one pair"):
        bias_direction(store, method="pair")


def test_missing_definitional_pairs_threshold():
    store, _, _ = planted_store(missing=6)        # 6 of the 10 pairs absent
    with pytest.raises(MissingWordsError, match=r"definitional pairs: 4 of 10 found.*60% missing"):
        bias_direction(store)
    with pytest.warns(MissingWordsWarning, match="missing 6"):
        d = bias_direction(store, max_missing=0.7)
    assert len(d.pairs) == 4 and d.coverage.missing[0] == DEFINITIONAL_PAIRS[4]
    few, _, _ = planted_store(missing=3)
    with pytest.warns(MissingWordsWarning, match="7 of 10 found"):
        assert len(bias_direction(few).pairs) == 7


# -- hard debiasing --------------------------------------------------------------------------------
@pytest.fixture()
def debiased(tmp_path):
    store, g, labels = planted_store(leak=3.0)
    path = store.save(tmp_path / "in")
    before = _digest(path)
    original = Embeddings.open(path)
    with pytest.warns(MissingWordsWarning, match="colt/filly"):
        out = hard_debias(original, tmp_path / "out", equalize=EQUALIZE, gender_specific=SPECIFIC)
    return original, out, before, path


def test_neutralised_words_have_no_projection(debiased):
    original, out, _, _ = debiased
    g = np.asarray(out.meta["debias"]["direction"]["vector"])
    kept = set(SPECIFIC) | {w for p in out.meta["debias"]["equalized"] for w in p}
    proj = _projections(out, g)
    neutral = np.array([w not in kept for w in out.words])
    assert neutral.sum() == out.meta["debias"]["neutralised"] == len(out) - len(kept)
    assert np.max(np.abs(proj[neutral])) < 1e-6
    assert np.max(np.abs(_projections(original, g)[neutral])) > 0.3     # there was bias to remove
    np.testing.assert_allclose(np.linalg.norm(out.vectors, axis=1), 1.0, atol=1e-6)
    neutral_professions = [p for p in PROFESSIONS if p not in kept]
    d = BiasDirection(g)
    assert direct_bias(out, d, neutral_professions).value < 1e-6
    assert direct_bias(original, d, neutral_professions).value > 0.05


def test_equalised_pairs_are_equidistant_from_every_neutral_word(debiased):
    original, out, _, _ = debiased
    g = np.asarray(out.meta["debias"]["direction"]["vector"])
    pairs = [tuple(p) for p in out.meta["debias"]["equalized"]]
    assert set(map(frozenset, pairs)) == {frozenset(p) for p in
                                          [("dad", "mom"), ("grandpa", "grandma"), ("king", "queen")]}
    kept = set(SPECIFIC) | {w for p in pairs for w in p}
    neutral = np.array([out.index[w] for w in out.words if w not in kept])
    x = np.asarray(out.vectors, dtype=np.float64)
    for a, b in pairs:
        va, vb = x[out.index[a]], x[out.index[b]]
        da = np.linalg.norm(x[neutral] - va, axis=1)
        db = np.linalg.norm(x[neutral] - vb, axis=1)
        assert np.max(np.abs(da - db)) < 1e-6
        assert va @ g == pytest.approx(-(vb @ g), abs=1e-6)            # symmetric about the neutral axis
        side = np.sign(original[a].astype(np.float64) @ g - original[b].astype(np.float64) @ g)
        assert np.sign(va @ g) == side                                  # each word keeps its side
    assert out.meta["debias"]["equalize"]["missing"] == [["colt", "filly"]]


def test_specific_words_only_renormalised_and_input_untouched(debiased):
    original, out, before, path = debiased
    for w in ("actress", "actor"):
        cos = float(_unit(original[w].astype(np.float64)) @ out[w].astype(np.float64))
        assert cos == pytest.approx(1.0, abs=1e-6)
    assert _digest(path) == before                     # no file changed or added (no unit_vectors.npy)
    assert out.path != original.path
    assert out.words == original.words
    np.testing.assert_array_equal(out.counts, original.counts)
    assert out.meta["debias"]["gender_specific"]["found_words"] == SPECIFIC
    assert not out.vectors.flags.writeable           # memory-mapped, read-only


def test_hard_debias_refuses_to_overwrite(tmp_path, debiased):
    original, out, _, path = debiased
    with pytest.raises(WordlabError, match="would replace the input"):
        hard_debias(original, path, equalize=EQUALIZE, gender_specific=SPECIFIC, overwrite=True)
    with pytest.raises(WordlabError, match="already exists"):
        hard_debias(original, out.path, equalize=EQUALIZE, gender_specific=SPECIFIC)


def test_equalize_pair_matches_the_papers_formula():
    rng = np.random.default_rng(11)
    for _ in range(20):
        g = _unit(rng.standard_normal(DIM))
        a, b = _unit(rng.standard_normal(DIM)), _unit(rng.standard_normal(DIM))
        mu = (a + b) / 2
        mu_b = (mu @ g) * g
        nu = mu - mu_b
        expected = []
        for w in (a, b):
            w_b = (w @ g) * g
            expected.append(nu + math.sqrt(1 - nu @ nu) * (w_b - mu_b) / np.linalg.norm(w_b - mu_b))
        got = equalize_pair(a, b, g)
        np.testing.assert_allclose(got[0], expected[0], atol=1e-12)
        np.testing.assert_allclose(got[1], expected[1], atol=1e-12)
        assert np.linalg.norm(got[0]) == pytest.approx(1.0)


def test_equalize_case_variants_count_once(tmp_path):
    store, _, _ = planted_store()
    pairs = [("Dad", "Mom"), ("dad", "mom"), ("MOM", "DAD"), ("Grandpa", "Grandma"), ("colt", "filly")]
    with pytest.warns(MissingWordsWarning, match="equalize pairs: 2 of 3 found; missing 1: colt/filly"):
        out = hard_debias(store, tmp_path / "out", equalize=pairs, gender_specific=SPECIFIC)
    assert out.meta["debias"]["equalized"] == [["dad", "mom"], ["grandpa", "grandma"]]


def test_equalize_threshold_refuses(tmp_path):
    store, _, _ = planted_store()
    absent = [("colt", "filly"), ("nephew", "niece"), ("dad", "mom")]
    with pytest.raises(MissingWordsError, match=r"equalize pairs: 1 of 3 found"):
        hard_debias(store, tmp_path / "out", equalize=absent, gender_specific=SPECIFIC)
    assert not (tmp_path / "out").exists()


# -- DirectBias and indirect bias ----------------------------------------------------------------
def test_direct_bias_brute_force():
    store, g, _ = planted_store()
    words = ["nurse", "engineer", nw(1), nw(2), nw(3)]
    cos = [float(_unit(store[w].astype(np.float64)) @ g) for w in words]
    for c in (0.0, 1.0, 2.0):
        expected = sum(abs(x) ** c for x in cos) / len(cos)
        assert direct_bias(store, g, words, c=c).value == pytest.approx(expected, rel=1e-12)
    with pytest.warns(MissingWordsWarning, match="5 of 6 found; missing 1: absent"):
        r = direct_bias(store, g, words + ["absent"], max_missing=0.5)
    assert r.n_words == 5 and r.coverage.missing == ["absent"]
    with pytest.raises(MissingWordsError):
        direct_bias(store, g, ["nurse", "absent1", "absent2"])


def test_indirect_bias_brute_force():
    store, g, _ = planted_store()
    w, v = (_unit(store[x].astype(np.float64)) for x in ("nurse", nw(7)))
    wp, vp = w - (w @ g) * g, v - (v @ g) * g
    expected = (w @ v - (wp @ vp) / (np.linalg.norm(wp) * np.linalg.norm(vp))) / (w @ v)
    assert indirect_bias(store, "nurse", nw(7), g) == pytest.approx(expected, rel=1e-10)
    # Two words orthogonal to g: none of their similarity is due to it.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, DIM))
    x -= np.outer(x @ g, g)
    flat = Embeddings(["p", "q"], x)
    assert indirect_bias(flat, "p", "q", g) == pytest.approx(0.0, abs=1e-6)


# -- WEAT ------------------------------------------------------------------------------------------
def _weat_store(seed=0, n=30):
    rng = np.random.default_rng(seed)
    words = [f"t{i}" for i in range(n)]
    return Embeddings(words, rng.standard_normal((n, 8)))


def _cos(u, v):
    return sum(a * b for a, b in zip(u, v)) / math.sqrt(sum(a * a for a in u) * sum(b * b for b in v))


def _brute_weat(store, X, Y, A, B):
    vec = {w: [float(x) for x in store[w]] for w in X + Y + A + B}

    def s(w):
        return (sum(_cos(vec[w], vec[a]) for a in A) / len(A) - sum(_cos(vec[w], vec[b]) for b in B) / len(B))

    assoc = {w: s(w) for w in X + Y}
    stat = sum(assoc[x] for x in X) - sum(assoc[y] for y in Y)
    es1 = (statistics.mean(assoc[x] for x in X) - statistics.mean(assoc[y] for y in Y)) / \
        statistics.stdev(assoc[w] for w in X + Y)
    es0 = (statistics.mean(assoc[x] for x in X) - statistics.mean(assoc[y] for y in Y)) / \
        statistics.pstdev(assoc[w] for w in X + Y)
    both = X + Y
    hits = total = 0
    for chosen in itertools.combinations(both, len(X)):
        rest = [w for w in both if w not in chosen]
        total += 1
        hits += sum(assoc[x] for x in chosen) - sum(assoc[y] for y in rest) >= stat - 1e-12
    return stat, es1, es0, hits / total, total


@pytest.mark.parametrize("nx, ny", [(5, 5), (4, 6)])
def test_weat_equals_brute_force(nx, ny):
    store = _weat_store()
    words = store.words
    X, Y, A, B = words[:nx], words[nx:nx + ny], words[12:18], words[18:23]
    stat, es1, es0, p, total = _brute_weat(store, X, Y, A, B)
    r = weat(store, X, Y, A, B)
    assert r.statistic == pytest.approx(stat, abs=1e-6)
    assert r.effect_size == pytest.approx(es1, abs=1e-6) and r.ddof == 1
    assert weat(store, X, Y, A, B, ddof=0).effect_size == pytest.approx(es0, abs=1e-6)
    assert r.p_method == "exact" and r.n_partitions == total == math.comb(nx + ny, nx)
    assert r.p_value == p                       # exactly: the same partitions counted
    assert r.sizes == {"X": nx, "Y": ny, "A": 6, "B": 5}


def test_weat_detects_planted_association():
    store, g, _ = planted_store()
    X = [nw(i) for i in range(40)]
    order = sorted(X, key=lambda w: -float(store[w] @ g))
    high, low = order[:8], order[-8:]
    r = weat(store, high, low, ["she", "her", "woman", "girl"], ["he", "his", "man", "boy"])
    assert r.effect_size > 1.5 and r.p_value < 0.01
    assert r.p_value >= 1 / r.n_partitions     # the observed partition counts


def test_sampled_p_value_converges_to_exact():
    rng = np.random.default_rng(4)
    s = rng.standard_normal(14) + np.r_[np.full(7, 0.3), np.zeros(7)]
    exact, how, total, _ = permutation_p_value(s, 7, method="exact")
    assert how == "exact" and total == 3432
    errors = {}
    for n in (100, 3000):
        errors[n] = [abs(permutation_p_value(s, 7, n_samples=n, method="sampled", seed=seed)[0] - exact)
                     for seed in range(5)]
    assert np.mean(errors[3000]) < np.mean(errors[100])
    assert max(errors[3000]) < 0.02
    # Without replacement: all but one partition leaves at most one count out.
    for seed in range(5):
        p, how, _, used = permutation_p_value(s, 7, n_samples=total - 1, method="sampled", seed=seed)
        assert how == "sampled" and used == total - 1
        assert abs(p - exact) <= 1 / (total - 1) + 1e-12
    # Asking for every partition is the exact test.
    assert permutation_p_value(s, 7, n_samples=total, method="sampled")[:2] == (exact, "exact")
    # Seeded: reproducible.
    assert permutation_p_value(s, 7, n_samples=500, method="sampled", seed=9) == \
        permutation_p_value(s, 7, n_samples=500, method="sampled", seed=9)


def test_weat_switches_to_sampling_above_exact_limit():
    store = _weat_store(n=40)
    w = store.words
    r = weat(store, w[:12], w[12:24], w[24:32], w[32:40], n_samples=2000, exact_limit=10_000)
    assert r.p_method == "sampled" and r.n_evaluated == 2000 and r.n_partitions == math.comb(24, 12)
    exact = weat(store, w[:12], w[12:24], w[24:32], w[32:40])       # C(24, 12) = 2.7M > 1M: sampled too
    assert exact.p_method == "sampled"


def test_weat_sets_file_and_errors(tmp_path):
    store = _weat_store()
    w = store.words
    sets = tmp_path / "sets.json"
    sets.write_text(json.dumps({"x": w[:4], "y": w[4:8], "a": w[8:12], "b": w[12:16] + ["absent"]}), encoding="utf-8")
    with pytest.warns(MissingWordsWarning, match="absent"):
        r = weat(store, "x", "y", "a", "b", sets=sets)
    assert r.sizes == {"X": 4, "Y": 4, "A": 4, "B": 4}
    assert r.statistic == pytest.approx(weat(store, w[:4], w[4:8], w[8:12], w[12:16]).statistic)
    with pytest.raises(WordlabError, match="unknown WEAT word set 'z'"):
        weat(store, "z", "y", "a", "b", sets=sets)
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": ["a", 3]}', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"bad\.json, set 'x', item 2"):
        load_weat_sets(bad)


@pytest.mark.data
def test_weat_json_loads_by_name(data_dir):
    sets = load_weat_sets(data_dir=data_dir)
    for names in WEAT_TESTS.values():
        assert all(n in sets for n in names)
    assert len(sets["career"]) == 8 and sets["male_names"][0] == "John"
    # career_family on a store holding (lower-cased) the test's words.
    words = [x.lower() for n in WEAT_TESTS["career_family"] for x in sets[n]]
    rng = np.random.default_rng(0)
    store = Embeddings(list(dict.fromkeys(words)), rng.standard_normal((len(set(words)), 10)))
    r = weat_test(store, "career_family", sets)
    assert r.sizes == {"X": 8, "Y": 8, "A": 8, "B": 8} and r.p_method == "exact" and r.n_partitions == 12870


# -- residual bias (Gonen and Goldberg) ---------------------------------------------------------
def test_clustering_recovers_bias_only_when_it_leaks(tmp_path):
    accuracy = {}
    for leak in (0.0, 3.0):
        store, _, labels = planted_store(seed=1, leak=leak)
        out = hard_debias(store, tmp_path / f"out{leak}", equalize=EQUALIZE[:3], gender_specific=SPECIFIC)
        d = BiasDirection(out.meta["debias"]["direction"]["vector"])
        biased = most_biased(store, d, n=100, exclude=excluded_words(out))
        assert not set(biased.words) & set(SPECIFIC)
        before, after = residual_bias(store, biased, k=20), residual_bias(out, biased, k=20)
        assert before.cluster_accuracy > 0.95 and before.neighbor_correlation > 0.5
        accuracy[leak] = after.cluster_accuracy, after.neighbor_correlation
    assert accuracy[3.0][0] > 0.9 and accuracy[3.0][1] > 0.5        # the bias is still there
    assert accuracy[0.0][0] < 0.75 and accuracy[0.0][1] < 0.4       # nothing left to find


def test_cluster_accuracy_is_label_symmetric():
    store, g, _ = planted_store()
    words = [nw(i) for i in range(60)]
    labels = (np.array([float(store[w] @ g) for w in words]) > 0).astype(int)
    assert cluster_accuracy(store, words, labels) == cluster_accuracy(store, words, 1 - labels) > 0.9


# -- the report and the plot ------------------------------------------------------------------------
def test_report_before_after(tmp_path, debiased):
    original, out, _, _ = debiased
    w = [nw(i) for i in range(40)]
    sets = {"male_names": w[:8], "female_names": w[8:16], "career": w[16:24], "family": w[24:32]}
    table = bias_report(original, out, professions=PROFESSIONS, weat_tests=["career_family"], weat_sets=sets,
                        n_per_side=100, k=20, quality=False)
    assert list(table.columns) == ["measure", "before", "after", "detail"]
    rows = {r.measure: r for r in table.itertuples(index=False)}
    direct = rows["DirectBias_1 (professions)"]
    assert direct.detail == "6 of 7 professions (1 gender-specific left out, 0 not in the store)"  # actress
    assert direct.before > 0.05 and direct.after < 1e-6
    assert rows["WEAT career_family effect size"].detail == "ddof=1; words X/Y/A/B 8/8/8/8"
    assert rows["WEAT career_family p-value"].detail == "exact, 12,870 of 12,870 partitions"
    assert rows["cluster accuracy (2-means)"].after > 0.9
    text = format_report(table)
    assert text.splitlines()[0].split() == ["measure", "before", "after", "detail"]
    fig = professions_plot(original, out, BiasDirection(out.meta["debias"]["direction"]["vector"]), PROFESSIONS, n=3)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 6
    labels = [t.get_text() for t in ax.get_yticklabels()]
    after = ax.collections[-1].get_offsets()[:, 0]             # the open dots
    for label, x in zip(labels, after):
        assert (abs(x) > 0.01) if label == "actress" else (abs(x) < 1e-6), label
    fig.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_report_with_quality_scores(debiased):
    original, out, _, _ = debiased
    table = bias_report(original, out, professions=PROFESSIONS, weat_tests=[], n_per_side=50, k=10)
    measures = list(table["measure"])
    assert measures[-3:] == ["WS-353 Spearman", "SimLex-999 Spearman", "Google analogy accuracy"]


# -- issue 26, defects 3 and 4 ---------------------------------------------------------------------
def test_direct_bias_leaves_debiaswe_gender_specific_words_out_of_a_debiaswe_list(monkeypatch):
    from wordlab.debias import measures
    rng = np.random.default_rng(0)
    words = ["nurse", "engineer", "actress", "businessman", "pilot"]
    store = Embeddings(words, rng.normal(size=(5, 6)).astype(np.float32))
    lists = {"professions": words, "gender_specific_full": ["actress", "businessman", "he", "she"]}
    monkeypatch.setattr(measures, "as_words", lambda w: lists[w] if isinstance(w, str) and w in lists else list(w))
    monkeypatch.setattr(measures, "DEBIASWE_LISTS", {**dict.fromkeys(lists)})
    g = rng.normal(size=6)
    by_name = measures.direct_bias(store, g, "professions")
    assert by_name.n_words == 3 and by_name.excluded == ["actress", "businessman"]
    assert measures.direct_bias(store, g, "professions", exclude=()).n_words == 5
    assert measures.direct_bias(store, g, words).n_words == 5           # a list of one's own: nothing left out
    assert by_name.value == pytest.approx(measures.direct_bias(store, g, ["nurse", "engineer", "pilot"]).value)


def test_direct_bias_0_ignores_float32_residue():
    from wordlab.debias import direct_bias
    g = np.zeros(4)
    g[0] = 1.0
    rows = np.array([[1e-9, 1, 0, 0], [0, 0, 1, 0], [0.5, 0.5, 0, 0]], dtype=np.float32)
    store = Embeddings(["a", "b", "c"], rows)
    assert direct_bias(store, g, ["a", "b", "c"], c=0).value == pytest.approx(1 / 3)


# -- issue 26, defects 1 and 2: Gonen and Goldberg's definitions ---------------------------------------
def test_the_most_biased_words_are_chosen_by_he_minus_she_among_their_candidates():
    from wordlab.debias.residual import candidate_words
    store, g, _ = planted_store(seed=2)
    extra = ["Paris", "b52", "don't", "a" * 20]                    # upper case, digit, punctuation, 20 letters
    store = Embeddings(store.words + extra, np.vstack([store.vectors, np.ones((4, DIM), np.float32)]))
    cands = candidate_words(store)
    assert not set(extra) & set(cands) and "nurse" in cands
    biased = most_biased(store, n=50)
    unit = store.vectors / np.linalg.norm(store.vectors, axis=1, keepdims=True)
    he, she = unit[store.index_of("he")], unit[store.index_of("she")]
    bias = {w: float(unit[store.index_of(w)] @ he - unit[store.index_of(w)] @ she) for w in cands}
    ranked = sorted(cands, key=lambda w: bias[w])
    assert biased.measure == "he-she" and set(biased.positive) == set(ranked[-50:])
    assert set(biased.negative) == set(ranked[:50])
    by_g = most_biased(store, BiasDirection(g), n=50, measure="direction")
    proj = {w: float(unit[store.index_of(w)] @ g) for w in cands}
    assert set(by_g.positive) == set(sorted(cands, key=lambda w: proj[w])[-50:]) and by_g.measure == "direction"
    with pytest.raises(ParameterError, match="needs the bias direction"):
        most_biased(store, n=50, measure="direction")
    no_he = Embeddings([w for w in store.words if w != "he"],
                       np.delete(store.vectors, store.index_of("he"), axis=0))
    with pytest.raises(DataError, match="'he' not in the store: measure='direction'"):
        most_biased(no_he, n=50)


def test_the_neighbour_correlation_is_over_every_candidate_by_default():
    store, g, _ = planted_store(seed=3, leak=2.0)
    biased = most_biased(store, n=60)
    everyone = residual_bias(store, biased, k=20)
    selected = residual_bias(store, biased, k=20, population="selected")
    assert everyone.population == "candidates" and len(everyone.neighbor_share) == len(biased.projections)
    assert selected.population == "selected" and len(selected.neighbor_share) == 120
    assert everyone.neighbor_correlation != selected.neighbor_correlation
    assert everyone.cluster_accuracy == selected.cluster_accuracy
    with pytest.raises(ParameterError, match="population"):
        residual_bias(store, biased, population="all")
