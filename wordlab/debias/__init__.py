"""Bias measurement and hard debiasing of static word embeddings.

- :mod:`~wordlab.debias.wordlists`: the definitional pairs, readers for word and pair
  lists (debiaswe JSON, plain text), finding words in a store with missing-word reports;
- :mod:`~wordlab.debias.direction`: the bias direction (PCA, sum or one pair);
- :mod:`~wordlab.debias.hard`: hard debiasing (neutralise + equalise) into a new store;
- :mod:`~wordlab.debias.measures`: DirectBias_c and indirect bias beta;
- :mod:`~wordlab.debias.weat`: WEAT with an exact or sampled permutation test (one- or
  two-sided);
- :mod:`~wordlab.debias.metrics`: WEFE's other metrics, RNSB, RND, MAC, ECT and RIPA
  (:data:`~wordlab.debias.metrics.METRICS`);
- :mod:`~wordlab.debias.residual`: Gonen and Goldberg's clustering and neighbour tests;
- :mod:`~wordlab.debias.report`, :mod:`~wordlab.debias.plots`: the before/after table
  and the professions plot.

Soft debiasing (Bolukbasi et al. 2016, the second method) is not implemented.

Example
-------
>>> from wordlab import debias                                            # doctest: +SKIP
>>> g = debias.bias_direction(emb)                                        # doctest: +SKIP
>>> new = debias.hard_debias(emb, "runs/debiased", equalize="equalize_pairs",
...                          gender_specific="gender_specific_full")     # doctest: +SKIP
>>> debias.direct_bias(new, g).value, debias.weat_test(new, "career_family").p_value  # doctest: +SKIP
"""
from .direction import BiasDirection, WeakDirectionWarning, bias_direction
from .hard import equalize_pair, hard_debias
from .measures import DirectBiasResult, direct_bias, indirect_bias
from .metrics import METRICS, MetricResult, bias_metric, ect, mac, metric_on_weat_test, ripa, rnd, rnsb
from .plots import professions_plot
from .report import bias_report, format_report
from .residual import ResidualBias, cluster_accuracy, most_biased, neighbor_share, residual_bias
from .weat import WEAT_TESTS, WEATResult, load_weat_sets, permutation_p_value, weat, weat_test
from .wordlists import (DEFINITIONAL_PAIRS, Coverage, MissingWordsError, MissingWordsWarning, find_pairs,
                        find_words, load_debiaswe, read_pairs, read_words)

__all__ = ["BiasDirection", "Coverage", "DEFINITIONAL_PAIRS", "DirectBiasResult", "METRICS", "MetricResult",
           "MissingWordsError", "MissingWordsWarning", "ResidualBias", "WEATResult", "WEAT_TESTS",
           "WeakDirectionWarning", "bias_direction", "bias_metric", "bias_report", "cluster_accuracy", "direct_bias",
           "ect", "equalize_pair", "find_pairs", "find_words", "format_report", "hard_debias", "indirect_bias",
           "load_debiaswe", "load_weat_sets", "mac", "metric_on_weat_test", "most_biased", "neighbor_share",
           "permutation_p_value", "professions_plot", "read_pairs", "read_words", "residual_bias", "ripa", "rnd",
           "rnsb", "weat", "weat_test"]
