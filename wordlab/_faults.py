"""Fault points: named places where a test can make the process die on purpose.

``WORDLAB_FAULT=NAME[:N][,NAME[:N]...]`` makes the process kill itself with SIGKILL
the N-th time (default: the first) it reaches ``fault_point(NAME)``: a kill at an exact
moment (inside a checkpoint, between two renames of the final write) that a timer
could only hit by luck. ``NAME:N:stop`` stops it there instead (SIGSTOP, holding
whatever it holds, such as its output's lock) until a test sends SIGCONT. Unset, a fault point costs one dictionary lookup. The fault
suite (``evals/faults.py``) and the kill tests use them; the names are listed where
they are placed (``grep -rn fault_point wordlab``).

``WORDLAB_FAULT_ONCE=PATH`` makes a fault fire at most once among all the processes
that share the setting: the one that creates PATH (a Dask worker inherits the
variables, and the worker that replaces a killed one must not die again).
"""
from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Die here (SIGKILL) when ``WORDLAB_FAULT`` names this point (see module docstring)."""
    spec = os.environ.get("WORDLAB_FAULT")
    if not spec:
        return
    for item in spec.split(","):
        point, _, rest = item.strip().partition(":")
        if point != name:
            continue
        nth, _, action = rest.partition(":")
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] == (int(nth) if nth.isdigit() else 1) and _first_anywhere():
            os.kill(os.getpid(), signal.SIGSTOP if action == "stop" else signal.SIGKILL)


def _first_anywhere() -> bool:
    """True unless ``WORDLAB_FAULT_ONCE`` names a file that exists (then another process
    fired already); creates it."""
    marker = os.environ.get("WORDLAB_FAULT_ONCE")
    if not marker:
        return True
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True
