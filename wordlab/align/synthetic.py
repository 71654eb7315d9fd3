"""Synthetic data with known answers, for tests, benchmarks and teaching.

- :func:`rotated_pair`: a random store and its image under a random orthogonal map
  (plus optional noise): Procrustes must recover the map, BLI must score 1.0.
- :func:`topic_corpus`: sentences drawn one topic at a time; with ``swap`` two words
  trade places everywhere, a planted meaning shift that every shift measure should
  rank first.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from ..store import Embeddings


def rotated_pair(n_words: int = 2000, dim: int = 40, noise: float = 0.0,
                 seed: int = 0) -> tuple[Embeddings, Embeddings, np.ndarray]:
    """(source, target, Q): source rows X ~ N(0, 1), target rows X Q + noise * N(0, 1).

    Source words are ``s0, s1, ...``, target words ``t0, t1, ...`` (``s_i`` translates
    to ``t_i``); counts decrease with the index, so the first words are the "frequent" ones.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_words, dim)).astype(np.float32)
    Q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    Y = (X @ Q + noise * rng.normal(size=(n_words, dim))).astype(np.float32)
    counts = np.arange(n_words, 0, -1)
    return (Embeddings([f"s{i}" for i in range(n_words)], X, counts=counts),
            Embeddings([f"t{i}" for i in range(n_words)], Y, counts=counts), Q)


def topic_words(topics: int = 12, per_topic: int = 10) -> list[list[str]]:
    """The words of :func:`topic_corpus`: ``t{topic}w{i}``."""
    return [[f"t{t}w{i}" for i in range(per_topic)] for t in range(topics)]


def topic_corpus(path: str | os.PathLike, seed: int, swap: tuple[str, str] | None = None, n_sentences: int = 4000,
                 topics: int = 12, per_topic: int = 10, length: int = 10) -> str:
    """Write a gzipped corpus of ``n_sentences`` lines, each ``length`` words of one topic.

    ``swap=(a, b)`` exchanges the two words everywhere: in this corpus ``a`` lives in
    ``b``'s contexts and the other way round. Returns the path as a string.
    """
    rng = np.random.default_rng(seed)
    vocab = topic_words(topics, per_topic)
    lines = []
    for _ in range(n_sentences):
        words = rng.choice(vocab[rng.integers(topics)], size=length)
        if swap:
            a, b = swap
            words = [b if w == a else a if w == b else w for w in words]
        lines.append(" ".join(words))
    with gzip.open(Path(path), "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return str(path)
