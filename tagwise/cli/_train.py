"""``tagwise train``: fit a model on a data file and save it as a model directory."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import typer

from tagwise.cli import _common as c
from tagwise.cli._app import app, err_console
from tagwise.exceptions import naming_labels


@app.command("train")
def train_command(
    data: Path = typer.Argument(
        None, help="Training data file; omit for the built-in reference problem."
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Model directory to write (replaced atomically)."
    ),
    labels: str = c.LABELS,
    label_prefix: str = c.LABEL_PREFIX,
    label_column: str = c.LABEL_COLUMN,
    label_sep: str = c.LABEL_SEP,
    text: str = c.TEXT_COLUMN,
    model: str = c.MODEL,
    config: Path = c.CONFIG,
    set_: list[str] = c.SET,
    thresholds: str = typer.Option(
        None,
        "--thresholds",
        help="Threshold strategy tuned on out-of-fold scores of the training data: 'per_label', "
        "'calibrated', 'global', 'top_k:3', 'cardinality', 'fixed:0.3' … (default: the model's "
        "0.5; raw text: 'calibrated').",
    ),
    at_least_one: bool = typer.Option(
        None, "--at-least-one/--allow-empty", help="Always predict at least one label."
    ),
    json_out: bool = c.JSON_OUT,
) -> None:
    """Train a model and save it (manifest JSON + safetensors; the resolved config travels with it).

    Models: auto (default: chosen from the data's shape, and says why), mlp (neural network),
    linear, br, chain, ecc, lp, rakel, mlknn, transformer (fine-tuned text encoder).
    Parameters via --set model.KEY=VALUE, e.g. --set model.epochs=50.
    """
    from tagwise.io import save_model

    cfg = c.run_config(
        config,
        set_,
        data=data,
        model=model,
        labels=labels,
        label_prefix=label_prefix,
        label_column=label_column,
        label_sep=label_sep,
        text_column=text,
    )
    if thresholds is not None:
        cfg["train"]["thresholds"] = thresholds
    if at_least_one is not None:
        cfg["train"]["at_least_one"] = at_least_one
    dataset = c.load_data(cfg)
    estimator = c.build_pipeline(cfg, dataset)
    X = dataset.X if dataset.X is not None else dataset.text
    epochs = getattr(estimator, "epochs", None)
    t0 = time.perf_counter()
    with (
        c.progress(f"training {cfg['model'].get('name', 'mlp')}", total=epochs) as update,
        naming_labels(dataset.label_names),
    ):
        if hasattr(estimator, "fit_many") and epochs:
            rows = [np.arange(dataset.n_samples)]
            estimator = estimator.fit_many(
                X, dataset.Y, rows, on_epoch=lambda e: update(e, epochs)
            )[0]
        else:
            estimator.fit(X, dataset.Y)
    fit_seconds = time.perf_counter() - t0
    estimator.classes_ = np.asarray(dataset.label_names, dtype=object)
    if dataset.X is not None:  # saved in the manifest; predict matches file columns by name
        estimator.feature_names_in_ = np.asarray(dataset.feature_names, dtype=object)
    explanation = getattr(estimator, "explanation_", None)
    if explanation:
        err_console.print(f"model: {explanation}")
    # The model card (`tagwise inspect`) shows these; feature names and the input kind travel in
    # the manifest's feature schema.
    metadata = {
        "dataset": {**dataset.summary(), "source": cfg["data"].get("path", "reference problem")},
        "description": f"tagwise train --model {cfg['model'].get('name')}",
        "fit_seconds": round(fit_seconds, 3),
    }
    save_model(estimator, output, config=cfg, metadata=metadata)
    summary = {"model_dir": str(output), "model": type(estimator).__name__, **metadata}
    if json_out:
        c.emit_json(summary)
    else:
        inputs = (
            f"{dataset.n_samples} texts"
            if dataset.X is None
            else f"{dataset.n_samples} samples × {dataset.n_features} features"
        )
        err_console.print(
            f"trained {type(estimator).__name__} on {inputs}, {dataset.n_labels} labels in "
            f"{fit_seconds:.2f} s → {output}"
        )
