"""Declared parameter constraints, checked before any work starts.

Each parameter's rule is stated once (a trainer's in :mod:`wordlab.trainers.parameters`)
and :func:`validate` checks them, so that every range has one statement and one message
shape::

    validate(params, {"alpha": Real(0, 1, closed="right"), "window": Integer(1, 10_000)}, "Word2Vec")

Numbers must be finite (NaN and infinity are never a valid hyperparameter), integers
must be integers (``True`` and ``2.5`` are not), and the message names the parameter,
the accepted range and the value given. The same idea as scikit-learn's
``_parameter_constraints``, without its machinery.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from .errors import ParameterError


class Constraint:
    """A rule a parameter value must satisfy."""

    optional: bool = False

    def describe(self) -> str:
        raise NotImplementedError

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def check(self, name: str, value: Any, owner: str = "") -> None:
        if value is None and self.optional:
            return
        if not self.accepts(value):
            where = f"{owner}: " if owner else ""
            raise ParameterError(f"{where}{name} must be {self.describe()}"
                                 f"{' or None' if self.optional else ''}, not {value!r}")


def _is_int(value) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))


@dataclass
class Integer(Constraint):
    """An integer in [low, high] (either bound may be None)."""
    low: int | None = None
    high: int | None = None
    optional: bool = False

    def describe(self) -> str:
        if self.low is not None and self.high is None:
            return f"an integer >= {self.low:,}"
        if self.low is None and self.high is not None:
            return f"an integer <= {self.high:,}"
        if self.low is None:
            return "an integer"
        return f"an integer in [{self.low:,}, {self.high:,}]"

    def accepts(self, value) -> bool:
        return (_is_int(value) and (self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))


@dataclass
class Real(Constraint):
    """A finite number in the interval from low to high; ``closed`` is "both", "left",
    "right" or "neither"."""
    low: float | None = None
    high: float | None = None
    closed: str = "both"
    optional: bool = False

    def describe(self) -> str:
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        if self.low is not None and self.high is None:
            return f"a finite number {'>=' if left == '[' else '>'} {self.low:g}"
        if self.low is None and self.high is not None:
            return f"a finite number {'<=' if right == ']' else '<'} {self.high:g}"
        if self.low is None:
            return "a finite number"
        return f"a finite number in {left}{self.low:g}, {self.high:g}{right}"

    def accepts(self, value) -> bool:
        if not _is_real(value):
            return False
        v = float(value)
        if not math.isfinite(v):
            return False
        if self.low is not None:
            if v < self.low or (v == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if v > self.high or (v == self.high and self.closed in ("left", "neither")):
                return False
        return True


@dataclass
class Options(Constraint):
    """One of a fixed set of values."""
    values: tuple
    optional: bool = False

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def accepts(self, value) -> bool:
        try:
            return any(value == v and type(value) is type(v) for v in self.values)
        except (TypeError, ValueError):
            return False


@dataclass
class Boolean(Constraint):
    optional: bool = False

    def describe(self) -> str:
        return "True or False"

    def accepts(self, value) -> bool:
        return isinstance(value, (bool, np.bool_))


def validate(params: Mapping[str, Any], constraints: Mapping[str, Constraint], owner: str = "",
             skip: Iterable[str] = ()) -> None:
    """Check every parameter in ``params`` that has a constraint; raise ParameterError."""
    skip = set(skip)
    for name, rule in constraints.items():
        if name in params and name not in skip:
            rule.check(name, params[name], owner)
