"""Roofline figures for ``evals/bench_word2vec.py``: what one core of this machine can do,
what each word2vec kernel asks per token, and how close the measured words/s come.

Machine (:func:`measure_machine`; Numba, float32, 1 thread and 2 threads at once):
  fma_l1     the kernels' inner work on 100-float rows held in L1: a dot product h.out,
             then neu1e += g*out and out += g*h (g from the dot), GFLOP/s, a multiply-add
             counted as 2 flops. This is the compute roof used below.
  fma_peak   many independent multiply-add chains on L1 data: what the core could do.
  read/triad streaming bandwidth: the sum of a large array, and y += a*x (x read, y read
             and written: 3 transfers), GB/s.
  rows_*     random rows of a (71,290 x 100) matrix (28 MB: past L2, maybe within L3),
             each read, dotted with a vector and updated (one target's work in the
             kernels), rows/s and GB/s (a row read and written counts 2 x 400 B). Indices
             uniform, or drawn like negative samples (p ~ rank**-0.75, Zipf counts), which
             is what word2vec's noise rows look like. The row roof below uses the latter.
  Best of ``repeats`` runs each; other processes on the CPUs lower every figure (the load
  average is recorded), the 2-thread ones most.

Model (:func:`word2vec_cost`), per *kept* token (a centre position after subsampling),
read off ``wordlab/trainers/_word2vec_kernels.py`` (exact: word2vec.c's update, pair by
pair) and ``_word2vec_batched.py`` (batched: the same update in place, the noise words
drawn once per skip-gram window, and once per 8 CBOW centres):
  P = pairs per centre. The radius r is uniform in 1..window, 2r contexts for an interior
      word, so P = window + 1 (less near sentence ends: :func:`mean_pairs`).
  T = 1 + negative targets per example (a noise draw equal to the centre is dropped by
      the kernels; ignored here). D = dim.
  Flops count the loops over D only (sigmoid lookups, draws, zeroing: ignored).
  Row transfers count each read and each write of a syn0/syn1 row once per use in the
  code (a row used again at once, e.g. h across the T targets, is one read); both
  kernels touch every row in place, so their flops and row touches are the same. What
  differs is ``rows_min``, what a cache holding the sliding window's rows would still
  move: the noise rows drawn per token, and each token's own syn0 row and syn1 row once
  (read + write each). The real traffic past L1 lies between the two, so
  :func:`roofline_rows` shows both fractions and picks the closer roof with ``rows_min``.
Tokens kept by min_count but dropped by subsampling cost a threshold lookup only (ignored):
``words/s`` in the bench counts tokens before subsampling, hence ``kept_fraction``.
"""
from __future__ import annotations

import math
import os
import threading
import time

import numpy as np
from numba import njit

from _bench import table
from wordlab.trainers._word2vec_batched import CBOW_NOISE_SHARE, SGNS_NOISE_SHARE

VOCAB, DIM = 71_290, 100          # the bench's vocabulary (enwiki-text8style, min_count 5) and dim
#: examples that share one draw of noise words in the batched kernels
SHARE = {"sgns": SGNS_NOISE_SHARE, "cbow": CBOW_NOISE_SHARE}


def mean_pairs(window: int, sentence_length: int | None = None) -> float:
    """Expected (centre, context) pairs per centre: E[min(r, i) + min(r, n-1-i)] over r
    uniform in 1..window and positions i of a sentence of n (window + 1 when n is None)."""
    if sentence_length is None:
        return window + 1.0
    n = sentence_length
    side = sum(min(r, i) for i in range(n) for r in range(1, window + 1))   # left = right by symmetry
    return 2.0 * side / (window * n)


def word2vec_cost(method: str, kernel: str, window: int = 5, negative: int = 5, dim: int = DIM,
                  kept_fraction: float = 1.0, sentence_length: int | None = None) -> dict:
    """Flops and row transfers per kept token (and ``*_per_word``: per token before
    subsampling, times ``kept_fraction``) of ``method`` sgns/cbow with ``kernel`` exact/batched.

    sgns exact, per pair (context row h = syn0[c]), per target: dot h.out, neu1e += g*out,
      out += g*h (6D); then h += lock*neu1e (2D). Rows: h read+written, T syn1 rows read+written.
        flops = P (6T + 2) D            rows = P (2 + 2T)
    cbow, per centre: neu1 = mean of B context rows (BD adds + D scalings, B reads); T
      targets as above (6D, read+write); each context row += neu1e (2D, read+write).
        flops = (3P + 6T + 1) D         rows = P + 2T + 2P
    batched = exact in flops and rows (the same update, in place); noise rows drawn per
    token: P * negative (sgns exact), negative / share (sgns batched: one draw per
    ``share`` windows), negative (cbow exact), negative / share (cbow batched).
    rows_min = 2 x (noise rows per token) + 4.
    """
    if method not in ("sgns", "cbow") or kernel not in ("exact", "batched"):
        raise ValueError(f"unknown method/kernel {method}/{kernel}")
    p, t, d = mean_pairs(window, sentence_length), 1 + negative, dim
    if method == "sgns":
        flops, rows = p * (6 * t + 2) * d, p * (2 + 2 * t)
        noise = p * negative if kernel == "exact" else negative / SHARE["sgns"]
    else:
        flops, rows = (3 * p + 6 * t + 1) * d, 3 * p + 2 * t
        noise = negative if kernel == "exact" else negative / SHARE["cbow"]
    cost = {"pairs": p, "targets": t, "flops": flops, "rows": rows, "bytes": rows * 4 * d,
            "rows_min": 2 * noise + 4, "bytes_min": (2 * noise + 4) * 4 * d}
    cost["flops_per_byte"] = flops / cost["bytes"]
    cost.update({f"{k}_per_word": cost[k] * kept_fraction for k in ("flops", "rows", "bytes", "rows_min")})
    return cost


# --- microbenchmarks (each returns a checksum, so that nothing is optimised away) ---

@njit(fastmath=True, nogil=True, cache=True)
def _dot_axpy(rows, reps):          # rows (n, dim): row 0 is h, the others the targets
    n, dim = rows.shape
    h, neu1e = rows[0], np.zeros(dim, dtype=np.float32)
    s = np.float32(0.0)
    for _ in range(reps):
        for i in range(1, n):
            out = rows[i]
            f = np.float32(0.0)
            for k in range(dim):
                f += h[k] * out[k]
            g = f * np.float32(1e-9)            # depends on the dot, as in the kernels
            for k in range(dim):
                neu1e[k] += g * out[k]
            for k in range(dim):
                out[k] += g * h[k]
            s += f
    return s + neu1e[0]


@njit(fastmath=True, nogil=True, cache=True)
def _fma_chains(x, coef, reps):     # 8 dependent multiply-adds per element, elements independent
    b = np.float32(1e-3)
    for _ in range(reps):
        for k in range(x.shape[0]):
            v = x[k]
            for j in range(8):
                v = v * coef[j] + b
            x[k] = v
    return x[0]


@njit(fastmath=True, nogil=True, cache=True)
def _read(x):
    s = np.float32(0.0)
    for i in range(x.shape[0]):
        s += x[i]
    return s


@njit(fastmath=True, nogil=True, cache=True)
def _triad(y, x, a):
    for i in range(y.shape[0]):
        y[i] += a * x[i]
    return y[0]


@njit(fastmath=True, nogil=True, cache=True)
def _random_rows(mat, idx, h):      # per row: f = h.row; row += g*h (read + write of 4*dim bytes)
    dim = mat.shape[1]
    s = np.float32(0.0)
    for i in range(idx.shape[0]):
        row = mat[idx[i]]
        f = np.float32(0.0)
        for k in range(dim):
            f += h[k] * row[k]
        g = f * np.float32(1e-9)
        for k in range(dim):
            row[k] += g * h[k]
        s += f
    return s


def _best_time(fn, args_per_thread: list[tuple], repeats: int) -> float:
    """Best wall time of ``repeats`` runs of fn(*args) in one thread per args tuple, started together."""
    fn(*args_per_thread[0])                    # compile or load from cache, warm the data
    best = math.inf
    for _ in range(repeats):
        threads = [threading.Thread(target=fn, args=a) for a in args_per_thread]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        best = min(best, time.perf_counter() - t0)
    return best


def measure_machine(quick: bool = False, threads: tuple[int, ...] = (1, 2), repeats: int = 3) -> dict:
    """The machine's figures (see the module docstring), keys ``NAME_UNIT_{n}t`` for n threads:
    fma_l1_gflops, fma_peak_gflops, read_gbs, triad_gbs, rows_uniform_per_s, rows_uniform_gbs,
    rows_noise_per_s, rows_noise_gbs. ``quick``: small arrays and counts (a smoke run)."""
    rng = np.random.default_rng(0)
    dim, reps = DIM, (200 if quick else 20_000)
    stream_n = (2 << 20) if quick else (64 << 20)             # 8 MB or 256 MB of float32
    n_rows, n_idx = (10_000, 100_000) if quick else (VOCAB, 2_000_000)
    big = np.ones(stream_n, dtype=np.float32)
    mat = rng.uniform(-0.5 / dim, 0.5 / dim, (n_rows, dim)).astype(np.float32)
    noise_p = np.arange(1, n_rows + 1, dtype=np.float64) ** -0.75
    indices = {"uniform": rng.integers(0, n_rows, n_idx).astype(np.int32),
               "noise": rng.choice(n_rows, n_idx, p=noise_p / noise_p.sum()).astype(np.int32)}
    h = rng.uniform(-0.5, 0.5, dim).astype(np.float32)
    coef = np.linspace(0.9, 1.0, 8).astype(np.float32)
    out: dict = {"dim": dim, "rows_matrix_mb": mat.nbytes / 1e6, "stream_mb": big.nbytes / 1e6,
                 "load_avg_start": os.getloadavg()[0]}
    for nt in threads:
        def split(a, i):                          # thread i's share of a 1-d array
            step = a.shape[0] // nt
            return a[i * step:(i + 1) * step]
        l1 = [(rng.uniform(-0.1, 0.1, (16, dim)).astype(np.float32), reps) for _ in range(nt)]
        s = _best_time(_dot_axpy, l1, repeats)
        out[f"fma_l1_gflops_{nt}t"] = nt * reps * 15 * 6 * dim / s / 1e9
        xs = [(np.full(1024, 0.5, np.float32), coef, reps) for _ in range(nt)]
        s = _best_time(_fma_chains, xs, repeats)
        out[f"fma_peak_gflops_{nt}t"] = nt * reps * 1024 * 8 * 2 / s / 1e9
        s = _best_time(_read, [(split(big, i),) for i in range(nt)], repeats)
        out[f"read_gbs_{nt}t"] = big.nbytes / s / 1e9
        half = stream_n // 2
        y, x = big[:half], big[half:]
        s = _best_time(_triad, [(split(y, i), split(x, i), np.float32(1e-9)) for i in range(nt)], repeats)
        out[f"triad_gbs_{nt}t"] = 3 * y.nbytes / s / 1e9
        for name, idx in indices.items():
            s = _best_time(_random_rows, [(mat, split(idx, i), h) for i in range(nt)], repeats)
            done = (n_idx // nt) * nt
            out[f"rows_{name}_per_s_{nt}t"] = done / s
            out[f"rows_{name}_gbs_{nt}t"] = done * 2 * 4 * dim / s / 1e9
    out["load_avg_end"] = os.getloadavg()[0]
    return out


def _at(machine: dict, name: str, workers: int) -> float:
    """A figure for ``workers`` threads: the 2-thread one scaled by workers/2 where
    measured and workers >= 2, else the 1-thread one times workers."""
    if workers >= 2 and f"{name}_2t" in machine:
        return machine[f"{name}_2t"] * workers / 2
    return machine[f"{name}_1t"] * workers


ROOFLINE_HEADERS = ["side", "words/s", "GFLOP/s", "% FMA roof", "M rows/s", "GB/s rows", "% row roof",
                    "% row roof (rows_min)", "closer to"]


def roofline_rows(measured_words_per_s: dict, machine: dict, kept_fraction: float, workers: int,
                  window: int = 5, negative: int = 5, dim: int = DIM) -> list[list[str]]:
    """One table row (strings, for :func:`_bench.table` with :data:`ROOFLINE_HEADERS`) per
    ``(method, kernel)`` key of ``measured_words_per_s`` (the bench's training words/s,
    tokens before subsampling). The FMA roof is workers x fma_l1 (the kernels' dot+axpy in
    L1); the row roof is workers x rows_noise transfers (2 per measured row). Rows, M rows/s
    and GB/s count transfers as the code touches rows (an upper bound past L1), the last
    fraction ``rows_min`` (a lower bound); "closer to" names the roof with the higher
    fraction, FMA or rows_min."""
    fma_roof = _at(machine, "fma_l1_gflops", workers)
    row_roof = 2 * _at(machine, "rows_noise_per_s", workers)         # row transfers/s
    out = []
    for (method, kernel), wps in measured_words_per_s.items():
        c = word2vec_cost(method, kernel, window, negative, dim, kept_fraction)
        gflops = wps * c["flops_per_word"] / 1e9
        rows_s = wps * c["rows_per_word"]
        f_fma, f_min = gflops / fma_roof, wps * c["rows_min_per_word"] / row_roof
        out.append([f"{method} ({kernel})", f"{wps:,.0f}", f"{gflops:.2f}", f"{100 * f_fma:.0f}",
                    f"{rows_s / 1e6:.1f}", f"{wps * c['bytes_per_word'] / 1e9:.2f}", f"{100 * rows_s / row_roof:.0f}",
                    f"{100 * f_min:.0f}", "FMA" if f_fma >= f_min else "rows"])
    return out


def machine_table(machine: dict) -> str:
    """The machine's figures, one row per measurement, one column per thread count."""
    counts = sorted({int(k.rsplit("_", 1)[1][:-1]) for k in machine if k.endswith("t") and k[-2].isdigit()})
    names = [("fma_l1_gflops", "dot+axpy on L1 rows, GFLOP/s"), ("fma_peak_gflops", "independent FMA chains, GFLOP/s"),
             ("read_gbs", "stream read, GB/s"), ("triad_gbs", "stream y += a*x, GB/s"),
             ("rows_uniform_per_s", "uniform random rows (read+update), M rows/s"),
             ("rows_uniform_gbs", "  same, GB/s"), ("rows_noise_per_s", "noise-like random rows, M rows/s"),
             ("rows_noise_gbs", "  same, GB/s")]
    rows = [[label, *(f"{machine[f'{n}_{t}t'] / (1e6 if 'per_s' in n else 1):.2f}" for t in counts)]
            for n, label in names]
    return table(["measurement", *(f"{t} thread{'s' * (t > 1)}" for t in counts)], rows)


def cost_table(window: int = 5, negative: int = 5, dim: int = DIM) -> str:
    """The model's per-kept-token costs of the four (method, kernel) pairs."""
    rows = []
    for method in ("sgns", "cbow"):
        for kernel in ("exact", "batched"):
            c = word2vec_cost(method, kernel, window, negative, dim)
            rows.append([f"{method} ({kernel})", f"{c['pairs']:.0f}", f"{c['flops']:,.0f}", f"{c['rows']:.0f}",
                         f"{c['bytes']:,.0f}", f"{c['rows_min']:.0f}", f"{c['flops_per_byte']:.2f}"])
    return table(["side", "pairs", "flops", "row transfers", "bytes", "rows_min", "flops/byte"], rows)


def machine_summary(m: dict) -> str:
    """One line on how the machine's figures were measured."""
    return (f"{m['rows_matrix_mb']:.0f} MB row matrix, {m['stream_mb']:.0f} MB stream; load average "
            f"{m['load_avg_start']:.2f} at start, {m['load_avg_end']:.2f} at end")


if __name__ == "__main__":
    import sys
    m = measure_machine(quick="--quick" in sys.argv)
    print(f"machine ({machine_summary(m)})")
    print(machine_table(m))
    print("\nper kept token (window 5, negative 5, dim 100; row = 400 B, read and write counted apart)")
    print(cost_table())
