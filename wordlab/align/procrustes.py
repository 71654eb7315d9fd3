"""Orthogonal Procrustes alignment with self-learning refinement and model selection.

Given word vectors X (source) and Y (target) for the pairs of a seed dictionary, the
orthogonal map minimising ||X W - Y||_F is W = U V^T, with U S V^T the SVD of X^T Y
(Schoenemann 1966; Xing et al. 2015; Smith et al. 2017). Rows are normalised first
with a named list of steps (:mod:`wordlab.align.normalize`), fitted on each whole
matrix and applied identically to everything mapped afterwards.

Refinement (self-learning; Artetxe et al. 2017, Conneau et al. 2018) induces a new
dictionary from the mutual nearest neighbours (under CSLS by default) among the
``refine_vocab`` most frequent words of each side, solves again, and repeats. The
solution kept is chosen by a validation dictionary (P@1 with CSLS) when one is given,
never the test dictionary, or otherwise by an unsupervised criterion: the mean
cosine of the CSLS translations of the most frequent source words (MUSE's
``mean_cosine``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import WordlabError
from ..npyio import array_digest
from ..params import Boolean, Integer, Options, validate
from ..store import Embeddings, load
from ..progress import progress as progress_bar
from ..store.search import unit_rows as _unit
from ..store.writer import derived_meta, derived_provenance, store_directory
from .dictionary import Dictionary
from .normalize import Normalizer
from .retrieval import knn_mean_similarity, mutual_nearest_neighbors, retrieve

#: Rows per block when mapping a store: 16k x 300 float32 is 19 MiB per temporary.
BLOCK_ROWS = 16_384
SELECTIONS = ("auto", "validation", "unsupervised", "last")


def orthogonal_procrustes(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The orthogonal W (d, d) minimising ||X W - Y||_F for paired rows X, Y (n, d).

    Solved in float64: W = U V^T from the SVD of X^T Y.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.shape != Y.shape:
        raise WordlabError(f"paired matrices differ in shape: {X.shape} and {Y.shape}")
    u, _, vt = np.linalg.svd(X.T @ Y)
    return u @ vt


def _as_store(emb) -> Embeddings:
    return emb if isinstance(emb, Embeddings) else load(emb)


class Procrustes:
    """Orthogonal Procrustes from a seed dictionary, with optional refinement.

    Parameters
    ----------
    normalize : str or list, default "unit,center,unit"
        Ordered normalisation steps (``unit``, ``center``; ``"none"`` for none).
    refine : int, default 0
        Self-learning iterations after the supervised solution.
    refine_vocab : int, default 15000
        Induced dictionaries are searched among this many most frequent words per side.
    refine_method : "csls" or "nn", default "csls"
        Retrieval for the mutual nearest neighbours of refinement.
    keep_seed : bool, default False
        Add the seed pairs to every induced dictionary (MUSE: False).
    csls_k : int, default 10
        Neighbourhood size of CSLS's penalties.
    selection : "auto", "validation", "unsupervised" or "last", default "auto"
        Which iteration's map to keep: by P@1 (CSLS) on the validation dictionary,
        by the unsupervised mean-cosine criterion, or the last one. "auto" uses the
        validation dictionary when :meth:`fit` gets one.
    workers : int or None, default None
        Threads of the nearest-neighbour searches (refinement, CSLS, evaluation);
        None: every CPU.
    progress : bool or None, default None
        A bar over the refinement iterations (pairs and mean cosine of each); None: in a
        terminal or in Jupyter.

    Attributes (after :meth:`fit`)
    ----------
    W_ : float64 array (d, d), the orthogonal map (source rows @ W_).
    source_normalizer_, target_normalizer_ : fitted :class:`Normalizer`.
    history_ : DataFrame, one row per iteration (0 = supervised): pairs used,
        mean_cosine, validation_p1 (when validating), selected.
    best_iteration_ : int
    seed_pairs_ : int, seed pairs present in both vocabularies.

    Examples
    --------
    >>> aligner = Procrustes(refine=3).fit("si.store", "en.store", "si-en.train.txt")   # doctest: +SKIP
    >>> mapped = aligner.transform(out="si-mapped.store")                              # doctest: +SKIP
    >>> aligner.evaluate("si-en.test.txt").precision                                  # doctest: +SKIP
    """

    def __init__(self, normalize: str | Sequence[str] | None = "unit,center,unit", refine: int = 0,
                 refine_vocab: int = 15_000, refine_method: str = "csls", keep_seed: bool = False,
                 csls_k: int = 10, selection: str = "auto", workers: int | None = None,
                 progress: bool | None = None):
        self.normalize = normalize
        self.refine = refine
        self.refine_vocab = refine_vocab
        self.refine_method = refine_method
        self.keep_seed = keep_seed
        self.csls_k = csls_k
        self.selection = selection
        self.workers = workers
        self.progress = progress

    _constraints = {"refine": Integer(0, 10_000), "refine_vocab": Integer(2), "refine_method": Options(("csls", "nn")),
                    "keep_seed": Boolean(), "csls_k": Integer(1, 10_000), "selection": Options(SELECTIONS),
                    "workers": Integer(1, 4096, optional=True), "progress": Boolean(optional=True)}

    def _validate(self) -> None:
        Normalizer(self.normalize)              # parses, raising on unknown steps
        validate(vars(self), self._constraints, "Procrustes")

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, source, target, dictionary, validation=None) -> "Procrustes":
        """Learn the map from ``source`` to ``target``.

        Parameters
        ----------
        source, target : Embeddings or store paths
        dictionary : Dictionary, MUSE file path, pairs, or ``"identical"`` (identical strings)
        validation : Dictionary or path, optional
            For model selection across refinement iterations; keep it disjoint from
            the test dictionary.
        """
        self._validate()
        src, tgt = _as_store(source), _as_store(target)
        if src.dim != tgt.dim:
            raise WordlabError(f"source and target dimensions differ: {src.dim} and {tgt.dim}")
        if isinstance(dictionary, str) and dictionary == "identical":
            seed = Dictionary.identical(src.words, tgt.words)
        else:
            seed = Dictionary.coerce(dictionary)
        si, ti = seed.ids(src.index, tgt.index)
        if si.shape[0] < 2:
            raise WordlabError(f"only {si.shape[0]} of the {len(seed):,} pairs of {seed.name or 'the dictionary'} "
                               "have both words in the vocabularies; cannot fit a map")
        self.seed_pairs_ = int(si.shape[0])
        self.source_normalizer_ = Normalizer(self.normalize).fit(src.vectors)
        self.target_normalizer_ = Normalizer(self.normalize).fit(tgt.vectors)
        self._source, self._target = src, tgt
        valid = Dictionary.coerce(validation) if validation is not None else None
        selection = self.selection
        if selection == "auto":
            selection = "validation" if valid is not None else "unsupervised"
        if selection == "validation" and valid is None:
            raise WordlabError("selection='validation' needs a validation dictionary")

        X = self.source_normalizer_.transform(src.vectors[si])
        Y = self.target_normalizer_.transform(tgt.vectors[ti])
        W = orthogonal_procrustes(X, Y)
        n_top_s = min(self.refine_vocab, len(src))
        n_top_t = min(self.refine_vocab, len(tgt))
        S_top = self.source_normalizer_.transform(src.vectors[:n_top_s])
        T_top = self.target_normalizer_.transform(tgt.vectors[:n_top_t])
        T_top_unit = _unit(T_top)
        seed_top = np.stack([si, ti], axis=1)
        rows, solutions = [], []
        bar = progress_bar(self.progress if self.refine else False, total=self.refine + 1,
                           desc="Procrustes and refinement", unit="iteration")
        for it in range(self.refine + 1):
            if it > 0:
                pairs = mutual_nearest_neighbors(_unit(S_top @ W), T_top_unit, self.refine_method, self.csls_k,
                                                 workers=self.workers)
                if pairs.shape[0] < 2:
                    break
                if self.keep_seed:
                    inside = (seed_top[:, 0] < n_top_s) & (seed_top[:, 1] < n_top_t)
                    pairs = np.unique(np.vstack([pairs, seed_top[inside]]), axis=0)
                W = orthogonal_procrustes(S_top[pairs[:, 0]], T_top[pairs[:, 1]])
                n_pairs = int(pairs.shape[0])
            else:
                n_pairs = self.seed_pairs_
            row = {"iteration": it, "pairs": n_pairs,
                   "mean_cosine": self._mean_cosine(S_top, T_top_unit, W)}
            if valid is not None:
                self.W_, self.best_iteration_ = W, it
                row["validation_p1"] = self.evaluate(valid, method="csls", ks=(1,)).precision[1]
            rows.append(row)
            solutions.append(W)
            bar.set_postfix({"pairs": n_pairs, "mean cosine": f"{row['mean_cosine']:.4f}"})
            bar.update(1)
        bar.close()
        key = {"validation": "validation_p1", "unsupervised": "mean_cosine"}.get(selection)
        best = len(rows) - 1 if key is None else int(np.argmax([r[key] for r in rows]))
        for i, r in enumerate(rows):
            r["selected"] = i == best
        self.history_ = pd.DataFrame(rows)
        self.best_iteration_ = best
        self.W_ = solutions[best]
        return self

    def _mean_cosine(self, S_top: np.ndarray, T_top_unit: np.ndarray, W: np.ndarray, n: int = 10_000) -> float:
        """MUSE's unsupervised criterion: mean cosine of the CSLS translations of the
        ``n`` most frequent source words (among the ``refine_vocab`` most frequent targets)."""
        S = _unit(S_top @ W)
        r_t = knn_mean_similarity(S, T_top_unit, self.csls_k, workers=self.workers)
        r_s = knn_mean_similarity(T_top_unit, S, self.csls_k, workers=self.workers)
        q = S[:n]
        ids, _ = retrieve(q, T_top_unit, 1, "csls", r_t[:n], r_s, workers=self.workers)
        return float(np.mean(np.einsum("ij,ij->i", q, T_top_unit[ids[:, 0]])))

    def _check_fitted(self) -> None:
        if not hasattr(self, "W_"):
            raise WordlabError("this Procrustes is not fitted; call fit(source, target, dictionary) first")

    # -- mapping ----------------------------------------------------------------------------
    def map_vectors(self, block: np.ndarray) -> np.ndarray:
        """Normalise source rows and map them into the target space: float32 (n, d)."""
        self._check_fitted()
        return self.source_normalizer_.transform(block) @ self.W_.astype(np.float32)

    def transform(self, source=None, out: str | os.PathLike | None = None,
                  block_rows: int = BLOCK_ROWS, overwrite: bool = False) -> Embeddings:
        """The mapped source store (the fitted source by default).

        With ``out``, the mapping runs in row blocks into a memory-mapped
        ``vectors.npy`` of a new store (written under a temporary name, renamed when
        complete) with ``mapping.npy`` (W, float64) beside it; otherwise in memory. An
        existing ``out`` is replaced only with ``overwrite`` and only when it is a store.
        """
        return self._write(_as_store(source) if source is not None else self._source, out,
                           self.map_vectors, "source", block_rows, overwrite)

    def transform_target(self, target=None, out: str | os.PathLike | None = None,
                         block_rows: int = BLOCK_ROWS, overwrite: bool = False) -> Embeddings:
        """The target store with the target's normalisation applied: the space that
        :meth:`transform` maps into (cosines against it are what BLI measures)."""
        self._check_fitted()
        return self._write(_as_store(target) if target is not None else self._target, out,
                           self.target_normalizer_.transform, "target", block_rows, overwrite)

    def _write(self, emb: Embeddings, out, fn, side: str, block_rows: int, overwrite: bool = False) -> Embeddings:
        self._check_fitted()
        meta = derived_meta(emb.meta)
        meta["alignment"] = {"method": "procrustes", "side": side, "normalize": list(self.source_normalizer_.steps),
                             "refine": self.refine, "best_iteration": self.best_iteration_,
                             "seed_pairs": self.seed_pairs_, "input": str(emb.path) if emb.path else None}
        mapping = self.W_ if side == "source" else np.eye(emb.dim)
        meta["provenance"] = derived_provenance("mapped", emb, mapping={
            "method": "procrustes", "side": side, "normalize": meta["alignment"]["normalize"],
            "component": "mapping", "sha256": array_digest(mapping, np.float64)})
        n, d = len(emb), emb.dim
        if out is None:
            vectors = np.empty((n, d), dtype=np.float32)
            for a in range(0, n, block_rows):
                vectors[a:a + block_rows] = fn(emb.vectors[a:a + block_rows])
            return Embeddings(emb.words, vectors, emb.counts, meta)
        if emb.path is not None and Path(out).absolute() == Path(emb.path).absolute():
            raise WordlabError(f"{out}: the output would replace the input store; choose another directory")
        with store_directory(Path(out), overwrite) as builder:
            vectors = builder.create_vectors(n, d)
            for a in range(0, n, block_rows):
                vectors[a:a + block_rows] = fn(emb.vectors[a:a + block_rows])
            vectors.flush()
            del vectors
            builder.add_component("mapping", mapping)
            builder.copy_components(emb, derived=True)
            builder.write_vocab(emb.words, emb.counts)
            builder.finish(meta, meta.pop("provenance"))
        return Embeddings.open(out)

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, dictionary, method: str = "csls", ks: Sequence[int] = (1, 5, 10), oov: str = "drop",
                 restrict_target: int | None = None, compose: bool = False):
        """Bilingual lexicon induction on ``dictionary`` (see :func:`wordlab.align.evaluate_bli`).

        ``compose``: a dictionary source word outside a subword source store's vocabulary
        is composed from its n-grams, normalised and mapped like the store's rows, and
        queried (the result counts them in ``n_composed``)."""
        from .bli import evaluate_bli
        from .dictionary import Dictionary
        self._check_fitted()
        extra = {}
        sub = self._source.subwords
        if compose and sub is not None:
            unseen = [w for w in Dictionary.coerce(dictionary).sources if w not in self._source]
            vectors, ok = sub.compose(unseen)
            mapped = self.map_vectors(vectors[ok]) if ok.any() else vectors[:0]
            extra = dict(zip([w for w, good in zip(unseen, ok) if good], mapped))
        return evaluate_bli(self.transform(), self.transform_target(), dictionary, method=method, ks=ks, oov=oov,
                            csls_k=self.csls_k, restrict_target=restrict_target, workers=self.workers,
                            source_extra=extra)

    def translate(self, words: Sequence[str] | str, topn: int = 5, method: str = "csls") -> pd.DataFrame:
        """The ``topn`` target words for each source word: DataFrame (source, rank, target, score)."""
        from .bli import translate
        self._check_fitted()
        return translate(self.transform(), self.transform_target(), [words] if isinstance(words, str) else words,
                         topn=topn, method=method, csls_k=self.csls_k, workers=self.workers)
