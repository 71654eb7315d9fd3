"""Compressed stores against float32: size, open time, query time and quality (issue 23).

Three stores: SGNS trained on enwiki-text8style (``enwiki``: dim 100, the settings of
``bench_word2vec.py``, 5 epochs, seed 1; ``enwiki300``: the same at dim 300, the
dimension of fastText's and navec's published vectors) and a synthetic 1,000,000 x 300 store with
planted structure (``--rows``, ``--dim``): 20,000 cluster centres, each row its centre
plus noise of half the centre's scale, times a per-row length drawn from a log-normal,
so that a row's nearest neighbours are mostly its cluster's and the ranking inside a
cluster depends on the noise (what quantisation disturbs).

Each store is compressed with float16, int8 (a scale per row) and product quantisation
at several settings (``--pq M[hMH][n][r],...``: M subspaces, ``hMH`` for a head of MH
subspaces over the rows that hold 98% of the counted tokens, ``n`` for quantised norms,
``r`` for optimised PQ's rotation), each
compression in its own process (time and peak RSS). Then every variant is measured in a
process of its own:

- size: the bytes of the matrix's files (``vectors.npy`` and the method's parameters),
  against float32's ``vectors.npy``;
- open: ``wordlab.load`` (memory-maps the codes and reads meta.json);
- query: ``most_similar(word, topn=10, exact=True)`` for ``--queries`` words (drawn once, the same
  for every variant): the first (float32 makes its unit vectors, a compressed store its
  norms), then the median and 90th percentile of ``--rounds`` x ``--repeat`` timings of
  every word. The timing processes run every variant in turn, pass after pass, so a busy
  spell of the machine (a neighbour on the host, which moves a 27 MB float32 scan by
  half) falls on all variants rather than on one;
- quality: top-10 neighbour overlap with the float32 store over those words, and on the
  enwiki stores over as many words of the rarer half of the vocabulary (``rare overlap``:
  what a head costs the rows outside it); on the
  enwiki stores also the Google analogies at 30,000 words, WS-353 and SimLex-999 (the
  evaluators of ``wordlab eval``); the mean cosine of a row and its decoding (from the
  store's own ``meta.json``).

The goals of issue 23: PQ at least 10x smaller than float32 with at most 1 point of
analogy loss and 0.01 of WS-353; float16 at most 0.1 point; a PQ query no slower than
an exact float32 query on the same store.

Usage: python evals/bench_compress.py [--stores enwiki,enwiki300,synthetic] [--rows 1000000] [--dim 300]
       [--pq-enwiki 20,25,25n,25r,50,50r,20h50,20h50r] [--pq-enwiki300 75,75r,100,100r,75h150,75h150r]
       [--pq-synthetic 75,75n,100,150] [--queries 51] [--rounds 8] [--repeat 2] [--work DIR]

``--work DIR`` keeps the stores there and reuses the trained and synthetic ones. About an hour
and a half on two cores with the defaults (optimised PQ at dimension 300 takes most of it); the synthetic store needs 1.2 GB, its unit
vectors in the cache as much again, and its float16 and int8 copies 0.9 GB.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import Timer, emit, find_data_dir, machine_line, run_side, table  # noqa: E402


# -- child sides ------------------------------------------------------------------------
def side_train(out: str, dim: int = 100) -> dict:
    import wordlab
    from wordlab.trainers import Word2Vec
    enc = wordlab.Corpus(find_data_dir() / "corpora" / "enwiki-text8style.txt.gz").encode(min_count=5, progress=False)
    emb = Word2Vec(method="sgns", dim=dim, window=5, negative=5, sample=1e-3, epochs=5, workers=2, seed=1,
                   progress=False).fit(enc, out)
    return {"vocab": len(emb), "train_s": emb.meta["training_seconds"]}


def side_synthetic(out: str, rows: int, dim: int, seed: int) -> dict:
    import numpy as np
    from wordlab.store.writer import store_directory
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20_000, dim), dtype=np.float32)
    t0 = time.time()
    with store_directory(out) as builder:
        matrix = builder.create_vectors(rows, dim)
        for a in range(0, rows, 100_000):
            b = min(rows, a + 100_000)
            block = centres[rng.integers(0, len(centres), b - a)]
            block += 0.5 * rng.standard_normal(block.shape, dtype=np.float32)
            block *= rng.lognormal(0.0, 0.3, size=(b - a, 1)).astype(np.float32)
            matrix[a:b] = block
        matrix.flush()
        del matrix
        builder.write_vocab([f"s{i}" for i in range(rows)], np.arange(rows, 0, -1))
        from wordlab.store.writer import provenance
        builder.finish({"method": "synthetic", "params": {"centres": 20_000, "noise": 0.5, "seed": seed}},
                       provenance("imported", source_file="synthetic", source_format="synthetic", digest=None))
    return {"write_s": time.time() - t0}


def side_compress(source: str, out: str, method: str, settings: dict) -> dict:
    import wordlab
    emb = wordlab.load(source)
    with Timer() as t:
        packed = emb.compress(out, method, progress=False, **settings)
    return {"compress_s": t.s, "reconstruction": packed.compression["error"]}


def side_measure(store: str, queries: list[str], quality: bool, top_out: str | None, rare: list[str] = ()) -> dict:
    import numpy as np
    with Timer() as t:
        import wordlab
    import_s = t.s
    with Timer() as t:
        emb = wordlab.load(store)
    open_s = t.s
    times, tops = [], []
    for word in queries:
        with Timer() as t:
            top = emb.most_similar(word, topn=10, exact=True)
        times.append(t.s)
        tops.append([w for w, _ in top])
    out = {"import_s": import_s, "open_s": open_s, "first_query_s": times[0],
           "warm_query_s": statistics.median(times[1:]), "tops": tops,
           "rare_tops": [[w for w, _ in emb.most_similar(word, topn=10, exact=True)] for word in rare],
           "matrix_bytes": matrix_bytes(Path(store)), "mean_cosine": (emb.compression or {}).get("error", {}).get(
               "mean_cosine", 1.0)}
    if quality:
        from wordlab.evals import evaluate_analogies, evaluate_word_pairs
        with Timer() as t:
            out["analogy"] = evaluate_analogies(emb, "google-analogy", restrict_vocab=30_000).total.accuracy
            out["ws353"] = float(evaluate_word_pairs(emb, "ws353").spearman)
            out["simlex"] = float(evaluate_word_pairs(emb, "simlex999").spearman)
        out["quality_s"] = t.s
    if top_out:
        Path(top_out).write_text(json.dumps({"tops": tops, "rare": out["rare_tops"]}))
    del np
    return out


def side_time(store: str, queries: list[str], repeat: int) -> dict:
    """Query times only: one query to warm up (norms, unit vectors, kernels), then
    ``repeat`` rounds of every query word."""
    import wordlab
    emb = wordlab.load(store)
    emb.most_similar(queries[0], topn=10, exact=True)
    times = []
    for _ in range(repeat):
        for word in queries:
            with Timer() as t:
                emb.most_similar(word, topn=10, exact=True)
            times.append(t.s)
    return {"times": times}


def matrix_bytes(store: Path) -> int:
    """The bytes of a store's matrix: vectors.npy and a compressed store's parameters."""
    from wordlab.store.quantize import PARAMETERS
    return sum(p.stat().st_size for p in store.iterdir()
               if p.name == "vectors.npy" or p.name in {f"{name}.npy" for name in PARAMETERS})


# -- the parent -----------------------------------------------------------------------------
def variants(pq: str) -> list[tuple[str, str, dict]]:
    import re
    out = [("float16", "float16", {}), ("int8", "int8", {"scale": "row"})]
    for item in pq.split(","):
        found = re.fullmatch(r"(\d+)(?:h(\d+))?([nr]*)", item.strip())
        if found is None:
            raise SystemExit(f"--pq: {item!r} is not M[hMH][n][r]")
        M, head, flags = int(found[1]), found[2], found[3]
        norm, rotate = "n" in flags, "r" in flags
        settings = {"subspaces": M, "norm": norm, "rotate": rotate}
        if head:
            settings["head_subspaces"] = int(head)
        out.append((f"pq M={M}{f' head {head}' if head else ''}{' norm' if norm else ''}{' opq' if rotate else ''}",
                    "pq", settings))
    return out


def pick_queries(store: Path, n: int, seed: int, low: int, high: int) -> list[str]:
    import numpy as np
    words = [line.split("\t", 1)[0] for line in (store / "vocab.tsv").read_text(encoding="utf-8").splitlines()]
    rng = np.random.default_rng(seed)
    return [words[i] for i in rng.choice(np.arange(low, min(high, len(words))), n, replace=False)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stores", default="enwiki,enwiki300,synthetic")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--pq-enwiki", default="20,25,25n,25r,50,50r,20h50,20h50r")
    ap.add_argument("--pq-enwiki300", default="75,75r,100,100r,75h150,75h150r")
    ap.add_argument("--pq-synthetic", default="75,75n,100,150")
    ap.add_argument("--queries", type=int, default=51)
    ap.add_argument("--rounds", type=int, default=8,
                    help="timing passes over every variant, in turn (other tenants of the machine come and go)")
    ap.add_argument("--repeat", type=int, default=2, help="rounds of the query words in each timing process")
    ap.add_argument("--work", default=None)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--args", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        kw = json.loads(args.args)
        emit({"train": side_train, "synthetic": side_synthetic, "compress": side_compress,
              "measure": side_measure, "time": side_time}[args.side](**kw))
        return
    tmp = tempfile.mkdtemp(prefix="wordlab-bench-compress-") if args.work is None else None
    work = Path(args.work or tmp)
    work.mkdir(parents=True, exist_ok=True)
    env = {"WORDLAB_CACHE": str(work / "cache")}

    def side(name: str, **kw) -> dict:
        r = run_side(__file__, ["--side", name, "--args", json.dumps(kw)], env=env)
        if "error" in r:
            raise SystemExit(f"side {name} failed: {kw}")
        return r

    try:
        for store in args.stores.split(","):
            base = work / store
            if not (base / "meta.json").is_file():
                print(f"making the {store} store ...", file=sys.stderr, flush=True)
                setup = (side("train", out=str(base), dim=300 if store == "enwiki300" else 100)
                         if store.startswith("enwiki") else
                         side("synthetic", out=str(base), rows=args.rows, dim=args.dim, seed=0))
                print(json.dumps(setup), file=sys.stderr, flush=True)
            quality = store.startswith("enwiki")
            queries = (pick_queries(base, args.queries, 0, 100, 10_000) if quality else
                       pick_queries(base, args.queries, 0, 0, args.rows))
            n_rows = json.loads((base / "meta.json").read_text())["n_words"]
            rare = pick_queries(base, args.queries, 1, n_rows // 2, n_rows) if quality else []
            reference = work / f"{store}-float32-top10.json"
            rows = [("float32", None, side("measure", store=str(base), queries=queries, quality=quality,
                                           top_out=str(reference), rare=rare))]
            ref = json.loads(reference.read_text())
            pq = {"enwiki": args.pq_enwiki, "enwiki300": args.pq_enwiki300}.get(store, args.pq_synthetic)
            stores = [base]
            for label, method, settings in variants(pq):
                out = work / f"{store}-{label.replace(' ', '-').replace('=', '')}"
                print(f"{store}: {label} ...", file=sys.stderr, flush=True)
                if out.exists():
                    shutil.rmtree(out)
                made = side("compress", source=str(base), out=str(out), method=method, settings=settings)
                got = side("measure", store=str(out), queries=queries, quality=quality, top_out=None, rare=rare)
                got["overlap"] = overlap(got["tops"], ref["tops"])
                if rare:
                    got["rare_overlap"] = overlap(got["rare_tops"], ref["rare"])
                rows.append((label, made, got))
                stores.append(out)
            # query times: every variant in turn, pass after pass, so that a busy spell of the
            # machine falls on all of them rather than on one
            times: list[list[float]] = [[] for _ in stores]
            for r in range(args.rounds):
                print(f"{store}: timing pass {r + 1} of {args.rounds} ...", file=sys.stderr, flush=True)
                for i, path in enumerate(stores):
                    times[i] += side("time", store=str(path), queries=queries, repeat=args.repeat)["times"]
            for (_, _, got), t in zip(rows, times):
                got["warm_query_s"] = statistics.median(t)
                got["query_p90_s"] = statistics.quantiles(t, n=10)[-1]
            if args.work is None:
                for path in stores[1:]:
                    shutil.rmtree(path)
            report(store, base, rows, quality, len(queries), args.rounds * args.repeat)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(machine_line())


def overlap(tops: list[list[str]], reference: list[list[str]]) -> float:
    return statistics.fmean(len(set(a) & set(b)) / 10 for a, b in zip(tops, reference))


def report(store: str, base: Path, rows: list, quality: bool, n_queries: int, rounds: int) -> None:
    f32 = rows[0][2]
    meta = json.loads((base / "meta.json").read_text())
    print(f"{store}: {meta['n_words']:,} x {meta['dim']} ({meta['method']}); {n_queries} query words, "
          f"most_similar(topn=10), each variant in its own process")
    head = ["variant", "matrix MB", "smaller", "compress s", "peak RSS MiB", "open ms", "first query ms",
            "query ms", "p90 ms", "vs float32", "top-10 overlap", "mean cosine"]
    if quality:
        head += ["rare overlap", "analogy@30k", "delta (points)", "WS-353", "delta", "SimLex-999", "delta"]
    out = []
    for label, made, got in rows:
        row = [label, f"{got['matrix_bytes'] / 1e6:,.1f}", f"{f32['matrix_bytes'] / got['matrix_bytes']:.1f}x",
               "-" if made is None else f"{made['compress_s']:.1f}",
               "-" if made is None else f"{made['peak_rss_mb']:,.0f}",
               f"{1000 * got['open_s']:.1f}", f"{1000 * got['first_query_s']:,.1f}",
               f"{1000 * got['warm_query_s']:.2f}", f"{1000 * got['query_p90_s']:.2f}",
               f"{got['warm_query_s'] / f32['warm_query_s']:.2f}", "1.000" if made is None else f"{got['overlap']:.3f}",
               f"{got['mean_cosine']:.4f}"]
        if quality:
            row += ["1.000" if made is None else f"{got['rare_overlap']:.3f}", f"{got['analogy']:.4f}", f"{100 * (got['analogy'] - f32['analogy']):+.2f}",
                    f"{got['ws353']:.4f}", f"{got['ws353'] - f32['ws353']:+.4f}",
                    f"{got['simlex']:.4f}", f"{got['simlex'] - f32['simlex']:+.4f}"]
        out.append(row)
    print(table(head, out))
    print("matrix MB: vectors.npy and the method's parameters (quantizer, norm_quantizer, rotation, head_codes, "
          "head_quantizer, head_rotation); rare overlap: query words from the rarer half of the vocabulary; first query: "
          "float32 makes its unit vectors in the cache, a compressed store its row norms (in memory); query ms, p90 ms: "
          f"the median and 90th percentile of {rounds} timings of each query word (every variant timed in turn, in "
          "passes of processes of its own); vs float32: the median query time over float32's")
    print()


if __name__ == "__main__":
    main()
