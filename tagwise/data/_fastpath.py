"""The fastest path for well-formed sparse rows: pandas' C tokenizer over a translated buffer.

Sparse ARFF rows ``{i v,i v}`` and LIBSVM features ``i:v i:v`` are both streams of
``index value`` pairs. One ``bytes.translate`` turns a chunk into one pair per line, which
pandas' C parser reads as an int64 and a float64 column at a few tens of ns per pair —
about 5× faster than the vectorised numpy parser (measured in ``benchmarks/parsing.py``). Its
float parser (``precise_xstrtod``) agreed bit for bit with Python's ``float`` on 4 million
test values (17-digit reprs, exponents ±300); the differential tests compare with
``load_svmlight_file`` and liac-arff.

Row structure is counted separately (separators per line, found with ``searchsorted``). These
functions return None whenever anything is unusual — comments, quotes, indentation, nominal
strings, ``?``, NaN, a parse error, a count that does not add up — and the caller then runs the
numpy parser on the chunk, which accepts every valid input and words every error with its line.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["arff_dense_values", "arff_sparse_ints", "arff_sparse_pairs", "libsvm_pairs"]

_ARFF_TABLE = bytes.maketrans(b",{}\r", b"\n\n\n\n")
_SVM_TABLE = bytes.maketrans(b" \t\r:", b"\n\n\n ")


def _pairs(text: bytes, expected: int) -> tuple[np.ndarray, np.ndarray] | None:
    if expected == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            df = pd.read_csv(
                io.BytesIO(text),
                sep=" ",
                header=None,
                names=["i", "v"],
                dtype={"i": np.int64, "v": np.float64},
                engine="c",
                na_filter=False,
                skip_blank_lines=True,
            )
    except Exception:  # any oddity: let the numpy parser find and word it
        return None
    if len(df) != expected:
        return None
    idx, val = df["i"].to_numpy(), df["v"].to_numpy()
    if idx.size and (idx.min() < 0 or np.isnan(val).any()):
        return None
    return idx, val


def _per_line(positions: np.ndarray, nl: np.ndarray) -> np.ndarray:
    """How many of ``positions`` fall on each line (lines end at ``nl``)."""
    cum = np.searchsorted(positions, nl)
    return np.diff(np.r_[0, cum])


def libsvm_pairs(buf: bytes) -> dict[str, Any] | None:
    """Features and label spans of a LIBSVM chunk, or None to use the general parser."""
    if b"#" in buf or b"\x00" in buf:
        return None
    a = np.frombuffer(buf, dtype=np.uint8)
    nl = np.flatnonzero(a == 10)
    line_start = np.r_[0, nl[:-1] + 1]
    colons = np.flatnonzero(a == 58)
    n_colon = _per_line(colons, nl)
    # a label token starts the line (no leading blank) and ends before its first blank
    blanks = np.flatnonzero((a == 32) | (a == 9))
    first_blank = np.r_[blanks, a.size][np.searchsorted(blanks, line_start)]
    label_end = np.minimum(first_blank, nl)
    first_colon = np.r_[colons, a.size][np.searchsorted(colons, line_start)]
    head = a[np.minimum(line_start, a.size - 1)]
    has_label = (label_end > line_start) & (first_colon >= label_end) & (head != 13)
    has_label &= (head != 32) & (head != 9)
    text = bytearray(buf)
    view = np.frombuffer(text, dtype=np.uint8)
    lab_s, lab_e = line_start[has_label], label_end[has_label]
    lengths = lab_e - lab_s
    if lengths.size:
        offsets = np.repeat(lab_s - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
        view[offsets + np.arange(int(lengths.sum()))] = 32  # blank the labels out
    pairs = _pairs(bytes(text).translate(_SVM_TABLE), int(colons.size))
    if pairs is None:
        return None
    return {
        "idx": pairs[0],
        "val": pairs[1],
        "n_colon": n_colon,
        "has_row": has_label | (n_colon > 0),
        "lab_s": lab_s,
        "lab_e": lab_e,
        "lab_line": np.flatnonzero(has_label),
        "a": a,
    }


# SWAR ("SIMD within a register") digit parsing: a token of 1-8 digits is read as the uint64 of
# the 8 bytes that end with it, and 3 multiply-shift-mask steps fold its digits into the number
# (D. Lemire's parse_eight_digits, as in simdjson), one numpy pass per step over all tokens
_U64 = np.uint64
_ZERO = _U64(0x3030303030303030)  # '0' in every byte: xor turns digit bytes into 0-9
_HIGH = _U64(0xF0F0F0F0F0F0F0F0)
_SIX = _U64(0x0606060606060606)
_M16, _M32 = _U64(0x00FF00FF00FF00FF), _U64(0x0000FFFF0000FFFF)
# the last n bytes of a window are the high n bytes of its little-endian uint64
_KEEP = np.array(
    [0] + [((1 << (8 * n)) - 1) << (8 * (8 - n)) for n in range(1, 9)], dtype=np.uint64
)


def _windows(a: np.ndarray) -> np.ndarray:
    """uint64 view whose element i holds the bytes ``a[i-8:i]`` (zero-padded at the front)."""
    padded = np.empty(a.size + 8, dtype=np.uint8)
    padded[:8] = 48
    padded[8:] = a
    return np.ndarray((a.size + 1,), dtype=np.uint64, buffer=padded, strides=(1,))


def _eight(windows: np.ndarray, end: np.ndarray, length: np.ndarray) -> np.ndarray | None:
    """The numbers written by the 1-8 digit tokens ``a[end-length:end]``, or None if a byte of
    one is not a digit. Little-endian uint64 arithmetic (numpy wraps, as the trick needs)."""
    x = windows.take(end)
    x ^= _ZERO
    x &= _KEEP.take(length)
    bad = x + _SIX  # a byte above 9 carries into its high nibble
    bad |= x
    bad &= _HIGH
    if bad.any():
        return None
    x *= _U64(10 * 256 + 1)
    x >>= _U64(8)
    x &= _M16
    x *= _U64(100 * 65536 + 1)
    x >>= _U64(16)
    x &= _M32
    x *= _U64(10000 * (1 << 32) + 1)
    x >>= _U64(32)
    return x.view(np.int64)


def arff_sparse_ints(buf: bytes) -> dict[str, Any] | None:
    """Rows written exactly ``{i v,i v}`` with unsigned integers of 1-8 digits (binary MULAN
    data): ``per_row`` entry counts, ``attr`` int64 and ``val`` (uint8 when every value has
    one digit, else int64), or None.

    The separators (every byte below ``'0'``: blank, comma, newline, and anything odd) are
    located once; their sequence must be, per entry, a blank then a comma or newline, with a
    comma followed by the next entry's blank, every line ``{...}`` (or ``{}``), and every gap
    between separators 1-8 digits (checked in the SWAR step). Anything else in the chunk
    (CR, tabs, signs, decimals, comments, quotes) sends it to the pandas or numpy parser.
    Position arrays are int32 and freed as soon as they are used: the working set stays near
    10 bytes per input byte.
    """
    if b"." in buf:
        return None  # decimals: pandas' C parser beats three SWAR passes per entry
    a = np.frombuffer(buf, dtype=np.uint8)
    if a.size >= 2**31 - 8:
        return None
    nd = np.flatnonzero(a < 48).astype(np.int32)
    c = a.take(nd)
    nl_c = np.flatnonzero(c == 10)
    s = np.flatnonzero(c == 32).astype(np.int32)  # one blank per entry
    n_comma = int(np.count_nonzero(c == 44))
    if nl_c.size + s.size + n_comma != c.size or not nl_c.size:
        return None
    nl = nd.take(nl_c)
    starts = np.empty(nl.size, dtype=np.int32)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    if (a.take(starts) != 123).any() or (a.take(nl - 1) != 125).any():
        return None
    per_row = np.diff(np.searchsorted(s, nl_c), prepend=0)
    if ((per_row == 0) & (nl - starts != 2)).any():
        return None  # a line without entries must be exactly "{}"
    if not s.size:
        return {"per_row": per_row, "attr": np.zeros(0, np.int64), "val": np.zeros(0, np.uint8)}
    # the separator before each blank is a comma or the newline that ends the previous line
    # (the chunk's first entry has none: take(-1) reads the chunk's final newline)
    s -= 1
    before = c.take(s)
    first = before == 10
    if ((before != 44) & ~first).any():
        return None
    open_pos = nd.take(s)
    if s[0] == -1:
        open_pos[0] = -1
    s += 1
    sp_pos = nd.take(s)
    s += 1  # the separator after each value: a comma, or the newline that ends its line
    last = c.take(s) == 10
    more = s[~last]  # each a comma (or a stray blank), followed by the next entry's blank
    more += 1
    if more.size != n_comma or (c.take(more) != 32).any():
        return None
    del more, c, before
    v_end = nd.take(s)
    del nd, s
    v_end -= last  # the last value of a line ends before its '}'
    i_len = sp_pos - open_pos
    del open_pos
    i_len -= 1
    i_len -= first  # the first entry of a line starts after its '{'
    v_len = v_end - sp_pos
    v_len -= 1
    if min(i_len.min(), v_len.min()) < 1 or max(i_len.max(), v_len.max()) > 8:
        return None
    windows = _windows(a)
    attr = _eight(windows, sp_pos, i_len)
    if attr is None:
        return None
    del i_len
    if v_len.max() == 1:  # one-digit values (binary data): one gather
        sp_pos += 1
        val = a.take(sp_pos)
        val -= 48
        if (val > 9).any():
            return None
        return {"per_row": per_row, "attr": attr, "val": val}
    val = _eight(windows, v_end, v_len)
    if val is None:
        return None
    return {"per_row": per_row, "attr": attr, "val": val}


def arff_sparse_pairs(buf: bytes, ints: bool = True) -> dict[str, Any] | None:
    """(row entry counts, attribute indices, float64 values) of a plain sparse ARFF chunk, or
    None. ``ints=False``: the caller has tried :func:`arff_sparse_ints` already."""
    plain = arff_sparse_ints(buf) if ints else None
    if plain is not None:
        plain["val"] = plain["val"].astype(np.float64)
        return plain
    if any(ch in buf for ch in (b"%", b"'", b'"', b"?", b"\x00")):
        return None
    a = np.frombuffer(buf, dtype=np.uint8)
    nl = np.flatnonzero(a == 10)
    line_start = np.r_[0, nl[:-1] + 1]
    end = nl - (a[np.maximum(nl - 1, 0)] == 13)  # drop a CR before the LF
    if (a[np.minimum(line_start, a.size - 1)] != 123).any() or (
        a[np.maximum(end - 1, 0)] != 125
    ).any():
        return None  # blank, indented or malformed lines: the general parser handles them
    if np.count_nonzero(a == 123) != nl.size or np.count_nonzero(a == 125) != nl.size:
        return None
    commas = np.flatnonzero(a == 44)
    empty = a[np.minimum(line_start + 1, a.size - 1)] == 125
    per_row = np.where(empty, 0, _per_line(commas, nl) + 1)
    # braces and commas become line breaks: one "index value" pair per non-blank line
    pairs = _pairs(buf.translate(_ARFF_TABLE), int(per_row.sum()))
    if pairs is None:
        return None
    return {"per_row": per_row, "attr": pairs[0], "val": pairs[1]}


def arff_dense_values(buf: bytes, n_attr: int) -> np.ndarray | None:
    """The (n_rows, n_attr) float64 values of a plain dense ARFF chunk, or None.

    Plain: no quotes, ``?``, ``%`` comments, braces or blank lines (so row i is line i), and
    every value a number (nominal values too: ``{0,1}`` labels are read as 0 and 1 and mapped
    to their codes by the caller).
    """
    if any(ch in buf for ch in (b"'", b'"', b"?", b"%", b"{", b"\x00")):
        return None
    if buf.startswith((b"\n", b"\r")) or b"\n\n" in buf or b"\n\r\n" in buf:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            df = pd.read_csv(
                io.BytesIO(buf),
                sep=",",
                header=None,
                names=list(range(n_attr)),
                dtype=np.float64,
                engine="c",
                na_filter=False,
                skip_blank_lines=False,
                skipinitialspace=True,
                index_col=False,
            )
    except Exception:
        return None
    values = df.to_numpy(dtype=np.float64)
    if values.shape != (buf.count(b"\n"), n_attr) or np.isnan(values).any():
        return None
    return values
