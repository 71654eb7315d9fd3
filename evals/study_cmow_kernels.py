"""CMOW and the hybrid, the kernels before and after a rewrite: probing results over seeds.

Issue 21 asked for CMOW at least twice as fast "at the same probing results". One run
per kernel cannot say whether a 2-point difference on a probe is the kernel or the run:
a 2-thread Hogwild trainer's runs differ, and the rewritten kernel rounds differently
(float32 Adam; ``cmow_speed.py --check`` shows the two agree to 1e-7 after 300 tokens and
drift apart as any two roundings of a long Adam run do). This script trains CMOW and the
hybrid with ``bench_cmow.py``'s settings under training seeds 1..``--seeds``, with each
version of the kernels (``--before``, a revision whose ``_cmow_kernels.py`` is loaded in
place of today's, and the working tree), each run in its own process and the versions
alternating; then it probes every store with ``bench_cmow.py``'s probes (same tasks,
same probe seed) and prints every run, each version's mean and sample s.d. over the seeds,
and the difference of the means with its standard error.

Usage: python evals/study_cmow_kernels.py [--before 68bd0f1] [--seeds 3] [--encoders cmow,hybrid]
       [--train-years 1990-2014] [--probe-years 2015-2019] [--workers 2]

With the defaults it trains 12 encoders: about 70 minutes for the kernels before issue 21
and 20 for today's on two cores, then 10 minutes of probing.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import REPO_ROOT, emit, machine_line, mean_sd, run_side, table  # noqa: E402

PARAMS = {"cmow": dict(encoder="cmow", dim=400), "hybrid": dict(encoder="hybrid", dim=400, cbow_dim=400)}
BENCH = str(Path(__file__).resolve().parent / "bench_cmow.py")
# (label, how to read it off the probe results of one store, format)
MEASURES = (
    ("BigramShift", lambda p, s: p["probes"][f"{s}/BigramShift"]["accuracy"] * 100, "{:.1f}"),
    ("WordContent", lambda p, s: p["probes"][f"{s}/WordContent"]["accuracy"] * 100, "{:.1f}"),
    ("SentenceLength", lambda p, s: p["probes"][f"{s}/SentenceLength"]["accuracy"] * 100, "{:.1f}"),
    ("paired probe", lambda p, s: p["swap"][s]["paired_probe"] * 100, "{:.1f}"),
    ("swap preference", lambda p, s: p["swap"][s]["preferred"] * 100, "{:.1f}"),
    ("reversed - natural", lambda p, s: p["order"][s]["delta"]["reversed"], "{:+.3f}"),
)


def side_train(encoded: str, encoder: str, workers: int, seed: int, out: str) -> dict:
    # $WORDLAB_CMOW_KERNEL_FILE (set by the parent for the "before" version) swaps the kernels
    from cmow_speed import use_kernel_file
    from bench_cmow import side_train as bench_train
    use_kernel_file()
    return bench_train(encoded, PARAMS[encoder], 1, workers, out, seed=seed)


def kernel_before(revision: str, tmp: Path) -> Path:
    """The kernel module of ``revision``, written to a file of its own."""
    source = subprocess.run(["git", "show", f"{revision}:wordlab/trainers/_cmow_kernels.py"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout
    path = tmp / f"before-{revision}" / "_cmow_kernels.py"
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    return path


def spread_cmow(p: dict, store: str) -> float | None:
    s = p.get("spread", {}).get(store)
    return s["CMOW"] if s else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default="68bd0f1", help="revision of the kernels to compare with the working tree")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--encoders", default="cmow,hybrid")
    ap.add_argument("--train-years", default="1990-2014")
    ap.add_argument("--probe-years", default="2015-2019")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--encoder", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "train":
        emit(side_train(args.encoded, args.encoder, args.workers, args.seed, args.out))
        return
    from cmow_speed import version_env

    encoders = args.encoders.split(",")
    seeds = list(range(1, args.seeds + 1))
    with tempfile.TemporaryDirectory(prefix="wordlab-study-") as tmp:
        tmp = Path(tmp)
        versions = {f"before ({args.before})": str(kernel_before(args.before, tmp)), "today": "new"}
        env = {"WORDLAB_CACHE": str(tmp / "cache")}
        enc = run_side(BENCH, ["--side", "encode", "--train-years", args.train_years, "--out", str(tmp / "enc")],
                       env=env)
        if "error" in enc:
            raise SystemExit("encoding failed")
        runs, stores = [], {}
        for seed in seeds:
            # the versions alternate, and which goes first alternates too, so that both see the same load
            order = list(versions.items()) if seed % 2 else list(versions.items())[::-1]
            for label, version in order:
                for encoder in encoders:
                    name = f"{encoder}/{label}/{seed}"
                    out = tmp / f"{encoder}-{version == 'new'}-{seed}"
                    print(f"training {name} ...", file=sys.stderr, flush=True)
                    r = run_side(__file__, ["--side", "train", "--encoded", str(tmp / "enc"), "--encoder", encoder,
                                            "--workers", str(args.workers), "--seed", str(seed), "--out", str(out)],
                                 env={**version_env(version, tmp), **env})
                    if "error" in r:
                        raise SystemExit(f"training {name} failed")
                    print(json.dumps(r), file=sys.stderr, flush=True)
                    runs.append({"encoder": encoder, "version": label, "seed": seed, "name": name, **r})
                    stores[name] = str(out)
        print("probing ...", file=sys.stderr, flush=True)
        p = run_side(BENCH, ["--side", "probe", "--stores", json.dumps(stores), "--probe-years", args.probe_years,
                             "--seed", "0", "--encoded", str(tmp / "enc")], env=env)
        if "error" in p:
            raise SystemExit("probing failed")

    print(f"UNGDC {args.train_years} ({enc['tokens']:,} tokens, {enc['vocab']:,} words), 1 epoch, "
          f"{args.workers} threads, bench_cmow.py's settings; training seeds {seeds[0]}-{seeds[-1]}; probes on "
          f"{args.probe_years} (probe seed 0, the same tasks for every store)")
    head = ["encoder", "kernels", "seed", "examples/s", "final loss", *(m[0] for m in MEASURES), "CMOW-half spread"]
    rows = []
    for r in runs:
        spread = spread_cmow(p, r["name"])
        rows.append([r["encoder"], r["version"], r["seed"], f"{r['examples_per_s']:,.0f}", f"{r['loss'][-1]:.4f}",
                     *(fmt.format(get(p, r["name"])) for _, get, fmt in MEASURES),
                     "-" if spread is None else f"{spread:.3f}"])
    print(table(head, rows))
    print()
    print(f"mean (sample s.d.) over seeds {seeds[0]}-{seeds[-1]}; last row of each encoder: today - before "
          f"(+- the standard error of the difference of the means)")
    rows = []
    labels = list(versions)
    for encoder in encoders:
        values = {}
        for label in labels:
            mine = [r for r in runs if r["encoder"] == encoder and r["version"] == label]
            cols = {"examples/s": [r["examples_per_s"] for r in mine], "final loss": [r["loss"][-1] for r in mine]}
            for m, get, _ in MEASURES:
                cols[m] = [get(p, r["name"]) for r in mine]
            spreads = [spread_cmow(p, r["name"]) for r in mine]
            if all(s is not None for s in spreads):
                cols["CMOW-half spread"] = spreads
            values[label] = cols
            rows.append([encoder, label, *(mean_sd(cols[c], f) if c in cols else "-" for c, f in _columns())])
        diff = []
        for c, f in _columns():
            a, b = values[labels[0]].get(c), values[labels[1]].get(c)
            if not a or not b:
                diff.append("-")
                continue
            if c == "examples/s":
                diff.append(f"{statistics.fmean(b) / statistics.fmean(a):.2f}x")
                continue
            se = math.sqrt(sum(statistics.variance(v) / len(v) for v in (a, b))) if len(a) > 1 and len(b) > 1 else 0
            signed = f if "+" in f else f.replace("{:", "{:+")
            diff.append(f"{signed.format(statistics.fmean(b) - statistics.fmean(a))} +- {se:.3g}")
        rows.append([encoder, "today - before", *diff])
    print(table(["encoder", "kernels", *(c for c, _ in _columns())], rows))
    print(machine_line())


def _columns() -> list[tuple[str, str]]:
    return [("examples/s", "{:,.0f}"), ("final loss", "{:.4f}"), *((m, f) for m, _, f in MEASURES),
            ("CMOW-half spread", "{:.3f}")]


if __name__ == "__main__":
    main()
