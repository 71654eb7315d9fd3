"""The CMOW kernel's Adam path against a float64 NumPy transcription of its update rule:
one example after the other, the output rows first (each seeing the rows as the scores
before it left them), then the encoder's rows from the gradients of the example's
forward pass, in context order."""
import math

import numpy as np
import pytest

from wordlab.trainers._cmow_kernels import train_windows
from wordlab.trainers._sampling import alias_table

B1, B2, EPS = float(np.float32(0.9)), float(np.float32(0.999)), float(np.float32(1e-8))


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


def _adam(param, state, grad, lr):
    n = param.shape[0]
    state[2 * n] += 1
    t = state[2 * n]
    m = B1 * state[:n] + (1 - B1) * grad
    v = B2 * state[n:2 * n] + (1 - B2) * grad * grad
    state[:n], state[n:2 * n] = m, v
    param -= lr * math.sqrt(1 - B2 ** t) / (1 - B1 ** t) * m / (np.sqrt(v) + EPS)


def _product(X, words, k):
    P = np.eye(k)
    for w in words:
        P = P @ X[w].reshape(k, k)
    return P


def _reference(sentence, X, E, O, AX, AE, AO, k, window, negative, noise, lr, residual):
    """Centre targets, every noise draw ``noise``; updates the float64 arrays in place."""
    d = E.shape[1] if E is not None else 0
    kk = k * k if X is not None else 0
    own_cmow = residual and d and kk
    for p in range(len(sentence)):
        lo, hi = max(0, p - window), min(len(sentence) - 1, p + window)
        if hi - lo < 1:
            continue
        ctx = [sentence[q] for q in range(lo, hi + 1) if q != p]
        target = sentence[p]
        X0 = X.copy() if kk else None                       # the matrices of the forward pass
        h = np.concatenate(([E[ctx].sum(0)] if d else []) + ([_product(X0, ctx, k).reshape(-1)] if kk else []))
        grad = np.zeros(d + kk)
        for r in range(negative + 1):
            word, label, weight = (target, 1.0, 1.0) if r == 0 else (noise, 0.0, 1.0 / negative)
            if r and word == target:
                continue
            o = O[word]
            z_cbow, z_cmow = o[:d] @ h[:d], o[d:] @ h[d:]
            g = weight * (_sigmoid(z_cbow + z_cmow) - label)
            g_cmow = weight * (_sigmoid(z_cmow) - label) if own_cmow else g
            gz = np.r_[np.full(d, g), np.full(kk, g_cmow)]
            grad += gz * o
            _adam(o, AO[word], gz * h, lr)
        G = grad[d:].reshape(k, k) if kk else None
        for q, w in enumerate(ctx):
            if d:
                _adam(E[w], AE[w], grad[:d], lr)
            if kk:
                A, S = _product(X0, ctx[:q], k), _product(X0, ctx[q + 1:], k)
                _adam(X[w], AX[w], (A.T @ G @ S.T).reshape(-1), lr)


@pytest.mark.parametrize("encoder,residual", [("cmow", False), ("hybrid", False), ("hybrid", True), ("cbow", False)])
def test_adam_path_matches_the_rule(encoder, residual):
    rng = np.random.default_rng(1)
    V, k, d, window, negative, noise, lr = 6, 3, 4, 2, 2, 5, 1e-2
    sentence = [0, 2, 1, 2, 3, 4, 0]              # words repeat within a window
    X = np.eye(k).reshape(-1) + rng.normal(0, 0.3, (V, k * k)) if encoder != "cbow" else None
    E = rng.normal(0, 0.3, (V, d)) if encoder != "cmow" else None
    D = (d if E is not None else 0) + (k * k if X is not None else 0)
    O = rng.normal(0, 0.3, (V, D))
    widths = {"X": k * k if X is not None else 0, "E": d if E is not None else 0, "O": D}
    state = {name: np.zeros((V, 2 * w + 1)) if w else None for name, w in widths.items()}
    probs = np.zeros(V)
    probs[noise] = 1.0
    accept, alias = alias_table(probs)
    f32 = lambda a: a.astype(np.float32) if a is not None else np.zeros((0, 0), np.float32)   # noqa: E731
    X32, E32, O32 = f32(X), f32(E), f32(O)
    O_start = O32.copy()
    AX, AE, AO = (f32(state[name]) for name in ("X", "E", "O"))
    _, examples, _ = train_windows(
        np.array(sentence, np.int32), np.array([0, len(sentence)], np.int64), 0, 1, X32, E32, O32,
        np.ones(V, np.float32), np.full(V, 1 << 32, np.uint64), accept, alias, k if X is not None else 1, window,
        negative, True, np.float32(lr), np.float32(lr), np.uint64(1), True, True, residual, AX, AE, AO)
    assert examples == len(sentence)
    _reference(sentence, X, E, O, state["X"], state["E"], state["O"], k, window, negative, noise, lr, residual)
    for got, want in ((X32, X), (E32, E), (O32, O), (AX, state["X"]), (AO, state["O"])):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert np.abs(O32 - O_start).max() > 1e-3                       # the rows moved
