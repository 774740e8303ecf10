"""Tabular files (CSV, TSV, Parquet, JSONL) → :class:`Dataset`, and feature rows for prediction.

Labels come in one of three shapes: (a) 0/1 columns, named (``labels=["a", "b"]``) or by a name
prefix (``label_prefix="tag_"``); (b) one column of delimited tags (``"sports|politics"``);
(c) one column of JSON lists (``["sports", "politics"]``, or real lists in JSONL/Parquet).
Every other column is a feature: numbers stay numbers, an all-text column is one-hot encoded with
feature names ``column=value`` (so the mapping travels with the model's feature names and
:func:`read_features` can rebuild it at prediction time), and anything else is a
:class:`DataFormatError` that names ``path:line``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tagwise.data._dataset import Dataset
from tagwise.data._labels import LabelSpace, _split
from tagwise.data._tabsource import Table, load_table
from tagwise.exceptions import DataFormatError

__all__ = ["features_from_table", "read_features_tabular", "read_tabular"]

_TRUE = {"1", "true", "1.0", "yes"}
_FALSE = {"0", "false", "0.0", "no"}
_AUTO_LABEL_COLUMNS = ("labels", "tags", "label")
_AUTO_ID_COLUMNS = ("id", "ID", "Id")


def read_tabular(
    path: str | Path,
    *,
    labels: Sequence[str] | str | None = None,
    label_prefix: str | None = None,
    label_column: str | None = None,
    label_sep: str = "|",
    label_names: Sequence[str] | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
    categorical: Sequence[str] | bool = True,
    allow_nan: bool = False,
    format: str | None = None,
    sep: str | None = None,
    header: bool = True,
    sparse_labels: bool | None = None,
) -> Dataset:
    """Read a CSV/TSV/Parquet/JSONL file into a :class:`Dataset`.

    Parameters
    ----------
    path : file path (``.csv``, ``.tsv``, ``.parquet``, ``.jsonl``; ``.gz`` for text formats)
    labels : names of 0/1 label columns, as a list or a comma-separated string
    label_prefix : every column whose name starts with this is a 0/1 label column; the label
        name is the column name without the prefix
    label_column : one column of delimited tags (``label_sep``) or JSON lists
    label_names : with ``label_column``: the label space in column order (unknown tags are an
        error); default all tags seen, sorted
    text_column : a column of raw text, kept as ``Dataset.text``; X is then None unless
        ``feature_columns`` are given
    id_column : a column of row ids (default: a column named ``id`` if there is one)
    feature_columns : the feature columns (default: every column not used otherwise)
    categorical : True to one-hot encode columns of text values, False to reject them, or the
        names of the columns to one-hot encode
    allow_nan : keep NaN/inf/missing feature values instead of raising
    format, sep, header : override the format detected from the extension, the delimiter, and
        whether the first row names the columns

    Returns
    -------
    Dataset with X float32 of shape (n_samples, n_features) (or None for text data), Y int64
    of shape (n_samples, n_labels), dense or CSR (CSR above 100 labels unless ``sparse_labels``).
    """
    table = load_table(path, format=format, sep=sep, header=header)
    df = table.frame
    if id_column is None:
        id_column = next((c for c in _AUTO_ID_COLUMNS if c in df.columns), None)
    _require_columns(table, [c for c in (text_column, id_column) if c is not None], "column")
    label_cols, label_kind = _resolve_label_spec(table, labels, label_prefix, label_column)
    if label_kind == "indicator":
        Y = np.column_stack([_indicator(table, c) for c in label_cols])
        names = [c[len(label_prefix) :] or c for c in label_cols] if label_prefix else label_cols
    else:
        Y, names = _tags(table, label_cols[0], label_sep, label_names)
    if sparse_labels is None:
        sparse_labels = Y.shape[1] > 100
    Y = _as_sparse(Y) if sparse_labels else _as_dense(Y)

    used = set(label_cols) | {text_column, id_column}
    if feature_columns is not None:
        feature_columns = _names(feature_columns)
        _require_columns(table, feature_columns, "feature column")
    elif text_column is None:
        feature_columns = [c for c in df.columns if c not in used]
        if not feature_columns:
            raise DataFormatError(
                f"{table.path}: no feature columns left after the label/id columns; columns are "
                f"{_show(df.columns)}. Give a text_column for text data."
            )
    X: np.ndarray | None = None
    feature_names: list[str] = []
    if feature_columns:
        X, feature_names = _features(table, feature_columns, categorical, allow_nan)
    text = None if text_column is None else _text(table, text_column)
    ids = None if id_column is None else [str(v) for v in df[id_column].tolist()]
    return Dataset(
        X=X,
        Y=Y,
        label_names=[str(n) for n in names],
        feature_names=feature_names,
        text=text,
        ids=ids,
        name=Path(path).name,
    )


def read_features_tabular(
    path: str | Path,
    feature_names: Sequence[str] | None = None,
    *,
    labels: Sequence[str] | str | None = None,
    label_prefix: str | None = None,
    label_column: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    allow_nan: bool = False,
    format: str | None = None,
    sep: str | None = None,
    header: bool = True,
) -> tuple[Any, list[str] | None]:
    """Feature rows of a tabular file for prediction: ``(X, ids)``; labels, if present, ignored.

    With ``feature_names`` (the model's), columns are picked by name in that order and a name
    ``column=value`` is rebuilt as the one-hot indicator of ``value`` in ``column``; other
    columns are ignored. Without it, every column that is not a label/id/text column is a
    feature. With ``text_column``, X is the list of texts.
    """
    table = load_table(path, format=format, sep=sep, header=header)
    return features_from_table(
        table,
        feature_names,
        labels=labels,
        label_prefix=label_prefix,
        label_column=label_column,
        text_column=text_column,
        id_column=id_column,
        allow_nan=allow_nan,
    )


def features_from_table(
    table: Table,
    feature_names: Sequence[str] | None = None,
    *,
    labels: Sequence[str] | str | None = None,
    label_prefix: str | None = None,
    label_column: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    allow_nan: bool = False,
) -> tuple[Any, list[str] | None]:
    """:func:`read_features_tabular` on an already loaded table (also one batch of a file)."""
    df = table.frame
    if id_column is None:
        id_column = next((c for c in _AUTO_ID_COLUMNS if c in df.columns), None)
    _require_columns(table, [c for c in (text_column, id_column) if c is not None], "column")
    ids = None if id_column is None else [str(v) for v in df[id_column].tolist()]
    if text_column is not None:
        return _text(table, text_column), ids
    if feature_names is None:
        skip = {id_column, label_column}
        skip |= set(_names(labels)) if labels is not None else set()
        if label_prefix:
            skip |= {c for c in df.columns if str(c).startswith(label_prefix)}
        if labels is None and label_prefix is None and label_column is None:
            skip |= {c for c in _AUTO_LABEL_COLUMNS if c in df.columns}
        cols = [c for c in df.columns if c not in skip]
        if not cols:
            raise DataFormatError(
                f"{table.path}: no feature columns; columns are {_show(df.columns)}."
            )
        X, _ = _features(table, cols, True, allow_nan)
        return X, ids
    columns: list[np.ndarray] = []
    missing = []
    for name in feature_names:
        name = str(name)
        if name in df.columns:
            columns.append(_numeric(table, name, allow_nan))
        elif "=" in name and name.split("=", 1)[0] in df.columns:
            col, value = name.split("=", 1)
            values = df[col].astype(object)
            columns.append(np.asarray(values.map(lambda v, t=value: str(v) == t), dtype=np.float32))
        else:
            missing.append(name)
    if missing:
        raise DataFormatError(
            f"{table.path}: the model needs feature column(s) {_show(missing)} that the file "
            f"lacks; the file has {_show(df.columns)}."
        )
    X = (
        np.column_stack(columns).astype(np.float32)
        if columns
        else np.zeros((len(df), 0), np.float32)
    )
    return X, ids


# ---------------------------------------------------------------------- labels
def _resolve_label_spec(
    table: Table, labels: Any, label_prefix: str | None, label_column: str | None
) -> tuple[list[str], str]:
    df = table.frame
    given = sum(x is not None for x in (labels, label_prefix, label_column))
    if given > 1:
        raise DataFormatError(
            "give only one of labels=, label_prefix= and label_column= to say where the labels are."
        )
    if labels is not None:
        cols = _names(labels)
        if not cols:
            raise DataFormatError("labels= names no columns; give at least one label column.")
        _require_columns(table, cols, "label column")
        if len(cols) == 1 and _holds_tags(df[cols[0]]):
            # `--labels labels` naming one column of tag lists means label_column=labels.
            return cols, "tags"
        return cols, "indicator"
    if label_prefix is not None:
        cols = [str(c) for c in df.columns if str(c).startswith(label_prefix)]
        if not cols:
            raise DataFormatError(
                f"{table.path}: no column name starts with label_prefix {label_prefix!r}; "
                f"columns are {_show(df.columns)}."
            )
        return cols, "indicator"
    if label_column is None:
        label_column = next((c for c in _AUTO_LABEL_COLUMNS if c in df.columns), None)
        if label_column is None:
            raise DataFormatError(
                f"{table.path}: where are the labels? Pass labels=[...] (0/1 columns), "
                f"label_prefix=... or label_column=... (delimited tags or JSON lists); columns "
                f"are {_show(df.columns)}."
            )
    _require_columns(table, [label_column], "label column")
    return [label_column], "tags"


def _holds_tags(series: pd.Series) -> bool:
    """True for a column of tag lists (lists, JSON lists or ``a|b`` strings); a column of
    0/1/true/false — or of bad label values, which get their own error — is not one."""
    if series.dtype == bool or pd.api.types.is_numeric_dtype(series.dtype):
        return False
    for value in series.dropna():
        if isinstance(value, (list, tuple, np.ndarray)):
            return True
        if isinstance(value, str) and (value.lstrip().startswith("[") or "|" in value):
            return True
    return False


def _indicator(table: Table, col: str) -> np.ndarray:
    series = table.frame[col]
    if series.dtype == bool:
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64)
        bad = ~np.isin(values, (0.0, 1.0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataFormatError(
                f"{table.where(i)}: label column {col!r} has value {_val(series.iloc[i])!r}; label "
                "values must be 0/1 or true/false."
            )
        return values.astype(np.int64)
    text = series.astype(str).str.strip().str.lower()
    pos, neg = text.isin(_TRUE).to_numpy(), text.isin(_FALSE).to_numpy()
    bad = ~(pos | neg) | series.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            f"{table.where(i)}: label column {col!r} has value {_val(series.iloc[i])!r}; "
            "label values must be 0/1 or true/false."
        )
    return pos.astype(np.int64)


def _tags(
    table: Table, col: str, sep: str, label_names: Sequence[str] | None
) -> tuple[Any, list[str]]:
    rows: list[list[str]] = []
    for i, value in enumerate(table.frame[col].tolist()):
        rows.append(_tag_list(table, i, col, value, sep))
    if label_names is not None:
        space = LabelSpace(list(label_names))
        for i, row in enumerate(rows):
            unknown = [t for t in row if t not in space]
            if unknown:
                try:
                    space.index(unknown[0])
                except DataFormatError as exc:
                    raise DataFormatError(f"{table.where(i)}: {exc}") from None
    else:
        space = LabelSpace.from_label_lists(rows)
    if len(space) == 0:
        raise DataFormatError(
            f"{table.path}: label column {col!r} holds no labels at all; check label_sep "
            f"(now {sep!r}) and the column name."
        )
    return space.encode(rows, sparse=True), list(space.names)


def _tag_list(table: Table, i: int, col: str, value: Any, sep: str) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
    elif isinstance(value, str) and value.lstrip().startswith("["):
        try:
            items = json.loads(value)
        except json.JSONDecodeError as exc:
            raise DataFormatError(
                f"{table.where(i)}: label column {col!r} holds invalid JSON {value[:60]!r} "
                f"({exc.msg}); give a JSON list of label names or {sep!r}-delimited tags."
            ) from None
        if not isinstance(items, list):
            raise DataFormatError(f"{table.where(i)}: label column {col!r}: expected a JSON list.")
    elif isinstance(value, str):
        return _split(value, sep)
    else:
        items = [value]
    out = []
    for item in items:
        if not isinstance(item, (str, int, np.integer)) or isinstance(item, bool):
            raise DataFormatError(
                f"{table.where(i)}: label column {col!r} holds {item!r}; labels are names "
                "(strings) or integer ids."
            )
        if str(item).strip():
            out.append(str(item).strip())
    return out


# ---------------------------------------------------------------------- features
def _features(
    table: Table, cols: Sequence[str], categorical: Sequence[str] | bool, allow_nan: bool
) -> tuple[np.ndarray, list[str]]:
    forced = set() if isinstance(categorical, bool) else set(_names(categorical))
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for col in cols:
        series = table.frame[col]
        if col in forced or (categorical is not False and _all_text(series)):
            block, block_names = _one_hot(table, col, allow_nan)
        else:
            block, block_names = _numeric(table, col, allow_nan)[:, None], [str(col)]
        blocks.append(block)
        names.extend(block_names)
    X = np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)
    return X, names


def _all_text(series: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(series.dtype) or series.dtype == bool:
        return False
    present = series.dropna()
    if present.empty or not all(isinstance(v, str) for v in present.tolist()):
        return False
    return bool(pd.to_numeric(present, errors="coerce").isna().all())


def _numeric(table: Table, col: str, allow_nan: bool) -> np.ndarray:
    series = table.frame[col]
    if series.dtype == bool:
        return series.to_numpy(dtype=np.float32)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64)
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(values) & series.notna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataFormatError(
                f"{table.where(i)}: feature column {col!r} has the non-numeric value "
                f"{_val(series.iloc[i])!r}; features must be numbers (a column of only text "
                "values is one-hot encoded; pass categorical=[...] to force it)."
            )
    if not allow_nan:
        bad = ~np.isfinite(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            shown = "a missing value" if np.isnan(values[i]) else f"{values[i]!r}"
            raise DataFormatError(
                f"{table.where(i)}: feature column {col!r} has {shown}; impute or drop it, or "
                "pass allow_nan=True to keep NaN/inf."
            )
    with np.errstate(over="ignore"):
        out = values.astype(np.float32)
    if not allow_nan and not np.isfinite(out).all():
        i = int(np.flatnonzero(~np.isfinite(out))[0])
        raise DataFormatError(
            f"{table.where(i)}: feature column {col!r} value {values[i]!r} overflows float32."
        )
    return out


def _one_hot(table: Table, col: str, allow_nan: bool) -> tuple[np.ndarray, list[str]]:
    series = table.frame[col]
    missing = series.isna().to_numpy()
    if missing.any() and not allow_nan:
        i = int(np.flatnonzero(missing)[0])
        raise DataFormatError(
            f"{table.where(i)}: categorical feature column {col!r} has a missing value; fill it "
            "or pass allow_nan=True (a missing category becomes all zeros)."
        )
    strings = [None if m else str(v) for v, m in zip(series.tolist(), missing, strict=True)]
    cats = sorted({v for v in strings if v is not None})
    codes = {c: k for k, c in enumerate(cats)}
    block = np.zeros((len(series), len(cats)), dtype=np.float32)
    for i, v in enumerate(strings):
        if v is not None:
            block[i, codes[v]] = 1.0
    return block, [f"{col}={c}" for c in cats]


def _text(table: Table, col: str) -> list[str]:
    return ["" if v is None or v != v else str(v) for v in table.frame[col].tolist()]


# ---------------------------------------------------------------------- helpers
def _names(value: Sequence[str] | str) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _require_columns(table: Table, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in table.frame.columns]
    if missing:
        raise DataFormatError(
            f"{table.path}: {what}(s) {_show(missing)} not found; the file has columns "
            f"{_show(table.frame.columns)}."
        )


def _show(cols: Any, limit: int = 20) -> str:
    cols = [str(c) for c in cols]
    shown = ", ".join(repr(c) for c in cols[:limit])
    return f"[{shown}{', …' if len(cols) > limit else ''}]"


def _val(value: Any) -> Any:
    """A numpy scalar as the plain Python value (so messages show ``1.5``, not ``np.float64``)."""
    return value.item() if isinstance(value, np.generic) else value


def _as_sparse(Y: Any) -> Any:
    import scipy.sparse as sp

    return sp.csr_matrix(Y, dtype=np.int64)


def _as_dense(Y: Any) -> np.ndarray:
    import scipy.sparse as sp

    return Y.toarray() if sp.issparse(Y) else np.asarray(Y, dtype=np.int64)
