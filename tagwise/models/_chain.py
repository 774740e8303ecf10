"""Classifier chains (Read et al., Machine Learning 2011) and ensembles of chains, vectorised.

In a chain, label ``order[p]`` is predicted from the features *and* the labels before it in the
chain. With linear models this is one linear model per label over ``[X, Y]`` whose weights on
``Y`` are restricted to the earlier labels: a strictly "lower-triangular" mask. Training uses
the true labels (teacher forcing), so all labels are solved together in *one* vectorised
Newton solve with that mask (``_linear_solver``) — no Python-level model per label. Prediction
walks the chain once: the feature part of every score is one matrix product, then each label
adds the contribution of the labels already predicted (their probabilities, or their 0/1
decisions with ``chain_input="hard"``). Output columns are always in the original label order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.base import fitted_thresholds, validate_fit_data
from tagwise.exceptions import ConfigError
from tagwise.models._common import (
    MultiLabelClassifier,
    check_choice,
    check_number,
    dense_targets,
    expected_failures,
    to_float64,
)
from tagwise.models._linear import fit_linear_block
from tagwise.models._linear_solver import sigmoid

__all__ = ["ClassifierChain", "EnsembleOfChains"]


def _resolve_order(order: Any, n_labels: int, rng: np.random.Generator) -> np.ndarray:
    if order is None:
        return np.arange(n_labels)
    if isinstance(order, str):
        check_choice("order", order, ("random",))
        return rng.permutation(n_labels)
    arr = np.asarray(order)
    if (
        arr.ndim != 1
        or arr.dtype.kind not in "iu"
        or not np.array_equal(np.sort(arr), np.arange(n_labels))
    ):
        raise ConfigError(
            f"order must be a permutation of 0..{n_labels - 1} (each label index once), "
            f"got {order!r}."
        )
    return arr.astype(np.int64)


def _fit_chain(est: Any, X: Any, Y: Any, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Weights (n_features + n_labels, n_labels) and intercepts of one chain."""
    Yd = dense_targets(Y)
    L = Yd.shape[1]
    position = np.empty(L, dtype=np.int64)
    position[order] = np.arange(L)
    Yf = Yd.astype(np.float64)
    Xa = sp.hstack([X, sp.csr_matrix(Yf)]).tocsr() if sp.issparse(X) else np.hstack([X, Yf])
    mask = np.ones((X.shape[1] + L, L), dtype=bool)
    mask[X.shape[1] :] = position[:, None] < position[None, :]  # label i feeds j if i is earlier
    W, b, n_iter = fit_linear_block(
        Xa,
        Yd,
        C=float(est.C),
        loss="logistic",
        penalty="l2",
        class_weight=est.class_weight,
        standardize=est.standardize if not sp.issparse(X) else False,
        tol=float(est.tol),
        max_iter=int(est.max_iter),
        mask=mask,
    )
    return W, b, max(int(n_iter), 1)


def _predict_chain(
    X: Any, W: np.ndarray, b: np.ndarray, order: np.ndarray, hard: bool, cut: np.ndarray
) -> np.ndarray:
    d = X.shape[1]
    base = np.asarray(X @ W[:d]) + b  # the feature part of every label's score
    Wy = W[d:]
    proba = np.zeros_like(base)
    fed = np.zeros_like(base)  # what each label passes down the chain
    done: list[int] = []
    for j in order:
        z = base[:, j] + (fed[:, done] @ Wy[done, j] if done else 0.0)
        proba[:, j] = sigmoid(z)
        fed[:, j] = (proba[:, j] >= cut[j]) if hard else proba[:, j]
        done.append(int(j))
    return proba


class _ChainParams(MultiLabelClassifier):
    def _check_common(self) -> None:
        check_number("C", self.C, low=0.0, low_open=True)
        check_choice("chain_input", self.chain_input, ("proba", "hard"))
        check_number("threshold", self.threshold, low=0.0, high=1.0)
        check_number("tol", self.tol, low=0.0, low_open=True)
        check_number("max_iter", self.max_iter, low=1, integer=True)


class ClassifierChain(_ChainParams):
    """Classifier chain of L2-regularised logistic models, trained in one vectorised solve.

    Parameters
    ----------
    order : None, "random" or sequence of int, default=None
        Chain order: None keeps the column order, "random" draws one from ``random_state``, or a
        permutation of ``range(n_labels)``.
    chain_input : {"proba", "hard"}, default="proba"
        What a label passes down the chain at prediction time: its probability, or its 0/1
        decision. Probabilities let an early mistake propagate less on long chains.
    C, class_weight, standardize, tol, max_iter :
        As in :class:`~tagwise.models.LinearOneVsRest`.
    threshold : float, default=0.5
    random_state : int or None, default=None

    Attributes
    ----------
    order_ : ndarray of shape (n_labels,), the chain order used
    coef_ : ndarray of shape (n_features + n_labels, n_labels); the last n_labels rows weigh
        the earlier labels and are zero for the later ones
    intercept_ : ndarray of shape (n_labels,)
    """

    _artifact_kind = "chain"

    def __init__(
        self,
        order: Any = None,
        chain_input: str = "proba",
        C: float = 1.0,
        class_weight: Any = None,
        standardize: Any = "auto",
        threshold: float = 0.5,
        tol: float = 1e-2,
        max_iter: int = 50,
        random_state: int | None = None,
    ) -> None:
        self.order = order
        self.chain_input = chain_input
        self.C = C
        self.class_weight = class_weight
        self.standardize = standardize
        self.threshold = threshold
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Any, Y: Any) -> ClassifierChain:
        """Fit the chain on X (n_samples, n_features) and Y (n_samples, n_labels)."""
        self._check_common()
        X, Y = validate_fit_data(self, X, Y)
        rng = np.random.default_rng(self.random_state)
        self.order_ = _resolve_order(self.order, Y.shape[1], rng)
        self.coef_, self.intercept_, self.n_iter_ = _fit_chain(self, to_float64(X), Y, self.order_)
        self.thresholds_ = fitted_thresholds(self.threshold, Y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Label probabilities of shape (n_samples, n_labels), original label order."""
        X = to_float64(self._check_predict_input(X))
        hard = self.chain_input == "hard"
        return _predict_chain(X, self.coef_, self.intercept_, self.order_, hard, self.thresholds_)

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "order": self.order_,
            "thresholds": self.thresholds_,
        }
        return {}, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.n_iter_ = 1
        self.coef_ = np.asarray(arrays["coef"])
        self.intercept_ = np.asarray(arrays["intercept"])
        self.order_ = np.asarray(arrays["order"], dtype=np.int64)
        self.thresholds_ = np.asarray(arrays["thresholds"])


class EnsembleOfChains(_ChainParams):
    """Ensemble of classifier chains (ECC, Read et al. 2011): random orders, averaged probabilities.

    Each chain gets its own random order and, with ``bootstrap``, its own bootstrap sample of
    the rows; ``predict_proba`` averages the chains' probabilities, which removes most of a
    single chain's sensitivity to its order.

    Parameters
    ----------
    n_chains : int, default=10
    bootstrap : bool, default=True
    chain_input, C, class_weight, standardize, threshold, tol, max_iter, random_state :
        As in :class:`ClassifierChain`.

    Attributes
    ----------
    orders_ : ndarray of shape (n_chains, n_labels)
    coefs_ : ndarray of shape (n_chains, n_features + n_labels, n_labels)
    intercepts_ : ndarray of shape (n_chains, n_labels)
    """

    _artifact_kind = "ecc"

    def __init__(
        self,
        n_chains: int = 10,
        bootstrap: bool = True,
        chain_input: str = "proba",
        C: float = 1.0,
        class_weight: Any = None,
        standardize: Any = "auto",
        threshold: float = 0.5,
        tol: float = 1e-2,
        max_iter: int = 50,
        random_state: int | None = None,
    ) -> None:
        self.n_chains = n_chains
        self.bootstrap = bootstrap
        self.chain_input = chain_input
        self.C = C
        self.class_weight = class_weight
        self.standardize = standardize
        self.threshold = threshold
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Any, Y: Any) -> EnsembleOfChains:
        """Fit ``n_chains`` chains with random orders (and bootstrap samples)."""
        self._check_common()
        check_number("n_chains", self.n_chains, low=1, integer=True)
        X, Y = validate_fit_data(self, X, Y)
        X = to_float64(X)
        rng = np.random.default_rng(self.random_state)
        n, L = Y.shape
        orders, coefs, intercepts, self.n_iter_ = [], [], [], 1
        for _ in range(int(self.n_chains)):
            order = rng.permutation(L)
            rows = rng.integers(0, n, n) if self.bootstrap else np.arange(n)
            W, b, n_iter = _fit_chain(self, X[rows], Y[rows], order)
            self.n_iter_ = max(self.n_iter_, n_iter)
            orders.append(order)
            coefs.append(W)
            intercepts.append(b)
        self.orders_ = np.stack(orders)
        self.coefs_ = np.stack(coefs)
        self.intercepts_ = np.stack(intercepts)
        self.thresholds_ = fitted_thresholds(self.threshold, Y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean of the chains' probabilities, shape (n_samples, n_labels)."""
        X = to_float64(self._check_predict_input(X))
        hard = self.chain_input == "hard"
        total = np.zeros((X.shape[0], self.orders_.shape[1]))
        for W, b, order in zip(self.coefs_, self.intercepts_, self.orders_, strict=True):
            total += _predict_chain(X, W, b, order, hard, self.thresholds_)
        return total / len(self.orders_)

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {
            "coefs": self.coefs_,
            "intercepts": self.intercepts_,
            "orders": self.orders_,
            "thresholds": self.thresholds_,
        }
        return {}, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.n_iter_ = 1
        self.coefs_ = np.asarray(arrays["coefs"])
        self.intercepts_ = np.asarray(arrays["intercepts"])
        self.orders_ = np.asarray(arrays["orders"], dtype=np.int64)
        self.thresholds_ = np.asarray(arrays["thresholds"])


ClassifierChain._expected_failed_checks = expected_failures()  # type: ignore[attr-defined]
EnsembleOfChains._expected_failed_checks = expected_failures()  # type: ignore[attr-defined]
