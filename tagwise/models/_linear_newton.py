"""All-labels Newton-CG for L2-regularised logistic regression, in torch (float32 when large).

The fast path of :func:`~tagwise.models._linear_solver.fit_columns` (logistic loss, L2 penalty,
no weight mask). Every label ``j`` solves its own problem::

    min_{w, b}  0.5 ||w||^2 + 0.5 * rho * b^2 + sum_i c_ij * log(1 + exp(-s_ij (x_i . w + b)))

(``rho = 0``: unpenalised intercept; ``rho = 1``: liblinear's, i.e. scikit-learn's
``LogisticRegression(solver="liblinear")`` with ``intercept_scaling=1``). One Newton-CG iteration
runs for all unconverged labels at once, as in ``_linear_solver``, but

* the (n_samples, n_labels) work arrays are torch tensors updated in place (float32 from a
  million cells), and only four exist: the margins, the signs, their sigmoid and one scratch
  array (the numpy solver's float64 temporaries peaked at +1.4 GiB on delicious);
* sparse products use scipy's CSR/CSC kernels (faster than torch's sparse ones for this shape:
  ``X @ W`` 0.05 s vs 0.14 s on delicious, 12 920 x 500, 983 labels), in sample slices run by
  threads (:class:`~tagwise.models._products.SlicedProducts`; delicious fit 4.0-4.3 -> 3.3-3.7 s
  on 2 cores);
* the line search is exact along the Newton direction: ``X @ p`` is computed once and a few
  safeguarded 1-D Newton steps on the directional derivative need only elementwise work;
* the first Newton step is exact and costs no pass over the data (see :func:`_first_step`);
* conjugate gradients use every row (no Hessian subsampling: a sample of rows misses the few
  positives of a rare label and then needs many more outer iterations), with the exact Jacobi
  preconditioner;
* a label leaves the work arrays (they are compacted) as soon as its gradient norm has fallen
  below ``tol`` times its value at the start.

torch runs single-threaded inside the solve (restored after): most of its operations are small
per-label vectors, and on a loaded 2-core machine each OpenMP barrier waited for a descheduled
thread: 36 s wall with 2 threads vs 14 s with one on delicious (load average ~8). The sparse
products' own threads meet once per product instead (with two busy processes beside it, the
delicious fit took 5.4-5.8 s with them vs 5.5-7.0 s without).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from tagwise.models._products import MapFn, SlicedProducts, worker_threads

__all__ = ["fit_logistic_l2"]

Tensor = torch.Tensor


class _Design:
    """``X @ W`` (n, m) and ``X.T @ R`` (d, m); X is CSR (scipy, in threaded sample slices:
    :class:`SlicedProducts`) or dense (torch)."""

    def __init__(self, X: Any, dtype: Any, parts: int = 1, map_: MapFn = map) -> None:
        self.sparse = sp.issparse(X)
        self.n = X.shape[0]
        self.dtype = np.dtype(dtype)
        self._out: Tensor | None = None
        if self.sparse:
            csr = sp.csr_matrix(X, dtype=dtype)
            self.X = SlicedProducts(csr, parts, map_)
            self.X2 = self.X.squared()
            self.nnz = csr.nnz
            self._gram = lambda: (csr.T @ csr).toarray().astype(np.float64)
            self.colsum = np.asarray(csr.sum(axis=0), dtype=np.float64).ravel()
        else:
            self.Xd = torch.as_tensor(np.ascontiguousarray(X, dtype=dtype))
            self.Xd2 = self.Xd * self.Xd
            X64 = torch.as_tensor(np.asarray(X, dtype=np.float64))
            self._gram = lambda: (X64.T @ X64).numpy()
            self.colsum = X64.sum(0).numpy()

    def cheap_gram(self, n_labels: int) -> bool:
        """Whether eigendecomposing X'X (~10 d^3 flops) costs less than ~5 CG steps."""
        d = self.colsum.shape[0]
        nnz = self.nnz if self.sparse else self.n * d
        return d**3 <= 2 * nnz * n_labels

    def forward(self, W: Tensor) -> Tensor:
        """Scores ``X @ W[:-1] + W[-1]`` (the last row of W is the intercept).

        The result is a view of one reused buffer (valid until the next call): a fresh
        (n, m) array per product cost page faults worth a third of the product itself.
        """
        m = W.shape[1]
        if self._out is None or self._out.numel() < self.n * m:
            self._out = torch.empty(self.n * m, dtype=W.dtype)
        Z = self._out[: self.n * m].view(self.n, m)
        if self.sparse:
            self.X.dot(W[:-1].contiguous().numpy(), out=Z.numpy())
        else:
            torch.matmul(self.Xd, W[:-1], out=Z)
        Z += W[-1]
        return Z

    def back(self, R: Tensor, squared: bool = False) -> Tensor:
        """``[X, 1].T @ R`` of shape (d + 1, m); with ``squared`` every entry of X is squared."""
        if self.sparse:
            top = torch.from_numpy((self.X2 if squared else self.X).tdot(R.numpy()))
        else:
            top = (self.Xd2 if squared else self.Xd).T @ R
        return torch.cat([top, R.sum(0, keepdim=True)])


def _first_step(design: _Design, G: Tensor, delta: Tensor, rho: float) -> Tensor:
    """The exact Newton step at ``w = 0`` with a constant intercept (per-label constant curvature).

    There every cell of column j has the same curvature ``delta_j``, so the Hessian is
    ``delta_j [X, 1]'[X, 1] + diag(1, ..., 1, rho)``: eliminating the intercept leaves
    ``(delta_j X'X + I - beta_j a a') p_w = r_j`` with ``a = X'1``, solved for all labels with
    one eigendecomposition of ``X'X`` (d x d) and a Sherman-Morrison correction. This replaces
    the first conjugate-gradient solve (the costliest, as every label still takes part).
    """
    # torch's LAPACK in the solver's single thread: numpy's multi-threaded eigh took 6 s for
    # this 500 x 500 matrix on the loaded 2-core machine
    f64 = torch.float64
    lam, V = torch.linalg.eigh(torch.from_numpy(design._gram()))
    lam = lam.clamp(min=0.0)
    a = torch.from_numpy(design.colsum).to(f64)
    g, dl = G.to(f64), delta.to(f64)
    gw, gb = g[:-1], g[-1]
    denom = dl * design.n + rho  # curvature of the intercept
    beta = dl * dl / denom
    r = -gw + torch.outer(a, dl * gb / denom)  # right-hand side without the intercept
    inv_eig = 1.0 / (torch.outer(lam, dl) + 1.0)  # (d, m): M_j^-1 in V's basis
    Ma = V @ (inv_eig * (V.T @ a)[:, None])
    Mr = V @ (inv_eig * (V.T @ r))
    aMa, aMr = a @ Ma, a @ Mr
    pw = Mr + Ma * (beta * aMr / (1.0 - beta * aMa))
    pb = -(gb + dl * (a @ pw)) / denom
    return torch.cat([pw, pb[None, :]]).to(G.dtype)


def fit_logistic_l2(
    X: Any,
    Y: np.ndarray,
    *,
    C: float,
    pos_weight: np.ndarray | None = None,
    neg_weight: np.ndarray | None = None,
    intercept_penalty: float = 0.0,
    tol: float = 1e-2,
    max_iter: int = 50,
    max_cg: int = 50,
    line_steps: int = 4,
    init_intercept: np.ndarray | None = None,
    dtype: Any = np.float32,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Fit one L2 logistic regression per column of ``Y`` (0/1, shape (n, L)).

    ``init_intercept`` (L,) starts the intercepts (log-odds); without class weights the first
    step is then exact. Returns weights (d, L), intercepts (L,) as float64 and the number of
    outer iterations the slowest label used.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    parts = worker_threads(X.nnz) if sp.issparse(X) else 1  # sparse products: own threads
    try:
        with ThreadPoolExecutor(parts) as pool:
            work = np.float64 if np.dtype(dtype) == np.float64 else np.float32
            design = _Design(X, work, parts, pool.map)
            return _solve(
                design,
                Y,
                C,
                pos_weight,
                neg_weight,
                intercept_penalty,
                tol,
                max_iter,
                max_cg,
                line_steps,
                init_intercept,
            )
    finally:
        torch.set_num_threads(threads)


def _solve(
    design: _Design,
    Y: np.ndarray,
    C: float,
    pos_weight: np.ndarray | None,
    neg_weight: np.ndarray | None,
    intercept_penalty: float,
    tol: float,
    max_iter: int,
    max_cg: int,
    line_steps: int,
    init_intercept: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, int]:
    L = Y.shape[1]
    tdt = torch.float64 if design.dtype == np.float64 else torch.float32
    d = design.colsum.shape[0]
    # C order like every buffer: mixing orders made each elementwise pass 20x slower
    Yt = torch.from_numpy(np.ascontiguousarray(Y, dtype=bool))
    NS = torch.where(Yt, -1.0, 1.0).to(tdt)  # minus the signs: the loss is softplus(-s z)
    Cw: Tensor | None = None  # per-cell weights (class weights); else the scalar C
    if pos_weight is not None or neg_weight is not None:
        pw = np.ones(L) if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
        nw = np.ones(L) if neg_weight is None else np.asarray(neg_weight, dtype=np.float64)
        Cw = torch.where(
            Yt,
            torch.from_numpy(C * pw).to(tdt),
            torch.from_numpy(C * nw).to(tdt),
        )
    scale = 1.0 if Cw is not None else float(C)  # C folded into the products when scalar
    del Yt
    reg = torch.ones(d + 1, 1, dtype=tdt)
    reg[-1] = float(intercept_penalty)

    W = torch.zeros(d + 1, L, dtype=tdt)
    if init_intercept is not None:
        W[-1] = torch.from_numpy(np.asarray(init_intercept, dtype=np.float64)).to(tdt)
    N = NS * W[-1]  # "negative margins" -s z (w = 0): the loss of a cell is softplus(N)
    Q = torch.sigmoid(N)  # d loss / d N
    B = torch.empty_like(N)  # scratch
    E_flat = torch.empty(N.numel(), dtype=tdt)  # scratch of the line search
    cols = torch.arange(L)
    g0: Tensor | None = None
    it = 0
    for it in range(1, max_iter + 1):
        Wc = W[:, cols]
        torch.mul(Q, NS, out=B)  # d loss / d z
        if Cw is not None:
            B *= Cw
        G = design.back(B) * scale + reg * Wc
        gnorm = G.norm(dim=0)
        if g0 is None:
            g0 = torch.clamp(gnorm, min=1e-12)
        todo = gnorm > tol * g0[cols]
        if not bool(todo.any()):
            break
        # compact (converged labels leave the work arrays) once 5 % have converged: a gather
        # costs three elementwise passes; until then converged labels take zero steps
        if int(todo.sum()) < 0.95 * len(cols):
            cols, Wc, G, gnorm = cols[todo], Wc[:, todo], G[:, todo], gnorm[todo]
            N, NS, Q = N[:, todo], NS[:, todo], Q[:, todo]
            if Cw is not None:
                Cw = Cw[:, todo]
            B = torch.empty_like(N)
            todo = todo[todo]
        torch.addcmul(Q, Q, Q, value=-1.0, out=B)  # curvature q (1 - q) of every cell
        if Cw is not None:
            B *= Cw
        # Eisenstat & Walker (1996) forcing term: solve loosely far from the optimum
        forcing = torch.clamp(torch.sqrt(gnorm / g0[cols]), max=0.5)
        if it == 1 and Cw is None and init_intercept is not None and design.cheap_gram(L):
            step = _first_step(design, G, B[0] * scale, float(intercept_penalty))
        else:
            inv = 1.0 / (design.back(B, squared=True) * scale + reg)  # Jacobi preconditioner
            step = _pcg(design, G, B, scale, reg, inv, forcing, max_cg, todo)
        E = E_flat[: N.numel()].view(N.shape)
        A = design.forward(step)  # change of X w along the step ...
        A *= NS  # ... and of the negative margins
        t, N_new, Q = _line_search(N, A, Q, B, E, Cw, scale, Wc, step, G, reg, line_steps)
        B, N = N, N_new  # the old margins' buffer is the next scratch
        W[:, cols] = Wc + t * step
    W64 = W.to(torch.float64).numpy()
    return W64[:-1].copy(), W64[-1].copy(), it


def _pcg(
    design: _Design,
    G: Tensor,
    D: Tensor,
    scale: float,
    reg: Tensor,
    inv: Tensor,
    forcing: Tensor,
    max_cg: int,
    running: Tensor,
) -> Tensor:
    """Solve ``H_j p_j = -g_j`` for every column by Jacobi-preconditioned CG.

    ``H_j = scale * [X, 1].T diag(D_j) [X, 1] + diag(reg)``. A column stops at
    ``||r|| <= forcing * ||g||`` (inexact Newton, Nocedal & Wright 7.1); columns not
    ``running`` (bool, (m,)) from the start get a zero step. The products run on a
    working set of columns that is re-gathered only when a quarter of it has stopped (a gather
    of D costs as much as an elementwise pass); stopped columns inside it take zero steps.
    """
    P = torch.zeros_like(G)
    ws = torch.arange(G.shape[1])  # the working set; every array below holds only its columns
    Pw, R = torch.zeros_like(G), -G
    Zr = inv * R
    Dir = Zr.clone()
    rz = (R * Zr).sum(0)
    stop = forcing**2 * (G * G).sum(0)
    run = running.clone()
    Dws = D
    for _ in range(max_cg):
        XD = design.forward(Dir)
        XD *= Dws
        HD = design.back(XD) * scale + reg * Dir
        alpha = torch.where(run, rz / (Dir * HD).sum(0), 0.0)
        Pw += alpha * Dir
        R -= alpha * HD
        run &= (R * R).sum(0) > stop
        n_run = int(run.sum())
        if n_run == 0:
            break
        Zr = inv * R
        rzn = (R * Zr).sum(0)
        Dir = torch.where(run, Zr + (rzn / rz) * Dir, Dir)
        rz = torch.where(run, rzn, rz)
        if n_run < 0.75 * len(ws):
            P[:, ws] = Pw
            ws, Pw, R, Dir, rz = ws[run], Pw[:, run], R[:, run], Dir[:, run], rz[run]
            stop, inv, run = stop[run], inv[:, run], run[run]
            Dws = D[:, ws]
    P[:, ws] = Pw
    return P


def _line_search(
    N: Tensor,
    A: Tensor,
    Q: Tensor,
    B: Tensor,
    E: Tensor,
    Cw: Tensor | None,
    scale: float,
    W: Tensor,
    step: Tensor,
    G: Tensor,
    reg: Tensor,
    n_steps: int,
) -> tuple[Tensor, Tensor, Tensor]:
    """Step length per column along the Newton direction; returns it with the new N and Q.

    ``phi(t) = 0.5 (w + t p)' diag(reg) (w + t p) + sum_i c_i softplus(N_i + t A_i)`` is convex
    with ``phi'(0) = g . p < 0``. The Newton step ``t = 1`` is tried first and kept where
    ``|phi'(1)| <= |phi'(0)| / 4`` (nearly always once close); elsewhere the root of ``phi'`` is
    found by secant steps inside a bracket. Each trial costs four elementwise passes, and the
    last one leaves the new negative margins and their sigmoid for the next iteration (the
    buffers of the old ones are reused).
    """
    wp = (reg * W * step).sum(0)
    pp = (reg * step * step).sum(0)
    slope0 = (G * step).sum(0)
    t = torch.ones_like(wp)
    lo, d_lo = torch.zeros_like(t), slope0
    hi, d_hi = torch.full_like(t, float("inf")), torch.zeros_like(t)
    t_prev, d_prev = torch.zeros_like(t), slope0
    Nt, Qt = B, Q  # write the trial point into the scratch buffer, its sigmoid over Q
    for k in range(n_steps):
        torch.addcmul(N, A, t.unsqueeze(0), out=Nt)
        torch.sigmoid(Nt, out=Qt)
        torch.mul(Qt, A, out=E)
        if Cw is not None:
            E *= Cw
        der = wp + t * pp + E.sum(0) * scale
        done = der.abs() <= 0.25 * slope0.abs()
        if k == n_steps - 1 or bool(done.all()):
            break
        below = der < 0
        lo, d_lo = torch.where(below, t, lo), torch.where(below, der, d_lo)
        hi, d_hi = torch.where(below, hi, t), torch.where(below, d_hi, der)
        upper = torch.isfinite(hi)
        # regula falsi inside the bracket; with no upper end yet, the secant through the last
        # two trials (phi' increases, so it moves right), at most 4x further
        inside = lo - d_lo * (hi - lo) / (d_hi - d_lo).clamp(min=1e-30)
        outside = t - der * (t - t_prev) / (der - d_prev).clamp(min=1e-30)
        sec = torch.where(upper, inside.clamp(min=lo, max=hi), outside.clamp(min=t, max=4 * t))
        t_prev, d_prev = t, der
        t = torch.where(done, t, sec)
    return t, Nt, Qt
