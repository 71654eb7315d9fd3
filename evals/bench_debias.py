"""Hard debiasing study: SGNS on enwiki-text8style and on UNGDC speeches, before and after.

For each corpus an SGNS store is trained (dim 100, window 5, negative 5, sample 1e-3,
min_count 5, ``--epochs`` 5, 2 threads, seed 1), then hard-debiased (Bolukbasi et al.
2016) with the built-in 10 definitional pairs (PCA direction) and debiaswe's equalize
pairs and full gender-specific list (``eval/debias/debiaswe`` of the shared data). The
original and the debiased store are measured with the same direction:

- DirectBias_1 over debiaswe's professions, leaving out the gender-specific ones that
  hard debiasing keeps on the direction (``actress``, ``businessman``, ...);
- WEAT (Caliskan et al. 2017) career / family (names), math / arts and science / arts
  (terms): effect size (ddof = 1) and the exact permutation p-value (12,870 partitions);
- Gonen and Goldberg (2019): 2-means clustering accuracy of the 500 + 500 most biased
  words (by original projection), and the correlation of the original projection with
  the share of positive-side words among a word's 100 nearest neighbours;
- quality: WS-353 and SimLex-999 Spearman, Google analogy accuracy (3CosAdd, 30k).

Words are looked up as given, then lower-cased (both corpora are lower-cased). UNGDC:
the speeches of ``--ungdc-years`` (default 1990-2019, about 12M tokens: the full
1946-2024 set, 31.9M tokens, would take about 8 minutes to train on 2 threads), each
speech's wrapped lines joined and cut into sentences (``ungdc_sentences`` of
``bench_cmow.py``). The professions plot of each corpus goes to ``evals/figures/``.
The paper's pattern: direct bias removed, similarity and analogy nearly unchanged;
Gonen and Goldberg's: the clustering accuracy stays high.

UNGDC lacks 53% of debiaswe's equalize pairs (``niece``, ``spokeswoman``,
``chairwoman`` occur fewer than 5 times) and 75% of its professions (``accountant``,
``actress``), above wordlab's default refusal threshold of 0.5, so the study runs with
``--max-missing 0.8`` (which changes nothing on enwiki, where every list is below 0.5).
A WEAT set missing more than that is still refused: UNGDC has 1 of the 8 female names
of career / family, so that test is skipped there.

Each training and each measurement runs in its own process. About 12 minutes.

Usage: python evals/bench_debias.py [--corpora enwiki,ungdc] [--ungdc-years 1990-2019]
       [--epochs 5] [--workers 2] [--max-missing 0.8] [--work DIR] [--data DIR]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, find_data_dir, machine_line, run_side, table  # noqa: E402

FIGURES = Path(__file__).resolve().parent / "figures"
LABELS = {"enwiki": "enwiki-text8style", "ungdc": "UNGDC"}


def side_train(corpus: str, years: str, epochs: int, workers: int, out: str) -> dict:
    import wordlab
    from wordlab.trainers import Word2Vec
    t0 = time.time()
    if corpus == "enwiki":
        source = wordlab.Corpus(find_data_dir() / "corpora" / "enwiki-text8style.txt.gz")
    else:
        from bench_cmow import ungdc_sentences
        text = Path(out).with_suffix(".txt")
        with open(text, "w", encoding="utf-8") as fh:
            for sentence in ungdc_sentences(years):
                fh.write(" ".join(sentence) + "\n")
        source = wordlab.Corpus(text)
    encoded = source.encode(min_count=5, progress=False)
    encode_s = time.time() - t0
    emb = Word2Vec(method="sgns", dim=100, window=5, negative=5, sample=1e-3, epochs=epochs, workers=workers,
                   seed=1, progress=False).fit(encoded, out)
    return {"tokens": int(encoded.n_tokens), "vocab": len(emb), "encode_s": encode_s,
            "train_s": emb.meta["training_seconds"], "total_s": time.time() - t0}


def side_measure(store: str, out: str, name: str, seed: int, max_missing: float) -> dict:
    import warnings
    import wordlab
    from wordlab.debias import BiasDirection, bias_report, hard_debias, professions_plot
    from wordlab.debias.wordlists import load_debiaswe
    data = find_data_dir()
    caught_all = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        original = wordlab.load(store)
        t0 = time.time()
        debiased = hard_debias(original, out, equalize=load_debiaswe("equalize_pairs", data),
                               gender_specific=load_debiaswe("gender_specific_full", data), overwrite=True,
                               max_missing=max_missing)
        debias_s = time.time() - t0
        info = debiased.meta["debias"]
        direction = BiasDirection.from_dict(info["direction"])
        t0 = time.time()
        report = bias_report(original, debiased, direction, professions=load_debiaswe("professions", data),
                             seed=seed, max_missing=max_missing)
        report_s = time.time() - t0
        FIGURES.mkdir(exist_ok=True)
        figure = FIGURES / f"debias_professions_{name}.png"
        professions_plot(original, debiased, direction, load_debiaswe("professions", data), max_missing=max_missing,
                         title=f"{LABELS[name]} SGNS: professions on the gender direction").savefig(figure, dpi=120)
        caught_all = list(dict.fromkeys(str(w.message) for w in caught))
    return {"rows": [[r.measure, r.before, r.after, r.detail] for r in report.itertuples(index=False)],
            "notes": report.attrs["notes"], "warnings": caught_all, "debias_s": debias_s, "report_s": report_s,
            "ratio": direction.explained_variance_ratio.tolist(), "pairs": len(direction.pairs),
            "neutralised": info["neutralised"], "n_words": len(debiased), "equalized": len(info["equalized"]),
            "equalize_found": info["equalize"]["found"], "equalize_total": info["equalize"]["total"],
            "specific_found": info["gender_specific"]["found"], "specific_total": info["gender_specific"]["total"],
            "figure": str(figure.relative_to(FIGURES.parent.parent))}


def fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.2e}" if v != 0 and abs(v) < 0.01 else f"{v:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default="enwiki,ungdc")
    ap.add_argument("--ungdc-years", default="1990-2019")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="WEAT sampling and KMeans.")
    ap.add_argument("--max-missing", type=float, default=0.8,
                    help="Refusal threshold for missing words (wordlab's default is 0.5; UNGDC lacks 53%% of "
                         "the equalize pairs and 75%% of the professions).")
    ap.add_argument("--work", default=None, help="Keep the stores here (reused when present) instead of a "
                                                  "temporary directory.")
    ap.add_argument("--data", default=None)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "train":
        emit(side_train(args.corpus, args.ungdc_years, args.epochs, args.workers, args.out))
        return
    if args.side == "measure":
        emit(side_measure(args.store, args.out, args.corpus, args.seed, args.max_missing))
        return

    data = find_data_dir(args.data)
    corpora = [c.strip() for c in args.corpora.split(",") if c.strip()]
    for c in corpora:
        if c not in LABELS:
            raise SystemExit(f"unknown corpus {c!r}; known: {', '.join(LABELS)}")
    t_start = time.time()
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        env = {"WORDLAB_CACHE": str(work / "cache"), "WORDLAB_DATA": str(data)}
        trained, measured = {}, {}
        for c in corpora:
            store = work / f"{c}-sgns"
            record = work / f"{c}-train.json"
            if (store / "meta.json").is_file():
                print(f"{c}: reusing {store}", file=sys.stderr, flush=True)
                trained[c] = {**(json.loads(record.read_text()) if record.is_file() else {}), "reused": True}
            else:
                print(f"{c}: training ...", file=sys.stderr, flush=True)
                trained[c] = run_side(__file__, ["--side", "train", "--corpus", c, "--ungdc-years", args.ungdc_years,
                                                 "--epochs", str(args.epochs), "--workers", str(args.workers),
                                                 "--out", str(store)], env=env)
                if "error" in trained[c]:
                    raise SystemExit(f"training on {c} failed")
                record.write_text(json.dumps(trained[c]))
            print(f"{c}: {json.dumps(trained[c])}\n{c}: debiasing and measuring ...", file=sys.stderr, flush=True)
            measured[c] = run_side(__file__, ["--side", "measure", "--corpus", c, "--store", str(store),
                                              "--out", str(work / f"{c}-hard"), "--seed", str(args.seed),
                                              "--max-missing", str(args.max_missing)], env=env)
            if "error" in measured[c]:
                raise SystemExit(f"measuring {c} failed")

    for c in corpora:
        t, m = trained[c], measured[c]
        what = f"{LABELS[c]}" + (f" {args.ungdc_years}" if c == "ungdc" else "")
        size = f"{t['tokens']:,} tokens, {t['vocab']:,} words; trained in {t['train_s']:.0f} s" \
            if "tokens" in t else "store reused"
        if t.get("reused") and "tokens" in t:
            size += " (in an earlier run of this script, same --work)"
        print(f"{what}: SGNS dim 100, {args.epochs} epochs, {args.workers} threads; {size}; "
              f"hard debias {m['debias_s']:.1f} s, measures {m['report_s']:.0f} s")
        print(f"  direction: PCA of {m['pairs']} definitional pairs, explained variance ratio "
              + " ".join(f"{r:.3f}" for r in m["ratio"][:5]) + " ...")
        print(f"  neutralised {m['neutralised']:,} of {m['n_words']:,} words; equalised {m['equalized']} pairs "
              f"({m['equalize_found']} of {m['equalize_total']} equalize pairs found); gender-specific words "
              f"found {m['specific_found']} of {m['specific_total']}")
    print(f"max_missing {args.max_missing} (share of a word list that may be missing before a method refuses)")
    print()
    names = [r[0] for r in measured[corpora[0]]["rows"]]
    headers = ["measure"] + [f"{LABELS[c]} {w}" for c in corpora for w in ("before", "after")]
    rows = []
    for i, name in enumerate(names):
        row = [name]
        for c in corpora:
            _, before, after, _ = measured[c]["rows"][i]
            row += [fmt(before), fmt(after)]
        rows.append(row)
    print(table(headers, rows))
    print()
    for c in corpora:
        details = "; ".join(f"{r[0].split(' (')[0]}: {r[3]}" for r in measured[c]["rows"]
                            if r[0].startswith(("DirectBias", "WEAT career_family p", "neighbour", "Google")))
        print(f"{LABELS[c]}: {details}")
        for note in measured[c]["notes"]:
            print(f"  note: {note}")
        print(f"  plot: {measured[c]['figure']}")
    print(f"(total {time.time() - t_start:.0f} s)")
    print(machine_line())


if __name__ == "__main__":
    main()
