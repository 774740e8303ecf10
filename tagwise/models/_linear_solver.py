"""One solver call for all labels: vectorised truncated-Newton (L2) and FISTA (L1).

Every label ``j`` has its own convex problem over a weight column ``w_j`` (with an unpenalised
intercept)::

    min_w  R(w) + C * sum_i c_ij * loss(y_ij, x_i . w + b)

with ``R = 0.5 ||w||^2`` (L2) or ``||w||_1`` (L1), ``loss`` logistic or squared hinge and ``c_ij``
the positive/negative weights. The problems are independent, so instead of one solver call per
label (liblinear in a Python loop) we run *one* Newton-CG iteration for all columns at once: the
gradient and Hessian-vector products of every column come from one matrix product ``X @ V`` and
one ``X.T @ M``, and every scalar of conjugate gradients and of the line search is a vector with
one entry per label. This is liblinear's TRON idea (Lin, Weng & Keerthi, JMLR 2008) turned
column-wise, with a backtracking line search instead of a trust region. A column stops when its
gradient norm has fallen by ``tol`` relative to the start, and then drops out of later products.

``mask`` (same shape as the weights) fixes some weights at zero; classifier chains use it to let
label ``j`` see only the labels before it in the chain while all labels train together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["LinearSolution", "fit_columns", "sigmoid"]

LinearSolution = tuple[np.ndarray, np.ndarray, int]  # weights (d, L), intercepts (L,), iterations


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically safe logistic function."""
    out = np.empty_like(z, dtype=np.float64)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _loss_terms(
    Z: np.ndarray, S: np.ndarray, loss: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-cell loss, d loss / dz and (generalised) second derivative for signs S in {-1, +1}."""
    if loss == "logistic":
        m = -S * Z
        value = np.logaddexp(0.0, m)
        p = sigmoid(m)  # = sigma(-s z)
        return value, -S * p, p * (1.0 - p)
    margin = 1.0 - S * Z  # squared hinge (L2-loss SVM): generalised Hessian 2 * [margin > 0]
    active = margin > 0
    margin = np.where(active, margin, 0.0)
    return margin * margin, -2.0 * S * margin, 2.0 * active


class _Problem:
    """The data side of the objective: products with X (plus an intercept) and the loss terms."""

    def __init__(self, X: Any, S: np.ndarray, Cw: np.ndarray, loss: str) -> None:
        self.X = X
        self.XT = X.T.tocsr() if sp.issparse(X) else X.T
        self.S, self.Cw, self.loss = S, Cw, loss

    def scores(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(self.X @ W) + b

    def back(self, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient pieces (X.T @ M, column sums of M) for the weights and the intercept."""
        return np.asarray(self.XT @ M), M.sum(axis=0)


def _objective(
    prob: _Problem, W: np.ndarray, b: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column values f, gradients (G, g_b) and curvature weights D for the columns ``cols``."""
    Z = prob.scores(W, b)
    value, dz, d2 = _loss_terms(Z, prob.S[:, cols], prob.loss)
    Cw = prob.Cw[:, cols]
    f = 0.5 * np.einsum("ij,ij->j", W, W) + (Cw * value).sum(axis=0)
    G, gb = prob.back(Cw * dz)
    return f, G + W, gb, Cw * d2


def fit_columns(
    X: Any,
    Y: np.ndarray,
    *,
    C: float,
    loss: str = "logistic",
    penalty: str = "l2",
    pos_weight: np.ndarray | None = None,
    neg_weight: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    tol: float = 1e-3,
    max_iter: int = 50,
    max_cg: int = 30,
) -> LinearSolution:
    """Fit one linear model per column of ``Y`` in a single vectorised solve.

    Parameters
    ----------
    X : float64 ndarray or CSR matrix of shape (n_samples, n_features)
    Y : 0/1 ndarray of shape (n_samples, n_labels)
    C : inverse regularisation strength (as in liblinear / scikit-learn).
    pos_weight, neg_weight : ndarray of shape (n_labels,), optional
        Weight of a positive / negative example of each label.
    mask : bool ndarray of shape (n_features, n_labels), optional
        Weights where ``mask`` is False stay exactly zero.

    Returns
    -------
    W : ndarray of shape (n_features, n_labels)
    b : ndarray of shape (n_labels,)
    n_iter : int, the largest number of outer iterations any label used.
    """
    L = Y.shape[1]
    Yb = np.asarray(Y, dtype=bool)
    S = np.where(Yb, 1.0, -1.0)
    pw = np.ones(L) if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    nw = np.ones(L) if neg_weight is None else np.asarray(neg_weight, dtype=np.float64)
    Cw = C * np.where(Yb, pw, nw)
    prob = _Problem(X, S, Cw, loss)
    # start the intercept at the weighted log-odds: most rare labels are then nearly solved
    wpos = (Cw * Yb).sum(axis=0)
    wneg = (Cw * ~Yb).sum(axis=0)
    b = (
        np.log((wpos + 0.5) / (wneg + 0.5))
        if loss == "logistic"
        else np.where(wpos > wneg, 1.0, -1.0)
    )
    W = np.zeros((X.shape[1], L))
    if penalty == "l1":
        return _fista(prob, W, b, mask, tol, max_iter * 10)
    return _newton_cg(prob, W, b, mask, tol, max_iter, max_cg)


def _newton_cg(
    prob: _Problem,
    W: np.ndarray,
    b: np.ndarray,
    mask: np.ndarray | None,
    tol: float,
    max_iter: int,
    max_cg: int,
) -> LinearSolution:
    L = W.shape[1]
    active = np.arange(L)
    gnorm0: np.ndarray | None = None
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        cols = active
        Wc, bc = W[:, cols], b[cols]
        f, G, gb, D = _objective(prob, Wc, bc, cols)
        if mask is not None:
            G *= mask[:, cols]
        gnorm = np.sqrt(np.einsum("ij,ij->j", G, G) + gb * gb)
        if gnorm0 is None:
            gnorm0 = np.maximum(gnorm, 1e-12)
        todo = gnorm > tol * gnorm0[cols]
        if not todo.any():
            active = cols[:0]
            break
        cols, Wc, bc, f, G, gb, D = (
            cols[todo],
            Wc[:, todo],
            bc[todo],
            f[todo],
            G[:, todo],
            gb[todo],
            D[:, todo],
        )
        P, pb = _cg(prob, G, gb, D, None if mask is None else mask[:, cols], max_cg)
        slope = np.einsum("ij,ij->j", G, P) + gb * pb
        step = _line_search(prob, Wc, bc, P, pb, f, slope, cols)
        W[:, cols] = Wc + step * P
        b[cols] = bc + step * pb
        active = cols
    return W, b, it


def _cg(
    prob: _Problem,
    G: np.ndarray,
    gb: np.ndarray,
    D: np.ndarray,
    mask: np.ndarray | None,
    max_cg: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve H p = -g for every column by conjugate gradients with per-column scalars."""
    P, pb = np.zeros_like(G), np.zeros_like(gb)
    R, rb = -G, -gb
    Dir, db = R.copy(), rb.copy()
    rr = np.einsum("ij,ij->j", R, R) + rb * rb
    # inexact Newton (Nocedal & Wright 7.1): stop at ||r|| <= 0.1 ||g||
    stop = 0.01 * rr
    running = rr > stop
    for _ in range(max_cg):
        if not running.any():
            break
        XD = prob.scores(Dir, db)  # X @ d + db: the intercept is a constant feature
        HD, hb = prob.back(D * XD)
        HD += Dir
        if mask is not None:
            HD *= mask
        dHd = np.einsum("ij,ij->j", Dir, HD) + db * hb
        alpha = np.where(running, rr / np.maximum(dHd, 1e-300), 0.0)
        P += alpha * Dir
        pb += alpha * db
        R -= alpha * HD
        rb -= alpha * hb
        rr_new = np.einsum("ij,ij->j", R, R) + rb * rb
        beta = np.where(running, rr_new / np.maximum(rr, 1e-300), 0.0)
        Dir = R + beta * Dir
        db = rb + beta * db
        rr = rr_new
        running &= rr > stop
    return P, pb


def _line_search(
    prob: _Problem,
    W: np.ndarray,
    b: np.ndarray,
    P: np.ndarray,
    pb: np.ndarray,
    f: np.ndarray,
    slope: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    """Per-column backtracking (Armijo) step sizes, starting from the Newton step 1."""
    step = np.ones(len(cols))
    pending = np.arange(len(cols))
    for _ in range(30):
        if not len(pending):
            break
        t = step[pending]
        Wt = W[:, pending] + t * P[:, pending]
        bt = b[pending] + t * pb[pending]
        Z = prob.scores(Wt, bt)
        value, _, _ = _loss_terms(Z, prob.S[:, cols[pending]], prob.loss)
        fn = 0.5 * np.einsum("ij,ij->j", Wt, Wt) + (prob.Cw[:, cols[pending]] * value).sum(axis=0)
        ok = fn <= f[pending] + 1e-4 * t * slope[pending]
        pending = pending[~ok]
        step[pending] *= 0.5
    step[pending] = 0.0  # no decrease found: the column is at its optimum to machine precision
    return step


def _fista(
    prob: _Problem,
    W: np.ndarray,
    b: np.ndarray,
    mask: np.ndarray | None,
    tol: float,
    max_iter: int,
) -> LinearSolution:
    """L1: accelerated proximal gradient (Beck & Teboulle 2009) with per-column step sizes."""
    lip = np.ones(W.shape[1])  # per-column Lipschitz estimate, grown by backtracking
    Vw, Vb, t = W.copy(), b.copy(), 1.0
    prev = None
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        Z = prob.scores(Vw, Vb)
        value, dz, _ = _loss_terms(Z, prob.S, prob.loss)
        fv = (prob.Cw * value).sum(axis=0)
        G, gb = prob.back(prob.Cw * dz)
        while True:
            Wn = Vw - G / lip
            Wn = np.sign(Wn) * np.maximum(np.abs(Wn) - 1.0 / lip, 0.0)
            if mask is not None:
                Wn *= mask
            bn = Vb - gb / lip
            dW, dB = Wn - Vw, bn - Vb
            value_n, _, _ = _loss_terms(prob.scores(Wn, bn), prob.S, prob.loss)
            fn = (prob.Cw * value_n).sum(axis=0)
            bound = fv + np.einsum("ij,ij->j", G, dW) + gb * dB
            bound += 0.5 * lip * (np.einsum("ij,ij->j", dW, dW) + dB * dB)
            bad = fn > bound + 1e-10 * np.abs(bound)
            if not bad.any():
                break
            lip[bad] *= 2.0
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        Vw = Wn + ((t - 1.0) / t_next) * (Wn - W)
        Vb = bn + ((t - 1.0) / t_next) * (bn - b)
        change = np.sqrt(np.einsum("ij,ij->j", Wn - W, Wn - W) + (bn - b) ** 2)
        scale = np.sqrt(np.einsum("ij,ij->j", Wn, Wn) + bn * bn) + 1e-12
        W, b, t = Wn, bn, t_next
        if prev is not None and np.all(change <= tol * scale):
            break
        prev = change
    return W, b, it
