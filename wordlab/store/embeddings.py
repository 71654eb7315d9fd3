"""``Embeddings``: the memory-mapped embedding store every part of the lab shares.

A store is a directory of ``vectors.npy``, ``vocab.tsv``, ``meta.json`` and optional
components (:mod:`wordlab.store.layout` describes it and the schema of ``meta.json``;
:mod:`wordlab.store.writer` writes every store, :mod:`wordlab.store.reader` reads one).

Opening maps ``vectors.npy`` (``np.load(mmap_mode="r")``) and reads ``meta.json``;
the vocabulary is read on first use. Open time does not grow with the matrix.
The API follows gensim's ``KeyedVectors`` where that costs nothing.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..atomic import atomic_file
from ..errors import (ArgumentTypeError, DataError, ParameterError, StoreError, UnknownWordError,
                      WordlabError, WordlabWarning)
from . import layout, lookup
from .export import write_binary_vectors, write_text_vectors
from .formats import FORMATS
from .keyedvectors import KeyedVectorsAPI
from .queries import SimilarityQueries
from .search import nonfinite_rows, unit_rows
from .subwords import SubwordVectors, vectors_of

class Embeddings(SimilarityQueries, KeyedVectorsAPI):
    """Word vectors with their vocabulary: in memory, or a memory-mapped store.

    Parameters
    ----------
    words : sequence of str, length n
        Unique words, in row order (by convention most frequent first, which is what
        ``restrict_vocab`` relies on).
    vectors : array-like, shape (n, dim)
        Converted to float32.
    counts : array-like of int, shape (n,), optional
        Corpus frequencies.
    meta : dict, optional
        Training metadata kept in ``meta.json`` (method, hyperparameters, ...).
    components : dict, optional
        Optional components by name (:data:`~wordlab.store.layout.COMPONENTS`), each an
        array or a dict of arrays by file stem, e.g. ``{"context_vectors": array}``.

    Examples
    --------
    >>> import numpy as np
    >>> emb = Embeddings(["king", "queen", "apple"], np.eye(3, 4))
    >>> emb.similarity("king", "queen")
    0.0
    """

    def __init__(self, words: Iterable[str], vectors, counts=None, meta: dict | None = None, *,
                 components: dict | None = None):
        vectors = np.asarray(vectors)
        if not (np.issubdtype(vectors.dtype, np.number) or vectors.dtype == bool):
            raise ArgumentTypeError(f"vectors must be numbers, not {vectors.dtype}")
        if vectors.ndim != 2:
            raise ParameterError(f"vectors must be a 2-D array (n_words, dim), got shape {vectors.shape}")
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._words: list[str] | None = list(words)
        if len(self._words) != self._vectors.shape[0]:
            raise ParameterError(f"{len(self._words)} words but {self._vectors.shape[0]} vectors")
        for w in self._words:
            if not isinstance(w, str):
                raise ArgumentTypeError(f"words must be strings, found {type(w).__name__}: {w!r}")
        self._counts = None if counts is None else np.asarray(counts, dtype=np.int64).reshape(-1)
        if self._counts is not None and self._counts.shape[0] != len(self._words):
            raise ParameterError(f"{len(self._words)} words but {self._counts.shape[0]} counts")
        self._index: dict[str, int] | None = None
        self.path: Path | None = None
        self.index  # refuse duplicates now
        self.meta: dict = {"dim": int(self._vectors.shape[1]), "method": "external"}
        self.meta.update(meta or {})
        self._unit: np.ndarray | None = None
        self._snapshot = None
        self._arrays: dict[str, dict[str, np.ndarray]] = {}
        for name, value in (components or {}).items():
            self._set_component(name, value)

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike) -> "Embeddings":
        """Open a store directory (memory-mapped, read-only).

        ``meta.json`` must be a JSON object and ``vectors.npy`` a complete 2-D,
        C-ordered float32 array; otherwise a :class:`StoreError` names the file.
        """
        from .reader import open_store
        path = Path(path)
        meta, vectors, snap, names = open_store(path)
        self = cls.__new__(cls)
        self._vectors = vectors
        self._words = None  # read lazily from vocab.tsv
        self._counts = None
        self._index = None
        self.meta = meta
        self.path = path
        self._unit = None
        self._snapshot = snap          # vocab.tsv, vectors.npy (for its digest) and the components' files
        self._arrays = {}
        self._listed = tuple(names)
        return self

    def _load_vocab(self) -> None:
        """Read ``vocab.tsv``: one ``word<TAB>count`` line per row (checked by
        :func:`~wordlab.store.formats.read_vocab_tsv`; a repeated word is refused when
        the index is built)."""
        from .reader import read_vocab_tsv
        snap = self._snapshot
        self._words, self._counts = read_vocab_tsv(self.path / "vocab.tsv", int(self._vectors.shape[0]),
                                                   snap.read_bytes("vocab.tsv"))
        snap.release("vocab.tsv")

    # -- basic properties --------------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """The (n_words, dim) float32 matrix (a read-only memory map for opened stores)."""
        return self._vectors

    @property
    def words(self) -> list[str]:
        """Words in row order."""
        if self._words is None:
            self._load_vocab()
        return self._words

    @property
    def counts(self) -> np.ndarray | None:
        """Corpus counts per word (int64), or None when unknown."""
        if self._words is None:
            self._load_vocab()
        return self._counts

    @property
    def index(self) -> dict[str, int]:
        """word -> row mapping (built on first use)."""
        if self._index is None:
            index = {w: i for i, w in enumerate(self.words)}
            if len(index) != len(self.words):
                dup = next(w for i, w in enumerate(self.words) if index[w] != i)
                where = f" in {self.path / 'vocab.tsv'}" if self.path else ""
                raise (StoreError if self.path else DataError)(f"duplicate word {dup!r}{where}")
            self._index = index
        return self._index

    @property
    def dim(self) -> int:
        return int(self._vectors.shape[1])

    def __len__(self) -> int:
        return int(self._vectors.shape[0])

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __iter__(self):
        return iter(self.words)

    def index_of(self, word: str) -> int:
        """Row of ``word``, as typed or as the tokenizer would have written it (NFC,
        lowercase, apostrophe forms; :mod:`wordlab.store.lookup`); otherwise an
        ``UnknownWordError`` (a ``KeyError``) naming it, with suggestions."""
        row = lookup.find(self.index, word) if isinstance(word, str) else None
        if row is None:
            raise UnknownWordError(word, self._where(),
                                   lookup.suggestions(self.words, word) if isinstance(word, str) else ())
        return row

    def _where(self) -> str:
        return f"the vocabulary of {self._where_short()}" if self.path else "the vocabulary"

    def __getitem__(self, key: str | Sequence[str]) -> np.ndarray:
        """Vector of a word, or a (k, dim) array for a list of words (a subword store
        composes words outside its vocabulary, see :mod:`wordlab.store.subwords`)."""
        if isinstance(key, str):
            return self._vectors_of([key])[0]
        return self._vectors_of(list(key))

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """gensim-compatible: the vector of ``word`` (unit length when ``norm``)."""
        if self.subwords is not None:
            return self._query(word)[1] if norm else self._vectors_of([word])[0]
        i = self.index_of(word)
        return np.array(self.unit_vectors[i] if norm else self._vectors[i])

    @property
    def subwords(self) -> SubwordVectors | None:
        """The n-gram side of a subword store, or None."""
        if getattr(self, "_subwords", None) is None:
            self._subwords = SubwordVectors.of(self) or False
        return self._subwords or None

    def has_vector(self, word: str) -> bool:
        """Whether ``store[word]`` gives a vector (``in`` asks about the vocabulary only)."""
        return (lookup.find(self.index, word) is not None
                or (self.subwords is not None and bool(self.subwords.spec.rows(word).size)))

    def _vectors_of(self, words: list[str]) -> np.ndarray:
        return vectors_of(self, words)      # rows, and composed vectors in a subword store

    # -- optional components ---------------------------------------------------------------
    @property
    def components(self) -> tuple[str, ...]:
        """The names of the optional components held (see :mod:`wordlab.store.layout`)."""
        listed = getattr(self, "_listed", ())
        return tuple(listed) + tuple(n for n in self._arrays if n not in listed)

    def component_arrays(self, name: str) -> dict[str, np.ndarray]:
        """Component ``name`` as its files' arrays (file name -> array; read-only memory
        maps for an opened store); a :class:`StoreError` when the store lacks it."""
        if name not in self._arrays:
            if name not in self.components:
                raise StoreError(f"{self._where_short()} has no component {name!r}")
            from .reader import open_component, open_quantized
            packed = (self.compression or {}).get("components", {}).get(name)
            self._arrays[name] = (open_component(self._snapshot, name, len(self)) if packed is None else
                                  {f"{name}.npy": open_quantized(self.path, packed, list(self.components),
                                                                 str(self.path), self._snapshot, name)})
        return self._arrays[name]

    def component(self, name: str, default=None):
        """Component ``name`` opened as its registration says (an array, or a dict of
        arrays by file stem), or ``default`` when the store lacks it."""
        if name not in self.components:
            layout.component(name)          # an unknown name is an error, not a default
            return default
        return layout.component(name).open(self.component_arrays(name))

    def _set_component(self, name: str, value) -> None:
        spec = layout.component(name)
        arrays = spec.split(value)
        spec.check(arrays, len(self), "the embeddings")
        self._arrays[name] = arrays

    @property
    def context_vectors(self) -> np.ndarray | None:
        """The trainer's output (context) matrix, (n_words, dim), when the store keeps one."""
        return self.component("context_vectors")

    @property
    def _context(self) -> np.ndarray | None:      # the attribute of earlier versions
        return self.context_vectors

    @_context.setter
    def _context(self, value) -> None:
        self._set_component("context_vectors", value)

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length, computed once. Zero rows, and rows holding NaN or
        infinity, are zero here; the latter are never returned as neighbours (see
        :attr:`nonfinite_rows`).

        For a store, kept in the cache (``$WORDLAB_CACHE/unit``) under the digest of its
        ``vectors.npy`` and memory-mapped, so a store is never written to by reading it,
        and a changed ``vectors.npy`` never meets the unit vectors of its old content.
        """
        if self._unit is None:
            if hasattr(self._vectors, "unit"):         # compressed: decoded on access, never cached
                self._unit, self._nonfinite = self._vectors.unit, np.zeros(0, dtype=np.int64)
            elif self.path is None:
                self._unit = unit_rows(self._vectors)
                self._nonfinite = nonfinite_rows(self._vectors)
            else:
                from .unitcache import cached_unit_vectors
                self._unit, self._nonfinite = cached_unit_vectors(self._vectors, self.path / "vectors.npy",
                                                                  self._snapshot.path("vectors.npy"))
            if self._nonfinite.size:
                import warnings
                first = self.words[int(self._nonfinite[0])]
                warnings.warn(f"{self._where_short()}: {self._nonfinite.size:,} vector(s) hold NaN or infinity "
                              f"(the first of word {first!r}); they have no neighbours and are never returned as one",
                              WordlabWarning, stacklevel=3)
        return self._unit

    @property
    def nonfinite_rows(self) -> np.ndarray:
        """Rows whose vector holds NaN or infinity (int64), found with the unit vectors."""
        self.unit_vectors
        return self._nonfinite

    def _where_short(self) -> str:
        """How messages name the store: the file the user loaded for an import (not its cache copy)."""
        source = getattr(self, "source", None) or (self.meta.get("source_file")
                                                   if self.meta.get("method") == "imported" else None)
        return str(source or self.path or "the embeddings")

    # -- saving -------------------------------------------------------------------------
    def encode(self, sentences: Iterable[Sequence[str] | str], batch_size: int = 4096) -> np.ndarray:
        """Encode sentences into vectors: (n, dim) float32.

        CBOW stores (any store not trained as CMOW/hybrid) sum the word vectors; CMOW
        stores multiply the words' k x k matrices in order; hybrid stores concatenate
        both (see :mod:`wordlab.store.encoders`). Words outside the vocabulary are
        skipped, so an empty or all-unknown sentence gets the neutral element: zeros
        (CBOW), the flattened identity (CMOW). A sentence is a list of words, or a
        string split on whitespace.
        """
        from .encoders import encode_sentences
        if isinstance(sentences, str):
            raise ArgumentTypeError("encode() takes a list of sentences; wrap a single sentence in a list")
        sub = self.subwords
        return encode_sentences(self.vectors, self.index, self.meta, sentences, batch_size,
                                compose=None if sub is None else (lambda words: sub.compose(words)[0]))

    def save(self, path: str | os.PathLike, format: str = "store", allow_nonfinite: bool = False,
             overwrite: bool = False) -> Path:
        """Write the embeddings atomically (temporary name, renamed when complete).

        ``format``: ``store`` (a directory; the default), ``word2vec`` (text), ``word2vec-bin``,
        ``glove`` (text without header) or ``fasttext-bin`` (subword stores only). Rows with
        NaN or infinity are refused unless ``allow_nonfinite``. An existing ``path`` is refused
        unless ``overwrite``; then a store replaces only a store, and a file only a file
        (see :mod:`wordlab.atomic`).
        """
        if format not in FORMATS:
            raise ParameterError(f"format must be one of {FORMATS}, not {format!r}")
        if not allow_nonfinite:
            bad = nonfinite_rows(self._vectors)
            if bad.size:
                raise WordlabError(f"{bad.size} row(s) hold NaN or infinity, the first for word "
                                   f"{self.words[bad[0]]!r}; pass allow_nonfinite=True to save anyway")
        path = Path(path)
        if format == "store":
            from .writer import save_store
            save_store(self, path, overwrite)
            return path
        with atomic_file(path, "wb", overwrite=overwrite) as fh:
            if format == "fasttext-bin":
                from .fasttext_bin import write_fasttext_bin
                write_fasttext_bin(fh, self)
            elif format == "word2vec-bin":
                write_binary_vectors(fh, self.words, self._vectors)
            else:
                write_text_vectors(fh, self.words, self._vectors, header=(format == "word2vec"))
        return path

    @property
    def compression(self) -> dict | None:
        """How a compressed store was compressed (meta.json's ``compression``), else None."""
        return self.meta.get("compression")

    def compress(self, path: str | os.PathLike, method: str = "pq", **settings) -> "Embeddings":
        """Write a compressed copy at ``path`` and open it: ``method`` ``pq`` (``subspaces``,
        ``bits=8``, ``norm=False``, ``rotate=False`` for optimised PQ, ``head_subspaces``
        and ``head_rows`` to code the most frequent rows finer), ``int8``
        (``scale="row"|"dim"``) or ``float16``; also
        ``iterations``, ``training_rows``, ``seed``, ``overwrite``, ``progress``. See
        :mod:`wordlab.store.compress`; ``save`` of the result writes float32 again."""
        from .compress import compress_store
        return Embeddings.open(compress_store(self, path, method, **settings))

    # -- gensim interoperability ------------------------------------------------------------
    @classmethod
    def from_gensim(cls, model) -> "Embeddings":
        """From gensim ``KeyedVectors`` (or any model with a ``.wv``); counts are kept when set."""
        from .gensim import from_gensim
        return from_gensim(cls, model)

    def to_gensim(self):
        """A gensim ``KeyedVectors`` with the same words, order, vectors and counts."""
        from .gensim import to_gensim
        return to_gensim(self)

    # -- display ------------------------------------------------------------------------
    def __repr__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        method = self.meta.get("method", "?")
        packed = f", compressed={self.compression.get('method')}" if self.compression else ""
        return f"<Embeddings {len(self):,} words x {self.dim} dims, method={method}{packed}{where}>"
