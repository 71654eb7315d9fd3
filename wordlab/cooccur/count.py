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

Counting is a plan, a map and a reduce. :func:`plan` cuts the corpus into segments of
whole sentences whose map fits in ``memory_limit``; the map, :func:`count_segment`, a
pure function of a :class:`~wordlab.cooccur.segments.Task` (the encoded corpus's path,
a segment, the settings, an output directory), lays its segment out as a token stream
with an occurrence index (12 bytes per token) and counts it row block by row block, the
blocks streaming to a partial CSR matrix on disk; the reduce, :func:`merge_parts`,
merges the partial matrices row by row (the spill-and-merge of GloVe's ``cooccur``, on
sorted rows). One segment is the matrix itself. The map tasks run on an executor
(:mod:`wordlab.cooccur.executors`); progress is reported by the orchestration here.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._memory import trim_heap
from .._threads import run_threads
from ..atomic import atomic_directory
from ..cache import entry_path, get_or_build
from ..corpus import Corpus, EncodedCorpus
from ..errors import StoreError
from ..npyio import read_range
from ..params import Boolean, Integer, Options, Real, validate
from ..paths import temporary_dir
from ..progress import progress as progress_bar
from . import _kernels as K
from .blocks import scratch_rows, thread_slots, window_settings, write_blockwise
from .executors import Executor, get_executor
from .segments import Segment, Task, plan_segments, read_segment, run_tasks
from .matrix import FORMAT, FORMAT_VERSION, CooccurrenceMatrix

WEIGHTINGS = ("harmonic", "none")
DIRECTIONS = ("both", "left", "right")
DEFAULT_MEMORY_LIMIT = 1 << 30          # bytes
_MAX_SEGMENT_TOKENS = 1 << 30           # stream positions are int32
BYTES_PER_TOKEN = 12                   # stream id + occurrence position (+ read buffer)
_BYTES_PER_ENTRY = 8                    # int32 column + float32 weight in a block buffer


def count_cooccurrences(corpus, *, window: int = 10, weighting: str = "harmonic", direction: str = "both",
                        dynamic_window: bool = False, subsample: float = 0.0, seed: int = 1,
                        min_count: int = 5, max_size: int | None = None,
                        memory_limit: int = DEFAULT_MEMORY_LIMIT, workers: int | None = None,
                        cache: bool = True, out: str | Path | None = None,
                        progress: bool | None = None, overwrite: bool = False,
                        executor: str | Executor | None = None, client=None) -> CooccurrenceMatrix:
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
        segments and merged (divided among the executor's concurrent tasks).
    workers : int, optional
        Threads of each map task (default: all cores).
    executor : str or Executor, default "thread"
        Where the segments are counted: a name in
        :data:`~wordlab.cooccur.executors.EXECUTORS` ("thread": one segment at a time,
        ``workers`` threads each; "serial": one thread) or an executor object. The
        matrix does not depend on it.
    client : dask.distributed.Client, optional
        Count on this Dask cluster (``executor="dask"`` uses the default client): row
        ranges over the whole corpus, one task each (:mod:`wordlab.cooccur.rows`), the
        same matrix bit for bit. The corpus and the output (``out``, or the cache) must
        be on a path every worker sees.
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
    args = (encoded, settings, memory_limit, get_executor(executor, workers, client), progress, fingerprint)
    if out is not None:
        return _count_to(Path(out), *args, overwrite=overwrite, kinds=(FORMAT,))
    if not cache or fingerprint.get("source") is None:
        return _count_to(temporary_dir("cooccur-", "matrix"), *args, kinds=None)
    entry = entry_path("cooccur", [fingerprint, settings])
    return get_or_build(entry, _cached, lambda path: _count_to(path, *args, kinds=None))


def _cached(entry: Path) -> CooccurrenceMatrix | None:
    if not (entry / "meta.json").is_file():
        return None
    try:
        return CooccurrenceMatrix(entry)
    except (StoreError, OSError, ValueError):
        return None       # damaged: counted again


def _count_to(out: Path, encoded: EncodedCorpus, settings: dict, memory_limit: int, executor: Executor,
              progress: bool | None, fingerprint: dict, overwrite: bool = False, kinds=None) -> CooccurrenceMatrix:
    started = time.time()
    with atomic_directory(out, overwrite, kinds=kinds) as tmp:
        stats = _count_into(tmp, encoded, settings, memory_limit, executor, progress)
        encoded.vocab.save(tmp / "vocab.tsv", private=True)
        meta = {"format": FORMAT, "version": FORMAT_VERSION, **settings, "corpus": fingerprint,
                "n_words": len(encoded.vocab), "n_tokens": encoded.n_tokens, **stats,
                "memory_limit": int(memory_limit), "workers": int(executor.task_threads),
                "executor": getattr(executor, "name", type(executor).__name__),
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


# -- the counting pass: plan -> map -> reduce ------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """The segments of a counting pass and the row-block size of its map and reduce."""
    segments: list[Segment]
    block_entries: int


def plan(encoded: EncodedCorpus, settings: dict, memory_limit: int) -> Plan:
    """Cut ``encoded`` into segments whose map fits in ``memory_limit`` bytes: a token
    stream with its occurrence index (12 bytes per token) and a row-block buffer (8
    bytes per entry, a quarter of the memory). ``settings``: the counting settings (the
    plan does not depend on them today; a map with another footprint would)."""
    n_words = len(encoded.vocab)
    block_entries = max(n_words, min(1 << 24, memory_limit // (4 * _BYTES_PER_ENTRY)))
    segment_tokens = max(1, min(_MAX_SEGMENT_TOKENS,
                                (memory_limit - block_entries * _BYTES_PER_ENTRY) // BYTES_PER_TOKEN))
    return Plan(plan_segments(encoded.offsets, segment_tokens), int(block_entries))


def count_segment(task: Task) -> dict:
    """The map: count the segment ``task.segment`` of the encoded corpus at ``task.corpus``
    into a CSR matrix (``indptr.npy``, ``indices.npy``, ``data.npy``) in ``task.out``.

    A pure function of the task (plain data, see :class:`~wordlab.cooccur.segments.Task`);
    ``task.settings`` holds the counting settings, ``block_entries`` and ``threads``.
    """
    s, segment, out = task.settings, task.segment, Path(task.out)
    corpus = Path(task.corpus)
    n_words, window, left, right, weights, keep, seed = window_settings(corpus, s)
    stream, length = segment_stream(corpus, segment, window, keep, seed)
    starts = np.empty(n_words + 1, dtype=np.int64)
    positions = np.empty(max(length, 1), dtype=np.int32)
    K.build_occurrence_index(stream, length, n_words, starts, positions)
    occurrences = np.diff(starts)
    # Upper bound of each row's non-zeros: every window position is a new context.
    bounds = np.minimum(occurrences * (left + right), n_words)
    threads = max(1, int(s["threads"]))
    scratch = scratch_rows(threads, n_words)

    def process(rows: np.ndarray, region: np.ndarray, size: int, out_idx, out_val, row_nnz):
        def task(t: int) -> None:
            acc, touched = scratch[t]
            K.count_rows(stream, starts, positions, rows, region, thread_slots(t, rows.shape[0], threads), weights,
                         left, right, n_words, out_idx, out_val, row_nnz, acc, touched)
        run_threads(task, min(threads, max(rows.shape[0], 1)))

    out.mkdir(parents=True, exist_ok=True)
    write_blockwise(bounds, int(s["block_entries"]), process, out, n_words)
    return {"segment": segment.index, "out": str(out), "tokens": segment.n_tokens}


def segment_stream(corpus: str | Path, segment: Segment, window: int, keep: np.ndarray,
                   seed: int) -> tuple[np.ndarray, int]:
    """The segment's tokens laid out as a stream (sentences apart by ``window``
    separators, see :mod:`wordlab.cooccur._kernels`) and its used length."""
    tokens, offsets = read_segment(corpus, segment)
    n_sent = offsets.shape[0] - 1
    stream = np.empty(window + tokens.shape[0] + window * n_sent, dtype=np.int32)
    length = K.build_stream(tokens, offsets, 0, n_sent, window, keep, np.uint64(seed), stream)
    return stream, int(length)


def _count_into(tmp: Path, encoded: EncodedCorpus, settings: dict, memory_limit: int, executor,
                progress: bool | None) -> dict:
    """Plan, map on ``executor``, reduce; the matrix's files in ``tmp``."""
    n_words = len(encoded.vocab)
    if getattr(executor, "distributed", False):
        # On other machines: row ranges over the whole corpus, the same matrix as the
        # segment map of one machine with this memory_limit (see wordlab.cooccur.rows).
        from .rows import count_by_rows
        one_machine = plan(encoded, settings, memory_limit)
        counts = encoded.vocab.counts if not encoded.meta.get("fixed_vocab") else _token_counts(encoded)
        done = count_by_rows(tmp, str(encoded.path), n_words, counts, [s.last_token for s in one_machine.segments],
                             settings, memory_limit, one_machine.block_entries, executor, progress)
        return {**_totals(tmp), "segments": len(one_machine.segments), "row_tasks": done["row_tasks"],
                "distributed": {"seconds": done["seconds"]}}
    the_plan = plan(encoded, settings, memory_limit // max(1, int(executor.concurrent_tasks)))
    segments = the_plan.segments
    map_settings = {**settings, "block_entries": the_plan.block_entries, "threads": int(executor.task_threads)}
    targets = [tmp] if len(segments) == 1 else [tmp / "parts" / f"{k:05d}" for k in range(len(segments))]
    tasks = [Task(str(encoded.path), seg, map_settings, str(target)) for seg, target in zip(segments, targets)]
    run_tasks(executor, count_segment, tasks, progress, "counting")
    if len(segments) > 1:
        merge_parts(targets, tmp, n_words, the_plan.block_entries, int(executor.task_threads), progress)
        shutil.rmtree(tmp / "parts")
    return {**_totals(tmp), "segments": len(segments)}


def _token_counts(encoded: EncodedCorpus) -> np.ndarray:
    """Each word's tokens in the encoded corpus (a given vocabulary's counts are another corpus's)."""
    counts = np.zeros(len(encoded.vocab), dtype=np.int64)
    for a in range(0, encoded.n_tokens, 1 << 22):
        counts += np.bincount(encoded.read_tokens(a, min(a + (1 << 22), encoded.n_tokens)), minlength=counts.shape[0])
    return counts


def _totals(tmp: Path) -> dict:
    data = np.load(tmp / "data.npy", mmap_mode="r")
    total = float(sum(np.asarray(data[a:a + (1 << 22)], dtype=np.float64).sum()
                      for a in range(0, data.shape[0], 1 << 22)))
    return {"nnz": int(data.shape[0]), "total_weight": total}


def merge_parts(parts: list[Path], tmp: Path, n_words: int, block_entries: int, threads: int,
                progress: bool | None = False) -> None:
    """The reduce: sum the segments' partial matrices row by row into ``tmp``."""
    indptrs = np.stack([np.load(p / "indptr.npy") for p in parts])          # (n_parts, n_words + 1)
    bounds = np.minimum(np.diff(indptrs, axis=1).sum(axis=0), n_words)
    scratch = scratch_rows(threads, n_words)

    with progress_bar(progress, total=n_words, desc="merging", unit="w") as bar:
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

            def task(t: int) -> None:
                acc, touched = scratch[t]
                K.merge_rows(local, part_idx, part_val, region, thread_slots(t, b - a, threads), n_words, out_idx,
                             out_val, row_nnz, acc, touched)
            run_threads(task, min(threads, b - a))
            bar.update(b - a)

        write_blockwise(bounds, block_entries, process, tmp, n_words)
