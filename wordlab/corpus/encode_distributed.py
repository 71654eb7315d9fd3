"""Encoding on a Dask cluster: the single-machine encoding, partition by partition.

Two map passes over the partitions of :mod:`wordlab.corpus.partitions` (after a
decompressing task for each large compressed input, so that it too is cut), each task
writing its files to the shared output directory under temporary names and
publishing them by rename:

1. **count** (:func:`count_partition`): tokenise the partition, give its words local
   ids in order of first occurrence, and write the ids (``ids``), the words with their
   counts (``words.json``) and where its sentences end (``ends.npy``);
2. **encode** (:func:`encode_partition`): map the local ids to the final ones (from
   the vocabulary the client wrote, ``vocab.tsv``), drop the words outside it, write
   the token ids (``tokens``), and the number of kept tokens before each sentence bound
   of the partition (``kept.npy``).

Between them, merge tasks (:func:`merge_word_lists`) join the word lists eight at a
time, level by level, keeping partition order: the joined list is the corpus's order
of first occurrence, and the client reads only that one. So the vocabulary (counts
descending, ties in first-occurrence order), the ids, the sentence bounds (joined
across partitions, then cut at ``max_sentence_length``), the dropped-token counts and
``meta.json`` are those of :func:`wordlab.corpus.encode.write_encoded` (``meta.json``
adds the partitions and the phases' seconds under ``distributed``). The token files
stay where the tasks wrote them: they become the corpus's shards
(:mod:`wordlab.corpus.shards`), which every trainer reads as it reads one
``tokens.npy``; the client moves them by rename and copies no token.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._faults import fault_point
from ..atomic import atomic_directory
from ..distributed import PhaseClock, publish_file
from ..errors import WordlabError
from ..npyio import save_npy
from ..progress import progress as progress_bar
from .encode import EncodedCorpus, _FirstOccurrenceIds, encoded_meta, final_vocabulary
from .partitions import (DEFAULT_PARTITION_BYTES, Partition, plan_partitions, read_partition, sentence_bounds,
                         worth_inflating)
from .shards import SHARD_NAME, SINGLE
from .sources import open_binary
from .vocab import Vocabulary


TASKS_PER_WORKER = 4
MIN_PARTITION_BYTES = 1 << 20
MERGE_FAN_IN = 8            # word lists per merge task


class PartitionTask(NamedTuple):
    """One partition of ``corpus`` (a :class:`~wordlab.corpus.Corpus`) and the shard
    directory its files go to (``shards/NNNNN.*``)."""
    corpus: object
    partition: Partition
    shards: str


def _with_progress(results, partitions: list[Partition], progress: bool | None, desc: str) -> list:
    """The results of a pass, with a bar over the partitions' bytes as they come back."""
    sizes = [(p.stop if p.stop is not None else Path(p.path).stat().st_size) - p.start for p in partitions]
    out = []
    with progress_bar(progress, total=sum(sizes), desc=desc, unit="B") as bar:
        for size, result in zip(sizes, results):
            out.append(result)
            bar.update(size)
    return out


def _stem(task: PartitionTask) -> Path:
    return Path(task.shards) / f"{task.partition.index:05d}"


class InflateTask(NamedTuple):
    """A compressed input file and where its decompressed copy goes."""
    source: str
    out: str


def inflate(task: InflateTask) -> dict:
    """Decompress ``task.source`` into ``task.out`` (published by a rename); a damaged
    file raises the reader's one-line error naming it."""
    def write(tmp: Path) -> None:
        stream, _ = open_binary(Path(task.source))
        with stream, open(tmp, "wb") as fh:
            shutil.copyfileobj(stream, fh, 1 << 22)
    publish_file(Path(task.out), write)
    return {"source": task.source, "read_bytes": Path(task.source).stat().st_size,
            "written_bytes": Path(task.out).stat().st_size}


def _inflate(corpus, executor, where: Path, partition_bytes: int) -> dict[str, str]:
    """Decompress, on the executor, the compressed inputs worth cutting into byte ranges
    (:func:`~wordlab.corpus.partitions.worth_inflating`); their path -> the copy's."""
    if executor.concurrent_tasks < 2:
        return {}
    tasks = [InflateTask(str(f), str(where / f"{k:05d}.txt")) for k, f in enumerate(corpus.files)
             if worth_inflating(f, corpus.encoding, partition_bytes)]
    if not tasks:
        return {}
    where.mkdir()
    list(executor.map(inflate, tasks))
    return {t.source: t.out for t in tasks}


def count_partition(task: PartitionTask) -> dict:
    """Pass 1 (see module docstring); returns the partition's token and type counts."""
    try:
        return _count_partition(task)
    except WordlabError as e:
        origin = task.partition.origin
        if origin is None:
            raise
        # the messages name the file read: name the user's compressed file, not its copy
        raise type(e)(str(e).replace(task.partition.path, origin)) from None


def _count_partition(task: PartitionTask) -> dict:
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

    publish_file(stem.with_suffix(".ids"), write_ids)
    all_ends = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    publish_file(stem.with_suffix(".ends.npy"), lambda tmp: np.save(open(tmp, "wb"), all_ends))
    words = {"words": list(ids), "counts": counts.tolist(), "n_tokens": n}
    publish_file(stem.with_suffix(".words.json"),
                   lambda tmp: tmp.write_text(json.dumps(words, ensure_ascii=True), encoding="ascii"))
    written = sum(stem.with_suffix(x).stat().st_size for x in (".ids", ".ends.npy", ".words.json"))
    stop = task.partition.stop if task.partition.stop is not None else Path(task.partition.path).stat().st_size
    return {"partition": task.partition.index, "tokens": n, "types": len(ids),
            "read_bytes": stop - task.partition.start, "written_bytes": written}


def encode_partition(task: PartitionTask) -> dict:
    """Pass 2 (see module docstring): the final vocabulary (``shards/vocab.tsv``) gives
    each local word its id (or -1: dropped); ``bounds.npy`` (the sentence bounds inside
    the partition, local) was written by the client."""
    stem = _stem(task)
    final_id = Vocabulary.load(Path(task.shards) / "vocab.tsv").index
    local = json.loads(stem.with_suffix(".words.json").read_text(encoding="ascii"))["words"]
    remap = np.fromiter((final_id.get(w, -1) for w in local), dtype=np.int32, count=len(local))
    del final_id, local
    bounds = np.load(stem.with_suffix(".bounds.npy"))
    raw = np.fromfile(stem.with_suffix(".ids"), dtype=np.int32)
    mapped = remap[raw]
    keep = mapped >= 0
    kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    publish_file(stem.with_suffix(".tokens.npy"), lambda tmp: save_npy(tmp, mapped[keep]))
    publish_file(stem.with_suffix(".kept.npy"), lambda tmp: np.save(open(tmp, "wb"), kept_before[bounds]))
    return {"partition": task.partition.index, "kept": int(kept_before[-1]),
            "read_bytes": raw.nbytes + remap.nbytes + bounds.nbytes,
            "written_bytes": int(keep.sum()) * 4 + stem.with_suffix(".kept.npy").stat().st_size}


class MergeTask(NamedTuple):
    """Word lists (``words.json`` files, in corpus order) to join into ``out``."""
    inputs: tuple[str, ...]
    out: str


def merge_word_lists(task: MergeTask) -> dict:
    """The words of ``task.inputs`` in order of first occurrence, their counts summed:
    an associative join, so a tree of these gives the corpus's list."""
    ids = _FirstOccurrenceIds()
    lookup = ids.__getitem__
    counts = np.zeros(0, dtype=np.int64)
    n = inputs = 0
    for path in task.inputs:
        part = json.loads(Path(path).read_text(encoding="ascii"))
        inputs += len(part["words"])
        local = np.fromiter(map(lookup, part["words"]), dtype=np.int64, count=len(part["words"]))
        added = np.zeros(len(ids), dtype=np.int64)
        np.add.at(added, local, np.asarray(part["counts"], dtype=np.int64))
        added[:counts.shape[0]] += counts
        counts = added
        n += int(part["n_tokens"])
    merged = {"words": list(ids), "counts": counts.tolist(), "n_tokens": n}
    publish_file(Path(task.out), lambda tmp: tmp.write_text(json.dumps(merged, ensure_ascii=True), encoding="ascii"))
    return {"types": len(ids), "tokens": n, "input_types": inputs, "written_bytes": Path(task.out).stat().st_size}


def _merge_tree(executor, files: list[Path], shards: Path, fan_in: int = MERGE_FAN_IN) -> Path:
    """Join the partitions' word lists on the executor, ``fan_in`` at a time, level by
    level; the file of the whole corpus's list."""
    level = 0
    while len(files) > 1:
        groups = [files[a:a + fan_in] for a in range(0, len(files), fan_in)]
        tasks = [MergeTask(tuple(str(f) for f in g), str(shards / f"merge-{level}-{k:05d}.words.json"))
                 for k, g in enumerate(groups)]
        list(executor.map(merge_word_lists, tasks))
        files = [Path(t.out) for t in tasks]
        level += 1
    return files[0]


def _place_shards(tasks: list[PartitionTask], kept: np.ndarray, out: Path) -> list[dict] | None:
    """Move the partitions' token files into the corpus directory as its shards, in
    corpus order (renames on the shared filesystem: no token is copied); return the
    ``token_shards`` entry of ``meta.json``. Empty shards are left out; a corpus of one
    shard (or none) gets the single-machine ``tokens.npy``."""
    full = [(t, int(n)) for t, n in zip(tasks, kept) if n > 0]
    if len(full) <= 1:
        if full:
            os.rename(_stem(full[0][0]).with_suffix(".tokens.npy"), out / SINGLE)
        else:
            save_npy(out / SINGLE, np.zeros(0, dtype=np.int32))
        return None
    listed = []
    for k, (task, n) in enumerate(full):
        name = SHARD_NAME.format(k)
        os.rename(_stem(task).with_suffix(".tokens.npy"), out / name)
        listed.append({"file": name, "n_tokens": n})
    return listed


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
    with atomic_directory(out, **policy) as tmp:
        shards = tmp / "shards"
        shards.mkdir()
        executor.check_paths(read=list(corpus.files), write=[shards])
        clock = PhaseClock()
        inflated = _inflate(corpus, executor, tmp / "inflated", partition_bytes)
        clock.lap("inflate_tasks")
        partitions = plan_partitions(corpus.files, corpus.encoding, partition_bytes, inflated)
        tasks = [PartitionTask(corpus, p, str(shards)) for p in partitions]
        counted = _with_progress(executor.map(count_partition, tasks), partitions, progress, "encoding (1/2)")
        clock.lap("count_tasks")
        if [r["partition"] for r in counted] != [p.index for p in partitions]:
            raise RuntimeError("the executor returned the partitions' results out of order")

        # The corpus's first-occurrence order is the partitions' orders, joined: on the
        # workers, as a tree; the client reads the whole corpus's list only.
        whole = json.loads(_merge_tree(executor, [_stem(t).with_suffix(".words.json") for t in tasks],
                                       shards).read_text(encoding="ascii"))
        clock.lap("merge_tasks")
        words = whole["words"]
        counts = np.asarray(whole["counts"], dtype=np.int64)
        n_raw = int(whole["n_tokens"])
        del whole
        vocab, _ = final_vocabulary(words, counts, n_raw, vocab, min_count, max_size)
        vocab.save(shards / "vocab.tsv", private=True)

        n_tokens = [int(r["tokens"]) for r in counted]
        ends = [np.load(_stem(t).with_suffix(".ends.npy")) for t in tasks]
        old_offsets = sentence_bounds(n_tokens, ends, corpus.max_sentence_length)
        del ends
        base = np.concatenate(([0], np.cumsum(np.asarray(n_tokens, dtype=np.int64))))
        owner = np.clip(np.searchsorted(base, old_offsets, side="right") - 1, 0, len(tasks) - 1)
        for k, task in enumerate(tasks):
            save_npy(_stem(task).with_suffix(".bounds.npy"), old_offsets[owner == k] - base[k])
        clock.lap("merge")
        encoded = _with_progress(executor.map(encode_partition, tasks), partitions, progress, "encoding (2/2)")
        clock.lap("encode_tasks")
        kept = np.asarray([r["kept"] for r in encoded], dtype=np.int64)
        kept_base = np.concatenate(([0], np.cumsum(kept)))
        new_offsets = np.concatenate([np.load(_stem(t).with_suffix(".kept.npy")) + kept_base[k]
                                      for k, t in enumerate(tasks)]) if tasks else np.zeros(1, np.int64)
        n_kept = int(kept_base[-1])

        token_shards = _place_shards(tasks, kept, tmp)
        sentence_lengths = np.diff(new_offsets)
        offsets = np.zeros(int(np.count_nonzero(sentence_lengths)) + 1, dtype=np.int64)
        np.cumsum(sentence_lengths[sentence_lengths > 0], out=offsets[1:])
        save_npy(tmp / "offsets.npy", offsets)
        clock.lap("join")
        shutil.rmtree(shards)
        shutil.rmtree(tmp / "inflated", ignore_errors=True)
        vocab.save(tmp / "vocab.tsv", private=True)
        info = encoded_meta(meta, n_kept, offsets, n_raw, len(words), vocab, fixed_vocab, min_count, max_size,
                            started)
        if token_shards is not None:
            info["token_shards"] = token_shards
        info["distributed"] = {"partitions": len(partitions), "decompressed_inputs": len(inflated),
                               "seconds": clock.laps}
        (tmp / "meta.json").write_text(json.dumps(info, indent=2, ensure_ascii=False), encoding="utf-8")
    return EncodedCorpus(out)
