"""Compressed matrices: float16, int8 and product quantisation, decoded on access.

A compressed store keeps, in place of a float32 ``vectors.npy``, the codes of one of the
methods of :data:`METHODS` (``meta.json``'s ``compression`` entry names it and its
settings; :mod:`wordlab.store.compress` makes such stores):

``float16``  ``vectors.npy`` float16 (n, dim): half the size, about 3 decimal digits.
``int8``     ``vectors.npy`` int8 (n, dim) and ``quantizer.npy``, the float32 scales:
             one per row (``scale="row"``, x ~ s_i q_i) or one per dimension
             (``scale="dim"``, x_j ~ s_j q_j), with s = max |x| / 127; a quarter of
             the size.
``pq``       product quantisation (Jégou et al. 2011): ``vectors.npy`` uint8 (n, M),
             one code per subspace of ``dim / M`` dimensions, and ``quantizer.npy``
             (M, 2^bits, dim / M), the centroids. With ``norm=True`` (fastText's
             ``-qnorm``) the directions are quantised and each row's norm is one more
             code (the last column) into ``norm_quantizer.npy`` (2^bits,). With
             ``rotate=True`` (optimised PQ, Ge et al. 2014) the rows are coded after a
             learnt rotation R, ``rotation.npy`` float32 (dim, dim): a row decodes to
             ``y R^T`` and a query is rotated, ``q R``, before its tables are made.
             With a head (``head_subspaces`` M_h > M, ``head_rows`` H) the first H rows,
             a store's most frequent words, are coded finer, by a quantiser of their
             own with M_h subspaces (``head_quantizer.npy``, and ``head_rotation.npy``
             with ``rotate``): a head row's first M codes are its columns of
             ``vectors.npy`` (the norm's code stays the last), the other M_h - M are
             its row of ``head_codes.npy`` uint8 (H, M_h - M). Bytes go where the
             words are used: evaluation sets, queries and neighbour lists are mostly
             frequent words (frequency-tiered codes, as the adaptive input
             representations of Baevski and Auli 2019 give frequent words more
             dimensions).

:class:`QuantizedMatrix` is such a matrix as an array-like of float32 (n, dim): indexing
decodes only the rows asked for, ``np.asarray`` decodes it all (block by block), and
:attr:`~QuantizedMatrix.unit` is the view of unit rows that searches read. Its
``block_dot`` gives a block of rows' dot products with queries without decoding: for
PQ by asymmetric distance computation (a table of M x 2^bits dot products per query,
then M lookups per row, :mod:`wordlab.store.scoring`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import StoreError
from .layout import Component, register_component
from .scoring import adc, adc_head, table_products

#: Rows decoded at once when a whole matrix is read or its norms are taken.
DECODE_BLOCK = 65_536

QUANTIZER = "quantizer"
NORM_QUANTIZER = "norm_quantizer"
ROTATION = "rotation"
HEAD_CODES, HEAD_QUANTIZER, HEAD_ROTATION = "head_codes", "head_quantizer", "head_rotation"
#: The parameter arrays a compressed matrix may have, each one component (file) of the store.
PARAMETERS = (QUANTIZER, NORM_QUANTIZER, ROTATION, HEAD_CODES, HEAD_QUANTIZER, HEAD_ROTATION)
register_component(Component(QUANTIZER, ("quantizer.npy",), per_word=False, keep_on_save=False,
                             follows_vectors=True, meta_keys=("compression",),
                             description="the parameters that decode a compressed vectors.npy (int8 scales, PQ "
                                         "centroids)"))
register_component(Component(NORM_QUANTIZER, ("norm_quantizer.npy",), per_word=False, keep_on_save=False,
                             follows_vectors=True, meta_keys=("compression",),
                             description="the norm centroids of a PQ store with quantised norms"))
register_component(Component(ROTATION, ("rotation.npy",), per_word=False, keep_on_save=False,
                             follows_vectors=True, meta_keys=("compression",),
                             description="the rotation an optimised-PQ store codes its rows after"))
for _name, _what in ((HEAD_CODES, "the head rows' codes past the first M of a PQ store with a head"),
                     (HEAD_QUANTIZER, "the centroids of the head rows of a PQ store with a head"),
                     (HEAD_ROTATION, "the rotation of the head rows of an optimised-PQ store with a head")):
    register_component(Component(_name, (f"{_name}.npy",), per_word=False, keep_on_save=False,
                                 follows_vectors=True, meta_keys=("compression",), description=_what))
# A subword store's n-gram matrix, compressed with it: its codes are ngram_vectors.npy
for _name, _what in ((QUANTIZER, "the parameters that decode a compressed ngram_vectors.npy"),
                     (NORM_QUANTIZER, "the norm centroids of a compressed n-gram matrix with quantised norms"),
                     (ROTATION, "the rotation of a compressed n-gram matrix (optimised PQ)")):
    register_component(Component(f"ngram_{_name}", (f"ngram_{_name}.npy",), per_word=False, keep_on_save=False,
                                 follows_vectors=True, meta_keys=("compression",), description=_what))


def codes_prefix(name: str) -> str:
    """The prefix of the parameter files of a compressed matrix stored as ``NAME.npy``:
    "" for ``vectors``, "ngram_" for ``ngram_vectors``."""
    return name[:-len("vectors")] if name.endswith("vectors") else f"{name}_"


class Method:
    """A compression method: how its codes decode, and how a block of them meets queries.

    ``params``: the method's arrays (``"quantizer"``, ``"norm_quantizer"``) as stored.
    """
    name = ""
    description = ""
    codes_dtype: np.dtype

    def codes_width(self, settings: dict) -> int:
        return int(settings["dim"])

    def check(self, codes: np.ndarray, params: dict, settings: dict, where: str) -> None:
        """Refuse codes or parameters that do not fit the settings (a damaged store)."""
        if codes.dtype != self.codes_dtype or codes.ndim != 2 or codes.shape[1] != self.codes_width(settings):
            raise StoreError(f"{where}/vectors.npy: {self.name} codes must be {np.dtype(self.codes_dtype)} "
                             f"(n, {self.codes_width(settings)}), found {codes.dtype} {codes.shape}")

    def decode(self, codes: np.ndarray, params: dict, rows) -> np.ndarray:
        raise NotImplementedError

    def block_dot(self, codes: np.ndarray, params: dict, queries: np.ndarray, start: int, stop: int) -> np.ndarray:
        """float32 (n_queries, stop - start): the queries' dot products with the decoded
        rows ``start:stop`` (of the directions, for PQ with quantised norms)."""
        return _rows_dot(self.decode(codes, params, slice(start, stop)), queries)

    def search_norms(self, codes: np.ndarray, params: dict) -> np.ndarray:
        """float32 (n,): the norms of what :meth:`block_dot` multiplies by."""
        out = np.empty(codes.shape[0], dtype=np.float32)
        for a in range(0, codes.shape[0], DECODE_BLOCK):
            block = self.decode(codes, params, slice(a, a + DECODE_BLOCK)).astype(np.float64)
            out[a:a + block.shape[0]] = np.sqrt(np.einsum("ij,ij->i", block, block))
        return out


def _rows_dot(block: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """float32 (n_queries, rows): one query as a matrix-vector product (BLAS's gemv; a
    one-row gemm is several times slower), more as one matrix product."""
    if queries.shape[0] == 1:
        return (block @ queries[0])[None, :]
    return queries @ block.T


class Float16(Method):
    name = "float16"
    description = "half precision: half the size"
    codes_dtype = np.dtype(np.float16)
    #: every float16 as float32, by its bits
    table = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)

    def decode(self, codes, params, rows):
        return np.take(self.table, np.asarray(codes[rows]).view(np.uint16))

    def block_dot(self, codes, params, queries, start, stop):
        return table_products(codes.view(np.uint16), self.table, queries, start, stop)


_NO_TABLE = np.zeros(0, dtype=np.float32)     # table_dot converts int8 codes directly


class Int8(Method):
    name = "int8"
    description = "8-bit integers with a float32 scale per row or per dimension: a quarter of the size"
    codes_dtype = np.dtype(np.int8)

    def check(self, codes, params, settings, where):
        super().check(codes, params, settings, where)
        scales = params.get(QUANTIZER)
        want = codes.shape[0] if settings.get("scale") == "row" else codes.shape[1]
        if scales is None or scales.dtype != np.float32 or scales.shape != (want,):
            raise StoreError(f"{where}/quantizer.npy: int8 scales must be float32 ({want},), found "
                             f"{None if scales is None else (scales.dtype, scales.shape)}")

    def decode(self, codes, params, rows):
        block = np.asarray(codes[rows], dtype=np.float32)
        scales = params[QUANTIZER]
        if params["scale"] == "row":
            s = np.asarray(scales[rows], dtype=np.float32)
            return block * (s[:, None] if block.ndim == 2 else s)
        return block * scales

    def block_dot(self, codes, params, queries, start, stop):
        scales = params[QUANTIZER]
        if params["scale"] == "row":
            return table_products(codes, _NO_TABLE, queries, start, stop) * scales[start:stop]
        return table_products(codes, _NO_TABLE, queries * scales, start, stop)


class ProductQuantization(Method):
    name = "pq"
    description = "product quantisation: one byte per subspace (Jégou et al. 2011)"
    codes_dtype = np.dtype(np.uint8)

    def codes_width(self, settings):
        return int(settings["subspaces"]) + (1 if settings.get("norm") else 0)

    def check(self, codes, params, settings, where):
        super().check(codes, params, settings, where)
        M, K = int(settings["subspaces"]), 1 << int(settings["bits"])
        book = params.get(QUANTIZER)
        want = (M, K, int(settings["dim"]) // M)
        if book is None or book.dtype != np.float32 or book.shape != want:
            raise StoreError(f"{where}/quantizer.npy: PQ centroids must be float32 {want}, found "
                             f"{None if book is None else (book.dtype, book.shape)}")
        if settings.get("norm"):
            norms = params.get(NORM_QUANTIZER)
            if norms is None or norms.dtype != np.float32 or norms.shape != (K,):
                raise StoreError(f"{where}/norm_quantizer.npy: the norm centroids must be float32 ({K},)")
        if settings.get("rotate"):
            dim = int(settings["dim"])
            rot = params.get(ROTATION)
            if rot is None or rot.dtype != np.float32 or rot.shape != (dim, dim):
                raise StoreError(f"{where}/rotation.npy: the rotation must be float32 ({dim}, {dim}), found "
                                 f"{None if rot is None else (rot.dtype, rot.shape)}")
        self._check_head(codes, params, settings, where)
        if K < 256:                          # codes past the codebook would read other memory in the kernel
            for name, array in (("vectors", codes), (HEAD_CODES, params.get(HEAD_CODES))):
                top = _largest_code(array)
                if top >= K:
                    raise StoreError(f"{where}/{name}.npy: code {top} outside the {K} centroids")

    def _check_head(self, codes, params, settings, where):
        Mh = settings.get("head_subspaces")
        present = [k for k in (HEAD_CODES, HEAD_QUANTIZER, HEAD_ROTATION) if k in params]
        if not Mh:
            if present:
                raise StoreError(f"{where}/{present[0]}.npy: head codes in a store whose meta.json has no head")
            return
        M, K, dim, H = int(settings["subspaces"]), 1 << int(settings["bits"]), int(settings["dim"]), \
            int(settings["head_rows"])
        Mh = int(Mh)
        if not M < Mh <= dim or dim % Mh or not 0 < H <= codes.shape[0]:
            raise StoreError(f"{where}/meta.json: a head of {H} rows and {Mh} subspaces does not fit "
                             f"{codes.shape[0]} rows of {M} subspaces in {dim} dimensions")
        for key, want, dtype in ((HEAD_QUANTIZER, (Mh, K, dim // Mh), np.float32), (HEAD_CODES, (H, Mh - M), np.uint8),
                                 (HEAD_ROTATION, (dim, dim) if settings.get("rotate") else None, np.float32)):
            got = params.get(key)
            if want is None and got is None:
                continue
            if got is None or want is None or got.dtype != dtype or got.shape != want:
                raise StoreError(f"{where}/{key}.npy: must be {np.dtype(dtype)} {want}, found "
                                 f"{None if got is None else (got.dtype, got.shape)}")

    def _directions(self, codes, params, rows) -> np.ndarray:
        book = params[QUANTIZER]
        M = book.shape[0]
        c = np.asarray(codes[rows])
        c = c[None, :] if c.ndim == 1 else c
        out = _centroids(book, c[:, :M], params.get(ROTATION))
        if HEAD_CODES in params:
            index = _row_numbers(rows, codes.shape[0])
            inside = np.flatnonzero(index < params[HEAD_CODES].shape[0])
            if inside.size:
                head = np.concatenate([c[inside, :M], np.asarray(params[HEAD_CODES][index[inside]])], axis=1)
                out[inside] = _centroids(params[HEAD_QUANTIZER], head, params.get(HEAD_ROTATION))
        return out

    def decode(self, codes, params, rows):
        out = self._directions(codes, params, rows)
        if NORM_QUANTIZER in params:
            c = np.asarray(codes[rows])
            c = c[None, :] if c.ndim == 1 else c
            out *= params[NORM_QUANTIZER][c[:, -1].astype(np.intp)][:, None]
        return out[0] if np.ndim(codes[rows]) == 1 else out

    def tables(self, params, queries, head: bool = False) -> np.ndarray:
        """float32 (n_queries, M, K): each query's dot product with every centroid (of
        the head's quantiser with ``head``)."""
        book = params[HEAD_QUANTIZER if head else QUANTIZER]
        M, K, dsub = book.shape
        rot = params.get(HEAD_ROTATION if head else ROTATION)
        q = (queries if rot is None else queries @ np.asarray(rot)).reshape(queries.shape[0], M, dsub)
        # M products (K, dsub) x (dsub, n_queries): a tenth of einsum's time, which loops in C
        tables = np.matmul(book, np.ascontiguousarray(q.transpose(1, 2, 0), dtype=np.float32))
        return np.ascontiguousarray(tables.transpose(2, 0, 1), dtype=np.float32)

    def block_dot(self, codes, params, queries, start, stop):
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        return self._scores(codes, params, start, stop, tail=lambda: self.tables(params, queries),
                            head=lambda: self.tables(params, queries, head=True))

    def search_norms(self, codes, params):
        def squares(book):                  # ||centroid||^2 as a table: ADC then sums a row's squared norm
            return np.ascontiguousarray(np.einsum("mkd,mkd->mk", book, book)[None], dtype=np.float32)
        sq = self._scores(codes, params, 0, codes.shape[0], tail=lambda: squares(params[QUANTIZER]),
                          head=lambda: squares(params[HEAD_QUANTIZER]))[0]
        return np.sqrt(np.maximum(sq, 0.0))

    @staticmethod
    def _scores(codes, params, start: int, stop: int, tail: Callable, head: Callable) -> np.ndarray:
        """ADC scores of rows ``start:stop`` from the tables ``tail()`` and, for the rows of
        a head, ``head()`` (its first M subspaces' lookups read ``codes``, the rest the
        head's codes), in one pass over the rows."""
        if HEAD_CODES not in params:
            return adc(codes, tail(), start, stop)
        return adc_head(codes, params[HEAD_CODES], head, tail, start, stop)


def _centroids(book: np.ndarray, codes: np.ndarray, rotation) -> np.ndarray:
    """float32 (n, dim): rows of PQ ``codes`` (n, M) decoded by ``book`` (M, K, dsub),
    rotated back by ``rotation`` when there is one."""
    M = book.shape[0]
    out = book[np.arange(M)[None, :], codes.astype(np.intp)].reshape(codes.shape[0], -1)
    return out if rotation is None else out @ np.asarray(rotation).T


def _row_numbers(rows, n: int) -> np.ndarray:
    """The row numbers (int64, non-negative) that ``rows`` (an int, slice, index array or
    mask) selects of ``n``."""
    if isinstance(rows, slice):
        return np.arange(*rows.indices(n))
    index = np.atleast_1d(_index_array(rows))
    return np.where(index < 0, index + n, index)


def _largest_code(codes) -> int:
    if codes is None or not codes.shape[0]:
        return -1
    return max(int(np.asarray(codes[a:a + DECODE_BLOCK]).max(initial=0)) for a in range(0, codes.shape[0], DECODE_BLOCK))


#: The registry: method name -> :class:`Method`.
METHODS: dict[str, Method] = {m.name: m for m in (Float16(), Int8(), ProductQuantization())}


def method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise StoreError(f"unknown compression method {name!r}; this wordlab reads {', '.join(METHODS)}") from None


class QuantizedMatrix:
    """A compressed float32 (n, dim) matrix, decoded on access (see the module docstring).

    ``codes``: the stored array (memory-mapped); ``params``: the method's arrays by
    component name; ``settings``: ``meta.json``'s ``compression`` entry.
    """
    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, codes: np.ndarray, params: dict, settings: dict, where: str = "the store"):
        self.method = method(settings.get("method"))
        self.settings = dict(settings)
        self.method.check(codes, params, settings, where)
        self.codes = codes
        self.params = {**params, "scale": settings.get("scale", "row")}
        self.shape = (int(codes.shape[0]), int(settings["dim"]))
        self._norms: np.ndarray | None = None
        self._inverse_norms: np.ndarray | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        rows, cols = (key if isinstance(key, tuple) else (key, None))
        if isinstance(rows, (list, np.ndarray)):
            rows = _index_array(rows)
            if rows.size and (rows.max() >= self.shape[0] or rows.min() < -self.shape[0]):
                raise IndexError(f"row index out of range for {self.shape[0]} rows")
        out = self.method.decode(self.codes, self.params, rows)
        return out if cols is None else out[..., cols]

    def __array__(self, dtype=None, copy=None):
        return _decoded(self, dtype)

    @property
    def nbytes(self) -> int:
        """Bytes of the codes and parameters (what the store holds of this matrix)."""
        return int(self.codes.nbytes + sum(getattr(v, "nbytes", 0) for v in self.params.values()))

    @property
    def search_norms(self) -> np.ndarray:
        """float32 (n,): the norms :meth:`block_dot` divides by for cosines (computed once)."""
        if self._norms is None:
            self._norms = self.method.search_norms(self.codes, self.params)
        return self._norms

    @property
    def inverse_norms(self) -> np.ndarray:
        """float32 (n,): 1 / :attr:`search_norms`, 0 for a zero row (computed once: a
        query scales every row's score by it)."""
        if self._inverse_norms is None:
            n = self.search_norms
            self._inverse_norms = np.divide(1.0, n, out=np.zeros_like(n), where=n > 0)
        return self._inverse_norms

    def block_dot(self, queries: np.ndarray, start: int, stop: int) -> np.ndarray:
        return self.method.block_dot(self.codes, self.params, queries, start, stop)

    @property
    def unit(self) -> "UnitRows":
        return UnitRows(self)

    def __repr__(self) -> str:
        return f"<QuantizedMatrix {self.shape[0]:,} x {self.shape[1]} {self.method.name}>"


class UnitRows:
    """The unit rows of a :class:`QuantizedMatrix` (zero rows stay zero), decoded on
    access; ``block_dot`` gives cosines with unit queries without decoding."""
    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, matrix: QuantizedMatrix):
        self.matrix = matrix
        self.shape = matrix.shape

    def __len__(self) -> int:
        return self.shape[0]

    def _inverse(self, rows) -> np.ndarray:
        return self.matrix.inverse_norms[rows]

    def __getitem__(self, key):
        rows, cols = (key if isinstance(key, tuple) else (key, None))
        if isinstance(rows, (list, np.ndarray)):
            rows = _index_array(rows)
        m = self.matrix
        block = (m.method._directions(m.codes, m.params, rows) if NORM_QUANTIZER in m.params
                 else m.method.decode(m.codes, m.params, rows))
        inv = self._inverse(rows)
        out = block * (inv[:, None] if np.ndim(inv) else inv)
        if np.ndim(m.codes[rows]) == 1 and out.ndim == 2:
            out = out[0]
        return out if cols is None else out[..., cols]

    def __array__(self, dtype=None, copy=None):
        return _decoded(self, dtype)

    def block_dot(self, queries: np.ndarray, start: int, stop: int) -> np.ndarray:
        return self.matrix.block_dot(queries, start, stop) * self._inverse(slice(start, stop))


def _index_array(rows) -> np.ndarray:
    """An index list or array as row numbers (a boolean mask as the rows it selects)."""
    rows = np.asarray(rows)
    return np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp, copy=False)


def _decoded(rows, dtype=None) -> np.ndarray:
    """All of an array-like's rows, decoded block by block into one float32 array."""
    out = np.empty(rows.shape, dtype=np.float32)
    for a in range(0, rows.shape[0], DECODE_BLOCK):
        out[a:a + DECODE_BLOCK] = rows[a:a + DECODE_BLOCK]
    return out if dtype is None else out.astype(dtype)


def block_product(matrix, queries: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``queries @ matrix[start:stop].T`` as float32, without decoding a compressed matrix."""
    dot: Callable | None = getattr(matrix, "block_dot", None)
    if dot is not None:
        return dot(np.ascontiguousarray(queries, dtype=np.float32), start, stop)
    return queries @ np.asarray(matrix[start:stop], dtype=np.float32).T
