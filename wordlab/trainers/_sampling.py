"""Sampling tables and the random generator shared by the stream trainers.

- Subsampling (Mikolov et al. 2013, word2vec.c): a token of a word with corpus
  frequency f = count / total is kept with probability P_keep = sqrt(t/f) + t/f
  (capped at 1), t = ``sample``. Stored as a uint64 threshold per word on a 32-bit draw
  (2**32: always kept).
- Negative sampling: words drawn from the unigram distribution raised to ``power``
  (0.75), with Walker's alias method: O(1) per draw from two arrays of the
  vocabulary's size (float32 acceptance, int32 alias; word2vec.c's 1e8-entry table
  would cost 400 MB).
- Random numbers: word2vec.c's 64-bit linear congruential generator,
  ``x <- x * 25214903917 + 11`` on a uint64 state, one per thread; never its weak low
  bits: subsampling draws take bits 16..47, :func:`uniform_below` bits 32..63 and
  :func:`draw_noise`'s acceptance test bits 40..63.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..errors import DataError

_TWO32 = float(1 << 32)


def keep_thresholds(counts: np.ndarray, sample: float) -> np.ndarray:
    """Per-word keep threshold on a uniform 32-bit draw (uint64, shape (n_words,)).

    A token is kept when ``draw < threshold``; ``sample <= 0`` keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.full(counts.shape[0], 1 << 32, dtype=np.uint64)
    total = counts.sum()
    ratio = sample * total / np.maximum(counts, 1)          # t / f
    p_keep = np.minimum(np.sqrt(ratio) + ratio, 1.0)
    return np.round(p_keep * _TWO32).astype(np.uint64)


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """P_keep per word, float64 (n_words,), from the thresholds actually used."""
    return keep_thresholds(counts, sample).astype(np.float64) / _TWO32


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: counts**power, normalised (float64, (n_words,))."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    total = weights.sum()
    if total <= 0:
        raise DataError("the noise distribution needs at least one word with a positive count")
    return weights / total


def alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table: (acceptance float32, alias int32), both (n_words,), for
    O(1) sampling (built in float64, acceptance rounded to float32).

    Draw: pick a column i uniformly; keep i with probability ``acceptance[i]``,
    otherwise take ``alias[i]``.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    n = p.shape[0]
    scaled = p * n
    accept = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = list(np.flatnonzero(scaled < 1.0)[::-1])
    large = list(np.flatnonzero(scaled >= 1.0)[::-1])
    while small and large:
        s, l = small.pop(), large.pop()
        accept[s] = scaled[s]
        alias[s] = l
        scaled[l] = (scaled[l] + scaled[s]) - 1.0
        (small if scaled[l] < 1.0 else large).append(l)
    for i in large + small:  # numerical leftovers are full columns
        accept[i] = 1.0
    return accept.astype(np.float32), alias


@njit(nogil=True, cache=True, inline="always")
def lcg_next(state: np.uint64) -> np.uint64:
    """word2vec.c's generator step on a uint64 state (wraps modulo 2**64)."""
    return state * np.uint64(25214903917) + np.uint64(11)


@njit(nogil=True, cache=True, inline="always")
def uniform_below(state: np.uint64, n: int) -> np.int64:
    """An int64 draw in [0, n) from the high 32 bits of a uint64 state (multiply-shift,
    n < 2**32)."""
    return np.int64(((state >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(nogil=True, cache=True, inline="always")
def draw_noise(state: np.uint64, accept: np.ndarray, alias: np.ndarray) -> tuple:
    """One negative sample by the alias method (``accept`` float32, ``alias`` int32, see
    :func:`alias_table`); returns (word int64, new uint64 state). Two generator steps:
    the column from bits 32..63 of the first, a float32 uniform from bits 40..63 of the
    second compared with ``accept[column]``."""
    state = lcg_next(state)
    column = uniform_below(state, accept.shape[0])
    state = lcg_next(state)
    u = np.float32((state >> np.uint64(40)) & np.uint64(0xFFFFFF)) * np.float32(1.0 / 16777216.0)
    word = column if u < accept[column] else np.int64(alias[column])
    return word, state


def thread_seeds(seed: int, epoch: int, n_threads: int) -> np.ndarray:
    """Independent starting states for each (epoch, thread), derived from the seed:
    uint64 (n_threads,).

    Deriving them (rather than carrying states over) makes a resumed run draw the
    same numbers as an uninterrupted one.
    """
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(epoch)])
    return ss.generate_state(n_threads, dtype=np.uint64)
