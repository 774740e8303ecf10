"""The ``tagwise`` command line: one subcommand per module, each a thin call into the library."""

from tagwise.cli._app import app, main

# Importing a command module registers its subcommand(s) on ``app``.
from tagwise.cli import (  # noqa: F401  isort: skip
    _compare,
    _cv,
    _datasets,
    _evaluate,
    _export,
    _inspect,
    _predict,
    _serve,
    _train,
)

__all__ = ["app", "main"]
