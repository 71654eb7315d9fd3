"""Benchmark: opening a large embedding store and querying it, wordlab versus gensim.

What is measured
----------------
A synthetic store of 1,000,000 words x 300 dims (float32, standard normal, fixed
seed; words ``w0`` .. ``w999999``) is written three ways in a temporary directory:

* a wordlab store directory, ``wordlab.Embeddings(words, vectors).save(dir)``;
* a word2vec binary file, written by wordlab (``save(path, format="word2vec-bin")``);
* gensim's native format, ``KeyedVectors.load_word2vec_format(bin, binary=True)``
  then ``KeyedVectors.save(path)`` (vectors in a separate ``.npy``).

Then, each side in its own subprocess (so peak RSS is its own):

* open time: ``wordlab.load(store_dir)`` (lazy: maps the matrix, reads meta.json),
  and, honestly, "open + first word lookup" (the vocabulary is parsed on first use);
  ``wordlab.load(file.bin)`` the first time (conversion into the cache) and the
  second time (cache hit, fresh process); gensim ``load_word2vec_format(bin,
  binary=True)`` (everything into RAM) and ``KeyedVectors.load(path, mmap="r")``;
* ``most_similar("w123", topn=10)``: the first call (wordlab computes and writes
  ``unit_vectors.npy``; gensim computes its norms) and the median of 5 warm calls;
  for wordlab the store is measured twice: fresh (no unit vectors yet) and reopened
  in a new process (unit vectors already on disk);
* peak RSS (the process's ``VmHWM``, equal to its ``ru_maxrss`` as the parent stays
  small; memory-mapped pages that were touched count in it) and the anonymous
  (private) part of RSS at the end of the side, while its objects are still alive;
* whether the top-10 lists of wordlab and of both gensim variants agree.

Goals
-----
* opening a store takes under 50 ms, whatever its size;
* a warm ``most_similar`` query is no slower than gensim's.

Usage
-----
    python evals/bench_store.py                 # 1M x 300, ~6 GB of temporary files
    python evals/bench_store.py --rows 200000   # smaller
    python evals/bench_store.py --tmp /big/disk --keep   # keep the files

All files (store, .bin, gensim files, wordlab's conversion cache, unit vectors) are
under one temporary directory, deleted at the end unless ``--keep``. The page cache
is warm (the files were just written and are read once before each side), so these
are warm-cache numbers; cold-disk numbers would be larger for every side.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

QUERY = "w123"


# -- child sides ------------------------------------------------------------------------
def side_setup(work: Path, rows: int, dim: int, seed: int) -> dict:
    import numpy as np
    import wordlab
    import logging
    logging.disable(logging.CRITICAL)
    from gensim.models import KeyedVectors
    out = {}
    with _bench.Timer() as t:
        rng = np.random.default_rng(seed)
        vectors = rng.standard_normal((rows, dim), dtype=np.float32)
        words = [f"w{i}" for i in range(rows)]
    out["generate_s"] = t.s
    emb = wordlab.Embeddings(words, vectors)
    with _bench.Timer() as t:
        emb.save(work / "store")
    out["wordlab_save_store_s"] = t.s
    with _bench.Timer() as t:
        emb.save(work / "vectors.bin", format="word2vec-bin")
    out["wordlab_save_bin_s"] = t.s
    del emb
    with _bench.Timer() as t:
        kv = KeyedVectors.load_word2vec_format(str(work / "vectors.bin"), binary=True)
    out["gensim_read_bin_s"] = t.s
    out["bin_roundtrip_exact"] = bool(kv.index_to_key[:5] == words[:5] and len(kv) == rows
                                      and np.array_equal(kv.vectors, vectors))
    with _bench.Timer() as t:
        # separately=["vectors"]: what gensim does by itself for arrays of 10M+ elements
        # (1M x 300 here); explicit so that small --rows are memory-mapped as well.
        kv.save(str(work / "gensim.kv"), separately=["vectors"])
    out["gensim_save_s"] = t.s
    out["files"] = {p.name: p.stat().st_size for p in sorted(work.iterdir()) if p.is_file()}
    out["files"]["store/"] = sum(p.stat().st_size for p in (work / "store").iterdir())
    return out


def _queries(most_similar, repeat: int) -> dict:
    with _bench.Timer() as t:
        top = most_similar(QUERY, topn=10)
    first = t.s
    warm = []
    for _ in range(repeat):
        with _bench.Timer() as t:
            most_similar(QUERY, topn=10)
        warm.append(t.s)
    return {"first_query_s": first, "warm_query_s": statistics.median(warm), "warm_all_s": warm,
            "top10": [[w, float(s)] for w, s in top]}


def _snapshot(res: dict) -> dict:
    """Record RSS now, while the side's objects are still alive (not after they are freed)."""
    now = _bench.rss_now_mb()
    res["rss_anon_end_mb"] = round(now.get("RssAnon", float("nan")), 1)
    res["rss_file_end_mb"] = round(now.get("RssFile", float("nan")), 1)
    return res


def side_wordlab_store(work: Path, repeat: int) -> dict:
    with _bench.Timer() as t:
        import wordlab
    import_s = t.s
    base = _bench.rss_now_mb().get("VmRSS")
    unit_existed = (work / "store" / "unit_vectors.npy").is_file()
    with _bench.Timer() as t:
        emb = wordlab.load(work / "store")
    open_s = t.s
    with _bench.Timer() as t:
        v = emb[QUERY]
    lookup_s = t.s
    assert v.shape == (emb.dim,)
    after_open = _bench.rss_now_mb()
    res = {"open_s": open_s, "open_lookup_s": open_s + lookup_s, "base_rss_mb": base, "import_s": import_s,
           "unit_vectors_existed": unit_existed, "rss_after_open": after_open}
    res.update(_queries(emb.most_similar, repeat))
    return _snapshot(res)


def side_wordlab_bin(work: Path, repeat: int) -> dict:
    with _bench.Timer() as t:
        import wordlab
    import_s = t.s
    base = _bench.rss_now_mb().get("VmRSS")
    stores = Path(os.environ["WORDLAB_CACHE"]) / "stores"
    hit = stores.is_dir() and any(stores.iterdir())
    with _bench.Timer() as t:
        emb = wordlab.load(work / "vectors.bin")
    open_s = t.s
    with _bench.Timer() as t:
        emb[QUERY]
    lookup_s = t.s
    return _snapshot({"open_s": open_s, "open_lookup_s": open_s + lookup_s, "base_rss_mb": base,
                      "import_s": import_s, "cache_hit_expected": hit, "n_words": len(emb)})


def side_gensim_w2v(work: Path, repeat: int) -> dict:
    import logging
    logging.disable(logging.CRITICAL)
    with _bench.Timer() as t:
        from gensim.models import KeyedVectors
    import_s = t.s
    base = _bench.rss_now_mb().get("VmRSS")
    with _bench.Timer() as t:
        kv = KeyedVectors.load_word2vec_format(str(work / "vectors.bin"), binary=True)
    open_s = t.s
    with _bench.Timer() as t:
        kv[QUERY]
    lookup_s = t.s
    res = {"open_s": open_s, "open_lookup_s": open_s + lookup_s, "base_rss_mb": base,
           "import_s": import_s}
    res.update(_queries(kv.most_similar, repeat))
    return _snapshot(res)


def side_gensim_mmap(work: Path, repeat: int) -> dict:
    import logging
    logging.disable(logging.CRITICAL)
    with _bench.Timer() as t:
        from gensim.models import KeyedVectors
    import_s = t.s
    base = _bench.rss_now_mb().get("VmRSS")
    with _bench.Timer() as t:
        kv = KeyedVectors.load(str(work / "gensim.kv"), mmap="r")
    open_s = t.s
    with _bench.Timer() as t:
        kv[QUERY]
    lookup_s = t.s
    res = {"open_s": open_s, "open_lookup_s": open_s + lookup_s, "base_rss_mb": base, "import_s": import_s,
           "mmapped": type(kv.vectors).__name__}
    res.update(_queries(kv.most_similar, repeat))
    return _snapshot(res)


SIDES = {"setup": None, "wordlab-store": side_wordlab_store, "wordlab-bin": side_wordlab_bin,
         "gensim-w2v": side_gensim_w2v, "gensim-mmap": side_gensim_mmap}


# -- parent -----------------------------------------------------------------------------
def warm(paths) -> None:
    """Read files (or the files of directories) once, into the page cache."""
    for p in map(Path, paths):
        files = [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else []
        for f in files:
            _bench.read_through(f)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5, help="warm queries per side (median reported)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                    help="wait up to SECONDS for the 1-minute load average to drop below 0.5 "
                         "before starting (the machine may be shared)")
    ap.add_argument("--tmp", default="/tmp", help="parent of the temporary directory (default /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--side", choices=list(SIDES), help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.side:
        work = Path(args.work)
        if args.side == "setup":
            res = side_setup(work, args.rows, args.dim, args.seed)
        else:
            res = SIDES[args.side](work, args.repeat)
        _bench.emit(res)
        return 0

    if args.rows <= 123:
        ap.error("--rows must be above 123 (the query word is w123)")
    need = args.rows * args.dim * 4 * 5.2
    free = shutil.disk_usage(args.tmp).free
    if free < need * 1.1:
        sys.stderr.write(f"error: {args.tmp} has {free / 2**30:.1f} GiB free; about "
                         f"{need / 2**30:.1f} GiB are needed (use --tmp or --rows)\n")
        return 2
    _bench.wait_idle(args.wait_idle)
    work = Path(tempfile.mkdtemp(prefix="wordlab-bench-store-", dir=args.tmp))
    started = time.time()
    load0 = _bench.load_average()
    try:
        common = ["--work", str(work), "--rows", str(args.rows), "--dim", str(args.dim),
                  "--seed", str(args.seed), "--repeat", str(args.repeat)]

        def run(side, cache="cache-" , warm_paths=()):
            warm(warm_paths)
            env = {"WORDLAB_CACHE": str(work / cache), "TMPDIR": str(work)}
            r = _bench.run_side(__file__, ["--side", side, *common], env)
            print(f"  done: {side:<14} ({r.get('process_s', 0):.1f} s in the process)",
                  file=sys.stderr, flush=True)
            return r

        setup = run("setup", "cache-setup")
        if "error" in setup:
            return 1
        store, bin_, gkv = work / "store", work / "vectors.bin", work / "gensim.kv"
        results = {}
        results["wordlab-store"] = run("wordlab-store", "cache-store", [store])
        results["wordlab-store-reopen"] = run("wordlab-store", "cache-store", [store])
        results["wordlab-bin-convert"] = run("wordlab-bin", "cache-bin", [bin_])
        results["wordlab-bin-hit"] = run("wordlab-bin", "cache-bin", [work / "cache-bin" / "stores"])
        results["gensim-w2v"] = run("gensim-w2v", "cache-g", [bin_])
        results["gensim-mmap"] = run("gensim-mmap", "cache-g", [gkv, work / "gensim.kv.vectors.npy"])
        report(args, setup, results, time.time() - started, load0)
    finally:
        if args.keep:
            print(f"(kept {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def report(args, setup: dict, results: dict, elapsed: float, load0: float) -> None:
    print(f"bench_store: {args.rows:,} words x {args.dim} dims float32 (standard normal, seed {args.seed}), "
          f"query most_similar({QUERY!r}, topn=10)")
    print(_bench.machine_line(load0))
    print()
    names = {
        "wordlab-store": "wordlab load(store dir), no unit vectors yet",
        "wordlab-store-reopen": "wordlab load(store dir), reopened (unit vectors on disk)",
        "wordlab-bin-convert": "wordlab load(.bin), 1st: conversion into cache",
        "wordlab-bin-hit": "wordlab load(.bin), 2nd: cache hit (new process)",
        "gensim-w2v": "gensim load_word2vec_format(.bin, binary=True)",
        "gensim-mmap": "gensim KeyedVectors.load(mmap='r')",
    }
    rows = []
    for key, label in names.items():
        r = results[key]
        if "error" in r:
            rows.append([label, r["error"]] + ["-"] * 6)
            continue
        rows.append([label, _bench.fmt_s(r["import_s"]), _bench.fmt_s(r["open_s"]), _bench.fmt_s(r["open_lookup_s"]),
                     _bench.fmt_s(r.get("first_query_s")), _bench.fmt_s(r.get("warm_query_s")),
                     _bench.fmt_mb(r["peak_rss_mb"]), _bench.fmt_mb(r["rss_anon_end_mb"])])
    print(_bench.table(["side", "import", "open", "open + 1st lookup", "1st query", f"warm query (median of {args.repeat})",
                        "peak RSS", "RssAnon at end"], rows))

    # Agreement of the top-10 lists.
    print()
    ref = results["wordlab-store"].get("top10")
    if ref:
        print("top-10 of wordlab: " + ", ".join(f"{w} {s:.4f}" for w, s in ref))
        for key in ("wordlab-store-reopen", "gensim-w2v", "gensim-mmap"):
            other = results[key].get("top10")
            if not other:
                continue
            agree = [w for w, _ in ref] == [w for w, _ in other]
            diff = max(abs(a[1] - b[1]) for a, b in zip(ref, other)) if agree else float("nan")
            print(f"agree with {key}: {'yes' if agree else 'NO'}"
                  + (f" (same words, same order; max |similarity difference| {diff:.1e})" if agree else
                     f" (theirs: {', '.join(w for w, _ in other)})"))

    # Goals.
    print()
    ws, wr = results["wordlab-store"], results["wordlab-store-reopen"]
    gw, gm = results["gensim-w2v"], results["gensim-mmap"]
    if "error" not in ws:
        ok = ws["open_s"] < 0.05 and ("error" in wr or wr["open_s"] < 0.05)
        print(f"goal open < 50 ms: {'MET' if ok else 'MISSED'} -- wordlab load(store) {_bench.fmt_s(ws['open_s'])}"
              f"{'' if 'error' in wr else ', reopened ' + _bench.fmt_s(wr['open_s'])}; "
              f"open + first lookup {_bench.fmt_s(ws['open_lookup_s'])} (the vocabulary is read on first use)")
    if all("error" not in r for r in (ws, wr, gw, gm)):
        g = min(gw["warm_query_s"], gm["warm_query_s"])
        wins = [r["warm_query_s"] <= g for r in (ws, wr)]
        verdict = "MET" if all(wins) else "MISSED" if not any(wins) else "MIXED (met in one wordlab process only)"
        print(f"goal warm query no slower than gensim: {verdict} -- wordlab "
              f"{_bench.fmt_s(ws['warm_query_s'])} (reopened {_bench.fmt_s(wr['warm_query_s'])}), gensim in RAM "
              f"{_bench.fmt_s(gw['warm_query_s'])}, gensim mmap {_bench.fmt_s(gm['warm_query_s'])}; "
              f"wordlab / best gensim = {ws['warm_query_s'] / g:.2f} (reopened {wr['warm_query_s'] / g:.2f})")
    print()
    print("Setup (not part of the comparison): generate "
          f"{_bench.fmt_s(setup['generate_s'])}; wordlab save store {_bench.fmt_s(setup['wordlab_save_store_s'])}, "
          f"save word2vec-bin {_bench.fmt_s(setup['wordlab_save_bin_s'])}; gensim read that .bin "
          f"{_bench.fmt_s(setup['gensim_read_bin_s'])} (round trip exact: "
          f"{'yes' if setup['bin_roundtrip_exact'] else 'NO'}), gensim save {_bench.fmt_s(setup['gensim_save_s'])}.")
    print("Files: " + ", ".join(f"{k} {v / 2**30:.2f} GiB" for k, v in setup["files"].items() if v > 2**20))
    print("Notes:")
    print("- import = `import wordlab` or `from gensim.models import KeyedVectors` in a fresh process "
          "(not included in open).")
    print("- open = the load call alone; wordlab's store open is lazy (maps vectors.npy, reads meta.json), "
          "the vocabulary (vocab.tsv) is parsed and indexed on the first lookup.")
    print("- 1st query: wordlab computes unit vectors into unit_vectors.npy (written beside the store, "
          "memory-mapped) unless they exist; gensim computes its norms in RAM.")
    for key, r in results.items():
        warn = _bench.rss_mismatch(r)
        if warn:
            print(f"- warning: {key}: {warn} (ru_maxrss includes the parent's peak)")
    print("- peak RSS = VmHWM of the side's own process (equal to its ru_maxrss: the parent stays small); "
          "it counts the touched pages of memory-mapped files (shared, reclaimable page cache) as "
          "well as private memory; RssAnon at end is the private (anonymous) memory still held at the end.")
    print("- warm page cache for every side; each side ran in its own process.")
    if "mmapped" in gm:
        print(f"- gensim load(mmap='r') gave vectors of type {gm['mmapped']}.")
    print(f"(total {elapsed:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
