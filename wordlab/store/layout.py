"""The layout of a store directory and the schema of its ``meta.json`` (version 2).

A store is a directory::

    vectors.npy        float32, (n_words, dim), C order
    vocab.tsv          word<TAB>count, one line per row of vectors.npy
    meta.json          the schema below
    <components>       optional files, each declared in :data:`COMPONENTS`

``meta.json`` (format version 2) holds at least :data:`REQUIRED_KEYS`:

``format``          ``"wordlab-store"``
``format_version``  2 (stores of version 1, and of no version, are still read)
``dim``, ``n_words``  the shape of ``vectors.npy``
``method``          how the vectors were made (a trainer's method, ``imported``, ``external``)
``params``          the method's hyperparameters (``{}`` when it has none)
``created``         ISO 8601 time (UTC) of the write
``wordlab_version`` the version that wrote it
``provenance``      where the vectors come from: ``{"kind": ...}`` with ``trained``
                    (``corpus``: the corpus fingerprint), ``imported`` (``source_file``,
                    ``source_format``, ``digest``), ``mapped`` (``source_store``,
                    ``mapping``), ``debiased`` (``source_store``, ``lists``),
                    ``saved`` (``source_store``) or ``compressed`` (``source_store``,
                    ``compression``); derived stores keep their source's provenance as
                    ``source_provenance``
``components``      the names of the optional components present

A **compressed store** (format version 3, :mod:`wordlab.store.quantize`) adds
``compression``: the method, its settings and the error measured when it was made;
its ``vectors.npy`` holds the method's codes (float16, int8 or uint8, not float32) and
``dim`` is the width of the vectors they decode to.

Producers add their own keys (a trainer's ``history``, ``debias``, ``alignment``...).

**Components** are the extension point for optional files: :func:`register_component`
declares a name, its files and how to open them; the writer lists what a store holds
in ``meta.json`` and the reader opens components through the registry, so a new kind
(a subword table, a codebook) is one registration, not an edit of every reader. A
file no component claims is left alone; a component listed but missing a file is a
:class:`~wordlab.errors.StoreError` naming the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from ..atomic import STORE_KINDS
from ..errors import StoreError

STORE_FORMAT = STORE_KINDS[0]          # "wordlab-store"
FORMAT_VERSION = 2
#: The format version of a compressed store (an older wordlab refuses it in one line
#: instead of misreading its codes as vectors).
COMPRESSED_FORMAT_VERSION = 3
#: The format versions this wordlab reads (None: a store written before versions).
READABLE_VERSIONS = (None, 1, 2, 3)

VECTORS = "vectors.npy"
VOCAB = "vocab.tsv"
META = "meta.json"
#: The files every store has.
CORE_FILES = (VECTORS, VOCAB, META)

#: The keys every version-2 ``meta.json`` has.
REQUIRED_KEYS = ("format", "format_version", "dim", "n_words", "method", "params", "created",
                 "wordlab_version", "provenance", "components")
#: The kinds of ``provenance``.
PROVENANCE_KINDS = ("trained", "imported", "mapped", "debiased", "saved", "compressed")


def _open_arrays(arrays: Mapping[str, np.ndarray]) -> Any:
    """The default opener: the array of a one-file component, else a dict by file stem."""
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    return {name[:-4] if name.endswith(".npy") else name: arr for name, arr in arrays.items()}


@dataclass(frozen=True)
class Component:
    """An optional part of a store, declared once (:func:`register_component`).

    Attributes
    ----------
    name : str
        The name ``meta.json`` lists it under and :meth:`Embeddings.component` takes.
    files : tuple of str
        Its ``.npy`` files, all present or none.
    per_word : bool, default True
        Each file has one row per word (checked when written and when opened).
    description : str, default ""
        One line for ``wordlab info`` and the docs.
    open : callable, default: the arrays as a dict
        Turns the arrays (file name -> read-only memory map) into what
        :meth:`Embeddings.component` returns.
    keep_on_save : bool, default True
        ``Embeddings.save`` copies it to the new store (a component that describes the
        vectors themselves, such as a mapping, is not carried over).
    follows_vectors : bool, default False
        It holds parts that ``vectors.npy`` is made of (a subword store's word rows and
        n-gram matrix), so a store derived with changed vectors (mapped, debiased) must
        not carry it: its parts would describe the old vectors.
    meta_keys : tuple of str, default ()
        The ``meta.json`` entries that describe it, dropped with it.
    """
    name: str
    files: tuple[str, ...]
    per_word: bool = True
    description: str = ""
    open: Callable[[Mapping[str, np.ndarray]], Any] = _open_arrays
    keep_on_save: bool = True
    follows_vectors: bool = False
    meta_keys: tuple[str, ...] = ()

    def check(self, arrays: Mapping[str, np.ndarray], n_words: int, where: str) -> None:
        """Refuse arrays that do not fit a store of ``n_words`` (``where`` names it)."""
        missing = [f for f in self.files if f not in arrays]
        if missing:
            raise StoreError(f"{where}: component {self.name!r} lacks {', '.join(missing)}")
        for name, arr in arrays.items():
            if self.per_word and (np.ndim(arr) < 1 or np.shape(arr)[0] != n_words):
                raise StoreError(f"{where}/{name}: shape {np.shape(arr)}, but component {self.name!r} needs one "
                                 f"row per word ({n_words})")

    def split(self, value: Any) -> dict[str, np.ndarray]:
        """``value`` (an array, or a dict by file stem or name) as file name -> array."""
        if not isinstance(value, Mapping):
            if len(self.files) != 1:
                raise StoreError(f"component {self.name!r} has the files {', '.join(self.files)}; give a dict")
            return {self.files[0]: value}
        by_stem = {f[:-4] if f.endswith(".npy") else f: f for f in self.files}
        return {by_stem.get(k, k): v for k, v in value.items()}


#: The registry: component name -> :class:`Component`.
COMPONENTS: dict[str, Component] = {}


def register_component(component: Component) -> Component:
    """Declare an optional component (a new name, files no other component claims)."""
    if component.name in COMPONENTS and COMPONENTS[component.name] != component:
        raise ValueError(f"component {component.name!r} is already registered")
    claimed = {f: c.name for c in COMPONENTS.values() if c.name != component.name for f in c.files}
    clash = [f for f in component.files if f in claimed or f in CORE_FILES]
    if clash:
        raise ValueError(f"component {component.name!r}: {', '.join(clash)} already belong to the store")
    COMPONENTS[component.name] = component
    return component


def component(name: str) -> Component:
    try:
        return COMPONENTS[name]
    except KeyError:
        raise StoreError(f"unknown store component {name!r}; known: {', '.join(sorted(COMPONENTS))}") from None


register_component(Component("context_vectors", ("context_vectors.npy",),
                             description="a trainer's output (context) matrix, so training can continue"))
register_component(Component("word_vectors", ("word_vectors.npy",), follows_vectors=True,
                             description="the word vectors alone when vectors.npy combines them with more: GloVe/PU "
                                         "W (vectors.npy: W + W~), fastText's word rows (vectors.npy: the mean "
                                         "with their n-grams)"))
register_component(Component("biases", ("bias.npy", "context_bias.npy"),
                             description="GloVe/PU word and context biases"))
register_component(Component("mapping", ("mapping.npy",), per_word=False, keep_on_save=False,
                             description="the (dim, dim) linear map a mapped store was made with"))


def components_in(names: set[str] | list[str]) -> list[str]:
    """The registered components whose files are all among ``names`` (a directory's files)."""
    names = set(names)
    return [c.name for c in COMPONENTS.values() if all(f in names for f in c.files)]


def check_meta(meta: dict, where: str) -> None:
    """Refuse a ``meta.json`` this wordlab cannot read (a newer format version, a
    malformed component list)."""
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS:
        raise StoreError(f"{where}: format version {version!r} of the store is not one this wordlab reads "
                         f"({', '.join(str(v) for v in READABLE_VERSIONS if v)}); upgrade wordlab")
    listed = meta.get("components")
    if listed is not None and (not isinstance(listed, list) or not all(isinstance(c, str) for c in listed)):
        raise StoreError(f"{where}: 'components' must be a list of names, found {listed!r}")


def listed_components(meta: dict, files: set[str] | list[str]) -> list[str]:
    """The components a store holds: those its ``meta.json`` lists (version 2; names this
    wordlab does not know are skipped), else those whose files are present (version 1)."""
    listed = meta.get("components")
    if listed is None:
        return components_in(files)
    return [name for name in listed if name in COMPONENTS]
