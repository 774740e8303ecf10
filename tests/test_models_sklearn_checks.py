"""Every tagwise classic model runs scikit-learn's common estimator checks."""

from __future__ import annotations

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from tagwise.models import (
    AutoClassifier,
    BinaryRelevance,
    ClassifierChain,
    EnsembleOfChains,
    LabelPowerset,
    LinearOneVsRest,
    MLkNN,
    RakelClassifier,
)

ESTIMATORS = [
    LinearOneVsRest(),
    MLkNN(k=3),
    BinaryRelevance(),
    ClassifierChain(),
    EnsembleOfChains(n_chains=2),
    LabelPowerset(max_iter=20),
    RakelClassifier(k=1, max_iter=20),
    AutoClassifier(),
]


def _expected(estimator):
    return type(estimator)._expected_failed_checks


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
