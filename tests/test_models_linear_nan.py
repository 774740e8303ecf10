"""Squared-hinge LinearOneVsRest stays finite when a rare label's Hessian sample has no curvature.

Regression test for NaN scores on Reuters-21578 folds: the Hessian of the linear solver is
estimated on a row subsample; a rare label whose margin-violating rows all fall outside it had a
singular Hessian along its unregularised intercept, and conjugate gradients diverged to inf/NaN.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tagwise.models import LinearOneVsRest
from tagwise.models import _linear_solver as solver

N, HESS_ROWS = 300, 60


@pytest.fixture(scope="module")
def rare():
    """Sparse X and three labels; labels 0 and 2 have positives only outside the Hessian rows."""
    X = sp.random(N, 40, density=0.2, random_state=1, format="csr")
    sampled = np.random.default_rng(0).choice(N, HESS_ROWS, replace=False)  # as _Problem draws
    outside = np.setdiff1d(np.arange(N), sampled)
    Y = np.zeros((N, 3), dtype=int)
    Y[outside[:2], 0] = 1
    Y[np.random.default_rng(2).random(N) < 0.3, 1] = 1
    Y[outside[5], 2] = 1
    return X, Y


@pytest.mark.parametrize("C", [0.5, 2.0, 10.0])
def test_subsampled_hessian_without_curvature_stays_finite(rare, C):
    X, Y = rare
    W, b, _ = solver.fit_columns(X, Y, C=C, loss="squared_hinge", hessian_rows=HESS_ROWS)
    assert np.isfinite(W).all() and np.isfinite(b).all()


def test_damping_keeps_the_fixed_point(rare):
    # the gradient is exact, so the damped subsampled solve converges to the full-Hessian one
    X, Y = rare
    kw = {"C": 2.0, "loss": "squared_hinge", "tol": 1e-8}
    W, b, _ = solver.fit_columns(X, Y, hessian_rows=HESS_ROWS, max_iter=2000, **kw)
    Wf, bf, _ = solver.fit_columns(X, Y, hessian_rows=N, max_iter=200, **kw)
    np.testing.assert_allclose(W, Wf, atol=1e-5)
    np.testing.assert_allclose(b, bf, atol=1e-5)


def test_linear_one_vs_rest_scores_are_finite(rare, monkeypatch):
    X, Y = rare
    monkeypatch.setattr(solver, "HESSIAN_ROWS", 1)  # force the n/5-row Hessian sample
    model = LinearOneVsRest(loss="squared_hinge", C=10.0).fit(X, Y)
    assert np.isfinite(model.predict_proba(X)).all()
    assert model.predict(X)[:, 1].any()  # the common label is still learned


def test_damping_only_where_the_sampled_curvature_is_zero():
    prob = type("P", (), {})()
    prob.loss, prob.Cw = "squared_hinge", np.full((4, 3), 2.0)
    D = np.array([[0.0, 4.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    damp = solver._intercept_damping(prob, D, np.arange(3))
    np.testing.assert_allclose(damp, [4.0, 0.0, 4.0])  # floor = 2 * min cell weight
    assert solver._intercept_damping(prob, D + 4.0, np.arange(3)) is None
    prob.loss = "logistic"  # strictly positive curvature: never damped
    assert solver._intercept_damping(prob, D, np.arange(3)) is None
