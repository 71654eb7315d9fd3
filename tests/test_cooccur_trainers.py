"""GloVe, PU-learning and Bit-cipher: update rules against references, objectives,
planted structure, determinism, resume, freezing, store outputs, errors."""
import math

import numpy as np
import pytest

import wordlab
from _helpers import interrupt_then_resume
from wordlab.cooccur import count_cooccurrences
from wordlab.errors import WordlabError
from wordlab.trainers import BitCipher, GloVe, PULearning, train
from wordlab.trainers._glove_kernels import glove_updates
from wordlab.trainers.bitcipher import bit_cipher, cipher_matrix, required_bits


# -- a planted-structure corpus: two groups of words that only co-occur within their group --------
def _two_groups(seed=0, n_sentences=600, length=12):
    rng = np.random.default_rng(seed)
    groups = [[f"a{i}" for i in range(12)], [f"b{i}" for i in range(12)]]
    return [list(rng.choice(groups[s % 2], size=length)) for s in range(n_sentences)]


@pytest.fixture(scope="module")
def groups_encoded():
    return wordlab.Corpus(_two_groups()).encode(min_count=1, progress=False)


def _group_purity(emb) -> float:
    hits = total = 0
    for w in emb.words:
        for other, _ in emb.most_similar(w, topn=5):
            hits += other[0] == w[0]
            total += 1
    return hits / total


# -- GloVe --------------------------------------------------------------------------------------------
def _glove_reference(records, W, C, bw, bc, gW, gC, gbw, gbc, x_max, power, eta, clip):
    """glove.c's update, one record at a time, in float64 numpy."""
    loss = 0.0
    for i, j, x in records:
        diff = W[i] @ C[j] + bw[i] + bc[j] - math.log(x)
        fdiff = (1.0 if x > x_max else (x / x_max) ** power) * diff
        loss += 0.5 * fdiff * diff
        step = eta * fdiff
        gw = np.clip(step * C[j], -clip, clip)
        gc = np.clip(step * W[i], -clip, clip)
        uw, uc = gw / np.sqrt(gW[i]), gc / np.sqrt(gC[j])
        gW[i] += gw ** 2
        gC[j] += gc ** 2
        W[i] -= uw
        C[j] -= uc
        bw[i] -= step / math.sqrt(gbw[i])
        bc[j] -= step / math.sqrt(gbc[j])
        gbw[i] += step ** 2
        gbc[j] += step ** 2
    return loss


def test_glove_update_matches_glove_c_rule():
    rng = np.random.default_rng(1)
    n, dim = 6, 8
    W, C = rng.uniform(-0.5, 0.5, (n, dim)) / dim, rng.uniform(-0.5, 0.5, (n, dim)) / dim
    bw, bc = rng.uniform(-0.5, 0.5, n) / dim, rng.uniform(-0.5, 0.5, n) / dim
    gW, gC, gbw, gbc = np.ones((n, dim)), np.ones((n, dim)), np.ones(n), np.ones(n)
    records = [(int(rng.integers(n)), int(rng.integers(n)), float(rng.choice([0.5, 3.0, 40.0, 250.0])))
               for _ in range(40)]
    P = np.hstack([W, gW, bw[:, None], gbw[:, None]]).astype(np.float32)      # the packed layout
    Q = np.hstack([C, gC, bc[:, None], gbc[:, None]]).astype(np.float32)
    rows = np.array([r[0] for r in records], np.int32)
    cols = np.array([r[1] for r in records], np.int32)
    counts = np.array([r[2] for r in records], np.float32)
    loss, used, skipped = glove_updates(rows, cols, counts, P, Q, np.ones(n, np.float32), True,
                                        np.float32(100.0), np.float32(0.75), np.float32(0.05), np.float32(100.0))
    ref_loss = _glove_reference(records, W, C, bw, bc, gW, gC, gbw, gbc, 100.0, 0.75, 0.05, 100.0)
    assert (used, skipped) == (40, 0)
    assert loss == pytest.approx(ref_loss, rel=1e-4)
    np.testing.assert_allclose(P, np.hstack([W, gW, bw[:, None], gbw[:, None]]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(Q, np.hstack([C, gC, bc[:, None], gbc[:, None]]), rtol=1e-4, atol=1e-6)


def test_glove_skips_non_finite_records_and_leaves_weights_alone():
    n, dim = 3, 4
    arrays = [np.full((n, 2 * dim + 2), 0.1, np.float32), np.full((n, 2 * dim + 2), 0.1, np.float32)]
    before = [a.copy() for a in arrays]
    loss, used, skipped = glove_updates(np.array([0, 1], np.int32), np.array([1, 2], np.int32),
                                        np.array([0.0, np.nan], np.float32), *arrays, np.ones(n, np.float32), True,
                                        np.float32(10), np.float32(0.75), np.float32(0.05), np.float32(100))
    assert (used, skipped) == (0, 2) and loss == 0.0
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)


def test_glove_recovers_planted_groups_and_loss_falls(groups_encoded, tmp_path):
    emb = GloVe(dim=16, window=3, x_max=10, epochs=25, workers=1, seed=3, progress=False).fit(
        groups_encoded, tmp_path / "g")
    assert _group_purity(emb) > 0.9
    losses = emb.meta["loss_history"]
    assert losses[-1] < 0.5 * losses[0]
    assert all(h["skipped"] == 0 for h in emb.meta["history"])


def test_glove_output_modes_and_store_files(groups_encoded, tmp_path):
    kw = dict(dim=8, window=2, epochs=2, workers=1, seed=1, progress=False)
    summed = GloVe(output="sum", **kw).fit(groups_encoded, tmp_path / "sum")
    word = GloVe(output="word", **kw).fit(groups_encoded, tmp_path / "word")
    concat = GloVe(output="concat", **kw).fit(groups_encoded, tmp_path / "concat")
    W = np.load(tmp_path / "sum" / "word_vectors.npy")
    C = np.load(tmp_path / "sum" / "context_vectors.npy")
    np.testing.assert_allclose(np.asarray(summed.vectors), W + C, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(word.vectors), W)
    assert concat.dim == 16 and concat.meta["dim"] == 16
    np.testing.assert_array_equal(np.asarray(concat.vectors), np.hstack([W, C]))
    for name in ("bias.npy", "context_bias.npy"):
        assert (tmp_path / "sum" / name).is_file()
    leftovers = [p.name for p in (tmp_path / "sum").iterdir() if "gradsq" in p.name or p.name == "records"]
    assert leftovers == []


def test_glove_one_worker_is_deterministic_and_resume_equals_uninterrupted(groups_encoded, tmp_path):
    kw = dict(dim=8, window=2, epochs=4, workers=1, seed=7, progress=False)
    a = GloVe(**kw).fit(groups_encoded, tmp_path / "a")
    b = GloVe(**kw).fit(groups_encoded, tmp_path / "b")
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    c = interrupt_then_resume(lambda **cb: GloVe(**kw, **cb), groups_encoded, tmp_path / "c", after_epoch=2)
    np.testing.assert_array_equal(np.asarray(c.vectors), np.asarray(a.vectors))


def test_glove_frozen_context_stays_bit_identical(groups_encoded, tmp_path):
    first = GloVe(dim=8, window=2, epochs=2, workers=1, output="word", progress=False).fit(groups_encoded, tmp_path / "f")
    context = np.load(tmp_path / "f" / "context_vectors.npy")
    second = GloVe(dim=8, window=2, epochs=2, workers=2, output="word", progress=False).fit(
        groups_encoded, tmp_path / "s", init_vectors=first, init_context=context, freeze_context=True)
    np.testing.assert_array_equal(np.load(tmp_path / "s" / "context_vectors.npy"), context)
    assert not np.array_equal(np.asarray(second.vectors), np.asarray(first.vectors))


# -- PU-learning --------------------------------------------------------------------------------------
def _dense_objective(trainer) -> float:
    """The PU objective summed over all m x n pairs, the slow way."""
    k = trainer.dim
    U = np.asarray(trainer._weights["factors"], np.float64)
    V = np.asarray(trainer._weights["context_factors"], np.float64)
    P = U @ V.T
    m = trainer.matrix
    n = m.n_words
    observed = np.zeros((n, n), bool)
    A = np.zeros((n, n))
    C = np.zeros((n, n))
    rows = np.repeat(np.arange(n), np.diff(np.asarray(m.indptr)))
    observed[rows, m.indices] = True
    A[rows, m.indices] = trainer._A
    C[rows, m.indices] = trainer._C
    loss = (C * (A - P) ** 2)[observed].sum() + trainer.rho * (P ** 2)[~observed].sum()
    reg = (U[:, :k + 1] ** 2).sum() + (V[:, :k] ** 2).sum() + (V[:, k + 1] ** 2).sum()
    return loss + trainer.lam * reg


def test_pu_objective_equals_brute_force_and_never_increases(tmp_path):
    rng = np.random.default_rng(0)
    sentences = [[f"w{int(x)}" for x in rng.integers(0, 40, size=8)] for _ in range(150)]
    enc = wordlab.Corpus(sentences).encode(min_count=1, progress=False)
    seen = []

    def check(report):
        t = report.trainer
        fast = t.objective()
        assert fast == pytest.approx(_dense_objective(t), rel=1e-6)
        seen.append(fast)

    trainer = PULearning(dim=6, window=2, epochs=6, workers=2, rho=0.1, lam=0.01, progress=False, callbacks=[check])
    emb = trainer.fit(enc, tmp_path / "pu")
    assert len(seen) == 6
    assert all(b <= a * (1 + 1e-6) for a, b in zip(seen, seen[1:]))
    assert [h["objective"] for h in emb.meta["history"]] == pytest.approx(seen)


def test_pu_coordinate_updates_are_minimisers(tmp_path):
    """The context bias c is the last coordinate updated in each row of an iteration, so
    afterwards it is the exact minimiser: nudging it cannot lower the objective."""
    rng = np.random.default_rng(1)
    sentences = [[f"w{int(x)}" for x in rng.integers(0, 25, size=6)] for _ in range(80)]
    enc = wordlab.Corpus(sentences).encode(min_count=1, progress=False)
    probed = []

    def probe(report):
        t = report.trainer
        base = _dense_objective(t)
        V = t._weights["context_factors"]
        c = t.dim + 1
        for row in (0, 2, 7):
            for eps in (1e-2, -1e-2):
                V[row, c] += eps
                probed.append(_dense_objective(t) - base)
                V[row, c] -= eps

    PULearning(dim=4, window=2, epochs=2, workers=1, progress=False, callbacks=[probe]).fit(enc, tmp_path / "pu")
    assert len(probed) == 12
    assert min(probed) > 0


def test_pu_rows_are_independent_so_workers_do_not_change_the_result(groups_encoded, tmp_path):
    a = PULearning(dim=6, window=3, epochs=3, workers=1, progress=False).fit(groups_encoded, tmp_path / "a")
    b = PULearning(dim=6, window=3, epochs=3, workers=2, progress=False).fit(groups_encoded, tmp_path / "b")
    np.testing.assert_array_equal(np.asarray(a.vectors), np.asarray(b.vectors))


def test_pu_recovers_planted_groups(groups_encoded, tmp_path):
    emb = PULearning(dim=8, window=3, epochs=10, workers=2, progress=False).fit(groups_encoded, tmp_path / "pu")
    assert _group_purity(emb) > 0.9
    for name in ("word_vectors.npy", "context_vectors.npy", "bias.npy", "context_bias.npy"):
        assert (tmp_path / "pu" / name).is_file()


def test_pu_resume_equals_uninterrupted_bit_for_bit(groups_encoded, tmp_path):
    """The residuals are checkpointed with the factors: a resumed run is the same run
    (recomputing them from the factors differed in the last bits)."""
    kw = dict(dim=4, window=2, epochs=4, workers=2, progress=False)
    full = PULearning(**kw).fit(groups_encoded, tmp_path / "full")
    for after in (1, 2):
        resumed = interrupt_then_resume(lambda **cb: PULearning(**kw, **cb), groups_encoded, tmp_path / f"r{after}",
                                        after_epoch=after)
        for name in ("vectors.npy", "context_vectors.npy", "bias.npy", "context_bias.npy"):
            assert np.array_equal(np.load(tmp_path / f"r{after}" / name), np.load(tmp_path / "full" / name)), name
        assert resumed.meta["loss_history"] == full.meta["loss_history"]


@pytest.mark.parametrize("kwargs,match", [({"rho": 0}, "rho"), ({"lam": 0}, "lam"), ({"x_max": -1}, "x_max"),
                                          ({"output": "both"}, "output"), ({"context_smoothing": 2}, "smoothing")])
def test_pu_bad_parameters(groups_encoded, tmp_path, kwargs, match):
    with pytest.raises(WordlabError, match=match):
        PULearning(progress=False, **kwargs).fit(groups_encoded, tmp_path / "x")


# -- Bit-cipher --------------------------------------------------------------------------------------
def test_cipher_assignment_by_hand():
    expected = ["1000", "0100", "0010", "0001",              # one bit, most frequent first
                "1100", "1010", "1001", "0110", "0101", "0011",   # two bits, built from level one in order
                "1110", "1101", "1011", "0111", "1111"]
    got = cipher_matrix(15, 4)
    as_bits = ["".join("1" if v > 0 else "0" for v in row) for row in got]
    assert as_bits == expected
    np.testing.assert_allclose(got.sum(axis=1), 1.0)        # L1-normalised
    assert got[4, 0] == pytest.approx(0.5) and got[14, 0] == pytest.approx(0.25)


def test_cipher_capacity_is_checked():
    assert required_bits(15) == 4 and required_bits(16) == 5 and required_bits(67873) == 17
    bit_cipher(15, 4)
    with pytest.raises(WordlabError, match=r"bits >= 5"):
        bit_cipher(16, 4)


def test_bitcipher_embedding_by_hand(tmp_path):
    # Vocabulary by frequency: x (3), y (2), z (1); bits 2 -> x=10, y=01, z=11 (halves).
    enc = wordlab.Corpus([["x", "y", "x", "z", "y", "x"]]).encode(min_count=1, progress=False)
    assert enc.vocab.words == ["x", "y", "z"]
    eps = 0.1
    emb = BitCipher(bits=2, window=1, mode="sum", smoothing=eps, progress=False).fit(enc, tmp_path / "s")
    # contexts of x (positions 0, 2, 5): y | y, z | y  -> bits: y*3 = (0, 3), z = (0.5, 0.5)
    s = np.array([0.5, 3.5]) + eps
    np.testing.assert_allclose(emb["x"], -np.log(s / s.sum()), rtol=1e-6)
    cat = BitCipher(bits=2, window=1, mode="concat", smoothing=eps, progress=False).fit(enc, tmp_path / "c")
    assert cat.dim == 4
    # x: left contexts y (pos 2), y (pos 5) -> (0, 2); right contexts y (pos 0), z (pos 2) -> (0.5, 1.5)
    left = np.array([0.0, 2.0]) + eps
    right = np.array([0.5, 1.5]) + eps
    np.testing.assert_allclose(cat["x"], np.concatenate([-np.log(left / left.sum()), -np.log(right / right.sum())]),
                               rtol=1e-6)


def test_bitcipher_rejects_epochs_seed_and_small_bits(groups_encoded, tmp_path):
    for extra in ({"epochs": 3}, {"seed": 1}):          # one pass, nothing random: neither is a parameter
        with pytest.raises(TypeError, match=next(iter(extra))):
            BitCipher(bits=8, progress=False, **extra)
        with pytest.raises(WordlabError, match=f"{next(iter(extra))} does not apply to method 'bitcipher'"):
            wordlab.train(groups_encoded, "bitcipher", tmp_path / "a", bits=8, **extra)
    with pytest.raises(WordlabError, match="bits >= 5"):
        BitCipher(bits=4, progress=False).fit(groups_encoded, tmp_path / "b")
    params = BitCipher().get_params()
    assert not {"dim", "epochs", "seed"} & set(params)
    assert BitCipher(bits=8).dim == 8 and BitCipher(bits=8, window=3, mode="concat").dim == 48


# -- shared --------------------------------------------------------------------------------------------
def test_trainers_share_one_cached_count(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDLAB_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "text.txt"
    path.write_text("\n".join(" ".join(s) for s in _two_groups(n_sentences=100)), encoding="utf-8")
    enc = wordlab.Corpus(path).encode(min_count=1, progress=False)
    g = GloVe(dim=4, window=3, epochs=1, progress=False)
    g.fit(enc, tmp_path / "g")
    p = PULearning(dim=4, window=3, epochs=1, progress=False)
    p.fit(enc, tmp_path / "p")
    assert g.matrix.path == p.matrix.path == count_cooccurrences(enc, window=3).path


def test_train_dispatches_every_method(groups_encoded, tmp_path):
    for method, params in (("glove", dict(dim=4, window=2, epochs=1)), ("pu", dict(dim=4, window=2, epochs=1)),
                           ("bitcipher", dict(bits=5))):
        emb = train(groups_encoded, method=method, out=tmp_path / method, progress=False, **params)
        assert emb.meta["method"] == method and len(emb) == len(groups_encoded.vocab)
