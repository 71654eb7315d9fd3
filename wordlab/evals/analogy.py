"""Word analogies: 3CosAdd and 3CosMul, answered in batches.

For a question a : b :: c : ?, with unit vectors:

- 3CosAdd (Mikolov et al. 2013): argmax_d cos(d, b - a + c);
- 3CosMul (Levy and Goldberg 2014): argmax_d cos'(d, b) cos'(d, c) / (cos'(d, a) + eps),
  with cosines shifted to [0, 1] as cos' = (1 + cos) / 2. ``epsilon`` defaults to 0.001,
  Levy and Goldberg's value; gensim's ``most_similar_cosmul`` uses 1e-6.

The question words are never answers (with ``case_insensitive``, none of their
casings). Only the first ``restrict_vocab`` words are candidates and known words
(default 30,000 as word2vec.c's compute-accuracy; gensim uses 300,000). A question
whose a, b or c, or all of whose accepted answers, are unknown is not covered.

Questions are answered in batches: one matrix product per batch and block of rows
over the unit vectors (not one ``most_similar`` call per question). Reported per
section and in total: accuracy (hits@1 over covered questions, gensim's figure),
coverage, MRR@k and hits@k (k = 10 by default) and accuracy over all questions.
3CosAdd accuracy and per-section counts equal gensim's ``evaluate_word_analogies``.

With ``oov="subword"`` and a subword store (fastText), a question word outside the
known words is composed from its character n-grams (mean of its n-gram vectors, as
for similarity), so the question is covered; the answers are still searched among
the known words only, as fastText's ``analogies`` does. ``n_composed`` counts the
covered questions with a composed word.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ParameterError
from ..store import Embeddings
from ..store.quantize import block_product
from ..store.search import blocked_topk
from .display import Shown, counted
from ._lookup import check_compose_policy, composed_units, key, vocabulary_lookup
from .datasets import AnalogyDataset, load_dataset

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("3cosadd", "3cosmul")
_BATCH = 256          # questions per matrix product
_BLOCK_ROWS = 16_384  # candidate rows per block (BATCH x BLOCK_ROWS float32 = 16 MB)


@dataclass
class SectionScore:
    section: str
    n_questions: int
    n_covered: int
    correct: int
    reciprocal_rank_sum: float
    hits_at_k: int
    n_composed: int = 0    # covered questions with a word composed from n-grams

    @property
    def accuracy(self) -> float:
        """Correct / covered questions (gensim's accuracy)."""
        return self.correct / self.n_covered if self.n_covered else float("nan")

    @property
    def accuracy_all(self) -> float:
        """Correct / all questions (unknown words count as wrong)."""
        return self.correct / self.n_questions if self.n_questions else float("nan")

    @property
    def coverage(self) -> float:
        """Questions whose words are all known (and an answer is) / all questions."""
        return (self.n_covered - self.n_composed) / self.n_questions if self.n_questions else 0.0

    @property
    def composed_coverage(self) -> float:
        """Covered questions, composed words included / all questions."""
        return self.n_covered / self.n_questions if self.n_questions else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_rank_sum / self.n_covered if self.n_covered else float("nan")

    @property
    def hits(self) -> float:
        return self.hits_at_k / self.n_covered if self.n_covered else float("nan")


@dataclass(repr=False)
class AnalogyResult(Shown):
    """The outcome of one analogy evaluation (:func:`~wordlab.evals.evaluate_analogies`).

    Attributes
    ----------
    dataset : str
        The dataset's name.
    method : {"3cosadd", "3cosmul"}
        The analogy rule.
    oov : {"skip", "subword"}
        The policy for question words outside the known words.
    restrict_vocab : int or None
        Candidates and known words: the most frequent N (None: all).
    k : int
        The cut-off of MRR@k and hits@k.
    sections : list of SectionScore
        Per section: questions, covered, correct, accuracy, coverage, MRR@k, hits@k.
    total : SectionScore
        The same over the whole dataset.
    answers : list of tuple
        ``(section, a, b, c, expected, predicted)`` for every covered question.
    """
    dataset: str
    method: str
    restrict_vocab: int | None
    k: int
    sections: list[SectionScore]
    total: SectionScore
    answers: list = field(repr=False, default_factory=list)   # (section, a, b, c, expected, predicted)
    oov: str = "skip"

    @property
    def accuracy(self) -> float:
        return self.total.accuracy

    @property
    def coverage(self) -> float:
        return self.total.coverage

    @property
    def composed_coverage(self) -> float:
        return self.total.composed_coverage

    def _shown(self):
        t = self.total
        fields = {"accuracy": f"{t.accuracy:.4f}", "covered": counted(t.n_covered, t.n_questions, "questions"),
                  f"MRR@{self.k}": f"{t.mrr:.4f}", "method": self.method,
                  "candidates": "all words" if self.restrict_vocab is None else f"{self.restrict_vocab:,} words",
                  "sections": f"{len(self.sections)} (.to_frame())"}
        return "AnalogyResult", self.dataset, fields

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()

    def to_frame(self) -> "pd.DataFrame":
        import pandas as pd
        rows = []
        for s in self.sections + [self.total]:
            rows.append({"section": s.section, "questions": s.n_questions, "covered": s.n_covered,
                         "correct": s.correct, "accuracy": s.accuracy, "coverage": s.coverage,
                         f"mrr@{self.k}": s.mrr, f"hits@{self.k}": s.hits, "accuracy_all": s.accuracy_all,
                         "composed": s.n_composed})
        return pd.DataFrame(rows)


def evaluate_analogies(store: Embeddings, dataset: str | AnalogyDataset = "google-analogy",
                       method: str = "3cosadd", restrict_vocab: int | None = 30_000, k: int = 10,
                       case_insensitive: bool = True, epsilon: float = 1e-3,
                       keep_answers: bool = False, oov: str = "skip") -> AnalogyResult:
    """Evaluate analogies (see module docstring); returns per-section and total scores.

    ``oov``: ``"skip"`` (default; gensim's rule) leaves out a question with an unknown
    word; ``"subword"`` composes it from n-grams in a subword store.
    """
    method = method.lower()
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, not {method!r}")
    check_compose_policy(oov)
    if k < 1:
        raise ParameterError(f"k must be at least 1, not {k}")
    data = dataset if isinstance(dataset, AnalogyDataset) else load_dataset(dataset)
    lookup = vocabulary_lookup(store, restrict_vocab, case_insensitive)
    limit = len(store) if restrict_vocab is None else min(int(restrict_vocab), len(store))
    unit = store.unit_vectors
    # Rows sharing a question word's key (its other casings) are excluded as answers too.
    same_key: dict[str, list[int]] = {}
    if case_insensitive:
        for i, w in enumerate(store.words[:limit]):
            same_key.setdefault(w.upper(), []).append(i)

    def excluded(word: str) -> list[int]:
        kw = key(word, case_insensitive)
        if kw not in lookup:            # a composed word is no candidate: nothing to exclude
            return []
        return same_key.get(kw, [lookup[kw]]) if case_insensitive else [lookup[kw]]

    composed = (composed_units(store, (w for _, qs in data.sections for q in qs for w in q[:3]), lookup,
                               case_insensitive) if oov == "subword" else {})

    def vector(word: str):
        """The question word's unit vector: its row, composed, or None."""
        i = lookup.get(key(word, case_insensitive))
        return unit[i] if i is not None else composed.get(word)

    scores_by_section: list[SectionScore] = []
    answers_log = []
    for name, questions in data.sections:
        covered = []   # (a, b, c unit vectors, answer row set, exclusion list, question, composed?)
        for q in questions:
            a, b, c, answers = q
            va, vb, vc = (vector(w) for w in (a, b, c))
            # Any casing of an accepted answer is correct (gensim compares upper-cased words).
            rows = {r for w in answers if key(w, case_insensitive) in lookup for r in excluded(w)}
            if va is None or vb is None or vc is None or not rows:
                continue
            is_composed = any(key(w, case_insensitive) not in lookup for w in (a, b, c))
            covered.append((va, vb, vc, rows, excluded(a) + excluded(b) + excluded(c), q, is_composed))
        correct, rr_sum, hits = 0, 0.0, 0
        for start in range(0, len(covered), _BATCH):
            batch = covered[start:start + _BATCH]
            ua, ub, uc = (np.array([x[j] for x in batch], dtype=np.float32) for j in range(3))
            ids = _answer_batch(unit, ua, ub, uc, [x[4] for x in batch], method, limit, k, epsilon)
            for row, x in zip(ids.tolist(), batch):
                rank = next((r + 1 for r, i in enumerate(row) if i in x[3]), None)
                if rank == 1:
                    correct += 1
                if rank is not None:
                    rr_sum += 1.0 / rank
                    hits += 1
                if keep_answers:
                    a, b, c, answers = x[5]
                    answers_log.append((name, a, b, c, answers[0], store.words[row[0]] if row and row[0] >= 0 else None))
        scores_by_section.append(SectionScore(name, len(questions), len(covered), correct, rr_sum, hits,
                                              sum(x[6] for x in covered)))
    total = SectionScore("total", *(sum(getattr(s, f) for s in scores_by_section)
                                    for f in ("n_questions", "n_covered", "correct", "reciprocal_rank_sum",
                                              "hits_at_k", "n_composed")))
    return AnalogyResult(data.name, method, restrict_vocab, k, scores_by_section, total, answers_log, oov)


def _answer_batch(unit: np.ndarray, ua: np.ndarray, ub: np.ndarray, uc: np.ndarray, exclude: list[list[int]],
                  method: str, limit: int, k: int, epsilon: float) -> np.ndarray:
    """Top-k candidate rows for a batch of questions given their unit vectors
    (float32, (n_questions, dim) each): (n_questions, k)."""
    if method == "3cosadd":
        target = ub - ua + uc
        target /= np.maximum(np.linalg.norm(target, axis=1, keepdims=True), 1e-12)

        def scores(start: int, stop: int) -> np.ndarray:
            return block_product(unit, target, start, stop)     # (questions, rows)
    else:
        abc = np.concatenate([ua, ub, uc])             # (3n, dim)
        n = ua.shape[0]
        eps = np.float32(epsilon)

        def scores(start: int, stop: int) -> np.ndarray:
            s = block_product(unit, abc, start, stop)
            s += 1.0
            s *= 0.5
            return s[n:2 * n] * s[2 * n:] / (s[:n] + eps)

    ids, _ = blocked_topk(limit, scores, k, exclude, block_rows=_BLOCK_ROWS)
    return ids
