"""``wordlab``: the command-line face of the lab (click).

Every failure prints one line and exits non-zero (see :mod:`wordlab.cli.common`):
``Error: ...`` (status 1) for user mistakes, bad input and the environment,
``Internal error ...`` (status 70) for a bug of ours; ``--debug`` shows the traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .._version import __version__
from .common import Group as _Group
from .common import FiniteFloat, check_output_file, overwrite_option, save_figure

@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wordlab")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """wordlab: train, align, debias and evaluate static word embeddings.

    A STORE argument accepts a store directory or a word2vec text/binary, GloVe or
    fastText .vec file.
    """


# -- shared options ------------------------------------------------------------------
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
    return f


def make_corpus(paths, no_lowercase, sentence_split, paragraphs, errors, max_sentence_length):
    from ..corpus import Corpus
    if not paths:
        return Corpus.default(lowercase=not no_lowercase, sentence_split=sentence_split,
                              max_sentence_length=max_sentence_length, errors=errors)
    return Corpus(list(paths), lowercase=not no_lowercase, sentence_split=sentence_split, paragraphs=paragraphs,
                  max_sentence_length=max_sentence_length, errors=errors)


def _int_list(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise click.BadParameter("values must be positive integers")
    return values


# -- corpus --------------------------------------------------------------------------
@cli.group(cls=_Group)
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
    table = vocab.coverage(_int_list(min_counts))
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


# -- train ---------------------------------------------------------------------------
@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--method", type=click.Choice(["sgns", "cbow", "glove", "pu", "bitcipher", "cmow", "hybrid"]),
              default="sgns",
              show_default=True, help="Training method.")
@click.option("--dim", type=click.IntRange(min=1), default=None,
              help="Vector size / rank (default: the method's; sgns, cbow, glove 100, pu 300; cmow, hybrid: "
                   "the CMOW part k*k, 400).")
@click.option("--window", type=click.IntRange(min=1), default=None,
              help="Context radius (default: sgns, cbow, bitcipher 5; glove, pu 10).")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Passes / iterations (default: sgns, cbow 5; glove, pu 15; bitcipher 1).")
@click.option("--negative", type=click.IntRange(min=1), default=None, help="sgns/cbow [5], cmow/hybrid [20]: noise words per example.")
@click.option("--sample", type=FiniteFloat(), default=None, help="sgns/cbow [1e-3], cmow/hybrid [0]: subsampling threshold t, 0 is off.")
@click.option("--alpha", type=FiniteFloat(), default=None, help="sgns/cbow [0.025], cmow/hybrid [0.003]: initial learning rate.")
@click.option("--learning-rate", type=FiniteFloat(), default=None, help="glove: AdaGrad's eta [0.05].")
@click.option("--x-max", type=FiniteFloat(), default=None, help="glove, pu: weighting cut-off x_max [glove 100, pu 10].")
@click.option("--rho", type=FiniteFloat(), default=None, help="pu: weight of unobserved pairs [2^-4].")
@click.option("--lam", type=FiniteFloat(), default=None, help="pu: L2 regularisation [2^-11].")
@click.option("--output", type=click.Choice(["sum", "word", "concat"]), default=None,
              help="glove, pu: store W + W~ (sum), W (word) or both side by side (concat) [sum].")
@click.option("--bits", type=click.IntRange(min=1), default=None, help="bitcipher: cipher width [32].")
@click.option("--cbow-dim", type=click.IntRange(min=1), default=None, help="hybrid: size of the CBOW part [400].")
@click.option("--hybrid-objective", type=click.Choice(["residual", "joint"]), default=None,
              help="hybrid: the CMOW half learns from its own score and the CBOW half from the whole "
                   "(residual), or both from the whole (joint, the paper's) [residual].")
@click.option("--cmow-warmup-epochs", type=click.IntRange(min=0), default=None,
              help="hybrid: first epochs that train the CMOW half alone [joint: epochs // 2, residual: 0].")
@click.option("--mode", type=click.Choice(["sum", "concat"]), default=None,
              help="bitcipher: sum the context ciphers or concatenate them by position [sum].")
@click.option("--min-count", type=int, default=5, show_default=True, help="Drop rarer words.")
@click.option("--max-size", type=click.IntRange(min=1), default=None, help="Keep at most this many words.")
@click.option("--workers", type=int, default=None, help="Threads (default: all cores).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("-o", "--out", type=click.Path(file_okay=False), default=None,
              help="Store directory to create (default: runs/METHOD-TIMESTAMP).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run of --out.")
@overwrite_option("an existing store at --out (when the run completes)")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when interactive).")
@corpus_options
def train(paths, method, dim, window, epochs, negative, sample, alpha, learning_rate, x_max, rho, lam, output,
          bits, cbow_dim, hybrid_objective, cmow_warmup_epochs, mode, min_count, max_size, workers, seed, out, resume, overwrite, progress, **kw) -> None:
    """Train embeddings on PATHS (default: the embedded English Wikipedia sample).

    Options in brackets apply to the methods named before them; giving one to
    another method is an error.
    """
    from ..trainers import TRAINERS, make_trainer
    if out is None:
        if resume:
            raise click.UsageError("--resume needs the --out of the interrupted run")
        from ..trainers.base import unique_run_path
        out = unique_run_path(Path("runs"), method)
    chosen = {"dim": dim, "window": window, "epochs": epochs, "negative": negative, "sample": sample,
              "alpha": alpha, "learning_rate": learning_rate, "x_max": x_max, "rho": rho, "lam": lam,
              "output": output, "bits": bits, "mode": mode, "cbow_dim": cbow_dim,
              "hybrid_objective": hybrid_objective, "cmow_warmup_epochs": cmow_warmup_epochs}
    chosen = {k: v for k, v in chosen.items() if v is not None}
    accepted = set(TRAINERS[method][0]._param_names())
    if method != "hybrid":
        accepted.discard("hybrid_objective")
    for name in chosen:
        if name not in accepted:
            raise click.UsageError(f"--{name.replace('_', '-')} does not apply to --method {method}")
    trainer = make_trainer(method, min_count=min_count, max_size=max_size, workers=workers, seed=seed,
                           progress=progress, **chosen)
    trainer._validate()
    if not resume:                    # refuse an existing output before encoding anything
        from ..atomic import check_target
        check_target(Path(out), overwrite, directory=True)
    c = make_corpus(paths, **kw)
    click.echo(f"corpus:  {c!r}", err=True)
    encoded = c.encode(min_count=min_count, max_size=max_size, progress=progress)
    if len(encoded.vocab) == 0 or encoded.n_tokens == 0:
        raise click.ClickException(
            f"nothing to train on: {encoded.meta.get('total_tokens', 0):,} tokens, none of a word seen "
            f"at least --min-count={min_count} times")
    emb = trainer.fit(encoded, out, resume=resume, overwrite=overwrite)
    meta = emb.meta
    history = meta["history"]
    click.echo(f"store:   {emb.path}")
    click.echo(f"vocab:   {len(emb):,} words (min_count={min_count}), {encoded.n_tokens:,} tokens, "
               f"{encoded.dropped_tokens:,} rarer tokens dropped")
    click.echo(f"trained: {method}, dim {emb.dim}, {trainer.epochs} epochs in {meta['training_seconds']:.1f} s, "
               f"{meta['words_per_second'] or 0:,.0f} words/s")
    click.echo("loss:    " + " ".join(f"{h['loss']:.4f}" for h in history))
    probes = [w for w in emb.words[150:2000] if len(w) >= 6 and w.isalpha()][:4]
    if probes:
        table = emb.neighbors(probes, topn=5)
        for word in probes:
            near = table[table["query"] == word]
            click.echo(f"  {word:>12} -> " + ", ".join(near["word"]))


# -- stores --------------------------------------------------------------------------
def _open_store(path: str):
    from ..store import load
    return load(path)


@cli.command()
@click.argument("store")
def info(store) -> None:
    """Describe STORE: size, method, hyperparameters, most frequent words."""
    emb = _open_store(store)
    meta = emb.meta
    rows = [("store", emb.path), ("words", f"{len(emb):,}"), ("dim", emb.dim),
            ("method", meta.get("method", "?"))]
    rows += [(key, meta[key]) for key in ("source_file", "created", "wordlab_version", "training_seconds")
             if key in meta]
    if meta.get("params"):
        rows.append(("params", ", ".join(f"{k}={v}" for k, v in meta["params"].items())))
    rows.append(("first words", " ".join(emb.words[:10]) + (" ..." if len(emb) > 10 else "")))
    width = max(len(k) for k, _ in rows) + 2
    for key, value in rows:
        click.echo(f"{key + ':':<{width}}{value}")


@cli.command()
@click.argument("store")
@click.argument("words", nargs=-1, required=True)
@click.option("--topn", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=None,
              help="Search only the most frequent N words.")
def neighbors(store, words, topn, restrict_vocab) -> None:
    """Nearest neighbours (cosine) of WORDS in STORE."""
    emb = _open_store(store)
    words = list(dict.fromkeys(words))  # a word asked twice is answered once
    table = emb.neighbors(words, topn=topn, restrict_vocab=restrict_vocab)
    for word in words:
        click.echo(f"{word}:")
        for row in table[table["query"] == word].itertuples():
            click.echo(f"  {row.rank:>3}  {row.similarity:7.4f}  {row.word}")


@cli.command()
@click.argument("source")
@click.argument("target", type=click.Path())
@click.option("--to", "to_format", type=click.Choice(["store", "word2vec", "word2vec-bin", "glove"]),
              default="store", show_default=True, help="Output format.")
@click.option("--from", "from_format", type=click.Choice(["store", "word2vec", "word2vec-bin", "glove"]),
              default=None, help="Input format (default: from the name).")
@click.option("--unicode-errors", type=click.Choice(["strict", "replace", "ignore"]), default="strict",
              show_default=True, help="What invalid UTF-8 in words does when reading.")
@overwrite_option("TARGET")
def convert(source, target, to_format, from_format, unicode_errors, overwrite) -> None:
    """Convert SOURCE to TARGET (formats: store, word2vec, word2vec-bin, glove)."""
    from ..atomic import check_target
    from ..store import load
    check_target(Path(target), overwrite, directory=to_format == "store")
    emb = load(source, format=from_format, unicode_errors=unicode_errors)
    emb.save(Path(target), format=to_format, overwrite=overwrite)
    click.echo(f"wrote {len(emb):,} x {emb.dim} to {target} ({to_format})")


# -- eval ----------------------------------------------------------------------------
@cli.command("eval")
@click.argument("stores", nargs=-1)
@click.option("-d", "--dataset", "datasets", multiple=True,
              help="Registry name or file (repeatable; default: google-analogy, ws353, simlex999).")
@click.option("--evalrank", "evalrank_sets", multiple=True, help="Similarity dataset to run EvalRank on (repeatable).")
@click.option("--analogy-method", type=click.Choice(["3cosadd", "3cosmul"]), default="3cosadd", show_default=True)
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=None,
              help="Known/candidate words: the N most frequent (default: all for similarity, 30,000 for analogies).")
@click.option("--oov", type=click.Choice(["skip", "zero", "mean"]), default="skip", show_default=True,
              help="Similarity pairs with an unknown word.")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "csv", "json"]), default="table",
              show_default=True, help="table/markdown: totals; csv/json: every section.")
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
                           data_dir=data_dir)
    table["store"] = table["store"].map(dict(zip([str(e.path) for e in loaded], stores)))
    totals = table[table["section"] == "total"].reset_index(drop=True)
    if fmt == "table":
        wide = totals.pivot_table(index=["store", "dataset", "task"], columns="metric", values="value",
                                  sort=False)
        cover = totals.groupby(["store", "dataset", "task"], sort=False)["coverage"].first()
        wide["coverage"] = cover
        click.echo(wide.to_string(float_format=lambda v: f"{v:.4f}"))
    elif fmt == "markdown":
        click.echo(evals.to_markdown(totals))
    elif fmt == "csv":
        click.echo(evals.to_csv(table), nl=False)
    else:
        click.echo(evals.to_json(table))
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
                                            restrict_vocab=30_000 if restrict_vocab is None else restrict_vocab)
                   for e in loaded]
        fig = plots.analogy_sections(results, labels=list(names))
    else:
        sim = next(d for d in data if d.task == "similarity")
        fig = plots.similarity_scatter(evals.evaluate_word_pairs(loaded[0], sim, oov=oov, restrict_vocab=restrict_vocab))
    save_figure(fig, path, overwrite)
    click.echo(f"plot: {path}", err=True)


from .align import register as _register_align  # noqa: E402
_register_align(cli)
from .debias import register as _register_debias  # noqa: E402
_register_debias(cli)
from .plot import register as _register_plot  # noqa: E402
_register_plot(cli)
from .cache import register as _register_cache  # noqa: E402
_register_cache(cli)


def main() -> None:
    cli(prog_name="wordlab")


if __name__ == "__main__":
    sys.exit(main())
