"""The typer application and the error boundary of the ``tagwise`` command.

Each subcommand lives in its own module (``_cv.py``, ``_train.py`` …) and registers itself on
:data:`app`; ``tagwise.cli.__init__`` imports them. Errors become one line on stderr:
``tagwise: error: …`` with exit status 1 (2 for usage errors); stdout carries only data.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
from rich.console import Console

try:  # typer ≥ 0.22 vendors click as typer._click; older typer uses click itself
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click  # type: ignore[no-redef]
from tagwise._version import __version__
from tagwise.exceptions import TagwiseError

app = typer.Typer(
    name="tagwise",
    help="Multi-label classification: train, cross-validate, evaluate, predict and serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

# Tables, progress bars and messages go to stderr so that stdout stays pure data for pipes.
err_console = Console(stderr=True)
out_console = Console()


def _version(value: bool) -> None:
    if value:
        print(f"tagwise {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Multi-label classification: train, cross-validate, evaluate, predict and serve."""


def fail(message: str) -> None:
    """Print ``tagwise: error: message`` to stderr (the CLI's one error format)."""
    print(f"tagwise: error: {message}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    print(f"tagwise: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tagwise`` command; returns the exit status."""
    import warnings

    import tagwise.cli  # noqa: F401  (registers the subcommands)

    warnings.showwarning = _show_warning  # one line per warning, no source excerpt

    try:
        result = app(
            args=list(argv) if argv is not None else None,
            prog_name="tagwise",
            standalone_mode=False,
        )
    except click.exceptions.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx is not None else "", file=sys.stderr)
        return 2
    except click.exceptions.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        fail(f"{exc.format_message()}{hint}")
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code)
    except SystemExit as exc:  # e.g. rich on a closed pipe
        return int(exc.code) if isinstance(exc.code, int) else 1
    except (typer.Abort, KeyboardInterrupt):
        fail("interrupted.")
        return 130
    except click.ClickException as exc:
        fail(exc.format_message())
        return exc.exit_code or 1
    except TagwiseError as exc:
        fail(str(exc))
        return 1
    except (OSError, ValueError, MemoryError) as exc:
        # An error we did not anticipate precisely still gets one line, never a traceback.
        fail(f"{type(exc).__name__}: {exc}")
        return 1
    except Exception as exc:
        if os.environ.get("TAGWISE_DEBUG"):
            raise
        fail(
            f"internal error ({type(exc).__name__}: {exc}); set TAGWISE_DEBUG=1 to see the "
            "traceback, and please report it."
        )
        return 1
    return int(result) if isinstance(result, int) else 0
