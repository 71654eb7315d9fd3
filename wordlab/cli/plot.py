"""``wordlab plot ...``: the figures of :mod:`wordlab.evals.figures`, written to PNG (or any
format matplotlib knows by the file's extension)."""
from __future__ import annotations

from pathlib import Path

import click

from .common import Group, check_output_file, overwrite_option, save_figure


def _save(fig, out: str, overwrite: bool) -> None:
    save_figure(fig, out, overwrite)
    click.echo(f"plot: {out}", err=True)


def _out_option(f):
    """``-o/--out`` and ``--overwrite`` (the commands refuse an existing file before any work)."""
    f = overwrite_option("the image file")(f)
    return click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
                        help="Image file to write (PNG; the extension picks the format).")(f)


@click.group(cls=Group)
def plot() -> None:
    """Figures of runs and stores: loss curves, 2-D projections, neighbour graphs, evaluation bars."""


out_option = _out_option


@plot.command("loss")
@click.argument("stores", nargs=-1, required=True)
@click.option("--relative", is_flag=True, help="Divide each curve by its first epoch's loss.")
@click.option("--separate", is_flag=True, help="One panel per run, each with its own y-axis.")
@click.option("--label", "labels", multiple=True, help="A name per STORE, in order (default: the method).")
@out_option
def loss(stores, relative, separate, labels, out, overwrite) -> None:
    """Loss per epoch of one or more trained STORES."""
    check_output_file(out, overwrite)
    from ..evals.figures import loss_curves
    from ..store import load
    runs = [load(s) for s in stores]
    if labels and len(labels) != len(runs):
        raise click.UsageError(f"{len(labels)} --label for {len(runs)} stores")
    names = list(labels) if labels else [Path(s).name if len(runs) > 1 else r.meta.get("method", Path(s).name)
                                         for s, r in zip(stores, runs)]
    _save(loss_curves(runs, names, relative=relative, separate=separate), out, overwrite)


def _html_options(f):
    """``--html OUT.html`` (the interactive explorer, :mod:`wordlab.evals.explorer`) beside ``-o``;
    ``-o`` becomes optional: a command needs one of them."""
    f = click.option("--html", "html_out", type=click.Path(dir_okay=False), default=None,
                     help="Also (or instead) write an interactive page: hover for neighbours, search a word "
                          "(pip install 'wordlab[explorer]').")(f)
    f = overwrite_option("the output files")(f)
    return click.option("-o", "--out", type=click.Path(dir_okay=False), default=None,
                        help="Image file to write (PNG; the extension picks the format).")(f)


def _outputs(out, html_out, overwrite) -> None:
    if not out and not html_out:
        raise click.UsageError("give -o OUT.png, --html OUT.html, or both")
    for path in (out, html_out):
        check_output_file(path, overwrite)


def _write_html(html_out, store, words, overwrite, **options) -> None:
    from ..evals.explorer import write_explorer
    write_explorer(html_out, store, words, overwrite=overwrite, **options)
    click.echo(f"explorer: {html_out}", err=True)


@plot.command("projection")
@click.argument("store")
@click.argument("words", nargs=-1, required=True)
@click.option("--method", type=click.Choice(["pca", "tsne"]), default="pca", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="t-SNE's random state.")
@click.option("--compare", default=None, metavar="STORE2",
              help="--html: draw a second, aligned store in the same projection, each word joined to itself.")
@_html_options
def projection(store, words, method, seed, compare, out, html_out, overwrite) -> None:
    """WORDS of STORE in 2-D (PCA or t-SNE), labelled."""
    _outputs(out, html_out, overwrite)
    from ..evals.figures import projection as draw
    from ..store import load
    emb = load(store)
    if out:
        _save(draw(emb, list(words), method=method, seed=seed), out, overwrite)
    if html_out:
        _write_html(html_out, emb, list(words), overwrite, method=method, seed=seed,
                    compare=load(compare) if compare else None,
                    names=(Path(store).name, Path(compare).name) if compare else ("A", "B"))


@plot.command("neighbors")
@click.argument("store")
@click.argument("word")
@click.option("--topn", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--depth", type=click.IntRange(min=1, max=3), default=2, show_default=True)
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=None,
              help="Search only the N most frequent words.")
@_html_options
def neighbors(store, word, topn, depth, restrict_vocab, out, html_out, overwrite) -> None:
    """The nearest-neighbour graph of WORD in STORE."""
    _outputs(out, html_out, overwrite)
    from ..evals.figures import neighbor_graph
    from ..store import load
    emb = load(store)
    if out:
        _save(neighbor_graph(emb, word, topn=topn, depth=depth, restrict_vocab=restrict_vocab), out, overwrite)
    if html_out:
        from ..evals.explorer import neighbourhood_words
        _write_html(html_out, emb, neighbourhood_words(emb, word, topn, depth, restrict_vocab), overwrite,
                    topn=topn)


@plot.command("neighbours", hidden=True, deprecated=True, params=neighbors.params,
              help="Deprecated spelling of 'plot neighbors'.")
@click.pass_context
def neighbours(ctx: click.Context, **kwargs) -> None:
    ctx.invoke(neighbors, **kwargs)


@plot.command("eval")
@click.argument("stores", nargs=-1, required=True)
@click.option("-d", "--dataset", "datasets", multiple=True,
              help="Dataset name or path (repeatable; default: google-analogy, ws353, simlex999).")
@click.option("--metric", default=None, help="Show this metric for every dataset (default: per task).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Shared data directory.")
@out_option
def eval_bars(stores, datasets, metric, data_dir, out, overwrite) -> None:
    """Bars of every STORE on every dataset."""
    check_output_file(out, overwrite)
    from .. import evals
    from ..evals.figures import evaluation_bars
    from ..store import load
    loaded = [load(s) for s in stores]
    table = evals.evaluate(loaded, datasets or evals.DEFAULT_DATASETS, data_dir=data_dir)
    labels = dict(zip([str(e.path) for e in loaded], stores))
    _save(evaluation_bars(table, metric, labels=labels), out, overwrite)
