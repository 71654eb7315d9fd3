"""Tests of the debiasing methods beyond hard debiasing: Double-Hard Debias (Wang et al.
2020), INLP (Ravfogel et al. 2020) and multiclass hard debiasing (Manzini et al. 2019).

Each is checked against the reference algorithm re-derived here in plain numpy and
scikit-learn from the authors' code (their PCA, k-means and LinearSVC calls, step by
step), on small planted stores, and for the properties the papers claim.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import scipy.linalg
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.svm import LinearSVC
from test_cli import run
from test_cli_debias import assert_one_error_line
from test_debias import _digest

import wordlab
from wordlab import Embeddings
from wordlab.debias import (
    DEFINITIONAL_PAIRS,
    MULTICLASS_SETS,
    MissingWordsError,
    MissingWordsWarning,
    bias_subspace,
    double_hard_debias,
    inlp,
    inlp_projection,
    inlp_words,
    multiclass_debias,
    read_sets,
)
from wordlab.debias.inlp import PROJECTION_FILE
from wordlab.errors import (
    DataError,
    InputFormatError,
    OutputExistsError,
    ParameterError,
    WordlabError,
)


def _unit(v):
    return v / np.linalg.norm(v)


def _letters(prefix: str, i: int) -> str:
    """A lower-case alphabetic word (Gonen and Goldberg's candidates are letters only)."""
    return prefix + "".join("abcdefghij"[int(d)] for d in str(i))


def _orthonormal(rng, dim, k):
    q, _ = np.linalg.qr(rng.standard_normal((dim, k)))
    return q.T


# -- planted stores ------------------------------------------------------------------------------
def frequency_store(seed=0, dim=24, n_biased=120, n_filler=400, leak=3.0):
    """Gender along g; a high-variance "frequency" direction f (filler words spread along it)
    that also carries the biased words' side (``leak``), which hard debiasing cannot see.
    Returns (store, g, f)."""
    rng = np.random.default_rng(seed)
    g, f = _orthonormal(rng, dim, 2)
    words, vectors = [], []

    def base():
        v = rng.standard_normal(dim)
        return v - (v @ g) * g - (v @ f) * f

    for a, b in DEFINITIONAL_PAIRS:
        c = base()
        words += [a.lower(), b.lower()]
        vectors += [c + 2.0 * g + 0.1 * rng.standard_normal(dim), c - 2.0 * g + 0.1 * rng.standard_normal(dim)]
    for a, b in [("mom", "dad"), ("queen", "king")]:
        c = base()
        words += [a, b]
        vectors += [c + 1.5 * g, c - 1.2 * g]
    for i in range(n_biased):
        side = 1.0 if i % 2 else -1.0
        words.append(_letters("b", i))
        vectors.append(base() + side * (1.5 + rng.random()) * g + side * leak * f)
    for i in range(n_filler):
        words.append(f"x{i}")              # not a candidate (digits)
        vectors.append(base() + rng.normal(0, 6.0) * f)
    vectors = np.array(vectors, dtype=np.float32)
    return Embeddings(words, vectors, counts=np.arange(len(words), 0, -1), meta={"method": "test"}), g, f


def gender_store(seed=0, dim=40, n_side=150, n_neutral=300):
    """he/she along g; male and female words on each side of g; neutral words with no g."""
    rng = np.random.default_rng(seed)
    g = _unit(rng.standard_normal(dim))

    def base():
        v = rng.standard_normal(dim)
        return v - (v @ g) * g

    c = base()
    words, vectors = ["he", "she"], [c + 3 * g, c - 3 * g]
    for i in range(n_side):
        words += [_letters("m", i), _letters("f", i)]
        vectors += [base() + (1.0 + rng.random()) * g, base() - (1.0 + rng.random()) * g]
    for i in range(n_neutral):
        words.append(_letters("n", i))
        vectors.append(base() + rng.normal(0, 0.01) * g)
    return Embeddings(words, np.array(vectors, dtype=np.float32), meta={"method": "test"}), g


RELIGION = [("judaism", "christianity", "islam"), ("jew", "christian", "muslim"),
            ("synagogue", "church", "mosque"), ("torah", "bible", "quran")]


def religion_store(seed=0, dim=20, n_neutral=80):
    """Three classes at the corners of a triangle in a planted 2-D subspace R; defining sets
    (one word per class) share a base outside R; neutral words lean towards classes."""
    rng = np.random.default_rng(seed)
    r = _orthonormal(rng, dim, 2)
    corners = np.array([[1.0, 0.0], [-0.5, 0.87], [-0.5, -0.87]]) * 2.0

    def base():
        v = rng.standard_normal(dim)
        return v - (v @ r.T) @ r

    words, vectors = [], []
    for s in RELIGION:
        c = base()
        for j, w in enumerate(s):
            words.append(w)
            vectors.append(c + corners[j] @ r + 0.2 * rng.standard_normal(dim))
    for i in range(n_neutral):
        words.append(_letters("n", i))
        vectors.append(base() + corners[i % 3] @ r * rng.random())
    return Embeddings(words, np.array(vectors, dtype=np.float32), meta={"method": "test"}), r


# -- Double-Hard Debias ----------------------------------------------------------------------------
def _reference_double_hard(store, n_biased, components, seed, specific, equalize):
    """Their notebook, step by step (sklearn PCA on the centred matrix, doPCA, drop, KMeans),
    then the paper's step 4 with Bolukbasi's hard debiasing on unit vectors."""
    wv = np.asarray(store.vectors, dtype=np.float64)
    w2i = store.index
    mean = wv.mean(axis=0)
    main = PCA().fit(wv - mean)
    # biased words: cos(w, he) - cos(w, she) among lower-case alphabetic words, gender-specific excluded
    unit = wv / np.linalg.norm(wv, axis=1, keepdims=True)
    cands = [w for w in store.words if w.isalpha() and w == w.lower() and len(w) < 20 and w not in specific]
    bias = {w: unit[w2i[w]] @ unit[w2i["he"]] - unit[w2i[w]] @ unit[w2i["she"]] for w in cands}
    ordered = sorted(bias.items(), key=lambda t: t[1])
    female, male = [w for w, _ in ordered[:n_biased]], [w for w, _ in ordered[-n_biased:]]
    y_true = [0] * n_biased + [1] * n_biased
    pairs = [(a.lower(), b.lower()) for a, b in DEFINITIONAL_PAIRS]

    def freq_removed(x, d):
        return x - np.outer(x @ d, d) - mean

    accuracies = []
    for i in range(components):
        d = main.components_[i]
        wf = {w: freq_removed(wv[[w2i[w]]], d)[0] for w in female + male + [w for p in pairs for w in p]}
        matrix = []
        for a, b in pairs:
            centre = (wf[a] + wf[b]) / 2
            matrix += [wf[a] - centre, wf[b] - centre]
        gdir = PCA().fit(np.array(matrix)).components_[0]
        x = np.array([wf[w] - gdir * (wf[w] @ gdir) / (gdir @ gdir) for w in female + male])
        pred = KMeans(n_clusters=2, random_state=seed, n_init=10).fit_predict(x)
        a = np.mean(pred == np.array(y_true))
        accuracies.append(max(a, 1 - a))
    k = int(np.argmin(accuracies))
    d = main.components_[k]
    w1 = freq_removed(wv, d)
    w1 /= np.linalg.norm(w1, axis=1, keepdims=True)
    matrix = []
    for a, b in pairs:
        centre = (w1[w2i[a]] + w1[w2i[b]]) / 2
        matrix += [w1[w2i[a]] - centre, w1[w2i[b]] - centre]
    g = PCA(n_components=10).fit(np.array(matrix)).components_[0]
    out = w1.copy()
    keep = set(specific) | {w for p in equalize for w in p}
    for w in store.words:
        if w not in keep:
            v = w1[w2i[w]] - (w1[w2i[w]] @ g) * g
            out[w2i[w]] = v / np.linalg.norm(v)
    for a, b in equalize:
        mu = (w1[w2i[a]] + w1[w2i[b]]) / 2
        nu = mu - (mu @ g) * g
        z = np.sqrt(1 - nu @ nu)
        s = 1.0 if (w1[w2i[a]] - w1[w2i[b]]) @ g >= 0 else -1.0
        out[w2i[a]], out[w2i[b]] = nu + s * z * g, nu - s * z * g
    return accuracies, k, out


@pytest.fixture(scope="module")
def frequency():
    return frequency_store()


def test_double_hard_matches_the_reference_and_finds_the_planted_component(tmp_path, frequency):
    store, g, f = frequency
    path = store.save(tmp_path / "in")
    before = _digest(path)
    specific, equalize = ["queen", "king"], [("mom", "dad")]
    new = double_hard_debias(path, tmp_path / "out", equalize=equalize, gender_specific=specific, components=6,
                             n_biased=40, seed=1)
    info = new.meta["debias"]
    accuracies, k, expected = _reference_double_hard(store, 40, 6, 1, specific, equalize)
    assert info["accuracies"] == pytest.approx(accuracies, abs=1e-12)
    assert info["component"] == k
    np.testing.assert_allclose(np.asarray(new.vectors), expected, atol=2e-6)
    # The planted frequency direction is the one removed: its accuracy is near chance, the others' high.
    u = np.asarray(info["frequency_direction"])
    assert abs(u @ f) > 0.99
    assert accuracies[k] < 0.7 and min(a for i, a in enumerate(accuracies) if i != k) > 0.9
    # Hard debiasing alone leaves the side recoverable; double-hard does not.
    from wordlab.debias import cluster_accuracy, hard_debias, most_biased
    hard = hard_debias(path, tmp_path / "hard", equalize=equalize, gender_specific=specific)
    biased = most_biased(store, n=40, exclude=specific)
    assert cluster_accuracy(hard, biased.words, biased.labels) > 0.9
    assert cluster_accuracy(new, biased.words, biased.labels) < 0.7
    # Every row has unit length; neutralised words have no component along the recorded direction.
    x = np.asarray(new.vectors, dtype=np.float64)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1, atol=1e-6)
    gd = np.asarray(info["direction"]["vector"])
    rows = [new.index[w] for w in new.words if w not in {"queen", "king", "mom", "dad"}]
    assert np.max(np.abs(x[rows] @ gd)) < 1e-6
    assert np.isclose(x[new.index["mom"]] @ x[rows[5]], x[new.index["dad"]] @ x[rows[5]], atol=1e-6)
    assert new.meta["provenance"]["kind"] == "debiased" and new.meta["provenance"]["method"] == "double-hard"
    assert _digest(path) == before
    with pytest.raises(OutputExistsError, match="already exists"):
        double_hard_debias(path, tmp_path / "out", equalize=equalize, gender_specific=specific, components=6,
                           n_biased=40)
    with pytest.raises(WordlabError, match="replace the input"):
        double_hard_debias(path, path, equalize=equalize, gender_specific=specific, n_biased=40, overwrite=True)


def test_double_hard_reports_missing_words(tmp_path, frequency):
    store, _, _ = frequency
    with pytest.raises(MissingWordsError, match="definitional pairs: 2 of 10 found"):
        double_hard_debias(store, tmp_path / "o", equalize=[("mom", "dad")], gender_specific=[],
                           definitional=DEFINITIONAL_PAIRS[:2] + tuple((f"a{i}", f"b{i}") for i in range(8)))
    with pytest.warns(MissingWordsWarning, match="colt/filly"):
        new = double_hard_debias(store, tmp_path / "o2", equalize=[("mom", "dad"), ("colt", "filly")],
                                 gender_specific=["queen", "king"], components=3, n_biased=20)
    assert new.meta["debias"]["equalize"]["missing"] == [["colt", "filly"]]
    with pytest.raises(DataError, match="fewer than the 2 x 1000"):
        double_hard_debias(store, tmp_path / "o3", equalize=[("mom", "dad")], gender_specific=["queen"])
    small = Embeddings(["a", "b", "c"], np.eye(3, dtype=np.float32))
    with pytest.raises(DataError, match="'he' and 'she' not in the store"):
        double_hard_debias(small, tmp_path / "o5", equalize=[("a", "b")], gender_specific=["c"])
    with pytest.raises(ParameterError, match="components must be in 1..24"):
        double_hard_debias(store, tmp_path / "o4", equalize=[("mom", "dad")], gender_specific=["queen"], components=30,
                           n_biased=20)


# -- INLP --------------------------------------------------------------------------------------------
def _reference_inlp(store, n_words, iterations, seed):
    """Their notebook: words by cosine with he - she, their two splits, LinearSVC with their
    parameters, rowspace projections by scipy.linalg.orth, Ben-Israel's intersection."""
    wv = np.asarray(store.vectors, dtype=np.float64)
    w2i = store.index
    cands = [w for w in store.words if w.isalpha() and w == w.lower() and len(w) < 20]
    d = wv[w2i["he"]] - wv[w2i["she"]]
    unit = wv[[w2i[w] for w in cands]]
    sims = (unit / np.linalg.norm(unit, axis=1, keepdims=True)) @ (d / np.linalg.norm(d))
    order = np.argsort(-sims, kind="stable")
    masc, fem = order[:n_words], order[::-1][:n_words]
    pool = np.array([i for i in range(len(cands)) if abs(sims[i]) < 0.03 and i not in set(masc) | set(fem)])
    neut = np.sort(np.random.default_rng(seed).choice(pool, size=n_words, replace=False))
    X = wv[[w2i[cands[i]] for i in np.r_[masc, fem, neut]]]
    y = np.r_[np.ones(n_words, int), np.zeros(n_words, int), -np.ones(n_words, int)]
    X_rest, _, y_rest, _ = train_test_split(X, y, test_size=0.3, random_state=seed)
    X_train, X_dev, Y_train, Y_dev = train_test_split(X_rest, y_rest, test_size=0.3, random_state=seed)

    def rowspace(W):
        basis = scipy.linalg.orth(W.T)
        return basis @ basis.T

    I = np.eye(wv.shape[1])
    xt, xd, projections, Ws, accs = X_train.copy(), X_dev.copy(), [], [], []
    for _ in range(iterations):
        clf = LinearSVC(fit_intercept=False, class_weight=None, dual=False, random_state=seed).fit(xt, Y_train)
        accs.append(clf.score(xd, Y_dev))
        Ws.append(clf.coef_)
        projections.append(rowspace(clf.coef_))
        P = I - rowspace(np.sum(projections, axis=0))
        xt, xd = P.dot(X_train.T).T, P.dot(X_dev.T).T
    return I - rowspace(np.sum(projections, axis=0)), Ws, accs


@pytest.fixture(scope="module")
def gender():
    return gender_store()


def test_inlp_matches_the_reference(tmp_path, gender):
    store, g = gender
    path = store.save(tmp_path / "in")
    before = _digest(path)
    new = inlp(path, tmp_path / "out", iterations=4, n_words=80, seed=3)
    P, _, accs = _reference_inlp(store, 80, 4, 3)
    info = new.meta["debias"]
    assert info["accuracies"] == pytest.approx(accs, abs=1e-12)
    stored = np.load(tmp_path / "out" / PROJECTION_FILE)
    np.testing.assert_allclose(stored, P, atol=1e-10)
    np.testing.assert_allclose(np.asarray(new.vectors), np.asarray(store.vectors, dtype=np.float64) @ P.T,
                               atol=2e-5)
    assert info["words"] == {"male": 80, "female": 80, "neutral": 80, "train": 117, "dev": 51}
    assert info["rank_removed"] == 12        # 4 classifiers of 3 classes, each orthogonal to the ones before
    assert _digest(path) == before
    # the store still opens (the side file is left alone) and is a debiased store
    again = wordlab.load(tmp_path / "out")
    assert again.meta["provenance"]["kind"] == "debiased" and len(again) == len(store)
    with pytest.raises(OutputExistsError):
        inlp(path, tmp_path / "out", iterations=4, n_words=80)


def test_inlp_properties(tmp_path, gender):
    store, g = gender
    chosen = inlp_words(store, n_words=80, restrict_vocab=None, seed=0)
    assert set(chosen.male) <= {w for w in store.words if w.startswith("m")} | {"he"}
    assert set(chosen.female) <= {w for w in store.words if w.startswith("f")} | {"she"}
    x = np.asarray(store.vectors[[store.index[w] for w in chosen.words]], dtype=np.float64)
    y = chosen.labels
    result = inlp_projection(x[::2], y[::2], x[1::2], y[1::2], iterations=5, seed=0)
    P = result.projection
    np.testing.assert_allclose(P, P.T, atol=1e-10)
    np.testing.assert_allclose(P @ P, P, atol=1e-10)
    for w in result.weights:                               # no component left in any learnt rowspace
        assert np.max(np.abs(w @ P)) < 1e-8
    assert result.accuracies[0] > 0.7 and result.accuracies[-1] < result.accuracies[0] - 0.2
    # A fresh classifier: gender (male vs female words) is predictable before, not after.
    new = inlp(store, tmp_path / "out", iterations=5, n_words=80, seed=0)
    side = [w for w in store.words if w[0] in "mf" and w not in ("he", "she")]
    labels = np.array([w[0] == "m" for w in side], dtype=int)
    for emb, low, high in ((store, 0.9, 1.01), (new, 0.0, 0.65)):
        xs = np.asarray(emb.vectors[[emb.index[w] for w in side]], dtype=np.float64)
        acc = cross_val_score(LinearSVC(dual=False), xs, labels, cv=5).mean()
        assert low <= acc <= high, (emb, acc)
    xo = np.asarray(new.vectors, dtype=np.float64)
    p = np.load(tmp_path / "out" / PROJECTION_FILE)
    assert np.max(np.abs(xo @ (np.eye(store.dim) - p).T)) < 1e-4      # the output is in P's range
    acc, majority = new.meta["debias"]["accuracies"], new.meta["debias"]["majority"]
    assert acc[-1] < acc[0] - 0.2 and acc[-1] <= majority + 0.1


def test_inlp_errors(tmp_path, gender):
    store, _ = gender
    with pytest.raises(DataError, match="fewer than the 3 x 500"):
        inlp(store, tmp_path / "o", n_words=500)
    small = Embeddings(["a", "b", "c"], np.eye(3, dtype=np.float32))
    with pytest.raises(DataError, match="'he' and 'she' not in the store"):
        inlp(small, tmp_path / "o2", n_words=1)
    with pytest.raises(ParameterError, match="iterations must be an integer >= 1"):
        inlp(store, tmp_path / "o3", iterations=0)
    # a run that would remove every dimension is an error, not a store of zero vectors
    with pytest.raises(DataError, match="removed all 40 dimensions in 20 iterations"):
        inlp(store, tmp_path / "o4", iterations=20, n_words=80)
    assert not (tmp_path / "o4").exists()
    from wordlab.debias.inlp import default_iterations
    assert (default_iterations(300), default_iterations(100), default_iterations(2)) == (35, 12, 1)


# -- multiclass --------------------------------------------------------------------------------------
def _reference_multiclass(store, def_sets, k):
    """Their biasOps: identify_bias_subspace on raw vectors, neutralize_and_equalize."""
    vocab = {w: np.asarray(store[w], dtype=np.float64) for w in store.words}
    matrix = []
    for s in def_sets:
        vs = np.array([vocab[w] for w in s if w in vocab])
        matrix.append(vs - vs.mean(axis=0))
    subspace = PCA(n_components=k).fit(np.concatenate(matrix)).components_

    def proj(v):
        return sum((v @ c) * c for c in subspace)

    set_words = {w for s in def_sets for w in s}
    new = {}
    for w, v in vocab.items():
        if w not in set_words:
            v = (v - proj(v)) / np.linalg.norm(v - proj(v))
        new[w] = v / np.linalg.norm(v)
    for s in def_sets:
        mean = np.mean([new[w] for w in s], axis=0)
        mean_b = proj(mean)
        upsilon = mean - mean_b
        for w in s:
            frac = (proj(new[w]) - mean_b) / np.linalg.norm(proj(new[w]) - mean_b)
            new[w] = upsilon + np.sqrt(1 - upsilon @ upsilon) * frac
    return subspace, np.array([new[w] for w in store.words])


@pytest.fixture(scope="module")
def religion():
    return religion_store()


@pytest.mark.parametrize("k", [1, 2])
def test_multiclass_matches_the_reference(tmp_path, religion, k):
    store, r = religion
    path = store.save(tmp_path / "in")
    before = _digest(path)
    new = multiclass_debias(path, tmp_path / "out", defining_sets=RELIGION, k=k)
    subspace, expected = _reference_multiclass(store, RELIGION, k)
    b = np.asarray(new.meta["debias"]["subspace"]["components"])
    np.testing.assert_allclose(np.abs(b @ subspace.T), np.eye(k), atol=1e-9)
    np.testing.assert_allclose(np.asarray(new.vectors), expected, atol=2e-6)
    if k == 2:                                  # the planted subspace is found
        np.testing.assert_allclose(np.linalg.svd(b @ r.T, compute_uv=False), 1, atol=0.02)
    x = np.asarray(new.vectors, dtype=np.float64)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1, atol=1e-6)
    neutral = [new.index[w] for w in new.words if w.startswith("n")]
    assert new.meta["debias"]["neutralised"] == len(neutral)
    assert np.max(np.abs(x[neutral] @ b.T)) < 1e-6            # no component in the subspace
    for s in RELIGION:                                          # equidistant to every member of each set
        sims = x[neutral] @ x[[new.index[w] for w in s]].T
        assert np.max(np.ptp(sims, axis=1)) < 1e-6
    assert _digest(path) == before
    with pytest.raises(OutputExistsError):
        multiclass_debias(path, tmp_path / "out", defining_sets=RELIGION, k=k)


def test_multiclass_sets_neutral_list_and_missing_words(tmp_path, religion):
    store, _ = religion
    sets = RELIGION + [("rabbi", "priest", "imam")]        # absent from the store
    with pytest.warns(MissingWordsWarning, match="defining sets: 4 of 5 found; missing 1: rabbi/priest/imam"):
        new = multiclass_debias(store, tmp_path / "a", defining_sets=sets, k=2)
    assert new.meta["debias"]["defining"]["missing"] == [["rabbi", "priest", "imam"]]
    with pytest.warns(MissingWordsWarning, match="dropped from their sets: hindu"):
        sub = bias_subspace(store, RELIGION[:3] + [("torah", "bible", "quran", "hindu")], k=2)
    assert sub.sets[-1] == ("torah", "bible", "quran")
    with pytest.raises(MissingWordsError, match="none of the 2 entries"):
        bias_subspace(store, [("a1", "a2"), ("b1", "b2")])
    with pytest.raises(ParameterError, match="k = 9 but the defining sets span"):
        bias_subspace(store, RELIGION[:1], k=9)
    # A given neutral list: only those words are neutralised; the others are only renormalised.
    with pytest.warns(MissingWordsWarning, match="neutral words: 2 of 3 found; missing 1: absent"):
        new = multiclass_debias(store, tmp_path / "b", defining_sets=RELIGION, k=2, neutral=["na", "nb", "absent"])
    assert new.meta["debias"]["neutralised"] == 2
    b = np.asarray(new.meta["debias"]["subspace"]["components"])
    x = np.asarray(new.vectors, dtype=np.float64)
    assert np.max(np.abs(x[[new.index["na"], new.index["nb"]]] @ b.T)) < 1e-6
    assert np.abs(x[new.index["nc"]] @ b.T).max() > 1e-3
    # Overlapping equalize sets are equalised in order, with a warning.
    with pytest.warns(UserWarning, match="more than one equalize set.*: jew"):
        multiclass_debias(store, tmp_path / "c", defining_sets=RELIGION, equalize_sets=[("jew", "christian"),
                                                                                          ("jew", "muslim")], k=1)
    assert set(MULTICLASS_SETS) == {"religion", "race"}
    from wordlab.cli.debias_methods import SET_NAMES
    assert tuple(MULTICLASS_SETS) == SET_NAMES


def test_read_sets_formats_and_errors(tmp_path):
    text = tmp_path / "sets.txt"
    text.write_text("# religion\njudaism christianity islam\njew, christian, muslim  # trailing\n", encoding="utf-8")
    assert read_sets(text) == [("judaism", "christianity", "islam"), ("jew", "christian", "muslim")]
    js = tmp_path / "sets.json"
    js.write_text(json.dumps([["a", "b"], ["c", "d", "e"]]), encoding="utf-8")
    assert read_sets(js) == [("a", "b"), ("c", "d", "e")]
    manzini = tmp_path / "religion_attributes_optm.json"
    manzini.write_text(json.dumps({"definite_sets": [list(s) for s in MULTICLASS_SETS["religion"]],
                                   "analogy_templates": {}}), encoding="utf-8")
    assert read_sets(manzini) == list(MULTICLASS_SETS["religion"])
    for content, fragment in [("a b\nlonely\n", "line 2: a set needs at least two words"),
                              ("a a b\n", "line 1: the set has a word twice"),
                              ("# nothing\n", "no word sets")]:
        bad = tmp_path / "bad.txt"
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(InputFormatError, match=re.escape(fragment)):
            read_sets(bad)
    bad = tmp_path / "bad.json"
    bad.write_text('{"sets": []}', encoding="utf-8")
    with pytest.raises(InputFormatError, match="definite_sets"):
        read_sets(bad)


# -- CLI -----------------------------------------------------------------------------------------------
def assert_usage_error(result, *fragments):
    """A usage error (click's exit status 2): one ``Error:`` line."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    for f in fragments:
        assert f in lines[0], (f, lines[0])


def test_cli_double_hard(runner, tmp_path, frequency):
    store, _, _ = frequency
    path = store.save(tmp_path / "in")
    eq = tmp_path / "eq.txt"
    eq.write_text("mom dad\ncolt filly\n", encoding="utf-8")
    spec = tmp_path / "spec.txt"
    spec.write_text("queen\nking\n", encoding="utf-8")
    args = ("debias", "double-hard", path, "-o", tmp_path / "out", "--equalize", eq, "--specific", spec,
            "--components", "5", "--per-side", "40")
    r = run(runner, *args)
    assert r.exit_code == 0, r.output
    k = wordlab.load(tmp_path / "out").meta["debias"]["component"]
    assert f"removed:      principal component {k + 1} of 5" in r.output
    assert re.search(r"^accuracies:(\s+\d\.\d{3}){5}$", r.output, re.M)
    assert "Warning: equalize pairs: 1 of 2 found; missing 1: colt/filly" in r.output
    assert_one_error_line(run(runner, *args), "already exists")
    assert run(runner, *args, "--overwrite").exit_code == 0


def test_cli_inlp(runner, tmp_path, gender):
    store, _ = gender
    path = store.save(tmp_path / "in")
    r = run(runner, "debias", "inlp", path, "-o", tmp_path / "out", "--iterations", "3", "--words", "60")
    assert r.exit_code == 0, r.output
    assert re.search(r"^words:\s+60 male, 60 female, 60 neutral", r.output, re.M)
    assert re.search(r"^removed:\s+rank 9 of 40 \(3 classifiers used\)", r.output, re.M)
    info = wordlab.load(tmp_path / "out").meta["debias"]
    assert len(info["accuracies"]) == 3
    assert_usage_error(run(runner, "debias", "inlp", path, "-o", tmp_path / "o2", "--pair", "he"),
                          "two different words")
    assert_one_error_line(run(runner, "debias", "inlp", path, "-o", tmp_path / "o3", "--words", "5000"),
                          "fewer than the 3 x 5000")


def test_cli_multiclass(runner, tmp_path, religion):
    store, _ = religion
    path = store.save(tmp_path / "in")
    defining = tmp_path / "defining.txt"
    defining.write_text("".join(" ".join(s) + "\n" for s in RELIGION), encoding="utf-8")
    equalize = tmp_path / "equalize.json"
    equalize.write_text(json.dumps([list(s) for s in RELIGION[:2]]), encoding="utf-8")
    r = run(runner, "debias", "multiclass", path, "-o", tmp_path / "out", "--defining", defining,
            "--equalize", equalize, "-k", "2")
    assert r.exit_code == 0, r.output
    assert re.search(r"^subspace:\s+k = 2 from 4 of 4 defining sets", r.output, re.M)
    assert re.search(r"^equalised:\s+2 sets \(2 of 2 given sets found\)", r.output, re.M)
    info = wordlab.load(tmp_path / "out").meta["debias"]
    assert info["equalized"] == [list(s) for s in RELIGION[:2]]
    # the built-in religion sets: the store lacks rabbi/priest/imam (reported)
    r = run(runner, "debias", "multiclass", path, "-o", tmp_path / "out2", "--defining", "religion", "-k", "2")
    assert r.exit_code == 0, r.output
    assert "Warning: defining sets: 4 of 5 found; missing 1: rabbi/priest/imam" in r.output
    assert_usage_error(run(runner, "debias", "multiclass", path, "-o", tmp_path / "o3", "--defining",
                           tmp_path / "nope.txt"), "--defining", "no such file")
    assert_one_error_line(run(runner, "debias", "multiclass", path, "-o", tmp_path / "o4", "--defining",
                              defining, "-k", "12"), "k = 12 but the defining sets span")
