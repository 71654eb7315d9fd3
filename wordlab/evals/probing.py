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

Two diagnostics for CMOW-family stores ask the model itself, below any probe, using its
own training loss and output vectors (``context_vectors.npy``):

* :func:`order_sensitivity`: how much worse is the loss when a held-out context is
  reversed or shuffled?
* :func:`swap_preference`: how often is a held-out sentence cheaper as written than
  with two adjacent words swapped (BigramShift, paired, with no probe)?

A probe can only read order the encoder has learned; when BigramShift sits at chance,
these tell whether the order is missing from the model or present but unreadable.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

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


def adjacent_swap(tokens: Sequence, rng: np.random.Generator) -> tuple[list, int] | None:
    """A copy of ``tokens`` with one random pair of different adjacent tokens swapped, and
    the position of the pair's first token; None if every neighbour is the same token."""
    positions = [p for p in range(len(tokens) - 1) if tokens[p] != tokens[p + 1]]
    if not positions:
        return None
    p = positions[int(rng.integers(len(positions)))]
    out = list(tokens)
    out[p], out[p + 1] = out[p + 1], out[p]
    return out, p


def swapped_pairs(sentences: Iterable[Sequence[str]], index, rng: np.random.Generator,
                  min_length: int = 3) -> Iterator[tuple[list, list, int]]:
    """(ids, swapped ids, position) for each sentence with ``min_length`` known words:
    the ids of its words in ``index`` (unknown words dropped) and a copy with one pair of
    different adjacent ids swapped (:func:`adjacent_swap`)."""
    for sentence in sentences:
        ids = [index[w] for w in sentence if w in index]
        swap = adjacent_swap(ids, rng) if len(ids) >= min_length else None
        if swap is not None:
            yield ids, swap[0], swap[1]


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
        if rng.random() < 0.5:
            s = adjacent_swap(s, rng)[0]         # the pool has no sentence of one repeated word
            labels[i] = 1
        out.append(list(s))
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


class _Objective:
    """A CMOW-family store's own training loss, in float64, for diagnostics.

    ``loss(context_ids, target, noise_ids)`` is the logistic loss of the target against
    the noise words (averaged over all K draws; a draw of the target itself is skipped,
    as in training), with the context encoded in the given order.
    """

    def __init__(self, store, ns_exponent: float = 0.75):
        from ..store.encoders import encoder_layout
        O = store.context_vectors
        if O is None:
            raise WordlabError("this diagnostic needs a store with output vectors (context_vectors.npy)")
        self.cbow_dim, self.k = encoder_layout(store.meta, store.dim)
        self.V = np.asarray(store.vectors, dtype=np.float64)
        self.O = np.asarray(O, dtype=np.float64)
        self.index = store.index
        counts = store.counts.astype(np.float64) ** ns_exponent if store.counts is not None else np.ones(len(store))
        self.noise = counts / counts.sum()

    def encode(self, ids: Sequence[int]) -> np.ndarray:
        d, k = self.cbow_dim, self.k
        parts = [self.V[list(ids), :d].sum(axis=0)] if d else []
        if k:
            P = np.eye(k)
            for i in ids:
                P = P @ self.V[i, d:].reshape(k, k)
            parts.append(P.reshape(-1))
        return np.concatenate(parts)

    def loss(self, context: Sequence[int], target: int, noise_ids: np.ndarray) -> float:
        h = self.encode(context)
        noise = noise_ids[noise_ids != target]        # as in training: a draw of the target is skipped
        return float(np.logaddexp(0.0, -(self.O[target] @ h))
                     + np.logaddexp(0.0, self.O[noise] @ h).sum() / len(noise_ids))

    def draw_noise(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(len(self.noise), size=size, p=self.noise)


def order_sensitivity(store, sentences: Iterable[Sequence[str]], window: int = 5, negative: int = 20,
                      n: int = 3000, ns_exponent: float = 0.75, seed: int = 0) -> OrderSensitivity:
    """Does the store's encoder prefer natural word order where it was trained to?

    A diagnostic below the probes: ``n`` windows of 2 * ``window`` + 1 known words are
    drawn without replacement from all the windows of ``sentences`` (held out from
    training; a long sentence gives many windows), one random word of each is the
    target, and CMOW's objective (the logistic loss of the target against ``negative``
    noise words, the noise terms averaged, as :class:`~wordlab.trainers.CMOW` trains;
    word2vec sums them instead) is computed on the store's encoding of the remaining
    context in its natural order, reversed and shuffled. An order-blind encoder (CBOW)
    gives deltas of exactly zero; a positive delta means order was learned at the level
    of the objective, whatever a probe can read from it. Fewer windows than ``n`` are
    used, with a warning, when the sentences hold fewer. Needs the store's output
    vectors (``context_vectors.npy``).
    """
    objective = _Objective(store, ns_exponent)
    index = objective.index
    rng = np.random.default_rng(seed)

    orders = ("natural", "reversed", "shuffled")
    losses: dict[str, list[float]] = {o: [] for o in orders}
    span = 2 * window + 1
    known = [ids for ids in ([index[w] for w in sentence if w in index] for sentence in sentences)
             if len(ids) >= span]
    starts = np.cumsum([0] + [len(ids) - span + 1 for ids in known])        # window numbering
    total = int(starts[-1])
    if total < n and total > 0:
        warnings.warn(f"order_sensitivity: the sentences hold {total:,} windows of {span} known words, fewer "
                      f"than n={n:,}; all of them are used", stacklevel=2)
    for w in np.sort(rng.choice(total, size=min(n, total), replace=False)) if total else []:
        k = int(np.searchsorted(starts, w, side="right") - 1)
        start = int(w - starts[k])
        win = known[k][start:start + span]
        t = int(rng.integers(0, span))
        target, context = win[t], win[:t] + win[t + 1:]
        negs = objective.draw_noise(rng, negative)
        shuffled = list(context)
        rng.shuffle(shuffled)
        for order, ctx in zip(orders, (context, context[::-1], shuffled)):
            losses[order].append(objective.loss(ctx, target, negs))
    if not losses["natural"]:
        raise WordlabError(f"no sentence has {span} known words")
    nat = np.array(losses["natural"])
    loss = {o: float(np.mean(v)) for o, v in losses.items()}
    delta = {o: float(np.mean(np.array(v) - nat)) for o, v in losses.items()}
    stderr = {o: float(np.std(np.array(v) - nat) / np.sqrt(len(nat))) for o, v in losses.items()}
    return OrderSensitivity(loss, delta, stderr, len(nat))


@dataclass
class SwapPreference:
    """How often a store's own objective prefers a sentence to its bigram-shifted copy.

    ``preferred``: share of sentences whose summed loss is lower as written than with one
    random pair of adjacent words swapped (ties count one half; 0.5 = blind to the swap),
    with its standard error ``stderr``; ``gain``: mean loss saved by the original order,
    with ``gain_stderr``; ``n`` sentences.
    """
    preferred: float
    stderr: float
    gain: float
    gain_stderr: float
    n: int


def swap_preference(store, sentences: Iterable[Sequence[str]], window: int = 5, negative: int = 20,
                    n: int = 2000, ns_exponent: float = 0.75, seed: int = 0) -> SwapPreference:
    """BigramShift asked of the model itself, with no probe: paired, not learned.

    For each sentence (known words only), two adjacent different words are swapped and
    both versions are scored by the store's training objective summed over every
    window whose context or target the swap touches: each word in turn is the target,
    its ``window`` neighbours on either side the context (each word scored against the
    same noise words in both versions). An order-blind encoder gains nothing from the original order except at
    the window edges, where the swap moves a word in or out of a context. Compare with
    a bigram count model on the same training text to see how much of the order
    information in the data the encoder has learned; a linear probe can only read
    what is here, and far less, since it sees one sentence at a time.
    """
    objective = _Objective(store, ns_exponent)
    rng = np.random.default_rng(seed)

    def total(ids: list[int], centres: range, noise: dict) -> float:
        return sum(objective.loss(ids[max(0, j - window):j] + ids[j + 1:j + 1 + window], ids[j], noise[j])
                   for j in centres)

    gains = []
    for ids, swapped, p in swapped_pairs(sentences, objective.index, rng):
        centres = range(max(0, p - window), min(len(ids), p + 2 + window))
        noise = {j: objective.draw_noise(rng, negative) for j in centres}
        as_written = total(ids, centres, noise)
        noise[p], noise[p + 1] = noise[p + 1], noise[p]          # each word keeps its noise words
        gain = total(swapped, centres, noise) - as_written
        gains.append(0.0 if abs(gain) <= 1e-9 * max(1.0, abs(as_written)) else gain)   # rounding is a tie
        if len(gains) == n:
            break
    if not gains:
        raise WordlabError("no sentence has three known words with two different neighbours")
    g = np.asarray(gains)
    wins = (g > 0) + 0.5 * (g == 0)
    return SwapPreference(float(wins.mean()), float(wins.std() / np.sqrt(len(g))), float(g.mean()),
                          float(g.std() / np.sqrt(len(g))), len(g))
