"""Approximate nearest neighbours: which library, and what the index buys (issue 23).

1. **The index at a million words.** On the synthetic 1,000,000 x 300 store of
   ``bench_compress.py`` (planted clusters; ``--rows``): wordlab's index (usearch HNSW,
   8-bit storage, through ``store.build_index``; queries through
   ``most_similar(exact=False)``, candidates rescored exactly) against exact search
   (``most_similar(exact=True)``), each in its own process: build time, index size,
   peak RSS, the median time of a single-word query over ``--queries`` words, and
   recall@10 against exact search, at several search breadths (``ef``).
2. **The library.** On the first ``--compare-rows`` (100,000) unit rows of that store,
   each library in its own process with the same graph (degree 32, 100 candidates
   while building, two threads): usearch's HNSW with 8-bit storage (wordlab's
   backend), faiss's ``IndexHNSWSQ`` (8-bit, wordlab's backend before) and faiss's
   ``IndexHNSWFlat`` (float32): build time, index size, and recall@10 of the index's
   own top 10 (not rescored) against exact search and the median single-query time at
   ef = 64 over ``--queries`` rows.
3. **CSLS at MUSE's scale.** The synthetic rotation benchmark of
   ``bench_align_synthetic.py`` at ``--csls-words`` (200,000) source and target words
   x 300: targets are the sources under a random rotation plus noise, the sources are
   mapped by the true rotation, and 1,500 of them are translated by CSLS (k = 10, r_S
   over every source word) exactly (``knn_mean_similarity`` + ``retrieve``, blocked) and
   through indexes (``approximate_retrieve``): time (the indexes' builds apart) and P@1.

Usage: python evals/bench_ann.py [--rows 1000000] [--dim 300] [--queries 200] [--ef 32,64,128]
       [--compare-rows 100000] [--csls-words 200000] [--parts million,library,csls] [--work DIR]

About 40 minutes on two cores with the defaults (most of it faiss's 8-bit build and
the exact CSLS); ``--work`` keeps the synthetic store for reruns.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import Timer, emit, machine_line, run_side, table  # noqa: E402

M, EF_CONSTRUCTION = 32, 100


def _queries(store, n: int, seed: int) -> list[str]:
    import numpy as np
    rng = np.random.default_rng(seed)
    return [store.words[i] for i in rng.choice(len(store), n, replace=False)]


def side_exact(store: str, n: int, out: str) -> dict:
    import wordlab
    emb = wordlab.load(store)
    words = _queries(emb, n, 1)
    emb.most_similar(words[0], exact=True)                   # unit vectors into the cache
    times, tops = [], []
    for w in words:
        with Timer() as t:
            top = emb.most_similar(w, topn=10, exact=True)
        times.append(t.s)
        tops.append([x for x, _ in top])
    Path(out).write_text(json.dumps(tops))
    return {"query_s": statistics.median(times)}


def _recall(tops: list, reference: list) -> float:
    return statistics.fmean(len(set(a) & set(b)) / 10 for a, b in zip(tops, reference))


def side_wordlab(store: str, n: int, reference: str, efs: list[int]) -> dict:
    import wordlab
    emb = wordlab.load(store)
    words = _queries(emb, n, 1)
    with Timer() as t:
        index = emb.build_index(M=M, ef_construction=EF_CONSTRUCTION, progress=False)
    out = {"build_s": t.s, "index_bytes": index.nbytes, "by_ef": {}}
    ref = json.loads(Path(reference).read_text())
    for ef in efs:
        index.meta["settings"]["ef_search"] = ef
        times, tops = [], []
        for w in words:
            with Timer() as t:
                top = emb.most_similar(w, topn=10, exact=False)
            times.append(t.s)
            tops.append([x for x, _ in top])
        out["by_ef"][ef] = {"query_s": statistics.median(times), "recall": _recall(tops, ref)}
    return out


def side_library(store: str, library: str, rows: int, n: int, ef: int) -> dict:
    """Build ``library``'s index of the first ``rows`` unit rows with two threads; its own
    top 10 against exact search, and single-query times at search breadth ``ef``."""
    import numpy as np
    import wordlab
    emb = wordlab.load(store)
    x = np.ascontiguousarray(emb.unit_vectors[:rows], dtype=np.float32)
    queries = np.random.default_rng(1).choice(rows, n, replace=False)
    exact = np.argsort(-(x[queries] @ x.T), axis=1, kind="stable")[:, :11]
    with Timer() as t:
        if library == "usearch-i8":
            from usearch.index import Index
            index = Index(ndim=x.shape[1], metric="ip", dtype="i8", connectivity=M, expansion_add=EF_CONSTRUCTION,
                          enable_key_lookups=False)
            index.add(np.arange(rows, dtype=np.uint64), x, threads=2)
        else:
            import faiss
            faiss.omp_set_num_threads(2)
            index = (faiss.IndexHNSWSQ(x.shape[1], faiss.ScalarQuantizer.QT_8bit, M, faiss.METRIC_INNER_PRODUCT)
                     if library == "faiss-sq8" else faiss.IndexHNSWFlat(x.shape[1], M, faiss.METRIC_INNER_PRODUCT))
            index.hnsw.efConstruction = EF_CONSTRUCTION
            index.train(x)
            index.add(x)
    out = {"build_s": t.s}
    path = Path(tempfile.mkdtemp()) / "index"
    if library == "usearch-i8":
        index.save(str(path))
        index.expansion_search = ef
    else:
        faiss.write_index(index, str(path))
        faiss.omp_set_num_threads(1)
        params = faiss.SearchParametersHNSW(efSearch=ef)
    out["index_bytes"] = path.stat().st_size
    shutil.rmtree(path.parent)
    times, hits = [], 0
    for q, want in zip(queries, exact):
        v = x[q:q + 1]
        with Timer() as t:
            if library == "usearch-i8":
                got = np.asarray(index.search(v, 11, threads=1).keys, dtype=np.int64).ravel()
            else:
                got = index.search(v, 11, params=params)[1][0]
        times.append(t.s)
        hits += len(set(got[got != q][:10].tolist()) & set(want[want != q][:10].tolist()))
    out.update(recall=hits / (10 * n), query_s=statistics.median(times))
    return out


def side_csls(n: int, dim: int, queries: int, approximate: bool) -> dict:
    import numpy as np
    from wordlab.align.retrieval import approximate_retrieve, knn_mean_similarity, retrieve
    from wordlab.store.ann import index_rows
    rng = np.random.default_rng(0)
    S = rng.standard_normal((n, dim), dtype=np.float32)
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    mapped = (S @ Q).astype(np.float32)                          # sources mapped by the true rotation
    T = mapped + (1.0 / np.sqrt(dim)) * rng.standard_normal((n, dim), dtype=np.float32)
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    q = mapped[:queries]
    out = {}
    if approximate:
        with Timer() as t:
            keys = index_rows(T, M=M, ef_construction=EF_CONSTRUCTION, progress=False)
            sources = index_rows(mapped, M=M, ef_construction=EF_CONSTRUCTION, progress=False)
        out["build_s"] = t.s
        with Timer() as t:
            ids, _ = approximate_retrieve(q, T, mapped, 1, "csls", key_index=keys, source_index=sources)
        out["retrieve_s"] = t.s
    else:
        with Timer() as t:
            r_t = knn_mean_similarity(q, T, 10)
            r_s = knn_mean_similarity(T, mapped, 10)
            ids, _ = retrieve(q, T, 1, "csls", r_t, r_s)
        out["retrieve_s"] = t.s
    out["p_at_1"] = float((ids[:, 0] == np.arange(queries)).mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--ef", default="32,64,128")
    ap.add_argument("--compare-rows", type=int, default=100_000)
    ap.add_argument("--csls-words", type=int, default=200_000)
    ap.add_argument("--parts", default="million,library,csls")
    ap.add_argument("--work", default=None)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--args", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        kw = json.loads(args.args)
        emit({"exact": side_exact, "wordlab": side_wordlab, "library": side_library, "csls": side_csls,
              "synthetic": _synthetic}[args.side](**kw))
        return
    tmp = tempfile.mkdtemp(prefix="wordlab-bench-ann-") if args.work is None else None
    work = Path(args.work or tmp)
    work.mkdir(parents=True, exist_ok=True)
    env = {"WORDLAB_CACHE": str(work / "cache")}

    def side(name: str, **kw) -> dict:
        print(f"{name} {kw} ...", file=sys.stderr, flush=True)
        r = run_side(__file__, ["--side", name, "--args", json.dumps(kw)], env=env)
        if "error" in r:
            raise SystemExit(f"side {name} failed")
        print(json.dumps(r), file=sys.stderr, flush=True)
        return r

    efs = [int(e) for e in args.ef.split(",")]
    try:
        store = work / "synthetic"
        if not (store / "meta.json").is_file() and ("million" in args.parts or "library" in args.parts):
            side("synthetic", out=str(store), rows=args.rows, dim=args.dim, seed=0)
        if "million" in args.parts:
            ref = work / "exact-top10.json"
            exact = side("exact", store=str(store), n=args.queries, out=str(ref))
            shutil.rmtree(work / "cache" / "ann", ignore_errors=True)          # build it, not reuse it
            r = side("wordlab", store=str(store), n=args.queries, reference=str(ref), efs=efs)
            print(f"1. the index at a million words: {args.rows:,} x {args.dim} planted store; usearch HNSW, "
                  f"8-bit storage, graph degree {M}, {EF_CONSTRUCTION} candidates while building, two threads; "
                  f"{args.queries} single-word queries, top 10, candidates rescored exactly; "
                  f"exact search: {1000 * exact['query_s']:.1f} ms a query (median)")
            rows = [[ef, f"{r['build_s']:.0f}", f"{r['index_bytes'] / 1e6:,.0f}", f"{r['peak_rss_mb']:,.0f}",
                     f"{m['recall']:.3f}", f"{1000 * m['query_s']:.2f}", f"{exact['query_s'] / m['query_s']:.0f}x"]
                    for ef, m in r["by_ef"].items()]
            print(table(["ef", "build s", "index MB", "peak RSS MiB", "recall@10", "query ms",
                         "speed-up over exact"], rows))
            print()
        if "library" in args.parts:
            n = min(args.compare_rows, args.rows)
            libs = {name: side("library", store=str(store), library=name, rows=n, n=args.queries, ef=64)
                    for name in ("usearch-i8", "faiss-sq8", "faiss-flat")}
            print(f"2. the library: the first {n:,} unit rows of the store, graph degree {M}, {EF_CONSTRUCTION} "
                  f"candidates while building, two threads; {args.queries} single-row queries at ef = 64, the "
                  "index's own top 10 (not rescored) against exact search")
            print(table(["library", "build s", "rows/s", "index MB", "peak RSS MiB", "recall@10", "query ms"],
                        [[name, f"{r['build_s']:.1f}", f"{n / r['build_s']:,.0f}", f"{r['index_bytes'] / 1e6:,.1f}",
                          f"{r['peak_rss_mb']:,.0f}", f"{r['recall']:.3f}", f"{1000 * r['query_s']:.2f}"]
                         for name, r in libs.items()]))
            print()
        if "csls" in args.parts:
            ex = side("csls", n=args.csls_words, dim=args.dim, queries=1500, approximate=False)
            ap_ = side("csls", n=args.csls_words, dim=args.dim, queries=1500, approximate=True)
            print(f"3. CSLS at scale: {args.csls_words:,} source and target words x {args.dim}, targets = rotated "
                  "sources + noise, 1,500 queries, k = 10, r_S over every source word")
            print(table(["retrieval", "index builds s", "retrieval s", "P@1", "peak RSS MiB"],
                        [["exact (blocked)", "-", f"{ex['retrieve_s']:.1f}", f"{ex['p_at_1']:.3f}",
                          f"{ex['peak_rss_mb']:,.0f}"],
                         ["approximate (indexes)", f"{ap_['build_s']:.1f}", f"{ap_['retrieve_s']:.1f}",
                          f"{ap_['p_at_1']:.3f}", f"{ap_['peak_rss_mb']:,.0f}"]]))
            print()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(machine_line())


def _synthetic(out: str, rows: int, dim: int, seed: int) -> dict:
    from bench_compress import side_synthetic
    return side_synthetic(out, rows, dim, seed)


if __name__ == "__main__":
    main()
