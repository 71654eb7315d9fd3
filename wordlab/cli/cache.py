"""``wordlab cache ...``: what the cache holds, and cleaning it (see :mod:`wordlab.cache`)."""
from __future__ import annotations

import json
from collections import defaultdict

import click

from .. import cache as cache_mod
from .common import FiniteFloat, Group


@click.group(cls=Group)
def cache() -> None:
    """List and clean wordlab's cache (encoded corpora, co-occurrence counts, imported stores,
    unit vectors) and the stale temporary files of killed processes."""


kind_option = click.option("--kind", "kinds", multiple=True, type=click.Choice(cache_mod.KINDS),
                           help="Only this kind of entry (repeatable).")


@cache.command("info")
def info() -> None:
    """Where the cache is, and its size by kind."""
    from ..errors import format_bytes
    from ..paths import cache_root
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for entry in cache_mod.entries():
        t = totals[entry.kind]
        t[0] += 1
        t[1] += entry.bytes
        t[2] += entry.stale
    click.echo(f"cache: {cache_root()}")
    for kind in cache_mod.KINDS:
        n, size, stale = totals.get(kind, (0, 0, 0))
        if n:
            note = f", {stale} stale" if stale else ""
            click.echo(f"  {kind:<8} {n:>6,} entries  {format_bytes(size):>10}{note}")
    if not totals:
        click.echo("  (empty)")


@cache.command("list")
@kind_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per entry.")
def list_entries(kinds, as_json) -> None:
    """Every entry: kind, size, last change, in use / stale, and what it came from."""
    from ..errors import format_bytes
    for entry in cache_mod.entries(kinds or cache_mod.KINDS):
        if as_json:
            click.echo(json.dumps(entry.to_dict(), ensure_ascii=False))
            continue
        d = entry.to_dict()
        state = "in use" if entry.in_use else ("stale" if entry.stale else "")
        click.echo(f"{entry.kind:<8} {format_bytes(entry.bytes):>10}  {d['modified']}  {state:<6}  "
                   f"{entry.path.name}  {entry.what}")


@cache.command("clean")
@kind_option
@click.option("--all", "everything", is_flag=True,
              help="Every entry of every disposable kind (not 'runs', which holds training results: "
                   "name it with --kind runs).")
@click.option("--older-than", type=FiniteFloat(0), default=None, metavar="DAYS",
              help="Only entries not changed for this many days.")
@click.option("--partials", "partial_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Also remove stale .partial files of killed wordlab processes in this directory "
                   "(and below; repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would go, remove nothing.")
def clean(kinds, everything, older_than, partial_dirs, dry_run) -> None:
    """Remove stale entries: by default only debris (unfinished writes of killed processes,
    temporary folders of exited ones, digests and unit vectors of files that changed).
    Entries in use by a running process are never removed."""
    from ..errors import format_bytes
    chosen = kinds or (cache_mod.DISPOSABLE if everything else None)
    removed = cache_mod.clean(chosen, older_than_days=older_than, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for entry in removed:
        click.echo(f"{verb} {entry.kind} {entry.path} ({format_bytes(entry.bytes)})")
    from ..atomic import find_stale_partials, remove_stale_partials
    partials = []
    for d in partial_dirs:
        partials += (find_stale_partials if dry_run else remove_stale_partials)(d, recursive=True)
    for p in partials:
        click.echo(f"{verb} stale partial {p}")
    total = sum(e.bytes for e in removed)
    click.echo(f"{verb} {len(removed):,} cache entries ({format_bytes(total)}) and "
               f"{len(partials):,} stale partial file(s)", err=True)
