"""tagwise: multi-label classification — fast models, honest evaluation, safe artifacts.

``import tagwise`` stays light: PyTorch is imported only when a neural model is fitted or loaded.
"""

from tagwise._version import __version__
from tagwise.data import Dataset, LabelSpace, make_multilabel, reference_problem
from tagwise.exceptions import (
    ConfigError,
    DataFormatError,
    LabelWarning,
    MissingDependencyError,
    ModelFormatError,
    TagwiseError,
)

__all__ = [
    "ConfigError",
    "DataFormatError",
    "Dataset",
    "LabelSpace",
    "LabelWarning",
    "MissingDependencyError",
    "ModelFormatError",
    "TagwiseError",
    "__version__",
    "make_multilabel",
    "reference_problem",
]
