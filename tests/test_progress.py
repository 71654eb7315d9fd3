"""Progress is shown where someone watches: a terminal, or a Jupyter kernel (issue 24:
progress was gated on a terminal only, so a notebook showed nothing)."""
from __future__ import annotations

import sys
import types

from wordlab import progress


class _Kernel:
    config = {"IPKernelApp": {"connection_file": "kernel-1.json"}}


def _fake_ipython(monkeypatch, shell):
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", module)


def test_a_jupyter_kernel_gets_progress_without_a_terminal(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    _fake_ipython(monkeypatch, _Kernel())
    assert progress.in_jupyter() and progress.wanted(None)
    bar = progress.progress(None, total=10, desc="t")
    assert bar.shown and type(bar._bar).__module__.startswith("tqdm")
    bar.close()
    assert not progress.wanted(False)


def test_a_plain_ipython_or_a_pipe_gets_none(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    _fake_ipython(monkeypatch, types.SimpleNamespace(config={}))          # a terminal IPython, not a kernel
    assert not progress.in_jupyter() and not progress.wanted(None)
    assert not progress.progress(None, total=1, desc="t").shown
    assert progress.wanted(True)
