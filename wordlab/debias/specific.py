"""Learning the gender-specific words (Bolukbasi et al. 2016), as debiaswe's
``learn_gender_specific.py`` does.

Hard debiasing leaves gender-specific words (``king``, ``actress``...) on the bias
direction. debiaswe grows its 218 seed words (``gender_specific_seed``) into a full list
with a linear classifier:

- **Seed words**: the store's words that are seed words, and, among the ``n_train``
  most frequent words, those whose lower-case form is one (``King``).
- **Training**: every word among the ``n_train`` (50,000, their command line's) most
  frequent, and every seed word, labelled 1 when it is a seed word and 0 otherwise; a
  scikit-learn ``LinearSVC(C=1.0, tol=1e-4)`` (squared hinge loss, no class weights: the
  weights their script computes are only used to report the training error, and then
  overwritten with uniform ones) on the unit vectors. ``dual=True`` is their solver
  (scikit-learn's default when they wrote it), seeded with ``random_state=seed``.
- **Classifying**: every word among the ``n_classify`` most frequent (default: every
  word, as they do) with w.coef > -intercept is gender-specific.

The learned list is the union of those and the seed words, in the store's (frequency)
order, ready for :func:`~wordlab.debias.hard.hard_debias`'s ``gender_specific``.

References
----------
Bolukbasi, Chang, Zou, Saligrama and Kalai (2016). Man is to computer programmer as
woman is to homemaker? Debiasing word embeddings. NeurIPS, section 5 and appendix; and
debiaswe's ``learn_gender_specific.py``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ..errors import DataError, ParameterError
from .direction import unit_rows64
from .wordlists import MAX_MISSING, Coverage, as_words

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings

_BLOCK_ROWS = 65536


@dataclass
class LearnedSpecific:
    """The gender-specific words learned from a seed list.

    Attributes
    ----------
    words : list of str
        Seed words and words classified as gender-specific, in the store's order.
    seed : list of str
        The seed words as found in the store (case variants included).
    added : list of str
        Words the classifier added (in ``words``, not in ``seed``).
    scores : pandas.Series
        The classifier's decision function (w.coef + intercept; positive means
        gender-specific) of every classified word, in the store's order.
    training_error : float
        Share of the training words the classifier gets wrong.
    n_train : int
        Training words (the ``n_train`` most frequent and the seed words beyond them).
    coverage : Coverage
        Which of the given seed words are in the store (as spelled, or, among the
        ``n_train`` most frequent words, as the lower-case form of a word).
    """
    words: list
    seed: list
    added: list
    scores: "pd.Series" = field(repr=False)
    training_error: float = 0.0
    n_train: int = 0
    coverage: Coverage | None = field(default=None, repr=False)


def learn_gender_specific(store: "Embeddings", seed_words: str | os.PathLike | Iterable[str] = "gender_specific_seed",
                          n_train: int = 50_000, n_classify: int | None = None, seed: int = 0, C: float = 1.0,
                          max_missing: float | None = MAX_MISSING) -> LearnedSpecific:
    """Grow ``seed_words`` into a list of gender-specific words with a linear SVM.

    Parameters
    ----------
    store : Embeddings
    seed_words : words, path or debiaswe list name, default "gender_specific_seed"
        The positive examples (debiaswe's 218 seed words by default).
    n_train : int, default 50,000
        The most frequent words trained on (debiaswe's ``NUM_TRAINING``).
    n_classify : int or None, default None
        The most frequent words classified; None: every word (as debiaswe).
    seed : int, default 0
        ``random_state`` of LinearSVC's dual coordinate descent.
    C : float, default 1.0
        LinearSVC's regularisation (theirs: 1.0).
    max_missing : float or None, default 0.5
        Refuse (:class:`~wordlab.debias.wordlists.MissingWordsError`) when a larger share
        of the seed words is not in the store.

    Returns
    -------
    LearnedSpecific
    """
    import pandas as pd
    from sklearn.svm import LinearSVC
    if n_train < 1:
        raise ParameterError(f"n_train must be at least 1, not {n_train}")
    if n_classify is not None and n_classify < 1:
        raise ParameterError(f"n_classify must be at least 1, not {n_classify}")
    given = as_words(seed_words)
    seeds = set(given)
    words = store.words
    found = [i for i, w in enumerate(words) if w in seeds or (i < n_train and w.lower() in seeds)]
    matched = {words[i] if words[i] in seeds else words[i].lower() for i in found}
    name = f"seed words {seed_words}" if isinstance(seed_words, (str, os.PathLike)) else "seed words"
    coverage = Coverage(name, [w for w in given if w in matched], [w for w in given if w not in matched])
    coverage.check(max_missing)
    found_set = set(found)
    train = sorted(set(range(min(n_train, len(words)))) | found_set)
    y = np.array([1 if i in found_set else 0 for i in train])
    if y.all() or not y.any():
        raise DataError(f"the {len(train):,} training words are all {'seed' if y.all() else 'non-seed'} words: "
                        "the classifier needs both (a larger n_train, or other seed words)")
    x = unit_rows64(store.vectors[train])
    clf = LinearSVC(C=C, tol=1e-4, dual=True, random_state=seed).fit(x, y)
    error = float(1.0 - np.mean(clf.predict(x) == y))
    coef, intercept = clf.coef_[0], float(clf.intercept_[0])
    limit = len(words) if n_classify is None else min(n_classify, len(words))
    scores = np.concatenate([unit_rows64(store.vectors[a:min(limit, a + _BLOCK_ROWS)]) @ coef
                             for a in range(0, limit, _BLOCK_ROWS)]) if limit else np.zeros(0)
    specific = set(np.flatnonzero(scores > -intercept).tolist()) | found_set
    learned = [words[i] for i in sorted(specific)]
    seed_list = [words[i] for i in found]
    added = [words[i] for i in sorted(specific - found_set)]
    return LearnedSpecific(learned, seed_list, added, pd.Series(scores + intercept, index=list(words[:limit]),
                                                                name="decision_function"),
                           error, len(train), coverage)
