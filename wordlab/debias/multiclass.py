"""Multiclass hard debiasing (Manzini et al. 2019): Bolukbasi's neutralise and equalise
for attributes with more than two classes (religion, race), over a k-dimensional subspace.

As the authors' code (``Debiasing/biasOps.py`` and ``debias.py`` of
TManzini/DebiasMulticlassWordEmbedding) does it:

- **Bias subspace** (:func:`bias_subspace`): each defining set (e.g. judaism /
  christianity / islam) is centred on its own mean, on the vectors as stored (their code
  does not normalise them first); the centred vectors of all sets are stacked and the
  first ``k`` principal components (their ``-k``, default 1; their README's religion
  example uses 2) span the subspace B. Words of a set missing from the store are
  dropped from it, as their code does; a set left with fewer than two words is missing.
- **Neutralise**: every vector is scaled to unit length (their ``normalize``); each
  neutral word w becomes (w - w_B) / |w - w_B|, w_B its projection onto B. Their script
  neutralises the words of its analogy templates; here the neutral words are, by
  default, every word outside the defining and equalize sets (Bolukbasi et al.'s
  choice), or the ``neutral`` list given.
- **Equalise** each equalize set (their script equalises the defining sets, the default
  here): with mu the mean of the set's current vectors, mu_B its projection onto B and
  nu = mu - mu_B, each member w becomes nu + sqrt(1 - |nu|^2) (w_B - mu_B) / |w_B - mu_B|.
  Every member is then a unit vector, and every neutralised word n is equally similar to
  all members (n . w = n . nu). Sets are equalised in order from the current vectors, as
  in their loop: a word in two sets is moved again by the later one (which undoes the
  earlier set's equality for it; reported as a warning and in ``meta["debias"]["repeated"]``).

Every output row has unit length. The sets of their repository's religion and race
vocabularies ("definite_sets" of ``religion_attributes_optm.json`` and
``race_attributes_optm.json``) are built in (:data:`MULTICLASS_SETS`); other sets are
read from a file with one set per line (words separated by whitespace or commas), a JSON
list of lists, or their JSON files (the ``"definite_sets"`` entry).

References
----------
Manzini, Lim, Tsvetkov and Black (2019). Black is to Criminal as Caucasian is to Police:
Detecting and Removing Multiclass Bias in Word Embeddings. NAACL, section 3.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import DataError, InputFormatError, ParameterError
from ..params import Integer
from ..store import Embeddings
from ._derived import open_for_output, rows64, write_store
from .direction import unit_rows64
from .hard import _list_record
from .wordlists import (
    MAX_MISSING,
    Coverage,
    MissingWordsWarning,
    _check_word,
    _first_line,
    _is_json,
    _parse_json,
    _read_text,
    _text_lines,
    as_words,
    find_words,
    lookup,
)

#: The defining sets of Manzini et al.'s religion and race vocabularies ("definite_sets").
MULTICLASS_SETS: dict[str, tuple[tuple[str, ...], ...]] = {
    "religion": (("judaism", "christianity", "islam"), ("jew", "christian", "muslim"),
                 ("synagogue", "church", "mosque"), ("torah", "bible", "quran"), ("rabbi", "priest", "imam")),
    "race": (("black", "caucasian", "asian"), ("african", "caucasian", "asian"), ("black", "white", "asian"),
             ("africa", "america", "asia"), ("africa", "america", "china"), ("africa", "europe", "asia")),
}


@dataclass
class BiasSubspace:
    """A k-dimensional bias subspace and how it was found.

    Attributes
    ----------
    components : ndarray of shape (k, dim)
        Orthonormal rows spanning it (principal components, by decreasing variance).
    explained_variance_ratio : ndarray of shape (k,)
        Share of the centred set vectors' variance of each component.
    sets : list of tuple of str
        The defining sets used, as spelled in the store (missing words dropped).
    coverage : Coverage or None
        Which of the given sets were used.
    """
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    sets: list = field(default_factory=list)
    coverage: Coverage | None = None

    @property
    def k(self) -> int:
        return int(self.components.shape[0])

    def project(self, x: np.ndarray) -> np.ndarray:
        """The projection of each row of ``x`` onto the subspace."""
        return (x @ self.components.T) @ self.components

    def to_dict(self) -> dict:
        return {"k": self.k, "components": self.components.tolist(),
                "explained_variance_ratio": self.explained_variance_ratio.tolist(),
                "sets": [list(s) for s in self.sets]}


# -- sets ---------------------------------------------------------------------------------------
def _check_set(words: list, path: Path, where: str) -> tuple[str, ...]:
    if len(words) < 2:
        raise InputFormatError(f"{path}, {where}: a set needs at least two words, found {len(words)}")
    if len(set(words)) != len(words):
        raise InputFormatError(f"{path}, {where}: the set has a word twice: {words!r}")
    return tuple(words)


def read_sets(path: str | os.PathLike) -> list[tuple[str, ...]]:
    """Read word sets: one set per line (words separated by whitespace or commas; ``#``
    comments), a JSON list of lists, or a JSON object with a ``"definite_sets"`` list
    (Manzini et al.'s vocabulary files). Errors name the file and the line or item."""
    path = Path(path)
    text = _read_text(path)
    sets: list[tuple[str, ...]] = []
    if path.suffix.lower() == ".json" or _is_json(path, text) or text.lstrip().startswith("{"):
        data = _parse_json(path, text)
        if isinstance(data, dict):
            if "definite_sets" not in data:
                raise InputFormatError(f"{path}, line {_first_line(text)}: a JSON object needs a "
                                       "\"definite_sets\" list (Manzini et al.'s format)")
            data = data["definite_sets"]
        if not isinstance(data, list):
            raise InputFormatError(f"{path}, line {_first_line(text)}: expected a JSON list of word lists, "
                                   f"found {type(data).__name__}")
        for i, item in enumerate(data, 1):
            where = f"item {i}"
            if not isinstance(item, list):
                raise InputFormatError(f"{path}, {where}: expected a list of words, found {item!r}")
            sets.append(_check_set([_check_word(w, path, where) for w in item], path, where))
    else:
        for number, content in _text_lines(text):
            sets.append(_check_set(content.replace(",", " ").split(), path, f"line {number}"))
    if not sets:
        raise InputFormatError(f"{path}: no word sets")
    return list(dict.fromkeys(sets))


def as_sets(sets: str | os.PathLike | Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    """Word sets given as sets, a file path, or a built-in name (``religion``, ``race``)."""
    if isinstance(sets, str) and sets in MULTICLASS_SETS:
        return list(MULTICLASS_SETS[sets])
    if isinstance(sets, (str, os.PathLike)):
        return read_sets(sets)
    out = []
    for s in sets:
        if isinstance(s, str) or len(s) < 2 or len(set(s)) != len(s):
            raise ParameterError(f"expected sets of at least two different words, found {s!r}")
        out.append(tuple(str(w) for w in s))
    return list(dict.fromkeys(out))


def find_sets(store: Embeddings, sets: Iterable[Sequence[str]], name: str = "word sets", fold_case: bool = True,
              max_missing: float | None = MAX_MISSING) -> Coverage:
    """Find word sets in ``store``: a set's missing words are dropped (and reported); a set
    with fewer than two words left is missing. Checked against ``max_missing``."""
    cov = Coverage(name)
    dropped = []
    for s in sets:
        found = list(dict.fromkeys(f for f in (lookup(store, w, fold_case) for w in s) if f is not None))
        dropped += [w for w in s if lookup(store, w, fold_case) is None]
        if len(found) < 2:
            cov.missing.append(tuple(s))
        else:
            cov.found.append(tuple(found))
    cov.check(max_missing)
    present = [w for w in dict.fromkeys(dropped) if not any(w in m for m in cov.missing)]
    if present:
        warnings.warn(f"{name}: {len(present)} word(s) not in the store, dropped from their sets: "
                      f"{', '.join(present[:8])}{' ...' if len(present) > 8 else ''}", MissingWordsWarning,
                      stacklevel=3)
    return cov


# -- the method ---------------------------------------------------------------------------------
def subspace_of_sets(sets: list[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """First ``k`` principal components of the sets' rows, each set centred on its mean
    (their ``identify_bias_subspace``). Returns (components (k, dim), explained variance ratio)."""
    rows = np.concatenate([s - s.mean(axis=0) for s in sets])
    rows -= rows.mean(axis=0)        # already zero; as PCA does
    _, s, vt = np.linalg.svd(rows, full_matrices=False)
    rank = int(np.sum(s > s[0] * 1e-10)) if s.size and s[0] > 0 else 0
    if k > rank:
        raise ParameterError(f"k = {k} but the defining sets span {rank} dimension(s) "
                             f"({len(rows)} centred vectors in {len(sets)} sets)")
    return vt[:k].copy(), (s[:k] ** 2) / float(np.sum(s ** 2))


def bias_subspace(store: Embeddings, defining_sets: str | os.PathLike | Iterable[Sequence[str]], k: int = 1,
                  fold_case: bool = True, max_missing: float | None = MAX_MISSING) -> BiasSubspace:
    """The k-dimensional bias subspace of ``store`` from its defining sets (module docstring)."""
    Integer(1).check("k", k)
    cov = find_sets(store, as_sets(defining_sets), "defining sets", fold_case, max_missing)
    components, ratio = subspace_of_sets([rows64(store, s) for s in cov.found], k)
    return BiasSubspace(components, ratio, list(cov.found), cov)


def equalize_set(x: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Equalise the rows of ``x`` (unit vectors of one set) over the subspace spanned by the
    orthonormal rows of ``components``: nu + sqrt(1 - |nu|^2) (w_B - mu_B) / |w_B - mu_B|."""
    mu = x.mean(axis=0)
    mu_b = (mu @ components.T) @ components
    nu = mu - mu_b
    w_b = (x @ components.T) @ components
    diff = w_b - mu_b
    norms = np.linalg.norm(diff, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise DataError("a word of an equalize set has the same projection on the subspace as the set's mean: "
                        "its side is undefined")
    return nu + np.sqrt(max(0.0, 1.0 - float(nu @ nu))) * diff / norms


def _sets_record(given) -> dict:
    """How sets were given (built-in name, file, inline) and a digest of them."""
    record = _list_record(given if isinstance(given, (str, os.PathLike)) else None,
                          [list(s) for s in as_sets(given)])
    if isinstance(given, str) and given in MULTICLASS_SETS:
        record["given"] = f"manzini:{given}"
    return record


def _neutralise(x: np.ndarray, components: np.ndarray) -> np.ndarray:
    x = x - (x @ components.T) @ components
    return unit_rows64(x)


def multiclass_debias(store: Embeddings | str | os.PathLike, out: str | os.PathLike, *,
                      defining_sets: str | os.PathLike | Iterable[Sequence[str]],
                      equalize_sets: str | os.PathLike | Iterable[Sequence[str]] | None = None, k: int = 1,
                      neutral: str | os.PathLike | Iterable[str] | None = None, fold_case: bool = True,
                      max_missing: float | None = MAX_MISSING, overwrite: bool = False) -> Embeddings:
    """Multiclass hard debiasing of ``store`` into a new store at ``out`` (module docstring).

    Parameters
    ----------
    store : Embeddings or path
        The input; only read.
    out : path
        The store directory to create (refused when it is the input, or exists and not
        ``overwrite``).
    defining_sets : sets, path, or built-in name (``"religion"``, ``"race"``)
        The sets whose centred vectors define the subspace.
    equalize_sets : sets, path, or built-in name, optional
        Sets to equalise, in order (default: the defining sets, as their script does).
    k : int, default 1
        Dimension of the subspace (their default; 2 in their religion example).
    neutral : words or path, optional
        The words to neutralise (default: every word outside the defining and equalize
        sets). Words absent from the store are reported, never refused.
    fold_case : bool, default True
        Look a set's word up lower-cased when it is not in the store as given.
    max_missing : float or None, default 0.5
        Refuse when a larger share of the defining or equalize sets is missing.
    overwrite : bool, default False

    Returns
    -------
    Embeddings
        The new store (unit rows); ``meta["debias"]["subspace"]`` holds B.
    """
    store, out = open_for_output(store, out, overwrite)
    lists = {"defining": _sets_record(defining_sets)}
    sub = bias_subspace(store, defining_sets, k, fold_case, max_missing)
    if equalize_sets is None:
        eq_cov, lists["equalize"] = sub.coverage, "the defining sets"
    else:
        lists["equalize"] = _sets_record(equalize_sets)
        eq_cov = find_sets(store, as_sets(equalize_sets), "equalize sets", fold_case, max_missing)
    eq_sets = list(eq_cov.found)
    index = store.index
    in_sets = {w for s in list(sub.sets) + eq_sets for w in s}
    flags = np.zeros(len(store), dtype=bool)
    if neutral is None:
        flags[:] = True
        flags[[index[w] for w in in_sets]] = False
        neutral_info = {"given": "all but the set words"}
    else:
        given, words = neutral, as_words(neutral)
        found = find_words(store, words, name="neutral words", fold_case=False, max_missing=None)
        flags[[index[w] for w in found.found]] = True
        neutral_info = {**_list_record(given, words), **found.to_dict()}
    b = sub.components

    seen, repeated = set(), []
    for s in eq_sets:
        repeated += [w for w in s if w in seen and w not in repeated]
        seen.update(s)
    if repeated:
        warnings.warn(f"word(s) in more than one equalize set are equalised again by each later set (as Manzini et "
                      f"al.'s code does), so earlier sets are no longer exactly equalised: {', '.join(repeated[:8])}",
                      UserWarning, stacklevel=2)
    current = {}
    for w in seen:
        v = unit_rows64(rows64(store, [w]))
        current[w] = (_neutralise(v, b) if flags[index[w]] else v)[0]
    for s in eq_sets:
        for w, v in zip(s, equalize_set(np.array([current[w] for w in s]), b)):
            current[w] = v

    def rows(a, b_, x):
        x = unit_rows64(x)
        mask = flags[a:b_]
        if mask.any():
            x[mask] = _neutralise(x[mask], b)
        return x

    info = {"method": "multiclass", "source": str(store.path) if store.path else None, "k": sub.k,
            "subspace": sub.to_dict(), "defining": sub.coverage.to_dict(), "equalize": eq_cov.to_dict(),
            "equalized": [list(s) for s in eq_sets], "repeated": repeated, "neutralised": int(flags.sum()),
            "neutral": neutral_info}
    return write_store(store, out, overwrite, info, {"method": "multiclass", "lists": lists, "k": sub.k}, rows,
                       [(index[w], v) for w, v in current.items()])
