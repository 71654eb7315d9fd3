"""``wordlab corpus ...``: inspect and encode corpora."""
from __future__ import annotations

from pathlib import Path

import click

from .common import Group, overwrite_option
from .options import corpus_options, dask_client, dask_option, int_list, make_corpus


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
@dask_option
@corpus_options
def corpus_encode(paths, min_count, max_size, out, overwrite, dask_spec, **kw) -> None:
    """Encode PATHS (default: the embedded corpus) to memory-mapped token ids."""
    if out:
        from ..atomic import check_target
        check_target(Path(out), overwrite, directory=True, kinds=("wordlab-encoded-corpus",))
    c = make_corpus(paths, **kw)
    with dask_client(dask_spec) as client:
        enc = c.encode(min_count=min_count, max_size=max_size, out=out, progress=None, overwrite=overwrite,
                       client=client)
    click.echo(repr(enc))


@corpus.command("cooccur")
@click.argument("paths", nargs=-1)
@click.option("--window", type=click.IntRange(1, 100_000), default=10, show_default=True, help="Context radius.")
@click.option("--weighting", type=click.Choice(["harmonic", "none"]), default="harmonic", show_default=True,
              help="1/distance (GloVe) or plain counts.")
@click.option("--direction", type=click.Choice(["both", "left", "right"]), default="both", show_default=True)
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--max-size", type=click.IntRange(min=1), default=None, help="Keep at most this many words.")
@click.option("--memory-limit", type=click.IntRange(min=1 << 16), default=1 << 30, show_default=True,
              help="Bytes for one counting task.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Write the matrix here instead of the cache.")
@overwrite_option("an existing co-occurrence matrix at --out")
@dask_option
@corpus_options
def corpus_cooccur(paths, window, weighting, direction, min_count, max_size, memory_limit, out, overwrite,
                   dask_spec, **kw) -> None:
    """Count the word-context co-occurrences of PATHS (default: the embedded corpus)."""
    from ..cooccur import count_cooccurrences
    from ..cooccur.matrix import FORMAT
    if out:
        from ..atomic import check_target
        check_target(Path(out), overwrite, directory=True, kinds=(FORMAT,))
    c = make_corpus(paths, **kw)
    with dask_client(dask_spec) as client:
        encoded = c.encode(min_count=min_count, max_size=max_size, progress=None, client=client)
        m = count_cooccurrences(encoded, window=window, weighting=weighting, direction=direction,
                                memory_limit=memory_limit, out=out, overwrite=overwrite, progress=None,
                                client=client)
    click.echo(f"matrix:  {m.path}")
    click.echo(f"shape:   {m.n_words:,} x {m.n_words:,}, {m.nnz:,} non-zeros, total weight "
               f"{m.meta['total_weight']:,.1f}")
