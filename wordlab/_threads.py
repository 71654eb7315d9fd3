"""Worker threads, one mechanism for every Numba-backed step.

``workers`` means the same everywhere (default: every CPU this process may use):
:func:`run_threads` runs ``nogil`` kernels in that many Python threads (trainers,
counting), :func:`run_split` splits one short call (a query's scores) over threads
that stay started, and :func:`numba_threads` caps the threads of Numba's
``parallel=True`` kernels (the top-k search of alignment and retrieval) for a block.
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Callable, Iterator


def default_workers() -> int:
    """The number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_threads(task: Callable[[int], None], n_threads: int, *, poll: Callable[[], None] | None = None,
                on_error: Callable[[], None] | None = None, interval: float = 0.5) -> None:
    """Run ``task(t)`` for t in 0..n_threads-1 in parallel (``nogil`` kernels) and
    re-raise the first exception.

    ``poll()`` is called about every ``interval`` seconds while they run (progress; with
    it, a single task runs in a thread too, so that it is polled);
    ``on_error()`` as soon as one fails or the wait is interrupted, so the others can
    stop early (they should watch an event it sets)."""
    if n_threads == 1 and poll is None:
        task(0)
        return
    with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="wordlab") as pool:
        futures = [pool.submit(task, t) for t in range(n_threads)]
        try:
            while True:
                done, pending = wait(futures, timeout=interval, return_when=FIRST_EXCEPTION)
                if poll is not None:
                    poll()
                if not pending or any(f.exception() for f in done):
                    break
        except BaseException:
            if on_error is not None:
                on_error()
            raise
        if on_error is not None and any(f.exception() for f in futures if f.done()):
            on_error()
        for future in futures:
            future.result()


_split_pool: ThreadPoolExecutor | None = None
_split_lock = threading.Lock()


def _forget_split_pool() -> None:
    """In a forked child the pool's threads do not exist: start a new pool when asked."""
    global _split_pool, _split_lock
    _split_pool, _split_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_split_pool)


def run_split(task: Callable[[int], None], n_parts: int) -> None:
    """Run ``task(t)`` for t in 0..n_parts-1: part 0 in the calling thread, the others
    in a pool of ``default_workers() - 1`` threads started once per process, and re-raise
    the first exception. For work of a millisecond or less (a query against a store),
    where starting threads would cost more than they save; handing a part to a started
    thread costs a fraction of that. The pool's threads only run tasks, never wait on
    one, so callers in several threads at once cannot deadlock."""
    global _split_pool
    if n_parts <= 1:
        task(0)
        return
    with _split_lock:
        if _split_pool is None:
            _split_pool = ThreadPoolExecutor(max_workers=max(1, default_workers() - 1),
                                             thread_name_prefix="wordlab-split")
        pool = _split_pool
    futures = [pool.submit(task, t) for t in range(1, n_parts)]
    try:
        task(0)
    finally:
        errors = [f.exception() for f in futures]   # waits for every part, even after a failure
    for error in errors:
        if error is not None:
            raise error


@contextlib.contextmanager
def numba_threads(workers: int | None) -> Iterator[int]:
    """Cap the threads of Numba's parallel kernels called from this thread at
    ``workers`` (None: all that Numba started) for the block; yields the number used."""
    import numba
    limit = numba.config.NUMBA_NUM_THREADS
    n = limit if workers is None else max(1, min(int(workers), limit))
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(before)
