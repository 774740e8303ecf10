"""tagwise.models: multi-label estimators, all scikit-learn compatible and savable.

``make_model(name, **params)`` builds one by its CLI name; the classes are imported lazily so
that ``import tagwise.models`` never imports PyTorch.
"""

from __future__ import annotations

from typing import Any

from tagwise.models._registry import MODEL_NAMES, make_model, model_class

__all__ = [
    "MODEL_NAMES",
    "AutoClassifier",
    "BinaryRelevance",
    "BlendClassifier",
    "ClassifierChain",
    "EnsembleOfChains",
    "LabelPowerset",
    "LinearOneVsRest",
    "MLPClassifier",
    "MLkNN",
    "RakelClassifier",
    "choose_model",
    "make_model",
    "model_class",
]

_LAZY = {
    "MLPClassifier": "tagwise.models._mlp",
    "LinearOneVsRest": "tagwise.models._linear",
    "MLkNN": "tagwise.models._knn",
    "AutoClassifier": "tagwise.models._auto",
    "choose_model": "tagwise.models._auto",
    "BinaryRelevance": "tagwise.models._binary_relevance",
    "BlendClassifier": "tagwise.models._blend",
    "ClassifierChain": "tagwise.models._chain",
    "EnsembleOfChains": "tagwise.models._chain",
    "LabelPowerset": "tagwise.models._powerset",
    "RakelClassifier": "tagwise.models._powerset",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tagwise.models' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
