"""Model names for the CLI and config files: ``make_model("ecc", n_chains=5)``.

Names map to classes lazily ("module:Class" strings) so that ``import tagwise.models`` does not
import PyTorch: the neural model's module is imported only when the name "mlp" is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from tagwise.exceptions import ConfigError, did_you_mean

__all__ = ["MODEL_NAMES", "make_model", "model_class"]

# name → ("module:Class", extra default params for that name, one-line description)
MODEL_NAMES: dict[str, tuple[str, dict[str, Any], str]] = {
    "auto": ("tagwise.models._auto:AutoClassifier", {}, "pick a model from the data's shape"),
    "mlp": ("tagwise.models._mlp:MLPClassifier", {}, "neural network (PyTorch)"),
    "linear": (
        "tagwise.models._linear:LinearOneVsRest",
        {},
        "one-vs-rest logistic / squared-hinge, all labels trained together",
    ),
    "br": (
        "tagwise.models._binary_relevance:BinaryRelevance",
        {},
        "binary relevance over any scikit-learn classifier",
    ),
    "chain": ("tagwise.models._chain:ClassifierChain", {}, "classifier chain (vectorised linear)"),
    "ecc": ("tagwise.models._chain:EnsembleOfChains", {}, "ensemble of classifier chains"),
    "lp": ("tagwise.models._powerset:LabelPowerset", {}, "label powerset (one class per labelset)"),
    "rakel": (
        "tagwise.models._powerset:RakelClassifier",
        {},
        "RAkEL: label powerset on random k-labelsets",
    ),
    "mlknn": ("tagwise.models._knn:MLkNN", {}, "ML-kNN (Zhang & Zhou 2007)"),
    "blend": (
        "tagwise.models._blend:BlendClassifier",
        {},
        "weighted average of several models' probabilities",
    ),
    "transformer": (
        "tagwise.text._finetune:TransformerClassifier",
        {},
        "fine-tuned MiniLM sentence encoder with a multi-label head (raw text)",
    ),
}


def model_class(name: str) -> type:
    """The estimator class registered under ``name`` (ConfigError with a suggestion otherwise)."""
    if not isinstance(name, str) or name not in MODEL_NAMES:
        names = sorted(MODEL_NAMES)
        raise ConfigError(
            f"unknown model {name!r}.{did_you_mean(str(name), names)} "
            f"Known models: {', '.join(names)}."
        )
    module, cls = MODEL_NAMES[name][0].split(":")
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


def make_model(name: str, **params: Any) -> Any:
    """Build an unfitted estimator by name with keyword parameters.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES` ("auto", "mlp", "linear", "br", "chain", "ecc", "lp",
        "rakel", "mlknn").
    **params
        Constructor parameters; an unknown one is a :class:`ConfigError` naming the closest
        valid parameter.

    Examples
    --------
    >>> make_model("linear", C=0.5)
    LinearOneVsRest(C=0.5)
    """
    cls = model_class(name)
    valid = sorted(cls().get_params(deep=False))
    for key in params:
        if key not in valid:
            raise ConfigError(
                f"model {name!r} has no parameter {key!r}.{did_you_mean(key, valid)} "
                f"Valid parameters: {', '.join(valid)}."
            )
    merged = {**MODEL_NAMES[name][1], **params}
    return cls(**merged)
