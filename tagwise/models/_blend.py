"""BlendClassifier: a weighted average of several models' probabilities.

Averaging the scores of models with different inductive biases (a linear model and a neural
network, say) reduces the variance of the ranking: where the members' errors are not perfectly
correlated, the average orders labels better than either alone — the classic argument for
model averaging (Breiman 1996, "Bagging predictors"; Dietterich 2000, "Ensemble methods in
machine learning"). The blend is a plain average of ``predict_proba`` outputs, so its
out-of-fold output equals the average of the members' out-of-fold outputs, and it can be chosen
by cross-validation like any other model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone

from tagwise.base import fitted_thresholds, validate_fit_data
from tagwise.exceptions import ConfigError
from tagwise.models._common import MultiLabelClassifier, expected_failures

__all__ = ["BlendClassifier"]


class BlendClassifier(MultiLabelClassifier):
    """Weighted average of the probabilities of several multi-label models.

    Parameters
    ----------
    estimators : list of estimators
        Unfitted multi-label models with ``predict_proba`` returning (n_samples, n_labels);
        each is cloned and fitted on the same data.
    weights : list of float or None, default=None
        One non-negative weight per estimator (normalised to sum 1); None means equal weights.
    threshold : float, default=0.5
        Decision threshold on the averaged probabilities for ``predict``.

    Attributes
    ----------
    estimators_ : list of the fitted members
    weights_ : ndarray of shape (n_estimators,), the normalised weights
    """

    _artifact_kind = "blend"

    def __init__(
        self,
        estimators: list[Any] | None = None,
        weights: list[float] | None = None,
        threshold: float = 0.5,
    ) -> None:
        self.estimators = estimators
        self.weights = weights
        self.threshold = threshold

    def _check_params(self) -> np.ndarray:
        members = list(self.estimators or [])
        if not members:
            raise ConfigError(
                "BlendClassifier needs at least one estimator; pass estimators=[model, ...]."
            )
        for m in members:
            if not hasattr(m, "predict_proba"):
                raise ConfigError(
                    f"estimator {type(m).__name__} has no predict_proba; a blend averages "
                    "probabilities, so use a model that has one."
                )
        if self.weights is None:
            w = np.ones(len(members))
        else:
            w = np.asarray(self.weights, dtype=np.float64).ravel()
            if (
                w.shape != (len(members),)
                or not np.all(np.isfinite(w))
                or np.any(w < 0)
                or w.sum() <= 0
            ):
                raise ConfigError(
                    f"weights={self.weights!r} must be {len(members)} non-negative finite numbers "
                    "(one per estimator) with a positive sum."
                )
        return w / w.sum()

    def fit(self, X: Any, Y: Any) -> BlendClassifier:
        """Fit a clone of every member on X (n_samples, n_features), Y (n_samples, n_labels)."""
        weights = self._check_params()
        _, Yd = validate_fit_data(self, X, Y)
        self.estimators_ = [clone(m).fit(X, Y) for m in self.estimators or []]
        self.weights_ = weights
        # a label without positives is never predicted, as by every other model
        self.thresholds_ = fitted_thresholds(self.threshold, Yd)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Weighted mean of the members' probabilities, shape (n_samples, n_labels)."""
        self._check_predict_input(X)
        P = np.zeros((X.shape[0], len(self.classes_)))
        for w, m in zip(self.weights_, self.estimators_):
            P += w * np.asarray(m.predict_proba(X), dtype=np.float64)
        return P

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state = {"members": list(self.estimators_)}
        arrays = {
            "weights": np.asarray(self.weights_, dtype=np.float64),
            "thresholds": np.asarray(self.thresholds_, dtype=np.float64),
        }
        return state, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.estimators_ = list(state["members"])
        self.weights_ = np.asarray(arrays["weights"])
        self.thresholds_ = np.asarray(arrays["thresholds"])


BlendClassifier._expected_failed_checks = expected_failures()  # type: ignore[attr-defined]
