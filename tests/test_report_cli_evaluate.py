"""`tagwise evaluate` in-process: tables, JSON, HTML report, strategies, label matching, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_multilabel_classification

from tagwise.cli import main
from tagwise.io import save_model
from tagwise.metrics import macro_f1, micro_f1
from tagwise.models import LinearOneVsRest

LABELS = ["tag_a", "tag_b", "tag_c", "tag_d"]


def _frame(X, Y, labels=LABELS):
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    for j, name in enumerate(labels):
        df[name] = Y[:, j]
    return df


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    X, Y = make_multilabel_classification(
        360, 8, n_classes=4, random_state=0, allow_unlabeled=False
    )
    X = X.astype(np.float32)
    model = LinearOneVsRest().fit(X[:200], pd.DataFrame(Y[:200], columns=LABELS))
    save_model(model, root / "model")
    _frame(X[200:280], Y[200:280]).to_csv(root / "valid.csv", index=False)
    _frame(X[280:], Y[280:]).to_csv(root / "test.csv", index=False)
    # the same test data with the label columns in another order and one unknown label
    shuffled = _frame(X[280:], Y[280:][:, [2, 0, 3, 1]], ["tag_c", "tag_a", "tag_d", "tag_b"])
    shuffled["tag_zzz"] = 0
    shuffled.to_csv(root / "shuffled.csv", index=False)
    return root, model, X[280:], Y[280:]


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_output_matches_the_library(setup, capsys):
    root, model, X, Y = setup
    code, out, err = _run(
        capsys, "evaluate", root / "model", root / "test.csv", "--label-prefix", "tag_", "--json"
    )
    assert code == 0 and "warning" not in err
    data = json.loads(out)
    assert data["metrics"]["micro_f1"] == pytest.approx(micro_f1(Y, model.predict(X)))
    assert [r["label"] for r in data["labels"]] == LABELS
    assert data["n_samples"] == 80 and "precision@3" in data["metrics"]


def test_table_output_and_html_report(setup, capsys, tmp_path):
    root, *_ = setup
    code, out, err = _run(
        capsys,
        "evaluate",
        root / "model",
        root / "test.csv",
        "--label-prefix",
        "tag_",
        "--report",
        tmp_path / "rep.html",
    )
    assert code == 0
    assert "micro_f1" in out and "tag_a" in out
    assert "report written" in err
    page = (tmp_path / "rep.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4
    assert len(list((tmp_path / "rep_files").glob("*.png"))) == 4


def test_labels_are_matched_by_name(setup, capsys):
    root, model, X, Y = setup
    code, out, err = _run(
        capsys,
        "evaluate",
        root / "model",
        root / "shuffled.csv",
        "--label-prefix",
        "tag_",
        "--json",
    )
    assert code == 0 and "(dropped): ['zzz']" in err
    assert json.loads(out)["metrics"]["micro_f1"] == pytest.approx(micro_f1(Y, model.predict(X)))


def test_strategies(setup, capsys):
    root, model, X, Y = setup
    code, out, _ = _run(
        capsys,
        "evaluate",
        root / "model",
        root / "test.csv",
        "--label-prefix",
        "tag_",
        "--json",
        "--strategy",
        "top_k:2",
    )
    assert code == 0
    assert json.loads(out)["predicted_cardinality"] == 2.0
    code, out, _ = _run(
        capsys,
        "evaluate",
        root / "model",
        root / "test.csv",
        "--label-prefix",
        "tag_",
        "--json",
        "--strategy",
        "per_label",
        "--tune-on",
        root / "valid.csv",
    )
    assert code == 0
    tuned = json.loads(out)["metrics"]["macro_f1"]
    assert tuned == pytest.approx(json.loads(out)["averages"]["macro"]["f1"])
    code, out, _ = _run(
        capsys,
        "evaluate",
        root / "model",
        root / "test.csv",
        "--label-prefix",
        "tag_",
        "--json",
        "--strategy",
        "fixed:0.99",
        "--at-least-one",
    )
    assert code == 0 and json.loads(out)["predicted_cardinality"] >= 1.0
    code, out, _ = _run(
        capsys,
        "evaluate",
        root / "model",
        root / "test.csv",
        "--label-prefix",
        "tag_",
        "--json",
        "--at-least-one",
    )
    pred = model.predict(X)
    assert json.loads(out)["metrics"]["macro_f1"] >= 0 and code == 0
    assert macro_f1(Y, pred) >= 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--strategy", "per_label"], r"tuned on held-out scores; give a validation file"),
        (["--strategy", "median"], r"unknown threshold strategy 'median'"),
        (["--k", "1,x"], r"--k must be comma-separated integers like '1,3,5', got '1,x'"),
        (["--k", "9"], r"k=9 is larger than the number of labels \(4\)"),
        (["--tune-on", "valid.csv"], r"--tune-on needs a --strategy"),
    ],
)
def test_errors_are_one_line(setup, capsys, extra, message):
    root, *_ = setup
    extra = [str(root / e) if e.endswith(".csv") else e for e in extra]
    code, _, err = _run(
        capsys, "evaluate", root / "model", root / "test.csv", "--label-prefix", "tag_", *extra
    )
    assert code == 1
    assert err.startswith("tagwise: error: ")
    import re

    assert re.search(message, err)


def test_no_label_in_common(setup, capsys, tmp_path):
    root, _, X, Y = setup
    _frame(X, Y[:, :3], ["zz_1", "zz_2", "zz_3"]).to_csv(tmp_path / "other.csv", index=False)
    code, _, err = _run(
        capsys, "evaluate", root / "model", tmp_path / "other.csv", "--label-prefix", "zz_"
    )
    assert code == 1 and "the model has 4 labels" in err and "none in common" in err
