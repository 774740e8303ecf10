"""ARFF ``@data`` → per-chunk pieces of X, Y and ids (:class:`Part`), for whole reads and streams.

A :class:`Plan` holds the per-attribute lookups of one read (which attribute is which column or
label). :func:`parts` reads the data section in chunks of whole lines and yields one
:class:`Part` per chunk: X rows as CSR pieces (entry counts per row, columns, values) or a
dense block, Y rows as CSR pieces, and the chunk's ids. ``read_arff`` concatenates them;
``iter_batches`` cuts them into batches, so memory stays at about one chunk.

Lean path: when every attribute is numeric or a ``{0,1}`` nominal (MULAN's sparse files), the
parsed (index, value) pairs of a plain chunk map to columns by one table lookup, without the
nominal-code and per-entry-row arrays of the general path. Any oddity (a value outside 0/1 for
a nominal, an unsorted row, a non-finite value) sends the chunk to the general path, which
raises the located error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagwise.data._arffdata import Entries, _Codes, parse_chunk
from tagwise.data._arffheader import ArffHeader
from tagwise.data._fastpath import arff_sparse_pairs
from tagwise.data._stream import open_binary
from tagwise.data._swar import arff_sparse_plain
from tagwise.exceptions import DataFormatError, located

__all__ = ["Part", "Plan", "data_chunks", "parts"]


@dataclass
class Part:
    """One chunk's rows: X as CSR pieces (``x_counts`` per row, ``x_col``, ``x_val``) or a dense
    ``(n_rows, n_features)`` block, Y as CSR pieces (or None), ids (or None)."""

    n_rows: int
    x_counts: np.ndarray | None
    x_col: np.ndarray | None
    x_val: np.ndarray | None
    dense: np.ndarray | None
    y_counts: np.ndarray | None
    y_col: np.ndarray | None
    ids: list[str] | None


class Plan:
    """What a read makes of each attribute: feature column(s), label column, or nothing."""

    def __init__(
        self,
        path: Path,
        header: ArffHeader,
        label_idx: list[int],
        pos: np.ndarray,
        specs: list[tuple[int, int]],
        sparse: bool,
        *,
        allow_nan: bool,
        dtype: Any,
    ) -> None:
        attrs = header.attributes
        n_attr = len(attrs)
        self.path, self.header, self.sparse = path, header, sparse
        self.allow_nan, self.dtype = allow_nan, dtype
        kinds = {"numeric": 0, "nominal": 1, "string": 2}
        self.kind = np.array([kinds[a.kind] for a in attrs], dtype=np.int8)
        self.n_features, self.n_labels = len(specs), len(label_idx)
        self.width = max([len(a.values) for a in attrs] + [1])
        # the specs as two arrays: attribute and code (-1 numeric, else the nominal value)
        s_attr = np.fromiter((i for i, _ in specs), dtype=np.int64, count=len(specs))
        s_code = np.fromiter((c for _, c in specs), dtype=np.int64, count=len(specs))
        col = np.full((n_attr, self.width + 1), -1, dtype=np.int64)  # [:, -1]: numeric column
        col[s_attr, s_code] = np.arange(len(specs))
        self.col, self.col_flat = col, col.ravel()
        self.lab_col = np.full(n_attr, -1, dtype=np.int64)
        self.lab_col[label_idx] = np.arange(len(label_idx))
        self.label_idx, self.pos = label_idx, pos
        self.ids_attr = next((i for i, a in enumerate(attrs) if a.kind == "string"), None)
        # sparse rows leave out a nominal attribute at its first value (code 0): such features
        # and labels are set on the rows where they are absent
        self.implicit = np.unique(s_attr[s_code == 0]).tolist() if sparse else []
        self.implicit_labels = (
            [(j, i) for j, i in enumerate(label_idx) if pos[j] == 0] if sparse else []
        )
        self.one_hot = bool((s_code >= 0).any())
        # a model's feature order may differ from the file's: then rows need sorting
        self.sorted_columns = bool((np.diff(s_attr) > 0).all())
        self.numeric_labels = any(attrs[i].kind == "numeric" for i in label_idx)
        self.nominal_attr = self.kind == 1
        self.nominal_features = bool(self.nominal_attr[s_attr].any())
        self._lean_tables(attrs, s_attr, s_code)

    @cached_property
    def codes(self) -> _Codes:
        """The general parser's lookups (built on the first chunk that needs them)."""
        return _Codes(self.header.attributes)

    def _lean_tables(self, attrs: list, s_attr: np.ndarray, s_code: np.ndarray) -> None:
        """The lean path's lookups, when every attribute is numeric or nominal ``{0,1}``."""
        zero_one = np.array([a.kind == "nominal" and a.values == ["0", "1"] for a in attrs])
        self.lean = (
            self.sparse
            and not self.implicit
            and not self.implicit_labels
            and bool((zero_one | (self.kind == 0)).all())
            and bool(((s_code == -1) | (s_code == 1)).all())
            and np.unique(s_attr).size == s_attr.size  # one column per attribute
        )
        if not self.lean:
            return
        # one lookup: feature column (>= 0), label column j as -2 - j, or -1 (neither)
        self.code = np.full(len(attrs), -1, dtype=np.int32)
        self.code[s_attr] = np.arange(s_attr.size, dtype=np.int32)
        if self.label_idx:
            self.code[np.array(self.label_idx)] = -2 - np.arange(self.n_labels, dtype=np.int32)
        self.all_nominal = bool(zero_one.all())
        self.any_nominal = bool(zero_one.any())


def data_chunks(path: Path, header: ArffHeader, chunk_bytes: int) -> Iterator[bytes]:
    """The data section as chunks of whole lines (each ending in a newline)."""
    rest = b""
    try:
        with open_binary(path) as f:
            f.seek(header.data_offset)
            while True:
                block = f.read(chunk_bytes)
                if not block:
                    break
                cut = block.rfind(b"\n") + 1
                if cut == 0:
                    rest += block
                    continue
                yield rest + memoryview(block)[:cut] if rest else block[:cut]
                rest = block[cut:]
    except (OSError, EOFError) as exc:
        raise DataFormatError(f"{path}: cannot read the file ({exc}).") from None
    if rest:
        yield rest + b"\n"


def parts(plan: Plan, chunk_bytes: int) -> Iterator[Part]:
    """One :class:`Part` per chunk of the data section."""
    line = plan.header.data_line
    for buf in data_chunks(plan.path, plan.header, chunk_bytes):
        part = _lean(plan, buf) if plan.lean else None
        if part is None:
            e = parse_chunk(buf, line, plan.path, plan.codes, plan.sparse)
            part = _general(plan, e)
            line += buf.count(b"\n")
        else:
            line += part.n_rows  # a lean chunk is one row per line
        yield part


def _lean(plan: Plan, buf: bytes) -> Part | None:
    """A plain sparse chunk of numeric and {0,1} attributes; None → the general path."""
    raw = arff_sparse_plain(buf)
    finite = raw is not None  # the SWAR parser reads digits only: no inf or NaN
    if raw is None:
        raw = arff_sparse_pairs(buf, plain=False)
    if raw is None:
        return None
    per_row, attr, val = raw["per_row"], raw["attr"], raw["val"]
    n_rows = per_row.size
    ends = np.cumsum(per_row)
    begins = ends - per_row
    if attr.size:
        if int(attr.max()) >= plan.code.size:
            return None
        # indices increase along a row: a drop is only allowed where a new row starts
        drop = np.flatnonzero(attr[1:] <= attr[:-1]) + 1
        if drop.size:
            at = np.searchsorted(ends, drop)
            if (ends.take(np.minimum(at, n_rows - 1)) != drop).any():
                return None
    nominal = None
    if plan.all_nominal:
        if _not01(val):
            return None
    elif plan.any_nominal:
        nominal = plan.nominal_attr.take(attr)
        if _not01(val[nominal]):
            return None
    code = plan.code.take(attr)  # feature column, or -2 - label column, or -1
    one = val == 1 if plan.n_labels or plan.all_nominal else None
    cum = np.empty(attr.size + 1, dtype=np.int32 if attr.size < 2**31 else np.int64)
    cum[0] = 0
    y_counts = y_col = None
    if plan.n_labels:
        label = code <= -2
        if plan.numeric_labels and _not01(val[label]):
            return None  # a numeric label outside 0/1 (or NaN): the general path words it
        label &= one
        np.cumsum(label, out=cum[1:])
        y_counts = cum.take(ends) - cum.take(begins)
        y_col = code[label]
        np.negative(y_col, out=y_col)
        y_col -= 2
        del label
    keep = code >= 0
    if plan.all_nominal:
        keep &= one  # an explicit 0 of a {0,1} feature is no entry
    elif plan.nominal_features:
        keep &= ~(nominal & (val == 0))
    x_val = val[keep]
    if not (finite or plan.allow_nan or np.isfinite(x_val).all()):
        return None
    np.cumsum(keep, out=cum[1:])
    x_counts = cum.take(ends) - cum.take(begins)
    return Part(n_rows, x_counts, code[keep], x_val, None, y_counts, y_col, None)


def _not01(v: np.ndarray) -> bool:
    """Whether some value is neither 0 nor 1."""
    if v.dtype.kind == "u":
        return bool((v > 1).any())
    return bool(((v != 0) & (v != 1)).any())


def _general(plan: Plan, e: Entries) -> Part:
    """Any chunk, from the general parser's (row, attribute, value) entries."""
    path, attrs, n = plan.path, plan.header.attributes, e.n_rows
    attr, value, row = e.attr, e.value, e.row
    missing = np.isnan(value)
    any_missing = bool(missing.any())
    lc = plan.lab_col[attr]
    li = np.flatnonzero(lc >= 0)
    y_counts = y_col = None
    if plan.n_labels:
        lv, lcol = value[li], lc[li]
        if any_missing and np.isnan(lv).any():
            k = int(li[np.flatnonzero(np.isnan(lv))[0]])
            _fail(
                path,
                e,
                k,
                f"label {attrs[attr[k]].name!r} is missing ('?'); every label must be 0 or 1.",
            )
        if plan.numeric_labels:
            bad = np.flatnonzero((plan.kind[attr[li]] == 0) & (lv != 0) & (lv != 1))
            if bad.size:
                k = int(li[bad[0]])
                _fail(
                    path,
                    e,
                    k,
                    f"label {attrs[attr[k]].name!r} has value "
                    f"{float(value[k])!r}; labels must be 0 or 1.",
                )
        hit = lv == plan.pos[lcol]
        yr, yc = row[li[hit]], lcol[hit]
        for j, i in plan.implicit_labels:  # {1,0}-declared label: absent means positive
            rest = np.setdiff1d(np.arange(n), row[attr == i])
            yr, yc = np.r_[yr, rest], np.r_[yc, np.full(rest.size, j)]
        Y = sp.csr_matrix((np.ones(yr.size, dtype=np.int64), (yr, yc)), shape=(n, plan.n_labels))
        Y.sum_duplicates()
        y_counts, y_col = np.diff(Y.indptr), Y.indices.astype(np.int32)
    width = plan.width
    if plan.one_hot:
        nominal = plan.nominal_attr[attr]
        code = (
            np.where(nominal & ~missing, value, width)
            if any_missing
            else np.where(nominal, value, width)
        )
        c = plan.col_flat[attr * (width + 1) + code.astype(np.int64)]
        vals = np.where(nominal, 1.0, value)
    else:
        c = plan.col_flat[attr * (width + 1) + width]
        vals = value
    fi = np.flatnonzero(c >= 0)
    xc, xv, xr = c[fi], vals[fi], row[fi]
    if not plan.allow_nan:
        if any_missing and plan.one_hot:  # a missing nominal feature has no column to be NaN in
            gone = np.flatnonzero(missing & plan.nominal_attr[attr] & (lc < 0))
            gone = gone[(plan.col[attr[gone], :-1] >= 0).any(axis=1)]
            if gone.size:
                k = int(gone[0])
                _fail(
                    path,
                    e,
                    k,
                    f"feature {attrs[attr[k]].name!r} is missing ('?'); impute "
                    "it, or pass allow_nan=True.",
                )
        finite = np.isfinite(xv)
        if not finite.all():
            k = int(fi[np.flatnonzero(~finite)[0]])
            what = "missing ('?') or NaN" if np.isnan(value[k]) else f"{float(value[k])!r}"
            _fail(
                path,
                e,
                k,
                f"feature {attrs[attr[k]].name!r} is {what}; impute it, or "
                "pass allow_nan=True to keep NaN/inf.",
            )
    for i in plan.implicit:
        rest = np.setdiff1d(np.arange(n), row[attr == i])
        xr = np.r_[xr, rest]
        xc = np.r_[xc, np.full(rest.size, plan.col[i, 0])]
        xv = np.r_[xv, np.ones(rest.size)]
    ids = None
    if plan.ids_attr is not None:
        ids = [""] * n
        for r, j, t in e.strings:
            if j == plan.ids_attr:
                ids[r] = t
    if not plan.sparse:
        block = np.zeros((n, plan.n_features), dtype=plan.dtype)
        block[xr, xc] = xv
        return Part(n, None, None, None, block, y_counts, y_col, ids)
    X = sp.csr_matrix(
        (xv.astype(plan.dtype), (xr, xc)), shape=(n, plan.n_features), dtype=plan.dtype
    )
    X.sort_indices()
    return Part(
        n, np.diff(X.indptr), X.indices.astype(np.int32), X.data, None, y_counts, y_col, ids
    )


def _fail(path: Path, e: Entries, k: int, msg: str) -> None:
    raise DataFormatError(located(path, int(e.line[k]), msg))
