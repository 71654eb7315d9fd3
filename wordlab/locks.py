"""Exclusive writers: the lock of an output (the rule "one writer at a time" of
:mod:`wordlab.atomic`, which re-exports these names).

Writing ``NAME`` holds an exclusive lock (``flock``) on ``.NAME.lock`` beside it. A
second writer of a user's output gets a :class:`~wordlab.errors.LockedError` naming
the process that holds it; a cache writer waits for it instead. The kernel releases
the lock of a killed process, so a lock file left behind is stale by construction and
simply taken over.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from .errors import LockedError

try:  # pragma: no cover - always there on Linux and macOS
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None

LOCK_SUFFIX = ".lock"


def lock_path(target: str | os.PathLike) -> Path:
    """The lock file of ``target``: ``.NAME.lock`` beside it."""
    target = Path(os.path.abspath(target))
    return target.with_name(f".{target.name}{LOCK_SUFFIX}")


# -- locks ------------------------------------------------------------------------------------
_held: dict[tuple[str, int], list] = {}     # (lock path, thread id) -> [fd, depth]
_held_guard = threading.Lock()


def _holder_description() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "since": _dt.datetime.now().isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:])[:200] if sys.argv else "python"}


def _describe_holder(fd: int) -> str:
    # The holder writes its description just after taking the lock: give it a moment.
    info: object = {}
    for _ in range(20):
        try:
            info = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
        except (OSError, ValueError):
            info = {}
        if isinstance(info, dict) and "pid" in info:
            break
        time.sleep(0.01)
    if not isinstance(info, dict) or "pid" not in info:
        return "another process"
    return (f"process {info['pid']} on {info.get('host', '?')} ({info.get('command', '?')}, "
            f"since {info.get('since', '?')})")


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as e:  # pragma: no cover - a filesystem without locks: proceed unlocked
        if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
            return True
        raise


@contextlib.contextmanager
def exclusive(target: str | os.PathLike, *, wait: bool = False, what: str = "output") -> Iterator[bool]:
    """Hold the exclusive lock of ``target`` for the block.

    ``wait=False`` raises :class:`LockedError` naming the holder when another process
    (or thread) holds it; ``wait=True`` blocks until it is released. Re-entrant within
    a thread. Yields True when this call took the lock (False when re-entered), so the
    caller knows whether partials of ``target`` may be cleaned.
    """
    if fcntl is None:  # pragma: no cover
        yield True
        return
    lock = lock_path(target)
    key = (str(lock), threading.get_ident())
    with _held_guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield False
        finally:
            with _held_guard:
                entry[1] -= 1
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(lock, Path(target), wait, what)
    with _held_guard:
        _held[key] = [fd, 1]
    try:
        yield True
    finally:
        with _held_guard:
            del _held[key]
        with contextlib.suppress(OSError):
            os.unlink(lock)          # while still holding it: see _acquire
        os.close(fd)


def _acquire(lock: Path, target: Path, wait: bool, what: str) -> int:
    announced = False
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            if not _try_lock(fd):
                holder = _describe_holder(fd)
                if not wait:
                    raise LockedError(f"{target} is being written by {holder}; wait for it to finish or "
                                      f"choose another {what}")
                if not announced:
                    print(f"wordlab: waiting for {holder}, which is writing {target}", file=sys.stderr)
                    announced = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            # A releasing holder unlinks the file before closing it: make sure the file we
            # locked is still the one at the path, or two writers would hold two inodes.
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(_holder_description()).encode("utf-8"), 0)
            return fd
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise


def is_locked(target: str | os.PathLike) -> bool:
    """True when some process (this one included) holds the lock of ``target``."""
    if fcntl is None:  # pragma: no cover
        return False
    lock = lock_path(target)
    with _held_guard:
        if any(k[0] == str(lock) for k in _held):
            return True
    try:
        fd = os.open(lock, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return False
    except OSError:
        return True      # cannot tell: assume in use
    try:
        if _try_lock(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)


def hold_for_process(target: str | os.PathLike) -> None:
    """Take the lock of ``target`` and keep it until the process exits (a directory
    in use for the whole run, such as a temporary directory)."""
    import atexit
    stack = contextlib.ExitStack()
    stack.enter_context(exclusive(target))
    _process_locks.append(stack)
    atexit.register(stack.close)


_process_locks: list[contextlib.ExitStack] = []
