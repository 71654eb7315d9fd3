"""wordlab: a static word-embedding lab.

The pipeline: corpus -> vocabulary / encoded token stream -> trainers -> store ->
align / debias / evaluate -> CLI and notebooks.
"""
from ._version import __version__
from .corpus import Corpus, EncodedCorpus, Tokenizer, Vocabulary, tokenize
from .errors import WordlabError
from .store import Embeddings, load
from .trainers import Word2Vec, train

__all__ = ["__version__", "Corpus", "EncodedCorpus", "Embeddings", "Tokenizer", "Vocabulary", "Word2Vec",
           "WordlabError", "load", "tokenize", "train"]
