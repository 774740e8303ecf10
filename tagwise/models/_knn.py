"""ML-kNN (Zhang & Zhou, Pattern Recognition 2007) on a chunked brute-force neighbour search.

For every label ``j`` ML-kNN counts how many of a sample's ``k`` nearest training neighbours carry
``j`` (``c`` in 0..k) and applies Bayes' rule with smoothed estimates learnt on the training set::

    P(y_j = 1 | c) ∝ P(y_j = 1) P(c | y_j = 1),   P(y_j = 0 | c) ∝ P(y_j = 0) P(c | y_j = 0)

    P(y_j = 1)         = (s + #positives_j) / (2 s + n)
    P(c | y_j = 1)     = (s + #{positives of j with c neighbours carrying j})
                         / (s (k + 1) + #positives_j)

The training counts come from each training sample's own neighbours, leaving the sample out
(``include_self=False``, as in the paper). scikit-multilearn's ``MLkNN`` counts the sample as its
own first neighbour; ``include_self=True`` reproduces that behaviour exactly.

Everything is vectorised: distances for a chunk of queries are one matrix product, the ``k``
smallest per row one ``argpartition``, the neighbour label counts one sparse product, and the
conditional tables one ``bincount``. Chunks are sized so that the distance block stays under
``max_memory_mb``, so memory is bounded whatever the data size.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.base import fitted_thresholds, validate_fit_data
from tagwise.models._common import (
    MultiLabelClassifier,
    check_choice,
    check_number,
    expected_failures,
)

__all__ = ["MLkNN", "kneighbors"]

_BLOCK_BYTES = 2**21


def _row_norms_sq(X: Any) -> np.ndarray:
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X, X)


def _exact_dtype(*mats: Any) -> Any:
    """float32 when every distance is computed exactly in it, else float64.

    Binary and count features (bag of words, MULAN's sparse sets) give integer dot products;
    while those stay below 2**24 float32 represents them exactly, so the neighbours are the
    same as in float64 at half the memory traffic.
    """
    bound = 0.0
    for M in mats:
        values = M.data if sp.issparse(M) else M
        if values.size and not np.array_equal(values, np.round(values)):
            return np.float64
        top = float(np.abs(values).max()) if values.size else 0.0
        bound = max(bound, top * top * M.shape[1])
    return np.float32 if bound < 2**23 else np.float64


def _normalize(X: Any) -> Any:
    norms = np.sqrt(_row_norms_sq(X))
    norms[norms == 0] = 1.0
    if sp.issparse(X):
        return sp.csr_matrix(sp.diags(1.0 / norms) @ X)
    return X / norms[:, None]


def kneighbors(
    X_query: Any,
    X_train: Any,
    k: int,
    *,
    metric: str = "euclidean",
    exclude_self: bool = False,
    max_memory_mb: float = 128.0,
    n_jobs: int | None = None,
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, neighbours)`` chunks: indices of the k nearest training rows per query.

    Ties are broken by the lower training index. With ``exclude_self`` the queries are the
    training rows themselves and query ``i`` never returns neighbour ``i``. ``n_jobs`` chunks
    are searched at once in threads (every step — scipy's sparse product, ``torch.topk``,
    numpy's reductions — releases the GIL); each gets ``max_memory_mb / n_jobs``.
    """
    if metric == "cosine":
        X_query, X_train = _normalize(X_query), _normalize(X_train)
    dtype = _exact_dtype(X_train, X_query)
    n_train = X_train.shape[0]
    train_sq = _row_norms_sq(X_train).astype(dtype)
    budget = max_memory_mb * 2**20
    if sp.issparse(X_train) and n_train * X_train.shape[1] * np.dtype(dtype).itemsize <= budget:
        # a dense transposed copy of the training set makes every distance block one
        # sparse-times-dense product, 2-8x faster than sparse-times-sparse (built C-ordered
        # straight from the CSC transpose: 10x faster than a copy of a Fortran-ordered array)
        XtT: Any = sp.csr_matrix(X_train, dtype=dtype).T.toarray(order="C")
    elif sp.issparse(X_train):
        XtT = X_train.T.tocsr().astype(dtype)
    else:
        XtT = np.ascontiguousarray(X_train.T, dtype=dtype)
    X_query = X_query.astype(dtype)
    n_query = X_query.shape[0]
    jobs = max(1, min(int(n_jobs or os.cpu_count() or 1), 8))
    itemsize = np.dtype(dtype).itemsize
    chunk = max(1, int(budget / (jobs * 8 * 3 * max(n_train, 1))))
    # and at most ~2 MiB of distances per block: the product's output rows stay in cache while
    # the sparse product adds into them, and the peak memory stays far below the budget
    # (bibtex: ~110 rows a block, as fast as 1 000-row blocks at half the peak memory)
    chunk = min(chunk, max(16, _BLOCK_BYTES // (itemsize * max(n_train, 1))))
    # one chunk per job when that is all there is: small problems still use every thread
    chunk = min(chunk, max(1, -(-n_query // jobs)))
    starts = range(0, n_query, chunk)
    kk = min(k, n_train)

    def block(start: int) -> tuple[slice, np.ndarray]:
        rows = slice(start, min(start + chunk, n_query))
        excluded = np.arange(rows.start, rows.stop) if exclude_self else None
        return rows, _block_neighbours(X_query[rows], XtT, train_sq, kk, metric, excluded)

    if jobs == 1 or len(starts) == 1:
        yield from map(block, starts)
        return
    with ThreadPoolExecutor(jobs) as pool:
        # at most 2 × jobs blocks submitted ahead, so memory stays bounded on long query sets
        pending: deque[Future[tuple[slice, np.ndarray]]] = deque()
        for start in starts:
            pending.append(pool.submit(block, start))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _block_neighbours(
    Q: Any, XtT: Any, train_sq: np.ndarray, kk: int, metric: str, excluded: np.ndarray | None
) -> np.ndarray:
    """The ``kk`` nearest training rows of every row of ``Q``, by distance then index."""
    import torch  # lazily: `import tagwise` stays torch-free

    prod = Q @ XtT
    dist = prod.toarray() if sp.issparse(prod) else np.asarray(prod)
    if metric == "cosine":
        np.subtract(1.0, dist, out=dist)
    else:  # squared euclidean (the query norm does not change the order); in place
        dist *= -2.0
        dist += train_sq[None, :]
    if excluded is not None:
        dist[np.arange(len(excluded)), excluded] = np.inf
    # torch.topk is ~10x faster than numpy's argpartition on wide rows; it only finds the
    # k-th smallest distance here, so that ties at the boundary go to the lower training
    # index (what scikit-learn's neighbour search does) instead of an arbitrary one
    with torch.inference_mode():
        vals, top = torch.topk(torch.from_numpy(dist), kk, dim=1, largest=False)
    part = top.numpy()
    kth = vals[:, -1:].numpy()
    within = dist <= kth
    ties = np.flatnonzero(np.count_nonzero(within, axis=1) > kk)
    if len(ties):  # only rows with a tie at the k-th distance need the slow path
        # work on the candidates (distance ≤ the k-th) only: row-major nonzero lists every
        # row's candidates in ascending training index, so the first tied ones win
        r, c = np.nonzero(within[ties])
        cut = kth[ties, 0][r]
        d = dist[ties[r], c]
        strict = d < cut
        tied = ~strict
        room = kk - np.bincount(r, weights=strict, minlength=len(ties))
        rank = np.cumsum(tied)  # rank of a tied candidate within its row:
        first = np.searchsorted(r, np.arange(len(ties)))  # minus the count before the row
        rank -= np.concatenate(([0], rank))[first][r]
        keep = strict | (tied & (rank <= room[r]))
        part[ties] = c[keep].reshape(-1, kk)  # ascending training index
    d_part = np.take_along_axis(dist, part, axis=1)
    order = np.lexsort((part, d_part), axis=1)  # by distance, then by index
    return np.take_along_axis(part, order, axis=1)


class MLkNN(MultiLabelClassifier):
    """Multi-label k-nearest neighbours (ML-kNN, Zhang & Zhou 2007).

    Parameters
    ----------
    k : int, default=10
        Number of neighbours.
    s : float, default=1.0
        Laplace smoothing of the prior and conditional estimates.
    metric : {"euclidean", "cosine"}, default="euclidean"
    include_self : bool, default=False
        Count a training sample as its own neighbour when learning the conditional tables
        (scikit-multilearn's behaviour). The paper leaves it out.
    threshold : float, default=0.5
        Probability at or above which ``predict`` assigns a label (0.5 is the paper's rule).
    max_memory_mb : float, default=128
        Memory for the blocks of query-to-training distances in flight; larger is slightly
        faster.
    n_jobs : int or None, default=None
        Threads for the neighbour search (None: all cores, at most 8).

    Attributes
    ----------
    X_fit_ : ndarray or CSR matrix of shape (n_train, n_features), the training features
    Y_fit_ : CSR matrix of shape (n_train, n_labels), the training labels
    prior_ : ndarray of shape (n_labels,), smoothed P(y_j = 1)
    cond_true_, cond_false_ : ndarray of shape (n_labels, k + 1), P(c | y_j = 1) and
        P(c | y_j = 0)
    """

    _artifact_kind = "mlknn"

    def __init__(
        self,
        k: int = 10,
        s: float = 1.0,
        metric: str = "euclidean",
        include_self: bool = False,
        threshold: float = 0.5,
        max_memory_mb: float = 128.0,
        n_jobs: int | None = None,
    ) -> None:
        self.k = k
        self.s = s
        self.metric = metric
        self.include_self = include_self
        self.threshold = threshold
        self.max_memory_mb = max_memory_mb
        self.n_jobs = n_jobs

    def _check_params(self, n_samples: int) -> None:
        check_number("k", self.k, low=1, integer=True)
        check_number("s", self.s, low=0.0, low_open=True)
        check_choice("metric", self.metric, ("euclidean", "cosine"))
        check_number("threshold", self.threshold, low=0.0, high=1.0)
        check_number("max_memory_mb", self.max_memory_mb, low=0.0, low_open=True)
        if self.n_jobs is not None:
            check_number("n_jobs", self.n_jobs, low=1, integer=True)
        available = n_samples if self.include_self else n_samples - 1
        if self.k > available:
            raise _too_few(self.k, n_samples, available)

    def _counts(self, X: Any, *, training: bool) -> Iterator[tuple[slice, np.ndarray]]:
        """Per chunk: how many of the k neighbours carry each label, shape (chunk, n_labels)."""
        for rows, nbrs in kneighbors(
            X,
            self.X_fit_,
            int(self.k),
            metric=self.metric,
            exclude_self=training and not self.include_self,
            max_memory_mb=float(self.max_memory_mb),
            n_jobs=self.n_jobs,
        ):
            m = nbrs.shape[0]
            indicator = sp.csr_matrix(
                (np.ones(nbrs.size), nbrs.ravel(), np.arange(0, nbrs.size + 1, nbrs.shape[1])),
                shape=(m, self.X_fit_.shape[0]),
            )
            yield rows, np.asarray((indicator @ self.Y_fit_).toarray(), dtype=np.int64)

    def fit(self, X: Any, Y: Any) -> MLkNN:
        """Store the training set and learn the prior and conditional tables."""
        X, Y = validate_fit_data(self, X, Y)
        self._check_params(X.shape[0])
        self.X_fit_ = sp.csr_matrix(X, dtype=np.float64) if sp.issparse(X) else X.astype(np.float64)
        self.Y_fit_ = sp.csr_matrix(Y, dtype=np.float64)
        n, L = Y.shape
        k, s = int(self.k), float(self.s)
        positives = np.asarray(self.Y_fit_.sum(axis=0)).ravel()
        self.prior_ = (s + positives) / (2 * s + n)
        # c_true[j, c]: training samples carrying label j with c neighbours carrying j
        c_true = np.zeros(L * (k + 1))
        c_false = np.zeros(L * (k + 1))
        offsets = np.arange(L) * (k + 1)
        for rows, counts in self._counts(self.X_fit_, training=True):
            has = self.Y_fit_[rows].toarray().astype(bool)
            cells = counts + offsets
            c_true += np.bincount(cells[has], minlength=L * (k + 1))
            c_false += np.bincount(cells[~has], minlength=L * (k + 1))
        c_true = c_true.reshape(L, k + 1)
        c_false = c_false.reshape(L, k + 1)
        self.cond_true_ = (s + c_true) / (s * (k + 1) + c_true.sum(axis=1, keepdims=True))
        self.cond_false_ = (s + c_false) / (s * (k + 1) + c_false.sum(axis=1, keepdims=True))
        self.thresholds_ = fitted_thresholds(self.threshold, self.Y_fit_)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior P(y_j = 1 | neighbour counts), shape (n_samples, n_labels)."""
        X = self._check_predict_input(X)
        X = sp.csr_matrix(X, dtype=np.float64) if sp.issparse(X) else X.astype(np.float64)
        out = np.empty((X.shape[0], len(self.prior_)))
        labels = np.arange(len(self.prior_))
        for rows, counts in self._counts(X, training=False):
            p_true = self.prior_ * self.cond_true_[labels, counts]
            p_false = (1.0 - self.prior_) * self.cond_false_[labels, counts]
            out[rows] = p_true / (p_true + p_false)
        return out

    def kneighbors(self, X: Any) -> np.ndarray:
        """Indices of the k nearest training samples, shape (n_samples, k)."""
        X = self._check_predict_input(X)
        X = sp.csr_matrix(X, dtype=np.float64) if sp.issparse(X) else X.astype(np.float64)
        chunks = kneighbors(
            X,
            self.X_fit_,
            int(self.k),
            metric=self.metric,
            max_memory_mb=self.max_memory_mb,
            n_jobs=self.n_jobs,
        )
        return np.vstack([nbrs for _, nbrs in chunks])

    # -- persistence: the training set and the tables, arrays only --------------------------------
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {
            "prior": self.prior_,
            "cond_true": self.cond_true_,
            "cond_false": self.cond_false_,
            "thresholds": self.thresholds_,
        }
        arrays.update(_pack("Y", self.Y_fit_))
        arrays.update(_pack("X", self.X_fit_))
        return {"sparse_X": bool(sp.issparse(self.X_fit_))}, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.prior_ = np.asarray(arrays["prior"])
        self.cond_true_ = np.asarray(arrays["cond_true"])
        self.cond_false_ = np.asarray(arrays["cond_false"])
        self.thresholds_ = np.asarray(arrays["thresholds"])
        self.Y_fit_ = _unpack("Y", arrays, sparse=True)
        self.X_fit_ = _unpack("X", arrays, sparse=bool(state.get("sparse_X")))


def _pack(name: str, M: Any) -> dict[str, np.ndarray]:
    if sp.issparse(M):
        M = sp.csr_matrix(M)
        return {
            f"{name}_data": M.data,
            f"{name}_indices": M.indices.astype(np.int64),
            f"{name}_indptr": M.indptr.astype(np.int64),
            f"{name}_shape": np.asarray(M.shape, dtype=np.int64),
        }
    return {name: np.asarray(M)}


def _unpack(name: str, arrays: dict[str, np.ndarray], *, sparse: bool) -> Any:
    if not sparse:
        return np.asarray(arrays[name])
    shape = tuple(int(v) for v in arrays[f"{name}_shape"])
    return sp.csr_matrix(
        (arrays[f"{name}_data"], arrays[f"{name}_indices"], arrays[f"{name}_indptr"]), shape=shape
    )


def _too_few(k: int, n: int, available: int) -> Exception:
    from tagwise.exceptions import ConfigError

    return ConfigError(
        f"k={k} neighbours requested but n_samples={n} leaves only {available} (a training "
        "sample is not its own neighbour); lower k or add data."
    )


# no decision_function, so the decision/proba consistency check does not apply
MLkNN._expected_failed_checks = expected_failures(  # type: ignore[attr-defined]
    "check_decision_proba_consistency"
)
