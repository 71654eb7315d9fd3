# %% [markdown]
# # 07 · How sure is a score? Bootstrap intervals and seeds
#
# **Learning objectives.** After this notebook you can (1) put a 95% bootstrap interval
# around a Spearman correlation and say what it measures, (2) measure how much a score
# moves between training seeds, and (3) decide whether one method really beats another
# on a similarity set, with a paired bootstrap of the difference.
#
# **Prerequisites.** Notebook 01 (training and `evaluate_word_pairs`). **Time:** about 20
# minutes; it runs in well under a minute on two cores.
#
# The other notebooks compare methods on a few hundred word pairs; this one shows how
# large the uncertainty of such a comparison is, so that you can read their tables with
# it in mind. Everything runs on the embedded default corpus (no shared data needed).
#
# Reference: B. Efron and R. Tibshirani, *An Introduction to the Bootstrap* (1993),
# chapters 6 and 13 (the percentile interval).

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import pandas as pd

import wordlab
from wordlab import evals
from wordlab.evals import seed_spread, spearman_difference, spearman_interval

# include: setup

# include: check_claims

# %% [markdown]
# ## 1. One score, one interval
#
# An SGNS store of the embedded corpus, scored on WS-353. The Spearman correlation uses
# only the pairs whose two words are in the vocabulary; the bootstrap draws that many
# pairs again, with replacement, 2,000 times, and takes the middle 95% of the
# correlations it gets. The interval says how much the score would move on another
# sample of pairs of the same kind; it says nothing about other corpora or other seeds.

# %%
encoded = wordlab.Corpus.default().encode(min_count=5)
SETTINGS = dict(dim=50, epochs=3, window=5, workers=1, progress=False)   # one worker: a seed fixes the run
sgns = {seed: wordlab.train(encoded, method="sgns", out=WORK / f"sgns-{seed}", seed=seed, **SETTINGS)
        for seed in (1, 2, 3)}
ws = {seed: evals.evaluate_word_pairs(emb, "ws353") for seed, emb in sgns.items()}
first = spearman_interval(ws[1])
print(f"WS-353, seed 1: Spearman {first}; coverage {ws[1].coverage:.0%}")

# %% [markdown]
# ## 2. Seeds
#
# The same settings with three seeds (one worker each, so each run is reproducible):
# the corpus is the same, only the random initialisation, the subsampling and the
# noise words differ.

# %%
scores = pd.DataFrame({seed: {"Spearman": r.spearman, "interval": spearman_interval(r).bounds}
                       for seed, r in ws.items()}).T
mean, sd = seed_spread([r.spearman for r in ws.values()])
print(f"over seeds: mean {mean:.3f}, s.d. {sd:.3f}; the bootstrap interval of seed 1 is {first.width:.3f} wide")
scores

# %% [markdown]
# Two kinds of uncertainty, of different sizes: the seeds move the score by their s.d.,
# while the interval over the pairs is several times wider. With a couple of hundred
# pairs, the choice of pairs, not the seed, dominates what a similarity score can tell.

# %%
check_claims({
    "the interval of seed 1 holds every seed's score": all(first.contains(r.spearman) for r in ws.values()),
    "the interval is more than three times as wide as the seeds' s.d.": first.width > 3 * sd,
})

# %% [markdown]
# ## 3. Does PU-learning beat SGNS here?
#
# Notebooks 02 and 04 compare PU-learning with SGNS. The right question is not whether
# the two intervals overlap, but whether the *difference* is larger than resampling the
# pairs explains: `spearman_difference` resamples the pairs both stores scored, the same
# pairs for both in each resample, so that what the two share (easy and hard pairs)
# cancels.

# %%
pu = wordlab.train(encoded, method="pu", out=WORK / "pu", dim=50, epochs=6, seed=1, workers=1, progress=False)
pu_ws = evals.evaluate_word_pairs(pu, "ws353")
diff = spearman_difference(pu_ws, ws[1])
print(f"PU-learning {spearman_interval(pu_ws)}")
print(f"SGNS        {first}")
print(f"difference  {diff}")

# %%
check_claims({"PU-learning's lead over SGNS is larger than resampling the pairs explains (interval above 0)":
              diff.low > 0})

# %% [markdown]
# *Questions.* (a) The interval in part 1 is about a score on WS-353-like pairs. Why
# does it not cover the change you would see on SimLex-999? (b) With 3 seeds, how well
# is the s.d. itself known? (c) Notebook 04 compares two methods on about 120 Sinhala
# pairs: what width of interval would you expect there, roughly, from part 1's width and
# the rule that it shrinks as one over the square root of the number of pairs?
