"""The fast sparse ARFF path (SWAR parser + lean column mapping) and streamed ARFF batches."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tagwise.data import _arffparts, iter_batches, read_arff, read_arff_features
from tagwise.data._swar import arff_sparse_plain
from tagwise.exceptions import DataFormatError

_ROW = re.compile(rb"\{(\d+ \d+(\.\d+)?(,\d+ \d+(\.\d+)?)*)?\}")


def _reference(buf: bytes) -> list[list[tuple[int, float]]] | None:
    """What the SWAR parser must return for ``buf``, or None where it must decline."""
    rows = []
    for line in buf.split(b"\n")[:-1]:
        if not _ROW.fullmatch(line):
            return None
        entries = []
        for item in line[1:-1].split(b",") if line != b"{}" else []:
            i, v = item.split(b" ")
            if len(i) > 8 or len(v) > 8:
                return None
            entries.append((int(i), float(v)))
        rows.append(entries)
    return rows


def _value(rng: np.random.Generator) -> bytes:
    kind = rng.integers(3)
    if kind == 0:
        return b"%d" % rng.integers(0, 20)
    if kind == 1:
        return b"%.*f" % (int(rng.integers(1, 7)), rng.random() * 10 ** int(rng.integers(0, 3)))
    return repr(float(rng.random())).encode()[: int(rng.integers(3, 11))]


def test_swar_parser_agrees_or_declines_on_mutated_chunks():
    rng = np.random.default_rng(0)
    alphabet = b"0123456789{} ,\n.-\r\te"
    agreed = declined_bad = 0
    for _ in range(3000):
        rows = []
        for _ in range(int(rng.integers(1, 4))):
            items = [b"%d " % rng.integers(0, 999) + _value(rng) for _ in range(rng.integers(4))]
            rows.append(b"{" + b",".join(items) + b"}")
        buf = bytearray(b"\n".join(rows) + b"\n")
        for _ in range(int(rng.integers(0, 3))):
            pos = int(rng.integers(len(buf)))
            op = rng.random()
            if op < 0.4:
                buf[pos] = alphabet[int(rng.integers(len(alphabet)))]
            elif op < 0.7:
                del buf[pos]
            else:
                buf.insert(pos, alphabet[int(rng.integers(len(alphabet)))])
        if not buf.endswith(b"\n"):
            continue
        got, ref = arff_sparse_plain(bytes(buf)), _reference(bytes(buf))
        if got is None:
            declined_bad += ref is None
            continue
        assert ref is not None, bytes(buf)  # never accepts what is not a plain chunk
        assert got["per_row"].tolist() == [len(r) for r in ref]
        assert got["attr"].tolist() == [i for r in ref for i, _ in r]
        # bit for bit what float() gives: the SWAR decimals are correctly rounded
        want = np.array([v for r in ref for _, v in r], dtype=np.float64)
        assert np.array_equal(got["val"].astype(np.float64), want)
        agreed += 1
    assert agreed > 500 and declined_bad > 100


HEAD = (
    "@relation 'r: -C -3'\n"
    + "".join(f"@attribute f{j} numeric\n" for j in range(6))
    + "@attribute b {0,1}\n"
    + "".join(f"@attribute L{j} {{0,1}}\n" for j in range(3))
    + "@data\n"
)


def _sparse_file(tmp_path: Path, rows: int = 60, seed: int = 0, name: str = "s.arff") -> Path:
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(rows):
        cols = np.flatnonzero(rng.random(10) < 0.5)
        items = []
        for c in cols:
            v = b"%.3f" % rng.random() if c < 6 else b"1"
            items.append(b"%d %s" % (c, v))
        lines.append(b"{" + b",".join(items) + b"}")
    p = tmp_path / name
    p.write_bytes(HEAD.encode() + b"\n".join(lines) + b"\n")
    return p


def test_fast_and_general_paths_give_the_same_dataset(tmp_path, monkeypatch):
    p = _sparse_file(tmp_path)
    fast = read_arff(p, dtype=np.float64, chunk_bytes=200)
    monkeypatch.setattr(_arffparts, "_lean", lambda plan, buf: None)
    slow = read_arff(p, dtype=np.float64, chunk_bytes=200)
    assert (fast.X != slow.X).nnz == 0 and fast.X.has_sorted_indices
    np.testing.assert_array_equal(fast.Y, slow.Y)
    assert fast.X.nnz > 100 and fast.Y.sum() > 20


def test_short_decimals_match_liac(tmp_path):
    arff = pytest.importorskip("arff")
    p = _sparse_file(tmp_path, seed=1)
    ds = read_arff(p, dtype=np.float64)
    ref = arff.load(io.StringIO(p.read_text()), encode_nominal=True, return_type=arff.COO)
    v, (r, c) = ref["data"][0], ref["data"][1:]
    M = sp.coo_matrix((np.asarray(v, float), (r, c)), shape=(60, 10)).toarray()
    np.testing.assert_array_equal(ds.X.toarray(), M[:, :7])
    np.testing.assert_array_equal(ds.Y, M[:, 7:].astype(int))


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("{0 0.5,6 2}", r"s\.arff:16: '2' is not one of the values"),
        ("{3 1,2 1}", r"s\.arff:16: sparse indices must increase"),
        ("{0 1,12 1}", r"s\.arff:16: attribute index 12 is out of range"),
        ("{0 1,,7 1}", r"s\.arff:16: a misplaced comma"),
        ("{,0 1}", r"s\.arff:16: a misplaced comma"),
        ("{0 1,}", r"s\.arff:16: a misplaced comma"),
        ("{0,1}", r"s\.arff:16: a misplaced comma"),
        ("{0 1 7 1}", r"s\.arff:16: 'index value' pairs must be separated by commas"),
    ],
)
def test_bad_rows_on_the_fast_path_are_located(tmp_path, row, match):
    good = "\n".join("{0 0.25,7 1}" for _ in range(3))
    p = tmp_path / "s.arff"
    p.write_text(HEAD + good + "\n" + row + "\n" + good + "\n")
    with pytest.raises(DataFormatError, match=match):
        read_arff(p)


def _stack(batches: list) -> object:
    return sp.vstack(batches) if sp.issparse(batches[0]) else np.vstack(batches)


DENSE = (
    "@relation 'd: -C -1'\n@attribute id string\n@attribute x numeric\n"
    "@attribute c {a,b,c}\n@attribute y {0,1}\n@data\n"
)


def test_iter_batches_streams_arff_like_read_arff_features(tmp_path):
    p = _sparse_file(tmp_path, rows=50)
    X, _ = read_arff_features(p)
    got = list(iter_batches(p, batch_size=7, chunk_bytes=128))
    assert [x.shape[0] for x, _ in got] == [7] * 7 + [1]
    assert (_stack([x for x, _ in got]) != X).nnz == 0
    names = ["b", "f3", "f0"]  # a model's own order
    Xn, _ = read_arff_features(p, names)
    got = [x for x, _ in iter_batches(p, names, batch_size=20, chunk_bytes=128)]
    assert (_stack(got) != Xn).nnz == 0 and all(x.has_sorted_indices for x in got)
    d = tmp_path / "d.arff"
    d.write_text(DENSE + "".join(f"r{i},{i / 4},{'abc'[i % 3]},{i % 2}\n" for i in range(23)))
    Xd, ids = read_arff_features(d)
    got = list(iter_batches(d, batch_size=5, chunk_bytes=64))
    np.testing.assert_array_equal(_stack([x for x, _ in got]), Xd)
    assert [t for _, i in got for t in i] == ids == [f"r{i}" for i in range(23)]


def test_iter_batches_hands_out_rows_before_reading_the_rest(tmp_path):
    good = "".join("{0 0.5,7 1}\n" for _ in range(40))
    p = tmp_path / "s.arff"
    p.write_text(HEAD + good + "{0 oops}\n")
    batches = iter_batches(p, batch_size=10, chunk_bytes=64)
    X, _ = next(batches)  # the broken last line is not read yet
    assert X.shape == (10, 7)
    with pytest.raises(DataFormatError, match=r"s\.arff:53:"):
        list(batches)
    empty = tmp_path / "e.arff"
    empty.write_text(HEAD)
    with pytest.raises(DataFormatError, match="no data rows"):
        list(iter_batches(empty))
