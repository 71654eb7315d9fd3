"""Counting word-context co-occurrences into a :class:`CooccurrenceMatrix`.

For every token of the encoded corpus, each word within ``window`` positions on the
chosen side(s), in the same sentence, adds a weight to the (token, context) cell:

* ``weighting="harmonic"``: 1/d at distance d (GloVe's ``cooccur``); ``"none"``: 1.
* ``dynamic_window=True`` multiplies by (window - d + 1) / window, the expected weight
  of word2vec's reduced window (Levy, Goldberg and Dagan 2015, "dynamic context
  window"), computed exactly rather than sampled so the matrix stays symmetric.
* ``subsample=t`` first removes each token of a word of frequency f with probability
  1 - sqrt(t/f), as hyperwords does for PPMI (``keep = min(1, sqrt(t/f))``); windows
  are then formed over the remaining tokens. The draw depends only on ``seed`` and the
  token's position.

Words outside the vocabulary (below ``min_count``) were removed when the corpus was
encoded, so windows span in-vocabulary tokens only, as in GloVe's ``cooccur``.

Memory is bounded by ``memory_limit``. The corpus is counted in segments of whole
sentences; each segment is laid out as a token stream with an occurrence index (12
bytes per token) and counted row block by row block, the blocks streaming to disk.
A corpus larger than one segment leaves one partial matrix per segment, which are
then merged row by row (the spill-and-merge of GloVe's ``cooccur``, on sorted rows).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from .._memory import trim_heap
from .._threads import default_workers, run_threads
from ..atomic import atomic_directory
from ..cache import get_or_build
from ..corpus import Corpus, EncodedCorpus
from ..errors import StoreError
from ..npyio import NpyAppender, read_range, save_npy
from ..params import Boolean, Integer, Options, Real, validate
from ..paths import cache_root, temporary_dir
from . import _kernels as K
from .matrix import FORMAT, FORMAT_VERSION, CooccurrenceMatrix

WEIGHTINGS = ("harmonic", "none")
DIRECTIONS = ("both", "left", "right")
DEFAULT_MEMORY_LIMIT = 1 << 30          # bytes
_MAX_SEGMENT_TOKENS = 1 << 30           # stream positions are int32
_BYTES_PER_TOKEN = 12                   # stream id + occurrence position (+ read buffer)
_BYTES_PER_ENTRY = 8                    # int32 column + float32 weight in a block buffer


def count_cooccurrences(corpus, *, window: int = 10, weighting: str = "harmonic", direction: str = "both",
                        dynamic_window: bool = False, subsample: float = 0.0, seed: int = 1,
                        min_count: int = 5, max_size: int | None = None,
                        memory_limit: int = DEFAULT_MEMORY_LIMIT, workers: int | None = None,
                        cache: bool = True, out: str | Path | None = None,
                        progress: bool | None = None, overwrite: bool = False) -> CooccurrenceMatrix:
    """Count co-occurrences in ``corpus`` (see module docstring); return the matrix.

    Parameters
    ----------
    corpus : EncodedCorpus, Corpus, path(s)/glob, or iterable of token lists
        Encoded with ``min_count``/``max_size`` unless already an ``EncodedCorpus``.
    window : int, default 10
        Context radius.
    weighting : {"harmonic", "none"}, default "harmonic"
        1/d (GloVe) or a plain count.
    direction : {"both", "left", "right"}, default "both"
        Which side of the word its contexts are taken from.
    dynamic_window : bool, default False
        Multiply by word2vec's expected reduced-window weight (window - d + 1) / window.
    subsample : float, default 0 (off)
        Remove tokens with probability 1 - sqrt(subsample / f) before windowing.
    memory_limit : int, default 1 GiB
        Bytes for the token streams and output blocks; a larger corpus is counted in
        segments and merged.
    cache : bool
        Reuse (and store) the matrix under ``$WORDLAB_CACHE/cooccur`` keyed by the
        corpus and the counting settings, so several trainers share one count.
    out : path, optional
        Write to this directory instead (no cache lookup). An existing ``out`` is
        replaced only with ``overwrite`` and when it is a co-occurrence matrix.

    Returns
    -------
    CooccurrenceMatrix of shape (n_words, n_words), float32 weights.
    """
    _validate(window=window, weighting=weighting, direction=direction, dynamic_window=dynamic_window,
              subsample=subsample, seed=seed, memory_limit=memory_limit, workers=workers, min_count=min_count,
              max_size=max_size)
    if not isinstance(corpus, EncodedCorpus):
        if not isinstance(corpus, Corpus):
            corpus = Corpus(corpus)
        corpus = corpus.encode(min_count=min_count, max_size=max_size, progress=progress)
    encoded = corpus
    settings = {"window": int(window), "weighting": weighting, "direction": direction,
                "dynamic_window": bool(dynamic_window), "subsample": float(subsample),
                "seed": int(seed) if subsample > 0 else None}
    fingerprint = corpus_fingerprint(encoded)
    n_workers = int(workers) if workers else default_workers()
    args = (encoded, settings, seed, memory_limit, n_workers, progress, fingerprint)
    if out is not None:
        return _count_to(Path(out), *args, overwrite=overwrite, kinds=(FORMAT,))
    if not cache or fingerprint.get("source") is None:
        return _count_to(temporary_dir("cooccur-", "matrix"), *args, kinds=None)
    key = hashlib.sha256(json.dumps([fingerprint, settings], sort_keys=True).encode()).hexdigest()[:20]
    entry = cache_root() / "cooccur" / key
    return get_or_build(entry, _cached, lambda path: _count_to(path, *args, kinds=None))


def _cached(entry: Path) -> CooccurrenceMatrix | None:
    if not (entry / "meta.json").is_file():
        return None
    try:
        return CooccurrenceMatrix(entry)
    except (StoreError, OSError, ValueError):
        return None       # damaged: counted again


def _count_to(out: Path, encoded: EncodedCorpus, settings: dict, seed: int, memory_limit: int, n_workers: int,
              progress: bool | None, fingerprint: dict, overwrite: bool = False, kinds=None) -> CooccurrenceMatrix:
    started = time.time()
    with atomic_directory(out, overwrite, kinds=kinds) as tmp:
        stats = _count_into(tmp, encoded, settings, seed, memory_limit, n_workers, progress)
        encoded.vocab.save(tmp / "vocab.tsv", private=True)
        meta = {"format": FORMAT, "version": FORMAT_VERSION, **settings, "corpus": fingerprint,
                "n_words": len(encoded.vocab), "n_tokens": encoded.n_tokens, **stats,
                "memory_limit": int(memory_limit), "workers": n_workers,
                "count_seconds": round(time.time() - started, 3)}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    trim_heap()
    return CooccurrenceMatrix(out)


def corpus_fingerprint(encoded: EncodedCorpus) -> dict:
    """What identifies an encoded corpus's content (for cache keys and resume checks)."""
    return {"source": encoded.meta.get("source"), "settings": encoded.meta.get("settings"),
            "n_tokens": encoded.n_tokens, "vocab_size": len(encoded.vocab)}


_CONSTRAINTS = {"window": Integer(1, 100_000), "weighting": Options(WEIGHTINGS), "direction": Options(DIRECTIONS),
                "dynamic_window": Boolean(), "subsample": Real(0, 1), "seed": Integer(0, 2 ** 63 - 1),
                "memory_limit": Integer(1 << 16, 1 << 50), "workers": Integer(1, 4096, optional=True),
                "min_count": Integer(1), "max_size": Integer(1, optional=True)}


def _validate(**params) -> None:
    validate(params, _CONSTRAINTS, "count_cooccurrences")


# -- the counting pass ------------------------------------------------------------------------
def _count_into(tmp: Path, encoded: EncodedCorpus, settings: dict, seed: int, memory_limit: int,
                n_workers: int, progress: bool | None) -> dict:
    n_words = len(encoded.vocab)
    window = settings["window"]
    left = window if settings["direction"] in ("both", "left") else 0
    right = window if settings["direction"] in ("both", "right") else 0
    weights = K.distance_weights(window, settings["weighting"] == "harmonic", settings["dynamic_window"])
    keep = _keep_probabilities(encoded.vocab.counts, settings["subsample"])
    block_entries = max(n_words, min(1 << 24, memory_limit // (4 * _BYTES_PER_ENTRY)))
    segment_tokens = max(1, min(_MAX_SEGMENT_TOKENS,
                                (memory_limit - block_entries * _BYTES_PER_ENTRY) // _BYTES_PER_TOKEN))
    offsets = np.asarray(encoded.offsets)
    segments = _segments(offsets, segment_tokens)
    scratch = [(np.zeros(n_words, np.float64), np.empty(n_words, np.int32)) for _ in range(n_workers)]
    bar = _bar(progress, encoded.n_tokens, "counting")
    parts = []
    try:
        for k, (first, last) in enumerate(segments):
            target = tmp if len(segments) == 1 else tmp / "parts" / f"{k:05d}"
            target.mkdir(parents=True, exist_ok=True)
            _count_segment(encoded, offsets, first, last, window, left, right, weights, keep, seed, n_words,
                           block_entries, scratch, target, bar)
            parts.append(target)
    finally:
        if bar is not None:
            bar.close()
    if len(parts) > 1:
        _merge_parts(parts, tmp, n_words, block_entries, scratch, progress)
        shutil.rmtree(tmp / "parts")
    data = np.load(tmp / "data.npy", mmap_mode="r")
    total = float(sum(np.asarray(data[a:a + (1 << 22)], dtype=np.float64).sum()
                      for a in range(0, data.shape[0], 1 << 22)))
    return {"nnz": int(data.shape[0]), "total_weight": total, "segments": len(segments)}


def _keep_probabilities(counts: np.ndarray, subsample: float) -> np.ndarray:
    if subsample <= 0:
        return np.empty(0, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    freq = counts / max(counts.sum(), 1.0)
    return np.minimum(1.0, np.sqrt(subsample / np.maximum(freq, 1e-300)))


def _segments(offsets: np.ndarray, segment_tokens: int) -> list[tuple[int, int]]:
    """Cut sentences into runs of about ``segment_tokens`` tokens (at least one sentence each)."""
    n_sentences = offsets.shape[0] - 1
    cuts = [0]
    while cuts[-1] < n_sentences:
        s = cuts[-1]
        e = int(np.searchsorted(offsets, offsets[s] + segment_tokens, side="right")) - 1
        cuts.append(min(max(e, s + 1), n_sentences))
    return list(zip(cuts[:-1], cuts[1:])) or [(0, 0)]


def _count_segment(encoded, offsets, first, last, window, left, right, weights, keep, seed, n_words,
                   block_entries, scratch, target: Path, bar) -> None:
    n_tok = int(offsets[last] - offsets[first])
    tokens = encoded.read_tokens(offsets[first], offsets[last])
    stream = np.empty(window + n_tok + window * (last - first), dtype=np.int32)
    length = K.build_stream(tokens, offsets, first, last, window, keep, np.uint64(seed), stream)
    del tokens
    starts = np.empty(n_words + 1, dtype=np.int64)
    positions = np.empty(max(length, 1), dtype=np.int32)
    K.build_occurrence_index(stream, length, n_words, starts, positions)
    occurrences = np.diff(starts)
    # Upper bound of each row's non-zeros: every window position is a new context.
    bounds = np.minimum(occurrences * (left + right), n_words)
    counted_share = n_tok / max(int(occurrences.sum()), 1)   # progress in corpus tokens

    def process(rows: np.ndarray, region: np.ndarray, size: int, out_idx, out_val, row_nnz):
        slots = [np.arange(t, rows.shape[0], len(scratch), dtype=np.int64) for t in range(len(scratch))]

        def task(t: int) -> None:
            acc, touched = scratch[t]
            K.count_rows(stream, starts, positions, rows, region, slots[t], weights, left, right, n_words,
                         out_idx, out_val, row_nnz, acc, touched)
        run_threads(task, min(len(scratch), max(rows.shape[0], 1)))
        if bar is not None:
            bar.update(int(occurrences[rows].sum() * counted_share))

    _blockwise(bounds, block_entries, process, target, n_words)


def _blockwise(bounds: np.ndarray, block_entries: int, process, target: Path, n_words: int) -> None:
    """Run ``process`` over row blocks whose bounds sum to at most ``block_entries``;
    stream the compacted rows to ``target`` as CSR."""
    out_idx = np.empty(block_entries, dtype=np.int32)
    out_val = np.empty(block_entries, dtype=np.float32)
    indptr = np.zeros(n_words + 1, dtype=np.int64)
    ends = np.cumsum(bounds)
    with NpyAppender(target / "indices.npy", np.int32) as idx_file, \
            NpyAppender(target / "data.npy", np.float32) as val_file:
        a = 0
        while a < n_words:
            base = ends[a - 1] if a else 0
            b = int(np.searchsorted(ends, base + block_entries, side="right"))
            b = min(max(b, a + 1), n_words)
            rows = np.arange(a, b, dtype=np.int64)
            region = np.concatenate(([0], np.cumsum(bounds[a:b - 1]))).astype(np.int64)
            row_nnz = np.zeros(b - a, dtype=np.int64)
            process(rows, region, int(bounds[a:b].sum()), out_idx, out_val, row_nnz)
            n = K.compact_rows(region, row_nnz, out_idx, out_val)
            idx_file.append(out_idx[:n])
            val_file.append(out_val[:n])
            indptr[a + 1:b + 1] = indptr[a] + np.cumsum(row_nnz)
            a = b
    save_npy(target / "indptr.npy", indptr)


def _merge_parts(parts: list[Path], tmp: Path, n_words: int, block_entries: int, scratch, progress) -> None:
    """Sum the segments' partial matrices row by row into ``tmp``."""
    indptrs = np.stack([np.load(p / "indptr.npy") for p in parts])          # (n_parts, n_words + 1)
    bounds = np.minimum(np.diff(indptrs, axis=1).sum(axis=0), n_words)
    bar = _bar(progress, n_words, "merging")

    def process(rows: np.ndarray, region: np.ndarray, size: int, out_idx, out_val, row_nnz):
        a, b = int(rows[0]), int(rows[-1]) + 1
        chunks_idx, chunks_val, local = [], [], np.zeros((len(parts), b - a + 1), dtype=np.int64)
        base = 0
        for k, p in enumerate(parts):
            lo, hi = int(indptrs[k, a]), int(indptrs[k, b])
            chunks_idx.append(read_range(p / "indices.npy", lo, hi))
            chunks_val.append(read_range(p / "data.npy", lo, hi))
            local[k] = indptrs[k, a:b + 1] - lo + base
            base += hi - lo
        part_idx = np.concatenate(chunks_idx)
        part_val = np.concatenate(chunks_val)
        slots = [np.arange(t, b - a, len(scratch), dtype=np.int64) for t in range(len(scratch))]

        def task(t: int) -> None:
            acc, touched = scratch[t]
            K.merge_rows(local, part_idx, part_val, region, slots[t], n_words, out_idx, out_val, row_nnz,
                         acc, touched)
        run_threads(task, min(len(scratch), b - a))
        if bar is not None:
            bar.update(b - a)

    try:
        _blockwise(bounds, block_entries, process, tmp, n_words)
    finally:
        if bar is not None:
            bar.close()


def _bar(progress: bool | None, total: int, desc: str):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="w", unit_scale=True, desc=desc, dynamic_ncols=True)
