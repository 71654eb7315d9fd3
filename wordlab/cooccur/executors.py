"""Executors: where the map step of a counting pass runs.

A counting pass (:mod:`wordlab.cooccur.count`, and Bit-cipher's context sums) is a
*plan* (segments of whole sentences, plain data), a *map* (a pure, module-level
function ``fn(task)`` of a picklable task naming the encoded corpus's path, one segment,
the settings and an output directory, which writes the segment's partial result there
and returns a small summary) and a *reduce* (the partial results merged, in segment
order). An executor only runs the map::

    executor.map(fn, tasks) -> iterator of fn(task), in the order of ``tasks``

It may run the tasks in any order, concurrently, in other processes or on other
machines sharing the filesystem; the results come back in task order, and the reduce
does not depend on where or when a task ran. ``task_threads`` is how many threads one
task may use (the kernels split a segment's rows among them); ``concurrent_tasks``
how many tasks run at once (the plan divides ``memory_limit`` among them).

``EXECUTORS`` maps a name to a factory ``(workers) -> executor``; :func:`get_executor`
makes one from a name or passes an instance through. A new executor is one class and
one entry in ``EXECUTORS``: "dask" (:class:`wordlab.distributed.DaskExecutor`, on the
current default Dask client) is one. An executor whose ``distributed`` attribute is true
runs on machines that share only the filesystem, and gets row-range tasks instead of
segments (:mod:`wordlab.cooccur.rows`).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, TypeVar

from .._threads import default_workers
from ..errors import ParameterError

T = TypeVar("T")
R = TypeVar("R")


class Executor:
    """Base class: run the tasks one after another in this thread (see module docstring)."""

    name = "?"

    def __init__(self, workers: int | None = None):
        self.workers = int(workers) if workers else default_workers()

    @property
    def task_threads(self) -> int:
        """Threads one map task may use."""
        return self.workers

    @property
    def concurrent_tasks(self) -> int:
        """Map tasks running at once (each gets ``memory_limit / concurrent_tasks``)."""
        return 1

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """``fn(task)`` for each task, yielded in task order."""
        for task in tasks:
            yield fn(task)


class ThreadExecutor(Executor):
    """The default: segments one at a time in this process, each counted by ``workers``
    threads (the kernels release the GIL)."""

    name = "thread"


class SerialExecutor(Executor):
    """For debugging: every task in the calling thread, one thread each (a debugger or a
    profiler sees the whole pass)."""

    name = "serial"

    @property
    def task_threads(self) -> int:
        return 1


def _dask(workers: int | None = None) -> Any:
    from ..distributed import DaskExecutor
    return DaskExecutor()


#: name -> executor factory (``executor=`` of :func:`~wordlab.cooccur.count_cooccurrences`)
EXECUTORS: dict[str, Callable[[int | None], Any]] = {"thread": ThreadExecutor, "serial": SerialExecutor,
                                                     "dask": _dask}
DEFAULT_EXECUTOR = "thread"


def get_executor(executor: "str | Executor | None", workers: int | None = None, client: Any = None) -> Executor:
    """An executor from its name in :data:`EXECUTORS` (``workers`` threads), ``executor``
    itself when it already is one, or a Dask executor on ``client`` when one is given."""
    if client is not None:
        if executor not in (None, "dask"):
            raise ParameterError(f"give client= or executor=, not both (executor={executor!r})")
        from ..distributed import DaskExecutor
        return DaskExecutor(client)
    if executor is None:
        executor = DEFAULT_EXECUTOR
    if isinstance(executor, str):
        if executor not in EXECUTORS:
            raise ParameterError(f"executor must be one of {', '.join(map(repr, EXECUTORS))}, not {executor!r}")
        return EXECUTORS[executor](workers)
    if not (callable(getattr(executor, "map", None)) and hasattr(executor, "task_threads")
            and hasattr(executor, "concurrent_tasks")):
        raise ParameterError(f"executor must be a name ({', '.join(map(repr, EXECUTORS))}) or an object with map, "
                             f"task_threads and concurrent_tasks, not {executor!r}")
    return executor
