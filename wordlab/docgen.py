"""Generated blocks of Markdown files: text the code owns, never pasted by hand.

A block is ``<!-- generated: NAME -->`` ... ``<!-- end: NAME -->``; :data:`BLOCKS` maps
NAME to the function that writes its body. ``python -m wordlab.docgen README.md``
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

_BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)


def render(text: str) -> str:
    """``text`` with the body of every generated block rewritten; an unknown block name
    is a ``KeyError`` naming it."""
    def replace(m: re.Match) -> str:
        if m["name"] not in BLOCKS:
            raise KeyError(f"unknown generated block {m['name']!r}; known: {', '.join(BLOCKS)}")
        return m.group(1) + BLOCKS[m["name"]]().rstrip("\n") + "\n" + m.group(4)
    return _BLOCK.sub(replace, text)


def stale_blocks(text: str) -> list[str]:
    """The names of the blocks of ``text`` whose body is not current."""
    return [m["name"] for m in _BLOCK.finditer(text) if render(m.group(0)) != m.group(0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wordlab.docgen",
                                     description="Rewrite (or --check) the generated blocks of Markdown files.")
    parser.add_argument("paths", type=Path, nargs="+")
    parser.add_argument("--check", action="store_true", help="exit 1 when a block is not current")
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        text = path.read_text(encoding="utf-8")
        if args.check:
            stale = stale_blocks(text)
            if stale:
                print(f"{path}: generated blocks out of date: {', '.join(stale)}; run python -m wordlab.docgen "
                      f"{path}", file=sys.stderr)
                status = 1
        else:
            new = render(text)
            if new != text:
                path.write_text(new, encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
