"""Approximate nearest neighbours: which library, and what the index buys (issue 23).

1. **The library.** On the synthetic 1,000,000 x 300 store of ``bench_compress.py``
   (planted clusters; ``--rows``), each side in its own process: wordlab's index (faiss
   ``IndexHNSWSQ``, 8-bit storage, through ``store.build_index``; queries through
   ``most_similar(exact=False)``, candidates rescored exactly) and usearch's HNSW with
   8-bit storage (``usearch.index.Index``; its 36 candidates rescored exactly, as wordlab
   does with faiss's), both with graph degree 32 and 100 candidates while building,
   against exact search (``most_similar(exact=True)``).
   Reported: build time, index size, peak RSS, the median time of a single-word query
   over ``--queries`` words, recall@10 against exact search, at several search
   breadths (``ef``).
2. **CSLS at MUSE's scale.** The synthetic rotation benchmark of
   ``bench_align_synthetic.py`` at ``--csls-words`` (200,000) source and target words
   x 300: targets are the sources under a random rotation plus noise, the sources are
   mapped by the true rotation, and 1,500 of them are translated by CSLS (k = 10, r_S
   over every source word) exactly (``knn_mean_similarity`` + ``retrieve``, blocked) and
   through indexes (``approximate_retrieve``): time (the indexes' builds apart) and P@1.

Usage: python evals/bench_ann.py [--rows 1000000] [--dim 300] [--queries 200] [--ef 32,64,128]
       [--csls-words 200000] [--parts library,csls] [--work DIR]

About 40 minutes on two cores with the defaults (most of it building the two indexes
of the 1M store and the exact CSLS); ``--work`` keeps the synthetic store for reruns.
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


def side_usearch(store: str, n: int, reference: str, efs: list[int]) -> dict:
    import numpy as np
    import wordlab
    from usearch.index import Index
    emb = wordlab.load(store)
    words = _queries(emb, n, 1)
    unit = emb.unit_vectors
    with Timer() as t:
        index = Index(ndim=emb.dim, metric="ip", dtype="i8", connectivity=M, expansion_add=EF_CONSTRUCTION)
        for a in range(0, len(emb), 65_536):
            block = np.ascontiguousarray(unit[a:a + 65_536], dtype=np.float32)
            index.add(np.arange(a, a + block.shape[0]), block)
    out = {"build_s": t.s, "by_ef": {}}
    path = Path(reference).with_name("usearch.index")
    index.save(str(path))
    out["index_bytes"] = path.stat().st_size
    path.unlink()
    ref = json.loads(Path(reference).read_text())
    for ef in efs:
        index.expansion_search = ef
        times, tops = [], []
        for w in words:
            with Timer() as t:             # as wordlab uses its index: 2k + 16 candidates, rescored exactly
                i = emb.index_of(w)
                q = np.asarray(unit[i], dtype=np.float32)
                cand = np.array([k for k in index.search(q, 36).keys if k != i], dtype=np.int64)
                best = cand[np.argsort(-(np.asarray(unit[cand]) @ q), kind="stable")]
                top = [emb.words[k] for k in best[:10]]
            times.append(t.s)
            tops.append(top)
        out["by_ef"][ef] = {"query_s": statistics.median(times), "recall": _recall(tops, ref)}
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
    ap.add_argument("--csls-words", type=int, default=200_000)
    ap.add_argument("--parts", default="library,csls")
    ap.add_argument("--work", default=None)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--args", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        kw = json.loads(args.args)
        emit({"exact": side_exact, "wordlab": side_wordlab, "usearch": side_usearch, "csls": side_csls,
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
        if "library" in args.parts:
            store = work / "synthetic"
            if not (store / "meta.json").is_file():
                side("synthetic", out=str(store), rows=args.rows, dim=args.dim, seed=0)
            ref = work / "exact-top10.json"
            exact = side("exact", store=str(store), n=args.queries, out=str(ref))
            shutil.rmtree(work / "cache" / "ann", ignore_errors=True)          # build it, not reuse it
            sides = {"wordlab (faiss HNSW, SQ8)": side("wordlab", store=str(store), n=args.queries,
                                                       reference=str(ref), efs=efs),
                     "usearch (HNSW, i8)": side("usearch", store=str(store), n=args.queries, reference=str(ref),
                                                efs=efs)}
            print(f"1. the library: {args.rows:,} x {args.dim} planted store; graph degree {M}, "
                  f"{EF_CONSTRUCTION} candidates while building; {args.queries} single-word queries, top 10; "
                  f"exact search: {1000 * exact['query_s']:.1f} ms a query (median)")
            rows = []
            for name, r in sides.items():
                for ef, m in r["by_ef"].items():
                    rows.append([name, f"{r['build_s']:.0f}", f"{r['index_bytes'] / 1e6:,.0f}",
                                 f"{r['peak_rss_mb']:,.0f}", ef, f"{m['recall']:.3f}", f"{1000 * m['query_s']:.2f}",
                                 f"{exact['query_s'] / m['query_s']:.0f}x"])
            print(table(["side", "build s", "index MB", "peak RSS MiB", "ef", "recall@10", "query ms",
                         "speed-up over exact"], rows))
            print()
        if "csls" in args.parts:
            ex = side("csls", n=args.csls_words, dim=args.dim, queries=1500, approximate=False)
            ap_ = side("csls", n=args.csls_words, dim=args.dim, queries=1500, approximate=True)
            print(f"2. CSLS at scale: {args.csls_words:,} source and target words x {args.dim}, targets = rotated "
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
