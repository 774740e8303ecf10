"""tagwise.model_selection."""

from tagwise.model_selection._split import (
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    RepeatedMultilabelStratifiedKFold,
)
from tagwise.model_selection._stratify import stratification_quality

__all__ = [
    "MultilabelStratifiedKFold",
    "MultilabelStratifiedShuffleSplit",
    "RepeatedMultilabelStratifiedKFold",
    "stratification_quality",
]
