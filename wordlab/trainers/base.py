"""The shape every trainer shares: ``Trainer(**params).fit(corpus, out) -> Embeddings``.

A run lives in a working directory beside its output, ``.OUT.training/``, with its
checkpoints after every epoch; :mod:`wordlab.trainers.run` holds those mechanics
(checkpoints as one unit, resuming, the crash-safe end) and this module the
orchestration of a run.

**One writer, finite results.** The whole run holds the lock of ``OUT``
(:func:`wordlab.atomic.exclusive`): a second writer gets a clear error. Parameters are
checked against their declared ranges before any work; an epoch whose loss or
weights are not finite stops the run with :class:`~wordlab.errors.TrainingDivergedError`,
keeping the last good checkpoint.

Subclasses declare their weights and implement one epoch; see :class:`Word2Vec`.
"""
from __future__ import annotations

import inspect
import json
import math
import os
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
from ..atomic import check_target, discard_directory, exclusive, json_default, remove_partials_of, \
    remove_stale_partials, write_json
from ..cooccur import corpus_fingerprint
from ..corpus import Corpus, EncodedCorpus, Vocabulary
from ..errors import CheckpointError, DiskFullError, ParameterError, TrainingDivergedError, WordlabError, \
    is_disk_full
from ..npyio import create_npy
from ..params import Constraint, validate
from ..paths import cache_root
from ..store import Embeddings
from ..store.writer import provenance
from .run import (RUN_FILE, CheckpointSchedule, EpochBar, check_init, describe_init, kept_checkpoint,
                  latest_checkpoint, now, publish_store, read_checkpoint_state, recover, unique_run_path,
                  verified_weight, words_per_second, work_dir, write_checkpoint)

__all__ = ["Callback", "EpochReport", "Trainer", "latest_checkpoint", "unique_run_path", "work_dir"]


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

    Subclasses set ``method`` and implement ``_weight_specs``, ``_prepare`` and ``_train_epoch``;
    their ``__init__`` takes only hyperparameters, as in scikit-learn, and ``get_params()`` reports them.
    """

    method: str = "?"
    #: name of the weight file that becomes the store's vectors.npy
    output_weight: str = "vectors"
    loss_unit: ClassVar[str] = "mean loss per example"   #: what ``loss_history`` measures (plots name it)
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
        """Hyperparameters (JSON-able; without progress, callbacks and a Dask client, which
        change where the work runs, not its result)."""
        return {n: getattr(self, n) for n in self._param_names() if n not in ("progress", "callbacks", "client")}

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
    def method_name(self) -> str:
        """The method's name in the registry and in the store's ``meta.json`` (for most
        trainers their ``method``; a trainer whose ``method`` picks an architecture, as
        :class:`FastText`'s does, names itself)."""
        return self.method

    @property
    def n_workers(self) -> int:
        return int(self.workers) if self.workers else default_workers()

    # -- to be implemented by subclasses -----------------------------------------------------
    def _weight_specs(self, n_words: int) -> dict[str, tuple[tuple[int, ...], Callable[[np.ndarray, np.random.Generator], None]]]:
        """name -> (shape, initialiser(array, rng)) of every weight matrix."""
        raise NotImplementedError

    def _run_layout(self) -> dict:
        """Run options a checkpoint depends on beyond the parameters (how the live weights
        are laid out, which update order runs): a run started with other ones is not
        resumed. Nothing by default."""
        return {}

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
            frozen_words: Iterable[str] | None = None, checkpoint_interval: float | None = None) -> Embeddings:
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
        checkpoint_interval : float, optional
            Seconds of training between checkpoints (0: after every epoch). Default:
            after every epoch for weights up to 256 MiB, otherwise so that writing
            checkpoints takes about a tenth of the training time
            (:class:`~wordlab.trainers.run.CheckpointSchedule`). A resumed run gives
            the same result whichever checkpoint it starts from.

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
        self._checkpoint_interval = CheckpointSchedule.check(checkpoint_interval)
        for name, init in (("init_vectors", init_vectors), ("init_context", init_context)):
            check_init(init, name)
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
                   "init_vectors": describe_init(init_vectors), "init_context": describe_init(init_context),
                   **self._run_layout()}
        params = self.get_params()
        expected = json.loads(json.dumps({"params": params, "corpus": fingerprint, "options": options},
                                         default=json_default))

        done, run, checkpoint = recover(work, out, resume, overwrite, expected)
        if done:
            return Embeddings.open(out)

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

        self._schedule = CheckpointSchedule(self._checkpoint_interval, self._weight_specs(len(vocab)))
        try:
            started = time.time()
            if checkpoint is not None:
                state = self._restore(work, checkpoint, run["run_id"])
                self._schedule.wrote(time.time() - started)
            else:
                run = {"format": "wordlab-training-run", "run_id": uuid.uuid4().hex, "method": self.method_name,
                       **expected, "wordlab_version": __version__, "started": now()}
                work.mkdir(parents=True)
                write_json(work / RUN_FILE, run)
                vocab.save(work / "vocab.tsv", private=True)
                self._open_weights(work, create=True)
                self._initialise(init_vectors, init_context)
                self._schedule.wrote(time.time() - started)
                state = {"format": "wordlab-checkpoint", "run_id": run["run_id"], "epochs_done": 0, "history": []}
                if self._schedule.initial(init_vectors is not None or init_context is not None):
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

        meta = {"method": self.method_name, "dim": self.dim, "params": params, "corpus": fingerprint,
                "options": options, "vocab_size": len(vocab), "n_tokens": encoded.n_tokens,
                "dropped_tokens": encoded.dropped_tokens, "loss_history": [h["loss"] for h in state["history"]],
                "history": state["history"], "training_seconds": round(sum(h["seconds"] for h in state["history"]), 3),
                "words_per_second": words_per_second(state["history"]),
                "wordlab_version": __version__, "started": run["started"], "created": now(),
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
        return unique_run_path(cache_root() / "runs", self.method_name)

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
            raise WordlabError(f"method {self.method_name} cannot start from given {name.replace('_', ' ')}")
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
    def _checkpoint(self, work: Path, state: dict, move: bool = False) -> None:
        started = time.time()
        write_checkpoint(work, self._weights, state, move)
        self._schedule.wrote(time.time() - started)

    def _restore(self, work: Path, checkpoint: Path, run_id: str) -> dict:
        """Load ``checkpoint`` into the live weights, verifying it as it is read."""
        state = read_checkpoint_state(checkpoint, run_id, self.epochs)
        specs = self._weight_specs(len(self._vocab))
        recorded = state.get("weights") or {}
        if set(recorded) != set(specs):
            raise CheckpointError(f"{checkpoint} holds the weights {sorted(recorded)}, the trainer needs "
                                  f"{sorted(specs)}; pass overwrite=True (--overwrite) to start again")
        self._open_weights(work, create=False)
        for name, arr in self._weights.items():
            saved = verified_weight(checkpoint / f"{name}.npy", recorded[name], specs[name][0])
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
        bar = EpochBar(self.progress, total=self.epochs * size, initial=state["epochs_done"] * size,
                           desc=f"{self.method_name}", unit=unit)
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
                        f"infinite; {kept_checkpoint(work)}. Lower the learning rate and start again "
                        "(overwrite=True, --overwrite)")
                record = {"epoch": epoch + 1, "loss": loss_sum / max(examples, 1), "loss_sum": loss_sum,
                          "examples": int(examples), "words": int(n_tokens), "seconds": round(seconds, 3),
                          **self._epoch_extra()}
                state["history"].append(record)
                state["epochs_done"] = epoch + 1
                fault_point("train.epoch-done")
                if self._schedule.due(seconds, last=epoch + 1 == self.epochs):
                    self._checkpoint(work, state, move=epoch + 1 == self.epochs)
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
        context = self._weights.get("context_vectors")
        return Embeddings(self._vocab.words, self._current_vectors(), self._vocab.counts,
                          {"method": self.method_name, "params": self.get_params(), **self._meta_extra()},
                          components={} if context is None else {"context_vectors": np.array(context)})

    def _current_vectors(self) -> np.ndarray:
        """The store's vectors from the weights as they are now (float32, a copy)."""
        return np.array(self._weights[self.output_weight])

    def _close_weights(self) -> None:
        for arr in self._weights.values():
            arr.flush()
        self._weights = {}

    def _finish(self, work: Path, out: Path, meta: dict, overwrite: bool) -> Embeddings:
        """Assemble the store from the final checkpoint and put it at ``out`` in one step."""
        return publish_store(work, out, meta, provenance("trained", corpus=meta["corpus"]), self._write_output,
                             overwrite)
