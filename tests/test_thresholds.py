"""Threshold strategies against brute force; the ThresholdedClassifier meta-estimator; bad input."""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.base import BaseEstimator
from sklearn.datasets import make_multilabel_classification

from tagwise.exceptions import ConfigError, DataFormatError, LabelWarning
from tagwise.io import load_model, save_model
from tagwise.models import LinearOneVsRest
from tagwise.thresholds import (
    CardinalityCut,
    FixedThreshold,
    GlobalThreshold,
    PerLabelThreshold,
    ThresholdedClassifier,
    TopK,
    best_f1_thresholds,
    grid_counts,
    grid_scores,
    make_strategy,
    out_of_fold_scores,
)
from tagwise.thresholds._strategies import GRID


def _scores(seed=0, n=120, n_labels=6):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, n_labels)) < 0.25).astype(int)
    S = np.clip(0.35 * Y + 0.65 * rng.random((n, n_labels)), 0, 1)
    return Y, S


def _f1(y, pred):
    """Naive reference F1 of one label (0 when there is nothing to score)."""
    tp = np.sum((y == 1) & pred)
    denom = np.sum(y == 1) + np.sum(pred)
    return 2 * tp / denom if denom else 0.0


def test_best_f1_thresholds_match_brute_force():
    Y, S = _scores(1)
    S[:10, 0] = 0.5  # a run of ties
    thr, f1 = best_f1_thresholds(Y, S)
    for j in range(Y.shape[1]):
        brute = max(_f1(Y[:, j], S[:, j] >= t) for t in np.unique(S[:, j]))
        assert f1[j] == pytest.approx(brute)
        assert skm.f1_score(Y[:, j], S[:, j] >= thr[j]) == pytest.approx(brute)


def test_grid_scores_match_sklearn_at_grid_points():
    Y, S = _scores(2)
    curves = grid_scores(grid_counts(Y, S))
    for i in (0, 20, 49, 77, 98):
        P = (S >= GRID[i]).astype(int)
        assert curves["micro_f1"][i] == pytest.approx(skm.f1_score(Y, P, average="micro"))
        assert curves["macro_f1"][i] == pytest.approx(
            skm.f1_score(Y, P, average="macro", zero_division=0)
        )
        assert curves["example_f1"][i] == pytest.approx(
            skm.f1_score(Y, P, average="samples", zero_division=1)
        )


@pytest.mark.parametrize("metric", ["micro_f1", "macro_f1", "example_f1"])
def test_global_threshold_is_the_grid_optimum(metric):
    Y, S = _scores(3)
    strat = GlobalThreshold(metric).fit(Y, S)
    avg = {"micro_f1": "micro", "macro_f1": "macro", "example_f1": "samples"}[metric]

    def score(t):
        zero = 1 if avg == "samples" else 0  # empty truth and prediction is perfect
        return skm.f1_score(Y, (S >= t).astype(int), average=avg, zero_division=zero)

    best = max(score(t) for t in GRID)
    assert score(strat.threshold_) == pytest.approx(best)
    assert np.all(strat.thresholds == strat.threshold_)


def test_per_label_rare_labels_fall_back_to_global():
    Y, S = _scores(4)
    Y[:, 2] = 0
    Y[:3, 2] = 1  # 3 positives < min_support
    strat = PerLabelThreshold(min_support=5, tolerance=0).fit(Y, S)
    assert not strat.tuned_[2] and strat.tuned_[0]
    assert strat.thresholds_[2] == strat._global.threshold_
    P = strat.apply(S)
    exact, _ = best_f1_thresholds(Y, S)
    fixed = (S >= 0.5).astype(int)
    for j in np.flatnonzero(strat.tuned_):  # exact tuning: F1 on the tuning data ≥ any cut's
        assert strat.thresholds_[j] == exact[j]
        assert skm.f1_score(Y[:, j], P[:, j]) >= skm.f1_score(Y[:, j], fixed[:, j]) - 1e-12


@pytest.mark.parametrize("z", [0.5, 1.0, 3.0])
def test_one_standard_error_rule_matches_brute_force(z):
    Y, S = _scores(8, n=300)
    strat = PerLabelThreshold(min_support=1, tolerance=z).fit(Y, S)
    anchor = strat._global.threshold_
    for j in range(Y.shape[1]):
        f1 = np.array([_f1(Y[:, j], S[:, j] >= t) for t in GRID])
        se = np.sqrt(f1.max() * (1 - f1.max()) / Y[:, j].sum())
        near = GRID[f1 >= f1.max() - z * se - 1e-12]
        assert strat.thresholds_[j] == pytest.approx(near[np.argmin(np.abs(near - anchor))])
    # a larger tolerance keeps labels at least as close to the global threshold
    wide = PerLabelThreshold(min_support=1, tolerance=10).fit(Y, S)
    assert np.all(np.abs(wide.thresholds_ - anchor) <= np.abs(strat.thresholds_ - anchor) + 1e-12)


def test_top_k_and_at_least_one():
    Y, S = _scores(5)
    P = TopK(2).fit(Y, S).apply(S)
    assert (P.sum(axis=1) == 2).all()
    assert all(set(np.flatnonzero(P[i])) == set(np.argsort(-S[i])[:2]) for i in range(5))
    low = np.full((3, 6), 0.1)
    low[:, 4] = 0.2
    P = FixedThreshold(0.5, at_least_one=True).fit(Y, S).apply(low)
    assert P.tolist() == [[0, 0, 0, 0, 1, 0]] * 3
    assert FixedThreshold(0.5).fit(Y, S).apply(low).sum() == 0


def test_cardinality_cut():
    Y, S = _scores(6)
    P = CardinalityCut().fit(Y, S).apply(S)
    assert (P.sum(axis=1) == np.rint(S.sum(axis=1))).all()
    strat = CardinalityCut("train").fit(Y, S)
    assert strat.cardinality_ == pytest.approx(Y.sum(axis=1).mean())
    assert (strat.apply(S).sum(axis=1) == int(np.rint(Y.sum(axis=1).mean()))).all()


def test_make_strategy_specs():
    assert make_strategy("fixed:0.3").threshold == 0.3
    assert make_strategy("top-k:3").k == 3
    assert make_strategy("per_label:10").min_support == 10
    assert make_strategy("global:macro_f1").metric == "macro_f1"
    assert make_strategy({"name": "cardinality", "source": "train"}).source == "train"
    assert make_strategy("per_label", at_least_one=True).at_least_one
    s = TopK(1)
    assert make_strategy(s) is s


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("median", r"unknown threshold strategy 'median'; use one of fixed, global"),
        (3, r"unknown threshold strategy 3"),
        ("top_k:x", r"'x' is not a valid k \(int\)"),
        ("fixed:1.5", r"threshold must be a number in \[0, 1\], got 1.5"),
        ("top_k:0", r"k must be a positive integer, got 0"),
        ("per_label:0", r"min_support must be an integer ≥ 1, got 0"),
        (
            {"name": "per_label", "tolerance": -1},
            r"tolerance must be a number in \[0, 10\], got -1",
        ),
        ("global:auc", r"metric must be one of micro_f1, macro_f1, example_f1, got 'auc'"),
        ("cardinality:max", r"source must be 'expected' or 'train', got 'max'"),
        ({"name": "top_k", "kk": 3}, r"bad options for the top_k strategy"),
    ],
)
def test_bad_strategy_specs(spec, message):
    with pytest.raises(ConfigError, match=message):
        make_strategy(spec)


def test_strategy_input_errors():
    Y, S = _scores(7)
    with pytest.raises(ConfigError, match=r"the per_label strategy is not fitted"):
        PerLabelThreshold().apply(S)
    strat = PerLabelThreshold().fit(Y, S)
    with pytest.raises(ConfigError, match=r"Y_score has 3 labels but .* fitted on 6"):
        strat.apply(S[:, :3])
    with pytest.raises(DataFormatError, match=r"probabilities in \[0, 1\]; found 1.9"):
        strat.apply(S + 1)
    with pytest.raises(DataFormatError, match=r"Y_true has shape \(120, 6\) but Y_score"):
        PerLabelThreshold().fit(Y, S[:, :5])
    with pytest.raises(ConfigError, match=r"k=9 is larger than the number of labels \(6\)"):
        TopK(9).fit(Y, S)


# ---- the meta-estimator ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(
        400, 12, n_classes=6, n_labels=2, random_state=0, allow_unlabeled=False
    )
    return X.astype(np.float32), Y


class _Recorder(BaseEstimator):
    """Scores = a fixed column mix of X; records the row counts it was fitted on."""

    fitted_sizes: ClassVar[list[int]] = []

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, Y):
        type(self).fitted_sizes.append(X.shape[0])
        self.n_labels_ = Y.shape[1]
        return self

    def predict_proba(self, X):
        scores = np.abs(X[:, : self.n_labels_]) / 10 * self.scale
        return np.clip(scores, 0, 1) if self.scale == 1.0 else scores


def test_oof_tuning_fits_k_clones_then_refits(data):
    X, Y = data
    _Recorder.fitted_sizes = []
    ThresholdedClassifier(_Recorder(), strategy="per_label", cv=4, random_state=0).fit(X, Y)
    sizes = _Recorder.fitted_sizes
    assert len(sizes) == 5 and sizes[-1] == 400 and all(290 <= s <= 310 for s in sizes[:4])


def test_oof_folds_missing_a_rare_label_warn_once_by_column(data):
    # label 0 has 1 positive for 3 folds: the splitter says so once; the fold fit that never
    # sees it stays quiet instead of claiming it "never occurs in training"
    X, Y = data
    Y = Y.copy()
    Y[:, 0] = 0
    Y[0, 0] = 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out_of_fold_scores(LinearOneVsRest(), X, Y, cv=3, random_state=0)
    messages = [str(w.message) for w in caught if issubclass(w.category, LabelWarning)]
    assert len(messages) == 1 and "fewer positive samples than the 3 folds" in messages[0]


def test_validation_set_is_used_for_tuning_and_never_for_fitting(data):
    X, Y = data
    _Recorder.fitted_sizes = []
    m = ThresholdedClassifier(_Recorder(), strategy="global")
    m.fit(X[:300], Y[:300], X_val=X[300:], Y_val=Y[300:])
    assert _Recorder.fitted_sizes == [300]
    expected = GlobalThreshold().fit(Y[300:], m.estimator_.predict_proba(X[300:]))
    assert m.strategy_.threshold_ == expected.threshold_


def test_prefit_and_fixed_need_no_extra_fits(data):
    X, Y = data
    inner = _Recorder().fit(X[:300], Y[:300])
    _Recorder.fitted_sizes = []
    m = ThresholdedClassifier(inner, strategy="per_label", cv="prefit").fit(X[300:], Y[300:])
    assert _Recorder.fitted_sizes == [] and m.estimator_ is inner
    ThresholdedClassifier(_Recorder(), strategy="top_k:2").fit(X, Y)
    assert _Recorder.fitted_sizes == [400]


def test_per_label_tuning_beats_fixed_on_held_out_data(data):
    X, Y = data
    base = LinearOneVsRest()
    fixed = ThresholdedClassifier(base, strategy="fixed").fit(X[:300], Y[:300])
    tuned = ThresholdedClassifier(base, strategy="per_label", random_state=0).fit(X[:300], Y[:300])
    f_fixed = skm.f1_score(Y[300:], fixed.predict(X[300:]), average="macro")
    f_tuned = skm.f1_score(Y[300:], tuned.predict(X[300:]), average="macro")
    assert f_tuned >= f_fixed - 0.02  # tuning must not hurt (it usually helps; see benchmark)
    assert tuned.thresholds_.shape == (6,)


def test_predict_labels_follow_the_strategy(data):
    X, Y = data
    m = ThresholdedClassifier(LinearOneVsRest(), strategy="top_k:2").fit(X, Y, X_val=X, Y_val=Y)
    labels = m.predict_labels(X[:3])
    assert all(len(row) == 2 for row in labels)
    assert labels[0][0][1] >= labels[0][1][1]
    assert all(len(r) == 1 for r in m.predict_labels(X[:3], top_k=1))
    assert m.thresholds_ is None


@pytest.mark.parametrize("strategy", ["per_label", "global", "top_k:2", "cardinality:train"])
def test_save_load_round_trip(tmp_path, data, strategy):
    X, Y = data
    m = ThresholdedClassifier(LinearOneVsRest(), strategy=strategy, cv=3, random_state=0)
    m.fit(X, Y)
    save_model(m, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert type(loaded.estimator_) is LinearOneVsRest
    np.testing.assert_array_equal(loaded.predict(X), m.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), m.predict_proba(X))
    assert repr(loaded.strategy_) == repr(m.strategy_)


def test_meta_estimator_errors(data):
    X, Y = data
    with pytest.raises(ConfigError, match=r"needs an estimator"):
        ThresholdedClassifier().fit(X, Y)
    with pytest.raises(ConfigError, match=r"give both X_val and Y_val"):
        ThresholdedClassifier(_Recorder()).fit(X, Y, X_val=X)
    with pytest.raises(DataFormatError, match=r"Y_val has 2 labels but Y has 6"):
        ThresholdedClassifier(_Recorder()).fit(X, Y, X_val=X[:5], Y_val=Y[:5, :2])
    with pytest.raises(ConfigError, match=r"LinearRegression has no predict_proba"):
        from sklearn.linear_model import LinearRegression

        ThresholdedClassifier(LinearRegression(), strategy="top_k:1").fit(X, Y)
    with pytest.raises(DataFormatError, match=r"predict_proba must hold probabilities"):
        ThresholdedClassifier(_Recorder(scale=50.0), strategy="fixed").fit(X, Y)
    with pytest.raises(ConfigError, match=r"cv must be a number of folds, a splitter or 'prefit'"):
        ThresholdedClassifier(_Recorder(), cv="five").fit(X, Y)
    with (
        pytest.raises(DataFormatError, match=r"5-fold out-of-fold scores, .* got 3\. Lower cv"),
        pytest.warns(LabelWarning, match="never occur in training"),  # 3 rows miss some labels
    ):
        ThresholdedClassifier(_Recorder(), cv=5).fit(X[:3], Y[:3])
