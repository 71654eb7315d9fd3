"""One before/after table for a debiasing: bias measures and the store's quality.

:func:`bias_report` measures the original and the debiased store with the same bias
direction (the one the debiasing used, read from the debiased store's metadata, else
found on the original store from the definitional pairs) and returns a pandas
DataFrame with columns ``measure``, ``before``, ``after``, ``detail``:

- DirectBias_c of the professions that the debiasing neutralised (debiaswe's
  professions include gender-specific words such as ``actress``, which hard debiasing
  keeps on the direction by design) (Bolukbasi et al. 2016);
- WEAT effect size and p-value of each test (Caliskan et al. 2017; default: career /
  family, math / arts, science / arts);
- optionally (``metrics``, default none), WEFE's other metrics (RNSB, RND, MAC, ECT,
  RIPA, :mod:`~wordlab.debias.metrics`) on the sets of each of those tests;
- Gonen and Goldberg's (2019) tests on the most biased words of the original store:
  clustering accuracy, neighbour correlation, the professions' bias-by-neighbours
  correlation (on the DirectBias professions), the RBF-SVM classification accuracy (NaN,
  with a note, when the store has fewer than 2 x ``n_classify`` candidate words) and the
  average |bias-by-projection| of the candidate words;
- quality: WS-353 and SimLex-999 Spearman, Google analogy accuracy (3CosAdd, the
  30,000 most frequent words), from :mod:`wordlab.evals`.

A measure whose word list is too sparse in the store (above ``max_missing`` missing)
is NaN, with the reason in ``table.attrs["notes"]``.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterable, Sequence

from .. import tables
from ..errors import DataError, ParameterError
from .direction import BiasDirection, bias_direction
from .measures import direct_bias
from .metrics import METRICS, NAMES, metric_on_weat_test
from .residual import (N_CLASSIFY, N_CLASSIFY_TRAIN, classification_accuracy, excluded_words, most_biased,
                       professions_neighbors, residual_bias)
from .weat import EXACT_LIMIT, N_SAMPLES, weat_test
from .wordlists import DEFINITIONAL_PAIRS, MAX_MISSING, MissingWordsError, as_words

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings

DEFAULT_WEAT_TESTS = ("career_family", "math_arts", "science_arts")


def report_direction(original: "Embeddings", debiased: "Embeddings | None" = None,
                     definitional: Sequence = DEFINITIONAL_PAIRS) -> BiasDirection:
    """The direction a debiased store was made with (its metadata), else that of ``original``."""
    info = (debiased.meta.get("debias") or {}) if debiased is not None else {}
    if "direction" in info:
        return BiasDirection.from_dict(info["direction"])
    return bias_direction(original, definitional)


def bias_report(original: "Embeddings", debiased: "Embeddings", direction: BiasDirection | None = None, *,
                professions: str | Iterable[str] = "professions", c: float = 1.0,
                weat_tests: Sequence[str] = DEFAULT_WEAT_TESTS, weat_sets=None, exact_limit: int = EXACT_LIMIT,
                n_samples: int = N_SAMPLES, n_per_side: int = 500, k: int = 100,
                restrict_vocab: int | None = 50_000, exclude: Iterable[str] | None = None,
                quality: bool = True, seed: int = 0, max_missing: float | None = MAX_MISSING,
                metrics: Sequence[str] = (), n_classify: int = N_CLASSIFY,
                n_classify_train: int = N_CLASSIFY_TRAIN) -> "pd.DataFrame":
    """Bias and quality of ``original`` and ``debiased``, side by side.

    Parameters
    ----------
    original, debiased : Embeddings
        The same vocabulary is not required, but the words measured must be in both.
    direction : BiasDirection, optional
        Default: :func:`report_direction`.
    professions : words, path, or debiaswe list name, default "professions"
        The neutral words of DirectBias.
    c : float, default 1.0
    weat_tests : sequence of str
        Names of :data:`~wordlab.debias.weat.WEAT_TESTS`.
    weat_sets : dict or path, optional
        Word sets (default: ``WEAT.json`` of the shared data).
    exact_limit, n_samples : int
        WEAT p-values (see :func:`~wordlab.debias.weat.permutation_p_value`).
    n_per_side, k, restrict_vocab : int
        Gonen and Goldberg's tests (500 words per side, 100 neighbours, 50,000 words).
    exclude : iterable of str, optional
        Words left out of DirectBias's professions and of Gonen and Goldberg's
        candidates (default: those the debiasing did not neutralise, from
        ``debiased.meta``).
    quality : bool, default True
        Add WS-353, SimLex-999 and Google analogy scores.
    seed : int, default 0
        WEAT sampling and KMeans.
    max_missing : float or None, default 0.5
    metrics : sequence of str, default ()
        Names of :data:`~wordlab.debias.metrics.METRICS` run on the sets of each WEAT
        test (:func:`~wordlab.debias.metrics.metric_on_weat_test`; RNSB seeded with
        ``seed``), one row each after the WEAT rows.
    n_classify, n_classify_train : int, default 5,000 and 500
        Gonen and Goldberg's classification test: words per side, and of those, trained on.

    Returns
    -------
    pandas.DataFrame with columns ``measure``, ``before``, ``after``, ``detail`` (word
    counts, p-value method, coverage); ``attrs`` holds
    ``direction`` (its description), ``notes`` (skipped measures), ``weat`` (the full
    WEAT results) and ``metrics`` (those of ``metrics``, when asked for).
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ParameterError(f"unknown bias metric {unknown[0]!r}; known: {', '.join(METRICS)}")
    import pandas as pd
    direction = direction or report_direction(original, debiased)
    rows: list[tuple[str, float, float, str]] = []
    notes: list[str] = []
    weats: dict[str, list] = {}
    stores = (original, debiased)
    nan = math.nan

    exclude = excluded_words(debiased) if exclude is None else list(exclude)
    label = f"DirectBias_{c:g} (professions)"
    professions = as_words(professions)
    try:
        db = [direct_bias(s, direction, professions, c=c, max_missing=max_missing, exclude=exclude)
              for s in stores]
        rows.append((label, db[0].value, db[1].value, f"{db[0].n_words} of {len(professions)} professions "
                     f"({len(db[0].excluded)} gender-specific left out, {len(db[0].coverage.missing)} not in the "
                     "store)"))
    except MissingWordsError as e:
        notes.append(f"DirectBias skipped: {e}")
        rows.append((label, nan, nan, "skipped: too many words missing"))
    for test in weat_tests:
        try:
            res = [weat_test(s, test, weat_sets, exact_limit=exact_limit, n_samples=n_samples, seed=seed,
                             max_missing=max_missing) for s in stores]
        except MissingWordsError as e:
            notes.append(f"WEAT {test} skipped: {e}")
            rows.append((f"WEAT {test} effect size", nan, nan, "skipped: too many words missing"))
            rows.append((f"WEAT {test} p-value", nan, nan, "skipped: too many words missing"))
            continue
        weats[test] = [r.to_dict() for r in res]
        sizes = "/".join(str(res[0].sizes[k]) for k in "XYAB")
        rows.append((f"WEAT {test} effect size", res[0].effect_size, res[1].effect_size,
                     f"ddof={res[0].ddof}; words X/Y/A/B {sizes}"))
        rows.append((f"WEAT {test} p-value", res[0].p_value, res[1].p_value,
                     f"{res[0].p_method}, {res[0].n_evaluated:,} of {res[0].n_partitions:,} partitions"))
    results: dict[str, list] = {}
    for metric in metrics:
        for test in weat_tests:
            label = f"{NAMES[metric]} {test}"
            extra = {"seed": seed} if metric == "rnsb" else {}
            try:
                res = [metric_on_weat_test(s, metric, test, weat_sets, max_missing=max_missing, **extra)
                       for s in stores]
            except MissingWordsError as e:
                notes.append(f"{label} skipped: {e}")
                rows.append((label, nan, nan, "skipped: too many words missing"))
                continue
            results[label] = [r.to_dict() for r in res]
            rows.append((label, res[0].value, res[1].value,
                         "words " + "/".join(f"{k} {v}" for k, v in res[0].sizes.items())))
    try:                  # Gonen and Goldberg's bias, cos(w, he) - cos(w, she)
        biased = most_biased(original, direction, n=n_per_side, restrict_vocab=restrict_vocab, exclude=exclude)
    except DataError as e:
        if "not in the store" not in str(e):
            raise
        notes.append(f"residual tests: {e}; the words were chosen by their projection on the direction")
        biased = most_biased(original, direction, n=n_per_side, restrict_vocab=restrict_vocab, exclude=exclude,
                             measure="direction")
    rb = [residual_bias(s, biased, k=k, seed=seed) for s in stores]
    chosen = "cos(w, he) - cos(w, she)" if biased.measure == "he-she" else "projection on g"
    rows.append(("cluster accuracy (2-means)", rb[0].cluster_accuracy, rb[1].cluster_accuracy,
                 f"{n_per_side} + {n_per_side} most biased words by {chosen}"))
    rows.append(("neighbour correlation (Pearson)", rb[0].neighbor_correlation, rb[1].neighbor_correlation,
                 f"k = {k} neighbours; over all {len(biased.projections):,} candidate words"))
    label = "professions: bias-by-neighbours correlation (Pearson)"
    try:
        prof = [professions_neighbors(s, biased, professions, k=k) for s in stores]
        rows.append((label, prof[0][1], prof[1][1], f"{len(prof[0][0])} of {len(professions)} professions; "
                     f"{'male' if biased.measure == 'he-she' else 'positive-side'} neighbours of k = {k}"))
    except DataError as e:
        notes.append(f"professions test skipped: {e}")
        rows.append((label, nan, nan, "skipped: no profession among the candidate words"))
    label = "classification accuracy (RBF SVM)"
    try:
        acc = [classification_accuracy(s, biased, n_classify, n_classify_train, seed=seed) for s in stores]
        rows.append((label, acc[0], acc[1], f"{n_classify_train} + {n_classify_train} train, "
                     f"{n_classify - n_classify_train:,} + {n_classify - n_classify_train:,} test of the "
                     f"{n_classify:,} + {n_classify:,} most biased words"))
    except DataError as e:
        notes.append(f"classification test skipped: {e}")
        rows.append((label, nan, nan, f"skipped: fewer than 2 x {n_classify:,} candidate words"))
    rows.append(("average |bias-by-projection|", rb[0].mean_bias, rb[1].mean_bias,
                 f"|cos(w, he) - cos(w, she)| over {len(biased.projections):,} candidate words"))
    if quality:
        from ..evals import evaluate_analogies, evaluate_word_pairs
        for name, label in (("ws353", "WS-353 Spearman"), ("simlex999", "SimLex-999 Spearman")):
            res = [evaluate_word_pairs(s, name) for s in stores]
            rows.append((label, res[0].spearman, res[1].spearman, f"coverage {100 * res[0].coverage:.1f}%"))
        res = [evaluate_analogies(s, "google-analogy", restrict_vocab=30_000) for s in stores]
        rows.append(("Google analogy accuracy", res[0].accuracy, res[1].accuracy,
                     f"3CosAdd, 30k words; coverage {100 * res[0].coverage:.1f}%"))
    table = pd.DataFrame(rows, columns=["measure", "before", "after", "detail"])
    table.attrs.update({"direction": repr(direction), "notes": notes, "weat": weats})
    if metrics:
        table.attrs["metrics"] = results
    return table


def format_value(v: float) -> str:
    """Four decimals; values below 0.01 in scientific notation (small p-values, and a
    DirectBias that is effectively 0, keep their digits)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.2e}" if v != 0 and abs(v) < 0.01 else f"{v:.4f}"


def format_report(table: "pd.DataFrame", detail: bool = True) -> str:
    """The report as a plain-text table (with the ``detail`` column unless ``detail=False``)."""
    columns = [c for c in table.columns if c != "detail" or detail]
    shown = {c: (lambda v: v if isinstance(v, str) else format_value(v)) for c in columns[1:]}
    return tables.plain(table[columns], formatters=shown, left=("measure", "detail"))
