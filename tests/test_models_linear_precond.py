"""The Jacobi preconditioner of the linear solver never divides by a zero Hessian diagonal."""

from types import SimpleNamespace

import numpy as np

from tagwise.models._linear_solver import _diag_precond


def test_zero_diagonal_is_left_unpreconditioned():
    # A squared-hinge label with no sample inside the margin has D = 0; its unregularised
    # intercept then has a zero Hessian diagonal (seen as NaN scores on Reuters folds).
    diag = np.array([[0.0, 2.0], [4.0, 0.0]])
    prob = SimpleNamespace(hess=SimpleNamespace(squares_back=lambda D: diag), reg=0.0)
    out = _diag_precond(prob, np.zeros((3, 2)), None)  # the inverse diagonal
    assert np.isfinite(out).all()
    assert np.allclose(out, [[1.0, 0.5], [0.25, 1.0]])
