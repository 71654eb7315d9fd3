"""``wordlab``: the command-line face of the lab (click).

Every failure prints one line and exits non-zero (see :mod:`wordlab.cli.common`):
``Error: ...`` (status 1) for user mistakes, bad input and the environment,
``Internal error ...`` (status 70) for a bug of ours; ``--debug`` shows the traceback.
"""
from __future__ import annotations

import sys

import click

from .._version import __version__
from .align import align
from .cache import cache
from .common import Group
from .corpus import corpus
from .debias import bias, debias
from .debias_methods import debias_double_hard  # noqa: F401 (adds double-hard, inlp, multiclass to `debias`)
from .evaluate import eval_command
from .plot import plot
from .stores import compress, convert, index_command, info, neighbors
from .train import train


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wordlab")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """wordlab: train, align, debias and evaluate static word embeddings.

    A STORE argument accepts a store directory or a word2vec text/binary, GloVe or
    fastText .vec file.
    """


for command in (corpus, train, info, neighbors, convert, compress, index_command, eval_command, align, bias, debias, plot, cache):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="wordlab")


if __name__ == "__main__":
    sys.exit(main())
