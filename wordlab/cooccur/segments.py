"""Plans of a counting pass: segments of whole sentences, the map tasks over them, and
running those tasks on an executor (see :mod:`wordlab.cooccur.executors`).

A :class:`Segment` and a :class:`Task` are plain data (picklable, JSON-able fields), so a
map task can run in another thread, process or machine that sees the same files.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from ..corpus.shards import TokenShards
from ..npyio import read_range
from ..progress import progress as progress_bar


@dataclass(frozen=True)
class Segment:
    """Sentences ``first_sentence:last_sentence`` of an encoded corpus, which are its
    tokens ``first_token:last_token``; ``index``: its place in the plan."""
    index: int
    first_sentence: int
    last_sentence: int
    first_token: int
    last_token: int

    @property
    def n_tokens(self) -> int:
        return self.last_token - self.first_token


class Task(NamedTuple):
    """One map task: the encoded corpus's directory, a segment, the map's settings (plain
    data) and the directory the partial result goes to."""
    corpus: str
    segment: Segment
    settings: dict
    out: str


def plan_segments(offsets: np.ndarray, segment_tokens: int) -> list[Segment]:
    """Cut the sentences (``offsets``: n_sentences + 1 token offsets) into runs of about
    ``segment_tokens`` tokens, at least one sentence each; one empty segment for an empty
    corpus."""
    offsets = np.asarray(offsets)
    n_sentences = offsets.shape[0] - 1
    cuts = [0]
    while cuts[-1] < n_sentences:
        s = cuts[-1]
        e = int(np.searchsorted(offsets, offsets[s] + segment_tokens, side="right")) - 1
        cuts.append(min(max(e, s + 1), n_sentences))
    pairs = list(zip(cuts[:-1], cuts[1:])) or [(0, 0)]
    return [Segment(k, a, b, int(offsets[a]), int(offsets[b])) for k, (a, b) in enumerate(pairs)]


def read_segment(corpus: str | Path, segment: Segment) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, sentence offsets) of ``segment``, read (not mapped) from the encoded
    corpus's files; the offsets are the corpus's own (they start at ``first_token``)."""
    corpus = Path(corpus)
    offsets = read_range(corpus / "offsets.npy", segment.first_sentence, segment.last_sentence + 1)
    shards = TokenShards.open(corpus)
    try:
        tokens = shards.read(segment.first_token, segment.last_token)
    finally:
        shards.close()
    return tokens, offsets


def vocab_size(corpus: str | Path) -> int:
    """The number of words of the encoded corpus at ``corpus`` (from its meta.json)."""
    return int(json.loads((Path(corpus) / "meta.json").read_text(encoding="utf-8"))["vocab_size"])


def run_tasks(executor, fn: Callable[[Task], Any], tasks: Sequence[Task], progress: bool | None,
              desc: str) -> list:
    """``fn`` over ``tasks`` on ``executor``; the results in task order. Progress (in
    corpus tokens) is reported here, as each result comes back."""
    results = []
    with progress_bar(progress, total=sum(t.segment.n_tokens for t in tasks), desc=desc, unit="w") as bar:
        for task, result in zip(tasks, executor.map(fn, tasks)):
            results.append(result)
            bar.update(task.segment.n_tokens)
    if len(results) != len(tasks):
        raise RuntimeError(f"the executor returned {len(results)} results for {len(tasks)} tasks")
    return results
