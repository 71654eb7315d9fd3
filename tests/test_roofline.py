"""Tests of evals/_roofline.py: the per-token cost model against an instrumented replica
of the word2vec kernels and against the real kernels' pair counts, and a smoke run of the
machine microbenchmarks (no timing assertions)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evals"))
import _roofline as R  # noqa: E402


class Replica:
    """The loops of _word2vec_kernels.train_sentences in Python (the batched kernels run
    the same loops), counting flops in the loops over dim and each read or write of a
    syn0/syn1 row (neu1 and neu1e are free)."""

    def __init__(self, n_words: int, dim: int):
        rng = np.random.default_rng(0)
        self.syn0 = rng.uniform(-0.5, 0.5, (n_words, dim))
        self.syn1 = np.zeros((n_words, dim))
        self.flops = self.rows = 0

    def read(self, mat, i):
        self.rows += 1
        return mat[i].copy()

    def write(self, mat, i, v):
        self.rows += 1
        mat[i] = v

    def dot(self, a, b):
        self.flops += 2 * a.size
        return float(a @ b)

    def axpy(self, y, g, x):                  # y += g * x (one multiply-add per element)
        self.flops += 2 * y.size
        y += g * x

    def add(self, y, x):
        self.flops += y.size
        y += x

    def targets(self, centre, negative, rng):
        return [centre, *(int(w) for w in rng.integers(1000, 2000, negative))]   # never the centre

    def sgns_exact(self, sent, i, lo, hi, negative, rng):
        for j in range(lo, hi):
            if j == i:
                continue
            h, neu1e = self.read(self.syn0, sent[j]), np.zeros(self.syn0.shape[1])
            for label, t in zip([1] + [0] * negative, self.targets(sent[i], negative, rng)):
                out = self.read(self.syn1, t)
                g = (label - 1 / (1 + math.exp(-self.dot(h, out)))) * 0.025
                self.axpy(neu1e, g, out)
                self.axpy(out, g, h)
                self.write(self.syn1, t, out)
            self.axpy(h, 1.0, neu1e)
            self.write(self.syn0, sent[j], h)

    def cbow(self, sent, i, lo, hi, negative, rng):
        ctx = [sent[j] for j in range(lo, hi) if j != i]
        neu1, neu1e = np.zeros(self.syn0.shape[1]), np.zeros(self.syn0.shape[1])
        for c in ctx:
            self.add(neu1, self.read(self.syn0, c))
        self.flops += neu1.size                  # neu1 *= 1 / count
        neu1 /= len(ctx)
        for label, t in zip([1] + [0] * negative, self.targets(sent[i], negative, rng)):
            out = self.read(self.syn1, t)
            g = (label - 1 / (1 + math.exp(-self.dot(neu1, out)))) * 0.025
            self.axpy(neu1e, g, out)
            self.axpy(out, g, neu1)
            self.write(self.syn1, t, out)
        for c in ctx:
            row = self.read(self.syn0, c)
            self.axpy(row, 1.0, neu1e)
            self.write(self.syn0, c, row)


def replica_per_token(method: str, kernel: str, window: int, negative: int, dim: int) -> tuple[float, float]:
    """Flops and row transfers per centre over the interior centres of a sentence, each
    radius 1..window equally often (the expectation over word2vec.c's reduced window)."""
    n = 2 * window + 6 * window                  # 6 interior centres per radius
    sent = list(range(n))
    rep, rng = Replica(2000, dim), np.random.default_rng(1)
    step = rep.sgns_exact if method == "sgns" else rep.cbow      # batched: the same loops, fewer draws
    centres = range(window, n - window)
    for i in centres:
        r = 1 + i % window
        step(sent, i, i - r, i + r + 1, negative, rng)
    return rep.flops / len(centres), rep.rows / len(centres)


@pytest.mark.parametrize("method,kernel", [("sgns", "exact"), ("sgns", "batched"), ("cbow", "exact"),
                                           ("cbow", "batched")])
@pytest.mark.parametrize("window,negative,dim", [(5, 5, 100), (3, 2, 8), (1, 0, 4)])
def test_model_matches_instrumented_replica(method, kernel, window, negative, dim):
    flops, rows = replica_per_token(method, kernel, window, negative, dim)
    c = R.word2vec_cost(method, kernel, window, negative, dim)
    assert c["flops"] == pytest.approx(flops)
    assert c["rows"] == pytest.approx(rows)
    assert c["bytes"] == pytest.approx(rows * 4 * dim)


def test_sgns_exact_closed_form():
    w, neg, d = 5, 5, 100
    c = R.word2vec_cost("sgns", "exact", w, neg, d, kept_fraction=0.5)
    pairs = w + 1
    # per target: a dot (2d) and two axpys (2 x 2d); per pair: the context row's update (2d)
    assert c["flops"] == pairs * (1 + neg) * (d * 2 + d * 2 * 2) + pairs * 2 * d == 22_800
    assert c["rows"] == pairs * (2 + 2 * (1 + neg)) == 84
    assert c["flops_per_word"] == pytest.approx(0.5 * c["flops"])
    assert c["rows_min"] == 2 * pairs * neg + 4
    assert R.word2vec_cost("sgns", "batched", w, neg, d)["rows_min"] == 2 * neg / R.SHARE["sgns"] + 4
    assert R.word2vec_cost("cbow", "batched", w, neg, d)["rows_min"] == 2 * neg / R.SHARE["cbow"] + 4
    with pytest.raises(ValueError):
        R.word2vec_cost("glove", "exact")


def test_mean_pairs_edges():
    assert R.mean_pairs(5) == 6
    assert R.mean_pairs(5, 1) == 0
    assert R.mean_pairs(1, 2) == 1                    # each of the two words sees the other
    assert R.mean_pairs(5, 10_000) == pytest.approx(6, rel=2e-3)
    assert R.mean_pairs(5, 12) < 6


@pytest.mark.parametrize("kernel", ["exact", "batched"])
def test_pair_count_matches_real_kernel(kernel):
    """The kernels' own example count (pairs, for skip-gram) per token, on sentences short
    enough for the edges to matter, agrees with mean_pairs."""
    from wordlab.trainers._sampling import alias_table, noise_distribution
    from wordlab.trainers._word2vec_batched import train_sgns_batched
    from wordlab.trainers._word2vec_kernels import sigmoid_tables, train_sentences
    n_words, dim, length, n_sent, window = 50, 8, 12, 20_000, 5
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, n_words, length * n_sent).astype(np.int32)
    offsets = np.arange(0, length * n_sent + 1, length, dtype=np.int64)
    syn0 = rng.uniform(-0.05, 0.05, (n_words, dim)).astype(np.float32)
    syn1 = np.zeros_like(syn0)
    lock, keep = np.ones(n_words, np.float32), np.full(n_words, 1 << 32, np.uint64)
    accept, alias = alias_table(noise_distribution(np.arange(1, n_words + 1)))
    sig, nlog = sigmoid_tables()
    a = np.float32(0.025)
    if kernel == "exact":
        _, examples, _ = train_sentences(tokens, offsets, 0, n_sent, syn0, syn1, lock, keep, accept, alias,
                                         window, 2, False, True, a, a, np.uint64(7), True, sig, nlog)
    else:
        _, examples, _ = train_sgns_batched(tokens, offsets, 0, n_sent, syn0, syn1, lock, keep, accept, alias,
                                            window, 2, 1, a, a, np.uint64(7), True, sig, nlog)
    assert examples / tokens.size == pytest.approx(R.mean_pairs(window, length), rel=0.01)
    assert R.mean_pairs(window, length) < 0.9 * R.mean_pairs(window)    # the edges did matter


FAKE_MACHINE = {"fma_l1_gflops_1t": 10.0, "fma_l1_gflops_2t": 18.0, "rows_noise_per_s_1t": 20e6,
                "rows_noise_per_s_2t": 30e6}


def test_roofline_rows():
    rows = R.roofline_rows({("sgns", "exact"): 1e6, ("cbow", "batched"): 2e6}, FAKE_MACHINE,
                           kept_fraction=0.5, workers=2)
    assert len(rows) == 2 and all(len(r) == len(R.ROOFLINE_HEADERS) for r in rows)
    sgns = dict(zip(R.ROOFLINE_HEADERS, rows[0]))
    # 1e6 words/s x 0.5 kept x 22,800 flops = 11.4 GFLOP/s of an 18 GFLOP/s roof (2 threads)
    assert sgns["GFLOP/s"] == "11.40" and sgns["% FMA roof"] == "63"
    # 0.5e6 kept/s x 84 rows = 42 M rows/s of 2 x 30 M (each measured row is read and written)
    assert sgns["M rows/s"] == "42.0" and sgns["% row roof"] == "70"
    # rows_min: 0.5e6 x 64 = 32 M of 60 M: 53 %, below the FMA roof's 63 %
    assert sgns["% row roof (rows_min)"] == "53" and sgns["closer to"] == "FMA"
    one = R.roofline_rows({("sgns", "exact"): 1e6}, {"fma_l1_gflops_1t": 10.0, "rows_noise_per_s_1t": 20e6},
                          0.5, workers=2)[0]
    assert one[3] == "57"                             # no 2-thread figure: 2 x the 1-thread one
    fast = R.roofline_rows({("sgns", "exact"): 1e6}, {"fma_l1_gflops_1t": 100.0, "rows_noise_per_s_1t": 20e6},
                           0.5, workers=2)[0]
    assert fast[-2:] == ["40", "rows"]                # 32 M rows_min transfers of 2 x 2 x 20 M
    assert "sgns (exact)" in R.table(R.ROOFLINE_HEADERS, rows)


def test_measure_machine_quick():
    m = R.measure_machine(quick=True, repeats=1)
    figures = {k: v for k, v in m.items() if k.endswith(("_1t", "_2t"))}
    assert len(figures) == 16
    assert all(math.isfinite(v) and v > 0 for v in figures.values())
    assert "dot+axpy" in R.machine_table(m)
    assert "sgns (batched)" in R.cost_table()
