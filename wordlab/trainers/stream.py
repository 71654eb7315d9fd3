"""Trainers that stream the encoded corpus: word2vec, CMOW (orchestration shared).

The token array is cut into chunks of whole sentences, about 100k tokens each, and
thread t of ``workers`` trains chunks t, t + workers, t + 2 * workers, ... in order
(Hogwild: all share the weight matrices without locks), calling the subclass's Numba
kernel on each chunk read into a private buffer, so that progress can be shown and
the resident set does not grow with the corpus. Each thread carries its own random
state from chunk to chunk, derived from (seed, epoch, thread); a chunk's learning rate
decays linearly from ``alpha`` to ``min_alpha`` with its position in the corpus.

So the threads move through the corpus side by side, as gensim's job queue feeds its
workers consecutive jobs. word2vec.c instead gives each thread one contiguous range
(its threads train the first and the second half of the corpus at once); that order,
ours until 2026-12, cost the fastText skip-gram 0.012 of WS-353 Spearman at 2
workers, 0.037 on the first 2M tokens (`evals/README.md`, bench_fasttext.py). With one
worker both orders are the same: the chunks in corpus order, one random state,
bit-identical to the old one.

Subclasses set ``alpha``, ``min_alpha`` and implement
``_kernel(tokens, local_offsets, n_sentences, alpha_start, alpha_end, state)
-> (loss_sum, examples, state)``.
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from .._faults import fault_point
from .._threads import run_threads
from ..corpus import EncodedCorpus
from ..errors import ParameterError
from ._sampling import thread_seeds
from .base import Trainer

_SUBCHUNK_TOKENS = 100_000


class StreamTrainer(Trainer):
    """A trainer whose epoch is one pass of a Numba kernel over the token stream."""

    def _validate(self) -> None:
        super()._validate()
        if self.min_alpha is not None and not self.min_alpha <= self.alpha:
            raise ParameterError(f"min_alpha must be in [0, alpha={self.alpha}], not {self.min_alpha!r}")

    def _prepare_stream(self, encoded: EncodedCorpus) -> None:
        self._cuts = chunk_cuts(np.asarray(encoded.offsets), _SUBCHUNK_TOKENS)
        self._n_threads = max(1, min(self.n_workers, self._cuts.shape[0] - 1))
        self._stop = threading.Event()

    def _kernel(self, tokens: np.ndarray, local_offsets: np.ndarray, n_sentences: int, alpha_start: float,
                alpha_end: float, state) -> tuple[float, int, np.uint64]:
        raise NotImplementedError

    # -- one epoch ------------------------------------------------------------------------------
    def _alpha_at(self, epoch: int, fraction: float) -> float:
        progress = (epoch + fraction) / self.epochs
        return self.alpha - (self.alpha - self.min_alpha) * progress

    def _train_chunks(self, epoch: int, thread: int, state: np.uint64, status: np.ndarray, loss: np.ndarray) -> None:
        """Train chunks ``thread, thread + n_threads, ...`` of the epoch, in order."""
        enc = self._encoded
        offsets = np.asarray(enc.offsets)
        cuts = self._cuts
        total = max(int(offsets[-1]), 1)
        buffer = np.empty(0, dtype=np.int32)
        for c in range(thread, cuts.shape[0] - 1, self._n_threads):
            if self._stop.is_set():
                break
            s, e = int(cuts[c]), int(cuts[c + 1])
            # Tokens are read into a private buffer (not through the memory map) so the
            # resident set does not grow with the corpus.
            n = int(offsets[e] - offsets[s])
            if buffer.shape[0] < n:
                buffer = np.empty(n, dtype=np.int32)
            tokens = enc.read_tokens(offsets[s], offsets[e], buffer)
            local = offsets[s:e + 1] - offsets[s]
            a0 = self._alpha_at(epoch, offsets[s] / total)
            a1 = self._alpha_at(epoch, offsets[e] / total)
            l, n_examples, state = self._kernel(tokens, local, e - s, a0, a1, state)
            loss[thread] += l
            status[thread, 0] += n
            status[thread, 1] += n_examples
            fault_point("train.subchunk")

    def _train_epoch(self, epoch: int, report: Callable) -> tuple[float, int]:
        seeds = thread_seeds(self.seed, epoch, self._n_threads)
        status = np.zeros((self._n_threads, 2), dtype=np.int64)   # words, examples
        loss = np.zeros(self._n_threads, dtype=np.float64)

        def progress() -> None:
            words = int(status[:, 0].sum())
            report(words, float(loss.sum()), int(status[:, 1].sum()),
                   self._alpha_at(epoch, words / max(self._encoded.n_tokens, 1)))

        def task(t: int) -> None:
            self._train_chunks(epoch, t, seeds[t], status, loss)
        run_threads(task, self._n_threads, poll=progress, on_error=self._stop.set)
        words = int(status[:, 0].sum())
        report(words, float(loss.sum()), int(status[:, 1].sum()), self._alpha_at(epoch, 1.0))
        return float(loss.sum()), int(status[:, 1].sum())


def chunk_cuts(offsets: np.ndarray, tokens: int) -> np.ndarray:
    """Sentence indices (int64) that cut a corpus into chunks of about ``tokens`` tokens:
    chunk c is sentences ``cuts[c]..cuts[c + 1] - 1``. Whole sentences, at least one per
    chunk (a sentence longer than ``tokens`` is a chunk of its own); no chunk for an
    empty corpus (``[0]`` when it has no sentences)."""
    offsets = np.asarray(offsets, dtype=np.int64)
    n_sentences = offsets.shape[0] - 1
    cuts = [0]
    while cuts[-1] < n_sentences:
        s = cuts[-1]
        e = int(np.searchsorted(offsets, offsets[s] + tokens, side="right")) - 1
        cuts.append(min(max(e, s + 1), n_sentences))
    return np.asarray(cuts, dtype=np.int64)
