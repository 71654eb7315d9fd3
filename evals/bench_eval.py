"""Analogy evaluation speed and parity: wordlab versus gensim, one run.

A 100,000 x 300 store is built so that the Google analogies are partly solvable:
each section has a relation offset r, and for a question a b c d the words get
b = a + r + noise and d = c + r + noise when first seen (other words random), so the
parity check compares non-trivial accuracies. Both sides evaluate the full Google set
(19,544 questions) with 3CosAdd at restrict_vocab 30,000 and 300,000 (here: all
100,000 words), each side in its own process:

- wordlab: ``wordlab.evals.evaluate_analogies`` (batched matrix products);
- gensim: ``KeyedVectors.evaluate_word_analogies`` (one ``most_similar`` per question).

Printed: wall time per side, questions/s, accuracy, and whether per-section correct
and covered counts are identical. Goal (issue 4): wordlab well under gensim's time.

Usage: python evals/bench_eval.py [--words 100000] [--dim 300] [--restricts 30000,300000]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, machine_line, run_side, table  # noqa: E402


def build_store(n_words: int, dim: int, out: Path, seed: int = 0) -> None:
    import wordlab
    from gensim.test.utils import datapath
    from wordlab.evals import read_google_analogies
    rng = np.random.default_rng(seed)
    data = read_google_analogies(datapath("questions-words.txt"))
    vectors: dict[str, np.ndarray] = {}

    def new() -> np.ndarray:
        return rng.standard_normal(dim).astype(np.float32)

    for _section, questions in data.sections:
        r = new()
        for a, b, c, (d,) in questions:
            a, b, c, d = (w.lower() for w in (a, b, c, d))
            for x, y in ((a, b), (c, d)):
                if x not in vectors:
                    vectors[x] = new()
                if y not in vectors:
                    vectors[y] = vectors[x] + r + 0.6 * new()
    words = list(vectors)
    words += [f"filler{i}" for i in range(n_words - len(words))]
    matrix = np.empty((n_words, dim), dtype=np.float32)
    for i, w in enumerate(words):
        matrix[i] = vectors[w] if w in vectors else new()
    # Question words are frequent words in a real vocabulary: they come first (shuffled),
    # so restrict_vocab=30,000 covers every question, as on a trained store.
    n_q = len(vectors)
    order = np.concatenate([rng.permutation(n_q), n_q + rng.permutation(n_words - n_q)])
    wordlab.Embeddings([words[i] for i in order], matrix[order]).save(out)


def side_wordlab(store: str, restrict: int) -> dict:
    import wordlab
    from wordlab.evals import evaluate_analogies
    emb = wordlab.load(store)
    emb.unit_vectors  # computed once, like gensim's norms (timed separately)
    t = time.perf_counter()
    r = evaluate_analogies(emb, "google-analogy", restrict_vocab=restrict)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "accuracy": r.accuracy,
            "sections": {s.section: [s.correct, s.n_covered] for s in r.sections}}


def side_gensim(store: str, restrict: int) -> dict:
    import wordlab
    from gensim.test.utils import datapath
    kv = wordlab.load(store).to_gensim()
    kv.fill_norms()
    t = time.perf_counter()
    score, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=restrict)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "accuracy": score,
            "sections": {s["section"]: [len(s["correct"]), len(s["correct"]) + len(s["incorrect"])]
                         for s in sections if s["section"] != "Total accuracy"}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--restricts", default="30000,300000")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--restrict", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        emit((side_wordlab if args.side == "wordlab" else side_gensim)(args.store, args.restrict))
        return
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-eval-") as tmp:
        store = Path(tmp) / "store"
        build_store(args.words, args.dim, store)
        rows = []
        for restrict in (int(x) for x in args.restricts.split(",")):
            results = {}
            for tool in ("wordlab", "gensim"):
                print(f"{tool} restrict_vocab={restrict} ...", file=sys.stderr, flush=True)
                r = run_side(__file__, ["--side", tool, "--store", str(store), "--restrict", str(restrict)],
                             env={"WORDLAB_CACHE": str(Path(tmp) / "cache")})
                if "error" in r:
                    raise SystemExit(f"{tool} failed: {r['error']}")
                results[tool] = r
            same = results["wordlab"]["sections"] == results["gensim"]["sections"]
            for tool, r in results.items():
                rows.append([tool, f"{restrict:,}", f"{r['seconds']:.2f}", f"{19544 / r['seconds']:,.0f}",
                             f"{r['accuracy']:.4f}", "yes" if same else "NO",
                             f"{results['gensim']['seconds'] / r['seconds']:.1f}x" if tool == "wordlab" else ""])
            if not same:
                print(json.dumps(results, indent=1), file=sys.stderr)
    print(f"Google analogies (19,544 questions), 3CosAdd, store {args.words:,} x {args.dim} float32")
    print(table(["side", "restrict_vocab", "seconds", "questions/s", "accuracy", "per-section counts equal",
                 "speed-up"], rows))
    print(machine_line())


if __name__ == "__main__":
    main()
