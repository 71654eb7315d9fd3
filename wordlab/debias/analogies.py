"""Analogy generation (Bolukbasi et al. 2016): word pairs (x, y) that stand as a seed pair does.

For a seed pair (a, b), e.g. ("she", "he"), the score of a pair of words (x, y) is

    S(x, y) = cos(a - b, x - y)   if ||x - y|| <= delta,   else 0,

on unit vectors, over the ``restrict_vocab`` most frequent words (50,000), with
delta = 1 by default (the paper's: x and y at most 60 degrees apart). As debiaswe's
``best_analogies_dist_thresh`` does, every pair of close words is scored, the pairs are
taken best first by |S|, each oriented so that its score is positive (x on a's side),
and a pair is skipped when its x was already used as an x or its y as a y; the search
stops after ``n`` (500) pairs or at |S| < 0.001.

Efficiency: the close pairs are found block by block (``block`` rows against the rows
after them, a float32 dot product against the threshold x.y >= 1 - delta^2 / 2), never
as a full similarity matrix; the scores of those pairs are computed in float64. The
result is deterministic: ties of |S| keep the order of the pairs (i < j, row by row).

Differences from debiaswe, on purpose: ``delta`` is the distance ||x - y||, as in the
paper; debiaswe's ``thresh`` bounds the squared distance (x.y >= 1 - thresh / 2). They
agree at the default of 1. Its sort of |S| is not stable; this one is. Pairs of
identical vectors (||x - y|| = 0) have no direction and are left out.

References
----------
Bolukbasi, Chang, Zou, Saligrama and Kalai (2016). Man is to computer programmer as
woman is to homemaker? Debiasing word embeddings. NeurIPS, section 4 (generating
analogies) and debiaswe's ``we.py``.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import DataError, ParameterError
from .direction import unit_rows64

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings

_SAFE = re.compile(r"^[a-z_]*$")


def safe_word(word: str) -> bool:
    """debiaswe's filter: lower-case letters and underscores only, shorter than 20
    characters, not only underscores."""
    return bool(_SAFE.match(word)) and len(word) < 20 and word.strip("_") != ""


def close_pairs(x: np.ndarray, delta: float = 1.0, block: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i < j, of unit rows with ||x_i - x_j|| <= ``delta``.

    Returns two int64 arrays, ordered by i then j.
    """
    n = len(x)
    threshold = np.float32(1.0 - delta ** 2 / 2.0)
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    rows, cols = [], []
    for a in range(0, n, block):
        b = min(n, a + block)
        sims = x32[a:b] @ x32[a:].T                     # the block against itself and the rows after it
        keep = sims >= threshold
        keep &= np.arange(a, n)[None, :] > np.arange(a, b)[:, None]
        r, c = np.nonzero(keep)
        rows.append(r + a)
        cols.append(c + a)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)


def pair_scores(x: np.ndarray, rows: np.ndarray, cols: np.ndarray, v: np.ndarray,
                chunk: int = 65536) -> np.ndarray:
    """cos(v, x_i - x_j) for each pair (float64; NaN for identical rows)."""
    v = np.asarray(v, dtype=np.float64)
    v = v / np.linalg.norm(v)
    p = x @ v
    out = np.empty(len(rows))
    for a in range(0, len(rows), chunk):
        r, c = rows[a:a + chunk], cols[a:a + chunk]
        norms = np.linalg.norm(x[r] - x[c], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a:a + chunk] = np.where(norms > 0, (p[r] - p[c]) / norms, np.nan)
    return out


def generate_analogies(store: "Embeddings", pair: Sequence[str] = ("she", "he"), n: int = 500,
                       delta: float = 1.0, restrict_vocab: int | None = 50_000, safe_words: bool = False,
                       block: int = 512) -> "pd.DataFrame":
    """Pairs (x, y) that stand as ``pair`` does, best first (Bolukbasi et al. 2016).

    Parameters
    ----------
    store : Embeddings
    pair : (str, str), default ("she", "he")
        The seed pair (a, b); the direction is a - b of their unit vectors. They need not
        be among the ``restrict_vocab`` words.
    n : int, default 500
        Pairs returned at most (debiaswe's ``topn``).
    delta : float, default 1.0
        Largest distance ||x - y|| of the unit vectors of a pair, in (0, 2].
    restrict_vocab : int or None, default 50,000
        The most frequent words searched (debiaswe's ``max_words``); None: every word.
    safe_words : bool, default False
        Keep only debiaswe's "safe" words among them (:func:`safe_word`).
    block : int, default 512
        Rows per block of the neighbour search.

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``y``, ``score`` (cos(a - b, x - y)), best first; ``attrs`` holds
        ``pair``, ``delta``, ``words`` (searched) and ``close_pairs`` (pairs within delta).
    """
    import pandas as pd
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ParameterError(f"the seed pair must be two different words, not {tuple(pair)!r}")
    if not 0 < delta <= 2:
        raise ParameterError(f"delta must be in (0, 2] (a distance between unit vectors), not {delta}")
    if n < 1:
        raise ParameterError(f"n must be at least 1, not {n}")
    missing = [w for w in pair if w not in store.index]
    if missing:
        raise DataError(f"the seed pair's {' and '.join(repr(w) for w in missing)} not in the store")
    a, b = unit_rows64(store.vectors[[store.index_of(w) for w in pair]])
    v = a - b
    if not np.linalg.norm(v) > 0:
        raise DataError(f"{pair[0]!r} and {pair[1]!r} have the same direction: no seed direction")
    limit = len(store) if restrict_vocab is None else min(len(store), restrict_vocab)
    index = np.arange(limit)
    if safe_words:
        index = np.array([i for i in index if safe_word(store.words[i])], dtype=np.int64)
    if len(index) < 2:
        raise DataError(f"{len(index)} word(s) to search: need at least 2")
    x = unit_rows64(store.vectors[index] if len(index) < limit else store.vectors[:limit])
    rows, cols = close_pairs(x, delta, block)
    scores = pair_scores(x, rows, cols, v)
    ok = ~np.isnan(scores)
    rows, cols, scores = rows[ok], cols[ok], scores[ok]
    out: list[tuple[str, str, float]] = []
    used_left: set[int] = set()
    used_right: set[int] = set()
    for t in np.argsort(-np.abs(scores), kind="stable"):
        s = scores[t]
        if abs(s) < 0.001:
            break
        left, right = (int(rows[t]), int(cols[t])) if s > 0 else (int(cols[t]), int(rows[t]))
        if left in used_left or right in used_right:
            continue
        used_left.add(left)
        used_right.add(right)
        out.append((store.words[index[left]], store.words[index[right]], float(abs(s))))
        if len(out) == n:
            break
    table = pd.DataFrame(out, columns=["x", "y", "score"])
    table.attrs.update({"pair": list(pair), "delta": delta, "words": int(len(index)), "close_pairs": int(len(rows))})
    return table
