"""Threshold strategies: how scores become label sets.

A strategy is fitted on *held-out* scores (out-of-fold or validation predictions — never the test
data) and then applied to new scores. Every strategy takes ``at_least_one``: a sample left without
any label gets its highest-scoring one (useful when every sample is known to carry a label).

======================  ==========================================================================
``fixed[:t]``           one threshold ``t`` for every label (default 0.5), nothing tuned
``global[:metric]``     one threshold for every label, tuned to maximise ``micro_f1`` (default),
                        ``macro_f1`` or ``example_f1`` on a grid of 0.01 … 0.99
``per_label[:n]``       a threshold per label tuned for that label's F1, with two guards against
                        overfitting: a label with fewer than ``n`` positives (default 5) in the
                        tuning data keeps the global threshold (Fan & Lin, "A Study on Threshold
                        Selection for Multi-label Classification", 2007, call this the "fbr"
                        guard), and a label leaves the global threshold only as far as its F1
                        gain exceeds ``tolerance`` (0.5) standard errors (the one-standard-error
                        rule); ``tolerance=0`` takes the exact F1-optimal cut
``calibrated[:n]``      every label's scores calibrated by Platt scaling (labels with fewer
                        than ``n`` positives, default 3, share one scaling), then one threshold
                        on the calibrated scores, tuned for micro-F1: with calibrated
                        probabilities one shared cut is what maximises micro-F1 (Lipton et al.,
                        "Optimal thresholding of classifiers to maximize F1", 2014), where
                        per-label cuts chase each label's own F1
``top_k[:k]``           the ``k`` highest-scoring labels of every sample (default 1)
``cardinality[:src]``   the top ``m`` labels where ``m`` is the sample's predicted cardinality:
                        ``expected`` (default) rounds Σ_j p_j of the sample; ``train`` uses the
                        mean label cardinality of the tuning data (Read's PCut)
======================  ==========================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, logit

from tagwise._validation import check_targets
from tagwise.exceptions import ConfigError
from tagwise.metrics._core import check_scores

__all__ = [
    "CalibratedThreshold",
    "CardinalityCut",
    "FixedThreshold",
    "GlobalThreshold",
    "PerLabelThreshold",
    "ThresholdStrategy",
    "TopK",
    "ensure_at_least_one",
    "make_strategy",
]

GRID = np.round(np.linspace(0.01, 0.99, 99), 2)
GLOBAL_METRICS = ("micro_f1", "macro_f1", "example_f1")


def _dense(Y: Any) -> np.ndarray:
    Y = check_targets(Y, name="Y_true")
    return Y.toarray() if hasattr(Y, "toarray") else Y


def _top_mask(S: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Boolean mask of the ``m[i]`` highest scores of each row (ties: lower index first)."""
    ranks = np.empty_like(S, dtype=np.int64)
    order = np.argsort(-S, axis=1, kind="stable")
    np.put_along_axis(ranks, order, np.arange(S.shape[1])[None, :], axis=1)
    return ranks < m[:, None]


def ensure_at_least_one(pred: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Give every row of ``pred`` (n_samples, n_labels; 0/1 or bool) without a label its
    highest-scoring one, in place; returns ``pred``."""
    empty = ~pred.any(axis=1)
    if empty.any():
        pred[empty, np.argmax(scores[empty], axis=1)] = 1
    return pred


class ThresholdStrategy:
    """Base class: ``fit(Y_true, Y_score)`` on held-out scores, then ``apply(Y_score)``."""

    name = "base"
    needs_probabilities = True
    needs_scores = True  # False: nothing is tuned on scores, so no held-out scores are needed

    def __init__(self, *, at_least_one: bool = False) -> None:
        self.at_least_one = bool(at_least_one)
        self.n_labels_: int | None = None

    # -- the protocol ---------------------------------------------------------------------
    def fit(self, Y_true: Any, Y_score: Any) -> ThresholdStrategy:
        """Tune on held-out truth and scores, both of shape (n_samples, n_labels)."""
        Y = _dense(Y_true)
        S = check_scores(Y_score, Y.shape, probabilities=self.needs_probabilities)
        self.n_labels_ = Y.shape[1]
        self._fit(Y, S)
        return self

    def apply(self, Y_score: Any) -> np.ndarray:
        """0/1 label matrix of shape (n_samples, n_labels) for the scores."""
        if self.n_labels_ is None:
            raise ConfigError(f"the {self.name} strategy is not fitted; call fit() first.")
        S = check_scores(Y_score, probabilities=self.needs_probabilities)
        if S.shape[1] != self.n_labels_:
            raise ConfigError(
                f"Y_score has {S.shape[1]} labels but the {self.name} strategy was fitted on "
                f"{self.n_labels_}."
            )
        mask = self._apply(S)
        if self.at_least_one:
            ensure_at_least_one(mask, self._comparable(S))
        return mask.astype(np.int64)

    @property
    def thresholds(self) -> np.ndarray | None:
        """Per-label thresholds, shape (n_labels,), for threshold strategies; None otherwise."""
        return None

    # -- persistence: JSON state + arrays ---------------------------------------------------
    def params(self) -> dict[str, Any]:
        return {"at_least_one": self.at_least_one}

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"name": self.name, "params": self.params(), "n_labels": self.n_labels_}, {}

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.n_labels_ = state["n_labels"]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"

    def _fit(self, Y: np.ndarray, S: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _comparable(self, S: np.ndarray) -> np.ndarray:
        """Scores comparable across labels, for ``at_least_one``'s best label of a row."""
        return S

    def _apply(self, S: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class FixedThreshold(ThresholdStrategy):
    """Every label positive when its score ≥ ``threshold``."""

    name = "fixed"
    needs_scores = False

    def __init__(self, threshold: float = 0.5, *, at_least_one: bool = False) -> None:
        super().__init__(at_least_one=at_least_one)
        if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"threshold must be a number in [0, 1], got {threshold!r}.")
        self.threshold = float(threshold)

    def params(self) -> dict[str, Any]:
        return {"threshold": self.threshold, **super().params()}

    @property
    def thresholds(self) -> np.ndarray | None:
        return None if self.n_labels_ is None else np.full(self.n_labels_, self.threshold)

    def _fit(self, Y: np.ndarray, S: np.ndarray) -> None:
        pass

    def _apply(self, S: np.ndarray) -> np.ndarray:
        return S >= self.threshold


def grid_counts(Y: np.ndarray, S: np.ndarray, grid: np.ndarray = GRID) -> dict[str, np.ndarray]:
    """Confusion counts at every grid threshold, in one pass over the cells.

    Returns ``tp`` and ``pp`` of shape (n_grid, n_labels) (true and predicted positives per
    label) and ``tp_rows``/``pp_rows`` of shape (n_grid, n_samples), plus ``pos`` (n_labels,)
    and ``pos_rows`` (n_samples,).
    """
    n, n_labels = S.shape
    g = len(grid)
    # bin b = number of grid points ≤ score: the cell is predicted positive at grid[i] iff i < b
    b = np.searchsorted(grid, S, side="right")
    is_pos = Y.astype(bool)

    def cum(index: np.ndarray, size: int, weights: np.ndarray | None) -> np.ndarray:
        hist = np.bincount(index.ravel(), weights=weights, minlength=size * (g + 1))
        hist = hist.reshape(size, g + 1)
        # predicted positive at grid i ⇔ bin > i: reverse cumulative sum over bins i+1..g
        return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].T

    lab = b + (np.arange(n_labels) * (g + 1))[None, :]
    row = b + (np.arange(n) * (g + 1))[:, None]
    w = is_pos.ravel().astype(float)
    return {
        "tp": cum(lab, n_labels, w),
        "pp": cum(lab, n_labels, None),
        "tp_rows": cum(row, n, w),
        "pp_rows": cum(row, n, None),
        "pos": is_pos.sum(axis=0).astype(float),
        "pos_rows": is_pos.sum(axis=1).astype(float),
    }


def grid_scores(counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """micro-, macro- and example-F1 at every grid threshold, each of shape (n_grid,)."""
    tp, pp, pos = counts["tp"], counts["pp"], counts["pos"]
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = pp.sum(axis=1) + pos.sum()
        micro = np.where(denom > 0, 2 * tp.sum(axis=1) / denom, 0.0)
        per = np.where(pp + pos > 0, 2 * tp / (pp + pos), 0.0)
        rows = counts["pp_rows"] + counts["pos_rows"][None, :]
        ex = np.where(rows > 0, 2 * counts["tp_rows"] / rows, 1.0)
    return {"micro_f1": micro, "macro_f1": per.mean(axis=1), "example_f1": ex.mean(axis=1)}


class GlobalThreshold(ThresholdStrategy):
    """One threshold for every label, tuned on held-out scores to maximise ``metric``."""

    name = "global"

    def __init__(self, metric: str = "micro_f1", *, at_least_one: bool = False) -> None:
        super().__init__(at_least_one=at_least_one)
        if metric not in GLOBAL_METRICS:
            raise ConfigError(f"metric must be one of {', '.join(GLOBAL_METRICS)}, got {metric!r}.")
        self.metric = metric
        self.threshold_: float = 0.5

    def params(self) -> dict[str, Any]:
        return {"metric": self.metric, **super().params()}

    @property
    def thresholds(self) -> np.ndarray | None:
        return None if self.n_labels_ is None else np.full(self.n_labels_, self.threshold_)

    def _fit(self, Y: np.ndarray, S: np.ndarray) -> None:
        curve = grid_scores(grid_counts(Y, S))[self.metric]
        self.threshold_ = float(GRID[int(np.argmax(curve))])

    def _apply(self, S: np.ndarray) -> np.ndarray:
        return S >= self.threshold_

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, arrays = super().get_state()
        return {**state, "threshold": self.threshold_}, arrays

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super().set_state(state, arrays)
        self.threshold_ = float(state["threshold"])


def best_f1_thresholds(Y: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The F1-optimal threshold of every label, exactly, and the F1 it reaches.

    Each column's scores are sorted; every cut between two distinct scores is a candidate, and
    the threshold is put halfway between the last score kept and the first one dropped (a margin
    on both sides). Returns two arrays of shape (n_labels,).
    """
    n = S.shape[0]
    order = np.argsort(-S, axis=0, kind="stable")
    s = np.take_along_axis(S, order, axis=0)
    y = np.take_along_axis(Y, order, axis=0).astype(float)
    tp = np.cumsum(y, axis=0)
    pos = tp[-1]
    predicted = np.arange(1, n + 1, dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = 2 * tp / (predicted + pos[None, :])
    f1[:-1][s[:-1] == s[1:]] = -1.0  # a cut inside a run of equal scores is not realisable
    best = np.argmax(f1, axis=0)
    cols = np.arange(S.shape[1])
    nxt = np.minimum(best + 1, n - 1)
    thr = np.where(best < n - 1, (s[best, cols] + s[nxt, cols]) / 2, s[best, cols])
    return thr, f1[best, cols]


def one_se_thresholds(
    Y: np.ndarray, S: np.ndarray, anchor: float, z: float, grid: np.ndarray = GRID
) -> np.ndarray:
    """Per-label thresholds by the one-standard-error rule, shape (n_labels,).

    Among the grid thresholds whose F1 on the tuning data is within ``z`` standard errors of the
    label's best F1, take the one closest to ``anchor`` (the global threshold). The standard
    error is the binomial approximation ``sqrt(F(1-F)/n_pos)``. This is the rule of Breiman et
    al. (CART, 1984; Hastie, Tibshirani & Friedman, ESL §7.10) applied to thresholds: an F1
    curve that is flat within its noise leaves the label at the shared threshold, instead of at
    whichever extreme point happened to score best on finitely many samples.
    """
    counts = grid_counts(Y, S, grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(
            counts["pp"] + counts["pos"] > 0, 2 * counts["tp"] / (counts["pp"] + counts["pos"]), 0.0
        )
    best = f1.max(axis=0)
    se = np.sqrt(np.maximum(best * (1 - best), 0.0) / np.maximum(counts["pos"], 1.0))
    near = f1 >= best - z * se - 1e-12
    distance = np.where(near, np.abs(grid[:, None] - anchor), np.inf)
    return grid[np.argmin(distance, axis=0)]


class PerLabelThreshold(ThresholdStrategy):
    """A threshold per label tuned for F1, guarded against overfitting.

    Parameters
    ----------
    min_support : labels with fewer positives in the tuning data keep the global threshold.
    tolerance : ``z`` of the one-standard-error rule (:func:`one_se_thresholds`); a label moves
        away from the global threshold only as far as its F1 gain is larger than ``z`` standard
        errors. 0 takes the exact F1-optimal cut of every label (:func:`best_f1_thresholds`),
        which overfits flat F1 curves.
    metric : what the global threshold (the anchor and fallback) maximises.
    """

    name = "per_label"

    def __init__(
        self,
        min_support: int = 5,
        *,
        tolerance: float = 0.5,
        metric: str = "micro_f1",
        at_least_one: bool = False,
    ) -> None:
        super().__init__(at_least_one=at_least_one)
        if not isinstance(min_support, int) or isinstance(min_support, bool) or min_support < 1:
            raise ConfigError(f"min_support must be an integer ≥ 1, got {min_support!r}.")
        if not isinstance(tolerance, (int, float)) or not 0 <= tolerance <= 10:
            raise ConfigError(f"tolerance must be a number in [0, 10], got {tolerance!r}.")
        self.min_support = min_support
        self.tolerance = float(tolerance)
        self.metric = metric
        self._global = GlobalThreshold(metric)
        self.thresholds_: np.ndarray | None = None
        self.tuned_: np.ndarray | None = None

    def params(self) -> dict[str, Any]:
        return {
            "min_support": self.min_support,
            "tolerance": self.tolerance,
            "metric": self.metric,
            **super().params(),
        }

    @property
    def thresholds(self) -> np.ndarray | None:
        return self.thresholds_

    def _fit(self, Y: np.ndarray, S: np.ndarray) -> None:
        self._global.fit(Y, S)
        anchor = self._global.threshold_
        if self.tolerance == 0:
            thr, _ = best_f1_thresholds(Y, S)
        else:
            thr = one_se_thresholds(Y, S, anchor, self.tolerance)
        self.tuned_ = Y.sum(axis=0) >= self.min_support
        self.thresholds_ = np.where(self.tuned_, thr, anchor)

    def _apply(self, S: np.ndarray) -> np.ndarray:
        return S >= np.asarray(self.thresholds_)[None, :]

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, _ = super().get_state()
        state["global_threshold"] = self._global.threshold_
        thresholds, tuned = np.asarray(self.thresholds_), np.asarray(self.tuned_)
        return state, {"thresholds": thresholds, "tuned": tuned.astype(np.uint8)}

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super().set_state(state, arrays)
        self._global.threshold_ = float(state["global_threshold"])
        self.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
        self.tuned_ = np.asarray(arrays["tuned"]).astype(bool)


def platt_scaling(
    Z: np.ndarray, Y: np.ndarray, *, n_iter: int = 100, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Per-column Platt scaling: ``a``, ``b`` of shape (n_labels,) with ``expit(a * Z + b)``
    calibrated to the 0/1 ``Y`` (Z, Y of shape (n_samples, n_labels)).

    Platt's (1999) smoothed targets ``(n₊ + 1) / (n₊ + 2)`` and ``1 / (n₋ + 2)`` keep a label
    with few positives from a step function. Newton's method with backtracking, as Lin, Lin &
    Weng (2007) make Platt's fit reliable; the columns take their 2×2 steps together, and a
    column leaves once its Newton decrement is below ``tol``.
    """
    pos = Y.sum(axis=0)
    neg = Y.shape[0] - pos
    T = np.where(Y > 0, (pos + 1) / (pos + 2), 1 / (neg + 2))

    def loss(a: np.ndarray, b: np.ndarray, Z: np.ndarray, T: np.ndarray) -> np.ndarray:
        U = a * Z + b  # cross-entropy with soft targets, written to stay finite
        return ((1 - T) * U + np.logaddexp(0, -U)).sum(axis=0)

    a, b = np.zeros(Z.shape[1]), np.log((pos + 1) / (neg + 1))
    f_all = loss(a, b, Z, T)  # each column's loss at its current (a, b)
    active = np.arange(Z.shape[1])
    for _ in range(n_iter):
        Za, Ta, aa, ba = Z[:, active], T[:, active], a[active], b[active]
        P = expit(aa * Za + ba)
        R, W = P - Ta, P * (1 - P)
        ga, gb = (R * Za).sum(axis=0), R.sum(axis=0)
        haa, hab, hbb = (W * Za * Za).sum(axis=0), (W * Za).sum(axis=0), W.sum(axis=0)
        det = np.maximum(haa * hbb - hab * hab, 1e-300)
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        moving = ga * da + gb * db > tol  # the Newton decrement: what a full step would gain
        if not moving.any():
            break
        active, aa, ba, da, db = active[moving], aa[moving], ba[moving], da[moving], db[moving]
        Za, Ta = Za[:, moving], Ta[:, moving]
        f, step = f_all[active], np.ones(len(active))
        for _ in range(30):  # halve a column's step until its loss does not increase
            trial = loss(aa - step * da, ba - step * db, Za, Ta)
            worse = ~(trial <= f)
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        step = np.where(worse, 0.0, step)
        a[active], b[active] = aa - step * da, ba - step * db
        f_all[active] = np.where(worse, f, trial)
        active = active[step > 0]  # a column no step improves is as good as it gets
    return a, b


class CalibratedThreshold(ThresholdStrategy):
    """Platt-scale every label's scores, then one threshold on the calibrated scores.

    Per-label thresholds each maximise their own label's F1, which sets a weak label's cut low
    (its best F1 is low) and costs micro-F1 in false positives; one threshold on *uncalibrated*
    scores treats labels whose scores mean different things alike. Calibrating first and then
    cutting once is the micro-F1-optimal rule for calibrated scores (Lipton et al., 2014).

    Parameters
    ----------
    min_support : labels with fewer positives in the tuning data share one scaling, fitted on
        the cells of all labels (default 3: Platt's smoothed targets already temper a label
        with few positives, and on training hold-outs of Reuters 3 beat 5 and 10).
    metric : what the threshold on the calibrated scores maximises (default ``micro_f1``).

    The fitted rule is a per-label threshold on the original scores (``thresholds``); with
    ``at_least_one`` a row's best label is its best *calibrated* score.
    """

    name = "calibrated"

    def __init__(
        self, min_support: int = 3, *, metric: str = "micro_f1", at_least_one: bool = False
    ) -> None:
        super().__init__(at_least_one=at_least_one)
        if not isinstance(min_support, int) or isinstance(min_support, bool) or min_support < 1:
            raise ConfigError(f"min_support must be an integer ≥ 1, got {min_support!r}.")
        self.min_support = min_support
        self.metric = metric
        self._global = GlobalThreshold(metric)
        self.scale_: np.ndarray | None = None
        self.shift_: np.ndarray | None = None

    def params(self) -> dict[str, Any]:
        return {"min_support": self.min_support, "metric": self.metric, **super().params()}

    @property
    def thresholds(self) -> np.ndarray | None:
        if self.scale_ is None or self.shift_ is None:
            return None
        return expit((logit(self._global.threshold_) - self.shift_) / self.scale_)

    def _logits(self, S: np.ndarray) -> np.ndarray:
        return logit(np.clip(S, 1e-12, 1 - 1e-12))  # finite for scores of exactly 0 or 1

    def _comparable(self, S: np.ndarray) -> np.ndarray:
        return np.asarray(self.scale_) * self._logits(S) + np.asarray(self.shift_)

    def _fit(self, Y: np.ndarray, S: np.ndarray) -> None:
        Z = self._logits(S)
        # the shared scaling from every cell, or an even sample of 2 million: two parameters
        stride = max(1, Z.size // 2_000_000)
        shared_a, shared_b = platt_scaling(Z.reshape(-1, 1)[::stride], Y.reshape(-1, 1)[::stride])
        sa, sb = (shared_a[0], shared_b[0]) if shared_a[0] > 0 else (1.0, 0.0)
        self.scale_, self.shift_ = np.full(Y.shape[1], sa), np.full(Y.shape[1], sb)
        # a label with constant scores has no slope to fit (any a with b = U - a·z fits)
        own = np.flatnonzero((Y.sum(axis=0) >= self.min_support) & (np.ptp(Z, axis=0) > 0))
        a, b = platt_scaling(Z[:, own], Y[:, own])
        # scores that do not rank a label's positives first (a ≤ 0) keep the shared scaling:
        # a decreasing map would turn the threshold around
        self.scale_[own] = np.where(a > 0, a, self.scale_[own])
        self.shift_[own] = np.where(a > 0, b, self.shift_[own])
        self._global.fit(Y, expit(self._comparable(S)))

    def _apply(self, S: np.ndarray) -> np.ndarray:
        return S >= np.asarray(self.thresholds)[None, :]

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, _ = super().get_state()
        state["threshold"] = self._global.threshold_
        return state, {"scale": np.asarray(self.scale_), "shift": np.asarray(self.shift_)}

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super().set_state(state, arrays)
        self._global.threshold_ = float(state["threshold"])
        self.scale_ = np.asarray(arrays["scale"], dtype=np.float64)
        self.shift_ = np.asarray(arrays["shift"], dtype=np.float64)


class TopK(ThresholdStrategy):
    """The ``k`` highest-scoring labels of every sample."""

    name = "top_k"
    needs_probabilities = False
    needs_scores = False

    def __init__(self, k: int = 1, *, at_least_one: bool = False) -> None:
        super().__init__(at_least_one=at_least_one)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ConfigError(f"k must be a positive integer, got {k!r}.")
        self.k = k

    def params(self) -> dict[str, Any]:
        return {"k": self.k, **super().params()}

    def _fit(self, Y: np.ndarray, S: np.ndarray) -> None:
        if self.k > Y.shape[1]:
            raise ConfigError(
                f"k={self.k} is larger than the number of labels ({Y.shape[1]}); "
                f"use k ≤ {Y.shape[1]}."
            )

    def _apply(self, S: np.ndarray) -> np.ndarray:
        return _top_mask(S, np.full(S.shape[0], self.k))


class CardinalityCut(ThresholdStrategy):
    """The top ``m`` labels, ``m`` the predicted label cardinality of the sample."""

    name = "cardinality"
    needs_scores = False  # "train" uses the labels only; "expected" tunes nothing

    def __init__(self, source: str = "expected", *, at_least_one: bool = False) -> None:
        super().__init__(at_least_one=at_least_one)
        if source not in ("expected", "train"):
            raise ConfigError(f"source must be 'expected' or 'train', got {source!r}.")
        self.source = source
        self.cardinality_: float = 0.0

    def params(self) -> dict[str, Any]:
        return {"source": self.source, **super().params()}

    def _fit(self, Y: np.ndarray, S: np.ndarray) -> None:
        self.cardinality_ = float(Y.sum(axis=1).mean())

    def _apply(self, S: np.ndarray) -> np.ndarray:
        if self.source == "expected":
            m = np.rint(S.sum(axis=1)).astype(np.int64)
        else:
            m = np.full(S.shape[0], int(np.rint(self.cardinality_)))
        return _top_mask(S, m)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, arrays = super().get_state()
        return {**state, "cardinality": self.cardinality_}, arrays

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super().set_state(state, arrays)
        self.cardinality_ = float(state["cardinality"])


STRATEGIES: dict[str, type[ThresholdStrategy]] = {
    cls.name: cls
    for cls in (
        FixedThreshold,
        GlobalThreshold,
        PerLabelThreshold,
        CalibratedThreshold,
        TopK,
        CardinalityCut,
    )
}
# the one positional argument of each spec string, "name:arg"
_ARG: dict[str, tuple[str, type]] = {
    "fixed": ("threshold", float),
    "global": ("metric", str),
    "per_label": ("min_support", int),
    "calibrated": ("min_support", int),
    "top_k": ("k", int),
    "cardinality": ("source", str),
}


def make_strategy(spec: Any, **options: Any) -> ThresholdStrategy:
    """A strategy from a spec: an instance, ``"name"``, ``"name:arg"`` or a dict.

    ``"per_label:10"`` means ``PerLabelThreshold(min_support=10)``, ``"top_k:3"``
    ``TopK(k=3)``, ``"fixed:0.3"``, ``"global:macro_f1"``, ``"cardinality:train"``. A dict is
    ``{"name": ..., **params}``. ``options`` (e.g. ``at_least_one=True``) are added.
    """
    if isinstance(spec, ThresholdStrategy):
        return spec
    params: dict[str, Any] = {}
    if isinstance(spec, dict):
        params = {k: v for k, v in spec.items() if k != "name"}
        name = spec.get("name")
    elif isinstance(spec, str):
        name, _, arg = spec.strip().replace("-", "_").partition(":")
        if arg:
            key, cast = _ARG.get(name, ("", str))
            try:
                params[key] = cast(arg)
            except ValueError:
                raise ConfigError(
                    f"strategy {spec!r}: {arg!r} is not a valid {key} ({cast.__name__})."
                ) from None
    else:
        name = None
    if name not in STRATEGIES:
        raise ConfigError(
            f"unknown threshold strategy {spec!r}; use one of {', '.join(STRATEGIES)} "
            "(e.g. 'per_label', 'top_k:3', 'fixed:0.4')."
        )
    try:
        return STRATEGIES[name](**params, **options)
    except TypeError as exc:
        raise ConfigError(f"bad options for the {name} strategy: {exc}") from None


def strategy_from_state(state: dict[str, Any], arrays: dict[str, np.ndarray]) -> ThresholdStrategy:
    """Rebuild a fitted strategy from :meth:`ThresholdStrategy.get_state` output."""
    strategy = make_strategy({"name": state["name"], **state["params"]})
    strategy.set_state(state, arrays)
    return strategy
