"""Subwords for low-resource languages: SGNS, wordlab's fastText and gensim's FastText on
the same tokens of the Sinhala news and of Navajo Wikipedia (issue 20).

Every model is trained on the same sentences (wordlab's tokenizer, sentences split at
. ! ?; gensim reads them back from a file of one tokenized sentence per line): skip-gram,
dim 100, window 5, negative 5, 20 epochs, min_count 3, n-grams 3-6 in 2,000,000
buckets for the fastText models. gensim's model is converted to a wordlab store
(:meth:`Embeddings.from_gensim`) so every figure comes from the same evaluator.

- **Sinhala similarity**: SI-WS-353 (345 pairs) Spearman under each OOV policy
  (``skip``, ``zero``, ``mean``, ``subword``) with the coverage from the vocabulary and
  the coverage with composed words.
- **Held-out coverage**: the last 10 % of each corpus's sentences are held out from
  training; the share of their tokens and word types that have a vector from the
  vocabulary, and with composition.
- **Sinhala-English BLI** (the study of ``bench_bli_si_en.py``): English SGNS and wordlab
  fastText (``--english``; subwords on both sides) on the English Newsfirst reports plus
  enwiki-text8style; each Sinhala model aligned by Procrustes on the benchmark's train
  split and evaluated on its test split, NN and CSLS, P@1/5/10 with coverage, the
  fastText models also with the unseen test words composed (``compose=True``).

Usage: python evals/bench_subword_lowres.py [--epochs 20] [--en-epochs 5] [--workers 2]
       [--english sgns,fasttext] [--stores DIR] [--skip-bli]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import find_data_dir, machine_line, table  # noqa: E402

COMMON = dict(dim=100, window=5, negative=5, min_count=3, sample=1e-3)
SUBWORDS = dict(min_n=3, max_n=6, bucket=2_000_000)
SINHALA = ["adaderana_2017_sinhala.txt.gz", "newsfirst_sinhala_set1.txt.gz", "newsfirst_sinhala_set2.txt.gz"]


def sentences_of(files) -> list[list[str]]:
    import wordlab
    return [list(s) for s in wordlab.Corpus([str(f) for f in files], sentence_split=True)]


def train_models(name: str, train: list[list[str]], epochs: int, workers: int, work: Path) -> dict:
    """{"sgns": store, "fasttext": store, "gensim FastText": store} trained on ``train``."""
    import wordlab
    from gensim.models import FastText as GensimFastText
    from gensim.models.word2vec import LineSentence
    from wordlab import Embeddings
    from wordlab.trainers import make_trainer
    encoded = wordlab.Corpus(train).encode(min_count=COMMON["min_count"], progress=False)
    out, seconds = {}, {}
    for method in ("sgns", "fasttext"):
        t0 = time.time()
        params = dict(COMMON, **(SUBWORDS if method == "fasttext" else {}))
        out[method] = make_trainer(method, epochs=epochs, workers=workers, seed=1, progress=False,
                                   **params).fit(encoded, work / f"{name}-{method}", overwrite=True)
        seconds[method] = time.time() - t0
    lines = work / f"{name}-sentences.txt"
    lines.write_text("\n".join(" ".join(s) for s in train) + "\n", encoding="utf-8")
    t0 = time.time()
    model = GensimFastText(LineSentence(str(lines)), vector_size=COMMON["dim"], window=COMMON["window"],
                           negative=COMMON["negative"], min_count=COMMON["min_count"], sample=COMMON["sample"],
                           sg=1, hs=0, epochs=epochs, workers=workers, seed=1, **SUBWORDS)
    seconds["gensim FastText"] = time.time() - t0
    out["gensim FastText"] = Embeddings.from_gensim(model)
    del model
    return {"stores": out, "seconds": seconds, "tokens": encoded.n_tokens}


def coverage_rows(name: str, models: dict, held_out: list[list[str]]) -> list[list]:
    tokens = [w for s in held_out for w in s]
    types = set(tokens)
    rows = []
    for label, store in models.items():
        composable = {w for w in types if w in store or store.has_vector(w)}
        known = {w for w in types if w in store}
        rows.append([name, label, f"{len(tokens):,}", f"{100 * sum(w in known for w in tokens) / len(tokens):.1f}",
                     f"{100 * sum(w in composable for w in tokens) / len(tokens):.1f}",
                     f"{100 * len(known) / len(types):.1f}", f"{100 * len(composable) / len(types):.1f}"])
    return rows


def similarity_rows(models: dict) -> list[list]:
    from wordlab.evals import evaluate_word_pairs
    from wordlab.evals.similarity import OOV_POLICIES
    rows = []
    for label, store in models.items():
        for oov in OOV_POLICIES:
            r = evaluate_word_pairs(store, "si-ws353", oov=oov)
            rows.append([label, oov, f"{r.spearman:.3f}", f"{r.n_scored}", f"{100 * r.coverage:.1f}",
                         f"{100 * r.composed_coverage:.1f}"])
    return rows


def bli_rows(si_models: dict, english, english_label: str, bil: Path) -> list[list]:
    from wordlab.align import Dictionary, Procrustes
    train = Dictionary.read(bil / "cc_si-en_trainset_1500_5000_200k.txt", lowercase=True)
    test = Dictionary.read(bil / "cc_si-en_testset_1500_5000_200k.txt", lowercase=True)
    rows = []
    for label, store in si_models.items():
        aligner = Procrustes().fit(store, english, train)
        for compose in ((False, True) if store.subwords is not None else (False,)):
            for method in ("nn", "csls"):
                r = aligner.evaluate(test, method=method, compose=compose)
                rows.append([english_label, label, "yes" if compose else "no", method.upper(),
                             *(f"{100 * r.precision[k]:.1f}" for k in (1, 5, 10)),
                             f"{100 * r.vocabulary_coverage:.1f}", f"{100 * r.coverage:.1f}",
                             f"{100 * r.precision[1] * r.coverage:.1f}"])
                print(label, compose, r, file=sys.stderr, flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--en-epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--english", default="sgns,fasttext", help="English models (sgns, fasttext)")
    ap.add_argument("--skip-bli", action="store_true")
    ap.add_argument("--stores", default=None, help="keep the trained stores here (default: a temporary directory)")
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    data = find_data_dir(args.data)
    news = data / "corpora" / "sinhala-news"
    corpora = {"Sinhala news": [news / f for f in SINHALA],
               "Navajo Wikipedia": [data / "corpora" / "navajo" / "nvwiki-20200201.txt.gz"]}
    with tempfile.TemporaryDirectory(prefix="wordlab-lowres-") as tmp:
        work = Path(args.stores) if args.stores else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        cov, info, trained = [], [], {}
        for name, files in corpora.items():
            sentences = sentences_of(files)
            cut = int(len(sentences) * 0.9)
            print(f"training on {name} ...", file=sys.stderr, flush=True)
            r = train_models(name.split()[0].lower(), sentences[:cut], args.epochs, args.workers, work)
            trained[name] = r["stores"]
            info.append(f"{name}: {r['tokens']:,} training tokens in {cut:,} sentences, "
                        + ", ".join(f"{k} {len(s):,} words {r['seconds'][k]:.0f} s" for k, s in r["stores"].items()))
            cov += coverage_rows(name, r["stores"], sentences[cut:])
        sim = similarity_rows(trained["Sinhala news"])
        bli = []
        if not args.skip_bli:
            from wordlab.trainers import make_trainer
            import wordlab
            english_corpus = wordlab.Corpus([str(news / "newsfirst_english_set1.txt.gz"),
                                             str(data / "corpora" / "enwiki-text8style.txt.gz")], sentence_split=True)
            for en_method in args.english.split(","):
                print(f"training English ({en_method}) ...", file=sys.stderr, flush=True)
                params = dict(COMMON, min_count=5, **(SUBWORDS if en_method == "fasttext" else {}))
                english = make_trainer(en_method, epochs=args.en_epochs, workers=args.workers, seed=1,
                                       progress=False, **params).fit(english_corpus, work / f"en-{en_method}",
                                                                     overwrite=True)
                info.append(f"English ({en_method}): {english.meta['n_tokens']:,} tokens, {len(english):,} words, "
                            f"{english.meta['training_seconds']:.0f} s")
                bli += bli_rows(trained["Sinhala news"], english, en_method,
                                data / "eval" / "bilingual" / "si-en")
                del english
    print("; ".join(info))
    print(f"skip-gram dim 100, window 5, negative 5, min_count 3, {args.epochs} epochs; fastText n-grams 3-6, "
          "bucket 2,000,000")
    print()
    print("held-out tokens and types with a vector (last 10 % of the sentences)")
    print(table(["corpus", "model", "held-out tokens", "tokens % vocab", "tokens % composed", "types % vocab",
                 "types % composed"], cov))
    print()
    print("SI-WS-353 (345 pairs)")
    print(table(["model", "oov", "Spearman", "pairs scored", "coverage % vocab", "coverage % composed"], sim))
    if bli:
        print()
        print("Sinhala -> English BLI (test split; coverage: source words with a vector and a gold translation in "
              "the English vocabulary)")
        print(table(["English", "Sinhala model", "composed", "retrieval", "P@1", "P@5", "P@10", "coverage % vocab",
                     "coverage % with composed", "P@1 oov=wrong"], bli))
    print(machine_line())


if __name__ == "__main__":
    main()
