"""Residual bias after debiasing: Gonen and Goldberg's (2019) "Lipstick on a pig" tests.

Hard debiasing removes each word's projection on the bias direction, but the words
that were biased stay close to each other. Two tests measure that, on the words that
were most biased *before* debiasing:

- **Clustering**: the ``n`` words with the most positive and the ``n`` with the most
  negative original projection (500 + 500 by default) are clustered into two groups by
  k-means (scikit-learn, seeded) on their unit vectors; the accuracy is the share of
  words whose cluster matches their original side (the better of the two labellings,
  so 0.5 is chance). High accuracy after debiasing means the bias is still recoverable.
- **Bias by neighbours**: for each of those words, the share of its ``k`` = 100 nearest
  neighbours (cosine, among the candidate words) that were on the positive side
  originally, and its Pearson correlation with the word's original projection.

Candidate words: the ``restrict_vocab`` (50,000) most frequent words made of letters
only, without the words the debiasing left on the direction (the gender-specific and
equalised words: by default read from a hard-debiased store's metadata), as Gonen and
Goldberg exclude the gender-specific words. The original projections are cosines with
the direction g. With the built-in definitional pairs g points to the female side, so
"positive" is female-biased; Gonen and Goldberg use he - she, which flips both the
projection and the share and so gives the same correlation.

References
----------
Gonen and Goldberg (2019). Lipstick on a pig: Debiasing methods cover up systematic
gender biases in word embeddings but do not remove them. NAACL, sections 3-4.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ..errors import DataError
from .direction import BiasDirection, unit_rows64

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings


@dataclass
class BiasedWords:
    """The most biased words of the original store.

    Attributes
    ----------
    negative, positive : list of str
        The ``n`` words with the most negative / most positive projection.
    projections : pandas.Series
        Original projection (cosine with g) of every candidate word.
    """
    negative: list
    positive: list
    projections: "pd.Series" = field(repr=False)

    @property
    def words(self) -> list[str]:
        return self.negative + self.positive

    @property
    def labels(self) -> np.ndarray:
        """1 for the positive side, 0 for the negative side (order of :attr:`words`)."""
        return np.r_[np.zeros(len(self.negative), dtype=int), np.ones(len(self.positive), dtype=int)]


@dataclass
class ResidualBias:
    """Both tests on one store (the biased words chosen on the original store).

    Attributes
    ----------
    cluster_accuracy : float
    neighbor_correlation : float
        Pearson correlation of original projection and share of positive-side neighbours.
    neighbor_share : pandas.Series
        That share per word.
    """
    cluster_accuracy: float
    neighbor_correlation: float
    neighbor_share: "pd.Series" = field(repr=False)


def excluded_words(store: "Embeddings") -> list[str]:
    """Words a hard-debiased store left on the direction (gender-specific and equalised)."""
    info = store.meta.get("debias") or {}
    words = list(info.get("gender_specific", {}).get("found_words", []))
    words += [w for pair in info.get("equalized", []) for w in pair]
    return words


def candidate_words(store: "Embeddings", restrict_vocab: int | None = 50_000,
                    exclude: Iterable[str] = ()) -> list[str]:
    """The ``restrict_vocab`` most frequent words made of letters only, minus ``exclude``."""
    exclude = set(exclude)
    words = store.words if restrict_vocab is None else store.words[:restrict_vocab]
    return [w for w in words if w.isalpha() and w not in exclude]


def most_biased(original: "Embeddings", direction: BiasDirection | np.ndarray, n: int = 500,
                restrict_vocab: int | None = 50_000, exclude: Iterable[str] = ()) -> BiasedWords:
    """The ``n`` most negatively and ``n`` most positively projected candidate words.

    Parameters
    ----------
    original : Embeddings
        The store before debiasing.
    direction : BiasDirection or ndarray of shape (dim,)
    n : int, default 500
        Words per side.
    restrict_vocab : int or None, default 50,000
    exclude : iterable of str
        Words that are not candidates (the gender-specific ones).
    """
    d = direction if isinstance(direction, BiasDirection) else BiasDirection(direction)
    words = candidate_words(original, restrict_vocab, exclude)
    if len(words) < 2 * n:
        raise DataError(f"{len(words)} candidate words, fewer than the 2 x {n} asked for")
    proj = d.project(original, words)
    order = np.argsort(proj.to_numpy(), kind="stable")
    negative = [words[i] for i in order[:n]]
    positive = [words[i] for i in order[::-1][:n]]
    return BiasedWords(negative, positive, proj)


def cluster_accuracy(store: "Embeddings", words: list[str], labels: np.ndarray, seed: int = 0,
                     n_init: int = 10) -> float:
    """Accuracy of 2-means clusters of ``words`` (unit vectors of ``store``) against ``labels``.

    Returns max(a, 1 - a) for the agreement a of cluster ids with labels (0.5 is chance).
    """
    from sklearn.cluster import KMeans
    x = unit_rows64(store.vectors[[store.index_of(w) for w in words]])
    pred = KMeans(n_clusters=2, random_state=seed, n_init=n_init).fit_predict(x)
    agree = float(np.mean(pred == np.asarray(labels)))
    return max(agree, 1.0 - agree)


def neighbor_share(store: "Embeddings", words: list[str], projections: "pd.Series", k: int = 100,
                   block: int = 1024) -> "pd.Series":
    """For each word, the share of its ``k`` nearest neighbours (cosine in ``store``, among
    the words of ``projections``, itself excluded) whose original projection is positive."""
    import pandas as pd
    pool = list(projections.index)
    if len(pool) <= k:
        raise DataError(f"{len(pool)} candidate words: need more than k = {k}")
    pool_vectors = unit_rows64(store.vectors[[store.index_of(w) for w in pool]])
    positive = projections.to_numpy() > 0
    position = {w: i for i, w in enumerate(pool)}
    shares = np.empty(len(words))
    for a in range(0, len(words), block):
        chunk = words[a:a + block]
        sims = unit_rows64(store.vectors[[store.index_of(w) for w in chunk]]) @ pool_vectors.T
        for r, w in enumerate(chunk):
            if w in position:
                sims[r, position[w]] = -np.inf
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        shares[a:a + len(chunk)] = positive[top].mean(axis=1)
    return pd.Series(shares, index=list(words), name="positive_neighbour_share")


def residual_bias(store: "Embeddings", biased: BiasedWords, k: int = 100, seed: int = 0) -> ResidualBias:
    """Both tests of Gonen and Goldberg on ``store`` for the words chosen by :func:`most_biased`.

    Parameters
    ----------
    store : Embeddings
        The store to test (original or debiased).
    biased : BiasedWords
        From the original store.
    k : int, default 100
        Neighbours per word.
    seed : int, default 0
        KMeans's random state.
    """
    from scipy.stats import pearsonr
    words = biased.words
    acc = cluster_accuracy(store, words, biased.labels, seed=seed)
    share = neighbor_share(store, words, biased.projections, k=k)
    original = biased.projections.loc[words].to_numpy()
    corr = float(pearsonr(original, share.to_numpy())[0]) if np.ptp(share.to_numpy()) > 0 else float("nan")
    return ResidualBias(acc, corr, share)
