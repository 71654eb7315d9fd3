"""Hard debiasing (Bolukbasi et al. 2016): neutralise, then equalise, into a new store.

Given a bias direction g (see :mod:`wordlab.debias.direction`), every vector is first
scaled to unit length (as debiaswe loads its embeddings), then:

- **Neutralise**: every word that is neither gender-specific nor part of an equalize
  pair becomes w := (w - (w.g) g) / |w - (w.g) g|: it has no component along g.
- **Equalise**: each equalize pair (a, b), tried in its lower-case, Title-case and
  UPPER-case forms (as debiaswe does; the pair as written too), is moved to be
  symmetric about the neutral axis: with mu = (a + b) / 2 and nu = mu - (mu.g) g,

      a := nu + sqrt(1 - |nu|^2) s g,    b := nu - sqrt(1 - |nu|^2) s g,

  where s = sign((a - b).g) keeps each word on its side (the paper's
  (w_B - mu_B) / |w_B - mu_B| for one direction). Both stay unit vectors, and every
  neutralised word w is at the same distance from a and from b, since w.a = w.nu = w.b.

Every output vector has unit length (zero rows stay zero), as in debiaswe.

Differences from debiaswe's ``debias.py``, on purpose: the words of equalize pairs are
equalised from their original vectors, not neutralised first (debiaswe neutralises a
pair word missing from the gender-specific list and then equalises it, when its
component along g, and so its side, is already gone); a word in two equalize pairs is
equalised once, with the first pair, and the other pair is reported as skipped
(debiaswe's result then depends on set order). Soft debiasing (the paper's second
method) is not implemented.

The output is a new store written block by block into a memory-mapped
``vectors.npy`` under a temporary name and renamed when complete; the input store is
only read (not even its ``unit_vectors.npy`` is created).

References
----------
Bolukbasi, Chang, Zou, Saligrama and Kalai (2016). Man is to computer programmer as
woman is to homemaker? Debiasing word embeddings. NeurIPS, section 5 (hard debiasing).
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import ParameterError
from ..store import Embeddings
from ..store.writer import derived_meta, derived_provenance, store_directory
from ._derived import open_for_output
from .direction import BiasDirection, bias_direction, unit_rows64
from .wordlists import (
    DEBIASWE_LISTS,
    DEFINITIONAL_PAIRS,
    MAX_MISSING,
    Coverage,
    MissingWordsWarning,
    as_pairs,
    as_words,
    find_words,
)

_BLOCK_ROWS = 65536


def _variants(a: str, b: str) -> list[tuple[str, str]]:
    # debiaswe tries each equalize pair in lower, Title and UPPER case; the pair as
    # written is tried too (Title case of "Catholic_priest" is "Catholic_Priest").
    return list(dict.fromkeys([(a, b), (a.lower(), b.lower()), (a.title(), b.title()), (a.upper(), b.upper())]))


def equalize_candidates(store: Embeddings, pairs: Iterable[Sequence[str]],
                        max_missing: float | None = MAX_MISSING) -> tuple[list[tuple[str, str]], Coverage, list]:
    """The case variants of the equalize ``pairs`` present in ``store``.

    Returns
    -------
    variants : list of (str, str)
        Pairs to equalise, each word in at most one pair.
    coverage : Coverage
        Given pairs with at least one variant present (found) or none (missing); checked
        against ``max_missing``. Pairs equal but for case and order (debiaswe lists both
        ``dad/mom`` and ``Dad/Mom``) have the same variants and count once.
    skipped : list of (str, str)
        Variants present but sharing a word with an earlier pair.
    """
    variants: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    used: set[str] = set()
    seen: set[frozenset] = set()
    groups: dict[frozenset, list] = {}     # lower-cased pair -> [first spelling, found]
    index = store.index
    for a, b in as_pairs(pairs):
        present = [(x, y) for x, y in _variants(a, b) if x in index and y in index and x != y]
        group = groups.setdefault(frozenset((a.lower(), b.lower())), [(a, b), False])
        group[1] = group[1] or bool(present)
        for x, y in present:
            key = frozenset((x, y))
            if key in seen:
                continue
            seen.add(key)
            if x in used or y in used:
                skipped.append((x, y))
                continue
            used.update((x, y))
            variants.append((x, y))
    cov = Coverage("equalize pairs", [p for p, found in groups.values() if found],
                   [p for p, found in groups.values() if not found])
    cov.check(max_missing)
    if skipped:
        warnings.warn(f"equalize pairs sharing a word with an earlier pair were skipped: "
                      f"{', '.join('/'.join(p) for p in skipped[:8])}", MissingWordsWarning, stacklevel=3)
    return variants, cov, skipped


def _neutralise_rows(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Remove the component along unit ``g`` from rows of ``x`` and renormalise (in place)."""
    x -= np.outer(x @ g, g)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


def equalize_pair(a: np.ndarray, b: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equalise one pair of unit vectors about the axis orthogonal to unit ``g``.

    Parameters
    ----------
    a, b : ndarray of shape (dim,)
        Unit vectors.
    g : ndarray of shape (dim,)
        Unit bias direction.

    Returns
    -------
    (a', b') : unit vectors nu +- sqrt(1 - |nu|^2) s g with nu the mean of a and b
    without its component along g, and s = sign((a - b).g) (+1 when zero).
    """
    mu = (a + b) / 2
    nu = mu - (mu @ g) * g
    z = np.sqrt(max(0.0, 1.0 - float(nu @ nu)))
    s = -1.0 if float((a - b) @ g) < 0 else 1.0
    return nu + s * z * g, nu - s * z * g


def _list_record(given, items: list) -> dict:
    """How a word or pair list was given (a debiaswe name, a file, or inline) and a digest
    of its entries: the provenance of a debiased store."""
    import hashlib
    import json
    if isinstance(given, str) and given in DEBIASWE_LISTS:
        source = f"debiaswe:{given}"
    elif isinstance(given, (str, os.PathLike)):
        source = str(Path(given).resolve())
    else:
        source = "inline"
    digest = hashlib.sha256(json.dumps([list(i) if isinstance(i, tuple) else i for i in items]).encode()).hexdigest()
    return {"given": source, "entries": len(items), "sha256": digest[:16]}


def hard_debias(store: Embeddings | str | os.PathLike, out: str | os.PathLike, *,
                equalize: str | os.PathLike | Iterable[Sequence[str]],
                gender_specific: str | os.PathLike | Iterable[str],
                definitional: str | os.PathLike | Iterable[Sequence[str]] = DEFINITIONAL_PAIRS,
                direction: BiasDirection | np.ndarray | None = None, method: str = "pca",
                max_missing: float | None = MAX_MISSING, overwrite: bool = False) -> Embeddings:
    """Hard-debias ``store`` into a new store at ``out`` (see the module docstring).

    Parameters
    ----------
    store : Embeddings or path
        The input; only read.
    out : path
        The store directory to create (refused when it is the input, or exists and not
        ``overwrite``).
    equalize : pairs, path, or debiaswe list name (``"equalize_pairs"``)
        Pairs to equalise; each is tried in lower, Title and UPPER case.
    gender_specific : words, path, or debiaswe list name (``"gender_specific_full"``)
        Words left as they are (only renormalised). Matched exactly, as debiaswe does;
        words absent from the store are reported but not counted against
        ``max_missing`` (an absent word needs no protection).
    definitional : pairs, path, or list name, default DEFINITIONAL_PAIRS
        Pairs that define the direction (ignored when ``direction`` is given).
    direction : BiasDirection or ndarray of shape (dim,), optional
        Use this direction instead of finding it.
    method : {"pca", "sum", "pair"}, default "pca"
        How to find the direction (:func:`~wordlab.debias.direction.bias_direction`).
    max_missing : float or None, default 0.5
        Refuse when a larger share of the definitional or equalize pairs is missing.
    overwrite : bool, default False

    Returns
    -------
    Embeddings
        The new store (memory-mapped, unit-length rows); ``meta["debias"]`` records the
        direction, the counts of neutralised and equalised words and the missing words.
    """
    store, out = open_for_output(store, out, overwrite)
    lists = {"definitional": None}
    if direction is None:
        given, definitional = definitional, as_pairs(definitional)
        lists["definitional"] = _list_record(given, definitional)
        direction = bias_direction(store, definitional, method=method, max_missing=max_missing)
    elif not isinstance(direction, BiasDirection):
        direction = BiasDirection(np.asarray(direction, dtype=np.float64))
    if direction.dim != store.dim:
        raise ParameterError(f"the direction has dimension {direction.dim}, the store {store.dim}")
    g = direction.vector
    given, gender_specific = gender_specific, as_words(gender_specific)
    lists["gender_specific"] = _list_record(given, gender_specific)
    given, equalize = equalize, as_pairs(equalize)
    lists["equalize"] = _list_record(given, equalize)
    specific = find_words(store, gender_specific, name="gender-specific words", fold_case=False,
                          max_missing=None, warn=False)
    pairs, eq_cov, skipped = equalize_candidates(store, equalize, max_missing)

    n = len(store)
    index = store.index
    neutral = np.ones(n, dtype=bool)
    neutral[[index[w] for w in specific.found]] = False
    eq_rows = [(index[a], index[b]) for a, b in pairs]
    for ia, ib in eq_rows:
        neutral[[ia, ib]] = False

    meta = derived_meta(store.meta)
    meta["debias"] = {
        "method": "hard", "source": str(store.path) if store.path else None,
        "direction": direction.to_dict(), "neutralised": int(neutral.sum()),
        "gender_specific": {**specific.to_dict(), "found_words": specific.found}, "equalize": eq_cov.to_dict(),
        "equalized": [list(p) for p in pairs], "skipped": [list(p) for p in skipped]}
    with store_directory(out, overwrite) as builder:
        target = builder.create_vectors(n, store.dim)
        for a in range(0, n, _BLOCK_ROWS):
            b = min(a + _BLOCK_ROWS, n)
            x = unit_rows64(store.vectors[a:b])
            mask = neutral[a:b]
            if mask.any():
                x[mask] = _neutralise_rows(x[mask], g)
            target[a:b] = x
        for ia, ib in eq_rows:
            ua, ub = unit_rows64(store.vectors[[ia, ib]])
            target[ia], target[ib] = equalize_pair(ua, ub, g)
        target.flush()
        del target
        builder.write_vocab(store.words, store.counts)
        builder.finish(meta, derived_provenance("debiased", store, method="hard", lists=lists,
                                                direction=direction.method))
    return Embeddings.open(out)


