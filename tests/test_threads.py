"""The thread mechanisms of :mod:`wordlab._threads`: :func:`run_split`, the started pool
that splits one short call (a query against a compressed store)."""
from __future__ import annotations

import os
import threading
import time

import pytest

from wordlab._threads import run_split


def test_every_part_runs_once_and_part_0_in_the_caller():
    seen: dict[int, str] = {}
    lock = threading.Lock()

    def task(t):
        with lock:
            assert t not in seen
            seen[t] = threading.current_thread().name
    run_split(task, 5)
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert seen[0] == threading.current_thread().name
    assert all(name.startswith("wordlab-split") for t, name in seen.items() if t)


def test_an_error_is_raised_after_every_part_has_finished():
    finished = []

    def task(t):
        if t == 1:
            raise ValueError("part 1 failed")
        time.sleep(0.05)
        finished.append(t)
    with pytest.raises(ValueError, match="part 1 failed"):
        run_split(task, 3)
    assert sorted(finished) == [0, 2]          # nothing still writes into the caller's buffer
    with pytest.raises(KeyError):              # the calling thread's own part fails too
        run_split(lambda t: {}[t] if t == 0 else None, 2)
    run_split(lambda t: None, 2)               # and the pool still works afterwards


def test_many_callers_at_once_do_not_deadlock():
    results = []

    def caller(i):
        parts = []
        run_split(lambda t: parts.append(t), 4)
        results.append(sorted(parts))
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == [[0, 1, 2, 3]] * 16


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_splits_with_a_pool_of_its_own():
    """The parent's pool threads do not exist in a forked child (multiprocessing's
    default on Linux): the child must not hand parts to them and wait for ever."""
    run_split(lambda t: None, 2)               # the parent's pool is started
    pid = os.fork()
    if pid == 0:                               # pragma: no cover - the child
        try:
            parts = []
            run_split(lambda t: parts.append(t), 3)
            os._exit(0 if sorted(parts) == [0, 1, 2] else 1)
        except BaseException:
            os._exit(2)
    deadline = time.time() + 30
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    pytest.fail("the forked child hung in run_split")
