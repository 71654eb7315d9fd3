"""The token ids of an encoded corpus: one ``tokens.npy``, or a sharded set of them.

The single-machine encoder writes one ``tokens.npy``. The Dask encoder
(:mod:`wordlab.corpus.encode_distributed`) leaves one shard per input partition where
its task wrote it (``tokens-NNNNN.npy``, in corpus order) and lists them in
``meta.json``::

    "token_shards": [{"file": "tokens-00000.npy", "n_tokens": 1048576}, ...]

so no process ever copies the whole stream. Shards are cut where the partitions were,
not at sentence ends: a sentence may continue in the next shard. Everything that reads
token ids goes through this module, so both layouts read the same:
:class:`TokenShards` reads any range ``start:stop`` by ``pread`` across the files
(thread-safe, no mapped pages), and its ``arrays`` and ``bases`` give each shard
memory-mapped with the corpus position where it starts (for kernels); and :class:`ShardedTokens` is
the read-only, array-like ``EncodedCorpus.tokens`` of a sharded corpus.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

SINGLE = "tokens.npy"
SHARD_NAME = "tokens-{:05d}.npy"


def shard_files(meta: dict) -> list[tuple[str, int]]:
    """(file name, tokens) of each shard in corpus order, from an encoded corpus's
    ``meta.json`` (a single ``tokens.npy`` is one shard)."""
    listed = meta.get("token_shards")
    if listed is None:
        return [(SINGLE, int(meta["n_tokens"]))]
    if not isinstance(listed, list) or not all(isinstance(s, dict) for s in listed):
        raise ValueError("token_shards in meta.json must be a list of {file, n_tokens}")
    out = [(str(s["file"]), int(s["n_tokens"])) for s in listed]
    if any(os.path.basename(f) != f or not f.endswith(".npy") for f, _ in out):
        raise ValueError("token_shards in meta.json names a file outside the corpus directory")
    if sum(n for _, n in out) != int(meta["n_tokens"]):
        raise ValueError("the token shards' sizes do not add up to n_tokens")
    return out


def room_for_descriptors(n: int, spare: int = 256) -> None:
    """Raise this process's soft limit on open files (often 1,024) toward the hard one when
    ``n`` more are about to be held open: a corpus keeps one per shard."""
    try:
        import resource
    except ImportError:          # not POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + spare + len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else n + 4 * spare
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(hard, want)
        if new > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def shard_bases(sizes: Sequence[int]) -> np.ndarray:
    """int64 (n_shards + 1,): the corpus position where each shard starts, then the end."""
    bases = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(np.asarray(sizes, dtype=np.int64), out=bases[1:])
    return bases


def _data_offset(fd: int) -> tuple[int, np.dtype, tuple[int, ...]]:
    with os.fdopen(os.dup(fd), "rb") as fh:
        fh.seek(0)
        version = np.lib.format.read_magic(fh)
        shape, _fortran, dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                  else np.lib.format.read_array_header_2_0)(fh)
        return fh.tell(), dtype, shape


class TokenShards:
    """Token ids ``start:stop`` of a corpus, read by ``pread`` across its shard files.

    Parameters
    ----------
    names : list of str
        The shard files (for messages).
    fds : list of int
        An open descriptor of each shard, owned by this object from now on.
    sizes : list of int
        The tokens of each shard; each file is checked to be a 1-D int32 ``.npy`` of
        that length.
    """

    def __init__(self, names: Sequence[str], fds: Sequence[int], sizes: Sequence[int]):
        self.names = list(names)
        self._fds = list(fds)
        self.bases = shard_bases(sizes)
        self._data = []
        for name, fd, n in zip(self.names, self._fds, sizes):
            offset, dtype, shape = _data_offset(fd)
            if dtype != np.int32 or shape != (int(n),):
                raise ValueError(f"{name} is {dtype}{list(shape)}, not int32[{n}] as meta.json says")
            self._data.append(offset)

    @classmethod
    def open(cls, directory: str | os.PathLike, meta: dict | None = None) -> "TokenShards":
        """The shards of the encoded corpus at ``directory``, opened by path (for map tasks,
        which read a corpus that is complete and not replaced while they run)."""
        directory = Path(directory)
        if meta is None:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        files = shard_files(meta)
        room_for_descriptors(len(files))
        fds = []
        try:
            for name, _ in files:
                fds.append(os.open(directory / name, os.O_RDONLY))
            return cls([str(directory / n) for n, _ in files], fds, [n for _, n in files])
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise

    @property
    def n_tokens(self) -> int:
        return int(self.bases[-1])

    def read(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Token ids ``start:stop`` copied into ``out`` (or a new int32 array)."""
        start, stop = int(start), int(stop)
        n = stop - start
        if n < 0 or start < 0 or stop > self.n_tokens:
            raise IndexError(f"tokens {start}:{stop} are outside the corpus's {self.n_tokens}")
        out = np.empty(n, dtype=np.int32) if out is None else out[:n]
        k = int(np.searchsorted(self.bases, start, side="right")) - 1
        done = 0
        while done < n:
            a = start + done - int(self.bases[k])            # position inside shard k
            take = min(n - done, int(self.bases[k + 1] - self.bases[k]) - a)
            if take > 0:
                self._pread(k, a, out[done:done + take])
                done += take
            k += 1
        return out

    def _pread(self, k: int, a: int, out: np.ndarray) -> None:
        view = memoryview(out).cast("B")
        at = self._data[k] + 4 * a
        got = 0
        while got < view.nbytes:       # short reads are legal
            more = os.preadv(self._fds[k], [view[got:]], at + got)
            if more <= 0:
                raise OSError(f"{self.names[k]}: unexpected end of file")
            got += more

    def arrays(self) -> list[np.ndarray]:
        """Each shard memory-mapped, read-only (the very files opened here)."""
        out = []
        for fd, offset, lo, hi in zip(self._fds, self._data, self.bases[:-1], self.bases[1:]):
            n = int(hi - lo)
            out.append(np.zeros(0, np.int32) if n == 0 else
                       np.asarray(np.memmap(_fd_path(fd), dtype=np.int32, mode="r", offset=offset, shape=(n,))))
        return out

    def crossing_sentences(self, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sentences (``offsets``) that span a shard boundary, read into one array:
        (their first token positions int64, where each begins in the array int64, the
        int32 array of their tokens, one after another)."""
        offsets = np.asarray(offsets)
        inner = self.bases[1:-1]
        s = np.unique(np.searchsorted(offsets, inner, side="right") - 1) if inner.shape[0] else np.zeros(0, np.int64)
        s = s[(s >= 0) & (s < offsets.shape[0] - 1)]
        starts, ends = offsets[s], offsets[s + 1]
        inside = np.zeros(s.shape[0], dtype=bool)
        for b in inner:                     # keep those with a boundary strictly inside
            inside |= (starts < b) & (b < ends)
        starts, ends = starts[inside].astype(np.int64), ends[inside].astype(np.int64)
        at = np.zeros(starts.shape[0], dtype=np.int64)
        if starts.shape[0]:
            at[1:] = np.cumsum(ends - starts)[:-1]
        tokens = np.empty(int((ends - starts).sum()), dtype=np.int32)
        for a, lo, hi in zip(at.tolist(), starts.tolist(), ends.tolist()):
            self.read(lo, hi, tokens[a:a + hi - lo])
        return starts, at, tokens

    def close(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    def __del__(self):
        self.close()


def _fd_path(fd: int) -> str:
    proc = f"/proc/self/fd/{fd}"
    if not os.path.exists(proc):
        raise OSError("mapping a shard by descriptor needs /proc/self/fd")
    return proc


class ShardedTokens:
    """The read-only, array-like token ids of a sharded corpus (``EncodedCorpus.tokens``):
    ``len``, ``shape``, ``dtype``, integer and slice indexing (read across shards),
    and ``np.asarray`` (which reads the whole stream: for small corpora and tests)."""

    ndim = 1
    dtype = np.dtype(np.int32)

    def __init__(self, shards: TokenShards):
        self._shards = shards
        self.shape = (shards.n_tokens,)
        self.size = shards.n_tokens

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.size)
            if step == 1:
                return self._shards.read(start, max(start, stop))
            return np.asarray(self)[key]
        if isinstance(key, (int, np.integer)):
            i = int(key) + (self.size if key < 0 else 0)
            if not 0 <= i < self.size:
                raise IndexError(f"token {int(key)} is outside the corpus's {self.size}")
            return self._shards.read(i, i + 1)[0]
        return np.asarray(self)[key]

    def __array__(self, dtype=None, copy=None):
        out = self._shards.read(0, self.size)
        return out if dtype is None else out.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"<ShardedTokens {self.size:,} int32 ids in {len(self._shards.names)} shards>"
