"""Analogies and EvalRank with words composed from n-grams (``oov="subword"``): each
answer equals a brute-force computation over the same vectors, the known-word coverage
is that of ``oov="skip"``, and a store without subwords gives what "skip" gives."""
import numpy as np
import pytest

from wordlab.corpus.subwords import SubwordSpec
from wordlab.errors import ParameterError
from wordlab.evals import evaluate, evaluate_analogies
from wordlab.evals.datasets import AnalogyDataset, PairDataset
from wordlab.evals.evalrank import evalrank
from wordlab.store import Embeddings

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _words(n: int, rng) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(list(LETTERS), size=int(rng.integers(3, 8)))))
    return sorted(out)


@pytest.fixture(scope="module")
def store():
    rng = np.random.default_rng(7)
    words = _words(300, rng)
    vectors = rng.normal(size=(len(words), 12)).astype(np.float32)
    ngrams = rng.normal(size=(500, 12)).astype(np.float32)
    return Embeddings(words, vectors, meta={"subwords": SubwordSpec(3, 5, 500).to_meta()},
                      components={"ngram_vectors": ngrams})


@pytest.fixture(scope="module")
def unseen(store):
    rng = np.random.default_rng(8)
    known = set(store.words)
    return [w for w in _words(80, rng) if w not in known][:40]


def _unit(store, word, limit):
    """A question word's unit vector: its row if among the first ``limit`` words, else
    composed from its n-grams (also a word of the store beyond ``limit``: not known)."""
    i = store.words.index(word) if word in store.words[:limit] else None
    v = np.asarray(store.vectors[i] if i is not None else store.subwords.compose([word])[0][0], dtype=np.float64)
    return v / np.linalg.norm(v), i


def _brute_force_answer(store, q, limit, method):
    unit = np.asarray(store.vectors[:limit], dtype=np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    (ua, ia), (ub, ib), (uc, ic) = (_unit(store, w, limit) for w in q[:3])
    if method == "3cosadd":
        t = ub - ua + uc
        scores = unit @ (t / np.linalg.norm(t))
    else:
        s = (1 + unit @ np.stack([ua, ub, uc]).T) / 2
        scores = s[:, 1] * s[:, 2] / (s[:, 0] + 1e-3)
    for i in (ia, ib, ic):
        if i is not None:
            scores[i] = -np.inf
    return store.words[int(np.argmax(scores))]


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogies_compose_unknown_question_words(store, unseen, method):
    rng = np.random.default_rng(3)
    limit = 250                      # words 250-299 are unknown too: composed, not their rows
    known = store.words[:limit]
    questions = []
    for n_unknown in (0, 1, 2, 3):
        for _ in range(15):
            q = list(rng.choice(known, size=4, replace=False))
            for slot in rng.choice(3, size=n_unknown, replace=False):
                q[slot] = unseen[int(rng.integers(len(unseen)))] if rng.random() < 0.7 else store.words[
                    int(rng.integers(limit, len(store)))]
            questions.append((q[0], q[1], q[2], (q[3],)))
    questions.append((known[0], known[1], known[2], ("unseenanswer",)))   # no known answer: never covered
    data = AnalogyDataset("toy", [("one", questions[:40]), ("two", questions[40:])], "test")
    skip = evaluate_analogies(store, data, method=method, restrict_vocab=limit, keep_answers=True)
    sub = evaluate_analogies(store, data, method=method, restrict_vocab=limit, keep_answers=True, oov="subword")
    n_known = sum(all(w in known for w in q[:3]) for q in questions[:-1])
    assert skip.total.n_covered == n_known and skip.total.n_composed == 0
    assert sub.total.n_covered == len(questions) - 1
    assert sub.total.n_composed == len(questions) - 1 - n_known
    assert sub.coverage == skip.coverage == n_known / len(questions)
    assert sub.composed_coverage == (len(questions) - 1) / len(questions)
    assert [s.n_composed for s in sub.sections] == [
        sum(not all(w in known for w in q[:3]) for q in part if q[3][0] in known) for part in
        (questions[:40], questions[40:])]
    # every prediction is the brute-force argmax over the known words
    for section, a, b, c, expected, predicted in sub.answers:
        assert predicted == _brute_force_answer(store, (a, b, c), limit, method), (a, b, c)
    # the questions of known words are answered as under "skip"
    known_answers = [x for x in sub.answers if all(w in known for w in x[1:4])]
    assert known_answers == skip.answers
    assert "composed" in sub.to_frame().columns


def test_a_store_without_subwords_composes_nothing(store, unseen):
    plain = Embeddings(store.words, np.asarray(store.vectors))
    known = store.words
    questions = [(known[0], known[1], known[2], (known[3],)), (unseen[0], known[1], known[2], (known[3],))]
    data = AnalogyDataset("toy", [("s", questions)], "test")
    a = evaluate_analogies(plain, data, oov="subword")
    b = evaluate_analogies(plain, data, oov="skip")
    assert (a.total.n_covered, a.total.n_composed, a.accuracy) == (b.total.n_covered, 0, b.accuracy) == (
        1, 0, b.accuracy)
    pairs = PairDataset("p", [(known[0], known[1], 9.0), (unseen[0], known[2], 9.0), (known[3], known[4], 1.0)])
    r = evalrank(plain, pairs, oov="subword", background=50)
    assert (r.n_composed, len(r.ranks)) == (0, 1)


def test_evalrank_ranks_composed_words_against_the_background(store, unseen):
    rng = np.random.default_rng(5)
    known = store.words
    pairs = []
    for k in range(60):
        a, b = rng.choice(known, size=2, replace=False)
        if k % 3 == 1:
            a = unseen[k % len(unseen)]
        elif k % 3 == 2:
            b = unseen[(k + 7) % len(unseen)]
        pairs.append((str(a), str(b), 9.0))
    pairs += [(known[k], known[k + 1], 1.0) for k in range(20)]        # below the threshold
    data = PairDataset("toy", pairs)
    background = 120
    skip = evalrank(store, data, threshold=5.0, background=background)
    sub = evalrank(store, data, threshold=5.0, background=background, oov="subword")
    assert (skip.n_positive, len(skip.ranks), skip.n_composed) == (60, 20, 0)
    assert (len(sub.ranks), sub.n_composed) == (60, 40)
    assert sub.coverage == skip.coverage == 20 / 60 and sub.composed_coverage == 1.0
    # brute force: the background is the first 120 words and the words of the pairs of
    # known words (as under "skip")
    unit = np.asarray(store.vectors, dtype=np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    positives = pairs[:60]
    pool = set(range(background)) | {store.words.index(w) for a, b, _ in positives for w in (a, b)
                                     if a in known and b in known}
    pool = np.array(sorted(pool))
    expected = []
    for a, b, _ in positives:
        (ua, ia), (ub, _) = _unit(store, a, len(store)), _unit(store, b, len(store))
        sims = unit[pool] @ ua
        t = float(ub @ ua)
        higher = (sims > t + 1e-6) & (pool != (-1 if ia is None else ia))
        maybe = (np.abs(sims - t) <= 1e-6) & (pool != (-1 if ia is None else ia))
        expected.append((1 + higher.sum(), 1 + higher.sum() + maybe.sum()))
    for rank, (low, high) in zip(sub.ranks, expected):
        assert low <= rank <= high
    # the pairs of known words rank as under "skip"
    both_known = [i for i, (a, b, _) in enumerate(positives) if a in known and b in known]
    np.testing.assert_array_equal(sub.ranks[both_known], skip.ranks)


def test_the_report_composes_analogies_and_evalrank_under_subword(store, unseen):
    known = store.words
    analogies = AnalogyDataset("toy-analogy", [("s", [(known[0], known[1], known[2], (known[3],)),
                                                      (unseen[0], known[1], known[2], (known[3],))])], "test")
    pairs = PairDataset("toy-pairs", [(known[0], known[1], 9.0), (unseen[0], known[2], 9.0),
                                      (known[3], known[4], 1.0)])
    table = evaluate(store, [analogies], oov="subword", evalrank_datasets=[pairs], names=["ft"])
    ana = table[(table.task == "analogy") & (table.section == "total") & (table.metric == "accuracy")].iloc[0]
    rank = table[(table.task == "evalrank") & (table.metric == "mrr")].iloc[0]
    assert (ana.coverage, ana.coverage_composed) == (0.5, 1.0)
    assert (rank.coverage, rank.coverage_composed) == (0.5, 1.0)
    skipped = evaluate(store, [analogies], oov="zero", evalrank_datasets=[pairs])
    assert (skipped.coverage == skipped.coverage_composed).all()


@pytest.mark.parametrize("call", [
    lambda s, d, p: evaluate_analogies(s, d, oov="mean"),
    lambda s, d, p: evalrank(s, p, oov="zero"),
])
def test_the_composing_evaluators_name_their_policies(store, call):
    d = AnalogyDataset("toy", [("s", [])], "test")
    p = PairDataset("p", [])
    with pytest.raises(ParameterError, match=r"oov must be one of \('skip', 'subword'\)") as e:
        call(store, d, p)
    assert "\n" not in str(e.value)
