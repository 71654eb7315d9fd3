"""word2vec's batched kernels (noise words shared between examples: by the pairs of a
skip-gram window, by CBOW centres a ring apart): their updates against numpy
references, planted structure, reproducibility and resume. The exact kernel's results
are held by ``tests/test_digests.py``."""
from __future__ import annotations

import numpy as np
import pytest

from wordlab import Corpus
from wordlab.trainers import Word2Vec
from wordlab.trainers._sampling import alias_table, draw_noise, lcg_next, noise_distribution, uniform_below
from wordlab.trainers._word2vec_batched import train_sgns_batched
from wordlab.trainers._word2vec_kernels import EXP_TABLE_SIZE, MAX_EXP, sigmoid_tables

from _helpers import interrupt_then_resume
from test_train import FAST, load_vectors, planted_sentences, same_group_share


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    """The planted corpus of ``test_train`` (two disjoint groups of 20 words)."""
    return Corpus(planted_sentences()).encode(min_count=1, out=tmp_path_factory.mktemp("planted") / "enc")


def _table_sigmoid(f: np.ndarray, sig_table: np.ndarray) -> np.ndarray:
    idx = ((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2.0)).astype(np.int64)
    out = sig_table[np.clip(idx, 0, EXP_TABLE_SIZE - 1)].astype(np.float64)
    return np.where(f >= MAX_EXP, 1.0, np.where(f <= -MAX_EXP, 0.0, out))


def _noise_set(noise, uses, r, share, accept, alias, state):
    """Set r of the kernels' ring of noise sets, redrawn when it has served ``share``."""
    if uses[r] == 0:
        for d in range(noise.shape[1]):
            t, state = draw_noise(state, accept, alias)
            noise[r, d], state = t, np.uint64(state)
    uses[r] = (uses[r] + 1) % share
    return state


def reference_sgns_batched(tokens, syn0, syn1, accept, alias, window, negative, share, alpha, state, sig_table):
    """The rule of ``train_sgns_batched``'s docstring in numpy (float64), the kernel's
    draws: centre i takes noise set i mod (2 * window + 1), drawn afresh every ``share``
    windows; each context word of the window in turn is scored against the centre and
    those noise words, the targets updated in turn and the context row moved by neu1e."""
    syn0, syn1 = syn0.astype(np.float64), syn1.astype(np.float64)
    ring = 2 * window + 1
    noise = np.zeros((ring, negative), dtype=np.int64)
    uses = [0] * ring
    n = len(tokens)
    pairs = 0
    for i in range(n):
        state = np.uint64(lcg_next(state))     # kept uint64: Numba reads a Python int as int64
        radius = window - uniform_below(state, window)
        lo, hi = max(0, i - radius), min(n, i + radius + 1)
        if hi - lo < 2:
            continue
        state = _noise_set(noise, uses, i % ring, share, accept, alias, state)
        targets = [tokens[i]] + [int(t) for t in noise[i % ring] if t != tokens[i]]
        for j in range(lo, hi):
            if j == i:
                continue
            h = syn0[tokens[j]].copy()
            scores = syn1[targets] @ h
            neu1e = np.zeros_like(h)
            for q, (t, f) in enumerate(zip(targets, scores)):
                g = (float(q == 0) - _table_sigmoid(np.array([f]), sig_table)[0]) * alpha
                neu1e += g * syn1[t]
                syn1[t] += g * h
            syn0[tokens[j]] += neu1e
            pairs += 1
    return syn0, syn1, pairs, state


@pytest.mark.parametrize("window, share", [(1, 1), (3, 1), (2, 3)])
def test_the_batched_skipgram_update_is_its_documented_rule(window, share):
    rng = np.random.default_rng(7)
    n_words, dim, negative, alpha = 6, 8, 4, np.float32(0.05)
    # a small vocabulary: words repeat inside windows and among the noise draws
    tokens = rng.integers(0, n_words, 40).astype(np.int32)
    syn0 = rng.uniform(-0.5, 0.5, (n_words, dim)).astype(np.float32)
    syn1 = rng.uniform(-0.5, 0.5, (n_words, dim)).astype(np.float32)
    accept, alias = alias_table(noise_distribution(np.arange(1, n_words + 1) * 10))
    keep = np.full(n_words, 1 << 32, dtype=np.uint64)          # no subsampling draw
    sig, nlog = sigmoid_tables()
    want0, want1, pairs, want_state = reference_sgns_batched(tokens, syn0, syn1, accept, alias, window, negative,
                                                             share, float(alpha), np.uint64(11), sig)
    got0, got1 = syn0.copy(), syn1.copy()
    loss, examples, state = train_sgns_batched(tokens, np.array([0, 40], np.int64), 0, 1, got0, got1,
                                               np.ones(n_words, np.float32), keep, accept, alias, window, negative,
                                               share, alpha, alpha, np.uint64(11), True, sig, nlog)
    assert examples == pairs and state == want_state and np.isfinite(loss) and loss > 0
    assert np.abs(got0 - syn0).max() > 1e-3                  # it moved
    np.testing.assert_allclose(got0, want0, atol=2e-6)
    np.testing.assert_allclose(got1, want1, atol=2e-6)


def test_frozen_rows_and_context_stay_put():
    rng = np.random.default_rng(8)
    tokens = rng.integers(0, 5, 30).astype(np.int32)
    syn0 = rng.uniform(-0.5, 0.5, (5, 4)).astype(np.float32)
    syn1 = rng.uniform(-0.5, 0.5, (5, 4)).astype(np.float32)
    accept, alias = alias_table(noise_distribution(np.ones(5)))
    lock = np.array([1, 0, 1, 1, 0], np.float32)
    sig, nlog = sigmoid_tables()
    a0, a1 = syn0.copy(), syn1.copy()
    train_sgns_batched(tokens, np.array([0, 30], np.int64), 0, 1, a0, a1, lock, np.full(5, 1 << 32, np.uint64),
                       accept, alias, 2, 3, 1, np.float32(0.1), np.float32(0.1), np.uint64(3), False, sig, nlog)
    np.testing.assert_array_equal(a0[lock == 0], syn0[lock == 0])
    assert not np.array_equal(a0[lock == 1], syn0[lock == 1])
    np.testing.assert_array_equal(a1, syn1)


def test_planted_groups_are_recovered_with_the_batched_kernel(encoded, tmp_path):
    for workers in (1, 2):
        emb = Word2Vec(method="sgns", kernel="batched", workers=workers, **FAST).fit(encoded, tmp_path / f"w{workers}")
        assert emb.meta["params"]["kernel"] == "batched"
        assert same_group_share(emb) >= 0.9
        losses = emb.meta["loss_history"]
        assert losses[-1] < losses[0]


def test_batched_runs_are_reproducible_resume_and_differ_from_exact(encoded, tmp_path):
    params = dict(FAST, epochs=3, sample=1e-2, workers=1, seed=5, method="sgns", kernel="batched")
    a = Word2Vec(**params).fit(encoded, tmp_path / "a")
    b = Word2Vec(**params).fit(encoded, tmp_path / "b")
    assert np.array_equal(load_vectors(a.path), load_vectors(b.path))
    exact = Word2Vec(**dict(params, kernel="exact")).fit(encoded, tmp_path / "exact")
    assert not np.array_equal(load_vectors(a.path), load_vectors(exact.path))
    c = interrupt_then_resume(lambda **kw: Word2Vec(**params, **kw), encoded, tmp_path / "resumed")
    assert np.array_equal(load_vectors(a.path), load_vectors(c.path))
    assert np.array_equal(np.asarray(a.context_vectors), np.asarray(c.context_vectors))
    assert c.meta["loss_history"] == a.meta["loss_history"]


def reference_cbow_batched(tokens, syn0, syn1, accept, alias, window, negative, share, alpha, state, sig_table):
    """The rule of ``train_cbow_batched``'s docstring in numpy (float64), the kernel's
    draws: centre i takes noise set i mod (2 * window + 1), drawn afresh every ``share``
    uses; h is the mean of the context rows; the targets are scored, then updated in
    turn; each context row gets neu1e."""
    syn0, syn1 = syn0.astype(np.float64), syn1.astype(np.float64)
    ring = 2 * window + 1
    noise = np.zeros((ring, negative), dtype=np.int64)
    uses = [0] * ring
    n = len(tokens)
    centres = 0
    for i in range(n):
        state = np.uint64(lcg_next(state))
        radius = window - uniform_below(state, window)
        lo, hi = max(0, i - radius), min(n, i + radius + 1)
        r = i % ring
        state = _noise_set(noise, uses, r, share, accept, alias, state)
        ctx = [tokens[j] for j in range(lo, hi) if j != i]
        if not ctx:
            continue
        h = syn0[ctx].mean(axis=0)
        targets = [tokens[i]] + [int(t) for t in noise[r] if t != tokens[i]]
        labels = [1.0] + [0.0] * (len(targets) - 1)
        scores = syn1[targets] @ h
        neu1e = np.zeros_like(h)
        for t, y, f in zip(targets, labels, scores):
            g = (y - _table_sigmoid(np.array([f]), sig_table)[0]) * alpha
            neu1e += g * syn1[t]
            syn1[t] += g * h
        for c in ctx:
            syn0[c] += neu1e
        centres += 1
    return syn0, syn1, centres, state


@pytest.mark.parametrize("window, share", [(1, 1), (2, 3), (3, 8)])
def test_the_batched_cbow_update_is_its_documented_rule(window, share):
    from wordlab.trainers._word2vec_batched import train_cbow_batched
    rng = np.random.default_rng(9)
    n_words, dim, negative, alpha = 6, 8, 4, np.float32(0.05)
    tokens = rng.integers(0, n_words, 60).astype(np.int32)     # repeats inside windows and among the draws
    syn0 = rng.uniform(-0.5, 0.5, (n_words, dim)).astype(np.float32)
    syn1 = rng.uniform(-0.5, 0.5, (n_words, dim)).astype(np.float32)
    accept, alias = alias_table(noise_distribution(np.arange(1, n_words + 1) * 10))
    keep = np.full(n_words, 1 << 32, dtype=np.uint64)
    sig, nlog = sigmoid_tables()
    want0, want1, centres, want_state = reference_cbow_batched(tokens, syn0, syn1, accept, alias, window, negative,
                                                               share, float(alpha), np.uint64(13), sig)
    got0, got1 = syn0.copy(), syn1.copy()
    loss, examples, state = train_cbow_batched(tokens, np.array([0, 60], np.int64), 0, 1, got0, got1,
                                               np.ones(n_words, np.float32), keep, accept, alias, window, negative,
                                               True, share, alpha, alpha, np.uint64(13), True, sig, nlog)
    assert examples == centres and state == want_state and np.isfinite(loss) and loss > 0
    assert np.abs(got0 - syn0).max() > 1e-3
    np.testing.assert_allclose(got0, want0, atol=2e-6)
    np.testing.assert_allclose(got1, want1, atol=2e-6)


def test_a_set_of_noise_words_serves_share_centres():
    """The kernel draws ``negative`` noise words per ``share`` centres (counted from the
    random state it returns; where the sets go is held by the reference test above)."""
    from wordlab.trainers._word2vec_batched import train_cbow_batched
    n_words, negative, window = 50, 3, 2
    accept, alias = alias_table(noise_distribution(np.ones(n_words)))
    sig, nlog = sigmoid_tables()
    tokens = np.arange(40, dtype=np.int32) % n_words
    lock = np.ones(n_words, np.float32)
    keep = np.full(n_words, 1 << 32, dtype=np.uint64)

    def draws(share):
        z = np.zeros((n_words, 4), np.float32)
        _, _, end = train_cbow_batched(tokens, np.array([0, 40], np.int64), 0, 1, z, z.copy(), lock, keep, accept,
                                       alias, window, negative, True, share, np.float32(0), np.float32(0),
                                       np.uint64(3), True, sig, nlog)
        state, n = np.uint64(3), 0          # count the draws: replay the state until it matches
        while state != end:
            state = np.uint64(lcg_next(state))
            n += 1
        return n
    # 40 window draws; the noise draws take 2 states each (alias table: column and coin)
    per_draw = 2
    assert draws(1) == 40 + 40 * negative * per_draw
    assert draws(2) == 40 + 20 * negative * per_draw            # 40 centres, 2 per set: 20 sets drawn


def test_cbow_batched_differs_from_exact_and_recovers_planted_groups(encoded, tmp_path):
    params = dict(FAST, epochs=1, workers=1, seed=2, method="cbow")
    a = Word2Vec(kernel="batched", **params).fit(encoded, tmp_path / "a")
    b = Word2Vec(kernel="exact", **params).fit(encoded, tmp_path / "b")
    assert not np.array_equal(load_vectors(a.path), load_vectors(b.path))
    for workers in (1, 2):
        emb = Word2Vec(**dict(FAST, method="cbow", kernel="batched", workers=workers)).fit(encoded,
                                                                                          tmp_path / f"w{workers}")
        assert same_group_share(emb) >= 0.9
        losses = emb.meta["loss_history"]
        assert losses[-1] < losses[0]


def test_batched_cbow_runs_are_reproducible_and_resume(encoded, tmp_path):
    params = dict(FAST, epochs=3, sample=1e-2, workers=1, seed=5, method="cbow", kernel="batched")
    a = Word2Vec(**params).fit(encoded, tmp_path / "a")
    b = Word2Vec(**params).fit(encoded, tmp_path / "b")
    assert np.array_equal(load_vectors(a.path), load_vectors(b.path))
    c = interrupt_then_resume(lambda **kw: Word2Vec(**params, **kw), encoded, tmp_path / "resumed")
    assert np.array_equal(load_vectors(a.path), load_vectors(c.path))
    assert c.meta["loss_history"] == a.meta["loss_history"]
