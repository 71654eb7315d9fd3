"""The shape every trainer shares: ``Trainer(**params).fit(corpus, out) -> Embeddings``.

A run lives in a working directory beside its output, ``.OUT.training/``::

    run.json                     run id, method, parameters, corpus fingerprint, options
    vocab.tsv                    the encoded corpus's vocabulary
    <weight>.npy                 each weight matrix, memory-mapped (r+) while training
    checkpoints/epoch-NNNN/      the weights after epoch NNNN and state.json: epochs
                                 done, loss history, and each weight's shape and CRC-32

**Checkpoints are one unit.** After every epoch the live weights are flushed and
copied into a new ``.epoch-NNNN.*.partial`` folder with ``state.json``, fsynced, and
the folder is renamed to ``epoch-NNNN``; only then is the previous checkpoint removed.
A kill at any moment leaves the last complete checkpoint intact. ``resume`` takes the
newest checkpoint, verifies it (run id, epoch, shapes, checksums) and refuses a
damaged one with :class:`~wordlab.errors.CheckpointError`. Random states are derived
from (seed, epoch, thread), so with one worker a resumed run reproduces an
uninterrupted one bit for bit.

**The end is crash-safe.** The store is assembled from the final checkpoint in
``.OUT.training/store.partial`` and put in place in one step (a rename, or an
exchange with the old store under ``overwrite``), so ``OUT`` is at every instant the
old complete store or the new one; only then is the working directory removed. A
run killed at any point completes with ``resume=True``.

**One writer, finite results.** The whole run holds the lock of ``OUT``
(:func:`wordlab.atomic.exclusive`): a second writer gets a clear error. Parameters are
checked against their declared ranges before any work; an epoch whose loss or
weights are not finite stops the run with :class:`~wordlab.errors.TrainingDivergedError`,
keeping the last good checkpoint.

Subclasses declare their weights and implement one epoch; see :class:`Word2Vec`.
"""
from __future__ import annotations

import datetime as _dt
import inspect
import json
import math
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable, Sequence

import numpy as np

from .._faults import fault_point
from .._memory import release_compiler_pages
from .._threads import default_workers
from . import parameters as P
from .._version import __version__
from ..atomic import (
    STORE_KINDS,
    check_target,
    discard_directory,
    exclusive,
    fsync_tree,
    partial_target,
    publish_directory,
    remove_partials_of,
    remove_stale_partials,
    temporary_sibling,
    write_json,
)
from ..cooccur import corpus_fingerprint
from ..corpus import Corpus, EncodedCorpus, Vocabulary
from ..errors import (
    CheckpointError,
    DiskFullError,
    OutputExistsError,
    ParameterError,
    TrainingDivergedError,
    WordlabError,
    is_disk_full,
)
from ..npyio import copy_with_checksum, create_npy
from ..params import Constraint, validate
from ..paths import cache_root
from ..progress import progress
from ..store import Embeddings

_RUN_FILE = "run.json"
_CHECKPOINTS = "checkpoints"
_STAGING = "store.partial"
_EPOCH_DIR = re.compile(r"^epoch-(\d{4,})$")


@dataclass
class EpochReport:
    """What a callback receives after each epoch.

    Attributes
    ----------
    epoch, epochs : int
        The 1-based number of the epoch just finished, and of all epochs.
    loss : float
        Mean loss per training example in this epoch.
    loss_sum : float
        The epoch's summed loss (float64).
    examples : int
        Training examples in the epoch.
    words : int
        Corpus tokens processed (before subsampling).
    seconds : float
        The epoch's wall time.
    trainer : Trainer
        The trainer (``report.embeddings()`` copies its current vectors).
    """
    epoch: int                     # 1-based number of the epoch just finished
    epochs: int
    loss: float                    # mean loss per training example in this epoch
    loss_sum: float                # summed loss of the epoch (float64)
    examples: int
    words: int                     # corpus tokens processed (before subsampling)
    seconds: float
    trainer: "Trainer" = field(repr=False)

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("nan")

    def embeddings(self) -> Embeddings:
        """The current input vectors as an in-memory store (a copy), e.g. to evaluate."""
        return self.trainer.current_embeddings()


Callback = Callable[[EpochReport], Any]


class Trainer:
    """Base class of wordlab's trainers (see module docstring).

    Subclasses set ``method`` and implement ``_weight_specs``, ``_prepare`` and
    ``_train_epoch``; their ``__init__`` takes only hyperparameters, as in
    scikit-learn, and ``get_params()`` reports them.
    """

    method: str = "?"
    #: name of the weight file that becomes the store's vectors.npy
    output_weight: str = "vectors"
    #: the parameters this class takes, merged with those of subclasses (see parameters.declared)
    parameters: ClassVar[dict[str, P.Param]] = {
        "dim": P.DIM, "epochs": P.EPOCHS, "min_count": P.MIN_COUNT, "max_size": P.MAX_SIZE,
        "workers": P.WORKERS, "seed": P.SEED, "progress": P.PROGRESS,
    }

    def __init__(self, *, dim: int = 100, epochs: int = 5, min_count: int = 5, max_size: int | None = None,
                 workers: int | None = None, seed: int = 1, progress: bool | None = None,
                 callbacks: Sequence[Callback] = ()):
        self.dim = dim
        self.epochs = epochs
        self.min_count = min_count
        self.max_size = max_size
        self.workers = workers
        self.seed = seed
        self.progress = progress
        self.callbacks = callbacks
        self._weights: dict[str, np.ndarray] = {}
        self._vocab: Vocabulary | None = None

    # -- parameters ---------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in cls.__mro__:
            if "__init__" in vars(klass):
                for p in inspect.signature(klass.__init__).parameters.values():
                    if p.name != "self" and p.kind is p.KEYWORD_ONLY and p.name not in names:
                        names.append(p.name)
        return names

    def get_params(self) -> dict:
        """Hyperparameters (JSON-able; without progress and callbacks)."""
        return {n: getattr(self, n) for n in self._param_names() if n not in ("progress", "callbacks")}

    def validate(self) -> "Trainer":
        """Check every parameter against its declared rule (:mod:`wordlab.trainers.parameters`)
        and the rules that relate parameters; raise :class:`~wordlab.errors.ParameterError`.
        ``fit`` calls it before any work; returns the trainer."""
        self._validate()
        return self

    @classmethod
    def _constraints(cls) -> dict[str, Constraint]:
        return {name: p.constraint for name, p in P.declared(cls).items()}

    def _validate(self) -> None:
        """The checks (subclasses extend it with rules that relate parameters)."""
        validate(self.get_params() | {"progress": self.progress}, self._constraints(), type(self).__name__)
        if not all(callable(c) for c in self.callbacks):
            raise ParameterError(f"{type(self).__name__}: callbacks must be callables taking an EpochReport")

    @property
    def n_workers(self) -> int:
        return int(self.workers) if self.workers else default_workers()

    # -- to be implemented by subclasses -----------------------------------------------------
    def _weight_specs(self, n_words: int) -> dict[str, tuple[tuple[int, ...], Callable[[np.ndarray, np.random.Generator], None]]]:
        """name -> (shape, initialiser(array, rng)) of every weight matrix."""
        raise NotImplementedError

    def _prepare(self, encoded: EncodedCorpus) -> None:
        """Build tables that depend on the corpus (called on fresh and resumed runs)."""

    def _epoch_size(self) -> tuple[int, str]:
        """(units of work in one epoch, their name) for the progress bar; default: tokens."""
        return self._encoded.n_tokens, "w"

    def _meta_extra(self) -> dict:
        """Entries the trainer adds to the store's ``meta.json`` (e.g. how to read its vectors)."""
        return {}

    def _epoch_extra(self) -> dict:
        """Extra figures of the epoch just trained, for its record in ``meta.json``."""
        return {}

    def _write_output(self, work: Path) -> None:
        """Make the store's ``vectors.npy`` in ``work`` from the trained weights and
        remove what the store should not keep (optimiser state, scratch files)."""
        if self.output_weight != "vectors":
            os.replace(work / f"{self.output_weight}.npy", work / "vectors.npy")

    def _load_kernels(self) -> None:
        """Load (or compile) the Numba kernels, by calling them on an empty problem.

        Called after ``_prepare`` and before the weights are allocated, so that the
        compiler's memory can be released first (see :mod:`wordlab._memory`).
        """

    def _train_epoch(self, epoch: int, report_words: Callable[[int, float, int], None]) -> tuple[float, int]:
        """Train one epoch (0-based); return (loss_sum, examples).

        Call ``report_words(words, loss_sum_so_far, examples_so_far)`` now and then
        from any thread for the progress bar.
        """
        raise NotImplementedError

    # -- the run --------------------------------------------------------------------------
    def fit(self, corpus, out: str | os.PathLike | None = None, *, resume: bool = False,
            overwrite: bool = False, init_vectors: Embeddings | np.ndarray | None = None,
            init_context: Embeddings | np.ndarray | None = None, freeze_context: bool = False,
            frozen_words: Iterable[str] | None = None) -> Embeddings:
        """Train on ``corpus`` and write the store to ``out``; return it (opened).

        Parameters
        ----------
        corpus : Corpus, EncodedCorpus, path(s)/glob, or iterable of token lists
            Encoded (and cached) with this trainer's ``min_count``/``max_size`` unless
            already an :class:`EncodedCorpus`.
        out : path, optional
            The store directory to create. Default: a new directory under
            ``$WORDLAB_CACHE/runs``. An existing ``out`` is refused unless ``overwrite``,
            and ``overwrite`` replaces only a wordlab store, never another directory.
        resume : bool
            Continue the interrupted run of ``out`` from its last complete checkpoint
            (or finish its final write). With nothing to resume, a new run starts.
        overwrite : bool
            Replace an existing store at ``out`` (when the run completes, in one step),
            and discard an interrupted run of ``out`` instead of refusing to start.
        init_vectors, init_context : Embeddings or array (n_words, dim), optional
            Starting input / output matrices. A store is matched by word (rows of
            words it lacks keep the default initialisation); an array must have the
            vocabulary's shape. Both must be finite.
        freeze_context : bool
            Keep the output matrix fixed (train input vectors only), as CADE needs.
        frozen_words : iterable of str, optional
            Words whose input vectors stay fixed.

        Raises
        ------
        ParameterError
            A parameter outside its range (before any work).
        OutputExistsError, LockedError
            ``out`` exists and may not be replaced; another process is writing it.
        CheckpointError
            ``resume`` found a damaged checkpoint or one of another run.
        TrainingDivergedError
            The loss or the weights stopped being finite; the last good checkpoint is kept.
        """
        self._validate()
        for name, init in (("init_vectors", init_vectors), ("init_context", init_context)):
            _check_init(init, name)
        encoded = self._encode(corpus)
        vocab = encoded.vocab
        if len(vocab) == 0:
            raise WordlabError(f"the vocabulary is empty: no word occurs at least min_count={self.min_count} "
                               f"times in the corpus ({encoded.meta.get('total_tokens', 0):,} tokens)")
        if encoded.n_tokens == 0:
            raise WordlabError("the corpus has no tokens to train on")
        self._vocab = vocab
        out = Path(out) if out is not None else self.default_out()
        if not resume:
            check_target(out, overwrite, directory=True)      # refuse early, before the lock
        out.parent.mkdir(parents=True, exist_ok=True)
        with exclusive(out, what="output directory"):
            return self._fit_locked(encoded, out, resume, overwrite, init_vectors, init_context, freeze_context,
                                    frozen_words)

    def _fit_locked(self, encoded: EncodedCorpus, out: Path, resume: bool, overwrite: bool, init_vectors,
                    init_context, freeze_context: bool, frozen_words) -> Embeddings:
        vocab = encoded.vocab
        work = work_dir(out)
        remove_partials_of(out)                       # we hold its lock: these are debris
        remove_stale_partials(out.parent, work.name)
        fingerprint = corpus_fingerprint(encoded)
        options = {"freeze_context": bool(freeze_context),
                   "frozen_words": sorted(set(map(str, frozen_words))) if frozen_words is not None else [],
                   "init_vectors": _describe_init(init_vectors), "init_context": _describe_init(init_context)}
        params = self.get_params()
        expected = json.loads(json.dumps({"params": params, "corpus": fingerprint, "options": options},
                                         default=_json_default))

        run = _read_run(work)
        if run is not None and _store_run_id(out) == run.get("run_id"):
            # The run finished and put its store in place; only removing its work was cut short.
            if resume:
                _check_same_run(work, run, expected)
            discard_directory(work)
            if resume:
                return Embeddings.open(out)
            run = None
        checkpoint = None
        if not (resume and not os.path.lexists(work) and _store_matches(out, expected)):
            check_target(out, overwrite, directory=True)
        if os.path.lexists(work):
            if run is None and not _is_run_dir(work):
                raise OutputExistsError(f"{work} exists and is not a wordlab training directory; move it away")
            if resume:
                if run is None and _is_legacy_run(work):
                    raise CheckpointError(f"cannot resume {work}: it was written by an earlier version of wordlab "
                                          "(or its run.json is damaged); pass overwrite=True (--overwrite) to start again")
                if run is not None:      # None: killed before its run.json was written, nothing to keep
                    _check_same_run(work, run, expected)
                    checkpoint = latest_checkpoint(work)
                if checkpoint is None:
                    print(f"wordlab: {work} holds no finished checkpoint; starting the run again", file=sys.stderr)
                    discard_directory(work)
            elif overwrite:
                discard_directory(work)
            else:
                raise WordlabError(f"an interrupted run exists at {work}; pass resume=True (--resume) to continue it "
                                   "or overwrite=True (--overwrite) to start again")
        elif resume:
            if _store_matches(out, expected):
                print(f"wordlab: {out} is already complete; nothing to resume", file=sys.stderr)
                return Embeddings.open(out)
            print(f"wordlab: nothing to resume at {work}; starting a new run", file=sys.stderr)

        self._freeze_context = bool(freeze_context)
        self._locks = np.ones(len(vocab), dtype=np.float32)
        for w in options["frozen_words"]:
            if w in vocab:
                self._locks[vocab.index[w]] = 0.0

        # Kernels first, then give LLVM's pages back, then allocate the weights: the
        # compiler's footprint and the weights are never resident together.
        self._prepare(encoded)
        self._encoded = encoded
        self._load_kernels()
        release_compiler_pages()
        self._work = work

        try:
            if checkpoint is not None:
                state = self._restore(work, checkpoint, run["run_id"])
            else:
                run = {"format": "wordlab-training-run", "run_id": uuid.uuid4().hex, "method": self.method,
                       **expected, "wordlab_version": __version__, "started": _now()}
                work.mkdir(parents=True)
                write_json(work / _RUN_FILE, run)
                vocab.save(work / "vocab.tsv", private=True)
                self._open_weights(work, create=True)
                self._initialise(init_vectors, init_context)
                state = {"format": "wordlab-checkpoint", "run_id": run["run_id"], "epochs_done": 0, "history": []}
                self._checkpoint(work, state)
            self._train_epochs(work, state)
        except OSError as e:
            if not is_disk_full(e):
                raise
            self._weights = {}
            kept = latest_checkpoint(work)
            if kept is None:       # nothing worth resuming: leave nothing behind
                discard_directory(work)
                raise (e if isinstance(e, DiskFullError) else DiskFullError(out)) from None
            raise DiskFullError(getattr(e, "path", out), getattr(e, "needed", None),
                                f"no space left on device; the last complete checkpoint ({kept.name}) is kept "
                                f"in {work}: free some space and resume") from None

        meta = {"method": self.method, "dim": self.dim, "params": params, "corpus": fingerprint,
                "options": options, "vocab_size": len(vocab), "n_tokens": encoded.n_tokens,
                "dropped_tokens": encoded.dropped_tokens, "loss_history": [h["loss"] for h in state["history"]],
                "history": state["history"], "training_seconds": round(sum(h["seconds"] for h in state["history"]), 3),
                "words_per_second": _words_per_second(state["history"]),
                "wordlab_version": __version__, "started": run["started"], "created": _now(),
                "run_id": run["run_id"], **self._meta_extra()}
        self._close_weights()
        return self._finish(work, out, meta, overwrite)

    # -- pieces of the run ------------------------------------------------------------------
    def _encode(self, corpus) -> EncodedCorpus:
        if isinstance(corpus, EncodedCorpus):
            return corpus
        if not isinstance(corpus, Corpus):
            corpus = Corpus(corpus)
        return corpus.encode(min_count=self.min_count, max_size=self.max_size, progress=self.progress)

    def default_out(self) -> Path:
        return unique_run_path(cache_root() / "runs", self.method)

    def _open_weights(self, work: Path, create: bool) -> None:
        """Map every weight file (r+); ``create`` makes them anew (space reserved first)."""
        self._weights = {}
        for name, (shape, _init) in self._weight_specs(len(self._vocab)).items():
            path = work / f"{name}.npy"
            arr = None
            if not create:
                try:
                    arr = np.load(path, mmap_mode="r+")
                    if arr.shape != tuple(shape) or arr.dtype != np.float32:
                        arr = None
                except (OSError, ValueError, EOFError):
                    arr = None      # the live copy is rebuilt from the checkpoint anyway
            if arr is None:
                path.unlink(missing_ok=True)
                arr = create_npy(path, np.float32, shape)
            self._weights[name] = arr

    def _initialise(self, init_vectors, init_context) -> None:
        rng = np.random.default_rng(self.seed)
        for name, (shape, init) in self._weight_specs(len(self._vocab)).items():
            init(self._weights[name], rng)
        if init_vectors is not None:
            self._copy_init(init_vectors, "vectors")
        if init_context is not None:
            self._copy_init(init_context, "context_vectors")

    def _init_target(self, name: str) -> np.ndarray | None:
        """The array that ``init_vectors`` ("vectors") / ``init_context`` ("context_vectors")
        fill: by default the weight of that name."""
        return self._weights.get(name)

    def _copy_init(self, source, name: str) -> None:
        target = self._init_target(name)
        if target is None:
            raise WordlabError(f"method {self.method} cannot start from given {name.replace('_', ' ')}")
        if isinstance(source, Embeddings):
            if source.dim != target.shape[1]:
                raise WordlabError(f"initial {name} have dimension {source.dim}, the trainer uses {target.shape[1]}")
        elif np.shape(source) != target.shape:
            raise WordlabError(f"initial {name} have shape {np.shape(source)}, expected {target.shape}")
        self._copy_rows(source, name, target)

    def _copy_rows(self, source, name: str, target: np.ndarray, columns: slice = slice(None)) -> None:
        """Fill ``target`` with ``source[:, columns]``: a store's rows by word (words it
        lacks keep their initial values), or an array's rows in vocabulary order."""
        if isinstance(source, Embeddings):
            matrix = source.vectors if name == "vectors" else source.context_vectors
            if matrix is None:
                raise WordlabError(f"the store {source.path} has no context vectors to start from")
            index = source.index
            rows = [(i, index[w]) for i, w in enumerate(self._vocab.words) if w in index]
            if rows:
                dst, src = np.array(rows).T
                for a in range(0, dst.shape[0], 65536):
                    block = matrix[src[a:a + 65536]][:, columns]
                    if not np.isfinite(block).all():
                        raise ParameterError(f"the initial {name.replace('_', ' ')} from {source.path} hold NaN "
                                             "or infinity")
                    target[dst[a:a + 65536]] = block
        else:
            target[:] = np.asarray(source, dtype=np.float32)[:, columns]

    # -- checkpoints ------------------------------------------------------------------------------
    def _checkpoint(self, work: Path, state: dict) -> None:
        """Write the weights and ``state`` as one checkpoint folder (see module docstring)."""
        folder = work / _CHECKPOINTS
        folder.mkdir(exist_ok=True)
        final = folder / f"epoch-{state['epochs_done']:04d}"
        tmp = temporary_sibling(final)
        tmp.mkdir()
        files = {}
        try:
            for name, arr in self._weights.items():
                arr.flush()
                size, crc = copy_with_checksum(work / f"{name}.npy", tmp / f"{name}.npy")
                files[name] = {"shape": list(arr.shape), "dtype": str(arr.dtype), "bytes": size, "crc32": crc}
                fault_point("checkpoint.weight-copied")
            write_json(tmp / "state.json", {**state, "weights": files})
            fsync_tree(tmp)
        except OSError:
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

    def _restore(self, work: Path, checkpoint: Path, run_id: str) -> dict:
        """Load ``checkpoint`` into the live weights, verifying it as it is read."""
        state = _read_checkpoint_state(checkpoint, run_id, self.epochs)
        specs = self._weight_specs(len(self._vocab))
        recorded = state.get("weights") or {}
        if set(recorded) != set(specs):
            raise CheckpointError(f"{checkpoint} holds the weights {sorted(recorded)}, the trainer needs "
                                  f"{sorted(specs)}; pass overwrite=True (--overwrite) to start again")
        self._open_weights(work, create=False)
        for name, arr in self._weights.items():
            info = recorded[name]
            path = checkpoint / f"{name}.npy"
            if list(info.get("shape", [])) != list(specs[name][0]) or info.get("dtype") != "float32":
                raise CheckpointError(f"{path}: shape {info.get('shape')} {info.get('dtype')} in the checkpoint, "
                                      f"expected {list(specs[name][0])} float32")
            try:
                size, crc = _checksum(path)
                saved = np.load(path, mmap_mode="r")
            except (OSError, ValueError, EOFError) as e:
                raise CheckpointError(f"{path} is unreadable ({e}); the run cannot be resumed") from None
            if (size, crc) != (info.get("bytes"), info.get("crc32")) or saved.shape != arr.shape:
                raise CheckpointError(f"{path} is damaged (its checksum differs from the one recorded); the run "
                                      "cannot be resumed; pass overwrite=True (--overwrite) to start again")
            for a in range(0, arr.shape[0], 4096):
                arr[a:a + 4096] = saved[a:a + 4096]
            arr.flush()
            del saved
        state.pop("weights", None)
        return state

    def _weights_finite(self) -> str | None:
        """The name of a weight holding NaN or infinity, or None."""
        for name, arr in self._weights.items():
            flat = np.asarray(arr).reshape(-1)
            for a in range(0, flat.shape[0], 1 << 22):
                if not np.isfinite(flat[a:a + (1 << 22)]).all():
                    return name
        return None

    def _train_epochs(self, work: Path, state: dict) -> None:
        n_tokens = self._encoded.n_tokens
        size, unit = self._epoch_size()
        bar = _ProgressBar(self.progress, total=self.epochs * size, initial=state["epochs_done"] * size,
                           desc=f"{self.method}", unit=unit)
        try:
            for epoch in range(state["epochs_done"], self.epochs):
                started = time.time()
                loss_sum, examples = self._train_epoch(epoch, bar.reporter(epoch, self.epochs))
                seconds = time.time() - started
                bad = None if math.isfinite(loss_sum) else "loss"
                bad = bad or self._weights_finite()
                if bad is not None:
                    raise TrainingDivergedError(
                        f"training diverged in epoch {epoch + 1} of {self.epochs}: the {bad} became NaN or "
                        f"infinite; the last good checkpoint (after epoch {epoch}) is kept in {work}. Lower the "
                        f"learning rate and start again (overwrite=True, --overwrite)")
                record = {"epoch": epoch + 1, "loss": loss_sum / max(examples, 1), "loss_sum": loss_sum,
                          "examples": int(examples), "words": int(n_tokens), "seconds": round(seconds, 3),
                          **self._epoch_extra()}
                state["history"].append(record)
                state["epochs_done"] = epoch + 1
                fault_point("train.epoch-done")
                self._checkpoint(work, state)
                bar.epoch_done(epoch + 1, record)
                report = EpochReport(epoch + 1, self.epochs, record["loss"], loss_sum, int(examples),
                                     int(n_tokens), seconds, self)
                for callback in self.callbacks:
                    callback(report)
        finally:
            bar.close()

    def current_embeddings(self) -> Embeddings:
        """The vectors the store would hold if training stopped now (a copy), with the
        vocabulary, the method's extra metadata (e.g. a CMOW encoder's layout) and a copy
        of the output vectors when the method has them."""
        emb = Embeddings(self._vocab.words, self._current_vectors(), self._vocab.counts,
                         {"method": self.method, "params": self.get_params(), **self._meta_extra()})
        if "context_vectors" in self._weights:
            emb._context = np.array(self._weights["context_vectors"])
        return emb

    def _current_vectors(self) -> np.ndarray:
        """The store's vectors from the weights as they are now (float32, a copy)."""
        return np.array(self._weights[self.output_weight])

    def _close_weights(self) -> None:
        for arr in self._weights.values():
            arr.flush()
        self._weights = {}

    def _finish(self, work: Path, out: Path, meta: dict, overwrite: bool) -> Embeddings:
        """Assemble the store from the final checkpoint and put it at ``out`` in one step."""
        checkpoint = latest_checkpoint(work)
        staging = work / _STAGING
        if os.path.lexists(staging):
            discard_directory(staging)
        staging.mkdir()
        try:
            for f in checkpoint.iterdir():
                if f.suffix == ".npy":
                    _link_or_copy(f, staging / f.name)
            self._write_output(staging)
            fault_point("train.output-written")
            shutil.copyfile(work / "vocab.tsv", staging / "vocab.tsv")
            meta["dim"] = int(np.load(staging / "vectors.npy", mmap_mode="r").shape[1])
            meta.update({"format": STORE_KINDS[0], "format_version": 1, "n_words": len(self._vocab)})
            write_json(staging / "meta.json", meta)
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


def _read_run(work: Path) -> dict | None:
    try:
        run = json.loads((work / _RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return run if isinstance(run, dict) and run.get("format") == "wordlab-training-run" else None


def _is_run_dir(work: Path) -> bool:
    """A training directory of any wordlab version (this one's, an earlier one's, or one
    killed before its run.json was written)."""
    if not work.is_dir() or work.is_symlink():
        return False
    # A run killed while writing its first files leaves only their .partial siblings.
    names = {(partial_target(p) or p).name for p in work.iterdir()}
    return not names or bool(names & {_RUN_FILE, _CHECKPOINTS, _STAGING, "state.json", "checkpoint", "vocab.tsv"})


def _is_legacy_run(work: Path) -> bool:
    """A working directory of wordlab before checkpoints became folders, or one whose
    run.json is damaged while checkpoints exist."""
    return (work / "state.json").exists() or (work / "checkpoint").exists() or latest_checkpoint(work) is not None


def _store_matches(out: Path, expected: dict) -> bool:
    """True when ``out`` is a complete store trained with the same parameters, corpus and
    options (a run that finished: resuming it again returns it)."""
    try:
        meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict) or not meta.get("run_id"):
        return False
    return all(json.loads(json.dumps(meta.get(k), default=_json_default)) == expected[k]
               for k in ("params", "corpus", "options"))


def _store_run_id(out: Path) -> str | None:
    try:
        meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("run_id") if isinstance(meta, dict) else None


def latest_checkpoint(work: Path) -> Path | None:
    """The newest complete checkpoint folder of ``work`` (not yet verified), or None."""
    folder = work / _CHECKPOINTS
    try:
        found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _EPOCH_DIR.match(p.name)) and p.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return None
    return max(found)[1] if found else None


def _read_checkpoint_state(checkpoint: Path, run_id: str, epochs: int) -> dict:
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


def _check_same_run(work: Path, run: dict, expected: dict) -> None:
    for key in ("params", "corpus", "options"):
        if expected[key] != run.get(key):
            raise WordlabError(f"cannot resume {work}: the {'parameters' if key == 'params' else key} "
                               "differ from the interrupted run's")


def _checksum(path: Path) -> tuple[int, int]:
    from ..npyio import checksum
    return checksum(path)


def _link_or_copy(src: Path, dst: Path) -> None:
    """A hard link (the store's files are never written in place), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        copy_with_checksum(src, dst)


def _check_init(init, name: str) -> None:
    if init is None or isinstance(init, Embeddings):
        return
    arr = np.asarray(init)
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise ParameterError(f"{name} must be a store or a 2-D array of numbers, not {arr.dtype} {arr.shape}")
    if not np.isfinite(arr).all():
        raise ParameterError(f"{name} holds NaN or infinity")


def _describe_init(init) -> Any:
    if init is None:
        return None
    if isinstance(init, Embeddings):
        return {"store": str(init.path) if init.path else "in-memory", "words": len(init)}
    arr = np.asarray(init)
    return {"array": list(arr.shape), "sha256": _hash_array(arr)}


def _hash_array(arr: np.ndarray) -> str:
    import hashlib
    h = hashlib.sha256()
    flat = np.ascontiguousarray(arr, dtype=np.float32).reshape(-1)
    for a in range(0, flat.shape[0], 1 << 22):
        h.update(flat[a:a + (1 << 22)].tobytes())
    return h.hexdigest()[:16]


def _words_per_second(history: list[dict]) -> float | None:
    seconds = sum(h["seconds"] for h in history)
    return round(sum(h["words"] for h in history) / seconds, 1) if seconds > 0 else None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


from ..atomic import json_default as _json_default  # noqa: E402


class _ProgressBar:
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
