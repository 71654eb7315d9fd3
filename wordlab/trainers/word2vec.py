"""Skip-gram and CBOW with negative sampling (Mikolov et al. 2013), on Numba kernels.

Faithful to word2vec.c, with gensim's defaults:

=================  =========  ==========================================================
parameter          default    meaning
=================  =========  ==========================================================
dim                100        vector size
window             5          maximum radius; each centre draws its radius in 1..window
negative           5          noise words per positive example
sample             1e-3       subsampling t: a token is kept with P = sqrt(t/f) + t/f
ns_exponent        0.75       noise distribution ~ count ** ns_exponent
alpha              0.025      initial learning rate (gensim's default for both methods;
                              word2vec.c starts CBOW at 0.05)
min_alpha          0.0001     final learning rate; decays linearly with global progress
cbow_mean          True       CBOW hidden layer: mean of context vectors (else the sum)
epochs             5
min_count          5
=================  =========  ==========================================================

Input vectors start uniform in +-0.5/dim and output vectors at zero (word2vec.c).
Subsampled tokens are removed before windows are formed.

Parallelism: the token array is cut into ``workers`` contiguous ranges of whole
sentences; one thread trains each range (Hogwild: all share the matrices without
locks), calling the kernel on sub-chunks of about 100k tokens so that progress can
be shown. Each thread has its own random state, derived from (seed, epoch, thread).
With ``workers=1`` a run is deterministic: same seed, bit-identical vectors. With
more workers the result varies from run to run only through the races of Hogwild
updates (and, like word2vec.c, the learning rate of each thread follows its own
progress through its range).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait, FIRST_EXCEPTION
from typing import Callable, Sequence

import numpy as np

from ..corpus import EncodedCorpus
from ..errors import WordlabError
from ._sampling import alias_table, keep_thresholds, noise_distribution, thread_seeds
from ._word2vec_kernels import sigmoid_tables, train_sentences
from .base import Callback, Trainer

_SUBCHUNK_TOKENS = 100_000
_INIT_BLOCK_ROWS = 4096
METHODS = ("sgns", "cbow")


class Word2Vec(Trainer):
    """word2vec with negative sampling: ``method="sgns"`` (skip-gram) or ``"cbow"``.

    See the module docstring for parameters and defaults.

    Examples
    --------
    >>> emb = Word2Vec(method="sgns", dim=50, epochs=1).fit(wordlab.Corpus.default())  # doctest: +SKIP
    >>> emb.most_similar("king")                                                         # doctest: +SKIP
    """

    output_weight = "vectors"

    def __init__(self, *, method: str = "sgns", dim: int = 100, window: int = 5, negative: int = 5,
                 sample: float = 1e-3, ns_exponent: float = 0.75, alpha: float = 0.025,
                 min_alpha: float = 0.0001, cbow_mean: bool = True, epochs: int = 5, min_count: int = 5,
                 max_size: int | None = None, workers: int | None = None, seed: int = 1,
                 progress: bool | None = None, callbacks: Sequence[Callback] = ()):
        super().__init__(dim=dim, epochs=epochs, min_count=min_count, max_size=max_size, workers=workers,
                         seed=seed, progress=progress, callbacks=callbacks)
        self.method = method
        self.window = window
        self.negative = negative
        self.sample = sample
        self.ns_exponent = ns_exponent
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.cbow_mean = cbow_mean

    def _validate(self) -> None:
        super()._validate()
        if self.method not in METHODS:
            raise WordlabError(f"method must be one of {METHODS}, not {self.method!r}")
        if not isinstance(self.window, (int, np.integer)) or self.window < 1:
            raise WordlabError(f"window must be a positive integer, not {self.window!r}")
        if self.negative < 1:
            raise WordlabError(f"negative must be at least 1 (hierarchical softmax is not implemented), "
                               f"not {self.negative!r}")
        if self.sample < 0:
            raise WordlabError(f"sample must be >= 0, not {self.sample!r}")
        if not 0 < self.alpha:
            raise WordlabError(f"alpha must be positive, not {self.alpha!r}")
        if not 0 <= self.min_alpha <= self.alpha:
            raise WordlabError(f"min_alpha must be in [0, alpha], not {self.min_alpha!r}")

    # -- weights ------------------------------------------------------------------------------
    def _weight_specs(self, n_words: int):
        dim = self.dim

        def uniform(arr: np.ndarray, rng: np.random.Generator) -> None:
            # Small blocks: initialisation must not set the run's peak memory.
            for a in range(0, arr.shape[0], _INIT_BLOCK_ROWS):
                block = rng.random((min(_INIT_BLOCK_ROWS, arr.shape[0] - a), dim), dtype=np.float32)
                block -= np.float32(0.5)
                block /= np.float32(dim)
                arr[a:a + block.shape[0]] = block

        def zeros(arr: np.ndarray, rng: np.random.Generator) -> None:
            arr[:] = 0.0

        return {"vectors": ((n_words, dim), uniform), "context_vectors": ((n_words, dim), zeros)}

    def _prepare(self, encoded: EncodedCorpus) -> None:
        counts = encoded.vocab.counts
        self._keep = keep_thresholds(counts, self.sample)
        self._accept, self._alias = alias_table(noise_distribution(counts, self.ns_exponent))
        self._sig, self._nlog = sigmoid_tables()
        self._ranges = _thread_ranges(np.asarray(encoded.offsets), self.n_workers)
        self._stop = threading.Event()

    def _kernel(self, tokens: np.ndarray, local_offsets: np.ndarray, n_sentences: int, syn0: np.ndarray,
                syn1: np.ndarray, locks: np.ndarray, alpha_start: float, alpha_end: float,
                state) -> tuple[float, int, np.uint64]:
        return train_sentences(
            tokens, local_offsets, 0, n_sentences, syn0, syn1, locks, self._keep, self._accept, self._alias,
            int(self.window), int(self.negative), self.method == "cbow", bool(self.cbow_mean),
            np.float32(alpha_start), np.float32(alpha_end), np.uint64(state), not self._freeze_context,
            self._sig, self._nlog)

    def _load_kernels(self) -> None:
        # No sentences, the real argument types: loads the compiled kernel (or compiles it).
        row = np.zeros((1, self.dim), dtype=np.float32)
        self._kernel(np.zeros(0, np.int32), np.zeros(1, np.int64), 0, row, row.copy(),
                     np.ones(1, np.float32), self.alpha, self.alpha, 1)

    # -- one epoch ------------------------------------------------------------------------------
    def _alpha_at(self, epoch: int, fraction: float) -> float:
        progress = (epoch + fraction) / self.epochs
        return self.alpha - (self.alpha - self.min_alpha) * progress

    def _train_range(self, epoch: int, thread: int, first: int, last: int, state: np.uint64,
                     status: np.ndarray, loss: np.ndarray) -> None:
        enc = self._encoded
        offsets = np.asarray(enc.offsets)
        syn0 = np.asarray(self._weights["vectors"])
        syn1 = np.asarray(self._weights["context_vectors"])
        base = offsets[first]
        span = max(int(offsets[last] - base), 1)
        buffer = np.empty(0, dtype=np.int32)
        s = first
        while s < last and not self._stop.is_set():
            e = int(np.searchsorted(offsets, offsets[s] + _SUBCHUNK_TOKENS, side="right")) - 1
            e = min(max(e, s + 1), last)
            # Tokens are read into a private buffer (not through the memory map) so the
            # resident set does not grow with the corpus.
            n = int(offsets[e] - offsets[s])
            if buffer.shape[0] < n:
                buffer = np.empty(n, dtype=np.int32)
            tokens = enc.read_tokens(offsets[s], offsets[e], buffer)
            local = offsets[s:e + 1] - offsets[s]
            a0 = self._alpha_at(epoch, (offsets[s] - base) / span)
            a1 = self._alpha_at(epoch, (offsets[e] - base) / span)
            l, n_examples, state = self._kernel(tokens, local, e - s, syn0, syn1, self._locks, a0, a1, state)
            loss[thread] += l
            status[thread, 0] += n
            status[thread, 1] += n_examples
            s = e

    def _train_epoch(self, epoch: int, report: Callable) -> tuple[float, int]:
        seeds = thread_seeds(self.seed, epoch, len(self._ranges))
        status = np.zeros((len(self._ranges), 2), dtype=np.int64)   # words, examples
        loss = np.zeros(len(self._ranges), dtype=np.float64)
        if len(self._ranges) == 1:
            first, last = self._ranges[0]
            self._train_range(epoch, 0, first, last, seeds[0], status, loss)
        else:
            with ThreadPoolExecutor(max_workers=len(self._ranges), thread_name_prefix="wordlab") as pool:
                futures = [pool.submit(self._train_range, epoch, t, first, last, seeds[t], status, loss)
                           for t, (first, last) in enumerate(self._ranges)]
                try:
                    while True:
                        done, pending = wait(futures, timeout=0.5, return_when=FIRST_EXCEPTION)
                        words = int(status[:, 0].sum())
                        report(words, float(loss.sum()), int(status[:, 1].sum()),
                               self._alpha_at(epoch, words / max(self._encoded.n_tokens, 1)))
                        if not pending or any(f.exception() for f in done):
                            break
                except BaseException:
                    self._stop.set()
                    raise
                for f in futures:
                    f.result()
        words = int(status[:, 0].sum())
        report(words, float(loss.sum()), int(status[:, 1].sum()), self._alpha_at(epoch, 1.0))
        return float(loss.sum()), int(status[:, 1].sum())


def _thread_ranges(offsets: np.ndarray, workers: int) -> list[tuple[int, int]]:
    """Split sentences into ``workers`` contiguous ranges of about equal token counts."""
    n_sentences = offsets.shape[0] - 1
    total = int(offsets[-1])
    cuts = [0]
    for k in range(1, workers):
        cuts.append(int(np.searchsorted(offsets, total * k / workers, side="left")))
    cuts.append(n_sentences)
    cuts = sorted(set(min(max(c, 0), n_sentences) for c in cuts))
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a] or [(0, n_sentences)]
