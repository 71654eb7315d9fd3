"""``wordlab corpus ...``: inspect and encode corpora."""
from __future__ import annotations

from pathlib import Path

import click

from .common import Group, overwrite_option
from .options import corpus_options, int_list, make_corpus


@click.group(cls=Group)
def corpus() -> None:
    """Inspect and encode corpora."""


@corpus.command("stats")
@click.argument("paths", nargs=-1, required=True)
@click.option("--min-counts", default="1,2,3,5,10,20,50,100", show_default=True,
              help="min_count values at which to report coverage.")
@corpus_options
def corpus_stats(paths, min_counts, **kw) -> None:
    """Tokens, types and coverage at several min_count values of PATHS."""
    c = make_corpus(paths, **kw)
    vocab = c.build_vocab(progress=None)
    click.echo(f"files:   {len(c.files)}")
    click.echo(f"tokens:  {vocab.total_tokens:,}")
    click.echo(f"types:   {len(vocab):,}")
    table = vocab.coverage(int_list(min_counts))
    table["token_coverage"] = (100 * table["token_coverage"]).map("{:.2f}%".format)
    table["type_share"] = (100 * table["type_share"]).map("{:.2f}%".format)
    click.echo(table.to_string(index=False))


@corpus.command("encode")
@click.argument("paths", nargs=-1)
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--max-size", type=click.IntRange(min=1), default=None, help="Keep at most this many words.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Write here instead of the cache.")
@overwrite_option("an existing encoded corpus at --out")
@corpus_options
def corpus_encode(paths, min_count, max_size, out, overwrite, **kw) -> None:
    """Encode PATHS (default: the embedded corpus) to memory-mapped token ids."""
    if out:
        from ..atomic import check_target
        check_target(Path(out), overwrite, directory=True, kinds=("wordlab-encoded-corpus",))
    c = make_corpus(paths, **kw)
    enc = c.encode(min_count=min_count, max_size=max_size, out=out, progress=None, overwrite=overwrite)
    click.echo(repr(enc))
