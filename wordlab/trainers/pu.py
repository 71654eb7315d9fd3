"""PU-learning matrix factorisation for small corpora (Jiang, Yu, Hsieh and Chang, NAACL 2018).

"Learning Word Embeddings for Low-resource Languages by PU Learning": factorise the
PPMI matrix (context smoothing 0.75) of the co-occurrence counts X, treating every
pair that was never observed as a weak zero instead of ignoring it:

    minimise  sum_{X_ij > 0} C_ij (A_ij - w_i.h_j - b_i - c_j)^2
            + rho * sum_{X_ij = 0} (w_i.h_j + b_i + c_j)^2
            + lam * (|W|^2 + |H|^2 + |b|^2 + |c|^2),     C_ij = min(1, (X_ij / x_max)^0.75)

solved by cyclic coordinate descent (CCD++) over the observed entries only, so that
one outer iteration costs O(nnz k + n k^2) and memory is O(nnz + n k): the n^2 zeros
are never formed (see :mod:`wordlab.trainers._pu_kernels`).

=================  =========  ==========================================================
parameter          default    meaning (defaults from the paper's code)
=================  =========  ==========================================================
dim                300        rank k
window             10         co-occurrence radius (counts weighted 1/distance, the
                              matrix GloVe uses, shared through the cache)
rho                2^-4       weight of the unobserved pairs
lam                2^-11      L2 regularisation
x_max              10         C_ij = min(1, (X_ij / x_max) ** 0.75)
context_smoothing  0.75       PPMI's smoothed context distribution
epochs             15         outer iterations (all of W and b, then all of H and c)
output             "sum"      store W + H ("sum"), W ("word") or [W, H] ("concat")
=================  =========  ==========================================================

Each outer iteration updates every row of [W, b] (rows are independent given H, so
threads split them with no races), then every row of [H, c]. Every coordinate update
is the exact minimiser of the objective in that coordinate, so the objective never
increases; ``meta.json`` records it per iteration (``history[*]["objective"]``;
``loss`` is the objective divided by the number of observed pairs). Factors start
uniform in +-0.5/sqrt(k), biases at 0; a run with a given seed is deterministic for
any number of workers.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .._faults import fault_point
from .._threads import run_threads
from ..cooccur import CooccurrenceMatrix
from ..cooccur import _kernels as cooccur_kernels
from ..cooccur.matrix import ppmi
from ..corpus import EncodedCorpus
from ..npyio import save_npy
from . import parameters as P
from ._pu_distributed import DistributedPU
from ._pu_kernels import confidence, gather, observed_terms, residuals, scatter, update_rows
from ._cooccurrence import CooccurrenceTrainer
from .base import Callback

OUTPUTS = ("sum", "word", "concat")


class PULearning(CooccurrenceTrainer):
    """PU-learning matrix factorisation; see the module docstring."""
    loss_unit = "objective per observed pair"

    method = "pu"
    parameters = {
        "rho": P.Param(P.Real(0, None, closed="neither"), "Weight of the unobserved pairs."),
        "lam": P.Param(P.Real(0, None, closed="neither"), "L2 regularisation (> 0: every coordinate step is defined)."),
        "context_smoothing": P.Param(P.Real(0, 1, closed="right"), "PPMI's smoothing of the context distribution."),
    }

    def __init__(self, *, dim: int = 300, window: int = 10, rho: float = 2.0 ** -4, lam: float = 2.0 ** -11,
                 x_max: float = 10.0, context_smoothing: float = 0.75, output: str = "sum", epochs: int = 15,
                 min_count: int = 5, max_size: int | None = None, workers: int | None = None, seed: int = 1,
                 memory_limit: int = 1 << 30, progress: bool | None = None, callbacks: Sequence[Callback] = (),
                 client=None):
        super().__init__(dim=dim, epochs=epochs, min_count=min_count, max_size=max_size, workers=workers,
                         seed=seed, progress=progress, callbacks=callbacks)
        self.client = client
        self.window = window
        self.rho = rho
        self.lam = lam
        self.x_max = x_max
        self.context_smoothing = context_smoothing
        self.output = output
        self.memory_limit = memory_limit

    # -- weights: augmented factors U = [W, b, 1] and V = [H, 1, c] --------------------------------
    def _weight_specs(self, n_words: int):
        k = self.dim

        def factors(bias_column: int, ones_column: int):
            def init(arr: np.ndarray, rng: np.random.Generator) -> None:
                scale = np.float32(0.5 / math.sqrt(k))
                for a in range(0, arr.shape[0], 4096):
                    block = rng.random((min(4096, arr.shape[0] - a), k + 2), dtype=np.float32)
                    block = (block * np.float32(2) - np.float32(1)) * scale
                    block[:, bias_column] = 0.0
                    block[:, ones_column] = 1.0
                    arr[a:a + block.shape[0]] = block
            return init

        def zeros(arr: np.ndarray, rng: np.random.Generator) -> None:
            arr[:] = 0.0

        # The residuals are state too: updated in place by every coordinate step, they are
        # checkpointed with the factors (recomputing them on resume differs in the last bits).
        return {"factors": ((n_words, k + 2), factors(k, k + 1)),
                "context_factors": ((n_words, k + 2), factors(k + 1, k)),
                "residuals": ((self.matrix.nnz,), zeros)}

    def _prepare(self, encoded: EncodedCorpus) -> None:
        self.matrix: CooccurrenceMatrix = self._count(encoded)
        self._distributed = None      # the shared files of a run on a Dask cluster (made in the first epoch)
        if self.client is not None:
            return                    # the cluster's tasks build A, C and the transpose, block by block
        m = self.matrix
        self._indptr = np.asarray(m.indptr)
        self._indices = np.asarray(m.indices)
        self._A = ppmi(m, self.context_smoothing)
        data = np.asarray(m.data)
        self._C = confidence(data, self.x_max)
        # The transpose, for the context side: its entries and where they sit in the CSR.
        pos_dtype = np.int32 if m.nnz < 2 ** 31 else np.int64
        self._t_indptr = np.empty_like(self._indptr)
        t_indices = np.empty(m.nnz, dtype=np.int32)
        self._t_pos = np.empty(m.nnz, dtype=pos_dtype)
        cooccur_kernels.transpose_positions(self._indptr, self._indices, m.n_words, self._t_indptr, t_indices,
                                            self._t_pos)
        symmetric = np.array_equal(self._t_indptr, self._indptr) and np.array_equal(t_indices, self._indices)
        self._t_indices = self._indices if symmetric else t_indices
        del t_indices
        self._t_A = np.empty_like(self._A)
        gather(self._A, self._t_pos, self._t_A)
        if symmetric and m.meta.get("direction") == "both":
            self._t_C = self._C       # C is symmetric when the counts are
        else:
            self._t_C = np.empty_like(self._C)
            gather(self._C, self._t_pos, self._t_C)
        self._t_R = None              # the residuals in transposed order (scratch)

    def _epoch_size(self) -> tuple[int, str]:
        return 2 * self.matrix.nnz, "entries"

    def _load_kernels(self) -> None:
        k2 = self.dim + 2
        ip = np.zeros(2, np.int64)
        one = np.zeros(0, np.int32)
        f32 = np.zeros(0, np.float32)
        U = np.zeros((1, k2), np.float32)
        update_rows(np.zeros(0, np.int64), ip, one, f32, f32, f32, U, np.zeros((k2, 1), np.float32),
                    np.zeros((k2, k2)), np.arange(k2 - 1, dtype=np.int64), np.ones(1, np.float32), 0.1, 0.1)
        observed_terms(ip, f32, f32, f32, 0.1)
        residuals(ip, one, f32, U, U, f32)
        for pos in (np.zeros(0, np.int32), np.zeros(0, np.int64)):
            gather(f32, pos, f32)
            scatter(f32, pos, f32)

    # -- one outer iteration ------------------------------------------------------------------------
    def _update_side(self, U: np.ndarray, V: np.ndarray, indptr, indices, A, C, R, features, locks) -> None:
        Vf = V.astype(np.float64)
        G = Vf.T @ Vf
        del Vf
        Vt = np.ascontiguousarray(V.T)
        n_threads = max(1, min(self.n_workers, U.shape[0]))
        slots = [np.arange(t, U.shape[0], n_threads, dtype=np.int64) for t in range(n_threads)]
        rho, lam = float(self.rho), float(self.lam)

        def task(t: int) -> None:
            update_rows(slots[t], indptr, indices, A, C, R, U, Vt, G, features, locks, rho, lam)
        run_threads(task, n_threads)

    def _features(self) -> tuple[np.ndarray, np.ndarray]:
        """The coordinates each half updates: W and b, then H and c."""
        k = self.dim
        return np.append(np.arange(k), k).astype(np.int64), np.append(np.arange(k), k + 1).astype(np.int64)

    def _train_epoch(self, epoch: int, report: Callable) -> tuple[float, int]:
        if self.client is not None:
            return self._train_epoch_on_cluster(epoch, report)
        U = np.asarray(self._weights["factors"])
        V = np.asarray(self._weights["context_factors"])
        nnz = self.matrix.nnz
        R = np.asarray(self._weights["residuals"])
        if epoch == 0:     # from the initial factors; later epochs continue from the checkpointed ones
            residuals(self._indptr, self._indices, self._A, U, V, R)
        if self._t_R is None:
            self._t_R = np.empty(nnz, dtype=np.float32)
        word_features, context_features = self._features()
        self._update_side(U, V, self._indptr, self._indices, self._A, self._C, R, word_features, self._locks)
        report(nnz, 0.0, 0)
        fault_point("train.subchunk")      # between the two halves of an iteration
        gather(R, self._t_pos, self._t_R)
        if not self._freeze_context:
            self._update_side(V, U, self._t_indptr, self._t_indices, self._t_A, self._t_C, self._t_R,
                              context_features, np.ones(V.shape[0], dtype=np.float32))
            scatter(self._t_R, self._t_pos, R)
        objective = self.objective()
        self._objective = objective
        report(2 * nnz, objective, nnz)
        return objective, nnz

    def _train_epoch_on_cluster(self, epoch: int, report: Callable) -> tuple[float, int]:
        """One outer iteration as block tasks on the cluster (:mod:`._pu_distributed`)."""
        from ..distributed import DaskExecutor
        if self._distributed is None:
            self._distributed = DistributedPU(DaskExecutor(self.client), self._work / "dask", self.matrix,
                                              float(self.x_max), float(self.context_smoothing), self.dim + 2)
            if epoch > 0:         # resumed: the checkpoint's residuals (epoch 0 computes them afresh)
                self._distributed.resumed(self._weights["residuals"])
        # the memory-mapped weight files themselves: the cluster's tasks read them there
        U, V = self._weights["factors"], self._weights["context_factors"]
        nnz = self.matrix.nnz
        word_features, context_features = self._features()
        rho, lam = float(self.rho), float(self.lam)
        observed = self._distributed.update_side("words", U, V, self._locks, word_features, rho, lam,
                                                 f"{epoch}-words")
        report(nnz, 0.0, 0)
        fault_point("train.subchunk")
        if not self._freeze_context:
            observed = self._distributed.update_side("contexts", V, U, np.ones(V.shape[0], dtype=np.float32),
                                                     context_features, rho, lam, f"{epoch}-contexts")
        self._observed = observed
        objective = self.objective()
        self._objective = objective
        report(2 * nnz, objective, nnz)
        return objective, nnz

    def _checkpoint(self, work: Path, state: dict, move: bool = False) -> None:
        if getattr(self, "_distributed", None) is not None:    # the residuals live in the tasks' pieces
            self._distributed.write_residuals(self._weights["residuals"])
        super()._checkpoint(work, state, move)

    def objective(self) -> float:
        """The PU-learning objective at the current weights (observed terms, the Gram-matrix
        form of the unobserved ones, regularisation). On a cluster, the observed terms are
        those the last half-iteration's tasks summed."""
        k = self.dim
        U = np.asarray(self._weights["factors"], dtype=np.float64)
        V = np.asarray(self._weights["context_factors"], dtype=np.float64)
        if self.client is not None:
            observed = self._observed
        else:
            observed = observed_terms(self._indptr, self._A, self._C, np.asarray(self._weights["residuals"]),
                                      float(self.rho))
        everything = float(np.sum((U.T @ U) * (V.T @ V)))       # sum over all pairs of p^2
        reg = float((U[:, :k + 1] ** 2).sum() + (V[:, :k] ** 2).sum() + (V[:, k + 1] ** 2).sum())
        return observed + self.rho * everything + self.lam * reg

    def _epoch_extra(self) -> dict:
        extra = {"objective": self._objective}
        if self._distributed is not None:      # the client's share of the epoch on a cluster
            extra["distributed_seconds"] = self._distributed.take_seconds()
        return extra

    def _current_vectors(self) -> np.ndarray:
        k = self.dim
        W = np.asarray(self._weights["factors"][:, :k])
        H = np.asarray(self._weights["context_factors"][:, :k])
        return {"sum": lambda: W + H, "word": lambda: W.copy(), "concat": lambda: np.hstack([W, H])}[self.output]()

    # -- the store ------------------------------------------------------------------------------------
    def _write_output(self, work: Path) -> None:
        if self._distributed is not None:
            self._distributed.close()           # the cluster's shared files are not part of the store
            self._distributed = None
        k = self.dim
        U = np.load(work / "factors.npy", mmap_mode="r")
        V = np.load(work / "context_factors.npy", mmap_mode="r")
        save_npy(work / "word_vectors.npy", np.ascontiguousarray(U[:, :k]))
        save_npy(work / "context_vectors.npy", np.ascontiguousarray(V[:, :k]))
        save_npy(work / "bias.npy", np.ascontiguousarray(U[:, k]))
        save_npy(work / "context_bias.npy", np.ascontiguousarray(V[:, k + 1]))
        if self.output == "word":
            vectors = U[:, :k]
        elif self.output == "sum":
            vectors = U[:, :k] + V[:, :k]
        else:
            vectors = np.hstack([U[:, :k], V[:, :k]])
        save_npy(work / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
        del U, V
        (work / "factors.npy").unlink()
        (work / "context_factors.npy").unlink()
        (work / "residuals.npy").unlink()
