"""Counting and Bit-cipher before and after issue 19's plan -> map -> reduce.

Each side runs in its own process (peak RSS its own): co-occurrence counting
(``count_cooccurrences``, window 10, 1/d) and Bit-cipher (``BitCipher``, 32 bits, window
5, sum), with the code before (a checkout of commit 7c8bd28, ``--old``, put first on
PYTHONPATH) and after (this checkout), the latter also with a small ``memory_limit``.
Numba's cache is warmed on a tiny corpus first, so no side pays compilation. The
results of each pair are compared (digests of the matrix / vectors).

Usage: git worktree add /tmp/old-count 7c8bd28
       python evals/bench_counting.py --old /tmp/old-count [--limit-tokens 4000000] [--workers 2]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import (REPO_ROOT, AnonPeak, emit, find_data_dir, fmt_mb, prefix_sentences, run_side,  # noqa: E402
                    table)


def _digest(*arrays) -> str:
    import numpy as np
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:12]


def side_encode(corpus: str, out: str, limit_tokens: int) -> dict:
    import wordlab
    t0 = time.time()
    enc = wordlab.Corpus(prefix_sentences(corpus, limit_tokens)).encode(min_count=5, out=out, progress=False)
    return {"encode_s": time.time() - t0, "tokens": enc.n_tokens, "vocab": len(enc.vocab)}


def side_count(encoded: str, out: str, workers: int, memory_limit: int | None) -> dict:
    import numpy as np
    import wordlab
    from wordlab.cooccur import count_cooccurrences
    from wordlab.corpus import EncodedCorpus
    enc = EncodedCorpus(encoded)
    extra = {"memory_limit": memory_limit} if memory_limit else {}
    with AnonPeak() as anon:
        t0 = time.time()
        m = count_cooccurrences(enc, window=10, workers=workers, out=out, progress=False, **extra)
        seconds = time.time() - t0
    return {"seconds": seconds, "anon_peak_mb": anon.peak_mb, "segments": m.meta["segments"], "nnz": m.nnz,
            "wordlab": wordlab.__file__,
            "digest": _digest(np.asarray(m.indptr), np.asarray(m.indices), np.asarray(m.data))}


def side_bitcipher(encoded: str, out: str, workers: int, memory_limit: int | None) -> dict:
    import numpy as np
    import wordlab
    from wordlab.corpus import EncodedCorpus
    from wordlab.trainers import BitCipher
    enc = EncodedCorpus(encoded)
    extra = {"memory_limit": memory_limit} if memory_limit else {}
    with AnonPeak() as anon:
        t0 = time.time()
        BitCipher(bits=32, window=5, workers=workers, progress=False, **extra).fit(enc, out)
        seconds = time.time() - t0
    meta = json.loads((Path(out) / "meta.json").read_text())
    return {"seconds": seconds, "anon_peak_mb": anon.peak_mb, "wordlab": wordlab.__file__,
            "segments": meta["history"][0].get("segments", 1),
            "digest": _digest(np.load(Path(out) / "vectors.npy"))}


SIDES = {"count": side_count, "bitcipher": side_bitcipher}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", help="a checkout of the code before (commit 7c8bd28)")
    ap.add_argument("--limit-tokens", type=int, default=4_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--small-limit", type=int, default=64 << 20, help="the 'after' side's small memory_limit")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--memory-limit", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()

    corpus = str(find_data_dir() / "corpora" / "enwiki-text8style.txt.gz")
    if args.side == "encode":
        emit(side_encode(corpus, args.out, args.limit_tokens))
        return
    if args.side in SIDES:
        emit(SIDES[args.side](args.encoded, args.out, args.workers, args.memory_limit))
        return

    if not args.old:
        ap.error("--old (a checkout of commit 7c8bd28) is required")
    old, new = str(Path(args.old).resolve()), str(REPO_ROOT)
    rows = []
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as tmp:
        tmp = Path(tmp)
        enc = run_side(__file__, ["--side", "encode", "--out", str(tmp / "enc"),
                                  "--limit-tokens", str(args.limit_tokens)], env={"PYTHONPATH": new})
        run_side(__file__, ["--side", "encode", "--out", str(tmp / "tiny"), "--limit-tokens", "20000"],
                 env={"PYTHONPATH": new})
        if "error" in enc:
            raise SystemExit("encoding failed")
        runs = [("before (7c8bd28)", old, None), ("after", new, None),
                (f"after, memory_limit {args.small_limit >> 20} MiB", new, args.small_limit)]
        for what in SIDES:
            for label, path, limit in runs:
                common = ["--side", what, "--workers", str(args.workers)] + \
                         (["--memory-limit", str(limit)] if limit else [])
                env = {"PYTHONPATH": path}
                run_side(__file__, common + ["--encoded", str(tmp / "tiny"), "--out", str(tmp / "warm")], env=env)
                import shutil
                shutil.rmtree(tmp / "warm", ignore_errors=True)
                print(f"{what}: {label} ...", file=sys.stderr, flush=True)
                r = run_side(__file__, common + ["--encoded", str(tmp / "enc"), "--out", str(tmp / f"{what}-{len(rows)}")],
                             env=env)
                if "error" in r:
                    raise SystemExit(f"{what} {label} failed")
                if not r["wordlab"].startswith(path):
                    raise SystemExit(f"{what} {label} imported wordlab from {r['wordlab']}, not {path}")
                rows.append([what, label, f"{r['seconds']:.2f} s", fmt_mb(r["peak_rss_mb"]), fmt_mb(r["anon_peak_mb"]),
                             r["segments"], r["digest"]])
                print(json.dumps(r), file=sys.stderr, flush=True)
    print(f"corpus: enwiki-text8style, first {args.limit_tokens:,} tokens: {enc['tokens']:,} kept, "
          f"{enc['vocab']:,} words (min_count 5); {args.workers} threads; counting: window 10, 1/d; "
          f"Bit-cipher: 32 bits, window 5, sum")
    print(table(["pass", "code", "wall", "peak RSS", "peak anon RSS", "segments", "digest"], rows,
                align="llrrrrl"))


if __name__ == "__main__":
    main()
