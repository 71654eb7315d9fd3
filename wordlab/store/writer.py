"""The one writer of stores: every store wordlab makes is written here.

Trainers, :meth:`Embeddings.save`, the import of word2vec/GloVe files, Procrustes'
mapped stores and hard debiasing all fill a :class:`StoreBuilder` and end with
:meth:`StoreBuilder.finish`, which writes ``meta.json`` in the schema of
:mod:`wordlab.store.layout` (format version 2) after checking what the directory
holds; nothing else writes a store's ``meta.json``. The builder works in a
directory that :mod:`wordlab.atomic` publishes when complete: :func:`store_directory`
(a new directory, put in place atomically) or a staging directory of the caller's
(a trainer's run, published with :func:`~wordlab.atomic.publish_directory`).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np

from .._version import __version__
from ..atomic import STORE_KINDS, atomic_directory, write_json
from ..errors import StoreError, WordlabError
from ..npyio import create_npy, save_npy
from . import layout

if TYPE_CHECKING:
    from .embeddings import Embeddings


def now() -> str:
    """The time of a write, as ``meta.json`` records it (ISO 8601, UTC, seconds)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def provenance(kind: str, **fields: Any) -> dict:
    """A ``provenance`` entry of ``kind`` (one of :data:`~wordlab.store.layout.PROVENANCE_KINDS`)."""
    if kind not in layout.PROVENANCE_KINDS:
        raise WordlabError(f"provenance kind must be one of {layout.PROVENANCE_KINDS}, not {kind!r}")
    return {"kind": kind, **fields}


def derived_provenance(kind: str, source: "Embeddings", **fields: Any) -> dict:
    """The provenance of a store made from ``source``: where it is and where it came from."""
    return provenance(kind, source_store=str(source.path) if source.path is not None else None,
                      source_provenance=source.meta.get("provenance"), **fields)


#: Keys the writer sets; a producer's meta never supplies them.
_SCHEMA_OWNED = ("format", "format_version", "dim", "n_words", "created", "wordlab_version", "provenance",
                 "components", "compression")


def derived_meta(meta: dict) -> dict:
    """The entries of a source store's ``meta`` that a store made from it with changed
    vectors inherits (its method, parameters, training record...): all but those the
    writer sets anew and those of components that follow the vectors (a subword store's
    n-gram settings: composing from the old n-grams would give vectors of the old space)."""
    dropped = {k for c in layout.COMPONENTS.values() if c.follows_vectors for k in c.meta_keys}
    return {k: v for k, v in meta.items() if k not in _SCHEMA_OWNED and k not in dropped}


def build_meta(meta: dict, *, dim: int, n_words: int, provenance: dict, components: Iterable[str],
               compression: dict | None = None) -> dict:
    """``meta.json`` of a store: the schema's keys (``method`` and ``params`` taken from
    ``meta``, defaults ``external`` and ``{}``; ``compression`` for a compressed store),
    then ``meta``'s other entries."""
    if not isinstance(provenance, dict) or provenance.get("kind") not in layout.PROVENANCE_KINDS:
        raise WordlabError(f"a store's provenance needs a kind of {layout.PROVENANCE_KINDS}, not {provenance!r}")
    version = layout.FORMAT_VERSION if compression is None else layout.COMPRESSED_FORMAT_VERSION
    out = {"format": layout.STORE_FORMAT, "format_version": version, "dim": int(dim),
           "n_words": int(n_words), "method": meta.get("method", "external"), "params": meta.get("params") or {},
           "created": now(), "wordlab_version": __version__, "provenance": provenance,
           "components": list(components)}
    if compression is not None:
        out["compression"] = compression
    out.update({k: v for k, v in meta.items() if k not in out and k not in _SCHEMA_OWNED})
    return out


class StoreBuilder:
    """Fills ``directory`` with the files of one store; :meth:`finish` writes ``meta.json``.

    ``where``: the store's final path, for messages (default ``directory``).
    """

    def __init__(self, directory: str | os.PathLike, where: str | os.PathLike | None = None):
        self.directory = Path(directory)
        self.where = Path(where) if where is not None else self.directory
        self.finished = False

    # -- the vectors ----------------------------------------------------------------------
    def create_vectors(self, n_words: int, dim: int) -> np.ndarray:
        """A new ``vectors.npy`` (space reserved), memory-mapped for the caller to fill."""
        return create_npy(self.directory / layout.VECTORS, np.float32, (n_words, dim))

    def save_vectors(self, vectors: np.ndarray) -> None:
        save_npy(self.directory / layout.VECTORS, vectors)

    # -- the vocabulary -------------------------------------------------------------------
    def write_vocab(self, words: list[str], counts: np.ndarray | None = None) -> None:
        """``vocab.tsv``: ``words`` with their ``counts`` (zeros when unknown)."""
        from ..corpus.vocab import Vocabulary
        counts = np.zeros(len(words), dtype=np.int64) if counts is None else counts
        Vocabulary(list(words), counts).save(self.directory / layout.VOCAB, private=True)

    def copy_vocab(self, source: Path) -> None:
        """``vocab.tsv`` copied from a vocabulary file already written (a run's)."""
        shutil.copyfile(source, self.directory / layout.VOCAB)

    # -- components -----------------------------------------------------------------------
    def add_component(self, name: str, value: Any) -> None:
        """Write component ``name``: an array (one-file components) or a dict of arrays
        by file stem or name (see :class:`~wordlab.store.layout.Component`)."""
        spec = layout.component(name)
        arrays = spec.split(value)
        unknown = set(arrays) - set(spec.files)
        if unknown:
            raise StoreError(f"component {name!r} has no file {', '.join(sorted(unknown))}")
        for f, arr in arrays.items():
            save_npy(self.directory / f, np.asarray(arr))

    def copy_components(self, source: "Embeddings", names: Iterable[str] | None = None,
                        derived: bool = False) -> None:
        """The components of ``source`` that are kept on save (or those of ``names``);
        ``derived``: for a store whose vectors differ from the source's, without the
        components that follow the vectors (see :class:`~wordlab.store.layout.Component`)."""
        for name in source.components if names is None else names:
            spec = layout.component(name)
            if derived and spec.follows_vectors:
                continue
            if (names is not None or spec.keep_on_save) and name in source.components:
                self.add_component(name, source.component_arrays(name))

    # -- the end --------------------------------------------------------------------------
    def finish(self, meta: dict, provenance: dict, compression: dict | None = None) -> dict:
        """Check the directory (vectors, vocabulary, each component's files whole and of
        the right shape) and write ``meta.json``; returns it. Files no component claims
        are left as they are and not listed. ``compression``: the settings of a
        compressed store (:mod:`wordlab.store.compress`), whose codes are checked."""
        vectors = self.directory / layout.VECTORS
        if not vectors.is_file() or not (self.directory / layout.VOCAB).is_file():
            raise StoreError(f"{self.where}: a store needs {layout.VECTORS} and {layout.VOCAB} before its meta.json")
        shape = np.load(vectors, mmap_mode="r").shape
        if compression is not None:
            shape = (shape[0], int(compression["dim"]))
        present = os.listdir(self.directory)
        names = layout.components_in(present)
        for spec in layout.COMPONENTS.values():
            partial = [f for f in spec.files if f in present]
            if partial and spec.name not in names:
                raise StoreError(f"{self.where}: component {spec.name!r} is incomplete: "
                                 f"{', '.join(f for f in spec.files if f not in present)} missing")
        for name in names:
            arrays = {f: np.load(self.directory / f, mmap_mode="r") for f in layout.component(name).files}
            layout.component(name).check(arrays, shape[0], str(self.where))
            del arrays
        if compression is not None:
            from .reader import open_quantized
            open_quantized(self.directory, compression, names, str(self.where))   # the codes fit the settings
        out = build_meta(meta, dim=shape[1], n_words=shape[0], provenance=provenance, components=names,
                         compression=compression)
        write_json(self.directory / layout.META, out)
        self.finished = True
        return out


@contextlib.contextmanager
def store_directory(path: str | os.PathLike, overwrite: bool = False, *,
                    kinds=STORE_KINDS, wait: bool = False) -> Iterator[StoreBuilder]:
    """A :class:`StoreBuilder` on a temporary directory that becomes ``path`` when the
    block succeeds and has called :meth:`~StoreBuilder.finish` (see
    :func:`wordlab.atomic.atomic_directory` for ``overwrite``, ``kinds`` and ``wait``)."""
    with atomic_directory(path, overwrite, kinds=kinds, wait=wait) as tmp:
        builder = StoreBuilder(tmp, where=path)
        yield builder
        if not builder.finished:
            raise WordlabError(f"{path}: the store was not finished (no meta.json written)")


def save_store(emb: "Embeddings", path: str | os.PathLike, overwrite: bool = False) -> None:
    """Write ``emb`` as a store at ``path`` (what :meth:`Embeddings.save` does): its
    vectors, vocabulary and the components kept on save."""
    with store_directory(path, overwrite) as builder:
        builder.save_vectors(emb.vectors)
        builder.copy_components(emb)
        builder.write_vocab(emb.words, emb.counts)
        builder.finish(emb.meta, derived_provenance("saved", emb))
