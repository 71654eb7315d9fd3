"""What checkpoints cost a training run, under each schedule, and that the result is the same.

``Trainer.fit(checkpoint_interval=...)`` (``--checkpoint-interval``): 0 copies the weights
after every epoch (the behaviour before the schedule); the default checkpoints weights
up to 256 MiB after every epoch and larger ones about every ten times the time one
takes to write, the last epoch's taking the live files instead of copying them.

The case is the one where checkpoints cost most: ``fasttext`` on the Sinhala news
corpus of the low-resource study (a small corpus, a 763 MiB n-gram matrix, 20 epochs;
dim 100, window 5, negative 5, min_count 3, n-grams 3-6, bucket 2,000,000). Each
schedule trains in its own process with **one worker**, so that the two stores must be
equal bit for bit; the table gives the fit's wall time, the training time of the epochs
alone, the rest (initialisation, checkpoints, the final write), the checkpoints written
and the stores' digest.

Usage: python evals/bench_checkpoints.py [--epochs 20] [--corpus sinhala|enwiki] [--limit-tokens N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import emit, find_data_dir, machine_line, run_side, table  # noqa: E402

SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=3, min_n=3, max_n=6, bucket=2_000_000)
SINHALA = ["adaderana_2017_sinhala.txt.gz", "newsfirst_sinhala_set1.txt.gz", "newsfirst_sinhala_set2.txt.gz"]
SCHEDULES = {"every epoch (0)": 0.0, "default": None}


def corpus_files(which: str) -> list[str]:
    data = find_data_dir()
    if which == "sinhala":
        return [str(data / "corpora" / "sinhala-news" / f) for f in SINHALA]
    return [str(data / "corpora" / "enwiki-text8style.txt.gz")]


def store_digest(path: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(path.glob("*.npy")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def side(files: list[str], epochs: int, interval: float | None, out: Path, limit: int | None) -> dict:
    import wordlab
    import wordlab.trainers.base as base_module
    from wordlab.trainers import make_trainer
    corpus = wordlab.Corpus(files, sentence_split=True)
    if limit:
        corpus = wordlab.Corpus(_prefix(corpus, limit))
    encoded = corpus.encode(min_count=SETTINGS["min_count"], progress=False)
    written = []
    original = base_module.write_checkpoint

    def counted(work, weights, state, move=False):
        t = time.time()
        original(work, weights, state, move)
        written.append((state["epochs_done"], "move" if move else "copy", time.time() - t))
    trainer = make_trainer("fasttext", epochs=epochs, workers=1, seed=1, progress=False, **SETTINGS)
    base_module.write_checkpoint = counted          # count them; the schedule decides as it would
    t0 = time.time()
    emb = trainer.fit(encoded, out, overwrite=True, checkpoint_interval=interval)
    wall = time.time() - t0
    epochs_s = sum(h["seconds"] for h in emb.meta["history"])
    return {"tokens": encoded.n_tokens, "wall_s": wall, "epochs_s": epochs_s, "checkpoints": written,
            "digest": store_digest(Path(out))}


def _prefix(corpus, limit: int) -> list[list[str]]:
    out, n = [], 0
    for s in corpus:
        out.append(list(s))
        n += len(out[-1])
        if n >= limit:
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--corpus", choices=("sinhala", "enwiki"), default="sinhala")
    ap.add_argument("--limit-tokens", type=int, default=None)
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    files = corpus_files(args.corpus)
    if args.side:
        interval = json.loads(args.side)
        emit(side(files, args.epochs, interval, Path(args.out), args.limit_tokens))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="wordlab-ckpt-") as tmp:
        for label, interval in SCHEDULES.items():
            print(f"running {label} ...", file=sys.stderr, flush=True)
            extra = ["--limit-tokens", str(args.limit_tokens)] if args.limit_tokens else []
            r = run_side(__file__, ["--side", json.dumps(interval), "--out", str(Path(tmp) / "store"),
                                    "--epochs", str(args.epochs), "--corpus", args.corpus, *extra],
                         env={"WORDLAB_CACHE": str(Path(tmp) / "cache")})
            if "error" in r:
                raise SystemExit(f"{label} failed: {r['error']}")
            rows.append((label, r))
    same = len({r["digest"] for _, r in rows}) == 1
    print(f"fasttext on {args.corpus} ({rows[0][1]['tokens']:,} tokens), {args.epochs} epochs, 1 worker; "
          "dim 100, window 5, negative 5, min_count 3, n-grams 3-6, bucket 2,000,000")
    headers = ["schedule", "fit wall s", "epochs s", "rest s", "checkpoints (epoch: copy/move s)", "store digest"]
    print(table(headers, [[label, f"{r['wall_s']:.1f}", f"{r['epochs_s']:.1f}", f"{r['wall_s'] - r['epochs_s']:.1f}",
                           f"{len(r['checkpoints'])}: " + ", ".join(f"{e}{'m' if how == 'move' else ''} {s:.1f}"
                                                                    for e, how, s in r["checkpoints"]),
                           r["digest"]] for label, r in rows]))
    print("The stores are " + ("equal bit for bit." if same else "DIFFERENT: the schedule changed the result."))
    print("Checkpoints: the epoch after which each was written (m: the last, by moving the live files) and its "
          "seconds. rest = fit wall - epochs: encoding excluded, initialisation, checkpoints and the final write.")
    print(machine_line())
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
