"""predict_file: chunked batch prediction in every format, bounded chunks, atomic output, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tagwise.data import make_multilabel
from tagwise.exceptions import ConfigError, DataFormatError
from tagwise.io._predict_file import predict_file, rich_progress
from tagwise.io._testing import ToyLinearTagger, ToyTextTagger

DATA = make_multilabel(95, 4, 3, random_state=1)
MODEL = ToyLinearTagger().fit(DATA.X, DATA.Y)


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _expected(X: np.ndarray, **kw) -> list[list[str]]:
    return [[name for name, _ in row] for row in MODEL.predict_labels(X, **kw)]


@pytest.mark.parametrize("out_name", ["out.parquet", "out.jsonl", "out.csv", "out.tsv"])
def test_jsonl_to_every_output_format(tmp_path: Path, out_name: str) -> None:
    rows = [{"id": f"doc{i}", "features": x.tolist()} for i, x in enumerate(DATA.X)]
    src = _jsonl(tmp_path / "in.jsonl", rows)
    summary = predict_file(MODEL, src, tmp_path / out_name, chunk_size=20)
    assert (summary.n_rows, summary.n_chunks) == (95, 5)
    out = tmp_path / out_name
    if out.suffix == ".parquet":
        frame = pd.read_parquet(out)
        labels = [list(v) for v in frame["labels"]]
        scores = [list(v) for v in frame["scores"]]
    elif out.suffix == ".jsonl":
        frame = pd.read_json(out, lines=True)
        labels, scores = list(frame["labels"]), list(frame["scores"])
    else:
        frame = pd.read_csv(out, sep="\t" if out.suffix == ".tsv" else ",", keep_default_na=False)
        labels = [s.split("|") if s else [] for s in frame["labels"]]
        scores = [[float(v) for v in str(s).split("|")] if s != "" else [] for s in frame["scores"]]
    assert list(frame["id"]) == [f"doc{i}" for i in range(95)]
    assert labels == _expected(DATA.X)
    want = [[s for _, s in row] for row in MODEL.predict_labels(DATA.X)]
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(scores, want, strict=True))
    assert sorted(os.listdir(tmp_path)) == sorted(["in.jsonl", out_name])


def test_csv_and_parquet_inputs_with_threshold_and_top_k(tmp_path: Path) -> None:
    columns = [f"x{i}" for i in range(4)]
    pd.DataFrame(DATA.X, columns=columns).to_csv(tmp_path / "in.csv", index=False)
    predict_file(MODEL, tmp_path / "in.csv", tmp_path / "a.parquet", chunk_size=30, top_k=2)
    frame = pd.read_parquet(tmp_path / "a.parquet")
    assert list(frame["row"]) == list(range(95))
    assert [list(v) for v in frame["labels"]] == _expected(DATA.X, top_k=2)
    pd.DataFrame({"features": list(DATA.X)}).to_parquet(tmp_path / "in.parquet")
    predict_file(
        MODEL, tmp_path / "in.parquet", tmp_path / "b.parquet", chunk_size=7, threshold=0.3
    )
    frame = pd.read_parquet(tmp_path / "b.parquet")
    assert [list(v) for v in frame["labels"]] == _expected(DATA.X, threshold=0.3)


def test_text_model_reads_the_text_field(tmp_path: Path) -> None:
    texts = ["red apple", "green apple pie", "black cat", "a cat and a dog"] * 5
    model = ToyTextTagger().fit(texts, np.array([[1, 0], [1, 0], [0, 1], [0, 1]] * 5))
    src = _jsonl(tmp_path / "in.jsonl", [{"body": t} for t in ["apple pie", "cat"]])
    predict_file(model, src, tmp_path / "out.jsonl", text_field="body")
    got = pd.read_json(tmp_path / "out.jsonl", lines=True)
    assert [v[:1] for v in got["labels"]] == [["0"], ["1"]]
    with pytest.raises(DataFormatError, match=r"in.jsonl:1: no 'text' field for the text model"):
        predict_file(model, src, tmp_path / "x.jsonl")
    _jsonl(src, [{"text": "ok"}, {"text": 5}])
    with pytest.raises(DataFormatError, match=r"in.jsonl:2: text is 5, not a string"):
        predict_file(model, src, tmp_path / "x.jsonl")


def test_chunks_stay_bounded_and_progress_is_reported(tmp_path: Path, monkeypatch) -> None:
    sizes: list[int] = []
    real = MODEL.predict_proba
    monkeypatch.setattr(MODEL, "predict_proba", lambda X: (sizes.append(len(X)), real(X))[1])
    src = _jsonl(tmp_path / "in.jsonl", [{"features": x.tolist()} for x in DATA.X])
    seen: list[tuple[int, int]] = []
    predict_file(
        MODEL, src, tmp_path / "o.parquet", chunk_size=16, progress=lambda d, t: seen.append((d, t))
    )
    assert sizes == [16] * 5 + [15]
    assert seen[-1] == (src.stat().st_size, src.stat().st_size) and len(seen) == 6
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    with rich_progress("test") as callback:  # the CLI's bar: a plain callback
        callback(1, 2)


def test_a_failure_mid_file_keeps_the_previous_output(tmp_path: Path) -> None:
    rows = [{"features": x.tolist()} for x in DATA.X[:50]] + [{"features": [1.0, 2.0]}]
    src = _jsonl(tmp_path / "in.jsonl", rows)
    (tmp_path / "out.parquet").write_bytes(b"previous results")
    with pytest.raises(DataFormatError, match=r"in.jsonl:51: expected 4 feature values, found 2"):
        predict_file(MODEL, src, tmp_path / "out.parquet", chunk_size=10)
    assert (tmp_path / "out.parquet").read_bytes() == b"previous results"
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.parquet"]


def test_empty_input_writes_an_empty_table(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text("\n")
    assert predict_file(MODEL, tmp_path / "in.jsonl", tmp_path / "o.parquet").n_rows == 0
    assert len(pd.read_parquet(tmp_path / "o.parquet")) == 0


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("in.jsonl", '{"features": [1, 2, 3, 4]}\n{oops\n', r"in.jsonl:2: not valid JSON"),
        ("in.jsonl", "[1, 2, 3, 4]\n", r"in.jsonl:1: each line must be a JSON object"),
        ("in.jsonl", '{"features": 3}\n', r"in.jsonl:1: expected 4 feature values, found no"),
        (
            "in.jsonl",
            '{"features": ["a", "b", "c", "d"]}\n',
            r"in.jsonl:1: non-numeric feature values",
        ),
        (
            "in.csv",
            "x0,x1\n1,2\n",
            r"in.csv:2: expected 4 feature columns \(or a 'features' list\), found 2",
        ),
        ("in.csv", "a,b,c,d\n1,2,x,4\n", r"in.csv:2: non-numeric feature values"),
        ("in.csv", 'a,b,c,d\n1,2,"3\n', r"in.csv:2: cannot parse the CSV"),
        ("in.parquet", "not parquet", r"in.parquet: not a readable Parquet file"),
        ("in.xml", "<x/>", r"in.xml: unknown file type '.xml'"),
    ],
)
def test_bad_input_is_reported_with_its_location(
    tmp_path: Path, name: str, content: str, match: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(DataFormatError, match=match):
        predict_file(MODEL, tmp_path / name, tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_missing_feature_names_are_listed(tmp_path: Path) -> None:
    model = ToyLinearTagger().fit(pd.DataFrame(DATA.X, columns=list("abcd")), DATA.Y)
    model.feature_names_in_ = np.array(list("abcd"), dtype=object)
    pd.DataFrame(DATA.X, columns=list("abce")).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(DataFormatError, match=r"missing \['d'\]"):
        predict_file(model, tmp_path / "in.csv", tmp_path / "out.csv")


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="chunk_size must be at least 1, got 0"):
        predict_file(MODEL, tmp_path / "in.jsonl", tmp_path / "o.jsonl", chunk_size=0)
    with pytest.raises(DataFormatError, match=r"in.jsonl: no such file"):
        predict_file(MODEL, tmp_path / "in.jsonl", tmp_path / "o.jsonl")
    with pytest.raises(DataFormatError, match=r"unknown file type '.txt'"):
        predict_file(MODEL, tmp_path / "in.jsonl", tmp_path / "o.txt")


class _OwnDecision(ToyLinearTagger):
    """A model whose predict_labels decides on its own (like a tuned threshold strategy)."""

    def predict_labels(self, X, *, threshold=None, top_k=None):  # type: ignore[no-untyped-def]
        if threshold is not None or top_k is not None:
            return super().predict_labels(X, threshold=threshold, top_k=top_k)
        return [[("always", 1.0)] for _ in range(len(X))]


def test_a_model_with_its_own_decision_is_asked_directly(tmp_path: Path) -> None:
    model = _OwnDecision().fit(DATA.X, DATA.Y)
    src = _jsonl(tmp_path / "in.jsonl", [{"features": x.tolist()} for x in DATA.X[:5]])
    predict_file(model, src, tmp_path / "a.jsonl")
    assert list(pd.read_json(tmp_path / "a.jsonl", lines=True)["labels"]) == [["always"]] * 5
    predict_file(model, src, tmp_path / "b.jsonl", top_k=1)
    got = list(pd.read_json(tmp_path / "b.jsonl", lines=True)["labels"])
    assert got == _expected(DATA.X[:5], top_k=1)


def test_top_k_out_of_range_is_refused(tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "in.jsonl", [{"features": DATA.X[0].tolist()}])
    with pytest.raises(ConfigError, match="top_k must be between 1 and 3, got 4"):
        predict_file(MODEL, src, tmp_path / "o.parquet", top_k=4)


def test_rows_arrow_cannot_type_fall_back_to_the_json_module(tmp_path: Path) -> None:
    rows = [{"id": 1, "features": [1, 2, 3, 4]}, {"id": "b", "features": [0.5, 2.0, 1, 1]}]
    predict_file(MODEL, _jsonl(tmp_path / "in.jsonl", rows), tmp_path / "o.parquet")
    frame = pd.read_parquet(tmp_path / "o.parquet")
    assert list(frame["id"]) == ["1", "b"]  # mixed id types are kept as text
    X = np.array([[1, 2, 3, 4], [0.5, 2, 1, 1]], dtype=np.float32)
    assert [list(v) for v in frame["labels"]] == _expected(X)
