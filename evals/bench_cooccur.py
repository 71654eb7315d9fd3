"""Co-occurrence counting on enwiki-text8style: wordlab versus a numpy/scipy baseline.

Settings of GloVe's demo: min_count 5, symmetric window 10, weights 1/distance. The
corpus is encoded once (its time is reported apart); then each side counts in its own
process:

* wordlab: ``wordlab.cooccur.count_cooccurrences`` (Numba, ``workers`` threads);
* scipy: for each distance d, the (token, token at +d) pairs of the encoded stream,
  minus those crossing a sentence boundary, summed into a CSR matrix by
  ``scipy.sparse.coo_matrix(...).tocsr()`` with weight 1/d, both directions;

and the matrices are compared entry by entry. For reference, GloVe's C ``cooccur`` on
this machine (measured when the issue was written, not rerun here): 22 s, 1.5 GB peak
RSS, 45.9 million non-zero pairs.

Usage: python evals/bench_cooccur.py [--window 10] [--workers 2] [--limit-tokens N]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, find_data_dir, machine_line, prefix_sentences, run_side, table  # noqa: E402

REFERENCE = {"side": "GloVe cooccur (C, reference from the issue)", "count_s": 22.0, "rss": 1.5 * 1024,
             "nnz": 45.9e6}


def side_encode(corpus: str, out: str, limit_tokens: int | None) -> dict:
    import wordlab
    t0 = time.time()
    source = corpus
    if limit_tokens:
        source = prefix_sentences(corpus, limit_tokens)
    enc = wordlab.Corpus(source).encode(min_count=5, out=out, progress=False)
    return {"encode_s": time.time() - t0, "tokens": enc.n_tokens, "vocab": len(enc.vocab)}


def side_wordlab(encoded: str, out: str, window: int, workers: int) -> dict:
    from wordlab.corpus import EncodedCorpus
    from wordlab.cooccur import count_cooccurrences
    enc = EncodedCorpus(encoded)
    t0 = time.time()
    m = count_cooccurrences(enc, window=window, workers=workers, out=out, progress=False)
    return {"count_s": time.time() - t0, "nnz": m.nnz, "total_weight": m.meta["total_weight"]}


def side_scipy(encoded: str, window: int, compare: str | None) -> dict:
    import numpy as np
    from scipy.sparse import coo_matrix
    from wordlab.corpus import EncodedCorpus
    enc = EncodedCorpus(encoded)
    t0 = time.time()
    tokens = np.asarray(enc.tokens)
    offsets = np.asarray(enc.offsets)
    n = len(enc.vocab)
    sentence = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
    total = None
    for d in range(1, window + 1):
        same = sentence[:-d] == sentence[d:]
        rows, cols = tokens[:-d][same], tokens[d:][same]
        weights = np.full(rows.shape[0], 1.0 / d, dtype=np.float64)
        part = coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()
        part = part + part.T
        total = part if total is None else total + part
        del rows, cols, weights, same
    total = total.tocsr()
    total.sum_duplicates()
    seconds = time.time() - t0
    result = {"count_s": seconds, "nnz": int(total.nnz), "total_weight": float(total.sum())}
    if compare:
        from wordlab.cooccur import CooccurrenceMatrix
        ours = CooccurrenceMatrix(compare).to_scipy()
        total.sort_indices()
        same = (np.array_equal(np.asarray(ours.indptr), total.indptr)
                and np.array_equal(np.asarray(ours.indices), total.indices))
        result["same_pattern"] = bool(same)
        result["max_abs_diff"] = float(np.abs(np.asarray(ours.data, np.float64) - total.data).max()) if same else None
        result["max_rel_diff"] = (float((np.abs(np.asarray(ours.data, np.float64) - total.data) / total.data).max())
                                  if same else None)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit-tokens", type=int, default=None)
    ap.add_argument("--skip-scipy", action="store_true")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--compare", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.side == "encode":
        corpus = str(find_data_dir() / "corpora" / "enwiki-text8style.txt.gz")
        emit(side_encode(corpus, args.out, args.limit_tokens))
        return
    if args.side == "wordlab":
        emit(side_wordlab(args.encoded, args.out, args.window, args.workers))
        return
    if args.side == "scipy":
        emit(side_scipy(args.encoded, args.window, args.compare))
        return

    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as tmp:
        tmp = Path(tmp)
        encoded, matrix = tmp / "encoded", tmp / "matrix"
        common = ["--window", str(args.window), "--workers", str(args.workers)]
        limit = ["--limit-tokens", str(args.limit_tokens)] if args.limit_tokens else []
        print("encoding ...", file=sys.stderr, flush=True)
        enc = run_side(__file__, ["--side", "encode", "--out", str(encoded), *limit])
        if "error" in enc:
            raise SystemExit("encoding failed")
        print(json.dumps(enc), file=sys.stderr, flush=True)
        rows = []
        print("counting (wordlab) ...", file=sys.stderr, flush=True)
        r = run_side(__file__, ["--side", "wordlab", "--encoded", str(encoded), "--out", str(matrix), *common])
        if "error" in r:
            raise SystemExit("wordlab side failed")
        rows.append({"side": f"wordlab count_cooccurrences ({args.workers} threads)", **r, "rss": r["peak_rss_mb"]})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        if not args.skip_scipy:
            print("counting (scipy) ...", file=sys.stderr, flush=True)
            r = run_side(__file__, ["--side", "scipy", "--encoded", str(encoded), "--compare", str(matrix), *common])
            if "error" in r:
                raise SystemExit("scipy side failed")
            rows.append({"side": "numpy/scipy coo -> csr per distance (1 thread)", **r, "rss": r["peak_rss_mb"]})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if not args.limit_tokens:
        rows.append(REFERENCE)
    print(f"corpus: enwiki-text8style{' (first %d tokens)' % args.limit_tokens if args.limit_tokens else ''}, "
          f"{enc['tokens']:,} tokens kept, {enc['vocab']:,} words (min_count 5); window {args.window}, "
          f"symmetric, 1/d; encoding (once, not counted below): {enc['encode_s']:.1f} s")
    print(table(["side", "count s", "peak RSS MiB", "non-zeros", "equal to wordlab"],
                [[r["side"], f"{r['count_s']:.1f}", f"{r['rss']:,.0f}", f"{r['nnz']:,.0f}",
                  ("-" if "same_pattern" not in r else "PATTERN DIFFERS" if not r["same_pattern"] else
                   f"same non-zeros; max |diff| {r['max_abs_diff']:.2g}, max rel. diff {r['max_rel_diff']:.1g}")]
                 for r in rows]))
    print(machine_line())


if __name__ == "__main__":
    main()
