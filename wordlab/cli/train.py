"""``wordlab train``: its options come from the method registry.

Every trainer parameter with ``cli=True`` (:mod:`wordlab.trainers.parameters`) becomes
an option whose type and range are the parameter's declared rule and whose help names
each method's default (:func:`wordlab.trainers.registry.defaults_by_method`). An option
given to a method it does not apply to is a usage error. A new method or parameter needs
no edit here.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..params import Boolean, Constraint, Integer, Options, Real
from ..trainers import registry
from .common import FiniteFloat, overwrite_option
from .options import corpus_options, dask_client, dask_option, make_corpus


class ConstraintType(click.ParamType):
    """A click type that converts a value to the kind a :class:`~wordlab.params.Constraint`
    wants and refuses what it does not accept (NaN and infinity included), naming the rule."""

    def __init__(self, constraint: Constraint):
        self.constraint = constraint
        self.name = {Integer: "integer", Real: "number"}.get(type(constraint), "text")

    def convert(self, value, param, ctx):
        rule, given = self.constraint, value
        if isinstance(rule, Integer):
            try:
                value = int(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not an integer", param, ctx)
        elif isinstance(rule, Real):
            try:
                value = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
        if not rule.accepts(value):
            self.fail(f"{given!r} is not {rule.describe()}", param, ctx)
        return value

    def get_metavar(self, param, ctx=None):
        if isinstance(self.constraint, Options):
            return "[" + "|".join(map(str, self.constraint.values)) + "]"
        return None


def _help(name: str) -> str:
    param = registry.all_parameters()[name]
    methods = registry.applies_to(name)
    scope = "" if len(methods) == len(registry.REGISTRY) else ", ".join(methods) + ": "
    return f"{scope}{param.help} [default: {registry.defaults_by_method(name)}]"


def parameter_options(f):
    """Decorate ``f`` with one option per registry parameter (in reverse, so that
    ``--help`` lists them in the registry's order)."""
    for name, param in reversed(list(registry.all_parameters().items())):
        if not param.cli:
            continue
        flag = name.replace("_", "-")
        if isinstance(param.constraint, Boolean):
            f = click.option(f"--{flag}/--no-{flag}", name, default=None, help=_help(name))(f)
        else:
            f = click.option(f"--{flag}", name, type=ConstraintType(param.constraint), default=None,
                             help=_help(name))(f)
    return f


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--method", type=click.Choice(list(registry.REGISTRY)), default="sgns", show_default=True,
              help="Training method (see the README's table of methods).")
@parameter_options
@click.option("-o", "--out", type=click.Path(file_okay=False), default=None,
              help="Store directory to create (default: a new METHOD-TIMESTAMP under the cache's runs/).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run of --out.")
@click.option("--checkpoint-interval", type=FiniteFloat(0), default=None, metavar="SECONDS",
              help="Training seconds between checkpoints; 0: after every epoch. Default: every epoch for weights "
                   "up to 256 MiB, else so that checkpoints take about a tenth of the training time.")
@overwrite_option("an existing store at --out (when the run completes)")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: in a terminal or Jupyter).")
@dask_option
@corpus_options
def train(paths, method, out, resume, checkpoint_interval, overwrite, progress, dask_spec, **options) -> None:
    """Train embeddings on PATHS (default: the embedded English Wikipedia sample).

    The help of an option that only some methods take names them first; giving it to
    another method is an error.
    """
    chosen = {n: options.pop(n) for n in list(options) if n in registry.all_parameters()}
    chosen = {n: v for n, v in chosen.items() if v is not None}
    spec = registry.get(method)
    wrong = [n for n in chosen if n not in spec.parameters()]
    if wrong:
        raise click.UsageError(f"--{wrong[0].replace('_', '-')} does not apply to --method {method} "
                               f"(it applies to {', '.join(registry.applies_to(wrong[0]))})")
    if chosen.get("averaging_rounds") is not None and dask_spec is None:
        raise click.UsageError("--averaging-rounds trains on a Dask cluster: give --dask SPEC too")
    if out is None and resume:
        raise click.UsageError("--resume needs the --out of the interrupted run")
    trainer = spec.make(progress=progress, **chosen).validate()
    out = Path(out) if out is not None else trainer.default_out()
    if not resume:                    # refuse an existing output before encoding anything
        from ..atomic import check_target
        check_target(out, overwrite, directory=True)
    corpus = make_corpus(paths, **options)
    click.echo(f"corpus:  {corpus!r}", err=True)
    # --dask: the encoding always, and whatever else the method runs on a cluster
    with dask_client(dask_spec) as client:
        encoded = corpus.encode(min_count=trainer.min_count, max_size=trainer.max_size, progress=progress,
                                client=client if corpus.files is not None else None)
        if len(encoded.vocab) == 0 or encoded.n_tokens == 0:
            raise click.ClickException(
                f"nothing to train on: {encoded.meta.get('total_tokens', 0):,} tokens, none of a word seen "
                f"at least --min-count={trainer.min_count} times")
        if client is not None and spec.runs_on_dask:
            trainer.client = client
        emb = trainer.fit(encoded, out, resume=resume, overwrite=overwrite, checkpoint_interval=checkpoint_interval)
    _report(emb, encoded, trainer, method)


def _report(emb, encoded, trainer, method: str) -> None:
    meta = emb.meta
    click.echo(f"store:   {emb.path}")
    click.echo(f"vocab:   {len(emb):,} words (min_count={trainer.min_count}), {encoded.n_tokens:,} tokens, "
               f"{encoded.dropped_tokens:,} rarer tokens dropped")
    click.echo(f"trained: {method}, dim {emb.dim}, {trainer.epochs} epochs in {meta['training_seconds']:.1f} s, "
               f"{meta['words_per_second'] or 0:,.0f} words/s")
    click.echo("loss:    " + " ".join(f"{h['loss']:.4f}" for h in meta["history"]))
    probes = [w for w in emb.words[150:2000] if len(w) >= 4 and _is_word(w)][:4]
    if probes:
        table = emb.neighbors(probes, topn=5)
        for word in probes:
            near = table[table["query"] == word]
            click.echo(f"  {word:>12} -> " + ", ".join(near["word"]))


def _is_word(w: str) -> bool:
    """Letters, with the combining marks and joiners of scripts such as Sinhala (whose
    vowel signs are not letters to str.isalpha) and an apostrophe inside."""
    import unicodedata
    return w[0].isalpha() and all(unicodedata.category(c)[0] in "LM" or c in "\u200c\u200d'\u2019\u02bc" for c in w)
