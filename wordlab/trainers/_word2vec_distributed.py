"""Word2vec on a Dask cluster by periodic parameter averaging (as Spark MLlib trains it).

Skip-gram and CBOW update the same rows from every thread (Hogwild), which a cluster
cannot share. So each epoch is cut into ``averaging_rounds`` rounds of consecutive
sentences, and each round's sentences into one contiguous slice per task (as many
tasks as the cluster runs at once). Every task trains its own copy of the round's
weights on its slice, with the single-machine kernel, one thread, and the learning
rate of the round's share of the epoch (all slices decay side by side). The client
then sets each row of the weights to the mean of the copies that changed it; a row no
task changed keeps its value. Each slice carries its random state from round to round.

It trades quality for scale: a task does not see the other tasks' updates until the
round ends, so more tasks or fewer rounds cost accuracy (``evals/bench_dask_sgns.py``
measures it). With one task per round, a run is the single-machine run with one worker,
bit for bit. It is never the default: only ``averaging_rounds`` with ``client`` turns it on.

Only task descriptions move through Dask: the tasks read the corpus, the sampling
tables and the round's weights from the shared filesystem, and write their copies there.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._faults import fault_point
from ..distributed import PhaseClock, publish_npy

_AVERAGE_BLOCK_ROWS = 1 << 15


class SliceTask(NamedTuple):
    """Chunks ``chunks`` (sentence cuts ``cuts[c]:cuts[c + 1]``) of one round, for one task.

    ``span`` is (round's first token, round's end, slice's first token, slice's end):
    the slice's positions are mapped onto the round's share of the epoch for the
    learning rate. ``shared`` holds the sampling tables and locks; ``weights`` names the
    round's input weight files; the task's copies go to ``out``."""
    corpus: str
    params: dict
    epoch: int
    cuts: tuple[int, ...]
    span: tuple[int, int, int, int]
    state: int
    shared: str
    weights: tuple[str, str]
    freeze_context: bool
    out: str


def train_slice(task: SliceTask) -> dict:
    """The map: train a private copy of the weights on the task's slice (see module
    docstring); publish it; return the loss, the examples, the tokens and the state."""
    from ..corpus.shards import TokenShards
    from ._word2vec_kernels import sigmoid_tables
    from .word2vec import Word2Vec
    trainer = Word2Vec(**task.params)
    shared = Path(task.shared)
    trainer._keep, trainer._accept, trainer._alias, trainer._locks = (
        np.load(shared / f"{name}.npy") for name in ("keep", "accept", "alias", "locks"))
    trainer._sig, trainer._nlog = sigmoid_tables()
    trainer._freeze_context = task.freeze_context
    syn0, syn1 = (np.array(np.load(w, mmap_mode="r")) for w in task.weights)
    offsets = np.load(Path(task.corpus) / "offsets.npy", mmap_mode="r")
    shards = TokenShards.open(task.corpus)
    total = max(int(offsets[-1]), 1)
    r0, r1, s0, s1 = task.span
    scale = (r1 - r0) / max(s1 - s0, 1)

    def fraction(p: int) -> float:          # the slice's position p, as a share of the epoch
        return (r0 + (p - s0) * scale) / total

    loss, examples, words, state = 0.0, 0, 0, np.uint64(task.state)
    buffer = np.empty(0, dtype=np.int32)
    try:
        for s, e in zip(task.cuts[:-1], task.cuts[1:]):
            a, b = int(offsets[s]), int(offsets[e])
            if buffer.shape[0] < b - a:
                buffer = np.empty(b - a, dtype=np.int32)
            tokens = shards.read(a, b, buffer)
            local = np.asarray(offsets[s:e + 1]) - a
            l, n, state = trainer._word2vec_kernel(tokens, local, e - s, syn0, syn1,
                                                   trainer._alpha_at(task.epoch, fraction(a)),
                                                   trainer._alpha_at(task.epoch, fraction(b)), state)
            loss += l
            examples += int(n)
            words += b - a
    finally:
        shards.close()
    fault_point("w2v.slice_task")
    out = Path(task.out)
    publish_npy(syn0, out / "vectors.npy")
    publish_npy(syn1, out / "context_vectors.npy")
    return {"out": task.out, "loss": float(loss), "examples": examples, "words": words, "state": int(state),
            "pid": os.getpid(), "read_bytes": 4 * words + syn0.nbytes + syn1.nbytes,
            "written_bytes": syn0.nbytes + syn1.nbytes}


def plan_rounds(offsets: np.ndarray, cuts: np.ndarray, rounds: int, slices: int) -> list[list[tuple[int, ...]]]:
    """For each round, the sentence cuts of each non-empty slice. Rounds are runs of the
    stream's chunks (``cuts``, sentence indices) of about equal tokens; a round's
    sentences are cut into ``slices`` contiguous slices of about equal tokens, each
    keeping the chunk cuts inside it (so one slice per round is the one-machine stream)."""
    offsets = np.asarray(offsets)
    cuts = np.asarray(cuts, dtype=np.int64)
    starts = offsets[cuts]                                # the first token of each chunk
    n_chunks = len(cuts) - 1
    total = int(starts[-1])
    edges = [min(int(np.searchsorted(starts, total * k / rounds, side="left")), n_chunks) for k in range(rounds)]
    plan = []
    for lo, hi in zip(edges, edges[1:] + [n_chunks]):
        if hi <= lo:
            plan.append([])
            continue
        first, last = int(cuts[lo]), int(cuts[hi])          # the round's sentences
        a, b = int(offsets[first]), int(offsets[last])
        inner = [int(np.searchsorted(offsets, a + (b - a) * k / slices, side="left")) for k in range(1, slices)]
        bounds = [first] + [min(max(x, first), last) for x in inner] + [last]
        round_cuts = cuts[lo:hi + 1]
        plan.append([tuple([u] + [int(c) for c in round_cuts if u < c < v] + [v])
                     for u, v in zip(bounds[:-1], bounds[1:]) if v > u])
    return plan


def average_into(weight: np.ndarray, copies: list[Path]) -> None:
    """Set each row of ``weight`` to the mean of the ``copies`` (``.npy`` files, in task
    order) that differ from it there; rows no copy changed stay."""
    for a in range(0, weight.shape[0], _AVERAGE_BLOCK_ROWS):
        b = min(weight.shape[0], a + _AVERAGE_BLOCK_ROWS)
        base = np.asarray(weight[a:b])
        acc = np.zeros(base.shape, dtype=np.float64)
        count = np.zeros(b - a, dtype=np.int64)
        for path in copies:
            copy = np.asarray(np.load(path, mmap_mode="r")[a:b])
            changed = (copy != base).any(axis=1)
            acc[changed] += copy[changed]
            count[changed] += 1
        rows = count > 0
        if rows.any():
            block = np.array(base)
            block[rows] = (acc[rows] / count[rows, None]).astype(np.float32)
            weight[a:b] = block


class ParameterAveraging:
    """The client's side: the shared tables (once), then each epoch's rounds."""

    def __init__(self, executor, scratch: Path, tables: dict[str, np.ndarray]):
        self.executor = executor
        self.scratch = scratch
        self.clock = PhaseClock()
        if scratch.exists():
            shutil.rmtree(scratch)
        (scratch / "shared").mkdir(parents=True)
        for name, arr in tables.items():
            publish_npy(np.ascontiguousarray(arr), scratch / "shared" / f"{name}.npy")
        executor.check_paths(write=[scratch])
        self.slices = max(1, executor.concurrent_tasks)

    def epoch(self, trainer, epoch: int, rounds: int, report) -> tuple[float, int]:
        """Train one epoch of ``trainer`` (a :class:`~wordlab.trainers.Word2Vec` whose
        weights are memory-mapped files) as rounds of slice tasks; its loss and examples."""
        from ._sampling import thread_seeds
        enc = trainer._encoded
        offsets = np.asarray(enc.offsets)
        plan = plan_rounds(offsets, trainer._cuts, rounds, self.slices)
        states = [int(s) for s in thread_seeds(trainer.seed, epoch, self.slices)]
        weights = [trainer._weights["vectors"], trainer._weights["context_vectors"]]
        files = []
        for w in weights:
            w.flush()
            files.append(str(w.filename))
        params = trainer.get_params()
        params.pop("averaging_rounds", None)
        loss, examples, words = 0.0, 0, 0
        for r, slices in enumerate(plan):
            if not slices:
                continue
            self.clock.restart()
            r0, r1 = int(offsets[slices[0][0]]), int(offsets[slices[-1][-1]])
            out = self.scratch / f"round-{epoch}-{r}"
            out.mkdir()
            tasks = []
            for k, cuts in enumerate(slices):
                (out / str(k)).mkdir()
                tasks.append(SliceTask(str(enc.path), params, epoch, cuts,
                                       (r0, r1, int(offsets[cuts[0]]), int(offsets[cuts[-1]])), states[k],
                                       str(self.scratch / "shared"), tuple(files), bool(trainer._freeze_context),
                                       str(out / str(k))))
            results = list(self.executor.map(train_slice, tasks))
            self.clock.lap("tasks")
            for k, res in enumerate(results):
                if res["out"] != tasks[k].out:
                    raise RuntimeError(f"the executor returned the result of {res['out']} for {tasks[k].out}")
                states[k] = res["state"]
                loss += res["loss"]
                examples += res["examples"]
                words += res["words"]
            for w, name in zip(weights, ("vectors", "context_vectors")):
                average_into(w, [Path(t.out) / f"{name}.npy" for t in tasks])
                w.flush()
            shutil.rmtree(out)
            self.clock.lap("average")
            report(words, loss, examples, trainer._alpha_at(epoch, r1 / max(int(offsets[-1]), 1)))
        return loss, examples

    def take_seconds(self) -> dict[str, float]:
        return self.clock.take()

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
