"""``load``: open a store, or import a word2vec/GloVe/fastText file into a cached store.

An imported file becomes a store written by :mod:`wordlab.store.writer` (provenance
``imported``: the file, its format and its content digest).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputFormatError, ParameterError, StoreError, WordlabWarning
from ..npyio import replacing_npy
from ..paths import temporary_dir
from . import layout
from .embeddings import Embeddings
from .formats import FORMATS, read_binary_vectors, read_text_vectors
from .sniff import guess_format
from .writer import provenance, store_directory

#: How errors name the formats.
FORMAT_NAMES = {"word2vec-bin": "word2vec binary", "word2vec": "word2vec text", "glove": "GloVe text",
                "text": "text vectors (word2vec or GloVe)"}
#: Bumped when a reader changes what it produces, so cached imports are made again.
READER_VERSION = 3


def load(path: str | os.PathLike, format: str | None = None, unicode_errors: str = "strict",
         cache: bool = True) -> Embeddings:
    """Open a store directory, or read a word2vec text/binary, GloVe or fastText ``.vec`` file.

    ``format`` is ``store``, ``word2vec`` (text; also ``.vec``), ``word2vec-bin``,
    ``glove`` or ``fasttext-bin`` (a fastText model, opened in place with its n-grams:
    :mod:`wordlab.store.fasttext_bin`); by default it is taken from the name (``.bin``
    binary, fastText's when it starts with fastText's magic number, ``.vec``/``.w2v``
    text, ``.txt`` text with or without header). Text and binary files are streamed
    into a memory-mapped store under the cache (``$WORDLAB_CACHE/stores``), keyed by
    the file's content digest (:mod:`wordlab.cache`), so opening the same file again is
    instant and an edited file is read again. ``cache=False`` reads it again anyway.
    A stream that can be read only once (a FIFO, ``<(zcat ...)``) goes to a temporary
    store, removed when the process exits.
    """
    from ..cache import content_digest, entry_path, get_or_build, is_regular_file
    path = Path(path).expanduser()
    if not os.path.exists(path):
        raise StoreError(f"{path} does not exist")
    if unicode_errors not in ("strict", "replace", "ignore"):
        raise ParameterError(f"unicode_errors must be 'strict', 'replace' or 'ignore', not {unicode_errors!r}")
    fmt = format or guess_format(path)
    if fmt not in FORMATS + ("text", "fasttext"):
        raise ParameterError(f"format must be one of {FORMATS}, not {format!r}")
    if fmt == "store" or path.is_dir():
        if not path.is_dir():
            raise StoreError(f"{path} is not a store directory")
        return Embeddings.open(path)
    if fmt == "fasttext-bin":          # opened in place: its matrices are mapped, not imported
        from .fasttext_bin import open_fasttext_bin
        return open_fasttext_bin(path)
    if fmt == "fasttext":
        fmt = "word2vec"
    if not is_regular_file(path):
        target = temporary_dir("stream-", "store")
        _import_vectors(path, fmt, unicode_errors, target, None)
        return Embeddings.open(target)
    digest = content_digest(path)
    target = entry_path("stores", {"digest": digest, "format": fmt, "unicode_errors": unicode_errors,
                                   "reader": READER_VERSION})
    def opened(entry: Path) -> Embeddings | None:
        try:
            return Embeddings.open(entry) if cache and (entry / "meta.json").is_file() else None
        except StoreError:
            return None      # damaged: read again

    def build(entry: Path) -> Embeddings:
        _import_vectors(path, fmt, unicode_errors, entry, digest)
        return Embeddings.open(entry)
    emb = get_or_build(target, opened, build)
    emb.source = path           # messages name the file loaded, not the cache copy (shared by equal files)
    return emb


def _import_vectors(path: Path, fmt: str, unicode_errors: str, target: Path, digest: str | None) -> None:
    """Read a vector file into a new store at ``target`` (a path of wordlab's own);
    ``digest``: the file's content digest (None for a stream read once)."""
    with store_directory(target, kinds=None) as builder:
        npy = builder.directory / layout.VECTORS
        try:
            if fmt == "word2vec-bin":
                words = read_binary_vectors(path, npy, unicode_errors)
            else:
                words = read_text_vectors(path, npy, fmt, unicode_errors)
        except InputFormatError as e:           # say what it was read as: the format may be mistaken
            raise InputFormatError(f"{e} (read as {FORMAT_NAMES.get(fmt, fmt)}; format=... / --from to "
                                   "choose another)") from None
        words, duplicates = _drop_duplicates(words, npy, path)
        builder.write_vocab(words)
        source = str(path.resolve())
        builder.finish({"method": "imported", "source_file": source, "source_format": fmt,
                        "duplicates_dropped": duplicates},
                       provenance("imported", source_file=source, source_format=fmt,
                                  digest=None if digest is None else f"blake2b-256:{digest}"))


def _drop_duplicates(words: list[str], npy: Path, source: Path) -> tuple[list[str], int]:
    """Keep the first row of a repeated word (as gensim does), with a warning."""
    if len(set(words)) == len(words):
        return words, 0
    seen: dict[str, int] = {}
    keep = []
    for i, w in enumerate(words):
        if w not in seen:
            seen[w] = i
            keep.append(i)
    if len(keep) == len(words):
        return words, 0
    import warnings
    n_dup = len(words) - len(keep)
    first = next(w for i, w in enumerate(words) if seen[w] != i)
    warnings.warn(f"{source}: {n_dup} repeated word(s) (first {first!r}); keeping the first vector of each",
                  WordlabWarning, stacklevel=3)
    old = np.load(npy, mmap_mode="r")
    keep_arr = np.asarray(keep)
    with replacing_npy(npy, np.float32, (len(keep), old.shape[1])) as new:
        for a in range(0, len(keep), 65536):
            new[a:a + 65536] = old[keep_arr[a:a + 65536]]
    del old
    return [words[i] for i in keep], n_dup
