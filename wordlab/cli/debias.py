"""``wordlab bias ...`` and ``wordlab debias ...``: bias measures and hard debiasing.

Word lists are files (debiaswe JSON
or plain text, see :mod:`wordlab.debias.wordlists`) or the names of debiaswe's lists
in the shared data (``professions``, ``equalize_pairs``, ``gender_specific_full``, ...).
Missing words are reported on stderr as ``warning:`` lines; errors (a malformed list,
too many missing words) are one ``Error:`` line, as everywhere in the CLI.
"""
from __future__ import annotations

import functools
import warnings
from pathlib import Path

import click

from .. import tables
from .common import (
    FiniteFloat,
    Group,
    check_output_file,
    echo_warning,
    overwrite_option,
    save_figure,
)
from .options import format_option

_DIRECTION_METHODS = ("pca", "sum", "pair")
#: The keys of wordlab.debias.metrics.METRICS (not imported here, to keep `wordlab --help` fast; a test
#: checks they agree).
METRIC_NAMES = ("rnsb", "rnd", "mac", "ect", "ripa")


# -- helpers -----------------------------------------------------------------------------------
def _report_warnings(f):
    """Show the warnings a command raises (missing words, a weak direction) as stderr lines."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return f(*args, **kwargs)
            finally:
                for message in dict.fromkeys(str(w.message) for w in caught):   # each once
                    echo_warning(message)
    return wrapper


def _list_source(value: str, data_dir: str | None):
    """A list option: an existing file, or the name of one of debiaswe's lists."""
    from ..debias.wordlists import DEBIASWE_LISTS, debiaswe_path
    if value in DEBIASWE_LISTS and not Path(value).exists():
        return debiaswe_path(value, data_dir)
    if not Path(value).is_file():
        raise click.BadParameter(f"{value}: no such file (nor one of debiaswe's lists: "
                                 f"{', '.join(DEBIASWE_LISTS)})")
    return Path(value)


def direction_options(f):
    f = click.option("--max-missing", type=FiniteFloat(0, 1), default=0.5, show_default=True,
                     help="Refuse when a larger share of a word list is missing from the store.")(f)
    f = click.option("--pair", default=None, metavar="A,B",
                     help="Use one pair's difference A - B as the direction (implies --method pair).")(f)
    f = click.option("--method", type=click.Choice(_DIRECTION_METHODS), default="pca", show_default=True,
                     help="Direction: first principal component, normalised sum of differences, or one pair.")(f)
    f = click.option("--pairs", "pairs_file", default=None, metavar="FILE",
                     help="Definitional pairs (default: the 10 pairs of Bolukbasi et al. 2016).")(f)
    f = click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                     help="Shared data directory (for list names and WEAT.json).")(f)
    return f


def _pairs_arg(pairs_file, pair, method, data_dir):
    from ..debias.wordlists import DEFINITIONAL_PAIRS, read_pairs
    if pair is not None:
        words = [w.strip() for w in pair.split(",")]
        if len(words) != 2 or not all(words):
            raise click.BadParameter(f"expected two words A,B, got {pair!r}", param_hint="--pair")
        return [tuple(words)], "pair"
    if pairs_file is not None:
        return read_pairs(_list_source(pairs_file, data_dir)), method
    return DEFINITIONAL_PAIRS, method


def _direction(emb, pairs_file, pair, method, max_missing, data_dir):
    from ..debias import bias_direction
    pairs, method = _pairs_arg(pairs_file, pair, method, data_dir)
    return bias_direction(emb, pairs, method=method, max_missing=max_missing)


def _stored_or_new_direction(emb, pairs_file, pair, method, max_missing, data_dir):
    """A debiased store's own direction unless one is asked for; else the store's."""
    from ..debias.direction import BiasDirection
    info = emb.meta.get("debias") or {}
    if "direction" in info and pairs_file is None and pair is None and method == "pca":
        return BiasDirection.from_dict(info["direction"])
    return _direction(emb, pairs_file, pair, method, max_missing, data_dir)


def _open(path: str):
    from ..store import load
    return load(path)


def _describe_direction(d) -> str:
    text = f"direction: {d.method} from {len(d.pairs)} pair(s)"
    if d.explained_variance_ratio is not None:
        text += f"; explained variance ratio of the first component {d.first_component_ratio:.4f}"
    return text


# -- wordlab bias ------------------------------------------------------------------------------
@click.group(cls=Group)
def bias() -> None:
    """Measure bias: direction, DirectBias, indirect bias, WEAT, WEFE's metrics, residual bias, report, analogies.

    The bias direction comes from definitional pairs (default: Bolukbasi et al.'s 10
    gender pairs); on a store made by `wordlab debias`, the direction it was debiased
    against is used unless --pairs, --pair or --method is given.
    """


@bias.command("direction")
@click.argument("store")
@direction_options
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="Show the N words (of the 50,000 most frequent) projecting most on each side.")
@_report_warnings
def bias_direction_cmd(store, data_dir, pairs_file, method, pair, max_missing, top) -> None:
    """The bias direction of STORE: explained variance and the most projected words."""
    emb = _open(store)
    d = _direction(emb, pairs_file, pair, method, max_missing, data_dir)
    click.echo(_describe_direction(d))
    if d.explained_variance_ratio is not None:
        click.echo("explained variance ratio: " + " ".join(f"{r:.4f}" for r in d.explained_variance_ratio))
    click.echo("pairs: " + ", ".join(f"{a}/{b}" for a, b in d.pairs))
    if top:
        words = [w for w in emb.words[:50_000]]
        proj = d.project(emb, words).sort_values()
        a, b = d.pairs[0]
        click.echo(f"most on the {b} side: " + ", ".join(f"{w} {v:.3f}" for w, v in proj.iloc[:top].items()))
        click.echo(f"most on the {a} side: " + ", ".join(f"{w} {v:.3f}" for w, v in proj.iloc[::-1][:top].items()))


@bias.command("direct")
@click.argument("store")
@click.option("--words", default="professions", show_default=True,
              help="Neutral words: a file or a debiaswe list name.")
@click.option("-c", "c", type=FiniteFloat(0, 1e6), default=1.0, show_default=True, help="Strictness c.")
@click.option("--exclude", default=None,
              help="Words to leave out (a file or a debiaswe list name, e.g. gender_specific_full). Default: "
                   "on a debiased store, the words it kept on the direction; otherwise none.")
@direction_options
@_report_warnings
def bias_direct(store, words, c, exclude, data_dir, pairs_file, method, pair, max_missing) -> None:
    """DirectBias_c of neutral words (default: debiaswe's professions) in STORE."""
    from ..debias import direct_bias
    from ..debias.residual import excluded_words
    from ..debias.wordlists import read_words
    emb = _open(store)
    d = _stored_or_new_direction(emb, pairs_file, pair, method, max_missing, data_dir)
    left_out = read_words(_list_source(exclude, data_dir)) if exclude is not None else excluded_words(emb)
    r = direct_bias(emb, d, read_words(_list_source(words, data_dir)), c=c, max_missing=max_missing,
                    exclude=left_out)
    click.echo(_describe_direction(d))
    click.echo(f"DirectBias_{c:g} over {r.n_words} words ({r.coverage.total} looked up, "
               f"{len(set(left_out))} excluded): {r.value:.6g}")


@bias.command("indirect")
@click.argument("store")
@click.argument("word1")
@click.argument("word2")
@direction_options
@_report_warnings
def bias_indirect(store, word1, word2, data_dir, pairs_file, method, pair, max_missing) -> None:
    """Indirect bias beta(WORD1, WORD2): the share of their similarity due to the direction."""
    from ..debias import indirect_bias
    emb = _open(store)
    d = _stored_or_new_direction(emb, pairs_file, pair, method, max_missing, data_dir)
    click.echo(f"beta({word1}, {word2}) = {indirect_bias(emb, word1, word2, d):.6g}")


def _split_two(value: str, option: str) -> tuple[str, str]:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2 or not all(parts):
        raise click.BadParameter(f"expected two set names NAME1,NAME2, got {value!r}", param_hint=option)
    return parts[0], parts[1]


@bias.command("weat")
@click.argument("store", required=False)
@click.option("--test", "tests", multiple=True,
              help="A test of Caliskan et al. (repeatable; see --list). Default: career_family, math_arts, "
                   "science_arts.")
@click.option("--targets", default=None, metavar="X,Y", help="Target sets by name (with --attributes).")
@click.option("--attributes", default=None, metavar="A,B", help="Attribute sets by name (with --targets).")
@click.option("--sets", "sets_file", type=click.Path(dir_okay=False), default=None,
              help="JSON object of named word sets (default: WEAT.json of the shared data).")
@click.option("--samples", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Partitions drawn (without replacement) when there are too many to enumerate.")
@click.option("--exact-limit", type=click.IntRange(min=0), default=1_000_000, show_default=True,
              help="Enumerate every partition when there are at most this many.")
@click.option("--ddof", type=click.IntRange(min=0), default=1, show_default=True,
              help="Delta degrees of freedom of the effect size's standard deviation.")
@click.option("--alternative", type=click.Choice(["greater", "less", "two-sided"]), default="greater",
              show_default=True, help="Side of the permutation test: statistic >= observed, <= observed, or "
                                      "|statistic| >= |observed| (WEFE's right-sided, left-sided, two-sided).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--max-missing", type=FiniteFloat(0, 1), default=0.5, show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None)
@click.option("--list", "list_tests", is_flag=True, help="List the tests and word sets and exit.")
@_report_warnings
def bias_weat(store, tests, targets, attributes, sets_file, samples, exact_limit, ddof, alternative, seed,
              max_missing, data_dir, list_tests) -> None:
    """WEAT on STORE: statistic, effect size and permutation p-value (Caliskan et al. 2017)."""
    from ..debias.weat import WEAT_TESTS, load_weat_sets, weat
    sets = load_weat_sets(sets_file, data_dir=data_dir)
    if list_tests:
        for name, (x, y, a, b) in WEAT_TESTS.items():
            click.echo(f"{name:<24} X={x}, Y={y}, A={a}, B={b}")
        click.echo("sets: " + ", ".join(f"{k} ({len(v)})" for k, v in sets.items()))
        return
    if store is None:
        raise click.UsageError("give a STORE (or --list)")
    if (targets is None) != (attributes is None):
        raise click.UsageError("--targets and --attributes go together")
    runs = []
    if targets is not None:
        x, y = _split_two(targets, "--targets")
        a, b = _split_two(attributes, "--attributes")
        runs.append((f"{x}/{y}:{a}/{b}", (x, y, a, b)))
    for name in tests or (() if targets is not None else ("career_family", "math_arts", "science_arts")):
        if name not in WEAT_TESTS:
            raise click.BadParameter(f"unknown test {name!r}; known: {', '.join(WEAT_TESTS)}",
                                     param_hint="--test")
        runs.append((name, WEAT_TESTS[name]))
    emb = _open(store)
    rows = []
    for name, (x, y, a, b) in runs:
        r = weat(emb, x, y, a, b, sets=sets, ddof=ddof, exact_limit=exact_limit, n_samples=samples, seed=seed,
                 alternative=alternative, max_missing=max_missing, name=name)
        rows.append((name, f"{r.statistic:.4f}", f"{r.effect_size:.4f}", f"{r.p_value:.4g}",
                     f"{r.p_method} ({r.n_evaluated:,} of {r.n_partitions:,})",
                     "/".join(str(r.sizes[k]) for k in "XYAB")))
    p_label = "p-value" if alternative == "greater" else f"p-value ({alternative})"
    headers = ("test", "statistic", f"effect size (ddof={ddof})", p_label, "partitions", "words X/Y/A/B")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def _split_names(value: str, option: str) -> list[str]:
    parts = [p.strip() for p in value.split(",")]
    if not all(parts):
        raise click.BadParameter(f"expected set names NAME1,NAME2,..., got {value!r}", param_hint=option)
    return parts


#: Options of `bias metric` that only some metrics take: option -> (parameter, metrics).
_METRIC_ONLY = {"--holdout": ("holdout", ("rnsb",)), "--iterations": ("n_iterations", ("rnsb",)),
                "--seed": ("seed", ("rnsb",)), "--reduce": ("reduce", ("rnd",)),
                "--distance": ("distance", ("rnd",)), "--relation": ("relation", ("ripa",)),
                "--normalize/--no-normalize": ("normalize", ("rnsb", "rnd", "ect", "ripa"))}  # MAC: cosine only


@bias.command("metric")
@click.argument("store")
@click.option("--metric", "metric", type=click.Choice(METRIC_NAMES), required=True,
              help="RNSB, RND, MAC, ECT or RIPA (see wordlab.debias.metrics).")
@click.option("--targets", default=None, metavar="X,Y[,...]",
              help="Target sets by name (RIPA: two sets paired word by word).")
@click.option("--attributes", default=None, metavar="A[,B...]",
              help="Attribute sets by name (RNSB: positive,negative; RND, ECT, RIPA: one set).")
@click.option("--test", default=None, help="The sets of a WEAT test instead (X,Y; A,B, or A and B as one set).")
@click.option("--sets", "sets_file", type=click.Path(dir_okay=False), default=None,
              help="JSON object of named word sets (default: WEAT.json of the shared data).")
@click.option("--normalize/--no-normalize", default=None,
              help="Unit-length word vectors first (default: the metric's paper; see its docstring).")
@click.option("--holdout", type=FiniteFloat(0, 1), default=None,
              help="RNSB: share of attribute words held out to measure the classifier (WEFE: 0.2).")
@click.option("--iterations", type=click.IntRange(min=1), default=None, help="RNSB: fits averaged.")
@click.option("--seed", type=int, default=None, help="RNSB: random_state of the split and classifier [0].")
@click.option("--reduce", type=click.Choice(["sum", "mean"]), default=None,
              help="RND: sum over attribute words (Garg et al.) or mean (WEFE) [sum].")
@click.option("--distance", type=click.Choice(["norm", "cos"]), default=None,
              help="RND: Euclidean distance, or WEFE's cosine similarity [norm].")
@click.option("--relation", type=click.Choice(["pca", "pairs"]), default=None,
              help="RIPA: first principal component of the pairs (Ethayarajh et al.) or WEFE's mean over pairs "
                   "[pca].")
@click.option("--words", "show_words", is_flag=True, help="Also print the per-word details (a second table).")
@click.option("--max-missing", type=FiniteFloat(0, 1), default=0.5, show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None)
@format_option()
@_report_warnings
def bias_metric_cmd(store, metric, targets, attributes, test, sets_file, normalize, holdout, iterations, seed,
                    reduce, distance, relation, show_words, max_missing, data_dir, fmt) -> None:
    """One of WEFE's bias metrics on STORE: RNSB, RND, MAC, ECT or RIPA."""
    import pandas as pd

    from ..debias.metrics import bias_metric, metric_on_weat_test
    from ..debias.weat import load_weat_sets
    given = {"--holdout": holdout, "--iterations": iterations, "--seed": seed, "--reduce": reduce,
             "--distance": distance, "--relation": relation, "--normalize/--no-normalize": normalize}
    kwargs = {}
    for option, value in given.items():
        parameter, takers = _METRIC_ONLY[option]
        if value is None:
            continue
        if metric not in takers:
            raise click.UsageError(f"{option} applies to {', '.join(takers)}, not {metric}")
        kwargs[parameter] = value
    if test is not None and (targets is not None or attributes is not None):
        raise click.UsageError("give --test, or --targets and --attributes, not both")
    if test is None and (targets is None or attributes is None):
        raise click.UsageError("give --targets and --attributes (or --test)")
    sets = load_weat_sets(sets_file, data_dir=data_dir)
    emb = _open(store)
    if test is not None:
        r = metric_on_weat_test(emb, metric, test, sets, max_missing=max_missing, **kwargs)
    else:
        r = bias_metric(emb, metric, _split_names(targets, "--targets"), _split_names(attributes, "--attributes"),
                        sets=sets, max_missing=max_missing, **kwargs)
    row = {"metric": r.metric, "test": r.name, "value": r.value, **r.info,
           "words " + "/".join(r.sizes): "/".join(str(v) for v in r.sizes.values())}
    click.echo(tables.render(pd.DataFrame([row]), fmt), nl=fmt != "csv")
    if show_words:
        if fmt in ("table", "markdown"):
            click.echo()
        click.echo(tables.render(r.details.reset_index(), fmt), nl=fmt != "csv")


@bias.command("residual")
@click.argument("original")
@click.argument("debiased")
@click.option("--per-side", type=click.IntRange(min=1), default=500, show_default=True,
              help="Most biased words per side.")
@click.option("-k", "k", type=click.IntRange(min=1), default=100, show_default=True, help="Neighbours per word.")
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=50_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--measure", type=click.Choice(["he-she", "direction"]), default="he-she", show_default=True,
              help="A word's bias: cos(w, he) - cos(w, she) (Gonen and Goldberg), or its projection on the direction.")
@click.option("--population", type=click.Choice(["candidates", "selected"]), default="candidates", show_default=True,
              help="The neighbour correlation over every candidate word (Gonen and Goldberg) or the selected ones.")
@click.option("--professions", default="professions", show_default=True,
              help="Professions of the professions test: a file or a debiaswe list name.")
@click.option("--classify-per-side", type=click.IntRange(min=2), default=5000, show_default=True,
              help="Classification test: most biased words per side.")
@click.option("--classify-train", type=click.IntRange(min=1), default=500, show_default=True,
              help="Classification test: of those, words per side trained on (the rest are tested).")
@click.option("--show-professions", is_flag=True, help="Also print each profession's bias and male neighbours.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Shared data directory (for debiaswe's lists by name).")
@_report_warnings
def bias_residual(original, debiased, per_side, k, restrict_vocab, seed, measure, population, professions,
                  classify_per_side, classify_train, show_professions, data_dir) -> None:
    """Gonen and Goldberg's tests, before (ORIGINAL) and after (DEBIASED): clustering, neighbour
    correlation, professions, classification (RBF SVM) and the average bias."""
    import pandas as pd

    from ..debias.report import report_direction
    from ..debias.residual import (classification_accuracy, excluded_words, most_biased, professions_neighbors,
                                   residual_bias)
    from ..debias.wordlists import read_words
    from ..errors import DataError
    if classify_train >= classify_per_side:
        raise click.BadParameter(f"must be below --classify-per-side ({classify_per_side})",
                                 param_hint="--classify-train")
    words = read_words(_list_source(professions, data_dir))
    before, after = _open(original), _open(debiased)
    d = report_direction(before, after)
    biased = most_biased(before, d, n=per_side, restrict_vocab=restrict_vocab, exclude=excluded_words(after),
                         measure=measure)
    results = []
    for label, emb in (("before", before), ("after", after)):
        r = residual_bias(emb, biased, k=k, seed=seed, population=population)
        results.append(r)
        click.echo(f"{label}: cluster accuracy {r.cluster_accuracy:.4f}, "
                   f"neighbour correlation {r.neighbor_correlation:.4f} (over {len(r.neighbor_share):,} words)")
    side = "male" if biased.measure == "he-she" else "positive"
    try:
        prof = [professions_neighbors(emb, biased, words, k=k) for emb in (before, after)]
        click.echo(f"professions: bias-by-neighbours correlation (Pearson) before {prof[0][1]:.4f}, after "
                   f"{prof[1][1]:.4f} ({len(prof[0][0])} of {len(words)} professions, {side} neighbours of k = {k})")
    except DataError as e:
        prof = None
        click.echo(f"professions: skipped ({e})")
    try:
        acc = [classification_accuracy(emb, biased, classify_per_side, classify_train, seed=seed)
               for emb in (before, after)]
        n_test = classify_per_side - classify_train
        click.echo(f"classification accuracy (RBF SVM): before {acc[0]:.4f}, after {acc[1]:.4f} "
                   f"({classify_train} + {classify_train} train, {n_test:,} + {n_test:,} test)")
    except DataError as e:
        click.echo(f"classification: skipped ({e}; --classify-per-side)")
    click.echo(f"average |bias-by-projection|: before {results[0].mean_bias:.4f}, after {results[1].mean_bias:.4f} "
               f"(over {len(biased.projections):,} candidate words)")
    if show_professions and prof is not None:
        table = pd.DataFrame({"profession": prof[0][0].index, "bias": prof[0][0]["bias"].to_numpy(),
                              f"{side} before": prof[0][0][f"{side}_neighbours"].to_numpy(),
                              f"{side} after": prof[1][0][f"{side}_neighbours"].to_numpy()})
        click.echo()
        click.echo(tables.render(table, "table"))


@bias.command("report")
@click.argument("original")
@click.argument("debiased")
@click.option("--professions", default="professions", show_default=True,
              help="Neutral words of DirectBias: a file or a debiaswe list name.")
@click.option("--test", "tests", multiple=True, help="WEAT tests (default: career_family, math_arts, science_arts).")
@click.option("--sets", "sets_file", type=click.Path(dir_okay=False), default=None,
              help="JSON object of named word sets (default: WEAT.json of the shared data).")
@click.option("--metric", "metrics", multiple=True, type=click.Choice(METRIC_NAMES),
              help="Also one of WEFE's metrics on each WEAT test's sets (repeatable).")
@click.option("--per-side", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--no-quality", is_flag=True, help="Leave out WS-353, SimLex-999 and Google analogies.")
@click.option("--seed", type=int, default=0, show_default=True)
@format_option()
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Write a PNG of the professions projected on the direction, before and after.")
@click.option("--max-missing", type=FiniteFloat(0, 1), default=0.5, show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None)
@overwrite_option("the --plot file")
@_report_warnings
def bias_report_cmd(original, debiased, professions, tests, sets_file, metrics, per_side, no_quality, seed, fmt,
                    plot, max_missing, data_dir, overwrite) -> None:
    """Bias and quality of ORIGINAL and DEBIASED side by side."""
    check_output_file(plot, overwrite)
    from ..debias import bias_report, format_report, professions_plot
    from ..debias.report import DEFAULT_WEAT_TESTS, format_value, report_direction
    from ..debias.weat import load_weat_sets
    from ..debias.wordlists import read_words
    before, after = _open(original), _open(debiased)
    d = report_direction(before, after)
    words = read_words(_list_source(professions, data_dir))
    sets = load_weat_sets(sets_file, data_dir=data_dir)
    table = bias_report(before, after, d, professions=words, weat_tests=tests or DEFAULT_WEAT_TESTS,
                        weat_sets=sets, n_per_side=per_side, quality=not no_quality, seed=seed,
                        max_missing=max_missing, metrics=metrics)
    click.echo(_describe_direction(d), err=True)
    for note in table.attrs.get("notes", []):
        click.echo(f"note: {note}", err=True)
    if fmt == "table":
        click.echo(format_report(table))
    else:
        shown = {"before": format_value, "after": format_value}
        click.echo(tables.render(table, fmt, formatters=shown), nl=fmt != "csv")
    if plot:
        save_figure(professions_plot(before, after, d, words, max_missing=max_missing), plot, overwrite)
        click.echo(f"plot: {plot}", err=True)


# -- wordlab debias ------------------------------------------------------------------------------
@click.group(cls=Group)
def debias() -> None:
    """Remove bias from a store, writing a new store (soft debiasing is not implemented); learn the
    gender-specific words."""


@debias.command("hard")
@click.argument("store")
@click.option("-o", "--out", type=click.Path(file_okay=False), required=True, help="New store directory.")
@click.option("--equalize", default="equalize_pairs", show_default=True,
              help="Equalize pairs: a file or a debiaswe list name.")
@click.option("--specific", default="gender_specific_full", show_default=True,
              help="Gender-specific words left alone: a file or a debiaswe list name.")
@direction_options
@overwrite_option("an existing store at --out")
@_report_warnings
def debias_hard(store, out, equalize, specific, data_dir, pairs_file, method, pair, max_missing, overwrite) -> None:
    """Hard-debias STORE into --out: neutralise and equalise (Bolukbasi et al. 2016)."""
    from ..debias import hard_debias
    from ..debias.wordlists import read_pairs, read_words
    emb = _open(store)
    equalize_pairs = read_pairs(_list_source(equalize, data_dir))
    specific_words = read_words(_list_source(specific, data_dir))
    d = _direction(emb, pairs_file, pair, method, max_missing, data_dir)
    new = hard_debias(emb, out, equalize=equalize_pairs, gender_specific=specific_words, direction=d,
                      max_missing=max_missing, overwrite=overwrite)
    info = new.meta["debias"]
    click.echo(_describe_direction(d))
    click.echo(f"store:        {new.path}")
    click.echo(f"neutralised:  {info['neutralised']:,} of {len(new):,} words")
    click.echo(f"equalised:    {len(info['equalized'])} pairs ({info['equalize']['found']} of "
               f"{info['equalize']['total']} given pairs found)")
    click.echo(f"specific:     {info['gender_specific']['found']} of {info['gender_specific']['total']} "
               "gender-specific words found (left on the direction)")


