"""Old public names kept working for a while: each call warns once where it is called
from and names the new spelling (the public API spells "neighbors", as gensim and
scikit-learn do)."""
from __future__ import annotations

import functools
import warnings
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def deprecated_alias(new: F, old_name: str) -> F:
    """``new`` under its old name ``old_name``, warning with a DeprecationWarning."""
    @functools.wraps(new)
    def alias(*args, **kwargs):
        warnings.warn(f"{old_name} is deprecated; use {new.__name__}", DeprecationWarning, stacklevel=2)
        return new(*args, **kwargs)
    alias.__name__ = alias.__qualname__ = old_name
    alias.__doc__ = f"Deprecated alias of :func:`{new.__name__}`."
    return alias  # type: ignore[return-value]
