"""Sinhala-English bilingual lexicon induction: Procrustes, refinement, NN vs CSLS.

Sinhala vectors are trained on the Sinhala news of ``../shared/data/corpora/sinhala-news``
(Ada Derana 2017 and Newsfirst sets 1 and 2, about 0.5M tokens); English vectors on
the English Newsfirst reports plus ``enwiki-text8style``. Both with wordlab's SGNS
(or both with PU-learning, ``--method pu``, which issue 5 found stronger on small corpora),
sentences split at . ! ? (the news glues sentences). Each direction (Si->En, En->Si)
is aligned with the train split of the benchmark dictionary
(``eval/bilingual/si-en``, Wickramasinghe and de Silva 2023) and evaluated on its test
split, P@1/5/10 with nearest-neighbour and CSLS retrieval:

- ``procrustes``: the supervised map from the whole train split;
- ``+refine (unsup.)``: ``--refine`` self-learning iterations, the iteration kept by
  the unsupervised mean-cosine criterion;
- ``+refine (valid.)``: the seed is 90 % of the train split's source words, the other
  10 % are the validation dictionary that picks the iteration (never the test split).

Coverage is the share of test source words with a vector and at least one gold
translation in the target vocabulary (``oov=drop``, MUSE's convention); P@1 under
``oov=wrong`` (the fastText script's convention) is P@1 x coverage and is also shown.
The published benchmark used fastText vectors trained on far larger corpora (P@1 about
23-29); 0.5M Sinhala tokens give far fewer usable words.

Usage: python evals/bench_bli_si_en.py [--method sgns|pu] [--dim 100] [--si-epochs 20] [--en-epochs 5]
       [--refine 5] [--stores DIR]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import find_data_dir, machine_line, table  # noqa: E402


def train_side(files, out, method, dim, epochs, min_count, workers):
    """Train (or reuse, when ``out`` holds a store trained with these settings) one side's store."""
    import wordlab
    from wordlab.trainers import make_trainer
    if (Path(out) / "meta.json").is_file():
        emb = wordlab.load(out)
        p = emb.meta.get("params", {})
        if (emb.meta.get("method"), p.get("dim"), p.get("epochs"), p.get("min_count")) == (method, dim, epochs,
                                                                                          min_count):
            return emb, {"tokens": emb.meta["n_tokens"], "vocab": len(emb), "seconds": emb.meta["training_seconds"]}
    corpus = wordlab.Corpus([str(f) for f in files], sentence_split=True)
    t0 = time.time()
    encoded = corpus.encode(min_count=min_count, progress=False)
    emb = make_trainer(method, dim=dim, epochs=epochs, min_count=min_count, workers=workers, seed=1,
                       progress=False).fit(encoded, out, overwrite=True)
    return emb, {"tokens": encoded.n_tokens, "vocab": len(emb), "seconds": time.time() - t0}


def split_validation(dictionary, fraction=0.1, seed=0):
    """(seed, validation): the source words of ``dictionary`` split at random."""
    from wordlab.align import Dictionary
    sources = dictionary.sources
    rng = np.random.default_rng(seed)
    held = set(rng.choice(sources, size=max(1, int(len(sources) * fraction)), replace=False).tolist())
    return (Dictionary([p for p in dictionary if p[0] not in held], name="train - validation"),
            Dictionary([p for p in dictionary if p[0] in held], name="validation"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", default="sgns", help="trainer of both sides: sgns (default) or pu")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--si-epochs", type=int, default=20)
    ap.add_argument("--en-epochs", type=int, default=5)
    ap.add_argument("--si-min-count", type=int, default=3)
    ap.add_argument("--en-min-count", type=int, default=5)
    ap.add_argument("--refine", type=int, default=5)
    ap.add_argument("--refine-vocab", type=int, default=15_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--stores", default=None,
                    help="keep the trained stores here and reuse them on the next run (default: a temporary directory)")
    args = ap.parse_args()
    from wordlab.align import Dictionary, Procrustes

    data = find_data_dir(args.data_dir)
    news = data / "corpora" / "sinhala-news"
    bil = data / "eval" / "bilingual" / "si-en"
    with tempfile.TemporaryDirectory(prefix="wordlab-bli-") as tmp:
        tmp = Path(args.stores) if args.stores else Path(tmp)
        print("training Sinhala ...", file=sys.stderr, flush=True)
        si, si_info = train_side([news / "adaderana_2017_sinhala.txt.gz", news / "newsfirst_sinhala_set1.txt.gz",
                                  news / "newsfirst_sinhala_set2.txt.gz"], tmp / f"si-{args.method}", args.method,
                                 args.dim, args.si_epochs,
                                 args.si_min_count, args.workers)
        print("training English ...", file=sys.stderr, flush=True)
        en, en_info = train_side([news / "newsfirst_english_set1.txt.gz", data / "corpora" / "enwiki-text8style.txt.gz"],
                                 tmp / f"en-{args.method}", args.method, args.dim, args.en_epochs, args.en_min_count,
                                 args.workers)
        rows, histories = [], []
        for direction, src, tgt, name in (("Si->En", si, en, "si-en"), ("En->Si", en, si, "en-si")):
            # 12 % of the si-en pairs spell the English word in capitals ("THE"); the stores are lowercased
            train = Dictionary.read(bil / f"cc_{name}_trainset_1500_5000_200k.txt", lowercase=True)
            test = Dictionary.read(bil / f"cc_{name}_testset_1500_5000_200k.txt", lowercase=True)
            seed90, valid = split_validation(train)
            variants = [("procrustes", Procrustes(), train, None),
                        ("+refine (unsup.)", Procrustes(refine=args.refine, refine_vocab=args.refine_vocab), train,
                         None),
                        ("+refine (valid.)", Procrustes(refine=args.refine, refine_vocab=args.refine_vocab), seed90,
                         valid)]
            for label, aligner, seed, validation in variants:
                t0 = time.time()
                aligner.fit(src, tgt, seed, validation=validation)
                fit_s = time.time() - t0
                histories.append((direction, label, aligner.history_))
                for method in ("nn", "csls"):
                    r = aligner.evaluate(test, method=method)
                    rows.append([direction, label, method.upper(), f"{aligner.seed_pairs_:,}",
                                 aligner.best_iteration_, *(f"{100 * r.precision[k]:.1f}" for k in (1, 5, 10)),
                                 f"{100 * r.coverage:.1f} ({r.n_evaluated}/{r.n_sources})",
                                 f"{100 * r.precision[1] * r.coverage:.1f}", f"{fit_s:.1f}"])
                    print(direction, label, r, file=sys.stderr, flush=True)

    print(f"Sinhala: {si_info['tokens']:,} tokens, {si_info['vocab']:,} words (min_count {args.si_min_count}), "
          f"{args.method.upper()} dim {args.dim}, {args.si_epochs} epochs, {si_info['seconds']:.0f} s; "
          f"English: {en_info['tokens']:,} tokens, {en_info['vocab']:,} words (min_count {args.en_min_count}), "
          f"{args.en_epochs} epochs, {en_info['seconds']:.0f} s; normalisation unit,center,unit; "
          f"refinement {args.refine} iterations among the {args.refine_vocab:,} most frequent words per side")
    print(table(["direction", "alignment", "retrieval", "seed pairs", "kept iter.", "P@1", "P@5", "P@10",
                 "coverage % (words)", "P@1 oov=wrong", "fit s"], rows))
    print()
    for direction, label, h in histories:
        if len(h) > 1:
            print(f"{direction} {label}: " + "; ".join(
                f"it{int(r.iteration)} pairs {int(r.pairs)} cos {r.mean_cosine:.3f}"
                + (f" val {100 * r.validation_p1:.1f}" if "validation_p1" in h else "") for r in h.itertuples()))
    print(machine_line())


if __name__ == "__main__":
    main()
