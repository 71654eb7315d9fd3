"""fastText-style subword embeddings (Bojanowski et al. 2017) on word2vec's trainer.

:class:`FastText` extends :class:`~wordlab.trainers.word2vec.Word2Vec` as gensim's
``FastText`` extends its ``Word2Vec``: the same corpus stream, subsampling, windows,
negative sampling, learning-rate schedule, threads, checkpoints and resume; only a
word's input representation changes. It is the mean of the word's own vector and the
vectors of its character n-grams (:mod:`wordlab.corpus.subwords`: ``<`` and ``>`` mark
the word's ends, n from ``min_n`` to ``max_n`` Unicode characters, hashed by fastText's
FNV-1a into ``bucket`` rows). The kernel (:mod:`wordlab.trainers._fasttext_kernels`)
is word2vec's loop with inputs that carry n-gram rows, on word2vec's sampling and
update helpers; skip-gram pairs the words in fastText's order (the centre's vector
predicts each context word); a word's n-gram rows are computed once per vocabulary.
With n-grams off (``max_n=0``) word2vec's kernel itself runs. The default kernel,
``kernel="batched"``, scores each example's targets before updating them and, in CBOW,
reads and writes each position's rows once instead of once per window that holds it
(:func:`~wordlab.trainers._word2vec_kernels._scored_negative_sampling` and
:func:`~wordlab.trainers._fasttext_kernels.train_cbow_batched` say what that changes);
``kernel="exact"`` is fastText's update.

**Defaults** follow gensim's ``FastText`` and our ``Word2Vec`` (so that ``max_n=0``
gives the SGNS or CBOW result bit for bit, at the same ``alpha``: our CBOW starts at
word2vec.c's 0.05): ``alpha`` 0.025, ``sample`` 1e-3, 5 epochs,
``min_count`` 5, ``window`` 5, ``negative`` 5, ``dim`` 100. The fastText tool's own
defaults differ: ``-lr 0.05``, ``-t 1e-4``, ``-dim 100``, ``-ws 5``, ``-epoch 5``,
``-neg 5``, ``-minCount 5``. The n-gram settings are fastText's and gensim's: ``min_n``
3, ``max_n`` 6, ``bucket`` 2,000,000. Word rows and n-gram rows start uniform in
+-0.5/dim (word2vec.c's range; fastText and gensim use +-1/dim), output rows at zero.

**The store** keeps in ``vectors.npy`` each vocabulary word's composed vector (what
fastText's ``getWordVector`` returns), the trained word rows as the component
``word_vectors``, the n-gram matrix as ``ngram_vectors`` and the settings in
``meta["subwords"]``; it composes a vector for any other string
(:mod:`wordlab.store.subwords`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..corpus import EncodedCorpus
from ..corpus.subwords import SubwordSpec
from ..npyio import create_npy
from ..params import Integer
from ..store._subword_kernels import mean_rows
from . import parameters as P
from ._fasttext_kernels import ngram_weights, train_cbow_batched, train_sentences_subword
from ..npyio import NpyAppender
from .base import Callback
from .word2vec import _INIT_BLOCK_ROWS, KERNELS, Word2Vec, uniform_rows

_BLOCK_ROWS = 8192


def first_use_rows(rows: np.ndarray, bucket: int) -> np.ndarray:
    """A permutation of the ``bucket`` n-gram rows (int32: bucket -> row in training
    order): the rows the vocabulary uses, in the order of first use (words by frequency,
    each word's n-grams in order), then the unused ones. Training on the permuted matrix
    does the same arithmetic on the same values; the n-grams of one word, and those of
    the frequent words, sit together, which the random access of a hashed table does
    not give (measured: 20-30 % more words/s)."""
    used, first = np.unique(rows, return_index=True)
    order = used[np.argsort(first, kind="stable")]
    unused = np.ones(bucket, dtype=bool)
    unused[order] = False
    row_of = np.empty(bucket, dtype=np.int32)
    row_of[order] = np.arange(order.shape[0], dtype=np.int32)
    row_of[unused] = np.arange(order.shape[0], bucket, dtype=np.int32)
    return row_of


class FastText(Word2Vec):
    """fastText-style subword embeddings: ``method="sgns"`` (skip-gram, registered as
    ``fasttext``) or ``"cbow"`` (``fasttext-cbow``).

    Examples
    --------
    >>> emb = FastText(dim=50, epochs=1).fit(wordlab.Corpus.default())   # doctest: +SKIP
    >>> emb.most_similar("kingship")                                     # doctest: +SKIP
    """

    parameters = {
        "min_n": P.Param(Integer(0, 100), "Shortest character n-gram (fastText's -minn)."),
        "max_n": P.Param(Integer(0, 100), "Longest character n-gram (fastText's -maxn); 0 switches n-grams off."),
        "bucket": P.Param(Integer(0, 2 ** 31 - 1), "Rows the n-grams are hashed into (fastText's -bucket)."),
        "kernel": P.Param(P.Options(KERNELS), "batched (an example's targets scored together; CBOW: each "
                          "position's rows read and written once) or exact (fastText's update, target by target)."),
    }

    def __init__(self, *, method: str = "sgns", min_n: int = 3, max_n: int = 6, bucket: int = 2_000_000,
                 kernel: str = "batched", dim: int = 100, window: int = 5, negative: int = 5, sample: float = 1e-3,
                 ns_exponent: float = 0.75, alpha: float = 0.025, min_alpha: float = 0.0001, cbow_mean: bool = True,
                 epochs: int = 5, min_count: int = 5, max_size: int | None = None, workers: int | None = None,
                 seed: int = 1, progress: bool | None = None, callbacks: Sequence[Callback] = ()):
        super().__init__(method=method, dim=dim, window=window, negative=negative, sample=sample,
                         ns_exponent=ns_exponent, alpha=alpha, min_alpha=min_alpha, cbow_mean=cbow_mean,
                         kernel=kernel, epochs=epochs, min_count=min_count, max_size=max_size, workers=workers,
                         seed=seed, progress=progress, callbacks=callbacks)
        self.min_n = min_n
        self.max_n = max_n
        self.bucket = bucket

    @property
    def method_name(self) -> str:
        return "fasttext-cbow" if self.method == "cbow" else "fasttext"

    @property
    def spec(self) -> SubwordSpec:
        return SubwordSpec(int(self.min_n), int(self.max_n), int(self.bucket))

    def _validate(self) -> None:
        super()._validate()
        self.spec                     # min_n <= max_n when n-grams are on

    # -- weights --------------------------------------------------------------------------------
    def _weight_specs(self, n_words: int):
        specs = super()._weight_specs(n_words)
        dim = self.dim

        def uniform_permuted(arr: np.ndarray, rng: np.random.Generator) -> None:
            # the values of the bucket-ordered matrix (drawn as word2vec draws its rows),
            # each at its row in training order
            for a in range(0, arr.shape[0], _INIT_BLOCK_ROWS):
                block = uniform_rows(rng, min(_INIT_BLOCK_ROWS, arr.shape[0] - a), dim)
                arr[self._row_of[a:a + block.shape[0]]] = block

        if self.spec.enabled:       # initialised after the word rows: max_n=0 draws what SGNS draws
            specs["ngram_vectors"] = ((int(self.bucket), dim), uniform_permuted)
        return specs

    def _run_layout(self) -> dict:
        # the live n-gram matrix in first-use order; skip-gram in fastText's pair order
        return {"fasttext_kernel": 2} if self.spec.enabled else {}

    def _prepare(self, encoded: EncodedCorpus) -> None:
        super()._prepare(encoded)
        self._sub_offsets, bucket_rows = self.spec.table(encoded.vocab.words)
        # The live n-gram matrix is permuted (first_use_rows); the store's is in bucket order.
        self._row_of = first_use_rows(bucket_rows, int(self.bucket)) if self.spec.enabled else np.zeros(0, np.int32)
        self._sub_rows = self._row_of[bucket_rows] if bucket_rows.size else bucket_rows
        self._sub_weights = ngram_weights(self._sub_offsets, self._sub_rows)

    def _ngrams(self) -> np.ndarray:
        arr = self._weights.get("ngram_vectors")
        return np.zeros((0, self.dim), np.float32) if arr is None else np.asarray(arr)

    def _kernel(self, tokens, local_offsets, n_sentences, alpha_start, alpha_end, state):
        if not self.spec.enabled:        # no n-grams: word2vec itself, bit for bit
            return super()._kernel(tokens, local_offsets, n_sentences, alpha_start, alpha_end, state)
        return self._subword_kernel()(*self._kernel_args(
            tokens, local_offsets, n_sentences, np.asarray(self._weights["vectors"]), self._ngrams(),
            (self._sub_offsets, self._sub_rows, self._sub_weights), np.asarray(self._weights["context_vectors"]),
            self._locks, alpha_start, alpha_end, state))

    def _subword_kernel(self):
        return train_cbow_batched if self.method == "cbow" and self.kernel == "batched" else train_sentences_subword

    def _kernel_args(self, tokens, offsets, n_sentences, syn0, ngrams, tables, syn1, lock, alpha_start, alpha_end,
                     state) -> tuple:
        """The subword kernel's arguments; ``tables``: a word's n-gram rows and weights
        (the batched CBOW kernel takes no ``cbow`` flag)."""
        head = (tokens, offsets, 0, n_sentences, syn0, ngrams, *tables, syn1, lock, self._keep, self._accept,
                self._alias, int(self.window), int(self.negative))
        cbow = () if self._subword_kernel() is train_cbow_batched else (self.method == "cbow",)
        return head + cbow + (bool(self.cbow_mean), np.float32(alpha_start), np.float32(alpha_end), np.uint64(state),
                              not self._freeze_context, self._sig, self._nlog, self.kernel == "batched")

    def _load_kernels(self) -> None:
        if not self.spec.enabled:
            super()._load_kernels()
        # no sentences, the real argument types: loads the compiled kernel (or compiles it)
        row = np.zeros((1, self.dim), dtype=np.float32)
        empty = (np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros(1, np.float32))
        self._subword_kernel()(*self._kernel_args(np.zeros(0, np.int32), np.zeros(1, np.int64), 0, row, row.copy(),
                                                  empty, row.copy(), np.ones(1, np.float32), self.alpha, self.alpha,
                                                  1))
        mean_rows(row, row, np.zeros(2, np.int64), np.zeros(0, np.int32), row.copy())

    # -- the store ------------------------------------------------------------------------------
    def _meta_extra(self) -> dict:
        return {"subwords": self.spec.to_meta()} if self.spec.enabled else {}

    def _compose_into(self, words: np.ndarray, ngrams: np.ndarray, out: np.ndarray) -> None:
        for a in range(0, out.shape[0], _BLOCK_ROWS):
            b = min(a + _BLOCK_ROWS, out.shape[0])
            offsets = self._sub_offsets[a:b + 1] - self._sub_offsets[a]
            rows = self._sub_rows[self._sub_offsets[a]:self._sub_offsets[b]]
            block = np.empty((b - a, out.shape[1]), dtype=np.float32)
            mean_rows(np.ascontiguousarray(words[a:b]), ngrams, offsets, rows, block)
            out[a:b] = block

    def _current_vectors(self) -> np.ndarray:
        out = np.empty(self._weights["vectors"].shape, dtype=np.float32)
        self._compose_into(self._weights["vectors"], self._ngrams(), out)
        return out

    def _write_output(self, work: Path) -> None:
        """vectors.npy: the composed vectors; the trained word rows become ``word_vectors``."""
        if not self.spec.enabled:
            return
        (work / "vectors.npy").replace(work / "word_vectors.npy")   # a link to the checkpoint: renamed, not written
        words = np.load(work / "word_vectors.npy", mmap_mode="r")
        ngrams = np.load(work / "ngram_vectors.npy", mmap_mode="r")
        out = create_npy(work / "vectors.npy", np.float32, words.shape)
        self._compose_into(words, ngrams, out)
        out.flush()
        del out
        # back to bucket order, by plain writes (a second map of the matrix would double the RSS);
        # the live file may be a link to the checkpoint: it is replaced, not written
        ordered = work / "ngram_vectors.bucket-order.npy"
        with NpyAppender(ordered, np.float32, row_shape=(ngrams.shape[1],)) as f:
            for a in range(0, ngrams.shape[0], _BLOCK_ROWS):
                f.append(np.asarray(ngrams[self._row_of[a:a + _BLOCK_ROWS]]))
        del ngrams
        ordered.replace(work / "ngram_vectors.npy")
