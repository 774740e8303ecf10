"""BinaryRelevance, classifier chains, label powerset / RAkEL and the automatic choice."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from tagwise.exceptions import ConfigError, ModelFormatError
from tagwise.io import load_model, save_model
from tagwise.models import (
    AutoClassifier,
    BinaryRelevance,
    ClassifierChain,
    EnsembleOfChains,
    LabelPowerset,
    LinearOneVsRest,
    RakelClassifier,
    choose_model,
    make_model,
)


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(200, 10, n_classes=5, random_state=1)
    return X.astype(np.float64), Y


# -- binary relevance -------------------------------------------------------------------------
def test_br_matches_per_label_sklearn(data):
    X, Y = data
    model = BinaryRelevance(LogisticRegression(C=0.5), n_jobs=2).fit(X, Y)
    for j in range(Y.shape[1]):
        ref = LogisticRegression(C=0.5).fit(X, Y[:, j]).predict_proba(X)[:, 1]
        np.testing.assert_allclose(model.predict_proba(X)[:, j], ref)


def test_br_constant_label_and_any_estimator(data):
    X, Y = data
    Y = Y.copy()
    Y[:, 0] = 1
    model = BinaryRelevance(DecisionTreeClassifier(max_depth=2)).fit(X, Y)
    assert model.predict_proba(X).shape == Y.shape and model.predict(X)[:, 0].all()


def test_br_margin_classifier_scores_are_sigmoid_of_the_margin(data):
    X, Y = data
    model = BinaryRelevance(LinearSVC(C=0.5)).fit(X, Y)
    for j in range(Y.shape[1]):
        margin = LinearSVC(C=0.5).fit(X, Y[:, j]).decision_function(X)
        np.testing.assert_allclose(model.predict_proba(X)[:, j], 1 / (1 + np.exp(-margin)))
        np.testing.assert_array_equal(model.predict(X)[:, j], (margin >= 0).astype(int))


class _NoScores:
    """A classifier with neither predict_proba nor decision_function."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def get_params(self, deep=True):
        return {}


def test_br_errors(data, tmp_path):
    X, Y = data
    with pytest.raises(ConfigError, match="_NoScores has neither predict_proba nor decision"):
        BinaryRelevance(_NoScores()).fit(X, Y)
    with pytest.raises(ConfigError, match="must be a scikit-learn classifier"):
        BinaryRelevance("forest").fit(X, Y)
    with pytest.raises(ModelFormatError, match="cannot be saved without pickle"):
        save_model(BinaryRelevance().fit(X, Y), tmp_path / "br")
    with pytest.raises(ModelFormatError, match="cannot be loaded"):
        BinaryRelevance()._restore_artifact({}, {})


# -- chains -----------------------------------------------------------------------------------
def test_chain_first_label_equals_one_vs_rest(data):
    X, Y = data
    order = [3, 0, 4, 1, 2]
    chain = ClassifierChain(order=order, standardize=False, tol=1e-8).fit(X, Y)
    ovr = LinearOneVsRest(standardize=False, tol=1e-8).fit(X, Y)
    # the first label of the chain sees no other label: it is the plain one-vs-rest model
    np.testing.assert_allclose(chain.predict_proba(X)[:, 3], ovr.predict_proba(X)[:, 3], atol=1e-6)
    # weights on labels later in the chain are exactly zero; earlier ones are used
    d = X.shape[1]
    assert np.all(chain.coef_[d + 2, [3, 0, 4, 1]] == 0) and np.any(chain.coef_[d + 3] != 0)


def test_chain_matches_sequential_reference(data):
    X, Y = data
    chain = ClassifierChain(order="random", random_state=0, chain_input="hard").fit(X, Y)
    d, P = X.shape[1], np.zeros(Y.shape)
    fed = np.zeros(Y.shape)
    for j in chain.order_:
        z = X @ chain.coef_[:d, j] + fed @ chain.coef_[d:, j] + chain.intercept_[j]
        P[:, j] = 1 / (1 + np.exp(-z))
        fed[:, j] = P[:, j] >= 0.5
    np.testing.assert_allclose(chain.predict_proba(X), P, atol=1e-10)


def test_chain_sparse_and_ecc(data, tmp_path):
    X, Y = data
    dense = ClassifierChain(standardize=False, tol=1e-8).fit(X, Y)
    sparse = ClassifierChain(tol=1e-8).fit(sp.csr_matrix(X), Y)
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)), atol=1e-5
    )
    ecc = EnsembleOfChains(n_chains=3, random_state=0).fit(X, Y)
    assert len({tuple(o) for o in ecc.orders_}) > 1
    for model in (dense, ecc):
        loaded = load_model(save_model(model, tmp_path / type(model).__name__))
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [0, 0, 1, 2, 3], "randm", [0.0, 1, 2, 3, 4]])
def test_chain_bad_order(data, order):
    X, Y = data
    with pytest.raises(ConfigError, match="order"):
        ClassifierChain(order=order).fit(X, Y)


def test_chain_bad_params(data):
    X, Y = data
    with pytest.raises(ConfigError, match="Did you mean 'hard'"):
        ClassifierChain(chain_input="hrd").fit(X, Y)
    with pytest.raises(ConfigError, match="n_chains must be in"):
        EnsembleOfChains(n_chains=0).fit(X, Y)


# -- label powerset / RAkEL -------------------------------------------------------------------
def test_lp_predicts_only_seen_label_sets(data, tmp_path):
    X, Y = data
    lp = LabelPowerset(max_iter=50).fit(X, Y)
    seen = {tuple(r) for r in Y}
    assert all(tuple(r) in seen for r in lp.predict(X + 0.5))
    proba = lp.predict_proba(X)
    assert np.all((proba >= 0) & (proba <= 1))
    loaded = load_model(save_model(lp, tmp_path / "lp"))
    np.testing.assert_array_equal(loaded.predict(X), lp.predict(X))


def test_rakel_disjoint_partitions_and_overlapping_covers(data, tmp_path):
    X, Y = data
    d = RakelClassifier(k=2, random_state=0, max_iter=30).fit(X, Y)
    flat = np.sort(np.concatenate(d.labelsets_))
    np.testing.assert_array_equal(flat, np.arange(Y.shape[1]))
    o = RakelClassifier(k=3, mode="overlapping", n_labelsets=4, random_state=0, max_iter=30)
    o.fit(sp.csr_matrix(X), Y)
    assert len(o.labelsets_) >= 4 and set(np.concatenate(o.labelsets_)) == set(range(5))
    loaded = load_model(save_model(o, tmp_path / "rakel"))
    np.testing.assert_array_equal(loaded.predict_proba(X), o.predict_proba(X))


def test_rakel_at_least_one_fills_only_empty_rows(data, tmp_path):
    X, Y = data
    Xnew = np.random.default_rng(0).normal(size=(100, X.shape[1])) * 5 + X.mean(axis=0)
    plain = RakelClassifier(k=1, random_state=0, max_iter=30).fit(X, Y).predict(Xnew)
    assert (plain.sum(axis=1) == 0).any()  # plain RAkEL leaves some samples without a label
    filled = RakelClassifier(k=1, random_state=0, max_iter=30, at_least_one=True).fit(X, Y)
    pred = filled.predict(Xnew)
    assert np.all(pred.sum(axis=1) >= 1)
    kept = plain.sum(axis=1) > 0
    np.testing.assert_array_equal(pred[kept], plain[kept])
    top = np.argmax(filled.predict_proba(Xnew[~kept]), axis=1)
    assert np.all(pred[~kept][np.arange(len(top)), top] == 1)
    loaded = load_model(save_model(filled, tmp_path / "rakel1"))
    np.testing.assert_array_equal(loaded.predict(Xnew), pred)


def test_rakel_with_all_labels_is_lp(data):
    X, Y = data
    lp = LabelPowerset(max_iter=40).fit(X, Y)
    rk = RakelClassifier(k=Y.shape[1], max_iter=40).fit(X, Y)
    np.testing.assert_allclose(rk.predict_proba(X), lp.predict_proba(X), atol=1e-8)


def test_cooccurrence_groups_keep_co_occurring_labels_together():
    from tagwise.models._powerset import cooccurrence_groups

    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    noise = rng.integers(0, 2, (300, 4))
    lonely = np.zeros(300, dtype=int)
    lonely[0] = 1  # occurs once, with no other label
    noise[0] = 0
    Y = np.column_stack([a, noise[:, 0], a, b, noise[:, 1:], b, lonely])  # 0~2, 3~7, 8 alone
    Y[0, [0, 2, 3, 7]] = 0
    groups = cooccurrence_groups(Y, k=2)
    assert sorted(np.concatenate(groups).tolist()) == list(range(Y.shape[1]))
    assert all(len(g) <= 2 for g in groups)
    as_sets = [set(g.tolist()) for g in groups]
    assert {0, 2} in as_sets and {3, 7} in as_sets and {8} in as_sets
    assert all(len(g) <= 5 for g in cooccurrence_groups(Y, k=5))


def test_rakel_cooccurrence_mode_is_deterministic(data, tmp_path):
    X, Y = data
    one = RakelClassifier(k=3, mode="cooccurrence", random_state=0, max_iter=30).fit(X, Y)
    two = RakelClassifier(k=3, mode="cooccurrence", random_state=7, max_iter=30).fit(X, Y)
    assert [s.tolist() for s in one.labelsets_] == [s.tolist() for s in two.labelsets_]
    assert all(len(s) <= 3 for s in one.labelsets_)
    loaded = load_model(save_model(one, tmp_path / "rakel-cooc"))
    np.testing.assert_array_equal(loaded.predict(X), one.predict(X))


def test_rakel_cooccurrence_with_several_sizes_uses_every_partition(data, tmp_path):
    from tagwise.models._powerset import cooccurrence_groups

    X, Y = data
    rk = RakelClassifier(k=(2, 4), mode="cooccurrence", max_iter=30).fit(X, Y)
    expected = {tuple(g.tolist()) for k in (2, 4) for g in cooccurrence_groups(Y, k)}
    found = [tuple(s.tolist()) for s in rk.labelsets_]
    assert set(found) == expected and len(found) == len(expected)  # shared groups once
    loaded = load_model(save_model(rk, tmp_path / "rakel-sizes"))
    np.testing.assert_array_equal(loaded.predict(X), rk.predict(X))


def test_rakel_labelset_decision_with_all_labels_is_lp(data):
    # one block of all labels and evidence_weight=1: log prior(S) cancels, leaving LP's argmax
    X, Y = data
    lp = LabelPowerset(max_iter=40).fit(X, Y)
    rk = RakelClassifier(k=Y.shape[1], max_iter=40, decision="labelset", evidence_weight=1.0)
    np.testing.assert_array_equal(rk.fit(X, Y).predict(X), lp.predict(X))


def test_rakel_labelset_decision_predicts_seen_label_sets(data, tmp_path):
    X, Y = data
    Y = Y.copy()
    Y[:20] = 0  # the empty set is a training label set
    Xnew = np.random.default_rng(0).normal(size=(100, X.shape[1])) * 5 + X.mean(axis=0)
    rk = RakelClassifier(k=2, mode="overlapping", random_state=0, max_iter=30).fit(X, Y)
    votes = rk.predict(Xnew)
    rk.set_params(decision="labelset")
    pred = rk.predict(Xnew)
    seen = {tuple(row) for row in Y}
    assert all(tuple(row) in seen for row in pred)
    assert not all(tuple(row) in seen for row in votes)  # the vote assembles unseen sets
    assert (pred.sum(axis=1) == 0).any()  # the empty set is a candidate ...
    rk.set_params(at_least_one=True)
    filled = rk.predict(Xnew)
    assert np.all(filled.sum(axis=1) >= 1)  # ... unless at_least_one
    loaded = load_model(save_model(rk, tmp_path / "rakel-labelset"))
    np.testing.assert_array_equal(loaded.predict(Xnew), filled)


def test_rakel_labelset_evidence_weight_trades_prior_against_evidence(data):
    X, Y = data
    rk = RakelClassifier(k=2, random_state=0, max_iter=30, decision="labelset").fit(X, Y)
    labelsets, counts = np.unique(Y, axis=0, return_counts=True)
    rk.set_params(evidence_weight=1e-6)  # almost no evidence: the most frequent label set
    np.testing.assert_array_equal(rk.predict(X[:5]), np.tile(labelsets[np.argmax(counts)], (5, 1)))
    rk.set_params(evidence_weight=1.0)
    assert len(np.unique(rk.predict(X), axis=0)) > 3


def test_encode_blocks_pools_rare_combinations_into_their_mean():
    from tagwise.models._powerset import _encode_blocks

    Y = np.array([[1, 0]] * 5 + [[0, 1]] * 4 + [[1, 1]] * 1 + [[0, 0]] * 2)
    codes, tables, offsets = _encode_blocks(Y, [np.array([0, 1])], min_count=3)
    # [1, 0] and [0, 1] keep a class each; [1, 1] (once) and [0, 0] (twice) share one
    np.testing.assert_array_equal(offsets, [0, 3])
    pooled = codes[9, 0]
    assert codes[10, 0] == codes[11, 0] == pooled
    assert len({codes[0, 0], codes[5, 0], pooled}) == 3
    np.testing.assert_allclose(tables[0][pooled], [1 / 3, 1 / 3])  # weighted by count
    np.testing.assert_array_equal(tables[0][codes[0, 0]], [1, 0])
    same, _, _ = _encode_blocks(Y, [np.array([0, 1])], min_count=2)  # one rare: no pool
    np.testing.assert_array_equal(same[:, 0], _encode_blocks(Y, [np.array([0, 1])])[0][:, 0])


def test_rakel_min_count_fewer_classes_still_decides_among_all_seen_sets(data, tmp_path):
    X, Y = data
    params = {"k": Y.shape[1], "max_iter": 40, "decision": "labelset", "evidence_weight": 1.0}
    full = RakelClassifier(**params).fit(X, Y)
    pooled = RakelClassifier(**params, min_count=5).fit(X, Y)
    labelsets, counts = np.unique(Y, axis=0, return_counts=True)
    assert (counts < 5).sum() > 1
    assert pooled.offsets_[-1] == (counts >= 5).sum() + 1 < full.offsets_[-1]
    pred = pooled.predict(X)
    seen = {tuple(r) for r in labelsets}
    assert all(tuple(r) in seen for r in pred)
    rare = {tuple(r) for r in labelsets[counts < 5]}
    assert any(tuple(r) in rare for r in pred)  # a pooled set can still win, on its frequency
    proba = pooled.predict_proba(X)
    assert np.all((proba >= 0) & (proba <= 1 + 1e-9))
    loaded = load_model(save_model(pooled, tmp_path / "rakel-pooled"))
    np.testing.assert_array_equal(loaded.predict(X), pred)
    np.testing.assert_allclose(loaded.predict_proba(X), proba)
    # without pooling the classes of the label sets are not stored: found again on load
    state, arrays = full._artifact_state()
    assert "seen_classes" not in arrays
    restored = RakelClassifier(**params)
    restored.classes_ = full.classes_
    restored._restore_artifact(state, arrays)
    np.testing.assert_array_equal(restored.seen_classes_, full.seen_classes_)


@pytest.mark.parametrize("width", [1, 7, 8, 9, 20])
def test_unique_rows_matches_numpy(width):
    from tagwise.models._powerset import _unique_rows

    A = np.random.default_rng(width).integers(0, 2, (300, width))
    rows, first, inverse, counts = _unique_rows(A)
    ref_rows, ref_first, ref_inverse, ref_counts = np.unique(
        A, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(rows, ref_rows)  # same rows in the same order
    np.testing.assert_array_equal(first, ref_first)
    np.testing.assert_array_equal(inverse, ref_inverse.ravel())
    np.testing.assert_array_equal(counts, ref_counts)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"min_count": 0}, "min_count must be in"),
        ({"decision": "labelsets"}, "Did you mean 'labelset'"),
        ({"evidence_weight": 0}, "evidence_weight must be in"),
        ({"k": 6}, "larger than the number of labels"),
        ({"k": (2, 6), "mode": "cooccurrence"}, "k=6 is larger than the number of labels"),
        ({"k": (2, 3)}, "several labelset sizes need mode='cooccurrence'"),
        ({"k": 0}, "k must be in"),
        ({"mode": "overlap"}, "Did you mean 'overlapping'"),
        ({"C": -1}, "C must be in"),
    ],
)
def test_rakel_bad_params(data, params, match):
    X, Y = data
    with pytest.raises(ConfigError, match=match):
        RakelClassifier(**params).fit(X, Y)


# -- automatic choice -------------------------------------------------------------------------
def test_choose_model_explains_itself(data):
    X, Y = data
    assert choose_model(sp.random(50, 3000, density=0.01, format="csr"), Y[:50])[0] == "linear"
    assert choose_model(X, np.zeros((200, 150)))[0] == "linear"
    assert choose_model(np.vstack([X, X]), np.vstack([Y, Y]))[0] == "mlp"
    name, _, reason = choose_model(X[:100], Y[:100])
    assert name == "chain" and "100 samples" in reason


def test_auto_fits_saves_and_registry(data, tmp_path):
    X, Y = data
    auto = make_model("auto").fit(X[:100], Y[:100])
    assert isinstance(auto, AutoClassifier) and auto.chosen_ == "chain"
    loaded = load_model(save_model(auto, tmp_path / "auto"))
    np.testing.assert_array_equal(loaded.predict_proba(X), auto.predict_proba(X))
    assert loaded.reason_ == auto.reason_
    for name in ("linear", "br", "chain", "ecc", "lp", "rakel", "mlknn"):
        assert make_model(name).fit(X, Y).predict(X).shape == Y.shape
