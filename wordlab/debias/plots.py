"""Plots of bias (matplotlib; each returns the Figure; headless-safe)."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ..plotting import new_figure
from .direction import BiasDirection
from .wordlists import MAX_MISSING, as_words, find_words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..store import Embeddings


def professions_plot(original: "Embeddings", debiased: "Embeddings", direction: BiasDirection,
                     words: str | os.PathLike | Iterable[str] = "professions", n: int = 15,
                     title: str | None = None, max_missing: float | None = MAX_MISSING) -> "Figure":
    """Words projected on the bias direction before and after debiasing.

    Parameters
    ----------
    original, debiased : Embeddings
    direction : BiasDirection
        The direction debiased against (projections are cosines with it).
    words : words, path, or debiaswe list name, default "professions"
    n : int, default 15
        The ``n`` most negative and ``n`` most positive words (by original projection)
        are shown, one row each: a filled dot before, an open dot after.
    title : str, optional
    max_missing : float or None, default 0.5

    Returns
    -------
    matplotlib.figure.Figure
    """
    found = find_words(original, as_words(words), name="plotted words", max_missing=max_missing, warn=False).found
    found = [w for w in found if w in debiased]
    before = direction.project(original, found).sort_values()
    shown = list(before.index[:n]) + [w for w in before.index[-n:] if w not in set(before.index[:n])]
    after = direction.project(debiased, shown)
    fig = new_figure(6.5, max(3.0, 0.22 * len(shown) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(shown))
    ax.hlines(y, before.loc[shown].to_numpy(), after.to_numpy(), color="0.75", lw=1)
    ax.scatter(before.loc[shown].to_numpy(), y, s=22, color="C3", label="before", zorder=3)
    ax.scatter(after.to_numpy(), y, s=22, facecolors="none", edgecolors="C0", label="after", zorder=3)
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_yticks(y, [w.replace("_", " ") for w in shown], fontsize=7)
    side = f" ({direction.pairs[0][1]} <- -> {direction.pairs[0][0]})" if direction.pairs else ""
    ax.set_xlabel(f"projection on the bias direction{side}")
    ax.set_title(title or f"{len(shown)} most biased of {len(found)} words, before and after debiasing", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return fig
