"""AutoClassifier: pick a sensible model from the data's shape, and say which and why.

The rules are general heuristics from the multi-label literature and from how the models scale,
not settings fitted to any benchmark:

* **sparse or very wide features** (text, bag of words: density < 10 % or > 2 000 features):
  a linear one-vs-rest model — linear models are the strong baseline on such data and the only
  family here whose cost grows with the non-zeros rather than the width;
* **many labels** (> 100): linear one-vs-rest as well — chains and powersets grow with the number
  of labels (and their combinations), neighbour methods with the training set;
* **dense, few labels, enough rows** (>= 300): the neural network, whose hidden layers learn
  feature interactions and shared label structure a linear model cannot;
* **dense, few labels, few rows**: a classifier chain over standardised features — it uses label
  dependencies at almost no cost in variance.

``choose_model`` gives the decision without fitting; ``AutoClassifier`` fits the choice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.base import validate_fit_data
from tagwise.models._common import MultiLabelClassifier, expected_failures
from tagwise.models._registry import make_model

__all__ = ["AutoClassifier", "choose_model"]


def choose_model(X: Any, Y: Any) -> tuple[str, dict[str, Any], str]:
    """The model for this data: ``(name for make_model, params, one-line reason)``."""
    n, d = X.shape
    L = Y.shape[1]
    density = (
        X.nnz / max(n * d, 1) if sp.issparse(X) else float(np.count_nonzero(X)) / max(X.size, 1)
    )
    shape = f"{n} samples, {d} features ({density:.0%} non-zero), {L} labels"
    if density < 0.1 or d > 2000:
        return "linear", {}, f"{shape}: sparse/wide features suit a linear one-vs-rest model"
    if L > 100:
        return "linear", {}, f"{shape}: with over 100 labels a linear one-vs-rest model scales best"
    if n >= 300:
        return "mlp", {}, f"{shape}: dense features, few labels, enough rows for a neural network"
    return "chain", {}, f"{shape}: few rows, so a regularised linear classifier chain"


class AutoClassifier(MultiLabelClassifier):
    """Chooses a model from the data's shape in ``fit`` (see :func:`choose_model`), then fits it.

    Parameters
    ----------
    threshold : float, default=0.5
        Passed to the chosen model.

    Attributes
    ----------
    chosen_ : str, the model name (for ``make_model``)
    reason_ : str, why it was chosen
    model_ : the fitted model
    """

    _artifact_kind = "auto"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def fit(self, X: Any, Y: Any) -> AutoClassifier:
        """Choose a model for (X, Y) and fit it."""
        Xv, Yv = validate_fit_data(self, X, Y)
        self.chosen_, params, self.reason_ = choose_model(Xv, Yv)
        self.model_ = make_model(self.chosen_, threshold=self.threshold, **params)
        self.model_.fit(X, Y)
        self.classes_ = self.model_.classes_
        self.thresholds_ = np.asarray(self.model_._decision_thresholds())
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """The chosen model's probabilities, shape (n_samples, n_labels)."""
        self._check_predict_input(X)
        return np.asarray(self.model_.predict_proba(X), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """The chosen model's 0/1 predictions, shape (n_samples, n_labels)."""
        self._check_predict_input(X)
        return np.asarray(self.model_.predict(X))

    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state = {"chosen": self.chosen_, "reason": self.reason_, "model": self.model_}
        return state, {"thresholds": np.asarray(self.thresholds_, dtype=np.float64)}

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.chosen_ = str(state["chosen"])
        self.reason_ = str(state["reason"])
        self.model_ = state["model"]
        self.thresholds_ = np.asarray(arrays["thresholds"])


AutoClassifier._expected_failed_checks = expected_failures()  # type: ignore[attr-defined]
