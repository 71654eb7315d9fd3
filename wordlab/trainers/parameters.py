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


# -- docstrings ----------------------------------------------------------------------------------
_CALLBACKS_DOC = ("callbacks : sequence of callables, default ()\n"
                  "    Each is called after every epoch with an :class:`~wordlab.trainers.EpochReport`.")
_CLIENT_DOC = ("client : dask.distributed.Client or None, default None\n"
               "    Run this trainer's cluster stages on this Dask cluster (see :mod:`wordlab.distributed`); the "
               "result is the one of a single machine. Not a hyperparameter: ``get_params`` leaves it out.")
_LATER_SECTIONS = ("Returns", "Attributes", "Notes", "References", "Examples", "See Also")


def _type_of(constraint: Constraint) -> str:
    if isinstance(constraint, Options):
        kind = "{" + ", ".join(repr(v) for v in constraint.values) + "}"
    else:
        kind = {Integer: "int", Real: "float", Boolean: "bool"}.get(type(constraint), "object")
    return kind + (" or None" if getattr(constraint, "optional", False) else "")


def numpydoc_entries(cls: type) -> dict[str, str]:
    """``name : type, default value`` and the help, for each parameter of ``cls.__init__``."""
    import inspect
    rules = declared(cls)
    out: dict[str, str] = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if p.kind is not p.KEYWORD_ONLY:
            continue
        if name == "callbacks":
            out[name] = _CALLBACKS_DOC
        elif name == "client":
            out[name] = _CLIENT_DOC
        elif name in rules:
            param = rules[name]
            default = param.auto if p.default is None else repr(p.default)
            out[name] = f"{name} : {_type_of(param.constraint)}, default {default}\n    {param.help}"
    return out


def document_parameters(cls: type) -> None:
    """Give ``cls``'s docstring a numpydoc Parameters section generated from the declared
    parameters (its rule gives the type, ``__init__`` the default): appended to the
    section the docstring already has, for the parameters it does not describe, or
    added before its Notes, References or Examples."""
    import inspect
    import re
    doc = inspect.cleandoc(cls.__doc__ or "")
    entries = numpydoc_entries(cls)
    missing = [text for name, text in entries.items() if not re.search(rf"^{name}\b", doc, re.M)]
    if not missing:
        return
    heading = re.search(r"^Parameters\n-{10}\n", doc, re.M)
    if heading:
        rest = doc[heading.end():]
        end = re.search(r"\n\n(?=\S[^\n]*\n-{3,}\n)", rest)
        cut = heading.end() + (end.start() if end else len(rest.rstrip()))
        doc = doc[:cut].rstrip("\n") + "\n" + "\n".join(missing) + doc[cut:]
    else:
        section = "Parameters\n----------\n" + "\n".join(missing) + "\n"
        later = [m.start() for s in _LATER_SECTIONS for m in [re.search(rf"^{s}\n-{{3,}}\n", doc, re.M)] if m]
        example = re.search(r"^>>> ", doc, re.M)
        later += [example.start()] if example else []
        at = min(later) if later else len(doc)
        doc = doc[:at].rstrip("\n") + "\n\n" + section + ("\n" + doc[at:] if at < len(doc) else "")
    cls.__doc__ = doc
