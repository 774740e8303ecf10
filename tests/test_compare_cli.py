"""`tagwise compare` in-process: saved models and named models on identical folds; errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_multilabel_classification

from tagwise.cli import main
from tagwise.io import save_model
from tagwise.models import LinearOneVsRest


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    X, Y = make_multilabel_classification(
        240, 6, n_classes=3, random_state=1, allow_unlabeled=False
    )
    df = pd.DataFrame(X.astype(np.float32), columns=[f"x{i}" for i in range(6)])
    for j in range(3):
        df[f"tag_{j}"] = Y[:, j]
    df.to_csv(root / "data.csv", index=False)
    save_model(LinearOneVsRest(C=1.0).fit(X, Y), root / "strong")
    save_model(LinearOneVsRest(C=1e-4).fit(X, Y), root / "weak")
    return root


def test_compare_saved_models_json(setup, capsys):
    code = main(
        [
            "compare",
            str(setup / "data.csv"),
            str(setup / "strong"),
            str(setup / "weak"),
            "--label-prefix",
            "tag_",
            "--folds",
            "3",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["models"] == ["strong", "weak"]
    assert data["summary"]["micro_f1"]["strong"]["best"]
    assert len(data["fold_scores"]["weak"]["micro_f1"]) == 3
    assert data["test"] == "corrected_t"


def test_compare_table_with_named_model_and_repeats(setup, capsys):
    code = main(
        [
            "compare",
            str(setup / "data.csv"),
            str(setup / "strong"),
            "--model",
            "linear",
            "--label-prefix",
            "tag_",
            "--folds",
            "2",
            "--repeats",
            "2",
            "--test",
            "wilcoxon",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "strong" in out and "linear" in out and "wilcoxon" in out


def test_compare_errors(setup, capsys):
    assert main(["compare", str(setup / "data.csv"), "--label-prefix", "tag_"]) == 1
    assert "nothing to compare" in capsys.readouterr().err
    code = main(
        [
            "compare",
            str(setup / "data.csv"),
            str(setup / "strong"),
            "--label-prefix",
            "tag_",
            "--test",
            "anova",
        ]
    )
    assert code == 1
    assert "test must be one of corrected_t, t, wilcoxon, got 'anova'" in capsys.readouterr().err
