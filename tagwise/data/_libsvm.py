"""LIBSVM / Extreme Classification Repository multi-label files: read (vectorised) and write.

A row is ``l1,l2,... idx:val idx:val ...`` (labels may be absent: the row then starts with a
feature or is blank of labels); ``#`` starts a comment; the XMC repository adds a first line
``n_samples n_features n_labels``. Indices are 0- or 1-based: "auto" follows scikit-learn's
``load_svmlight_file`` (an index 0 anywhere means 0-based, else 1-based).

The file is read in chunks of whole lines; each chunk is parsed with :mod:`._numparse` and
written straight into arrays sized by a first counting pass (one ``bytes.count`` per chunk), so
peak memory is the final CSR matrix plus one chunk's working set, not a list of Python objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.data._dataset import Dataset
from tagwise.data._fastpath import libsvm_pairs
from tagwise.data._numparse import parse_float, parse_uint, separator_mask, token_bounds, token_text
from tagwise.data._stream import CHUNK_BYTES, line_chunks
from tagwise.exceptions import DataFormatError, located

__all__ = ["iter_libsvm_chunks", "read_libsvm", "read_libsvm_features", "write_libsvm"]

_WS = b" \t\r\n\x0b\x0c"


@dataclass
class _Chunk:
    """One parsed chunk: rows, features (raw indices) and labels, with line numbers."""

    n_rows: int
    row_nnz: np.ndarray  # features per row
    idx: np.ndarray  # raw feature indices (int64)
    val: np.ndarray  # float64
    idx_line: np.ndarray  # line number of each feature (for errors found later)
    lab_row: np.ndarray
    lab_id: np.ndarray
    lab_line: np.ndarray


def _parse_chunk_numpy(buf: bytes, line0: int, path: Path) -> _Chunk:
    a = np.frombuffer(buf, dtype=np.uint8)
    sep = separator_mask(a, _WS)
    nl = np.flatnonzero(a == 10)
    if 35 in buf:  # '#' comments run to the end of the line
        marks = np.zeros(a.size + 1, dtype=np.int32)
        hashes = np.flatnonzero(a == 35)
        line_of_hash = np.searchsorted(nl, hashes)
        first = np.r_[True, line_of_hash[1:] != line_of_hash[:-1]]
        np.add.at(marks, hashes[first], 1)
        np.add.at(marks, nl[line_of_hash[first]], -1)
        sep |= np.cumsum(marks[:-1]) > 0
    starts, ends = token_bounds(sep)
    tok_line = np.searchsorted(nl, starts)
    lines = line0 + tok_line

    def fail(tok: int, what: str) -> None:
        text = token_text(a, int(starts[tok]), int(ends[tok]))
        raise DataFormatError(located(path, int(lines[tok]), f"{what} {text!r}."))

    colons = np.flatnonzero((a == 58) & ~sep)
    colon_tok = np.searchsorted(starts, colons, side="right") - 1
    n_colon = np.bincount(colon_tok, minlength=starts.size)
    first_in_line = np.r_[True, tok_line[1:] != tok_line[:-1]] if starts.size else np.zeros(0, bool)
    is_label = first_in_line & (n_colon == 0)
    is_feat = n_colon == 1
    bad = np.flatnonzero(~(is_label | is_feat))
    if bad.size:
        k = int(bad[0])
        fail(k, "expected index:value, found" if n_colon[k] == 0 else "more than one ':' in")
    has_tok = np.zeros(nl.size + 1, dtype=bool)
    has_tok[tok_line] = True
    row_of_line = np.cumsum(has_tok) - 1
    n_rows = int(has_tok.sum())

    lab = np.flatnonzero(is_label)
    commas = np.flatnonzero((a == 44) & ~sep)
    comma_tok = np.searchsorted(starts, commas, side="right") - 1
    stray = np.flatnonzero(~is_label[comma_tok]) if commas.size else commas
    if stray.size:
        fail(int(comma_tok[stray[0]]), "',' outside the label list in")
    feat = np.flatnonzero(is_feat)
    colon_at = np.empty(starts.size, dtype=np.int64)
    colon_at[colon_tok] = colons
    fs, fc, fe = starts[feat], colon_at[feat], ends[feat]
    idx, ok = parse_uint(a, fs, fc)
    if not ok.all():
        k = int(feat[np.flatnonzero(~ok)[0]])
        fail(k, "the feature index must be a non-negative integer below 10**18; found")
    val, ok = parse_float(a, fc + 1, fe)
    if not ok.all():
        k = int(feat[np.flatnonzero(~ok)[0]])
        fail(k, "the feature value is not a number in")
    frow = row_of_line[tok_line[feat]]
    same = frow[1:] == frow[:-1]
    unsorted = np.flatnonzero(same & (idx[1:] <= idx[:-1]))
    if unsorted.size:
        k = int(feat[unsorted[0] + 1])
        fail(k, "feature indices of a row must be increasing (sorted, no duplicates); found")
    row_nnz = np.bincount(frow, minlength=n_rows)

    sub_s = np.sort(np.concatenate([starts[lab], commas + 1]))
    sub_e = np.sort(np.concatenate([commas, ends[lab]]))
    lab_tok = np.searchsorted(starts, sub_s, side="right") - 1
    lab_id, ok = parse_uint(a, sub_s, sub_e)
    if not ok.all():
        k = int(lab_tok[np.flatnonzero(~ok)[0]])
        fail(k, "labels must be comma-separated non-negative integers; found")
    return _Chunk(
        n_rows=n_rows,
        row_nnz=row_nnz,
        idx=idx,
        val=val,
        idx_line=lines[feat],
        lab_row=row_of_line[tok_line[lab_tok]],
        lab_id=lab_id,
        lab_line=lines[lab_tok],
    )


def _parse_chunk(buf: bytes, line0: int, path: Path) -> _Chunk:
    """Parse a chunk through pandas' C tokenizer when it is plain, else through numpy."""
    fast = libsvm_pairs(buf)
    if fast is None:
        return _parse_chunk_numpy(buf, line0, path)
    a, idx, n_colon = fast["a"], fast["idx"], fast["n_colon"]
    row_of_line = np.cumsum(fast["has_row"]) - 1
    frow = np.repeat(row_of_line, n_colon)
    if ((frow[1:] == frow[:-1]) & (idx[1:] <= idx[:-1])).any():
        return _parse_chunk_numpy(buf, line0, path)  # it words the error
    lab_s, lab_e = fast["lab_s"], fast["lab_e"]
    commas = np.flatnonzero(a == 44)
    sub_s = np.sort(np.concatenate([lab_s, commas + 1]))
    sub_e = np.sort(np.concatenate([commas, lab_e]))
    lab_id, ok = parse_uint(a, sub_s, sub_e)
    if not ok.all() or sub_s.size != sub_e.size:
        return _parse_chunk_numpy(buf, line0, path)
    owner = np.searchsorted(lab_s, sub_s, side="right") - 1
    lab_line = fast["lab_line"][owner]
    return _Chunk(
        n_rows=int(fast["has_row"].sum()),
        row_nnz=np.bincount(frow, minlength=int(fast["has_row"].sum())),
        idx=idx,
        val=fast["val"],
        idx_line=line0 + np.repeat(np.arange(n_colon.size), n_colon),
        lab_row=row_of_line[lab_line],
        lab_id=lab_id,
        lab_line=line0 + lab_line,
    )


def _header(first: bytes) -> tuple[int, int, int] | None:
    """The XMC header ``n_samples n_features n_labels`` if the first line is one."""
    parts = first.split(b"#", 1)[0].split()
    # sizes past 12 digits are no header (and would overflow scipy's index types)
    if len(parts) == 3 and all(p.isdigit() and len(p) <= 12 for p in parts):
        n, f, k = (int(p) for p in parts)
        return n, f, k
    return None


def iter_libsvm_chunks(
    path: str | Path, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[_Chunk, tuple[int, int, int] | None]]:
    """Parsed chunks of a LIBSVM/XMC file, each with the file's header (or None)."""
    p = Path(path)
    header = None
    first = True
    for buf, line0 in line_chunks(p, chunk_bytes):
        if first:
            first = False
            if buf.startswith(b"\xef\xbb\xbf"):
                buf = b"   " + buf[3:]  # keep offsets: a BOM becomes whitespace
            end = buf.find(b"\n")
            header = _header(buf[:end])
            if header is not None:
                buf = b"\n" + buf[end + 1 :]  # a blank line keeps the line numbers
        yield _parse_chunk(buf, line0, p), header


def _load(
    path: str | Path,
    *,
    n_features: int | None,
    zero_based: bool | str,
    dtype: Any,
    allow_nan: bool,
    chunk_bytes: int,
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, tuple[int, int, int] | None]:
    """X (CSR) and the label triplets (row, id, line) of a whole file, plus its header."""
    p = Path(path)
    cap = sum(buf.count(b":") for buf, _ in line_chunks(p, chunk_bytes))
    indices = np.empty(cap, dtype=np.int32)
    data = np.empty(cap, dtype=dtype)
    nnz_parts: list[np.ndarray] = []
    labels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    pos = rows = 0
    lo = (np.iinfo(np.int64).max, 0)  # (smallest index, its line)
    hi = (-1, 0)
    header = None
    for chunk, file_header in iter_libsvm_chunks(p, chunk_bytes):
        header = file_header
        n = chunk.idx.size
        if n:
            if not allow_nan and not np.isfinite(chunk.val).all():
                k = int(np.flatnonzero(~np.isfinite(chunk.val))[0])
                raise DataFormatError(
                    located(
                        p,
                        int(chunk.idx_line[k]),
                        f"feature value {float(chunk.val[k])!r} is not "
                        "finite; fix it, or pass allow_nan=True to keep NaN/inf.",
                    )
                )
            k_lo, k_hi = int(np.argmin(chunk.idx)), int(np.argmax(chunk.idx))
            if chunk.idx[k_lo] < lo[0]:
                lo = (int(chunk.idx[k_lo]), int(chunk.idx_line[k_lo]))
            if chunk.idx[k_hi] > hi[0]:
                hi = (int(chunk.idx[k_hi]), int(chunk.idx_line[k_hi]))
            if hi[0] >= np.iinfo(np.int32).max:
                raise DataFormatError(
                    located(p, hi[1], f"feature index {hi[0]} is too large (the limit is 2**31-2).")
                )
            indices[pos : pos + n] = chunk.idx
            with np.errstate(over="ignore"):
                data[pos : pos + n] = chunk.val
            if not allow_nan and not np.isfinite(data[pos : pos + n]).all():
                k = int(np.flatnonzero(~np.isfinite(data[pos : pos + n]))[0])
                raise DataFormatError(
                    located(
                        p,
                        int(chunk.idx_line[k]),
                        f"feature value {float(chunk.val[k])!r} overflows {np.dtype(dtype).name}.",
                    )
                )
        pos += n
        nnz_parts.append(chunk.row_nnz)
        labels.append((chunk.lab_row + rows, chunk.lab_id, chunk.lab_line))
        rows += chunk.n_rows
    if rows == 0:
        raise DataFormatError(located(p, 1, "no data rows; the file is empty."))
    if header is not None and header[0] != rows:
        raise DataFormatError(f"{p}:1: the header says {header[0]} rows but the file has {rows}.")
    if zero_based == "auto":
        zero_based = lo[0] == 0 or pos == 0
    elif not zero_based and lo[0] == 0:
        raise DataFormatError(
            located(
                p,
                lo[1],
                "feature index 0 in a file read as 1-based; pass zero_based=True (or 'auto').",
            )
        )
    if not zero_based:
        indices[:pos] -= 1
    top = hi[0] - (0 if zero_based else 1)
    if n_features is None:
        n_features = header[1] if header is not None else top + 1
    if top >= n_features:
        raise DataFormatError(
            located(
                p,
                hi[1],
                f"feature index {hi[0]} is out of range for {n_features} features "
                f"({'0' if zero_based else '1'}-based).",
            )
        )
    indptr = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.concatenate(nnz_parts), out=indptr[1:])
    del nnz_parts
    X = sp.csr_matrix((data[:pos], indices[:pos], indptr), shape=(rows, max(n_features, 0)))
    lab_row, lab_id, lab_line = (np.concatenate(part) for part in zip(*labels, strict=True))
    return X, lab_row, lab_id, lab_line, header


def read_libsvm(
    path: str | Path,
    *,
    n_features: int | None = None,
    n_labels: int | None = None,
    zero_based: bool | str = "auto",
    dtype: Any = np.float32,
    allow_nan: bool = False,
    sparse_labels: bool | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Dataset:
    """Read a LIBSVM / XMC multi-label file into a :class:`Dataset`.

    Parameters
    ----------
    path : the file (``.gz`` allowed)
    n_features, n_labels : the sizes (default: the XMC header, else the largest index + 1)
    zero_based : True, False or "auto" (0-based iff some feature index is 0, as in sklearn)
    dtype : dtype of X (float32 by default; float64 is exact to the digits in the file)
    allow_nan : keep NaN/inf feature values instead of raising
    sparse_labels : CSR Y (default when there are more than 100 labels)

    Returns
    -------
    Dataset with X CSR of shape (n_samples, n_features) and Y int64 of shape
    (n_samples, n_labels); label names are the label ids as strings ``"0"``, ``"1"``, ….
    """
    p = Path(path)
    X, lab_row, lab_id, lab_line, header = _load(
        p,
        n_features=n_features,
        zero_based=zero_based,
        dtype=dtype,
        allow_nan=allow_nan,
        chunk_bytes=chunk_bytes,
    )
    if n_labels is None:
        n_labels = header[2] if header is not None else int(lab_id.max()) + 1 if lab_id.size else 0
    if n_labels == 0:
        raise DataFormatError(
            f"{p}: no row has a label; to read unlabeled rows for prediction use read_features."
        )
    if lab_id.size and lab_id.max() >= n_labels:
        k = int(np.argmax(lab_id))
        raise DataFormatError(
            located(
                p,
                int(lab_line[k]),
                f"label {int(lab_id[k])} is out of range for {n_labels} labels.",
            )
        )
    Y = sp.csr_matrix(
        (np.ones(lab_id.size, dtype=np.int64), (lab_row, lab_id)), shape=(X.shape[0], n_labels)
    )
    Y.sum_duplicates()
    Y.data[:] = 1  # a label repeated in one row is still one label
    if sparse_labels is False or (sparse_labels is None and n_labels <= 100):
        Y = Y.toarray()
    return Dataset(
        X=X,
        Y=Y,
        label_names=[str(i) for i in range(n_labels)],
        feature_names=[],
        name=p.name,
    )


def read_libsvm_features(
    path: str | Path,
    feature_names: Sequence[str] | None = None,
    *,
    n_features: int | None = None,
    zero_based: bool | str = "auto",
    dtype: Any = np.float32,
    allow_nan: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
) -> tuple[sp.csr_matrix, None]:
    """Feature rows of a LIBSVM file (labels optional and ignored): ``(X, None)``.

    X gets ``len(feature_names)`` (or ``n_features``) columns; an index beyond that is an
    error. Give ``zero_based`` explicitly when the file may lack the index that tells.
    """
    if feature_names is not None:
        n_features = len(feature_names)
    X, *_ = _load(
        path,
        n_features=n_features,
        zero_based=zero_based,
        dtype=dtype,
        allow_nan=allow_nan,
        chunk_bytes=chunk_bytes,
    )
    return X, None


def write_libsvm(
    path: str | Path,
    X: Any,
    Y: Any,
    *,
    zero_based: bool = True,
    header: bool = True,
) -> None:
    """Write X (n_samples, n_features) and the 0/1 indicator Y (n_samples, n_labels) as XMC.

    Floats are written with enough digits to read back exactly (9 for float32, 17 otherwise).
    """
    from tagwise._validation import check_features, check_same_length, check_targets

    dtype = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
    X = sp.csr_matrix(check_features(X, dtype=dtype))
    Y = sp.csr_matrix(check_targets(Y))
    check_same_length(X, Y)
    X.sort_indices()
    Y.sort_indices()
    fmt = "%.9g" if X.dtype == np.float32 else "%.17g"
    off = 0 if zero_based else 1
    with open(path, "w", encoding="ascii", newline="\n") as f:
        if header:
            f.write(f"{X.shape[0]} {X.shape[1]} {Y.shape[1]}\n")
        for i in range(X.shape[0]):
            labs = ",".join(map(str, Y.indices[Y.indptr[i] : Y.indptr[i + 1]].tolist()))
            lo, hi = X.indptr[i], X.indptr[i + 1]
            feats = " ".join(
                f"{j + off}:{fmt % v}"
                for j, v in zip(X.indices[lo:hi].tolist(), X.data[lo:hi].tolist(), strict=True)
            )
            f.write(f"{labs} {feats}".rstrip() + "\n" if labs else f" {feats}\n")
