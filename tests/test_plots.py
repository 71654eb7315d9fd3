"""Tests of the general figures (``wordlab.evals.figures``) and the ``wordlab plot`` commands.

Every figure is checked on tiny stores whose answer is known: the lines, points, bars and
labels the Figure holds, not how it looks.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from wordlab import Embeddings  # noqa: E402
from wordlab.cli.main import cli  # noqa: E402
from wordlab.errors import UnknownWordError, WordlabError  # noqa: E402
from wordlab.evals import figures  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _agg_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _store(method="sgns", losses=(3.0, 2.5, 2.25), seed=0):
    """Three tight clusters of four words (a*, b*, c*) in 8 dimensions, with a loss history."""
    rng = np.random.default_rng(seed)
    centres = np.eye(8)[:3] * 5
    words, rows = [], []
    for name, centre in zip("abc", centres):
        for i in range(4):
            words.append(f"{name}{i}")
            rows.append(centre + rng.normal(scale=0.3, size=8))
    meta = {"method": method, "loss_history": list(losses),
            "history": [{"epoch": i + 1, "loss": x} for i, x in enumerate(losses)]}
    return Embeddings(words, np.asarray(rows, dtype=np.float32), counts=np.arange(12, 0, -1), meta=meta)


def _texts(ax):
    return [t.get_text() for t in ax.texts]


# -- loss curves -------------------------------------------------------------------------------
def test_loss_curves_single_store():
    fig = figures.loss_curves(_store())
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [1, 2, 3]
    assert list(line.get_ydata()) == [3.0, 2.5, 2.25]
    assert ax.get_xlabel() == "epoch"
    assert "sgns" in ax.get_title()


def test_loss_curves_several_runs_kinds_and_labels():
    runs = {"sgns": _store(), "list": [4.0, 2.0], "records": [{"loss": 1.0}, {"loss": 0.5}, {"loss": 0.25}]}
    fig = figures.loss_curves(runs)
    ax = fig.axes[0]
    assert [l.get_label() for l in ax.get_lines()] == ["sgns", "list", "records"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgns", "list", "records"]
    fig = figures.loss_curves([_store("glove", (0.07, 0.05)), _store("pu", (0.5, 0.45, 0.44))])
    assert [l.get_label() for l in fig.axes[0].get_lines()] == ["glove (weighted squared error per record)",
                                                                 "pu (objective per observed pair)"]
    fig = figures.loss_curves([[1.0, 0.5]], labels=["mine"])
    assert fig.axes[0].get_lines()[0].get_label() == "mine"


def test_loss_curves_relative_and_separate():
    runs = [_store("sgns", (3.0, 1.5)), _store("glove", (0.08, 0.02, 0.01))]
    fig = figures.loss_curves(runs, relative=True)
    ys = [list(l.get_ydata()) for l in fig.axes[0].get_lines()]
    assert ys[0] == [1.0, 0.5]
    assert ys[1] == pytest.approx([1.0, 0.25, 0.125])
    assert "first epoch" in fig.axes[0].get_ylabel()
    fig = figures.loss_curves(runs + [[5.0, 4.0, 3.0, 2.0]], separate=True, title="three runs")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["sgns", "glove", "run 3"]
    assert [len(ax.get_lines()) for ax in visible] == [1, 1, 1]
    assert fig._suptitle.get_text() == "three runs"


def test_loss_curves_errors(tmp_path):
    plain = Embeddings(["a", "b"], np.eye(2, dtype=np.float32))
    with pytest.raises(WordlabError, match="no loss history"):
        figures.loss_curves(plain)
    with pytest.raises(WordlabError, match="2 labels for 1 runs"):
        figures.loss_curves([[1.0, 2.0]], labels=["a", "b"])
    with pytest.raises(WordlabError, match="at least one run"):
        figures.loss_curves([])
    path = _store().save(tmp_path / "s")          # a store path works too
    assert list(figures.loss_curves(str(path)).axes[0].get_lines()[0].get_ydata()) == [3.0, 2.5, 2.25]


# -- projection --------------------------------------------------------------------------------
def test_projection_pca_matches_numpy_and_labels_every_word():
    emb = _store()
    words = ["a0", "a1", "b0", "b1", "c0", "c1"]
    frame = figures.project_words(emb, words)
    X = np.stack([emb.get_vector(w, norm=True) for w in words]).astype(np.float64)
    Xc = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(Xc, full_matrices=False)
    expected = Xc @ vt[:2].T
    for k, col in enumerate(["x", "y"]):   # equal up to the sign of each component
        got = frame[col].to_numpy()
        assert np.allclose(np.abs(got), np.abs(expected[:, k]), atol=1e-5)
    fig = figures.projection(emb, words)
    ax = fig.axes[0]
    assert sorted(_texts(ax)) == sorted(words)
    assert ax.get_xlabel().startswith("PC1") and "variance" in ax.get_ylabel()
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(words)


def test_projection_groups_colours_and_missing_words():
    emb = _store()
    groups = {"A": ["a0", "a1", "a2"], "B": ["b0", "b1"], "C": ["c0", "nope"]}
    with pytest.warns(UserWarning, match="nope"):
        fig = figures.projection(emb, groups, title="groups")
    ax = fig.axes[0]
    assert [len(c.get_offsets()) for c in ax.collections] == [3, 2, 1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B", "C"]
    assert ax.get_title() == "groups"
    # the clusters stay apart in the projection
    frame = figures.project_words(emb, ["a0", "a1", "b0", "b1", "c0", "c1"])
    pts = frame[["x", "y"]].to_numpy()
    within = np.linalg.norm(pts[0] - pts[1])
    between = min(np.linalg.norm(pts[0] - pts[2]), np.linalg.norm(pts[0] - pts[4]))
    assert within < between


def test_projection_tsne_and_errors():
    emb = _store()
    words = [w for w in emb.words]
    fig = figures.projection(emb, words, method="tsne", seed=0)
    ax = fig.axes[0]
    assert sorted(_texts(ax)) == sorted(words)
    assert ax.get_xlabel() == "t-SNE 1"
    with pytest.raises(WordlabError, match="method must be"):
        figures.projection(emb, words, method="umap")
    with pytest.raises(WordlabError, match="at least 2 words"):
        figures.projection(emb, ["a0"])
    with pytest.raises(WordlabError, match="not one string"):
        figures.projection(emb, "a0")
    with pytest.raises(WordlabError, match="perplexity"):
        figures.projection(emb, words[:5], method="tsne", perplexity=10)


# -- neighbour graph ---------------------------------------------------------------------------
def test_neighbor_edges_breadth_first():
    emb = _store()
    edges = figures.neighbor_edges(emb, "a0", topn=3, depth=2)
    first = edges[edges["depth"] == 1]
    assert first["source"].eq("a0").all()
    assert set(first["target"]) == {"a1", "a2", "a3"}          # its own cluster
    assert first["tree"].all()
    second = edges[edges["depth"] == 2]
    assert set(second["source"]) == {"a1", "a2", "a3"}
    assert not second["tree"].any()                            # all within the known cluster
    assert np.allclose(first["similarity"], [emb.similarity("a0", w) for w in first["target"]], atol=1e-6)
    edges = figures.neighbor_edges(emb, "a0", topn=4, depth=2)
    reached = set(edges.loc[edges["tree"], "target"])
    assert {"a1", "a2", "a3"} <= reached and len(reached) > 3   # the 4th neighbour leaves the cluster
    with pytest.raises(UnknownWordError):
        figures.neighbor_edges(emb, "zzz")
    with pytest.raises(WordlabError, match="at least 1"):
        figures.neighbor_edges(emb, "a0", depth=0)


def test_neighbor_graph_draws_every_node_and_edge():
    emb = _store()
    edges = figures.neighbor_edges(emb, "b1", topn=4, depth=2)
    fig = figures.neighbor_graph(emb, "b1", topn=4, depth=2)
    ax = fig.axes[0]
    nodes = {"b1"} | set(edges["target"])
    labels = _texts(ax)
    assert nodes <= set(labels)
    assert len(ax.get_lines()) == len(edges)
    dashed = [l for l in ax.get_lines() if l.get_linestyle() == "--"]
    assert len(dashed) == int((~edges["tree"]).sum())
    assert len(ax.collections) == len(nodes)
    assert "'b1'" in ax.get_title()


# -- evaluation bars ---------------------------------------------------------------------------
def _tidy():
    rows = []
    for store, (rho, acc) in {"runs/sgns": (0.5, 0.2), "runs/pu": (0.6, -0.1)}.items():
        rows += [(store, "ws353", "similarity", "total", "spearman", rho, 0.9),
                 (store, "ws353", "similarity", "total", "pearson", rho - 0.1, 0.9),
                 (store, "google-analogy", "analogy", "capital", "accuracy", 0.99, 0.5),
                 (store, "google-analogy", "analogy", "total", "accuracy", acc, 0.5),
                 (store, "google-analogy", "analogy", "total", "mrr@10", acc + 0.1, 0.5)]
    return pd.DataFrame(rows, columns=["store", "dataset", "task", "section", "metric", "value", "coverage"])


def test_evaluation_bars_from_tidy_table():
    fig = figures.evaluation_bars(_tidy(), labels={"runs/sgns": "SGNS", "runs/pu": "PU"})
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([0.5, 0.2, 0.6, -0.1])     # store by store, datasets in table order
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGNS", "PU"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ws353\n(spearman)", "google-analogy\n(accuracy)"]
    assert {"0.50", "0.20", "0.60", "-0.10"} <= set(_texts(ax))
    assert ax.get_ylim()[0] < -0.1
    fig = figures.evaluation_bars(_tidy(), {"google-analogy": "mrr@10"})
    assert [p.get_height() for p in fig.axes[0].patches] == pytest.approx([0.5, 0.3, 0.6, 0.0])
    with pytest.raises(WordlabError, match="no metric 'hits@1'"):
        figures.evaluation_bars(_tidy(), "hits@1")


def test_evaluation_bars_from_wide_table():
    wide = pd.DataFrame({"ws353": [0.3, 0.4, 0.5], "simlex": [0.1, 0.2, np.nan]}, index=["x", "y", "z"])
    fig = figures.evaluation_bars(wide, title="wide")
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ws353", "simlex"]
    assert ax.get_title() == "wide"


# -- the CLI -----------------------------------------------------------------------------------
def test_cli_plot_commands_write_png(tmp_path):
    a = _store("sgns").save(tmp_path / "a")
    b = _store("cbow", (4.0, 3.0, 2.0, 1.5), seed=1).save(tmp_path / "b")
    runner = CliRunner()
    cases = {
        "loss.png": ["plot", "loss", str(a), str(b), "--relative"],
        "loss1.png": ["plot", "loss", str(a), "--separate"],
        "proj.png": ["plot", "projection", str(a), "a0", "a1", "b0", "b1", "c0"],
        "tsne.png": ["plot", "projection", str(a), *[f"{c}{i}" for c in "abc" for i in range(4)], "--method", "tsne"],
        "nn.png": ["plot", "neighbors", str(a), "c2", "--topn", "3", "--depth", "2"],
    }
    for name, args in cases.items():
        out = tmp_path / name
        result = runner.invoke(cli, args + ["-o", str(out)])
        assert result.exit_code == 0, (name, result.output)
        assert out.read_bytes()[:8] == PNG_MAGIC, name
    result = runner.invoke(cli, ["plot", "neighbors", str(a), "zzz", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "Error:" in result.output
    result = runner.invoke(cli, ["plot", "loss", str(a), "--label", "x", "--label", "y", "-o", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and "2 --label for 1 stores" in result.output


def test_cli_plot_eval(tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("a0\ta1\t9\na0\tb0\t1\nb0\tb1\t8\nc0\ta2\t2\nc1\tc2\t7\n", encoding="utf-8")
    a = _store("sgns").save(tmp_path / "a")
    b = _store("cbow", seed=3).save(tmp_path / "b")
    out = tmp_path / "bars.png"
    result = CliRunner().invoke(cli, ["plot", "eval", str(a), str(b), "-d", str(pairs), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_the_old_spellings_still_work_and_say_they_are_deprecated(tmp_path):
    from wordlab.align import cross_neighbours, mutual_nearest_neighbours
    emb = _store()
    with pytest.warns(DeprecationWarning, match="use neighbor_edges"):
        old = figures.neighbour_edges(emb, "a0", topn=3, depth=1)
    pd.testing.assert_frame_equal(old, figures.neighbor_edges(emb, "a0", topn=3, depth=1))
    with pytest.warns(DeprecationWarning, match="use cross_neighbors"):
        cross_neighbours(emb, emb, "a0", topn=2)
    with pytest.warns(DeprecationWarning, match="use mutual_nearest_neighbors"):
        mutual_nearest_neighbours(emb.vectors[:5], emb.vectors[:5], method="nn")
    store = tmp_path / "s"
    emb.save(store)
    result = CliRunner().invoke(cli, ["plot", "neighbours", str(store), "a0", "--depth", "1", "-o", str(tmp_path / "n.png")])
    assert result.exit_code == 0 and "deprecated" in result.output.lower() and (tmp_path / "n.png").stat().st_size > 0


# -- readable plots (issue 25) ---------------------------------------------------------------------
def test_each_panel_names_its_loss_and_one_axis_names_every_unit():
    runs = {"SGNS": _store("sgns", (3.0, 2.5)), "GloVe": _store("glove", (0.07, 0.05)),
            "PU-learning": _store("pu", (0.8, 0.7))}
    fig = figures.loss_curves(runs, separate=True)
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_visible()]
    assert labels == ["log-loss per example", "weighted squared error per record", "objective per observed pair"]
    legend = [t.get_text() for t in figures.loss_curves(runs).axes[0].get_legend().get_texts()]
    assert legend == ["SGNS (log-loss per example)", "GloVe (weighted squared error per record)",
                      "PU-learning (objective per observed pair)"]
    assert figures.loss_curves(runs, relative=True).axes[0].get_ylabel() == "loss / first epoch's loss"
    # one unit: the axis says it, the legend keeps the plain names
    fig = figures.loss_curves({"a": _store("sgns"), "b": _store("cbow")})
    assert fig.axes[0].get_ylabel() == "log-loss per example"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "b"]


def _crowded(n=40, seed=1):
    """Words in four tight clumps: labels at one fixed offset pile on each other."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, 16)) * 3
    rows = np.concatenate([c + 0.05 * rng.normal(size=(n // 4, 16)) for c in centres])
    words = [f"word{i:02d}" for i in range(n)]
    return Embeddings(words, rows.astype(np.float32)), words


def test_projection_labels_do_not_overlap():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from wordlab.plotting import label_overlaps, new_figure
    emb, words = _crowded(24)
    fig = figures.projection(emb, words)
    assert sorted(_texts(fig.axes[0])) == sorted(words)
    assert label_overlaps(fig) == 0
    # the same points labelled at one fixed offset overlap: the placement is what avoids it
    frame = figures.project_words(emb, words)
    naive = new_figure(7, 5.5)
    ax = naive.add_subplot()
    ax.scatter(frame["x"], frame["y"])
    anns = [ax.annotate(w, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9)
            for w, x, y in zip(frame["word"], frame["x"], frame["y"])]
    FigureCanvasAgg(naive).draw()
    r = naive.canvas.get_renderer()
    boxes = [a.get_window_extent(r) for a in anns]
    assert sum(boxes[i].overlaps(boxes[j]) for i in range(len(boxes)) for j in range(i + 1, len(boxes))) > 0


def test_trajectory_has_a_legend_of_its_slices_and_readable_labels():
    from wordlab.align.plots import trajectory
    from wordlab.plotting import label_overlaps
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)]
    base = rng.normal(size=(60, 10)).astype(np.float32)
    slices = {name: Embeddings(words, base + 0.3 * k * rng.normal(size=base.shape).astype(np.float32))
              for k, name in enumerate(["1970s", "1990s", "2010s"])}
    fig = trajectory(slices, "w0", topn=5)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1970s", "1990s", "2010s"]
    assert ax.get_legend().get_title().get_text() == "slice"
    assert label_overlaps(fig) == 0
