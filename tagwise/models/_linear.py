"""LinearOneVsRest: one linear model per label, all labels trained in one vectorised solve."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.base import fitted_thresholds, validate_fit_data
from tagwise.exceptions import ConfigError
from tagwise.models._common import (
    MULTILABEL_EXPECTED_FAILURES,
    MultiLabelClassifier,
    check_choice,
    check_number,
    dense_targets,
    label_weights,
    to_float64,
)
from tagwise.models._linear_newton import fit_logistic_l2
from tagwise.models._linear_solver import fit_columns, sigmoid

__all__ = ["LinearOneVsRest", "fit_linear_block", "standardizer"]

# a label never seen positive (or never negative) in training gets this constant logit
_CONSTANT_LOGIT = 30.0


def standardizer(X: Any, standardize: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean and scale of the columns of dense ``X`` when standardising applies, else None.

    ``"auto"`` standardises dense input (features on very different scales slow the solver and
    make one ``C`` fit some features and not others) and leaves sparse input alone (centering
    would densify it; bag-of-words / TF-IDF columns are already on a common scale).
    """
    if standardize is False or (standardize == "auto" and sp.issparse(X)):
        return None
    if sp.issparse(X):  # explicit standardize=True on sparse: scale only, never densify
        sq = np.asarray(X.multiply(X).mean(axis=0)).ravel()
        mean = np.zeros(X.shape[1])
        scale = np.sqrt(np.maximum(sq, 0.0))
    else:
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    return mean, scale


def fit_linear_block(
    X: Any,
    Y: np.ndarray,
    *,
    C: float,
    loss: str,
    penalty: str,
    class_weight: Any,
    standardize: Any,
    tol: float,
    max_iter: int,
    mask: np.ndarray | None = None,
    intercept_penalty: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Weights (n_features, n_labels) and intercepts (n_labels,) in the units of ``X``.

    Standardisation is folded back into the weights, so prediction is ``X @ W + b`` on raw
    features. Labels that are constant in training get zero weights and a +-30 intercept.
    Logistic loss with the L2 penalty, no mask and no more features than samples runs the
    torch solver (``_linear_newton``); everything else the numpy one (``_linear_solver``).
    """
    X = to_float64(X)
    Yb = dense_targets(Y)
    counts = Yb.sum(axis=0)
    varying = (counts > 0) & (counts < Yb.shape[0])
    W = np.zeros((X.shape[1], Yb.shape[1]))
    b = np.where(counts > 0, _CONSTANT_LOGIT, -_CONSTANT_LOGIT)
    n_iter = 0
    if varying.any():
        stats = standardizer(X, standardize)
        Xs = X
        if stats is not None:
            mean, scale = stats
            Xs = X.multiply(1.0 / scale).tocsr() if sp.issparse(X) else (X - mean) / scale
        pos, neg = label_weights(Yb, class_weight)
        # the torch solver's work is in (n, L) arrays; with more features than samples its
        # (d, L) conjugate-gradient vectors dominate instead and the numpy solver, whose
        # Hessian products use a sample of rows, is faster (Reuters TF-IDF, 234 689 features
        # x 7 770 rows: torch solver still running after 8 min)
        if loss == "logistic" and penalty == "l2" and mask is None and Xs.shape[1] <= Xs.shape[0]:
            Wv, bv, n_iter = _fit_logistic(
                Xs, Yb[:, varying], C, pos[varying], neg[varying], intercept_penalty, tol, max_iter
            )
        else:
            Wv, bv, n_iter = fit_columns(
                Xs,
                Yb[:, varying],
                C=C,
                loss=loss,
                penalty=penalty,
                pos_weight=pos[varying],
                neg_weight=neg[varying],
                mask=None if mask is None else mask[:, varying],
                tol=tol,
                max_iter=max_iter,
                intercept_penalty=intercept_penalty,
            )
        if stats is not None:
            Wv = Wv / scale[:, None]
            bv = bv - mean @ Wv
        W[:, varying], b[varying] = Wv, bv
    return W, b, n_iter


def _fit_logistic(
    X: Any,
    Y: np.ndarray,
    C: float,
    pos: np.ndarray,
    neg: np.ndarray,
    intercept_penalty: float,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """The torch Newton-CG solve, started at the weighted log-odds of every label."""
    Yb = np.asarray(Y, dtype=bool)
    wpos = C * pos * Yb.sum(axis=0)
    wneg = C * neg * (~Yb).sum(axis=0)
    unweighted = bool(np.all(pos == 1.0) and np.all(neg == 1.0))
    n_cells = Y.shape[0] * Y.shape[1]
    return fit_logistic_l2(
        X,
        Yb,
        C=C,
        pos_weight=None if unweighted else pos,
        neg_weight=None if unweighted else neg,
        intercept_penalty=intercept_penalty,
        tol=tol,
        max_iter=max_iter,
        init_intercept=np.log((wpos + 0.5) / (wneg + 0.5)),
        # float64 keeps small problems in exact agreement with reference solvers; float32
        # from a million cells halves the memory traffic (solution accurate to ~1e-6)
        dtype=np.float32 if n_cells >= 1_000_000 else np.float64,
    )


class LinearOneVsRest(MultiLabelClassifier):
    """One linear classifier per label (binary relevance), all labels solved together.

    Every label gets its own L2- (or L1-) regularised logistic-regression or squared-hinge
    (L2-loss linear SVM) model, as ``OneVsRestClassifier(LogisticRegression())`` would fit — but
    in one vectorised truncated-Newton solve over all labels (see ``_linear_solver``), with dense
    or sparse X, instead of one solver call per label.

    Parameters
    ----------
    loss : {"logistic", "squared_hinge"}, default="logistic"
        ``"squared_hinge"`` gives SVM-style scores; ``predict_proba`` then returns
        ``sigmoid(score)``, a monotone score in [0, 1] rather than a calibrated probability.
    penalty : {"l2", "l1"}, default="l2"
        ``"l1"`` gives sparse weights (solved by FISTA, slower).
    C : float, default=1.0
        Inverse regularisation strength, as in scikit-learn and liblinear.
    class_weight : None, "balanced", float or array of shape (n_labels,), default=None
        Weight of positive examples per label; ``"balanced"`` weighs positives and negatives of
        each label equally in total (good for rare labels and F1-type metrics).
    standardize : {"auto", True, False}, default="auto"
        Standardise features before solving (folded back into the weights). ``"auto"``: dense
        input only.
    threshold : float, default=0.5
        Probability at or above which ``predict`` assigns a label.
    tol : float, default=1e-2
        Stop a label when its gradient norm has fallen by this factor (liblinear's default
        stopping rule for the primal problem).
    max_iter : int, default=50
        Newton iterations (L2) per label; ten times that many proximal steps for L1.
    intercept_penalty : float, default=0.0
        Weight of ``0.5 * b**2`` (b: a label's intercept) in the objective. 0: the intercept is
        not regularised (as scikit-learn's default ``LogisticRegression``); 1: liblinear's
        model (``LogisticRegression(solver="liblinear")``, ``intercept_scaling=1``, which
        regularises the intercept like any weight and so pulls rare labels' intercepts towards
        0). With ``standardize`` on, it applies to the standardised problem. L2 penalty only.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_labels)
    intercept_ : ndarray of shape (n_labels,)
    thresholds_ : ndarray of shape (n_labels,)
    classes_ : ndarray of shape (n_labels,), the label names
    n_iter_ : int, Newton iterations the slowest label needed
    """

    _artifact_kind = "linear"

    def __init__(
        self,
        loss: str = "logistic",
        penalty: str = "l2",
        C: float = 1.0,
        class_weight: Any = None,
        standardize: Any = "auto",
        threshold: float = 0.5,
        tol: float = 1e-2,
        max_iter: int = 50,
        intercept_penalty: float = 0.0,
    ) -> None:
        self.loss = loss
        self.penalty = penalty
        self.C = C
        self.class_weight = class_weight
        self.standardize = standardize
        self.threshold = threshold
        self.tol = tol
        self.max_iter = max_iter
        self.intercept_penalty = intercept_penalty

    def _check_params(self) -> None:
        check_choice("loss", self.loss, ("logistic", "squared_hinge"))
        check_choice("penalty", self.penalty, ("l2", "l1"))
        check_number("C", self.C, low=0.0, low_open=True)
        check_number("threshold", self.threshold, low=0.0, high=1.0)
        check_number("tol", self.tol, low=0.0, low_open=True)
        check_number("max_iter", self.max_iter, low=1, integer=True)
        check_number("intercept_penalty", self.intercept_penalty, low=0.0)
        if self.intercept_penalty and self.penalty != "l2":
            raise ConfigError("intercept_penalty needs penalty='l2'; set it to 0 with 'l1'.")
        if self.standardize not in ("auto", True, False):
            check_choice("standardize", self.standardize, ("auto", "True", "False"))

    def fit(self, X: Any, Y: Any) -> LinearOneVsRest:
        """Fit on X of shape (n_samples, n_features) and Y of shape (n_samples, n_labels)."""
        self._check_params()
        X, Y = validate_fit_data(self, X, Y)
        self.coef_, self.intercept_, self.n_iter_ = fit_linear_block(
            X,
            Y,
            C=float(self.C),
            loss=self.loss,
            penalty=self.penalty,
            class_weight=self.class_weight,
            standardize=self.standardize,
            tol=float(self.tol),
            max_iter=int(self.max_iter),
            intercept_penalty=float(self.intercept_penalty),
        )
        self.thresholds_ = fitted_thresholds(self.threshold, Y)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Linear scores ``X @ coef_ + intercept_`` of shape (n_samples, n_labels)."""
        X = self._check_predict_input(X)
        return np.asarray(to_float64(X) @ self.coef_) + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Label probabilities of shape (n_samples, n_labels)."""
        return sigmoid(self.decision_function(X))

    # -- persistence: arrays only -------------------------------------------------------------
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {"coef": self.coef_, "intercept": self.intercept_, "thresholds": self.thresholds_}
        return {"n_iter": int(self.n_iter_)}, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.coef_ = np.asarray(arrays["coef"], dtype=np.float64)
        self.intercept_ = np.asarray(arrays["intercept"], dtype=np.float64)
        self.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
        self.n_iter_ = int(state.get("n_iter", 0))


LinearOneVsRest._expected_failed_checks = MULTILABEL_EXPECTED_FAILURES  # type: ignore[attr-defined]
