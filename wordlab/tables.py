"""Tables as text: one formatter for the plain, Markdown, CSV and JSON forms.

Every command that prints a table (``wordlab eval``, ``wordlab bias report``...) and the
Python helpers (:func:`wordlab.evals.to_markdown`...) write through :func:`render`, so the
four forms agree: the same columns, missing values shown the same way (an empty cell in
the plain and Markdown forms, empty in CSV, ``null`` in JSON), floats with the same
precision in the two forms meant for reading.
"""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:
    import pandas as pd

#: the forms :func:`render` writes
FORMATS = ("table", "markdown", "csv", "json")

Formatter = Callable[[Any], str]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cell(value: Any, digits: int = 4) -> str:
    """One value as text: floats with ``digits`` decimals, missing values empty."""
    if _is_missing(value):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cells(table: "pd.DataFrame", digits: int, formatters: Mapping[str, Formatter]) -> list[list[str]]:
    fmt = [formatters.get(c, lambda v: cell(v, digits)) for c in table.columns]
    return [[f(v) for f, v in zip(fmt, row)] for row in table.itertuples(index=False)]


def _numeric(table: "pd.DataFrame") -> list[bool]:
    import pandas as pd
    return [pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])
            for c in table.columns]


def markdown(table: "pd.DataFrame", digits: int = 4, formatters: Mapping[str, Formatter] | None = None) -> str:
    """A GitHub-flavoured Markdown table; numeric columns aligned right."""
    header = [str(c) for c in table.columns]
    rule = ["---:" if n else "---" for n in _numeric(table)]
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), "|" + "|".join(rule) + "|"]
                     + [line(r) for r in _cells(table, digits, formatters or {})])


def plain(table: "pd.DataFrame", digits: int = 4, formatters: Mapping[str, Formatter] | None = None,
          left: Sequence[str] | None = None) -> str:
    """A plain-text table in aligned columns: the ``left`` columns aligned left (default:
    the columns that are not numeric), the others right."""
    header = [str(c) for c in table.columns]
    body = _cells(table, digits, formatters or {})
    widths = [max([len(header[i])] + [len(r[i]) for r in body]) for i in range(len(header))]
    right = _numeric(table) if left is None else [c not in left for c in table.columns]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in body])


def csv(table: "pd.DataFrame") -> str:
    """CSV with a header row, full float precision, no index."""
    return table.to_csv(index=False)


def json_records(table: "pd.DataFrame") -> str:
    """A JSON list of records, one per row; NaN and None as ``null``."""
    records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    return json.dumps(records, indent=1, ensure_ascii=False, default=_json_scalar)


def _json_scalar(value: Any):
    import numpy as np
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def render(table: "pd.DataFrame", fmt: str, digits: int = 4, formatters: Mapping[str, Formatter] | None = None) -> str:
    """``table`` in the form ``fmt`` (one of :data:`FORMATS`). ``formatters`` (column ->
    function) change how the two reading forms show a column; CSV and JSON keep values."""
    if fmt == "table":
        return plain(table, digits, formatters)
    if fmt == "markdown":
        return markdown(table, digits, formatters)
    if fmt == "csv":
        return csv(table)
    if fmt == "json":
        return json_records(table)
    raise ValueError(f"unknown table format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "cell", "csv", "json_records", "markdown", "plain", "render"]
