"""CADE: aligned embeddings of several corpora through one frozen output matrix.

Bianchi, Di Carlo, Nicoli and Palmonari 2020 ("Compass-aligned distributional
embeddings"); Di Carlo, Bianchi and Palmonari 2019 (TWEC, AAAI). A *compass* is
trained on the concatenation of all slices (CBOW by default). Each slice is then
trained on its own text with the output (context) matrix initialised from the
compass and frozen; only the input vectors learn. Because every slice scores its
contexts against the same fixed output vectors, the slices' input vectors land in one
space: no post-hoc rotation is needed.

The reference implementation patches an old gensim to stop the output layer from
learning. Here the project's own trainer freezes it (``freeze_context=True``), so the
output matrix of every slice is bit-identical to the compass's.

Layout of the output directory::

    OUT/cade.json          parameters, slices and their files
    OUT/compass/           the compass store (vectors + context_vectors)
    OUT/slices/NAME/       one store per slice (its input vectors are the embeddings)

Every store is written atomically; an interrupted :meth:`Compass.fit` resumes: finished
stores are reused when their parameters match, an interrupted one continues from its
last epoch.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..atomic import exclusive, write_json
from ..corpus import Corpus, Vocabulary
from ..errors import InputFormatError, OutputExistsError, UnknownWordError, WordlabError
from ..store import Embeddings

_NAME = re.compile(r"^[\w.\-]+$")
INITS = ("hidden", "both")


def _files(value) -> list[str]:
    if isinstance(value, (str, os.PathLike)):
        return [str(value)]
    files = [str(v) for v in value]
    if not files:
        raise WordlabError("a slice needs at least one file")
    return files


class Compass:
    """CADE over named slices.

    Parameters
    ----------
    slices : mapping name -> path, glob or list of paths
        e.g. ``{"1970s": ["ungdc_1970.txt.gz", ...], "2010s": "data/201*.txt.gz"}``.
        Names become directory names (letters, digits, ``_ . -``).
    method : "cbow" (default, as the reference) or "sgns"
    dim, window, negative : 100, 5, 10 (the reference's defaults)
    compass_epochs, slice_epochs : 5, 5
    min_count : 5, applied to the concatenation (the compass vocabulary); a slice keeps
        every compass word it contains (as the reference), with its own counts.
    alpha, sample : 0.025, 1e-3 (word2vec's)
    init : "hidden" (default: slices start with fresh input vectors) or "both" (input
        vectors also start from the compass's)
    corpus_options : dict, optional
        Passed to :class:`~wordlab.Corpus` for every file (``lowercase``,
        ``sentence_split``, ``tokenizer``, ...).
    workers, seed, progress : as the trainers.

    Attributes (after :meth:`fit` or :meth:`load`)
    ----------
    compass_ : Embeddings
    slices_ : dict name -> Embeddings

    Examples
    --------
    >>> cade = Compass({"1990s": "ungdc/ungdc_199*.txt.gz", "2010s": "ungdc/ungdc_201*.txt.gz"})  # doctest: +SKIP
    >>> cade.fit("cade-out")                                                                    # doctest: +SKIP
    >>> cade["1990s"].similar_by_vector(cade["2010s"]["internet"])                               # doctest: +SKIP
    """

    def __init__(self, slices: Mapping[str, object], *, method: str = "cbow", dim: int = 100, window: int = 5,
                 negative: int = 10, compass_epochs: int = 5, slice_epochs: int = 5, min_count: int = 5,
                 alpha: float = 0.025, sample: float = 1e-3, init: str = "hidden",
                 corpus_options: Mapping | None = None, workers: int | None = None, seed: int = 1,
                 progress: bool | None = None):
        if not slices:
            raise WordlabError("CADE needs at least one slice")
        self.slices = {str(name): _files(value) for name, value in slices.items()}
        for name in self.slices:
            if not _NAME.match(name):
                raise WordlabError(f"slice name {name!r} must be letters, digits, '_', '.' or '-' "
                                   "(it becomes a directory name)")
        if method not in ("cbow", "sgns"):
            raise WordlabError(f"method must be 'cbow' or 'sgns', not {method!r}")
        if init not in INITS:
            raise WordlabError(f"init must be one of {INITS}, not {init!r}")
        self.method = method
        self.dim, self.window, self.negative = dim, window, negative
        self.compass_epochs, self.slice_epochs = compass_epochs, slice_epochs
        self.min_count, self.alpha, self.sample, self.init = min_count, alpha, sample, init
        self.corpus_options = dict(corpus_options or {})
        self.workers, self.seed, self.progress = workers, seed, progress

    # -- parameters ---------------------------------------------------------------------------
    def get_params(self) -> dict:
        return {"method": self.method, "dim": self.dim, "window": self.window, "negative": self.negative,
                "compass_epochs": self.compass_epochs, "slice_epochs": self.slice_epochs,
                "min_count": self.min_count, "alpha": self.alpha, "sample": self.sample, "init": self.init,
                "seed": self.seed, "corpus_options": {k: v for k, v in self.corpus_options.items()
                                                      if isinstance(v, (str, int, float, bool, type(None)))}}

    def _trainer(self, epochs: int, min_count: int):
        from ..trainers import Word2Vec
        return Word2Vec(method=self.method, dim=self.dim, window=self.window, negative=self.negative,
                        sample=self.sample, alpha=self.alpha, epochs=epochs, min_count=min_count,
                        workers=self.workers, seed=self.seed, progress=self.progress)

    def _corpus(self, files: Sequence[str]) -> Corpus:
        return Corpus(list(files), **self.corpus_options)

    @staticmethod
    def _fit_or_reuse(trainer, corpus, out: Path, **kwargs) -> Embeddings:
        """Train into ``out``; reuse a finished store with the same parameters, resume an interrupted one."""
        if (out / "meta.json").is_file():
            existing = Embeddings.open(out)
            if existing.meta.get("params") == json.loads(json.dumps(trainer.get_params())):
                return existing
        work = out.parent / f".{out.name}.training"
        return trainer.fit(corpus, out, resume=work.exists(), overwrite=True, **kwargs)

    # -- training ----------------------------------------------------------------------------
    def fit(self, out: str | os.PathLike) -> "Compass":
        """Train the compass, then every slice against its frozen output matrix; write all to ``out``."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with exclusive(out, what="CADE directory"):
            return self._fit(out)

    def _fit(self, out: Path) -> "Compass":
        manifest = {"format": "wordlab-cade", "params": self.get_params(), "slices": self.slices}
        manifest_path = out / "cade.json"
        if os.path.lexists(out) and not manifest_path.is_file():
            if not out.is_dir() or any(out.iterdir()):
                raise OutputExistsError(f"{out} exists and is not a CADE directory (no cade.json); choose a new "
                                        "or empty directory")
        if manifest_path.is_file():
            try:
                old = json.loads(manifest_path.read_text(encoding="utf-8"))
            except ValueError as e:
                raise InputFormatError(f"{manifest_path} is not valid JSON ({e})") from None
            if not isinstance(old, dict) or old.get("params") != json.loads(json.dumps(manifest["params"])) \
                    or old.get("slices") != json.loads(json.dumps(manifest["slices"])):
                raise WordlabError(f"{out} holds a CADE run with other parameters or slices; choose another "
                                   "directory")
        out.mkdir(exist_ok=True)
        write_json(manifest_path, manifest)

        all_files = [f for files in self.slices.values() for f in files]
        compass = self._fit_or_reuse(self._trainer(self.compass_epochs, self.min_count), self._corpus(all_files),
                                     out / "compass")
        compass_words = compass.index
        self.compass_ = compass
        self.slices_ = {}
        for name, files in self.slices.items():
            corpus = self._corpus(files)
            counts = corpus.build_vocab(min_count=1)
            keep = [i for i, w in enumerate(counts.words) if w in compass_words]
            if not keep:
                raise WordlabError(f"slice {name!r} shares no word with the compass vocabulary")
            vocab = Vocabulary([counts.words[i] for i in keep], counts.counts[keep], counts.total_tokens)
            encoded = corpus.encode(vocab=vocab, progress=self.progress)
            trainer = self._trainer(self.slice_epochs, 1)
            self.slices_[name] = self._fit_or_reuse(
                trainer, encoded, out / "slices" / name, init_context=compass, freeze_context=True,
                init_vectors=compass if self.init == "both" else None)
        return self

    # -- access -------------------------------------------------------------------------------
    @classmethod
    def load(cls, out: str | os.PathLike) -> "Compass":
        """Open a finished CADE directory."""
        out = Path(out)
        path = out / "cade.json"
        if not path.is_file():
            raise WordlabError(f"{out} is not a CADE directory (no cade.json)")
        manifest = json.loads(path.read_text(encoding="utf-8"))
        params = dict(manifest["params"])
        self = cls(manifest["slices"], **{k: v for k, v in params.items() if k != "corpus_options"},
                   corpus_options=params.get("corpus_options"))
        self.compass_ = Embeddings.open(out / "compass")
        missing = [n for n in self.slices if not (out / "slices" / n / "meta.json").is_file()]
        if missing:
            raise WordlabError(f"{out}: slices not trained yet: {', '.join(missing)}; run fit() again to finish")
        self.slices_ = {n: Embeddings.open(out / "slices" / n) for n in self.slices}
        return self

    def __getitem__(self, name: str) -> Embeddings:
        if not hasattr(self, "slices_"):
            raise WordlabError("the compass is not trained; call fit(out) or Compass.load(out)")
        if name not in self.slices_:
            raise UnknownWordError(name, f"the slices ({', '.join(self.slices_)})")
        return self.slices_[name]

    def __repr__(self) -> str:
        state = "trained" if hasattr(self, "slices_") else "not trained"
        return f"<Compass ({self.method}, dim {self.dim}): slices {', '.join(self.slices)}; {state}>"


def align_to_reference(stores: Mapping[str, Embeddings], reference: str, min_count: int = 1,
                       normalize: str = "unit") -> dict[str, Embeddings]:
    """Post-hoc alignment (Hamilton, Leskovec and Jurafsky 2016): every store rotated onto
    ``reference`` by orthogonal Procrustes over the words both have (with count >=
    ``min_count`` in both). Returns in-memory stores with ``normalize`` applied (the
    reference too), ready for cross-slice cosines."""
    from .dictionary import Dictionary
    from .procrustes import Procrustes
    if reference not in stores:
        raise WordlabError(f"reference {reference!r} is not one of the slices: {', '.join(stores)}")
    ref = stores[reference]
    out = {}
    for name, emb in stores.items():
        shared = _shared_words(emb, ref, min_count)
        aligner = Procrustes(normalize=normalize).fit(emb, ref, Dictionary((w, w) for w in shared))
        out[name] = aligner.transform() if name != reference else aligner.transform_target()
    return out


def _shared_words(a: Embeddings, b: Embeddings, min_count: int = 1) -> list[str]:
    """Words of ``a`` (in its order) also in ``b``, counted at least ``min_count`` times in each."""
    ca = a.counts if a.counts is not None else np.full(len(a), min_count)
    cb = b.counts if b.counts is not None else np.full(len(b), min_count)
    bi = b.index
    return [w for i, w in enumerate(a.words) if ca[i] >= min_count and w in bi and cb[bi[w]] >= min_count]
