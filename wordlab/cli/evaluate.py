"""``wordlab eval``: similarity, analogy and EvalRank scores of stores, as a table or a file."""
from __future__ import annotations

import click

from .. import tables
from .common import check_output_file, overwrite_option, save_figure
from .options import format_option


@click.command("eval")
@click.argument("stores", nargs=-1)
@click.option("-d", "--dataset", "datasets", multiple=True,
              help="Registry name or file (repeatable; default: google-analogy, ws353, simlex999).")
@click.option("--evalrank", "evalrank_sets", multiple=True, help="Similarity dataset to run EvalRank on (repeatable).")
@click.option("--analogy-method", type=click.Choice(["3cosadd", "3cosmul"]), default="3cosadd", show_default=True)
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=None,
              help="Known/candidate words: the N most frequent (default: all for similarity, 30,000 for analogies).")
# wordlab.evals.similarity.OOV_POLICIES (not imported here: wordlab.evals takes 1.5 s; a test keeps them equal)
@click.option("--oov", type=click.Choice(["skip", "zero", "mean", "subword"]), default="skip", show_default=True,
              help="Similarity pairs with an unknown word (subword: composed from n-grams in a subword store, "
                   "for analogies and EvalRank too).")
@format_option("table/markdown: totals; csv/json: every section.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Write a PNG: analogy sections by store, or a similarity scatter.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Shared data directory.")
@click.option("--list-datasets", is_flag=True, help="List the registered datasets and exit.")
@overwrite_option("the --plot file")
def eval_command(stores, datasets, evalrank_sets, analogy_method, restrict_vocab, oov, fmt, plot, data_dir,
                 list_datasets, overwrite) -> None:
    """Evaluate STORES on similarity, analogy and EvalRank datasets."""
    from .. import evals
    if list_datasets:
        click.echo(evals.list_datasets().to_string(index=False))
        return
    if not stores:
        raise click.UsageError("give at least one STORE (or --list-datasets)")
    check_output_file(plot, overwrite)
    from ..store import load
    loaded = [load(s) for s in stores]
    table = evals.evaluate(loaded, datasets or evals.DEFAULT_DATASETS, analogy_method=analogy_method,
                           restrict_vocab=restrict_vocab, oov=oov, evalrank_datasets=evalrank_sets,
                           data_dir=data_dir, names=list(stores))
    totals = table[table["section"] == "total"].reset_index(drop=True)
    if fmt == "table":
        from ..evals.report import readable
        click.echo(tables.plain(readable(table, composed=oov == "subword")))
    else:                          # markdown: the totals; csv and json: every section
        click.echo(tables.render(totals if fmt == "markdown" else table, fmt), nl=fmt != "csv")
    if plot:
        _write_plot(plot, loaded, stores, table, datasets or evals.DEFAULT_DATASETS, analogy_method,
                    restrict_vocab, oov, data_dir, overwrite)


def _write_plot(path, loaded, names, table, datasets, method, restrict_vocab, oov, data_dir, overwrite) -> None:
    from .. import evals
    from ..evals import plots
    data = [evals.load_dataset(d, data_dir) for d in datasets]
    analogy = next((d for d in data if d.task == "analogy"), None)
    if analogy is not None:
        results = [evals.evaluate_analogies(e, analogy, method=method,
                                            restrict_vocab=30_000 if restrict_vocab is None else restrict_vocab,
                                            oov="subword" if oov == "subword" else "skip")
                   for e in loaded]
        fig = plots.analogy_sections(results, labels=list(names))
    else:
        sim = next(d for d in data if d.task == "similarity")
        fig = plots.similarity_scatter(evals.evaluate_word_pairs(loaded[0], sim, oov=oov, restrict_vocab=restrict_vocab))
    save_figure(fig, path, overwrite)
    click.echo(f"plot: {path}", err=True)
