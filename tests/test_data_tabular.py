"""Tabular readers: CSV/TSV/Parquet/JSONL → Dataset, read_features, and their errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tagwise.data import read, read_features
from tagwise.exceptions import DataFormatError

CSV = "id,x1,x2,color,tag_a,tag_b\nr1,1.5,2,red,1,0\nr2,0,3,blue,0,1\nr3,2,1,red,true,false\n"


@pytest.fixture
def csv_file(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(CSV)
    return p


def write(tmp_path, name, text, mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def test_indicator_columns_by_prefix_names_and_string(csv_file):
    ds = read(csv_file, label_prefix="tag_")
    assert ds.label_names == ["a", "b"]
    assert ds.Y.dtype == np.int64 and ds.Y.tolist() == [[1, 0], [0, 1], [1, 0]]
    assert ds.feature_names == ["x1", "x2", "color=blue", "color=red"]
    assert ds.X.dtype == np.float32 and ds.X[:, :2].tolist() == [[1.5, 2], [0, 3], [2, 1]]
    assert ds.ids == ["r1", "r2", "r3"]
    same = read(csv_file, labels="tag_a, tag_b")
    assert same.label_names == ["tag_a", "tag_b"]
    np.testing.assert_array_equal(same.Y, ds.Y)
    np.testing.assert_array_equal(read(csv_file, labels=["tag_a", "tag_b"]).X, ds.X)


def test_delimited_tags_column_and_empty_rows(tmp_path):
    p = write(tmp_path, "t.csv", "f,tags\n1,sports|politics\n2,\n3,politics\n")
    ds = read(p, label_column="tags")
    assert ds.label_names == ["politics", "sports"]
    assert ds.Y.tolist() == [[1, 1], [0, 0], [1, 0]]  # an empty label set is valid data
    q = write(tmp_path, "t2.csv", "f,tags\n1,a;b\n2,b\n")
    assert read(q, label_column="tags", label_sep=";").label_names == ["a", "b"]
    assert read(p, label_column="tags", label_names=["sports", "politics", "x"]).Y.shape == (3, 3)


def test_json_list_column_in_csv_and_jsonl(tmp_path):
    p = write(tmp_path, "j.csv", 'f,labels\n1,"[""a"", ""b""]"\n2,[]\n')
    ds = read(p)  # a column named "labels" is found without being named
    assert ds.label_names == ["a", "b"] and ds.Y.tolist() == [[1, 1], [0, 0]]
    rows = [{"id": 7, "text": "hello", "labels": ["x"]}, {"id": 8, "text": "bye", "labels": []}]
    q = write(tmp_path, "j.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    ds = read(q, label_column="labels", text_column="text")
    assert ds.X is None and ds.text == ["hello", "bye"] and ds.ids == ["7", "8"]
    assert ds.Y.tolist() == [[1], [0]]


def test_tsv_parquet_and_gzip(tmp_path, csv_file):
    df = pd.read_csv(csv_file)
    df.to_csv(tmp_path / "d.tsv", sep="\t", index=False)
    df.to_parquet(tmp_path / "d.parquet")
    df.to_csv(tmp_path / "d.csv.gz", index=False)
    ref = read(csv_file, label_prefix="tag_")
    for name in ("d.tsv", "d.parquet", "d.csv.gz"):
        ds = read(tmp_path / name, label_prefix="tag_")
        np.testing.assert_array_equal(ds.X, ref.X)
        np.testing.assert_array_equal(ds.Y, ref.Y)


def test_many_labels_give_sparse_int64(tmp_path):
    tags = ["|".join(f"t{j}" for j in range(i, i + 3)) for i in range(150)]
    p = tmp_path / "m.csv"
    pd.DataFrame({"f": range(150), "tags": tags}).to_csv(p, index=False)
    ds = read(p, label_column="tags")
    assert sp.issparse(ds.Y) and ds.Y.dtype == np.int64 and ds.n_labels == 152


def test_bom_and_crlf(tmp_path):
    p = write(tmp_path, "b.csv", b"\xef\xbb\xbff,y\r\n1,1\r\n2,0\r\n", mode="wb")
    ds = read(p, labels="y")
    assert ds.feature_names == ["f"] and ds.Y.ravel().tolist() == [1, 0]


def test_read_features_by_name_rebuilds_one_hot(csv_file, tmp_path):
    ds = read(csv_file, label_prefix="tag_")
    p = write(tmp_path, "new.csv", "color,x2,x1,id\nblue,5,6,q\ngreen,1,1,r\n")
    X, ids = read_features(p, ds.feature_names)
    assert ids == ["q", "r"]
    assert X.tolist() == [[6, 5, 1, 0], [1, 1, 0, 0]]  # unseen category → all zeros
    X2, _ = read_features(csv_file, label_prefix="tag_")
    np.testing.assert_array_equal(X2, ds.X)
    with pytest.raises(
        DataFormatError, match=r"needs feature column\(s\) \['x3'\] that the file lacks"
    ):
        read_features(p, ["x1", "x3"])
    texts, _ = read_features(write(tmp_path, "t.csv", "text\nhi\n"), text_column="text")
    assert texts == ["hi"]


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("", {"labels": "y"}, r"e\.csv:1: the file is empty"),
        ("   \n\n", {"labels": "y"}, r"empty"),
        ("f,y\n", {"labels": "y"}, r"e\.csv:2: no data rows"),
        ("f,y\n1,1\n", {"labels": "z,w"}, r"label column\(s\) \['z', 'w'\] not found.*'f', 'y'"),
        ("f,y\n1,1\n2,2\n", {"labels": "y"}, r"e\.csv:3: label column 'y' has value 2"),
        ("f,y\n1,1\n2,maybe\n", {"labels": "y"}, r"e\.csv:3: .*'maybe'"),
        ("f,y\n1,1\n2,\n", {"labels": "y"}, r"e\.csv:3: label column 'y'"),
        ("f,y\n1,1\n,0\n", {"labels": "y"}, r"e\.csv:3: feature column 'f' has a missing value"),
        ("f,y\n1,1\ninf,0\n", {"labels": "y"}, r"e\.csv:3: .*inf"),
        ("f,y\n1,1\n1e300,0\n", {"labels": "y"}, r"e\.csv:3: .*overflows float32"),
        ("f,y\n1,1\n\n\nabc,0\n", {"labels": "y"}, r"e\.csv:5: .*non-numeric value 'abc'"),
        ("f,y\n1,1\n", {"label_prefix": "tag_"}, r"no column name starts with label_prefix"),
        ("f,y\n1,1\n", {}, r"where are the labels"),
        ("f,y\n1,1\n", {"labels": "y", "label_prefix": "y"}, r"only one of"),
        ("y\n1\n", {"labels": "y"}, r"no feature columns left"),
        ("f,y\n1,1\n", {"labels": "y", "text_column": "t"}, r"column\(s\) \['t'\] not found"),
        ("f,f,y\n1,1,1\n", {"labels": "y"}, r"e\.csv:1: duplicate column name\(s\) \['f'\]"),
        ("f,,y\n1,2,1\n", {"labels": "y"}, r"e\.csv:1: the header has 1 empty column"),
        (
            "f,y\n1,1,5,6\n",
            {"labels": "y"},
            r"e\.csv:2: expected 2 fields \(as in the first row\), found 4",
        ),
        ("f,t\n1,[oops\n", {"label_column": "t"}, r"e\.csv:2: .*invalid JSON"),
        ("f,t\n1,\n", {"label_column": "t"}, r"holds no labels"),
        (
            "f,t\n1,a\n2,b\n",
            {"label_column": "t", "label_names": ["a"]},
            r"e\.csv:3: unknown label 'b'",
        ),
        ("f,t\n1,a\n", {"label_column": "t", "label_names": ["a", "a"]}, r"duplicate label name"),
        ("f,y\n1,1\n", {"labels": []}, r"names no columns"),
        (
            "f,c,y\n1,a,1\n2,3,0\n",
            {"labels": "y"},
            r"e\.csv:2: .*'c' has the non-numeric value 'a'",
        ),
        (
            "c,y\na,1\n,0\n",
            {"labels": "y"},
            r"e\.csv:3: categorical feature column 'c' has a missing",
        ),
    ],
)
def test_errors_name_path_line(tmp_path, text, kwargs, match):
    p = write(tmp_path, "e.csv", text)
    with pytest.raises(DataFormatError, match=match):
        read(p, **kwargs)


def test_categorical_options(tmp_path):
    p = write(tmp_path, "c.csv", "c,y\na,1\n,0\n")
    ds = read(p, labels="y", allow_nan=True)
    assert ds.X.tolist() == [[1.0], [0.0]]
    q = write(tmp_path, "c2.csv", "c,y\na,1\nb,0\n")
    with pytest.raises(DataFormatError, match="non-numeric value 'a'"):
        read(q, labels="y", categorical=False)
    r = write(tmp_path, "c3.csv", "c,y\n1,1\n2,0\n")
    assert read(r, labels="y", categorical=["c"]).feature_names == ["c=1", "c=2"]


def test_allow_nan_keeps_missing(tmp_path):
    p = write(tmp_path, "n.csv", "f,y\n1,1\n,0\n")
    assert np.isnan(read(p, labels="y", allow_nan=True).X[1, 0])


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("x.csv", b"f,y\n\xff\xfe,1\n", r"x\.csv:2: not UTF-8"),
        ("x.csv", b"f,y\n1\x00,1\n", r"x\.csv:2: NUL byte"),
        ("x.jsonl", b'{"f": 1}\n{nope\n', r"x\.jsonl:2: invalid JSON"),
        ("x.jsonl", b'{"f": 1}\n[1, 2]\n', r"x\.jsonl:2: expected a JSON object"),
        ("x.parquet", b"garbage bytes", r"cannot read as Parquet"),
        ("x.weird", b"f\n1\n", r"cannot tell the format"),
    ],
)
def test_file_level_errors(tmp_path, name, content, match):
    p = write(tmp_path, name, content, mode="wb")
    with pytest.raises(DataFormatError, match=match):
        read(p, labels="y")


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataFormatError, match="no such file"):
        read(tmp_path / "nope.csv", labels="y")
    with pytest.raises(DataFormatError, match="unknown format 'xls'"):
        read(tmp_path / "nope.csv", format="xls")
    with pytest.raises(DataFormatError, match="not a count"):
        read(tmp_path / "nope.csv", labels=3)


def test_jsonl_line_numbers_skip_blank_lines(tmp_path):
    p = write(tmp_path, "l.jsonl", '{"f": 1, "y": 1}\n\n{"f": "x", "y": 0}\n')
    with pytest.raises(DataFormatError, match=r"l\.jsonl:3: .*non-numeric value 'x'"):
        read(p, labels="y")
    q = write(tmp_path, "l2.jsonl", '{"f": 1, "t": [1.5]}\n')
    with pytest.raises(DataFormatError, match=r"l2\.jsonl:1: label column 't' holds 1\.5"):
        read(q, label_column="t")
