"""General figures for exploring runs and stores (matplotlib; each returns the Figure).

- :func:`loss_curves`: loss per epoch of one run or several (stores, histories);
- :func:`projection`: chosen words in 2-D (PCA by default, t-SNE with scikit-learn), labelled;
- :func:`neighbor_graph`: a word's nearest neighbours, and theirs, as a radial graph
  (:func:`neighbor_edges` gives the same graph as a table);
- :func:`evaluation_bars`: one bar per store and dataset from :func:`wordlab.evals.evaluate`.

A word's trajectory across aligned slices is :func:`wordlab.align.plots.trajectory`;
per-section analogy bars and the similarity scatter are in :mod:`wordlab.evals.plots`.
Every function builds a ``matplotlib.figure.Figure`` directly (never pyplot), so it is
headless-safe; a notebook shows the returned Figure, restyles it through ``fig.axes``,
and ``fig.savefig("out.png")`` writes it (as the ``wordlab plot`` commands do).
"""
from __future__ import annotations

import math
import os
import warnings
from numbers import Real
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from .._deprecation import deprecated_alias
from ..errors import WordlabError
from ..plotting import new_figure, place_labels
from ..store import Embeddings

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

PROJECTIONS = ("pca", "tsne")
#: the metric :func:`evaluation_bars` shows per task unless told otherwise
DEFAULT_METRICS = {"similarity": "spearman", "analogy": "accuracy", "evalrank": "mrr"}


# -- loss curves --------------------------------------------------------------------------------
def _history(run) -> list[float]:
    """Per-epoch losses of a store, a store path, a list of numbers or a list of history records."""
    if isinstance(run, (str, os.PathLike)):
        from ..store import load
        run = load(run)
    if isinstance(run, Embeddings):
        meta = run.meta or {}
        if meta.get("loss_history"):
            return [float(x) for x in meta["loss_history"]]
        if meta.get("history"):
            return [float(h["loss"]) for h in meta["history"]]
        where = f" {run.path}" if run.path else ""
        raise WordlabError(f"the store{where} has no loss history (was it trained by wordlab?)")
    values = list(run)
    if values and all(isinstance(v, Mapping) for v in values):
        return [float(v["loss"]) for v in values]
    if values and all(isinstance(v, Real) for v in values):
        return [float(v) for v in values]
    raise WordlabError("a run is a store, a store path, a list of per-epoch losses or a list of history records")


def _loss_unit(run) -> str | None:
    """What a trained store's loss measures (its method's ``loss_unit``), or None when not known."""
    if isinstance(run, (str, os.PathLike)):
        from ..store import load
        run = load(run)
    if not isinstance(run, Embeddings):
        return None
    from ..trainers.registry import REGISTRY
    method = REGISTRY.get((run.meta or {}).get("method"))
    return method.trainer.loss_unit if method is not None else None


def _is_single_run(runs) -> bool:
    if isinstance(runs, (Embeddings, str, os.PathLike)):
        return True
    if isinstance(runs, Mapping):
        return False
    values = list(runs)
    return bool(values) and all(isinstance(v, (Real, Mapping)) for v in values)


def _run_label(run, position: int) -> str:
    if isinstance(run, Embeddings):
        method = (run.meta or {}).get("method")
        if method:
            return str(method)
        if run.path:
            return run.path.name
    if isinstance(run, (str, os.PathLike)):
        return os.path.basename(os.fspath(run).rstrip("/")) or os.fspath(run)
    return f"run {position + 1}"


def loss_curves(runs, labels: Sequence[str] | None = None, *, relative: bool = False, separate: bool = False,
                title: str | None = None) -> "Figure":
    """Loss per epoch of one run or several.

    Parameters
    ----------
    runs : a run, a sequence of runs, or a mapping label -> run
        A run is a trained store (its ``meta["loss_history"]``), a store path, a list of
        per-epoch losses, or a list of history records (``meta["history"]``).
    labels : names for the runs (default: the mapping's keys, else each store's method).
    relative : divide each curve by its first epoch's loss, so runs with losses in
        different units (SGNS's log-loss, GloVe's weighted squared error) share an axis.
    separate : one panel per run, each with its own y-axis.

    Returns the Figure: one line per run (x = epoch, from 1), or one axes per run. The
    y-axis names the loss's unit (each method's ``loss_unit``); on one axis with several
    units, each legend entry names its own, and each panel of ``separate`` its own.
    """
    if isinstance(runs, Mapping):
        items = list(runs.values())
        names = [str(k) for k in runs]
    else:
        items = [runs] if _is_single_run(runs) else list(runs)
        names = [_run_label(r, i) for i, r in enumerate(items)]
    if not items:
        raise WordlabError("loss_curves needs at least one run")
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != len(items):
            raise WordlabError(f"{len(labels)} labels for {len(items)} runs")
        names = labels
    curves = [np.asarray(_history(r), dtype=np.float64) for r in items]
    units = [_loss_unit(r) for r in items]
    if relative:
        curves = [c / c[0] if c.size and c[0] != 0 else np.full_like(c, np.nan) for c in curves]
    known = {u for u in units if u is not None}
    mixed = not relative and len(known) > 1            # one axis, several units: each line names its own
    if relative:
        ylabel = "loss / first epoch's loss"
    elif mixed:
        ylabel = "loss, in each method's units (legend)"
    else:
        ylabel = known.pop() if known else "mean loss per example"
    if separate:
        cols = min(3, len(curves))
        rows = math.ceil(len(curves) / cols)
        fig = new_figure(3.6 * cols, 2.8 * rows)
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        for n, (ax, c, name) in enumerate(zip(axes, curves, names)):
            ax.plot(np.arange(1, c.size + 1), c, marker="o", color=f"C{n % 10}")
            ax.set_title(name, fontsize=10)
            ax.set_xlabel("epoch")
            # each panel says what its own axis measures
            ax.set_ylabel(ylabel if relative or units[n] is None else units[n], fontsize=8)
            ax.xaxis.get_major_locator().set_params(integer=True)
        for ax in axes[len(curves):]:
            ax.set_visible(False)
        if title:
            fig.suptitle(title)
        return fig
    fig = new_figure(6, 4)
    ax = fig.add_subplot()
    for c, name, unit in zip(curves, names, units):
        ax.plot(np.arange(1, c.size + 1), c, marker="o", label=f"{name} ({unit})" if mixed and unit else name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title or ("loss per epoch" if len(curves) > 1 else f"loss per epoch: {names[0]}"))
    if len(curves) > 1:
        ax.legend(fontsize=8)
    return fig


# -- 2-D projection -----------------------------------------------------------------------------
def _grouped_words(words) -> tuple[list[str], list[str | None]]:
    if isinstance(words, str):
        raise WordlabError("projection takes a list of words (or a mapping group -> words), not one string")
    if isinstance(words, Mapping):
        flat, groups = [], []
        for group, members in words.items():
            members = [members] if isinstance(members, str) else list(members)
            flat += members
            groups += [str(group)] * len(members)
        return flat, groups
    flat = list(words)
    return flat, [None] * len(flat)


def project_words(store: Embeddings, words, method: str = "pca", seed: int = 0,
                  perplexity: float | None = None) -> "pd.DataFrame":
    """The 2-D coordinates :func:`projection` plots: DataFrame (word, group, x, y).

    Words the store lacks are left out with a warning. PCA is on the unit vectors,
    centred; t-SNE (scikit-learn) uses cosine distances, PCA initialisation and
    ``perplexity`` (default: min(30, (n - 1) / 3)).
    """
    import pandas as pd
    if method not in PROJECTIONS:
        raise WordlabError(f"method must be one of {PROJECTIONS}, not {method!r}")
    flat, groups = _grouped_words(words)
    keep = [(w, g) for w, g in zip(flat, groups) if w in store]
    missing = [w for w in flat if w not in store]
    if missing:
        warnings.warn(f"not in the vocabulary, left out: {', '.join(missing[:10])}"
                      + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""), stacklevel=3)
    seen, unique = set(), []
    for w, g in keep:
        if w not in seen:
            seen.add(w)
            unique.append((w, g))
    minimum = 2 if method == "pca" else 4
    if len(unique) < minimum:
        raise WordlabError(f"a {method} projection needs at least {minimum} words in the vocabulary, "
                           f"got {len(unique)}")
    X = np.stack([store.get_vector(w, norm=True) for w, _ in unique]).astype(np.float64)
    if method == "pca":
        Xc = X - X.mean(axis=0)
        _, s, vt = np.linalg.svd(Xc, full_matrices=False)
        xy = Xc @ vt[:2].T
        if xy.shape[1] < 2:
            xy = np.hstack([xy, np.zeros((xy.shape[0], 1))])
        share = (s ** 2) / max(float((s ** 2).sum()), 1e-300)
        explained = [float(share[i]) if i < share.size else 0.0 for i in range(2)]
    else:
        try:
            from sklearn.manifold import TSNE
        except ImportError:  # pragma: no cover - scikit-learn is a dependency
            raise WordlabError("t-SNE needs scikit-learn; use method='pca'") from None
        n = X.shape[0]
        perp = perplexity if perplexity is not None else min(30.0, max(1.0, (n - 1) / 3.0))
        if perp >= n:
            raise WordlabError(f"perplexity {perp} must be below the number of words ({n})")
        xy = TSNE(n_components=2, perplexity=perp, init="pca", metric="cosine", random_state=seed).fit_transform(X)
        explained = None
    frame = pd.DataFrame({"word": [w for w, _ in unique], "group": [g for _, g in unique],
                          "x": xy[:, 0], "y": xy[:, 1]})
    frame.attrs["method"] = method
    frame.attrs["explained_variance"] = explained
    return frame


def projection(store: Embeddings, words, *, method: str = "pca", title: str | None = None, seed: int = 0,
               perplexity: float | None = None) -> "Figure":
    """Chosen words in 2-D, each point labelled with its word.

    Parameters
    ----------
    store : Embeddings
    words : list of words, or a mapping group -> words (one colour and legend entry per group)
    method : "pca" (default; axes show the explained variance) or "tsne" (scikit-learn;
        ``seed`` and ``perplexity`` as :func:`project_words`)
    """
    frame = project_words(store, words, method=method, seed=seed, perplexity=perplexity)
    fig = new_figure(7, 5.5)
    ax = fig.add_subplot()
    groups = list(dict.fromkeys(frame["group"]))
    for n, group in enumerate(groups):
        part = frame[frame["group"].isna()] if group is None else frame[frame["group"] == group]
        ax.scatter(part["x"], part["y"], s=28, color=f"C{n % 10}", label=group if group is not None else None)
    place_labels(ax, frame[["x", "y"]].to_numpy(), frame["word"])
    if method == "pca":
        ev = frame.attrs["explained_variance"]
        ax.set_xlabel(f"PC1 ({100 * ev[0]:.0f}% of the variance)")
        ax.set_ylabel(f"PC2 ({100 * ev[1]:.0f}% of the variance)")
    else:
        ax.set_xlabel("t-SNE 1")
        ax.set_ylabel("t-SNE 2")
    ax.margins(0.12)      # room for the labels, which do not count towards the axis limits
    if any(g is not None for g in groups):
        ax.legend(fontsize=8)
    ax.set_title(title or f"{len(frame)} words, {'PCA' if method == 'pca' else 't-SNE'} of the unit vectors")
    return fig


# -- nearest-neighbour graph --------------------------------------------------------------------
def neighbor_edges(store: Embeddings, word: str, topn: int = 5, depth: int = 2,
                    restrict_vocab: int | None = None) -> "pd.DataFrame":
    """A word's neighbourhood as edges: DataFrame (source, target, similarity, depth, tree).

    Breadth first: the ``topn`` nearest neighbours of ``word`` (depth 1), then theirs
    (depth 2), ... up to ``depth``. ``tree`` is True for the edge through which a word
    was first reached, False for an edge to a word already in the graph.
    """
    import pandas as pd
    if topn < 1 or depth < 1:
        raise WordlabError(f"topn and depth must be at least 1, not {topn} and {depth}")
    store.index_of(word)  # an unknown word raises UnknownWordError
    seen = {word}
    frontier = [word]
    rows = []
    for level in range(1, depth + 1):
        if not frontier:
            break
        table = store.neighbors(frontier, topn=topn, restrict_vocab=restrict_vocab)
        following = []
        for rec in table.itertuples(index=False):
            first = rec.word not in seen
            if first:
                seen.add(rec.word)
                following.append(rec.word)
            rows.append((rec.query, rec.word, float(rec.similarity), level, first))
        frontier = following
    return pd.DataFrame(rows, columns=["source", "target", "similarity", "depth", "tree"])


def _radial_layout(root: str, edges: "pd.DataFrame") -> dict[str, tuple[float, float, int]]:
    """word -> (x, y, depth): the root in the middle, each depth on its own ring, every
    child inside its parent's angular sector."""
    children: dict[str, list[str]] = {}
    for rec in edges[edges["tree"]].itertuples(index=False):
        children.setdefault(rec.source, []).append(rec.target)
    pos = {root: (0.0, 0.0, 0)}

    def place(node: str, lo: float, hi: float, level: int) -> None:
        kids = children.get(node, [])
        if not kids:
            return
        step = (hi - lo) / len(kids)
        for i, kid in enumerate(kids):
            a, b = lo + i * step, lo + (i + 1) * step
            angle = (a + b) / 2
            pos[kid] = (level * math.cos(angle), level * math.sin(angle), level)
            place(kid, a, b, level + 1)

    place(root, 0.0, 2 * math.pi, 1)
    return pos


def neighbor_graph(store: Embeddings, word: str, topn: int = 5, depth: int = 2,
                    restrict_vocab: int | None = None, title: str | None = None) -> "Figure":
    """The nearest-neighbour graph of ``word`` (see :func:`neighbor_edges`), drawn radially.

    The word sits in the middle, its neighbours on the first ring, theirs on the second
    (each near the word it was reached from). Solid edges reach a word for the first
    time, dashed grey ones join words already in the graph (tight clusters show many);
    thicker edges are more similar, and each tree edge is labelled with its cosine.
    """
    edges = neighbor_edges(store, word, topn, depth, restrict_vocab)
    pos = _radial_layout(word, edges)
    size = 7 if depth <= 2 else 9
    fig = new_figure(size, size)
    ax = fig.add_subplot()
    for rec in edges.itertuples(index=False):
        (x0, y0, _), (x1, y1, _) = pos[rec.source], pos[rec.target]
        width = 0.5 + 2.5 * max(rec.similarity, 0.0)
        if rec.tree:
            ax.plot([x0, x1], [y0, y1], color="C0", lw=width, alpha=0.7, zorder=1)
            if rec.depth == 1:
                ax.annotate(f"{rec.similarity:.2f}", ((x0 + x1) / 2, (y0 + y1) / 2), fontsize=7,
                            color="C0", ha="center", va="center",
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
        else:
            ax.plot([x0, x1], [y0, y1], color="grey", lw=0.6 * width, alpha=0.45, ls="--", zorder=0)
    colours = {0: "C3", 1: "C1", 2: "C2"}
    for w, (x, y, level) in pos.items():
        ax.scatter([x], [y], s=160 if level == 0 else 50, color=colours.get(level, "C4"), zorder=2,
                   edgecolor="black" if level == 0 else "none")
        ax.annotate(w, (x, y), xytext=(0, 7 if level else 10), textcoords="offset points", ha="center",
                    fontsize=12 if level == 0 else 9, weight="bold" if level == 0 else "normal", zorder=3)
    reach = max(level for _, _, level in pos.values()) + 0.6
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or f"nearest neighbours of '{word}' (top {topn}, depth {depth})")
    return fig


# -- evaluation bars ----------------------------------------------------------------------------
def evaluation_bars(table: "pd.DataFrame", metric: str | Mapping[str, str] | None = None, *,
                    labels: Mapping[str, str] | None = None, title: str | None = None) -> "Figure":
    """One group of bars per dataset, one bar per store, the value written on each bar.

    Parameters
    ----------
    table : the tidy table of :func:`wordlab.evals.evaluate` (its section-``total``
        rows are used), or a wide table (index: stores, columns: datasets, values).
    metric : the metric to show: one name for every dataset, a mapping dataset ->
        metric, or None for each task's default (Spearman for similarity, accuracy for
        analogies, MRR for EvalRank). Ignored for a wide table.
    labels : mapping store -> display name (e.g. paths to method names).
    """
    import pandas as pd
    if {"store", "dataset", "metric", "value"}.issubset(table.columns):
        rows = table[table["section"] == "total"] if "section" in table.columns else table
        if rows.empty:
            raise WordlabError("the table has no rows to plot")
        datasets = list(dict.fromkeys(rows["dataset"]))
        chosen = {}
        for d in datasets:
            part = rows[rows["dataset"] == d]
            if isinstance(metric, str):
                m = metric
            elif isinstance(metric, Mapping) and d in metric:
                m = metric[d]
            else:
                task = part["task"].iloc[0] if "task" in part.columns else None
                m = DEFAULT_METRICS.get(task, part["metric"].iloc[0])
            if m not in set(part["metric"]):
                raise WordlabError(f"dataset {d!r} has no metric {m!r}; it has {sorted(set(part['metric']))}")
            chosen[d] = m
        picked = pd.concat([rows[(rows["dataset"] == d) & (rows["metric"] == m)] for d, m in chosen.items()])
        # every store and dataset keeps its place, a value that could not be computed too (NaN)
        wide = picked.pivot_table(index="store", columns="dataset", values="value", sort=False, dropna=False)
        wide = wide.reindex(index=list(dict.fromkeys(rows["store"])), columns=datasets)
        ticks = [f"{d}\n({chosen[d]})" for d in datasets]
    else:
        wide = table
        ticks = [str(c) for c in wide.columns]
    stores = [str(s) for s in wide.index]
    names = [labels.get(s, s) if labels else s for s in stores]
    values = wide.to_numpy(dtype=np.float64)
    n_stores, n_sets = values.shape
    fig = new_figure(min(11.0, max(5.5, 1.1 * n_sets * max(1, n_stores) ** 0.5 + 2.5)), 4.5)
    ax = fig.add_subplot()
    width = 0.8 / max(n_stores, 1)
    x = np.arange(n_sets)
    for i, name in enumerate(names):
        bars = ax.bar(x - 0.4 + width * (i + 0.5), values[i], width, label=name, color=f"C{i % 10}")
        ax.bar_label(bars, labels=["" if np.isnan(v) else f"{v:.2f}" for v in values[i]], fontsize=7, padding=1)
        for xi, v in zip(x - 0.4 + width * (i + 0.5), values[i]):
            if np.isnan(v):                 # a bar that could not be computed is named, not left out
                ax.text(xi, 0, "n/a", ha="center", va="bottom", fontsize=7, color=f"C{i % 10}")
    ax.set_xticks(x, ticks, fontsize=8)
    finite = values[np.isfinite(values)]
    top = max(float(finite.max()) if finite.size else 1.0, 0.0)
    bottom = min(float(finite.min()) if finite.size else 0.0, 0.0)
    ax.set_ylim(bottom * 1.15, top * 1.15 if top > 0 else 1.0)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("score")
    ax.legend(fontsize=8, ncol=min(n_stores, 3))
    ax.set_title(title or "evaluation across stores")
    if not finite.size:
        ax.text(0.5, 0.5, "nothing to show: no store could be scored on these datasets\n"
                "(no pair or question had all its words in a vocabulary)", transform=ax.transAxes,
                ha="center", va="center", fontsize=10)
    elif np.isnan(values).any():
        fig.supxlabel("n/a: not computed (no item of the dataset in that store's vocabulary)", fontsize=8)
    return fig


neighbour_edges = deprecated_alias(neighbor_edges, "neighbour_edges")
neighbour_graph = deprecated_alias(neighbor_graph, "neighbour_graph")

__all__ = ["DEFAULT_METRICS", "PROJECTIONS", "evaluation_bars", "loss_curves", "neighbor_edges",
           "neighbor_graph", "neighbour_edges", "neighbour_graph", "project_words", "projection"]
