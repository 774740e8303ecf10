"""Multi-label metrics: set-based, label-based, ranking; the per-fold scoring table."""

from tagwise.metrics._core import (
    DEFAULT_METRICS,
    example_f1,
    hamming_loss,
    label_ranking_average_precision,
    macro_f1,
    micro_f1,
    per_label_f1,
    score_all,
    subset_accuracy,
)

__all__ = [
    "DEFAULT_METRICS",
    "example_f1",
    "hamming_loss",
    "label_ranking_average_precision",
    "macro_f1",
    "micro_f1",
    "per_label_f1",
    "score_all",
    "subset_accuracy",
]
