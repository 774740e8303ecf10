"""``tagwise compare``: several models on the same folds, mean ± std and paired tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tagwise.cli import _common as c
from tagwise.cli._app import app
from tagwise.exceptions import ConfigError, naming_labels


def _models(
    model_dirs: list[Path], names: list[str], cfg: dict[str, dict[str, Any]], dataset: Any
) -> dict[str, Any]:
    """Unfitted copies of saved models (their parameters), and named models built as
    ``tagwise cv --model NAME`` builds them (on raw text: behind the featurizer)."""
    import copy

    from sklearn.base import clone

    from tagwise.io import load_model

    models: dict[str, Any] = {}
    for path in model_dirs:
        key = path.name or str(path)
        while key in models:
            key += "'"
        models[key] = clone(load_model(path))
    for name in names:
        key = name
        while key in models:
            key += "'"
        config = copy.deepcopy(cfg)
        config["model"] = {"name": name}
        models[key] = c.build_pipeline(config, dataset)
    if not models:
        raise ConfigError(
            "nothing to compare: give model directories and/or --model NAME (at least one)."
        )
    return models


@app.command("compare")
def compare_command(
    data: Path = typer.Argument(
        ..., help="Labelled data file; every model is cross-validated on it."
    ),
    model_dirs: list[Path] = typer.Argument(
        None, help="Saved models: each is refitted fold by fold with its saved parameters."
    ),
    model: list[str] = typer.Option(None, "--model", "-m", help="A model by name (repeatable)."),
    labels: str = c.LABELS,
    label_prefix: str = c.LABEL_PREFIX,
    label_column: str = c.LABEL_COLUMN,
    label_sep: str = c.LABEL_SEP,
    text: str = c.TEXT_COLUMN,
    folds: int = typer.Option(5, "--folds", "-k", help="Iterative-stratified folds."),
    repeats: int = typer.Option(1, "--repeats", "-r", help="Repetitions with reshuffled folds."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the folds."),
    test: str = typer.Option("corrected_t", "--test", help="corrected_t, wilcoxon or t."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level of the tests."),
    json_out: bool = c.JSON_OUT,
) -> None:
    """Compare models on identical folds: mean ± std per metric, paired test against the best.

    A cell marked * is the best mean; (p<α) marks a model significantly worse than the best by a
    corrected resampled t-test (Nadeau & Bengio 2003) unless --test says otherwise.
    """
    from tagwise.model_selection import (
        MultilabelStratifiedKFold,
        RepeatedMultilabelStratifiedKFold,
        compare,
    )

    cfg = c.run_config(
        None,
        [],
        data=data,
        labels=labels,
        label_prefix=label_prefix,
        label_column=label_column,
        label_sep=label_sep,
        text_column=text,
    )
    dataset = c.load_data(cfg)
    models = _models(list(model_dirs or []), list(model or []), cfg, dataset)
    X = dataset.X if dataset.X is not None else dataset.text
    if repeats > 1:
        cv: Any = RepeatedMultilabelStratifiedKFold(folds, n_repeats=repeats, random_state=seed)
    else:
        cv = MultilabelStratifiedKFold(folds, shuffle=True, random_state=seed)
    total = len(models) * folds * repeats
    with (
        c.progress(f"comparing {len(models)} models", total=total) as update,
        naming_labels(dataset.label_names),
    ):
        done = [0]

        def step(name: str, fold: int) -> None:
            update(done[0], total)
            done[0] += 1

        result = compare(models, X, dataset.Y, cv=cv, test=test, alpha=alpha, progress=step)
    if json_out:
        c.emit_json({"data": dataset.summary(), "models": list(models), **result.to_dict()})
        return
    _print(result, dataset.name, folds, repeats)


def _print(result: Any, name: str, folds: int, repeats: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{name} — {folds}×{repeats} folds, {result.test} test vs the best")
    table.add_column("metric")
    for model in result.models:
        table.add_column(model, justify="right")
    for metric in result.metrics:
        arrow = "↑" if result.higher_is_better[metric] else "↓"
        table.add_row(f"{metric} {arrow}", *[result._cell(metric, m) for m in result.models])
    Console().print(table)
    Console().print(f"* best mean; (p<α): significantly worse than the best at α={result.alpha}")
