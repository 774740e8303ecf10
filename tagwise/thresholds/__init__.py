"""Threshold strategies (fixed, global, per-label, calibrated, top-k, cardinality) and
ThresholdedClassifier.

See :mod:`tagwise.thresholds._strategies` for the strategies and their spec strings.
"""

from tagwise.thresholds._classifier import ThresholdedClassifier, out_of_fold_scores
from tagwise.thresholds._strategies import (
    STRATEGIES,
    CalibratedThreshold,
    CardinalityCut,
    FixedThreshold,
    GlobalThreshold,
    PerLabelThreshold,
    ThresholdStrategy,
    TopK,
    best_f1_thresholds,
    ensure_at_least_one,
    grid_counts,
    grid_scores,
    make_strategy,
    strategy_from_state,
)

__all__ = [
    "STRATEGIES",
    "CalibratedThreshold",
    "CardinalityCut",
    "FixedThreshold",
    "GlobalThreshold",
    "PerLabelThreshold",
    "ThresholdStrategy",
    "ThresholdedClassifier",
    "TopK",
    "best_f1_thresholds",
    "ensure_at_least_one",
    "grid_counts",
    "grid_scores",
    "make_strategy",
    "out_of_fold_scores",
    "strategy_from_state",
]
