"""Wide data (more features than rows): the linear solver's Newton systems in sample space.

``_pcg_samples`` solves the same Newton systems as ``_pcg`` through the Woodbury identity, with
the intercept eliminated; both must reach the same optimum, for both losses, with or without an
intercept penalty, with cell weights, and on sparse and dense X alike.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from tagwise.models import LinearOneVsRest
from tagwise.models import _linear_solver as solver

N, D = 80, 400


@pytest.fixture(scope="module")
def wide():
    X = sp.random(N, D, density=0.05, random_state=3, format="csr")
    rng = np.random.default_rng(3)
    Y = (X @ rng.normal(size=(D, 5)) + 0.3 * rng.normal(size=(N, 5)) > 0.3).astype(int)
    Y[:, 4] = 0
    Y[:3, 4] = 1  # a rare label
    return X, Y


def _objective(X, Y, W, b, C, loss, intercept_penalty, pos=1.0):
    S = np.where(Y > 0, 1.0, -1.0)
    Z = np.asarray(X @ W) + b
    cell = np.logaddexp(0, -S * Z) if loss == "logistic" else np.maximum(0, 1 - S * Z) ** 2
    weights = np.where(Y > 0, pos, 1.0)
    return 0.5 * (W * W).sum(0) + 0.5 * intercept_penalty * b * b + C * (weights * cell).sum(0)


def _primal(monkeypatch, **kw):
    """The same fit with the (d + 1)-space conjugate gradients."""
    with monkeypatch.context() as m:
        m.setattr(solver._Design, "wide", property(lambda self: False))
        return solver.fit_columns(**kw)


def _counting(fn, calls):
    def wrapped(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize("loss", ["logistic", "squared_hinge"])
@pytest.mark.parametrize("intercept_penalty", [0.0, 1.0])
def test_sample_space_reaches_the_primal_optimum(wide, monkeypatch, loss, intercept_penalty):
    X, Y = wide
    kw = dict(
        X=X,
        Y=Y,
        C=3.0,
        loss=loss,
        pos_weight=np.full(5, 2.0),
        tol=1e-8,
        max_iter=200,
        intercept_penalty=intercept_penalty,
    )
    calls = []
    monkeypatch.setattr(solver, "_pcg_samples", _counting(solver._pcg_samples, calls))
    W, b, _ = solver.fit_columns(**kw)
    assert calls, "wide data should take the sample-space path"
    Wp, bp, _ = _primal(monkeypatch, hessian_rows=N, **kw)
    f = _objective(X, Y, W, b, 3.0, loss, intercept_penalty, pos=2.0)
    fp = _objective(X, Y, Wp, bp, 3.0, loss, intercept_penalty, pos=2.0)
    np.testing.assert_allclose(f, fp, rtol=1e-7)
    np.testing.assert_allclose(W, Wp, atol=1e-4)
    np.testing.assert_allclose(b, bp, atol=1e-4)


def test_sample_space_matches_liblinear(wide):
    # liblinear's L2-loss SVM with intercept_scaling=1 is the intercept_penalty=1 model
    X, Y = wide
    W, b, _ = solver.fit_columns(
        X, Y, C=0.5, loss="squared_hinge", tol=1e-10, max_iter=200, intercept_penalty=1.0
    )
    for j in range(Y.shape[1]):
        ref = LinearSVC(C=0.5, tol=1e-10, max_iter=100_000).fit(X, Y[:, j])
        np.testing.assert_allclose(W[:, j], ref.coef_.ravel(), atol=1e-4)
        np.testing.assert_allclose(b[j], ref.intercept_[0], atol=1e-4)


def test_dense_wide_equals_sparse_wide(wide):
    X, Y = wide
    sparse = LinearOneVsRest(C=2.0, standardize=False, tol=1e-8).fit(X, Y)
    dense = LinearOneVsRest(C=2.0, standardize=False, tol=1e-8).fit(X.toarray(), Y)
    np.testing.assert_allclose(dense.coef_, sparse.coef_, atol=1e-5)
    np.testing.assert_allclose(dense.intercept_, sparse.intercept_, atol=1e-5)


def test_label_with_one_positive_is_learned(wide):
    # at the start only its positive row violates the margin: a curvature of one non-zero
    X, Y = wide
    Y = Y.copy()
    Y[:, 0] = 0
    Y[0, 0] = 1
    W, b, _ = solver.fit_columns(X, Y, C=10.0, loss="squared_hinge", max_iter=100)
    assert np.isfinite(W).all() and np.isfinite(b).all()
    S = np.where(Y[:, 0] > 0, 1.0, -1.0)
    assert (S * (X @ W[:, 0] + b[0]) > 0).mean() > 0.95


@pytest.mark.parametrize("intercept_penalty", [0.0, 1.0])
@pytest.mark.parametrize("damped", [False, True])
def test_sample_space_direction_is_the_newton_step(wide, intercept_penalty, damped):
    # solved to convergence, the sample-space step p satisfies H p = -g with the explicit
    # (d + 1) x (d + 1) Hessian of every column, intercept row and column included
    X, Y = wide
    rng = np.random.default_rng(4)
    S = np.where(Y > 0, 1.0, -1.0)
    prob = solver._Problem(X, S, np.full(S.shape, 2.0), "logistic", np.float64, N)
    prob.reg[-1] = intercept_penalty
    G = rng.normal(size=(D + 1, 5))
    Dc = rng.random((N, 5)) * (rng.random((N, 5)) < 0.5)  # curvature with zeros, as the hinge's
    damp = np.full(5, 0.7) if damped else None
    P = solver._pcg_samples(prob, G, Dc, 500, np.full(5, 1e-12), damp)
    A = np.hstack([X.toarray(), np.ones((N, 1))])
    for j in range(5):
        H = A.T @ (Dc[:, j, None] * A) + np.diag(prob.reg[:, 0])
        H[-1, -1] += 0.0 if damp is None else damp[j]
        np.testing.assert_allclose(H @ P[:, j], -G[:, j], atol=1e-8)
