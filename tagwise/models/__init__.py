"""tagwise.models: multi-label estimators, all scikit-learn compatible and savable.

``make_model(name, **params)`` builds one by its CLI name; the classes are imported lazily so
that ``import tagwise.models`` never imports PyTorch.
"""

from __future__ import annotations

from typing import Any

from tagwise.models._registry import MODEL_NAMES, make_model, model_class

__all__ = [
    "MODEL_NAMES",
    "LinearOneVsRest",
    "MLPClassifier",
    "MLkNN",
    "make_model",
    "model_class",
]

_LAZY = {
    "MLPClassifier": "tagwise.models._mlp",
    "LinearOneVsRest": "tagwise.models._linear",
    "MLkNN": "tagwise.models._knn",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tagwise.models' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
