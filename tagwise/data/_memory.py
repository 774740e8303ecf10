"""In-memory data → :class:`Dataset`: numpy, scipy.sparse, pandas DataFrames, label lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise._validation import check_features
from tagwise.data._dataset import Dataset
from tagwise.data._labels import LabelSpace
from tagwise.exceptions import DataFormatError

__all__ = ["as_dataset"]


def as_dataset(
    X: Any,
    Y: Any,
    *,
    label_names: Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
    text: Sequence[str] | None = None,
    ids: Sequence[Any] | None = None,
    label_sep: str = "|",
    name: str = "in-memory",
) -> Dataset:
    """Build a :class:`Dataset` from arrays, frames or label lists.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features), a DataFrame (its column names
        become the feature names), or None for text data given as ``text``
    Y : 0/1 indicator (array, sparse, or DataFrame whose columns name the labels), a list of
        label-name lists (``[["a"], [], ["a", "b"]]``), or a list of ``label_sep``-delimited
        strings (``["a", "", "a|b"]``)
    label_names : the label order (default: DataFrame columns, sorted names from label
        lists, or ``"0" … "k-1"`` for a bare indicator)
    """
    if X is not None:
        if feature_names is None and hasattr(X, "columns"):
            feature_names = [str(c) for c in X.columns]
        X = check_features(X)
    if hasattr(Y, "columns") and hasattr(Y, "to_numpy"):
        label_names = label_names or [str(c) for c in Y.columns]
        Y = Y.to_numpy()
    if isinstance(Y, (list, tuple)) and not Y:
        raise DataFormatError("Y is empty; give one label set per sample.")
    if (
        isinstance(Y, (list, tuple))
        and Y
        and all(v is None or isinstance(v, (str, list, tuple, set, frozenset)) for v in Y)
    ):
        rows = [
            [] if v is None else (v.split(label_sep) if isinstance(v, str) else list(v)) for v in Y
        ]
        rows = [[str(s).strip() for s in r if str(s).strip()] for r in rows]
        space = LabelSpace(label_names) if label_names else LabelSpace.from_label_lists(rows)
        if len(space) == 0:
            raise DataFormatError("no labels at all in Y; give at least one labelled sample.")
        Y = space.encode(rows, sparse=len(space) > 100)
        label_names = list(space.names)
    elif not sp.issparse(Y):
        Y = np.asarray(Y)
    if label_names is None:
        label_names = [str(i) for i in range(Y.shape[1] if getattr(Y, "ndim", 2) == 2 else 0)]
    return Dataset(
        X=X,
        Y=Y,
        label_names=list(label_names),
        feature_names=list(feature_names or []),
        text=None if text is None else [str(t) for t in text],
        ids=None if ids is None else [str(i) for i in ids],
        name=name,
    )
