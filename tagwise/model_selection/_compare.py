"""compare: several models on the same folds, mean ± std per metric, a paired test against the best.

Cross-validation folds overlap in their training sets, so the fold scores of two models are not
independent samples and a plain paired t-test is far too eager to call a difference real.
The default test is the *corrected resampled t-test* (Nadeau & Bengio, "Inference for the
Generalization Error", Machine Learning 52, 2003; recommended by Bouckaert & Frank, PAKDD 2004):
the variance of the fold differences is inflated by ``1/J + n_test/n_train``. The Wilcoxon
signed-rank test is the non-parametric alternative (with 5 folds its smallest p-value is 0.0625;
use repeated folds for power).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from sklearn.base import clone

from tagwise._validation import check_same_length, check_targets
from tagwise.exceptions import ConfigError
from tagwise.metrics._core import DEFAULT_METRICS, score_all
from tagwise.model_selection._validation import feature_rows, label_warnings_summarised

__all__ = ["ComparisonResult", "compare", "paired_test"]

TESTS = ("corrected_t", "t", "wilcoxon")


def paired_test(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    test: str = "corrected_t",
    test_fraction: float = 0.2,
) -> float:
    """Two-sided p-value that the fold scores ``a`` and ``b`` (same folds) have equal means.

    ``test_fraction`` is n_test / n_samples of the folds (the correction uses n_test / n_train).
    """
    if test not in TESTS:
        raise ConfigError(f"test must be one of {', '.join(TESTS)}, got {test!r}.")
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return float("nan")
    if test == "wilcoxon":
        if np.all(d == 0):
            return 1.0
        return float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
    var = float(np.var(d, ddof=1))
    mean = float(np.mean(d))
    if var == 0:
        return 1.0 if mean == 0 else 0.0
    factor = 1 / len(d)
    if test == "corrected_t":
        factor += test_fraction / (1 - test_fraction)
    t = mean / math.sqrt(factor * var)
    return float(2 * stats.t.sf(abs(t), df=len(d) - 1))


@dataclass
class ComparisonResult:
    """Fold scores of every model and the tests against the best model of each metric.

    Attributes
    ----------
    scores : ``{model: {metric: array of shape (n_folds,)}}``.
    best : ``{metric: model}`` (highest mean, or lowest for losses).
    p_values : ``{metric: {model: p}}`` against the best (the best itself is absent).
    """

    scores: dict[str, dict[str, np.ndarray]]
    higher_is_better: dict[str, bool]
    test: str
    alpha: float = 0.05
    best: dict[str, str] = field(default_factory=dict)
    p_values: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return list(self.scores)

    @property
    def metrics(self) -> list[str]:
        return list(self.higher_is_better)

    def summary(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{metric: {model: {mean, std, p_value, best, significantly_worse}}}``."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for metric in self.metrics:
            out[metric] = {}
            for model in self.models:
                values = self.scores[model][metric]
                p = self.p_values[metric].get(model)
                out[metric][model] = {
                    "mean": float(np.nanmean(values)) if np.isfinite(values).any() else None,
                    "std": float(np.nanstd(values)) if np.isfinite(values).any() else None,
                    "p_value": p,
                    "best": self.best[metric] == model,
                    "significantly_worse": bool(p is not None and p < self.alpha),
                }
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the summary plus every fold score."""
        from tagwise.metrics._report import to_json_ready

        return to_json_ready(
            {
                "test": self.test,
                "alpha": self.alpha,
                "summary": self.summary(),
                "fold_scores": self.scores,
            }
        )

    def to_frame(self) -> Any:
        """pandas DataFrame, one row per model, ``mean ± std`` per metric (``*`` = best)."""
        import pandas as pd

        rows = {}
        for model in self.models:
            rows[model] = {m: self._cell(m, model) for m in self.metrics}
        return pd.DataFrame.from_dict(rows, orient="index")

    def _cell(self, metric: str, model: str) -> str:
        s = self.summary()[metric][model]
        if s["mean"] is None:
            return "n/a"
        mark = " *" if s["best"] else (" (p<α)" if s["significantly_worse"] else "")
        return f"{s['mean']:.4f} ± {s['std']:.4f}{mark}"

    def __str__(self) -> str:
        width = max(len(m) for m in self.models)
        lines = [f"{'metric':<20} " + " ".join(f"{m:>{max(width, 24)}}" for m in self.models)]
        for metric in self.metrics:
            cells = " ".join(f"{self._cell(metric, m):>{max(width, 24)}}" for m in self.models)
            lines.append(f"{metric:<20} {cells}")
        lines.append(f"* best; (p<α): worse than the best by a {self.test} test at α={self.alpha}")
        return "\n".join(lines)


def _named(models: Any) -> dict[str, Any]:
    if isinstance(models, Mapping):
        named = {str(k): v for k, v in models.items()}
    elif isinstance(models, Sequence) and not isinstance(models, str):
        named = {}
        for model in models:
            base = type(model).__name__
            name, i = base, 2
            while name in named:
                name, i = f"{base}_{i}", i + 1
            named[name] = model
    else:
        raise ConfigError(f"models must be a dict of name → estimator or a list, got {models!r}.")
    if not named:
        raise ConfigError("compare needs at least one model; the list of models is empty.")
    for name, model in named.items():
        if not hasattr(model, "fit") or not hasattr(model, "predict"):
            raise ConfigError(f"model {name!r} ({model!r}) has no fit/predict; not an estimator.")
    return named


def compare(
    models: Mapping[str, Any] | Sequence[Any],
    X: Any,
    Y: Any,
    *,
    cv: Any = 5,
    metrics: Mapping[str, tuple[Any, bool, bool]] | None = None,
    test: str = "corrected_t",
    alpha: float = 0.05,
    random_state: Any = 0,
    progress: Any = None,
) -> ComparisonResult:
    """Fit every model on the same folds and compare them metric by metric.

    Parameters
    ----------
    models : ``{name: estimator}`` or a list of estimators (named after their class).
    X : features of shape (n_samples, n_features), dense or sparse, or raw texts (for text
        pipelines).
    Y : 0/1 targets of shape (n_samples, n_labels).
    cv : number of iterative-stratified folds (shuffled with ``random_state``) or a splitter;
        every model sees exactly the same splits.
    metrics : like :data:`tagwise.metrics.DEFAULT_METRICS` (name → (fn, needs_scores,
        higher_is_better)).
    test : ``"corrected_t"`` (default), ``"wilcoxon"`` or ``"t"`` (uncorrected, optimistic).
    progress : optional callable ``progress(model_name, fold_index)`` called before each fit.
    """
    from tagwise.model_selection._split import MultilabelStratifiedKFold
    from tagwise.thresholds._classifier import predict_scores

    named = _named(models)
    if test not in TESTS:
        raise ConfigError(f"test must be one of {', '.join(TESTS)}, got {test!r}.")
    X = feature_rows(X)
    Y = check_targets(Y)
    check_same_length(X, Y)
    table = dict(metrics or DEFAULT_METRICS)
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        cv = MultilabelStratifiedKFold(int(cv), shuffle=True, random_state=random_state)
    splits = list(cv.split(X, Y))
    test_fraction = float(np.mean([len(te) / (len(tr) + len(te)) for tr, te in splits]))
    scores: dict[str, dict[str, list[float]]] = {n: {m: [] for m in table} for n in named}
    with label_warnings_summarised(f"the {len(splits)} folds of {len(named)} model(s)"):
        for name, model in named.items():
            for i, (train, test_idx) in enumerate(splits):
                if progress is not None:
                    progress(name, i)
                fitted = clone(model).fit(X[train], Y[train])
                proba = predict_scores(fitted, X[test_idx])
                pred = fitted.predict(X[test_idx])
                fold = score_all(Y[test_idx], pred, proba, table)
                for metric in table:
                    scores[name][metric].append(fold.get(metric, float("nan")))
    arrays = {n: {m: np.asarray(v, dtype=float) for m, v in s.items()} for n, s in scores.items()}
    result = ComparisonResult(arrays, {m: bool(spec[2]) for m, spec in table.items()}, test, alpha)
    for metric, higher in result.higher_is_better.items():
        means = {
            n: np.nanmean(arrays[n][metric]) if np.isfinite(arrays[n][metric]).any() else np.nan
            for n in named
        }
        finite = {n: v for n, v in means.items() if np.isfinite(v)}
        if not finite:
            result.best[metric], result.p_values[metric] = next(iter(named)), {}
            continue
        best = max(finite, key=finite.get) if higher else min(finite, key=finite.get)  # type: ignore[arg-type]
        result.best[metric] = best
        result.p_values[metric] = {
            n: paired_test(
                arrays[n][metric], arrays[best][metric], test=test, test_fraction=test_fraction
            )
            for n in named
            if n != best
        }
    return result
