"""Trainers: every one has the shape ``Trainer(**params).fit(corpus, out) -> Embeddings``."""
from __future__ import annotations

import os

from ..store import Embeddings
from . import gensim_names, registry
from .base import EpochReport, Trainer
from .bitcipher import BitCipher
from .cmow import CMOW
from .fasttext import FastText
from .glove import GloVe
from .parameters import document_parameters
from .pu import PULearning
from .registry import REGISTRY, Method
from .word2vec import Word2Vec

for _cls in (Trainer, *dict.fromkeys(m.trainer for m in REGISTRY.values())):
    document_parameters(_cls)            # numpydoc Parameters from the declarations, for every registered trainer
    gensim_names.accept(_cls)            # Word2Vec(vector_size=...) as a gensim user types it

#: the method names, in the registry's order
METHODS: tuple[str, ...] = tuple(REGISTRY)


def make_trainer(method: str = "sgns", **params) -> Trainer:
    """The trainer for ``method`` (a name of :data:`~wordlab.trainers.registry.REGISTRY`)
    with ``params`` (gensim's names accepted, :mod:`~wordlab.trainers.gensim_names`); a parameter
    that does not apply to the method is refused."""
    params = gensim_names.translate({"method": method, **params}, "make_trainer")
    return registry.get(params.pop("method")).make(**params)


def train(corpus, method: str = "sgns", out: str | os.PathLike | None = None, *, resume: bool = False,
          overwrite: bool = False, init_vectors=None, init_context=None, freeze_context: bool = False,
          frozen_words=None, **params) -> Embeddings:
    """Train ``method`` on ``corpus`` and return the store written to ``out``.

    ``params`` are the trainer's hyperparameters (``dim``, ``window``, ``epochs``, ...);
    see :class:`Word2Vec`. ``corpus`` may be a :class:`~wordlab.Corpus`, an
    :class:`~wordlab.EncodedCorpus`, path(s) or a glob, or an iterable of token lists.
    """
    trainer = make_trainer(method, **params)
    return trainer.fit(corpus, out, resume=resume, overwrite=overwrite, init_vectors=init_vectors,
                       init_context=init_context, freeze_context=freeze_context, frozen_words=frozen_words)


__all__ = ["BitCipher", "CMOW", "EpochReport", "FastText", "GloVe", "METHODS", "Method", "PULearning", "REGISTRY", "Trainer", "Word2Vec", "make_trainer", "train"]
