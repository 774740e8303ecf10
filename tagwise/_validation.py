"""Input checks shared by every estimator and reader.

Targets are canonicalised here: a dense 0/1 indicator becomes int64 and a sparse one becomes
CSR int64. Narrow integer types are converted on the way in because scikit-learn (1.9) silently
scrambles the label columns of an int8 indicator matrix with more than 128 labels (an overflow in
``LabelBinarizer``); see ``tests/test_validation.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.exceptions import DataFormatError

__all__ = ["check_features", "check_same_length", "check_targets"]


def check_features(
    X: Any,
    *,
    allow_sparse: bool = True,
    dtype: type = np.float32,
    allow_nan: bool = False,
    name: str = "X",
) -> np.ndarray | sp.csr_matrix:
    """Validate a feature matrix of shape (n_samples, n_features).

    Returns a C-contiguous dense array or a CSR matrix of ``dtype``. NaN/inf is an error unless
    ``allow_nan``; the message names the first offending row and column.
    """
    if sp.issparse(X):
        if not allow_sparse:
            raise DataFormatError(
                f"{name} is sparse but this model needs dense input; use X.toarray()."
            )
        X = sp.csr_matrix(X, dtype=dtype)
        values = X.data
    else:
        if hasattr(X, "dtypes") and hasattr(X, "to_numpy"):  # pandas DataFrame
            bad = [
                c
                for c, t in zip(X.columns, X.dtypes)
                if not np.issubdtype(t, np.number) and t is not np.dtype(bool)
            ]
            if bad:
                raise DataFormatError(
                    f"{name} has non-numeric columns {bad[:5]}; encode them or drop them first."
                )
            X = X.to_numpy()
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:  # ragged lists
            raise DataFormatError(f"{name} is not a rectangular numeric matrix: {exc}") from None
        if X.dtype.kind in "OUSV":
            try:
                X = X.astype(dtype)
            except (ValueError, TypeError):
                raise DataFormatError(
                    f"{name} contains non-numeric values (dtype {X.dtype}); give numbers only."
                ) from None
        if X.dtype.kind == "c":
            raise DataFormatError(
                f"{name} has complex values (Complex data not supported); give real numbers."
            )
        if X.ndim == 1:
            raise DataFormatError(
                f"{name} is 1-D with shape {X.shape}; expected 2-D (n_samples, n_features). "
                "Reshape your data: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) "
                "for a single sample."
            )
        if X.ndim != 2:
            raise DataFormatError(
                f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}."
            )
        X = np.ascontiguousarray(X, dtype=dtype)
        values = X
    if X.shape[0] == 0:
        raise DataFormatError(
            f"{name} has 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
        )
    if X.shape[1] == 0:
        raise DataFormatError(
            f"{name} has 0 feature(s) (shape={X.shape}) while a minimum of 1 is required."
        )
    if not allow_nan and values.size and not np.isfinite(values).all():
        bad = np.argwhere(~np.isfinite(values))[0]
        if sp.issparse(X):
            row = int(np.searchsorted(X.indptr, bad[0], side="right") - 1)
            where = f"row {row}, column {int(X.indices[bad[0]])}"
        else:
            where = f"row {int(bad[0])}, column {int(bad[1])}"
        raise DataFormatError(
            f"{name} contains NaN or infinity (first at {where}); impute or drop those values."
        )
    return X


def check_targets(Y: Any, *, name: str = "Y") -> np.ndarray | sp.csr_matrix:
    """Validate a 0/1 indicator matrix of shape (n_samples, n_labels).

    Returns int64 dense or int64 CSR. True/False are accepted; any other value is an error that
    names it and where it is.
    """
    if sp.issparse(Y):
        # our own copy: cleaning it (duplicates, explicit zeros) must not touch the caller's
        Y = sp.csr_matrix(Y, copy=True)
        Y.sum_duplicates()  # a cell given twice is one cell holding the sum
        values = Y.data
    else:
        if hasattr(Y, "to_numpy"):
            Y = Y.to_numpy()
        try:
            Y = np.asarray(Y)
        except (ValueError, TypeError) as exc:
            raise DataFormatError(
                f"{name} is not a rectangular 0/1 indicator matrix: {exc}. Lists of label names "
                "can be encoded with tagwise.data.LabelSpace.encode."
            ) from None
        if Y.ndim == 1:
            raise DataFormatError(
                f"{name} is 1-D with shape {Y.shape}; multi-label targets are a 2-D 0/1 matrix "
                "(n_samples, n_labels). For one label use Y.reshape(-1, 1)."
            )
        if Y.ndim != 2:
            raise DataFormatError(f"{name} must be 2-D (n_samples, n_labels), got shape {Y.shape}.")
        values = Y
    if Y.shape[1] == 0:
        raise DataFormatError(f"{name} has 0 label columns; at least 1 label is required.")
    if values.dtype.kind in "OUSV":
        try:
            values = values.astype(np.float64)
        except (ValueError, TypeError):
            raise DataFormatError(
                f"{name} has non-numeric values (dtype {values.dtype}); labels must be 0/1 or "
                "true/false."
            ) from None
    if values.dtype.kind == "f" and values.size and not np.isfinite(values).all():
        raise DataFormatError(f"{name} contains NaN or infinity; labels must be 0/1.")
    bad = (values != 0) & (values != 1)
    if np.any(bad):
        if sp.issparse(Y):
            k = int(np.flatnonzero(bad)[0])
            row = int(np.searchsorted(Y.indptr, k, side="right") - 1)
            where, value = f"row {row}, column {int(Y.indices[k])}", values[k].item()
        else:
            r, c = np.argwhere(bad)[0]
            where, value = f"row {int(r)}, column {int(c)}", values[r, c].item()
        raise DataFormatError(
            f"{name} must hold only 0/1 (or true/false) label values; found {value!r} at {where}."
        )
    if sp.issparse(Y):
        out = sp.csr_matrix((values.astype(np.int64), Y.indices, Y.indptr), shape=Y.shape)
        out.eliminate_zeros()
        return out
    return np.ascontiguousarray(values, dtype=np.int64)


def check_same_length(X: Any, Y: Any) -> None:
    """Raise a clear error when X and Y do not have the same number of rows."""
    nx, ny = X.shape[0], Y.shape[0]
    if nx != ny:
        raise DataFormatError(
            f"X has {nx} samples but Y has {ny}; they must have one row of labels per sample."
        )
