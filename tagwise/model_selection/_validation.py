"""cross_validate: fit and score a multi-label estimator on every fold, mean ± std per metric.

Estimators that can train several models at once (``fit_many``, e.g. the neural models) fit all
folds in one stacked run; any other estimator is cloned per fold and fanned out with joblib
(``n_jobs``; any joblib backend, e.g. Dask or Ray, through ``joblib.parallel_config``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone

from tagwise._validation import check_features, check_same_length, check_targets
from tagwise.exceptions import ConfigError, LabelWarning
from tagwise.metrics import DEFAULT_METRICS, per_label_f1, score_all

__all__ = ["CVResult", "cross_validate", "resolve_cv"]


@dataclass
class CVResult:
    """Per-fold scores of a cross-validation and their summary.

    Attributes
    ----------
    folds : list of dict
        One ``{metric: value}`` per fold, in split order.
    per_label_f1 : ndarray of shape (n_folds, n_labels)
    label_names : list of str
    fit_time, score_time : float
        Wall seconds spent fitting (all folds) and scoring.
    estimators : list or None
        The fitted fold models when ``return_estimator=True``.
    predictions : list of (test_indices, scores) or None
        Each fold's test rows and predicted probabilities when ``return_predictions=True``.
    """

    folds: list[dict[str, float]]
    per_label_f1: np.ndarray
    label_names: list[str]
    fit_time: float
    score_time: float
    estimators: list[Any] | None = None
    predictions: list[tuple[np.ndarray, np.ndarray]] | None = None
    higher_is_better: dict[str, bool] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        return list(self.folds[0]) if self.folds else []

    def scores(self, metric: str) -> np.ndarray:
        """Fold values of ``metric``, shape (n_folds,)."""
        return np.array([fold[metric] for fold in self.folds], dtype=float)

    def summary(self) -> dict[str, tuple[float, float]]:
        """``{metric: (mean, std)}`` over folds (NaN folds ignored; std is the population std)."""
        return {
            m: (float(np.nanmean(self.scores(m))), float(np.nanstd(self.scores(m))))
            for m in self.metrics
        }

    def per_label_summary(self) -> dict[str, tuple[float, float]]:
        """``{label: (mean F1, std F1)}`` over folds."""
        mean, std = self.per_label_f1.mean(axis=0), self.per_label_f1.std(axis=0)
        return {name: (float(a), float(b)) for name, a, b in zip(self.label_names, mean, std)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result: summary, per-label F1, per-fold scores and timings."""
        return {
            "n_folds": len(self.folds),
            "summary": {m: {"mean": a, "std": b} for m, (a, b) in self.summary().items()},
            "per_label_f1": {
                k: {"mean": a, "std": b} for k, (a, b) in self.per_label_summary().items()
            },
            "folds": self.folds,
            "fit_time_s": self.fit_time,
            "score_time_s": self.score_time,
        }


def resolve_cv(cv: Any = None, *, random_state: int | None = 0) -> Any:
    """A splitter from ``cv``: None → 5-fold iterative stratification; an int → that many folds;
    a ``(n_splits, n_repeats)`` tuple → repeated stratified k-fold; anything with ``split`` or an
    iterable of ``(train, test)`` index pairs is used as it is."""
    from tagwise.model_selection._split import (
        MultilabelStratifiedKFold,
        RepeatedMultilabelStratifiedKFold,
    )

    if cv is None:
        cv = 5
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if cv < 2:
            raise ConfigError(f"cv must be at least 2 folds, got {cv}.")
        return MultilabelStratifiedKFold(n_splits=int(cv), shuffle=True, random_state=random_state)
    if isinstance(cv, tuple) and len(cv) == 2:
        return RepeatedMultilabelStratifiedKFold(
            n_splits=int(cv[0]), n_repeats=int(cv[1]), random_state=random_state
        )
    if hasattr(cv, "split") or isinstance(cv, Iterable):
        return cv
    raise ConfigError(
        f"cv={cv!r} is not a number of folds, a splitter or a list of (train, test) pairs."
    )


def _splits(cv: Any, X: Any, Y: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    pairs = cv.split(X, Y) if hasattr(cv, "split") else cv
    out = [(np.asarray(tr), np.asarray(te)) for tr, te in pairs]
    if not out:
        raise ConfigError("the cross-validator produced no splits.")
    return out


def feature_rows(X: Any) -> Any:
    """Features checked as usual; raw texts (a sequence of str, for text pipelines) kept as a
    1-D object array so that folds can index them."""
    if isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.ndim == 1):
        if len(X) and all(isinstance(x, str) for x in X):
            return np.asarray(X, dtype=object)
    return check_features(X)


def _fit_fold(estimator: Any, X: Any, Y: Any, train: np.ndarray) -> Any:
    return clone(estimator).fit(X[train], Y[train])


@contextmanager
def label_warnings_summarised(folds: str) -> Iterator[None]:
    """The folds' :class:`LabelWarning` s as one warning; other warnings pass unchanged.

    With labels rarer than the folds, every fold's fit and scores warn about the labels it
    happens to miss: a screenful of near-identical lines after the splitter has already named
    those labels once. (Folds fitted in other processes keep their warnings: joblib does not
    pass them back.)
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:  # also when a fold fails: its warnings may explain why
        registry: dict[Any, Any] = {}  # so that a warning repeated by every fold shows once
        labels = []
        for w in caught:
            if issubclass(w.category, LabelWarning):
                labels.append(str(w.message))
            else:
                warnings.warn_explicit(
                    w.message, w.category, w.filename, w.lineno, registry=registry
                )
    distinct = list(dict.fromkeys(labels))
    if distinct:
        warnings.warn(
            f"{folds}: their fits and scores gave {len(distinct)} distinct label "
            f"warning(s), e.g. rare labels missing from a fold; the first: {distinct[0]}",
            LabelWarning,
            stacklevel=4,
        )


def cross_validate(
    estimator: Any,
    X: Any,
    Y: Any,
    *,
    cv: Any = None,
    metrics: dict[str, Any] | None = None,
    n_jobs: int | None = None,
    random_state: int | None = 0,
    return_estimator: bool = False,
    return_predictions: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> CVResult:
    """Cross-validate ``estimator`` on X (n_samples, n_features) and 0/1 Y (n_samples, n_labels).

    Parameters
    ----------
    cv : None, int, (n_splits, n_repeats), splitter or iterable of (train, test)
        See :func:`resolve_cv`; the default is 5-fold iterative stratification.
    metrics : dict, optional
        ``{name: (function, needs_scores, higher_is_better)}``; default
        :data:`tagwise.metrics.DEFAULT_METRICS`.
    n_jobs : int, optional
        Folds fitted in parallel through joblib, for estimators without ``fit_many``.
    return_estimator, return_predictions : bool
        Keep the fitted fold models / each fold's test scores in the result.
    on_progress : callable(done, total), optional
        Called as folds (or, for stacked training, epochs) complete — drives progress bars.
    """
    X = feature_rows(X)
    Y = check_targets(Y)
    check_same_length(X, Y)
    splits = _splits(resolve_cv(cv, random_state=random_state), X, Y)
    metrics = metrics or DEFAULT_METRICS
    with label_warnings_summarised(f"the {len(splits)} folds"):
        t0 = time.perf_counter()
        if hasattr(estimator, "fit_many") and (n_jobs is None or n_jobs == 1):
            total = int(getattr(estimator, "epochs", 1))
            callback = None if on_progress is None else (lambda epoch: on_progress(epoch, total))
            models = estimator.fit_many(X, Y, [tr for tr, _ in splits], on_epoch=callback)
        else:
            jobs = (delayed(_fit_fold)(estimator, X, Y, tr) for tr, _ in splits)
            models = []
            for i, model in enumerate(Parallel(n_jobs=n_jobs, return_as="generator")(jobs)):
                models.append(model)
                if on_progress is not None:
                    on_progress(i + 1, len(splits))
        fit_time = time.perf_counter() - t0
        t0 = time.perf_counter()
        folds, per_label, predictions = [], [], []
        for model, (_, test) in zip(models, splits):
            scores = model.predict_proba(X[test])
            pred = model.predict(X[test])
            folds.append(score_all(Y[test], pred, scores, metrics))
            per_label.append(per_label_f1(Y[test], pred))
            if return_predictions:
                predictions.append((test, scores))
    names = [str(c) for c in getattr(models[0], "classes_", range(Y.shape[1]))]
    return CVResult(
        folds=folds,
        per_label_f1=np.asarray(per_label),
        label_names=names,
        fit_time=fit_time,
        score_time=time.perf_counter() - t0,
        estimators=models if return_estimator else None,
        predictions=predictions if return_predictions else None,
        higher_is_better={name: spec[2] for name, spec in metrics.items()},
    )
