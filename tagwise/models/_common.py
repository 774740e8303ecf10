"""Helpers shared by the classic models: parameter checks, label weights, sklearn-check notes."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin

from tagwise.base import MultiLabelMixin
from tagwise.exceptions import ConfigError, did_you_mean

__all__ = [
    "MULTILABEL_EXPECTED_FAILURES",
    "MultiLabelClassifier",
    "check_choice",
    "check_number",
    "dense_targets",
    "expected_failures",
    "label_weights",
    "to_float64",
]

# scikit-learn's common checks are written for single-output classifiers. With the tags of
# MultiLabelClassifier most of them build a 0/1 target of one label column and pass; the ones
# below cannot pass for a multi-label-only estimator with tagwise's own validation messages.
_ONE_D = "passes a 1-D class vector; tagwise needs a 2-D 0/1 label matrix and says so"
_NOT_01 = "passes targets with values other than 0/1, which tagwise rejects with a DataFormatError"
_SHAPE = "expects predict to return shape (n_samples,); tagwise returns (n_samples, n_labels)"
_MESSAGE = "expects scikit-learn's wording of the error; tagwise words it its own way"
MULTILABEL_EXPECTED_FAILURES: dict[str, str] = {
    "check_classifiers_one_label": _ONE_D,
    "check_classifiers_classes": _ONE_D,
    "check_class_weight_classifiers": _ONE_D,
    "check_decision_proba_consistency": _ONE_D,
    "check_classifiers_train": _SHAPE,
    "check_estimator_sparse_array": _SHAPE,
    "check_estimator_sparse_matrix": _SHAPE,
    "check_estimators_dtypes": _NOT_01,
    "check_classifier_data_not_an_array": _NOT_01,
    "check_fit2d_1feature": _NOT_01,
    "check_classifiers_regression_target": _NOT_01 + " (" + _MESSAGE + ")",
    "check_classifier_not_supporting_multiclass": _NOT_01 + " (" + _MESSAGE + ")",
    "check_dtype_object": _MESSAGE,
    "check_requires_y_none": _MESSAGE,
}


def expected_failures(*passing: str) -> dict[str, str]:
    """:data:`MULTILABEL_EXPECTED_FAILURES` without the checks that a given model passes.

    ``check_decision_proba_consistency`` only tests models with ``decision_function``; the
    others pass it, so it is left out here (LinearOneVsRest, which has one, keeps the full list).
    """
    passing = (*passing, "check_decision_proba_consistency")
    return {k: v for k, v in MULTILABEL_EXPECTED_FAILURES.items() if k not in passing}


class MultiLabelClassifier(MultiLabelMixin, ClassifierMixin, BaseEstimator):
    """Base of the classic models: the multi-label mixin plus scikit-learn's classifier tags.

    ``multi_class = False`` tells scikit-learn's common checks to build 0/1 targets (each label
    is a binary problem); they reshape them to one label column because the estimator is
    multi-output only.
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        return tags


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``; else ConfigError with a did-you-mean."""
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(
            f"{name}={value!r} is not valid.{did_you_mean(str(value), choices)} "
            f"Choose one of: {', '.join(choices)}."
        )
    return value


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    integer: bool = False,
) -> Any:
    """Check that ``value`` is a (real or integer) number within [low, high] (or (low, high])."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not np.isfinite(float(value)):
        what = "an integer" if integer else "a finite number"
        raise ConfigError(f"{name} must be {what}, got {value!r}.")
    v = float(value)
    too_low = low is not None and (v <= low if low_open else v < low)
    if too_low or (high is not None and v > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        bracket = "(" if low_open else "["
        raise ConfigError(f"{name} must be in {bracket}{lo}, {hi}], got {value!r}.")
    return value


def to_float64(X: Any) -> Any:
    """float64 CSR or C-contiguous dense copy for the solvers (BLAS / sparse kernels)."""
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float64)
    return np.ascontiguousarray(X, dtype=np.float64)


def dense_targets(Y: Any) -> np.ndarray:
    """A boolean dense copy of an indicator matrix (dense or CSR)."""
    return np.asarray(Y.toarray() if sp.issparse(Y) else Y, dtype=bool)


def label_weights(Y: np.ndarray, class_weight: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-label weights of positive and negative examples from ``class_weight``.

    ``None``: all 1. ``"balanced"``: as scikit-learn, ``n / (2 * n_class)`` per label, so the
    positives and negatives of every label weigh the same in total. A number or an array of
    shape (n_labels,): the weight of positives (negatives keep weight 1).
    """
    n, L = Y.shape
    if class_weight is None:
        return np.ones(L), np.ones(L)
    if isinstance(class_weight, str):
        check_choice("class_weight", class_weight, ("balanced",))
        pos = Y.sum(axis=0).astype(np.float64)
        neg = n - pos
        return n / (2.0 * np.maximum(pos, 1.0)), n / (2.0 * np.maximum(neg, 1.0))
    weights = np.asarray(class_weight, dtype=np.float64) if not np.isscalar(class_weight) else None
    if weights is None:
        check_number("class_weight", class_weight, low=0.0, low_open=True)
        return np.full(L, float(class_weight)), np.ones(L)
    if weights.shape != (L,) or not np.all(np.isfinite(weights)) or np.any(weights <= 0):
        raise ConfigError(
            f"class_weight must be None, 'balanced', a positive number or {L} positive numbers "
            f"(one per label); got an array of shape {weights.shape}."
        )
    return weights, np.ones(L)
