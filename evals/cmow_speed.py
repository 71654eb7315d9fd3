"""CMOW and hybrid training throughput: a quick before/after comparison of the kernels.

Trains CMOW (20 x 20) and the hybrid (400 + 20 x 20) with the settings of
``bench_cmow.py`` (window 5, a random target, 20 negatives, Adam, no subsampling,
min_count 5, seed 1, one epoch) on the first ``--tokens`` tokens of the UNGDC sentences
of ``--years`` and prints training examples/s (examples / the trainer's training
seconds, as ``bench_cmow.py`` reports them). Every run is its own process; the versions
alternate (A B A B ...) so that both see the same load on a shared machine, and the
table gives each one's median and range over ``--repeats`` runs.

A version is ``new`` (the working tree's kernels) or a path to another copy of
``wordlab/trainers/_cmow_kernels.py``, e.g. the kernels before issue 21's rewrite:
``git show 96c2b73:wordlab/trainers/_cmow_kernels.py > /tmp/cmow_before/_cmow_kernels.py``,
loaded in place of the module (its ``train_windows`` must take the same arguments).

``--check`` instead trains each encoder once per version with one worker and compares
the trained matrices, vectors and output vectors: bit for bit, or the largest
difference.

Usage: python evals/cmow_speed.py [--versions /tmp/cmow_before/_cmow_kernels.py,new]
       [--encoders cmow,hybrid] [--workers 2,1] [--repeats 3] [--tokens 200000]
       [--years 1990-1991] [--check]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, load_average, run_side, table, ungdc_sentences  # noqa: E402

PARAMS = {"cmow": dict(encoder="cmow", dim=400), "hybrid": dict(encoder="hybrid", dim=400, cbow_dim=400)}
KERNEL_ENV = "WORDLAB_CMOW_KERNEL_FILE"


def use_kernel_file() -> None:
    """Child side: with $WORDLAB_CMOW_KERNEL_FILE set, train with that copy of the kernels."""
    path = os.environ.get(KERNEL_ENV)
    if not path:
        return
    import importlib.util
    import wordlab.trainers.cmow as cmow
    # a name inside wordlab.trainers, so that its relative imports (._sampling) resolve
    spec = importlib.util.spec_from_file_location("wordlab.trainers._cmow_kernels_alt", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    cmow.train_windows = module.train_windows


def side_encode(years: str, tokens: int, out: str) -> dict:
    import wordlab
    sentences, n = [], 0
    for s in ungdc_sentences(years):
        sentences.append(s)
        n += len(s)
        if n >= tokens:
            break
    enc = wordlab.Corpus(sentences).encode(min_count=5, out=out, progress=False)
    return {"tokens": enc.n_tokens, "sentences": len(enc), "vocab": len(enc.vocab)}


def side_train(encoded: str, encoder: str, workers: int, out: str, save: bool) -> dict:
    use_kernel_file()
    import numpy as np
    from wordlab.corpus import EncodedCorpus
    from wordlab.trainers import CMOW
    enc = EncodedCorpus(encoded)
    emb = CMOW(epochs=1, workers=workers, seed=1, progress=False, **PARAMS[encoder]).fit(enc, out, overwrite=True)
    examples = sum(h["examples"] for h in emb.meta["history"])
    seconds = emb.meta["training_seconds"]
    if save:
        np.save(Path(out) / "check_vectors.npy", np.asarray(emb.vectors))
        np.save(Path(out) / "check_context.npy", np.asarray(emb.context_vectors))
    return {"examples": examples, "train_s": seconds, "examples_per_s": examples / max(seconds, 1e-9),
            "loss": emb.meta["loss_history"][-1]}


def version_env(version: str, tmp: Path) -> dict:
    # Each version compiles into a Numba cache of its own: copies of one module loaded
    # under other names must not share cache files.
    name = "new" if version == "new" else f"alt-{abs(hash(version))}"
    return {"WORDLAB_CACHE": str(tmp / "cache"), "NUMBA_CACHE_DIR": str(tmp / f"numba-{name}"),
            KERNEL_ENV: "" if version == "new" else str(Path(version).resolve())}


def train(tmp: Path, version: str, encoder: str, workers: int, save: bool = False, tag: str = "") -> dict:
    out = tmp / f"store-{encoder}-{workers}-{abs(hash(version))}{tag}"
    args = ["--side", "train", "--encoded", str(tmp / "enc"), "--encoder", encoder, "--workers", str(workers),
            "--out", str(out)] + (["--save"] if save else [])
    r = run_side(__file__, args, env=version_env(version, tmp))
    if "error" in r:
        raise SystemExit(f"training {encoder} with {version} failed")
    r["out"] = str(out)
    return r


def check(tmp: Path, versions: list[str], encoders: list[str]) -> None:
    import numpy as np
    rows = []
    for encoder in encoders:
        runs = [train(tmp, v, encoder, 1, save=True, tag="-check") for v in versions]
        a, b = (Path(r["out"]) for r in runs[:2])
        for name in ("check_vectors", "check_context"):
            x, y = np.load(a / f"{name}.npy"), np.load(b / f"{name}.npy")
            same = np.array_equal(x, y)
            diff = float(np.abs(x.astype(np.float64) - y).max())
            rel = diff / max(float(np.abs(x).max()), 1e-30)
            rows.append([encoder, name.replace("check_", ""), "yes" if same else "no", f"{diff:.3g}", f"{rel:.3g}",
                         " / ".join(f"{r['loss']:.6f}" for r in runs)])
    print(f"one worker, seed 1, {versions[0]} vs {versions[1]}")
    print(table(["encoder", "array", "bit-identical", "max |diff|", "relative to max |x|", "final loss (A / B)"],
                rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--versions", default="/tmp/cmow_before/_cmow_kernels.py,new")
    ap.add_argument("--encoders", default="cmow,hybrid")
    ap.add_argument("--workers", default="2,1")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=200_000)
    ap.add_argument("--years", default="1990-1991")
    ap.add_argument("--check", action="store_true", help="compare the trained arrays (one worker) instead")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--encoder", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--save", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "encode":
        emit(side_encode(args.years, args.tokens, args.out))
        return
    if args.side == "train":
        emit(side_train(args.encoded, args.encoder, int(args.workers), args.out, args.save))
        return

    versions = args.versions.split(",")
    encoders = args.encoders.split(",")
    workers = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="wordlab-cmow-speed-") as tmp:
        tmp = Path(tmp)
        enc = run_side(__file__, ["--side", "encode", "--years", args.years, "--tokens", str(args.tokens),
                                  "--out", str(tmp / "enc")], env={"WORDLAB_CACHE": str(tmp / "cache")})
        if "error" in enc:
            raise SystemExit("encoding failed")
        print(f"UNGDC {args.years}, first {enc['tokens']:,} tokens ({enc['sentences']:,} sentences, "
              f"{enc['vocab']:,} words); window 5, 20 negatives, Adam, k = 20", flush=True)
        if args.check:
            check(tmp, versions, encoders)
            return
        sys.stderr.write("compiling ...\n")
        for v in versions:                        # fill the Numba caches: no compilation in the timed runs
            for e in encoders:
                train(tmp, v, e, 1, tag="-warm")
        rates: dict[tuple, list[float]] = {}
        load0 = load_average()
        for rep in range(args.repeats):
            for e in encoders:
                for w in workers:
                    for v in versions:            # alternate the versions within each setting
                        t0 = time.perf_counter()
                        r = train(tmp, v, e, w)
                        rates.setdefault((e, w, v), []).append(r["examples_per_s"])
                        sys.stderr.write(f"{rep} {e} workers={w} {v}: {r['examples_per_s']:,.0f} examples/s "
                                         f"({time.perf_counter() - t0:.1f} s, loss {r['loss']:.4f})\n")
    rows = []
    for e in encoders:
        for w in workers:
            base = statistics.median(rates[(e, w, versions[0])])
            for v in versions:
                x = rates[(e, w, v)]
                rows.append([e, w, v, f"{statistics.median(x):,.0f}", f"{min(x):,.0f} - {max(x):,.0f}",
                             f"{statistics.median(x) / base:.2f}x"])
    print(table(["encoder", "workers", "kernels", "examples/s (median)", "range", "vs first"], rows))
    print(f"{args.repeats} alternating runs each; 1-min load average {load0:.2f} at start, "
          f"{load_average():.2f} at end; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")


if __name__ == "__main__":
    main()
