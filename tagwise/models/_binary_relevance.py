"""BinaryRelevance: one clone of any scikit-learn classifier per label, fitted in parallel."""

from __future__ import annotations

from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone

from tagwise.base import fitted_thresholds, validate_fit_data
from tagwise.exceptions import ConfigError, ModelFormatError
from tagwise.models._common import (
    MultiLabelClassifier,
    check_number,
    dense_targets,
    expected_failures,
    to_float64,
)

__all__ = ["BinaryRelevance"]


def _default_estimator() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _fit_one(estimator: Any, X: Any, y: np.ndarray) -> Any:
    if y.min() == y.max():  # a constant label: nothing to learn, remember the constant
        return float(y[0])
    return clone(estimator).fit(X, y)


def _positive_proba(model: Any, X: Any) -> np.ndarray:
    if isinstance(model, float):
        return np.full(X.shape[0], model)
    if not hasattr(model, "predict_proba"):  # a margin classifier (LinearSVC): squash its score
        margin = np.asarray(model.decision_function(X), dtype=np.float64)
        sign = 1.0 if model.classes_[1] == 1 else -1.0  # decision_function scores classes_[1]
        return 1.0 / (1.0 + np.exp(-np.clip(sign * margin, -30.0, 30.0)))
    proba = np.asarray(model.predict_proba(X))
    column = int(np.flatnonzero(np.asarray(model.classes_) == 1)[0])
    return proba[:, column]


class BinaryRelevance(MultiLabelClassifier):
    """Binary relevance over any scikit-learn classifier with ``predict_proba`` or a margin.

    Every label gets its own clone of ``estimator`` (a random forest, gradient boosting, an SVC
    with ``probability=True``, …), fitted in parallel with joblib. For linear models prefer
    :class:`~tagwise.models.LinearOneVsRest`: the same model, all labels solved at once.

    Parameters
    ----------
    estimator : scikit-learn classifier, default=LogisticRegression(max_iter=1000)
        Must implement ``predict_proba``, or ``decision_function`` (a margin classifier such as
        ``LinearSVC``): its scores are then ``sigmoid(margin)`` — monotone in the margin, with
        0.5 at the decision boundary, but not calibrated probabilities; tune thresholds on them
        (:class:`~tagwise.thresholds.ThresholdedClassifier`) rather than reading them as odds.
    n_jobs : int or None, default=None
        Labels fitted in parallel (joblib semantics: -1 uses every core).
    threshold : float, default=0.5

    Attributes
    ----------
    estimators_ : list of length n_labels
        The fitted clones; a label constant in training holds its constant (0.0 or 1.0).

    Notes
    -----
    **Saving.** An arbitrary scikit-learn estimator can only be serialised with pickle, which
    tagwise never writes or loads (loading a pickle runs code from the file). ``save_model``
    therefore raises :class:`~tagwise.exceptions.ModelFormatError` for this model; use
    ``LinearOneVsRest`` (or the MLP) for a model you need to save.
    """

    _artifact_kind = "br"

    def __init__(self, estimator: Any = None, n_jobs: int | None = None, threshold: float = 0.5):
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.threshold = threshold

    def _base(self) -> Any:
        base = _default_estimator() if self.estimator is None else self.estimator
        if not hasattr(base, "fit"):
            raise ConfigError(f"estimator must be a scikit-learn classifier, got {base!r}.")
        fresh = clone(base)
        if not (hasattr(fresh, "predict_proba") or hasattr(fresh, "decision_function")):
            raise ConfigError(
                f"{type(base).__name__} has neither predict_proba nor decision_function, one of "
                "which BinaryRelevance needs for its (n_samples, n_labels) scores; use a "
                "classifier with predict_proba (e.g. RandomForestClassifier) or a margin "
                "classifier (e.g. LinearSVC)."
            )
        return base

    def fit(self, X: Any, Y: Any) -> BinaryRelevance:
        """Fit one clone per label column of Y (n_samples, n_labels)."""
        check_number("threshold", self.threshold, low=0.0, high=1.0)
        base = self._base()
        X, Y = validate_fit_data(self, X, Y)
        X = to_float64(X)  # scikit-learn estimators compute in float64
        Yd = dense_targets(Y).astype(np.int64)
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_one)(base, X, Yd[:, j]) for j in range(Yd.shape[1])
        )
        self.thresholds_ = fitted_thresholds(self.threshold, Yd)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """P(label) per sample, shape (n_samples, n_labels)."""
        X = to_float64(self._check_predict_input(X))
        columns = Parallel(n_jobs=self.n_jobs)(
            delayed(_positive_proba)(m, X) for m in self.estimators_
        )
        return np.column_stack(columns).astype(np.float64)

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise ModelFormatError(
            "BinaryRelevance wraps an arbitrary scikit-learn estimator, which cannot be saved "
            "without pickle (tagwise never pickles); save a LinearOneVsRest or MLPClassifier "
            "instead, or keep this model in memory."
        )

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        raise ModelFormatError("BinaryRelevance models cannot be loaded (they are never saved).")


BinaryRelevance._expected_failed_checks = expected_failures()  # type: ignore[attr-defined]
