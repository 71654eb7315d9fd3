"""GloVe: global vectors from a co-occurrence matrix (Pennington, Socher and Manning 2014).

Weighted least squares on log counts, trained with AdaGrad as the reference tool
(glove.c) does:

=================  =========  ==========================================================
parameter          default    meaning
=================  =========  ==========================================================
dim                100        vector size
window             10         symmetric context radius, counts weighted 1/distance
x_max              100        f(x) = min(1, (x / x_max) ** weight_exponent)
weight_exponent    0.75
learning_rate      0.05       AdaGrad's eta
grad_clip          100        per-coordinate gradient clipping (glove.c's default)
epochs             15         passes over the shuffled non-zero entries (demo.sh: 15)
output             "sum"      store W + W~ ("sum", glove.c's model 2), W ("word") or
                              [W, W~] ("concat", 2 * dim columns)
min_count          5
=================  =========  ==========================================================

Initialisation as glove.c: vectors and biases uniform in +-0.5/dim, AdaGrad sums at 1.

The co-occurrence matrix is counted once per corpus and window and cached
(:func:`wordlab.cooccur.count_cooccurrences`), so GloVe, PU-learning and Bit-cipher on
the same corpus share it. Its non-zero entries are shuffled once per run (a uniform
random permutation drawn from ``seed``) into a record file in the run's work
directory; each epoch streams that file. Parallelism is Hogwild, as in glove.c: the
record file is cut into ``workers`` contiguous ranges, one thread each, all updating the
same matrices without locks. With ``workers=1`` a run is deterministic.

Records whose residual or update is not finite are skipped and counted
(``history[*]["skipped"]`` in ``meta.json``); glove.c prints "Caught NaN" for these.

The store keeps ``context_vectors.npy`` (W~), ``bias.npy`` / ``context_bias.npy`` and, when
``vectors.npy`` is a combination, the word vectors W alone as ``word_vectors.npy``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .._faults import fault_point
from .._threads import run_threads
from ..cooccur import CooccurrenceMatrix
from ..corpus import EncodedCorpus
from ..npyio import NpyAppender, read_range, replacing_npy, save_npy
from . import parameters as P
from ._glove_kernels import gather_records, glove_updates
from ._cooccurrence import CooccurrenceTrainer
from .base import Callback

OUTPUTS = ("sum", "word", "concat")
_CHUNK_RECORDS = 1 << 20          # records per read of the shuffled file (12 MB)
_SHUFFLE_BLOCK = 1 << 22          # records gathered per block when shuffling
_RECORD_FILES = {"rows": np.int32, "cols": np.int32, "counts": np.float32}


class GloVe(CooccurrenceTrainer):
    """GloVe on a cached co-occurrence matrix; see the module docstring."""
    loss_unit = "weighted squared error per record"

    method = "glove"
    parameters = {
        "weight_exponent": P.Param(P.Real(0, 10), "The exponent of GloVe's weighting function."),
        "learning_rate": P.Param(P.Real(0, 1, closed="right"), "AdaGrad's initial learning rate eta."),
        "grad_clip": P.Param(P.Real(0, None, closed="neither"), "Per-coordinate gradient clipping."),
    }

    def __init__(self, *, dim: int = 100, window: int = 10, x_max: float = 100.0, weight_exponent: float = 0.75,
                 learning_rate: float = 0.05, grad_clip: float = 100.0, output: str = "sum", epochs: int = 15,
                 min_count: int = 5, max_size: int | None = None, workers: int | None = None, seed: int = 1,
                 memory_limit: int = 1 << 30, progress: bool | None = None, callbacks: Sequence[Callback] = (),
                 client=None):
        super().__init__(dim=dim, epochs=epochs, min_count=min_count, max_size=max_size, workers=workers,
                         seed=seed, progress=progress, callbacks=callbacks)
        self.client = client        # counts on this Dask cluster (the training stays here)
        self.window = window
        self.x_max = x_max
        self.weight_exponent = weight_exponent
        self.learning_rate = learning_rate
        self.grad_clip = grad_clip
        self.output = output
        self.memory_limit = memory_limit

    # -- weights ------------------------------------------------------------------------------
    # One row per word: [vector (dim) | AdaGrad sums (dim) | bias | bias sum], so that an
    # update touches two rows of memory (see _glove_kernels).
    def _weight_specs(self, n_words: int):
        dim = self.dim

        def init(arr: np.ndarray, rng: np.random.Generator) -> None:
            for a in range(0, arr.shape[0], 4096):
                n = min(4096, arr.shape[0] - a)
                block = np.ones((n, 2 * dim + 2), dtype=np.float32)
                values = (rng.random((n, dim + 1), dtype=np.float32) - np.float32(0.5)) / np.float32(dim)
                block[:, :dim] = values[:, :dim]
                block[:, 2 * dim] = values[:, dim]
                arr[a:a + n] = block

        return {"word_params": ((n_words, 2 * dim + 2), init), "context_params": ((n_words, 2 * dim + 2), init)}

    def _init_target(self, name: str) -> np.ndarray | None:
        packed = {"vectors": "word_params", "context_vectors": "context_params"}.get(name)
        return None if packed is None else self._weights[packed][:, :self.dim]

    def _prepare(self, encoded: EncodedCorpus) -> None:
        self.matrix: CooccurrenceMatrix = self._count(encoded)
        self._stop = threading.Event()

    def _epoch_size(self) -> tuple[int, str]:
        return self.matrix.nnz, "pairs"

    def _kernel(self, rows, cols, counts, word_params, context_params, locks) -> tuple[float, int, int]:
        return glove_updates(rows, cols, counts, word_params, context_params, locks, not self._freeze_context,
                             np.float32(self.x_max), np.float32(self.weight_exponent),
                             np.float32(self.learning_rate), np.float32(self.grad_clip))

    def _load_kernels(self) -> None:
        row = np.ones((1, 2 * self.dim + 2), np.float32)
        self._kernel(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32), row, row.copy(),
                     np.ones(1, np.float32))
        gather_records(np.zeros(0, np.int64), np.zeros(2, np.int64), np.zeros(0, np.int32),
                       np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32),
                       np.zeros(0, np.float32))

    # -- the shuffled records -------------------------------------------------------------------
    def _records_dir(self) -> Path:
        return self._work / "records"

    def _shuffle_records(self) -> None:
        """Write the matrix's entries in a uniformly random order (once per run)."""
        target = self._records_dir()
        if (target / "done").is_file():
            return
        partial = self._work / ".records.partial"
        if partial.exists():
            import shutil
            shutil.rmtree(partial)
        partial.mkdir()
        m = self.matrix
        order = np.random.default_rng([self.seed, 0x6C0E]).permutation(m.nnz)
        indptr, indices, data = np.asarray(m.indptr), m.indices, m.data
        files = {name: NpyAppender(partial / f"{name}.npy", dtype, m.nnz) for name, dtype in _RECORD_FILES.items()}
        try:
            for a in range(0, m.nnz, _SHUFFLE_BLOCK):
                block = order[a:a + _SHUFFLE_BLOCK]
                out = {name: np.empty(block.shape[0], dtype) for name, dtype in _RECORD_FILES.items()}
                gather_records(block, indptr, indices, data, out["rows"], out["cols"], out["counts"])
                for name, f in files.items():
                    f.append(out[name])
        finally:
            for f in files.values():
                f.close()
        del order
        (partial / "done").write_text("ok\n")
        os.replace(partial, target)

    # -- one epoch ------------------------------------------------------------------------------
    def _train_epoch(self, epoch: int, report: Callable) -> tuple[float, int]:
        self._shuffle_records()
        nnz = self.matrix.nnz
        n_threads = max(1, min(self.n_workers, nnz))
        bounds = np.linspace(0, nnz, n_threads + 1).astype(np.int64)
        status = np.zeros((n_threads, 3), dtype=np.int64)     # records done, used, skipped
        loss = np.zeros(n_threads, dtype=np.float64)
        word_params = np.asarray(self._weights["word_params"])
        context_params = np.asarray(self._weights["context_params"])
        locks = self._locks
        records = self._records_dir()

        def task(t: int) -> None:
            buffers = {name: np.empty(_CHUNK_RECORDS, dtype) for name, dtype in _RECORD_FILES.items()}
            for a in range(int(bounds[t]), int(bounds[t + 1]), _CHUNK_RECORDS):
                if self._stop.is_set():
                    return
                b = min(a + _CHUNK_RECORDS, int(bounds[t + 1]))
                chunk = {name: read_range(records / f"{name}.npy", a, b, buffers[name]) for name in buffers}
                l, used, skipped = self._kernel(chunk["rows"], chunk["cols"], chunk["counts"], word_params,
                                                context_params, locks)
                loss[t] += l
                status[t] += (b - a, used, skipped)
                fault_point("train.subchunk")
                if t == 0:
                    report(int(status[:, 0].sum()), float(loss.sum()), int(status[:, 1].sum()))

        try:
            run_threads(task, n_threads)
        except BaseException:
            self._stop.set()
            raise
        report(int(status[:, 0].sum()), float(loss.sum()), int(status[:, 1].sum()))
        self._skipped = int(status[:, 2].sum())
        return float(loss.sum()), int(status[:, 1].sum())

    def _epoch_extra(self) -> dict:
        return {"skipped": getattr(self, "_skipped", 0)}

    # -- the store ------------------------------------------------------------------------------
    def _current_vectors(self) -> np.ndarray:
        W = np.asarray(self._weights["word_params"][:, :self.dim])
        C = np.asarray(self._weights["context_params"][:, :self.dim])
        return {"sum": lambda: W + C, "word": lambda: W.copy(), "concat": lambda: np.hstack([W, C])}[self.output]()

    def _write_output(self, work: Path) -> None:
        import shutil
        shutil.rmtree(work / "records", ignore_errors=True)
        dim = self.dim
        P = np.load(work / "word_params.npy", mmap_mode="r")
        Q = np.load(work / "context_params.npy", mmap_mode="r")
        save_npy(work / "word_vectors.npy", np.ascontiguousarray(P[:, :dim]))
        save_npy(work / "context_vectors.npy", np.ascontiguousarray(Q[:, :dim]))
        save_npy(work / "bias.npy", np.ascontiguousarray(P[:, 2 * dim]))
        save_npy(work / "context_bias.npy", np.ascontiguousarray(Q[:, 2 * dim]))
        del P, Q
        (work / "word_params.npy").unlink()
        (work / "context_params.npy").unlink()
        if self.output == "word":
            os.replace(work / "word_vectors.npy", work / "vectors.npy")
            return
        W = np.load(work / "word_vectors.npy", mmap_mode="r")
        C = np.load(work / "context_vectors.npy", mmap_mode="r")
        n = W.shape[0]
        width = dim if self.output == "sum" else 2 * dim
        with replacing_npy(work / "vectors.npy", np.float32, (n, width)) as out:
            for a in range(0, n, 4096):
                if self.output == "sum":
                    out[a:a + 4096] = W[a:a + 4096] + C[a:a + 4096]
                else:
                    out[a:a + 4096, :dim] = W[a:a + 4096]
                    out[a:a + 4096, dim:] = C[a:a + 4096]
        del W, C
