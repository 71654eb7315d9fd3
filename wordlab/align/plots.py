"""Plots of aligned slices (matplotlib; each returns the Figure; headless-safe)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

import numpy as np

from ..errors import WordlabError
from ..plotting import new_figure, place_labels
from ..store import Embeddings

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def trajectory(slices: Mapping[str, Embeddings], word: str, topn: int = 5,
               restrict_vocab: int | None = 20_000, title: str | None = None) -> "Figure":
    """A word's path across aligned slices (Hamilton et al. 2016, Fig. 1 style).

    Left: a 2-D PCA projection of the word's vector in every slice (joined by arrows, in
    slice order) and of its ``topn`` nearest neighbours in each slice (in that slice's
    space, faded, labelled). Right: the neighbour lists per slice. The slices must
    share one space (CADE slices, or slices rotated onto a reference).
    """
    names = [n for n, e in slices.items() if word in e]
    if not names:
        raise WordlabError(f"{word!r} is in none of the slices")
    dims = {slices[n].dim for n in names}
    if len(dims) != 1:
        raise WordlabError(f"the slices have different dimensions {sorted(dims)}: they are not aligned")
    points, labels, kinds, neighbour_lists = [], [], [], {}
    for i, name in enumerate(names):
        emb = slices[name]
        v = emb.get_vector(word, norm=True)
        points.append(v)
        labels.append(f"{word} ({name})")
        kinds.append((i, True))
        nb = emb.most_similar(word, topn=topn, restrict_vocab=restrict_vocab)
        words = [w for w, _ in nb]
        neighbour_lists[name] = words
        for w in words:
            points.append(emb.get_vector(w, norm=True))
            labels.append(w)
            kinds.append((i, False))
    P = np.asarray(points, dtype=np.float64)
    P = P - P.mean(axis=0)
    _, _, vt = np.linalg.svd(P, full_matrices=False)
    xy = P @ vt[:2].T

    import matplotlib
    colours = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, len(names)))
    fig = new_figure(11, 5.5)
    ax, side = fig.subplots(1, 2, width_ratios=[2.2, 1])
    for (i, is_word), (x, y) in zip(kinds, xy):
        if is_word:            # one legend entry per slice: its colour
            ax.scatter([x], [y], s=70, color=colours[i], edgecolor="black", zorder=3, label=names[i])
        else:
            ax.scatter([x], [y], s=18, color=colours[i], alpha=0.45)
    # the word's own labels first, so its neighbours' make way for them
    order = sorted(range(len(labels)), key=lambda n: not kinds[n][1])
    styles = [dict(fontsize=10, weight="bold") if kinds[n][1]
              else dict(fontsize=8, alpha=0.7, color=colours[kinds[n][0]]) for n in order]
    place_labels(ax, xy[order], [labels[n] for n in order], styles)
    ax.margins(0.1)
    word_xy = np.array([p for (i, w), p in zip(kinds, xy) if w])
    for (x0, y0), (x1, y1) in zip(word_xy[:-1], word_xy[1:]):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", lw=1.5, color="black"))
    ax.legend(title="slice", fontsize=8, title_fontsize=8, loc="best")
    ax.set_title(title or f"trajectory of '{word}' across {', '.join(names)} (PCA)")
    ax.set_xticks([])
    ax.set_yticks([])
    side.axis("off")
    text = "\n\n".join(f"{name}:\n  " + ", ".join(ws) for name, ws in neighbour_lists.items())
    side.text(0.0, 1.0, f"nearest neighbours of '{word}'\n\n{text}", va="top", fontsize=9, wrap=True,
              transform=side.transAxes)
    return fig
