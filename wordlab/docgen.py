"""Generated blocks of Markdown files: text the code owns, never pasted by hand.

A block is ``<!-- generated: NAME -->`` ... ``<!-- end: NAME -->``; :data:`BLOCKS` maps
NAME to the function that writes its body, and ``results/NAME`` is the file
``results/NAME.md`` beside the Markdown file (a benchmark's table as the script wrote it,
with its command, date, revision and machine: see ``evals/_bench.py``'s ``write_results``). ``python -m wordlab.docgen README.md``
rewrites every block; ``--check`` exits 1 (naming the stale blocks) when one is not
current, which the tests run on the README.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable


def _train_synopsis() -> str:
    from .trainers.registry import train_synopsis
    return f"```\n{train_synopsis()}\n```"


def _methods() -> str:
    from .trainers.registry import methods_markdown
    return methods_markdown()


#: block name -> the function that writes its body
BLOCKS: dict[str, Callable[[], str]] = {"methods": _methods, "train-synopsis": _train_synopsis}

_BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z0-9_/.-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)


def _body(name: str, base: Path | None) -> str:
    if name.startswith("results/"):
        if base is None:
            raise KeyError(f"block {name!r} needs the Markdown file's directory")
        path = base / f"{name}.md"
        if not path.is_file():
            raise KeyError(f"block {name!r}: {path} does not exist (run the benchmark with --results)")
        return path.read_text(encoding="utf-8")
    if name not in BLOCKS:
        raise KeyError(f"unknown generated block {name!r}; known: {', '.join(BLOCKS)}, results/NAME")
    return BLOCKS[name]()


def render(text: str, base: Path | None = None) -> str:
    """``text`` with the body of every generated block rewritten; ``base`` is the
    directory of the Markdown file (for ``results/`` blocks). An unknown block, or a
    missing results file, is a ``KeyError`` naming it."""
    def replace(m: re.Match) -> str:
        return m.group(1) + _body(m["name"], base).rstrip("\n") + "\n" + m.group(4)
    return _BLOCK.sub(replace, text)


def stale_blocks(text: str, base: Path | None = None) -> list[str]:
    """The names of the blocks of ``text`` whose body is not current."""
    return [m["name"] for m in _BLOCK.finditer(text) if render(m.group(0), base) != m.group(0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wordlab.docgen",
                                     description="Rewrite (or --check) the generated blocks of Markdown files.")
    parser.add_argument("paths", type=Path, nargs="+")
    parser.add_argument("--check", action="store_true", help="exit 1 when a block is not current")
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        text = path.read_text(encoding="utf-8")
        try:
            render(text, path.parent)
        except KeyError as e:
            print(f"{path}: {e.args[0]}", file=sys.stderr)
            status = 1
            continue
        if args.check:
            stale = stale_blocks(text, path.parent)
            if stale:
                print(f"{path}: generated blocks out of date: {', '.join(stale)}; run python -m wordlab.docgen "
                      f"{path}", file=sys.stderr)
                status = 1
        else:
            new = render(text, path.parent)
            if new != text:
                path.write_text(new, encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
