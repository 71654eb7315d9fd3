"""The CBOW gap to gensim's corpus_file mode is its learning-rate schedule: 3 seeds.

In three runs of ``bench_word2vec.py`` wordlab's CBOW scored 1.2 to 1.9 analogy points
below gensim's ``corpus_file`` mode at the same settings, while gensim's ``sentences``
mode scored as wordlab does. In ``corpus_file`` mode each of the W workers trains
1/W of the corpus per epoch, and its learning rate decays with the words it has done
itself divided by the words of the whole corpus (``get_next_alpha`` in gensim's
``word2vec_corpusfile.pyx``), so within an epoch alpha falls by only 1/W of the epoch's
share of the decay, then jumps down at the next epoch: a sawtooth that keeps the rate
higher than the linear schedule of word2vec.c, gensim's ``sentences`` mode and wordlab.

Sides (each in its own process, seeds 1..N, the settings of ``bench_word2vec.py``):
wordlab CBOW (exact kernel) with its linear schedule; the same with corpus_file's
sawtooth put in place of the schedule (``StreamTrainer._alpha_at``, the only change);
gensim ``sentences``; gensim ``corpus_file``.

The last two sides train wordlab on the corpus_file side's own input, the text in
1,000-word lines (the others read it as 10,000-token sentences).

``--alpha`` sets every side's starting learning rate (default 0.025, gensim's for both
methods; word2vec.c starts CBOW at 0.05), ``--kernel`` wordlab's kernel (default exact).

Usage: python evals/study_cbow_schedule.py [--seeds 3] [--epochs 5] [--workers 2] [--limit-tokens N]
       [--sides linear,sawtooth,sentences,corpus_file,linear-lines,sawtooth-lines] [--alpha 0.025]
       [--kernel exact]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import by_side, emit, machine_line, mean_sd, run_side, table  # noqa: E402
from bench_word2vec import SETTINGS, prepare_inputs, side_gensim, side_wordlab  # noqa: E402

SIDES = (("wordlab cbow, linear schedule", "wordlab", "linear"),
         ("wordlab cbow, corpus_file's sawtooth", "wordlab", "sawtooth"),
         ("gensim cbow (sentences)", "gensim", "sentences"),
         ("gensim cbow (corpus_file)", "gensim", "corpus_file"),
         # the corpus_file side's input: the text in 1,000-word lines (the others read 10,000-token sentences)
         ("wordlab cbow, linear, 1,000-word lines", "wordlab", "linear-lines"),
         ("wordlab cbow, sawtooth, 1,000-word lines", "wordlab", "sawtooth-lines"))


def use_sawtooth(workers: int) -> None:
    """Replace the stream trainers' schedule by gensim corpus_file's: an epoch's progress
    counts one worker's words (1/workers of the corpus) over the whole corpus's."""
    from wordlab.trainers.stream import StreamTrainer

    def alpha_at(self, epoch: int, fraction: float) -> float:
        progress = (epoch + fraction / workers) / self.epochs
        return self.alpha - (self.alpha - self.min_alpha) * progress
    StreamTrainer._alpha_at = alpha_at


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit-tokens", type=int, default=None)
    ap.add_argument("--alpha", type=float, default=SETTINGS["alpha"])
    ap.add_argument("--kernel", default="exact", choices=("exact", "batched"))
    ap.add_argument("--sides", help="Only these sides (by mode: linear, sawtooth, sentences, corpus_file, "
                                    "linear-lines, sawtooth-lines).")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    SETTINGS["alpha"] = args.alpha          # read by bench_word2vec's sides
    if args.side:
        tool, mode = args.side.split(":")
        if tool == "wordlab":
            if mode.startswith("sawtooth"):
                use_sawtooth(args.workers)
            emit(side_wordlab(args.corpus, "cbow", args.epochs, args.workers, args.out, args.kernel, args.seed))
        else:
            emit(side_gensim(args.corpus, "cbow", args.epochs, args.workers, mode, args.seed))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="wordlab-schedule-") as tmp:
        tmp = Path(tmp)
        plain, lines = prepare_inputs(args.limit_tokens, tmp)
        for seed in range(1, args.seeds + 1):
            for label, tool, mode in SIDES:
                if args.sides and mode not in args.sides.split(","):
                    continue
                print(f"running {label}, seed {seed} ...", file=sys.stderr, flush=True)
                corpus = lines if mode in ("corpus_file", "linear-lines", "sawtooth-lines") else plain
                r = run_side(__file__, ["--side", f"{tool}:{mode}", "--seed", str(seed), "--epochs", str(args.epochs),
                                        "--workers", str(args.workers), "--corpus", corpus,
                                        "--alpha", str(args.alpha), "--kernel", args.kernel,
                                        "--out", str(tmp / "store")], env={"WORDLAB_CACHE": str(tmp / "cache")})
                if "error" in r:
                    raise SystemExit(f"{label} failed: {r['error']}")
                rows.append({"side": label, "seed": seed, **{k: r[k] for k in ("analogy", "ws353", "simlex")}})
    print(f"corpus: enwiki-text8style; cbow, dim {SETTINGS['dim']}, window {SETTINGS['window']}, negative "
          f"{SETTINGS['negative']}, sample {SETTINGS['sample']}, alpha {SETTINGS['alpha']}, epochs {args.epochs}, "
          f"workers {args.workers}; wordlab's kernel: {args.kernel}")
    print(table(["side", "seed", "analogy@30k", "WS-353", "SimLex-999"],
                [[r["side"], str(r["seed"]), f"{r['analogy']:.3f}", f"{r['ws353']:.3f}", f"{r['simlex']:.3f}"]
                 for _, group in by_side(rows) for r in group]))
    print(f"\nmean (sample s.d.) over seeds 1-{args.seeds}")
    print(table(["side", "analogy@30k", "WS-353", "SimLex-999"],
                [[side, *(mean_sd([r[k] for r in group], "{:.3f}") for k in ("analogy", "ws353", "simlex"))]
                 for side, group in by_side(rows)]))
    print(machine_line())


if __name__ == "__main__":
    main()
