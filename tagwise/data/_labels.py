"""LabelSpace: the ordered list of label names and the map to indicator-matrix columns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.exceptions import DataFormatError

__all__ = ["LabelSpace"]


class LabelSpace:
    """Ordered label names ↔ columns of a 0/1 indicator matrix.

    Parameters
    ----------
    names : sequence of str
        Label names in column order. Must be unique and non-empty.

    Examples
    --------
    >>> space = LabelSpace(["cat", "dog", "bird"])
    >>> space.encode([["dog"], ["cat", "bird"], []]).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 0, 0]]
    >>> space.decode([[1, 1, 0]])
    [['cat', 'dog']]
    """

    def __init__(self, names: Sequence[str]) -> None:
        names = tuple(str(n) for n in names)
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name == "":
                raise DataFormatError(f"label {i} has an empty name; give every label a name.")
            if name in seen:
                raise DataFormatError(
                    f"duplicate label name {name!r} (columns {seen[name]} and {i}); "
                    "label names must be unique."
                )
            seen[name] = i
        self._names = names
        self._index = seen

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_label_lists(cls, label_lists: Iterable[Iterable[str]]) -> LabelSpace:
        """Build the space of all labels seen in ``label_lists``, sorted by name."""
        seen: set[str] = set()
        for labels in label_lists:
            seen.update(str(label) for label in labels)
        return cls(sorted(seen))

    @classmethod
    def from_delimited(cls, strings: Iterable[str | None], sep: str = "|") -> LabelSpace:
        """Build the space of all labels in delimited strings such as ``"sports|politics"``."""
        return cls.from_label_lists(_split(s, sep) for s in strings)

    @classmethod
    def range(cls, n_labels: int) -> LabelSpace:
        """Default names ``"0" … "n_labels-1"`` for data that comes without label names."""
        return cls([str(i) for i in range(n_labels)])

    # ------------------------------------------------------------------ lookup
    @property
    def names(self) -> tuple[str, ...]:
        """Label names in column order."""
        return self._names

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Any:
        return iter(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelSpace) and self._names == other._names

    def __hash__(self) -> int:
        return hash(self._names)

    def __repr__(self) -> str:
        shown = ", ".join(repr(n) for n in self._names[:5])
        more = f", … ({len(self)} labels)" if len(self) > 5 else ""
        return f"LabelSpace([{shown}{more}])"

    def index(self, name: str) -> int:
        """Column of label ``name``; a clear error with close matches when it is unknown."""
        try:
            return self._index[name]
        except KeyError:
            raise DataFormatError(_unknown_label_message(name, self._names)) from None

    # ------------------------------------------------------------------ encode / decode
    def encode(
        self,
        labels: Iterable[Iterable[str] | str | None] | np.ndarray | sp.spmatrix,
        *,
        sep: str = "|",
        sparse: bool = False,
    ) -> np.ndarray | sp.csr_matrix:
        """Turn label sets into an indicator matrix of shape (n_samples, n_labels).

        ``labels`` is a list of label-name lists, a list of delimited strings (``sep``), or an
        indicator matrix (checked to have ``len(self)`` columns of 0/1 values). Returns int64
        dense, or CSR when ``sparse`` is true.
        """
        if (isinstance(labels, np.ndarray) and labels.ndim == 2) or sp.issparse(labels):
            from tagwise._validation import check_targets

            Y = check_targets(labels)
            if Y.shape[1] != len(self):
                raise DataFormatError(
                    f"indicator matrix has {Y.shape[1]} columns but the label space has "
                    f"{len(self)} labels."
                )
            return sp.csr_matrix(Y) if sparse and not sp.issparse(Y) else Y
        rows: list[int] = []
        cols: list[int] = []
        n = 0
        for n, item in enumerate(labels, start=1):
            names = _split(item, sep) if isinstance(item, str) or item is None else item
            for name in names:
                rows.append(n - 1)
                cols.append(self.index(str(name)))
        data = np.ones(len(rows), dtype=np.int64)
        Y = sp.csr_matrix((data, (rows, cols)), shape=(n, len(self)), dtype=np.int64)
        Y.sum_duplicates()
        Y.data[:] = 1  # a label listed twice in one row is still one label
        return Y if sparse else Y.toarray()

    def decode(self, Y: Any) -> list[list[str]]:
        """Turn an indicator matrix of shape (n_samples, n_labels) back into label-name lists."""
        if sp.issparse(Y):
            Y = sp.csr_matrix(Y, copy=True)
            if Y.shape[1] != len(self):
                raise DataFormatError(f"expected {len(self)} label columns, got {Y.shape[1]}.")
            Y.eliminate_zeros()
            Y.sort_indices()
            return [
                [self._names[j] for j in Y.indices[Y.indptr[i] : Y.indptr[i + 1]]]
                for i in range(Y.shape[0])
            ]
        Y = np.asarray(Y)
        if Y.ndim != 2 or Y.shape[1] != len(self):
            raise DataFormatError(
                f"expected an indicator matrix with {len(self)} columns, got shape {Y.shape}."
            )
        names = np.asarray(self._names, dtype=object)
        return [list(names[row.astype(bool)]) for row in Y]

    def to_json(self) -> list[str]:
        """JSON-ready list of names (the inverse of ``LabelSpace(names)``)."""
        return list(self._names)


def _split(value: str | None, sep: str) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in str(value).split(sep) if part.strip()]


def _unknown_label_message(name: str, known: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), list(known), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(repr(k) for k in known[:10]) + (", …" if len(known) > 10 else "")
    return f"unknown label {name!r}; known labels: {shown}.{hint}"
