"""MULAN/MEKA ARFF reader: dense, sparse, label discovery, quoting, errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tagwise.data import read, read_features
from tagwise.exceptions import DataFormatError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"

DENSE = """% a comment
@relation 'tiny: -C -2'

@attribute x1 numeric
@attribute 'x two' REAL
@attribute colour {red,green,'dark blue'}
@attribute 'Swainson\\'s Thrush' {0,1}
@attribute lab2 {0,1}

@data
1.5, 2, red, 1, 0
% comment inside data
-1e-3,?,'dark blue',0,1

0,  4 , green, 1, 1
"""

SPARSE = """@relation sparse
@attribute f0 numeric
@attribute f1 numeric
@attribute f2 {0,1}
@attribute L1 {0,1}
@attribute L2 {0,1}
@data
{0 1.5,2 1,3 1}
{}
{1 -2,4 1}
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def test_dense_meka_negative_c_quotes_nominal_and_missing(tmp_path):
    p = write(tmp_path, "tiny.arff", DENSE)
    ds = read(p, allow_nan=True)
    assert ds.label_names == ["Swainson's Thrush", "lab2"]
    assert ds.Y.tolist() == [[1, 0], [0, 1], [1, 1]]
    assert ds.feature_names == ["x1", "x two", "colour=red", "colour=green", "colour=dark blue"]
    assert ds.X.dtype == np.float32 and ds.X.shape == (3, 5)
    np.testing.assert_array_equal(ds.X[0], [1.5, 2, 1, 0, 0])
    assert np.isnan(ds.X[1, 1]) and ds.X[1, 0] == np.float32(-1e-3)
    np.testing.assert_array_equal(ds.X[1, 2:], [0, 0, 1])
    with pytest.raises(DataFormatError, match=r"tiny\.arff:13: feature 'x two' is missing"):
        read(p)


def test_sparse_rows_and_labels_by_count(tmp_path):
    p = write(tmp_path, "s.arff", SPARSE)
    ds = read(p, labels=-2)
    assert sp.issparse(ds.X) and ds.X.dtype == np.float32
    assert ds.feature_names == ["f0", "f1", "f2"]  # a {0,1} feature is one 0/1 column
    np.testing.assert_array_equal(ds.X.toarray(), [[1.5, 0, 1], [0, 0, 0], [0, -2, 0]])
    assert ds.Y.tolist() == [[1, 0], [0, 0], [0, 1]]  # an empty label set is fine
    for spec in (["L1", "L2"], "L1, L2", "-2"):  # names, or as typed on a command line
        np.testing.assert_array_equal(read(p, labels=spec).Y, ds.Y)


def test_xml_found_beside_split_files(tmp_path):
    write(
        tmp_path,
        "toy.xml",
        '<labels xmlns="http://mulan.sourceforge.net/labels">'
        '<label name="L1"></label><label name="L2"><label name="L3"/></label></labels>',
    )
    text = SPARSE.replace("@data", "@attribute L3 {0,1}\n@data")
    p = write(tmp_path, "toy-train-sparse.arff", text)
    ds = read(p)
    assert ds.label_names == ["L1", "L2", "L3"]
    assert ds.n_features == 3


def test_gzip_crlf_bom(tmp_path):
    raw = ("\ufeff" + SPARSE).replace("\n", "\r\n").encode()
    p = write(tmp_path, "g.arff.gz", gzip.compress(raw))
    ds = read(p, labels=-2)
    assert ds.n_samples == 3 and ds.Y.tolist() == [[1, 0], [0, 0], [0, 1]]


def test_string_attribute_becomes_ids(tmp_path):
    text = "@relation r\n@attribute id string\n@attribute x numeric\n@attribute y {0,1}\n@data\n"
    text += "'a 1',1,1\n'b, 2',2,0\n"
    ds = read(write(tmp_path, "i.arff", text), labels=-1)
    assert ds.ids == ["a 1", "b, 2"] and ds.feature_names == ["x"]


def test_read_features_by_name_and_without_labels(tmp_path):
    p = write(tmp_path, "tiny.arff", DENSE)
    ds = read(p, allow_nan=True)
    X, ids = read_features(p, ["colour=green", "x1"], allow_nan=True)
    assert ids is None
    np.testing.assert_array_equal(X, np.float32([[0, 1.5], [0, -1e-3], [1, 0]]))
    X2, _ = read_features(p, allow_nan=True)  # the -C labels are dropped
    np.testing.assert_array_equal(np.isnan(X2), np.isnan(ds.X))
    with pytest.raises(DataFormatError, match=r"needs feature\(s\) \['nope'\]"):
        read_features(p, ["nope"])


BAD = [
    ("", r"b\.arff:1: the file is empty"),
    ("@relation r\n@attribute x numeric\n", r"no @data line"),
    ("@relation r\n@data\n1\n", r"b\.arff:2: @data before any @attribute"),
    ("@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n", r"b\.arff:5: no data rows"),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n1,1\n2\n",
        r"b\.arff:6: expected 2 values",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n1,1\nabc,0\n",
        r"b\.arff:6: attribute 'x' is numeric; found 'abc'",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n1,2\n",
        r"b\.arff:5: '2' is not one of the values",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n1,?\n",
        r"b\.arff:5: label 'y' is missing",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y numeric\n@data\n1,0.5\n",
        r"b\.arff:5: label 'y' has value 0\.5",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {a,b}\n@data\n1,a\n",
        r"b\.arff:3: label attribute 'y' must be \{0,1\}",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute x {0,1}\n@data\n1,1\n",
        r"duplicate attribute name\(s\) \['x'\]",
    ),
    (
        "@relation r\n@attribute x blob\n@attribute y {0,1}\n@data\n1,1\n",
        r"b\.arff:2: attribute 'x' has type 'blob'",
    ),
    ("@relation r\n@attribute 'x numeric\n@data\n", r"b\.arff:2: unterminated quote"),
    (
        "@relation r\n@attribute x {a,a}\n@attribute y {0,1}\n@data\n",
        r"b\.arff:2: nominal attribute 'x' needs distinct",
    ),
    ("@relation r\n@attribute x {a,b\n@data\n", r"b\.arff:2: nominal values of 'x' lack"),
    ("@relation r\nhello\n", r"b\.arff:2: expected @relation, @attribute or @data"),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{0 1,1 1}\n{0 2,0 3,1 1}\n",
        r"b\.arff:6: sparse indices must increase .*0 follows 0",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{1 1,0 1}\n",
        r"b\.arff:5: sparse indices must increase.*0 follows 1",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{0 1,7 1}\n",
        r"b\.arff:5: attribute index 7 is out of range",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{-1 1}\n",
        r"b\.arff:5: expected an attribute index, found '-1'",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{0 1,1}\n",
        r"b\.arff:5: a sparse entry must be 'index value'",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{0 1,1 1}\n0 1\n",
        r"b\.arff:6: a sparse row must be one",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{0 1,1 1\n",
        r"b\.arff:5: a sparse row must be one",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n1e999,1\n",
        r"b\.arff:5: feature 'x' is inf",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n'1,1\n",
        r"b\.arff:5: unterminated quote",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{0 '1,1 1}\n",
        r"b\.arff:5: unterminated quote",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n{0 1,,1 1} 'x'\n",
        r"b\.arff:5: a sparse row must be one",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n1,'1'\n1,\n",
        r"b\.arff:6: a trailing ','",
    ),
    (  # an empty value must not shift the next ones into other columns
        "@relation r\n@attribute x numeric\n@attribute z numeric\n@attribute y {0,1}\n@data\n"
        "1,2,0\n1,,2,1\n",
        r"b\.arff:7: a misplaced comma",
    ),
    (
        "@relation r\n@attribute x numeric\n@attribute z numeric\n@attribute y {0,1}\n@data\n"
        "1,2,0\n1 2,1\n",
        r"b\.arff:7: values must be separated by commas",
    ),
]


@pytest.mark.parametrize(("text", "match"), BAD)
def test_malformed_files_raise_with_line(tmp_path, text, match):
    p = write(tmp_path, "b.arff", text)
    with pytest.raises(DataFormatError, match=match):
        read(p, labels=-1)


def test_label_discovery_errors(tmp_path):
    p = write(
        tmp_path, "n.arff", "@relation r\n@attribute x numeric\n@attribute y {0,1}\n@data\n1,1\n"
    )
    with pytest.raises(DataFormatError, match="which attributes are labels"):
        read(p)
    with pytest.raises(DataFormatError, match=r"labels=5 does not fit 2 attributes"):
        read(p, labels=5)
    # a count from the wrong end (MULAN files have their labels last) says which end to count
    with pytest.raises(DataFormatError, match=r"labels=1 takes the first 1 .* labels=-1 "):
        read(p, labels=1)
    assert read(p, labels=-1).Y.tolist() == [[1]]
    q = write(
        tmp_path, "q.arff", "@relation r\n@attribute y {0,1}\n@attribute x numeric\n@data\n1,3\n"
    )
    with pytest.raises(DataFormatError, match=r"the first 1 are. Did you mean labels=1 "):
        read(q, labels=-1)
    with pytest.raises(DataFormatError, match=r"names 1 label\(s\) that are not attributes"):
        read(p, labels=["zz"])
    with pytest.raises(DataFormatError, match="a label is named twice"):
        read(p, labels=["y", "y"])
    x = write(tmp_path, "bad.xml", "<labels><label name='y'>")
    with pytest.raises(DataFormatError, match=r"bad\.xml:1: invalid XML"):
        read(p, xml=x)
    e = write(tmp_path, "e.xml", "<labels></labels>")
    with pytest.raises(DataFormatError, match="not a MULAN label file"):
        read(p, xml=e)
    m = write(
        tmp_path,
        "m.arff",
        "@relation 'r: -C 5'\n@attribute x numeric\n@attribute y {0,1}\n@data\n1,1\n",
    )
    with pytest.raises(DataFormatError, match=r"-C 5 but there are 2 attributes"):
        read(m)
    with pytest.raises(DataFormatError, match="only apply to tabular files"):
        read(p, label_prefix="y")


def test_chunked_reading_matches_one_chunk(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(300):
        idx = np.sort(rng.choice(40, 6, replace=False))
        rows.append("{" + ",".join(f"{j} {rng.integers(1, 9) if j < 35 else 1}" for j in idx) + "}")
    head = "@relation r\n" + "".join(f"@attribute a{i} numeric\n" for i in range(35))
    head += "".join(f"@attribute l{i} {{0,1}}\n" for i in range(5)) + "@data\n"
    p = write(tmp_path, "c.arff", head + "\n".join(rows) + "\n")
    from tagwise.data import read_arff

    whole = read_arff(p, labels=-5)
    small = read_arff(p, labels=-5, chunk_bytes=64)
    assert (whole.X != small.X).nnz == 0
    np.testing.assert_array_equal(whole.Y, small.Y)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets not present")
@pytest.mark.parametrize(
    ("folder", "file", "shape", "n_labels", "card"),
    [
        ("yeast", "yeast-train.arff", (1500, 103), 14, 4.2280),
        ("emotions", "emotions-test.arff", (202, 72), 6, 1.9752),
        ("corel5k", "Corel5k-test-sparse.arff", (500, 499), 374, 3.5260),
        ("delicious", "delicious-test.arff", (3185, 500), 983, 18.9102),
    ],
)
def test_real_mulan_files(folder, file, shape, n_labels, card):
    ds = read(SHARED / folder / file)
    assert ds.X.shape == shape and ds.n_labels == n_labels
    assert ds.cardinality == pytest.approx(card, abs=1e-4)
    assert ds.Y.dtype == np.int64
