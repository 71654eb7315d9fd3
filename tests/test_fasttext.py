"""fastText-style subwords: the hash and n-grams against gensim's (known answers in
Latin, Sinhala and Navajo), composition by hand, ``max_n = 0`` equal to word2vec bit for
bit, resume, a planted corpus of inflections, and the store's answers for unseen words."""
from __future__ import annotations

import unicodedata

import numpy as np
import pytest

import wordlab
from _helpers import interrupt_then_resume
from wordlab import Embeddings
from wordlab.corpus.subwords import SubwordSpec, char_ngrams, ft_hash, ngram_rows, ngram_table_of
from wordlab.errors import ParameterError, UnknownWordError
from wordlab.trainers import FastText, Word2Vec, make_trainer

gensim_ft = pytest.importorskip("gensim.models.fasttext")
from gensim.models.fasttext_inner import compute_ngrams, compute_ngrams_bytes, ft_hash_bytes  # noqa: E402

ZWJ = "\u200d"
WORDS = ["where", "a", "naïve", "ශ්" + ZWJ + "රී",              # śrī with virama + ZWJ (a conjunct)
         "ලංකාව", "ශ්‍රී ලංකා".replace(" ", ""), "පුවත්පත", "yáʼátʼééh", "naaltsoos", "ʼahéheeʼ", "x" * 40]


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("min_n,max_n", [(3, 6), (1, 3), (2, 2), (5, 5)])
def test_ngrams_and_hashes_equal_gensims(word, min_n, max_n):
    ours = char_ngrams(word, min_n, max_n)
    assert ours == [b.decode("utf-8") for b in compute_ngrams_bytes(word, min_n, max_n)]
    if min_n > 1:                       # gensim's str version agrees up to order (it keeps a lone "<" at n=1)
        assert sorted(ours) == sorted(compute_ngrams(word, min_n, max_n))
    assert [ft_hash(g) for g in ours] == [ft_hash_bytes(g.encode("utf-8")) for g in ours]
    assert ngram_rows(word, min_n, max_n, 2_000_000).tolist() == gensim_ft.ft_ngram_hashes(word, min_n, max_n,
                                                                                          2_000_000)


def test_known_answers():
    assert char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    assert ft_hash("<wh") == 1048167652 == ft_hash_bytes(b"<wh")
    # A byte >= 0x80 is sign-extended before the XOR (fastText's int8 cast): "é" differs
    # from a plain unsigned FNV-1a.
    plain = 2166136261
    for b in "é".encode():
        plain = ((plain ^ b) * 16777619) % 2 ** 32
    assert ft_hash("é") != plain and ft_hash("é") == ft_hash_bytes("é".encode())
    # Sinhala: the virama, the ZWJ and the vowel sign are characters of their own, never
    # cut into bytes; every n-gram is valid UTF-8 (decoding above would raise otherwise).
    sri = "ශ්" + ZWJ + "රී"
    assert char_ngrams(sri, 1, 1) == ["ශ", "්", ZWJ, "ර", "ී"]
    assert char_ngrams("ʼa", 2, 2) == ["<ʼ", "ʼa", "a>"]          # Navajo's glottal stop is a letter


def test_ngrams_follow_the_tokenizers_nfc():
    decomposed = unicodedata.normalize("NFD", "naïve")
    assert decomposed != "naïve"
    assert char_ngrams(decomposed, 3, 6) == char_ngrams("naïve", 3, 6)


def test_the_vocabulary_table_equals_each_words_rows():
    offsets, rows = ngram_table_of(WORDS, 3, 6, 1000)
    for w, word in enumerate(WORDS):
        assert rows[offsets[w]:offsets[w + 1]].tolist() == ngram_rows(word, 3, 6, 1000).tolist()
    off0, rows0 = ngram_table_of(WORDS, 0, 0, 1000)
    assert off0.tolist() == [0] * (len(WORDS) + 1) and rows0.size == 0


@pytest.mark.parametrize("bad", [dict(min_n=4, max_n=3), dict(bucket=2 ** 31),
                                 dict(min_n=-1), dict(max_n=2.5)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ParameterError):
        SubwordSpec(**{"min_n": 3, "max_n": 6, "bucket": 100, **bad})
    with pytest.raises(ParameterError):
        FastText(**{"min_n": 3, "max_n": 6, "bucket": 100, **bad}).validate()


def test_min_n_zero_counts_from_one_as_in_fasttext_and_gensim():
    from gensim.models.fasttext_inner import compute_ngrams_bytes
    for word in ["cat", "ab", "ශ්‍රී", "yáʼátʼééh"]:
        assert char_ngrams(word, 0, 4) == char_ngrams(word, 1, 4)
        assert sorted(char_ngrams(word, 0, 4)) == sorted(g.decode() for g in compute_ngrams_bytes(word, 0, 4))
    assert SubwordSpec(0, 4, 100).rows("cat").tolist() == SubwordSpec(1, 4, 100).rows("cat").tolist()


# -- composition ----------------------------------------------------------------------------------
def _tiny_store(bucket=50, dim=4) -> tuple[Embeddings, np.ndarray]:
    rng = np.random.default_rng(1)
    ngrams = rng.normal(size=(bucket, dim)).astype(np.float32)
    words = ["cat", "dog"]
    store = Embeddings(words, rng.normal(size=(2, dim)), meta={"subwords": SubwordSpec(3, 4, bucket).to_meta()},
                       components={"ngram_vectors": ngrams})
    return store, ngrams


def test_an_unseen_word_is_the_mean_of_its_ngram_vectors(tmp_path):
    store, ngrams = _tiny_store()
    # by hand: "<cats>" has the 3-grams <ca cat ats ts> and the 4-grams <cat cats ats>
    grams = ["<ca", "cat", "ats", "ts>", "<cat", "cats", "ats>"]
    assert sorted(char_ngrams("cats", 3, 4)) == sorted(grams)
    expected = np.mean([ngrams[ft_hash(g) % 50] for g in grams], axis=0)
    for s in (store, wordlab.load(store.save(tmp_path / "s"))):
        assert "cats" not in s and "cat" in s and s.has_vector("cats")
        np.testing.assert_allclose(s["cats"], expected, rtol=1e-6)
        np.testing.assert_array_equal(s["cat"], np.asarray(store.vectors[0]))          # trained rows stay
        np.testing.assert_allclose(s.get_vector("cats", norm=True), expected / np.linalg.norm(expected), rtol=1e-6)
        np.testing.assert_allclose(s[["dog", "cats"]][1], expected, rtol=1e-6)
        assert s.similarity("cats", "cat") == pytest.approx(
            float(expected @ s["cat"] / np.linalg.norm(expected) / np.linalg.norm(s["cat"])), rel=1e-5)
        assert [w for w, _ in s.most_similar("cats", topn=2)] != []        # an unseen query excludes nothing
        np.testing.assert_allclose(s.encode([["cats", "dog"]])[0], expected + s["dog"], rtol=1e-5)
    assert s.components == ("ngram_vectors",) and s.meta["subwords"]["bucket"] == 50


def test_a_store_without_subwords_still_refuses_unseen_words():
    store = Embeddings(["cat"], np.ones((1, 3)))
    assert not store.has_vector("cats")
    with pytest.raises(UnknownWordError):
        store["cats"]
    with pytest.raises(UnknownWordError):
        store.most_similar("cats")


# -- training ---------------------------------------------------------------------------------------
STEMS = ["walk", "talk", "jump", "play", "work", "cook", "clean", "paint", "climb", "laugh"]
SEEN = ["", "s", "ed", "ing"]


def _inflections(n=2500, seed=0) -> list[list[str]]:
    """Sentences where each stem appears with its own context word and one of four
    endings; the ending "er" never occurs."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = []
        for _ in range(10):
            k = int(rng.integers(len(STEMS)))
            s += [STEMS[k] + SEEN[int(rng.integers(len(SEEN)))], f"ctx{k}", f"ctx{k}b"]
        out.append(s)
    return out


@pytest.fixture(scope="module")
def inflections():
    return wordlab.Corpus(_inflections()).encode(min_count=1, progress=False)


@pytest.mark.parametrize("kernel", ["batched", "exact"])
@pytest.mark.parametrize("method", ["sgns", "cbow"])
def test_without_ngrams_it_is_word2vec_bit_for_bit(inflections, tmp_path, method, kernel):
    # alpha given: word2vec's CBOW starts at 0.05 by default (word2vec.c), fastText's at 0.025
    kw = dict(method=method, dim=16, epochs=2, workers=1, seed=4, progress=False, kernel=kernel, alpha=0.025)
    w2v = Word2Vec(**kw).fit(inflections, tmp_path / "w2v")
    ft = FastText(**kw, min_n=0, max_n=0).fit(inflections, tmp_path / "ft")
    np.testing.assert_array_equal(np.asarray(ft.vectors), np.asarray(w2v.vectors))
    np.testing.assert_array_equal(np.asarray(ft.context_vectors), np.asarray(w2v.context_vectors))
    assert ft.meta["loss_history"] == w2v.meta["loss_history"]


def _reference_negative_sampling(h, target, syn1, accept, alias, negative, alpha, state, sig, scored):
    """word2vec.c's update of ``syn1`` against h, in numpy (the kernel's draws and
    saturated sigmoid): returns (the input gradient, the state). ``scored``: every
    target's score is taken before the first update (a row drawn twice is scored twice
    with its old value)."""
    from wordlab.trainers._sampling import draw_noise
    targets = [(target, 1.0)]
    for d in range(negative):
        t, state = draw_noise(state, accept, alias)
        state = np.uint64(int(state) % (1 << 64))
        if t != target:
            targets.append((t, 0.0))
    before = [float(h @ syn1[t]) for t, _ in targets]
    e = np.zeros_like(h)
    for (t, label), f0 in zip(targets, before):
        f = f0 if scored else float(h @ syn1[t])
        p = 1.0 if f >= 6 else 0.0 if f <= -6 else sig[int((f + 6) * (1000 / 12))]
        g = (label - p) * alpha
        e += g * syn1[t]
        syn1[t] += g * h
    return e, state


def _fasttext_skipgram_reference(tokens, syn0, ngrams, offsets, rows, syn1, lock, accept, alias, window, negative,
                                 alpha, state, sig, scored):
    """fastText's ``FastText::skipgram`` and ``Model::update``, one pair at a time, in numpy:
    h recomputed from the centre's rows for every pair, every row updated at once; the
    kernel's random draws (no subsampling) and word2vec.c's saturated sigmoid."""
    from wordlab.trainers._sampling import lcg_next, uniform_below

    def u64(x):                   # the jitted helpers hand back the state as a Python int
        return np.uint64(int(x) % (1 << 64))
    n = len(tokens)
    state = u64(state)
    for i in range(n):
        state = u64(lcg_next(state))
        radius = window - int(uniform_below(state, window))
        lo, hi = max(0, i - radius), min(n, i + radius + 1)
        w = tokens[i]
        ids = rows[offsets[w]:offsets[w + 1]]
        if hi - lo < 2:
            continue
        for j in range(lo, hi):
            if j == i:
                continue
            h = (syn0[w] + ngrams[ids].sum(axis=0)) / (1 + len(ids))
            e, state = _reference_negative_sampling(h, tokens[j], syn1, accept, alias, negative, alpha, state, sig,
                                                    scored)
            syn0[w] += lock[w] * e
            np.add.at(ngrams, ids, e)                 # a row listed twice gets e twice
    return state


@pytest.mark.parametrize("scored", [False, True])
def test_skipgram_kernel_is_fasttexts_update_pair_by_pair(scored):
    """The kernel composes h once per centre and moves it with each pair's gradient; that
    equals recomputing h for every pair (fastText), here with a word whose n-gram list
    repeats a row ("ana" in "banana") and a frozen word; ``scored`` (the batched kernel)
    scores an example's targets before updating them, which with 8 words often draws a
    row twice."""
    from wordlab.trainers._fasttext_kernels import ngram_weights, train_sentences_subword
    from wordlab.trainers._sampling import alias_table
    from wordlab.trainers._word2vec_kernels import sigmoid_tables
    rng = np.random.default_rng(0)
    words = ["banana", "ana", "cat", "cats", "dog", "x", "walker", "nan"]
    spec = SubwordSpec(2, 4, 37)
    offsets, rows = spec.table(words)
    weights = ngram_weights(offsets, rows)
    listed = rows[offsets[0]:offsets[1]]
    assert weights[0] > len(set(listed.tolist())) and weights[0] == sum(
        int((listed == r).sum()) ** 2 for r in set(listed.tolist()))
    dim, n = 8, len(words)
    syn0 = rng.normal(scale=0.3, size=(n, dim)).astype(np.float32)
    ngrams = rng.normal(scale=0.3, size=(37, dim)).astype(np.float32)
    syn1 = rng.normal(scale=0.3, size=(n, dim)).astype(np.float32)
    lock = np.ones(n, np.float32)
    lock[2] = 0.0
    tokens = rng.integers(0, n, size=400).astype(np.int32)
    accept, alias = alias_table(np.full(n, 1.0 / n))
    sig, nlog = sigmoid_tables()
    keep = np.full(n, 1 << 32, dtype=np.uint64)                 # no subsampling
    ref = [a.astype(np.float64) for a in (syn0, ngrams, syn1)]
    end_ref = _fasttext_skipgram_reference(tokens, *ref[:2], offsets, rows, ref[2], lock, accept, alias, 3, 4,
                                           0.05, 7, sig, scored)
    got = [a.copy() for a in (syn0, ngrams, syn1)]
    _, examples, end = train_sentences_subword(tokens, np.array([0, len(tokens)], np.int64), 0, 1, got[0], got[1],
                                               offsets, rows, weights, got[2], lock, keep, accept, alias, 3, 4,
                                               False, True, np.float32(0.05), np.float32(0.05), np.uint64(7),
                                               True, sig, nlog, scored)
    assert int(end) == int(end_ref) and examples > 1000
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    np.testing.assert_array_equal(got[0][2], syn0[2])             # the frozen word's row
    assert not np.allclose(got[1], ngrams)


def _batched_cbow_reference(tokens, syn0, ngrams, offsets, rows, syn1, lock, accept, alias, window, negative,
                            alpha, state, sig, scored):
    """The batched CBOW rule of ``train_cbow_batched``'s docstring, in numpy: each
    position's row sum composed when it enters the reach, moved by its own updates,
    and the gradient it is owed added to its rows when it leaves."""
    from collections import Counter

    from wordlab.trainers._sampling import lcg_next, uniform_below

    def u64(x):
        return np.uint64(int(x) % (1 << 64))
    n = len(tokens)
    state = u64(state)
    listed = [rows[offsets[w]:offsets[w + 1]] for w in range(len(offsets) - 1)]
    squares = [sum(k * k for k in Counter(ids.tolist()).values()) for ids in listed]
    sums, owed = {}, {}

    def flush(p):
        w = tokens[p]
        syn0[w] += lock[w] * owed[p]
        np.add.at(ngrams, listed[w], owed[p])
    loaded = flushed = 0
    for i in range(n):
        state = u64(lcg_next(state))
        radius = window - int(uniform_below(state, window))
        lo, hi = max(0, i - radius), min(n, i + radius + 1)
        while loaded < hi:
            w = tokens[loaded]
            sums[loaded] = syn0[w] + ngrams[listed[w]].sum(axis=0)
            owed[loaded] = np.zeros_like(sums[loaded])
            loaded += 1
        ctx = [j for j in range(lo, hi) if j != i]
        h = sum(sums[j] for j in ctx) / sum(1 + len(listed[tokens[j]]) for j in ctx)
        e, state = _reference_negative_sampling(h, tokens[i], syn1, accept, alias, negative, alpha, state, sig,
                                                scored)
        for j in ctx:
            w = tokens[j]
            sums[j] += (lock[w] + squares[w]) * e
            owed[j] += e
        while flushed <= i - window:
            flush(flushed)
            flushed += 1
    while flushed < loaded:
        flush(flushed)
        flushed += 1
    return state


def _cbow_case(words, spec, seed=0, n_tokens=400, tokens=None):
    from wordlab.trainers._fasttext_kernels import ngram_weights
    from wordlab.trainers._sampling import alias_table
    from wordlab.trainers._word2vec_kernels import sigmoid_tables
    rng = np.random.default_rng(seed)
    offsets, rows = spec.table(words) if isinstance(spec, SubwordSpec) else spec
    n, dim = len(words), 8
    bucket = int(rows.max()) + 1
    arrays = [rng.normal(scale=0.3, size=shape).astype(np.float32) for shape in ((n, dim), (bucket, dim), (n, dim))]
    lock = np.ones(n, np.float32)
    lock[2] = 0.0
    if tokens is None:
        tokens = rng.integers(0, n, size=n_tokens).astype(np.int32)
    accept, alias = alias_table(np.full(n, 1.0 / n))
    sig, nlog = sigmoid_tables()
    return dict(tokens=tokens, offsets=offsets, rows=rows, weights=ngram_weights(offsets, rows), arrays=arrays,
                lock=lock, accept=accept, alias=alias, sig=sig, nlog=nlog, keep=np.full(n, 1 << 32, np.uint64))


def _run_cbow_kernel(c, batched: bool, scored: bool, window=3, negative=4):
    from wordlab.trainers._fasttext_kernels import train_cbow_batched, train_sentences_subword
    got = [a.copy() for a in c["arrays"]]
    head = (c["tokens"], np.array([0, len(c["tokens"])], np.int64), 0, 1, got[0], got[1], c["offsets"], c["rows"],
            c["weights"], got[2], c["lock"], c["keep"], c["accept"], c["alias"], window, negative)
    tail = (True, np.float32(0.05), np.float32(0.05), np.uint64(7), True, c["sig"], c["nlog"], scored)
    kernel, flag = (train_cbow_batched, ()) if batched else (train_sentences_subword, (True,))
    loss, examples, end = kernel(*head, *flag, *tail)
    return got, loss, examples, end


@pytest.mark.parametrize("scored", [False, True])
def test_batched_cbow_kernel_is_its_documented_rule(scored):
    """Against the numpy rule, with a word that lists a row twice ("ana" in "banana"),
    words sharing n-grams, a frozen word and words repeated within one reach."""
    c = _cbow_case(["banana", "ana", "cat", "cats", "dog", "x", "walker", "nan"], SubwordSpec(2, 4, 37))
    got, _, examples, end = _run_cbow_kernel(c, batched=True, scored=scored)
    ref = [a.astype(np.float64) for a in c["arrays"]]
    end_ref = _batched_cbow_reference(c["tokens"], ref[0], ref[1], c["offsets"], c["rows"], ref[2], c["lock"],
                                      c["accept"], c["alias"], 3, 4, 0.05, 7, c["sig"], scored)
    assert int(end) == int(end_ref) and examples == len(c["tokens"])
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    np.testing.assert_array_equal(got[0][2], c["arrays"][0][2])     # the frozen word's row
    assert not np.allclose(got[1], c["arrays"][1])


@pytest.mark.parametrize("scored", [False, True])
def test_batched_cbow_equals_the_exact_kernel_when_positions_share_no_row(scored):
    """Where no two positions within a reach share a row, deferring the row updates
    changes nothing: each position sees its own updates at once either way."""
    n_words, per_word = 40, 3
    offsets = np.arange(0, (n_words + 1) * per_word, per_word, dtype=np.int64)
    rows = np.arange(n_words * per_word, dtype=np.int32)              # every word its own rows
    tokens = np.tile(np.arange(n_words, dtype=np.int32), 8)            # no word twice within 2*3+1
    c = _cbow_case([f"w{i}" for i in range(n_words)], (offsets, rows), tokens=tokens)
    exact, loss_e, ex_e, end_e = _run_cbow_kernel(c, batched=False, scored=scored)
    batched, loss_b, ex_b, end_b = _run_cbow_kernel(c, batched=True, scored=scored)
    assert (ex_e, int(end_e)) == (ex_b, int(end_b)) and loss_b == pytest.approx(loss_e, rel=1e-5)
    for a, b in zip(batched, exact):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # and with a repeated word inside a reach they differ (the rule is not exact there)
    c2 = _cbow_case([f"w{i}" for i in range(n_words)], (offsets, rows),
                    tokens=np.tile(np.array([0, 1, 0, 2], np.int32), 60))
    assert not np.allclose(_run_cbow_kernel(c2, batched=True, scored=scored)[0][1],
                           _run_cbow_kernel(c2, batched=False, scored=scored)[0][1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, kernel", [("fasttext", "batched"), ("fasttext-cbow", "batched"),
                                          ("fasttext-cbow", "exact")])
def test_unseen_inflections_land_next_to_their_stem(inflections, tmp_path, name, kernel):
    store = make_trainer(name, dim=24, epochs=5, workers=1, seed=2, bucket=20_000, kernel=kernel,
                         progress=False).fit(inflections, tmp_path / name)
    assert store.meta["method"] == name and store.meta["subwords"]["min_n"] == 3
    assert set(store.components) == {"context_vectors", "word_vectors", "ngram_vectors"}
    hits = 0
    for stem in STEMS:
        unseen = stem + "er"
        assert unseen not in store and store.has_vector(unseen)
        forms = {stem + e for e in SEEN}
        top = [w for w, _ in store.most_similar(unseen, topn=4)]
        hits += len(forms & set(top))
        own = store.similarity(unseen, stem)
        others = [store.similarity(unseen, s) for s in STEMS if s != stem]
        assert own > max(others), (unseen, own, max(others))
    assert hits >= 0.8 * 4 * len(STEMS)


def test_the_stores_vectors_are_the_mean_of_word_and_ngram_rows(inflections, tmp_path):
    store = FastText(dim=8, epochs=1, workers=1, bucket=3000, progress=False).fit(inflections, tmp_path / "s")
    words, ngrams = store.component("word_vectors"), store.component("ngram_vectors")
    for w in ("walk", "ctx3", "painting"):
        i = store.index_of(w)
        rows = ngram_rows(w, 3, 6, 3000)
        expected = (words[i] + ngrams[rows].sum(axis=0)) / (1 + len(rows))
        np.testing.assert_allclose(store[w], expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method", ["sgns", "cbow"])
def test_resume_equals_uninterrupted(inflections, tmp_path, method):
    kw = dict(method=method, dim=8, epochs=3, workers=1, seed=5, bucket=2000, progress=False)
    full = FastText(**kw).fit(inflections, tmp_path / "full")
    resumed = interrupt_then_resume(lambda **cb: FastText(**kw, **cb), inflections, tmp_path / "r")
    for name in ("vectors", "word_vectors", "ngram_vectors", "context_vectors"):
        a = full.vectors if name == "vectors" else full.component(name)
        b = resumed.vectors if name == "vectors" else resumed.component(name)
        np.testing.assert_array_equal(np.asarray(b), np.asarray(a), err_msg=name)


def test_the_cli_trains_a_subword_store(tmp_path):
    from click.testing import CliRunner
    from wordlab.cli.main import cli
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in _inflections(300)), encoding="utf-8")
    r = CliRunner().invoke(cli, ["train", str(corpus), "--method", "fasttext", "--min-n", "2", "--max-n", "4",
                                 "--bucket", "5000", "--dim", "8", "--epochs", "1", "--min-count", "1",
                                 "--workers", "1", "--no-progress", "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    store = wordlab.load(tmp_path / "out")
    assert store.meta["subwords"] == {"min_n": 2, "max_n": 4, "bucket": 5000, "hash": "fasttext-fnv1a"}
    assert store.has_vector("walker") and store["walker"].shape == (8,)
    r = CliRunner().invoke(cli, ["train", str(corpus), "--method", "fasttext", "--min-n", "5", "--max-n", "3",
                                 "-o", str(tmp_path / "bad")])
    assert r.exit_code != 0 and "min_n" in r.output and not (tmp_path / "bad").exists()


# -- fastText .bin, both ways with gensim ----------------------------------------------------------------
def _unseen_strings(n=1000, seed=3) -> list[str]:
    """Latin, Sinhala (with virama, vowel signs and ZWJ) and Navajo (with ʼ and accents)."""
    rng = np.random.default_rng(seed)
    latin = list("abcdefghijklmnopqrstuvwxyz")
    sinhala = [chr(c) for c in range(0x0D85, 0x0DC7)] + ["\u0DCA", "\u0DCF", "\u0DD2", "\u0DD4", ZWJ, "\u0D82"]
    navajo = list("abdghjklmnostwxyzáéíóąęįǫłʼ") + ["ʼ", "ą́"]
    out = []
    for i in range(n):
        alphabet = (latin, sinhala, navajo)[i % 3]
        out.append(unicodedata.normalize("NFC", "".join(rng.choice(alphabet, size=int(rng.integers(1, 12))))))
    return out


@pytest.fixture(scope="module")
def trained(inflections, tmp_path_factory):
    return FastText(dim=10, epochs=2, workers=1, seed=1, bucket=4000, progress=False).fit(
        inflections, tmp_path_factory.mktemp("ft") / "store")


def test_a_bin_written_here_loads_in_gensim_with_the_same_vectors(trained, tmp_path):
    from gensim.models.fasttext import load_facebook_model
    path = trained.save(tmp_path / "m.bin", format="fasttext-bin")
    model = load_facebook_model(str(path))
    assert model.wv.index_to_key == trained.words
    assert (model.wv.min_n, model.wv.max_n, model.wv.bucket) == (3, 6, 4000)
    np.testing.assert_allclose(model.wv.vectors, np.asarray(trained.vectors), atol=1e-5)
    strings = [s for s in _unseen_strings() if s not in trained]
    assert len(strings) > 900
    np.testing.assert_allclose(np.stack([model.wv[s] for s in strings]), trained[strings], atol=1e-5)


def test_a_bin_saved_by_gensim_opens_in_place_with_gensims_vectors(tmp_path):
    from gensim.models import FastText as GensimFastText
    from gensim.models.fasttext import save_facebook_model
    sentences = _inflections(400)
    model = GensimFastText(sentences, vector_size=8, window=3, min_count=1, epochs=1, bucket=3000, workers=1,
                           seed=1)
    save_facebook_model(model, str(tmp_path / "g.bin"))
    store = wordlab.load(tmp_path / "g.bin")
    assert store.words == model.wv.index_to_key and store.dim == 8 and store.meta["method"] == "fasttext-cbow"
    strings = [s for s in _unseen_strings(300) if s not in store] + ["walker", "ʼahéheeʼ"]
    np.testing.assert_allclose(store[strings], np.stack([model.wv[s] for s in strings]), atol=1e-5)
    np.testing.assert_allclose(store[["walk", "ctx1"]], model.wv[["walk", "ctx1"]], atol=1e-5)
    np.testing.assert_allclose(np.asarray(store.vectors), model.wv.vectors, atol=1e-5)
    assert store.most_similar("walking", topn=3)[0][0] == model.wv.most_similar("walking", topn=1)[0][0]
    # a store converted from it keeps every part
    copy = wordlab.load(store.save(tmp_path / "store"))
    np.testing.assert_array_equal(np.asarray(copy.vectors), np.asarray(store.vectors))
    np.testing.assert_array_equal(copy.component("ngram_vectors"), store.component("ngram_vectors"))
    np.testing.assert_allclose(copy["walker"], model.wv["walker"], atol=1e-5)


def test_bin_round_trip_is_exact(trained, tmp_path):
    back = wordlab.load(trained.save(tmp_path / "m.bin", format="fasttext-bin"))
    assert back.words == trained.words and back.counts.tolist() == trained.counts.tolist()
    for name in ("word_vectors", "ngram_vectors", "context_vectors"):
        np.testing.assert_array_equal(np.asarray(back.component(name)), np.asarray(trained.component(name)))
    np.testing.assert_allclose(np.asarray(back.vectors), np.asarray(trained.vectors), rtol=1e-6, atol=1e-7)
    assert back.meta["subwords"] == trained.meta["subwords"]


def test_only_subword_stores_are_written_as_bin(tmp_path):
    with pytest.raises(wordlab.errors.StoreError, match="subword"):
        Embeddings(["a"], np.ones((1, 2))).save(tmp_path / "x.bin", format="fasttext-bin")
    assert not (tmp_path / "x.bin").exists()


def test_a_damaged_bin_is_one_clear_error(trained, tmp_path):
    data = trained.save(tmp_path / "m.bin", format="fasttext-bin").read_bytes()
    for cut in (10, 200, len(data) // 2, len(data) - 3):
        (tmp_path / "cut.bin").write_bytes(data[:cut])
        with pytest.raises(wordlab.errors.StoreError, match="cut.bin"):
            wordlab.load(tmp_path / "cut.bin", format="fasttext-bin")


def _bin_edits(data: bytes, n_words: int) -> dict:
    """Damage that once loaded without a word: name -> (bytes, what the error names)."""
    import struct
    head = 8 + struct.calcsize("<12id")
    first_entry_end = data.index(b"\0", head + struct.calcsize("<3i2q"))
    pruned = bytearray(data)
    struct.pack_into("<q", pruned, head + 12 + 8, 5)              # pruneidx_size 5 in a plain model
    label = bytearray(data)
    label[first_entry_end + 9] = 1                                  # a word's entry type: label
    out_rows = bytearray(data)
    out_at = len(data) - 4 * n_words * 10 - 17                      # the output matrix header (dim 10)
    struct.pack_into("<q", out_rows, out_at + 1, n_words - 1)
    return {"trailing": (data + b"\0\0\0\0", "follow the output matrix"),
            "inserted": (data[:len(data) - 40] + b"\x01\x02\x03" + data[len(data) - 40:], "follow the output"),
            "pruned": (bytes(pruned), "pruned"), "label": (bytes(label), "labels"),
            "output rows": (bytes(out_rows), "output matrix")}


def test_damage_past_the_input_matrix_is_refused_not_ignored(trained, tmp_path):
    """Bytes after the output matrix (a shifted output matrix), a pruned table, a label
    entry, output rows that are not the words': each was read silently before."""
    data = trained.save(tmp_path / "m.bin", format="fasttext-bin").read_bytes()
    for name, (damaged, says) in _bin_edits(data, len(trained)).items():
        path = tmp_path / f"{name.replace(' ', '-')}.bin"
        path.write_bytes(damaged)
        with pytest.raises(wordlab.errors.StoreError, match=says) as e:
            wordlab.load(path)
        assert str(path) in str(e.value) and "\n" not in str(e.value), name
    assert wordlab.load(tmp_path / "m.bin").words == trained.words       # the undamaged file still opens


def test_converting_a_bin_warns_about_nonfinite_values_no_vector_uses(trained, tmp_path):
    """Opening reads no matrix; saving reads them all and warns as the text readers do,
    here for a value of the output matrix (no word's vector shows it)."""
    from wordlab.errors import WordlabWarning
    data = bytearray(trained.save(tmp_path / "m.bin", format="fasttext-bin").read_bytes())
    data[-4:] = np.array([np.inf], "<f4").tobytes()
    (tmp_path / "inf.bin").write_bytes(bytes(data))
    store = wordlab.load(tmp_path / "inf.bin")
    assert np.isfinite(np.asarray(store.vectors)).all()
    with pytest.warns(WordlabWarning, match=rf"inf.bin: output matrix row {len(trained)} .* NaN or infinite"):
        store.save(tmp_path / "converted")
    assert np.isinf(np.asarray(wordlab.load(tmp_path / "converted").context_vectors)).sum() == 1


def test_gensim_fasttext_objects_both_ways(trained):
    from gensim.models import FastText as GensimFastText
    kv = trained.to_gensim()
    strings = [s for s in _unseen_strings(300) if s not in trained]
    np.testing.assert_allclose(np.stack([kv[s] for s in strings]), trained[strings], atol=1e-5)
    np.testing.assert_array_equal(kv.vectors, np.asarray(trained.vectors))
    assert kv.index_to_key == trained.words
    model = GensimFastText(_inflections(300), vector_size=6, window=2, min_count=1, epochs=1, bucket=2000,
                           workers=1, seed=2)
    store = Embeddings.from_gensim(model)
    assert store.meta["subwords"] == {"min_n": 3, "max_n": 6, "bucket": 2000, "hash": "fasttext-fnv1a"}
    assert set(store.components) == {"word_vectors", "ngram_vectors", "context_vectors"}
    np.testing.assert_allclose(store[strings], np.stack([model.wv[s] for s in strings]), atol=1e-5)


def _sparse_bin(path, n_words: int, dim: int, bucket: int) -> None:
    """A fastText .bin whose matrices are holes in a sparse file (zeros that take no disk)."""
    import struct
    from wordlab.store import fasttext_bin as fb
    with open(path, "wb") as fh:
        fh.write(struct.pack("<2i", fb.MAGIC, fb.VERSION))
        fh.write(fb._ARGS.pack(dim, 5, 5, 1, 5, 1, 2, 2, bucket, 3, 6, 100, 1e-4))
        fh.write(fb._DICT.pack(n_words, n_words, 0, n_words, -1))
        for i in range(n_words):
            fh.write(f"w{i}".encode() + b"\0" + struct.pack("<qb", n_words - i, 0))
        fh.write(fb._MATRIX.pack(False, n_words + bucket, dim))
        fh.seek(4 * (n_words + bucket) * dim, 1)
        fh.write(fb._MATRIX.pack(False, n_words, dim))
        fh.seek(4 * n_words * dim - 1, 1)
        fh.write(b"\0")


_OPEN_RSS = """
import sys, time, wordlab, numpy as np
from wordlab.store._subword_kernels import mean_rows
from wordlab.corpus.subwords import ngram_table_of
ngram_table_of(["x"], 3, 6, 10)                       # compile outside the measurement
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) // 1024
before = rss(); t = time.time()
store = wordlab.load(sys.argv[1])
v = store["unseen"]; u = store["w7"]
print(rss() - before, time.time() - t, len(store), store.dim)
"""


@pytest.mark.parametrize("bucket", [50_000, 4_000_000])
def test_opening_a_bin_does_not_grow_with_its_matrix(tmp_path, bucket):
    import subprocess
    import sys
    path = tmp_path / "big.bin"
    _sparse_bin(path, 20_000, 100, bucket)
    assert path.stat().st_size > 4 * bucket * 100
    r = subprocess.run([sys.executable, "-c", _OPEN_RSS, str(path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    grown, seconds, n, dim = r.stdout.split()
    assert (int(n), int(dim)) == (20_000, 100)
    assert int(grown) < 40, f"opening {path.stat().st_size >> 20} MiB grew the RSS by {grown} MiB"


# -- evaluation with composed words -----------------------------------------------------------------------
def test_the_subword_policy_composes_missing_words(trained, tmp_path):
    from wordlab.evals import evaluate, evaluate_word_pairs
    from wordlab.evals.datasets import PairDataset
    pairs = [("walk", "walks", 9.0), ("walker", "walked", 8.5), ("talker", "ctx1", 3.0), ("jump", "ctx3", 2.0),
             ("cook", "paint", 1.0), ("zzzz", "walk", 0.5)]
    data = PairDataset("toy", pairs)
    skip = evaluate_word_pairs(trained, data, oov="skip")
    sub = evaluate_word_pairs(trained, data, oov="subword")
    assert (skip.n_found, skip.n_composed, sub.n_found, sub.n_composed) == (3, 0, 3, 3)
    assert skip.composed_coverage == skip.coverage == 0.5 and sub.composed_coverage == 1.0
    i = sub.pairs.index(("walker", "walked"))
    u, v = trained["walker"], trained["walked"]
    assert sub.model[i] == pytest.approx(float(u @ v / np.linalg.norm(u) / np.linalg.norm(v)), abs=1e-6)
    plain = Embeddings(trained.words, np.asarray(trained.vectors))          # no subwords: as skip
    same = evaluate_word_pairs(plain, data, oov="subword")
    assert (same.n_found, same.n_composed, same.spearman) == (3, 0, skip.spearman)
    table = evaluate([trained, plain], [data], oov="subword", names=["ft", "plain"])
    rows = table[table["metric"] == "spearman"].set_index("store")
    assert rows.loc["ft", "coverage"] == 0.5 and rows.loc["ft", "coverage_composed"] == 1.0
    assert rows.loc["plain", "coverage_composed"] == 0.5


def test_the_clis_oov_choices_are_the_evaluators():
    from wordlab.cli.evaluate import eval_command
    from wordlab.evals.similarity import OOV_POLICIES
    option = next(p for p in eval_command.params if p.name == "oov")
    assert tuple(option.type.choices) == OOV_POLICIES


# -- derived stores and alignment --------------------------------------------------------------------------
def test_a_mapped_store_does_not_compose_from_the_old_ngrams(trained, inflections, tmp_path):
    from wordlab.align import Procrustes
    other = FastText(dim=10, epochs=1, workers=1, seed=9, bucket=4000, progress=False).fit(
        inflections, tmp_path / "other")
    pairs = [(w, w) for w in trained.words[:40]]
    aligner = Procrustes().fit(trained, other, pairs)
    for mapped in (aligner.transform(), aligner.transform(out=tmp_path / "mapped")):
        assert mapped.subwords is None and "subwords" not in mapped.meta
        assert "ngram_vectors" not in mapped.components and "word_vectors" not in mapped.components
        with pytest.raises(UnknownWordError):
            mapped["walker"]


def test_bli_composes_unseen_source_words_when_asked(trained, inflections, tmp_path):
    from wordlab.align import Procrustes
    other = FastText(dim=10, epochs=2, workers=1, seed=9, bucket=4000, progress=False).fit(
        inflections, tmp_path / "other")
    aligner = Procrustes().fit(trained, other, [(w, w) for w in trained.words])
    test = [(s + "er", s) for s in STEMS] + [("walk", "walk")]          # "walker" etc. were never seen
    plain = aligner.evaluate(test, method="nn", ks=(1, 5))
    composed = aligner.evaluate(test, method="nn", ks=(1, 5), compose=True)
    assert (plain.n_evaluated, plain.n_composed) == (1, 0)
    assert (composed.n_evaluated, composed.n_composed) == (len(STEMS) + 1, len(STEMS))
    assert composed.vocabulary_coverage == plain.coverage and composed.coverage == 1.0
    assert composed.precision[5] >= 0.5            # an unseen inflection maps next to its stem
    # the composed queries are the mapped composed vectors
    q = aligner.map_vectors(trained[["walker"]])
    hit = aligner.transform_target().most_similar(q[0], topn=5)
    assert [w for w, _ in hit] == composed.words.set_index("source").loc["walker", "retrieved"]


def test_the_fasttext_tool_loads_a_bin_written_here(trained, tmp_path):
    fasttext = pytest.importorskip("fasttext", reason="the fastText tool's Python module (fasttext-wheel)")
    path = trained.save(tmp_path / "m.bin", format="fasttext-bin")
    model = fasttext.load_model(str(path))
    assert model.words == trained.words and model.get_dimension() == trained.dim
    strings = [s for s in _unseen_strings(300) if s not in trained] + trained.words[:50]
    np.testing.assert_allclose(np.stack([model.get_word_vector(s) for s in strings]), trained[strings], atol=1e-5)
    assert model.get_subwords("walk")[0][1:] == ["<wa", "<wal", "<walk", "<walk>", "wal", "walk", "walk>", "alk",
                                               "alk>", "lk>"]


def test_the_cli_reads_a_bin_in_place(trained, tmp_path):
    from click.testing import CliRunner
    from wordlab.cli.main import cli
    path = trained.save(tmp_path / "m.bin", format="fasttext-bin")
    r = CliRunner().invoke(cli, ["info", str(path)])
    assert r.exit_code == 0 and "n-grams of 3-6 in 4,000 buckets" in r.output and str(path) in r.output
    r = CliRunner().invoke(cli, ["neighbors", str(path), "walker", "--topn", "3"])
    assert r.exit_code == 0 and r.output.startswith("walker:"), r.output
    r = CliRunner().invoke(cli, ["convert", str(path), str(tmp_path / "store")])
    assert r.exit_code == 0, r.output
    np.testing.assert_allclose(wordlab.load(tmp_path / "store")["walker"], trained["walker"], atol=1e-6)
