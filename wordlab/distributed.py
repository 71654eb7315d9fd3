"""Running wordlab's heavy stages on a Dask cluster (optional: ``pip install 'wordlab[dask]'``).

The single-machine path is the default and does not import Dask. A stage that can run
on a cluster takes ``client=`` (a :class:`dask.distributed.Client`) in Python, or
``--dask SPEC`` on the command line, where :func:`session` turns ``SPEC`` into a client:

* ``local`` / ``local:N``: a :class:`~dask.distributed.LocalCluster` of N worker
  processes (default: one per core), one thread each, for the life of the command;
* ``tcp://HOST:PORT`` (any address Dask accepts): a running scheduler, started with
  ``dask scheduler`` and joined by ``dask worker tcp://HOST:PORT`` processes.

**The shared-filesystem rule.** Tasks exchange no arrays through Dask: every task reads
its inputs from, and writes its output to, paths that the client and every worker see
under the same name (an NFS or Lustre mount, or one machine's disk for a local
cluster); Dask carries only the tasks' small descriptions and summaries.
:meth:`DaskExecutor.check_paths` asks every worker before the first task and names the
worker and the path it cannot see. Each worker must have the same wordlab installed.

**Faults.** A task writes its output under a temporary name and publishes it with a
rename, so a task that dies leaves nothing that a result reads; Dask reruns the tasks of
a worker that died (up to ``distributed.scheduler.allowed-failures`` times), and since a
task is a pure function of its description, the rerun writes the same bytes.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .errors import ParameterError, WordlabError

#: what ``--dask`` accepts, for help texts and errors
SPEC_HELP = "local, local:N (N worker processes) or a scheduler address such as tcp://HOST:PORT"
CONNECT_TIMEOUT_S = 10


def publish_file(path: Path, write: Callable[[Path], None]) -> None:
    """A task's output file: ``write(tmp)`` under a temporary name beside ``path``, then a
    rename, so a reader finds the whole file or none, and a rerun of the task (which
    writes the same bytes) replaces it harmlessly."""
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def publish_npy(array: np.ndarray, path: Path) -> None:
    """:func:`publish_file` of one ``.npy`` array."""
    from .npyio import save_npy
    publish_file(path, lambda tmp: save_npy(tmp, array))


class PhaseClock:
    """Seconds of the client's phases of a distributed stage, summed by name: each
    :meth:`lap` ends the phase that began at the previous lap (or at :meth:`restart`)."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def restart(self) -> None:
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self._last, 4)
        self._last = now

    def take(self) -> dict[str, float]:
        """The sums so far, and start again from none."""
        out, self.laps = self.laps, {}
        return out


class ClusterError(WordlabError):
    """The Dask cluster cannot be used: not installed, not reachable, or a worker that
    cannot see a path."""


def require_dask():
    """The ``distributed`` module, or a one-line error saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ClusterError("running on a Dask cluster needs dask.distributed: pip install 'wordlab[dask]'") from None
    return distributed


@contextlib.contextmanager
def session(spec: "str | Any", *, timeout: float = CONNECT_TIMEOUT_S) -> Iterator[Any]:
    """A client for ``spec`` (see module docstring) for the ``with`` block: a local
    cluster made here is shut down at its end, a client passed in is left open. An
    unreachable scheduler is one :class:`ClusterError` line."""
    distributed = require_dask()
    if isinstance(spec, distributed.Client):
        yield spec
        return
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(f"--dask must be {SPEC_HELP}, not {spec!r}")
    spec = spec.strip()
    if spec == "local" or spec.startswith("local:"):
        n = spec.partition(":")[2]
        if n and not (n.isdigit() and int(n) >= 1):
            raise ParameterError(f"--dask local:N needs a positive number of workers, not {n!r}")
        workers = int(n) if n else max(1, len(os.sched_getaffinity(0)))
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as client:
            yield client
        return
    if "://" not in spec:
        raise ParameterError(f"--dask must be {SPEC_HELP}, not {spec!r}")
    try:
        client = distributed.Client(spec, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as e:
        first = str(e).splitlines()[0] if str(e) else "no answer"
        raise ClusterError(f"cannot reach the Dask scheduler at {spec} within {timeout:g} s "
                           f"({type(e).__name__}: {first})") from None
    with client:
        yield client


def _visible(paths: Sequence[str], writable: Sequence[str]) -> list[str]:
    """On a worker: the problems it has with ``paths`` (must exist) and ``writable``
    (directories it must be able to create files in)."""
    problems = []
    for p in paths:
        if not os.path.exists(p):
            problems.append(f"cannot see {p}")
    for d in writable:
        probe = Path(d) / f".wordlab-probe-{uuid.uuid4().hex}"
        try:
            probe.parent.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            problems.append(f"cannot write in {d} ({e.strerror or e})")
    return problems


_task_logs: list[list[dict]] = []


@contextlib.contextmanager
def task_log() -> Iterator[list[dict]]:
    """Collect the summary of every cluster task run in the ``with`` block (its
    function, worker process, seconds and what it counted), for profiling and for the
    projections of ``evals/bench_dask.py``."""
    log: list[dict] = []
    _task_logs.append(log)
    try:
        yield log
    finally:
        _task_logs.remove(log)


class _Timed:
    """A map function whose summary (a dict) also gives its run time (picklable)."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, task):
        started = time.perf_counter()
        out = self.fn(task)
        return {**out, "seconds": round(time.perf_counter() - started, 6)} if isinstance(out, dict) else out


class DaskExecutor:
    """Run map tasks on a Dask cluster (the executor protocol of
    :mod:`wordlab.cooccur.executors`): each task is one Dask task on some worker, using
    ``task_threads`` threads; results come back in task order.

    Parameters
    ----------
    client : dask.distributed.Client or None
        A client (:func:`session` makes one from a ``--dask`` spec), or None for the
        current default client (:func:`distributed.get_client`).
    """

    name = "dask"
    distributed = True

    def __init__(self, client=None):
        distributed = require_dask()
        if client is None:
            try:
                client = distributed.get_client()
            except ValueError:
                raise ClusterError("executor='dask' needs a running dask.distributed Client "
                                   "(or pass client=)") from None
        if not isinstance(client, distributed.Client):
            raise ParameterError(f"client must be a dask.distributed.Client, not {type(client).__name__} "
                                 "(wordlab.distributed.session(spec) makes one from a --dask spec)")
        self.client = client
        info = self.client.scheduler_info()
        workers = info.get("workers", {})
        if not workers:
            raise ClusterError(f"the Dask scheduler at {self.client.scheduler.address} has no workers")
        self._threads = {w: int(v.get("nthreads", 1)) for w, v in workers.items()}

    @property
    def n_workers(self) -> int:
        return len(self._threads)

    @property
    def task_threads(self) -> int:
        """Threads one task may use: one (a worker runs a task per thread)."""
        return 1

    @property
    def concurrent_tasks(self) -> int:
        """Tasks running at once: every worker thread of the cluster."""
        return sum(self._threads.values())

    def check_paths(self, read: Iterable[str | os.PathLike] = (), write: Iterable[str | os.PathLike] = ()) -> None:
        """Ask every worker whether it sees ``read`` and can write in ``write``; a
        :class:`ClusterError` naming the first worker and path that fail."""
        read, write = [str(p) for p in read], [str(p) for p in write]
        answers = self.client.run(_visible, read, write)
        bad = {w: probs for w, probs in answers.items() if probs}
        if bad:
            worker, probs = next(iter(sorted(bad.items())))
            more = f" (and {len(bad) - 1} more workers)" if len(bad) > 1 else ""
            raise ClusterError(f"Dask worker {worker} {probs[0]}{more}: the inputs and outputs must be on a "
                               f"filesystem path that every worker sees under the same name")

    def map(self, fn: Callable, tasks: Iterable) -> Iterator:
        """``fn(task)`` on the cluster for each task, yielded in task order; the
        remaining tasks are cancelled when one fails or the caller stops."""
        tasks = list(tasks)
        tag = uuid.uuid4().hex[:12]
        keys = [f"wordlab-{getattr(fn, '__name__', 'task')}-{tag}-{i}" for i in range(len(tasks))]
        futures = self.client.map(_Timed(fn), tasks, key=keys, pure=False)
        try:
            for future in futures:
                result = future.result()
                for log in _task_logs:
                    log.append({"function": getattr(fn, "__name__", "task"), **result})
                yield result
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def __repr__(self) -> str:
        return f"<DaskExecutor {self.n_workers} workers at {self.client.scheduler.address}>"
