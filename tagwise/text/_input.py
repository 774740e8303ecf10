"""Checks for raw-text input: a sequence of strings, one per sample."""

from __future__ import annotations

from typing import Any

import numpy as np

from tagwise.exceptions import DataFormatError

__all__ = ["check_texts"]


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
