"""PU-learning's half-iterations as row-block tasks on a Dask cluster.

With the other side V fixed, the coordinate-descent updates of the rows of U are
independent (:mod:`wordlab.trainers._pu_kernels`), so a half-iteration is a map over
blocks of rows. Each task reads, from the shared filesystem, its rows' observed entries
(CSR slice, targets A, weights C), their current residuals and factors, and the whole
fixed side (V transposed, and the small Gram matrix G = V^T V), runs the same kernel
as one machine on them, and publishes its updated rows and residuals as two files; the
trainer copies them into its weights when every block is done. Only the task
descriptions travel through Dask. A block's kernel sees exactly the numbers one machine
sees, in the same order, so the factors, residuals and objective are those of the
single-machine run, bit for bit.

Blocks are cut to about equal cost (entries x (k + 2) + (k + 2)^2 per row), at least
four per worker thread, so the cluster stays busy to the end.
"""
from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._faults import fault_point
from ..npyio import save_npy
from ._pu_kernels import update_rows

BLOCKS_PER_WORKER = 4


class BlockTask(NamedTuple):
    """Rows ``first:last`` (entries ``lo:hi``) of one side: ``side`` holds that side's
    ``indptr``/``indices``/``A``/``C``; ``U``, ``R``, ``Vt``, ``G``, ``locks`` are the
    half-iteration's input files; the updated rows and residuals go to ``out``."""
    side: str
    first: int
    last: int
    lo: int
    hi: int
    U: str
    R: str
    Vt: str
    G: str
    locks: str
    features: tuple[int, ...]
    rho: float
    lam: float
    out: str


def _publish(array: np.ndarray, path: Path) -> None:
    """Write ``array`` to ``path`` under a temporary name, then rename: a reader finds the
    whole file or none (a rerun of the task writes the same bytes)."""
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        save_npy(tmp, array)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def update_block(task: BlockTask) -> dict:
    """The map: coordinate descent on one block of rows (see module docstring)."""
    side = Path(task.side)
    a, b, lo, hi = task.first, task.last, task.lo, task.hi
    indptr = np.load(side / "indptr.npy", mmap_mode="r")[a:b + 1] - lo
    indices = np.ascontiguousarray(np.load(side / "indices.npy", mmap_mode="r")[lo:hi])
    A = np.ascontiguousarray(np.load(side / "A.npy", mmap_mode="r")[lo:hi])
    C = np.ascontiguousarray(np.load(side / "C.npy", mmap_mode="r")[lo:hi])
    R = np.array(np.load(task.R, mmap_mode="r")[lo:hi])
    U = np.array(np.load(task.U, mmap_mode="r")[a:b])
    Vt = np.asarray(np.load(task.Vt, mmap_mode="r"))
    G = np.load(task.G)
    locks = np.ascontiguousarray(np.load(task.locks, mmap_mode="r")[a:b])
    update_rows(np.arange(b - a, dtype=np.int64), np.ascontiguousarray(indptr, dtype=np.int64), indices, A, C, R,
                U, Vt, G, np.asarray(task.features, dtype=np.int64), locks, float(task.rho), float(task.lam))
    out = Path(task.out)
    fault_point("pu.block_task")
    _publish(U, out / f"U-{a}.npy")
    _publish(R, out / f"R-{a}.npy")
    return {"rows": [a, b], "pid": os.getpid(), "entries": hi - lo,
            "read_bytes": Vt.nbytes + G.nbytes + U.nbytes + locks.nbytes + (hi - lo) * 16 + indptr.nbytes,
            "written_bytes": U.nbytes + R.nbytes}


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


def _on_disk(array: np.ndarray, fallback: Path) -> str:
    """The .npy file that holds ``array`` (a whole memory-mapped weight, flushed), or a
    copy written to ``fallback``."""
    if isinstance(array, np.memmap) and array.filename and Path(array.filename).suffix == ".npy":
        array.flush()
        try:
            on_disk = np.load(array.filename, mmap_mode="r")
            if on_disk.shape == array.shape and on_disk.dtype == array.dtype:
                return str(array.filename)
        except (OSError, ValueError):
            pass
    _publish(np.asarray(array), fallback)
    return str(fallback)


class DistributedSides:
    """The shared files of a PU-learning run on a cluster, under ``scratch`` (in the
    run's work directory, which every worker must see), and the half-iteration map."""

    def __init__(self, executor, scratch: Path, sides: dict[str, tuple], width: int):
        self.executor = executor
        self.scratch = scratch
        self.width = width
        self.blocks: dict[str, list[tuple[int, int]]] = {}
        self.seconds: dict[str, float] = {}     # the client's phases, summed since the last ``take_seconds``
        self.indptrs: dict[str, np.ndarray] = {}
        scratch.mkdir(parents=True, exist_ok=True)
        n_blocks = BLOCKS_PER_WORKER * max(1, executor.concurrent_tasks)
        for name, (indptr, indices, A, C) in sides.items():
            d = scratch / name
            d.mkdir(exist_ok=True)
            for fname, arr in (("indptr", indptr), ("indices", indices), ("A", A), ("C", C)):
                _publish(np.asarray(arr), d / f"{fname}.npy")
            self.indptrs[name] = np.asarray(indptr)
            self.blocks[name] = plan_blocks(self.indptrs[name], width, n_blocks)
        executor.check_paths(read=[scratch / name / "C.npy" for name in sides], write=[scratch])

    def update_side(self, name: str, U: np.memmap, R: np.ndarray, V: np.ndarray, locks: np.ndarray,
                    features: np.ndarray, rho: float, lam: float, step: str) -> None:
        """One half-iteration: update the rows of ``U`` (a memory-mapped weight file) and
        the residuals ``R`` (the same, or an array) on the cluster, given ``V``."""
        half = self.scratch / step
        if half.exists():
            shutil.rmtree(half)
        half.mkdir()
        clock = time.perf_counter()
        try:
            Vf = V.astype(np.float64)
            _publish(Vf.T @ Vf, half / "G.npy")
            del Vf
            _publish(np.ascontiguousarray(V.T), half / "Vt.npy")
            _publish(np.asarray(locks), half / "locks.npy")
            U_path, R_path = _on_disk(U, half / "U.npy"), _on_disk(R, half / "R.npy")
            indptr = self.indptrs[name]
            tasks = [BlockTask(str(self.scratch / name), a, b, int(indptr[a]), int(indptr[b]), U_path,
                               R_path, str(half / "Vt.npy"), str(half / "G.npy"),
                               str(half / "locks.npy"), tuple(int(f) for f in features), rho, lam, str(half))
                     for a, b in self.blocks[name]]
            clock = self._lap("publish", clock)
            for task, result in zip(tasks, self.executor.map(update_block, tasks)):
                if result["rows"] != [task.first, task.last]:
                    raise RuntimeError(f"the executor returned rows {result['rows']} for {task.first}:{task.last}")
            clock = self._lap("tasks", clock)
            for task in tasks:
                U[task.first:task.last] = np.load(half / f"U-{task.first}.npy")
                R[task.lo:task.hi] = np.load(half / f"R-{task.first}.npy")
        finally:
            shutil.rmtree(half, ignore_errors=True)
        self._lap("apply", clock)

    def _lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - since, 4)
        return now

    def take_seconds(self) -> dict[str, float]:
        out, self.seconds = self.seconds, {}
        return out

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
