"""Grading the coursework notebook (``notebooks/06_coursework``): one check per exercise.

A check runs the student's function on examples chosen so that the common mistakes
fail, and compares the result with an exact float64 reference written here (and, for
the SGNS update, with the library's Numba kernel too). It never raises: it returns a
:class:`Grade` (passed, failed with the reason, or not attempted when the function
still raises ``NotImplementedError``), so Run All goes on to the next exercise, and a
:class:`Gradebook` adds up the points.

**Tolerances follow from the arithmetic.** A correct answer in float32 is a correct
answer. float32 rounds each operation to a relative 6e-8; the examples have values of
order 1, a dimension of 6 or 20 and at most a few dozen operations in a chain, so a
float32 result is within about 1e-6 of the float64 reference. The tolerances below
(1e-5 for the SGNS update and the orthogonality of W, 1e-4 for W itself, whose SVD
divides by gaps between singular values) leave a margin of ten, while every mistake the
tests feed in misses by 1e-3 or more (``tests/test_coursework.py`` asserts both).

**The library's own answer is hidden while the student's function runs**: calling
``wordlab.align.orthogonal_procrustes``, an ``Embeddings`` query (``analogy``,
``most_similar``, ...) or the word2vec kernel from it raises, and the check says so.
scipy's ``orthogonal_procrustes`` stays allowed: it is not the answer under test.
"""
from __future__ import annotations

import html
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np

#: Points per exercise.
POINTS = {"sgns-update": 4, "three-cos-add": 3, "procrustes": 3}
#: |float32 - float64| allowed on the SGNS update and on W's orthogonality (see above).
TOLERANCE = 1e-5
#: ... on W itself (an SVD's vectors are conditioned by the gaps of its singular values).
W_TOLERANCE = 1e-4


class LibraryAnswerCalled(RuntimeError):
    """The student's function called the implementation it is checked against."""


@dataclass
class Grade:
    """The result of one check."""
    exercise: str
    status: str                  # "passed", "failed", "not attempted"
    points: int
    out_of: int
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        mark = {"passed": "OK", "failed": "FAILED", "not attempted": "NOT ATTEMPTED"}[self.status]
        return f"{mark} {self.exercise} ({self.points}/{self.out_of} points): {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "failed": "#cf222e", "not attempted": "#9a6700"}[self.status]
        return (f"<p><b style='color:{colour}'>{html.escape(self.status.upper())}</b> "
                f"{html.escape(self.exercise)} ({self.points}/{self.out_of} points): {html.escape(self.message)}</p>")


@dataclass
class Gradebook:
    """The grades of a notebook's checks, the last per exercise."""
    grades: dict[str, Grade] = field(default_factory=dict)

    def add(self, grade: Grade) -> Grade:
        self.grades[grade.exercise] = grade
        return grade

    @property
    def points(self) -> int:
        return sum(g.points for g in self.grades.values())

    @property
    def out_of(self) -> int:
        return sum(POINTS.values())

    def __str__(self) -> str:
        lines = [str(self.grades[name]) if name in self.grades else f"NOT RUN {name} (0/{POINTS[name]} points)"
                 for name in POINTS]
        return "\n".join(lines + [f"total: {self.points}/{self.out_of} points"])

    __repr__ = __str__


def _grade(exercise: str, run: Callable[[], str]) -> Grade:
    """Run one check: its message on success, a failed grade on AssertionError or any
    exception of the student's code, "not attempted" on NotImplementedError."""
    out_of = POINTS[exercise]
    try:
        return Grade(exercise, "passed", out_of, out_of, run())
    except NotImplementedError:
        return Grade(exercise, "not attempted", 0, out_of, "the function still raises NotImplementedError")
    except LibraryAnswerCalled as e:
        return Grade(exercise, "failed", 0, out_of, str(e))
    except AssertionError as e:
        return Grade(exercise, "failed", 0, out_of, str(e))
    except Exception as e:            # the student's code failed: say how, go on
        return Grade(exercise, "failed", 0, out_of, f"your function raised {type(e).__name__}: {e}")


# -- hiding the library's answers ------------------------------------------------------------------
def _stub(name: str, what: str):
    def hidden(*args, **kwargs):
        raise LibraryAnswerCalled(f"your function called {name}, the library's own {what}: the check hides it, "
                                  "write the computation yourself")
    return hidden


@contextmanager
def _hidden(fn: Callable, targets: Sequence[tuple[object, str]], what: str) -> Iterator[None]:
    """Replace each attribute ``owner.name`` of ``targets`` by a stub that raises, and so
    any global of ``fn`` (the notebook's namespace) bound to one of those objects."""
    saved = [(owner, name, owner.__dict__[name]) for owner, name in targets if name in owner.__dict__]
    hidden_ids = {id(value) for _, _, value in saved}
    namespace = getattr(fn, "__globals__", {})
    aliases = {key: value for key, value in namespace.items() if id(value) in hidden_ids}
    try:
        for owner, name, _ in saved:
            setattr(owner, name, _stub(f"{getattr(owner, '__name__', owner)}.{name}", what))
        for key in aliases:
            namespace[key] = _stub(key, what)
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)
        namespace.update(aliases)


def _query_methods(cls) -> list[tuple[object, str]]:
    names = ("analogy", "most_similar", "most_similar_cosmul", "similar_by_vector", "similar_by_word")
    return [(klass, name) for klass in cls.__mro__ for name in names if name in vars(klass)]


# -- exercise 1: one SGNS update -------------------------------------------------------------------
def reference_sgns_update(h, syn1, target: int, negatives: Sequence[int], alpha: float):
    """word2vec.c's skip-gram negative-sampling step in float64: the positive ``target``
    then each noise word in order; ``neu1e`` gathers g * syn1[t] from each row before its
    update, a word drawn twice is updated twice, and h moves by neu1e at the end.
    Returns (new h, new syn1, loss)."""
    h = np.array(h, dtype=np.float64)
    syn1 = np.array(syn1, dtype=np.float64)
    neu1e = np.zeros_like(h)
    loss = 0.0
    for t, label in [(int(target), 1.0)] + [(int(n), 0.0) for n in negatives]:
        f = h @ syn1[t]
        p = 1.0 / (1.0 + np.exp(-f))
        loss -= np.log(p if label else 1.0 - p)
        g = alpha * (label - p)
        neu1e += g * syn1[t]
        syn1[t] += g * h
    return h + neu1e, syn1, loss


@dataclass
class SGNSExample:
    """A toy SGNS problem: ``syn0``/``syn1`` float32 (V, dim), a (context, centre) pair
    and the noise words the kernel draws from ``state`` (draws equal to the centre
    skipped, as word2vec.c and the kernel do)."""
    syn0: np.ndarray
    syn1: np.ndarray
    counts: np.ndarray
    context: int
    centre: int
    alpha: float
    k: int
    state: np.uint64
    negatives: list[int]


def sgns_example(seed: int = 7, k: int = 4, alpha: float = 0.025, state: int = 2024) -> SGNSExample:
    """The notebook's toy example: 8 words, dimension 6."""
    from .trainers._sampling import alias_table, draw_noise, noise_distribution
    rng = np.random.default_rng(seed)
    V, dim = 8, 6
    syn0 = rng.uniform(-0.5, 0.5, size=(V, dim)).astype(np.float32)
    syn1 = rng.normal(0.0, 0.3, size=(V, dim)).astype(np.float32)
    counts = np.array([50, 40, 30, 20, 10, 8, 6, 4])
    context, centre = 5, 2
    accept, alias = alias_table(noise_distribution(counts))
    s, negatives = np.uint64(state), []
    for _ in range(k):
        word, s = draw_noise(s, accept, alias)
        s = np.uint64(s)
        if int(word) != centre:
            negatives.append(int(word))
    return SGNSExample(syn0, syn1, counts, context, centre, alpha, k, np.uint64(state), negatives)


def _kernel_update(ex: SGNSExample):
    """The library's Numba kernel on ``ex``: (new h, new syn1, loss)."""
    from .trainers._sampling import alias_table, noise_distribution
    from .trainers._word2vec_kernels import _negative_sampling_update, sigmoid_tables
    sig_table, nlog_table = sigmoid_tables()
    accept, alias = alias_table(noise_distribution(ex.counts))
    h, syn1 = ex.syn0[ex.context].copy(), ex.syn1.copy()
    neu1e = np.zeros_like(h)
    loss, _ = _negative_sampling_update(h, ex.centre, syn1, neu1e, np.float32(ex.alpha), ex.k, accept, alias,
                                        ex.state, True, sig_table, nlog_table)
    return h + neu1e, syn1, float(loss)


def _hard_sgns_cases() -> list[tuple[str, np.ndarray, np.ndarray, int, list[int], float]]:
    """Cases that separate the orders of update: a learning rate of 0.5 (so a row's
    update changes what later targets see by far more than the tolerance) and noise
    words drawn two and three times."""
    rng = np.random.default_rng(11)
    cases = []
    for name, negatives in (("a noise word drawn three times", [3, 1, 3, 3]),
                            ("two words drawn twice", [4, 6, 4, 6, 0])):
        syn0 = rng.uniform(-0.8, 0.8, size=(8, 6)).astype(np.float32)
        syn1 = rng.normal(0.0, 0.6, size=(8, 6)).astype(np.float32)
        cases.append((name, syn0[5].copy(), syn1, 2, negatives, 0.5))
    return cases


def check_sgns_update(fn: Callable) -> Grade:
    """Grade ``fn(h, syn1, target, negatives, alpha) -> (new_h, new_syn1, loss)``.

    Against the float64 reference on the notebook's example and on two cases with
    repeated noise words and a large learning rate (all within :data:`TOLERANCE`); the
    inputs must be left unchanged; and on the notebook's example against the library's
    kernel, which reads the sigmoid from word2vec.c's table of 1,000 steps over [-6, 6]
    (a step of 0.012 moves the sigmoid by at most 0.003, so alpha = 0.025 times five
    targets gives about 4e-4: allowed 5e-4)."""
    from .trainers import _word2vec_batched, _word2vec_kernels
    ex = sgns_example()
    kernel_h, kernel_syn1, kernel_loss = _kernel_update(ex)
    cases = [("the notebook's example", ex.syn0[ex.context].copy(), ex.syn1.copy(), ex.centre, ex.negatives,
              ex.alpha)] + _hard_sgns_cases()
    library = [(_word2vec_kernels, name) for name in vars(_word2vec_kernels) if name.startswith(("_negative",
                                                                                                  "train_"))]
    library += [(_word2vec_batched, name) for name in vars(_word2vec_batched) if name.startswith("train_")]

    def run() -> str:
        worst = 0.0
        for n, (name, h, syn1, target, negatives, alpha) in enumerate(cases):
            h_in, syn1_in = h.copy(), syn1.copy()
            with _hidden(fn, library, "word2vec kernel"):
                got = fn(h, syn1, target, list(negatives), alpha)
            assert np.array_equal(h, h_in) and np.array_equal(syn1, syn1_in), \
                "your function changed h or syn1 in place: work on copies"
            assert isinstance(got, tuple) and len(got) == 3, "return (new_h, new_syn1, loss)"
            new_h, new_syn1, loss = (np.asarray(got[0], dtype=np.float64), np.asarray(got[1], dtype=np.float64),
                                     float(got[2]))
            want_h, want_syn1, want_loss = reference_sgns_update(h, syn1, target, negatives, alpha)
            assert new_h.shape == want_h.shape and new_syn1.shape == want_syn1.shape, \
                f"{name}: shapes {new_h.shape}, {new_syn1.shape}; expected {want_h.shape}, {want_syn1.shape}"
            dh, ds = np.abs(new_h - want_h).max(), np.abs(new_syn1 - want_syn1).max()
            assert dh <= TOLERANCE, f"{name} (negatives {negatives}, alpha {alpha}): new h is off by {dh:.1e}"
            assert ds <= TOLERANCE, f"{name} (negatives {negatives}, alpha {alpha}): new syn1 is off by {ds:.1e}"
            assert abs(loss - want_loss) <= TOLERANCE * max(1.0, abs(want_loss)), \
                f"{name}: loss {loss:.6f}, expected {want_loss:.6f}"
            worst = max(worst, dh, ds)
            if n == 0:
                dk = max(np.abs(new_h - kernel_h).max(), np.abs(new_syn1 - kernel_syn1).max())
                assert dk <= 5e-4, f"the notebook's example: {dk:.1e} from the library's kernel"
        return (f"{len(cases)} cases within {worst:.1e} of the float64 reference (allowed {TOLERANCE:g}), and the "
                f"library's kernel within 5e-4")
    return _grade("sgns-update", run)


# -- exercise 2: 3CosAdd ---------------------------------------------------------------------------
def reference_three_cos_add(unit: np.ndarray, index: dict, a: str, b: str, c: str, words: Sequence[str]) -> str:
    """3CosAdd over float64 unit rows, a, b and c excluded."""
    ia, ib, ic = index[a], index[b], index[c]
    scores = unit @ (unit[ib] - unit[ia] + unit[ic])
    scores[[ia, ib, ic]] = -np.inf
    return words[int(np.argmax(scores))]


def analogy_questions(emb, n_google: int = 200) -> list[tuple[str, str, str]]:
    """A few hand-picked questions and every (len/n_google)-th Google analogy question
    whose words are all in ``emb`` (lowercased)."""
    from .evals import load_dataset
    hand = [("he", "his", "she"), ("one", "two", "three"), ("france", "paris", "germany")]
    google = [tuple(w.lower() for w in q[:3]) for _, section in load_dataset("google-analogy").sections
              for q in section]
    google = [q for q in google if all(w in emb for w in q)]
    step = max(1, len(google) // n_google)
    return [q for q in hand if all(w in emb for w in q)] + google[::step][:n_google]


def check_three_cos_add(fn: Callable, emb, questions: Sequence[tuple[str, str, str]] | None = None) -> Grade:
    """Grade ``fn(vectors, words, a, b, c) -> d`` on ``questions`` (default:
    :func:`analogy_questions`): every answer must be the float64 reference's, which is
    checked against ``emb.analogy`` first. Many questions, so that a missed
    normalisation or exclusion shows; the store's query methods are hidden meanwhile."""
    vectors = np.asarray(emb.vectors)
    words = list(emb.words)
    questions = list(questions) if questions is not None else analogy_questions(emb)
    unit = np.asarray(vectors, dtype=np.float64)
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    expected = [reference_three_cos_add(unit, index, a, b, c, words) for a, b, c in questions]
    library = [emb.analogy(a, b, c)[0][0] for a, b, c in questions[:20]]
    if library != expected[:20]:          # the reference is ours: it must agree with the library
        raise RuntimeError("wordlab bug: the 3CosAdd reference disagrees with Embeddings.analogy")
    from . import evals
    hidden = _query_methods(type(emb)) + [(evals, name) for name in ("evaluate_analogies",) if hasattr(evals, name)]

    def run() -> str:
        wrong = []
        with _hidden(fn, hidden, "analogy search"):
            for (a, b, c), want in zip(questions, expected):
                got = fn(vectors, words, a, b, c)
                if got != want:
                    wrong.append(f"{a} : {b} :: {c} : ? you answered {got!r}, expected {want!r}")
        assert not wrong, f"{len(wrong)} of {len(questions)} questions wrong, e.g. {wrong[0]}"
        return f"{len(questions)} questions answered as the reference (and Embeddings.analogy) answers them"
    return _grade("three-cos-add", run)


# -- exercise 3: Procrustes ------------------------------------------------------------------------
def reference_procrustes(X, Y) -> np.ndarray:
    """W = U V^T from the SVD of X^T Y, in float64 (Schönemann 1966)."""
    U, _, Vt = np.linalg.svd(np.asarray(X, dtype=np.float64).T @ np.asarray(Y, dtype=np.float64))
    return U @ Vt


def check_procrustes(fn: Callable, X, Y, Q: np.ndarray | None = None) -> Grade:
    """Grade ``fn(X, Y) -> W``: the right shape, orthogonal (W^T W = I within
    :data:`TOLERANCE`), equal to the float64 reference within :data:`W_TOLERANCE`, and,
    where the planted rotation ``Q`` is given, within 0.05 of it. wordlab's own
    Procrustes is hidden meanwhile."""
    from . import align
    from .align import procrustes as procrustes_module
    X64, Y64 = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    want = reference_procrustes(X64, Y64)
    dim = want.shape[0]

    def run() -> str:
        with _hidden(fn, [(align, "orthogonal_procrustes"), (procrustes_module, "orthogonal_procrustes")],
                     "Procrustes solution"):
            got = fn(np.array(X, copy=True), np.array(Y, copy=True))
        W = np.asarray(got, dtype=np.float64)
        assert W.shape == (dim, dim), f"W has shape {W.shape}, expected {(dim, dim)}"
        off = np.abs(W.T @ W - np.eye(dim)).max()
        assert off <= TOLERANCE, f"W is not orthogonal: |W^T W - I| reaches {off:.1e} (allowed {TOLERANCE:g})"
        diff = np.abs(W - want).max()
        assert diff <= W_TOLERANCE, (f"W differs from the solution by {diff:.1e} (allowed {W_TOLERANCE:g}); is it "
                                     "the SVD of X^T Y, and U V^T?")
        said = f"orthogonal within {off:.1e}, within {diff:.1e} of the float64 solution"
        if Q is not None:
            far = np.abs(W - np.asarray(Q, dtype=np.float64)).max()
            assert far < 0.05, f"W is far from the planted rotation (max |W - Q| = {far:.3f})"
            said += f", max |W - Q| = {far:.4f}"
        return said
    return _grade("procrustes", run)
