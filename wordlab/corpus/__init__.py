"""Corpus -> vocabulary -> encoded token stream."""
from .corpus import Corpus
from .encode import EncodedCorpus
from .readers import MAX_SENTENCE_LENGTH
from .tokenizer import Tokenizer, tokenize
from .vocab import Vocabulary

__all__ = ["Corpus", "EncodedCorpus", "MAX_SENTENCE_LENGTH", "Tokenizer", "Vocabulary", "tokenize"]
