"""Dataset: the value every reader returns and every command consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise._validation import check_same_length, check_targets
from tagwise.data._labels import LabelSpace
from tagwise.exceptions import DataFormatError

__all__ = ["Dataset"]


@dataclass
class Dataset:
    """Features, targets and names of one multi-label dataset.

    Attributes
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features), or None for text-only data
    Y : int64 ndarray or CSR matrix of shape (n_samples, n_labels)
    label_names : list of str, length n_labels
    feature_names : list of str, length n_features (empty for text-only data)
    text : list of str of length n_samples, or None
    ids : list of str of length n_samples, or None
    name : a short description (file name or dataset name)
    """

    X: Any
    Y: Any
    label_names: list[str]
    feature_names: list[str] = field(default_factory=list)
    text: list[str] | None = None
    ids: list[str] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        self.Y = check_targets(self.Y)
        self.label_names = list(self.label_names)
        if len(self.label_names) != self.Y.shape[1]:
            raise DataFormatError(
                f"{len(self.label_names)} label names for {self.Y.shape[1]} label columns."
            )
        LabelSpace(self.label_names)  # checks uniqueness
        if self.X is not None:
            check_same_length(self.X, self.Y)
            if not self.feature_names:
                self.feature_names = [f"x{i}" for i in range(self.X.shape[1])]
            if len(self.feature_names) != self.X.shape[1]:
                raise DataFormatError(
                    f"{len(self.feature_names)} feature names for {self.X.shape[1]} feature "
                    "columns."
                )
        for attr in ("text", "ids"):
            value = getattr(self, attr)
            if value is not None and len(value) != self.Y.shape[0]:
                raise DataFormatError(
                    f"{attr} has {len(value)} entries but Y has {self.Y.shape[0]} rows."
                )

    @property
    def n_samples(self) -> int:
        return int(self.Y.shape[0])

    @property
    def n_labels(self) -> int:
        return int(self.Y.shape[1])

    @property
    def n_features(self) -> int:
        return 0 if self.X is None else int(self.X.shape[1])

    @property
    def label_space(self) -> LabelSpace:
        return LabelSpace(self.label_names)

    @property
    def label_counts(self) -> np.ndarray:
        """Positives per label, shape (n_labels,)."""
        return np.asarray(self.Y.sum(axis=0)).ravel()

    @property
    def cardinality(self) -> float:
        """Mean number of labels per sample."""
        return float(self.Y.sum() / max(self.n_samples, 1))

    def labels(self) -> list[list[str]]:
        """Label-name list of every sample."""
        return self.label_space.decode(self.Y)

    def subset(self, index: Any) -> Dataset:
        """Rows ``index`` (an integer array or slice) as a new Dataset."""
        idx = np.arange(self.n_samples)[index]
        pick = lambda seq: None if seq is None else [seq[i] for i in idx]  # noqa: E731
        return Dataset(
            X=None if self.X is None else self.X[idx],
            Y=self.Y[idx],
            label_names=self.label_names,
            feature_names=self.feature_names,
            text=pick(self.text),
            ids=pick(self.ids),
            name=self.name,
        )

    def summary(self) -> dict[str, Any]:
        """Shape statistics as a JSON-ready dict."""
        X = self.X
        density = None
        if X is not None:
            nnz = X.nnz if sp.issparse(X) else int(np.count_nonzero(X))
            density = nnz / max(X.shape[0] * X.shape[1], 1)
        return {
            "name": self.name,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "n_labels": self.n_labels,
            "cardinality": round(self.cardinality, 4),
            "feature_density": None if density is None else round(density, 4),
            "sparse_X": bool(sp.issparse(X)),
            "has_text": self.text is not None,
        }
