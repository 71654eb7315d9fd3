"""Build the notebooks of this directory from their sources in ``src/``.

    python notebooks/build.py           # rewrite every .ipynb
    python notebooks/build.py --check   # exit 1 when a committed notebook differs from its source

Each ``src/NAME.py`` is a notebook in jupytext's percent format: ``# %%`` starts a code
cell, ``# %% [markdown]`` a markdown cell whose lines are commented out (``# text``),
and JSON metadata may follow as ``key=value`` (``# %% tags=["exercise"]``). A code line
``# %magic`` is the magic ``%magic``. Two additions, both plain comments to Python:

- ``# include: NAME`` is replaced by the snippet NAME of ``src/_shared.py``, so the
  cells that several notebooks share are written once and every notebook stays
  self-contained;
- ``src/NAME_solutions.py`` builds two notebooks: ``NAME_solutions.ipynb`` with the
  lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (the markers dropped), and
  ``NAME.ipynb``, the exercises, where each such region is the blank
  ``# YOUR CODE HERE`` / ``raise NotImplementedError`` and the title cell (tagged
  ``title``) loses its " (solutions)" and its paragraph for the solutions, and each
  markdown cell tagged ``answer`` (model answers) becomes :data:`ANSWER_BLANK`.

The notebooks are written without outputs or execution counts. A cell's id is derived
from its position and its text in the source, so ids are stable across builds and an
exercise cell shares its id with its solution.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
SHARED = SRC / "_shared.py"
SOLUTIONS = "_solutions"
METADATA = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}}

CELL = re.compile(r"^# %%(?: \[(?P<kind>markdown)\])?(?P<meta>(?: .*)?)$")
META = re.compile(r" (?P<key>[A-Za-z_][\w-]*)=")
MAGIC = re.compile(r"^# (%[A-Za-z]\w*\b.*)$")
INCLUDE = re.compile(r"^# include: (?P<name>\w+)$")
SNIPPET = re.compile(r"^# snippet: (?P<name>\w+)\b.*$", re.MULTILINE)
BEGIN, END = re.compile(r"^(\s*)# BEGIN SOLUTION$"), re.compile(r"^\s*# END SOLUTION$")
BLANK = ("# YOUR CODE HERE", "raise NotImplementedError")
SOLUTIONS_HEADING, SOLUTIONS_NOTE = " (solutions)", "**This is the solutions notebook**"
ANSWER_BLANK = "*Your answers here.* (The model answers are in the solutions notebook.)"


def snippets(path: Path = SHARED) -> dict[str, str]:
    """The snippets of ``_shared.py``: each from its ``# snippet: NAME`` line to the next one."""
    parts = SNIPPET.split(path.read_text(encoding="utf-8"))
    return {name: text.strip("\n") for name, text in zip(parts[1::2], parts[2::2])}


def _metadata(text: str, where: str) -> dict:
    """``key=json key=json ...`` of a cell marker."""
    meta, pos, decoder = {}, 0, json.JSONDecoder()
    while pos < len(text):
        m = META.match(text, pos)
        if not m:
            raise ValueError(f"{where}: cannot read the cell metadata {text[pos:]!r}")
        meta[m["key"]], pos = decoder.raw_decode(text, m.end())
    return meta


def read_source(path: Path) -> list[dict]:
    """The cells of a percent-format source: ``kind``, ``meta``, ``lines`` (as in the file)
    and ``raw`` (the marker and the lines, from which the id is derived)."""
    cells, lines = [], path.read_text(encoding="utf-8").split("\n")
    for n, line in enumerate(lines, 1):
        m = CELL.match(line)
        if m:
            cells.append({"kind": m["kind"] or "code", "meta": _metadata(m["meta"], f"{path.name}:{n}"),
                          "lines": [], "marker": line})
        elif cells:
            cells[-1]["lines"].append(line)
        elif line.strip():
            raise ValueError(f"{path.name}:{n}: text before the first cell")
    for cell in cells:
        while cell["lines"] and not cell["lines"][-1].strip():
            cell["lines"].pop()
        while cell["lines"] and not cell["lines"][0].strip():
            cell["lines"].pop(0)
        cell["raw"] = "\n".join([cell["marker"], *cell["lines"]])
    return cells


def _markdown(lines: list[str], where: str) -> str:
    out = []
    for line in lines:
        if line != "#" and not line.startswith("# "):
            raise ValueError(f"{where}: a markdown line that is not commented out: {line!r}")
        out.append(line[2:])
    return "\n".join(out)


def _code(lines: list[str], shared: dict[str, str], stem: str, blanks: bool, where: str) -> str:
    out, region = [], None
    for line in lines:
        begin, include = BEGIN.match(line), INCLUDE.match(line)
        if begin:
            if region is not None:
                raise ValueError(f"{where}: BEGIN SOLUTION inside a solution")
            region = begin[1]
            if blanks:
                out.extend(region + b for b in BLANK)
        elif END.match(line):
            if region is None:
                raise ValueError(f"{where}: END SOLUTION without BEGIN SOLUTION")
            region = None
        elif region is not None and blanks:
            continue
        elif include:
            if include["name"] not in shared:
                raise ValueError(f"{where}: no snippet {include['name']!r} in {SHARED.name}")
            out.append(shared[include["name"]].replace('"wordlab-NN-"', f'"wordlab-{stem[:2]}-"'))
        else:
            out.append(MAGIC.sub(r"\1", line))
    if region is not None:
        raise ValueError(f"{where}: BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def _exercise_title(text: str) -> str:
    """The exercises' title cell from the solutions': without the solutions' words."""
    first, _, rest = text.partition("\n")
    paragraphs = [p for p in rest.split("\n\n") if not p.startswith(SOLUTIONS_NOTE)]
    return first.replace(SOLUTIONS_HEADING, "", 1) + "\n" + "\n\n".join(paragraphs)


def cell_id(n: int, raw: str) -> str:
    return f"c{n:02d}-" + hashlib.sha256(f"{n}\n{raw}".encode()).hexdigest()[:10]


def build(path: Path, blanks: bool = False, shared: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The notebook of ``path``; with ``blanks``, the exercises of a ``*_solutions`` source."""
    shared = snippets() if shared is None else shared
    stem = path.stem.removesuffix(SOLUTIONS) if blanks else path.stem
    nb = nbformat.v4.new_notebook(metadata=json.loads(json.dumps(METADATA)))
    for n, cell in enumerate(read_source(path)):
        where = f"{path.name}, cell {n}"
        if cell["kind"] == "markdown":
            text = _markdown(cell["lines"], where)
            if blanks and "title" in cell["meta"].get("tags", []):
                text = _exercise_title(text)
            elif blanks and "answer" in cell["meta"].get("tags", []):
                text = ANSWER_BLANK
            new = nbformat.v4.new_markdown_cell(text, metadata=cell["meta"])
        else:
            new = nbformat.v4.new_code_cell(_code(cell["lines"], shared, stem, blanks, where), metadata=cell["meta"])
        new["id"] = cell_id(n, cell["raw"])
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def notebooks(src: Path = SRC) -> dict[str, str]:
    """Every notebook the sources build: ``{stem: .ipynb text}``."""
    shared, out = snippets(), {}
    for path in sorted(src.glob("[!_]*.py")):
        out[path.stem] = render(build(path, shared=shared))
        if path.stem.endswith(SOLUTIONS):
            out[path.stem.removesuffix(SOLUTIONS)] = render(build(path, blanks=True, shared=shared))
    return dict(sorted(out.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when a notebook differs")
    ap.add_argument("--out", default=str(HERE), help="directory to write to (default: this one)")
    args = ap.parse_args()
    out, stale = Path(args.out), []
    for stem, text in notebooks().items():
        path = out / f"{stem}.ipynb"
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date (run python notebooks/build.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
