"""The unit vectors of a store, kept in the cache (``$WORDLAB_CACHE/unit``) under the
digest of its ``vectors.npy`` and memory-mapped: a store is never written to by reading
it, and a changed ``vectors.npy`` never meets the unit vectors of its old content."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..atomic import temporary_sibling, write_json
from ..cache import content_digest, file_identity, get_or_build
from ..errors import DiskFullError
from ..npyio import create_npy
from ..paths import cache_root
from .search import nonfinite_rows, unit_rows


def cached_unit_vectors(vectors: np.ndarray, source: Path, mapped: str) -> tuple[np.ndarray, np.ndarray]:
    """The unit vectors and the non-finite rows of a store's ``vectors`` (``source``, its
    path; ``mapped``, the file actually mapped, a snapshot's), from the cache or made."""
    digest = content_digest(mapped, name=source)
    target = cache_root() / "unit" / f"{digest[:32]}.npy"
    record = target.with_suffix(".json")

    def build(target: Path) -> tuple[np.ndarray, np.ndarray]:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_sibling(target)
        try:
            out = create_npy(tmp, np.float32, vectors.shape)
            unit_rows(vectors, out)
            out.flush()
            del out
            bad = nonfinite_rows(vectors)
            os.replace(tmp, target)
        except DiskFullError as e:
            tmp.unlink(missing_ok=True)
            raise DiskFullError(target, e.needed, e.reason) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        write_json(record, {"source": str(source.resolve()), "identity": file_identity(mapped),
                            "digest": digest, "shape": list(vectors.shape), "nonfinite": bad.tolist()},
                   private=False)
        return np.load(target, mmap_mode="r"), bad

    return get_or_build(target, lambda t: _cached(t, record, digest, vectors.shape), build)


def _cached(target: Path, record: Path, digest: str, shape) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        info = json.loads(record.read_text(encoding="utf-8"))
        unit = np.load(target, mmap_mode="r")
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(info, dict) or info.get("digest") != digest or unit.shape != shape:
        return None
    return unit, np.asarray(info.get("nonfinite", []), dtype=np.int64)
