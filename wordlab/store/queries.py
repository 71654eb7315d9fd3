"""What the query methods of :class:`~wordlab.store.embeddings.Embeddings` accept."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..errors import ArgumentTypeError, ParameterError


def query_items(items, name: str) -> list:
    """``positive``/``negative`` of most_similar as a list of words or vectors."""
    if items is None:
        return []
    if isinstance(items, (str, np.ndarray)):
        return [items]
    if not isinstance(items, Iterable):
        raise ArgumentTypeError(f"{name} must be a word, a vector or a list of them, not {type(items).__name__}")
    out = list(items)
    for item in out:
        if not isinstance(item, (str, np.ndarray, list, tuple)):
            raise ArgumentTypeError(f"{name} must hold words or vectors, not {type(item).__name__} ({item!r})")
    return out


def query_vector(vector, dim: int) -> np.ndarray:
    """A query vector as float32 (dim,): of the store's dimension, finite."""
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    if v.shape[0] != dim:
        raise ParameterError(f"vector has dimension {v.shape[0]}, the store has {dim}")
    if not np.isfinite(v).all():
        raise ParameterError("the query vector holds NaN or infinity")
    return v


def check_topn(topn) -> int:
    if isinstance(topn, bool) or not isinstance(topn, (int, np.integer)) or topn < 1:
        raise ParameterError(f"topn must be a positive integer, not {topn!r}")
    return int(topn)
