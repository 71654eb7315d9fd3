"""Gonen and Goldberg's (2019) remaining tests (professions, classification, average bias),
Bolukbasi et al.'s (2016) analogy generation and learning of the gender-specific words.

Each is checked against a re-derivation of the reference code (their notebook's helpers,
debiaswe's ``we.py`` and ``learn_gender_specific.py``) in numpy / scikit-learn, and for
its behaviour on planted stores whose answer is known.
"""
from __future__ import annotations

import json
import operator
import random
import re

import numpy as np
import pytest
import scipy.sparse
import scipy.spatial.distance
import scipy.stats
from sklearn import svm

import wordlab
from wordlab import Embeddings
from wordlab.debias import (MissingWordsError, bias_report, classification_accuracy, generate_analogies,
                            gonen_goldberg, hard_debias, learn_gender_specific, mean_absolute_bias, most_biased,
                            professions_neighbors, residual_bias)
from wordlab.debias.residual import candidate_words, excluded_words
from wordlab.errors import DataError, ParameterError

from test_cli import run
from test_debias import DIM, EQUALIZE, SPECIFIC, nw, planted_store


def _unit(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """(original, hard-debiased) for a store whose side also leaks along h (leak=3) and
    for one where g carries it alone (leak=0)."""
    out = {}
    for leak in (0.0, 3.0):
        store, _, _ = planted_store(seed=5, n_neutral=700, leak=leak)
        debiased = hard_debias(store, tmp_path_factory.mktemp("hard") / "out", equalize=EQUALIZE[:3],
                               gender_specific=SPECIFIC)
        out[leak] = store, debiased, most_biased(store, n=150, exclude=excluded_words(debiased))
    return out


# -- their helpers, re-derived (gonenhila/gender_bias_lipstick, remaining_bias_2016) ----------------
def their_bias(wv, w2i, vocab, he, she):
    """compute_bias_by_projection: cos(w, he) - cos(w, she), scipy's cosine."""
    def simi(a, b):
        return 1 - scipy.spatial.distance.cosine(a, b)
    return {w: simi(wv[w2i[w]], he) - simi(wv[w2i[w]], she) for w in vocab}


def their_top_k(w, wv, w2i, vocab, k):
    idx = w2i[w]
    best = wv.dot(wv[idx]).argsort()[::-1][:k + 1]
    return [vocab[i] for i in best if i != idx]


def their_professions(wv, w2i, vocab, words, bias, k=100):
    """get_tuples_prof and compute_corr: (word, bias, male, female) and Pearson r."""
    wv = _unit(wv)
    tuples = []
    for w in words:
        if w not in bias:
            continue
        top = their_top_k(w, wv, w2i, vocab, k + 5)[:k]
        m = sum(1 for t in top if bias[t] > 0)
        tuples.append((w, bias[w], m, k - m))
    return tuples, scipy.stats.pearsonr([t[1] for t in tuples], [t[2] for t in tuples])[0]


def their_classification(wv, w2i, bias, size, size_train, seed):
    """The classification cell: the most biased words per side, shuffled, train_and_predict."""
    sorted_g = sorted(bias.items(), key=operator.itemgetter(1))
    females = [item[0] for item in sorted_g[:size]]
    males = [item[0] for item in sorted_g[-size:]]
    rng = random.Random(seed)
    rng.shuffle(females)
    rng.shuffle(males)
    size_test = size - size_train
    x_train = [wv[w2i[w], :] for w in males[:size_train] + females[:size_train]]
    y_train = [1] * size_train + [0] * size_train
    x_test = [wv[w2i[w], :] for w in males[size_train:] + females[size_train:]]
    y_test = [1] * size_test + [0] * size_test
    clf = svm.SVC(gamma="auto")
    clf.fit(x_train, y_train)
    preds = clf.predict(x_test)
    return float(sum(1 if y == z else 0 for y, z in zip(preds, y_test))) / len(y_test)


def _limited(store, debiased):
    """Their vocab_limited, its unit vectors in ``store``, and the original bias dict."""
    vocab = candidate_words(store, exclude=excluded_words(debiased))
    w2i = {w: i for i, w in enumerate(vocab)}
    unit = _unit(store.vectors)
    return vocab, w2i, unit


# -- Gonen and Goldberg ---------------------------------------------------------------------------------
@pytest.mark.parametrize("leak", [0.0, 3.0])
def test_the_new_tests_agree_with_their_code(stores, leak):
    original, debiased, biased = stores[leak]
    vocab, w2i, unit0 = _limited(original, debiased)
    he, she = unit0[original.index_of("he")], unit0[original.index_of("she")]
    bias = their_bias(np.array([unit0[original.index_of(w)] for w in vocab]), w2i, vocab, he, she)
    assert list(biased.projections.index) == vocab
    np.testing.assert_allclose(biased.projections.loc[vocab].to_numpy(), [bias[w] for w in vocab], atol=1e-12)
    professions = [nw(i) for i in range(0, 120, 3)] + ["king", "nowhere"]     # king: gender-specific, left out
    for store in (original, debiased):
        unit = _unit(store.vectors)
        wv = np.array([unit[store.index_of(w)] for w in vocab])
        tuples, r = their_professions(wv, w2i, vocab, professions, bias, k=30)
        table, ours = professions_neighbors(store, biased, professions, k=30)
        assert list(table.index) == [t[0] for t in tuples] and "king" not in table.index
        assert table["male_neighbours"].tolist() == [t[2] for t in tuples]
        assert table["female_neighbours"].tolist() == [t[3] for t in tuples]
        np.testing.assert_allclose(table["bias"], [t[1] for t in tuples], atol=1e-12)
        assert ours == pytest.approx(r, abs=1e-12)
        expected = their_classification(wv, w2i, bias, 200, 60, seed=10)
        assert classification_accuracy(store, biased, n=200, n_train=60, seed=10) == expected
        s_he, s_she = unit[store.index_of("he")], unit[store.index_of("she")]
        after = their_bias(wv, w2i, vocab, s_he, s_she)
        mean = sum(abs(v) for v in after.values()) / len(after)              # their report_bias
        assert mean_absolute_bias(store, vocab) == pytest.approx(mean, abs=1e-12)


def test_classification_falls_to_chance_only_when_nothing_else_carries_the_side(stores):
    accuracy = {}
    for leak, (original, debiased, biased) in stores.items():
        accuracy[leak] = [classification_accuracy(s, biased, n=250, n_train=50) for s in (original, debiased)]
    assert accuracy[0.0][0] > 0.97 and accuracy[3.0][0] > 0.97          # before: the side is g
    assert accuracy[0.0][1] < 0.62                                      # g removed, nothing left: chance
    assert accuracy[3.0][1] > 0.9                                       # planted redundantly along h: still there


def test_professions_correlation_and_average_bias(stores):
    professions = [nw(i) for i in range(0, 300, 5)]
    r = {}
    for leak, (original, debiased, biased) in stores.items():
        r[leak] = [professions_neighbors(s, biased, professions, k=30)[1] for s in (original, debiased)]
        table, _ = professions_neighbors(original, biased, professions, k=30)
        male = table[table["bias"] > 0.2]["male_neighbours"]
        female = table[table["bias"] < -0.2]["male_neighbours"]
        assert male.min() > 25 and female.max() < 5                   # male-biased words have male neighbours
        means = [mean_absolute_bias(s, list(biased.projections.index)) for s in (original, debiased)]
        assert means[0] > 0.2 and means[1] < 0.1 * means[0]
    assert r[0.0][0] > 0.8 and r[3.0][0] > 0.8
    assert r[3.0][1] > 0.6 and abs(r[0.0][1]) < 0.35


def test_one_call_runs_every_test(stores):
    original, debiased, biased = stores[3.0]
    professions = [nw(i) for i in range(40)]
    full = gonen_goldberg(debiased, biased, k=30, professions=professions, n_classify=250, n_classify_train=50)
    part = residual_bias(debiased, biased, k=30)
    assert full.cluster_accuracy == part.cluster_accuracy and full.neighbor_correlation == part.neighbor_correlation
    assert part.professions is None and np.isnan(part.classification_accuracy) and part.mean_bias > 0
    assert full.professions_correlation == professions_neighbors(debiased, biased, professions, k=30)[1]
    assert full.classification_accuracy == classification_accuracy(debiased, biased, 250, 50)
    assert full.mean_bias == part.mean_bias
    with pytest.raises(DataError, match="fewer than the 2 x 5,000"):
        gonen_goldberg(debiased, biased, k=30, professions=professions)
    with pytest.raises(ParameterError, match="n_train"):
        classification_accuracy(debiased, biased, n=100, n_train=100)
    with pytest.raises(DataError, match="none of the 2 professions"):
        professions_neighbors(debiased, biased, ["king", "nowhere"])


def test_the_report_has_their_rows(stores):
    original, debiased, _ = stores[3.0]
    common = dict(professions=[nw(i) for i in range(40)], weat_tests=[], n_per_side=150, k=30, quality=False)
    table = bias_report(original, debiased, n_classify=250, n_classify_train=50, **common)
    rows = {r.measure: r for r in table.itertuples(index=False)}
    prof = rows["professions: bias-by-neighbours correlation (Pearson)"]
    assert prof.before > 0.8 and prof.after > 0.6 and prof.detail.startswith("40 of 40 professions")
    cls = rows["classification accuracy (RBF SVM)"]
    assert cls.before > 0.97 and cls.after > 0.9
    assert cls.detail == "50 + 50 train, 200 + 200 test of the 250 + 250 most biased words"
    avg = rows["average |bias-by-projection|"]
    assert avg.after < 0.1 * avg.before
    skipped = bias_report(original, debiased, **common)                 # 2 x 5,000 words: more than the store has
    row = skipped[skipped.measure == "classification accuracy (RBF SVM)"].iloc[0]
    assert np.isnan(row.before) and any("classification test skipped" in n for n in skipped.attrs["notes"])


# -- analogies (debiaswe's best_analogies_dist_thresh) ---------------------------------------------------
def their_analogies(words, vecs, v, thresh=1.0, topn=500, max_words=50000):
    """best_analogies_dist_thresh on float64 unit vectors, its sort made stable."""
    vecs, vocab = vecs[:max_words], words[:max_words]
    dots = vecs.dot(vecs.T)
    dots = scipy.sparse.csr_matrix(dots * (dots >= 1 - thresh / 2))
    rows, cols = dots.nonzero()
    rows, cols, diffs = zip(*[(i, j, vecs[i] - vecs[j]) for i, j in zip(rows, cols) if i < j])
    diffs = np.array([d / np.linalg.norm(d) for d in diffs])
    scores = diffs.dot(v / np.linalg.norm(v))
    ans, used_l, used_r = [], set(), set()
    for i in np.argsort(-abs(scores), kind="stable"):
        if abs(scores[i]) < 0.001:
            break
        row, col = (rows[i], cols[i]) if scores[i] > 0 else (cols[i], rows[i])
        if row in used_l or col in used_r:
            continue
        used_l.add(row)
        used_r.add(col)
        ans.append((vocab[row], vocab[col], abs(scores[i])))
        if len(ans) == topn:
            break
    return ans


def analogy_store(seed=0, n=400):
    """Random words, 12 planted pairs fi/mi = c +- 0.35 g, and one pair along g too far apart."""
    rng = np.random.default_rng(seed)
    g = _unit(rng.standard_normal(DIM))
    words, rows = [], []
    for i in range(12):
        c = _unit(rng.standard_normal(DIM))
        words += [f"f{nw(i)}", f"m{nw(i)}"]
        rows += [c + (0.35 + 0.01 * i) * g, c - (0.35 + 0.01 * i) * g]
    words += ["she", "he", "queenly", "kingly"]
    c = _unit(rng.standard_normal(DIM))
    rows += [c + 0.4 * g, c - 0.4 * g, 0.3 * c + g, 0.3 * c - g]       # queenly/kingly: ||x - y|| > 1
    words += [nw(i) for i in range(n)]
    rows += list(rng.standard_normal((n, DIM)))
    return Embeddings(words, np.array(rows, dtype=np.float32)), g


def test_analogies_agree_with_debiaswe_and_find_the_planted_pairs():
    store, g = analogy_store()
    unit = _unit(store.vectors)
    v = unit[store.index_of("she")] - unit[store.index_of("he")]
    for delta, n, limit in ((1.0, 500, None), (1.0, 40, 200), (0.75, 500, None)):
        ours = generate_analogies(store, n=n, delta=delta, restrict_vocab=limit, block=37)
        theirs = their_analogies(store.words, unit, v, thresh=delta ** 2, topn=n, max_words=limit or len(store))
        assert [(x, y) for x, y, _ in theirs] == list(zip(ours.x, ours.y))
        np.testing.assert_allclose(ours.score, [s for _, _, s in theirs], atol=1e-9)
        pairs = list(zip(ours.x, ours.y))
        xs, ys = unit[[store.index_of(x) for x, _ in pairs]], unit[[store.index_of(y) for _, y in pairs]]
        assert np.all(np.linalg.norm(xs - ys, axis=1) <= delta + 1e-6)
        assert len(set(ours.x)) == len(ours) and len(set(ours.y)) == len(ours)
        assert list(ours.score) == sorted(ours.score, reverse=True)
    top = generate_analogies(store, n=13)
    assert set(zip(top.x, top.y)) == {("she", "he")} | {(f"f{nw(i)}", f"m{nw(i)}") for i in range(12)}
    everything = generate_analogies(store, delta=1.0)
    assert ("queenly", "kingly") not in set(zip(everything.x, everything.y))
    assert np.linalg.norm(unit[store.index_of("queenly")] - unit[store.index_of("kingly")]) > 1
    close = generate_analogies(store, delta=0.5)
    far = {(f"f{nw(i)}", f"m{nw(i)}") for i in range(12)
           if np.linalg.norm(unit[store.index_of(f"f{nw(i)}")] - unit[store.index_of(f"m{nw(i)}")]) > 0.5}
    assert far and not far & set(zip(close.x, close.y))
    with pytest.raises(DataError, match="'hers' not in the store"):
        generate_analogies(store, pair=("hers", "he"))
    with pytest.raises(ParameterError, match="delta"):
        generate_analogies(store, delta=2.5)


# -- learning the gender-specific words (debiaswe's learn_gender_specific.py) --------------------------------
def specific_store(seed=0, n_seed=30, n_train_neutral=300, n_late=20, n_late_neutral=200):
    """Gender-specific words share a direction s (and carry +-g); neutral words have no s.
    Seeds and most neutral words are frequent; ``n_late`` unseeded specific words come
    after the first ``n_seed + n_train_neutral + 1`` words, among more neutral ones."""
    rng = np.random.default_rng(seed)
    g, s = np.linalg.qr(rng.standard_normal((DIM, 2)))[0].T

    def base():
        v = rng.standard_normal(DIM)
        return v - (v @ g) * g - (v @ s) * s

    specific = lambda: base() + 3.0 * s + rng.choice([-2.0, 2.0]) * g          # noqa: E731
    words, rows = [], []
    seeds = [f"s{nw(i)}" for i in range(n_seed)]
    for w in seeds:
        words.append(w)
        rows.append(specific())
    words.append("Sa")                                                 # "sa" is a seed: a case variant
    rows.append(specific())
    for i in range(n_train_neutral):
        words.append(nw(i))
        rows.append(base())
    late = [f"l{nw(i)}" for i in range(n_late)]
    for i, w in enumerate(late):
        words.append(w)
        rows.append(specific())
        for j in range(n_late_neutral // n_late):
            words.append(nw(n_train_neutral + i * 100 + j))
            rows.append(base())
    return Embeddings(words, np.array(rows, dtype=np.float32)), seeds + ["sa"], late


def their_learned(store, seed_words, num_training, random_state=0):
    words, vecs = store.words, _unit(store.vectors)
    gender_seed = set(seed_words)
    gender_seed = set(w for i, w in enumerate(words)
                      if w in gender_seed or (w.lower() in gender_seed and i < num_training))
    labeled = [(i, 1 if w in gender_seed else 0) for i, w in enumerate(words) if i < num_training or w in gender_seed]
    idx, labels = zip(*labeled)
    y = np.array(labels)
    x = np.array([vecs[i] for i in idx])
    clf = svm.LinearSVC(C=1.0, tol=0.0001, dual=True, random_state=random_state)
    clf.fit(x, y)
    is_specific = vecs.dot(clf.coef_.T) > -clf.intercept_
    full = list(set(w for label, w in zip(is_specific, words) if label).union(gender_seed))
    full.sort(key=lambda w: store.index[w])
    return full


def test_learned_list_agrees_with_debiaswe_and_finds_the_planted_words():
    store, seeds, late = specific_store()
    n_train = 331
    learned = learn_gender_specific(store, seeds, n_train=n_train)
    assert learned.words == their_learned(store, seeds, n_train)
    assert "Sa" in learned.seed and set(seeds[:-1]) <= set(learned.seed)
    assert set(late) <= set(learned.words) and set(late) <= set(learned.added)
    neutral = [w for w in store.words if not w.startswith(("s", "l", "S"))]
    assert not set(neutral) & set(learned.words)
    assert learned.training_error == 0 and learned.n_train == n_train
    assert learned.words == sorted(learned.words, key=store.index_of)
    assert (learned.scores.loc[late] > 0).all() and (learned.scores.loc[neutral] < 0).all()
    first = learn_gender_specific(store, seeds, n_train=n_train, n_classify=n_train)
    assert not set(late) & set(first.words)                             # classified: the 331 most frequent only
    with pytest.raises(MissingWordsError, match="none of the 3 entries is in the store"):
        learn_gender_specific(store, ["nope", "nada", "nix"])
    with pytest.raises(DataError, match="are all seed words"):
        learn_gender_specific(store, [store.words[0]], n_train=1)


# -- the commands -----------------------------------------------------------------------------------------
def test_cli_residual_analogies_and_learn_specific(runner, tmp_path):
    store, _, _ = planted_store(seed=5, n_neutral=700, leak=3.0)
    path = store.save(tmp_path / "store")
    specific = tmp_path / "specific.json"
    specific.write_text(json.dumps(SPECIFIC), encoding="utf-8")
    equalize = tmp_path / "equalize.txt"
    equalize.write_text("".join(f"{a} {b}\n" for a, b in EQUALIZE[:3]), encoding="utf-8")
    out = tmp_path / "debiased"
    assert run(runner, "debias", "hard", path, "-o", out, "--equalize", equalize, "--specific", specific).exit_code == 0
    professions = tmp_path / "professions.txt"
    professions.write_text("".join(f"{nw(i)}\n" for i in range(40)), encoding="utf-8")
    r = run(runner, "bias", "residual", path, out, "--per-side", "150", "-k", "30", "--professions", professions,
            "--classify-per-side", "250", "--classify-train", "50", "--show-professions")
    assert r.exit_code == 0, r.output
    acc = re.search(r"^classification accuracy \(RBF SVM\): before (\S+), after (\S+) \(50 \+ 50 train, 200 \+ 200",
                    r.output, re.M)
    original, debiased = wordlab.load(path), wordlab.load(out)
    biased = most_biased(original, n=150, exclude=excluded_words(debiased))
    assert float(acc.group(2)) == pytest.approx(classification_accuracy(debiased, biased, 250, 50), abs=1e-4)
    prof = re.search(r"^professions: bias-by-neighbours correlation \(Pearson\) before (\S+), after (\S+) "
                     r"\(40 of 40 professions, male neighbours of k = 30\)", r.output, re.M)
    assert float(prof.group(2)) == pytest.approx(
        professions_neighbors(debiased, biased, [nw(i) for i in range(40)], k=30)[1], abs=1e-4)
    assert re.search(r"^average \|bias-by-projection\|: before \S+, after \S+ \(over [\d,]+ candidate words\)",
                     r.output, re.M)
    assert re.search(rf"^{nw(0)}\s+-?\d\.\d+\s+\d+\s+\d+$", r.output, re.M)        # the per-profession table
    skipped = run(runner, "bias", "residual", path, out, "--per-side", "150", "-k", "30", "--professions", professions)
    assert skipped.exit_code == 0 and "classification: skipped (" in skipped.output

    a_store, _ = analogy_store()
    a_path = a_store.save(tmp_path / "analogy")
    r = run(runner, "bias", "analogies", a_path, "--top", "5", "--format", "csv")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0] == "she,he,score" and lines[1].startswith("she,he,")
    expected = generate_analogies(a_store, n=5)
    assert [tuple(l.split(",")[:2]) for l in lines[1:6]] == list(zip(expected.x, expected.y))
    bad = run(runner, "bias", "analogies", a_path, "--pair", "she")
    assert bad.exit_code == 2 and "expected two different words" in bad.output

    s_store, seeds, late = specific_store()
    s_path = s_store.save(tmp_path / "specific_store")
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seeds), encoding="utf-8")
    listed = tmp_path / "learned.json"
    r = run(runner, "debias", "learn-specific", s_path, "-o", listed, "--seed-words", seed_file, "--train", "331")
    assert r.exit_code == 0, r.output
    assert json.loads(listed.read_text(encoding="utf-8")) == learn_gender_specific(s_store, seeds, n_train=331).words
    assert re.search(r"^list:\s+\d+ words -> ", r.output, re.M)
    again = run(runner, "debias", "learn-specific", s_path, "-o", listed, "--seed-words", seed_file)
    assert again.exit_code == 1 and "already exists" in again.output
    text = tmp_path / "learned.txt"
    r = run(runner, "debias", "learn-specific", s_path, "-o", text, "--seed-words", seed_file, "--train", "331")
    assert r.exit_code == 0 and text.read_text(encoding="utf-8").split() == json.loads(listed.read_text())
    assert run(runner, "debias", "learn-specific", s_path, "-o", listed, "--seed-words", seed_file, "--train", "331",
               "--overwrite").exit_code == 0
    none = tmp_path / "none.txt"
    none.write_text("nope\nnada\n", encoding="utf-8")
    r = run(runner, "debias", "learn-specific", s_path, "-o", tmp_path / "x.json", "--seed-words", none)
    lines = [l for l in r.output.strip().splitlines() if not l.startswith("Warning:")]
    assert r.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: seed words")
    assert "none of the 2 entries is in the store" in lines[0] and not (tmp_path / "x.json").exists()
    # the learned list is what `debias hard --specific` takes
    pair = tmp_path / "pair.txt"
    pair.write_text(f"{seeds[0]} {seeds[1]}\n", encoding="utf-8")
    hard = run(runner, "debias", "hard", s_path, "-o", tmp_path / "hs", "--specific", listed, "--equalize", pair,
               "--pair", f"{seeds[0]},{seeds[1]}")
    assert hard.exit_code == 0, hard.output
    info = wordlab.load(tmp_path / "hs").meta["debias"]["gender_specific"]
    assert info["found"] == len(json.loads(listed.read_text()))
