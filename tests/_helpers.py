"""Helpers shared by test modules (plain functions; fixtures live in conftest.py)."""
from __future__ import annotations

import numpy as np
import pytest


class _Stop(Exception):
    pass


def interrupt_then_resume(make_trainer, corpus, out, after_epoch: int = 1):
    """Train ``make_trainer(callbacks=[...])`` on ``corpus`` into ``out`` but stop it after
    ``after_epoch`` epochs, then resume it with ``make_trainer()``; return the finished store."""
    def stop(report) -> None:
        if report.epoch == after_epoch:
            raise _Stop

    with pytest.raises(_Stop):
        make_trainer(callbacks=[stop]).fit(corpus, out)
    return make_trainer().fit(corpus, out, resume=True)


def zipf_sentences(seed: int = 0, n: int = 400, vocab: int = 150, exponent: float = 1.4) -> list[list[str]]:
    """``n`` random sentences (1-24 words, Zipf-distributed ids below ``vocab``), none empty."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        ids = rng.zipf(exponent, size=rng.integers(1, 25))
        words = [f"w{int(x)}" for x in ids if x < vocab]
        if words:
            out.append(words)
    return out
