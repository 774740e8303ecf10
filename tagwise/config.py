"""Run configuration: defaults < config file (TOML, or YAML via safe_load) < ``--set key=value``.

A config has five sections::

    [data]        path, labels, label_prefix, label_column, label_sep, text_column, format
    [model]       name (a tagwise.models.MODEL_NAMES key; default auto) and that model's parameters
    [featurizer]  raw text only: name (tfidf, embedding, combined; default tfidf) and its parameters
    [cv]          n_splits, n_repeats, random_state, n_jobs
    [train]       threshold strategy options and anything a command adds

The resolved config is saved in the model directory (``config.json``) so a run can be repeated:
``tagwise train --config MODEL_DIR/config.json``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tagwise.exceptions import ConfigError

__all__ = ["DEFAULTS", "SECTIONS", "load_config", "parse_override", "resolve_config"]

SECTIONS = ("data", "model", "featurizer", "cv", "train")

DEFAULTS: dict[str, dict[str, Any]] = {
    "data": {},
    "model": {"name": "auto"},
    "featurizer": {},
    "cv": {"n_splits": 10, "n_repeats": 3, "random_state": 1, "n_jobs": None},
    "train": {},
}


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML (``.toml``), YAML (``.yaml``/``.yml``, safe loader) or JSON config file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found.")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib  # type: ignore[no-redef]
            config = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ModuleNotFoundError:
                raise ConfigError(
                    f"{path}: reading YAML needs PyYAML: pip install pyyaml"
                ) from None
            config = yaml.safe_load(text) or {}
        elif suffix == ".json":
            config = json.loads(text)
        else:
            raise ConfigError(
                f"{path}: unknown config format {suffix!r}; use .toml, .yaml or .json."
            )
    except ConfigError:
        raise
    except Exception as exc:  # each parser has its own error type; all mean "malformed file"
        line = getattr(exc, "lineno", None) or getattr(
            getattr(exc, "problem_mark", None), "line", None
        )
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: malformed config: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(
            f"{path}: a config must be a table of sections, got {type(config).__name__}."
        )
    _check_sections(config, str(path))
    return config


def _check_sections(config: Mapping[str, Any], where: str) -> None:
    for key, value in config.items():
        if key not in SECTIONS:
            raise ConfigError(
                f"{where}: unknown section [{key}]; sections are {', '.join(SECTIONS)}."
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [{key}] must be a table of key = value entries.")


def parse_override(item: str) -> tuple[str, str, Any]:
    """``"model.epochs=50"`` → ``("model", "epochs", 50)``; the value is read as JSON when it
    parses (numbers, true/false, null, lists) and as a string otherwise."""
    key, sep, raw = item.partition("=")
    section, dot, name = key.strip().partition(".")
    if not sep or not dot or not name:
        raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. model.epochs=50.")
    if section not in SECTIONS:
        raise ConfigError(
            f"--set {item!r}: unknown section {section!r}; sections are {', '.join(SECTIONS)}."
        )
    raw = raw.strip()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return section, name, value


def resolve_config(
    path: str | Path | None = None,
    overrides: Iterable[str] = (),
    *,
    base: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Merge defaults (``base`` or :data:`DEFAULTS`), the file at ``path`` and ``overrides``."""
    config: dict[str, dict[str, Any]] = {
        section: dict(values) for section, values in copy.deepcopy(dict(base or DEFAULTS)).items()
    }
    for section in SECTIONS:
        config.setdefault(section, {})
    if path is not None:
        for section, values in load_config(path).items():
            config[section].update(values)
    for item in overrides:
        section, name, value = parse_override(item)
        config[section][name] = value
    return config
