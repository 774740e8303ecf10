"""MLPClassifier: the neural multi-label model and its stacked training engine."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from tagwise import ConfigError, DataFormatError, LabelWarning, make_multilabel
from tagwise.io import load_model, save_model
from tagwise.models import MLPClassifier
from tagwise.models._common import expected_failures

FAST = dict(hidden_layer_sizes=(16,), epochs=5, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def data():
    ds = make_multilabel(300, 8, 4, random_state=3)
    return ds.X, ds.Y


@parametrize_with_checks(
    [MLPClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0)],
    expected_failed_checks=lambda est: expected_failures(),
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def test_import_tagwise_does_not_import_torch():
    code = "import sys, tagwise, tagwise.models, tagwise.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fit_predict_shapes_and_learning(data):
    X, Y = data
    model = MLPClassifier(hidden_layer_sizes=(32,), epochs=60, random_state=0).fit(X, Y)
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape and proba.dtype == np.float64
    assert ((proba >= 0) & (proba <= 1)).all()
    pred = model.predict(X)
    assert set(np.unique(pred)) <= {0, 1}
    majority = np.maximum(Y.mean(axis=0), 1 - Y.mean(axis=0)).mean()
    assert (pred == Y).mean() > majority + 0.1  # it learns far beyond the majority baseline
    assert len(model.history_) == 60 and model.history_[-1]["loss"] < model.history_[0]["loss"]


def test_random_state_makes_runs_identical(data):
    X, Y = data
    a = MLPClassifier(**FAST).fit(X, Y).predict_proba(X)
    b = MLPClassifier(**FAST).fit(X, Y).predict_proba(X)
    c = MLPClassifier(**{**FAST, "random_state": 1}).fit(X, Y).predict_proba(X)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_fit_many_equals_separate_fits(data, optimizer):
    X, Y = data
    est = MLPClassifier(**{**FAST, "optimizer": optimizer, "weight_decay": 1e-3})
    sets = [np.arange(0, 200), np.arange(100, 300), np.arange(0, 300, 3)]  # unequal sizes
    stacked = est.fit_many(X, Y, sets)
    for rows, model in zip(sets, stacked):
        alone = clone(est).fit(X[rows], Y[rows])
        np.testing.assert_allclose(model.predict_proba(X), alone.predict_proba(X), atol=1e-4)


def test_stacked_adam_matches_torch_adam():
    import torch

    from tagwise.nn import StackedOptimizer

    torch.manual_seed(0)
    w1 = torch.nn.Parameter(torch.randn(1, 5, 3))
    w2 = torch.nn.Parameter(w1.detach().clone())
    ours = StackedOptimizer([w1], "adam", lr=0.01, weight_decay=0.1)
    ref = torch.optim.Adam([w2], lr=0.01, weight_decay=0.1, eps=1e-7)
    for step in range(20):
        x = torch.randn(1, 4, 5)
        for w, opt in ((w1, ours), (w2, ref)):
            opt.zero_grad()
            (x @ w).square().sum().backward()
            opt.step() if opt is ref else opt.step(torch.tensor([True]) if step % 2 else None)
    torch.testing.assert_close(w1, w2)


def test_early_stopping_restores_best_and_stops(data):
    X, Y = data
    model = MLPClassifier(
        hidden_layer_sizes=(64,),
        epochs=300,
        early_stopping=True,
        patience=5,
        learning_rate=0.01,
        random_state=0,
    ).fit(X, Y)
    val = [h["val_loss"] for h in model.history_]
    assert len(val) < 300  # stopped
    assert np.argmin(val) == len(val) - 1 - 5 or min(val) == val[-1 - 5]


def test_sparse_input_matches_dense(data):
    X, Y = data
    dense = MLPClassifier(**{**FAST, "standardize": False}).fit(X, Y)
    sparse = MLPClassifier(**{**FAST, "standardize": False}).fit(sp.csr_matrix(X), Y)
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)), atol=1e-5
    )


def test_ensemble_averages_members(data):
    X, Y = data
    ens = MLPClassifier(**{**FAST, "n_ensemble": 3}).fit(X, Y)
    members = [
        MLPClassifier(**{**FAST, "random_state": s}).fit(X, Y).predict_proba(X) for s in (0, 1, 2)
    ]
    np.testing.assert_allclose(ens.predict_proba(X), np.mean(members, axis=0), atol=1e-5)


def test_tutorial_configuration_is_expressible(data):
    X, Y = data
    tutorial = MLPClassifier(
        hidden_layer_sizes=(20,),
        activation="relu",
        hidden_init="he_uniform",
        optimizer="adam",
        learning_rate=1e-3,
        epochs=3,
        batch_size=32,
        standardize=False,
        random_state=0,
    ).fit(X, Y)
    weights = tutorial.module_.weights
    assert [tuple(w.shape) for w in weights] == [(1, 8, 20), (1, 20, 4)]


def test_save_load_round_trip_predicts_identically(tmp_path, data):
    X, Y = data
    model = MLPClassifier(**{**FAST, "n_ensemble": 2}).fit(X, Y)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert np.array_equal(loaded.predict(X), model.predict(X))


def test_label_names_from_dataframe_and_label_lists():
    pd = pytest.importorskip("pandas")
    X = np.random.default_rng(0).random((20, 3))
    Y = pd.DataFrame({"sports": [0, 1] * 10, "politics": [1, 1] * 10})
    model = MLPClassifier(**FAST).fit(X, Y)
    assert list(model.classes_) == ["sports", "politics"]
    labels = model.predict_labels(X[:2], threshold=0.0)
    assert [name for name, _ in labels[0]] and all(0 <= p <= 1 for _, p in labels[0])
    model = MLPClassifier(**FAST).fit(X, [["a"], ["b", "c"]] * 10)
    assert list(model.classes_) == ["a", "b", "c"]
    assert len(model.predict_labels(X[:3], top_k=2)[0]) == 2


def test_label_never_seen_warns_and_is_never_predicted(data):
    X, Y = data
    Y = Y.copy()
    Y[:, 2] = 0
    with pytest.warns(LabelWarning, match="1 label\\(s\\) never occur in training"):
        model = MLPClassifier(**FAST).fit(X, Y)
    assert model.predict(X)[:, 2].sum() == 0


def test_rows_without_labels_are_valid(data):
    X, Y = data
    Y = Y.copy()
    Y[:50] = 0
    MLPClassifier(**FAST).fit(X, Y)


def test_bad_input_is_a_clear_error(data):
    X, Y = data
    with pytest.raises(DataFormatError, match="X has 300 samples but Y has 299"):
        MLPClassifier(**FAST).fit(X, Y[:-1])
    Xbad = X.copy()
    Xbad[5, 2] = np.nan
    with pytest.raises(DataFormatError, match=r"NaN or infinity.*row 5, column 2"):
        MLPClassifier(**FAST).fit(Xbad, Y)
    with pytest.raises(DataFormatError, match="only 0/1"):
        MLPClassifier(**FAST).fit(X, Y * 2)
    model = MLPClassifier(**FAST).fit(X, Y)
    with pytest.raises(DataFormatError, match="X has 7 features, but MLPClassifier is expecting 8"):
        model.predict(X[:, :7])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"learning_rate": -1.0}, "learning_rate must be positive"),
        ({"dropout": 1.0}, "dropout must be in"),
        ({"activation": "relux"}, "activation='relux' is not one of"),
        ({"optimizer": "lbfgs"}, "optimizer='lbfgs' is not one of"),
        ({"loss": "bcee"}, "unknown loss 'bcee'.*Did you mean 'bce'"),
        ({"n_ensemble": 0}, "n_ensemble must be at least 1"),
        ({"device": "cuda:7"}, "device"),
    ],
)
def test_bad_parameters(data, params, message):
    X, Y = data
    with pytest.raises(ConfigError, match=message):
        MLPClassifier(**{**FAST, **params}).fit(X, Y)


def test_label_embedding_factorises_the_output_layer(tmp_path, data):
    import torch

    X, Y = data
    model = MLPClassifier(**{**FAST, "label_embedding_dim": 2, "n_ensemble": 2}).fit(X, Y)
    shapes = [tuple(w.shape) for w in model.module_.weights]
    assert shapes[-2:] == [(2, shapes[-2][1], 2), (2, 2, Y.shape[1])]
    # hidden → r → labels with no non-linearity between: one linear map of rank ≤ r
    module = model.module_
    h = torch.randn(2, 5, shapes[-2][1])
    two = torch.baddbmm(
        module.biases[-1],
        torch.baddbmm(module.biases[-2], h, module.weights[-2]),
        module.weights[-1],
    )
    W = module.weights[-2] @ module.weights[-1]
    b = module.biases[-2] @ module.weights[-1] + module.biases[-1]
    torch.testing.assert_close(two, torch.baddbmm(b, h, W))
    assert torch.linalg.matrix_rank(W[0]).item() <= 2
    P = model.predict_proba(X)
    assert P.shape == Y.shape and np.ptp(P) > 0.1  # it learns something
    save_model(model, tmp_path / "emb")
    loaded = load_model(tmp_path / "emb")
    assert loaded.label_embedding_dim == 2
    assert np.array_equal(loaded.predict_proba(X), P)
    # stacked CV training keeps the factorisation in every selected model
    folds = model.fit_many(X, Y, [np.arange(0, 200), np.arange(100, 300)])
    assert [tuple(w.shape) for w in folds[1].module_.weights][-1] == (2, 2, Y.shape[1])
    assert folds[1].predict_proba(X).shape == Y.shape


@pytest.mark.parametrize("value", [0, 2.5, True, "4"])
def test_label_embedding_dim_must_be_a_positive_integer(data, value):
    X, Y = data
    with pytest.raises(ConfigError, match="label_embedding_dim must be None or a positive"):
        MLPClassifier(**{**FAST, "label_embedding_dim": value}).fit(X, Y)


def test_auto_weight_decay_is_off_for_unstandardised_sparse_input(data):
    X, Y = data
    model = MLPClassifier(**FAST)
    assert model._weight_decay(X) == 3e-3
    assert model._weight_decay(sp.csr_matrix(X)) == 0.0
    assert MLPClassifier(weight_decay=0.1)._weight_decay(sp.csr_matrix(X)) == 0.1
    with pytest.raises(ConfigError, match="weight_decay must be 'auto' or non-negative"):
        MLPClassifier(**{**FAST, "weight_decay": -1.0}).fit(X, Y)


def test_weighted_bce_weights_come_from_each_models_own_rows(data):
    X, Y = data
    est = MLPClassifier(**{**FAST, "loss": "weighted_bce"})
    sets = [np.arange(0, 150), np.arange(150, 300)]
    stacked = est.fit_many(X, Y, sets)
    for rows, model in zip(sets, stacked):
        alone = clone(est).fit(X[rows], Y[rows])
        np.testing.assert_allclose(model.predict_proba(X), alone.predict_proba(X), atol=1e-4)
