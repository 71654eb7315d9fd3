"""Opening a large fastText ``.bin``: wordlab (in place) against gensim's loader, one run.

The script writes a model of ``--words`` words x ``--dim`` with ``--bucket`` n-gram rows
(random float32 values, so every page of the file is real data; 1M x 300 + 2M buckets
is 3.6 GB), then, each side in its own process:

- **wordlab**: ``wordlab.load(path)``, then the vectors of one word of the vocabulary and
  of one unseen word (composed from its n-grams): the open time, the time of the two
  lookups, and the peak RSS;
- **gensim**: ``load_facebook_vectors(path)`` (its lighter loader, without the output
  matrix), then the same two lookups.

Usage: python evals/bench_fasttext_open.py [--words 1000000] [--dim 300] [--bucket 2000000] [--dir DIR]
       [--skip-gensim]
"""
from __future__ import annotations

import argparse
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, machine_line, peak_rss_mb, run_side, table  # noqa: E402


def write_model(path: Path, n_words: int, dim: int, bucket: int) -> None:
    from wordlab.store import fasttext_bin as fb
    rng = np.random.default_rng(0)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<2i", fb.MAGIC, fb.VERSION))
        fh.write(fb._ARGS.pack(dim, 5, 5, 5, 5, 1, 2, 2, bucket, 3, 6, 100, 1e-4))
        fh.write(fb._DICT.pack(n_words, n_words, 0, 10 * n_words, -1))
        fh.write(b"".join(f"word{i}".encode() + b"\0" + struct.pack("<qb", n_words - i + 5, 0)
                          for i in range(n_words)))
        for rows, header in ((n_words + bucket, True), (n_words, True)):
            fh.write(fb._MATRIX.pack(False, rows, dim))
            for a in range(0, rows, 65536):
                block = rng.random((min(65536, rows - a), dim), dtype=np.float32)
                block -= np.float32(0.5)
                fh.write(block.tobytes())


def side(tool: str, path: str) -> dict:
    if tool == "wordlab":
        import wordlab
        opener = wordlab.load
    else:
        from gensim.models.fasttext import load_facebook_vectors as opener
    before = peak_rss_mb()
    t0 = time.time()
    store = opener(path)
    opened = time.time() - t0
    rss_open = peak_rss_mb()
    t1 = time.time()
    a, b = store["word12345"], store["wordlabunseen"]
    lookups = time.time() - t1
    return {"open_s": opened, "lookup_s": lookups, "rss_before": before, "rss_open": rss_open,
            "norms": [float(np.linalg.norm(a)), float(np.linalg.norm(b))]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--bucket", type=int, default=2_000_000)
    ap.add_argument("--dir", default=None, help="where to write the model (default: a temporary directory)")
    ap.add_argument("--skip-gensim", action="store_true")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        emit(side(args.side, args.path))
        return
    with tempfile.TemporaryDirectory(prefix="wordlab-ftopen-", dir=args.dir) as tmp:
        path = Path(tmp) / "model.bin"
        t0 = time.time()
        write_model(path, args.words, args.dim, args.bucket)
        size = path.stat().st_size
        print(f"wrote {size / 2 ** 30:.2f} GiB in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
        rows = []
        for tool in ("wordlab", "gensim")[:1 if args.skip_gensim else 2]:
            r = run_side(__file__, ["--side", tool, "--path", str(path)])
            if "error" in r:
                raise SystemExit(f"{tool} failed: {r['error']}")
            rows.append([tool, f"{r['open_s']:.2f}", f"{r['lookup_s'] * 1000:.1f}", f"{r['rss_open']:,.0f}",
                         f"{r['peak_rss_mb']:,.0f}"])
    print(f"fastText .bin of {args.words:,} words x {args.dim} + {args.bucket:,} buckets: {size / 2 ** 30:.2f} GiB")
    print(table(["side", "open s", "two lookups ms", "peak RSS MiB after open", "peak RSS MiB at the end"], rows))
    print(machine_line())


if __name__ == "__main__":
    main()
