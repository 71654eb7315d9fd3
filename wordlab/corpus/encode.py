"""The encoded corpus: token ids in a memory-mapped int32 array, written once.

Layout of an encoded-corpus directory::

    tokens.npy    int32, (n_tokens,)        ids into vocab.tsv, sentences concatenated
                                            (or shards tokens-NNNNN.npy: see corpus.shards)
    offsets.npy   int64, (n_sentences + 1,) sentence i is tokens[offsets[i]:offsets[i+1]]
    vocab.tsv     word<TAB>count            the vocabulary the ids refer to
    meta.json     counts, settings and the fingerprint of the inputs

Encoding is a single pass over the text: each token gets a provisional id in order
of first occurrence (a dict as large as the vocabulary, never the corpus), the ids
are spilled to a scratch file, counted with ``np.bincount``, and a second, purely
numeric pass maps them to final ids, dropping tokens below ``min_count`` (as
word2vec does) and sentences left empty. Peak memory is bounded by the vocabulary
and one chunk, not by the corpus length.
"""
from __future__ import annotations

import json
import os
import time
from array import array
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .._memory import trim_heap
from ..atomic import Snapshot, atomic_directory
from ..errors import StoreError
from ..npyio import save_npy
from .shards import SINGLE, ShardedTokens, TokenShards, room_for_descriptors, shard_files
from .vocab import Vocabulary

FORMAT_VERSION = 1
_SCRATCH = "provisional-ids.bin"
_CHUNK = 1 << 20  # tokens per chunk of the numeric passes (4 MB of ids)


class _FirstOccurrenceIds(dict):
    """word -> provisional id, assigning the next id to an unseen word."""

    def __missing__(self, word: str) -> int:
        i = self[word] = len(self)
        return i


class EncodedCorpus:
    """A corpus encoded as memory-mapped token ids (see module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The directory that :meth:`wordlab.Corpus.encode` wrote (``meta.json``,
        ``tokens.npy``, ``offsets.npy``, ``vocab.tsv``); opened read-only, memory-mapped.

    Attributes
    ----------
    tokens : np.memmap or ShardedTokens, int32, shape (n_tokens,)
        Array-like in both layouts; :meth:`read_tokens` is the fast way to read a range.
    offsets : np.memmap, int64, shape (n_sentences + 1,)
    vocab : Vocabulary
    meta : dict
        ``n_tokens``, ``n_sentences``, ``total_tokens`` (before min_count),
        ``dropped_tokens``, ``min_count``, ``max_size``, ``source`` (fingerprint), ...
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._shards: TokenShards | None = None
        meta_path = self.path / "meta.json"
        if not meta_path.is_file():
            raise StoreError(f"{self.path} is not an encoded corpus (no meta.json)")
        try:
            # One snapshot of the directory: a corpus re-encoded into the same path meanwhile
            # must never pair these offsets with another version's tokens.
            snap = Snapshot(self.path, ["meta.json", "offsets.npy"], then=self._read_meta)
            files = shard_files(self.meta)
            single = self.meta.get("token_shards") is None
            self.tokens = np.load(snap.path(SINGLE), mmap_mode="r") if single else None
            self._shards = TokenShards([str(self.path / f) for f, _ in files], [snap.take(f) for f, _ in files],
                                       [n for _, n in files])
            if not single:
                self.tokens = ShardedTokens(self._shards)
            self.offsets = np.load(snap.path("offsets.npy"), mmap_mode="r")
            self.vocab = Vocabulary.load(self.path / "vocab.tsv")
            self.vocab.total_tokens = int(self.meta["total_tokens"])
            snap.close()
            self._verify()
        except (OSError, ValueError, EOFError, KeyError, TypeError) as e:
            raise StoreError(f"{self.path} is not a complete encoded corpus ({e})") from None

    def _read_meta(self, snap: Snapshot) -> list[str]:
        """Read meta.json from the snapshot; the token files it lists, to open with it."""
        self.meta = json.loads(snap.read_text("meta.json"))
        if not isinstance(self.meta, dict) or self.meta.get("format") != "wordlab-encoded-corpus":
            raise ValueError("not an encoded corpus's meta.json")
        names = [f for f, _ in shard_files(self.meta)]
        room_for_descriptors(len(names))
        return names

    def _verify(self) -> None:
        """Refuse a damaged encoding: trainers index weight rows by these ids, so an id
        outside the vocabulary must never reach them."""
        t, o, n_words = self.tokens, self.offsets, len(self.vocab)
        if t.ndim != 1 or t.dtype != np.int32 or o.ndim != 1 or o.dtype != np.int64 or o.shape[0] < 1:
            raise ValueError("tokens.npy must be 1-D int32 and offsets.npy 1-D int64")
        if t.shape[0] != self.meta.get("n_tokens") or o.shape[0] - 1 != self.meta.get("n_sentences") \
                or n_words != self.meta.get("vocab_size"):
            raise ValueError("the array sizes differ from meta.json")
        if int(o[0]) != 0 or int(o[-1]) != t.shape[0]:
            raise ValueError("offsets.npy does not span tokens.npy")
        for a in range(0, o.shape[0], _CHUNK):
            if (np.diff(np.asarray(o[max(a - 1, 0):a + _CHUNK])) < 0).any():
                raise ValueError("offsets.npy is not increasing")
        for a in range(0, t.shape[0], _CHUNK):
            chunk = self.read_tokens(a, min(a + _CHUNK, t.shape[0]))
            if chunk.size and (int(chunk.min()) < 0 or int(chunk.max()) >= n_words):
                raise ValueError("tokens.npy holds ids outside the vocabulary")

    def read_tokens(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Token ids ``start:stop`` copied into a private buffer by ``pread``.

        Unlike slicing ``tokens``, this maps no pages into the process, so a trainer that
        streams the corpus keeps a resident set independent of the corpus length.
        Thread-safe; reads across shards (:mod:`wordlab.corpus.shards`).
        """
        return self._shards.read(start, stop, out)

    @property
    def token_shards(self) -> TokenShards:
        """The token files (one, or the shards of a Dask encoding) and where each starts."""
        return self._shards

    @property
    def n_tokens(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def dropped_tokens(self) -> int:
        """Tokens of words outside the vocabulary (below min_count), removed from the stream."""
        return int(self.meta["dropped_tokens"])

    def __len__(self) -> int:
        return int(self.offsets.shape[0]) - 1

    def sentence(self, i: int) -> np.ndarray:
        """Token ids of sentence ``i``."""
        return np.asarray(self.tokens[self.offsets[i]:self.offsets[i + 1]])

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.sentence(i)

    def sentences(self) -> Iterator[list[str]]:
        """Sentences as word lists (words below min_count are absent)."""
        words = self.vocab.words
        for ids in self:
            yield [words[i] for i in ids.tolist()]

    def __repr__(self) -> str:
        return (f"<EncodedCorpus {self.n_tokens:,} tokens in {len(self):,} sentences, "
                f"{len(self.vocab):,} words (min_count={self.meta.get('min_count')}), "
                f"{self.dropped_tokens:,} tokens dropped, at {self.path}>")


def _read_chunks(path: Path) -> Iterator[np.ndarray]:
    """int32 ids of a raw file, a chunk at a time (plain reads: no mapped pages in RSS)."""
    with open(path, "rb") as fh:
        while True:
            chunk = np.fromfile(fh, dtype=np.int32, count=_CHUNK)
            if not chunk.shape[0]:
                return
            yield chunk


def write_encoded(batches: Iterable[list[list[str]]], out: Path, min_count: int = 5,
                  max_size: int | None = None, vocab: Vocabulary | None = None,
                  meta: dict | None = None, *, overwrite: bool = False, owned: bool = False) -> EncodedCorpus:
    """Encode batches of token lists into the directory ``out`` (written atomically).

    With ``vocab`` given, ids refer to it and tokens outside it are dropped;
    ``min_count``/``max_size`` then do not apply. Otherwise the vocabulary is built
    from this corpus. An existing ``out`` is replaced only with ``overwrite`` and when
    it is an encoded corpus; ``owned``: ``out`` is wordlab's own (a cache entry).
    """
    _write_encoded(batches, out, min_count, max_size, vocab, meta,
                   dict(overwrite=overwrite, kinds=None if owned else ("wordlab-encoded-corpus",)))
    # Every string and table of the encoding pass is garbage now; give it back before
    # the caller (typically a trainer) allocates its own.
    trim_heap()
    return EncodedCorpus(out)


def _write_encoded(batches: Iterable[list[list[str]]], out: Path, min_count: int, max_size: int | None,
                   vocab: Vocabulary | None, meta: dict | None, policy: dict) -> None:
    started = time.time()
    fixed_vocab = vocab is not None
    ids = _FirstOccurrenceIds()
    lookup = ids.__getitem__
    lengths = array("q")
    with atomic_directory(out, **policy) as tmp:
        scratch = tmp / _SCRATCH
        n_raw = 0
        with open(scratch, "wb") as fh:
            for batch in batches:
                flat = list(chain.from_iterable(batch))
                np.fromiter(map(lookup, flat), dtype=np.int32, count=len(flat)).tofile(fh)
                lengths.extend(map(len, batch))
                n_raw += len(flat)
        counts = np.zeros(len(ids), dtype=np.int64)
        for chunk in _read_chunks(scratch):
            counts += np.bincount(chunk, minlength=len(ids))
        words = list(ids.keys())
        del ids
        vocab, remap = final_vocabulary(words, counts, n_raw, vocab, min_count, max_size)
        n_kept = int(counts[remap >= 0].sum())

        old_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=old_offsets[1:])
        del lengths
        new_offsets = np.empty_like(old_offsets)
        written = 0
        with open(tmp / "tokens.npy", "wb") as out_fh:
            np.lib.format.write_array_header_1_0(
                out_fh, {"descr": np.dtype(np.int32).str, "fortran_order": False, "shape": (n_kept,)})
            a = 0
            for chunk in _read_chunks(scratch):
                mapped = remap[chunk]
                keep = mapped >= 0
                mapped[keep].tofile(out_fh)
                # Kept tokens before each old sentence start that falls in this chunk.
                lo, hi = np.searchsorted(old_offsets, [a, a + chunk.shape[0]])
                before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
                new_offsets[lo:hi] = written + before[old_offsets[lo:hi] - a]
                written += int(before[-1])
                a += chunk.shape[0]
        new_offsets[np.searchsorted(old_offsets, n_raw):] = written
        scratch.unlink()
        sentence_lengths = np.diff(new_offsets)
        offsets = np.zeros(int(np.count_nonzero(sentence_lengths)) + 1, dtype=np.int64)
        np.cumsum(sentence_lengths[sentence_lengths > 0], out=offsets[1:])
        save_npy(tmp / "offsets.npy", offsets)
        vocab.save(tmp / "vocab.tsv", private=True)
        info = encoded_meta(meta, n_kept, offsets, n_raw, len(words), vocab, fixed_vocab, min_count, max_size,
                            started)
        (tmp / "meta.json").write_text(json.dumps(info, indent=2, ensure_ascii=False), encoding="utf-8")


def final_vocabulary(words: list[str], counts: np.ndarray, n_raw: int, vocab: Vocabulary | None, min_count: int,
                     max_size: int | None) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary of an encoding (``words`` in order of first occurrence with their
    ``counts``; or the given ``vocab``) and each word's final id (-1: dropped)."""
    if vocab is None:
        vocab = Vocabulary(words, counts, total_tokens=n_raw).sorted().pruned(min_count, max_size)
        final_id = {w: i for i, w in enumerate(vocab.words)}
    else:
        final_id = vocab.index
        vocab = Vocabulary(vocab.words, vocab.counts, total_tokens=n_raw)
    return vocab, np.fromiter((final_id.get(w, -1) for w in words), dtype=np.int32, count=len(words))


def encoded_meta(meta: dict | None, n_kept: int, offsets: np.ndarray, n_raw: int, types_seen: int,
                 vocab: Vocabulary, fixed_vocab: bool, min_count: int, max_size: int | None, started: float) -> dict:
    """The ``meta.json`` of an encoded corpus (``meta``: the caller's source and settings)."""
    info = dict(meta or {})
    info.update({
        "format": "wordlab-encoded-corpus", "format_version": FORMAT_VERSION,
        "n_tokens": n_kept, "n_sentences": int(offsets.shape[0] - 1),
        "total_tokens": n_raw, "dropped_tokens": n_raw - n_kept,
        "types_seen": types_seen, "vocab_size": len(vocab),
        "min_count": None if fixed_vocab else min_count,
        "max_size": None if fixed_vocab else max_size, "fixed_vocab": fixed_vocab,
        "encode_seconds": round(time.time() - started, 3),
    })
    return info
