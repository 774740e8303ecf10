"""Block-softmax regression: many independent softmax models over one X, fitted as one.

The columns of the weight matrix are split into blocks (``offsets``); each block is a softmax
over its own classes. Label powerset is one block, RAkEL one block per k-labelset. Every objective
evaluation is two products with X (sparse X stays sparse) and a handful of vectorised passes over
the (n_samples, n_classes) score matrix — no Python loop over blocks — all in float32, which
halves the memory traffic of the products and the L-BFGS history (the loss is accumulated in
float64). With sparse X of more than ~100,000 non-zeros, the samples are cut into one slice per
CPU (at most 8, equal shares of the non-zeros) and the slices are evaluated in threads.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.models._products import balanced_bounds, worker_threads

__all__ = ["block_softmax", "fit_block_softmax", "lbfgs"]


def _expand(V: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Per-block values (n, n_blocks) repeated over each block's columns (n, n_classes)."""
    return V if len(sizes) == 1 else np.repeat(V, sizes, axis=1)


def _segment(ufunc: np.ufunc, Z: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``ufunc`` reduced over each block's columns: shape (n, n_blocks)."""
    if len(starts) == 1:
        return ufunc.reduce(Z, axis=1, keepdims=True)
    return ufunc.reduceat(Z, starts, axis=1)


def block_softmax(Z: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Softmax within each block of columns of ``Z`` (n, offsets[-1]); overwrites ``Z``."""
    starts, sizes = np.asarray(offsets[:-1]), np.diff(offsets)
    Z -= _expand(_segment(np.maximum, Z, starts), sizes)
    np.exp(Z, out=Z)
    Z /= _expand(_segment(np.add, Z, starts), sizes)
    return Z


def _objective(
    X: Any,
    codes: np.ndarray,
    offsets: np.ndarray,
    C: float,
    last: dict | None = None,
    parts: int = 1,
    map_: Callable[..., Any] = map,
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """``W -> (f, grad)`` of ``(C * sum of cross-entropies + 0.5 ||W||^2) / n``.

    ``W`` is (n_features + 1, n_classes) float32, the last row the (unpenalised) intercepts;
    ``codes`` (n, n_blocks) the true class of every sample within every block. When ``last`` is
    a dict, ``last["top"]`` receives the (n, n_classes) mask of every block's top class at the
    latest W evaluated (the training decisions, for :class:`_Settled`). The samples are cut into
    ``parts`` slices, each slice's products and softmax run through ``map_``: a thread pool's
    ``map`` runs them side by side, as scipy's sparse products and numpy's array passes release
    the GIL, and a slice's score matrix stays closer to cache (bibtex RAkEL 3+8, 2 cores: an
    evaluation takes 79 ms in 2 slices, 170 ms in one).
    """
    n = X.shape[0]
    n_classes = int(offsets[-1])
    starts, sizes = np.asarray(offsets[:-1]), np.diff(offsets)
    bounds = balanced_bounds(X.indptr, parts) if sp.issparse(X) else np.linspace(0, n, parts + 1)
    slices = []
    for a, b in pairwise(bounds.astype(int)):
        if b == a:
            continue
        Xs = X[a:b]
        # X_sᵀ as CSR: with two slices side by side this beat the CSC view (bibtex RAkEL 3+8,
        # 2 threads: 92 vs 114 ms an evaluation), where both threads scatter into (d, K) outputs
        XsT = Xs.T.tocsr() if sp.issparse(Xs) else np.ascontiguousarray(Xs.T)
        # flat index of every (sample, true class) cell of the slice's C-ordered score matrix
        cells = (np.arange(b - a)[:, None] * n_classes + codes[a:b] + starts).ravel()
        slices.append((Xs, XsT, cells))

    def part(W: np.ndarray, Xs: Any, XsT: Any, cells: np.ndarray) -> tuple[Any, ...]:
        """One slice's (loss, X_sᵀ (P - T), column sums of P - T, top-class mask)."""
        Z = np.ascontiguousarray(Xs @ W[:-1])  # (n_s, K); contiguous so reshape(-1) is a view
        Z += W[-1]
        Z -= _expand(_segment(np.maximum, Z, starts), sizes)
        top = Z == 0.0 if last is not None else None
        flat = Z.reshape(-1)
        picked = float(flat[cells].sum(dtype=np.float64))
        np.exp(Z, out=Z)
        S = _segment(np.add, Z, starts)
        loss = float(np.log(S).sum(dtype=np.float64)) - picked
        Z /= _expand(S, sizes)  # now the probabilities
        flat[cells] -= 1.0  # ... minus the one-hot targets: d loss / d scores
        return loss, XsT @ Z, Z.sum(axis=0), top

    def fun(W: np.ndarray) -> tuple[float, np.ndarray]:
        results = list(map_(lambda s: part(W, *s), slices))
        G = np.empty_like(W)
        G[:-1] = results[0][1]
        G[-1] = results[0][2]
        for r in results[1:]:
            G[:-1] += r[1]
            G[-1] += r[2]
        G *= C
        G[:-1] += W[:-1]
        G /= n
        if last is not None:
            last["top"] = np.concatenate([r[3] for r in results])
        loss = sum(r[0] for r in results)
        w = W[:-1].reshape(-1)
        return (C * loss + 0.5 * float(np.dot(w, w))) / n, G

    return fun


class _Settled:
    """L-BFGS callback: stop once the training decisions have settled.

    The models are used through each block's argmax, and the argmax settles long before the loss
    stops creeping down (bibtex label powerset: the held-out subset accuracy is flat from about
    iteration 10-20 of 100). So stop when, ``patience`` iterations in a row, fewer than
    ``decision_tol`` of the training samples changed the top class of any block.
    """

    def __init__(self, last: dict, decision_tol: float, patience: int = 3) -> None:
        self.last, self.decision_tol, self.patience = last, decision_tol, patience
        self.prev: np.ndarray | None = None
        self.calm = 0

    def __call__(self, it: int, W: np.ndarray, f: float) -> bool:
        top = self.last["top"]  # the accepted W is the one evaluated last
        if self.prev is not None:
            changed = float((top != self.prev).any(axis=1).mean())
            self.calm = self.calm + 1 if changed < self.decision_tol else 0
        self.prev = top
        return self.calm >= self.patience


def fit_block_softmax(
    X: Any,
    codes: np.ndarray,
    offsets: np.ndarray,
    C: float,
    max_iter: int,
    tol: float,
    decision_tol: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Fit every block's L2-regularised softmax regression in one L-BFGS run.

    X: (n, d) CSR or dense; codes: (n, n_blocks) class index within each block. Stops at the
    gradient tolerance ``tol``, after ``max_iter`` iterations, or (``decision_tol`` > 0) once the
    training decisions settle (:class:`_Settled`). Returns coef (d, K), intercept (K,) as
    float64, and the number of iterations.
    """
    X = X.astype(np.float32) if sp.issparse(X) else np.asarray(X, dtype=np.float32)
    n, d = X.shape
    sizes = np.diff(offsets)
    counts = np.concatenate([np.bincount(codes[:, i], minlength=m) for i, m in enumerate(sizes)])
    W0 = np.zeros((d + 1, int(offsets[-1])), dtype=np.float32)
    W0[-1] = np.log(counts / n)  # start at the class frequencies (every class occurs, counts > 0)
    last: dict = {}
    callback = _Settled(last, decision_tol) if decision_tol > 0 else None
    threads = worker_threads(X.nnz) if sp.issparse(X) else 1  # BLAS threads dense products
    with ThreadPoolExecutor(threads) as pool:
        fun = _objective(
            X, codes, offsets, C, last if decision_tol > 0 else None, threads, pool.map
        )
        W, n_iter = lbfgs(fun, W0, max_iter, tol, callback=callback)
    return W[:-1].astype(np.float64), W[-1].astype(np.float64), n_iter


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a.reshape(-1), b.reshape(-1)))


def lbfgs(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x: np.ndarray,
    max_iter: int,
    tol: float,
    memory: int = 10,
    callback: Callable[[int, np.ndarray, float], bool] | None = None,
) -> tuple[np.ndarray, int]:
    """Plain L-BFGS (Nocedal & Wright, Alg. 7.4) with Armijo backtracking, on arrays.

    Stops when the largest gradient entry falls below ``tol`` times its starting value, when
    no step decreases ``f``, when ``callback(iteration, x, f)`` returns True, or after
    ``max_iter`` iterations; returns (x, iterations).
    """
    f, g = fun(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    rho: list[float] = []
    g0 = max(float(np.abs(g).max()), 1e-12)
    it = 0
    for it in range(1, max_iter + 1):
        if float(np.abs(g).max()) <= tol * g0:
            break
        q = g.copy()
        alphas = []
        for s, y, r in zip(reversed(s_hist), reversed(y_hist), reversed(rho), strict=True):
            a = r * _dot(s, q)
            alphas.append(a)
            q -= a * y
        if s_hist:
            q *= _dot(s_hist[-1], y_hist[-1]) / _dot(y_hist[-1], y_hist[-1])
        else:
            q /= max(float(np.linalg.norm(g)), 1e-12)  # first step of unit length
        for s, y, r, a in zip(s_hist, y_hist, rho, reversed(alphas), strict=True):
            q += s * (a - r * _dot(y, q))
        direction = -q
        slope = _dot(g, direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            s_hist, y_hist, rho = [], [], []
            direction, slope = -g, -_dot(g, g)
        t = 1.0
        for _ in range(30):
            x_new = x + t * direction
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            break
        s_vec, y_vec = x_new - x, g_new - g
        sy = _dot(s_vec, y_vec)
        if sy > 1e-10:
            s_hist.append(s_vec)
            y_hist.append(y_vec)
            rho.append(1.0 / sy)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
                rho.pop(0)
        x, f, g = x_new, f_new, g_new
        if callback is not None and callback(it, x, f):
            break
    return x, it
