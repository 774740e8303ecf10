"""The tagwise error tree.

Every error a user can cause derives from :class:`TagwiseError`; those about bad values also
derive from :class:`ValueError` so generic ``except ValueError`` code keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DataFormatError",
    "LabelWarning",
    "MissingDependencyError",
    "ModelFormatError",
    "TagwiseError",
    "did_you_mean",
    "located",
]


class TagwiseError(Exception):
    """Base class of every error tagwise raises on purpose."""


class DataFormatError(TagwiseError, ValueError):
    """Input data is malformed. The message names ``path:line`` where there is a file."""


class ModelFormatError(TagwiseError, ValueError):
    """A model directory is missing, damaged, hostile or from an unsupported format version."""


class ConfigError(TagwiseError, ValueError):
    """A parameter, config file or ``--set`` override is invalid."""


class MissingDependencyError(TagwiseError, ImportError):
    """An optional dependency is not installed; the message names the pip command."""


class LabelWarning(UserWarning):
    """Something about the labels deserves attention but is not an error (e.g. an unseen label)."""


def located(path: object, line: int | None, message: str) -> str:
    """Format ``message`` prefixed with ``path:line`` (or just ``path``) for data errors."""
    where = f"{path}:{line}" if line is not None else f"{path}"
    return f"{where}: {message}"


def did_you_mean(value: object, choices: Iterable[object]) -> str:
    """`` Did you mean 'x'?`` for the closest of ``choices`` (case-insensitive: "c" suggests
    "C"), or an empty string when none is close."""
    import difflib

    lowered = {str(c).lower(): c for c in choices}
    close = difflib.get_close_matches(str(value).lower(), list(lowered), n=1, cutoff=0.5)
    return f" Did you mean {lowered[close[0]]!r}?" if close else ""
