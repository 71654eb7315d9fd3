"""Trainers: every one has the shape ``Trainer(**params).fit(corpus, out) -> Embeddings``."""
from __future__ import annotations

import os

from ..errors import ParameterError
from ..store import Embeddings
from .base import EpochReport, Trainer
from .bitcipher import BitCipher
from .cmow import CMOW
from .glove import GloVe
from .pu import PULearning
from .word2vec import Word2Vec

#: method name -> trainer class and the fixed parameters it needs
TRAINERS: dict[str, tuple[type[Trainer], dict]] = {
    "sgns": (Word2Vec, {"method": "sgns"}),
    "cbow": (Word2Vec, {"method": "cbow"}),
    "glove": (GloVe, {}),
    "pu": (PULearning, {}),
    "bitcipher": (BitCipher, {}),
    "cmow": (CMOW, {"encoder": "cmow"}),
    "hybrid": (CMOW, {"encoder": "hybrid"}),
}


#: the method names, in the registry's order
METHODS: tuple[str, ...] = tuple(TRAINERS)


def make_trainer(method: str = "sgns", **params) -> Trainer:
    """The trainer for ``method`` with ``params``."""
    try:
        cls, fixed = TRAINERS[method]
    except KeyError:
        raise ParameterError(f"unknown method {method!r}; choose one of {', '.join(TRAINERS)}") from None
    known = set(cls._param_names()) - set(fixed)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(unknown)} for method {method!r}; it takes "
                             f"{', '.join(sorted(known))}")
    return cls(**fixed, **params)


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


__all__ = ["BitCipher", "CMOW", "EpochReport", "GloVe", "METHODS", "PULearning", "TRAINERS", "Trainer", "Word2Vec", "make_trainer", "train"]
