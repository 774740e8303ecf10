"""The torch Newton-CG path of LinearOneVsRest: same optimum as reference solvers, any dtype."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression

from tagwise.exceptions import ConfigError
from tagwise.models import LinearOneVsRest
from tagwise.models._linear_newton import fit_logistic_l2
from tagwise.models._linear_solver import fit_columns


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(400, 30, n_classes=8, random_state=3)
    assert (Y.sum(axis=0) > 0).all() and (Y.sum(axis=0) < len(Y)).all()
    return X.astype(np.float64), Y


def assert_liblinears_model(X, Y, C, tol, max_iter):
    """LinearOneVsRest with intercept_penalty=1 has liblinear's weights and intercepts."""
    model = LinearOneVsRest(
        C=C, standardize=False, intercept_penalty=1.0, tol=tol, max_iter=max_iter
    ).fit(X, Y)
    for j in range(Y.shape[1]):
        ref = LogisticRegression(C=C, solver="liblinear", tol=1e-10, max_iter=10000)
        ref.fit(X, Y[:, j])
        np.testing.assert_allclose(model.coef_[:, j], ref.coef_.ravel(), atol=1e-4)
        np.testing.assert_allclose(model.intercept_[j], ref.intercept_[0], atol=1e-4)


def test_intercept_penalty_one_is_liblinears_model(data):
    X, Y = data
    assert_liblinears_model(X, Y, C=0.3, tol=1e-8, max_iter=100)


def test_penalised_intercept_is_pulled_towards_zero(data):
    X, Y = data
    Y = Y.copy()
    Y[30:, 0] = 0  # a rare label: large negative intercept when unpenalised
    free = LinearOneVsRest(C=0.1, standardize=False).fit(X, Y)
    pulled = LinearOneVsRest(C=0.1, standardize=False, intercept_penalty=1.0).fit(X, Y)
    assert abs(pulled.intercept_[0]) < abs(free.intercept_[0])


@pytest.mark.parametrize("weighted", [False, True])
def test_matches_the_numpy_solver_on_sparse_input(data, weighted):
    X, Y = data
    Xs = sp.csr_matrix(X)
    kw = {}
    if weighted:  # class weights: per-cell weights, no exact first step
        kw = {"pos_weight": np.linspace(1, 4, Y.shape[1]), "neg_weight": np.full(Y.shape[1], 0.5)}
    W, b, _ = fit_logistic_l2(
        Xs,
        Y,
        C=0.2,
        tol=1e-9,
        max_iter=100,
        init_intercept=np.zeros(Y.shape[1]),
        dtype=np.float64,
        **kw,
    )
    Wr, br, _ = fit_columns(X, Y, C=0.2, tol=1e-10, max_iter=200, hessian_rows=X.shape[0], **kw)
    np.testing.assert_allclose(W, Wr, atol=1e-5)
    np.testing.assert_allclose(b, br, atol=1e-5)


def test_float32_is_close_to_float64(data):
    X, Y = data
    kw = {"C": 1.0, "tol": 1e-5, "max_iter": 100, "init_intercept": np.zeros(Y.shape[1])}
    W64, b64, _ = fit_logistic_l2(X, Y, dtype=np.float64, **kw)
    W32, b32, _ = fit_logistic_l2(sp.csr_matrix(X), Y, dtype=np.float32, **kw)
    assert W32.dtype == np.float64
    np.testing.assert_allclose(W32, W64, atol=2e-3)
    np.testing.assert_allclose(b32, b64, atol=2e-3)


def test_torch_threads_are_restored(data):
    X, Y = data
    before = torch.get_num_threads()
    LinearOneVsRest(C=0.1).fit(X, Y)
    assert torch.get_num_threads() == before


def test_intercept_penalty_needs_l2(data):
    X, Y = data
    with pytest.raises(ConfigError, match="intercept_penalty"):
        LinearOneVsRest(penalty="l1", intercept_penalty=1.0).fit(X, Y)
    with pytest.raises(ConfigError):
        LinearOneVsRest(intercept_penalty=-1.0).fit(X, Y)


def test_more_features_than_samples_keeps_liblinears_model():
    # d > n runs the numpy solver, which must honour intercept_penalty too
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 60))
    Y = (X[:, :3] + 0.5 * rng.normal(size=(40, 3)) > 0.3).astype(int)
    assert_liblinears_model(X, Y, C=0.5, tol=1e-9, max_iter=200)
