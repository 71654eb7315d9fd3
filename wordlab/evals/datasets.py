"""Evaluation datasets: parsers and a name -> loader registry.

Formats
-------
- Word pairs (similarity): ``word1<TAB>word2<TAB>score`` per line (whitespace also
  accepted), ``#`` comments, blank lines ignored, a header line tolerated (a first
  line whose score is not a number); annotations after the score are ignored. Any
  other malformed line is an error naming the file and line.
- Google analogies: ``: section`` lines, then ``a b c d`` lines (a is to b as c is to d).
- BATS-style relations: one file per relation of ``a<TAB>b`` pairs, ``/`` separating
  alternative answers (``b1/b2``); every ordered pair of distinct pairs (a, b), (c, d)
  of a relation becomes the question a : b :: c : ? with any alternative of d correct
  (b is the first alternative of its pair). A directory holds one file per relation.

Files are UTF-8 (a byte-order mark is skipped); an invalid byte is an error naming the
file, the line and the byte offset. A score must be a finite number.

Registry
--------
Always available (gensim's installed test data): ``google-analogy``, ``ws353``,
``simlex999``. From the shared data directory (``data_dir=`` or ``$WORDLAB_DATA`` or
``../shared/data``): ``en-ws353-all``, ``en-ws353-sim``, ``en-ws353-rel``,
``en-simlex999``, ``en-men``, ``en-rg65``, ``en-mturk771``, ``si-ws353``. Any file path
works too (format detected: ``:`` section lines mean Google analogies, otherwise pairs).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..corpus.sources import text_lines
from ..errors import InputFormatError, WordlabError, WordlabWarning
from ..paths import shared_file

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class PairDataset:
    """Scored word pairs.

    Attributes
    ----------
    name : str
        The registry name, or the file's stem.
    pairs : list of (str, str, float)
        ``(word1, word2, human_score)``.
    source : str
        Where the pairs were read from.
    """
    name: str
    pairs: list[tuple[str, str, float]]
    source: str = ""
    task: str = field(default="similarity", init=False)

    def __len__(self) -> int:
        return len(self.pairs)


@dataclass
class AnalogyDataset:
    """Analogy questions by section.

    Attributes
    ----------
    name : str
        The registry name, or the file's stem.
    sections : list of (str, list of (str, str, str, tuple of str))
        ``(section, questions)``; a question is ``(a, b, c, answers)``, "a is to b as c
        is to ?", ``answers`` the accepted words.
    source : str
        Where the questions were read from.
    """
    name: str
    sections: list[tuple[str, list[tuple[str, str, str, tuple[str, ...]]]]]
    source: str = ""
    task: str = field(default="analogy", init=False)

    def __len__(self) -> int:
        return sum(len(q) for _, q in self.sections)


# -- parsers --------------------------------------------------------------------------------
def _lines(path: Path):
    """(line number, line) of a dataset file: UTF-8 (a byte-order mark skipped), an
    invalid byte an error naming the file, line and byte offset."""
    if not path.is_file():
        raise WordlabError(f"dataset file {path} not found")
    yield from text_lines(path)


def _nothing_found(path: Path, what: str, n_lines: int) -> InputFormatError:
    return InputFormatError(f"{path}: no {what} found in its {n_lines} line{'' if n_lines == 1 else 's'} "
                            "(blank, comments or a header)")


def read_pairs(path: str | os.PathLike, name: str | None = None) -> PairDataset:
    """Read a word-pair similarity file (see module docstring)."""
    path = Path(path)
    pairs: list[tuple[str, str, float]] = []
    first = True
    line_no = 0
    for line_no, line in _lines(path):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = line.split("\t") if "\t" in line else text.split()
        fields = [f.strip() for f in fields if f.strip()]
        if len(fields) < 3:
            raise InputFormatError(f"{path}, line {line_no}: expected 'word1<TAB>word2<TAB>score', "
                                   f"found {len(fields)} fields: {line[:80]!r}")
        try:  # annotations after the score (the Sinhala WS-353 flags pairs with 'QQQ') are ignored
            score = float(fields[2].split()[0])
        except ValueError:
            if first:  # a header line
                first = False
                continue
            raise InputFormatError(f"{path}, line {line_no}: score {fields[2]!r} is not a number") from None
        if not math.isfinite(score):
            raise InputFormatError(f"{path}, line {line_no}: score {fields[2]!r} is not a finite number")
        first = False
        pairs.append((fields[0], fields[1], score))
    if not pairs:
        raise _nothing_found(path, "word pairs", line_no)
    return PairDataset(name or path.stem, pairs, str(path))


def read_google_analogies(path: str | os.PathLike, name: str | None = None) -> AnalogyDataset:
    """Read a Google-format analogy file (``: section`` lines, then ``a b c d``)."""
    path = Path(path)
    sections: list[tuple[str, list]] = []
    line_no = 0
    for line_no, line in _lines(path):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith(":"):
            sections.append((text[1:].strip(), []))
            continue
        words = text.split()
        if len(words) != 4:
            raise InputFormatError(f"{path}, line {line_no}: expected 'a b c d', found {len(words)} words")
        if not sections:
            sections.append(("default", []))
        sections[-1][1].append((words[0], words[1], words[2], (words[3],)))
    if not any(q for _, q in sections):
        raise _nothing_found(path, "analogy questions", line_no)
    return AnalogyDataset(name or path.stem, sections, str(path))


def read_bats(path: str | os.PathLike, name: str | None = None) -> AnalogyDataset:
    """Read BATS-style relation files (a file, or a directory of them, recursively). In a
    directory the relation files are the ``*.txt`` ones, as BATS 3.0 names them; the rest
    (a README, metadata) is skipped with a note."""
    path = Path(path)
    files = [path]
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        files = [p for p in found if p.suffix.lower() == ".txt"]
        others = [p.name for p in found if p.suffix.lower() != ".txt"]
        if others:
            import warnings
            warnings.warn(f"{path}: {len(others)} file(s) that are not relation files (*.txt) skipped: "
                          f"{', '.join(others[:5])}{' ...' if len(others) > 5 else ''}", WordlabWarning,
                          stacklevel=2)
    sections = []
    n_lines = 0
    for f in files:
        pairs: list[tuple[str, tuple[str, ...]]] = []
        line_no = 0
        for line_no, line in _lines(f):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            fields = line.split("\t") if "\t" in line else text.split()
            if len(fields) != 2:
                raise InputFormatError(f"{f}, line {line_no}: expected 'a<TAB>b[/b2...]', found {line[:80]!r}")
            answers = tuple(w.strip() for w in fields[1].split("/") if w.strip())
            if not answers:
                raise InputFormatError(f"{f}, line {line_no}: no answer")
            pairs.append((fields[0].strip(), answers))
        n_lines += line_no
        questions = [(a, b[0], c, d) for i, (a, b) in enumerate(pairs)
                     for j, (c, d) in enumerate(pairs) if i != j and a != c]
        if questions:
            sections.append((f.stem, questions))
    if not sections:   # (a relation needs two pairs to make a question)
        raise _nothing_found(path, "BATS relation pairs", n_lines)
    return AnalogyDataset(name or path.stem, sections, str(path))


# -- registry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetInfo:
    name: str
    task: str                 # "similarity" or "analogy"
    language: str
    description: str
    source: str
    locate: Callable[[Path | None], Path]
    reader: Callable[..., object]


def _gensim_file(filename: str) -> Callable[[Path | None], Path]:
    def locate(_data_dir: Path | None) -> Path:
        from ..corpus.embedded import gensim_test_data
        path = gensim_test_data() / filename
        if not path.is_file():
            raise WordlabError(f"{filename} is missing from gensim's test data at {path}")
        return path
    return locate


def _shared_file(relative: str) -> Callable[[Path | None], Path]:
    return lambda data_dir: shared_file(relative, "this dataset", data_dir)


def _sim(name, language, description, source, locate) -> DatasetInfo:
    return DatasetInfo(name, "similarity", language, description, source, locate, read_pairs)


REGISTRY: dict[str, DatasetInfo] = {d.name: d for d in [
    DatasetInfo("google-analogy", "analogy", "en", "Google analogy test set, 19,544 questions in 14 sections",
                "Mikolov et al. 2013 (gensim test data)", _gensim_file("questions-words.txt"), read_google_analogies),
    _sim("ws353", "en", "WordSimilarity-353, 353 pairs (relatedness and similarity)",
         "Finkelstein et al. 2002 (gensim test data)", _gensim_file("wordsim353.tsv")),
    _sim("simlex999", "en", "SimLex-999, 999 pairs (similarity, not relatedness)",
         "Hill et al. 2015 (gensim test data)", _gensim_file("simlex999.txt")),
    _sim("en-ws353-all", "en", "WS-353, all 353 pairs", "Finkelstein et al. 2002 (shared data)",
         _shared_file("eval/similarity/EN-WS-353-ALL.txt")),
    _sim("en-ws353-sim", "en", "WS-353 similarity subset (203 pairs)", "Agirre et al. 2009 (shared data)",
         _shared_file("eval/similarity/EN-WS-353-SIM.txt")),
    _sim("en-ws353-rel", "en", "WS-353 relatedness subset (252 pairs)", "Agirre et al. 2009 (shared data)",
         _shared_file("eval/similarity/EN-WS-353-REL.txt")),
    _sim("en-simlex999", "en", "SimLex-999", "Hill et al. 2015 (shared data)",
         _shared_file("eval/similarity/EN-SIMLEX-999.txt")),
    _sim("en-men", "en", "MEN, 3,000 pairs (relatedness, scores 0-50)", "Bruni et al. 2014 (shared data)",
         _shared_file("eval/similarity/EN-MEN-TR-3k.txt")),
    _sim("en-rg65", "en", "Rubenstein-Goodenough, 65 pairs", "Rubenstein and Goodenough 1965 (shared data)",
         _shared_file("eval/similarity/EN-RG-65.txt")),
    _sim("en-mturk771", "en", "MTurk-771, 771 pairs (relatedness)", "Halawi et al. 2012 (shared data)",
         _shared_file("eval/similarity/EN-MTurk-771.txt")),
    _sim("si-ws353", "si", "WordSim-353 translated to Sinhala, 345 pairs",
         "Sinhala intrinsic-evaluation project (shared data)", _shared_file("eval/similarity-si/SI-WS-353.txt")),
]}

#: The datasets ``wordlab eval`` uses when none is named (always available).
DEFAULT_DATASETS = ("google-analogy", "ws353", "simlex999")


def list_datasets() -> "pd.DataFrame":
    """The registry as a table: name, task, language, description, source."""
    import pandas as pd
    return pd.DataFrame([{"name": d.name, "task": d.task, "language": d.language,
                          "description": d.description, "source": d.source} for d in REGISTRY.values()])


def sniff_format(path: Path) -> str:
    """``analogy`` for Google-format files (a ``:`` section line), ``bats`` for a directory
    or two-column files, else ``similarity``."""
    if path.is_dir():
        return "bats"
    line_no = 0
    for line_no, line in _lines(path):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith(":"):
            return "analogy"
        fields = line.split("\t") if "\t" in line else text.split()
        return "bats" if len(fields) == 2 else "similarity"
    raise InputFormatError(f"{path}: empty dataset file ({line_no} lines, all blank or comments)")


def load_dataset(name_or_path: str | os.PathLike, data_dir: str | os.PathLike | None = None,
                 format: str | None = None) -> PairDataset | AnalogyDataset:
    """A dataset by registry name or by path (``format``: similarity, analogy or bats)."""
    key = str(name_or_path)
    if key in REGISTRY and format is None:
        info = REGISTRY[key]
        return info.reader(info.locate(Path(data_dir) if data_dir else None), name=info.name)
    path = Path(name_or_path).expanduser()
    if not path.exists():
        known = ", ".join(REGISTRY)
        raise WordlabError(f"unknown dataset {key!r}: not a registered name ({known}) and no such file")
    fmt = format or sniff_format(path)
    readers = {"similarity": read_pairs, "analogy": read_google_analogies, "bats": read_bats}
    if fmt not in readers:
        raise ValueError(f"format must be one of {tuple(readers)}, not {fmt!r}")
    return readers[fmt](path)
