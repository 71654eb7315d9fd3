"""Property-based fuzzing of every reader of user files (hypothesis, with shrinking).

The seeds (valid files) and mutations are those of ``evals/fuzz.py``, which runs the
same fuzzing for longer without hypothesis. For every reader, a damaged input must be
read, or raise a :class:`~wordlab.errors.WordlabError` whose message names the file
(and, for line-based formats, the line, item or byte offset); a
:class:`~wordlab.errors.WordlabWarning` must name the file too. Runs are derandomised
(reproducible in CI) and short: a few seconds per reader.

Also here: the checks every text reader shares (a byte-order mark is skipped, CRLF is
read like LF), run on the same seeds.
"""
from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from wordlab.store import formats

_SPEC = importlib.util.spec_from_file_location("wordlab_evals_fuzz", Path(__file__).resolve().parents[1]
                                               / "evals" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = fuzz   # dataclasses look their module up
_SPEC.loader.exec_module(fuzz)

_UNIT = st.floats(0, 1, exclude_max=True, allow_nan=False)
_OPS = st.lists(st.builds(fuzz.Op, st.sampled_from(fuzz.MUTATIONS), _UNIT, _UNIT,
                          st.one_of(st.sampled_from(fuzz.NASTY), st.binary(min_size=1, max_size=8))),
                min_size=1, max_size=3)

#: Examples per reader: readers through ``wordlab.load`` import into a store (slower).
_SLOW_READERS = {"w2v-text", "w2v-bin", "w2v-gz", "glove", "vec", "store"}


def _check_damage(reader: str, tmp: Path, max_examples: int) -> None:
    candidates = fuzz.seeds(reader)

    @settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(index=st.integers(0, len(candidates) - 1), ops=_OPS, which=_UNIT, damage_compressed=st.booleans())
    def check(index, ops, which, damage_compressed):
        seed = candidates[index]
        files = fuzz.build(seed, ops, which, damage_compressed)
        workdir = Path(tempfile.mkdtemp(dir=tmp))
        try:
            outcome = fuzz.run_case(reader, seed, files, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        assert outcome.problem is None, f"{outcome.problem} <- " + "; ".join(map(str, ops))

    check()


@pytest.mark.parametrize("reader", list(fuzz.READERS))
def test_damaged_input_is_read_or_one_wordlab_error(reader, tmp_path):
    _check_damage(reader, tmp_path, 60 if reader in _SLOW_READERS else 150)


@pytest.mark.parametrize("reader", ["w2v-text", "w2v-bin", "w2v-gz"])
def test_damaged_input_with_a_tiny_read_buffer(reader, tmp_path, monkeypatch):
    # every refill path of the readers meets the damage
    monkeypatch.setattr(formats, "_READ_BYTES", 7)
    _check_damage(reader, tmp_path, 40)


# -- what every text reader shares -----------------------------------------------------------
def _read(seed, files: dict[str, bytes], where: Path):
    where.mkdir()
    return seed.read(fuzz.write_files(seed, files, where))


def _plain_files(seed) -> dict[str, bytes]:
    return {name: seed.compress(data) if seed.compress else data for name, data in seed.files.items()}


_TEXT_READERS = [r for r in fuzz.READERS if r not in ("w2v-bin", "store", "fasttext-bin")]   # binary formats: no BOM


@pytest.mark.parametrize("reader", _TEXT_READERS + ["w2v-bin"])
def test_byte_order_mark_is_skipped(reader, tmp_path):
    for i, seed in enumerate(fuzz.seeds(reader)):
        expected = _read(seed, _plain_files(seed), tmp_path / f"plain{i}")
        with_bom = {name: (seed.compress or bytes)(b"\xef\xbb\xbf" + data) for name, data in seed.files.items()}
        assert _read(seed, with_bom, tmp_path / f"bom{i}") == expected, seed.root


@pytest.mark.parametrize("reader", _TEXT_READERS)
def test_crlf_reads_like_lf(reader, tmp_path):
    for i, seed in enumerate(s for s in fuzz.seeds(reader) if ".bin" not in s.root):
        expected = _read(seed, _plain_files(seed), tmp_path / f"plain{i}")
        crlf = {name: (seed.compress or bytes)(data.replace(b"\n", b"\r\n")) for name, data in seed.files.items()}
        assert _read(seed, crlf, tmp_path / f"crlf{i}") == expected, seed.root


def test_store_vocab_with_a_byte_order_mark(tmp_path):
    seed, = fuzz.seeds("store")
    expected = _read(seed, seed.files, tmp_path / "plain")
    files = dict(seed.files, **{"vocab.tsv": b"\xef\xbb\xbf" + seed.files["vocab.tsv"],
                                "meta.json": b"\xef\xbb\xbf" + seed.files["meta.json"]})
    assert _read(seed, files, tmp_path / "bom") == expected


def test_the_mutations_change_the_input():
    data = b"3 2\na 1.5 2\nb 3 4\n"
    assert fuzz.mutate(data, "truncate", 0.5, 0, b"") == data[:9]
    assert fuzz.mutate(data, "number", 0.99, 0.0, b"") == b"3 2\na 1.5 2\nb 3 1e39\n"
    assert fuzz.mutate(data, "header", 0.0, 0, b"") == b"0 0\na 1.5 2\nb 3 4\n"
    for op in fuzz.MUTATIONS:
        assert isinstance(fuzz.mutate(data, op, 0.3, 0.6, b"\x00x"), bytes)
