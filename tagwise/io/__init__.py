"""Safe model persistence: a directory of JSON + safetensors, never pickle; model cards."""

from tagwise.io._card import format_card, inspect_model
from tagwise.io._model_io import FORMAT_VERSION, MODEL_KINDS, load_model, read_manifest, save_model

__all__ = [
    "FORMAT_VERSION",
    "MODEL_KINDS",
    "format_card",
    "inspect_model",
    "load_model",
    "read_manifest",
    "save_model",
]
