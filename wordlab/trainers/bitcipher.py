"""Bit-cipher: word vectors from co-occurrence statistics, no backpropagation
(Zhao and Williams 2023).

Step 1, the cipher (:func:`bit_cipher`). Words are ranked by frequency (the
vocabulary's order). With ``bits`` = b, the b most frequent words get the b one-hot
vectors; the next words get vectors with two active bits, then three, and so on. Each
level is built from the previous one: every vector of level k, in order, is extended by
one more bit at each position after its last active bit. Level k therefore lists the
b-choose-k patterns in lexicographic order, and consecutive words, which have similar
frequencies, share their leading bits (e.g. b = 4: 1000, 0100, 0010, 0001, 1100, 1010,
1001, 0110, ...). Every non-zero pattern is used once, so the capacity is 2^b - 1: b must
be at least floor(log2 |V|) + 1. Each cipher vector is L1-normalised (an active bit of a
k-bit word holds 1/k).

Step 2, the embedding. For each word, the cipher vectors of the words within
``window`` positions of its occurrences (in the same sentence) are added up:
``mode="sum"`` gives b dimensions; ``mode="concat"`` keeps one b-dimensional block per
relative position (-window..-1, +1..+window), b * 2 * window dimensions. Each block is
smoothed by adding ``smoothing`` to every coordinate, normalised to a distribution, and
its negative logarithm is the vector: v = -log((s + eps) / sum(s + eps)).

Where the paper leaves choices open, this implementation takes: the lexicographic
extension order within a level (above); plain, unweighted sums over the window; the
additive smoothing constant eps = 0.1 (a tenth of one context observation) applied
before normalising; blocks normalised separately in concatenation mode. There is a
single pass over the corpus and nothing is random (so it takes no ``epochs`` and no ``seed``).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .._threads import run_threads
from ..cooccur import _kernels as cooccur_kernels
from ..corpus import EncodedCorpus
from ..errors import ParameterError, WordlabError
from ..npyio import create_npy
from ..params import validate
from . import parameters as P
from ._bitcipher_kernels import aggregate_rows
from .base import Callback, Trainer

MODES = ("sum", "concat")


def required_bits(n_words: int) -> int:
    """The fewest bits whose cipher holds ``n_words`` words: floor(log2 n) + 1."""
    return int(math.floor(math.log2(max(n_words, 1)))) + 1


def bit_cipher(n_words: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The cipher of the ``n_words`` most frequent words (see module docstring).

    Returns
    -------
    bit_index : int32 (n_words, max_active), the active bits of each word, -1 padded
    bit_value : float32 (n_words,), 1 / (number of active bits)
    """
    if bits < 1:
        raise WordlabError(f"bits must be at least 1, not {bits!r}")
    if n_words > 2 ** bits - 1:
        raise WordlabError(f"{bits} bits hold at most 2^{bits} - 1 = {2 ** bits - 1:,} words, but the vocabulary has "
                           f"{n_words:,}: use bits >= {required_bits(n_words)} (floor(log2 |V|) + 1) or a smaller "
                           f"vocabulary (max_size)")
    patterns: list[tuple[int, ...]] = []
    level = [(b,) for b in range(bits)]
    while len(patterns) < n_words:
        patterns.extend(level[:n_words - len(patterns)])
        if len(patterns) < n_words:
            level = [v + (p,) for v in level for p in range(v[-1] + 1, bits)]
    width = max((len(v) for v in patterns), default=1)
    bit_index = np.full((n_words, width), -1, dtype=np.int32)
    for i, v in enumerate(patterns):
        bit_index[i, :len(v)] = v
    bit_value = (1.0 / np.maximum((bit_index >= 0).sum(axis=1), 1)).astype(np.float32)
    return bit_index, bit_value


def cipher_matrix(n_words: int, bits: int) -> np.ndarray:
    """The cipher as a dense, L1-normalised float32 matrix (n_words, bits)."""
    bit_index, bit_value = bit_cipher(n_words, bits)
    out = np.zeros((n_words, bits), dtype=np.float32)
    rows, cols = np.nonzero(bit_index >= 0)
    out[rows, bit_index[rows, cols]] = bit_value[rows]
    return out


class BitCipher(Trainer):
    """Bit-cipher embeddings; see the module docstring.

    Parameters
    ----------
    bits : int, default 32
        Cipher width b (at least floor(log2 |V|) + 1).
    window : int, default 5
        Context radius m.
    mode : {"sum", "concat"}, default "sum"
        b dimensions, or b * 2 * window (one block per relative position).
    smoothing : float, default 0.1
        Added to every coordinate of a block before it is normalised.
    """

    method = "bitcipher"

    def __init__(self, *, bits: int = 32, window: int = 5, mode: str = "sum", smoothing: float = 0.1,
                 min_count: int = 5, max_size: int | None = None, workers: int | None = None,
                 progress: bool | None = None, callbacks: Sequence[Callback] = ()):
        self.bits = bits
        self.window = window
        self.mode = mode
        self.smoothing = smoothing
        # one pass, nothing drawn at random: no epochs and no seed to choose
        super().__init__(dim=self._output_dim(), epochs=1, min_count=min_count, max_size=max_size,
                         workers=workers, seed=0, progress=progress, callbacks=callbacks)

    @classmethod
    def _param_names(cls) -> list[str]:
        # dim follows from bits, window and mode
        return [n for n in super()._param_names() if n not in ("dim", "epochs", "seed")]

    @property
    def dim(self) -> int:
        """The output size: ``bits``, or ``bits * 2 * window`` with ``mode="concat"``."""
        return self._output_dim()

    @dim.setter
    def dim(self, value: int) -> None:        # Trainer.__init__ stores the size it is given
        if value != self._output_dim():
            raise AttributeError("BitCipher's dim follows from bits, window and mode")

    def _output_dim(self) -> int:
        if not isinstance(self.bits, (int, np.integer)) or not isinstance(self.window, (int, np.integer)):
            return 0
        return int(self.bits) * (2 * int(self.window) if self.mode == "concat" else 1)

    parameters = {
        "bits": P.Param(P.Integer(1, 4096), "Cipher width b: at least floor(log2 |V|) + 1."),
        "window": P.WINDOW,
        "mode": P.Param(P.Options(MODES), "Sum the context ciphers, or concatenate them by relative position."),
        "smoothing": P.Param(P.Real(0, None, closed="neither"), "Added to every count before the logarithm (> 0)."),
    }

    def _validate(self) -> None:
        validate(self.get_params(), self._constraints(), type(self).__name__)
        if self.dim > 1_000_000:
            raise ParameterError(f"BitCipher: bits * 2 * window = {self.dim:,} dimensions is too many")
        super()._validate()

    def _weight_specs(self, n_words: int):
        def zeros(arr: np.ndarray, rng: np.random.Generator) -> None:
            arr[:] = 0.0
        return {"context_sums": ((n_words, self.dim), zeros)}

    def _prepare(self, encoded: EncodedCorpus) -> None:
        self._bit_index, self._bit_value = bit_cipher(len(encoded.vocab), int(self.bits))

    def _load_kernels(self) -> None:
        stream = np.full(2 * self.window + 1, -1, dtype=np.int32)
        aggregate_rows(stream, np.zeros(2, np.int64), np.zeros(1, np.int32), np.zeros(0, np.int64), int(self.window),
                       self.mode == "concat", self._bit_index[:1], self._bit_value[:1], int(self.bits),
                       np.zeros((1, self.dim), np.float32))
        cooccur_kernels.build_stream(np.zeros(0, np.int32), np.zeros(1, np.int64), 0, 0, 1,
                                     np.empty(0, np.float64), np.uint64(0), np.zeros(1, np.int32))
        cooccur_kernels.build_occurrence_index(np.zeros(1, np.int32), 0, 1, np.zeros(2, np.int64),
                                               np.zeros(1, np.int32))

    def _train_epoch(self, epoch: int, report: Callable) -> tuple[float, int]:
        enc = self._encoded
        n_words = len(enc.vocab)
        window = int(self.window)
        offsets = np.asarray(enc.offsets)
        n_sent = offsets.shape[0] - 1
        tokens = enc.read_tokens(0, enc.n_tokens)
        stream = np.empty(window + enc.n_tokens + window * n_sent, dtype=np.int32)
        length = cooccur_kernels.build_stream(tokens, offsets, 0, n_sent, window, np.empty(0, np.float64),
                                              np.uint64(0), stream)
        del tokens
        starts = np.empty(n_words + 1, dtype=np.int64)
        positions = np.empty(max(length, 1), dtype=np.int32)
        cooccur_kernels.build_occurrence_index(stream, length, n_words, starts, positions)
        out = np.asarray(self._weights["context_sums"])
        n_threads = max(1, min(self.n_workers, n_words))
        slots = [np.arange(t, n_words, n_threads, dtype=np.int64) for t in range(n_threads)]

        def task(t: int) -> None:
            aggregate_rows(stream, starts, positions, slots[t], window, self.mode == "concat", self._bit_index,
                           self._bit_value, int(self.bits), out)
        run_threads(task, n_threads)
        report(enc.n_tokens, 0.0, enc.n_tokens)
        return 0.0, enc.n_tokens

    def _to_vectors(self, sums: np.ndarray) -> np.ndarray:
        """Smooth, normalise each block to a distribution, take -log (float32)."""
        x = np.asarray(sums, dtype=np.float64).reshape(sums.shape[0], -1, int(self.bits)) + float(self.smoothing)
        x /= x.sum(axis=2, keepdims=True)
        return (-np.log(x)).reshape(sums.shape[0], -1).astype(np.float32)

    def _current_vectors(self) -> np.ndarray:
        return self._to_vectors(self._weights["context_sums"])

    def _write_output(self, work: Path) -> None:
        sums = np.load(work / "context_sums.npy", mmap_mode="r")
        n, dim = sums.shape
        tmp = work / ".vectors.npy.partial"
        out = create_npy(tmp, np.float32, (n, dim))
        for a in range(0, n, 4096):
            out[a:a + 4096] = self._to_vectors(sums[a:a + 4096])
        out.flush()
        del out, sums
        (work / "context_sums.npy").unlink()
        import os
        os.replace(tmp, work / "vectors.npy")
