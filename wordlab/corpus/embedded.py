"""The embedded default corpus: real text that ships inside gensim's wheel.

``wordlab train`` with no arguments trains on it, so a fresh machine needs nothing
else. It is the first 106 articles of an English Wikipedia dump (about 460k tokens
once markup is stripped), read through wordlab's own MediaWiki reader.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import WordlabError

DEFAULT_CORPUS_NAME = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


def gensim_test_data() -> Path:
    """gensim's bundled test-data directory."""
    try:
        import gensim
    except ImportError as e:  # pragma: no cover - gensim is a dependency
        raise WordlabError("gensim is not installed; it carries the embedded default corpus") from e
    return Path(gensim.__file__).resolve().parent / "test" / "test_data"


def default_corpus_path() -> Path:
    """Path of the embedded English Wikipedia sample (a MediaWiki XML dump, bz2)."""
    path = gensim_test_data() / DEFAULT_CORPUS_NAME
    if not path.is_file():
        raise WordlabError(f"the embedded default corpus is missing from gensim's wheel: {path}")
    return path
