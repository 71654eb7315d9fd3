"""CMOW and the hybrid CBOW-CMOW: matrix embeddings (Mai, Galke and Scherp, ICLR 2019).

"CBOW Is Not All You Need": CBOW's sum cannot see word order (the sum of XYZ equals
that of ZYX). CMOW gives every word a k x k matrix and encodes a sequence as the
ordered product of its words' matrices; the hybrid concatenates a CBOW encoder (a sum
of vectors) and a CMOW encoder, trained together on one score. ``encoder="cbow"`` is
the sum alone trained with the same objective: the baseline. The kernels are in
:mod:`wordlab.trainers._cmow_kernels`; the parameters, their defaults and meaning are in
the :class:`CMOW` docstring (generated from their declarations).

Training: windows of 2 * window + 1 words, one removed as the target (a random one, the
paper's mode, or the centre); the target is scored against the encoded rest with
``negative`` noise words, their loss averaged (the paper: K = 20). The paper trained
with Adam on mini-batches. Plain SGD, as in the word2vec trainers, hardly moves the
matrices (with output vectors starting at zero their gradients stay tiny, and a rate
large enough to move them diverges), so the default is Adam, applied per example and
lazily per row (each row keeps its m, v and step count in memory-mapped arrays), in
Hogwild threads over contiguous sentence ranges (:mod:`wordlab.trainers.stream`). Order
is learned only as far as the matrices move away from their initialisation (identity
plus noise, the paper's), and per-example Adam moves them by about the rate per step:
hence a default rate of 3e-3, between one that leaves them in place and one that
collapses training. CBOW vectors start uniform in +-0.5/d, output vectors at zero.

The hybrid's score is the sum of its halves' scores, z = z_cbow + z_cmow. With the
default ``hybrid_objective="residual"`` the CMOW half (its matrices and its part of the
output vectors) learns from the loss of z_cmow alone, exactly as CMOW alone would (tested
bit for bit), and the CBOW half from the loss of z with z_cmow as a given offset, so the
sum learns what the product leaves over. The paper's objective, ``"joint"``, trains both
halves from the loss of z; trained that way the CBOW sum learns faster and carries the
objective alone, so the joint objective first trains the CMOW half alone for
``cmow_warmup_epochs`` (Adam's state starts afresh with the joint phase).

Subsampling is off by default: with word2vec's 1e-3 the windows are formed after
frequent words are dropped, so a window's order is not the sentence's, and dropping
"the" and "of" breaks the very bigrams whose order CMOW should learn.

The measurements behind each of these choices (learning rates, objectives, warm-up,
subsampling, and the probing scores against the paper's) are in ``evals/README.md``
under ``bench_cmow.py``.

The store's ``vectors.npy`` holds, per word, ``[CBOW vector ; flattened CMOW matrix]``
(either part absent for the pure encoders) and ``meta.json`` says how to read it
(``"encoder": {"type", "cbow_dim", "cmow_k"}``); :meth:`Embeddings.encode` encodes
sentences with it. ``context_vectors.npy`` holds the output vectors.
"""
from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ..corpus import EncodedCorpus
from ..errors import WordlabError
from ..npyio import replacing_npy
from . import parameters as P
from ..store import Embeddings
from ._cmow_kernels import train_windows
from ._sampling import alias_table, keep_thresholds, noise_distribution
from .base import Callback
from .stream import StreamTrainer

ENCODERS = ("cmow", "hybrid", "cbow")
TARGETS = ("random", "centre")
INITS = ("identity", "glorot")
OPTIMIZERS = ("adam", "sgd")
HYBRID_OBJECTIVES = ("residual", "joint")
_METHOD_NAMES = {"cmow": "cmow", "hybrid": "hybrid", "cbow": "cmow-cbow"}


class CMOW(StreamTrainer):
    """CMOW, hybrid CBOW-CMOW, or the CBOW baseline with the same objective; see the module docstring."""
    loss_unit = "log-loss per example (noise averaged)"

    parameters = {
        "encoder": P.Param(P.Options(ENCODERS), "cmow, hybrid ([CBOW ; CMOW]) or cbow (the baseline).", cli=False),
        "window": P.WINDOW, "negative": P.NEGATIVE, "alpha": P.ALPHA, "min_alpha": P.MIN_ALPHA,
        "sample": P.SAMPLE, "ns_exponent": P.NS_EXPONENT,
        "cbow_dim": P.Param(P.Integer(1, 100_000), "The hybrid's CBOW part."),
        "target": P.Param(P.Options(TARGETS), "The word removed from each window: a random one, or the centre."),
        "optimizer": P.Param(P.Options(OPTIMIZERS), "Per-row lazy Adam (the paper's), or plain SGD."),
        "init": P.Param(P.Options(INITS), "CMOW matrices start at identity + noise (the paper's), or Glorot."),
        "init_noise": P.Param(P.Real(0, 100), "Standard deviation of the noise added to the identity."),
        "hybrid_objective": P.Param(P.Options(HYBRID_OBJECTIVES),
                                    "The CMOW half learns from its own score and the CBOW half from the whole "
                                    "(residual), or both from the whole (joint, the paper's)."),
        "cmow_warmup_epochs": P.Param(P.Integer(0, optional=True),
                                      "First epochs that train the hybrid's CMOW half alone.",
                                      auto="joint: epochs // 2, residual: 0"),
    }

    def __init__(self, *, encoder: str = "cmow", dim: int = 400, cbow_dim: int = 400, window: int = 5,
                 target: str = "random", negative: int = 20, alpha: float = 0.003, min_alpha: float | None = None,
                 sample: float = 0.0, ns_exponent: float = 0.75, optimizer: str = "adam",
                 init: str = "identity", init_noise: float = 0.1, hybrid_objective: str = "residual",
                 cmow_warmup_epochs: int | None = None,
                 epochs: int = 1, min_count: int = 5, max_size: int | None = None, workers: int | None = None,
                 seed: int = 1, progress: bool | None = None, callbacks: Sequence[Callback] = ()):
        super().__init__(dim=dim, epochs=epochs, min_count=min_count, max_size=max_size, workers=workers,
                         seed=seed, progress=progress, callbacks=callbacks)
        self.encoder = encoder
        self.cbow_dim = cbow_dim
        self.window = window
        self.target = target
        self.negative = negative
        self.alpha = alpha
        self.min_alpha = alpha / 10 if min_alpha is None and isinstance(alpha, (int, float)) else min_alpha
        self.sample = sample
        self.ns_exponent = ns_exponent
        self.optimizer = optimizer
        self.init = init
        self.init_noise = init_noise
        self.hybrid_objective = hybrid_objective
        self.cmow_warmup_epochs = cmow_warmup_epochs

    @property
    def method(self) -> str:                  # type: ignore[override]
        return _METHOD_NAMES.get(self.encoder, str(self.encoder))

    # -- shapes -------------------------------------------------------------------------------
    @property
    def k(self) -> int:
        """Side of the CMOW matrices (0 without a CMOW part)."""
        return int(math.isqrt(int(self.dim))) if self.encoder in ("cmow", "hybrid") else 0

    @property
    def cbow_width(self) -> int:
        return {"cmow": 0, "hybrid": int(self.cbow_dim), "cbow": int(self.dim)}[self.encoder]

    @property
    def output_dim(self) -> int:
        return self.cbow_width + self.k * self.k

    @property
    def warmup_epochs(self) -> int:
        """Epochs that train the hybrid's CMOW half alone (``cmow_warmup_epochs`` resolved)."""
        if self.encoder != "hybrid":
            return 0
        if self.cmow_warmup_epochs is None:
            return int(self.epochs) // 2 if self.hybrid_objective == "joint" else 0
        return int(self.cmow_warmup_epochs)

    def _validate(self) -> None:
        super()._validate()
        if self.encoder in ("cmow", "hybrid") and math.isqrt(int(self.dim)) ** 2 != int(self.dim):
            r = math.isqrt(int(self.dim))
            raise WordlabError(f"a CMOW dim must be a perfect square k * k (the matrices are k x k), not "
                               f"{self.dim}; e.g. {r * r} or {(r + 1) ** 2}")
        w = self.cmow_warmup_epochs
        if w is not None:
            if w and self.encoder != "hybrid":
                raise WordlabError(f"cmow_warmup_epochs applies to the hybrid encoder only, not {self.encoder!r}")
            if w and w >= self.epochs:
                raise WordlabError(f"cmow_warmup_epochs={w} leaves no epoch for the joint training of the hybrid: "
                                   f"it must be less than epochs={self.epochs}")

    # -- weights ------------------------------------------------------------------------------
    def _weight_specs(self, n_words: int):
        k, d = self.k, self.cbow_width
        specs = {}
        if d:
            def uniform(arr: np.ndarray, rng: np.random.Generator) -> None:
                for a in range(0, arr.shape[0], 4096):
                    block = rng.random((min(4096, arr.shape[0] - a), d), dtype=np.float32)
                    arr[a:a + block.shape[0]] = (block - np.float32(0.5)) / np.float32(d)
            specs["vectors"] = ((n_words, d), uniform)
        if k:
            def matrices(arr: np.ndarray, rng: np.random.Generator) -> None:
                eye = np.eye(k, dtype=np.float32).reshape(-1)
                for a in range(0, arr.shape[0], 4096):
                    n = min(4096, arr.shape[0] - a)
                    if self.init == "identity":
                        block = eye + rng.normal(0.0, self.init_noise, (n, k * k)).astype(np.float32)
                    else:
                        bound = math.sqrt(6.0 / (2 * k))
                        block = rng.uniform(-bound, bound, (n, k * k)).astype(np.float32)
                    arr[a:a + n] = block
            specs["matrices"] = ((n_words, k * k), matrices)

        def zeros(arr: np.ndarray, rng: np.random.Generator) -> None:
            arr[:] = 0.0
        specs["context_vectors"] = ((n_words, self.output_dim), zeros)
        if self.optimizer == "adam":       # per-row [m | v | step count]
            for name, width in (("vectors", d), ("matrices", k * k), ("context_vectors", self.output_dim)):
                if name in specs:
                    specs[f"{name}_adam"] = ((n_words, 2 * width + 1), zeros)
        return specs

    def _copy_init(self, source, name: str) -> None:
        """``init_vectors``: rows laid out as this trainer's store, ``[CBOW ; CMOW]``; for the
        hybrid also a CMOW store's matrices alone, or plain vectors (e.g. word2vec's) for
        its CBOW part alone. Whatever is not given keeps its initialisation."""
        if name != "vectors":
            return super()._copy_init(source, name)
        d, kk = self.cbow_width, self.k * self.k
        if isinstance(source, Embeddings):
            width, kind = source.dim, (source.meta.get("encoder") or {}).get("type")
        else:
            width, kind = np.shape(source)[-1], None
            if np.shape(source)[0] != len(self._vocab):
                raise WordlabError(f"initial vectors have {np.shape(source)[0]} rows, the vocabulary "
                                   f"{len(self._vocab)} words")
        if width == d + kk:
            parts = [("vectors", 0, d), ("matrices", d, d + kk)]
        elif self.encoder == "hybrid" and width == kk and kind == "cmow":
            parts = [("matrices", 0, kk)]
        elif self.encoder == "hybrid" and width == d and kind in (None, "cbow"):
            parts = [("vectors", 0, d)]
        else:
            accepted = f"{d + kk} ([CBOW {d} ; CMOW {kk}])" if d and kk else str(d + kk)
            if self.encoder == "hybrid":
                accepted += f", {kk} (a CMOW store) or {d} (plain vectors for the CBOW part)"
            raise WordlabError(f"initial vectors have dimension {width}"
                               f"{f' (a {kind} store)' if kind else ''}; the {self.encoder} trainer takes "
                               f"{accepted}")
        for weight, a, b in parts:
            if b > a:
                self._copy_rows(source, "vectors", self._weights[weight], slice(a, b))

    def _prepare(self, encoded: EncodedCorpus) -> None:
        counts = encoded.vocab.counts
        self._keep = keep_thresholds(counts, self.sample)
        self._accept, self._alias = alias_table(noise_distribution(counts, self.ns_exponent))
        self._prepare_stream(encoded)
        self._train_cbow = True
        if self.encoder == "hybrid" and self.hybrid_objective == "joint" and self.warmup_epochs == 0:
            warnings.warn("a hybrid trained with no CMOW warm-up epoch (epochs=1, or cmow_warmup_epochs=0) "
                          "leaves its CMOW half unused: the CBOW half learns faster and carries the objective. "
                          "Train for 2 or more epochs; see wordlab.trainers.cmow.", stacklevel=3)

    def _arrays(self, suffix: str = ""):
        """(X, E, O) weights, or with suffix "_adam" their optimiser state; (0, 0) when absent."""
        empty = np.zeros((0, 0), dtype=np.float32)
        w = self._weights
        return tuple(np.asarray(w[name + suffix]) if name + suffix in w else empty
                     for name in ("matrices", "vectors", "context_vectors"))

    # -- the hybrid's CMOW warm-up ---------------------------------------------------------------
    def _alpha_at(self, epoch: int, fraction: float) -> float:
        # Each phase (CMOW warm-up, both halves) decays from alpha to min_alpha over its own epochs.
        w = self.warmup_epochs
        first, length = (0, w) if epoch < w else (w, self.epochs - w)
        progress = (epoch - first + fraction) / length
        return self.alpha - (self.alpha - self.min_alpha) * progress

    def _train_epoch(self, epoch: int, report):
        self._train_cbow = epoch >= self.warmup_epochs
        if epoch == self.warmup_epochs > 0:
            # The both-halves phase starts Adam afresh: rows of the output vectors whose step
            # counts ran during the warm-up would otherwise take uncorrected first steps
            # for their CBOW part, where m and v are still zero.
            for name in ("matrices_adam", "vectors_adam", "context_vectors_adam"):
                if name in self._weights:
                    self._weights[name][:] = 0.0
        return super()._train_epoch(epoch, report)

    def _epoch_extra(self) -> dict:
        if self.encoder != "hybrid":
            return {}
        return {"phase": "both halves" if self._train_cbow else "cmow warm-up"}

    def _kernel(self, tokens, local_offsets, n_sentences, alpha_start, alpha_end, state):
        return self._run(tokens, local_offsets, n_sentences, *self._arrays(), self._locks, alpha_start, alpha_end,
                         state, *self._arrays("_adam"))

    def _run(self, tokens, offsets, n_sentences, X, E, O, locks, alpha_start, alpha_end, state, AX, AE, AO):
        return train_windows(tokens, offsets, 0, n_sentences, X, E, O, locks, self._keep, self._accept, self._alias,
                             max(self.k, 1), int(self.window), int(self.negative), self.target == "centre",
                             np.float32(alpha_start), np.float32(alpha_end), np.uint64(state),
                             not self._freeze_context, bool(self._train_cbow), self.hybrid_objective == "residual",
                             AX, AE, AO)

    def _load_kernels(self) -> None:
        self._train_cbow = True
        shapes = {name: (1,) + shape[1:] for name, (shape, _) in self._weight_specs(1).items()}
        w = {name: np.zeros(shape, np.float32) for name, shape in shapes.items()}
        empty = np.zeros((0, 0), np.float32)
        get = lambda name: w.get(name, empty)    # noqa: E731
        self._run(np.zeros(0, np.int32), np.zeros(1, np.int64), 0, get("matrices"), get("vectors"),
                  get("context_vectors"), np.ones(1, np.float32), self.alpha, self.alpha, 1,
                  get("matrices_adam"), get("vectors_adam"), get("context_vectors_adam"))

    # -- the store ------------------------------------------------------------------------------
    def _meta_extra(self) -> dict:
        return {"encoder": {"type": self.encoder, "cbow_dim": self.cbow_width, "cmow_k": self.k}}

    def _current_vectors(self) -> np.ndarray:
        X, E, _ = self._arrays()
        X, E = (X if self.k else None), (E if self.cbow_width else None)
        parts = [a for a in (E, X) if a is not None]
        return np.hstack(parts).astype(np.float32) if len(parts) > 1 else np.array(parts[0])

    def _write_output(self, work: Path) -> None:
        for name in ("matrices_adam", "vectors_adam", "context_vectors_adam"):
            (work / f"{name}.npy").unlink(missing_ok=True)
        if self.encoder == "cmow":
            os.replace(work / "matrices.npy", work / "vectors.npy")
            return
        if self.encoder == "cbow":
            return
        E = np.load(work / "vectors.npy", mmap_mode="r")
        X = np.load(work / "matrices.npy", mmap_mode="r")
        d = self.cbow_width
        with replacing_npy(work / "vectors.npy", np.float32, (E.shape[0], self.output_dim)) as out:
            for a in range(0, E.shape[0], 4096):
                out[a:a + 4096, :d] = E[a:a + 4096]
                out[a:a + 4096, d:] = X[a:a + 4096]
        del E, X
        (work / "matrices.npy").unlink()
