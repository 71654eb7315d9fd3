# %% [markdown]
# # 08 · Subwords for small languages: a vector for every word
#
# **Learning objectives.** After this notebook you can (1) say why a word-level model
# leaves many words of a small language without a vector, (2) train the fastText-style
# subword model and compose vectors for unseen words from their character n-grams, and
# (3) read a similarity score with the coverage it rests on, with and without composed
# words, and (4) make an analogy set for a language that has none, and say what it can
# and cannot show.
#
# **Prerequisites.** Notebooks 01 and 04; 07 for intervals. **Time:** about 30 minutes;
# it runs in about a minute on two cores.
#
# Sinhala and Navajo build words from many affixes, so on half a million tokens most
# word *types* of new text were never seen in training. fastText (Bojanowski, Grave,
# Joulin and Mikolov 2017, "Enriching Word Vectors with Subword Information") represents
# a word as the sum of its own vector and the vectors of its character n-grams (3 to 6
# characters, with `<` and `>` marking the word's edges), so a word never seen still
# gets a vector from the n-grams it shares with words that were.
#
# Data: `corpora/sinhala-news`, `corpora/navajo`, SI-WS-353 and the Sinhala-English
# dictionary from the shared data.
# Without it, the notebook uses the embedded English corpus and WS-353 instead.

# %%
# %matplotlib inline
import collections
import os
import tempfile
import time
import unicodedata
from pathlib import Path

import pandas as pd

import wordlab
from wordlab import evals
from wordlab.align import Dictionary

# include: setup

# include: check_claims

# %%
# include: find_shared_data


NEWS = ["corpora/sinhala-news/adaderana_2017_sinhala.txt.gz", "corpora/sinhala-news/newsfirst_sinhala_set1.txt.gz",
        "corpora/sinhala-news/newsfirst_sinhala_set2.txt.gz"]
NAVAJO = "corpora/navajo/nvwiki-20200201.txt.gz"
DICTIONARY = "eval/bilingual/si-en/cc-en-si.txt"
DATA = find_shared_data(*NEWS, NAVAJO, "eval/similarity-si/SI-WS-353.txt", DICTIONARY)
if DATA is not None:
    CORPORA = {"Sinhala news": wordlab.Corpus([str(DATA / f) for f in NEWS], sentence_split=True),
               "Navajo Wikipedia": wordlab.Corpus(str(DATA / NAVAJO), sentence_split=True)}
    SIM = ("Sinhala news", "si-ws353")
else:
    CORPORA = {"embedded English": wordlab.Corpus.default()}
    SIM = ("embedded English", "ws353")
print("corpora:", ", ".join(CORPORA))

# %% [markdown]
# ## 1. Train on 90% of the sentences, keep 10% unseen
#
# Skip-gram (SGNS) and its subword version (`method="fasttext"`) with the same settings;
# the last tenth of the sentences is held out to count how many of its words get a
# vector.

# %%
SETTINGS = dict(dim=50, window=5, negative=5, min_count=3, epochs=3, seed=1, progress=False)
stores, held_out = {}, {}
for name, corpus in CORPORA.items():
    sentences = [s for s in corpus if s]
    cut = int(0.9 * len(sentences))
    held_out[name] = sentences[cut:]
    encoded = wordlab.Corpus(sentences[:cut]).encode(min_count=3, progress=False)
    for method in ("sgns", "fasttext"):
        t0 = time.time()
        stores[name, method] = wordlab.train(encoded, method=method, out=WORK / f"{name}-{method}".replace(" ", "_"),
                                             **SETTINGS)
        print(f"{name}, {method}: {encoded.n_tokens:,} tokens, {len(stores[name, method]):,} words, "
              f"{time.time() - t0:.0f} s")

# %% [markdown]
# ## 2. Which unseen words get a vector
#
# A token of the held-out text has a vector in SGNS only if its word was in the training
# vocabulary; in the subword store, any word with at least one known n-gram can be
# composed (`store.has_vector(word)`).

# %%
rows = []
for (name, method), store in stores.items():
    tokens = [w for s in held_out[name] for w in s]
    types = set(tokens)
    known = {w for w in types if w in store}
    composed = {w for w in types if store.has_vector(w)}
    rows.append({"corpus": name, "model": method, "held-out types": len(types),
                 "types in the vocabulary %": 100 * len(known) / len(types),
                 "types with a vector %": 100 * len(composed) / len(types),
                 "tokens with a vector %": 100 * sum(w in composed for w in tokens) / len(tokens)})
coverage = pd.DataFrame(rows).set_index(["corpus", "model"])
coverage.round(1)

# %% [markdown]
# In every corpus the vocabulary covers only part of the held-out word types, while the
# subword model gives almost every one a vector. Tokens are covered better than types:
# the frequent words are known, the unseen ones are the rare forms.

# %%
claims = {}
for name in CORPORA:
    sg, ft = coverage.loc[(name, "sgns")], coverage.loc[(name, "fasttext")]
    claims[f"{name}: the subword model gives at least 99% of the held-out types a vector, SGNS under 80%"] = \
        ft["types with a vector %"] >= 99 and sg["types with a vector %"] < 80
    claims[f"{name}: SGNS covers more of the tokens than of the types"] = \
        sg["tokens with a vector %"] > sg["types with a vector %"]
check_claims(claims)

# %% [markdown]
# ## 3. An unseen word's neighbours
#
# Held-out words that were never in training (in the corpus's own script), composed from
# their n-grams, and their nearest neighbours in the vocabulary: look for neighbours that
# share a stem or an affix with the word, which is all the n-grams can know.

# %%
def script(word):
    return unicodedata.name(word[0], "?").split()[0]


name = next(iter(CORPORA))
store = stores[name, "fasttext"]
main_script = script(store.words[0])
unseen = [w for s in held_out[name] for w in s
          if w not in store and len(w) > 5 and w.isalpha() and {script(c) for c in w} == {main_script}]
examples = list(dict.fromkeys(unseen))[:6]
pd.DataFrame({w: ", ".join(n for n, _ in store.similar_by_vector(store.get_vector(w), topn=5))
              for w in examples}, index=["nearest in the vocabulary"]).T

# %% [markdown]
# ## 4. Similarity with and without composed words
#
# Scored only on the pairs whose words are in the vocabulary (`oov="skip"`), or on every
# pair, composing the unseen words (`oov="subword"`). The two numbers answer different
# questions: the first how good the known vectors are, the second how good the model is
# on the whole set. Read each with its coverage and its interval (notebook 07).

# %%
corpus_name, dataset = SIM
dataset = evals.load_dataset(dataset, DATA)
rows = []
for method in ("sgns", "fasttext"):
    for oov in ("skip", "subword"):
        r = evals.evaluate_word_pairs(stores[corpus_name, method], dataset, oov=oov)
        rows.append({"model": method, "oov": oov, "Spearman": r.spearman,
                     "95% interval": evals.spearman_interval(r).bounds,
                     "pairs scored": f"{r.n_scored}/{r.n_pairs}", "composed coverage %": 100 * r.composed_coverage})
sim = pd.DataFrame(rows).set_index(["model", "oov"])
sim

# %%
check_claims({
    "composing words lets the subword model score more pairs than the vocabulary covers":
        int(sim.loc[("fasttext", "subword"), "pairs scored"].split("/")[0])
        > int(sim.loc[("fasttext", "skip"), "pairs scored"].split("/")[0]),
    "SGNS scores the same pairs either way (it has no n-grams)":
        sim.loc[("sgns", "subword"), "pairs scored"] == sim.loc[("sgns", "skip"), "pairs scored"],
})

# %% [markdown]
# ## 5. Analogies with and without subwords
#
# Neither language has an analogy set, so we make one for each with `wordlab.evals`
# (their limits are in the docs of `wordlab.evals.analogy_sets`):
#
# - **Sinhala:** Google's questions translated through the Sinhala-English dictionary of
#   the alignment benchmark, every translation of the answer accepted. Translation drops
#   what English marks and Sinhala does not, so read the syntactic sections with care.
# - **Navajo:** questions made from four productive enclitics, *-ígíí* ("the one that"),
#   *-go* (adverbial), *-di* and *-gi* ("at"), on the 20 stems seen most often both with
#   and without each: "stem+ígíí is to stem as stem′+ígíí is to ?" in both orders.
#   These test exactly what character n-grams can know, so a subword model has an
#   advantage built in; a word-level model must learn every form apart.
#
# Candidates are the whole vocabulary; with `oov="subword"` a question word missing from
# it is composed from its n-grams (an answer must still be a vocabulary word).

# %%
if DATA is not None:
    translations = Dictionary.read(DATA / DICTIONARY).translations
    navajo_counts = collections.Counter(w for s in CORPORA["Navajo Wikipedia"] for w in s)
    ANALOGIES = {
        "Sinhala news": evals.translate_analogies(evals.load_dataset("google-analogy"), translations,
                                                  name="Google, in Sinhala"),
        "Navajo Wikipedia": evals.affix_analogies(
            navajo_counts, {"-ígíí (the one that)": ("", "ígíí"), "-go (adverbial)": ("", "go"),
                            "-di (at)": ("", "di"), "-gi (at)": ("", "gi")}, name="Navajo enclitics")}
else:
    english_counts = collections.Counter(w for s in CORPORA["embedded English"] for w in s)
    ANALOGIES = {"embedded English": evals.affix_analogies(
        english_counts, {"plural -s": ("", "s"), "-ly": ("", "ly"), "-ing": ("", "ing")}, name="English suffixes")}
rows = []
for name, questions in ANALOGIES.items():
    for method in ("sgns", "fasttext"):
        for oov in ("skip", "subword"):
            r = evals.evaluate_analogies(stores[name, method], questions, restrict_vocab=None, oov=oov).total
            rows.append({"corpus": name, "questions": f"{questions.name} ({len(questions):,})", "model": method,
                         "oov": oov, "answered": r.n_covered, "of them composed": r.n_composed,
                         "correct": r.correct, "accuracy %": 100 * r.accuracy})
analogies = pd.DataFrame(rows).set_index(["corpus", "model", "oov"])
analogies.round(1)

# %% [markdown]
# On the questions both models can answer from their vocabularies (`oov="skip"`: the
# same questions, the vocabularies are the same), the subword model gets more right
# in every corpus. Composing unseen question words lets it answer more questions
# than its vocabulary covers; SGNS has no n-grams and answers the same ones either way.

# %%
claims = {}
for name in ANALOGIES:
    sg, ft = analogies.loc[(name, "sgns", "skip")], analogies.loc[(name, "fasttext", "skip")]
    claims[f"{name}: both models answer the same questions from their vocabularies"] = \
        sg["answered"] == ft["answered"]
    claims[f"{name}: the subword model gets more of them right than SGNS"] = ft["correct"] > sg["correct"]
    claims[f"{name}: SGNS answers the same questions with and without composing"] = \
        analogies.loc[(name, "sgns", "subword"), "answered"] == sg["answered"]
if DATA is not None:
    composed = analogies.loc[("Sinhala news", "fasttext", "subword")]
    claims["Sinhala: composing words answers more questions, and more correctly, than the vocabulary alone"] = \
        composed["answered"] > analogies.loc[("Sinhala news", "fasttext", "skip"), "answered"] and \
        composed["correct"] > analogies.loc[("Sinhala news", "fasttext", "skip"), "correct"]
    claims["Navajo: the subword model is right at least 20 points more often than SGNS on the enclitics"] = \
        analogies.loc[("Navajo Wikipedia", "fasttext", "skip"), "accuracy %"] >= \
        analogies.loc[("Navajo Wikipedia", "sgns", "skip"), "accuracy %"] + 20
check_claims(claims)

# %% [markdown]
# ## Exercises and questions
#
# 1. Train the subword model with `min_n=2, max_n=4` and with `min_n=4, max_n=8`. Which
#    gives the unseen Sinhala words better neighbours, and why would short n-grams suit a
#    script whose vowels are separate signs?
# 2. Compare the subword model's correlation with and without the composed pairs. Where
#    it falls, is that the composed vectors being poor, or the harder (rarer) pairs they
#    bring in? Compute the correlation on the composed pairs alone.
# 3. `evals/bench_subword_lowres.py` also aligns Sinhala with English through composed
#    vectors. What should P@1 be reported over when composed words are included?
# 4. Score the Navajo enclitic questions of section 5 by section (`.to_frame()` of the
#    result). Which enclitic does SGNS handle best, and does it follow how often the
#    forms occur? Then make a set from a Navajo *prefix*, the possessive *bi-* ("his,
#    her") against *ha-* ("someone's"), with `position="prefix"`: how many stems have
#    both forms in an encyclopedia, and why so few with *shi-* ("my")?
# 5. The Sinhala set is Google's translated. Look at twenty of its `gram8-plural`
#    questions: does the dictionary give a plural for the English plural? What does an
#    accuracy on a translated syntactic section measure?
