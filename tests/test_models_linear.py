"""LinearOneVsRest: matches per-label scikit-learn solvers, sparse = dense, saves, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from tagwise.exceptions import ConfigError, LabelWarning
from tagwise.io import load_model, save_model
from tagwise.models import LinearOneVsRest, make_model


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(300, 20, n_classes=6, random_state=0)
    return X.astype(np.float64), Y


def test_logistic_matches_sklearn_per_label(data):
    X, Y = data
    model = LinearOneVsRest(C=0.5, standardize=False, tol=1e-8, max_iter=100).fit(X, Y)
    for j in range(Y.shape[1]):
        ref = LogisticRegression(C=0.5, tol=1e-10, max_iter=10000).fit(X, Y[:, j])
        np.testing.assert_allclose(model.coef_[:, j], ref.coef_.ravel(), atol=1e-4)
        np.testing.assert_allclose(model.intercept_[j], ref.intercept_[0], atol=1e-4)


def test_squared_hinge_matches_liblinear(data):
    X, Y = data
    model = LinearOneVsRest(
        loss="squared_hinge", C=0.1, standardize=False, tol=1e-8, max_iter=100
    ).fit(X, Y)
    # liblinear penalises its intercept; a huge intercept_scaling makes that penalty vanish
    ref = LinearSVC(C=0.1, tol=1e-10, max_iter=100000, intercept_scaling=1e3).fit(X, Y[:, 2])
    np.testing.assert_allclose(model.coef_[:, 2], ref.coef_.ravel(), atol=1e-3)


def test_l1_gives_sparse_weights(data):
    X, Y = data
    l1 = LinearOneVsRest(penalty="l1", C=0.05).fit(X, Y)
    l2 = LinearOneVsRest(C=0.05).fit(X, Y)
    assert (l1.coef_ == 0).sum() > (l2.coef_ == 0).sum()
    assert (l1.predict(X) == Y).mean() > 0.7


def test_sparse_equals_dense(data):
    X, Y = data
    dense = LinearOneVsRest(standardize=False, tol=1e-8).fit(X, Y)
    sparse = LinearOneVsRest(standardize=False, tol=1e-8).fit(sp.csr_matrix(X), Y)
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)), atol=1e-6
    )


def test_standardize_is_folded_into_weights(data):
    X, Y = data
    Xs = X * np.linspace(1, 1000, X.shape[1])
    a = LinearOneVsRest(standardize=True).fit(X, Y)
    b = LinearOneVsRest(standardize=True).fit(Xs, Y)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(Xs), atol=1e-4)


def test_balanced_weights_raise_recall_of_rare_labels(data):
    X, Y = data
    Y = Y.copy()
    Y[40:, 0] = 0  # label 0 becomes rare
    plain = LinearOneVsRest(C=0.1).fit(X, Y).predict(X)[:, 0].sum()
    balanced = LinearOneVsRest(C=0.1, class_weight="balanced").fit(X, Y).predict(X)[:, 0].sum()
    assert balanced > plain


def test_constant_labels_warn_and_are_never_predicted(data):
    X, Y = data
    Y = Y.copy()
    Y[:, 1] = 0
    Y[:, 2] = 1
    with pytest.warns(LabelWarning, match="never occur"):
        model = LinearOneVsRest().fit(X, Y)
    pred = model.predict(X)
    assert pred[:, 1].sum() == 0 and pred[:, 2].all()


def test_save_load_round_trip(data, tmp_path):
    X, Y = data
    model = make_model("linear", C=0.3).fit(X, Y)
    loaded = load_model(save_model(model, tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.get_params() == model.get_params()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"loss": "logistc"}, "Did you mean 'logistic'"),
        ({"penalty": "l3"}, "penalty='l3' is not valid"),
        ({"C": 0}, r"C must be in \(0"),
        ({"C": "big"}, "C must be a finite number"),
        ({"max_iter": 0}, "max_iter must be in"),
        ({"standardize": "yes"}, "standardize='yes' is not valid"),
        ({"class_weight": "balancd"}, "Did you mean 'balanced'"),
        ({"class_weight": [1.0, 2.0]}, "one per label"),
        ({"class_weight": -1.0}, "class_weight must be in"),
    ],
)
def test_bad_parameters(data, params, match):
    X, Y = data
    with pytest.raises(ConfigError, match=match):
        LinearOneVsRest(**params).fit(X, Y)


def test_make_model_unknown_names():
    with pytest.raises(ConfigError, match="Did you mean 'linear'"):
        make_model("lineer")
    with pytest.raises(ConfigError, match=r"has no parameter 'c'.*Did you mean 'C'"):
        make_model("linear", c=1.0)
