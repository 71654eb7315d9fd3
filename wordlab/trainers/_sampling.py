"""Sampling tables and the random generator shared by the stream trainers.

- Subsampling (Mikolov et al. 2013, word2vec.c): a token of a word with corpus
  frequency f = count / total is kept with probability P_keep = sqrt(t/f) + t/f
  (capped at 1), t = ``sample``. Stored as a 32-bit threshold per word.
- Negative sampling: words drawn from the unigram distribution raised to ``power``
  (0.75), with Walker's alias method: O(1) per draw from two arrays of the
  vocabulary's size (word2vec.c's 1e8-entry table would cost 400 MB).
- Random numbers: word2vec.c's 64-bit linear congruential generator,
  ``x <- x * 25214903917 + 11``, one state per thread; its high bits are used.
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
    """P_keep per word, from the thresholds actually used."""
    return keep_thresholds(counts, sample).astype(np.float64) / _TWO32


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: counts**power, normalised (float64)."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    total = weights.sum()
    if total <= 0:
        raise DataError("the noise distribution needs at least one word with a positive count")
    return weights / total


def alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table: (acceptance float32, alias int32) for O(1) sampling.

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
    """word2vec.c's generator step."""
    return state * np.uint64(25214903917) + np.uint64(11)


@njit(nogil=True, cache=True, inline="always")
def uniform_below(state: np.uint64, n: int) -> np.int64:
    """A draw in [0, n) from the high 32 bits of a state (multiply-shift, n < 2**32)."""
    return np.int64(((state >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(nogil=True, cache=True, inline="always")
def draw_noise(state: np.uint64, accept: np.ndarray, alias: np.ndarray) -> tuple:
    """One negative sample by the alias method; returns (word, new state)."""
    state = lcg_next(state)
    column = uniform_below(state, accept.shape[0])
    state = lcg_next(state)
    u = np.float32((state >> np.uint64(40)) & np.uint64(0xFFFFFF)) * np.float32(1.0 / 16777216.0)
    word = column if u < accept[column] else np.int64(alias[column])
    return word, state


def thread_seeds(seed: int, epoch: int, n_threads: int) -> np.ndarray:
    """Independent starting states for each (epoch, thread), derived from the seed.

    Deriving them (rather than carrying states over) makes a resumed run draw the
    same numbers as an uninterrupted one.
    """
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(epoch)])
    return ss.generate_state(n_threads, dtype=np.uint64)
