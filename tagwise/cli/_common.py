"""Pieces shared by the CLI commands: data options, config resolution, model building, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from tagwise.cli._app import err_console
from tagwise.config import resolve_config
from tagwise.data import Dataset
from tagwise.exceptions import ConfigError

# Typer option declarations reused by several commands (one definition → one behaviour).
LABELS = typer.Option(
    None, "--labels", help="Label columns, comma-separated (e.g. 'a,b,c'); ARFF: a count or names."
)
LABEL_PREFIX = typer.Option(
    None, "--label-prefix", help="Label columns are those whose names start with this."
)
LABEL_COLUMN = typer.Option(
    None, "--label-column", help="One column of delimited tags or JSON lists."
)
LABEL_SEP = typer.Option(
    None, "--label-sep", help="Delimiter of tags in --label-column (default '|')."
)
TEXT_COLUMN = typer.Option(None, "--text", help="Column with raw text (text models).")
MODEL = typer.Option(
    None, "--model", "-m", help="Model name (see `tagwise train --help`); default: auto."
)
CONFIG = typer.Option(None, "--config", "-c", help="Run config (TOML, YAML or JSON).", exists=False)
SET = typer.Option(
    None, "--set", "-s", help="Override a config value: SECTION.KEY=VALUE (repeatable)."
)
JSON_OUT = typer.Option(
    False, "--json", help="Print machine-readable JSON on stdout instead of tables."
)


# `linear` on raw text (what `-m auto` picks for it), unless model.loss is set. Chosen on two
# training-side hold-outs (`python benchmarks/text_cli_model.py`): it beat the logistic default
# (C=1) in every F1 on both, by 0.058 micro-F1 on Reuters' raw training file and by 0.036
# macro-F1 on GoEmotions' dev split; larger C (squared hinge C>=0.5, logistic C=4, 16) lost
# to it on GoEmotions, and C=0.1 lost to it on Reuters.
TEXT_MODEL: dict[str, Any] = {"loss": "squared_hinge", "C": 0.25}


def run_config(
    config: Path | None,
    overrides: list[str] | None,
    *,
    data: Path | None = None,
    model: str | None = None,
    **data_options: Any,
) -> dict[str, dict[str, Any]]:
    """Resolve defaults < config file < --set, then the explicit command-line flags on top."""
    resolved = resolve_config(config, overrides or [])
    if data is not None:
        resolved["data"]["path"] = str(data)
    for key, value in data_options.items():
        if value is not None:
            resolved["data"][key] = value
    if model is not None:
        resolved["model"]["name"] = model
    return resolved


def load_data(config: dict[str, dict[str, Any]]) -> Dataset:
    """The Dataset the config's [data] section names; the built-in reference problem if none."""
    from tagwise.data import read, reference_problem

    options = dict(config["data"])
    path = options.pop("path", None)
    if path is None:
        return reference_problem()
    return read(path, **options)


def build_model(config: dict[str, dict[str, Any]], dataset: Dataset) -> Any:
    """An unfitted estimator from the config's [model] section.

    ``name = "auto"`` (the default) picks a model from the data's shape
    (:func:`tagwise.models.choose_model`), says which and why on stderr, and records the choice
    in the resolved config so the run can be repeated exactly. ``linear`` on raw text without a
    ``loss`` is :data:`TEXT_MODEL` (squared hinge, C=0.25), not the logistic default.
    """
    from tagwise.models import make_model

    params = dict(config["model"])
    name = params.pop("name", "auto")
    if name == "auto":
        from tagwise.models import choose_model

        if dataset.X is None:
            name = "linear"  # said below, with the text model's parameters
        else:
            name, chosen, reason = choose_model(dataset.X, dataset.Y)
            params = {**chosen, **params}
            err_console.print(f"model: {name} — {reason}", soft_wrap=True, highlight=False)
    if name == "linear" and dataset.X is None and "loss" not in params:
        params = {**TEXT_MODEL, **params}
        err_console.print(
            f"model: linear — raw text: TF-IDF features with a linear SVM per label (squared "
            f"hinge, C={params['C']}); its scores are sigmoid(margin), not calibrated "
            "probabilities (--set model.loss=logistic for the logistic model)",
            soft_wrap=True,
            highlight=False,
        )
    config["model"].update(params, name=name)  # the resolved config records the choice
    model = make_model(name, **params)
    if "random_state" in model.get_params() and "random_state" not in params:
        # the run's seed ([cv] random_state) seeds the model too, and the resolved config
        # records it: the same command, or the saved config.json, gives the same model
        model.set_params(random_state=config["cv"].get("random_state"))
        config["model"]["random_state"] = config["cv"].get("random_state")
    return model


def with_decision_rule(estimator: Any, config: dict[str, dict[str, Any]]) -> Any:
    """``estimator`` behind the [train] section's decision rule (``thresholds`` tuned on
    out-of-fold scores of ``threshold_folds`` folds, default 3; ``at_least_one``), or unchanged
    when the section sets none: ``tagwise train`` and ``tagwise cv`` build the same pipeline
    from one config."""
    train = config["train"]
    strategy = train.get("thresholds")
    if strategy is None and not train.get("at_least_one"):
        return estimator
    from tagwise.thresholds import ThresholdedClassifier

    folds = train.get("threshold_folds", 3)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ConfigError(f"train.threshold_folds={folds!r}: expected a whole number >= 2.")
    return ThresholdedClassifier(
        estimator,
        strategy=strategy or "fixed",
        at_least_one=bool(train.get("at_least_one", False)),
        cv=folds,
        random_state=config["cv"].get("random_state"),
    )


def needs_featurizer(estimator: Any, dataset: Dataset) -> bool:
    """Raw-text data for a model that takes features (not a text-native one: ``transformer``)."""
    return dataset.X is None and getattr(estimator, "_artifact_input", "features") != "text"


def text_decision_defaults(
    cfg: dict[str, dict[str, Any]], dataset: Dataset, estimator: Any
) -> None:
    """Raw text without a decision rule in the config (``tagwise train`` and ``tagwise cv``
    alike): every label's out-of-fold scores Platt-scaled, then one threshold on the calibrated
    scores (the ``calibrated`` strategy), and at least one label per text when every training
    text has one.

    A regularised linear model on TF-IDF rarely gives a rare label a score of 0.5, and its
    margins mean different things for different labels. On a hold-out third of Reuters' raw
    training file the CLI's text model scores micro-F1 0.822 at 0.5, 0.871 with one tuned
    threshold and 0.883 calibrated; on GoEmotions' dev split 0.573 / 0.469 macro-F1 with one
    threshold, 0.572 / 0.475 calibrated (``python benchmarks/text_cli_default.py --data reuters
    goemotions``). Text-native models (fine-tuning) keep 0.5: tuning would fine-tune them once
    per fold.
    """
    if not needs_featurizer(estimator, dataset):
        return
    train = cfg["train"]
    if train.get("thresholds") is None:
        train["thresholds"] = "calibrated"
        if train.get("at_least_one") is None:
            train["at_least_one"] = bool(np.asarray(dataset.Y.sum(axis=1)).ravel().min() > 0)
        err_console.print(
            "thresholds: per-label Platt scaling and one threshold, tuned on out-of-fold scores "
            "of the training texts"
            + (", at least one label per text" if train["at_least_one"] else "")
            + " (--set train.thresholds=fixed:0.5 keeps 0.5)",
            soft_wrap=True,
            highlight=False,
        )


def for_input(estimator: Any, config: dict[str, dict[str, Any]], dataset: Dataset) -> Any:
    """For raw-text data, ``estimator`` behind the [featurizer] section's featurizer (default
    TF-IDF); text-native models (e.g. ``transformer``) and feature data are returned unchanged."""
    if not needs_featurizer(estimator, dataset):
        return estimator
    from tagwise.text import make_featurizer, text_pipeline

    if "featurizer" in config["train"]:  # where the name lived before [featurizer] existed
        raise ConfigError(
            f"train.featurizer={config['train']['featurizer']!r} is now featurizer.name "
            "(--set featurizer.name=...; [featurizer] name = ... in a config file)."
        )
    return text_pipeline(estimator, make_featurizer(**config["featurizer"]))


def build_pipeline(config: dict[str, dict[str, Any]], dataset: Dataset) -> Any:
    """What ``tagwise train`` fits and ``tagwise cv`` cross-validates, from one config: the
    [model] behind the [train] decision rule (or the raw-text default), behind the [featurizer]
    when the data is raw text."""
    model = build_model(config, dataset)
    text_decision_defaults(config, dataset, model)
    return for_input(with_decision_rule(model, config), config, dataset)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar on stderr; yields ``update(done, total)``."""
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(
        *columns, console=err_console, transient=True, disable=not err_console.is_terminal
    ) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def emit_json(payload: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
