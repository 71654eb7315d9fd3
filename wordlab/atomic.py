"""Atomic outputs, the overwrite rule and exclusive writers: how wordlab writes anything.

This module is the one owner of four rules every output follows.

**Complete or absent.** An output is built under a temporary sibling,
``.NAME.PID-XXXXXXXX.partial``, fsynced, and renamed into place only when complete,
so an interrupted write never leaves something that opens as a valid result.

**Old or new, never neither.** An existing directory is swapped with the new one in
one step (Linux ``renameat2(RENAME_EXCHANGE)``) and only then removed; a file is
replaced by ``rename``. At every instant the path is the old complete output or the
new one. (Where the exchange is not available the old directory is first renamed
aside, and put back if the second rename fails.)

**Replace only what was named for it.** An existing target is refused unless
``overwrite``; ``overwrite`` replaces a file with a file, and a directory only when it
is a wordlab output of the expected kind (its ``meta.json`` says so), never another
directory and never something that appeared after the check.

**One writer at a time** (:mod:`wordlab.locks`). Writing ``NAME`` holds an exclusive lock (``flock``) on
``.NAME.lock`` beside it. A second writer of a user's output gets a
:class:`~wordlab.errors.LockedError` naming the process that holds it; a cache writer
waits for it instead and then reuses what it wrote. The kernel releases the lock of a
killed process, so a lock file left behind is stale by construction and simply
taken over. Holding the lock also proves that the temporary ``.partial`` siblings of
the same name are debris of killed processes: they are removed then
(:func:`remove_stale_partials` cleans any directory on request).
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ._faults import fault_point
from .locks import LOCK_SUFFIX, exclusive, hold_for_process, is_locked, lock_path  # noqa: F401 - part of the API
from .errors import DiskFullError, OutputExistsError, is_disk_full

PARTIAL_SUFFIX = ".partial"
_PARTIAL_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.partial$")

#: Directory formats of wordlab (``meta.json``'s ``format``), by kind of output.
STORE_KINDS = ("wordlab-store",)


# -- names ------------------------------------------------------------------------------------
def temporary_sibling(path: Path) -> Path:
    """``.NAME.PID-XXXXXXXX.partial`` beside ``path``: where an output is built."""
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{PARTIAL_SUFFIX}")


def partial_target(path: Path) -> Path | None:
    """The output a ``.NAME.PID-XXXXXXXX.partial`` file was going to become, else None."""
    m = _PARTIAL_RE.match(path.name)
    return path.with_name(m["name"]) if m else None


# -- stale partials ---------------------------------------------------------------------------
def stale_partials(directory: str | os.PathLike, name: str | None = None) -> list[Path]:
    """``.partial`` files and folders in ``directory`` whose writer is gone (nobody holds
    the lock of the output they were going to become); only those of ``name`` if given."""
    directory = Path(directory)
    found = []
    try:
        children = list(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []
    for p in children:
        target = partial_target(p)
        if target is None or (name is not None and target.name != name):
            continue
        if not is_locked(target):
            found.append(p)
    return sorted(found)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def find_stale_partials(directory: str | os.PathLike, name: str | None = None,
                        recursive: bool = False) -> list[Path]:
    """:func:`stale_partials` of ``directory``, and of every folder below it when
    ``recursive`` (not looking inside the partials themselves)."""
    directory = Path(directory)
    found = stale_partials(directory, name)
    if recursive:
        for dirpath, dirs, _files in os.walk(directory):
            dirs[:] = [d for d in dirs if partial_target(Path(d)) is None]
            for d in dirs:
                found += stale_partials(Path(dirpath) / d, name)
    return found


def remove_partials_of(target: str | os.PathLike) -> list[Path]:
    """Remove the ``.partial`` siblings of ``target``. The caller holds the lock of
    ``target`` (as its first holder), so no live writer is making them: they are the
    debris of killed processes."""
    target = Path(target)
    found = []
    try:
        children = list(target.parent.iterdir())
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []
    for p in children:
        t = partial_target(p)
        if t is not None and t.name == target.name:
            _remove(p)
            found.append(p)
    return found


def remove_stale_partials(directory: str | os.PathLike, name: str | None = None,
                          recursive: bool = False) -> list[Path]:
    """Remove what :func:`find_stale_partials` finds; return the paths removed. Nothing
    else is touched."""
    found = find_stale_partials(directory, name, recursive)
    for p in found:
        _remove(p)
    return found


# -- the overwrite rule -------------------------------------------------------------------------
def output_kind(path: Path) -> str | None:
    """The wordlab format of an existing directory (``meta.json``'s ``format``), else None.
    A directory with ``vectors.npy``, ``vocab.tsv`` and a ``meta.json`` without a format
    (a store of an earlier version) counts as ``wordlab-store``."""
    meta = path / "meta.json"
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None
    if isinstance(info, dict):
        fmt = info.get("format")
        if isinstance(fmt, str) and fmt.startswith("wordlab-"):
            return fmt
        if fmt is None and (path / "vectors.npy").is_file() and (path / "vocab.tsv").is_file():
            return "wordlab-store"
    if (path / "cade.json").is_file():
        return "wordlab-cade"
    return None


def check_target(path: str | os.PathLike, overwrite: bool, *, directory: bool,
                 kinds: Iterable[str] | None = STORE_KINDS) -> None:
    """Refuse an existing ``path`` unless it may be replaced (see the module docstring).

    ``directory``: the output is a directory (else a file). ``kinds``: the wordlab
    formats a replaced directory may have; None means wordlab's own path (a cache entry),
    replaced whatever it holds.
    """
    path = Path(path)
    if not os.path.lexists(path):
        return
    if kinds is None:
        return
    if not overwrite:
        raise OutputExistsError(f"{path} already exists; choose another path, or pass --overwrite "
                                "(overwrite=True) to replace it")
    if path.is_symlink():
        raise OutputExistsError(f"{path} is a symbolic link; --overwrite does not replace links, "
                                "give the path it points to")
    if directory:
        if not path.is_dir():
            raise OutputExistsError(f"{path} is a file, not a wordlab output; --overwrite replaces only a "
                                    "wordlab output of the same kind")
        kind = output_kind(path)
        kinds = tuple(kinds)
        if kind not in kinds:
            what = "a directory that is not a wordlab output" if kind is None else f"a {kind[8:]} directory"
            raise OutputExistsError(f"{path} is {what}; --overwrite replaces only a "
                                    f"{' or '.join(k[8:] for k in kinds)}, never another directory")
    elif path.is_dir():
        raise OutputExistsError(f"{path} is a directory; --overwrite replaces a file, never a directory")


# -- renames ------------------------------------------------------------------------------------
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2
_AT_FDCWD = -100
try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
except (AttributeError, OSError, TypeError):  # pragma: no cover - not glibc 2.28+
    _renameat2 = None


def _rename2(src: Path, dst: Path, flags: int) -> bool:
    """renameat2 with ``flags``; False when the system or the filesystem lacks it."""
    if _renameat2 is None:  # pragma: no cover
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(dst))


def _publish_new(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``, which must not exist (never silently replaced)."""
    if not _rename2(tmp, final, _RENAME_NOREPLACE):  # pragma: no cover - old systems
        if os.path.lexists(final):
            raise FileExistsError(errno.EEXIST, "appeared during the write", str(final))
        os.rename(tmp, final)


def _publish_over(tmp: Path, final: Path) -> None:
    """Put ``tmp`` (a directory) in place of the existing ``final``, then remove the old one."""
    if _rename2(tmp, final, _RENAME_EXCHANGE):
        fault_point("atomic.exchanged")
        _remove(tmp)     # the old output now lives at the temporary name
        return
    old = temporary_sibling(final)          # pragma: no cover - no renameat2
    os.replace(final, old)
    try:
        fault_point("atomic.moved-aside")
        os.replace(tmp, final)
    except BaseException:
        os.replace(old, final)               # put the previous one back
        raise
    _remove(old)


def publish_directory(tmp: Path, final: Path, overwrite: bool, kinds: Iterable[str] | None = STORE_KINDS) -> None:
    """Put the complete directory ``tmp`` at ``final`` (new, or exchanged with the existing
    one when the overwrite rule allows). The caller holds the lock of ``final``."""
    check_target(final, overwrite, directory=True, kinds=kinds)
    if os.path.lexists(final):
        _publish_over(tmp, final)
    else:
        _publish_new(tmp, final)
    _fsync_path(final.parent, directory=True)


def discard_directory(path: Path) -> None:
    """Remove a directory of wordlab's own: renamed to a ``.partial`` name first, so a
    kill halfway through leaves debris that is recognised and cleaned, never a
    half-deleted directory under the original name."""
    if not os.path.lexists(path):
        return
    aside = temporary_sibling(path)
    os.rename(path, aside)
    fault_point("atomic.discarding")
    _remove(aside)


# -- reading a directory that may be replaced ----------------------------------------------
class Snapshot:
    """Files of one directory opened together, so that later (lazy) reads see one version
    of it even when a writer replaces the directory meanwhile: the exchange in
    :func:`publish_directory` moves the old directory aside, and open files outlive it.

    ``names`` must exist, ``optional`` may; ``then(snapshot)``, called with those open,
    names more files to open from the same directory (ones that ``meta.json`` lists).
    :meth:`path` gives a name to hand to
    ``np.load(..., mmap_mode="r")`` that maps the very file opened here (Linux
    ``/proc/self/fd``; elsewhere the plain path).
    """

    def __init__(self, directory: str | os.PathLike, names: Iterable[str], optional: Iterable[str] = (),
                 then: Callable[["Snapshot"], Iterable[str]] | None = None):
        self.directory = Path(directory)
        self._fds: dict[str, int] = {}
        dfd = os.open(self.directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            for name in names:
                self._fds[name] = os.open(name, os.O_RDONLY, dir_fd=dfd)
            for name in optional:
                try:
                    self._fds[name] = os.open(name, os.O_RDONLY, dir_fd=dfd)
                except FileNotFoundError:
                    pass
            for name in (then(self) if then is not None else ()):
                if name not in self._fds:
                    self._fds[name] = os.open(name, os.O_RDONLY, dir_fd=dfd)
        except BaseException:
            self.close()
            raise
        finally:
            os.close(dfd)

    def has(self, name: str) -> bool:
        return name in self._fds

    def path(self, name: str) -> str:
        proc = f"/proc/self/fd/{self._fds[name]}"
        return proc if os.path.exists(proc) else str(self.directory / name)

    def dup(self, name: str) -> int:
        """A new file descriptor of ``name``, for the caller to keep (and close)."""
        return os.dup(self._fds[name])

    def take(self, name: str) -> int:
        """The descriptor of ``name``, handed over to the caller (to keep, and close)."""
        return self._fds.pop(name)

    def read_bytes(self, name: str) -> bytes:
        with os.fdopen(os.dup(self._fds[name]), "rb") as fh:
            fh.seek(0)
            return fh.read()

    def read_text(self, name: str) -> str:
        return self.read_bytes(name).decode("utf-8")

    def release(self, name: str) -> None:
        fd = self._fds.pop(name, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for name in list(self._fds):
            self.release(name)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# -- durability ---------------------------------------------------------------------------------
def _fsync_path(path: Path, directory: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if is_disk_full(e):
            raise
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and folder under ``root`` (before it is renamed into place)."""
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            _fsync_path(Path(dirpath) / f)
        _fsync_path(Path(dirpath), directory=True)


def _disk_full(exc: OSError, path: Path, tmp: Path) -> DiskFullError:
    """The error to show for a full disk while ``tmp`` was being written for ``path``:
    named by the final path (the temporary name means nothing to a user)."""
    if isinstance(exc, DiskFullError):
        where = exc.path
        if where.startswith(str(tmp)):
            where = str(path) + where[len(str(tmp)):]
        return DiskFullError(where, exc.needed, exc.reason)
    reason = "file size limit exceeded" if exc.errno == errno.EFBIG else "no space left on device"
    return DiskFullError(path, None, reason)


# -- the two writers ----------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, overwrite: bool = False, *,
                     kinds: Iterable[str] | None = STORE_KINDS, wait: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary directory that becomes ``path`` when the block succeeds.

    ``overwrite`` and ``kinds`` follow :func:`check_target` (``kinds=None``: a path of
    wordlab's own, such as a cache entry, replaced whatever it holds). The lock of
    ``path`` is held throughout (``wait`` as in :func:`exclusive`). On any exception
    the temporary directory is removed and ``path`` is untouched; a full disk becomes
    a :class:`DiskFullError` naming ``path``.
    """
    final = Path(path)
    check_target(final, overwrite, directory=True, kinds=kinds)
    final.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(final, wait=wait) as first:
        if first:
            remove_partials_of(final)
        check_target(final, overwrite, directory=True, kinds=kinds)
        tmp = temporary_sibling(final)
        tmp.mkdir()
        try:
            yield tmp
            fsync_tree(tmp)
            fault_point("atomic.directory-complete")
            publish_directory(tmp, final, overwrite, kinds)   # checks again: it may have appeared meanwhile
        except OSError as e:
            _remove(tmp)
            if is_disk_full(e):
                raise _disk_full(e, final, tmp) from None
            raise
        except BaseException:
            _remove(tmp)
            raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", *, overwrite: bool = False, private: bool = False,
                wait: bool = False, **open_kwargs) -> Iterator:
    """Open a temporary file that becomes ``path`` when the block succeeds.

    ``overwrite`` follows :func:`check_target` for files. ``private=True`` is for a
    path inside a directory wordlab owns and is writing alone (a temporary or work
    directory): no lock, and an existing file is replaced.
    """
    final = Path(path)
    if not private:
        check_target(final, overwrite, directory=False, kinds=())
    final.parent.mkdir(parents=True, exist_ok=True)
    with (contextlib.nullcontext(False) if private else exclusive(final, wait=wait)) as first:
        if first:
            remove_partials_of(final)
        tmp = temporary_sibling(final)
        try:
            with open(tmp, mode, **open_kwargs) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            fault_point("atomic.file-complete")
            if not private:
                check_target(final, overwrite, directory=False, kinds=())
            os.replace(tmp, final)
            _fsync_path(final.parent, directory=True)
        except OSError as e:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            if is_disk_full(e):
                raise _disk_full(e, final, tmp) from None
            raise
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise


def write_json(path: str | os.PathLike, data, *, private: bool = True, overwrite: bool = True) -> None:
    """Write ``data`` as JSON (UTF-8, indented) atomically; by default a private file."""
    with atomic_file(path, "w", encoding="utf-8", private=private, overwrite=overwrite) as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, default=json_default)


def json_default(obj):
    """``json.dumps(default=...)`` for numpy scalars and arrays and paths."""
    import numpy as np
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
