"""What the query methods of :class:`~wordlab.store.embeddings.Embeddings` accept."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..errors import ArgumentTypeError


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
