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
    RakelClassifier(k=1, max_iter=20, decision="labelset"),
    AutoClassifier(),
]


def _expected(estimator):
    expected = dict(type(estimator)._expected_failed_checks)
    if getattr(estimator, "decision", None) == "labelset":
        expected["check_classifier_multioutput"] = (
            "predict is the best label set seen in training, not predict_proba > 0.5"
        )
    return expected


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
