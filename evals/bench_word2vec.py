"""wordlab SGNS/CBOW versus gensim on enwiki-text8style (16.9M tokens), one run.

Same settings for every side: dim 100, window 5, negative 5, sample 1e-3,
min_count 5, 5 epochs, 2 workers, alpha 0.025. gensim runs the way its
documentation recommends for this file (``sentences=Text8Corpus(path)``) and also
with ``corpus_file`` on the same text re-cut into lines of 1,000 words.

Each side runs in its own process; peak RSS is that process's high-water mark (VmHWM)
after training, before evaluation, and again at the end.
Reported: training words/s (corpus tokens kept by min_count x epochs / training
seconds; the same numerator for every side), end-to-end words/s and wall time
(including encoding / vocabulary building), peak RSS, and quality measured by the
same evaluator for every side (gensim's, on KeyedVectors): Google analogies
(questions-words.txt, 3CosAdd, restrict_vocab=30,000), WS-353 and SimLex-999
Spearman.

Goals (issue 3): analogy within 2 points and WS-353 within 0.03 of gensim for both
methods; training words/s at least gensim's best mode; peak RSS no higher than gensim's.

Both methods run with each of wordlab's kernels (``--kernels exact,batched``: word2vec.c's
update with fresh noise words per example, and the batched kernels that share them:
by the pairs of a skip-gram window, by CBOW centres 2 * window + 1 apart, 8 to a draw).
``--seeds N`` runs every side with seeds 1..N and adds each side's mean and sample
standard deviation.

Roofline (issue 21): the machine's single-core multiply-add rate, bandwidth and random-row
rate are measured by a microbenchmark in this process before the sides run
(``_roofline.measure_machine``), and each wordlab side's mean words/s is set against the
flops and rows its kernel moves per token (``_roofline.word2vec_cost``, with the kept
fraction after subsampling measured on the corpus). ``--skip-roofline`` leaves it out.

Usage: python evals/bench_word2vec.py [--methods sgns,cbow] [--epochs 5] [--workers 2]
       [--kernels exact,batched] [--seeds N] [--skip-sentences] [--skip-corpus-file] [--skip-roofline]
       [--limit-tokens N]   (a prefix of the corpus, for a quick smoke run)
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import by_side, emit, find_data_dir, machine_line, mean_sd, peak_rss_mb, run_side, table  # noqa: E402

SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=5, alpha=0.025)


def evaluate(kv) -> dict:
    from gensim.test.utils import datapath
    analogy, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    sl = kv.evaluate_word_pairs(datapath("simlex999.txt"))
    return {"analogy": float(analogy), "ws353": float(ws[1][0]), "simlex": float(sl[1][0])}


def side_wordlab(corpus: str, method: str, epochs: int, workers: int, out: str, kernel: str = "exact",
                 seed: int = 1) -> dict:
    import wordlab
    rss_import = peak_rss_mb()
    t0 = time.time()
    encoded = wordlab.Corpus(corpus).encode(min_count=SETTINGS["min_count"], cache=False, progress=False)
    t_encode = time.time() - t0
    rss_encode = peak_rss_mb()
    from wordlab.trainers import make_trainer
    trainer = make_trainer(method, dim=SETTINGS["dim"], window=SETTINGS["window"], negative=SETTINGS["negative"],
                           sample=SETTINGS["sample"], alpha=SETTINGS["alpha"], min_count=SETTINGS["min_count"],
                           epochs=epochs, workers=workers, seed=seed, progress=False, kernel=kernel)
    t1 = time.time()
    emb = trainer.fit(encoded, out, overwrite=True)
    t_train = time.time() - t1
    rss_train = peak_rss_mb()
    return {"tokens": encoded.n_tokens, "vocab": len(emb), "kept_fraction": kept_fraction(encoded.vocab.counts), "encode_s": t_encode, "train_s": t_train,
            "total_s": time.time() - t0, "rss_import": rss_import, "rss_encode": rss_encode,
            "rss_train": rss_train, **evaluate(emb.to_gensim())}


def kept_fraction(counts) -> float:
    """The expected share of the corpus tokens that subsampling keeps (word2vec.c's rule)."""
    import numpy as np
    from wordlab.trainers._sampling import keep_thresholds
    counts = np.asarray(counts, dtype=np.float64)
    keep = np.minimum(keep_thresholds(counts, SETTINGS["sample"]).astype(np.float64) / 2 ** 32, 1.0)
    return float((counts * keep).sum() / counts.sum())


def side_gensim(corpus: str, method: str, epochs: int, workers: int, mode: str, seed: int = 1) -> dict:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import Text8Corpus
    rss_import = peak_rss_mb()
    kwargs = dict(vector_size=SETTINGS["dim"], window=SETTINGS["window"], negative=SETTINGS["negative"],
                  sample=SETTINGS["sample"], min_count=SETTINGS["min_count"], alpha=SETTINGS["alpha"],
                  sg=int(method == "sgns"), hs=0, workers=workers, epochs=epochs, seed=seed)
    t0 = time.time()
    model = Word2Vec(**kwargs)
    if mode == "sentences":
        sentences = Text8Corpus(corpus)
        model.build_vocab(sentences)
    else:
        model.build_vocab(corpus_file=corpus)
    t_vocab = time.time() - t0
    rss_encode = peak_rss_mb()
    tokens = int(sum(model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key))
    t1 = time.time()
    if mode == "sentences":
        model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    else:
        model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=epochs)
    t_train = time.time() - t1
    rss_train = peak_rss_mb()
    return {"tokens": tokens, "vocab": len(model.wv), "encode_s": t_vocab, "train_s": t_train,
            "total_s": time.time() - t0, "rss_import": rss_import, "rss_encode": rss_encode,
            "rss_train": rss_train, **evaluate(model.wv)}


def prepare_inputs(limit_tokens: int | None, tmp: Path) -> tuple[str, str]:
    """The text8 file for 'sentences' sides, and the same text in 1,000-word lines."""
    source = find_data_dir() / "corpora" / "enwiki-text8style.txt.gz"
    lines_path = tmp / "text8-1000-word-lines.txt"
    plain = str(source)
    n = 0
    with gzip.open(source, "rt", encoding="utf-8") as fin, open(lines_path, "w", encoding="utf-8") as fout:
        rest: list[str] = []
        while True:
            chunk = fin.read(1 << 22)
            if not chunk:
                break
            words = chunk.split()
            if chunk[-1:].isspace() or not words:
                words, carry = rest + words, []
            else:
                words, carry = rest + words[:-1], [words[-1]]
            rest = carry
            while len(words) >= 1000:
                fout.write(" ".join(words[:1000]) + "\n")
                words = words[1000:]
                n += 1000
            rest = words + rest
            if limit_tokens and n >= limit_tokens:
                break
        if rest and not (limit_tokens and n >= limit_tokens):
            fout.write(" ".join(rest) + "\n")
    if limit_tokens:
        # A prefix of the corpus as one line, like the original (for the 'sentences' sides).
        plain = str(tmp / "text8-prefix.txt")
        with open(lines_path, encoding="utf-8") as fin, open(plain, "w", encoding="utf-8") as fout:
            fout.write(" ".join(line.strip() for line in fin))
    return plain, str(lines_path)


def print_roofline(rows: list[dict], machine: dict, workers: int) -> None:
    """The machine's figures, the model's costs per token, and each wordlab side's mean
    training words/s against them."""
    from _roofline import ROOFLINE_HEADERS, cost_table, machine_summary, machine_table, roofline_rows
    ours = [r for r in rows if r["tool"] == "wordlab"]
    if not ours:
        return
    kept = sum(r["kept_fraction"] for r in ours) / len(ours)
    measured = {}
    for r in ours:
        measured.setdefault((r["method"], r["kernel"]), []).append(r["train_wps"])
    print(f"\nroofline: this machine ({machine_summary(machine)})")
    print(machine_table(machine))
    print(f"\nper kept token (subsampling keeps {kept:.3f} of the tokens)")
    print(cost_table())
    print(f"\nmean training words/s against the roofs: the dot+axpy rate and 2 x the random-row rate (a row read "
          f"and written), both measured with {workers} threads at once")
    print(table(ROOFLINE_HEADERS, roofline_rows({k: sum(v) / len(v) for k, v in measured.items()}, machine, kept,
                                                workers)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--methods", default="sgns,cbow")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit-tokens", type=int, default=None)
    ap.add_argument("--skip-corpus-file", action="store_true", help="Skip gensim's corpus_file mode.")
    ap.add_argument("--skip-sentences", action="store_true", help="Skip gensim's sentences mode.")
    ap.add_argument("--kernels", default="exact,batched", help="wordlab's kernels to run, for both methods.")
    ap.add_argument("--skip-roofline", action="store_true", help="Leave out the machine microbenchmark.")
    ap.add_argument("--seeds", type=int, default=1,
                    help="Run every side with seeds 1..N and add each side's mean and sample s.d. of quality.")
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.side:
        tool, method, mode = args.side.split(":")
        if tool == "wordlab":
            result = side_wordlab(args.corpus, method, args.epochs, args.workers, args.out, mode, args.seed)
        else:
            result = side_gensim(args.corpus, method, args.epochs, args.workers, mode, args.seed)
        emit(result)
        return

    # Imported here, not at the top: the sides' processes must not load it (numba, ~70 MiB of their peak RSS).
    from _roofline import measure_machine
    machine = None if args.skip_roofline else measure_machine()
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as tmp:
        tmp = Path(tmp)
        plain, lines = prepare_inputs(args.limit_tokens, tmp)
        rows = []
        for method in args.methods.split(","):
            kernels = args.kernels.split(",")
            sides = [("wordlab", kernel, plain) for kernel in kernels]
            if not args.skip_sentences:
                sides.append(("gensim", "sentences", plain))
            if not args.skip_corpus_file:
                sides.append(("gensim", "corpus_file", lines))
            # seeds outermost, so that a slow spell of the machine does not fall on one side only
            for seed in range(1, args.seeds + 1):
                for tool, mode, corpus in sides:
                    label = f"{tool} {method}" + (f" ({mode})" if tool == "gensim" or len(kernels) > 1 else "")
                    print(f"running {label}, seed {seed} ...", file=sys.stderr, flush=True)
                    common = ["--epochs", str(args.epochs), "--workers", str(args.workers), "--corpus", corpus,
                              "--seed", str(seed)]
                    r = run_side(__file__, ["--side", f"{tool}:{method}:{mode}", *common,
                                            "--out", str(tmp / f"{method}-store")],
                                 env={"WORDLAB_CACHE": str(tmp / "cache")})
                    if "error" in r:
                        raise SystemExit(f"{label} failed: {r['error']}")
                    words = r["tokens"] * args.epochs
                    rows.append({"side": label, "seed": seed, "train_wps": words / r["train_s"],
                                 "total_wps": words / r["total_s"], "train_s": r["train_s"], "total_s": r["total_s"],
                                 "rss": r["peak_rss_mb"], "analogy": r["analogy"], "ws353": r["ws353"],
                                 "simlex": r["simlex"], "vocab": r["vocab"], "tokens": r["tokens"],
                                 "rss_import": r["rss_import"], "rss_encode": r["rss_encode"],
                                 "rss_train": r["rss_train"], "method": method, "kernel": mode,
                                 "kept_fraction": r.get("kept_fraction"), "tool": tool})
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(f"corpus: enwiki-text8style{' (first %d tokens)' % args.limit_tokens if args.limit_tokens else ''}; "
          f"dim 100, window 5, negative 5, sample 1e-3, min_count 5, epochs {args.epochs}, workers {args.workers}")
    headers = ["side", "seed", "train words/s", "end-to-end words/s", "train s", "wall s", "peak RSS MiB (train job)",
               "peak RSS MiB (+ eval)", "analogy@30k", "WS-353", "SimLex-999", "vocab"]
    ordered = [r for _, group in by_side(rows) for r in group]
    print(table(headers, [[r["side"], str(r["seed"]), f"{r['train_wps']:,.0f}", f"{r['total_wps']:,.0f}",
                           f"{r['train_s']:.1f}", f"{r['total_s']:.1f}", f"{r['rss_train']:,.0f}", f"{r['rss']:,.0f}",
                           f"{r['analogy']:.3f}", f"{r['ws353']:.3f}", f"{r['simlex']:.3f}", f"{r['vocab']:,}"]
                          for r in ordered]))
    if args.seeds > 1:
        print(f"\nmean (sample s.d.) over seeds 1-{args.seeds}")
        print(table(["side", "train words/s", "analogy@30k", "WS-353", "SimLex-999"],
                    [[side, mean_sd([r["train_wps"] for r in group], "{:,.0f}"),
                      *(mean_sd([r[k] for r in group], "{:.3f}") for k in ("analogy", "ws353", "simlex"))]
                     for side, group in by_side(rows)]))
    if machine is not None:
        print_roofline(rows, machine, args.workers)
    print("peak RSS (train job) = VmHWM after encoding/vocabulary and training, before evaluation; "
          "(+ eval) = the whole process, including loading gensim's evaluators. words/s counts the "
          "corpus tokens kept by min_count, times epochs, for every side.")
    print(machine_line())

if __name__ == "__main__":
    main()
