"""Probing tasks generated from any corpus, and a logistic-regression probe.

What does a sentence encoder keep? Each task turns plain sentences into labelled
examples (after SentEval, Conneau et al. 2018), split into train / dev / test:

* :func:`bigram_shift`: is the sentence as written (0) or with two adjacent words
  swapped (1)? Half of the sentences get one swap of two different adjacent words.
* :func:`word_content`: which one of N mid-frequency words does the sentence contain?
  Only sentences containing exactly one of the N words (once) are used, at most
  ``per_word`` of them per word.
* :func:`sentence_length`: which length bin does the sentence fall in?

:func:`probe` encodes the sentences with a store (:meth:`Embeddings.encode`),
standardises the features on the training split, fits scikit-learn's
``LogisticRegression`` for each C in ``Cs``, keeps the C with the best dev accuracy and
reports test accuracy. Everything is drawn from ``seed``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from ..errors import WordlabError


@dataclass
class ProbingTask:
    """Labelled sentences with a fixed split.

    sentences : list of word lists;  labels : int array (n,);  split : array of
    "train" / "dev" / "test" (n,);  classes : the label names.
    """
    name: str
    sentences: list
    labels: np.ndarray
    split: np.ndarray
    classes: list = field(default_factory=list)

    def sizes(self) -> dict:
        return {part: int((self.split == part).sum()) for part in ("train", "dev", "test")}

    def __repr__(self) -> str:
        return f"<ProbingTask {self.name}: {len(self.sentences):,} sentences, {len(self.classes)} classes, {self.sizes()}>"


@dataclass
class ProbeResult:
    task: str
    accuracy: float          # test accuracy
    dev_accuracy: float
    C: float
    sizes: dict
    chance: float            # accuracy of always answering the most frequent training label


def _splits(n: int, rng: np.random.Generator, fractions=(0.8, 0.1, 0.1)) -> np.ndarray:
    order = rng.permutation(n)
    split = np.empty(n, dtype=object)
    a = int(round(fractions[0] * n))
    b = a + int(round(fractions[1] * n))
    split[order[:a]] = "train"
    split[order[a:b]] = "dev"
    split[order[b:]] = "test"
    return split


def _as_lists(sentences: Iterable) -> list[list[str]]:
    return [list(s.split()) if isinstance(s, str) else list(s) for s in sentences]


def bigram_shift(sentences: Iterable[Sequence[str]], n: int = 20_000, min_length: int = 5,
                 max_length: int = 40, seed: int = 0) -> ProbingTask:
    """Sentences as written (label 0) or with two different adjacent words swapped (1)."""
    rng = np.random.default_rng(seed)
    pool = [s for s in _as_lists(sentences) if min_length <= len(s) <= max_length and len(set(s)) > 1]
    if len(pool) < 10:
        raise WordlabError(f"bigram_shift needs sentences of {min_length}-{max_length} words; found {len(pool)}")
    chosen = [pool[i] for i in rng.permutation(len(pool))[:n]]
    out, labels = [], np.zeros(len(chosen), dtype=np.int64)
    for i, s in enumerate(chosen):
        s = list(s)
        if rng.random() < 0.5:
            positions = [p for p in range(len(s) - 1) if s[p] != s[p + 1]]
            p = positions[int(rng.integers(len(positions)))]
            s[p], s[p + 1] = s[p + 1], s[p]
            labels[i] = 1
        out.append(s)
    return ProbingTask("BigramShift", out, labels, _splits(len(out), rng), ["original", "swapped"])


def word_content(sentences: Iterable[Sequence[str]], n_words: int = 200, per_word: int = 100,
                 frequency_ranks: tuple[int, int] = (2_000, 5_000), min_length: int = 5, max_length: int = 40,
                 seed: int = 0) -> ProbingTask:
    """Which of ``n_words`` mid-frequency words (frequency ranks in ``frequency_ranks`` of
    these sentences) does a sentence contain? Each sentence used contains exactly one of
    them, once."""
    from collections import Counter
    rng = np.random.default_rng(seed)
    pool = [s for s in _as_lists(sentences) if min_length <= len(s) <= max_length]
    counts = Counter(w for s in pool for w in s)
    ranked = [w for w, _ in counts.most_common()]
    lo, hi = frequency_ranks
    band = [w for w in ranked[lo:hi] if any(ch.isalpha() for ch in w)]     # no numbers or punctuation
    if len(band) < n_words:
        raise WordlabError(f"word_content: only {len(band)} words in frequency ranks {lo}-{hi}; "
                           f"use a larger corpus or fewer words")
    targets = [band[i] for i in sorted(rng.choice(len(band), n_words, replace=False))]
    target_id = {w: i for i, w in enumerate(targets)}
    by_word: list[list[list[str]]] = [[] for _ in targets]
    for s in pool:
        hits = [w for w in s if w in target_id]
        if len(hits) == 1:
            by_word[target_id[hits[0]]].append(s)
    out, labels = [], []
    for i, group in enumerate(by_word):
        for j in rng.permutation(len(group))[:per_word]:
            out.append(group[j])
            labels.append(i)
    return ProbingTask("WordContent", out, np.asarray(labels, dtype=np.int64), _splits(len(out), rng), targets)


def sentence_length(sentences: Iterable[Sequence[str]], bins: Sequence[int] = (5, 9, 13, 17, 21, 26, 31, 41),
                    per_bin: int = 3_000, seed: int = 0) -> ProbingTask:
    """Length bin of a sentence: bins [5, 9), [9, 13), ... up to the last edge, at most
    ``per_bin`` sentences each."""
    rng = np.random.default_rng(seed)
    edges = np.asarray(bins)
    groups: list[list[list[str]]] = [[] for _ in range(len(edges) - 1)]
    for s in _as_lists(sentences):
        b = int(np.searchsorted(edges, len(s), side="right")) - 1
        if 0 <= b < len(groups):
            groups[b].append(s)
    out, labels = [], []
    for b, group in enumerate(groups):
        for j in rng.permutation(len(group))[:per_bin]:
            out.append(group[j])
            labels.append(b)
    names = [f"{edges[b]}-{edges[b + 1] - 1}" for b in range(len(groups))]
    return ProbingTask("SentenceLength", out, np.asarray(labels, dtype=np.int64), _splits(len(out), rng), names)


def probe(store, task: ProbingTask, Cs: Sequence[float] = (0.01, 0.1, 1.0), max_iter: int = 500,
          seed: int = 0) -> ProbeResult:
    """Test accuracy of a logistic-regression probe on ``store``'s sentence encodings."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    X = store.encode(task.sentences).astype(np.float64)
    y = task.labels
    parts = {p: task.split == p for p in ("train", "dev", "test")}
    scaler = StandardScaler().fit(X[parts["train"]])
    X = scaler.transform(X)
    np.clip(X, -50, 50, out=X)            # products of many matrices can have heavy tails
    best = None
    for C in Cs:
        model = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
        model.fit(X[parts["train"]], y[parts["train"]])
        dev = float(model.score(X[parts["dev"]], y[parts["dev"]]))
        if best is None or dev > best[0]:
            best = (dev, C, model)
    dev, C, model = best
    test = float(model.score(X[parts["test"]], y[parts["test"]]))
    train_labels = y[parts["train"]]
    chance = float(np.bincount(train_labels).max() / max(train_labels.shape[0], 1))
    return ProbeResult(task.name, test, dev, C, task.sizes(), chance)


@dataclass
class OrderSensitivity:
    """Mean held-out loss of a CMOW-family store's own objective, by context order.

    ``loss[order]`` for "natural", "reversed" and "shuffled" contexts (the same windows,
    targets and noise words); ``delta[order]`` = loss minus the natural loss, with its
    standard error ``stderr[order]``; ``n`` windows.
    """
    loss: dict
    delta: dict
    stderr: dict
    n: int


def order_sensitivity(store, sentences: Iterable[Sequence[str]], window: int = 5, negative: int = 20,
                      n: int = 3000, ns_exponent: float = 0.75, seed: int = 0) -> OrderSensitivity:
    """Does the store's encoder prefer natural word order where it was trained to?

    A diagnostic below the probes: windows of 2 * ``window`` + 1 words are drawn from
    ``sentences`` (held out from training), one random word is the target, and the
    store's training loss (the logistic loss of the target against ``negative`` noise
    words, averaged over the negatives, as :class:`~wordlab.trainers.CMOW`) is computed
    with the remaining context in its natural order, reversed and shuffled. An order-blind
    encoder (CBOW) gives deltas of exactly zero; a positive delta means order was
    learned at the level of the objective, whatever a probe can read from it.
    Needs the store's output vectors (``context_vectors.npy``).
    """
    from ..store.encoders import encoder_layout
    O = store.context_vectors
    if O is None:
        raise WordlabError("order_sensitivity needs a store with output vectors (context_vectors.npy)")
    cbow_dim, k = encoder_layout(store.meta, store.dim)
    V = np.asarray(store.vectors, dtype=np.float64)
    O = np.asarray(O, dtype=np.float64)
    index = store.index
    counts = store.counts.astype(np.float64) ** ns_exponent if store.counts is not None else np.ones(len(store))
    noise = counts / counts.sum()
    rng = np.random.default_rng(seed)

    def encode(ids: list[int]) -> np.ndarray:
        parts = [V[ids, :cbow_dim].sum(axis=0)] if cbow_dim else []
        if k:
            P = np.eye(k)
            for i in ids:
                P = P @ V[i, cbow_dim:].reshape(k, k)
            parts.append(P.reshape(-1))
        return np.concatenate(parts)

    orders = ("natural", "reversed", "shuffled")
    losses: dict[str, list[float]] = {o: [] for o in orders}
    span = 2 * window + 1
    for sentence in sentences:
        ids = [index[w] for w in sentence if w in index]
        if len(ids) < span:
            continue
        start = int(rng.integers(0, len(ids) - span + 1))
        win = ids[start:start + span]
        t = int(rng.integers(0, span))
        target, context = win[t], win[:t] + win[t + 1:]
        negs = rng.choice(len(noise), size=negative, p=noise)
        shuffled = list(context)
        rng.shuffle(shuffled)
        for order, ctx in zip(orders, (context, context[::-1], shuffled)):
            h = encode(ctx)
            losses[order].append(float(np.logaddexp(0.0, -(O[target] @ h)) + np.mean(np.logaddexp(0.0, O[negs] @ h))))
        if len(losses["natural"]) == n:
            break
    if not losses["natural"]:
        raise WordlabError(f"no sentence has {span} known words")
    nat = np.array(losses["natural"])
    loss = {o: float(np.mean(v)) for o, v in losses.items()}
    delta = {o: float(np.mean(np.array(v) - nat)) for o, v in losses.items()}
    stderr = {o: float(np.std(np.array(v) - nat) / np.sqrt(len(nat))) for o, v in losses.items()}
    return OrderSensitivity(loss, delta, stderr, len(nat))
