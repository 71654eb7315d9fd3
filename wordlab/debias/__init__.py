"""Bias measurement and hard debiasing of static word embeddings.

- :mod:`~wordlab.debias.wordlists`: the definitional pairs, readers for word and pair
  lists (debiaswe JSON, plain text), finding words in a store with missing-word reports;
- :mod:`~wordlab.debias.direction`: the bias direction (PCA, sum or one pair);
- :mod:`~wordlab.debias.hard`: hard debiasing (neutralise + equalise) into a new store;
- :mod:`~wordlab.debias.double_hard`: Double-Hard Debias (Wang et al. 2020): the principal
  component that best hides gender removed, then hard debiasing;
- :mod:`~wordlab.debias.inlp`: INLP (Ravfogel et al. 2020): iterative nullspace projection
  of linear gender classifiers;
- :mod:`~wordlab.debias.multiclass`: multiclass hard debiasing (Manzini et al. 2019) over a
  k-dimensional subspace of defining sets (religion, race);
- :mod:`~wordlab.debias.measures`: DirectBias_c and indirect bias beta;
- :mod:`~wordlab.debias.weat`: WEAT with an exact or sampled permutation test (one- or
  two-sided);
- :mod:`~wordlab.debias.metrics`: WEFE's other metrics, RNSB, RND, MAC, ECT and RIPA
  (:data:`~wordlab.debias.metrics.METRICS`);
- :mod:`~wordlab.debias.residual`: Gonen and Goldberg's tests: clustering, neighbour
  correlation, professions, classification (RBF SVM), average bias;
- :mod:`~wordlab.debias.analogies`: analogy generation for a seed pair (Bolukbasi et al.
  2016, debiaswe's ``best_analogies_dist_thresh``);
- :mod:`~wordlab.debias.specific`: learning the gender-specific words from debiaswe's
  seed list with a linear SVM (their ``learn_gender_specific.py``);
- :mod:`~wordlab.debias.report`, :mod:`~wordlab.debias.plots`: the before/after table
  and the professions plot.

Soft debiasing (Bolukbasi et al. 2016, the second method; Manzini et al.'s multiclass soft
debiasing) is not implemented.

Example
-------
>>> from wordlab import debias                                            # doctest: +SKIP
>>> g = debias.bias_direction(emb)                                        # doctest: +SKIP
>>> new = debias.hard_debias(emb, "runs/debiased", equalize="equalize_pairs",
...                          gender_specific="gender_specific_full")     # doctest: +SKIP
>>> debias.direct_bias(new, g).value, debias.weat_test(new, "career_family").p_value  # doctest: +SKIP
"""
from .analogies import generate_analogies
from .direction import BiasDirection, WeakDirectionWarning, bias_direction
from .double_hard import double_hard_debias
from .hard import equalize_pair, hard_debias
from .inlp import INLPResult, INLPWords, inlp, inlp_projection, inlp_words
from .measures import DirectBiasResult, direct_bias, indirect_bias
from .metrics import METRICS, MetricResult, bias_metric, ect, mac, metric_on_weat_test, ripa, rnd, rnsb
from .multiclass import MULTICLASS_SETS, BiasSubspace, bias_subspace, multiclass_debias, read_sets
from .plots import professions_plot
from .report import bias_report, format_report
from .residual import (ResidualBias, classification_accuracy, cluster_accuracy, gonen_goldberg, mean_absolute_bias,
                       most_biased, neighbor_share, professions_neighbors, residual_bias)
from .specific import LearnedSpecific, learn_gender_specific
from .weat import WEAT_TESTS, WEATResult, load_weat_sets, permutation_p_value, weat, weat_test
from .wordlists import (DEFINITIONAL_PAIRS, Coverage, MissingWordsError, MissingWordsWarning, find_pairs,
                        find_words, load_debiaswe, read_pairs, read_words)

__all__ = ["BiasDirection", "BiasSubspace", "Coverage", "DEFINITIONAL_PAIRS", "DirectBiasResult",
           "INLPResult", "INLPWords", "LearnedSpecific", "METRICS", "MULTICLASS_SETS", "MetricResult",
           "MissingWordsError", "MissingWordsWarning", "ResidualBias", "WEATResult", "WEAT_TESTS",
           "WeakDirectionWarning", "bias_direction", "bias_metric", "bias_report", "bias_subspace",
           "classification_accuracy", "cluster_accuracy", "direct_bias", "double_hard_debias", "ect",
           "equalize_pair", "find_pairs", "find_words", "format_report", "generate_analogies",
           "gonen_goldberg", "hard_debias", "indirect_bias", "inlp", "inlp_projection", "inlp_words",
           "learn_gender_specific", "load_debiaswe", "load_weat_sets", "mac", "mean_absolute_bias",
           "metric_on_weat_test", "most_biased", "multiclass_debias", "neighbor_share",
           "permutation_p_value", "professions_neighbors", "professions_plot", "read_pairs", "read_sets",
           "read_words", "residual_bias", "ripa", "rnd", "rnsb", "weat", "weat_test"]
