"""Semantic change in the UN General Debates: CADE against post-hoc Procrustes.

Decade slices of ``../shared/data/corpora/ungdc`` (default 1970s, 1990s, 2010s), read
with ``paragraphs=True`` (the wrapped lines of a paragraph joined) and
``sentence_split=True``. Two ways to get aligned slices,
with the same CBOW settings (the CADE reference's defaults: dim 100, window 5,
negative 10, 5 epochs, min_count 5):

- CADE: a compass on all slices, then each slice against the frozen compass output
  matrix (:class:`wordlab.align.cade.Compass`);
- post-hoc (Hamilton et al. 2016): each slice trained alone, then rotated onto the last
  slice by orthogonal Procrustes over the shared vocabulary.

Reported for the first and last slices: the top jumpers and stables by each shift
measure (cosine distance, LNCS with k = 25, k-NN intersection with k = 1000) for both
methods, over words counted at least ``--min-count`` times in both slices; the
agreement between the methods (Spearman correlation of each measure, overlap of the
top-50 jumpers); temporal analogies on renamed countries and successor organisations
(``evals/data/ungdc_temporal_pairs_1970s_2010s.txt``: MRR and MP@1/3/5/10); and a
trajectory plot of a few words (``evals/figures/cade_trajectory_*.png``).

Usage: python evals/bench_cade_ungdc.py [--slices 1970-1979,1990-1999,2010-2019]
       [--min-count 50] [--words cold,soviet,terrorism]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import find_data_dir, machine_line, table  # noqa: E402

HERE = Path(__file__).resolve().parent
PAIRS = HERE / "data" / "ungdc_temporal_pairs_1970s_2010s.txt"
MEASURES = ("cosine", "lncs", "knn")
# The files hold PDF text wrapped at about 55 characters: paragraphs are blank-line separated.
CORPUS = {"paragraphs": True, "sentence_split": True}


def decade_name(years: str) -> str:
    return f"{years.split('-')[0]}s" if years.split("-")[0].endswith("0") else years


def year_files(years: str) -> list[str]:
    a, b = (int(y) for y in years.split("-"))
    root = find_data_dir() / "corpora" / "ungdc"
    return [str(root / f"ungdc_{y}.txt.gz") for y in range(a, b + 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slices", default="1970-1979,1990-1999,2010-2019")
    ap.add_argument("--min-count", type=int, default=50, help="shift tables: words this frequent in both slices")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--words", default="cold,soviet,terrorism,development")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--figures", default=str(HERE / "figures"))
    args = ap.parse_args()
    from scipy.stats import spearmanr

    from wordlab import Corpus
    from wordlab.align.cade import Compass, align_to_reference
    from wordlab.align.plots import trajectory
    from wordlab.align.shift import cross_neighbors, jumpers, shift_table, stables, temporal_analogies
    from wordlab.trainers import Word2Vec

    spans = args.slices.split(",")
    names = [decade_name(s) for s in spans]
    params = dict(dim=100, window=5, negative=10, min_count=5)
    with tempfile.TemporaryDirectory(prefix="wordlab-cade-") as tmp:
        tmp = Path(tmp)
        files = {name: year_files(span) for span, name in zip(spans, names)}
        t0 = time.time()
        cade = Compass(files, compass_epochs=5, slice_epochs=5, workers=args.workers, progress=False,
                       corpus_options=CORPUS, **params).fit(tmp / "cade")
        tokens = {n: cade[n].meta["n_tokens"] for n in names}
        cade_s = time.time() - t0
        t0 = time.time()
        independent = {n: Word2Vec(method="cbow", epochs=5, workers=args.workers, seed=1, progress=False,
                                   **params).fit(Corpus(f, **CORPUS), tmp / f"ind-{n}") for n, f in files.items()}
        posthoc = align_to_reference(independent, names[-1], min_count=params["min_count"])
        posthoc_s = time.time() - t0
        spaces = {"CADE": cade.slices_, "post-hoc": posthoc}
        # post-hoc stores are in memory and keep the independent runs' counts
        first, last = names[0], names[-1]
        tables = {m: shift_table(s[first], s[last], min_count=args.min_count) for m, s in spaces.items()}
        shared = tables["CADE"].index.intersection(tables["post-hoc"].index)

        print("UNGDC slices: " + ", ".join(f"{n} {tokens[n]:,} tokens ({len(cade[n]):,} words)" for n in names)
              + f"; CBOW dim 100, window 5, negative 10, 5 epochs, min_count 5, {args.workers} threads")
        print(f"CADE (compass + {len(names)} slices) {cade_s:.0f} s; post-hoc ({len(names)} independent runs + "
              f"Procrustes onto {last}) {posthoc_s:.0f} s")
        print(f"shift {first} -> {last}: {len(shared):,} words counted >= {args.min_count} times in both slices")
        print()
        for measure in MEASURES:
            rows = []
            top = {m: jumpers(t.loc[shared], measure, args.top) for m, t in tables.items()}
            low = {m: stables(t.loc[shared], measure, args.top) for m, t in tables.items()}
            for i in range(args.top):
                rows.append([i + 1] + [f"{top[m].index[i]} {top[m][measure].iloc[i]:.2f}" for m in spaces]
                            + [f"{low[m].index[i]} {low[m][measure].iloc[i]:.2f}" for m in spaces])
            print(f"{measure}: top jumpers and stables, {first} -> {last}")
            print(table(["#", "jumpers CADE", "jumpers post-hoc", "stables CADE", "stables post-hoc"], rows,
                        align="rllll"))
            print()
        rows = []
        for measure in MEASURES:
            a, b = tables["CADE"].loc[shared, measure], tables["post-hoc"].loc[shared, measure]
            rho = spearmanr(a, b).statistic
            overlap = {n: len(set(a.nlargest(n).index) & set(b.nlargest(n).index)) for n in (20, 50, 100)}
            rows.append([measure, f"{rho:.3f}", *(f"{overlap[n]}/{n}" for n in (20, 50, 100))])
        print("agreement CADE vs post-hoc over the shared words")
        print(table(["measure", "Spearman rho", "top-20 overlap", "top-50 overlap", "top-100 overlap"], rows))
        print()
        rows = []
        for m, t in tables.items():
            c = t.loc[shared, list(MEASURES)].corr(method="spearman")
            rows.append([m, f"{c.loc['cosine', 'lncs']:.3f}", f"{c.loc['cosine', 'knn']:.3f}",
                         f"{c.loc['lncs', 'knn']:.3f}"])
        print("agreement between measures (Spearman rho)")
        print(table(["method", "cosine~lncs", "cosine~knn", "lncs~knn"], rows))
        print()
        rows = []
        pairs_text = [line.split() for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
        for m, s in spaces.items():
            r = temporal_analogies(s[first], s[last], pairs_text, restrict_vocab=None)
            rows.append([m, f"{r['n']}/{len(pairs_text)}", f"{r['MRR']:.3f}",
                         *(f"{r[f'MP@{k}']:.3f}" for k in (1, 3, 5, 10))])
        print(f"temporal analogies {first} -> {last} ({PAIRS.name}: renamed countries, successor bodies)")
        print(table(["method", "pairs", "MRR", "MP@1", "MP@3", "MP@5", "MP@10"], rows))
        print()
        examples = []
        for m, s in spaces.items():
            for w, _ in pairs_text[:4]:
                if w in s[first]:
                    nb = cross_neighbors(s[first], s[last], w, topn=3)
                    examples.append([m, w, ", ".join(nb["word"])])
        print(table(["method", f"word in {first}", f"nearest in {last}"], examples))
        print()
        figures = Path(args.figures)
        figures.mkdir(parents=True, exist_ok=True)
        for word in args.words.split(","):
            for m, s in spaces.items():
                if all(word in s[n] for n in names):
                    fig = trajectory({n: s[n] for n in names}, word, topn=5, title=f"'{word}' across decades ({m})")
                    path = figures / f"cade_trajectory_{word}_{m.replace('-', '')}.png"
                    fig.savefig(path, dpi=110)
                    print(f"plot: {path.relative_to(HERE.parent) if path.is_relative_to(HERE.parent) else path}")
            nbs = {n: ", ".join(w for w, _ in cade[n].most_similar(word, topn=6)) for n in names if word in cade[n]}
            print(f"  CADE neighbours of '{word}': " + " | ".join(f"{n}: {v}" for n, v in nbs.items()))
    print(machine_line())


if __name__ == "__main__":
    main()
