"""MLkNN: agrees with a naive loop implementation of Zhang & Zhou (2007), sparse = dense."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.neighbors import NearestNeighbors

from tagwise.exceptions import ConfigError
from tagwise.io import load_model, save_model
from tagwise.models import MLkNN, make_model
from tagwise.models._knn import kneighbors


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(240, 8, n_classes=5, random_state=3)
    X = X + np.random.default_rng(0).normal(0, 1e-3, X.shape)  # no distance ties
    return X[:180], Y[:180], X[180:], Y[180:]


def naive_mlknn(Xtr, Ytr, Xte, k, s, include_self):
    """The paper's algorithm, one loop per sample and label (the reference)."""
    n, L = Ytr.shape
    nn = NearestNeighbors(n_neighbors=k + 1).fit(Xtr)
    train_nbrs = nn.kneighbors(Xtr, k + 1, return_distance=False)
    train_nbrs = train_nbrs[:, :k] if include_self else train_nbrs[:, 1:]
    prior = (s + Ytr.sum(0)) / (2 * s + n)
    c1 = np.zeros((L, k + 1))
    c0 = np.zeros((L, k + 1))
    for i in range(n):
        counts = Ytr[train_nbrs[i]].sum(0)
        for j in range(L):
            (c1 if Ytr[i, j] else c0)[j, counts[j]] += 1
    p1 = (s + c1) / (s * (k + 1) + c1.sum(1, keepdims=True))
    p0 = (s + c0) / (s * (k + 1) + c0.sum(1, keepdims=True))
    test_nbrs = nn.kneighbors(Xte, k, return_distance=False)
    out = np.zeros((len(Xte), L))
    for i in range(len(Xte)):
        counts = Ytr[test_nbrs[i]].sum(0)
        for j in range(L):
            a = prior[j] * p1[j, counts[j]]
            b = (1 - prior[j]) * p0[j, counts[j]]
            out[i, j] = a / (a + b)
    return out


@pytest.mark.parametrize("include_self", [False, True])
def test_matches_naive_reference(data, include_self):
    Xtr, Ytr, Xte, _ = data
    model = MLkNN(k=5, s=0.7, include_self=include_self, max_memory_mb=0.01).fit(Xtr, Ytr)
    expected = naive_mlknn(Xtr, Ytr, Xte, 5, 0.7, include_self)
    np.testing.assert_allclose(model.predict_proba(Xte), expected, atol=1e-12)
    assert np.array_equal(model.predict(Xte), (expected >= 0.5).astype(int))


def test_sparse_equals_dense_and_integer_data_is_exact():
    rng = np.random.default_rng(1)
    X = (rng.random((150, 30)) < 0.2).astype(float)  # binary: many distance ties
    Y = (rng.random((150, 4)) < 0.3).astype(int)
    dense = MLkNN(k=7).fit(X[:100], Y[:100])
    sparse = MLkNN(k=7).fit(sp.csr_matrix(X[:100]), Y[:100])
    np.testing.assert_array_equal(
        dense.predict_proba(X[100:]), sparse.predict_proba(sp.csr_matrix(X[100:]))
    )
    # ties at the k-th distance go to the lower training index, as a stable sort would
    d = ((X[100:, None, :] - X[None, :100, :]) ** 2).sum(-1)
    expected = np.sort(np.argsort(d, axis=1, kind="stable")[:, :7], axis=1)
    np.testing.assert_array_equal(np.sort(dense.kneighbors(X[100:]), axis=1), expected)


def test_cosine_metric_ignores_scale(data):
    Xtr, Ytr, Xte, _ = data
    a = MLkNN(metric="cosine").fit(Xtr, Ytr).predict_proba(Xte)
    b = MLkNN(metric="cosine").fit(Xtr * 3.0, Ytr).predict_proba(Xte * 0.5)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_save_load_round_trip(data, tmp_path):
    Xtr, Ytr, Xte, _ = data
    for X_fit, X_test in ((Xtr, Xte), (sp.csr_matrix(Xtr), sp.csr_matrix(Xte))):
        model = make_model("mlknn", k=4).fit(X_fit, Ytr)
        loaded = load_model(save_model(model, tmp_path / "m"))
        np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"k": 0}, r"k must be in \[1"),
        ({"k": 2.5}, "k must be an integer"),
        ({"k": 180}, "n_samples=180 leaves only 179"),
        ({"s": 0}, r"s must be in \(0"),
        ({"metric": "cosin"}, "Did you mean 'cosine'"),
    ],
)
def test_bad_parameters(data, params, match):
    Xtr, Ytr, _, _ = data
    with pytest.raises(ConfigError, match=match):
        MLkNN(**params).fit(Xtr, Ytr)


@pytest.mark.parametrize("exclude_self", [False, True])
def test_threaded_chunked_search_equals_stable_sort_with_ties(exclude_self):
    # binary bag-of-words-like data: many exact ties at the k-th distance, searched in many
    # small chunks by 3 threads; the result must be the stable-sort (lower index) answer
    rng = np.random.default_rng(7)
    X = sp.csr_matrix((rng.random((300, 40)) < 0.1).astype(float))
    k = 6
    got = np.vstack(
        [
            nbrs
            for _, nbrs in kneighbors(
                X, X, k, exclude_self=exclude_self, max_memory_mb=0.05, n_jobs=3
            )
        ]
    )
    D = X.toarray()
    d = ((D[:, None, :] - D[None, :, :]) ** 2).sum(-1)
    if exclude_self:
        np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(got, order)
    one = MLkNN(k=k, n_jobs=1).fit(X, rng.random((300, 3)) < 0.4)
    many = MLkNN(k=k, n_jobs=4, max_memory_mb=0.05).fit(X, one.Y_fit_.toarray())
    np.testing.assert_array_equal(one.predict_proba(X), many.predict_proba(X))


def test_n_jobs_must_be_positive():
    with pytest.raises(ConfigError, match="n_jobs"):
        MLkNN(n_jobs=0).fit(np.eye(4), np.eye(4, dtype=int)[:, :2])
