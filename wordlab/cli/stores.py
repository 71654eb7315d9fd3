"""``wordlab info``, ``neighbors`` and ``convert``: what a store is, its neighbours, other formats."""
from __future__ import annotations

from pathlib import Path

import click

from ..store.formats import FORMATS
from .common import overwrite_option


def _open_store(path: str):
    from ..store import load
    return load(path)


@click.command()
@click.argument("store")
def info(store) -> None:
    """Describe STORE: size, method, hyperparameters, most frequent words."""
    emb = _open_store(store)
    meta = emb.meta
    rows = [("store", emb.path or getattr(emb, "source", None)), ("words", f"{len(emb):,}"), ("dim", emb.dim),
            ("method", meta.get("method", "?"))]
    if emb.subwords is not None:
        spec = emb.subwords.spec
        rows.append(("subwords", f"character n-grams of {spec.min_n}-{spec.max_n} in {spec.bucket:,} buckets: "
                                 "a vector for any string"))
    if emb.compression:
        rows.append(("compression", describe_compression(emb)))
    rows += [(key, meta[key]) for key in ("source_file", "created", "wordlab_version", "training_seconds")
             if key in meta]
    if meta.get("params"):
        rows.append(("params", ", ".join(f"{k}={v}" for k, v in meta["params"].items())))
    rows.append(("first words", " ".join(emb.words[:10]) + (" ..." if len(emb) > 10 else "")))
    width = max(len(k) for k, _ in rows) + 2
    for key, value in rows:
        click.echo(f"{key + ':':<{width}}{value}")


@click.command()
@click.argument("store")
@click.argument("words", nargs=-1, required=True)
@click.option("--topn", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=None,
              help="Search only the most frequent N words.")
@click.option("--exact/--approximate", "exact", default=None,
              help="Exact search, or the approximate index (`wordlab index`, built if needed); default: the built "
                   "index from 500,000 words up, else exact.")
def neighbors(store, words, topn, restrict_vocab, exact) -> None:
    """Nearest neighbours (cosine) of WORDS in STORE."""
    from ..errors import UnknownWordError
    emb = _open_store(store)
    words = list(dict.fromkeys(words))  # a word asked twice is answered once
    missing = {}
    for word in words:                  # an unknown word is reported; the others are answered
        try:
            emb._query(word)
        except UnknownWordError as e:
            missing[word] = e
    if len(missing) == len(words):
        raise missing[words[0]]
    table = emb.neighbors([w for w in words if w not in missing], topn=topn, restrict_vocab=restrict_vocab,
                          exact=exact)
    for word in words:
        click.echo(f"{word}:")
        if word in missing:
            click.echo(f"  {missing[word]}")
        for row in table[table["query"] == word].itertuples():
            click.echo(f"  {row.rank:>3}  {row.similarity:7.4f}  {row.word}")


@click.command()
@click.argument("source")
@click.argument("target", type=click.Path())
@click.option("--to", "to_format", type=click.Choice(FORMATS),
              default="store", show_default=True, help="Output format.")
@click.option("--from", "from_format", type=click.Choice(FORMATS),
              default=None, help="Input format (default: from the name).")
@click.option("--unicode-errors", type=click.Choice(["strict", "replace", "ignore"]), default="strict",
              show_default=True, help="What invalid UTF-8 in words does when reading.")
@overwrite_option("TARGET")
def convert(source, target, to_format, from_format, unicode_errors, overwrite) -> None:
    """Convert SOURCE to TARGET (formats: store, word2vec, word2vec-bin, glove, fasttext-bin;
    fasttext-bin is written from a subword store only)."""
    from ..atomic import check_target
    from ..store import load
    if Path(target).exists() and Path(source).exists() and Path(target).resolve() == Path(source).resolve():
        raise click.UsageError(f"SOURCE and TARGET are the same path ({source}): there is nothing to convert")
    check_target(Path(target), overwrite, directory=to_format == "store")
    emb = load(source, format=from_format, unicode_errors=unicode_errors)
    emb.save(Path(target), format=to_format, overwrite=overwrite)
    click.echo(f"wrote {len(emb):,} x {emb.dim} to {target} ({to_format})")


def describe_compression(emb) -> str:
    """One line: the method, its settings, the size against float32 and the error."""
    c = emb.compression
    settings = {"pq": lambda: f"{c['subspaces']} subspaces of {c['dim'] // c['subspaces']}, {c['bits']} bits"
                              + (", quantised norms" if c.get("norm") else "")
                              + (", rotated (optimised PQ)" if c.get("rotate") else "")
                              + (f"; the first {c['head_rows']:,} rows in {c['head_subspaces']} subspaces"
                                 if c.get("head_subspaces") else ""),
                "int8": lambda: f"a scale per {c.get('scale', 'row')}"}.get(c["method"], lambda: "")()
    ratio = len(emb) * emb.dim * 4 / max(emb.vectors.nbytes, 1)
    err = c.get("error", {})
    return (f"{c['method']}" + (f" ({settings})" if settings else "") + f", {ratio:.1f}x smaller than float32"
            + (f"; mean cosine to the original {err['mean_cosine']:.4f}" if "mean_cosine" in err else ""))


@click.command()
@click.argument("store")
@click.option("-o", "--out", required=True, type=click.Path(), help="The compressed store to write.")
@click.option("--method", type=click.Choice(["pq", "int8", "float16"]), default="pq", show_default=True,
              help="pq: product quantisation; int8: 8-bit integers with scales; float16: half precision.")
@click.option("--subspaces", type=click.IntRange(min=1), default=None,
              help="pq: subspaces M, a divisor of the dimension (default: subspaces of about 4 dimensions).")
@click.option("--bits", type=click.IntRange(1, 8), default=8, show_default=True,
              help="pq: bits per code (2^bits centroids per subspace).")
@click.option("--norm/--no-norm", default=False, show_default=True,
              help="pq: quantise each row's norm apart from its direction (fastText's -qnorm).")
@click.option("--rotate/--no-rotate", default=False, show_default=True,
              help="pq: optimised PQ, a learnt rotation before the subspaces are cut (better codes, about "
                   "twice the compression time).")
@click.option("--head-subspaces", type=click.IntRange(min=1), default=None,
              help="pq: code the most frequent rows (the head) finer, in this many subspaces (more than "
                   "--subspaces).")
@click.option("--head-rows", type=click.IntRange(min=1), default=None,
              help="pq: rows in the head, the first rows of the store (default: those that hold 98%% of the "
                   "store's counted tokens).")
@click.option("--scale", type=click.Choice(["row", "dim"]), default="row", show_default=True,
              help="int8: one scale per row or per dimension.")
@click.option("--iterations", type=click.IntRange(1, 1000), default=25, show_default=True,
              help="pq: k-means iterations.")
@click.option("--training-rows", type=click.IntRange(min=1), default=None,
              help="pq: rows the centroids are learnt on (default: 256 per centroid).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: in a terminal or Jupyter).")
@overwrite_option("OUT")
def compress(store, out, method, subspaces, bits, norm, rotate, head_subspaces, head_rows, scale, iterations,
             training_rows, seed, progress, overwrite) -> None:
    """Write a compressed copy of STORE to OUT: a store that every command reads."""
    from ..atomic import check_target
    check_target(Path(out), overwrite, directory=True)
    emb = _open_store(store)
    packed = emb.compress(out, method, subspaces=subspaces, bits=bits, norm=norm, rotate=rotate, scale=scale,
                          head_subspaces=head_subspaces, head_rows=head_rows, iterations=iterations, training_rows=training_rows, seed=seed, overwrite=overwrite,
                          progress=progress)
    click.echo(f"wrote {len(packed):,} x {packed.dim} to {out}: {describe_compression(packed)}")


@click.command("index")
@click.argument("store")
@click.option("--M", "M", type=click.IntRange(4, 256), default=32, show_default=True, help="HNSW graph degree.")
@click.option("--ef-construction", type=click.IntRange(8, 4096), default=100, show_default=True,
              help="Candidates kept while building (more: better graph, slower build).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Threads (default: all CPUs).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: in a terminal or Jupyter).")
def index_command(store, M, ef_construction, workers, progress) -> None:
    """Build the approximate nearest-neighbour index of STORE (kept in the cache)."""
    import time
    emb = _open_store(store)
    t0 = time.perf_counter()
    built = emb.build_index(M=M, ef_construction=ef_construction, workers=workers, progress=progress)
    click.echo(f"index of {len(emb):,} words at {built.path} ({built.nbytes / 1e6:,.1f} MB, "
               f"{time.perf_counter() - t0:.1f} s)")
