"""Trainers that stream the encoded corpus: word2vec, CMOW (orchestration shared).

The token array is cut into ``workers`` contiguous ranges of whole sentences; one
thread trains each range (Hogwild: all share the weight matrices without locks),
calling the subclass's Numba kernel on sub-chunks of about 100k tokens read into a
private buffer, so that progress can be shown and the resident set does not grow with
the corpus. Each thread has its own random state, derived from (seed, epoch, thread),
and a learning rate that decays linearly from ``alpha`` to ``min_alpha`` with its own
progress through its range (as word2vec.c's threads do).

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
        self._ranges = _thread_ranges(np.asarray(encoded.offsets), self.n_workers)
        self._stop = threading.Event()

    def _kernel(self, tokens: np.ndarray, local_offsets: np.ndarray, n_sentences: int, alpha_start: float,
                alpha_end: float, state) -> tuple[float, int, np.uint64]:
        raise NotImplementedError

    # -- one epoch ------------------------------------------------------------------------------
    def _alpha_at(self, epoch: int, fraction: float) -> float:
        progress = (epoch + fraction) / self.epochs
        return self.alpha - (self.alpha - self.min_alpha) * progress

    def _train_range(self, epoch: int, thread: int, first: int, last: int, state: np.uint64,
                     status: np.ndarray, loss: np.ndarray) -> None:
        enc = self._encoded
        offsets = np.asarray(enc.offsets)
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
            l, n_examples, state = self._kernel(tokens, local, e - s, a0, a1, state)
            loss[thread] += l
            status[thread, 0] += n
            status[thread, 1] += n_examples
            s = e
            fault_point("train.subchunk")

    def _train_epoch(self, epoch: int, report: Callable) -> tuple[float, int]:
        seeds = thread_seeds(self.seed, epoch, len(self._ranges))
        status = np.zeros((len(self._ranges), 2), dtype=np.int64)   # words, examples
        loss = np.zeros(len(self._ranges), dtype=np.float64)

        def progress() -> None:
            words = int(status[:, 0].sum())
            report(words, float(loss.sum()), int(status[:, 1].sum()),
                   self._alpha_at(epoch, words / max(self._encoded.n_tokens, 1)))

        def task(t: int) -> None:
            first, last = self._ranges[t]
            self._train_range(epoch, t, first, last, seeds[t], status, loss)
        run_threads(task, len(self._ranges), poll=progress, on_error=self._stop.set)
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
