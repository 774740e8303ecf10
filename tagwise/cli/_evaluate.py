"""``tagwise evaluate``: every metric of a saved model on a labelled data file, and the report."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import typer

from tagwise.cli import _common as c
from tagwise.cli._app import app
from tagwise.exceptions import ConfigError, DataFormatError, LabelWarning, naming_labels

STRATEGY_HELP = (
    "Decide label sets with this strategy instead of the model's own thresholds: 'fixed:0.4', "
    "'top_k:3', 'cardinality'; the tuned ones ('global', 'per_label', 'calibrated') need "
    "--tune-on."
)


def align_labels(
    model_names: list[str], data_names: list[str], Y: Any, *, prefix: str | None = None
) -> Any:
    """Y with its columns in the model's label order (labels matched by name).

    Labels of the data that the model does not know are dropped with a warning; labels of the
    model missing from the data count as never present. When no name matches but the counts do
    (e.g. a model trained on numbered columns), columns are matched by position. ``prefix``
    (the reader's ``label_prefix``, which it strips from names) is stripped from model names too.
    """
    if prefix and not set(model_names) & set(data_names):
        model_names = [n[len(prefix) :] if n.startswith(prefix) else n for n in model_names]
    if list(model_names) == list(data_names):
        return Y
    position = {name: j for j, name in enumerate(data_names)}
    common = [name for name in model_names if name in position]
    if not common:
        if len(model_names) == len(data_names):
            warnings.warn(
                "no label name of the data matches the model's; matching labels by position.",
                LabelWarning,
                stacklevel=2,
            )
            return Y
        raise DataFormatError(
            f"the model has {len(model_names)} labels ({', '.join(model_names[:5])}, …) and "
            f"the data {len(data_names)} ({', '.join(data_names[:5])}, …), none in common; "
            "select the label columns with --labels/--label-prefix."
        )
    unknown = [n for n in data_names if n not in set(model_names)]
    missing = [n for n in model_names if n not in position]
    if unknown or missing:
        warnings.warn(
            f"labels only in the data (dropped): {unknown[:10]}; labels only in the model "
            f"(never true here): {missing[:10]}.",
            LabelWarning,
            stacklevel=2,
        )
    Yc = sp.csc_matrix(Y)
    cols = [
        Yc[:, position[n]] if n in position else sp.csc_matrix((Y.shape[0], 1), dtype=np.int64)
        for n in model_names
    ]
    out = sp.hstack(cols, format="csr")
    return out if sp.issparse(Y) else out.toarray()


def decide(strategy: str, scores: np.ndarray, at_least_one: bool, tune: Any) -> np.ndarray:
    """0/1 decisions by a strategy; a tuned one is fitted on ``tune`` = (Y_val, scores_val)."""
    from tagwise.thresholds import make_strategy

    chosen = make_strategy(strategy, at_least_one=at_least_one)
    if chosen.needs_scores and tune is None:
        raise ConfigError(
            f"the {chosen.name} strategy is tuned on held-out scores; give a validation file with "
            "--tune-on (tuning on the evaluation data would overstate the results)."
        )
    if tune is None:  # nothing is learned from these: fit on a shape-only stand-in
        tune = (np.zeros((1, scores.shape[1]), dtype=np.int64), scores[:1])
    return chosen.fit(*tune).apply(scores)


def _load(path: Path, model: Any, options: dict[str, Any]) -> tuple[Any, Any, Any]:
    cfg = c.run_config(None, [], data=path, **options)
    dataset = c.load_data(cfg)
    X = dataset.X if dataset.X is not None else dataset.text
    names = [str(n) for n in model.classes_]
    Y = align_labels(names, dataset.label_names, dataset.Y, prefix=options.get("label_prefix"))
    return dataset, X, Y


@app.command("evaluate")
def evaluate_command(
    model_dir: Path = typer.Argument(..., help="Model directory written by `tagwise train`."),
    data: Path = typer.Argument(..., help="Labelled data file to evaluate on (the test set)."),
    labels: str = c.LABELS,
    label_prefix: str = c.LABEL_PREFIX,
    label_column: str = c.LABEL_COLUMN,
    label_sep: str = c.LABEL_SEP,
    text: str = c.TEXT_COLUMN,
    report: Path = typer.Option(None, "--report", help="Write an HTML report (with PNGs) here."),
    json_out: bool = c.JSON_OUT,
    strategy: str = typer.Option(None, "--strategy", help=STRATEGY_HELP),
    tune_on: Path = typer.Option(None, "--tune-on", help="Validation file to tune --strategy on."),
    at_least_one: bool = typer.Option(False, "--at-least-one", help="Every sample gets ≥1 label."),
    k: str = typer.Option(None, "--k", help="Cut-offs of P@k/R@k/nDCG@k, e.g. '1,3,5'."),
) -> None:
    """Evaluate a saved model on labelled data: every metric, per-label table, optional report."""
    from tagwise.io import load_model
    from tagwise.metrics import to_json_ready
    from tagwise.report import report_data, write_report

    ks = _parse_ks(k)
    model = load_model(model_dir)
    options = dict(
        labels=labels,
        label_prefix=label_prefix,
        label_column=label_column,
        label_sep=label_sep,
        text_column=text,
    )
    dataset, X, Y = _load(data, model, options)
    scores = np.asarray(model.predict_proba(X), dtype=np.float64)
    tune = None
    if tune_on is not None:
        _, X_val, Y_val = _load(tune_on, model, options)
        Y_val = Y_val.toarray() if sp.issparse(Y_val) else Y_val
        tune = (Y_val, np.asarray(model.predict_proba(X_val), dtype=np.float64))
    if strategy is not None:
        pred = decide(strategy, scores, at_least_one, tune)
    else:
        if tune is not None:
            raise ConfigError("--tune-on needs a --strategy to tune (e.g. --strategy per_label).")
        pred = np.array(model.predict(X), dtype=np.int64)
        if at_least_one:
            from tagwise.thresholds import ensure_at_least_one

            ensure_at_least_one(pred, scores)
    Y = Y.toarray() if sp.issparse(Y) else Y
    labels_ = [str(n) for n in model.classes_]
    meta = {
        "model": str(model_dir),
        "model type": type(model).__name__,
        "data": str(data),
        "decision": strategy or "the model's thresholds",
    }
    common = dict(
        Y_true=Y,
        Y_score=scores,
        Y_pred=pred,
        label_names=labels_,
        k=ks,
        title=f"Evaluation of {model_dir.name} on {dataset.name}",
        metadata=meta,
    )
    history = getattr(model, "history_", None)
    with naming_labels(labels_):
        if report is not None:
            payload = write_report(report, history=history, **common)  # type: ignore[arg-type]
            c.err_console.print(f"report written to {report}")
        else:
            payload = report_data(history=history, **common)  # type: ignore[arg-type]
    if json_out:
        c.emit_json(to_json_ready(payload))
        return
    _print(payload)


def _parse_ks(k: str | None) -> list[int] | None:
    if k is None:
        return None
    try:
        return [int(v) for v in k.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(
            f"--k must be comma-separated integers like '1,3,5', got {k!r}."
        ) from None


def _print(payload: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    table = Table(title=payload["title"])
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in payload["metrics"].items():
        table.add_row(name, "n/a" if value is None else f"{value:.4f}")
    out.print(table)
    labels = Table(title="per label")
    for col in ("label", "support", "precision", "recall", "f1", "roc_auc"):
        labels.add_column(col, justify="left" if col == "label" else "right")
    rows = sorted(payload["labels"], key=lambda r: -r["support"])
    for r in rows[:50]:
        cells = [r.get(col) for col in ("precision", "recall", "f1", "roc_auc")]
        labels.add_row(
            str(r["label"]), str(r["support"]), *["n/a" if v is None else f"{v:.3f}" for v in cells]
        )
    out.print(labels)
    if len(rows) > 50:
        out.print(f"(50 most frequent of {len(rows)} labels; --json has them all)")
    for note in payload.get("notes", []):
        c.err_console.print(f"note: {note}")
