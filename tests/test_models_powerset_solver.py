"""The block-softmax solver behind LabelPowerset and RAkEL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from tagwise.models import LabelPowerset
from tagwise.models._block_softmax import _objective, block_softmax, fit_block_softmax


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = sp.random(60, 8, density=0.4, format="csr", random_state=seed, dtype=np.float64)
    offsets = np.array([0, 3, 5, 9])
    codes = np.stack([rng.integers(0, m, 60) for m in np.diff(offsets)], axis=1)
    return X, codes, offsets


def test_gradient_matches_finite_differences():
    X, codes, offsets = _problem()
    fun = _objective(X, codes, offsets, C=2.0)
    W = np.random.default_rng(1).normal(size=(9, 9))
    _, G = fun(W)
    E = np.zeros_like(W)
    for i, j in [(0, 0), (3, 4), (7, 8), (8, 2), (8, 6)]:  # weights and intercepts, all blocks
        E[i, j] = 1e-6
        numeric = (fun(W + E)[0] - fun(W - E)[0]) / 2e-6
        E[i, j] = 0.0
        assert abs(numeric - G[i, j]) < 1e-6 * max(1.0, abs(G[i, j]))


def test_sliced_objective_in_threads_equals_one_slice():
    X, codes, offsets = _problem()
    W = np.random.default_rng(2).normal(size=(9, 9)).astype(np.float32)
    last1: dict = {}
    f1, G1 = _objective(X.astype(np.float32), codes, offsets, C=2.0, last=last1)(W)
    last3: dict = {}
    with ThreadPoolExecutor(3) as pool:
        fun = _objective(X.astype(np.float32), codes, offsets, 2.0, last3, parts=3, map_=pool.map)
        f3, G3 = fun(W)
    assert abs(f1 - f3) < 1e-5 * abs(f1)
    np.testing.assert_allclose(G3, G1, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(last3["top"], last1["top"])


def test_block_softmax_normalises_each_block():
    Z = np.random.default_rng(0).normal(size=(4, 9)) * 50
    P = block_softmax(Z.copy(), np.array([0, 3, 5, 9]))
    for a, b in [(0, 3), (3, 5), (5, 9)]:
        np.testing.assert_allclose(P[:, a:b].sum(axis=1), 1.0)
    assert np.all(np.isfinite(P))


def test_blocks_are_independent_models():
    X, codes, offsets = _problem()
    W, b, _ = fit_block_softmax(X, codes, offsets, 1.0, 250, 1e-6)
    W1, b1, _ = fit_block_softmax(X, codes[:, 1:2], np.array([0, 2]), 1.0, 250, 1e-6)
    np.testing.assert_allclose(W[:, 3:5], W1, atol=2e-3)
    np.testing.assert_allclose(b[3:5], b1, atol=2e-3)


def test_lp_is_sklearn_multinomial_logistic_regression_on_label_sets():
    X, Y = make_multilabel_classification(150, 6, n_classes=3, random_state=0)
    X = X / X.std(axis=0)
    lp = LabelPowerset(C=0.5, standardize=False, max_iter=300, tol=1e-6, decision_tol=0).fit(X, Y)
    _, y = np.unique(Y, axis=0, return_inverse=True)
    with threadpool_limits(1):  # threaded BLAS on tiny vectors is slow on a loaded machine
        ref = LogisticRegression(C=0.5, tol=1e-6, max_iter=1000).fit(X, y.ravel())
    P = lp._block_probas(X)
    np.testing.assert_allclose(P, ref.predict_proba(X), atol=2e-3)


def test_settled_decisions_stop_early_without_changing_them():
    X, Y = make_multilabel_classification(300, 20, n_classes=4, random_state=2)
    full = LabelPowerset(decision_tol=0.0, max_iter=150, tol=1e-9).fit(X, Y)
    early = LabelPowerset(decision_tol=0.01, max_iter=150, tol=1e-9).fit(X, Y)
    assert full.n_iter_ == 150 and early.n_iter_ < 100
    agree = (early.predict(X) == full.predict(X)).all(axis=1).mean()
    assert agree > 0.95
