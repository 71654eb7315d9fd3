"""The coursework's checks (wordlab.coursework): every known wrong answer fails, the
correct ones pass in float64 and in float32, and a check never stops Run All."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import wordlab
from wordlab import coursework as cw
from wordlab.align.synthetic import rotated_pair


# -- SGNS update: the solution, its float32 twin, and the mistakes -----------------------------------
def _sgns(h, syn1, target, negatives, alpha, dtype=np.float64, after=False, h_each=False, unique=False,
          flip=False, no_positive=False, in_place=False, loss_label_blind=False, no_alpha_out=False):
    """One implementation with switches for the mistakes students make."""
    h = np.array(h, dtype=dtype)
    syn1 = syn1 if in_place else np.array(syn1, dtype=dtype)
    neu1e = np.zeros_like(h)
    targets = ([] if no_positive else [(target, 1.0)])
    noise = list(dict.fromkeys(negatives)) if unique else list(negatives)
    targets += [(n, 0.0) for n in noise]
    loss = 0.0
    for t, label in targets:
        f = h @ syn1[t]
        p = 1.0 / (1.0 + np.exp(-f))
        loss -= np.log(p) if loss_label_blind else np.log(p if label else 1.0 - p)
        g = dtype(alpha) * (dtype(label) - p) * (-1 if flip else 1)
        if after:
            syn1[t] += g * h
            neu1e += g * syn1[t]
        elif h_each:
            step = g * syn1[t]
            syn1[t] += g * h
            h = h + step
        else:
            neu1e += g * syn1[t]
            syn1[t] += (g / dtype(alpha) if no_alpha_out else g) * h
    return h + neu1e, syn1, loss


def _sgns_vectorised(h, syn1, target, negatives, alpha, add_at=True):
    """Scores every target against the original syn1 (np.add.at: repeats accumulated;
    fancy assignment: the last repeat wins)."""
    h = np.asarray(h, dtype=np.float64)
    syn1 = np.array(syn1, dtype=np.float64)
    ts = np.array([target] + list(negatives))
    labels = np.array([1.0] + [0.0] * len(negatives))
    p = 1.0 / (1.0 + np.exp(-(syn1[ts] @ h)))
    g = alpha * (labels - p)
    neu1e = g @ syn1[ts]
    if add_at:
        np.add.at(syn1, ts, g[:, None] * h)
    else:
        syn1[ts] += g[:, None] * h
    loss = -np.sum(np.log(np.where(labels == 1, p, 1 - p)))
    return h + neu1e, syn1, loss


def _sgns_calls_the_kernel(h, syn1, target, negatives, alpha):
    from wordlab.trainers._word2vec_kernels import _negative_sampling_update, sigmoid_tables
    sig, nlog = sigmoid_tables()
    h, syn1 = np.array(h), np.array(syn1)
    neu1e = np.zeros_like(h)
    _negative_sampling_update(h, target, syn1, neu1e, np.float32(alpha), 0, np.ones(8, np.float32),
                              np.zeros(8, np.int32), np.uint64(1), True, sig, nlog)
    return h + neu1e, syn1, 0.0


SGNS_WRONG = {
    "syn1[t] after its update in the input gradient": lambda *a: _sgns(*a, after=True),
    "h updated after each target": lambda *a: _sgns(*a, h_each=True),
    "repeated noise words collapsed": lambda *a: _sgns(*a, unique=True),
    "vectorised against the original syn1 (np.add.at)": lambda *a: _sgns_vectorised(*a, add_at=True),
    "vectorised against the original syn1 (fancy +=)": lambda *a: _sgns_vectorised(*a, add_at=False),
    "gradient sign flipped": lambda *a: _sgns(*a, flip=True),
    "positive target left out": lambda *a: _sgns(*a, no_positive=True),
    "inputs changed in place": lambda *a: _sgns(*a, in_place=True),
    "loss ignores the labels": lambda *a: _sgns(*a, loss_label_blind=True),
    "alpha left out of the output update": lambda *a: _sgns(*a, no_alpha_out=True),
    "calls the library's kernel": _sgns_calls_the_kernel,
}
SGNS_RIGHT = {"float64": _sgns, "float32": lambda *a: _sgns(*a, dtype=np.float32)}


@pytest.mark.parametrize("name", SGNS_RIGHT)
def test_correct_sgns_updates_pass(name):
    grade = cw.check_sgns_update(SGNS_RIGHT[name])
    assert grade.passed and grade.points == cw.POINTS["sgns-update"], grade


@pytest.mark.parametrize("name", SGNS_WRONG)
def test_every_wrong_sgns_update_fails(name):
    grade = cw.check_sgns_update(SGNS_WRONG[name])
    assert grade.status == "failed" and grade.points == 0, f"{name}: {grade}"
    if "library" in name:
        assert "hides it" in grade.message


def test_the_sgns_tolerance_has_a_margin_on_both_sides():
    """float32 lands within a tenth of the tolerance of the reference; each mistake that
    gets past the shape and in-place checks misses by at least 100 times it."""
    for _, h, syn1, target, negatives, alpha in cw._hard_sgns_cases():
        want = cw.reference_sgns_update(h, syn1, target, negatives, alpha)
        got = SGNS_RIGHT["float32"](h, syn1, target, negatives, alpha)
        assert max(np.abs(np.asarray(a, np.float64) - b).max() for a, b in zip(got[:2], want[:2])) < cw.TOLERANCE / 10
    for name, fn in SGNS_WRONG.items():
        if name in ("inputs changed in place", "calls the library's kernel", "loss ignores the labels"):
            continue
        misses = []
        for _, h, syn1, target, negatives, alpha in cw._hard_sgns_cases():
            got = fn(h.copy(), syn1.copy(), target, negatives, alpha)
            want = cw.reference_sgns_update(h, syn1, target, negatives, alpha)
            misses.append(max(np.abs(np.asarray(a, np.float64) - b).max() for a, b in zip(got[:2], want[:2])))
        assert max(misses) >= 100 * cw.TOLERANCE, f"{name} misses by {max(misses):.1e} only"


def test_the_example_skips_noise_draws_of_the_centre_as_the_kernel_does():
    ex = cw.sgns_example(k=40)
    assert ex.centre not in ex.negatives and len(ex.negatives) < 40     # some draws hit the centre
    h, syn1, _ = cw._kernel_update(ex)
    want_h, want_syn1, _ = cw.reference_sgns_update(ex.syn0[ex.context], ex.syn1, ex.centre, ex.negatives, ex.alpha)
    assert np.abs(h - want_h).max() < 5e-4 and np.abs(syn1 - want_syn1).max() < 5e-4


# -- 3CosAdd ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def emb(tmp_path_factory):
    encoded = wordlab.Corpus.default().encode(min_count=5, progress=False)
    return wordlab.train(encoded, method="sgns", out=tmp_path_factory.mktemp("cw") / "sgns", dim=50, epochs=3,
                         seed=1, workers=1, progress=False)


def _analogy(vectors, words, a, b, c, normalise=True, exclude=("a", "b", "c"), sign=1, cosmul=False,
             dtype=np.float64):
    unit = np.asarray(vectors, dtype=dtype)
    if normalise:
        unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    ia, ib, ic = index[a], index[b], index[c]
    if cosmul:
        cos = (unit @ unit[[ia, ib, ic]].T + 1) / 2                         # shifted to [0, 1] (Levy and Goldberg)
        scores = cos[:, 1] * cos[:, 2] / (cos[:, 0] + 1e-3)
    else:
        scores = unit @ (unit[ib] + sign * unit[ic] - unit[ia])
    for name, i in (("a", ia), ("b", ib), ("c", ic)):
        if name in exclude:
            scores[i] = -np.inf
    return words[int(np.argmax(scores))]


def _analogy_calls_the_library(vectors, words, a, b, c):
    return EMB_FOR_CHEAT.analogy(a, b, c)[0][0]


EMB_FOR_CHEAT = None
ANALOGY_WRONG = {
    "rows not normalised": lambda *q: _analogy(*q, normalise=False),
    "question words not excluded": lambda *q: _analogy(*q, exclude=()),
    "only c excluded": lambda *q: _analogy(*q, exclude=("c",)),
    "b - a - c": lambda *q: _analogy(*q, sign=-1),
    "3CosMul instead": lambda *q: _analogy(*q, cosmul=True),
    "calls Embeddings.analogy": _analogy_calls_the_library,
}


def test_correct_analogies_pass_in_float64_and_float32(emb):
    for dtype in (np.float64, np.float32):
        grade = cw.check_three_cos_add(lambda *q, dtype=dtype: _analogy(*q, dtype=dtype), emb)
        assert grade.passed, grade


@pytest.mark.parametrize("name", ANALOGY_WRONG)
def test_every_wrong_analogy_fails(name, emb):
    global EMB_FOR_CHEAT
    EMB_FOR_CHEAT = emb
    grade = cw.check_three_cos_add(ANALOGY_WRONG[name], emb)
    assert grade.status == "failed", f"{name}: {grade}"
    assert emb.analogy("he", "his", "she")                    # the library's methods are back afterwards


# -- Procrustes ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pair():
    source, target, Q = rotated_pair(n_words=1000, dim=20, noise=0.05, seed=3)
    return np.asarray(source.vectors[:500], np.float64), np.asarray(target.vectors[:500], np.float64), Q


def _svd(M):
    U, S, Vt = np.linalg.svd(M)
    return U, S, Vt


PROCRUSTES_RIGHT = {
    "float64": lambda X, Y: (lambda U, S, Vt: U @ Vt)(*_svd(X.T @ Y)),
    "float32": lambda X, Y: (lambda U, S, Vt: U @ Vt)(*_svd(X.astype(np.float32).T @ Y.astype(np.float32))),
    "scipy's orthogonal_procrustes": lambda X, Y: scipy.linalg.orthogonal_procrustes(X, Y)[0],
}


def _calls_wordlab(X, Y):
    from wordlab.align import orthogonal_procrustes
    return orthogonal_procrustes(X, Y)


PROCRUSTES_WRONG = {
    "SVD of Y^T X": lambda X, Y: (lambda U, S, Vt: U @ Vt)(*_svd(Y.T @ X)),
    "V U^T": lambda X, Y: (lambda U, S, Vt: Vt.T @ U.T)(*_svd(X.T @ Y)),
    "U S V^T (not orthogonal)": lambda X, Y: (lambda U, S, Vt: U @ np.diag(S) @ Vt)(*_svd(X.T @ Y)),
    "least squares": lambda X, Y: np.linalg.lstsq(X, Y, rcond=None)[0],
    "SVD of X Y^T": lambda X, Y: (lambda U, S, Vt: U @ Vt)(*_svd(X @ Y.T)),
    "calls wordlab's own": _calls_wordlab,
}


@pytest.mark.parametrize("name", PROCRUSTES_RIGHT)
def test_correct_procrustes_passes(name, pair):
    grade = cw.check_procrustes(PROCRUSTES_RIGHT[name], *pair)
    assert grade.passed, f"{name}: {grade}"


@pytest.mark.parametrize("name", PROCRUSTES_WRONG)
def test_every_wrong_procrustes_fails(name, pair):
    grade = cw.check_procrustes(PROCRUSTES_WRONG[name], *pair)
    assert grade.status == "failed", f"{name}: {grade}"
    from wordlab.align import orthogonal_procrustes
    assert orthogonal_procrustes(pair[0], pair[1]).shape == (20, 20)     # restored afterwards


def test_a_global_alias_in_the_notebook_is_hidden_too(pair):
    namespace = {"np": np}
    from wordlab.align import orthogonal_procrustes
    namespace["orthogonal_procrustes"] = orthogonal_procrustes
    exec("def procrustes(X, Y):\n    return orthogonal_procrustes(X, Y)\n", namespace)
    grade = cw.check_procrustes(namespace["procrustes"], *pair)
    assert grade.status == "failed" and "hides it" in grade.message
    assert namespace["orthogonal_procrustes"] is orthogonal_procrustes


# -- Run All goes on -------------------------------------------------------------------------------
def test_blank_and_broken_exercises_do_not_stop_the_notebook(pair):
    def blank(*args):
        raise NotImplementedError

    def broken(*args):
        return undefined_name          # noqa: F821

    book = cw.Gradebook()
    g1 = book.add(cw.check_sgns_update(blank))
    g2 = book.add(cw.check_procrustes(broken, *pair))
    assert g1.status == "not attempted" and g2.status == "failed" and "NameError" in g2.message
    assert book.points == 0 and "three-cos-add" in str(book) and "total: 0/10 points" in str(book)
    book.add(cw.check_procrustes(PROCRUSTES_RIGHT["float64"], *pair))
    assert book.points == cw.POINTS["procrustes"]
    assert "NOT ATTEMPTED" in str(g1) and "FAILED" in g2._repr_html_().upper()
