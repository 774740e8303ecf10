"""Set metrics (example-based and label-based) and the default scoring table of cross-validation.

Inputs are 0/1 indicator matrices of shape (n_samples, n_labels), dense or CSR; scores are floats
of the same shape. Where scikit-learn has the metric we call it (it is the reference).

Defined behaviour on empty sets (Zhang & Zhou, "A Review on Multi-Label Learning Algorithms",
TKDE 2014, give the definitions; the empty cases are ours, documented here):

* example-based (``average="samples"``): a sample with no true and no predicted label scores 1 on
  every measure; an empty prediction for a non-empty truth scores 0 on precision (scikit-learn's
  ``zero_division=1`` would give it 1 and hide the miss);
* label-based (``micro``/``macro``/``weighted``): a label with no true and no predicted positive
  scores ``zero_division`` (0 by default, scikit-learn's choice), so the macro average counts it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn import metrics as skm

from tagwise._validation import check_targets
from tagwise.exceptions import ConfigError, DataFormatError

__all__ = [
    "DEFAULT_METRICS",
    "check_scores",
    "example_f1",
    "f1_score",
    "hamming_loss",
    "jaccard_score",
    "label_ranking_average_precision",
    "macro_f1",
    "micro_f1",
    "per_label_f1",
    "precision_score",
    "recall_score",
    "score_all",
    "subset_accuracy",
    "weighted_f1",
]

AVERAGES = ("samples", "micro", "macro", "weighted", None)


def _pair(Y_true: Any, Y_pred: Any) -> tuple[Any, Any]:
    Y_true = check_targets(Y_true, name="Y_true")
    Y_pred = check_targets(Y_pred, name="Y_pred")
    if Y_true.shape != Y_pred.shape:
        raise DataFormatError(
            f"Y_true has shape {Y_true.shape} but Y_pred has shape {Y_pred.shape}; they must match."
        )
    return Y_true, Y_pred


def check_scores(
    Y_score: Any,
    shape: tuple[int, int] | None = None,
    *,
    probabilities: bool = False,
    name: str = "Y_score",
    allow_sparse: bool = False,
) -> Any:
    """Validate a score matrix of shape (n_samples, n_labels); return float64 dense (or CSR).

    ``probabilities=True`` also requires every value in [0, 1] (what thresholds act on).
    """
    if sp.issparse(Y_score):
        Y_score = sp.csr_matrix(Y_score, dtype=np.float64)
        if not allow_sparse:
            Y_score = Y_score.toarray()
    else:
        try:
            Y_score = np.asarray(Y_score, dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise DataFormatError(f"{name} is not a numeric matrix: {exc}") from None
        if Y_score.ndim != 2:
            raise DataFormatError(
                f"{name} must be 2-D (n_samples, n_labels), got shape {Y_score.shape}."
            )
    if shape is not None and Y_score.shape != tuple(shape):
        raise DataFormatError(
            f"Y_true has shape {tuple(shape)} but {name} has shape {Y_score.shape}; "
            "they must match."
        )
    values = Y_score.data if sp.issparse(Y_score) else Y_score
    if values.size and not np.isfinite(values).all():
        raise DataFormatError(f"{name} contains NaN or infinity; scores must be finite.")
    if probabilities and values.size and (values.min() < 0 or values.max() > 1):
        bad = values.min() if values.min() < 0 else values.max()
        raise DataFormatError(
            f"{name} must hold probabilities in [0, 1]; found {bad:.6g}. Pass predict_proba "
            "output, or squash decision scores with a sigmoid first."
        )
    return Y_score


def _check_average(average: Any) -> None:
    if average not in AVERAGES:
        raise ConfigError(
            f"average must be one of 'samples', 'micro', 'macro', 'weighted' or None, "
            f"got {average!r}."
        )


def _row_counts(Y_true: Any, Y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sample: |Y ∩ Z|, |Y|, |Z| as float arrays of shape (n_samples,)."""
    if sp.issparse(Y_true) or sp.issparse(Y_pred):
        A, B = sp.csr_matrix(Y_true), sp.csr_matrix(Y_pred)
        inter = np.asarray(A.multiply(B).sum(axis=1)).ravel()
        t, p = np.asarray(A.sum(axis=1)).ravel(), np.asarray(B.sum(axis=1)).ravel()
    else:
        inter = np.sum(Y_true & Y_pred, axis=1)
        t, p = Y_true.sum(axis=1), Y_pred.sum(axis=1)
    return inter.astype(float), t.astype(float), p.astype(float)


def _example_based(Y_true: Any, Y_pred: Any, what: str) -> float:
    inter, t, p = _row_counts(Y_true, Y_pred)
    with np.errstate(divide="ignore", invalid="ignore"):
        if what == "precision":
            per = np.where(p > 0, inter / p, (t == 0).astype(float))
        elif what == "recall":
            per = np.where(t > 0, inter / t, (p == 0).astype(float))
        elif what == "f1":
            per = np.where(t + p > 0, 2 * inter / (t + p), 1.0)
        else:  # jaccard
            union = t + p - inter
            per = np.where(union > 0, inter / union, 1.0)
    return float(per.mean())


def _label_based(Y_true: Any, Y_pred: Any, what: str, average: Any, zero_division: float) -> Any:
    fn = {
        "precision": skm.precision_score,
        "recall": skm.recall_score,
        "f1": skm.f1_score,
        "jaccard": skm.jaccard_score,
    }[what]
    out = fn(Y_true, Y_pred, average=average, zero_division=zero_division)
    return np.asarray(out, dtype=float) if average is None else float(out)


def precision_score(
    Y_true: Any, Y_pred: Any, *, average: str | None = "micro", zero_division: float = 0.0
) -> Any:
    """Precision |Y ∩ Z| / |Z|, example-based (``"samples"``) or label-based.

    Returns a float, or an array of shape (n_labels,) for ``average=None``.
    """
    _check_average(average)
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    if average == "samples":
        return _example_based(Y_true, Y_pred, "precision")
    return _label_based(Y_true, Y_pred, "precision", average, zero_division)


def recall_score(
    Y_true: Any, Y_pred: Any, *, average: str | None = "micro", zero_division: float = 0.0
) -> Any:
    """Recall |Y ∩ Z| / |Y|, example-based (``"samples"``) or label-based."""
    _check_average(average)
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    if average == "samples":
        return _example_based(Y_true, Y_pred, "recall")
    return _label_based(Y_true, Y_pred, "recall", average, zero_division)


def f1_score(
    Y_true: Any, Y_pred: Any, *, average: str | None = "micro", zero_division: float = 0.0
) -> Any:
    """F1 = 2|Y ∩ Z| / (|Y| + |Z|), example-based (``"samples"``) or label-based."""
    _check_average(average)
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    if average == "samples":
        return _example_based(Y_true, Y_pred, "f1")
    return _label_based(Y_true, Y_pred, "f1", average, zero_division)


def jaccard_score(
    Y_true: Any, Y_pred: Any, *, average: str | None = "samples", zero_division: float = 0.0
) -> Any:
    """Jaccard |Y ∩ Z| / |Y ∪ Z|; averaged over samples it is the example-based *accuracy*."""
    _check_average(average)
    Y_true, Y_pred = _pair(Y_true, Y_pred)
    if average == "samples":
        return _example_based(Y_true, Y_pred, "jaccard")
    return _label_based(Y_true, Y_pred, "jaccard", average, zero_division)


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
    return float(f1_score(Y_true, Y_pred, average="micro"))


def macro_f1(Y_true: Any, Y_pred: Any) -> float:
    """Unweighted mean of the per-label F1 (a rare label counts as much as a frequent one)."""
    return float(f1_score(Y_true, Y_pred, average="macro"))


def weighted_f1(Y_true: Any, Y_pred: Any) -> float:
    """Mean of the per-label F1 weighted by each label's support."""
    return float(f1_score(Y_true, Y_pred, average="weighted"))


def example_f1(Y_true: Any, Y_pred: Any) -> float:
    """Mean over samples of the F1 between true and predicted label sets (empty vs empty = 1)."""
    return float(f1_score(Y_true, Y_pred, average="samples"))


def per_label_f1(Y_true: Any, Y_pred: Any) -> np.ndarray:
    """F1 of each label, shape (n_labels,)."""
    return np.asarray(f1_score(Y_true, Y_pred, average=None), dtype=float)


def example_jaccard(Y_true: Any, Y_pred: Any) -> float:
    """Example-based accuracy (mean Jaccard of the label sets)."""
    return float(jaccard_score(Y_true, Y_pred, average="samples"))


def label_ranking_average_precision(Y_true: Any, Y_score: Any) -> float:
    """LRAP: for each true label, the fraction of higher-ranked labels that are true.

    A sample without any true label scores 1 (scikit-learn's convention).
    """
    Y_true = check_targets(Y_true, name="Y_true")
    S = check_scores(Y_score, Y_true.shape)
    Y = Y_true.toarray() if sp.issparse(Y_true) else Y_true
    n, n_labels = Y.shape
    if n == 0:
        return float("nan")
    # Vectorised (scikit-learn loops over samples in Python): sort each row by score; a label's
    # rank counts every label scored ≥ it (ties take the last position of their run), and its
    # precision is the share of true labels among those.
    order = np.argsort(-S, axis=1, kind="stable")
    v = np.take_along_axis(S, order, axis=1)
    y = np.take_along_axis(Y, order, axis=1).astype(np.float64)
    is_end = np.ones_like(v, dtype=bool)
    is_end[:, :-1] = v[:, :-1] != v[:, 1:]
    idx = np.where(is_end, np.arange(n_labels)[None, :], n_labels)
    end = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]  # last index of each tie run
    true_above = np.take_along_axis(np.cumsum(y, axis=1), end, axis=1)
    precision = true_above / (end + 1)
    n_true = y.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_sample = (precision * y).sum(axis=1) / n_true
    per_sample[(n_true == 0) | (n_true == n_labels)] = 1.0  # scikit-learn's convention
    return float(per_sample.mean())


def _macro_auc(Y_true: Any, Y_score: Any) -> float:
    from tagwise.metrics._ranking import roc_auc_score

    return float(roc_auc_score(Y_true, Y_score, average="macro"))


def _ranking_loss(Y_true: Any, Y_score: Any) -> float:
    from tagwise.metrics._ranking import label_ranking_loss

    return float(label_ranking_loss(Y_true, Y_score))


# name → (function, needs scores, higher is better)
DEFAULT_METRICS: dict[str, tuple[Any, bool, bool]] = {
    "subset_accuracy": (subset_accuracy, False, True),
    "hamming_loss": (hamming_loss, False, False),
    "jaccard": (example_jaccard, False, True),
    "micro_f1": (micro_f1, False, True),
    "macro_f1": (macro_f1, False, True),
    "weighted_f1": (weighted_f1, False, True),
    "example_f1": (example_f1, False, True),
    "lrap": (label_ranking_average_precision, True, True),
    "ranking_loss": (_ranking_loss, True, False),
    "macro_auc": (_macro_auc, True, True),
}


def score_all(
    Y_true: Any, Y_pred: Any, Y_score: Any | None = None, metrics: dict[str, Any] | None = None
) -> dict[str, float]:
    """Every metric of ``metrics`` (default :data:`DEFAULT_METRICS`) as ``{name: value}``.

    Score-based metrics are skipped when ``Y_score`` is None. ``macro_auc`` is NaN (with a
    :class:`~tagwise.exceptions.LabelWarning`) when no label has both classes in ``Y_true``.
    """
    out: dict[str, float] = {}
    for name, (fn, needs_scores, _) in (metrics or DEFAULT_METRICS).items():
        if needs_scores:
            if Y_score is not None:
                out[name] = fn(Y_true, Y_score)
        else:
            out[name] = fn(Y_true, Y_pred)
    return out
