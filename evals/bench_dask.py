"""One machine against a Dask LocalCluster: encoding, co-occurrence counting, PU-learning.

For each corpus (``enwiki-text8style``, decompressed to a plain file first so that its
one 100 MB line can be cut into byte ranges; and all of UNGDC, 74 yearly .gz files,
one partition each) and each stage, every side runs in its own process:

* **one machine, 1 thread** (``workers=1``): the baseline of the parallel efficiency;
* **one machine** (the default: every core's thread; encoding is one thread anyway);
* **dask local:N** (``--workers N`` worker processes, one thread each, a real
  scheduler), with the cluster's start-up outside the stage's time.

The stages: ``Corpus.encode(min_count=5)``; ``count_cooccurrences(window=10, 1/d)``;
``PULearning(dim=--pu-dim, epochs=--pu-epochs, window=10)`` on the cached count. The
dask sides of counting and PU read the dask side's encoding (its token shards, where
the encoding tasks wrote them), the others the single-machine ``tokens.npy``. The
script checks that the results are equal (encoded arrays and vocabulary, matrix arrays,
PU objective per iteration and vectors to 1e-5) and reports, per side: wall time of the
stage, speedup against one thread, parallel efficiency (speedup / N), the bytes Dask
moved out of the workers (``transfer_outgoing_bytes_total``: to other workers and to the
client), the bytes the tasks read from and wrote to the shared filesystem (as they
report them: the files they map or read, the files they publish), and the peak RSS of the client and
of each worker process (ru_maxrss, mapped file pages included). It ends with the
per-task costs measured (seconds per token, per occurrence, per observed entry) and
the client's own phases, from which evals/README.md projects a 1B-token run.

Usage: python evals/bench_dask.py [--corpora enwiki,ungdc] [--workers 2] [--pu-dim 100] [--pu-epochs 3]
       [--results]
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, find_data_dir, fmt_mb, plain_enwiki, run_side, table  # noqa: E402
from _projection import measured_costs, project  # noqa: E402

STAGES = ("encode", "count", "pu")
MODES = ("one1", "one", "dask")
LABEL = {"one1": "one machine, 1 thread", "one": "one machine", "dask": "dask local:{n}"}


def _worker_stats(dask_worker) -> dict:
    import resource
    return {"ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "out_bytes": int(getattr(dask_worker, "transfer_outgoing_bytes_total", 0))}


def _digest(*arrays) -> str:
    import hashlib
    import numpy as np
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def side(stage: str, mode: str, workers: int, inputs: list[str], encoded: str, out: str, pu_dim: int,
         pu_epochs: int) -> dict:
    import numpy as np
    import wordlab
    from wordlab.cooccur import count_cooccurrences
    from wordlab.corpus import EncodedCorpus
    from wordlab.distributed import session, task_log
    from wordlab.trainers import PULearning
    threads = 1 if mode == "one1" else workers
    t_cluster = 0.0
    cluster = session(f"local:{workers}") if mode == "dask" else None
    client = None
    if cluster is not None:
        t0 = time.perf_counter()
        client = cluster.__enter__()
        t_cluster = time.perf_counter() - t0
        before = client.run(_worker_stats)
    result: dict = {"stage": stage, "mode": mode, "cluster_start_s": round(t_cluster, 2)}
    with task_log() as log:
        t0 = time.perf_counter()
        if stage == "encode":
            enc = wordlab.Corpus(inputs).encode(min_count=5, out=out, progress=False, client=client)
            result["seconds"] = time.perf_counter() - t0
            result["digest"] = _digest(np.asarray(enc.tokens), np.asarray(enc.offsets), enc.vocab.counts)
            result["words_digest"] = _digest(np.frombuffer("\n".join(enc.vocab.words).encode(), np.uint8))
            result.update(tokens=enc.n_tokens, vocab=len(enc.vocab), dropped=enc.dropped_tokens,
                          types_seen=enc.meta["types_seen"],
                          client_phases=enc.meta.get("distributed", {}).get("seconds"))
        elif stage == "count":
            m = count_cooccurrences(EncodedCorpus(encoded), window=10, workers=threads, out=out, progress=False,
                                    client=client)
            result["seconds"] = time.perf_counter() - t0
            result["digest"] = _digest(np.asarray(m.indptr), np.asarray(m.indices), np.asarray(m.data))
            result.update(nnz=m.nnz, row_tasks=m.meta.get("row_tasks"), segments=m.meta["segments"],
                          client_phases=m.meta.get("distributed", {}).get("seconds"))
            if mode == "dask":      # one task's scan of the corpus, alone: the projection's c_scan
                from wordlab.cooccur.rows import gather_occurrences
                from wordlab.corpus.shards import TokenShards
                shards = TokenShards.open(encoded)
                arrays = shards.arrays()
                gather_occurrences(arrays, shards.bases, 0, 0, np.empty(0), 0)
                t1 = time.perf_counter()
                gather_occurrences(arrays, shards.bases, m.n_words, m.n_words, np.empty(0), 0)
                result["scan_s_per_token"] = (time.perf_counter() - t1) / max(1, shards.n_tokens)
        else:
            emb = PULearning(dim=pu_dim, epochs=pu_epochs, window=10, workers=threads, progress=False,
                             client=client).fit(EncodedCorpus(encoded), out)
            result["seconds"] = time.perf_counter() - t0
            result["objectives"] = [h["objective"] for h in emb.meta["history"]]
            result["training_s"] = emb.meta["training_seconds"]
            phases: dict = {}
            for h in emb.meta["history"]:
                for k, v in (h.get("distributed_seconds") or {}).items():
                    phases[k] = round(phases.get(k, 0.0) + v, 3)
            result["client_phases"] = phases or None
            result["residual_checkpoints"] = sum(1 for h in emb.meta["history"]
                                                 if "checkpoint" in (h.get("distributed_seconds") or {}))
    result["tasks"] = [{k: t.get(k) for k in ("function", "seconds", "tokens", "types", "kept", "rows", "nnz",
                                              "entries", "occurrences", "input_types", "read_bytes",
                                              "written_bytes")}
                       for t in log]
    if client is not None:
        after = client.run(_worker_stats)
        result["workers"] = [{"peak_rss_mb": round(a["ru_maxrss_mb"], 1),
                              "out_bytes": a["out_bytes"] - before.get(w, {}).get("out_bytes", 0)}
                             for w, a in sorted(after.items())]
        cluster.__exit__(None, None, None)
    result["seconds"] = round(result["seconds"], 3)
    return result


def _text_size(path: Path) -> int:
    """Bytes of text (decompressed)."""
    if path.suffix != ".gz":
        return path.stat().st_size
    n = 0
    with gzip.open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            n += len(block)
    return n


def _print_projection(projections: dict, dim: int) -> None:
    print()
    print("Projection to 1B tokens, a 1M-word vocabulary, 1e9 non-zeros (window 10), PU dim 100, memory_limit 1 GiB, "
          "64 MiB partitions, one worker per machine (evals/_projection.py; from each corpus's unit costs):")
    print()
    for name, c in projections.items():
        print(f"{name}: c_tok {c['c_tok'] * 1e9:.0f} ns/token, Heaps beta {c['heaps_beta']:.2f}, c_merge "
              f"{c['c_merge'] * 1e9:.0f} ns/entry, join {c['join_bw'] / 1e9:.2f} GB/s; c_scan {c['c_scan'] * 1e9:.2f} "
              f"ns/token, c_win {c['c_win'] * 1e9:.0f} ns/token, count join {c['count_join_bw'] / 1e9:.2f} GB/s; "
              f"c_entry {c['c_entry'] * 1e9:.1f} ns/entry/half (dim {dim}; scaled to 100), publish "
              f"{c['publish_bw'] / 1e9:.2f} GB/s, apply {c['apply_bw'] / 1e9:.2f} GB/s, client "
              f"{c['c_client'] * 1e9:.1f} ns/entry/iteration; set-up c_prep {c['c_prep'] * 1e9:.0f} ns/entry, client "
              f"{c['c_prep_client'] * 1e9:.1f} ns/entry; residuals into a checkpoint {c['ckpt_bw'] / 1e9:.2f} GB/s")
        rows = []
        scaled = dict(c, c_entry=c["c_entry"] * 102 / (dim + 2))
        for w in (8, 16, 32):
            p = project(scaled, w)
            for stage, label in (("encode", "encode"), ("count", "count"), ("pu_setup", "PU set-up (once)"),
                                 ("pu", "PU, per iteration")):
                q = p[stage]
                rows.append([name, w, label, f"{q['tasks_s']:.0f} s", f"{q['client_s']:.0f} s", q["bottleneck"],
                             f"{q['moved_gb']:.0f} GB", f"{q['worker_mb'] / 1024:.1f} GiB",
                             f"{q['client_gb']:.0f} GB"])
        print(table(["from", "workers", "stage", "tasks (per worker)", "client", "bottleneck", "data moved (FS)",
                     "memory per worker", "client memory"], rows, align="lrlrrlrrr"))
        print()


def _fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default="enwiki,ungdc")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pu-dim", type=int, default=100)
    ap.add_argument("--pu-epochs", type=int, default=3)
    ap.add_argument("--limit-bytes", type=int, default=None, help="use only this much of the enwiki text (a quick run)")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--inputs", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        emit(side(args.side, args.mode, args.workers, json.loads(args.inputs or "[]"), args.encoded, args.out,
                  args.pu_dim, args.pu_epochs))
        return

    data = find_data_dir()
    n = args.workers
    all_rows, checks, costs, projections = [], [], [], {}
    with tempfile.TemporaryDirectory(prefix="wordlab-bench-dask-") as tmp:
        tmp = Path(tmp)
        env = {"WORDLAB_CACHE": str(tmp / "cache")}
        for name in args.corpora.split(","):
            if name == "enwiki":
                plain = plain_enwiki(data, tmp / "enwiki-text8style.txt", args.limit_bytes)
                inputs = [str(plain)]
            else:
                inputs = sorted(str(p) for p in (data / "corpora" / "ungdc").glob("ungdc_*.txt.gz"))
            if name == args.corpora.split(",")[0]:
                _warm(tmp, n, env)
            results: dict = {}
            for stage in STAGES:
                for mode in MODES:
                    if stage == "encode" and mode == "one1":
                        continue           # encoding is one thread on one machine
                    print(f"{name}: {stage}, {mode} ...", file=sys.stderr, flush=True)
                    out = tmp / f"{name}-{stage}-{mode}"
                    # the cluster reads the cluster's encoding: its token shards, in place
                    encoded = tmp / f"{name}-encode-{'dask' if mode == 'dask' else 'one'}"
                    r = run_side(__file__, ["--side", stage, "--mode", mode, "--workers", str(n), "--inputs",
                                            json.dumps(inputs), "--encoded", str(encoded),
                                            "--out", str(out), "--pu-dim", str(args.pu_dim),
                                            "--pu-epochs", str(args.pu_epochs)], env=env)
                    if "error" in r:
                        raise SystemExit(f"{name} {stage} {mode} failed")
                    print(json.dumps({k: v for k, v in r.items() if k != "tasks"}), file=sys.stderr, flush=True)
                    results[(stage, mode)] = r
                    if stage == "count" and mode == "one":
                        # the PU sides read the matrix from the cache: count it there once
                        run_side(__file__, ["--side", "pu", "--mode", "one", "--workers", str(n), "--encoded",
                                            str(tmp / f"{name}-encode-one"), "--out", str(tmp / f"{name}-pu-warm"),
                                            "--pu-dim", "4", "--pu-epochs", "1"], env=env)
            _compare(name, results, tmp, checks)
            text_bytes = sum(_text_size(Path(p)) for p in inputs)
            projections[name] = measured_costs(
                {s: results[(s, "dask")] for s in STAGES}, n, results[("encode", "one")]["tokens"],
                results[("count", "one")]["nnz"], results[("encode", "one")]["vocab"], args.pu_epochs, args.pu_dim,
                results[("count", "dask")]["scan_s_per_token"], text_bytes)
            enc = results[("encode", "one")]
            for stage in STAGES:
                base = results.get((stage, "one1"), results[(stage, "one")])["seconds"]
                for mode in MODES:
                    r = results.get((stage, mode))
                    if r is None:
                        continue
                    speedup = base / r["seconds"]
                    used = 1 if mode == "one1" or (stage == "encode" and mode == "one") else n
                    ws = r.get("workers") or []
                    all_rows.append([name, stage, LABEL[mode].format(n=n), f"{r['seconds']:.1f} s",
                                     f"{speedup:.2f}x", f"{speedup / used:.0%}",
                                     _fmt_bytes(sum(w["out_bytes"] for w in ws)) if ws else "-",
                                     _fmt_bytes(sum(t["read_bytes"] or 0 for t in r["tasks"])) if ws else "-",
                                     _fmt_bytes(sum(t["written_bytes"] or 0 for t in r["tasks"])) if ws else "-",
                                     fmt_mb(r["peak_rss_mb"]),
                                     " / ".join(fmt_mb(w["peak_rss_mb"]) for w in ws) if ws else "-"])
                costs.append(_costs(name, stage, results, enc, n))
    print(f"{n} workers; encode min_count 5; count window 10, 1/d; PU dim {args.pu_dim}, {args.pu_epochs} iterations, "
          f"window 10. Efficiency: speedup over one thread / threads or workers used.")
    print()
    print(table(["corpus", "stage", "side", "wall", "speedup", "efficiency", "Dask bytes out of workers",
                 "tasks' shared-FS reads", "tasks' shared-FS writes", "peak RSS (client)", "peak RSS per worker"], all_rows,
                align="llllrrrrrrr"))
    print()
    print("Equality of results (checked by this script):")
    for line in checks:
        print(f"- {line}")
    print()
    print("Measured costs (dask side; task seconds summed over tasks, client phases in seconds):")
    print()
    print(table(["corpus", "stage", "tasks", "task seconds", "per unit", "client phases"], costs, align="llrrll"))
    _print_projection(projections, args.pu_dim)


def _warm(tmp: Path, n: int, env: dict) -> None:
    """Warm Numba's cache on a tiny corpus: every kernel of the three stages, on both paths."""
    tiny = tmp / "tiny.txt"
    tiny.write_text(" ".join(f"w{i % 50}" for i in range(20000)), encoding="utf-8")
    for mode in ("one", "dask"):
        run_side(__file__, ["--side", "encode", "--mode", mode, "--workers", str(n), "--inputs",
                            json.dumps([str(tiny)]), "--out", str(tmp / f"tiny-{mode}")], env=env)
        for stage in ("count", "pu"):
            run_side(__file__, ["--side", stage, "--mode", mode, "--workers", str(n), "--encoded",
                                str(tmp / "tiny-one"), "--out", str(tmp / f"tiny-{stage}-{mode}"),
                                "--pu-dim", "4", "--pu-epochs", "1"], env=env)


def _compare(name: str, results: dict, tmp: Path, checks: list) -> None:
    import numpy as np
    for stage in ("encode", "count"):
        digests = {m: results[(stage, m)]["digest"] for m in MODES if (stage, m) in results}
        same = len(set(digests.values())) == 1
        if stage == "encode":
            same = same and len({results[("encode", m)]["words_digest"] for m in ("one", "dask")}) == 1
        checks.append(f"{name} {stage}: {'identical' if same else 'DIFFERENT'} across {', '.join(digests)} "
                      f"(sha256 of the arrays{' and the vocabulary' if stage == 'encode' else ''})")
        if not same:
            raise SystemExit(f"{name} {stage}: the results differ: {digests}")
    objectives = {m: results[("pu", m)]["objectives"] for m in MODES}
    vecs = {m: np.load(tmp / f"{name}-pu-{m}" / "vectors.npy") for m in MODES}
    diff = max(float(np.abs(vecs[m] - vecs["one"]).max()) for m in MODES)
    rel = max(abs(a - b) / abs(b) for m in MODES for a, b in zip(objectives[m], objectives["one"]))
    checks.append(f"{name} pu: objectives per iteration {objectives['dask']} (dask) vs {objectives['one']} (one "
                  f"machine), largest relative difference {rel:.1e}; vectors' largest difference {diff:.1e}")
    if diff > 1e-5 or rel > 1e-9:
        raise SystemExit(f"{name} pu: the results differ (vectors {diff}, objective {rel})")


def _costs(name: str, stage: str, results: dict, enc: dict, n: int) -> list:
    r = results[(stage, "dask")]
    tasks = r["tasks"]
    total = sum(t["seconds"] for t in tasks)
    if stage == "encode":
        tokens = sum(t.get("tokens") or 0 for t in tasks if t["function"] == "count_partition")
        unit = f"{total / max(tokens, 1) * 1e9:.0f} ns per raw token (both passes)"
    elif stage == "count":
        unit = f"{total / max(enc['tokens'], 1) * 1e9:.0f} ns per corpus token"
    else:
        nnz = results[("count", "one")]["nnz"]
        unit = f"{total / max(nnz, 1) / 2 / max(1, len(results[('pu', 'one')]['objectives'])) * 1e9:.0f} ns per entry per half"
    phases = ", ".join(f"{k} {v:.2f}" for k, v in (r.get("client_phases") or {}).items())
    return [name, stage, len(tasks), f"{total:.1f}", unit, phases or "-"]


if __name__ == "__main__":
    main()
