"""Tests of wordlab.debias.metrics (WEFE's RNSB, RND, MAC, ECT, RIPA) and of WEAT's
alternative hypotheses.

Known answers come from small planted stores (orthogonal axes, exact geometry); parity
is checked twice: against independent re-derivations of each formula as WEFE writes it
(numpy, scipy, scikit-learn, always run) and against WEFE itself where it imports
(``wefe`` pins numpy <= 1.26.4 and scipy < 1.13, so it is not part of the test extra).
"""
from __future__ import annotations

import inspect
import itertools
import json
import math
import re
import warnings

import numpy as np
import pytest

from wordlab import Embeddings
from wordlab.debias import (METRICS, MissingWordsError, MissingWordsWarning, bias_metric, bias_report, ect, mac,
                            metric_on_weat_test, permutation_p_value, ripa, rnd, rnsb, weat)
from wordlab.debias.metrics import SHAPES, relation_vector
from wordlab.errors import ParameterError, WordlabError

from test_cli import run
from test_debias import EQUALIZE, PROFESSIONS, SPECIFIC, nw, planted_store

DIM = 6


def axis(i, scale=1.0):
    v = np.zeros(DIM)
    v[i] = scale
    return v


def store_of(mapping: dict) -> Embeddings:
    return Embeddings(list(mapping), np.array(list(mapping.values()), dtype=np.float32))


def random_store(seed=0, n=60, dim=16):
    """Words w0..w{n-1} with random directions and norms between 0.5 and 3."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)) * rng.uniform(0.5, 3, (n, 1))
    return Embeddings([f"w{i}" for i in range(n)], vectors.astype(np.float32))


def vec(store, words, normalize=False):
    x = np.array([np.asarray(store[w], dtype=np.float64) for w in words])
    return x / np.linalg.norm(x, axis=1, keepdims=True) if normalize else x


# -- known answers on planted stores -----------------------------------------------------------------
def test_rnd_exact_geometry():
    s = store_of({"m1": axis(0, 3.0), "f1": axis(1, 0.5), "career": axis(0, 2.0), "home": axis(1)})
    # Unit vectors (Garg et al.): career sits on T1's mean, home on T2's.
    r = rnd(s, [["m1"], ["f1"]], [["career"]])
    assert r.value == pytest.approx(-math.sqrt(2)) and r.metric == "RND"
    assert rnd(s, [["m1"], ["f1"]], [["career", "home"]]).value == pytest.approx(0.0, abs=1e-12)
    both = rnd(s, [["m1"], ["f1"]], [["career", "home"]], reduce="mean", normalize=False)
    assert both.details.loc["career", "difference"] == pytest.approx(1 - math.sqrt(4 + 0.25))
    assert both.details.loc["home", "difference"] == pytest.approx(math.sqrt(9 + 1) - 0.5)
    assert both.value == pytest.approx(both.details["difference"].mean())
    # WEFE's cosine variant is a similarity: the sign flips.
    assert rnd(s, [["m1"], ["f1"]], [["career"]], distance="cos").value == pytest.approx(1.0)


def test_mac_exact_geometry():
    s = store_of({"t1": axis(0), "t2": axis(1, 2.0), "a": axis(0, 5.0), "b": axis(2), "c": -axis(1)})
    r = mac(s, [["t1"], ["t2"]], [["a"], ["b", "c"]])
    # t1: dist to {a} 0, to {b, c} mean(1, 1) = 1; t2: to {a} 1, to {b, c} mean(1, 2) = 1.5
    assert r.details.loc["t1", ["A1", "A2"]].tolist() == pytest.approx([0.0, 1.0])
    assert r.details.loc["t2", ["A1", "A2"]].tolist() == pytest.approx([1.0, 1.5])
    assert r.value == pytest.approx((0 + 1 + 1 + 1.5) / 4)
    assert list(r.details["set"]) == ["T1", "T2"]


def test_ect_exact_geometry():
    angles = np.linspace(0.05, 1.5, 7)
    words = {"m": axis(0), "f": axis(1)}
    words.update({f"p{i}": np.cos(t) * axis(0) + np.sin(t) * axis(1) + 0.1 * axis(2) for i, t in enumerate(angles)})
    s = store_of(words)
    profs = [f"p{i}" for i in range(7)]
    # Similarity to m falls as similarity to f rises: perfectly anti-coherent.
    r = ect(s, [["m"], ["f"]], [profs])
    assert r.value == pytest.approx(-1.0)
    assert np.all(np.diff(r.details["T1"]) < 0) and np.all(np.diff(r.details["T2"]) > 0)
    assert ect(s, [["m"], ["m"]], [profs]).value == pytest.approx(1.0)
    assert math.isnan(ect(s, [["m"], ["f"]], [["p0"]]).value)      # one attribute word: no correlation


def test_ripa_exact_geometry():
    c = axis(3, 2.0)
    s = store_of({"he": c + axis(0), "she": c - axis(0), "man": c + axis(0, 2.0) + axis(4, 0.2),
                  "woman": c - axis(0, 2.0), "doctor": axis(0, 3.0) + axis(1, 2.0), "nurse": -axis(0, 1.5)})
    r = ripa(s, [["he"], ["she"]], [["doctor", "nurse"]])
    assert r.details["ripa"].tolist() == pytest.approx([3.0, -1.5])      # w . b with b = e0; w as stored
    assert r.value == pytest.approx(0.75)
    # Two pairs: b is the first principal component of the differences (signed like them).
    diffs = vec(s, ["he", "man"]) - vec(s, ["she", "woman"])
    b = np.linalg.svd(diffs)[2][0]
    b = b if np.sum(diffs @ b) > 0 else -b
    two = ripa(s, [["he", "man"], ["she", "woman"]], [["doctor", "nurse"]])
    assert two.details["ripa"].to_numpy() == pytest.approx(vec(s, ["doctor", "nurse"]) @ b)
    assert relation_vector(diffs[::-1]) @ b == pytest.approx(1.0)         # order of the pairs: no matter
    # WEFE's variant: the mean over the pairs' own unit differences, with their spread.
    pairs = ripa(s, [["he", "man"], ["she", "woman"]], [["doctor", "nurse"]], relation="pairs")
    units = diffs / np.linalg.norm(diffs, axis=1, keepdims=True)
    scores = vec(s, ["doctor", "nurse"]) @ units.T
    assert pairs.details["ripa"].to_numpy() == pytest.approx(scores.mean(axis=1))
    assert pairs.details["std"].to_numpy() == pytest.approx(scores.std(axis=1))


def test_rnsb_planted_sentiment():
    rng = np.random.default_rng(0)
    words = {}
    for i in range(12):
        words[f"good{i}"] = axis(0, 2.0) + 0.3 * rng.standard_normal(DIM)
        words[f"bad{i}"] = -axis(0, 2.0) + 0.3 * rng.standard_normal(DIM)
    for i in range(4):
        words[f"hero{i}"] = axis(0, 1.0) + 0.2 * rng.standard_normal(DIM)
        words[f"villain{i}"] = -axis(0, 1.0) + 0.2 * rng.standard_normal(DIM)
        words[f"same{i}"] = axis(1)                                      # identical: no bias among them
    s = store_of(words)
    good, bad = [f"good{i}" for i in range(12)], [f"bad{i}" for i in range(12)]
    heroes, villains = [f"hero{i}" for i in range(4)], [f"villain{i}" for i in range(4)]
    r = rnsb(s, [heroes, villains], [good, bad])
    d = r.details
    assert d.loc[villains, "p_negative"].min() > 0.5 > d.loc[heroes, "p_negative"].max()
    assert r.value > 0.2 and r.info["accuracy"] == 1.0
    assert d["share"].sum() == pytest.approx(1.0)
    q = d["share"].to_numpy()
    assert r.value == pytest.approx(np.sum(q * np.log(q * len(q))))     # KL from uniform, natural log
    flat = rnsb(s, [[f"same{i}" for i in range(2)], [f"same{i}" for i in range(2, 4)]], [good, bad])
    assert flat.value == pytest.approx(0.0, abs=1e-12)
    # Three target sets; seeded, so reproducible with a holdout and several fits.
    three = rnsb(s, [heroes, villains, ["same0"]], [good, bad], holdout=True, n_iterations=3, seed=5)
    assert three.sizes == {"T1": 4, "T2": 4, "T3": 1, "A1": 12, "A2": 12} and three.info["holdout"] == 0.2
    again = rnsb(s, [heroes, villains, ["same0"]], [good, bad], holdout=True, n_iterations=3, seed=5)
    assert again.value == three.value and again.details.equals(three.details)


# -- sets, coverage, errors ---------------------------------------------------------------------------------
def test_named_sets_missing_words_and_shapes(tmp_path):
    s = random_store()
    w = s.words
    path = tmp_path / "sets.json"
    path.write_text(json.dumps({"x": w[:5], "y": w[5:10] + ["absent"], "a": w[10:20], "b": w[20:30]}),
                    encoding="utf-8")
    with pytest.warns(MissingWordsWarning, match=r"RND set y \(T2\): 5 of 6 found; missing 1: absent"):
        r = rnd(s, ["x", "y"], "a", sets=path)
    assert r.sizes == {"T1": 5, "T2": 5, "A1": 10} and r.coverage["T2"].missing == ["absent"]
    assert r.name == "x/y:a" and r.to_dict()["test"] == "x/y:a" and r.to_dict()["n_T2"] == 5
    assert r.value == pytest.approx(rnd(s, [w[:5], w[5:10]], [w[10:20]]).value)
    with pytest.raises(MissingWordsError, match="RND set T2"):
        rnd(s, [w[:2], ["gone1", "gone2", w[3]]], [w[10:20]])
    with pytest.raises(WordlabError, match="unknown WEAT word set 'z'"):
        mac(s, ["x", "z"], ["a"], sets=path)
    with pytest.raises(ParameterError, match="ECT takes 1 attribute set"):
        ect(s, ["x", "y"], ["a", "b"], sets=path)
    with pytest.raises(ParameterError, match="RNSB takes 2 or more target set"):
        rnsb(s, ["x"], ["a", "b"], sets=path)
    with pytest.raises(ParameterError, match="unknown bias metric"):
        bias_metric(s, "seat", ["x", "y"], ["a"], sets=path)
    # RIPA drops a pair with a missing word as a whole.
    with pytest.warns(MissingWordsWarning, match=f"missing 1: {w[9]}/absent"):
        p = ripa(s, [w[5:10], w[:4] + ["absent"]], [w[10:20]])
    assert p.sizes == {"pairs": 4, "A1": 10} and p.coverage["pairs"].found[0] == (w[5], w[0])
    with pytest.raises(ParameterError, match="word by word"):
        ripa(s, [w[:5], w[5:9]], [w[10:20]])


def test_registry_and_weat_test_sets():
    from wordlab.cli.debias import _METRIC_ONLY, METRIC_NAMES
    assert list(METRICS) == list(SHAPES) == list(METRIC_NAMES) == ["rnsb", "rnd", "mac", "ect", "ripa"]
    for option, (parameter, takers) in _METRIC_ONLY.items():      # the CLI's options exist on those metrics
        for name in METRIC_NAMES:
            assert (parameter in inspect.signature(METRICS[name]).parameters) == (name in takers), (option, name)
    s = random_store()
    w = s.words
    sets = {"male_names": w[:8], "female_names": w[8:16], "career": w[16:24], "family": w[24:32]}
    for name in METRICS:
        r = metric_on_weat_test(s, name, "career_family", sets)
        assert r.name == "career_family" and math.isfinite(r.value), name
    one = metric_on_weat_test(s, "ect", "career_family", sets)
    assert one.sizes["A1"] == 16 and one.value == ect(s, [w[:8], w[8:16]], [w[16:32]]).value


# -- parity: WEFE's formulas re-derived (numpy, scipy, scikit-learn) -------------------------------------
T1, T2, T3, A1, A2 = (slice(0, 6), slice(6, 12), slice(12, 15), slice(20, 32), slice(32, 44))


@pytest.mark.parametrize("seed", [0, 1])
def test_parity_with_wefe_formulas(seed):
    from scipy.spatial.distance import cosine
    from scipy.stats import entropy, spearmanr
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    s = random_store(seed)
    w = s.words
    t1, t2, t3, a1, a2 = (w[k] for k in (T1, T2, T3, A1, A2))
    for norm in (False, True):
        x1, x2, xa = vec(s, t1, norm), vec(s, t2, norm), vec(s, a1, norm)
        m1, m2 = x1.mean(axis=0), x2.mean(axis=0)
        # RND as WEFE: mean over attribute words, vectors as stored unless normalize.
        wefe_rnd = np.mean([np.linalg.norm(a - m1) - np.linalg.norm(a - m2) for a in xa])
        assert rnd(s, [t1, t2], [a1], reduce="mean", normalize=norm).value == pytest.approx(wefe_rnd, abs=1e-12)
        wefe_cos = np.mean([(1 - cosine(a, m1)) - (1 - cosine(a, m2)) for a in xa])
        assert rnd(s, [t1, t2], [a1], reduce="mean", normalize=norm, distance="cos").value == \
            pytest.approx(wefe_cos, abs=1e-12)
        wefe_ect = spearmanr([1 - cosine(m1, a) for a in xa], [1 - cosine(m2, a) for a in xa]).correlation
        assert ect(s, [t1, t2], [a1], normalize=norm).value == pytest.approx(wefe_ect, abs=1e-12)
        per_pair = [[a @ ((x - y) / np.linalg.norm(x - y)) for x, y in zip(x1, x2)] for a in xa]
        r = ripa(s, [t1, t2], [a1], relation="pairs", normalize=norm)
        assert r.value == pytest.approx(np.mean([np.mean(p) for p in per_pair]), abs=1e-12)
        assert r.details["std"].to_numpy() == pytest.approx([np.std(p) for p in per_pair], abs=1e-12)
    xs = {k: vec(s, ws) for k, ws in (("t1", t1), ("t2", t2), ("t3", t3), ("a1", a1), ("a2", a2))}
    wefe_mac = np.mean([np.mean([cosine(t, a) for a in xs[k]]) for tk in ("t1", "t2", "t3") for t in xs[tk]
                        for k in ("a1", "a2")])
    assert mac(s, [t1, t2, t3], [a1, a2]).value == pytest.approx(wefe_mac, abs=1e-12)
    # RNSB as WEFE: A1 positive (+1), A2 negative (-1), liblinear, holdout 0.2 stratified.
    x = np.concatenate([xs["a1"], xs["a2"]])
    y = np.concatenate([np.ones(len(a1)), -np.ones(len(a2))])
    targets = np.concatenate([xs["t1"], xs["t2"], xs["t3"]])
    for holdout in (None, 0.2):
        if holdout:
            x_fit, _, y_fit, _ = train_test_split(x, y, shuffle=True, random_state=seed, test_size=0.2, stratify=y)
        else:
            x_fit, y_fit = x, y
        model = LogisticRegression(solver="liblinear", max_iter=10000, random_state=seed).fit(x_fit, y_fit)
        p = model.predict_proba(targets)[:, np.where(model.classes_ == -1)[0][0]]
        r = rnsb(s, [t1, t2, t3], [a1, a2], holdout=holdout, seed=seed)
        assert r.details["p_negative"].to_numpy() == pytest.approx(p, abs=1e-12)
        assert r.value == pytest.approx(entropy(p / p.sum(), np.full(len(p), 1 / len(p))), abs=1e-12)


def test_parity_with_wefe_itself():
    pytest.importorskip("wefe", reason="wefe is not installed (it pins numpy<=1.26.4 and scipy<1.13)")
    from wefe.metrics import ECT, MAC, RIPA, RND, RNSB, WEAT
    from wefe.query import Query
    from wefe.word_embedding_model import WordEmbeddingModel
    for seed in range(3):
        s = random_store(seed)
        w = s.words
        t1, t2, t3, a1, a2 = (w[k] for k in (T1, T2, T3, A1, A2))
        model = WordEmbeddingModel(s.to_gensim(), "planted")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for holdout in (False, True):
                got = RNSB().run_query(Query([t1, t2, t3], [a1, a2]), model, random_state=seed, holdout=holdout)
                ours = rnsb(s, [t1, t2, t3], [a1, a2], seed=seed, holdout=holdout)
                assert ours.value == pytest.approx(got["result"], abs=1e-9)
                assert ours.details["p_negative"].to_dict() == pytest.approx(got["negative_sentiment_probabilities"])
            two_one = Query([t1, t2], [a1])
            for norm in (False, True):       # WEFE computes in float32: agreement to float32 precision
                for distance in ("norm", "cos"):
                    got = RND().run_query(two_one, model, distance=distance, normalize=norm)["result"]
                    ours = rnd(s, [t1, t2], [a1], reduce="mean", normalize=norm, distance=distance).value
                    assert ours == pytest.approx(got, abs=1e-6)
                assert ect(s, [t1, t2], [a1], normalize=norm).value == \
                    pytest.approx(ECT().run_query(two_one, model, normalize=norm)["result"], abs=1e-9)
                got = RIPA().run_query(two_one, model, normalize=norm)
                ours = ripa(s, [t1, t2], [a1], relation="pairs", normalize=norm)
                assert ours.value == pytest.approx(got["result"], abs=1e-6)
                assert ours.details["ripa"].to_numpy() == \
                    pytest.approx([got["word_values"][x]["mean"] for x in a1], abs=1e-6)
            assert mac(s, [t1, t2, t3], [a1, a2]).value == \
                pytest.approx(MAC().run_query(Query([t1, t2, t3], [a1, a2]), model)["result"], abs=1e-6)
            four = Query([t1, t2], [a1, a2])
            assert weat(s, t1, t2, a1, a2, ddof=0).effect_size == \
                pytest.approx(WEAT().run_query(four, model, return_effect_size=True)["result"], abs=1e-6)


# -- WEAT's alternatives --------------------------------------------------------------------------------
def _partition_sums(s, n_x):
    return np.array([s[list(c)].sum() for c in itertools.combinations(range(len(s)), n_x)])


def test_weat_alternatives_with_ties():
    rng = np.random.default_rng(3)
    base = rng.standard_normal(4)
    s = np.concatenate([base, base[:3], [base[0]]])      # repeated values: many tied partitions
    n_x = 4
    sums = _partition_sums(s, n_x)
    observed = s[:n_x].sum()
    ties = np.count_nonzero(np.isclose(sums, observed, rtol=0, atol=1e-9))
    assert ties > 1
    g = permutation_p_value(s, n_x, alternative="greater")
    lo = permutation_p_value(s, n_x, alternative="less")
    assert g == permutation_p_value(s, n_x)                    # the default is "greater"
    assert g[0] + lo[0] == pytest.approx(1 + ties / len(sums), abs=1e-15)
    assert lo[0] == np.count_nonzero(sums <= observed + 1e-9) / len(sums)
    with pytest.raises(ValueError, match="alternative"):
        permutation_p_value(s, n_x, alternative="right-sided")


@pytest.mark.parametrize("nx, ny", [(5, 5), (3, 6)])
def test_weat_two_sided_against_enumeration(nx, ny):
    store = random_store(7, n=30, dim=8)
    w = store.words
    X, Y, A, B = w[:nx], w[nx:nx + ny], w[12:18], w[18:23]
    r = weat(store, X, Y, A, B, alternative="two-sided")
    s = r.associations.to_numpy()
    total = s.sum()
    stats = 2 * _partition_sums(s, nx) - total
    observed = 2 * s[:nx].sum() - total
    assert observed == pytest.approx(r.statistic)
    expected = np.count_nonzero(np.abs(stats) >= abs(observed) - 1e-9) / len(stats)
    assert r.p_value == expected and r.alternative == "two-sided" and r.to_dict()["alternative"] == "two-sided"
    g = weat(store, X, Y, A, B).p_value
    lo = weat(store, X, Y, A, B, alternative="less").p_value
    if nx == ny:                          # swapping X and Y negates the statistic
        assert r.p_value == pytest.approx(min(1.0, 2 * min(g, lo)))
    assert r.p_value >= min(g, lo)
    # Sampled: the same counting rule (every partition but one drawn: within one count).
    sampled = permutation_p_value(s, nx, n_samples=len(stats) - 1, method="sampled", alternative="two-sided")
    assert sampled[1] == "sampled" and abs(sampled[0] - expected) <= 1 / (len(stats) - 1) + 1e-12


# -- the report and the CLI ------------------------------------------------------------------------------
def test_report_metrics_rows(tmp_path):
    from wordlab.debias import hard_debias
    store, _, _ = planted_store(leak=3.0)
    with pytest.warns(MissingWordsWarning):
        out = hard_debias(store, tmp_path / "out", equalize=EQUALIZE, gender_specific=SPECIFIC)
    w = [nw(i) for i in range(40)]
    sets = {"male_names": w[:8], "female_names": w[8:16], "career": w[16:24], "family": w[24:32]}
    kwargs = dict(professions=PROFESSIONS, weat_tests=["career_family"], weat_sets=sets, n_per_side=50, k=10,
                  quality=False)
    plain = bias_report(store, out, **kwargs)
    table = bias_report(store, out, metrics=("rnsb", "ect"), **kwargs)
    assert "metrics" not in plain.attrs and len(table) == len(plain) + 2
    rows = {r.measure: r for r in table.itertuples(index=False)}
    expected = metric_on_weat_test(out, "ect", "career_family", sets).value
    assert rows["ECT career_family"].after == pytest.approx(expected)
    assert rows["RNSB career_family"].detail == "words T1 8/T2 8/A1 8/A2 8"
    assert list(table["measure"][:3]) == list(plain["measure"][:3])
    assert table.attrs["metrics"]["RNSB career_family"][0]["metric"] == "RNSB"
    with pytest.raises(ParameterError, match="unknown bias metric 'seat'"):
        bias_report(store, out, metrics=("seat",), **kwargs)


@pytest.fixture()
def files(tmp_path):
    s = random_store()
    w = s.words
    sets = tmp_path / "sets.json"
    sets.write_text(json.dumps({"x": w[:6], "y": w[6:12], "a": w[20:32] + ["absent"], "b": w[32:44]}),
                    encoding="utf-8")
    return {"store": s.save(tmp_path / "store"), "sets": sets, "emb": s}


def test_cli_bias_metric(runner, files):
    r = run(runner, "bias", "metric", files["store"], "--sets", files["sets"], "--metric", "rnsb",
            "--targets", "x,y", "--attributes", "a,b", "--words")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split()[:3] == ["metric", "test", "value"]
    fields = lines[2].split()
    with pytest.warns(MissingWordsWarning):
        expected = rnsb(files["emb"], ["x", "y"], ["a", "b"], sets=str(files["sets"]))
    assert fields[:2] == ["RNSB", "x/y:a/b"] and float(fields[2]) == pytest.approx(expected.value, abs=1e-4)
    assert fields[-1] == "6/6/12/12"
    assert "Warning: RNSB set a (A1): 12 of 13 found; missing 1: absent" in r.output
    assert re.search(r"^w0\s+x\s+0\.\d+\s+0\.\d+$", r.output, re.M)             # the per-word table
    csv = run(runner, "bias", "metric", files["store"], "--sets", files["sets"], "--metric", "rnd",
              "--targets", "x,y", "--attributes", "a", "--reduce", "mean", "--format", "csv")
    assert csv.exit_code == 0, csv.output
    header, row = [l for l in csv.output.splitlines() if not l.startswith("Warning")][:2]
    assert header == "metric,test,value,reduce,distance,normalize,words T1/T2/A1"
    with pytest.warns(MissingWordsWarning):
        assert float(row.split(",")[2]) == pytest.approx(
            rnd(files["emb"], ["x", "y"], ["a"], sets=str(files["sets"]), reduce="mean").value)


def test_cli_bias_metric_errors(runner, files):
    from test_cli_debias import assert_one_error_line
    base = ("bias", "metric", files["store"], "--sets", files["sets"])
    r = run(runner, *base, "--metric", "mac", "--targets", "x,nope", "--attributes", "a,b")
    assert_one_error_line(r, "unknown WEAT word set 'nope'")
    r = run(runner, *base, "--metric", "ect", "--targets", "x,y", "--attributes", "a,b")
    assert_one_error_line(r, "ECT takes 1 attribute set(s), got 2")
    r = run(runner, *base, "--metric", "ect", "--targets", "x,y", "--attributes", "a", "--holdout", "0.2")
    assert r.exit_code == 2 and "--holdout applies to rnsb, not ect" in r.output
    r = run(runner, *base, "--metric", "ect", "--targets", "x,y")
    assert r.exit_code == 2 and "--targets and --attributes" in r.output


def test_cli_weat_alternative(runner, files):
    args = ("bias", "weat", files["store"], "--sets", files["sets"], "--targets", "x,y", "--attributes", "a,b")
    r = run(runner, *args, "--alternative", "two-sided")
    assert r.exit_code == 0, r.output
    lines = [l for l in r.output.splitlines() if not l.startswith("Warning")]
    assert "p-value (two-sided)" in lines[0]
    with pytest.warns(MissingWordsWarning):
        expected = weat(files["emb"], "x", "y", "a", "b", sets=str(files["sets"]), alternative="two-sided")
    assert float(lines[1].split()[3]) == pytest.approx(expected.p_value, rel=1e-3)
    default = run(runner, *args)
    assert default.exit_code == 0 and "p-value (" not in default.output


def test_cli_bias_report_with_metrics(runner, tmp_path):
    store, _, _ = planted_store()
    path = store.save(tmp_path / "store")
    w = [nw(i) for i in range(40)]
    sets = tmp_path / "sets.json"
    sets.write_text(json.dumps({"male_names": w[:8], "female_names": w[8:16], "career": w[16:24],
                                "family": w[24:32]}), encoding="utf-8")
    professions = tmp_path / "professions.txt"
    professions.write_text("\n".join(PROFESSIONS) + "\n", encoding="utf-8")
    r = run(runner, "bias", "report", path, path, "--professions", professions, "--sets", sets, "--test",
            "career_family", "--metric", "mac", "--metric", "ripa", "--per-side", "20", "--no-quality",
            "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = {l.split(",")[0]: l.split(",") for l in r.output.splitlines()}
    expected = metric_on_weat_test(store, "ripa", "career_family", json.loads(sets.read_text())).value
    assert float(rows["RIPA career_family"][1]) == pytest.approx(expected)
    assert rows["MAC career_family"][1] == rows["MAC career_family"][2]          # the same store twice
