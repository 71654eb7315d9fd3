"""Character n-grams of words and fastText's hash (Bojanowski et al. 2017).

A word is wrapped in ``<`` and ``>`` and cut into its n-grams of ``min_n`` to ``max_n``
characters; each n-gram is hashed (:func:`ft_hash`: 32-bit FNV-1a over its UTF-8 bytes,
with fastText's sign extension of each byte) into one of ``bucket`` rows. This is the
definition of fastText's ``Dictionary::computeSubwords`` and of gensim's
``compute_ngrams_bytes`` / ``ft_ngram_hashes``, so a model's n-gram rows mean the same
in all three.

Characters are Unicode code points of the NFC-normalised word (the tokenizer's
normalisation): a Sinhala vowel sign, a virama or a zero-width joiner is a character of
its own and is never cut into bytes. ``max_n = 0`` (or ``bucket = 0``) switches n-grams
off.

Examples
--------
>>> char_ngrams("where", 3, 3)
['<wh', 'whe', 'her', 'ere', 're>']
>>> ft_hash("<wh")
1048167652
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..errors import ParameterError
from ._subword_kernels import fnv1a, ngram_spans, ngram_table

__all__ = ["SubwordSpec", "char_ngrams", "ft_hash", "ngram_rows", "ngram_table_of", "wrap"]


def wrap(word: str) -> bytes:
    """``<word>`` in UTF-8, after NFC normalisation (what the n-grams are cut from)."""
    return ("<" + unicodedata.normalize("NFC", word) + ">").encode("utf-8")


def ft_hash(text: str | bytes) -> int:
    """fastText's hash of ``text`` (its UTF-8 bytes): equal to gensim's ``ft_hash_bytes``."""
    data = np.frombuffer(text.encode("utf-8") if isinstance(text, str) else bytes(text), dtype=np.uint8)
    return int(fnv1a(data, 0, data.shape[0]))


def _spans(wrapped: bytes, min_n: int, max_n: int) -> tuple[np.ndarray, np.ndarray]:
    buf = np.frombuffer(wrapped, dtype=np.uint8)
    out = np.empty((max(len(wrapped) * min(max(max_n, 1), len(wrapped)), 1), 2), dtype=np.int64)
    k = ngram_spans(buf, 0, buf.shape[0], min_n, max_n, out)
    return buf, out[:k]


def char_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The n-grams of ``<word>``, in fastText's order (by first character, then length)."""
    wrapped = wrap(word)
    _, spans = _spans(wrapped, min_n, max_n)
    return [wrapped[a:b].decode("utf-8") for a, b in spans.tolist()]


def ngram_rows(word: str, min_n: int, max_n: int, bucket: int) -> np.ndarray:
    """The n-gram rows of one word: hash % bucket of each n-gram, int32 (repeats kept)."""
    if max_n == 0 or bucket == 0:
        return np.zeros(0, dtype=np.int32)
    buf, spans = _spans(wrap(word), min_n, max_n)
    return np.array([fnv1a(buf, a, b) % bucket for a, b in spans.tolist()], dtype=np.int32)


def ngram_table_of(words: Sequence[str], min_n: int, max_n: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram rows of every word of a vocabulary at once: ``(offsets, rows)``,
    int64 (n_words + 1) and int32, word w's rows being ``rows[offsets[w]:offsets[w+1]]``."""
    if max_n == 0 or bucket == 0:
        return np.zeros(len(words) + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    wrapped = [wrap(w) for w in words]
    offsets = np.zeros(len(wrapped) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in wrapped], out=offsets[1:])
    buf = np.frombuffer(b"".join(wrapped), dtype=np.uint8)
    return ngram_table(buf, offsets, int(min_n), int(max_n), int(bucket))


#: The longest n-gram a model may ask for (fastText's are 3-6).
MAX_N = 100


@dataclass(frozen=True)
class SubwordSpec:
    """The n-gram settings of a model: n from ``min_n`` to ``max_n`` characters, hashed
    into ``bucket`` rows (fastText's ``-minn``, ``-maxn``, ``-bucket``); ``min_n`` 0 is
    taken as 1, as fastText and gensim take it."""
    min_n: int = 3
    max_n: int = 6
    bucket: int = 2_000_000
    #: the hash of the n-grams (the only one there is, named so that a store says so)
    hash: str = "fasttext-fnv1a"

    def __post_init__(self) -> None:
        for name in ("min_n", "max_n", "bucket"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ParameterError(f"{name} must be a non-negative integer, not {value!r}")
        if self.bucket > 2 ** 31 - 1:
            raise ParameterError(f"bucket must be below 2**31, not {self.bucket}")
        if self.max_n > MAX_N:
            raise ParameterError(f"max_n must be at most {MAX_N}, not {self.max_n}")
        # min_n 0 counts from 1, as in fastText (its loop starts at n = 1) and gensim
        if self.enabled and not self.min_n <= self.max_n:
            raise ParameterError(f"n-grams need min_n <= max_n, not min_n={self.min_n}, max_n={self.max_n} "
                                 "(max_n=0 switches them off)")
        if self.hash != "fasttext-fnv1a":
            raise ParameterError(f"unknown n-gram hash {self.hash!r}")

    @property
    def enabled(self) -> bool:
        return self.max_n > 0 and self.bucket > 0

    def rows(self, word: str) -> np.ndarray:
        return ngram_rows(word, self.min_n, self.max_n, self.bucket) if self.enabled else np.zeros(0, np.int32)

    def table(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return ngram_table_of(words, self.min_n, self.max_n, self.bucket if self.enabled else 0)

    def to_meta(self) -> dict:
        return {"min_n": int(self.min_n), "max_n": int(self.max_n), "bucket": int(self.bucket), "hash": self.hash}

    @classmethod
    def from_meta(cls, meta: dict, where: str = "meta.json") -> "SubwordSpec":
        try:
            return cls(int(meta["min_n"]), int(meta["max_n"]), int(meta["bucket"]), str(meta.get("hash", cls.hash)))
        except (KeyError, TypeError, ValueError) as e:
            raise ParameterError(f"{where}: the subword settings {meta!r} are not valid ({e})") from None


def unique_rows(words: Iterable[str], spec: SubwordSpec) -> np.ndarray:
    """The distinct n-gram rows of ``words`` (sorted int32)."""
    rows = [spec.rows(w) for w in words]
    return np.unique(np.concatenate(rows)) if rows else np.zeros(0, np.int32)
