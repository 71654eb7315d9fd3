"""Alignment of embedding spaces: across languages and across corpora of one language.

- :class:`Procrustes`: orthogonal Procrustes from a seed dictionary, normalisation
  steps, self-learning refinement with CSLS and model selection; mapped stores written
  in row blocks.
- :func:`evaluate_bli`: bilingual lexicon induction, P@k with coverage and an OOV policy.
- :class:`Compass` (CADE): slices trained against one frozen output matrix.
- :mod:`wordlab.align.shift`: semantic-shift measures between aligned slices.
"""
from .bli import BLIResult, evaluate_bli, translate
from .cade import Compass, align_to_reference
from .dictionary import Dictionary
from .normalize import Normalizer, parse_steps
from .procrustes import Procrustes, orthogonal_procrustes
from .retrieval import knn_mean_similarity, mutual_nearest_neighbors, mutual_nearest_neighbours, retrieve
from .shift import cross_neighbors, cross_neighbours, jumpers, shift_table, stables, temporal_analogies

__all__ = ["BLIResult", "Compass", "Dictionary", "Normalizer", "Procrustes", "align_to_reference", "cross_neighbors", "cross_neighbours",
           "evaluate_bli", "jumpers", "knn_mean_similarity", "mutual_nearest_neighbors", "mutual_nearest_neighbours", "orthogonal_procrustes",
           "parse_steps", "retrieve", "shift_table", "stables", "temporal_analogies", "translate"]
