"""ONNX export of the neural and linear models: a graph built directly from the fitted arrays.

The models tagwise exports are all "standardise → affine → activation → … → affine → sigmoid"
networks, so rather than tracing PyTorch code (whose exporter changes between releases) the graph
is written from the arrays with :mod:`onnx.helper`: what is exported is exactly what
``predict_proba`` computes, and exporting needs no PyTorch.

Supported: ``mlp`` (:class:`~tagwise.models.MLPClassifier`, every activation), ``linear``
(:class:`~tagwise.models.LinearOneVsRest`), ``thresholded`` (exports its inner model: the
probabilities are the same; thresholds travel in the metadata), and any class that provides
``_onnx_layers()``. The graph maps ``features`` float32 (N, n_features) to ``probabilities``
float32 (N, n_labels); label names are in the model's ``metadata_props``. Text pipelines are not
exported (their tokenisation has no ONNX equivalent here).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tagwise._version import __version__
from tagwise.exceptions import MissingDependencyError, ModelFormatError
from tagwise.io._safety import fsync_dir, write_synced

__all__ = ["check_onnx", "export_onnx", "onnx_layers"]

OPSET = 17
_ACTIVATIONS = ("relu", "gelu", "tanh", "sigmoid", "silu", "leaky_relu")

# A layer is ("standardize", shift, scale) | ("affine", W (in, out), b (out,)) | ("act", name)
Layer = tuple[Any, ...]


def onnx_layers(model: Any) -> list[Layer]:
    """The network of ``model`` as a list of layers, ending before the output sigmoid."""
    custom = getattr(model, "_onnx_layers", None)
    if callable(custom):
        return list(custom())
    kind = getattr(type(model), "_artifact_kind", None)
    if kind == "thresholded":
        return onnx_layers(model.estimator_)
    if kind == "linear":
        return [("affine", np.asarray(model.coef_), np.asarray(model.intercept_))]
    if kind == "mlp":
        state = {k: v.detach().cpu().numpy() for k, v in model.module_.state_dict().items()}
        n_layers = sum(1 for k in state if k.startswith("weights."))
        # a factorised (label-embedding) output layer has no activation inside it
        n_hidden = int(getattr(model.module_, "n_hidden", n_layers - 1))
        layers: list[Layer] = [
            ("standardize", state["input_shift"][0, 0], state["input_scale"][0, 0])
        ]
        for i in range(n_layers):
            layers.append(("affine", state[f"weights.{i}"][0], state[f"biases.{i}"][0, 0]))
            if i < n_hidden:
                layers.append(("act", model.activation))
        return layers
    raise ModelFormatError(
        f"ONNX export supports the mlp, linear and thresholded models; {type(model).__name__} "
        f"(kind {kind!r}) is not supported."
    )


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError(
            "ONNX export needs onnx: pip install 'tagwise[onnx]'."
        ) from None
    return onnx


def _build(model: Any, layers: list[Layer]) -> Any:
    onnx = _require_onnx()
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    current, n = "features", 0

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    def node(op: str, inputs: list[str], **attrs: Any) -> str:
        nonlocal n
        n += 1
        out = f"{op.lower()}_{n}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    n_features = n_labels = None
    for layer in layers:
        if layer[0] == "standardize":
            shifted = node("Sub", [current, const(f"shift_{n}", layer[1])])
            current = node("Div", [shifted, const(f"scale_{n}", layer[2])])
            n_features = n_features or len(layer[1])
        elif layer[0] == "affine":
            W, b = np.asarray(layer[1]), np.asarray(layer[2]).reshape(-1)
            n_features = n_features or W.shape[0]
            n_labels = W.shape[1]
            current = node("Gemm", [current, const(f"W_{n}", W), const(f"b_{n}", b)])
        elif layer[0] == "act" and layer[1] in _ACTIVATIONS:
            current = _activation(node, const, current, layer[1])
        else:
            raise ModelFormatError(f"cannot export the layer {layer[0]!r} {layer[1:2]!r} to ONNX.")
    nodes.append(helper.make_node("Sigmoid", [current], ["probabilities"]))
    graph = helper.make_graph(
        nodes,
        "tagwise",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", n_features])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_labels])],
        inits,
    )
    proto = helper.make_model(
        graph,
        producer_name="tagwise",
        producer_version=__version__,
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    proto.ir_version = 8  # readable by onnxruntime ≥ 1.10
    meta = {
        "tagwise_kind": str(getattr(type(model), "_artifact_kind", "")),
        "label_names": json.dumps([str(c) for c in model.classes_]),
        "thresholds": json.dumps([float(t) for t in model._decision_thresholds()]),
    }
    helper.set_model_props(proto, meta)
    onnx.checker.check_model(proto)
    return proto


def _activation(node: Any, const: Any, x: str, name: str) -> str:
    if name == "relu":
        return str(node("Relu", [x]))
    if name == "tanh":
        return str(node("Tanh", [x]))
    if name == "sigmoid":
        return str(node("Sigmoid", [x]))
    if name == "silu":  # x·σ(x)
        return str(node("Mul", [x, node("Sigmoid", [x])]))
    if name == "leaky_relu":  # torch's default negative slope
        return str(node("LeakyRelu", [x], alpha=0.01))
    # exact GELU (torch's default): x · ½ (1 + erf(x / √2))
    erf = node("Erf", [node("Div", [x, const(f"sqrt2_{x}", np.array(math.sqrt(2.0)))])])
    half = node(
        "Mul",
        [node("Add", [erf, const(f"one_{x}", np.array(1.0))]), const(f"half_{x}", np.array(0.5))],
    )
    return str(node("Mul", [x, half]))


def export_onnx(model: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as an ONNX file (atomically: temporary file, fsync, rename).

    Parameters
    ----------
    model : a fitted mlp, linear or thresholded model (or one with ``_onnx_layers``)
    path : the ``.onnx`` file to write

    Returns
    -------
    The path written. The graph maps ``features`` float32 (N, n_features) to ``probabilities``
    float32 (N, n_labels).
    """
    proto = _build(model, onnx_layers(model))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        os.unlink(tmp)
        write_synced(Path(tmp), proto.SerializeToString())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def check_onnx(model: Any, path: str | os.PathLike[str], X: np.ndarray) -> float:
    """Largest absolute difference between onnxruntime's and tagwise's probabilities on ``X``."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise MissingDependencyError(
            "checking needs onnxruntime: pip install 'tagwise[onnx]'."
        ) from None
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X = np.asarray(X, dtype=np.float32)
    got = session.run(["probabilities"], {"features": X})[0]
    want = np.asarray(model.predict_proba(X), dtype=np.float64)
    return float(np.max(np.abs(got.astype(np.float64) - want))) if X.size else 0.0
