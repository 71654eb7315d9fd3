"""Encoding on a Dask cluster: the single-machine encoding, partition by partition.

Two map passes over the partitions of :mod:`wordlab.corpus.partitions`, each task
writing its files to the shared output directory under temporary names and
publishing them by rename:

1. **count** (:func:`count_partition`): tokenise the partition, give its words local
   ids in order of first occurrence, and write the ids (``ids``), the words with their
   counts (``words.json``) and where its sentences end (``ends.npy``);
2. **encode** (:func:`encode_partition`): map the local ids to the final ones, drop
   the words outside the vocabulary, write the token ids (``tokens``), and the number
   of kept tokens before each sentence bound of the partition (``kept.npy``).

Between them the client merges the word lists in partition order, which is the
corpus's order of first occurrence, so the vocabulary (counts descending, ties in
first-occurrence order), the ids, the sentence bounds (joined across partitions, then
cut at ``max_sentence_length``), the dropped-token counts and ``meta.json`` are those
of :func:`wordlab.corpus.encode.write_encoded` (``meta.json`` adds the partitions and
the phases' seconds under ``distributed``); it
finally joins the token shards into the one ``tokens.npy`` that every trainer reads.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._faults import fault_point
from ..atomic import atomic_directory
from ..npyio import NpyAppender, save_npy
from ..progress import progress as progress_bar
from .encode import EncodedCorpus, _FirstOccurrenceIds, encoded_meta, final_vocabulary
from .partitions import DEFAULT_PARTITION_BYTES, Partition, plan_partitions, read_partition, sentence_bounds
from .vocab import Vocabulary


TASKS_PER_WORKER = 4
MIN_PARTITION_BYTES = 1 << 20


class PartitionTask(NamedTuple):
    """One partition of ``corpus`` (a :class:`~wordlab.corpus.Corpus`) and the shard
    directory its files go to (``shards/NNNNN.*``)."""
    corpus: object
    partition: Partition
    shards: str


def _publish_bytes(path: Path, write) -> None:
    """``write(tmp)`` then rename ``tmp`` to ``path``: the file is whole or absent."""
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _with_progress(results, partitions: list[Partition], progress: bool | None, desc: str) -> list:
    """The results of a pass, with a bar over the partitions' bytes as they come back."""
    sizes = [(p.stop if p.stop is not None else Path(p.path).stat().st_size) - p.start for p in partitions]
    out = []
    with progress_bar(progress, total=sum(sizes), desc=desc, unit="B") as bar:
        for size, result in zip(sizes, results):
            out.append(result)
            bar.update(size)
    return out


class _Clock:
    """Seconds of each phase of the client's work (for ``meta.json`` and the benchmark)."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self._last, 4)
        self._last = now


def _stem(task: PartitionTask) -> Path:
    return Path(task.shards) / f"{task.partition.index:05d}"


def count_partition(task: PartitionTask) -> dict:
    """Pass 1 (see module docstring); returns the partition's token and type counts."""
    stem = _stem(task)
    ids = _FirstOccurrenceIds()
    lookup = ids.__getitem__
    counts = np.zeros(0, dtype=np.int64)
    ends: list[np.ndarray] = []
    n = 0

    def write_ids(tmp: Path) -> None:
        nonlocal n, counts
        with open(tmp, "wb") as fh:
            for tokens, local_ends in read_partition(task.corpus, task.partition):
                out = np.fromiter(map(lookup, tokens), dtype=np.int32, count=len(tokens))
                out.tofile(fh)
                fault_point("encode.partition_task")
                grown = np.bincount(out, minlength=len(ids))
                grown[:counts.shape[0]] += counts
                counts = grown
                ends.append(np.asarray(local_ends, dtype=np.int64))     # counted from the partition start
                n += len(tokens)

    _publish_bytes(stem.with_suffix(".ids"), write_ids)
    all_ends = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    _publish_bytes(stem.with_suffix(".ends.npy"), lambda tmp: np.save(open(tmp, "wb"), all_ends))
    words = {"words": list(ids), "counts": counts.tolist(), "n_tokens": n}
    _publish_bytes(stem.with_suffix(".words.json"),
                   lambda tmp: tmp.write_text(json.dumps(words, ensure_ascii=True), encoding="ascii"))
    written = sum(stem.with_suffix(x).stat().st_size for x in (".ids", ".ends.npy", ".words.json"))
    stop = task.partition.stop if task.partition.stop is not None else Path(task.partition.path).stat().st_size
    return {"partition": task.partition.index, "tokens": n, "types": len(ids),
            "read_bytes": stop - task.partition.start, "written_bytes": written}


def encode_partition(task: PartitionTask) -> dict:
    """Pass 2 (see module docstring): ``remap.npy`` (local id -> final id or -1) and
    ``bounds.npy`` (the sentence bounds inside the partition, local) were written by the
    client."""
    stem = _stem(task)
    remap = np.load(stem.with_suffix(".remap.npy"))
    bounds = np.load(stem.with_suffix(".bounds.npy"))
    raw = np.fromfile(stem.with_suffix(".ids"), dtype=np.int32)
    mapped = remap[raw]
    keep = mapped >= 0
    kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    _publish_bytes(stem.with_suffix(".tokens"), lambda tmp: mapped[keep].tofile(str(tmp)))
    _publish_bytes(stem.with_suffix(".kept.npy"), lambda tmp: np.save(open(tmp, "wb"), kept_before[bounds]))
    return {"partition": task.partition.index, "kept": int(kept_before[-1]),
            "read_bytes": raw.nbytes + remap.nbytes + bounds.nbytes,
            "written_bytes": int(keep.sum()) * 4 + stem.with_suffix(".kept.npy").stat().st_size}


def write_encoded_distributed(corpus, executor, out: Path, min_count: int, max_size: int | None,
                              vocab: Vocabulary | None, meta: dict | None, policy: dict,
                              partition_bytes: int | None = None, progress: bool | None = None) -> EncodedCorpus:
    """Encode ``corpus`` (files) on ``executor`` into ``out`` (see module docstring).
    ``partition_bytes`` (default: a quarter of the input per concurrent task, between 1
    and 64 MiB) is where large files are cut."""
    started = time.time()
    fixed_vocab = vocab is not None
    if partition_bytes is None:
        share = corpus.total_bytes() // (TASKS_PER_WORKER * max(1, executor.concurrent_tasks))
        partition_bytes = int(min(DEFAULT_PARTITION_BYTES, max(MIN_PARTITION_BYTES, share)))
    partitions = plan_partitions(corpus.files, corpus.encoding, partition_bytes)
    with atomic_directory(out, **policy) as tmp:
        shards = tmp / "shards"
        shards.mkdir()
        executor.check_paths(read=[p.path for p in partitions], write=[shards])
        tasks = [PartitionTask(corpus, p, str(shards)) for p in partitions]
        clock = _Clock()
        counted = _with_progress(executor.map(count_partition, tasks), partitions, progress, "encoding (1/2)")
        clock.lap("count_tasks")
        if [r["partition"] for r in counted] != [p.index for p in partitions]:
            raise RuntimeError("the executor returned the partitions' results out of order")

        # The corpus's first-occurrence order is the partitions' orders, joined.
        index: dict[str, int] = {}
        totals: list[int] = []
        local_to_global, n_tokens, ends = [], [], []
        for task in tasks:
            stem = _stem(task)
            part = json.loads(stem.with_suffix(".words.json").read_text(encoding="ascii"))
            ids = np.empty(len(part["words"]), dtype=np.int64)
            for j, (w, c) in enumerate(zip(part["words"], part["counts"])):
                g = index.get(w)
                if g is None:
                    g = index[w] = len(index)
                    totals.append(0)
                totals[g] += c
                ids[j] = g
            local_to_global.append(ids)
            n_tokens.append(int(part["n_tokens"]))
            ends.append(np.load(stem.with_suffix(".ends.npy")))
        words = list(index)
        del index
        counts = np.asarray(totals, dtype=np.int64)
        n_raw = int(sum(n_tokens))
        vocab, remap = final_vocabulary(words, counts, n_raw, vocab, min_count, max_size)

        old_offsets = sentence_bounds(n_tokens, ends, corpus.max_sentence_length)
        base = np.concatenate(([0], np.cumsum(np.asarray(n_tokens, dtype=np.int64))))
        owner = np.clip(np.searchsorted(base, old_offsets, side="right") - 1, 0, len(tasks) - 1)
        for k, task in enumerate(tasks):
            stem = _stem(task)
            save_npy(stem.with_suffix(".remap.npy"), remap[local_to_global[k]])
            save_npy(stem.with_suffix(".bounds.npy"), old_offsets[owner == k] - base[k])
        clock.lap("merge")
        encoded = _with_progress(executor.map(encode_partition, tasks), partitions, progress, "encoding (2/2)")
        clock.lap("encode_tasks")
        kept = np.asarray([r["kept"] for r in encoded], dtype=np.int64)
        kept_base = np.concatenate(([0], np.cumsum(kept)))
        new_offsets = np.concatenate([np.load(_stem(t).with_suffix(".kept.npy")) + kept_base[k]
                                      for k, t in enumerate(tasks)]) if tasks else np.zeros(1, np.int64)
        n_kept = int(kept_base[-1])

        with NpyAppender(tmp / "tokens.npy", np.int32) as fh:
            for task in tasks:
                fh.append(np.fromfile(_stem(task).with_suffix(".tokens"), dtype=np.int32))
        sentence_lengths = np.diff(new_offsets)
        offsets = np.zeros(int(np.count_nonzero(sentence_lengths)) + 1, dtype=np.int64)
        np.cumsum(sentence_lengths[sentence_lengths > 0], out=offsets[1:])
        save_npy(tmp / "offsets.npy", offsets)
        clock.lap("join")
        for f in shards.iterdir():
            f.unlink()
        shards.rmdir()
        vocab.save(tmp / "vocab.tsv", private=True)
        info = encoded_meta(meta, n_kept, offsets, n_raw, len(words), vocab, fixed_vocab, min_count, max_size,
                            started)
        info["distributed"] = {"partitions": len(partitions), "seconds": clock.laps}
        (tmp / "meta.json").write_text(json.dumps(info, indent=2, ensure_ascii=False), encoding="utf-8")
    return EncodedCorpus(out)
