"""The shape every trainer shares: ``Trainer(**params).fit(corpus, out) -> Embeddings``.

A run lives in a working directory beside its output, ``.OUT.training/``:

    vocab.tsv                    the encoded corpus's vocabulary
    <weight>.npy                 each weight matrix, memory-mapped (r+) while training
    checkpoint/<weight>.npy      copies as they were after the last finished epoch
    state.json                   epochs done, loss history, parameters, corpus fingerprint

After every epoch the live weights are flushed, copied to ``checkpoint/`` (by
temporary name and rename), and ``state.json`` is rewritten atomically. A
resumed run restores the checkpoint and continues with the next epoch; random
states are derived from (seed, epoch, thread), so with one worker it reproduces an
uninterrupted run bit for bit. When the last epoch is done the working directory
gets ``meta.json`` and is renamed to ``OUT``: a complete store, never a partial one.

Subclasses declare their weights and implement one epoch; see :class:`Word2Vec`.
"""
from __future__ import annotations

import datetime as _dt
import inspect
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .._memory import release_compiler_pages
from .._threads import default_workers
from .._version import __version__
from ..atomic import atomic_file
from ..cooccur import corpus_fingerprint
from ..corpus import Corpus, EncodedCorpus, Vocabulary
from ..errors import WordlabError
from ..paths import cache_root
from ..store import Embeddings


@dataclass
class EpochReport:
    """What a callback receives after each epoch."""
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

    def _validate(self) -> None:
        if not isinstance(self.dim, (int, np.integer)) or self.dim < 1:
            raise WordlabError(f"dim must be a positive integer, not {self.dim!r}")
        if not isinstance(self.epochs, (int, np.integer)) or self.epochs < 1:
            raise WordlabError(f"epochs must be a positive integer, not {self.epochs!r}")
        if self.min_count < 1:
            raise WordlabError(f"min_count must be at least 1, not {self.min_count!r}")
        if self.workers is not None and self.workers < 1:
            raise WordlabError(f"workers must be at least 1, not {self.workers!r}")

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
            ``$WORDLAB_CACHE/runs``. An existing ``out`` is refused unless ``overwrite``.
        resume : bool
            Continue the interrupted run of ``out`` from its last finished epoch.
        init_vectors, init_context : Embeddings or array (n_words, dim), optional
            Starting input / output matrices. A store is matched by word (rows of
            words it lacks keep the default initialisation); an array must have the
            vocabulary's shape.
        freeze_context : bool
            Keep the output matrix fixed (train input vectors only), as CADE needs.
        frozen_words : iterable of str, optional
            Words whose input vectors stay fixed.
        """
        self._validate()
        encoded = self._encode(corpus)
        vocab = encoded.vocab
        if len(vocab) == 0:
            raise WordlabError(f"the vocabulary is empty: no word occurs at least min_count={self.min_count} "
                               f"times in the corpus ({encoded.meta.get('total_tokens', 0):,} tokens)")
        if encoded.n_tokens == 0:
            raise WordlabError("the corpus has no tokens to train on")
        self._vocab = vocab
        out = Path(out) if out is not None else self._default_out()
        work = out.parent / f".{out.name}.training"
        fingerprint = corpus_fingerprint(encoded)
        options = {"freeze_context": bool(freeze_context),
                   "frozen_words": sorted(set(map(str, frozen_words))) if frozen_words is not None else [],
                   "init_vectors": _describe_init(init_vectors), "init_context": _describe_init(init_context)}
        params = self.get_params()

        if out.exists() and not overwrite:
            raise WordlabError(f"output {out} already exists; choose another path or pass overwrite=True")
        if work.exists() and not resume:
            if not overwrite:
                raise WordlabError(f"an interrupted run exists at {work}; pass resume=True to continue it "
                                   "or overwrite=True to start again")
            shutil.rmtree(work)
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

        if resume and work.exists():
            state = self._load_state(work)
            for key, expected, found in (("parameters", params, state["params"]),
                                         ("corpus", fingerprint, state["corpus"]),
                                         ("options", options, state["options"])):
                if json.loads(json.dumps(expected)) != found:
                    raise WordlabError(f"cannot resume {work}: the {key} differ from the interrupted run's")
            self._open_weights(work, create=False)
            self._restore_checkpoint(work)
        else:
            if resume:
                print(f"wordlab: nothing to resume at {work}; starting a new run", file=sys.stderr)
            work.mkdir(parents=True)
            vocab.save(work / "vocab.tsv")
            self._open_weights(work, create=True)
            self._initialise(init_vectors, init_context)
            state = {"format": "wordlab-training-state", "method": self.method, "params": params,
                     "corpus": fingerprint, "options": options, "epochs_done": 0, "history": [],
                     "started": _now()}
            self._checkpoint(work, state)

        self._work = work
        self._train_epochs(work, state)

        meta = {"method": self.method, "dim": self.dim, "params": params, "corpus": fingerprint,
                "options": options, "vocab_size": len(vocab), "n_tokens": encoded.n_tokens,
                "dropped_tokens": encoded.dropped_tokens, "loss_history": [h["loss"] for h in state["history"]],
                "history": state["history"], "training_seconds": round(sum(h["seconds"] for h in state["history"]), 3),
                "words_per_second": _words_per_second(state["history"]),
                "wordlab_version": __version__, "started": state["started"], "created": _now(),
                **self._meta_extra()}
        self._close_weights()
        return self._finish(work, out, meta, overwrite)

    # -- pieces of the run ------------------------------------------------------------------
    def _encode(self, corpus) -> EncodedCorpus:
        if isinstance(corpus, EncodedCorpus):
            return corpus
        if not isinstance(corpus, Corpus):
            corpus = Corpus(corpus)
        return corpus.encode(min_count=self.min_count, max_size=self.max_size, progress=self.progress)

    def _default_out(self) -> Path:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = cache_root() / "runs" / f"{self.method}-{stamp}"
        out, i = base, 1
        while out.exists() or (out.parent / f".{out.name}.training").exists():
            i += 1
            out = base.with_name(f"{base.name}-{i}")
        return out

    def _open_weights(self, work: Path, create: bool) -> None:
        self._weights = {}
        for name, (shape, _init) in self._weight_specs(len(self._vocab)).items():
            path = work / f"{name}.npy"
            if create:
                arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
            else:
                arr = np.load(path, mmap_mode="r+")
                if arr.shape != shape:
                    raise WordlabError(f"{path} has shape {arr.shape}, expected {shape}")
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
                    target[dst[a:a + 65536]] = matrix[src[a:a + 65536]][:, columns]
        else:
            target[:] = np.asarray(source, dtype=np.float32)[:, columns]

    def _checkpoint(self, work: Path, state: dict) -> None:
        ckpt = work / "checkpoint"
        ckpt.mkdir(exist_ok=True)
        for name, arr in self._weights.items():
            arr.flush()
            tmp = ckpt / f".{name}.npy.partial"
            shutil.copyfile(work / f"{name}.npy", tmp)
            os.replace(tmp, ckpt / f"{name}.npy")
        with atomic_file(work / "state.json", "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=2)

    def _restore_checkpoint(self, work: Path) -> None:
        for name, arr in self._weights.items():
            saved = np.load(work / "checkpoint" / f"{name}.npy", mmap_mode="r")
            for a in range(0, arr.shape[0], 4096):
                arr[a:a + 4096] = saved[a:a + 4096]
            arr.flush()

    @staticmethod
    def _load_state(work: Path) -> dict:
        try:
            return json.loads((work / "state.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise WordlabError(f"cannot resume {work}: state.json is missing or unreadable ({e})") from None

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
                record = {"epoch": epoch + 1, "loss": loss_sum / max(examples, 1), "loss_sum": loss_sum,
                          "examples": int(examples), "words": int(n_tokens), "seconds": round(seconds, 3),
                          **self._epoch_extra()}
                state["history"].append(record)
                state["epochs_done"] = epoch + 1
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
        shutil.rmtree(work / "checkpoint", ignore_errors=True)
        (work / "state.json").unlink(missing_ok=True)
        self._write_output(work)
        meta["dim"] = int(np.load(work / "vectors.npy", mmap_mode="r").shape[1])
        meta = json.loads(json.dumps(meta, default=_json_default))
        (work / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        if out.exists():
            if not overwrite:  # pragma: no cover - checked at the start
                raise WordlabError(f"output {out} already exists")
            old = out.parent / f".{out.name}.replaced"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(work, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, out)
        return Embeddings.open(out)


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


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, (Path,)):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


class _ProgressBar:
    """tqdm bar over corpus tokens with words/s, learning rate and running loss."""

    def __init__(self, enabled: bool | None, total: int, initial: int, desc: str, unit: str = "w"):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=initial, unit=unit, unit_scale=True, desc=desc,
                            smoothing=0.1, dynamic_ncols=True)

    def reporter(self, epoch: int, epochs: int) -> Callable[[int, float, int], None]:
        """For the trainer: report (words done this epoch, loss so far, examples so far)."""
        last = [0]

        def report(words: int, loss_sum: float, examples: int, alpha: float | None = None) -> None:
            if self.bar is None:
                return
            self.bar.update(words - last[0])
            last[0] = words
            postfix = {"epoch": f"{epoch + 1}/{epochs}", "loss": f"{loss_sum / max(examples, 1):.4f}"}
            if alpha is not None:
                postfix["lr"] = f"{alpha:.5f}"
            self.bar.set_postfix(postfix, refresh=False)
        return report

    def epoch_done(self, epoch: int, record: dict) -> None:
        if self.bar is not None:
            self.bar.write(f"epoch {epoch}: loss {record['loss']:.4f}, "
                           f"{record['words'] / max(record['seconds'], 1e-9):,.0f} words/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
