"""Approximate nearest neighbours: an optional HNSW index of a store's unit rows (usearch).

Exact search reads every row of a store for every query; at millions of words an index
answers from a few thousand. :func:`build_index` (``store.build_index()``, ``wordlab index
STORE``) builds a hierarchical navigable small-world graph (HNSW; Malkov and Yashunin
2018) over the unit rows with usearch (the optional extra ``wordlab[ann]``), storing
each row as 8-bit integers, so the index of a 1M x 300 store holds 300 bytes a row and
its graph, not a float32 copy; a cached index is memory-mapped when opened, not read.
``evals/bench_ann.py`` compares it with faiss's HNSW on the same rows (8-bit storage,
``IndexHNSWSQ``, the backend before, and float32 storage): build time, index size,
recall and query time. usearch is the backend because it built fastest there (12 times
faster than faiss's 8-bit index, which did not finish a million rows in 30 minutes) and
answered fastest; its own top 10 is less exact than faiss's, which the exact rescoring
of its candidates repairs (the figures are in ``evals/README.md``).

**Where it lives.** In the cache (``$WORDLAB_CACHE/ann/KEY/``: ``index.usearch`` and
``meta.json``), keyed by the content digest of the store's matrix files and the index's
settings: opening a store never writes into it, a second process reuses the index, and
a store whose vectors change never meets the index of its old vectors (it gets a new
key; ``wordlab cache clean`` removes the stale one).

**When it is used.** Queries take ``exact=None`` (the default): exact below
:data:`EXACT_BELOW` rows; above it, with the store's index when one has been built
(``wordlab index``, ``build_index()``, or an earlier ``exact=False``; a line says so),
and exactly otherwise, with a line saying how to build one. The default never starts a
build (minutes at a million rows, where an exact query takes a fraction of a second)
and never needs usearch. ``exact=True`` is always exact; ``exact=False`` uses the index
at any size, built on first use (with a progress bar). The index only proposes
candidates: they are scored again exactly on the store's unit rows, so a returned
similarity is always the exact cosine, and only which words come back is approximate
(recall@10 in the benchmark). Queries with ``restrict_vocab`` below the threshold are
answered exactly.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import ParameterError, WordlabError
from ..params import Integer, validate

if TYPE_CHECKING:
    from .embeddings import Embeddings

#: Stores with fewer rows are searched exactly unless ``exact=False``.
EXACT_BELOW = 500_000
#: Rows added to the index at a time (progress, and bounded memory for the unit rows).
ADD_BLOCK = 65_536
SETTINGS = {"M": Integer(4, 256), "ef_construction": Integer(8, 4096), "ef_search": Integer(1, 65536)}
DEFAULTS = {"M": 32, "ef_construction": 100, "ef_search": 128}
#: Bumped when the index a build makes changes, so cached indexes are built again
#: (2: usearch in place of faiss).
INDEX_VERSION = 2
BACKEND = "usearch-hnsw-i8"
INDEX_FILE = "index.usearch"


def _usearch():
    """usearch's ``Index`` class, or a one-line error saying what to install."""
    try:
        from usearch.index import Index
    except ImportError:
        raise WordlabError("approximate search needs usearch: pip install 'wordlab[ann]' (usearch), or pass "
                           "exact=True") from None
    return Index


def _threads(workers: int | None) -> int:
    from .._threads import default_workers
    return int(workers or default_workers())


@dataclass
class AnnIndex:
    """A built index of a store's unit rows (see the module docstring)."""
    index: object
    meta: dict
    path: Path | None          # None: held in memory only (index_rows)
    workers: int | None = None

    def candidates(self, queries: np.ndarray, k: int, ef_search: int | None = None) -> np.ndarray:
        """int64 (n_queries, k): the index's ``k`` nearest rows of each unit query (-1 where
        it found fewer)."""
        q = np.atleast_2d(np.ascontiguousarray(queries, dtype=np.float32))
        self.index.expansion_search = max(int(ef_search or self.meta["settings"]["ef_search"]), k)
        found = self.index.search(q, int(k), threads=_threads(self.workers))
        ids = np.full((q.shape[0], k), -1, dtype=np.int64)
        if q.shape[0] == 1 and not hasattr(found, "counts"):          # usearch answers one query as Matches
            keys = np.asarray(found.keys, dtype=np.int64)[:k]
            ids[0, :keys.size] = keys
            return ids
        keys = np.asarray(found.keys, dtype=np.int64)
        counts = np.asarray(found.counts)
        for i in range(q.shape[0]):
            ids[i, :counts[i]] = keys[i, :counts[i]]
        return ids

    @property
    def nbytes(self) -> int:
        return (self.path / INDEX_FILE).stat().st_size if self.path is not None else int(self.index.memory_usage)


def index_key(store: "Embeddings") -> dict:
    """What the cached index depends on: the content of the store's matrix files (its
    settings are recorded in its meta.json; building with others replaces it)."""
    from ..cache import content_digest
    snap = store._snapshot
    from .quantize import PARAMETERS
    files = ["vectors.npy"] + [f"{name}.npy" for name in PARAMETERS if name in store.components]
    digests = {f: content_digest(snap.path(f) if snap.has(f) else store.path / f, name=store.path / f)
               for f in files}
    return {"digests": digests, "backend": BACKEND, "version": INDEX_VERSION}


def build_index(store: "Embeddings", *, M: int | None = None, ef_construction: int | None = None,
                ef_search: int | None = None, workers: int | None = None, progress: bool | None = None) -> AnnIndex:
    """The HNSW index of ``store`` (an opened store directory): from the cache, or built
    now (see the module docstring). ``M``: graph degree (default 32); ``ef_construction``
    (100) and ``ef_search`` (128): the candidate lists of building and searching."""
    asked = dict(M=M, ef_construction=ef_construction, ef_search=ef_search)
    validate(asked, {k: Integer(c.low, c.high, optional=True) for k, c in SETTINGS.items()}, "build_index")
    settings = {k: DEFAULTS[k] if v is None else int(v) for k, v in asked.items()}
    if store.path is None:
        raise WordlabError("an approximate index is kept for a store directory: save the embeddings first")
    Index = _usearch()
    from ..cache import entry_path, file_identity, get_or_build
    key = index_key(store)
    entry = entry_path("ann", key)          # one index per content: other settings replace it

    def opened(path: Path) -> AnnIndex | None:
        return _open_index(Index, path, store, key, asked, settings["ef_search"], workers)

    def build(path: Path) -> AnnIndex:
        from ..atomic import atomic_directory, write_json
        t0 = time.perf_counter()
        with atomic_directory(path, overwrite=True, kinds=None) as tmp:
            n = len(store)
            index = _hnsw(Index, store.unit_vectors, settings, progress, f"the HNSW index of {store.path.name}",
                          workers)
            index.save(str(tmp / INDEX_FILE))
            del index
            write_json(tmp / "meta.json", {"key": key, "source": str(Path(store.path).resolve()),
                                           "identity": file_identity(store.path / "vectors.npy"),
                                           "rows": n, "dim": store.dim, "settings": settings,
                                           "build_seconds": time.perf_counter() - t0}, private=False)
        built = opened(path)
        if built is None:
            raise WordlabError(f"{path}: the index just built cannot be read back")
        return built

    return get_or_build(entry, opened, build)


def _open_index(Index, path: Path, store: "Embeddings", key: dict, asked: dict, ef_search: int,
                workers: int | None = None) -> AnnIndex | None:
    """The index cached at ``path`` if it is ``store``'s (``key``) and was built with the
    settings ``asked`` (None: any), else None. Memory-mapped (usearch's view), not read."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return None
        index = Index.restore(str(path / INDEX_FILE), view=True)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError):
        return None
    if index is None or len(index) != len(store) or index.ndim != store.dim:
        return None
    if any(asked.get(k) is not None and meta["settings"].get(k) != asked[k] for k in ("M", "ef_construction")):
        return None                         # built with other settings than asked for
    meta["settings"] = {**meta["settings"], "ef_search": ef_search}
    return AnnIndex(index, meta, path, workers)


def cached_index(store: "Embeddings") -> AnnIndex | None:
    """``store``'s index if one was built before (in the cache, any settings) and usearch
    is installed; None otherwise. Builds nothing."""
    if store.path is None:
        return None
    try:
        Index = _usearch()
    except WordlabError:
        return None
    from ..cache import entry_path
    key = index_key(store)
    entry = entry_path("ann", key)
    if not (entry / "meta.json").is_file():
        return None
    return _open_index(Index, entry, store, key, {}, DEFAULTS["ef_search"])


def _hnsw(Index, rows, settings: dict, progress: bool | None, what: str, workers: int | None):
    """A usearch HNSW index (8-bit storage, inner product: the rows are unit vectors, in
    [-1, 1] as its 8-bit scale assumes) of ``rows`` (an array or a store's unit rows),
    keyed by row number and added a block at a time."""
    from ..progress import progress as progress_bar
    n, dim = rows.shape
    index = Index(ndim=dim, metric="ip", dtype="i8", connectivity=settings["M"],
                  expansion_add=settings["ef_construction"], expansion_search=settings["ef_search"],
                  enable_key_lookups=False)
    with progress_bar(progress, total=n, desc=f"building {what}", unit="row") as bar:
        for a in range(0, n, ADD_BLOCK):
            block = np.ascontiguousarray(rows[a:a + ADD_BLOCK], dtype=np.float32)
            index.add(np.arange(a, a + block.shape[0], dtype=np.uint64), block, threads=_threads(workers))
            bar.update(block.shape[0])
    return index


def index_rows(rows, *, M: int | None = None, ef_construction: int | None = None, ef_search: int | None = None,
               workers: int | None = None, progress: bool | None = None) -> AnnIndex:
    """An index of unit ``rows`` (n, dim) held in memory, not cached: for matrices that
    are no store (mapped source words in CSLS retrieval)."""
    asked = dict(M=M, ef_construction=ef_construction, ef_search=ef_search)
    validate(asked, {k: Integer(c.low, c.high, optional=True) for k, c in SETTINGS.items()}, "index_rows")
    settings = {k: DEFAULTS[k] if v is None else int(v) for k, v in asked.items()}
    index = _hnsw(_usearch(), rows, settings, progress, f"an HNSW index of {rows.shape[0]:,} rows", workers)
    return AnnIndex(index, {"settings": settings, "rows": int(rows.shape[0])}, None, workers)


def use_index(store: "Embeddings", exact: bool | None, limit: int) -> AnnIndex | None:
    """The index a query on ``store`` over its first ``limit`` rows should use, or None
    for exact search (see the module docstring)."""
    if exact is not None and not isinstance(exact, (bool, np.bool_)):
        raise ParameterError(f"exact must be True, False or None, not {exact!r}")
    if exact or store.path is None:
        if exact is False:
            raise WordlabError("an approximate index is kept for a store directory: save the embeddings first")
        return None
    if exact is None and limit < EXACT_BELOW:
        return None
    if getattr(store, "_ann", None) is not None:
        return store._ann
    if exact is False:
        store._ann = build_index(store)
        return store._ann
    # exact=None on a large store: the index if one exists, never a build started unasked.
    import sys
    if getattr(store, "_ann_looked", False):
        return None
    store._ann_looked = True
    store._ann = cached_index(store)
    if store._ann is None:
        print(f"{store.path}: {len(store):,} rows, searched exactly; an approximate index answers faster "
              f"(build it once: wordlab index {store.path}, or store.build_index())", file=sys.stderr)
    else:
        print(f"{store.path}: {len(store):,} rows, searched with its approximate index (exact=True, --exact "
              "for exact search)", file=sys.stderr)
    return store._ann


#: Candidates past which a query that the index answers too sparsely (a small
#: ``restrict_vocab``, many exclusions) is searched exactly instead.
MAX_CANDIDATES = 4096


def approximate_topk(store: "Embeddings", index: AnnIndex, queries: np.ndarray, k: int, limit: int,
                     exclude: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` rows below ``limit`` of each query, from the index's candidates scored
    again exactly: ids int64 (n_queries, k) and exact cosines float32, best first; -1 and
    -inf past what was found. Same contract as :func:`~wordlab.store.search.cosine_topk`.
    A query whose candidates leave fewer than ``k`` rows (below ``limit``, not excluded)
    asks for twice as many, up to :data:`MAX_CANDIDATES`, then is searched exactly."""
    from .search import cosine_topk
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    q = np.divide(q, norms, out=np.zeros_like(q), where=norms > 0)
    k = min(k, limit)
    ids = np.full((q.shape[0], k), -1, dtype=np.int64)
    scores = np.full((q.shape[0], k), -np.inf, dtype=np.float32)
    unit = store.unit_vectors
    pending = list(range(q.shape[0]))
    want = min(len(store), max(2 * k, k + max((len(e) for e in exclude), default=0)) + 16)
    while pending:
        cands = index.candidates(q[pending], want)
        retry = []
        for i, row in zip(pending, cands):
            banned = set(exclude[i]) if exclude else set()
            c = np.array([r for r in row if 0 <= r < limit and r not in banned], dtype=np.int64)
            if c.size < k and want < min(len(store), MAX_CANDIDATES):
                retry.append(i)
                continue
            if c.size < k:          # the index cannot find enough: exact, for this query
                ids[i], scores[i] = (a[0] for a in cosine_topk(unit, q[i], k, limit, [exclude[i]] if exclude else None))
                continue
            exact = np.asarray(unit[c], dtype=np.float32) @ q[i]     # decoded rows of a compressed store
            order = np.argsort(-exact, kind="stable")[:k]
            ids[i, :order.size], scores[i, :order.size] = c[order], exact[order]
        pending, want = retry, min(len(store), 2 * want)
    return ids, scores
