"""Why skip-gram's reported loss rises in the last epochs: the running loss against a
fixed-sample objective, under the default decaying learning rate and a constant one.

The loss a trainer reports for an epoch (``loss_history``) is the running mean over the
epoch's examples, each scored just before its own update, with the model as the
examples before it have left it. Those include its neighbours in the text: the other
pairs of its window, the same words a few tokens back. At a high learning rate the
model has just moved towards them, so the running loss is lower than the model's loss
on examples drawn from anywhere; as the rate decays that help shrinks. The script
measures both after every epoch: the running loss, and the objective (positive and
negative part) of the model on one fixed sample of 300,000 (centre, context) pairs drawn
the way training draws them (subsampled, reduced window), with 5 fixed noise words each,
in float64. Also the mean norm of the input and output vectors of words seen more than
50 times.

One worker (deterministic), exact kernel, the first 4M tokens of enwiki-text8style,
dim 100, window 5, negative 5, sample 1e-3, 5 epochs; schedules: alpha 0.025 decaying
linearly to 0.0001 (the default), and a constant 0.0125.

Usage: python evals/study_running_loss.py [--limit-tokens 4000000] [--epochs 5]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import find_data_dir, machine_line, prefix_sentences, table  # noqa: E402

SCHEDULES = (("decaying 0.025 -> 0.0001 (default)", 0.025, 0.0001), ("constant 0.0125", 0.0125, 0.0125))


def fixed_sample(encoded, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre, context, noise (n, 5)) ids: pairs drawn as training draws them."""
    from wordlab.trainers._sampling import keep_thresholds, noise_distribution
    tokens = np.asarray(encoded.read_tokens(0, encoded.n_tokens, np.empty(encoded.n_tokens, np.int32)))
    counts = np.asarray(encoded.vocab.counts, dtype=np.float64)
    rng = np.random.default_rng(seed)
    keep = np.minimum(keep_thresholds(counts, 1e-3).astype(np.float64) / 2 ** 32, 1.0)
    kept = tokens[rng.random(tokens.size) < keep[tokens]]
    pos = rng.integers(5, kept.size - 5, n)
    radius = rng.integers(1, 6, n)                       # a reduced window's radius, uniform in 1..5
    offset = rng.integers(1, radius + 1) * rng.choice([-1, 1], n)
    p = noise_distribution(counts, 0.75).astype(np.float64)
    noise = rng.choice(p.size, size=(n, 5), p=p / p.sum())
    return kept[pos], kept[pos + offset], noise


def objective(W: np.ndarray, C: np.ndarray, centre, context, noise) -> tuple[float, float]:
    """Mean -log s(u.v) and mean sum -log s(-u.n) over the sample (float64)."""
    u = W[context]
    positive = np.logaddexp(0, -(u * C[centre]).sum(1))
    negative = np.logaddexp(0, np.einsum("nd,nkd->nk", u, C[noise])).sum(1)
    return float(positive.mean()), float(negative.mean())


def run(encoded, alpha: float, min_alpha: float, epochs: int, sample, out: Path) -> list[dict]:
    from wordlab.trainers import Word2Vec
    counts = np.asarray(encoded.vocab.counts)
    rows: list[dict] = []

    def after_epoch(report) -> None:
        W = np.asarray(report.trainer._weights["vectors"], dtype=np.float64)
        C = np.asarray(report.trainer._weights["context_vectors"], dtype=np.float64)
        pos, neg = objective(W, C, *sample)
        seen = counts > 50
        rows.append({"epoch": report.epoch, "running": report.loss, "fixed": pos + neg, "pos": pos, "neg": neg,
                     "norm_in": float(np.linalg.norm(W[seen], axis=1).mean()),
                     "norm_out": float(np.linalg.norm(C[seen], axis=1).mean())})
    Word2Vec(method="sgns", dim=100, window=5, negative=5, sample=1e-3, alpha=alpha, min_alpha=min_alpha,
             epochs=epochs, workers=1, seed=1, progress=False, callbacks=[after_epoch]).fit(encoded, out)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit-tokens", type=int, default=4_000_000)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    import wordlab
    corpus = find_data_dir() / "corpora" / "enwiki-text8style.txt.gz"
    with tempfile.TemporaryDirectory(prefix="wordlab-loss-") as tmp:
        encoded = wordlab.Corpus(prefix_sentences(str(corpus), args.limit_tokens)).encode(
            min_count=5, out=Path(tmp) / "enc", progress=False)
        sample = fixed_sample(encoded, 300_000)
        print(f"corpus: enwiki-text8style, first {encoded.n_tokens:,} tokens ({len(encoded.vocab):,} words); "
              f"sgns, exact kernel, 1 worker, dim 100, window 5, negative 5, sample 1e-3, {args.epochs} epochs")
        for label, alpha, min_alpha in SCHEDULES:
            rows = run(encoded, alpha, min_alpha, args.epochs, sample, Path(tmp) / f"store-{alpha}")
            print(f"\nlearning rate: {label}")
            print(table(["epoch", "running loss", "fixed-sample objective", "  positive part", "  negative part",
                         "gap (fixed - running)", "|input vector|", "|output vector|"],
                        [[str(r["epoch"]), f"{r['running']:.4f}", f"{r['fixed']:.4f}", f"{r['pos']:.4f}",
                          f"{r['neg']:.4f}", f"{r['fixed'] - r['running']:+.4f}", f"{r['norm_in']:.3f}",
                          f"{r['norm_out']:.3f}"] for r in rows]))
    print("\nrunning loss: the epoch's mean over its examples, each scored before its own update (what "
          "loss_history reports); fixed-sample objective: the model after the epoch on 300,000 pairs drawn once, "
          "5 fixed noise words each, float64")
    print(machine_line())


if __name__ == "__main__":
    main()
