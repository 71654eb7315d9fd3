"""gensim's KeyedVectors methods on a wordlab store against gensim on the same vectors.

The vectors: gensim's own test file ``euclidean_vectors.bin`` (its wheel ships it), read
by gensim and by ``wordlab.load``. Every method of :mod:`wordlab.store.keyedvectors` is
called with the same arguments on both, and the table gives the largest difference of
the numbers and whether the words (and their order) agree.

Usage: python evals/gensim_parity.py
"""
from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import machine_line, table  # noqa: E402


def main() -> None:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath
    import wordlab
    kv = KeyedVectors.load_word2vec_format(datapath("euclidean_vectors.bin"), binary=True)
    emb = wordlab.load(datapath("euclidean_vectors.bin"))
    w = kv.index_to_key
    a, b, c, group = w[10], w[20], w[30], w[40:46]
    cases = [
        ("key_to_index, index_to_key", lambda m: (m.index_to_key, list(m.key_to_index.items()))),
        ("vector_size, get_index", lambda m: (m.vector_size, m.get_index(b))),
        ("distance", lambda m: m.distance(a, b)),
        ("distances (to every word)", lambda m: m.distances(a)),
        ("distances (to given words)", lambda m: m.distances(a, [b, c])),
        ("n_similarity", lambda m: m.n_similarity([a, b], [c])),
        ("cosine_similarities", lambda m: m.cosine_similarities(m[a], m[[b, c]])),
        ("get_mean_vector", lambda m: m.get_mean_vector([a, b, c])),
        ("get_mean_vector (weights, post_normalize)",
         lambda m: m.get_mean_vector([a, b, c], weights=[1.0, -2.0, 0.5], post_normalize=True)),
        ("closer_than", lambda m: m.closer_than(a, b)),
        ("rank", lambda m: m.rank(a, b)),
        ("rank_by_centrality", lambda m: m.rank_by_centrality(group)),
        ("doesnt_match", lambda m: m.doesnt_match(group)),
        ("most_similar_cosmul", lambda m: m.most_similar_cosmul([a, b], [c], topn=10)),
        ("most_similar_cosmul (topn=None)", lambda m: m.most_similar_cosmul([a, b], [c], topn=None)),
        ("most_similar", lambda m: m.most_similar([a, b], [c], topn=10)),
        ("similarity", lambda m: m.similarity(a, b)),
    ]
    rows = []
    for name, call in cases:
        ours, theirs = call(emb), call(kv)
        words_same, diff = _compare(ours, theirs)
        rows.append([name, "yes" if words_same else "NO", "-" if diff is None else f"{diff:.2g}"])
    print(f"{len(emb):,} words x {emb.dim} (gensim's euclidean_vectors.bin); gensim {__import__('gensim').__version__}")
    print(table(["method", "same words / order", "largest difference"], rows))
    print(machine_line())


def _compare(ours, theirs) -> tuple[bool, float | None]:
    """(the non-numbers agree, the largest absolute difference of the numbers)."""
    words_o, nums_o = _split(ours)
    words_t, nums_t = _split(theirs)
    if len(nums_o) != len(nums_t):
        return False, None
    diff = float(np.max(np.abs(np.asarray(nums_o, float) - np.asarray(nums_t, float)))) if nums_o else None
    return words_o == words_t, diff


def _split(value) -> tuple[list, list]:
    words, nums = [], []

    def walk(v):
        if isinstance(v, str):
            words.append(v)
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            nums.append(float(v))
        elif isinstance(v, np.ndarray):
            nums.extend(np.asarray(v, float).ravel().tolist())
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
    walk(value)
    return words, nums


if __name__ == "__main__":
    main()
