"""gensim's names for wordlab's trainer parameters, accepted with a warning that gives ours.

``Word2Vec(vector_size=100, sg=1, epochs=5)`` is what a gensim user types. The trainers
and :func:`wordlab.train` take it: each gensim name is translated to wordlab's (one
:class:`~wordlab.errors.WordlabWarning` naming both), ``sg`` picks the method (1:
skip-gram, 0: CBOW), and what wordlab does not do (``hs=1``) or a name given twice
(``vector_size`` with ``dim``) is a one-line :class:`~wordlab.errors.ParameterError`.
"""
from __future__ import annotations

import functools
import inspect
import warnings

from ..errors import ParameterError, WordlabWarning

#: gensim's name -> wordlab's
NAMES = {"vector_size": "dim", "size": "dim", "iter": "epochs", "max_final_vocab": "max_size"}


def translate(params: dict, owner: str) -> dict:
    """``params`` with gensim's names replaced by wordlab's (see the module docstring)."""
    if not any(k in params for k in (*NAMES, "sg", "hs")):
        return params
    out = dict(params)
    for theirs, ours in NAMES.items():
        if theirs in out:
            if ours in out:
                raise ParameterError(f"{owner}: {theirs} (gensim's name) and {ours} (wordlab's) are the same "
                                     "parameter; give one")
            out[ours] = out.pop(theirs)
            warnings.warn(f"{owner}: {theirs} is gensim's name for {ours}; read as {ours}={out[ours]!r}",
                          WordlabWarning, stacklevel=4)
    if out.pop("hs", 0):
        raise ParameterError(f"{owner}: hs=1 (hierarchical softmax) is not one of wordlab's objectives; it trains "
                             "with negative sampling (negative=5)")
    if "sg" in out:
        sg = out.pop("sg")
        method = {1: "sgns", 0: "cbow", True: "sgns", False: "cbow"}.get(sg)
        if method is None or out.setdefault("method", method) != method:
            raise ParameterError(f"{owner}: sg={sg!r} says {method or 'nothing wordlab knows'}, but "
                                 f"method={out.get('method')!r}")
        warnings.warn(f"{owner}: sg is gensim's switch; read as method={method!r}", WordlabWarning, stacklevel=4)
    return out


def accept(cls: type) -> type:
    """Make ``cls.__init__`` take gensim's names (its signature stays wordlab's)."""
    init = cls.__dict__.get("__init__")
    if init is None or getattr(init, "_gensim_names", False):
        return cls

    takes_method = "method" in inspect.signature(init).parameters

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if "sg" in kwargs and not takes_method:
            raise ParameterError(f"{cls.__name__}: sg switches word2vec between skip-gram and CBOW; "
                                 f"{cls.__name__} is neither")
        init(self, *args, **translate(kwargs, cls.__name__))
    __init__._gensim_names = True
    cls.__init__ = __init__
    return cls
