"""The on-disk cache: its layout, keys tied to content, listing and cleaning.

Everything wordlab derives and keeps for reuse lives under :func:`cache_root`
(``$WORDLAB_CACHE``, default ``~/.cache/wordlab``)::

    corpora/KEY/     encoded corpora              (key: input contents + settings)
    cooccur/KEY/     co-occurrence matrices       (key: encoded corpus + counting settings)
    stores/KEY/      vector files read as stores  (key: file contents + reader settings)
    unit/KEY.npy     unit-length rows of a store  (key: the contents of its vectors.npy)
    ann/KEY/         approximate indexes          (key: the store's matrix contents + settings)
    digests/KEY      content digests of files     (key: the file's identity, see below)
    tmp/             results nobody asked to keep (removed when their process exits)
    runs/            default outputs of ``Trainer.fit`` without ``out``: user data, never
                     cleaned unless asked for by name
    crash/           tracebacks of internal errors (the CLI names the file)

**Keys are tied to content.** A file's key material is its BLAKE2b digest, not its
name or modification time, so a file edited in place (even with its size and mtime
restored) gets a new key. Hashing is paid once per version of a file: the digest is
remembered under the file's identity (device, inode, size, mtime and ctime; the ctime
cannot be set back by a user, and any write changes it). Entries are written
atomically under a lock (:mod:`wordlab.atomic`); a second process that wants the same
entry waits for the first and reuses its result.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import stat as _stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from .atomic import atomic_file, exclusive, is_locked, partial_target, remove_partials_of, remove_stale_partials
from .paths import cache_root

KINDS = ("corpora", "cooccur", "stores", "unit", "ann", "digests", "tmp", "runs", "crash")
#: Kinds ``wordlab cache clean --all`` removes; ``runs`` holds user results and is only
#: removed when named.
DISPOSABLE = ("corpora", "cooccur", "stores", "unit", "ann", "digests", "tmp", "crash")
_HASH_BLOCK = 1 << 22


def entry_key(material) -> str:
    """A short stable key for JSON-able ``material``."""
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:20]


def entry_path(kind: str, material) -> Path:
    """``cache_root()/kind/KEY`` for ``material``."""
    return cache_root() / kind / entry_key(material)


T = TypeVar("T")


def get_or_build(entry: Path, open_entry: Callable[[Path], T | None], build: Callable[[Path], T]) -> T:
    """The cache entry at ``entry``: opened when complete (``open_entry`` returns None for an
    absent or damaged one), else built by ``build`` under the entry's lock. A second
    process asking for the same entry waits for the first, then opens what it built."""
    found = open_entry(entry)
    if found is not None:
        return found
    with exclusive(entry, wait=True, what="cache entry") as first:
        found = open_entry(entry)
        if found is not None:
            return found
        if first:
            remove_partials_of(entry)          # unfinished builds of killed processes
        return build(entry)


# -- content digests ------------------------------------------------------------------------------
def is_regular_file(path: str | os.PathLike) -> bool:
    """True for a regular file (or a link to one); False for FIFOs, devices, directories."""
    try:
        return _stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def file_identity(path: str | os.PathLike) -> str:
    """What changes whenever the file's content may have changed (see module docstring):
    device, inode, size, mtime and ctime. Not the name: a file opened through
    ``/proc/self/fd`` has the identity of the file it is."""
    st = os.stat(path)
    return f"{st.st_dev}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}"


def content_digest(path: str | os.PathLike, name: str | os.PathLike | None = None) -> str:
    """BLAKE2b (256 bits, hex) of a regular file's bytes, remembered by file identity.
    ``name``: the path to record for listings when ``path`` is a snapshot's."""
    path = Path(path)
    identity = file_identity(path)
    memo = cache_root() / "digests" / hashlib.sha256(identity.encode()).hexdigest()[:32]
    try:
        saved = memo.read_text(encoding="utf-8").split("\n")
        if len(saved) >= 3 and saved[1] == identity and len(saved[2]) == 64:
            return saved[2]
    except (OSError, UnicodeDecodeError):
        pass
    h = hashlib.blake2b(digest_size=32)
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_HASH_BLOCK)
            if not block:
                break
            h.update(block)
    digest = h.hexdigest()
    if file_identity(path) == identity:       # unchanged while hashing: safe to remember
        try:
            with atomic_file(memo, "w", encoding="utf-8", overwrite=True, wait=True) as fh:
                fh.write(f"{os.path.abspath(name if name is not None else path)}\n{identity}\n{digest}\n")
        except OSError:
            pass                               # a read-only cache only costs a rehash
    return digest


# -- listing ------------------------------------------------------------------------------------------
@dataclass
class CacheEntry:
    kind: str
    path: Path
    bytes: int
    modified: float
    in_use: bool
    stale: bool          # debris or derived from something that changed: safe to remove
    what: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "path": str(self.path), "bytes": self.bytes,
                "modified": _dt.datetime.fromtimestamp(self.modified).isoformat(timespec="seconds"),
                "in_use": self.in_use, "stale": self.stale, "what": self.what}


def _size(path: Path) -> int:
    if path.is_symlink() or not path.is_dir():
        try:
            return path.lstat().st_size
        except OSError:
            return 0
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def _describe(kind: str, path: Path) -> tuple[str, bool]:
    """(what the entry came from, whether it is stale)."""
    if partial_target(path) is not None:
        return "unfinished write", not is_locked(partial_target(path))
    try:
        if kind == "digests":
            source, identity = path.read_text(encoding="utf-8").split("\n")[:2]
            try:
                return source, file_identity(source) != identity
            except OSError:
                return source + " (gone)", True
        if kind == "unit" and path.suffix == ".json":
            info = json.loads(path.read_text(encoding="utf-8"))
            source = info.get("source", "?")
            try:
                return source, file_identity(source) != info.get("identity")
            except OSError:
                return source + " (gone)", True
        if kind == "tmp":
            return "temporary results", not is_locked(path)
        meta = path / "meta.json"
        if meta.is_file():
            info = json.loads(meta.read_text(encoding="utf-8"))
            if kind == "stores":
                return str(info.get("source_file", "?")), False
            if kind == "corpora":
                files = (info.get("source") or {}).get("files") or []
                return ", ".join(str(f[0]) for f in files[:3]) + (" ..." if len(files) > 3 else ""), False
            if kind == "cooccur":
                return f"window {info.get('window')}, {info.get('weighting')}, {info.get('n_words', '?')} words", False
            if kind == "runs":
                return str(info.get("method", "?")), False
            if kind == "ann":
                source = str(info.get("source", "?"))
                try:
                    return source, file_identity(Path(source) / "vectors.npy") != info.get("identity")
                except OSError:
                    return source + " (gone)", True
        if kind == "crash":
            return "traceback", False
    except (OSError, ValueError, AttributeError, IndexError, TypeError):
        return "unreadable", kind in DISPOSABLE
    return "", False


def entries(kinds: Iterable[str] = KINDS) -> Iterator[CacheEntry]:
    """Every entry of the cache in ``kinds`` (unit vectors: the array and its record)."""
    root = cache_root()
    for kind in kinds:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.endswith(".lock") or (kind == "unit" and path.suffix == ".json"):
                continue
            target = partial_target(path)
            in_use = is_locked(target if target is not None else path)
            what, stale = _describe(kind, path)
            if kind == "unit" and path.suffix == ".npy" and target is None:
                record = path.with_suffix(".json")
                what, stale = _describe(kind, record) if record.is_file() else ("", True)
            try:
                modified = path.lstat().st_mtime
            except OSError:
                continue
            yield CacheEntry(kind, path, _size(path), modified, in_use, stale and not in_use, what)


def clean(kinds: Iterable[str] | None = None, *, older_than_days: float | None = None,
          dry_run: bool = False) -> list[CacheEntry]:
    """Remove cache entries; return those removed (or that would be, with ``dry_run``).

    Without ``kinds``, only what is stale goes: unfinished writes of killed processes,
    temporary folders of exited processes, digests and unit vectors of files that have
    changed or gone. With ``kinds``, every entry of those kinds (``older_than_days``:
    only those not modified for that long). Entries in use are never removed.
    """
    chosen = KINDS if kinds is None else tuple(kinds)
    removed = []
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
    for entry in list(entries(chosen)):
        if entry.in_use:
            continue
        if kinds is None and not entry.stale:
            continue
        if cutoff is not None and entry.modified > cutoff:
            continue
        removed.append(entry)
        if not dry_run:
            if entry.path.is_dir() and not entry.path.is_symlink():
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                entry.path.unlink(missing_ok=True)
            if entry.kind == "unit" and entry.path.suffix == ".npy":
                entry.path.with_suffix(".json").unlink(missing_ok=True)
    if not dry_run:
        root = cache_root()
        if root.is_dir():
            remove_stale_partials(root, recursive=True)
    return removed


def clean_partials(directories: Iterable[str | os.PathLike], recursive: bool = True) -> list[Path]:
    """Remove stale ``.partial`` files and folders (of killed wordlab processes) in
    ``directories``; nothing else is touched."""
    removed: list[Path] = []
    for d in directories:
        removed += remove_stale_partials(d, recursive=recursive)
    return removed
