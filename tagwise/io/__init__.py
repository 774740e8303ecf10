"""Safe model persistence (JSON + safetensors, never pickle), model cards, batch prediction
over files, ONNX export."""

from tagwise.io._card import format_card, inspect_model
from tagwise.io._model_io import FORMAT_VERSION, MODEL_KINDS, load_model, read_manifest, save_model
from tagwise.io._onnx import export_onnx
from tagwise.io._predict_file import PredictSummary, predict_file

__all__ = [
    "FORMAT_VERSION",
    "MODEL_KINDS",
    "PredictSummary",
    "export_onnx",
    "format_card",
    "inspect_model",
    "load_model",
    "predict_file",
    "read_manifest",
    "save_model",
]
