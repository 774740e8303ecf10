"""``tagwise export MODEL_DIR --onnx model.onnx``: the model as an ONNX graph."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import typer

from tagwise.cli._app import app
from tagwise.exceptions import ConfigError


@app.command("export")
def export(
    model_dir: Path = typer.Argument(..., help="Model directory (from `tagwise train`)."),
    onnx: Path = typer.Option(None, "--onnx", help="Write the model as this ONNX file."),
    check: bool = typer.Option(
        True, help="Compare onnxruntime with tagwise on random inputs (needs onnxruntime)."
    ),
    tolerance: float = typer.Option(
        1e-5, min=0.0, help="Largest allowed |difference| for --check."
    ),
) -> None:
    """Export a saved mlp, linear or thresholded model to ONNX (features → probabilities)."""
    from tagwise.io import load_model
    from tagwise.io._onnx import check_onnx, export_onnx

    if onnx is None:
        raise ConfigError("say what to export to: --onnx FILE.onnx.")
    model = load_model(model_dir)
    path = export_onnx(model, onnx)
    print(f"wrote {path}", file=sys.stderr)
    if check:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(256, int(model.n_features_in_))).astype(np.float32)
        diff = check_onnx(model, path, X)
        print(
            f"onnxruntime vs tagwise on 256 random inputs: max |diff| = {diff:.2e}", file=sys.stderr
        )
        if diff > tolerance:
            raise ConfigError(f"the ONNX model differs from tagwise by {diff:.2e} > {tolerance:g}.")
