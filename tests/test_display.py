"""Results in a terminal and in a notebook: short reprs that show coverage, HTML tables,
and scores from too few items flagged."""
from __future__ import annotations

import numpy as np
import pytest

from wordlab import Embeddings
from wordlab.evals import evaluate_analogies, evaluate_word_pairs
from wordlab.evals.datasets import AnalogyDataset, PairDataset
from wordlab.evals.evalrank import evalrank


@pytest.fixture(scope="module")
def emb():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(900)]
    return Embeddings(words, rng.standard_normal((900, 12)).astype(np.float32))


def test_similarity_repr_is_short_and_flags_few_pairs(emb):
    many = PairDataset("many", [(f"w{i}", f"w{i + 1}", float(i % 9)) for i in range(0, 400, 2)])
    few = PairDataset("few", [("w1", "w2", 1.0), ("w3", "w4", 2.0), ("w5", "zz", 3.0)])
    r = repr(evaluate_word_pairs(emb, many))
    assert len(r) < 200 and "200 of 200 pairs" in r and "too few" not in r and "array" not in r
    r = repr(evaluate_word_pairs(emb, few))
    assert "2 of 3 pairs (66.7 %)" in r and "too few to trust" in r
    html = evaluate_word_pairs(emb, few)._repr_html_()
    assert html.startswith("<table") and "Spearman" in html and "too few" in html


def test_analogy_and_evalrank_reprs_summarise(emb):
    data = AnalogyDataset("a", [("s1", [(f"w{i}", f"w{i + 1}", f"w{i + 2}", (f"w{i + 3}",)) for i in range(0, 80, 4)]),
                                ("s2", [("w1", "w2", "zz", ("w3",))])])
    result = evaluate_analogies(emb, data)
    r = repr(result)
    assert "20 of 21 questions" in r and "sections 2" in r and len(r) < 250
    assert "<table" in result._repr_html_() and "s2" in result._repr_html_()
    pairs = PairDataset("p", [(f"w{i}", f"w{i + 1}", float(i % 10)) for i in range(0, 600, 2)])
    er = evalrank(emb, pairs, background=500)
    r = repr(er)
    assert "MR " in r and "MRR" in r and "positive pairs" in r and len(r) < 300
    assert str(len(er.ranks)) not in r.split("ranked")[0]          # the ranks themselves are not dumped


def test_bli_shows_percentages_and_no_table(tmp_path):
    from wordlab.align import evaluate_bli
    from wordlab.align.dictionary import Dictionary
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50, 8)).astype(np.float32)
    e = Embeddings([f"w{i}" for i in range(50)], x)
    r = evaluate_bli(e, e, Dictionary([(f"w{i}", f"w{i}") for i in range(30)]))
    assert "P@1 100.0%" in str(r) and "coverage 100.0%" in str(r)
    assert repr(r).startswith("<BLIResult") and "first_correct" not in repr(r)
    assert "<table" in r._repr_html_()


def test_the_eval_table_keeps_every_row_and_flags_thin_scores(tmp_path, runner):
    """A store that knows 2 WS-353 pairs and no SimLex word, beside one that knows many:
    every (store, dataset) row is shown, the 2-pair Spearman is flagged, SimLex says why it
    has no value (issue 24: a 1.0000 from 2 pairs was printed bare, and rows vanished)."""
    from wordlab.cli.main import cli
    from wordlab.evals.datasets import load_dataset
    ws = load_dataset("ws353").pairs
    rng = np.random.default_rng(0)
    thin_words = sorted({w.lower() for a, b, _ in ws[:2] for w in (a, b)})       # a few pairs, under 20
    thin = Embeddings(thin_words + [f"q{i}" for i in range(30)],
                      rng.standard_normal((len(thin_words) + 30, 8)).astype(np.float32))
    wide_words = sorted({w.lower() for a, b, _ in ws for w in (a, b)})
    wide = Embeddings(wide_words, rng.standard_normal((len(wide_words), 8)).astype(np.float32))
    a, b = thin.save(tmp_path / "thin"), wide.save(tmp_path / "wide")
    r = runner.invoke(cli, ["eval", str(a), str(b), "-d", "ws353", "-d", "simlex999"])
    assert r.exit_code == 0, r.output
    lines = [line for line in r.output.splitlines() if str(tmp_path) in line]
    assert len(lines) == 4                                     # 2 stores x 2 datasets, none dropped
    thin_ws = next(line for line in lines if "thin" in line and "ws353" in line)
    assert "too few to trust" in thin_ws and " of 353" in thin_ws
    thin_simlex = next(line for line in lines if "thin" in line and "simlex999" in line)
    assert "not computed" in thin_simlex
    wide_ws = next(line for line in lines if "wide" in line and "ws353" in line)
    assert "353 of 353" in wide_ws and "too few" not in wide_ws


def test_multi_store_bars_name_every_store_and_say_why_one_is_empty(tmp_path):
    """A store with no WS-353 word beside one with many: both are in the legend, the empty
    one's bar is written n/a; a plot with nothing to show says so (issue 24, item 3)."""
    from wordlab.evals import evaluate
    from wordlab.evals.datasets import load_dataset
    from wordlab.evals.figures import evaluation_bars
    rng = np.random.default_rng(0)
    ws_words = sorted({w.lower() for a, b, _ in load_dataset("ws353").pairs for w in (a, b)})
    good = Embeddings(ws_words, rng.standard_normal((len(ws_words), 8)).astype(np.float32))
    empty = Embeddings([f"q{i}" for i in range(30)], rng.standard_normal((30, 8)).astype(np.float32))
    table = evaluate([good, empty], ["ws353"], names=["good", "empty"])
    fig = evaluation_bars(table)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["good", "empty"]
    assert [t.get_text() for t in ax.texts].count("n/a") == 1
    fig = evaluation_bars(evaluate([empty], ["ws353"], names=["empty"]))
    assert any("nothing to show" in t.get_text() for t in fig.axes[0].texts)
