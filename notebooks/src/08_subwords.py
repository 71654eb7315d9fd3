# %% [markdown]
# # 08 · Subwords for small languages: a vector for every word
#
# **Learning objectives.** After this notebook you can (1) say why a word-level model
# leaves many words of a small language without a vector, (2) train the fastText-style
# subword model and compose vectors for unseen words from their character n-grams, and
# (3) read a similarity score with the coverage it rests on, with and without composed
# words.
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
# Data: `corpora/sinhala-news`, `corpora/navajo` and SI-WS-353 from the shared data.
# Without it, the notebook uses the embedded English corpus and WS-353 instead.

# %%
# %matplotlib inline
import os
import tempfile
import time
import unicodedata
from pathlib import Path

import pandas as pd

import wordlab
from wordlab import evals

# include: setup

# include: check_claims

# %%
# include: find_shared_data


NEWS = ["corpora/sinhala-news/adaderana_2017_sinhala.txt.gz", "corpora/sinhala-news/newsfirst_sinhala_set1.txt.gz",
        "corpora/sinhala-news/newsfirst_sinhala_set2.txt.gz"]
NAVAJO = "corpora/navajo/nvwiki-20200201.txt.gz"
DATA = find_shared_data(*NEWS, NAVAJO, "eval/similarity-si/SI-WS-353.txt")
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
