"""BlendClassifier: weighted probability average, bad parameters, save/load round trip."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

from tagwise.exceptions import ConfigError, LabelWarning
from tagwise.io import load_model, save_model
from tagwise.models import make_model
from tagwise.models._blend import BlendClassifier
from tagwise.models._knn import MLkNN
from tagwise.models._linear import LinearOneVsRest


def _data(n: int = 120, d: int = 8, L: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(d, L))
    Y = (X @ W + 0.3 * rng.normal(size=(n, L)) > 0).astype(np.int64)
    return X, Y


def test_blend_is_the_weighted_mean_of_its_members():
    X, Y = _data()
    a, b = LinearOneVsRest(C=0.1), MLkNN(k=5)
    blend = BlendClassifier([a, b], weights=[3, 1]).fit(X, Y)
    Pa = LinearOneVsRest(C=0.1).fit(X, Y).predict_proba(X)
    Pb = MLkNN(k=5).fit(X, Y).predict_proba(X)
    np.testing.assert_allclose(blend.predict_proba(X), 0.75 * Pa + 0.25 * Pb)
    np.testing.assert_array_equal(blend.predict(X), (blend.predict_proba(X) >= 0.5).astype(int))
    assert blend.predict_proba(X).shape == Y.shape


class _Confident(BaseEstimator):
    """A member that gives every label probability 0.9, whatever the data."""

    def fit(self, X, Y):
        self.n_labels_ = np.asarray(Y).shape[1]
        return self

    def predict_proba(self, X):
        return np.full((X.shape[0], self.n_labels_), 0.9)


def test_blend_never_predicts_a_label_without_positives():
    X, Y = _data()
    Y[:, 2] = 0
    with pytest.warns(LabelWarning, match="never occur"):
        blend = BlendClassifier([_Confident()]).fit(X, Y)
    pred = blend.predict(X)
    assert not pred[:, 2].any()  # 0.9 >= 0.5, but the label was never seen
    assert pred[:, [0, 1, 3]].all()
    assert np.isinf(blend.thresholds_[2])


def test_blend_by_name_on_sparse_input():
    X, Y = _data()
    blend = make_model("blend", estimators=[LinearOneVsRest(), LinearOneVsRest(C=0.1)])
    P = blend.fit(sp.csr_matrix(X), Y).predict_proba(sp.csr_matrix(X))
    assert P.shape == Y.shape and np.all((P >= 0) & (P <= 1))


def test_blend_save_load_round_trip(tmp_path):
    X, Y = _data()
    blend = BlendClassifier([LinearOneVsRest(C=0.1), MLkNN(k=5)], threshold=0.4).fit(X, Y)
    save_model(blend, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded, BlendClassifier)
    np.testing.assert_allclose(loaded.predict_proba(X), blend.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), blend.predict(X))


@pytest.mark.parametrize("estimators", [None, []])
def test_blend_needs_members(estimators):
    X, Y = _data()
    with pytest.raises(ConfigError, match="at least one estimator"):
        BlendClassifier(estimators).fit(X, Y)


@pytest.mark.parametrize("weights", [[1.0], [1.0, -1.0], [0.0, 0.0], [1.0, float("nan")]])
def test_blend_rejects_bad_weights(weights):
    X, Y = _data()
    with pytest.raises(ConfigError, match="non-negative finite numbers"):
        BlendClassifier([LinearOneVsRest(), MLkNN(k=3)], weights=weights).fit(X, Y)


def test_blend_member_without_predict_proba():
    from sklearn.svm import LinearSVC

    X, Y = _data()
    with pytest.raises(ConfigError, match="has no predict_proba"):
        BlendClassifier([LinearSVC()]).fit(X, Y)


@parametrize_with_checks(
    [BlendClassifier([LinearOneVsRest(), MLkNN(k=3)])],
    expected_failed_checks=lambda e: type(e)._expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
