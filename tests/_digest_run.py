"""Train every method on a small fixed corpus with one worker and print, as JSON, the
digests of its store's arrays and the kernels whose machine code holds approximate
instructions (run by tests/test_digests.py in a subprocess whose Numba compiles for a
generic x86-64 CPU, so the digests do not depend on the host's vector units)."""
from __future__ import annotations

import hashlib
import json
import re
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
    # alpha as before CBOW's default became word2vec.c's 0.05: the exact kernel's digests stay those of before
    "cbow:exact": dict(dim=12, epochs=2, window=3, kernel="exact", alpha=0.025),
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


#: x86 instructions whose results are estimates that differ between CPU vendors and
#: generations (rsqrtss, rcpps, vrsqrt14ps, ...): LLVM emits them for x / sqrt(y) or 1 / y
#: under the fast-math flags "arcp"/"afn", and a kernel holding one gives other last bits
#: on another CPU even when compiled for the generic target.
APPROXIMATE = re.compile(r"\bv?(rsqrt|rcp)\w*\b")


def approximate_instructions() -> dict:
    """Kernel -> the approximate instructions in its machine code, for every Numba function
    of wordlab compiled so far (compiled in this process, not loaded from Numba's cache,
    whose code cannot be inspected)."""
    from numba.core.registry import CPUDispatcher
    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("wordlab"):
            continue
        for attr, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.signatures:
                for asm in obj.inspect_asm().values():
                    hits = sorted(set(m.group(0) for m in APPROXIMATE.finditer(asm)))
                    if hits:
                        found[f"{obj.py_func.__module__}.{obj.py_func.__name__}"] = hits
    return found


if __name__ == "__main__":
    result = {"digests": digests(Path(sys.argv[1])), "approximate_instructions": approximate_instructions()}
    print(json.dumps(result, indent=1, sort_keys=True))
