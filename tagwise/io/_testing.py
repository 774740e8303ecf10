"""Tiny models that implement the artifact protocol, for testing io, serving and export.

They are not in :data:`tagwise.io.MODEL_KINDS`: a test registers them (``monkeypatch.setitem``)
so that the allow-list of a real installation never contains them. Shipped inside the package so
that a subprocess (the SIGTERM test of the server) can import them too.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from tagwise.base import MultiLabelMixin, validate_fit_data
from tagwise.exceptions import DataFormatError

__all__ = ["TOY_KINDS", "ToyLinearTagger", "ToyTextTagger"]

TOY_KINDS = {
    "toy-linear": "tagwise.io._testing:ToyLinearTagger",
    "toy-text": "tagwise.io._testing:ToyTextTagger",
}


class ToyLinearTagger(MultiLabelMixin, BaseEstimator):
    """Ridge regression onto ±1 targets squashed by a sigmoid; ``delay`` seconds per predict call.

    Parameters
    ----------
    alpha : ridge penalty
    threshold : decision threshold for every label
    delay : seconds to sleep in each ``predict_proba`` call (simulates a slow model)
    """

    _artifact_kind = "toy-linear"

    def __init__(self, alpha: float = 1.0, threshold: float = 0.5, delay: float = 0.0) -> None:
        self.alpha = alpha
        self.threshold = threshold
        self.delay = delay

    def fit(self, X: Any, Y: Any) -> ToyLinearTagger:
        X, Y = validate_fit_data(self, X, Y)
        X = X.toarray() if hasattr(X, "toarray") else X
        Y = np.asarray(Y.todense() if hasattr(Y, "todense") else Y, dtype=np.float64)
        X64 = np.hstack([X.astype(np.float64), np.ones((X.shape[0], 1))])
        gram = X64.T @ X64 + self.alpha * np.eye(X64.shape[1])
        W = np.linalg.solve(gram, X64.T @ (2 * Y - 1))
        self.coef_ = W[:-1].T.astype(np.float32)  # (n_labels, n_features)
        self.intercept_ = W[-1].astype(np.float32)  # (n_labels,)
        self.thresholds_ = np.full(Y.shape[1], float(self.threshold))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Scores in [0, 1] of shape (n_samples, n_labels)."""
        X = self._check_predict_input(X)
        if self.delay:
            time.sleep(self.delay)
        logits = np.asarray(X @ self.coef_.T, dtype=np.float32) + self.intercept_
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))

    def _onnx_layers(self) -> list[tuple[Any, ...]]:
        return [("affine", self.coef_.T, self.intercept_)]

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"solver": "ridge"}, {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "thresholds": self.thresholds_,
        }

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.coef_ = arrays["coef"]
        self.intercept_ = arrays["intercept"]
        self.thresholds_ = arrays["thresholds"]


_TOKEN = re.compile(r"[a-z0-9]+")


class ToyTextTagger(MultiLabelMixin, BaseEstimator):
    """Bag of words over the ``n_words`` most frequent tokens, then a nested linear tagger.

    A composite: ``estimator`` (a template in the params) and ``estimator_`` (the fitted clone in
    the state) are both saved as nested artifacts; the vocabulary is a string array (npz).
    """

    _artifact_kind = "toy-text"
    _artifact_input = "text"

    def __init__(self, estimator: Any = None, n_words: int = 64) -> None:
        self.estimator = estimator
        self.n_words = n_words

    def _features(self, texts: Any) -> np.ndarray:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise DataFormatError("ToyTextTagger takes a list of strings.")
        index = {w: i for i, w in enumerate(self.vocab_)}
        X = np.zeros((len(texts), len(index)), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                if token in index:
                    X[row, index[token]] += 1.0
        return X / np.maximum(1.0, X.sum(axis=1, keepdims=True))

    def fit(self, texts: Any, Y: Any) -> ToyTextTagger:
        counts: dict[str, int] = {}
        for text in texts:
            for token in _TOKEN.findall(str(text).lower()):
                counts[token] = counts.get(token, 0) + 1
        ranked = sorted(counts, key=lambda w: (-counts[w], w))[: self.n_words]
        self.vocab_ = np.asarray(ranked, dtype=str)
        base = self.estimator if self.estimator is not None else ToyLinearTagger()
        self.estimator_ = clone(base).fit(self._features(list(texts)), Y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, texts: Any) -> np.ndarray:
        """Scores in [0, 1] of shape (n_texts, n_labels)."""
        return self.estimator_.predict_proba(self._features(list(texts)))

    def _decision_thresholds(self) -> np.ndarray:
        return self.estimator_._decision_thresholds()

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"estimator_": self.estimator_}, {"vocab": self.vocab_}

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.estimator_ = state["estimator_"]
        self.vocab_ = arrays["vocab"]
