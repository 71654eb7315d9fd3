"""Helpers shared by test modules (plain functions; fixtures live in conftest.py)."""
from __future__ import annotations

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
