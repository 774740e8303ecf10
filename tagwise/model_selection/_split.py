"""Multi-label stratified splitters (scikit-learn cross-validators).

All three use iterative stratification (Sechidis, Tsoumakas & Vlahavas, ECML-PKDD 2011), see
:mod:`tagwise.model_selection._stratify` for the algorithm and why it is fast. They accept any
number of folds, ``shuffle``/``random_state`` as in scikit-learn, and ``order=2`` to also balance
co-occurring label pairs. They plug into anything that takes a ``cv=`` splitter.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.model_selection import BaseCrossValidator

from tagwise._validation import check_targets
from tagwise.exceptions import ConfigError, DataFormatError, LabelWarning, describe_labels
from tagwise.model_selection._stratify import iterative_stratification

__all__ = [
    "MultilabelStratifiedKFold",
    "MultilabelStratifiedShuffleSplit",
    "RepeatedMultilabelStratifiedKFold",
]


def _rng(random_state: Any, default: int | None = None) -> np.random.Generator:
    """A numpy Generator from ``None``, an int, a RandomState or a Generator."""
    if random_state is None:
        return np.random.default_rng(default)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    raise ConfigError(
        f"random_state must be None, an int or a numpy random generator, got {random_state!r}."
    )


def _check_int(name: str, value: Any, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{name} must be an integer ≥ {minimum}, got {value!r}.")
    return int(value)


def _check_order(order: Any) -> int:
    if order not in (1, 2):
        raise ConfigError(f"order must be 1 (labels) or 2 (labels and label pairs), got {order!r}.")
    return int(order)


def _targets(X: Any, y: Any, who: str) -> Any:
    if y is None:
        raise DataFormatError(
            f"{who}.split needs the label matrix: call split(X, Y) with Y of shape "
            "(n_samples, n_labels)."
        )
    Y = check_targets(y, name="Y")
    if X is not None and hasattr(X, "shape") and X.shape[0] != Y.shape[0]:
        raise DataFormatError(
            f"X has {X.shape[0]} samples but Y has {Y.shape[0]}; they must match."
        )
    if X is not None and not hasattr(X, "shape") and len(X) != Y.shape[0]:
        raise DataFormatError(f"X has {len(X)} samples but Y has {Y.shape[0]}; they must match.")
    return Y


def _warn_rare(Y: Any, n_parts: int, what: str) -> None:
    counts = np.asarray(Y.sum(axis=0)).ravel()
    rare = np.flatnonzero((counts > 0) & (counts < n_parts))
    if len(rare):
        shown = describe_labels(rare, len(counts), counts=counts)
        warnings.warn(
            f"{len(rare)} label(s) have fewer positive samples than the {n_parts} {what} "
            f"(positives in brackets): {shown}. Some {what} will have no positive for them; "
            "metrics that need positives are undefined there.",
            LabelWarning,
            stacklevel=3,
        )


class MultilabelStratifiedKFold(BaseCrossValidator):
    """K-fold cross-validation that keeps every label's frequency the same in each fold.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, at least 2.
    shuffle : bool, default False
        Visit samples in a random order before stratifying. Without shuffling the folds depend
        only on the data (ties are broken with ``random_state``, or a fixed seed when it is None).
    random_state : int, numpy Generator/RandomState or None
        Seed of the shuffling and tie-breaking.
    order : {1, 2}, default 1
        2 also balances co-occurring label pairs (second-order stratification).

    Examples
    --------
    >>> cv = MultilabelStratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    >>> for train, test in cv.split(X, Y): ...  # doctest: +SKIP
    """

    def __init__(
        self,
        n_splits: int = 5,
        *,
        shuffle: bool = False,
        random_state: Any = None,
        order: int = 1,
    ) -> None:
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.order = order

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits, ``n_splits``."""
        return _check_int("n_splits", self.n_splits, 2)

    def test_folds(self, X: Any, y: Any) -> np.ndarray:
        """The test fold of every sample, int array of shape (n_samples,)."""
        k = self.get_n_splits()
        order = _check_order(self.order)
        Y = _targets(X, y, type(self).__name__)
        if k > Y.shape[0]:
            raise DataFormatError(
                f"cannot make n_splits={k} folds from {Y.shape[0]} samples; use at most "
                f"{Y.shape[0]} folds."
            )
        _warn_rare(Y, k, "folds")
        rng = _rng(self.random_state, default=None if self.shuffle else 0)
        return iterative_stratification(
            Y, np.full(k, 1.0 / k), order=order, shuffle=bool(self.shuffle), rng=rng
        )

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, test_indices)`` for each fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or None (only its length is used).
        y : 0/1 label matrix of shape (n_samples, n_labels), dense or sparse.
        groups : ignored.
        """
        folds = self.test_folds(X, y)
        for j in range(self.get_n_splits()):
            yield np.flatnonzero(folds != j), np.flatnonzero(folds == j)

    def _iter_test_masks(self, X: Any = None, y: Any = None, groups: Any = None) -> Any:
        folds = self.test_folds(X, y)
        for j in range(self.get_n_splits()):
            yield folds == j


class RepeatedMultilabelStratifiedKFold(BaseCrossValidator):
    """:class:`MultilabelStratifiedKFold` repeated ``n_repeats`` times with fresh shuffles.

    Parameters
    ----------
    n_splits : int, default 5
    n_repeats : int, default 10
    random_state : int, numpy Generator/RandomState or None
        Seeds every repetition; an int makes the whole sequence reproducible.
    order : {1, 2}, default 1
    """

    def __init__(
        self,
        n_splits: int = 5,
        *,
        n_repeats: int = 10,
        random_state: Any = None,
        order: int = 1,
    ) -> None:
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state
        self.order = order

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits, ``n_splits * n_repeats``."""
        return _check_int("n_splits", self.n_splits, 2) * _check_int("n_repeats", self.n_repeats, 1)

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, test_indices)``, repeat by repeat, fold by fold."""
        self.get_n_splits()
        rng = _rng(self.random_state)
        for _ in range(int(self.n_repeats)):
            seed = int(rng.integers(2**31 - 1))
            cv = MultilabelStratifiedKFold(
                self.n_splits, shuffle=True, random_state=seed, order=self.order
            )
            yield from cv.split(X, y)

    def _iter_test_masks(self, X: Any = None, y: Any = None, groups: Any = None) -> Any:
        n = len(X) if X is not None else y.shape[0]
        for _, test in self.split(X, y):
            mask = np.zeros(n, dtype=bool)
            mask[test] = True
            yield mask


class MultilabelStratifiedShuffleSplit(BaseCrossValidator):
    """Random stratified train/test splits (iterative stratification with two subsets).

    Parameters
    ----------
    n_splits : int, default 10
        Number of independent re-shuffled splits.
    test_size, train_size : float in (0, 1), int or None
        As in :class:`sklearn.model_selection.ShuffleSplit`; ``test_size`` defaults to 0.1 and
        ``train_size`` to the complement. Subset sizes match the request up to the stratification
        (a sample or two either way).
    random_state : int, numpy Generator/RandomState or None
    order : {1, 2}, default 1
    """

    def __init__(
        self,
        n_splits: int = 10,
        *,
        test_size: float | int | None = None,
        train_size: float | int | None = None,
        random_state: Any = None,
        order: int = 1,
    ) -> None:
        self.n_splits = n_splits
        self.test_size = test_size
        self.train_size = train_size
        self.random_state = random_state
        self.order = order

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits, ``n_splits``."""
        return _check_int("n_splits", self.n_splits, 1)

    def _sizes(self, n: int) -> tuple[int, int]:
        def count(name: str, value: Any) -> int | None:
            if value is None:
                return None
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                if not 1 <= int(value) < n:
                    raise ConfigError(f"{name}={value} must be between 1 and {n - 1} samples.")
                return int(value)
            if isinstance(value, numbers.Real) and 0 < float(value) < 1:
                share = float(value) * n
                return int(np.ceil(share)) if name == "test_size" else int(share)
            raise ConfigError(
                f"{name} must be a fraction in (0, 1) or a sample count, got {value!r}."
            )

        n_test = count("test_size", self.test_size)
        n_train = count("train_size", self.train_size)
        if n_test is None:
            n_test = n - n_train if n_train is not None else int(np.ceil(0.1 * n))
        if n_train is None:
            n_train = n - n_test
        if n_train < 1 or n_test < 1 or n_train + n_test > n:
            raise ConfigError(
                f"train_size={self.train_size!r} and test_size={self.test_size!r} give "
                f"{n_train} training and {n_test} test samples out of {n}; both must be ≥ 1 and "
                f"together at most {n}."
            )
        return n_train, n_test

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, test_indices)`` ``n_splits`` times."""
        splits = self.get_n_splits()
        order = _check_order(self.order)
        Y = _targets(X, y, type(self).__name__)
        n = Y.shape[0]
        if n < 2:
            raise DataFormatError(f"cannot split {n} sample(s) into train and test; need ≥ 2.")
        n_train, n_test = self._sizes(n)
        _warn_rare(Y, 2, "subsets")
        proportions = [n_test / n, n_train / n]
        if n_train + n_test < n:
            proportions.append((n - n_train - n_test) / n)  # left out of both
        rng = _rng(self.random_state)
        for _ in range(splits):
            part = iterative_stratification(
                Y, np.asarray(proportions), order=order, shuffle=True, rng=rng
            )
            yield np.flatnonzero(part == 1), np.flatnonzero(part == 0)

    def _iter_test_masks(self, X: Any = None, y: Any = None, groups: Any = None) -> Any:
        n = len(X) if X is not None else y.shape[0]
        for _, test in self.split(X, y):
            mask = np.zeros(n, dtype=bool)
            mask[test] = True
            yield mask
