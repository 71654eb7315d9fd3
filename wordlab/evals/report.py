"""One call, several stores and datasets, one tidy table.

``evaluate(stores, datasets)`` returns a pandas DataFrame with columns ``store``,
``dataset``, ``task``, ``section``, ``metric``, ``value``, ``coverage`` and
``coverage_composed`` (the share scored when words composed from n-grams count too,
under ``oov="subword"``; the coverage itself otherwise), ``n_scored`` and ``n_items``
(the pairs or questions the value rests on, and the dataset's): one row per number. A
value that cannot be computed (no pair found) is NaN and keeps its row. Metric names: ``spearman``, ``pearson`` (similarity); ``accuracy``, ``mrr@k``,
``hits@k``, ``accuracy_all`` (analogy); ``mr``, ``mrr``, ``hits@1``/``3``/``10``
(EvalRank). Section ``total`` is the whole dataset. ``to_markdown``, ``to_csv`` and
``to_json`` (a list of such records) write it out.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable, Sequence

from .. import tables
from ..store import Embeddings, load
from .analogy import evaluate_analogies
from .datasets import DEFAULT_DATASETS, AnalogyDataset, PairDataset, load_dataset
from .evalrank import evalrank
from .similarity import evaluate_word_pairs

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["store", "dataset", "task", "section", "metric", "value", "coverage", "coverage_composed", "n_scored",
           "n_items"]


def _store_name(store: Embeddings, given, position: int) -> str:
    if isinstance(given, (str, os.PathLike)):
        return str(given)
    return str(store.path) if store.path else f"store-{position + 1}"


def evaluate(stores: "Embeddings | str | Sequence", datasets: Iterable = DEFAULT_DATASETS, *,
             analogy_method: str = "3cosadd", restrict_vocab: int | None = None, oov: str = "skip",
             k: int = 10, evalrank_datasets: Iterable = (), data_dir=None,
             names: Sequence[str] | None = None) -> "pd.DataFrame":
    """Evaluate every store on every dataset; a tidy DataFrame (see module docstring).

    ``restrict_vocab`` applies to both tasks; None means each evaluator's default (the
    whole vocabulary for similarity, 30,000 for analogies). ``oov`` is the similarity
    evaluator's policy (:data:`~wordlab.evals.similarity.OOV_POLICIES`); ``"subword"``
    also composes the unknown words of analogies and EvalRank, which skip them under
    every other policy. ``names``: what
    the ``store`` column calls each store (default: its path, or ``store-N``).
    """
    import pandas as pd
    items = [stores] if isinstance(stores, (Embeddings, str, os.PathLike)) else list(stores)
    loaded = [(s if isinstance(s, Embeddings) else load(s), s) for s in items]
    data = [d if isinstance(d, (PairDataset, AnalogyDataset)) else load_dataset(d, data_dir) for d in datasets]
    ranked = [d if isinstance(d, PairDataset) else load_dataset(d, data_dir) for d in evalrank_datasets]
    composing = "subword" if oov == "subword" else "skip"
    rows = []
    for position, (store, given) in enumerate(loaded):
        name = names[position] if names is not None else _store_name(store, given, position)
        for d in data:
            if d.task == "similarity":
                r = evaluate_word_pairs(store, d, oov=oov, restrict_vocab=restrict_vocab)
                for metric, value in (("spearman", r.spearman), ("pearson", r.pearson)):
                    rows.append((name, d.name, "similarity", "total", metric, value, r.coverage,
                                 r.composed_coverage, r.n_scored, r.n_pairs))
            else:
                r = evaluate_analogies(store, d, method=analogy_method, k=k,
                                       restrict_vocab=30_000 if restrict_vocab is None else restrict_vocab,
                                       oov=composing)
                for s in r.sections + [r.total]:
                    for metric, value in (("accuracy", s.accuracy), (f"mrr@{k}", s.mrr), (f"hits@{k}", s.hits),
                                          ("accuracy_all", s.accuracy_all)):
                        rows.append((name, d.name, "analogy", s.section, metric, value, s.coverage,
                                     s.composed_coverage, s.n_covered, s.n_questions))
        for d in ranked:
            r = evalrank(store, d, oov=composing)
            for metric, value in (("mr", r.mr), ("mrr", r.mrr), ("hits@1", r.hits(1)), ("hits@3", r.hits(3)),
                                  ("hits@10", r.hits(10))):
                rows.append((name, d.name, "evalrank", "total", metric, value, r.coverage, r.composed_coverage,
                             len(r.ranks), r.n_positive))
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(table: "pd.DataFrame") -> "pd.DataFrame":
    """The section-``total`` rows as a store x (dataset, metric) table, for reading
    (a value that could not be computed stays, as NaN)."""
    totals = table[table["section"] == "total"]
    wide = totals.pivot_table(index="store", columns=["dataset", "metric"], values="value", sort=False,
                              dropna=False)
    return wide


def readable(table: "pd.DataFrame", composed: bool = False) -> "pd.DataFrame":
    """One row per (store, dataset, task) of the totals, a column per metric, with the
    coverage, the items scored ("2 of 353") and a note: a value from fewer than
    :data:`~wordlab.evals.display.MIN_ITEMS` items is flagged, one that could not be
    computed says why. No row is dropped."""
    from .display import MIN_ITEMS
    totals = table[table["section"] == "total"]
    keys = ["store", "dataset", "task"]
    wide = totals.pivot_table(index=keys, columns="metric", values="value", sort=False, dropna=False)
    wide = wide.reindex(totals[keys].drop_duplicates().set_index(keys).index)     # every row, in order
    groups = totals.groupby(keys, sort=False)
    wide["coverage"] = groups["coverage"].first()
    if composed:
        wide["coverage_composed"] = groups["coverage_composed"].first()
    n, of = groups["n_scored"].first(), groups["n_items"].first()
    wide["scored"] = [f"{a:,} of {b:,}" for a, b in zip(n, of)]
    metrics = [c for c in wide.columns if c not in ("coverage", "coverage_composed", "scored")]
    notes = []
    for (a, b), row in zip(zip(n, of), wide[metrics].itertuples(index=False)):
        if a == 0:
            notes.append("not computed: no item found")
        elif all(v != v for v in row):
            notes.append("not computed: too few items")
        elif a < MIN_ITEMS:
            notes.append(f"too few to trust (under {MIN_ITEMS})")
        else:
            notes.append("")
    wide["note"] = notes
    wide.columns.name = None
    return wide.reset_index()


def to_markdown(table: "pd.DataFrame") -> str:
    """A GitHub-flavoured Markdown table (see :mod:`wordlab.tables`)."""
    return tables.markdown(table)


def to_json(table: "pd.DataFrame") -> str:
    """A JSON list of records (NaN written as null)."""
    return tables.json_records(table)


def to_csv(table: "pd.DataFrame") -> str:
    """CSV with a header row and no index."""
    return tables.csv(table)
