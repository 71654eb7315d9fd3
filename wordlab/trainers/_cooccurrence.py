"""The base of the trainers on a co-occurrence matrix (GloVe, PU-learning): one call of
:func:`wordlab.cooccur.count_cooccurrences` with the trainer's counting settings, so the
trainers on the same corpus and window share one cached count."""
from __future__ import annotations

from typing import Any, ClassVar

from ..cooccur import CooccurrenceMatrix, count_cooccurrences
from ..corpus import EncodedCorpus
from ..errors import WordlabError
from . import parameters as P
from .base import Trainer


class CooccurrenceTrainer(Trainer):
    """A trainer whose input is the co-occurrence matrix of its corpus (subclasses take
    ``window`` and ``memory_limit``)."""

    parameters = {"window": P.WINDOW, "x_max": P.X_MAX, "output": P.OUTPUT, "memory_limit": P.MEMORY_LIMIT}
    #: the counting settings besides ``window`` (GloVe's: 1/distance, both sides)
    counting: ClassVar[dict[str, Any]] = {"weighting": "harmonic", "direction": "both"}

    def counting_settings(self) -> dict[str, Any]:
        """The settings of :func:`~wordlab.cooccur.count_cooccurrences` that make the matrix."""
        return {"window": self.window, **self.counting}

    def _count(self, encoded: EncodedCorpus) -> CooccurrenceMatrix:
        """The matrix (from the cache when it was counted before); refuse an empty one."""
        matrix = count_cooccurrences(encoded, **self.counting_settings(), memory_limit=self.memory_limit,
                                     workers=self.workers, progress=self.progress,
                                     client=getattr(self, "client", None))
        if matrix.nnz == 0:
            raise WordlabError("the co-occurrence matrix is empty: no two vocabulary words share a window")
        return matrix
