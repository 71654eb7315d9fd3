"""What the debiasing methods beyond hard debiasing share: opening the input, refusing an
output that would replace it, reading it in row blocks, its principal components, and
writing the new store through the store writer (as :func:`~wordlab.debias.hard.hard_debias`
does: a memory-mapped ``vectors.npy`` filled block by block under a temporary name).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ..atomic import check_target
from ..errors import DataError, ParameterError, WordlabError
from ..store import Embeddings, load
from ..store.writer import derived_meta, derived_provenance, store_directory

BLOCK_ROWS = 65536


def open_for_output(store: Embeddings | str | os.PathLike, out: str | os.PathLike,
                    overwrite: bool) -> tuple[Embeddings, Path]:
    """The input store, opened; ``out`` checked (not the input; absent unless ``overwrite``)."""
    store = store if isinstance(store, Embeddings) else load(store)
    out = Path(out)
    if store.path is not None and out.exists() and out.resolve() == Path(store.path).resolve():
        raise WordlabError(f"{out}: the output would replace the input store; choose another directory")
    check_target(out, overwrite, directory=True)
    return store, out


def blocks(store: Embeddings, rows: int = BLOCK_ROWS) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(a, b, x)``: the rows a..b of ``store`` as float64, block after block."""
    n = len(store)
    for a in range(0, n, rows):
        b = min(a + rows, n)
        yield a, b, np.asarray(store.vectors[a:b], dtype=np.float64)


def rows64(store: Embeddings, words: Iterable[str]) -> np.ndarray:
    """The vectors of ``words`` (as spelled in the store), float64, as stored."""
    index = store.index
    return np.array(store.vectors[[index[w] for w in words]], dtype=np.float64, ndmin=2)


def principal_components(store: Embeddings, n_components: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and the first ``n_components`` principal components of every row of ``store``.

    Two passes in row blocks (the mean, then the covariance of the centred rows, both in
    float64), then the eigenvectors of the covariance: scikit-learn's ``PCA`` on the whole
    matrix up to the sign of each component, without holding the matrix in memory.

    Returns
    -------
    mean : ndarray of shape (dim,)
    components : ndarray of shape (n_components, dim), unit rows, by decreasing variance
    explained_variance_ratio : ndarray of shape (n_components,)
    """
    n, dim = len(store), store.dim
    if not 1 <= n_components <= dim:
        raise ParameterError(f"components must be in 1..{dim} (the dimension), not {n_components}")
    if n < 2:
        raise DataError("the store has fewer than 2 words: no principal components")
    total = np.zeros(dim)
    for _, _, x in blocks(store):
        total += x.sum(axis=0)
    mean = total / n
    cov = np.zeros((dim, dim))
    for _, _, x in blocks(store):
        x -= mean
        cov += x.T @ x
    values, vectors = np.linalg.eigh(cov / (n - 1))
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0, None), vectors[:, order]
    ratio = values / values.sum() if values.sum() > 0 else np.zeros_like(values)
    return mean, vectors[:, :n_components].T.copy(), ratio[:n_components]


def write_store(store: Embeddings, out: Path, overwrite: bool, info: dict, provenance: dict,
                rows: Callable[[int, int, np.ndarray], np.ndarray],
                fixed: Iterable[tuple[int, np.ndarray]] = (),
                extra: Callable[[Path], None] | None = None) -> Embeddings:
    """Write the new store at ``out``: ``rows(a, b, x)`` gives the new rows a..b from the
    old ones ``x`` (float64), then each ``(row, vector)`` of ``fixed`` replaces its row;
    ``meta["debias"]`` is ``info``, the provenance ``debiased`` with ``provenance``'s fields.
    ``extra(directory)`` may add files no component claims (left alone by readers)."""
    meta = derived_meta(store.meta)
    meta["debias"] = info
    with store_directory(out, overwrite) as builder:
        target = builder.create_vectors(len(store), store.dim)
        for a, b, x in blocks(store):
            target[a:b] = rows(a, b, x)
        for i, v in fixed:
            target[i] = v
        target.flush()
        del target
        builder.write_vocab(store.words, store.counts)
        if extra is not None:
            extra(builder.directory)
        builder.finish(meta, derived_provenance("debiased", store, **provenance))
    return Embeddings.open(out)
