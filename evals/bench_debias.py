"""Debiasing study (issue 26): hard, double-hard and INLP on enwiki and UNGDC SGNS stores.

For each corpus an SGNS store is trained (dim 100, window 5, negative 5, sample 1e-3,
min_count 5, ``--epochs`` 5, 2 threads, seed 1) and debiased three ways, each written
once into the work directory (reused with ``--work``, as the trained stores are):

- **hard** (Bolukbasi et al. 2016, ``hard_debias``): the built-in 10 definitional pairs
  (PCA direction), debiaswe's equalize pairs and full gender-specific list
  (``eval/debias/debiaswe`` of the shared data);
- **double-hard** (Wang et al. 2020, ``double_hard_debias``, its defaults: 20 principal
  components tried, 1,000 + 1,000 biased words among the 50,000 most frequent, seed 0),
  the same lists;
- **INLP** (Ravfogel et al. 2020, ``inlp``, its defaults: 7,500 male, female and
  neutral words each by cos(w, he - she) among the 150,000 most frequent, a linear SVM
  per iteration, seed 0, and round(35 x dim / 300) = 12 iterations at dimension 100, not
  the paper's 35. Each iteration's 3-class SVM removes 3 dimensions: 35 iterations
  remove 105, a third of their 300-dim GloVe, but all 100 dimensions here (the store
  becomes zero vectors, which ``inlp`` now refuses). 12 iterations remove 36 of 100, the
  paper's share, and on the enwiki store the dev accuracy reaches the majority share
  (0.33) by iteration 11 (0.994, 0.728, 0.631, ..., 0.336), so later classifiers find
  nothing left to remove. Time is no concern: 35 iterations take about 10 s on the
  68k-word enwiki store (one thread). On a store with fewer than 3 x 7,500 candidate
  words, or fewer than 7,500 neutral ones beside the 7,500 + 7,500 extremes (UNGDC),
  ``--inlp-words`` is cut to the largest multiple of 100, at most a quarter of the
  candidates, that fits; the header line says how many were used.

The original and each debiased store are measured, each in its own process, with the
same words and sets:

- DirectBias_1 (Bolukbasi et al.) over debiaswe's professions without the
  gender-specific and equalize-pair words (those hard debiasing keeps on the
  direction), along two directions: g of the original store (the PCA direction of the
  definitional pairs, the one hard debiasing removes) and g found again on the store
  measured (the same PCA of the same pairs there);
- WEAT (Caliskan et al. 2017) career / family (names), math / arts and science / arts
  (terms): effect size (ddof = 1) and exact permutation p-value (12,870 partitions);
- Gonen and Goldberg (2019), on the 500 + 500 most biased words by cos(w, he) -
  cos(w, she) of the ORIGINAL store (candidates: the 50,000 most frequent lower-case
  alphabetic words, without the gender-specific and equalize-pair words): 2-means
  clustering accuracy, neighbour correlation (k = 100, over every candidate), the
  professions' bias-by-neighbours correlation, RBF-SVM classification accuracy (5,000 +
  5,000 words, 500 + 500 trained on) and the average |cos(w, he) - cos(w, she)| over the
  candidates, he and she of the store measured;
- RNSB (Sweeney and Najafian 2019): targets WEAT.json's male_terms and female_terms
  (8 + 8 words, each its own point), attributes pleasant_5 / unpleasant_5a (the
  sentiment sets of WEAT 1, 25 + 25 words; RNSB measures negative sentiment, which
  career / family is not); logistic regression fitted on every attribute word, seed 0;
  0 is no bias;
- ECT (Dev and Phillips 2019): targets male_terms / female_terms, attribute the
  professions of DirectBias; Spearman correlation of each profession's similarity to
  the two target means; 1 is no bias;
- quality: WS-353 and SimLex-999 Spearman, Google analogy accuracy (3CosAdd, 30k).

Words are looked up as given, then lower-cased (both corpora are lower-cased). UNGDC:
the speeches of ``--ungdc-years`` (default 1990-2019, about 12.6M tokens), each
speech's wrapped lines joined and cut into sentences (``ungdc_sentences`` of
``_bench.py``). The professions plot of the hard-debiased store of each corpus goes to
``--figures`` (default ``evals/figures/``).

Expected, from the papers: hard debiasing zeroes DirectBias along g at nearly unchanged
similarity and analogy scores, while the clustering accuracy stays high (Gonen and
Goldberg); double-hard lowers the clustering accuracy below hard debiasing at similar
quality (Wang et al.); INLP lowers it further, at some cost in quality (Ravfogel et al.).

UNGDC lacks 53% of debiaswe's equalize pairs (``niece``, ``spokeswoman``,
``chairwoman`` occur fewer than 5 times) and 75% of its professions (``accountant``,
``actress``), above wordlab's default refusal threshold of 0.5, so the study runs with
``--max-missing 0.8`` (which changes nothing on enwiki, where every list is below 0.5).
A set missing more than that is still refused (its row shows ``-``, the reason is
printed below the table): UNGDC has 1 of the 8 female names of career / family, so that
WEAT is skipped there.

Each training, each debiasing and each measurement runs in its own process. About
10 minutes on 2 idle cores: the two trainings about 3, the four enwiki measurements
about 4 (Gonen and Goldberg's neighbour correlation, 100 neighbours of each of ~50,000
candidate words, is most of it: about 80 s per store on one loaded core), double-hard
and INLP under 20 s each. ``--work DIR`` keeps the stores (``{corpus}-sgns``,
``{corpus}-hard``, ``-double-hard``, ``-inlp``) and each store's measures
(``*-measures.json``); a debiased store is reused when its trained store was and its
settings (seed, max_missing, INLP's) are the same.

``--enwiki-tokens N`` trains on the first N tokens of enwiki only (for a quick check;
the store is then named apart, so a full store in the same ``--work`` is not reused for
it); ``--methods`` picks the debiasing methods.

Usage: python evals/bench_debias.py [--corpora enwiki,ungdc] [--methods hard,double-hard,inlp]
       [--ungdc-years 1990-2019] [--epochs 5] [--workers 2] [--max-missing 0.8]
       [--inlp-iterations 12] [--inlp-words 7500] [--enwiki-tokens N] [--seed 0]
       [--work DIR] [--figures DIR] [--data DIR]
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
METHODS = ("hard", "double-hard", "inlp")
COLUMNS = {"original": "original", "hard": "hard", "double-hard": "double-hard", "inlp": "INLP"}
DEFAULT_YEARS = "1990-2019"
#: RNSB and ECT sets (WEAT.json names; ECT's attribute is the professions of DirectBias).
GENDER_TERMS = ["male_terms", "female_terms"]
SENTIMENT = ["pleasant_5", "unpleasant_5a"]


def side_train(corpus: str, years: str, epochs: int, workers: int, out: str, enwiki_tokens: int | None) -> dict:
    import wordlab
    from wordlab.trainers import Word2Vec
    t0 = time.time()
    if corpus == "enwiki" and not enwiki_tokens:
        source = wordlab.Corpus(find_data_dir() / "corpora" / "enwiki-text8style.txt.gz")
    else:
        from _bench import prefix_sentences, ungdc_sentences
        text = Path(out).with_suffix(".txt")
        sentences = (prefix_sentences(str(find_data_dir() / "corpora" / "enwiki-text8style.txt.gz"), enwiki_tokens)
                     if corpus == "enwiki" else ungdc_sentences(years))
        with open(text, "w", encoding="utf-8") as fh:
            for sentence in sentences:
                fh.write(" ".join(sentence) + "\n")
        source = wordlab.Corpus(text)
    encoded = source.encode(min_count=5, progress=False)
    encode_s = time.time() - t0
    emb = Word2Vec(method="sgns", dim=100, window=5, negative=5, sample=1e-3, epochs=epochs, workers=workers,
                   seed=1, progress=False).fit(encoded, out)
    return {"tokens": int(encoded.n_tokens), "vocab": len(emb), "encode_s": encode_s,
            "train_s": emb.meta["training_seconds"], "total_s": time.time() - t0}


def inlp_size(store, wanted: int, restrict_vocab: int = 150_000, neutral_below: float = 0.03) -> int:
    """INLP's words per class: ``wanted``, or on a small store the largest multiple of 100, at
    most a quarter of the candidates, that leaves that many neutral candidates beside the
    extremes (see the module docstring)."""
    import numpy as np

    from wordlab.debias._derived import rows64
    from wordlab.debias.direction import unit_rows64
    from wordlab.debias.residual import candidate_words
    words = candidate_words(store, restrict_vocab)
    a, b = rows64(store, ["he", "she"])
    d = (a - b) / np.linalg.norm(a - b)
    scores = unit_rows64(rows64(store, words)) @ d
    order = np.argsort(-scores, kind="stable")
    near = np.abs(scores[order]) < neutral_below             # by decreasing score

    def fits(n):                # 3 x n candidates, n neutral ones left beside the n + n extremes
        return 3 * n <= len(words) and int(near[n:len(words) - n].sum()) >= n
    if fits(wanted):
        return wanted
    n = min(wanted, len(words) // 4) // 100 * 100
    while n > 100 and not fits(n):
        n -= 100
    return n


def side_debias(method: str, store: str, out: str, seed: int, max_missing: float, inlp_iterations: int,
                inlp_words: int) -> dict:
    import warnings

    import wordlab
    from wordlab.debias import double_hard_debias, hard_debias, inlp
    from wordlab.debias.wordlists import load_debiaswe
    data = find_data_dir()
    lists = {"equalize": load_debiaswe("equalize_pairs", data),
             "gender_specific": load_debiaswe("gender_specific_full", data)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        original = wordlab.load(store)
        t0 = time.time()
        extra = {}
        if method == "hard":
            hard_debias(original, out, **lists, overwrite=True, max_missing=max_missing)
        elif method == "double-hard":
            double_hard_debias(original, out, **lists, seed=seed, overwrite=True, max_missing=max_missing)
        else:
            n = inlp_size(original, inlp_words)
            extra["inlp_words"] = n
            inlp(original, out, iterations=inlp_iterations, n_words=n, seed=seed, overwrite=True)
    return {"debias_s": time.time() - t0, **extra,
            "warnings": list(dict.fromkeys(str(w.message) for w in caught))}


def method_summary(method: str, info: dict, dim: int) -> str:
    """One line on what a debiasing did, from its store's ``meta["debias"]``."""
    if method == "original":
        return ""
    if method in ("hard", "double-hard"):
        d = info["direction"]
        ratio = " ".join(f"{r:.3f}" for r in (d.get("explained_variance_ratio") or [])[:3])
        text = (f"neutralised {info['neutralised']:,} words, equalised {len(info['equalized'])} pairs "
                f"({info['equalize']['found']} of {info['equalize']['total']} equalize pairs found), "
                f"gender-specific words found {info['gender_specific']['found']} of "
                f"{info['gender_specific']['total']}; PCA direction, explained variance ratio {ratio} ...")
        if method == "double-hard":
            acc = info["accuracies"]
            text = (f"removed principal component {info['component'] + 1} of {info['components']} (clustering "
                    f"accuracy {acc[info['component']]:.3f}; {min(acc):.3f}-{max(acc):.3f} over the components, "
                    f"{info['biased_words']['per_side']:,} + {info['biased_words']['per_side']:,} words); "
                    + text)
        return text
    acc, w = info["accuracies"], info["words"]
    text = (f"{info['iterations']} iterations, dev accuracy {acc[0]:.3f} -> {acc[-1]:.3f} (majority class "
            f"{info['majority']:.3f}), rank removed {info['rank_removed']}; {w['male']:,} male, {w['female']:,} "
            f"female, {w['neutral']:,} neutral words ({w['train']:,} train, {w['dev']:,} dev)")
    if info["rank_removed"] >= dim:
        text += f"; EVERY ONE OF THE {dim} DIMENSIONS REMOVED: the vectors are zero (lower --inlp-iterations)"
    return text


def side_measure(name: str, method: str, original_path: str, store_path: str, seed: int, max_missing: float,
                 figures: str) -> dict:
    import warnings

    import wordlab
    from wordlab.debias import (
        BiasDirection,
        bias_direction,
        classification_accuracy,
        direct_bias,
        ect,
        most_biased,
        professions_plot,
        residual_bias,
        rnsb,
        weat_test,
    )
    from wordlab.debias.hard import equalize_candidates
    from wordlab.debias.report import DEFAULT_WEAT_TESTS
    from wordlab.debias.wordlists import MissingWordsError, load_debiaswe
    from wordlab.errors import DataError
    from wordlab.evals import evaluate_analogies, evaluate_word_pairs
    data = find_data_dir()
    nan = math.nan
    rows: list[list] = []                    # [measure, value, detail]
    notes: list[str] = []
    timings: dict[str, float] = {}

    def measure(label, fn, skip_detail="skipped: too many words missing"):
        t0 = time.time()
        try:
            value, detail = fn()
        except (MissingWordsError, DataError) as e:
            notes.append(f"{label} skipped: {e}")
            value, detail = nan, skip_detail
        rows.append([label, value, detail])
        timings[label] = time.time() - t0
        return value

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        original = wordlab.load(original_path)
        store = original if method == "original" else wordlab.load(store_path)
        t_start = time.time()
        eq, _, _ = equalize_candidates(original, load_debiaswe("equalize_pairs", data), None)
        exclude = list(dict.fromkeys(load_debiaswe("gender_specific_full", data) + [w for p in eq for w in p]))
        professions = load_debiaswe("professions", data)
        left = set(exclude)
        neutral_professions = [w for w in professions if w not in left]

        g0 = bias_direction(original, max_missing=max_missing)

        def db(direction):
            r = direct_bias(store, direction, professions, max_missing=max_missing, exclude=exclude)
            return r.value, (f"{r.n_words} of {len(professions)} professions ({len(r.excluded)} gender-specific "
                             f"left out, {len(r.coverage.missing)} not in the store)")
        measure("DirectBias_1, g of the original", lambda: db(g0))
        measure("DirectBias_1, g found again", lambda: db(bias_direction(store, max_missing=max_missing)))

        for test in DEFAULT_WEAT_TESTS:
            t0 = time.time()
            try:
                r = weat_test(store, test, seed=seed, max_missing=max_missing)
                rows.append([f"WEAT {test} effect size", r.effect_size,
                             "ddof=1; words X/Y/A/B " + "/".join(str(r.sizes[k]) for k in "XYAB")])
                rows.append([f"WEAT {test} p-value", r.p_value,
                             f"{r.p_method}, {r.n_evaluated:,} of {r.n_partitions:,} partitions"])
            except MissingWordsError as e:
                notes.append(f"WEAT {test} skipped: {e}")
                rows += [[f"WEAT {test} {what}", nan, "skipped: too many words missing"]
                         for what in ("effect size", "p-value")]
            timings[f"WEAT {test}"] = time.time() - t0

        t0 = time.time()
        biased = most_biased(original, n=500, restrict_vocab=50_000, exclude=exclude)
        try:
            rb = residual_bias(store, biased, k=100, seed=seed, professions=professions)
        except DataError as e:
            notes.append(f"professions test skipped: {e}")
            rb = residual_bias(store, biased, k=100, seed=seed)
        timings["Gonen and Goldberg (without classification)"] = time.time() - t0
        n_cand = len(biased.projections)
        rows.append(["GG cluster accuracy (2-means)", rb.cluster_accuracy,
                     "500 + 500 most biased words of the original by cos(w, he) - cos(w, she)"])
        rows.append(["GG neighbour correlation", rb.neighbor_correlation,
                     f"k = 100 neighbours; over all {n_cand:,} candidate words"])
        rows.append(["GG professions correlation", rb.professions_correlation,
                     (f"{0 if rb.professions is None else len(rb.professions)} of {len(professions)} professions; "
                      "male neighbours of k = 100")])
        measure("GG classification (RBF SVM)",
                lambda: (classification_accuracy(store, biased, 5000, 500, seed=seed),
                         "500 + 500 train, 4,500 + 4,500 test of the 5,000 + 5,000 most biased words"),
                "skipped: fewer than 5,000 candidate words on a side")
        rows.append(["GG average |bias|", rb.mean_bias, f"|cos(w, he) - cos(w, she)| over {n_cand:,} candidates"])

        def rnsb_value():
            r = rnsb(store, GENDER_TERMS, SENTIMENT, seed=seed, max_missing=max_missing)
            return r.value, (f"words {'/'.join(str(v) for v in r.sizes.values())}; classifier training accuracy "
                             f"{r.info['accuracy']:.3f}")
        measure("RNSB gender terms: pleasant", rnsb_value)

        def ect_value():
            r = ect(store, GENDER_TERMS, [neutral_professions], max_missing=max_missing)
            return r.value, f"words {'/'.join(str(v) for v in r.sizes.values())}"
        measure("ECT gender terms: professions", ect_value)

        def pairs_value(dataset):
            r = evaluate_word_pairs(store, dataset)
            return r.spearman, f"coverage {100 * r.coverage:.1f}%"
        measure("WS-353 Spearman", lambda: pairs_value("ws353"))
        measure("SimLex-999 Spearman", lambda: pairs_value("simlex999"))

        def analogy_value():
            r = evaluate_analogies(store, "google-analogy", restrict_vocab=30_000)
            return r.accuracy, f"coverage {100 * r.coverage:.1f}%"
        measure("Google analogy (3CosAdd, 30k)", analogy_value)
        measure_s = time.time() - t_start

        figure = None
        if method == "hard" and figures:
            fig_dir = Path(figures)
            fig_dir.mkdir(parents=True, exist_ok=True)
            figure = fig_dir / f"debias_professions_{name}.png"
            direction = BiasDirection.from_dict(store.meta["debias"]["direction"])
            try:
                professions_plot(original, store, direction, professions, max_missing=max_missing,
                                 title=f"{LABELS[name]} SGNS: professions on the gender direction").savefig(figure,
                                                                                                              dpi=120)
            except MissingWordsError as e:
                notes.append(f"professions plot skipped: {e}")
                figure = None
            else:
                try:
                    figure = figure.resolve().relative_to(FIGURES.parent.parent)
                except ValueError:
                    pass
    info = store.meta.get("debias") or {}
    return {"rows": rows, "notes": notes, "measure_s": measure_s, "timings": timings,
            "warnings": list(dict.fromkeys(str(w.message) for w in caught)), "n_words": len(store),
            "summary": method_summary(method, info, store.dim), "figure": str(figure) if figure else None,
            "g0_ratio": g0.explained_variance_ratio.tolist() if g0.explained_variance_ratio is not None else []}


def fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.2e}" if v != 0 and abs(v) < 0.01 else f"{v:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default="enwiki,ungdc")
    ap.add_argument("--methods", default=",".join(METHODS), help="Debiasing methods (default: all three).")
    ap.add_argument("--ungdc-years", default=DEFAULT_YEARS)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="WEAT sampling, KMeans, the SVM shuffle, RNSB, "
                                                        "double-hard's k-means and INLP (default 0, theirs).")
    ap.add_argument("--max-missing", type=float, default=0.8,
                    help="Refusal threshold for missing words (wordlab's default is 0.5; UNGDC lacks 53%% of "
                         "the equalize pairs and 75%% of the professions).")
    ap.add_argument("--inlp-iterations", type=int, default=12,
                    help="INLP classifiers (default 12: the paper's 35 remove 3 dimensions each, 105 >= 100, "
                         "so they zero a dim-100 store; see above).")
    ap.add_argument("--inlp-words", type=int, default=7500,
                    help="INLP words per class (default 7,500, the paper's; cut on a small store, see above).")
    ap.add_argument("--enwiki-tokens", type=int, default=None,
                    help="Train on the first N tokens of enwiki only (a quick check).")
    ap.add_argument("--work", default=None, help="Keep the stores here (reused when present) instead of a "
                                                  "temporary directory.")
    ap.add_argument("--figures", default=str(FIGURES), help="Where the professions plots go (default "
                                                            "evals/figures; '' for none).")
    ap.add_argument("--data", default=None)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--method", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "train":
        emit(side_train(args.corpus, args.ungdc_years, args.epochs, args.workers, args.out, args.enwiki_tokens))
        return
    if args.side == "debias":
        emit(side_debias(args.method, args.store, args.out, args.seed, args.max_missing, args.inlp_iterations,
                         args.inlp_words))
        return
    if args.side == "measure":
        emit(side_measure(args.corpus, args.method, args.store, args.out, args.seed, args.max_missing,
                          args.figures))
        return

    data = find_data_dir(args.data)
    corpora = [c.strip() for c in args.corpora.split(",") if c.strip()]
    for c in corpora:
        if c not in LABELS:
            raise SystemExit(f"unknown corpus {c!r}; known: {', '.join(LABELS)}")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in METHODS:
            raise SystemExit(f"unknown method {m!r}; known: {', '.join(METHODS)}")
    t_start = time.time()
    common = ["--seed", str(args.seed), "--max-missing", str(args.max_missing)]
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        env = {"WORDLAB_CACHE": str(work / "cache"), "WORDLAB_DATA": str(data)}
        trained, debiased, measured = {}, {}, {}
        for c in corpora:
            key = c
            if c == "enwiki" and args.enwiki_tokens:
                key = f"enwiki-{args.enwiki_tokens}"
            elif c == "ungdc" and args.ungdc_years != DEFAULT_YEARS:
                key = f"ungdc-{args.ungdc_years}"
            store = work / f"{key}-sgns"
            record = work / f"{key}-train.json"
            if (store / "meta.json").is_file():
                print(f"{c}: reusing {store}", file=sys.stderr, flush=True)
                trained[c] = {**(json.loads(record.read_text()) if record.is_file() else {}), "reused": True}
            else:
                print(f"{c}: training ...", file=sys.stderr, flush=True)
                extra = ["--enwiki-tokens", str(args.enwiki_tokens)] if args.enwiki_tokens else []
                trained[c] = run_side(__file__, ["--side", "train", "--corpus", c, "--ungdc-years", args.ungdc_years,
                                                 "--epochs", str(args.epochs), "--workers", str(args.workers),
                                                 "--out", str(store), *extra], env=env)
                if "error" in trained[c]:
                    raise SystemExit(f"training on {c} failed")
                record.write_text(json.dumps(trained[c]))
            print(f"{c}: {json.dumps(trained[c])}", file=sys.stderr, flush=True)
            paths = {"original": store}
            for m in methods:
                out = work / f"{key}-{m}"
                paths[m] = out
                rec = work / f"{key}-{m}.json"
                settings = {"seed": args.seed, "max_missing": args.max_missing}
                if m == "inlp":
                    settings.update(iterations=args.inlp_iterations, words=args.inlp_words)
                same = rec.is_file() and json.loads(rec.read_text()).get("settings") == settings
                if trained[c].get("reused") and (out / "meta.json").is_file() and same:
                    print(f"{c}: reusing {out}", file=sys.stderr, flush=True)
                    debiased[c, m] = {**(json.loads(rec.read_text()) if rec.is_file() else {}), "reused": True}
                    continue
                print(f"{c}: {m} ...", file=sys.stderr, flush=True)
                debiased[c, m] = run_side(__file__, ["--side", "debias", "--method", m, "--store", str(store),
                                                     "--out", str(out), "--inlp-iterations",
                                                     str(args.inlp_iterations), "--inlp-words",
                                                     str(args.inlp_words), *common], env=env)
                if "error" in debiased[c, m]:
                    raise SystemExit(f"{m} on {c} failed")
                debiased[c, m]["settings"] = settings
                rec.write_text(json.dumps(debiased[c, m]))
            for m in ["original", *methods]:
                print(f"{c}: measuring {m} ...", file=sys.stderr, flush=True)
                measured[c, m] = run_side(__file__, ["--side", "measure", "--corpus", c, "--method", m,
                                                     "--store", str(store), "--out", str(paths[m]),
                                                     "--figures", args.figures, *common], env=env)
                if "error" in measured[c, m]:
                    raise SystemExit(f"measuring {m} on {c} failed")
                (work / f"{key}-{m}-measures.json").write_text(json.dumps(measured[c, m]))

    columns = ["original", *methods]
    for c in corpora:
        t = trained[c]
        what = LABELS[c] + (f" {args.ungdc_years}" if c == "ungdc" else "")
        if c == "enwiki" and args.enwiki_tokens:
            what += f" (first {args.enwiki_tokens:,} tokens)"
        size = f"{t['tokens']:,} tokens, {t['vocab']:,} words; trained in {t['train_s']:.0f} s" \
            if "tokens" in t else "store reused"
        if t.get("reused") and "tokens" in t:
            size += " (in an earlier run of this script, same --work)"
        print(f"{what}: SGNS dim 100, {args.epochs} epochs, {args.workers} threads; {size}")
        ratio = measured[c, "original"]["g0_ratio"]
        print("  g of the original: PCA of the definitional pairs, explained variance ratio "
              + " ".join(f"{r:.3f}" for r in ratio[:5]) + " ...")
        for m in methods:
            d = debiased[c, m]
            took = f"debiased in {d['debias_s']:.1f} s" if "debias_s" in d else "debiased earlier"
            if d.get("reused") and "debias_s" in d:
                took += " (an earlier run)"
            print(f"  {COLUMNS[m]}: {took}, measured in {measured[c, m]['measure_s']:.0f} s; "
                  f"{measured[c, m]['summary']}")
        print(f"  original: measured in {measured[c, 'original']['measure_s']:.0f} s")
        print()
        names = [r[0] for r in measured[c, "original"]["rows"]]
        rows = [[name] + [fmt(measured[c, m]["rows"][i][1]) for m in columns] for i, name in enumerate(names)]
        print(table(["measure"] + [COLUMNS[m] for m in columns], rows))
        print()
        for r in measured[c, "original"]["rows"]:
            if r[0].startswith(("DirectBias_1, g of", "WEAT career_family p", "GG cluster", "GG neighbour",
                                "GG classification", "RNSB", "ECT", "Google")):
                print(f"  {r[0]}: {r[2]}")
        notes = list(dict.fromkeys(n for m in columns for n in measured[c, m]["notes"]))
        for note in notes:
            print(f"  note: {note}")
        if measured.get((c, "hard"), {}).get("figure"):
            print(f"  plot: {measured[c, 'hard']['figure']}")
        print()
    print(f"max_missing {args.max_missing} (share of a word list that may be missing before a measure refuses); "
          f"seed {args.seed}")
    print(f"(total {time.time() - t_start:.0f} s)")
    print(machine_line())


if __name__ == "__main__":
    main()
