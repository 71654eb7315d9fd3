"""``wordlab align ...``: Procrustes, bilingual lexicon induction, CADE and semantic shift."""
from __future__ import annotations

from pathlib import Path

import click

from .common import (
    Group,
    check_output_file,
    overwrite_option,
    save_figure,
    write_text_file,
)
from .options import corpus_options, workers_option


def _parse_slice(value: str) -> tuple[str, str]:
    if "=" not in value:
        raise click.BadParameter(f"expected NAME=PATH, got {value!r}", param_hint="--slice")
    name, path = value.split("=", 1)
    if not name or not path:
        raise click.BadParameter(f"expected NAME=PATH, got {value!r}", param_hint="--slice")
    return name, path


@click.group(cls=Group)
def align() -> None:
    """Align embedding spaces: across languages (Procrustes, BLI) and across corpora (CADE, shift)."""


@align.command("procrustes")
@click.argument("source")
@click.argument("target")
@click.option("-d", "--dictionary", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Seed pairs (MUSE format: 'src tgt' per line).")
@click.option("--identical", is_flag=True, help="Seed with the identical strings of both vocabularies.")
@click.option("-o", "--out", type=click.Path(file_okay=False), required=True, help="The mapped source store.")
@click.option("--target-out", type=click.Path(file_okay=False), default=None,
              help="Also write the normalised target store (the space the source is mapped into).")
@click.option("--normalize", default="unit,center,unit", show_default=True,
              help="Ordered steps: unit, center (or 'none').")
@click.option("--refine", type=click.IntRange(min=0), default=0, show_default=True,
              help="Self-learning iterations (mutual CSLS neighbours).")
@click.option("--refine-vocab", type=click.IntRange(min=2), default=15_000, show_default=True,
              help="Most frequent words per side searched by refinement.")
@click.option("--keep-seed", is_flag=True, help="Add the seed pairs to every induced dictionary.")
@click.option("--validation", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Dictionary for model selection across iterations (never the test set).")
@click.option("--test", "test_dictionary", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Report BLI (NN and CSLS) on this dictionary after fitting.")
@workers_option
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: in a terminal or Jupyter).")
@overwrite_option("existing stores at --out and --target-out")
def procrustes(source, target, dictionary, identical, out, target_out, normalize, refine, refine_vocab,
               keep_seed, validation, test_dictionary, workers, progress, overwrite) -> None:
    """Map SOURCE onto TARGET with orthogonal Procrustes; write the mapped store to --out."""
    from ..align import Procrustes
    from ..atomic import check_target
    from ..store import load
    if bool(dictionary) == identical:
        raise click.UsageError("give exactly one of --dictionary FILE and --identical")
    for path in (out, target_out):
        if path:
            check_target(Path(path), overwrite, directory=True)
    if target_out and Path(target_out).absolute() == Path(out).absolute():
        raise click.UsageError("--out and --target-out must be different directories")
    src, tgt = load(source), load(target)
    aligner = Procrustes(normalize=normalize, refine=refine, refine_vocab=refine_vocab, keep_seed=keep_seed,
                         workers=workers, progress=progress)
    aligner.fit(src, tgt, dictionary or "identical", validation=validation)
    click.echo(f"seed pairs in both vocabularies: {aligner.seed_pairs_:,}")
    click.echo(aligner.history_.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    mapped = aligner.transform(out=out, overwrite=overwrite)
    click.echo(f"mapped store: {mapped.path} ({len(mapped):,} x {mapped.dim}; mapping.npy beside it)")
    if target_out:
        t = aligner.transform_target(out=target_out, overwrite=overwrite)
        click.echo(f"normalised target store: {t.path}")
    if test_dictionary:
        for method in ("nn", "csls"):
            click.echo(str(aligner.evaluate(test_dictionary, method=method)))


@align.command("bli")
@click.argument("source")
@click.argument("target")
@click.option("-d", "--dictionary", type=click.Path(exists=True, dir_okay=False), required=True,
              help="Gold pairs (MUSE format).")
@click.option("--method", type=click.Choice(["nn", "csls", "both"]), default="both", show_default=True)
@click.option("--oov", type=click.Choice(["drop", "wrong"]), default="drop", show_default=True,
              help="Unanswerable entries: left out (MUSE) or counted wrong (fastText).")
@click.option("--restrict-target", type=click.IntRange(min=1), default=None,
              help="Search only the N most frequent target words.")
@click.option("--approximate", is_flag=True,
              help="Retrieve through approximate indexes (usearch; for millions of words), kept in the cache.")
@workers_option
def bli(source, target, dictionary, method, oov, restrict_target, approximate, workers) -> None:
    """Bilingual lexicon induction from SOURCE into TARGET (stores in one space)."""
    from ..align import evaluate_bli
    from ..store import load
    src, tgt = load(source), load(target)
    for m in (("nn", "csls") if method == "both" else (method,)):
        click.echo(str(evaluate_bli(src, tgt, dictionary, method=m, oov=oov, restrict_target=restrict_target,
                                    workers=workers, approximate=approximate)))


@align.command("cade")
@click.option("--slice", "slices", multiple=True, required=True, metavar="NAME=PATH",
              help="A slice and one of its files or globs (repeat NAME for more files).")
@click.option("-o", "--out", type=click.Path(file_okay=False), required=True)
@click.option("--method", type=click.Choice(["cbow", "sgns"]), default="cbow", show_default=True)
@click.option("--dim", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--window", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--negative", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--compass-epochs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--slice-epochs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--init", type=click.Choice(["hidden", "both"]), default="hidden", show_default=True,
              help="Slices start from fresh input vectors, or from the compass's too.")
@workers_option
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--progress/--no-progress", default=None)
@corpus_options
def cade(slices, out, method, dim, window, negative, compass_epochs, slice_epochs, min_count, init, workers,
         seed, progress, no_lowercase, sentence_split, paragraphs, errors, max_sentence_length, include) -> None:
    """Train CADE: a compass on all slices, then each slice against its frozen output matrix."""
    from ..align.cade import Compass
    named: dict[str, list[str]] = {}
    for value in slices:
        name, path = _parse_slice(value)
        named.setdefault(name, []).append(path)
    options = {"lowercase": not no_lowercase, "sentence_split": sentence_split, "paragraphs": paragraphs,
               "errors": errors, "max_sentence_length": max_sentence_length, "include": include}
    compass = Compass(named, method=method, dim=dim, window=window, negative=negative,
                      compass_epochs=compass_epochs, slice_epochs=slice_epochs, min_count=min_count, init=init,
                      corpus_options=options, workers=workers, seed=seed, progress=progress).fit(out)
    click.echo(f"compass: {compass.compass_.path} ({len(compass.compass_):,} words)")
    for name, emb in compass.slices_.items():
        click.echo(f"slice {name}: {emb.path} ({len(emb):,} words)")


@align.command("shift")
@click.argument("a")
@click.argument("b")
@click.option("--measure", type=click.Choice(["cosine", "lncs", "knn"]), default="cosine", show_default=True,
              help="Ranks the words by this measure.")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--min-count", type=click.IntRange(min=1), default=20, show_default=True,
              help="Only words counted this often in both slices.")
@click.option("--knn-k", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Write every shared word's measures to this CSV.")
@click.option("--plot", "plot_word", default=None, help="Plot this word's trajectory (needs --plot-out).")
@click.option("--plot-out", type=click.Path(dir_okay=False), default=None)
@overwrite_option("the --csv and --plot-out files")
def shift(a, b, measure, top, min_count, knn_k, csv_path, plot_word, plot_out, overwrite) -> None:
    """Words that moved most and least from slice A to slice B (aligned stores, e.g. CADE slices)."""
    from ..align.shift import ALIGNED_COSINE, MEASURES, jumpers, shift_table, slice_alignment, stables
    from ..store import load
    if bool(plot_word) != bool(plot_out):
        raise click.UsageError("--plot WORD and --plot-out PNG go together")
    check_output_file(csv_path, overwrite)
    check_output_file(plot_out, overwrite)
    ea, eb = load(a), load(b)
    # the cosine column only when the slices share an alignment (shift_table refuses it otherwise)
    aligned = measure == "cosine" or slice_alignment(ea, eb, min_count) >= ALIGNED_COSINE
    measures = MEASURES if aligned else tuple(m for m in MEASURES if m != "cosine")
    table = shift_table(ea, eb, min_count=min_count, knn_k=knn_k, measures=measures)
    fmt = lambda v: f"{v:.3f}"  # noqa: E731
    click.echo(f"{len(table):,} shared words (min_count {min_count}); ranked by {measure}")
    click.echo("jumpers:")
    click.echo(jumpers(table, measure, top).to_string(float_format=fmt))
    click.echo("stables:")
    click.echo(stables(table, measure, top).to_string(float_format=fmt))
    if csv_path:
        write_text_file(csv_path, table.to_csv(), overwrite)
        click.echo(f"table: {csv_path}", err=True)
    if plot_word:
        from ..align.plots import trajectory
        fig = trajectory({Path(a).name: ea, Path(b).name: eb}, plot_word)
        save_figure(fig, plot_out, overwrite)
        click.echo(f"plot: {plot_out}", err=True)
