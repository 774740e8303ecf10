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

from tagwise.data._arffdata import Entries, _Codes, parse_chunk
from tagwise.data._arffheader import ArffHeader, find_labels, parse_header
from tagwise.data._dataset import Dataset
from tagwise.data._stream import CHUNK_BYTES, line_chunks
from tagwise.exceptions import DataFormatError, located

__all__ = ["read_arff", "read_arff_features"]

_POSITIVE = {"1", "true", "yes", "y", "t"}
_NEGATIVE = {"0", "false", "no", "n", "f"}


def _is_sparse(path: Path, header: ArffHeader) -> bool:
    for buf, _ in line_chunks(path, 1 << 16, offset=header.data_offset):
        for raw in buf.split(b"\n"):
            text = raw.strip()
            if text and not text.startswith(b"%"):
                return text.startswith(b"{")
    raise DataFormatError(located(path, header.data_line, "no data rows after @data."))


def _chunks(
    path: Path, header: ArffHeader, codes: _Codes, sparse: bool, chunk_bytes: int
) -> Iterator[Entries]:
    rows = 0
    for buf, line0 in line_chunks(
        path, chunk_bytes, offset=header.data_offset, first_line=header.data_line
    ):
        e = parse_chunk(buf, line0, path, codes, sparse)
        e.row = e.row + rows
        e.strings = [(r + rows, j, t) for r, j, t in e.strings]
        rows += e.n_rows
        yield e


def _chunk_bytes(path: Path, chunk_bytes: int) -> int:
    """Chunk size: ``chunk_bytes``, or 1/32 of the file between 64 KiB and 1 MiB.

    A chunk's working arrays take ~15-20 bytes per input byte (tracemalloc, bibtex), and the
    result ~1.2 bytes per input byte (binary MULAN data): 1/32 of the file keeps the working
    set well under the result's size, so the peak stays below 2× the CSR matrices, while
    chunks stay big enough for the per-chunk numpy calls not to dominate.
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
    for j, i in enumerate(label_idx):
        at = header.attributes[i]
        if at.kind == "numeric":
            pos[j] = 1.0
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
        pos[j] = next(k for k, v in enumerate(low) if v in _POSITIVE)
    return pos


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
    attrs = header.attributes
    n_attr = len(attrs)
    chunk_bytes = _chunk_bytes(path, chunk_bytes)
    codes = _Codes(attrs)
    sparse = _is_sparse(path, header)
    width = max([len(a.values) for a in attrs] + [1])
    col = np.full((n_attr, width + 1), -1, dtype=np.int64)  # [:, -1] is the numeric column
    for column, (attr_i, attr_code) in enumerate(specs):
        col[attr_i, attr_code] = column
    label_idx = label_idx or []
    lab_col = np.full(n_attr, -1, dtype=np.int64)
    lab_col[label_idx] = np.arange(len(label_idx))
    pos = _label_codes(header, path, label_idx)
    ids_attr = next((i for i, a in enumerate(attrs) if a.kind == "string"), None)
    # sparse rows leave out a nominal attribute at its first value (code 0): note who is explicit
    implicit = [i for i in {i for i, code in specs if code == 0}] if sparse else []
    implicit_labels = [i for j, i in enumerate(label_idx) if pos[j] == 0 and sparse]
    explicit: dict[int, list[np.ndarray]] = {i: [] for i in implicit + implicit_labels}

    cap = 0
    if sparse:
        for buf, _ in line_chunks(path, chunk_bytes, offset=header.data_offset):
            cap += buf.count(b",") + buf.count(b"{")
    # X's arrays are sized on the first chunk's share of feature entries (labels are entries
    # too, half of them in delicious) and grown in place (realloc) if later chunks need more
    x_col = np.empty(0, dtype=np.int32)
    x_val = np.empty(0, dtype=dtype)
    dense_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    nnz_parts: list[np.ndarray] = []
    y_rows: list[np.ndarray] = []
    y_cols: list[np.ndarray] = []
    ids: dict[int, str] = {}
    at = n = 0
    col_flat = col.ravel()
    nominal_attr = codes.kind == 1
    one_hot = any(code >= 0 for _, code in specs)  # some nominal feature is selected
    numeric_labels = any(attrs[i].kind == "numeric" for i in label_idx)
    for e in _chunks(path, header, codes, sparse, chunk_bytes):
        attr, value = e.attr, e.value
        missing = np.isnan(value)
        any_missing = bool(missing.any())
        # labels: the entries of label attributes whose value is the positive one
        lc = lab_col[attr]
        li = np.flatnonzero(lc >= 0)
        if li.size:
            lv, lcol = value[li], lc[li]
            if any_missing and np.isnan(lv).any():
                k = int(li[np.flatnonzero(np.isnan(lv))[0]])
                raise DataFormatError(
                    located(
                        path,
                        int(e.line[k]),
                        f"label "
                        f"{attrs[attr[k]].name!r} is missing ('?'); every "
                        "label must be 0 or 1.",
                    )
                )
            if numeric_labels:
                bad = np.flatnonzero((codes.kind[attr[li]] == 0) & (lv != 0) & (lv != 1))
                if bad.size:
                    k = int(li[bad[0]])
                    raise DataFormatError(
                        located(
                            path,
                            int(e.line[k]),
                            f"label "
                            f"{attrs[attr[k]].name!r} has value "
                            f"{float(value[k])!r}; labels must be 0 or 1.",
                        )
                    )
            hit = lv == pos[lcol]
            if implicit_labels:
                y_rows.append(e.row[li[hit]])
            else:  # rows arrive in order with labels ascending: CSR parts, no COO round trip
                y_rows.append(np.bincount(e.row[li[hit]] - n, minlength=e.n_rows))
            y_cols.append(lcol[hit].astype(np.int32))
        elif not implicit_labels:
            y_rows.append(np.zeros(e.n_rows, dtype=np.int64))
        # features: column = col[attribute, nominal code] or col[attribute, -1] for numbers
        if one_hot:
            nominal = nominal_attr[attr]
            code = (
                np.where(nominal & ~missing, value, width)
                if any_missing
                else np.where(nominal, value, width)
            )
            c = col_flat[attr * (width + 1) + code.astype(np.int64)]
            vals = np.where(nominal, 1.0, value)
        else:
            c = col_flat[attr * (width + 1) + width]
            vals = value
        fi = np.flatnonzero(c >= 0)
        xc, xv, xr = c[fi], vals[fi], e.row[fi]
        if not allow_nan:
            if any_missing and one_hot:  # a missing nominal feature has no column to be NaN in
                gone = np.flatnonzero(missing & nominal_attr[attr] & (lc < 0))
                gone = gone[(col[attr[gone], :-1] >= 0).any(axis=1)]
                if gone.size:
                    k = int(gone[0])
                    raise DataFormatError(
                        located(
                            path,
                            int(e.line[k]),
                            f"feature "
                            f"{attrs[attr[k]].name!r} is missing ('?'); "
                            "impute it, or pass allow_nan=True.",
                        )
                    )
            finite = np.isfinite(xv)
            if not finite.all():
                k = int(fi[np.flatnonzero(~finite)[0]])
                what = "missing ('?') or NaN" if np.isnan(value[k]) else f"{float(value[k])!r}"
                raise DataFormatError(
                    located(
                        path,
                        int(e.line[k]),
                        f"feature "
                        f"{attrs[attr[k]].name!r} is {what}; impute it, or "
                        "pass allow_nan=True to keep NaN/inf.",
                    )
                )
        for i in explicit:
            explicit[i].append(e.row[attr == i])
        if sparse:
            k = xc.size
            if at + k > x_col.size:
                want = cap if n == 0 else x_col.size + (cap - x_col.size) // 2
                if n == 0 and e.value.size:
                    want = min(cap, int(cap * k / e.value.size * 1.05) + 4096)
                want = min(cap, max(want, at + k))
                x_col.resize(want, refcheck=False)
                x_val.resize(want, refcheck=False)
            x_col[at : at + k] = xc
            x_val[at : at + k] = xv
            at += k
            nnz_parts.append(np.bincount(xr - n, minlength=e.n_rows))
        else:
            dense_parts.append((xr, xc, xv))
        if ids_attr is not None:
            ids.update((r, t) for r, j, t in e.strings if j == ids_attr)
        n += e.n_rows
        # free this chunk's arrays now: held until the loop rebinds them, they would double
        # the working set while the next chunk is parsed
        e = attr = value = missing = lc = li = c = vals = fi = xc = xv = xr = None  # type: ignore[assignment]
        lv = lcol = hit = nominal = code = None  # type: ignore[assignment]
    if n == 0:
        raise DataFormatError(located(path, header.data_line, "no data rows after @data."))
    Y = None
    if label_idx and not implicit_labels:
        y_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.concatenate(y_rows), out=y_ptr[1:])
        del y_rows
        y_ind = np.concatenate(y_cols) if y_cols else np.zeros(0, dtype=np.int32)
        if y_ind.size >= 2**31 - 1:
            y_ind = y_ind.astype(np.int64)
        del y_cols
        Y = sp.csr_matrix(
            (np.ones(y_ind.size, dtype=np.int64), y_ind, y_ptr.astype(y_ind.dtype)),
            shape=(n, len(label_idx)),
        )
    elif label_idx:
        ry, cy = np.concatenate(y_rows), np.concatenate(y_cols)
        for j, i in enumerate(label_idx):
            if i in implicit_labels:  # {1,0}-declared label: absent means positive
                rest = np.setdiff1d(np.arange(n), np.concatenate(explicit[i] or [np.zeros(0, int)]))
                ry, cy = np.r_[ry, rest], np.r_[cy, np.full(rest.size, j)]
        Y = sp.csr_matrix((np.ones(ry.size, dtype=np.int64), (ry, cy)), shape=(n, len(label_idx)))
        Y.sum_duplicates()
    if sparse:
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.concatenate(nnz_parts), out=indptr[1:])
        x_col.resize(at, refcheck=False)  # give the unused tail back
        x_val.resize(at, refcheck=False)
        X = sp.csr_matrix((x_val, x_col, indptr), shape=(n, len(specs)))
        extra = []
        for i in implicit:
            rest = np.setdiff1d(np.arange(n), np.concatenate(explicit[i] or [np.zeros(0, int)]))
            extra.append((rest, np.full(rest.size, col[i, 0])))
        if extra:
            er, ec = (np.concatenate(p) for p in zip(*extra, strict=True))
            X = X + sp.csr_matrix((np.ones(er.size, dtype=dtype), (er, ec)), shape=X.shape)
        X.sort_indices()
    else:
        X = np.zeros((n, len(specs)), dtype=dtype)
        for rr, cc, vv in dense_parts:
            X[rr, cc] = vv
    id_list = None if ids_attr is None else [ids.get(r, "") for r in range(n)]
    return X, Y, id_list


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
    X, _, ids = _read(
        p, header, None, specs, allow_nan=allow_nan, dtype=dtype, chunk_bytes=chunk_bytes
    )
    return X, ids
