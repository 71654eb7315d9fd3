"""CMOW / hybrid: backward pass against finite differences, order sensitivity,
initialisation, a planted-order corpus, the store's encoder, probing tasks."""
import math

import numpy as np
import pytest

import wordlab
from _helpers import interrupt_then_resume
from wordlab import Embeddings
from wordlab.errors import WordlabError
from wordlab.evals.probing import bigram_shift, probe, sentence_length, word_content
from wordlab.trainers import CMOW
from wordlab.trainers._cmow_kernels import train_windows
from wordlab.trainers._sampling import alias_table


def _log_sigmoid(z):
    return -math.log1p(math.exp(-z)) if z >= 0 else z - math.log1p(math.exp(z))


def _reference_loss(sentence, X, E, O, k, window, noise_word):
    """The summed loss of every centre-target example of one sentence, in float64 numpy."""
    loss = 0.0
    for p in range(len(sentence)):
        lo, hi = max(0, p - window), min(len(sentence) - 1, p + window)
        if hi - lo < 1:
            continue
        ctx = [sentence[q] for q in range(lo, hi + 1) if q != p]
        parts = []
        if E is not None:
            parts.append(sum(E[w] for w in ctx))
        if X is not None:
            P = np.eye(k)
            for w in ctx:
                P = P @ X[w].reshape(k, k)
            parts.append(P.reshape(-1))
        h = np.concatenate(parts)
        target = sentence[p]
        loss -= _log_sigmoid(O[target] @ h)
        if noise_word != target:
            loss -= _log_sigmoid(-(O[noise_word] @ h))      # K = 1: the average is the one term
    return loss


@pytest.mark.parametrize("encoder,residual", [("cmow", False), ("hybrid", False), ("hybrid", True)])
def test_backward_pass_matches_finite_differences(encoder, residual):
    """The kernel's steps are the gradients: of the whole score's loss, or with ``residual``,
    for the matrices, of the loss of the CMOW half's own score."""
    rng = np.random.default_rng(0)
    V, k, d, window = 6, 3, 4, 2
    sentence = [0, 2, 1, 4, 3]
    X = (np.eye(k).reshape(-1) + rng.normal(0, 0.3, (V, k * k)))
    E = rng.normal(0, 0.3, (V, d)) if encoder == "hybrid" else None
    D = (d if E is not None else 0) + k * k
    O = rng.normal(0, 0.3, (V, D))
    noise = 5                                     # every noise draw is word 5
    probs = np.zeros(V)
    probs[noise] = 1.0
    accept, alias = alias_table(probs)
    alpha = 1e-4
    X32 = X.astype(np.float32)
    E32 = E.astype(np.float32) if E is not None else np.zeros((0, 0), np.float32)
    loss, examples, _ = train_windows(
        np.array(sentence, np.int32), np.array([0, len(sentence)], np.int64), 0, 1, X32, E32, O.astype(np.float32),
        np.ones(V, np.float32), np.full(V, 1 << 32, np.uint64), accept, alias, k, window, 1, True,
        np.float32(alpha), np.float32(alpha), np.uint64(1), False, True, residual, *(np.zeros((0, 0), np.float32),) * 3)
    assert examples == len(sentence)
    # (the parameters move by O(alpha) between the examples, hence the tolerance)
    assert loss == pytest.approx(_reference_loss(sentence, X, E, O, k, window, noise), rel=1e-3)
    # The kernel's step, divided by -alpha, is the gradient (up to O(alpha): examples run in turn).
    step_X = (X32.astype(np.float64) - X) / -alpha
    # residual: the matrices see the CMOW half alone (no CBOW vectors, its part of O)
    E_X, O_X = (None, O[:, D - k * k:]) if residual else (E, O)
    for w in sorted(set(sentence)):
        for e in range(k * k):
            numeric = _central_difference(lambda M: _reference_loss(sentence, M, E_X, O_X, k, window, noise), X, w, e)
            assert step_X[w, e] == pytest.approx(numeric, rel=2e-2, abs=2e-3)
    if E is not None:
        step_E = (E32.astype(np.float64) - E) / -alpha
        for w in sorted(set(sentence)):
            for j in range(d):
                numeric = _central_difference(lambda M: _reference_loss(sentence, X, M, O, k, window, noise), E, w, j)
                assert step_E[w, j] == pytest.approx(numeric, rel=2e-2, abs=2e-3)


def _central_difference(loss, M, i, j, eps=1e-5):
    """d loss(M) / d M[i, j] by central differences."""
    Mp, Mm = M.copy(), M.copy()
    Mp[i, j] += eps
    Mm[i, j] -= eps
    return (loss(Mp) - loss(Mm)) / (2 * eps)


def _planted_order(seed=0, n=3000):
    """'x _ y' has P in the middle, 'y _ x' has Q: only the order of the context tells."""
    rng = np.random.default_rng(seed)
    return [["x", "P", "y"] if rng.random() < 0.5 else ["y", "Q", "x"] for _ in range(n)]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    enc = wordlab.Corpus(_planted_order()).encode(min_count=1, progress=False)
    out = {}
    for encoder, dim in (("cmow", 9), ("cbow", 9), ("hybrid", 9)):
        out[encoder] = CMOW(encoder=encoder, dim=dim, cbow_dim=4, window=1, target="centre", negative=3, alpha=0.01,
                            sample=0, epochs=4, workers=1, seed=3, progress=False).fit(
            enc, tmp_path_factory.mktemp(encoder) / "store")
    return out


def _order_margin(emb) -> float:
    h = emb.encode([["x", "y"], ["y", "x"]])
    O = np.asarray(emb.context_vectors)
    P, Q = emb.index["P"], emb.index["Q"]
    return min(O[P] @ h[0] - O[Q] @ h[0], O[Q] @ h[1] - O[P] @ h[1])


def test_cmow_learns_order_that_cbow_cannot(planted):
    assert _order_margin(planted["cmow"]) > 1.0
    assert _order_margin(planted["hybrid"]) > 1.0
    cbow = planted["cbow"]
    h = cbow.encode([["x", "y"], ["y", "x"]])
    np.testing.assert_array_equal(h[0], h[1])                 # a sum cannot see order
    assert _order_margin(cbow) <= 0.0


def test_encodings_are_order_sensitive_for_cmow_only(planted):
    cmow = planted["cmow"].encode([["x", "P", "y"], ["y", "P", "x"]])
    assert np.abs(cmow[0] - cmow[1]).max() > 1e-3
    hybrid = planted["hybrid"].encode([["x", "P", "y"], ["y", "P", "x"]])
    np.testing.assert_allclose(hybrid[0, :4], hybrid[1, :4], rtol=1e-6)   # CBOW half
    assert np.abs(hybrid[0, 4:] - hybrid[1, 4:]).max() > 1e-3


def test_order_sensitivity_diagnostic(planted):
    from wordlab.evals.probing import order_sensitivity
    held_out = _planted_order(seed=1, n=400)
    cmow = order_sensitivity(planted["cmow"], held_out, window=1, negative=3, n=300)
    assert cmow.n == 300 and cmow.delta["natural"] == 0.0
    assert cmow.delta["reversed"] > max(1.0, 4 * cmow.stderr["reversed"])   # natural order is far cheaper
    cbow = order_sensitivity(planted["cbow"], held_out, window=1, negative=3, n=300)
    assert cbow.delta["reversed"] == pytest.approx(0.0, abs=1e-9)           # a sum cannot prefer an order
    assert cbow.delta["shuffled"] == pytest.approx(0.0, abs=1e-9)


def _planted_suffix(seed=0, n=3000):
    """'x y' is followed by P, 'y x' by Q: the last word tells the order of the first two."""
    rng = np.random.default_rng(seed)
    return [["x", "y", "P"] if rng.random() < 0.5 else ["y", "x", "Q"] for _ in range(n)]


def test_swap_preference_sees_learned_order_and_cbow_sees_none(tmp_path):
    from wordlab.evals.probing import swap_preference
    enc = wordlab.Corpus(_planted_suffix()).encode(min_count=1, progress=False)
    held_out = _planted_suffix(seed=1, n=400)
    found = {}
    for encoder in ("cmow", "cbow"):
        emb = CMOW(encoder=encoder, dim=9, window=2, negative=3, alpha=0.01, epochs=4, workers=1, seed=3,
                   progress=False).fit(enc, tmp_path / encoder)
        found[encoder] = swap_preference(emb, held_out, window=2, negative=3, n=300)
    cmow, cbow = found["cmow"], found["cbow"]
    assert cmow.n == 300
    # Swapping x and y leaves every window's bag of words as it was, but makes P the
    # wrong last word: CMOW, which learned "x y -> P", prefers the sentence as written.
    assert cmow.preferred > 0.7 and cmow.gain > 4 * cmow.gain_stderr
    # With the window covering the whole sentence, a swap changes no bag: CBOW is blind.
    assert cbow.preferred == 0.5 and cbow.gain == pytest.approx(0.0, abs=1e-9)


def test_epoch_callback_sees_a_usable_encoder(tmp_path):
    from wordlab.evals.probing import order_sensitivity
    seen = []
    enc = wordlab.Corpus(_planted_order(n=600)).encode(min_count=1, progress=False)
    CMOW(encoder="cmow", dim=9, window=1, target="centre", negative=3, alpha=0.01, epochs=2, workers=1, seed=3,
         progress=False, callbacks=[lambda r: seen.append(r.embeddings())]).fit(enc, tmp_path / "s")
    assert len(seen) == 2
    last = seen[-1]
    assert last.meta["encoder"] == {"type": "cmow", "cbow_dim": 0, "cmow_k": 3}
    assert last.context_vectors is not None and last.encode([["x", "y"]]).shape == (1, 9)
    with pytest.warns(UserWarning, match="fewer than n=3,000"):
        assert order_sensitivity(last, _planted_order(seed=2, n=50), window=1, negative=3).n == 50


def test_order_sensitivity_takes_many_windows_from_a_long_sentence(planted):
    """A few long held-out texts give n windows, not one each (a notebook drew 20 windows
    from 20 texts of 1,000 tokens when asking for 3,000)."""
    from wordlab.evals.probing import order_sensitivity
    texts = [sum(_planted_order(seed=s, n=200), []) for s in range(3)]
    r = order_sensitivity(planted["cmow"], texts, window=1, negative=3, n=500)
    assert r.n == 500 and r.stderr["reversed"] > 0          # 500 windows from 3 texts, and they differ
    with pytest.raises(WordlabError, match="no sentence"):
        order_sensitivity(planted["cmow"], [["x"]], window=1, negative=3)


def test_store_layout_and_neutral_elements(planted):
    hybrid = planted["hybrid"]
    assert hybrid.dim == 4 + 9
    assert hybrid.meta["encoder"] == {"type": "hybrid", "cbow_dim": 4, "cmow_k": 3}
    empty = hybrid.encode([[], ["unknown-word"]])
    np.testing.assert_array_equal(empty[:, :4], 0.0)
    np.testing.assert_array_equal(empty[:, 4:], np.tile(np.eye(3, dtype=np.float32).reshape(-1), (2, 1)))
    # one word: its own matrix and vector
    np.testing.assert_allclose(hybrid.encode([["x"]])[0], hybrid["x"], rtol=1e-6)
    # a plain (word2vec-like) store encodes by summing
    plain = Embeddings(["a", "b"], np.array([[1, 2], [3, 5]], np.float32))
    np.testing.assert_array_equal(plain.encode([["a", "b", "a"], "b a"]), [[5, 9], [4, 7]])


def test_identity_initialisation():
    trainer = CMOW(encoder="cmow", dim=16, init_noise=0.1)
    (shape, init) = trainer._weight_specs(2000)["matrices"]
    arr = np.empty(shape, np.float32)
    init(arr, np.random.default_rng(0))
    noise = arr - np.eye(4, dtype=np.float32).reshape(-1)
    assert abs(noise.mean()) < 0.01 and noise.std() == pytest.approx(0.1, rel=0.05)
    glorot = CMOW(encoder="cmow", dim=16, init="glorot")._weight_specs(500)["matrices"]
    g = np.empty(glorot[0], np.float32)
    glorot[1](g, np.random.default_rng(0))
    assert np.abs(g).max() <= math.sqrt(6 / 8) and g.std() == pytest.approx(math.sqrt(6 / 8) / math.sqrt(3), rel=0.1)


def test_bad_parameters(tmp_path):
    enc = wordlab.Corpus(_planted_order(n=20)).encode(min_count=1, progress=False)
    with pytest.raises(WordlabError, match="perfect square"):
        CMOW(encoder="cmow", dim=10, progress=False).fit(enc, tmp_path / "a")
    with pytest.raises(WordlabError, match="encoder"):
        CMOW(encoder="lstm", progress=False).fit(enc, tmp_path / "b")
    with pytest.raises(WordlabError, match="target"):
        CMOW(dim=9, target="left", progress=False).fit(enc, tmp_path / "c")
    CMOW(encoder="cbow", dim=10, epochs=1, progress=False).fit(enc, tmp_path / "d")   # no square needed


@pytest.mark.parametrize("objective", ["residual", "joint"])     # joint: across the warm-up's end
def test_resume_equals_uninterrupted(tmp_path, objective):
    enc = wordlab.Corpus(_planted_order(n=400)).encode(min_count=1, progress=False)
    kw = dict(encoder="hybrid", dim=9, cbow_dim=4, window=1, epochs=3, workers=1, seed=5, progress=False,
              hybrid_objective=objective)
    full = CMOW(**kw).fit(enc, tmp_path / "full")
    resumed = interrupt_then_resume(lambda **cb: CMOW(**kw, **cb), enc, tmp_path / "r")
    np.testing.assert_array_equal(np.asarray(resumed.vectors), np.asarray(full.vectors))


# -- probing tasks ---------------------------------------------------------------------------------
def _toy_sentences(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(400)]
    return [[words[int(i)] for i in rng.zipf(1.3, size=rng.integers(5, 30)) % 400] for _ in range(n)]


def test_bigram_shift_task():
    sentences = _toy_sentences()
    task = bigram_shift(sentences, n=1000, seed=1)
    assert 0.4 < task.labels.mean() < 0.6
    assert sum(task.sizes().values()) == len(task.sentences) == 1000
    originals = {tuple(s) for s in sentences}
    for s, label in zip(task.sentences, task.labels):
        if label == 0:
            assert tuple(s) in originals


def test_word_content_task():
    task = word_content(_toy_sentences(n=6000), n_words=20, per_word=30, frequency_ranks=(20, 200), seed=2)
    targets = set(task.classes)
    for s, label in zip(task.sentences, task.labels):
        present = [w for w in s if w in targets]
        assert present == [task.classes[label]]


def test_sentence_length_task():
    task = sentence_length(_toy_sentences(), bins=(5, 10, 20, 30), per_bin=200, seed=3)
    edges = (5, 10, 20, 30)
    for s, label in zip(task.sentences, task.labels):
        assert edges[label] <= len(s) < edges[label + 1]


def test_cbow_probe_is_at_chance_on_bigram_shift_and_sees_length():
    sentences = _toy_sentences(n=4000)
    rng = np.random.default_rng(0)
    words = sorted({w for s in sentences for w in s})
    store = Embeddings(words, rng.normal(size=(len(words), 16)).astype(np.float32))
    shift = probe(store, bigram_shift(sentences, n=3000, seed=4))
    assert abs(shift.accuracy - 0.5) < 0.08          # identical encodings for both labels
    length = probe(store, sentence_length(sentences, bins=(5, 12, 30), per_bin=1500, seed=4))
    assert length.accuracy > 0.8                      # the norm of a sum grows with length


def test_lazy_adam_step_matches_the_rule():
    from wordlab.trainers._cmow_kernels import _adam_step
    from numba import njit

    @njit
    def run(param, state, grads, scale, lr):
        for r in range(grads.shape[0]):
            _adam_step(param, state, grads[r], scale, lr)

    rng = np.random.default_rng(0)
    n = 5
    grads = rng.normal(size=(4, n)).astype(np.float32)
    param = rng.normal(size=n).astype(np.float32)
    state = np.zeros(2 * n + 1, np.float32)
    expected = param.astype(np.float64).copy()
    m = np.zeros(n)
    v = np.zeros(n)
    for t, g in enumerate(grads.astype(np.float64) * 0.5, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected -= 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    run(param, state, grads, np.float32(0.5), np.float32(0.01))
    np.testing.assert_allclose(param, expected, rtol=1e-4, atol=1e-6)
    assert state[-1] == 4      # the row's own step count


# -- the hybrid's CMOW warm-up and starting points -------------------------------------------------
def test_hybrid_warmup_trains_the_cmow_half_alone(tmp_path):
    enc = wordlab.Corpus(_planted_suffix(n=600)).encode(min_count=1, progress=False)
    kw = dict(dim=9, window=2, negative=3, alpha=0.01, workers=1, seed=4, progress=False)
    start = CMOW(encoder="cmow", epochs=1, **kw).fit(enc, tmp_path / "start")
    # The same starting matrices for a CMOW and for the hybrid's CMOW half.
    cmow = CMOW(encoder="cmow", epochs=1, **kw).fit(enc, tmp_path / "cmow", init_vectors=start)
    seen = []
    hybrid = CMOW(encoder="hybrid", cbow_dim=4, epochs=2, hybrid_objective="joint", cmow_warmup_epochs=1, **kw,
                  callbacks=[lambda r: seen.append((np.array(r.embeddings().vectors),
                                                    np.array(r.embeddings().context_vectors)))])
    out = hybrid.fit(enc, tmp_path / "hybrid", init_vectors=start)
    (v1, o1), (v2, o2) = seen
    # After the warm-up epoch the CMOW half is, bit for bit, CMOW trained alone ...
    np.testing.assert_array_equal(v1[:, 4:], np.asarray(cmow.vectors))
    np.testing.assert_array_equal(o1[:, 4:], np.asarray(cmow.context_vectors))
    # ... and the CBOW half has not moved: its output part is still zero.
    np.testing.assert_array_equal(o1[:, :4], 0.0)
    assert np.abs(v1[:, :4]).max() <= 0.5 / 4
    # The joint epoch trains both halves.
    assert np.abs(o2[:, :4]).max() > 1e-3 and np.abs(v2[:, :4] - v1[:, :4]).max() > 1e-3
    assert np.abs(v2[:, 4:] - v1[:, 4:]).max() > 1e-3
    assert [h["phase"] for h in out.meta["history"]] == ["cmow warm-up", "both halves"]


def test_residual_hybrid_trains_its_cmow_half_as_cmow_alone(tmp_path):
    """The residual objective: the CMOW half learns from its own score, exactly as CMOW
    alone, and the CBOW half learns on top of it, from the whole score."""
    enc = wordlab.Corpus(_planted_suffix(n=600)).encode(min_count=1, progress=False)
    kw = dict(dim=9, window=2, negative=3, alpha=0.01, epochs=2, workers=1, seed=4, progress=False)
    start = CMOW(encoder="cmow", **kw).fit(enc, tmp_path / "start")
    cmow = CMOW(encoder="cmow", **kw).fit(enc, tmp_path / "cmow", init_vectors=start)
    hybrid = CMOW(encoder="hybrid", cbow_dim=4, **kw).fit(enc, tmp_path / "hybrid", init_vectors=start)
    assert hybrid.meta["params"]["hybrid_objective"] == "residual"
    assert [h["phase"] for h in hybrid.meta["history"]] == ["both halves", "both halves"]
    np.testing.assert_array_equal(np.asarray(hybrid.vectors)[:, 4:], np.asarray(cmow.vectors))
    np.testing.assert_array_equal(np.asarray(hybrid.context_vectors)[:, 4:], np.asarray(cmow.context_vectors))
    # The CBOW half learned, and it lowers the loss beyond the CMOW half's alone.
    assert np.abs(np.asarray(hybrid.context_vectors)[:, :4]).max() > 1e-2
    assert hybrid.meta["loss_history"][-1] < cmow.meta["loss_history"][-1]
    # The joint objective couples the halves: its CMOW half is not CMOW alone.
    with pytest.warns(UserWarning, match="no CMOW warm-up"):
        joint = CMOW(encoder="hybrid", cbow_dim=4, hybrid_objective="joint", cmow_warmup_epochs=0, **kw).fit(
            enc, tmp_path / "joint", init_vectors=start)
    assert np.abs(np.asarray(joint.vectors)[:, 4:] - np.asarray(cmow.vectors)).max() > 1e-3


def test_hybrid_default_warmup_and_its_limits(tmp_path):
    assert CMOW(encoder="hybrid", hybrid_objective="joint", epochs=5).warmup_epochs == 2
    assert CMOW(encoder="hybrid", epochs=5).warmup_epochs == 0       # residual: no warm-up needed
    assert CMOW(encoder="cmow", epochs=5).warmup_epochs == 0
    enc = wordlab.Corpus(_planted_order(n=50)).encode(min_count=1, progress=False)
    with pytest.raises(WordlabError, match="hybrid encoder only"):
        CMOW(encoder="cmow", dim=9, epochs=2, cmow_warmup_epochs=1, progress=False).fit(enc, tmp_path / "a")
    with pytest.raises(WordlabError, match="no epoch for the joint"):
        CMOW(encoder="hybrid", dim=9, cbow_dim=4, epochs=2, cmow_warmup_epochs=2, progress=False).fit(
            enc, tmp_path / "b")
    with pytest.raises(WordlabError, match="hybrid_objective must be one of"):
        CMOW(encoder="hybrid", dim=9, cbow_dim=4, hybrid_objective="both", progress=False).fit(enc, tmp_path / "d")
    with pytest.warns(UserWarning, match="CMOW half unused"):
        CMOW(encoder="hybrid", dim=9, cbow_dim=4, epochs=1, hybrid_objective="joint", progress=False).fit(
            enc, tmp_path / "c")


def test_init_vectors_take_a_hybrid_store_whole(tmp_path):
    enc = wordlab.Corpus(_planted_order(n=200)).encode(min_count=1, progress=False)
    kw = dict(encoder="hybrid", dim=9, cbow_dim=4, window=1, workers=1, progress=False)
    first = CMOW(**kw, epochs=2, seed=1).fit(enc, tmp_path / "first")
    # A rate of 1e-9 leaves the rows where they started: the whole [CBOW ; CMOW] row.
    again = CMOW(**kw, epochs=2, seed=2, alpha=1e-9).fit(enc, tmp_path / "again", init_vectors=first)
    np.testing.assert_allclose(np.asarray(again.vectors), np.asarray(first.vectors), atol=1e-6)
    # Plain vectors fill the CBOW part alone; anything else is refused with the widths it takes.
    plain = Embeddings(list(first.words), np.ones((len(first), 4), np.float32))
    part = CMOW(**kw, epochs=2, alpha=1e-9).fit(enc, tmp_path / "plain", init_vectors=plain)
    np.testing.assert_allclose(np.asarray(part.vectors)[:, :4], 1.0, atol=1e-6)
    wrong = Embeddings(list(first.words), np.ones((len(first), 7), np.float32))
    with pytest.raises(WordlabError, match=r"dimension 7.*takes 13 \(\[CBOW 4 ; CMOW 9\]\), 9 \(a CMOW store\)"):
        CMOW(**kw, epochs=2).fit(enc, tmp_path / "wrong", init_vectors=wrong)
