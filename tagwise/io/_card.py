"""Model card: what a saved model is, what it was trained on, how well it did — from its manifest.

:func:`inspect_model` reads only manifests (never arrays) and returns one JSON-ready dict;
:func:`format_card` renders it as Markdown for ``tagwise inspect``.

The card draws on the ``metadata`` given to :func:`tagwise.io.save_model`; by convention
``dataset`` (``name``, ``n_samples``, ``n_features``, ``n_labels``, ``source``), ``metrics``
(name → value, or split → {name → value}) and ``description``. Anything else is listed as is.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tagwise.io._model_io import CHILDREN_DIR, read_manifest

__all__ = ["format_card", "inspect_model"]


def _tree(root: Path, manifest: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    files = {}
    for name in manifest.get("files", {}):
        path = root / name
        files[name] = path.lstat().st_size if path.exists() and not path.is_symlink() else None
    children = {}
    if depth < 4:
        for cid in manifest.get("children", {}):
            child_root = root / CHILDREN_DIR / str(cid)
            child = read_manifest(child_root)
            children[cid] = {"kind": child["kind"], **_tree(child_root, child, depth + 1)}
    return {"files": files, "children": children}


def inspect_model(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Manifest, file sizes and nested models of a model directory, without loading arrays.

    Returns
    -------
    dict with ``path``, ``manifest`` (as saved), ``files`` (name → bytes), ``children``
    (id → {kind, files, children}) and ``total_bytes``.
    """
    root = Path(path)
    manifest = read_manifest(root)
    tree = _tree(root, manifest)

    def total(node: dict[str, Any]) -> int:
        own = sum(v or 0 for v in node["files"].values())
        return own + sum(total(c) for c in node["children"].values())

    return {"path": str(root), "manifest": manifest, **tree, "total_bytes": total(tree)}


def _metric_lines(metrics: Any) -> list[str]:
    if not isinstance(metrics, dict) or not metrics:
        return ["(none recorded)"]
    lines = ["| metric | value |", "| --- | --- |"]
    for name, value in metrics.items():
        if isinstance(value, dict):
            lines += [f"| {name} / {k} | {_fmt(v)} |" for k, v in value.items()]
        else:
            lines.append(f"| {name} | {_fmt(value)} |")
    return lines


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def format_card(info: dict[str, Any], *, max_labels: int = 50) -> str:
    """Render :func:`inspect_model`'s dict as a Markdown model card."""
    m = info["manifest"]
    meta = m.get("metadata") or {}
    schema = m.get("feature_schema") or {}
    labels = m.get("label_names") or []
    versions = ", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items())
    lines = [f"# Model card: {m['kind']} ({info['path']})", ""]
    if meta.get("description"):
        lines += [str(meta["description"]), ""]
    lines += [
        f"- created: {m.get('created_at', 'unknown')}",
        f"- format: {m['format']} v{m['format_version']}, {info['total_bytes']:,} bytes",
        f"- input: {schema.get('input', 'features')}"
        + (f", {schema['n_features']} features" if schema.get("n_features") else ""),
        f"- labels: {len(labels)}",
        f"- versions: {versions or 'unknown'}",
    ]
    if info["children"]:
        nested = ", ".join(f"{cid} ({c['kind']})" for cid, c in info["children"].items())
        lines.append(f"- nested models: {nested}")
    dataset = meta.get("dataset")
    lines += ["", "## Training data", ""]
    if isinstance(dataset, dict):
        lines += [f"- {k}: {_fmt(v)}" for k, v in dataset.items()]
    else:
        lines.append(str(dataset) if dataset else "(not recorded)")
    lines += ["", "## Metrics", "", *_metric_lines(meta.get("metrics"))]
    lines += ["", "## Parameters", ""]
    lines += [f"- {k}: {_fmt(v)}" for k, v in sorted((m.get("params") or {}).items())]
    shown = ", ".join(str(x) for x in labels[:max_labels])
    more = f", … ({len(labels) - max_labels} more)" if len(labels) > max_labels else ""
    lines += ["", "## Labels", "", (shown + more) or "(none)"]
    other = {k: v for k, v in meta.items() if k not in ("dataset", "metrics", "description")}
    if other:
        lines += ["", "## Other metadata", "", *[f"- {k}: {_fmt(v)}" for k, v in other.items()]]
    return "\n".join(lines) + "\n"
