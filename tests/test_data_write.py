"""write_predictions (CSV/TSV/Parquet/JSONL) and iter_batches (bounded-memory feature reading)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tagwise.data import iter_batches, read_features, write_libsvm, write_predictions
from tagwise.exceptions import DataFormatError

NAMES = ["sports", "politics", "tech"]
PROBA = np.array([[0.9, 0.2, 0.5], [0.1, 0.7, 0.05]])


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_write_predictions_every_format(tmp_path, ext):
    path = write_predictions(tmp_path / f"p{ext}", NAMES, PROBA, ids=["a", "b"])
    if ext == ".jsonl":
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert rows[0] == {
            "id": "a",
            "labels": ["sports", "tech"],
            "scores": {"sports": 0.9, "politics": 0.2, "tech": 0.5},
        }
        return
    df = (
        pd.read_parquet(path)
        if ext == ".parquet"
        else pd.read_csv(path, sep="\t" if ext == ".tsv" else ",")
    )
    assert list(df.columns) == ["id", "labels", "p_sports", "p_politics", "p_tech"]
    first = df["labels"][0] if ext != ".parquet" else "|".join(df["labels"][0])
    assert first == "sports|tech"
    np.testing.assert_allclose(df[["p_sports", "p_politics", "p_tech"]].to_numpy(), PROBA)


def test_thresholds_and_explicit_predictions(tmp_path):
    path = write_predictions(tmp_path / "t.csv", NAMES, PROBA, threshold=[0.95, 0.1, 0.5])
    df = pd.read_csv(path, keep_default_na=False)
    assert "id" not in df.columns and df["labels"].tolist() == ["politics|tech", "politics"]
    pred = sp.csr_matrix([[0, 0, 0], [1, 0, 0]])
    df = pd.read_csv(
        write_predictions(tmp_path / "u.csv", NAMES, PROBA, pred=pred), keep_default_na=False
    )
    assert df["labels"].tolist() == ["", "sports"]  # an empty label set is a valid prediction


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"proba": np.ones((2, 2))}, r"proba has shape \(2, 2\); expected \(n_samples, 3\)"),
        ({"proba": PROBA * 2}, r"probabilities in \[0, 1\]"),
        ({"threshold": [0.5, 0.5]}, r"threshold must be a number or one per label \(3\)"),
        ({"pred": np.ones((1, 3))}, r"pred has shape \(1, 3\) but proba has \(2, 3\)"),
        ({"ids": ["a"]}, r"1 ids for 2 rows"),
        ({"path": "x.arff"}, r"cannot write predictions as arff"),
    ],
)
def test_write_predictions_errors(tmp_path, kwargs, match):
    args = {"path": tmp_path / "e.csv", "label_names": NAMES, "proba": PROBA}
    if "path" in kwargs:
        kwargs = {**kwargs, "path": tmp_path / kwargs["path"]}
    args.update(kwargs)
    with pytest.raises(DataFormatError, match=match):
        write_predictions(**args)
    assert not list(tmp_path.glob(".*tmp"))  # nothing half-written left behind


def test_iter_batches_csv_jsonl_parquet_match_read_features(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(25)],
            "x1": rng.random(25),
            "x2": rng.random(25),
            "y": rng.integers(0, 2, 25),
        }
    )
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_parquet(tmp_path / "d.parquet")
    (tmp_path / "d.jsonl").write_text(
        "\n".join(df.to_json(orient="records", lines=True).splitlines())
    )
    whole, ids = read_features(tmp_path / "d.csv", ["x2", "x1"])
    for name in ("d.csv", "d.parquet", "d.jsonl"):
        parts = list(iter_batches(tmp_path / name, ["x2", "x1"], batch_size=7))
        assert [len(x) for x, _ in parts] == [7, 7, 7, 4]
        np.testing.assert_allclose(np.vstack([x for x, _ in parts]), whole)
        assert [i for _, batch in parts for i in batch] == ids


def test_iter_batches_libsvm_and_errors(tmp_path):
    X = sp.random(30, 8, density=0.4, format="csr", random_state=0, dtype=np.float32)
    Y = sp.csr_matrix((np.arange(30)[:, None] % 3 == np.arange(3)).astype(int))
    write_libsvm(tmp_path / "d.svm", X, Y)
    parts = [x for x, _ in iter_batches(tmp_path / "d.svm", n_features=8, batch_size=8)]
    assert [p.shape[0] for p in parts] == [8, 8, 8, 6]
    assert (sp.vstack(parts) != X).nnz == 0
    with pytest.raises(DataFormatError, match="needs feature_names or n_features"):
        next(iter_batches(tmp_path / "d.svm"))
    with pytest.raises(
        DataFormatError, match=r"d\.svm:\d+: feature index \d is out of range for 2"
    ):
        list(iter_batches(tmp_path / "d.svm", n_features=2))
    with pytest.raises(DataFormatError, match="batch_size must be at least 1"):
        next(iter_batches(tmp_path / "d.svm", n_features=8, batch_size=0))
    bad = tmp_path / "b.csv"
    bad.write_text("x1,x2\n1,2\n3,oops\n")
    with pytest.raises(
        DataFormatError, match=r"b\.csv: row 2: feature column 'x2' has the non-numeric"
    ):
        list(iter_batches(bad, ["x1", "x2"], batch_size=1))
    (tmp_path / "j.jsonl").write_text('{"x1": 1}\n[2]\n')
    with pytest.raises(DataFormatError, match=r"j\.jsonl:2: expected a JSON object"):
        list(iter_batches(tmp_path / "j.jsonl", ["x1"]))
    with pytest.raises(DataFormatError, match="no such file"):
        list(iter_batches(tmp_path / "none.csv"))


def test_as_dataset_from_memory():
    from tagwise.data import as_dataset

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0, 1, 0]})
    ds = as_dataset(X, [["x"], [], ["x", "y"]])
    assert ds.feature_names == ["a", "b"] and ds.label_names == ["x", "y"]
    assert ds.Y.tolist() == [[1, 0], [0, 0], [1, 1]]
    ds = as_dataset(None, ["x|y", None, "y"], text=["t1", "t2", "t3"], label_names=["y", "x"])
    assert ds.X is None and ds.Y.tolist() == [[1, 1], [0, 0], [1, 0]]
    ds = as_dataset(sp.csr_matrix(np.eye(3)), pd.DataFrame({"p": [1, 0, 1], "q": [0, 0, 1]}))
    assert ds.label_names == ["p", "q"] and sp.issparse(ds.X)
    assert as_dataset(np.eye(2), np.eye(2, dtype=int)).label_names == ["0", "1"]
    with pytest.raises(DataFormatError, match="Y is empty"):
        as_dataset(np.eye(2), [])
    with pytest.raises(DataFormatError, match="no labels at all"):
        as_dataset(np.eye(2), [[], []])
    with pytest.raises(DataFormatError, match=r"unknown label 'z'"):
        as_dataset(np.eye(2), [["z"], []], label_names=["x"])
    with pytest.raises(DataFormatError, match="X has 2 samples but Y has 3"):
        as_dataset(np.eye(2), [["x"], [], []])
