"""CBOW vs CMOW vs hybrid on UN General Debate sentences: probing and throughput.

The encoders are trained on the UNGDC speeches of ``--train-years`` (default
1990-2014), split into sentences, all with the same objective and budget (window 5,
a random target word, 20 negatives, Adam, no subsampling, ``--epochs``, 2 threads): CBOW (400), CMOW
(20 x 20) and the hybrid (400 + 20 x 20). The probing tasks are built from the
sentences of ``--probe-years`` (default 2015-2019), disjoint from the training text:
BigramShift, WordContent (200 mid-frequency words) and SentenceLength, each split
80/10/10 with seed 0 and probed by logistic regression (C chosen on dev).

Reported: probing accuracy (test), training examples/s, time and peak RSS of each
encoder (each in its own process), and the word-level scores of the hybrid's CBOW half
(and of the CBOW encoder) on WS-353 and SimLex-999. Paper (Mai et al. 2019, Table 2,
trained on UMBC): BigramShift CBOW 49.7, CMOW 72.4, hybrid 71.2; WordContent CBOW
89.1, CMOW 65.2, hybrid 87.0.

Usage: python evals/bench_cmow.py [--train-years 1990-2014] [--probe-years 2015-2019]
       [--epochs 1] [--workers 2] [--study probes|curve]

``--study curve`` trains CMOW alone and, after every epoch, reports the held-out order
sensitivity of its objective (:func:`wordlab.evals.probing.order_sensitivity`) and
BigramShift: does order knowledge grow with training, and does the probe follow?
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


def side_train(encoded: str, params: dict, epochs: int, workers: int, out: str) -> dict:
    from wordlab.corpus import EncodedCorpus
    from wordlab.trainers import CMOW
    enc = EncodedCorpus(encoded)
    t0 = time.time()
    emb = CMOW(epochs=epochs, workers=workers, seed=1, progress=False, **params).fit(enc, out, overwrite=True)
    history = emb.meta["history"]
    examples = sum(h["examples"] for h in history)
    return {"total_s": time.time() - t0, "train_s": emb.meta["training_seconds"], "examples": examples,
            "examples_per_s": examples / max(emb.meta["training_seconds"], 1e-9), "loss": emb.meta["loss_history"]}


def side_probe(stores: dict, years: str, seed: int) -> dict:
    import numpy as np
    import wordlab
    from wordlab import Embeddings
    from wordlab.evals import evaluate_word_pairs
    from wordlab.evals.probing import bigram_shift, order_sensitivity, probe, sentence_length, word_content
    sentences = list(ungdc_sentences(years))
    windows = sentences[1::7]                     # a fixed sample of held-out sentences for the order test
    tasks = [bigram_shift(sentences, n=20_000, seed=seed), word_content(sentences, n_words=200, per_word=100, seed=seed),
             sentence_length(sentences, per_bin=2_500, seed=seed)]
    del sentences
    out = {"tasks": {t.name: t.sizes() for t in tasks}, "probes": {}, "words": {}, "order": {}}
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
        cbow_dim = emb.meta.get("encoder", {}).get("cbow_dim", 0)
        if cbow_dim:
            half = Embeddings(emb.words, np.ascontiguousarray(np.asarray(emb.vectors)[:, :cbow_dim]), emb.counts)
            out["words"][name] = {d: float(evaluate_word_pairs(half, d).spearman) for d in ("ws353", "simlex999")}
    return out


def side_curve(encoded: str, years: str, epochs: int, workers: int, seed: int, out: str) -> dict:
    """CMOW alone for ``epochs`` epochs; after each: held-out order sensitivity and BigramShift."""
    from wordlab.corpus import EncodedCorpus
    from wordlab.evals.probing import bigram_shift, order_sensitivity, probe
    from wordlab.trainers import CMOW
    sentences = list(ungdc_sentences(years))
    task = bigram_shift(sentences, n=20_000, seed=seed)
    windows = sentences[1::7]
    rows = []

    def after_epoch(report) -> None:
        emb = report.embeddings()
        o = order_sensitivity(emb, windows, n=3000, seed=seed)
        r = probe(emb, task, seed=seed)
        rows.append({"epoch": report.epoch, "loss": report.loss, "examples": report.examples,
                     "seconds": report.seconds, "reversed": o.delta["reversed"], "reversed_se": o.stderr["reversed"],
                     "shuffled": o.delta["shuffled"], "shuffled_se": o.stderr["shuffled"],
                     "bigram_shift": r.accuracy})
        print(rows[-1], file=sys.stderr, flush=True)

    CMOW(encoder="cmow", dim=400, epochs=epochs, workers=workers, seed=1, progress=False,
         callbacks=[after_epoch]).fit(EncodedCorpus(encoded), out, overwrite=True)
    return {"rows": rows, "task": task.sizes()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-years", default="1990-2014")
    ap.add_argument("--probe-years", default="2015-2019")
    ap.add_argument("--epochs", type=int, default=1)
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
        emit(side_probe(json.loads(args.stores), args.probe_years, args.seed))
        return
    if args.side == "curve":
        emit(side_curve(args.encoded, args.probe_years, args.epochs, args.workers, args.seed, args.out))
        return

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
                                    str(args.seed), "--out", str(tmp / "curve")], env=env)
            if "error" in c:
                raise SystemExit("training failed")
            print(f"CMOW (20 x 20, Adam, no subsampling) trained on UNGDC {args.train_years} ({enc['tokens']:,} tokens), "
                  f"{args.workers} threads; after each epoch: held-out loss change when the context is reversed or "
                  f"shuffled (3,000 windows from {args.probe_years}) and BigramShift {json.dumps(c['task'])}")
            print(table(["epoch", "loss", "examples", "s", "reversed: loss delta +- se", "shuffled: loss delta +- se",
                         "BigramShift %"],
                        [[r["epoch"], f"{r['loss']:.4f}", f"{r['examples']:,}", f"{r['seconds']:.0f}",
                          f"{r['reversed']:+.4f} +- {r['reversed_se']:.4f}", f"{r['shuffled']:+.4f} +- {r['shuffled_se']:.4f}",
                          f"{100 * r['bigram_shift']:.1f}"] for r in c["rows"]]))
            print(machine_line())
            return
        trained, stores = {}, {}
        for name, params in ENCODERS:
            print(f"training {name} ...", file=sys.stderr, flush=True)
            r = run_side(__file__, ["--side", "train", "--encoded", str(tmp / "enc"), "--params", json.dumps(params),
                                    "--epochs", str(args.epochs), "--workers", str(args.workers),
                                    "--out", str(tmp / name)], env=env)
            if "error" in r:
                raise SystemExit(f"training {name} failed")
            print(json.dumps(r), file=sys.stderr, flush=True)
            trained[name], stores[name] = r, str(tmp / name)
        print("probing ...", file=sys.stderr, flush=True)
        p = run_side(__file__, ["--side", "probe", "--stores", json.dumps(stores), "--probe-years", args.probe_years,
                                "--seed", str(args.seed)], env=env)
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
    print(table(["probing accuracy (test, %)", *names, "majority class", "paper (CBOW / CMOW / hybrid)"], rows))
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
    print(table(["word vectors", "WS-353", "SimLex-999"],
                [[f"{n} (CBOW part)" if n == "hybrid" else n, f"{w['ws353']:.3f}", f"{w['simlex999']:.3f}"]
                 for n, w in p["words"].items()]))
    print(machine_line())


if __name__ == "__main__":
    main()
