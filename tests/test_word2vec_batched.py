"""Skip-gram's batched kernel (HogBatch: the pairs of a window share one set of noise
words): its update against a numpy reference, planted structure, reproducibility and
resume. The exact kernel's results are held by ``tests/test_digests.py``."""
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


def reference_sgns_batched(tokens, syn0, syn1, accept, alias, window, negative, alpha, state, sig_table):
    """The batched update written with numpy matrix products (float64), the kernel's
    draws: per window S = C T^T, G = (Y - sigmoid(S)) alpha, syn0[ctx] += G T,
    syn1[targets] += G^T C, duplicates added."""
    syn0, syn1 = syn0.astype(np.float64), syn1.astype(np.float64)
    n = len(tokens)
    pairs = 0
    for i in range(n):
        state = np.uint64(lcg_next(state))     # kept uint64: Numba reads a Python int as int64
        radius = window - uniform_below(state, window)
        lo, hi = max(0, i - radius), min(n, i + radius + 1)
        if hi - lo < 2:
            continue
        ids = [tokens[j] for j in range(lo, hi) if j != i]
        targets = [tokens[i]]
        for _ in range(negative):
            t, state = draw_noise(state, accept, alias)
            state = np.uint64(state)
            if t != tokens[i]:
                targets.append(int(t))
        C, T = syn0[ids], syn1[targets]
        Y = np.zeros((len(ids), len(targets)))
        Y[:, 0] = 1.0
        G = (Y - _table_sigmoid(C @ T.T, sig_table)) * alpha
        np.add.at(syn0, ids, G @ T)
        np.add.at(syn1, targets, G.T @ C)
        pairs += len(ids)
    return syn0, syn1, pairs, state


@pytest.mark.parametrize("window", [1, 3])
def test_the_batched_update_equals_the_matrix_products(window):
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
                                                             float(alpha), np.uint64(11), sig)
    got0, got1 = syn0.copy(), syn1.copy()
    loss, examples, state = train_sgns_batched(tokens, np.array([0, 40], np.int64), 0, 1, got0, got1,
                                               np.ones(n_words, np.float32), keep, accept, alias, window, negative,
                                               alpha, alpha, np.uint64(11), True, sig, nlog)
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
                       accept, alias, 2, 3, np.float32(0.1), np.float32(0.1), np.uint64(3), False, sig, nlog)
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


def test_cbow_batched_is_cbow_exact(encoded, tmp_path):
    """Until CBOW has a batched kernel of its own, ``kernel="batched"`` trains it exactly."""
    params = dict(FAST, epochs=1, workers=1, seed=2, method="cbow")
    a = Word2Vec(kernel="batched", **params).fit(encoded, tmp_path / "a")
    b = Word2Vec(kernel="exact", **params).fit(encoded, tmp_path / "b")
    assert np.array_equal(load_vectors(a.path), load_vectors(b.path))
