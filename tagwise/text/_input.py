"""Checks for raw-text input: a sequence of strings, one per sample."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from tagwise.exceptions import DataFormatError, located

__all__ = ["check_texts", "decode_utf8", "read_texts"]


def check_texts(X: Any, *, name: str = "X") -> list[str]:
    """Validate raw texts and return them as a list of ``str``.

    Accepts a list, tuple, 1-D array or pandas Series of strings (UTF-8 ``bytes`` are decoded).
    Empty and whitespace-only texts are valid samples. A bare string, a 2-D array, ``None`` or a
    non-string item is an error that names the position.

    Parameters
    ----------
    X : sequence of str of length n_samples

    Returns
    -------
    texts : list of str of length n_samples
    """
    if isinstance(X, (str, bytes)):
        raise DataFormatError(
            f"{name} is a single string; text models take a list of texts, e.g. [text]."
        )
    if hasattr(X, "to_numpy") and hasattr(X, "ndim") and X.ndim == 1:  # pandas Series
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        elif X.ndim != 1:
            raise DataFormatError(
                f"{name} has shape {X.shape}; text models take a 1-D sequence of texts."
            )
        X = X.tolist()
    try:
        items = list(X)
    except TypeError:
        raise DataFormatError(
            f"{name} of type {type(X).__name__} is not a sequence of texts."
        ) from None
    if not items:
        raise DataFormatError(f"{name} has 0 texts; at least 1 is required.")
    out: list[str] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, bytes):
            try:
                out.append(item.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise DataFormatError(
                    f"{name}[{i}] is not valid UTF-8 (byte {exc.start}: "
                    f"{item[exc.start : exc.start + 1]!r}); "
                    "decode it with the right encoding first."
                ) from None
        else:
            raise DataFormatError(
                f"{name}[{i}] is {type(item).__name__} ({item!r:.40}), not a text; text models "
                "take strings (use '' for an empty text)."
            )
    return out


def decode_utf8(raw: bytes, path: Any) -> str:
    """``raw`` decoded as UTF-8; a DataFormatError naming ``path:line`` of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = raw[exc.start : exc.start + 1]
        raise DataFormatError(
            located(
                path,
                line,
                f"not valid UTF-8 (byte {bad!r} at column {column}); re-save the "
                "file as UTF-8 or convert it, e.g. `iconv -f latin1 -t utf-8`.",
            )
        ) from None


def read_texts(
    path: str | os.PathLike[str], *, column: str = "text", id_column: str = "id"
) -> tuple[list[str], list[str] | None]:
    """Texts to predict from a file, and their ids when the file has an ``id_column``.

    ``.txt``: one text per line (empty lines are empty texts). ``.jsonl``, ``.csv``, ``.tsv``,
    ``.parquet``: the ``column`` field of every row.

    Returns
    -------
    texts : list of str of length n_samples
    ids : list of str of length n_samples, or None
    """
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        content = decode_utf8(path.read_bytes(), path)
        if suffix in (".csv", ".tsv"):
            sep = "\t" if suffix == ".tsv" else ","
            frame = pd.read_csv(io.StringIO(content), sep=sep, dtype=str, keep_default_na=False)
        elif suffix in (".jsonl", ".ndjson"):
            rows = []
            for lineno, line in enumerate(content.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataFormatError(
                        located(path, lineno, f"not valid JSON ({exc.msg}).")
                    ) from None
            frame = pd.DataFrame(rows)
        else:  # plain text
            lines = content.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            return [line.removesuffix("\r") for line in lines], None
    if column not in frame.columns:
        raise DataFormatError(
            f"{path}: no text column {column!r}; the columns are {list(frame.columns)[:10]}."
        )
    texts = check_texts(frame[column].tolist(), name=f"{path}: column {column!r}, row")
    ids = [str(v) for v in frame[id_column].tolist()] if id_column in frame.columns else None
    return texts, ids
