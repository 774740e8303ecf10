"""save_model / load_model: a model is a directory of JSON and safetensors — never pickle.

Layout of ``MODEL_DIR``::

    manifest.json        format name and version, model kind, params, label names, state, file hashes
    arrays.safetensors   every fitted array (numpy, loaded without executing anything)
    config.json          the resolved run config (optional)
    history.json         training history (optional)

Every model class taking part implements the artifact protocol:

* ``_artifact_kind``: a class attribute, the name in :data:`MODEL_KINDS`;
* ``_artifact_state(self) -> (state: dict, arrays: dict[str, ndarray])``: JSON-ready fitted
  metadata and arrays;
* ``_restore_artifact(self, state, arrays) -> None``: set fitted attributes on an instance built
  with ``cls(**params)``.

The kind → class map is a closed allow-list of tagwise's own classes: nothing the file says can make
the loader import a module.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tagwise._version import __version__
from tagwise.exceptions import ModelFormatError

__all__ = ["FORMAT_VERSION", "MODEL_KINDS", "load_model", "read_manifest", "save_model"]

FORMAT_NAME = "tagwise-model"
FORMAT_VERSION = 1
ARRAYS_FILE = "arrays.safetensors"
MANIFEST_FILE = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024

# Closed allow-list: model kind → "module:Class" inside tagwise. Extend when a model kind lands.
MODEL_KINDS: dict[str, str] = {
    "mlp": "tagwise.models._mlp:MLPClassifier",
    "linear": "tagwise.models._linear:LinearOneVsRest",
}


def _class_for(kind: str) -> type:
    target = MODEL_KINDS.get(kind)
    if target is None:
        raise ModelFormatError(
            f"unknown model kind {kind!r}; this tagwise ({__version__}) knows "
            f"{', '.join(sorted(MODEL_KINDS))}."
        )
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)  # our own module, from the allow-list


def _kind_of(model: Any) -> str:
    kind = getattr(type(model), "_artifact_kind", None)
    if kind is None or kind not in MODEL_KINDS:
        raise ModelFormatError(f"{type(model).__name__} cannot be saved by tagwise.save_model.")
    return str(kind)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ModelFormatError(f"cannot store a parameter of type {type(value).__name__} in a manifest.")


def _write_json(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, allow_nan=False)
        fh.flush()
        os.fsync(fh.fileno())


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    *,
    config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    overwrite: bool = True,
) -> Path:
    """Save a fitted model to the directory ``path`` atomically.

    The directory is written under a temporary name beside ``path`` and renamed into place, so a
    crash mid-save leaves either the previous model or none — never a torn one.
    """
    from safetensors.numpy import save_file

    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    kind = _kind_of(model)
    target = Path(path)
    if target.exists() and not overwrite:
        raise ModelFormatError(f"{target} already exists; pass overwrite=True to replace it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    state, arrays = model._artifact_state()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        save_file(arrays, str(tmp / ARRAYS_FILE))
        files = {ARRAYS_FILE: _sha256(tmp / ARRAYS_FILE)}
        history = getattr(model, "history_", None)
        for name, payload in (("config.json", config), ("history.json", history)):
            if payload is not None:
                _write_json(tmp / name, _json_ready(payload))
                files[name] = _sha256(tmp / name)
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "tagwise_version": __version__,
            "kind": kind,
            "params": _json_ready(model.get_params(deep=False)),
            "label_names": [str(c) for c in model.classes_],
            "n_features_in": int(model.n_features_in_),
            "state": _json_ready(state),
            "metadata": _json_ready(metadata or {}),
            "files": files,
        }
        _write_json(tmp / MANIFEST_FILE, manifest)
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            os.replace(target, backup)
            os.replace(tmp, target)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check ``manifest.json`` of a model directory (no arrays are loaded)."""
    root = Path(path)
    if not root.is_dir():
        raise ModelFormatError(f"{root}: no model directory here (expected a folder from `tagwise train`).")
    manifest_path = root / MANIFEST_FILE
    if not manifest_path.is_file():
        raise ModelFormatError(f"{manifest_path}: missing; {root} is not a tagwise model directory.")
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ModelFormatError(f"{manifest_path}: larger than {MAX_MANIFEST_BYTES} bytes; refusing it.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{manifest_path}: not valid JSON ({exc}); the model is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{manifest_path}: not a tagwise model manifest.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{manifest_path}: format version {version!r} is newer than this tagwise supports "
            f"({FORMAT_VERSION}); upgrade tagwise (pip install -U tagwise)."
        )
    for key in ("kind", "params", "label_names", "state", "files"):
        if key not in manifest:
            raise ModelFormatError(f"{manifest_path}: missing the {key!r} entry; the model is damaged.")
    return manifest


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model saved by :func:`save_model`; checks every file's sha256 first."""
    from safetensors import SafetensorsError
    from safetensors.numpy import load_file

    root = Path(path)
    manifest = read_manifest(root)
    cls = _class_for(manifest["kind"])
    for name, expected in manifest["files"].items():
        file = root / name
        if Path(name).name != name or not file.is_file() or file.is_symlink():
            raise ModelFormatError(f"{file}: missing or not a plain file inside {root}.")
        if _sha256(file) != expected:
            raise ModelFormatError(f"{file}: checksum does not match the manifest; the model is damaged.")
    try:
        arrays = load_file(str(root / ARRAYS_FILE))
    except (SafetensorsError, OSError, ValueError) as exc:
        raise ModelFormatError(f"{root / ARRAYS_FILE}: unreadable ({exc}).") from None
    try:
        model = cls(**manifest["params"])
    except TypeError as exc:
        raise ModelFormatError(f"{root / MANIFEST_FILE}: bad parameters for {cls.__name__}: {exc}") from None
    labels = manifest["label_names"]
    model.classes_ = np.asarray(labels, dtype=object)
    model.n_features_in_ = int(manifest["n_features_in"])
    model._restore_artifact(manifest["state"], arrays)
    history = root / "history.json"
    if "history.json" in manifest["files"]:
        model.history_ = json.loads(history.read_text(encoding="utf-8"))
    return model
