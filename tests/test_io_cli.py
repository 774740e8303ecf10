"""The io/serve commands in-process: `tagwise inspect`, and `tagwise serve`'s refusals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tagwise.cli import main
from tagwise.io import _model_io, save_model
from tagwise.io._testing import TOY_KINDS, ToyLinearTagger, ToyTextTagger


@pytest.fixture(autouse=True)
def toy_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind, target in TOY_KINDS.items():
        monkeypatch.setitem(_model_io.MODEL_KINDS, kind, target)


@pytest.fixture
def text_dir(tmp_path: Path) -> Path:
    texts = ["red apple", "green apple pie", "black cat", "a cat and a dog"] * 5
    model = ToyTextTagger(estimator=ToyLinearTagger()).fit(texts, np.array([[1, 0], [0, 1]] * 10))
    meta = {
        "dataset": {"name": "fruit-or-pet", "n_samples": 20},
        "metrics": {"test": {"micro_f1": 0.875}, "hamming_loss": 0.1},
        "description": "A toy text model.",
        "owner": "tests",
    }
    return save_model(model, tmp_path / "model", metadata=meta)


def test_inspect_prints_the_card_and_the_manifest(text_dir: Path, capsys) -> None:
    assert main(["inspect", str(text_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Model card: toy-text")
    assert "A toy text model." in out and "- name: fruit-or-pet" in out
    assert "| test / micro_f1 | 0.8750 |" in out and "| hamming_loss | 0.1000 |" in out
    assert "- input: text" in out and "c0 (toy-linear)" in out and "- owner: tests" in out
    manifest = json.loads(out.split("```json\n", 1)[1].split("```", 1)[0])
    assert manifest["kind"] == "toy-text"


def test_inspect_json_lists_files_and_children(text_dir: Path, capsys) -> None:
    assert main(["inspect", str(text_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info["files"]) == {"arrays.npz"}
    children = info["children"]
    assert {c["kind"] for c in children.values()} == {"toy-linear"}
    sizes = [*info["files"].values()] + [v for c in children.values() for v in c["files"].values()]
    assert info["total_bytes"] == sum(sizes) > 0


def test_inspect_of_a_folder_that_is_no_model(tmp_path: Path, capsys) -> None:
    assert main(["inspect", str(tmp_path)]) == 1
    assert "is not a tagwise model directory" in capsys.readouterr().err


def test_serve_refuses_a_damaged_model_before_binding(text_dir: Path, capsys) -> None:
    (text_dir / "arrays.npz").write_bytes(b"tampered")
    assert main(["serve", str(text_dir), "--port", "0"]) == 1
    assert "checksum does not match the manifest" in capsys.readouterr().err


def test_serve_without_fastapi_names_the_extra(text_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)
    assert main(["serve", str(text_dir)]) == 1
    assert "pip install 'tagwise[serve]'" in capsys.readouterr().err
