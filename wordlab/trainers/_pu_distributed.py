"""PU-learning's half-iterations as block tasks on a Dask cluster, with no array of the
matrix's size on the client.

With the other side fixed, the coordinate-descent updates of one side's rows are
independent (:mod:`wordlab.trainers._pu_kernels`), so a half-iteration is a map over
blocks of rows: *word blocks* (rows of the matrix) for W and b, *context blocks*
(its columns, the rows of the transpose) for H and c. Every array with one entry per
non-zero lives in files on the shared filesystem, cut by block, and moves between the
tasks there:

- **Set-up** (once per run). A word task computes its rows' targets A (PPMI) and
  weights C from the matrix and the row and column sums the client publishes, and
  writes them; it also cuts its entries by context block ``(w, c)``. A context task
  joins the pieces ``(*, c)`` in word-block order and sorts them, stably, by column:
  that is its block of the transpose (row ids ascending within a column, as
  :func:`~wordlab.cooccur._kernels.transpose_positions` orders them), and the sort's
  permutation says where each entry came from.
- **The residuals** R = A - p change at every step and are exchanged the same way: a
  half-iteration's tasks write them as pieces ``R-w-c`` (the entries of word block w
  and context block c, in row-major order); a word task joins ``(w, *)`` and undoes its
  cut, a context task joins ``(*, c)`` and applies its permutation. The first
  half-iteration of a fresh run computes them (from the initial factors); one after a
  resume reads the checkpointed residuals file.
- **The client** publishes the fixed side (its transpose, the Gram matrix G = V^T V,
  the locks), copies the updated rows into the weights, and adds the tasks' observed
  terms of the objective, all of size n x k; it assembles the residuals into their
  weight file (streaming, one block at a time) only when a checkpoint is written.

Each task's kernel sees exactly the numbers one machine sees, in the same order, so
the factors and residuals are the single-machine ones bit for bit; the objective's
observed terms are summed block by block (to floating-point tolerance). Blocks are cut
to about equal cost (entries x (k + 2) + (k + 2)^2 per row), at least four per worker
thread.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._faults import fault_point
from ..cooccur import _kernels as cooccur_kernels
from ..distributed import PhaseClock, publish_npy
from ._pu_kernels import confidence, observed_terms, residuals, update_rows

BLOCKS_PER_WORKER = 4
#: an entry of the set-up's pieces: word row, column, target, weight
PREP_DTYPE = np.dtype([("i", "<i4"), ("j", "<i4"), ("A", "<f4"), ("C", "<f4")])


def plan_blocks(indptr: np.ndarray, width: int, n_blocks: int) -> list[tuple[int, int]]:
    """Row blocks of about equal cost, at least one row each."""
    n = indptr.shape[0] - 1
    cost = np.diff(indptr).astype(np.float64) * width + width * width
    ends = np.cumsum(cost)
    target = ends[-1] / max(1, n_blocks) if n else 1.0
    blocks, a = [], 0
    while a < n:
        base = ends[a - 1] if a else 0.0
        b = min(max(int(np.searchsorted(ends, base + target, side="right")), a + 1), n)
        blocks.append((a, b))
        a = b
    return blocks


class Block(NamedTuple):
    """Rows ``first:last`` of one side, whose entries are ``lo:hi`` of that side's CSR."""
    index: int
    first: int
    last: int
    lo: int
    hi: int


class Layout(NamedTuple):
    """Where a run's shared files are, and its blocks (plain data: goes with every task)."""
    scratch: str
    matrix: str
    word_blocks: tuple[Block, ...]
    context_blocks: tuple[Block, ...]

    def words(self, w: int, name: str) -> Path:
        return Path(self.scratch) / "words" / f"{name}-{w}.npy"

    def contexts(self, c: int, name: str) -> Path:
        return Path(self.scratch) / "contexts" / f"{name}-{c}.npy"

    @property
    def context_starts(self) -> np.ndarray:
        """The first column of each context block, then the end."""
        return np.asarray([b.first for b in self.context_blocks] + [self.context_blocks[-1].last], dtype=np.int64)


def _word_rows(layout: Layout, block: Block) -> tuple[np.ndarray, np.ndarray]:
    """(local indptr int64, column ids int32) of a word block, from the matrix's files."""
    m = Path(layout.matrix)
    indptr = np.asarray(np.load(m / "indptr.npy", mmap_mode="r")[block.first:block.last + 1], dtype=np.int64)
    indices = np.ascontiguousarray(np.load(m / "indices.npy", mmap_mode="r")[block.lo:block.hi])
    return indptr - block.lo, indices


def _cut(layout: Layout, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, sizes): a word block's entries grouped by context block (``order``: a
    stable sort of the entries by block, so each group stays row-major) and the size of
    each group."""
    block_of = np.searchsorted(layout.context_starts, indices, side="right") - 1
    n = len(layout.context_blocks)
    block_of = block_of.astype(np.int16 if n < 2 ** 15 else np.int32)      # radix sort for small types
    return np.argsort(block_of, kind="stable"), np.bincount(block_of, minlength=n)


# -- set-up tasks ----------------------------------------------------------------------------------
class PrepareTask(NamedTuple):
    layout: Layout
    block: Block
    logs: str           # the client's .npz of log row sums, log smoothed column sums, their log total
    x_max: float


def prepare_words(task: PrepareTask) -> dict:
    """Targets and weights of a word block's entries; its entries cut by context block
    (row ids, column ids, A, C), for the context tasks."""
    layout, b = task.layout, task.block
    indptr, indices = _word_rows(layout, b)
    data = np.ascontiguousarray(np.load(Path(layout.matrix) / "data.npy", mmap_mode="r")[b.lo:b.hi])
    with np.load(task.logs) as logs:
        log_rows, log_cols, log_total = logs["rows"][b.first:b.last], logs["cols"], float(logs["total"])
    A = np.empty(indices.shape[0], dtype=np.float32)
    cooccur_kernels.ppmi_values(indptr, indices, data, log_rows, log_cols, log_total, A)
    C = confidence(data, task.x_max)
    rows = np.repeat(np.arange(b.first, b.last, dtype=np.int32), np.diff(indptr))
    order, sizes = _cut(layout, indices)
    entries = np.empty(order.shape[0], dtype=PREP_DTYPE)
    entries["i"], entries["j"], entries["A"], entries["C"] = rows[order], indices[order], A[order], C[order]
    ends = np.cumsum(sizes)
    prep = Path(layout.scratch) / "prep"
    for c, (a, e) in enumerate(zip(ends - sizes, ends)):
        publish_npy(entries[a:e], prep / f"{b.index}-{c}.npy")
    publish_npy(A, layout.words(b.index, "A"))
    publish_npy(C, layout.words(b.index, "C"))
    return {"block": b.index, "entries": b.hi - b.lo, "read_bytes": int(data.nbytes * 2 + indptr.nbytes),
            "written_bytes": int((b.hi - b.lo) * 24)}


def prepare_contexts(task: PrepareTask) -> dict:
    """A context block of the transpose: its CSR (local indptr, word ids), A and C, the
    permutation from the joined pieces to it, and each piece's size."""
    layout, b = task.layout, task.block
    prep = Path(layout.scratch) / "prep"
    parts = [np.load(prep / f"{w.index}-{b.index}.npy") for w in layout.word_blocks]
    sizes = np.asarray([p.shape[0] for p in parts], dtype=np.int64)
    entries = np.concatenate(parts)
    del parts
    j = entries["j"] - b.first
    perm = np.argsort(j, kind="stable")
    indptr = np.zeros(b.last - b.first + 1, dtype=np.int64)
    np.cumsum(np.bincount(j, minlength=b.last - b.first), out=indptr[1:])
    entries = entries[perm]
    for name, arr in (("indptr", indptr), ("indices", entries["i"]), ("A", entries["A"]), ("C", entries["C"]),
                      ("perm", perm), ("sizes", sizes)):
        publish_npy(np.ascontiguousarray(arr), layout.contexts(b.index, name))
    return {"block": b.index, "entries": int(perm.shape[0]), "read_bytes": int(perm.shape[0]) * 16,
            "written_bytes": int(perm.shape[0]) * 20}


# -- the half-iterations --------------------------------------------------------------------------
class HalfTask(NamedTuple):
    """One block of a half-iteration. ``source`` is where the residuals are: ``"compute"``
    (from the factors), a residuals file (``.npy``, word order) or a half's directory of
    pieces. ``half`` holds the fixed side's files and receives the outputs."""
    layout: Layout
    block: Block
    side: str                   # "words" or "contexts"
    source: str
    half: str
    U: str                      # this side's factors (the rows to update)
    V: str                      # the fixed side's factors (for computing residuals)
    features: tuple[int, ...]
    rho: float
    lam: float


def _word_residuals(task: HalfTask, indptr, indices, A) -> np.ndarray:
    layout, b = task.layout, task.block
    if task.source == "compute":
        R = np.empty(b.hi - b.lo, dtype=np.float32)
        U = np.ascontiguousarray(np.load(task.U, mmap_mode="r")[b.first:b.last])
        residuals(indptr, indices, A, U, np.asarray(np.load(task.V, mmap_mode="r")), R)
        return R
    if task.source.endswith(".npy"):
        return np.array(np.load(task.source, mmap_mode="r")[b.lo:b.hi])
    return unsplit_word_block(layout, b, indices, Path(task.source))


def unsplit_word_block(layout: Layout, b: Block, indices: np.ndarray, pieces: Path) -> np.ndarray:
    """A word block's residuals in row-major order, from its pieces ``R-w-*`` in ``pieces``."""
    order, _ = _cut(layout, indices)
    R = np.empty(order.shape[0], dtype=np.float32)
    R[order] = np.concatenate([np.load(pieces / f"R-{b.index}-{c.index}.npy") for c in layout.context_blocks])
    return R


def update_block(task: HalfTask) -> dict:
    """The map: coordinate descent on one block's rows (see module docstring); returns
    the block's observed terms of the objective after its update."""
    layout, b, half = task.layout, task.block, Path(task.half)
    if task.side == "words":
        indptr, indices = _word_rows(layout, b)
        A, C = np.load(layout.words(b.index, "A")), np.load(layout.words(b.index, "C"))
        R = _word_residuals(task, indptr, indices, A)
    else:
        load = lambda name: np.load(layout.contexts(b.index, name))     # noqa: E731
        indptr, indices, A, C, perm, sizes = (load(n) for n in ("indptr", "indices", "A", "C", "perm", "sizes"))
        pieces = Path(task.source)
        R = np.concatenate([np.load(pieces / f"R-{w.index}-{b.index}.npy") for w in layout.word_blocks])[perm]
    U = np.array(np.load(task.U, mmap_mode="r")[b.first:b.last])
    Vt = np.asarray(np.load(half / "Vt.npy", mmap_mode="r"))
    G = np.load(half / "G.npy")
    locks = np.ascontiguousarray(np.load(half / "locks.npy", mmap_mode="r")[b.first:b.last])
    update_rows(np.arange(b.last - b.first, dtype=np.int64), indptr, indices, A, C, R, U, Vt, G,
                np.asarray(task.features, dtype=np.int64), locks, float(task.rho), float(task.lam))
    fault_point("pu.block_task")
    observed = observed_terms(indptr, A, C, R, float(task.rho))
    if task.side == "words":
        order, sizes = _cut(layout, indices)
        R = R[order]
        pieces = [(b.index, c.index) for c in layout.context_blocks]
    else:
        back = np.empty_like(R)
        back[perm] = R                      # row-major within the block again, word block after word block
        R = back
        pieces = [(w.index, b.index) for w in layout.word_blocks]
    ends = np.cumsum(sizes)
    for (w, c), a, e in zip(pieces, ends - sizes, ends):
        publish_npy(R[a:e], half / f"R-{w}-{c}.npy")
    publish_npy(U, half / f"U-{b.index}.npy")
    return {"side": task.side, "block": b.index, "rows": [b.first, b.last], "pid": os.getpid(),
            "entries": b.hi - b.lo, "observed": observed,
            "read_bytes": int(Vt.nbytes + G.nbytes + U.nbytes + locks.nbytes + (b.hi - b.lo) * 16),
            "written_bytes": int(U.nbytes + R.nbytes)}


# -- the client -----------------------------------------------------------------------------------
def _on_disk(array: np.ndarray) -> str:
    """The .npy file that holds ``array`` (a whole memory-mapped weight), flushed."""
    if isinstance(array, np.memmap) and array.filename and Path(array.filename).suffix == ".npy":
        array.flush()
        on_disk = np.load(array.filename, mmap_mode="r")
        if on_disk.shape == array.shape and on_disk.dtype == array.dtype:
            return str(array.filename)
    raise RuntimeError("PU-learning on a cluster needs its weights as memory-mapped .npy files")


class DistributedPU:
    """The shared files of a PU-learning run on a cluster, under ``scratch`` (in the run's
    work directory, which every worker must see), and its half-iterations."""

    def __init__(self, executor, scratch: Path, matrix, x_max: float, context_smoothing: float, width: int):
        from ..cooccur.matrix import ppmi_logs
        self.executor = executor
        self.clock = PhaseClock()               # the client's phases, summed since the last ``take_seconds``
        if scratch.exists():
            shutil.rmtree(scratch)
        for sub in ("words", "contexts", "prep"):
            (scratch / sub).mkdir(parents=True)
        executor.check_paths(read=[Path(matrix.path) / "data.npy"], write=[scratch])
        indptr = np.asarray(matrix.indptr)
        counts = np.zeros(matrix.n_words, dtype=np.int64)      # the transpose's row lengths
        indices = np.asarray(matrix.indices)
        for a in range(0, matrix.nnz, 1 << 24):
            counts += np.bincount(indices[a:a + (1 << 24)], minlength=matrix.n_words)
        t_indptr = np.concatenate(([0], np.cumsum(counts)))
        n_blocks = BLOCKS_PER_WORKER * max(1, executor.concurrent_tasks)
        blocks = lambda ip: tuple(Block(k, a, b, int(ip[a]), int(ip[b]))      # noqa: E731
                                  for k, (a, b) in enumerate(plan_blocks(ip, width, n_blocks)))
        self.layout = Layout(str(scratch), str(matrix.path), blocks(indptr), blocks(t_indptr))
        log_rows, log_cols, log_total = ppmi_logs(matrix, context_smoothing)
        logs = scratch / "ppmi-logs.npz"
        np.savez(logs, rows=log_rows, cols=log_cols, total=np.float64(log_total))
        self.clock.lap("prepare")
        for kind, fn in (("word_blocks", prepare_words), ("context_blocks", prepare_contexts)):
            tasks = [PrepareTask(self.layout, b, str(logs), float(x_max)) for b in getattr(self.layout, kind)]
            results = list(executor.map(fn, tasks))
            if [r["block"] for r in results] != [b.index for b in getattr(self.layout, kind)]:
                raise RuntimeError("the executor returned the set-up tasks' results out of order")
        shutil.rmtree(scratch / "prep")
        self.clock.lap("prepare_tasks")
        self.source = "compute"       # where the residuals are now (see HalfTask)
        self._half: Path | None = None

    def update_side(self, side: str, U: np.memmap, V: np.memmap, locks: np.ndarray, features: np.ndarray,
                    rho: float, lam: float, step: str) -> float:
        """One half-iteration: update the rows of ``U`` (a memory-mapped weight file) on the
        cluster, given ``V``; return the observed terms of the objective after it."""
        self.clock.restart()
        half = Path(self.layout.scratch) / f"half-{step}"
        if half.exists():
            shutil.rmtree(half)
        half.mkdir()
        Vf = np.asarray(V, dtype=np.float64)
        publish_npy(Vf.T @ Vf, half / "G.npy")
        del Vf
        publish_npy(np.ascontiguousarray(np.asarray(V).T), half / "Vt.npy")
        publish_npy(np.asarray(locks, dtype=np.float32), half / "locks.npy")
        blocks = self.layout.word_blocks if side == "words" else self.layout.context_blocks
        tasks = [HalfTask(self.layout, b, side, self.source, str(half), _on_disk(U), _on_disk(V),
                          tuple(int(f) for f in features), rho, lam) for b in blocks]
        self.clock.lap("publish")
        observed = 0.0
        for task, result in zip(tasks, self.executor.map(update_block, tasks)):
            if result["rows"] != [task.block.first, task.block.last] or result["side"] != side:
                raise RuntimeError(f"the executor returned {result['side']} rows {result['rows']} for "
                                   f"{side} {task.block.first}:{task.block.last}")
            observed += result["observed"]
        self.clock.lap("tasks")
        for b in blocks:
            U[b.first:b.last] = np.load(half / f"U-{b.index}.npy")
        previous, self._half, self.source = self._half, half, str(half)
        if previous is not None:         # its residuals are superseded only now
            shutil.rmtree(previous, ignore_errors=True)
        self.clock.lap("apply")
        return observed

    def resumed(self, residuals_file: np.memmap) -> None:
        """The residuals are those of a checkpoint, in the weight file (after a resume)."""
        self.source = _on_disk(residuals_file)

    def write_residuals(self, R: np.memmap) -> None:
        """Copy the current residuals into their weight file (word order), a block at a
        time: for a checkpoint."""
        if self._half is None:
            return
        self.clock.restart()
        indices = np.load(Path(self.layout.matrix) / "indices.npy", mmap_mode="r")
        for b in self.layout.word_blocks:
            R[b.lo:b.hi] = unsplit_word_block(self.layout, b, np.asarray(indices[b.lo:b.hi]), self._half)
        self.clock.lap("checkpoint")

    def take_seconds(self) -> dict[str, float]:
        return self.clock.take()

    def close(self) -> None:
        shutil.rmtree(self.layout.scratch, ignore_errors=True)
