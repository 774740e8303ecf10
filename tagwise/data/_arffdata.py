"""The ``@data`` section of ARFF: dense and sparse rows, parsed per chunk of lines.

Fast path (no quote character in the chunk): one vectorised tokenisation of the whole chunk,
numbers through :mod:`._numparse`, nominal values through a byte lookup table when every value
is one character (``{0,1}`` labels). A chunk with quotes goes through a per-line Python
tokenizer that honours ARFF quoting and escapes; both produce the same :class:`Entries`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tagwise.data._arffheader import Attribute, read_token, split_values
from tagwise.data._fastpath import arff_dense_values, arff_sparse_pairs
from tagwise.data._numparse import parse_float, parse_uint, separator_mask, token_bounds, token_text
from tagwise.exceptions import DataFormatError, located

__all__ = ["Entries", "parse_chunk"]

_WS = b" \t\r\n\x0b\x0c"


@dataclass
class Entries:
    """Parsed values as (row, attribute, value) triplets; ``value`` is the number, the nominal
    code, or NaN for ``?``; string attributes go to ``strings`` as (row, attribute, text)."""

    n_rows: int
    row: np.ndarray
    attr: np.ndarray
    value: np.ndarray
    line: np.ndarray
    strings: list[tuple[int, int, str]]


class _Codes:
    """Per-attribute lookups: nominal value → code, numeric flag."""

    def __init__(self, attributes: list[Attribute]) -> None:
        self.attributes = attributes
        kinds = {"numeric": 0, "nominal": 1, "string": 2}
        self.kind = np.array([kinds[a.kind] for a in attributes], dtype=np.int8)
        nominal = np.flatnonzero(self.kind == 1).tolist()
        self.maps: dict[int, dict[str, int]] = {}
        self.bytemaps: dict[int, dict[bytes, int]] = {}
        # nominal values that are small integers ("0", "1"): integer → code, for the fast path
        self.intcode = np.full((len(attributes), 16), -1, dtype=np.int64)
        # one-byte nominal values ({0,1}) are looked up in a 256-entry table row per attribute
        self.single = np.zeros(len(attributes), dtype=bool)
        self.single_row = np.zeros(len(attributes), dtype=np.int64)
        rows: list[np.ndarray] = []
        # MULAN files declare thousands of attributes alike ({0,1}): each lookup is built once
        # per distinct value list and shared
        shared: dict[tuple[str, ...], tuple[dict[str, int], dict[bytes, int], np.ndarray, int]]
        shared = {}
        for i in nominal:
            values = attributes[i].values
            key = tuple(values)
            if key not in shared:
                intcode = np.full(16, -1, dtype=np.int64)
                for k, v in enumerate(values):
                    if v.isdigit() and str(int(v)) == v and int(v) < 16:
                        intcode[int(v)] = k
                row_k = -1
                if all(len(v.encode()) == 1 for v in values):
                    row = np.full(256, -1, dtype=np.int64)
                    for k, v in enumerate(values):
                        row[v.encode()[0]] = k
                    row_k = len(rows)
                    rows.append(row)
                maps = {v: k for k, v in enumerate(values)}
                shared[key] = (maps, {v.encode(): k for k, v in enumerate(values)}, intcode, row_k)
            self.maps[i], self.bytemaps[i], intcode, row_k = shared[key]
            self.intcode[i] = intcode
            if row_k >= 0:
                self.single[i] = True
                self.single_row[i] = row_k
        self.table = np.vstack(rows) if rows else np.full((1, 256), -1, dtype=np.int64)


def _fail(path: object, line: int, msg: str) -> None:
    raise DataFormatError(located(path, line, msg))


def parse_chunk(buf: bytes, line0: int, path: object, codes: _Codes, sparse: bool) -> Entries:
    """Parse one chunk of whole data lines (``line0`` is the number of its first line)."""
    if b"'" in buf or b'"' in buf:
        return _parse_slow(buf, line0, path, codes, sparse)
    fast = _sparse_pandas(buf, line0, codes) if sparse else _dense_pandas(buf, line0, codes)
    if fast is not None:
        return fast
    a = np.frombuffer(buf, dtype=np.uint8)
    nl = np.flatnonzero(a == 10)  # every chunk ends with a newline: line l ends at nl[l]
    line_start = np.r_[0, nl[:-1] + 1]
    sep = separator_mask(a, _WS + (b",{}" if sparse else b","))
    # the first non-blank byte of each line says whether it is blank, a '%' comment, or a row
    nonblank = np.flatnonzero(~separator_mask(a, _WS))
    nb_line = np.searchsorted(nl, nonblank)
    first = np.flatnonzero(np.r_[True, nb_line[1:] != nb_line[:-1]]) if nonblank.size else nonblank
    content = np.zeros(nl.size, dtype=bool)
    content[nb_line[first]] = True
    comment = np.zeros(nl.size, dtype=bool)
    comment[nb_line[first]] = a[nonblank[first]] == 37
    if comment.any():
        marks = np.zeros(a.size + 1, dtype=np.int32)
        np.add.at(marks, line_start[comment], 1)
        np.add.at(marks, nl[comment], -1)
        sep |= np.cumsum(marks[:-1]) > 0
    is_row = content & ~comment
    row_of_line = np.cumsum(is_row) - 1
    n_rows = int(is_row.sum())
    starts, ends = token_bounds(sep)
    tok_line = np.searchsorted(nl, starts)
    lines = line0 + tok_line
    if sparse:
        _check_braces(a, nl, nonblank, nb_line, first, is_row, line0, path)
        _check_commas(a, nl, starts, tok_line, is_row, line0, path, group=2)
        return _sparse_fast(a, starts, ends, tok_line, lines, row_of_line, n_rows, path, codes)
    _check_commas(a, nl, starts, tok_line, is_row, line0, path, group=1)
    return _dense_fast(a, starts, ends, tok_line, lines, row_of_line, n_rows, path, codes)


def _sparse_pandas(buf: bytes, line0: int, codes: _Codes) -> Entries | None:
    """Plain sparse rows through pandas' C parser (see ``_fastpath``); None → general parser."""
    fast = arff_sparse_pairs(buf)
    if fast is None:
        return None
    per_row, attr, value = fast["per_row"], fast["attr"], fast["val"]
    n_rows = per_row.size
    row = np.repeat(np.arange(n_rows), per_row)
    if attr.size and (
        attr.max() >= len(codes.attributes)
        or ((row[1:] == row[:-1]) & (attr[1:] <= attr[:-1])).any()
    ):
        return None
    kind = codes.kind[attr]
    if (kind == 2).any():
        return None
    is_nominal = kind == 1
    every = bool(is_nominal.all())  # all-nominal data (bibtex): whole arrays, no gathers
    nominal = slice(None) if every else np.flatnonzero(is_nominal)
    if every or nominal.size:  # type: ignore[union-attr]  # integers ({0,1}) name the code
        as_int = value[nominal].astype(np.int64)
        if (as_int != value[nominal]).any() or (as_int < 0).any() or (as_int >= 16).any():
            return None
        code = codes.intcode[attr[nominal], as_int]
        if (code < 0).any():
            return None
        if every:
            value = code.astype(np.float64)
        else:
            value = value.copy()  # pandas hands out read-only arrays
            value[nominal] = code
    return Entries(n_rows, row, attr, value, row + line0, [])


def _dense_pandas(buf: bytes, line0: int, codes: _Codes) -> Entries | None:
    """Plain dense rows through pandas' C parser; None → general parser."""
    n_attr = len(codes.attributes)
    if (codes.kind == 2).any():
        return None
    values = arff_dense_values(buf, n_attr)
    if values is None:
        return None
    n_rows = values.shape[0]
    nominal = np.flatnonzero(codes.kind == 1)
    if nominal.size:  # nominal values written as small integers: the number names the code
        block = values[:, nominal]
        as_int = block.astype(np.int64)
        if (as_int != block).any() or (as_int < 0).any() or (as_int >= 16).any():
            return None
        mapped = codes.intcode[nominal[None, :], as_int]
        if (mapped < 0).any():
            return None
        values[:, nominal] = mapped
    row = np.repeat(np.arange(n_rows), n_attr)
    attr = np.tile(np.arange(n_attr), n_rows)
    return Entries(n_rows, row, attr, values.ravel(), line0 + row, [])


def _check_braces(a, nl, nonblank, nb_line, first, is_row, line0, path) -> None:  # type: ignore[no-untyped-def]
    """Every sparse row is exactly ``{ ... }``: starts with '{', ends with '}', one of each."""
    last = np.r_[first[1:] - 1, nonblank.size - 1] if first.size else first
    head = np.zeros(nl.size, dtype=np.uint8)
    tail = np.zeros(nl.size, dtype=np.uint8)
    head[nb_line[first]] = a[nonblank[first]]
    tail[nb_line[last]] = a[nonblank[last]]
    counts = []
    for ch in (123, 125):
        pos = np.flatnonzero(a == ch)
        counts.append(np.bincount(np.searchsorted(nl, pos), minlength=nl.size)[: nl.size])
    bad = is_row & ((head != 123) | (tail != 125) | (counts[0] != 1) | (counts[1] != 1))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        _fail(path, line0 + k, "a sparse row must be one '{index value, index value, ...}'.")


def _check_commas(a, nl, starts, tok_line, is_row, line0, path, group: int) -> None:  # type: ignore[no-untyped-def]
    """Exactly one comma between consecutive entries of a row, none elsewhere.

    An entry is ``group`` tokens: 2 in a sparse row ('index value'), 1 in a dense one. The
    tokenizer treats commas as separators, so without this ``{0 1,,2 1}`` or ``1,,2,0`` (an
    empty entry) and ``{0 1 2 1}`` or ``1 2,0`` (a missing comma) would parse silently, the
    values shifted into other columns.
    """
    # the tokens of line l are [line_first[l], line_first[l + 1])
    line_first = np.searchsorted(tok_line, np.arange(nl.size + 1))
    n_tok = np.diff(line_first)
    commas = np.flatnonzero(a == 44)
    c_line = np.searchsorted(nl, commas)
    commas, c_line = commas[is_row[c_line]], c_line[is_row[c_line]]
    k = np.searchsorted(starts, commas)  # index of the first token after each comma
    before, after = k - line_first[c_line], line_first[c_line + 1] - k
    bad = (before % group != 0) | (before < group) | (after < group)
    bad |= np.r_[False, k[1:] == k[:-1]]
    bad &= n_tok[c_line] % group == 0  # an odd sparse row gets its own message ('index value')
    what = "'index value' pairs" if group == 2 else "values"
    if bad.any():
        _fail(
            path,
            line0 + int(c_line[np.flatnonzero(bad)[0]]),
            f"a misplaced comma: {what} are separated by single commas (an empty entry between "
            "commas, or a comma inside an entry?).",
        )
    n_commas = np.bincount(c_line, minlength=nl.size)[: nl.size]
    missing = is_row & (n_tok > 0) & (n_tok % group == 0) & (n_commas != n_tok // group - 1)
    if missing.any():
        _fail(
            path,
            line0 + int(np.flatnonzero(missing)[0]),
            f"{what} must be separated by commas"
            + (": '{index value, index value, ...}'." if group == 2 else "."),
        )


def _dense_fast(a, starts, ends, tok_line, lines, row_of_line, n_rows, path, codes) -> Entries:  # type: ignore[no-untyped-def]
    n_attr = len(codes.attributes)
    tok_row = row_of_line[tok_line]
    per_row = np.bincount(tok_row, minlength=n_rows)
    bad = np.flatnonzero(per_row != n_attr)
    if bad.size:
        k = int(bad[0])
        line = int(lines[np.searchsorted(tok_row, k)]) if per_row[k] else -1
        _fail(
            path, line, f"expected {n_attr} values (one per @attribute), found {int(per_row[k])}."
        )
    attr = np.tile(np.arange(n_attr), n_rows)
    return _values(a, starts, ends, tok_row, attr, lines, n_rows, path, codes)


def _sparse_fast(a, starts, ends, tok_line, lines, row_of_line, n_rows, path, codes) -> Entries:  # type: ignore[no-untyped-def]
    tok_row = row_of_line[tok_line]
    per_row = np.bincount(tok_row, minlength=n_rows)
    odd = np.flatnonzero(per_row % 2)
    if odd.size:
        k = int(odd[0])
        _fail(
            path,
            int(lines[np.searchsorted(tok_row, k)]),
            "a sparse entry must be 'index value'; one has no value (or a stray token).",
        )
    i_tok, v_tok = np.arange(0, starts.size, 2), np.arange(1, starts.size, 2)
    attr, ok = parse_uint(a, starts[i_tok], ends[i_tok])
    if not ok.all():
        k = int(i_tok[np.flatnonzero(~ok)[0]])
        _fail(
            path,
            int(lines[k]),
            f"expected an attribute index, found {token_text(a, int(starts[k]), int(ends[k]))!r}.",
        )
    n_attr = len(codes.attributes)
    out = np.flatnonzero(attr >= n_attr)
    if out.size:
        k = int(out[0])
        _fail(
            path,
            int(lines[i_tok[k]]),
            f"attribute index {int(attr[k])} is out of range "
            f"(there are {n_attr} attributes, indexed from 0).",
        )
    row = tok_row[i_tok]
    dup = np.flatnonzero((row[1:] == row[:-1]) & (attr[1:] <= attr[:-1]))
    if dup.size:
        k = int(dup[0]) + 1
        _fail(
            path,
            int(lines[i_tok[k]]),
            f"sparse indices must increase along a row; "
            f"{int(attr[k])} follows {int(attr[k - 1])} (unsorted or duplicated).",
        )
    return _values(a, starts[v_tok], ends[v_tok], row, attr, lines[v_tok], n_rows, path, codes)


def _values(a, starts, ends, row, attr, lines, n_rows, path, codes) -> Entries:  # type: ignore[no-untyped-def]
    value = np.full(starts.size, np.nan)
    kind = codes.kind[attr]
    missing = ((ends - starts) == 1) & (a[starts] == 63)  # '?'
    num = np.flatnonzero((kind == 0) & ~missing)
    v, ok = parse_float(a, starts[num], ends[num])
    if not ok.all():
        k = int(num[np.flatnonzero(~ok)[0]])
        _fail(
            path,
            int(lines[k]),
            f"attribute {codes.attributes[attr[k]].name!r} is numeric; "
            f"found {token_text(a, int(starts[k]), int(ends[k]))!r}.",
        )
    value[num] = v
    nom = np.flatnonzero((kind == 1) & ~missing)
    single = codes.single[attr[nom]] & ((ends[nom] - starts[nom]) == 1)
    fast = nom[single]
    value[fast] = codes.table[codes.single_row[attr[fast]], a[starts[fast]]]
    for k in nom[~single].tolist():
        value[k] = codes.bytemaps[attr[k]].get(a[starts[k] : ends[k]].tobytes(), -1)
    badnom = nom[value[nom] < 0]
    if badnom.size:
        k = int(badnom[0])
        at = codes.attributes[attr[k]]
        _fail(
            path,
            int(lines[k]),
            f"{token_text(a, int(starts[k]), int(ends[k]))!r} is not one "
            f"of the values {at.values[:10]} of attribute {at.name!r}.",
        )
    strings = []
    for k in np.flatnonzero((kind == 2) & ~missing).tolist():
        text = a[starts[k] : ends[k]].tobytes().decode("utf-8", "replace")
        strings.append((int(row[k]), int(attr[k]), text))
    keep = kind != 2
    return Entries(n_rows, row[keep], attr[keep], value[keep], lines[keep], strings)


# ---------------------------------------------------------------------- quoted data (slow path)
def _parse_slow(buf: bytes, line0: int, path: object, codes: _Codes, sparse: bool) -> Entries:
    rows, attrs, values, lines = [], [], [], []
    strings: list[tuple[int, int, str]] = []
    n_attr = len(codes.attributes)
    r = -1
    for offset, raw in enumerate(buf.split(b"\n")[:-1]):
        line = line0 + offset
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            _fail(path, line, "not UTF-8 text.")
        if not text or text.startswith("%"):
            continue
        r += 1
        if sparse:
            if not (text.startswith("{") and text.endswith("}")):
                _fail(path, line, "a sparse row must be one '{index value, ...}'.")
            pairs: list[tuple[int, str]] = []
            for item in _split_top(text[1:-1], path, line):
                idx, rest = [*item.split(None, 1), ""][:2]
                if not idx.isdigit() or int(idx) >= n_attr:
                    _fail(path, line, f"bad attribute index {idx!r} (there are {n_attr}).")
                if pairs and int(idx) <= pairs[-1][0]:
                    _fail(
                        path,
                        line,
                        f"sparse indices must increase along a row; {idx} follows "
                        f"{pairs[-1][0]} (unsorted or duplicated).",
                    )
                pairs.append((int(idx), rest))
        else:
            items = split_values(text, path, line)
            if len(items) != n_attr:
                _fail(
                    path,
                    line,
                    f"expected {n_attr} values (one per @attribute), found {len(items)}.",
                )
            pairs = list(enumerate(items))
        for j, item in pairs:
            quoted = item.lstrip()[:1] in ("'", '"')
            val = read_token(item, path, line)[0] if quoted else item.strip()
            if not quoted and val == "?":
                x = np.nan
            elif codes.kind[j] == 2:
                strings.append((r, j, val))
                continue
            elif codes.kind[j] == 1:
                x = codes.maps[j].get(val, -1)
                if x < 0:
                    _fail(
                        path,
                        line,
                        f"{val!r} is not one of the values "
                        f"{codes.attributes[j].values[:10]} of attribute "
                        f"{codes.attributes[j].name!r}.",
                    )
            else:
                x = _float(val, path, line, codes.attributes[j].name)
            rows.append(r)
            attrs.append(j)
            values.append(x)
            lines.append(line)
    return Entries(
        r + 1,
        np.asarray(rows, dtype=np.int64),
        np.asarray(attrs, dtype=np.int64),
        np.asarray(values, dtype=np.float64),
        np.asarray(lines, dtype=np.int64),
        strings,
    )


def _split_top(text: str, path: object, line: int) -> list[str]:
    """Split a sparse row body on commas outside quotes."""
    out, cur, quote, i = [], [], "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            cur.append(ch)
            if ch == "\\" and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == ",":
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if quote:
        _fail(path, line, "unterminated quote.")
    last = "".join(cur).strip()
    if last or out:
        out.append(last)
    if any(not item for item in out):
        _fail(path, line, "an empty entry between commas.")
    return out


def _float(text: str, path: object, line: int, name: str) -> float:
    import re

    if not re.fullmatch(
        r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)", text, re.IGNORECASE
    ):
        _fail(path, line, f"attribute {name!r} is numeric; found {text[:40]!r}.")
    return float(text)
