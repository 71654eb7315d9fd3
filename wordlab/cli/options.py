"""Options and helpers shared by several ``wordlab`` commands (one place for each)."""
from __future__ import annotations

import click

from ..tables import FORMATS


def corpus_options(f):
    f = click.option("--no-lowercase", is_flag=True, help="Keep the case of the text.")(f)
    f = click.option("--sentence-split", is_flag=True,
                     help="Also split lines into sentences at . ! ? (Sinhala news glues sentences).")(f)
    f = click.option("--paragraphs", is_flag=True,
                     help="Hard-wrapped text: a blank line ends a sentence, single newlines are spaces.")(f)
    f = click.option("--errors", type=click.Choice(["strict", "replace", "ignore"]), default="strict",
                     show_default=True, help="What invalid UTF-8 does.")(f)
    f = click.option("--max-sentence-length", type=click.IntRange(min=1), default=10_000, show_default=True,
                     help="Longer sentences are split into pieces of this many tokens.")(f)
    f = click.option("--include", default="*", show_default=True, metavar="GLOB",
                     help="Which files of a directory are read (those that are not text are skipped with a note).")(f)
    return f


def make_corpus(paths, no_lowercase, sentence_split, paragraphs, errors, max_sentence_length, include="*"):
    from ..corpus import Corpus
    if not paths:
        return Corpus.default(lowercase=not no_lowercase, sentence_split=sentence_split,
                              max_sentence_length=max_sentence_length, errors=errors)
    return Corpus(list(paths), lowercase=not no_lowercase, sentence_split=sentence_split, paragraphs=paragraphs,
                  max_sentence_length=max_sentence_length, errors=errors, include=include)


def int_list(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise click.BadParameter("values must be positive integers")
    return values


def format_option(help: str = "How to print the table."):
    """``--format table|markdown|csv|json`` (:mod:`wordlab.tables`)."""
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help=help)


#: ``--workers N``: threads of a command's searches or kernels (default: every CPU)
workers_option = click.option("--workers", type=click.IntRange(1, 4096), default=None,
                              help="Threads (default: all cores).")


#: ``--dask SPEC``: run the stages that can run on a Dask cluster there (wordlab.distributed)
dask_option = click.option(
    "--dask", "dask_spec", default=None, metavar="SPEC",
    help="Run encoding, co-occurrence counting and PU-learning's iterations on a Dask cluster: local[:N] "
         "(N worker processes) or a scheduler address tcp://HOST:PORT. Inputs and outputs must be on a path "
         "every worker sees (pip install 'wordlab[dask]').")


def dask_client(spec: str | None):
    """A context manager giving the Dask client of ``--dask`` (None without it)."""
    import contextlib
    if not spec:
        return contextlib.nullcontext(None)
    from ..distributed import session
    return session(spec)
