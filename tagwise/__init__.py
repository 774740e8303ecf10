"""tagwise: multi-label classification — fast models, honest evaluation, safe artifacts.

``import tagwise`` stays light: PyTorch is imported only when a neural model is fitted or loaded.
The estimators live in :mod:`tagwise.models` (``make_model(name)`` builds one by name).
"""

from tagwise._version import __version__
from tagwise.data import (
    Dataset,
    LabelSpace,
    load_dataset,
    make_multilabel,
    read,
    reference_problem,
)
from tagwise.exceptions import (
    ConfigError,
    DataFormatError,
    LabelWarning,
    MissingDependencyError,
    ModelFormatError,
    TagwiseError,
)
from tagwise.io import load_model, save_model
from tagwise.model_selection import cross_validate

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
    "cross_validate",
    "load_dataset",
    "load_model",
    "make_multilabel",
    "read",
    "reference_problem",
    "save_model",
]
