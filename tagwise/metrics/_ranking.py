"""Score-based metrics: per-label and averaged ROC-AUC / average precision, ranking metrics, P@k.

Scores are real numbers of shape (n_samples, n_labels), larger meaning "more likely"; they need
not be probabilities. ``Y_true`` may be dense or CSR.

Undefined cases are defined, not crashes (scikit-learn raises on a label with one class):

* ROC-AUC of a label without positives or without negatives in ``Y_true`` is NaN, and a
  :class:`~tagwise.exceptions.LabelWarning` names those labels; ``macro``/``weighted`` averages
  leave them out; micro-AUC is NaN only if the whole matrix has one class.
* Average precision of a label without positives is NaN (same warning), left out of averages.
* Samples without any true label are left out of R@k, nDCG@k and one-error (the measures are
  undefined for them); P@k counts them (their precision is 0). LRAP scores them 1, ranking loss 0
  (scikit-learn's conventions).

References: Zhang & Zhou, "A Review on Multi-Label Learning Algorithms", TKDE 2014 (ranking loss,
one-error, coverage); Jain, Prabhu & Varma, KDD 2016 and the Extreme Classification Repository
(P@k, nDCG@k).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn import metrics as skm

from tagwise._validation import check_targets
from tagwise.exceptions import ConfigError, LabelWarning, describe_labels
from tagwise.metrics._core import check_scores

__all__ = [
    "average_precision_score",
    "coverage_error",
    "label_ranking_loss",
    "ndcg_at_k",
    "one_error",
    "per_label_average_precision",
    "per_label_roc_auc",
    "precision_at_k",
    "recall_at_k",
    "roc_auc_score",
    "top_k_indices",
]


def _inputs(Y_true: Any, Y_score: Any, *, sparse_scores: bool = False) -> tuple[Any, Any]:
    Y_true = check_targets(Y_true, name="Y_true")
    return Y_true, check_scores(Y_score, Y_true.shape, allow_sparse=sparse_scores)


def _dense(Y: Any) -> np.ndarray:
    return Y.toarray() if sp.issparse(Y) else np.asarray(Y)


def _warn_undefined(which: np.ndarray, n_labels: int, metric: str, why: str) -> None:
    if len(which):
        warnings.warn(
            f"{metric} is undefined for {len(which)} label(s) with {why} in Y_true "
            f"({describe_labels(which, n_labels)}); they are NaN and left out of the average.",
            LabelWarning,
            stacklevel=4,
        )


def _per_label(Y_true: Any, Y_score: Any, fn: Any, need_negatives: bool, name: str) -> np.ndarray:
    Y_true, Y_score = _inputs(Y_true, Y_score)
    Y = _dense(Y_true)
    pos = Y.sum(axis=0)
    ok = pos > 0
    if need_negatives:
        ok &= pos < Y.shape[0]
    out = np.full(Y.shape[1], np.nan)
    for j in np.flatnonzero(ok):
        out[j] = fn(Y[:, j], Y_score[:, j])
    why = "only one class" if need_negatives else "no positive"
    _warn_undefined(np.flatnonzero(~ok), Y.shape[1], name, why)
    return out


def per_label_roc_auc(Y_true: Any, Y_score: Any) -> np.ndarray:
    """ROC-AUC of each label, shape (n_labels,); NaN where a label has one class only."""
    return _per_label(Y_true, Y_score, skm.roc_auc_score, True, "ROC-AUC")


def per_label_average_precision(Y_true: Any, Y_score: Any) -> np.ndarray:
    """Average precision (area under the PR curve) of each label; NaN without positives."""
    return _per_label(Y_true, Y_score, skm.average_precision_score, False, "average precision")


def _averaged(per: np.ndarray, support: np.ndarray, average: Any) -> Any:
    if average is None:
        return per
    ok = ~np.isnan(per)
    if not ok.any():
        return float("nan")
    if average == "macro":
        return float(per[ok].mean())
    return float(np.average(per[ok], weights=support[ok]))


def _check_avg(average: Any) -> None:
    if average not in ("micro", "macro", "weighted", None):
        raise ConfigError(f"average must be 'micro', 'macro', 'weighted' or None, got {average!r}.")


def roc_auc_score(Y_true: Any, Y_score: Any, *, average: str | None = "macro") -> Any:
    """ROC-AUC: ``micro`` (all cells pooled), ``macro``/``weighted`` over labels, or per label."""
    _check_avg(average)
    Y_true, Y_score = _inputs(Y_true, Y_score)
    if average == "micro":
        y = _dense(Y_true).ravel()
        if y.min() == y.max():
            warnings.warn(
                "micro ROC-AUC is undefined: Y_true has only one class in every cell; NaN.",
                LabelWarning,
                stacklevel=2,
            )
            return float("nan")
        return float(skm.roc_auc_score(y, Y_score.ravel()))
    per = per_label_roc_auc(Y_true, Y_score)
    return _averaged(per, np.asarray(Y_true.sum(axis=0)).ravel(), average)


def average_precision_score(Y_true: Any, Y_score: Any, *, average: str | None = "macro") -> Any:
    """Average precision: ``micro``, ``macro``/``weighted`` over labels, or per label (None)."""
    _check_avg(average)
    Y_true, Y_score = _inputs(Y_true, Y_score)
    if average == "micro":
        y = _dense(Y_true).ravel()
        if y.max() == 0:
            warnings.warn(
                "micro average precision is undefined: Y_true has no positive; NaN.",
                LabelWarning,
                stacklevel=2,
            )
            return float("nan")
        return float(skm.average_precision_score(y, Y_score.ravel()))
    per = per_label_average_precision(Y_true, Y_score)
    return _averaged(per, np.asarray(Y_true.sum(axis=0)).ravel(), average)


def label_ranking_loss(Y_true: Any, Y_score: Any) -> float:
    """Mean fraction of (true, false) label pairs ranked the wrong way round (lower is better)."""
    Y_true, Y_score = _inputs(Y_true, Y_score)
    return float(skm.label_ranking_loss(Y_true, Y_score))


def coverage_error(Y_true: Any, Y_score: Any) -> float:
    """Mean depth down the ranking needed to cover every true label (1-based; lower is better).

    Zhang & Zhou's "coverage" is this value minus one.
    """
    Y_true, Y_score = _inputs(Y_true, Y_score)
    return float(skm.coverage_error(_dense(Y_true), Y_score))


def _check_k(k: Any, n_labels: int) -> int:
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or int(k) < 1:
        raise ConfigError(f"k must be a positive integer, got {k!r}.")
    if int(k) > n_labels:
        raise ConfigError(
            f"k={k} is larger than the number of labels ({n_labels}); use k ≤ {n_labels}."
        )
    return int(k)


def top_k_indices(Y_score: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k highest-scoring labels of every sample, best first.

    Returns ``(indices, valid)``, both of shape (n_samples, k). For sparse scores a row with
    fewer than k stored entries has ``valid`` False in the missing places (they are misses).
    Ties are broken towards the lower label index.
    """
    n, n_labels = Y_score.shape
    k = _check_k(k, n_labels)
    if sp.issparse(Y_score):
        S = sp.csr_matrix(Y_score)
        row = np.repeat(np.arange(n), np.diff(S.indptr))
        order = np.lexsort((S.indices, -S.data, row))
        pos = np.arange(S.nnz) - S.indptr[row[order]]
        keep = pos < k
        idx = np.zeros((n, k), dtype=np.int64)
        valid = np.zeros((n, k), dtype=bool)
        idx[row[order][keep], pos[keep]] = S.indices[order][keep]
        valid[row[order][keep], pos[keep]] = True
        return idx, valid
    S = np.asarray(Y_score)
    # stable descending sort of the k-best candidates keeps "lower index first" on ties
    part = (
        np.argpartition(-S, k - 1, axis=1)[:, :k]
        if k < n_labels
        else np.tile(np.arange(n_labels), (n, 1))
    )
    vals = np.take_along_axis(S, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1), np.ones((n, k), dtype=bool)


def _hits(Y_true: Any, idx: np.ndarray, valid: np.ndarray) -> np.ndarray:
    if sp.issparse(Y_true):
        rows = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
        got = np.asarray(Y_true[rows, idx.ravel()]).reshape(idx.shape)
    else:
        got = np.take_along_axis(np.asarray(Y_true), idx, axis=1)
    return (got > 0) & valid


def _ranked(Y_true: Any, Y_score: Any, k: int) -> tuple[Any, np.ndarray, np.ndarray]:
    Y_true, Y_score = _inputs(Y_true, Y_score, sparse_scores=True)
    idx, valid = top_k_indices(Y_score, k)
    return Y_true, _hits(Y_true, idx, valid), np.asarray(Y_true.sum(axis=1)).ravel()


def _mean_over_labelled(values: np.ndarray, n_true: np.ndarray, name: str) -> float:
    has = n_true > 0
    if not has.any():
        warnings.warn(
            f"{name} is undefined: no sample has a true label; NaN.", LabelWarning, stacklevel=3
        )
        return float("nan")
    return float(values[has].mean())


def precision_at_k(Y_true: Any, Y_score: Any, k: int = 1) -> float:
    """P@k: mean over samples of (true labels among the top k) / k."""
    _, hits, _ = _ranked(Y_true, Y_score, k)
    return float(hits.sum(axis=1).mean() / k)


def recall_at_k(Y_true: Any, Y_score: Any, k: int = 1) -> float:
    """R@k: mean over samples with a true label of (true labels in the top k) / (true labels)."""
    _, hits, n_true = _ranked(Y_true, Y_score, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = hits.sum(axis=1) / n_true
    return _mean_over_labelled(per, n_true, f"R@{k}")


def ndcg_at_k(Y_true: Any, Y_score: Any, k: int = 1) -> float:
    """nDCG@k with binary relevance: DCG@k / ideal DCG@k (ideal uses min(k, |Y|) hits)."""
    _, hits, n_true = _ranked(Y_true, Y_score, k)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits @ discount
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_true, k).astype(int)]
    with np.errstate(divide="ignore", invalid="ignore"):
        per = dcg / ideal
    return _mean_over_labelled(per, n_true, f"nDCG@{k}")


def one_error(Y_true: Any, Y_score: Any) -> float:
    """Fraction of samples (with a true label) whose top-ranked label is not true (lower better)."""
    _, hits, n_true = _ranked(Y_true, Y_score, 1)
    return _mean_over_labelled(1.0 - hits[:, 0], n_true, "one-error")
