"""Helpers shared by the benchmark scripts: finding data, measuring a side in a subprocess."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path


def data_dir() -> Path:
    """The shared data directory, or exit 2 with a clear message."""
    from wordlab.paths import shared_data_dir
    found = shared_data_dir()
    if found is None:
        sys.exit("shared data not found: set WORDLAB_DATA or place it at ../shared/data")
    return found


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_side(script: str, args: list[str], env: dict | None = None) -> dict:
    """Run ``script --side ...`` in a fresh interpreter; it prints one JSON line last."""
    proc = subprocess.run([sys.executable, script, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"side {args} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """Plain-text table: columns are (key, header, format)."""
    cells = [[h for _, h, _ in columns]]
    for r in rows:
        cells.append([("" if r.get(k) is None else format(r[k], f)) for k, _, f in columns])
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for j, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if j and i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
