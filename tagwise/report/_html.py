"""The evaluation report: one JSON-ready dict (:func:`report_data`) and its rendering as a
self-contained HTML page with PNG figures (:func:`write_report`).

Both ``tagwise evaluate --report`` and ``tagwise cv --report`` call :func:`write_report`.
"""

from __future__ import annotations

import base64
import html
import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import precision_recall_curve

from tagwise._validation import check_targets
from tagwise.exceptions import LabelWarning
from tagwise.metrics._core import check_scores
from tagwise.metrics._report import evaluate_predictions, label_report, to_json_ready
from tagwise.report import _plots
from tagwise.thresholds._strategies import GRID, grid_counts, grid_scores

__all__ = ["report_data", "write_report"]

MAX_PR_LABELS = 6
MAX_HEATMAP_LABELS = 25
MAX_TABLE_ROWS = 500
MAX_CURVE_POINTS = 200


def _history_series(history: Any) -> dict[str, list[float | None]] | None:
    """Training history as ``{series: [value per epoch]}`` (accepts a list of epoch dicts)."""
    if not history:
        return None
    if isinstance(history, dict):
        items = {k: list(v) for k, v in history.items() if isinstance(v, (list, tuple))}
    else:
        keys = [k for k in history[0] if k != "epoch"] if isinstance(history[0], dict) else []
        items = {k: [row.get(k) for row in history] for k in keys}
    series = {}
    for key, values in items.items():
        if all(v is None or isinstance(v, (int, float)) for v in values):
            series[str(key)] = [None if v is None else float(v) for v in values]
    return series or None


def _pr_curves(Y: np.ndarray, S: np.ndarray, names: list[str], ap: list[Any]) -> dict[str, Any]:
    support = Y.sum(axis=0)
    out = {}
    for j in np.argsort(-support, kind="stable")[:MAX_PR_LABELS]:
        if support[j] == 0:
            break
        precision, recall, _ = precision_recall_curve(Y[:, j], S[:, j])
        keep = np.unique(np.linspace(0, len(recall) - 1, MAX_CURVE_POINTS).astype(int))
        out[names[j]] = {
            "precision": precision[keep].tolist(),
            "recall": recall[keep].tolist(),
            "average_precision": ap[j],
            "support": int(support[j]),
        }
    return out


def _cooccurrence(Y: Any, names: list[str]) -> dict[str, Any]:
    Ys = sp.csr_matrix(Y, dtype=np.float64)
    support = np.asarray(Ys.sum(axis=0)).ravel()
    top = [int(j) for j in np.argsort(-support, kind="stable")[:MAX_HEATMAP_LABELS]]
    sub = Ys[:, top]
    counts = (sub.T @ sub).toarray()
    diag = np.diag(counts).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        conditional = np.where(diag[:, None] > 0, counts / diag[:, None], np.nan)
    return {
        "labels": [names[j] for j in top],
        "counts": counts.astype(int).tolist(),
        "conditional": conditional.tolist(),
    }


def report_data(
    *,
    Y_true: Any,
    Y_score: Any = None,
    Y_pred: Any = None,
    label_names: Sequence[Any] | None = None,
    history: Any = None,
    title: str = "tagwise evaluation report",
    metadata: dict[str, Any] | None = None,
    k: Sequence[int] | None = None,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Everything the report shows, as a strict-JSON-ready dict.

    Parameters
    ----------
    Y_true : 0/1 matrix of shape (n_samples, n_labels), dense or CSR.
    Y_score : probabilities of the same shape (curves, AUC, ranking metrics); optional.
    Y_pred : the model's 0/1 decisions; default ``Y_score >= threshold``.
    label_names : n_labels names; default the column numbers.
    history : training history (list of per-epoch dicts or dict of lists), optional.
    metadata : free-form facts shown at the top (model, dataset, …).
    """
    Y_true = check_targets(Y_true, name="Y_true")
    if Y_score is not None:
        Y_score = check_scores(Y_score, Y_true.shape, probabilities=True)
    Y = Y_true.toarray() if sp.issparse(Y_true) else Y_true
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LabelWarning)
        per_label = label_report(
            Y, Y_pred, Y_score, label_names=label_names, output="dict", threshold=threshold
        )
        metrics = evaluate_predictions(Y, Y_pred, Y_score, k=k, threshold=threshold)
    notes = list(dict.fromkeys(str(w.message) for w in caught if w.category is LabelWarning))
    for note in notes:
        warnings.warn(note, LabelWarning, stacklevel=2)
    names = [r["label"] for r in per_label["labels"]]
    n, n_labels = Y.shape
    predicted = np.asarray([r["predicted"] for r in per_label["labels"]])
    data: dict[str, Any] = {
        "title": title,
        "metadata": dict(metadata or {}),
        "n_samples": int(n),
        "n_labels": int(n_labels),
        "label_cardinality": float(Y.sum() / n),
        "predicted_cardinality": float(predicted.sum() / n),
        "metrics": metrics,
        "averages": per_label["averages"],
        "labels": per_label["labels"],
        "cooccurrence": _cooccurrence(Y, names),
        "history": _history_series(history),
        "notes": notes,
    }
    if Y_score is not None:
        curves = grid_scores(grid_counts(Y, Y_score))
        data["threshold_curve"] = {
            "thresholds": GRID.tolist(),
            **{key: v.tolist() for key, v in curves.items()},
        }
        data["threshold_curve"]["used_threshold"] = threshold if Y_pred is None else None
        ap = [r.get("average_precision") for r in per_label["labels"]]
        data["pr_curves"] = _pr_curves(Y, Y_score, names, ap)
    return to_json_ready(data)


def _figures(data: dict[str, Any]) -> list[tuple[str, str, Any]]:
    figs = [
        (
            "f1_vs_frequency",
            "Per-label F1 against label frequency",
            _plots.plot_f1_vs_frequency(data["labels"]),
        )
    ]
    if "pr_curves" in data:
        figs.append(
            ("pr_curves", "Precision-recall curves", _plots.plot_pr_curves(data["pr_curves"]))
        )
    if "threshold_curve" in data:
        figs.append(
            (
                "threshold_curve",
                "Metric against threshold",
                _plots.plot_threshold_curve(data["threshold_curve"]),
            )
        )
    if data["n_labels"] >= 2:
        figs.append(
            ("cooccurrence", "Label co-occurrence", _plots.plot_cooccurrence(data["cooccurrence"]))
        )
    if data.get("history"):
        figs.append(("history", "Training curves", _plots.plot_history(data["history"])))
    return figs


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4f}"
    return html.escape(str(v))


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #ddd}table{border-collapse:collapse;font-size:.85rem}
td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:right}
th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{background:#f4f7fb;border-radius:6px;
padding:.6rem 1rem;min-width:8rem}.card b{display:block;font-size:1.3rem}
.figs{display:flex;flex-wrap:wrap;gap:1rem}.figs figure{margin:0}img{max-width:100%}
.note{color:#8a5a00;font-size:.85rem}
"""

CARDS = [
    ("micro_f1", "micro-F1"),
    ("macro_f1", "macro-F1"),
    ("example_f1", "example-F1"),
    ("subset_accuracy", "subset accuracy"),
    ("hamming_loss", "Hamming loss"),
    ("macro_roc_auc", "macro ROC-AUC"),
    ("precision@1", "P@1"),
]


def _html(data: dict[str, Any], images: list[tuple[str, str, bytes]]) -> str:
    m = data["metrics"]
    title = html.escape(data["title"])
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{CSS}</style></head><body><h1>{title}</h1>"
    ]
    facts = {
        **data["metadata"],
        "samples": data["n_samples"],
        "labels": data["n_labels"],
        "label cardinality (true / predicted)": (
            f"{data['label_cardinality']:.3f} / {data['predicted_cardinality']:.3f}"
        ),
    }
    parts.append(
        "<table>"
        + "".join(
            f"<tr><td>{html.escape(str(k))}</td><td>{_fmt(v)}</td></tr>" for k, v in facts.items()
        )
        + "</table>"
    )
    parts.append(
        "<h2>Summary</h2><div class='cards'>"
        + "".join(
            f"<div class='card'>{label}<b>{_fmt(m[key])}</b></div>"
            for key, label in CARDS
            if key in m
        )
        + "</div>"
    )
    for note in data["notes"]:
        parts.append(f"<p class='note'>⚠ {html.escape(note)}</p>")
    parts.append(
        "<h2>All metrics</h2><table><tr><th>metric</th><th>value</th></tr>"
        + "".join(f"<tr><td>{html.escape(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in m.items())
        + "</table>"
    )
    parts.append("<h2>Figures</h2><div class='figs'>")
    for name, caption, png in images:
        b64 = base64.b64encode(png).decode("ascii")
        parts.append(
            f"<figure id='{name}'><img alt='{html.escape(caption)}' "
            f"src='data:image/png;base64,{b64}'><figcaption>{html.escape(caption)}"
            "</figcaption></figure>"
        )
    parts.append("</div>")
    labels = sorted(data["labels"], key=lambda r: -r["support"])
    cols = [
        c
        for c in (
            "support",
            "predicted",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "average_precision",
        )
        if c in labels[0]
    ]
    parts.append("<h2>Per-label results</h2>")
    if len(labels) > MAX_TABLE_ROWS:
        parts.append(
            f"<p>The {MAX_TABLE_ROWS} most frequent of {len(labels)} labels; every "
            "label is in the JSON output.</p>"
        )
    parts.append("<table><tr><th>label</th>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>")
    for r in labels[:MAX_TABLE_ROWS]:
        parts.append(
            f"<tr><td>{html.escape(str(r['label']))}</td>"
            + "".join(f"<td>{_fmt(r[c])}</td>" for c in cols)
            + "</tr>"
        )
    parts.append("</table><p>Generated by tagwise.</p></body></html>")
    return "\n".join(parts)


def write_report(
    path: str | os.PathLike[str],
    *,
    Y_true: Any,
    Y_score: Any = None,
    Y_pred: Any = None,
    label_names: Sequence[Any] | None = None,
    history: Any = None,
    title: str = "tagwise evaluation report",
    metadata: dict[str, Any] | None = None,
    k: Sequence[int] | None = None,
    threshold: float = 0.5,
    png_dir: str | os.PathLike[str] | None = None,
    json_path: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Write the HTML report to ``path`` (figures embedded) and its PNGs beside it.

    PNGs go to ``png_dir`` (default ``<path stem>_files/``); ``json_path`` also writes the data.
    Returns the data of :func:`report_data` with a ``files`` entry listing what was written.
    """
    data = report_data(
        Y_true=Y_true,
        Y_score=Y_score,
        Y_pred=Y_pred,
        label_names=label_names,
        history=history,
        title=title,
        metadata=metadata,
        k=k,
        threshold=threshold,
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(png_dir) if png_dir is not None else target.with_name(f"{target.stem}_files")
    folder.mkdir(parents=True, exist_ok=True)
    images, written = [], []
    for name, caption, fig in _figures(data):
        png = _plots.figure_png(fig)
        (folder / f"{name}.png").write_bytes(png)
        written.append(str(folder / f"{name}.png"))
        images.append((name, caption, png))
    target.write_text(_html(data, images), encoding="utf-8")
    data["files"] = {"html": str(target), "png": written}
    if json_path is not None:
        Path(json_path).write_text(json.dumps(data, indent=2, allow_nan=False), encoding="utf-8")
        data["files"]["json"] = str(json_path)
    return data
