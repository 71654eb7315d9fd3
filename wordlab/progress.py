"""Progress bars: the one helper every long step of wordlab uses.

``progress(enabled, total=..., desc=..., unit=...)`` returns a :class:`Progress`: a
tqdm bar (``tqdm.auto``, so a widget in Jupyter and text in a terminal) or, when
disabled, an object with the same methods that does nothing. ``enabled=None`` means
"when someone is watching": stderr is a terminal, or the code runs in a Jupyter (IPython)
kernel. ``True``/``False`` force it (``progress=`` in the Python API, ``--progress`` /
``--no-progress`` on the command line).
"""
from __future__ import annotations

import sys
from typing import Any


def in_jupyter() -> bool:
    """True inside a Jupyter (IPython) kernel."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except Exception:  # pragma: no cover - a half-imported IPython
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def wanted(enabled: bool | None) -> bool:
    """Whether to show progress for the setting ``enabled`` (None: when watched)."""
    if enabled is not None:
        return bool(enabled)
    try:
        return sys.stderr.isatty() or in_jupyter()
    except (AttributeError, ValueError):   # a closed or replaced stderr
        return False


class Progress:
    """A progress bar, or nothing (see module docstring). Use as a context manager, or
    call :meth:`close`."""

    def __init__(self, bar=None):
        self._bar = bar

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def update(self, n: float = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def set_postfix(self, values: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.set_postfix(values, refresh=False)

    def write(self, message: str) -> None:
        """A line above the bar (nothing when no bar is shown)."""
        if self._bar is not None:
            self._bar.write(message)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False


def progress(enabled: bool | None, *, total: float | None, desc: str, unit: str = "it", initial: float = 0,
             leave: bool = True) -> Progress:
    """A :class:`Progress` over ``total`` units (see module docstring)."""
    if not wanted(enabled):
        return Progress()
    from tqdm.auto import tqdm
    return Progress(tqdm(total=total, initial=initial, unit=unit, unit_scale=True, desc=desc, smoothing=0.1,
                         dynamic_ncols=True, leave=leave))
