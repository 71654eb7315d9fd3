"""Double-Hard Debias (Wang et al. 2020): remove a "frequency" direction, then hard-debias.

Word frequency shapes the leading principal components of an embedding, and it skews
the gender direction that hard debiasing finds. Double-Hard Debias first removes the
principal component whose removal best hides the gender of the most biased words, then
hard-debiases. As the authors' code (``GloVe_Debias.ipynb`` of uvavision/Double-Hard-Debias)
does, on the vectors as stored (not unit-normalised):

1. **Centre and PCA**: mu is the mean of every word vector; u_1..u_D are the first D
   (``components``, their loop: 20) principal components of the centred vectors, every
   word (computed from the covariance in row blocks, see
   :func:`~wordlab.debias._derived.principal_components`).
2. **Biased words**: the ``n_biased`` most male and most female words by
   cos(w, he) - cos(w, she) among Gonen and Goldberg's candidates (the ``restrict_vocab``
   most frequent lower-case alphabetic words shorter than 20 characters) without the
   gender-specific words (:func:`~wordlab.debias.residual.most_biased`). Their notebook
   takes 1,000 per side (``size=1000``), the default here.
3. **Choose the frequency direction**: for each u_i, the biased words and the words of
   the definitional pairs become w' = w - mu - (u_i . w) u_i (the projection taken on the
   uncentred w, as their code and the paper's Algorithm 1 write it); the gender direction
   g_i is the first principal component of the definitional pairs' centred differences
   of those w' (their ``doPCA``); every w' loses its component along g_i (their ``drop``;
   not renormalised), and 2-means (scikit-learn, ``random_state=seed``, 10 starts) clusters
   the biased words. The accuracy is max(a, 1 - a) for agreement a of clusters with sides.
   The chosen u_k has the lowest accuracy (the first on ties).
4. **Apply to every word**: w' = w - mu - (u_k . w) u_k, then hard debiasing as
   :mod:`~wordlab.debias.hard` does it on those w': unit length, the direction by PCA of
   the definitional pairs (unit w'), neutralise every word but the gender-specific and
   equalize-pair words, equalise the pairs. Every output row has unit length.

Their notebook stops after step 3 (the final vectors were released, not the code that
made them), so step 4 follows the paper: "HardDebias" is Bolukbasi et al.'s, with
equalisation, done here exactly as ``wordlab debias hard`` does it.

``meta["debias"]`` records the accuracy for every component, the chosen one, its vector
and the mean, beside what hard debiasing records (direction, neutralised count,
gender-specific words found, equalised pairs).

References
----------
Wang, Lin, Rajani, McCann, Ordonez and Xiong (2020). Double-Hard Debias: Tailoring Word
Embeddings for Gender Bias Mitigation. ACL, section 4 and Algorithm 1.
"""
from __future__ import annotations

import os
from typing import Iterable, Sequence

import numpy as np

from ..errors import DataError
from ..params import Integer
from ..store import Embeddings
from ._derived import open_for_output, principal_components, rows64, write_store
from .direction import direction_of_rows, unit_rows64
from .hard import _list_record, _neutralise_rows, equalize_candidates, equalize_pair
from .residual import most_biased
from .wordlists import (
    DEFINITIONAL_PAIRS,
    MAX_MISSING,
    as_pairs,
    as_words,
    find_pairs,
    find_words,
)


def _drop(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rows of ``x`` without their component along ``v`` (their ``drop``; not renormalised)."""
    return x - np.outer(x @ v, v) / float(v @ v)


def remove_frequency(x: np.ndarray, mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """w - mu - (u . w) u for each row w of ``x`` (unit ``u``; the projection on w, uncentred)."""
    return x - mean - np.outer(x @ u, u)


def pair_direction_raw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """First principal component of the pairs' centred differences, rows as they are
    (their ``doPCA``: no unit length); a unit vector of arbitrary sign."""
    centre = (a + b) / 2
    rows = np.concatenate([a - centre, b - centre])
    rows -= rows.mean(axis=0)
    _, s, vt = np.linalg.svd(rows, full_matrices=False)
    if s[0] == 0:
        raise DataError("the definitional pairs have identical vectors: no direction")
    return vt[0]


def cluster_accuracy_of_rows(x: np.ndarray, labels: np.ndarray, seed: int = 0, n_init: int = 10) -> float:
    """max(a, 1 - a) for the agreement a of 2-means clusters of the rows with ``labels``."""
    from sklearn.cluster import KMeans
    pred = KMeans(n_clusters=2, random_state=seed, n_init=n_init).fit_predict(x)
    agree = float(np.mean(pred == np.asarray(labels)))
    return max(agree, 1.0 - agree)


def component_accuracies(biased: np.ndarray, labels: np.ndarray, pair_a: np.ndarray, pair_b: np.ndarray,
                         mean: np.ndarray, components: np.ndarray, seed: int = 0) -> list[float]:
    """Step 3 of the module docstring: the clustering accuracy of the biased words (rows
    ``biased``, sides ``labels``) after removing each component and hard-debiasing."""
    out = []
    for u in components:
        a, b = remove_frequency(pair_a, mean, u), remove_frequency(pair_b, mean, u)
        g = pair_direction_raw(a, b)
        x = _drop(remove_frequency(biased, mean, u), g)
        out.append(cluster_accuracy_of_rows(x, labels, seed=seed))
    return out


def double_hard_debias(store: Embeddings | str | os.PathLike, out: str | os.PathLike, *,
                       equalize: str | os.PathLike | Iterable[Sequence[str]],
                       gender_specific: str | os.PathLike | Iterable[str],
                       definitional: str | os.PathLike | Iterable[Sequence[str]] = DEFINITIONAL_PAIRS,
                       components: int = 20, n_biased: int = 1000, restrict_vocab: int | None = 50_000,
                       seed: int = 0, max_missing: float | None = MAX_MISSING,
                       overwrite: bool = False) -> Embeddings:
    """Double-Hard Debias ``store`` into a new store at ``out`` (see the module docstring).

    Parameters
    ----------
    store : Embeddings or path
        The input; only read.
    out : path
        The store directory to create (refused when it is the input, or exists and not
        ``overwrite``).
    equalize : pairs, path, or debiaswe list name (``"equalize_pairs"``)
        Pairs to equalise (lower, Title and UPPER case tried, as hard debiasing does).
    gender_specific : words, path, or debiaswe list name (``"gender_specific_full"``)
        Words left on the direction, and not candidates for the biased words.
    definitional : pairs, path, or list name, default DEFINITIONAL_PAIRS
        Pairs that define the gender direction (each time it is found).
    components : int, default 20
        D: the principal components tried (their notebook's loop).
    n_biased : int, default 1000
        Biased words per side (their notebook's ``size``).
    restrict_vocab : int or None, default 50,000
        The biased words are among this many most frequent words.
    seed : int, default 0
        ``random_state`` of the k-means runs.
    max_missing : float or None, default 0.5
        Refuse when a larger share of the definitional or equalize pairs is missing.
    overwrite : bool, default False

    Returns
    -------
    Embeddings
        The new store (unit rows); ``meta["debias"]["accuracies"]`` holds the clustering
        accuracy per component and ``meta["debias"]["component"]`` the one removed.
    """
    Integer(1).check("components", components)
    Integer(1).check("n_biased", n_biased)
    store, out = open_for_output(store, out, overwrite)
    missing = [w for w in ("he", "she") if w not in store.index]
    if missing:
        raise DataError(f"{' and '.join(repr(w) for w in missing)} not in the store: Double-Hard Debias picks the "
                        "biased words by cos(w, he) - cos(w, she)")
    lists = {}
    given, definitional = definitional, as_pairs(definitional)
    lists["definitional"] = _list_record(given, definitional)
    given, gender_specific = gender_specific, as_words(gender_specific)
    lists["gender_specific"] = _list_record(given, gender_specific)
    given, equalize = equalize, as_pairs(equalize)
    lists["equalize"] = _list_record(given, equalize)

    pairs = find_pairs(store, definitional, name="definitional pairs", max_missing=max_missing)
    specific = find_words(store, gender_specific, name="gender-specific words", fold_case=False,
                          max_missing=None, warn=False)
    eq_pairs, eq_cov, skipped = equalize_candidates(store, equalize, max_missing)
    biased = most_biased(store, n=n_biased, restrict_vocab=restrict_vocab, exclude=gender_specific)

    mean, comps, ratio = principal_components(store, components)
    pair_a = rows64(store, [a for a, _ in pairs.found])
    pair_b = rows64(store, [b for _, b in pairs.found])
    # their order: the female side by increasing bias, then the male side by increasing bias
    words = biased.negative + biased.positive[::-1]
    labels = np.r_[np.zeros(len(biased.negative), int), np.ones(len(biased.positive), int)]
    accuracies = component_accuracies(rows64(store, words), labels, pair_a, pair_b, mean, comps, seed=seed)
    k = int(np.argmin(accuracies))
    u = comps[k]

    # Hard debiasing of w' = w - mu - (u.w) u, as hard_debias does it on a store.
    direction = direction_of_rows(unit_rows64(remove_frequency(pair_a, mean, u)),
                                  unit_rows64(remove_frequency(pair_b, mean, u)), "pca", 10,
                                  list(pairs.found), pairs, stacklevel=2)
    g = direction.vector
    index = store.index
    neutral = np.ones(len(store), dtype=bool)
    neutral[[index[w] for w in specific.found]] = False
    eq_rows = [(index[a], index[b]) for a, b in eq_pairs]
    for ia, ib in eq_rows:
        neutral[[ia, ib]] = False

    def rows(a, b, x):
        x = unit_rows64(remove_frequency(x, mean, u))
        mask = neutral[a:b]
        if mask.any():
            x[mask] = _neutralise_rows(x[mask], g)
        return x

    fixed = []
    for ia, ib in eq_rows:
        ua, ub = unit_rows64(remove_frequency(np.asarray(store.vectors[[ia, ib]], dtype=np.float64), mean, u))
        va, vb = equalize_pair(ua, ub, g)
        fixed += [(ia, va), (ib, vb)]
    info = {
        "method": "double-hard", "source": str(store.path) if store.path else None,
        "components": components, "explained_variance_ratio": ratio.tolist(), "accuracies": accuracies,
        "component": k, "frequency_direction": u.tolist(), "mean": mean.tolist(), "seed": seed,
        "biased_words": {"per_side": n_biased, "restrict_vocab": restrict_vocab, "measure": biased.measure},
        "direction": direction.to_dict(), "neutralised": int(neutral.sum()),
        "gender_specific": {**specific.to_dict(), "found_words": specific.found}, "equalize": eq_cov.to_dict(),
        "equalized": [list(p) for p in eq_pairs], "skipped": [list(p) for p in skipped]}
    return write_store(store, out, overwrite, info,
                       {"method": "double-hard", "lists": lists, "component": k}, rows, fixed)
