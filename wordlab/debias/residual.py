"""Residual bias after debiasing: Gonen and Goldberg's (2019) "Lipstick on a pig" tests.

Hard debiasing removes each word's projection on the bias direction, but the words
that were biased stay close to each other. Two tests measure that, on the words that
were most biased *before* debiasing:

- **Which words are biased** (:func:`most_biased`): as Gonen and Goldberg define it by
  default, a word's bias is cos(w, he) - cos(w, she) in the original store, and the
  ``n`` most male- and ``n`` most female-biased candidate words (500 + 500) are taken.
  ``measure="direction"`` uses the projection on the bias direction g instead (the PCA
  direction of the definitional pairs): a different selection (on enwiki, 189 and 214
  of the 500 + 500 words in common), kept for comparison and named for what it is.
- **Clustering**: the selected words are clustered into two groups by k-means
  (scikit-learn, seeded) on their unit vectors; the accuracy is the share of words
  whose cluster matches their original side (the better of the two labellings, so 0.5
  is chance). High accuracy after debiasing means the bias is still recoverable.
- **Bias by neighbours**: for a word, the share of its ``k`` = 100 nearest neighbours
  (cosine, among the candidate words) that were on the positive side originally, and the
  Pearson correlation of that share with the word's original bias, over every candidate
  word as in their code (``population="candidates"``, the default) or over the selected
  words only (``"selected"``).

- **Professions** (:func:`professions_neighbors`): for each profession (debiaswe's list)
  among the candidates, its original bias and the number of its ``k`` = 100 nearest
  neighbours (among the candidates) that were male-biased; the Pearson correlation of the
  two (their ``get_tuples_prof`` and ``compute_corr``).
- **Classification** (:func:`classification_accuracy`): the 5,000 most male- and 5,000 most
  female-biased candidate words, each side shuffled (``random.Random(seed)``, female list
  first), 500 + 500 for training an RBF-kernel SVM (scikit-learn ``SVC(gamma="auto")``,
  C = 1, as their ``train_and_predict``), the other 4,500 + 4,500 for testing; the test
  accuracy of predicting the original side from ``store``'s unit vectors.
- **Average bias** (:func:`mean_absolute_bias`): the mean over the candidate words of
  |cos(w, he) - cos(w, she)|, he and she of the store measured (their ``report_bias``).

:func:`residual_bias` runs the first two tests, and the others on request;
:func:`gonen_goldberg` runs all of them with the paper's settings.

Candidate words, as in their code: the ``restrict_vocab`` (50,000) most frequent words
that are lower-case, made of letters only (no digits, no punctuation) and shorter than
20 characters, without the words the debiasing left on the direction (the
gender-specific and equalised words: by default read from a hard-debiased store's
metadata). With ``measure="he-she"`` the positive side is the male one; with the
direction, the side g points to (the female one for the built-in definitional pairs).

References
----------
Gonen and Goldberg (2019). Lipstick on a pig: Debiasing methods cover up systematic
gender biases in word embeddings but do not remove them. NAACL, sections 3-4.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ..errors import DataError, ParameterError
from .direction import BiasDirection, unit_rows64
from .wordlists import as_words

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings


@dataclass
class BiasedWords:
    """The most biased words of the original store.

    Attributes
    ----------
    negative, positive : list of str
        The ``n`` words with the most negative / most positive bias.
    projections : pandas.Series
        Original bias of every candidate word (cos(w, he) - cos(w, she), or the cosine
        with g: see ``measure``).
    measure : str
        "he-she" or "direction".
    """
    negative: list
    positive: list
    projections: "pd.Series" = field(repr=False)
    measure: str = "he-she"

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
        Pearson correlation of original bias and share of positive-side neighbours.
    neighbor_share : pandas.Series
        That share per word of the population.
    population : str
        "candidates" (every candidate word, Gonen and Goldberg's) or "selected".
    professions : pandas.DataFrame or None
        Per profession (index): ``bias`` (original), ``male_neighbours`` and
        ``female_neighbours`` among its ``k`` nearest candidates (``positive_neighbours``
        and ``negative_neighbours`` with ``measure="direction"``); None when not asked for.
    professions_correlation : float
        Pearson r of ``bias`` and the male (positive) neighbour count (NaN when not asked for).
    classification_accuracy : float
        Test accuracy of the RBF-kernel SVM (NaN when not asked for).
    mean_bias : float
        Mean |cos(w, he) - cos(w, she)| over the candidate words in this store (NaN when
        the store has no "he" or "she").
    """
    cluster_accuracy: float
    neighbor_correlation: float
    neighbor_share: "pd.Series" = field(repr=False)
    population: str = "candidates"
    professions: "pd.DataFrame | None" = field(default=None, repr=False)
    professions_correlation: float = math.nan
    classification_accuracy: float = math.nan
    mean_bias: float = math.nan

#: Ways to measure a word's original bias (see the module docstring).
MEASURES = ("he-she", "direction")
POPULATIONS = ("candidates", "selected")
#: The classification test: words per side, and of those, words per side trained on.
N_CLASSIFY = 5000
N_CLASSIFY_TRAIN = 500


def excluded_words(store: "Embeddings") -> list[str]:
    """Words a hard-debiased store left on the direction (gender-specific and equalised)."""
    info = store.meta.get("debias") or {}
    words = list(info.get("gender_specific", {}).get("found_words", []))
    words += [w for pair in info.get("equalized", []) for w in pair]
    return words


def candidate_words(store: "Embeddings", restrict_vocab: int | None = 50_000,
                    exclude: Iterable[str] = ()) -> list[str]:
    """The ``restrict_vocab`` most frequent words that are lower-case, letters only and
    shorter than 20 characters (Gonen and Goldberg's filter), minus ``exclude``."""
    exclude = set(exclude)
    words = store.words if restrict_vocab is None else store.words[:restrict_vocab]
    return [w for w in words if w.isalpha() and w == w.lower() and len(w) < 20 and w not in exclude]


def he_she_bias(store: "Embeddings", words: list[str]) -> "pd.Series":
    """cos(w, he) - cos(w, she) of each word (Gonen and Goldberg's bias)."""
    import pandas as pd
    missing = [w for w in ("he", "she") if w not in store.index]
    if missing:
        raise DataError(f"{' and '.join(repr(w) for w in missing)} not in the store: measure='direction' uses the "
                        "bias direction instead")
    x = unit_rows64(store.vectors[[store.index_of(w) for w in words]])
    he, she = (unit_rows64(store.vectors[[store.index_of(w)]])[0] for w in ("he", "she"))
    return pd.Series(x @ he - x @ she, index=list(words), name="he_she_bias")


def most_biased(original: "Embeddings", direction: BiasDirection | np.ndarray | None = None, n: int = 500,
                restrict_vocab: int | None = 50_000, exclude: Iterable[str] = (),
                measure: str = "he-she") -> BiasedWords:
    """The ``n`` most negatively and ``n`` most positively biased candidate words.

    Parameters
    ----------
    original : Embeddings
        The store before debiasing.
    direction : BiasDirection or ndarray of shape (dim,), optional
        The bias direction; needed for ``measure="direction"`` only.
    n : int, default 500
        Words per side.
    restrict_vocab : int or None, default 50,000
    exclude : iterable of str
        Words that are not candidates (the gender-specific ones).
    measure : {"he-she", "direction"}, default "he-she"
        Gonen and Goldberg's cos(w, he) - cos(w, she), or the projection on ``direction``.
    """
    if measure not in MEASURES:
        raise ParameterError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    words = candidate_words(original, restrict_vocab, exclude)
    if len(words) < 2 * n:
        raise DataError(f"{len(words)} candidate words, fewer than the 2 x {n} asked for")
    if measure == "he-she":
        proj = he_she_bias(original, words)
    else:
        if direction is None:
            raise ParameterError("measure='direction' needs the bias direction")
        d = direction if isinstance(direction, BiasDirection) else BiasDirection(direction)
        proj = d.project(original, words)
    order = np.argsort(proj.to_numpy(), kind="stable")
    negative = [words[i] for i in order[:n]]
    positive = [words[i] for i in order[::-1][:n]]
    return BiasedWords(negative, positive, proj, measure)


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


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import pearsonr
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(pearsonr(a, b)[0])


def mean_absolute_bias(store: "Embeddings", words: list[str]) -> float:
    """Mean of |cos(w, he) - cos(w, she)| over ``words``, with the "he" and "she" of
    ``store`` (Gonen and Goldberg's average bias by projection, their ``report_bias``)."""
    if not words:
        raise DataError("no words to average the bias over")
    return float(np.mean(np.abs(he_she_bias(store, words).to_numpy())))


def professions_neighbors(store: "Embeddings", biased: BiasedWords, professions="professions",
                          k: int = 100) -> "tuple[pd.DataFrame, float]":
    """Gonen and Goldberg's professions test on ``store``.

    Parameters
    ----------
    store : Embeddings
        The store whose neighbours are counted (original or debiased).
    biased : BiasedWords
        From the original store: the candidate words and their original bias.
    professions : words, path or debiaswe list name, default "professions"
        Professions that are not candidate words (gender-specific, rare, capitalised) are
        left out, as in their code.
    k : int, default 100

    Returns
    -------
    table : pandas.DataFrame
        Indexed by profession, in list order: ``bias``, ``male_neighbours``,
        ``female_neighbours`` (``positive_``/``negative_neighbours`` for
        ``measure="direction"``).
    r : float
        Pearson correlation of ``bias`` and the male (positive) neighbour count.
    """
    import pandas as pd
    candidates = set(biased.projections.index)
    given = as_words(professions)
    found = [w for w in given if w in candidates]
    if not found:
        raise DataError(f"none of the {len(given)} professions is a candidate word (lower-case letters among the "
                        "most frequent words, not gender-specific)")
    share = neighbor_share(store, found, biased.projections, k=k).to_numpy()
    positive = np.rint(share * k).astype(int)
    plus, minus = ("male", "female") if biased.measure == "he-she" else ("positive", "negative")
    bias = biased.projections.loc[found].to_numpy()
    table = pd.DataFrame({"bias": bias, f"{plus}_neighbours": positive, f"{minus}_neighbours": k - positive},
                         index=pd.Index(found, name="profession"))
    return table, _pearson(bias, positive.astype(float))


def classification_accuracy(store: "Embeddings", biased: BiasedWords, n: int = N_CLASSIFY,
                            n_train: int = N_CLASSIFY_TRAIN, seed: int = 0) -> float:
    """Gonen and Goldberg's classification test: can an RBF-kernel SVM tell the originally
    male- from the originally female-biased words in ``store``?

    Parameters
    ----------
    store : Embeddings
        The store whose (unit) vectors are classified.
    biased : BiasedWords
        From the original store: its candidate words' original bias picks the ``n`` most
        biased words per side.
    n : int, default 5000
        Words per side.
    n_train : int, default 500
        Words per side trained on (after shuffling each side); the other ``n - n_train``
        per side are the test set.
    seed : int, default 0
        Seed of ``random.Random``, which shuffles the negative (female) side, then the
        positive one.

    Returns
    -------
    float
        Test accuracy of ``SVC(gamma="auto")`` (RBF kernel, C = 1).
    """
    from sklearn.svm import SVC
    if not 0 < n_train < n:
        raise ParameterError(f"n_train must be between 1 and n - 1 = {n - 1}, not {n_train}")
    proj = biased.projections
    if len(proj) < 2 * n:
        raise DataError(f"{len(proj):,} candidate words, fewer than the 2 x {n:,} the classification test needs")
    values = proj.to_numpy()
    order = np.argsort(values, kind="stable")
    words = list(proj.index)
    negative = [words[i] for i in order[:n]]             # most negative first, as their sorted()
    positive = [words[i] for i in order[len(order) - n:]]
    if values[order[n - 1]] >= 0 or values[order[len(order) - n]] <= 0:
        raise DataError(f"fewer than {n:,} candidate words on each side of the bias: the classification test "
                        "needs a smaller n")
    rng = random.Random(seed)
    rng.shuffle(negative)
    rng.shuffle(positive)

    def rows(ws):
        return unit_rows64(store.vectors[[store.index_of(w) for w in ws]])

    x_train = rows(positive[:n_train] + negative[:n_train])
    y_train = np.r_[np.ones(n_train, dtype=int), np.zeros(n_train, dtype=int)]
    x_test = rows(positive[n_train:] + negative[n_train:])
    y_test = np.r_[np.ones(n - n_train, dtype=int), np.zeros(n - n_train, dtype=int)]
    clf = SVC(gamma="auto").fit(x_train, y_train)
    return float(np.mean(clf.predict(x_test) == y_test))


def residual_bias(store: "Embeddings", biased: BiasedWords, k: int = 100, seed: int = 0,
                  population: str = "candidates", *, professions=None, n_classify: int | None = None,
                  n_classify_train: int = N_CLASSIFY_TRAIN) -> ResidualBias:
    """Gonen and Goldberg's tests on ``store`` for the words chosen by :func:`most_biased`.

    Parameters
    ----------
    store : Embeddings
        The store to test (original or debiased).
    biased : BiasedWords
        From the original store.
    k : int, default 100
        Neighbours per word.
    seed : int, default 0
        KMeans's random state and the classification test's shuffle.
    population : {"candidates", "selected"}, default "candidates"
        The words over which the neighbour correlation is taken: every candidate word
        (Gonen and Goldberg's code) or the selected 2 x n.
    professions : words, path or debiaswe list name, optional
        Run the professions test on these (default: not run).
    n_classify : int, optional
        Run the classification test on this many words per side (default: not run; the
        paper's is 5,000).
    n_classify_train : int, default 500
        Of those, words per side trained on.

    The average absolute bias (``mean_bias``) is always measured when the store has
    "he" and "she". :func:`gonen_goldberg` runs every test with the paper's settings.
    """
    if population not in POPULATIONS:
        raise ParameterError(f"population must be one of {', '.join(POPULATIONS)}, not {population!r}")
    words = biased.words
    acc = cluster_accuracy(store, words, biased.labels, seed=seed)
    over = list(biased.projections.index) if population == "candidates" else words
    share = neighbor_share(store, over, biased.projections, k=k)
    corr = _pearson(biased.projections.loc[over].to_numpy(), share.to_numpy())
    result = ResidualBias(acc, corr, share, population)
    if "he" in store.index and "she" in store.index:
        result.mean_bias = mean_absolute_bias(store, list(biased.projections.index))
    if professions is not None:
        result.professions, result.professions_correlation = professions_neighbors(store, biased, professions, k)
    if n_classify is not None:
        result.classification_accuracy = classification_accuracy(store, biased, n_classify, n_classify_train, seed)
    return result


def gonen_goldberg(store: "Embeddings", biased: BiasedWords, k: int = 100, seed: int = 0,
                   population: str = "candidates", professions="professions", n_classify: int = N_CLASSIFY,
                   n_classify_train: int = N_CLASSIFY_TRAIN) -> ResidualBias:
    """Every test of Gonen and Goldberg (2019) on ``store``, with their settings:
    clustering, neighbour correlation, professions (debiaswe's list), classification
    (5,000 words per side, 500 trained on) and the average bias. See :func:`residual_bias`."""
    return residual_bias(store, biased, k=k, seed=seed, population=population, professions=professions,
                         n_classify=n_classify, n_classify_train=n_classify_train)
