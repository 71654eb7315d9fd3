"""The notebooks of ``notebooks/``: stored clean, built from their sources, and executed.

Fast checks (always run): every committed notebook has no outputs and no execution
counts; each equals what ``notebooks/build.py`` builds from ``notebooks/src/``; the
sources lint clean (ruff, when installed) and every built code cell compiles; jupytext
(when installed) reads the same cells from the sources; the coursework notebook and its
solutions differ only in the exercise cells and the title.

Execution (marked ``notebooks`` and ``slow``; select with ``-m notebooks``, skip with
``-m "not notebooks"``): every notebook runs top to bottom with nbclient on a fresh
kernel, in a temporary working directory, and any error fails the test. The coursework
notebook runs with every blank filled in by its solution (every check passes, full
points) and as written (it runs to the end, every check says "not attempted"). The data-dependent notebooks also run with ``WORDLAB_DATA`` pointing at
an empty directory, to exercise their fallback. Kernels import this checkout's
``wordlab`` (``PYTHONPATH``) and share one ``WORDLAB_CACHE`` for the session, so encoded
corpora are reused across notebooks.

Every execution fails when a notebook's ``check_claims`` cell prints ``DOES NOT HOLD``:
the claims the prose makes about a run's results are checked on the outputs.

``WORDLAB_NOTEBOOK_OUT=DIR`` keeps the executed notebooks (with outputs) and their run
times (``timings.tsv``) in DIR.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from wordlab.paths import shared_data_dir

REPO_ROOT = Path(__file__).resolve().parents[1]

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(p.stem for p in NOTEBOOK_DIR.glob("*.ipynb"))
EXERCISES, SOLUTIONS = "06_coursework", "06_coursework_solutions"
DATA_DEPENDENT = ["02_methods_compared", "03_semantic_change", "04_low_resource", "05_bias", "08_subwords"]
CELL_TIMEOUT = 300                       # seconds per cell
FALLBACK_MARK = "shared data not found: "  # find_shared_data's line when a data cell falls back


def _load_json(stem: str) -> dict:
    return json.loads((NOTEBOOK_DIR / f"{stem}.ipynb").read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def test_the_notebooks_are_there():
    expected = {"01_quickstart", "02_methods_compared", "03_semantic_change", "04_low_resource", "05_bias",
                EXERCISES, SOLUTIONS, "07_uncertainty", "08_subwords"}
    assert expected <= set(NOTEBOOKS)


# -- fast checks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_stored_without_outputs(stem):
    nb = _load_json(stem)
    assert nb["nbformat"] == 4
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{stem}: cell {n} has outputs; clear them before committing"
            assert cell.get("execution_count") is None, f"{stem}: cell {n} has an execution count"
        assert "execution" not in cell.get("metadata", {}), f"{stem}: cell {n} keeps execution timings"
        assert "attachments" not in cell, f"{stem}: cell {n} has attachments"
    assert "widgets" not in nb.get("metadata", {})


SOURCE_DIR = NOTEBOOK_DIR / "src"


def _builder():
    pytest.importorskip("nbformat")
    spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOK_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_match_their_sources():
    built = _builder().notebooks()
    assert sorted(built) == NOTEBOOKS, "a notebook without a source in notebooks/src, or the other way round"
    for stem, text in built.items():
        committed = (NOTEBOOK_DIR / f"{stem}.ipynb").read_text(encoding="utf-8")
        assert committed == text, f"{stem}.ipynb differs from its source: run python notebooks/build.py"


def test_cell_ids_are_stable_and_unique():
    for stem in NOTEBOOKS:
        ids = [c["id"] for c in _load_json(stem)["cells"]]
        assert len(set(ids)) == len(ids), f"{stem}: repeated cell ids"
    gen = _builder()
    path = SOURCE_DIR / "01_quickstart.py"
    assert [c.id for c in gen.build(path).cells] == [c.id for c in gen.build(path).cells]


def _ruff() -> list[str] | None:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    return [shutil.which("ruff")] if shutil.which("ruff") else None


def test_notebook_sources_compile_and_lint_clean():
    """Every source and every built code cell compiles; ruff passes the sources and, with
    no allowance for the included names, the built notebooks."""
    for path in sorted(SOURCE_DIR.glob("*.py")):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    for stem in NOTEBOOKS:
        for n, cell in enumerate(_load_json(stem)["cells"]):
            if cell["cell_type"] == "code":
                code = re.sub(r"(?m)^%.*$", "", _source(cell))      # magics are IPython's, not Python
                compile(code, f"{stem}.ipynb, cell {n}", "exec")
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed: compiled only")
    config = ["--config", str(SOURCE_DIR / "ruff.toml")]
    for args in ([str(SOURCE_DIR)],
                 [*config, "--config", "builtins = []", "--config", "lint.pyflakes.allowed-unused-imports = []",
                  *[str(NOTEBOOK_DIR / f"{stem}.ipynb") for stem in NOTEBOOKS]]):
        done = subprocess.run([*ruff, "check", "--no-cache", *args], check=False, capture_output=True, text=True, cwd=REPO_ROOT)
        assert done.returncode == 0, done.stdout + done.stderr


def test_jupytext_reads_the_same_cells():
    """The sources are jupytext's percent format: it reads the cells that build.py reads
    (before the includes and the solution regions are resolved, which are build.py's own)."""
    jupytext = pytest.importorskip("jupytext")
    gen = _builder()
    for path in sorted(SOURCE_DIR.glob("[!_]*.py")):
        theirs, ours = jupytext.read(path).cells, gen.read_source(path)
        assert len(theirs) == len(ours), path.name
        for n, (a, b) in enumerate(zip(theirs, ours)):
            meta = {k: v for k, v in a.metadata.items() if k != "lines_to_next_cell"}
            text = (gen._markdown(b["lines"], path.name) if b["kind"] == "markdown"
                    else "\n".join(gen.MAGIC.sub(r"\1", line) for line in b["lines"]))
            assert (a.cell_type, meta, a.source.strip("\n")) == (b["kind"], b["meta"], text), f"{path.name}, cell {n}"


def test_the_exercises_are_the_solutions_with_blanks():
    """The only coursework source is the solutions': each exercise cell has one solution region."""
    gen = _builder()
    for cell in gen.read_source(SOURCE_DIR / f"{SOLUTIONS}.py"):
        regions = sum(1 for line in cell["lines"] if gen.BEGIN.match(line))
        assert regions == ("exercise" in cell["meta"].get("tags", [])), cell["raw"][:200]
    assert not (SOURCE_DIR / f"{EXERCISES}.py").exists()


def test_coursework_exercises_and_solutions_come_from_one_source():
    ex, sol = _load_json(EXERCISES)["cells"], _load_json(SOLUTIONS)["cells"]
    assert len(ex) == len(sol)
    names = []
    for n, (a, b) in enumerate(zip(ex, sol)):
        assert a["id"] == b["id"] and a["cell_type"] == b["cell_type"]
        tags = a["metadata"].get("tags", [])
        if "exercise" in tags:
            name = a["metadata"]["wordlab"]["exercise"]
            assert b["metadata"]["wordlab"]["exercise"] == name
            names.append(name)
            assert "# YOUR CODE HERE" in _source(a) and "raise NotImplementedError" in _source(a)
            assert "YOUR CODE HERE" not in _source(b) and "NotImplementedError" not in _source(b)
            following = ex[n + 1]
            assert following["cell_type"] == "code" and _source(following).startswith("# check"), \
                f"exercise {name!r} is not followed by its check cell"
        elif "title" in tags:
            assert "solutions" in _source(b) and "solutions" not in _source(a).split("\n")[0]
        elif "answer" in tags:
            assert a["cell_type"] == "markdown" and "Model answers" in _source(b)
            assert "Model answers" not in _source(a) and "solutions notebook" in _source(a)
        else:
            assert _source(a) == _source(b), f"cell {n} differs between the exercises and the solutions"
    assert names == ["sgns-update", "three-cos-add", "procrustes"]


# -- execution -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def notebook_cache(tmp_path_factory) -> Path:
    """One WORDLAB_CACHE for every notebook of the session: encodings are reused."""
    return tmp_path_factory.mktemp("notebook-cache")


@pytest.fixture(scope="session")
def empty_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("no-shared-data")


@pytest.fixture
def kernel_env(monkeypatch, notebook_cache, empty_data_dir, tmp_path_factory):
    """The environment the kernel inherits; returns the shared data directory in use (or None)."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the notebooks' temporary work directories (tempfile.mkdtemp) land in pytest's tmp, not /tmp
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("kernel-tmp")))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO_ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    monkeypatch.setenv("WORDLAB_CACHE", str(notebook_cache))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")   # render every figure
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    data = shared_data_dir()
    # Without shared data, point at an empty directory so no other location is guessed.
    monkeypatch.setenv("WORDLAB_DATA", str(data if data is not None else empty_data_dir))
    return data


def _execute(nb, workdir: Path, label: str, allow_errors: bool = False) -> float:
    """Run ``nb`` in place on a fresh kernel started in ``workdir``; returns the seconds taken."""
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(workdir)}})
    repo_before = sorted(os.listdir(REPO_ROOT)), sorted(os.listdir(NOTEBOOK_DIR))
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    assert (sorted(os.listdir(REPO_ROOT)), sorted(os.listdir(NOTEBOOK_DIR))) == repo_before, \
        f"{label} wrote into the repository"
    # The text's claims about the results, checked by the notebook's check_claims cells.
    broken = [line for c in nb.cells if c.cell_type == "code" for line in _text_outputs(c).splitlines()
              if line.startswith("DOES NOT HOLD")]
    assert not broken, f"{label}: a claim of the text does not hold on this run: {broken}"
    keep = os.environ.get("WORDLAB_NOTEBOOK_OUT")
    if keep:
        import nbformat
        out = Path(keep)
        out.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out / f"{label}.ipynb")
        with open(out / "timings.tsv", "a", encoding="utf-8") as fh:
            fh.write(f"{label}\t{seconds:.1f}\n")
    print(f"{label}: {seconds:.1f} s")
    return seconds


def _text_outputs(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif "data" in o:
            parts.append(o["data"].get("text/plain", ""))
    return "".join(parts)


def _check_setup_cell(nb, label: str) -> None:
    """The first code cell prints where wordlab came from: it must be this checkout."""
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert f"from {REPO_ROOT / 'wordlab'}" in _text_outputs(first), \
        f"{label}: the kernel did not import this checkout's wordlab:\n{_text_outputs(first)}"


def _read(stem: str):
    import nbformat
    return nbformat.read(NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4)


def _check_data_choice(stem: str, said: str, data: Path | None) -> None:
    """The data cell fell back exactly when the shared data lacks a file the notebook needs.

    The fallback line names what was missing; each named path must really be absent
    (a shared data directory may hold only some of the corpora)."""
    lines = [line for line in said.splitlines() if line.startswith(FALLBACK_MARK)]
    if data is None:
        assert lines, f"{stem}: no shared data, yet the data cell did not say that it fell back"
        return
    if not lines:
        return
    reason = lines[0][len(FALLBACK_MARK):]
    assert " lacks " in reason, f"{stem}: fell back although {data} is there: {reason}"
    missing = reason.split(" lacks ", 1)[1].split(", ")
    present = [m for m in missing if (data / m).exists()]
    assert not present, f"{stem}: fell back for files that {data} holds: {present}"
    warnings.warn(f"{stem} ran on its fallback: {data} lacks {', '.join(missing)}")


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("stem", [s for s in NOTEBOOKS if s != EXERCISES])
def test_notebook_runs(stem, kernel_env, tmp_path):
    nb = _read(stem)
    _execute(nb, tmp_path, stem)
    _check_setup_cell(nb, stem)
    if stem in DATA_DEPENDENT:
        said = "".join(_text_outputs(c) for c in nb.cells if c.cell_type == "code")
        _check_data_choice(stem, said, kernel_env)


@pytest.mark.notebooks
@pytest.mark.slow
def test_coursework_checks_pass_with_the_solutions_and_fail_without(kernel_env, tmp_path):
    solutions = {c.metadata["wordlab"]["exercise"]: c.source for c in _read(SOLUTIONS).cells
                 if "exercise" in c.metadata.get("tags", [])}
    filled = _read(EXERCISES)
    blank = copy.deepcopy(filled)
    for cell in filled.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = solutions[cell.metadata["wordlab"]["exercise"]]
    (tmp_path / "filled").mkdir()
    _execute(filled, tmp_path / "filled", f"{EXERCISES}-filled")
    checks = [c for c in filled.cells if c.cell_type == "code" and c.source.startswith("# check")]
    assert len(checks) == 3 and all(re.search(r"^OK ", _text_outputs(c), re.M) for c in checks), \
        [_text_outputs(c) for c in checks]
    assert "total: 10/10 points" in _text_outputs(filled.cells[-1])

    # As handed out: Run All reaches the end, and every check says the exercise was not attempted.
    (tmp_path / "blank").mkdir()
    _execute(blank, tmp_path / "blank", f"{EXERCISES}-blank")
    checks = [c for c in blank.cells if c.cell_type == "code" and c.source.startswith("# check")]
    assert len(checks) == 3 and all(re.search(r"^NOT ATTEMPTED ", _text_outputs(c), re.M) for c in checks), \
        [_text_outputs(c) for c in checks]
    assert "total: 0/10 points" in _text_outputs(blank.cells[-1])


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("stem", DATA_DEPENDENT)
def test_notebook_falls_back_without_shared_data(stem, kernel_env, empty_data_dir, monkeypatch, tmp_path):
    if kernel_env is None:
        pytest.skip("no shared data: test_notebook_runs already ran the fallback")
    monkeypatch.setenv("WORDLAB_DATA", str(empty_data_dir))
    nb = _read(stem)
    _execute(nb, tmp_path, f"{stem}-fallback")
    said = "".join(_text_outputs(c) for c in nb.cells if c.cell_type == "code")
    assert FALLBACK_MARK in said, f"{stem} did not say that it fell back"
