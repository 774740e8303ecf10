"""Writing predictions as tables: label names and probabilities, in CSV/TSV/Parquet/JSONL.

One row per sample: ``id`` (when ids are given), ``labels`` (the predicted label names; joined
with ``label_sep`` in CSV/TSV, a list in Parquet/JSONL) and one ``p_<label>`` column of
probabilities per label (JSONL: a ``scores`` object). The file is written under a temporary
name and renamed into place, so a failed write never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tagwise.data._tabsource import detect_format
from tagwise.exceptions import DataFormatError

__all__ = ["write_predictions"]


def _check(
    label_names: Sequence[str], proba: Any, pred: Any, threshold: Any, ids: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray]:
    P = np.asarray(proba, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != len(label_names):
        raise DataFormatError(
            f"proba has shape {P.shape}; expected (n_samples, {len(label_names)}) to match the "
            f"{len(label_names)} label names."
        )
    if not np.isfinite(P).all() or (P < 0).any() or (P > 1).any():
        raise DataFormatError("proba must hold probabilities in [0, 1] (no NaN/inf).")
    if pred is None:
        t = np.asarray(threshold, dtype=np.float64)
        if t.ndim > 1 or (t.ndim == 1 and t.size != P.shape[1]):
            raise DataFormatError(
                f"threshold must be a number or one per label ({P.shape[1]}), got shape {t.shape}."
            )
        pred = P >= t
    else:
        import scipy.sparse as sp

        pred = pred.toarray() if sp.issparse(pred) else np.asarray(pred)
        if pred.shape != P.shape:
            raise DataFormatError(f"pred has shape {pred.shape} but proba has {P.shape}.")
    if ids is not None and len(ids) != P.shape[0]:
        raise DataFormatError(f"{len(ids)} ids for {P.shape[0]} rows of predictions.")
    return P, np.asarray(pred).astype(bool)


def write_predictions(
    path: str | Path,
    label_names: Sequence[str],
    proba: Any,
    *,
    threshold: float | Sequence[float] = 0.5,
    pred: Any = None,
    ids: Sequence[Any] | None = None,
    format: str | None = None,
    label_sep: str = "|",
    decimals: int = 6,
) -> Path:
    """Write predicted labels and probabilities to ``path``; returns the path.

    Parameters
    ----------
    path : output file; the format comes from the extension (``.csv``, ``.tsv``, ``.parquet``,
        ``.jsonl``) or ``format``
    label_names : list of str, length n_labels
    proba : array of shape (n_samples, n_labels), probabilities in [0, 1]
    threshold : a number or one per label: a label is predicted when its probability is at
        least this (ignored when ``pred`` is given)
    pred : 0/1 indicator of shape (n_samples, n_labels), dense or sparse (e.g. a model's
        ``predict`` with top-k or at-least-one rules)
    ids : row ids, length n_samples (written as the first column)
    label_sep : separator of label names in CSV/TSV
    decimals : probabilities are rounded to this many decimals
    """
    fmt = detect_format(path, format)
    if fmt not in ("csv", "tsv", "parquet", "jsonl"):
        raise DataFormatError(
            f"cannot write predictions as {fmt}; use .csv, .tsv, .parquet or .jsonl."
        )
    names = [str(n) for n in label_names]
    P, Z = _check(names, proba, pred, threshold, ids)
    P = np.round(P, decimals)
    label_lists = [[names[j] for j in np.flatnonzero(row)] for row in Z]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8") as f:
                for i, labels in enumerate(label_lists):
                    record: dict[str, Any] = {} if ids is None else {"id": _plain(ids[i])}
                    record["labels"] = labels
                    record["scores"] = dict(zip(names, P[i].tolist(), strict=True))
                    f.write(json.dumps(record) + "\n")
        else:
            frame = pd.DataFrame({f"p_{n}": P[:, j] for j, n in enumerate(names)})
            if fmt == "parquet":
                frame.insert(0, "labels", label_lists)
            else:
                frame.insert(0, "labels", [label_sep.join(ls) for ls in label_lists])
            if ids is not None:
                frame.insert(0, "id", [_plain(v) for v in ids])
            if fmt == "parquet":
                frame.to_parquet(tmp, index=False)
            else:
                frame.to_csv(tmp, sep="\t" if fmt == "tsv" else ",", index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
