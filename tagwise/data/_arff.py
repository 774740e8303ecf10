"""MULAN / MEKA ARFF files → :class:`Dataset` (dense or sparse ``@data``), and feature rows.

Label attributes: see :func:`tagwise.data._arffheader.find_labels`. Labels are nominal
``{0,1}`` (or ``{false,true}``/``{no,yes}``) or numeric 0/1. Numeric attributes are features;
nominal ones are one-hot encoded with feature names ``attribute=value`` (the mapping travels
with the model's feature names, so :func:`read_arff_features` rebuilds it); the first
``string``/``date`` attribute gives the row ids and is never a feature. ``?`` is a missing
value: an error in labels, NaN in features (an error unless ``allow_nan``).

Sparse files are written straight into a CSR matrix whose arrays are sized by a counting pass,
so reading needs the result plus one chunk's working set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.data._arffheader import ArffHeader, find_labels, parse_header
from tagwise.data._arffparts import Part, Plan, parts
from tagwise.data._dataset import Dataset
from tagwise.data._stream import CHUNK_BYTES, line_chunks
from tagwise.exceptions import DataFormatError, located

__all__ = ["iter_arff_features", "read_arff", "read_arff_features"]

_POSITIVE = {"1", "true", "yes", "y", "t"}
_NEGATIVE = {"0", "false", "no", "n", "f"}


def _is_sparse(path: Path, header: ArffHeader) -> bool:
    for buf, _ in line_chunks(path, 1 << 16, offset=header.data_offset):
        for raw in buf.split(b"\n"):
            text = raw.strip()
            if text and not text.startswith(b"%"):
                return text.startswith(b"{")
    raise DataFormatError(located(path, header.data_line, "no data rows after @data."))


def _chunk_bytes(path: Path, chunk_bytes: int) -> int:
    """Chunk size: ``chunk_bytes``, or 1/32 of the file between 64 KiB and 1 MiB.

    A chunk's working arrays take ~10-15 bytes per input byte (tracemalloc, bibtex), and the
    result ~1.2 bytes per input byte (binary MULAN data): 1/32 of the file keeps the working
    set well under the result's size, so the peak stays below 2× the CSR matrices, while
    chunks stay big enough for the per-chunk numpy calls not to dominate. Above 1 MiB,
    bigger chunks only cost page faults: their temporaries outgrow what the allocator keeps
    (4 MiB chunks took 0.29 s of system time on the 216 MB benchmark file, 1 MiB ones 0.13 s).
    """
    if chunk_bytes > 0:
        return chunk_bytes
    try:
        size = path.stat().st_size
    except OSError:
        size = 1 << 25
    return min(1 << 20, max(1 << 16, size // 32))


def _label_codes(header: ArffHeader, path: Path, label_idx: list[int]) -> np.ndarray:
    """The value (nominal code, or number for numeric labels) that means "has the label"."""
    pos = np.empty(len(label_idx), dtype=np.float64)
    done: dict[tuple[str, ...], int] = {}  # per distinct value list ({0,1} × 1000s)
    for j, i in enumerate(label_idx):
        at = header.attributes[i]
        if at.kind == "numeric":
            pos[j] = 1.0
            continue
        key = tuple(at.values)
        if at.kind == "nominal" and key in done:
            pos[j] = done[key]
            continue
        low = [v.lower() for v in at.values]
        if (
            at.kind != "nominal"
            or len(low) != 2
            or not (set(low) & _POSITIVE and set(low) & _NEGATIVE)
        ):
            raise DataFormatError(
                located(
                    path,
                    at.line,
                    f"label attribute {at.name!r} must be {{0,1}} (or numeric "
                    f"0/1); it is {at.kind} {at.values[:5]}.",
                )
            )
        pos[j] = done[key] = next(k for k, v in enumerate(low) if v in _POSITIVE)
    return pos


def _plan(
    path: Path,
    header: ArffHeader,
    label_idx: list[int] | None,
    specs: list[tuple[int, int]],
    *,
    allow_nan: bool,
    dtype: Any,
) -> Plan:
    label_idx = label_idx or []
    pos = _label_codes(header, path, label_idx)
    sparse = _is_sparse(path, header)
    return Plan(path, header, label_idx, pos, specs, sparse, allow_nan=allow_nan, dtype=dtype)


def _read(
    path: Path,
    header: ArffHeader,
    label_idx: list[int] | None,
    specs: list[tuple[int, int]],
    *,
    allow_nan: bool,
    dtype: Any,
    chunk_bytes: int,
) -> tuple[Any, sp.csr_matrix | None, list[str] | None]:
    """X from ``specs`` ((attribute, -1) numeric or (attribute, code) one-hot), Y and ids."""
    plan = _plan(path, header, label_idx, specs, allow_nan=allow_nan, dtype=dtype)
    chunk_bytes = _chunk_bytes(path, chunk_bytes)
    data_bytes = max(1, _file_size(path) - header.data_offset)
    # X's arrays are sized on the first chunk's share of the data section and grown in place
    # (realloc) if later chunks need more; the unused tail is given back at the end
    x_col = np.empty(0, dtype=np.int32)
    x_val = np.empty(0, dtype=dtype)
    x_counts: list[np.ndarray] = []
    dense: list[np.ndarray] = []
    y_counts: list[np.ndarray] = []
    y_cols: list[np.ndarray] = []
    ids: list[str] = []
    at = n = 0
    seen = 0
    for part in parts(plan, chunk_bytes):
        seen += chunk_bytes
        if part.dense is not None:
            dense.append(part.dense)
        else:
            k = part.x_col.size  # type: ignore[union-attr]
            if at + k > x_col.size:
                want = int((at + k) * max(1.0, data_bytes / seen) * 1.05) + 4096
                if at == 0:  # np.empty: resize would zero-fill the whole capacity
                    x_col, x_val = np.empty(want, dtype=np.int32), np.empty(want, dtype=dtype)
                else:
                    x_col.resize(want, refcheck=False)
                    x_val.resize(want, refcheck=False)
            assert part.x_col is not None and part.x_val is not None  # sparse parts carry both
            x_col[at : at + k] = part.x_col
            x_val[at : at + k] = part.x_val
            at += k
            x_counts.append(part.x_counts)  # type: ignore[arg-type]
        if part.y_counts is not None:
            y_counts.append(part.y_counts)
            y_cols.append(part.y_col)  # type: ignore[arg-type]
        if part.ids is not None:
            ids.extend(part.ids)
        n += part.n_rows
        part = None  # type: ignore[assignment]  # free the chunk before the next is parsed
    if n == 0:
        raise DataFormatError(located(path, header.data_line, "no data rows after @data."))
    Y = None
    if plan.n_labels:
        y_ind = np.concatenate(y_cols) if y_cols else np.zeros(0, dtype=np.int32)
        del y_cols
        y_ptr = np.zeros(n + 1, dtype=np.int64 if y_ind.size >= 2**31 - 1 else np.int32)
        np.cumsum(np.concatenate(y_counts), out=y_ptr[1:])
        if y_ind.size >= 2**31 - 1:
            y_ind = y_ind.astype(np.int64)
        Y = sp.csr_matrix(
            (np.ones(y_ind.size, dtype=np.int64), y_ind, y_ptr), shape=(n, plan.n_labels)
        )
    if plan.sparse:
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.concatenate(x_counts), out=indptr[1:])
        x_col.resize(at, refcheck=False)  # give the unused tail back
        x_val.resize(at, refcheck=False)
        X = sp.csr_matrix((x_val, x_col, indptr), shape=(n, len(specs)))
        if plan.sorted_columns:  # columns increase along each row, as attributes do
            X.has_sorted_indices = True
        else:  # a model's own feature order
            X.sort_indices()
    else:
        X = np.concatenate(dense) if len(dense) > 1 else dense[0]
    return X, Y, (ids if plan.ids_attr is not None else None)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 1 << 25


def _binary(values: list[str]) -> int | None:
    """The code of the positive value of a {0,1}-like nominal attribute, else None."""
    low = [v.lower() for v in values]
    if len(low) == 2 and set(low) & _POSITIVE and set(low) & _NEGATIVE:
        return next(k for k, v in enumerate(low) if v in _POSITIVE)
    return None


def _feature_specs(header: ArffHeader, skip: set[int]) -> tuple[list[tuple[int, int]], list[str]]:
    specs, names = [], []
    binary: dict[tuple[str, ...], int | None] = {}  # per distinct value list ({0,1} × 1000s)
    for i, a in enumerate(header.attributes):
        if i in skip or a.kind == "string":
            continue
        if a.kind == "numeric":
            specs.append((i, -1))
            names.append(a.name)
            continue
        key = tuple(a.values)
        if key not in binary:
            binary[key] = _binary(a.values)
        if (positive := binary[key]) is not None:  # {0,1}: one 0/1 column, not two
            specs.append((i, positive))
            names.append(a.name)
        else:
            specs.extend((i, k) for k in range(len(a.values)))
            names.extend(f"{a.name}={v}" for v in a.values)
    return specs, names


def read_arff(
    path: str | Path,
    *,
    labels: Sequence[str] | int | None = None,
    xml: str | Path | None = None,
    allow_nan: bool = False,
    dtype: Any = np.float32,
    sparse_labels: bool | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Dataset:
    """Read a MULAN or MEKA ARFF file (dense or sparse) into a :class:`Dataset`.

    Parameters
    ----------
    path : the ``.arff`` file (``.arff.gz`` allowed)
    labels : label attribute names, or a count as in MEKA's ``-C``: N > 0 the first N
        attributes, N < 0 the last |N| (MULAN files have their labels last: ``labels=-14``)
    xml : the MULAN label file (default: ``NAME.xml`` beside the file, found automatically)
    allow_nan : keep missing (``?``), NaN and inf feature values as NaN/inf
    dtype : dtype of X (float32 by default)
    sparse_labels : CSR Y (default when there are more than 100 labels)

    Returns
    -------
    Dataset with X dense (dense ARFF) or CSR (sparse ARFF) of shape (n_samples, n_features),
    Y int64 of shape (n_samples, n_labels), label/feature names from the attributes, and ids
    from the first string attribute.
    """
    p = Path(path)
    header = parse_header(p)
    label_idx = find_labels(header, p, labels, xml)
    if label_idx is None:
        raise DataFormatError(
            f"{p}: which attributes are labels? Found no MULAN label file (NAME.xml beside the "
            "file) and no MEKA '-C N' in @relation; pass xml=..., or labels= with names or a "
            "count (-N: the last N attributes)."
        )
    specs, names = _feature_specs(header, set(label_idx))
    X, Y, ids = _read(
        p, header, label_idx, specs, allow_nan=allow_nan, dtype=dtype, chunk_bytes=chunk_bytes
    )
    assert Y is not None
    if sparse_labels is False or (sparse_labels is None and Y.shape[1] <= 100):
        Y = Y.toarray()
    return Dataset(
        X=X,
        Y=Y,
        label_names=[header.attributes[i].name for i in label_idx],
        feature_names=names,
        ids=ids,
        name=p.name,
    )


def _model_specs(
    p: Path,
    header: ArffHeader,
    feature_names: Sequence[str] | None,
    labels: Sequence[str] | int | None,
    xml: str | Path | None,
) -> list[tuple[int, int]]:
    """The (attribute, code) of each feature: the model's names, or every non-label one."""
    if feature_names is None:
        label_idx = find_labels(header, p, labels, xml) or []
        specs, _ = _feature_specs(header, set(label_idx))
    else:
        index = header.index()
        specs, missing = [], []
        for name in feature_names:
            name = str(name)
            base, _, value = name.partition("=")
            at = header.attributes[index[name]] if name in index else None
            if at is not None and at.kind == "numeric":
                specs.append((index[name], -1))
            elif at is not None and _binary(at.values) is not None:
                specs.append((index[name], _binary(at.values)))  # type: ignore[arg-type]
            elif base in index and value in header.attributes[index[base]].values:
                specs.append((index[base], header.attributes[index[base]].values.index(value)))
            else:
                missing.append(name)
        if missing:
            raise DataFormatError(
                f"{p}: the model needs feature(s) {missing[:10]} that the file's attributes "
                "lack (or declare with another type or value set)."
            )
    if not specs:
        raise DataFormatError(f"{p}: no feature attributes.")
    return specs


def read_arff_features(
    path: str | Path,
    feature_names: Sequence[str] | None = None,
    *,
    labels: Sequence[str] | int | None = None,
    xml: str | Path | None = None,
    allow_nan: bool = False,
    dtype: Any = np.float32,
    chunk_bytes: int = CHUNK_BYTES,
) -> tuple[Any, list[str] | None]:
    """Feature rows of an ARFF file for prediction: ``(X, ids)``.

    With ``feature_names`` (the model's), attributes are matched by name in that order
    (``attribute=value`` rebuilds a one-hot column); without, every attribute that is not a
    label (as found by :func:`read_arff`'s rules, if any apply) is a feature.
    """
    p = Path(path)
    header = parse_header(p)
    specs = _model_specs(p, header, feature_names, labels, xml)
    X, _, ids = _read(
        p, header, None, specs, allow_nan=allow_nan, dtype=dtype, chunk_bytes=chunk_bytes
    )
    return X, ids


def iter_arff_features(
    path: str | Path,
    feature_names: Sequence[str] | None = None,
    *,
    batch_size: int = 10_000,
    labels: Sequence[str] | int | None = None,
    xml: str | Path | None = None,
    allow_nan: bool = False,
    dtype: Any = np.float32,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[tuple[Any, list[str] | None]]:
    """:func:`read_arff_features` in batches of at most ``batch_size`` rows, ``(X, ids)`` each.

    The file is parsed chunk by chunk (at most 1 MiB each) and every batch is handed out as
    soon as its rows are read, so memory stays at about one batch plus one chunk whatever the
    file's size. X is CSR for sparse files, dense otherwise.
    """
    p = Path(path)
    header = parse_header(p)
    specs = _model_specs(p, header, feature_names, labels, xml)
    plan = _plan(p, header, None, specs, allow_nan=allow_nan, dtype=dtype)
    pending: list[tuple[Any, list[str] | None]] = []
    n_pending = n_seen = 0
    for part in parts(plan, _chunk_bytes(p, chunk_bytes)):
        n_seen += part.n_rows
        if part.n_rows:
            pending.append((_part_matrix(plan, part), part.ids))
            n_pending += part.n_rows
        while n_pending >= batch_size:
            X, ids = _stack(plan, pending)
            yield X[:batch_size], None if ids is None else ids[:batch_size]
            n_pending -= batch_size
            pending = [(X[batch_size:], None if ids is None else ids[batch_size:])]
            pending = pending if n_pending else []
    if n_seen == 0:
        raise DataFormatError(located(p, header.data_line, "no data rows after @data."))
    if n_pending:
        yield _stack(plan, pending)


def _part_matrix(plan: Plan, part: Part) -> Any:
    """A part's rows as a CSR matrix (sparse files) or a dense array."""
    if part.dense is not None:
        return part.dense
    assert part.x_counts is not None  # a part without a dense block is sparse
    indptr = np.zeros(part.n_rows + 1, dtype=np.int64)
    np.cumsum(part.x_counts, out=indptr[1:])
    X = sp.csr_matrix(
        (np.asarray(part.x_val, dtype=plan.dtype), part.x_col, indptr),
        shape=(part.n_rows, plan.n_features),
    )
    if plan.sorted_columns:
        X.has_sorted_indices = True
    else:
        X.sort_indices()
    return X


def _stack(plan: Plan, pending: list[tuple[Any, list[str] | None]]) -> tuple[Any, Any]:
    """Pending pieces as one matrix (and their ids)."""
    blocks = [x for x, _ in pending]
    if len(blocks) == 1:
        X = blocks[0]
    else:
        X = sp.vstack(blocks, format="csr") if plan.sparse else np.concatenate(blocks)
    ids = None if pending[0][1] is None else [t for _, i in pending for t in i]  # type: ignore[union-attr]
    return X, ids
