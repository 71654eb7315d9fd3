"""Alignment on synthetic data with known answers: rotations, refinement, planted shifts, scale.

1. Rotation recovery: a random store (``--words`` x ``--dim``) and its image under a
   random orthogonal map, with Gaussian noise of several sizes; Procrustes from 5,000
   seed pairs; rotation error (max |W - Q|) and BLI P@1 (NN and CSLS) on 1,500 other words.
2. Refinement: the same with a weak seed (``--weak-seed`` pairs, default dim) and noise 1.0: P@1
   before and after self-learning, with the iteration the unsupervised criterion keeps.
3. Planted shift: two slices of a topic corpus where two words trade places in the
   second; the ranks of the planted words among the jumpers, for CADE and for post-hoc
   Procrustes, under each shift measure.
4. Scale: CSLS retrieval for 1,500 queries against ``--scale-words`` target words, with
   r_S over as many source words (the full MUSE setting at 200k): wall time and peak RSS,
   against the memory a dense similarity matrix would need.
5. Bounded memory: fitting on a memory-mapped ``--scale-words`` store and writing the
   mapped store, in a fresh process: peak RSS against the store's size.

Usage: python evals/bench_align_synthetic.py [--words 20000] [--dim 300] [--weak-seed DIM] [--scale-words 200000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import AnonPeak, emit, machine_line, peak_rss_mb, run_side, table  # noqa: E402


def pairs(indices):
    from wordlab.align import Dictionary
    return Dictionary([(f"s{i}", f"t{i}") for i in indices])


def rotations(n: int, dim: int) -> list[list]:
    from wordlab.align import Procrustes
    from wordlab.align.synthetic import rotated_pair
    rows = []
    for noise in (0.0, 0.1, 0.3, 0.6):
        src, tgt, Q = rotated_pair(n, dim, noise=noise, seed=1)
        t0 = time.time()
        aligner = Procrustes(normalize="none").fit(src, tgt, pairs(range(0, 5000)))
        fit_s = time.time() - t0
        test = pairs(range(5000, 6500))
        p = {m: aligner.evaluate(test, method=m).precision[1] for m in ("nn", "csls")}
        rows.append([f"{noise:.1f}", f"{np.abs(aligner.W_ - Q).max():.2e}", f"{100 * p['nn']:.1f}",
                     f"{100 * p['csls']:.1f}", f"{fit_s:.2f}"])
    return rows


def refinement(n: int, dim: int, weak: int) -> list[list]:
    from wordlab.align import Procrustes
    from wordlab.align.synthetic import rotated_pair
    src, tgt, Q = rotated_pair(n, dim, noise=1.0, seed=2)
    test = pairs(range(5000, 6500))
    rows = []
    for refine in (0, 1, 3, 5):
        a = Procrustes(normalize="unit,center,unit", refine=refine, refine_vocab=min(n, 15_000)).fit(
            src, tgt, pairs(range(weak)))
        r = a.evaluate(test, method="csls")
        rows.append([refine, a.best_iteration_, f"{int(a.history_['pairs'].iloc[a.best_iteration_]):,}",
                     f"{a.history_['mean_cosine'].iloc[a.best_iteration_]:.3f}", f"{100 * r.precision[1]:.1f}",
                     f"{np.abs(a.W_ - Q).max():.3f}"])
    return rows


def planted() -> list[list]:
    from wordlab.align.cade import Compass, align_to_reference
    from wordlab.align.shift import shift_table
    from wordlab.align.synthetic import topic_corpus
    from wordlab.trainers import Word2Vec
    swap = ("t0w3", "t5w7")
    params = dict(dim=50, window=5, negative=5, min_count=5)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        one = topic_corpus(tmp / "one.txt.gz", seed=1, n_sentences=20_000, topics=40, per_topic=25)
        two = topic_corpus(tmp / "two.txt.gz", seed=2, swap=swap, n_sentences=20_000, topics=40, per_topic=25)
        cade = Compass({"one": one, "two": two}, compass_epochs=5, slice_epochs=5, progress=False, **params).fit(
            tmp / "cade")
        ind = {n: Word2Vec(method="cbow", epochs=5, progress=False, **params).fit(p, tmp / n)
               for n, p in (("one", one), ("two", two))}
        spaces = {"CADE": cade.slices_, "post-hoc Procrustes": align_to_reference(ind, "one")}
        for name, s in spaces.items():
            t = shift_table(s["one"], s["two"], min_count=5, knn_k=24)
            cells = []
            for measure in ("cosine", "lncs", "knn"):
                order = list(t.sort_values(measure, ascending=False, kind="stable").index)
                cells.append(", ".join(str(order.index(w) + 1) for w in swap))
            rows.append([name, len(t), *cells])
    return rows


def side_scale(n: int, dim: int, queries: int) -> dict:
    """CSLS for ``queries`` source words against n targets; r_S of every target over n sources."""
    from wordlab.align.retrieval import knn_mean_similarity, retrieve
    rng = np.random.default_rng(0)
    S = rng.standard_normal((n, dim), dtype=np.float32)     # float32 directly: no float64 temporary
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    T = rng.standard_normal((n, dim), dtype=np.float32)
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    t0 = time.time()
    q = S[:queries]
    r_t = knn_mean_similarity(q, T, 10)
    r_s = knn_mean_similarity(T, S, 10)
    ids, _ = retrieve(q, T, 10, "csls", r_t, r_s)
    seconds = time.time() - t0
    # brute-force check on a few queries
    cos = q[:5] @ T.T
    full = 2 * cos - r_t[:5, None] - r_s[None, :]
    ok = bool(np.array_equal(ids[:5, 0], full.argmax(axis=1)))
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "inputs_mb": 2 * n * dim * 4 / 2**20, "check": ok}


def side_transform(src: str, tgt: str, out: str) -> dict:
    """Fit on 5,000 pairs and write the mapped store of a memory-mapped source, in row blocks."""
    import wordlab
    from wordlab.align import Procrustes
    with AnonPeak() as anon:
        t0 = time.time()
        aligner = Procrustes(normalize="unit,center,unit").fit(wordlab.load(src), wordlab.load(tgt),
                                                               pairs(range(5000)))
        fit_s = time.time() - t0
        t0 = time.time()
        mapped = aligner.transform(out=out)
        transform_s = time.time() - t0
    return {"fit_s": fit_s, "transform_s": transform_s, "rows": len(mapped), "peak_rss_mb": peak_rss_mb(),
            "peak_anon_mb": anon.peak_mb}


def write_random_store(path: Path, n: int, dim: int, seed: int, rotation: np.ndarray | None = None) -> None:
    """A store of n random rows (optionally rotated), written block by block."""
    from wordlab import Embeddings
    prefix = "s" if rotation is None else "t"
    vectors = np.empty((n, dim), dtype=np.float32)
    for a in range(0, n, 50_000):
        block = np.random.default_rng(seed + a).normal(size=(min(50_000, n - a), dim)).astype(np.float32)
        vectors[a:a + block.shape[0]] = block if rotation is None else block @ rotation
    Embeddings([f"{prefix}{i}" for i in range(n)], vectors, counts=np.arange(n, 0, -1)).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=20_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--weak-seed", type=int, default=None, help="seed pairs for the refinement study (default: dim)")
    ap.add_argument("--scale-words", type=int, default=200_000)
    ap.add_argument("--parts", default="1,2,3,4,5", help="which of the five studies to run (default: all)")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--paths", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.weak_seed = args.weak_seed or args.dim
    if args.side == "scale":
        emit(side_scale(args.scale_words, args.dim, 1500))
        return
    if args.side == "transform":
        emit(side_transform(*args.paths))
        return
    parts = {int(p) for p in args.parts.split(",")}
    if 1 in parts:
        print(f"1. rotation recovery: {args.words:,} words x {args.dim} dims, 5,000 seed pairs, 1,500 test words, "
              "no normalisation")
        print(table(["noise", "max |W - Q|", "P@1 NN", "P@1 CSLS", "fit s"], rotations(args.words, args.dim)))
        print()
    if 2 in parts:
        print(f"2. refinement from a weak seed ({args.weak_seed} pairs for {args.dim} dims), noise 1.0, "
              "unit,center,unit, CSLS, unsupervised selection")
        print(table(["refine iterations", "kept", "pairs", "mean cosine", "P@1 CSLS", "max |W - Q|"],
                    refinement(args.words, args.dim, args.weak_seed)))
        print()
    if 3 in parts:
        print("3. planted shift: 40 topics x 25 words, 20,000 sentences per slice, t0w3 and t5w7 swapped in slice "
              "two; CBOW dim 50, 5 epochs; ranks of the two planted words among the jumpers")
        print(table(["method", "shared words", "cosine", "LNCS (k=25)", "k-NN (k=24)"], planted()))
        print()
    if 4 in parts:
        r = run_side(__file__, ["--side", "scale", "--scale-words", str(args.scale_words), "--dim", str(args.dim)])
        dense = args.scale_words ** 2 * 4 / 2**30
        print(f"4. CSLS at scale: 1,500 queries, {args.scale_words:,} target and {args.scale_words:,} source words x "
              f"{args.dim} (r_S of every target over every source)")
        print(table(["wall s", "peak RSS MiB", "input matrices MiB", "dense similarity matrix would need",
                     "matches brute force"],
                    [[f"{r['seconds']:.1f}", f"{r['peak_rss_mb']:,.0f}", f"{r['inputs_mb']:,.0f}", f"{dense:,.0f} GiB",
                      r["check"]]]))
        print()
    if 5 in parts:
        rows = []
        Q, _ = np.linalg.qr(np.random.default_rng(9).normal(size=(args.dim, args.dim)))
        for n in (args.scale_words // 4, args.scale_words):
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                write_random_store(tmp / "src", n, args.dim, seed=5)
                write_random_store(tmp / "tgt", n, args.dim, seed=5, rotation=Q.astype(np.float32))
                r = run_side(__file__, ["--side", "transform", "--paths", str(tmp / "src"), str(tmp / "tgt"),
                                        str(tmp / "mapped")])
            store_mb = n * args.dim * 4 / 2**20
            rows.append([f"{n:,}", f"{store_mb:,.0f}", f"{r['fit_s']:.1f}", f"{r['transform_s']:.1f}",
                         f"{r['peak_anon_mb']:,.0f}", f"{r['peak_rss_mb']:,.0f}"])
        print(f"5. fitting on memory-mapped stores x {args.dim} and writing the mapped store (unit,center,unit, "
              "5,000 seed pairs), in a fresh process; anonymous memory sampled every 20 ms; the total RSS also "
              "counts the page cache of the three memory maps")
        print(table(["words", "store MiB", "fit s", "transform s", "peak anonymous MiB", "peak RSS MiB"], rows))
    print(machine_line())

if __name__ == "__main__":
    main()
