"""GloVe, PU-learning and Bit-cipher on enwiki-text8style, with SGNS for comparison.

Three studies (``--study``), each side in its own process with its own cache (so every
side counts its co-occurrences itself and its time and peak RSS include that):

glove      wordlab GloVe with the reference run's settings (dim 100, symmetric window
           10, x_max 10, 15 iterations, 2 threads) on the full corpus, beside the C
           tool's figures from the issue (not rerun here): 22 s counting, 16 s shuffling,
           33 s per iteration, 530 s in all; analogy 0.307, WS-353 0.454, SimLex 0.212.
pu         SGNS vs GloVe vs PU-learning (rank 100) on the first 1M and 5M tokens and the
           full corpus: the PU-learning paper's claim is that it wins on small corpora.
bitcipher  Bit-cipher with bits 8, 16, 32, 64 in summation and concatenation modes (8 and
           16 bits cannot hold the 67,873-word vocabulary: those runs keep the 255 and
           65,535 most frequent words). Writes a quality-versus-dimension plot.

Quality, by wordlab's evaluators (parity with gensim's is tested): Google analogies
(3CosAdd, 30,000 most frequent words, accuracy over covered questions), WS-353,
SimLex-999 and MEN Spearman (pairs with unknown words skipped).

Usage: python evals/bench_cooccur_trainers.py --study glove|pu|bitcipher [--workers 2]
       [--sizes 1000000,5000000,full] [--plot PATH]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, find_data_dir, machine_line, prefix_sentences, run_side, table  # noqa: E402

GLOVE_REFERENCE = {"side": "GloVe C tool (reference from the issue)", "total_s": 530.0, "count_s": 22.0,
                   "iter_s": 33.0, "analogy": 0.307, "ws353": 0.454, "simlex": 0.212}


def quality(emb, data_dir) -> dict:
    from wordlab.evals import evaluate_analogies, evaluate_word_pairs
    out = {}
    for key, name in (("ws353", "ws353"), ("simlex", "simlex999"), ("men", "en-men")):
        try:
            out[key] = float(evaluate_word_pairs(emb, name).spearman)
        except Exception as e:  # noqa: BLE001 - a missing dataset should not sink the run
            print(f"{name}: {e}", file=sys.stderr)
            out[key] = float("nan")
    out["analogy"] = float(evaluate_analogies(emb, "google-analogy", restrict_vocab=30_000).total.accuracy)
    return out


def side_train(encoded: str, method: str, params: dict, out: str) -> dict:
    from wordlab.corpus import EncodedCorpus
    from wordlab.trainers import make_trainer
    enc = EncodedCorpus(encoded)
    trainer = make_trainer(method, progress=False, **params)
    t0 = time.time()
    emb = trainer.fit(enc, out, overwrite=True)
    total = time.time() - t0
    history = emb.meta["history"]
    return {"total_s": total, "train_s": emb.meta["training_seconds"],
            "iter_s": sum(h["seconds"] for h in history) / len(history), "dim": emb.dim,
            "vocab": len(emb), "tokens": enc.n_tokens, "objective": [h.get("objective") for h in history],
            "nnz": getattr(getattr(trainer, "matrix", None), "nnz", None), **quality(emb, None)}


def side_encode(out: str, limit_tokens: int | None, max_size: int | None) -> dict:
    import wordlab
    corpus = str(find_data_dir() / "corpora" / "enwiki-text8style.txt.gz")
    source = prefix_sentences(corpus, limit_tokens) if limit_tokens else corpus
    enc = wordlab.Corpus(source).encode(min_count=5, max_size=max_size, out=out, progress=False)
    return {"tokens": enc.n_tokens, "vocab": len(enc.vocab)}


def run(tmp: Path, label: str, encoded: Path, method: str, params: dict) -> dict:
    print(f"running {label} ...", file=sys.stderr, flush=True)
    key = f"{len(list(tmp.iterdir()))}"
    r = run_side(__file__, ["--side", "train", "--encoded", str(encoded), "--method", method,
                            "--params", json.dumps(params), "--out", str(tmp / f"store-{key}")],
                 env={"WORDLAB_CACHE": str(tmp / f"cache-{key}")})
    if "error" in r:
        raise SystemExit(f"{label} failed")
    r = {"side": label, **r, "rss": r["peak_rss_mb"]}
    print(json.dumps(r), file=sys.stderr, flush=True)
    return r


_ENCODED: dict[Path, dict] = {}


def encode(tmp: Path, limit: int | None, max_size: int | None = None) -> tuple[Path, dict]:
    """The corpus prefix encoded once (a second study of the same prefix reuses it)."""
    out = tmp / f"encoded-{limit or 'full'}-{max_size or 'all'}"
    if out in _ENCODED:
        return out, _ENCODED[out]
    args = ["--side", "encode", "--out", str(out)]
    if limit:
        args += ["--limit-tokens", str(limit)]
    if max_size:
        args += ["--max-size", str(max_size)]
    info = run_side(__file__, args)
    if "error" in info:
        raise SystemExit("encoding failed")
    _ENCODED[out] = info
    return out, info


def quality_cells(r: dict) -> list[str]:
    return [f"{r[k]:.3f}" if isinstance(r.get(k), float) else "-" for k in ("analogy", "ws353", "simlex", "men")]


def study_glove(tmp: Path, workers: int) -> None:
    encoded, info = encode(tmp, None)
    params = dict(dim=100, window=10, x_max=10.0, epochs=15, workers=workers)
    r = run(tmp, "wordlab GloVe", encoded, "glove", params)
    rows = [r, GLOVE_REFERENCE]
    print(f"corpus: enwiki-text8style, {info['tokens']:,} tokens, {info['vocab']:,} words; "
          f"dim 100, window 10, x_max 10, 15 iterations, {workers} threads; output W + W~")
    print(table(["side", "total s", "s / iteration", "peak RSS MiB", "analogy@30k", "WS-353", "SimLex-999", "MEN"],
                [[x["side"], f"{x['total_s']:.1f}", f"{x['iter_s']:.1f}",
                  f"{x['rss']:,.0f}" if "rss" in x else "-", *quality_cells(x)] for x in rows]))
    print(f"wordlab total = counting + shuffling + training ({r['train_s']:.1f} s of training); "
          f"{r['nnz']:,} non-zero pairs")


def study_pu(tmp: Path, workers: int, sizes: list[str]) -> None:
    rows = []
    for size in sizes:
        limit = None if size == "full" else int(size)
        encoded, info = encode(tmp, limit)
        name = "full" if limit is None else f"{limit / 1e6:g}M"
        for label, method, params in (
                ("SGNS", "sgns", dict(dim=100, window=5, epochs=5, workers=workers)),
                ("GloVe", "glove", dict(dim=100, window=10, x_max=10.0, epochs=15, workers=workers)),
                ("PU-learning", "pu", dict(dim=100, window=10, epochs=15, workers=workers))):
            r = run(tmp, f"{label} {name}", encoded, method, params)
            r.update(corpus=name, tokens=info["tokens"], vocab=info["vocab"])
            rows.append(r)
    print(f"corpus: enwiki-text8style prefixes; min_count 5; {workers} threads; SGNS dim 100 window 5 5 epochs; "
          f"GloVe dim 100 window 10 x_max 10 15 iterations; PU-learning rank 100 window 10 15 iterations")
    print(table(["side", "tokens", "vocab", "non-zeros", "total s", "s / iteration", "peak RSS MiB",
                 "analogy@30k", "WS-353", "SimLex-999", "MEN"],
                [[r["side"], f"{r['tokens']:,}", f"{r['vocab']:,}", f"{r['nnz']:,}" if r.get("nnz") else "-",
                  f"{r['total_s']:.1f}", f"{r['iter_s']:.2f}", f"{r['rss']:,.0f}", *quality_cells(r)]
                 for r in rows]))
    pu = [r for r in rows if r["side"].startswith("PU")]
    if pu:
        print("PU-learning objective per iteration: " + "; ".join(
            f"{r['corpus']}: {r['objective'][0]:.4g} -> {r['objective'][-1]:.4g}" for r in pu))


def study_bitcipher(tmp: Path, workers: int, plot: str | None) -> None:
    rows = []
    for bits in (8, 16, 32, 64):
        max_size = 2 ** bits - 1 if bits < 17 else None
        encoded, info = encode(tmp, None, max_size)
        for mode in ("sum", "concat"):
            r = run(tmp, f"Bit-cipher {bits} bits, {mode}", encoded, "bitcipher",
                    dict(bits=bits, mode=mode, window=5, workers=workers, max_size=max_size))
            r.update(bits=bits, mode=mode)
            rows.append(r)
    print(f"corpus: enwiki-text8style; window 5; {workers} threads")
    print(table(["side", "dim", "vocab", "total s", "peak RSS MiB", "analogy@30k", "WS-353", "SimLex-999", "MEN"],
                [[r["side"], r["dim"], f"{r['vocab']:,}", f"{r['total_s']:.1f}", f"{r['rss']:,.0f}",
                  *quality_cells(r)] for r in rows]))
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        # Runs that keep a small part of the vocabulary (8 bits: 255 words) score on a
        # handful of covered pairs; they are left out of the plot.
        full = max(r["vocab"] for r in rows)
        for mode, marker in (("sum", "o"), ("concat", "s")):
            sub = [r for r in rows if r["mode"] == mode and r["vocab"] >= 0.9 * full]
            for key, color in (("ws353", "C0"), ("simlex", "C1"), ("men", "C2"), ("analogy", "C3")):
                ax.plot([r["dim"] for r in sub], [r[key] for r in sub], marker=marker, color=color,
                        linestyle="-" if mode == "sum" else "--", label=f"{key} ({mode})")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("dimension")
        ax.set_ylabel("Spearman / accuracy")
        ax.set_title("Bit-cipher on enwiki-text8style (16, 32, 64 bits)")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        fig.savefig(plot, dpi=120)
        print(f"plot: {plot}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--study", choices=["glove", "pu", "bitcipher"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sizes", default="1000000,5000000,full")
    ap.add_argument("--plot", default=None)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--method", help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--limit-tokens", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--max-size", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "encode":
        emit(side_encode(args.out, args.limit_tokens, args.max_size))
        return
    if args.side == "train":
        emit(side_train(args.encoded, args.method, json.loads(args.params), args.out))
        return
    if not args.study:
        ap.error("--study is required")
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-") as tmp:
        tmp = Path(tmp)
        if args.study == "glove":
            study_glove(tmp, args.workers)
        elif args.study == "pu":
            study_pu(tmp, args.workers, args.sizes.split(","))
        else:
            study_bitcipher(tmp, args.workers, args.plot)
    print(machine_line())


if __name__ == "__main__":
    main()
