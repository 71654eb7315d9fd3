"""``wordlab debias double-hard / inlp / multiclass``: the debiasing methods beyond hard
debiasing, each writing a new store (see :mod:`wordlab.debias.double_hard`,
:mod:`wordlab.debias.inlp`, :mod:`wordlab.debias.multiclass`); ``wordlab debias
learn-specific`` (:mod:`wordlab.debias.specific`) and ``wordlab bias analogies``
(:mod:`wordlab.debias.analogies`). The commands join the ``debias`` and ``bias`` groups
of :mod:`wordlab.cli.debias` when this module is imported (by :mod:`wordlab.cli.main`).
"""
from __future__ import annotations

from pathlib import Path

import click

from .common import FiniteFloat, check_output_file, overwrite_option
from .debias import _describe_direction, _list_source, _open, _report_warnings, bias, debias
from .options import format_option

#: The built-in defining sets of wordlab.debias.multiclass.MULTICLASS_SETS (not imported here, to keep
#: `wordlab --help` fast; a test checks they agree).
SET_NAMES = ("religion", "race")


def _out_option(f):
    return click.option("-o", "--out", type=click.Path(file_okay=False), required=True,
                        help="New store directory.")(f)


def _accuracies(values) -> str:
    return " ".join(f"{v:.3f}" for v in values)


@debias.command("double-hard")
@click.argument("store")
@_out_option
@click.option("--equalize", default="equalize_pairs", show_default=True,
              help="Equalize pairs: a file or a debiaswe list name.")
@click.option("--specific", default="gender_specific_full", show_default=True,
              help="Gender-specific words left alone (and not among the biased words): a file or a debiaswe list "
                   "name.")
@click.option("--pairs", "pairs_file", default=None, metavar="FILE",
              help="Definitional pairs (default: the 10 pairs of Bolukbasi et al. 2016).")
@click.option("--components", type=click.IntRange(min=1), default=20, show_default=True,
              help="Principal components tried as the frequency direction (D).")
@click.option("--per-side", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Most biased words per side, clustered to choose the component.")
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=50_000, show_default=True,
              help="The biased words are among this many most frequent words.")
@click.option("--seed", type=int, default=0, show_default=True, help="random_state of k-means.")
@click.option("--max-missing", type=FiniteFloat(0, 1), default=0.5, show_default=True,
              help="Refuse when a larger share of a pair list is missing from the store.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Shared data directory (for debiaswe's lists by name).")
@overwrite_option("an existing store at --out")
@_report_warnings
def debias_double_hard(store, out, equalize, specific, pairs_file, components, per_side, restrict_vocab, seed,
                       max_missing, data_dir, overwrite) -> None:
    """Double-Hard Debias STORE into --out: drop a frequency direction, then hard-debias.

    The principal component removed is the one that best hides the gender of the most
    biased words (Wang, Lin, Rajani, McCann, Ordonez and Xiong 2020)."""
    from ..debias import double_hard_debias
    from ..debias.wordlists import DEFINITIONAL_PAIRS, read_pairs, read_words
    emb = _open(store)
    definitional = read_pairs(_list_source(pairs_file, data_dir)) if pairs_file else DEFINITIONAL_PAIRS
    new = double_hard_debias(emb, out, equalize=read_pairs(_list_source(equalize, data_dir)),
                             gender_specific=read_words(_list_source(specific, data_dir)), definitional=definitional,
                             components=components, n_biased=per_side, restrict_vocab=restrict_vocab, seed=seed,
                             max_missing=max_missing, overwrite=overwrite)
    info = new.meta["debias"]
    k = info["component"]
    click.echo(f"removed:      principal component {k + 1} of {components} (clustering accuracy "
               f"{info['accuracies'][k]:.4f})")
    click.echo(f"accuracies:   {_accuracies(info['accuracies'])}")
    from ..debias.direction import BiasDirection
    click.echo(_describe_direction(BiasDirection.from_dict(info["direction"])))
    click.echo(f"store:        {new.path}")
    click.echo(f"neutralised:  {info['neutralised']:,} of {len(new):,} words")
    click.echo(f"equalised:    {len(info['equalized'])} pairs ({info['equalize']['found']} of "
               f"{info['equalize']['total']} given pairs found)")


@debias.command("inlp")
@click.argument("store")
@_out_option
@click.option("--iterations", type=click.IntRange(min=1), default=None,
              help="Linear classifiers trained, each on the vectors projected off the ones before "
                   "[the paper's 35 at dimension 300, scaled: round(35 x dim / 300)].")
@click.option("--words", "n_words", type=click.IntRange(min=1), default=7500, show_default=True,
              help="Male, female and neutral training words each.")
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=150_000, show_default=True,
              help="The words are chosen among this many most frequent words.")
@click.option("--pair", default="he,she", show_default=True, metavar="A,B",
              help="The gender direction A - B that picks the words.")
@click.option("--neutral-below", type=FiniteFloat(0, 1), default=0.03, show_default=True,
              help="Neutral words have |cos(w, A - B)| below this.")
@click.option("--min-accuracy", type=FiniteFloat(0, 1), default=0.0, show_default=True,
              help="A classifier with a lower dev accuracy is not used.")
@click.option("--seed", type=int, default=0, show_default=True)
@overwrite_option("an existing store at --out")
@_report_warnings
def debias_inlp(store, out, iterations, n_words, restrict_vocab, pair, neutral_below, min_accuracy, seed,
                overwrite) -> None:
    """INLP on STORE into --out: iterative nullspace projection of gender classifiers.

    Every vector is projected onto the intersection of the nullspaces of linear classifiers,
    each trained on the vectors projected off the ones before (Ravfogel, Elazar, Gonen,
    Twiton and Goldberg 2020)."""
    from ..debias import inlp
    words = [w.strip() for w in pair.split(",")]
    if len(words) != 2 or not all(words) or words[0] == words[1]:
        raise click.BadParameter(f"expected two different words A,B, got {pair!r}", param_hint="--pair")
    new = inlp(_open(store), out, iterations=iterations, n_words=n_words, restrict_vocab=restrict_vocab,
               pair=tuple(words), neutral_below=neutral_below, min_accuracy=min_accuracy, seed=seed,
               overwrite=overwrite)
    info = new.meta["debias"]
    n = info["words"]
    click.echo(f"words:        {n['male']} male, {n['female']} female, {n['neutral']} neutral "
               f"({n['train']} train, {n['dev']} dev)")
    click.echo(f"accuracies:   {_accuracies(info['accuracies'])} (dev; majority {info['majority']:.3f})")
    click.echo(f"removed:      rank {info['rank_removed']} of {new.dim} ({info['kept']} classifiers used)")
    click.echo(f"store:        {new.path}")


def _sets_source(value: str | None, option: str):
    if value is None:
        return None
    if value in SET_NAMES and not Path(value).exists():
        return value
    if not Path(value).is_file():
        raise click.BadParameter(f"{value}: no such file (nor a built-in set list: {', '.join(SET_NAMES)})",
                                 param_hint=option)
    return Path(value)


@debias.command("multiclass")
@click.argument("store")
@_out_option
@click.option("--defining", required=True, metavar="FILE|NAME",
              help="Defining sets: a file (one set per line, a JSON list of lists, or Manzini et al.'s vocabulary "
                   f"JSON) or a built-in list: {', '.join(SET_NAMES)}.")
@click.option("--equalize", default=None, metavar="FILE|NAME", help="Sets to equalise (default: the defining sets).")
@click.option("-k", "k", type=click.IntRange(min=1), default=1, show_default=True,
              help="Dimension of the bias subspace (principal components of the defining sets).")
@click.option("--neutral", default=None, metavar="FILE",
              help="Words to neutralise (default: every word outside the sets).")
@click.option("--max-missing", type=FiniteFloat(0, 1), default=0.5, show_default=True,
              help="Refuse when a larger share of the defining or equalize sets is missing.")
@overwrite_option("an existing store at --out")
@_report_warnings
def debias_multiclass(store, out, defining, equalize, k, neutral, max_missing, overwrite) -> None:
    """Multiclass hard debiasing of STORE into --out (religion, race, ...).

    Words are neutralised over a k-dimensional subspace of the defining sets, and each
    equalize set is equalised over it (Manzini, Lim, Tsvetkov and Black 2019)."""
    from ..debias import multiclass_debias
    if neutral is not None and not Path(neutral).is_file():
        raise click.BadParameter(f"{neutral}: no such file", param_hint="--neutral")
    new = multiclass_debias(_open(store), out, defining_sets=_sets_source(defining, "--defining"),
                            equalize_sets=_sets_source(equalize, "--equalize"), k=k, neutral=neutral,
                            max_missing=max_missing, overwrite=overwrite)
    info = new.meta["debias"]
    ratio = info["subspace"]["explained_variance_ratio"]
    click.echo(f"subspace:     k = {info['k']} from {info['defining']['found']} of {info['defining']['total']} "
               f"defining sets; explained variance ratio {' '.join(f'{r:.4f}' for r in ratio)}")
    click.echo(f"equalised:    {len(info['equalized'])} sets ({info['equalize']['found']} of "
               f"{info['equalize']['total']} given sets found)")
    click.echo(f"neutralised:  {info['neutralised']:,} of {len(new):,} words")
    click.echo(f"store:        {new.path}")


@debias.command("learn-specific")
@click.argument("store")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
              help="The list to write: JSON (a .json name, as debiaswe's lists) or text, one word per line.")
@click.option("--seed-words", default="gender_specific_seed", show_default=True, metavar="FILE|NAME",
              help="The seed gender-specific words: a file or a debiaswe list name.")
@click.option("--train", "n_train", type=click.IntRange(min=1), default=50_000, show_default=True,
              help="The most frequent words trained on (with the seed words).")
@click.option("--classify", "n_classify", type=click.IntRange(min=1), default=None,
              help="The most frequent words classified [every word].")
@click.option("--seed", type=int, default=0, show_default=True, help="random_state of LinearSVC.")
@click.option("--max-missing", type=FiniteFloat(0, 1), default=0.5, show_default=True,
              help="Refuse when a larger share of the seed words is not in the store.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Shared data directory (for debiaswe's lists by name).")
@overwrite_option("an existing file at --out")
@_report_warnings
def debias_learn_specific(store, out, seed_words, n_train, n_classify, seed, max_missing, data_dir, overwrite) -> None:
    """Learn STORE's gender-specific words from seed words with a linear SVM (Bolukbasi et al. 2016).

    The list (seed words and the words classified gender-specific, most frequent first)
    is what `wordlab debias hard --specific` takes."""
    import json

    from ..atomic import atomic_file
    from ..debias import learn_gender_specific
    check_output_file(out, overwrite)
    r = learn_gender_specific(_open(store), _list_source(seed_words, data_dir), n_train=n_train,
                              n_classify=n_classify, seed=seed, max_missing=max_missing)
    text = (json.dumps(r.words, ensure_ascii=False) if Path(out).suffix.lower() == ".json"
            else "".join(f"{w}\n" for w in r.words))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out, "w", overwrite=overwrite, encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    click.echo(f"seed words:   {len(r.seed)} in the store ({r.coverage.summary()})")
    click.echo(f"training:     {r.n_train:,} words, training error {r.training_error:.4f}")
    click.echo(f"classified:   {len(r.scores):,} words; {len(r.added):,} added to the seed words")
    click.echo(f"list:         {len(r.words):,} words -> {out}")


@bias.command("analogies")
@click.argument("store")
@click.option("--pair", default="she,he", show_default=True, metavar="A,B", help="The seed pair: the direction A - B.")
@click.option("--top", "n", type=click.IntRange(min=1), default=500, show_default=True, help="Pairs to show.")
@click.option("--delta", type=FiniteFloat(0, 2), default=1.0, show_default=True,
              help="Largest distance ||x - y|| between the unit vectors of a pair.")
@click.option("--restrict-vocab", type=click.IntRange(min=2), default=50_000, show_default=True,
              help="The most frequent words searched.")
@click.option("--safe-words", is_flag=True, help="Only debiaswe's safe words (lower-case letters and _).")
@format_option()
@_report_warnings
def bias_analogies(store, pair, n, delta, restrict_vocab, safe_words, fmt) -> None:
    """Pairs x, y with x - y parallel to A - B, best first (Bolukbasi et al. 2016's she-he analogies)."""
    from .. import tables
    from ..debias import generate_analogies
    words = [w.strip() for w in pair.split(",")]
    if len(words) != 2 or not all(words) or words[0] == words[1]:
        raise click.BadParameter(f"expected two different words A,B, got {pair!r}", param_hint="--pair")
    if delta <= 0:
        raise click.BadParameter("must be above 0", param_hint="--delta")
    table = generate_analogies(_open(store), tuple(words), n=n, delta=delta, restrict_vocab=restrict_vocab,
                               safe_words=safe_words)
    table = table.rename(columns={"x": words[0], "y": words[1]})
    click.echo(tables.render(table, fmt), nl=fmt != "csv")
    click.echo(f"{len(table)} pairs from {table.attrs['close_pairs']:,} within distance {delta:g} among "
               f"{table.attrs['words']:,} words", err=True)
