"""Model selection: multi-label stratified splitters, cross-validation, model comparison."""

from tagwise.model_selection._compare import ComparisonResult, compare, paired_test
from tagwise.model_selection._split import (
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    RepeatedMultilabelStratifiedKFold,
)
from tagwise.model_selection._stratify import stratification_quality
from tagwise.model_selection._validation import CVResult, cross_validate, resolve_cv

__all__ = [
    "CVResult",
    "ComparisonResult",
    "MultilabelStratifiedKFold",
    "MultilabelStratifiedShuffleSplit",
    "RepeatedMultilabelStratifiedKFold",
    "compare",
    "cross_validate",
    "paired_test",
    "resolve_cv",
    "stratification_quality",
]
