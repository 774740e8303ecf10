"""LIBSVM / XMC reader and writer, compared with sklearn's load_svmlight_file."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file

from tagwise.data import read, read_features, read_libsvm, write_libsvm
from tagwise.exceptions import DataFormatError

TEXT = "# comment line\n1,3 1:0.5 4:-2e3  # trailing\n 2:1\n0 1:1 2:1 3:.25\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def test_reads_labels_features_comments_and_unlabeled_rows(tmp_path):
    p = write(tmp_path, "a.svm", TEXT)
    ds = read(p)
    assert sp.issparse(ds.X) and ds.X.dtype == np.float32
    # no index 0 → 1-based, as sklearn's "auto"
    np.testing.assert_array_equal(
        ds.X.toarray(), np.float32([[0.5, 0, 0, -2000], [0, 1, 0, 0], [1, 1, 0.25, 0]])
    )
    assert ds.label_names == ["0", "1", "2", "3"]
    assert ds.Y.tolist() == [[0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]]
    X, _ = load_svmlight_file(str(p), multilabel=True, dtype=np.float32)
    assert (X != ds.X).nnz == 0


def test_xmc_header_zero_based_and_sizes(tmp_path):
    p = write(tmp_path, "x.txt", "2 6 4\n0,3 0:1 5:2\n2 1:1\n")
    ds = read(p)
    assert ds.X.shape == (2, 6) and ds.Y.shape == (2, 4)
    assert ds.X[0, 0] == 1 and ds.X[0, 5] == 2
    with pytest.raises(
        DataFormatError, match=r"x2\.txt:1: the header says 3 rows but the file has 2"
    ):
        read(write(tmp_path, "x2.txt", "3 6 4\n0 0:1\n1 1:1\n"))
    with pytest.raises(DataFormatError, match=r"x3\.txt:2: label 7 is out of range for 4 labels"):
        read(write(tmp_path, "x3.txt", "1 6 4\n7 0:1\n"))


def test_write_read_round_trip_exact(tmp_path):
    rng = np.random.default_rng(0)
    X = sp.random(40, 30, density=0.2, format="csr", random_state=1, dtype=np.float64)
    X.data = rng.normal(size=X.nnz) * 10.0 ** rng.integers(-30, 30, X.nnz)
    Y = sp.random(40, 7, density=0.3, format="csr", random_state=2)
    Y.data[:] = 1
    for zero_based in (True, False):
        p = tmp_path / f"rt{zero_based}.svm"
        write_libsvm(p, X, Y, zero_based=zero_based)
        ds = read_libsvm(p, dtype=np.float64, zero_based=zero_based)
        assert (ds.X != X).nnz == 0 and ds.X.shape == X.shape
        np.testing.assert_array_equal(ds.Y.toarray() if sp.issparse(ds.Y) else ds.Y, Y.toarray())
    X32, _ = read_features(p, [f"f{i}" for i in range(30)], zero_based=False)
    assert X32.dtype == np.float32 and X32.shape == (40, 30)


def test_chunked_equals_whole(tmp_path):
    rng = np.random.default_rng(3)
    lines = []
    for _ in range(500):
        idx = np.sort(rng.choice(100, 5, replace=False))
        labs = ",".join(map(str, sorted(rng.choice(20, 2, replace=False))))
        lines.append(labs + " " + " ".join(f"{j}:{rng.random():.5f}" for j in idx))
    p = write(tmp_path, "c.svm", "\n".join(lines))  # no final newline
    a, b = read_libsvm(p), read_libsvm(p, chunk_bytes=50)
    assert (a.X != b.X).nnz == 0 and a.X.shape == b.X.shape
    np.testing.assert_array_equal(a.Y, b.Y)


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("", {}, r"e\.svm:1: no data rows"),
        ("\n  \n# only a comment\n", {}, r"no data rows"),
        ("1 1:1\n2 3:x\n", {}, r"e\.svm:2: the feature value is not a number in '3:x'"),
        ("1 1:1\n2 a:1\n", {}, r"e\.svm:2: the feature index must be a non-negative integer"),
        ("1 -1:1\n", {}, r"e\.svm:1: the feature index must be"),
        ("1 99999999999999999999:1\n", {}, r"the feature index must be"),
        ("1 4000000000:1\n", {}, r"e\.svm:1: feature index 4000000000 is too large"),
        ("1 1:1 1:2\n", {}, r"e\.svm:1: feature indices of a row must be increasing"),
        ("1 3:1 2:2\n", {}, r"e\.svm:1: feature indices of a row must be increasing.*'2:2'"),
        ("1 1:1 2\n", {}, r"e\.svm:1: expected index:value, found '2'"),
        ("1 1:1:1\n", {}, r"more than one ':'"),
        ("1 1:1,2\n", {}, r"',' outside the label list"),
        ("1,,2 1:1\n", {}, r"labels must be comma-separated non-negative integers"),
        ("a 1:1\n", {}, r"e\.svm:1: labels must be"),
        ("1 1:nan\n", {}, r"e\.svm:1: feature value nan is not finite"),
        ("1 1:1e300\n", {}, r"e\.svm:1: feature value 1e\+300 overflows float32"),
        ("1 0:1\n", {"zero_based": False}, r"feature index 0 in a file read as 1-based"),
        ("1 5:1\n", {"n_features": 3}, r"feature index 5 is out of range for 3 features"),
        (" 1:1\n", {}, r"no row has a label"),
        ("1 1:1\n", {"labels": 3}, r"labels= does not apply"),
        (b"\x00\xff\xfe 1:1\n", {}, r"e\.svm:1: labels must be"),
    ],
)
def test_errors_name_the_line(tmp_path, text, kwargs, match):
    p = write(tmp_path, "e.svm", text)
    with pytest.raises(DataFormatError, match=match):
        read(p, **kwargs)


def test_allow_nan_and_bom(tmp_path):
    p = write(tmp_path, "n.svm", b"\xef\xbb\xbf1 1:nan 2:inf\r\n")
    ds = read(p, allow_nan=True)
    assert np.isnan(ds.X[0, 0]) and np.isinf(ds.X[0, 1])
