"""Small helpers shared by the benchmark scripts in ``evals/`` (not part of wordlab).

Each benchmark runs every side of a comparison in its own Python subprocess, so that
the peak resident set size (``ru_maxrss``) of a side is its own and not polluted by
the other side or by the parent. A child prints one line ``BENCH-RESULT {json}`` with
its measurements; the parent collects them and prints a plain-text table.
"""
from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULT_PREFIX = "BENCH-RESULT "


def find_data_dir(explicit: str | None = None) -> Path:
    """The shared data directory: ``--data``, ``$WORDLAB_DATA`` or ``../shared/data``
    relative to the repository root. Exits with status 2 and a message when absent."""
    candidates = []
    if explicit:
        candidates.append(("--data", Path(explicit).expanduser()))
    elif os.environ.get("WORDLAB_DATA"):
        candidates.append(("$WORDLAB_DATA", Path(os.environ["WORDLAB_DATA"]).expanduser()))
    else:
        candidates.append(("../shared/data (from the repository root)",
                           REPO_ROOT / ".." / "shared" / "data"))
    for how, path in candidates:
        if path.is_dir():
            return path.resolve()
    how, path = candidates[0]
    sys.stderr.write(f"error: the shared data directory was not found ({how}: {path}).\n"
                     "Set WORDLAB_DATA to the directory holding corpora/ and eval/, "
                     "or pass --data DIR.\n")
    sys.exit(2)


def peak_rss_mb() -> float:
    """Peak resident set size of this process image so far, in MiB.

    This is ``VmHWM`` from ``/proc/self/status`` where available, and
    ``ru_maxrss`` otherwise. The two agree for a process that was not started by a
    bigger one, but on Linux ``getrusage(RUSAGE_SELF).ru_maxrss`` of a child started
    with fork/vfork + exec carries over the *parent's* high-water mark (the kernel
    keeps the old image's peak across ``execve``), so a side started from a parent
    holding 150 MB could never report less than 150 MB. ``VmHWM`` belongs to the
    new image only. Both are recorded (``ru_maxrss_mb`` too) and the parents are kept
    small so that they agree.
    """
    hwm = rss_now_mb().get("VmHWM")
    return hwm if hwm is not None else ru_maxrss_mb()


def ru_maxrss_mb() -> float:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_now_mb() -> dict[str, float]:
    """Current RSS (and its peak, VmHWM) split into anonymous (private heap) and
    file-backed pages, MiB."""
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                    out[key] = int(value.split()[0]) / 1024.0
    except OSError:
        pass
    return out


class AnonPeak:
    """Context manager sampling RssAnon (private, non-file memory) every ``interval``
    seconds in a thread; ``.peak_mb`` after the block. The kernel keeps a peak only for
    the whole RSS (VmHWM), which also counts the file pages of memory maps: those are
    page cache, reclaimable, and not what "bounded memory" is about."""

    def __init__(self, interval: float = 0.02):
        self.interval = interval
        self.peak_mb = 0.0

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, rss_now_mb().get("RssAnon", 0.0))
            self._stop.wait(self.interval)

    def __enter__(self) -> "AnonPeak":
        import threading
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_now_mb().get("RssAnon", 0.0))


def read_through(path) -> None:
    """Read a file once (into the page cache) with a small reused buffer, so the
    parent process stays small (see :func:`peak_rss_mb`)."""
    buf = bytearray(1 << 20)
    with open(path, "rb", buffering=0) as fh:
        while fh.readinto(buf):
            pass


def rss_mismatch(result: dict, tolerance: float = 0.05) -> str | None:
    """A warning when ru_maxrss and VmHWM of a side disagree (parent too large)."""
    a, b = result.get("peak_rss_mb"), result.get("ru_maxrss_mb")
    if a and b and abs(a - b) > tolerance * max(a, b):
        return f"VmHWM {a:.0f} MiB but ru_maxrss {b:.0f} MiB"
    return None


class Timer:
    """``with Timer() as t: ...`` then ``t.s`` (seconds, perf_counter)."""

    def __enter__(self):
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self._t0
        return False


def emit(result: dict) -> None:
    """Child side: print the measurements as one JSON line (with peak RSS added)."""
    result = dict(result)
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    result.setdefault("ru_maxrss_mb", round(ru_maxrss_mb(), 1))
    now = rss_now_mb()
    result.setdefault("rss_anon_end_mb", round(now.get("RssAnon", float("nan")), 1))
    result.setdefault("rss_file_end_mb", round(now.get("RssFile", float("nan")), 1))
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def run_side(script: str, args: Sequence[str], env: dict | None = None,
             timeout: float | None = None) -> dict:
    """Run ``python script --side ...`` in a subprocess and return its JSON result.

    The child's stderr is shown only when it fails.
    """
    cmd = [sys.executable, script, *args]
    full_env = dict(os.environ)
    full_env.update(env or {})
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
    wall = time.perf_counter() - t0
    lines = [l for l in proc.stdout.splitlines() if l.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(f"side failed ({proc.returncode}): {' '.join(cmd)}\n"
                         f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}\n")
        return {"error": f"exit {proc.returncode}", "process_s": wall}
    result = json.loads(lines[-1][len(RESULT_PREFIX):])
    result["process_s"] = round(wall, 2)
    return result


def mean_sd(values: Sequence[float], fmt: str) -> str:
    """``mean (sample s.d.)`` of ``values``, each formatted with ``fmt`` (the mean alone
    for one value)."""
    import statistics
    mean = fmt.format(statistics.fmean(values))
    sd_fmt = fmt.replace("{:+", "{:")           # a spread has no sign
    return mean + (f" ({sd_fmt.format(statistics.stdev(values))})" if len(values) > 1 else "")


def by_side(rows: Sequence[dict]) -> list[tuple[str, list[dict]]]:
    """Rows grouped by their ``"side"``, in order of first appearance."""
    sides: dict[str, list[dict]] = {}
    for r in rows:
        sides.setdefault(r["side"], []).append(r)
    return list(sides.items())


def table(headers: Sequence[str], rows: Sequence[Sequence], align: str | None = None) -> str:
    """A plain-text table (:func:`wordlab.tables.plain`); ``align`` is one of l/r per
    column (default: first l, rest r)."""
    import pandas as pd

    from wordlab import tables
    frame = pd.DataFrame([["" if c is None else str(c) for c in r] for r in rows],
                         columns=[str(h) for h in headers])
    align = align or ("l" + "r" * (len(headers) - 1))
    return tables.plain(frame, formatters={c: str for c in frame.columns},
                        left=[c for c, a in zip(frame.columns, align) if a == "l"])


def fmt_s(seconds: float | None) -> str:
    """Seconds, with a unit that keeps 3 significant digits readable."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_mb(mb: float | None) -> str:
    return "-" if mb is None else f"{mb:,.0f} MiB"


def fmt_int(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def machine_line(load_at_start: float | None = None) -> str:
    """One line describing the interpreter and machine."""
    import platform
    import numpy
    from importlib import metadata
    try:                          # the installed version, without importing gensim into this process
        gv = metadata.version("gensim")
    except metadata.PackageNotFoundError:
        gv = "absent"
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    import wordlab
    rev = git_revision()
    return (f"wordlab {wordlab.__version__}{' at ' + rev if rev else ''}; Python {platform.python_version()}, numpy {numpy.__version__}, gensim {gv}, "
            f"{os.cpu_count()} CPUs{mem}; "
            + "1-min load average: "
            + (f"{load_at_start:.2f} at start, " if load_at_start is not None else "")
            + f"{load_average():.2f} at end (other processes share the CPUs when above ~0.5)")


RESULTS_DIR = Path(os.environ.get("WORDLAB_RESULTS_DIR") or REPO_ROOT / "evals" / "results")


def write_results(name: str, text: str, argv: Sequence[str] | None = None) -> Path:
    """Write a benchmark's table to ``evals/results/NAME.md``, headed by the command, the
    date, the revision and the machine, and return the path.

    ``evals/README.md`` includes each such file in a generated block
    (``<!-- generated: results/NAME -->``, filled by ``python -m wordlab.docgen
    evals/README.md``; a test checks that the README holds the files as they are), so a
    figure in the docs is always one a script wrote, never one pasted by hand.
    """
    import datetime as _dt
    argv = list(sys.argv if argv is None else argv)
    command = "python " + " ".join([f"evals/{Path(argv[0]).name}", *argv[1:]]) if argv else name
    header = (f"`{command}`, {_dt.date.today().isoformat()}, revision {git_revision() or 'unknown'}; "
              f"{machine_line()}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.md"
    tmp = path.with_name(f".{path.name}.partial")
    body = text.strip("\n")
    if not body.lstrip().startswith("|"):            # plain-text output: keep its columns in Markdown
        body = f"```\n{body}\n```"
    tmp.write_text(f"{header}\n\n{body}\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _results_flag() -> None:
    """Every script that imports this module takes ``--results[=NAME]``: the script runs
    again without the flag, in a child process whose standard output is shown and kept,
    and written to ``evals/results/NAME.md`` (NAME: the script's name, by default) by
    :func:`write_results` only when the child exits with status 0 (a failed side, an
    exception or ``SystemExit("...")`` writes nothing)."""
    flags = [a for a in sys.argv[1:] if a == "--results" or a.startswith("--results=")]
    if not flags or Path(sys.argv[0]).name == "_bench.py":
        return
    argv = [a for a in sys.argv if a not in flags]
    name = flags[-1].partition("=")[2] or Path(argv[0]).stem
    child = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, text=True, encoding="utf-8")
    kept = []
    for line in child.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        kept.append(line)
    status = child.wait()
    if status == 0:
        sys.stderr.write(f"results: {write_results(name, ''.join(kept), argv)}\n")
    else:
        sys.stderr.write(f"results: not written, the run exited with status {status}\n")
    sys.exit(status)


def git_revision() -> str | None:
    """Short commit of the checkout the benchmark runs from, '+dirty' when modified."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "wordlab"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (rev + ("+dirty" if dirty else "")) if rev else None


def load_average() -> float:
    """The 1-minute load average (other processes compete for the CPUs when it is high)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def wait_idle(max_wait: float, threshold: float = 0.5) -> None:
    """Wait up to ``max_wait`` seconds for the 1-minute load average to drop below
    ``threshold``; says so on stderr either way."""
    if max_wait <= 0:
        return
    deadline = time.time() + max_wait
    while load_average() >= threshold and time.time() < deadline:
        time.sleep(5)
    sys.stderr.write(f"load average {load_average():.2f} at start\n")


def prefix_sentences(corpus: str, limit_tokens: int) -> list[list[str]]:
    """The first ``limit_tokens`` tokens of a text8-style file, in 10,000-token sentences
    (the pieces wordlab's reader makes of the one-line original)."""
    import wordlab
    tokens: list[str] = []
    for batch in wordlab.Corpus(corpus).batches():
        for sentence in batch:
            tokens.extend(sentence)
        if len(tokens) >= limit_tokens:
            break
    tokens = tokens[:limit_tokens]
    return [tokens[a:a + 10_000] for a in range(0, len(tokens), 10_000)]


def year_files(years: str) -> list[str]:
    a, b = (int(y) for y in years.split("-"))
    root = find_data_dir() / "corpora" / "ungdc"
    return [str(root / f"ungdc_{y}.txt.gz") for y in range(a, b + 1)]


_PAGE_MARK = re.compile(r"^\s*\d+\s+\d{2}-\d{4,6}\s*$")       # "27 10-55128": page number, document code


def ungdc_sentences(years: str):
    """Sentences of the UNGDC speeches of ``years`` as token lists.

    The files hold PDF text: lines wrapped at about 55 characters, page marks between
    pages, an empty line between speeches. Each speech's lines are joined (without the
    page marks) before it is cut into sentences at . ! ? by wordlab's tokenizer.
    """
    import gzip
    import wordlab
    tok = wordlab.Tokenizer(sentence_split=True)
    for path in year_files(years):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
        for speech in text.split("\n\n"):        # whitespace-only lines are page breaks, not ends
            lines = [line for line in speech.splitlines() if line.strip() and not _PAGE_MARK.match(line)]
            yield from tok.sentences(" ".join(line.strip() for line in lines))


_results_flag()


def plain_enwiki(data: Path, out: Path, limit_bytes: int | None = None) -> Path:
    """enwiki-text8style decompressed to ``out`` (its first ``limit_bytes`` bytes, or all):
    a plain file's one long line can be cut into byte ranges."""
    import gzip
    import shutil
    with gzip.open(data / "corpora" / "enwiki-text8style.txt.gz", "rb") as src, open(out, "wb") as dst:
        if limit_bytes:
            dst.write(src.read(limit_bytes))
        else:
            shutil.copyfileobj(src, dst, 1 << 22)
    return out
