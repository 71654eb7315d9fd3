"""Thread helpers shared by the Numba-backed steps (counting, trainers)."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable


def default_workers() -> int:
    """The number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_threads(task: Callable[[int], None], n_threads: int) -> None:
    """Run ``task(t)`` for t in 0..n_threads-1 in parallel (``nogil`` kernels) and
    re-raise the first exception."""
    if n_threads == 1:
        task(0)
        return
    with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="wordlab") as pool:
        for future in [pool.submit(task, t) for t in range(n_threads)]:
            future.result()
