"""`labels=` naming one column of tag lists reads it as a tag column (`--labels labels`)."""

import json

import numpy as np

from tagwise.data import read


def test_single_labels_column_of_lists_is_a_tag_column(tmp_path):
    path = tmp_path / "docs.jsonl"
    rows = [
        {"text": "a", "labels": ["x", "y"]},
        {"text": "b", "labels": []},
        {"text": "c", "labels": ["y"]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ds = read(path, text_column="text", labels="labels")
    assert ds.label_names == ["x", "y"]
    assert np.array_equal(ds.Y, [[1, 1], [0, 0], [0, 1]])


def test_single_true_false_column_stays_an_indicator(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("f,spam\n1.0,true\n2.0,false\n")
    ds = read(path, labels="spam")
    assert ds.label_names == ["spam"] and ds.Y.ravel().tolist() == [1, 0]
