"""``Embeddings``: the memory-mapped embedding store every part of the lab shares.

A store is a directory::

    vectors.npy        float32, (n_words, dim), C order
    vocab.tsv          word<TAB>count, one line per row of vectors.npy
    meta.json          dim, method, hyperparameters, corpus fingerprint, version, times, loss
    unit_vectors.npy   rows of vectors.npy scaled to unit length (made on first use)
    context_vectors.npy  optional: a trainer's output (context) matrix, so training can continue

Opening maps ``vectors.npy`` (``np.load(mmap_mode="r")``) and reads ``meta.json``;
the vocabulary is read on first use. Open time does not grow with the matrix.
The API follows gensim's ``KeyedVectors`` where that costs nothing.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:  # pandas is imported on use: training never needs it
    import pandas as pd

from .._version import __version__
from ..atomic import atomic_directory, atomic_file
from ..errors import StoreError, UnknownWordError, WordlabError
from ..paths import cache_root
from .formats import (FORMATS, guess_format, read_binary_vectors, read_text_vectors,
                      write_binary_vectors, write_text_vectors)
from .search import cosine_topk, blocked_topk, nonfinite_rows, unit_rows

STORE_FORMAT = "wordlab-store"
STORE_FORMAT_VERSION = 1
_ANALOGY_METHODS = ("3cosadd", "3cosmul")


class Neighbors(list):
    """A list of ``(word, similarity)`` pairs, as gensim returns, that shows as a table."""

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self), columns=["word", "similarity"])

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()


class Embeddings:
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

    Examples
    --------
    >>> import numpy as np
    >>> emb = Embeddings(["king", "queen", "apple"], np.eye(3, 4))
    >>> emb.similarity("king", "queen")
    0.0
    """

    def __init__(self, words: Iterable[str], vectors, counts=None, meta: dict | None = None):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array (n_words, dim), got shape {vectors.shape}")
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._words: list[str] | None = list(words)
        if len(self._words) != self._vectors.shape[0]:
            raise ValueError(f"{len(self._words)} words but {self._vectors.shape[0]} vectors")
        for w in self._words:
            if not isinstance(w, str):
                raise TypeError(f"words must be strings, found {type(w).__name__}: {w!r}")
        self._counts = None if counts is None else np.asarray(counts, dtype=np.int64).reshape(-1)
        if self._counts is not None and self._counts.shape[0] != len(self._words):
            raise ValueError(f"{len(self._words)} words but {self._counts.shape[0]} counts")
        self._index: dict[str, int] | None = None
        self.path: Path | None = None
        self.index  # refuse duplicates now
        self.meta: dict = {"dim": int(self._vectors.shape[1]), "method": "external"}
        self.meta.update(meta or {})
        self.path: Path | None = None
        self._unit: np.ndarray | None = None

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike) -> "Embeddings":
        """Open a store directory (memory-mapped, read-only)."""
        path = Path(path)
        if not path.is_dir():
            raise StoreError(f"{path} is not a store directory")
        missing = [f for f in ("vectors.npy", "vocab.tsv", "meta.json") if not (path / f).is_file()]
        if missing:
            raise StoreError(f"{path} is not a complete store: missing {', '.join(missing)}")
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise StoreError(f"{path / 'meta.json'} is not valid JSON: {e}") from None
        try:
            vectors = np.load(path / "vectors.npy", mmap_mode="r")
        except ValueError as e:
            raise StoreError(f"{path / 'vectors.npy'} is not a valid .npy file: {e}") from None
        if vectors.ndim != 2 or vectors.dtype != np.float32:
            raise StoreError(f"{path / 'vectors.npy'} must be a 2-D float32 array, "
                             f"found {vectors.dtype} {vectors.shape}")
        if "dim" in meta and meta["dim"] != vectors.shape[1]:
            raise StoreError(f"{path}: meta.json says dim {meta['dim']} but vectors.npy has {vectors.shape[1]}")
        self = cls.__new__(cls)
        self._vectors = vectors
        self._words = None  # read lazily from vocab.tsv
        self._counts = None
        self._index = None
        self.meta = meta
        self.path = path
        self._unit = None
        return self

    def _load_vocab(self) -> None:
        path = self.path / "vocab.tsv"
        text = path.read_text(encoding="utf-8")
        if not text:
            parts: list[str] = []
        else:  # str.split is several times faster than re.split on a million lines
            parts = (text[:-1] if text.endswith("\n") else text).replace("\t", "\n").split("\n")
        words, counts = parts[0::2], parts[1::2]
        if len(words) != len(counts) or len(words) != self._vectors.shape[0]:
            lines = text.count("\n") + (not text.endswith("\n"))
            raise StoreError(f"{path}: {lines} lines for {self._vectors.shape[0]} vectors, "
                             "or a line without a count")
        self._words = words
        try:
            self._counts = np.array(counts, dtype=np.int64)
        except ValueError:
            bad = next(i for i, c in enumerate(counts) if not c.strip().lstrip("-").isdigit())
            raise StoreError(f"{path}, line {bad + 1}: count {counts[bad]!r} is not an integer") from None

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
                raise (StoreError if self.path else ValueError)(f"duplicate word {dup!r}{where}")
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
        """Row of ``word``; ``UnknownWordError`` (a ``KeyError``) naming it otherwise."""
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word, self._where()) from None

    def _where(self) -> str:
        return f"the vocabulary of {self.path}" if self.path else "the vocabulary"

    def __getitem__(self, key: str | Sequence[str]) -> np.ndarray:
        """Vector of a word, or a (k, dim) array for a list of words."""
        if isinstance(key, str):
            return np.array(self._vectors[self.index_of(key)])
        rows = [self.index_of(w) for w in key]
        return np.array(self._vectors[rows])

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """gensim-compatible: the vector of ``word`` (unit length when ``norm``)."""
        i = self.index_of(word)
        return np.array(self.unit_vectors[i] if norm else self._vectors[i])

    @property
    def context_vectors(self) -> np.ndarray | None:
        """The trainer's output (context) matrix, (n_words, dim), when the store keeps one."""
        if getattr(self, "_context", None) is None and self.path is not None:
            path = self.path / "context_vectors.npy"
            if path.is_file():
                self._context = np.load(path, mmap_mode="r")
        return getattr(self, "_context", None)

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero), computed once.

        For a store, kept as ``unit_vectors.npy`` beside ``vectors.npy`` (or, when the
        store is read-only, in the cache) and memory-mapped.
        """
        if self._unit is None:
            if self.path is None:
                self._unit = unit_rows(self._vectors)
            else:
                self._unit = self._unit_file()
        return self._unit

    def _unit_file(self) -> np.ndarray:
        target = self.path / "unit_vectors.npy"
        if not os.access(self.path, os.W_OK):
            st = (self.path / "vectors.npy").stat()
            key = hashlib.sha256(f"{self.path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:20]
            target = cache_root() / "unit" / f"{key}.npy"
        if target.is_file():
            unit = np.load(target, mmap_mode="r")
            if unit.shape == self._vectors.shape:
                return unit
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=self._vectors.shape)
        unit_rows(self._vectors, out)
        out.flush()
        del out
        os.replace(tmp, target)
        return np.load(target, mmap_mode="r")

    # -- similarity queries ------------------------------------------------------------
    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        u = self.unit_vectors
        return float(np.dot(u[self.index_of(word1)], u[self.index_of(word2)]))

    def _limit(self, restrict_vocab: int | None) -> int:
        return len(self) if restrict_vocab is None else min(int(restrict_vocab), len(self))

    def most_similar(self, positive: str | Sequence[str] | np.ndarray | None = None,
                     negative: str | Sequence[str] | None = None, topn: int = 10,
                     restrict_vocab: int | None = None) -> Neighbors:
        """The ``topn`` words closest by cosine to the mean of the unit vectors of
        ``positive`` minus those of ``negative`` (gensim's semantics; the query words
        are excluded). Exact search, blocked over the memory map.

        Returns a list of ``(word, similarity)``, best first.
        """
        positive = [positive] if isinstance(positive, (str, np.ndarray)) else list(positive or [])
        negative = [negative] if isinstance(negative, (str, np.ndarray)) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative word")
        unit = self.unit_vectors
        parts, exclude = [], []
        for sign, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                if isinstance(item, str):
                    i = self.index_of(item)
                    exclude.append(i)
                    parts.append(sign * np.asarray(unit[i], dtype=np.float32))
                else:
                    v = np.asarray(item, dtype=np.float32).reshape(-1)
                    self._check_dim(v)
                    parts.append(sign * v / (np.linalg.norm(v) or 1.0))
        query = np.mean(parts, axis=0)
        ids, scores = cosine_topk(unit, query, topn, self._limit(restrict_vocab), [exclude])
        return self._pairs(ids[0], scores[0])

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10,
                          restrict_vocab: int | None = None) -> Neighbors:
        """The ``topn`` words closest by cosine to ``vector`` (nothing excluded)."""
        v = np.asarray(vector, dtype=np.float32).reshape(-1)
        self._check_dim(v)
        ids, scores = cosine_topk(self.unit_vectors, v, topn, self._limit(restrict_vocab))
        return self._pairs(ids[0], scores[0])

    def similar_by_word(self, word: str, topn: int = 10, restrict_vocab: int | None = None) -> Neighbors:
        return self.most_similar(word, topn=topn, restrict_vocab=restrict_vocab)

    def neighbors(self, words: Sequence[str], topn: int = 10, restrict_vocab: int | None = None) -> pd.DataFrame:
        """Nearest neighbours of many words at once (one matrix product per row block).

        Returns a DataFrame with columns ``query``, ``rank`` (1-based), ``word``,
        ``similarity``.
        """
        words = [words] if isinstance(words, str) else list(words)
        rows = [self.index_of(w) for w in words]
        unit = self.unit_vectors
        ids, scores = cosine_topk(unit, np.asarray(unit[rows]), topn, self._limit(restrict_vocab),
                                  [[r] for r in rows])
        vocab = self.words
        records = [(q, rank + 1, vocab[i], float(s))
                   for q, row_ids, row_scores in zip(words, ids.tolist(), scores.tolist())
                   for rank, (i, s) in enumerate(zip(row_ids, row_scores)) if i >= 0]
        import pandas as pd

        return pd.DataFrame(records, columns=["query", "rank", "word", "similarity"])

    def analogy(self, a: str, b: str, c: str, method: str = "3cosadd", topn: int = 1,
                restrict_vocab: int | None = None, epsilon: float = 1e-3) -> Neighbors:
        """Answer "``a`` is to ``b`` as ``c`` is to ?" (the question words excluded).

        ``3cosadd``: argmax cos(d, b - a + c) over unit vectors (Mikolov et al. 2013).
        ``3cosmul``: argmax cos'(d,b) cos'(d,c) / (cos'(d,a) + epsilon) with cosines
        shifted to [0, 1] as cos' = (cos + 1) / 2 (Levy and Goldberg 2014; they use
        epsilon = 0.001, gensim's ``most_similar_cosmul`` uses 1e-6).
        """
        method = method.lower()
        if method not in _ANALOGY_METHODS:
            raise ValueError(f"method must be one of {_ANALOGY_METHODS}, not {method!r}")
        ia, ib, ic = (self.index_of(w) for w in (a, b, c))
        unit = self.unit_vectors
        limit = self._limit(restrict_vocab)
        if method == "3cosadd":
            query = unit[ib] - unit[ia] + unit[ic]
            ids, scores = cosine_topk(unit, query, topn, limit, [[ia, ib, ic]])
        else:
            abc = np.stack([unit[ia], unit[ib], unit[ic]])

            def cosmul(start: int, stop: int) -> np.ndarray:
                s = (abc @ unit[start:stop].T + 1.0) / 2.0
                return (s[1] * s[2] / (s[0] + epsilon))[None, :]

            ids, scores = blocked_topk(limit, cosmul, topn, [[ia, ib, ic]])
        return self._pairs(ids[0], scores[0])

    def _pairs(self, ids: np.ndarray, scores: np.ndarray) -> Neighbors:
        vocab = self.words
        return Neighbors((vocab[i], float(s)) for i, s in zip(ids.tolist(), scores.tolist()) if i >= 0)

    def _check_dim(self, v: np.ndarray) -> None:
        if v.shape[0] != self.dim:
            raise ValueError(f"vector has dimension {v.shape[0]}, the store has {self.dim}")

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
            raise TypeError("encode() takes a list of sentences; wrap a single sentence in a list")
        return encode_sentences(self.vectors, self.index, self.meta, sentences, batch_size)

    def save(self, path: str | os.PathLike, format: str = "store", allow_nonfinite: bool = False) -> Path:
        """Write the embeddings atomically (temporary name, renamed when complete).

        ``format``: ``store`` (a directory; the default), ``word2vec`` (text),
        ``word2vec-bin`` (binary) or ``glove`` (text without header). Rows with NaN or
        infinity are refused unless ``allow_nonfinite``.
        """
        if format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
        if not allow_nonfinite:
            bad = nonfinite_rows(self._vectors)
            if bad.size:
                raise WordlabError(f"{bad.size} row(s) hold NaN or infinity, the first for word "
                                   f"{self.words[bad[0]]!r}; pass allow_nonfinite=True to save anyway")
        path = Path(path)
        if format == "store":
            with atomic_directory(path) as tmp:
                self._write_store(tmp)
            return path
        with atomic_file(path, "wb") as fh:
            if format == "word2vec-bin":
                write_binary_vectors(fh, self.words, self._vectors)
            else:
                write_text_vectors(fh, self.words, self._vectors, header=(format == "word2vec"))
        return path

    def _write_store(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", self._vectors)
        self._write_sidecars(directory)

    def _write_sidecars(self, directory: Path) -> None:
        """Everything of a store but ``vectors.npy`` (for writers that fill it block by block)."""
        if self.context_vectors is not None:
            np.save(directory / "context_vectors.npy", self.context_vectors)
        from ..corpus.vocab import Vocabulary
        counts = self.counts if self.counts is not None else np.zeros(len(self), dtype=np.int64)
        Vocabulary(self.words, counts).save(directory / "vocab.tsv")
        meta = dict(self.meta)
        meta.update({"format": STORE_FORMAT, "format_version": STORE_FORMAT_VERSION,
                     "dim": self.dim, "n_words": len(self),
                     "wordlab_version": meta.get("wordlab_version", __version__)})
        meta.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
        (directory / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=_json_default),
                                             encoding="utf-8")

    # -- gensim interoperability ------------------------------------------------------------
    @classmethod
    def from_gensim(cls, model) -> "Embeddings":
        """From gensim ``KeyedVectors`` (or any model with a ``.wv``); counts are kept when set."""
        kv = getattr(model, "wv", model)
        counts = None
        if "count" in getattr(kv, "expandos", {}):
            counts = np.asarray(kv.expandos["count"], dtype=np.int64)
        return cls(list(kv.index_to_key), np.asarray(kv.vectors), counts, {"method": "gensim"})

    def to_gensim(self):
        """A gensim ``KeyedVectors`` with the same words, order, vectors and counts."""
        from gensim.models import KeyedVectors
        kv = KeyedVectors(vector_size=self.dim, count=0, dtype=np.float32)
        kv.add_vectors(self.words, np.asarray(self._vectors))
        if self.counts is not None:
            kv.allocate_vecattrs(attrs=["count"], types=[np.int64])
            kv.expandos["count"][:] = self.counts
        return kv

    # -- display ------------------------------------------------------------------------
    def __repr__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        method = self.meta.get("method", "?")
        return f"<Embeddings {len(self):,} words x {self.dim} dims, method={method}{where}>"


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


# -- loading any format ---------------------------------------------------------------------
def load(path: str | os.PathLike, format: str | None = None, unicode_errors: str = "strict",
         cache: bool = True) -> Embeddings:
    """Open a store directory, or read a word2vec text/binary, GloVe or fastText ``.vec`` file.

    ``format`` is ``store``, ``word2vec`` (text; also ``.vec``), ``word2vec-bin`` or
    ``glove``; by default it is taken from the name (``.bin`` binary, ``.vec``/``.w2v``
    text, ``.txt`` text with or without header) . Text and binary files are streamed
    into a memory-mapped store under the cache (``$WORDLAB_CACHE/stores``), keyed by
    path, size and modification time, so opening the same file again is instant.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise StoreError(f"{path} does not exist")
    fmt = format or guess_format(path)
    if fmt not in FORMATS + ("text", "fasttext"):
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    if fmt == "store" or path.is_dir():
        return Embeddings.open(path)
    if fmt == "fasttext":
        fmt = "word2vec"
    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{fmt}|{unicode_errors}"
                         .encode()).hexdigest()[:20]
    target = cache_root() / "stores" / key
    if cache and (target / "meta.json").is_file():
        return Embeddings.open(target)
    with atomic_directory(target) as tmp:
        if fmt == "word2vec-bin":
            words = read_binary_vectors(path, tmp / "vectors.npy", unicode_errors)
        else:
            words = read_text_vectors(path, tmp / "vectors.npy", fmt, unicode_errors)
        words, duplicates = _drop_duplicates(words, tmp / "vectors.npy", path)
        from ..corpus.vocab import Vocabulary
        Vocabulary(words, np.zeros(len(words), dtype=np.int64)).save(tmp / "vocab.tsv")
        vectors = np.load(tmp / "vectors.npy", mmap_mode="r")
        meta = {"format": STORE_FORMAT, "format_version": STORE_FORMAT_VERSION, "dim": int(vectors.shape[1]),
                "n_words": len(words), "method": "imported", "source_file": str(path.resolve()),
                "source_format": fmt, "duplicates_dropped": duplicates, "wordlab_version": __version__,
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        del vectors
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return Embeddings.open(target)


def _drop_duplicates(words: list[str], npy: Path, source: Path) -> tuple[list[str], int]:
    """Keep the first row of a repeated word (as gensim does), with a warning."""
    if len(set(words)) == len(words):
        return words, 0
    seen: dict[str, int] = {}
    keep = []
    for i, w in enumerate(words):
        if w not in seen:
            seen[w] = i
            keep.append(i)
    if len(keep) == len(words):
        return words, 0
    import warnings
    n_dup = len(words) - len(keep)
    first = next(w for i, w in enumerate(words) if seen[w] != i)
    warnings.warn(f"{source}: {n_dup} repeated word(s) (first {first!r}); keeping the first vector of each",
                  stacklevel=3)
    old = np.load(npy, mmap_mode="r")
    tmp = npy.with_name("vectors.dedup.npy")
    new = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(len(keep), old.shape[1]))
    keep_arr = np.asarray(keep)
    for a in range(0, len(keep), 65536):
        new[a:a + 65536] = old[keep_arr[a:a + 65536]]
    new.flush()
    del new, old
    os.replace(tmp, npy)
    return [words[i] for i in keep], n_dup
