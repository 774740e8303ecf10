"""``tagwise predict``: label names with probabilities for a row, a file, or stdin."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from tagwise.cli import _common as c
from tagwise.cli._app import app
from tagwise.exceptions import DataFormatError


@app.command("predict")
def predict_command(
    model_dir: Path = typer.Argument(..., help="Model directory written by `tagwise train`."),
    inputs: str = typer.Argument(
        ...,
        help="A data file, '-' for rows on stdin, or one row of feature values, e.g. '[3, 3, 6]'.",
    ),
    threshold: float = typer.Option(
        None, "--threshold", "-t", help="Override the model's thresholds."
    ),
    top_k: int = typer.Option(
        None, "--top-k", "-k", help="Return the k highest-scoring labels instead."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="JSON Lines on stdout: one object per row."
    ),
    output: Path = typer.Option(
        None, "--output", "-o", help="Write predictions to a file (.csv/.tsv/.jsonl/.parquet)."
    ),
) -> None:
    """Predict the labels of new samples, with their scores (probabilities for most models)."""
    from tagwise.io import load_model, read_manifest

    manifest = read_manifest(model_dir)
    model = load_model(model_dir)
    if output is not None and Path(inputs).is_file():
        _predict_to_file(model, manifest, Path(inputs), output, threshold=threshold, top_k=top_k)
        return
    X, ids = _read_inputs(inputs, manifest)
    rows = model.predict_labels(X, threshold=threshold, top_k=top_k)
    ids = ids or [str(i) for i in range(len(rows))]
    if json_out:
        for row_id, labels in zip(ids, rows):
            record = {
                "id": row_id,
                "labels": [name for name, _ in labels],
                "scores": {name: round(p, 6) for name, p in labels},
            }
            sys.stdout.write(json.dumps(record) + "\n")
        return
    table = Table(title=f"predictions of {model_dir}")
    table.add_column("row")
    table.add_column("labels (score)")
    for row_id, labels in zip(ids, rows):
        shown = ", ".join(f"{name} ({p:.3f})" for name, p in labels) or "—"
        table.add_row(row_id, shown)
    Console().print(table)


def _n_features(manifest: dict[str, Any]) -> int:
    return int(manifest.get("n_features_in") or 0)


def _schema(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest's feature schema: ``input`` ("features" or "text") and ``feature_names``."""
    return manifest.get("feature_schema") or {}


def _read_inputs(inputs: str, manifest: dict[str, Any]) -> tuple[Any, list[str] | None]:
    """The feature matrix (or texts) and row ids described by the ``inputs`` argument."""
    from tagwise.data import read_features

    text_model = _schema(manifest).get("input") == "text"
    if inputs == "-":
        lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
        if not lines:
            raise DataFormatError("<stdin>: no rows to predict.")
        if text_model:
            return lines, None
        return np.vstack(
            [
                _parse_row(line, _n_features(manifest), f"<stdin>:{i}")
                for i, line in enumerate(lines, start=1)
            ]
        ), None
    path = Path(inputs)
    if path.is_file() and text_model:
        from tagwise.text import read_texts  # .txt: one text per line; tables: the text column

        return read_texts(path)
    if path.is_file():
        return read_features(path, _schema(manifest).get("feature_names"))
    if text_model:
        return [inputs], None
    return _parse_row(inputs, _n_features(manifest), "row")[None, :], None


_NUMBER_SEP = re.compile(r"[,\s;]+")


def _parse_row(text: str, n_features: int, where: str) -> np.ndarray:
    """``"[3, 3, 6]"``, ``"3,3,6"`` or ``"3 3 6"`` → float array of length n_features."""
    body = text.strip().removeprefix("[").removesuffix("]").strip()
    if not body:
        raise DataFormatError(f"{where}: empty row; expected {n_features} feature values.")
    parts = [p for p in _NUMBER_SEP.split(body) if p]
    try:
        values = np.array([float(p) for p in parts])
    except ValueError:
        bad = next(p for p in parts if not _is_float(p))
        raise DataFormatError(
            f"{where}: {bad!r} is not a number; a row is {n_features} numbers like "
            "'[3, 3, 6, ...]'. "
            "(To predict from a file, check that the path exists.)"
        ) from None
    if len(values) != n_features:
        raise DataFormatError(
            f"{where}: the row has {len(values)} values but the model expects "
            f"{n_features} features."
        )
    if not np.isfinite(values).all():
        raise DataFormatError(f"{where}: the row contains NaN or infinity.")
    return values.astype(np.float32)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _predict_to_file(
    model: Any, manifest: dict[str, Any], src: Path, dst: Path, **options: Any
) -> None:
    """Stream a big file through the model in chunks and write the predictions atomically."""
    from tagwise.io import predict_file  # streaming + atomic write (tagwise.io)

    with c.progress(f"predicting {src.name}") as update:
        predict_file(
            model,
            src,
            dst,
            progress=update,
            **options,
        )
