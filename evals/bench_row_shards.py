"""Row-range counting from one ``tokens.npy`` against the same corpus as token shards.

The Dask encoder leaves the token ids as one shard per partition, and the row-range
kernel reads across them (:mod:`wordlab.cooccur._row_kernels`). This measures what
that costs: enwiki-text8style (decompressed), encoded once on one machine (one
``tokens.npy``) and once partition by partition (4 MiB partitions, about 24 shards,
in this process: the same files a cluster writes), then counted with window 10 by the
row-range map run here, one task at a time, one thread. Each count runs in its own
process, the two layouts alternating in order; the script checks that the matrices
have the same number of non-zeros (the tests check them bit for bit).

Usage: python evals/bench_row_shards.py [--pairs 3] [--results]
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
from _bench import find_data_dir, plain_enwiki, table  # noqa: E402


class Here:
    """The executor protocol, the map run in this process (row ranges, one at a time)."""
    name = "here"
    distributed = True
    task_threads = 1
    concurrent_tasks = 2

    def map(self, fn, tasks):
        return map(fn, list(tasks))

    def check_paths(self, read=(), write=()):
        pass


def side(path: str) -> None:
    from wordlab.cooccur import count_cooccurrences
    from wordlab.corpus import EncodedCorpus
    enc = EncodedCorpus(path)
    t0 = time.perf_counter()
    m = count_cooccurrences(enc, window=10, cache=False, progress=False, executor=Here())
    print(json.dumps({"seconds": time.perf_counter() - t0, "nnz": m.nnz, "shards": len(enc.token_shards.names)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        side(args.side)
        return
    import wordlab
    from wordlab.corpus.encode_distributed import write_encoded_distributed
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-row-shards-") as tmp:
        tmp = Path(tmp)
        corpus = wordlab.Corpus([plain_enwiki(find_data_dir(), tmp / "enwiki.txt")])
        corpus.encode(min_count=5, out=tmp / "one", progress=False)
        meta = {"source": corpus.fingerprint(), "settings": {"min_count": 5, "max_size": None, "vocab": None}}
        write_encoded_distributed(corpus, Here(), tmp / "shards", 5, None, None, meta,
                                  dict(overwrite=False, kinds=None), partition_bytes=4 << 20)
        side(str(tmp / "one"))            # warms Numba's cache, untimed
        seconds: dict[str, list[float]] = {"one": [], "shards": []}
        info = {}
        for k in range(args.pairs):
            for name in (("shards", "one") if k % 2 == 0 else ("one", "shards")):
                out = subprocess.run([sys.executable, __file__, "--side", str(tmp / name)], capture_output=True,
                                     text=True, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                seconds[name].append(r["seconds"])
                info[name] = r
        if info["one"]["nnz"] != info["shards"]["nnz"]:
            raise SystemExit("the two layouts gave different matrices")
    base = statistics.mean(seconds["one"])
    rows = [[f"{name} ({info[name]['shards']} file{'s' if info[name]['shards'] > 1 else ''})",
             " ".join(f"{s:.2f}" for s in seconds[name]), f"{statistics.mean(seconds[name]):.2f} s",
             f"{statistics.mean(seconds[name]) / base - 1:+.1%}"] for name in ("one", "shards")]
    print(f"enwiki-text8style, window 10, row-range map in one process and one thread; {info['one']['nnz']:,} "
          f"non-zeros; {args.pairs} pairs, the layouts' order alternating")
    print()
    print(table(["layout", "seconds per count", "mean", "against one file"], rows, align="lrrr"))


if __name__ == "__main__":
    main()
