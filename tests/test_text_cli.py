"""`tagwise train` on a text file and `tagwise predict` on texts, in-process."""

from __future__ import annotations

import json
import random

import pytest

from tagwise.cli import main
from tagwise.exceptions import DataFormatError
from tagwise.io import load_model
from tagwise.text import read_texts

TOPICS = {
    "oil": ["oil", "crude", "opec", "barrel"],
    "money": ["bank", "interest", "rates", "dollar"],
    "grain": ["wheat", "corn", "grain", "harvest"],
}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("text") / "data.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(80):
            tags = rng.sample(sorted(TOPICS), rng.choice([1, 1, 2]))
            words = [rng.choice(TOPICS[t]) for t in tags for _ in range(4)]
            words += rng.sample(["the", "said", "in", "a", "report", "market"], 4)
            rng.shuffle(words)
            fh.write(json.dumps({"id": f"d{i}", "text": " ".join(words), "labels": tags}) + "\n")
    return path


@pytest.fixture(scope="module")
def model_dir(data_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    argv = [
        "train",
        str(data_file),
        "--text",
        "text",
        "--label-column",
        "labels",
        "-m",
        "linear",
        "--set",
        "model.C=20",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    return out


def test_train_and_predict_one_text(model_dir, capsys) -> None:
    capsys.readouterr()
    assert main(["predict", str(model_dir), "crude oil barrel prices", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["labels"][0] == "oil"
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["kind"] == "text" and manifest["feature_schema"]["input"] == "text"


def test_train_reports_texts_not_features(data_file, tmp_path, capsys) -> None:
    argv = ["train", str(data_file), "--text", "text", "--label-column", "labels", "-m", "linear"]
    assert main([*argv, "-o", str(tmp_path / "m")]) == 0
    trained = " ".join(capsys.readouterr().err.split()).split("trained ")[-1]
    assert "on 80 texts, 3 labels" in trained and "features" not in trained


def test_text_training_tunes_a_calibrated_threshold_by_default(data_file, tmp_path, capsys) -> None:
    argv = ["train", str(data_file), "--text", "text", "--label-column", "labels", "-m", "linear"]
    assert main([*argv, "-o", str(tmp_path / "tuned")]) == 0
    assert "Platt scaling and one threshold" in " ".join(capsys.readouterr().err.split())
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    # every training text has a label, so at least one is predicted; the run can be repeated
    assert config["train"] == {"thresholds": "calibrated", "at_least_one": True}
    manifest = (tmp_path / "tuned" / "manifest.json").read_text()
    assert "thresholded" in manifest
    assert main([*argv, "--thresholds", "fixed:0.5", "-o", str(tmp_path / "fixed")]) == 0
    assert "tuned on out-of-fold" not in capsys.readouterr().err
    config = json.loads((tmp_path / "fixed" / "config.json").read_text())
    assert config["train"]["thresholds"] == "fixed:0.5"


def test_auto_model_for_text_is_recorded_and_repeatable(data_file, tmp_path, capsys) -> None:
    argv = ["train", str(data_file), "--text", "text", "--label-column", "labels"]
    assert main([*argv, "-o", str(tmp_path / "a")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "linear SVM per label (squared hinge, C=0.25)" in err
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config["model"]["name"] == "linear"
    assert (config["model"]["loss"], config["model"]["C"]) == ("squared_hinge", 0.25)
    # the saved config rebuilds the same model: the same scores for the same text
    again = ["train", "--config", str(tmp_path / "a" / "config.json"), "-o", str(tmp_path / "b")]
    assert main(again) == 0
    scores = []
    for model in ("a", "b"):
        capsys.readouterr()
        assert main(["predict", str(tmp_path / model), "crude oil and wheat", "--json"]) == 0
        scores.append(json.loads(capsys.readouterr().out)["scores"])
    assert scores[0] == scores[1]
    # a loss of one's own gets the linear model's own defaults (logistic: C=1)
    set_loss = ["-m", "linear", "--set", "model.loss=logistic", "-o", str(tmp_path / "c")]
    assert main([*argv, *set_loss]) == 0
    assert "squared hinge" not in capsys.readouterr().err
    config = json.loads((tmp_path / "c" / "config.json").read_text())
    assert config["model"]["loss"] == "logistic" and "C" not in config["model"]


def test_text_cv_uses_the_same_default_rule_as_train(data_file, capsys) -> None:
    argv = ["cv", str(data_file), "--text", "text", "--label-column", "labels", "-m", "linear"]
    argv += ["--folds", "3", "--repeats", "1", "--json"]
    argv += ["--set", "model.loss=logistic", "--set", "model.C=0.01"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "Platt scaling and one threshold" in " ".join(captured.err.split())
    tuned = json.loads(captured.out)
    assert tuned["config"]["train"] == {"thresholds": "calibrated", "at_least_one": True}
    assert main([*argv, "--set", "train.thresholds=fixed:0.5"]) == 0
    captured = capsys.readouterr()
    assert "tuned on out-of-fold" not in captured.err
    fixed = json.loads(captured.out)
    assert fixed["config"]["train"]["thresholds"] == "fixed:0.5"
    # a strongly regularised model rarely reaches 0.5: the tuned rule scores far better
    micro = [run["summary"]["micro_f1"]["mean"] for run in (tuned, fixed)]
    assert micro[0] > micro[1] + 0.2, micro


def test_compare_on_raw_text(data_file, model_dir, capsys) -> None:
    # named models are built as `tagwise cv -m NAME` builds them (behind the featurizer, with
    # the text decision rule); a saved text model is refitted with its own featurizer
    argv = ["compare", str(data_file), str(model_dir), "-m", "linear", "-m", "mlknn", "-k", "3"]
    argv += ["--text", "text", "--label-column", "labels", "--json"]
    assert main(argv) == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert result["models"] == ["m", "linear", "mlknn"]
    micro = {m: result["summary"]["micro_f1"][m]["mean"] for m in result["models"]}
    assert all(0.6 < v <= 1 for v in micro.values()), micro


def test_predict_text_file_and_stdin(model_dir, tmp_path, capsys, monkeypatch) -> None:
    texts = tmp_path / "new.txt"
    texts.write_text("bank interest rates\n\nwheat harvest\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", str(model_dir), str(texts), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and rows[0]["labels"][0] == "money" and rows[2]["labels"][0] == "grain"
    assert isinstance(rows[1]["labels"], list)  # an empty line is an empty text, still predicted
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("corn grain\n"))
    assert main(["predict", str(model_dir), "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["labels"][0] == "grain"


def test_non_utf8_file_names_the_line(model_dir, tmp_path, capsys) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\nbad \xff byte\n")
    assert main(["predict", str(model_dir), str(bad)]) == 1
    assert "bad.txt:2: not valid UTF-8" in capsys.readouterr().err


def test_missing_text_column_and_bad_featurizer(data_file, tmp_path, capsys) -> None:
    argv = ["train", str(data_file), "--label-column", "labels", "-m", "linear"]
    assert main([*argv, "--text", "body", "-o", str(tmp_path / "a")]) == 1
    assert "'body'" in capsys.readouterr().err
    argv += ["--text", "text", "-o", str(tmp_path / "b"), "--set"]
    assert main([*argv, "featurizer.name=tfid"]) == 1
    assert "unknown text featurizer 'tfid'" in capsys.readouterr().err
    assert main([*argv, "featurizer.min_dff=1"]) == 1
    assert "has no parameter 'min_dff'" in capsys.readouterr().err
    assert main([*argv, "featurizer.min_df=-1"]) == 1  # sklearn's check, as one clear line
    assert "error: TfidfFeaturizer: The 'min_df' parameter" in capsys.readouterr().err
    assert main([*argv, "train.featurizer=combined"]) == 1  # where the name used to be
    assert "is now featurizer.name" in capsys.readouterr().err


def test_featurizer_section_sets_the_tfidf(data_file, tmp_path) -> None:
    out = tmp_path / "m"
    argv = ["train", str(data_file), "--text", "text", "--label-column", "labels", "-o", str(out)]
    assert main([*argv, "--set", "featurizer.word_ngram_range=null"]) == 0
    featurizer = load_model(out).featurizer_
    assert featurizer.word_ngram_range is None and list(featurizer.vectorizers_) == ["char"]
    config = json.loads((out / "config.json").read_text())
    assert config["featurizer"] == {"word_ngram_range": None}


def test_read_texts_formats(tmp_path) -> None:
    (tmp_path / "a.csv").write_text("id,text\n1,hello\n2,\n", encoding="utf-8")
    assert read_texts(tmp_path / "a.csv") == (["hello", ""], ["1", "2"])
    (tmp_path / "a.tsv").write_text("text\nhi there\n", encoding="utf-8")
    assert read_texts(tmp_path / "a.tsv") == (["hi there"], None)
    (tmp_path / "a.jsonl").write_text('{"text": "x", "id": 7}\n\n{"text": "y", "id": 8}\n')
    assert read_texts(tmp_path / "a.jsonl") == (["x", "y"], ["7", "8"])
    (tmp_path / "b.jsonl").write_text('{"text": "x"}\n{oops\n')
    with pytest.raises(DataFormatError, match=r"b.jsonl:2: not valid JSON"):
        read_texts(tmp_path / "b.jsonl")
    with pytest.raises(
        DataFormatError, match=r"no text column 'body'; the columns are \['id', 'text'\]"
    ):
        read_texts(tmp_path / "a.csv", column="body")
    (tmp_path / "c.jsonl").write_text('{"text": 5}\n')
    with pytest.raises(DataFormatError, match="is int"):
        read_texts(tmp_path / "c.jsonl")
    (tmp_path / "d.txt").write_bytes(b"ok\r\n\xef\xbb\xbf")
    assert read_texts(tmp_path / "d.txt") == (["ok", "\ufeff"], None)
    (tmp_path / "e.csv").write_bytes(b"text\nok\nno \xe9\n")
    with pytest.raises(
        DataFormatError, match=r"e.csv:3: not valid UTF-8 \(byte b'\\xe9' at column 4\)"
    ):
        read_texts(tmp_path / "e.csv")
