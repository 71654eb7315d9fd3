"""Train every method on a small fixed corpus with one worker and print the digests of
its store's arrays as JSON (run by tests/test_digests.py in a subprocess whose Numba
compiles for a generic x86-64 CPU, so the digests do not depend on the host's vector
units)."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

import wordlab
from wordlab.trainers import make_trainer
from wordlab.trainers.registry import REGISTRY

#: case ("method" or "method:variant") -> its parameters here (small, quick, every
#: method's own knobs at a non-default)
CASES = {
    "sgns": dict(dim=12, epochs=2, window=3),
    "sgns:exact": dict(dim=12, epochs=2, window=3, kernel="exact"),
    "cbow": dict(dim=12, epochs=2, window=3),
    "cbow:exact": dict(dim=12, epochs=2, window=3, kernel="exact"),
    "glove": dict(dim=12, epochs=2, window=3),
    "pu": dict(dim=8, epochs=2, window=3),
    "bitcipher": dict(bits=16, window=3),
    "cmow": dict(dim=16, epochs=1, window=3),
    "hybrid": dict(dim=16, cbow_dim=8, epochs=2, window=3),
    "fasttext": dict(dim=12, epochs=2, window=3, bucket=500),
    "fasttext:exact": dict(dim=12, epochs=2, window=3, bucket=500, kernel="exact"),
    "fasttext-cbow": dict(dim=12, epochs=2, window=3, min_n=2, max_n=4, bucket=300),
    "fasttext-cbow:exact": dict(dim=12, epochs=2, window=3, min_n=2, max_n=4, bucket=300, kernel="exact"),
}


def corpus() -> list[list[str]]:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    p = np.arange(1, 301) ** -1.0
    p /= p.sum()
    return [list(rng.choice(words, size=12, p=p)) for _ in range(2000)]


def array_digest(a: np.ndarray) -> str:
    """The array's values, dtype and shape (not the .npy header's layout)."""
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def digests(out: Path) -> dict:
    enc = wordlab.Corpus(corpus()).encode(min_count=1, out=out / "enc")
    result = {}
    for case, params in CASES.items():
        method = case.split(":")[0]
        seed = {"seed": 3} if "seed" in REGISTRY[method].parameters() else {}    # Bit-cipher draws nothing
        where = out / case.replace(":", "-")
        make_trainer(method, min_count=1, workers=1, progress=False, **seed, **params).fit(enc, where)
        result[case] = {f.name: array_digest(np.load(f)) for f in sorted(where.glob("*.npy"))}
    return result


if __name__ == "__main__":
    print(json.dumps(digests(Path(sys.argv[1])), indent=1, sort_keys=True))
