"""The public API documents itself: every public class's docstring has a numpydoc
``Parameters`` (or, for result records, ``Attributes``) section naming every argument of
its constructor, and the old spellings are documented as deprecated aliases. And the
benchmark tables of evals/README.md are generated, not pasted."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PACKAGES = ["wordlab", "wordlab.trainers", "wordlab.align", "wordlab.debias", "wordlab.evals", "wordlab.store",
            "wordlab.corpus", "wordlab.cooccur"]


def _public_classes():
    seen = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and not issubclass(obj, BaseException) and obj not in seen.values():
                seen[f"{package}.{name}"] = obj
    return seen


CLASSES = _public_classes()


def _arguments(cls) -> list[str]:
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls) if f.init]
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return []
    return [n for n, p in sig.parameters.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_constructor_argument_is_documented(name):
    cls = CLASSES[name]
    arguments = _arguments(cls)
    if not arguments:
        return
    doc = inspect.getdoc(cls) or ""
    section = "Attributes" if dataclasses.is_dataclass(cls) else "Parameters"
    assert re.search(rf"^{section}\b.*\n-{{3,}}$", doc, re.M), f"{name} has no numpydoc {section} section"
    missing = [a for a in arguments if not re.search(rf"^(\w+, )*{a}\b.*:", doc, re.M)]
    assert not missing, f"{name} does not document {', '.join(missing)}"


def test_the_trainers_sections_come_from_the_declared_parameters():
    from wordlab.trainers import GloVe
    from wordlab.trainers.parameters import declared
    doc = inspect.getdoc(GloVe)
    assert "x_max : float, default 100.0" in doc
    assert declared(GloVe)["x_max"].help in doc
    assert "output : {'sum', 'word', 'concat'}, default 'sum'" in doc


_FOOTER = re.compile(r"^wordlab \d+\.\d+\.\d+ at [0-9a-f]{7}", re.MULTILINE)


def pasted_benchmark_tables(text: str) -> list[str]:
    """The headings of benchmark outputs (fenced blocks in a Results section, or ending
    in a ``wordlab X at REV`` line) that are neither a generated block nor in a History
    section."""
    stack: dict[int, str] = {}
    generated = fenced = False
    block: list[str] = []
    out = []
    for line in text.splitlines():
        if fenced:
            if line.startswith("```"):
                fenced = False
                output = _FOOTER.search("\n".join(block)) or "Results" in stack.values()
                if output and not generated and not any(t.startswith("History") for t in stack.values()):
                    out.append(" / ".join(stack[k] for k in sorted(stack)))
            else:
                block.append(line)
            continue
        if line.startswith("```"):
            fenced, block = True, []
        elif line.startswith("<!-- generated:"):
            generated = True
        elif line.startswith("<!-- end:"):
            generated = False
        elif re.match(r"#+ ", line):
            level = len(line) - len(line.lstrip("#"))
            stack = {k: v for k, v in stack.items() if k < level}
            stack[level] = line.lstrip("#").strip()
    return out


def test_pasted_benchmark_tables_are_found():
    text = ("## Results\n### a\n```\nx\nwordlab 0.1.0 at abcdef1; machine\n```\n"
            "### History: old runs\n#### b\n```\nwordlab 0.1.0 at abcdef2\n```\n"
            "### c\n<!-- generated: results/c -->\n```\nwordlab 0.1.0 at abcdef3\n```\n<!-- end: results/c -->\n")
    assert pasted_benchmark_tables(text) == ["Results / a"]


def test_every_benchmark_table_is_generated_or_history():
    """No figure in evals/README.md is older than the code it describes: every benchmark
    output is a generated block (rewritten from evals/results/ when the script is run with
    --results), unless it sits in a History section, as a dated record of earlier code."""
    text = (REPO / "evals" / "README.md").read_text(encoding="utf-8")
    assert pasted_benchmark_tables(text) == []
