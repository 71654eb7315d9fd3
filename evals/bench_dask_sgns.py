"""Skip-gram by parameter averaging on a Dask LocalCluster, against one machine.

Issue 22's stretch goal: how much accuracy periodic parameter averaging (Spark MLlib's
way of spreading word2vec over machines) costs, against the number of workers and of
rounds per epoch. On enwiki-text8style (decompressed to a plain file; encoded once on
this machine, min_count 5), every side trains SGNS with bench_word2vec.py's settings
(dim 100, window 5, negative 5, sample 1e-3, alpha 0.025, batched kernel, 5 epochs,
seed 1) in its own process:

* **one machine, 1 thread** and **one machine, 2 threads** (Hogwild, the default);
* **dask local:N, R rounds**: ``averaging_rounds=R`` on N worker processes of one
  thread each, so N copies of the weights are averaged R times per epoch.

The sides with one worker are checked to equal one machine with 1 thread, bit for bit
(the script stops otherwise). Reported per side: wall time of training, words/s, peak
RSS of the client and per worker, and the same evaluations as bench_word2vec.py
(gensim's evaluators: Google analogies restricted to the 30,000 most frequent words,
WS-353 and SimLex-999 Spearman).

Usage: python evals/bench_dask_sgns.py [--workers 1,2,4] [--rounds 1,10] [--epochs 5] [--limit-bytes N]
       [--results]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, find_data_dir, fmt_mb, plain_enwiki, run_side, table  # noqa: E402

SETTINGS = dict(method="sgns", dim=100, window=5, negative=5, sample=1e-3, alpha=0.025, min_count=5, seed=1,
                kernel="batched")


def evaluate(kv) -> dict:
    from gensim.test.utils import datapath
    analogy, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    sl = kv.evaluate_word_pairs(datapath("simlex999.txt"))
    return {"analogy": float(analogy), "ws353": float(ws[1][0]), "simlex": float(sl[1][0])}


def _worker_rss() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def side(encoded: str, out: str, epochs: int, threads: int, workers: int, rounds: int) -> dict:
    import numpy as np
    import wordlab
    from wordlab.corpus import EncodedCorpus
    from wordlab.distributed import session
    from wordlab.npyio import array_digest
    enc = EncodedCorpus(encoded)
    cluster = session(f"local:{workers}") if workers else None
    client = cluster.__enter__() if cluster is not None else None
    try:
        t0 = time.perf_counter()
        emb = wordlab.train(enc, out=out, epochs=epochs, progress=False, **SETTINGS,
                            **({"workers": threads} if client is None else
                               {"workers": 1, "client": client, "averaging_rounds": rounds}))
        seconds = time.perf_counter() - t0
        workers_rss = sorted(client.run(_worker_rss).values()) if client is not None else []
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)
    vectors = np.asarray(emb.vectors)
    return {"seconds": round(seconds, 2), "training_s": emb.meta["training_seconds"],
            "words_per_second": emb.meta["words_per_second"], "vocab": len(emb),
            "digest": array_digest(vectors), "workers_rss": workers_rss,
            "loss": [round(h["loss"], 4) for h in emb.meta["history"]], **evaluate(emb.to_gensim())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--rounds", default="1,10")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--limit-bytes", type=int, default=None, help="use only this much of the text (a quick run)")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--cluster", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--side-rounds", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        emit(side(args.encoded, args.out, args.epochs, args.threads, args.cluster, args.side_rounds))
        return
    import wordlab
    data = find_data_dir()
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-dask-sgns-") as tmp:
        tmp = Path(tmp)
        plain = plain_enwiki(data, tmp / "enwiki-text8style.txt", args.limit_bytes)
        encoded = wordlab.Corpus(plain).encode(min_count=SETTINGS["min_count"], out=tmp / "encoded", progress=False)
        env = {"WORDLAB_CACHE": str(tmp / "cache")}
        sides = [("one machine, 1 thread", ["--threads", "1"]), ("one machine, 2 threads", ["--threads", "2"])]
        for n in (int(w) for w in args.workers.split(",")):
            for r in (int(x) for x in args.rounds.split(",")):
                sides.append((f"dask local:{n}, {r} round{'s' if r > 1 else ''}/epoch",
                              ["--cluster", str(n), "--side-rounds", str(r)]))
        rows, results = [], {}
        for k, (label, extra) in enumerate(sides):
            print(f"{label} ...", file=sys.stderr, flush=True)
            r = run_side(__file__, ["--side", "train", "--encoded", str(encoded.path), "--out", str(tmp / f"s{k}"),
                                    "--epochs", str(args.epochs), *extra], env=env)
            if "error" in r:
                raise SystemExit(f"{label} failed")
            print(json.dumps(r), file=sys.stderr, flush=True)
            results[label] = r
            rows.append([label, f"{r['training_s']:.1f} s", f"{r['words_per_second']:,.0f}", f"{r['analogy']:.3f}",
                         f"{r['ws353']:.3f}", f"{r['simlex']:.3f}", fmt_mb(r["peak_rss_mb"]),
                         " / ".join(fmt_mb(w) for w in r["workers_rss"]) or "-"])
        reference = results["one machine, 1 thread"]["digest"]
        same = [label for label, r in results.items() if label.startswith("dask local:1,")]
        for label in same:
            if results[label]["digest"] != reference:
                raise SystemExit(f"{label}: the vectors differ from one machine with 1 thread")
    print(f"enwiki-text8style, {encoded.n_tokens:,} tokens, {len(encoded.vocab):,} words; SGNS dim 100, window 5, "
          f"negative 5, sample 1e-3, batched kernel, {args.epochs} epochs, seed 1")
    print()
    print(table(["side", "training", "words/s", "analogy@30k", "WS-353", "SimLex-999", "peak RSS (client)",
                 "peak RSS per worker"], rows, align="lrrrrrrr"))
    print()
    print(f"Checked: {', '.join(same) or 'no side'} gave the vectors of one machine with 1 thread, bit for bit "
          "(sha256 of vectors.npy).")


if __name__ == "__main__":
    main()
