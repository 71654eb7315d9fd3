"""The bias metrics of WEFE beyond WEAT: RNSB, RND, MAC, ECT and RIPA.

Each metric is a function ``metric(store, targets, attributes, ...)`` in
:data:`METRICS`; ``targets`` and ``attributes`` are sequences of word sets, each a
list of words or the name of a set of ``sets`` (default: ``WEAT.json`` of the shared
data, as :func:`~wordlab.debias.weat.weat`). Missing words are dropped and reported
(:func:`~wordlab.debias.wordlists.find_words`, refused above ``max_missing``). Each
returns a :class:`MetricResult`: the value, the per-word details, the coverage, and
``to_dict()`` as one tidy row.

Definitions (T_i target sets, A_j attribute sets; "vectors" as stored unless
``normalize=True``, which scales each word vector to unit length first):

- **RNSB** (Sweeney and Najafian 2019), targets T_1..T_n (n >= 2), attributes
  (A_1 positive, A_2 negative): a logistic regression (scikit-learn, liblinear, C=1,
  as WEFE) learns A_1 (label +1) against A_2 (label -1); P(negative | w) of every
  target word, divided by their sum, is a distribution P over the target words (each
  word one point, not averaged per set, as WEFE and the paper's one-term groups);
  RNSB = KL(P || uniform) (natural log); 0 when every word is equally negative.
  The classifier is fitted on every attribute word (``holdout=None``, default) or,
  as WEFE (``holdout=True``: 0.2), on a stratified shuffled split leaving ``holdout``
  of them out for the reported accuracy. ``seed`` is the ``random_state`` of the
  split and of the classifier, so the result is reproducible; with ``n_iterations``
  > 1 iteration i uses ``seed + i``, and, as WEFE, the value is the mean of the
  iterations' KL divergences and the probabilities their means. (WEFE forbids a seed
  with several iterations, so its repeated runs are not reproducible.)
- **RND** (Garg et al. 2018), targets (T_1, T_2), attribute A:
  sum over a in A of ||a - mean(T_1)|| - ||a - mean(T_2)||, on unit-length vectors
  (Garg et al. normalise their embeddings); negative when A is nearer T_1. WEFE reports
  the mean over A (``reduce="mean"``) on the vectors as stored (``normalize=False``);
  its ``distance="cos"`` (also here) uses cos(a, mean(T_1)) - cos(a, mean(T_2)), a
  similarity, so its sign is the opposite.
- **MAC** (Manzini et al. 2019), targets T_1..T_n, attributes A_1..A_m: the mean over
  every target word t and attribute set A_j of mean over a in A_j of 1 - cos(t, a)
  (each target word counts once, as WEFE and the paper's flat target list).
- **ECT** (Dev and Phillips 2019), targets (T_1, T_2), attribute A: the Spearman
  correlation over a in A of cos(a, mean(T_1)) and cos(a, mean(T_2)); 1 is no bias.
  Means of the vectors as stored (their code, with normalisation commented out, and
  WEFE).
- **RIPA** (Ethayarajh, Duvenaud and Hirst 2019), targets (T_1, T_2) paired word by
  word (he/she, man/woman, ...), attribute A: beta(w) = w . b for each w in A, with the
  relation vector b the first principal component of the differences x_i - y_i (each
  pair taken with both signs, as Bolukbasi et al.'s definitional pairs: the first
  right singular vector of the difference matrix; for one pair the normalised
  difference), signed so the pairs' differences project positively; w as stored (the
  paper's point: no normalisation of w). The value is the mean of beta over A (WEFE's
  summary). WEFE instead averages w . b_i over the pairs' own normalised differences
  b_i (``relation="pairs"``, with the standard deviation over pairs per word); pairs
  with a missing word are dropped together here (WEFE drops words one by one, which
  misaligns the pairs).

References
----------
Sweeney and Najafian (2019). A transparent framework for evaluating unintended
demographic bias in word embeddings. ACL. Garg, Schiebinger, Jurafsky and Zou (2018).
Word embeddings quantify 100 years of gender and ethnic stereotypes. PNAS. Manzini,
Lim, Black and Tsvetkov (2019). Black is to criminal as caucasian is to police. NAACL.
Dev and Phillips (2019). Attenuating bias in word vectors. AISTATS. Ethayarajh,
Duvenaud and Hirst (2019). Understanding undesirable word embedding associations. ACL.
Badilla, Bravo-Marquez and Perez (2020). WEFE: the word embeddings fairness evaluation
framework. IJCAI.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ..errors import DataError, ParameterError
from .direction import unit_rows64
from .weat import WEAT_TESTS, _resolve_set, load_weat_sets
from .wordlists import MAX_MISSING, find_pairs, find_words

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Embeddings

#: (min, max) target sets and (min, max) attribute sets of each metric (None: no limit).
SHAPES: dict[str, tuple[tuple[int, int | None], tuple[int, int | None]]] = {
    "rnsb": ((2, None), (2, 2)), "rnd": ((2, 2), (1, 1)), "mac": ((1, None), (1, None)),
    "ect": ((2, 2), (1, 1)), "ripa": ((2, 2), (1, 1))}
NAMES = {"rnsb": "RNSB", "rnd": "RND", "mac": "MAC", "ect": "ECT", "ripa": "RIPA"}


@dataclass
class MetricResult:
    """One bias metric on one store.

    Attributes
    ----------
    metric : str
        ``RNSB``, ``RND``, ``MAC``, ``ECT`` or ``RIPA``.
    value : float
    name : str
        Label of the test (the sets' names).
    sizes : dict
        Words found per role (``T1``, ``T2``, ..., ``A1``, ...; RIPA: ``pairs``, ``A1``).
    details : pandas.DataFrame
        Per word: RNSB the target words' P(negative) and share; RND the attribute
        words' distances; MAC the target words' mean cosine distance to each attribute
        set; ECT the attribute words' similarities to the two means; RIPA the
        attribute words' beta.
    coverage : dict of str to Coverage
    info : dict
        The metric's settings and secondary numbers (RNSB's accuracy, ...).
    """
    metric: str
    value: float
    name: str
    sizes: dict
    details: "pd.DataFrame | None" = field(repr=False, default=None)
    coverage: dict = field(repr=False, default_factory=dict)
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"metric": self.metric, "test": self.name, "value": self.value, **self.info,
                **{f"n_{k}": v for k, v in self.sizes.items()}}


# -- word sets -----------------------------------------------------------------------------------
def _as_sets(value, what: str) -> list:
    """A sequence of word sets (a lone string is one set name)."""
    if isinstance(value, str):
        return [value]
    sets = [s if isinstance(s, str) else list(s) for s in value]
    for s in sets:
        if not isinstance(s, str) and not all(isinstance(w, str) for w in s):
            raise ParameterError(f"{what}: each set is a name or a list of words, got {s!r}")
    return sets


def _check_shape(metric: str, n_targets: int, n_attributes: int) -> None:
    (tmin, tmax), (amin, amax) = SHAPES[metric]
    for n, lo, hi, what in ((n_targets, tmin, tmax, "target"), (n_attributes, amin, amax, "attribute")):
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"{lo} or more" if hi is None else f"{lo} to {hi}"
            raise ParameterError(f"{NAMES[metric]} takes {want} {what} set(s), got {n}")


def _named(metric: str, targets, attributes, sets) -> tuple[list, list]:
    targets, attributes = _as_sets(targets, "targets"), _as_sets(attributes, "attributes")
    _check_shape(metric, len(targets), len(attributes))
    if isinstance(sets, (str, os.PathLike)):
        sets = load_weat_sets(sets)
    elif sets is None and any(isinstance(v, str) for v in targets + attributes):
        sets = load_weat_sets()
    return ([_resolve_set(v, sets, f"T{i}") for i, v in enumerate(targets, 1)],
            [_resolve_set(v, sets, f"A{i}") for i, v in enumerate(attributes, 1)])


def _rows(store: "Embeddings", words: Sequence[str], normalize: bool) -> np.ndarray:
    x = np.asarray(store.vectors[[store.index_of(w) for w in words]], dtype=np.float64)
    return unit_rows64(x) if normalize else x


def _label(named_t: list, named_a: list, name: str | None) -> str:
    return name or "/".join(l for l, _ in named_t) + ":" + "/".join(l for l, _ in named_a)


def _unique_labels(named: list, roles: list[str]) -> list[str]:
    labels = [l for l, _ in named]
    return labels if len(set(labels)) == len(labels) else roles


def _prepare(store, metric, targets, attributes, sets, fold_case, max_missing, normalize):
    named_t, named_a = _named(metric, targets, attributes, sets)
    roles_t = [f"T{i}" for i in range(1, len(named_t) + 1)]
    roles_a = [f"A{i}" for i in range(1, len(named_a) + 1)]
    covs = {role: find_words(store, words, name=f"{NAMES[metric]} set {label} ({role})", fold_case=fold_case,
                             max_missing=max_missing)
            for role, (label, words) in zip(roles_t + roles_a, named_t + named_a)}
    rows = {r: _rows(store, c.found, normalize) for r, c in covs.items()}
    return named_t, named_a, roles_t, roles_a, covs, rows


# -- the metrics -----------------------------------------------------------------------------------
def rnsb(store: "Embeddings", targets, attributes, *, sets=None, normalize: bool = False,
         holdout: float | bool | None = None, n_iterations: int = 1, seed: int | None = 0, C: float = 1.0,
         max_iter: int = 10_000, fold_case: bool = True, max_missing: float | None = MAX_MISSING,
         name: str | None = None) -> MetricResult:
    """Relative Negative Sentiment Bias (see the module docstring).

    Parameters
    ----------
    store : Embeddings
    targets : sequence of word sets (names or word lists), two or more
    attributes : (positive, negative) word sets
    sets : dict, path, or None
        Named word sets (default: ``WEAT.json``, read when a name is used).
    normalize : bool, default False
        Unit-length word vectors before fitting (WEFE's ``normalize``).
    holdout : float, True or None, default None
        Share of the attribute words held out (stratified) to measure the classifier's
        accuracy; True is WEFE's 0.2; None fits on all and reports training accuracy.
    n_iterations : int, default 1
        Fits averaged (iteration i seeded ``seed + i``); useful with ``holdout``.
    seed : int or None, default 0
        ``random_state`` of the split and of the classifier.
    C, max_iter
        Of scikit-learn's ``LogisticRegression(solver="liblinear")`` (WEFE's defaults).
    fold_case, max_missing, name
        As :func:`~wordlab.debias.weat.weat`.
    """
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    holdout = 0.2 if holdout is True else (holdout or None)
    if holdout is not None and not 0 < holdout < 1:
        raise ParameterError(f"holdout must be a share between 0 and 1, not {holdout}")
    if n_iterations < 1:
        raise ParameterError(f"n_iterations must be positive, not {n_iterations}")
    named_t, named_a, roles_t, _, covs, rows = _prepare(store, "rnsb", targets, attributes, sets, fold_case,
                                                        max_missing, normalize)
    x = np.concatenate([rows["A1"], rows["A2"]])
    y = np.concatenate([np.ones(len(rows["A1"])), -np.ones(len(rows["A2"]))])
    t = np.concatenate([rows[r] for r in roles_t])
    probs, kls, accuracy = [], [], []
    for i in range(n_iterations):
        state = None if seed is None else seed + i
        model = LogisticRegression(solver="liblinear", C=C, max_iter=max_iter, random_state=state)
        if holdout is None:
            model.fit(x, y)
            accuracy.append(model.score(x, y))
        else:
            try:
                x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=holdout, shuffle=True,
                                                                random_state=state, stratify=y)
            except ValueError as e:
                raise DataError(f"RNSB holdout of {holdout}: {e}") from None
            model.fit(x_fit, y_fit)
            accuracy.append(model.score(x_test, y_test))
        p = model.predict_proba(t)[:, list(model.classes_).index(-1)]
        probs.append(p)
        share = p / p.sum()
        kls.append(float(np.sum(share * np.log(share * len(share)))))
    p = np.mean(probs, axis=0)
    words = [w for r in roles_t for w in covs[r].found]
    labels = _unique_labels(named_t, roles_t)
    details = pd.DataFrame({"set": [l for l, r in zip(labels, roles_t) for _ in covs[r].found],
                            "p_negative": p, "share": p / p.sum()}, index=pd.Index(words, name="word"))
    info = {"accuracy": float(np.mean(accuracy)), "holdout": holdout or 0.0, "n_iterations": n_iterations}
    return MetricResult("RNSB", float(np.mean(kls)), _label(named_t, named_a, name),
                        {r: len(c.found) for r, c in covs.items()}, details, covs, info)


def rnd(store: "Embeddings", targets, attributes, *, sets=None, normalize: bool = True, reduce: str = "sum",
        distance: str = "norm", fold_case: bool = True, max_missing: float | None = MAX_MISSING,
        name: str | None = None) -> MetricResult:
    """Relative Norm Distance (see the module docstring).

    ``reduce``: ``"sum"`` (Garg et al.) or ``"mean"`` (WEFE); ``distance``: ``"norm"``
    (Euclidean, Garg et al.) or ``"cos"`` (WEFE's cosine similarity); ``normalize``:
    True (Garg et al.) or False (WEFE's default). Other parameters as :func:`rnsb`.
    """
    import pandas as pd
    if reduce not in ("sum", "mean"):
        raise ParameterError(f"reduce must be sum or mean, not {reduce!r}")
    if distance not in ("norm", "cos"):
        raise ParameterError(f"distance must be norm or cos, not {distance!r}")
    named_t, named_a, _, _, covs, rows = _prepare(store, "rnd", targets, attributes, sets, fold_case,
                                                  max_missing, normalize)
    a = rows["A1"]
    means = [rows["T1"].mean(axis=0), rows["T2"].mean(axis=0)]
    if distance == "norm":
        d1, d2 = (np.linalg.norm(a - m, axis=1) for m in means)
    else:
        d1, d2 = (unit_rows64(a) @ unit_rows64(m)[0] for m in means)
    diff = d1 - d2
    details = pd.DataFrame({"to_T1": d1, "to_T2": d2, "difference": diff},
                           index=pd.Index(covs["A1"].found, name="word"))
    value = float(diff.sum() if reduce == "sum" else diff.mean())
    return MetricResult("RND", value, _label(named_t, named_a, name), {r: len(c.found) for r, c in covs.items()},
                        details, covs, {"reduce": reduce, "distance": distance, "normalize": normalize})


def mac(store: "Embeddings", targets, attributes, *, sets=None, fold_case: bool = True,
        max_missing: float | None = MAX_MISSING, name: str | None = None) -> MetricResult:
    """Mean Average Cosine distance (see the module docstring); parameters as :func:`rnsb`."""
    import pandas as pd
    named_t, named_a, roles_t, roles_a, covs, rows = _prepare(store, "mac", targets, attributes, sets,
                                                              fold_case, max_missing, True)
    t = np.concatenate([rows[r] for r in roles_t])
    columns = _unique_labels(named_a, roles_a)
    dist = {c: 1.0 - (t @ rows[r].T).mean(axis=1) for c, r in zip(columns, roles_a)}
    labels = _unique_labels(named_t, roles_t)
    details = pd.DataFrame({"set": [l for l, r in zip(labels, roles_t) for _ in covs[r].found], **dist},
                           index=pd.Index([w for r in roles_t for w in covs[r].found], name="word"))
    value = float(np.mean(np.stack(list(dist.values()))))
    return MetricResult("MAC", value, _label(named_t, named_a, name), {r: len(c.found) for r, c in covs.items()},
                        details, covs, {})


def ect(store: "Embeddings", targets, attributes, *, sets=None, normalize: bool = False, fold_case: bool = True,
        max_missing: float | None = MAX_MISSING, name: str | None = None) -> MetricResult:
    """Embedding Coherence Test (see the module docstring).

    ``normalize``: unit-length word vectors before the target means (default False, as
    Dev and Phillips's code and WEFE). Other parameters as :func:`rnsb`. NaN when A
    has fewer than two words or a list of similarities is constant.
    """
    import pandas as pd
    from scipy.stats import spearmanr
    named_t, named_a, roles_t, _, covs, rows = _prepare(store, "ect", targets, attributes, sets, fold_case,
                                                        max_missing, normalize)
    a = unit_rows64(rows["A1"])
    sims = [a @ unit_rows64(rows[r].mean(axis=0))[0] for r in roles_t]
    value = float("nan")
    if len(a) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # constant input: NaN, said in the docstring
            value = float(spearmanr(sims[0], sims[1])[0])
    columns = _unique_labels(named_t, roles_t)
    details = pd.DataFrame(dict(zip(columns, sims)), index=pd.Index(covs["A1"].found, name="word"))
    return MetricResult("ECT", value, _label(named_t, named_a, name), {r: len(c.found) for r, c in covs.items()},
                        details, covs, {"normalize": normalize})


def relation_vector(differences: np.ndarray) -> np.ndarray:
    """RIPA's b: the first principal component of the rows x_i - y_i taken with both
    signs (the first right singular vector), signed so the rows project positively."""
    d = np.asarray(differences, dtype=np.float64)
    if not np.any(d):
        raise DataError("RIPA: the pairs' words have identical vectors: no relation vector")
    b = np.linalg.svd(d, full_matrices=False)[2][0]
    return -b if float(np.sum(d @ b)) < 0 else b


def ripa(store: "Embeddings", targets, attributes, *, sets=None, relation: str = "pca", normalize: bool = False,
         fold_case: bool = True, max_missing: float | None = MAX_MISSING, name: str | None = None) -> MetricResult:
    """Relational Inner Product Association (see the module docstring).

    ``targets``: two sets of equal size, paired word by word; ``relation``: ``"pca"``
    (Ethayarajh et al.'s b) or ``"pairs"`` (WEFE: the mean of w . b_i over the pairs);
    ``normalize``: unit-length vectors first (WEFE's option). Other parameters as
    :func:`rnsb`. Missing pairs are reported in ``coverage["pairs"]``.
    """
    import pandas as pd
    if relation not in ("pca", "pairs"):
        raise ParameterError(f"relation must be pca or pairs, not {relation!r}")
    named_t, named_a = _named("ripa", targets, attributes, sets)
    (l1, w1), (l2, w2) = named_t
    if len(w1) != len(w2):
        raise ParameterError(f"RIPA pairs the target sets word by word: {l1} has {len(w1)} words, {l2} {len(w2)}")
    covs = {"pairs": find_pairs(store, list(zip(w1, w2)), name=f"RIPA pairs {l1}/{l2} (T1/T2)",
                                fold_case=fold_case, max_missing=max_missing),
            "A1": find_words(store, named_a[0][1], name=f"RIPA set {named_a[0][0]} (A1)", fold_case=fold_case,
                             max_missing=max_missing)}
    pairs = covs["pairs"].found
    d = _rows(store, [x for x, _ in pairs], normalize) - _rows(store, [y for _, y in pairs], normalize)
    w = _rows(store, covs["A1"].found, normalize)
    index = pd.Index(covs["A1"].found, name="word")
    if relation == "pca":
        beta = w @ relation_vector(d)
        details = pd.DataFrame({"ripa": beta}, index=index)
    else:
        norms = np.linalg.norm(d, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise DataError("RIPA: a pair's words have identical vectors: no relation vector")
        scores = w @ (d / norms).T
        beta = scores.mean(axis=1)
        details = pd.DataFrame({"ripa": beta, "std": scores.std(axis=1)}, index=index)
    return MetricResult("RIPA", float(np.mean(beta)), _label(named_t, named_a, name),
                        {"pairs": len(pairs), "A1": len(covs["A1"].found)}, details, covs,
                        {"relation": relation, "normalize": normalize})


#: Every metric by its name (the CLI's ``--metric`` and :func:`~wordlab.debias.report.bias_report`).
METRICS: dict[str, Callable[..., MetricResult]] = {"rnsb": rnsb, "rnd": rnd, "mac": mac, "ect": ect, "ripa": ripa}


def bias_metric(store: "Embeddings", metric: str, targets, attributes, **kwargs) -> MetricResult:
    """Run the metric named ``metric`` (a key of :data:`METRICS`); ``kwargs`` go to it."""
    if metric not in METRICS:
        raise ParameterError(f"unknown bias metric {metric!r}; known: {', '.join(METRICS)}")
    return METRICS[metric](store, targets, attributes, **kwargs)


def weat_test_sets(metric: str, test: str) -> tuple[list[str], list[str]]:
    """The target and attribute sets of WEAT test ``test`` for ``metric``: targets (X, Y);
    attributes (A, B), or for the one-attribute metrics (RND, ECT, RIPA) the words of
    A and B as one set (returned as a single ``"A+B"`` entry, resolved by
    :func:`metric_on_weat_test`)."""
    if test not in WEAT_TESTS:
        raise ParameterError(f"unknown WEAT test {test!r}; known: {', '.join(WEAT_TESTS)}")
    x, y, a, b = WEAT_TESTS[test]
    return [x, y], ([a, b] if SHAPES[metric][1][1] != 1 else [f"{a}+{b}"])


def metric_on_weat_test(store: "Embeddings", metric: str, test: str, sets=None, **kwargs) -> MetricResult:
    """``metric`` on the sets of WEAT test ``test`` (see :func:`weat_test_sets`)."""
    if metric not in METRICS:
        raise ParameterError(f"unknown bias metric {metric!r}; known: {', '.join(METRICS)}")
    if sets is None or isinstance(sets, (str, os.PathLike)):
        sets = load_weat_sets(sets)
    targets, attributes = weat_test_sets(metric, test)
    if len(attributes) == 1:
        a, b = WEAT_TESTS[test][2:]
        for n in (a, b):
            _resolve_set(n, sets, "A")
        sets = {**sets, attributes[0]: list(dict.fromkeys(sets[a] + sets[b]))}
    return bias_metric(store, metric, targets, attributes, sets=sets, name=f"{test}", **kwargs)
