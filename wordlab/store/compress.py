"""Making compressed stores: ``store.compress(OUT, method=...)``, ``wordlab compress``.

The methods and how their codes are read are in :mod:`wordlab.store.quantize`; this
module learns their parameters and writes the store through the store writer.

Product quantisation learns one codebook of K = 2^bits centroids per subspace by
k-means (k-means++ seeding, then Lloyd's iterations; an emptied cluster takes half of
the largest, as faiss does), on ``training_rows`` rows drawn at random
(default 256 K, faiss's ``max_points_per_centroid``); every row is then coded, in
parallel. The kernels are ours (Numba, :mod:`wordlab.store._quantize_kernels`): they are
a page long, seeded and bit-for-bit repeatable, and need no library beside Numba.

With ``rotate=True`` the rows are rotated before they are cut into subspaces, by the
rotation R of optimised product quantisation (Ge, He, Ke and Sun 2014, "Optimized
product quantization", TPAMI 36(4)): initialised by their eigenvalue allocation (the
principal directions dealt to the subspaces so that the products of their variances
are balanced), then :data:`OPQ_ROUNDS` rounds of their non-parametric alternation,
each a few Lloyd iterations on X R and the Procrustes step R = U V^T, with
U S V^T = X^T Y and Y the decoded rows (their eq. 6). It costs about twice the time of
PQ and nothing at query time but one (dim x dim) product per query.

With ``head_subspaces`` the most frequent rows, the head, get a quantiser of their own
with more subspaces (see :mod:`wordlab.store.quantize`), learnt on head rows only, and
the other rows' quantiser on the others. The head is the first ``head_rows`` rows
(stores are written most frequent first); by default the fewest first rows that hold
:data:`HEAD_TOKEN_SHARE` of the store's counted tokens.

The new store records its method, settings and the reconstruction error measured on a
sample (relative squared error, mean cosine between a row and its decoding) in
``meta.json``'s ``compression``. A subword store's n-gram matrix is compressed with the
same method and settings. The trainer's context vectors are not kept (a compressed
store is for reading, not for training on).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ParameterError, WordlabError
from ..npyio import create_npy, save_npy
from ..params import Boolean, Integer, Options, validate
from ..progress import progress as progress_bar
from . import layout
from .quantize import (DECODE_BLOCK, HEAD_CODES, HEAD_QUANTIZER, HEAD_ROTATION, METHODS, NORM_QUANTIZER, QUANTIZER,
                       ROTATION, QuantizedMatrix, codes_prefix)
from .search import nonfinite_rows

if TYPE_CHECKING:
    from .embeddings import Embeddings

CONSTRAINTS = {"method": Options(tuple(METHODS)), "subspaces": Integer(1, optional=True), "bits": Integer(1, 8),
               "norm": Boolean(), "rotate": Boolean(),
               "head_subspaces": Integer(1, optional=True), "head_rows": Integer(1, optional=True), "scale": Options(("row", "dim")), "iterations": Integer(1, 1000),
               "training_rows": Integer(1, optional=True), "seed": Integer(0, 2**63 - 1)}
#: Rows of the sample the reconstruction error is measured on.
ERROR_SAMPLE = 10_000
#: Optimised PQ: rounds of the alternation, and Lloyd iterations in each (Ge et al. and
#: faiss's ``OPQMatrix`` use 4 a round; the last codebooks then get ``iterations`` more).
OPQ_ROUNDS, OPQ_LLOYD = 20, 4
#: The share of a store's counted tokens its default head holds (PQ with ``head_subspaces``):
#: nearly every word of a text, and under half of a Zipfian vocabulary.
HEAD_TOKEN_SHARE = 0.98


def default_subspaces(dim: int) -> int:
    """M for PQ when none is given: the divisor of ``dim`` whose subspaces are nearest to
    4 dimensions (a quarter byte per dimension: 16x smaller than float32)."""
    divisors = [m for m in range(1, dim + 1) if dim % m == 0]
    return min(divisors, key=lambda m: (abs(dim / m - 4), -m))


def settings_for(matrix_shape: tuple[int, int], method: str, *, subspaces: int | None = None, bits: int = 8,
                 norm: bool = False, rotate: bool = False, scale: str = "row",
                 head_subspaces: int | None = None, head_rows: int | None = None,
                 what: str = "the store") -> dict:
    """The ``compression`` settings of a matrix, checked; one-line errors for settings that
    cannot apply to it."""
    n, dim = matrix_shape
    settings = {"method": method, "dim": int(dim)}
    if method == "int8":
        settings["scale"] = scale
    if method != "pq":
        if head_subspaces is not None:
            raise ParameterError(f"head_subspaces applies to pq only, not to {method}")
        return settings
    M = default_subspaces(dim) if subspaces is None else subspaces
    if dim % M:
        raise ParameterError(f"subspaces must divide the dimension: {M} does not divide {dim} (the divisors "
                             f"of {dim} nearest {M}: {', '.join(str(d) for d in _divisors_near(dim, M))})")
    K = 1 << bits
    if n < K:
        raise ParameterError(f"{what} has {n:,} rows, too few for 2^{bits} = {K} centroids per subspace; "
                             f"use --bits {max(1, int(np.log2(max(n, 2))))} or fewer")
    settings.update(subspaces=int(M), bits=int(bits), norm=bool(norm))
    if rotate:
        settings["rotate"] = True
    if head_subspaces is not None:
        settings.update(_head_settings(n, dim, M, K, head_subspaces, head_rows, what))
    return settings


def _head_settings(n: int, dim: int, M: int, K: int, head_subspaces: int, head_rows: int | None, what: str) -> dict:
    if dim % head_subspaces:
        raise ParameterError(f"head_subspaces must divide the dimension: {head_subspaces} does not divide {dim} "
                             f"(the divisors of {dim} nearest {head_subspaces}: "
                             f"{', '.join(str(d) for d in _divisors_near(dim, head_subspaces))})")
    if head_subspaces <= M:
        raise ParameterError(f"head_subspaces ({head_subspaces}) must exceed subspaces ({M}): the head is the "
                             f"rows coded finer")
    if head_rows is None:
        raise ParameterError(f"{what}: give head_rows, the number of first rows coded finer")
    if not K <= head_rows <= n - K:
        raise ParameterError(f"head_rows must leave at least 2^bits = {K} rows on each side of the {n:,} rows of "
                             f"{what} (each side learns its own centroids); {head_rows:,} does not")
    return {"head_subspaces": int(head_subspaces), "head_rows": int(head_rows)}


def default_head_rows(store: "Embeddings", share: float = HEAD_TOKEN_SHARE) -> int:
    """The fewest first rows of ``store`` that hold ``share`` of its counted tokens; one-line
    errors where the store has no counts or its rows are not most frequent first."""
    counts = store.counts
    where = store._where_short()
    if counts is None or not np.asarray(counts).any():
        raise ParameterError(f"{where} has no word counts to choose its head by; give head_rows")
    counts = np.asarray(counts, dtype=np.float64)
    if np.any(np.diff(counts) > 0):
        row = int(np.flatnonzero(np.diff(counts) > 0)[0]) + 1
        raise ParameterError(f"{where}: its rows are not most frequent first (word {store.words[row]!r} has more "
                             f"counts than the word before it), so its head is not its first rows; give head_rows")
    cumulative = np.cumsum(counts)
    return int(np.searchsorted(cumulative, share * cumulative[-1] * (1 - 1e-12))) + 1


def _divisors_near(dim: int, m: int) -> list[int]:
    divisors = [d for d in range(1, dim + 1) if dim % d == 0]
    return sorted(sorted(divisors, key=lambda d: abs(d - m))[:4])


def compress_store(store: "Embeddings", path: str | os.PathLike, method: str = "pq", *,
                   subspaces: int | None = None, bits: int = 8, norm: bool = False, rotate: bool = False,
                   scale: str = "row", head_subspaces: int | None = None, head_rows: int | None = None,
                   iterations: int = 25, training_rows: int | None = None, seed: int = 0,
                   overwrite: bool = False, progress: bool | None = None) -> Path:
    """Write ``store`` compressed to a new store at ``path`` (see :meth:`Embeddings.compress`)."""
    from .writer import derived_meta, derived_provenance, store_directory
    options = dict(method=method, subspaces=subspaces, bits=bits, norm=norm, rotate=rotate, scale=scale,
                   head_subspaces=head_subspaces, head_rows=head_rows, iterations=iterations,
                   training_rows=training_rows, seed=seed)
    validate(options, CONSTRAINTS, "compress")
    matrices = {"vectors": store.vectors}
    sub = store.subwords
    if sub is not None:
        matrices["ngram_vectors"] = sub.ngrams
    plans = {}
    if head_subspaces is not None and head_rows is None and method == "pq":
        head_rows = default_head_rows(store)
    for name, matrix in matrices.items():
        what = f"{store._where_short()} ({name.replace('_', ' ')})"
        head = dict(head_subspaces=head_subspaces, head_rows=head_rows) if name == "vectors" else {}
        plans[name] = settings_for(matrix.shape, method, subspaces=subspaces, bits=bits, norm=norm,
                                   rotate=rotate, scale=scale, what=what, **head)
        _refuse_nonfinite(store, name, matrix)
    path = Path(path)
    with store_directory(path, overwrite) as builder:
        done = {name: _compress_matrix(matrix, plans[name], builder.directory, name, iterations, training_rows,
                                       seed, progress) for name, matrix in matrices.items()}
        compression = done.pop("vectors")
        if done:                            # the n-gram matrix: compressed beside the vectors
            compression["components"] = done
        for name in store.components:
            spec = layout.component(name)
            if not spec.follows_vectors and spec.keep_on_save and name != "context_vectors":
                builder.add_component(name, store.component_arrays(name))
        builder.write_vocab(store.words, store.counts)
        builder.finish(derived_meta(store.meta) | ({"subwords": store.meta["subwords"]} if sub is not None else {}),
                       derived_provenance("compressed", store, compression=method), compression=compression)
    return path


def _refuse_nonfinite(store: "Embeddings", name: str, matrix) -> None:
    bad = nonfinite_rows(matrix)
    if bad.size:
        row = int(bad[0])
        which = f"word {store.words[row]!r}" if name == "vectors" else f"n-gram bucket {row}"
        raise WordlabError(f"{store._where_short()}: {bad.size:,} row(s) of {name.replace('_', ' ')} hold NaN or "
                           f"infinity (the first of {which}); they cannot be compressed")


def _compress_matrix(matrix, settings: dict, directory: Path, name: str, iterations: int,
                     training_rows: int | None, seed: int, progress: bool | None) -> dict:
    """Learn the parameters of ``matrix``, write its codes as ``NAME.npy`` and its
    parameters as the method's components (for ``ngram_vectors``, ``ngram_quantizer``...,
    see :func:`~wordlab.store.quantize.codes_prefix`); returns its ``compression``
    settings with the error measured."""
    prefix = codes_prefix(name)
    n, dim = matrix.shape
    method = settings["method"]
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    if method == "int8":
        params[QUANTIZER] = _int8_scales(matrix, settings["scale"])
    elif method == "pq":
        params.update(_train_pq(matrix, settings, iterations, training_rows, rng, progress, name))
    codes_path = directory / f"{name}.npy"
    width = METHODS[method].codes_width(settings)
    codes = create_npy(codes_path, METHODS[method].codes_dtype, (n, width))
    head_path = directory / f"{prefix}{HEAD_CODES}.npy"
    head = (create_npy(head_path, np.uint8, (settings["head_rows"], settings["head_subspaces"] - settings["subspaces"]))
            if settings.get("head_subspaces") else None)
    with progress_bar(progress, total=n, desc=f"compressing {name.replace('_', ' ')} ({method})",
                      unit="row") as bar:
        for a in range(0, n, DECODE_BLOCK):
            block = np.ascontiguousarray(matrix[a:a + DECODE_BLOCK], dtype=np.float32)
            codes[a:a + block.shape[0]] = _encode(block, method, settings, params, a, head)
            bar.update(block.shape[0])
    for written in (codes, head):
        if written is not None:
            written.flush()
    del codes, head
    trained_on = params.pop("_trained_on", None)
    for key, value in params.items():
        save_npy(directory / f"{prefix}{key}.npy", value)
    if settings.get("head_subspaces"):
        params[HEAD_CODES] = np.load(head_path, mmap_mode="r")
    stored = np.load(codes_path, mmap_mode="r")
    decoded = QuantizedMatrix(stored, params, settings, str(directory))
    out = dict(settings, error=_error(matrix, decoded, rng))
    if method == "pq":
        out.update(iterations=int(iterations), training_rows=int(trained_on), seed=int(seed))
    return out


def _int8_scales(matrix, scale: str) -> np.ndarray:
    """max |x| / 127 per row, or per dimension (zero where a row or column is all zero)."""
    n, dim = matrix.shape
    peak = np.zeros(n if scale == "row" else dim, dtype=np.float32)
    for a in range(0, n, DECODE_BLOCK):
        block = np.abs(np.asarray(matrix[a:a + DECODE_BLOCK], dtype=np.float32))
        if scale == "row":
            peak[a:a + block.shape[0]] = block.max(axis=1, initial=0.0)
        else:
            np.maximum(peak, block.max(axis=0, initial=0.0), out=peak)
    return (peak / np.float32(127.0)).astype(np.float32)


def _encode(block: np.ndarray, method: str, settings: dict, params: dict, start: int,
            head: np.ndarray | None = None) -> np.ndarray:
    """The codes of ``block`` (rows ``start:``); the codes of head rows past the first M
    go to ``head``."""
    if method == "float16":
        if np.abs(block).max(initial=0.0) > np.finfo(np.float16).max:
            row = start + int(np.argmax(np.abs(block).max(axis=1)))
            raise ParameterError(f"row {row} holds values beyond float16's range (65504); use --method int8 or pq")
        return block.astype(np.float16)
    if method == "int8":
        s = params[QUANTIZER]
        scales = s[start:start + block.shape[0], None] if settings["scale"] == "row" else s[None, :]
        q = np.divide(block, scales, out=np.zeros_like(block), where=scales > 0)
        return np.clip(np.rint(q), -127, 127).astype(np.int8)
    from ._quantize_kernels import encode_rows
    M = settings["subspaces"]
    book = params[QUANTIZER]
    codes = np.empty((block.shape[0], M + (1 if settings["norm"] else 0)), dtype=np.uint8)
    if settings["norm"]:
        norms = np.linalg.norm(block.astype(np.float64), axis=1).astype(np.float32)
        block = block / np.where(norms > 0, norms, 1.0)[:, None].astype(np.float32)
        encode_rows(norms[:, None].copy(), params[NORM_QUANTIZER][None, :, None].copy(), codes[:, M:])
    split = min(max(settings.get("head_rows", 0) - start, 0), block.shape[0])     # head rows in this block
    if split:
        full = np.empty((split, settings["head_subspaces"]), dtype=np.uint8)
        encode_rows(_rotated(block[:split], params.get(HEAD_ROTATION)), params[HEAD_QUANTIZER], full)
        codes[:split, :M] = full[:, :M]
        head[start:start + split] = full[:, M:]
    encode_rows(_rotated(block[split:], params.get(ROTATION)), book, codes[split:, :M])
    return codes


def _train_pq(matrix, settings: dict, iterations: int, training_rows: int | None, rng, progress,
              name: str) -> dict:
    """PQ's centroids (and the norms' with ``norm``), learnt on a random sample of rows;
    with a head, the head's and the other rows' each on a sample of their own."""
    from ._quantize_kernels import train_codebooks
    n, dim = matrix.shape
    M, K = settings["subspaces"], 1 << settings["bits"]
    H = settings.get("head_rows", 0)
    tiers = [("", H, n, M)] + ([("head_", 0, H, settings["head_subspaces"])] if H else [])
    samples = [_sample(matrix, a, b, K, training_rows, rng) for _, a, b, _ in tiers]
    out = {"_trained_on": sum(len(x) for x in samples)}
    desc = f"learning {M} x {K} centroids" + (f" and {tiers[-1][3]} x {K} for the head" if H else "")
    with progress_bar(progress, total=None, desc=f"{desc} of {name.replace('_', ' ')}", unit="step") as bar:
        if settings["norm"]:
            norms = [np.linalg.norm(x.astype(np.float64), axis=1).astype(np.float32) for x in samples]
            for x, lengths in zip(samples, norms):
                x /= np.where(lengths > 0, lengths, 1.0)[:, None].astype(np.float32)
            out[NORM_QUANTIZER] = _kmeans(np.concatenate(norms)[:, None].copy(), 1, K, iterations, rng,
                                          train_codebooks)[0, :, 0]
        for (prefix, _, _, m), sample in zip(tiers, samples):
            if settings.get("rotate"):
                out[prefix + ROTATION], out[prefix + QUANTIZER] = _opq(sample, m, K, iterations, rng)
            else:
                out[prefix + QUANTIZER] = _kmeans(sample, m, K, iterations, rng, train_codebooks)
        bar.update(1)
    return out


def _sample(matrix, a: int, b: int, K: int, training_rows: int | None, rng) -> np.ndarray:
    """float32 rows drawn at random from ``matrix[a:b]``: 256 per centroid, or ``training_rows``."""
    take = min(b - a, 256 * K if training_rows is None else max(training_rows, K))
    rows = a + (np.sort(rng.choice(b - a, take, replace=False)) if take < b - a else np.arange(b - a))
    return np.ascontiguousarray(matrix[rows], dtype=np.float32)


def _opq(sample: np.ndarray, M: int, K: int, iterations: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Optimised PQ's rotation (dim, dim) and centroids (M, K, dsub), learnt on ``sample``
    (see the module docstring)."""
    from ._quantize_kernels import encode_rows, refine_codebooks, train_codebooks
    rot = _eigenvalue_allocation(sample, M)
    books = _kmeans(_rotated(sample, rot), M, K, OPQ_LLOYD, rng, train_codebooks)
    codes = np.empty((sample.shape[0], M), dtype=np.uint8)
    x64 = sample.astype(np.float64)
    for _ in range(OPQ_ROUNDS):
        encode_rows(_rotated(sample, rot), books, codes)
        decoded = books[np.arange(M)[None, :], codes.astype(np.intp)].reshape(sample.shape)
        u, _, vt = np.linalg.svd(x64.T @ decoded.astype(np.float64))
        rot = (u @ vt).astype(np.float32)
        refine_codebooks(_rotated(sample, rot), books, OPQ_LLOYD)
    refine_codebooks(_rotated(sample, rot), books, iterations)
    return rot, books


def _rotated(x: np.ndarray, rot: np.ndarray | None) -> np.ndarray:
    return np.ascontiguousarray(x if rot is None else x @ rot, dtype=np.float32)


def _eigenvalue_allocation(sample: np.ndarray, M: int) -> np.ndarray:
    """OPQ's parametric start (Ge et al. 2014, sec. 4.2): the principal directions of the
    rows' second moments, dealt largest first each to the subspace with room whose
    product of variances is smallest; float32 (dim, dim), columns grouped by subspace."""
    x = sample.astype(np.float64)
    values, vectors = np.linalg.eigh(x.T @ x / max(x.shape[0], 1))
    dim = x.shape[1]
    dsub = dim // M
    # Variances in units of the smallest (floored: a null direction is not -inf), so each
    # one dealt raises its subspace's product, as the greedy rule presumes.
    scaled = np.maximum(values, max(values.max(), 1e-30) * 1e-12)
    logs = np.log(scaled / scaled.min())
    log_product = np.zeros(M)
    members: list[list[int]] = [[] for _ in range(M)]
    for i in np.argsort(values)[::-1]:
        m = min((k for k in range(M) if len(members[k]) < dsub), key=lambda k: (log_product[k], k))
        members[m].append(int(i))
        log_product[m] += logs[i]
    order = [i for group in members for i in group]
    return np.ascontiguousarray(vectors[:, order], dtype=np.float32)


def _kmeans(sample: np.ndarray, M: int, K: int, iterations: int, rng, kernel) -> np.ndarray:
    """(M, K, dsub) centroids learnt on ``sample`` (at least K rows), each subspace
    seeded from ``rng``."""
    books = np.empty((M, K, sample.shape[1] // M), dtype=np.float32)
    kernel(sample, books, iterations, rng.integers(0, 2**63, size=M, dtype=np.uint64))
    return books


def _error(matrix, decoded: QuantizedMatrix, rng) -> dict:
    """The reconstruction error on up to :data:`ERROR_SAMPLE` rows drawn at random."""
    n = matrix.shape[0]
    rows = np.sort(rng.choice(n, min(n, ERROR_SAMPLE), replace=False))
    x = np.asarray(matrix[rows], dtype=np.float64)
    y = np.asarray(decoded[rows], dtype=np.float64)
    nx, ny = np.linalg.norm(x, axis=1), np.linalg.norm(y, axis=1)
    ok = (nx > 0) & (ny > 0)
    cos = (x[ok] * y[ok]).sum(axis=1) / (nx[ok] * ny[ok])
    total = float((x * x).sum())
    return {"relative_squared_error": float(((x - y) ** 2).sum() / total) if total > 0 else 0.0,
            "mean_cosine": float(cos.mean()) if cos.size else 1.0, "rows": int(rows.size)}
