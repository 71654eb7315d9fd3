"""Evaluation plots (matplotlib; each returns the Figure; headless-safe)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..plotting import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .analogy import AnalogyResult
    from .similarity import SimilarityResult


def similarity_scatter(result: "SimilarityResult", title: str | None = None) -> "Figure":
    """Human score against model cosine for every scored pair."""
    fig = new_figure(5, 4.5)
    ax = fig.add_subplot()
    ax.scatter(result.gold, result.model, s=10, alpha=0.6)
    ax.set_xlabel("human score")
    ax.set_ylabel("cosine similarity")
    ax.set_title(title or f"{result.dataset}: Spearman {result.spearman:.3f}, "
                          f"coverage {100 * result.coverage:.1f}%")
    return fig


def analogy_sections(results: Sequence["AnalogyResult"], labels: Sequence[str] | None = None,
                     title: str | None = None) -> "Figure":
    """Per-section accuracy bars, one bar per store side by side."""
    import numpy as np
    labels = list(labels) if labels is not None else [f"store {i + 1}" for i in range(len(results))]
    sections = [s.section for s in results[0].sections] + ["total"]
    fig = new_figure(max(6, 0.6 * len(sections) * max(1, len(results)) / 2 + 3), 4.5)
    ax = fig.add_subplot()
    width = 0.8 / max(len(results), 1)
    x = np.arange(len(sections))
    for n, (result, label) in enumerate(zip(results, labels)):
        by_name = {s.section: s.accuracy for s in result.sections}
        by_name["total"] = result.total.accuracy
        ax.bar(x + n * width - 0.4 + width / 2, [by_name.get(s, np.nan) for s in sections], width, label=label)
    ax.set_xticks(x, sections, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(title or f"{results[0].dataset} ({results[0].method}, restrict_vocab={results[0].restrict_vocab})")
    ax.legend(fontsize=8)
    return fig
