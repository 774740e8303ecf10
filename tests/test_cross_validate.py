"""cross_validate: folds, repeats, the stacked fast path, joblib fan-out, and its result."""

import numpy as np
import pytest
from sklearn.model_selection import KFold

from tagwise import ConfigError, make_multilabel
from tagwise.metrics import subset_accuracy
from tagwise.model_selection import (
    MultilabelStratifiedKFold,
    RepeatedMultilabelStratifiedKFold,
    cross_validate,
    resolve_cv,
)
from tagwise.models import MLPClassifier


@pytest.fixture(scope="module")
def data():
    ds = make_multilabel(200, 6, 3, random_state=0)
    return ds.X, ds.Y


def test_resolve_cv_variants():
    assert isinstance(resolve_cv(None), MultilabelStratifiedKFold)
    assert resolve_cv(4).n_splits == 4
    repeated = resolve_cv((3, 2))
    assert isinstance(repeated, RepeatedMultilabelStratifiedKFold)
    splitter = KFold(3)
    assert resolve_cv(splitter) is splitter
    with pytest.raises(ConfigError, match="at least 2 folds"):
        resolve_cv(1)
    with pytest.raises(ConfigError, match="not a number of folds"):
        resolve_cv(2.5)


def test_repeated_cv_result_and_summary(data):
    X, Y = data
    result = cross_validate(
        MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=0),
        X,
        Y,
        cv=(3, 2),
        return_estimator=True,
        return_predictions=True,
    )
    assert len(result.folds) == 6 and len(result.estimators) == 6
    assert result.per_label_f1.shape == (6, 3)
    for metric in ("subset_accuracy", "hamming_loss", "micro_f1", "macro_f1", "example_f1", "lrap"):
        mean, std = result.summary()[metric]
        assert mean == pytest.approx(np.mean(result.scores(metric)))
        assert std == pytest.approx(np.std(result.scores(metric)))
    # the fold scores are those of the returned models on their test rows
    test, _ = result.predictions[0]
    pred = result.estimators[0].predict(X[test])
    assert result.folds[0]["subset_accuracy"] == pytest.approx(subset_accuracy(Y[test], pred))
    payload = result.to_dict()
    assert payload["n_folds"] == 6 and set(payload["per_label_f1"]) == set(result.label_names)


def test_stacked_and_joblib_paths_agree(data):
    X, Y = data
    est = MLPClassifier(hidden_layer_sizes=(8,), epochs=4, random_state=0)
    cv = list(KFold(3, shuffle=True, random_state=0).split(X))
    stacked = cross_validate(est, X, Y, cv=cv)
    fanned = cross_validate(est, X, Y, cv=cv, n_jobs=2)
    for a, b in zip(stacked.folds, fanned.folds):
        assert a["micro_f1"] == pytest.approx(b["micro_f1"], abs=1e-3)


def test_any_sklearn_estimator_works(data):
    from sklearn.neighbors import KNeighborsClassifier

    from tagwise.base import MultiLabelMixin

    class KNN(MultiLabelMixin, KNeighborsClassifier):
        def predict_proba(self, X):
            return np.column_stack([p[:, 1] for p in super().predict_proba(X)])

    X, Y = data
    result = cross_validate(KNN(n_neighbors=5), X, Y, cv=3)
    assert 0 <= result.summary()["micro_f1"][0] <= 1


def test_progress_callback_is_called(data):
    X, Y = data
    seen = []
    cross_validate(
        MLPClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0),
        X,
        Y,
        cv=2,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (3, 3)


def test_empty_cv_is_an_error(data):
    X, Y = data
    with pytest.raises(ConfigError, match="no splits"):
        cross_validate(MLPClassifier(), X, Y, cv=[])


def test_the_folds_label_warnings_come_as_one(data):
    import warnings

    from tagwise import LabelWarning
    from tagwise.models import LinearOneVsRest

    class Noisy(LinearOneVsRest):
        def fit(self, X, Y):
            warnings.warn("a warning of the model's own", RuntimeWarning, stacklevel=2)
            return super().fit(X, Y)

    X, Y = data
    Y = np.column_stack([Y, np.eye(len(Y), 1, -5, dtype=int)])  # a 4th label with 1 positive
    with pytest.warns() as caught:
        cross_validate(Noisy(), X, Y, cv=4)
    labels = [str(w.message) for w in caught if w.category is LabelWarning]
    # the splitter names the rare label once; the folds' fits (which miss it) and their scores
    # (undefined for it) add one summary instead of a line per fold
    assert len(labels) == 2 and "column 3 (1)" in labels[0]
    assert labels[1].startswith("the 4 folds: their fits and scores gave")
    assert "never occur in training (column 3)" in labels[1]
    assert sum(w.category is RuntimeWarning for w in caught) == 4  # other warnings untouched
