"""Shared estimator behaviour: targets in, label names out, scores to label sets."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from tagwise._validation import check_features, check_same_length, check_targets
from tagwise.data._labels import LabelSpace
from tagwise.exceptions import ConfigError, DataFormatError, LabelWarning, describe_labels

__all__ = [
    "MultiLabelMixin",
    "fitted_thresholds",
    "has_own_decisions",
    "ranked_labels",
    "validate_fit_data",
]


def _encode_targets(Y: Any) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray]:
    """Targets in any accepted form → (int64 indicator, label names)."""
    if hasattr(Y, "columns") and hasattr(Y, "to_numpy"):  # DataFrame: columns are the labels
        return check_targets(Y), np.asarray([str(c) for c in Y.columns], dtype=object)
    if (
        isinstance(Y, (list, tuple))
        and Y
        and all(
            isinstance(row, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in row)
            for row in Y
        )
        and any(len(row) for row in Y)
    ):  # lists of label names
        space = LabelSpace.from_label_lists(Y)
        return space.encode(Y), np.asarray(space.names, dtype=object)
    Y = check_targets(Y)
    return Y, np.arange(Y.shape[1])


def validate_fit_data(
    estimator: Any, X: Any, Y: Any, *, allow_sparse: bool = True
) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray | sp.csr_matrix]:
    """Check X and Y for ``fit``; set ``classes_`` and ``n_features_in_`` on ``estimator``.

    Labels without a single positive are allowed: a :class:`LabelWarning` names them, and the
    estimators never predict them.
    """
    if Y is None:
        raise DataFormatError("multi-label estimators need targets: call fit(X, Y).")
    X = check_features(X, allow_sparse=allow_sparse)
    Y, classes = _encode_targets(Y)
    check_same_length(X, Y)
    estimator.classes_ = classes
    estimator.n_features_in_ = X.shape[1]
    counts = np.asarray(Y.sum(axis=0)).ravel()
    if np.any(counts == 0):
        empty = np.flatnonzero(counts == 0)
        given = classes if classes.dtype == object else None  # names from a DataFrame or lists
        warnings.warn(
            f"{len(empty)} label(s) never occur in training "
            f"({describe_labels(empty, len(classes), names=given)}); "
            "they will never be predicted.",
            LabelWarning,
            stacklevel=3,
        )
    return X, Y


def fitted_thresholds(threshold: float, Y: Any) -> np.ndarray:
    """Per-label decision thresholds after fitting on 0/1 ``Y`` (n_samples, n_labels).

    ``threshold`` for every label that has a positive in ``Y``; infinity (never predicted) for a
    label without one, as the :class:`LabelWarning` of :func:`validate_fit_data` promises.
    """
    seen = np.asarray(Y.sum(axis=0)).ravel() > 0
    return np.where(seen, float(threshold), np.inf)


def ranked_labels(
    proba: np.ndarray, keep: np.ndarray, names: list[str]
) -> list[list[tuple[str, float]]]:
    """Per row of ``proba`` (n_samples, n_labels), the labels ``keep`` marks, with their scores,
    highest first."""
    out = []
    for row, mask in zip(proba, keep, strict=True):
        idx = np.flatnonzero(mask)
        idx = idx[np.argsort(-row[idx], kind="stable")]
        out.append([(names[j], float(row[j])) for j in idx])
    return out


def has_own_decisions(model: Any) -> bool:
    """Whether ``model.predict_labels`` decides by more than its thresholds (e.g. a
    ThresholdedClassifier's top-k or at-least-one strategy)."""
    return getattr(type(model), "predict_labels", None) is not MultiLabelMixin.predict_labels


class MultiLabelMixin:
    """Mixin for multi-label estimators that implement ``predict_proba`` (float array of shape
    (n_samples, n_labels), values in [0, 1]).

    ``predict`` thresholds the scores with ``thresholds_`` (set by the subclass in ``fit``,
    defaulting to the ``threshold`` parameter) and never returns a label unseen in training.
    """

    _estimator_type = "classifier"
    # Set by fit (validate_fit_data) and implemented by each estimator.
    classes_: np.ndarray
    n_features_in_: int
    predict_proba: Any

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.estimator_type = "classifier"
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags

    def _check_predict_input(self, X: Any, *, allow_sparse: bool = True) -> Any:
        check_is_fitted(self)
        X = check_features(X, allow_sparse=allow_sparse)
        if X.shape[1] != self.n_features_in_:
            raise DataFormatError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the number it was fitted with)."
            )
        return X

    def _decision_thresholds(self) -> np.ndarray:
        thresholds = getattr(self, "thresholds_", None)
        if thresholds is None:
            thresholds = np.full(len(self.classes_), float(getattr(self, "threshold", 0.5)))
        return np.asarray(thresholds, dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """0/1 label matrix of shape (n_samples, n_labels) from the fitted thresholds."""
        proba = self.predict_proba(X)
        return (proba >= self._decision_thresholds()).astype(np.int64)

    def predict_labels(
        self, X: Any, *, threshold: float | None = None, top_k: int | None = None
    ) -> list[list[tuple[str, float]]]:
        """Label names with their probabilities for every sample, highest first.

        By default the fitted thresholds decide; ``threshold`` overrides them and ``top_k``
        returns the k highest-scoring labels regardless of threshold.
        """
        proba = self.predict_proba(X)
        names = [str(c) for c in self.classes_]
        if top_k is not None:
            if not 1 <= top_k <= len(names):
                raise ConfigError(f"top_k must be between 1 and {len(names)}, got {top_k}.")
            keep = np.zeros_like(proba, dtype=bool)
            np.put_along_axis(keep, np.argsort(-proba, axis=1)[:, :top_k], True, axis=1)
        else:
            cut = self._decision_thresholds() if threshold is None else float(threshold)
            keep = proba >= cut
        return ranked_labels(proba, keep, names)
