"""Skip-gram and CBOW with negative sampling (Mikolov et al. 2013), on Numba kernels.

Faithful to word2vec.c, with gensim's defaults (the parameters, with their defaults and
meaning, are in the :class:`Word2Vec` docstring, generated from their declarations):
each centre draws its radius in 1..window; a token is kept with P = sqrt(t/f) + t/f
(t = ``sample``); noise words follow count ** ns_exponent; alpha starts at 0.025 for
skip-gram and at 0.05 for CBOW, as in word2vec.c (gensim starts both at 0.025, where
CBOW scores some 5 analogy points lower: ``evals/study_cbow_schedule.py``), and decays
linearly to ``min_alpha`` with the position in the corpus, across epochs.

Input vectors start uniform in +-0.5/dim and output vectors at zero (word2vec.c).
Subsampled tokens are removed before windows are formed.

Kernels: ``kernel="batched"`` (the default, :mod:`~wordlab.trainers._word2vec_batched`)
keeps word2vec.c's update and shares noise words between examples, so that most output
rows an example scores are already in the cache: 2.2x (skip-gram) and 1.55x (CBOW) the
words/s of ``kernel="exact"``, word2vec.c's kernel
(:mod:`~wordlab.trainers._word2vec_kernels`), at the same quality over 3 seeds
(``evals/README.md``). ``kernel="exact"`` is the reference and the teaching version.

The loss per epoch (``loss_history``) is a running mean, each example scored just
before its own update and after its neighbours' updates; at a high learning rate those
lower it, and as the rate decays they lower it less, so skip-gram's reported loss can
rise in the last epochs while its objective on a fixed sample keeps falling
(``evals/study_running_loss.py``).

Parallelism (shared with the other streaming trainers, :mod:`wordlab.trainers.stream`):
the token array is cut into chunks of whole sentences (about 100k tokens) and the
threads take them in turn, moving through the corpus side by side as gensim's workers
do (Hogwild: all share the matrices without locks; word2vec.c gives each thread one
contiguous range instead). Each thread has its own random state, derived from (seed,
epoch, thread). With ``workers=1`` a run is deterministic: same seed, bit-identical
vectors. With more workers the result varies from run to run only through the races
of Hogwild updates.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..corpus import EncodedCorpus
from ..errors import ParameterError
from . import parameters as P
from ._sampling import alias_table, keep_thresholds, noise_distribution
from ._word2vec_batched import CBOW_NOISE_SHARE, SGNS_NOISE_SHARE, train_cbow_batched, train_sgns_batched
from ._word2vec_kernels import sigmoid_tables, train_sentences
from .base import Callback
from .stream import StreamTrainer

_INIT_BLOCK_ROWS = 4096
KERNELS = ("batched", "exact")


def uniform_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """``n`` rows of word2vec.c's initial input vectors: uniform in [-0.5/dim, 0.5/dim)."""
    block = rng.random((n, dim), dtype=np.float32)
    block -= np.float32(0.5)
    block /= np.float32(dim)
    return block
METHODS = ("sgns", "cbow")


class Word2Vec(StreamTrainer):
    """word2vec with negative sampling: ``method="sgns"`` (skip-gram) or ``"cbow"``.

    Parameters
    ----------
    client : dask.distributed.Client or None, default None
        With ``averaging_rounds``: train on this Dask cluster by periodic parameter
        averaging (:mod:`wordlab.trainers._word2vec_distributed`), which costs accuracy
        against one machine (``evals/README.md``). Without it, training stays on this
        machine (``wordlab train --dask`` still encodes on the cluster). Not a
        hyperparameter: ``get_params`` leaves it out.

    Examples
    --------
    >>> emb = Word2Vec(method="sgns", dim=50, epochs=1).fit(wordlab.Corpus.default())  # doctest: +SKIP
    >>> emb.most_similar("king")                                                         # doctest: +SKIP
    """

    output_weight = "vectors"
    loss_unit = "log-loss per example"
    parameters = {
        "method": P.Param(P.Options(METHODS), "sgns (skip-gram) or cbow.", cli=False),
        "window": P.WINDOW, "negative": P.NEGATIVE, "sample": P.SAMPLE, "ns_exponent": P.NS_EXPONENT,
        "alpha": P.Param(P.Real(0, 1, closed="right", optional=True), "Initial learning rate.",
                         auto="0.025 (cbow: 0.05, as word2vec.c)"),
        "min_alpha": P.MIN_ALPHA,
        "cbow_mean": P.Param(P.Boolean(), "CBOW's hidden layer: the mean of the context vectors (else their sum)."),
        "kernel": P.Param(P.Options(KERNELS), "batched (noise words shared: by the pairs of a skip-gram window, by "
                          "CBOW centres 2 * window + 1 apart, 8 to a draw; word2vec.c's update otherwise) or "
                          "exact (word2vec.c: fresh noise words for every example)."),
        "averaging_rounds": P.Param(P.Integer(1, 100_000, optional=True),
                                    "With a Dask cluster (--dask): train by parameter averaging, this many rounds "
                                    "per epoch (costs accuracy; see the README).", auto="off"),
    }

    def __init__(self, *, method: str = "sgns", dim: int = 100, window: int = 5, negative: int = 5,
                 sample: float = 1e-3, ns_exponent: float = 0.75, alpha: float | None = None,
                 min_alpha: float = 0.0001, cbow_mean: bool = True, kernel: str = "batched", epochs: int = 5,
                 min_count: int = 5, max_size: int | None = None, workers: int | None = None, seed: int = 1,
                 progress: bool | None = None, callbacks: Sequence[Callback] = (), averaging_rounds: int | None = None,
                 client=None):
        super().__init__(dim=dim, epochs=epochs, min_count=min_count, max_size=max_size, workers=workers,
                         seed=seed, progress=progress, callbacks=callbacks)
        self.averaging_rounds = averaging_rounds
        self.client = client
        self.method = method
        self.window = window
        self.negative = negative
        self.sample = sample
        self.ns_exponent = ns_exponent
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.cbow_mean = cbow_mean
        self.kernel = kernel

    #: word2vec.c's starting learning rates (``alpha=None``)
    DEFAULT_ALPHA = {"sgns": 0.025, "cbow": 0.05}

    @property
    def alpha(self) -> float | None:
        """The starting learning rate: as given, or word2vec.c's for the method."""
        return self.DEFAULT_ALPHA.get(self.method) if self._alpha is None else self._alpha

    @alpha.setter
    def alpha(self, value: float | None) -> None:
        self._alpha = value

    # -- weights ------------------------------------------------------------------------------
    def _weight_specs(self, n_words: int):
        dim = self.dim

        def uniform(arr: np.ndarray, rng: np.random.Generator) -> None:
            # Small blocks: initialisation must not set the run's peak memory.
            for a in range(0, arr.shape[0], _INIT_BLOCK_ROWS):
                block = uniform_rows(rng, min(_INIT_BLOCK_ROWS, arr.shape[0] - a), dim)
                arr[a:a + block.shape[0]] = block

        def zeros(arr: np.ndarray, rng: np.random.Generator) -> None:
            arr[:] = 0.0

        return {"vectors": ((n_words, dim), uniform), "context_vectors": ((n_words, dim), zeros)}

    def _prepare(self, encoded: EncodedCorpus) -> None:
        if self.averaging_rounds is not None and self.client is None:
            raise ParameterError("averaging_rounds trains on a Dask cluster: pass client= (--dask SPEC) too")
        counts = encoded.vocab.counts
        self._keep = keep_thresholds(counts, self.sample)
        self._accept, self._alias = alias_table(noise_distribution(counts, self.ns_exponent))
        self._sig, self._nlog = sigmoid_tables()
        self._prepare_stream(encoded)
        self._averaging = None      # the cluster's side of parameter averaging (made in the first epoch)

    def _train_epoch(self, epoch: int, report) -> tuple[float, int]:
        if self.averaging_rounds is None or self.client is None:
            return super()._train_epoch(epoch, report)
        if self._averaging is None:
            from ..distributed import DaskExecutor
            from ._word2vec_distributed import ParameterAveraging
            tables = {"keep": self._keep, "accept": self._accept, "alias": self._alias, "locks": self._locks}
            self._averaging = ParameterAveraging(DaskExecutor(self.client), self._work / "dask", tables)
        return self._averaging.epoch(self, epoch, int(self.averaging_rounds), report)

    def _epoch_extra(self) -> dict:
        extra = super()._epoch_extra()
        if getattr(self, "_averaging", None) is not None:
            extra["averaging"] = {"rounds": int(self.averaging_rounds), "tasks": self._averaging.slices,
                                  "seconds": self._averaging.take_seconds()}
        return extra

    def _write_output(self, work) -> None:
        if getattr(self, "_averaging", None) is not None:
            self._averaging.close()          # the rounds' files are not part of the store
            self._averaging = None
        super()._write_output(work)

    def _kernel(self, tokens: np.ndarray, local_offsets: np.ndarray, n_sentences: int, alpha_start: float,
                alpha_end: float, state) -> tuple[float, int, np.uint64]:
        return self._word2vec_kernel(tokens, local_offsets, n_sentences, np.asarray(self._weights["vectors"]),
                                     np.asarray(self._weights["context_vectors"]), alpha_start, alpha_end, state)

    def _word2vec_kernel(self, tokens, offsets, n_sentences, syn0, syn1, alpha_start, alpha_end, state):
        """The kernel of ``method`` and ``kernel``, called on sentences ``0..n_sentences-1``."""
        head = (tokens, offsets, 0, n_sentences, syn0, syn1, self._locks, self._keep, self._accept, self._alias,
                int(self.window), int(self.negative))
        tail = (np.float32(alpha_start), np.float32(alpha_end), np.uint64(state), not self._freeze_context,
                self._sig, self._nlog)
        if self.kernel == "batched":
            if self.method == "sgns":
                return train_sgns_batched(*head, SGNS_NOISE_SHARE, *tail)
            return train_cbow_batched(*head, bool(self.cbow_mean), CBOW_NOISE_SHARE, *tail)
        return train_sentences(*head, self.method == "cbow", bool(self.cbow_mean), *tail)

    def _load_kernels(self) -> None:
        # No sentences, the real argument types: loads the compiled kernel (or compiles it).
        row = np.zeros((1, self.dim), dtype=np.float32)
        self._word2vec_kernel(np.zeros(0, np.int32), np.zeros(1, np.int64), 0, row, row.copy(), self.alpha,
                              self.alpha, 1)
