"""The core CLI (cv, train, predict), in-process: data on stdout, one-line errors on stderr."""

import json

import numpy as np
import pytest

from tagwise import make_multilabel
from tagwise.cli import main

FAST = ["--set", "model.epochs=3", "--set", "model.hidden_layer_sizes=[8]"]


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    ds = make_multilabel(120, 5, 3, random_state=0)
    path = tmp_path_factory.mktemp("data") / "train.csv"
    cols = [f"f{i}" for i in range(5)] + ["sports", "politics", "tech"]
    rows = np.column_stack([ds.X, ds.Y])
    lines = [",".join(cols)] + [",".join(f"{v:g}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def train_mlp(capsys, csv_file, model_dir, *options):
    """``tagwise train`` of a small MLP on the module's CSV: (exit code, stdout, stderr)."""
    argv = ["train", str(csv_file), "-o", str(model_dir), "--labels", "sports,politics,tech"]
    return run(capsys, *argv, "--model", "mlp", *options, *FAST)


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("tagwise ")


def test_cv_default_problem_json(capsys):
    code, out, err = run(capsys, "cv", "--folds", "3", "--repeats", "1", "--json", *FAST)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["n_folds"] == 3 and payload["data"]["n_labels"] == 3
    assert 0 <= payload["summary"]["subset_accuracy"]["mean"] <= 1


def test_cv_applies_the_configs_decision_rule(capsys):
    # the [train] decision rule a trained model's config.json records is cross-validated too:
    # a 0.99 threshold empties most predictions but leaves the ranking metrics alone
    argv = ["cv", "--folds", "2", "--repeats", "1", "--json", "-m", "linear"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    plain = json.loads(out)["summary"]
    code, out, err = run(capsys, *argv, "--set", "train.thresholds=fixed:0.99")
    assert code == 0, err
    strict = json.loads(out)["summary"]
    assert strict["micro_f1"]["mean"] < plain["micro_f1"]["mean"] - 0.1
    assert strict["lrap"]["mean"] == pytest.approx(plain["lrap"]["mean"], abs=1e-9)


def test_threshold_folds_must_be_a_number_of_folds(capsys):
    code, _, err = run(
        capsys, "cv", "--set", "train.thresholds=global", "--set", "train.threshold_folds=1"
    )
    assert code != 0 and "train.threshold_folds=1" in err and "Traceback" not in err


def test_cv_table_mentions_tutorial(capsys):
    code, out, _ = run(capsys, "cv", "--folds", "2", "--repeats", "1", *FAST)
    assert code == 0 and "subset_accuracy" in out and "tutorial's 0.812" in out


def test_train_predict_round_trip(capsys, tmp_path, csv_file):
    model_dir = tmp_path / "model"
    code, _, err = train_mlp(capsys, csv_file, model_dir)
    assert code == 0, err
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model"]["epochs"] == 3 and config["data"]["labels"] == "sports,politics,tech"
    code, out, err = run(
        capsys, "predict", str(model_dir), "[1, 2, 3, 4, 5]", "--json", "--threshold", "0"
    )
    assert code == 0, err
    record = json.loads(out.splitlines()[0])
    assert set(record["labels"]) == {"sports", "politics", "tech"}
    code, out, _ = run(capsys, "predict", str(model_dir), str(csv_file), "--json", "--top-k", "1")
    assert code == 0 and len(out.splitlines()) == 120
    code, out, _ = run(capsys, "predict", str(model_dir), "1 2 3 4 5")
    assert code == 0 and "row" in out


def test_the_runs_seed_seeds_the_model(capsys, tmp_path, csv_file):
    # no model.random_state given: [cv] random_state (1) seeds the model and is recorded, so
    # the same command twice gives the same model, and another --set cv.random_state another
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert train_mlp(capsys, csv_file, first)[0] == 0
    assert train_mlp(capsys, csv_file, second)[0] == 0
    assert train_mlp(capsys, csv_file, third, "--set", "cv.random_state=7")[0] == 0
    assert json.loads((first / "config.json").read_text())["model"]["random_state"] == 1
    from tagwise.io import load_model

    X = np.ones((2, 5))
    P1, P2 = load_model(first).predict_proba(X), load_model(second).predict_proba(X)
    assert np.array_equal(P1, P2)
    assert not np.array_equal(P1, load_model(third).predict_proba(X))


def test_train_repeatable_from_saved_config(capsys, tmp_path, csv_file):
    first, second = tmp_path / "a", tmp_path / "b"
    assert train_mlp(capsys, csv_file, first, "--set", "model.random_state=0")[0] == 0
    assert run(capsys, "train", "-o", str(second), "--config", str(first / "config.json"))[0] == 0
    from tagwise.io import load_model

    X = np.ones((2, 5))
    assert np.array_equal(load_model(first).predict_proba(X), load_model(second).predict_proba(X))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["predict", "{model}", "[1, 2, 3]"],
            "the row has 3 values but the model expects 5 features",
        ),
        (["predict", "{model}", "[1, 2, x, 4, 5]"], "'x' is not a number"),
        (["predict", "{tmp}/nowhere", "[1]"], "no model directory"),
        (["train", "{tmp}/empty.csv", "-o", "{tmp}/m2", "--labels", "a"], "empty"),
        (["train", "{csv}", "-o", "{tmp}/m3", "--labels", "sports,nope"], "nope"),
        (["train", "{csv}", "-o", "{tmp}/m4", "--labels", "f0"], "0/1"),
        (["cv", "--set", "model.epochs=0"], "epochs must be at least 1"),
        (["train", "-o", "{tmp}/m5", "--model", "mpl"], "Did you mean 'mlp'"),
    ],
)
def test_errors_are_one_line_and_leave_no_model(capsys, tmp_path, csv_file, argv, message):
    model_dir = tmp_path / "model"
    assert train_mlp(capsys, csv_file, model_dir)[0] == 0
    (tmp_path / "empty.csv").write_text("")
    argv = [a.format(model=model_dir, tmp=tmp_path, csv=csv_file) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("tagwise: error: ") and message in last
    assert "Traceback" not in err and out == ""
    for name in ("m2", "m3", "m4", "m5"):
        assert not (tmp_path / name).exists()


def test_damaged_model_directories(capsys, tmp_path, csv_file):
    model_dir = tmp_path / "model"
    assert train_mlp(capsys, csv_file, model_dir)[0] == 0
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["format_version"] = 999
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "predict", str(model_dir), "[1, 2, 3, 4, 5]")
    assert code == 1 and "newer" in err
    (model_dir / "manifest.json").write_text('{"format": "tagwise-model", "format_ver')
    code, _, err = run(capsys, "predict", str(model_dir), "[1, 2, 3, 4, 5]")
    assert code == 1 and "tagwise: error:" in err and "Traceback" not in err


def test_usage_error_exit_code(capsys):
    code, _, err = run(capsys, "cv", "--folds", "many")
    assert code == 2 and err.startswith("tagwise: error:")


def test_cv_report(capsys, tmp_path):
    report = tmp_path / "report.html"
    code, out, err = run(
        capsys, "cv", "--folds", "2", "--repeats", "1", "--report", str(report), "--json", *FAST
    )
    assert code == 0, err
    assert report.is_file() and "<html" in report.read_text().lower()
    assert (tmp_path / "report_files" / "history.png").is_file()
    assert json.loads(out)["n_folds"] == 2


def test_train_with_tuned_thresholds(capsys, tmp_path, csv_file):
    model_dir = tmp_path / "tuned"
    code, _, err = train_mlp(
        capsys, csv_file, model_dir, "--thresholds", "per_label", "--at-least-one"
    )
    assert code == 0, err
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["kind"] == "thresholded"
    code, out, err = run(capsys, "predict", str(model_dir), str(csv_file), "--json")
    assert code == 0, err
    assert all(json.loads(line)["labels"] for line in out.splitlines())  # at least one label each


def test_predict_file_to_output(capsys, tmp_path, csv_file):
    model_dir = tmp_path / "model"
    assert train_mlp(capsys, csv_file, model_dir)[0] == 0
    out_path = tmp_path / "pred.jsonl"
    code, _, err = run(capsys, "predict", str(model_dir), str(csv_file), "-o", str(out_path))
    assert code == 0, err
    lines = out_path.read_text().splitlines()
    assert len(lines) == 120 and "labels" in json.loads(lines[0])


def test_train_without_model_picks_one_and_says_why(capsys, tmp_path, csv_file):
    model_dir = tmp_path / "auto"
    code, _, err = run(
        capsys, "train", str(csv_file), "-o", str(model_dir), "--labels", "sports,politics,tech"
    )
    assert code == 0, err
    assert "model: " in err and " — " in err
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model"]["name"] != "auto"  # the resolved config records the concrete choice


def test_cv_on_raw_text(capsys, tmp_path):
    rng = np.random.default_rng(0)
    words = {"sports": ["ball", "game", "team"], "politics": ["vote", "law", "party"]}
    rows = []
    for _ in range(60):
        labels = [name for name in words if rng.random() < 0.5] or ["sports"]
        text = " ".join(rng.choice(words[name]) for name in labels for _ in range(4))
        rows.append(json.dumps({"text": text, "labels": labels}))
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(rows) + "\n")
    code, out, err = run(
        capsys,
        "cv",
        str(path),
        "--text",
        "text",
        "--labels",
        "labels",
        "--folds",
        "3",
        "--repeats",
        "1",
        "--json",
    )
    assert code == 0, err
    assert "TF-IDF" in err and json.loads(out)["summary"]["micro_f1"]["mean"] > 0.8


def test_label_warnings_name_the_labels_and_cv_sums_up_its_folds(capsys, tmp_path):
    # estimators only see a 0/1 matrix; the CLI names its columns in their warnings, and the
    # folds' own warnings about the rare label come as one line, not one per fold
    ds = make_multilabel(60, 4, 2, random_state=0)
    rare = np.zeros(60, dtype=int)
    rare[7] = 1
    path = tmp_path / "rare.csv"
    rows = [",".join(f"{v:g}" for v in row) for row in np.column_stack([ds.X, ds.Y, rare])]
    path.write_text("\n".join(["f0,f1,f2,f3,common,usual,rare", *rows]) + "\n")
    argv = ["cv", str(path), "--labels", "common,usual,rare", "-m", "linear", "--json"]
    code, _, err = run(capsys, *argv, "--folds", "4", "--repeats", "1")
    assert code == 0, err
    warned = [line for line in err.splitlines() if line.startswith("tagwise: warning:")]
    assert "fewer positive samples than the 4 folds (positives in brackets): rare (1)." in err
    assert len(warned) == 2 and "the 4 folds: their fits and scores gave" in warned[1]
    assert "(rare)" in warned[1] and "column" not in err
