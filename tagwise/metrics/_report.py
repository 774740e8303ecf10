"""Everything at once: every summary metric and the per-label report (text, DataFrame, JSON)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from tagwise._validation import check_targets
from tagwise.exceptions import ConfigError, DataFormatError
from tagwise.metrics import _core, _ranking
from tagwise.metrics._core import check_scores

__all__ = ["evaluate_predictions", "label_report", "per_label_metrics", "to_json_ready"]

DEFAULT_KS = (1, 3, 5)


def to_json_ready(value: Any) -> Any:
    """Replace NaN/inf by None and numpy types by Python ones, recursively (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): to_json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json_ready(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _inputs(
    Y_true: Any, Y_pred: Any, Y_score: Any, threshold: float
) -> tuple[Any, Any, np.ndarray | None]:
    Y_true = check_targets(Y_true, name="Y_true")
    if Y_score is not None:
        Y_score = check_scores(Y_score, Y_true.shape)
    if Y_pred is None:
        if Y_score is None:
            raise DataFormatError("give Y_pred (label sets) or Y_score (scores), or both.")
        Y_pred = (Y_score >= threshold).astype(np.int64)
    Y_true, Y_pred = _core._pair(Y_true, Y_pred)
    return Y_true, Y_pred, Y_score


def _names(label_names: Sequence[Any] | None, n_labels: int) -> list[str]:
    if label_names is None:
        return [str(j) for j in range(n_labels)]
    names = [str(c) for c in label_names]
    if len(names) != n_labels:
        raise DataFormatError(
            f"label_names has {len(names)} names but the label matrices have {n_labels} columns."
        )
    return names


def _ks(k: Sequence[int] | int | None, n_labels: int) -> list[int]:
    if k is None:
        return [v for v in DEFAULT_KS if v <= n_labels]
    ks = [k] if isinstance(k, int) else list(k)
    for v in ks:
        _ranking._check_k(v, n_labels)
    return ks


def per_label_metrics(
    Y_true: Any,
    Y_pred: Any = None,
    Y_score: Any = None,
    *,
    label_names: Sequence[Any] | None = None,
    threshold: float = 0.5,
) -> dict[str, list[Any]]:
    """Column-wise table: label, support, predicted, precision, recall, f1 (+ roc_auc, ap).

    Every list has length n_labels. ROC-AUC / AP are NaN for labels where they are undefined.
    """
    Y_true, Y_pred, Y_score = _inputs(Y_true, Y_pred, Y_score, threshold)
    n, n_labels = Y_true.shape
    p, r, f, s = skm.precision_recall_fscore_support(Y_true, Y_pred, zero_division=0)
    support = np.asarray(s, dtype=np.int64)
    table: dict[str, list[Any]] = {
        "label": _names(label_names, n_labels),
        "support": support.tolist(),
        "frequency": (support / n).tolist(),
        "predicted": np.asarray(Y_pred.sum(axis=0)).ravel().astype(int).tolist(),
        "precision": np.asarray(p, float).tolist(),
        "recall": np.asarray(r, float).tolist(),
        "f1": np.asarray(f, float).tolist(),
    }
    if Y_score is not None:
        table["roc_auc"] = _ranking.per_label_roc_auc(Y_true, Y_score).tolist()
        table["average_precision"] = _ranking.per_label_average_precision(Y_true, Y_score).tolist()
    return table


def _averages(Y_true: Any, Y_pred: Any) -> dict[str, dict[str, float]]:
    out = {}
    for avg in ("micro", "macro", "weighted", "samples"):
        out[avg] = {
            "precision": _core.precision_score(Y_true, Y_pred, average=avg),
            "recall": _core.recall_score(Y_true, Y_pred, average=avg),
            "f1": _core.f1_score(Y_true, Y_pred, average=avg),
        }
    return out


def evaluate_predictions(
    Y_true: Any,
    Y_pred: Any = None,
    Y_score: Any = None,
    *,
    k: Sequence[int] | int | None = None,
    threshold: float = 0.5,
) -> dict[str, float]:
    """Every summary metric as a flat ``{name: value}`` dict (NaN where undefined).

    Parameters
    ----------
    Y_true : 0/1 matrix of shape (n_samples, n_labels), dense or CSR.
    Y_pred : 0/1 matrix of the same shape; default ``Y_score >= threshold``.
    Y_score : scores of the same shape; the ranking and AUC metrics need it.
    k : the cut-offs of P@k, R@k, nDCG@k; default (1, 3, 5) up to n_labels.
    """
    Y_true, Y_pred, Y_score = _inputs(Y_true, Y_pred, Y_score, threshold)
    out: dict[str, float] = {
        "subset_accuracy": _core.subset_accuracy(Y_true, Y_pred),
        "hamming_loss": _core.hamming_loss(Y_true, Y_pred),
        "jaccard": _core.jaccard_score(Y_true, Y_pred, average="samples"),
    }
    for avg, values in _averages(Y_true, Y_pred).items():
        prefix = "example" if avg == "samples" else avg
        for name, v in values.items():
            out[f"{prefix}_{name}"] = float(v)
    if Y_score is None:
        return out
    support = np.asarray(Y_true.sum(axis=0)).ravel()
    auc = _ranking.per_label_roc_auc(Y_true, Y_score)
    ap = _ranking.per_label_average_precision(Y_true, Y_score)
    out["micro_roc_auc"] = _ranking.roc_auc_score(Y_true, Y_score, average="micro")
    out["macro_roc_auc"] = _ranking._averaged(auc, support, "macro")
    out["weighted_roc_auc"] = _ranking._averaged(auc, support, "weighted")
    out["micro_average_precision"] = _ranking.average_precision_score(
        Y_true, Y_score, average="micro"
    )
    out["macro_average_precision"] = _ranking._averaged(ap, support, "macro")
    out["label_ranking_loss"] = _ranking.label_ranking_loss(Y_true, Y_score)
    out["coverage_error"] = _ranking.coverage_error(Y_true, Y_score)
    out["lrap"] = _core.label_ranking_average_precision(Y_true, Y_score)
    out["one_error"] = _ranking.one_error(Y_true, Y_score)
    for v in _ks(k, Y_true.shape[1]):
        out[f"precision@{v}"] = _ranking.precision_at_k(Y_true, Y_score, v)
        out[f"recall@{v}"] = _ranking.recall_at_k(Y_true, Y_score, v)
        out[f"ndcg@{v}"] = _ranking.ndcg_at_k(Y_true, Y_score, v)
    return out


def _text(table: dict[str, list[Any]], averages: dict[str, dict[str, float]], digits: int) -> str:
    cols = [c for c in ("precision", "recall", "f1", "roc_auc", "average_precision") if c in table]
    heads = {"average_precision": "avg_prec"}
    width = max([len(x) for x in table["label"]] + [len("weighted avg"), 5])
    header = f"{'':>{width}} " + " ".join(f"{heads.get(c, c):>9}" for c in cols)
    header += f" {'support':>9}"
    lines = [header, ""]

    def fmt(v: Any) -> str:
        return (
            f"{'n/a':>9}"
            if v is None or (isinstance(v, float) and math.isnan(v))
            else (f"{v:>9.{digits}f}")
        )

    for i, name in enumerate(table["label"]):
        row = " ".join(fmt(table[c][i]) for c in cols)
        lines.append(f"{name:>{width}} {row} {table['support'][i]:>9}")
    lines.append("")
    total = int(sum(table["support"]))
    for avg, values in averages.items():
        row = " ".join(fmt(values.get(c)) for c in cols)
        lines.append(f"{avg + ' avg':>{width}} {row} {total:>9}")
    return "\n".join(lines) + "\n"


def label_report(
    Y_true: Any,
    Y_pred: Any = None,
    Y_score: Any = None,
    *,
    label_names: Sequence[Any] | None = None,
    output: str = "text",
    digits: int = 3,
    threshold: float = 0.5,
) -> Any:
    """A ``classification_report`` for multi-label data: one row per label, then the averages.

    Parameters
    ----------
    output : {"text", "dict", "frame", "json"}
        ``text`` is an aligned table (``n/a`` where undefined), ``dict`` has ``labels`` (a list of
        per-label dicts) and ``averages`` (micro/macro/weighted/samples), ``frame`` a pandas
        DataFrame indexed by label with the average rows appended, ``json`` the dict as a strict
        JSON string (undefined values are null).
    """
    if output not in ("text", "dict", "frame", "json"):
        raise ConfigError(f"output must be 'text', 'dict', 'frame' or 'json', got {output!r}.")
    table = per_label_metrics(Y_true, Y_pred, Y_score, label_names=label_names, threshold=threshold)
    Y_true_c, Y_pred_c, _ = _inputs(Y_true, Y_pred, Y_score, threshold)
    averages = _averages(Y_true_c, Y_pred_c)
    if Y_score is not None:
        support = np.asarray(table["support"], float)
        for name in ("roc_auc", "average_precision"):
            per = np.asarray(table[name], float)
            averages["macro"][name] = _ranking._averaged(per, support, "macro")
            averages["weighted"][name] = _ranking._averaged(per, support, "weighted")
    if output == "text":
        return _text(table, averages, digits)
    rows = [dict(zip(table, values, strict=True)) for values in zip(*table.values(), strict=True)]
    as_dict = {"labels": rows, "averages": averages}
    if output == "dict":
        return as_dict
    if output == "json":
        return json.dumps(to_json_ready(as_dict), indent=2, allow_nan=False)
    import pandas as pd

    frame = pd.DataFrame(table).set_index("label")
    avg_rows = pd.DataFrame(
        [{**v, "support": int(frame["support"].sum())} for v in averages.values()],
        index=[f"{a} avg" for a in averages],
    )
    return pd.concat([frame, avg_rows])
