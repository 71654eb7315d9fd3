"""Snippets that several notebooks share, written once: not a module the notebooks import.

A line ``# include: NAME`` in a notebook source is replaced by the snippet NAME below
(the lines after ``# snippet: NAME (what it is)``, up to the next snippet), so every
built notebook is self-contained: it runs on its own in Jupyter, with nothing of this
directory beside it. In ``setup``, ``NN`` of ``"wordlab-NN-"`` becomes the notebook's
number. The imports here are only for the linter: each notebook's setup cell imports
what its snippets use (tests/test_notebooks.py lints the built notebooks for that).
"""
import os
import tempfile
from pathlib import Path

import pandas as pd

import wordlab

# snippet: setup (the end of a notebook's first cell: display options, the work directory, which wordlab)
pd.set_option("display.precision", 3)
WORK = Path(tempfile.mkdtemp(prefix="wordlab-NN-"))
print(f"wordlab {wordlab.__version__} from {Path(wordlab.__file__).parent}; work directory {WORK}")

# snippet: find_shared_data (Jupyter starts the kernel in the notebook's directory, notebooks/)
def find_shared_data(*required: str) -> Path | None:
    """The shared data directory when it holds every ``required`` path, else None.

    ``$WORDLAB_DATA`` when set, otherwise ``../../shared/data`` relative to this
    notebook (the repository's ``../shared/data``). When it returns None, it prints
    what it looked for and which of the required paths were missing."""
    env = os.environ.get("WORDLAB_DATA")
    root = Path(env).expanduser() if env else Path("..", "..", "shared", "data")
    missing = [r for r in required if not (root / r).exists()]
    if root.is_dir() and not missing:
        return root.resolve()
    print(f"shared data not found: {root} " + (f"lacks {', '.join(missing)}" if root.is_dir() else "is not a directory"))
    return None

# snippet: take_tokens (a prefix of a corpus: 02 and 05 train on the first tokens of enwiki-text8style)
def take_tokens(sentences, n):
    """The first n tokens of a sentence stream, cut into 1,000-token sentences."""
    tokens = []
    for sentence in sentences:
        tokens.extend(sentence)
        if len(tokens) >= n:
            break
    return [tokens[a:a + 1000] for a in range(0, min(n, len(tokens)), 1000)]

# snippet: check_claims (the text's claims, checked on this run; tests/test_notebooks.py fails on one that does not hold)
def check_claims(claims: dict) -> None:
    """Print each claim the text makes about this run's results, and whether it holds."""
    for text, holds in claims.items():
        print(f"{'holds' if holds else 'DOES NOT HOLD'}: {text}")
