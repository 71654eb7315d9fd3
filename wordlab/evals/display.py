"""How evaluation results show in a terminal and in Jupyter: one line, and a small table.

Every result says how much of its dataset it rests on, and a score computed from fewer
than :data:`MIN_ITEMS` items is flagged: a Spearman of 1.0 from two pairs is not a result.
"""
from __future__ import annotations

from html import escape
from typing import Mapping

#: Below this many scored items (pairs, questions) a score is flagged as too few to trust.
MIN_ITEMS = 20


def counted(n_used: int, n_total: int, what: str) -> str:
    """``"791 of 832 pairs (95.1 %)"``, flagged when fewer than :data:`MIN_ITEMS` were used."""
    share = f" ({100 * n_used / n_total:.1f} %)" if n_total else ""
    flag = f"; too few to trust (under {MIN_ITEMS})" if n_used < MIN_ITEMS else ""
    return f"{n_used:,} of {n_total:,} {what}{share}{flag}"


def one_line(kind: str, name: str, fields: Mapping[str, str]) -> str:
    return f"<{kind} {name}: " + ", ".join(f"{k} {v}" for k, v in fields.items()) + ">"


def html_table(title: str, fields: Mapping[str, str]) -> str:
    """A two-column HTML table headed by ``title`` (for ``_repr_html_``)."""
    rows = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>{escape(v)}</td></tr>"
                   for k, v in fields.items())
    return f"<table><caption style='text-align:left'><b>{escape(title)}</b></caption>{rows}</table>"


class Shown:
    """Mixin: ``__repr__`` and ``_repr_html_`` from ``_shown() -> (kind, name, fields)``."""

    def _shown(self) -> tuple[str, str, dict[str, str]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return one_line(*self._shown())

    def _repr_html_(self) -> str:
        kind, name, fields = self._shown()
        return html_table(f"{kind} {name}", fields)
