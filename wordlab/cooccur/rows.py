"""Row-range counting: the counting pass for executors on other machines (a Dask cluster).

The segment map of :mod:`wordlab.cooccur.count` gives every task a piece of the corpus
and every task a partial matrix of all rows, which the reduce merges: fine on one
machine, but the partial matrices are about as large as the result and all of them go
through the merge. Here every task instead owns a range of *rows*: it reads the whole
encoded corpus (memory-mapped from the shared filesystem), gathers the corpus
positions of its rows' occurrences and counts those rows completely, so its output is
final and no pairs move between tasks; the reduce only joins the row ranges' files.

The matrix is the one the segment map writes with the same ``memory_limit``, bit for
bit: the kernels walk the same windows and, per segment of that plan, round a row's
partial sums to float32 and add them in segment order as the merge does (see
:mod:`wordlab.cooccur._row_kernels`).

A task holds its occurrence positions (8 bytes each), two dense float64 rows and two
int32 rows of the vocabulary's size, and an output block; the plan cuts the rows so
that this fits in ``memory_limit`` and into at least four tasks per concurrent task
(balanced by occurrences, the work), which keeps a cluster busy to the end.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numba.typed import List

from .._faults import fault_point
from .._threads import run_threads
from ..corpus.shards import TokenShards, shard_files
from ..npyio import NpyAppender, read_range, save_npy
from ..progress import progress as progress_bar
from . import _row_kernels as RK
from .blocks import scratch_rows, thread_slots, window_settings, write_blockwise

_READ_CHUNK = 1 << 22                    # tokens per read of the gather passes (16 MB)
_BYTES_PER_OCCURRENCE = 8                # an int64 corpus position
TASKS_PER_WORKER = 4


@dataclass(frozen=True)
class RowRange:
    """Rows ``first_row:last_row`` of the matrix; ``occurrences``: their tokens in the
    corpus (an upper bound under subsampling); ``index``: its place in the plan."""
    index: int
    first_row: int
    last_row: int
    occurrences: int


class RowTask(NamedTuple):
    """One row-range task: the encoded corpus's directory, the rows, where the segments
    of the single-machine plan end (token positions), the settings and the directory the
    rows go to."""
    corpus: str
    rows: RowRange
    segment_ends: tuple[int, ...]
    settings: dict
    out: str


def _scratch_bytes(n_words: int) -> int:
    return n_words * (8 + 8 + 4 + 4)


def plan_rows(counts: np.ndarray, memory_limit: int, block_entries: int, min_tasks: int,
              span: int = 1) -> list[RowRange]:
    """Cut the rows (``counts``: each word's tokens; ``span``: window positions per
    occurrence) into ranges whose occurrence lists fit in ``memory_limit`` (less the
    scratch rows and the output block) and whose work is about 1/``min_tasks`` of the
    total; every range has at least one row. A row's work is its occurrences plus its
    bound on non-zeros halved (an entry costs about what a window does, and the bound is
    about twice the non-zeros: measured on enwiki-text8style)."""
    counts = np.asarray(counts, dtype=np.int64)
    n_words = counts.shape[0]
    room = memory_limit - _scratch_bytes(n_words) - 8 * block_entries
    max_occurrences = max(1, room // _BYTES_PER_OCCURRENCE)
    work = np.cumsum(counts + np.minimum(counts * span, n_words) // 2)
    target = max(1, -(-int(work[-1]) // max(1, min_tasks))) if n_words else 1
    ends = np.cumsum(counts)
    ranges, a = [], 0
    while a < n_words:
        base, work_base = (int(ends[a - 1]), int(work[a - 1])) if a else (0, 0)
        b = min(int(np.searchsorted(ends, base + max_occurrences, side="right")),
                int(np.searchsorted(work, work_base + target, side="right")))
        b = min(max(b, a + 1), n_words)
        ranges.append(RowRange(len(ranges), a, b, int(ends[b - 1] - base)))
        a = b
    return ranges or [RowRange(0, 0, 0, 0)]


def gather_occurrences(shards: list[np.ndarray], bases: np.ndarray, first: int, last: int, keep: np.ndarray,
                       seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts int64 (last - first + 1), positions int64): the corpus positions of the
    kept tokens of each row in ``first:last``, ascending, in two passes over the token
    ``shards`` (which start at the corpus positions ``bases``)."""
    def chunks():
        for tokens, base in zip(shards, bases.tolist()):
            for a in range(0, tokens.shape[0], _READ_CHUNK):
                yield np.asarray(tokens[a:a + _READ_CHUNK]), base + a

    counts = np.zeros(max(last - first, 0), dtype=np.int64)
    for chunk, base in chunks():
        RK.count_occurrences(chunk, base, first, last, keep, np.uint64(seed), counts)
    starts = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    positions = np.empty(int(starts[-1]), dtype=np.int64)
    fill = starts[:-1].copy()
    for chunk, base in chunks():
        RK.fill_occurrences(chunk, base, first, last, keep, np.uint64(seed), fill, positions)
    return starts, positions


def count_row_range(task: RowTask) -> dict:
    """The map: count rows ``task.rows`` over the whole corpus into a CSR piece
    (``indptr.npy`` local to the range, ``indices.npy``, ``data.npy``) published at
    ``task.out`` by a rename. A pure function of the task: a rerun writes the same bytes,
    and a piece already published is kept."""
    s, rows, out = task.settings, task.rows, Path(task.out)
    corpus = Path(task.corpus)
    if (out / "indptr.npy").is_file():
        return _summary(task)
    n_words, _window, left, right, weights, keep, seed = window_settings(corpus, s)
    token_shards = TokenShards.open(corpus)
    shards = List(token_shards.arrays())            # a typed list: one Numba type for any count
    bases = token_shards.bases
    offsets = np.asarray(np.load(corpus / "offsets.npy", mmap_mode="r"))
    # the sentences that go on in the next shard, read once (a window never leaves its sentence)
    crossing_starts, crossing_at, crossing = token_shards.crossing_sentences(offsets)
    if crossing.shape[0] == 0:
        crossing = np.zeros(1, dtype=np.int32)
    segment_ends = np.asarray(task.segment_ends + (np.iinfo(np.int64).max,), dtype=np.int64)
    first, last = rows.first_row, rows.last_row
    starts, positions = gather_occurrences(list(shards), bases, first, last, keep, seed)
    fault_point("cooccur.row_task")
    bounds = np.minimum(np.diff(starts) * (left + right), n_words)
    threads = max(1, int(s["threads"]))
    # per thread: the segment's sums and the row's totals, each a dense row and its touched list
    scratch = [(*segment_sums, *totals) for segment_sums, totals in zip(scratch_rows(threads, n_words),
                                                                         scratch_rows(threads, n_words))]

    def process(block: np.ndarray, region: np.ndarray, size: int, out_idx, out_val, row_nnz):
        a, b = int(block[0]), int(block[-1]) + 1
        block_starts = np.ascontiguousarray(starts[a:b + 1])

        def work(t: int) -> None:
            acc, touched, total, total_touched = scratch[t]
            RK.count_rows_direct(shards, bases, crossing, crossing_starts, crossing_at, offsets, segment_ends, block_starts, positions,
                                 thread_slots(t, b - a, threads), region, weights, left, right, keep, np.uint64(seed),
                                 n_words, out_idx, out_val, row_nnz, acc, touched, total, total_touched)
        run_threads(work, min(threads, b - a))

    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        write_blockwise(bounds, int(s["block_entries"]), process, tmp, last - first)
        try:
            os.rename(tmp, out)
        except OSError:
            if not (out / "indptr.npy").is_file():     # not another run's identical piece
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return _summary(task)


def _summary(task: RowTask) -> dict:
    nnz = int(np.load(Path(task.out) / "indptr.npy", mmap_mode="r")[-1])
    corpus = Path(task.corpus)
    return {"rows": [task.rows.first_row, task.rows.last_row], "out": task.out, "nnz": nnz, "pid": os.getpid(),
            "occurrences": task.rows.occurrences,
            "read_bytes": sum(f.stat().st_size for f in _token_files(corpus)) + (corpus / "offsets.npy").stat().st_size,
            "written_bytes": sum(f.stat().st_size for f in Path(task.out).iterdir())}


def _token_files(corpus: Path) -> list[Path]:
    meta = json.loads((corpus / "meta.json").read_text(encoding="utf-8"))
    return [corpus / f for f, _ in shard_files(meta)]


def count_by_rows(tmp: Path, corpus: str, n_words: int, counts: np.ndarray, segment_ends: list[int],
                  settings: dict, memory_limit: int, block_entries: int, executor, progress: bool | None) -> dict:
    """Plan row ranges, count them on ``executor`` (pieces under ``tmp/rows``) and join
    them into the matrix's files in ``tmp``; return the number of tasks and the
    seconds of the two phases."""
    span = int(settings["window"]) * (2 if settings["direction"] == "both" else 1)
    ranges = plan_rows(counts, memory_limit, block_entries, TASKS_PER_WORKER * max(1, executor.concurrent_tasks), span)
    map_settings = {**settings, "block_entries": int(block_entries), "threads": int(executor.task_threads)}
    pieces = tmp / "rows"
    pieces.mkdir()
    tasks = [RowTask(corpus, r, tuple(int(e) for e in segment_ends), map_settings, str(pieces / f"{r.index:05d}"))
             for r in ranges]
    check = getattr(executor, "check_paths", None)
    if check is not None:
        check(read=_token_files(Path(corpus)), write=[pieces])
    started = time.perf_counter()
    with progress_bar(progress, total=int(sum(r.occurrences for r in ranges)), desc="counting", unit="w") as bar:
        for task, result in zip(tasks, executor.map(count_row_range, tasks)):
            if result["rows"] != [task.rows.first_row, task.rows.last_row]:
                raise RuntimeError(f"the executor returned the result of rows {result['rows']} for {task.rows}")
            bar.update(task.rows.occurrences)
    joined = time.perf_counter()
    join_pieces([Path(t.out) for t in tasks], tmp, n_words)
    shutil.rmtree(pieces)
    return {"row_tasks": len(tasks), "seconds": {"tasks": round(joined - started, 4),
                                                 "join": round(time.perf_counter() - joined, 4)}}


def join_pieces(pieces: list[Path], target: Path, n_words: int, block: int = 1 << 24) -> None:
    """Concatenate the row ranges' CSR pieces (in row order) into one matrix in ``target``."""
    indptr = np.zeros(n_words + 1, dtype=np.int64)
    row = 0
    with NpyAppender(target / "indices.npy", np.int32) as idx_file, \
            NpyAppender(target / "data.npy", np.float32) as val_file:
        for piece in pieces:
            local = np.load(piece / "indptr.npy")
            nnz = int(local[-1])
            rows = local.shape[0] - 1
            indptr[row + 1:row + rows + 1] = indptr[row] + local[1:]
            row += rows
            for a in range(0, nnz, block):
                idx_file.append(read_range(piece / "indices.npy", a, min(nnz, a + block)))
                val_file.append(read_range(piece / "data.npy", a, min(nnz, a + block)))
    if row != n_words:
        raise RuntimeError(f"the row ranges cover {row} rows, not {n_words}")
    save_npy(target / "indptr.npy", indptr)
