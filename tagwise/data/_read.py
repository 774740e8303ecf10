"""``tagwise.data.read`` and ``read_features``: one entry point for every file format."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tagwise.data._dataset import Dataset
from tagwise.data._tabsource import detect_format
from tagwise.exceptions import DataFormatError

__all__ = ["read", "read_features"]

_TABULAR = ("csv", "tsv", "parquet", "jsonl")


def read(
    path: str | Path,
    *,
    labels: Sequence[str] | str | int | None = None,
    label_prefix: str | None = None,
    label_column: str | None = None,
    label_sep: str = "|",
    text_column: str | None = None,
    format: str | None = None,
    **options: Any,
) -> Dataset:
    """Read a multi-label data file of any supported format into a :class:`Dataset`.

    The format comes from ``format`` or the extension: ``.arff`` (MULAN/MEKA ARFF, dense or
    sparse), ``.svm``/``.libsvm``/``.txt`` (LIBSVM / Extreme Classification Repository),
    ``.csv``, ``.tsv``, ``.parquet``, ``.jsonl`` (``.gz`` allowed for text formats).

    Parameters
    ----------
    path : the file
    labels : tabular: names of 0/1 label columns (list or ``"a,b"``); ARFF: label attribute
        names, or a count as in MEKA's ``-C``: N > 0 the first N attributes, N < 0 the last
        |N| (not needed when a MULAN ``NAME.xml`` sits beside the file or @relation has -C)
    label_prefix : tabular: the 0/1 label columns are those whose names start with this
    label_column : tabular: one column of ``label_sep``-delimited tags or JSON lists
    label_sep : delimiter of tags in ``label_column`` (default ``"|"``)
    text_column : tabular: a raw-text column (kept as ``Dataset.text``)
    format : override the format detected from the extension
    **options : format-specific options, e.g. ``allow_nan``, ``categorical``, ``id_column``,
        ``feature_columns``, ``label_names`` (tabular); ``xml`` (ARFF); ``n_features``,
        ``n_labels``, ``zero_based`` (LIBSVM)

    Returns
    -------
    Dataset with X of shape (n_samples, n_features) (dense float32 or CSR float32; None for
    text-only data) and Y an int64 indicator of shape (n_samples, n_labels), dense or CSR.

    Raises
    ------
    DataFormatError
        for any malformed input, with ``path:line`` and what was expected.
    """
    fmt = detect_format(path, format)
    if fmt in _TABULAR:
        from tagwise.data._tabular import read_tabular

        if isinstance(labels, int):
            raise DataFormatError("labels= for a tabular file names label columns, not a count.")
        return read_tabular(
            path,
            labels=labels,
            label_prefix=label_prefix,
            label_column=label_column,
            label_sep=label_sep,
            text_column=text_column,
            format=fmt,
            **options,
        )
    _no_tabular_options(
        fmt, label_prefix=label_prefix, label_column=label_column, text_column=text_column
    )
    if fmt == "arff":
        from tagwise.data._arff import read_arff

        return read_arff(path, labels=_arff_labels(labels), **options)
    from tagwise.data._libsvm import read_libsvm

    if labels is not None:
        raise DataFormatError("labels= does not apply to LIBSVM files (their labels are ids).")
    return read_libsvm(path, **options)


def read_features(
    path: str | Path,
    feature_names: Sequence[str] | None = None,
    *,
    format: str | None = None,
    **options: Any,
) -> tuple[Any, list[str] | None]:
    """Feature rows of a file, for prediction: ``(X, ids)``; labels in the file are ignored.

    Parameters
    ----------
    path : the file (any format :func:`read` knows; labels may be absent)
    feature_names : the model's feature names. Tabular files: columns are picked by name, in
        this order (``column=value`` names rebuild a one-hot column); ARFF: attributes by name;
        LIBSVM: only the count matters (X gets ``len(feature_names)`` columns).
    format : override the format detected from the extension
    **options : tabular: ``id_column``, ``text_column`` (X is then the list of texts),
        ``labels``/``label_prefix``/``label_column`` (columns to skip when no feature names are
        given), ``allow_nan``; ARFF: ``labels``, ``xml``; LIBSVM: ``n_features``, ``zero_based``

    Returns
    -------
    X : float32 array or CSR of shape (n_samples, n_features), or a list of str for text
    ids : list of str of length n_samples, or None when the file has no id column
    """
    fmt = detect_format(path, format)
    if fmt in _TABULAR:
        from tagwise.data._tabular import read_features_tabular

        return read_features_tabular(path, feature_names, format=fmt, **options)
    if fmt == "arff":
        from tagwise.data._arff import read_arff_features

        if "labels" in options:
            options["labels"] = _arff_labels(options["labels"])
        return read_arff_features(path, feature_names, **options)
    from tagwise.data._libsvm import read_libsvm_features

    return read_libsvm_features(path, feature_names, **options)


def _no_tabular_options(fmt: str, **given: Any) -> None:
    bad = [k for k, v in given.items() if v is not None]
    if bad:
        raise DataFormatError(f"{', '.join(bad)} only apply to tabular files, not {fmt}.")


def _arff_labels(labels: Any) -> Any:
    """``"-6"`` (a count, as typed on a command line) → -6; ``"a,b"`` → ``["a", "b"]``."""
    if isinstance(labels, str):
        text = labels.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return labels
