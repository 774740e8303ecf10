"""``tagwise inspect MODEL_DIR``: the manifest and a model card, without loading the model."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tagwise.cli._app import app


@app.command("inspect")
def inspect(
    model_dir: Path = typer.Argument(..., help="Model directory (from `tagwise train`)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the manifest and file sizes as JSON."
    ),
) -> None:
    """Print a model's card (data, metrics, labels, versions) and its manifest; reads no arrays."""
    from tagwise.io import format_card, inspect_model

    info = inspect_model(model_dir)
    if as_json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return
    print(format_card(info))
    print("## Manifest\n\n```json")
    print(json.dumps(info["manifest"], indent=2, sort_keys=True))
    print("```")
