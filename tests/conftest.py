"""Shared fixtures: the shared data directory, and a private cache per test."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _find_shared_data() -> Path | None:
    candidates = []
    env = os.environ.get("WORDLAB_DATA")
    if env:
        candidates.append(Path(env).expanduser())
    candidates.append(REPO_ROOT / ".." / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data directory ($WORDLAB_DATA or ../shared/data); skips the test when absent."""
    found = _find_shared_data()
    if found is None:
        pytest.skip("shared data not found: set WORDLAB_DATA or place it at ../shared/data")
    return found


@pytest.fixture(autouse=True)
def wordlab_cache(tmp_path_factory, monkeypatch) -> Path:
    """Point WORDLAB_CACHE at a fresh directory so no test touches ~/.cache."""
    cache = tmp_path_factory.mktemp("wordlab-cache")
    monkeypatch.setenv("WORDLAB_CACHE", str(cache))
    return cache


@pytest.fixture()
def runner():
    """A click CliRunner for the ``wordlab`` command."""
    from click.testing import CliRunner
    return CliRunner()
