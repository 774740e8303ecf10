"""The tagwise error tree.

Every error a user can cause derives from :class:`TagwiseError`; those about bad values also
derive from :class:`ValueError` so generic ``except ValueError`` code keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ConfigError",
    "DataFormatError",
    "LabelWarning",
    "MissingDependencyError",
    "ModelFormatError",
    "TagwiseError",
    "describe_labels",
    "did_you_mean",
    "located",
    "naming_labels",
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


# Label names for warnings raised deep inside estimators, which only see 0/1 matrices.
_LABEL_NAMES: ContextVar[tuple[str, ...] | None] = ContextVar("tagwise_label_names", default=None)


@contextmanager
def naming_labels(names: Sequence[object]) -> Iterator[None]:
    """Within the block, :class:`LabelWarning` messages about a label matrix with
    ``len(names)`` columns name its labels instead of giving column numbers.

    The CLI wraps its fits and metrics in this, so that e.g. "never occur in training" names
    "cotton-oil" rather than "column 4". A matrix of another width (a subset of the labels, as
    inside RAkEL) keeps column numbers: a name is never attached to the wrong column.
    """
    token = _LABEL_NAMES.set(tuple(str(n) for n in names))
    try:
        yield
    finally:
        _LABEL_NAMES.reset(token)


def describe_labels(
    columns: Sequence[int] | np.ndarray,
    n_labels: int,
    *,
    counts: Sequence[int] | np.ndarray | None = None,
    names: Sequence[object] | np.ndarray | None = None,
    limit: int = 10,
) -> str:
    """The first ``limit`` of ``columns`` of an ``n_labels``-column label matrix for a message:
    ``"cotton-oil (1), rye (2) and 3 more"``, or ``"columns 4 (1), 7 (2) and 3 more"`` where no
    names are known. ``names`` (one per column) wins over those of :func:`naming_labels`;
    ``counts`` (one per column of the matrix) adds a bracketed figure after each label.
    """
    if names is None:
        names = _LABEL_NAMES.get()
    labels = [str(n) for n in names] if names is not None and len(names) == n_labels else None
    shown = [
        (labels[j] if labels is not None else str(int(j)))
        + (f" ({int(counts[j])})" if counts is not None else "")
        for j in columns[:limit]
    ]
    more = f" and {len(columns) - limit} more" if len(columns) > limit else ""
    prefix = "" if labels is not None else "column " if len(columns) == 1 else "columns "
    return prefix + ", ".join(shown) + more
