"""INLP (Ravfogel et al. 2020): Iterative Nullspace Projection, into a new store.

A linear classifier is trained to predict the protected attribute (gender) from word
vectors; its weight vectors span the directions it uses. The vectors are projected onto
the nullspace of those weights, a new classifier is trained on the projected vectors,
and so on. The final projection P is onto the intersection of the nullspaces, and P is
applied to every word. As the authors' word-embedding experiment
(``notebooks/word_vectors_debiasing.ipynb`` and ``src/debias.py`` of
shauli-ravfogel/nullspace_projection) does, on the vectors as stored:

- **Words** (:func:`inlp_words`): among the ``restrict_vocab`` (their 150,000) most
  frequent candidate words (lower-case, alphabetic, shorter than 20 characters; the
  gender-specific words kept, as they run it), the ``n_words`` (their 7,500) with the
  highest cosine with he - she are male (label 1), the ``n_words`` with the lowest are
  female (0), and ``n_words`` words with |cosine| < 0.03 drawn at random are neutral (-1).
  Their code draws the neutral words with replacement and keeps the distinct ones; here
  they are drawn without replacement (seeded), so there are exactly ``n_words``.
- **Split**: their two scikit-learn splits, 30% test, then 30% of the rest as dev
  (``random_state=seed``); the classifiers train on the train part and are scored on
  dev. The test part is left out, as in their notebook.
- **Iterations** (:func:`inlp_projection`, their ``get_debiasing_projection`` with
  ``is_autoregressive=True``, ``min_accuracy=0``, no dropout): ``iterations`` times
  (their 35, on 300-dimensional GloVe; by default scaled to the store's dimension,
  round(35 x dim / 300), so that the same share of the dimensions can go: a
  three-class classifier removes up to 3 a round, and 35 rounds would remove every
  dimension of a 100-dimensional store; a run that removes them all is an error), a ``LinearSVC(fit_intercept=False, class_weight=None, dual=False,
  random_state=seed)`` is fitted to the current projected train vectors; its weights W
  (3 rows for 3 classes) give the rowspace projection P_R(W) = B B^T for an orthonormal
  basis B of W's rows (``scipy.linalg.orth``); with the rowspace projections so far,
  P = I - P_R(sum of them) (Ben-Israel's formula for the intersection of the nullspaces,
  their ``get_projection_to_intersection_of_nullspaces``), and the train and dev vectors
  are the original ones times P.
- **Output**: every vector times P (not renormalised: P removes dimensions, it does not
  rescale). P is symmetric and idempotent; it is written beside the vectors as
  ``inlp_projection.npy`` (a file no component claims: readers leave it alone, and
  ``save``/``convert`` do not copy it).

``meta["debias"]`` records the dev accuracy of every iteration (it falls towards the
majority class's share, also recorded), the rank removed and the word counts.

References
----------
Ravfogel, Elazar, Gonen, Twiton and Goldberg (2020). Null It Out: Guarding Protected
Attributes by Iterative Nullspace Projection. ACL, sections 2-3 and 6.1.
Ben-Israel (2015). Projectors on intersections of subspaces. Contemporary Mathematics 636.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError, ParameterError
from ..params import Integer, Real
from ..store import Embeddings
from ._derived import open_for_output, rows64, write_store
from .direction import unit_rows64
from .residual import candidate_words

#: The side file of an INLP store holding P.
PROJECTION_FILE = "inlp_projection.npy"


@dataclass
class INLPWords:
    """The words INLP trains on.

    Attributes
    ----------
    male, female, neutral : list of str
        Labels 1, 0 and -1.
    scores : ndarray
        cos(w, he - she) of each word of ``male + female + neutral``.
    """
    male: list
    female: list
    neutral: list
    scores: np.ndarray = field(repr=False)

    @property
    def words(self) -> list[str]:
        return self.male + self.female + self.neutral

    @property
    def labels(self) -> np.ndarray:
        return np.r_[np.ones(len(self.male), int), np.zeros(len(self.female), int), -np.ones(len(self.neutral), int)]


@dataclass
class INLPResult:
    """What :func:`inlp_projection` learnt.

    Attributes
    ----------
    projection : ndarray of shape (dim, dim)
        P, onto the intersection of the classifiers' nullspaces.
    rowspace_projections : list of ndarray
        P_R(W_i) of each kept classifier.
    weights : list of ndarray
        W_i of each kept classifier (rows: its weight vectors).
    accuracies : list of float
        Dev accuracy of each iteration's classifier (on the vectors it was trained for).
    """
    projection: np.ndarray
    rowspace_projections: list = field(repr=False)
    weights: list = field(repr=False)
    accuracies: list


def rowspace_projection(w: np.ndarray) -> np.ndarray:
    """Orthogonal projection onto the rowspace of ``w`` (zero when ``w`` is)."""
    import scipy.linalg
    w = np.atleast_2d(w)
    if np.allclose(w, 0):
        return np.zeros((w.shape[1], w.shape[1]))
    basis = scipy.linalg.orth(w.T)
    return basis @ basis.T


def nullspace_intersection(rowspace_projections: list, dim: int) -> np.ndarray:
    """Projection onto the intersection of the nullspaces: I - P_R(sum of the P_R(W_i))."""
    if not rowspace_projections:
        return np.eye(dim)
    return np.eye(dim) - rowspace_projection(np.sum(rowspace_projections, axis=0))


def inlp_projection(x_train: np.ndarray, y_train: np.ndarray, x_dev: np.ndarray, y_dev: np.ndarray,
                    iterations: int = 35, min_accuracy: float = 0.0, seed: int = 0) -> INLPResult:
    """Learn INLP's projection (their ``get_debiasing_projection``, autoregressive, LinearSVC).

    Parameters
    ----------
    x_train, y_train, x_dev, y_dev : ndarray
        Vectors (rows) and labels.
    iterations : int, default 35
    min_accuracy : float, default 0
        A classifier whose dev accuracy is below this is not used.
    seed : int, default 0
        ``random_state`` of LinearSVC.
    """
    from sklearn.svm import LinearSVC
    dim = x_train.shape[1]
    xt, xd = x_train.copy(), x_dev.copy()
    rowspaces, weights, accuracies = [], [], []
    for _ in range(iterations):
        clf = LinearSVC(fit_intercept=False, class_weight=None, dual=False, random_state=seed)
        clf.fit(xt, y_train)
        acc = float(clf.score(xd, y_dev))
        accuracies.append(acc)
        if acc < min_accuracy:
            continue
        w = np.atleast_2d(clf.coef_)
        weights.append(w)
        rowspaces.append(rowspace_projection(w))
        p = nullspace_intersection(rowspaces, dim)
        xt, xd = x_train @ p.T, x_dev @ p.T
    return INLPResult(nullspace_intersection(rowspaces, dim), rowspaces, weights, accuracies)


def inlp_words(store: Embeddings, n_words: int = 7500, restrict_vocab: int | None = 150_000,
               pair: tuple[str, str] = ("he", "she"), neutral_below: float = 0.03, seed: int = 0) -> INLPWords:
    """The male, female and neutral words of INLP's word-embedding experiment (module docstring)."""
    missing = [w for w in pair if w not in store.index]
    if missing:
        raise DataError(f"{' and '.join(repr(w) for w in missing)} not in the store: INLP's gender direction is "
                        f"{pair[0]} - {pair[1]} (pair=...)")
    words = candidate_words(store, restrict_vocab)
    if len(words) < 3 * n_words:
        raise DataError(f"{len(words)} candidate words, fewer than the 3 x {n_words} (n_words) INLP needs")
    a, b = rows64(store, pair)
    d = a - b
    if not np.linalg.norm(d) > 0:
        raise DataError(f"{pair[0]} and {pair[1]} have the same vector: no gender direction")
    d = d / np.linalg.norm(d)
    scores = np.concatenate([unit_rows64(rows64(store, words[i:i + 65536])) @ d
                             for i in range(0, len(words), 65536)])
    order = np.argsort(-scores, kind="stable")
    male, female = order[:n_words], order[::-1][:n_words]
    taken = np.zeros(len(words), bool)
    taken[male] = taken[female] = True
    pool = np.flatnonzero((np.abs(scores) < neutral_below) & ~taken)
    if len(pool) < n_words:
        raise DataError(f"{len(pool)} words with |cos(w, {pair[0]} - {pair[1]})| < {neutral_below}, fewer than "
                        f"the {n_words} neutral words asked for (n_words)")
    neutral = np.sort(np.random.default_rng(seed).choice(pool, size=n_words, replace=False))
    chosen = np.r_[male, female, neutral]
    return INLPWords([words[i] for i in male], [words[i] for i in female], [words[i] for i in neutral],
                     scores[chosen])


def split_words(x: np.ndarray, y: np.ndarray, seed: int = 0):
    """Their split: 30% test, then 30% of the rest as dev. Returns train, dev, test as (x, y)."""
    from sklearn.model_selection import train_test_split
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.3, random_state=seed)
    x_train, x_dev, y_train, y_dev = train_test_split(x_rest, y_rest, test_size=0.3, random_state=seed)
    return (x_train, y_train), (x_dev, y_dev), (x_test, y_test)


#: Their iterations, and the dimension they ran them at (the default scales with the dimension).
PAPER_ITERATIONS, PAPER_DIM = 35, 300


def default_iterations(dim: int) -> int:
    """round(35 x dim / 300), at least 1: the paper's share of the dimensions removable."""
    return max(1, round(PAPER_ITERATIONS * dim / PAPER_DIM))


def inlp(store: Embeddings | str | os.PathLike, out: str | os.PathLike, *, iterations: int | None = None,
         n_words: int = 7500, restrict_vocab: int | None = 150_000, pair: tuple[str, str] = ("he", "she"),
         neutral_below: float = 0.03, min_accuracy: float = 0.0, seed: int = 0,
         overwrite: bool = False) -> Embeddings:
    """INLP on ``store`` into a new store at ``out`` (see the module docstring).

    Parameters
    ----------
    store : Embeddings or path
        The input; only read.
    out : path
        The store directory to create (refused when it is the input, or exists and not
        ``overwrite``).
    iterations : int, optional
        Classifiers trained; default :func:`default_iterations` of the store's dimension
        (their word-embedding experiment's 35 at dimension 300, 12 at 100).
    n_words : int, default 7500
        Male, female and neutral words each (their 7,500).
    restrict_vocab : int or None, default 150,000
        The words are chosen among this many most frequent candidate words.
    pair : (str, str), default ("he", "she")
        The gender direction is the difference of their vectors.
    neutral_below : float, default 0.03
        Neutral words have |cos(w, he - she)| below this.
    min_accuracy : float, default 0
        A classifier with a lower dev accuracy is not used.
    seed : int, default 0
        The neutral words' draw, the splits and LinearSVC's ``random_state``.
    overwrite : bool, default False

    Returns
    -------
    Embeddings
        The new store; ``meta["debias"]["accuracies"]`` holds the dev accuracy of each
        iteration and ``meta["debias"]["majority"]`` the majority class's share of dev.
    """
    if iterations is not None:
        Integer(1).check("iterations", iterations)
    Integer(1).check("n_words", n_words)
    Real(0, 1).check("neutral_below", neutral_below)
    Real(0, 1).check("min_accuracy", min_accuracy)
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ParameterError(f"pair must be two different words, not {pair!r}")
    store, out = open_for_output(store, out, overwrite)
    iterations = default_iterations(store.dim) if iterations is None else iterations
    chosen = inlp_words(store, n_words, restrict_vocab, tuple(pair), neutral_below, seed)
    (xt, yt), (xd, yd), _ = split_words(rows64(store, chosen.words), chosen.labels, seed)
    result = inlp_projection(xt, yt, xd, yd, iterations, min_accuracy, seed)
    p = result.projection
    majority = float(np.max(np.unique(yd, return_counts=True)[1]) / len(yd))
    removed = round(float(np.trace(np.eye(store.dim) - p)))
    if removed >= store.dim:
        raise DataError(f"INLP removed all {store.dim} dimensions in {iterations} iterations (each removes up to "
                        f"3): every vector would be zero; use fewer iterations (e.g. "
                        f"{default_iterations(store.dim)}, the paper's share of the dimensions)")
    info = {"method": "inlp", "source": str(store.path) if store.path else None, "iterations": iterations,
            "accuracies": result.accuracies, "majority": majority, "kept": len(result.weights),
            "rank_removed": removed, "seed": seed,
            "pair": list(pair), "neutral_below": neutral_below, "restrict_vocab": restrict_vocab,
            "words": {"male": len(chosen.male), "female": len(chosen.female), "neutral": len(chosen.neutral),
                      "train": len(yt), "dev": len(yd)},
            "classifier": "LinearSVC(fit_intercept=False, dual=False)", "projection_file": PROJECTION_FILE}

    def extra(directory):
        np.save(directory / PROJECTION_FILE, p)

    return write_store(store, out, overwrite, info, {"method": "inlp", "iterations": iterations},
                       lambda a, b, x: x @ p.T, extra=extra)
