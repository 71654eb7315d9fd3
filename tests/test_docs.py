"""The public API documents itself: every public class's docstring has a numpydoc
``Parameters`` (or, for result records, ``Attributes``) section naming every argument of
its constructor, and the old spellings are documented as deprecated aliases."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import re

import pytest

PACKAGES = ["wordlab", "wordlab.trainers", "wordlab.align", "wordlab.debias", "wordlab.evals", "wordlab.store",
            "wordlab.corpus", "wordlab.cooccur"]


def _public_classes():
    seen = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and not issubclass(obj, BaseException) and obj not in seen.values():
                seen[f"{package}.{name}"] = obj
    return seen


CLASSES = _public_classes()


def _arguments(cls) -> list[str]:
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls) if f.init]
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return []
    return [n for n, p in sig.parameters.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_constructor_argument_is_documented(name):
    cls = CLASSES[name]
    arguments = _arguments(cls)
    if not arguments:
        return
    doc = inspect.getdoc(cls) or ""
    section = "Attributes" if dataclasses.is_dataclass(cls) else "Parameters"
    assert re.search(rf"^{section}\b.*\n-{{3,}}$", doc, re.M), f"{name} has no numpydoc {section} section"
    missing = [a for a in arguments if not re.search(rf"^(\w+, )*{a}\b.*:", doc, re.M)]
    assert not missing, f"{name} does not document {', '.join(missing)}"


def test_the_trainers_sections_come_from_the_declared_parameters():
    from wordlab.trainers import GloVe
    from wordlab.trainers.parameters import declared
    doc = inspect.getdoc(GloVe)
    assert "x_max : float, default 100.0" in doc
    assert declared(GloVe)["x_max"].help in doc
    assert "output : {'sum', 'word', 'concat'}, default 'sum'" in doc
