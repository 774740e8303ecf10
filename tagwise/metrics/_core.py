"""The core set metrics and the default scoring table used by cross-validation.

Inputs are 0/1 indicator matrices of shape (n_samples, n_labels), dense or CSR; scores are
floats of the same shape. Where scikit-learn has the metric we call it (it is the reference);
F1 with no positives in truth and prediction is defined as 1 for that sample/label (``zero_division=1``
would hide failures on the macro average, so we use 0 there, matching scikit-learn's default).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn import metrics as skm

from tagwise._validation import check_targets
from tagwise.exceptions import DataFormatError

__all__ = [
    "DEFAULT_METRICS",
    "example_f1",
    "hamming_loss",
    "label_ranking_average_precision",
    "macro_f1",
    "micro_f1",
    "per_label_f1",
    "score_all",
    "subset_accuracy",
]


def _pair(Y_true: Any, Y_pred: Any) -> tuple[Any, Any]:
    Y_true = check_targets(Y_true, name="Y_true")
    Y_pred = check_targets(Y_pred, name="Y_pred")
    if Y_true.shape != Y_pred.shape:
        raise DataFormatError(
            f"Y_true has shape {Y_true.shape} but Y_pred has shape {Y_pred.shape}; they must match."
        )
    return Y_true, Y_pred


def subset_accuracy(Y_true: Any, Y_pred: Any) -> float:
    """Fraction of samples whose predicted label set equals the true set exactly."""
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    return float(skm.accuracy_score(Y_true, Y_pred))


def hamming_loss(Y_true: Any, Y_pred: Any) -> float:
    """Fraction of (sample, label) cells predicted wrongly."""
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    return float(skm.hamming_loss(Y_true, Y_pred))


def micro_f1(Y_true: Any, Y_pred: Any) -> float:
    """F1 over all (sample, label) cells pooled."""
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    return float(skm.f1_score(Y_true, Y_pred, average="micro", zero_division=0))


def macro_f1(Y_true: Any, Y_pred: Any) -> float:
    """Unweighted mean of per-label F1 (a label with no positives anywhere scores 0)."""
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    return float(skm.f1_score(Y_true, Y_pred, average="macro", zero_division=0))


def example_f1(Y_true: Any, Y_pred: Any) -> float:
    """Mean over samples of the F1 between true and predicted label sets (empty vs empty = 1)."""
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    return float(skm.f1_score(Y_true, Y_pred, average="samples", zero_division=1))


def per_label_f1(Y_true: Any, Y_pred: Any) -> np.ndarray:
    """F1 of each label, shape (n_labels,)."""
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    return np.asarray(skm.f1_score(Y_true, Y_pred, average=None, zero_division=0), dtype=float)


def label_ranking_average_precision(Y_true: Any, Y_score: Any) -> float:
    """LRAP: for each true label, the fraction of higher-ranked labels that are true."""
    Y_true = check_targets(Y_true, name="Y_true")
    Y_score = np.asarray(Y_score.toarray() if sp.issparse(Y_score) else Y_score, dtype=float)
    if Y_true.shape != Y_score.shape:
        raise DataFormatError(
            f"Y_true has shape {Y_true.shape} but Y_score has shape {Y_score.shape}; they must match."
        )
    return float(skm.label_ranking_average_precision_score(Y_true, Y_score))


# name → (function, needs scores, higher is better)
DEFAULT_METRICS: dict[str, tuple[Any, bool, bool]] = {
    "subset_accuracy": (subset_accuracy, False, True),
    "hamming_loss": (hamming_loss, False, False),
    "micro_f1": (micro_f1, False, True),
    "macro_f1": (macro_f1, False, True),
    "example_f1": (example_f1, False, True),
    "lrap": (label_ranking_average_precision, True, True),
}


def score_all(
    Y_true: Any, Y_pred: Any, Y_score: Any | None = None, metrics: dict[str, Any] | None = None
) -> dict[str, float]:
    """Every metric of ``metrics`` (default :data:`DEFAULT_METRICS`) as ``{name: value}``.

    Score-based metrics are skipped when ``Y_score`` is None.
    """
    out: dict[str, float] = {}
    for name, (fn, needs_scores, _) in (metrics or DEFAULT_METRICS).items():
        if needs_scores:
            if Y_score is not None:
                out[name] = fn(Y_true, Y_score)
        else:
            out[name] = fn(Y_true, Y_pred)
    return out
