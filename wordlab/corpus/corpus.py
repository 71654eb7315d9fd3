"""``Corpus``: one object for every kind of input, and its cached encoding."""
from __future__ import annotations

import hashlib
import os
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

if TYPE_CHECKING:  # pandas is imported on use: training never needs it
    import pandas as pd

from ..cache import entry_key, get_or_build
from ..errors import ArgumentTypeError, ParameterError, StoreError
from ..params import Integer
from ..paths import cache_root, temporary_dir
from ..progress import progress
from .embedded import default_corpus_path
from .encode import FORMAT_VERSION, EncodedCorpus, write_encoded
from .readers import MAX_SENTENCE_LENGTH, Batch, read_text
from .sources import is_mediawiki, resolve_inputs
from .tokenizer import Tokenizer, as_tokenizer
from .vocab import Vocabulary
from .wiki import read_mediawiki

_ERRORS = ("strict", "replace", "ignore")


class Corpus:
    """A corpus: files on disk or a Python iterable of token lists.

    Parameters
    ----------
    source : path, glob, directory, list of those, or iterable of token lists
        Files may be plain, ``.gz``, ``.bz2`` or ``.xz``; directories are read
        recursively in sorted order; MediaWiki XML dumps are recognised and read as
        articles. An iterable of token lists (``[["a", "b"], ...]``, a generator, a
        gensim corpus) is used as given, without tokenising.
    lowercase : bool, default True
        Lowercase text before tokenising (file input only).
    tokenizer : Tokenizer, callable or regex, optional
        Replaces the default tokenizer (:func:`wordlab.tokenize`).
    sentence_split : bool, default False
        Split lines into sentences at sentence punctuation as well as at newlines.
    paragraphs : bool, default False
        For hard-wrapped text: a blank line ends a sentence (a paragraph, then cut
        further by ``sentence_split``) and single newlines are spaces.
    max_sentence_length : int, default 10,000
        Longer sentences (a text8-style file is one line of 17M tokens) are split into
        consecutive pieces of this many tokens; nothing is dropped.
    errors : {"strict", "replace", "ignore"}, default "strict"
        What invalid UTF-8 does: raise an error naming file and byte offset, or
        substitute/skip the bad bytes.
    encoding : str, default "utf-8"
    include : str, default "*"
        Which files of a directory input are read: a glob on the file name (``"*.txt"``);
        of those, files whose first bytes are not text (an image, an archive) are
        skipped with a warning naming them. Files named explicitly are always read.

    Examples
    --------
    >>> corpus = Corpus("corpora/*.txt.gz")                 # doctest: +SKIP
    >>> encoded = corpus.encode(min_count=5)                # cached on disk
    >>> Corpus([["hello", "world"], ["hello"]]).build_vocab().words
    ['hello', 'world']
    """

    def __init__(self, source, *, lowercase: bool = True,
                 tokenizer: Tokenizer | Callable[[str], list[str]] | str | None = None,
                 sentence_split: bool = False, paragraphs: bool = False,
                 max_sentence_length: int = MAX_SENTENCE_LENGTH, errors: str = "strict", encoding: str = "utf-8",
                 include: str = "*"):
        if errors not in _ERRORS:
            raise ParameterError(f"errors must be one of {_ERRORS}, not {errors!r}")
        if max_sentence_length < 1:
            raise ParameterError(f"max_sentence_length must be positive, not {max_sentence_length}")
        self.tokenizer = as_tokenizer(tokenizer, lowercase=lowercase, sentence_split=sentence_split)
        self.max_sentence_length = int(max_sentence_length)
        self.paragraphs = bool(paragraphs)
        self.errors = errors
        self.encoding = encoding
        self.files: list[Path] | None
        self._iterable = None
        if isinstance(source, (str, os.PathLike)) or _is_path_list(source):
            self.files = resolve_inputs(source, include=include)
        else:
            if not isinstance(source, Iterable):
                raise ArgumentTypeError(f"a corpus source must be paths or an iterable of token lists, "
                                f"not {type(source).__name__}")
            self.files = None
            self._iterable = source

    @classmethod
    def default(cls, **kwargs) -> "Corpus":
        """The embedded default corpus (English Wikipedia sample in gensim's wheel)."""
        return cls(default_corpus_path(), **kwargs)

    # -- reading ------------------------------------------------------------------------
    def total_bytes(self) -> int | None:
        """On-disk size of the input files (for progress), None for iterables."""
        return sum(f.stat().st_size for f in self.files) if self.files is not None else None

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        """Batches of tokenised sentences; ``progress`` receives on-disk bytes read."""
        if self.files is None:
            yield from self._iterable_batches()
            return
        for path in self.files:
            if is_mediawiki(path):
                yield from read_mediawiki(path, self.tokenizer, self.max_sentence_length, progress)
            else:
                yield from read_text(path, self.tokenizer, self.max_sentence_length, self.errors,
                                     self.encoding, progress=progress, paragraphs=self.paragraphs)

    def _iterable_batches(self, size: int = 4096) -> Iterator[Batch]:
        m = self.max_sentence_length
        batch: Batch = []
        for i, sentence in enumerate(self._iterable):
            if isinstance(sentence, str):
                raise ArgumentTypeError(f"sentence {i} of the iterable is a string, not a list of tokens; "
                                "tokenise it first (wordlab.tokenize) or pass file paths")
            tokens = list(sentence)
            batch.extend(tokens[j:j + m] for j in range(0, len(tokens), m)) if len(tokens) > m \
                else batch.append(tokens)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def __iter__(self) -> Iterator[list[str]]:
        """Sentences as lists of tokens."""
        return chain.from_iterable(self.batches())

    # -- vocabulary and encoding ----------------------------------------------------------
    def build_vocab(self, min_count: int = 1, max_size: int | None = None,
                    progress: bool | None = None) -> Vocabulary:
        """Count words (one streaming pass) and return the pruned, ordered vocabulary."""
        counts: dict[str, int] = {}
        get = counts.get
        total = 0
        with _progress_bar(self, progress, "counting") as update:
            for batch in self.batches(update):
                for sentence in batch:
                    total += len(sentence)
                    for w in sentence:
                        counts[w] = get(w, 0) + 1
        return Vocabulary.from_counts(counts, min_count, max_size, total_tokens=total)

    def stats(self, min_counts: Iterable[int] = (1, 2, 3, 5, 10, 20, 50, 100)) -> pd.DataFrame:
        """Types and token coverage at several ``min_count`` values."""
        return self.build_vocab().coverage(min_counts)

    def fingerprint(self) -> dict | None:
        """What identifies this corpus for caching: each file's path, size and content
        digest (:func:`wordlab.cache.content_digest`), and every setting that changes the
        tokens. None for iterables and for streams that can be read only once (FIFOs):
        those are not cacheable."""
        from ..cache import content_digest, is_regular_file
        tok = self.tokenizer.settings()
        if self.files is None or tok is None or not all(is_regular_file(f) for f in self.files):
            return None
        files = [[str(f.resolve()), f.stat().st_size, content_digest(f)] for f in self.files]
        return {"files": files, "tokenizer": tok, "max_sentence_length": self.max_sentence_length,
                **({"paragraphs": True} if self.paragraphs else {}),
                "errors": self.errors, "encoding": self.encoding, "format_version": FORMAT_VERSION}

    def encode(self, min_count: int = 5, max_size: int | None = None, vocab: Vocabulary | None = None,
               cache: bool = True, cache_dir: str | os.PathLike | None = None,
               out: str | os.PathLike | None = None, progress: bool | None = None,
               overwrite: bool = False, client=None) -> EncodedCorpus:
        """Encode to memory-mapped token ids (see :mod:`wordlab.corpus.encode`).

        The result is cached under ``cache_dir`` (default ``$WORDLAB_CACHE/corpora``)
        by a key derived from the contents of the input files, the tokenizer settings
        and the vocabulary settings, and reused when they match; a second process
        encoding the same corpus waits for the first and reuses its result. ``out``
        writes to a chosen directory instead (no cache lookup; an existing ``out`` is
        replaced only with ``overwrite`` and only when it is an encoded corpus).
        Iterables and FIFOs are never cached: give ``out`` to keep their encoding.

        ``client`` (a :class:`dask.distributed.Client`) encodes on that Dask cluster,
        partition by partition (:mod:`wordlab.corpus.encode_distributed`): the same
        vocabulary, ids and offsets. The input files and the output (``out``, or the
        cache) must be on a path every worker sees.
        """
        if vocab is None:
            Integer(1).check("min_count", min_count)
        Integer(1, optional=True).check("max_size", max_size)
        fp = self.fingerprint()
        vocab_key = (None if vocab is None else hashlib.sha256(
            "\n".join(f"{w}\t{c}" for w, c in zip(vocab.words, vocab.counts.tolist())).encode("utf-8")).hexdigest())
        settings = {"min_count": min_count, "max_size": max_size, "vocab": vocab_key}
        meta = {"source": fp, "settings": settings}
        if client is not None:
            return self._encode_on(client, fp, settings, meta, min_count, max_size, vocab, cache, cache_dir, out,
                                   overwrite, progress)
        if out is not None:
            with _progress_bar(self, progress, "encoding") as update:
                return write_encoded(self.batches(update), Path(out), min_count, max_size, vocab, meta,
                                     overwrite=overwrite)
        if fp is None or not cache:
            with _progress_bar(self, progress, "encoding") as update:
                return write_encoded(self.batches(update), temporary_dir("encoded-", "encoded"), min_count,
                                     max_size, vocab, meta, owned=True)
        key = entry_key([fp, settings])          # cache.py derives every cache key
        entry = (Path(cache_dir) if cache_dir is not None else cache_root() / "corpora") / key
        def build(path: Path) -> EncodedCorpus:
            with _progress_bar(self, progress, "encoding") as update:
                return write_encoded(self.batches(update), path, min_count, max_size, vocab, meta, owned=True)
        return get_or_build(entry, _cached, build)

    def _encode_on(self, client, fp, settings, meta, min_count, max_size, vocab, cache, cache_dir, out,
                   overwrite, progress) -> EncodedCorpus:
        """:meth:`encode` on a Dask cluster (same cache entries, same result)."""
        from ..distributed import DaskExecutor
        from .encode_distributed import write_encoded_distributed
        if self.files is None:
            raise ParameterError("client=: encoding on a Dask cluster reads files that every worker sees; "
                                 "this corpus is a Python iterable")
        executor = DaskExecutor(client)

        def write(path: Path, policy: dict) -> EncodedCorpus:
            return write_encoded_distributed(self, executor, path, min_count, max_size, vocab, meta, policy,
                                             progress=progress)
        if out is not None:
            return write(Path(out), dict(overwrite=overwrite, kinds=("wordlab-encoded-corpus",)))
        if fp is None or not cache:
            return write(temporary_dir("encoded-", "encoded"), dict(overwrite=False, kinds=None))
        entry = (Path(cache_dir) if cache_dir is not None else cache_root() / "corpora") / entry_key([fp, settings])
        return get_or_build(entry, _cached, lambda path: write(path, dict(overwrite=False, kinds=None)))

    def __repr__(self) -> str:
        if self.files is None:
            return f"<Corpus from {type(self._iterable).__name__}, {self.tokenizer!r}>"
        head = ", ".join(str(f) for f in self.files[:3]) + (", ..." if len(self.files) > 3 else "")
        return f"<Corpus {len(self.files)} file(s) [{head}], {self.tokenizer!r}>"


def _cached(entry: Path) -> EncodedCorpus | None:
    """The complete cache entry at ``entry``, or None (absent, or damaged: made again)."""
    if not (entry / "meta.json").is_file():
        return None
    try:
        return EncodedCorpus(entry)
    except StoreError:
        return None


def _is_path_list(source) -> bool:
    return (isinstance(source, (list, tuple)) and len(source) > 0
            and all(isinstance(s, (str, os.PathLike)) for s in source))


class _progress_bar:
    """A bar over the input's bytes read (files), or nothing (iterables, or disabled);
    yields the update callable for the readers, or None."""

    def __init__(self, corpus: Corpus, enabled: bool | None, desc: str):
        self.corpus, self.enabled, self.desc = corpus, enabled, desc
        self.bar = None

    def __enter__(self):
        total = self.corpus.total_bytes()
        if total is None:
            return None
        self.bar = progress(self.enabled, total=total, desc=self.desc, unit="B", leave=False)
        return self.bar.update if self.bar.shown else None

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False
