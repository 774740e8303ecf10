"""Sliced, threaded sparse products behind the linear solvers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from tagwise.exceptions import ConfigError
from tagwise.models import _linear_newton, _linear_solver
from tagwise.models._linear_solver import fit_columns
from tagwise.models._products import SlicedProducts, balanced_bounds, worker_threads


@pytest.mark.parametrize("shape", [(300, 40), (40, 300)], ids=["tall", "wide"])
@pytest.mark.parametrize("parts", [1, 3])
def test_products_equal_scipy_whatever_the_slicing(shape, parts):
    X = sp.random(*shape, density=0.1, format="csr", random_state=0)
    rng = np.random.default_rng(0)
    W, M = rng.normal(size=(shape[1], 5)), rng.normal(size=(shape[0], 5))
    with ThreadPoolExecutor(parts) as pool:
        products = SlicedProducts(X, parts, pool.map)
        assert products.wide == (shape[1] > shape[0])
        assert len(products.pieces) == parts
        np.testing.assert_allclose(products.dot(W), X @ W, atol=1e-12)
        np.testing.assert_allclose(products.tdot(M), X.T @ M, atol=1e-12)
        np.testing.assert_allclose(products.gram_dot(M), X @ (X.T @ M), atol=1e-12)
        out = np.full((shape[0], 5), np.nan)  # written in place, every cell overwritten
        assert products.dot(W, out=out) is out
        np.testing.assert_allclose(out, X @ W, atol=1e-12)


def test_slices_share_the_nonzeros_not_the_rows():
    indptr = np.concatenate([[0], np.cumsum([90, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])])
    bounds = balanced_bounds(indptr, 2)
    assert bounds[0] == 0 and bounds[-1] == 11
    assert bounds[1] == 1  # the heavy first row alone is already half the non-zeros
    assert np.all(np.diff(balanced_bounds(indptr, 8)) >= 0)  # more slices than weight: empty ones


def test_threaded_linear_solve_matches_one_thread(monkeypatch):
    rng = np.random.default_rng(1)
    X = sp.random(200, 500, density=0.05, format="csr", random_state=1)  # wide: feature slices
    Y = (X @ rng.normal(size=(500, 4)) + rng.normal(size=(200, 4)) * 0.1 > 0).astype(int)
    kw = dict(C=1.0, loss="squared_hinge", tol=1e-8, max_iter=100)
    W1, b1, _ = fit_columns(X, Y, **kw)
    monkeypatch.setattr(_linear_solver, "worker_threads", lambda nnz: 3)
    W3, b3, _ = fit_columns(X, Y, **kw)
    np.testing.assert_allclose(W3, W1, atol=1e-6)
    np.testing.assert_allclose(b3, b1, atol=1e-6)


def test_threaded_torch_logistic_matches_one_thread(monkeypatch):
    # the fast logistic path (tall sparse X) runs its products in sample slices too
    rng = np.random.default_rng(2)
    X = sp.random(400, 60, density=0.1, format="csr", random_state=2)
    Y = (X @ rng.normal(size=(60, 5)) + rng.normal(size=(400, 5)) * 0.1 > 0).astype(int)
    kw = dict(C=1.0, tol=1e-6, max_iter=100, dtype=np.float64)
    W1, b1, _ = _linear_newton.fit_logistic_l2(X, Y, **kw)
    monkeypatch.setattr(_linear_newton, "worker_threads", lambda nnz: 3)
    W3, b3, _ = _linear_newton.fit_logistic_l2(X, Y, **kw)
    np.testing.assert_allclose(W3, W1, atol=1e-8)
    np.testing.assert_allclose(b3, b1, atol=1e-8)


def test_thread_count_follows_the_problem_size_and_the_environment(monkeypatch):
    monkeypatch.delenv("TAGWISE_NUM_THREADS", raising=False)
    assert worker_threads(10) == 1  # too small to be worth a thread
    monkeypatch.setenv("TAGWISE_NUM_THREADS", "3")
    assert worker_threads(10**9) == 3
    monkeypatch.setenv("TAGWISE_NUM_THREADS", "many")
    with pytest.raises(ConfigError, match="TAGWISE_NUM_THREADS"):
        worker_threads(10**9)


@pytest.mark.parametrize("shape", [(300, 40), (40, 300)], ids=["tall", "wide"])
def test_squared_products_are_those_of_the_squared_matrix(shape):
    X = sp.random(*shape, density=0.1, format="csr", random_state=2)
    M = np.random.default_rng(2).normal(size=(shape[0], 3))
    with ThreadPoolExecutor(2) as pool:
        squared = SlicedProducts(X, 2, pool.map).squared()
        np.testing.assert_allclose(squared.tdot(M), X.multiply(X).T @ M, atol=1e-12)
