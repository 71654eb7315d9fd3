"""End-to-end tests of ``wordlab bias ...`` and ``wordlab debias ...`` (click's CliRunner)."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

import wordlab
from wordlab.debias import bias_direction, indirect_bias, weat

from test_cli import run
from test_debias import EQUALIZE, PROFESSIONS, SPECIFIC, nw, planted_store


@pytest.fixture()
def files(tmp_path):
    store, g, _ = planted_store(leak=3.0)
    path = store.save(tmp_path / "store")
    equalize = tmp_path / "equalize.txt"
    equalize.write_text("".join(f"{a} {b}\n" for a, b in EQUALIZE), encoding="utf-8")
    specific = tmp_path / "specific.json"
    specific.write_text(json.dumps(SPECIFIC), encoding="utf-8")
    professions = tmp_path / "professions.txt"
    professions.write_text("\n".join(PROFESSIONS) + "\n", encoding="utf-8")
    w = [nw(i) for i in range(40)]
    sets = tmp_path / "sets.json"
    sets.write_text(json.dumps({"male_names": w[:8], "female_names": w[8:16], "career": w[16:24],
                                "family": w[24:32]}), encoding="utf-8")
    return {"store": path, "equalize": equalize, "specific": specific, "professions": professions,
            "sets": sets, "out": tmp_path / "debiased", "tmp": tmp_path}


def assert_one_error_line(result, *fragments):
    assert result.exit_code == 1, result.output
    lines = [l for l in result.output.strip().splitlines() if not l.startswith("Warning:")]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    for f in fragments:
        assert f in lines[0], (f, lines[0])


def test_debias_hard_then_measure(runner, files):
    r = run(runner, "debias", "hard", files["store"], "-o", files["out"], "--equalize", files["equalize"],
            "--specific", files["specific"])
    assert r.exit_code == 0, r.output
    assert re.search(r"^equalised:\s+3 pairs \(3 of 4 given pairs found\)", r.output, re.M)
    assert "Warning: equalize pairs: 3 of 4 found; missing 1: colt/filly" in r.output
    out = wordlab.load(files["out"])
    g = np.asarray(out.meta["debias"]["direction"]["vector"])
    kept = set(SPECIFIC) | {w for p in out.meta["debias"]["equalized"] for w in p}
    rows = [out.index[w] for w in out.words if w not in kept]
    x = np.asarray(out.vectors, dtype=np.float64)[rows]
    assert np.max(np.abs(x @ g)) < 1e-6
    # DirectBias: effectively 0 after, clearly not before (same direction, same words).
    after = run(runner, "bias", "direct", files["out"], "--words", files["professions"])
    assert after.exit_code == 0, after.output
    value = float(re.search(r"DirectBias_1 over 6 words .*: (\S+)$", after.output, re.M).group(1))
    assert value < 1e-6
    before = run(runner, "bias", "direct", files["store"], "--words", files["professions"], "--exclude",
                 files["specific"])
    assert float(re.search(r"DirectBias_1 over 6 words .*: (\S+)$", before.output, re.M).group(1)) > 0.05
    # A second run onto the same output is refused unless --overwrite.
    again = run(runner, "debias", "hard", files["store"], "-o", files["out"], "--equalize", files["equalize"],
                "--specific", files["specific"])
    assert_one_error_line(again, "already exists")


def test_bias_direction_and_indirect(runner, files):
    r = run(runner, "bias", "direction", files["store"], "--top", "3")
    assert r.exit_code == 0, r.output
    ratio = float(re.search(r"first component (\S+)", r.output).group(1))
    assert 0.5 < ratio <= 1
    assert "pairs: woman/man" in r.output and "mary/john" in r.output
    one = run(runner, "bias", "direction", files["store"], "--pair", "she,he", "--top", "0")
    assert one.exit_code == 0 and "direction: pair from 1 pair(s)" in one.output
    ind = run(runner, "bias", "indirect", files["store"], "nurse", nw(7))
    assert ind.exit_code == 0, ind.output
    store = wordlab.load(files["store"])
    expected = indirect_bias(store, "nurse", nw(7), bias_direction(store))
    assert ind.output.startswith(f"beta(nurse, {nw(7)}) = ")
    assert float(ind.output.split("=")[1]) == pytest.approx(expected, rel=1e-5)


def test_bias_weat_matches_python(runner, files):
    r = run(runner, "bias", "weat", files["store"], "--sets", files["sets"], "--test", "career_family",
            "--targets", "male_names,female_names", "--attributes", "career,family")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0].split()[:2] == ["test", "statistic"] and len(lines) == 3
    store = wordlab.load(files["store"])
    expected = weat(store, "male_names", "female_names", "career", "family", sets=str(files["sets"]))
    for line in lines[1:]:
        fields = line.split()
        assert float(fields[2]) == pytest.approx(expected.effect_size, abs=1e-4)
        assert float(fields[3]) == pytest.approx(expected.p_value, rel=1e-3)
        assert fields[4] == "exact" and fields[-1] == "8/8/8/8"
    listed = run(runner, "bias", "weat", "--list", "--sets", files["sets"])
    assert listed.exit_code == 0 and "career_family" in listed.output and "male_names (8)" in listed.output


def test_bias_report_and_residual(runner, files):
    assert run(runner, "debias", "hard", files["store"], "-o", files["out"], "--equalize", files["equalize"],
               "--specific", files["specific"]).exit_code == 0
    plot = files["tmp"] / "professions.png"
    r = run(runner, "bias", "report", files["store"], files["out"], "--professions", files["professions"],
            "--sets", files["sets"], "--test", "career_family", "--per-side", "100", "--no-quality",
            "--plot", plot, "--format", "csv")
    assert r.exit_code == 0, r.output
    import csv
    import io
    table = list(csv.DictReader(io.StringIO(r.output[r.output.index("measure,before"):])))
    assert list(table[0]) == ["measure", "before", "after", "detail"]
    direct = next(row for row in table if row["measure"] == "DirectBias_1 (professions)")
    assert float(direct["after"]) < 1e-6 < 0.05 < float(direct["before"])
    assert plot.read_bytes()[:4] == b"\x89PNG"
    res = run(runner, "bias", "residual", files["store"], files["out"], "--per-side", "100", "-k", "20")
    assert res.exit_code == 0, res.output
    after = float(re.search(r"^after: cluster accuracy (\S+),", res.output, re.M).group(1))
    assert after > 0.9


def test_cli_errors_are_one_line(runner, files):
    bad = files["tmp"] / "bad_pairs.txt"
    bad.write_text("dad mom\ngrandpa grandma extra\n", encoding="utf-8")
    r = run(runner, "debias", "hard", files["store"], "-o", files["out"], "--equalize", bad,
            "--specific", files["specific"])
    assert_one_error_line(r, str(bad), "line 2")
    assert not files["out"].exists()
    absent = files["tmp"] / "absent_pairs.txt"
    absent.write_text("colt filly\nnephew niece\ndad mom\n", encoding="utf-8")
    r = run(runner, "debias", "hard", files["store"], "-o", files["out"], "--equalize", absent,
            "--specific", files["specific"])
    assert_one_error_line(r, "equalize pairs: 1 of 3 found", "--max-missing")
    ok = run(runner, "debias", "hard", files["store"], "-o", files["out"], "--equalize", absent,
             "--specific", files["specific"], "--max-missing", "0.7")
    assert ok.exit_code == 0, ok.output
    r = run(runner, "bias", "weat", files["store"], "--sets", files["sets"], "--test", "math_arts")
    assert_one_error_line(r, "unknown WEAT word set 'math'")
    r = run(runner, "bias", "direct", files["store"], "--words", files["tmp"] / "nope.txt")
    assert r.exit_code == 2 and "nope.txt: no such file" in r.output
