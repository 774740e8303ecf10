"""The calibrated strategy: Platt scaling per label, then one threshold for micro-F1."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from tagwise.exceptions import ConfigError
from tagwise.metrics import micro_f1
from tagwise.thresholds import CalibratedThreshold, make_strategy, strategy_from_state
from tagwise.thresholds._strategies import platt_scaling


def _skewed(seed: int, n: int = 600):
    """Three labels whose scores mean different things: label 0's positives score around 0.8,
    label 1's around 0.35 (its negatives around 0.15), label 2's anywhere (uninformative)."""
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, 3)) < [0.3, 0.3, 0.1]).astype(int)
    noise = rng.normal(0, 0.07, (n, 3))
    S = np.column_stack(
        [np.where(Y[:, 0] == 1, 0.8, 0.45), np.where(Y[:, 1] == 1, 0.35, 0.15), rng.random(n)]
    )
    return Y, np.clip(S + noise, 0.001, 0.999)


def test_platt_scaling_matches_a_logistic_regression_on_platts_targets():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(300, 2)) * [1.0, 3.0]
    Y = (rng.random((300, 2)) < 1 / (1 + np.exp(-(Z * [2.0, -0.5] + [0.3, 1.0])))).astype(int)
    a, b = platt_scaling(Z, Y)
    for j in range(2):
        # the smoothed targets as two weighted copies of every sample
        pos, neg = Y[:, j].sum(), (1 - Y[:, j]).sum()
        t = np.where(Y[:, j] == 1, (pos + 1) / (pos + 2), 1 / (neg + 2))
        x = np.concatenate([Z[:, j], Z[:, j]])[:, None]
        y = np.concatenate([np.ones(300), np.zeros(300)])
        ref = LogisticRegression(C=1e10, tol=1e-10, max_iter=1000).fit(
            x, y, sample_weight=np.concatenate([t, 1 - t])
        )
        assert a[j] == pytest.approx(ref.coef_[0, 0], rel=1e-4)
        assert b[j] == pytest.approx(ref.intercept_[0], rel=1e-4, abs=1e-6)


def test_calibrating_first_beats_one_threshold_on_held_out_micro_f1():
    Y, S = _skewed(0)
    Y_new, S_new = _skewed(1)
    one = make_strategy("global").fit(Y, S).apply(S_new)
    calibrated = make_strategy("calibrated").fit(Y, S).apply(S_new)
    # one shared cut on raw scores must give up label 0's negatives or label 1's positives
    assert micro_f1(Y_new, calibrated) > micro_f1(Y_new, one) + 0.05


def test_the_rule_is_per_label_thresholds_on_the_original_scores_and_survives_its_state():
    Y, S = _skewed(0)
    rule = CalibratedThreshold().fit(Y, S)
    thresholds = rule.thresholds
    assert thresholds is not None and thresholds.shape == (3,)
    assert thresholds[1] < 0.35 < thresholds[0]  # each label's cut sits where its scores live
    _, S_new = _skewed(2)
    np.testing.assert_array_equal(rule.apply(S_new), (S_new >= thresholds).astype(int))
    state, arrays = rule.get_state()
    again = strategy_from_state(state, arrays)
    np.testing.assert_array_equal(again.apply(S_new), rule.apply(S_new))
    np.testing.assert_allclose(again.thresholds, thresholds)


def test_few_positives_or_reversed_scores_take_the_shared_scaling():
    Y, S = _skewed(0)
    S, Y = S.copy(), Y.copy()
    S[:, 2], Y[:, 2] = 1 - S[:, 0], Y[:, 0]  # label 2's positives score *low*
    Y[5:, 1] = 0  # label 1 keeps at most 5 positives
    rule = CalibratedThreshold(min_support=10).fit(Y, S)
    shared = CalibratedThreshold(min_support=10**6).fit(Y, S)  # every label shares
    assert rule.scale_ is not None and shared.scale_ is not None
    assert rule.scale_[0] != pytest.approx(shared.scale_[0])  # label 0 gets its own
    # a decreasing map (scale < 0) would turn label 2's threshold around: it shares instead
    assert rule.scale_[1] == shared.scale_[1] and rule.scale_[2] == shared.scale_[2] > 0
    S[:, 0] = 0.3  # constant scores: no slope to fit, so no own scaling either
    rule = CalibratedThreshold(min_support=10).fit(Y, S)
    shared = CalibratedThreshold(min_support=10**6).fit(Y, S)
    assert rule.scale_[0] == shared.scale_[0] and np.isfinite(rule.thresholds).all()


def test_at_least_one_takes_the_best_calibrated_label():
    Y, S = _skewed(0)
    rule = make_strategy("calibrated", at_least_one=True).fit(Y, S)
    # raw scores favour label 0 (0.42 vs 0.30), but 0.30 is high for label 1 and 0.42 low for 0
    row = np.array([[0.42, 0.30, 0.01]])
    assert rule.apply(row).tolist() == [[0, 1, 0]]


def test_spec_and_bad_values():
    assert make_strategy("calibrated:3").min_support == 3
    assert make_strategy("calibrated").min_support == 3
    with pytest.raises(ConfigError, match="min_support"):
        make_strategy("calibrated:0")
    with pytest.raises(ConfigError, match="metric"):
        make_strategy({"name": "calibrated", "metric": "accuracy"})


def test_a_calibrated_model_saves_and_loads_with_the_same_decisions(tmp_path):
    from sklearn.datasets import make_multilabel_classification

    from tagwise.io import load_model, save_model
    from tagwise.models import LinearOneVsRest
    from tagwise.thresholds import ThresholdedClassifier

    X, Y = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
    model = ThresholdedClassifier(
        LinearOneVsRest(), strategy="calibrated", at_least_one=True, cv=3, random_state=0
    ).fit(X[:200], Y[:200])
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.strategy_.name == "calibrated"
    np.testing.assert_array_equal(loaded.predict(X[200:]), model.predict(X[200:]))
    np.testing.assert_allclose(loaded.thresholds_, model.thresholds_)
