"""The method registry: every training method, once.

``REGISTRY`` maps a method's name to a :class:`Method`: its trainer class, the fixed
parameters that select it in that class, a one-line description, and the parameters
that do not apply to it. Everything that lists methods or their options reads it: the
``wordlab train`` command (its ``--method`` choices, its options and their help with each
method's default), :func:`wordlab.train`, the README's method table (checked to be
current by the tests), the notebooks and the tests' parametrisations.

Adding a method is one new trainer module (a :class:`~wordlab.trainers.base.Trainer`
subclass that declares its ``parameters``) plus one entry here.

The README's method table and ``wordlab train`` synopsis are :func:`methods_markdown` and
:func:`train_synopsis`, written in by :mod:`wordlab.docgen`.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import ParameterError
from .base import Trainer
from .bitcipher import BitCipher
from .cmow import CMOW
from .fasttext import FastText
from .glove import GloVe
from .parameters import Param, declared
from .pu import PULearning
from .word2vec import Word2Vec

_NOT_PARAMETERS = ("callbacks", "progress", "client")


@dataclass(frozen=True)
class Method:
    """A training method: ``trainer(**fixed, **params)`` (see module docstring).

    Attributes
    ----------
    name : str
        The method's name (``wordlab train --method NAME``).
    trainer : type of Trainer
        The class that trains it.
    description : str
        One line for the README's table and ``--help``.
    fixed : mapping
        Parameters that select this method in ``trainer`` (``{"method": "cbow"}``).
    not_applicable : tuple of str
        Parameters of ``trainer`` this method does not take.
    small : mapping
        Settings for a run of seconds on a toy corpus (the tests and the fault suite).
    """
    name: str
    trainer: type[Trainer]
    description: str
    fixed: Mapping[str, Any] = field(default_factory=dict)
    not_applicable: tuple[str, ...] = ()
    #: settings for a run of seconds on a toy corpus (the tests and the fault suite use them)
    small: Mapping[str, Any] = field(default_factory=dict)

    def parameters(self) -> dict[str, Param]:
        """The parameters a user may set for this method, in the trainer's order."""
        rules = declared(self.trainer)
        names = [n for n in self.trainer._param_names()
                 if n not in self.fixed and n not in self.not_applicable and n not in _NOT_PARAMETERS]
        missing = [n for n in names if n not in rules]
        if missing:  # pragma: no cover - a trainer that forgot to declare a parameter
            raise TypeError(f"{self.trainer.__name__} does not declare {', '.join(missing)} in its parameters")
        return {n: rules[n] for n in names}

    def defaults(self) -> dict[str, Any]:
        """Each parameter's default (from the trainer's ``__init__``, with ``fixed`` applied)."""
        out: dict[str, Any] = {}
        for klass in reversed(self.trainer.__mro__):
            if "__init__" in vars(klass):
                for p in inspect.signature(klass.__init__).parameters.values():
                    if p.kind is p.KEYWORD_ONLY:
                        out[p.name] = p.default
        out.update(self.fixed)
        return {n: out.get(n) for n in self.parameters()}

    def make(self, **params) -> Trainer:
        """The trainer with ``params``; a parameter that does not apply is refused."""
        known = set(self.parameters()) | set(_NOT_PARAMETERS)
        unknown = sorted(set(params) - known)
        if unknown:
            raise ParameterError(f"{', '.join(unknown)} do{'es' if len(unknown) == 1 else ''} not apply to method "
                                 f"{self.name!r}; it takes {', '.join(sorted(self.parameters()))}")
        if params.get("client") is not None and not self.runs_on_dask:
            raise ParameterError(f"method {self.name!r} does not run on a Dask cluster; these do: "
                                 f"{', '.join(n for n, m in REGISTRY.items() if m.runs_on_dask)}")
        if not self.runs_on_dask:
            params.pop("client", None)
        return self.trainer(**self.fixed, **params)

    @property
    def runs_on_dask(self) -> bool:
        """Whether the trainer takes ``client=`` (some of its stages run on a Dask cluster)."""
        return "client" in self.trainer._param_names()


REGISTRY: dict[str, Method] = {m.name: m for m in (
    Method("sgns", Word2Vec, "skip-gram with negative sampling (Mikolov et al. 2013), after word2vec.c",
           {"method": "sgns"}, ("cbow_mean",), small=dict(dim=12, epochs=3, window=3)),
    Method("cbow", Word2Vec, "continuous bag of words with negative sampling (Mikolov et al. 2013)",
           {"method": "cbow"}, small=dict(dim=12, epochs=3, window=3)),
    Method("fasttext", FastText, "fastText skip-gram (Bojanowski et al. 2017): a word is its vector and its "
                                 "character n-grams, so every string gets a vector", {"method": "sgns"},
           ("cbow_mean", "averaging_rounds"),
           small=dict(dim=12, epochs=3, window=3, bucket=1000)),
    Method("fasttext-cbow", FastText, "fastText CBOW (Bojanowski et al. 2017): CBOW over words and their character "
                                      "n-grams", {"method": "cbow"}, ("averaging_rounds",),
           small=dict(dim=12, epochs=3, window=3, bucket=1000)),
    Method("glove", GloVe, "GloVe (Pennington et al. 2014): weighted least squares on log co-occurrences, AdaGrad",
           small=dict(dim=12, epochs=3, window=3)),
    Method("pu", PULearning, "PU-learning (Jiang et al. 2018): PPMI factorised with unobserved pairs as weak zeros, "
                             "for small corpora", small=dict(dim=8, epochs=3, window=3)),
    Method("bitcipher", BitCipher, "Bit-cipher (Zhao and Williams 2023): frequency-ranked bit codes summed over "
                                   "contexts; no training",
           small=dict(bits=16, window=3)),
    Method("cmow", CMOW, "CMOW (Mai et al. 2019): a k x k matrix per word, sentences as ordered products",
           {"encoder": "cmow"}, ("cbow_dim", "hybrid_objective", "cmow_warmup_epochs"),
           small=dict(dim=16, epochs=3, window=3)),
    Method("hybrid", CMOW, "hybrid CBOW-CMOW (Mai et al. 2019): a CBOW sum beside a CMOW product",
           {"encoder": "hybrid"}, small=dict(dim=16, cbow_dim=8, epochs=3, window=3)),
)}


def get(name: str) -> Method:
    """The method called ``name``; a :class:`ParameterError` listing the methods otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError(f"unknown method {name!r}; choose one of {', '.join(REGISTRY)}") from None


def cli_args(params: Mapping[str, Any]) -> list[str]:
    """``{"cbow_dim": 8}`` as ``wordlab train`` options: ``["--cbow-dim", "8"]``."""
    out: list[str] = []
    for name, value in params.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            out.append(flag if value else "--no-" + flag[2:])
        else:
            out += [flag, str(value)]
    return out


def all_parameters() -> dict[str, Param]:
    """Every parameter of any method, in a stable order (first seen)."""
    out: dict[str, Param] = {}
    for method in REGISTRY.values():
        for name, param in method.parameters().items():
            out.setdefault(name, param)
    return out


def applies_to(name: str) -> list[str]:
    """The methods that take the parameter ``name``."""
    return [m.name for m in REGISTRY.values() if name in m.parameters()]


def format_default(value: Any, param: Param | None = None) -> str:
    if value is None:
        return param.auto if param is not None else "auto"
    if isinstance(value, float):
        exponent = math.log2(value) if value > 0 else 0.5
        if value < 0.01 and exponent == int(exponent):
            return f"2^{int(exponent)}"
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1 << 20 and value & (value - 1) == 0:
        return f"2^{value.bit_length() - 1}"
    return str(value)


def defaults_by_method(name: str) -> str:
    """``"sgns, cbow: 5; glove, pu: 10"``: each method's default of parameter ``name``."""
    groups: dict[str, list[str]] = {}
    for method in REGISTRY.values():
        if name in method.parameters():
            groups.setdefault(format_default(method.defaults()[name], method.parameters()[name]),
                              []).append(method.name)
    if len(groups) == 1:
        return next(iter(groups))
    return "; ".join(f"{', '.join(ms)}: {d}" for d, ms in groups.items())


# -- generated documentation -------------------------------------------------------------------
_USUAL = ("dim", "epochs", "min_count", "max_size", "workers", "seed")


def methods_markdown() -> str:
    """The README's table of methods."""
    rows = [f"| method | what it is | parameters (besides {', '.join(_USUAL)}) |", "|---|---|---|"]
    for m in REGISTRY.values():
        params = m.parameters()
        own = ", ".join(f"`{n}`" for n in params if n not in _USUAL)
        lacks = [n for n in _USUAL if n not in params]
        if lacks:
            own += f" (no {', '.join(f'`{n}`' for n in lacks)})"
        rows.append(f"| `{m.name}` | {m.description} | {own} |")
    return "\n".join(rows)


def _cli_options(method: Method) -> list[str]:
    return [n for n, p in method.parameters().items() if p.cli]


def train_synopsis() -> str:
    """The README's synopsis of ``wordlab train``: which options apply to which methods."""
    common = [n for n in all_parameters() if all(n in _cli_options(m) for m in REGISTRY.values())]
    flags = lambda names: " ".join(f"--{n.replace('_', '-')}" for n in names)  # noqa: E731
    lines = [f"wordlab train [CORPUS...] --method {'|'.join(REGISTRY)} [-o OUT] [--resume] [--overwrite]",
             f"              [--no-progress] {flags(common)}"]
    for m in REGISTRY.values():
        lines.append(f"  {m.name + ':':<11} {flags(n for n in _cli_options(m) if n not in common)}")
    return "\n".join(lines)
