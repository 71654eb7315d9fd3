"""The fault suite: every way a ``wordlab`` command can be hurt, tried on the real command.

What is run
-----------
Every case runs the ``wordlab`` command line as a user would, in its own subprocess
(``sys.executable -m wordlab.cli.main ...``), inside one temporary workspace (``--tmp``,
deleted at the end unless ``--keep``) with its own ``WORDLAB_CACHE`` and ``TMPDIR``;
most cases get a cache folder of their own inside it, so that nothing is cached
before the case starts. The data are made there first: Zipf corpora (300 words
``w0``..``w299``, 12 a line; 3,000 lines, and 10,000, 40,000 and 80,000 where said),
vector files written by ``wordlab.Embeddings(...).save(..., format=...)``, stores,
datasets and word lists. Cases run ``--jobs`` at a time (default: the number of
cores); the concurrency cases run one after the other. The five categories
(``--only`` picks some):

kills
    Each method (sgns, cbow, glove, pu, bitcipher, cmow, hybrid; the small sizes of
    tests/test_faults.py with ``--min-count 1 --workers 1 --seed 3 --no-progress``) is
    trained once without interruption: the reference. Then, for each fault point
    (``WORDLAB_FAULT=NAME[:N]`` makes the process SIGKILL itself the N-th time it gets
    there; see wordlab/_faults.py): train.subchunk:1, train.subchunk:3,
    checkpoint.weight-copied:1, checkpoint.weight-copied:3, checkpoint.before-rename:2,
    checkpoint.renamed:2, train.epoch-done:2, train.output-written, train.before-publish,
    atomic.exchanged, train.published, atomic.discarding, atomic.directory-complete:1
    (the corpus-encoding cache entry: the case's cache is empty), atomic.file-complete:1,
    in a fresh directory, twice: over an old store at OUT with ``--overwrite``, and to a
    new OUT. After the faulted run OUT must be the old store (absent, for a new OUT) or
    the reference; then ``--resume`` (with ``--overwrite`` where it was used) must exit 0
    with the reference bit for bit (every ``.npy`` file, ``vocab.tsv`` and ``meta.json``'s
    loss_history) and leave no ``.partial`` (in the directory and its cache) and no
    ``.OUT.training``. A fault point that is never reached (the faulted run exits 0) is
    still a case: OUT must then equal the reference. Random moments: sgns, glove, pu (on
    40,000 lines) and cmow (10,000 lines) are timed once uninterrupted, then killed K
    times (3 with ``--quick``, else 10) after delays drawn uniformly within that time,
    chained (``--overwrite --resume`` over an old store: each run continues what the
    last one left), OUT checked after each kill, then a final ``--resume`` checked as
    above. A run that finishes before its kill is checked the same way, and the chain
    starts again from the old store. ``--quick``: four fault points per method (all
    fourteen are covered across the methods), one of the two variants each.
disk
    A full disk: a private tmpfs on ``/mnt`` (``unshare -rm sh -c 'mount -t tmpfs -o
    size=2m tmpfs /mnt && ...'``; the category is skipped, saying why, where that cannot
    be mounted). Each case writes there: ``convert`` of a 4 MB ``.bin`` to a store, to
    ``--to word2vec``, and with ``--overwrite`` over a small old store and over a small
    old file on the tmpfs; ``train`` whose weights do not fit (``--dim 1000``); ``train``
    whose weights fit but whose second checkpoint does not, then ``mount -o remount,
    size=64m /mnt`` and ``--resume`` in the same shell, which must exit 0 with the
    reference (the same run made on the workspace's disk); ``corpus encode --out``
    (80,000 lines); ``neighbors`` with ``WORDLAB_CACHE`` on the tmpfs, once where the
    import of a 4 MB ``.bin`` does not fit and once where the import fits but the unit
    vectors do not; ``align procrustes``; ``debias hard``; ``plot projection`` on a 16 KB
    tmpfs.
concurrency
    Two ``train ... -o X --overwrite`` (seeds 11 and 12, X an old store) started at once:
    X must end as one of the two runs' references, and each process either succeeds or
    is refused with an Error line naming the other's pid. The same with two ``convert``
    of different files to one X. Two ``corpus encode`` of one file at once, on an empty
    cache: both exit 0 with the same encoding and the cache holds one entry. A reader
    running ``wordlab info X`` and ``wordlab neighbors X w1`` in a loop while a writer
    replaces X ten times with ``convert ... --overwrite`` (two stores of 100,000 words in
    different orders and dimensions): every reader run must exit 0 with the answer of one of
    the two stores (the words, the dimension and the neighbours of the same store), or
    with an Error line; every write must succeed. Stale locks: a writer killed at a
    fault point (``train`` at train.epoch-done:1, ``convert`` to a store at
    atomic.directory-complete:1, ``convert --to word2vec`` at atomic.file-complete:1)
    leaves its lock file; the next writer must succeed with the right result and leave
    no ``.partial`` and no lock file. The races and the reader/writer run 3 times (once
    with ``--quick``).
damaged
    Valid inputs of every kind the command line reads, damaged by one seeded random
    mutation each: truncation at a random offset, a flipped byte, inserted bytes, a
    deleted range, a UTF-8 byte-order mark, NUL bytes, a number replaced by a huge one
    (``1e39``, 400 nines, ...; a float32 set to infinity or 3e38 in a binary file), a
    header lying about the counts (vector files: ``N DIM``; a store: the shape in the
    ``.npy`` header). N per kind (10 with ``--quick``, 100), plus the undamaged input as
    a control. Kinds and the command run: word2vec text (``vectors.txt``), binary
    (``.bin``), GloVe (headerless ``.txt``), fastText ``.vec``, gzipped text and binary,
    a store directory (one of its three files damaged), a fastText ``.bin`` model (its
    header lying: the dimension, the word count, the bucket count or a matrix's rows;
    the oracle composes each word's vector with gensim's n-grams and hash):
    ``wordlab convert IN OUT``; a
    similarity file and a Google analogy file: ``wordlab eval STORE -d FILE``; a MUSE
    dictionary: ``wordlab align bli A B -d FILE``; a word list: ``wordlab bias direct
    STORE --words FILE``; corpora ``.txt``/``.gz``/``.bz2``/``.xz``: ``wordlab corpus stats
    FILE``. Compressed kinds are damaged in their compressed bytes or in the text before
    compression (half each). An oracle written here from the formats' documentation
    (wordlab/store/formats.py, store/fasttext_bin.py, evals/datasets.py, align/dictionary.py,
    debias/wordlists.py, corpus/sources.py; Python's own gzip/bz2/lzma for compressed
    data) reads every damaged input and says whether the damage is detectable (the
    input must then be refused, or at least warned about), valid with a known content
    (the command's result must equal it: the store written by ``convert``, the token and
    type counts of ``corpus stats``), valid but suspicious (a Warning is due: no newline
    at the end of a text vector file, NaN or infinite values), or undecidable (then only
    the form of the outcome is judged). A truncation inside a vector file with a header
    is always detectable (a row or value count is wrong, or the last line lost its
    newline); a truncation of a headerless GloVe file exactly at a line end is a valid
    shorter file.
arguments
    Absurd arguments: each method's small base arguments (which must work), then every
    numeric option of ``train`` for each method (``--dim``,
    ``--window``, ``--epochs``, ``--min-count``, ``--max-size``, ``--workers``, ``--seed``,
    ``--max-sentence-length`` and the method's own) at -1, 0, nan, inf, 1e30, 10**12 and
    2**64 (with ``--quick``: sgns, glove and cmow at 0, nan and 2**64, and ``--dim
    10**12``); and for the other commands unknown words, missing files, a directory
    where a file is expected and the reverse, ``--topn 0``, ``--restrict-vocab 0``,
    out-of-range options, an existing output that is not a wordlab output, a store
    converted onto itself (with ``--quick``: every other one). A value is expected to
    be refused unless it is a meaningful setting (``--seed 0``, ``--sample 0``,
    ``--max-size 10**12``, ...: then it must work) or a matter of taste (``--lam 0``,
    ``--topn 10**12``, ``--x-max 1e30``, ...: either is right).

Outcomes
--------
Each case ends in one outcome, the worst that applies:

* **traceback**: stderr holds ``Traceback (most recent call last)`` or a line starting
  ``Internal error``, or the exit status is not 0, 1 or 2 (130 for an interrupt; -9
  only for a kill the suite sent or asked for with ``WORDLAB_FAULT``), or the command
  did not finish within its time limit.
* **data lost**: something that existed before the command (an old store at the output
  path, a user's directory or file, the input itself, an interrupted run's checkpoint)
  is missing or changed when it should not be, or an output path that should hold the
  old or the new complete result holds neither (absent, unopenable, a mix). A
  ``--resume`` that cannot complete a killed run counts here (its checkpoints are lost).
* **silently wrong**: exit status 0 but the result differs from the right one: a
  resumed run not bit-identical to the uninterrupted one-worker run, a store whose
  vocabulary and vectors come from different writes, debris (``.partial``,
  ``.OUT.training``) left by a command that succeeded (in the case's directory, its
  cache included), an absurd argument accepted, a
  damaged input loaded without an error AND without a ``Warning:`` line when the damage
  is detectable, or a valid input loaded with a different content.
* **handled**: the right result, or exit status 1 or 2 with exactly one line starting
  ``Error:`` on stderr (other lines may start with ``Warning:``, ``corpus:``,
  ``wordlab:`` or ``plot:``, and with status 2 click's ``Usage:`` and ``Try`` lines), and
  nothing lost. Where the category says so the Error line must say more (disk: "no space
  left on device" or "file size limit" and the ``/mnt`` path, with no ``.partial`` left
  on the tmpfs and old data intact; concurrency: the pid holding the lock), and a
  refused argument must leave nothing at the output path.
* **other**: none of the above: an error reported badly (no ``Error:`` line, two,
  stray stderr lines, a message missing what it must say), a valid request refused,
  debris left after an error (except the training directory a divergence error says it
  keeps). Counted in the line under the table and listed with the failures, but not in
  the table's last three columns.

Usage
-----
    python evals/faults.py                      # everything: about 25 minutes on 2 cores
    python evals/faults.py --quick              # a subset: about 5 minutes
    python evals/faults.py --only kills,disk --seed 7
    python evals/faults.py --quick --keep --tmp /big/disk   # keep the workspace
    python evals/faults.py --only damaged --jobs 4 --verbose  # 4 at once; a line per case

Prints one markdown table (category, cases tried, handled, data lost, silently wrong,
tracebacks; a total row), then every case that was not handled: its category, the
exact command lines with their environment, what was expected, and what happened
(exit status, the last stderr lines). The workspace paths in those lines exist only
with ``--keep``; every case is reproducible with the same ``--seed``. Progress goes to
stderr. Exit status 1 when any case lost data, was silently wrong or ended in a
traceback; 0 otherwise.
"""
from __future__ import annotations

import argparse
import bz2
import concurrent.futures as cf
import datetime as _dt
import gzip
import hashlib
import io
import itertools
import json
import lzma
import math
import os
import random
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402,F401  (--results: the output also goes to evals/results/)

from wordlab.trainers.registry import REGISTRY, cli_args

CATEGORIES = ("kills", "disk", "concurrency", "damaged", "arguments")
EXE = [sys.executable, "-m", "wordlab.cli.main"]
INFO_PREFIXES = ("Warning:", "corpus:", "wordlab:", "plot:")
TIMEOUT = 600.0
BOM = b"\xef\xbb\xbf"

# the sizes of tests/test_faults.py
COMMON = ["--min-count", "1", "--workers", "1", "--no-progress"]
# each method's small settings, and seed 3 where there is a seed (Bit-cipher has none)
METHODS = {name: cli_args({**m.small, **({"seed": 3} if "seed" in m.parameters() else {})})
           for name, m in REGISTRY.items()}
FAULTS = ["train.subchunk:1", "train.subchunk:3", "checkpoint.weight-copied:1", "checkpoint.weight-copied:3",
          "checkpoint.before-rename:2", "checkpoint.renamed:2", "train.epoch-done:2", "train.output-written",
          "train.before-publish", "atomic.exchanged", "train.published", "atomic.discarding",
          "atomic.directory-complete:1", "atomic.file-complete:1"]
# random-moment kills: (corpus, arguments) sized so that training is most of the run
RANDOM_METHODS = {
    "sgns": ("big", ["--dim", "100", "--epochs", "8", "--window", "3"]),
    "glove": ("big", ["--dim", "50", "--epochs", "100", "--window", "3"]),
    "pu": ("big", ["--dim", "50", "--epochs", "30", "--window", "3"]),
    "cmow": ("mid", ["--dim", "16", "--epochs", "3", "--window", "3"]),
}

# -- the environment of every command --------------------------------------------------------------
BASE_ENV: dict[str, str] = {}
VERBOSE = False
_print_lock = threading.Lock()


def log(message: str) -> None:
    with _print_lock:
        print(message, file=sys.stderr, flush=True)


# -- running commands ------------------------------------------------------------------------------
@dataclass
class Run:
    """One command and what became of it."""
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)   # what differs from the suite's environment
    cwd: str | None = None
    rc: int | None = None          # None: killed by the suite at its time limit
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    limit: float = TIMEOUT
    killed_by_us: bool = False     # a random-moment kill (rc -9 expected)
    note: str = ""                 # e.g. "inside the tmpfs script below"

    def command(self) -> str:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        cmd = " ".join(shlex.quote(a) for a in self.argv)
        where = f"cd {shlex.quote(self.cwd)} && " if self.cwd else ""
        return f"{where}{env + ' ' if env else ''}{cmd}"

    def status(self) -> str:
        if self.rc is None:
            return f"did not finish within {self.limit:.0f} s (killed by the suite)"
        if self.rc < 0:
            name = signal.Signals(-self.rc).name if -self.rc in signal.Signals._value2member_map_ else "?"
            return f"killed by signal {-self.rc} ({name})" + (" sent by the suite" if self.killed_by_us else "")
        return f"exit status {self.rc}"


def _text(data) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def run_cli(args: Sequence, env: dict | None = None, cwd: Path | None = None, timeout: float = TIMEOUT) -> Run:
    """Run ``wordlab ARGS`` and wait for it."""
    run = Run([*EXE, *map(str, args)], {k: str(v) for k, v in (env or {}).items()}, str(cwd) if cwd else None,
              limit=timeout)
    started = time.monotonic()
    try:
        p = subprocess.run(run.argv, env={**BASE_ENV, **run.env}, cwd=run.cwd, capture_output=True, timeout=timeout)
        run.rc, run.stdout, run.stderr = p.returncode, _text(p.stdout), _text(p.stderr)
    except subprocess.TimeoutExpired as e:
        run.stdout, run.stderr = _text(e.stdout), _text(e.stderr)
    run.seconds = time.monotonic() - started
    return run


class Pending:
    """A ``wordlab`` process started in the background (output to files in ``folder``)."""
    _ids = itertools.count()

    def __init__(self, args: Sequence, env: dict | None, cwd: Path, folder: Path):
        self.run = Run([*EXE, *map(str, args)], {k: str(v) for k, v in (env or {}).items()}, str(cwd))
        n = next(Pending._ids)
        self._out, self._err = folder / f".proc{n}.out", folder / f".proc{n}.err"
        self.started = time.monotonic()
        with open(self._out, "wb") as out, open(self._err, "wb") as err:
            self.proc = subprocess.Popen(self.run.argv, env={**BASE_ENV, **self.run.env}, cwd=cwd, stdout=out,
                                         stderr=err)
        self.pid = self.proc.pid

    def wait(self, timeout: float = TIMEOUT, kill_after: float | None = None) -> Run:
        """Wait for the end; with ``kill_after``, SIGKILL it if still running then (a kill
        of ours); past ``timeout``, SIGKILL it too (then ``rc`` is None: it hung)."""
        try:
            self.proc.wait(timeout=kill_after if kill_after is not None else timeout)
            self.run.rc = self.proc.returncode
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            if kill_after is not None:
                self.run.killed_by_us = True
                self.run.rc = self.proc.returncode
            else:
                self.run.limit = timeout
        self.run.seconds = time.monotonic() - self.started
        self.run.stdout = self._out.read_text("utf-8", "replace")
        self.run.stderr = self._err.read_text("utf-8", "replace")
        for f in (self._out, self._err):
            f.unlink(missing_ok=True)
        return self.run


# -- judging ---------------------------------------------------------------------------------------
SEVERITY = ("handled", "other", "wrong", "lost", "traceback")
COLUMN = {"lost": "data lost", "wrong": "silently wrong", "traceback": "traceback", "other": "not handled (other)"}


@dataclass
class Case:
    category: str
    name: str
    expected: str
    runs: list[Run] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    script: str = ""               # a shell script the runs were part of (disk)
    detail: str = ""               # how to rebuild the input (damaged)

    def fail(self, kind: str, why: str) -> None:
        self.problems.append((kind, why))

    @property
    def outcome(self) -> str:
        return max((k for k, _ in self.problems), key=SEVERITY.index, default="handled")

    def check(self, run: Run, kill_ok: bool = False) -> bool:
        """Record ``run``; False (and a traceback problem) when it ended abnormally."""
        self.runs.append(run)
        why = traceback_problem(run, kill_ok)
        if why:
            where = crash_site(run)
            self.fail("traceback", f"{run.argv[3] if len(run.argv) > 3 else ''}: {why}".strip(": ")
                      + (f" ({where})" if where else ""))
            return False
        return True


def crash_site(run: Run) -> str:
    """Where an internal error happened, from the crash report the CLI names (read now:
    the workspace may be gone when the report is printed) or the traceback on stderr."""
    text = run.stderr
    m = re.search(r"the traceback is in (\S+?);", run.stderr)
    if m:
        try:
            text = Path(m.group(1)).read_text("utf-8", "replace")
        except OSError:
            return ""
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', text)
    if not frames:
        return ""
    ours = [f for f in frames if "/wordlab/" in f[0]] or frames
    path, line, func = ours[-1]
    short = path[path.rfind("/wordlab/") + 1:] if "/wordlab/" in path else path
    last = [line for line in text.strip().splitlines() if line.strip()][-1].strip()
    return f"raised at {short}:{line} in {func}: {last[:200]}"


def stderr_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def traceback_problem(run: Run, kill_ok: bool = False) -> str | None:
    if run.rc is None:
        return f"did not finish within {run.limit:.0f} s"
    if "Traceback (most recent call last)" in run.stderr:
        return "a Python traceback on stderr"
    if any(line.startswith("Internal error") for line in stderr_lines(run.stderr)):
        return "an 'Internal error' line on stderr"
    allowed = {0, 1, 2, 130} | ({-signal.SIGKILL} if kill_ok or run.killed_by_us else set())
    if run.rc not in allowed:
        return run.status()
    return None


def error_lines(run: Run) -> list[str]:
    return [line for line in stderr_lines(run.stderr) if line.startswith("Error:")]


def has_warning(run: Run) -> bool:
    return any(line.startswith("Warning:") for line in stderr_lines(run.stderr))


def error_problem(run: Run, *fragments: str) -> str | None:
    """None when ``run`` failed as a user error should (status 1 or 2, exactly one
    ``Error:`` line holding every fragment (case-insensitive; a tuple: any of them),
    nothing else but informational lines), else what is wrong."""
    if run.rc not in (1, 2):
        return f"{run.status()}, expected 1 or 2"
    lines = stderr_lines(run.stderr)
    errors = [line for line in lines if line.startswith("Error:")]
    if len(errors) != 1:
        return f"{len(errors)} 'Error:' lines on stderr, expected exactly one"
    usage = ("Usage:", "Try ") if run.rc == 2 else ()
    stray = [line for line in lines if not line.startswith(("Error:",) + INFO_PREFIXES + usage)]
    if stray:
        return f"a stray stderr line: {stray[0][:160]!r}"
    low = errors[0].lower()
    for f in fragments:
        options = f if isinstance(f, tuple) else (f,)
        if not any(o.lower() in low for o in options):
            return f"the Error line does not say {' or '.join(map(repr, options))}: {errors[0][:200]!r}"
    return None


# -- files -----------------------------------------------------------------------------------------
def write_corpus(path: Path, n_lines: int = 3000, seed: int = 0) -> Path:
    """A Zipf corpus: 300 words w0..w299, 12 a line (tests/test_faults.py's)."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(300)])
    p = np.arange(1, 301) ** -1.0
    p /= p.sum()
    path.write_text("\n".join(" ".join(rng.choice(words, size=12, p=p)) for _ in range(n_lines)) + "\n")
    return path


def snapshot(path: Path) -> dict[str, str] | None:
    """sha256 of every file under ``path`` (or of the file), by relative path; None if absent."""
    if not os.path.lexists(path):
        return None
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(path))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def changed_from(path: Path, before: dict[str, str]) -> str | None:
    """What differs in ``path`` from ``before`` (files added are allowed), or None."""
    now = snapshot(path)
    if now is None:
        return f"{path} is gone"
    missing = [k for k in before if k not in now]
    if missing:
        return f"{path / missing[0] if missing[0] else path} is gone"
    diff = [k for k in before if now[k] != before[k]]
    if diff:
        return f"{path / diff[0] if diff[0] else path} was changed"
    return None


def store_files(path: Path) -> dict:
    """What must be equal between two trained stores: every array, the vocabulary, the losses."""
    out: dict = {p.name: np.load(p) for p in sorted(path.glob("*.npy"))}
    out["vocab.tsv"] = (path / "vocab.tsv").read_text("utf-8")
    out["loss_history"] = json.loads((path / "meta.json").read_text("utf-8"))["loss_history"]
    return out


def store_difference(path: Path, ref: dict) -> str | None:
    """None when the store at ``path`` equals ``ref`` (``store_files`` of the reference)."""
    if not os.path.lexists(path):
        return "absent"
    try:
        files = store_files(path)
    except Exception as e:  # noqa: BLE001 - whatever it is, it does not open
        return f"unopenable ({type(e).__name__}: {str(e)[:120]})"
    if files.keys() != ref.keys():
        return f"holds {sorted(files)} instead of {sorted(ref)}"
    for key, value in ref.items():
        other = files[key]
        if isinstance(value, np.ndarray):
            if other.shape != value.shape or other.dtype != value.dtype or not np.array_equal(other, value):
                return f"{key} differs"
        elif other != value:
            return f"{key} differs"
    return None


def make_old_store(path: Path) -> dict[str, str]:
    import wordlab
    wordlab.Embeddings(["old", "store"], np.full((2, 3), 7.0, np.float32)).save(path)
    return snapshot(path)


def output_state(out: Path, ref: dict, old: dict | None) -> str:
    """``absent``, ``old``, ``new`` (the reference) or ``neither (...)``."""
    if not os.path.lexists(out):
        return "absent"
    if old is not None and snapshot(out) == old:
        return "old"
    diff = store_difference(out, ref)
    return "new" if diff is None else f"neither the old store nor the reference ({diff})"


def debris(folder: Path, out_name: str | None = None) -> list[str]:
    """``.partial`` files and folders under ``folder`` (not inside one), and ``.OUT.training``."""
    found = []
    for dirpath, dirs, files in os.walk(folder):
        for name in list(dirs) + files:
            if name.endswith(".partial") or (out_name and name == f".{out_name}.training"):
                found.append(str(Path(dirpath, name).relative_to(folder)))
        dirs[:] = [d for d in dirs if not d.endswith(".partial")]
    return sorted(found)


def read_store_raw(path: Path) -> tuple[list[str], list[int], np.ndarray]:
    """A store read without wordlab: words, counts, vectors."""
    text = (path / "vocab.tsv").read_text("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    words, counts = [], []
    for line in lines:
        word, _, count = line.rpartition("\t")
        words.append(word)
        counts.append(int(count))
    return words, counts, np.load(path / "vectors.npy")


# -- the workspace -----------------------------------------------------------------------------------
class Workspace:
    def __init__(self, root: Path, seed: int, quick: bool):
        self.root = root
        self.seed = seed
        self.quick = quick
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self._names: set[str] = set()
        self._lock = threading.Lock()
        self._made: dict[str, object] = {}

    def case_dir(self, *parts: str) -> Path:
        safe = [re.sub(r"[^A-Za-z0-9_.-]+", "-", p) for p in parts]
        with self._lock:
            base = "/".join(safe)
            name, i = base, 1
            while name in self._names:
                i += 1
                name = f"{base}-{i}"
            self._names.add(name)
        path = self.root / "cases" / name
        path.mkdir(parents=True)
        return path

    def once(self, key: str, make: Callable[[], object]):
        """``make()`` the first time (called from the main thread before the cases start)."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    # data shared by several categories
    def corpus(self, lines: int = 3000) -> Path:
        return self.once(f"corpus{lines}", lambda: write_corpus(self.data / f"corpus-{lines}.txt", lines,
                                                                self.seed + lines))

    def random_store(self, name: str, words: list[str], dim: int, seed: int, fmt: str = "store",
                     meta: dict | None = None) -> Path:
        import wordlab

        def make():
            rng = np.random.default_rng(seed)
            path = self.data / name
            wordlab.Embeddings(words, rng.standard_normal((len(words), dim)).astype(np.float32),
                               counts=np.arange(len(words), 0, -1), meta=meta).save(path, format=fmt)
            return path
        return self.once(f"store:{name}", make)

    def lab_store(self) -> Path:
        """A store with the definitional pairs, some professions and w0..w299 (dim 20)."""
        def make():
            path = self.random_store("lab", LAB_WORDS, 20, self.seed + 5)
            r = run_cli(["neighbors", path, "w1"])          # the unit vectors are made once, before the cases
            if r.rc != 0:
                raise SystemExit(f"cannot prepare the lab store: {r.command()}: {r.stderr[-500:]}")
            return path
        return self.once("lab", make)


PAIRS = [("woman", "man"), ("girl", "boy"), ("she", "he"), ("mother", "father"), ("daughter", "son"),
         ("gal", "guy"), ("female", "male"), ("her", "his"), ("herself", "himself"), ("Mary", "John")]
PROFESSIONS = ["nurse", "engineer", "doctor", "teacher", "lawyer", "chef", "pilot", "artist", "farmer", "writer"]
LAB_WORDS = [w for p in PAIRS for w in p] + PROFESSIONS + [f"w{i}" for i in range(300)]


def log_case(case: Case) -> None:
    """With --verbose: one line per case (outcome, statuses, name, first problem)."""
    if VERBOSE:
        statuses = ",".join("hung" if r.rc is None else str(r.rc) for r in case.runs)
        statuses += f"; {sum(r.seconds for r in case.runs):.1f} s"
        why = f" -- {case.problems[0][1][:160]}" if case.problems else ""
        log(f"  {case.outcome:<9} [{statuses}] {case.category}: {case.name[:150]} (expected: "
            f"{case.expected[:70]}){why}")


def run_parallel(jobs: int, tasks: Sequence[Callable[[], list[Case] | Case]], label: str) -> list[Case]:
    """Run ``tasks`` (each returns a case or a list of cases), ``jobs`` at a time, in order of submission."""
    cases: list[Case] = []
    done = 0
    started = time.monotonic()
    with cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(t) for t in tasks]
        for fut in futures:
            result = fut.result()
            new = result if isinstance(result, list) else [result]
            cases.extend(new)
            for c in new:
                log_case(c)
            done += 1
            if done % max(1, len(tasks) // 10) == 0 or done == len(tasks):
                bad = sum(c.outcome != "handled" for c in cases)
                log(f"[{label}] {done}/{len(tasks)} tasks, {len(cases)} cases, {bad} not handled, "
                    f"{time.monotonic() - started:.0f} s")
    return cases


# == 1. kills ============================================================================================
def train_args(corpus: Path, method: str, out: Path, sizes: Sequence[str] | None = None) -> list:
    return ["train", corpus, "--method", method, *(METHODS[method] if sizes is None else sizes), *COMMON, "-o", out]


def reference_run(ws: Workspace, label: str, args: list, out: Path, cache: Path) -> tuple[dict | None, Run]:
    r = run_cli(args, {"WORDLAB_CACHE": cache}, cwd=out.parent)
    if r.rc != 0:
        return None, r
    return store_files(out), r


def kills(ws: Workspace, jobs: int, rng: random.Random) -> list[Case]:
    corpus = ws.corpus(3000)
    big, mid = ws.corpus(40000), ws.corpus(10000)
    methods = list(METHODS)
    plan: list[tuple[str, str, str]] = []
    for m, method in enumerate(methods):
        if ws.quick:
            for k in range(4):
                plan.append((method, FAULTS[(3 * m + 4 * k) % len(FAULTS)], "overwrite" if (m + k) % 2 == 0 else "new"))
        else:
            plan += [(method, fault, variant) for fault in FAULTS for variant in ("overwrite", "new")]
    refs: dict[str, cf.Future] = {}
    k_random = 3 if ws.quick else 10
    chain_seeds = {method: rng.randrange(2 ** 32) for method in RANDOM_METHODS}
    results: list[Case] = []
    started = time.monotonic()
    with cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for method in methods:
            d = ws.case_dir("kills", f"reference-{method}")
            refs[method] = pool.submit(reference_run, ws, method, train_args(corpus, method, d / "ref"), d / "ref",
                                       d / "cache")
        futures = [pool.submit(random_chain, ws, method, {"big": big, "mid": mid}[c], sizes, k_random,
                               random.Random(chain_seeds[method])) for method, (c, sizes) in RANDOM_METHODS.items()]
        futures += [pool.submit(kill_case, ws, corpus, method, fault, variant, refs[method])
                    for method, fault, variant in plan]
        for i, fut in enumerate(futures, 1):
            out = fut.result()
            out = out if isinstance(out, list) else [out]
            results.extend(out)
            for c in out:
                log_case(c)
            if i % max(1, len(futures) // 10) == 0 or i == len(futures):
                bad = sum(c.outcome != "handled" for c in results)
                log(f"[kills] {i}/{len(futures)} tasks, {len(results)} cases, {bad} not handled, "
                    f"{time.monotonic() - started:.0f} s")
    return results


def kill_case(ws: Workspace, corpus: Path, method: str, fault: str, variant: str, ref_future: cf.Future) -> Case:
    overwrite = variant == "overwrite"
    case = Case("kills", f"{method}, WORDLAB_FAULT={fault}, " + ("over an old store with --overwrite" if overwrite
                                                                 else "to a new OUT"),
                "after the kill OUT is the " + ("old store" if overwrite else "absent") + " or the reference; "
                "--resume exits 0 with the reference bit for bit, no .partial, no .out.training")
    ref, ref_run = ref_future.result()
    if ref is None:
        case.runs.append(ref_run)
        case.fail("traceback" if traceback_problem(ref_run) else "other",
                  f"the uninterrupted reference run failed ({ref_run.status()})")
        return case
    d = ws.case_dir("kills", f"{method}-{fault}-{variant}")
    out = d / "out"
    env = {"WORDLAB_CACHE": d / "cache"}
    args = train_args(corpus, method, out) + (["--overwrite"] if overwrite else [])
    old = make_old_store(out) if overwrite else None
    r = run_cli(args, {**env, "WORDLAB_FAULT": fault}, cwd=d)
    if case.check(r, kill_ok=True):
        if r.rc not in (0, -signal.SIGKILL):
            case.fail("other", f"the faulted run neither died at the fault point nor finished: {r.status()}")
        state = output_state(out, ref, old)
        if state not in (("old", "new") if overwrite else ("absent", "new")):
            case.fail("lost", f"after the faulted run ({r.status()}) OUT is {state}")
        elif r.rc == 0 and state != "new":
            case.fail("wrong", f"the faulted run exited 0 (the fault point was not reached) but OUT is {state}")
    resume_and_check(case, args + ["--resume"], env, d, out, ref)
    return case


def resume_and_check(case: Case, args: list, env: dict, d: Path, out: Path, ref: dict) -> None:
    r = run_cli(args, env, cwd=d)
    if not case.check(r):
        return
    if r.rc != 0:
        case.fail("lost", f"--resume failed ({r.status()}): the interrupted run cannot be completed")
        return
    diff = store_difference(out, ref)
    if diff:
        case.fail("wrong", f"--resume exited 0 but OUT differs from the uninterrupted run: {diff}")
    left = debris(d, out.name)
    if left:
        case.fail("wrong", f"--resume exited 0 but left {', '.join(left[:4])}")


def random_chain(ws: Workspace, method: str, corpus: Path, sizes: list[str], k: int, rng: random.Random) -> list[Case]:
    d = ws.case_dir("kills", f"random-{method}")
    ref_out = d / "ref"
    ref, ref_run = reference_run(ws, method, train_args(corpus, method, ref_out, sizes), ref_out, d / "ref-cache")
    if ref is None:
        case = Case("kills", f"{method}: random-moment kills", "the uninterrupted reference run succeeds")
        case.runs.append(ref_run)
        case.fail("traceback" if traceback_problem(ref_run) else "other",
                  f"the uninterrupted reference run failed ({ref_run.status()})")
        return [case]
    duration = ref_run.seconds
    out = d / "out"
    env = {"WORDLAB_CACHE": d / "cache"}
    args = train_args(corpus, method, out, sizes) + ["--overwrite", "--resume"]
    old = make_old_store(out)
    cases = []
    for i in range(k):
        delay = rng.uniform(0, duration)
        case = Case("kills", f"{method}: random kill {i + 1} of {k}, after {delay:.2f} s (an uninterrupted run "
                             f"takes {duration:.2f} s), chained, over an old store with --overwrite --resume",
                    "killed (-9) or finished; OUT is the old store or the reference; a finished run leaves no debris")
        r = Pending(args, env, d, d).wait(kill_after=delay)
        if case.check(r, kill_ok=True):
            state = output_state(out, ref, old)
            if state not in ("old", "new"):
                case.fail("lost", f"after the kill OUT is {state}")
            if r.rc == 0:
                if state != "new":
                    case.fail("wrong", f"the run exited 0 but OUT is {state}")
                left = debris(d, out.name)
                if left:
                    case.fail("wrong", f"the run exited 0 but left {', '.join(left[:4])}")
                shutil.rmtree(out, ignore_errors=True)          # start the chain again
                old = make_old_store(out)
            elif r.rc != -signal.SIGKILL:
                case.fail("other", f"the run neither finished nor was killed: {r.status()}")
        cases.append(case)
    final = Case("kills", f"{method}: the --resume after {k} random kills",
                 "exit 0 with the reference bit for bit, no .partial, no .out.training")
    resume_and_check(final, args, env, d, out, ref)
    cases.append(final)
    return cases


# == 2. disk ============================================================================================
def tmpfs_unavailable() -> str | None:
    """Why a private tmpfs cannot be mounted here, or None."""
    if not shutil.which("unshare"):
        return "no unshare command"
    try:
        p = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt && touch /mnt/x"],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unshare failed: {e}"
    if p.returncode != 0:
        return f"'unshare -rm sh -c \"mount -t tmpfs ...\"' failed: {p.stderr.strip()[:200]} (no user namespaces?)"
    return None


@dataclass
class Step:
    args: list
    env: dict = field(default_factory=dict)
    before: str = ""       # shell lines run before the command (e.g. a remount)


def tmpfs_script(d: Path, size: str, steps: list[Step], setup: str = "", after: str = "") -> tuple[str, list[Run], list[list[str]]]:
    """Run ``steps`` in one shell with a private ``size`` tmpfs on /mnt; returns the
    script, the runs and the listing of /mnt after each step."""
    lines = ["set -u", f"mount -t tmpfs -o size={size} tmpfs /mnt || exit 97"]
    if setup:
        lines.append(setup)
    runs = []
    for i, step in enumerate(steps):
        if step.before:
            lines.append(step.before)
        env = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in step.env.items())
        cmd = " ".join(shlex.quote(str(a)) for a in [*EXE, *step.args])
        lines.append(f"{env + ' ' if env else ''}{cmd} >{d}/step{i}.out 2>{d}/step{i}.err; echo $? >{d}/step{i}.rc")
        lines.append(f"find /mnt >{d}/step{i}.find")
        runs.append(Run([*EXE, *map(str, step.args)], {k: str(v) for k, v in step.env.items()}, None,
                        note="a step of the tmpfs script below"))
    if after:
        lines.append(after)
    script = "\n".join(lines)
    started = time.monotonic()
    try:
        p = subprocess.run(["unshare", "-rm", "sh", "-c", script], env=BASE_ENV, capture_output=True, timeout=TIMEOUT,
                           cwd=d)
        shell_err = _text(p.stderr)
    except subprocess.TimeoutExpired:
        shell_err = "the script did not finish"
    listings = []
    for i, run in enumerate(runs):
        rc = d / f"step{i}.rc"
        if rc.exists() and rc.read_text().strip():
            code = int(rc.read_text().strip())
            run.rc = -(code - 128) if code > 128 and code != 130 else code   # the shell reports signal N as 128+N
            run.stdout = (d / f"step{i}.out").read_text("utf-8", "replace")
            run.stderr = (d / f"step{i}.err").read_text("utf-8", "replace")
        else:
            run.stderr = shell_err
        run.seconds = time.monotonic() - started
        listing = d / f"step{i}.find"
        listings.append(listing.read_text().split("\n") if listing.exists() else [])
    return "unshare -rm sh -c " + shlex.quote(script), runs, listings


def _sums_of(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            out[name.strip().removeprefix("./")] = digest
    return out


def disk(ws: Workspace, jobs: int) -> tuple[list[Case], str | None]:
    why = tmpfs_unavailable()
    if why:
        return [], why
    big_words = [f"w{i}" for i in range(20000)]
    big_bin = ws.random_store("big.bin", big_words, 50, ws.seed + 11, fmt="word2vec-bin")      # 4 MB
    small_bin = ws.random_store("small.bin", big_words[:6000], 50, ws.seed + 12, fmt="word2vec-bin")  # 1.2 MB
    big_store = ws.random_store("bigstore", big_words, 50, ws.seed + 13)
    lab = ws.lab_store()
    corpus = ws.corpus(3000)
    encode_corpus = ws.corpus(80000)          # 3.8 MB of token ids
    old_store = ws.random_store("oldstore", ["old", "small", "store"], 4, ws.seed + 14)
    old_file = ws.random_store("old.txt", ["old", "small", "file"], 4, ws.seed + 15, fmt="word2vec")
    pairs = ws.once("pairs", lambda: _write(ws.data / "pairs.txt", "w3 w4\n"))
    specific = ws.once("specific", lambda: _write(ws.data / "specific.txt", "w5\n"))
    train_small = ["train", corpus, "--min-count", "1", "--epochs", "1", "--workers", "1", "--no-progress"]
    ckpt_args = ["train", corpus, "--method", "sgns", "--dim", "330", "--epochs", "2", "--window", "3", *COMMON]
    ref_dir = ws.case_dir("disk", "reference")
    tasks = [
        lambda: disk_case(ws, "convert a 4 MB .bin to a store", "2m", Step(["convert", big_bin, "/mnt/store"]),
                          out="/mnt/store"),
        lambda: disk_case(ws, "convert a 4 MB .bin --to word2vec", "2m",
                          Step(["convert", big_bin, "/mnt/vectors.txt", "--to", "word2vec"]), out="/mnt/vectors.txt"),
        lambda: disk_case(ws, "convert a 4 MB .bin --overwrite over a small old store", "2m",
                          Step(["convert", big_bin, "/mnt/old", "--overwrite"]), old=(old_store, "/mnt/old")),
        lambda: disk_case(ws, "convert a 4 MB .bin --to word2vec --overwrite over a small old file", "2m",
                          Step(["convert", big_bin, "/mnt/old.txt", "--to", "word2vec", "--overwrite"]),
                          old=(old_file, "/mnt/old.txt")),
        lambda: disk_case(ws, "train whose weights do not fit (--dim 1000)", "2m",
                          Step([*train_small, "--dim", "1000", "-o", "/mnt/run"]), out="/mnt/run"),
        lambda: disk_checkpoint_case(ws, ckpt_args, ref_dir),
        lambda: disk_case(ws, "corpus encode --out (80,000 lines)", "2m",
                          Step(["corpus", "encode", encode_corpus, "--min-count", "1", "--out", "/mnt/enc"]),
                          out="/mnt/enc"),
        lambda: disk_case(ws, "neighbors with the cache on the tmpfs: the import of a 4 MB .bin does not fit", "2m",
                          Step(["neighbors", big_bin, "w1"], {"WORDLAB_CACHE": "/mnt/cache"})),
        lambda: disk_case(ws, "neighbors with the cache on the tmpfs: the import fits, the unit vectors do not", "2m",
                          Step(["neighbors", small_bin, "w1"], {"WORDLAB_CACHE": "/mnt/cache"})),
        lambda: disk_case(ws, "align procrustes of a 20,000 x 50 store", "2m",
                          Step(["align", "procrustes", big_store, big_store, "--identical", "-o", "/mnt/x"]),
                          out="/mnt/x"),
        lambda: disk_case(ws, "debias hard of a 20,000 x 50 store", "2m",
                          Step(["debias", "hard", big_store, "-o", "/mnt/x", "--pair", "w1,w2", "--method", "pair",
                                "--equalize", pairs, "--specific", specific]), out="/mnt/x"),
        lambda: disk_case(ws, "plot projection to a 16k tmpfs", "16k",
                          Step(["plot", "projection", lab, "w1", "w2", "w3", "w4", "w5", "-o", "/mnt/f.png"]),
                          out="/mnt/f.png"),
    ]
    return run_parallel(jobs, tasks, "disk"), None


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


FULL = ("no space left on device", "file size limit")


def judge_full_disk(case: Case, run: Run, listing: list[str], out: str | None = None,
                    allow_training: str | None = None) -> None:
    if not case.check(run):
        return
    if run.rc == 0:
        case.fail("other", "exit 0: the output fit, the disk was never full (the case tests nothing)")
        return
    why = error_problem(run, FULL, "/mnt")
    if why:
        case.fail("other", why)
    elif run.rc != 1:
        case.fail("other", f"{run.status()}, expected 1")
    partial = [p for p in listing if p.endswith(".partial") or ".partial/" in p]
    partial = [p for p in partial if not (allow_training and p.startswith(allow_training))]
    if partial:
        case.fail("other", f"left {partial[0]} on the tmpfs")
    if out and out in listing:
        case.fail("lost", f"{out} exists after the failed write (it should be absent)")
    training = [p for p in listing if p.endswith(".training")]
    if training and not allow_training:
        case.fail("other", f"left {training[0]} on the tmpfs")


def disk_case(ws: Workspace, name: str, size: str, step: Step, out: str | None = None,
              old: tuple[Path, str] | None = None) -> Case:
    case = Case("disk", f"{name} (tmpfs of {size})",
                "exit 1, one Error line saying 'no space left on device' and the /mnt path; nothing .partial "
                "left on the tmpfs" + ("; the old output intact" if old else "; the output path absent"))
    d = ws.case_dir("disk", name)
    setup = after = ""
    if old:
        src, dest = old
        setup = f"cp -a {shlex.quote(str(src))} {dest}"
        after = (f"if [ -e {dest} ]; then cd {dest} 2>/dev/null && find . -type f -exec sha256sum {{}} + "
                 f">{d}/old.sums || sha256sum {dest} >{d}/old.sums; else echo MISSING >{d}/old.sums; fi")
    case.script, runs, listings = tmpfs_script(d, size, [step], setup, after)
    judge_full_disk(case, runs[0], listings[0], out)
    if old:
        src, dest = old
        sums = d / "old.sums"
        text = sums.read_text() if sums.exists() else "MISSING"
        if text.strip() == "MISSING" or not text.strip():
            case.fail("lost", f"the old output {dest} is gone")
        else:
            found = _sums_of(text)
            before = snapshot(src)
            if src.is_file():
                ok = list(found.values()) == list(before.values())
            else:
                ok = all(found.get(k) == v for k, v in before.items())
            if not ok:
                case.fail("lost", f"the old output {dest} was changed")
    return case


def disk_checkpoint_case(ws: Workspace, args: list, ref_dir: Path) -> Case:
    case = Case("disk", "train whose weights fit but whose second checkpoint does not (tmpfs of 2m), then a "
                        "remount to 64m and --resume",
                "exit 1 with one Error line saying 'no space left on device' and the /mnt path, the last "
                "checkpoint kept; after the remount --resume exits 0 with the reference, no debris")
    ref_out = ref_dir / "ref"
    ref, ref_run = reference_run(ws, "disk", [*args, "-o", ref_out], ref_out, ref_dir / "cache")
    if ref is None:
        case.runs.append(ref_run)
        case.fail("traceback" if traceback_problem(ref_run) else "other", f"the reference run failed ({ref_run.status()})")
        return case
    d = ws.case_dir("disk", "checkpoint-then-resume")
    steps = [Step([*args, "-o", "/mnt/run"]), Step([*args, "-o", "/mnt/run", "--resume"],
                                                   before="mount -o remount,size=64m /mnt")]
    case.script, runs, listings = tmpfs_script(d, "2m", steps, after=f"cp -a /mnt/run {d}/result 2>/dev/null")
    judge_full_disk(case, runs[0], listings[0], "/mnt/run", allow_training="/mnt/.run.training")
    if runs[0].rc == 1 and "/mnt/.run.training" not in listings[0]:
        case.fail("lost", "the training directory with the last complete checkpoint is gone")
    r = runs[1]
    if case.check(r):
        if r.rc != 0:
            case.fail("lost", f"--resume after the remount failed ({r.status()})")
        else:
            diff = store_difference(d / "result", ref)
            if diff:
                case.fail("wrong", f"--resume exited 0 but the store differs from the reference: {diff}")
            left = [p for p in listings[1] if p.endswith((".partial", ".training"))]
            if left:
                case.fail("wrong", f"--resume exited 0 but left {left[0]}")
    return case


# == 3. concurrency =======================================================================================
def concurrency(ws: Workspace) -> list[Case]:
    import wordlab
    repeats = 1 if ws.quick else 3
    corpus = ws.corpus(3000)
    cases: list[Case] = []
    started = time.monotonic()

    # references for the training race (seeds 11 and 12)
    rd = ws.case_dir("concurrency", "references")
    sizes = METHODS["sgns"]
    seeds = (11, 12)
    refs = {}
    for s in seeds:
        args = ["train", corpus, "--method", "sgns", *sizes, "--min-count", "1", "--workers", "1", "--seed", s,
                "--no-progress", "-o", rd / f"ref{s}"]
        refs[s], r = reference_run(ws, "race", args, rd / f"ref{s}", rd / "cache")
        if refs[s] is None:
            case = Case("concurrency", f"the reference training run (seed {s})", "exit 0")
            case.check(r)
            case.fail("other", f"the reference run failed: {r.status()}")
            return [case]
    for i in range(repeats):
        cases.append(train_race(ws, corpus, sizes, seeds, refs, i))
    log(f"[concurrency] training races done, {time.monotonic() - started:.0f} s")

    words_a = [f"w{i}" for i in range(20000)]
    src = {"a": ws.random_store("race-a.bin", words_a, 48, ws.seed + 21, fmt="word2vec-bin"),
           "b": ws.random_store("race-b.bin", words_a[::-1], 40, ws.seed + 22, fmt="word2vec-bin")}
    content = {k: wordlab.load(p, cache=False) for k, p in src.items()}
    content = {k: (e.words, np.asarray(e.vectors).copy()) for k, e in content.items()}
    for i in range(repeats):
        cases.append(convert_race(ws, src, content, i))
    for i in range(repeats):
        cases.append(encode_race(ws, i))
    log(f"[concurrency] convert and encode races done, {time.monotonic() - started:.0f} s")

    words_rw = [f"w{i}" for i in range(100000)]          # 19 and 16 MB: each write takes a while
    stores = {"a": ws.random_store("rw-a", words_rw, 48, ws.seed + 23, meta={"method": "store-a"}),
              "b": ws.random_store("rw-b", words_rw[::-1], 40, ws.seed + 24, meta={"method": "store-b"})}
    for i in range(repeats):
        cases += reader_and_writer(ws, stores, i)
    log(f"[concurrency] reader and writer done, {time.monotonic() - started:.0f} s")
    cases += stale_locks(ws, corpus, sizes, refs[11], rd / "ref11")
    log(f"[concurrency] stale locks done, {time.monotonic() - started:.0f} s")
    for c in cases:
        log_case(c)
    return cases


def judge_racer(case: Case, run: Run, other_pid: int) -> bool:
    """True when ``run`` succeeded; a refusal must be one Error line naming the other process."""
    if not case.check(run):
        return False
    if run.rc == 0:
        return True
    why = error_problem(run, f"process {other_pid}")
    if why:
        case.fail("other", f"refused, but not as it should be: {why}")
    return False


def train_race(ws: Workspace, corpus: Path, sizes: list, seeds: tuple, refs: dict, i: int) -> Case:
    case = Case("concurrency", f"two train -o X --overwrite at once (seeds {seeds[0]} and {seeds[1]}, X an old store), "
                               f"race {i + 1}",
                "X ends as one of the two runs' references; each process succeeds or is refused with an Error line "
                "naming the other's pid")
    d = ws.case_dir("concurrency", f"train-race-{i}")
    x = d / "x"
    old = make_old_store(x)
    env = {"WORDLAB_CACHE": d / "cache"}
    procs = [Pending(["train", corpus, "--method", "sgns", *sizes, "--min-count", "1", "--workers", "1", "--seed", s,
                      "--no-progress", "-o", x, "--overwrite"], env, d, d) for s in seeds]
    runs = [p.wait() for p in procs]
    ok = [judge_racer(case, runs[j], procs[1 - j].pid) for j in range(2)]
    states = [store_difference(x, refs[s]) is None for s in seeds]
    if not any(states):
        state = output_state(x, refs[seeds[0]], old)
        if any(ok):
            case.fail("lost" if state != "old" else "wrong",
                      f"X is not the result of a run that succeeded: {state}")
        elif state != "old":
            case.fail("lost", f"both were refused but X is {state}")
    else:
        winner = seeds[states.index(True)]
        if not ok[seeds.index(winner)]:
            case.fail("wrong", f"X holds the result of the run with seed {winner}, which did not succeed")
    if any(ok):
        left = debris(d, "x")
        if left:
            case.fail("wrong", f"left {', '.join(left[:4])}")
    return case


def convert_race(ws: Workspace, src: dict, content: dict, i: int) -> Case:
    case = Case("concurrency", f"two convert A.bin X / B.bin X --overwrite at once (X an old store), race {i + 1}",
                "X ends as A or B, complete; each process succeeds or is refused with an Error line naming the other")
    d = ws.case_dir("concurrency", f"convert-race-{i}")
    x = d / "x"
    old = make_old_store(x)
    env = {"WORDLAB_CACHE": d / "cache"}
    procs = [Pending(["convert", src[k], x, "--overwrite"], env, d, d) for k in ("a", "b")]
    runs = [p.wait() for p in procs]
    ok = [judge_racer(case, runs[j], procs[1 - j].pid) for j in range(2)]
    which = store_content_is(x, content)
    if which is None:
        if snapshot(x) == old and not any(ok):
            pass
        else:
            case.fail("lost", "X is neither A nor B (nor the old store): " + describe_store(x))
    elif not ok["ab".index(which)]:
        case.fail("wrong", f"X holds {which.upper()}, whose convert did not succeed")
    left = debris(d)
    if left and any(ok):
        case.fail("wrong", f"left {', '.join(left[:4])}")
    return case


def store_content_is(path: Path, content: dict) -> str | None:
    """Which of ``content`` (name -> (words, vectors)) the store at ``path`` holds, or None."""
    try:
        words, _counts, vectors = read_store_raw(path)
    except Exception:  # noqa: BLE001
        return None
    for name, (w, v) in content.items():
        if words == w and vectors.shape == v.shape and np.array_equal(vectors, v):
            return name
    return None


def describe_store(path: Path) -> str:
    if not os.path.lexists(path):
        return "absent"
    try:
        words, _c, v = read_store_raw(path)
        return f"{len(words)} words ({' '.join(words[:3])} ...), vectors {v.shape}"
    except Exception as e:  # noqa: BLE001
        return f"unopenable ({type(e).__name__}: {str(e)[:100]})"


def encode_race(ws: Workspace, i: int) -> Case:
    case = Case("concurrency", f"two corpus encode of one 80,000-line file at once on an empty cache, race {i + 1}",
                "both exit 0 with the same encoding; the cache holds one entry and no .partial")
    d = ws.case_dir("concurrency", f"encode-race-{i}")
    corpus = ws.corpus(80000)
    cache = d / "cache"
    procs = [Pending(["corpus", "encode", corpus, "--min-count", "1"], {"WORDLAB_CACHE": cache}, d, d) for _ in range(2)]
    runs = [p.wait() for p in procs]
    for r in runs:
        if case.check(r) and r.rc != 0:
            case.fail("other", f"an encode failed ({r.status()}) while the other wrote the cache entry")
    if all(r.rc == 0 for r in runs):
        if runs[0].stdout != runs[1].stdout:
            case.fail("wrong", f"the two encodings differ: {runs[0].stdout.strip()!r} / {runs[1].stdout.strip()!r}")
        entries = [p.name for p in (cache / "corpora").iterdir() if p.is_dir() and not p.name.startswith(".")] \
            if (cache / "corpora").is_dir() else []
        if len(entries) != 1:
            case.fail("wrong", f"the cache holds {len(entries)} corpus entries, expected 1")
        left = debris(cache)
        if left:
            case.fail("wrong", f"left {', '.join(left[:4])} in the cache")
    return case


def expected_neighbours(words: list[str], vectors: np.ndarray, word: str, topn: int = 10) -> list[str]:
    v = vectors.astype(np.float64)
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    i = words.index(word)
    sims = unit @ unit[i]
    sims[i] = -np.inf
    return [words[j] for j in np.argsort(-sims, kind="stable")[:topn]]


def parse_info(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def parse_neighbours(text: str, word: str) -> list[str]:
    lines = text.splitlines()
    try:
        start = lines.index(f"{word}:")
    except ValueError:
        return []
    found = []
    for line in lines[start + 1:]:
        parts = line.split()
        if len(parts) != 3 or not parts[0].isdigit():
            break
        found.append(parts[2])
    return found


def reader_and_writer(ws: Workspace, stores: dict[str, Path], repeat: int = 0) -> list[Case]:
    import wordlab
    d = ws.case_dir("concurrency", f"reader-and-writer-{repeat}")
    x = d / "x"
    env = {"WORDLAB_CACHE": d / "cache"}
    expect = {}
    for k, p in stores.items():
        e = wordlab.load(p)
        words, vectors = list(e.words), np.asarray(e.vectors)
        expect[k] = {"words": f"{len(words):,}", "dim": str(vectors.shape[1]), "method": f"store-{k}",
                     "first words": " ".join(words[:10]) + " ...", "neighbours": expected_neighbours(words, vectors, "w1")}
    first = run_cli(["convert", stores["a"], x], env, cwd=d)
    cases = []
    writes: list[Case] = []
    if first.rc != 0:
        case = Case("concurrency", "reader and writer: the first convert", "exit 0")
        case.check(first)
        case.fail("other", f"the first convert failed: {first.status()}")
        return [case]

    def writer():
        for i in range(10):
            k = "b" if i % 2 == 0 else "a"
            case = Case("concurrency", f"reader and writer {repeat + 1}: write {i + 1} of 10, convert {k.upper()} X --overwrite "
                                       "while a reader reads X", "exit 0; X is then the store written, complete")
            r = run_cli(["convert", stores[k], x, "--overwrite"], env, cwd=d)
            if case.check(r):
                if r.rc != 0:
                    case.fail("other", f"the write failed ({r.status()}) although only readers were about")
                else:
                    got = read_info_now(x)
                    if got is not None and got != k:
                        case.fail("wrong", f"X holds {got.upper()} right after {k.upper()} was written")
            writes.append(case)

    def read_info_now(path: Path) -> str | None:
        try:
            meta = json.loads((path / "meta.json").read_text("utf-8"))
            return meta.get("method", "?")[-1]
        except Exception:  # noqa: BLE001
            return None

    thread = threading.Thread(target=writer)
    thread.start()
    n = 0
    while thread.is_alive() or n < 2:
        query = "info" if n % 2 == 0 else "neighbors"
        n += 1
        args = ["info", x] if query == "info" else ["neighbors", x, "w1"]
        case = Case("concurrency", f"reader and writer {repeat + 1}: read {n}, wordlab {' '.join(map(str, args[:1]))} X while X "
                                   "is replaced", "exit 0 with the answer of store A or of store B (never a mix), "
                                                  "or one Error line")
        r = run_cli(args, env, cwd=d)
        if case.check(r):
            if r.rc != 0:
                why = error_problem(r)
                if why:
                    case.fail("other", why)
            elif query == "info":
                info = parse_info(r.stdout)
                got = {k: info.get(k) for k in ("words", "dim", "method", "first words")}
                if not any(all(got[k] == e[k] for k in got) for e in expect.values()):
                    case.fail("wrong", "the info is of neither store (a mix?): " + json.dumps(got)[:300])
            else:
                found = parse_neighbours(r.stdout, "w1")
                if not any(found == e["neighbours"] for e in expect.values()):
                    case.fail("wrong", f"the neighbours of w1 are of neither store: {found}; "
                                       f"A: {expect['a']['neighbours'][:4]}..., B: {expect['b']['neighbours'][:4]}...")
        cases.append(case)
    thread.join()
    return writes + cases


def stale_locks(ws: Workspace, corpus: Path, sizes: list, ref: dict, ref_path: Path) -> list[Case]:
    cases = []
    # (a) train killed in its first epoch's end
    case = Case("concurrency", "a lock left by a train killed at train.epoch-done:1, then train --resume",
                "the resume is not blocked: exit 0 with the reference, no .partial, no lock file, no .x.training")
    d = ws.case_dir("concurrency", "stale-lock-train")
    x = d / "x"
    env = {"WORDLAB_CACHE": d / "cache"}
    args = ["train", corpus, "--method", "sgns", *sizes, "--min-count", "1", "--workers", "1", "--seed", 11,
            "--no-progress", "-o", x]
    r = run_cli(args, {**env, "WORDLAB_FAULT": "train.epoch-done:1"}, cwd=d)
    if case.check(r, kill_ok=True):
        resume_and_check(case, args + ["--resume"], env, d, x, ref)
        if (d / ".x.lock").exists():
            case.fail("other", "the lock file .x.lock is still there after the next writer finished")
    cases.append(case)
    # (b) convert to a store killed before its rename, (c) to a file
    source = ws.random_store("lock-source", [f"w{i}" for i in range(500)], 8, ws.seed + 31)
    src_words, _c, src_vectors = read_store_raw(source)
    for label, fault, target, extra in (("a store", "atomic.directory-complete:1", "x", []),
                                        ("a word2vec file", "atomic.file-complete:1", "x.txt", ["--to", "word2vec"])):
        case = Case("concurrency", f"a lock left by convert to {label} killed at {fault}, then the same convert",
                    "the second convert is not blocked: exit 0, the right content, no .partial, no lock file")
        d = ws.case_dir("concurrency", f"stale-lock-convert-{target}")
        x = d / target
        env = {"WORDLAB_CACHE": d / "cache"}
        r = run_cli(["convert", source, x, *extra], {**env, "WORDLAB_FAULT": fault}, cwd=d)
        if case.check(r, kill_ok=True):
            if r.rc != -signal.SIGKILL:
                case.fail("other", f"the faulted convert was not killed at {fault}: {r.status()}")
            r2 = run_cli(["convert", source, x, *extra], env, cwd=d)
            if case.check(r2):
                if r2.rc != 0:
                    case.fail("other", f"the next writer failed: {r2.status()}")
                else:
                    if target == "x":
                        ok = store_content_is(x, {"src": (src_words, src_vectors)}) == "src"
                    else:
                        v = oracle_text_vectors(x.read_bytes(), "word2vec") if x.exists() else None
                        ok = v is not None and v.kind == "valid" and v.words == src_words and \
                            np.array_equal(v.vectors, src_vectors)
                    if not ok:
                        case.fail("wrong", f"the second convert exited 0 but {target} is not the source's content")
                    left = debris(d)
                    if left:
                        case.fail("wrong", f"left {', '.join(left)}")
                    if (d / f".{target}.lock").exists():
                        case.fail("other", f"the lock file .{target}.lock is still there")
        cases.append(case)
    return cases


# == 4. damaged =============================================================================================
@dataclass
class Verdict:
    """What the oracle makes of an input."""
    kind: str                     # valid | warn (valid, a Warning is due) | invalid (detectable) | unknown
    why: str = ""
    words: list[str] | None = None
    vectors: np.ndarray | None = None
    counts: list[int] | None = None
    extra: dict = field(default_factory=dict)


class _Findings:
    def __init__(self):
        self.invalid: list[str] = []
        self.unknown: list[str] = []
        self.warn: list[str] = []

    def verdict(self, **content) -> Verdict:
        if self.invalid:
            return Verdict("invalid", self.invalid[0])
        if self.unknown:
            return Verdict("unknown", self.unknown[0])
        if self.warn:
            return Verdict("warn", self.warn[0], **content)
        return Verdict("valid", "", **content)


_DECIMAL = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NONFINITE = re.compile(rb"[-+]?(?:nan|inf|infinity)", re.I)
_MAX_COUNT_DIGITS = 18
_MAX_DIM = 1_000_000


def _float32(values: list[float], dim: int) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array(values, dtype=np.float64).astype(np.float32).reshape(-1, dim)


def _check_word(raw: bytes, f: _Findings, where: str) -> str | None:
    try:
        word = raw.decode("utf-8")
    except UnicodeDecodeError:
        f.invalid.append(f"{where}: a word is not valid UTF-8")
        return None
    if not word:
        f.invalid.append(f"{where}: an empty word")
    elif "\t" in word or "\n" in word or "\r" in word:
        f.invalid.append(f"{where}: a word holds a tab or line break")
    return word


def oracle_text_vectors(data: bytes, fmt: str) -> Verdict:
    """word2vec text / .vec (``fmt`` "word2vec": header required) or ``.txt`` ("text":
    a header when the first line is two integers, else GloVe)."""
    f = _Findings()
    if data.startswith(BOM):
        data = data[len(BOM):]
    lines = data.split(b"\n")
    if lines[-1].strip():
        f.warn.append("the last line has no newline")
    first = lines[0]
    parts = first.split()
    is_header = len(parts) == 2 and all(re.fullmatch(rb"\d+", p) for p in parts)
    if not is_header and len(parts) == 2 and all(re.fullmatch(rb"[-+]?\d+", p) for p in parts):
        f.unknown.append("a header with a sign")
        return f.verdict()
    if fmt == "word2vec" and not is_header:
        f.invalid.append("no 'N DIM' header")
        return f.verdict()
    if is_header:
        if any(len(p.lstrip(b"0")) > _MAX_COUNT_DIGITS for p in parts):
            f.invalid.append("the header declares an absurd size")
            return f.verdict()
        n_rows, dim = int(parts[0]), int(parts[1])
        rows = list(enumerate(lines[1:], 2))
    else:
        n_rows = None
        stripped = first.rstrip(b"\r\n ")
        if b"  " in stripped or any(c in stripped for c in b"\t\x0b\x0c\r"):
            f.unknown.append("a GloVe first line with unusual separators")
            return f.verdict()
        dim = len(stripped.split(b" ")) - 1
        rows = list(enumerate(lines, 1))
    if dim < 1 or dim > _MAX_DIM:
        f.invalid.append(f"dimension {dim}")
        return f.verdict()
    words, values = [], []
    for number, line in rows:
        line = line.rstrip(b"\r\n ")
        if not line.strip():
            continue
        raw_word, _, rest = line.partition(b" ")
        tokens = rest.split()
        if len(tokens) != dim:
            f.invalid.append(f"line {number}: {len(tokens)} values, expected {dim}")
            break
        word = _check_word(raw_word, f, f"line {number}")
        for t in tokens:
            if _DECIMAL.fullmatch(t) or _NONFINITE.fullmatch(t):
                values.append(float(t))
            else:
                try:
                    float(t.decode("utf-8"))
                    f.unknown.append(f"line {number}: a number in an unusual form {t[:20]!r}")
                except (UnicodeDecodeError, ValueError):
                    f.invalid.append(f"line {number}: {t[:20]!r} is not a number")
                values.append(0.0)
        words.append(word)
    if f.invalid:
        return f.verdict()
    if n_rows is not None and len(words) != n_rows:
        f.invalid.append(f"the header declares {n_rows} rows, the file has {len(words)}")
        return f.verdict()
    if not words:
        f.invalid.append("no vectors")
        return f.verdict()
    vectors = _float32(values, dim)
    if not np.isfinite(vectors).all():
        f.warn.append("NaN or infinite values")
    if len(set(words)) != len(words):
        f.unknown.append("a repeated word")
    return f.verdict(words=words, vectors=vectors)


def oracle_binary_vectors(data: bytes) -> Verdict:
    f = _Findings()
    if data.startswith(BOM):
        data = data[len(BOM):]
    end = data.find(b"\n", 0, 1024)
    if end < 0:
        return Verdict("invalid", "no header line")
    parts = data[:end].split()
    if not (len(parts) == 2 and all(re.fullmatch(rb"\d+", p) for p in parts)):
        return Verdict("invalid", "not an 'N DIM' header")
    if any(len(p.lstrip(b"0")) > _MAX_COUNT_DIGITS for p in parts):
        return Verdict("invalid", "the header declares an absurd size")
    n_rows, dim = int(parts[0]), int(parts[1])
    if dim < 1 or dim > _MAX_DIM:
        return Verdict("invalid", f"dimension {dim}")
    pos = end + 1
    words, rows = [], []
    for row in range(n_rows):
        space = data.find(b" ", pos, pos + (1 << 16))
        if space < 0 or space + 1 + 4 * dim > len(data):
            return Verdict("invalid", f"row {row + 1}: truncated")
        raw = data[pos:space].lstrip(b"\r\n")
        word = _check_word(raw, f, f"row {row + 1}")
        if f.invalid:
            return f.verdict()
        words.append(word)
        rows.append(np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1))
        pos = space + 1 + 4 * dim
    if data[pos:].strip():
        return Verdict("invalid", f"data after the {n_rows} declared rows")
    if not words:
        return Verdict("unknown", "no rows")
    vectors = np.array(rows, dtype=np.float32).reshape(-1, dim)
    if not np.isfinite(vectors).all():
        f.warn.append("NaN or infinite values")
    if len(set(words)) != len(words):
        f.unknown.append("a repeated word")
    return f.verdict(words=words, vectors=vectors)


def oracle_store(files: dict[str, bytes], original_meta: dict) -> Verdict:
    f = _Findings()
    meta = files["meta.json"]
    try:
        info = json.loads((meta[len(BOM):] if meta.startswith(BOM) else meta).decode("utf-8"))
        if not isinstance(info, dict):
            f.invalid.append("meta.json is not a JSON object")
        elif info != original_meta:
            f.unknown.append("meta.json says something else but is valid JSON")
    except (UnicodeDecodeError, ValueError, RecursionError):
        f.invalid.append("meta.json is not valid JSON")
    data = files["vectors.npy"]
    vectors = None
    try:
        fp = io.BytesIO(data)
        version = np.lib.format.read_magic(fp)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        offset = fp.tell()
        if dtype != np.dtype("<f4"):
            (f.unknown if dtype.kind == "f" and dtype.itemsize == 4 else f.invalid).append(f"dtype {dtype}")
        elif fortran:
            f.invalid.append("Fortran order")
        elif len(shape) != 2 or shape[1] < 1:
            f.invalid.append(f"shape {shape}")
        else:
            need = offset + 4 * shape[0] * shape[1]
            if len(data) < need:
                f.invalid.append(f"vectors.npy holds {len(data)} bytes, its header needs {need}")
            else:
                if len(data) > need:
                    f.warn.append("bytes after the array")
                vectors = np.frombuffer(data, dtype="<f4", count=shape[0] * shape[1], offset=offset).reshape(shape)
    except Exception as e:  # noqa: BLE001 - numpy's header parser raises many kinds
        f.invalid.append(f"vectors.npy header unreadable ({type(e).__name__})")
    vocab = files["vocab.tsv"]
    words, counts = [], []
    try:
        text = (vocab[len(BOM):] if vocab.startswith(BOM) else vocab).decode("utf-8")
    except UnicodeDecodeError:
        f.invalid.append("vocab.tsv is not valid UTF-8")
        text = None
    if text is not None:
        if "\r" in text:
            f.unknown.append("a carriage return in vocab.tsv")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, 1):
            if line.count("\t") != 1:
                f.invalid.append(f"vocab.tsv line {number}: not word<TAB>count")
                break
            word, count = line.split("\t")
            if not word:
                f.invalid.append(f"vocab.tsv line {number}: empty word")
            if re.fullmatch(r"\d+", count) and int(count) < 2 ** 63:
                counts.append(int(count))
            else:
                try:
                    int(count)
                    (f.invalid if re.fullmatch(r"\d+", count) else f.unknown).append(f"count {count[:20]!r}")
                except ValueError:
                    f.invalid.append(f"vocab.tsv line {number}: count {count[:20]!r} is not an integer")
            words.append(word)
        if vectors is not None and not f.invalid and len(lines) != vectors.shape[0]:
            f.invalid.append(f"vocab.tsv has {len(lines)} lines for {vectors.shape[0]} vectors")
    if f.invalid or f.unknown:
        return f.verdict()
    if not np.isfinite(vectors).all():
        f.unknown.append("non-finite values in a store")
    if len(set(words)) != len(words):
        f.unknown.append("a repeated word")
    return f.verdict(words=words, vectors=np.array(vectors), counts=counts)


def _dataset_lines(data: bytes, universal: bool = True) -> list[str] | Verdict:
    if data.startswith(BOM):
        data = data[len(BOM):]
    out = []
    for piece in data.split(b"\n"):
        try:
            line = piece.decode("utf-8")
        except UnicodeDecodeError:
            return Verdict("invalid", "not valid UTF-8")
        if line.endswith("\r"):
            line = line[:-1]
        out.extend(line.split("\r") if universal else [line])
    return out


def oracle_dataset(data: bytes) -> Verdict:
    """A file for ``wordlab eval -d``: sniffed as load_dataset does (``:`` -> Google analogies,
    two fields -> BATS (not judged), else word-pair similarity)."""
    lines = _dataset_lines(data)
    if isinstance(lines, Verdict):
        return lines
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith(":"):
            return _oracle_analogy(lines)
        fields = line.split("\t") if "\t" in line else text.split()
        if len(fields) == 2:
            return Verdict("unknown", "read as a BATS file")
        return _oracle_pairs(lines)
    return Verdict("invalid", "no data lines")


def _oracle_pairs(lines: list[str]) -> Verdict:
    pairs, first = 0, True
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = line.split("\t") if "\t" in line else text.split()
        fields = [x.strip() for x in fields if x.strip()]
        if len(fields) < 3:
            return Verdict("invalid", f"line {number}: {len(fields)} fields")
        try:
            score = float(fields[2].split()[0])
        except ValueError:
            if first:
                first = False
                continue
            return Verdict("invalid", f"line {number}: the score is not a number")
        if not math.isfinite(score):
            return Verdict("invalid", f"line {number}: the score is not finite")
        first = False
        pairs += 1
    return Verdict("valid") if pairs else Verdict("invalid", "no pairs")


def _oracle_analogy(lines: list[str]) -> Verdict:
    questions = 0
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#") or text.startswith(":"):
            continue
        if len(text.split()) != 4:
            return Verdict("invalid", f"line {number}: not four words")
        questions += 1
    return Verdict("valid") if questions else Verdict("invalid", "no questions")


def oracle_muse(data: bytes) -> Verdict:
    lines = _dataset_lines(data, universal=False)
    if isinstance(lines, Verdict):
        return lines
    pairs = 0
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            return Verdict("invalid", f"line {number}: {len(fields)} fields")
        pairs += 1
    return Verdict("valid") if pairs else Verdict("invalid", "no pairs")


def oracle_wordlist(data: bytes) -> Verdict:
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Verdict("invalid", "not valid UTF-8")
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except (ValueError, RecursionError):
            return Verdict("invalid", "invalid JSON")
        if not isinstance(items, list) or not items:
            return Verdict("invalid", "not a non-empty JSON list")
        return Verdict("unknown", "a JSON list")
    words = 0
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        if len(content.split()) != 1:
            return Verdict("invalid", f"line {number}: more than one word")
        words += 1
    return Verdict("valid") if words else Verdict("invalid", "no words")


def decompress(data: bytes, kind: str) -> bytes | Verdict:
    """The decompressed bytes (Python's gzip, bz2, lzma), or a verdict when they do not decompress."""
    try:
        if kind == "gz":
            return gzip.decompress(data)
        module = bz2 if kind == "bz2" else lzma
        out = module.decompress(data)
        strict = module.BZ2Decompressor() if kind == "bz2" else lzma.LZMADecompressor()
        strict.decompress(data)
        if strict.unused_data or not strict.eof:
            return Verdict("unknown", "data after the compressed stream")
        return out
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as e:
        return Verdict("invalid", f"damaged compressed data ({type(e).__name__})")


def oracle_corpus(data: bytes) -> Verdict:
    import wordlab
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Verdict("invalid", "not valid UTF-8")
    tokens = wordlab.tokenize(text)
    if not tokens:
        return Verdict("unknown", "no tokens")
    return Verdict("valid", extra={"tokens": len(tokens), "types": len(set(tokens))})


# -- mutations ------------------------------------------------------------------------------------------
HUGE = [b"1e39", b"-1e39", b"9" * 400, b"1e308", b"99999999999999999999", b"340282366920938463463374607431768211456"]
NASTY_BYTES = [b"\x00", b"\xff", b"\xe0\xb7", b"\t", b" ", b"\n", b"\r", b"-", b".", b"e", b"1", b"#", b":", b"["]
MUTATIONS = ("truncate", "flip", "insert", "delete", "bom", "nul", "huge", "header")
_NUMBER = re.compile(rb"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def mutate(data: bytes, op: str, rng: random.Random, *, binary_rows: list[int] | None = None,
           header: Callable[[bytes, random.Random], bytes] | None = None) -> tuple[bytes, str]:
    """``data`` with one mutation; also a description of what was done."""
    n = len(data)
    if op == "truncate":
        i = rng.randrange(n) if n else 0
        return data[:i], f"truncated at byte {i} of {n}"
    if op == "flip":
        if not n:
            return b"\x80", "an empty file became one byte"
        i, mask = rng.randrange(n), rng.randrange(1, 256)
        return data[:i] + bytes([data[i] ^ mask]) + data[i + 1:], f"byte {i} of {n} xor 0x{mask:02x}"
    if op == "insert":
        i = rng.randrange(n + 1)
        blob = rng.choice(NASTY_BYTES) if rng.random() < 0.5 else bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        return data[:i] + blob + data[i:], f"{blob!r} inserted at byte {i} of {n}"
    if op == "delete":
        i, k = rng.randrange(n) if n else 0, rng.randrange(1, 65)
        return data[:i] + data[i + k:], f"bytes {i}..{i + k} of {n} deleted"
    if op == "bom":
        return BOM + data, "a UTF-8 byte-order mark prepended"
    if op == "nul":
        i, k = rng.randrange(n + 1), rng.randrange(1, 9)
        return data[:i] + b"\x00" * k + data[i:], f"{k} NUL bytes inserted at byte {i} of {n}"
    if op == "huge":
        if binary_rows and rng.random() < 0.5:        # a float32 of a binary file set to inf or 3e38
            i = rng.choice(binary_rows)
            value = rng.choice([np.float32(np.inf), np.float32(-np.inf), np.float32(3e38)])
            return data[:i] + np.array([value], "<f4").tobytes() + data[i + 4:], f"the float32 at byte {i} set to {value}"
        numbers = list(_NUMBER.finditer(data))
        huge = rng.choice(HUGE)
        if not numbers:
            i = rng.randrange(n + 1)
            return data[:i] + b" " + huge + b" " + data[i:], f"' {huge[:24].decode()} ' inserted at byte {i}"
        m = rng.choice(numbers)
        return (data[:m.start()] + huge + data[m.end():],
                f"the number {m.group()[:20]!r} at byte {m.start()} replaced by {huge[:24]!r}"
                + (f" ({len(huge)} bytes)" if len(huge) > 24 else ""))
    if op == "header":
        assert header is not None
        return header(data, rng), "the header changed to lie about the counts"
    raise ValueError(op)


def lying_w2v_header(data: bytes, rng: random.Random) -> bytes:
    end = data.find(b"\n")
    n, dim = map(int, data[:end].split())
    delta = rng.choice([-3, -2, -1, 1, 2, 3])
    if rng.random() < 0.5:
        n = max(0, n + delta) if n + delta != n else n + 1
    else:
        dim = max(1, dim + delta) if dim + delta > 0 else dim + 1
    return f"{n} {dim}".encode() + data[end:]


def lying_glove_header(data: bytes, rng: random.Random) -> bytes:
    rows = [line for line in data.split(b"\n") if line.strip()]
    n, dim = len(rows), len(rows[0].split()) - 1
    if rng.random() < 0.5:
        n += rng.choice([-2, -1, 1, 2])
    else:
        dim += rng.choice([-1, 1, 2])
    return f"{n} {dim}\n".encode() + data


def lying_npy_header(data: bytes, rng: random.Random) -> bytes:
    fp = io.BytesIO(data)
    version = np.lib.format.read_magic(fp)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(fp)
    offset = fp.tell()
    rows, dim = shape
    rows = rows + rng.choice([-2, -1, 1, 2]) if rng.random() < 0.5 else rows
    dim = dim + rng.choice([-1, 1]) if (rows, dim) == shape else dim
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(dtype),
                                               "fortran_order": fortran, "shape": (max(rows, 0), max(dim, 1))})
    return out.getvalue() + data[offset:]


# fastText .bin: the layout of wordlab.store.fasttext_bin's docstring, parsed here again
_FT_MAGIC, _FT_HEAD, _FT_DICT, _FT_MATRIX = 793712314, struct.Struct("<2i12id"), struct.Struct("<3i2q"), \
    struct.Struct("<B2q")


def _ftbin_layout(data: bytes) -> dict | str:
    """The fields and offsets of a fastText .bin, or why it is not one (unjudged: "?why")."""
    if len(data) < _FT_HEAD.size + _FT_DICT.size:
        return "shorter than the header"
    magic, version, dim, *_, bucket, minn, maxn, _lr, _t = _FT_HEAD.unpack_from(data, 0)
    model = _FT_HEAD.unpack_from(data, 0)[9]
    size, nwords, nlabels, _ntokens, pruneidx = _FT_DICT.unpack_from(data, _FT_HEAD.size)
    if magic != _FT_MAGIC:
        return "not the fastText magic number"
    if version > 12:
        return f"format version {version}, newer than fastText 0.9's"
    if version < 11:
        return f"?format version {version}"
    if nlabels or model not in (1, 2):
        return "a supervised or unknown model"
    if not 1 <= dim <= _MAX_DIM or nwords != size or nwords < 0 or bucket < 0 or 10 * size > len(data):
        return f"implausible header (dim {dim}, words {nwords} of {size}, bucket {bucket})"
    if pruneidx not in (-1, 0):
        return "a pruned n-gram table (quantised models only)"
    pos, words, counts = _FT_HEAD.size + _FT_DICT.size, [], []
    for i in range(size):
        end = data.find(b"\0", pos)
        if end < 0 or end + 10 > len(data):
            return f"dictionary entry {i + 1}: truncated"
        words.append(data[pos:end])
        counts.append(int.from_bytes(data[end + 1:end + 9], "little", signed=True))
        if data[end + 9] != 0:
            return f"dictionary entry {i + 1} is a label"
        pos = end + 10
    matrices = []
    for rows_due in (nwords + bucket, None):
        if pos + _FT_MATRIX.size > len(data):
            return "truncated before a matrix header"
        quant, rows, cols = _FT_MATRIX.unpack_from(data, pos)
        if quant or cols != dim or (rows != rows_due if rows_due is not None else rows not in (0, nwords)):
            return f"a matrix header at byte {pos} says {'quantised' if quant else f'{rows} x {cols}'}"
        pos += _FT_MATRIX.size
        if pos + 4 * rows * cols > len(data):
            return "a matrix is truncated"
        matrices.append((pos, rows, cols))
        pos += 4 * rows * cols
    if pos != len(data):
        return f"{len(data) - pos} bytes after the output matrix"
    return {"dim": dim, "bucket": bucket, "minn": minn, "maxn": maxn, "nwords": nwords, "words": words,
            "counts": counts, "input": matrices[0], "output": matrices[1]}


def oracle_fasttext_bin(data: bytes) -> Verdict:
    """A fastText .bin: valid when its layout holds; the content is each word's vector as
    fastText's ``getWordVector`` composes it (its row and its n-gram rows, summed in
    float32 in n-gram order, times 1/n), with gensim's n-grams and hash (not wordlab's)."""
    import unicodedata
    from gensim.models.fasttext_inner import compute_ngrams_bytes, ft_hash_bytes
    f = _Findings()
    layout = _ftbin_layout(data)
    if isinstance(layout, str):
        return Verdict("unknown", layout[1:]) if layout.startswith("?") else Verdict("invalid", layout)
    words = []
    for i, raw in enumerate(layout["words"]):
        word = _check_word(raw, f, f"dictionary entry {i + 1}")
        if f.invalid:
            return f.verdict()
        if word != unicodedata.normalize("NFC", word) or word == "</s>":
            f.unknown.append("a word fastText and wordlab may split differently (not NFC, or </s>)")
        words.append(word)
    if any(c < 0 for c in layout["counts"]):
        f.unknown.append("a negative count")
    if len(set(words)) != len(words):
        f.unknown.append("a repeated word")
    minn, maxn, bucket, nwords = layout["minn"], layout["maxn"], layout["bucket"], layout["nwords"]
    ngrams = maxn > 0 and bucket > 0
    if ngrams and not 2 <= minn <= maxn <= 100:
        f.unknown.append(f"n-gram lengths {minn}-{maxn}")
        return f.verdict()
    offset, rows, cols = layout["input"]
    matrix = np.frombuffer(data, dtype="<f4", count=rows * cols, offset=offset).reshape(rows, cols)
    o_offset, o_rows, o_cols = layout["output"]
    output = np.frombuffer(data, dtype="<f4", count=o_rows * o_cols, offset=o_offset)
    if not (np.isfinite(matrix).all() and np.isfinite(output).all()):
        f.warn.append("NaN or infinite values")
    vectors = np.empty((nwords, cols), dtype=np.float32)
    for i, word in enumerate(words):
        ids = [i] + ([nwords + ft_hash_bytes(g) % bucket for g in compute_ngrams_bytes(word, minn, maxn)]
                     if ngrams else [])
        acc = np.zeros(cols, dtype=np.float32)
        with np.errstate(over="ignore", invalid="ignore"):      # 3e38 + 3e38 is inf, as in fastText
            for r in ids:
                acc += matrix[r]
            if len(ids) > 1:
                acc *= np.float32(1.0 / len(ids))
        vectors[i] = acc
    if not words:
        f.unknown.append("no words")
    return f.verdict(words=words, vectors=vectors, counts=layout["counts"])


def ftbin_value_offsets(data: bytes) -> list[int]:
    """Offsets of the float32 values of a (clean) fastText .bin's input matrix."""
    offset, rows, cols = _ftbin_layout(data)["input"]
    return [offset + 4 * j for j in range(rows * cols)]


def lying_ftbin_header(data: bytes, rng: random.Random) -> bytes:
    """One count of the header or a matrix header off by a little."""
    layout = _ftbin_layout(data)
    delta = rng.choice([-2, -1, 1, 2])
    field_ = rng.choice(["dim", "words", "bucket", "input rows", "output rows"])
    out = bytearray(data)
    if field_ == "dim":
        struct.pack_into("<i", out, 8, max(1, layout["dim"] + delta))
    elif field_ == "words":
        n = max(0, layout["nwords"] + delta)
        struct.pack_into("<2i", out, _FT_HEAD.size, n, n)
    elif field_ == "bucket":
        struct.pack_into("<i", out, 8 + 4 * 8, max(0, layout["bucket"] + delta))
    else:
        offset = (layout["input"] if field_ == "input rows" else layout["output"])[0] - _FT_MATRIX.size
        _, rows, cols = _FT_MATRIX.unpack_from(data, offset)
        struct.pack_into("<q", out, offset + 1, max(0, rows + delta))
    return bytes(out)


def fasttext_bin_file(seed: int) -> bytes:
    """A small fastText model (n-grams 2-4 in 64 buckets) over seed_vectors' words."""
    import wordlab
    from wordlab.corpus.subwords import SubwordSpec
    words, v = seed_vectors(seed)
    rng = np.random.default_rng(seed)
    ngrams = rng.standard_normal((64, v.shape[1])).astype(np.float32)
    store = wordlab.Embeddings(words, v, np.arange(len(words), 0, -1) * 3,
                               {"method": "fasttext", "subwords": SubwordSpec(2, 4, 64).to_meta()},
                               components={"word_vectors": v, "context_vectors": v[::-1].copy(),
                                           "ngram_vectors": ngrams})
    with tempfile.TemporaryDirectory() as tmp:
        path = store.save(Path(tmp) / "model.bin", format="fasttext-bin")
        return Path(path).read_bytes()


@dataclass
class Kind:
    """A kind of input: its seed files, the command that reads it, the oracle."""
    name: str
    root: str                                   # file name (or directory) of the input
    files: dict[str, bytes]                     # plain (uncompressed) contents
    command: Callable[[Path, Path], list]       # (input path, case dir) -> wordlab arguments
    oracle: Callable[[dict[str, bytes], str], Verdict]   # (plain files, damaged file name)
    compression: str | None = None
    mutations: tuple[str, ...] = MUTATIONS
    header: Callable | None = None
    content: str = "store"                      # how the result is compared: store | corpus | none


def seed_vectors(seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(34)] + ["ශ්‍රී", "kʼehjígo", "café", "日本語", "don't", "naïve"]
    v = (rng.standard_normal((len(words), 5)) * 10.0 ** rng.integers(-3, 4, (len(words), 5))).astype(np.float32)
    return words, v


def vector_file(fmt: str, seed: int) -> bytes:
    import wordlab
    words, v = seed_vectors(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v"
        wordlab.Embeddings(words, v).save(path, format=fmt)
        return path.read_bytes()


def store_dir_files(seed: int) -> dict[str, bytes]:
    import wordlab
    words, v = seed_vectors(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = wordlab.Embeddings(words, v, counts=np.arange(len(words), 0, -1) * 7).save(Path(tmp) / "store")
        return {name: (path / name).read_bytes() for name in ("meta.json", "vocab.tsv", "vectors.npy")}


CORPUS_TEXT = ("The quick brown fox jumps over the lazy dog.\n"
               "තහනම් කර තිබේ.සෞඛ්\u200dය අමාත්\u200dය\n"
               "Diné bizaad kʼehjígo yáʼátʼééh, don't 3,794,101!\n\n"
               "ÉCOLE straße naïve café 3.5 e.g. words w1 w2 w3\n") * 8


def damaged_kinds(ws: Workspace) -> list[Kind]:
    lab = ws.lab_store()
    s = ws.seed
    only = lambda fn: (lambda files, damaged: fn(next(iter(files.values()))))  # noqa: E731

    def convert(path: Path, d: Path) -> list:
        return ["convert", path, d / "out"]

    store_files_ = store_dir_files(s + 6)
    original_meta = json.loads(store_files_["meta.json"])
    kinds = [
        Kind("w2v-text", "vectors.txt", {"vectors.txt": vector_file("word2vec", s)}, convert,
             only(lambda b: oracle_text_vectors(b, "text")), header=lying_w2v_header),
        Kind("w2v-bin", "vectors.bin", {"vectors.bin": vector_file("word2vec-bin", s + 1)}, convert,
             only(oracle_binary_vectors), header=lying_w2v_header),
        Kind("glove", "glove.txt", {"glove.txt": vector_file("glove", s + 2)}, convert,
             only(lambda b: oracle_text_vectors(b, "text")), header=lying_glove_header),
        Kind("vec", "wiki.vec", {"wiki.vec": vector_file("word2vec", s + 3)}, convert,
             only(lambda b: oracle_text_vectors(b, "word2vec")), header=lying_w2v_header),
        Kind("w2v-text-gz", "vectors.txt.gz", {"vectors.txt.gz": vector_file("word2vec", s + 4)}, convert,
             only(lambda b: oracle_text_vectors(b, "text")), compression="gz", header=lying_w2v_header),
        Kind("w2v-bin-gz", "vectors.bin.gz", {"vectors.bin.gz": vector_file("word2vec-bin", s + 5)}, convert,
             only(oracle_binary_vectors), compression="gz", header=lying_w2v_header),
        Kind("store", "store", store_files_, convert, lambda files, damaged: oracle_store(files, original_meta),
             header=lying_npy_header),
        Kind("fasttext-bin", "model.bin", {"model.bin": fasttext_bin_file(s + 7)}, convert,
             only(oracle_fasttext_bin), header=lying_ftbin_header),
    ]
    no_header = tuple(m for m in MUTATIONS if m != "header")
    sim = "word1\tword2\tscore\n" + "".join(f"w{i}\tw{i + 7}\t{(i * 37 % 100) / 10:.2f}\n" for i in range(1, 16)) + \
        "# a comment\nw40 w41 3.0\nnurse\tdoctor\t8.5\tQQQ\nMary\tJohn\t6\n"
    analogy = ": first\n" + "".join(f"w{i} w{i + 1} w{i + 2} w{i + 3}\n" for i in range(1, 40, 4)) + \
        "\n# x\n: family\nwoman man girl boy\nshe he mother father\nher his herself himself\n"
    muse = "".join(f"w{i}\tw{i}\n" if i % 3 else f"w{i} w{i}\n" for i in range(1, 25)) + "\nnurse\tnurse\n"
    wordlist = "# professions\n" + "".join(f"{w}\n" for w in PROFESSIONS[:5]) + "\n" + \
        "".join(f"{w}  # note\n" for w in PROFESSIONS[5:])
    kinds += [
        Kind("similarity", "sim.txt", {"sim.txt": sim.encode()}, lambda p, d: ["eval", lab, "-d", p],
             only(oracle_dataset), mutations=no_header, content="none"),
        Kind("analogy", "questions.txt", {"questions.txt": analogy.encode()}, lambda p, d: ["eval", lab, "-d", p],
             only(oracle_dataset), mutations=no_header, content="none"),
        Kind("muse", "dict.txt", {"dict.txt": muse.encode()}, lambda p, d: ["align", "bli", lab, lab, "-d", p],
             only(oracle_muse), mutations=no_header, content="none"),
        Kind("wordlist", "words.txt", {"words.txt": wordlist.encode()},
             lambda p, d: ["bias", "direct", lab, "--words", p], only(oracle_wordlist), mutations=no_header,
             content="none"),
    ]
    for ext in ("txt", "gz", "bz2", "xz"):
        root = "corpus.txt" + ("" if ext == "txt" else f".{ext}")
        kinds.append(Kind(f"corpus-{ext}", root, {root: CORPUS_TEXT.encode()}, lambda p, d: ["corpus", "stats", p],
                          only(oracle_corpus), compression=None if ext == "txt" else ext, mutations=no_header,
                          content="corpus"))
    return kinds


def compress(data: bytes, kind: str) -> bytes:
    if kind == "gz":
        return gzip.compress(data, mtime=0)
    return bz2.compress(data) if kind == "bz2" else lzma.compress(data)


def binary_value_offsets(data: bytes) -> list[int]:
    """Offsets of the float32 values of a (clean) word2vec binary file."""
    end = data.find(b"\n")
    n, dim = map(int, data[:end].split())
    pos, offsets = end + 1, []
    for _ in range(n):
        space = data.find(b" ", pos)
        offsets += [space + 1 + 4 * j for j in range(dim)]
        pos = space + 1 + 4 * dim
    return offsets


def damaged(ws: Workspace, jobs: int) -> list[Case]:
    kinds = damaged_kinds(ws)
    n = 10 if ws.quick else 100
    for kind in kinds:                      # the oracle must accept every undamaged seed
        v = kind.oracle(kind.files, sorted(kind.files)[0])
        if v.kind != "valid":
            raise SystemExit(f"faults.py bug: the oracle of {kind.name} calls its undamaged seed {v.kind}: {v.why}")
    tasks = [(lambda kind=kind, i=i: damaged_case(ws, kind, i)) for kind in kinds for i in range(n + 1)]
    return run_parallel(jobs, tasks, "damaged")


def damaged_case(ws: Workspace, kind: Kind, i: int) -> Case:
    rng = random.Random(f"{ws.seed}-{kind.name}-{i}")
    files = dict(kind.files)
    target = rng.choice(sorted(files))
    plain = files[target]
    description = "undamaged (the control)"
    op = None
    if i > 0:
        op = kind.mutations[(i - 1) % len(kind.mutations)]
        if op == "header" and "vectors.npy" in files:
            target, plain = "vectors.npy", files["vectors.npy"]      # the store's header: the .npy shape
        rows = (binary_value_offsets(plain) if kind.name.startswith("w2v-bin") else
                ftbin_value_offsets(plain) if kind.name == "fasttext-bin" else None)
        in_compressed = kind.compression is not None and op not in ("huge", "header") and rng.random() < 0.5
        if in_compressed:
            data, description = mutate(compress(plain, kind.compression), op, rng)
            description += f" of the {kind.compression} data"
        else:
            plain, description = mutate(plain, op, rng, binary_rows=rows, header=kind.header)
            data = compress(plain, kind.compression) if kind.compression else plain
            if kind.compression:
                description += " of the text before compression"
        files[target] = data
    elif kind.compression:
        files[target] = compress(plain, kind.compression)
    # the oracle reads the bytes as they are on disk (decompressing as Python does)
    plain_files = dict(kind.files)
    if kind.compression:
        raw = decompress(files[target], kind.compression)
        verdict = raw if isinstance(raw, Verdict) else None
        if verdict is None:
            plain_files[target] = raw
    else:
        verdict = None
        plain_files[target] = files[target]
    if verdict is None:
        verdict = kind.oracle(plain_files, target)
    d = ws.case_dir("damaged", f"{kind.name}-{i:03d}")
    path = d / kind.root
    if len(files) == 1 and kind.root in files:
        path.write_bytes(files[kind.root])
    else:
        path.mkdir()
        for name, data in files.items():
            (path / name).write_bytes(data)
    before = snapshot(path)
    case = Case("damaged", f"{kind.name} #{i}: {target if len(files) > 1 else kind.root} {description}",
                {"valid": "exit 0 with the input's content, or one Error line",
                 "warn": f"a Warning line ({verdict.why}) with exit 0, or one Error line",
                 "invalid": f"one Error line, or a Warning line (detectable: {verdict.why})",
                 "unknown": f"exit 0 or one Error line (the oracle does not judge: {verdict.why})"}[verdict.kind])
    case.detail = (f"rebuild: python evals/faults.py --only damaged --seed {ws.seed} --keep, then "
                   f"cases/damaged/{kind.name}-{i:03d}")
    r = run_cli(kind.command(path, d), {"WORDLAB_CACHE": d / "cache"}, cwd=d)
    if case.check(r):
        if r.rc != 0:
            why = error_problem(r)
            if why:
                case.fail("other", why)
        elif verdict.kind == "invalid" and not has_warning(r):
            case.fail("wrong", f"exit 0 without a Warning line, but the damage is detectable: {verdict.why}")
        elif verdict.kind == "warn" and not has_warning(r):
            case.fail("wrong", f"exit 0 without a Warning line, but one is due: {verdict.why}")
        elif verdict.kind in ("valid", "warn"):
            why = content_difference(kind, verdict, r, d)
            if why:
                case.fail("wrong", why)
    change = changed_from(path, before)
    if change:
        case.fail("lost", f"the input was modified: {change}")
    return case


def content_difference(kind: Kind, verdict: Verdict, run: Run, d: Path) -> str | None:
    if kind.content == "store":
        out = d / "out"
        try:
            words, counts, vectors = read_store_raw(out)
        except Exception as e:  # noqa: BLE001
            return f"exit 0 but the converted store is unreadable ({type(e).__name__}: {str(e)[:100]})"
        if words != verdict.words:
            i = next((j for j, (a, b) in enumerate(zip(words, verdict.words)) if a != b), min(len(words), len(verdict.words)))
            return (f"exit 0 but the words differ from the input's: {len(words)} words instead of "
                    f"{len(verdict.words)}; first difference at row {i + 1}: "
                    f"{words[i] if i < len(words) else None!r} instead of "
                    f"{verdict.words[i] if i < len(verdict.words) else None!r}")
        want = verdict.vectors
        if vectors.shape != want.shape:
            return f"exit 0 but the vectors have shape {vectors.shape} instead of {want.shape}"
        close = np.isclose(vectors, want, rtol=2e-7, atol=0, equal_nan=True) | (vectors == want)
        if not close.all():
            r, c = map(int, np.argwhere(~close)[0])
            return f"exit 0 but vector {r + 1} ({words[r]!r}) value {c + 1} is {vectors[r, c]!r} instead of {want[r, c]!r}"
        if verdict.counts is not None and counts != verdict.counts:
            return "exit 0 but the counts differ from the input's"
        try:
            import wordlab
            if list(wordlab.load(out).words) != words:
                return "exit 0 but wordlab reads the converted store's words differently"
        except Exception as e:  # noqa: BLE001
            return f"exit 0 but wordlab cannot open the store it wrote ({type(e).__name__}: {str(e)[:100]})"
    elif kind.content == "corpus":
        got = {}
        for line in run.stdout.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("tokens", "types"):
                got[key.strip()] = int(value.strip().replace(",", ""))
        want = verdict.extra
        if got != want:
            return f"exit 0 but corpus stats reports {got} for {want} (the text tokenised whole)"
    return None


# == 5. arguments ===========================================================================================
# the registry's small settings, one epoch, window 2: an argument case is about the argument
TRAIN_BASE = {name: dict(zip(*[iter(cli_args({**m.small, **({"epochs": 1} if "epochs" in m.small else {}),
                                              "window": 2,
                                              **({"seed": 3} if "seed" in m.parameters() else {})}))] * 2))
              for name, m in REGISTRY.items()}
TRAIN_COMMON = {"--min-count": "1", "--workers": "1"}
TRAIN_OPTIONS = ["--dim", "--window", "--epochs", "--min-count", "--max-size", "--workers", "--seed",
                 "--max-sentence-length"]
def _method_options(method: str) -> list[str]:
    """Every numeric ``wordlab train`` option of ``method`` from the registry, besides TRAIN_OPTIONS."""
    from wordlab.params import Integer, Real
    return [f"--{n.replace('_', '-')}" for n, p in REGISTRY[method].parameters().items()
            if p.cli and isinstance(p.constraint, (Integer, Real)) and f"--{n.replace('_', '-')}" not in TRAIN_OPTIONS]


METHOD_OPTIONS = {name: _method_options(name) for name in REGISTRY}
VALUES = ["-1", "0", "nan", "inf", "1e30", str(10 ** 12), str(2 ** 64)]


def train_expectation(option: str, value: str) -> str:
    """refuse | accept | either, for ``option`` set to ``value``.

    For a trainer parameter the declared rule decides: a value it refuses must be refused
    before any work; ``0`` where the rule allows it must train; any other value the rule
    allows (huge sizes, extreme rates) may be refused for the machine's sake (memory,
    disk, divergence) or train, but never half-write an output."""
    from wordlab.params import Integer
    from wordlab.trainers.registry import all_parameters
    param = all_parameters().get(option[2:].replace("-", "_"))
    if param is None:                        # a corpus option: --max-sentence-length
        if value in ("-1", "0", "nan", "inf", "1e30"):
            return "refuse"
        return "accept" if value == str(10 ** 12) else "either"
    try:
        number = int(value) if isinstance(param.constraint, Integer) else float(value)
    except ValueError:
        return "refuse"
    if not param.constraint.accepts(number):
        return "refuse"
    return "accept" if value == "0" else "either"


@dataclass
class ArgCase:
    name: str
    args: list
    expect: str                          # refuse | accept | either
    outputs: list[Path] = field(default_factory=list)       # must not appear when refused; complete when accepted
    kept: list[Path] = field(default_factory=list)          # must be unchanged whatever happens
    check_output: str = "store"          # store | file | none


def arguments(ws: Workspace, jobs: int) -> list[Case]:
    corpus = ws.corpus(3000)
    lab = ws.lab_store()
    text = ws.random_store("args.txt", LAB_WORDS, 20, ws.seed + 41, fmt="word2vec")
    sim = ws.once("args-sim", lambda: _write(ws.data / "args-sim.txt", "w1\tw2\t3.5\nw3\tw4\t7.0\nw5\tw9\t1.0\n"))
    muse = ws.once("args-muse", lambda: _write(ws.data / "args-muse.txt", "w1 w1\nw2 w2\nw3 w3\n"))
    pairs = ws.once("pairs", lambda: _write(ws.data / "pairs.txt", "w3 w4\n"))
    specific = ws.once("specific", lambda: _write(ws.data / "specific.txt", "w5\n"))
    plan: list[Callable[[Path], ArgCase]] = []
    methods = ["sgns", "glove", "cmow"] if ws.quick else list(TRAIN_BASE)
    values = ["0", "nan", str(2 ** 64)] if ws.quick else VALUES
    for method in methods:
        plan.append(lambda d, m=method: _train_case(corpus, m, None, None, d))      # the base itself: must work
        for option in ([o for o in TRAIN_OPTIONS if _applies(o, method)] + METHOD_OPTIONS[method]):
            for value in values:
                plan.append(lambda d, m=method, o=option, v=value: _train_case(corpus, m, o, v, d))
    if ws.quick:
        plan.append(lambda d: _train_case(corpus, "sgns", "--dim", str(10 ** 12), d))
    others = other_argument_cases(ws, corpus, lab, text, sim, muse, pairs, specific)
    plan += others[::2] if ws.quick else others
    tasks = [(lambda make=make, i=i: argument_case(ws, make, i)) for i, make in enumerate(plan)]
    return run_parallel(jobs, tasks, "arguments")


def _applies(option: str, method: str) -> bool:
    """Whether ``wordlab train --method METHOD`` takes ``option`` (corpus options: always)."""
    name = option[2:].replace("-", "_")
    return name not in registry_parameters() or name in REGISTRY[method].parameters()


def registry_parameters() -> set[str]:
    from wordlab.trainers.registry import all_parameters
    return set(all_parameters())


def _train_case(corpus: Path, method: str, option: str | None, value: str | None, d: Path) -> ArgCase:
    """``train`` with ``option`` set to ``value`` (None: the base arguments, which must work)."""
    opts = {**TRAIN_BASE[method], **TRAIN_COMMON, **({option: value} if option else {})}
    out = d / "out"
    args = ["train", corpus, "--method", method, *itertools.chain.from_iterable(opts.items()), "--no-progress",
            "-o", out]
    name = f"train --method {method} {option} {value}" if option else f"train --method {method}, the base arguments"
    return ArgCase(name, args, train_expectation(option, value) if option else "accept",
                   outputs=[out, d / ".out.training"])


def other_argument_cases(ws, corpus, lab, text, sim, muse, pairs, specific) -> list[Callable[[Path], ArgCase]]:
    big = str(10 ** 12)
    huge = str(2 ** 64)

    def empty_dir(d: Path) -> Path:
        p = d / "empty"
        p.mkdir(exist_ok=True)
        return p

    def precious(d: Path) -> Path:
        p = d / "thesis"
        p.mkdir(exist_ok=True)
        (p / "thesis.tex").write_text("years of work")
        return p

    def a_file(d: Path) -> Path:
        p = d / "notes.txt"
        p.write_text("my notes\n")
        return p

    def copy_of(src: Path, d: Path) -> Path:
        dest = d / src.name
        shutil.copytree(src, dest) if src.is_dir() else shutil.copy2(src, dest)
        return dest

    R, E = "refuse", "either"
    cases: list[Callable[[Path], ArgCase]] = [
        # info / neighbors
        lambda d: ArgCase("info of a missing path", ["info", d / "missing"], R),
        lambda d: ArgCase("info of an empty directory", ["info", empty_dir(d)], R),
        lambda d: ArgCase("info of a directory that is not a store", ["info", precious(d)], R, kept=[d / "thesis"]),
        lambda d: ArgCase("info of a corpus text file", ["info", corpus], R),
        lambda d: ArgCase("neighbors of an unknown word", ["neighbors", lab, "zzzz"], R),
        lambda d: ArgCase("neighbors of an empty word", ["neighbors", lab, ""], R),
        lambda d: ArgCase("neighbors in a missing store", ["neighbors", d / "missing", "w1"], R),
        lambda d: ArgCase("neighbors --topn 0", ["neighbors", lab, "w1", "--topn", "0"], R),
        lambda d: ArgCase("neighbors --topn -1", ["neighbors", lab, "w1", "--topn", "-1"], R),
        lambda d: ArgCase("neighbors --topn nan", ["neighbors", lab, "w1", "--topn", "nan"], R),
        lambda d: ArgCase("neighbors --topn 10**12", ["neighbors", lab, "w1", "--topn", big], E),
        lambda d: ArgCase("neighbors --topn 2**64", ["neighbors", lab, "w1", "--topn", huge], E),
        lambda d: ArgCase("neighbors --restrict-vocab 0", ["neighbors", lab, "w1", "--restrict-vocab", "0"], R),
        lambda d: ArgCase("neighbors --restrict-vocab -5", ["neighbors", lab, "w1", "--restrict-vocab", "-5"], R),
        lambda d: ArgCase("neighbors --restrict-vocab 10**12", ["neighbors", lab, "w1", "--restrict-vocab", big], E),
        lambda d: ArgCase("neighbors --restrict-vocab 2**64", ["neighbors", lab, "w1", "--restrict-vocab", huge], E),
        lambda d: ArgCase("neighbors --restrict-vocab 1 (the word itself is beyond it)",
                          ["neighbors", lab, "w299", "--restrict-vocab", "1"], E),
        # convert
        lambda d: ArgCase("convert a missing file", ["convert", d / "missing.txt", d / "out"], R, [d / "out"]),
        lambda d: ArgCase("convert an empty directory", ["convert", empty_dir(d), d / "out"], R, [d / "out"]),
        lambda d: ArgCase("convert --to word2vec onto a directory", ["convert", lab, precious(d), "--to", "word2vec",
                                                                     "--overwrite"], R, kept=[d / "thesis"]),
        lambda d: ArgCase("convert onto a directory that is not a store", ["convert", lab, precious(d)], R,
                          kept=[d / "thesis"]),
        lambda d: ArgCase("convert --overwrite onto a directory that is not a store",
                          ["convert", lab, precious(d), "--overwrite"], R, kept=[d / "thesis"]),
        lambda d: ArgCase("convert to a store --overwrite onto a file", ["convert", lab, a_file(d), "--overwrite"], R,
                          kept=[d / "notes.txt"]),
        lambda d: ArgCase("convert to a file without --overwrite onto a file",
                          ["convert", lab, a_file(d), "--to", "word2vec"], R, kept=[d / "notes.txt"]),
        lambda d: ArgCase("convert a store onto itself --overwrite", ["convert", copy_of(lab, d), d / "lab",
                                                                      "--overwrite"], E, kept=[d / "lab"],
                          check_output="none"),
        lambda d: ArgCase("convert a file onto itself --overwrite", ["convert", copy_of(text, d), d / text.name,
                                                                     "--to", "word2vec", "--overwrite"], E,
                          kept=[d / text.name], check_output="none"),
        lambda d: ArgCase("convert --to bogus", ["convert", lab, d / "out", "--to", "bogus"], R, [d / "out"]),
        lambda d: ArgCase("convert a corpus text file", ["convert", corpus, d / "out"], R, [d / "out"]),
        # eval
        lambda d: ArgCase("eval a missing store", ["eval", d / "missing", "-d", sim], R),
        lambda d: ArgCase("eval without a store", ["eval"], R),
        lambda d: ArgCase("eval -d a missing file", ["eval", lab, "-d", d / "missing.txt"], R),
        lambda d: ArgCase("eval -d an empty directory", ["eval", lab, "-d", empty_dir(d)], R),
        lambda d: ArgCase("eval -d a store directory", ["eval", lab, "-d", lab], R),
        lambda d: ArgCase("eval --restrict-vocab 0", ["eval", lab, "-d", sim, "--restrict-vocab", "0"], R),
        lambda d: ArgCase("eval --restrict-vocab 10**12", ["eval", lab, "-d", sim, "--restrict-vocab", big], E),
        lambda d: ArgCase("eval --restrict-vocab 2**64", ["eval", lab, "-d", sim, "--restrict-vocab", huge], E),
        lambda d: ArgCase("eval --plot onto a directory", ["eval", lab, "-d", sim, "--plot", precious(d)], R,
                          kept=[d / "thesis"]),
        lambda d: ArgCase("eval --plot onto an existing file", ["eval", lab, "-d", sim, "--plot", a_file(d)], R,
                          kept=[d / "notes.txt"]),
        lambda d: ArgCase("eval -d an unknown dataset name", ["eval", lab, "-d", "no-such-dataset"], R),
        # corpus
        lambda d: ArgCase("corpus stats of a missing file", ["corpus", "stats", d / "missing.txt"], R),
        lambda d: ArgCase("corpus stats of an empty directory", ["corpus", "stats", empty_dir(d)], R),
        lambda d: ArgCase("corpus stats --min-counts 0", ["corpus", "stats", corpus, "--min-counts", "0"], R),
        lambda d: ArgCase("corpus stats --min-counts -1", ["corpus", "stats", corpus, "--min-counts", "-1"], R),
        lambda d: ArgCase("corpus stats --min-counts x", ["corpus", "stats", corpus, "--min-counts", "x"], R),
        lambda d: ArgCase("corpus stats --min-counts 10**30", ["corpus", "stats", corpus, "--min-counts",
                                                               str(10 ** 30)], E),
        lambda d: ArgCase("corpus stats --max-sentence-length 0", ["corpus", "stats", corpus,
                                                                   "--max-sentence-length", "0"], R),
        lambda d: ArgCase("corpus stats --max-sentence-length 2**64", ["corpus", "stats", corpus,
                                                                       "--max-sentence-length", huge], E),
        lambda d: ArgCase("corpus encode --min-count 0", ["corpus", "encode", corpus, "--min-count", "0", "--out",
                                                          d / "enc"], R, [d / "enc"]),
        lambda d: ArgCase("corpus encode --max-size 0", ["corpus", "encode", corpus, "--max-size", "0", "--out",
                                                         d / "enc"], R, [d / "enc"]),
        lambda d: ArgCase("corpus encode --min-count 10**12", ["corpus", "encode", corpus, "--min-count", big,
                                                               "--out", d / "enc"], E, check_output="none"),
        lambda d: ArgCase("corpus encode --out onto a file", ["corpus", "encode", corpus, "--out", a_file(d)], R,
                          kept=[d / "notes.txt"]),
        lambda d: ArgCase("corpus encode --out onto a directory that is not an encoding, --overwrite",
                          ["corpus", "encode", corpus, "--out", precious(d), "--overwrite"], R, kept=[d / "thesis"]),
        lambda d: ArgCase("corpus encode of a missing file", ["corpus", "encode", d / "missing.txt", "--out",
                                                              d / "enc"], R, [d / "enc"]),
        # train, other than the numbers
        lambda d: ArgCase("train on a missing file", ["train", d / "missing.txt", "--no-progress", "-o", d / "out"],
                          R, [d / "out"]),
        lambda d: ArgCase("train on an empty directory", ["train", empty_dir(d), "--no-progress", "-o", d / "out"],
                          R, [d / "out"]),
        lambda d: ArgCase("train on a store directory", ["train", lab, "--no-progress", "-o", d / "out"], R,
                          [d / "out"]),
        lambda d: ArgCase("train -o onto a file", ["train", corpus, "--min-count", "1", "--epochs", "1",
                                                   "--no-progress", "-o", a_file(d), "--overwrite"], R,
                          kept=[d / "notes.txt"]),
        lambda d: ArgCase("train -o onto a directory that is not a store, --overwrite",
                          ["train", corpus, "--min-count", "1", "--epochs", "1", "--no-progress", "-o", precious(d),
                           "--overwrite"], R, kept=[d / "thesis"]),
        lambda d: ArgCase("train --resume without -o", ["train", corpus, "--resume", "--no-progress"], R),
        lambda d: ArgCase("train --method bogus", ["train", corpus, "--method", "bogus", "-o", d / "out"], R,
                          [d / "out"]),
        lambda d: ArgCase("train --bits with sgns", ["train", corpus, "--bits", "8", "-o", d / "out"], R, [d / "out"]),
        lambda d: ArgCase("train cmow --dim 10 (not a square)", ["train", corpus, "--method", "cmow", "--dim", "10",
                                                                 "-o", d / "out"], R, [d / "out"]),
        # align
        lambda d: ArgCase("align procrustes with neither -d nor --identical",
                          ["align", "procrustes", lab, lab, "-o", d / "out"], R, [d / "out"]),
        lambda d: ArgCase("align procrustes with both -d and --identical",
                          ["align", "procrustes", lab, lab, "-d", muse, "--identical", "-o", d / "out"], R,
                          [d / "out"]),
        lambda d: ArgCase("align procrustes -d a missing file",
                          ["align", "procrustes", lab, lab, "-d", d / "missing.txt", "-o", d / "out"], R, [d / "out"]),
        lambda d: ArgCase("align procrustes --refine -1",
                          ["align", "procrustes", lab, lab, "--identical", "--refine", "-1", "-o", d / "out"], R,
                          [d / "out"]),
        lambda d: ArgCase("align procrustes --refine-vocab 1",
                          ["align", "procrustes", lab, lab, "--identical", "--refine-vocab", "1", "-o", d / "out"], R,
                          [d / "out"]),
        lambda d: ArgCase("align procrustes --refine-vocab 2**64",
                          ["align", "procrustes", lab, lab, "--identical", "--refine", "1", "--refine-vocab", huge,
                           "-o", d / "out"], E, [d / "out"]),
        lambda d: ArgCase("align procrustes --normalize bogus",
                          ["align", "procrustes", lab, lab, "--identical", "--normalize", "bogus", "-o", d / "out"], R,
                          [d / "out"]),
        lambda d: ArgCase("align procrustes -o onto a file",
                          ["align", "procrustes", lab, lab, "--identical", "-o", a_file(d), "--overwrite"], R,
                          kept=[d / "notes.txt"]),
        lambda d: ArgCase("align procrustes --target-out equal to -o",
                          ["align", "procrustes", lab, lab, "--identical", "-o", d / "out", "--target-out", d / "out"],
                          R, [d / "out"]),
        lambda d: ArgCase("align procrustes --identical with no shared words",
                          ["align", "procrustes", lab, copy_words_store(d, ws), "--identical", "-o", d / "out"], R,
                          [d / "out"]),
        lambda d: ArgCase("align bli -d a missing file", ["align", "bli", lab, lab, "-d", d / "missing.txt"], R),
        lambda d: ArgCase("align bli -d a directory", ["align", "bli", lab, lab, "-d", empty_dir(d)], R),
        lambda d: ArgCase("align bli --restrict-target 0",
                          ["align", "bli", lab, lab, "-d", muse, "--restrict-target", "0"], R),
        lambda d: ArgCase("align bli with stores of different dimensions",
                          ["align", "bli", lab, copy_words_store(d, ws, same_words=True), "-d", muse], R),
        # debias / bias
        lambda d: ArgCase("debias hard --max-missing 2",
                          ["debias", "hard", lab, "-o", d / "out", "--equalize", pairs, "--specific", specific,
                           "--max-missing", "2"], R, [d / "out"]),
        lambda d: ArgCase("debias hard --max-missing nan",
                          ["debias", "hard", lab, "-o", d / "out", "--equalize", pairs, "--specific", specific,
                           "--max-missing", "nan"], R, [d / "out"]),
        lambda d: ArgCase("debias hard --max-missing -1",
                          ["debias", "hard", lab, "-o", d / "out", "--equalize", pairs, "--specific", specific,
                           "--max-missing", "-1"], R, [d / "out"]),
        lambda d: ArgCase("debias hard --pair a (one word)",
                          ["debias", "hard", lab, "-o", d / "out", "--equalize", pairs, "--specific", specific,
                           "--pair", "a"], R, [d / "out"]),
        lambda d: ArgCase("debias hard --pair w1,w1 (the same word)",
                          ["debias", "hard", lab, "-o", d / "out", "--equalize", pairs, "--specific", specific,
                           "--pair", "w1,w1"], R, [d / "out"]),
        lambda d: ArgCase("debias hard --pair of unknown words",
                          ["debias", "hard", lab, "-o", d / "out", "--equalize", pairs, "--specific", specific,
                           "--pair", "zzzz,yyyy"], R, [d / "out"]),
        lambda d: ArgCase("debias hard --equalize a missing file",
                          ["debias", "hard", lab, "-o", d / "out", "--equalize", d / "missing.txt", "--specific",
                           specific], R, [d / "out"]),
        lambda d: ArgCase("debias hard --equalize a directory",
                          ["debias", "hard", lab, "-o", d / "out", "--equalize", empty_dir(d), "--specific",
                           specific], R, [d / "out"]),
        lambda d: ArgCase("debias hard -o onto a directory that is not a store, --overwrite",
                          ["debias", "hard", lab, "-o", precious(d), "--equalize", pairs, "--specific", specific,
                           "--overwrite"], R, kept=[d / "thesis"]),
        lambda d: ArgCase("bias direct -c -1", ["bias", "direct", lab, "--words", sim_words(d), "-c", "-1"], R),
        lambda d: ArgCase("bias direct -c nan", ["bias", "direct", lab, "--words", sim_words(d), "-c", "nan"], R),
        lambda d: ArgCase("bias direct -c inf", ["bias", "direct", lab, "--words", sim_words(d), "-c", "inf"], R),
        lambda d: ArgCase("bias direct -c 1e30", ["bias", "direct", lab, "--words", sim_words(d), "-c", "1e30"], E),
        lambda d: ArgCase("bias direct --words a missing file", ["bias", "direct", lab, "--words", d / "missing.txt"],
                          R),
        lambda d: ArgCase("bias direct --words a directory", ["bias", "direct", lab, "--words", empty_dir(d)], R),
        lambda d: ArgCase("bias weat --samples 0", ["bias", "weat", lab, "--samples", "0"], R),
        lambda d: ArgCase("bias weat --samples -1", ["bias", "weat", lab, "--samples", "-1"], R),
        lambda d: ArgCase("bias weat --exact-limit -1", ["bias", "weat", lab, "--exact-limit", "-1"], R),
        lambda d: ArgCase("bias weat --ddof -1", ["bias", "weat", lab, "--ddof", "-1"], R),
        lambda d: ArgCase("bias weat --test bogus", ["bias", "weat", lab, "--test", "bogus"], R),
        lambda d: ArgCase("bias weat --targets X (one set)", ["bias", "weat", lab, "--targets", "x", "--attributes",
                                                              "a,b"], R),
        lambda d: ArgCase("bias indirect of unknown words", ["bias", "indirect", lab, "zzzz", "yyyy"], R),
        lambda d: ArgCase("bias direction --top -1", ["bias", "direction", lab, "--top", "-1"], R),
        lambda d: ArgCase("bias direction --top 2**64", ["bias", "direction", lab, "--top", huge], E),
        lambda d: ArgCase("bias residual --per-side 0", ["bias", "residual", lab, lab, "--per-side", "0"], R),
        lambda d: ArgCase("bias residual -k 2**64", ["bias", "residual", lab, lab, "-k", huge], E),
        # plot
        lambda d: ArgCase("plot projection of unknown words", ["plot", "projection", lab, "zzzz", "yyyy", "-o",
                                                               d / "p.png"], R, [d / "p.png"]),
        lambda d: ArgCase("plot projection -o onto a directory", ["plot", "projection", lab, "w1", "w2", "w3", "-o",
                                                                  precious(d), "--overwrite"], R, kept=[d / "thesis"]),
        lambda d: ArgCase("plot projection -o with an unknown extension",
                          ["plot", "projection", lab, "w1", "w2", "w3", "-o", d / "p.bogus"], R, [d / "p.bogus"]),
        lambda d: ArgCase("plot projection of one word", ["plot", "projection", lab, "w1", "-o", d / "p.png"], E,
                          [d / "p.png"], check_output="file"),
        lambda d: ArgCase("plot projection --method tsne of two words",
                          ["plot", "projection", lab, "w1", "w2", "--method", "tsne", "-o", d / "p.png"], E,
                          [d / "p.png"], check_output="file"),
        lambda d: ArgCase("plot neighbors --topn 0", ["plot", "neighbors", lab, "w1", "--topn", "0", "-o",
                                                       d / "p.png"], R, [d / "p.png"]),
        lambda d: ArgCase("plot neighbors --depth 4", ["plot", "neighbors", lab, "w1", "--depth", "4", "-o",
                                                        d / "p.png"], R, [d / "p.png"]),
        lambda d: ArgCase("plot neighbors --depth 0", ["plot", "neighbors", lab, "w1", "--depth", "0", "-o",
                                                        d / "p.png"], R, [d / "p.png"]),
        lambda d: ArgCase("plot neighbors of an unknown word", ["plot", "neighbors", lab, "zzzz", "-o", d / "p.png"],
                          R, [d / "p.png"]),
        lambda d: ArgCase("plot neighbors --topn 2**64 --depth 1", ["plot", "neighbors", lab, "w1", "--topn", huge,
                                                                     "--depth", "1", "-o", d / "p.png"], E,
                          [d / "p.png"], check_output="file"),
        lambda d: ArgCase("plot loss of a store without a loss history", ["plot", "loss", lab, "-o", d / "p.png"], E,
                          [d / "p.png"], check_output="file"),
        lambda d: ArgCase("plot eval -d a missing file", ["plot", "eval", lab, "-d", d / "missing.txt", "-o",
                                                          d / "p.png"], R, [d / "p.png"]),
        lambda d: ArgCase("cache clean --kind bogus", ["cache", "clean", "--kind", "bogus"], R),
    ]
    return cases


def sim_words(d: Path) -> Path:
    return _write(d / "words.txt", "\n".join(PROFESSIONS) + "\n")


def copy_words_store(d: Path, ws: Workspace, same_words: bool = False) -> Path:
    import wordlab
    words = LAB_WORDS if same_words else [f"other{i}" for i in range(50)]
    rng = np.random.default_rng(ws.seed + 51)
    return wordlab.Embeddings(words, rng.standard_normal((len(words), 7)).astype(np.float32)).save(d / "other")


def argument_case(ws: Workspace, make: Callable[[Path], ArgCase], i: int) -> Case:
    d = ws.case_dir("arguments", f"{i:04d}")
    spec = make(d)
    expected = {"refuse": "exit 1 or 2 with one Error line; nothing created at the output path",
                "accept": "exit 0 with a complete result",
                "either": "exit 0 with a complete result, or exit 1 or 2 with one Error line and nothing created"}
    case = Case("arguments", spec.name, expected[spec.expect])
    kept = {p: snapshot(p) for p in spec.kept}
    r = run_cli(spec.args, cwd=d)
    if case.check(r):
        if r.rc == 0:
            if spec.expect == "refuse":
                case.fail("wrong", "exit 0: the absurd argument was accepted")
            for out in spec.outputs:
                if out.name.endswith(".training"):
                    if os.path.lexists(out):
                        case.fail("wrong", f"exit 0 but {out.name} was left")
                    continue
                if spec.check_output == "none":
                    continue
                problem = incomplete_output(out, spec.check_output)
                if problem:
                    case.fail("wrong", f"exit 0 but {out.name} {problem}")
        else:
            why = error_problem(r)
            if why:
                case.fail("other", why)
            elif spec.expect == "accept":
                case.fail("other", "refused a meaningful setting")
            kept_run = "training diverged" in (error_lines(r) or [""])[0] and "is kept in" in error_lines(r)[0]
            created = [p.name for p in spec.outputs if os.path.lexists(p)
                       and not (kept_run and p.name.endswith(".training"))]   # documented: kept to resume
            if created:
                case.fail("other", f"refused, but created {', '.join(created)}")
    for path, before in kept.items():
        if before is None:
            continue
        change = changed_from(path, before)
        if change:
            case.fail("lost", change)
    left = debris(d)
    if left:
        case.fail("other", f"left {', '.join(left[:3])}")
    return case


def incomplete_output(out: Path, kind: str) -> str | None:
    if not os.path.lexists(out):
        return "is absent"
    if kind == "file":
        return None if out.is_file() and out.stat().st_size > 0 else "is empty or not a file"
    try:
        words, _counts, vectors = read_store_raw(out)
    except Exception as e:  # noqa: BLE001
        return f"is unopenable ({type(e).__name__}: {str(e)[:100]})"
    if len(words) != vectors.shape[0]:
        return f"has {len(words)} words for {vectors.shape[0]} vectors"
    if not np.isfinite(vectors).all():
        return "holds NaN or infinite vectors"
    return None


# == the report ============================================================================================
def table(rows: dict[str, list[Case]], skipped: dict[str, str]) -> str:
    lines = ["| category | cases tried | handled | data lost | silently wrong | tracebacks |",
             "|---|---:|---:|---:|---:|---:|"]
    total = [0, 0, 0, 0, 0]
    for category, cases in rows.items():
        counts = [len(cases)] + [sum(c.outcome == k for c in cases) for k in ("handled", "lost", "wrong", "traceback")]
        total = [a + b for a, b in zip(total, counts)]
        name = category + (f" (skipped: {skipped[category]})" if category in skipped else "")
        lines.append(f"| {name} | " + " | ".join(f"{n:,}" for n in counts) + " |")
    lines.append("| **total** | " + " | ".join(f"**{n:,}**" for n in total) + " |")
    return "\n".join(lines)


def describe_failure(case: Case) -> str:
    out = [f"### [{case.category}] {COLUMN[case.outcome]}: {case.name}", "",
           f"- expected: {case.expected}"]
    for kind, why in case.problems:
        out.append(f"- {COLUMN[kind]}: {why}")
    if case.detail:
        out.append(f"- {case.detail}")
    for run in case.runs:
        out.append("")
        out.append(f"    $ {run.command()}" + (f"    # {run.note}" if run.note else ""))
        out.append(f"    -> {run.status()} after {run.seconds:.1f} s")
        if run.rc == 0 and case.outcome in ("wrong", "lost"):
            for line in [x for x in run.stdout.splitlines() if x.strip()][-3:]:
                out.append(f"       stdout: {line[:400]}")
        tail = stderr_lines(run.stderr)[-6:]
        for line in tail:
            out.append(f"       stderr: {line[:400]}")
    if case.script:
        out.append("")
        out.append("    the tmpfs script:")
        out += [f"    {line}" for line in case.script.splitlines()]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a subset (about 5 minutes on 2 cores)")
    parser.add_argument("--only", default=",".join(CATEGORIES),
                        help=f"comma-separated categories (default all: {','.join(CATEGORIES)})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, mutations and kill delays (default 0)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    parser.add_argument("--tmp", type=Path, default=None, help="directory for the workspace (default: the system's)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cases run at once (default: cores)")
    parser.add_argument("--verbose", action="store_true", help="one line per case on stderr")
    parser.add_argument("--results", action="store_true",
                        help="also write the output to evals/results/faults.md (included in evals/README.md)")
    args = parser.parse_args(argv)
    global VERBOSE
    VERBOSE = args.verbose
    chosen = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CATEGORIES]
    if unknown or not chosen:
        parser.error(f"--only: unknown categories {unknown}; choose from {', '.join(CATEGORIES)}")
    chosen = [c for c in CATEGORIES if c in chosen]
    if args.tmp:
        args.tmp.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="wordlab-faults-", dir=args.tmp)).resolve()
    (root / "cache").mkdir()
    (root / "tmp").mkdir()
    BASE_ENV.clear()
    BASE_ENV.update({k: v for k, v in os.environ.items() if k != "WORDLAB_FAULT"})
    BASE_ENV.update({"WORDLAB_CACHE": str(root / "cache"), "TMPDIR": str(root / "tmp")})
    os.environ["WORDLAB_CACHE"] = str(root / "cache")     # the suite's own wordlab calls, too
    os.environ.pop("WORDLAB_FAULT", None)
    started = time.monotonic()
    log(f"workspace {root} ({'quick' if args.quick else 'full'}, seed {args.seed}, {args.jobs} jobs, "
        f"{os.cpu_count()} cores)")
    ws = Workspace(root, args.seed, args.quick)
    rng = random.Random(args.seed)
    rows: dict[str, list[Case]] = {}
    skipped: dict[str, str] = {}
    try:
        for category in chosen:
            t = time.monotonic()
            if category == "kills":
                rows[category] = kills(ws, args.jobs, rng)
            elif category == "disk":
                rows[category], why = disk(ws, args.jobs)
                if why:
                    skipped[category] = why
                    log(f"[disk] skipped: {why}")
            elif category == "concurrency":
                rows[category] = concurrency(ws)
            elif category == "damaged":
                rows[category] = damaged(ws, args.jobs)
            else:
                rows[category] = arguments(ws, args.jobs)
            log(f"[{category}] {len(rows[category])} cases in {time.monotonic() - t:.0f} s")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(table(rows, skipped))
    cases = [c for cs in rows.values() for c in cs]
    other = [c for c in cases if c.outcome == "other"]
    failing = [c for c in cases if c.outcome in ("lost", "wrong", "traceback")]
    print()
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    summary = (f"{stamp}, {'--quick' if args.quick else 'full run'}, --seed {args.seed}, {os.cpu_count()} cores, "
               f"{time.monotonic() - started:.0f} s. Not handled in another way (an error reported badly, a valid "
               f"request refused, debris after an error): {len(other)}.")
    print(summary)

    if skipped:
        for category, why in skipped.items():
            print(f"{category}: skipped: {why}")
    if failing or other:
        print()
        print(f"## Cases not handled ({len(failing)} failing, {len(other)} other)"
              + ("" if args.keep else "; the workspace paths below were deleted: rerun with --keep to keep them"))
        for case in sorted(failing, key=lambda c: SEVERITY.index(c.outcome), reverse=True) + other:
            print()
            print(describe_failure(case))
    else:
        print("\nEvery case was handled.")
    if args.keep:
        print(f"\nworkspace kept: {root}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
