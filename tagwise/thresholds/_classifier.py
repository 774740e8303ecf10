"""ThresholdedClassifier: any model with ``predict_proba`` plus a threshold strategy tuned on
held-out scores.

Tuning data, in order of preference:

* ``fit(X, Y, X_val=..., Y_val=...)``: the model is fitted on ``X, Y``, the strategy on its
  scores for the validation set;
* ``cv=k`` (default 5) or any splitter: out-of-fold scores from ``k`` clones fitted on iterative
  stratified folds tune the strategy, then the model is refitted on all of ``X, Y``;
* ``cv="prefit"``: ``estimator`` is already fitted and ``fit(X, Y)`` receives held-out data that
  only tunes the strategy.

The test data is never seen. Saved with :func:`tagwise.io.save_model` when the inner model is a
tagwise model: the inner model is stored as a nested artifact, the strategy as JSON + arrays.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from tagwise._validation import check_features, check_same_length, check_targets
from tagwise.base import MultiLabelMixin, ranked_labels, validate_fit_data
from tagwise.exceptions import ConfigError, DataFormatError, LabelWarning
from tagwise.metrics._core import check_scores
from tagwise.thresholds._strategies import ThresholdStrategy, make_strategy, strategy_from_state

__all__ = ["ThresholdedClassifier", "out_of_fold_scores", "predict_scores"]


def predict_scores(model: Any, X: Any) -> np.ndarray | None:
    """``model.predict_proba(X)`` as one (n_samples, n_labels) array; None without the method.

    scikit-learn's multi-output classifiers return a list of (n_samples, 2) arrays, one per
    label; the positive-class columns are stacked.
    """
    if not hasattr(model, "predict_proba"):
        return None
    P = model.predict_proba(X)
    if isinstance(P, list):
        P = np.column_stack([p[:, -1] if p.ndim == 2 else p for p in P])
    return np.asarray(P) if not sp.issparse(P) else P.toarray()


def _proba(model: Any, X: Any, n_labels: int) -> np.ndarray:
    P = predict_scores(model, X)
    if P is None:
        raise ConfigError(
            f"{type(model).__name__} has no predict_proba; ThresholdedClassifier needs scores."
        )
    return check_scores(P, (X.shape[0], n_labels), probabilities=True, name="predict_proba")


def out_of_fold_scores(
    estimator: Any, X: Any, Y: Any, *, cv: Any = 5, random_state: Any = None
) -> np.ndarray:
    """``predict_proba`` of every sample by a clone that did not see it, (n_samples, n_labels).

    ``cv`` is a number of folds (iterative stratified, shuffled) or a splitter.
    """
    from tagwise.model_selection._split import MultilabelStratifiedKFold

    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if cv > Y.shape[0]:  # said here, where folds serve threshold tuning, not by the splitter
            raise DataFormatError(
                f"thresholds are tuned on {cv}-fold out-of-fold scores, which needs at least "
                f"{cv} training samples; got {Y.shape[0]}. Lower cv, give X_val/Y_val, or use a "
                "fixed threshold (CLI: --set train.threshold_folds=2, or --thresholds fixed:0.5)."
            )
        cv = MultilabelStratifiedKFold(int(cv), shuffle=True, random_state=random_state)
    if isinstance(cv, str) or not hasattr(cv, "split"):
        raise ConfigError(f"cv must be a number of folds, a splitter or 'prefit', got {cv!r}.")
    if isinstance(X, (list, tuple)):  # raw texts: a 1-D object array, as cross_validate holds them
        X = np.asarray(X, dtype=object)
    scores = np.full(Y.shape, np.nan)
    for train, test in cv.split(X, Y):
        with warnings.catch_warnings():
            # a rare label missing from one fold's training part is not news: the stratified
            # splitter names the labels with fewer positives than folds once
            warnings.simplefilter("ignore", LabelWarning)
            model = clone(estimator).fit(X[train], Y[train])
        scores[test] = _proba(model, X[test], Y.shape[1])
    if np.isnan(scores).any():
        raise ConfigError("the splitter left some samples out of every test fold; use k-fold cv.")
    return scores


class ThresholdedClassifier(MultiLabelMixin, ClassifierMixin, BaseEstimator):
    """Wrap a probabilistic multi-label model and decide label sets with a tuned strategy.

    Parameters
    ----------
    estimator : estimator with ``fit(X, Y)`` and ``predict_proba(X) -> (n_samples, n_labels)``.
    strategy : str, dict or ThresholdStrategy, default "per_label"
        See :mod:`tagwise.thresholds` (``"fixed:0.5"``, ``"global"``, ``"per_label:5"``,
        ``"top_k:3"``, ``"cardinality"``, or ``{"name": "top_k", "k": 3}``).
    cv : int, splitter or "prefit", default 5
        Where the tuning scores come from when no validation set is given to ``fit``.
    at_least_one : bool, default False
        Give every sample at least its best label.
    random_state : int or None
        Seed of the default folds.

    Attributes
    ----------
    estimator_ : the fitted inner model.
    strategy_ : the fitted :class:`~tagwise.thresholds.ThresholdStrategy`.
    thresholds_ : per-label thresholds, shape (n_labels,), or None for ranking strategies.
    classes_, n_features_in_ : as every tagwise estimator.
    """

    _artifact_kind = "thresholded"

    def __init__(
        self,
        estimator: Any = None,
        *,
        strategy: Any = "per_label",
        cv: Any = 5,
        at_least_one: bool = False,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.strategy = strategy
        self.cv = cv
        self.at_least_one = at_least_one
        self.random_state = random_state

    def _make_strategy(self) -> ThresholdStrategy:
        strategy = make_strategy(self.strategy)
        if self.at_least_one:
            strategy.at_least_one = True
        return strategy

    def fit(self, X: Any, Y: Any, *, X_val: Any = None, Y_val: Any = None) -> ThresholdedClassifier:
        """Fit the model and tune the strategy on held-out scores (see the module docstring)."""
        if self.estimator is None:
            raise ConfigError("ThresholdedClassifier needs an estimator, e.g. LinearOneVsRest().")
        strategy = self._make_strategy()
        X, Y = validate_fit_data(self, X, Y)
        if (X_val is None) != (Y_val is None):
            raise ConfigError("give both X_val and Y_val, or neither.")
        if self.cv == "prefit":
            check_is_fitted(self.estimator)
            self.estimator_ = self.estimator
            tune_Y, tune_S = Y, _proba(self.estimator_, X, Y.shape[1])
        elif X_val is not None:
            X_val = check_features(X_val, name="X_val")
            tune_Y = check_targets(Y_val, name="Y_val")
            check_same_length(X_val, tune_Y)
            if tune_Y.shape[1] != Y.shape[1]:
                raise DataFormatError(
                    f"Y_val has {tune_Y.shape[1]} labels but Y has {Y.shape[1]}; they must match."
                )
            self.estimator_ = clone(self.estimator).fit(X, Y)
            tune_S = _proba(self.estimator_, X_val, Y.shape[1])
        elif not strategy.needs_scores:  # nothing to tune: no out-of-fold fits needed
            self.estimator_ = clone(self.estimator).fit(X, Y)
            tune_Y, tune_S = Y, _proba(self.estimator_, X, Y.shape[1])
        else:
            tune_S = out_of_fold_scores(
                self.estimator, X, Y, cv=self.cv, random_state=self.random_state
            )
            tune_Y = Y
            self.estimator_ = clone(self.estimator).fit(X, Y)
        self.strategy_ = strategy.fit(tune_Y, tune_S)
        self.thresholds_ = self.strategy_.thresholds
        history = getattr(self.estimator_, "history_", None)
        if history is not None:
            self.history_ = history
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Scores of the inner model, shape (n_samples, n_labels)."""
        check_is_fitted(self, "strategy_")
        return _proba(self.estimator_, X, len(self.classes_))

    def predict(self, X: Any) -> np.ndarray:
        """0/1 label matrix of shape (n_samples, n_labels) decided by the fitted strategy."""
        return self.strategy_.apply(self.predict_proba(X))

    def predict_labels(
        self, X: Any, *, threshold: float | None = None, top_k: int | None = None
    ) -> list[list[tuple[str, float]]]:
        """Label names with probabilities per sample; the strategy decides unless overridden."""
        if threshold is not None or top_k is not None:
            return super().predict_labels(X, threshold=threshold, top_k=top_k)
        proba = self.predict_proba(X)
        keep = self.strategy_.apply(proba).astype(bool)
        return ranked_labels(proba, keep, [str(c) for c in self.classes_])

    # -- artifact protocol (tagwise.io) ---------------------------------------------------------
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, arrays = self.strategy_.get_state()
        return {"estimator_": self.estimator_, "strategy": state}, {
            f"strategy.{k}": v for k, v in arrays.items()
        }

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, Any]) -> None:
        self.estimator_ = state["estimator_"]
        strategy_arrays = {
            k.split(".", 1)[1]: np.asarray(v.toarray() if sp.issparse(v) else v)
            for k, v in arrays.items()
            if k.startswith("strategy.")
        }
        self.strategy_ = strategy_from_state(state["strategy"], strategy_arrays)
        self.thresholds_ = self.strategy_.thresholds
