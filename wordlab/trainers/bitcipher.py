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

The sums are additive over the corpus, so the pass is a plan, a map and a reduce
(:func:`context_sums`): segments of whole sentences sized by ``memory_limit``, each
summed into a partial file (:func:`cipher_segment`, a pure function run by an executor
of :mod:`wordlab.cooccur.executors`), the partial sums added in segment order
(:func:`sum_parts`). Windows never cross a sentence, so the segments do not change the
sums.
"""
from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .._threads import run_threads
from ..cooccur import _kernels as cooccur_kernels
from ..cooccur.count import BYTES_PER_TOKEN, segment_stream
from ..cooccur.executors import Executor, get_executor
from ..cooccur.segments import Segment, Task, plan_segments, run_tasks, vocab_size
from ..corpus import EncodedCorpus
from ..errors import ParameterError, WordlabError
from ..npyio import NpyAppender, read_range, replacing_npy
from ..params import validate
from . import parameters as P
from ._bitcipher_kernels import aggregate_rows
from .base import Callback, Trainer

MODES = ("sum", "concat")
_REDUCE_CHUNK_BYTES = 8 << 20


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


# -- the context sums: plan -> map -> reduce ------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """The segments of a pass of context sums and the rows of its blocks."""
    segments: list[Segment]
    block_rows: int


def plan(encoded: EncodedCorpus, settings: dict, memory_limit: int) -> Plan:
    """Cut ``encoded`` into segments whose map fits in ``memory_limit`` bytes: the token
    stream and occurrence index (12 bytes per token), the cipher and index tables (per
    word) and a block of float64 sums (a quarter of the memory). ``settings``: ``bits``,
    ``window``, ``concat``."""
    n_words = len(encoded.vocab)
    dim = _sums_dim(settings)
    block_rows = max(1, min(max(n_words, 1), memory_limit // (4 * 8 * dim)))
    tables = sum(a.nbytes for a in bit_cipher(n_words, int(settings["bits"]))) + 8 * (n_words + 1)
    tokens = (memory_limit - block_rows * dim * 8 - tables) // BYTES_PER_TOKEN
    return Plan(plan_segments(encoded.offsets, max(1, int(tokens))), int(block_rows))


def _sums_dim(settings: dict) -> int:
    return int(settings["bits"]) * (2 * int(settings["window"]) if settings["concat"] else 1)


def cipher_segment(task: Task) -> dict:
    """The map: the context sums of the words of one segment, written to ``task.out`` as
    ``words.npy`` (int32, the words occurring in the segment, ascending) and ``sums.npy``
    (float64, one row each). A pure function of the task; ``task.settings`` holds
    ``bits``, ``window``, ``concat``, ``block_rows`` and ``threads``."""
    s, out = task.settings, Path(task.out)
    n_words = vocab_size(task.corpus)
    window, bits, concat, dim = int(s["window"]), int(s["bits"]), bool(s["concat"]), _sums_dim(s)
    bit_index, bit_value = bit_cipher(n_words, bits)
    stream, length = segment_stream(task.corpus, task.segment, window, np.empty(0, np.float64), 0)
    starts = np.empty(n_words + 1, dtype=np.int64)
    positions = np.empty(max(length, 1), dtype=np.int32)
    cooccur_kernels.build_occurrence_index(stream, length, n_words, starts, positions)
    present = np.flatnonzero(np.diff(starts)).astype(np.int32)
    threads, block_rows = max(1, int(s["threads"])), int(s["block_rows"])
    buffer = np.empty((min(block_rows, max(present.shape[0], 1)), dim), dtype=np.float64)
    out.mkdir(parents=True, exist_ok=True)
    with NpyAppender(out / "sums.npy", np.float64, row_shape=(dim,)) as sums:
        for a in range(0, present.shape[0], block_rows):
            rows = present[a:a + block_rows]
            block = buffer[:rows.shape[0]]

            def task_rows(t: int) -> None:
                aggregate_rows(stream, starts, positions, rows, np.arange(t, rows.shape[0], threads, dtype=np.int64),
                               window, concat, bit_index, bit_value, bits, block)
            run_threads(task_rows, min(threads, rows.shape[0]))
            sums.append(block)
    with NpyAppender(out / "words.npy", np.int32) as words:
        words.append(present)
    return {"segment": task.segment.index, "out": str(out), "words": int(present.shape[0])}


def sum_parts(parts: Sequence[Path], out: np.ndarray, block_rows: int) -> None:
    """The reduce: ``out`` (n_words, dim) = the sum of the parts' rows, added in float64 in
    segment order (so the result does not depend on where or when the parts were made),
    then rounded to ``out``'s dtype."""
    n_words, dim = out.shape
    words = [np.load(Path(p) / "words.npy", mmap_mode="r") for p in parts]
    acc = np.empty((min(block_rows, max(n_words, 1)), dim), dtype=np.float64)
    # A part's rows are read in small chunks into one buffer: reading a whole block of
    # them (and the temporaries of a fancy-indexed +=) tripled the reduce's memory.
    chunk = max(1, min(block_rows, _REDUCE_CHUNK_BYTES // (8 * max(dim, 1))))
    rows_buf = np.empty(chunk * dim, dtype=np.float64)
    for a in range(0, n_words, block_rows):
        b = min(a + block_rows, n_words)
        block = acc[:b - a]
        block[:] = 0.0
        for p, w in zip(parts, words):
            lo, hi = np.searchsorted(w, [a, b])
            for c in range(int(lo), int(hi), chunk):
                d = min(c + chunk, int(hi))
                rows = read_range(Path(p) / "sums.npy", c * dim, d * dim, out=rows_buf).reshape(-1, dim)
                block[np.asarray(w[c:d]) - a] += rows     # a word occurs once per part
        out[a:b] = block


def context_sums(encoded: EncodedCorpus, out: np.ndarray, scratch: str | Path, *, bits: int, window: int,
                 mode: str = "sum", memory_limit: int = 1 << 30, workers: int | None = None,
                 executor: "str | Executor | None" = None, progress: bool | None = None) -> int:
    """Fill ``out`` (n_words, dim; float32) with each word's summed context ciphers (step 2
    of the module docstring, before smoothing), in segments that fit in ``memory_limit``
    bytes: map on ``executor`` (see :mod:`wordlab.cooccur.executors`) into ``scratch``,
    then reduce. Return the number of segments. The sums do not depend on the segments
    while they are exact in float64 (always, unless a word has more than about 2^28
    contexts), nor on the executor."""
    ex = get_executor(executor, workers)
    settings = {"bits": int(bits), "window": int(window), "concat": mode == "concat"}
    the_plan = plan(encoded, settings, memory_limit // max(1, int(ex.concurrent_tasks)))
    map_settings = {**settings, "block_rows": the_plan.block_rows, "threads": int(ex.task_threads)}
    scratch = Path(scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        tasks = [Task(str(encoded.path), seg, map_settings, str(scratch / f"{seg.index:05d}"))
                 for seg in the_plan.segments]
        run_tasks(ex, cipher_segment, tasks, progress, "context sums")
        sum_parts([Path(t.out) for t in tasks], out, the_plan.block_rows)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return len(the_plan.segments)


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
    memory_limit : int, default 1 GiB
        Bytes for the pass over the corpus (token streams, sums); a larger corpus is
        summed in segments (:func:`context_sums`), with the same result.
    """
    loss_unit = "none (no training)"

    method = "bitcipher"

    def __init__(self, *, bits: int = 32, window: int = 5, mode: str = "sum", smoothing: float = 0.1,
                 min_count: int = 5, max_size: int | None = None, workers: int | None = None,
                 memory_limit: int = 1 << 30, progress: bool | None = None, callbacks: Sequence[Callback] = ()):
        self.bits = bits
        self.window = window
        self.mode = mode
        self.smoothing = smoothing
        self.memory_limit = memory_limit
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
        "memory_limit": P.MEMORY_LIMIT,
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
        aggregate_rows(stream, np.zeros(2, np.int64), np.zeros(1, np.int32), np.zeros(1, np.int32),
                       np.zeros(0, np.int64), int(self.window), self.mode == "concat", self._bit_index[:1],
                       self._bit_value[:1], int(self.bits), np.zeros((1, self.dim), np.float64))
        cooccur_kernels.build_stream(np.zeros(0, np.int32), np.zeros(1, np.int64), 0, 0, 1,
                                     np.empty(0, np.float64), np.uint64(0), np.zeros(1, np.int32))
        cooccur_kernels.build_occurrence_index(np.zeros(1, np.int32), 0, 1, np.zeros(2, np.int64),
                                               np.zeros(1, np.int32))

    def _train_epoch(self, epoch: int, report: Callable) -> tuple[float, int]:
        enc = self._encoded
        self._segments = context_sums(enc, np.asarray(self._weights["context_sums"]), self._work / "context-parts",
                                      bits=int(self.bits), window=int(self.window), mode=self.mode,
                                      memory_limit=int(self.memory_limit), workers=self.n_workers,
                                      progress=False)
        report(enc.n_tokens, 0.0, enc.n_tokens)
        return 0.0, enc.n_tokens

    def _epoch_extra(self) -> dict:
        return {"segments": getattr(self, "_segments", 1)}

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
        with replacing_npy(work / "vectors.npy", np.float32, (n, dim)) as out:
            for a in range(0, n, 4096):
                out[a:a + 4096] = self._to_vectors(sums[a:a + 4096])
        del sums
        (work / "context_sums.npy").unlink()
