"""Vectorised tokenising and number parsing over whole byte buffers (the fast path of the readers).

Python-level parsers spend ~1 µs per token creating ``bytes`` objects and calling ``float``; here
a buffer is a ``uint8`` array, token boundaries come from one ``np.diff`` over a separator mask,
and numbers are accumulated digit by digit *across all tokens at once* (one numpy pass per
character position, tokens sorted by length so each pass touches only the tokens still going).

Floats are exact: the mantissa is accumulated as an integer and scaled once by a power of ten.
When the mantissa is below 2**53 and the power is within ±22, both operands are exact doubles and
IEEE multiplication/division rounds correctly, so the result equals ``strtod``'s (Clinger's fast
path: W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990). The few
tokens outside it (long mantissas, huge exponents, ``nan``/``inf``) go through Python's
``float`` one by one.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["parse_float", "parse_uint", "token_bounds", "token_text"]

_MAX_FAST_LEN = 40  # longer tokens are parsed one by one (and are usually garbage)
_POW10 = 10.0 ** np.arange(23)
_IPOW10 = 10 ** np.arange(19, dtype=np.int64)
_SPECIAL = re.compile(rb"[+-]?(nan|inf|infinity)", re.IGNORECASE)
_PY_FLOAT = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def separator_mask(a: np.ndarray, chars: bytes) -> np.ndarray:
    """Boolean mask of the bytes of ``a`` that are any of ``chars``."""
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(chars, dtype=np.uint8)] = True
    return table[a]


def token_bounds(is_sep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) offsets of the maximal runs of non-separator bytes."""
    inside = np.empty(is_sep.size + 2, dtype=np.int8)
    inside[0] = inside[-1] = 0
    np.logical_not(is_sep, out=inside[1:-1].view(bool))
    step = np.diff(inside)
    return np.flatnonzero(step == 1), np.flatnonzero(step == -1)


def token_text(a: np.ndarray, start: int, end: int, limit: int = 40) -> str:
    """A token's text for an error message (shortened, undecodable bytes escaped)."""
    raw = a[start : min(end, start + limit)].tobytes().decode("utf-8", "backslashreplace")
    return raw + ("…" if end - start > limit else "")


def _by_length(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token order by decreasing length, and how many tokens are longer than k, for each k."""
    # a stable sort of a uint8 key is a radix sort in numpy: O(n), unlike argsort of int64
    key = (255 - np.minimum(lengths, 255)).astype(np.uint8)
    order = np.argsort(key, kind="stable")
    longest = int(lengths[order[0]]) if lengths.size else 0
    counts = np.bincount(lengths, minlength=longest + 1)
    longer_than = lengths.size - np.cumsum(counts)  # longer_than[k] = #tokens with length > k
    return order, longer_than


def parse_uint(
    a: np.ndarray, starts: np.ndarray, ends: np.ndarray, max_digits: int = 18
) -> tuple[np.ndarray, np.ndarray]:
    """Unsigned decimal integers of the tokens ``a[starts:ends]``.

    Returns ``(values int64, ok bool)``; ``ok`` is false for an empty token, a non-digit byte or
    more than ``max_digits`` digits (then the value is meaningless).
    """
    n = starts.size
    lengths = ends - starts
    ok = (lengths >= 1) & (lengths <= max_digits)
    lengths = np.where(ok, lengths, 0)
    values = np.zeros(n, dtype=np.int64)
    if n == 0:
        return values, ok
    order, longer_than = _by_length(lengths)
    s = starts[order]
    acc = np.zeros(n, dtype=np.int64)
    good = np.ones(n, dtype=bool)
    for k in range(longer_than.size - 1 if longer_than.size else 0):
        m = int(longer_than[k])
        if m == 0:
            break
        d = a[s[:m] + k] - np.uint8(48)  # uint8 wraps, so non-digits become > 9
        good[:m] &= d <= 9
        acc[:m] = acc[:m] * 10 + d
    values[order] = acc
    ok &= _unsort(good, order)
    return values, ok


def _unsort(sorted_values: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(sorted_values)
    out[order] = sorted_values
    return out


def _digits(a: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Integer value of digit-only spans (validated by the caller; at most 18 digits)."""
    n = starts.size
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    order, longer_than = _by_length(lengths)
    s = starts[order]
    acc = np.zeros(n, dtype=np.int64)
    for k in range(longer_than.size - 1):
        m = int(longer_than[k])
        if m == 0:
            break
        acc[:m] *= 10
        acc[:m] += a[s[:m] + k]
        acc[:m] -= 48
    out[order] = acc
    return out


_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[list(b"0123456789.")] = True


def parse_float(
    a: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Decimal floats of the tokens ``a[starts:ends]``, correctly rounded to float64.

    Accepts what Python's ``float`` accepts for plain numbers (``-1``, ``.5``, ``5.``,
    ``1e-3``) plus ``nan``/``inf``/``infinity``. Returns ``(values float64, ok bool)``.

    Plain decimals (``[-+]digits[.digits]``, the bulk of real files) take a lean path: the
    integer and fraction digits are two digit runs, read in a few numpy operations per
    character position. Everything else goes through the general state machine.
    """
    n = starts.size
    if n == 0:
        return np.zeros(0, dtype=np.float64), np.ones(0, dtype=bool)
    first = a[starts]
    neg = first == 45
    body = starts + (neg | (first == 43))
    lengths = ends - body
    # non-plain bytes and dots inside each token: sums over [body, end) by one reduceat over
    # the interleaved bounds (the odd entries are the gaps between tokens, dropped)
    bounds = np.empty(2 * n, dtype=np.int64)
    bounds[0::2], bounds[1::2] = body, ends
    odd = np.zeros(a.size + 1, dtype=np.uint8)  # one padding byte: ``ends`` may be a.size
    np.logical_not(_PLAIN[a], out=odd[:-1].view(bool))
    dot = np.zeros(a.size + 1, dtype=np.uint8)
    np.equal(a, 46, out=dot[:-1].view(bool))
    # uint8 sums may wrap only in gaps or in tokens longer than 19 bytes, both ignored here
    n_odd = np.add.reduceat(odd, bounds)[0::2]
    n_dot = np.add.reduceat(dot, bounds)[0::2]
    plain = (lengths >= 1) & (lengths <= 19) & (n_odd == 0) & (n_dot <= 1) & (lengths > n_dot)
    values = np.zeros(n, dtype=np.float64)
    ok = np.zeros(n, dtype=bool)
    fast = np.flatnonzero(plain)
    if fast.size:
        fb, fe = body[fast], ends[fast]
        dot_pos = np.flatnonzero(a == 46)
        dot_at = fe.copy()  # no dot: the integer run ends at the token end
        owner = np.searchsorted(fb, dot_pos, side="right") - 1
        inside = (owner >= 0) & (dot_pos < fe[np.maximum(owner, 0)])
        dot_at[owner[inside]] = dot_pos[inside]
        int_len = dot_at - fb
        frac_len = np.maximum(fe - dot_at - 1, 0)
        mant = _digits(a, fb, int_len) * _IPOW10[np.minimum(frac_len, 18)]
        mant += _digits(a, np.minimum(dot_at + 1, fe), frac_len)
        exact = (mant <= 2**53) & (int_len + frac_len <= 18)
        v = mant.astype(np.float64) / _POW10[np.minimum(frac_len, 22)]
        values[fast] = np.where(neg[fast], -v, v)
        ok[fast] = exact
    rest = np.flatnonzero(~ok)
    if rest.size:
        v, good = _parse_float_general(a, starts[rest], ends[rest])
        values[rest] = v
        ok[rest] = good
    return values, ok


def _parse_float_general(
    a: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Decimal floats of the tokens ``a[starts:ends]``, correctly rounded to float64.

    Accepts what Python's ``float`` accepts for plain numbers (``-1``, ``.5``, ``5.``,
    ``1e-3``) plus ``nan``/``inf``/``infinity``. Returns ``(values float64, ok bool)``.
    """
    n = starts.size
    values = np.zeros(n, dtype=np.float64)
    if n == 0:
        return values, np.ones(0, dtype=bool)
    first = a[starts]
    neg = first == 45  # '-'
    body = starts + (neg | (first == 43))  # skip a sign
    lengths = ends - body
    slow = (lengths <= 0) | (lengths > _MAX_FAST_LEN)
    lengths = np.where(slow, 0, lengths)
    order, longer_than = _by_length(lengths)
    s = body[order]
    mant = np.zeros(n, dtype=np.int64)
    sig = np.zeros(n, dtype=np.int16)  # significant digits (a mantissa past 17 goes the slow way)
    ndig = np.zeros(n, dtype=np.int16)  # mantissa digits seen, leading zeros included
    frac = np.zeros(n, dtype=np.int16)  # digits after the point
    expo = np.zeros(n, dtype=np.int32)
    eneg = np.zeros(n, dtype=bool)
    phase = np.zeros(n, dtype=np.int8)  # 0 int part, 1 fraction, 2 after e, 3 after e-sign, 4 exp
    bad = np.zeros(n, dtype=bool)
    for k in range(longer_than.size - 1):
        m = int(longer_than[k])
        if m == 0:
            break
        c = a[s[:m] + k]
        d = (c - np.uint8(48)).astype(np.int64)
        digit = d <= 9
        ph = phase[:m]
        in_mant = digit & (ph <= 1)
        in_exp = digit & (ph >= 2)
        with np.errstate(over="ignore"):  # a wrapped mantissa is caught by ``sig`` below
            mant[:m] = np.where(in_mant, mant[:m] * 10 + d, mant[:m])
        sig[:m] += in_mant & ((sig[:m] > 0) | (d > 0))
        ndig[:m] += in_mant
        frac[:m] += in_mant & (ph == 1)
        expo[:m] = np.where(in_exp, np.minimum(expo[:m] * 10 + d, 99999), expo[:m])
        dot = (c == 46) & (ph == 0)
        e = ((c == 101) | (c == 69)) & (ph <= 1)
        esign = ((c == 43) | (c == 45)) & (ph == 2)
        eneg[:m] |= esign & (c == 45)
        bad[:m] |= ~(in_mant | in_exp | dot | e | esign)
        phase[:m] = np.where(dot, 1, np.where(e, 2, np.where(esign, 3, np.where(in_exp, 4, ph))))
    bad |= (ndig == 0) | (phase == 2) | (phase == 3)
    e10 = np.where(eneg, -expo, expo).astype(np.int64) - frac
    big = (sig > 17) | (mant > 2**53) | ((np.abs(e10) > 22) & (mant != 0))
    sorted_ok = ~bad & ~big
    mf = mant.astype(np.float64)
    scale = _POW10[np.minimum(np.abs(e10), 22)]
    v = np.where(e10 >= 0, mf * scale, mf / scale)
    v = np.where(mant == 0, 0.0, v)
    values_sorted = np.where(sorted_ok, v, 0.0)
    values[order] = values_sorted
    ok = _unsort(sorted_ok, order) & ~slow
    values = np.where(neg, -values, values)
    redo = np.flatnonzero(~ok)
    if redo.size:
        for i in redo.tolist():
            tok = a[starts[i] : ends[i]].tobytes()
            if _PY_FLOAT.fullmatch(tok) or _SPECIAL.fullmatch(tok):
                values[i] = float(tok)
                ok[i] = True
    return values, ok
