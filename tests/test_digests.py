"""The vectors every method produces stay the same, bit for bit, while the code moves.

``tests/_digest_run.py`` trains each method on a small fixed corpus with one worker and
a fixed seed, in a subprocess whose Numba compiles for a generic x86-64 CPU
(``NUMBA_CPU_NAME=generic``): kernels compiled with ``fastmath`` for the host vectorise
differently on different CPUs (AVX2, AVX-512), and their last bits with them, so the
digests below would otherwise hold on one machine only. The digests are of each array's
values, dtype and shape, recorded before the refactoring of issue 19 (and equal to those
of the code before issue 18). A change that alters a method's results on purpose must
say so and record new digests here. Changed on purpose: ``fasttext`` when its skip-gram
took fastText's pair order (the centre's vector predicts each context word); the
n-gram matrix's first-use layout, added at the same time, left ``fasttext-cbow``'s
digests as they were; ``fasttext`` and ``fasttext-cbow`` when their default kernel
became the batched one (``kernel="exact"``, the cases ``fasttext:exact`` and
``fasttext-cbow:exact``, keeps the digests from before); ``cmow`` and ``hybrid`` when
their kernel took Adam in float32 and the products in a new order (issue 21: 2.8-3.1x
the examples/s; the losses agree to about 1e-5 relative, the weights drift apart as
Adam's per-row normalisation amplifies the rounding); ``sgns`` and ``cbow`` when their
default kernel became the batched one (issue 21; ``sgns:exact`` and ``cbow:exact`` keep
the digests from before).
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

RECORDED = {
    "bitcipher": {"vectors.npy": "b589a9d14fb7f8e9"},
    # cbow: re-recorded when CBOW's default alpha became word2vec.c's 0.05 (the case cbow:exact passes 0.025)
    "cbow": {"context_vectors.npy": "1f792d62a4666f58", "vectors.npy": "251af779501f036d"},
    "cbow:exact": {"context_vectors.npy": "d5620c38b523fab0", "vectors.npy": "5c4cd1835ebf9791"},
    "cmow": {"context_vectors.npy": "a009a0f05b870b8d", "vectors.npy": "bcdc994413ca132d"},
    # recorded when the methods were added (issue 20)
    "fasttext": {"context_vectors.npy": "15c37ffc47099691", "ngram_vectors.npy": "26bfc699421b4333", "vectors.npy": "fd19776c4ddc283d", "word_vectors.npy": "aec76bb1c1ebf724"},
    "fasttext:exact": {"context_vectors.npy": "5681593a24287822", "ngram_vectors.npy": "4fe3372584bac0a3", "vectors.npy": "2f2d434ff9fec5df", "word_vectors.npy": "45607b742c05b547"},
    "fasttext-cbow": {"context_vectors.npy": "70305e394b8a2ae4", "ngram_vectors.npy": "8354de4850df7909", "vectors.npy": "83ba92407aff836b", "word_vectors.npy": "edfa81af8930fdd7"},
    "fasttext-cbow:exact": {"context_vectors.npy": "15497cd9fd944344", "ngram_vectors.npy": "4bef08624e917a7a", "vectors.npy": "41c532a0b44817d5", "word_vectors.npy": "c6a57e6a6b24dd40"},
    # glove: re-recorded when its kernel moved log and pow to float64 (glibc's logf/powf are not
    # correctly rounded), and again when it dropped the fast-math flag "arcp": with it LLVM computed the
    # bias step's 1 / sqrt with rsqrtss, an estimate whose bits differ between CPUs (the digest recorded
    # before was reproduced on some CI machines and not on others)
    "glove": {"bias.npy": "8e5b4de01ec33978", "context_bias.npy": "7269bc9b80271373", "context_vectors.npy": "39c0004e0862dde6", "vectors.npy": "bc9444a37f7fe559", "word_vectors.npy": "14915a825b72fbfc"},
    "hybrid": {"context_vectors.npy": "546ea0d662770926", "vectors.npy": "1385dab9e6b64852"},
    "pu": {"bias.npy": "08af211731e5afa9", "context_bias.npy": "43a6ffffb6666801", "context_vectors.npy": "60e980cff95996ab", "vectors.npy": "669387a555345b24", "word_vectors.npy": "f62d6ada8a1758af"},
    "sgns": {"context_vectors.npy": "cf8db2cba94bffb6", "vectors.npy": "3ddbc9faa3d1202e"},
    "sgns:exact": {"context_vectors.npy": "08447160ac376d6e", "vectors.npy": "3ef5a69a3cde2bc1"},
}


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                    reason="the digests were recorded with Numba's generic x86-64 target")
def test_every_method_gives_the_recorded_vectors(tmp_path):
    # A fresh Numba cache (~30 s of compiling): code loaded from a cache cannot be inspected
    # for approximate instructions.
    env = dict(os.environ, NUMBA_CPU_NAME="generic", NUMBA_CPU_FEATURES="", NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               WORDLAB_CACHE=str(tmp_path / "cache"))
    env.pop("WORDLAB_FAULT", None)
    script = Path(__file__).with_name("_digest_run.py")
    r = subprocess.run([sys.executable, str(script), str(tmp_path / "out")], env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    # No kernel may hold an instruction whose result depends on the CPU's make.
    assert result["approximate_instructions"] == {}
    found = result["digests"]
    assert found.keys() == RECORDED.keys()
    for method in RECORDED:
        assert found[method] == RECORDED[method], method


def test_the_digests_cover_every_method_of_the_registry():
    from wordlab.trainers.registry import REGISTRY
    assert {case.split(":")[0] for case in RECORDED} == set(REGISTRY), "a new method needs its digests recorded here and a case in _digest_run.py"
