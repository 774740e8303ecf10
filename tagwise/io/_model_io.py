"""save_model / load_model: a model is a directory of JSON and safetensors — never pickle.

Layout of ``MODEL_DIR``::

    manifest.json        format name and version, model kind, params, label names, feature schema,
                         state, sha256 of every file, model card data (versions, metadata)
    arrays.safetensors   every numeric fitted array (loaded without executing anything)
    arrays.npz           string arrays (vocabularies…), loaded with ``allow_pickle=False``
    config.json          the resolved run config (optional)
    history.json         training history (optional)
    children/c0/ …       nested models (a pipeline's featurizer, a wrapper's estimator), each a
                         complete model directory whose manifest's sha256 the parent records

Every model class taking part implements the artifact protocol:

* ``_artifact_kind``: a class attribute, the name in :data:`MODEL_KINDS`;
* ``_artifact_state(self) -> (state: dict, arrays: dict[str, ndarray | sparse matrix])``:
  JSON-ready fitted metadata and arrays;
* ``_restore_artifact(self, state, arrays) -> None``: set fitted attributes on an instance built
  with ``cls(**params)``;
* optional ``_artifact_input = "text"`` for models that take raw strings instead of features.

**Composite models.** A model that holds other tagwise models (a pipeline's steps, a wrapper's
``estimator``/``estimator_``) needs no extra code: wherever a tagwise model appears in its
``get_params(deep=False)`` or in the ``state`` it returns — also inside lists, tuples and dicts —
it is saved as a nested artifact under ``children/`` and replaced by a reference; on load the
child is loaded first and the reference replaced by the loaded object, so ``__init__`` and
``_restore_artifact`` receive real models. An unfitted child (a template in the params) is saved
as kind + params only. Children go through the same allow-list and checks, to a bounded depth.

The kind → class map is a closed allow-list of tagwise's own classes: nothing the file says can make
the loader import a module.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from tagwise._version import __version__
from tagwise.exceptions import ModelFormatError
from tagwise.io import _arrays
from tagwise.io._safety import (
    LIMITS,
    check_name,
    check_plain_file,
    fsync_dir,
    load_json_bytes,
    read_capped,
    replace_dir,
    write_synced,
)

__all__ = ["FORMAT_VERSION", "MODEL_KINDS", "load_model", "read_manifest", "save_model"]

FORMAT_NAME = "tagwise-model"
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
CHILDREN_DIR = "children"
MAX_MANIFEST_BYTES = LIMITS.manifest_bytes
_REF = "__tagwise_artifact__"  # {"__tagwise_artifact__": "c0"} stands for the child c0

# Closed allow-list: model kind → "module:Class" inside tagwise. Extend when a model kind lands.
MODEL_KINDS: dict[str, str] = {
    "mlp": "tagwise.models._mlp:MLPClassifier",
    "linear": "tagwise.models._linear:LinearOneVsRest",
    "br": "tagwise.models._binary_relevance:BinaryRelevance",
    "chain": "tagwise.models._chain:ClassifierChain",
    "ecc": "tagwise.models._chain:EnsembleOfChains",
    "lp": "tagwise.models._powerset:LabelPowerset",
    "rakel": "tagwise.models._powerset:RakelClassifier",
    "auto": "tagwise.models._auto:AutoClassifier",
    "mlknn": "tagwise.models._knn:MLkNN",
    "blend": "tagwise.models._blend:BlendClassifier",
    "thresholded": "tagwise.thresholds._classifier:ThresholdedClassifier",
    # text (issue 6): the pipeline, its featurizers (nested artifacts), the fine-tuned encoder
    "text": "tagwise.text._pipeline:TextClassifier",
    "tfidf": "tagwise.text._tfidf:TfidfFeaturizer",
    "sentence_embedder": "tagwise.text._embed:SentenceEmbedder",
    "combined_features": "tagwise.text._combine:CombinedFeaturizer",
    "transformer": "tagwise.text._finetune:TransformerClassifier",
}


def _class_for(kind: object) -> type:
    target = MODEL_KINDS.get(kind) if isinstance(kind, str) else None
    if target is None:
        raise ModelFormatError(
            f"unknown model kind {kind!r}; this tagwise ({__version__}) knows "
            f"{', '.join(sorted(MODEL_KINDS))}."
        )
    module, name = target.split(":")
    if not module.startswith("tagwise."):  # the allow-list itself must stay inside tagwise
        raise ModelFormatError(f"model kind {kind!r} maps outside tagwise ({target}); refusing it.")
    return getattr(importlib.import_module(module), name)  # our own module, from the allow-list


def _kind_of(model: Any) -> str:
    kind = getattr(type(model), "_artifact_kind", None)
    if kind is None or kind not in MODEL_KINDS:
        raise ModelFormatError(f"{type(model).__name__} cannot be saved by tagwise.save_model.")
    return str(kind)


def _is_artifact(value: Any) -> bool:
    return not isinstance(value, type) and getattr(type(value), "_artifact_kind", None) is not None


def _is_fitted(model: Any) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError):
        return False
    return True


def _json_ready(value: Any, where: str = "value") -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and not np.isfinite(value):
        return {"__float__": repr(value)}  # inf/nan: JSON has no literal for them
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ModelFormatError(
        f"cannot store {where} of type {type(value).__name__} in a manifest; only JSON values, "
        "numpy scalars/arrays and tagwise models can be saved."
    )


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__float__"} and value["__float__"] in ("inf", "-inf", "nan"):
            return float(value["__float__"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _dump_json(obj: Any) -> bytes:
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False).encode("utf-8")


def _extract(value: Any, children: dict[int, tuple[str, Any]], where: str) -> Any:
    """Replace every tagwise model inside ``value`` by a reference; collect it in ``children``."""
    if _is_artifact(value):
        if id(value) not in children:
            children[id(value)] = (f"c{len(children)}", value)
        return {_REF: children[id(value)][0]}
    if isinstance(value, dict):
        return {str(k): _extract(v, children, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_extract(v, children, f"{where}[{i}]") for i, v in enumerate(value)]
    if hasattr(value, "get_params") and hasattr(value, "fit"):
        raise ModelFormatError(
            f"{where} is a {type(value).__name__}, which is not a tagwise model; only tagwise "
            "models can be nested inside a saved model."
        )
    return _json_ready(value, where)


def _versions() -> dict[str, str]:
    versions = {
        "tagwise": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    for module in ("sklearn", "scipy", "torch", "safetensors"):
        if module in sys.modules:  # record only what this model actually used; import nothing
            versions[module] = str(getattr(sys.modules[module], "__version__", "?"))
    return versions


def _write_artifact(
    model: Any, root: Path, *, fitted: bool, extra: dict[str, Any], depth: int
) -> str:
    """Write ``model`` into the new directory ``root``; return the sha256 of its manifest."""
    if depth > LIMITS.max_depth:
        raise ModelFormatError(f"models nested more than {LIMITS.max_depth} deep cannot be saved.")
    kind = _kind_of(model)
    root.mkdir()
    children: dict[int, tuple[str, Any]] = {}
    params = _extract(model.get_params(deep=False), children, "parameter")
    files: dict[str, str] = {}
    state: Any = None
    if fitted:
        raw_state, arrays = model._artifact_state()
        state = _extract(raw_state, children, "state")
        for name, blob in _arrays.encode(arrays).items():
            write_synced(root / name, blob)
            files[name] = hashlib.sha256(blob).hexdigest()
        history = getattr(model, "history_", None)
        for name, payload in (("config.json", extra.get("config")), ("history.json", history)):
            if payload is not None:
                blob = _dump_json(_json_ready(payload, name))
                write_synced(root / name, blob)
                files[name] = hashlib.sha256(blob).hexdigest()
    child_entries: dict[str, dict[str, Any]] = {}
    if children:
        (root / CHILDREN_DIR).mkdir()
        for cid, child in children.values():
            child_fitted = _is_fitted(child)
            digest = _write_artifact(
                child, root / CHILDREN_DIR / cid, fitted=child_fitted, extra={}, depth=depth + 1
            )
            child_entries[cid] = {
                "kind": _kind_of(child),
                "fitted": child_fitted,
                "manifest_sha256": digest,
            }
        fsync_dir(root / CHILDREN_DIR)
    classes = getattr(model, "classes_", None) if fitted else None
    n_features = getattr(model, "n_features_in_", None) if fitted else None
    names = getattr(model, "feature_names_in_", None) if fitted else None
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "tagwise_version": __version__,
        "kind": kind,
        "fitted": fitted,
        "params": params,
        "label_names": None if classes is None else [str(c) for c in classes],
        "n_features_in": None if n_features is None else int(n_features),
        "feature_schema": {
            "input": str(getattr(model, "_artifact_input", "features")),
            "n_features": None if n_features is None else int(n_features),
            "feature_names": None if names is None else [str(n) for n in names],
        },
        "state": state,
        "files": files,
        "children": child_entries,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "metadata": _json_ready(extra.get("metadata") or {}, "metadata"),
    }
    blob = _dump_json(manifest)
    write_synced(root / MANIFEST_FILE, blob)
    fsync_dir(root)
    return hashlib.sha256(blob).hexdigest()


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    *,
    config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    overwrite: bool = True,
) -> Path:
    """Save a fitted model to the directory ``path`` atomically.

    The directory is written under a temporary name beside ``path`` (every file and directory
    fsync'ed) and renamed into place, so a crash mid-save leaves either the previous model or none
    — never a torn one.

    Parameters
    ----------
    model : a fitted tagwise estimator (its class implements the artifact protocol)
    path : the model directory to create or replace
    config : the resolved run config, stored as ``config.json``
    metadata : model card data shown by ``tagwise inspect``; by convention ``dataset`` (name,
        n_samples, n_features, n_labels, source), ``metrics`` (name → value), ``description``
    overwrite : replace an existing model at ``path`` (never a directory that is not a model)
    """
    from sklearn.utils.validation import check_is_fitted

    _kind_of(model)
    check_is_fitted(model)
    target = Path(path)
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise ModelFormatError(f"{target} already exists; pass overwrite=True to replace it.")
        if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST_FILE).is_file():
            raise ModelFormatError(
                f"{target} is a non-empty directory but not a tagwise model; refusing to replace "
                "it. Choose a new path."
            )
        if not target.is_dir():
            raise ModelFormatError(f"{target} exists and is not a directory; choose another path.")
    target.parent.mkdir(parents=True, exist_ok=True)
    extra = {"config": config, "metadata": metadata}
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        _write_artifact(model, tmp / "model", fitted=True, extra=extra, depth=0)
        replace_dir(tmp / "model", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _check_version(manifest: Any, where: Path) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{where}: not a tagwise model manifest.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFormatError(f"{where}: format version {version!r} is not valid.")
    if version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{where}: format version {version} is newer than this tagwise supports "
            f"({FORMAT_VERSION}); upgrade tagwise (pip install -U tagwise)."
        )
    for key in ("kind", "params", "label_names", "state", "files"):
        if key not in manifest:
            raise ModelFormatError(f"{where}: missing the {key!r} entry; the model is damaged.")
    if not isinstance(manifest["files"], dict) or not isinstance(
        manifest.get("children", {}), dict
    ):
        raise ModelFormatError(f"{where}: 'files' and 'children' must be objects.")
    return manifest


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check ``manifest.json`` of a model directory (no arrays are loaded)."""
    root = Path(path)
    if not root.is_dir():
        raise ModelFormatError(
            f"{root}: no model directory here (expected a folder from `tagwise train`)."
        )
    where = root / MANIFEST_FILE
    if not where.exists() and not where.is_symlink():
        raise ModelFormatError(f"{where}: missing; {root} is not a tagwise model directory.")
    check_plain_file(root, MANIFEST_FILE, LIMITS.manifest_bytes)
    return _check_version(load_json_bytes(read_capped(where, LIMITS.manifest_bytes), where), where)


def _check_tree(root: Path, manifest: dict[str, Any], depth: int, budget: list[int]) -> None:
    """Before reading any array: names, plain files, sizes and no unlisted entries, recursively."""
    if depth > LIMITS.max_depth:
        raise ModelFormatError(
            f"{root}: models nested more than {LIMITS.max_depth} deep; refusing."
        )
    files, children = manifest["files"], manifest.get("children", {})
    if len(files) > LIMITS.max_files or len(children) > LIMITS.max_children:
        raise ModelFormatError(f"{root / MANIFEST_FILE}: lists too many files or children.")
    allowed = {MANIFEST_FILE, *files} | ({CHILDREN_DIR} if children else set())
    with os.scandir(root) as entries:
        extra = sorted(e.name for e in entries if e.name not in allowed)
    if extra:
        raise ModelFormatError(
            f"{root}: unexpected entries {extra[:5]}; a model directory holds only the files its "
            "manifest lists (was a file added or renamed into it?)."
        )
    for name, digest in files.items():
        if not isinstance(digest, str):
            raise ModelFormatError(f"{root / MANIFEST_FILE}: the hash of {name!r} is not a string.")
        budget[0] -= check_plain_file(root, name, LIMITS.model_bytes)
        if budget[0] < 0:
            raise ModelFormatError(
                f"{root}: the model's files exceed the cap of {LIMITS.model_bytes} bytes; refusing "
                "to read them (set TAGWISE_MAX_MODEL_BYTES to allow bigger models)."
            )
    if children:
        sub = root / CHILDREN_DIR
        if sub.is_symlink() or not sub.is_dir():
            raise ModelFormatError(f"{sub}: must be a plain directory.")
        with os.scandir(sub) as entries:
            extra = sorted(e.name for e in entries if e.name not in children)
        if extra:
            raise ModelFormatError(f"{sub}: unexpected entries {extra[:5]}.")
        for cid in children:
            check_name(cid, root / MANIFEST_FILE)
            child = sub / cid
            if child.is_symlink() or not child.is_dir():
                raise ModelFormatError(f"{child}: must be a plain directory, not a link or a file.")


def _load_artifact(root: Path, expected_sha: str | None, depth: int, budget: list[int]) -> Any:
    where = root / MANIFEST_FILE
    if not where.exists() and not where.is_symlink():
        raise ModelFormatError(f"{where}: missing; {root} is not a tagwise model directory.")
    check_plain_file(root, MANIFEST_FILE, LIMITS.manifest_bytes)
    blob = read_capped(where, LIMITS.manifest_bytes)
    if expected_sha is not None and hashlib.sha256(blob).hexdigest() != expected_sha:
        raise ModelFormatError(f"{where}: checksum does not match its parent's manifest; damaged.")
    manifest = _check_version(load_json_bytes(blob, where), where)
    cls = _class_for(manifest["kind"])  # unknown kinds fail before any array is read
    _check_tree(root, manifest, depth, budget)
    loaded: dict[str, Any] = {}
    for cid, entry in manifest.get("children", {}).items():
        _class_for(entry.get("kind") if isinstance(entry, dict) else None)
        loaded[cid] = _load_artifact(
            root / CHILDREN_DIR / cid, entry.get("manifest_sha256"), depth + 1, budget
        )
    blobs: dict[str, bytes] = {}
    for name, digest in manifest["files"].items():
        data = read_capped(root / name, LIMITS.model_bytes)
        if hashlib.sha256(data).hexdigest() != digest:  # hash what we parse: no swap in between
            raise ModelFormatError(
                f"{root / name}: checksum does not match the manifest; the model is damaged."
            )
        blobs[name] = data
    params = _from_json(_resolve(manifest["params"], loaded, where))
    try:
        model = cls(**params)
    except TypeError as exc:
        raise ModelFormatError(f"{where}: bad parameters for {cls.__name__}: {exc}") from None
    if not manifest.get("fitted", True):
        return model
    arrays = _arrays.decode(blobs, root)
    if manifest["label_names"] is not None:
        model.classes_ = np.asarray(manifest["label_names"], dtype=object)
    if manifest.get("n_features_in") is not None:
        model.n_features_in_ = int(manifest["n_features_in"])
    names = (manifest.get("feature_schema") or {}).get("feature_names")
    if names is not None:
        model.feature_names_in_ = np.asarray(names, dtype=object)
    model._restore_artifact(_from_json(_resolve(manifest["state"], loaded, where)), arrays)
    if "history.json" in blobs:
        model.history_ = load_json_bytes(blobs["history.json"], root / "history.json")
    return model


def _resolve(value: Any, loaded: dict[str, Any], where: Path) -> Any:
    if isinstance(value, dict):
        if set(value) == {_REF}:
            if value[_REF] not in loaded:
                raise ModelFormatError(
                    f"{where}: refers to an unknown nested model {value[_REF]!r}."
                )
            return loaded[value[_REF]]
        return {k: _resolve(v, loaded, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, loaded, where) for v in value]
    return value


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model saved by :func:`save_model`.

    Checks, in this order and before any array is parsed: the manifest (size, JSON, format
    version, a model kind from the allow-list), that every listed file is a plain file inside the
    directory, that nothing unlisted is there, the total size against the cap; then reads each
    file once and checks its sha256 on the bytes it parses. Never unpickles, never imports a
    module the file names.
    """
    root = Path(path)
    if not root.is_dir():
        raise ModelFormatError(
            f"{root}: no model directory here (expected a folder from `tagwise train`)."
        )
    return _load_artifact(root, None, 0, [LIMITS.model_bytes])
