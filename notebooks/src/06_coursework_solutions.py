# %% [markdown] tags=["title"]
# # 06 · Coursework (solutions): word embeddings by hand
#
# Three exercises. In each one you write a few lines of numpy, and a check cell compares
# your result with wordlab's own implementation:
#
# 1. **One SGNS update.** Implement the skip-gram negative-sampling step and check it
#    against the library's Numba kernel on a toy example.
# 2. **3CosAdd.** Answer analogies by hand and check against `Embeddings.analogy`.
# 3. **Procrustes.** Compute the orthogonal map between two spaces with one SVD, and
#    check that it recovers a known rotation.
#
# Fill in each cell marked `# YOUR CODE HERE` (delete the `raise NotImplementedError`),
# then run the check cell below it. A passing check prints `OK`. A failing one says what
# differs. The notebook runs in well under a minute.
#
# **This is the solutions notebook**: every exercise cell is filled in. Students work in `06_coursework.ipynb`.

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import numpy as np

import wordlab

np.set_printoptions(precision=4, suppress=True)
WORK = Path(tempfile.mkdtemp(prefix="wordlab-06-"))
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
# words the kernel will pick.

# %%
from wordlab.trainers._sampling import alias_table, draw_noise, noise_distribution
from wordlab.trainers._word2vec_kernels import _negative_sampling_update, sigmoid_tables

rng = np.random.default_rng(7)
V, dim = 8, 6
syn0 = rng.uniform(-0.5, 0.5, size=(V, dim)).astype(np.float32)     # input vectors
syn1 = rng.normal(0.0, 0.3, size=(V, dim)).astype(np.float32)       # output vectors
counts = np.array([50, 40, 30, 20, 10, 8, 6, 4])
context, centre, k, alpha = 5, 2, 4, 0.025

p = noise_distribution(counts)                # counts ** 0.75, normalised
p[centre] = 0.0                               # never draw the centre itself as noise
p /= p.sum()
accept, alias = alias_table(p)
state = np.uint64(2024)
negatives, s = [], state
for _ in range(k):                            # the draws the kernel will make from this state
    word, s = draw_noise(s, accept, alias)
    s = np.uint64(s)                          # numba hands back a Python int; the kernel keeps uint64
    negatives.append(int(word))
print("context", context, "-> centre", centre, "| noise words", negatives)


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
# check: the library's Numba kernel on the same example
sig_table, nlog_table = sigmoid_tables()
h_kernel, syn1_kernel = syn0[context].copy(), syn1.copy()
neu1e = np.zeros(dim, dtype=np.float32)
loss_kernel, _ = _negative_sampling_update(h_kernel, centre, syn1_kernel, neu1e, np.float32(alpha), k, accept,
                                           alias, state, True, sig_table, nlog_table)
h_kernel += neu1e                             # the caller applies the input gradient

h_before, syn1_before = syn0[context].copy(), syn1.copy()
h_mine, syn1_mine, loss_mine = sgns_update(syn0[context], syn1, centre, negatives, alpha)
assert np.array_equal(syn0[context], h_before) and np.array_equal(syn1, syn1_before), \
    "sgns_update changed its inputs in place"
# The kernel reads the sigmoid from word2vec.c's 1,000-entry table over [-6, 6]: expect ~1e-4 differences.
assert np.allclose(h_mine, h_kernel, atol=5e-4), f"new h differs:\n{h_mine}\n{h_kernel}"
assert np.allclose(syn1_mine, syn1_kernel, atol=5e-4), "new syn1 differs"
assert abs(loss_mine - loss_kernel) < 0.05, f"loss {loss_mine:.4f}, the kernel's {loss_kernel:.4f}"
print(f"OK: h moved by {np.abs(h_mine - syn0[context]).max():.5f}, max difference from the kernel "
      f"{np.abs(h_mine - h_kernel).max():.1e}; loss {loss_mine:.4f} (kernel {loss_kernel:.4f})")

# %% [markdown]
# *Questions.* Why are the output vectors of word2vec initialised to zero, and what is
# $g$ for every target in the very first update? What happens to `syn1[t]` for
# a noise word that is drawn twice?
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
# check: the library's answers for the same questions
from wordlab.evals import load_dataset

questions = [("he", "his", "she"), ("one", "two", "three"), ("france", "paris", "germany")]
google = [tuple(w.lower() for w in q[:3]) for _, section in load_dataset("google-analogy").sections for q in section]
questions += [q for q in google[::100] if all(w in emb for w in q)][:20]
for a, b, c in questions:
    expected = emb.analogy(a, b, c)[0][0]
    mine = three_cos_add(vectors, words, a, b, c)
    assert mine == expected, f"{a} : {b} :: {c} : ?  you answered {mine!r}, the library {expected!r}"
print(f"OK: {len(questions)} questions answered as Embeddings.analogy answers them")

# %% [markdown]
# *Questions.* Why must *a*, *b* and *c* be excluded? Try an analogy without excluding
# them and see what wins. 3CosMul (`emb.analogy(..., method="3cosmul")`) multiplies
# cosines instead of adding them. When does that change the answer?
#
# ## Exercise 3: Procrustes by hand
#
# Given paired rows $X$ (source) and $Y$ (target), the orthogonal $W$ that minimises
# $\lVert XW - Y \rVert_F$ is $W = UV^\top$, where $U \Sigma V^\top$ is the SVD of
# $X^\top Y$ (Schönemann 1966). The setup makes a synthetic pair: a random source space and
# its image under a random rotation $Q$, plus noise. Your $W$ should recover $Q$.

# %%
from wordlab.align import orthogonal_procrustes
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
# check: orthogonal, equal to the library's solution, and close to the planted rotation
W = np.asarray(procrustes(X, Y), dtype=np.float64)
assert W.shape == (20, 20), f"W has shape {W.shape}"
assert np.allclose(W.T @ W, np.eye(20), atol=1e-8), "W is not orthogonal"
assert np.allclose(W, orthogonal_procrustes(X, Y), atol=1e-6), "W differs from wordlab.align.orthogonal_procrustes"
assert np.abs(W - Q).max() < 0.05, f"W is far from the planted rotation (max |W - Q| = {np.abs(W - Q).max():.3f})"
# translate the 500 held-out source words by nearest neighbour
mapped = np.asarray(source.vectors[500:], dtype=np.float64) @ W
T = np.asarray(target.vectors, dtype=np.float64)
hits = np.mean(np.argmax(mapped @ T.T / np.linalg.norm(T, axis=1), axis=1) == np.arange(500, 1000))
assert hits > 0.95, f"only {hits:.0%} of held-out words translated correctly"
print(f"OK: max |W - Q| = {np.abs(W - Q).max():.4f}; held-out P@1 = {hits:.1%}")

# %% [markdown]
# *Questions.* Why constrain $W$ to be orthogonal? (Consider what an unconstrained
# least-squares map does to distances within the source space.) What breaks when the two
# spaces are not really isometric, as with Sinhala and English trained on small corpora
# (notebook 04)?
