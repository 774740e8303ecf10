"""The ``tagwise`` command line. One subcommand per module; each only translates into a library call."""

from tagwise.cli._app import app, main

# Importing a command module registers its subcommand(s) on ``app``.
from tagwise.cli import _compare, _cv, _datasets, _evaluate, _export, _inspect, _predict, _serve, _train  # noqa: E402,F401  isort: skip

__all__ = ["app", "main"]
