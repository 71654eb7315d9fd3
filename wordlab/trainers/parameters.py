"""Every trainer parameter, declared once: its rule and its help.

A trainer class lists the parameters it takes in ``parameters`` (merged along its
class hierarchy, see :func:`declared`); the defaults are those of its ``__init__``.
From these declarations come the checks before training (:func:`wordlab.params.validate`),
the options of ``wordlab train`` and their help, and the README's table of methods
(:mod:`wordlab.trainers.registry`). A new parameter is one entry here (or in its
trainer's module, when no other trainer could share it).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..params import Boolean, Constraint, Integer, Options, Real


@dataclass(frozen=True)
class Param:
    """A trainer parameter: the rule its values follow, a one-line help, and whether it is
    an option of ``wordlab train`` (``cli``)."""
    constraint: Constraint
    help: str
    cli: bool = True
    #: what a default of None means, for the help ("all cores", "alpha / 10")
    auto: str = "auto"


# -- every trainer -----------------------------------------------------------------------------
DIM = Param(Integer(1, 100_000), "Vector size (PU-learning: the rank; CMOW: k * k, the size of its k x k matrices).")
EPOCHS = Param(Integer(1, 100_000), "Passes over the corpus (GloVe, PU-learning: iterations).")
MIN_COUNT = Param(Integer(1), "Drop words seen fewer times.")
MAX_SIZE = Param(Integer(1, optional=True), "Keep at most this many words (the most frequent).", auto="all")
WORKERS = Param(Integer(1, 4096, optional=True), "Threads.", auto="all cores")
SEED = Param(Integer(0, 2 ** 63 - 1), "Random seed; with one worker a run is reproducible bit for bit.")
PROGRESS = Param(Boolean(optional=True), "Show a progress bar (default: in a terminal or in Jupyter).", cli=False)

# -- windows and negative sampling -------------------------------------------------------------
WINDOW = Param(Integer(1, 10_000), "Context radius.")
NEGATIVE = Param(Integer(1, 1_000), "Noise words per positive example.")
SAMPLE = Param(Real(0, 1), "Subsampling threshold t of frequent words; 0 is off.")
NS_EXPONENT = Param(Real(-10, 10), "Noise distribution: count ** ns_exponent.")
ALPHA = Param(Real(0, 1, closed="right"), "Initial learning rate.")
MIN_ALPHA = Param(Real(0, 1), "Final learning rate (linear decay).", auto="alpha / 10")

# -- co-occurrence methods ---------------------------------------------------------------------
X_MAX = Param(Real(0, None, closed="neither"), "Weighting cut-off x_max: weight min(1, (x / x_max) ** 0.75).")
OUTPUT = Param(Options(("sum", "word", "concat")),
               "Store W + W~ (sum), the word vectors W (word) or both side by side (concat).")
MEMORY_LIMIT = Param(Integer(1 << 16, 1 << 50), "Bytes for counting co-occurrences (more: counted in segments).")


def declared(cls: type) -> dict[str, Param]:
    """The ``parameters`` of ``cls`` and its bases (a subclass's declaration wins)."""
    out: dict[str, Param] = {}
    for klass in reversed(cls.__mro__):
        out.update(vars(klass).get("parameters", {}))
    return out


__all__ = ["Param", "declared", "Boolean", "Integer", "Options", "Real"]
