"""Reading a store directory: its three files, checked, and its components.

:func:`read_store_meta`, :func:`map_vectors_npy` and :func:`read_vocab_tsv` read a
store's three files, checking them the same way as the vector-file readers check
theirs (errors are :class:`~wordlab.errors.StoreError` naming the file).
:func:`open_store` opens them together as one :class:`~wordlab.atomic.Snapshot`,
with the files of the optional components the store holds (see
:mod:`wordlab.store.layout`).
"""
from __future__ import annotations

import json
import os
import tokenize
import warnings
from pathlib import Path

import numpy as np

from ..atomic import Snapshot
from ..corpus.sources import UTF8_BOM
from ..errors import StoreError, WordlabWarning
from . import layout


def open_store(path: Path) -> tuple[dict, np.ndarray, Snapshot, list[str]]:
    """Open the store at ``path``: its meta (checked against the schema), its vectors
    (memory-mapped), a snapshot holding ``vocab.tsv``, ``vectors.npy`` and the
    components' files, and the names of the components it holds."""
    if not path.is_dir():
        raise StoreError(f"{path} is not a store directory")
    missing = [f for f in layout.CORE_FILES if not (path / f).is_file()]
    if missing:
        raise StoreError(f"{path} is not a complete store: missing {', '.join(missing)}")
    try:
        meta = read_store_meta(path / layout.META)
        layout.check_meta(meta, str(path / layout.META))
        names = layout.listed_components(meta, os.listdir(path) if meta.get("components") is None else [])
    except FileNotFoundError:
        raise StoreError(f"{path} changed while being opened (is it being replaced?); open it again") from None
    files = [f for name in names for f in layout.component(name).files]
    absent = [f for f in files if not (path / f).is_file()]
    if absent:
        raise StoreError(f"{path} is an incomplete store: meta.json lists {absent[0]} (component "
                         f"{next(n for n in names if absent[0] in layout.component(n).files)!r}) but the file "
                         "is missing")
    # One snapshot of the directory: a store replaced (--overwrite) while this one is
    # open must never pair these vectors with the new store's vocabulary.
    try:
        snap = Snapshot(path, [layout.META, layout.VECTORS, layout.VOCAB, *files])
    except FileNotFoundError:
        raise StoreError(f"{path} changed while being opened (is it being replaced?); open it again") from None
    meta = read_store_meta(path / layout.META, snap.read_bytes(layout.META))
    snap.release(layout.META)
    layout.check_meta(meta, str(path / layout.META))
    if meta.get("compression") is not None:
        vectors = open_quantized(path, meta["compression"], names, str(path), snap)
        return meta, vectors, snap, names
    vectors = map_vectors_npy(path / layout.VECTORS, snap.path(layout.VECTORS))
    if "dim" in meta and meta["dim"] != vectors.shape[1]:
        raise StoreError(f"{path}: meta.json says dim {meta['dim']!r} but vectors.npy has {vectors.shape[1]}")
    return meta, vectors, snap, names


def open_quantized(directory: Path, compression: dict, names: list[str], where: str,
                   snap: Snapshot | None = None, matrix: str = "vectors"):
    """The compressed matrix ``MATRIX.npy`` of a store (``vectors``, or a subword store's
    ``ngram_vectors``) as a :class:`~wordlab.store.quantize.QuantizedMatrix`, its codes and
    parameters checked against ``compression`` (its settings in meta.json); from ``snap``
    when given, else from the files in ``directory``."""
    from .quantize import METHODS, PARAMETERS, QuantizedMatrix, codes_prefix
    prefix = codes_prefix(matrix)
    if not isinstance(compression, dict) or compression.get("method") not in METHODS:
        method = compression.get("method") if isinstance(compression, dict) else compression
        raise StoreError(f"{where}/meta.json: compression method {method!r} is not one this wordlab reads "
                         f"({', '.join(METHODS)}); upgrade wordlab")
    try:
        dim = int(compression["dim"])
        if dim < 1:
            raise ValueError(dim)
    except (KeyError, TypeError, ValueError):
        raise StoreError(f"{where}/meta.json: compression has no valid 'dim'") from None
    method = METHODS[compression["method"]]
    source = (lambda f: snap.path(f)) if snap is not None else (lambda f: str(directory / f))
    codes_file = f"{matrix}.npy"
    codes = map_vectors_npy(directory / codes_file, source(codes_file), dtype=method.codes_dtype)
    if snap is not None and matrix != "vectors":      # mapped (vectors.npy stays: its digest is read)
        snap.release(codes_file)
    params = {}
    for key in PARAMETERS:
        if f"{prefix}{key}" in names:
            f = f"{prefix}{key}.npy"
            try:
                params[key] = np.load(source(f), mmap_mode="r")
            except (OSError, ValueError, EOFError) as e:
                raise StoreError(f"{directory / f}: unreadable ({e})") from None
            if snap is not None:
                snap.release(f)
    try:
        return QuantizedMatrix(codes, params, compression, where)
    except (KeyError, TypeError, ValueError) as e:
        raise StoreError(f"{where}/meta.json: compression settings {compression!r} are incomplete ({e})") from None


def open_component(snap: Snapshot, name: str, n_words: int) -> dict[str, np.ndarray]:
    """The arrays of component ``name`` from ``snap`` (file name -> read-only memory
    map), checked against the store's ``n_words``; its files leave the snapshot."""
    spec = layout.component(name)
    arrays = {}
    for f in spec.files:
        try:
            arrays[f] = np.load(snap.path(f), mmap_mode="r")
        except (OSError, ValueError, EOFError) as e:
            raise StoreError(f"{snap.directory / f}: unreadable ({e})") from None
    spec.check(arrays, n_words, str(snap.directory))
    for f in spec.files:
        snap.release(f)
    return arrays


def read_store_meta(path: Path, data: bytes | None = None) -> dict:
    """A store's ``meta.json``: a JSON object (a byte-order mark is skipped). ``data``:
    its bytes when already read (from a :class:`~wordlab.atomic.Snapshot`)."""
    data = path.read_bytes() if data is None else data
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        meta = json.loads(data[bom:].decode("utf-8"))
    except UnicodeDecodeError as e:
        raise StoreError(f"{path}: not valid UTF-8 ({e.reason} at byte offset {bom + e.start})") from None
    except json.JSONDecodeError as e:
        raise StoreError(f"{path} is not valid JSON: {e}") from None
    except (ValueError, RecursionError) as e:   # a 5,000-digit number; nesting too deep
        raise StoreError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{path}: expected a JSON object, found {type(meta).__name__}")
    return meta


#: What numpy's ``.npy`` header parsing raises on a damaged header: its own ValueError,
#: and what ``ast.literal_eval`` and ``tokenize`` (run on the header text) let through.
_NPY_HEADER_ERRORS = (ValueError, SyntaxError, TypeError, RecursionError, tokenize.TokenError)


def map_vectors_npy(path: Path, source: str | None = None, dtype=np.float32) -> np.ndarray:
    """Memory-map a store's ``vectors.npy`` read-only, after checking it is a complete
    2-D, C-ordered float32 array (the header is never trusted over the file's size).
    ``source``: where to read it from (a snapshot's path); messages name ``path``.
    ``dtype``: what it must hold instead (a compressed store's codes)."""
    dtype = np.dtype(dtype)
    source = str(path) if source is None else source
    size = os.stat(source).st_size
    with open(source, "rb") as fh:
        try:
            version = np.lib.format.read_magic(fh)
            if version not in ((1, 0), (2, 0), (3, 0)):
                raise ValueError(f"unknown format version {version[0]}.{version[1]}")
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)   # 3.0 differs only in encoding
            shape, fortran, found = read_header(fh)
        except _NPY_HEADER_ERRORS as e:
            what = "an empty file" if size == 0 else f"not a valid .npy file ({type(e).__name__}: {e})"
            raise StoreError(f"{path}: {what}") from None
        offset = fh.tell()
    if found != dtype or len(shape) != 2:
        raise StoreError(f"{path} must be a 2-D {dtype} array, found {found} {shape}")
    if fortran:
        raise StoreError(f"{path}: the array is in Fortran order; a store's vectors are in C order")
    if shape[1] < 1 or shape[0] < 0:
        raise StoreError(f"{path}: invalid shape {shape}")
    need = offset + shape[0] * shape[1] * dtype.itemsize
    if need > size:
        raise StoreError(f"{path}: the header declares shape {shape} ({need:,} bytes with the header) but the "
                         f"file has {size:,}: truncated")
    if need < size:
        warnings.warn(f"{path}: {size - need:,} bytes after the {shape} array (byte offset {need}) are ignored",
                      WordlabWarning, stacklevel=3)
    if shape[0] == 0:
        out = np.zeros(shape, dtype=dtype)
        out.flags.writeable = False
        return out
    return np.memmap(source, dtype=dtype.newbyteorder("<"), mode="r", offset=offset, shape=shape, order="C")


def read_vocab_tsv(path: Path, n_rows: int, data: bytes | None = None) -> tuple[list[str], np.ndarray]:
    """A store's ``vocab.tsv``: exactly ``n_rows`` lines of ``word<TAB>count``.

    Returns the words and the counts (int64). Errors are :class:`StoreError` naming the
    file and line: a wrong number of lines, a line without exactly one tab, an empty
    word, a count that is not a non-negative 64-bit integer, invalid UTF-8.
    """
    data = path.read_bytes() if data is None else data
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, bom + e.start) + 1
        raise StoreError(f"{path}, line {line}: not valid UTF-8 ({e.reason} at byte offset {bom + e.start})") from None
    if "\r" in text:   # read as text-mode files are: \r\n and \r end lines
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        data, bom = text.encode("utf-8"), 0
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(lines) != n_rows:
        raise StoreError(f"{path}: {len(lines)} lines for {n_rows} vectors")
    if not lines:
        return [], np.zeros(0, dtype=np.int64)
    if text.count("\t") != n_rows or not _one_tab_per_line(data[bom:]):
        bad = next(i for i, line in enumerate(lines) if line.count("\t") != 1)
        raise StoreError(f"{path}, line {bad + 1}: expected 'word<TAB>count', found {lines[bad][:80]!r}")
    # str.split is several times faster than a loop over a million lines
    parts = "\t".join(lines).split("\t")
    words, counts = parts[0::2], parts[1::2]
    if "" in words:
        raise StoreError(f"{path}, line {words.index('') + 1}: empty word")
    try:
        values = np.array(counts, dtype=np.int64)
    except (ValueError, OverflowError):
        values = None
    if values is None or (values < 0).any():
        bad = next(i for i, c in enumerate(counts) if not _is_count(c))
        raise StoreError(f"{path}, line {bad + 1}: count {counts[bad][:40]!r} is not a non-negative integer")
    return words, values.reshape(-1)


def _one_tab_per_line(data: bytes) -> bool:
    """Tabs and newlines alternate, a tab first: no line holds two tabs or none (a
    vectorised check; a loop over the lines costs more than reading them)."""
    a = np.frombuffer(data, dtype=np.uint8)
    seps = a[(a == 9) | (a == 10)]
    return bool((seps[0::2] == 9).all() and (seps[1::2] == 10).all())


def _is_count(text: str) -> bool:
    try:
        return 0 <= int(text) < 2 ** 63
    except ValueError:
        return False
