"""Word-context co-occurrence counts: the shared input of GloVe, PU-learning and Bit-cipher.

``count_cooccurrences(corpus, window=10, ...)`` returns a :class:`CooccurrenceMatrix`
(CSR, memory-mapped), cached per corpus and settings.
"""
from .count import DIRECTIONS, WEIGHTINGS, corpus_fingerprint, count_cooccurrences
from .matrix import CooccurrenceMatrix

__all__ = ["CooccurrenceMatrix", "DIRECTIONS", "WEIGHTINGS", "corpus_fingerprint", "count_cooccurrences"]
