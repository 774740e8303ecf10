"""Synthetic multi-label data and the built-in reference problems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import make_multilabel_classification

from tagwise.data._dataset import Dataset

__all__ = ["make_multilabel", "reference_problem"]

_REFERENCE = Path(__file__).with_name("reference_problem.npz")


def make_multilabel(
    n_samples: int = 1000,
    n_features: int = 10,
    n_labels: int = 3,
    *,
    avg_labels: int = 2,
    allow_unlabeled: bool = True,
    random_state: int | None = 1,
) -> Dataset:
    """A Dataset from :func:`sklearn.datasets.make_multilabel_classification`.

    ``n_labels`` is the number of label columns (sklearn's ``n_classes``) and ``avg_labels``
    the mean number of labels per sample (sklearn's ``n_labels``).
    """
    X, Y = make_multilabel_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_classes=n_labels,
        n_labels=avg_labels,
        allow_unlabeled=allow_unlabeled,
        random_state=random_state,
    )
    return Dataset(
        X=X.astype("float32"),
        Y=Y,
        label_names=[f"label_{i}" for i in range(n_labels)],
        feature_names=[f"x{i}" for i in range(n_features)],
        name=f"synthetic(n_samples={n_samples}, n_features={n_features}, n_labels={n_labels})",
    )


def reference_problem() -> Dataset:
    """The tutorial's problem: 1000 samples, 10 count features, 3 labels, seed 1.

    Equal to ``make_multilabel_classification(n_samples=1000, n_features=10, n_classes=3,
    n_labels=2, random_state=1)`` (checked by the tests), read from a 10 kB file shipped with
    tagwise because scikit-learn's generator takes seconds for it.
    """
    with np.load(_REFERENCE, allow_pickle=False) as arrays:
        X, Y = arrays["X"].astype(np.float32), arrays["Y"].astype(np.int64)
    return Dataset(
        X=X,
        Y=Y,
        label_names=[f"label_{i}" for i in range(3)],
        feature_names=[f"x{i}" for i in range(10)],
        name="reference (make_multilabel_classification, 1000×10, 3 labels, seed 1)",
    )
