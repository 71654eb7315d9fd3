# %% [markdown] tags=["title"]
# # 06 · Coursework (solutions): word embeddings by hand
#
# **Learning objectives.** After this coursework you can (1) write the skip-gram
# negative-sampling update of word2vec.c (Mikolov et al. 2013) and say why the order of
# its steps matters, (2) answer analogies by 3CosAdd and explain why the question words
# are excluded, and (3) solve orthogonal Procrustes with one SVD (Schönemann 1966) and
# say what the orthogonality constraint buys.
#
# **Prerequisites.** numpy (indexing, `@`, `np.linalg.svd`), the chain rule, and
# notebook 01. **Time:** about 90 minutes: 40 for exercise 1, 20 for exercise 2, 20
# for exercise 3, 10 for the questions.
#
# Three exercises, 10 points. In each one you write a few lines of numpy; the check
# cell below it grades your function and prints **OK**, **FAILED** with what differs,
# or **NOT ATTEMPTED**. A check never stops the notebook, so Run All reaches every
# exercise, and the last cell adds up the points.
#
# 1. **One SGNS update** (4 points). Checked against an exact float64 reference on
#    examples where the order of the updates shows, and against the library's kernel.
# 2. **3CosAdd** (3 points). Checked on some 200 analogy questions.
# 3. **Procrustes** (3 points). Checked for orthogonality, against the exact solution,
#    and against a planted rotation.
#
# float32 arithmetic is a correct answer: the checks allow the rounding it brings and
# nothing more. While your function runs, the library's own answer (its kernel,
# `Embeddings.analogy` and the other queries, `wordlab.align.orthogonal_procrustes`) is
# hidden: calling it fails the check. Fill in each cell marked `# YOUR CODE HERE` (delete
# the `raise NotImplementedError`), then run the check cell below it. The notebook runs
# in well under a minute.
#
# **This is the solutions notebook**: every exercise cell is filled in, and the model answers to the questions are given. Students work in `06_coursework.ipynb`.

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import numpy as np

import wordlab
from wordlab.coursework import Gradebook, check_procrustes, check_sgns_update, check_three_cos_add

np.set_printoptions(precision=4, suppress=True)
WORK = Path(tempfile.mkdtemp(prefix="wordlab-06-"))
grades = Gradebook()
print(f"wordlab {wordlab.__version__} from {Path(wordlab.__file__).parent}")

# %% [markdown]
# ## Exercise 1: one SGNS update
#
# Skip-gram with negative sampling (Mikolov et al. 2013) as word2vec.c does it: the input
# vector `h` of a *context* word predicts the *centre* word (label 1) and a few *noise*
# words drawn from the unigram distribution raised to the power 0.75 (label 0). For each
# target `t` with label `y`, in order:
#
# $$f = h \cdot \mathrm{syn1}[t], \qquad g = \alpha\,(y - \sigma(f))$$
# $$\mathrm{neu1e} \mathrel{+}= g\,\mathrm{syn1}[t], \qquad \mathrm{syn1}[t] \mathrel{+}= g\,h$$
#
# and after all targets, $h \mathrel{+}= \mathrm{neu1e}$. Note that `neu1e` uses `syn1[t]`
# *before* its update, and that a noise word drawn twice is updated twice. The loss of
# the step is $\sum_t -\log P(y \mid h, t)$, where $P(1) = \sigma(f)$ and
# $P(0) = 1 - \sigma(f)$.
#
# The setup below builds a toy vocabulary of 8 words and draws the noise words with the
# same random generator and alias table the kernel uses, so we know in advance which
# words the kernel will pick. As in word2vec.c, a draw that hits the centre word is
# skipped (not drawn again), so a step may use fewer than `k` noise words; a word may
# also be drawn twice. The check then runs your function on further examples with a
# noise word drawn two and three times and a learning rate of 0.5.

# %%
from wordlab.coursework import sgns_example

example = sgns_example()                       # seed 7: syn0, syn1 (8 x 6), counts, the draws
syn0, syn1 = example.syn0, example.syn1
context, centre, alpha, negatives = example.context, example.centre, example.alpha, example.negatives
print("context", context, "-> centre", centre, f"| {example.k} draws, noise words kept:", negatives)


# %% tags=["exercise"] wordlab={"exercise": "sgns-update"}
def sgns_update(h, syn1, target, negatives, alpha):
    """One skip-gram negative-sampling step for one (context word, centre word) pair.

    h         : (dim,) float array, the input vector of the context word (a row of syn0)
    syn1      : (V, dim) float array, the output vectors
    target    : int, the centre word (the positive target, label 1)
    negatives : list of int, noise words (label 0), in the order they are used
    alpha     : float, the learning rate

    Returns (new_h, new_syn1, loss). Do not modify h or syn1 in place: work on copies.
    loss is the sum over all targets of -log P(label | h, syn1[t]).
    """
    # BEGIN SOLUTION
    h = np.asarray(h, dtype=np.float64)
    syn1 = np.array(syn1, dtype=np.float64)          # a copy
    neu1e = np.zeros_like(h)                         # the input gradient, applied at the end
    loss = 0.0
    for t, label in [(target, 1.0)] + [(n, 0.0) for n in negatives]:
        f = h @ syn1[t]
        p = 1.0 / (1.0 + np.exp(-f))                 # sigmoid
        loss += -np.log(p if label else 1.0 - p)
        g = (label - p) * alpha
        neu1e += g * syn1[t]                         # uses syn1[t] before its update
        syn1[t] += g * h                             # a repeated noise word sees the updated row
    return h + neu1e, syn1, loss
    # END SOLUTION


# %%
# check: the float64 reference (the notebook's example and two harder ones) and the library's kernel
grades.add(check_sgns_update(sgns_update))

# %% [markdown]
# *Questions.* (a) Why are the output vectors of word2vec initialised to zero, and what
# is $g$ for every target in the very first update? (b) What happens to `syn1[t]` for a
# noise word that is drawn twice? (c) Derive $\partial \ell / \partial f$ for
# $\ell = -\log\sigma(f)$ and for $\ell = -\log(1 - \sigma(f))$, and check it
# numerically with a finite difference on `h @ syn1[t]`.

# %% [markdown] tags=["answer"]
# *Model answers.* (a) With `syn1` at zero every score $f$ is 0, so $\sigma(f) = 1/2$ and
# $g = \alpha/2$ for the positive target and $-\alpha/2$ for each noise word; `neu1e`
# gathers $g \cdot \mathrm{syn1}[t] = 0$, so the input vectors do not move in the first
# update, while each output row moves by $\pm\alpha h/2$. Random input vectors with zero
# output vectors break the symmetry in one place only, and every score starts at the
# unbiased $\sigma(0)$. (b) It is updated twice, the second time scored with the row the
# first update left: the rule applies per draw, which is why collapsing repeats, or
# scoring all targets against the original `syn1`, gives another result. (c)
# $\partial(-\log\sigma(f))/\partial f = \sigma(f) - 1$ and
# $\partial(-\log(1-\sigma(f)))/\partial f = \sigma(f)$, i.e. $\sigma(f) - y$ in both
# cases; a gradient step of size $\alpha$ adds $\alpha(y - \sigma(f))$ times the other
# vector, which is $g$. A central difference $(\ell(f+\epsilon) - \ell(f-\epsilon))/2\epsilon$
# agrees with it up to a truncation error of order $\epsilon^2$.
#
# ## Exercise 2: 3CosAdd by hand
#
# "*a* is to *b* as *c* is to ?" is answered by the word whose unit vector is closest, by
# cosine, to $\hat b - \hat a + \hat c$, where the hats mean unit length and *a*, *b*, *c*
# themselves are excluded (Mikolov et al. 2013). The setup trains a small SGNS store on
# the embedded corpus (a few seconds).

# %%
encoded = wordlab.Corpus.default().encode(min_count=5)
emb = wordlab.train(encoded, method="sgns", out=WORK / "sgns", dim=50, epochs=3, seed=1, workers=1,
                    progress=False)
vectors, words = np.asarray(emb.vectors), emb.words
print(emb)


# %% tags=["exercise"] wordlab={"exercise": "three-cos-add"}
def three_cos_add(vectors, words, a, b, c):
    """Answer "a is to b as c is to ?" by 3CosAdd.

    vectors : (V, dim) array, one row per word of ``words`` (not normalised)
    words   : list of V words
    Returns the word d, not one of a, b, c, that maximises cos(d, b - a + c), with every
    vector (the rows and the query's parts) scaled to unit length first.
    """
    # BEGIN SOLUTION
    unit = np.asarray(vectors, dtype=np.float64)
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    ia, ib, ic = index[a], index[b], index[c]
    query = unit[ib] - unit[ia] + unit[ic]
    scores = unit @ query / np.linalg.norm(query)
    scores[[ia, ib, ic]] = -np.inf                   # the question words are not answers
    return words[int(np.argmax(scores))]
    # END SOLUTION


# %%
# check: some 200 questions against the float64 reference (itself checked against Embeddings.analogy)
grades.add(check_three_cos_add(three_cos_add, emb))

# %% [markdown]
# *Questions.* (a) Why must *a*, *b* and *c* be excluded? Try an analogy without
# excluding them and see what wins. (b) 3CosMul (`emb.analogy(..., method="3cosmul")`,
# Levy and Goldberg 2014) multiplies cosines instead of adding them. When does that change
# the answer? (c) Nissim, van Noord and van der Goot (2020) argue that analogies are weak
# evidence of bias. What does excluding the question words do to an analogy such as
# *man : doctor :: woman : ?*

# %% [markdown] tags=["answer"]
# *Model answers.* (a) $\hat b - \hat a + \hat c$ is usually closest to $\hat b$ or
# $\hat c$ themselves (each contributes a unit vector to the query), so without the
# exclusion most questions are "answered" with *b* or *c*. (b) 3CosAdd adds the three
# cosines, so one large similarity can outweigh a small one; 3CosMul multiplies shifted
# cosines, which balances the terms, and the answers differ where one term dominates
# (for example a candidate very close to *c* but unrelated to *b*). (c) The answer can
# never be *doctor*, even where *doctor* is the closest word: the method forces a
# different word, and a gendered answer can come from the exclusion rather than from the
# space (the paper's point).
#
# ## Exercise 3: Procrustes by hand
#
# Given paired rows $X$ (source) and $Y$ (target), the orthogonal $W$ that minimises
# $\lVert XW - Y \rVert_F$ is $W = UV^\top$, where $U \Sigma V^\top$ is the SVD of
# $X^\top Y$ (Schönemann 1966). The setup makes a synthetic pair: a random source space and
# its image under a random rotation $Q$, plus noise. Your $W$ should recover $Q$.

# %%
from wordlab.align.synthetic import rotated_pair

source, target, Q = rotated_pair(n_words=1000, dim=20, noise=0.05, seed=3)
X = np.asarray(source.vectors[:500], dtype=np.float64)     # 500 seed pairs: s_i translates to t_i
Y = np.asarray(target.vectors[:500], dtype=np.float64)
print(source, target, sep="\n")


# %% tags=["exercise"] wordlab={"exercise": "procrustes"}
def procrustes(X, Y):
    """The orthogonal W (dim x dim) minimising ||X W - Y||_F, for paired rows of X and Y."""
    # BEGIN SOLUTION
    U, _, Vt = np.linalg.svd(np.asarray(X, dtype=np.float64).T @ np.asarray(Y, dtype=np.float64))
    return U @ Vt
    # END SOLUTION


# %%
# check: orthogonal, equal to the exact solution, close to the planted rotation
grade = grades.add(check_procrustes(procrustes, X, Y, Q))
if grade.passed:      # your W translates the 500 held-out source words, by nearest neighbour
    W = np.asarray(procrustes(X, Y), dtype=np.float64)
    mapped = np.asarray(source.vectors[500:], dtype=np.float64) @ W
    T = np.asarray(target.vectors, dtype=np.float64)
    hits = np.mean(np.argmax(mapped @ T.T / np.linalg.norm(T, axis=1), axis=1) == np.arange(500, 1000))
    print(f"held-out P@1 = {hits:.1%}")
grade

# %% [markdown]
# *Questions.* (a) Why constrain $W$ to be orthogonal? (Consider what an unconstrained
# least-squares map does to distances within the source space.) (b) What breaks when the
# two spaces are not really isometric, as with Sinhala and English trained on small
# corpora (notebook 04)?

# %% [markdown] tags=["answer"]
# *Model answers.* (a) An orthogonal map preserves dot products, so the source space's
# own neighbourhoods and similarities survive the mapping and only its orientation
# changes; least squares may stretch and shear, fitting the seed pairs better while
# distorting everything else (Xing et al. 2015; Smith et al. 2017), and it favours
# hubs, words that are everyone's nearest neighbour (Dinu, Lazaridou and Baroni 2015). (b)
# Procrustes assumes one space is a rotation of the other. Spaces trained on small or
# different corpora are not isometric, so no rotation aligns them well: the residual
# stays large, seed pairs are matched but held-out words are not, and P@1 falls (as in
# notebook 04); refinement then cannot recover what the rotation cannot express.

# %%
# your grade: the last check of each exercise
grades
