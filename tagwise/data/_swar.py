"""Plain sparse ARFF rows ``{i v,i v}`` parsed with SWAR arithmetic over numpy arrays.

SWAR ("SIMD within a register"): a token of up to 8 bytes is read as the little-endian uint64
of the 8 bytes that end with it, and 3 multiply-shift-mask steps fold its digits into the
number (D. Lemire's ``parse_eight_digits``, as in simdjson) — one numpy pass per step over all
the tokens of a chunk, instead of one pass per digit position. Decimals ``12.5`` lose their
point by one shift of the bytes before it, and their value is the digits' integer divided by
an exact power of ten: with at most 7 digits the integer is exact, so the division rounds like
``float()`` (Clinger's fast path, as in ``_numparse``).

Anything this does not cover (signs, exponents, tokens past 8 bytes, CR, tabs, comments,
quotes, malformed rows) returns None, and the caller uses the pandas or numpy parser, which
accept every valid file and word every error with its line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["arff_sparse_plain"]

_U64 = np.uint64
_ZERO = _U64(0x3030303030303030)  # '0' in every byte: xor turns digit bytes into 0-9
_HIGH = _U64(0xF0F0F0F0F0F0F0F0)
_SIX = _U64(0x0606060606060606)
_M16, _M32 = _U64(0x00FF00FF00FF00FF), _U64(0x0000FFFF0000FFFF)
# the last n bytes of a window are the high n bytes of its little-endian uint64
_KEEP = np.array(
    [0] + [((1 << (8 * n)) - 1) << (8 * (8 - n)) for n in range(1, 9)], dtype=np.uint64
)
# a decimal with f < 8 digits after the point: _KEEP[f] keeps them, _BELOW[f] the bytes before
# the point; f = 8 (an integer among decimals) keeps the whole window and divides by 1
_BELOW = np.r_[~_KEEP[1:], _U64(0)]
_POW10 = np.r_[10.0 ** np.arange(8), 1.0]


def _windows(a: np.ndarray) -> np.ndarray:
    """uint64 view whose element i holds the bytes ``a[i-8:i]`` (zero-padded at the front)."""
    padded = np.empty(a.size + 8, dtype=np.uint8)
    padded[:8] = 48
    padded[8:] = a
    return np.ndarray((a.size + 1,), dtype=np.uint64, buffer=padded, strides=(1,))


def _digits(x: np.ndarray, length: np.ndarray) -> np.ndarray | None:
    """The numbers written by the last ``length`` (1-8) bytes of the windows ``x`` (modified),
    or None if one of those bytes is not a digit. uint64 arithmetic wraps, as the trick needs."""
    x ^= _ZERO
    x &= _KEEP.take(length)
    bad = x + _SIX  # a byte above 9 carries into its high nibble
    bad |= x
    bad &= _HIGH
    if bad.any():
        return None
    del bad
    x *= _U64(10 * 256 + 1)
    x >>= _U64(8)
    x &= _M16
    x *= _U64(100 * 65536 + 1)
    x >>= _U64(16)
    x &= _M32
    x *= _U64(10000 * (1 << 32) + 1)
    x >>= _U64(32)
    return x.view(np.int64)


def _decimals(
    x: np.ndarray, length: np.ndarray, frac: np.ndarray, dot: np.ndarray
) -> np.ndarray | None:
    """Values of the windows ``x`` ending in tokens of ``length`` digits, those with ``dot``
    written ``digits.digits`` with ``frac`` digits after the point (the others have frac 8:
    no shift, divisor 1). The point is squeezed out by moving the digits before it up a byte,
    then the digits are read."""
    low = x & _BELOW.take(frac)
    low <<= dot.view(np.uint8).astype(np.uint64) << _U64(3)  # 8 bits where there is a point
    x &= _KEEP.take(frac)
    x |= low
    del low
    mant = _digits(x, length)
    if mant is None:
        return None
    return mant / _POW10.take(frac)


def arff_sparse_plain(buf: bytes) -> dict[str, Any] | None:
    """``per_row`` entry counts, ``attr`` int64 indices and ``val`` values (uint8 when every
    value is one digit, int64 for integers, else float64) of a chunk of rows written exactly
    ``{i v,i v}``, or None.

    Indices are 1-8 digits; values are 1-8 digits, or ``digits.digits`` of at most 8 bytes.
    The separators (every byte below ``'0'``: blank, comma, point, newline, and anything odd)
    are located once; per entry their sequence must be a blank, an optional point, then a
    comma or newline, a comma followed by the next entry's blank; every line is ``{...}`` or
    ``{}``, and every gap between separators holds 1-8 digits (checked in the SWAR step).
    Position arrays are int32 and freed when used: the working set is about 10 bytes per
    input byte.
    """
    a = np.frombuffer(buf, dtype=np.uint8)
    if a.size >= 2**31 - 8:
        return None
    nd = np.flatnonzero(a < 48).astype(np.int32)
    c = a.take(nd)
    nl_c = np.flatnonzero(c == 10)
    s = np.flatnonzero(c == 32).astype(np.int32)  # one blank per entry
    n_comma = int(np.count_nonzero(c == 44))
    n_dot = int(np.count_nonzero(c == 46))
    if nl_c.size + s.size + n_comma + n_dot != c.size or not nl_c.size:
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
    s += 1  # the separator after each value: a point, a comma or the newline ending the line
    dot = None
    if n_dot:
        dot = c.take(s) == 46
        if np.count_nonzero(dot) != n_dot:
            return None
        dot_pos = nd.take(s[dot])
        s += dot
    close = c.take(s)
    last = close == 10
    more = s[~last]  # commas, each followed by the next entry's blank
    if more.size != n_comma or (close[~last] != 44).any():
        return None
    more += 1
    if (c.take(more) != 32).any():
        return None
    del more, c, before, close
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
    attr = _digits(windows[sp_pos], i_len)
    if attr is None:
        return None
    del i_len
    if dot is None and v_len.max() == 1:  # one-digit values (binary data): one gather
        sp_pos += 1
        val = a.take(sp_pos)
        val -= 48
        if (val > 9).any():
            return None
        return {"per_row": per_row, "attr": attr, "val": val}
    del sp_pos
    if dot is None:
        ints = _digits(windows[v_end], v_len)
        return None if ints is None else {"per_row": per_row, "attr": attr, "val": ints}
    # integers among decimals (labels "1" beside features "0.25") take table row 8: no point
    frac = np.full(v_end.size, 8, dtype=np.int32)
    frac[dot] = v_end[dot] - dot_pos - 1
    v_len -= dot
    if frac.min() < 1 or (v_len - np.where(dot, frac, 0)).min() < 1:
        return None  # "1." or ".5": the general parser
    decimals = _decimals(windows[v_end], v_len, frac, dot)
    return None if decimals is None else {"per_row": per_row, "attr": attr, "val": decimals}
