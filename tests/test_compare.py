"""compare(): same folds for every model, correct means, paired tests, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import make_multilabel_classification
from sklearn.dummy import DummyClassifier
from sklearn.neighbors import KNeighborsClassifier

from tagwise.exceptions import ConfigError
from tagwise.metrics import micro_f1
from tagwise.model_selection._compare import compare, paired_test
from tagwise.models import LinearOneVsRest


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(
        300, 10, n_classes=4, random_state=0, allow_unlabeled=False
    )
    return X, Y


class _FoldSpy(KNeighborsClassifier):
    seen: list[int] = []  # noqa: RUF012 - test spy shared across clones

    def fit(self, X, y):
        _FoldSpy.seen.append(int(np.sum(X)))
        return super().fit(X, y)


def test_models_share_folds_and_means_match_manual_cv(data):
    X, Y = data
    _FoldSpy.seen = []
    metrics = {"micro_f1": (micro_f1, False, True)}
    result = compare({"a": _FoldSpy(3), "b": _FoldSpy(7)}, X, Y, cv=4, metrics=metrics)
    assert _FoldSpy.seen[:4] == _FoldSpy.seen[4:]  # the same training sets for both models
    from tagwise.model_selection import MultilabelStratifiedKFold

    manual = []
    for tr, te in MultilabelStratifiedKFold(4, shuffle=True, random_state=0).split(X, Y):
        manual.append(micro_f1(Y[te], KNeighborsClassifier(3).fit(X[tr], Y[tr]).predict(X[te])))
    np.testing.assert_allclose(result.scores["a"]["micro_f1"], manual)


def test_best_model_wins_and_a_dummy_is_significantly_worse(data):
    X, Y = data
    result = compare([LinearOneVsRest(), DummyClassifier(strategy="most_frequent")], X, Y, cv=5)
    assert result.models == ["LinearOneVsRest", "DummyClassifier"]
    assert result.best["micro_f1"] == "LinearOneVsRest"
    assert result.p_values["micro_f1"]["DummyClassifier"] < 0.05
    summary = result.summary()["micro_f1"]
    assert summary["DummyClassifier"]["significantly_worse"]
    assert summary["LinearOneVsRest"]["best"] and summary["LinearOneVsRest"]["p_value"] is None
    assert "hamming_loss" in result.metrics and result.higher_is_better["hamming_loss"] is False
    json.dumps(result.to_dict(), allow_nan=False)
    frame = result.to_frame()
    assert frame.loc["LinearOneVsRest", "micro_f1"].endswith("*")
    assert "worse than the best" in str(result)


def test_duplicate_class_names_get_suffixes(data):
    X, Y = data
    metrics = {"micro_f1": (micro_f1, False, True)}
    result = compare(
        [KNeighborsClassifier(3), KNeighborsClassifier(5)], X, Y, cv=2, metrics=metrics
    )
    assert result.models == ["KNeighborsClassifier", "KNeighborsClassifier_2"]


def test_paired_tests_against_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(0.7, 0.02, 10)
    b = a - rng.normal(0.01, 0.01, 10)
    assert paired_test(a, b, test="t") == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert paired_test(a, b, test="wilcoxon") == pytest.approx(
        stats.wilcoxon(a - b, zero_method="zsplit").pvalue
    )
    # the corrected test is more conservative than the plain one
    assert paired_test(a, b, test="corrected_t", test_fraction=0.2) > paired_test(a, b, test="t")
    d = a - b
    t = d.mean() / math.sqrt((1 / 10 + 0.25) * d.var(ddof=1))
    assert paired_test(a, b, test_fraction=0.2) == pytest.approx(2 * stats.t.sf(abs(t), 9))
    assert paired_test(a, a) == 1.0 and paired_test(a, a, test="wilcoxon") == 1.0
    exact = np.array([0.5, 0.25, 0.75])
    assert paired_test(exact + 1, exact) == 0.0
    assert math.isnan(paired_test([1.0], [0.5]))


def test_bad_input(data):
    X, Y = data
    with pytest.raises(ConfigError, match=r"at least one model; the list of models is empty"):
        compare([], X, Y)
    with pytest.raises(ConfigError, match=r"at least one model"):
        compare({}, X, Y)
    with pytest.raises(ConfigError, match=r"models must be a dict .* got 'linear'"):
        compare("linear", X, Y)
    with pytest.raises(ConfigError, match=r"model 'x' .* has no fit/predict"):
        compare({"x": 3}, X, Y)
    with pytest.raises(ConfigError, match=r"test must be one of corrected_t, t, wilcoxon, got 'z'"):
        compare([LinearOneVsRest()], X, Y, test="z")
    with pytest.raises(ConfigError, match=r"test must be one of"):
        paired_test([1, 2], [1, 2], test="anova")
