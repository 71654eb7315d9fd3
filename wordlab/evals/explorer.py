"""An interactive explorer: words in 2-D in a self-contained HTML page (plotly).

``explorer_html(store, words)`` (``wordlab plot projection|neighbors ... --html OUT``)
writes one HTML file that needs no server and no network: plotly.js is inside it. It
shows the words' 2-D projection (:func:`~wordlab.evals.figures.project_words`, PCA or
t-SNE), one colour per group; hovering a point shows the word and its nearest
neighbours in the whole store; the search box finds a word among the points, marks it
and lists its neighbours beside the plot. With ``compare=`` a second store that shares
the first one's space (aligned slices, a mapped store) is drawn in the same projection,
each word joined to its position in the other store.

plotly (the optional extra ``wordlab[explorer]``) draws the page: a well-kept library
whose pages embed their JavaScript, so the file opens anywhere; the search is a few
lines of our own script over plotly's API.
"""
from __future__ import annotations

import html
import os
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from ..errors import WordlabError

if TYPE_CHECKING:
    from ..store import Embeddings


def _plotly():
    try:
        import plotly
        import plotly.graph_objects as go
    except ImportError:
        raise WordlabError("the interactive explorer needs plotly: pip install 'wordlab[explorer]'") from None
    return plotly, go


def explorer_html(store: "Embeddings", words: Sequence[str] | Mapping[str, Sequence[str]] | None = None, *,
                  compare: "Embeddings | None" = None, method: str = "pca", topn: int = 5, max_words: int = 500,
                  names: Sequence[str] = ("A", "B"), title: str | None = None, seed: int = 0) -> str:
    """The explorer page (see the module docstring) as an HTML string.

    ``words``: a list, or groups (name -> words, one colour each); default the
    ``max_words`` most frequent words. ``compare``: an aligned second store; ``names``
    label the two. ``topn``: neighbours shown on hover and on search.
    """
    from .figures import project_words
    plotly, go = _plotly()
    chosen = list(store.words[:max_words]) if words is None else words
    if compare is None:
        frame = project_words(store, chosen, method=method, seed=seed)
        frame["store"] = names[0]
    else:
        frame = _joint_projection(store, compare, chosen, names)
    neighbours = _neighbour_text(store, compare, frame, topn, names)
    fig = go.Figure()
    groups = list(dict.fromkeys(frame["group"]))
    symbols = {names[0]: "circle", names[1]: "x"}
    for n, group in enumerate(groups):
        for side in dict.fromkeys(frame["store"]):
            part = frame[(frame["group"].isna() if group is None else frame["group"] == group)
                         & (frame["store"] == side)]
            label = " / ".join(x for x in (group, side if compare is not None else None) if x) or "words"
            fig.add_trace(go.Scatter(
                x=part["x"], y=part["y"], mode="markers+text", text=part["word"], textposition="top center",
                name=label, marker=dict(size=9, symbol=symbols[side], color=f"hsl({(n * 67) % 360},65%,45%)"),
                customdata=[neighbours[(w, s)] for w, s in zip(part["word"], part["store"])],
                hovertemplate="<b>%{text}</b><br>%{customdata}<extra>" + html.escape(label) + "</extra>"))
    if compare is not None:
        xs, ys = [], []
        both = frame.pivot_table(index="word", columns="store", values=["x", "y"], aggfunc="first")
        for word, row in both.iterrows():
            xs += [row[("x", names[0])], row[("x", names[1])], None]
            ys += [row[("y", names[0])], row[("y", names[1])], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(width=1, color="rgba(0,0,0,0.25)"),
                                 hoverinfo="skip", name=f"{names[0]} to {names[1]}"))
    fig.update_layout(title=title or _title(store, frame, method, compare, names), template="simple_white",
                      height=700, legend=dict(itemsizing="constant"))
    return _page(plotly, fig, title or "wordlab explorer")


def _title(store, frame, method, compare, names) -> str:
    what = "PCA" if method == "pca" else "t-SNE"
    where = f"{store.path.name if store.path else 'embeddings'}"
    if compare is not None:
        where += f" ({names[0]}) and {compare.path.name if compare.path else 'embeddings'} ({names[1]})"
    return f"{frame['word'].nunique()} words of {where}, {what} of the unit vectors"


def _joint_projection(a, b, words, names):
    """Both stores' vectors of the words they share, in one PCA (they must share a space)."""
    import pandas as pd

    from ..align.shift import ALIGNED_COSINE, alignment_cosine
    from .figures import _grouped_words
    flat, groups = _grouped_words(words)
    keep = [(w, g) for w, g in dict(zip(flat, groups)).items() if w in a and w in b]
    if len(keep) < 2:
        raise WordlabError(f"fewer than two of the words are in both stores ({len(keep)})")
    A = np.stack([a.get_vector(w, norm=True) for w, _ in keep]).astype(np.float64)
    B = np.stack([b.get_vector(w, norm=True) for w, _ in keep]).astype(np.float64)
    shared = alignment_cosine(A.astype(np.float32), B.astype(np.float32))
    if not shared >= ALIGNED_COSINE:
        raise WordlabError(f"the two stores share no alignment (median cosine of a word's two vectors {shared:.3f}, "
                           f"aligned stores: above {ALIGNED_COSINE}); align them first")
    X = np.vstack([A, B])
    centre = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - centre, full_matrices=False)
    xy = (X - centre) @ vt[:2].T
    n = len(keep)
    rows = [(w, g, float(xy[i, 0]), float(xy[i, 1]), names[0]) for i, (w, g) in enumerate(keep)]
    rows += [(w, g, float(xy[n + i, 0]), float(xy[n + i, 1]), names[1]) for i, (w, g) in enumerate(keep)]
    return pd.DataFrame(rows, columns=["word", "group", "x", "y", "store"])


def _neighbour_text(a, b, frame, topn: int, names) -> dict:
    """(word, store name) -> its ``topn`` nearest neighbours in that store, as hover text."""
    out = {}
    for store, name in ((a, names[0]), (b, names[1])):
        if store is None:
            continue
        words = list(dict.fromkeys(frame.loc[frame["store"] == name, "word"]))
        table = store.neighbors(words, topn=topn)
        for w in words:
            near = table[table["query"] == w]
            out[(w, name)] = ", ".join(f"{x} {s:.2f}" for x, s in zip(near["word"], near["similarity"]))
    return out


_SCRIPT = """
const plot = document.getElementById("plot");
const info = document.getElementById("info");
function find(word) {
  const q = word.trim().normalize("NFC").toLowerCase();
  for (const [t, trace] of plot.data.entries()) {
    if (!trace.text) continue;
    const i = trace.text.findIndex(w => String(w).normalize("NFC").toLowerCase() === q);
    if (i >= 0) return {t, i, trace};
  }
  return null;
}
function search(word) {
  const hit = find(word);
  if (!hit) {
    info.textContent = "'" + word + "' is not among the plotted words";
    Plotly.relayout(plot, {annotations: []});
    return false;
  }
  const x = hit.trace.x[hit.i], y = hit.trace.y[hit.i];
  info.innerHTML = "<b>" + hit.trace.text[hit.i] + "</b> (" + hit.trace.name + "): " + hit.trace.customdata[hit.i];
  Plotly.relayout(plot, {annotations: [{x: x, y: y, text: hit.trace.text[hit.i], showarrow: true, arrowhead: 2,
                                        arrowcolor: "crimson", font: {color: "crimson", size: 16}}]});
  return true;
}
document.getElementById("search").addEventListener("keydown", e => {
  if (e.key === "Enter") search(e.target.value);
});
"""


def _page(plotly, fig, title: str) -> str:
    from plotly.offline import get_plotlyjs
    data = fig.to_json()
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1em}} #info{{margin:.5em 0;min-height:1.5em}}
#search{{font-size:1em;padding:.2em .4em;width:20em}}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><label>Find a word: <input id="search" type="search" placeholder="a word, then Enter" autocomplete="off"></label>
<div id="info"></div><div id="plot"></div>
<script type="text/javascript">
const figure = {data};
Plotly.newPlot("plot", figure.data, figure.layout, {{responsive: true}}).then(() => {{
  document.body.setAttribute("data-ready", "1");
}});
{_SCRIPT}
</script></body></html>
"""


def write_explorer(path: str | os.PathLike, store: "Embeddings", words=None, *, overwrite: bool = False,
                   **options) -> str:
    """Write :func:`explorer_html` to ``path`` atomically (an existing file only with ``overwrite``)."""
    from pathlib import Path

    from ..atomic import atomic_file
    page = explorer_html(store, words, **options)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w", overwrite=overwrite, encoding="utf-8") as fh:
        fh.write(page)
    return str(path)


def neighbourhood_words(store: "Embeddings", word: str, topn: int = 5, depth: int = 2,
                        restrict_vocab: int | None = None) -> dict[str, list[str]]:
    """A word's neighbourhood as groups for the explorer: the word, then each depth's new words."""
    from .figures import neighbor_edges
    edges = neighbor_edges(store, word, topn=topn, depth=depth, restrict_vocab=restrict_vocab)
    groups: dict[str, list[str]] = {"query": [word]}
    seen = {word}
    for d in sorted(edges["depth"].unique()):
        new = [w for w in edges.loc[edges["depth"] == d, "target"] if w not in seen]
        seen.update(new)
        if new:
            groups[f"depth {d}"] = list(dict.fromkeys(new))
    return groups

