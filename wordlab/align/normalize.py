"""Normalisation steps applied before mapping: a named, ordered list such as ``unit,center,unit``.

``unit`` scales every row to length 1; ``center`` subtracts the mean row (the mean of
the rows as they are after the preceding steps). Artetxe et al. (2018) found
``unit,center,unit`` the most robust order. The means are computed once over the
whole matrix, in row blocks, and stored, so every block, every later query and every
mapped store see exactly the same transformation.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import WordlabError
from ..store.search import unit_rows

STEPS = ("unit", "center")
BLOCK_ROWS = 65_536


def parse_steps(steps: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"unit,center,unit"`` (or a list, or None / "" / "none" for no steps) -> a tuple of steps."""
    if steps is None:
        return ()
    if isinstance(steps, str):
        steps = [s.strip() for s in steps.split(",") if s.strip()]
        if steps == ["none"]:
            return ()
    out = tuple(steps)
    for s in out:
        if s not in STEPS:
            raise WordlabError(f"unknown normalisation step {s!r}; the steps are {', '.join(STEPS)} "
                               "(e.g. 'unit,center,unit', or 'none')")
    return out


class Normalizer:
    """Ordered normalisation steps with their fitted means.

    Parameters
    ----------
    steps : str or sequence of str
        e.g. ``"unit,center,unit"``; see :data:`STEPS`.

    Attributes
    ----------
    means_ : list of float64 arrays (dim,), one per ``center`` step, after :meth:`fit`.
    """

    def __init__(self, steps: str | Sequence[str] | None = "unit,center,unit"):
        self.steps = parse_steps(steps)
        self.means_: list[np.ndarray] | None = None

    def fit(self, matrix: np.ndarray, block_rows: int = BLOCK_ROWS) -> "Normalizer":
        """Compute each ``center`` step's mean over all rows (one pass per ``center`` step)."""
        self.means_ = []
        n = matrix.shape[0]
        if n == 0:
            raise WordlabError("cannot fit a normalisation on an empty matrix")
        for i, step in enumerate(self.steps):
            if step != "center":
                continue
            total = np.zeros(matrix.shape[1], dtype=np.float64)
            for a in range(0, n, block_rows):
                block = self._apply(np.asarray(matrix[a:a + block_rows], dtype=np.float32), self.steps[:i])
                total += block.sum(axis=0, dtype=np.float64)
            self.means_.append(total / n)
        return self

    def _apply(self, block: np.ndarray, steps: Sequence[str]) -> np.ndarray:
        centre = 0
        out = np.array(block, dtype=np.float32, copy=True)
        for step in steps:
            if step == "unit":
                out = unit_rows(out)
            else:
                out -= self.means_[centre].astype(np.float32)
                centre += 1
        return out

    def transform(self, block: np.ndarray) -> np.ndarray:
        """The normalised copy (float32) of ``block`` (rows of the fitted matrix, or new rows)."""
        if self.means_ is None:
            raise WordlabError("this Normalizer is not fitted; call fit(matrix) first")
        return self._apply(np.atleast_2d(np.asarray(block, dtype=np.float32)), self.steps)

    def to_dict(self) -> dict:
        return {"steps": list(self.steps), "means": [m.tolist() for m in (self.means_ or [])]}

    @classmethod
    def from_dict(cls, d: dict) -> "Normalizer":
        n = cls(d["steps"])
        n.means_ = [np.asarray(m, dtype=np.float64) for m in d["means"]]
        return n

    def __repr__(self) -> str:
        return f"Normalizer({','.join(self.steps) or 'none'!r})"
