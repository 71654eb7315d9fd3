"""wordlab's fastText trainers against gensim's FastText on enwiki-text8style, one run.

Same settings on every side (issue 20): dim 100, window 5, negative 5, n-grams 3-6,
bucket 2,000,000, sample 1e-3, min_count 5, alpha 0.025, 5 epochs, 2 workers, for
skip-gram (wordlab ``fasttext``) and CBOW (``fasttext-cbow``). gensim reads the file as
its documentation recommends (``Text8Corpus``) and, with ``--corpus-file``, also through
``corpus_file`` on the text re-cut into 1,000-word lines.

Each side runs in its own process; peak RSS is its high-water mark (VmHWM) after
training and before evaluation, and again at the end. Quality is measured by gensim's
evaluator on each side's KeyedVectors (wordlab's converted to ``FastTextKeyedVectors``):
Google analogies (3CosAdd, 30k), WS-353 and SimLex-999 Spearman over the pairs both of
whose words are in the vocabulary. **Rare words**: the pairs of WS-353 and SimLex-999
with a word seen fewer than 10 times in the corpus (some below min_count, so outside
the vocabulary), scored with each side's composed vectors; their Spearman and count.

Goals (issue 20): training words/s at least 2x gensim's; analogy within 1 point and
WS-353 / SimLex within 0.01 of gensim's; peak RSS no higher than gensim's.

CBOW runs twice on the wordlab side: with the batched kernel (the default; each
position's rows read and written once) and with ``kernel="exact"`` (fastText's update,
labelled "(exact)").

Usage: python evals/bench_fasttext.py [--methods fasttext,fasttext-cbow] [--epochs 5] [--workers 2]
       [--bucket 2000000] [--limit-tokens N] [--corpus-file] [--no-exact] [--seeds N]

With ``--seeds N`` every side runs N times (seeds 1..N, seeds outermost) and a second
table gives each side's mean and sample standard deviation: a single run's WS-353
moves by about 0.01 between seeds, as much as the goal's tolerance.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import by_side, emit, find_data_dir, machine_line, mean_sd, peak_rss_mb, run_side, table  # noqa: E402
from bench_word2vec import prepare_inputs  # noqa: E402

SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=5, alpha=0.025, min_n=3, max_n=6)
RARE = 10


def quality(kv, rare_pairs: list) -> dict:
    import numpy as np
    from gensim.test.utils import datapath
    from scipy import stats
    analogy, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    sl = kv.evaluate_word_pairs(datapath("simlex999.txt"))
    model, gold = [], []
    for a, b, score in rare_pairs:
        u, v = kv[a], kv[b]                       # composed from n-grams where the word is unseen
        n = float(np.linalg.norm(u) * np.linalg.norm(v))
        if n > 0:
            model.append(float(u @ v) / n)
            gold.append(score)
    rare = float(stats.spearmanr(gold, model)[0]) if len(gold) > 2 else float("nan")
    return {"analogy": float(analogy), "ws353": float(ws[1][0]), "simlex": float(sl[1][0]), "rare": rare,
            "rare_pairs": len(gold)}


def side_wordlab(corpus: str, method: str, epochs: int, workers: int, bucket: int, out: str, rare: list,
                 kernel: str = "batched", seed: int = 1) -> dict:
    import wordlab
    from wordlab.trainers import make_trainer
    t0 = time.time()
    encoded = wordlab.Corpus(corpus).encode(min_count=SETTINGS["min_count"], cache=False, progress=False)
    rss_encode = peak_rss_mb()
    trainer = make_trainer(method, dim=SETTINGS["dim"], window=SETTINGS["window"], negative=SETTINGS["negative"],
                           sample=SETTINGS["sample"], alpha=SETTINGS["alpha"], min_count=SETTINGS["min_count"],
                           min_n=SETTINGS["min_n"], max_n=SETTINGS["max_n"], bucket=bucket, epochs=epochs,
                           workers=workers, seed=seed, progress=False, kernel=kernel)
    t1 = time.time()
    emb = trainer.fit(encoded, out, overwrite=True)
    t_train = time.time() - t1
    rss_train = peak_rss_mb()
    return {"tokens": encoded.n_tokens, "vocab": len(emb), "train_s": t_train, "total_s": time.time() - t0,
            "rss_encode": rss_encode, "rss_train": rss_train, **quality(emb.to_gensim(), rare)}


def side_gensim(corpus: str, method: str, epochs: int, workers: int, bucket: int, mode: str, rare: list,
                seed: int = 1) -> dict:
    from gensim.models import FastText
    from gensim.models.word2vec import Text8Corpus
    kwargs = dict(vector_size=SETTINGS["dim"], window=SETTINGS["window"], negative=SETTINGS["negative"],
                  sample=SETTINGS["sample"], min_count=SETTINGS["min_count"], alpha=SETTINGS["alpha"],
                  min_n=SETTINGS["min_n"], max_n=SETTINGS["max_n"], bucket=bucket, sg=int(method == "fasttext"),
                  hs=0, workers=workers, epochs=epochs, seed=seed)
    t0 = time.time()
    model = FastText(**kwargs)
    if mode == "sentences":
        sentences = Text8Corpus(corpus)
        model.build_vocab(sentences)
    else:
        model.build_vocab(corpus_file=corpus)
    rss_encode = peak_rss_mb()
    tokens = int(sum(model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key))
    t1 = time.time()
    if mode == "sentences":
        model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    else:
        model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=epochs)
    t_train = time.time() - t1
    rss_train = peak_rss_mb()
    return {"tokens": tokens, "vocab": len(model.wv), "train_s": t_train, "total_s": time.time() - t0,
            "rss_encode": rss_encode, "rss_train": rss_train, **quality(model.wv, rare)}


def rare_pairs(corpus: str) -> list:
    """WS-353 and SimLex-999 pairs with a word seen fewer than RARE times in ``corpus``."""
    from gensim.test.utils import datapath
    pairs = []
    for name in ("wordsim353.tsv", "simlex999.txt"):
        for line in open(datapath(name), encoding="utf-8"):
            parts = line.strip().split("\t")
            if len(parts) >= 3 and not line.startswith("#"):
                try:
                    pairs.append((parts[0].lower(), parts[1].lower(), float(parts[2])))
                except ValueError:
                    continue
    wanted = {w for a, b, _ in pairs for w in (a, b)}
    counts: Counter = Counter()
    opener = gzip.open if corpus.endswith(".gz") else open
    with opener(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            counts.update(w for w in line.split() if w in wanted)
    return [(a, b, s) for a, b, s in pairs if min(counts[a], counts[b]) < RARE]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--methods", default="fasttext,fasttext-cbow")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--bucket", type=int, default=2_000_000)
    ap.add_argument("--limit-tokens", type=int, default=None)
    ap.add_argument("--corpus-file", action="store_true", help="Also run gensim's corpus_file mode.")
    ap.add_argument("--no-exact", action="store_true", help="Leave out CBOW's exact kernel.")
    ap.add_argument("--seeds", type=int, default=1,
                    help="Run every side with seeds 1..N and add each side's mean and sample s.d. of quality.")
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--rare", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.side:
        tool, method, mode = args.side.split(":")
        rare = json.loads(Path(args.rare).read_text())
        if tool == "wordlab":
            result = side_wordlab(args.corpus, method, args.epochs, args.workers, args.bucket, args.out, rare, mode,
                                  args.seed)
        else:
            result = side_gensim(args.corpus, method, args.epochs, args.workers, args.bucket, mode, rare, args.seed)
        emit(result)
        return

    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as tmp:
        tmp = Path(tmp)
        plain, lines = prepare_inputs(args.limit_tokens, tmp)
        if args.limit_tokens is None:
            plain = str(find_data_dir() / "corpora" / "enwiki-text8style.txt.gz")
        rare = rare_pairs(plain)
        (tmp / "rare.json").write_text(json.dumps(rare))
        rows = []
        for method in args.methods.split(","):
            # CBOW: the batched kernel (the default) and the exact one (fastText's update)
            kernels = ["batched", "exact"] if method == "fasttext-cbow" and not args.no_exact else ["batched"]
            sides = [("wordlab", k, plain) for k in kernels] + [("gensim", "sentences", plain)]
            if args.corpus_file:
                sides.append(("gensim", "corpus_file", lines))
            # seeds outermost, so that a slow spell of the machine does not fall on one side only
            for seed in range(1, args.seeds + 1):
                for tool, mode, corpus in sides:
                    label = f"{tool} {method}" + (f" ({mode})" if tool == "gensim" or mode == "exact" else "")
                    print(f"running {label}, seed {seed} ...", file=sys.stderr, flush=True)
                    r = run_side(__file__, ["--side", f"{tool}:{method}:{mode}", "--epochs", str(args.epochs),
                                            "--workers", str(args.workers), "--bucket", str(args.bucket),
                                            "--corpus", corpus, "--rare", str(tmp / "rare.json"),
                                            "--out", str(tmp / f"{method}-store"), "--seed", str(seed)],
                                 env={"WORDLAB_CACHE": str(tmp / "cache")})
                    if "error" in r:
                        raise SystemExit(f"{label} failed: {r['error']}")
                    words = r["tokens"] * args.epochs
                    rows.append({"side": label, "seed": seed, "wps": words / r["train_s"], **r})
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(f"corpus: enwiki-text8style{' (first %d tokens)' % args.limit_tokens if args.limit_tokens else ''}; "
          f"dim 100, window 5, negative 5, n-grams 3-6, bucket {args.bucket:,}, sample 1e-3, min_count 5, "
          f"epochs {args.epochs}, workers {args.workers}")
    headers = ["side", "seed", "train words/s", "train s", "wall s", "peak RSS MiB (train job)",
               "peak RSS MiB (+ eval)", "analogy@30k", "WS-353", "SimLex-999", f"rare pairs (<{RARE}) Spearman", "vocab"]
    print(table(headers, [[r["side"], str(r["seed"]), f"{r['wps']:,.0f}", f"{r['train_s']:.1f}", f"{r['total_s']:.1f}",
                           f"{r['rss_train']:,.0f}", f"{r['peak_rss_mb']:,.0f}", f"{r['analogy']:.3f}",
                           f"{r['ws353']:.3f}", f"{r['simlex']:.3f}", f"{r['rare']:.3f} ({r['rare_pairs']})",
                           f"{r['vocab']:,}"] for r in sorted(rows, key=lambda r: (r["side"], r["seed"]))]))
    if args.seeds > 1:
        print(f"\nmean (sample s.d.) over seeds 1-{args.seeds}")
        print(table(["side", "train words/s", "analogy@30k", "WS-353", "SimLex-999"],
                    [[side, mean_sd([r["wps"] for r in group], "{:,.0f}"),
                      *(mean_sd([r[k] for r in group], "{:.3f}") for k in ("analogy", "ws353", "simlex"))]
                     for side, group in by_side(rows)]))
    print("words/s counts the corpus tokens kept by min_count, times epochs, for every side. Rare pairs: WS-353 "
          f"and SimLex-999 pairs with a word seen fewer than {RARE} times, every word composed from n-grams "
          "where it is not in the vocabulary.")
    print(machine_line())


if __name__ == "__main__":
    main()
