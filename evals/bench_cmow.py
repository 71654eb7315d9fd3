"""CBOW vs CMOW vs hybrid on UN General Debate sentences: probing and throughput.

The encoders are trained on the UNGDC speeches of ``--train-years`` (default
1990-2014), split into sentences, all with the same objective and budget (window 5,
a random target word, 20 negatives, Adam, no subsampling, ``--epochs``, 2 threads): CBOW (400), CMOW
(20 x 20) and the hybrid (400 + 20 x 20; ``--hybrid-objective``, default the trainer's:
"residual", where the CMOW half learns from its own score and the CBOW half from the whole;
"joint" trains both from the whole score after a CMOW warm-up of half the epochs). The probing tasks are built from the
sentences of ``--probe-years`` (default 2015-2019), disjoint from the training text:
BigramShift, WordContent (200 mid-frequency words) and SentenceLength, each split
80/10/10 with seed 0 and probed by logistic regression (C chosen on dev).

Reported: probing accuracy (test); the swap preference of each encoder's own objective
(:func:`wordlab.evals.probing.swap_preference`: BigramShift asked of the model, with no
probe) beside that of a bigram count model of the training text; training examples/s,
time and peak RSS of each encoder (each in its own process); the word-level scores of the hybrid's CBOW half
(and of the CBOW encoder) on WS-353 and SimLex-999. Paper (Mai et al. 2019, Table 2,
trained on UMBC): BigramShift CBOW 49.7, CMOW 72.4, hybrid 71.2; WordContent CBOW
89.1, CMOW 65.2, hybrid 87.0.

Usage: python evals/bench_cmow.py [--train-years 1990-2014] [--probe-years 2015-2019]
       [--epochs 1] [--alpha RATE] [--hybrid-objective residual|joint] [--workers 2]
       [--study probes|curve]

``--study curve`` trains CMOW alone and, after every epoch, reports the held-out order
sensitivity of its objective (:func:`wordlab.evals.probing.order_sensitivity`), its swap
preference and BigramShift: does order knowledge grow with training, and does the probe
follow?
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, machine_line, run_side, table, ungdc_sentences  # noqa: E402

ENCODERS = (("CBOW", dict(encoder="cbow", dim=400)), ("CMOW", dict(encoder="cmow", dim=400)),
            ("hybrid", dict(encoder="hybrid", dim=400, cbow_dim=400)))
PAPER = {"BigramShift": {"CBOW": 49.7, "CMOW": 72.4, "hybrid": 71.2},
         "WordContent": {"CBOW": 89.1, "CMOW": 65.2, "hybrid": 87.0}}


def side_encode(years: str, out: str) -> dict:
    import wordlab
    t0 = time.time()
    text = Path(out).with_suffix(".txt")
    with open(text, "w", encoding="utf-8") as fh:
        for sentence in ungdc_sentences(years):
            fh.write(" ".join(sentence) + "\n")
    enc = wordlab.Corpus(text).encode(min_count=5, out=out, progress=False)
    return {"encode_s": time.time() - t0, "tokens": enc.n_tokens, "sentences": len(enc), "vocab": len(enc.vocab)}


def side_train(encoded: str, params: dict, epochs: int, workers: int, out: str, seed: int = 1) -> dict:
    from wordlab.corpus import EncodedCorpus
    from wordlab.trainers import CMOW
    enc = EncodedCorpus(encoded)
    t0 = time.time()
    emb = CMOW(epochs=epochs, workers=workers, seed=seed, progress=False, **params).fit(enc, out, overwrite=True)
    history = emb.meta["history"]
    examples = sum(h["examples"] for h in history)
    return {"total_s": time.time() - t0, "train_s": emb.meta["training_seconds"], "examples": examples,
            "examples_per_s": examples / max(emb.meta["training_seconds"], 1e-9), "loss": emb.meta["loss_history"],
            "objective": emb.meta["params"].get("hybrid_objective"),
            "phases": [h.get("phase") for h in history]}


def side_probe(stores: dict, years: str, seed: int, encoded: str) -> dict:
    import numpy as np
    import wordlab
    from wordlab import Embeddings
    from wordlab.evals import evaluate_word_pairs
    from wordlab.corpus import EncodedCorpus
    from wordlab.evals.probing import (bigram_shift, order_sensitivity, probe, sentence_length, swap_preference,
                                       word_content)
    sentences = list(ungdc_sentences(years))
    windows = sentences[1::7]                     # a fixed sample of held-out sentences for the order test
    tasks = [bigram_shift(sentences, n=20_000, seed=seed), word_content(sentences, n_words=200, per_word=100, seed=seed),
             sentence_length(sentences, per_bin=2_500, seed=seed)]
    del sentences
    out = {"tasks": {t.name: t.sizes() for t in tasks}, "probes": {}, "words": {}, "order": {}, "swap": {}, "spread": {},
           "bigram_reference": bigram_reference(EncodedCorpus(encoded), windows, n=2000, seed=seed)}
    for name, path in stores.items():
        emb = wordlab.load(path)
        for t in tasks:
            t0 = time.time()
            r = probe(emb, t, seed=seed)
            out["probes"][f"{name}/{t.name}"] = {"accuracy": r.accuracy, "dev": r.dev_accuracy, "C": r.C,
                                                 "chance": r.chance, "seconds": time.time() - t0}
            print(name, t.name, r, file=sys.stderr, flush=True)
        o = order_sensitivity(emb, windows, n=3000, seed=seed)
        out["order"][name] = {"delta": o.delta, "stderr": o.stderr, "loss": o.loss, "n": o.n}
        w = swap_preference(emb, windows, n=2000, seed=seed)
        out["swap"][name] = {"preferred": w.preferred, "stderr": w.stderr,
                             "paired_probe": paired_bigram_shift(emb, windows, seed=seed)}
        cbow_dim = emb.meta.get("encoder", {}).get("cbow_dim", 0)
        if cbow_dim:
            half = Embeddings(emb.words, np.ascontiguousarray(np.asarray(emb.vectors)[:, :cbow_dim]), emb.counts)
            out["words"][name] = {d: float(evaluate_word_pairs(half, d).spearman) for d in ("ws353", "simlex999")}
            if emb.meta["encoder"]["cmow_k"]:
                out["spread"][name] = half_spread(emb, windows[:500], cbow_dim)
    return out


def half_spread(emb, sentences: list, cbow_dim: int, n_words: int = 2000) -> dict:
    """How much each half of a hybrid moves the output logits: the standard deviation,
    across sentences, of each half's part of o_w . h, averaged over the most frequent words."""
    import numpy as np
    h = emb.encode(sentences).astype(np.float64)
    O = np.asarray(emb.context_vectors)[:n_words].astype(np.float64)
    return {"CBOW": float((h[:, :cbow_dim] @ O[:, :cbow_dim].T).std(0).mean()),
            "CMOW": float((h[:, cbow_dim:] @ O[:, cbow_dim:].T).std(0).mean())}


def bigram_reference(encoded, sentences: list, n: int, seed: int, smoothing: float = 0.1) -> float:
    """Share of sentences a bigram count model of the training text prefers to their
    bigram-shifted copy (additive smoothing; ties count one half): how much order
    information the training text holds for :func:`swap_preference` to learn."""
    import numpy as np
    from wordlab.evals.probing import swapped_pairs
    tokens = np.asarray(encoded.tokens, dtype=np.int64)
    offsets = np.asarray(encoded.offsets)
    V = len(encoded.vocab)
    starts = np.zeros(len(tokens), dtype=bool)
    starts[offsets[:-1][np.diff(offsets) > 0]] = True
    keys = (tokens[:-1] * V + tokens[1:])[~starts[1:]]             # bigrams within sentences
    uniq, counts = np.unique(keys, return_counts=True)
    unigram = np.bincount(tokens, minlength=V)
    index = {w: i for i, w in enumerate(encoded.vocab.words)}

    def logp(a: int, b: int) -> float:
        j = np.searchsorted(uniq, a * V + b)
        c = counts[j] if j < len(uniq) and uniq[j] == a * V + b else 0
        return float(np.log((c + smoothing) / (unigram[a] + smoothing * V)))

    rng = np.random.default_rng(seed)
    wins = []
    for ids, swapped, p in swapped_pairs(sentences, index, rng):
        touched = range(max(0, p - 1), min(len(ids) - 1, p + 2))
        gain = sum(logp(ids[i], ids[i + 1]) - logp(swapped[i], swapped[i + 1]) for i in touched)
        wins.append(1.0 if gain > 0 else 0.5 if gain == 0 else 0.0)
        if len(wins) == n:
            break
    return float(np.mean(wins))


def paired_bigram_shift(emb, sentences: list, n_train: int = 8000, n_test: int = 2000, seed: int = 0) -> float:
    """BigramShift made as easy as a linear probe can have it: each sentence comes with
    its swapped copy, and a logistic regression without intercept (C = 0.1) is fitted to
    the difference of their standardised encodings, both signs. Held-out accuracy is how
    consistently one direction of the encoding separates natural from swapped order;
    the unpaired probe must also see past the variation between sentences. An encoder
    whose encodings do not change with a swap (CBOW) scores 50 (ties count one half)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from wordlab.evals.probing import swapped_pairs
    rng = np.random.default_rng(seed)
    index = emb.index
    written, swapped = [], []
    words = emb.words
    for ids, other, _ in swapped_pairs(sentences, index, rng, min_length=5):
        written.append([words[i] for i in ids])
        swapped.append([words[i] for i in other])
        if len(written) == n_train + n_test:
            break
    if len(written) < n_train + n_test:
        raise SystemExit(f"paired_bigram_shift: {len(written):,} held-out sentences of 5 or more known words, "
                         f"{n_train + n_test:,} needed: probe more years")
    A, B = emb.encode(written).astype(np.float64), emb.encode(swapped).astype(np.float64)
    scaler = StandardScaler().fit(np.vstack([A[:n_train], B[:n_train]]))
    D = np.clip(scaler.transform(A), -50, 50) - np.clip(scaler.transform(B), -50, 50)
    if not np.any(D):
        return 0.5
    X = np.vstack([D[:n_train], -D[:n_train]])
    y = np.r_[np.ones(n_train), np.zeros(n_train)]
    w = LogisticRegression(C=0.1, fit_intercept=False, max_iter=1000).fit(X, y).coef_[0]
    margin = D[n_train:] @ w
    return float(np.mean((margin > 0) + 0.5 * (margin == 0)))


def side_curve(encoded: str, years: str, epochs: int, workers: int, seed: int, out: str, params: dict) -> dict:
    """CMOW alone for ``epochs`` epochs; after each: held-out order sensitivity, the
    objective's own preference for unswapped sentences, and BigramShift."""
    from wordlab.corpus import EncodedCorpus
    from wordlab.evals.probing import bigram_shift, order_sensitivity, probe, swap_preference
    from wordlab.trainers import CMOW
    sentences = list(ungdc_sentences(years))
    task = bigram_shift(sentences, n=20_000, seed=seed)
    windows = sentences[1::7]
    corpus = EncodedCorpus(encoded)
    reference = bigram_reference(corpus, windows, n=2000, seed=seed)
    print({"bigram_reference": reference}, file=sys.stderr, flush=True)
    rows = []

    def after_epoch(report) -> None:
        emb = report.embeddings()
        o = order_sensitivity(emb, windows, n=3000, seed=seed)
        w = swap_preference(emb, windows, n=2000, seed=seed)
        r = probe(emb, task, seed=seed)
        paired = paired_bigram_shift(emb, windows, seed=seed)
        rows.append({"epoch": report.epoch, "paired": paired, "loss": report.loss, "examples": report.examples,
                     "seconds": report.seconds, "reversed": o.delta["reversed"], "reversed_se": o.stderr["reversed"],
                     "shuffled": o.delta["shuffled"], "shuffled_se": o.stderr["shuffled"],
                     "swap_preference": w.preferred, "swap_preference_se": w.stderr, "bigram_shift": r.accuracy})
        print(rows[-1], file=sys.stderr, flush=True)

    CMOW(encoder="cmow", dim=400, epochs=epochs, workers=workers, seed=1, progress=False,
         callbacks=[after_epoch], **params).fit(corpus, out, overwrite=True)
    return {"rows": rows, "task": task.sizes(), "bigram_reference": reference}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-years", default="1990-2014")
    ap.add_argument("--probe-years", default="2015-2019")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--alpha", type=float, help="Adam's learning rate (decaying to a tenth); default: the trainer's")
    ap.add_argument("--hybrid-objective", choices=["residual", "joint"], help="default: the trainer's")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--study", choices=["probes", "curve"], default="probes",
                    help="probes: the three encoders and the probing table (default); curve: CMOW alone, "
                         "order sensitivity and BigramShift after every epoch")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    ap.add_argument("--stores", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "encode":
        emit(side_encode(args.train_years, args.out))
        return
    if args.side == "train":
        emit(side_train(args.encoded, json.loads(args.params), args.epochs, args.workers, args.out))
        return
    if args.side == "probe":
        emit(side_probe(json.loads(args.stores), args.probe_years, args.seed, args.encoded))
        return
    if args.side == "curve":
        emit(side_curve(args.encoded, args.probe_years, args.epochs, args.workers, args.seed, args.out,
                        json.loads(args.params)))
        return

    rate = {"alpha": args.alpha} if args.alpha else {}          # min_alpha follows: alpha / 10
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as tmp:
        tmp = Path(tmp)
        env = {"WORDLAB_CACHE": str(tmp / "cache")}
        print("encoding ...", file=sys.stderr, flush=True)
        enc = run_side(__file__, ["--side", "encode", "--train-years", args.train_years, "--out", str(tmp / "enc")],
                       env=env)
        if "error" in enc:
            raise SystemExit("encoding failed")
        print(json.dumps(enc), file=sys.stderr, flush=True)
        if args.study == "curve":
            c = run_side(__file__, ["--side", "curve", "--encoded", str(tmp / "enc"), "--probe-years", args.probe_years,
                                    "--epochs", str(args.epochs), "--workers", str(args.workers), "--seed",
                                    str(args.seed), "--out", str(tmp / "curve"), "--params", json.dumps(rate)], env=env)
            if "error" in c:
                raise SystemExit("training failed")
            print(f"CMOW (20 x 20, Adam, no subsampling) trained on UNGDC {args.train_years} ({enc['tokens']:,} tokens), "
                  f"{args.workers} threads; after each epoch: held-out loss change when the context is reversed or "
                  f"shuffled (3,000 windows from {args.probe_years}) and BigramShift {json.dumps(c['task'])}")
            print(table(["epoch", "loss", "examples", "s", "reversed: loss delta +- se", "shuffled: loss delta +- se",
                         "swap preference % +- se", "paired linear %", "BigramShift %"],
                        [[r["epoch"], f"{r['loss']:.4f}", f"{r['examples']:,}", f"{r['seconds']:.0f}",
                          f"{r['reversed']:+.4f} +- {r['reversed_se']:.4f}", f"{r['shuffled']:+.4f} +- {r['shuffled_se']:.4f}",
                          f"{100 * r['swap_preference']:.1f} +- {100 * r['swap_preference_se']:.1f}",
                          f"{100 * r['paired']:.1f}",
                          f"{100 * r['bigram_shift']:.1f}"] for r in c["rows"]]))
            print(f"swap preference: share of held-out sentences the objective prefers to their bigram-shifted copy "
                  f"(2,000 sentences, 50 % = blind); a bigram count model of the same training text: "
                  f"{100 * c['bigram_reference']:.1f} %")
            print(machine_line())
            return
        trained, stores = {}, {}
        for name, params in ENCODERS:
            if name == "hybrid" and args.hybrid_objective:
                params = {**params, "hybrid_objective": args.hybrid_objective}
            print(f"training {name} ...", file=sys.stderr, flush=True)
            r = run_side(__file__, ["--side", "train", "--encoded", str(tmp / "enc"), "--params", json.dumps({**params, **rate}),
                                    "--epochs", str(args.epochs), "--workers", str(args.workers),
                                    "--out", str(tmp / name)], env=env)
            if "error" in r:
                raise SystemExit(f"training {name} failed")
            print(json.dumps(r), file=sys.stderr, flush=True)
            trained[name], stores[name] = r, str(tmp / name)
        print("probing ...", file=sys.stderr, flush=True)
        p = run_side(__file__, ["--side", "probe", "--stores", json.dumps(stores), "--probe-years", args.probe_years,
                                "--seed", str(args.seed), "--encoded", str(tmp / "enc")], env=env)
        if "error" in p:
            raise SystemExit("probing failed")
        print(json.dumps(p), file=sys.stderr, flush=True)

    print(f"encoders trained on UNGDC {args.train_years} ({enc['tokens']:,} tokens, {enc['sentences']:,} sentences, "
          f"{enc['vocab']:,} words, min_count 5), {args.epochs} epoch(s), {args.workers} threads; "
          f"probes on UNGDC {args.probe_years} sentences; splits {json.dumps(p['tasks'])}")
    names = [n for n, _ in ENCODERS]
    rows = []
    for task in ("BigramShift", "WordContent", "SentenceLength"):
        cells = [f"{100 * p['probes'][f'{n}/{task}']['accuracy']:.1f}" for n in names]
        chance = 100 * p["probes"][f"{names[0]}/{task}"]["chance"]
        paper = PAPER.get(task, {})
        rows.append([task, *cells, f"{chance:.1f}", " / ".join(f"{paper[n]:.1f}" for n in names) if paper else "-"])
    rows.append(["BigramShift, paired linear", *(f"{100 * p['swap'][n]['paired_probe']:.1f}" for n in names), "50.0", "-"])
    rows.append(["swap preference (no probe)", *(f"{100 * p['swap'][n]['preferred']:.1f}" for n in names), "50.0",
                 f"bigram counts: {100 * p['bigram_reference']:.1f}"])
    print(table(["probing accuracy (test, %)", *names, "majority class", "paper (CBOW / CMOW / hybrid)"], rows))
    print("BigramShift, paired linear: a linear probe shown each held-out sentence beside its swapped copy "
          "(8,000 pairs to fit, 2,000 to test; paired_bigram_shift)")
    print("swap preference: share of 2,000 held-out sentences whose training loss is lower as written than with "
          "two adjacent words swapped (no probe; CBOW sees the swap only at window edges); bigram counts: the same "
          "question put to a bigram count model of the training text")
    print()
    print(table(["encoder", "dim", "examples/s", "train s", "peak RSS MiB", "final loss"],
                [[n, {"CBOW": 400, "CMOW": 400, "hybrid": 800}[n], f"{trained[n]['examples_per_s']:,.0f}",
                  f"{trained[n]['train_s']:.1f}", f"{trained[n]['peak_rss_mb']:,.0f}", f"{trained[n]['loss'][-1]:.4f}"]
                 for n in names]))
    print()
    print(table(["held-out loss by context order", "natural", "reversed (delta +- se)", "shuffled (delta +- se)"],
                [[n, f"{o['loss']['natural']:.4f}",
                  *(f"{o['loss'][k]:.4f} ({o['delta'][k]:+.4f} +- {o['stderr'][k]:.4f})" for k in ("reversed", "shuffled"))]
                 for n, o in p["order"].items()]))
    print()
    if "hybrid" in p["spread"]:
        print(f"hybrid: {trained['hybrid']['objective']} objective, epochs: {', '.join(map(str, trained['hybrid']['phases']))}")
        print(f"hybrid: logit spread (sd over 500 held-out sentences, mean over the 2,000 most frequent words) of "
              f"the CBOW half {p['spread']['hybrid']['CBOW']:.3f}, of the CMOW half {p['spread']['hybrid']['CMOW']:.3f}")
        print()
    print(table(["word vectors", "WS-353", "SimLex-999"],
                [[f"{n} (CBOW part)" if n == "hybrid" else n, f"{w['ws353']:.3f}", f"{w['simlex999']:.3f}"]
                 for n, w in p["words"].items()]))
    print(machine_line())


if __name__ == "__main__":
    main()
