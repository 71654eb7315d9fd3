"""The mechanics of a training run: its working directory, checkpoints, resuming and the end.

A run lives in a working directory beside its output, ``.OUT.training/``::

    run.json                     run id, method, parameters, corpus fingerprint, options
    vocab.tsv                    the encoded corpus's vocabulary
    <weight>.npy                 each weight matrix, memory-mapped (r+) while training
    checkpoints/epoch-NNNN/      the weights after epoch NNNN and state.json: epochs
                                 done, loss history, and each weight's shape and CRC-32

**Checkpoints are one unit.** After an epoch the live weights are flushed and
copied into a new ``.epoch-NNNN.*.partial`` folder with ``state.json``, fsynced, and
the folder is renamed to ``epoch-NNNN``; only then is the previous checkpoint removed.
A kill at any moment leaves the last complete checkpoint intact. After the last epoch
the live files are moved into it instead of copied (nothing trains on them any more).
Which epochs get one is :class:`CheckpointSchedule`'s decision: every epoch for
weights up to 256 MiB, otherwise often enough that writing them costs about a tenth of
the training time (a 763 MiB n-gram matrix took 35 of 53 s on a small corpus when it
was copied after every one of 20 epochs). ``resume`` takes the
newest checkpoint, verifies it (run id, epoch, shapes, checksums) and refuses a
damaged one with :class:`~wordlab.errors.CheckpointError`. Random states are derived
from (seed, epoch, thread), so with one worker a resumed run reproduces an
uninterrupted one bit for bit.

**The end is crash-safe.** The store is assembled from the final checkpoint in
``.OUT.training/store.partial`` and put in place in one step (a rename, or an
exchange with the old store under ``overwrite``), so ``OUT`` is at every instant the
old complete store or the new one; only then is the working directory removed. A
run killed at any point completes with ``resume=True``. The store is written by
:class:`~wordlab.store.writer.StoreBuilder` (provenance ``trained``: the corpus
fingerprint).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .._faults import fault_point
from ..atomic import (check_target, discard_directory, fsync_tree, json_default, partial_target, publish_directory,
                      temporary_sibling, write_json)
from ..errors import CheckpointError, DiskFullError, OutputExistsError, ParameterError, WordlabError, is_disk_full
from ..npyio import array_digest, checksum, copy_with_checksum
from ..progress import progress
from ..store import Embeddings
from ..store.writer import StoreBuilder

RUN_FILE = "run.json"
CHECKPOINTS = "checkpoints"
STAGING = "store.partial"
_EPOCH_DIR = re.compile(r"^epoch-(\d{4,})$")


# -- the working directory ---------------------------------------------------------------------------
def work_dir(out: str | os.PathLike) -> Path:
    """The working directory of a run writing ``out``: ``.OUT.training`` beside it."""
    out = Path(out)
    return out.parent / f".{out.name}.training"


def unique_run_path(parent: Path, method: str) -> Path:
    """``parent/METHOD-TIMESTAMP`` (``-2``, ``-3``... when taken): a new output path."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(parent) / f"{method}-{stamp}"
    out, i = base, 1
    while os.path.lexists(out) or os.path.lexists(work_dir(out)):
        i += 1
        out = base.with_name(f"{base.name}-{i}")
    return out


def read_run(work: Path) -> dict | None:
    try:
        run = json.loads((work / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return run if isinstance(run, dict) and run.get("format") == "wordlab-training-run" else None


def is_run_dir(work: Path) -> bool:
    """A training directory of any wordlab version (this one's, an earlier one's, or one
    killed before its run.json was written)."""
    if not work.is_dir() or work.is_symlink():
        return False
    # A run killed while writing its first files leaves only their .partial siblings.
    names = {(partial_target(p) or p).name for p in work.iterdir()}
    return not names or bool(names & {RUN_FILE, CHECKPOINTS, STAGING, "state.json", "checkpoint", "vocab.tsv"})


def is_legacy_run(work: Path) -> bool:
    """A working directory of wordlab before checkpoints became folders, or one whose
    run.json is damaged while checkpoints exist."""
    return (work / "state.json").exists() or (work / "checkpoint").exists() or latest_checkpoint(work) is not None


def store_matches(out: Path, expected: dict) -> bool:
    """True when ``out`` is a complete store trained with the same parameters, corpus and
    options (a run that finished: resuming it again returns it)."""
    try:
        meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict) or not meta.get("run_id"):
        return False
    return all(json.loads(json.dumps(meta.get(k), default=json_default)) == expected[k]
               for k in ("params", "corpus", "options"))


def store_run_id(out: Path) -> str | None:
    try:
        meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("run_id") if isinstance(meta, dict) else None


def latest_checkpoint(work: Path) -> Path | None:
    """The newest complete checkpoint folder of ``work`` (not yet verified), or None."""
    folder = work / CHECKPOINTS
    try:
        found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _EPOCH_DIR.match(p.name)) and p.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return None
    return max(found)[1] if found else None


def kept_checkpoint(work: Path) -> str:
    """Where an interrupted run of ``work`` stands, for an error message."""
    kept = latest_checkpoint(work)
    if kept is None:
        return "no checkpoint was written before it"
    return f"the last good checkpoint (after epoch {int(_EPOCH_DIR.match(kept.name).group(1))}) is kept in {work}"


def read_checkpoint_state(checkpoint: Path, run_id: str, epochs: int) -> dict:
    path = checkpoint / "state.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path} is missing or damaged ({e}); the run cannot be resumed; pass "
                              "overwrite=True (--overwrite) to start again") from None
    epoch = int(_EPOCH_DIR.match(checkpoint.name).group(1))
    if not isinstance(state, dict) or state.get("format") != "wordlab-checkpoint":
        raise CheckpointError(f"{path} is not a wordlab checkpoint")
    if state.get("run_id") != run_id:
        raise CheckpointError(f"{path} belongs to another run ({state.get('run_id')}, not {run_id})")
    history = state.get("history")
    if state.get("epochs_done") != epoch or not isinstance(history, list) or len(history) != epoch \
            or not 0 <= epoch <= epochs:
        raise CheckpointError(f"{path}: its epoch count ({state.get('epochs_done')}) does not match the folder "
                              f"{checkpoint.name} and its history; the run cannot be resumed")
    return state


def check_same_run(work: Path, run: dict, expected: dict) -> None:
    for key in ("params", "corpus", "options"):
        if expected[key] != run.get(key):
            raise WordlabError(f"cannot resume {work}: the {'parameters' if key == 'params' else key} "
                               "differ from the interrupted run's")


def link_or_copy(src: Path, dst: Path) -> None:
    """A hard link (the store's files are never written in place), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        copy_with_checksum(src, dst)


# -- recovering an interrupted run ----------------------------------------------------------------
def recover(work: Path, out: Path, resume: bool, overwrite: bool, expected: dict) -> tuple[bool, dict | None,
                                                                                          Path | None]:
    """Decide what the run writing ``out`` starts from: ``(done, run, checkpoint)``.

    ``done``: ``out`` is the finished store of this very run (``resume``), return it.
    Otherwise ``run`` and ``checkpoint`` are the interrupted run to continue, or None
    (a new run; a debris working directory is discarded). Refuses an existing ``out``
    or an interrupted run that may not be replaced.
    """
    run = read_run(work)
    if run is not None and store_run_id(out) == run.get("run_id"):
        # The run finished and put its store in place; only removing its work was cut short.
        if resume:
            check_same_run(work, run, expected)
        discard_directory(work)
        if resume:
            return True, None, None
        run = None
    checkpoint = None
    if not (resume and not os.path.lexists(work) and store_matches(out, expected)):
        check_target(out, overwrite, directory=True)
    if os.path.lexists(work):
        if run is None and not is_run_dir(work):
            raise OutputExistsError(f"{work} exists and is not a wordlab training directory; move it away")
        if resume:
            if run is None and is_legacy_run(work):
                raise CheckpointError(f"cannot resume {work}: it was written by an earlier version of wordlab "
                                      "(or its run.json is damaged); pass overwrite=True (--overwrite) to start again")
            if run is not None:      # None: killed before its run.json was written, nothing to keep
                check_same_run(work, run, expected)
                checkpoint = latest_checkpoint(work)
            if checkpoint is None:
                print(f"wordlab: {work} holds no finished checkpoint; starting the run again", file=sys.stderr)
                discard_directory(work)
        elif overwrite:
            discard_directory(work)
        else:
            raise WordlabError(f"an interrupted run exists at {work}; continue it with --resume (Python: "
                               "resume=True), or start again with --overwrite (overwrite=True)")
    elif resume:
        if store_matches(out, expected):
            print(f"wordlab: {out} is already complete; nothing to resume", file=sys.stderr)
            return True, None, None
        print(f"wordlab: nothing to resume at {work}; starting a new run", file=sys.stderr)
    return False, run, checkpoint


# -- checkpoints ----------------------------------------------------------------------------------
class CheckpointSchedule:
    """Which epochs end with a checkpoint (``checkpoint_interval`` of ``Trainer.fit``).

    ``interval`` 0: every epoch. A number of seconds: the first epoch that ends at least
    that much training time after the last checkpoint. None (auto): every epoch while
    the weights take at most :attr:`SMALL` bytes; above, the first epoch that ends at
    least :attr:`SHARE` times as long after the last checkpoint as the last full write
    of the weights took (their initialisation, a restore or a checkpoint), so that
    checkpoints cost about 1/SHARE of the run. The last epoch always ends with one (the
    store is made from it), and the initial state gets one only when it is not simply
    redrawn from the seed (a resumed run with none starts again, to the same result).
    """

    SMALL = 256 << 20
    SHARE = 10

    def __init__(self, interval: float | None, weight_specs: Mapping[str, tuple]):
        """``weight_specs``: name -> (shape, initialiser) of the float32 weights."""
        weight_bytes = sum(4 * int(np.prod(shape)) for shape, _ in weight_specs.values())
        self.interval = interval
        self.every_epoch = interval == 0 or (interval is None and weight_bytes <= self.SMALL)
        self.write_seconds = 0.0       # the last full write of the weights
        self.trained = 0.0             # training seconds since the last checkpoint

    @staticmethod
    def check(interval):
        if interval is not None and not (isinstance(interval, (int, float)) and not isinstance(interval, bool)
                                         and np.isfinite(interval) and interval >= 0):
            raise ParameterError(f"checkpoint_interval must be a number of seconds >= 0 or None, not {interval!r}")
        return interval

    def initial(self, from_given_vectors: bool) -> bool:
        return self.every_epoch or from_given_vectors

    def wrote(self, seconds: float) -> None:
        self.write_seconds = seconds
        self.trained = 0.0

    def due(self, epoch_seconds: float, last: bool) -> bool:
        self.trained += epoch_seconds
        if last or self.every_epoch:
            return True
        wait = self.SHARE * self.write_seconds if self.interval is None else self.interval
        return self.trained >= wait


def write_checkpoint(work: Path, weights: Mapping[str, np.ndarray], state: dict, move: bool = False) -> None:
    """Write ``weights`` and ``state`` as one checkpoint folder (see the module docstring);
    ``move``: move the live files into it (the run trains no more on them)."""
    folder = work / CHECKPOINTS
    folder.mkdir(exist_ok=True)
    final = folder / f"epoch-{state['epochs_done']:04d}"
    tmp = temporary_sibling(final)
    tmp.mkdir()
    files = {}
    try:
        for name, arr in weights.items():
            arr.flush()
            if move:
                os.replace(work / f"{name}.npy", tmp / f"{name}.npy")
                size, crc = checksum(tmp / f"{name}.npy")
            else:
                size, crc = copy_with_checksum(work / f"{name}.npy", tmp / f"{name}.npy")
            files[name] = {"shape": list(arr.shape), "dtype": str(arr.dtype), "bytes": size, "crc32": crc}
            fault_point("checkpoint.weight-copied")
        write_json(tmp / "state.json", {**state, "weights": files})
        fsync_tree(tmp)
    except OSError:
        if move:                     # the live files go back: the run keeps them
            for name in weights:
                if (tmp / f"{name}.npy").exists():
                    os.replace(tmp / f"{name}.npy", work / f"{name}.npy")
        discard_directory(tmp)
        raise
    fault_point("checkpoint.before-rename")
    if os.path.lexists(final):       # pragma: no cover - a checkpoint is never rewritten
        discard_directory(final)
    os.rename(tmp, final)
    fsync_tree(folder)
    fault_point("checkpoint.renamed")
    for old in folder.iterdir():
        if old != final:
            (discard_directory if old.is_dir() else Path.unlink)(old)

def verified_weight(path: Path, info: dict, shape: tuple[int, ...]) -> np.ndarray:
    """The weight saved at ``path`` in a checkpoint (memory-mapped), after checking it
    against its record ``info`` in ``state.json`` and the ``shape`` the trainer needs."""
    if list(info.get("shape", [])) != list(shape) or info.get("dtype") != "float32":
        raise CheckpointError(f"{path}: shape {info.get('shape')} {info.get('dtype')} in the checkpoint, "
                              f"expected {list(shape)} float32")
    try:
        size, crc = checksum(path)
        saved = np.load(path, mmap_mode="r")
    except (OSError, ValueError, EOFError) as e:
        raise CheckpointError(f"{path} is unreadable ({e}); the run cannot be resumed") from None
    if (size, crc) != (info.get("bytes"), info.get("crc32")) or saved.shape != tuple(shape):
        raise CheckpointError(f"{path} is damaged (its checksum differs from the one recorded); the run "
                              "cannot be resumed; pass overwrite=True (--overwrite) to start again")
    return saved


# -- the end --------------------------------------------------------------------------------------
def publish_store(work: Path, out: Path, meta: dict, provenance: dict, write_output: Callable[[Path], None],
                  overwrite: bool) -> Embeddings:
    """Assemble the store from the final checkpoint of ``work`` (``write_output`` turns
    the weights into its files) and put it at ``out`` in one step; remove ``work``."""
    checkpoint = latest_checkpoint(work)
    staging = work / STAGING
    if os.path.lexists(staging):
        discard_directory(staging)
    staging.mkdir()
    try:
        for f in checkpoint.iterdir():
            if f.suffix == ".npy":
                link_or_copy(f, staging / f.name)
        write_output(staging)
        fault_point("train.output-written")
        builder = StoreBuilder(staging, where=out)
        builder.copy_vocab(work / "vocab.tsv")
        builder.finish(meta, provenance)
        fsync_tree(staging)
    except OSError as e:
        discard_directory(staging)
        if is_disk_full(e) and not isinstance(e, DiskFullError):
            raise DiskFullError(out, None) from None
        raise
    fault_point("train.before-publish")
    publish_directory(staging, out, overwrite)
    fault_point("train.published")
    discard_directory(work)
    return Embeddings.open(out)


# -- what a run is started from -------------------------------------------------------------------
def check_init(init, name: str) -> None:
    if init is None or isinstance(init, Embeddings):
        return
    arr = np.asarray(init)
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise ParameterError(f"{name} must be a store or a 2-D array of numbers, not {arr.dtype} {arr.shape}")
    if not np.isfinite(arr).all():
        raise ParameterError(f"{name} holds NaN or infinity")


def describe_init(init) -> Any:
    if init is None:
        return None
    if isinstance(init, Embeddings):
        return {"store": str(init.path) if init.path else "in-memory", "words": len(init)}
    arr = np.asarray(init)
    return {"array": list(arr.shape), "sha256": array_digest(arr)}


def words_per_second(history: list[dict]) -> float | None:
    seconds = sum(h["seconds"] for h in history)
    return round(sum(h["words"] for h in history) / seconds, 1) if seconds > 0 else None


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class EpochBar:
    """The run's bar (:func:`wordlab.progress.progress`) over the epochs' units, with
    words/s, learning rate and running loss."""

    def __init__(self, enabled: bool | None, total: int, initial: int, desc: str, unit: str = "w"):
        self.bar = progress(enabled, total=total, initial=initial, desc=desc, unit=unit)

    def reporter(self, epoch: int, epochs: int) -> Callable[[int, float, int], None]:
        """For the trainer: report (words done this epoch, loss so far, examples so far)."""
        last = [0]

        def report(words: int, loss_sum: float, examples: int, alpha: float | None = None) -> None:
            if not self.bar.shown:
                return
            self.bar.update(words - last[0])
            last[0] = words
            postfix = {"epoch": f"{epoch + 1}/{epochs}", "loss": f"{loss_sum / max(examples, 1):.4f}"}
            if alpha is not None:
                postfix["lr"] = f"{alpha:.5f}"
            self.bar.set_postfix(postfix)
        return report

    def epoch_done(self, epoch: int, record: dict) -> None:
        self.bar.write(f"epoch {epoch}: loss {record['loss']:.4f}, "
                       f"{record['words'] / max(record['seconds'], 1e-9):,.0f} words/s")

    def close(self) -> None:
        self.bar.close()
