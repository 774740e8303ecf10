"""``tagwise datasets list|info|fetch``: the benchmark dataset registry from the command line.

stdout carries data only (a TSV table, JSON, or the installed folder); messages go to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from tagwise.cli._app import app, err_console

datasets_app = typer.Typer(
    help="Benchmark datasets: list them, show one, install one into the data home.",
    no_args_is_help=True,
)
app.add_typer(datasets_app, name="datasets")

HOME = typer.Option(
    None, "--data-home", help="Data home (default $TAGWISE_DATA, else ~/.cache/tagwise/datasets)."
)


@datasets_app.command("list")
def list_command(
    data_home: Path = HOME,
    json_out: bool = typer.Option(False, "--json", help="JSON on stdout instead of TSV."),
) -> None:
    """Every registered dataset: splits, sizes, labels, and whether it is installed."""
    from tagwise.data._fetch import installed
    from tagwise.data._registry import REGISTRY

    rows = []
    for name, info in sorted(REGISTRY.items()):
        rows.append(
            {
                "name": name,
                "format": info.kind,
                "splits": ",".join(f"{k}={v}" for k, v in info.n_samples.items()),
                "n_features": info.n_features if info.n_features is not None else "text",
                "n_labels": info.n_labels,
                "installed": installed(name, data_home),
            }
        )
    if json_out:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    sys.stdout.write("\t".join(rows[0]) + "\n")
    for row in rows:
        sys.stdout.write(
            "\t".join(str(v).lower() if isinstance(v, bool) else str(v) for v in row.values())
            + "\n"
        )


@datasets_app.command("info")
def info_command(
    name: str = typer.Argument(..., help="Dataset name (see `tagwise datasets list`)."),
    data_home: Path = HOME,
) -> None:
    """Description, files with sha256, splits, source and citation of one dataset (JSON)."""
    from tagwise.data._fetch import installed
    from tagwise.data._registry import data_home as home_of
    from tagwise.data._registry import get_info

    info = get_info(name)
    payload = info.summary()
    payload["installed"] = installed(info.name, data_home)
    payload["path"] = str(home_of(data_home) / info.name)
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


@datasets_app.command("fetch")
def fetch_command(
    names: list[str] = typer.Argument(..., help="Dataset name(s), or 'all'."),
    source: Path = typer.Option(
        None, "--from", help="Copy from this mirror directory instead of downloading."
    ),
    data_home: Path = HOME,
    force: bool = typer.Option(False, "--force", help="Fetch again even if installed."),
) -> None:
    """Install dataset(s) into the data home, verifying every sha256; prints each folder."""
    from tagwise.data._fetch import fetch
    from tagwise.data._registry import REGISTRY, get_info

    if names == ["all"]:
        names = sorted(REGISTRY)
    for name in names:
        get_info(name)  # unknown names fail before anything is copied
    for name in names:
        folder = fetch(
            name,
            source=source,
            home=data_home,
            force=force,
            progress=lambda msg: err_console.print(f"[dim]{msg}[/dim]"),
        )
        err_console.print(f"{name}: installed, checksums verified")
        sys.stdout.write(f"{folder}\n")
