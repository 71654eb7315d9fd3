"""Facebook fastText's ``.bin`` model format: read in place, and written.

The layout (fastText 0.9's ``FastText::saveModel``; all little-endian):

    int32 magic 793712314, int32 version 12
    args     int32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn,
             maxn, lrUpdateRate; float64 t
    dict     int32 size, nwords, nlabels; int64 ntokens, pruneidx_size;
             size x (word bytes, NUL, int64 count, int8 type); pruneidx_size x (int32, int32)
    input    uint8 quantised (0); int64 rows (nwords + bucket), int64 dim; float32 rows x dim
    output   uint8 quantised (0); int64 rows (nwords), int64 dim; float32 rows x dim

**Reading** (:func:`open_fasttext_bin`) parses the header and the dictionary and maps
the two matrices straight from the file at their offsets: nothing of them is copied
or read until used, so opening costs the dictionary and not the matrices. The store it
returns composes each word's vector (the mean of its row and its n-gram rows) when
asked; a query over the whole vocabulary composes all of them once, in memory.

**Writing** (:func:`write_fasttext_bin`) needs a subword store with its trained word
rows (``word_vectors``); the output matrix is the store's ``context_vectors`` (zeros
when it has none, which fastText and gensim can load but not train further).
"""
from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import ParameterError, StoreError
from .embeddings import Embeddings
from .subwords import vectors_of

MAGIC = 793712314
VERSION = 12
_ARGS = struct.Struct("<12id")
_DICT = struct.Struct("<3i2q")
_MATRIX = struct.Struct("<?2q")
#: fastText's ``model_name`` and ``loss_name`` enums
_MODELS = {1: "fasttext-cbow", 2: "fasttext"}
_NEGATIVE_SAMPLING = 2
_BLOCK_ROWS = 8192


def is_fasttext_bin(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == MAGIC


class FastTextBinStore(Embeddings):
    """A fastText ``.bin`` model opened in place (see module docstring); read-only."""

    source: Path

    @property
    def _vectors(self) -> np.ndarray:                 # composed on first use of the whole matrix
        if self._composed is None:
            from ._subword_kernels import mean_rows
            words = self._word_rows
            offsets, rows = self._table()
            out = np.empty(words.shape, dtype=np.float32)
            for a in range(0, out.shape[0], _BLOCK_ROWS):
                b = min(a + _BLOCK_ROWS, out.shape[0])
                mean_rows(np.ascontiguousarray(words[a:b]), self._ngrams, offsets[a:b + 1] - offsets[a],
                          rows[offsets[a]:offsets[b]], out[a:b])
            self._composed = out
        return self._composed

    def _table(self):
        if self._sub_table is None:
            self._sub_table = self.subwords.spec.table(self.words)
        return self._sub_table

    @property
    def dim(self) -> int:
        return int(self._word_rows.shape[1])

    def __len__(self) -> int:
        return int(self._word_rows.shape[0])

    def _vectors_of(self, words: list[str]) -> np.ndarray:
        if self._composed is not None:
            return super()._vectors_of(words)
        return vectors_of(self, words, rows_of=self._compose_rows)

    def _compose_rows(self, rows: list[int]) -> np.ndarray:
        """The vectors of vocabulary rows, from their word rows and n-grams (without
        composing the whole vocabulary)."""
        from ._subword_kernels import mean_rows
        words = self.words
        offsets, ngram_rows = self.subwords.spec.table([words[r] for r in rows])
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        mean_rows(np.ascontiguousarray(self._word_rows[rows]), self._ngrams, offsets, ngram_rows, out)
        return out

    def _query(self, word: str):
        if self._composed is not None:
            return super()._query(word)
        v = self._vectors_of([word])[0]
        norm = float(np.linalg.norm(v))
        if not np.isfinite(v).all() or norm == 0.0:
            raise StoreError(f"the vector of {word!r} in {self.source} is zero or not finite; it has no neighbours")
        return self.index.get(word), v / np.float32(norm)

    def save(self, path: str | os.PathLike, *args, **kwargs) -> Path:
        """:meth:`Embeddings.save`, after warning about NaN or infinite values anywhere in the
        model's matrices (the text readers warn as they read; opening in place reads
        nothing, so the check runs here, where every row is read anyway)."""
        self.check_values()
        return super().save(path, *args, **kwargs)

    def check_values(self) -> None:
        """Warn once, naming the first place, when the input or output matrix holds NaN or
        infinite values (they are kept as read)."""
        from .formats import _NonFinite
        found = _NonFinite()
        for name, offset, matrix in (("input", self._input_at, self._input),
                                     ("output", self._output_at, self._output)):
            if matrix is None:
                continue
            width = 4 * matrix.shape[1]
            for a in range(0, matrix.shape[0], _BLOCK_ROWS):
                found.check(np.asarray(matrix[a:a + _BLOCK_ROWS]),
                            lambda i, a=a, name=name, offset=offset:
                            f"{self.source}: {name} matrix row {a + i + 1:,} (byte offset {offset + width * (a + i):,})")
        found.warn()

    def _where(self) -> str:
        return f"the vocabulary of {self.source}"

    def _where_short(self) -> str:
        return str(self.source)


def _need(data, offset: int, size: int, path: Path, what: str) -> None:
    if offset + size > len(data):
        raise StoreError(f"{path}: the file ends inside its {what}, which starts at byte offset {offset} and needs "
                         f"{size:,} bytes; the file has {len(data):,} (truncated?)")


def open_fasttext_bin(path: str | os.PathLike) -> FastTextBinStore:
    """Open a fastText ``.bin`` (an unsupervised model, unquantised) in place."""
    from ..corpus.subwords import SubwordSpec
    path = Path(path)
    with open(path, "rb") as fh:
        try:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:
            raise StoreError(f"{path}: an empty file is not a fastText model") from None
    try:
        _need(data, 0, 8 + _ARGS.size + _DICT.size, path, "header")
        magic, version = struct.unpack_from("<2i", data, 0)
        if magic != MAGIC:
            raise StoreError(f"{path} is not a fastText .bin model (magic {magic} at byte offset 0, expected {MAGIC})")
        if version > VERSION:
            raise StoreError(f"{path}: fastText format version {version} (byte offset 4) is newer than this reader's "
                             f"{VERSION}")
        (dim, ws, epoch, min_count, neg, _word_ngrams, loss, model, bucket, minn, maxn, _lr_rate,
         t) = _ARGS.unpack_from(data, 8)
        size, nwords, nlabels, ntokens, pruneidx = _DICT.unpack_from(data, 8 + _ARGS.size)
        if nlabels or model not in _MODELS:
            raise StoreError(f"{path}: the header (byte offset 8) describes a supervised model or an unknown one "
                             f"(labels {nlabels}, model {model}); only word vectors (skipgram, cbow) are read")
        if not 0 < dim <= 1_000_000 or not 0 <= nwords == size or bucket < 0 or 10 * size > len(data):
            raise StoreError(f"{path}: implausible header at byte offset 8 (dim {dim}, words {nwords} of {size}, "
                             f"bucket {bucket}, in a file of {len(data):,} bytes)")
        try:
            spec = SubwordSpec(int(minn), int(maxn), int(bucket))
        except ParameterError as e:
            raise StoreError(f"{path}: the header's n-gram settings at byte offset 8 are not valid: {e}") from None
        pos = 8 + _ARGS.size + _DICT.size
        raw, counts = [], np.empty(size, dtype=np.int64)
        for i in range(size):
            end = data.find(b"\0", pos)
            if end < 0:
                raise StoreError(f"{path}: the dictionary's word {i + 1}, at byte offset {pos}, has no end "
                                 "(truncated?)")
            _need(data, end, 10, path, "dictionary")
            raw.append(data[pos:end])
            counts[i] = int.from_bytes(data[end + 1:end + 9], "little", signed=True)
            if data[end + 9] != 0:                   # entry type: 0 word, 1 label
                raise StoreError(f"{path}: the dictionary's entry {i + 1}, at byte offset {pos}, has type "
                                 f"{data[end + 9]} where a word (0) is due; labels belong to supervised models")
            pos = end + 10
        if pruneidx not in (-1, 0):      # -1: not pruned (fastText's default); pruning comes with quantising
            raise StoreError(f"{path}: the dictionary (header at byte offset {8 + _ARGS.size}) declares a pruned "
                             f"n-gram table ({pruneidx} entries), which only quantised models (.ftz) have; "
                             "it is not read")
        _need(data, pos, _MATRIX.size, path, "input matrix header")
        quantised, rows, cols = _MATRIX.unpack_from(data, pos)
        if quantised:
            raise StoreError(f"{path} is a quantised fastText model (.ftz; the input matrix at byte offset {pos} is "
                             "quantised); quantised input is not read")
        if rows != nwords + bucket or cols != dim:
            raise StoreError(f"{path}: the input matrix at byte offset {pos} is {rows} x {cols}, expected "
                             f"{nwords + bucket} x {dim}")
        input_at = pos + _MATRIX.size
        pos = input_at + 4 * rows * cols
        _need(data, pos, _MATRIX.size, path, "output matrix header")
        q_out, out_rows, out_cols = _MATRIX.unpack_from(data, pos)
        output_at = pos + _MATRIX.size
        if q_out or out_cols != dim or out_rows not in (0, nwords):
            raise StoreError(f"{path}: the output matrix at byte offset {pos} is "
                             f"{'quantised' if q_out else f'{out_rows} x {out_cols}'}; expected {nwords} x {dim} float32")
        _need(data, output_at, 4 * out_rows * out_cols, path, "output matrix")
        end = output_at + 4 * out_rows * out_cols
        if end != len(data):
            raise StoreError(f"{path}: {len(data) - end:,} bytes follow the output matrix, which ends at byte offset "
                             f"{end:,}; a fastText model ends there (damaged, or not a fastText .bin?)")
        has_output = out_rows > 0                     # 0 or nwords rows (checked above)
    finally:
        data.close()
    try:
        words = [w.decode("utf-8") for w in raw]
    except UnicodeDecodeError as e:
        raise StoreError(f"{path}: a dictionary word is not UTF-8 ({e}; the dictionary starts at byte offset "
                         f"{8 + _ARGS.size + _DICT.size})") from None
    matrix = np.memmap(path, dtype="<f4", mode="r", offset=input_at, shape=(rows, cols))
    store = FastTextBinStore.__new__(FastTextBinStore)
    store.source, store.path = path, None
    store._word_rows, store._ngrams = matrix[:nwords], matrix[nwords:]
    store._input, store._input_at = matrix, input_at
    store._output = np.memmap(path, dtype="<f4", mode="r", offset=output_at, shape=(out_rows, out_cols)) \
        if out_rows else None
    store._output_at = output_at
    store._composed, store._sub_table = None, None
    store._words, store._counts, store._index = words, counts, None
    store._unit, store._snapshot, store._listed = None, None, ()
    store._arrays = {"word_vectors": {"word_vectors.npy": store._word_rows},
                     "ngram_vectors": {"ngram_vectors.npy": store._ngrams}}
    if has_output:
        store._arrays["context_vectors"] = {"context_vectors.npy": store._output}
    store.meta = {"method": _MODELS[model], "dim": int(dim), "n_words": int(nwords), "subwords": spec.to_meta(),
                  "params": {"method": "cbow" if model == 1 else "sgns", "window": ws, "epochs": epoch,
                             "min_count": min_count, "negative": neg, "sample": t, **spec.to_meta()},
                  "n_tokens": int(ntokens), "source_file": str(path.resolve()), "source_format": "fasttext-bin",
                  "provenance": {"kind": "imported", "source_file": str(path.resolve()),
                                 "source_format": "fasttext-bin"}}
    if len(set(words)) != len(words):
        seen: set[str] = set()
        first = next(w for w in words if w in seen or seen.add(w))
        raise StoreError(f"{path}: the dictionary (from byte offset {8 + _ARGS.size + _DICT.size}) repeats the word "
                         f"{first!r}")
    return store


def write_fasttext_bin(fh: BinaryIO, store: Embeddings) -> None:
    """Write ``store`` (a subword store with ``word_vectors``) as a fastText ``.bin``."""
    sub = store.subwords
    if sub is None or "word_vectors" not in store.components:
        raise StoreError(f"{store._where_short()} is not a subword store with its word rows; only a store trained "
                         "by fasttext / fasttext-cbow (or read from a fastText .bin) can be written as .bin")
    spec, params = sub.spec, store.meta.get("params", {})
    words, counts = store.words, store.counts
    counts = np.ones(len(words), np.int64) if counts is None else np.asarray(counts, np.int64)
    dim = store.dim
    model = 1 if params.get("method") == "cbow" or store.meta.get("method") == "fasttext-cbow" else 2
    fh.write(struct.pack("<2i", MAGIC, VERSION))
    fh.write(_ARGS.pack(dim, int(params.get("window", 5)), int(params.get("epochs", 5)),
                        int(params.get("min_count", 1)), int(params.get("negative", 5)), 1, _NEGATIVE_SAMPLING, model,
                        spec.bucket, spec.min_n, spec.max_n, 100, float(params.get("sample", 1e-4))))
    fh.write(_DICT.pack(len(words), len(words), 0, int(store.meta.get("n_tokens", counts.sum())), -1))
    for w, c in zip(words, counts.tolist()):
        fh.write(w.encode("utf-8") + b"\0" + struct.pack("<qb", c, 0))
    fh.write(_MATRIX.pack(False, len(words) + spec.bucket, dim))
    _write_rows(fh, store.component("word_vectors"))
    _write_rows(fh, sub.ngrams)
    fh.write(_MATRIX.pack(False, len(words), dim))
    context = store.context_vectors
    _write_rows(fh, np.zeros((len(words), dim), np.float32) if context is None else context)


def _write_rows(fh: BinaryIO, matrix: np.ndarray) -> None:
    for a in range(0, matrix.shape[0], _BLOCK_ROWS):
        fh.write(np.ascontiguousarray(matrix[a:a + _BLOCK_ROWS], dtype="<f4").tobytes())
