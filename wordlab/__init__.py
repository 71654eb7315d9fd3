"""wordlab: a static word-embedding lab.

The pipeline: corpus -> vocabulary / encoded token stream -> trainers -> store ->
align / debias / evaluate -> CLI and notebooks.
"""
from ._version import __version__
from .corpus import Corpus, EncodedCorpus, Tokenizer, Vocabulary, tokenize
from .errors import WordlabError
from .store import Embeddings, load


def __getattr__(name: str):
    # The trainers import numba (about 60 MB and 0.3 s); load them only when asked for,
    # so reading corpora and stores stays light.
    if name in ("train", "Word2Vec", "trainers"):
        import importlib
        trainers = importlib.import_module(".trainers", __name__)
        return trainers if name == "trainers" else getattr(trainers, name)
    raise AttributeError(f"module 'wordlab' has no attribute {name!r}")

__all__ = ["__version__", "Corpus", "EncodedCorpus", "Embeddings", "Tokenizer", "Vocabulary", "Word2Vec",
           "WordlabError", "load", "tokenize", "train"]
