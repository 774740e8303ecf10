"""save_model / load_model: round trips, nested models, atomic durable writes, save errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from tagwise.data import make_multilabel
from tagwise.exceptions import ModelFormatError
from tagwise.io import _model_io, _safety, load_model, read_manifest, save_model
from tagwise.io._testing import TOY_KINDS, ToyLinearTagger, ToyTextTagger

TEXTS = ["red apple", "green apple pie", "black cat", "a cat and a dog"] * 5
TEXT_Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]] * 5)


@pytest.fixture(autouse=True)
def toy_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind, target in TOY_KINDS.items():
        monkeypatch.setitem(_model_io.MODEL_KINDS, kind, target)


@pytest.fixture
def fitted() -> tuple[ToyLinearTagger, np.ndarray]:
    data = make_multilabel(80, 6, 4, random_state=3)
    return ToyLinearTagger(alpha=0.5).fit(data.X, data.Y), data.X


class _Stateful(ToyLinearTagger):
    """Stores a sparse matrix, a string array, a non-finite float and a nested list."""

    def _artifact_state(self):  # type: ignore[no-untyped-def]
        state, arrays = super()._artifact_state()
        arrays["graph"] = sp.random(5, 7, density=0.3, format="csr", random_state=0)
        arrays["graph_c"] = sp.random(4, 3, density=0.5, format="coo", random_state=1).tocsc()
        arrays["names"] = np.array(["α", "beta", ""], dtype=object)
        return {**state, "best": float("inf"), "nested": [1, {"a": None}]}, arrays

    def _restore_artifact(self, state, arrays):  # type: ignore[no-untyped-def]
        super()._restore_artifact(state, arrays)
        self.state_, self.arrays_ = state, arrays


def test_round_trip_predicts_identically(tmp_path: Path, fitted) -> None:
    model, X = fitted
    out = save_model(
        model, tmp_path / "m", config={"lr": 0.1}, metadata={"dataset": {"name": "syn"}}
    )
    loaded = load_model(out)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.get_params() == model.get_params()
    assert list(loaded.classes_) == [str(c) for c in model.classes_]
    manifest = read_manifest(out)
    assert manifest["kind"] == "toy-linear"
    assert manifest["feature_schema"] == {
        "input": "features",
        "n_features": 6,
        "feature_names": None,
    }
    assert manifest["metadata"]["dataset"]["name"] == "syn"
    assert json.loads((out / "config.json").read_text()) == {"lr": 0.1}
    assert sorted(os.listdir(out)) == ["arrays.safetensors", "config.json", "manifest.json"]


def test_sparse_string_and_non_finite_state_round_trip(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(_model_io, "_class_for", lambda kind: _Stateful)  # a test-only subclass
    data = make_multilabel(40, 3, 2, random_state=0)
    model = _Stateful().fit(data.X, data.Y)
    model.history_ = [{"epoch": 1, "loss": 0.5}]
    loaded = load_model(save_model(model, tmp_path / "m"))
    original = model._artifact_state()[1]
    assert (loaded.arrays_["graph"] != original["graph"]).nnz == 0
    assert loaded.arrays_["graph_c"].format == "csc"
    assert list(loaded.arrays_["names"]) == ["α", "beta", ""]
    assert loaded.state_["best"] == float("inf") and loaded.state_["nested"] == [1, {"a": None}]
    assert loaded.history_ == [{"epoch": 1, "loss": 0.5}]
    assert sorted(os.listdir(tmp_path / "m"))[:2] == ["arrays.npz", "arrays.safetensors"]


def test_nested_text_pipeline_round_trips_its_children(tmp_path: Path) -> None:
    model = ToyTextTagger(estimator=ToyLinearTagger(alpha=3.0), n_words=8).fit(TEXTS, TEXT_Y)
    out = save_model(model, tmp_path / "text")
    loaded = load_model(out)
    assert loaded.predict_labels(["apple pie", "cat"]) == model.predict_labels(["apple pie", "cat"])
    assert isinstance(loaded.estimator, ToyLinearTagger) and loaded.estimator.alpha == 3.0
    assert not hasattr(loaded.estimator, "coef_"), "the params template stays unfitted"
    np.testing.assert_array_equal(loaded.estimator_.coef_, model.estimator_.coef_)
    manifest = read_manifest(out)
    assert manifest["feature_schema"]["input"] == "text"
    assert {c["fitted"] for c in manifest["children"].values()} == {True, False}


def test_the_same_child_twice_is_saved_once(tmp_path: Path) -> None:
    model = ToyTextTagger().fit(TEXTS, TEXT_Y)
    model.estimator = model.estimator_  # a wrapper that uses its param as the fitted model
    loaded = load_model(save_model(model, tmp_path / "t"))
    assert loaded.estimator is loaded.estimator_
    assert os.listdir(tmp_path / "t" / "children") == ["c0"]


def test_overwrite_replaces_and_leaves_no_temporary_files(tmp_path: Path, fitted) -> None:
    model, X = fitted
    save_model(model, tmp_path / "m")
    model2 = ToyLinearTagger(alpha=50.0).fit(X, model.predict(X))
    save_model(model2, tmp_path / "m")
    assert load_model(tmp_path / "m").alpha == 50.0
    assert os.listdir(tmp_path) == ["m"]
    with pytest.raises(ModelFormatError, match="already exists; pass overwrite=True"):
        save_model(model, tmp_path / "m", overwrite=False)


def test_a_failure_mid_save_keeps_the_previous_model(tmp_path: Path, fitted, monkeypatch) -> None:
    model, X = fitted
    save_model(model, tmp_path / "m")
    calls = []

    def flaky(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        _safety.write_synced(path, data)

    monkeypatch.setattr(_model_io, "write_synced", flaky)
    with pytest.raises(OSError, match="No space left"):
        save_model(ToyLinearTagger(alpha=99.0).fit(X, model.predict(X)), tmp_path / "m")
    assert load_model(tmp_path / "m").alpha == 0.5
    assert os.listdir(tmp_path) == ["m"]


def test_a_kill_mid_save_leaves_the_previous_model_intact(tmp_path: Path, fitted) -> None:
    model, _ = fitted
    save_model(model, tmp_path / "m")
    script = textwrap.dedent(f"""
        import os
        from tagwise.data import make_multilabel
        from tagwise.io import _model_io, _safety
        from tagwise.io._testing import TOY_KINDS, ToyLinearTagger
        _model_io.MODEL_KINDS.update(TOY_KINDS)
        def killed(path, data):
            _safety.write_synced(path, data)
            if path.name == "manifest.json":
                os._exit(9)  # SIGKILL-like: no cleanup, no finally
        _model_io.write_synced = killed
        d = make_multilabel(80, 6, 4, random_state=3)
        _model_io.save_model(ToyLinearTagger(alpha=7.0).fit(d.X, d.Y), {str(tmp_path / "m")!r})
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 9, proc.stderr
    assert load_model(tmp_path / "m").alpha == 0.5  # the old model, whole
    leftovers = [p for p in os.listdir(tmp_path) if p != "m"]
    assert leftovers and all(p.startswith(".m.tmp-") for p in leftovers)  # hidden, never loaded


def test_save_fsyncs_files_and_directories(tmp_path: Path, fitted, monkeypatch) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(_safety.os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    save_model(fitted[0], tmp_path / "m")
    assert len(synced) >= 4  # arrays, manifest, the model directory, its parent


def test_save_refuses_to_replace_a_directory_that_is_not_a_model(tmp_path: Path, fitted) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.tex").write_text("years of work")
    with pytest.raises(ModelFormatError, match="non-empty directory but not a tagwise model"):
        save_model(fitted[0], tmp_path / "docs")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelFormatError, match="exists and is not a directory"):
        save_model(fitted[0], tmp_path / "file")
    assert (tmp_path / "docs" / "thesis.tex").read_text() == "years of work"


def test_save_refuses_models_outside_the_protocol(tmp_path: Path, fitted) -> None:
    data = make_multilabel(30, 3, 2, random_state=0)
    with pytest.raises(ModelFormatError, match="LogisticRegression cannot be saved"):
        save_model(LogisticRegression().fit(data.X, data.Y[:, 0]), tmp_path / "lr")
    model = ToyTextTagger().fit(TEXTS, TEXT_Y)
    model.estimator = LogisticRegression()
    with pytest.raises(ModelFormatError, match=r"parameter\.estimator is a LogisticRegression"):
        save_model(model, tmp_path / "t")


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"bad/name": np.zeros(2)}, "array name 'bad/name' is not allowed"),
        (
            {"objects": np.array([object()], dtype=object)},
            "a model can store numbers and strings only",
        ),
        ({"z": np.zeros(2, dtype=np.complex64)}, "a model can store numbers and strings only"),
    ],
)
def test_save_refuses_arrays_it_cannot_store_safely(
    tmp_path: Path, fitted, monkeypatch, arrays, match
) -> None:
    model = fitted[0]
    monkeypatch.setattr(type(model), "_artifact_state", lambda self: ({}, arrays))
    with pytest.raises(ModelFormatError, match=match):
        save_model(model, tmp_path / "m")
    assert not (tmp_path / "m").exists() and os.listdir(tmp_path) == []


def test_save_refuses_state_that_is_not_json(tmp_path: Path, fitted, monkeypatch) -> None:
    monkeypatch.setattr(type(fitted[0]), "_artifact_state", lambda self: ({"fn": len}, {}))
    with pytest.raises(
        ModelFormatError, match=r"cannot store state\.fn of type builtin_function_or_method"
    ):
        save_model(fitted[0], tmp_path / "m")


def test_save_refuses_too_deep_nesting(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(type(_model_io.LIMITS), "max_depth", 0)
    with pytest.raises(ModelFormatError, match="nested more than 0 deep cannot be saved"):
        save_model(ToyTextTagger().fit(TEXTS, TEXT_Y), tmp_path / "t")


def test_unfitted_model_is_refused(tmp_path: Path) -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save_model(ToyLinearTagger(), tmp_path / "m")
