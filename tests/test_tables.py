"""wordlab.tables: the four forms of a table agree, and the commands print through it."""
from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from wordlab import tables


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"store": ["a", "b|c", "d"], "value": [0.123456, math.nan, 2.0],
                         "n": np.array([3, 4, 5], dtype=np.int64), "flag": [True, False, True]})


def test_csv_and_json_round_trip_every_value(frame):
    back = pd.read_csv(io.StringIO(tables.render(frame, "csv")))
    pd.testing.assert_frame_equal(back, frame)
    records = json.loads(tables.render(frame, "json"))
    assert records[1]["value"] is None and records[0]["value"] == frame["value"][0]
    assert [r["n"] for r in records] == [3, 4, 5] and records[2]["flag"] is True


def test_markdown_cells_escape_pipes_align_numbers_and_leave_missing_values_empty(frame):
    lines = tables.render(frame, "markdown").splitlines()
    assert lines[0] == "| store | value | n | flag |"
    assert lines[1] == "|---|---:|---:|---|"
    assert lines[3] == "| b\\|c |  | 4 | False |"
    assert lines[2] == "| a | 0.1235 | 3 | True |"


def test_plain_columns_line_up(frame):
    assert tables.render(frame, "table").splitlines() == [
        "store   value  n  flag",
        "-----  ------  -  -----",
        "a      0.1235  3  True",
        "b|c            4  False",
        "d      2.0000  5  True"]
    assert tables.plain(frame, formatters={"value": lambda v: "x"}).splitlines()[2].split()[1] == "x"
    assert tables.plain(frame, left=("store",)).splitlines()[2] == "a      0.1235  3   True"


def test_an_unknown_form_is_refused():
    with pytest.raises(ValueError, match="yaml"):
        tables.render(pd.DataFrame({"a": [1]}), "yaml")
