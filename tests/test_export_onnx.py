"""ONNX export: onnxruntime's probabilities equal tagwise's within 1e-5 on random inputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from tagwise.cli import main  # noqa: E402
from tagwise.data import make_multilabel  # noqa: E402
from tagwise.exceptions import MissingDependencyError, ModelFormatError  # noqa: E402
from tagwise.io import _model_io, save_model  # noqa: E402
from tagwise.io._onnx import check_onnx, export_onnx, onnx_layers  # noqa: E402
from tagwise.io._testing import TOY_KINDS, ToyLinearTagger, ToyTextTagger  # noqa: E402

DATA = make_multilabel(200, 7, 4, random_state=5)
RANDOM = np.random.default_rng(0).normal(scale=3.0, size=(300, 7)).astype(np.float32)


@pytest.fixture(autouse=True)
def toy_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind, target in TOY_KINDS.items():
        monkeypatch.setitem(_model_io.MODEL_KINDS, kind, target)


def _run(path: Path, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"features": X})[0]


@pytest.mark.parametrize(
    ("hidden", "activation", "standardize"),
    [
        ((16,), "relu", "auto"),
        ((12, 8), "gelu", True),
        ((8,), "tanh", False),
        ((8,), "sigmoid", "auto"),
        ((8, 8), "silu", "auto"),
        ((8,), "leaky_relu", "auto"),
        ((), "relu", "auto"),
    ],
)
def test_mlp_matches_onnxruntime(tmp_path: Path, hidden, activation, standardize) -> None:
    from tagwise.models import MLPClassifier

    model = MLPClassifier(
        hidden, activation=activation, standardize=standardize, epochs=3, random_state=0
    ).fit(DATA.X, DATA.Y)
    path = export_onnx(model, tmp_path / "m.onnx")
    got = _run(path, RANDOM)
    np.testing.assert_allclose(got, model.predict_proba(RANDOM), atol=1e-5, rtol=0)
    assert got.shape == (300, 4) and got.dtype == np.float32


def test_mlp_with_a_label_embedding_matches_onnxruntime(tmp_path: Path) -> None:
    from tagwise.models import MLPClassifier

    if "label_embedding_dim" not in MLPClassifier().get_params():
        pytest.skip("this MLPClassifier has no label_embedding_dim")
    model = MLPClassifier((16,), label_embedding_dim=3, epochs=3, random_state=0)
    model.fit(DATA.X, DATA.Y)
    assert check_onnx(model, export_onnx(model, tmp_path / "m.onnx"), RANDOM) <= 1e-5


def test_linear_and_thresholded_match_onnxruntime(tmp_path: Path) -> None:
    from tagwise.models import LinearOneVsRest
    from tagwise.thresholds import ThresholdedClassifier

    linear = LinearOneVsRest().fit(DATA.X, DATA.Y)
    assert check_onnx(linear, export_onnx(linear, tmp_path / "l.onnx"), RANDOM) <= 1e-5
    wrapped = ThresholdedClassifier(LinearOneVsRest(), cv=3, random_state=0).fit(DATA.X, DATA.Y)
    path = export_onnx(wrapped, tmp_path / "t.onnx")
    assert check_onnx(wrapped, path, RANDOM) <= 1e-5
    meta = {p.key: p.value for p in __import__("onnx").load(str(path)).metadata_props}
    assert json.loads(meta["thresholds"]) == pytest.approx(list(wrapped.thresholds_))
    assert meta["tagwise_kind"] == "thresholded"


def test_label_names_travel_in_the_metadata(tmp_path: Path) -> None:
    model = ToyLinearTagger().fit(DATA.X, DATA.Y)
    path = export_onnx(model, tmp_path / "deep" / "toy.onnx")
    meta = {p.key: p.value for p in __import__("onnx").load(str(path)).metadata_props}
    assert json.loads(meta["label_names"]) == ["0", "1", "2", "3"]
    assert list((tmp_path / "deep").iterdir()) == [path]  # no temporary file left behind


def test_unsupported_models_are_refused(tmp_path: Path, monkeypatch) -> None:
    texts = ["red apple", "black cat"] * 5
    model = ToyTextTagger().fit(texts, np.array([[1, 0], [0, 1]] * 5))
    with pytest.raises(ModelFormatError, match=r"kind 'toy-text'\) is not supported"):
        export_onnx(model, tmp_path / "t.onnx")
    monkeypatch.setattr(ToyLinearTagger, "_onnx_layers", lambda self: [("act", "softsign")])
    with pytest.raises(ModelFormatError, match="cannot export the layer 'act'"):
        export_onnx(ToyLinearTagger().fit(DATA.X, DATA.Y), tmp_path / "x.onnx")
    assert onnx_layers  # the public helper stays importable
    assert not (tmp_path / "t.onnx").exists()


def test_missing_onnx_names_the_install_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'tagwise\[onnx\]'"):
        export_onnx(ToyLinearTagger().fit(DATA.X, DATA.Y), tmp_path / "m.onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match="checking needs onnxruntime"):
        check_onnx(ToyLinearTagger().fit(DATA.X, DATA.Y), tmp_path / "m.onnx", RANDOM)


def test_cli_export_writes_and_checks(tmp_path: Path, capsys) -> None:
    from tagwise.models import LinearOneVsRest

    model_dir = save_model(LinearOneVsRest().fit(DATA.X, DATA.Y), tmp_path / "model")
    assert main(["export", str(model_dir), "--onnx", str(tmp_path / "m.onnx")]) == 0
    err = capsys.readouterr().err
    assert "max |diff| =" in err and (tmp_path / "m.onnx").is_file()
    assert main(["export", str(model_dir)]) == 1
    assert "say what to export to: --onnx" in capsys.readouterr().err


def test_cli_export_fails_when_outputs_differ(tmp_path: Path, capsys, monkeypatch) -> None:
    from tagwise.io import _onnx

    model_dir = save_model(ToyLinearTagger().fit(DATA.X, DATA.Y), tmp_path / "model")
    monkeypatch.setattr(_onnx, "check_onnx", lambda *a: 0.5)
    assert main(["export", str(model_dir), "--onnx", str(tmp_path / "m.onnx")]) == 1
    assert "differs from tagwise by 5.00e-01" in capsys.readouterr().err
