"""Robustness: mutated and random files through every reader (only DataFormatError may escape),
and differential tests against liac-arff and scikit-learn's svmlight reader."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import dump_svmlight_file, load_svmlight_file

from tagwise.data import Dataset, read, read_features
from tagwise.exceptions import DataFormatError

SEEDS = {
    ".arff": (
        b"% c\n@relation 'r: -C -2'\n@attribute id string\n@attribute x numeric\n"
        b"@attribute 'c c' {a,'b b'}\n@attribute L1 {0,1}\n@attribute L2 {0,1}\n@data\n"
        b"'r1',1.5,a,1,0\n'r2',-2e-3,'b b',0,1\n'r3',?,a,1,1\n"
    ),
    ".sparse.arff": (
        b"@relation r\n@attribute x numeric\n@attribute y numeric\n@attribute L1 {0,1}\n"
        b"@attribute L2 {0,1}\n@data\n{0 1.5,2 1}\n{}\n{1 -3,3 1}\n{0 2,1 4,2 1,3 1}\n"
    ),
    ".svm": b"3 5 4\n0,2 0:1.5 3:2\n 1:1\n3 0:1 1:2 2:3 4:1e-3\n",
    ".csv": b"id,x,c,y1,y2\na,1.5,red,1,0\nb,2,blue,0,1\nc,-1,red,true,false\n",
    ".jsonl": (
        b'{"x": 1, "labels": ["a"]}\n{"x": 2.5, "labels": []}\n{"x": 3, "labels": ["a","b"]}\n'
    ),
}
OPTIONS = {
    ".arff": {"labels": -2},
    ".sparse.arff": {"labels": -2},
    ".svm": {},
    ".csv": {"labels": "y1,y2"},
    ".jsonl": {"label_column": "labels"},
}


def run_reader(suffix: str, data: bytes) -> None:
    """Every reader entry point on ``data``; only DataFormatError may come out."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("f" + suffix)
        path.write_bytes(data)
        for call in (
            lambda: read(path, **OPTIONS[suffix]),
            lambda: read(path, **OPTIONS[suffix], allow_nan=True),
            lambda: read_features(path),
        ):
            try:
                out = call()
            except DataFormatError:
                continue
            assert isinstance(out, (Dataset, tuple))


TOKENS = [
    b",",
    b" ",
    b"\n",
    b"{",
    b"}",
    b":",
    b"'",
    b'"',
    b"?",
    b"%",
    b"#",
    b"\r\n",
    b"nan",
    b"-",
    b"1e999",
    b"\x00",
    b"\xff",
    b"99999999999999999999",
    b"@data",
    b"\\",
]


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup", "truncate", "swap"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            chunk = draw(st.sampled_from(TOKENS))
            data[pos:pos] = chunk
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        elif op == "dup":
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
        elif op == "truncate":
            del data[pos:]
        elif op == "swap" and data.count(b"\n") > 1:
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 2))
            lines[k], lines[k + 1] = lines[k + 1], lines[k]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("suffix", list(SEEDS))
def test_mutated_files_raise_only_data_format_error(suffix):
    @FUZZ
    @given(mutated(SEEDS[suffix]))
    def check(data: bytes) -> None:
        run_reader(suffix, data)

    check()


@pytest.mark.parametrize("suffix", list(SEEDS))
def test_random_bytes_raise_only_data_format_error(suffix):
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.binary(max_size=300))
    def check(data: bytes) -> None:
        run_reader(suffix, data)

    check()


def test_seeds_are_valid():
    for suffix, data in SEEDS.items():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / ("f" + suffix)
            path.write_bytes(data)
            assert read(path, **OPTIONS[suffix], allow_nan=True).n_samples >= 3


# ---------------------------------------------------------------------- differential tests
def _random_matrix(rng: np.random.Generator, n: int, d: int) -> sp.csr_matrix:
    X = sp.random(n, d, density=0.3, format="csr", random_state=int(rng.integers(1 << 30)))
    X.data = rng.standard_normal(X.nnz) * 10.0 ** rng.integers(-12, 12, X.nnz)
    return X


@pytest.mark.parametrize("seed", range(6))
def test_libsvm_matches_sklearn(tmp_path, seed):
    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(1, 60)), int(rng.integers(1, 40)), int(rng.integers(1, 12))
    X = _random_matrix(rng, n, d)
    Y = (rng.random((n, k)) < 0.3).astype(int)
    Y[:, -1] = 1  # the largest label id appears, so both readers agree on n_labels
    zero_based = bool(seed % 2)
    path = tmp_path / "d.svm"
    dump_svmlight_file(X, Y, str(path), zero_based=zero_based, multilabel=True)
    Xs, ys = load_svmlight_file(str(path), n_features=d, multilabel=True, zero_based=zero_based)
    for dtype in (np.float64, np.float32):
        ds = read(path, dtype=dtype, n_features=d, zero_based=zero_based)
        assert ds.X.dtype == dtype and ds.X.shape == Xs.shape
        assert (ds.X != Xs.astype(dtype)).nnz == 0
    Ys = np.zeros((n, k), dtype=int)
    for i, labels in enumerate(ys):
        Ys[i, [int(v) for v in labels]] = 1
    got = ds.Y.toarray() if sp.issparse(ds.Y) else ds.Y
    np.testing.assert_array_equal(got, Ys)


arff = pytest.importorskip("arff", reason="liac-arff not installed (pip install liac-arff)")


@pytest.mark.parametrize("seed", range(6))
def test_arff_matches_liac(tmp_path, seed):
    rng = np.random.default_rng(seed)
    sparse = bool(seed % 2)
    n, d, k = int(rng.integers(1, 40)), int(rng.integers(1, 15)), int(rng.integers(1, 6))
    X = _random_matrix(rng, n, d).toarray()
    Y = (rng.random((n, k)) < 0.4).astype(int)
    attributes = [(f"f {j}" if j % 3 == 0 else f"f{j}", "NUMERIC") for j in range(d)]
    attributes += [(f"L'{j}", ["0", "1"]) for j in range(k)]
    rows = np.hstack([X, Y]).tolist()
    for row in rows:
        for j in range(d, d + k):
            row[j] = str(int(row[j]))
    text = arff.dumps({"relation": "r", "attributes": attributes, "data": rows})
    if sparse:  # liac-arff writes dense rows; sparse rows are written here and read by both
        full = np.hstack([X, Y])
        lines = []
        for row in full:
            cols = np.flatnonzero(row)
            lines.append(
                "{"
                + ",".join(f"{c} {int(row[c]) if c >= d else repr(float(row[c]))}" for c in cols)
                + "}"
            )
        text = text[: text.index("@DATA") + 6] + "\n".join(lines) + "\n"
    path = tmp_path / "d.arff"
    path.write_text(text)
    ref = arff.load(
        io.StringIO(text), encode_nominal=True, return_type=arff.COO if sparse else arff.DENSE
    )
    if sparse:
        v, (r, c) = ref["data"][0], ref["data"][1:]
        M = sp.coo_matrix((np.asarray(v, float), (r, c)), shape=(n, d + k)).toarray()
    else:
        M = np.asarray(ref["data"], dtype=float)
    ds = read(path, labels=-k, dtype=np.float64)
    got_x = ds.X.toarray() if sp.issparse(ds.X) else ds.X
    np.testing.assert_array_equal(got_x, M[:, :d])
    np.testing.assert_array_equal(ds.Y, M[:, d:].astype(int))
    assert ds.label_names == [a[0] for a in attributes[d:]]
    assert ds.feature_names == [a[0] for a in attributes[:d]]


def test_jsonl_fuzz_seed_round_trip():
    rows = [json.loads(line) for line in SEEDS[".jsonl"].decode().splitlines()]
    assert len(rows) == 3


SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets not present")
@pytest.mark.parametrize(
    ("file", "sparse"),
    [("emotions/emotions-test.arff", False), ("corel5k/Corel5k-test-sparse.arff", True)],
)
def test_real_files_match_liac(file, sparse):
    path = SHARED / file
    ds = read(path, dtype=np.float64)
    with open(path) as f:
        ref = arff.load(f, encode_nominal=True, return_type=arff.COO if sparse else arff.DENSE)
    names = [a[0] for a in ref["attributes"]]
    if sparse:
        v, (r, c) = ref["data"][0], ref["data"][1:]
        M = sp.coo_matrix((np.asarray(v, float), (r, c)), shape=(ds.n_samples, len(names)))
        M = M.toarray()
    else:
        M = np.asarray(ref["data"], dtype=float)
    X = ds.X.toarray() if sp.issparse(ds.X) else ds.X
    Y = ds.Y.toarray() if sp.issparse(ds.Y) else ds.Y
    np.testing.assert_array_equal(X, M[:, [names.index(n) for n in ds.feature_names]])
    np.testing.assert_array_equal(Y, M[:, [names.index(n) for n in ds.label_names]])
