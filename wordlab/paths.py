"""Where wordlab keeps caches and finds the shared data.

``WORDLAB_CACHE`` overrides the cache root (default ``~/.cache/wordlab``);
``WORDLAB_DATA`` points at the shared data directory (default: ``../shared/data``
relative to the current directory or to the source checkout, when present).
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The root directory of wordlab's on-disk caches (encoded corpora, converted stores)."""
    env = os.environ.get("WORDLAB_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "wordlab"


def shared_data_dir() -> Path | None:
    """The shared data directory, or None when it is not present."""
    env = os.environ.get("WORDLAB_DATA")
    candidates = [Path(env).expanduser()] if env else []
    candidates += [Path.cwd() / ".." / "shared" / "data",
                   Path(__file__).resolve().parents[1] / ".." / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    return None


def shared_file(relative: str, what: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The file ``relative`` of the shared data directory (``data_dir``, else
    :func:`shared_data_dir`); ``what`` names it in the one-line error raised when the
    directory or the file is not there."""
    from .errors import WordlabError
    base = Path(data_dir) if data_dir is not None else shared_data_dir()
    if base is None:
        raise WordlabError(f"{what} lives in the shared data directory ({relative}), which was not found: "
                           "set WORDLAB_DATA, pass data_dir=, or place it at ../shared/data")
    path = Path(base) / relative
    if not path.is_file():
        raise WordlabError(f"{what}: {path} not found (looked in data directory {base})")
    return path


def temporary_dir(prefix: str, name: str) -> Path:
    """``$WORDLAB_CACHE/tmp/<prefix>XXXX/<name>``: a place for an uncached result, removed
    when the interpreter exits (``name`` itself is not created). The folder's lock is held
    for the life of the process, so ``wordlab cache clean`` removes the folders of
    processes that were killed, and only those."""
    import atexit
    import shutil
    import tempfile
    from .atomic import hold_for_process
    root = cache_root() / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    hold_for_process(tmp)
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return tmp / name
