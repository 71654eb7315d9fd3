"""Query time of two versions of wordlab on the same stores: an earlier revision against
the working tree.

For each store named (``--stores``, directories such as those ``bench_compress.py
--work DIR`` leaves), ``most_similar(word, topn=10, exact=True)`` is timed for
``--queries`` words of the store's first 10,000 (every 197th from the 100th), after one
query to warm up, ``--repeat`` times each. Every store and version runs in a process of
its own; the old version is a ``git worktree`` of ``--old`` put first on ``PYTHONPATH``
(with its own Numba cache, in its tree). The processes run store after store and version
after version, ``--passes`` times over, so a busy spell of the machine falls on both
versions; the table gives each side's median over its passes' medians, the passes'
medians, and new / old.

Usage: python evals/bench_query_versions.py --old REV --stores DIR[,DIR...] [--passes 3]
       [--queries 51] [--repeat 5]

A few minutes for ten stores.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import REPO_ROOT, emit, machine_line, run_side, table  # noqa: E402


def side_time(store: str, queries: int, repeat: int) -> dict:
    import wordlab
    emb = wordlab.load(store)
    words = list(emb.words[100:10_000:197])[:queries]
    emb.most_similar(words[0], topn=10, exact=True)
    times = []
    for _ in range(repeat):
        for word in words:
            t = time.perf_counter()
            emb.most_similar(word, topn=10, exact=True)
            times.append(time.perf_counter() - t)
    return {"median_s": statistics.median(times), "wordlab": str(Path(wordlab.__file__).parent)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", help="the earlier revision (a commit of this repository)")
    ap.add_argument("--stores", help="store directories, comma-separated")
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--queries", type=int, default=51)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--args", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        emit(side_time(**json.loads(args.args)))
        return
    if not args.old or not args.stores:
        raise SystemExit("--old and --stores are needed")
    tree = Path(tempfile.mkdtemp(prefix="wordlab-old-")) / "tree"
    subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", "-q", str(tree), args.old], check=True)
    stores = [s for s in args.stores.split(",") if s]
    versions = {"old": str(tree), "new": str(REPO_ROOT)}
    medians: dict[tuple[str, str], list[float]] = {(s, v): [] for s in stores for v in versions}
    try:
        for p in range(args.passes):
            print(f"pass {p + 1} of {args.passes} ...", file=sys.stderr, flush=True)
            for store in stores:
                for version, path in versions.items():
                    r = run_side(__file__, ["--side", "time", "--args", json.dumps(
                        {"store": store, "queries": args.queries, "repeat": args.repeat})], env={"PYTHONPATH": path})
                    if "error" in r:
                        raise SystemExit(f"side failed: {store} {version}")
                    if not r["wordlab"].startswith(path):
                        raise SystemExit(f"the {version} side imported wordlab from {r['wordlab']}, not {path}")
                    medians[(store, version)].append(r["median_s"])
    finally:
        subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    rows = []
    for store in stores:
        old, new = (medians[(store, v)] for v in versions)
        rows.append([Path(store).name, f"{1e3 * statistics.median(old):.2f}",
                     ", ".join(f"{1e3 * x:.2f}" for x in old), f"{1e3 * statistics.median(new):.2f}",
                     ", ".join(f"{1e3 * x:.2f}" for x in new), f"{statistics.median(new) / statistics.median(old):.2f}"])
    print(f"most_similar(topn=10, exact=True): {args.queries} words x {args.repeat}, median ms; old = {args.old}, "
          f"new = the working tree; {args.passes} passes")
    print(table(["store", "old ms", "old passes", "new ms", "new passes", "new / old"], rows))
    print(machine_line())


if __name__ == "__main__":
    main()
