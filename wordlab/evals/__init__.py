"""Evaluation: word similarity, analogies, EvalRank, datasets, reports and plots."""
from .analogy import AnalogyResult, evaluate_analogies
from .analogy_sets import affix_analogies, translate_analogies
from .datasets import (DEFAULT_DATASETS, REGISTRY, AnalogyDataset, PairDataset, list_datasets, load_dataset,
                       read_bats, read_google_analogies, read_pairs)
from .evalrank import EvalRankResult, evalrank
from .report import evaluate, summary, to_csv, to_json, to_markdown
from .similarity import SimilarityResult, evaluate_word_pairs
from .uncertainty import Interval, seed_spread, spearman_difference, spearman_interval

__all__ = ["AnalogyDataset", "AnalogyResult", "DEFAULT_DATASETS", "EvalRankResult", "Interval", "PairDataset", "REGISTRY",
           "SimilarityResult", "affix_analogies", "evalrank", "evaluate", "evaluate_analogies", "evaluate_word_pairs",
           "list_datasets", "load_dataset", "read_bats", "read_google_analogies", "read_pairs", "seed_spread",
           "spearman_difference", "spearman_interval", "summary", "to_csv", "to_json", "to_markdown",
           "translate_analogies"]
